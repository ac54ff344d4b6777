/*
 * tapegrad/metrics.h -- classification and regression metrics and a running
 * mean.
 *
 * The metrics read tensor values only: they record nothing on the tape and
 * take logits or probabilities alike, since both have the same argmax.
 * Scores are [B,C] (B rows of C class scores) or [C] (one row); labels hold
 * B class indices in 0..C-1 (checked).
 */
#ifndef TAPEGRAD_METRICS_H
#define TAPEGRAD_METRICS_H

#include <tapegrad/export.h>

#include <tapegrad/tensor.h>

#ifdef __cplusplus
extern "C" {
#endif

/* out[b] = the column of row b's largest score; the first one on a tie, and a
 * NaN counts as largest (as in NumPy and PyTorch). */
TG_API int tg_argmax_rows(const tg_tensor *scores, int64_t *out);

/* The fraction of rows whose argmax equals the label, in [0, 1]; NaN on error. */
TG_API double tg_accuracy(const tg_tensor *scores, const int64_t *labels);

/* Adds each row to matrix[label * n_classes + argmax] (row = true class,
 * column = predicted class), so calls accumulate over batches; zero the
 * n_classes^2 entries first. n_classes must equal C. */
TG_API int tg_confusion_matrix(const tg_tensor *scores, const int64_t *labels, int64_t n_classes,
                        int64_t *matrix);

/* A running mean, e.g. of the loss over an epoch's batches. Zero-initialise
 * it (tg_mean_meter m = {0};) or call tg_mean_meter_reset. */
typedef struct {
    double sum;    /* of value * count over every add */
    int64_t count; /* samples added */
} tg_mean_meter;

/* Adds value as the mean of count samples (a batch's mean loss and its size),
 * so batches of different sizes weigh by their samples. */
TG_API void tg_mean_meter_add(tg_mean_meter *meter, double value, int64_t count);
TG_API double tg_mean_meter_value(const tg_mean_meter *meter); /* NaN before any sample */
TG_API void tg_mean_meter_reset(tg_mean_meter *meter);

/* ---- regression: mean squared error and R^2 over batches -----------------
 *
 * A regression meter accumulates predictions against targets, both [B,K]
 * (K outputs per sample) or [B] (K = 1), batch after batch, keeping per
 * output the count, the targets' mean and sum of squared deviations (merged
 * batch by batch with the parallel-variance formula, so a large mean does
 * not cancel the small deviations) and the sum of squared errors. */
typedef struct {
    int64_t outputs;  /* K */
    int64_t count;    /* samples added */
    double *mean;     /* K targets' means */
    double *m2;       /* K sums of squared deviations of the targets from their mean */
    double *sse;      /* K sums of squared errors */
} tg_regression_meter;

/* Allocates the K-output meter, zeroed; release it with tg_regression_meter_free. */
TG_API int tg_regression_meter_init(tg_regression_meter *meter, int64_t outputs);
TG_API void tg_regression_meter_free(tg_regression_meter *meter); /* NULL is ignored */
TG_API void tg_regression_meter_reset(tg_regression_meter *meter); /* back to no samples */
/* Adds a batch: pred and target of one shape, [B,K] or [B] with the
 * meter's K, any dtype each. */
TG_API int tg_regression_meter_add(tg_regression_meter *meter, const tg_tensor *pred,
                                   const tg_tensor *target);
/* The mean of the squared errors over every sample and output (what
 * tg_mse_loss averages); NaN before any sample. */
TG_API double tg_regression_meter_mse(const tg_regression_meter *meter);
/* R^2 = 1 - SSE / SS_tot per output, averaged over the outputs, as
 * sklearn.metrics.r2_score's default (uniform_average) computes it; an output
 * whose targets are all equal scores 1 if predicted exactly and 0 otherwise,
 * as there. NaN before any sample. */
TG_API double tg_regression_meter_r2(const tg_regression_meter *meter);

#ifdef __cplusplus
}
#endif
#endif
