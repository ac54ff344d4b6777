/* test_minmax.c -- tg_maximum and tg_minimum: values, ties, gradients. */
#include <string.h>

#include "testutil.h"

static tg_tensor *maximum_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_maximum(in[0], in[1]);
}

static tg_tensor *minimum_fn(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_minimum(in[0], in[1]);
}

/* Values on the grid -1, -0.5, ..., 1 shifted by offset, in scrambled order.
 * Operands with offsets 0 and 0.25 differ by at least 0.25 everywhere, so
 * gradcheck's steps never cross a tie, and each operand wins somewhere. */
static tg_tensor *grid(tg_dtype dtype, tu_shape shape, double offset)
{
    tg_tensor *t = tu_tensor(dtype, shape, NULL, true);
    for (int64_t i = 0; i < tg_numel(t); i++)
        tg_set(t, i, 0.5 * (double)((i * 7 + 2) % 5) - 1 + offset);
    return t;
}

static void gradcheck_apart(tg_fn f, const tu_shape *shapes)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *in[2] = {grid((tg_dtype)dt, shapes[0], 0), grid((tg_dtype)dt, shapes[1], 0.25)};
        ck_assert_msg(tg_gradcheck(f, NULL, 2, in, NULL, NULL) == 0, "%s", tg_last_error());
    }
}

START_TEST(minmax_broadcast_values)
{
    double a[6] = {1, -2, 3, 0, 5, -1}, b[3] = {0, 0, 4};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *ta = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), a, false);
        tg_tensor *tb = tu_tensor((tg_dtype)dt, TU_SHAPE(3), b, false);
        tg_tensor *hi = tg_maximum(ta, tb), *lo = tg_minimum(tb, ta);
        tu_assert_ok(hi);
        tu_assert_ok(lo);
        ck_assert_int_eq(tg_dtype_of(hi), dt);
        ck_assert_int_eq(tg_ndim(lo), 2);
        for (int i = 0; i < 6; i++) {
            tu_assert_close(tg_get(hi, i), fmax(a[i], b[i % 3]), 0);
            tu_assert_close(tg_get(lo, i), fmin(a[i], b[i % 3]), 0);
        }
    }
}
END_TEST

START_TEST(minmax_propagate_nan)
{
    tg_tensor *nan = tg_scalar(NAN), *one = tg_scalar(1);
    ck_assert(isnan(tg_item(tg_maximum(nan, one))));
    ck_assert(isnan(tg_item(tg_maximum(one, nan))));
    ck_assert(isnan(tg_item(tg_minimum(nan, one))));
    ck_assert(isnan(tg_item(tg_minimum(one, nan))));
}
END_TEST

START_TEST(minmax_tie_splits_gradient)
{
    double a[3] = {1, 2, 3}, b[3] = {1, 0, 5};
    double max_da[3] = {0.5, 1, 0}, max_db[3] = {0.5, 0, 1};
    for (int is_max = 0; is_max < 2; is_max++) {
        tg_tensor *ta = tu_tensor(TG_F64, TU_SHAPE(3), a, true);
        tg_tensor *tb = tu_tensor(TG_F64, TU_SHAPE(3), b, true);
        tg_tensor *y = is_max ? tg_maximum(ta, tb) : tg_minimum(ta, tb);
        ck_assert_int_eq(tg_backward_ex(y, tg_full(TG_F64, 1, (int64_t[]){3}, 1, false), 0), 0);
        for (int i = 0; i < 3; i++) {
            /* the minimum's winner is the maximum's loser */
            tu_assert_close(tg_grad_get(ta, i), is_max ? max_da[i] : max_db[i], 0);
            tu_assert_close(tg_grad_get(tb, i), is_max ? max_db[i] : max_da[i], 0);
        }
    }
}
END_TEST

/* a broadcast operand sums its shares: 1/2 + 1/2 from the ties, 1 from the win */
START_TEST(maximum_tie_shares_sum_over_broadcast)
{
    double b[3] = {1, 1, 0};
    tg_tensor *a = tg_var(1);
    tg_tensor *tb = tu_tensor(TG_F64, TU_SHAPE(3), b, true);
    ck_assert_int_eq(
        tg_backward_ex(tg_maximum(a, tb), tg_full(TG_F64, 1, (int64_t[]){3}, 1, false), 0), 0);
    tu_assert_close(tg_grad_get(a, 0), 2, 0);
    tu_assert_close(tg_grad_get(tb, 0), 0.5, 0);
    tu_assert_close(tg_grad_get(tb, 2), 0, 0);
}
END_TEST

START_TEST(minmax_gradcheck)
{
    for (size_t i = 0; i < TU_BROADCAST_PAIRS; i++) {
        gradcheck_apart(maximum_fn, tu_broadcast_pairs[i]);
        gradcheck_apart(minimum_fn, tu_broadcast_pairs[i]);
    }
}
END_TEST

START_TEST(minmax_reject_mixed_dtypes)
{
    tg_tensor *f32 = tg_scalar_of(TG_F32, 1), *f64 = tg_scalar(2);
    ck_assert_ptr_null(tg_maximum(f32, f64));
    ck_assert_int_eq(tg_last_error_code(), TG_EDTYPE);
    ck_assert_msg(strstr(tg_last_error(), "tg_maximum: dtypes differ"), "%s", tg_last_error());
    tg_clear_error();
    ck_assert_ptr_null(tg_minimum(f64, f32));
    ck_assert_msg(strstr(tg_last_error(), "tg_minimum: dtypes differ"), "%s", tg_last_error());
}
END_TEST

TCase *tg_test_minmax(void)
{
    TCase *tc = tu_tcase("minmax");
    tcase_add_test(tc, minmax_broadcast_values);
    tcase_add_test(tc, minmax_propagate_nan);
    tcase_add_test(tc, minmax_tie_splits_gradient);
    tcase_add_test(tc, maximum_tie_shares_sum_over_broadcast);
    tcase_add_test(tc, minmax_gradcheck);
    tcase_add_test(tc, minmax_reject_mixed_dtypes);
    return tc;
}
