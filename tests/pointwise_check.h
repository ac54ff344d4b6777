/* pointwise_check.h -- what the tests of the activation ops share (gelu,
 * silu, softplus, elu, ...): values and gradients at chosen points against
 * a closed form, in both dtypes, and gradient checks over the usual shapes. */
#ifndef TG_POINTWISE_CHECK_H
#define TG_POINTWISE_CHECK_H

#include "testutil.h"

/* The op under test with its constants in ctx, and its closed form in
 * double: returns y(x) and stores dy/dx in *dy. */
typedef tg_tensor *(*pc_op)(tg_tensor *x, const void *ctx);
typedef double (*pc_ref)(double x, const void *ctx, double *dy);

/* y and dy/dx at each of the n points in both dtypes (the float case at
 * the points rounded to float) against ref, relative tolerance tol32 /
 * tol64; every value and gradient must also be finite where ref's are. */
static inline void pc_check_points(pc_op op, pc_ref ref, const void *ctx, int n, const double *x,
                            double tol32, double tol64)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t = tu_tensor((tg_dtype)dt, TU_SHAPE(n), x, true);
        tg_tensor *y = op(t, ctx);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_dtype_of(y), dt);
        ck_assert_int_eq(tg_backward_ex(y, tg_full((tg_dtype)dt, 1, tg_shape(y), 1, false), 0), 0);
        for (int i = 0; i < n; i++) {
            double xi = tg_get(t, i), dy, want = ref(xi, ctx, &dy);
            double tol = dt == TG_F32 ? tol32 : tol64;
            ck_assert_msg(isfinite(tg_get(y, i)) == isfinite(want), "y(%g) = %g", xi, tg_get(y, i));
            ck_assert_msg(isfinite(tg_grad_get(t, i)) == isfinite(dy), "dy(%g) = %g", xi,
                          tg_grad_get(t, i));
            tu_assert_close(tg_get(y, i), want, tol);
            tu_assert_close(tg_grad_get(t, i), dy, tol);
        }
        tg_tape_reset();
    }
}

/* The gradient at each point, exactly (a kink's convention). */
static inline void pc_check_grad_at(pc_op op, const void *ctx, int n, const double *x,
                             const double *want)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *t = tu_tensor((tg_dtype)dt, TU_SHAPE(n), x, true);
        tg_tensor *y = op(t, ctx);
        tu_assert_ok(y);
        ck_assert_int_eq(tg_backward_ex(y, tg_full((tg_dtype)dt, 1, tg_shape(y), 1, false), 0), 0);
        for (int i = 0; i < n; i++)
            tu_assert_close(tg_grad_get(t, i), want[i], dt == TG_F32 ? 1e-6 : 1e-15);
        tg_tape_reset();
    }
}

typedef struct {
    pc_op op;
    const void *ctx;
} pc_call;

static inline tg_tensor *pc_call_fn(tg_tensor *const *in, void *ctx)
{
    const pc_call *c = ctx;
    return c->op(in[0], c->ctx);
}

/* tu_gradcheck_both on a scalar, a vector, a matrix and a shape with a
 * size-1 axis, with values in [lo, hi]. */
static inline void pc_gradcheck_shapes(pc_op op, const void *ctx, double lo, double hi)
{
    static const tu_shape shapes[] = {TU_SCALAR, TU_SHAPE(5), TU_SHAPE(2, 3), TU_SHAPE(2, 1, 3)};
    pc_call call = {op, ctx};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        tu_gradcheck_both(pc_call_fn, &call, 1, &shapes[i], lo, hi);
}

/* Second derivatives of the recorded rule against finite differences. */
static inline void pc_gradgradcheck(pc_op op, const void *ctx, double lo, double hi)
{
    static const tg_gradcheck_opts f32_opts = {1e-2, 2e-2, 2e-2};
    pc_call call = {op, ctx};
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *x = tu_rand((tg_dtype)dt, TU_SHAPE(2, 3), lo, hi, true);
        tg_gradcheck_result r;
        ck_assert_msg(tg_gradgradcheck(pc_call_fn, &call, 1, &x, dt == TG_F32 ? &f32_opts : NULL,
                                       &r) == 0,
                      "%s", tg_last_error());
        tg_tape_reset();
    }
}

#endif
