/*
 * tapegrad/train.h -- the training loop, shared by the examples and `tg
 * train`: one epoch of mini-batch steps, and evaluation, for a classifier
 * or a regressor.
 *
 * One step is the notes' rule over a mini-batch: forward the batch through
 * the model, the loss (cross-entropy from the logits unless another
 * tg_loss_kind is named) averaged over the batch (so the gradient is (1/N)
 * sum of per-sample gradients), tg_backward, optimizer step, zero the
 * gradients, reset the tape. The loop allocates nothing per step
 * once the first step has sized the tape.
 */
#ifndef TAPEGRAD_TRAIN_H
#define TAPEGRAD_TRAIN_H

#include <tapegrad/export.h>

#include <signal.h>

#include <tapegrad/data.h>
#include <tapegrad/layers.h>
#include <tapegrad/losses.h>
#include <tapegrad/optim.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    double loss;      /* mean loss over the samples seen (sse and l2, sums over a
                         batch, per sample: divided by the batch's size) */
    double accuracy;  /* fraction of them classified correctly; NaN for a regression loss */
    double mse, r2;   /* a regression loss's mean squared error and R^2
                         (tg_regression_meter); NaN for a classifier's */
    int64_t samples;  /* samples seen */
    double seconds;   /* wall-clock time */
    bool stopped;     /* ended early because *stop was set */
} tg_epoch_stats;

/* Called after every batch with the batches done and per epoch, and the
 * running statistics; for progress bars. */
typedef void (*tg_batch_callback)(int64_t done, int64_t total, const tg_epoch_stats *so_far,
                                  void *user);

/* Runs one epoch of batcher through model and optim, with the model in
 * training mode (tg_model_train), where it stays. If stop is not NULL
 * and becomes non-zero (e.g. from a SIGINT handler), the epoch ends after
 * the current batch with stats->stopped set. on_batch may be NULL. */
TG_API int tg_train_epoch(tg_model *model, tg_optim *optim, tg_batcher *batcher,
                   const volatile sig_atomic_t *stop, tg_batch_callback on_batch, void *user,
                   tg_epoch_stats *stats);

/* tg_train_epoch with the loss named by loss: a classifier's (ce, bce,
 * bce_logits) reads the batches' labels, a regression loss the batches'
 * targets (tg_batcher_targets), which the data set must then have. For bce
 * and bce_logits the class predicted is 1 where the output (a logit) is
 * above 0, i.e. where the sigmoid is above 1/2. */
TG_API int tg_train_epoch_loss(tg_model *model, tg_optim *optim, tg_batcher *batcher,
                               tg_loss_kind loss, const volatile sig_atomic_t *stop,
                               tg_batch_callback on_batch, void *user, tg_epoch_stats *stats);

/* Mean cross-entropy and accuracy of model on data, in batches of
 * batch_size, without recording, in evaluation mode (the model's mode is
 * restored afterwards). If confusion is not NULL it receives the
 * n_classes x n_classes confusion matrix (row = true class), zeroed first. */
TG_API int tg_evaluate(tg_model *model, const tg_dataset *data, int64_t batch_size,
                tg_epoch_stats *stats, int64_t *confusion);
/* tg_evaluate with the loss named by loss, as tg_train_epoch_loss uses it;
 * confusion, for a classifier's loss only, has 2 x 2 entries for bce and
 * bce_logits. */
TG_API int tg_evaluate_loss(tg_model *model, const tg_dataset *data, int64_t batch_size,
                            tg_loss_kind loss, tg_epoch_stats *stats, int64_t *confusion);

/* Seconds on a monotonic clock, the one the seconds above are measured on;
 * as with Python's time.perf_counter, only differences mean anything. */
TG_API double tg_perf_counter(void);

#ifdef __cplusplus
}
#endif
#endif
