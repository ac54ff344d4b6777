/* conv_check.h -- what the tests of the convolutions share: a result and
 * its gradients against a reference the test file computes in double by
 * the op's definition. */
#ifndef TG_CONV_CHECK_H
#define TG_CONV_CHECK_H

#include <stdlib.h>

#include "testutil.h"

/* y (and, for a seed g, the adjoints dx and dw, which start at 0) of the
 * case ctx, from x, w and b (NULL without a bias) */
typedef void (*cc_reference)(const void *ctx, const double *x, const double *w, const double *b,
                             const double *g, double *y, double *dx, double *dw);

static inline double *cc_values(tg_tensor *t)
{
    double *v = calloc((size_t)tg_numel(t) + 1, sizeof *v);
    ck_assert_ptr_nonnull(v);
    for (int64_t i = 0; i < tg_numel(t); i++)
        v[i] = tg_get(t, i);
    return v;
}

/* y = op(in[0], in[1], in[2] if bias) of case ctx: its values, and the
 * gradients of a drawn seed's sweep (db the seed's sum per channel),
 * against the reference, to tol. */
static inline void cc_check(tg_tensor *y, tg_tensor *const *in, bool bias, cc_reference ref,
                            const void *ctx, double tol)
{
    tu_assert_ok(y);
    int64_t ny = tg_numel(y), n = tg_shape(y)[0], oc = tg_shape(y)[1];
    int64_t plane = ny ? ny / (n * oc) : 0;
    tg_tensor *g = tu_rand(tg_dtype_of(y), TU_SHAPE(ny), -1, 1, false);
    double *xs = cc_values(in[0]), *ws = cc_values(in[1]), *bs = cc_values(in[2]);
    double *gs = cc_values(g), *yr = calloc((size_t)ny + 1, sizeof *yr);
    double *dx = calloc((size_t)tg_numel(in[0]) + 1, sizeof *dx);
    double *dw = calloc((size_t)tg_numel(in[1]) + 1, sizeof *dw);
    ck_assert(yr && dx && dw);
    ref(ctx, xs, ws, bias ? bs : NULL, gs, yr, dx, dw);
    ck_assert_int_eq(tg_backward_ex(y, tg_reshape(g, tg_ndim(y), tg_shape(y)), 0), 0);
    for (int64_t i = 0; i < ny; i++)
        tu_assert_close(tg_get(y, i), yr[i], tol);
    for (int64_t i = 0; i < tg_numel(in[0]); i++)
        tu_assert_close(tg_grad_get(in[0], i), dx[i], tol);
    for (int64_t i = 0; i < tg_numel(in[1]); i++)
        tu_assert_close(tg_grad_get(in[1], i), dw[i], tol);
    for (int64_t o = 0; bias && o < oc; o++) {
        double s = 0;
        for (int64_t k = 0; k < n; k++)
            for (int64_t i = 0; i < plane; i++)
                s += gs[(k * oc + o) * plane + i];
        tu_assert_close(tg_grad_get(in[2], o), s, tol);
    }
    free(xs);
    free(ws);
    free(bs);
    free(gs);
    free(yr);
    free(dx);
    free(dw);
}

#endif
