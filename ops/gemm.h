/*
 * gemm.h -- a row-major gemm that splits its work between tapegrad's own
 * OpenMP threads, each running a one-thread BLAS gemm. OpenBLAS 0.3.21's
 * threaded gemm allocates its job list (512 KB, malloc) on every call;
 * this allocates nothing, so a training step stays allocation-free at the
 * malloc level with more than one thread. Not installed.
 */
#ifndef TG_GEMM_H
#define TG_GEMM_H

#include "kernel.h"

/* c [m, n] = op(a) op(b) in dtype (F32 or F64), op transposing a when ta
 * and b when tb; leading dimensions as BLAS takes them; k may be 0 (c is
 * then 0). The larger of c's sides is split between the threads, so each
 * element of c is one thread's full sum over k. */
void tg__gemm(tg_dtype dtype, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void *a,
              int64_t lda, const void *b, int64_t ldb, void *c, int64_t ldc);

#endif
