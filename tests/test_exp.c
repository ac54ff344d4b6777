/* test_exp.c -- tg_exp: values, overflow, gradients. */
#include "testutil.h"

static tg_tensor *exp_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_exp(in[0]);
}

START_TEST(exp_values)
{
    double x[5] = {-3, -0.5, 0, 1, 4};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *y = tg_exp(tu_tensor((tg_dtype)dt, TU_SHAPE(5), x, false));
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        for (int i = 0; i < 5; i++)
            tu_assert_close(tg_get(y, i), exp(x[i]), dt == TG_F32 ? 1e-6 : 1e-15);
    }
}
END_TEST

START_TEST(exp_overflows_to_inf)
{
    tg_tensor *y = tg_exp(tg_scalar_of(TG_F32, 100));
    tu_assert_ok(y);
    ck_assert(isinf(tg_item(y)));
}
END_TEST

START_TEST(exp_gradient_is_its_value)
{
    tg_tensor *x = tg_var(0.7);
    ck_assert_int_eq(tg_backward(tg_exp(x)), 0);
    tu_assert_close(tg_grad_get(x, 0), exp(0.7), 1e-15);
}
END_TEST

START_TEST(exp_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        tu_gradcheck_both(exp_fn, NULL, 1, &shapes[i], -2, 2);
}
END_TEST

TCase *tg_test_exp(void)
{
    TCase *tc = tu_tcase("exp");
    tcase_add_test(tc, exp_values);
    tcase_add_test(tc, exp_overflows_to_inf);
    tcase_add_test(tc, exp_gradient_is_its_value);
    tcase_add_test(tc, exp_gradcheck);
    return tc;
}
