/* metrics.c -- argmax, accuracy, confusion matrix, a running mean, and MSE and R^2. */
#include <math.h>
#include <string.h>

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

/* ---- regression ---- */

static size_t meter_bytes(int64_t outputs) { return 3 * (size_t)outputs * sizeof(double); }

int tg_regression_meter_init(tg_regression_meter *meter, int64_t outputs)
{
    if (!meter)
        return tg_set_error(TG_ENULL, "tg_regression_meter_init: argument 1 (meter) is NULL");
    if (outputs < 1 || outputs > INT32_MAX)
        return tg_set_error(TG_EVALUE, "tg_regression_meter_init: %lld outputs (need 1 to %d)",
                            (long long)outputs, INT32_MAX);
    double *block = tg_mem_alloc(meter_bytes(outputs));
    if (!block)
        return tg_set_error(TG_ENOMEM, "tg_regression_meter_init: out of memory for %lld outputs",
                            (long long)outputs);
    *meter = (tg_regression_meter){outputs, 0, block, block + outputs, block + 2 * outputs};
    tg_regression_meter_reset(meter);
    return TG_OK;
}

void tg_regression_meter_free(tg_regression_meter *meter)
{
    if (!meter)
        return;
    tg_mem_free(meter->mean, meter->mean ? meter_bytes(meter->outputs) : 0);
    *meter = (tg_regression_meter){0};
}

void tg_regression_meter_reset(tg_regression_meter *meter)
{
    if (!meter || !meter->mean)
        return;
    memset(meter->mean, 0, meter_bytes(meter->outputs));
    meter->count = 0;
}

/* pred and target: live, one shape, [B,K] or [B] (then K = 1). */
static int check_regression_batch(const char *fn, const tg_regression_meter *meter,
                                  const tg_tensor *pred, const tg_tensor *target, int64_t *rows)
{
    if (!meter || !meter->mean)
        return tg_set_error(TG_ENULL, "%s: the meter is NULL or not initialised", fn);
    int rc = tg_check_tensor(fn, pred, 2);
    if (rc == 0)
        rc = tg_check_tensor(fn, target, 3);
    if (rc < 0)
        return rc;
    char a[96], b[96];
    int ndim = tg_ndim(pred);
    int64_t outputs = ndim == 2 ? tg_shape(pred)[1] : 1;
    if (!nn_same_shape(pred, target) || (ndim != 1 && ndim != 2) || outputs != meter->outputs)
        return tg_set_error(TG_ESHAPE, "%s: predictions %s and targets %s must both be [batch, %lld] "
                            "(or [batch] for one output)", fn, tg_shape_str(pred, a, sizeof a),
                            tg_shape_str(target, b, sizeof b), (long long)meter->outputs);
    *rows = tg_shape(pred)[0];
    return TG_OK;
}

/* Merges output k's batch of rows samples into the meter (Chan et al.'s
 * parallel variance): the batch's own mean and M2 first, then the shift. */
static void add_output(tg_regression_meter *m, int64_t k, const tg_tensor *pred,
                       const tg_tensor *target, int64_t rows)
{
    tg_dtype pd = tg_dtype_of(pred), td = tg_dtype_of(target);
    const void *p = tg_data(pred), *t = tg_data(target);
    int64_t K = m->outputs;
    double batch_mean = 0, batch_m2 = 0, sse = 0;
    for (int64_t r = 0; r < rows; r++)
        batch_mean += nn_load(td, t, r * K + k);
    batch_mean /= (double)rows;
    for (int64_t r = 0; r < rows; r++) {
        double y = nn_load(td, t, r * K + k), e = nn_load(pd, p, r * K + k) - y;
        batch_m2 += (y - batch_mean) * (y - batch_mean);
        sse += e * e;
    }
    double n_a = (double)m->count, n = n_a + (double)rows, delta = batch_mean - m->mean[k];
    m->mean[k] += delta * (double)rows / n;
    m->m2[k] += batch_m2 + delta * delta * n_a * (double)rows / n;
    m->sse[k] += sse;
}

int tg_regression_meter_add(tg_regression_meter *meter, const tg_tensor *pred,
                            const tg_tensor *target)
{
    int64_t rows = 0;
    int rc = check_regression_batch("tg_regression_meter_add", meter, pred, target, &rows);
    if (rc < 0 || rows == 0)
        return rc;
    for (int64_t k = 0; k < meter->outputs; k++)
        add_output(meter, k, pred, target, rows);
    meter->count += rows;
    return TG_OK;
}

double tg_regression_meter_mse(const tg_regression_meter *meter)
{
    if (!meter || !meter->mean || meter->count == 0)
        return NAN;
    double sse = 0;
    for (int64_t k = 0; k < meter->outputs; k++)
        sse += meter->sse[k];
    return sse / ((double)meter->count * (double)meter->outputs);
}

double tg_regression_meter_r2(const tg_regression_meter *meter)
{
    if (!meter || !meter->mean || meter->count == 0)
        return NAN;
    double sum = 0;
    for (int64_t k = 0; k < meter->outputs; k++)
        sum += meter->m2[k] > 0 ? 1 - meter->sse[k] / meter->m2[k] : meter->sse[k] == 0 ? 1 : 0;
    return sum / (double)meter->outputs;
}
