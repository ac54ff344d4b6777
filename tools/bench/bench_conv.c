/*
 * bench_conv.c -- conv2d forward + backward at the Fashion-MNIST CNN's
 * shapes, float32. tools/bench/bench_conv.py runs it interleaved with the
 * same work in PyTorch and prints the table of docs/performance.md.
 *
 *   bench_conv [REPS]     prints "name<TAB>median seconds" per shape
 *
 *   conv1: x [64,1,28,28] (no gradient) * W [32,1,3,3] + b, padding 1
 *   conv2: x [64,32,14,14] (with gradient) * W [64,32,3,3] + b, padding 1
 * each step: y = conv2d(x, W, b), backward of sum(y), tape reset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <tapegrad/tapegrad.h>

typedef struct {
    const char *name;
    int64_t x[4], w[4];
    bool x_grad;
} shape_case;

static const shape_case cases[] = {
    {"conv1_64x1x28x28_32x1x3x3", {64, 1, 28, 28}, {32, 1, 3, 3}, false},
    {"conv2_64x32x14x14_64x32x3x3", {64, 32, 14, 14}, {64, 32, 3, 3}, true},
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

static double run(const shape_case *c, int reps)
{
    tg_tensor *x = filled(tg_persistent(TG_F32, 4, c->x, NULL, c->x_grad), 1);
    tg_tensor *w = filled(tg_param(TG_F32, 4, c->w, NULL), 2);
    tg_tensor *b = filled(tg_param(TG_F32, 1, c->w, NULL), 3);
    double t[64];
    for (int r = -1; r < reps; r++) { /* one warm-up */
        double t0 = now();
        tg_tensor *y = tg_conv2d(x, w, b, &(tg_conv_opts){.padding = {1, 1}});
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
