/*
 * atan.c -- y = atan x, in (-pi/2, pi/2).
 *
 *   forward   C's atan; +-inf give +-pi/2
 *   backward  dx = g / (1 + x^2); where x^2 overflows the gradient is 0, the
 *             true value having underflowed long before
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(atan, r = atan(v))

static int atan_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_div(g, tg_add_scalar(tg_mul(out->in[0], out->in[0]), 1));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void atan_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    (void)attr;
    p[0] = 1 / (1 + x[0] * x[0]);
}

TG_SAMPLE_FN(sample_atan, tg_atan(in[0]))

const tg_op tg__op_atan = {
    .info = {TG_OP_ATAN, "tg_atan", 1, TG_OP_ELEMENTWISE,
             {sample_atan, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = atan_backward,
    .partials = atan_partials,
    .jvp = tg__jvp_symmetric,
    .value = atan_value,
    .kernel.unary = atan_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_atan(tg_tensor *x) { return tg__unary(&tg__op_atan, x, (tg_attr){0}); }
