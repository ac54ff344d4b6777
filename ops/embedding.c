/*
 * embedding.c -- embedding(weight, idx, padding_idx) looks up rows of a
 * [num, dim] weight (F.embedding); one_hot(idx, num_classes) (F.one_hot).
 *
 *   embedding  y[.., :] = weight[idx[..], :], of shape idx's + [dim];
 *              dweight = index_add(zeros, 0, idx, g as rows), with the rows
 *              of g that looked up padding_idx zeroed: that row gets no
 *              gradient (PyTorch), though it is looked up as it is.
 *              TG_NO_PADDING for none; a negative padding_idx counts from
 *              the end, as in PyTorch
 *   one_hot    y[.., c] = [idx[..] == c], of shape idx's + [num_classes],
 *              in idx's dtype; num_classes -1 takes max(idx) + 1. Indices
 *              must lie in 0..num_classes-1 (negative ones are refused, as
 *              PyTorch does). No gradient: it is piecewise constant
 *
 * Indices are whole numbers of either float dtype (gather_map.h).
 */
#include <string.h>

#include "gather_map.h"
#include "jvp.h"

/* Rows of g that looked up padding_idx (attr.f, -1 for none) zeroed. */
static tg_tensor *masked_rows(const tg_tensor *out, tg_tensor *g2d)
{
    if (out->attr.f < 0)
        return g2d;
    const tg_tensor *idx = out->in[1];
    int64_t n = out->in[0]->shape[0];
    tg_tensor *keep = tg_tensor_new((tg_dtype)g2d->dtype, 2, (int64_t[]){idx->numel, 1}, NULL,
                                    false);
    if (!keep)
        return NULL;
    for (int64_t k = 0; k < idx->numel; k++) {
        double v = tg__load(idx, k), row = v < 0 ? v + (double)n : v;
        tg__store(keep, k, row == out->attr.f ? 0 : 1);
    }
    return tg_mul(g2d, keep);
}

static int embedding_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    tg_tensor *w = out->in[0], *idx = out->in[1];
    tg_tensor *rows = tg_reshape(g, 2, (int64_t[]){idx->numel, w->shape[1]});
    tg_tensor *flat = tg_reshape(idx, 1, (int64_t[]){-1});
    grad_in[0] = tg_index_add(tg__zeros_like(w), 0, flat, rows ? masked_rows(out, rows) : NULL);
    grad_in[1] = NULL;
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* The weight's tangent looked up as the weight was, with the rows that
 * looked up padding_idx zeroed as the backward zeroes their gradient, so
 * that the two modes are each other's transpose. */
static tg_tensor *looked_up_tangent(tg_tensor *out, tg_tensor *t)
{
    const tg_tensor *idx = out->in[1];
    tg_tensor *rows = tg_reshape(tg_embedding(t, out->in[1], TG_NO_PADDING), 2,
                                 (int64_t[]){idx->numel, t->shape[1]});
    return rows ? tg_reshape(masked_rows(out, rows), out->ndim, out->shape) : NULL;
}
TG_JVP_FN(embedding_jvp, looked_up_tangent(out, t))

static int no_gradient(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    (void)out;
    (void)g;
    grad_in[0] = NULL;
    return TG_OK;
}

static void lookup_kernel(tg_tensor *y, const tg_tensor *weight, const int64_t *pos)
{
    int64_t dim = weight->shape[1];
    TG_FOR_DTYPE(weight->dtype, T, {
        const T *src = weight->data;
        T *dst = y->data;
        TG_PARALLEL_FOR(y->numel, e, dst[e] = src[pos[e / dim] * dim + e % dim]);
    });
}

static void one_hot_kernel(tg_tensor *y, const tg_tensor *idx, int64_t classes)
{
    TG_FOR_DTYPE(idx->dtype, T, {
        const T *src = idx->data;
        T *dst = y->data;
        TG_PARALLEL_FOR(y->numel, e, dst[e] = (T)(src[e / classes] == (T)(e % classes)));
    });
}

/* The rows to look up are read again: idx is data too. */
static int embedding_rerun(tg_tensor *out)
{
    int64_t *pos;
    int rc = tg__read_indices(out->op->info.name, out->in[1], 0, out->in[0]->shape[0], &pos);
    if (rc < 0)
        return rc;
    lookup_kernel(out, out->in[0], pos);
    return TG_OK;
}

static int check_classes(const char *fn, const tg_tensor *idx, int64_t classes);
static int64_t count_classes(const tg_tensor *idx);

/* The classes of the capture stand; with num_classes -1 (attr.i.flag_a)
 * they were max(idx) + 1, and new indices that count another number would
 * change the result's shape: refused. */
static int one_hot_rerun(tg_tensor *out)
{
    const char *fn = out->op->info.name;
    const tg_tensor *idx = out->in[0];
    int64_t classes = out->shape[out->ndim - 1];
    if (out->attr.i.flag_a && count_classes(idx) != classes)
        return tg__fail(TG_ESHAPE, "%s (rerun): num_classes -1 now counts %lld classes, not "
                        "the %lld of the capture: the result's shape depends on idx's values",
                        fn, (long long)count_classes(idx), (long long)classes);
    int rc = check_classes(fn, idx, classes);
    if (rc < 0)
        return rc;
    one_hot_kernel(out, idx, classes);
    return TG_OK;
}

/* Rows looked up in a [m, n] weight: the last, the first, the last again,
 * so repeats accumulate. (A padding row's missing gradient is by design and
 * would fail a gradient check: tests/test_embedding.c checks it.) */
static tg_tensor *sample_embedding(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    tg_tensor *idx = tg_index_tensor(2, (int64_t[]){2, 2}, (int64_t[]){-1, 0, -1, -1});
    return tg_embedding(in[0], idx, TG_NO_PADDING);
}

/* floor of values in [1.1, 1.9]: class 1 of 3 */
TG_SAMPLE_FN(sample_one_hot, tg_one_hot(tg_floor(in[0]), 3))

const tg_op tg__op_embedding = {
    .info = {TG_OP_EMBEDDING, "tg_embedding", 2, 0,
             {sample_embedding, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = embedding_backward,
    .jvp = embedding_jvp,
    .rerun = embedding_rerun,
};

const tg_op tg__op_one_hot = {
    .info = {TG_OP_ONE_HOT, "tg_one_hot", 1, 0,
             {sample_one_hot, 1, TG_SAMPLE_SAME, {{1.1, 1.9, false}}}},
    .backward = no_gradient,
    .jvp = tg__jvp_zero,
    .rerun = one_hot_rerun,
};

tg_tensor *tg_embedding(tg_tensor *weight, tg_tensor *idx, int64_t padding_idx)
{
    const char *fn = tg__op_embedding.info.name;
    if (tg__check(fn, weight, 1) < 0 || tg__check(fn, idx, 2) < 0)
        return NULL;
    if (weight->ndim != 2 || idx->ndim >= TG_MAX_DIMS) {
        char a[96], b[96];
        return tg__fail(TG_ESHAPE, "%s: weight %s must be [num, dim] and idx %s below %d axes",
                        fn, tg__dims_str(weight->ndim, weight->shape, a, sizeof a),
                        tg__dims_str(idx->ndim, idx->shape, b, sizeof b), TG_MAX_DIMS), NULL;
    }
    int64_t n = weight->shape[0], dim = weight->shape[1], *pos;
    if (padding_idx != TG_NO_PADDING && (padding_idx < -n || padding_idx >= n))
        return tg__fail(TG_EVALUE, "%s: padding_idx %lld is out of range for axis 0 of size %lld",
                        fn, (long long)padding_idx, (long long)n), NULL;
    if (tg__read_indices(fn, idx, 0, n, &pos) < 0)
        return NULL;
    int64_t shape[TG_MAX_DIMS];
    memcpy(shape, idx->shape, sizeof shape);
    shape[idx->ndim] = dim;
    tg_tensor *y = tg__tape_tensor(fn, (tg_dtype)weight->dtype, idx->ndim + 1, shape);
    if (!y)
        return NULL;
    y->attr.f = padding_idx == TG_NO_PADDING ? -1
                : (double)(padding_idx < 0 ? padding_idx + n : padding_idx);
    lookup_kernel(y, weight, pos);
    tg_tensor *in[2] = {weight, idx};
    return tg__record(y, &tg__op_embedding, 2, in);
}

/* The largest index plus one: num_classes -1's count. */
static int64_t count_classes(const tg_tensor *idx)
{
    double top = -1;
    for (int64_t k = 0; k < idx->numel; k++)
        top = tg__load(idx, k) > top ? tg__load(idx, k) : top;
    return (int64_t)top + 1;
}

static int check_classes(const char *fn, const tg_tensor *idx, int64_t classes)
{
    for (int64_t k = 0; k < idx->numel; k++) {
        double v = tg__load(idx, k);
        if (v != floor(v))
            return tg__fail(TG_EVALUE, "%s: index %.17g at position %lld is not a whole number",
                            fn, v, (long long)k);
        if (!(v >= 0 && v < (double)classes))
            return tg__fail(TG_EVALUE, "%s: class %.17g at position %lld is out of range 0..%lld",
                            fn, v, (long long)k, (long long)classes - 1);
    }
    return TG_OK;
}

tg_tensor *tg_one_hot(tg_tensor *idx, int64_t num_classes)
{
    const char *fn = tg__op_one_hot.info.name;
    if (tg__check(fn, idx, 1) < 0)
        return NULL;
    if (num_classes < -1 || idx->ndim >= TG_MAX_DIMS)
        return tg__fail(TG_EVALUE, "%s: num_classes %lld must be -1 or >= 0 (idx below %d axes)",
                        fn, (long long)num_classes, TG_MAX_DIMS), NULL;
    int64_t classes = num_classes == -1 ? count_classes(idx) : num_classes;
    if (check_classes(fn, idx, classes) < 0)
        return NULL;
    int64_t shape[TG_MAX_DIMS];
    memcpy(shape, idx->shape, sizeof shape);
    shape[idx->ndim] = classes;
    tg_tensor *y = tg__tape_tensor(fn, (tg_dtype)idx->dtype, idx->ndim + 1, shape);
    if (!y)
        return NULL;
    y->attr.i.flag_a = num_classes == -1;
    one_hot_kernel(y, idx, classes);
    return tg__record(y, &tg__op_one_hot, 1, &idx);
}
