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
    y = tg__record(y, op, 1, &x);
    if (y)
        tg__clear_on_success();
    return y;
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
    return grad_in[0] ? TG_OK : tg_last_error_code();
}

static int mean_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    int64_t outer, n, inner;
    tg__reduction_split(out->in[0], out, &outer, &n, &inner);
    /* scaling g before spreading it touches fewer elements */
    grad_in[0] = spread(out, tg_mul_scalar(g, 1.0 / (double)n));
    return grad_in[0] ? TG_OK : tg_last_error_code();
}

static const tg_op sum_op = {"tg_sum", 1, sum_backward};
static const tg_op mean_op = {"tg_mean", 1, mean_backward};
static const tg_op sum_axis_op = {"tg_sum_axis", 1, sum_backward};
static const tg_op mean_axis_op = {"tg_mean_axis", 1, mean_backward};

tg_tensor *tg_sum(tg_tensor *x)
{
    return finish(&sum_op, tg__reduction_new_all(sum_op.name, x), x, false);
}

tg_tensor *tg_mean(tg_tensor *x)
{
    return finish(&mean_op, tg__reduction_new_all(mean_op.name, x), x, true);
}

tg_tensor *tg_sum_axis(tg_tensor *x, int axis, bool keepdim)
{
    return finish(&sum_axis_op, tg__reduction_new(sum_axis_op.name, x, axis, keepdim), x, false);
}

tg_tensor *tg_mean_axis(tg_tensor *x, int axis, bool keepdim)
{
    return finish(&mean_axis_op, tg__reduction_new(mean_axis_op.name, x, axis, keepdim), x,
                  true);
}
