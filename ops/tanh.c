/*
 * tanh.c -- t = tanh x = 2 sigmoid(2x) - 1.
 *
 *   forward   C's tanh, which saturates to +-1 without overflow for any x
 *   backward  dx = g (1 - t^2), from the saved output t; one fused pass in a
 *             first-order sweep
 */
#include "kernel.h"
#include "jvp.h"

static void tanh_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr)
{
    (void)attr;
    TG_FOR_DTYPE(x->dtype, T, {
        const T *in = x->data;
        T *out = y->data;
        TG_PARALLEL_FOR(x->numel, i, out[i] = tanh(in[i]));
    });
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
};

tg_tensor *tg_tanh(tg_tensor *x) { return tg__unary(&tg__op_tanh, x, (tg_attr){0}, tanh_kernel); }
