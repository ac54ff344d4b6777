/*
 * bench_accumulate.c -- where a second thread starts to pay for the sweep's
 * gradient accumulation (add_in_place in autograd/backward.c's deliver) and
 * tg_zero_grad: each timed on 1 and 2 threads, interleaved round by round,
 * by gradient size. One line per size and operation:
 *
 *     op<TAB>elements<TAB>ns on 1 thread<TAB>ns on 2 threads
 *
 * (medians of 9 rounds, each call repeated to fill about 4 M elements). The accumulation is timed through a sweep of a
 * reshape of a parameter, whose rule hands the seed on as a view: the sweep's
 * bookkeeping is in the figure, the same on both thread counts. Run it with
 * grains above every size (ACCUMULATE_GRAIN, ZERO_GRAIN) to see one thread's
 * figure twice. Below 2^18 elements both passes go on the threads only after
 * a gemm split over them (tg_parallel_pass), so one 256^3 matmul on 2
 * threads runs first: the figures are those of a step whose gemms split.
 *
 *   bench_accumulate
 */
#include <stdio.h>
#include <stdlib.h>

#include <tapegrad/tapegrad.h>

enum { ROUNDS = 9 };

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void die(const char *what)
{
    fprintf(stderr, "bench_accumulate: %s: %s\n", what, tg_last_error());
    exit(1);
}

/* ns per call of op on w: accumulate (a sweep) or tg_zero_grad. */
static double time_op(bool accumulate, tg_tensor *w, tg_tensor *seed, int calls)
{
    int64_t n = tg_numel(w);
    double t0 = tg_perf_counter();
    for (int c = 0; c < calls; c++) {
        if (!accumulate) {
            tg_zero_grad(w);
            continue;
        }
        if (tg_backward_ex(tg_reshape(w, 1, &n), seed, 0) < 0)
            die("sweep");
        tg_tape_reset();
    }
    return (tg_perf_counter() - t0) / calls * 1e9;
}

/* A gemm of 2^24 multiply-adds, split over 2 threads. */
static void split_a_gemm(void)
{
    tg_set_num_threads(2);
    tg_tensor *a = tg_full(TG_F32, 2, (int64_t[]){256, 256}, 0.5, false);
    if (!tg_matmul(a, a))
        die("matmul");
    tg_tape_reset();
}

int main(void)
{
    split_a_gemm();
    for (int64_t n = 1 << 12; n <= 1 << 21; n *= 2) {
        tg_tensor *w = tg_param(TG_F32, 1, &n, NULL);
        tg_tensor *seed = tg_persistent(TG_F32, 1, &n, NULL, false);
        if (!w || !seed)
            die("setup");
        int calls = (int)(((int64_t)1 << 22) / n) + 1;
        time_op(true, w, seed, calls); /* makes .grad and faults it in */
        for (int op = 0; op < 2; op++) {
            double s[2][ROUNDS];
            for (int r = 0; r < ROUNDS; r++)
                for (int t = 0; t < 2; t++) {
                    tg_set_num_threads(t + 1);
                    s[t][r] = time_op(op, w, seed, calls);
                }
            for (int t = 0; t < 2; t++)
                qsort(s[t], ROUNDS, sizeof s[t][0], compare_doubles);
            printf("%s\t%lld\t%.0f\t%.0f\n", op ? "accumulate" : "zero_grad", (long long)n,
                   s[0][ROUNDS / 2], s[1][ROUNDS / 2]);
            fflush(stdout);
        }
        tg_free(seed);
        tg_free(w);
    }
    tg_tape_destroy();
    return 0;
}
