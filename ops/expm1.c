/*
 * expm1.c -- y = e^x - 1.
 *
 *   forward   C's expm1: full precision for tiny x, where e^x - 1 cancels
 *   backward  dx = g e^x, with tg_exp rather than y + 1, which would lose e^x
 *             below about -37 (it rounds to 0 against the 1)
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(expm1, r = expm1(v))

static int expm1_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_mul(g, tg_exp(out->in[0]));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void expm1_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    (void)attr;
    p[0] = exp(x[0]);
}

TG_SAMPLE_FN(sample_expm1, tg_expm1(in[0]))

const tg_op tg__op_expm1 = {
    .info = {TG_OP_EXPM1, "tg_expm1", 1, TG_OP_ELEMENTWISE,
             {sample_expm1, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = expm1_backward,
    .partials = expm1_partials,
    .jvp = tg__jvp_symmetric,
    .value = expm1_value,
    .kernel.unary = expm1_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_expm1(tg_tensor *x)
{
    return tg__unary(&tg__op_expm1, x, (tg_attr){0});
}
