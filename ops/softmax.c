/*
 * softmax.c -- softmax and log-softmax along one axis.
 *
 *   softmax      y_j = e^(x_j - m) / s,        m = max_j x_j,
 *   log_softmax  y_j = x_j - m - log s,        s = sum_j e^(x_j - m)
 *   backward     softmax      dx = y (g - sum_axis(g y, keepdim))
 *                log_softmax  dx = g - e^y sum_axis(g, keepdim)
 *
 * Shifting by the maximum makes every exponent <= 0, so nothing overflows and
 * s >= 1 (the maximum contributes e^0), so log s is finite: logits as far
 * apart as 1e4 give exact 0 and 1 probabilities, not inf or NaN. A 0-d x has
 * no axis and is rejected. The backward rules read the saved output y, and
 * e^y is softmax(x) for the log form.
 */
#include "kernel.h"
#include "jvp.h"

/* Each slice x[o, 0..n-1, i] (x viewed as [outer, n, inner]) is shifted by
 * its maximum m, exponentiated into y and summed in double, then y is either
 * divided by the sum s or replaced by x - m - log s. */
static void softmax_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr)
{
    int64_t outer, n, inner;
    tg__split_axis(x, attr.i.axis, &outer, &n, &inner);
    bool log_form = attr.i.flag_a;
    if (n == 0)
        return; /* an empty slice has no maximum to read and nothing to write */
    TG_FOR_DTYPE(x->dtype, T, {
        for (int64_t k = 0; k < outer * inner; k++) {
            int64_t base = k / inner * n * inner + k % inner;
            const T *xs = (const T *)x->data + base;
            T *ys = (T *)y->data + base;
            T m = xs[0];
            for (int64_t j = 1; j < n; j++)
                m = xs[j * inner] > m ? xs[j * inner] : m;
            double s = 0;
            for (int64_t j = 0; j < n; j++) {
                T e = exp(xs[j * inner] - m);
                ys[j * inner] = e;
                s += e;
            }
            T log_s = (T)log(s);
            for (int64_t j = 0; j < n; j++)
                ys[j * inner] = log_form ? xs[j * inner] - m - log_s : (T)(ys[j * inner] / s);
        }
    });
}

static int softmax_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    tg_tensor *gy_sum = tg_sum_axis(tg_mul(g, out), out->attr.i.axis, true);
    grad_in[0] = tg_mul(out, tg_sub(g, gy_sum));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

static int log_softmax_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    tg_tensor *g_sum = tg_sum_axis(g, out->attr.i.axis, true);
    grad_in[0] = tg_sub(g, tg_mul(tg_exp(out), g_sum));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* dy = t - sum(softmax(x) t) along the axis (the Jacobian is not symmetric) */
TG_JVP_FN(log_softmax_jvp, tg_sub(t, tg_sum_axis(tg_mul(tg_exp(out), t), out->attr.i.axis, true)))

TG_SAMPLE_FN(sample_softmax, tg_softmax(in[0], -1))

const tg_op tg__op_softmax = {
    .info = {TG_OP_SOFTMAX, "tg_softmax", 1, TG_OP_AXIS,
             {sample_softmax, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = softmax_backward,
    .kernel.unary = softmax_kernel,
    .rerun = tg__unary_rerun,
    .jvp = tg__jvp_symmetric,
};
TG_SAMPLE_FN(sample_log_softmax, tg_log_softmax(in[0], -1))

const tg_op tg__op_log_softmax = {
    .info = {TG_OP_LOG_SOFTMAX, "tg_log_softmax", 1, TG_OP_AXIS,
             {sample_log_softmax, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = log_softmax_backward,
    .kernel.unary = softmax_kernel,
    .rerun = tg__unary_rerun,
    .jvp = log_softmax_jvp,
};

static tg_tensor *along_axis(const tg_op *op, tg_tensor *x, int axis, bool log_form)
{
    int ax;
    if (tg__check(op->info.name, x, 1) < 0 || tg__normalize_axis(op->info.name, x, axis, &ax) < 0)
        return NULL;
    tg_attr attr = {.i = {.axis = ax, .flag_a = log_form}};
    return tg__unary(op, x, attr);
}

tg_tensor *tg_softmax(tg_tensor *x, int axis) { return along_axis(&tg__op_softmax, x, axis, false); }

tg_tensor *tg_log_softmax(tg_tensor *x, int axis)
{
    return along_axis(&tg__op_log_softmax, x, axis, true);
}
