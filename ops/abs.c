/*
 * abs.c -- y = |x|.
 *
 *   backward  dx = g sign(x), with sign(0) = 0 (PyTorch's choice at the kink:
 *             the subgradient of least norm)
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(abs, r = fabs(v))

static void sign_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr)
{
    (void)attr;
    TG_FOR_DTYPE(x->dtype, T, {
        const T *in = x->data;
        T *out = y->data;
        TG_PARALLEL_FOR(x->numel, i, out[i] = (T)((in[i] > 0) - (in[i] < 0)));
    });
}

static int abs_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    tg_tensor *sign = tg__constant_unary(out->op->info.name, out->in[0], (tg_attr){0}, sign_kernel);
    grad_in[0] = tg_mul(g, sign);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void abs_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    (void)attr;
    p[0] = x[0] > 0 ? 1 : x[0] < 0 ? -1 : 0;
}

TG_SAMPLE_FN(sample_abs, tg_abs(in[0]))

const tg_op tg__op_abs = {
    .info = {TG_OP_ABS, "tg_abs", 1, TG_OP_ELEMENTWISE,
             {sample_abs, 1, TG_SAMPLE_SAME, {TG_SAMPLE_NONZERO}}},
    .backward = abs_backward,
    .partials = abs_partials,
    .jvp = tg__jvp_symmetric,
    .value = abs_value,
    .kernel.unary = abs_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_abs(tg_tensor *x) { return tg__unary(&tg__op_abs, x, (tg_attr){0}); }
