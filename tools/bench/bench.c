/*
 * bench.c -- tapegrad's side of the benchmark suite (tools/bench/run.sh runs
 * it next to bench_torch.py and prints the comparison). One line per result:
 *
 *     workload<TAB>threads<TAB>median<TAB>spread<TAB>unit
 *
 * spread is (max - min) / median over the repetitions. --threads sets
 * tg_set_num_threads (which bounds OpenBLAS's OpenMP team too); run.sh also
 * sets OPENBLAS_NUM_THREADS and OMP_NUM_THREADS for every side alike.
 *
 *   bench [--threads N] [--reps R] [--quick] [--data DIR] [--only NAME]
 *
 * --only runs the workloads whose name starts with NAME: run.sh starts one
 * process per workload on every side, so that no workload runs in the
 * allocator and cache state another one left. Inputs are made before the
 * timed region, the same way as in bench_torch.py and bench_libtorch.cpp,
 * and one untimed repetition runs first on every side.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <tapegrad/nn.h>
#include <tapegrad/tapegrad.h>

typedef struct {
    int threads, reps;
    bool quick;
    const char *data_dir;
    const char *only; /* a workload name prefix; "" for all */
} options;

static bool selected(const options *o, const char *name)
{
    return !strncmp(name, o->only, strlen(o->only));
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *name, const options *o, double *samples, int n, const char *unit)
{
    qsort(samples, (size_t)n, sizeof *samples, compare_doubles);
    double median = n % 2 ? samples[n / 2] : (samples[n / 2 - 1] + samples[n / 2]) / 2;
    double spread = median != 0 ? (samples[n - 1] - samples[0]) / median : 0;
    printf("%s\t%d\t%.6g\t%.3f\t%s\n", name, o->threads, median, spread, unit);
    fflush(stdout);
}

static void die(const char *what)
{
    fprintf(stderr, "bench: %s: %s\n", what, tg_last_error());
    exit(1);
}

/* ---- 1. scalar graphs ---- */

/* sigmoid(w1 x1 + w2 x2 + w3 x3 + b) from 0-d tensors: 7 op nodes. */
static tg_tensor *neuron(void)
{
    tg_tensor *sum = tg_var(0.1);
    for (int i = 0; i < 3; i++)
        sum = tg_add(tg_mul(tg_var(0.3 * i), tg_scalar(1.0 + i)), sum);
    return tg_sigmoid(sum);
}

static void bench_neuron(const options *o)
{
    if (!selected(o, "neuron_"))
        return;
    int iters = o->quick ? 20000 : 200000;
    double samples[16];
    for (int r = 0; r < o->reps; r++) {
        double t0 = tg_perf_counter();
        for (int i = 0; i < iters; i++) {
            if (tg_backward(neuron()) < 0)
                die("neuron");
            tg_tape_reset();
        }
        samples[r] = (tg_perf_counter() - t0) / iters / 7 * 1e9;
    }
    report("neuron_ns_per_node", o, samples, o->reps, "ns");
    size_t in_use;
    neuron();
    tg_tape_memory(&in_use, NULL);
    double bytes = (double)in_use / 7;
    tg_tape_reset();
    report("neuron_bytes_per_node", o, &bytes, 1, "B");
}

static void bench_chain(const options *o)
{
    int n = o->quick ? 100000 : 1000000;
    char name[64];
    snprintf(name, sizeof name, "chain_%d_s", n);
    if (!selected(o, name))
        return;
    double samples[16];
    for (int r = 0; r < o->reps + 1; r++) {
        double t0 = tg_perf_counter();
        tg_tensor *x = tg_var(1), *c = tg_scalar(1.000001), *y = x;
        for (int i = 0; i < n; i++)
            y = tg_mul(y, c);
        if (tg_backward(y) < 0)
            die("chain");
        if (r > 0) /* the first run faults the arena's pages in */
            samples[r - 1] = tg_perf_counter() - t0;
        tg_tape_reset();
    }
    report(name, o, samples, o->reps, "s");
}

/* ---- 2. MLP training on Fashion-MNIST ---- */

static double mlp_samples_per_second(const tg_dataset *d, const int64_t *sizes, int n_sizes,
                                     int64_t batch)
{
    tg_model *model = tg_mlp_new(TG_F32, n_sizes, sizes, TG_ACT_RELU, TG_ACT_LINEAR, 0);
    tg_optim_config cfg = {.kind = TG_OPTIM_SGD, .lr = 0.1};
    tg_optim *optim = model ? tg_optim_new(tg_model_params(model), &cfg) : NULL;
    tg_dataset warm = *d;
    warm.n = batch * 20;
    tg_batcher *warm_batches = tg_batcher_new(&warm, batch, TG_BATCH_DROP_LAST, 0);
    tg_batcher *batches = tg_batcher_new(d, batch, TG_BATCH_DROP_LAST, 0);
    if (!optim || !warm_batches || !batches)
        die("mlp setup");
    tg_epoch_stats s;
    if (tg_train_epoch(model, optim, warm_batches, NULL, NULL, NULL, &s) < 0 ||
        tg_train_epoch(model, optim, batches, NULL, NULL, NULL, &s) < 0)
        die("mlp epoch");
    tg_batcher_free(batches);
    tg_batcher_free(warm_batches);
    tg_optim_free(optim);
    tg_model_free(model);
    return (double)s.samples / s.seconds;
}

static void mlp_name(const int64_t *sizes, int n, int64_t batch, char *name, size_t size)
{
    int len = snprintf(name, size, "mlp_");
    for (int i = 0; i < n; i++)
        len += snprintf(name + len, size - (size_t)len, "%s%lld", i ? "-" : "", (long long)sizes[i]);
    snprintf(name + len, size - (size_t)len, "_b%lld_samples_per_s", (long long)batch);
}

/* The data set is loaded when a selected case needs it. The peak RSS is
 * reported after the large MLP, in that workload's own process under run.sh:
 * the training run with the data set, nothing else. */
static void bench_mlp(const options *o)
{
    static const struct {
        int64_t sizes[4];
        int n;
        int64_t batch;
    } cases[] = {{{784, 128, 10}, 3, 32}, {{784, 128, 10}, 3, 128}, {{784, 512, 512, 10}, 4, 128}};
    tg_dataset train = {0};
    bool loaded = false;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char name[96];
        mlp_name(cases[c].sizes, cases[c].n, cases[c].batch, name, sizeof name);
        if (!selected(o, name))
            continue;
        if (!loaded && tg_fashion_mnist_load(o->data_dir, true, &train) < 0)
            die("loading Fashion-MNIST");
        loaded = true;
        int64_t full = train.n;
        train.n = o->quick ? 6000 : full;
        double samples[16];
        int reps = o->quick ? 2 : 1;
        for (int r = 0; r < reps; r++)
            samples[r] = mlp_samples_per_second(&train, cases[c].sizes, cases[c].n, cases[c].batch);
        train.n = full;
        report(name, o, samples, reps, "samples/s");
        if (cases[c].n == 4) {
            struct rusage usage;
            getrusage(RUSAGE_SELF, &usage);
            double rss_mb = (double)usage.ru_maxrss / 1024;
            report("mlp_peak_rss_MB", o, &rss_mb, 1, "MB");
        }
    }
    if (loaded)
        tg_dataset_free(&train);
}

/* ---- 2b. one MLP step, recorded every step or captured once and replayed ---- */

/* The 784-128-10 relu MLP's step on a batch held in persistent tensors,
 * with a cross entropy against one-hot targets (a tensor, so that a
 * replay reads each batch's): the same function recorded every step
 * (tg_backward, tg_tape_reset) or captured once (tg_capture) and run. */
typedef struct {
    tg_model *model;
    tg_tensor *x, *target;
} mlp_step;

static tg_tensor *mlp_step_loss(tg_tensor *const *unused, void *ud)
{
    (void)unused;
    const mlp_step *s = ud;
    return tg_cross_entropy_probs_loss(tg_model_forward(s->model, s->x), s->target,
                                       TG_REDUCTION_MEAN);
}

static void load_batch(const tg_dataset *d, int64_t first, const mlp_step *s)
{
    int64_t batch = tg_shape(s->x)[0];
    float *t = tg_data(s->target);
    memcpy(tg_data(s->x), d->x + first * d->dim, (size_t)(batch * d->dim) * sizeof(float));
    memset(t, 0, (size_t)(batch * 10) * sizeof *t);
    for (int64_t b = 0; b < batch; b++)
        t[b * 10 + d->labels[first + b]] = 1;
}

static double step_samples_per_second(const tg_dataset *d, int64_t batch, bool replay)
{
    int64_t sizes[3] = {784, 128, 10};
    mlp_step s = {tg_mlp_new(TG_F32, 3, sizes, TG_ACT_RELU, TG_ACT_LINEAR, 0),
                  tg_persistent(TG_F32, 2, (int64_t[]){batch, 784}, NULL, false),
                  tg_persistent(TG_F32, 2, (int64_t[]){batch, 10}, NULL, false)};
    tg_optim_config cfg = {.kind = TG_OPTIM_SGD, .lr = 0.1};
    tg_optim *optim = s.model ? tg_optim_new(tg_model_params(s.model), &cfg) : NULL;
    if (!optim || !s.x || !s.target)
        die("mlp step setup");
    load_batch(d, 0, &s);
    tg_program *p = replay ? tg_capture(mlp_step_loss, &s, 0, NULL, 0) : NULL;
    if (replay && !p)
        die("tg_capture");
    int64_t steps = d->n / batch, warm = 20;
    double t0 = 0;
    for (int64_t k = 0; k < warm + steps; k++) {
        if (k == warm)
            t0 = tg_perf_counter();
        load_batch(d, (k % steps) * batch, &s);
        int rc = replay ? tg_program_run(p) : tg_backward(mlp_step_loss(NULL, &s));
        if (rc < 0 || tg_optim_step(optim) < 0)
            die("mlp step");
        tg_optim_zero_grad(optim);
        if (!replay)
            tg_tape_reset();
    }
    double seconds = tg_perf_counter() - t0;
    tg_program_free(p);
    tg_optim_free(optim);
    tg_model_free(s.model);
    tg_free(s.x);
    tg_free(s.target);
    return (double)(steps * batch) / seconds;
}

/* Recorded and replayed steps alternate over the repetitions, so that both
 * see the same machine. */
static void bench_mlp_step(const options *o)
{
    if (!selected(o, "mlp_step_784-128-10_b32_"))
        return;
    tg_dataset train = {0};
    if (tg_fashion_mnist_load(o->data_dir, true, &train) < 0)
        die("loading Fashion-MNIST");
    int64_t full = train.n;
    train.n = o->quick ? 6000 : 20000;
    double recorded[16], replayed[16];
    for (int r = 0; r < o->reps; r++) {
        recorded[r] = step_samples_per_second(&train, 32, false);
        replayed[r] = step_samples_per_second(&train, 32, true);
    }
    train.n = full;
    report("mlp_step_784-128-10_b32_recorded_samples_per_s", o, recorded, o->reps, "samples/s");
    report("mlp_step_784-128-10_b32_replayed_samples_per_s", o, replayed, o->reps, "samples/s");
    tg_dataset_free(&train);
}

/* ---- 3. elementwise ops, forward + backward ---- */

static tg_tensor *add_broadcast(tg_tensor *x)
{
    int64_t n = tg_numel(x);
    tg_tensor *bias = tg_full(TG_F32, 1, (int64_t[]){1000}, 0.5, false);
    tg_tensor *rows = tg_reshape(x, 2, (int64_t[]){n / 1000, 1000});
    return tg_reshape(tg_add(rows, bias), 1, (int64_t[]){n});
}

/* The input every side uses: x[i] = (i mod 4001) / 1000 - 2, in [-2, 2],
 * half of it negative (relu's mask is not all ones). A parameter: made once,
 * its gradient zeroed outside the timed region and accumulated into, as
 * bench_torch.py does with x.grad.zero_(). */
static tg_tensor *elementwise_input(int64_t n)
{
    tg_tensor *x = tg_param(TG_F32, 1, &n, NULL);
    float *v = x ? tg_data(x) : NULL;
    for (int64_t i = 0; v && i < n; i++)
        v[i] = (float)(i % 4001) / 1000 - 2;
    return x;
}

static void bench_elementwise(const options *o)
{
    int64_t n = o->quick ? 1000000 : 10000000;
    /* bytes per element that the work itself moves, the same on every side:
     * the forward reads x and writes y (8); the backward reads the seed, y
     * (or x) and x's gradient and writes the gradient (16), or for add,
     * where dx is the seed, reads the seed and the gradient and writes the
     * gradient, the bias's sum reading the same seed (12) */
    static const struct {
        const char *name;
        tg_tensor *(*fn)(tg_tensor *);
        double bytes;
    } ops[] = {{"sigmoid", tg_sigmoid, 24}, {"tanh", tg_tanh, 24}, {"relu", tg_relu, 24},
               {"add_bcast", add_broadcast, 20}};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        char name[64];
        snprintf(name, sizeof name, "elementwise_%s_GBps", ops[k].name);
        if (!selected(o, name))
            continue;
        tg_tensor *x = elementwise_input(n), *seed = tg_persistent(TG_F32, 1, &n, NULL, false);
        if (!x || !seed)
            die(ops[k].name);
        for (int64_t i = 0; i < n; i++)
            ((float *)tg_data(seed))[i] = 1;
        double samples[16];
        for (int r = 0; r < o->reps + 1; r++) {
            tg_zero_grad(x);
            double t0 = tg_perf_counter();
            if (tg_backward_ex(ops[k].fn(x), seed, 0) < 0)
                die(ops[k].name);
            tg_tape_reset();
            if (r > 0) /* the first run makes the gradient and faults the pages in */
                samples[r - 1] = ops[k].bytes * (double)n / (tg_perf_counter() - t0) / 1e9;
        }
        tg_free(seed);
        tg_free(x);
        report(name, o, samples, o->reps, "GB/s");
    }
}

/* ---- 4. a 1024x1024 layer at batch 256 (bench_bound.c times plain sgemm
 * at the same shapes) ---- */

static void bench_matmul(const options *o)
{
    if (!selected(o, "matmul_1024x1024_b256_GFLOPs"))
        return;
    const int64_t batch = 256, width = 1024;
    const double flops = 2.0 * 2 * batch * width * width; /* forward and dW */
    double samples[16];
    tg_tensor *w = tg_param(TG_F32, 2, (int64_t[]){width, width}, NULL);
    tg_tensor *x = tg_persistent(TG_F32, 2, (int64_t[]){batch, width}, NULL, false);
    tg_tensor *seed = tg_persistent(TG_F32, 2, (int64_t[]){batch, width}, NULL, false);
    if (!w || !x || !seed)
        die("matmul setup");
    for (int64_t i = 0; i < width * width; i++)
        ((float *)tg_data(w))[i] = 0.001f;
    for (int64_t i = 0; i < batch * width; i++)
        ((float *)tg_data(x))[i] = 0.01f, ((float *)tg_data(seed))[i] = 1;
    for (int r = 0; r < o->reps + 1; r++) {
        tg_zero_grad(w);
        double t0 = tg_perf_counter();
        if (tg_backward_ex(tg_matmul_t(x, w, false, true), seed, 0) < 0)
            die("matmul");
        tg_tape_reset();
        if (r > 0)
            samples[r - 1] = flops / (tg_perf_counter() - t0) / 1e9;
    }
    tg_free(seed);
    tg_free(x);
    tg_free(w);
    report("matmul_1024x1024_b256_GFLOPs", o, samples, o->reps, "GFLOP/s");
}

static void parse(int argc, char **argv, options *o)
{
    *o = (options){.threads = 1, .reps = 5, .only = ""};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            o->threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            o->reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--quick"))
            o->quick = true;
        else if (!strcmp(argv[i], "--data") && i + 1 < argc)
            o->data_dir = argv[++i];
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            o->only = argv[++i];
        else {
            fprintf(stderr, "usage: bench [--threads N] [--reps R] [--quick] [--data DIR] "
                            "[--only NAME]\n");
            exit(2);
        }
    }
    if (o->reps < 1 || o->reps > 15)
        o->reps = 5;
}

int main(int argc, char **argv)
{
    options o;
    parse(argc, argv, &o);
    if (tg_set_num_threads(o.threads) < 0)
        die("--threads");
    bench_mlp(&o);
    bench_mlp_step(&o);
    bench_neuron(&o);
    bench_chain(&o);
    bench_elementwise(&o);
    bench_matmul(&o);
    tg_tape_destroy();
    return 0;
}
