/* float32 lanes as doubles, for the SIMD kernels that sum or store float32
 * values in double (_l1_simd.h, _bilevel_simd.h, _streaming_simd.h,
 * _l1inf_simd.h, _l1inf_small.h, _l1inf_short.h, _hoyer_simd.h), defined once.
 *
 * A float32 converts to double exactly, so each helper is only a choice of
 * lanes: the low or high half of a vector (in the lanes' order), or the two
 * halves added, lane i plus lane i + half, which is how the float32 loops
 * fold a vector of partial sums in float (each lane's block) into their
 * sums in double.  Every kernel that folds that way takes the same helper,
 * so that the order of the additions, and with it the bits of the sums, is
 * the same on every path.  Compiled with per-function target attributes,
 * inlined always (into callers whose targets include them), as the kernels
 * that call them are chosen at run time.
 */
#ifndef SKPROJ_WIDEN_SIMD_H
#define SKPROJ_WIDEN_SIMD_H

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))

#include <immintrin.h>

#define SKP_WIDEN_AVX2 __attribute__((target("avx2"), always_inline))
#define SKP_WIDEN_AVX512 __attribute__((target("avx512f"), always_inline))

/* Lanes 0-3 of eight floats as four doubles. */
SKP_WIDEN_AVX2 static inline __m256d skp_low_pd(__m256 v) {
    return _mm256_cvtps_pd(_mm256_castps256_ps128(v));
}

/* Lanes 4-7 of eight floats as four doubles. */
SKP_WIDEN_AVX2 static inline __m256d skp_high_pd(__m256 v) {
    return _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
}

/* Lanes 0-7 of sixteen floats as eight doubles. */
SKP_WIDEN_AVX512 static inline __m512d skp_low8_pd(__m512 v) {
    return _mm512_cvtps_pd(_mm512_castps512_ps256(v));
}

/* Lanes 8-15 of sixteen floats as eight doubles. */
SKP_WIDEN_AVX512 static inline __m512d skp_high8_pd(__m512 v) {
    return _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}

/* Half ``half`` of eight floats (0: lanes 0-3, else lanes 4-7) as four
 * doubles; one conversion of the half chosen (``half`` may vary at run time). */
SKP_WIDEN_AVX2 static inline __m256d skp_half_pd(__m256 v, int half) {
    return _mm256_cvtps_pd(half ? _mm256_extractf128_ps(v, 1) : _mm256_castps256_ps128(v));
}

/* Half ``half`` of sixteen floats (0: lanes 0-7, else lanes 8-15) as eight
 * doubles; one conversion of the half chosen, as skp_half_pd. */
SKP_WIDEN_AVX512 static inline __m512d skp_half8_pd(__m512 v, int half) {
    return _mm512_cvtps_pd(half ? _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))
                                : _mm512_castps512_ps256(v));
}

/* A vector of 8 partial sums in float as 4 doubles, lane i plus lane i + 4. */
SKP_WIDEN_AVX2 static inline __m256d skp_widen_sum8(__m256 v) {
    return _mm256_add_pd(skp_low_pd(v), skp_high_pd(v));
}

/* A vector of 16 partial sums in float as 8 doubles, lane i plus lane i + 8. */
SKP_WIDEN_AVX512 static inline __m512d skp_widen_sum16(__m512 v) {
    return _mm512_add_pd(skp_low8_pd(v), skp_high8_pd(v));
}

#endif

#endif
