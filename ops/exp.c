/*
 * exp.c -- y = e^x.
 *
 *   forward   overflows to inf for large x (x > 88 in f32, x > 709 in f64)
 *   backward  dx = g y, from the saved output
 *   tangent   dy = y dx
 */
#include "kernel.h"

TG_UNARY_FORMULA(exp, r = exp(v))

static int exp_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_mul(g, out);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

static int exp_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    *tangent_out = tg_mul(tangent_in[0], out);
    return *tangent_out ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void exp_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)x;
    (void)attr;
    p[0] = y;
}

TG_SAMPLE_FN(sample_exp, tg_exp(in[0]))

const tg_op tg__op_exp = {
    .info = {TG_OP_EXP, "tg_exp", 1, TG_OP_ELEMENTWISE,
             {sample_exp, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = exp_backward,
    .partials = exp_partials,
    .jvp = exp_jvp,
    .value = exp_value,
    .kernel.unary = exp_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_exp(tg_tensor *x) { return tg__unary(&tg__op_exp, x, (tg_attr){0}); }
