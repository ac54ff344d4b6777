/*
 * identity.c -- y = x, so that a layer without a nonlinearity is written
 * like every other one. tg_linear, the lecture notes' name for this
 * "linear" activation, is the same op.
 *
 *   forward   a new tensor holding a copy of x
 *   backward  dx = g
 */
#include <string.h>

#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(copy, r = v)

static int identity_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    (void)out;
    grad_in[0] = g;
    return TG_OK;
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void identity_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)x;
    (void)y;
    (void)attr;
    p[0] = 1;
}

TG_SAMPLE_FN(sample_identity, tg_identity(in[0]))

const tg_op tg__op_identity = {
    .info = {TG_OP_IDENTITY, "tg_identity", 1, TG_OP_ELEMENTWISE,
             {sample_identity, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = identity_backward,
    .partials = identity_partials,
    .jvp = tg__jvp_symmetric,
    .value = copy_value,
    .kernel.unary = copy_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_identity(tg_tensor *x)
{
    return tg__unary(&tg__op_identity, x, (tg_attr){0});
}

tg_tensor *tg_linear(tg_tensor *x) { return tg_identity(x); }
