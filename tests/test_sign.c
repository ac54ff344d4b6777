/* test_sign.c -- tg_sign: values, sign(+-0) = 0, sign(NaN) = NaN, and the
 * zero gradient everywhere, gradchecks (scalars, vectors, matrices,
 * broadcast pairs, size-1 axes) and errors. */
#include "testutil.h"

static tg_tensor *sign_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_sign(in[0]);
}

/* sign(a) b: the gradient passes through a broadcasting product. */
static tg_tensor *sign_times_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_mul(tg_sign(in[0]), in[1]);
}

START_TEST(sign_values_and_zero_gradient)
{
    double x[6] = {-2, -1e-30, 0, -0.0, 1e-30, 3}, want[6] = {-1, -1, 0, 0, 1, 1};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), x, true);
        tg_tensor *y = tg_sign(t);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        ck_assert_int_eq(tg_op_kind_of(y), TG_OP_SIGN);
        ck_assert(tg_requires_grad(y));
        ck_assert_int_eq(tg_backward_ex(y, tg_full((tg_dtype)dt, 2, tg_shape(y), 1, false), 0), 0);
        for (int i = 0; i < 6; i++) {
            ck_assert_msg(tg_get(y, i) == want[i], "sign(%g) = %g", x[i], tg_get(y, i));
            ck_assert(tg_grad_get(t, i) == 0); /* also at the jumps, as in PyTorch */
        }
    }
}
END_TEST

/* d/dx [sign(x) x] = sign(x): only the second factor carries a gradient. */
START_TEST(sign_blocks_only_its_own_path)
{
    tg_tensor *x = tg_var(-1.75);
    ck_assert_int_eq(tg_backward(tg_mul(tg_sign(x), x)), 0);
    ck_assert(tg_grad_get(x, 0) == tg_item(tg_sign(tg_scalar(-1.75))));
}
END_TEST

/* sign(-0) is +0 (PyTorch's (0 < x) - (x < 0) gives +0 too); NaN stays NaN,
 * as in NumPy, where PyTorch gives 0 (pytorch/pytorch#41245); inf gives 1. */
START_TEST(sign_of_zero_nan_and_inf)
{
    double x[4] = {-0.0, NAN, INFINITY, -INFINITY};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *y = tg_sign(tu_tensor((tg_dtype)dt, TU_SHAPE(4), x, false));
        tu_assert_ok(y);
        ck_assert(tg_get(y, 0) == 0 && !signbit(tg_get(y, 0)));
        ck_assert(isnan(tg_get(y, 1)));
        ck_assert(tg_get(y, 2) == 1 && tg_get(y, 3) == -1);
    }
}
END_TEST

START_TEST(sign_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        tu_gradcheck_both(sign_fn, NULL, 1, &shapes[i], 0.25, 2);
        tu_gradcheck_both(sign_fn, NULL, 1, &shapes[i], -2, -0.25);
    }
    for (int p = 0; p < TU_BROADCAST_PAIRS; p++) {
        tu_gradcheck_both(sign_times_fn, NULL, 2, tu_broadcast_pairs[p], 0.25, 2);
        tu_gradcheck_both(sign_times_fn, NULL, 2, tu_broadcast_pairs[p], -2, -0.25);
    }
}
END_TEST

START_TEST(sign_errors)
{
    ck_assert_ptr_null(tg_sign(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_sign: argument 1 is NULL");
}
END_TEST

TCase *tg_test_sign(void)
{
    TCase *tc = tu_tcase("sign");
    tcase_add_test(tc, sign_values_and_zero_gradient);
    tcase_add_test(tc, sign_blocks_only_its_own_path);
    tcase_add_test(tc, sign_of_zero_nan_and_inf);
    tcase_add_test(tc, sign_gradcheck);
    tcase_add_test(tc, sign_errors);
    return tc;
}
