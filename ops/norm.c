/*
 * norm.c -- the vector p-norm over every element or a set of axes
 * (torch.linalg.vector_norm), p > 0 or infinite; p is kept in attr.f.
 *
 *   forward   p = 1: sum |x|; p = inf: max |x|; otherwise
 *             m (sum (|x| / m)^p)^(1/p) with m = max |x|, so that no power
 *             overflows or underflows (a norm of 1e200s in f64, of 1e30s in
 *             f32, is finite); m = 0 or inf gives m. Accumulates in double.
 *   backward  dx = g' sign(x) (|x| / y')^(p-1): the ratio is at most 1, so no
 *             power overflows for large p. At y = 0 the gradient is the
 *             subgradient 0 (PyTorch #2421), and where x = 0 with p < 1 it
 *             is 0 too instead of 0 * inf: both are guarded by constants
 *             ([y == 0] added to y, [x == 0] to the ratio), which leave the
 *             derivative elsewhere unchanged, so every order works.
 *             p = inf: dx = g' sign(x) share, share a constant of 1/t at the
 *             t elements whose |x| equals the norm (ties split evenly, as in
 *             PyTorch).
 */
#include "axis.h"
#include "jvp.h"

/* m = max |x| of the slice at base (NaN if any is NaN). */
#define SLICE_ABS_MAX(plan, src, base, m)                                               \
    do {                                                                           \
        m = 0;                                                                     \
        TG_REDUCE_SLICE(plan, base, P, {                                           \
            double a_ = fabs((double)(src)[P]);                                    \
            m = a_ > m || isnan(a_) ? a_ : m;                                      \
        });                                                                        \
    } while (0)

static void norm_kernel(tg_tensor *y, const tg_tensor *x)
{
    tg_reduce_plan plan;
    tg__reduce_plan(x, y, &plan);
    double p = y->attr.f;
    TG_FOR_DTYPE(x->dtype, T, {
        const T *src = x->data;
        T *dst = y->data;
        TG_REDUCE_OUTPUTS(&plan, k, base, {
            double m, s = 0;
            SLICE_ABS_MAX(&plan, src, base, m);
            if (p == 1) {
                TG_REDUCE_SLICE(&plan, base, P, s += fabs((double)src[P]););
                dst[k] = (T)s;
            } else if (isinf(p) || m == 0 || isinf(m) || isnan(m)) {
                dst[k] = (T)m;
            } else {
                TG_REDUCE_SLICE(&plan, base, P, {
                    double r = fabs((double)src[P]) / m;
                    s += p == 2 ? r * r : pow(r, p);
                });
                dst[k] = (T)(m * (p == 2 ? sqrt(s) : pow(s, 1 / p)));
            }
        });
    });
}

/* out = [x == 0] (attr flag_a 0), or sign(x) (flag_a 1). */
static void indicator_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr)
{
    TG_FOR_DTYPE(x->dtype, T, {
        const T *in = x->data;
        T *o = y->data;
        if (attr.i.flag_a)
            TG_PARALLEL_FOR(x->numel, i, o[i] = (T)((in[i] > 0) - (in[i] < 0)));
        else
            TG_PARALLEL_FOR(x->numel, i, o[i] = in[i] == 0);
    });
}

/* sign(x) / t at the t elements of each slice whose |x| equals the norm. */
static tg_tensor *max_share(const tg_tensor *out)
{
    const tg_tensor *x = out->in[0];
    tg_tensor *share = tg__zeros_like(x);
    if (!share)
        return NULL;
    tg_reduce_plan plan;
    tg__reduce_plan(x, out, &plan);
    TG_REDUCE_OUTPUTS(&plan, k, base, {
        double want = tg__load(out, k), ties = 0;
        TG_REDUCE_SLICE(&plan, base, P, ties += fabs(tg__load(x, P)) == want;);
        TG_REDUCE_SLICE(&plan, base, P, {
            double v = tg__load(x, P);
            if (fabs(v) == want)
                tg__store(share, P, (double)((v > 0) - (v < 0)) / ties);
        });
    });
    return share;
}

static int norm_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    const char *fn = out->op->info.name;
    tg_tensor *x = out->in[0], *gk = tg__keepdim_grad(g, out);
    double p = out->attr.f;
    if (isinf(p)) {
        tg_tensor *share = max_share(out);
        grad_in[0] = share ? tg_mul(gk, share) : NULL;
        return grad_in[0] ? TG_OK : tg__latest_code();
    }
    tg_tensor *y = tg__keepdim_grad(out, out);
    tg_tensor *y_zero = tg__constant_unary(fn, y, (tg_attr){0}, indicator_kernel);
    tg_tensor *x_zero = tg__constant_unary(fn, x, (tg_attr){0}, indicator_kernel);
    tg_tensor *sign = tg__constant_unary(fn, x, (tg_attr){.i = {.flag_a = 1}}, indicator_kernel);
    tg_tensor *ratio = tg_add(tg_div(tg_abs(x), tg_add(y, y_zero)), x_zero);
    grad_in[0] = tg_mul(tg_mul(gk, sign), tg_pow_scalar(ratio, p - 1));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

static int norm_rerun(tg_tensor *out)
{
    norm_kernel(out, out->in[0]);
    return TG_OK;
}

TG_SAMPLE_FN(sample_norm, tg_norm(in[0], 3, 2, (const int[]){0, 1}, false))

const tg_op tg__op_norm = {
    .info = {TG_OP_NORM, "tg_norm", 1, TG_OP_AXES | TG_OP_CONSTANT,
             {sample_norm, 1, TG_SAMPLE_SAME, {TG_SAMPLE_NONZERO}}},
    .backward = norm_backward,
    .jvp = tg__jvp_reduction,
    .rerun = norm_rerun,
};

tg_tensor *tg_norm(tg_tensor *x, double p, int n_axes, const int *axes, bool keepdim)
{
    const char *fn = tg__op_norm.info.name;
    unsigned mask;
    if (tg__axes_mask(fn, x, n_axes, axes, &mask) < 0)
        return NULL;
    if (!(p > 0)) {
        tg__fail(TG_EVALUE, "%s: p = %g; the norm needs p > 0 (or INFINITY)", fn, p);
        return NULL;
    }
    tg_tensor *y = tg__reduction_new_mask(fn, x, mask, keepdim, (tg_attr){.f = p});
    if (!y)
        return NULL;
    norm_kernel(y, x);
    return tg__record(y, &tg__op_norm, 1, &x);
}
