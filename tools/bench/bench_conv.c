/*
 * bench_conv.c -- conv2d and pooling forward + backward at the Fashion-MNIST
 * CNN's shapes, float32. tools/bench/bench_conv.py runs it interleaved with
 * the same work in PyTorch and prints the table of docs/performance.md.
 *
 *   bench_conv [REPS]     prints "name<TAB>median seconds" per shape
 *
 *   conv1: x [64,1,28,28] (no gradient) * W [32,1,3,3] + b, padding 1
 *   conv2: x [64,32,14,14] (with gradient) * W [64,32,3,3] + b, padding 1
 *   maxpool, avgpool: 2x2 windows, stride 2, of x (with gradient)
 * each step: y = conv2d(x, W, b) (or the pooling of x), backward of sum(y),
 * tape reset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <tapegrad/tapegrad.h>

typedef enum { CONV, MAX_POOL, AVG_POOL } bench_op;

typedef struct {
    const char *name;
    int64_t x[4], w[4];
    bool x_grad;
    bench_op op;
} shape_case;

static const shape_case cases[] = {
    {"conv1_64x1x28x28_32x1x3x3", {64, 1, 28, 28}, {32, 1, 3, 3}, false, CONV},
    {"conv2_64x32x14x14_64x32x3x3", {64, 32, 14, 14}, {64, 32, 3, 3}, true, CONV},
    {"maxpool_64x32x28x28_2x2", {64, 32, 28, 28}, {1}, true, MAX_POOL},
    {"maxpool_128x64x14x14_2x2", {128, 64, 14, 14}, {1}, true, MAX_POOL},
    {"avgpool_64x32x28x28_2x2", {64, 32, 28, 28}, {1}, true, AVG_POOL},
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static tg_tensor *filled(tg_tensor *t, unsigned seed)
{
    for (int64_t i = 0; i < tg_numel(t); i++) {
        seed = seed * 1103515245u + 12345u;
        tg_set(t, i, (double)(seed >> 8 & 0xffff) / 32768.0 - 1.0);
    }
    return t;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static tg_tensor *step(const shape_case *c, tg_tensor *x, tg_tensor *w, tg_tensor *b)
{
    int64_t window[2] = {2, 2};
    if (c->op == MAX_POOL)
        return tg_max_pool2d(x, window, NULL);
    if (c->op == AVG_POOL)
        return tg_avg_pool2d(x, window, NULL);
    return tg_conv2d(x, w, b, &(tg_conv_opts){.padding = {1, 1}});
}

static double run(const shape_case *c, int reps)
{
    tg_tensor *x = filled(tg_persistent(TG_F32, 4, c->x, NULL, c->x_grad), 1);
    tg_tensor *w = filled(tg_param(TG_F32, c->op == CONV ? 4 : 1, c->w, NULL), 2);
    tg_tensor *b = filled(tg_param(TG_F32, 1, c->w, NULL), 3);
    double t[64];
    for (int r = -1; r < reps; r++) { /* one warm-up */
        double t0 = now();
        tg_tensor *y = step(c, x, w, b);
        if (!y || tg_backward(tg_sum(y)) != 0) {
            fprintf(stderr, "%s\n", tg_last_error());
            exit(1);
        }
        tg_tape_reset();
        if (r >= 0)
            t[r] = now() - t0;
    }
    tg_free(x);
    tg_free(w);
    tg_free(b);
    qsort(t, (size_t)reps, sizeof t[0], cmp);
    return t[reps / 2];
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 5;
    if (reps < 1 || reps > 64)
        reps = 5;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        printf("%s\t%.6f\n", cases[i].name, run(&cases[i], reps));
    tg_tape_destroy();
    return 0;
}
