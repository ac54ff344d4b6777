/* train.c -- the classification training loop and evaluation. */
#include <string.h>
#include <time.h>

#include <tapegrad/losses.h>
#include <tapegrad/metrics.h>
#include <tapegrad/train.h>

#include "nn_internal.h"

double tg_perf_counter(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Running sums turned into stats; accuracy counts are kept exactly. */
typedef struct {
    tg_mean_meter loss;
    int64_t correct, samples;
    double start;
} tally;

static void tally_batch(tally *t, double loss, double accuracy, int64_t count)
{
    tg_mean_meter_add(&t->loss, loss, count);
    t->correct += (int64_t)(accuracy * (double)count + 0.5);
    t->samples += count;
}

static void tally_stats(const tally *t, tg_epoch_stats *s)
{
    s->loss = tg_mean_meter_value(&t->loss);
    s->accuracy = t->samples ? (double)t->correct / (double)t->samples : 0.0;
    s->samples = t->samples;
    s->seconds = tg_perf_counter() - t->start;
}

static int train_step(tg_model *model, tg_optim *optim, tg_tensor *x, const int64_t *labels,
                      tally *t, int64_t count)
{
    tg_tensor *logits = tg_model_forward(model, x);
    tg_tensor *loss = tg_cross_entropy_loss(logits, labels, TG_REDUCTION_MEAN);
    int rc = loss ? tg_backward(loss) : tg_last_error_code();
    if (rc == 0)
        rc = tg_optim_step(optim);
    if (rc < 0)
        return rc; /* the tape stays: a reset would clear the error the caller reads */
    tally_batch(t, tg_item(loss), tg_accuracy(logits, labels), count);
    tg_optim_zero_grad(optim);
    tg_tape_reset();
    return TG_OK;
}

int tg_train_epoch(tg_model *model, tg_optim *optim, tg_batcher *batcher,
                   const volatile sig_atomic_t *stop, tg_batch_callback on_batch, void *user,
                   tg_epoch_stats *stats)
{
    if (!model || !optim || !batcher || !stats)
        return tg_set_error(TG_ENULL,
                            "tg_train_epoch: model, optim, batcher and stats are required");
    tally t = {.start = tg_perf_counter()};
    memset(stats, 0, sizeof *stats);
    tg_model_train(model, true); /* PyTorch's model.train() at an epoch's start */
    int64_t total = tg_batcher_batches(batcher), done = 0, count;
    tg_tensor *x;
    const int64_t *labels;
    int rc;
    while ((rc = tg_batcher_next(batcher, tg_model_dtype(model), &x, &labels, &count)) > 0) {
        rc = train_step(model, optim, x, labels, &t, count);
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
    return rc < 0 ? rc : TG_OK;
}

static int evaluate_batch(tg_model *model, tg_tensor *x, const int64_t *labels, int64_t count,
                          tally *t, int64_t n_classes, int64_t *confusion)
{
    tg_tensor *logits = tg_model_forward(model, x);
    tg_tensor *loss = tg_cross_entropy_loss(logits, labels, TG_REDUCTION_MEAN);
    if (!loss)
        return tg_last_error_code();
    tally_batch(t, tg_item(loss), tg_accuracy(logits, labels), count);
    return confusion ? tg_confusion_matrix(logits, labels, n_classes, confusion) : TG_OK;
}

int tg_evaluate(tg_model *model, const tg_dataset *data, int64_t batch_size,
                tg_epoch_stats *stats, int64_t *confusion)
{
    if (!model || !data || !stats)
        return tg_set_error(TG_ENULL, "tg_evaluate: model, data and stats are required");
    if (!data->labels)
        return tg_set_error(TG_EVALUE, "tg_evaluate: the data set has no labels");
    tg_batcher *batcher = tg_batcher_new(data, batch_size, 0, 0);
    if (!batcher)
        return tg_last_error_code();
    if (confusion)
        memset(confusion, 0, (size_t)(data->n_classes * data->n_classes) * sizeof *confusion);
    tally t = {.start = tg_perf_counter()};
    tg_tensor *x;
    const int64_t *labels;
    int64_t count;
    int rc;
    bool was_training = tg_model_is_training(model);
    tg_model_train(model, false); /* model.eval(): dropout off, batch norm's running statistics */
    tg_no_grad_begin();
    while ((rc = tg_batcher_next(batcher, tg_model_dtype(model), &x, &labels, &count)) > 0) {
        rc = evaluate_batch(model, x, labels, count, &t, data->n_classes, confusion);
        if (rc < 0)
            break; /* no reset: it would clear the error the caller reads */
        tg_tape_reset();
    }
    tg_no_grad_end();
    tg_model_train(model, was_training);
    tg_batcher_free(batcher);
    memset(stats, 0, sizeof *stats);
    tally_stats(&t, stats);
    return rc;
}
