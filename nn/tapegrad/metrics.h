/*
 * tapegrad/metrics.h -- classification metrics and a running mean.
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

#ifdef __cplusplus
}
#endif
#endif
