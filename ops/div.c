/*
 * div.c -- c = a / b elementwise, broadcasting.
 *
 *   forward   c_i = a_i / b_i; division by zero follows IEEE (inf, or NaN for
 *             0 / 0) and is not an error
 *   backward  da = sum_to(g / b, shape a)
 *             db = sum_to(-g a / b^2, shape b), computed as -(g / b) c
 */
#include "kernel.h"
#include "jvp.h"

TG_BINARY_FORMULA(div, r = a / b)

static int div_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    tg_tensor *a = out->in[0], *b = out->in[1];
    tg_tensor *g_over_b = tg_div(g, b);
    if (a->flags & TG_REQUIRES_GRAD) {
        grad_in[0] = tg__unbroadcast(g_over_b, a);
        if (!grad_in[0])
            return tg__latest_code();
    }
    if (b->flags & TG_REQUIRES_GRAD) {
        grad_in[1] = tg__unbroadcast(tg_neg(tg_mul(g_over_b, out)), b);
        if (!grad_in[1])
            return tg__latest_code();
    }
    return TG_OK;
}

/* dc = ta / b - (tb / b) c, the backward rule's factors */
static int div_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    tg_tensor *b = out->in[1];
    tg_tensor *terms[2] = {
        tangent_in[0] ? tg_div(tangent_in[0], b) : NULL,
        tangent_in[1] ? tg_neg(tg_mul(tg_div(tangent_in[1], b), out)) : NULL,
    };
    return tg__jvp_sum(out, 2, tangent_in, terms, tangent_out);
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void div_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)attr;
    p[0] = 1 / x[1];
    p[1] = -y / x[1];
}

TG_SAMPLE_FN(sample_div, tg_div(in[0], in[1]))

const tg_op tg__op_div = {
    .info = {TG_OP_DIV, "tg_div", 2, TG_OP_ELEMENTWISE | TG_OP_BROADCASTS,
             {sample_div, 2, TG_SAMPLE_BROADCAST, {TG_SAMPLE_ANY, TG_SAMPLE_NONZERO}}},
    .backward = div_backward,
    .partials = div_partials,
    .jvp = div_jvp,
    .value = div_value,
    .kernel.binary = div_kernel,
    .rerun = tg__binary_rerun,
};

tg_tensor *tg_div(tg_tensor *a, tg_tensor *b) { return tg__binary(&tg__op_div, a, b); }
