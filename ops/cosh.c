/*
 * cosh.c -- y = cosh x.
 *
 *   forward   C's cosh: inf only where the value overflows
 *   backward  dx = g sinh x, written with tg_sinh so that every order works
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(cosh, r = cosh(v))

static int cosh_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_mul(g, tg_sinh(out->in[0]));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void cosh_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    (void)attr;
    p[0] = sinh(x[0]);
}

TG_SAMPLE_FN(sample_cosh, tg_cosh(in[0]))

const tg_op tg__op_cosh = {
    .info = {TG_OP_COSH, "tg_cosh", 1, TG_OP_ELEMENTWISE,
             {sample_cosh, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = cosh_backward,
    .partials = cosh_partials,
    .jvp = tg__jvp_symmetric,
    .value = cosh_value,
    .kernel.unary = cosh_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_cosh(tg_tensor *x) { return tg__unary(&tg__op_cosh, x, (tg_attr){0}); }
