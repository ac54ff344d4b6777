/*
 * relu.c -- y = max(0, x).
 *
 *   forward   NaN passes through
 *   backward  dx = g [x > 0]: 0 at the kink x = 0, as in PyTorch; one fused
 *             pass in a first-order sweep
 */
#include "kernel.h"
#include "jvp.h"

/* the formula of the kernel and of the scalar value */
#define RELU_OF(v) ((v) < 0 ? 0 : (v))

TG_HOT static void relu_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr)
{
    (void)attr;
    TG_FOR_DTYPE(x->dtype, T, {
        const T *in = x->data;
        T *out = y->data;
        TG_PARALLEL_FOR(x->numel, i, out[i] = RELU_OF(in[i]));
    });
}

static double relu_value(const double *x, tg_attr attr)
{
    (void)attr;
    return RELU_OF(x[0]);
}

static void positive_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr)
{
    (void)attr;
    TG_FOR_DTYPE(x->dtype, T, {
        const T *in = x->data;
        T *out = y->data;
        TG_PARALLEL_FOR(x->numel, i, out[i] = in[i] > 0);
    });
}

TG_HOT static void relu_grad_kernel(const tg_bcast *plan, tg_tensor *dx, const tg_tensor *g,
                                    const tg_tensor *x, bool accumulate)
{
    TG_FOR_DTYPE(dx->dtype, T, {
        T *d = dx->data;
        const T *gv = g->data, *xv = x->data;
        /* g is loaded whatever x is, so that the select needs no branch (a
         * load under a condition is not speculated): the CNN's random signs
         * mispredicted half the time, 8.2% of bench_cnn's profile, now 1.6% */
        TG_BCAST_WALK2(plan, dx->numel, o, i, j, {
            T gi = gv[i];
            T v = xv[j] > 0 ? gi : 0;
            d[o] = accumulate ? d[o] + v : v;
        });
    });
}

static int relu_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    if (tg__may_fuse()) {
        return tg__fused_grad(out->op->info.name, out->in[0], g, out->in[0], relu_grad_kernel,
                              &grad_in[0]);
    } else {
        tg_tensor *positive =
            tg__constant_unary(out->op->info.name, out->in[0], (tg_attr){0}, positive_kernel);
        grad_in[0] = tg_mul(g, positive);
    }
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void relu_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    (void)attr;
    p[0] = x[0] > 0;
}

TG_SAMPLE_FN(sample_relu, tg_relu(in[0]))

const tg_op tg__op_relu = {
    .info = {TG_OP_RELU, "tg_relu", 1, TG_OP_ELEMENTWISE | TG_OP_FUSED,
             {sample_relu, 1, TG_SAMPLE_SAME, {TG_SAMPLE_NONZERO}}},
    .backward = relu_backward,
    .partials = relu_partials,
    .jvp = tg__jvp_symmetric,
    .value = relu_value,
    .kernel.unary = relu_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_relu(tg_tensor *x) { return tg__unary(&tg__op_relu, x, (tg_attr){0}); }
