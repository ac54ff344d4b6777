/*
 * softsign.c -- y = softsign(x) = x / (1 + |x|).
 *
 *   forward   x / (1 + |x|); infinities give NaN, as in PyTorch
 *   backward  dx = g / (1 + |x|)^2, written with tg_abs and tg_pow_scalar;
 *             smooth at 0 (the second derivative there takes abs'(0) = 0)
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(softsign, r = v / (1 + fabs(v)))

static int softsign_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    tg_tensor *denom = tg_add_scalar(tg_abs(out->in[0]), 1);
    grad_in[0] = tg_mul(g, tg_pow_scalar(denom, -2));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void softsign_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    (void)attr;
    double d = 1 + fabs(x[0]);
    p[0] = 1 / (d * d);
}

TG_SAMPLE_FN(sample_softsign, tg_softsign(in[0]))

const tg_op tg__op_softsign = {
    .info = {TG_OP_SOFTSIGN, "tg_softsign", 1, TG_OP_ELEMENTWISE,
             {sample_softsign, 1, TG_SAMPLE_SAME, {TG_SAMPLE_NONZERO}}},
    .backward = softsign_backward,
    .partials = softsign_partials,
    .jvp = tg__jvp_symmetric,
    .value = softsign_value,
    .kernel.unary = softsign_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_softsign(tg_tensor *x)
{
    return tg__unary(&tg__op_softsign, x, (tg_attr){0});
}
