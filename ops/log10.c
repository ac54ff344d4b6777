/*
 * log10.c -- y = log10 x.
 *
 *   forward   C's log10 (exact at powers of ten); x = 0 gives -inf, x < 0 NaN
 *   backward  dx = g / (x ln 10)
 */
#include "kernel.h"
#include "jvp.h"

#define LN_10 2.30258509299404568402 /* ln 10 */

TG_UNARY_FORMULA(log10, r = log10(v))

static int log10_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_div(g, tg_mul_scalar(out->in[0], LN_10));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void log10_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    (void)attr;
    p[0] = 1 / (x[0] * LN_10);
}

TG_SAMPLE_FN(sample_log10, tg_log10(in[0]))

const tg_op tg__op_log10 = {
    .info = {TG_OP_LOG10, "tg_log10", 1, TG_OP_ELEMENTWISE,
             {sample_log10, 1, TG_SAMPLE_SAME, {TG_SAMPLE_POSITIVE}}},
    .backward = log10_backward,
    .partials = log10_partials,
    .jvp = tg__jvp_symmetric,
    .value = log10_value,
    .kernel.unary = log10_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_log10(tg_tensor *x)
{
    return tg__unary(&tg__op_log10, x, (tg_attr){0});
}
