/* AVX2 version of the slot loop of the l1,inf histograms (see _l1inf.pyx).
 *
 * The build may not assume any instruction set beyond the baseline (no
 * -march), where gcc vectorizes the loop two doubles at a time and clamps
 * with compare-and-blend sequences.  Here it is compiled with a per-function
 * target attribute (AVX2 only: no FMA, so that gcc cannot contract the
 * multiply and the add) and chosen at run time (skp_l1inf_have_avx2);
 * elsewhere skp_l1inf_have_avx2() is 0 and the Cython loop runs.
 *
 * The slot of a magnitude a is (int) min(max((a - lo) * inv_width + 1, 0), top),
 * computed in double exactly as the Cython loop computes it (the same
 * operations in the same order, IEEE roundings, maxpd/minpd matching its
 * ternaries on non-NaN values): the band gather classifies the entries
 * again with the scalar expression, and both must agree.
 */
#ifndef SKPROJ_L1INF_SIMD_H
#define SKPROJ_L1INF_SIMD_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))

#include <immintrin.h>

#define SKP_L1INF_AVX2 __attribute__((target("avx2")))

static inline int skp_l1inf_have_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}

SKP_L1INF_AVX2 static inline void skp_slots4(__m256d a, __m256d lo, __m256d inv_width,
                                             __m256d top, double* values, int32_t* slots) {
    __m256d position = _mm256_add_pd(_mm256_mul_pd(_mm256_sub_pd(a, lo), inv_width),
                                     _mm256_set1_pd(1.0));
    position = _mm256_max_pd(position, _mm256_setzero_pd());
    position = _mm256_min_pd(position, top);
    _mm256_storeu_pd(values, a);
    _mm_storeu_si128((__m128i*) slots, _mm256_cvttpd_epi32(position));
}

static inline int32_t skp_slot1(double a, double lo, double inv_width, double top) {
    double position = (a - lo) * inv_width + 1.0;
    position = position > 0.0 ? position : 0.0;
    position = position < top ? position : top;
    return (int32_t) position;
}

/* values[j] = |row[j]|, slots[j] its slot, for j < n (contiguous row). */
SKP_L1INF_AVX2 static void skp_l1inf_slots_f64(const double* row, ptrdiff_t n, double lo,
                                               double inv_width, double top, double* values,
                                               int32_t* slots) {
    const __m256d sign = _mm256_set1_pd(-0.0), lo_v = _mm256_set1_pd(lo);
    const __m256d width_v = _mm256_set1_pd(inv_width), top_v = _mm256_set1_pd(top);
    ptrdiff_t j = 0;
    for (; j + 4 <= n; j += 4)
        skp_slots4(_mm256_andnot_pd(sign, _mm256_loadu_pd(row + j)), lo_v, width_v, top_v,
                   values + j, slots + j);
    for (; j < n; j++) {
        values[j] = fabs(row[j]);
        slots[j] = skp_slot1(values[j], lo, inv_width, top);
    }
}

SKP_L1INF_AVX2 static void skp_l1inf_slots_f32(const float* row, ptrdiff_t n, double lo,
                                               double inv_width, double top, double* values,
                                               int32_t* slots) {
    const __m256d sign = _mm256_set1_pd(-0.0), lo_v = _mm256_set1_pd(lo);
    const __m256d width_v = _mm256_set1_pd(inv_width), top_v = _mm256_set1_pd(top);
    ptrdiff_t j = 0;
    for (; j + 4 <= n; j += 4)
        skp_slots4(_mm256_andnot_pd(sign, _mm256_cvtps_pd(_mm_loadu_ps(row + j))), lo_v,
                   width_v, top_v, values + j, slots + j);
    for (; j < n; j++) {
        values[j] = fabs((double) row[j]);
        slots[j] = skp_slot1(values[j], lo, inv_width, top);
    }
}

#else

static inline int skp_l1inf_have_avx2(void) { return 0; }
static inline void skp_l1inf_slots_f64(const double* row, ptrdiff_t n, double lo,
                                       double inv_width, double top, double* values,
                                       int32_t* slots) {}
static inline void skp_l1inf_slots_f32(const float* row, ptrdiff_t n, double lo,
                                       double inv_width, double top, double* values,
                                       int32_t* slots) {}

#endif
#endif
