/*
 * clamp.c -- y = clamp(x, lo, hi) = min(max(x, lo), hi), with scalar bounds
 * (tg_clamp, kept in attr.f2) or tensor bounds that broadcast with x
 * (tg_clamp_tensor, recorded as inputs 1 and 2). As in torch.clamp:
 *
 *   - a missing bound is -inf or +inf (tg_clamp_tensor: NULL);
 *   - lo > hi gives hi everywhere;
 *   - NaN in x gives NaN; a NaN tensor bound gives NaN there (a NaN scalar
 *     bound is refused);
 *   - dx = g [lo <= x <= hi]: the gradient passes at the bounds;
 *   - tensor bounds: dlo = g [x < lo and lo < hi], dhi = g [x > hi or
 *     hi < lo] (PyTorch's clamp_backward_min_max), each summed to its shape.
 *     Where x == lo == hi only x receives g; where x < lo == hi, no one does.
 *
 * The masks are constants, so every order of derivative works.
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(clamp, {
    T lo = (T)attr.f2.a, hi = (T)attr.f2.b;
    r = v < lo ? lo : v;
    r = r > hi ? hi : r;
})

static void inside_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr)
{
    TG_FOR_DTYPE(x->dtype, T, {
        const T *in = x->data;
        T *out = y->data;
        T lo = (T)attr.f2.a, hi = (T)attr.f2.b;
        TG_PARALLEL_FOR(x->numel, i, out[i] = in[i] >= lo && in[i] <= hi);
    });
}

static int clamp_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    tg_tensor *inside =
        tg__constant_unary(out->op->info.name, out->in[0], out->attr, inside_kernel);
    grad_in[0] = tg_mul(g, inside);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* ---- tensor bounds ---- */

/* max(a, b) and min(a, b) with a NaN in either operand winning. */
static void raise_kernel(const tg_bcast *plan, tg_tensor *out, const tg_tensor *a,
                         const tg_tensor *b)
{
    TG_FOR_DTYPE(out->dtype, T, {
        T *c = out->data;
        const T *x = a->data, *lo = b->data;
        TG_BCAST_WALK2(plan, out->numel, o, i, j,
                       c[o] = x[i] < lo[j] || isnan(lo[j]) ? lo[j] : x[i]);
    });
}

static void lower_kernel(const tg_bcast *plan, tg_tensor *out, const tg_tensor *a,
                         const tg_tensor *b)
{
    TG_FOR_DTYPE(out->dtype, T, {
        T *c = out->data;
        const T *x = a->data, *hi = b->data;
        TG_BCAST_WALK2(plan, out->numel, o, i, j,
                       c[o] = x[i] > hi[j] || isnan(hi[j]) ? hi[j] : x[i]);
    });
}

/* The comparisons the masks are made of, 1 or 0. */
static void less_kernel(const tg_bcast *plan, tg_tensor *out, const tg_tensor *a,
                        const tg_tensor *b)
{
    TG_FOR_DTYPE(out->dtype, T, {
        T *c = out->data;
        const T *x = a->data, *y = b->data;
        TG_BCAST_WALK2(plan, out->numel, o, i, j, c[o] = x[i] < y[j]);
    });
}

static void less_equal_kernel(const tg_bcast *plan, tg_tensor *out, const tg_tensor *a,
                              const tg_tensor *b)
{
    TG_FOR_DTYPE(out->dtype, T, {
        T *c = out->data;
        const T *x = a->data, *y = b->data;
        TG_BCAST_WALK2(plan, out->numel, o, i, j, c[o] = x[i] <= y[j]);
    });
}

/* 1 where a or b is nonzero. */
static void either_kernel(const tg_bcast *plan, tg_tensor *out, const tg_tensor *a,
                          const tg_tensor *b)
{
    TG_FOR_DTYPE(out->dtype, T, {
        T *c = out->data;
        const T *x = a->data, *y = b->data;
        TG_BCAST_WALK2(plan, out->numel, o, i, j, c[o] = x[i] != 0 || y[j] != 0);
    });
}

static tg_tensor *mask(const tg_tensor *out, tg_tensor *a, tg_tensor *b, tg_binary_kernel k)
{
    return tg__constant_binary(out->op->info.name, a, b, k);
}

/* Where input k (x, lo or hi) is the one y follows: 1 there, else 0. */
static tg_tensor *follows(tg_tensor *out, int k)
{
    tg_tensor *x = out->in[0], *lo = out->in[1], *hi = out->in[2];
    if (k == 0)
        return tg_mul(mask(out, lo, x, less_equal_kernel), mask(out, x, hi, less_equal_kernel));
    if (k == 1)
        return tg_mul(mask(out, x, lo, less_kernel), mask(out, lo, hi, less_kernel));
    return mask(out, mask(out, hi, x, less_kernel), mask(out, hi, lo, less_kernel), either_kernel);
}

static int clamp_tensor_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    for (int k = 0; k < 3; k++) {
        if (!(out->in[k]->flags & TG_REQUIRES_GRAD))
            continue;
        if (!(grad_in[k] = tg__unbroadcast(tg_mul(g, follows(out, k)), out->in[k])))
            return tg__latest_code();
    }
    return TG_OK;
}

/* The tangent of the input y follows there, with the backward's masks. */
static int clamp_tensor_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    tg_tensor *terms[3] = {NULL, NULL, NULL};
    for (int k = 0; k < 3; k++)
        if (tangent_in[k])
            terms[k] = tg_mul(tangent_in[k], follows(out, k));
    return tg__jvp_sum(out, 3, tangent_in, terms, tangent_out);
}

/* x lies 0.25 or more from lo, which is active below it; hi stays above x */
TG_SAMPLE_FN(sample_clamp, tg_clamp(in[0], -0.25, 4))
/* The forward's two passes again, the raised values in scratch from the
 * tape arena (a missing bound is the infinite constant recorded for it). */
static int clamp_tensor_rerun(tg_tensor *out)
{
    const char *fn = out->op->info.name;
    tg_tensor *raised = tg__constant_binary(fn, out->in[0], out->in[1], raise_kernel);
    if (!raised)
        return tg__latest_code();
    tg_tensor *pair[2] = {raised, out->in[2]};
    int ndim;
    int64_t shape[TG_MAX_DIMS];
    tg_bcast plan;
    int rc = tg__broadcast(fn, 2, pair, &ndim, shape, &plan);
    if (rc < 0)
        return rc;
    lower_kernel(&plan, out, raised, out->in[2]);
    return TG_OK;
}

TG_SAMPLE_FN(sample_clamp_tensor, tg_clamp_tensor(in[0], in[1], in[2]))

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void clamp_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    p[0] = attr.f2.a <= x[0] && x[0] <= attr.f2.b;
}

const tg_op tg__op_clamp = {
    .info = {TG_OP_CLAMP, "tg_clamp", 1, TG_OP_ELEMENTWISE | TG_OP_CONSTANT | TG_OP_CONSTANT2,
             {sample_clamp, 1, TG_SAMPLE_SAME, {{0.5, 2.0, true}}}},
    .backward = clamp_backward,
    .partials = clamp_partials,
    .jvp = tg__jvp_symmetric,
    .value = clamp_value,
    .kernel.unary = clamp_kernel,
    .rerun = tg__unary_rerun,
};

const tg_op tg__op_clamp_tensor = {
    .info = {TG_OP_CLAMP_TENSOR, "tg_clamp_tensor", 3, TG_OP_ELEMENTWISE | TG_OP_BROADCASTS,
             {sample_clamp_tensor, 3, TG_SAMPLE_BROADCAST,
              {{0.5, 2.0, true}, {-0.25, 0.25, false}, {2.5, 3.0, false}}}},
    .backward = clamp_tensor_backward,
    .jvp = clamp_tensor_jvp,
    .rerun = clamp_tensor_rerun,
};

tg_tensor *tg_clamp(tg_tensor *x, double lo, double hi)
{
    if (isnan(lo) || isnan(hi)) {
        tg__fail(TG_EVALUE, "tg_clamp: a bound is NaN (lo %g, hi %g); use -INFINITY or "
                            "INFINITY for a missing one", lo, hi);
        return NULL;
    }
    tg_attr attr = {.f2 = {lo, hi}};
    return tg__unary(&tg__op_clamp, x, attr);
}

tg_tensor *tg_clamp_tensor(tg_tensor *x, tg_tensor *lo, tg_tensor *hi)
{
    const char *fn = tg__op_clamp_tensor.info.name;
    if (tg__check(fn, x, 1) < 0 || (lo && tg__check(fn, lo, 2) < 0) ||
        (hi && tg__check(fn, hi, 3) < 0))
        return NULL;
    if (!lo && !hi) {
        tg__fail(TG_ENULL, "%s: lo and hi are both NULL; at least one bound is needed", fn);
        return NULL;
    }
    /* a missing bound is an infinite constant, which never binds and never
     * receives a gradient: PyTorch's rule for one bound exactly */
    tg_tensor *in[3] = {x, lo ? lo : tg__scalar_like(x, -INFINITY),
                        hi ? hi : tg__scalar_like(x, INFINITY)};
    if (!in[1] || !in[2] || tg__check_same_dtype(fn, x, in[1]) < 0 ||
        tg__check_same_dtype(fn, x, in[2]) < 0)
        return NULL;
    int ndim; /* checked first so that a mismatch names all three shapes */
    int64_t shape[TG_MAX_DIMS];
    tg_bcast plan;
    if (tg__broadcast(fn, 3, in, &ndim, shape, &plan) < 0)
        return NULL;
    tg_tensor *y = tg__constant_binary(fn, tg__constant_binary(fn, x, in[1], raise_kernel), in[2],
                                       lower_kernel);
    return y ? tg__record(y, &tg__op_clamp_tensor, 3, in) : NULL;
}
