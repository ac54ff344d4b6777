/*
 * transpose.c -- swaps the last two axes: y[..., j, i] = x[..., i, j].
 *
 *   backward  dx = transpose(g)
 *
 * Each [rows, cols] matrix of a batch becomes [cols, rows]. A 0-d or 1-d x
 * has no pair of axes to swap and comes back unchanged, as a recorded copy:
 * like every op result it is a new tensor with data of its own, never x
 * itself or a view of it.
 */
#include <string.h>

#include "kernel.h"
#include "jvp.h"

static void transpose_kernel(tg_tensor *y, const tg_tensor *x)
{
    int64_t rows = x->shape[x->ndim - 2], cols = x->shape[x->ndim - 1];
    int64_t size = rows * cols, count = size ? x->numel / size : 0;
    TG_FOR_DTYPE(x->dtype, T, {
        for (int64_t b = 0; b < count; b++) {
            const T *src = (const T *)x->data + b * size;
            T *dst = (T *)y->data + b * size;
            for (int64_t i = 0; i < rows; i++)
                for (int64_t j = 0; j < cols; j++)
                    dst[j * rows + i] = src[i * cols + j];
        }
    });
}

/* y = x with its last two axes swapped; a copy of x below 2 axes. */
static void transpose_into(tg_tensor *y, const tg_tensor *x)
{
    if (x->ndim >= 2)
        transpose_kernel(y, x);
    else
        memcpy(y->data, x->data, (size_t)x->numel * tg__dtype_size((tg_dtype)x->dtype));
}

static int transpose_rerun(tg_tensor *out)
{
    transpose_into(out, out->in[0]);
    return TG_OK;
}

static int transpose_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    (void)out;
    grad_in[0] = tg_transpose(g);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

TG_JVP_FN(transpose_jvp, tg_transpose(t))

TG_SAMPLE_FN(sample_transpose, tg_transpose(in[0]))

const tg_op tg__op_transpose = {
    .info = {TG_OP_TRANSPOSE, "tg_transpose", 1, 0,
             {sample_transpose, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = transpose_backward,
    .jvp = transpose_jvp,
    .rerun = transpose_rerun,
};

static tg_tensor *transposed(const tg_tensor *x)
{
    int64_t shape[TG_MAX_DIMS];
    memcpy(shape, x->shape, (size_t)x->ndim * sizeof *shape);
    if (x->ndim >= 2) {
        shape[x->ndim - 2] = x->shape[x->ndim - 1];
        shape[x->ndim - 1] = x->shape[x->ndim - 2];
    }
    tg_tensor *y = tg__tape_tensor(tg__op_transpose.info.name, (tg_dtype)x->dtype, x->ndim, shape);
    if (!y)
        return NULL;
    transpose_into(y, x);
    return y;
}

tg_tensor *tg_transpose(tg_tensor *x)
{
    if (tg__check(tg__op_transpose.info.name, x, 1) < 0)
        return NULL;
    tg_tensor *y = transposed(x);
    return y ? tg__record(y, &tg__op_transpose, 1, &x) : NULL;
}
