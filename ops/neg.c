/*
 * neg.c -- y = -x.
 *
 *   backward  dx = -g
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(neg, r = -v)

static int neg_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    (void)out;
    grad_in[0] = tg_neg(g);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void neg_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)x;
    (void)y;
    (void)attr;
    p[0] = -1;
}

TG_SAMPLE_FN(sample_neg, tg_neg(in[0]))

const tg_op tg__op_neg = {
    .info = {TG_OP_NEG, "tg_neg", 1, TG_OP_ELEMENTWISE,
             {sample_neg, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = neg_backward,
    .partials = neg_partials,
    .jvp = tg__jvp_symmetric,
    .value = neg_value,
    .kernel.unary = neg_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_neg(tg_tensor *x) { return tg__unary(&tg__op_neg, x, (tg_attr){0}); }
