/*
 * exp2.c -- y = 2^x.
 *
 *   forward   C's exp2 (exact at integers)
 *   backward  dx = g y ln 2, from the saved output
 */
#include "kernel.h"
#include "jvp.h"

#define LN_2 0.69314718055994530942 /* ln 2 */

TG_UNARY_FORMULA(exp2, r = exp2(v))

static int exp2_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_mul(g, tg_mul_scalar(out, LN_2));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void exp2_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)x;
    (void)attr;
    p[0] = y * LN_2;
}

TG_SAMPLE_FN(sample_exp2, tg_exp2(in[0]))

const tg_op tg__op_exp2 = {
    .info = {TG_OP_EXP2, "tg_exp2", 1, TG_OP_ELEMENTWISE,
             {sample_exp2, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = exp2_backward,
    .partials = exp2_partials,
    .jvp = tg__jvp_symmetric,
    .value = exp2_value,
    .kernel.unary = exp2_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_exp2(tg_tensor *x) { return tg__unary(&tg__op_exp2, x, (tg_attr){0}); }
