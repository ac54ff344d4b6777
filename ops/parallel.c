/*
 * parallel.c -- how many threads elementwise kernels use, and each thread's
 * share of the elements (the kernels' loops are in kernel.h).
 */
#include <omp.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "kernel.h"

/* 0 until first asked: then omp_get_max_threads(), which is OMP_NUM_THREADS
 * when set and the number of online CPUs otherwise. Atomic because a program
 * may run one tape per thread. */
static atomic_int num_threads;

int tg_set_num_threads(int n)
{
    if (n < 1)
        return tg__fail(TG_EVALUE, "tg_set_num_threads: thread count %d is not positive", n);
    atomic_store_explicit(&num_threads, n, memory_order_relaxed);
    /* OpenBLAS's OpenMP build asks omp_get_max_threads() at each call, so
     * this bounds matmul too, as torch.set_num_threads bounds MKL: without
     * it, "1 thread" still ran every gemm on a team of all the CPUs, and
     * libgomp allocated that team on each step (bench_cnn: 8 mallocs/step) */
    omp_set_num_threads(n);
    return TG_OK;
}

int tg_get_num_threads(void)
{
    int n = atomic_load_explicit(&num_threads, memory_order_relaxed);
    if (n == 0) {
        n = omp_get_max_threads();
        atomic_store_explicit(&num_threads, n, memory_order_relaxed);
    }
    return n;
}

/* Thread t's share of n elements among threads. */
static void share_of(int64_t n, int64_t threads, int64_t t, int64_t *lo, int64_t *hi)
{
    enum { ALIGN = 16 }; /* elements per 64-byte line for float: double's two lines stay apart too */
    int64_t share = ((n + threads - 1) / threads + ALIGN - 1) / ALIGN * ALIGN;
    *lo = t * share < n ? t * share : n;
    *hi = *lo + share < n ? *lo + share : n;
}

/* Whether the last gemm tg__gemm ran was split over the team. */
static atomic_bool last_gemm_on_team;

void tg__note_gemm_threads(int threads)
{
    atomic_store_explicit(&last_gemm_on_team, threads > 1, memory_order_relaxed);
}

void tg__thread_range(int64_t n, int64_t *lo, int64_t *hi)
{
    share_of(n, omp_get_num_threads(), omp_get_thread_num(), lo, hi);
}

void tg_parallel_for(int64_t begin, int64_t end, int64_t grain_size,
                     void (*fn)(void *ctx, int64_t lo, int64_t hi), void *ctx)
{
    int64_t n = end - begin, grain = grain_size > 0 ? grain_size : 1;
    int64_t threads = tg_get_num_threads(), useful = (n + grain - 1) / grain;
    threads = useful < threads ? useful : threads;
    if (n <= grain || threads <= 1) {
        if (n > 0)
            fn(ctx, begin, end);
        return;
    }
#pragma omp parallel num_threads((int)threads)
    {
        int64_t lo, hi;
        share_of(n, omp_get_num_threads(), omp_get_thread_num(), &lo, &hi);
        if (lo < hi)
            fn(ctx, begin + lo, begin + hi);
    }
}

/* Why follow the gemm: when every gemm runs on the calling thread, the
 * parameters and gradients of the step sit in that core's cache, and a
 * second thread has to pull its share over before it can work on it. The
 * 784-128-10 MLP at batch 32 (all gemms alone) trained 8% slower on 2
 * threads than on 1 with the optimizer and zeroing threaded, as fast as 1
 * thread with them on one, while at batch 128 (its first layer's gemms
 * split) threading them made 2 threads 10% faster (docs/performance.md). */
void tg_parallel_pass(int64_t begin, int64_t end, int64_t grain_size,
                      void (*fn)(void *ctx, int64_t lo, int64_t hi), void *ctx)
{
    bool on_team = atomic_load_explicit(&last_gemm_on_team, memory_order_relaxed);
    if (end - begin < TG_PARALLEL_MIN && !on_team) {
        if (end > begin)
            fn(ctx, begin, end);
        return;
    }
    tg_parallel_for(begin, end, grain_size, fn, ctx);
}
