/*
 * log_sigmoid.c -- y = log sigmoid(x) = -softplus(-x).
 *
 *   forward   min(x, 0) - log1p(e^(-|x|)): e^ never overflows, so x = -1e4
 *             gives -1e4 (log of a sigmoid that underflowed would be -inf)
 *             and x = 1e4 gives -0 rounding to 0
 *   backward  dx = g sigmoid(-x), written with tg_sigmoid
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(log_sigmoid, r = (v < 0 ? v : 0) - log1p(exp(-fabs(v))))

static int log_sigmoid_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_mul(g, tg_sigmoid(tg_neg(out->in[0])));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void log_sigmoid_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    (void)attr;
    p[0] = tg__sigmoid_value(-x[0]);
}

TG_SAMPLE_FN(sample_log_sigmoid, tg_log_sigmoid(in[0]))

const tg_op tg__op_log_sigmoid = {
    .info = {TG_OP_LOG_SIGMOID, "tg_log_sigmoid", 1, TG_OP_ELEMENTWISE,
             {sample_log_sigmoid, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = log_sigmoid_backward,
    .partials = log_sigmoid_partials,
    .jvp = tg__jvp_symmetric,
    .value = log_sigmoid_value,
    .kernel.unary = log_sigmoid_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_log_sigmoid(tg_tensor *x)
{
    return tg__unary(&tg__op_log_sigmoid, x, (tg_attr){0});
}
