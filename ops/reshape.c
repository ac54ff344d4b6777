/*
 * reshape.c -- the same elements under a new shape.
 *
 *   forward   y views x's data (no copy): row-major order is unchanged, so
 *             y's flat index i is x's flat index i
 *   backward  dx = reshape(g, shape x)
 *
 * One requested dimension may be -1; it is inferred from the element count.
 * The counts must match. Since y shares x's data, writing into one (tg_set,
 * tg_copy_from) changes the other, and a view of a persistent tensor must not
 * outlive its tg_free.
 */
#include "kernel.h"
#include "jvp.h"

static int reshape_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_reshape(g, out->in[0]->ndim, out->in[0]->shape);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

TG_JVP_FN(reshape_jvp, tg_reshape(t, out->ndim, out->shape))

/* y is a view of x's data: the new values are already there. */
static int reshape_rerun(tg_tensor *out)
{
    (void)out;
    return TG_OK;
}

TG_SAMPLE_FN(sample_reshape, tg_reshape(in[0], 1, (int64_t[]){-1}))

const tg_op tg__op_reshape = {
    .info = {TG_OP_RESHAPE, "tg_reshape", 1, 0,
             {sample_reshape, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = reshape_backward,
    .jvp = reshape_jvp,
    .rerun = reshape_rerun,
};

static int reshape_error(const tg_tensor *x, int ndim, const int64_t *shape)
{
    char from[96], to[96];
    return tg__fail(TG_ESHAPE, "%s: cannot reshape %s (%lld elements) into %s", tg__op_reshape.info.name,
                    tg__dims_str(x->ndim, x->shape, from, sizeof from), (long long)x->numel,
                    tg__dims_str(ndim, shape, to, sizeof to));
}

/* The product of the given dimensions (all but the -1), or numel + 1 once
 * it exceeds numel: that is already a mismatch, and capping it there keeps
 * the product from overflowing. */
static int64_t given_product(int ndim, const int64_t *shape, int64_t numel)
{
    int64_t product = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] == -1)
            continue;
        bool exceeds = shape[d] != 0 && product > numel / shape[d];
        product = exceeds ? numel + 1 : product * shape[d];
    }
    return product;
}

/* Copies the requested shape into shape with its -1 (if any) inferred. */
static int resolve_shape(const tg_tensor *x, int ndim, const int64_t *requested, int64_t *shape)
{
    const char *fn = tg__op_reshape.info.name;
    if (ndim < 0 || ndim > TG_MAX_DIMS)
        return tg__fail(TG_ESHAPE, "%s: ndim %d out of range 0..%d", fn, ndim, TG_MAX_DIMS);
    if (ndim > 0 && !requested)
        return tg__fail(TG_ENULL, "%s: argument 3 (shape) is NULL", fn);
    int inferred = -1;
    for (int d = 0; d < ndim; d++) {
        if (requested[d] < -1 || (requested[d] == -1 && inferred >= 0)) {
            char dims[96];
            return tg__fail(TG_ESHAPE,
                            "%s: bad shape %s: one dimension may be -1, the others must be >= 0",
                            fn, tg__dims_str(ndim, requested, dims, sizeof dims));
        }
        if (requested[d] == -1)
            inferred = d;
        shape[d] = requested[d];
    }
    int64_t given = given_product(ndim, requested, x->numel);
    if (inferred < 0 && given == x->numel)
        return TG_OK;
    /* the -1 is ambiguous when the other dimensions multiply to 0 */
    if (inferred < 0 || given == 0 || x->numel % given != 0)
        return reshape_error(x, ndim, requested);
    shape[inferred] = x->numel / given;
    return TG_OK;
}

tg_tensor *tg_reshape(tg_tensor *x, int ndim, const int64_t *shape)
{
    int64_t resolved[TG_MAX_DIMS];
    if (tg__check(tg__op_reshape.info.name, x, 1) < 0 || resolve_shape(x, ndim, shape, resolved) < 0)
        return NULL;
    tg_tensor *y = tg__tape_view(tg__op_reshape.info.name, x, ndim, resolved);
    return y ? tg__record(y, &tg__op_reshape, 1, &x) : NULL;
}
