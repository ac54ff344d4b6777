/*
 * add.c -- c = a + b, broadcasting.
 *
 *   forward   c_i = a_i + b_i
 *   backward  da = sum_to(g, shape a),  db = sum_to(g, shape b)
 *   tangent   dc = da + db, broadcast to c's shape
 */
#include "kernel.h"

TG_BINARY_FORMULA(add, r = a + b)

/* An operand that needs no gradient is skipped: summing a broadcast g down
 * to its shape is a full pass over g. */
static int add_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    for (int k = 0; k < 2; k++) {
        if (!(out->in[k]->flags & TG_REQUIRES_GRAD))
            continue;
        grad_in[k] = tg__unbroadcast(g, out->in[k]);
        if (!grad_in[k])
            return tg__latest_code();
    }
    return TG_OK;
}

static int add_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    tg_tensor *da = tangent_in[0], *db = tangent_in[1];
    *tangent_out = tg__expand_like(da && db ? tg_add(da, db) : da ? da : db, out);
    return *tangent_out ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void add_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)x;
    (void)y;
    (void)attr;
    p[0] = p[1] = 1;
}

TG_SAMPLE_FN(sample_add, tg_add(in[0], in[1]))

const tg_op tg__op_add = {
    .info = {TG_OP_ADD, "tg_add", 2, TG_OP_ELEMENTWISE | TG_OP_BROADCASTS,
             {sample_add, 2, TG_SAMPLE_BROADCAST, {TG_SAMPLE_ANY, TG_SAMPLE_ANY}}},
    .backward = add_backward,
    .partials = add_partials,
    .jvp = add_jvp,
    .value = add_value,
    .kernel.binary = add_kernel,
    .rerun = tg__binary_rerun,
};

tg_tensor *tg_add(tg_tensor *a, tg_tensor *b) { return tg__binary(&tg__op_add, a, b); }
