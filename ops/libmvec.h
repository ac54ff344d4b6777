/*
 * libmvec.h -- vector versions of the float functions the elementwise ops
 * call. Not installed; kernel.h includes it.
 *
 * glibc's libmvec has 4-lane SSE versions of these; so declared, a
 * vectorised loop (-O3, -fno-math-errno, see CMakeLists.txt) calls them four
 * floats at a time. Their error stays within a few ulp of the scalar calls;
 * double keeps the scalar libm calls, whose results the f64 tests compare at
 * 1e-15. clang has no simd attribute: its loops call the scalar functions.
 */
#ifndef TG_LIBMVEC_H
#define TG_LIBMVEC_H

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
#define TG_VECTOR_ __attribute__((simd("notinbranch")))
float expf(float) TG_VECTOR_;
float tanhf(float) TG_VECTOR_;
float tanf(float) TG_VECTOR_;
float asinf(float) TG_VECTOR_;
float acosf(float) TG_VECTOR_;
float atanf(float) TG_VECTOR_;
float sinhf(float) TG_VECTOR_;
float coshf(float) TG_VECTOR_;
float asinhf(float) TG_VECTOR_;
float acoshf(float) TG_VECTOR_;
float atanhf(float) TG_VECTOR_;
float log1pf(float) TG_VECTOR_;
float expm1f(float) TG_VECTOR_;
float log2f(float) TG_VECTOR_;
float log10f(float) TG_VECTOR_;
float exp2f(float) TG_VECTOR_;
float erff(float) TG_VECTOR_;
float erfcf(float) TG_VECTOR_;
#undef TG_VECTOR_
#endif

#endif
