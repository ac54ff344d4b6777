/*
 * celu.c -- y = celu(x; alpha) = x > 0 ? x : alpha (e^(x/alpha) - 1), an
 * ELU with input scale 1/alpha (elu.h); alpha is kept in attr.f and must not
 * be 0 (PyTorch refuses it too).
 *
 *   backward  dx = g (x > 0 ? 1 : y/alpha + 1); at x = 0 the negative
 *             branch, which is 1 for every alpha, as in PyTorch
 */
#include "elu.h"
#include "jvp.h"

static tg_elu_coefs celu_coefs(double alpha) { return (tg_elu_coefs){1, alpha, 1 / alpha}; }

static void celu_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr)
{
    tg__elu_forward(y, x, celu_coefs(attr.f));
}

static double celu_value(const double *x, tg_attr attr)
{
    (void)attr;
    return tg__elu_value(x[0], celu_coefs(attr.f));
}

static int celu_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    return tg__elu_backward(out, g, grad_in, celu_coefs(out->attr.f));
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void celu_partials(const double *x, double y, tg_attr attr, double *p)
{
    p[0] = tg__elu_partial(x[0], y, celu_coefs(attr.f));
}

TG_SAMPLE_FN(sample_celu, tg_celu(in[0], 1.5))

const tg_op tg__op_celu = {
    .info = {TG_OP_CELU, "tg_celu", 1, TG_OP_ELEMENTWISE | TG_OP_CONSTANT,
             {sample_celu, 1, TG_SAMPLE_SAME, {TG_SAMPLE_NONZERO}}},
    .backward = celu_backward,
    .partials = celu_partials,
    .jvp = tg__jvp_symmetric,
    .value = celu_value,
    .kernel.unary = celu_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_celu(tg_tensor *x, double alpha)
{
    if (alpha == 0 || isnan(alpha)) {
        tg__fail(TG_EVALUE, "tg_celu: alpha must be a nonzero number, not %g", alpha);
        return NULL;
    }
    return tg__unary(&tg__op_celu, x, (tg_attr){.f = alpha});
}
