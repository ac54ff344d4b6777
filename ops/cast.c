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
#include "jvp.h"

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

static int cast_rerun(tg_tensor *out)
{
    convert(out, out->in[0]);
    return TG_OK;
}

static int cast_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg_cast(g, (tg_dtype)out->in[0]->dtype);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

TG_JVP_FN(cast_jvp, tg_cast(t, (tg_dtype)out->dtype))

TG_SAMPLE_FN(sample_cast, tg_cast(in[0], TG_F64))

const tg_op tg__op_cast = {
    .info = {TG_OP_CAST, "tg_cast", 1, 0,
             {sample_cast, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = cast_backward,
    .jvp = cast_jvp,
    .rerun = cast_rerun,
};

tg_tensor *tg_cast(tg_tensor *x, tg_dtype dtype)
{
    if (tg__check(tg__op_cast.info.name, x, 1) < 0)
        return NULL;
    /* rejects an unknown dtype, naming tg_cast */
    tg_tensor *y = tg__tape_tensor(tg__op_cast.info.name, dtype, x->ndim, x->shape);
    if (!y)
        return NULL;
    convert(y, x);
    return tg__record(y, &tg__op_cast, 1, &x);
}
