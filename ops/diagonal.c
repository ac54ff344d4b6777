/*
 * diagonal.c -- diagonal(x, offset, dim1, dim2), diag_embed(x, offset) and
 * trace(x), as torch.diagonal, torch.diag_embed and torch.trace.
 *
 *   diagonal    y[.., i] = x[.., i + r, .., i + c, ..] along axes dim1, dim2
 *               (r = max(0, -offset), c = max(0, offset)), which go, and
 *               the diagonal becomes the last axis; a copy through a map
 *               (gather_map.h), dx = g placed back on the diagonal
 *   diag_embed  [.., n] -> [.., n + |offset|, n + |offset|] with x on the
 *               offset diagonal of the last two axes (PyTorch's default
 *               dim1 = -2, dim2 = -1) and 0 elsewhere; dx = g's diagonal
 *   trace       the sum of a matrix's main diagonal (2-d x, also
 *               rectangular); dx = g I
 *
 * An offset beyond the matrix gives an empty diagonal, as in PyTorch.
 */
#include <string.h>

#include "gather_map.h"
#include "jvp.h"

TG_SAMPLE_FN(sample_diagonal, tg_diagonal(in[0], 0, 0, 1))
TG_SAMPLE_FN(sample_diag_embed, tg_diag_embed(in[0], -1))
TG_SAMPLE_FN(sample_trace, tg_trace(in[0]))

const tg_op tg__op_diagonal = {
    .info = {TG_OP_DIAGONAL, "tg_diagonal", 1, TG_OP_HELPER_INPUT,
             {sample_diagonal, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = tg__map_backward,
    .jvp = tg__map_jvp,
    .rerun = tg__map_rerun,
};

const tg_op tg__op_diag_embed = {
    .info = {TG_OP_DIAG_EMBED, "tg_diag_embed", 1, TG_OP_HELPER_INPUT,
             {sample_diag_embed, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = tg__map_backward,
    .jvp = tg__map_jvp,
    .rerun = tg__map_rerun,
};

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

tg_tensor *tg_diagonal(tg_tensor *x, int64_t offset, int dim1, int dim2)
{
    const char *fn = tg__op_diagonal.info.name;
    int a, b;
    if (tg__check(fn, x, 1) < 0 || tg__normalize_axis(fn, x, dim1, &a) < 0 ||
        tg__normalize_axis(fn, x, dim2, &b) < 0)
        return NULL;
    if (a == b)
        return tg__fail(TG_EAXIS, "%s: dim1 and dim2 are both axis %d", fn, a), NULL;
    int64_t r = max64(0, -offset), c = max64(0, offset);
    int64_t len = max64(0, min64(x->shape[a] - r, x->shape[b] - c));
    int64_t stride[TG_MAX_DIMS], shape[TG_MAX_DIMS], *tables[TG_MAX_DIMS];
    tg__strides(x, stride);
    int nd = 0, src[TG_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++)
        if (d != a && d != b) {
            src[nd] = d;
            shape[nd++] = x->shape[d];
        }
    shape[nd++] = len;
    tg_tensor *map, *y = tg__map_new(fn, x, nd, shape, &map);
    if (!y)
        return NULL;
    for (int d = 0; d < nd; d++) {
        if (!(tables[d] = tg__map_table(fn, shape[d])))
            return NULL;
        for (int64_t i = 0; i < shape[d]; i++)
            tables[d][i] = d < nd - 1 ? i * stride[src[d]]
                                      : (i + r) * stride[a] + (i + c) * stride[b];
    }
    tg__map_fill_tables(map, nd, shape, tables, 0);
    return tg__map_finish(&tg__op_diagonal, y, x, 0, NULL, map, 0);
}

tg_tensor *tg_diag_embed(tg_tensor *x, int64_t offset)
{
    const char *fn = tg__op_diag_embed.info.name;
    if (tg__check(fn, x, 1) < 0)
        return NULL;
    if (x->ndim < 1 || x->ndim >= TG_MAX_DIMS) {
        char dims[96];
        return tg__fail(TG_ESHAPE, "%s: x of shape %s must have 1 to %d axes", fn,
                        tg__dims_str(x->ndim, x->shape, dims, sizeof dims), TG_MAX_DIMS - 1),
               NULL;
    }
    int64_t n = x->shape[x->ndim - 1], side = n + (offset < 0 ? -offset : offset);
    int64_t shape[TG_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = shape[x->ndim] = side;
    tg_tensor *map, *y = tg__map_new(fn, x, x->ndim + 1, shape, &map);
    if (!y)
        return NULL;
    double *m = map->data;
    for (int64_t o = 0; o < map->numel; o++)
        m[o] = TG_MAP_FILL;
    /* x's element (b, i) lands at row i + r, column i + c of matrix b */
    int64_t r = max64(0, -offset), c = max64(0, offset);
    for (int64_t k = 0; n && k < x->numel; k++) {
        int64_t b = k / n, i = k % n;
        m[b * side * side + (i + r) * side + (i + c)] = (double)k;
    }
    return tg__map_finish(&tg__op_diag_embed, y, x, 0, NULL, map, 0);
}

/* The constant identity of x's shape. */
static tg_tensor *eye_like(const tg_tensor *x)
{
    tg_tensor *eye = tg__zeros_like(x);
    if (!eye)
        return NULL;
    int64_t rows = x->shape[0], cols = x->shape[1];
    for (int64_t i = 0; i < rows && i < cols; i++)
        tg__store(eye, i * cols + i, 1);
    return eye;
}

static int trace_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    tg_tensor *eye = eye_like(out->in[0]);
    grad_in[0] = eye ? tg_mul(g, eye) : NULL;
    return grad_in[0] ? TG_OK : tg__latest_code();
}

TG_JVP_FN(trace_jvp, tg_trace(t))

/* y = the sum of x's diagonal, in double as tg_sum does */
static void trace_kernel(tg_tensor *y, const tg_tensor *x)
{
    double sum = 0;
    for (int64_t i = 0; i < x->shape[0] && i < x->shape[1]; i++)
        sum += tg__load(x, i * x->shape[1] + i);
    tg__store(y, 0, sum);
}

static int trace_rerun(tg_tensor *out)
{
    trace_kernel(out, out->in[0]);
    return TG_OK;
}

const tg_op tg__op_trace = {
    .info = {TG_OP_TRACE, "tg_trace", 1, 0, {sample_trace, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = trace_backward,
    .jvp = trace_jvp,
    .rerun = trace_rerun,
};

tg_tensor *tg_trace(tg_tensor *x)
{
    const char *fn = tg__op_trace.info.name;
    if (tg__check(fn, x, 1) < 0)
        return NULL;
    if (x->ndim != 2) {
        char dims[96];
        return tg__fail(TG_ESHAPE, "%s: x must be a matrix, not %s", fn,
                        tg__dims_str(x->ndim, x->shape, dims, sizeof dims)), NULL;
    }
    tg_tensor *y = tg__tape_tensor(fn, (tg_dtype)x->dtype, 0, NULL);
    if (!y)
        return NULL;
    trace_kernel(y, x);
    return tg__record(y, &tg__op_trace, 1, &x);
}
