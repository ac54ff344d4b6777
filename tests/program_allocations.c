/*
 * program_allocations.c -- steady-state runs of a captured training step
 * (tg_capture, tg_program_run) of a 784-64-32-10 relu MLP with a cross
 * entropy against target probabilities, each followed by an SGD step
 * (momentum) and new data written into the batch, counted at the malloc
 * level: this program defines malloc and friends (tools/bench/malloc_count.h),
 * so OpenBLAS's and libgomp's calls count too. Synthetic data, no files.
 *
 *   program_allocations --threads N --batch B
 *
 * prints mallocs_per_run<TAB>A over RUNS runs after WARM_RUNS; CTest
 * expects 0.000.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tapegrad/nn.h>
#include <tapegrad/tapegrad.h>

#include "malloc_count.h"

enum { WARM_RUNS = 5, RUNS = 40 };

typedef struct {
    tg_model *model;
    tg_tensor *x, *target; /* the batch: persistent, rewritten before each run */
} step;

static tg_tensor *loss(tg_tensor *const *unused, void *ud)
{
    (void)unused;
    const step *s = ud;
    return tg_cross_entropy_probs_loss(tg_model_forward(s->model, s->x), s->target,
                                       TG_REDUCTION_MEAN);
}

/* Batch k: inputs from integer arithmetic, one-hot targets. */
static void load_batch(const step *s, int64_t k)
{
    float *x = tg_data(s->x), *t = tg_data(s->target);
    int64_t batch = tg_shape(s->x)[0];
    for (int64_t i = 0; i < batch * 784; i++)
        x[i] = (float)(((i + k * 131) * 7919) % 1000) / 1000;
    memset(t, 0, (size_t)(batch * 10) * sizeof *t);
    for (int64_t b = 0; b < batch; b++)
        t[b * 10 + (b + k) % 10] = 1;
}

static int fail(const char *what)
{
    fprintf(stderr, "program_allocations: %s: %s\n", what, tg_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    int threads = 1;
    int64_t batch = 32;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--threads"))
            threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--batch"))
            batch = atoll(argv[i + 1]);
    }
    if (batch < 1 || tg_set_num_threads(threads) < 0) {
        fprintf(stderr, "usage: program_allocations --threads N --batch B\n");
        return 2;
    }
    int64_t sizes[4] = {784, 64, 32, 10};
    step s = {tg_mlp_new(TG_F32, 4, sizes, TG_ACT_RELU, TG_ACT_LINEAR, 0),
              tg_persistent(TG_F32, 2, (int64_t[]){batch, 784}, NULL, false),
              tg_persistent(TG_F32, 2, (int64_t[]){batch, 10}, NULL, false)};
    tg_optim_config cfg = tg_optim_defaults(TG_OPTIM_SGD);
    cfg.lr = 0.01;
    cfg.momentum = 0.9;
    tg_optim *optim = s.model ? tg_optim_new(tg_model_params(s.model), &cfg) : NULL;
    if (!optim || !s.x || !s.target)
        return fail("setup");
    load_batch(&s, 0);
    tg_program *p = tg_capture(loss, &s, 0, NULL, 0);
    if (!p)
        return fail("tg_capture");
    long at_warm = 0;
    for (int k = 0; k < WARM_RUNS + RUNS; k++) {
        if (k == WARM_RUNS)
            at_warm = malloc_count();
        load_batch(&s, k);
        if (tg_program_run(p) < 0 || tg_optim_step(optim) < 0)
            return fail("a run");
        tg_optim_zero_grad(optim);
    }
    long allocated = malloc_count() - at_warm;
    printf("runs\t%d\nloss\t%.6g\nmallocs_per_run\t%.3f\n", RUNS, tg_program_value(p),
           (double)allocated / RUNS);
    tg_program_free(p);
    tg_optim_free(optim);
    tg_model_free(s.model);
    tg_free(s.x);
    tg_free(s.target);
    tg_tape_destroy();
    return 0;
}
