/*
 * dot.c -- dot(a, b) = sum_i a_i b_i of two vectors, outer(a, b)_ij =
 * a_i b_j (torch.dot, torch.outer). Both take 1-d tensors only, as PyTorch.
 *
 *   dot     da = g b, db = g a (g is 0-d); the sum accumulates in double
 *   outer   da = g @ b, db = a @ g
 */
#include "kernel.h"
#include "jvp.h"

static int dot_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_mul(g, out->in[1]);
    grad_in[1] = tg_mul(g, out->in[0]);
    return grad_in[0] && grad_in[1] ? TG_OK : tg__latest_code();
}

static int outer_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_matmul(g, out->in[1]);
    grad_in[1] = tg_matmul(out->in[0], g);
    return grad_in[0] && grad_in[1] ? TG_OK : tg__latest_code();
}

/* Bilinear: d(a . b) = ta . b + a . tb, d(a bᵀ) = ta bᵀ + a tbᵀ. */
static int dot_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    tg_tensor *a = out->in[0], *b = out->in[1];
    tg_tensor *terms[2] = {tangent_in[0] ? tg_dot(tangent_in[0], b) : NULL,
                           tangent_in[1] ? tg_dot(a, tangent_in[1]) : NULL};
    return tg__jvp_sum(out, 2, tangent_in, terms, tangent_out);
}

static int outer_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    tg_tensor *a = out->in[0], *b = out->in[1];
    tg_tensor *terms[2] = {tangent_in[0] ? tg_outer(tangent_in[0], b) : NULL,
                           tangent_in[1] ? tg_outer(a, tangent_in[1]) : NULL};
    return tg__jvp_sum(out, 2, tangent_in, terms, tangent_out);
}

/* the samples' [m, n] inputs as vectors of m n elements */
static void dot_kernel(tg_tensor *y, const tg_tensor *a, const tg_tensor *b)
{
    double sum = 0;
    TG_FOR_DTYPE(a->dtype, T, {
        const T *x = a->data, *z = b->data;
        for (int64_t i = 0; i < a->numel; i++)
            sum += (double)x[i] * (double)z[i];
    });
    tg__store(y, 0, sum);
}

static void outer_kernel(tg_tensor *y, const tg_tensor *a, const tg_tensor *b)
{
    int64_t n = b->numel;
    TG_FOR_DTYPE(a->dtype, T, {
        const T *x = a->data, *z = b->data;
        T *dst = y->data;
        TG_PARALLEL_FOR(y->numel, e, dst[e] = x[e / n] * z[e % n]);
    });
}

static int dot_rerun(tg_tensor *out)
{
    dot_kernel(out, out->in[0], out->in[1]);
    return TG_OK;
}

static int outer_rerun(tg_tensor *out)
{
    outer_kernel(out, out->in[0], out->in[1]);
    return TG_OK;
}

static tg_tensor *flat(tg_tensor *t) { return tg_reshape(t, 1, (int64_t[]){-1}); }

TG_SAMPLE_FN(sample_dot, tg_dot(flat(in[0]), flat(in[1])))
TG_SAMPLE_FN(sample_outer, tg_outer(flat(in[0]), tg_select(in[1], 0, 0)))

const tg_op tg__op_dot = {
    .info = {TG_OP_DOT, "tg_dot", 2, 0,
             {sample_dot, 2, TG_SAMPLE_SAME, {TG_SAMPLE_ANY, TG_SAMPLE_ANY}}},
    .backward = dot_backward,
    .jvp = dot_jvp,
    .rerun = dot_rerun,
};

const tg_op tg__op_outer = {
    .info = {TG_OP_OUTER, "tg_outer", 2, 0,
             {sample_outer, 2, TG_SAMPLE_SAME, {TG_SAMPLE_ANY, TG_SAMPLE_ANY}}},
    .backward = outer_backward,
    .jvp = outer_jvp,
    .rerun = outer_rerun,
};

static int check_vectors(const char *fn, tg_tensor *a, tg_tensor *b, bool same_length)
{
    int rc = tg__check(fn, a, 1);
    if (rc == 0)
        rc = tg__check(fn, b, 2);
    if (rc == 0)
        rc = tg__check_same_dtype(fn, a, b);
    if (rc < 0)
        return rc;
    if (a->ndim == 1 && b->ndim == 1 && (!same_length || a->shape[0] == b->shape[0]))
        return TG_OK;
    char da[96], db[96];
    return tg__fail(TG_ESHAPE, "%s: expects two 1-d tensors%s, got %s and %s", fn,
                    same_length ? " of one length" : "",
                    tg__dims_str(a->ndim, a->shape, da, sizeof da),
                    tg__dims_str(b->ndim, b->shape, db, sizeof db));
}

tg_tensor *tg_dot(tg_tensor *a, tg_tensor *b)
{
    const char *fn = tg__op_dot.info.name;
    if (check_vectors(fn, a, b, true) < 0)
        return NULL;
    tg_tensor *y = tg__tape_tensor(fn, (tg_dtype)a->dtype, 0, NULL);
    if (!y)
        return NULL;
    dot_kernel(y, a, b);
    tg_tensor *in[2] = {a, b};
    return tg__record(y, &tg__op_dot, 2, in);
}

tg_tensor *tg_outer(tg_tensor *a, tg_tensor *b)
{
    const char *fn = tg__op_outer.info.name;
    if (check_vectors(fn, a, b, false) < 0)
        return NULL;
    int64_t m = a->numel, n = b->numel;
    tg_tensor *y = tg__tape_tensor(fn, (tg_dtype)a->dtype, 2, (int64_t[]){m, n});
    if (!y)
        return NULL;
    outer_kernel(y, a, b);
    tg_tensor *in[2] = {a, b};
    return tg__record(y, &tg__op_outer, 2, in);
}
