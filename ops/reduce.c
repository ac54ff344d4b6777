/*
 * reduce.c -- sums and means, over every element, along one axis or over a
 * set of axes: one kernel and one rule for all of them.
 *
 *   sum        y[k] = sum of the elements of slice k, x's elements grouped by
 *              the kept axes; the reduced axes are kept as size 1 when keepdim
 *   mean       sum / n, n the elements of a slice
 *   backward   dx = broadcast_to(g', shape x), times 1/n for the means, where
 *              g' is g with the reduced axes restored as size 1
 *
 * Sums accumulate in double for both dtypes, so an f32 sum of many elements
 * is rounded once instead of once per element. The mean of no elements is
 * 0/0 = NaN, as in PyTorch.
 */
#include "axis.h"
#include "jvp.h"

/* y = (sum of the reduced elements of x) / divisor, where the divisor is 1 for
 * a sum and n for a mean. */
static void sum_kernel(tg_tensor *y, const tg_tensor *x, bool mean)
{
    tg_reduce_plan plan;
    tg__reduce_plan(x, y, &plan);
    double divisor = mean ? (double)plan.n_red : 1.0;
    TG_FOR_DTYPE(x->dtype, T, {
        const T *src = x->data;
        T *dst = y->data;
        TG_REDUCE_OUTPUTS(&plan, k, base, {
            double acc = 0;
            TG_REDUCE_SLICE(&plan, base, P, acc += src[P];);
            dst[k] = (T)(acc / divisor);
        });
    });
}

static int sum_rerun(tg_tensor *out)
{
    sum_kernel(out, out->in[0], false);
    return TG_OK;
}

static int mean_rerun(tg_tensor *out)
{
    sum_kernel(out, out->in[0], true);
    return TG_OK;
}

/* Fills the result made by tg__reduction_new(_all, _mask) and records it. */
static tg_tensor *finish(const tg_op *op, tg_tensor *y, tg_tensor *x, bool mean)
{
    if (!y)
        return NULL;
    sum_kernel(y, x, mean);
    return tg__record(y, op, 1, &x);
}

/* g spread back over the elements of x that were summed into it. */
static tg_tensor *spread(tg_tensor *out, tg_tensor *g)
{
    const tg_tensor *x = out->in[0];
    return tg_broadcast_to(tg__keepdim_grad(g, out), x->ndim, x->shape);
}

static int sum_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = spread(out, g);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

static int mean_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    /* scaling g before spreading it touches fewer elements */
    grad_in[0] = spread(out, tg_mul_scalar(g, 1.0 / (double)tg__reduced_count(out)));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* Linear: the tangent is reduced as x was. */
TG_JVP_FN(sum_jvp, tg__jvp_reduce_like(t, out))
TG_JVP_FN(mean_jvp, tg__mean_mask(t, (unsigned)out->attr.i.flag_a, out->ndim == out->in[0]->ndim))

TG_SAMPLE_FN(sample_sum, tg_sum(in[0]))

const tg_op tg__op_sum = {
    .info = {TG_OP_SUM, "tg_sum", 1, TG_OP_AXES,
             {sample_sum, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = sum_backward,
    .jvp = sum_jvp,
    .rerun = sum_rerun,
};
TG_SAMPLE_FN(sample_mean, tg_mean(in[0]))

const tg_op tg__op_mean = {
    .info = {TG_OP_MEAN, "tg_mean", 1, TG_OP_AXES,
             {sample_mean, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = mean_backward,
    .jvp = mean_jvp,
    .rerun = mean_rerun,
};
TG_SAMPLE_FN(sample_sum_axis, tg_sum_axis(in[0], 0, false))

const tg_op tg__op_sum_axis = {
    .info = {TG_OP_SUM_AXIS, "tg_sum_axis", 1, TG_OP_AXIS,
             {sample_sum_axis, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = sum_backward,
    .jvp = sum_jvp,
    .rerun = sum_rerun,
};
TG_SAMPLE_FN(sample_mean_axis, tg_mean_axis(in[0], -1, true))

const tg_op tg__op_mean_axis = {
    .info = {TG_OP_MEAN_AXIS, "tg_mean_axis", 1, TG_OP_AXIS,
             {sample_mean_axis, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = mean_backward,
    .jvp = mean_jvp,
    .rerun = mean_rerun,
};
TG_SAMPLE_FN(sample_sum_dims, tg_sum_dims(in[0], 2, (const int[]){0, 1}, true))

const tg_op tg__op_sum_dims = {
    .info = {TG_OP_SUM_DIMS, "tg_sum_dims", 1, TG_OP_AXES,
             {sample_sum_dims, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = sum_backward,
    .jvp = sum_jvp,
    .rerun = sum_rerun,
};
TG_SAMPLE_FN(sample_mean_dims, tg_mean_dims(in[0], 2, (const int[]){-1, 0}, false))

const tg_op tg__op_mean_dims = {
    .info = {TG_OP_MEAN_DIMS, "tg_mean_dims", 1, TG_OP_AXES,
             {sample_mean_dims, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = mean_backward,
    .jvp = mean_jvp,
    .rerun = mean_rerun,
};

tg_tensor *tg_sum(tg_tensor *x)
{
    return finish(&tg__op_sum, tg__reduction_new_all(tg__op_sum.info.name, x), x, false);
}

tg_tensor *tg_mean(tg_tensor *x)
{
    return finish(&tg__op_mean, tg__reduction_new_all(tg__op_mean.info.name, x), x, true);
}

tg_tensor *tg_sum_axis(tg_tensor *x, int axis, bool keepdim)
{
    return finish(&tg__op_sum_axis, tg__reduction_new(tg__op_sum_axis.info.name, x, axis, keepdim), x, false);
}

tg_tensor *tg_mean_axis(tg_tensor *x, int axis, bool keepdim)
{
    return finish(&tg__op_mean_axis, tg__reduction_new(tg__op_mean_axis.info.name, x, axis, keepdim), x,
                  true);
}

static tg_tensor *over_mask(const tg_op *op, tg_tensor *x, unsigned mask, bool keepdim, bool mean)
{
    tg_attr attr = {.i = {.keepdim = keepdim}};
    return finish(op, tg__reduction_new_mask(op->info.name, x, mask, keepdim, attr), x, mean);
}

static tg_tensor *over_axes(const tg_op *op, tg_tensor *x, int n_axes, const int *axes,
                            bool keepdim, bool mean)
{
    unsigned mask;
    if (tg__axes_mask(op->info.name, x, n_axes, axes, &mask) < 0)
        return NULL;
    return over_mask(op, x, mask, keepdim, mean);
}

tg_tensor *tg_sum_dims(tg_tensor *x, int n_axes, const int *axes, bool keepdim)
{
    return over_axes(&tg__op_sum_dims, x, n_axes, axes, keepdim, false);
}

tg_tensor *tg_mean_dims(tg_tensor *x, int n_axes, const int *axes, bool keepdim)
{
    return over_axes(&tg__op_mean_dims, x, n_axes, axes, keepdim, true);
}

tg_tensor *tg__sum_mask(tg_tensor *x, unsigned mask, bool keepdim)
{
    return over_mask(&tg__op_sum_dims, x, mask, keepdim, false);
}

tg_tensor *tg__mean_mask(tg_tensor *x, unsigned mask, bool keepdim)
{
    return over_mask(&tg__op_mean_dims, x, mask, keepdim, true);
}
