/*
 * neg.c -- y = -x.
 *
 *   backward  dx = -g
 */
#include "kernel.h"

static void neg_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr)
{
    (void)attr;
    TG_FOR_DTYPE(x->dtype, T, {
        const T *in = x->data;
        T *out = y->data;
        TG_PARALLEL_FOR(x->numel, i, out[i] = -in[i]);
    });
}

static int neg_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    (void)out;
    grad_in[0] = tg_neg(g);
    return grad_in[0] ? TG_OK : tg_last_error_code();
}

static const tg_op neg_op = {"tg_neg", 1, neg_backward};

tg_tensor *tg_neg(tg_tensor *x) { return tg__unary(&neg_op, x, (tg_attr){0}, neg_kernel); }
