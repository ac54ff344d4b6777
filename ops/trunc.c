/*
 * trunc.c -- y = trunc x, x rounded toward 0.
 *
 *   forward   C's trunc; inf and NaN pass through, -0.7 gives -0
 *   backward  dx = 0 everywhere, also at the integers where it jumps (PyTorch's
 *             convention): the rule returns no gradient
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(trunc, r = trunc(v))

static int trunc_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    (void)out;
    (void)g;
    grad_in[0] = NULL;
    return TG_OK;
}

TG_SAMPLE_FN(sample_trunc, tg_trunc(in[0]))

/* +-[0.1, 0.9]: 0.1 from the jumps at the integers */
const tg_op tg__op_trunc = {
    .info = {TG_OP_TRUNC, "tg_trunc", 1, TG_OP_ELEMENTWISE,
             {sample_trunc, 1, TG_SAMPLE_SAME, {{0.1, 0.9, true}}}},
    .backward = trunc_backward,
    .partials = tg__partials_none,
    .jvp = tg__jvp_zero,
    .value = trunc_value,
    .kernel.unary = trunc_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_trunc(tg_tensor *x)
{
    return tg__unary(&tg__op_trunc, x, (tg_attr){0});
}
