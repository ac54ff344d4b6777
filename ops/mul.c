/*
 * mul.c -- c = a * b elementwise, broadcasting.
 *
 *   forward   c_i = a_i b_i
 *   backward  da = sum_to(g b, shape a),  db = sum_to(g a, shape b)
 *   tangent   dc = da b + a db
 */
#include "kernel.h"

TG_BINARY_FORMULA(mul, r = a * b)

static int mul_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    tg_tensor *a = out->in[0], *b = out->in[1];
    if (a->flags & TG_REQUIRES_GRAD) {
        grad_in[0] = tg__unbroadcast(tg_mul(g, b), a);
        if (!grad_in[0])
            return tg__latest_code();
    }
    if (b->flags & TG_REQUIRES_GRAD) {
        grad_in[1] = tg__unbroadcast(tg_mul(g, a), b);
        if (!grad_in[1])
            return tg__latest_code();
    }
    return TG_OK;
}

static int mul_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    tg_tensor *a = out->in[0], *b = out->in[1];
    tg_tensor *da_b = tangent_in[0] ? tg_mul(tangent_in[0], b) : NULL;
    tg_tensor *a_db = tangent_in[1] ? tg_mul(a, tangent_in[1]) : NULL;
    if ((tangent_in[0] && !da_b) || (tangent_in[1] && !a_db))
        return tg__latest_code();
    *tangent_out = tg__expand_like(da_b && a_db ? tg_add(da_b, a_db) : da_b ? da_b : a_db, out);
    return *tangent_out ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void mul_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    (void)attr;
    p[0] = x[1];
    p[1] = x[0];
}

TG_SAMPLE_FN(sample_mul, tg_mul(in[0], in[1]))

const tg_op tg__op_mul = {
    .info = {TG_OP_MUL, "tg_mul", 2, TG_OP_ELEMENTWISE | TG_OP_BROADCASTS,
             {sample_mul, 2, TG_SAMPLE_BROADCAST, {TG_SAMPLE_ANY, TG_SAMPLE_ANY}}},
    .backward = mul_backward,
    .partials = mul_partials,
    .jvp = mul_jvp,
    .value = mul_value,
    .kernel.binary = mul_kernel,
    .rerun = tg__binary_rerun,
};

tg_tensor *tg_mul(tg_tensor *a, tg_tensor *b) { return tg__binary(&tg__op_mul, a, b); }
