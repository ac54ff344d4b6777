/*
 * step.c -- the Heaviside step: y = 1 if x >= 0 else 0 (NaN gives 0).
 *
 *   backward  dx = 0 everywhere, by convention also at the jump x = 0. The
 *             rule returns no gradient (NULL, which the sweep reads as
 *             zero), so nothing upstream of a step learns through it.
 */
#include "kernel.h"

static void step_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr)
{
    (void)attr;
    TG_FOR_DTYPE(x->dtype, T, {
        const T *in = x->data;
        T *out = y->data;
        TG_PARALLEL_FOR(x->numel, i, out[i] = in[i] >= 0);
    });
}

static int step_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    (void)out;
    (void)g;
    grad_in[0] = NULL;
    return TG_OK;
}

static const tg_op step_op = {"tg_step", 1, step_backward};

tg_tensor *tg_step(tg_tensor *x) { return tg__unary(&step_op, x, (tg_attr){0}, step_kernel); }
