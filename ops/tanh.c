/*
 * tanh.c -- t = tanh x = 2 sigmoid(2x) - 1.
 *
 *   forward   C's tanh for double; for float from e^(-2|x|) (expf_arith.h):
 *             saturates to +-1 without overflow for any x
 *   backward  dx = g (1 - t^2), from the saved output t; one fused pass in a
 *             first-order sweep
 */
#include "expf_arith.h"
#include "kernel.h"
#include "jvp.h"

/* tanh a for float a = |x| as -d / (2 + d), d = e^-2a - 1 = 2^k m + (2^k - 1)
 * from e^-2a = 2^k (1 + m) (expf_arith.h: no libm call, so the loop is
 * compiled per ISA with the same bits on each): two exact terms and one
 * rounding, m itself at k = 0, so that nothing cancels near 0. Where tanh
 * nears 1, 2 + d nears 1 and its rounding would cost up to a whole ulp of
 * the result: the rounding error s_err of s = 2 + d is exact (Fast2Sum,
 * |d| <= 1 < 2) and corrects the quotient to first order, with 1 / s
 * taken as 1.5 - s / 2 (within 12% on [1, 2], for a term below half an
 * ulp). One division: a 16-lane division costs more than the rest. */
static inline float tanh_nonnegative_f32(float a)
{
    int32_t k;
    float m = tg__exp_parts_f32(-2.0f * a, &k), scale = tg__pow2_f32(k);
    float d = m * scale + (scale - 1.0f);
    float s = 2.0f + d, s_err = d - (s - 2.0f);
    float q = -d / s;
    return q - (q * s_err) * (1.5f - 0.5f * s);
}

/* the sign copied from x: -0 stays -0 */
TG_HOT static void tanh_f32(float *out, const float *in, int64_t n)
{
    TG_PARALLEL_FOR(n, i, out[i] = copysignf(tanh_nonnegative_f32(fabsf(in[i])), in[i]));
}

static void tanh_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr)
{
    (void)attr;
    if (x->dtype == TG_F32) {
        tanh_f32(y->data, x->data, x->numel);
        return;
    }
    const double *in = x->data;
    double *out = y->data;
    TG_PARALLEL_FOR(x->numel, i, out[i] = tanh(in[i]));
}

/* the kernel's double formula: C's tanh */
static double tanh_value(const double *x, tg_attr attr)
{
    (void)attr;
    return tanh(x[0]);
}

TG_HOT static void tanh_grad_kernel(const tg_bcast *plan, tg_tensor *dx, const tg_tensor *g,
                                    const tg_tensor *t, bool accumulate)
{
    TG_FOR_DTYPE(dx->dtype, T, {
        T *d = dx->data;
        const T *gv = g->data, *tv = t->data;
        TG_BCAST_WALK2(plan, dx->numel, o, i, j, {
            T v = gv[i] * (1 - tv[j] * tv[j]);
            d[o] = accumulate ? d[o] + v : v;
        });
    });
}

static int tanh_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    if (tg__may_fuse()) {
        return tg__fused_grad(out->op->info.name, out->in[0], g, out, tanh_grad_kernel,
                              &grad_in[0]);
    } else {
        tg_tensor *dt = tg_sub(tg__scalar_like(out, 1), tg_mul(out, out));
        grad_in[0] = tg_mul(g, dt);
    }
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void tanh_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)x;
    (void)attr;
    p[0] = 1 - y * y;
}

TG_SAMPLE_FN(sample_tanh, tg_tanh(in[0]))

const tg_op tg__op_tanh = {
    .info = {TG_OP_TANH, "tg_tanh", 1, TG_OP_ELEMENTWISE | TG_OP_FUSED,
             {sample_tanh, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = tanh_backward,
    .partials = tanh_partials,
    .jvp = tg__jvp_symmetric,
    .value = tanh_value,
    .kernel.unary = tanh_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_tanh(tg_tensor *x) { return tg__unary(&tg__op_tanh, x, (tg_attr){0}); }
