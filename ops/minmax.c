/*
 * minmax.c -- elementwise c = max(a, b) and c = min(a, b), broadcasting.
 *
 *   forward   the larger (smaller) operand; a NaN in either operand wins,
 *             so NaN propagates as in PyTorch
 *   backward  g goes to the operand that won; on a tie a == b each side gets
 *             g/2 (the two one-sided derivatives averaged, as in PyTorch).
 *             Each share is summed back to its operand's shape.
 */
#include "kernel.h"
#include "jvp.h"

TG_BINARY_FORMULA(maximum, r = a > b || isnan(a) ? a : b)

TG_BINARY_FORMULA(minimum, r = a < b || isnan(a) ? a : b)

/* The share of g that the first operand earns when the larger one wins:
 * 1 if it is larger, 1/2 on a tie, else 0. */
static void larger_share_kernel(const tg_bcast *plan, tg_tensor *out, const tg_tensor *a,
                                const tg_tensor *b)
{
    TG_FOR_DTYPE(out->dtype, T, {
        T *m = out->data;
        const T *x = a->data, *y = b->data;
        TG_BCAST_WALK2(plan, out->numel, o, i, j,
                       m[o] = x[i] > y[j] ? 1 : x[i] == y[j] ? (T)0.5 : 0);
    });
}

/* Input k's share of g, of the output's shape. The smaller operand winning
 * is the larger winning with the operands swapped. */
static tg_tensor *winner_share(tg_tensor *out, int k, bool larger_wins)
{
    tg_tensor *x = out->in[k], *other = out->in[1 - k];
    return larger_wins ? tg__constant_binary(out->op->info.name, x, other, larger_share_kernel)
                       : tg__constant_binary(out->op->info.name, other, x, larger_share_kernel);
}

static int minmax_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in, bool larger_wins)
{
    for (int k = 0; k < 2; k++) {
        if (!(out->in[k]->flags & TG_REQUIRES_GRAD))
            continue;
        grad_in[k] = tg__unbroadcast(tg_mul(g, winner_share(out, k, larger_wins)), out->in[k]);
        if (!grad_in[k])
            return tg__latest_code();
    }
    return TG_OK;
}

/* Each tangent times its operand's share: on a tie the mean of the two, as
 * the backward rule splits g. */
static int minmax_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out,
                      bool larger_wins)
{
    tg_tensor *terms[2] = {NULL, NULL};
    for (int k = 0; k < 2; k++)
        if (tangent_in[k])
            terms[k] = tg_mul(tangent_in[k], winner_share(out, k, larger_wins));
    return tg__jvp_sum(out, 2, tangent_in, terms, tangent_out);
}

static int maximum_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    return minmax_jvp(out, tangent_in, tangent_out, true);
}

static int minimum_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    return minmax_jvp(out, tangent_in, tangent_out, false);
}

static int maximum_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    return minmax_backward(out, g, grad_in, true);
}

static int minimum_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    return minmax_backward(out, g, grad_in, false);
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void maximum_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    (void)attr;
    /* the larger operand's, halves on a tie */
    p[0] = x[0] > x[1] ? 1 : x[0] < x[1] ? 0 : 0.5;
    p[1] = 1 - p[0];
}

TG_SAMPLE_FN(sample_maximum, tg_maximum(in[0], in[1]))

const tg_op tg__op_maximum = {
    .info = {TG_OP_MAXIMUM, "tg_maximum", 2, TG_OP_ELEMENTWISE | TG_OP_BROADCASTS,
             {sample_maximum, 2, TG_SAMPLE_BROADCAST, {{0.5, 2.0, true}, {-0.25, 0.25, false}}}},
    .backward = maximum_backward,
    .partials = maximum_partials,
    .jvp = maximum_jvp,
    .value = maximum_value,
    .kernel.binary = maximum_kernel,
    .rerun = tg__binary_rerun,
};
/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void minimum_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    (void)attr;
    p[0] = x[0] < x[1] ? 1 : x[0] > x[1] ? 0 : 0.5;
    p[1] = 1 - p[0];
}

TG_SAMPLE_FN(sample_minimum, tg_minimum(in[0], in[1]))

const tg_op tg__op_minimum = {
    .info = {TG_OP_MINIMUM, "tg_minimum", 2, TG_OP_ELEMENTWISE | TG_OP_BROADCASTS,
             {sample_minimum, 2, TG_SAMPLE_BROADCAST, {{0.5, 2.0, true}, {-0.25, 0.25, false}}}},
    .backward = minimum_backward,
    .partials = minimum_partials,
    .jvp = minimum_jvp,
    .value = minimum_value,
    .kernel.binary = minimum_kernel,
    .rerun = tg__binary_rerun,
};

tg_tensor *tg_maximum(tg_tensor *a, tg_tensor *b)
{
    return tg__binary(&tg__op_maximum, a, b);
}

tg_tensor *tg_minimum(tg_tensor *a, tg_tensor *b)
{
    return tg__binary(&tg__op_minimum, a, b);
}
