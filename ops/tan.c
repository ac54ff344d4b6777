/*
 * tan.c -- y = tan x (radians).
 *
 *   forward   C's tan; inf and NaN give NaN; near the poles it is large but
 *             finite (pi/2 is not a double)
 *   backward  dx = g (1 + y^2), from the saved output, so that every order works
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(tan, r = tan(v))

static int tan_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_mul(g, tg_add_scalar(tg_mul(out, out), 1));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

TG_SAMPLE_FN(sample_tan, tg_tan(in[0]))

/* [-1, 1]: well inside the poles at +-pi/2 */
/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void tan_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)x;
    (void)attr;
    p[0] = 1 + y * y;
}

const tg_op tg__op_tan = {
    .info = {TG_OP_TAN, "tg_tan", 1, TG_OP_ELEMENTWISE,
             {sample_tan, 1, TG_SAMPLE_SAME, {{-1.0, 1.0, false}}}},
    .backward = tan_backward,
    .partials = tan_partials,
    .jvp = tg__jvp_symmetric,
    .value = tan_value,
    .kernel.unary = tan_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_tan(tg_tensor *x) { return tg__unary(&tg__op_tan, x, (tg_attr){0}); }
