/*
 * sin.c -- y = sin x (radians).
 *
 *   forward   C's sin; inf and NaN give NaN
 *   backward  dx = g cos x, written with tg_cos so that every order works
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(sin, r = sin(v))

static int sin_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_mul(g, tg_cos(out->in[0]));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void sin_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    (void)attr;
    p[0] = cos(x[0]);
}

TG_SAMPLE_FN(sample_sin, tg_sin(in[0]))

const tg_op tg__op_sin = {
    .info = {TG_OP_SIN, "tg_sin", 1, TG_OP_ELEMENTWISE,
             {sample_sin, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = sin_backward,
    .partials = sin_partials,
    .jvp = tg__jvp_symmetric,
    .value = sin_value,
    .kernel.unary = sin_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_sin(tg_tensor *x) { return tg__unary(&tg__op_sin, x, (tg_attr){0}); }
