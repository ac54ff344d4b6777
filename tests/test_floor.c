/* test_floor.c -- tg_floor: values, inf and NaN, and the zero gradient
 * everywhere (also at the integers), gradchecks (scalars, vectors, matrices,
 * broadcast pairs, size-1 axes) and errors. */
#include "testutil.h"

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
    double x[6] = {-2.5, -1, -0.5, 0, 0.5, 2.7}, want[6] = {-3, -1, -1, 0, 0, 2};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), x, true);
        tg_tensor *y = tg_floor(t);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        ck_assert_int_eq(tg_op_kind_of(y), TG_OP_FLOOR);
        ck_assert(tg_requires_grad(y));
        ck_assert_int_eq(tg_backward_ex(y, tg_full((tg_dtype)dt, 2, tg_shape(y), 1, false), 0), 0);
        for (int i = 0; i < 6; i++) {
            ck_assert_msg(tg_get(y, i) == want[i], "floor(%g) = %g", x[i], tg_get(y, i));
            ck_assert(tg_grad_get(t, i) == 0); /* also at the jumps, as in PyTorch */
        }
    }
}
END_TEST

/* d/dx [floor(x) x] = floor(x): only the second factor carries a gradient. */
START_TEST(floor_blocks_only_its_own_path)
{
    tg_tensor *x = tg_var(-1.75);
    ck_assert_int_eq(tg_backward(tg_mul(tg_floor(x), x)), 0);
    ck_assert(tg_grad_get(x, 0) == tg_item(tg_floor(tg_scalar(-1.75))));
}
END_TEST

/* inf and NaN pass through, and so does the sign of a zero result. */
START_TEST(floor_of_inf_nan_and_signed_zero)
{
    double x[4] = {INFINITY, -INFINITY, NAN, -0.0};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *y = tg_floor(tu_tensor((tg_dtype)dt, TU_SHAPE(4), x, false));
        tu_assert_ok(y);
        ck_assert(isinf(tg_get(y, 0)) && tg_get(y, 0) > 0);
        ck_assert(isinf(tg_get(y, 1)) && tg_get(y, 1) < 0);
        ck_assert(isnan(tg_get(y, 2)));
        ck_assert(tg_get(y, 3) == 0 && signbit(tg_get(y, 3)));
    }
}
END_TEST

START_TEST(floor_gradcheck)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        tu_gradcheck_both(floor_fn, NULL, 1, &shapes[i], 0.1, 0.9);
        tu_gradcheck_both(floor_fn, NULL, 1, &shapes[i], -0.9, -0.1);
        tu_gradcheck_both(floor_fn, NULL, 1, &shapes[i], 1.1, 1.9);
    }
    for (int p = 0; p < TU_BROADCAST_PAIRS; p++) {
        tu_gradcheck_both(floor_times_fn, NULL, 2, tu_broadcast_pairs[p], 0.1, 0.9);
        tu_gradcheck_both(floor_times_fn, NULL, 2, tu_broadcast_pairs[p], -0.9, -0.1);
        tu_gradcheck_both(floor_times_fn, NULL, 2, tu_broadcast_pairs[p], 1.1, 1.9);
    }
}
END_TEST

START_TEST(floor_errors)
{
    ck_assert_ptr_null(tg_floor(NULL));
    ck_assert_str_eq(tg_last_error(), "tg_floor: argument 1 is NULL");
}
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
