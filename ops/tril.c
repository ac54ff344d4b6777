/*
 * tril.c -- tril(x, diagonal) keeps each matrix's elements on and below the
 * given diagonal and zeroes the rest; triu(x, diagonal) keeps those on and
 * above it (torch.tril, torch.triu). The matrices are the last two axes;
 * diagonal 0 is the main one, > 0 above it, < 0 below.
 *
 *   backward  dx = tril(g, diagonal) (triu likewise): the same mask
 */
#include "kernel.h"
#include "jvp.h"

/* attr.f is the diagonal; attr.i is not used, so the double keeps it. */
static void band_kernel(tg_tensor *y, const tg_tensor *x, int64_t k, bool lower)
{
    int64_t rows = x->shape[x->ndim - 2], cols = x->shape[x->ndim - 1];
    TG_FOR_DTYPE(x->dtype, T, {
        const T *src = x->data;
        T *dst = y->data;
        TG_PARALLEL_FOR(x->numel, e, {
            int64_t j = e % cols, i = (e / cols) % rows;
            dst[e] = (lower ? j - i <= k : j - i >= k) ? src[e] : 0;
        });
    });
}

static int tril_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_tril(g, (int64_t)out->attr.f);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

static int triu_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_triu(g, (int64_t)out->attr.f);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* Linear: the same mask on the tangent. */
TG_JVP_FN(tril_jvp, tg_tril(t, (int64_t)out->attr.f))
TG_JVP_FN(triu_jvp, tg_triu(t, (int64_t)out->attr.f))

static int band_rerun(tg_tensor *out, bool lower)
{
    if (out->numel)
        band_kernel(out, out->in[0], (int64_t)out->attr.f, lower);
    return TG_OK;
}

static int tril_rerun(tg_tensor *out) { return band_rerun(out, true); }

static int triu_rerun(tg_tensor *out) { return band_rerun(out, false); }

TG_SAMPLE_FN(sample_tril, tg_tril(in[0], 0))
TG_SAMPLE_FN(sample_triu, tg_triu(in[0], 1))

const tg_op tg__op_tril = {
    .info = {TG_OP_TRIL, "tg_tril", 1, TG_OP_CONSTANT,
             {sample_tril, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = tril_backward,
    .jvp = tril_jvp,
    .rerun = tril_rerun,
};

const tg_op tg__op_triu = {
    .info = {TG_OP_TRIU, "tg_triu", 1, TG_OP_CONSTANT,
             {sample_triu, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = triu_backward,
    .jvp = triu_jvp,
    .rerun = triu_rerun,
};

static tg_tensor *band(const tg_op *op, tg_tensor *x, int64_t k, bool lower)
{
    const char *fn = op->info.name;
    if (tg__check(fn, x, 1) < 0)
        return NULL;
    if (x->ndim < 2) {
        char dims[96];
        return tg__fail(TG_ESHAPE, "%s: x of shape %s has no matrix (2 axes at least)", fn,
                        tg__dims_str(x->ndim, x->shape, dims, sizeof dims)), NULL;
    }
    tg_tensor *y = tg__tape_tensor(fn, (tg_dtype)x->dtype, x->ndim, x->shape);
    if (!y)
        return NULL;
    y->attr.f = (double)k;
    if (y->numel)
        band_kernel(y, x, k, lower);
    return tg__record(y, op, 1, &x);
}

tg_tensor *tg_tril(tg_tensor *x, int64_t diagonal) { return band(&tg__op_tril, x, diagonal, true); }
tg_tensor *tg_triu(tg_tensor *x, int64_t diagonal) { return band(&tg__op_triu, x, diagonal, false); }
