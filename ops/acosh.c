/*
 * acosh.c -- y = acosh x = ln(x + sqrt(x^2 - 1)), for x >= 1.
 *
 *   forward   C's acosh; x < 1 and NaN give NaN
 *   backward  dx = g / sinh y, from the saved output: sinh(acosh x) is
 *             sqrt(x^2 - 1) without squaring x (no overflow for large x, no
 *             cancellation near 1). At x = 1 the gradient is +inf (IEEE:
 *             1/sinh 0, as in PyTorch)
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(acosh, r = acosh(v))

static int acosh_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_div(g, tg_sinh(out));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

TG_SAMPLE_FN(sample_acosh, tg_acosh(in[0]))

/* [1.5, 3]: away from the pole of the derivative at 1 */
/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void acosh_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)x;
    (void)attr;
    p[0] = 1 / sinh(y);
}

const tg_op tg__op_acosh = {
    .info = {TG_OP_ACOSH, "tg_acosh", 1, TG_OP_ELEMENTWISE,
             {sample_acosh, 1, TG_SAMPLE_SAME, {{1.5, 3.0, false}}}},
    .backward = acosh_backward,
    .partials = acosh_partials,
    .jvp = tg__jvp_symmetric,
    .value = acosh_value,
    .kernel.unary = acosh_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_acosh(tg_tensor *x)
{
    return tg__unary(&tg__op_acosh, x, (tg_attr){0});
}
