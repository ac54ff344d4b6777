/*
 * sinh.c -- y = sinh x.
 *
 *   forward   C's sinh: exact near 0, +-inf only where the value overflows
 *   backward  dx = g cosh x, written with tg_cosh so that every order works
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(sinh, r = sinh(v))

static int sinh_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_mul(g, tg_cosh(out->in[0]));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void sinh_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    (void)attr;
    p[0] = cosh(x[0]);
}

TG_SAMPLE_FN(sample_sinh, tg_sinh(in[0]))

const tg_op tg__op_sinh = {
    .info = {TG_OP_SINH, "tg_sinh", 1, TG_OP_ELEMENTWISE,
             {sample_sinh, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = sinh_backward,
    .partials = sinh_partials,
    .jvp = tg__jvp_symmetric,
    .value = sinh_value,
    .kernel.unary = sinh_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_sinh(tg_tensor *x) { return tg__unary(&tg__op_sinh, x, (tg_attr){0}); }
