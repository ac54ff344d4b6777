/*
 * elu.c -- y = elu(x; alpha) = x > 0 ? x : alpha (e^x - 1); alpha is kept
 * in attr.f. The family's kernels, shared with selu.c and celu.c, are here
 * (see elu.h).
 *
 *   backward  dx = g (x > 0 ? 1 : y + alpha); at x = 0 the negative branch,
 *             alpha, as in PyTorch
 */
#include "elu.h"
#include "jvp.h"

/* y at x of the element type T: the one formula of the kernel and the value */
#define TG_ELU_FORMULA(T, v, c)                                                        \
    ((v) > 0 ? (T)(c).scale * (v) : (T)((c).scale * (c).alpha) * expm1((T)(c).k * (v)))

void tg__elu_forward(tg_tensor *y, const tg_tensor *x, tg_elu_coefs c)
{
    TG_FOR_DTYPE(x->dtype, T, {
        const T *in = x->data;
        T *out = y->data;
        TG_PARALLEL_FOR(x->numel, i, out[i] = TG_ELU_FORMULA(T, in[i], c));
    });
}

double tg__elu_value(double x, tg_elu_coefs c) { return TG_ELU_FORMULA(double, x, c); }

/* 1 where x <= 0 (the negative branch, the kink included), else 0. */
static void negative_branch_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr)
{
    (void)attr;
    TG_FOR_DTYPE(x->dtype, T, {
        const T *in = x->data;
        T *out = y->data;
        TG_PARALLEL_FOR(x->numel, i, out[i] = in[i] <= 0);
    });
}

double tg__elu_partial(double x, double y, tg_elu_coefs c)
{
    return x <= 0 ? c.k * (y + c.scale * c.alpha) : c.scale;
}

int tg__elu_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in, tg_elu_coefs c)
{
    tg_tensor *x = out->in[0];
    tg_tensor *neg =
        tg__constant_unary(out->op->info.name, x, (tg_attr){0}, negative_branch_kernel);
    tg_tensor *neg_slope = tg_mul_scalar(tg_add_scalar(out, c.scale * c.alpha), c.k);
    tg_tensor *local = neg ? tg_where(neg, neg_slope, tg__scalar_like(x, c.scale)) : NULL;
    grad_in[0] = tg_mul(g, local);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

static tg_elu_coefs elu_coefs(double alpha) { return (tg_elu_coefs){1, alpha, 1}; }

static void elu_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr)
{
    tg__elu_forward(y, x, elu_coefs(attr.f));
}

static double elu_value(const double *x, tg_attr attr)
{
    (void)attr;
    return tg__elu_value(x[0], elu_coefs(attr.f));
}

static int elu_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    return tg__elu_backward(out, g, grad_in, elu_coefs(out->attr.f));
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void elu_partials(const double *x, double y, tg_attr attr, double *p)
{
    p[0] = tg__elu_partial(x[0], y, elu_coefs(attr.f));
}

TG_SAMPLE_FN(sample_elu, tg_elu(in[0], 0.7))

const tg_op tg__op_elu = {
    .info = {TG_OP_ELU, "tg_elu", 1, TG_OP_ELEMENTWISE | TG_OP_CONSTANT,
             {sample_elu, 1, TG_SAMPLE_SAME, {TG_SAMPLE_NONZERO}}},
    .backward = elu_backward,
    .partials = elu_partials,
    .jvp = tg__jvp_symmetric,
    .value = elu_value,
    .kernel.unary = elu_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_elu(tg_tensor *x, double alpha)
{
    return tg__unary(&tg__op_elu, x, (tg_attr){.f = alpha});
}
