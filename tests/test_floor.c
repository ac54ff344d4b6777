/* test_floor.c -- tg_floor: values, inf and NaN, floor(-0) = -0, and the
 * zero gradient everywhere (also at the integers), gradchecks and errors;
 * the bodies are rounding_check.h's. */
#include "rounding_check.h"

static tg_tensor *floor_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_floor(in[0]);
}

/* floor(a) b: the gradient passes through a broadcasting product. */
static tg_tensor *floor_times_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_mul(tg_floor(in[0]), in[1]);
}

START_TEST(floor_values_and_zero_gradient)
{
    const double x[6] = {-2.5, -1, -0.5, 0, 0.5, 2.7}, want[6] = {-3, -1, -1, 0, 0, 2};
    rc_values_and_zero_gradient(tg_floor, TG_OP_FLOOR, x, want);
}
END_TEST

START_TEST(floor_blocks_only_its_own_path) { rc_blocks_only_its_own_path(tg_floor, -1.75); }
END_TEST

START_TEST(floor_of_inf_nan_and_signed_zero) { rc_inf_nan_and_signed_zero(tg_floor, -0.0); }
END_TEST

START_TEST(floor_gradcheck)
{
    static const double intervals[][2] = {{0.1, 0.9}, {-0.9, -0.1}, {1.1, 1.9}};
    rc_gradcheck(floor_fn, floor_times_fn, 3, intervals);
}
END_TEST

START_TEST(floor_errors) { rc_null_error(tg_floor, "tg_floor"); }
END_TEST

TCase *tg_test_floor(void)
{
    TCase *tc = tu_tcase("floor");
    tcase_add_test(tc, floor_values_and_zero_gradient);
    tcase_add_test(tc, floor_blocks_only_its_own_path);
    tcase_add_test(tc, floor_of_inf_nan_and_signed_zero);
    tcase_add_test(tc, floor_gradcheck);
    tcase_add_test(tc, floor_errors);
    return tc;
}
