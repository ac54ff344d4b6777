/* rounding_check.h -- what the tests of the rounding ops share (floor,
 * ceil, round, trunc): values, the zero gradient everywhere (also at the
 * jumps, as in PyTorch), inf and NaN, a signed zero, gradchecks between the
 * jumps over the usual shapes and broadcast pairs, and the NULL error. Each
 * test file gives its op and its own points. */
#ifndef TG_ROUNDING_CHECK_H
#define TG_ROUNDING_CHECK_H

#include <stdio.h>

#include "testutil.h"

typedef tg_tensor *(*rc_op)(tg_tensor *x);

/* op(x[i]) == want[i] for six points in both dtypes, recorded as kind, and
 * no gradient reaches x. */
static inline void rc_values_and_zero_gradient(rc_op op, tg_op_kind kind, const double *x,
                                               const double *want)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t = tu_tensor((tg_dtype)dt, TU_SHAPE(2, 3), x, true);
        tg_tensor *y = op(t);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        ck_assert_int_eq(tg_op_kind_of(y), kind);
        ck_assert(tg_requires_grad(y));
        ck_assert_int_eq(tg_backward_ex(y, tg_full((tg_dtype)dt, 2, tg_shape(y), 1, false), 0), 0);
        for (int i = 0; i < 6; i++) {
            ck_assert_msg(tg_get(y, i) == want[i], "op(%g) = %g", x[i], tg_get(y, i));
            ck_assert(tg_grad_get(t, i) == 0);
        }
    }
}

/* d/dx [op(x) x] = op(x): only the second factor carries a gradient. */
static inline void rc_blocks_only_its_own_path(rc_op op, double at)
{
    tg_tensor *x = tg_var(at);
    ck_assert_int_eq(tg_backward(tg_mul(op(x), x)), 0);
    ck_assert(tg_grad_get(x, 0) == tg_item(op(tg_scalar(at))));
}

/* inf and NaN pass through, and op(to_negative_zero) is -0. */
static inline void rc_inf_nan_and_signed_zero(rc_op op, double to_negative_zero)
{
    double x[4] = {INFINITY, -INFINITY, NAN, to_negative_zero};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *y = op(tu_tensor((tg_dtype)dt, TU_SHAPE(4), x, false));
        tu_assert_ok(y);
        ck_assert(isinf(tg_get(y, 0)) && tg_get(y, 0) > 0);
        ck_assert(isinf(tg_get(y, 1)) && tg_get(y, 1) < 0);
        ck_assert(isnan(tg_get(y, 2)));
        ck_assert(tg_get(y, 3) == 0 && signbit(tg_get(y, 3)));
    }
}

/* Gradchecks of f (op(x)) and times (op(a) b) inside each of the n
 * intervals [lo, hi], which hold no jump. */
static inline void rc_gradcheck(tg_fn f, tg_fn times, int n, const double (*intervals)[2])
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    for (int k = 0; k < n; k++) {
        double lo = intervals[k][0], hi = intervals[k][1];
        for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
            tu_gradcheck_both(f, NULL, 1, &shapes[i], lo, hi);
        for (int p = 0; p < TU_BROADCAST_PAIRS; p++)
            tu_gradcheck_both(times, NULL, 2, tu_broadcast_pairs[p], lo, hi);
    }
}

/* op(NULL) fails naming the op: "tg_floor: argument 1 is NULL". */
static inline void rc_null_error(rc_op op, const char *name)
{
    char want[64];
    snprintf(want, sizeof want, "%s: argument 1 is NULL", name);
    ck_assert_ptr_null(op(NULL));
    ck_assert_str_eq(tg_last_error(), want);
}

#endif
