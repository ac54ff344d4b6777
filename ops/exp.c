/*
 * exp.c -- y = e^x.
 *
 *   forward   overflows to inf for large x (x > 88 in f32, x > 709 in f64)
 *   backward  dx = g y, from the saved output
 */
#include "kernel.h"

static void exp_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr)
{
    (void)attr;
    TG_FOR_DTYPE(x->dtype, T, {
        const T *in = x->data;
        T *out = y->data;
        TG_PARALLEL_FOR(x->numel, i, out[i] = exp(in[i]));
    });
}

static int exp_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_mul(g, out);
    return grad_in[0] ? TG_OK : tg_last_error_code();
}

static const tg_op exp_op = {"tg_exp", 1, exp_backward};

tg_tensor *tg_exp(tg_tensor *x) { return tg__unary(&exp_op, x, (tg_attr){0}, exp_kernel); }
