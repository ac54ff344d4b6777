/*
 * bench_dist.c -- data-parallel training steps under mpirun (tapegrad/dist.h):
 * the Fashion-MNIST MLP (784-128-10, relu) or the CNN of docs/tg/train.md
 * (conv32 bn relu pool conv64 bn relu pool dense128 relu dropout dense10),
 * float32, Adam, a global batch split across the ranks.
 *
 *   mpirun -np R bench_dist [--model mlp|cnn] [--batch B] [--steps S]
 *                           [--warmup W] [--threads T] [--bucket-kb K] [--no-overlap]
 *
 * After W warm-up steps it times S steps; rank 0 prints one tab-separated
 * line: model, ranks, threads per rank, overlap (1: each bucket's allreduce
 * starts from the gradient hooks during the sweep; 0: all start after it),
 * seconds per step (the slowest rank's), the epoch time that implies
 * (60000 / B steps), milliseconds per step spent waiting for allreduces and
 * in the hooks (rank 0's), the gradient bytes each rank sends per step, and
 * the buckets. tools/bench/bench_dist.sh runs the table of
 * docs/distributed.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tapegrad/dist.h>
#include <tapegrad/tapegrad.h>

typedef struct {
    const char *model;
    int64_t batch;
    int steps, warmup, threads;
    bool overlap;
    int64_t bucket_kb; /* 0: the default, 25 MiB */
} options;

static void die(tg_dist *d, const char *what)
{
    fprintf(stderr, "bench_dist: rank %d: %s: %s\n", tg_dist_rank(d), what, tg_last_error());
    MPI_Abort(MPI_COMM_WORLD, 1);
}

static bool parse(int argc, char **argv, options *o)
{
    *o = (options){"cnn", 64, 50, 5, 0, true, 0};
    for (int i = 1; i < argc; i++) {
        bool more = i + 1 < argc;
        if (!strcmp(argv[i], "--model") && more)
            o->model = argv[++i];
        else if (!strcmp(argv[i], "--batch") && more)
            o->batch = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--steps") && more)
            o->steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && more)
            o->warmup = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && more)
            o->threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--bucket-kb") && more)
            o->bucket_kb = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--no-overlap"))
            o->overlap = false;
        else
            return false;
    }
    return o->batch > 0 && o->steps > 0 && o->warmup >= 0 && o->threads >= 0 && o->bucket_kb >= 0 &&
           (!strcmp(o->model, "mlp") || !strcmp(o->model, "cnn"));
}

static tg_model *build(tg_dist *d, const char *kind)
{
    tg_rng rng;
    tg_rng_seed(&rng, 1);
    if (!strcmp(kind, "mlp"))
        return tg_mlp_new(TG_F32, 3, (int64_t[]){784, 128, 10}, TG_ACT_RELU, TG_ACT_LINEAR, 1);
    tg_model *m = tg_model_new(TG_F32);
    tg_conv_opts pad1 = {.padding = {1, 1}};
    int rc = m ? tg_model_set_input(m, 3, (int64_t[]){1, 28, 28}) : TG_ENOMEM;
    for (int k = 0; k < 2 && rc == 0; k++) {
        rc = tg_model_add_conv2d(m, 32 << k, (int64_t[]){3, 3}, &pad1, true, TG_INIT_HE_UNIFORM,
                                 &rng);
        if (rc == 0)
            rc = tg_model_add_batch_norm(m, 0.1, 1e-5, true);
        if (rc == 0)
            rc = tg_model_add_activation(m, TG_ACT_RELU, 0);
        if (rc == 0)
            rc = tg_model_add_max_pool2d(m, (int64_t[]){2, 2}, NULL);
    }
    if (rc == 0)
        rc = tg_model_add_flatten(m);
    if (rc == 0)
        rc = tg_model_add_dense(m, 3136, 128, TG_INIT_HE_UNIFORM, &rng);
    if (rc == 0)
        rc = tg_model_add_activation(m, TG_ACT_RELU, 0);
    if (rc == 0)
        rc = tg_model_add_dropout(m, 0.3, &rng);
    if (rc == 0)
        rc = tg_model_add_dense(m, 128, 10, TG_INIT_HE_UNIFORM, &rng);
    if (rc < 0)
        die(d, "building the CNN");
    return m;
}

/* One step of this rank's share of the next global batch. */
static void step(tg_dist *d, tg_model *m, tg_optim *o, tg_dist_sampler *s)
{
    tg_tensor *x;
    const int64_t *labels;
    int64_t count, global;
    int rc = tg_dist_sampler_next(s, TG_F32, &x, &labels, &count, &global);
    if (rc == 0) /* an epoch ended: the next batch starts the next one */
        rc = tg_dist_sampler_next(s, TG_F32, &x, &labels, &count, &global);
    if (rc < 0 || tg_dist_set_batch(d, count, global) < 0)
        die(d, "batch");
    tg_tensor *loss = tg_cross_entropy_loss(tg_model_forward(m, x), labels, TG_REDUCTION_MEAN);
    if (!loss || tg_backward(loss) < 0 || tg_dist_sync(d) < 0 || tg_optim_step(o) < 0)
        die(d, "step");
    tg_optim_zero_grad(o);
    tg_tape_reset();
}

int main(int argc, char **argv)
{
    tg_dist *d = tg_dist_init(&argc, &argv);
    options o;
    if (!d) {
        fprintf(stderr, "bench_dist: %s\n", tg_last_error());
        return 1;
    }
    if (!parse(argc, argv, &o)) {
        if (tg_dist_rank(d) == 0)
            fprintf(stderr, "usage: bench_dist [--model mlp|cnn] [--batch B] [--steps S] "
                            "[--warmup W] [--threads T] [--bucket-kb K] [--no-overlap]\n");
        tg_dist_free(d);
        return 2;
    }
    int threads = o.threads ? o.threads : tg_dist_threads_per_rank(d);
    tg_set_num_threads(threads);
    tg_dataset train = {0};
    if (tg_fashion_mnist_load(NULL, true, &train) < 0 ||
        tg_dataset_standardize(&train, TG_NORM_GLOBAL, NULL, NULL) < 0)
        die(d, "loading Fashion-MNIST");
    tg_model *m = build(d, o.model);
    tg_optim_config cfg = tg_optim_defaults(TG_OPTIM_ADAM);
    tg_optim *optim = tg_optim_new(tg_model_params(m), &cfg);
    tg_dist_options dopts = tg_dist_defaults();
    dopts.overlap = o.overlap;
    if (o.bucket_kb)
        dopts.bucket_bytes = (size_t)o.bucket_kb * 1024;
    tg_dist_sampler *s = tg_dist_sampler_new(d, &train, o.batch, TG_BATCH_SHUFFLE, 1);
    if (!optim || !s || tg_dist_broadcast(d, tg_model_params(m)) < 0 ||
        tg_dist_attach(d, tg_model_params(m), &dopts) < 0)
        die(d, "setup");
    for (int i = 0; i < o.warmup; i++)
        step(d, m, optim, s);
    tg_dist_stats before, after;
    tg_dist_stats_get(d, &before);
    MPI_Barrier(MPI_COMM_WORLD);
    double t0 = tg_perf_counter();
    for (int i = 0; i < o.steps; i++)
        step(d, m, optim, s);
    double mine = (tg_perf_counter() - t0) / o.steps, slowest;
    MPI_Allreduce(&mine, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    tg_dist_stats_get(d, &after);
    if (tg_dist_rank(d) == 0)
        printf("%s\t%d\t%d\t%d\t%.5f\t%.1f\t%.3f\t%.3f\t%lld\t%d\n", o.model, tg_dist_size(d),
               threads, o.overlap, slowest, slowest * (double)(60000 / o.batch),
               1e3 * (after.wait_seconds - before.wait_seconds) / o.steps,
               1e3 * (after.hook_seconds - before.hook_seconds) / o.steps,
               (long long)after.bytes_per_sync, after.buckets);
    tg_dist_sampler_free(s);
    tg_dist_free(d); /* before the parameters, whose hooks it removes */
    tg_optim_free(optim);
    tg_model_free(m);
    tg_dataset_free(&train);
    tg_tape_destroy();
    return 0;
}
