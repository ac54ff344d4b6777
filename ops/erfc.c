/*
 * erfc.c -- y = erfc x = 1 - erf x.
 *
 *   forward   C's erfc, not 1 - erf x: erfc(10) = 2.1e-45 where 1 - erf(10) is
 *             0; erfc(30) underflows to 0 (its value is about 3e-393)
 *   backward  dx = -g 2/sqrt(pi) e^(-x^2), written with ops
 */
#include "kernel.h"
#include "jvp.h"

#define TWO_OVER_SQRT_PI 1.12837916709551257390 /* 2 / sqrt(pi) */

TG_UNARY_FORMULA(erfc, r = erfc(v))

static int erfc_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    tg_tensor *x = out->in[0];
    grad_in[0] = tg_mul(g, tg_mul_scalar(tg_exp(tg_neg(tg_mul(x, x))), -TWO_OVER_SQRT_PI));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void erfc_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    (void)attr;
    p[0] = -TWO_OVER_SQRT_PI * exp(-x[0] * x[0]);
}

TG_SAMPLE_FN(sample_erfc, tg_erfc(in[0]))

const tg_op tg__op_erfc = {
    .info = {TG_OP_ERFC, "tg_erfc", 1, TG_OP_ELEMENTWISE,
             {sample_erfc, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = erfc_backward,
    .partials = erfc_partials,
    .jvp = tg__jvp_symmetric,
    .value = erfc_value,
    .kernel.unary = erfc_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_erfc(tg_tensor *x) { return tg__unary(&tg__op_erfc, x, (tg_attr){0}); }
