/* test_sin.c -- tg_sin: values, the closed-form gradient, the second
 * derivative through tg_cos, and the errors. */
#include "testutil.h"

static tg_tensor *sin_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_sin(in[0]);
}

START_TEST(sin_values_and_gradient)
{
    double x[6] = {-3.5, -1, 0, 0.5, 1.5707963267948966, 10};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), x, true);
        tg_tensor *y = tg_sin(t);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        ck_assert_int_eq(tg_op_kind_of(y), TG_OP_SIN);
        ck_assert_int_eq(tg_backward_ex(y, tg_full((tg_dtype)dt, 2, tg_shape(y), 1, false), 0), 0);
        double tol = dt == TG_F32 ? 1e-6 : 1e-15;
        for (int i = 0; i < 6; i++) {
            tu_assert_close(tg_get(y, i), sin(x[i]), tol);
            tu_assert_close(tg_grad_get(t, i), cos(x[i]), tol);
        }
    }
}
END_TEST

/* d2/dx2 sin x = -sin x: the recorded rule is differentiated again. */
START_TEST(sin_second_derivative)
{
    tg_tensor *x = tg_var(0.7), *dy, *d2y;
    tg_tensor *y = tg_sin(x);
    ck_assert_int_eq(tg_grad(&y, 1, &x, 1, &dy, true), 0);
    ck_assert_int_eq(tg_grad(&dy, 1, &x, 1, &d2y, false), 0);
    tu_assert_close(tg_item(d2y), -sin(0.7), 1e-15);
}
END_TEST

START_TEST(sin_of_inf_and_nan_is_nan)
{
    double x[3] = {INFINITY, -INFINITY, NAN};
    tg_tensor *y = tg_sin(tu_tensor(TG_F64, TU_SHAPE(3), x, false));
    tu_assert_ok(y);
    for (int i = 0; i < 3; i++)
        ck_assert(isnan(tg_get(y, i)));
}
END_TEST

START_TEST(sin_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        tu_gradcheck_both(sin_fn, NULL, 1, &shapes[i], -4, 4);
}
END_TEST

START_TEST(sin_errors)
{
    ck_assert_ptr_null(tg_sin(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_sin: argument 1 is NULL");
}
END_TEST

TCase *tg_test_sin(void)
{
    TCase *tc = tu_tcase("sin");
    tcase_add_test(tc, sin_values_and_gradient);
    tcase_add_test(tc, sin_second_derivative);
    tcase_add_test(tc, sin_of_inf_and_nan_is_nan);
    tcase_add_test(tc, sin_gradcheck);
    tcase_add_test(tc, sin_errors);
    return tc;
}
