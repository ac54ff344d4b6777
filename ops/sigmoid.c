/*
 * sigmoid.c -- s = 1 / (1 + e^-x) = e^x / (e^x + 1).
 *
 *   forward   the first form for x >= 0, the second for x < 0, so e^(-|x|)
 *             never overflows: no inf or NaN for any finite x
 *   backward  dx = g s (1 - s), from the saved output s; one fused pass in
 *             a first-order sweep
 */
#include "expf_arith.h"
#include "kernel.h"
#include "jvp.h"

/* float's exp is tg__exp_nonpositive_f32 (no libm call), so this loop is
 * compiled per ISA with the same bits on each (expf_arith.h says why) */
TG_HOT static void sigmoid_f32(float *out, const float *in, int64_t n)
{
    TG_PARALLEL_FOR(n, i, {
        float e = tg__exp_nonpositive_f32(-fabsf(in[i]));
        out[i] = TG_SIGMOID_OF(in[i], e);
    });
}

static void sigmoid_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr)
{
    (void)attr;
    if (x->dtype == TG_F32) {
        sigmoid_f32(y->data, x->data, x->numel);
        return;
    }
    const double *in = x->data;
    double *out = y->data;
    TG_PARALLEL_FOR(x->numel, i, out[i] = tg__sigmoid_value(in[i]));
}

static double sigmoid_value(const double *x, tg_attr attr)
{
    (void)attr;
    return tg__sigmoid_value(x[0]);
}

TG_HOT static void sigmoid_grad_kernel(const tg_bcast *plan, tg_tensor *dx, const tg_tensor *g,
                                       const tg_tensor *s, bool accumulate)
{
    TG_FOR_DTYPE(dx->dtype, T, {
        T *d = dx->data;
        const T *gv = g->data, *sv = s->data;
        TG_BCAST_WALK2(plan, dx->numel, o, i, j, {
            T v = gv[i] * (sv[j] - sv[j] * sv[j]);
            d[o] = accumulate ? d[o] + v : v;
        });
    });
}

static int sigmoid_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    if (tg__may_fuse()) {
        return tg__fused_grad(out->op->info.name, out->in[0], g, out, sigmoid_grad_kernel,
                              &grad_in[0]);
    } else { /* s (1 - s) = s - s^2 */
        tg_tensor *ds = tg_sub(out, tg_mul(out, out));
        grad_in[0] = tg_mul(g, ds);
    }
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void sigmoid_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)x;
    (void)attr;
    p[0] = y - y * y;
}

TG_SAMPLE_FN(sample_sigmoid, tg_sigmoid(in[0]))

const tg_op tg__op_sigmoid = {
    .info = {TG_OP_SIGMOID, "tg_sigmoid", 1, TG_OP_ELEMENTWISE | TG_OP_FUSED,
             {sample_sigmoid, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = sigmoid_backward,
    .partials = sigmoid_partials,
    .jvp = tg__jvp_symmetric,
    .value = sigmoid_value,
    .kernel.unary = sigmoid_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_sigmoid(tg_tensor *x)
{
    return tg__unary(&tg__op_sigmoid, x, (tg_attr){0});
}
