/* losses.c -- loss functions as compositions of ops; tg_backward gets their
 * gradients from the ops' rules, so each function here is only the forward
 * formula plus argument checks. */
#include <float.h>
#include <math.h>
#include <string.h>

#include <tapegrad/losses.h>
#include <tapegrad/ops.h>

#include "nn_internal.h"

static int check_reduction(const char *fn, tg_reduction reduction)
{
    if (reduction == TG_REDUCTION_MEAN || reduction == TG_REDUCTION_SUM)
        return TG_OK;
    return tg_set_error(TG_EVALUE, "%s: reduction %d is neither TG_REDUCTION_MEAN nor "
                        "TG_REDUCTION_SUM", fn, (int)reduction);
}

/* Prediction and target: live, one dtype and exactly one shape. */
static int check_pair(const char *fn, const tg_tensor *pred, const tg_tensor *target)
{
    int rc = tg_check_tensor(fn, pred, 1);
    if (rc == 0)
        rc = tg_check_tensor(fn, target, 2);
    if (rc == 0 && tg_dtype_of(pred) != tg_dtype_of(target))
        rc = tg_set_error(TG_EDTYPE, "%s: dtypes differ: %s and %s (use tg_cast)", fn,
                          tg_dtype_name(tg_dtype_of(pred)), tg_dtype_name(tg_dtype_of(target)));
    if (rc < 0 || nn_same_shape(pred, target))
        return rc;
    char a[96], b[96];
    return tg_set_error(TG_ESHAPE, "%s: prediction shape %s and target shape %s differ (losses do "
                        "not broadcast; reshape one of them)", fn,
                        tg_shape_str(pred, a, sizeof a), tg_shape_str(target, b, sizeof b));
}

static int check_args(const char *fn, const tg_tensor *pred, const tg_tensor *target,
                      tg_reduction reduction)
{
    int rc = check_pair(fn, pred, target);
    return rc < 0 ? rc : check_reduction(fn, reduction);
}

static tg_tensor *reduce(tg_tensor *per_element, tg_reduction reduction)
{
    return reduction == TG_REDUCTION_MEAN ? tg_mean(per_element) : tg_sum(per_element);
}

static tg_tensor *constant_like(const tg_tensor *x, double v)
{
    return x ? tg_scalar_of(tg_dtype_of(x), v) : NULL;
}

/* ---- squared errors ---- */

/* (pred - target)^2 as tg_square, not d * d: the same values and gradients
 * bit for bit, and `tg explain` shows one square with its 2d instead of a
 * product whose operand is used twice. */
static tg_tensor *squared_errors(tg_tensor *pred, tg_tensor *target)
{
    return tg_square(tg_sub(pred, target));
}

tg_tensor *tg_mse_loss(tg_tensor *pred, tg_tensor *target, tg_reduction reduction)
{
    if (check_args("tg_mse_loss", pred, target, reduction) < 0)
        return NULL;
    return reduce(squared_errors(pred, target), reduction);
}

tg_tensor *tg_sse_loss(tg_tensor *pred, tg_tensor *target)
{
    if (check_pair("tg_sse_loss", pred, target) < 0)
        return NULL;
    return tg_sum(squared_errors(pred, target));
}

tg_tensor *tg_l2_loss(tg_tensor *pred, tg_tensor *target)
{
    if (check_pair("tg_l2_loss", pred, target) < 0)
        return NULL;
    return tg_mul_scalar(tg_sum(squared_errors(pred, target)), 0.5);
}

/* ---- binary cross entropy ----
 *
 * Written with tg_maximum rather than masks and tg_where, so that `tg
 * explain bce(...)` shows every step as a formula. */

static int check_probabilities(const char *fn, const tg_tensor *p)
{
    tg_dtype dtype = tg_dtype_of(p);
    const void *data = tg_data(p);
    for (int64_t i = 0, n = tg_numel(p); i < n; i++) {
        double v = nn_load(dtype, data, i);
        if (!(v >= 0.0 && v <= 1.0))
            return tg_set_error(TG_EVALUE, "%s: probability %lld is %g, outside [0, 1]", fn,
                                (long long)i, v);
    }
    return TG_OK;
}

/* max(log x, -100) for x in [0, 1], as max(log(max(x, m)), -100) with m the
 * dtype's smallest positive value: the inner max moves only an exact 0, so
 * that the log never sees one (its gradient 1/0 times the outer max's 0 would
 * be NaN); log m is below -100 in both dtypes, so the outer max alone sets
 * the floor, exactly -100 in float32 too, where e^-100 is not representable. */
static tg_tensor *clamped_log(tg_tensor *x)
{
    const double floor_value = -100.0;
    tg_dtype dtype = x ? tg_dtype_of(x) : TG_F64;
    tg_tensor *tiny = tg_scalar_of(dtype, dtype == TG_F32 ? FLT_TRUE_MIN : DBL_TRUE_MIN);
    return tg_maximum(tg_log(tg_maximum(x, tiny)), constant_like(x, floor_value));
}

static tg_tensor *one_minus(tg_tensor *x) { return tg_sub(constant_like(x, 1.0), x); }

/* -(t log p + (1 - t) log(1 - p)), each term in its own statement so that
 * the tape's order does not depend on the order C evaluates arguments in. */
tg_tensor *tg_bce_loss(tg_tensor *prob, tg_tensor *target, tg_reduction reduction)
{
    const char *fn = "tg_bce_loss";
    if (check_args(fn, prob, target, reduction) < 0 || check_probabilities(fn, prob) < 0)
        return NULL;
    tg_tensor *positive = tg_mul(target, clamped_log(prob));
    tg_tensor *weight = one_minus(target);
    tg_tensor *negative = tg_mul(weight, clamped_log(one_minus(prob)));
    return reduce(tg_neg(tg_add(positive, negative)), reduction);
}

/* max(z, 0) - z t + log(1 + e^-|z|): no exponent is positive. At z = 0 the
 * max sends 1/2 of its gradient to z (its tie rule) and |z| sends 0, so
 * d/dz = 1/2 - t, the true derivative s(0) - t. */
tg_tensor *tg_bce_logits_loss(tg_tensor *logits, tg_tensor *target, tg_reduction reduction)
{
    if (check_args("tg_bce_logits_loss", logits, target, reduction) < 0)
        return NULL;
    tg_tensor *z = logits, *positive_part = tg_maximum(z, constant_like(z, 0.0));
    tg_tensor *linear = tg_sub(positive_part, tg_mul(z, target));
    tg_tensor *softplus = tg_log(tg_add_scalar(tg_exp(tg_neg(tg_abs(z))), 1.0));
    return reduce(tg_add(linear, softplus), reduction);
}

/* ---- categorical cross entropy ---- */

/* logits must be [B,C] or [C] with B, C >= 1; *batch gets B (1 for [C]). */
static int check_logits(const char *fn, const tg_tensor *logits, int64_t *batch)
{
    int rc = tg_check_tensor(fn, logits, 1);
    if (rc < 0)
        return rc;
    char dims[96];
    tg_shape_str(logits, dims, sizeof dims);
    int ndim = tg_ndim(logits);
    if (ndim != 1 && ndim != 2)
        return tg_set_error(TG_ESHAPE, "%s: logits must be [batch, classes] or [classes], got %s",
                            fn, dims);
    if (tg_numel(logits) == 0)
        return tg_set_error(TG_ESHAPE, "%s: logits %s are empty", fn, dims);
    *batch = ndim == 2 ? tg_shape(logits)[0] : 1;
    return TG_OK;
}

static int check_labels(const char *fn, const int64_t *labels, int64_t batch, int64_t classes)
{
    if (!labels)
        return tg_set_error(TG_ENULL, "%s: argument 2 (labels) is NULL", fn);
    for (int64_t b = 0; b < batch; b++)
        if (labels[b] < 0 || labels[b] >= classes)
            return tg_set_error(TG_EVALUE, "%s: labels[%lld] = %lld is out of range for %lld "
                                "classes (0..%lld)", fn, (long long)b, (long long)labels[b],
                                (long long)classes, (long long)(classes - 1));
    return TG_OK;
}

/* -sum(target * log_softmax(z)) over everything, divided by B for the mean. */
static tg_tensor *soft_nll(tg_tensor *logits, tg_tensor *target, int64_t batch,
                           tg_reduction reduction)
{
    tg_tensor *total = tg_sum(tg_mul(target, tg_log_softmax(logits, -1)));
    return tg_mul_scalar(total, reduction == TG_REDUCTION_MEAN ? -1.0 / (double)batch : -1.0);
}

tg_tensor *tg_cross_entropy_loss(tg_tensor *logits, const int64_t *labels,
                                 tg_reduction reduction)
{
    const char *fn = "tg_cross_entropy_loss";
    int64_t batch = 0;
    if (check_logits(fn, logits, &batch) < 0 || check_reduction(fn, reduction) < 0)
        return NULL;
    int ndim = tg_ndim(logits);
    int64_t classes = tg_shape(logits)[ndim - 1];
    if (check_labels(fn, labels, batch, classes) < 0)
        return NULL;
    tg_tensor *onehot = tg_tensor_new(tg_dtype_of(logits), ndim, tg_shape(logits), NULL, false);
    if (!onehot)
        return NULL;
    for (int64_t b = 0; b < batch; b++)
        tg_set(onehot, b * classes + labels[b], 1.0);
    return soft_nll(logits, onehot, batch, reduction);
}

tg_tensor *tg_cross_entropy_probs_loss(tg_tensor *logits, tg_tensor *target_probs,
                                       tg_reduction reduction)
{
    const char *fn = "tg_cross_entropy_probs_loss";
    int64_t batch = 0;
    if (check_logits(fn, logits, &batch) < 0 || check_args(fn, logits, target_probs, reduction) < 0)
        return NULL;
    return soft_nll(logits, target_probs, batch, reduction);
}

/* ---- Huber ---- */

tg_tensor *tg_huber_loss(tg_tensor *pred, tg_tensor *target, double delta, tg_reduction reduction)
{
    const char *fn = "tg_huber_loss";
    if (check_args(fn, pred, target, reduction) < 0)
        return NULL;
    if (!(delta > 0.0 && isfinite(delta))) {
        tg_set_error(TG_EVALUE, "%s: delta must be positive and finite, got %g", fn, delta);
        return NULL;
    }
    tg_tensor *d = tg_sub(pred, target), *abs_d = tg_abs(d);
    tg_tensor *inside = NULL; /* 1 where |d| <= delta: a branch selector, not differentiated */
    TG_NO_GRAD { inside = tg_step(tg_add_scalar(tg_neg(abs_d), delta)); }
    tg_tensor *quadratic = tg_mul_scalar(tg_square(d), 0.5);
    tg_tensor *linear = tg_mul_scalar(tg_add_scalar(abs_d, -0.5 * delta), delta);
    return reduce(tg_where(inside, quadratic, linear), reduction);
}

/* ---- the losses by name ---- */

static const char *const loss_names[TG_LOSS_COUNT] = {
    [TG_LOSS_CE] = "ce",   [TG_LOSS_BCE] = "bce", [TG_LOSS_BCE_LOGITS] = "bce_logits",
    [TG_LOSS_MSE] = "mse", [TG_LOSS_SSE] = "sse", [TG_LOSS_L2] = "l2",
    [TG_LOSS_HUBER] = "huber",
};

#define HUBER_DEFAULT_DELTA 1.0 /* PyTorch's HuberLoss default */

const char *tg_loss_name(tg_loss_kind kind)
{
    return kind >= 0 && kind < TG_LOSS_COUNT ? loss_names[kind] : "?";
}

int tg_loss_parse(const char *name, tg_loss_kind *out)
{
    if (!name || !out)
        return tg_set_error(TG_ENULL, "tg_loss_parse: argument %d (%s) is NULL", name ? 2 : 1,
                            name ? "out" : "name");
    for (int k = 0; k < TG_LOSS_COUNT; k++)
        if (strcmp(name, loss_names[k]) == 0) {
            *out = (tg_loss_kind)k;
            return TG_OK;
        }
    return tg_set_error(TG_EVALUE, "unknown loss '%.40s'; the losses are ce, bce, bce_logits (for "
                        "classifiers) and mse, sse, l2, huber (for regression)", name);
}

bool tg_loss_is_regression(tg_loss_kind kind)
{
    return kind == TG_LOSS_MSE || kind == TG_LOSS_SSE || kind == TG_LOSS_L2 ||
           kind == TG_LOSS_HUBER;
}

/* Labels 0 and 1 as the [B,1] target of a binary classifier's [B,1] output. */
static tg_tensor *binary_target(const char *fn, const tg_tensor *output, const int64_t *labels)
{
    char dims[96];
    if (tg_ndim(output) != 2 || tg_shape(output)[1] != 1) {
        tg_set_error(TG_ESHAPE, "%s: a binary classifier's output is [batch, 1], one logit per "
                     "sample, got %s", fn, tg_shape_str(output, dims, sizeof dims));
        return NULL;
    }
    int64_t batch = tg_shape(output)[0];
    if (check_labels(fn, labels, batch, 2) < 0)
        return NULL;
    tg_tensor *target = tg_tensor_new(tg_dtype_of(output), 2, tg_shape(output), NULL, false);
    for (int64_t b = 0; target && b < batch; b++)
        tg_set(target, b, (double)labels[b]);
    return target;
}

static tg_tensor *regression_loss(tg_loss_kind kind, tg_tensor *output, tg_tensor *targets)
{
    switch (kind) {
    case TG_LOSS_MSE: return tg_mse_loss(output, targets, TG_REDUCTION_MEAN);
    case TG_LOSS_SSE: return tg_sse_loss(output, targets);
    case TG_LOSS_L2: return tg_l2_loss(output, targets);
    default: return tg_huber_loss(output, targets, HUBER_DEFAULT_DELTA, TG_REDUCTION_MEAN);
    }
}

tg_tensor *tg_loss_of(tg_loss_kind kind, tg_tensor *output, const int64_t *labels,
                      tg_tensor *targets)
{
    const char *fn = "tg_loss_of";
    if (kind < 0 || kind >= TG_LOSS_COUNT) {
        tg_set_error(TG_EVALUE, "%s: loss kind %d is not a tg_loss_kind", fn, (int)kind);
        return NULL;
    }
    if (tg_check_tensor(fn, output, 2) < 0)
        return NULL;
    if (kind == TG_LOSS_CE)
        return tg_cross_entropy_loss(output, labels, TG_REDUCTION_MEAN);
    if (tg_loss_is_regression(kind)) {
        if (!targets)
            tg_set_error(TG_ENULL, "%s: %s compares real-valued targets, and there are none", fn,
                         loss_names[kind]);
        return targets ? regression_loss(kind, output, targets) : NULL;
    }
    tg_tensor *target = binary_target(fn, output, labels);
    if (!target)
        return NULL;
    if (kind == TG_LOSS_BCE)
        return tg_bce_loss(tg_sigmoid(output), target, TG_REDUCTION_MEAN);
    return tg_bce_logits_loss(output, target, TG_REDUCTION_MEAN);
}
