/*
 * bench_optim.c -- the cost of one optimizer step per parameter element:
 * plain SGD, SGD with momentum and Adam, float32, on tensors the size of a
 * small layer up to beyond the last-level cache, at each thread count.
 *
 *   bench_optim [--reps R] [--threads N ...]
 *
 * Prints, tab-separated: optimizer, elements, threads, ns per element (the
 * minimum over R steps of one tensor), and the bytes moved per second
 * (each rule's reads and writes of p, g and its state, counted once).
 * SGD below 2^18 elements goes on the threads only after a gemm split over
 * them (tg_parallel_pass), so a 256^3 matmul on 2 threads runs first: the
 * figures are those of a step whose gemms split.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tapegrad/tapegrad.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct {
    const char *name;
    tg_optim_config cfg;
    int bytes_per_element; /* float32: p read and written, g read, each state read and written */
} rule;

/* A parameter of n elements whose gradient is all ones, from one sweep. */
static tg_tensor *param_with_grad(int64_t n)
{
    tg_tensor *p = tg_param(TG_F32, 1, &n, NULL);
    if (!p || tg_backward(tg_sum(p)) < 0)
        return NULL;
    tg_tape_reset();
    return p;
}

static double ns_per_element(const rule *r, int64_t n, int reps)
{
    tg_params *params = tg_params_new();
    tg_tensor *p = param_with_grad(n);
    bool added = params && tg_params_add(params, "w", p) == 0;
    tg_optim *o = added ? tg_optim_new(params, &r->cfg) : NULL;
    double best = -1;
    if (o && tg_optim_step(o) == 0) { /* the first step makes the state */
        best = 1e30;
        for (int i = 0; i < reps; i++) {
            double t0 = now();
            tg_optim_step(o);
            double t = now() - t0;
            best = t < best ? t : best;
        }
    }
    if (best < 0)
        fprintf(stderr, "bench_optim: %s\n", tg_last_error());
    tg_optim_free(o);
    tg_params_free(params); /* and p, which it owns */
    return best < 0 ? -1 : best * 1e9 / (double)n;
}

int main(int argc, char **argv)
{
    int reps = 50, threads[8] = {1, 2}, n_threads = 2;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
            reps = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--threads")) {
            for (n_threads = 0; i + 1 < argc && argv[i + 1][0] != '-' && n_threads < 8;)
                threads[n_threads++] = atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: bench_optim [--reps R] [--threads N ...]\n");
            return 2;
        }
    }
    tg_set_num_threads(2); /* one split gemm: see the top */
    tg_tensor *square = tg_full(TG_F32, 2, (int64_t[]){256, 256}, 0.5, false);
    if (!tg_matmul(square, square)) {
        fprintf(stderr, "bench_optim: %s\n", tg_last_error());
        return 1;
    }
    tg_tape_reset();
    const rule rules[] = {
        {"sgd", {.kind = TG_OPTIM_SGD, .lr = 0.01}, 12},
        {"momentum", {.kind = TG_OPTIM_SGD, .lr = 0.01, .momentum = 0.9}, 20},
        {"adam", tg_optim_defaults(TG_OPTIM_ADAM), 28},
    };
    const int64_t sizes[] = {4096, 16384, 65536, 401408, 4194304};
    printf("optimizer\telements\tthreads\tns_per_element\tGB_per_s\n");
    for (size_t r = 0; r < sizeof rules / sizeof *rules; r++)
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
            for (int t = 0; t < n_threads; t++) {
                tg_set_num_threads(threads[t]);
                double ns = ns_per_element(&rules[r], sizes[s], reps);
                if (ns < 0)
                    return 1;
                printf("%s\t%lld\t%d\t%.3f\t%.1f\n", rules[r].name, (long long)sizes[s], threads[t],
                       ns, rules[r].bytes_per_element / ns);
            }
    return 0;
}
