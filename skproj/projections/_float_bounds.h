/* The float32 bounds that order every float32 as a double bound does.
 *
 * The float32 loops of the kernels compare their entries in float32 (eight
 * or sixteen a vector, where double would take half as many): against the
 * float f that gives, for every float a, the same answer as the double bound
 * (a > f exactly where a > bound, or a >= f exactly where a >= bound), the
 * comparisons are exact.  Defined once here for the l1 scans and passes
 * (_l1_simd.h, and through it _bilevel_simd.h), the group Hoyer band reads
 * (_hoyer_simd.h) and the exact l1,inf ball's passes (_l1inf_small.h).
 *
 * The neighbouring float is taken by a step of one in the bits (a call to
 * nextafterf costs a libm call, in loops that take one bound a strip);
 * bounds beyond float32's range are answered without a conversion, which C
 * leaves undefined there.  skp_float_below4 gives skp_float_below's answers
 * four at a time, by the vector conversion (defined beyond the range).
 */
#ifndef SKPROJ_FLOAT_BOUNDS_H
#define SKPROJ_FLOAT_BOUNDS_H

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A float's bit pattern as an unsigned integer: those of non-negative floats
 * order as their values do. */
static inline uint32_t skp_float_bits(float f) {
    uint32_t bits;
    memcpy(&bits, &f, sizeof(bits));
    return bits;
}

/* The float one unit from f (finite, not zero) towards +inf (``up``) or -inf. */
static inline float skp_float_step(float f, const int up) {
    uint32_t bits;
    memcpy(&bits, &f, sizeof(bits));
    /* away from zero where the step goes the way of f's sign */
    bits = (up == !(bits >> 31)) ? bits + 1u : bits - 1u;
    memcpy(&f, &bits, sizeof(f));
    return f;
}

/* The largest float f with (a > f) == (a > bound) for every float a: the
 * largest float at or below bound (-inf below -FLT_MAX, NaN for NaN). */
static inline float skp_float_below(double bound) {
    float f;
    if (bound > (double) FLT_MAX) return bound == INFINITY ? INFINITY : FLT_MAX;
    if (bound < -(double) FLT_MAX) return -INFINITY;
    f = (float) bound;
    if (!((double) f > bound)) return f;
    return f == 0.0f ? -FLT_TRUE_MIN : skp_float_step(f, 0);
}

/* The smallest float f with (a >= f) == (a >= bound) for every float a: the
 * smallest float at or above bound (+inf above FLT_MAX, NaN for NaN). */
static inline float skp_float_above(double bound) {
    float f;
    if (bound > (double) FLT_MAX) return INFINITY;
    if (bound < -(double) FLT_MAX) return bound == -INFINITY ? -INFINITY : -FLT_MAX;
    f = (float) bound;
    if (!((double) f < bound)) return f;
    return f == 0.0f ? FLT_TRUE_MIN : skp_float_step(f, 1);
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>

/* skp_float_below on four doubles, for the AVX2 loops that take a bound a
 * lane: the conversion rounds to nearest (beyond float32's range to +-inf),
 * and a float that lands above its bound steps one unit towards -inf (its
 * bits drop by one where it is positive, rise by one where negative or -0).
 * That answers every edge as skp_float_below does: +inf above a finite bound
 * steps to FLT_MAX, -FLT_MAX above a bound below it steps to -inf, -0 above
 * a negative one to -FLT_TRUE_MIN, and NaN stays NaN. */
__attribute__((target("avx2"))) static inline __m128 skp_float_below4(__m256d bound) {
    const __m128 f = _mm256_cvtpd_ps(bound);
    const __m128i bits = _mm_castps_si128(f), negative = _mm_srai_epi32(bits, 31);
    /* the comparison's 64-bit lanes narrowed to 32 */
    const __m128i too_high = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(
        _mm256_castpd_si256(_mm256_cmp_pd(_mm256_cvtps_pd(f), bound, _CMP_GT_OQ)),
        _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6)));
    /* -1 where positive, +1 where negative */
    const __m128i step = _mm_xor_si128(_mm_add_epi32(negative, negative), _mm_set1_epi32(-1));
    return _mm_castsi128_ps(_mm_add_epi32(bits, _mm_and_si128(step, too_high)));
}

/* skp_float_below4 over ``n`` bounds, a multiple of 4 (the testing hook
 * _l1._float_bounds; call it where the CPU has AVX2). */
__attribute__((target("avx2"))) static inline void skp_floats_below4(const double* bounds,
                                                                     ptrdiff_t n,
                                                                     float* below) {
    ptrdiff_t i;
    for (i = 0; i < n; i += 4)
        _mm_storeu_ps(below + i, skp_float_below4(_mm256_loadu_pd(bounds + i)));
}
#else
static inline void skp_floats_below4(const double* bounds, ptrdiff_t n, float* below) {
    ptrdiff_t i;
    for (i = 0; i < n; i++) below[i] = skp_float_below(bounds[i]);
}
#endif

#endif  /* SKPROJ_FLOAT_BOUNDS_H */
