/* test_round.c -- tg_round: halves to even as torch.round, values next to
 * the halves, inf and NaN, and the zero gradient everywhere (also at the
 * jumps), gradchecks (scalars, vectors, matrices, broadcast pairs, size-1
 * axes) and errors. */
#include "testutil.h"

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

START_TEST(round_values_and_zero_gradient)
{
    double x[6] = {-2.5, -1.5, -0.5, 0.5, 1.5, 2.5}, want[6] = {-2, -2, 0, 0, 2, 2};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), x, true);
        tg_tensor *y = tg_round(t);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        ck_assert_int_eq(tg_op_kind_of(y), TG_OP_ROUND);
        ck_assert(tg_requires_grad(y));
        ck_assert_int_eq(tg_backward_ex(y, tg_full((tg_dtype)dt, 2, tg_shape(y), 1, false), 0), 0);
        for (int i = 0; i < 6; i++) {
            ck_assert_msg(tg_get(y, i) == want[i], "round(%g) = %g", x[i], tg_get(y, i));
            ck_assert(tg_grad_get(t, i) == 0); /* also at the jumps, as in PyTorch */
        }
    }
}
END_TEST

/* d/dx [round(x) x] = round(x): only the second factor carries a gradient. */
START_TEST(round_blocks_only_its_own_path)
{
    tg_tensor *x = tg_var(-1.75);
    ck_assert_int_eq(tg_backward(tg_mul(tg_round(x), x)), 0);
    ck_assert(tg_grad_get(x, 0) == tg_item(tg_round(tg_scalar(-1.75))));
}
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
START_TEST(round_of_inf_nan_and_signed_zero)
{
    double x[4] = {INFINITY, -INFINITY, NAN, -0.5};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *y = tg_round(tu_tensor((tg_dtype)dt, TU_SHAPE(4), x, false));
        tu_assert_ok(y);
        ck_assert(isinf(tg_get(y, 0)) && tg_get(y, 0) > 0);
        ck_assert(isinf(tg_get(y, 1)) && tg_get(y, 1) < 0);
        ck_assert(isnan(tg_get(y, 2)));
        ck_assert(tg_get(y, 3) == 0 && signbit(tg_get(y, 3)));
    }
}
END_TEST

START_TEST(round_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        tu_gradcheck_both(round_fn, NULL, 1, &shapes[i], 0.6, 1.4);
        tu_gradcheck_both(round_fn, NULL, 1, &shapes[i], -1.4, -0.6);
    }
    for (int p = 0; p < TU_BROADCAST_PAIRS; p++) {
        tu_gradcheck_both(round_times_fn, NULL, 2, tu_broadcast_pairs[p], 0.6, 1.4);
        tu_gradcheck_both(round_times_fn, NULL, 2, tu_broadcast_pairs[p], -1.4, -0.6);
    }
}
END_TEST

START_TEST(round_errors)
{
    ck_assert_ptr_null(tg_round(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_round: argument 1 is NULL");
}
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
