/* axis.c -- result shapes and gradient shapes of the reductions. */
#include "axis.h"

/* x's shape with axis set to 1 (keepdim) or removed; returns the ndim. */
static int reduced_shape(const tg_tensor *x, int axis, bool keepdim, int64_t *shape)
{
    int ndim = 0;
    for (int d = 0; d < x->ndim; d++) {
        if (d != axis)
            shape[ndim++] = x->shape[d];
        else if (keepdim)
            shape[ndim++] = 1;
    }
    return ndim;
}

static tg_tensor *with_reduction_attr(tg_tensor *y, int axis, bool keepdim)
{
    if (y) {
        y->attr.i.axis = axis;
        y->attr.i.keepdim = keepdim;
    }
    return y;
}

tg_tensor *tg__reduction_new(const char *fn, tg_tensor *x, int axis, bool keepdim)
{
    int ax;
    if (tg__check(fn, x, 1) < 0 || tg__normalize_axis(fn, x, axis, &ax) < 0)
        return NULL;
    int64_t shape[TG_MAX_DIMS];
    int ndim = reduced_shape(x, ax, keepdim, shape);
    return with_reduction_attr(tg__tape_tensor(fn, (tg_dtype)x->dtype, ndim, shape), ax, keepdim);
}

tg_tensor *tg__reduction_new_all(const char *fn, tg_tensor *x)
{
    if (tg__check(fn, x, 1) < 0)
        return NULL;
    return with_reduction_attr(tg__tape_tensor(fn, (tg_dtype)x->dtype, 0, NULL), TG_ALL_AXES,
                               false);
}

void tg__reduction_split(const tg_tensor *x, const tg_tensor *y, int64_t *outer, int64_t *n,
                         int64_t *inner)
{
    if (y->attr.i.axis != TG_ALL_AXES) {
        tg__split_axis(x, y->attr.i.axis, outer, n, inner);
        return;
    }
    *outer = 1;
    *n = x->numel;
    *inner = 1;
}

tg_tensor *tg__keepdim_grad(tg_tensor *g, const tg_tensor *out)
{
    /* a 0-d gradient already broadcasts against anything */
    if (out->attr.i.axis == TG_ALL_AXES || out->attr.i.keepdim)
        return g;
    int64_t shape[TG_MAX_DIMS];
    int ndim = reduced_shape(out->in[0], out->attr.i.axis, true, shape);
    return tg_reshape(g, ndim, shape);
}
