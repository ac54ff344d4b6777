/*
 * cast.c -- y = x converted to another dtype.
 *
 *   forward   f64 -> f32 rounds to nearest (values beyond f32's range become
 *             inf); casting to x's own dtype still returns a new tensor, a
 *             recorded copy, like every other op
 *   backward  dx = cast(g, dtype of x), so a gradient always has the dtype of
 *             the tensor it belongs to
 */
#include "kernel.h"

static void convert(tg_tensor *y, const tg_tensor *x)
{
    TG_FOR_DTYPE(x->dtype, S, {
        const S *in = x->data;
        TG_FOR_DTYPE(y->dtype, D, {
            D *out = y->data;
            for (int64_t i = 0; i < x->numel; i++)
                out[i] = (D)in[i];
        });
    });
}

static int cast_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_cast(g, (tg_dtype)out->in[0]->dtype);
    return grad_in[0] ? TG_OK : tg_last_error_code();
}

static const tg_op cast_op = {"tg_cast", 1, cast_backward};

tg_tensor *tg_cast(tg_tensor *x, tg_dtype dtype)
{
    if (tg__check(cast_op.name, x, 1) < 0)
        return NULL;
    /* rejects an unknown dtype, naming tg_cast */
    tg_tensor *y = tg__tape_tensor(cast_op.name, dtype, x->ndim, x->shape);
    if (!y)
        return NULL;
    convert(y, x);
    y = tg__record(y, &cast_op, 1, &x);
    if (y)
        tg__clear_on_success();
    return y;
}
