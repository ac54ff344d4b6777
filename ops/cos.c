/*
 * cos.c -- y = cos x (radians).
 *
 *   forward   C's cos; inf and NaN give NaN
 *   backward  dx = -g sin x, written with tg_sin so that every order works
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(cos, r = cos(v))

static int cos_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_neg(tg_mul(g, tg_sin(out->in[0])));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void cos_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    (void)attr;
    p[0] = -sin(x[0]);
}

TG_SAMPLE_FN(sample_cos, tg_cos(in[0]))

const tg_op tg__op_cos = {
    .info = {TG_OP_COS, "tg_cos", 1, TG_OP_ELEMENTWISE,
             {sample_cos, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = cos_backward,
    .partials = cos_partials,
    .jvp = tg__jvp_symmetric,
    .value = cos_value,
    .kernel.unary = cos_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_cos(tg_tensor *x) { return tg__unary(&tg__op_cos, x, (tg_attr){0}); }
