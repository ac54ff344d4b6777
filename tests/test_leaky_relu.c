/* test_leaky_relu.c -- tg_leaky_relu: values, gradients, the notes' form. */
#include "testutil.h"

static tg_tensor *leaky_relu_fn(tg_tensor *const *in, void *ctx)
{
    return tg_leaky_relu(in[0], *(const double *)ctx);
}

START_TEST(leaky_relu_values)
{
    double x[5] = {-2, -0.5, 0, 0.5, 3};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *y = tg_leaky_relu(tu_tensor((tg_dtype)dt, TU_SHAPE(5), x, false), 0.1);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        for (int i = 0; i < 5; i++)
            tu_assert_close(tg_get(y, i), x[i] >= 0 ? x[i] : 0.1 * x[i], 1e-7);
    }
}
END_TEST

START_TEST(leaky_relu_gradient_takes_slope_at_zero)
{
    double x[3] = {-1, 0, 2}, want[3] = {0.25, 0.25, 1};
    tg_tensor *t = tu_tensor(TG_F64, TU_SHAPE(3), x, true);
    tg_tensor *y = tg_leaky_relu(t, 0.25);
    ck_assert_int_eq(tg_backward_ex(y, tg_full(TG_F64, 1, (int64_t[]){3}, 1, false), 0), 0);
    for (int i = 0; i < 3; i++)
        tu_assert_close(tg_grad_get(t, i), want[i], 0);
}
END_TEST

/* With slope 0.01 it is the notes' max(0.01x, x), in values and gradients
 * (away from 0, where tg_maximum's tie would split the gradient). */
START_TEST(leaky_relu_is_the_notes_maximum)
{
    double x[6] = {-3, -1, -0.2, 0.2, 1, 3};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x1 = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), x, true);
        tg_tensor *x2 = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), x, true);
        tg_tensor *y1 = tg_leaky_relu(x1, 0.01);
        tg_tensor *y2 = tg_maximum(tg_mul_scalar(x2, 0.01), x2);
        tu_assert_ok(y1);
        tu_assert_ok(y2);
        tg_tensor *ones = tg_full((tg_dtype)dt, 2, tg_shape(y1), 1, false);
        ck_assert_int_eq(tg_backward_ex(y1, ones, 0), 0);
        ck_assert_int_eq(tg_backward_ex(y2, ones, 0), 0);
        for (int i = 0; i < 6; i++) {
            tu_assert_close(tg_get(y1, i), tg_get(y2, i), 0);
            tu_assert_close(tg_grad_get(x1, i), tg_grad_get(x2, i), 0);
        }
    }
}
END_TEST

/* the kink is avoided by checking each sign on its own */
START_TEST(leaky_relu_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    double slopes[] = {0.01, 0.2, -0.5};
    for (size_t s = 0; s < sizeof slopes / sizeof slopes[0]; s++)
        for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
            tu_gradcheck_both(leaky_relu_fn, &slopes[s], 1, &shapes[i], 0.2, 2);
            tu_gradcheck_both(leaky_relu_fn, &slopes[s], 1, &shapes[i], -2, -0.2);
        }
}
END_TEST

TCase *tg_test_leaky_relu(void)
{
    TCase *tc = tu_tcase("leaky_relu");
    tcase_add_test(tc, leaky_relu_values);
    tcase_add_test(tc, leaky_relu_gradient_takes_slope_at_zero);
    tcase_add_test(tc, leaky_relu_is_the_notes_maximum);
    tcase_add_test(tc, leaky_relu_gradcheck);
    return tc;
}
