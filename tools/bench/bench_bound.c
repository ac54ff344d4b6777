/*
 * bench_bound.c -- the machine's limits that tools/bench/run.sh sets each
 * workload against (its "bound" column). Measures
 *
 *   - a STREAM triad a[i] = b[i] + s c[i] on three arrays together beyond
 *     the last-level cache, on 1 and 2 threads, with ordinary and with
 *     non-temporal stores (STREAM's count: 12 bytes per element, the
 *     write-allocate read of a not counted);
 *   - sgemm 2048^3 on 1 and 2 threads (the machine's gemm rate);
 *   - OpenBLAS's sgemm at every gemm shape of each MLP training step (the
 *     forward product, dX for every layer but the first, dW with beta = 1),
 *     each at its best thread count.
 *
 * and prints, on stdout, one line per bound:
 *
 *     workload<TAB>bound<TAB>unit<TAB>how it was made
 *
 * and on stderr the measurements behind them. An MLP step's bound is the sum
 * of its gemm times plus the SGD update's bytes (read w and dW, write w: 12
 * per parameter) at the best triad rate, every elementwise pass assumed
 * fused away; an elementwise workload's is the best 2-thread triad rate; the
 * matmul layer's is plain sgemm at its two shapes.
 *
 *   bench_bound [--quick]
 */
#include <cblas.h>
#include <omp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

enum { REPS = 5 };

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *s, int n)
{
    qsort(s, (size_t)n, sizeof *s, compare_doubles);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void *alloc_or_die(size_t bytes)
{
    void *p = aligned_alloc(64, bytes);
    if (!p) {
        fprintf(stderr, "bench_bound: out of memory for %zu bytes\n", bytes);
        exit(1);
    }
    return p;
}

/* ---- the triad ---- */

/* One thread's share [lo, hi) of the triad. lo and hi are multiples of 16
 * (64 bytes), so the streaming stores stay aligned. */
static void triad_range(float *a, const float *b, const float *c, long lo, long hi, bool stream)
{
#if defined(__x86_64__)
    if (stream) {
        const __m128 s = _mm_set1_ps(0.5f);
        for (long i = lo; i < hi; i += 4)
            _mm_stream_ps(a + i, _mm_add_ps(_mm_load_ps(b + i), _mm_mul_ps(s, _mm_load_ps(c + i))));
        _mm_sfence();
        return;
    }
#else
    (void)stream;
#endif
    for (long i = lo; i < hi; i++)
        a[i] = b[i] + 0.5f * c[i];
}

static void triad(float *a, const float *b, const float *c, long n, int threads, bool stream)
{
#pragma omp parallel num_threads(threads)
    {
        long share = (n / omp_get_num_threads() + 15) / 16 * 16, lo = omp_get_thread_num() * share;
        long hi = lo + share < n ? lo + share : n;
        if (lo < hi)
            triad_range(a, b, c, lo, hi, stream);
    }
}

/* The triad's GB/s (median of REPS) for each thread count and store kind;
 * returns the best 2-thread figure. The arrays are first touched by the
 * threads that use them. */
static double measure_triad(bool quick)
{
    long n = quick ? 1L << 26 : 1L << 28; /* 3 x 256 MiB or 3 x 1 GiB: beyond the LLC */
    float *a = alloc_or_die((size_t)n * 4), *b = alloc_or_die((size_t)n * 4),
          *c = alloc_or_die((size_t)n * 4);
#pragma omp parallel for num_threads(2) schedule(static)
    for (long i = 0; i < n; i++)
        a[i] = 0, b[i] = 1, c[i] = 2;
    double best2 = 0;
    for (int threads = 1; threads <= 2; threads++)
        for (int stream = 0; stream <= 1; stream++) {
            double s[REPS];
            triad(a, b, c, n, threads, stream); /* warm-up */
            for (int r = 0; r < REPS; r++) {
                double t0 = now();
                triad(a, b, c, n, threads, stream);
                s[r] = 12.0 * (double)n / (now() - t0) / 1e9;
            }
            double m = median(s, REPS);
            fprintf(stderr, "triad %d thread(s), %s stores, %ld MiB arrays: %.1f GB/s\n", threads,
                    stream ? "non-temporal" : "ordinary", n * 4 >> 20, m);
            if (threads == 2 && m > best2)
                best2 = m;
        }
    free(a);
    free(b);
    free(c);
    return best2;
}

/* ---- sgemm ---- */

typedef struct {
    bool ta, tb;
    int m, n, k;
    float beta;
} gemm_shape;

static void set_threads(int threads)
{
    openblas_set_num_threads(threads);
    omp_set_num_threads(threads);
}

/* Seconds per call of one shape on threads threads: the median of REPS
 * rounds of at least 20 ms each, operands cache-warm as in a training step. */
static double gemm_seconds(const gemm_shape *g, int threads)
{
    float *a = alloc_or_die((size_t)g->m * g->k * 4 + 64), *b = alloc_or_die((size_t)g->k * g->n * 4 + 64),
          *c = alloc_or_die((size_t)g->m * g->n * 4 + 64);
    for (long i = 0; i < (long)g->m * g->k; i++)
        a[i] = 0.001f * (float)(i % 1000);
    for (long i = 0; i < (long)g->k * g->n; i++)
        b[i] = 0.002f * (float)(i % 500);
    memset(c, 0, (size_t)g->m * g->n * 4);
    set_threads(threads);
    int lda = g->ta ? g->m : g->k, ldb = g->tb ? g->k : g->n;
    double s[REPS];
    for (int r = -1; r < REPS; r++) { /* round -1 warms up */
        long calls = 0;
        double t0 = now(), t;
        do {
            cblas_sgemm(CblasRowMajor, g->ta ? CblasTrans : CblasNoTrans,
                        g->tb ? CblasTrans : CblasNoTrans, g->m, g->n, g->k, 1, a, lda, b, ldb,
                        g->beta, c, g->n);
            calls++;
        } while ((t = now() - t0) < 0.02);
        if (r >= 0)
            s[r] = t / (double)calls;
    }
    free(a);
    free(b);
    free(c);
    return median(s, REPS);
}

/* The faster thread count's time, reported on stderr with both. */
static double best_gemm_seconds(const gemm_shape *g, const char *what)
{
    double t1 = gemm_seconds(g, 1), t2 = gemm_seconds(g, 2);
    fprintf(stderr, "  %-9s m=%-4d n=%-4d k=%-4d %s%s: %7.1f us (1t)  %7.1f us (2t)\n", what, g->m,
            g->n, g->k, g->ta ? "T" : "N", g->tb ? "T" : "N", 1e6 * t1, 1e6 * t2);
    return t1 < t2 ? t1 : t2;
}

static void sgemm_rate(void)
{
    gemm_shape big = {false, false, 2048, 2048, 2048, 0};
    for (int threads = 1; threads <= 2; threads++)
        fprintf(stderr, "sgemm 2048^3, %d thread(s): %.0f GFLOP/s\n", threads,
                2.0 * 2048 * 2048 * 2048 / gemm_seconds(&big, threads) / 1e9);
}

/* One MLP training step's bound in samples/s. Weights are [out, in] as in
 * torch.nn.Linear and tg_linear: y = x W^T, dX = dY W, dW += dY^T x. */
static void mlp_bound(const int *sizes, int layers, int batch, double bandwidth)
{
    char name[96];
    int len = snprintf(name, sizeof name, "mlp_");
    for (int i = 0; i <= layers; i++)
        len += snprintf(name + len, sizeof name - (size_t)len, "%s%d", i ? "-" : "", sizes[i]);
    snprintf(name + len, sizeof name - (size_t)len, "_b%d_samples_per_s", batch);
    fprintf(stderr, "%s: gemms at the best thread count\n", name);
    double gemm = 0, params = 0;
    for (int l = 0; l < layers; l++) {
        int in = sizes[l], out = sizes[l + 1];
        gemm_shape fwd = {false, true, batch, out, in, 0}, dx = {false, false, batch, in, out, 0},
                   dw = {true, false, out, in, batch, 1};
        gemm += best_gemm_seconds(&fwd, "forward");
        if (l > 0)
            gemm += best_gemm_seconds(&dx, "dX");
        gemm += best_gemm_seconds(&dw, "dW");
        params += (double)out * in + out;
    }
    double sgd = 12 * params / (bandwidth * 1e9);
    fprintf(stderr, "  gemms %.1f us + SGD %.0f params at %.1f GB/s %.1f us\n", 1e6 * gemm, params,
            bandwidth, 1e6 * sgd);
    printf("%s\t%.6g\tsamples/s\tgemms at the best thread count + SGD bytes at the triad rate\n",
           name, batch / (gemm + sgd));
}

static void matmul_bound(void)
{
    gemm_shape fwd = {false, true, 256, 1024, 1024, 0}, dw = {true, false, 1024, 1024, 256, 1};
    fprintf(stderr, "matmul_1024x1024_b256:\n");
    double t = best_gemm_seconds(&fwd, "forward") + best_gemm_seconds(&dw, "dW");
    printf("matmul_1024x1024_b256_GFLOPs\t%.6g\tGFLOP/s\tplain sgemm at the same shapes\n",
           2.0 * 2 * 256 * 1024 * 1024 / t / 1e9);
}

int main(int argc, char **argv)
{
    bool quick = argc > 1 && !strcmp(argv[1], "--quick");
    if (argc > 2 || (argc == 2 && !quick)) {
        fprintf(stderr, "usage: bench_bound [--quick]\n");
        return 2;
    }
    double bandwidth = measure_triad(quick);
    sgemm_rate();
    static const char *elementwise[] = {"sigmoid", "tanh", "relu", "add_bcast"};
    for (int i = 0; i < 4; i++)
        printf("elementwise_%s_GBps\t%.6g\tGB/s\tbest 2-thread triad beyond the LLC\n",
               elementwise[i], bandwidth);
    mlp_bound((const int[]){784, 128, 10}, 2, 32, bandwidth);
    mlp_bound((const int[]){784, 128, 10}, 2, 128, bandwidth);
    mlp_bound((const int[]){784, 512, 512, 10}, 3, 128, bandwidth);
    matmul_bound();
    return 0;
}
