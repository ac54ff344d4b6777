/*
 * hardtanh.c -- y = hardtanh(x; min_val, max_val) = min(max(x, min_val),
 * max_val); the bounds are kept in attr.f2 and min_val > max_val is refused.
 *
 *   backward  dx = g [min_val < x < max_val]: 0 at both bounds, as
 *             PyTorch's hardtanh_backward gives (unlike tg_clamp, which
 *             passes g at the bounds); NaN passes no gradient
 */
#include "kernel.h"
#include "jvp.h"

TG_UNARY_FORMULA(hardtanh, {
    T lo = (T)attr.f2.a, hi = (T)attr.f2.b;
    r = v < lo ? lo : v;
    r = r > hi ? hi : r;
})

static void strictly_inside_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr)
{
    TG_FOR_DTYPE(x->dtype, T, {
        const T *in = x->data;
        T *out = y->data;
        T lo = (T)attr.f2.a, hi = (T)attr.f2.b;
        TG_PARALLEL_FOR(x->numel, i, out[i] = in[i] > lo && in[i] < hi);
    });
}

static int hardtanh_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    tg_tensor *inside =
        tg__constant_unary(out->op->info.name, out->in[0], out->attr, strictly_inside_kernel);
    grad_in[0] = tg_mul(g, inside);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* the sample's values lie 0.25 or more from either bound */
/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void hardtanh_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    p[0] = attr.f2.a < x[0] && x[0] < attr.f2.b;
}

TG_SAMPLE_FN(sample_hardtanh, tg_hardtanh(in[0], -0.25, 4))

const tg_op tg__op_hardtanh = {
    .info = {TG_OP_HARDTANH, "tg_hardtanh", 1,
             TG_OP_ELEMENTWISE | TG_OP_CONSTANT | TG_OP_CONSTANT2,
             {sample_hardtanh, 1, TG_SAMPLE_SAME, {{0.5, 2.0, true}}}},
    .backward = hardtanh_backward,
    .partials = hardtanh_partials,
    .jvp = tg__jvp_symmetric,
    .value = hardtanh_value,
    .kernel.unary = hardtanh_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_hardtanh(tg_tensor *x, double min_val, double max_val)
{
    if (!(min_val <= max_val)) {
        tg__fail(TG_EVALUE, "tg_hardtanh: min_val %g must not exceed max_val %g", min_val,
                 max_val);
        return NULL;
    }
    tg_attr attr = {.f2 = {min_val, max_val}};
    return tg__unary(&tg__op_hardtanh, x, attr);
}
