/* axis.c -- result shapes, walks and gradient shapes of the reductions. */
#include "axis.h"

/* x's shape with the axes of mask set to 1 (keepdim) or removed; returns
 * the ndim. */
static int reduced_shape(const tg_tensor *x, unsigned mask, bool keepdim, int64_t *shape)
{
    int ndim = 0;
    for (int d = 0; d < x->ndim; d++) {
        if (!(mask >> d & 1u))
            shape[ndim++] = x->shape[d];
        else if (keepdim)
            shape[ndim++] = 1;
    }
    return ndim;
}

static unsigned all_axes(const tg_tensor *x) { return (1u << x->ndim) - 1u; }

tg_tensor *tg__reduction_new_mask(const char *fn, tg_tensor *x, unsigned mask, bool keepdim,
                                  tg_attr attr)
{
    if (tg__check(fn, x, 1) < 0)
        return NULL;
    int64_t shape[TG_MAX_DIMS];
    int ndim = reduced_shape(x, mask, keepdim, shape);
    tg_tensor *y = tg__tape_tensor(fn, (tg_dtype)x->dtype, ndim, shape);
    if (y) {
        y->attr = attr;
        y->attr.i.flag_a = (int32_t)mask;
    }
    return y;
}

tg_tensor *tg__reduction_new(const char *fn, tg_tensor *x, int axis, bool keepdim)
{
    int ax;
    if (tg__check(fn, x, 1) < 0 || tg__normalize_axis(fn, x, axis, &ax) < 0)
        return NULL;
    tg_attr attr = {.i = {.axis = ax, .keepdim = keepdim}};
    return tg__reduction_new_mask(fn, x, 1u << ax, keepdim, attr);
}

tg_tensor *tg__reduction_new_all(const char *fn, tg_tensor *x)
{
    if (tg__check(fn, x, 1) < 0)
        return NULL;
    tg_attr attr = {.i = {.axis = TG_ALL_AXES}};
    return tg__reduction_new_mask(fn, x, all_axes(x), false, attr);
}

int tg__axes_mask(const char *fn, const tg_tensor *x, int n_axes, const int *axes,
                  unsigned *mask)
{
    int rc = tg__check(fn, x, 1);
    if (rc < 0)
        return rc;
    if (n_axes < 0 || n_axes > TG_MAX_DIMS)
        return tg__fail(TG_EVALUE, "%s: %d axes; a list holds 0 to %d", fn, n_axes, TG_MAX_DIMS);
    if (n_axes > 0 && !axes)
        return tg__fail(TG_ENULL, "%s: %d axes but the list is NULL", fn, n_axes);
    *mask = n_axes == 0 ? all_axes(x) : 0;
    for (int k = 0; k < n_axes; k++) {
        int ax;
        if ((rc = tg__normalize_axis(fn, x, axes[k], &ax)) < 0)
            return rc;
        if (*mask >> ax & 1u)
            return tg__fail(TG_EAXIS, "%s: axis %d appears twice in the list of axes", fn, ax);
        *mask |= 1u << ax;
    }
    return TG_OK;
}

/* Appends axis d of x (size n, stride s) to the kept or the reduced list,
 * merged into the list's last axis when that was x's previous axis. */
static void add_axis(tg_reduce_plan *p, bool reduced, bool merge, int64_t n, int64_t s)
{
    int *nd = reduced ? &p->red_nd : &p->kept_nd;
    int64_t *shape = reduced ? p->red_shape : p->kept_shape;
    int64_t *stride = reduced ? p->red_stride : p->kept_stride;
    if (merge && *nd > 0) {
        shape[*nd - 1] *= n;
        stride[*nd - 1] = s;
        return;
    }
    shape[*nd] = n;
    stride[*nd] = s;
    (*nd)++;
}

void tg__reduce_plan(const tg_tensor *x, const tg_tensor *y, tg_reduce_plan *p)
{
    unsigned mask = (unsigned)y->attr.i.flag_a;
    p->kept_nd = p->red_nd = 0;
    p->n_out = p->n_red = 1;
    int previous = -1; /* the kind of the last axis added: 0 kept, 1 reduced */
    for (int d = 0; d < x->ndim; d++) {
        int64_t n = x->shape[d];
        bool reduced = mask >> d & 1u;
        *(reduced ? &p->n_red : &p->n_out) *= n;
        if (n == 1)
            continue; /* a size-1 axis moves no offset */
        int64_t stride = tg__shape_numel(x->ndim - d - 1, x->shape + d + 1);
        add_axis(p, reduced, previous == (int)reduced, n, stride);
        previous = (int)reduced;
    }
    int64_t last = p->red_nd ? p->red_shape[p->red_nd - 1] : 1;
    p->red_rows = last ? p->n_red / last : 0;
}

tg_tensor *tg__keepdim_grad(tg_tensor *g, const tg_tensor *out)
{
    const tg_tensor *x = out->in[0];
    /* kept axes, or a 0-d result, already broadcast against x */
    if (out->ndim == x->ndim || out->ndim == 0)
        return g;
    int64_t shape[TG_MAX_DIMS];
    int ndim = reduced_shape(x, (unsigned)out->attr.i.flag_a, true, shape);
    return tg_reshape(g, ndim, shape);
}

int64_t tg__reduced_count(const tg_tensor *out)
{
    const tg_tensor *x = out->in[0];
    unsigned mask = (unsigned)out->attr.i.flag_a;
    int64_t n = 1;
    for (int d = 0; d < x->ndim; d++)
        if (mask >> d & 1u)
            n *= x->shape[d];
    return n;
}

int tg__check_not_empty(const char *fn, const tg_tensor *x, const tg_tensor *out)
{
    tg_reduce_plan p;
    tg__reduce_plan(x, out, &p);
    if (p.n_red > 0 || p.n_out == 0)
        return TG_OK;
    char dims[96];
    tg__dims_str(x->ndim, x->shape, dims, sizeof dims);
    unsigned mask = (unsigned)out->attr.i.flag_a;
    if (mask == all_axes(x))
        return tg__fail(TG_ESHAPE, "%s: tensor of shape %s is empty; it has no extreme", fn, dims);
    int first = __builtin_ctz(mask);
    if (mask == 1u << first)
        return tg__fail(TG_ESHAPE, "%s: axis %d of shape %s is empty; it has no extreme", fn,
                        first, dims);
    return tg__fail(TG_ESHAPE, "%s: the reduced axes of shape %s are empty; they have no extreme",
                    fn, dims);
}
