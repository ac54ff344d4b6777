/*
 * sqrt.c -- y = sqrt x.
 *
 *   forward   the square root of a negative number is NaN (IEEE, as in
 *             PyTorch), not an error
 *   backward  dx = g / (2 y), from the saved output; inf at x = 0
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(sqrt, r = sqrt(v))

static int sqrt_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_div(g, tg_mul_scalar(out, 2));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void sqrt_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)x;
    (void)attr;
    p[0] = 1 / (2 * y);
}

TG_SAMPLE_FN(sample_sqrt, tg_sqrt(in[0]))

const tg_op tg__op_sqrt = {
    .info = {TG_OP_SQRT, "tg_sqrt", 1, TG_OP_ELEMENTWISE,
             {sample_sqrt, 1, TG_SAMPLE_SAME, {TG_SAMPLE_POSITIVE}}},
    .backward = sqrt_backward,
    .partials = sqrt_partials,
    .jvp = tg__jvp_symmetric,
    .value = sqrt_value,
    .kernel.unary = sqrt_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_sqrt(tg_tensor *x) { return tg__unary(&tg__op_sqrt, x, (tg_attr){0}); }
