/*
 * tapegrad/train.h -- the classification training loop, shared by the
 * examples and `tg train`: one epoch of mini-batch steps, and evaluation.
 *
 * One step is the notes' rule over a mini-batch: forward the batch through
 * the model, cross-entropy from the logits averaged over the batch (so the
 * gradient is (1/N) sum of per-sample gradients), tg_backward, optimizer step,
 * zero the gradients, reset the tape. The loop allocates nothing per step
 * once the first step has sized the tape.
 */
#ifndef TAPEGRAD_TRAIN_H
#define TAPEGRAD_TRAIN_H

#include <tapegrad/export.h>

#include <signal.h>

#include <tapegrad/data.h>
#include <tapegrad/layers.h>
#include <tapegrad/optim.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    double loss;      /* mean cross-entropy over the samples seen */
    double accuracy;  /* fraction of them classified correctly */
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

/* Mean cross-entropy and accuracy of model on data, in batches of
 * batch_size, without recording, in evaluation mode (the model's mode is
 * restored afterwards). If confusion is not NULL it receives the
 * n_classes x n_classes confusion matrix (row = true class), zeroed first. */
TG_API int tg_evaluate(tg_model *model, const tg_dataset *data, int64_t batch_size,
                tg_epoch_stats *stats, int64_t *confusion);

/* Seconds on a monotonic clock, the one the seconds above are measured on;
 * as with Python's time.perf_counter, only differences mean anything. */
TG_API double tg_perf_counter(void);

#ifdef __cplusplus
}
#endif
#endif
