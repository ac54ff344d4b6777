/*
 * tapegrad/losses.h -- loss functions built from ops, so that tg_backward
 * differentiates them like any other graph.
 *
 * Arguments come in PyTorch's order, (prediction, target). A loss returns a
 * 0-d tape tensor of the prediction's dtype, or NULL with tg_last_error set.
 * Prediction and target must have the same dtype and exactly the same shape:
 * a [B,1] prediction against a [B] target is an error naming both shapes, not
 * a silent [B,B] broadcast.
 *
 * reduction: TG_REDUCTION_MEAN divides the summed per-element loss by the
 * number of elements (for the cross entropies: by the batch size B, the rows
 * of a [B,C] input), TG_REDUCTION_SUM does not divide.
 */
#ifndef TAPEGRAD_LOSSES_H
#define TAPEGRAD_LOSSES_H

#include <tapegrad/export.h>

#include <tapegrad/tensor.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { TG_REDUCTION_MEAN, TG_REDUCTION_SUM } tg_reduction;

/* Mean squared error 1/n sum (y - yhat)^2 (sum: SSE); d/dyhat = 2 (yhat - y) / n. */
TG_API tg_tensor *tg_mse_loss(tg_tensor *pred, tg_tensor *target, tg_reduction reduction);
/* Sum of squared errors sum (y - yhat)^2; d/dyhat = 2 (yhat - y). */
TG_API tg_tensor *tg_sse_loss(tg_tensor *pred, tg_tensor *target);
/* The L2 loss 1/2 sum (y - yhat)^2 of the notes; d/dyhat = yhat - y. */
TG_API tg_tensor *tg_l2_loss(tg_tensor *pred, tg_tensor *target);

/* Binary cross entropy on probabilities p in [0, 1] (checked):
 *     l = -(y log p + (1 - y) log(1 - p))
 * Each log is clamped to >= -100, as in PyTorch's BCELoss, so p = 0 or 1
 * gives a finite loss (at most 100 per element). The gradient is that of the
 * clamped function: 0 through a clamped log, -y / p + (1 - y) / (1 - p)
 * elsewhere (half of it where a log is exactly -100: the tie rule of the
 * tg_maximum that clamps it), which is huge for p near 0 or 1; prefer
 * tg_bce_logits_loss. */
TG_API tg_tensor *tg_bce_loss(tg_tensor *prob, tg_tensor *target, tg_reduction reduction);
/* Binary cross entropy from logits z, l = -(y log s(z) + (1 - y) log(1 - s(z))),
 * computed stably as max(z, 0) - z y + log(1 + e^-|z|): no exponent is
 * positive, so logits of any size give finite values. d/dz = s(z) - y, also
 * at z = 0, where the max's tie rule and |z|'s zero slope give 1/2 - y. */
TG_API tg_tensor *tg_bce_logits_loss(tg_tensor *logits, tg_tensor *target, tg_reduction reduction);

/* Categorical cross entropy from logits [B,C] (or [C], one sample) against
 * class indices labels[0..B-1], each in 0..C-1 (checked):
 *     l_b = -log softmax(z_b)[labels[b]]
 * fused as log-softmax and a one-hot negative log likelihood, stable for any
 * logits. Mean divides by B. d/dz_b = (softmax(z_b) - onehot(labels[b])) / B.
 * labels are read when it is called: a tg_program replays the one-hot of
 * the captured call (use tg_cross_entropy_probs_loss with a persistent
 * target there; docs/program.md). */
TG_API tg_tensor *tg_cross_entropy_loss(tg_tensor *logits, const int64_t *labels,
                                 tg_reduction reduction);
/* Cross entropy against a target distribution of the logits' shape:
 *     l_b = -sum_c target_bc log softmax(z_b)_c;   mean divides by B. */
TG_API tg_tensor *tg_cross_entropy_probs_loss(tg_tensor *logits, tg_tensor *target_probs,
                                       tg_reduction reduction);

/* Huber loss with threshold delta > 0, d = yhat - y:
 *     l = d^2 / 2                 if |d| <= delta
 *         delta (|d| - delta / 2) otherwise
 * d/dyhat = d inside, delta sign(d) outside (PyTorch's HuberLoss). */
TG_API tg_tensor *tg_huber_loss(tg_tensor *pred, tg_tensor *target, double delta,
                         tg_reduction reduction);

/* ---- the losses by name: a training objective ----------------------------
 *
 * What tg train's --loss names and tg_train_epoch_loss takes. The output is
 * the model's raw [B,K] output and the loss is always averaged over the
 * batch as PyTorch's defaults do (sse and l2 are sums by definition). The
 * notes' table: a classifier's output node is a softmax (ce) or a sigmoid
 * (bce, bce_logits), a regressor's is linear (mse, sse, l2, huber). */
typedef enum {
    TG_LOSS_CE,         /* "ce": tg_cross_entropy_loss of [B,C] logits, C >= 2 classes */
    TG_LOSS_BCE,        /* "bce": tg_bce_loss of sigmoid(output), like nn.Sigmoid + BCELoss */
    TG_LOSS_BCE_LOGITS, /* "bce_logits": tg_bce_logits_loss (BCEWithLogitsLoss), stabler */
    TG_LOSS_MSE,        /* "mse": tg_mse_loss, mean */
    TG_LOSS_SSE,        /* "sse": tg_sse_loss */
    TG_LOSS_L2,         /* "l2": tg_l2_loss, half the SSE */
    TG_LOSS_HUBER,      /* "huber": tg_huber_loss with delta 1, PyTorch's default, mean */
    TG_LOSS_COUNT       /* the number of losses, not one */
} tg_loss_kind;

TG_API const char *tg_loss_name(tg_loss_kind kind); /* "ce", ...; "?" if unknown */
/* The loss called name; an unknown name is an error listing the valid ones. */
TG_API int tg_loss_parse(const char *name, tg_loss_kind *out);
/* Whether kind is a regression loss (mse, sse, l2, huber), which compares
 * real-valued targets, rather than a classifier's, which reads labels. */
TG_API bool tg_loss_is_regression(tg_loss_kind kind);

/* The loss kind of a batch's output. A classifier's loss reads labels (B
 * class indices): ce takes [B,C] logits; bce and bce_logits one logit per
 * sample, [B,1], against labels 0 and 1. A regression loss compares output
 * with targets, of the output's shape. The unused one of labels and targets
 * may be NULL. */
TG_API tg_tensor *tg_loss_of(tg_loss_kind kind, tg_tensor *output, const int64_t *labels,
                             tg_tensor *targets);

#ifdef __cplusplus
}
#endif
#endif
