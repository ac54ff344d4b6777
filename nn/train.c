/* train.c -- the training loop and evaluation, for any tg_loss_kind. */
#include <math.h>
#include <string.h>
#include <time.h>

#include <tapegrad/losses.h>
#include <tapegrad/metrics.h>
#include <tapegrad/ops.h>
#include <tapegrad/train.h>

#include "data_internal.h"

double tg_perf_counter(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Running sums turned into stats; accuracy counts are kept exactly. */
typedef struct {
    tg_loss_kind kind;
    tg_mean_meter loss;
    int64_t correct, samples;
    tg_regression_meter regression; /* a regression loss's, allocated per epoch */
    double start;
} tally;

static int tally_begin(tally *t, tg_loss_kind kind, int64_t outputs)
{
    *t = (tally){.kind = kind, .start = tg_perf_counter()};
    return tg_loss_is_regression(kind) ? tg_regression_meter_init(&t->regression, outputs)
                                       : TG_OK;
}

/* A binary classifier's logit z as the two-class logits (0, z), whose
 * argmax is class 1 exactly where z > 0 (softmax(0, z) = (1 - s(z), s(z))),
 * so that accuracy and the confusion matrix are those of C classes. */
static tg_tensor *class_scores(tg_loss_kind kind, tg_tensor *output)
{
    if (kind == TG_LOSS_CE)
        return output;
    tg_tensor *scores = NULL;
    TG_NO_GRAD {
        tg_tensor *zeros = tg_tensor_new(tg_dtype_of(output), 2, tg_shape(output), NULL, false);
        tg_tensor *both[2] = {zeros, output};
        scores = tg_concat(2, both, 1);
    }
    return scores;
}

static int tally_batch(tally *t, tg_tensor *loss, tg_tensor *output, const int64_t *labels,
                       const tg_tensor *targets, int64_t count, int64_t *confusion)
{
    if (tg_loss_is_regression(t->kind)) {
        int rc = tg_regression_meter_add(&t->regression, output, targets);
        if (rc < 0)
            return rc;
    } else {
        tg_tensor *scores = class_scores(t->kind, output);
        double accuracy = tg_accuracy(scores, labels);
        if (isnan(accuracy))
            return tg_last_error_code();
        t->correct += (int64_t)(accuracy * (double)count + 0.5);
        int64_t classes = tg_shape(scores)[tg_ndim(scores) - 1];
        int rc = confusion ? tg_confusion_matrix(scores, labels, classes, confusion) : TG_OK;
        if (rc < 0)
            return rc;
    }
    /* sse and l2 sum over the batch: per sample, so epochs compare whatever the batch size */
    bool summed = t->kind == TG_LOSS_SSE || t->kind == TG_LOSS_L2;
    tg_mean_meter_add(&t->loss, tg_item(loss) / (summed ? (double)count : 1.0), count);
    t->samples += count;
    return TG_OK;
}

static void tally_stats(const tally *t, tg_epoch_stats *s)
{
    bool regression = tg_loss_is_regression(t->kind);
    s->loss = tg_mean_meter_value(&t->loss);
    s->accuracy = regression ? NAN : t->samples ? (double)t->correct / (double)t->samples : 0.0;
    s->mse = regression ? tg_regression_meter_mse(&t->regression) : NAN;
    s->r2 = regression ? tg_regression_meter_r2(&t->regression) : NAN;
    s->samples = t->samples;
    s->seconds = tg_perf_counter() - t->start;
}

static int train_step(tg_model *model, tg_optim *optim, tg_tensor *x, const int64_t *labels,
                      tg_tensor *targets, tally *t, int64_t count)
{
    tg_tensor *output = tg_model_forward(model, x);
    tg_tensor *loss = output ? tg_loss_of(t->kind, output, labels, targets) : NULL;
    int rc = loss ? tg_backward(loss) : tg_last_error_code();
    if (rc == 0)
        rc = tg_optim_step(optim);
    if (rc == 0)
        rc = tally_batch(t, loss, output, labels, targets, count, NULL);
    if (rc < 0)
        return rc; /* the tape stays: a reset would clear the error the caller reads */
    tg_optim_zero_grad(optim);
    tg_tape_reset();
    return TG_OK;
}

int tg_train_epoch(tg_model *model, tg_optim *optim, tg_batcher *batcher,
                   const volatile sig_atomic_t *stop, tg_batch_callback on_batch, void *user,
                   tg_epoch_stats *stats)
{
    return tg_train_epoch_loss(model, optim, batcher, TG_LOSS_CE, stop, on_batch, user, stats);
}

/* A regression loss needs the data's targets, a classifier's its labels. */
static int check_fits_loss(const char *fn, tg_loss_kind loss, const tg_dataset *data)
{
    if (loss < 0 || loss >= TG_LOSS_COUNT)
        return tg_set_error(TG_EVALUE, "%s: loss kind %d is not a tg_loss_kind", fn, (int)loss);
    if (tg_loss_is_regression(loss) && data && !data->targets)
        return tg_set_error(TG_EVALUE, "%s: the %s loss compares regression targets, and the "
                            "data set has none", fn, tg_loss_name(loss));
    if (!tg_loss_is_regression(loss) && data && !data->labels)
        return tg_set_error(TG_EVALUE, "%s: the %s loss reads class labels, and the data set has "
                            "none", fn, tg_loss_name(loss));
    return TG_OK;
}

int tg_train_epoch_loss(tg_model *model, tg_optim *optim, tg_batcher *batcher,
                        tg_loss_kind loss, const volatile sig_atomic_t *stop,
                        tg_batch_callback on_batch, void *user, tg_epoch_stats *stats)
{
    const char *fn = "tg_train_epoch";
    if (!model || !optim || !batcher || !stats)
        return tg_set_error(TG_ENULL, "%s: model, optim, batcher and stats are required", fn);
    int rc = check_fits_loss(fn, loss, NULL);
    tally t = {0};
    if (rc == 0)
        rc = tally_begin(&t, loss, tg__batcher_data(batcher)->n_targets);
    if (rc < 0)
        return rc;
    memset(stats, 0, sizeof *stats);
    tg_model_train(model, true); /* PyTorch's model.train() at an epoch's start */
    int64_t total = tg_batcher_batches(batcher), done = 0, count;
    tg_tensor *x;
    const int64_t *labels;
    while ((rc = tg_batcher_next(batcher, tg_model_dtype(model), &x, &labels, &count)) > 0) {
        rc = train_step(model, optim, x, labels, tg_batcher_targets(batcher), &t, count);
        tally_stats(&t, stats);
        if (rc == 0 && on_batch)
            on_batch(++done, total, stats, user);
        if (rc < 0)
            break;
        if (stop && *stop) {
            stats->stopped = true;
            break;
        }
    }
    tg_regression_meter_free(&t.regression);
    return rc < 0 ? rc : TG_OK;
}

static int evaluate_batch(tg_model *model, tg_tensor *x, const int64_t *labels,
                          tg_tensor *targets, int64_t count, tally *t, int64_t *confusion)
{
    tg_tensor *output = tg_model_forward(model, x);
    tg_tensor *loss = output ? tg_loss_of(t->kind, output, labels, targets) : NULL;
    if (!loss)
        return tg_last_error_code();
    return tally_batch(t, loss, output, labels, targets, count, confusion);
}

int tg_evaluate(tg_model *model, const tg_dataset *data, int64_t batch_size,
                tg_epoch_stats *stats, int64_t *confusion)
{
    return tg_evaluate_loss(model, data, batch_size, TG_LOSS_CE, stats, confusion);
}

/* The confusion matrix's side: 2 for a binary classifier's loss. */
static int64_t confusion_classes(tg_loss_kind loss, const tg_dataset *data)
{
    return loss == TG_LOSS_CE ? data->n_classes : 2;
}

int tg_evaluate_loss(tg_model *model, const tg_dataset *data, int64_t batch_size,
                     tg_loss_kind loss, tg_epoch_stats *stats, int64_t *confusion)
{
    const char *fn = "tg_evaluate";
    if (!model || !data || !stats)
        return tg_set_error(TG_ENULL, "%s: model, data and stats are required", fn);
    tally t = {0};
    int rc = check_fits_loss(fn, loss, data);
    if (rc == 0)
        rc = tally_begin(&t, loss, data->n_targets);
    tg_batcher *batcher = rc == 0 ? tg_batcher_new(data, batch_size, 0, 0) : NULL;
    if (!batcher) {
        tg_regression_meter_free(&t.regression);
        return rc < 0 ? rc : tg_last_error_code();
    }
    if (confusion && !tg_loss_is_regression(loss)) {
        int64_t classes = confusion_classes(loss, data);
        memset(confusion, 0, (size_t)(classes * classes) * sizeof *confusion);
    }
    tg_tensor *x;
    const int64_t *labels;
    int64_t count;
    bool was_training = tg_model_is_training(model);
    tg_model_train(model, false); /* model.eval(): dropout off, batch norm's running statistics */
    tg_no_grad_begin();
    while ((rc = tg_batcher_next(batcher, tg_model_dtype(model), &x, &labels, &count)) > 0) {
        rc = evaluate_batch(model, x, labels, tg_batcher_targets(batcher), count, &t,
                            tg_loss_is_regression(loss) ? NULL : confusion);
        if (rc < 0)
            break; /* no reset: it would clear the error the caller reads */
        tg_tape_reset();
    }
    tg_no_grad_end();
    tg_model_train(model, was_training);
    tg_batcher_free(batcher);
    memset(stats, 0, sizeof *stats);
    tally_stats(&t, stats);
    tg_regression_meter_free(&t.regression);
    return rc;
}
