/*
 * bench_modes.c -- forward against reverse mode: the Jacobian of a function
 * of 100 inputs and 3 outputs by each mode, and a Hessian-vector product of
 * a 1,000-parameter loss by forward-over-reverse and reverse-over-reverse.
 * tools/bench/bench_modes.py runs it beside the same functions in functorch
 * (torch.func) and prints the table of docs/performance.md.
 *
 *   bench_modes [REPS]     prints "name<TAB>median seconds" per workload
 *
 *   jacobian: f(x) = A tanh(B x), x in R^100, B 32x100, A 3x32
 *   hvp:      L(W) = 1/2 sum (y - sigmoid(W x))^2, W 10x100, x in R^100
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <tapegrad/tapegrad.h>

enum { N_IN = 100, HIDDEN = 32, N_OUT = 3, ROWS = 10 };

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* deterministic values in [-1, 1] */
static tg_tensor *filled(tg_tensor *t, unsigned seed)
{
    for (int64_t i = 0; i < tg_numel(t); i++) {
        seed = seed * 1103515245u + 12345u;
        tg_set(t, i, (double)(seed >> 8 & 0xffff) / 32768.0 - 1.0);
    }
    return t;
}

static tg_tensor *param(int ndim, const int64_t *shape, unsigned seed)
{
    return filled(tg_param(TG_F64, ndim, shape, NULL), seed);
}

typedef struct {
    tg_tensor *A, *B, *x_data, *y_data;
} fixture;

static tg_tensor *jacobian_f(tg_tensor *const *in, void *ctx)
{
    const fixture *fx = ctx;
    return tg_matmul(fx->A, tg_tanh(tg_matmul(fx->B, in[0])));
}

static tg_tensor *layer_loss(tg_tensor *const *in, void *ctx)
{
    const fixture *fx = ctx;
    tg_tensor *d = tg_sub(fx->y_data, tg_sigmoid(tg_matmul(in[0], fx->x_data)));
    return tg_mul_scalar(tg_sum(tg_mul(d, d)), 0.5);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef enum { JAC_FORWARD, JAC_REVERSE, HVP, VHP } workload;

static int run_once(workload w, fixture *fx, tg_tensor *x, tg_tensor *W, tg_tensor *v)
{
    tg_tensor *out[1], *value;
    switch (w) {
    case JAC_FORWARD:
        return tg_jacobian(jacobian_f, fx, 1, &x, TG_JAC_FORWARD, out);
    case JAC_REVERSE:
        return tg_jacobian(jacobian_f, fx, 1, &x, TG_JAC_REVERSE, out);
    case HVP:
        return tg_hvp(layer_loss, fx, 1, &W, &v, &value, out);
    default:
        return tg_vhp(layer_loss, fx, 1, &W, &v, &value, out);
    }
}

static double median_time(workload w, fixture *fx, tg_tensor *x, tg_tensor *W, tg_tensor *v,
                          int reps)
{
    double *t = malloc((size_t)reps * sizeof *t);
    for (int r = 0; r < reps; r++) {
        double start = now();
        if (run_once(w, fx, x, W, v) != 0) {
            fprintf(stderr, "bench_modes: %s\n", tg_last_error());
            exit(1);
        }
        t[r] = now() - start;
        tg_tape_reset();
    }
    qsort(t, (size_t)reps, sizeof *t, cmp);
    double m = t[reps / 2];
    free(t);
    return m;
}

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 50;
    fixture fx = {param(2, (int64_t[]){N_OUT, HIDDEN}, 1), param(2, (int64_t[]){HIDDEN, N_IN}, 2),
                  param(1, (int64_t[]){N_IN}, 3), param(1, (int64_t[]){ROWS}, 4)};
    tg_tensor *x = param(1, (int64_t[]){N_IN}, 5), *W = param(2, (int64_t[]){ROWS, N_IN}, 6);
    tg_tensor *v = param(2, (int64_t[]){ROWS, N_IN}, 7);
    static const char *const names[] = {"jacobian_100x3_forward", "jacobian_100x3_reverse",
                                        "hvp_1000_forward_over_reverse",
                                        "hvp_1000_reverse_over_reverse"};
    for (int w = JAC_FORWARD; w <= VHP; w++)
        printf("%s\t%.9g\n", names[w], median_time((workload)w, &fx, x, W, v, reps));
    tg_free(fx.A);
    tg_free(fx.B);
    tg_free(fx.x_data);
    tg_free(fx.y_data);
    tg_free(x);
    tg_free(W);
    tg_free(v);
    tg_tape_destroy();
    return 0;
}
