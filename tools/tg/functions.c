/*
 * functions.c -- the functions the expression language can call.
 *
 * Activations and reductions map to one tapegrad op each. The losses are
 * nn's (tapegrad/losses.h), in (prediction, target) order and averaged the
 * way PyTorch's defaults average them; nn composes them from ops, so their
 * tape shows every step:
 *
 *   mse(p, t)         tg_mse_loss, mean((p - t)^2)
 *   sse(p, t)         tg_sse_loss, sum((p - t)^2)
 *   l2(p, t)          tg_l2_loss, 1/2 sum((p - t)^2)
 *   bce(p, t)         tg_bce_loss, mean(-(t log p + (1 - t) log(1 - p))),
 *                     each log clamped at -100 as PyTorch does
 *   bce_logits(z, t)  tg_bce_logits_loss, mean(max(z, 0) - z t +
 *                     log(1 + e^-|z|)), the stable form
 *   ce(z, t)          -1/N sum(t log_softmax(z)) over N rows of logits:
 *                     tg_cross_entropy_probs_loss for a probability vector
 *                     t (z's shape), tg_cross_entropy_loss for class
 *                     indices (z's shape without its last axis)
 *
 * Prediction and target must have the same shape: nn's losses do not
 * broadcast.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "number.h"
#include "tg.h"

typedef struct {
    const char *src;
    int offset;
    diag *d;
} call_site;

typedef tg_tensor *(*unary_fn)(tg_tensor *);
typedef tg_tensor *(*binary_fn)(tg_tensor *, tg_tensor *);
typedef tg_tensor *(*custom_fn)(operand *args, int nargs, const call_site *site);
/* Appends the results to out (growing it, but not moving its n) and returns
 * their count, or a negative number with the error set. */
typedef int (*multi_fn)(operand *args, int nargs, const call_site *site, result_list *out);

#define MAX_PARAMS 17 /* the parser's MAX_ARGS */
#define JOIN_TENSORS 16 /* concat's and stack's operands; axis= comes after them */

/* A function of the language. An op kind the language reaches otherwise
 * (an operator, broadcasting) or not at all has no name but says so in
 * spelled, for the help text and the catalogue test. */
struct function_def {
    const char *name;
    int min_args, max_args;
    const char *params[MAX_PARAMS]; /* keyword names of the arguments, NULL for
                                       positional-only ones (params[0] is x's) */
    unary_fn unary;     /* exactly one of unary, binary, custom, multi is set */
    binary_fn binary;
    custom_fn custom;
    multi_fn multi;     /* several results */
    int list_slots;     /* leading arguments a list may fill (concat, stack) */
    const char *usage;  /* for the help when it takes more than x: "softmax(x[, axis=-1])" */
    const char *alias;  /* a second name: the notes' "step" for heaviside */
    const char *spelled;
};

static tg_tensor *site_error(const call_site *site, const char *message)
{
    diag_at(site->d, site->src, NULL, site->offset, "%s", message);
    return NULL;
}

/* ---- functions with a constant parameter ---------------------------------- */

static bool number_arg(operand *args, int nargs, int k, double fallback, double *out,
                       const call_site *site, const char *what)
{
    if (k >= nargs || args[k].absent) {
        *out = fallback;
        return true;
    }
    if (!args[k].is_number) {
        site_error(site, what);
        return false;
    }
    *out = args[k].number;
    return true;
}

static tg_tensor *leaky_relu(operand *args, int nargs, const call_site *site)
{
    double slope;
    if (!number_arg(args, nargs, 1, 0.01, &slope, site, "leaky_relu: the slope must be a number"))
        return NULL;
    return tg_leaky_relu(operand_tensor(&args[0]), slope);
}

static bool axis_arg(operand *args, int nargs, int *axis, const call_site *site)
{
    double a;
    if (!number_arg(args, nargs, 1, -1, &a, site, "the axis must be a whole number"))
        return false;
    if (a != floor(a) || fabs(a) > TG_MAX_DIMS) {
        site_error(site, "the axis must be a whole number between -6 and 5");
        return false;
    }
    *axis = (int)a;
    return true;
}

static tg_tensor *softmax(operand *args, int nargs, const call_site *site)
{
    int axis;
    return axis_arg(args, nargs, &axis, site) ? tg_softmax(operand_tensor(&args[0]), axis) : NULL;
}

static tg_tensor *log_softmax(operand *args, int nargs, const call_site *site)
{
    int axis;
    return axis_arg(args, nargs, &axis, site) ? tg_log_softmax(operand_tensor(&args[0]), axis)
                                              : NULL;
}

/* max(x) reduces, max(a, b) is elementwise. */
static tg_tensor *max_fn(operand *args, int nargs, const call_site *site)
{
    (void)site;
    if (nargs == 1)
        return tg_max(operand_tensor(&args[0]));
    return tg_maximum(operand_tensor(&args[0]), operand_tensor(&args[1]));
}

static tg_tensor *min_fn(operand *args, int nargs, const call_site *site)
{
    (void)site;
    if (nargs == 1)
        return tg_min(operand_tensor(&args[0]));
    return tg_minimum(operand_tensor(&args[0]), operand_tensor(&args[1]));
}

/* axis=: one whole number, or a list of them ([0, 1]); absent means every
 * axis. */
static bool axes_arg(operand *args, int nargs, int k, int *n_axes, int *axes,
                     const call_site *site)
{
    *n_axes = 0;
    if (k >= nargs || args[k].absent)
        return true;
    const tg_tensor *list = args[k].is_number ? NULL : operand_tensor(&args[k]);
    int64_t n = list ? tg_numel(list) : 1;
    if ((list && tg_ndim(list) > 1) || n > TG_MAX_DIMS) {
        site_error(site, "the axes must be a number or a list of at most 6 numbers");
        return false;
    }
    for (int64_t i = 0; i < n; i++) {
        double a = list ? tg_get(list, i) : args[k].number;
        if (a != floor(a) || fabs(a) > TG_MAX_DIMS) {
            site_error(site, "each axis must be a whole number between -6 and 5");
            return false;
        }
        axes[(*n_axes)++] = (int)a;
    }
    return true;
}

static bool flag_arg(operand *args, int nargs, int k, bool *out, const call_site *site)
{
    double v;
    if (!number_arg(args, nargs, k, 0, &v, site, "keepdim must be a number (0 or 1)"))
        return false;
    *out = v != 0;
    return true;
}

typedef tg_tensor *(*axes_fn)(tg_tensor *, int, const int *, bool);

/* name(x[, axis][, keepdim]) over the axes given, or every axis. */
static tg_tensor *over_axes(operand *args, int nargs, const call_site *site, axes_fn fn)
{
    int n, axes[TG_MAX_DIMS];
    bool keepdim;
    if (!axes_arg(args, nargs, 1, &n, axes, site) || !flag_arg(args, nargs, 2, &keepdim, site))
        return NULL;
    return fn(operand_tensor(&args[0]), n, axes, keepdim);
}

/* sum(x) adds every element, sum(x, axis) along one axis or a list of them,
 * each by its own op (tg_sum, tg_sum_axis, tg_sum_dims); mean likewise. */
static tg_tensor *sum_or_mean(operand *args, int nargs, const call_site *site, bool mean)
{
    int n, axes[TG_MAX_DIMS];
    bool keepdim;
    if (!axes_arg(args, nargs, 1, &n, axes, site) || !flag_arg(args, nargs, 2, &keepdim, site))
        return NULL;
    tg_tensor *x = operand_tensor(&args[0]);
    if (n == 0 && !keepdim)
        return mean ? tg_mean(x) : tg_sum(x);
    if (n == 1)
        return mean ? tg_mean_axis(x, axes[0], keepdim) : tg_sum_axis(x, axes[0], keepdim);
    return mean ? tg_mean_dims(x, n, axes, keepdim) : tg_sum_dims(x, n, axes, keepdim);
}

static tg_tensor *sum_fn(operand *args, int nargs, const call_site *site)
{
    return sum_or_mean(args, nargs, site, false);
}

static tg_tensor *mean_fn(operand *args, int nargs, const call_site *site)
{
    return sum_or_mean(args, nargs, site, true);
}

static tg_tensor *amax_fn(operand *args, int nargs, const call_site *site)
{
    return over_axes(args, nargs, site, tg_amax);
}

static tg_tensor *amin_fn(operand *args, int nargs, const call_site *site)
{
    return over_axes(args, nargs, site, tg_amin);
}

static tg_tensor *logsumexp_fn(operand *args, int nargs, const call_site *site)
{
    return over_axes(args, nargs, site, tg_logsumexp);
}

/* The one axis of prod, cumsum, argmax, ...; *all when none is given (every
 * element; cumsum and cumprod require one by their arity). */
static bool one_axis_arg(operand *args, int nargs, int *axis, bool *all, const call_site *site)
{
    int n, axes[TG_MAX_DIMS];
    if (!axes_arg(args, nargs, 1, &n, axes, site))
        return false;
    if (n > 1) {
        site_error(site, "this function takes one axis, not a list");
        return false;
    }
    *all = n == 0;
    *axis = n ? axes[0] : -1;
    return true;
}

static tg_tensor *prod_fn(operand *args, int nargs, const call_site *site)
{
    int axis;
    bool all, keepdim;
    if (!one_axis_arg(args, nargs, &axis, &all, site) || !flag_arg(args, nargs, 2, &keepdim, site))
        return NULL;
    tg_tensor *x = operand_tensor(&args[0]);
    return all ? tg_prod(x) : tg_prod_axis(x, axis, keepdim);
}

static tg_tensor *arg_extreme(operand *args, int nargs, const call_site *site, bool want_max)
{
    int axis;
    bool all, keepdim;
    if (!one_axis_arg(args, nargs, &axis, &all, site) || !flag_arg(args, nargs, 2, &keepdim, site))
        return NULL;
    tg_tensor *x = operand_tensor(&args[0]);
    if (all)
        return want_max ? tg_argmax(x) : tg_argmin(x);
    return want_max ? tg_argmax_axis(x, axis, keepdim) : tg_argmin_axis(x, axis, keepdim);
}

static tg_tensor *argmax_fn(operand *args, int nargs, const call_site *site)
{
    return arg_extreme(args, nargs, site, true);
}

static tg_tensor *argmin_fn(operand *args, int nargs, const call_site *site)
{
    return arg_extreme(args, nargs, site, false);
}

typedef tg_tensor *(*cumulative_fn)(tg_tensor *, int);

static tg_tensor *cumulative(operand *args, int nargs, const call_site *site, cumulative_fn fn)
{
    int axis;
    bool all;
    if (!one_axis_arg(args, nargs, &axis, &all, site))
        return NULL;
    return fn(operand_tensor(&args[0]), axis);
}

static tg_tensor *cumsum_fn(operand *args, int nargs, const call_site *site)
{
    return cumulative(args, nargs, site, tg_cumsum);
}

static tg_tensor *cumprod_fn(operand *args, int nargs, const call_site *site)
{
    return cumulative(args, nargs, site, tg_cumprod);
}

typedef tg_tensor *(*spread_fn)(tg_tensor *, int, const int *, double, bool);

/* var(x[, axis][, correction=1][, keepdim=0]); std likewise. */
static tg_tensor *spread(operand *args, int nargs, const call_site *site, spread_fn fn)
{
    int n, axes[TG_MAX_DIMS];
    double correction;
    bool keepdim;
    if (!axes_arg(args, nargs, 1, &n, axes, site) ||
        !number_arg(args, nargs, 2, 1, &correction, site, "correction must be a number") ||
        !flag_arg(args, nargs, 3, &keepdim, site))
        return NULL;
    return fn(operand_tensor(&args[0]), n, axes, correction, keepdim);
}

static tg_tensor *var_fn(operand *args, int nargs, const call_site *site)
{
    return spread(args, nargs, site, tg_variance);
}

static tg_tensor *std_fn(operand *args, int nargs, const call_site *site)
{
    return spread(args, nargs, site, tg_std);
}

/* norm(x[, p=2][, axis][, keepdim=0]) */
static tg_tensor *norm_fn(operand *args, int nargs, const call_site *site)
{
    int n, axes[TG_MAX_DIMS];
    double p;
    bool keepdim;
    if (!number_arg(args, nargs, 1, 2, &p, site, "norm: p must be a number") ||
        !axes_arg(args, nargs, 2, &n, axes, site) || !flag_arg(args, nargs, 3, &keepdim, site))
        return NULL;
    return tg_norm(operand_tensor(&args[0]), p, n, axes, keepdim);
}

/* Argument k as a whole number (fallback when absent), else an error
 * naming fn and what the argument is. */
static bool whole_arg(operand *args, int nargs, int k, double fallback, int64_t *out,
                      const call_site *site, const char *fn, const char *what)
{
    double v;
    char message[160];
    snprintf(message, sizeof message, "%s: %s must be a number", fn, what);
    if (!number_arg(args, nargs, k, fallback, &v, site, message))
        return false;
    if (!whole_number(v, out)) {
        char number[32];
        snprintf(message, sizeof message, "%s: %s must be a whole number, not %s", fn, what,
                 number_exact(v, number, sizeof number));
        site_error(site, message);
        return false;
    }
    return true;
}

/* Argument k as an axis: a whole number that fits an int; the op itself
 * then names the tensor's rank when the axis is out of its range. */
static bool whole_axis(operand *args, int nargs, int k, int fallback, int *out,
                       const call_site *site, const char *fn, const char *what)
{
    int64_t v;
    if (!whole_arg(args, nargs, k, fallback, &v, site, fn, what))
        return false;
    if (v < INT_MIN || v > INT_MAX) {
        char message[160];
        snprintf(message, sizeof message, "%s: %s %lld is out of range", fn, what, (long long)v);
        site_error(site, message);
        return false;
    }
    *out = (int)v;
    return true;
}

/* normalize(x[, p=2][, axis=1][, eps=1e-12]), PyTorch's defaults. */
static tg_tensor *normalize_fn(operand *args, int nargs, const call_site *site)
{
    double p, eps;
    int axis;
    if (!number_arg(args, nargs, 1, 2, &p, site, "normalize: p must be a number") ||
        !whole_axis(args, nargs, 2, 1, &axis, site, "normalize", "the axis") ||
        !number_arg(args, nargs, 3, 1e-12, &eps, site, "normalize: eps must be a number"))
        return NULL;
    return tg_normalize(operand_tensor(&args[0]), p, axis, eps);
}

/* cosine_similarity(a, b[, axis=1][, eps=1e-8]) */
static tg_tensor *cosine_similarity_fn(operand *args, int nargs, const call_site *site)
{
    double eps;
    int axis;
    if (!whole_axis(args, nargs, 2, 1, &axis, site, "cosine_similarity", "the axis") ||
        !number_arg(args, nargs, 3, 1e-8, &eps, site, "cosine_similarity: eps must be a number"))
        return NULL;
    return tg_cosine_similarity(operand_tensor(&args[0]), operand_tensor(&args[1]), axis, eps);
}

static tg_tensor *where_fn(operand *args, int nargs, const call_site *site)
{
    (void)nargs;
    (void)site;
    return tg_where(operand_tensor(&args[0]), operand_tensor(&args[1]), operand_tensor(&args[2]));
}

static tg_tensor *masked_fill_fn(operand *args, int nargs, const call_site *site)
{
    double value;
    if (!number_arg(args, nargs, 2, 0, &value, site, "masked_fill: the value must be a number"))
        return NULL;
    return tg_masked_fill(operand_tensor(&args[0]), operand_tensor(&args[1]), value);
}

/* ---- activations with parameters (torch.nn.functional's keywords) -------- */

/* approximate is F.gelu's string as a number: 0 "none", 1 "tanh". */
static tg_tensor *gelu_fn(operand *args, int nargs, const call_site *site)
{
    double form;
    if (!number_arg(args, nargs, 1, 0, &form, site, "gelu: approximate must be a number"))
        return NULL;
    if (form != 0 && form != 1)
        return site_error(site, "gelu: approximate must be 0 (exact, \"none\") or 1 (\"tanh\")");
    return tg_gelu(operand_tensor(&args[0]), form == 1 ? TG_GELU_TANH : TG_GELU_NONE);
}

static tg_tensor *softplus_fn(operand *args, int nargs, const call_site *site)
{
    double beta, threshold;
    if (!number_arg(args, nargs, 1, 1, &beta, site, "softplus: beta must be a number") ||
        !number_arg(args, nargs, 2, 20, &threshold, site, "softplus: threshold must be a number"))
        return NULL;
    return tg_softplus(operand_tensor(&args[0]), beta, threshold);
}

static tg_tensor *elu_fn(operand *args, int nargs, const call_site *site)
{
    double alpha;
    if (!number_arg(args, nargs, 1, 1, &alpha, site, "elu: alpha must be a number"))
        return NULL;
    return tg_elu(operand_tensor(&args[0]), alpha);
}

static tg_tensor *celu_fn(operand *args, int nargs, const call_site *site)
{
    double alpha;
    if (!number_arg(args, nargs, 1, 1, &alpha, site, "celu: alpha must be a number"))
        return NULL;
    return tg_celu(operand_tensor(&args[0]), alpha);
}

static tg_tensor *hardtanh_fn(operand *args, int nargs, const call_site *site)
{
    double lo, hi;
    if (!number_arg(args, nargs, 1, -1, &lo, site, "hardtanh: min_val must be a number") ||
        !number_arg(args, nargs, 2, 1, &hi, site, "hardtanh: max_val must be a number"))
        return NULL;
    return tg_hardtanh(operand_tensor(&args[0]), lo, hi);
}

static bool given(const operand *args, int nargs, int k) { return k < nargs && !args[k].absent; }

/* clamp(x, min=..., max=...): number bounds make tg_clamp, a tensor bound
 * tg_clamp_tensor; a bound left out is none, as in torch.clamp. */
static tg_tensor *clamp_fn(operand *args, int nargs, const call_site *site)
{
    bool has_lo = given(args, nargs, 1), has_hi = given(args, nargs, 2);
    if (!has_lo && !has_hi)
        return site_error(site, "clamp: give min, max or both");
    if ((!has_lo || args[1].is_number) && (!has_hi || args[2].is_number))
        return tg_clamp(operand_tensor(&args[0]), has_lo ? args[1].number : -INFINITY,
                        has_hi ? args[2].number : INFINITY);
    return tg_clamp_tensor(operand_tensor(&args[0]), has_lo ? operand_tensor(&args[1]) : NULL,
                           has_hi ? operand_tensor(&args[2]) : NULL);
}

/* ---- indexing, joining, shape (issue 11) ---------------------------------- */

/* Arguments first..nargs-1 as whole numbers into out (at most TG_MAX_DIMS). */
static int whole_args(operand *args, int nargs, int first, int64_t *out, const call_site *site,
                      const char *fn, const char *what)
{
    int n = 0;
    for (int k = first; k < nargs && !args[k].absent; k++, n++)
        if (n == TG_MAX_DIMS || !whole_arg(args, nargs, k, 0, &out[n], site, fn, what))
            return n == TG_MAX_DIMS ? (site_error(site, "too many axes (6 at most)"), -1) : -1;
    return n;
}

/* Arguments first..nargs-1 as axes into axes (at most TG_MAX_DIMS). */
static int whole_axes(operand *args, int nargs, int first, int *axes, const call_site *site,
                      const char *fn)
{
    int n = 0;
    for (int k = first; k < nargs && !args[k].absent; k++, n++)
        if (n == TG_MAX_DIMS || !whole_axis(args, nargs, k, 0, &axes[n], site, fn, "an axis"))
            return n == TG_MAX_DIMS ? (site_error(site, "too many axes (6 at most)"), -1) : -1;
    return n;
}

static tg_tensor *select_fn(operand *args, int nargs, const call_site *site)
{
    int axis;
    int64_t i;
    if (!whole_axis(args, nargs, 1, 0, &axis, site, "select", "the axis") ||
        !whole_arg(args, nargs, 2, 0, &i, site, "select", "the index"))
        return NULL;
    return tg_select(operand_tensor(&args[0]), axis, i);
}

static tg_tensor *slice_fn(operand *args, int nargs, const call_site *site)
{
    int axis;
    int64_t start, stop, step;
    if (!whole_axis(args, nargs, 1, 0, &axis, site, "slice", "the axis") ||
        !whole_arg(args, nargs, 2, 0, &start, site, "slice", "start") ||
        !whole_arg(args, nargs, 3, 9007199254740992.0, &stop, site, "slice", "stop") ||
        !whole_arg(args, nargs, 4, 1, &step, site, "slice", "step"))
        return NULL;
    return tg_slice(operand_tensor(&args[0]), axis, start, stop, step);
}

static tg_tensor *permute_fn(operand *args, int nargs, const call_site *site)
{
    int axes[TG_MAX_DIMS], n = whole_axes(args, nargs, 1, axes, site, "permute");
    return n < 0 ? NULL : tg_permute(operand_tensor(&args[0]), n, axes);
}

static tg_tensor *flip_fn(operand *args, int nargs, const call_site *site)
{
    int axes[TG_MAX_DIMS], n = whole_axes(args, nargs, 1, axes, site, "flip");
    return n < 0 ? NULL : tg_flip(operand_tensor(&args[0]), n, axes);
}

/* roll(x, shift) rolls the flattened tensor, roll(x, shift, axis) one axis. */
static tg_tensor *roll_fn(operand *args, int nargs, const call_site *site)
{
    int64_t shift;
    int axis;
    if (!whole_arg(args, nargs, 1, 0, &shift, site, "roll", "the shift") ||
        !whole_axis(args, nargs, 2, 0, &axis, site, "roll", "the axis"))
        return NULL;
    return tg_roll(operand_tensor(&args[0]), 1, &shift, given(args, nargs, 2) ? &axis : NULL);
}

static tg_tensor *repeat_fn(operand *args, int nargs, const call_site *site)
{
    int64_t reps[TG_MAX_DIMS];
    int n = whole_args(args, nargs, 1, reps, site, "repeat", "a repeat count");
    return n < 0 ? NULL : tg_repeat(operand_tensor(&args[0]), n, reps);
}

static tg_tensor *tril_fn(operand *args, int nargs, const call_site *site)
{
    int64_t k;
    return whole_arg(args, nargs, 1, 0, &k, site, "tril", "diagonal")
               ? tg_tril(operand_tensor(&args[0]), k) : NULL;
}

static tg_tensor *triu_fn(operand *args, int nargs, const call_site *site)
{
    int64_t k;
    return whole_arg(args, nargs, 1, 0, &k, site, "triu", "diagonal")
               ? tg_triu(operand_tensor(&args[0]), k) : NULL;
}

static tg_tensor *diagonal_fn(operand *args, int nargs, const call_site *site)
{
    int64_t k;
    int a, b;
    if (!whole_arg(args, nargs, 1, 0, &k, site, "diagonal", "offset") ||
        !whole_axis(args, nargs, 2, 0, &a, site, "diagonal", "dim1") ||
        !whole_axis(args, nargs, 3, 1, &b, site, "diagonal", "dim2"))
        return NULL;
    return tg_diagonal(operand_tensor(&args[0]), k, a, b);
}

static tg_tensor *diag_embed_fn(operand *args, int nargs, const call_site *site)
{
    int64_t k;
    return whole_arg(args, nargs, 1, 0, &k, site, "diag_embed", "offset")
               ? tg_diag_embed(operand_tensor(&args[0]), k) : NULL;
}

/* fn(x, axis, idx) for index_select and gather. */
static tg_tensor *axis_index_fn(operand *args, int nargs, const call_site *site,
                                tg_tensor *(*op)(tg_tensor *, int, tg_tensor *), const char *fn)
{
    int axis;
    if (!whole_axis(args, nargs, 1, 0, &axis, site, fn, "the axis"))
        return NULL;
    return op(operand_tensor(&args[0]), axis, operand_tensor(&args[2]));
}

static tg_tensor *index_select_fn(operand *args, int nargs, const call_site *site)
{
    return axis_index_fn(args, nargs, site, tg_index_select, "index_select");
}

static tg_tensor *gather_fn(operand *args, int nargs, const call_site *site)
{
    return axis_index_fn(args, nargs, site, tg_gather, "gather");
}

/* fn(x, axis, idx, src) for index_add and scatter_add. */
static tg_tensor *axis_add_fn(operand *args, int nargs, const call_site *site,
                              tg_tensor *(*op)(tg_tensor *, int, tg_tensor *, tg_tensor *),
                              const char *fn)
{
    int axis;
    if (!whole_axis(args, nargs, 1, 0, &axis, site, fn, "the axis"))
        return NULL;
    return op(operand_tensor(&args[0]), axis, operand_tensor(&args[2]),
              operand_tensor(&args[3]));
}

static tg_tensor *index_add_fn(operand *args, int nargs, const call_site *site)
{
    return axis_add_fn(args, nargs, site, tg_index_add, "index_add");
}

static tg_tensor *scatter_add_fn(operand *args, int nargs, const call_site *site)
{
    return axis_add_fn(args, nargs, site, tg_scatter_add, "scatter_add");
}

static tg_tensor *embedding_fn(operand *args, int nargs, const call_site *site)
{
    int64_t pad = TG_NO_PADDING;
    if (given(args, nargs, 2) && !whole_arg(args, nargs, 2, 0, &pad, site, "embedding",
                                            "padding_idx"))
        return NULL;
    return tg_embedding(operand_tensor(&args[0]), operand_tensor(&args[1]), pad);
}

static tg_tensor *one_hot_fn(operand *args, int nargs, const call_site *site)
{
    int64_t classes;
    return whole_arg(args, nargs, 1, -1, &classes, site, "one_hot", "num_classes")
               ? tg_one_hot(operand_tensor(&args[0]), classes) : NULL;
}

/* pad(x, left, right[, left2, right2], value=0, mode=0): F.pad, the pairs
 * from the last axis back; mode is F.pad's string as a number (the
 * language has no strings, as gelu's approximate): 0 "constant",
 * 1 "reflect", 2 "replicate", 3 "circular". */
static tg_tensor *pad_fn(operand *args, int nargs, const call_site *site)
{
    static const tg_pad_mode modes[4] = {TG_PAD_CONSTANT, TG_PAD_REFLECT, TG_PAD_REPLICATE,
                                         TG_PAD_CIRCULAR};
    int64_t widths[4], mode;
    double value;
    int n = 0;
    for (int k = 1; k <= 4 && given(args, nargs, k); k++, n++)
        if (!whole_arg(args, nargs, k, 0, &widths[n], site, "pad", "a width"))
            return NULL;
    if (n % 2)
        return site_error(site, "pad: widths come in (left, right) pairs");
    if (!number_arg(args, nargs, 5, 0, &value, site, "pad: value must be a number") ||
        !whole_arg(args, nargs, 6, 0, &mode, site, "pad", "mode"))
        return NULL;
    if (mode < 0 || mode > 3)
        return site_error(site, "pad: mode must be 0 (constant), 1 (reflect), 2 (replicate) or "
                                "3 (circular)");
    return tg_pad(operand_tensor(&args[0]), n, widths, modes[mode], value);
}

static tg_tensor *trace_fn(tg_tensor *x) { return tg_trace(x); }

/* transpose(x) swaps the last two axes, transpose(x, a, b) axes a and b. */
static tg_tensor *transpose_fn(operand *args, int nargs, const call_site *site)
{
    int a, b;
    if (nargs == 1)
        return tg_transpose(operand_tensor(&args[0]));
    if (nargs != 3)
        return site_error(site, "transpose: give no axes or two");
    if (!whole_axis(args, nargs, 1, 0, &a, site, "transpose", "an axis") ||
        !whole_axis(args, nargs, 2, 0, &b, site, "transpose", "an axis"))
        return NULL;
    return tg_swapaxes(operand_tensor(&args[0]), a, b);
}

/* reshape(x, 2, 3), one size may be -1. */
static tg_tensor *reshape_fn(operand *args, int nargs, const call_site *site)
{
    int64_t shape[TG_MAX_DIMS];
    int n = whole_args(args, nargs, 1, shape, site, "reshape", "a size");
    return n < 0 ? NULL : tg_reshape(operand_tensor(&args[0]), n, shape);
}

/* concat(a, b, ..., axis=0) and stack: up to JOIN_TENSORS operands, then
 * the axis, which is a keyword (the slot after them) so that a number
 * operand, stack(x[0], 1.5), is a 0-d tensor like any other. */
static int tensor_list(operand *args, int nargs, tg_tensor **ts)
{
    int n = 0;
    for (int k = 0; k < nargs && k < JOIN_TENSORS && !args[k].absent; k++)
        ts[n++] = operand_tensor(&args[k]);
    return n;
}

static tg_tensor *join_fn(operand *args, int nargs, const call_site *site,
                          tg_tensor *(*op)(int, tg_tensor *const *, int), const char *fn)
{
    tg_tensor *ts[JOIN_TENSORS];
    int axis;
    int n = tensor_list(args, nargs, ts);
    if (!whole_axis(args, nargs, JOIN_TENSORS, 0, &axis, site, fn, "the axis"))
        return NULL;
    return op(n, ts, axis);
}

static tg_tensor *concat_fn(operand *args, int nargs, const call_site *site)
{
    return join_fn(args, nargs, site, tg_concat, "concat");
}

static tg_tensor *stack_fn(operand *args, int nargs, const call_site *site)
{
    return join_fn(args, nargs, site, tg_stack, "stack");
}

static tg_tensor *squeeze_fn(operand *args, int nargs, const call_site *site)
{
    int axis;
    if (!given(args, nargs, 1))
        return tg_squeeze_all(operand_tensor(&args[0]));
    return whole_axis(args, nargs, 1, 0, &axis, site, "squeeze", "the axis")
               ? tg_squeeze(operand_tensor(&args[0]), axis) : NULL;
}

static tg_tensor *unsqueeze_fn(operand *args, int nargs, const call_site *site)
{
    int axis;
    return whole_axis(args, nargs, 1, 0, &axis, site, "unsqueeze", "the axis")
               ? tg_unsqueeze(operand_tensor(&args[0]), axis) : NULL;
}

static tg_tensor *flatten_fn(operand *args, int nargs, const call_site *site)
{
    int start, end;
    if (!whole_axis(args, nargs, 1, 0, &start, site, "flatten", "start_dim") ||
        !whole_axis(args, nargs, 2, -1, &end, site, "flatten", "end_dim"))
        return NULL;
    return tg_flatten(operand_tensor(&args[0]), start, end);
}

/* take_along_axis(x, idx, axis): NumPy's name for gather with the axis last. */
static tg_tensor *take_along_axis_fn(operand *args, int nargs, const call_site *site)
{
    int axis;
    if (!whole_axis(args, nargs, 2, 0, &axis, site, "take_along_axis", "the axis"))
        return NULL;
    return tg_take_along_axis(operand_tensor(&args[0]), operand_tensor(&args[1]), axis);
}

static tg_tensor *movedim_fn(operand *args, int nargs, const call_site *site)
{
    int source, destination;
    if (!whole_axis(args, nargs, 1, 0, &source, site, "movedim", "source") ||
        !whole_axis(args, nargs, 2, 0, &destination, site, "movedim", "destination"))
        return NULL;
    return tg_movedim(operand_tensor(&args[0]), source, destination);
}

/* unflatten(x, axis, sizes...), one size may be -1. */
static tg_tensor *unflatten_fn(operand *args, int nargs, const call_site *site)
{
    int axis;
    int64_t sizes[TG_MAX_DIMS];
    if (!whole_axis(args, nargs, 1, 0, &axis, site, "unflatten", "the axis"))
        return NULL;
    int n = whole_args(args, nargs, 2, sizes, site, "unflatten", "a size");
    return n < 0 ? NULL : tg_unflatten(operand_tensor(&args[0]), axis, n, sizes);
}

static tg_tensor *tile_fn(operand *args, int nargs, const call_site *site)
{
    int64_t reps[TG_MAX_DIMS];
    int n = whole_args(args, nargs, 1, reps, site, "tile", "a repeat count");
    return n < 0 ? NULL : tg_tile(operand_tensor(&args[0]), n, reps);
}

/* expand(x, sizes...): -1 keeps a size, as Tensor.expand. */
static tg_tensor *expand_fn(operand *args, int nargs, const call_site *site)
{
    int64_t shape[TG_MAX_DIMS];
    int n = whole_args(args, nargs, 1, shape, site, "expand", "a size");
    return n < 0 ? NULL : tg_expand(operand_tensor(&args[0]), n, shape);
}

/* ---- several results: split, chunk, unbind -------------------------------- */

/* Room for more results at the end of l. */
static bool reserve(result_list *l, int64_t more, const call_site *site)
{
    if (more > INT_MAX - l->n) {
        site_error(site, "too many results");
        return false;
    }
    if (l->n + more <= l->cap)
        return true;
    int cap = (int)(l->n + more > 2 * (int64_t)l->cap ? l->n + more : 2 * l->cap);
    tg_tensor **grown = realloc(l->items, (size_t)cap * sizeof *grown);
    if (!grown) {
        site_error(site, "out of memory");
        return false;
    }
    l->items = grown;
    l->cap = cap;
    return true;
}

/* The size of axis of x, or 1 when the axis is out of range (the op then
 * says so): enough room for a split's results along it. */
static int64_t room_along(const tg_tensor *x, int axis)
{
    int nd = tg_ndim(x), ax = axis < 0 ? axis + nd : axis;
    int64_t n = ax >= 0 && ax < nd ? tg_shape(x)[ax] : 1;
    return n > 1 ? n : 1;
}

/* The sizes of split(x, [2, 1]) as whole numbers; NULL when not a list. */
static int64_t *section_sizes(operand *arg, int *n, const call_site *site)
{
    const tg_tensor *list = operand_tensor(arg);
    *n = (int)tg_numel(list);
    int64_t *sizes = malloc((size_t)(*n ? *n : 1) * sizeof *sizes);
    if (tg_ndim(list) != 1 || !sizes) {
        free(sizes);
        site_error(site, "split: the sizes must be a number or a list such as [2, 1]");
        return NULL;
    }
    for (int i = 0; i < *n; i++)
        if (!whole_number(tg_get(list, i), &sizes[i])) {
            free(sizes);
            site_error(site, "split: each size must be a whole number");
            return NULL;
        }
    return sizes;
}

/* split(x, size[, axis=0]) in pieces of size, the last smaller;
 * split(x, [sizes][, axis=0]) in pieces of those sizes (torch.split). */
static int split_fn(operand *args, int nargs, const call_site *site, result_list *out)
{
    int axis, n;
    if (!whole_axis(args, nargs, 2, 0, &axis, site, "split", "the axis"))
        return -1;
    tg_tensor *x = operand_tensor(&args[0]);
    if (args[1].is_number) {
        int64_t size;
        if (!whole_arg(args, nargs, 1, 1, &size, site, "split", "the size") ||
            !reserve(out, room_along(x, axis), site))
            return -1;
        return tg_split_size(x, axis, size, out->items + out->n, out->cap - out->n);
    }
    int64_t *sizes = section_sizes(&args[1], &n, site);
    if (!sizes)
        return -1;
    int count = reserve(out, n, site) ? tg_split(x, axis, n, sizes, out->items + out->n) : -1;
    free(sizes);
    return count;
}

/* chunk(x, chunks[, axis=0]): ceil(size / chunks) each, so perhaps fewer
 * pieces; more chunks than the axis has elements give one element each,
 * as that many would, so the room is bounded by the axis. */
static int chunk_fn(operand *args, int nargs, const call_site *site, result_list *out)
{
    int chunks, axis;
    if (!whole_axis(args, nargs, 1, 1, &chunks, site, "chunk", "chunks") ||
        !whole_axis(args, nargs, 2, 0, &axis, site, "chunk", "the axis"))
        return -1;
    tg_tensor *x = operand_tensor(&args[0]);
    int64_t room = room_along(x, axis);
    if (chunks > room)
        chunks = (int)room;
    if (!reserve(out, chunks > 0 ? chunks : 1, site))
        return -1;
    return tg_chunk(x, chunks, axis, out->items + out->n);
}

static int unbind_fn(operand *args, int nargs, const call_site *site, result_list *out)
{
    int axis;
    if (!whole_axis(args, nargs, 1, 0, &axis, site, "unbind", "the axis"))
        return -1;
    tg_tensor *x = operand_tensor(&args[0]);
    if (!reserve(out, room_along(x, axis), site))
        return -1;
    return tg_unbind(x, axis, out->items + out->n, out->cap - out->n);
}

/* ---- convolution (issue 13) ----------------------------------------------- */

/* conv1d/conv2d(x, weight[, bias], stride=1, padding=0, dilation=1,
 * groups=1): F.conv2d's keywords, each one number for every spatial axis
 * (padding "same" is C's tg_conv_opts.same only: the language has no
 * strings). */
static tg_tensor *conv_fn(operand *args, int nargs, const call_site *site, bool two_d)
{
    const char *fn = two_d ? "conv2d" : "conv1d";
    static const char *const what[4] = {"stride", "padding", "dilation", "groups"};
    static const double fallback[4] = {1, 0, 1, 1};
    int64_t v[4];
    for (int k = 0; k < 4; k++)
        if (!whole_arg(args, nargs, 3 + k, fallback[k], &v[k], site, fn, what[k]))
            return NULL;
    tg_conv_opts o = {{v[0], v[0]}, {v[1], v[1]}, {v[2], v[2]}, v[3], false};
    tg_tensor *b = given(args, nargs, 2) ? operand_tensor(&args[2]) : NULL;
    tg_tensor *(*conv)(tg_tensor *, tg_tensor *, tg_tensor *, const tg_conv_opts *) =
        two_d ? tg_conv2d : tg_conv1d;
    return conv(operand_tensor(&args[0]), operand_tensor(&args[1]), b, &o);
}

static tg_tensor *conv1d_fn(operand *args, int nargs, const call_site *site)
{
    return conv_fn(args, nargs, site, false);
}

static tg_tensor *conv2d_fn(operand *args, int nargs, const call_site *site)
{
    return conv_fn(args, nargs, site, true);
}

/* ---- pooling and dropout (issue 13) ---------------------------------------- */

/* max_pool1d/2d(x, kernel_size, stride=kernel_size, padding=0, dilation=1,
 * ceil_mode=0) and avg_pool1d/2d(x, kernel_size, stride=kernel_size,
 * padding=0, ceil_mode=0, count_include_pad=1): F.max_pool2d's and
 * F.avg_pool2d's keywords, each one number for every spatial axis. */
static tg_tensor *pool_fn(operand *args, int nargs, const call_site *site, const char *fn,
                          bool max, bool two_d)
{
    const char *what[5] = {"kernel_size", "stride", "padding", max ? "dilation" : "ceil_mode",
                           max ? "ceil_mode" : "count_include_pad"};
    const double fallback[5] = {0, 0, 0, max ? 1 : 0, max ? 0 : 1};
    int64_t v[5];
    for (int k = 0; k < 5; k++)
        if (!whole_arg(args, nargs, 1 + k, fallback[k], &v[k], site, fn, what[k]))
            return NULL;
    tg_pool_opts o = {{v[1], v[1]}, {v[2], v[2]}, {1, 1}, false, false};
    if (max) {
        o.dilation[0] = o.dilation[1] = v[3];
        o.ceil_mode = v[4] != 0;
    } else {
        o.ceil_mode = v[3] != 0;
        o.exclude_pad = v[4] == 0;
    }
    tg_tensor *x = operand_tensor(&args[0]);
    int64_t kernel[2] = {v[0], v[0]};
    if (max)
        return two_d ? tg_max_pool2d(x, kernel, &o) : tg_max_pool1d(x, v[0], &o);
    return two_d ? tg_avg_pool2d(x, kernel, &o) : tg_avg_pool1d(x, v[0], &o);
}

static tg_tensor *max_pool1d_fn(operand *args, int nargs, const call_site *site)
{
    return pool_fn(args, nargs, site, "max_pool1d", true, false);
}

static tg_tensor *max_pool2d_fn(operand *args, int nargs, const call_site *site)
{
    return pool_fn(args, nargs, site, "max_pool2d", true, true);
}

static tg_tensor *avg_pool1d_fn(operand *args, int nargs, const call_site *site)
{
    return pool_fn(args, nargs, site, "avg_pool1d", false, false);
}

static tg_tensor *avg_pool2d_fn(operand *args, int nargs, const call_site *site)
{
    return pool_fn(args, nargs, site, "avg_pool2d", false, true);
}

/* adaptive_avg_pool2d(x, output_size): one side for both axes */
static tg_tensor *adaptive_avg_pool2d_fn(operand *args, int nargs, const call_site *site)
{
    int64_t side;
    if (!whole_arg(args, nargs, 1, 0, &side, site, "adaptive_avg_pool2d", "output_size"))
        return NULL;
    return tg_adaptive_avg_pool2d(operand_tensor(&args[0]), (int64_t[]){side, side});
}

/* dropout(x, p=0.5, training=1, seed=0): the language has no generator of
 * its own, so the mask comes from a tg_rng seeded with seed */
static tg_tensor *dropout_fn(operand *args, int nargs, const call_site *site)
{
    double p;
    int64_t training, seed;
    if (!number_arg(args, nargs, 1, 0.5, &p, site, "dropout: p must be a number") ||
        !whole_arg(args, nargs, 2, 1, &training, site, "dropout", "training") ||
        !whole_arg(args, nargs, 3, 0, &seed, site, "dropout", "seed"))
        return NULL;
    tg_rng rng;
    tg_rng_seed(&rng, (uint64_t)seed);
    return tg_dropout(operand_tensor(&args[0]), p, training != 0, &rng);
}

/* conv_transpose2d(x, weight[, bias], stride=1, padding=0, output_padding=0,
 * groups=1, dilation=1): F.conv_transpose2d's keywords in its order, each
 * one number for both spatial axes */
static tg_tensor *conv_transpose2d_fn(operand *args, int nargs, const call_site *site)
{
    static const char *const what[5] = {"stride", "padding", "output_padding", "groups",
                                        "dilation"};
    static const double fallback[5] = {1, 0, 0, 1, 1};
    int64_t v[5];
    for (int k = 0; k < 5; k++)
        if (!whole_arg(args, nargs, 3 + k, fallback[k], &v[k], site, "conv_transpose2d", what[k]))
            return NULL;
    tg_conv_opts o = {.stride = {v[0], v[0]}, .padding = {v[1], v[1]}, .dilation = {v[4], v[4]},
                      .groups = v[3]};
    tg_tensor *b = given(args, nargs, 2) ? operand_tensor(&args[2]) : NULL;
    return tg_conv_transpose2d(operand_tensor(&args[0]), operand_tensor(&args[1]), b, &o,
                               (int64_t[]){v[2], v[2]});
}

/* ---- normalization (issue 13) --------------------------------------------- */

/* normalized_shape: one size or a list of them ([2, 3]) */
static bool sizes_arg(operand *args, int k, int *n, int64_t *sizes, const call_site *site,
                      const char *fn)
{
    const tg_tensor *list = args[k].is_number ? NULL : operand_tensor(&args[k]);
    int64_t count = list ? tg_numel(list) : 1;
    char message[160];
    snprintf(message, sizeof message, "%s: normalized_shape must be a size or a list of at most "
             "6 sizes", fn);
    bool ok = (!list || tg_ndim(list) <= 1) && count >= 1 && count <= TG_MAX_DIMS;
    for (int64_t i = 0; ok && i < count; i++)
        ok = whole_number(list ? tg_get(list, i) : args[k].number, &sizes[i]);
    if (!ok) {
        site_error(site, message);
        return false;
    }
    *n = (int)count;
    return true;
}

static tg_tensor *tensor_arg(operand *args, int nargs, int k)
{
    return given(args, nargs, k) ? operand_tensor(&args[k]) : NULL;
}

/* layer_norm(x, normalized_shape[, weight][, bias], eps=1e-5) */
static tg_tensor *layer_norm_fn(operand *args, int nargs, const call_site *site)
{
    int n;
    int64_t sizes[TG_MAX_DIMS];
    double eps;
    if (!sizes_arg(args, 1, &n, sizes, site, "layer_norm") ||
        !number_arg(args, nargs, 4, 1e-5, &eps, site, "layer_norm: eps must be a number"))
        return NULL;
    return tg_layer_norm(operand_tensor(&args[0]), n, sizes, tensor_arg(args, nargs, 2),
                         tensor_arg(args, nargs, 3), eps);
}

/* rms_norm(x, normalized_shape[, weight], eps): no eps is PyTorch's None */
static tg_tensor *rms_norm_fn(operand *args, int nargs, const call_site *site)
{
    int n;
    int64_t sizes[TG_MAX_DIMS];
    double eps;
    if (!sizes_arg(args, 1, &n, sizes, site, "rms_norm") ||
        !number_arg(args, nargs, 3, NAN, &eps, site, "rms_norm: eps must be a number"))
        return NULL;
    return tg_rms_norm(operand_tensor(&args[0]), n, sizes, tensor_arg(args, nargs, 2), eps);
}

/* group_norm(x, num_groups[, weight][, bias], eps=1e-5) */
static tg_tensor *group_norm_fn(operand *args, int nargs, const call_site *site)
{
    int64_t groups;
    double eps;
    if (!whole_arg(args, nargs, 1, 1, &groups, site, "group_norm", "num_groups") ||
        !number_arg(args, nargs, 4, 1e-5, &eps, site, "group_norm: eps must be a number"))
        return NULL;
    return tg_group_norm(operand_tensor(&args[0]), groups, tensor_arg(args, nargs, 2),
                         tensor_arg(args, nargs, 3), eps);
}

/* batch_norm(x[, running_mean, running_var][, weight][, bias], training=0,
 * momentum=0.1, eps=1e-5): F.batch_norm's order and defaults; the running
 * statistics are constants (array literals), updated in place in training */
static tg_tensor *batch_norm_fn(operand *args, int nargs, const call_site *site)
{
    int64_t training;
    double momentum, eps;
    if (!whole_arg(args, nargs, 5, 0, &training, site, "batch_norm", "training") ||
        !number_arg(args, nargs, 6, 0.1, &momentum, site, "batch_norm: momentum must be a number") ||
        !number_arg(args, nargs, 7, 1e-5, &eps, site, "batch_norm: eps must be a number"))
        return NULL;
    return tg_batch_norm(operand_tensor(&args[0]), tensor_arg(args, nargs, 1),
                         tensor_arg(args, nargs, 2), tensor_arg(args, nargs, 3),
                         tensor_arg(args, nargs, 4), training != 0, momentum, eps);
}

/* ---- losses: nn's (tapegrad/losses.h), averaged as PyTorch averages ------ */

/* nn's losses want the target in the prediction's shape, so that a [B,1]
 * against a [B] is an error and not a [B,B] broadcast. A number target, as
 * in mse(yhat, 0), can mean only one thing: it is stretched to that shape. */
static tg_tensor *target_for(tg_tensor *p, tg_tensor *t)
{
    if (!p || !t || tg_ndim(t) != 0 || tg_ndim(p) == 0)
        return t;
    return tg_broadcast_to(t, tg_ndim(p), tg_shape(p));
}

static tg_tensor *mse(tg_tensor *p, tg_tensor *t)
{
    return tg_mse_loss(p, target_for(p, t), TG_REDUCTION_MEAN);
}

static tg_tensor *sse(tg_tensor *p, tg_tensor *t) { return tg_sse_loss(p, target_for(p, t)); }
static tg_tensor *l2(tg_tensor *p, tg_tensor *t) { return tg_l2_loss(p, target_for(p, t)); }

static tg_tensor *bce(tg_tensor *p, tg_tensor *t)
{
    return tg_bce_loss(p, target_for(p, t), TG_REDUCTION_MEAN);
}

static tg_tensor *bce_logits(tg_tensor *z, tg_tensor *t)
{
    return tg_bce_logits_loss(z, target_for(z, t), TG_REDUCTION_MEAN);
}

/* Class indices, numbers of shape z[:-1], as tg_cross_entropy_loss takes
 * them: whole numbers in 0..classes-1. NULL after reporting a bad one. */
static int64_t *class_indices(tg_tensor *t, int64_t classes, const call_site *site)
{
    int64_t rows = tg_numel(t);
    int64_t *labels = malloc((size_t)rows * sizeof *labels);
    if (!labels) {
        site_error(site, "out of memory");
        return NULL;
    }
    for (int64_t r = 0; r < rows; r++) {
        double k = tg_get(t, r);
        if (!(k >= 0 && k < (double)classes && k == floor(k))) {
            free(labels);
            char message[160];
            snprintf(message, sizeof message,
                     "ce: target %.17g is not a class index 0..%lld", k, (long long)classes - 1);
            site_error(site, message);
            return NULL;
        }
        labels[r] = (int64_t)k;
    }
    return labels;
}

static bool same_shape(const tg_tensor *a, const tg_tensor *b, int ndim)
{
    if (tg_ndim(a) < ndim || tg_ndim(b) < ndim)
        return false;
    return memcmp(tg_shape(a), tg_shape(b), (size_t)ndim * sizeof(int64_t)) == 0;
}

/* nn's cross entropies take [rows, classes] or [classes]: logits (and
 * probabilities) with more axes are viewed as rows of their last one. */
static tg_tensor *as_rows(tg_tensor *x, int64_t classes)
{
    int64_t shape[2] = {tg_numel(x) / classes, classes};
    return tg_ndim(x) > 2 ? tg_reshape(x, 2, shape) : x;
}

static tg_tensor *ce(operand *args, int nargs, const call_site *site)
{
    (void)nargs;
    tg_tensor *z = operand_tensor(&args[0]), *t = operand_tensor(&args[1]);
    if (!z || !t)
        return NULL;
    int nd = tg_ndim(z);
    if (nd == 0)
        return site_error(site, "ce: the logits need an axis of classes (a vector or matrix)");
    int64_t classes = tg_shape(z)[nd - 1];
    if (tg_ndim(t) == nd && same_shape(z, t, nd))
        return tg_cross_entropy_probs_loss(as_rows(z, classes), as_rows(t, classes),
                                           TG_REDUCTION_MEAN);
    if (tg_ndim(t) != nd - 1 || !same_shape(z, t, nd - 1))
        return site_error(site, "ce: the target must have the logits' shape (probabilities) "
                                "or their shape without the last axis (class indices)");
    int64_t *labels = class_indices(t, classes, site);
    tg_tensor *loss = labels ? tg_cross_entropy_loss(as_rows(z, classes), labels,
                                                     TG_REDUCTION_MEAN)
                             : NULL;
    free(labels);
    return loss;
}

/* ---- the tables ----------------------------------------------------------- */

#define UNARY(fn_name, fn) {.name = fn_name, .min_args = 1, .max_args = 1, .unary = fn}
#define BINARY(fn_name, fn, use)                                                       \
    {.name = fn_name, .min_args = 2, .max_args = 2, .binary = fn, .usage = use}
/* kw...: the keyword names of arguments 1, 2, ... (x, argument 0, has none) */
#define CUSTOM(fn_name, lo, hi, fn, use, ...)                                         \
    {.name = fn_name, .min_args = lo, .max_args = hi, .params = {NULL, __VA_ARGS__},     \
     .custom = fn, .usage = use}
#define SPELLED(how) {.spelled = how}
/* concat and stack: up to JOIN_TENSORS tensors, which a list may fill, then
 * axis= */
#define JOIN(fn_name, fn, use)                                                         \
    {.name = fn_name, .min_args = 1, .max_args = JOIN_TENSORS + 1,                     \
     .params = {[JOIN_TENSORS] = "axis"}, .custom = fn, .usage = use,                  \
     .list_slots = JOIN_TENSORS}

/* How the language reaches each op, one row per kind (explained_kind_row
 * lets the catalogue test find a missing one). */
static const function_def op_functions[TG_OP_COUNT] = {
    [TG_OP_ADD] = SPELLED("a + b"),
    [TG_OP_SUB] = SPELLED("a - b"),
    [TG_OP_MUL] = SPELLED("a * b"),
    [TG_OP_DIV] = SPELLED("a / b"),
    [TG_OP_POW] = SPELLED("a ^ b"),
    [TG_OP_MAXIMUM] = SPELLED("max(a, b)"),
    [TG_OP_MINIMUM] = SPELLED("min(a, b)"),
    [TG_OP_WHERE] = CUSTOM("where", 3, 3, where_fn, "where(c, a, b)", NULL),
    [TG_OP_GT] = BINARY("gt", tg_gt, "gt(a, b) (or a > b)"),
    [TG_OP_GE] = BINARY("ge", tg_ge, "ge(a, b) (or a >= b)"),
    [TG_OP_LT] = BINARY("lt", tg_lt, "lt(a, b) (or a < b)"),
    [TG_OP_LE] = BINARY("le", tg_le, "le(a, b) (or a <= b)"),
    [TG_OP_EQ] = BINARY("eq", tg_eq, "eq(a, b) (or a == b)"),
    [TG_OP_NE] = BINARY("ne", tg_ne, "ne(a, b) (or a != b)"),
    [TG_OP_LOGICAL_AND] = BINARY("logical_and", tg_logical_and, "logical_and(a, b)"),
    [TG_OP_LOGICAL_OR] = BINARY("logical_or", tg_logical_or, "logical_or(a, b)"),
    [TG_OP_LOGICAL_NOT] = UNARY("logical_not", tg_logical_not),
    [TG_OP_MASKED_FILL] = CUSTOM("masked_fill", 3, 3, masked_fill_fn,
                                 "masked_fill(x, mask, value)", "mask", "value"),
    [TG_OP_ADD_SCALAR] = SPELLED("x + 2, x - 2 (a number operand)"),
    [TG_OP_MUL_SCALAR] = SPELLED("2 * x, x / 2 (a number operand)"),
    [TG_OP_POW_SCALAR] = SPELLED("x ^ 2 (a number exponent)"),
    [TG_OP_NEG] = SPELLED("-x"),
    [TG_OP_EXP] = UNARY("exp", tg_exp),
    [TG_OP_LOG] = UNARY("log", tg_log),
    [TG_OP_SQRT] = UNARY("sqrt", tg_sqrt),
    [TG_OP_ABS] = UNARY("abs", tg_abs),
    [TG_OP_SIGMOID] = UNARY("sigmoid", tg_sigmoid),
    [TG_OP_TANH] = UNARY("tanh", tg_tanh),
    [TG_OP_SIN] = UNARY("sin", tg_sin),
    [TG_OP_COS] = UNARY("cos", tg_cos),
    [TG_OP_TAN] = UNARY("tan", tg_tan),
    [TG_OP_ASIN] = UNARY("asin", tg_asin),
    [TG_OP_ACOS] = UNARY("acos", tg_acos),
    [TG_OP_ATAN] = UNARY("atan", tg_atan),
    [TG_OP_SINH] = UNARY("sinh", tg_sinh),
    [TG_OP_COSH] = UNARY("cosh", tg_cosh),
    [TG_OP_ASINH] = UNARY("asinh", tg_asinh),
    [TG_OP_ACOSH] = UNARY("acosh", tg_acosh),
    [TG_OP_ATANH] = UNARY("atanh", tg_atanh),
    [TG_OP_LOG1P] = UNARY("log1p", tg_log1p),
    [TG_OP_EXPM1] = UNARY("expm1", tg_expm1),
    [TG_OP_LOG2] = UNARY("log2", tg_log2),
    [TG_OP_LOG10] = UNARY("log10", tg_log10),
    [TG_OP_EXP2] = UNARY("exp2", tg_exp2),
    [TG_OP_ERF] = UNARY("erf", tg_erf),
    [TG_OP_ERFC] = UNARY("erfc", tg_erfc),
    [TG_OP_SQUARE] = UNARY("square", tg_square),
    [TG_OP_RSQRT] = UNARY("rsqrt", tg_rsqrt),
    [TG_OP_RECIPROCAL] = UNARY("reciprocal", tg_reciprocal),
    [TG_OP_SIGN] = UNARY("sign", tg_sign),
    [TG_OP_FLOOR] = UNARY("floor", tg_floor),
    [TG_OP_CEIL] = UNARY("ceil", tg_ceil),
    [TG_OP_ROUND] = UNARY("round", tg_round),
    [TG_OP_TRUNC] = UNARY("trunc", tg_trunc),
    [TG_OP_RELU] = UNARY("relu", tg_relu),
    [TG_OP_LEAKY_RELU] =
        CUSTOM("leaky_relu", 1, 2, leaky_relu, "leaky_relu(x[, slope=0.01])", "slope"),
    [TG_OP_HEAVISIDE] = {.name = "heaviside", .min_args = 1, .max_args = 1, .unary = tg_heaviside,
                         .alias = "step"},
    [TG_OP_IDENTITY] = {.name = "identity", .min_args = 1, .max_args = 1, .unary = tg_identity,
                        .alias = "linear"},
    [TG_OP_GELU] = CUSTOM("gelu", 1, 2, gelu_fn, "gelu(x[, approximate=0 (1: tanh)])",
                          "approximate"),
    [TG_OP_SILU] = UNARY("silu", tg_silu),
    [TG_OP_SOFTPLUS] = CUSTOM("softplus", 1, 3, softplus_fn,
                              "softplus(x[, beta=1, threshold=20])", "beta", "threshold"),
    [TG_OP_ELU] = CUSTOM("elu", 1, 2, elu_fn, "elu(x[, alpha=1])", "alpha"),
    [TG_OP_SELU] = UNARY("selu", tg_selu),
    [TG_OP_CELU] = CUSTOM("celu", 1, 2, celu_fn, "celu(x[, alpha=1])", "alpha"),
    /* F.logsigmoid; log_sigmoid as tg_log_sigmoid spells it */
    [TG_OP_LOG_SIGMOID] = {.name = "logsigmoid", .min_args = 1, .max_args = 1,
                           .unary = tg_log_sigmoid, .alias = "log_sigmoid"},
    [TG_OP_SOFTSIGN] = UNARY("softsign", tg_softsign),
    [TG_OP_MISH] = UNARY("mish", tg_mish),
    [TG_OP_HARDTANH] = CUSTOM("hardtanh", 1, 3, hardtanh_fn,
                              "hardtanh(x[, min_val=-1, max_val=1])", "min_val", "max_val"),
    [TG_OP_HARDSIGMOID] = UNARY("hardsigmoid", tg_hardsigmoid),
    [TG_OP_CLAMP] = CUSTOM("clamp", 1, 3, clamp_fn, "clamp(x[, min][, max])", "min", "max"),
    [TG_OP_CLAMP_TENSOR] = SPELLED("clamp(x, min=a, max=b) with a tensor bound"),
    [TG_OP_ATAN2] = {.name = "atan2", .min_args = 2, .max_args = 2, .binary = tg_atan2,
                     .usage = "atan2(y, x)"},
    [TG_OP_LOGADDEXP] = {.name = "logaddexp", .min_args = 2, .max_args = 2,
                         .binary = tg_logaddexp, .usage = "logaddexp(a, b)"},
    [TG_OP_SOFTMAX] = CUSTOM("softmax", 1, 2, softmax, "softmax(x[, axis=-1])", "axis"),
    [TG_OP_LOG_SOFTMAX] =
        CUSTOM("log_softmax", 1, 2, log_softmax, "log_softmax(x[, axis=-1])", "axis"),
    [TG_OP_SUM] = CUSTOM("sum", 1, 3, sum_fn, "sum(x[, axis][, keepdim=0])", "axis", "keepdim"),
    [TG_OP_MEAN] =
        CUSTOM("mean", 1, 3, mean_fn, "mean(x[, axis][, keepdim=0])", "axis", "keepdim"),
    [TG_OP_MAX] = CUSTOM("max", 1, 2, max_fn, "max(x)/max(a, b)", NULL),
    [TG_OP_MIN] = CUSTOM("min", 1, 2, min_fn, "min(x)/min(a, b)", NULL),
    [TG_OP_SUM_AXIS] = SPELLED("sum(x, axis)"),
    [TG_OP_MEAN_AXIS] = SPELLED("mean(x, axis)"),
    [TG_OP_MAX_AXIS] = SPELLED("not in the language: max(x, y) is elementwise"),
    [TG_OP_MIN_AXIS] = SPELLED("not in the language: min(x, y) is elementwise"),
    [TG_OP_SUM_DIMS] = SPELLED("sum(x, axis=[0, 1]) (a list of axes)"),
    [TG_OP_MEAN_DIMS] = SPELLED("mean(x, axis=[0, 1]) (a list of axes)"),
    [TG_OP_AMAX] = CUSTOM("amax", 1, 3, amax_fn, "amax(x[, axis][, keepdim=0])", "axis", "keepdim"),
    [TG_OP_AMIN] = CUSTOM("amin", 1, 3, amin_fn, "amin(x[, axis][, keepdim=0])", "axis", "keepdim"),
    [TG_OP_LOGSUMEXP] = CUSTOM("logsumexp", 1, 3, logsumexp_fn,
                               "logsumexp(x[, axis][, keepdim=0])", "axis", "keepdim"),
    [TG_OP_PROD] = CUSTOM("prod", 1, 3, prod_fn, "prod(x[, axis][, keepdim=0])", "axis", "keepdim"),
    [TG_OP_VARIANCE] = CUSTOM("var", 1, 4, var_fn, "var(x[, axis][, correction=1][, keepdim=0])",
                              "axis", "correction", "keepdim"),
    [TG_OP_STD] = CUSTOM("std", 1, 4, std_fn, "std(x[, axis][, correction=1][, keepdim=0])",
                         "axis", "correction", "keepdim"),
    [TG_OP_NORM] = CUSTOM("norm", 1, 4, norm_fn, "norm(x[, p=2][, axis][, keepdim=0])", "p", "axis",
                          "keepdim"),
    [TG_OP_CUMSUM] = CUSTOM("cumsum", 2, 2, cumsum_fn, "cumsum(x, axis)", "axis"),
    [TG_OP_CUMPROD] = CUSTOM("cumprod", 2, 2, cumprod_fn, "cumprod(x, axis)", "axis"),
    [TG_OP_SCAN] = SPELLED("recorded by the backward rules of cumprod and prod"),
    [TG_OP_SHIFT] = SPELLED("recorded by the backward rules of cumprod and prod"),
    [TG_OP_ARGMAX] =
        CUSTOM("argmax", 1, 3, argmax_fn, "argmax(x[, axis][, keepdim=0])", "axis", "keepdim"),
    [TG_OP_ARGMIN] =
        CUSTOM("argmin", 1, 3, argmin_fn, "argmin(x[, axis][, keepdim=0])", "axis", "keepdim"),
    [TG_OP_MATMUL] = SPELLED("A @ B"),
    [TG_OP_MATMUL_T] = SPELLED("transpose(A) @ B, composed"),
    [TG_OP_TRANSPOSE] = CUSTOM("transpose", 1, 3, transpose_fn, "transpose(x[, a, b])", NULL,
                               NULL),
    [TG_OP_RESHAPE] = CUSTOM("reshape", 2, 7, reshape_fn, "reshape(x, sizes...) (one may be -1)",
                             NULL),
    [TG_OP_BROADCAST_TO] = SPELLED("implicit: operands broadcast"),
    [TG_OP_SUM_TO] = SPELLED("implicit: the gradient of a broadcast operand"),
    [TG_OP_CAST] = SPELLED("not in the language: it computes in float64"),
    [TG_OP_SELECT] = CUSTOM("select", 3, 3, select_fn, "select(x, axis, i) (or x[.., i])", NULL,
                            NULL),
    [TG_OP_SLICE] = CUSTOM("slice", 2, 5, slice_fn, "slice(x, axis[, start, stop, step])",
                           NULL, "start", "stop", "step"),
    [TG_OP_PERMUTE] = CUSTOM("permute", 1, 7, permute_fn, "permute(x, axes...)", NULL),
    [TG_OP_FLIP] = CUSTOM("flip", 2, 7, flip_fn, "flip(x, axes...)", NULL),
    [TG_OP_ROLL] = CUSTOM("roll", 2, 3, roll_fn, "roll(x, shift[, axis])", NULL, "axis"),
    [TG_OP_REPEAT] = CUSTOM("repeat", 1, 7, repeat_fn, "repeat(x, reps...)", NULL),
    [TG_OP_TRIL] = CUSTOM("tril", 1, 2, tril_fn, "tril(x[, diagonal=0])", "diagonal"),
    [TG_OP_TRIU] = CUSTOM("triu", 1, 2, triu_fn, "triu(x[, diagonal=0])", "diagonal"),
    [TG_OP_DIAGONAL] = CUSTOM("diagonal", 1, 4, diagonal_fn,
                              "diagonal(x[, offset=0, dim1=0, dim2=1])", "offset", "dim1", "dim2"),
    [TG_OP_DIAG_EMBED] = CUSTOM("diag_embed", 1, 2, diag_embed_fn, "diag_embed(x[, offset=0])",
                                "offset"),
    [TG_OP_TRACE] = UNARY("trace", trace_fn),
    [TG_OP_INDEX_SELECT] = CUSTOM("index_select", 3, 3, index_select_fn,
                                  "index_select(x, axis, idx)", NULL, NULL),
    [TG_OP_INDEX_ADD] = CUSTOM("index_add", 4, 4, index_add_fn, "index_add(x, axis, idx, src)",
                               NULL, NULL, NULL),
    [TG_OP_GATHER] = CUSTOM("gather", 3, 3, gather_fn, "gather(x, axis, idx)", NULL, NULL),
    [TG_OP_SCATTER_ADD] = CUSTOM("scatter_add", 4, 4, scatter_add_fn,
                                 "scatter_add(x, axis, idx, src)", NULL, NULL, NULL),
    [TG_OP_EMBEDDING] = CUSTOM("embedding", 2, 3, embedding_fn,
                               "embedding(weight, idx[, padding_idx])", NULL, "padding_idx"),
    [TG_OP_ONE_HOT] = CUSTOM("one_hot", 1, 2, one_hot_fn, "one_hot(idx[, num_classes=-1])",
                             "num_classes"),
    [TG_OP_MASKED_SELECT] = BINARY("masked_select", tg_masked_select, "masked_select(x, mask)"),
    [TG_OP_OUTER] = BINARY("outer", tg_outer, "outer(a, b)"),
    [TG_OP_DOT] = BINARY("dot", tg_dot, "dot(a, b)"),
    [TG_OP_PAD] = CUSTOM("pad", 1, 7, pad_fn,
                         "pad(x, left, right[, left2, right2], value=0, mode=0 (1: reflect, "
                         "2: replicate, 3: circular))", NULL, NULL, NULL, NULL, "value", "mode"),
    [TG_OP_CONCAT] = JOIN("concat", concat_fn, "concat(a, b, ...[, axis=0])"),
    [TG_OP_UNFOLD] = SPELLED("not in the language: tg_unfold in C, under conv2d's rules"),
    [TG_OP_FOLD] = SPELLED("not in the language: tg_fold in C, under conv2d's rules"),
    [TG_OP_CONV1D] = CUSTOM("conv1d", 2, 7, conv1d_fn,
                            "conv1d(x, weight[, bias], stride=1, padding=0, dilation=1, groups=1)",
                            NULL, "bias", "stride", "padding", "dilation", "groups"),
    [TG_OP_CONV2D] = CUSTOM("conv2d", 2, 7, conv2d_fn,
                            "conv2d(x, weight[, bias], stride=1, padding=0, dilation=1, groups=1)",
                            NULL, "bias", "stride", "padding", "dilation", "groups"),
    [TG_OP_MAX_POOL1D] = CUSTOM("max_pool1d", 2, 6, max_pool1d_fn,
                                "max_pool1d(x, kernel_size, stride=kernel_size, padding=0, "
                                "dilation=1, ceil_mode=0)", "kernel_size", "stride", "padding",
                                "dilation", "ceil_mode"),
    [TG_OP_MAX_POOL2D] = CUSTOM("max_pool2d", 2, 6, max_pool2d_fn,
                                "max_pool2d(x, kernel_size, stride=kernel_size, padding=0, "
                                "dilation=1, ceil_mode=0)", "kernel_size", "stride", "padding",
                                "dilation", "ceil_mode"),
    [TG_OP_AVG_POOL1D] = CUSTOM("avg_pool1d", 2, 6, avg_pool1d_fn,
                                "avg_pool1d(x, kernel_size, stride=kernel_size, padding=0, "
                                "ceil_mode=0, count_include_pad=1)", "kernel_size", "stride",
                                "padding", "ceil_mode", "count_include_pad"),
    [TG_OP_AVG_POOL2D] = CUSTOM("avg_pool2d", 2, 6, avg_pool2d_fn,
                                "avg_pool2d(x, kernel_size, stride=kernel_size, padding=0, "
                                "ceil_mode=0, count_include_pad=1)", "kernel_size", "stride",
                                "padding", "ceil_mode", "count_include_pad"),
    [TG_OP_ADAPTIVE_AVG_POOL2D] = CUSTOM("adaptive_avg_pool2d", 2, 2, adaptive_avg_pool2d_fn,
                                         "adaptive_avg_pool2d(x, output_size)", "output_size"),
    [TG_OP_DROPOUT] = CUSTOM("dropout", 1, 4, dropout_fn,
                             "dropout(x, p=0.5, training=1, seed=0)", "p", "training", "seed"),
    [TG_OP_CONV_TRANSPOSE2D] = CUSTOM("conv_transpose2d", 2, 8, conv_transpose2d_fn,
                                      "conv_transpose2d(x, weight[, bias], stride=1, padding=0, "
                                      "output_padding=0, groups=1, dilation=1)",
                                      NULL, "bias", "stride", "padding", "output_padding",
                                      "groups", "dilation"),
    [TG_OP_BATCH_NORM] = CUSTOM("batch_norm", 1, 8, batch_norm_fn,
                                "batch_norm(x[, running_mean, running_var][, weight][, bias], "
                                "training=0, momentum=0.1, eps=1e-5)",
                                "running_mean", "running_var", "weight", "bias", "training",
                                "momentum", "eps"),
    [TG_OP_LAYER_NORM] = CUSTOM("layer_norm", 2, 5, layer_norm_fn,
                                "layer_norm(x, normalized_shape[, weight][, bias], eps=1e-5)",
                                "normalized_shape", "weight", "bias", "eps"),
    [TG_OP_RMS_NORM] = CUSTOM("rms_norm", 2, 4, rms_norm_fn,
                              "rms_norm(x, normalized_shape[, weight], eps=machine epsilon)",
                              "normalized_shape", "weight", "eps"),
    [TG_OP_GROUP_NORM] = CUSTOM("group_norm", 2, 5, group_norm_fn,
                                "group_norm(x, num_groups[, weight][, bias], eps=1e-5)",
                                "num_groups", "weight", "bias", "eps"),
    [TG_OP_ACCUMULATE] = SPELLED("recorded by the reverse sweep itself"),
    [TG_OP_USER] = SPELLED("not in the language: user-defined ops are C functions"),
};

/* The losses are not ops: nn composes each from ops. */
static const function_def losses[] = {
    {.name = "mse", .min_args = 2, .max_args = 2, .binary = mse},
    {.name = "sse", .min_args = 2, .max_args = 2, .binary = sse},
    {.name = "l2", .min_args = 2, .max_args = 2, .binary = l2},
    {.name = "bce", .min_args = 2, .max_args = 2, .binary = bce},
    {.name = "bce_logits", .min_args = 2, .max_args = 2, .binary = bce_logits},
    {.name = "ce", .min_args = 2, .max_args = 2, .custom = ce},
};

#define N_LOSSES (sizeof losses / sizeof *losses)

bool is_loss_name(const char *name)
{
    for (size_t i = 0; i < N_LOSSES; i++)
        if (strcmp(losses[i].name, name) == 0)
            return true;
    return false;
}

/* Functions composed of ops in the library, as PyTorch composes them. */
static const function_def composed[] = {
    {.name = "normalize", .min_args = 1, .max_args = 4, .params = {NULL, "p", "axis", "eps"},
     .custom = normalize_fn, .usage = "normalize(x[, p=2][, axis=1][, eps=1e-12])"},
    {.name = "cosine_similarity", .min_args = 2, .max_args = 4,
     .params = {NULL, NULL, "axis", "eps"}, .custom = cosine_similarity_fn,
     .usage = "cosine_similarity(a, b[, axis=1][, eps=1e-8])"},
    JOIN("stack", stack_fn, "stack(a, b, ...[, axis=0])"),
    {.name = "squeeze", .min_args = 1, .max_args = 2, .params = {NULL, "axis"},
     .custom = squeeze_fn, .usage = "squeeze(x[, axis])"},
    {.name = "unsqueeze", .min_args = 2, .max_args = 2, .params = {NULL, "axis"},
     .custom = unsqueeze_fn, .usage = "unsqueeze(x, axis)"},
    {.name = "flatten", .min_args = 1, .max_args = 3, .params = {NULL, "start_dim", "end_dim"},
     .custom = flatten_fn, .usage = "flatten(x[, start_dim=0, end_dim=-1])"},
    {.name = "unflatten", .min_args = 3, .max_args = 7, .params = {NULL, "axis"},
     .custom = unflatten_fn, .usage = "unflatten(x, axis, sizes...) (one may be -1)"},
    {.name = "movedim", .min_args = 3, .max_args = 3, .params = {NULL, "source", "destination"},
     .custom = movedim_fn, .usage = "movedim(x, source, destination)"},
    {.name = "expand", .min_args = 2, .max_args = 7, .custom = expand_fn,
     .usage = "expand(x, sizes...) (-1 keeps a size)"},
    {.name = "tile", .min_args = 2, .max_args = 7, .custom = tile_fn, .usage = "tile(x, reps...)"},
    {.name = "split", .min_args = 2, .max_args = 3, .params = {NULL, NULL, "axis"},
     .multi = split_fn, .usage = "split(x, size or [sizes][, axis=0]) (several results)"},
    {.name = "chunk", .min_args = 2, .max_args = 3, .params = {NULL, NULL, "axis"},
     .multi = chunk_fn, .usage = "chunk(x, chunks[, axis=0]) (several results)"},
    {.name = "unbind", .min_args = 1, .max_args = 2, .params = {NULL, "axis"},
     .multi = unbind_fn, .usage = "unbind(x[, axis=0]) (several results)"},
    {.name = "take_along_axis", .min_args = 3, .max_args = 3, .params = {NULL, NULL, "axis"},
     .custom = take_along_axis_fn, .usage = "take_along_axis(x, idx, axis)"},
};

#define N_COMPOSED (sizeof composed / sizeof *composed)

static bool named(const char *name, const char *want, size_t len)
{
    return name && strlen(name) == len && memcmp(name, want, len) == 0;
}

static const function_def *lookup(const char *name, size_t len)
{
    for (int k = 0; k < TG_OP_COUNT; k++)
        if (named(op_functions[k].name, name, len) || named(op_functions[k].alias, name, len))
            return &op_functions[k];
    for (size_t i = 0; i < N_LOSSES; i++)
        if (named(losses[i].name, name, len))
            return &losses[i];
    for (size_t i = 0; i < N_COMPOSED; i++)
        if (named(composed[i].name, name, len))
            return &composed[i];
    return NULL;
}

const char *language_spelling(tg_op_kind kind)
{
    if ((unsigned)kind >= TG_OP_COUNT)
        return NULL;
    const function_def *f = &op_functions[kind];
    return f->name ? f->name : f->spelled;
}

/* Writes words to f, wrapped before column 88 with a four-space indent. */
static void put_word(FILE *f, const char *word, int *column)
{
    int len = (int)strlen(word);
    if (*column + 1 + len > 88) {
        fputs("\n    ", f);
        *column = 4;
    } else if (*column > 0) {
        fputc(' ', f);
        (*column)++;
    }
    fputs(word, f);
    *column += len;
}

void print_functions(FILE *f)
{
    int column = 0;
    char word[96];
    put_word(f, "  functions:", &column);
    for (int k = 0; k < TG_OP_COUNT; k++) {
        const function_def *fn = &op_functions[k];
        if (!fn->name)
            continue;
        if (fn->alias)
            snprintf(word, sizeof word, "%s (or %s)", fn->name, fn->alias);
        else
            snprintf(word, sizeof word, "%s", fn->usage ? fn->usage : fn->name);
        put_word(f, word, &column);
    }
    for (size_t i = 0; i < N_COMPOSED; i++)
        put_word(f, composed[i].usage, &column);
    column = 0;
    fputs("\n", f);
    put_word(f, "  losses (prediction, target), averaged like PyTorch:", &column);
    for (size_t i = 0; i < N_LOSSES; i++)
        put_word(f, losses[i].name, &column);
    fputs("\n    ce(logits, target) takes class indices or probabilities as target\n", f);
}

bool is_function_name(const char *name, size_t len) { return lookup(name, len) != NULL; }

/* Optimal string alignment over two rows of the table and the one before:
 * names are short, so the rows live on the stack. */
int name_distance(const char *a, size_t len, const char *b)
{
    enum { MAX = 64 };
    size_t lb = strlen(b);
    if (len >= MAX || lb >= MAX)
        return MAX;
    int before[MAX + 1] = {0}, prev[MAX + 1], row[MAX + 1];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= len; i++) {
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int cost = a[i - 1] != b[j - 1];
            int best = prev[j - 1] + cost;
            best = prev[j] + 1 < best ? prev[j] + 1 : best;
            best = row[j - 1] + 1 < best ? row[j - 1] + 1 : best;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                before[j - 2] + 1 < best)
                best = before[j - 2] + 1;
            row[j] = best;
        }
        memcpy(before, prev, sizeof prev);
        memcpy(prev, row, sizeof row);
    }
    return prev[lb];
}

static void consider(const char *candidate, const char *name, size_t len, const char **best,
                     int *distance)
{
    if (!candidate)
        return;
    int d = name_distance(name, len, candidate);
    if (d < *distance) {
        *distance = d;
        *best = candidate;
    }
}

const char *closest_function(const char *name, size_t len, int *distance)
{
    const char *best = NULL;
    *distance = 1 << 20;
    for (int k = 0; k < TG_OP_COUNT; k++) {
        consider(op_functions[k].name, name, len, &best, distance);
        consider(op_functions[k].alias, name, len, &best, distance);
    }
    for (size_t i = 0; i < N_LOSSES; i++)
        consider(losses[i].name, name, len, &best, distance);
    for (size_t i = 0; i < N_COMPOSED; i++)
        consider(composed[i].name, name, len, &best, distance);
    return best;
}

int function_param_index(const char *name, const char *param, size_t len)
{
    const function_def *f = lookup(name, strlen(name));
    for (int k = 0; f && k < MAX_PARAMS; k++)
        if (named(f->params[k], param, len))
            return k;
    return -1;
}

/* name is the one the call used (an alias, say). */
static bool check_arity(const function_def *f, const char *name, int nargs,
                        const call_site *site)
{
    if (nargs >= f->min_args && nargs <= f->max_args)
        return true;
    char want[64];
    if (f->min_args == f->max_args)
        snprintf(want, sizeof want, "%d", f->min_args);
    else
        snprintf(want, sizeof want, "%d or %d", f->min_args, f->max_args);
    diag_at(site->d, site->src, NULL, site->offset, "%s() takes %s argument%s, not %d", name,
            want, f->max_args == 1 ? "" : "s", nargs);
    return false;
}

int function_list_slots(const char *name)
{
    const function_def *f = lookup(name, strlen(name));
    return f ? f->list_slots : 0;
}

static bool call_multi(const function_def *f, operand *args, int nargs, const call_site *site,
                       result_list *pieces, operand *out)
{
    int count = f->multi(args, nargs, site, pieces);
    if (count < 0) {
        diag_at(site->d, site->src, NULL, site->offset, "%s", tg_last_error());
        return false;
    }
    *out = (operand){.is_list = true, .first = pieces->n, .count = count, .from = f->name,
                     .from_offset = site->offset};
    pieces->n += count;
    return true;
}

const function_def *function_named(const char *name) { return lookup(name, strlen(name)); }

bool call_function(const char *name, operand *args, int nargs, const char *src, int offset,
                   result_list *pieces, operand *out, diag *d)
{
    return call_function_def(lookup(name, strlen(name)), name, args, nargs, src, offset, pieces,
                             out, d);
}

bool call_function_def(const function_def *f, const char *name, operand *args, int nargs,
                       const char *src, int offset, result_list *pieces, operand *out, diag *d)
{
    call_site site = {src, offset, d};
    if (!check_arity(f, name, nargs, &site))
        return false;
    for (int k = 0; k < f->min_args; k++)
        if (args[k].absent) {
            diag_at(d, src, NULL, offset, "%s(): argument %d is missing", name, k + 1);
            return false;
        }
    if (f->multi)
        return call_multi(f, args, nargs, &site, pieces, out);
    tg_tensor *t;
    if (f->unary)
        t = f->unary(operand_tensor(&args[0]));
    else if (f->binary)
        t = f->binary(operand_tensor(&args[0]), operand_tensor(&args[1]));
    else
        t = f->custom(args, nargs, &site);
    if (!t) {
        diag_at(d, src, NULL, offset, "%s", tg_last_error());
        return false;
    }
    *out = (operand){.t = t};
    return true;
}
