/*
 * atanh.c -- y = atanh x = 1/2 ln((1 + x) / (1 - x)), for |x| <= 1.
 *
 *   forward   C's atanh; +-1 give +-inf, |x| > 1 and NaN give NaN
 *   backward  dx = g / ((1 - x)(1 + x)); at x = +-1 the gradient is +inf
 *             (IEEE, as in PyTorch)
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(atanh, r = atanh(v))

/* (1 - x)(1 + x), not 1 - x^2: exact near |x| = 1, where 1 - x^2 loses
 * the digits that the pole makes matter. */
static tg_tensor *one_minus_square(tg_tensor *x)
{
    return tg_mul(tg_add_scalar(tg_neg(x), 1), tg_add_scalar(x, 1));
}

static int atanh_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_div(g, one_minus_square(out->in[0]));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

TG_SAMPLE_FN(sample_atanh, tg_atanh(in[0]))

/* [-0.8, 0.8]: away from the poles at +-1 */
/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void atanh_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    (void)attr;
    p[0] = 1 / ((1 - x[0]) * (1 + x[0]));
}

const tg_op tg__op_atanh = {
    .info = {TG_OP_ATANH, "tg_atanh", 1, TG_OP_ELEMENTWISE,
             {sample_atanh, 1, TG_SAMPLE_SAME, {{-0.8, 0.8, false}}}},
    .backward = atanh_backward,
    .partials = atanh_partials,
    .jvp = tg__jvp_symmetric,
    .value = atanh_value,
    .kernel.unary = atanh_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_atanh(tg_tensor *x)
{
    return tg__unary(&tg__op_atanh, x, (tg_attr){0});
}
