/*
 * log1p.c -- y = ln(1 + x).
 *
 *   forward   C's log1p: full precision for tiny x, where 1 + x would round
 *             x away; x = -1 gives -inf, x < -1 NaN (IEEE)
 *   backward  dx = g / (1 + x); +inf at x = -1
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(log1p, r = log1p(v))

static int log1p_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_div(g, tg_add_scalar(out->in[0], 1));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

TG_SAMPLE_FN(sample_log1p, tg_log1p(in[0]))

/* [-0.5, 2]: negative x too, away from the pole at -1 */
/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void log1p_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    (void)attr;
    p[0] = 1 / (1 + x[0]);
}

const tg_op tg__op_log1p = {
    .info = {TG_OP_LOG1P, "tg_log1p", 1, TG_OP_ELEMENTWISE,
             {sample_log1p, 1, TG_SAMPLE_SAME, {{-0.5, 2.0, false}}}},
    .backward = log1p_backward,
    .partials = log1p_partials,
    .jvp = tg__jvp_symmetric,
    .value = log1p_value,
    .kernel.unary = log1p_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_log1p(tg_tensor *x)
{
    return tg__unary(&tg__op_log1p, x, (tg_attr){0});
}
