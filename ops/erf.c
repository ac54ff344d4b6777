/*
 * erf.c -- y = erf x = 2/sqrt(pi) int_0^x e^(-t^2) dt.
 *
 *   forward   C's erf
 *   backward  dx = g 2/sqrt(pi) e^(-x^2), written with ops so that every order
 *             works; 0 where e^(-x^2) underflows (|x| > 27 in double)
 */
#include "kernel.h"
#include "jvp.h"

#define TWO_OVER_SQRT_PI 1.12837916709551257390 /* 2 / sqrt(pi) */

TG_UNARY_FORMULA(erf, r = erf(v))

static int erf_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    tg_tensor *x = out->in[0];
    grad_in[0] = tg_mul(g, tg_mul_scalar(tg_exp(tg_neg(tg_mul(x, x))), TWO_OVER_SQRT_PI));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void erf_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    (void)attr;
    p[0] = TWO_OVER_SQRT_PI * exp(-x[0] * x[0]);
}

TG_SAMPLE_FN(sample_erf, tg_erf(in[0]))

const tg_op tg__op_erf = {
    .info = {TG_OP_ERF, "tg_erf", 1, TG_OP_ELEMENTWISE,
             {sample_erf, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = erf_backward,
    .partials = erf_partials,
    .jvp = tg__jvp_symmetric,
    .value = erf_value,
    .kernel.unary = erf_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_erf(tg_tensor *x) { return tg__unary(&tg__op_erf, x, (tg_attr){0}); }
