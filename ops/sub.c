/*
 * sub.c -- c = a - b, broadcasting.
 *
 *   forward   c_i = a_i - b_i
 *   backward  da = sum_to(g, shape a),  db = sum_to(-g, shape b)
 */
#include "kernel.h"
#include "jvp.h"

TG_BINARY_FORMULA(sub, r = a - b)

static int sub_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg__unbroadcast(g, out->in[0]);
    if (!grad_in[0])
        return tg__latest_code();
    if (out->in[1]->flags & TG_REQUIRES_GRAD) {
        grad_in[1] = tg__unbroadcast(tg_neg(g), out->in[1]);
        if (!grad_in[1])
            return tg__latest_code();
    }
    return TG_OK;
}

static int sub_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    tg_tensor *terms[2] = {tangent_in[0], tangent_in[1] ? tg_neg(tangent_in[1]) : NULL};
    return tg__jvp_sum(out, 2, tangent_in, terms, tangent_out);
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void sub_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)x;
    (void)y;
    (void)attr;
    p[0] = 1;
    p[1] = -1;
}

TG_SAMPLE_FN(sample_sub, tg_sub(in[0], in[1]))

const tg_op tg__op_sub = {
    .info = {TG_OP_SUB, "tg_sub", 2, TG_OP_ELEMENTWISE | TG_OP_BROADCASTS,
             {sample_sub, 2, TG_SAMPLE_BROADCAST, {TG_SAMPLE_ANY, TG_SAMPLE_ANY}}},
    .backward = sub_backward,
    .partials = sub_partials,
    .jvp = sub_jvp,
    .value = sub_value,
    .kernel.binary = sub_kernel,
    .rerun = tg__binary_rerun,
};

tg_tensor *tg_sub(tg_tensor *a, tg_tensor *b) { return tg__binary(&tg__op_sub, a, b); }
