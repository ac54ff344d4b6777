/*
 * mish.c -- y = mish(x) = x tanh(softplus(x)).
 *
 *   forward   softplus in its stable form max(x, 0) + log1p(e^(-|x|)), so
 *             nothing overflows: x = -1e4 gives -0, x = 1e4 gives 1e4
 *   backward  dx = g (t + x sigmoid(x) (1 - t^2)), t = tanh(softplus(x)),
 *             PyTorch's formula, written with tg_softplus (no linear
 *             region: threshold +inf), tg_tanh and tg_sigmoid
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(mish, {
    T sp = (v > 0 ? v : 0) + log1p(exp(-fabs(v)));
    r = v * tanh(sp);
})

static int mish_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    tg_tensor *x = out->in[0];
    tg_tensor *t = tg_tanh(tg_softplus(x, 1, INFINITY));
    tg_tensor *sech2 = tg_add_scalar(tg_neg(tg_mul(t, t)), 1);
    tg_tensor *local = tg_add(t, tg_mul(tg_mul(x, tg_sigmoid(x)), sech2));
    grad_in[0] = tg_mul(g, local);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void mish_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    (void)attr;
    double sp = fmax(x[0], 0) + log1p(exp(-fabs(x[0]))), t = tanh(sp);
    p[0] = t + x[0] * tg__sigmoid_value(x[0]) * (1 - t * t);
}

TG_SAMPLE_FN(sample_mish, tg_mish(in[0]))

const tg_op tg__op_mish = {
    .info = {TG_OP_MISH, "tg_mish", 1, TG_OP_ELEMENTWISE,
             {sample_mish, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = mish_backward,
    .partials = mish_partials,
    .jvp = tg__jvp_symmetric,
    .value = mish_value,
    .kernel.unary = mish_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_mish(tg_tensor *x) { return tg__unary(&tg__op_mish, x, (tg_attr){0}); }
