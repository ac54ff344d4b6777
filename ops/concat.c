/*
 * concat.c -- joining and splitting: concat(tensors, axis), stack(tensors,
 * axis) (torch.cat, torch.stack), and split, split_sizes, chunk and unbind,
 * which return several tensors.
 *
 *   concat  one node joins two tensors along the axis: y = [a; b], da and
 *           db the two slices of g. n tensors make a balanced tree of n - 1
 *           such nodes (pairs, then pairs of pairs), since a node holds at
 *           most TG_MAX_INPUTS inputs: each element is copied about log2 n
 *           times. One tensor gives a copy (tg_identity)
 *   stack   concat of the tensors unsqueezed at axis (views)
 *   split   each result is its own recorded tg_slice of x (tg_unbind: its
 *           tg_select), so the reverse sweep gives each its gradient and
 *           they add up in x; a result that is not used sends nothing
 */
#include <stdio.h>
#include <string.h>

#include "kernel.h"
#include "jvp.h"

static int concat_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    int ax = out->attr.i.axis;
    int64_t na = out->in[0]->shape[ax];
    grad_in[0] = tg_slice(g, ax, 0, na, 1);
    grad_in[1] = tg_slice(g, ax, na, TG_SLICE_END, 1);
    return grad_in[0] && grad_in[1] ? TG_OK : tg__latest_code();
}

/* Linear: the tangents joined as the values were, zeros for a missing one. */
static int concat_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    tg_tensor *pair[2];
    for (int k = 0; k < 2; k++)
        pair[k] = tangent_in[k] ? tangent_in[k] : tg__zeros_like(out->in[k]);
    *tangent_out = tg_concat(2, pair, out->attr.i.axis);
    return *tangent_out ? TG_OK : tg__latest_code();
}

static tg_tensor *sample_concat(tg_tensor *const *in, void *ctx)
{
    (void)ctx;
    return tg_concat(2, in, -1);
}

const tg_op tg__op_concat = {
    .info = {TG_OP_CONCAT, "tg_concat", 2, TG_OP_AXIS,
             {sample_concat, 2, TG_SAMPLE_SAME, {TG_SAMPLE_ANY, TG_SAMPLE_ANY}}},
    .backward = concat_backward,
    .jvp = concat_jvp,
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

/* y = [a; b] along ax, x viewed as [outer, n, inner]: row by row. */
static tg_tensor *join2(tg_tensor *a, tg_tensor *b, int ax)
{
    const char *fn = tg__op_concat.info.name;
    int64_t shape[TG_MAX_DIMS], outer, na, nb, inner;
    memcpy(shape, a->shape, sizeof shape);
    shape[ax] = a->shape[ax] + b->shape[ax];
    tg_tensor *y = tg__tape_tensor(fn, (tg_dtype)a->dtype, a->ndim, shape);
    if (!y)
        return NULL;
    y->attr.i.axis = ax;
    tg__split_axis(a, ax, &outer, &na, &inner);
    tg__split_axis(b, ax, &outer, &nb, &inner);
    size_t es = tg__dtype_size((tg_dtype)a->dtype), ra = (size_t)(na * inner) * es,
           rb = (size_t)(nb * inner) * es;
    char *dst = y->data;
    const char *pa = a->data, *pb = b->data;
    for (int64_t o = 0; o < outer; o++, dst += ra + rb) {
        memcpy(dst, pa + (size_t)o * ra, ra);
        memcpy(dst + ra, pb + (size_t)o * rb, rb);
    }
    tg_tensor *in[2] = {a, b};
    return tg__record(y, &tg__op_concat, 2, in);
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
    for (int k = 1; k < n; k++)
        if (check_joinable(fn, tensors[0], tensors[k], ax, k) < 0)
            return NULL;
    if (n == 1)
        return tg_identity(tensors[0]);
    tg_tensor **level = tg__tape_bytes(fn, (size_t)n * sizeof *level);
    if (!level)
        return NULL;
    memcpy(level, tensors, (size_t)n * sizeof *level);
    /* pairs, then pairs of pairs: a balanced tree without recursion */
    for (int count = n; count > 1; count = (count + 1) / 2)
        for (int k = 0; k < count; k += 2)
            if (!(level[k / 2] = k + 1 < count ? join2(level[k], level[k + 1], ax) : level[k]))
                return NULL;
    return level[0];
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
        if (k > 0 && !tg__same_shape(tensors[0], tensors[k])) {
            char a[96], b[96];
            return tg__fail(TG_ESHAPE, "%s: tensors[%d] of shape %s differs from %s", fn, k,
                            tg__dims_str(tensors[k]->ndim, tensors[k]->shape, b, sizeof b),
                            tg__dims_str(tensors[0]->ndim, tensors[0]->shape, a, sizeof a)),
                   NULL;
        }
        if (!(views[k] = tg_unsqueeze(tensors[k], axis)))
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
    int64_t n = x->shape[ax], count = n ? (n + size - 1) / size : 1;
    if (!out || count > max_out)
        return tg__fail(!out ? TG_ENULL : TG_EVALUE, "%s: %lld results do not fit out[%d]", fn,
                        (long long)count, max_out);
    for (int64_t k = 0; k < count; k++)
        if (!(out[k] = tg_slice(x, ax, k * size, (k + 1) * size, 1)))
            return tg__latest_code();
    return (int)count;
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
    return tg_split_size(x, ax, size, out, chunks);
}

int tg_unbind(tg_tensor *x, int axis, tg_tensor **out, int max_out)
{
    const char *fn = "tg_unbind";
    int ax, rc = tg__check(fn, x, 1);
    if (rc == 0)
        rc = tg__normalize_axis(fn, x, axis, &ax);
    if (rc < 0)
        return rc;
    if (!out || x->shape[ax] > max_out)
        return tg__fail(!out ? TG_ENULL : TG_EVALUE, "%s: %lld results do not fit out[%d]", fn,
                        (long long)x->shape[ax], max_out);
    for (int64_t k = 0; k < x->shape[ax]; k++)
        if (!(out[k] = tg_select(x, ax, k)))
            return tg__latest_code();
    return (int)x->shape[ax];
}
