/*
 * index_select.c -- index_select and index_add along one axis, each the
 * other's adjoint, and tg_index_tensor for indices that C code holds.
 *
 *   index_select(x, axis, idx)  y[.., k, ..] = x[.., idx[k], ..]
 *                               dx = index_add(zeros(x), axis, idx, g)
 *   index_add(x, axis, idx, s)  y = x; y[.., idx[k], ..] += s[.., k, ..]
 *                               dx = g, ds = index_select(g, axis, idx)
 *
 * idx is a 0-d or 1-d tensor of either float dtype holding whole numbers
 * (negative ones count from the end); it gets no gradient. index_add adds
 * every entry, so repeated indices accumulate: that is what makes it the
 * backward of a gather that repeats an element.
 */
#include <string.h>

#include "gather_map.h"
#include "jvp.h"

static int check_index_vector(const char *fn, const tg_tensor *idx)
{
    if (idx->ndim <= 1)
        return TG_OK;
    char dims[96];
    return tg__fail(TG_ESHAPE, "%s: the index must be 0-d or 1-d, not %s", fn,
                    tg__dims_str(idx->ndim, idx->shape, dims, sizeof dims));
}

static int index_select_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    tg_tensor *x = out->in[0];
    grad_in[0] = tg_index_add(tg__zeros_like(x), out->attr.i.axis, out->in[1], g);
    grad_in[1] = NULL;
    return grad_in[0] ? TG_OK : tg__latest_code();
}

static int index_add_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = g;
    grad_in[1] = NULL;
    grad_in[2] = tg_index_select(g, out->attr.i.axis, out->in[1]);
    return grad_in[2] ? TG_OK : tg__latest_code();
}

/* Both are linear in their tensors; the index carries no tangent. */
TG_JVP_FN(index_select_jvp, tg_index_select(t, out->attr.i.axis, out->in[1]))

/* index_add(tx, axis, idx, ts), a missing tangent standing as zeros. */
static int index_add_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    tg_tensor *tx = tangent_in[0], *ts = tangent_in[2];
    *tangent_out = tx;
    if (!ts)
        return TG_OK;
    *tangent_out = tg_index_add(tx ? tx : tg__zeros_like(out), out->attr.i.axis, out->in[1], ts);
    return *tangent_out ? TG_OK : tg__latest_code();
}

/* The last element twice and the first once: repeats accumulate. */
static tg_tensor *sample_index_select(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    tg_tensor *idx = tg_index_tensor(1, (int64_t[]){3}, (int64_t[]){-1, 0, -1});
    return tg_index_select(in[0], 1, idx);
}

/* Rows of s added to rows 0, 0, 1, ... of x. */
static tg_tensor *sample_index_add(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    int64_t rows = tg_shape(in[1])[0], pos[4];
    for (int64_t k = 0; k < rows; k++)
        pos[k] = k / 2;
    return tg_index_add(in[0], 0, tg_index_tensor(1, &rows, pos), in[1]);
}

/* below, beside the kernels they share with the forward */
static int index_select_rerun(tg_tensor *out);
static int index_add_rerun(tg_tensor *out);

const tg_op tg__op_index_select = {
    .info = {TG_OP_INDEX_SELECT, "tg_index_select", 2, TG_OP_AXIS,
             {sample_index_select, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = index_select_backward,
    .jvp = index_select_jvp,
    .rerun = index_select_rerun,
};

const tg_op tg__op_index_add = {
    .info = {TG_OP_INDEX_ADD, "tg_index_add", 3, TG_OP_AXIS,
             {sample_index_add, 2, TG_SAMPLE_SAME, {TG_SAMPLE_ANY, TG_SAMPLE_ANY}}},
    .backward = index_add_backward,
    .jvp = index_add_jvp,
    .rerun = index_add_rerun,
};

tg_tensor *tg_index_tensor(int ndim, const int64_t *shape, const int64_t *values)
{
    const char *fn = "tg_index_tensor";
    if (!values)
        return tg__fail(TG_ENULL, "%s: argument 3 (values) is NULL", fn), NULL;
    tg_tensor *t = tg_tensor_new(TG_F64, ndim, shape, NULL, false);
    if (!t)
        return NULL;
    double *d = t->data;
    for (int64_t k = 0; k < t->numel; k++) {
        if (values[k] > ((int64_t)1 << 53) || values[k] < -((int64_t)1 << 53))
            return tg__fail(TG_EVALUE, "%s: value %lld at position %lld exceeds 2^53", fn,
                            (long long)values[k], (long long)k), NULL;
        d[k] = (double)values[k];
    }
    return t;
}

/* y[o, k, i] = x[o, pos[k], i], x viewed as [outer, n, inner] around the
 * axis and y as [outer, K, inner]. */
static void select_kernel(tg_tensor *y, const tg_tensor *x, const int64_t *pos, int64_t n,
                          int64_t K, int64_t inner)
{
    TG_FOR_DTYPE(x->dtype, T, {
        const T *src = x->data;
        T *dst = y->data;
        TG_PARALLEL_FOR(y->numel, e, {
            int64_t r = e / inner;
            dst[e] = src[((r / K) * n + pos[r % K]) * inner + e % inner];
        });
    });
}

/* y[o, pos[k], i] += s[o, k, i]; serial, since positions may repeat. */
static void add_kernel(tg_tensor *y, const tg_tensor *s, const int64_t *pos, int64_t n,
                       int64_t K, int64_t inner)
{
    TG_FOR_DTYPE(y->dtype, T, {
        const T *src = s->data;
        T *dst = y->data;
        for (int64_t e = 0; e < s->numel; e++) {
            int64_t r = e / inner;
            dst[((r / K) * n + pos[r % K]) * inner + e % inner] += src[e];
        }
    });
}

/* The reruns read the positions again: idx is data too, and new values
 * of the same length keep the result's shape. */
static int index_select_rerun(tg_tensor *out)
{
    tg_tensor *x = out->in[0], *idx = out->in[1];
    int ax = out->attr.i.axis;
    int64_t *pos, outer, n, inner;
    tg__split_axis(x, ax, &outer, &n, &inner);
    int rc = tg__read_indices(out->op->info.name, idx, ax, n, &pos);
    if (rc < 0)
        return rc;
    if (out->numel)
        select_kernel(out, x, pos, n, idx->numel, inner);
    return TG_OK;
}

static int index_add_rerun(tg_tensor *out)
{
    tg_tensor *x = out->in[0], *idx = out->in[1], *src = out->in[2];
    int ax = out->attr.i.axis;
    int64_t *pos, outer, n, inner;
    tg__split_axis(x, ax, &outer, &n, &inner);
    int rc = tg__read_indices(out->op->info.name, idx, ax, n, &pos);
    if (rc < 0)
        return rc;
    memcpy(out->data, x->data, (size_t)x->numel * tg__dtype_size((tg_dtype)x->dtype));
    if (src->numel)
        add_kernel(out, src, pos, n, idx->numel, inner);
    return TG_OK;
}

/* Checks x, idx and the axis; the positions go to *pos, the normalised axis
 * to *ax and x's view around it to outer, n, inner. */
static int index_args(const char *fn, tg_tensor *x, int axis, tg_tensor *idx, int idx_arg,
                      int *ax, int64_t **pos, int64_t *outer, int64_t *n, int64_t *inner)
{
    int rc = tg__check(fn, x, 1);
    if (rc == 0)
        rc = tg__check(fn, idx, idx_arg);
    if (rc == 0)
        rc = check_index_vector(fn, idx);
    if (rc == 0)
        rc = tg__normalize_axis(fn, x, axis, ax);
    if (rc < 0)
        return rc;
    tg__split_axis(x, *ax, outer, n, inner);
    return tg__read_indices(fn, idx, *ax, *n, pos);
}

tg_tensor *tg_index_select(tg_tensor *x, int axis, tg_tensor *idx)
{
    const char *fn = tg__op_index_select.info.name;
    int ax;
    int64_t *pos, outer, n, inner, shape[TG_MAX_DIMS];
    if (index_args(fn, x, axis, idx, 3, &ax, &pos, &outer, &n, &inner) < 0)
        return NULL;
    memcpy(shape, x->shape, sizeof shape);
    shape[ax] = idx->numel;
    tg_tensor *y = tg__tape_tensor(fn, (tg_dtype)x->dtype, x->ndim, shape);
    if (!y)
        return NULL;
    y->attr.i.axis = ax;
    if (y->numel)
        select_kernel(y, x, pos, n, idx->numel, inner);
    tg_tensor *in[2] = {x, idx};
    return tg__record(y, &tg__op_index_select, 2, in);
}

static int check_source_shape(const char *fn, const tg_tensor *x, int ax, const tg_tensor *idx,
                              const tg_tensor *src)
{
    bool ok = src->ndim == x->ndim;
    for (int d = 0; ok && d < x->ndim; d++)
        ok = src->shape[d] == (d == ax ? idx->numel : x->shape[d]);
    if (ok)
        return tg__check_same_dtype(fn, x, src);
    char a[96], b[96];
    return tg__fail(TG_ESHAPE,
                    "%s: the source %s must have the input's shape %s with axis %d of size %lld "
                    "(the index's length)",
                    fn, tg__dims_str(src->ndim, src->shape, a, sizeof a),
                    tg__dims_str(x->ndim, x->shape, b, sizeof b), ax, (long long)idx->numel);
}

tg_tensor *tg_index_add(tg_tensor *x, int axis, tg_tensor *idx, tg_tensor *src)
{
    const char *fn = tg__op_index_add.info.name;
    int ax;
    int64_t *pos, outer, n, inner;
    if (tg__check(fn, src, 4) < 0 ||
        index_args(fn, x, axis, idx, 3, &ax, &pos, &outer, &n, &inner) < 0 ||
        check_source_shape(fn, x, ax, idx, src) < 0)
        return NULL;
    tg_tensor *y = tg__tape_tensor(fn, (tg_dtype)x->dtype, x->ndim, x->shape);
    if (!y)
        return NULL;
    y->attr.i.axis = ax;
    memcpy(y->data, x->data, (size_t)x->numel * tg__dtype_size((tg_dtype)x->dtype));
    if (src->numel)
        add_kernel(y, src, pos, n, idx->numel, inner);
    tg_tensor *in[3] = {x, idx, src};
    return tg__record(y, &tg__op_index_add, 3, in);
}
