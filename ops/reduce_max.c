/*
 * reduce_max.c -- largest and smallest elements, over every element or along
 * one axis.
 *
 *   forward   y[o,i] = max_j x[o,j,i] (or min), with x viewed as
 *             [outer, n, inner] around the axis; a NaN wins, so it
 *             propagates as in PyTorch
 *   backward  dx = g' * onehot, where g' is g with the reduced axis restored
 *             as size 1 and onehot is a constant of x's shape holding 1 at
 *             the first extreme element of each reduced slice
 *
 * Ties send the whole gradient to the first extreme element, as PyTorch does
 * for max with a single index. The forward saves that element's position
 * along the axis (the flat index for a reduction over everything) in a
 * constant f64 tensor of y's shape; it is recorded as a second input that
 * never requires grad, so the backward rule reads the choice made in the
 * forward even if x is overwritten later. Reducing an empty slice is an
 * error: there is no extreme to pick.
 */
#include <math.h>

#include "axis.h"

/* Whether v replaces best as the running extreme; only a strictly better
 * value does, which keeps the first of equal elements. */
static bool beats(double v, double best, bool want_max)
{
    if (isnan(best))
        return false;
    if (isnan(v))
        return true;
    return want_max ? v > best : v < best;
}

static void extreme_kernel(tg_tensor *y, tg_tensor *where, const tg_tensor *x, bool want_max)
{
    int64_t outer, n, inner;
    tg__reduction_split(x, y, &outer, &n, &inner);
    double *pos = where->data;
    TG_FOR_DTYPE(x->dtype, T, {
        const T *src = x->data;
        T *dst = y->data;
        for (int64_t o = 0; o < outer; o++) {
            for (int64_t i = 0; i < inner; i++) {
                const T *slice = src + o * n * inner + i;
                int64_t best = 0;
                for (int64_t j = 1; j < n; j++)
                    if (beats(slice[j * inner], slice[best * inner], want_max))
                        best = j;
                dst[o * inner + i] = slice[best * inner];
                pos[o * inner + i] = (double)best;
            }
        }
    });
}

/* The constant that routes g to the saved positions of out's extremes. */
static tg_tensor *onehot(const tg_tensor *out)
{
    const tg_tensor *x = out->in[0], *where = out->in[1];
    tg_tensor *mask = tg__zeros_like(x);
    if (!mask)
        return NULL;
    int64_t outer, n, inner;
    tg__reduction_split(x, out, &outer, &n, &inner);
    const double *pos = where->data;
    for (int64_t k = 0; k < where->numel; k++) {
        int64_t o = k / inner, i = k % inner, j = (int64_t)pos[k];
        tg__store(mask, (o * n + j) * inner + i, 1.0);
    }
    return mask;
}

static int extreme_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    tg_tensor *mask = onehot(out);
    if (!mask)
        return tg__latest_code();
    grad_in[0] = tg_mul(tg__keepdim_grad(g, out), mask);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

static int check_not_empty(const char *fn, const tg_tensor *x, const tg_tensor *y)
{
    int64_t outer, n, inner;
    tg__reduction_split(x, y, &outer, &n, &inner);
    if (n > 0 || outer * inner == 0)
        return TG_OK;
    char dims[96];
    if (y->attr.i.axis == TG_ALL_AXES)
        return tg__fail(TG_ESHAPE, "%s: tensor of shape %s is empty; it has no extreme", fn,
                        tg__dims_str(x->ndim, x->shape, dims, sizeof dims));
    return tg__fail(TG_ESHAPE, "%s: axis %d of shape %s is empty; it has no extreme", fn,
                    (int)y->attr.i.axis, tg__dims_str(x->ndim, x->shape, dims, sizeof dims));
}

/* Fills the result made by tg__reduction_new(_all) and records it together
 * with the positions of the chosen elements. */
static tg_tensor *finish(const tg_op *op, tg_tensor *y, tg_tensor *x, bool want_max)
{
    if (!y || check_not_empty(op->info.name, x, y) < 0)
        return NULL;
    tg_tensor *where = tg__tape_tensor(op->info.name, TG_F64, y->ndim, y->shape);
    if (!where)
        return NULL;
    extreme_kernel(y, where, x, want_max);
    tg_tensor *in[2] = {x, where};
    return tg__record(y, op, 2, in);
}

TG_SAMPLE_FN(sample_max, tg_max(in[0]))

const tg_op tg__op_max = {
    .info = {TG_OP_MAX, "tg_max", 1, TG_OP_HELPER_INPUT,
             {sample_max, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}, .distinct = true}},
    .backward = extreme_backward,
};
TG_SAMPLE_FN(sample_min, tg_min(in[0]))

const tg_op tg__op_min = {
    .info = {TG_OP_MIN, "tg_min", 1, TG_OP_HELPER_INPUT,
             {sample_min, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}, .distinct = true}},
    .backward = extreme_backward,
};
TG_SAMPLE_FN(sample_max_axis, tg_max_axis(in[0], 0, false))

const tg_op tg__op_max_axis = {
    .info = {TG_OP_MAX_AXIS, "tg_max_axis", 1, TG_OP_AXIS | TG_OP_HELPER_INPUT,
             {sample_max_axis, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}, .distinct = true}},
    .backward = extreme_backward,
};
TG_SAMPLE_FN(sample_min_axis, tg_min_axis(in[0], -1, true))

const tg_op tg__op_min_axis = {
    .info = {TG_OP_MIN_AXIS, "tg_min_axis", 1, TG_OP_AXIS | TG_OP_HELPER_INPUT,
             {sample_min_axis, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}, .distinct = true}},
    .backward = extreme_backward,
};

tg_tensor *tg_max(tg_tensor *x)
{
    return finish(&tg__op_max, tg__reduction_new_all(tg__op_max.info.name, x), x, true);
}

tg_tensor *tg_min(tg_tensor *x)
{
    return finish(&tg__op_min, tg__reduction_new_all(tg__op_min.info.name, x), x, false);
}

tg_tensor *tg_max_axis(tg_tensor *x, int axis, bool keepdim)
{
    return finish(&tg__op_max_axis, tg__reduction_new(tg__op_max_axis.info.name, x, axis, keepdim), x, true);
}

tg_tensor *tg_min_axis(tg_tensor *x, int axis, bool keepdim)
{
    return finish(&tg__op_min_axis, tg__reduction_new(tg__op_min_axis.info.name, x, axis, keepdim), x, false);
}
