/*
 * leaky_relu.c -- y = x >= 0 ? x : slope x; slope is kept in attr.f. For a
 * slope below 1 this is the notes' max(slope x, x).
 *
 *   forward   NaN passes through
 *   backward  dx = g (x > 0 ? 1 : slope): the kink x = 0 takes the slope, as
 *             in PyTorch
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(leaky_relu, r = v < 0 ? (T)attr.f * v : v)

static void local_slope_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr)
{
    TG_FOR_DTYPE(x->dtype, T, {
        const T *in = x->data;
        T *out = y->data;
        T slope = (T)attr.f;
        TG_PARALLEL_FOR(x->numel, i, out[i] = in[i] > 0 ? 1 : slope);
    });
}

static int leaky_relu_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    tg_tensor *local_slope =
        tg__constant_unary(out->op->info.name, out->in[0], out->attr, local_slope_kernel);
    grad_in[0] = tg_mul(g, local_slope);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void leaky_relu_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    p[0] = x[0] > 0 ? 1 : attr.f;
}

TG_SAMPLE_FN(sample_leaky_relu, tg_leaky_relu(in[0], 0.1))

const tg_op tg__op_leaky_relu = {
    .info = {TG_OP_LEAKY_RELU, "tg_leaky_relu", 1, TG_OP_ELEMENTWISE | TG_OP_CONSTANT,
             {sample_leaky_relu, 1, TG_SAMPLE_SAME, {TG_SAMPLE_NONZERO}}},
    .backward = leaky_relu_backward,
    .partials = leaky_relu_partials,
    .jvp = tg__jvp_symmetric,
    .value = leaky_relu_value,
    .kernel.unary = leaky_relu_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_leaky_relu(tg_tensor *x, double slope)
{
    return tg__unary(&tg__op_leaky_relu, x, (tg_attr){.f = slope});
}
