/*
 * reduce.c -- sums and means, over every element or along one axis.
 *
 *   sum_axis   y[o,i] = sum_j x[o,j,i], with x viewed as [outer, n, inner]
 *              around the axis; the axis is kept as size 1 when keepdim
 *   mean_axis  sum_axis / n
 *   sum, mean  the same over all elements, giving a 0-d tensor
 *   backward   dx = broadcast_to(g', shape x), times 1/n for the means, where
 *              g' is g with the reduced axis restored as size 1
 *
 * Sums accumulate in double for both dtypes, so an f32 sum of many elements
 * is rounded once instead of once per element. The mean of no elements is
 * 0/0 = NaN, as in PyTorch.
 */
#include "axis.h"

/* y = (sum of the reduced elements of x) / divisor, where the divisor is 1 for
 * a sum and n for a mean. */
static void sum_kernel(tg_tensor *y, const tg_tensor *x, bool mean)
{
    int64_t outer, n, inner;
    tg__reduction_split(x, y, &outer, &n, &inner);
    double divisor = mean ? (double)n : 1.0;
    TG_FOR_DTYPE(x->dtype, T, {
        const T *src = x->data;
        T *dst = y->data;
        for (int64_t o = 0; o < outer; o++) {
            for (int64_t i = 0; i < inner; i++) {
                const T *slice = src + o * n * inner + i;
                double acc = 0;
                for (int64_t j = 0; j < n; j++)
                    acc += slice[j * inner];
                dst[o * inner + i] = (T)(acc / divisor);
            }
        }
    });
}

/* Fills the result made by tg__reduction_new(_all) and records it. */
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
    int64_t outer, n, inner;
    tg__reduction_split(out->in[0], out, &outer, &n, &inner);
    /* scaling g before spreading it touches fewer elements */
    grad_in[0] = spread(out, tg_mul_scalar(g, 1.0 / (double)n));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

TG_SAMPLE_FN(sample_sum, tg_sum(in[0]))

const tg_op tg__op_sum = {
    .info = {TG_OP_SUM, "tg_sum", 1, 0,
             {sample_sum, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = sum_backward,
};
TG_SAMPLE_FN(sample_mean, tg_mean(in[0]))

const tg_op tg__op_mean = {
    .info = {TG_OP_MEAN, "tg_mean", 1, 0,
             {sample_mean, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = mean_backward,
};
TG_SAMPLE_FN(sample_sum_axis, tg_sum_axis(in[0], 0, false))

const tg_op tg__op_sum_axis = {
    .info = {TG_OP_SUM_AXIS, "tg_sum_axis", 1, TG_OP_AXIS,
             {sample_sum_axis, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = sum_backward,
};
TG_SAMPLE_FN(sample_mean_axis, tg_mean_axis(in[0], -1, true))

const tg_op tg__op_mean_axis = {
    .info = {TG_OP_MEAN_AXIS, "tg_mean_axis", 1, TG_OP_AXIS,
             {sample_mean_axis, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = mean_backward,
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
