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

/* Work below this many multiply-adds runs on one thread: a team would cost
 * about what it saves. */
#define TG_GEMM_SPLIT_MIN ((int64_t)1 << 22)

/* c [m, n] = op(a) op(b), plus c itself when accumulate, in dtype (F32 or
 * F64), op transposing a when ta and b when tb; leading dimensions as BLAS
 * takes them; k may be 0. The larger of c's sides is split between the
 * threads, so each element of c is one thread's full sum over k. */
void tg__gemm(tg_dtype dtype, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void *a,
              int64_t lda, const void *b, int64_t ldb, bool accumulate, void *c, int64_t ldc);
/* The same on the calling thread alone (inside a parallel region). */
void tg__gemm_one(tg_dtype dtype, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void *a,
                  int64_t lda, const void *b, int64_t ldb, bool accumulate, void *c, int64_t ldc);

#endif
