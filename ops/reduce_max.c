/*
 * reduce_max.c -- largest and smallest elements and their positions, over
 * every element, along one axis, or over a set of axes.
 *
 *   forward   y[k] = max over slice k (or min), walked in row-major order;
 *             a NaN wins, so it propagates as in PyTorch
 *   max, min, max_axis, min_axis
 *             dx = g' * onehot, where g' is g with the reduced axes restored
 *             as size 1 and onehot is a constant of x's shape holding 1 at
 *             the first extreme element of each slice
 *   amax, amin (torch.amax/amin)
 *             dx = g' * share, share a constant holding 1/t at each of the t
 *             elements equal to their slice's extreme (NaN counting as equal
 *             to NaN): ties split g evenly, as PyTorch's amax does
 *   argmax, argmin
 *             the position of the first extreme element in its slice, held in
 *             x's dtype; no gradient (the ops are recorded so that explain
 *             and dot show them)
 *
 * Ties send the whole gradient of max/min to the first extreme element, as
 * PyTorch does for max with a single index. Their forward saves that
 * element's position within its slice (the flat index for a reduction over
 * everything) in a constant f64 tensor of y's shape; it is recorded as a
 * second input that never requires grad, so the backward rule reads the
 * choice made in the forward even if x is overwritten later. Reducing an
 * empty slice is an error: there is no extreme to pick.
 */
#include <math.h>

#include "axis.h"
#include "jvp.h"

/* Whether v replaces best as the running extreme; only a strictly better
 * value does, which keeps the first of equal elements. */
static bool beats(double v, double best, bool want_max)
{
    if (isnan(best))
        return false;
    if (isnan(v))
        return true;
    return want_max ? v > best : v < best;
}

/* y[k] = the extreme of slice k and, when pos is not NULL, pos[k] its
 * position in the slice. y may be NULL when only positions are wanted. */
static void extreme_kernel(tg_tensor *y, const tg_tensor *shape_of, double *pos,
                           const tg_tensor *x, bool want_max)
{
    tg_reduce_plan plan;
    tg__reduce_plan(x, shape_of, &plan);
    TG_FOR_DTYPE(x->dtype, T, {
        const T *src = x->data;
        T *dst = y ? y->data : NULL;
        TG_REDUCE_OUTPUTS(&plan, k, base, {
            int64_t j = 0, best_j = 0, best = base;
            TG_REDUCE_SLICE(&plan, base, P, {
                if (beats(src[P], src[best], want_max)) {
                    best = P;
                    best_j = j;
                }
                j++;
            });
            if (dst)
                dst[k] = src[best];
            if (pos)
                pos[k] = (double)best_j;
        });
    });
}

/* The constant that routes g to the saved positions of out's extremes. */
static tg_tensor *onehot(const tg_tensor *out)
{
    const tg_tensor *x = out->in[0], *where = out->in[1];
    tg_tensor *mask = tg__zeros_like(x);
    if (!mask)
        return NULL;
    tg_reduce_plan plan;
    tg__reduce_plan(x, out, &plan);
    const double *pos = where->data;
    TG_REDUCE_OUTPUTS(&plan, k, base, {
        int64_t j = 0;
        TG_REDUCE_SLICE(&plan, base, P, {
            if (j++ == (int64_t)pos[k])
                tg__store(mask, P, 1.0);
        });
    });
    return mask;
}

/* The constant 1/t at the t elements of each slice that equal its extreme. */
static tg_tensor *tie_share(const tg_tensor *out)
{
    const tg_tensor *x = out->in[0];
    tg_tensor *share = tg__zeros_like(x);
    if (!share)
        return NULL;
    tg_reduce_plan plan;
    tg__reduce_plan(x, out, &plan);
    TG_REDUCE_OUTPUTS(&plan, k, base, {
        double want = tg__load(out, k), ties = 0;
        TG_REDUCE_SLICE(&plan, base, P, {
            double v = tg__load(x, P);
            ties += v == want || (isnan(v) && isnan(want));
        });
        TG_REDUCE_SLICE(&plan, base, P, {
            double v = tg__load(x, P);
            if (v == want || (isnan(v) && isnan(want)))
                tg__store(share, P, 1.0 / ties);
        });
    });
    return share;
}

static int routed_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in,
                           tg_tensor *(*route)(const tg_tensor *))
{
    tg_tensor *mask = route(out);
    if (!mask)
        return tg__latest_code();
    grad_in[0] = tg_mul(tg__keepdim_grad(g, out), mask);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

static int extreme_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    return routed_backward(out, g, grad_in, onehot);
}

static int amax_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    return routed_backward(out, g, grad_in, tie_share);
}

/* The tangent at the chosen elements, in the backward rule's shares: each
 * slice's sum of t times the route (one-hot at the saved position; 1/t at
 * each of t tied extremes for amax). */
static int routed_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out,
                      tg_tensor *(*route)(const tg_tensor *))
{
    *tangent_out = NULL;
    if (!tangent_in[0])
        return TG_OK;
    tg_tensor *share = route(out);
    if (!share)
        return tg__latest_code();
    *tangent_out = tg__jvp_reduce_like(tg_mul(tangent_in[0], share), out);
    return *tangent_out ? TG_OK : tg__latest_code();
}

static int extreme_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    return routed_jvp(out, tangent_in, tangent_out, onehot);
}

static int amax_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    return routed_jvp(out, tangent_in, tangent_out, tie_share);
}

static int no_gradient(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    (void)out;
    (void)g;
    grad_in[0] = NULL;
    return TG_OK;
}

/* The reruns: the extreme again and, for max and min, the positions that
 * their second input keeps for the backward rule. */
static int saved_extreme_rerun(tg_tensor *out, bool want_max)
{
    extreme_kernel(out, out, out->in[1]->data, out->in[0], want_max);
    return TG_OK;
}

static int max_rerun(tg_tensor *out) { return saved_extreme_rerun(out, true); }

static int min_rerun(tg_tensor *out) { return saved_extreme_rerun(out, false); }

static int amax_rerun(tg_tensor *out)
{
    extreme_kernel(out, out, NULL, out->in[0], true);
    return TG_OK;
}

static int amin_rerun(tg_tensor *out)
{
    extreme_kernel(out, out, NULL, out->in[0], false);
    return TG_OK;
}

/* Writes into y the position of the first extreme of each slice of x, via
 * scratch from the tape arena. */
static int store_positions(const char *fn, tg_tensor *y, const tg_tensor *x, bool want_max)
{
    double *pos = tg__tape_bytes(fn, (size_t)(y->numel ? y->numel : 1) * sizeof *pos);
    if (!pos)
        return tg__latest_code();
    extreme_kernel(NULL, y, pos, x, want_max);
    for (int64_t k = 0; k < y->numel; k++)
        tg__store(y, k, pos[k]);
    return TG_OK;
}

static int argmax_rerun(tg_tensor *out)
{
    return store_positions(out->op->info.name, out, out->in[0], true);
}

static int argmin_rerun(tg_tensor *out)
{
    return store_positions(out->op->info.name, out, out->in[0], false);
}

/* Fills the result made by tg__reduction_new(_all) and records it together
 * with the positions of the chosen elements. */
static tg_tensor *finish(const tg_op *op, tg_tensor *y, tg_tensor *x, bool want_max)
{
    if (!y || tg__check_not_empty(op->info.name, x, y) < 0)
        return NULL;
    tg_tensor *where = tg__tape_tensor(op->info.name, TG_F64, y->ndim, y->shape);
    if (!where)
        return NULL;
    extreme_kernel(y, y, where->data, x, want_max);
    tg_tensor *in[2] = {x, where};
    return tg__record(y, op, 2, in);
}

TG_SAMPLE_FN(sample_max, tg_max(in[0]))

const tg_op tg__op_max = {
    .info = {TG_OP_MAX, "tg_max", 1, TG_OP_HELPER_INPUT | TG_OP_AXES,
             {sample_max, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}, .distinct = true}},
    .backward = extreme_backward,
    .jvp = extreme_jvp,
    .rerun = max_rerun,
};
TG_SAMPLE_FN(sample_min, tg_min(in[0]))

const tg_op tg__op_min = {
    .info = {TG_OP_MIN, "tg_min", 1, TG_OP_HELPER_INPUT | TG_OP_AXES,
             {sample_min, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}, .distinct = true}},
    .backward = extreme_backward,
    .jvp = extreme_jvp,
    .rerun = min_rerun,
};
TG_SAMPLE_FN(sample_max_axis, tg_max_axis(in[0], 0, false))

const tg_op tg__op_max_axis = {
    .info = {TG_OP_MAX_AXIS, "tg_max_axis", 1, TG_OP_AXIS | TG_OP_HELPER_INPUT,
             {sample_max_axis, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}, .distinct = true}},
    .backward = extreme_backward,
    .jvp = extreme_jvp,
    .rerun = max_rerun,
};
TG_SAMPLE_FN(sample_min_axis, tg_min_axis(in[0], -1, true))

const tg_op tg__op_min_axis = {
    .info = {TG_OP_MIN_AXIS, "tg_min_axis", 1, TG_OP_AXIS | TG_OP_HELPER_INPUT,
             {sample_min_axis, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}, .distinct = true}},
    .backward = extreme_backward,
    .jvp = extreme_jvp,
    .rerun = min_rerun,
};
TG_SAMPLE_FN(sample_amax, tg_amax(in[0], 2, (const int[]){0, 1}, false))

const tg_op tg__op_amax = {
    .info = {TG_OP_AMAX, "tg_amax", 1, TG_OP_AXES,
             {sample_amax, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}, .distinct = true}},
    .backward = amax_backward,
    .jvp = amax_jvp,
    .rerun = amax_rerun,
};
TG_SAMPLE_FN(sample_amin, tg_amin(in[0], 1, (const int[]){-1}, true))

const tg_op tg__op_amin = {
    .info = {TG_OP_AMIN, "tg_amin", 1, TG_OP_AXES,
             {sample_amin, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}, .distinct = true}},
    .backward = amax_backward,
    .jvp = amax_jvp,
    .rerun = amin_rerun,
};
TG_SAMPLE_FN(sample_argmax, tg_argmax_axis(in[0], -1, false))

const tg_op tg__op_argmax = {
    .info = {TG_OP_ARGMAX, "tg_argmax", 1, TG_OP_AXES,
             {sample_argmax, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}, .distinct = true}},
    .backward = no_gradient,
    .jvp = tg__jvp_zero,
    .rerun = argmax_rerun,
};
TG_SAMPLE_FN(sample_argmin, tg_argmin(in[0]))

const tg_op tg__op_argmin = {
    .info = {TG_OP_ARGMIN, "tg_argmin", 1, TG_OP_AXES,
             {sample_argmin, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}, .distinct = true}},
    .backward = no_gradient,
    .jvp = tg__jvp_zero,
    .rerun = argmin_rerun,
};

tg_tensor *tg_max(tg_tensor *x)
{
    return finish(&tg__op_max, tg__reduction_new_all(tg__op_max.info.name, x), x, true);
}

tg_tensor *tg_min(tg_tensor *x)
{
    return finish(&tg__op_min, tg__reduction_new_all(tg__op_min.info.name, x), x, false);
}

tg_tensor *tg_max_axis(tg_tensor *x, int axis, bool keepdim)
{
    return finish(&tg__op_max_axis, tg__reduction_new(tg__op_max_axis.info.name, x, axis, keepdim), x, true);
}

tg_tensor *tg_min_axis(tg_tensor *x, int axis, bool keepdim)
{
    return finish(&tg__op_min_axis, tg__reduction_new(tg__op_min_axis.info.name, x, axis, keepdim), x, false);
}

static tg_tensor *extreme_over(const tg_op *op, tg_tensor *x, int n_axes, const int *axes,
                               bool keepdim, bool want_max)
{
    unsigned mask;
    if (tg__axes_mask(op->info.name, x, n_axes, axes, &mask) < 0)
        return NULL;
    tg_attr attr = {.i = {.keepdim = keepdim}};
    tg_tensor *y = tg__reduction_new_mask(op->info.name, x, mask, keepdim, attr);
    if (!y || tg__check_not_empty(op->info.name, x, y) < 0)
        return NULL;
    extreme_kernel(y, y, NULL, x, want_max);
    return tg__record(y, op, 1, &x);
}

tg_tensor *tg_amax(tg_tensor *x, int n_axes, const int *axes, bool keepdim)
{
    return extreme_over(&tg__op_amax, x, n_axes, axes, keepdim, true);
}

tg_tensor *tg_amin(tg_tensor *x, int n_axes, const int *axes, bool keepdim)
{
    return extreme_over(&tg__op_amin, x, n_axes, axes, keepdim, false);
}

/* An f32 holds every integer up to 2^24 exactly, an f64 up to 2^53. */
static int check_index_fits(const char *fn, const tg_tensor *x, const tg_tensor *y)
{
    tg_reduce_plan plan;
    tg__reduce_plan(x, y, &plan);
    if (x->dtype == TG_F64 || plan.n_red <= ((int64_t)1 << 24))
        return TG_OK;
    return tg__fail(TG_EVALUE, "%s: a slice of %lld elements has indices a float32 cannot hold "
                    "exactly (above 2^24); cast x to float64", fn, (long long)plan.n_red);
}

/* The positions, written into y itself: the first extreme of each slice.
 * fn is the public function called, for the messages. */
static tg_tensor *position_of(const tg_op *op, const char *fn, tg_tensor *y, tg_tensor *x,
                              bool want_max)
{
    if (!y || tg__check_not_empty(fn, x, y) < 0 || check_index_fits(fn, x, y) < 0)
        return NULL;
    if (store_positions(fn, y, x, want_max) < 0)
        return NULL;
    return tg__record(y, op, 1, &x);
}

tg_tensor *tg_argmax(tg_tensor *x)
{
    const char *fn = tg__op_argmax.info.name;
    return position_of(&tg__op_argmax, fn, tg__reduction_new_all(fn, x), x, true);
}

tg_tensor *tg_argmin(tg_tensor *x)
{
    const char *fn = tg__op_argmin.info.name;
    return position_of(&tg__op_argmin, fn, tg__reduction_new_all(fn, x), x, false);
}

tg_tensor *tg_argmax_axis(tg_tensor *x, int axis, bool keepdim)
{
    const char *fn = "tg_argmax_axis";
    return position_of(&tg__op_argmax, fn, tg__reduction_new(fn, x, axis, keepdim), x, true);
}

tg_tensor *tg_argmin_axis(tg_tensor *x, int axis, bool keepdim)
{
    const char *fn = "tg_argmin_axis";
    return position_of(&tg__op_argmin, fn, tg__reduction_new(fn, x, axis, keepdim), x, false);
}
