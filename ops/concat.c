/*
 * concat.c -- joining and splitting: concat(tensors, axis), stack(tensors,
 * axis) (torch.cat, torch.stack), and split, split_sizes, chunk and unbind,
 * which return several tensors.
 *
 *   concat  one node of n inputs (a node keeps more than TG_MAX_INPUTS in
 *           an array on the tape): y = [t_0; t_1; ...] along the axis, and
 *           each input's gradient is the slice of g it filled
 *   stack   concat of the tensors unsqueezed at axis (views)
 *   split   each result is its own recorded tg_slice of x (tg_unbind: its
 *           tg_select), so the reverse sweep gives each its gradient and
 *           they add up in x; a result that is not used sends nothing
 */
#include <stdio.h>
#include <string.h>

#include "kernel.h"
#include "jvp.h"

/* Each input's gradient is the slice of g it filled. */
static int concat_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    int ax = out->attr.i.axis;
    int64_t start = 0;
    for (int k = 0; k < out->n_inputs; k++) {
        int64_t n = out->in[k]->shape[ax];
        if (!(grad_in[k] = tg_slice(g, ax, start, start + n, 1)))
            return tg__latest_code();
        start += n;
    }
    return TG_OK;
}

/* Linear: the tangents joined as the values were, zeros for a missing one. */
static int concat_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    tg_tensor *local[TG_MAX_INPUTS];
    tg_tensor **parts = tg__input_slots(out->op->info.name, out->n_inputs, local);
    for (int k = 0; parts && k < out->n_inputs; k++)
        if (!(parts[k] = tangent_in[k] ? tangent_in[k] : tg__zeros_like(out->in[k])))
            parts = NULL;
    *tangent_out = parts ? tg_concat(out->n_inputs, parts, out->attr.i.axis) : NULL;
    return *tangent_out ? TG_OK : tg__latest_code();
}

static tg_tensor *sample_concat(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_concat(3, in, -1);
}

static int concat_rerun(tg_tensor *out); /* below, beside its kernel */

const tg_op tg__op_concat = {
    .info = {TG_OP_CONCAT, "tg_concat", TG_OP_VARIADIC, TG_OP_AXIS,
             {sample_concat, 3, TG_SAMPLE_SAME, {TG_SAMPLE_ANY, TG_SAMPLE_ANY, TG_SAMPLE_ANY}}},
    .backward = concat_backward,
    .jvp = concat_jvp,
    .rerun = concat_rerun,
};

static int check_entry(const char *fn, tg_tensor *const *tensors, int k)
{
    if (tg__valid(tensors[k]))
        return TG_OK;
    char what[32];
    snprintf(what, sizeof what, "tensors[%d]", k);
    return tg__invalid(fn, tensors[k], what);
}

static int check_joinable(const char *fn, const tg_tensor *a, const tg_tensor *b, int ax, int k)
{
    int rc = tg__check_same_dtype(fn, a, b);
    bool ok = a->ndim == b->ndim;
    for (int d = 0; ok && d < a->ndim; d++)
        ok = d == ax || a->shape[d] == b->shape[d];
    if (rc < 0 || ok)
        return rc;
    char da[96], db[96];
    return tg__fail(TG_ESHAPE, "%s: tensors[%d] of shape %s does not fit %s off axis %d", fn, k,
                    tg__dims_str(b->ndim, b->shape, db, sizeof db),
                    tg__dims_str(a->ndim, a->shape, da, sizeof da), ax);
}

/* y's rows [outer, sum n_k, inner] filled from each input's [outer, n_k,
 * inner] in turn. */
static void join_kernel(tg_tensor *y, int n, tg_tensor *const *ts, int ax)
{
    size_t es = tg__dtype_size((tg_dtype)y->dtype);
    int64_t outer, total, inner;
    tg__split_axis(y, ax, &outer, &total, &inner);
    size_t row = (size_t)(total * inner) * es, at = 0;
    for (int k = 0; k < n; k++) {
        size_t part = (size_t)(ts[k]->shape[ax] * inner) * es;
        const char *src = ts[k]->data;
        for (int64_t o = 0; o < outer && part; o++)
            memcpy((char *)y->data + (size_t)o * row + at, src + (size_t)o * part, part);
        at += part;
    }
}

static int concat_rerun(tg_tensor *out)
{
    if (out->numel)
        join_kernel(out, out->n_inputs, out->in, out->attr.i.axis);
    return TG_OK;
}

tg_tensor *tg_concat(int n, tg_tensor *const *tensors, int axis)
{
    const char *fn = tg__op_concat.info.name;
    if (n < 1 || !tensors)
        return tg__fail(!tensors ? TG_ENULL : TG_EVALUE, "%s: %d tensors (at least 1)", fn, n),
               NULL;
    int ax;
    for (int k = 0; k < n; k++)
        if (check_entry(fn, tensors, k) < 0)
            return NULL;
    if (tg__normalize_axis(fn, tensors[0], axis, &ax) < 0)
        return NULL;
    int64_t shape[TG_MAX_DIMS];
    memcpy(shape, tensors[0]->shape, sizeof shape);
    for (int k = 1; k < n; k++) {
        if (check_joinable(fn, tensors[0], tensors[k], ax, k) < 0)
            return NULL;
        shape[ax] += tensors[k]->shape[ax];
    }
    tg_tensor *y = tg__tape_tensor(fn, (tg_dtype)tensors[0]->dtype, tensors[0]->ndim, shape);
    if (!y)
        return NULL;
    y->attr.i.axis = ax;
    if (y->numel)
        join_kernel(y, n, tensors, ax);
    return tg__record(y, &tg__op_concat, n, tensors);
}

tg_tensor *tg_stack(int n, tg_tensor *const *tensors, int axis)
{
    const char *fn = "tg_stack";
    if (n < 1 || !tensors)
        return tg__fail(!tensors ? TG_ENULL : TG_EVALUE, "%s: %d tensors (at least 1)", fn, n),
               NULL;
    tg_tensor **views = tg__tape_bytes(fn, (size_t)n * sizeof *views);
    if (!views)
        return NULL;
    for (int k = 0; k < n; k++) {
        if (check_entry(fn, tensors, k) < 0)
            return NULL;
        if (k > 0 && tg__check_same_dtype(fn, tensors[0], tensors[k]) < 0)
            return NULL;
        if (k > 0 && !tg__same_shape(tensors[0], tensors[k])) {
            char a[96], b[96];
            return tg__fail(TG_ESHAPE, "%s: tensors[%d] of shape %s differs from %s", fn, k,
                            tg__dims_str(tensors[k]->ndim, tensors[k]->shape, b, sizeof b),
                            tg__dims_str(tensors[0]->ndim, tensors[0]->shape, a, sizeof a)),
                   NULL;
        }
        if (!(views[k] = tg__unsqueeze_as(fn, tensors[k], axis)))
            return NULL;
    }
    return tg_concat(n, views, axis);
}

int tg_split(tg_tensor *x, int axis, int n, const int64_t *sizes, tg_tensor **out)
{
    const char *fn = "tg_split";
    int ax, rc = tg__check(fn, x, 1);
    if (rc == 0)
        rc = tg__normalize_axis(fn, x, axis, &ax);
    if (rc < 0)
        return rc;
    if (n < 1 || !sizes || !out)
        return tg__fail(n >= 1 ? TG_ENULL : TG_EVALUE, "%s: %d sizes (at least 1), sizes %s, "
                        "out %s", fn, n, sizes ? "given" : "NULL", out ? "given" : "NULL");
    int64_t total = 0;
    for (int k = 0; k < n; k++)
        total += sizes[k] >= 0 ? sizes[k] : x->shape[ax] + 1;
    if (total != x->shape[ax]) {
        char dims[96];
        return tg__fail(TG_EVALUE, "%s: sizes %s do not add up to axis %d's size %lld", fn,
                        tg__dims_str(n, sizes, dims, sizeof dims), ax, (long long)x->shape[ax]);
    }
    for (int64_t k = 0, start = 0; k < n; start += sizes[k], k++)
        if (!(out[k] = tg_slice(x, ax, start, start + sizes[k], 1)))
            return tg__latest_code();
    return n;
}

/* Pieces of size along axis ax of x, the last smaller, for tg_split_size
 * and tg_chunk: errors name fn, the function called. */
static int split_size_as(const char *fn, tg_tensor *x, int ax, int64_t size, tg_tensor **out,
                         int max_out)
{
    int64_t n = x->shape[ax], count = n ? (n + size - 1) / size : 1;
    if (!out)
        return tg__fail(TG_ENULL, "%s: out is NULL", fn);
    if (count > max_out)
        return tg__fail(TG_EVALUE, "%s: %lld results do not fit out[%d]", fn, (long long)count,
                        max_out);
    for (int64_t k = 0; k < count; k++)
        if (!(out[k] = tg_slice(x, ax, k * size, (k + 1) * size, 1)))
            return tg__latest_code();
    return (int)count;
}

int tg_split_size(tg_tensor *x, int axis, int64_t size, tg_tensor **out, int max_out)
{
    const char *fn = "tg_split_size";
    int ax, rc = tg__check(fn, x, 1);
    if (rc == 0)
        rc = tg__normalize_axis(fn, x, axis, &ax);
    if (rc < 0)
        return rc;
    if (size < 1)
        return tg__fail(TG_EVALUE, "%s: size %lld must be positive", fn, (long long)size);
    return split_size_as(fn, x, ax, size, out, max_out);
}

int tg_chunk(tg_tensor *x, int chunks, int axis, tg_tensor **out)
{
    const char *fn = "tg_chunk";
    int ax, rc = tg__check(fn, x, 1);
    if (rc == 0)
        rc = tg__normalize_axis(fn, x, axis, &ax);
    if (rc < 0)
        return rc;
    if (chunks < 1)
        return tg__fail(TG_EVALUE, "%s: chunks %d must be positive", fn, chunks);
    /* torch.chunk: pieces of ceil(n / chunks), so there may be fewer */
    int64_t n = x->shape[ax], size = n ? (n + chunks - 1) / chunks : 1;
    return split_size_as(fn, x, ax, size, out, chunks);
}

int tg_unbind(tg_tensor *x, int axis, tg_tensor **out, int max_out)
{
    const char *fn = "tg_unbind";
    int ax, rc = tg__check(fn, x, 1);
    if (rc == 0)
        rc = tg__normalize_axis(fn, x, axis, &ax);
    if (rc < 0)
        return rc;
    if (!out)
        return tg__fail(TG_ENULL, "%s: out is NULL", fn);
    if (x->shape[ax] > max_out)
        return tg__fail(TG_EVALUE, "%s: %lld results do not fit out[%d]", fn,
                        (long long)x->shape[ax], max_out);
    for (int64_t k = 0; k < x->shape[ax]; k++)
        if (!(out[k] = tg_select(x, ax, k)))
            return tg__latest_code();
    return (int)x->shape[ax];
}
