/*
 * libmvec.h -- vector versions of the float functions that the elementwise
 * ops call beyond kernel.h's expf and tanhf. Not installed.
 *
 * glibc 2.35 added 4-lane SSE versions of these to libmvec; so declared, a
 * vectorised loop (-O3, -fno-math-errno) calls them four floats at a time,
 * as kernel.h's declarations do for exp and tanh. Their error stays within
 * a few ulp of the scalar calls. Same guard as kernel.h: clang has no simd
 * attribute.
 */
#ifndef TG_LIBMVEC_H
#define TG_LIBMVEC_H

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
#define TG_VECTOR_ __attribute__((simd("notinbranch")))
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
