/*
 * reciprocal.c -- y = 1 / x (torch.reciprocal).
 *
 *   forward   1 / x: +-0 give +-inf (IEEE, as in PyTorch)
 *   backward  dx = -g y^2, from the saved output; -inf at x = 0
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(reciprocal, r = 1 / v)

static int reciprocal_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_neg(tg_mul(g, tg_mul(out, out)));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

TG_SAMPLE_FN(sample_reciprocal, tg_reciprocal(in[0]))

/* +-[0.5, 2]: away from the pole at 0 */
/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void reciprocal_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)x;
    (void)attr;
    p[0] = -y * y;
}

const tg_op tg__op_reciprocal = {
    .info = {TG_OP_RECIPROCAL, "tg_reciprocal", 1, TG_OP_ELEMENTWISE,
             {sample_reciprocal, 1, TG_SAMPLE_SAME, {{0.5, 2.0, true}}}},
    .backward = reciprocal_backward,
    .partials = reciprocal_partials,
    .jvp = tg__jvp_symmetric,
    .value = reciprocal_value,
    .kernel.unary = reciprocal_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_reciprocal(tg_tensor *x)
{
    return tg__unary(&tg__op_reciprocal, x, (tg_attr){0});
}
