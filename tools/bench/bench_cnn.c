/*
 * bench_cnn.c -- training steps of the Fashion-MNIST CNN, float32:
 *
 *   conv2d(1->32, 3, pad 1) relu maxpool(2) conv2d(32->64, 3, pad 1) relu
 *   maxpool(2) flatten dense(3136->128) relu dense(128->10), cross-entropy,
 *   SGD lr 0.01 momentum 0.9, batch 64, the training images in file order.
 *
 * tools/bench/bench_cnn.py runs it interleaved with the same steps in
 * PyTorch and prints the table of docs/performance.md.
 *
 *   bench_cnn [--threads N] [--steps S] [--warmup W] [--data DIR]
 *
 * After W warm-up steps it times S steps and prints, tab-separated:
 *   seconds_per_step    wall time of the S steps / S
 *   mallocs_per_step    calls to malloc, calloc, realloc and the aligned
 *                       allocators during the S steps, / S: this program
 *                       defines them (forwarding to glibc's), so every
 *                       library's allocations are counted
 *   peak_rss_MB         the process's maximum resident set (VmHWM), data set
 *                       included
 *   loss                the mean training loss of the last step
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tapegrad/tapegrad.h>

#include "malloc_count.h"

/* VmHWM of /proc/self/status in MB: getrusage's ru_maxrss would include
 * the resident set of a parent that forked this process (Linux keeps it
 * across exec), e.g. bench_cnn.py's */
static double peak_rss_mb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %lf kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb / 1024;
}

/* ---- the model ---- */

typedef struct {
    tg_params *params;
    tg_tensor *w1, *b1, *w2, *b2, *w3, *b3, *w4, *b4;
} cnn;

static void die(const char *what)
{
    fprintf(stderr, "bench_cnn: %s: %s\n", what, tg_last_error());
    exit(1);
}

/* A parameter of shape, He-uniform over fan_in (biases: zeros), named as
 * PyTorch's nn.Sequential of the same layers names it. */
static tg_tensor *param(cnn *m, const char *name, int ndim, const int64_t *shape, int64_t fan_in,
                        tg_rng *rng)
{
    tg_tensor *t = tg_param(TG_F32, ndim, shape, NULL);
    if (!t || tg_init_tensor(t, ndim > 1 ? TG_INIT_HE_UNIFORM : TG_INIT_ZEROS, fan_in, 1, rng) < 0 ||
        tg_params_add(m->params, name, t) < 0)
        die(name);
    return t;
}

static void cnn_init(cnn *m)
{
    tg_rng rng;
    tg_rng_seed(&rng, 0);
    m->params = tg_params_new();
    if (!m->params)
        die("params");
    m->w1 = param(m, "0.weight", 4, (int64_t[]){32, 1, 3, 3}, 9, &rng);
    m->b1 = param(m, "0.bias", 1, (int64_t[]){32}, 9, &rng);
    m->w2 = param(m, "3.weight", 4, (int64_t[]){64, 32, 3, 3}, 288, &rng);
    m->b2 = param(m, "3.bias", 1, (int64_t[]){64}, 288, &rng);
    m->w3 = param(m, "7.weight", 2, (int64_t[]){128, 3136}, 3136, &rng);
    m->b3 = param(m, "7.bias", 1, (int64_t[]){128}, 3136, &rng);
    m->w4 = param(m, "9.weight", 2, (int64_t[]){10, 128}, 128, &rng);
    m->b4 = param(m, "9.bias", 1, (int64_t[]){10}, 128, &rng);
}

static tg_tensor *maxpool2(tg_tensor *x)
{
    return tg_max_pool2d(x, (int64_t[]){2, 2}, NULL);
}

static tg_tensor *dense(tg_tensor *x, tg_tensor *w, tg_tensor *b)
{
    return tg_add(tg_matmul_t(x, w, false, true), b);
}

static tg_tensor *cnn_forward(const cnn *m, tg_tensor *images)
{
    tg_conv_opts pad1 = {.padding = {1, 1}};
    int64_t n = tg_shape(images)[0];
    tg_tensor *x = tg_reshape(images, 4, (int64_t[]){n, 1, 28, 28});
    x = maxpool2(tg_relu(tg_conv2d(x, m->w1, m->b1, &pad1)));
    x = maxpool2(tg_relu(tg_conv2d(x, m->w2, m->b2, &pad1)));
    x = tg_flatten(x, 1, 3);
    return dense(tg_relu(dense(x, m->w3, m->b3)), m->w4, m->b4);
}

/* One training step on the batcher's next batch (a new epoch when one
 * ends); returns the loss. */
static double train_step(const cnn *m, tg_optim *optim, tg_batcher *batches)
{
    tg_tensor *x;
    const int64_t *labels;
    int rc = tg_batcher_next(batches, TG_F32, &x, &labels, NULL);
    if (rc == 0)
        rc = tg_batcher_next(batches, TG_F32, &x, &labels, NULL);
    if (rc < 0)
        die("batch");
    tg_optim_zero_grad(optim);
    tg_tensor *loss = tg_cross_entropy_loss(cnn_forward(m, x), labels, TG_REDUCTION_MEAN);
    if (!loss || tg_backward(loss) < 0 || tg_optim_step(optim) < 0)
        die("step");
    double value = tg_item(loss);
    tg_tape_reset();
    return value;
}

int main(int argc, char **argv)
{
    int threads = 1, steps = 100, warmup = 10;
    const char *data_dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
            steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc)
            warmup = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--data") && i + 1 < argc)
            data_dir = argv[++i];
        else {
            fprintf(stderr, "usage: bench_cnn [--threads N] [--steps S] [--warmup W] [--data DIR]\n");
            return 2;
        }
    }
    if (steps < 1 || warmup < 1 || tg_set_num_threads(threads) < 0) {
        fprintf(stderr, "bench_cnn: steps and warm-up steps must be positive, threads too\n");
        return 2;
    }
    tg_dataset train = {0};
    if (tg_fashion_mnist_load(data_dir, true, &train) < 0)
        die("loading Fashion-MNIST");
    cnn m;
    cnn_init(&m);
    tg_optim_config cfg = {.kind = TG_OPTIM_SGD, .lr = 0.01, .momentum = 0.9};
    tg_optim *optim = tg_optim_new(m.params, &cfg);
    tg_batcher *batches = tg_batcher_new(&train, 64, TG_BATCH_DROP_LAST, 0);
    if (!optim || !batches)
        die("setup");
    for (int i = 0; i < warmup; i++)
        train_step(&m, optim, batches);
    long allocated = malloc_count();
    double t0 = tg_perf_counter(), loss = 0;
    for (int i = 0; i < steps; i++)
        loss = train_step(&m, optim, batches);
    double seconds = tg_perf_counter() - t0;
    allocated = malloc_count() - allocated;
    printf("seconds_per_step\t%.6f\n", seconds / steps);
    printf("mallocs_per_step\t%.3f\n", (double)allocated / steps);
    printf("peak_rss_MB\t%.1f\n", peak_rss_mb());
    printf("loss\t%.4f\n", loss);
    tg_batcher_free(batches);
    tg_optim_free(optim);
    tg_params_free(m.params);
    tg_dataset_free(&train);
    tg_tape_destroy();
    return 0;
}
