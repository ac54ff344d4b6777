/*
 * functions.c -- the functions the expression language can call.
 *
 * Activations and reductions map to one tapegrad op each. The losses are
 * composed from ops here, in (prediction, target) order and averaged the way
 * PyTorch's defaults average them, so that their tape shows every step:
 *
 *   mse(p, t)         mean((p - t)^2)
 *   sse(p, t)         sum((p - t)^2)
 *   l2(p, t)          1/2 sum((p - t)^2)
 *   bce(p, t)         mean(-(t log p + (1 - t) log(1 - p))), each log clamped
 *                     at -100 as PyTorch does, so p = 0 or 1 stays finite
 *   bce_logits(z, t)  mean(max(z, 0) - z t + log(1 + e^-|z|)), the stable
 *                     form; at z = 0 the tie rule of max and abs'(0) = 0
 *                     give 1/2 - t, the true derivative sigmoid(0) - t
 *   ce(z, t)          -1/N sum(t log_softmax(z)) over N rows of logits,
 *                     t a probability vector (z's shape) or class indices
 *                     (z's shape without its last axis)
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tg.h"

typedef struct {
    const char *src;
    int offset;
    diag *d;
} call_site;

typedef tg_tensor *(*unary_fn)(tg_tensor *);
typedef tg_tensor *(*binary_fn)(tg_tensor *, tg_tensor *);
typedef tg_tensor *(*custom_fn)(operand *args, int nargs, const call_site *site);

typedef struct {
    const char *name;
    int min_args, max_args;
    const char *param2; /* keyword name of the second argument, if it has one */
    unary_fn unary;     /* exactly one of unary, binary, custom is set */
    binary_fn binary;
    custom_fn custom;
} function_def;

static tg_tensor *site_error(const call_site *site, const char *message)
{
    diag_at(site->d, site->src, NULL, site->offset, "%s", message);
    return NULL;
}

/* ---- functions with a constant parameter ---------------------------------- */

static bool number_arg(operand *args, int nargs, int k, double fallback, double *out,
                       const call_site *site, const char *what)
{
    if (k >= nargs) {
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

/* ---- losses --------------------------------------------------------------- */

static tg_tensor *squared_error(tg_tensor *p, tg_tensor *t)
{
    tg_tensor *diff = tg_sub(p, t);
    return tg_mul(diff, diff);
}

static tg_tensor *mse(tg_tensor *p, tg_tensor *t) { return tg_mean(squared_error(p, t)); }
static tg_tensor *sse(tg_tensor *p, tg_tensor *t) { return tg_sum(squared_error(p, t)); }
static tg_tensor *l2(tg_tensor *p, tg_tensor *t) { return tg_mul_scalar(sse(p, t), 0.5); }

/* max(log x, -100), written log(max(x, e^-100)): the same values, and at
 * x = 0 the log never sees a 0 (the max sends x no gradient there), so no
 * 0 * inf turns the gradient into NaN. */
static tg_tensor *clamped_log(tg_tensor *x)
{
    return tg_log(tg_maximum(x, tg_scalar(exp(-100.0))));
}

/* Probabilities outside [0, 1] would give log of a negative number: NaN. */
static bool probabilities(tg_tensor *p)
{
    for (int64_t i = 0; i < tg_numel(p); i++) {
        double v = tg_get(p, i);
        if (!(v >= 0 && v <= 1)) {
            tg_set_error(TG_EVALUE, "bce: probability %.17g (element %lld) is outside [0, 1]; "
                                    "use bce_logits for logits",
                         v, (long long)i);
            return false;
        }
    }
    return true;
}

static tg_tensor *bce(tg_tensor *p, tg_tensor *t)
{
    if (!p || !t || !probabilities(p))
        return NULL;
    tg_tensor *one = tg_scalar(1);
    tg_tensor *pos = tg_mul(t, clamped_log(p));
    tg_tensor *neg = tg_mul(tg_sub(one, t), clamped_log(tg_sub(one, p)));
    return tg_mean(tg_neg(tg_add(pos, neg)));
}

static tg_tensor *bce_logits(tg_tensor *z, tg_tensor *t)
{
    tg_tensor *softplus = tg_log(tg_add_scalar(tg_exp(tg_neg(tg_abs(z))), 1));
    tg_tensor *linear = tg_sub(tg_maximum(z, tg_scalar(0)), tg_mul(z, t));
    return tg_mean(tg_add(linear, softplus));
}

/* Class indices of shape z[:-1] become the one-hot rows they stand for. */
static tg_tensor *one_hot(tg_tensor *z, tg_tensor *t, const call_site *site)
{
    int64_t classes = tg_shape(z)[tg_ndim(z) - 1], rows = tg_numel(t);
    double *hot = calloc((size_t)(rows * classes) + 1, sizeof *hot);
    if (!hot)
        return site_error(site, "out of memory");
    for (int64_t r = 0; r < rows; r++) {
        double k = tg_get(t, r);
        if (!(k >= 0 && k < (double)classes && k == floor(k))) {
            free(hot);
            char message[160];
            snprintf(message, sizeof message,
                     "ce: target %.17g is not a class index 0..%lld", k, (long long)classes - 1);
            return site_error(site, message);
        }
        hot[r * classes + (int64_t)k] = 1;
    }
    tg_tensor *out = tg_tensor_new(TG_F64, tg_ndim(z), tg_shape(z), hot, false);
    free(hot);
    return out;
}

static bool same_shape(const tg_tensor *a, const tg_tensor *b, int ndim)
{
    if (tg_ndim(a) < ndim || tg_ndim(b) < ndim)
        return false;
    return memcmp(tg_shape(a), tg_shape(b), (size_t)ndim * sizeof(int64_t)) == 0;
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
    tg_tensor *target = NULL;
    if (tg_ndim(t) == nd && same_shape(z, t, nd))
        target = t;
    else if (tg_ndim(t) == nd - 1 && same_shape(z, t, nd - 1))
        target = one_hot(z, t, site);
    else
        return site_error(site, "ce: the target must have the logits' shape (probabilities) "
                                "or their shape without the last axis (class indices)");
    if (!target)
        return NULL;
    double rows = (double)(tg_numel(z) / tg_shape(z)[nd - 1]);
    return tg_mul_scalar(tg_sum(tg_mul(target, tg_log_softmax(z, -1))), -1 / rows);
}

/* ---- the table ------------------------------------------------------------ */

static const function_def functions[] = {
    {"exp", 1, 1, NULL, tg_exp, NULL, NULL},
    {"log", 1, 1, NULL, tg_log, NULL, NULL},
    {"sqrt", 1, 1, NULL, tg_sqrt, NULL, NULL},
    {"abs", 1, 1, NULL, tg_abs, NULL, NULL},
    {"sigmoid", 1, 1, NULL, tg_sigmoid, NULL, NULL},
    {"tanh", 1, 1, NULL, tg_tanh, NULL, NULL},
    {"relu", 1, 1, NULL, tg_relu, NULL, NULL},
    {"leaky_relu", 1, 2, "slope", NULL, NULL, leaky_relu},
    {"step", 1, 1, NULL, tg_step, NULL, NULL},
    {"linear", 1, 1, NULL, tg_linear, NULL, NULL},
    {"softmax", 1, 2, "axis", NULL, NULL, softmax},
    {"log_softmax", 1, 2, "axis", NULL, NULL, log_softmax},
    {"sum", 1, 1, NULL, tg_sum, NULL, NULL},
    {"mean", 1, 1, NULL, tg_mean, NULL, NULL},
    {"max", 1, 2, NULL, NULL, NULL, max_fn},
    {"min", 1, 2, NULL, NULL, NULL, min_fn},
    {"transpose", 1, 1, NULL, tg_transpose, NULL, NULL},
    {"mse", 2, 2, NULL, NULL, mse, NULL},
    {"sse", 2, 2, NULL, NULL, sse, NULL},
    {"l2", 2, 2, NULL, NULL, l2, NULL},
    {"bce", 2, 2, NULL, NULL, bce, NULL},
    {"bce_logits", 2, 2, NULL, NULL, bce_logits, NULL},
    {"ce", 2, 2, NULL, NULL, NULL, ce},
};

static const function_def *lookup(const char *name, size_t len)
{
    for (size_t i = 0; i < sizeof functions / sizeof *functions; i++)
        if (strlen(functions[i].name) == len && memcmp(functions[i].name, name, len) == 0)
            return &functions[i];
    return NULL;
}

bool is_function_name(const char *name, size_t len) { return lookup(name, len) != NULL; }

int function_param_index(const char *name, const char *param, size_t len)
{
    const function_def *f = lookup(name, strlen(name));
    if (f && f->param2 && strlen(f->param2) == len && memcmp(f->param2, param, len) == 0)
        return 1;
    return -1;
}

static bool check_arity(const function_def *f, int nargs, const call_site *site)
{
    if (nargs >= f->min_args && nargs <= f->max_args)
        return true;
    char want[64];
    if (f->min_args == f->max_args)
        snprintf(want, sizeof want, "%d", f->min_args);
    else
        snprintf(want, sizeof want, "%d or %d", f->min_args, f->max_args);
    diag_at(site->d, site->src, NULL, site->offset, "%s() takes %s argument%s, not %d", f->name,
            want, f->max_args == 1 ? "" : "s", nargs);
    return false;
}

bool call_function(const char *name, operand *args, int nargs, const char *src, int offset,
                   operand *out, diag *d)
{
    const function_def *f = lookup(name, strlen(name));
    call_site site = {src, offset, d};
    if (!check_arity(f, nargs, &site))
        return false;
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
