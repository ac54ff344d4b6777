/*
 * hardsigmoid.c -- y = hardsigmoid(x) = min(max(x/6 + 1/2, 0), 1), computed
 * as PyTorch does, min(max(x + 3, 0), 6) / 6, to round alike.
 *
 *   backward  dx = g/6 where -3 < x < 3, else 0: 0 at x = -3 and x = 3, as
 *             PyTorch's hardsigmoid_backward gives
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(hardsigmoid, {
    r = v + 3;
    r = r < 0 ? 0 : r;
    r = (r > 6 ? 6 : r) / 6;
})

/* 1/6 on the slope -3 < x < 3, else 0. */
static void slope_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr)
{
    (void)attr;
    TG_FOR_DTYPE(x->dtype, T, {
        const T *in = x->data;
        T *out = y->data;
        TG_PARALLEL_FOR(x->numel, i, out[i] = in[i] > -3 && in[i] < 3 ? (T)1 / 6 : 0);
    });
}

static int hardsigmoid_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    tg_tensor *slope =
        tg__constant_unary(out->op->info.name, out->in[0], (tg_attr){0}, slope_kernel);
    grad_in[0] = tg_mul(g, slope);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* 2x + 3 lies on the slope and above it, at least 0.5 from the kink 3 */
/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void hardsigmoid_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    (void)attr;
    p[0] = -3 < x[0] && x[0] < 3 ? 1.0 / 6 : 0;
}

TG_SAMPLE_FN(sample_hardsigmoid, tg_hardsigmoid(tg_add_scalar(tg_mul_scalar(in[0], 2), 3)))

const tg_op tg__op_hardsigmoid = {
    .info = {TG_OP_HARDSIGMOID, "tg_hardsigmoid", 1, TG_OP_ELEMENTWISE,
             {sample_hardsigmoid, 1, TG_SAMPLE_SAME, {TG_SAMPLE_NONZERO}}},
    .backward = hardsigmoid_backward,
    .partials = hardsigmoid_partials,
    .jvp = tg__jvp_symmetric,
    .value = hardsigmoid_value,
    .kernel.unary = hardsigmoid_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_hardsigmoid(tg_tensor *x)
{
    return tg__unary(&tg__op_hardsigmoid, x, (tg_attr){0});
}
