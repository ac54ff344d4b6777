/*
 * asinh.c -- y = asinh x = ln(x + sqrt(x^2 + 1)).
 *
 *   forward   C's asinh, finite for every finite x
 *   backward  dx = g / cosh y, from the saved output: cosh(asinh x) is
 *             sqrt(1 + x^2) without squaring x, so the gradient stays right
 *             (about 1/|x|) where x^2 would overflow
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(asinh, r = asinh(v))

static int asinh_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_div(g, tg_cosh(out));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void asinh_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)x;
    (void)attr;
    p[0] = 1 / cosh(y);
}

TG_SAMPLE_FN(sample_asinh, tg_asinh(in[0]))

const tg_op tg__op_asinh = {
    .info = {TG_OP_ASINH, "tg_asinh", 1, TG_OP_ELEMENTWISE,
             {sample_asinh, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = asinh_backward,
    .partials = asinh_partials,
    .jvp = tg__jvp_symmetric,
    .value = asinh_value,
    .kernel.unary = asinh_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_asinh(tg_tensor *x)
{
    return tg__unary(&tg__op_asinh, x, (tg_attr){0});
}
