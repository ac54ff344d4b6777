/*
 * where.c -- y = cond != 0 ? a : b elementwise, broadcasting all three
 * operands (which share a dtype) together.
 *
 *   backward  da = sum_to(where(cond, g, 0), shape a)
 *             db = sum_to(where(cond, 0, g), shape b)
 *             cond receives no gradient, even if it requires grad: the
 *             choice is piecewise constant in it
 */
#include "kernel.h"
#include "jvp.h"

static void where_kernel(const tg_bcast *plan, tg_tensor *out, tg_tensor *const *in)
{
    int nd = plan->ndim;
    int64_t inner = nd ? plan->shape[nd - 1] : 1, step[3] = {0};
    for (int k = 0; nd && k < 3; k++)
        step[k] = plan->stride[k][nd - 1];
    int64_t idx[TG_MAX_DIMS] = {0}, offset[3] = {0};
    TG_FOR_DTYPE(out->dtype, T, {
        const T *c = in[0]->data, *a = in[1]->data, *b = in[2]->data;
        T *y = out->data;
        for (int64_t row = 0; row < out->numel; row += inner) {
            const T *cr = c + offset[0], *ar = a + offset[1], *br = b + offset[2];
            for (int64_t j = 0; j < inner; j++)
                y[row + j] = cr[j * step[0]] != 0 ? ar[j * step[1]] : br[j * step[2]];
            tg__odometer_next(nd - 1, plan->shape, 3, plan->stride, idx, offset);
        }
    });
}

static int where_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    tg_tensor *cond = out->in[0], *a = out->in[1], *b = out->in[2];
    tg_tensor *zero = tg__scalar_like(g, 0);
    if (a->flags & TG_REQUIRES_GRAD) {
        grad_in[1] = tg__unbroadcast(tg_where(cond, g, zero), a);
        if (!grad_in[1])
            return tg__latest_code();
    }
    if (b->flags & TG_REQUIRES_GRAD) {
        grad_in[2] = tg__unbroadcast(tg_where(cond, zero, g), b);
        if (!grad_in[2])
            return tg__latest_code();
    }
    return TG_OK;
}

/* where(cond, ta, tb): the chosen side's tangent; cond's is ignored */
static int where_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    *tangent_out = NULL;
    if (!tangent_in[1] && !tangent_in[2])
        return TG_OK;
    tg_tensor *zero = tg__scalar_like(out, 0);
    tg_tensor *ta = tangent_in[1] ? tangent_in[1] : zero;
    tg_tensor *tb = tangent_in[2] ? tangent_in[2] : zero;
    *tangent_out = tg__expand_like(tg_where(out->in[0], ta, tb), out);
    return *tangent_out ? TG_OK : tg__latest_code();
}

/* the plan again from the inputs' shapes, which broadcast at the capture */
static int where_rerun(tg_tensor *out)
{
    int ndim;
    int64_t shape[TG_MAX_DIMS];
    tg_bcast plan;
    int rc = tg__broadcast(out->op->info.name, 3, out->in, &ndim, shape, &plan);
    if (rc < 0)
        return rc;
    where_kernel(&plan, out, out->in);
    return TG_OK;
}

TG_SAMPLE_FN(sample_where, tg_where(tg_heaviside(tg_sub(in[0], in[1])), in[0], in[1]))

const tg_op tg__op_where = {
    .info = {TG_OP_WHERE, "tg_where", 3, TG_OP_ELEMENTWISE | TG_OP_BROADCASTS,
             {sample_where, 2, TG_SAMPLE_SAME, {{0.5, 2.0, true}, {-0.25, 0.25, false}}}},
    .backward = where_backward,
    .jvp = where_jvp,
    .rerun = where_rerun,
};

tg_tensor *tg_where(tg_tensor *cond, tg_tensor *a, tg_tensor *b)
{
    const char *fn = tg__op_where.info.name;
    if (tg__check(fn, cond, 1) < 0 || tg__check(fn, a, 2) < 0 || tg__check(fn, b, 3) < 0 ||
        tg__check_same_dtype(fn, cond, a) < 0 || tg__check_same_dtype(fn, a, b) < 0)
        return NULL;
    tg_tensor *in[3] = {cond, a, b};
    int ndim;
    int64_t shape[TG_MAX_DIMS];
    tg_bcast plan;
    if (tg__broadcast(fn, 3, in, &ndim, shape, &plan) < 0)
        return NULL;
    tg_tensor *y = tg__tape_tensor(fn, (tg_dtype)a->dtype, ndim, shape);
    if (!y)
        return NULL;
    where_kernel(&plan, y, in);
    return tg__record(y, &tg__op_where, 3, in);
}
