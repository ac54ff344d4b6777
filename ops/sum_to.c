/*
 * sum_to.c -- the pair that makes broadcasting differentiable.
 *
 *   broadcast_to(x, shape)  y = x stretched along size-1 / missing axes
 *                           dx = sum_to(g, shape x)
 *   sum_to(x, shape)        y = x summed over the axes that shape stretches
 *                           dx = broadcast_to(g, shape x)
 */
#include <string.h>

#include "kernel.h"
#include "jvp.h"

/* Checks that small broadcasts to big; both are (ndim, shape) pairs. */
static int check_broadcastable(const char *fn, int small_nd, const int64_t *small, int big_nd,
                               const int64_t *big)
{
    bool ok = small_nd <= big_nd;
    for (int s = small_nd - 1, d = big_nd - 1; ok && s >= 0; s--, d--)
        ok = small[s] == 1 || small[s] == big[d];
    if (ok)
        return TG_OK;
    char a[96], b[96];
    return tg__fail(TG_ESHAPE, "%s: shape %s does not broadcast to %s", fn,
                    tg__dims_str(small_nd, small, a, sizeof a), tg__dims_str(big_nd, big, b, sizeof b));
}

static int check_shape_arg(const char *fn, int ndim, const int64_t *shape)
{
    if (ndim < 0 || ndim > TG_MAX_DIMS)
        return tg__fail(TG_ESHAPE, "%s: ndim %d out of range 0..%d", fn, ndim, TG_MAX_DIMS);
    if (ndim > 0 && !shape)
        return tg__fail(TG_ENULL, "%s: argument 3 (shape) is NULL", fn);
    return TG_OK;
}

static void broadcast_kernel(tg_tensor *y, const tg_tensor *x)
{
    tg_bcast plan;
    tg__plan_from(y->ndim, y->shape, x->ndim, x->shape, &plan);
    TG_FOR_DTYPE(x->dtype, T, {
        T *dst = y->data;
        const T *src = x->data;
        TG_BCAST_WALK2(&plan, y->numel, o, i, unused, (void)unused; dst[o] = src[i]);
    });
}

/* y = x summed down to y's shape. */
static void sum_to_kernel(tg_tensor *y, const tg_tensor *x)
{
    memset(y->data, 0, (size_t)y->numel * tg__dtype_size((tg_dtype)y->dtype));
    /* Walk x serially: threads would race on the elements of y they share. */
    tg_bcast plan; /* input 0 of the plan is y read with broadcasting */
    tg__plan_from(x->ndim, x->shape, y->ndim, y->shape, &plan);
    TG_FOR_DTYPE(x->dtype, T, {
        T *dst = y->data;
        const T *src = x->data;
        TG_BCAST_RANGE2(&plan, 0, x->numel, o, i, unused, (void)unused; dst[i] += src[o]);
    });
}

static int broadcast_to_rerun(tg_tensor *out)
{
    broadcast_kernel(out, out->in[0]);
    return TG_OK;
}

static int sum_to_rerun(tg_tensor *out)
{
    sum_to_kernel(out, out->in[0]);
    return TG_OK;
}

static int broadcast_to_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    (void)out;
    grad_in[0] = tg_sum_to(g, out->in[0]->ndim, out->in[0]->shape);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

TG_JVP_FN(broadcast_to_jvp, tg_broadcast_to(t, out->ndim, out->shape))

TG_SAMPLE_FN(sample_broadcast_to, tg_broadcast_to(in[0], 3, (int64_t[]){2, tg_shape(in[0])[0], tg_shape(in[0])[1]}))

const tg_op tg__op_broadcast_to = {
    .info = {TG_OP_BROADCAST_TO, "tg_broadcast_to", 1, 0,
             {sample_broadcast_to, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = broadcast_to_backward,
    .jvp = broadcast_to_jvp,
    .rerun = broadcast_to_rerun,
};

tg_tensor *tg_broadcast_to(tg_tensor *x, int ndim, const int64_t *shape)
{
    return tg__broadcast_to_as(tg__op_broadcast_to.info.name, x, ndim, shape);
}

tg_tensor *tg__broadcast_to_as(const char *fn, tg_tensor *x, int ndim, const int64_t *shape)
{
    if (tg__check(fn, x, 1) < 0 || check_shape_arg(fn, ndim, shape) < 0 ||
        check_broadcastable(fn, x->ndim, x->shape, ndim, shape) < 0)
        return NULL;
    tg_tensor *y = tg__tape_tensor(fn, (tg_dtype)x->dtype, ndim, shape);
    if (!y)
        return NULL;
    broadcast_kernel(y, x);
    return tg__record(y, &tg__op_broadcast_to, 1, &x);
}

static int sum_to_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_broadcast_to(g, out->in[0]->ndim, out->in[0]->shape);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

TG_JVP_FN(sum_to_jvp, tg_sum_to(t, out->ndim, out->shape))

TG_SAMPLE_FN(sample_sum_to, tg_sum_to(in[0], 1, (int64_t[]){tg_shape(in[0])[1]}))

const tg_op tg__op_sum_to = {
    .info = {TG_OP_SUM_TO, "tg_sum_to", 1, 0,
             {sample_sum_to, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = sum_to_backward,
    .jvp = sum_to_jvp,
    .rerun = sum_to_rerun,
};

tg_tensor *tg_sum_to(tg_tensor *x, int ndim, const int64_t *shape)
{
    const char *fn = tg__op_sum_to.info.name;
    if (tg__check(fn, x, 1) < 0 || check_shape_arg(fn, ndim, shape) < 0 ||
        check_broadcastable(fn, ndim, shape, x->ndim, x->shape) < 0)
        return NULL;
    tg_tensor *y = tg__tape_tensor(fn, (tg_dtype)x->dtype, ndim, shape);
    if (!y)
        return NULL;
    sum_to_kernel(y, x);
    return tg__record(y, &tg__op_sum_to, 1, &x);
}
