/*
 * gemm.c -- tg__gemm: one-thread BLAS gemms over shares of c (gemm.h).
 */
#include <cblas.h>

#include "gemm.h"

static int ld(int64_t v) { return v > 1 ? (int)v : 1; }

void tg__gemm_one(tg_dtype dtype, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void *a,
                  int64_t lda, const void *b, int64_t ldb, bool accumulate, void *c, int64_t ldc)
{
    enum CBLAS_TRANSPOSE opa = ta ? CblasTrans : CblasNoTrans, opb = tb ? CblasTrans : CblasNoTrans;
    double beta = accumulate ? 1 : 0;
    if (dtype == TG_F32)
        cblas_sgemm(CblasRowMajor, opa, opb, (int)m, (int)n, (int)k, 1.0f, (const float *)a,
                    ld(lda), (const float *)b, ld(ldb), (float)beta, (float *)c, ld(ldc));
    else
        cblas_dgemm(CblasRowMajor, opa, opb, (int)m, (int)n, (int)k, 1.0, (const double *)a,
                    ld(lda), (const double *)b, ld(ldb), beta, (double *)c, ld(ldc));
}

/* The whole gemm on the calling thread, with OpenBLAS on one thread too.
 * OpenBLAS's OpenMP build sizes its team by omp_get_max_threads() at every
 * call and runs one thread inside a parallel region; from about 2^18
 * multiply-adds a threaded gemm mallocs its 512 KB job list (2 per step of
 * a 784-64-32-10 MLP at batch 32, tests/mlp_allocations.c). */
static void gemm_alone(tg_dtype dtype, bool ta, bool tb, int64_t m, int64_t n, int64_t k,
                       const void *a, int64_t lda, const void *b, int64_t ldb, bool accumulate,
                       void *c, int64_t ldc)
{
    int saved = omp_get_max_threads();
    if (saved <= 1 || omp_in_parallel()) {
        tg__gemm_one(dtype, ta, tb, m, n, k, a, lda, b, ldb, accumulate, c, ldc);
        return;
    }
#ifdef KMP_VERSION_MAJOR
    /* LLVM's libomp (a clang build) frees its idle threads when the count
     * drops and mallocs them again at the next fork: there the gemm runs in
     * a region of the usual team, on its first thread, instead */
#pragma omp parallel num_threads(saved)
    if (omp_get_thread_num() == 0)
        tg__gemm_one(dtype, ta, tb, m, n, k, a, lda, b, ldb, accumulate, c, ldc);
#else
    /* GCC's libgomp keeps its threads: one thread for this call costs two
     * stores, where a region would wake the team */
    omp_set_num_threads(1);
    tg__gemm_one(dtype, ta, tb, m, n, k, a, lda, b, ldb, accumulate, c, ldc);
    omp_set_num_threads(saved);
#endif
}

void tg__gemm(tg_dtype dtype, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void *a,
              int64_t lda, const void *b, int64_t ldb, bool accumulate, void *c, int64_t ldc)
{
    int threads = m * n * k < TG_GEMM_SPLIT_MIN ? 1 : tg_get_num_threads();
    tg__note_gemm_threads(threads);
    if (threads <= 1) {
        gemm_alone(dtype, ta, tb, m, n, k, a, lda, b, ldb, accumulate, c, ldc);
        return;
    }
    int64_t size = (int64_t)tg__dtype_size(dtype);
    bool by_rows = m > n; /* split c's rows (a's) or its columns (b's) */
#pragma omp parallel num_threads(threads)
    {
        int64_t lo, hi;
        tg__thread_range(by_rows ? m : n, &lo, &hi);
        if (by_rows && lo < hi)
            tg__gemm_one(dtype, ta, tb, hi - lo, n, k,
                         (const char *)a + (ta ? lo : lo * lda) * size, lda, b, ldb, accumulate,
                         (char *)c + lo * ldc * size, ldc);
        else if (lo < hi)
            tg__gemm_one(dtype, ta, tb, m, hi - lo, k, a, lda,
                         (const char *)b + (tb ? lo * ldb : lo) * size, ldb, accumulate,
                         (char *)c + lo * size, ldc);
    }
}
