/*
 * logaddexp.c -- y = logaddexp(a, b) = log(e^a + e^b), broadcasting.
 *
 *   forward   max(a, b) + log1p(e^(-|a - b|)): nothing overflows, so 1e4 and
 *             1e4 give 1e4 + log 2; a == b == +-inf gives that infinity (as
 *             PyTorch), not inf - inf
 *   backward  da = g sigmoid(a - b), db = g sigmoid(b - a) (1/2 each at a
 *             tie), written with tg_sigmoid and summed to each shape
 */
#include "kernel.h"
#include "jvp.h"

TG_BINARY_FORMULA(logaddexp, {
    T m = a > b ? a : b;
    T sum = m + log1p(exp(-fabs(a - b)));
    r = isinf(a) && a == b ? a : sum;
})

static int logaddexp_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    for (int k = 0; k < 2; k++) {
        tg_tensor *self = out->in[k], *other = out->in[1 - k];
        if (!(self->flags & TG_REQUIRES_GRAD))
            continue;
        grad_in[k] = tg__unbroadcast(tg_mul(g, tg_sigmoid(tg_sub(self, other))), self);
        if (!grad_in[k])
            return tg__latest_code();
    }
    return TG_OK;
}

static int logaddexp_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    tg_tensor *terms[2] = {NULL, NULL};
    for (int k = 0; k < 2; k++)
        if (tangent_in[k])
            terms[k] = tg_mul(tangent_in[k], tg_sigmoid(tg_sub(out->in[k], out->in[1 - k])));
    return tg__jvp_sum(out, 2, tangent_in, terms, tangent_out);
}

/* d y / d x_i at one point, for the scalar fast path (autograd/scalar_sweep.c) */
static void logaddexp_partials(const double *x, double y, tg_attr attr, double *p)
{
    (void)y;
    (void)attr;
    p[0] = tg__sigmoid_value(x[0] - x[1]);
    p[1] = tg__sigmoid_value(x[1] - x[0]);
}

TG_SAMPLE_FN(sample_logaddexp, tg_logaddexp(in[0], in[1]))

const tg_op tg__op_logaddexp = {
    .info = {TG_OP_LOGADDEXP, "tg_logaddexp", 2, TG_OP_ELEMENTWISE | TG_OP_BROADCASTS,
             {sample_logaddexp, 2, TG_SAMPLE_BROADCAST, {TG_SAMPLE_ANY, TG_SAMPLE_ANY}}},
    .backward = logaddexp_backward,
    .partials = logaddexp_partials,
    .jvp = logaddexp_jvp,
    .value = logaddexp_value,
    .kernel.binary = logaddexp_kernel,
    .rerun = tg__binary_rerun,
};

tg_tensor *tg_logaddexp(tg_tensor *a, tg_tensor *b)
{
    return tg__binary(&tg__op_logaddexp, a, b);
}
