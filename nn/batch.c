/* batch.c -- mini-batch iteration with per-epoch shuffling. */
#include <string.h>

#include "data_internal.h"

struct tg_batcher {
    const tg_dataset *data;
    int64_t n;              /* data->n when the batcher was made */
    int64_t batch_size;
    unsigned flags;
    uint64_t seed;          /* for tg_batcher_seek */
    tg_rng rng;             /* one stream for all epochs: epoch k's order depends
                               only on the seed and k */
    int64_t *order;         /* the n sample indices in this epoch's order */
    int64_t *labels;        /* batch_size labels of the current batch */
    tg_tensor *targets;     /* the current batch's targets (a tape tensor), or NULL */
    int64_t next;           /* position in order of the next batch */
    int64_t last_start;     /* position in order of the last batch returned */
    int64_t epoch;          /* epochs completed */
    bool epoch_started;
};

#define KNOWN_FLAGS (TG_BATCH_SHUFFLE | TG_BATCH_DROP_LAST)

static size_t batcher_bytes(const tg_batcher *b)
{
    return (size_t)b->n * sizeof *b->order + (size_t)b->batch_size * sizeof *b->labels;
}

static int check_new(const tg_dataset *d, int64_t batch_size, unsigned flags)
{
    int rc = tg__check_dataset("tg_batcher_new", d);
    if (rc < 0)
        return rc;
    if (batch_size < 1)
        return tg_set_error(TG_EVALUE, "tg_batcher_new: batch size %lld (must be positive)",
                            (long long)batch_size);
    if (flags & ~(unsigned)KNOWN_FLAGS)
        return tg_set_error(TG_EVALUE, "tg_batcher_new: unknown flags 0x%x", flags);
    if ((flags & TG_BATCH_DROP_LAST) && batch_size > d->n)
        return tg_set_error(TG_EVALUE,
                            "tg_batcher_new: batches of %lld with TG_BATCH_DROP_LAST from %lld "
                            "samples leave no batch at all",
                            (long long)batch_size, (long long)d->n);
    return TG_OK;
}

/* Back to the state tg_batcher_new gives: no epoch begun, the identity order. */
static void rewind_batcher(tg_batcher *b)
{
    for (int64_t i = 0; i < b->n; i++)
        b->order[i] = i;
    tg_rng_seed(&b->rng, b->seed);
    b->next = b->last_start = b->epoch = 0;
    b->epoch_started = false;
    b->targets = NULL;
}

tg_batcher *tg_batcher_new(const tg_dataset *d, int64_t batch_size, unsigned flags, uint64_t seed)
{
    if (check_new(d, batch_size, flags) < 0)
        return NULL;
    tg_batcher *b = tg_mem_alloc(sizeof *b);
    if (b) {
        /* a batch never holds more than the n samples there are: clamping
         * changes no batch, and keeps the label buffer and the batch count
         * arithmetic within n */
        int64_t size = batch_size < d->n ? batch_size : d->n;
        *b = (tg_batcher){.data = d, .n = d->n, .batch_size = size, .flags = flags, .seed = seed};
        b->order = tg_mem_alloc(batcher_bytes(b)); /* order and labels in one block */
    }
    if (!b || !b->order) {
        tg_mem_free(b, sizeof *b);
        tg_set_error(TG_ENOMEM, "tg_batcher_new: out of memory for %lld sample indices",
                     (long long)d->n);
        return NULL;
    }
    b->labels = b->order + d->n;
    rewind_batcher(b);
    return b;
}

void tg_batcher_free(tg_batcher *b)
{
    if (!b)
        return;
    tg_mem_free(b->order, batcher_bytes(b));
    tg_mem_free(b, sizeof *b);
}

/* Size of the batch at b->next, 0 when the epoch is over. */
static int64_t next_count(const tg_batcher *b)
{
    int64_t left = b->n - b->next;
    int64_t count = left < b->batch_size ? left : b->batch_size;
    return (b->flags & TG_BATCH_DROP_LAST) && count < b->batch_size ? 0 : count;
}

/* The targets of the batch's rows as a [count, n_targets] tape tensor. */
static tg_tensor *gather_targets(const tg_dataset *d, const int64_t *rows, int64_t count,
                                 tg_dtype dtype)
{
    int64_t t = d->n_targets;
    tg_tensor *y = tg_empty(dtype, 2, (int64_t[]){count, t}, false);
    float *f32 = y && dtype == TG_F32 ? tg_data(y) : NULL;
    double *f64 = y && dtype == TG_F64 ? tg_data(y) : NULL;
    for (int64_t r = 0; y && r < count; r++)
        for (int64_t k = 0; k < t; k++) {
            float v = d->targets[rows[r] * t + k];
            if (f32)
                f32[r * t + k] = v;
            else
                f64[r * t + k] = v;
        }
    return y;
}

static void fill_batch(tg_batcher *b, const int64_t *rows, int64_t count, tg_tensor *x)
{
    const tg_dataset *d = b->data;
    if (tg_dtype_of(x) == TG_F32) {
        tg__gather_rows(d, rows, count, tg_data(x));
    } else {
        double *dst = tg_data(x);
        for (int64_t r = 0; r < count; r++)
            for (int64_t j = 0; j < d->dim; j++)
                dst[r * d->dim + j] = d->x[rows[r] * d->dim + j];
    }
    for (int64_t r = 0; d->labels && r < count; r++)
        b->labels[r] = d->labels[rows[r]];
}

static int no_batch(int rc, tg_tensor **x, const int64_t **labels, int64_t *count)
{
    *x = NULL;
    if (labels)
        *labels = NULL;
    if (count)
        *count = 0;
    return rc;
}

static void start_epoch(tg_batcher *b)
{
    if (b->epoch_started)
        return;
    if (b->flags & TG_BATCH_SHUFFLE)
        tg_rng_shuffle(&b->rng, b->order, b->n);
    b->next = 0;
    b->epoch_started = true;
}

int tg_batcher_next(tg_batcher *b, tg_dtype dtype, tg_tensor **x, const int64_t **labels,
                    int64_t *count)
{
    if (!b || !x) {
        int rc = tg_set_error(TG_ENULL, "tg_batcher_next: %s is NULL", b ? "x" : "the batcher");
        return x ? no_batch(rc, x, labels, count) : rc;
    }
    if (dtype != TG_F32 && dtype != TG_F64)
        return no_batch(tg_set_error(TG_EDTYPE, "tg_batcher_next: unknown dtype %d", (int)dtype),
                        x, labels, count);
    b->targets = NULL;
    start_epoch(b);
    int64_t n = next_count(b);
    if (n == 0) {
        b->epoch++;
        b->epoch_started = false;
        return no_batch(0, x, labels, count);
    }
    /* tg_empty: every element is written from the data set below */
    tg_tensor *batch = tg_empty(dtype, 2, (int64_t[]){n, b->data->dim}, false);
    tg_tensor *targets = batch && b->data->targets
                             ? gather_targets(b->data, b->order + b->next, n, dtype)
                             : NULL;
    if (!batch || (b->data->targets && !targets)) /* only memory can have failed */
        return no_batch(TG_ENOMEM, x, labels, count);
    fill_batch(b, b->order + b->next, n, batch);
    b->targets = targets;
    b->last_start = b->next;
    b->next += n;
    *x = batch;
    if (labels)
        *labels = b->data->labels ? b->labels : NULL;
    if (count)
        *count = n;
    return 1;
}

const int64_t *tg_batcher_indices(const tg_batcher *b)
{
    return b ? b->order + b->last_start : NULL;
}

int64_t tg_batcher_epoch(const tg_batcher *b) { return b ? b->epoch : 0; }

int64_t tg_batcher_batches(const tg_batcher *b)
{
    if (!b)
        return 0;
    int64_t n = b->n, size = b->batch_size;
    return (b->flags & TG_BATCH_DROP_LAST) ? n / size : (n + size - 1) / size;
}

tg_tensor *tg_batcher_targets(const tg_batcher *b) { return b ? b->targets : NULL; }

const tg_dataset *tg__batcher_data(const tg_batcher *b) { return b->data; }

int tg_batcher_position(const tg_batcher *b, int64_t *epoch, int64_t *batch)
{
    if (!b || !epoch || !batch)
        return tg_set_error(TG_ENULL, "tg_batcher_position: %s is NULL",
                            !b ? "the batcher" : !epoch ? "epoch" : "batch");
    bool mid_epoch = b->epoch_started && next_count(b) > 0;
    *epoch = b->epoch + (b->epoch_started && !mid_epoch);
    *batch = mid_epoch ? b->next / b->batch_size : 0;
    return TG_OK;
}

int tg_batcher_seek(tg_batcher *b, int64_t epoch, int64_t batch)
{
    if (!b)
        return tg_set_error(TG_ENULL, "tg_batcher_seek: the batcher is NULL");
    int64_t batches = tg_batcher_batches(b);
    if (epoch < 0 || batch < 0 || batch >= batches)
        return tg_set_error(TG_EVALUE, "tg_batcher_seek: epoch %lld, batch %lld (need epoch >= 0 "
                            "and a batch in 0..%lld)", (long long)epoch, (long long)batch,
                            (long long)batches - 1);
    rewind_batcher(b);
    for (int64_t e = 0; e < epoch; e++) {
        start_epoch(b);
        b->epoch_started = false;
    }
    b->epoch = epoch;
    if (batch > 0) {
        start_epoch(b);
        b->next = batch * b->batch_size;
    }
    return TG_OK;
}
