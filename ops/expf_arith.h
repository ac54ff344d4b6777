/*
 * expf_arith.h -- e^x for float x <= 0 from IEEE adds, multiplies and
 * integer bit operations alone, no libm call. Not installed.
 *
 * Why its own: a loop that calls libm's expf vectorises only through
 * libmvec, whose 4-, 8- and 16-lane versions may round otherwise than each
 * other and than the scalar expf, so such a loop is compiled for the
 * baseline alone (CMakeLists.txt: every TG_HOT clone must give the same
 * bits), four floats at a time. Basic IEEE operations round the same in
 * every clone and in the scalar path (-ffp-contract=off), so a loop around
 * this function is TG_HOT: 16 lanes under AVX-512, the same bits.
 *
 * Method (Cephes' expf): x = n ln2 + r with n = round(x log2 e) and
 * |r| <= ln2 / 2 (ln2 in two parts, the first exact times any n used
 * here); e^r by Cephes' degree-7 minimax polynomial; 2^n applied as two
 * exact powers of two so that results down to the smallest subnormal
 * round once. Error against exp in double: at most 0.98 ulp over every
 * float of [-110, 0] (measured). Below -104, where e^x rounds to 0 in
 * float anyway, the argument is clamped; NaN stays NaN. sigmoid's and
 * tanh's tests bound the error of the functions built on these.
 */
#ifndef TG_EXPF_ARITH_H
#define TG_EXPF_ARITH_H

#include <stdint.h>
#include <string.h>

/* 2^k as a float, for -126 <= k <= 127. */
static inline float tg__pow2i_f32(int32_t k)
{
    uint32_t bits = (uint32_t)(k + 127) << 23;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* e^x = 2^k (1 + m) for x <= 0 (x clamped at -104, NaN kept): k and
 * m = e^r - 1 = p r^2 + r, |r| <= ln2 / 2, which carries no cancellation. */
static inline float tg__exp_parts_f32(float x, int32_t *k)
{
    const float log2e = 1.44269504088896341f;
    const float ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f; /* ln2_hi has 9 bits */
    const float round_shift = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer */
    /* both clamps in the form that keeps NaN where it must go: n's
     * argument (an int to be) becomes -104, r's stays NaN */
    float xn = x >= -104.0f ? x : -104.0f, xr = x < -104.0f ? -104.0f : x;
    float n = (xn * log2e + round_shift) - round_shift; /* in [-150, 0] */
    float r = (xr - n * ln2_hi) - n * ln2_lo;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    *k = (int32_t)n;
    return p * (r * r) + r;
}

/* 2^k for -150 <= k <= 0 as the product of two normal powers of two
 * (each half >= -75): exact down to the smallest subnormal, 2^-149. */
static inline float tg__pow2_f32(int32_t k)
{
    int32_t k1 = k / 2;
    return tg__pow2i_f32(k1) * tg__pow2i_f32(k - k1);
}

/* e^x for x <= 0: (1 + m) 2^k, rounded once. */
static inline float tg__exp_nonpositive_f32(float x)
{
    int32_t k;
    float m = tg__exp_parts_f32(x, &k);
    return (m + 1.0f) * tg__pow2_f32(k);
}

#endif
