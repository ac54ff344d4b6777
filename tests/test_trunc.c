/* test_trunc.c -- tg_trunc: values, inf and NaN, -0 from (-1, 0), and the
 * zero gradient everywhere (also at the integers), gradchecks and errors;
 * the bodies are rounding_check.h's. */
#include "rounding_check.h"

static tg_tensor *trunc_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_trunc(in[0]);
}

/* trunc(a) b: the gradient passes through a broadcasting product. */
static tg_tensor *trunc_times_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_mul(tg_trunc(in[0]), in[1]);
}

START_TEST(trunc_values_and_zero_gradient)
{
    const double x[6] = {-2.5, -1, -0.5, 0, 0.5, 2.7}, want[6] = {-2, -1, 0, 0, 0, 2};
    rc_values_and_zero_gradient(tg_trunc, TG_OP_TRUNC, x, want);
}
END_TEST

START_TEST(trunc_blocks_only_its_own_path) { rc_blocks_only_its_own_path(tg_trunc, -1.75); }
END_TEST

START_TEST(trunc_of_inf_nan_and_signed_zero) { rc_inf_nan_and_signed_zero(tg_trunc, -0.7); }
END_TEST

START_TEST(trunc_gradcheck)
{
    static const double intervals[][2] = {{0.1, 0.9}, {-0.9, -0.1}, {1.1, 1.9}};
    rc_gradcheck(trunc_fn, trunc_times_fn, 3, intervals);
}
END_TEST

START_TEST(trunc_errors) { rc_null_error(tg_trunc, "tg_trunc"); }
END_TEST

TCase *tg_test_trunc(void)
{
    TCase *tc = tu_tcase("trunc");
    tcase_add_test(tc, trunc_values_and_zero_gradient);
    tcase_add_test(tc, trunc_blocks_only_its_own_path);
    tcase_add_test(tc, trunc_of_inf_nan_and_signed_zero);
    tcase_add_test(tc, trunc_gradcheck);
    tcase_add_test(tc, trunc_errors);
    return tc;
}
