/*
 * pow.c -- powers: c = a^b with a tensor exponent (broadcasting), and
 * y = x^p with a constant exponent kept in attr.f.
 *
 *   pow         c_i = a_i^b_i, as C's pow: a negative base with a non-integer
 *               exponent gives NaN, 0 to a negative power inf; not errors
 *               da = sum_to(g b a^(b-1), shape a)
 *               db = sum_to(g c ln a, shape b)
 *   pow_scalar  y_i = x_i^p,  dx = g p x^(p-1)
 *
 * At a base of 0 these formulas meet 0 * inf. As in PyTorch the limits are
 * taken instead: db = 0 where a == 0 and b >= 0, da = 0 where a == b == 0,
 * and pow_scalar with p = 0 passes no gradient. The offending factor is
 * replaced before it is computed (a -> 1 under the log, b - 1 -> 0 in the
 * exponent) rather than masked afterwards, so no inf or NaN enters the
 * rule and a recorded sweep stays differentiable. A negative base gets a
 * NaN db, since ln a is NaN there.
 */
#include "kernel.h"
#include "jvp.h"

TG_BINARY_FORMULA(pow, r = pow(a, b))

static void zero_base_kernel(const tg_bcast *plan, tg_tensor *out, const tg_tensor *a,
                             const tg_tensor *b)
{
    TG_FOR_DTYPE(out->dtype, T, {
        T *m = out->data;
        const T *x = a->data, *y = b->data;
        TG_BCAST_WALK2(plan, out->numel, o, i, j, m[o] = x[i] == 0 && y[j] >= 0);
    });
}

static void zero_base_and_exponent_kernel(const tg_bcast *plan, tg_tensor *out,
                                          const tg_tensor *a, const tg_tensor *b)
{
    TG_FOR_DTYPE(out->dtype, T, {
        T *m = out->data;
        const T *x = a->data, *y = b->data;
        TG_BCAST_WALK2(plan, out->numel, o, i, j, m[o] = x[i] == 0 && y[j] == 0);
    });
}

/* dc/da = b a^(b-1), with the exponent 0 where a == b == 0 (b makes the
 * product 0); of the output's shape, for the backward and the tangent rule */
static tg_tensor *base_local(tg_tensor *out)
{
    tg_tensor *a = out->in[0], *b = out->in[1];
    tg_tensor *both_zero =
        tg__constant_binary(out->op->info.name, a, b, zero_base_and_exponent_kernel);
    tg_tensor *exponent = tg_where(both_zero, tg__scalar_like(a, 0), tg_add_scalar(b, -1));
    return tg_mul(b, tg_pow(a, exponent));
}

/* dc/db = c ln a, with 1 in place of a under the log where a == 0 and b >= 0
 * (c is finite there, so the product is 0) */
static tg_tensor *exponent_local(tg_tensor *out)
{
    tg_tensor *a = out->in[0], *b = out->in[1];
    tg_tensor *zero_base = tg__constant_binary(out->op->info.name, a, b, zero_base_kernel);
    tg_tensor *log_base = tg_log(tg_where(zero_base, tg__scalar_like(a, 1), a));
    return tg_mul(out, log_base);
}

static int pow_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    if (out->in[0]->flags & TG_REQUIRES_GRAD) {
        grad_in[0] = tg__unbroadcast(tg_mul(g, base_local(out)), out->in[0]);
        if (!grad_in[0])
            return tg__latest_code();
    }
    if (out->in[1]->flags & TG_REQUIRES_GRAD) {
        grad_in[1] = tg__unbroadcast(tg_mul(g, exponent_local(out)), out->in[1]);
        if (!grad_in[1])
            return tg__latest_code();
    }
    return TG_OK;
}

static int pow_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    tg_tensor *terms[2] = {
        tangent_in[0] ? tg_mul(tangent_in[0], base_local(out)) : NULL,
        tangent_in[1] ? tg_mul(tangent_in[1], exponent_local(out)) : NULL,
    };
    return tg__jvp_sum(out, 2, tangent_in, terms, tangent_out);
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void pow_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)attr;
    /* the rule's limits at a zero base */
    p[0] = x[1] * pow(x[0], x[0] == 0 && x[1] == 0 ? 0 : x[1] - 1);
    p[1] = y * log(x[0] == 0 && x[1] >= 0 ? 1 : x[0]);
}

TG_SAMPLE_FN(sample_pow, tg_pow(in[0], in[1]))

const tg_op tg__op_pow = {
    .info = {TG_OP_POW, "tg_pow", 2, TG_OP_ELEMENTWISE | TG_OP_BROADCASTS,
             {sample_pow, 2, TG_SAMPLE_BROADCAST, {TG_SAMPLE_POSITIVE, TG_SAMPLE_ANY}}},
    .backward = pow_backward,
    .partials = pow_partials,
    .jvp = pow_jvp,
    .value = pow_value,
    .kernel.binary = pow_kernel,
    .rerun = tg__binary_rerun,
};

tg_tensor *tg_pow(tg_tensor *a, tg_tensor *b) { return tg__binary(&tg__op_pow, a, b); }

TG_UNARY_FORMULA(pow_scalar, r = pow(v, (T)attr.f))

static int pow_scalar_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    double p = out->attr.f;
    if (p == 0)
        return TG_OK; /* x^0 is constant */
    grad_in[0] = tg_mul(g, tg_mul_scalar(tg_pow_scalar(out->in[0], p - 1), p));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void pow_scalar_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    p[0] = attr.f == 0 ? 0 : attr.f * pow(x[0], attr.f - 1);
}

TG_SAMPLE_FN(sample_pow_scalar, tg_pow_scalar(in[0], 2.5))

const tg_op tg__op_pow_scalar = {
    .info = {TG_OP_POW_SCALAR, "tg_pow_scalar", 1, TG_OP_ELEMENTWISE | TG_OP_CONSTANT,
             {sample_pow_scalar, 1, TG_SAMPLE_SAME, {TG_SAMPLE_POSITIVE}}},
    .backward = pow_scalar_backward,
    .partials = pow_scalar_partials,
    .jvp = tg__jvp_symmetric,
    .value = pow_scalar_value,
    .kernel.unary = pow_scalar_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_pow_scalar(tg_tensor *x, double p)
{
    return tg__unary(&tg__op_pow_scalar, x, (tg_attr){.f = p});
}
