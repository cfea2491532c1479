/* The pass of the in-cache path of the exact l1,inf projection (see
 * ``_small_project`` in _l1inf.pyx): for every group g and its level l_g, the
 * count and the sum of its magnitudes above the level,
 *
 *     counts[g] = #{i : |y_ig| > l_g},    sums[g] = sum of those |y_ig|,
 *
 * in double (float32 values are converted exactly).  Two layouts:
 *
 * - ``lanes``: the groups are the columns of contiguous rows (the column
 *   groups of a C-ordered matrix, the row groups of an F-ordered one): one
 *   group per SIMD lane, a strip of groups at a time, read row by row, with
 *   the accumulators in registers;
 * - ``groups``: every group is contiguous (rows of a C-ordered matrix,
 *   columns of an F-ordered one): one group at a time, four vectors of
 *   partial sums.
 *
 * Each group's sum is taken in a fixed order (the same for every level), so
 * two passes whose counts agree have the same sets and bit-identical sums:
 * the driver's convergence test.  The AVX-512 and AVX2 loops are compiled
 * with per-function target attributes and chosen at run time (no -march);
 * the plain C loops run elsewhere.  No FMA: nothing here multiplies.
 */
#ifndef SKPROJ_L1INF_SMALL_H
#define SKPROJ_L1INF_SMALL_H

#include <math.h>
#include <stddef.h>
#include <string.h>

/* 2: AVX-512F, 1: AVX2, 0: plain C. */
static int skp_small_simd_level(void) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return 2;
    if (__builtin_cpu_supports("avx2")) return 1;
#endif
    return 0;
}

/* A contiguous group's sum is taken in one order on every path (so that the
 * SIMD and plain loops agree bit for bit): entry i of the first
 * length - length % 32 goes to partial[(i / 8) % 4][i % 8], the others to
 * partial[0][(i - bulk) % 8], each partial in increasing i; then this sum. */
static inline double skp_small_total(double partial[4][8]) {
    double v[8];
    int j;
    for (j = 0; j < 8; j++)
        v[j] = (partial[0][j] + partial[1][j]) + (partial[2][j] + partial[3][j]);
    return ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]));
}

#define SKP_ROW(base, stride, i, T) ((const T*) ((const char*) (base) + (i) * (stride)))

/* ------------------------------------------------------------ plain C */

#define SKP_SMALL_PLAIN(T, SUFFIX)                                                          \
static void skp_small_lanes_plain_##SUFFIX(const T* y, ptrdiff_t length, ptrdiff_t width,   \
                                           ptrdiff_t row_stride, const double* level,       \
                                           double* counts, double* sums) {                  \
    ptrdiff_t i, g;                                                                         \
    for (g = 0; g < width; g++) { counts[g] = 0.0; sums[g] = 0.0; }                         \
    for (i = 0; i < length; i++) {                                                          \
        const T* row = SKP_ROW(y, row_stride, i, T);                                        \
        for (g = 0; g < width; g++) {                                                       \
            double a = fabs((double) row[g]);                                               \
            int above = a > level[g];                                                       \
            counts[g] += above ? 1.0 : 0.0;                                                 \
            sums[g] += above ? a : 0.0;                                                     \
        }                                                                                   \
    }                                                                                       \
}                                                                                           \
static void skp_small_groups_plain_##SUFFIX(const T* y, ptrdiff_t n_groups,                 \
                                            ptrdiff_t length, ptrdiff_t group_stride,       \
                                            const double* level, double* counts,            \
                                            double* sums) {                                 \
    ptrdiff_t i, g, bulk = length - length % 32;                                            \
    double partial[4][8];                                                                   \
    for (g = 0; g < n_groups; g++) {                                                        \
        const T* group = SKP_ROW(y, group_stride, g, T);                                    \
        double u = level[g], c = 0.0;                                                       \
        memset(partial, 0, sizeof(partial));                                                \
        for (i = 0; i < length; i++) {                                                     \
            double a = fabs((double) group[i]);                                             \
            int above = a > u;                                                              \
            double* slot = i < bulk ? &partial[(i / 8) % 4][i % 8]                          \
                                    : &partial[0][(i - bulk) % 8];                          \
            c += above ? 1.0 : 0.0;                                                         \
            *slot += above ? a : 0.0;                                                       \
        }                                                                                   \
        counts[g] = c;                                                                      \
        sums[g] = skp_small_total(partial);                                                 \
    }                                                                                       \
}

SKP_SMALL_PLAIN(double, f64)
SKP_SMALL_PLAIN(float, f32)

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))

#include <immintrin.h>

/* ------------------------------------------------------------ AVX-512 */

#define SKP_AVX512 __attribute__((target("avx512f")))
#define SKP_SMALL_AVX2 __attribute__((target("avx2")))

/* |y| of 8 values in double, float32 or float64; only the first n (<= 8) are
 * read, the others are 0 (never above a level, which is >= 0). */
SKP_AVX512 static inline __attribute__((always_inline)) __m512d skp_small_abs8(
        const void* p, ptrdiff_t n, const int single) {
    __mmask8 k = n >= 8 ? (__mmask8) 0xff : (__mmask8) ((1u << n) - 1u);
    __m512d v;
    if (single)
        v = n >= 8 ? _mm512_cvtps_pd(_mm256_loadu_ps((const float*) p))
                   : _mm512_cvtps_pd(_mm512_castps512_ps256(
                         _mm512_maskz_loadu_ps((__mmask16) k, p)));
    else
        v = n >= 8 ? _mm512_loadu_pd(p) : _mm512_maskz_loadu_pd(k, p);
    return _mm512_abs_pd(v);
}

SKP_AVX512 static inline __attribute__((always_inline)) void skp_small_lanes512(
        const void* y, ptrdiff_t length, ptrdiff_t width, ptrdiff_t row_stride,
        const double* level, double* counts, double* sums, const int single) {
    const ptrdiff_t item = single ? 4 : 8;
    const __m512d one = _mm512_set1_pd(1.0);
    ptrdiff_t g = 0, i, n;
    /* Strips of 32 groups: four vectors of levels, counts and sums in registers. */
    for (; g + 32 <= width; g += 32) {
        __m512d l0 = _mm512_loadu_pd(level + g), l1 = _mm512_loadu_pd(level + g + 8);
        __m512d l2 = _mm512_loadu_pd(level + g + 16), l3 = _mm512_loadu_pd(level + g + 24);
        __m512d s0 = _mm512_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
        __m512d c0 = s0, c1 = s0, c2 = s0, c3 = s0;
        for (i = 0; i < length; i++) {
            const char* row = (const char*) y + i * row_stride + g * item;
            __m512d a0 = skp_small_abs8(row, 8, single);
            __m512d a1 = skp_small_abs8(row + 8 * item, 8, single);
            __m512d a2 = skp_small_abs8(row + 16 * item, 8, single);
            __m512d a3 = skp_small_abs8(row + 24 * item, 8, single);
            __mmask8 k0 = _mm512_cmp_pd_mask(a0, l0, _CMP_GT_OQ);
            __mmask8 k1 = _mm512_cmp_pd_mask(a1, l1, _CMP_GT_OQ);
            __mmask8 k2 = _mm512_cmp_pd_mask(a2, l2, _CMP_GT_OQ);
            __mmask8 k3 = _mm512_cmp_pd_mask(a3, l3, _CMP_GT_OQ);
            s0 = _mm512_mask_add_pd(s0, k0, s0, a0);
            s1 = _mm512_mask_add_pd(s1, k1, s1, a1);
            s2 = _mm512_mask_add_pd(s2, k2, s2, a2);
            s3 = _mm512_mask_add_pd(s3, k3, s3, a3);
            c0 = _mm512_mask_add_pd(c0, k0, c0, one);
            c1 = _mm512_mask_add_pd(c1, k1, c1, one);
            c2 = _mm512_mask_add_pd(c2, k2, c2, one);
            c3 = _mm512_mask_add_pd(c3, k3, c3, one);
        }
        _mm512_storeu_pd(sums + g, s0);
        _mm512_storeu_pd(sums + g + 8, s1);
        _mm512_storeu_pd(sums + g + 16, s2);
        _mm512_storeu_pd(sums + g + 24, s3);
        _mm512_storeu_pd(counts + g, c0);
        _mm512_storeu_pd(counts + g + 8, c1);
        _mm512_storeu_pd(counts + g + 16, c2);
        _mm512_storeu_pd(counts + g + 24, c3);
    }
    /* The last groups, 8 (or fewer, masked) at a time. */
    for (; g < width; g += 8) {
        __mmask8 k;
        __m512d l, s = _mm512_setzero_pd(), c = s;
        n = width - g < 8 ? width - g : 8;
        k = (__mmask8) ((1u << n) - 1u);
        l = _mm512_maskz_loadu_pd(k, level + g);
        for (i = 0; i < length; i++) {
            __m512d a = skp_small_abs8((const char*) y + i * row_stride + g * item, n, single);
            __mmask8 above = _mm512_cmp_pd_mask(a, l, _CMP_GT_OQ);
            s = _mm512_mask_add_pd(s, above, s, a);
            c = _mm512_mask_add_pd(c, above, c, one);
        }
        _mm512_mask_storeu_pd(sums + g, k, s);
        _mm512_mask_storeu_pd(counts + g, k, c);
    }
}

SKP_AVX512 static inline __attribute__((always_inline)) void skp_small_groups512(
        const void* y, ptrdiff_t n_groups, ptrdiff_t length, ptrdiff_t group_stride,
        const double* level, double* counts, double* sums, const int single) {
    const ptrdiff_t item = single ? 4 : 8;
    const __m512d one = _mm512_set1_pd(1.0);
    ptrdiff_t g, i;
    double partial[4][8];
    for (g = 0; g < n_groups; g++) {
        const char* group = (const char*) y + g * group_stride;
        __m512d u = _mm512_set1_pd(level[g]);
        __m512d s0 = _mm512_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
        __m512d c0 = s0, c1 = s0, c2 = s0, c3 = s0;
        for (i = 0; i + 32 <= length; i += 32) {
            __m512d a0 = skp_small_abs8(group + i * item, 8, single);
            __m512d a1 = skp_small_abs8(group + (i + 8) * item, 8, single);
            __m512d a2 = skp_small_abs8(group + (i + 16) * item, 8, single);
            __m512d a3 = skp_small_abs8(group + (i + 24) * item, 8, single);
            __mmask8 k0 = _mm512_cmp_pd_mask(a0, u, _CMP_GT_OQ);
            __mmask8 k1 = _mm512_cmp_pd_mask(a1, u, _CMP_GT_OQ);
            __mmask8 k2 = _mm512_cmp_pd_mask(a2, u, _CMP_GT_OQ);
            __mmask8 k3 = _mm512_cmp_pd_mask(a3, u, _CMP_GT_OQ);
            s0 = _mm512_mask_add_pd(s0, k0, s0, a0);
            s1 = _mm512_mask_add_pd(s1, k1, s1, a1);
            s2 = _mm512_mask_add_pd(s2, k2, s2, a2);
            s3 = _mm512_mask_add_pd(s3, k3, s3, a3);
            c0 = _mm512_mask_add_pd(c0, k0, c0, one);
            c1 = _mm512_mask_add_pd(c1, k1, c1, one);
            c2 = _mm512_mask_add_pd(c2, k2, c2, one);
            c3 = _mm512_mask_add_pd(c3, k3, c3, one);
        }
        for (; i < length; i += 8) {
            __m512d a = skp_small_abs8(group + i * item, length - i, single);
            __mmask8 k = _mm512_cmp_pd_mask(a, u, _CMP_GT_OQ);
            s0 = _mm512_mask_add_pd(s0, k, s0, a);
            c0 = _mm512_mask_add_pd(c0, k, c0, one);
        }
        _mm512_storeu_pd(partial[0], s0);
        _mm512_storeu_pd(partial[1], s1);
        _mm512_storeu_pd(partial[2], s2);
        _mm512_storeu_pd(partial[3], s3);
        sums[g] = skp_small_total(partial);
        counts[g] = _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(c0, c1),
                                                       _mm512_add_pd(c2, c3)));
    }
}

/* ------------------------------------------------------------ AVX2 */

/* |y| of 4 values in double (float32 or float64). */
SKP_SMALL_AVX2 static inline __attribute__((always_inline)) __m256d skp_small_abs4(
        const void* p, const int single) {
    const __m256d magnitude = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
    __m256d v = single ? _mm256_cvtps_pd(_mm_loadu_ps((const float*) p))
                       : _mm256_loadu_pd((const double*) p);
    return _mm256_and_pd(v, magnitude);
}

SKP_SMALL_AVX2 static inline __attribute__((always_inline)) void skp_small_lanes256(
        const void* y, ptrdiff_t length, ptrdiff_t width, ptrdiff_t row_stride,
        const double* level, double* counts, double* sums, const int single) {
    const ptrdiff_t item = single ? 4 : 8;
    const __m256d one = _mm256_set1_pd(1.0);
    ptrdiff_t g = 0, i;
    for (; g + 16 <= width; g += 16) {
        __m256d l0 = _mm256_loadu_pd(level + g), l1 = _mm256_loadu_pd(level + g + 4);
        __m256d l2 = _mm256_loadu_pd(level + g + 8), l3 = _mm256_loadu_pd(level + g + 12);
        __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
        __m256d c0 = s0, c1 = s0, c2 = s0, c3 = s0;
        for (i = 0; i < length; i++) {
            const char* row = (const char*) y + i * row_stride + g * item;
            __m256d a0 = skp_small_abs4(row, single);
            __m256d a1 = skp_small_abs4(row + 4 * item, single);
            __m256d a2 = skp_small_abs4(row + 8 * item, single);
            __m256d a3 = skp_small_abs4(row + 12 * item, single);
            __m256d k0 = _mm256_cmp_pd(a0, l0, _CMP_GT_OQ);
            __m256d k1 = _mm256_cmp_pd(a1, l1, _CMP_GT_OQ);
            __m256d k2 = _mm256_cmp_pd(a2, l2, _CMP_GT_OQ);
            __m256d k3 = _mm256_cmp_pd(a3, l3, _CMP_GT_OQ);
            s0 = _mm256_add_pd(s0, _mm256_and_pd(k0, a0));
            s1 = _mm256_add_pd(s1, _mm256_and_pd(k1, a1));
            s2 = _mm256_add_pd(s2, _mm256_and_pd(k2, a2));
            s3 = _mm256_add_pd(s3, _mm256_and_pd(k3, a3));
            c0 = _mm256_add_pd(c0, _mm256_and_pd(k0, one));
            c1 = _mm256_add_pd(c1, _mm256_and_pd(k1, one));
            c2 = _mm256_add_pd(c2, _mm256_and_pd(k2, one));
            c3 = _mm256_add_pd(c3, _mm256_and_pd(k3, one));
        }
        _mm256_storeu_pd(sums + g, s0);
        _mm256_storeu_pd(sums + g + 4, s1);
        _mm256_storeu_pd(sums + g + 8, s2);
        _mm256_storeu_pd(sums + g + 12, s3);
        _mm256_storeu_pd(counts + g, c0);
        _mm256_storeu_pd(counts + g + 4, c1);
        _mm256_storeu_pd(counts + g + 8, c2);
        _mm256_storeu_pd(counts + g + 12, c3);
    }
    if (g < width) {
        /* The last groups (fewer than 16) by the plain loop: the same order. */
        if (single)
            skp_small_lanes_plain_f32((const float*) y + g, length, width - g, row_stride,
                                      level + g, counts + g, sums + g);
        else
            skp_small_lanes_plain_f64((const double*) y + g, length, width - g, row_stride,
                                      level + g, counts + g, sums + g);
    }
}

SKP_SMALL_AVX2 static inline __attribute__((always_inline)) void skp_small_groups256(
        const void* y, ptrdiff_t n_groups, ptrdiff_t length, ptrdiff_t group_stride,
        const double* level, double* counts, double* sums, const int single) {
    const ptrdiff_t item = single ? 4 : 8, bulk = length - length % 32;
    const __m256d one = _mm256_set1_pd(1.0);
    ptrdiff_t g, i, k;
    double partial[4][8], lanes[4], c;
    for (g = 0; g < n_groups; g++) {
        const char* group = (const char*) y + g * group_stride;
        __m256d u = _mm256_set1_pd(level[g]), counted = _mm256_setzero_pd();
        __m256d s[8];
        for (k = 0; k < 8; k++)
            s[k] = _mm256_setzero_pd();
        for (i = 0; i < bulk; i += 32) {
            for (k = 0; k < 8; k++) {
                /* entries i + 4k .. i + 4k + 3: partial[k / 2][4 (k % 2) ..] */
                __m256d a = skp_small_abs4(group + (i + 4 * k) * item, single);
                __m256d above = _mm256_cmp_pd(a, u, _CMP_GT_OQ);
                s[k] = _mm256_add_pd(s[k], _mm256_and_pd(above, a));
                counted = _mm256_add_pd(counted, _mm256_and_pd(above, one));
            }
        }
        for (k = 0; k < 8; k++)
            _mm256_storeu_pd(&partial[k / 2][4 * (k % 2)], s[k]);
        _mm256_storeu_pd(lanes, counted);
        c = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
        for (; i < length; i++) {
            double a = single ? fabs((double) ((const float*) group)[i])
                              : fabs(((const double*) group)[i]);
            c += a > level[g] ? 1.0 : 0.0;
            partial[0][(i - bulk) % 8] += a > level[g] ? a : 0.0;
        }
        sums[g] = skp_small_total(partial);
        counts[g] = c;
    }
}

#define SKP_SMALL_DISPATCH(T, SUFFIX, SINGLE)                                               \
SKP_AVX512 static void skp_small_lanes512_##SUFFIX(const T* y, ptrdiff_t length,            \
        ptrdiff_t width, ptrdiff_t row_stride, const double* level, double* counts,         \
        double* sums) {                                                                     \
    skp_small_lanes512(y, length, width, row_stride, level, counts, sums, SINGLE);          \
}                                                                                           \
SKP_AVX512 static void skp_small_groups512_##SUFFIX(const T* y, ptrdiff_t n_groups,         \
        ptrdiff_t length, ptrdiff_t group_stride, const double* level, double* counts,      \
        double* sums) {                                                                     \
    skp_small_groups512(y, n_groups, length, group_stride, level, counts, sums, SINGLE);    \
}                                                                                           \
SKP_SMALL_AVX2 static void skp_small_lanes256_##SUFFIX(const T* y, ptrdiff_t length,        \
        ptrdiff_t width, ptrdiff_t row_stride, const double* level, double* counts,         \
        double* sums) {                                                                     \
    skp_small_lanes256(y, length, width, row_stride, level, counts, sums, SINGLE);          \
}                                                                                           \
SKP_SMALL_AVX2 static void skp_small_groups256_##SUFFIX(const T* y, ptrdiff_t n_groups,     \
        ptrdiff_t length, ptrdiff_t group_stride, const double* level, double* counts,      \
        double* sums) {                                                                     \
    skp_small_groups256(y, n_groups, length, group_stride, level, counts, sums, SINGLE);    \
}

SKP_SMALL_DISPATCH(double, f64, 0)
SKP_SMALL_DISPATCH(float, f32, 1)

#define SKP_SMALL_HAVE_SIMD 1
#else
#define SKP_SMALL_HAVE_SIMD 0
#endif  /* x86 */

/* The pass on groups that are the columns of rows ``row_stride`` bytes apart
 * (``length`` rows of ``width`` groups); ``simd`` from skp_small_simd_level. */
#define SKP_SMALL_ENTRY(T, SUFFIX)                                                          \
static inline void skp_small_lanes_##SUFFIX(const T* y, ptrdiff_t length, ptrdiff_t width,  \
        ptrdiff_t row_stride, const double* level, double* counts, double* sums,            \
        int simd) {                                                                         \
    SKP_SMALL_SIMD_CALL(simd, lanes, SUFFIX, (y, length, width, row_stride, level, counts, \
                                              sums))                                        \
    skp_small_lanes_plain_##SUFFIX(y, length, width, row_stride, level, counts, sums);      \
}                                                                                           \
static inline void skp_small_groups_##SUFFIX(const T* y, ptrdiff_t n_groups,                \
        ptrdiff_t length, ptrdiff_t group_stride, const double* level, double* counts,      \
        double* sums, int simd) {                                                           \
    SKP_SMALL_SIMD_CALL(simd, groups, SUFFIX, (y, n_groups, length, group_stride, level,   \
                                               counts, sums))                               \
    skp_small_groups_plain_##SUFFIX(y, n_groups, length, group_stride, level, counts,      \
                                    sums);                                                  \
}

#if SKP_SMALL_HAVE_SIMD
#define SKP_SMALL_SIMD_CALL(simd, KIND, SUFFIX, ARGS)                                      \
    if (simd == 2) { skp_small_##KIND##512_##SUFFIX ARGS; return; }                         \
    if (simd == 1) { skp_small_##KIND##256_##SUFFIX ARGS; return; }
#else
#define SKP_SMALL_SIMD_CALL(simd, KIND, SUFFIX, ARGS) (void) simd;
#endif

SKP_SMALL_ENTRY(double, f64)
SKP_SMALL_ENTRY(float, f32)

#endif  /* SKPROJ_L1INF_SMALL_H */
