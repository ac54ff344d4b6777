/*
 * log.c -- y = ln x.
 *
 *   forward   outside the domain the result follows IEEE, as in PyTorch:
 *             ln 0 = -inf, ln of a negative number is NaN; neither is an
 *             error, so a whole batch is computed and the caller can inspect it
 *   backward  dx = g / x
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(log, r = log(v))

static int log_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_div(g, out->in[0]);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void log_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    (void)attr;
    p[0] = 1 / x[0];
}

TG_SAMPLE_FN(sample_log, tg_log(in[0]))

const tg_op tg__op_log = {
    .info = {TG_OP_LOG, "tg_log", 1, TG_OP_ELEMENTWISE,
             {sample_log, 1, TG_SAMPLE_SAME, {TG_SAMPLE_POSITIVE}}},
    .backward = log_backward,
    .partials = log_partials,
    .jvp = tg__jvp_symmetric,
    .value = log_value,
    .kernel.unary = log_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_log(tg_tensor *x) { return tg__unary(&tg__op_log, x, (tg_attr){0}); }
