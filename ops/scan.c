/*
 * scan.c -- cumulative sums and products along one axis, and the two
 * internal ops their rules are made of.
 *
 *   cumsum    y_i = sum_{j<=i} x_j;  dx = cumsum of g from the end
 *   cumprod   y_i = prod_{j<=i} x_j; dx_i = sum_{j>=i} g_j prod_{k<=j,k!=i} x_k
 *             = lam_i e_i, where e_i = y_{i-1} (1 for i = 0) is the product
 *             before i and lam_i = g_i + x_{i+1} lam_{i+1} is a scan from the
 *             end. No division by x, so zeros are exact, as PyTorch's
 *             cumprod_backward is.
 *   scan      s_i = a_i s_{i-1} + b_i from s = 0 (internal):
 *             lam = reverse scan of g with coefficients a_{i+1},
 *             db = lam, da = lam s_{i-1}
 *   shift     y_i = x_{i-1}, the first place holding 0 or 1 (internal); its
 *             gradient is g shifted back, the freed place getting 0
 *
 * Each op also runs from the end of the axis (attr flag_a), and every rule
 * is written with these ops, so that every order of derivative works.
 * Sums and products accumulate in double. attr: axis, flag_a reverse,
 * flag_b the shift's direction and fill.
 */
#include <stdlib.h>

#include "jvp.h"
#include "scan.h"

/* Walks each line x[o, 0..n-1, i] of the axis (forward or from the end),
 * with base bound to the offset of its first element (x viewed as
 * [outer, n, inner] around axis, so element j of a line is base + j inner). */
#define FOR_EACH_LINE(x, axis, n, inner, base, ...)                                    \
    do {                                                                           \
        int64_t outer_, n = 0, inner = 0;                                          \
        tg__split_axis(x, axis, &outer_, &n, &inner);                              \
        for (int64_t l_ = 0; l_ < outer_ * inner; l_++) {                          \
            int64_t base = l_ / inner * n * inner + l_ % inner;                    \
            __VA_ARGS__                                                            \
        }                                                                          \
    } while (0)

static void cumulative_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr, bool product)
{
    bool rev = attr.i.flag_a;
    TG_FOR_DTYPE(x->dtype, T, {
        const T *src = x->data;
        T *dst = y->data;
        FOR_EACH_LINE(x, attr.i.axis, n, inner, base, {
            double acc = product ? 1 : 0;
            for (int64_t j = 0; j < n; j++) {
                int64_t at = base + (rev ? n - 1 - j : j) * inner;
                acc = product ? acc * src[at] : acc + src[at];
                dst[at] = (T)acc;
            }
        });
    });
}

static void cumsum_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr)
{
    cumulative_kernel(y, x, attr, false);
}

static void cumprod_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr)
{
    cumulative_kernel(y, x, attr, true);
}

static void shift_kernel(tg_tensor *y, const tg_tensor *x, tg_attr attr)
{
    int by = attr.i.flag_b > 0 ? 1 : -1, fill = abs(attr.i.flag_b) - 1;
    TG_FOR_DTYPE(x->dtype, T, {
        const T *src = x->data;
        T *dst = y->data;
        FOR_EACH_LINE(x, attr.i.axis, n, inner, base, {
            for (int64_t j = 0; j < n; j++) {
                int64_t from = j - by;
                dst[base + j * inner] = from >= 0 && from < n ? src[base + from * inner] : (T)fill;
            }
        });
    });
}

static void scan_kernel(tg_tensor *out, const tg_tensor *a, const tg_tensor *b)
{
    bool rev = out->attr.i.flag_a;
    TG_FOR_DTYPE(out->dtype, T, {
        const T *as = a->data, *bs = b->data;
        T *dst = out->data;
        FOR_EACH_LINE(a, out->attr.i.axis, n, inner, base, {
            double s = 0;
            for (int64_t j = 0; j < n; j++) {
                int64_t at = base + (rev ? n - 1 - j : j) * inner;
                s = as[at] * s + bs[at];
                dst[at] = (T)s;
            }
        });
    });
}

static int scan_rerun(tg_tensor *out)
{
    scan_kernel(out, out->in[0], out->in[1]);
    return TG_OK;
}

static int cumsum_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    grad_in[0] = tg__cumsum_dir(g, out->attr.i.axis, !out->attr.i.flag_a);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* Toward the scan's end: +1 for a forward scan, -1 for a reverse one. */
static int onward(const tg_tensor *out) { return out->attr.i.flag_a ? -1 : 1; }

static int cumprod_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    int axis = out->attr.i.axis, by = onward(out);
    tg_tensor *next_x = tg__shift(out->in[0], axis, -by, 0);
    tg_tensor *lam = tg__scan(next_x, g, axis, !out->attr.i.flag_a);
    grad_in[0] = tg_mul(lam, tg__shift(out, axis, by, 1));
    return grad_in[0] ? TG_OK : tg__latest_code();
}

static int scan_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    int axis = out->attr.i.axis, by = onward(out);
    tg_tensor *a = out->in[0];
    tg_tensor *lam = tg__scan(tg__shift(a, axis, -by, 0), g, axis, !out->attr.i.flag_a);
    if (!lam)
        return tg__latest_code();
    grad_in[1] = lam;
    if (a->flags & TG_REQUIRES_GRAD) {
        grad_in[0] = tg_mul(lam, tg__shift(out, axis, by, 0));
        if (!grad_in[0])
            return tg__latest_code();
    }
    return TG_OK;
}

static int shift_backward(tg_tensor *out, tg_tensor *g, tg_tensor **grad_in)
{
    int by = out->attr.i.flag_b > 0 ? 1 : -1;
    grad_in[0] = tg__shift(g, out->attr.i.axis, -by, 0);
    return grad_in[0] ? TG_OK : tg__latest_code();
}

/* cumsum and shift are linear: the tangent is scanned (shifted) as x was,
 * the freed place of a shift holding a constant (tangent 0). */
TG_JVP_FN(cumsum_jvp, tg__cumsum_dir(t, out->attr.i.axis, out->attr.i.flag_a))
TG_JVP_FN(shift_jvp, tg__shift(t, out->attr.i.axis, out->attr.i.flag_b > 0 ? 1 : -1, 0))

/* dy_i = x_i dy_(i-1) + dx_i y_(i-1), y_(-1) = 1: a scan with y's own
 * coefficients, no division, so zeros are exact. */
static tg_tensor *product_before(tg_tensor *out)
{
    return tg__shift(out, out->attr.i.axis, onward(out), 1);
}
TG_JVP_FN(cumprod_jvp, tg__scan(out->in[0], tg_mul(t, product_before(out)), out->attr.i.axis,
                                out->attr.i.flag_a))

/* ds_i = a_i ds_(i-1) + (da_i s_(i-1) + db_i): the same scan of the tangent
 * terms. */
static int scan_jvp(tg_tensor *out, tg_tensor *const *tangent_in, tg_tensor **tangent_out)
{
    int axis = out->attr.i.axis;
    tg_tensor *terms[2] = {
        tangent_in[0] ? tg_mul(tangent_in[0], tg__shift(out, axis, onward(out), 0)) : NULL,
        tangent_in[1],
    };
    tg_tensor *drive = NULL;
    int rc = tg__jvp_sum(out, 2, tangent_in, terms, &drive);
    *tangent_out = NULL;
    if (rc < 0 || !drive)
        return rc;
    *tangent_out = tg__scan(out->in[0], drive, axis, out->attr.i.flag_a);
    return *tangent_out ? TG_OK : tg__latest_code();
}

TG_SAMPLE_FN(sample_cumsum, tg_cumsum(in[0], 0))

const tg_op tg__op_cumsum = {
    .info = {TG_OP_CUMSUM, "tg_cumsum", 1, TG_OP_AXIS,
             {sample_cumsum, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = cumsum_backward,
    .kernel.unary = cumsum_kernel,
    .rerun = tg__unary_rerun,
    .jvp = cumsum_jvp,
};
TG_SAMPLE_FN(sample_cumprod, tg_cumprod(in[0], -1))

const tg_op tg__op_cumprod = {
    .info = {TG_OP_CUMPROD, "tg_cumprod", 1, TG_OP_AXIS,
             {sample_cumprod, 1, TG_SAMPLE_SAME, {TG_SAMPLE_ANY}}},
    .backward = cumprod_backward,
    .kernel.unary = cumprod_kernel,
    .rerun = tg__unary_rerun,
    .jvp = cumprod_jvp,
};

const tg_op tg__op_scan = {
    .info = {TG_OP_SCAN, "tg__scan", 2, TG_OP_AXIS | TG_OP_INTERNAL},
    .backward = scan_backward,
    .jvp = scan_jvp,
    .rerun = scan_rerun,
};

const tg_op tg__op_shift = {
    .info = {TG_OP_SHIFT, "tg__shift", 1, TG_OP_AXIS | TG_OP_INTERNAL},
    .backward = shift_backward,
    .kernel.unary = shift_kernel,
    .rerun = tg__unary_rerun,
    .jvp = shift_jvp,
};

static tg_tensor *along(const tg_op *op, tg_tensor *x, int axis, tg_attr attr)
{
    int ax;
    if (tg__check(op->info.name, x, 1) < 0 || tg__normalize_axis(op->info.name, x, axis, &ax) < 0)
        return NULL;
    attr.i.axis = ax;
    return tg__unary(op, x, attr);
}

tg_tensor *tg__cumsum_dir(tg_tensor *x, int axis, bool reverse)
{
    return along(&tg__op_cumsum, x, axis, (tg_attr){.i = {.flag_a = reverse}});
}

tg_tensor *tg__cumprod_dir(tg_tensor *x, int axis, bool reverse)
{
    return along(&tg__op_cumprod, x, axis, (tg_attr){.i = {.flag_a = reverse}});
}

tg_tensor *tg_cumsum(tg_tensor *x, int axis) { return tg__cumsum_dir(x, axis, false); }

tg_tensor *tg_cumprod(tg_tensor *x, int axis) { return tg__cumprod_dir(x, axis, false); }

/* flag_b = by * (fill + 1): one field for both. */
tg_tensor *tg__shift(tg_tensor *x, int axis, int by, int fill)
{
    return along(&tg__op_shift, x, axis, (tg_attr){.i = {.flag_b = by * (fill + 1)}});
}

tg_tensor *tg__scan(tg_tensor *a, tg_tensor *b, int axis, bool reverse)
{
    const char *fn = tg__op_scan.info.name;
    int ax;
    if (tg__check(fn, a, 1) < 0 || tg__check(fn, b, 2) < 0 || tg__check_same_dtype(fn, a, b) < 0 ||
        tg__normalize_axis(fn, a, axis, &ax) < 0)
        return NULL;
    if (!tg__same_shape(a, b)) {
        tg__fail(TG_ESHAPE, "%s: the coefficients and the terms differ in shape", fn);
        return NULL;
    }
    tg_tensor *y = tg__tape_tensor(fn, (tg_dtype)a->dtype, a->ndim, a->shape);
    if (!y)
        return NULL;
    y->attr = (tg_attr){.i = {.axis = ax, .flag_a = reverse}};
    scan_kernel(y, a, b);
    tg_tensor *in[2] = {a, b};
    return tg__record(y, &tg__op_scan, 2, in);
}
