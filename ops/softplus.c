/*
 * softplus.c -- y = softplus(x; beta, threshold) = log(1 + e^(beta x)) / beta,
 * and y = x where beta x > threshold (PyTorch's linear region, strict >).
 * beta and threshold are kept in attr.f2.
 *
 *   forward   (max(beta x, 0) + log1p(e^(-|beta x|))) / beta: e^ never
 *             overflows, so any threshold (even +inf) is finite, and at
 *             beta x = -1e4 the result is 0, not log(1 + 0) rounding
 *   backward  dx = g sigmoid(beta x), and g where beta x > threshold (the
 *             linear region passes g, as PyTorch's softplus_backward does);
 *             the region is a constant mask, the rest tg_sigmoid, so every
 *             order works
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(softplus, {
    T beta = (T)attr.f2.a, threshold = (T)attr.f2.b;
    T bx = beta * v;
    T soft = ((bx > 0 ? bx : 0) + log1p(exp(-fabs(bx)))) / beta;
    r = bx > threshold ? v : soft;
})

/* 1 in the linear region beta x > threshold, else 0. */
static void linear_region_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr)
{
    TG_FOR_DTYPE(x->dtype, T, {
        const T *in = x->data;
        T *out = y->data;
        T beta = (T)attr.f2.a, threshold = (T)attr.f2.b;
        TG_PARALLEL_FOR(x->numel, i, out[i] = beta * in[i] > threshold);
    });
}

static int softplus_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    tg_tensor *x = out->in[0];
    tg_tensor *linear =
        tg__constant_unary(out->op->info.name, x, out->attr, linear_region_kernel);
    tg_tensor *s = tg_sigmoid(tg_mul_scalar(x, out->attr.f2.a));
    tg_tensor *local = linear ? tg_where(linear, tg__scalar_like(x, 1), s) : NULL;
    grad_in[0] = tg_mul(g, local);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* beta x = 2 (x + 1) lies on both sides of the threshold 2, at least 0.5 from it */
/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void softplus_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    double bx = attr.f2.a * x[0];
    p[0] = bx > attr.f2.b ? 1 : tg__sigmoid_value(bx);
}

TG_SAMPLE_FN(sample_softplus, tg_softplus(tg_add_scalar(in[0], 1), 2, 2))

const tg_op tg__op_softplus = {
    .info = {TG_OP_SOFTPLUS, "tg_softplus", 1,
             TG_OP_ELEMENTWISE | TG_OP_CONSTANT | TG_OP_CONSTANT2,
             {sample_softplus, 1, TG_SAMPLE_SAME, {TG_SAMPLE_NONZERO}}},
    .backward = softplus_backward,
    .partials = softplus_partials,
    .jvp = tg__jvp_symmetric,
    .value = softplus_value,
    .kernel.unary = softplus_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_softplus(tg_tensor *x, double beta, double threshold)
{
    if (!(beta != 0 && isfinite(beta)) || isnan(threshold)) {
        tg__fail(TG_EVALUE, "tg_softplus: beta must be finite and nonzero and threshold a "
                            "number, not beta %g, threshold %g", beta, threshold);
        return NULL;
    }
    tg_attr attr = {.f2 = {beta, threshold}};
    return tg__unary(&tg__op_softplus, x, attr);
}
