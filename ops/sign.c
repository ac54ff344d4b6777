/*
 * sign.c -- y = sign x: -1, 0 or 1.
 *
 *   forward   sign(+-0) = 0 (+0, as in PyTorch); sign(NaN) = NaN, as NumPy's
 *             (PyTorch gives 0 there, pytorch/pytorch#41245: a NaN should not
 *             turn into a valid-looking 0)
 *   backward  dx = 0 everywhere, also at the jump x = 0 (PyTorch's convention):
 *             the rule returns no gradient, which the sweep reads as zero
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(sign, r = v > 0 ? 1 : v < 0 ? -1 : v == 0 ? 0 : v /* NaN passes through */)

static int sign_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    (void)out;
    (void)g;
    grad_in[0] = NULL;
    return TG_OK;
}

TG_SAMPLE_FN(sample_sign, tg_sign(in[0]))

/* +-[0.25, 2]: no finite difference crosses the jump at 0 */
const tg_op tg__op_sign = {
    .info = {TG_OP_SIGN, "tg_sign", 1, TG_OP_ELEMENTWISE,
             {sample_sign, 1, TG_SAMPLE_SAME, {TG_SAMPLE_NONZERO}}},
    .backward = sign_backward,
    .partials = tg__partials_none,
    .jvp = tg__jvp_zero,
    .value = sign_value,
    .kernel.unary = sign_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_sign(tg_tensor *x) { return tg__unary(&tg__op_sign, x, (tg_attr){0}); }
