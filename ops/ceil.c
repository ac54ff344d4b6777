/*
 * ceil.c -- y = ceil x, the smallest integer >= x.
 *
 *   forward   C's ceil; inf and NaN pass through, -0.5 gives -0
 *   backward  dx = 0 everywhere, also at the integers where it jumps (PyTorch's
 *             convention): the rule returns no gradient
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(ceil, r = ceil(v))

static int ceil_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    (void)out;
    (void)g;
    grad_in[0] = NULL;
    return TG_OK;
}

TG_SAMPLE_FN(sample_ceil, tg_ceil(in[0]))

/* +-[0.1, 0.9]: 0.1 from the jumps at the integers; 0 or 1 */
const tg_op tg__op_ceil = {
    .info = {TG_OP_CEIL, "tg_ceil", 1, TG_OP_ELEMENTWISE,
             {sample_ceil, 1, TG_SAMPLE_SAME, {{0.1, 0.9, true}}}},
    .backward = ceil_backward,
    .partials = tg__partials_none,
    .jvp = tg__jvp_zero,
    .value = ceil_value,
    .kernel.unary = ceil_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_ceil(tg_tensor *x) { return tg__unary(&tg__op_ceil, x, (tg_attr){0}); }
