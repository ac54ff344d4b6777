/*
 * abs.c -- y = |x|.
 *
 *   backward  dx = g sign(x), with sign(0) = 0 (PyTorch's choice at the kink:
 *             the subgradient of least norm)
 */
#include "kernel.h"

static void abs_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr)
{
    (void)attr;
    TG_FOR_DTYPE(x->dtype, T, {
        const T *in = x->data;
        T *out = y->data;
        TG_PARALLEL_FOR(x->numel, i, out[i] = fabs(in[i]));
    });
}

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
    tg_tensor *sign = tg__constant_unary(out->op->name, out->in[0], (tg_attr){0}, sign_kernel);
    grad_in[0] = tg_mul(g, sign);
    return grad_in[0] ? TG_OK : tg_last_error_code();
}

static const tg_op abs_op = {"tg_abs", 1, abs_backward};

tg_tensor *tg_abs(tg_tensor *x) { return tg__unary(&abs_op, x, (tg_attr){0}, abs_kernel); }
