/*
 * heaviside.c -- the Heaviside step: y = 1 if x >= 0 else 0 (NaN gives 0).
 * tg_step, the lecture notes' name for it, is the same op.
 *
 *   backward  dx = 0 everywhere, by convention also at the jump x = 0. The
 *             rule returns no gradient (NULL, which the sweep reads as
 *             zero), so nothing upstream of a step learns through it.
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(heaviside, r = v >= 0)

static int heaviside_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    (void)out;
    (void)g;
    grad_in[0] = NULL;
    return TG_OK;
}

TG_SAMPLE_FN(sample_heaviside, tg_heaviside(in[0]))

const tg_op tg__op_heaviside = {
    .info = {TG_OP_HEAVISIDE, "tg_heaviside", 1, TG_OP_ELEMENTWISE,
             {sample_heaviside, 1, TG_SAMPLE_SAME, {TG_SAMPLE_NONZERO}}},
    .backward = heaviside_backward,
    .partials = tg__partials_none,
    .jvp = tg__jvp_zero,
    .value = heaviside_value,
    .kernel.unary = heaviside_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_heaviside(tg_tensor *x)
{
    return tg__unary(&tg__op_heaviside, x, (tg_attr){0});
}

tg_tensor *tg_step(tg_tensor *x) { return tg_heaviside(x); }
