/*
 * var.c -- variance and standard deviation over every element or a set of
 * axes, with PyTorch's correction (1 by default: Bessel's, the unbiased
 * estimate). The correction is kept in attr.f.
 *
 *   var       sum (x - mean)^2 / (N - correction), N the elements of a slice,
 *             by two passes in double (the mean, then the squared deviations)
 *             so that a large common offset cancels exactly, both about the
 *             slice's first element so that a constant slice has variance 0
 *             exactly (0.1 + 0.1 + 0.1 over 3 is not 0.1; PyTorch's Welford
 *             pass is exact there too, and std's zero gradient needs it);
 *             N - correction <= 0 divides by 0 (inf, or NaN for a constant slice), as
 *             PyTorch does after its warning
 *   std       sqrt(var)
 *   backward  var: dx = g' 2 (x - mean') / (N - correction)
 *             std: dx = g' (x - mean') / ((N - correction) std'), and 0
 *                  where std = 0 (PyTorch's std_backward masks it), so a
 *                  constant slice gives a zero gradient, not NaN
 *             mean' is recomputed with tg_mean_dims and std' is the
 *             recorded result, so every order of derivative works
 */
#include "axis.h"
#include "jvp.h"

static void var_kernel(tg_tensor *y, const tg_tensor *x, bool take_sqrt)
{
    tg_reduce_plan plan;
    tg__reduce_plan(x, y, &plan);
    double dof = (double)plan.n_red - y->attr.f;
    dof = dof > 0 ? dof : 0;
    TG_FOR_DTYPE(x->dtype, T, {
        const T *src = x->data;
        T *dst = y->data;
        TG_REDUCE_OUTPUTS(&plan, k, base, {
            /* mean is the mean of x - pivot */
            double pivot = plan.n_red ? (double)src[base] : 0, mean = 0, ss = 0;
            TG_REDUCE_SLICE(&plan, base, P, mean += (double)src[P] - pivot;);
            mean /= (double)plan.n_red;
            TG_REDUCE_SLICE(&plan, base, P, {
                double d = (double)src[P] - pivot - mean;
                ss += d * d;
            });
            double v = ss / dof;
            dst[k] = (T)(take_sqrt ? sqrt(v) : v);
        });
    });
}

static double dof_of(const tg_tensor *out)
{
    double dof = (double)tg__reduced_count(out) - out->attr.f;
    return dof > 0 ? dof : 0;
}

/* x - mean over the reduced axes, as ops. */
static tg_tensor *deviation(const tg_tensor *out)
{
    tg_tensor *x = out->in[0];
    return tg_sub(x, tg__mean_mask(x, (unsigned)out->attr.i.flag_a, true));
}

static int var_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    tg_tensor *dev = deviation(out);
    grad_in[0] = tg_mul_scalar(tg_mul(tg__keepdim_grad(g, out), dev), 2.0 / dof_of(out));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* 1 where a std is 0 and 0 elsewhere, or the reverse. */
static void is_zero_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr)
{
    TG_FOR_DTYPE(x->dtype, T, {
        const T *in = x->data;
        T *o = y->data;
        TG_PARALLEL_FOR(x->numel, i, o[i] = (in[i] == 0) != (attr.i.flag_a != 0));
    });
}

static int std_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    const char *fn = out->op->info.name;
    tg_tensor *s = tg__keepdim_grad(out, out);
    tg_tensor *zero = tg__constant_unary(fn, s, (tg_attr){0}, is_zero_kernel);
    tg_tensor *nonzero = tg__constant_unary(fn, s, (tg_attr){.i = {.flag_a = 1}}, is_zero_kernel);
    /* g' / std where std != 0, else 0: std + [std == 0] is never 0, so the
     * masked lanes hold 0 / 1 instead of 0 / 0, at every order */
    tg_tensor *scaled = tg_div(tg_mul(tg__keepdim_grad(g, out), nonzero), tg_add(s, zero));
    grad_in[0] = tg_mul_scalar(tg_mul(scaled, deviation(out)), 1.0 / dof_of(out));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

static int variance_rerun(tg_tensor *out)
{
    var_kernel(out, out->in[0], false);
    return TG_OK;
}

static int std_rerun(tg_tensor *out)
{
    var_kernel(out, out->in[0], true);
    return TG_OK;
}

TG_SAMPLE_FN(sample_variance, tg_variance(in[0], 2, (const int[]){0, 1}, 1, false))

const tg_op tg__op_variance = {
    .info = {TG_OP_VARIANCE, "tg_variance", 1, TG_OP_AXES | TG_OP_CONSTANT,
             {sample_variance, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = var_backward,
    .jvp = tg__jvp_reduction,
    .rerun = variance_rerun,
};
TG_SAMPLE_FN(sample_std, tg_std(in[0], 1, (const int[]){-1}, 0, true))

const tg_op tg__op_std = {
    .info = {TG_OP_STD, "tg_std", 1, TG_OP_AXES | TG_OP_CONSTANT,
             {sample_std, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = std_backward,
    .jvp = tg__jvp_reduction,
    .rerun = std_rerun,
};

static tg_tensor *spread_of(const tg_op *op, tg_tensor *x, int n_axes, const int *axes,
                            double correction, bool keepdim)
{
    const char *fn = op->info.name;
    unsigned mask;
    if (tg__axes_mask(fn, x, n_axes, axes, &mask) < 0)
        return NULL;
    if (!isfinite(correction)) {
        tg__fail(TG_EVALUE, "%s: correction %g is not finite", fn, correction);
        return NULL;
    }
    tg_tensor *y = tg__reduction_new_mask(fn, x, mask, keepdim, (tg_attr){.f = correction});
    if (!y)
        return NULL;
    var_kernel(y, x, op == &tg__op_std);
    return tg__record(y, op, 1, &x);
}

tg_tensor *tg_variance(tg_tensor *x, int n_axes, const int *axes, double correction,
                       bool keepdim)
{
    return spread_of(&tg__op_variance, x, n_axes, axes, correction, keepdim);
}

tg_tensor *tg_std(tg_tensor *x, int n_axes, const int *axes, double correction, bool keepdim)
{
    return spread_of(&tg__op_std, x, n_axes, axes, correction, keepdim);
}
