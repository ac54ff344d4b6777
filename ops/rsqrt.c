/*
 * rsqrt.c -- y = 1 / sqrt x (torch.rsqrt).
 *
 *   forward   1 / sqrt x: rsqrt(+0) = +inf and rsqrt(-0) = -inf (IEEE, as in
 *             PyTorch); x < 0 gives NaN
 *   backward  dx = -g y^3 / 2 (= -g x^(-3/2) / 2), from the saved output; -inf
 *             at x = 0
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(rsqrt, r = 1 / sqrt(v))

static int rsqrt_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_mul(g, tg_mul_scalar(tg_mul(out, tg_mul(out, out)), -0.5));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void rsqrt_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)x;
    (void)attr;
    p[0] = -y * y * y / 2;
}

TG_SAMPLE_FN(sample_rsqrt, tg_rsqrt(in[0]))

const tg_op tg__op_rsqrt = {
    .info = {TG_OP_RSQRT, "tg_rsqrt", 1, TG_OP_ELEMENTWISE,
             {sample_rsqrt, 1, TG_SAMPLE_SAME, {TG_SAMPLE_POSITIVE}}},
    .backward = rsqrt_backward,
    .partials = rsqrt_partials,
    .jvp = tg__jvp_symmetric,
    .value = rsqrt_value,
    .kernel.unary = rsqrt_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_rsqrt(tg_tensor *x)
{
    return tg__unary(&tg__op_rsqrt, x, (tg_attr){0});
}
