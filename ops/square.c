/*
 * square.c -- y = x^2 (torch.square).
 *
 *   forward   x * x
 *   backward  dx = 2 g x
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(square, r = v * v)

static int square_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_mul(g, tg_mul_scalar(out->in[0], 2));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void square_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    (void)attr;
    p[0] = 2 * x[0];
}

TG_SAMPLE_FN(sample_square, tg_square(in[0]))

const tg_op tg__op_square = {
    .info = {TG_OP_SQUARE, "tg_square", 1, TG_OP_ELEMENTWISE,
             {sample_square, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = square_backward,
    .partials = square_partials,
    .jvp = tg__jvp_symmetric,
    .value = square_value,
    .kernel.unary = square_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_square(tg_tensor *x)
{
    return tg__unary(&tg__op_square, x, (tg_attr){0});
}
