/*
 * prod.c -- the product of all elements, or along one axis (torch.prod
 * takes one dim).
 *
 *   forward   accumulates in double
 *   backward  dx_i = g' prod_{j != i} x_j = g' L_i R_i, where L is the
 *             cumulative product before i and R the one after it, both
 *             computed with tg_cumprod (shifted one place, 1 at the freed
 *             end) instead of y / x_i: exact where elements are 0 (one zero:
 *             the product of the others at it and 0 elsewhere; two zeros: 0
 *             everywhere), as PyTorch's prod_backward is, and written with
 *             ops, so every order works. A product over everything flattens
 *             x first.
 */
#include "axis.h"
#include "jvp.h"
#include "scan.h"

static void prod_kernel(tg_tensor *y, const tg_tensor *x)
{
    tg_reduce_plan plan;
    tg__reduce_plan(x, y, &plan);
    TG_FOR_DTYPE(x->dtype, T, {
        const T *src = x->data;
        T *dst = y->data;
        TG_REDUCE_OUTPUTS(&plan, k, base, {
            double acc = 1;
            TG_REDUCE_SLICE(&plan, base, P, acc *= src[P];);
            dst[k] = (T)acc;
        });
    });
}

/* prod_{j != i} x_j along axis, for every i. */
static tg_tensor *others_product(tg_tensor *x, int axis)
{
    tg_tensor *before = tg__shift(tg__cumprod_dir(x, axis, false), axis, 1, 1);
    tg_tensor *after = tg__shift(tg__cumprod_dir(x, axis, true), axis, -1, 1);
    return tg_mul(before, after);
}

static int prod_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    tg_tensor *x = out->in[0], *others;
    if (out->attr.i.axis == TG_ALL_AXES) {
        tg_tensor *flat = tg_reshape(x, 1, (const int64_t[]){x->numel});
        others = tg_reshape(others_product(flat, 0), x->ndim, x->shape);
    } else {
        others = others_product(x, out->attr.i.axis);
    }
    grad_in[0] = tg_mul(tg__keepdim_grad(g, out), others);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

static int prod_rerun(tg_tensor *out)
{
    prod_kernel(out, out->in[0]);
    return TG_OK;
}

TG_SAMPLE_FN(sample_prod, tg_prod_axis(in[0], -1, false))

const tg_op tg__op_prod = {
    .info = {TG_OP_PROD, "tg_prod", 1, TG_OP_AXES,
             {sample_prod, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = prod_backward,
    .jvp = tg__jvp_reduction,
    .rerun = prod_rerun,
};

static tg_tensor *finish(tg_tensor *y, tg_tensor *x)
{
    if (!y)
        return NULL;
    prod_kernel(y, x);
    return tg__record(y, &tg__op_prod, 1, &x);
}

tg_tensor *tg_prod(tg_tensor *x)
{
    return finish(tg__reduction_new_all(tg__op_prod.info.name, x), x);
}

tg_tensor *tg_prod_axis(tg_tensor *x, int axis, bool keepdim)
{
    return finish(tg__reduction_new("tg_prod_axis", x, axis, keepdim), x);
}
