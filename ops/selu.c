/*
 * selu.c -- y = selu(x) = scale (x > 0 ? x : alpha (e^x - 1)) with
 * PyTorch's constants (Klambauer et al. 2017), an ELU (elu.h).
 *
 *   backward  dx = g (x > 0 ? scale : y + scale alpha); at x = 0 the
 *             negative branch, scale alpha = 1.7581, as in PyTorch
 */
#include "elu.h"
#include "jvp.h"

static const tg_elu_coefs selu_coefs = {1.0507009873554804934193349852946,
                                        1.6732632423543772848170429916717, 1};

static void selu_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr)
{
    (void)attr;
    tg__elu_forward(y, x, selu_coefs);
}

static double selu_value(const double *x, tg_attr attr)
{
    (void)attr;
    return tg__elu_value(x[0], selu_coefs);
}

static int selu_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    return tg__elu_backward(out, g, grad_in, selu_coefs);
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void selu_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)attr;
    p[0] = tg__elu_partial(x[0], y, selu_coefs);
}

TG_SAMPLE_FN(sample_selu, tg_selu(in[0]))

const tg_op tg__op_selu = {
    .info = {TG_OP_SELU, "tg_selu", 1, TG_OP_ELEMENTWISE,
             {sample_selu, 1, TG_SAMPLE_SAME, {TG_SAMPLE_NONZERO}}},
    .backward = selu_backward,
    .partials = selu_partials,
    .jvp = tg__jvp_symmetric,
    .value = selu_value,
    .kernel.unary = selu_kernel,
    .rerun = tg__unary_rerun,
};

tg_tensor *tg_selu(tg_tensor *x) { return tg__unary(&tg__op_selu, x, (tg_attr){0}); }
