/* norm_check.h -- what the normalization ops' tests share: the definition
 * as a direct loop in double, and the first- and second-order gradient
 * checks in both dtypes. Included by tests/test_*_norm.c. */
#ifndef TG_NORM_CHECK_H
#define TG_NORM_CHECK_H

#include <string.h>

#include "testutil.h"

/* f32 second differences of f32 gradients: test_gradgrad.c's step */
static const tg_gradcheck_opts nc_f32_opts = {1e-2, 2e-2, 2e-2};

/* x read as [outer, groups, inner], each group normalized over its outer
 * and inner elements (about 0 instead of the mean when !center), then
 * times w and plus b, element i taking entry (i / stride) % channels
 * (NULL: 1 and 0). */
static inline void nc_reference(const double *x, int64_t outer, int64_t groups, int64_t inner,
                                double eps, bool center, const double *w, const double *b,
                                int64_t channels, int64_t stride, double *y)
{
    double n = (double)(outer * inner);
    for (int64_t g = 0; g < groups; g++) {
        double mean = 0, var = 0;
        for (int64_t a = 0; center && a < outer; a++)
            for (int64_t d = 0; d < inner; d++)
                mean += x[(a * groups + g) * inner + d] / n;
        for (int64_t a = 0; a < outer; a++)
            for (int64_t d = 0; d < inner; d++) {
                double dev = x[(a * groups + g) * inner + d] - mean;
                var += dev * dev / n;
            }
        for (int64_t a = 0; a < outer; a++)
            for (int64_t d = 0; d < inner; d++) {
                int64_t i = (a * groups + g) * inner + d, c = i / stride % channels;
                y[i] = (x[i] - mean) / sqrt(var + eps) * (w ? w[c] : 1) + (b ? b[c] : 0);
            }
    }
}

/* the last k sizes of x: a normalized shape */
static inline tu_shape nc_trailing(const tu_shape *x, int k)
{
    tu_shape s = {k, {0}};
    for (int a = 0; a < k; a++)
        s.d[a] = x->d[x->ndim - k + a];
    return s;
}

static inline int64_t nc_numel(const tu_shape *s)
{
    int64_t n = 1;
    for (int a = 0; a < s->ndim; a++)
        n *= s->d[a];
    return n;
}

static inline void nc_values(const tg_tensor *t, double *out)
{
    for (int64_t i = 0; i < tg_numel(t); i++)
        out[i] = tg_get(t, i);
}

/* tg's result against the reference, to tol relative */
static inline void nc_assert_values(const tg_tensor *y, const double *want, double tol)
{
    for (int64_t i = 0; i < tg_numel(y); i++)
        tu_assert_close(tg_get(y, i), want[i], tol);
}

/* gradcheck and gradgradcheck of f on inputs of shapes in [-1, 1], in f32
 * and f64 */
static inline void nc_gradchecks(tg_fn f, void *ctx, int n, const tu_shape *shapes)
{
    tu_gradcheck_both(f, ctx, n, shapes, -1, 1);
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *in[3];
        for (int k = 0; k < n; k++)
            in[k] = tu_rand((tg_dtype)dt, shapes[k], -1, 1, true);
        int rc = tg_gradgradcheck(f, ctx, n, in, dt == TG_F32 ? &nc_f32_opts : NULL, NULL);
        ck_assert_msg(rc == 0, "gradgradcheck (%s): %s", tg_dtype_name((tg_dtype)dt),
                      tg_last_error());
        tg_tape_reset();
    }
}


/* The fused first-order backward (a plain sweep) against the composed rule
 * (the same sweep recorded), for every input of f, in both dtypes. A seed
 * that requires grad makes the recorded rule's results require grad, which
 * shows the composed path really ran. */
static inline void nc_check_fused(tg_fn f, void *ctx, int n, const tu_shape *shapes)
{
    for (int dt = TG_F32; dt <= TG_F64; dt++) {
        tg_tensor *in[3], *composed[3];
        for (int k = 0; k < n; k++)
            in[k] = tu_rand((tg_dtype)dt, shapes[k], -1, 1, true);
        tg_tensor *y = f(in, ctx);
        tu_assert_ok(y);
        tu_shape ys = {tg_ndim(y), {0}};
        memcpy(ys.d, tg_shape(y), (size_t)ys.ndim * sizeof *ys.d);
        tg_tensor *seed = tu_rand((tg_dtype)dt, ys, -1, 1, true);
        ck_assert_int_eq(tg_backward_ex(y, seed, TG_RETAIN_GRAPH), 0);
        ck_assert_int_eq(tg_grad_ex(&y, &seed, 1, in, n, composed, TG_CREATE_GRAPH), 0);
        for (int k = 0; k < n; k++) {
            ck_assert(tg_requires_grad(composed[k]));
            for (int64_t i = 0; i < tg_numel(in[k]); i++)
                tu_assert_close(tg_grad_get(in[k], i), tg_get(composed[k], i),
                                dt == TG_F32 ? 1e-4 : 1e-12);
        }
        tg_tape_reset();
    }
}

#endif
