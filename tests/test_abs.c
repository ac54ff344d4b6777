/* test_abs.c -- tg_abs: values, gradients, the kink at 0. */
#include "testutil.h"

static tg_tensor *abs_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_abs(in[0]);
}

START_TEST(abs_values)
{
    double x[5] = {-2.5, -0.0, 0, 1e-30, 3};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *y = tg_abs(tu_tensor((tg_dtype)dt, TU_SHAPE(5), x, false));
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        for (int i = 0; i < 5; i++)
            tu_assert_close(tg_get(y, i), fabs(x[i]), 1e-7);
    }
}
END_TEST

START_TEST(abs_gradient_is_sign_and_zero_at_zero)
{
    double x[4] = {-2, 0, 3, -0.0}, want[4] = {-1, 0, 1, 0};
    tg_tensor *t = tu_tensor(TG_F64, TU_SHAPE(4), x, true);
    tg_tensor *y = tg_abs(t);
    ck_assert_int_eq(tg_backward_ex(y, tg_full(TG_F64, 1, (int64_t[]){4}, 1, false), 0), 0);
    for (int i = 0; i < 4; i++)
        tu_assert_close(tg_grad_get(t, i), want[i], 0);
}
END_TEST

/* the kink is avoided by checking each sign on its own */
START_TEST(abs_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        tu_gradcheck_both(abs_fn, NULL, 1, &shapes[i], 0.2, 2);
        tu_gradcheck_both(abs_fn, NULL, 1, &shapes[i], -2, -0.2);
    }
}
END_TEST

TCase *tg_test_abs(void)
{
    TCase *tc = tu_tcase("abs");
    tcase_add_test(tc, abs_values);
    tcase_add_test(tc, abs_gradient_is_sign_and_zero_at_zero);
    tcase_add_test(tc, abs_gradcheck);
    return tc;
}
