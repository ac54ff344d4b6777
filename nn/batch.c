/* batch.c -- mini-batch iteration with per-epoch shuffling. */
#include <string.h>

#include "data_internal.h"

struct tg_batcher {
    const tg_dataset *data;
    int64_t n;              /* data->n when the batcher was made */
    int64_t batch_size;
    unsigned flags;
    tg_rng rng;             /* one stream for all epochs: epoch k's order depends
                               only on the seed and k */
    int64_t *order;         /* the n sample indices in this epoch's order */
    int64_t *labels;        /* batch_size labels of the current batch */
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
        *b = (tg_batcher){.data = d, .n = d->n, .batch_size = size, .flags = flags};
        b->order = tg_mem_alloc(batcher_bytes(b)); /* order and labels in one block */
    }
    if (!b || !b->order) {
        tg_mem_free(b, sizeof *b);
        tg_set_error(TG_ENOMEM, "tg_batcher_new: out of memory for %lld sample indices",
                     (long long)d->n);
        return NULL;
    }
    b->labels = b->order + d->n;
    for (int64_t i = 0; i < d->n; i++)
        b->order[i] = i;
    tg_rng_seed(&b->rng, seed);
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
    if (!b->epoch_started) {
        if (b->flags & TG_BATCH_SHUFFLE)
            tg_rng_shuffle(&b->rng, b->order, b->n);
        b->next = 0;
        b->epoch_started = true;
    }
    int64_t n = next_count(b);
    if (n == 0) {
        b->epoch++;
        b->epoch_started = false;
        return no_batch(0, x, labels, count);
    }
    /* tg_empty: every element is written from the data set below */
    tg_tensor *batch = tg_empty(dtype, 2, (int64_t[]){n, b->data->dim}, false);
    if (!batch) /* dtype and shape are valid: only memory can have failed */
        return no_batch(TG_ENOMEM, x, labels, count);
    fill_batch(b, b->order + b->next, n, batch);
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
