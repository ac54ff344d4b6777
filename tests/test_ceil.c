/* test_ceil.c -- tg_ceil: values, inf and NaN, -0 from (-1, 0), and the zero
 * gradient everywhere (also at the integers), gradchecks and errors; the
 * bodies are rounding_check.h's. */
#include "rounding_check.h"

static tg_tensor *ceil_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_ceil(in[0]);
}

/* ceil(a) b: the gradient passes through a broadcasting product. */
static tg_tensor *ceil_times_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_mul(tg_ceil(in[0]), in[1]);
}

START_TEST(ceil_values_and_zero_gradient)
{
    const double x[6] = {-2.5, -1, -0.5, 0, 0.5, 2.7}, want[6] = {-2, -1, 0, 0, 1, 3};
    rc_values_and_zero_gradient(tg_ceil, TG_OP_CEIL, x, want);
}
END_TEST

START_TEST(ceil_blocks_only_its_own_path) { rc_blocks_only_its_own_path(tg_ceil, -1.75); }
END_TEST

START_TEST(ceil_of_inf_nan_and_signed_zero) { rc_inf_nan_and_signed_zero(tg_ceil, -0.5); }
END_TEST

START_TEST(ceil_gradcheck)
{
    static const double intervals[][2] = {{0.1, 0.9}, {-0.9, -0.1}, {1.1, 1.9}};
    rc_gradcheck(ceil_fn, ceil_times_fn, 3, intervals);
}
END_TEST

START_TEST(ceil_errors) { rc_null_error(tg_ceil, "tg_ceil"); }
END_TEST

TCase *tg_test_ceil(void)
{
    TCase *tc = tu_tcase("ceil");
    tcase_add_test(tc, ceil_values_and_zero_gradient);
    tcase_add_test(tc, ceil_blocks_only_its_own_path);
    tcase_add_test(tc, ceil_of_inf_nan_and_signed_zero);
    tcase_add_test(tc, ceil_gradcheck);
    tcase_add_test(tc, ceil_errors);
    return tc;
}
