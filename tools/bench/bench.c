/*
 * bench.c -- tapegrad's side of the benchmark suite (tools/bench/run.sh runs
 * it next to bench_torch.py and prints the comparison). One line per result:
 *
 *     workload<TAB>threads<TAB>median<TAB>spread<TAB>unit
 *
 * spread is (max - min) / median over the repetitions. The thread count is
 * only reported here: OpenBLAS takes it from OPENBLAS_NUM_THREADS, which
 * run.sh sets for every side of a comparison alike.
 *
 *   bench [--threads N] [--reps R] [--quick] [--data DIR]
 */
#include <cblas.h>
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
} options;

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
    char name[64];
    snprintf(name, sizeof name, "chain_%d_s", n);
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

static void bench_mlp(const options *o, tg_dataset *train)
{
    static const struct {
        int64_t sizes[4];
        int n;
        int64_t batch;
    } cases[] = {{{784, 128, 10}, 3, 32}, {{784, 128, 10}, 3, 128}, {{784, 512, 512, 10}, 4, 128}};
    int64_t full = train->n;
    train->n = o->quick ? 6000 : full;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        double samples[16];
        int reps = o->quick ? 2 : 1;
        for (int r = 0; r < reps; r++)
            samples[r] = mlp_samples_per_second(train, cases[c].sizes, cases[c].n, cases[c].batch);
        char name[96];
        int len = snprintf(name, sizeof name, "mlp_");
        for (int i = 0; i < cases[c].n; i++)
            len += snprintf(name + len, sizeof name - (size_t)len, "%s%lld", i ? "-" : "",
                            (long long)cases[c].sizes[i]);
        snprintf(name + len, sizeof name - (size_t)len, "_b%lld_samples_per_s",
                 (long long)cases[c].batch);
        report(name, o, samples, reps, "samples/s");
    }
    train->n = full;
}

/* ---- 3. elementwise ops and the memory bandwidth they are bounded by ---- */

static tg_tensor *add_broadcast(tg_tensor *x)
{
    int64_t n = tg_numel(x);
    tg_tensor *bias = tg_full(TG_F32, 1, (int64_t[]){1000}, 0.5, false);
    tg_tensor *rows = tg_reshape(x, 2, (int64_t[]){n / 1000, 1000});
    return tg_reshape(tg_add(rows, bias), 1, (int64_t[]){n});
}

static void bench_elementwise(const options *o)
{
    int64_t n = o->quick ? 1000000 : 10000000;
    static const struct {
        const char *name;
        tg_tensor *(*fn)(tg_tensor *);
    } ops[] = {{"sigmoid", tg_sigmoid}, {"tanh", tg_tanh}, {"relu", tg_relu},
               {"add_bcast", add_broadcast}};
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        double samples[16];
        for (int r = 0; r < o->reps + 1; r++) {
            tg_tensor *x = tg_full(TG_F32, 1, &n, 0.25, true);
            tg_tensor *seed = tg_full(TG_F32, 1, &n, 1.0, false);
            double t0 = tg_perf_counter();
            if (tg_backward_ex(ops[k].fn(x), seed, 0) < 0)
                die(ops[k].name);
            if (r > 0) /* the first run faults the arena's pages in */
                samples[r - 1] = 5.0 * 4 * (double)n / (tg_perf_counter() - t0) / 1e9;
            tg_tape_reset();
        }
        char name[64];
        snprintf(name, sizeof name, "elementwise_%s_GBps", ops[k].name);
        report(name, o, samples, o->reps, "GB/s");
    }
    float *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b),
          *c = malloc((size_t)n * sizeof *c);
    for (int64_t i = 0; i < n; i++)
        a[i] = 0, b[i] = 1, c[i] = 2;
    double samples[16];
    for (int r = 0; r < o->reps + 1; r++) {
        double t0 = tg_perf_counter();
        for (int64_t i = 0; i < n; i++)
            a[i] = b[i] + 0.5f * c[i];
        if (r > 0) /* the first pass faults the pages in */
            samples[r - 1] = 3.0 * 4 * (double)n / (tg_perf_counter() - t0) / 1e9;
    }
    report("memory_triad_GBps", o, samples, o->reps, "GB/s");
    free(a);
    free(b);
    free(c);
}

/* ---- 4. a 1024x1024 layer at batch 256, next to plain sgemm ---- */

static void bench_matmul(const options *o)
{
    const int64_t batch = 256, width = 1024;
    const double flops = 2.0 * 2 * batch * width * width; /* forward and dW */
    double samples[16];
    tg_tensor *w = tg_param(TG_F32, 2, (int64_t[]){width, width}, NULL);
    for (int r = 0; r < o->reps + 1; r++) {
        tg_tensor *x = tg_full(TG_F32, 2, (int64_t[]){batch, width}, 0.01, false);
        tg_tensor *seed = tg_full(TG_F32, 2, (int64_t[]){batch, width}, 1.0, false);
        double t0 = tg_perf_counter();
        if (tg_backward_ex(tg_matmul_t(x, w, false, true), seed, 0) < 0)
            die("matmul");
        if (r > 0)
            samples[r - 1] = flops / (tg_perf_counter() - t0) / 1e9;
        tg_zero_grad(w);
        tg_tape_reset();
    }
    tg_free(w);
    report("matmul_1024x1024_b256_GFLOPs", o, samples, o->reps, "GFLOP/s");
    float *x = calloc((size_t)(batch * width), sizeof *x), *wm = calloc((size_t)(width * width), 4),
          *y = calloc((size_t)(batch * width), sizeof *y), *dw = calloc((size_t)(width * width), 4);
    for (int r = 0; r < o->reps; r++) {
        double t0 = tg_perf_counter();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, batch, width, width, 1, x, width, wm,
                    width, 0, y, width);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, width, width, batch, 1, y, width, x,
                    width, 0, dw, width);
        samples[r] = flops / (tg_perf_counter() - t0) / 1e9;
    }
    report("sgemm_same_sizes_GFLOPs", o, samples, o->reps, "GFLOP/s");
    free(x);
    free(wm);
    free(y);
    free(dw);
}

static void parse(int argc, char **argv, options *o)
{
    *o = (options){.threads = 1, .reps = 5};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            o->threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            o->reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--quick"))
            o->quick = true;
        else if (!strcmp(argv[i], "--data") && i + 1 < argc)
            o->data_dir = argv[++i];
        else {
            fprintf(stderr, "usage: bench [--threads N] [--reps R] [--quick] [--data DIR]\n");
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
    /* the MLP runs first, so that the peak RSS is that of the training run
     * (data set included) and not of the million-node chain */
    tg_dataset train;
    if (tg_fashion_mnist_load(o.data_dir, true, &train) < 0)
        die("loading Fashion-MNIST");
    bench_mlp(&o, &train);
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    double rss_mb = (double)usage.ru_maxrss / 1024;
    tg_dataset_free(&train);
    bench_neuron(&o);
    bench_chain(&o);
    bench_elementwise(&o);
    bench_matmul(&o);
    report("mlp_peak_rss_MB", &o, &rss_mb, 1, "MB");
    tg_tape_destroy();
    return 0;
}
