/*
 * round.c -- y = round x to the nearest integer, halves to even (torch.round):
 * round(0.5) = 0, round(1.5) = 2, round(2.5) = 2, round(-0.5) = -0.
 *
 *   forward   C's rint, which rounds halves to even in the default rounding
 *             mode (C's round would send halves away from 0)
 *   backward  dx = 0 everywhere, also at the half-integers where it jumps
 *             (PyTorch's convention): the rule returns no gradient
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(round, r = rint(v))

static int round_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    (void)out;
    (void)g;
    grad_in[0] = NULL;
    return TG_OK;
}

TG_SAMPLE_FN(sample_round, tg_round(in[0]))

/* +-[0.6, 1.4]: round jumps at the half-integers, not at the integers,
 * so the sample keeps 0.1 from +-0.5 and +-1.5 and takes values where the
 * result is +-1 rather than only 0 */
const tg_op tg__op_round = {
    .info = {TG_OP_ROUND, "tg_round", 1, TG_OP_ELEMENTWISE,
             {sample_round, 1, TG_SAMPLE_SAME, {{0.6, 1.4, true}}}},
    .backward = round_backward,
    .partials = tg__partials_none,
    .jvp = tg__jvp_zero,
    .value = round_value,
    .kernel.unary = round_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_round(tg_tensor *x)
{
    return tg__unary(&tg__op_round, x, (tg_attr){0});
}
