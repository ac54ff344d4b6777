/* metrics.c -- argmax, accuracy, confusion matrix and a running mean. */
#include <math.h>

#include <tapegrad/metrics.h>

#include "nn_internal.h"

/* scores must be [B,C] or [C] with C >= 1; gives B (1 for [C]) and C. */
static int check_scores(const char *fn, const tg_tensor *scores, int64_t *rows, int64_t *cols)
{
    int rc = tg_check_tensor(fn, scores, 1);
    if (rc < 0)
        return rc;
    int ndim = tg_ndim(scores);
    const int64_t *shape = tg_shape(scores);
    if ((ndim != 1 && ndim != 2) || shape[ndim - 1] < 1) {
        char dims[96];
        return tg_set_error(TG_ESHAPE, "%s: scores must be [batch, classes] or [classes] with at "
                            "least one class, got %s", fn, tg_shape_str(scores, dims, sizeof dims));
    }
    *cols = shape[ndim - 1];
    *rows = ndim == 2 ? shape[0] : 1;
    return TG_OK;
}

static int check_labels(const char *fn, const int64_t *labels, int64_t rows, int64_t classes)
{
    if (!labels)
        return tg_set_error(TG_ENULL, "%s: argument 2 (labels) is NULL", fn);
    for (int64_t b = 0; b < rows; b++)
        if (labels[b] < 0 || labels[b] >= classes)
            return tg_set_error(TG_EVALUE, "%s: labels[%lld] = %lld is out of range for %lld "
                                "classes (0..%lld)", fn, (long long)b, (long long)labels[b],
                                (long long)classes, (long long)(classes - 1));
    return TG_OK;
}

static int64_t row_argmax(const tg_tensor *scores, int64_t row, int64_t cols)
{
    tg_dtype dtype = tg_dtype_of(scores);
    const void *data = tg_data(scores);
    int64_t best = 0;
    double best_value = nn_load(dtype, data, row * cols);
    for (int64_t c = 1; c < cols && !isnan(best_value); c++) {
        double v = nn_load(dtype, data, row * cols + c);
        if (v > best_value || isnan(v)) {
            best = c;
            best_value = v;
        }
    }
    return best;
}

int tg_argmax_rows(const tg_tensor *scores, int64_t *out)
{
    int64_t rows = 0, cols = 0;
    int rc = check_scores("tg_argmax_rows", scores, &rows, &cols);
    if (rc < 0)
        return rc;
    if (!out)
        return tg_set_error(TG_ENULL, "tg_argmax_rows: argument 2 (out) is NULL");
    for (int64_t b = 0; b < rows; b++)
        out[b] = row_argmax(scores, b, cols);
    return TG_OK;
}

double tg_accuracy(const tg_tensor *scores, const int64_t *labels)
{
    const char *fn = "tg_accuracy";
    int64_t rows = 0, cols = 0;
    if (check_scores(fn, scores, &rows, &cols) < 0 || check_labels(fn, labels, rows, cols) < 0)
        return NAN;
    if (rows == 0) {
        tg_set_error(TG_ESHAPE, "tg_accuracy: no rows to score");
        return NAN;
    }
    int64_t correct = 0;
    for (int64_t b = 0; b < rows; b++)
        correct += row_argmax(scores, b, cols) == labels[b];
    return (double)correct / (double)rows;
}

int tg_confusion_matrix(const tg_tensor *scores, const int64_t *labels, int64_t n_classes,
                        int64_t *matrix)
{
    const char *fn = "tg_confusion_matrix";
    int64_t rows = 0, cols = 0;
    int rc = check_scores(fn, scores, &rows, &cols);
    if (rc == 0 && n_classes != cols)
        rc = tg_set_error(TG_ESHAPE, "%s: n_classes is %lld but the scores have %lld columns", fn,
                          (long long)n_classes, (long long)cols);
    if (rc == 0 && !matrix)
        rc = tg_set_error(TG_ENULL, "%s: argument 4 (matrix) is NULL", fn);
    if (rc == 0)
        rc = check_labels(fn, labels, rows, cols);
    if (rc < 0)
        return rc;
    for (int64_t b = 0; b < rows; b++)
        matrix[labels[b] * n_classes + row_argmax(scores, b, cols)]++;
    return TG_OK;
}

void tg_mean_meter_add(tg_mean_meter *meter, double value, int64_t count)
{
    if (!meter)
        return;
    meter->sum += value * (double)count;
    meter->count += count;
}

double tg_mean_meter_value(const tg_mean_meter *meter)
{
    return meter && meter->count > 0 ? meter->sum / (double)meter->count : NAN;
}

void tg_mean_meter_reset(tg_mean_meter *meter)
{
    if (meter)
        *meter = (tg_mean_meter){0};
}
