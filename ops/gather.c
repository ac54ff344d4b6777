/*
 * gather.c -- gather(x, axis, idx) and scatter_add(x, axis, idx, src)
 * (torch.gather, torch.scatter_add), each the other's adjoint;
 * take_along_axis is NumPy's name for gather.
 *
 *   gather       y[.., k, ..] = x[.., idx[.., k, ..], ..] (the index replaces
 *                the coordinate along axis); y has idx's shape
 *                dx = scatter_add(zeros(x), axis, idx, g)
 *   scatter_add  y = x; y[.., idx[.., k, ..], ..] += src[.., k, ..]
 *                dx = g, dsrc = gather(g, axis, idx)
 *
 * idx has x's number of axes and, off the axis, sizes no larger than x's
 * (PyTorch's rule); its values are whole numbers of either float dtype,
 * negative ones counting from the end (NumPy's take_along_axis; PyTorch
 * refuses them). scatter_add's src must have idx's shape (PyTorch also
 * takes a larger src and reads its idx-shaped corner). Repeated indices
 * accumulate.
 */
#include <string.h>

#include "gather_map.h"
#include "jvp.h"

static int gather_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_scatter_add(tg__zeros_like(out->in[0]), out->attr.i.axis, out->in[1], g);
    grad_in[1] = NULL;
    return grad_in[0] ? TG_OK : tg__latest_code();
}

static int scatter_add_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = g;
    grad_in[1] = NULL;
    grad_in[2] = tg_gather(g, out->attr.i.axis, out->in[1]);
    return grad_in[2] ? TG_OK : tg__latest_code();
}

/* Both are linear in their tensors; the index carries no tangent. */
TG_JVP_FN(gather_jvp, tg_gather(t, out->attr.i.axis, out->in[1]))

/* scatter_add(tx, axis, idx, tsrc), a missing tangent standing as zeros. */
static int scatter_add_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    tg_tensor *tx = tangent_in[0], *tsrc = tangent_in[2];
    *tangent_out = tx;
    if (!tsrc)
        return TG_OK;
    tg_tensor *base = tx ? tx : tg__zeros_like(out);
    *tangent_out = tg_scatter_add(base, out->attr.i.axis, out->in[1], tsrc);
    return *tangent_out ? TG_OK : tg__latest_code();
}

/* An index of shape [rows, cols] into an axis of size n, repeating values. */
static tg_tensor *sample_index(int64_t rows, int64_t cols, int64_t n)
{
    int64_t pos[4 * 5];
    for (int64_t k = 0; k < rows * cols; k++)
        pos[k] = (k * 3 + 1) % n;
    return tg_index_tensor(2, (int64_t[]){rows, cols}, pos);
}

static tg_tensor *sample_gather(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    const int64_t *s = tg_shape(in[0]);
    return tg_gather(in[0], 1, sample_index(s[0], s[1] > 2 ? s[1] - 1 : s[1], s[1]));
}

static tg_tensor *sample_scatter_add(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    const int64_t *s = tg_shape(in[0]);
    return tg_scatter_add(in[0], 1, sample_index(s[0], s[1], s[1]), in[1]);
}

/* below, beside the kernels they share with the forward */
static int gather_rerun(tg_tensor *out);
static int scatter_add_rerun(tg_tensor *out);

const tg_op tg__op_gather = {
    .info = {TG_OP_GATHER, "tg_gather", 2, TG_OP_AXIS,
             {sample_gather, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = gather_backward,
    .jvp = gather_jvp,
    .rerun = gather_rerun,
};

const tg_op tg__op_scatter_add = {
    .info = {TG_OP_SCATTER_ADD, "tg_scatter_add", 3, TG_OP_AXIS,
             {sample_scatter_add, 2, TG_SAMPLE_SAME, {TG_SAMPLE_ANY, TG_SAMPLE_ANY}}},
    .backward = scatter_add_backward,
    .jvp = scatter_add_jvp,
    .rerun = scatter_add_rerun,
};

static int check_index_shape(const char *fn, const tg_tensor *x, int ax, const tg_tensor *idx)
{
    bool ok = idx->ndim == x->ndim;
    for (int d = 0; ok && d < x->ndim; d++)
        ok = d == ax || idx->shape[d] <= x->shape[d];
    if (ok)
        return TG_OK;
    char a[96], b[96];
    return tg__fail(TG_ESHAPE,
                    "%s: the index %s must have the %d axes of x %s, none larger off axis %d",
                    fn, tg__dims_str(idx->ndim, idx->shape, a, sizeof a), x->ndim,
                    tg__dims_str(x->ndim, x->shape, b, sizeof b), ax);
}

/* The flat offset into x of each element of idx: its own coordinates off
 * the axis, its value along it. */
static int64_t *offsets(const char *fn, tg_tensor *x, int ax, tg_tensor *idx)
{
    int64_t *pos, stride[TG_MAX_DIMS], *tables[TG_MAX_DIMS];
    if (tg__read_indices(fn, idx, ax, x->shape[ax], &pos) < 0)
        return NULL;
    tg__strides(x, stride);
    tg_tensor *map = tg__tape_tensor(fn, TG_F64, idx->ndim, idx->shape);
    for (int d = 0; map && d < idx->ndim; d++) {
        if (!(tables[d] = tg__map_table(fn, idx->shape[d])))
            return NULL;
        for (int64_t i = 0; i < idx->shape[d]; i++)
            tables[d][i] = d == ax ? 0 : i * stride[d];
    }
    if (!map)
        return NULL;
    tg__map_fill_tables(map, idx->ndim, idx->shape, tables, 0);
    const double *m = map->data;
    for (int64_t k = 0; k < idx->numel; k++)
        pos[k] = (int64_t)m[k] + pos[k] * stride[ax];
    return pos;
}

static int64_t *gather_args(const char *fn, tg_tensor *x, int axis, tg_tensor *idx, int *ax)
{
    if (tg__check(fn, x, 1) < 0 || tg__check(fn, idx, 3) < 0 ||
        tg__normalize_axis(fn, x, axis, ax) < 0 || check_index_shape(fn, x, *ax, idx) < 0)
        return NULL;
    return offsets(fn, x, *ax, idx);
}

static void gather_kernel(tg_tensor *y, const tg_tensor *x, const int64_t *off)
{
    TG_FOR_DTYPE(x->dtype, T, {
        const T *src = x->data;
        T *dst = y->data;
        TG_PARALLEL_FOR(y->numel, e, dst[e] = src[off[e]]);
    });
}

/* y = x, then y[off[e]] += src[e] */
static void scatter_add_kernel(tg_tensor *y, const tg_tensor *x, const int64_t *off,
                               const tg_tensor *src)
{
    memcpy(y->data, x->data, (size_t)x->numel * tg__dtype_size((tg_dtype)x->dtype));
    TG_FOR_DTYPE(x->dtype, T, {
        const T *s = src->data;
        T *dst = y->data;
        for (int64_t e = 0; e < src->numel; e++) /* serial: offsets may repeat */
            dst[off[e]] += s[e];
    });
}

/* The reruns read the offsets again: idx is data too, and new values in
 * the same shape keep the result's. */
static int gather_rerun(tg_tensor *out)
{
    int64_t *off = offsets(out->op->info.name, out->in[0], out->attr.i.axis, out->in[1]);
    if (!off)
        return tg__latest_code();
    gather_kernel(out, out->in[0], off);
    return TG_OK;
}

static int scatter_add_rerun(tg_tensor *out)
{
    int64_t *off = offsets(out->op->info.name, out->in[0], out->attr.i.axis, out->in[1]);
    if (!off)
        return tg__latest_code();
    scatter_add_kernel(out, out->in[0], off, out->in[2]);
    return TG_OK;
}

/* tg_gather's work for it and tg_take_along_axis: errors name fn, the
 * function called. */
static tg_tensor *gather_as(const char *fn, tg_tensor *x, int axis, tg_tensor *idx)
{
    int ax;
    int64_t *off = gather_args(fn, x, axis, idx, &ax);
    tg_tensor *y = off ? tg__tape_tensor(fn, (tg_dtype)x->dtype, idx->ndim, idx->shape) : NULL;
    if (!y)
        return NULL;
    y->attr.i.axis = ax;
    gather_kernel(y, x, off);
    tg_tensor *in[2] = {x, idx};
    return tg__record(y, &tg__op_gather, 2, in);
}

tg_tensor *tg_gather(tg_tensor *x, int axis, tg_tensor *idx)
{
    return gather_as(tg__op_gather.info.name, x, axis, idx);
}

tg_tensor *tg_take_along_axis(tg_tensor *x, tg_tensor *idx, int axis)
{
    const char *fn = "tg_take_along_axis";
    if (tg__check(fn, x, 1) < 0 || tg__check(fn, idx, 2) < 0)
        return NULL;
    return gather_as(fn, x, axis, idx);
}

tg_tensor *tg_scatter_add(tg_tensor *x, int axis, tg_tensor *idx, tg_tensor *src)
{
    const char *fn = tg__op_scatter_add.info.name;
    int ax;
    if (tg__check(fn, src, 4) < 0)
        return NULL;
    int64_t *off = gather_args(fn, x, axis, idx, &ax);
    if (!off)
        return NULL;
    if (!tg__same_shape(src, idx)) {
        char a[96], b[96];
        return tg__fail(TG_ESHAPE, "%s: the source %s must have the index's shape %s", fn,
                        tg__dims_str(src->ndim, src->shape, a, sizeof a),
                        tg__dims_str(idx->ndim, idx->shape, b, sizeof b)), NULL;
    }
    if (tg__check_same_dtype(fn, x, src) < 0)
        return NULL;
    tg_tensor *y = tg__tape_tensor(fn, (tg_dtype)x->dtype, x->ndim, x->shape);
    if (!y)
        return NULL;
    y->attr.i.axis = ax;
    scatter_add_kernel(y, x, off, src);
    tg_tensor *in[3] = {x, idx, src};
    return tg__record(y, &tg__op_scatter_add, 3, in);
}
