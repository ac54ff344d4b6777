/*
 * logsumexp.c -- y = log sum e^x over every element or a set of axes.
 *
 *   forward   y = m + log sum e^(x - m), m the slice's maximum, so that every
 *             exponent is <= 0 and the sum lies in [1, n]: [1000, 1000] gives
 *             1000 + log 2, not inf. An infinite m is replaced by 0, as
 *             PyTorch does, so that all -inf gives -inf and any +inf gives
 *             +inf instead of NaN from inf - inf; a NaN propagates.
 *   backward  dx = g' e^(x - y') (softmax over the slice), y' and g' with the
 *             reduced axes restored as size 1; written with ops on the
 *             recorded result, so every order works
 */
#include "axis.h"
#include "jvp.h"

static void logsumexp_kernel(tg_tensor *y, const tg_tensor *x)
{
    tg_reduce_plan plan;
    tg__reduce_plan(x, y, &plan);
    TG_FOR_DTYPE(x->dtype, T, {
        const T *src = x->data;
        T *dst = y->data;
        TG_REDUCE_OUTPUTS(&plan, k, base, {
            double m = -INFINITY, s = 0;
            TG_REDUCE_SLICE(&plan, base, P, m = src[P] > m || isnan(src[P]) ? src[P] : m;);
            if (isinf(m))
                m = 0;
            TG_REDUCE_SLICE(&plan, base, P, s += exp((double)src[P] - m););
            dst[k] = (T)(m + log(s));
        });
    });
}

static int logsumexp_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    tg_tensor *softmax = tg_exp(tg_sub(out->in[0], tg__keepdim_grad(out, out)));
    grad_in[0] = tg_mul(tg__keepdim_grad(g, out), softmax);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

static int logsumexp_rerun(tg_tensor *out)
{
    logsumexp_kernel(out, out->in[0]);
    return TG_OK;
}

TG_SAMPLE_FN(sample_logsumexp, tg_logsumexp(in[0], 2, (const int[]){0, 1}, false))

const tg_op tg__op_logsumexp = {
    .info = {TG_OP_LOGSUMEXP, "tg_logsumexp", 1, TG_OP_AXES,
             {sample_logsumexp, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = logsumexp_backward,
    .jvp = tg__jvp_reduction,
    .rerun = logsumexp_rerun,
};

tg_tensor *tg_logsumexp(tg_tensor *x, int n_axes, const int *axes, bool keepdim)
{
    const char *fn = tg__op_logsumexp.info.name;
    unsigned mask;
    if (tg__axes_mask(fn, x, n_axes, axes, &mask) < 0)
        return NULL;
    tg_tensor *y = tg__reduction_new_mask(fn, x, mask, keepdim, (tg_attr){.i = {.keepdim = keepdim}});
    if (!y)
        return NULL;
    logsumexp_kernel(y, x);
    return tg__record(y, &tg__op_logsumexp, 1, &x);
}
