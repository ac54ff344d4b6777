/*
 * log2.c -- y = log2 x.
 *
 *   forward   C's log2 (exact at powers of two); x = 0 gives -inf, x < 0 NaN
 *   backward  dx = g / (x ln 2)
 */
#include "kernel.h"
#include "jvp.h"

#define LN_2 0.69314718055994530942 /* ln 2 */

TG_UNARY_FORMULA(log2, r = log2(v))

static int log2_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_div(g, tg_mul_scalar(out->in[0], LN_2));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void log2_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    (void)attr;
    p[0] = 1 / (x[0] * LN_2);
}

TG_SAMPLE_FN(sample_log2, tg_log2(in[0]))

const tg_op tg__op_log2 = {
    .info = {TG_OP_LOG2, "tg_log2", 1, TG_OP_ELEMENTWISE,
             {sample_log2, 1, TG_SAMPLE_SAME, {TG_SAMPLE_POSITIVE}}},
    .backward = log2_backward,
    .partials = log2_partials,
    .jvp = tg__jvp_symmetric,
    .value = log2_value,
    .kernel.unary = log2_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_log2(tg_tensor *x) { return tg__unary(&tg__op_log2, x, (tg_attr){0}); }
