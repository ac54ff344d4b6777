/*
 * floor.c -- y = floor x, the largest integer <= x.
 *
 *   forward   C's floor; inf and NaN pass through, -0.5 gives -1
 *   backward  dx = 0 everywhere, also at the integers where it jumps (PyTorch's
 *             convention): the rule returns no gradient
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(floor, r = floor(v))

static int floor_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    (void)out;
    (void)g;
    grad_in[0] = NULL;
    return TG_OK;
}

TG_SAMPLE_FN(sample_floor, tg_floor(in[0]))

/* +-[0.1, 0.9]: 0.1 from the jumps at the integers; -1 or 0 */
const tg_op tg__op_floor = {
    .info = {TG_OP_FLOOR, "tg_floor", 1, TG_OP_ELEMENTWISE,
             {sample_floor, 1, TG_SAMPLE_SAME, {{0.1, 0.9, true}}}},
    .backward = floor_backward,
    .partials = tg__partials_none,
    .jvp = tg__jvp_zero,
    .value = floor_value,
    .kernel.unary = floor_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_floor(tg_tensor *x)
{
    return tg__unary(&tg__op_floor, x, (tg_attr){0});
}
