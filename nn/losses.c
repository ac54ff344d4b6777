/* losses.c -- loss functions as compositions of ops; tg_backward gets their
 * gradients from the ops' rules, so each function here is only the forward
 * formula plus argument checks. */
#include <math.h>

#include <tapegrad/losses.h>
#include <tapegrad/ops.h>

#include "../autograd/internal.h"

static int check_reduction(const char *fn, tg_reduction reduction)
{
    if (reduction == TG_REDUCTION_MEAN || reduction == TG_REDUCTION_SUM)
        return TG_OK;
    return tg__fail(TG_EVALUE, "%s: reduction %d is neither TG_REDUCTION_MEAN nor "
                    "TG_REDUCTION_SUM", fn, (int)reduction);
}

/* Prediction and target: live, one dtype and exactly one shape. */
static int check_pair(const char *fn, const tg_tensor *pred, const tg_tensor *target)
{
    int rc = tg__check(fn, pred, 1);
    if (rc == 0)
        rc = tg__check(fn, target, 2);
    if (rc == 0)
        rc = tg__check_same_dtype(fn, pred, target);
    if (rc < 0 || tg__same_shape(pred, target))
        return rc;
    char a[96], b[96];
    return tg__fail(TG_ESHAPE, "%s: prediction shape %s and target shape %s differ (losses do "
                    "not broadcast; reshape one of them)", fn,
                    tg__dims_str(pred->ndim, pred->shape, a, sizeof a),
                    tg__dims_str(target->ndim, target->shape, b, sizeof b));
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

/* 1 where x >= 0, else 0, as a constant: a branch selector that must not
 * itself be differentiated, so it is computed with recording off. */
static tg_tensor *nonnegative_mask(tg_tensor *x)
{
    tg_tensor *mask = NULL;
    TG_NO_GRAD { mask = tg_step(x); }
    return mask;
}

static tg_tensor *constant_like(const tg_tensor *x, double v)
{
    return x ? tg_scalar_of((tg_dtype)x->dtype, v) : NULL;
}

/* ---- squared errors ---- */

static tg_tensor *squared_errors(tg_tensor *pred, tg_tensor *target)
{
    tg_tensor *d = tg_sub(pred, target);
    return tg_mul(d, d);
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

/* ---- binary cross entropy ---- */

static int check_probabilities(const char *fn, const tg_tensor *p)
{
    for (int64_t i = 0; i < p->numel; i++) {
        double v = tg__load(p, i);
        if (!(v >= 0.0 && v <= 1.0))
            return tg__fail(TG_EVALUE, "%s: probability %lld is %g, outside [0, 1]", fn,
                            (long long)i, v);
    }
    return TG_OK;
}

/* max(log x, -100) for x in [0, 1]. Where the log is clamped, x is swapped
 * for 1 before the log so that no 0 reaches it: the unused branch of a where
 * still gets a zero gradient, and 0 / 0 there would make it NaN. */
static tg_tensor *clamped_log(tg_tensor *x)
{
    const double floor_value = -100.0;
    tg_tensor *keep = NULL;
    TG_NO_GRAD { keep = tg_step(tg_add_scalar(tg_log(x), -floor_value)); }
    tg_tensor *safe = tg_where(keep, x, constant_like(x, 1.0));
    return tg_where(keep, tg_log(safe), constant_like(x, floor_value));
}

static tg_tensor *one_minus(tg_tensor *x) { return tg_add_scalar(tg_neg(x), 1.0); }

tg_tensor *tg_bce_loss(tg_tensor *prob, tg_tensor *target, tg_reduction reduction)
{
    const char *fn = "tg_bce_loss";
    if (check_args(fn, prob, target, reduction) < 0 || check_probabilities(fn, prob) < 0)
        return NULL;
    tg_tensor *log_p = clamped_log(prob), *log_q = clamped_log(one_minus(prob));
    tg_tensor *likelihood = tg_add(tg_mul(target, log_p), tg_mul(one_minus(target), log_q));
    return reduce(tg_neg(likelihood), reduction);
}

/* max(z, 0) - z y + log(1 + e^-|z|). max(z, 0) and -|z| are selected with a
 * where rather than tg_relu and tg_abs: at z = 0 both of those take slope 0,
 * which would leave d/dz = -y instead of s(0) - y = 1/2 - y; the where gives
 * the slopes 1 and -1 of the z >= 0 side, whose sum is right. */
tg_tensor *tg_bce_logits_loss(tg_tensor *logits, tg_tensor *target, tg_reduction reduction)
{
    if (check_args("tg_bce_logits_loss", logits, target, reduction) < 0)
        return NULL;
    tg_tensor *z = logits, *nonneg = nonnegative_mask(z);
    tg_tensor *positive_part = tg_where(nonneg, z, constant_like(z, 0.0));
    tg_tensor *minus_abs = tg_where(nonneg, tg_neg(z), z);
    tg_tensor *softplus = tg_add(positive_part, tg_log(tg_add_scalar(tg_exp(minus_abs), 1.0)));
    return reduce(tg_sub(softplus, tg_mul(z, target)), reduction);
}

/* ---- categorical cross entropy ---- */

/* logits must be [B,C] or [C] with B, C >= 1; *batch gets B (1 for [C]). */
static int check_logits(const char *fn, const tg_tensor *logits, int64_t *batch)
{
    int rc = tg__check(fn, logits, 1);
    if (rc < 0)
        return rc;
    char dims[96];
    tg__dims_str(logits->ndim, logits->shape, dims, sizeof dims);
    if (logits->ndim != 1 && logits->ndim != 2)
        return tg__fail(TG_ESHAPE, "%s: logits must be [batch, classes] or [classes], got %s",
                        fn, dims);
    if (logits->numel == 0)
        return tg__fail(TG_ESHAPE, "%s: logits %s are empty", fn, dims);
    *batch = logits->ndim == 2 ? logits->shape[0] : 1;
    return TG_OK;
}

static int check_labels(const char *fn, const int64_t *labels, int64_t batch, int64_t classes)
{
    if (!labels)
        return tg__fail(TG_ENULL, "%s: argument 2 (labels) is NULL", fn);
    for (int64_t b = 0; b < batch; b++)
        if (labels[b] < 0 || labels[b] >= classes)
            return tg__fail(TG_EVALUE, "%s: labels[%lld] = %lld is out of range for %lld "
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
    int64_t classes = logits->shape[logits->ndim - 1];
    if (check_labels(fn, labels, batch, classes) < 0)
        return NULL;
    tg_tensor *onehot = tg_tensor_new((tg_dtype)logits->dtype, logits->ndim, logits->shape, NULL,
                                      false);
    if (!onehot)
        return NULL;
    for (int64_t b = 0; b < batch; b++)
        tg__store(onehot, b * classes + labels[b], 1.0);
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
        tg__fail(TG_EVALUE, "%s: delta must be positive and finite, got %g", fn, delta);
        return NULL;
    }
    tg_tensor *d = tg_sub(pred, target), *abs_d = tg_abs(d);
    tg_tensor *inside = NULL; /* 1 where |d| <= delta: a branch selector, not differentiated */
    TG_NO_GRAD { inside = tg_step(tg_add_scalar(tg_neg(abs_d), delta)); }
    tg_tensor *quadratic = tg_mul_scalar(tg_mul(d, d), 0.5);
    tg_tensor *linear = tg_mul_scalar(tg_add_scalar(abs_d, -0.5 * delta), delta);
    return reduce(tg_where(inside, quadratic, linear), reduction);
}
