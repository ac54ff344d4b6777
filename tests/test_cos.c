/* test_cos.c -- tg_cos: values, the closed-form gradient, the second
 * derivative through tg_sin, and the errors. */
#include "testutil.h"

static tg_tensor *cos_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_cos(in[0]);
}

START_TEST(cos_values_and_gradient)
{
    double x[6] = {-3.5, -1, 0, 0.5, 1.5707963267948966, 10};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), x, true);
        tg_tensor *y = tg_cos(t);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        ck_assert_int_eq(tg_op_kind_of(y), TG_OP_COS);
        ck_assert_int_eq(tg_backward_ex(y, tg_full((tg_dtype)dt, 2, tg_shape(y), 1, false), 0), 0);
        double tol = dt == TG_F32 ? 1e-6 : 1e-15;
        for (int i = 0; i < 6; i++) {
            tu_assert_close(tg_get(y, i), cos(x[i]), tol);
            tu_assert_close(tg_grad_get(t, i), -sin(x[i]), tol);
        }
    }
}
END_TEST

/* d2/dx2 cos x = -cos x: the recorded rule is differentiated again. */
START_TEST(cos_second_derivative)
{
    tg_tensor *x = tg_var(0.7), *dy, *d2y;
    tg_tensor *y = tg_cos(x);
    ck_assert_int_eq(tg_grad(&y, 1, &x, 1, &dy, true), 0);
    ck_assert_int_eq(tg_grad(&dy, 1, &x, 1, &d2y, false), 0);
    tu_assert_close(tg_item(d2y), -cos(0.7), 1e-15);
}
END_TEST

START_TEST(cos_of_inf_and_nan_is_nan)
{
    double x[3] = {INFINITY, -INFINITY, NAN};
    tg_tensor *y = tg_cos(tu_tensor(TG_F64, TU_SHAPE(3), x, false));
    tu_assert_ok(y);
    for (int i = 0; i < 3; i++)
        ck_assert(isnan(tg_get(y, i)));
}
END_TEST

START_TEST(cos_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        tu_gradcheck_both(cos_fn, NULL, 1, &shapes[i], -4, 4);
}
END_TEST

START_TEST(cos_errors)
{
    ck_assert_ptr_null(tg_cos(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_cos: argument 1 is NULL");
}
END_TEST

TCase *tg_test_cos(void)
{
    TCase *tc = tu_tcase("cos");
    tcase_add_test(tc, cos_values_and_gradient);
    tcase_add_test(tc, cos_second_derivative);
    tcase_add_test(tc, cos_of_inf_and_nan_is_nan);
    tcase_add_test(tc, cos_gradcheck);
    tcase_add_test(tc, cos_errors);
    return tc;
}
