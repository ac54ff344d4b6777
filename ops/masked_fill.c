/*
 * masked_fill.c -- y = mask != 0 ? value : x elementwise, x and mask
 * (which share a dtype) broadcast together; value is kept in attr.f.
 *
 *   forward   PyTorch's out-of-place masked_fill: any nonzero mask entry,
 *             NaN included, selects value; NaN or inf in x is replaced
 *             where the mask selects value
 *   backward  dx = sum_to(masked_fill(g, mask, 0), shape x): g where the
 *             mask is 0, else 0; the mask receives no gradient. Written
 *             with the op itself, so every order of derivative works.
 */
#include "kernel.h"
#include "jvp.h"

static void masked_fill_kernel(const tg_bcast *plan, tg_tensor *out, const tg_tensor *x,
                               const tg_tensor *mask)
{
    TG_FOR_DTYPE(out->dtype, T, {
        T *y = out->data;
        const T *a = x->data, *m = mask->data;
        T value = (T)out->attr.f;
        TG_BCAST_WALK2(plan, out->numel, o, i, j, y[o] = m[j] != 0 ? value : a[i]);
    });
}

static int masked_fill_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    tg_tensor *x = out->in[0];
    grad_in[0] = tg__unbroadcast(tg_masked_fill(g, out->in[1], 0), x);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* x's tangent where the mask is 0 (the filled places are constant), of the
 * output's shape; the mask's tangent is ignored */
TG_JVP_FN(masked_fill_jvp, tg__expand_like(tg_masked_fill(t, out->in[1], 0), out))

/* the plan again from the inputs' shapes, which broadcast at the capture */
static int masked_fill_rerun(tg_tensor *out) { return tg__rerun_broadcast(out, masked_fill_kernel); }

TG_SAMPLE_FN(sample_masked_fill, tg_masked_fill(in[0], tg_heaviside(in[1]), 0.5))

const tg_op tg__op_masked_fill = {
    .info = {TG_OP_MASKED_FILL, "tg_masked_fill", 2,
             TG_OP_ELEMENTWISE | TG_OP_BROADCASTS | TG_OP_CONSTANT,
             {sample_masked_fill, 2, TG_SAMPLE_BROADCAST, {TG_SAMPLE_ANY, TG_SAMPLE_NONZERO}}},
    .backward = masked_fill_backward,
    .jvp = masked_fill_jvp,
    .rerun = masked_fill_rerun,
};

tg_tensor *tg_masked_fill(tg_tensor *x, tg_tensor *mask, double value)
{
    const char *fn = tg__op_masked_fill.info.name;
    if (tg__check(fn, x, 1) < 0 || tg__check(fn, mask, 2) < 0 ||
        tg__check_same_dtype(fn, x, mask) < 0)
        return NULL;
    tg_tensor *in[2] = {x, mask};
    int ndim;
    int64_t shape[TG_MAX_DIMS];
    tg_bcast plan;
    if (tg__broadcast(fn, 2, in, &ndim, shape, &plan) < 0)
        return NULL;
    tg_tensor *y = tg__tape_tensor(fn, (tg_dtype)x->dtype, ndim, shape);
    if (!y)
        return NULL;
    y->attr = (tg_attr){.f = value};
    masked_fill_kernel(&plan, y, x, mask);
    return tg__record(y, &tg__op_masked_fill, 2, in);
}
