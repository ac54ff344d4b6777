/*
 * mlp_allocations.c -- steady-state training steps of a small 3-layer MLP
 * (784-64-32-10, relu, cross-entropy) through tg_train_epoch, with SGD
 * (momentum) or Adam, counted at the malloc level: this program defines
 * malloc and friends (tools/bench/malloc_count.h), so every library's calls
 * count, OpenBLAS's and libgomp's included. Synthetic data, no files.
 *
 *   mlp_allocations --threads N --batch B --optim sgd|adam
 *
 * prints mallocs_per_step<TAB>A, A over the steps of the second epoch after
 * its first 5, between the callbacks that follow them (the first epoch warms
 * everything up); CTest expects 0.000.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tapegrad/nn.h>
#include <tapegrad/tapegrad.h>

#include "malloc_count.h"

enum { SAMPLES = 4096, WARM_STEPS = 5 };

typedef struct {
    long at_warm, at_last; /* the count after the warm steps and after the last one */
    int64_t steps;         /* counted: the steps between the two */
} counter;

static void on_batch(int64_t done, int64_t total, const tg_epoch_stats *so_far, void *user)
{
    (void)total;
    (void)so_far;
    counter *c = user;
    c->at_last = malloc_count();
    if (done == WARM_STEPS)
        c->at_warm = c->at_last;
    c->steps = done - WARM_STEPS;
}

static int fail(const char *what)
{
    fprintf(stderr, "mlp_allocations: %s: %s\n", what, tg_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    int threads = 1;
    int64_t batch = 32;
    const char *optim_name = "sgd";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch"))
            batch = atoll(argv[i + 1]);
        else if (!strcmp(argv[i], "--optim"))
            optim_name = argv[i + 1];
    }
    bool adam = !strcmp(optim_name, "adam");
    if (batch < 1 || SAMPLES / batch <= WARM_STEPS || tg_set_num_threads(threads) < 0 ||
        (!adam && strcmp(optim_name, "sgd"))) {
        fprintf(stderr, "usage: mlp_allocations --threads N --batch B --optim sgd|adam\n");
        return 2;
    }
    tg_dataset data;
    if (tg_dataset_alloc(&data, SAMPLES, 784, true) < 0)
        return fail("data");
    for (int64_t i = 0; i < SAMPLES * 784; i++)
        data.x[i] = (float)((i * 7919) % 1000) / 1000;
    for (int64_t i = 0; i < SAMPLES; i++)
        data.labels[i] = i % 10;
    data.n_classes = 10;
    int64_t sizes[4] = {784, 64, 32, 10};
    tg_model *model = tg_mlp_new(TG_F32, 4, sizes, TG_ACT_RELU, TG_ACT_LINEAR, 0);
    tg_optim_config cfg = tg_optim_defaults(adam ? TG_OPTIM_ADAM : TG_OPTIM_SGD);
    cfg.lr = adam ? 1e-3 : 0.01;
    cfg.momentum = adam ? 0 : 0.9;
    tg_optim *optim = model ? tg_optim_new(tg_model_params(model), &cfg) : NULL;
    tg_batcher *batches = tg_batcher_new(&data, batch, TG_BATCH_DROP_LAST | TG_BATCH_SHUFFLE, 1);
    if (!optim || !batches)
        return fail("setup");
    tg_epoch_stats stats;
    counter c = {0};
    if (tg_train_epoch(model, optim, batches, NULL, NULL, NULL, &stats) < 0 ||
        tg_train_epoch(model, optim, batches, NULL, on_batch, &c, &stats) < 0)
        return fail("training");
    long allocated = c.at_last - c.at_warm;
    printf("steps\t%lld\nmallocs_per_step\t%.3f\n", (long long)c.steps, (double)allocated / c.steps);
    tg_batcher_free(batches);
    tg_optim_free(optim);
    tg_model_free(model);
    tg_dataset_free(&data);
    tg_tape_destroy();
    return 0;
}
