/* test_round.c -- tg_round: halves to even as torch.round, values next to
 * the halves, inf and NaN, and the zero gradient everywhere (also at the
 * jumps), gradchecks (scalars, vectors, matrices, broadcast pairs, size-1
 * axes) and errors. */
#include "rounding_check.h"

static tg_tensor *round_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_round(in[0]);
}

/* round(a) b: the gradient passes through a broadcasting product. */
static tg_tensor *round_times_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_mul(tg_round(in[0]), in[1]);
}

/* halves go to the even neighbour, like torch.round */
START_TEST(round_values_and_zero_gradient)
{
    const double x[6] = {-2.5, -1.5, -0.5, 0.5, 1.5, 2.5}, want[6] = {-2, -2, 0, 0, 2, 2};
    rc_values_and_zero_gradient(tg_round, TG_OP_ROUND, x, want);
}
END_TEST

START_TEST(round_blocks_only_its_own_path) { rc_blocks_only_its_own_path(tg_round, -1.75); }
END_TEST

/* Next to a half the nearest integer wins: 0.49999999999999994 (the double
 * below 0.5) rounds to 0, where floor(x + 0.5) would give 1. Large odd
 * integers stay (2^23 + 1 in f32, 2^52 + 1 in f64). */
START_TEST(round_next_to_the_halves)
{
    double x[6] = {0.49999999999999994, 0.5000000000000001, -2.6, 3.4, 8388609,
                   4503599627370497};
    double want[6] = {0, 1, -3, 3, 8388609, 4503599627370497};
    tg_tensor *y = tg_round(tu_tensor(TG_F64, TU_SHAPE(6), x, false));
    tu_assert_ok(y);
    for (int i = 0; i < 6; i++)
        ck_assert_msg(tg_get(y, i) == want[i], "round(%.17g) = %.17g", x[i], tg_get(y, i));
    /* the floats below and above 0.5 */
    double xf[4] = {0.4999999701976776, 0.5000000596046448, -2.6, 8388609};
    double wantf[4] = {0, 1, -3, 8388609};
    y = tg_round(tu_tensor(TG_F32, TU_SHAPE(4), xf, false));
    tu_assert_ok(y);
    for (int i = 0; i < 4; i++)
        ck_assert_msg(tg_get(y, i) == wantf[i], "round(%.9g) = %.9g", xf[i], tg_get(y, i));
}
END_TEST

/* inf and NaN pass through, and so does the sign of a zero result. */
START_TEST(round_of_inf_nan_and_signed_zero) { rc_inf_nan_and_signed_zero(tg_round, -0.5); }
END_TEST

START_TEST(round_gradcheck)
{
    static const double intervals[][2] = {{0.6, 1.4}, {-1.4, -0.6}};
    rc_gradcheck(round_fn, round_times_fn, 2, intervals);
}
END_TEST

START_TEST(round_errors) { rc_null_error(tg_round, "tg_round"); }
END_TEST

TCase *tg_test_round(void)
{
    TCase *tc = tu_tcase("round");
    tcase_add_test(tc, round_values_and_zero_gradient);
    tcase_add_test(tc, round_blocks_only_its_own_path);
    tcase_add_test(tc, round_next_to_the_halves);
    tcase_add_test(tc, round_of_inf_nan_and_signed_zero);
    tcase_add_test(tc, round_gradcheck);
    tcase_add_test(tc, round_errors);
    return tc;
}
