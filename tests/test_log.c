/* test_log.c -- tg_log: values, the domain edge, gradients. */
#include "testutil.h"

static tg_tensor *log_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_log(in[0]);
}

START_TEST(log_values)
{
    double x[4] = {0.125, 1, 2.5, 100};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *y = tg_log(tu_tensor((tg_dtype)dt, TU_SHAPE(2, 2), x, false));
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        for (int i = 0; i < 4; i++)
            tu_assert_close(tg_get(y, i), log(x[i]), dt == TG_F32 ? 1e-6 : 1e-15);
    }
}
END_TEST

/* PyTorch semantics: outside the domain the values are IEEE's, no error */
START_TEST(log_outside_domain_is_ieee)
{
    double x[2] = {0, -1};
    tg_tensor *y = tg_log(tu_tensor(TG_F64, TU_SHAPE(2), x, false));
    tu_assert_ok(y);
    ck_assert_int_eq(tg_last_error_code(), TG_OK);
    ck_assert(isinf(tg_get(y, 0)) && tg_get(y, 0) < 0);
    ck_assert(isnan(tg_get(y, 1)));
}
END_TEST

START_TEST(log_gradient_is_reciprocal)
{
    tg_tensor *x = tg_var(4);
    ck_assert_int_eq(tg_backward(tg_log(x)), 0);
    tu_assert_close(tg_grad_get(x, 0), 0.25, 0);
}
END_TEST

START_TEST(log_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        tu_gradcheck_both(log_fn, NULL, 1, &shapes[i], 0.5, 2);
}
END_TEST

TCase *tg_test_log(void)
{
    TCase *tc = tu_tcase("log");
    tcase_add_test(tc, log_values);
    tcase_add_test(tc, log_outside_domain_is_ieee);
    tcase_add_test(tc, log_gradient_is_reciprocal);
    tcase_add_test(tc, log_gradcheck);
    return tc;
}
