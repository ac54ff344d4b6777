/*
 * acos.c -- y = acos x, in [0, pi].
 *
 *   forward   C's acos; |x| > 1 and NaN give NaN
 *   backward  dx = -g / sqrt((1 - x)(1 + x)); at x = +-1 the gradient is -inf
 *             (IEEE, as in PyTorch)
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(acos, r = acos(v))

/* (1 - x)(1 + x), not 1 - x^2: exact near |x| = 1, where 1 - x^2 loses
 * the digits that the pole makes matter. */
static tg_tensor *one_minus_square(tg_tensor *x)
{
    return tg_mul(tg_add_scalar(tg_neg(x), 1), tg_add_scalar(x, 1));
}

static int acos_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_neg(tg_mul(g, tg_rsqrt(one_minus_square(out->in[0]))));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

TG_SAMPLE_FN(sample_acos, tg_acos(in[0]))

/* [-0.8, 0.8]: away from the poles of the derivative at +-1 */
/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void acos_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    (void)attr;
    p[0] = -1 / sqrt((1 - x[0]) * (1 + x[0]));
}

const tg_op tg__op_acos = {
    .info = {TG_OP_ACOS, "tg_acos", 1, TG_OP_ELEMENTWISE,
             {sample_acos, 1, TG_SAMPLE_SAME, {{-0.8, 0.8, false}}}},
    .backward = acos_backward,
    .partials = acos_partials,
    .jvp = tg__jvp_symmetric,
    .value = acos_value,
    .kernel.unary = acos_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_acos(tg_tensor *x) { return tg__unary(&tg__op_acos, x, (tg_attr){0}); }
