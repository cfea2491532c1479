/* The pass of the in-cache path of the exact l1,inf projection (see
 * ``small_project`` in _l1inf_strips.pyx): for every group g read and its level
 * l_g, over its magnitudes a = |y_ig| (in double: float32 values convert
 * exactly),
 *
 *     counts[g] = #{a > l_g},  sums[g] = sum of those a,
 *     above_min[g] = min {a > l_g} (+inf if none),
 *     below_max[g] = max {a <= l_g} (-inf if none):
 *
 * the set above l_g is the same for every level in [below_max, above_min).
 * Two layouts:
 *
 * - ``lanes``: the groups are the columns of contiguous rows (the column
 *   groups of a C-ordered matrix, the row groups of an F-ordered one), read
 *   in strips of 8 groups (strips[k] is the first group of one; the last
 *   strip may be shorter), one group per SIMD lane, row by row, with the
 *   accumulators in registers (AVX-512: several strips at once; AVX2: one
 *   float32 strip or two float64 ones);
 * - ``groups``: every group is contiguous (rows of a C-ordered matrix,
 *   columns of an F-ordered one), one listed group at a time.
 *
 * Each group's sum is taken in one order on every path (SIMD or plain C),
 * so that the results agree bit for bit whatever the CPU.  On float32 the
 * AVX-512 loops test, count and bound 16 groups per vector in float32 (four
 * whole strips at a time in the lanes layout, the bulk of each group in the
 * groups layout), the AVX2 ones a strip of 8 per vector (lanes layout) or 8
 * entries of a group (groups layout): exact, since a > l exactly where a > the
 * largest float32 <= l.  Their sums go by blocks, each block's kept
 * magnitudes summed in float32 into a partial sum of its own, the blocks'
 * partial sums added in double block after block: in the lanes layout,
 * blocks of SKP_SMALL_BLOCK rows (a partial sum a group); in the groups
 * layout, blocks of SKP_SMALL_BLOCK steps of 32 entries of the bulk
 * (SKP_SMALL_GROUP_BLOCK entries; entry i into partial i % 32), the entries
 * after the bulk in double (skp_small_group_plain's order).  The conversions
 * to double and their additions, at every entry, had been half of the pass's
 * operations (issue 14, the exact ball on 100 x 1000 float32 in cache: 0.8
 * of the time of the sums in double at every row; float32 row groups of
 * 200 x 1460 and 700 x 765, real and Gaussian: 0.75-0.86).  A block's
 * rounding, at most 15 * 2^-24 of its sum, stays far below float32's own; no
 * block overflows where every magnitude is at most SKP_SMALL_BLOCK_MAX, which
 * the callers check (they decline above it).
 * The AVX-512 and AVX2 loops are
 * compiled with per-function target attributes and chosen at run time (no
 * -march); no FMA (nothing here multiplies).  The list of the next pass
 * (``skp_small_moved``) is here too.
 */
#ifndef SKPROJ_L1INF_SMALL_H
#define SKPROJ_L1INF_SMALL_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "_cpu.h"
#include <string.h>

#include "_float_bounds.h"
#include "_prefetch.h"
#include "_transpose_simd.h"

#define SKP_SMALL_STRIP 8
#ifndef SKP_TMP_AHEAD
#define SKP_TMP_AHEAD 32
#endif
/* float32's blocks of rows in the lanes layout, and the largest magnitude
 * whose blocks cannot overflow (half FLT_MAX over the block's length). */
#define SKP_SMALL_BLOCK 16
#define SKP_SMALL_BLOCK_MAX ((double) FLT_MAX / (2 * SKP_SMALL_BLOCK))
/* The loops' ``single``: 0 float64, 1 float32, SKP_SMALL_BLOCKS float32 whose
 * sums go by blocks (the lanes layout, where the caller asks for them). */
#define SKP_SMALL_BLOCKS 2

/* Rows i .. the end of i's block (SKP_SMALL_BLOCK rows from row 0 on). */
static inline ptrdiff_t skp_small_block_end(ptrdiff_t i, ptrdiff_t length) {
    const ptrdiff_t end = i - i % SKP_SMALL_BLOCK + SKP_SMALL_BLOCK;
    return end < length ? end : length;
}

/* The groups layout's bulk: a group's first length - length % SKP_SMALL_BULK
 * entries, which the vector loops take 32 at a time; shorter groups have
 * none (skp_small_short_group, skp_small_short_norm: in double). */
#define SKP_SMALL_BULK 32

/* The groups layout's float32 blocks: SKP_SMALL_BLOCK steps of the bulk's 32
 * entries (each of the 32 partial sums takes SKP_SMALL_BLOCK entries a block,
 * as a group's in the lanes layout); entries i .. the end of i's block. */
#define SKP_SMALL_GROUP_BLOCK (32 * SKP_SMALL_BLOCK)

static inline ptrdiff_t skp_small_group_block_end(ptrdiff_t i, ptrdiff_t bulk) {
    const ptrdiff_t end = i - i % SKP_SMALL_GROUP_BLOCK + SKP_SMALL_GROUP_BLOCK;
    return end < bulk ? end : bulk;
}

/* Whether step 1's copy into the lanes layout prefetches the rows ahead for
 * writing (skp_small_transpose_norms256_f32): 1, 0, or -1 as the CPU
 * prefers (skp_small_ahead_of_copy); a testing switch. */
static int skp_small_rows_ahead = -1;

/* skp_small_rows_ahead's choice: not on AMD's CPUs.  The prefetches gained
 * on an Intel Xeon (see skp_small_transpose_norms256_f32), but an AMD Zen 4
 * took longer with them (2026-11-29, project_l1inf_ball on float32 row
 * groups at 10, 50, 90 % of the norm, single calls interleaved, times a
 * copy, with / without: digits standardized (1797 x 64) 10.53 / 10.37,
 * 10.50 / 10.35, 7.44 / 7.28; 1000 x 100 6.52 / 6.27, 7.66 / 7.40, 6.72 /
 * 6.46; 4000 x 64 and 300 x 150 0.96-0.97 of the time; a C harness, the copy
 * alone, 0.90-0.94).  The Zen 5 is not measured. */
static inline int skp_small_ahead_of_copy(void) {
    return skp_small_rows_ahead < 0 ? !skp_cpu_amd() : skp_small_rows_ahead;
}

/* 2: AVX-512F, 1: AVX2, 0: plain C. */
static int skp_small_simd_level(void) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    if (SKP_CPU_HAS("avx512f")) return 2;
    if (SKP_CPU_HAS("avx2")) return 1;
#endif
    return 0;
}

/* The order of a contiguous group's sum: entry i of the first
 * bulk = length - length % 32 goes to partial[(i / 8) % 4][i % 8], the others
 * to partial[0][(i - bulk) % 8], each partial in increasing i; then this. */
static inline double skp_small_total8(const double v[8]) {
    return ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]));
}

static inline double skp_small_total(double partial[4][8]) {
    double v[8];
    int j;
    for (j = 0; j < 8; j++)
        v[j] = (partial[0][j] + partial[1][j]) + (partial[2][j] + partial[3][j]);
    return skp_small_total8(v);
}

static inline double skp_small_magnitude(const void* p, ptrdiff_t i, const int single) {
    return single ? fabs((double) ((const float*) p)[i]) : fabs(((const double*) p)[i]);
}

/* ------------------------------------------------------------ plain C */

/* One strip of ``n`` (<= 8) groups starting at column g of the lanes layout. */
static inline void skp_small_strip_plain(const void* y, ptrdiff_t length, ptrdiff_t row_stride,
                                         ptrdiff_t g, ptrdiff_t n, const double* level,
                                         double* counts, double* sums, double* above_min,
                                         double* below_max, const int single) {
    ptrdiff_t i, j;
    double c[SKP_SMALL_STRIP], s[SKP_SMALL_STRIP], lo[SKP_SMALL_STRIP], hi[SKP_SMALL_STRIP];
    float block[SKP_SMALL_STRIP];
    for (j = 0; j < n; j++) {
        c[j] = 0.0; s[j] = 0.0; hi[j] = INFINITY; lo[j] = -INFINITY; block[j] = 0.0f;
    }
    for (i = 0; i < length; i++) {
        const char* row = (const char*) y + i * row_stride;
        for (j = 0; j < n; j++) {
            double a = skp_small_magnitude(row, g + j, single);
            int above = a > level[g + j];
            c[j] += above ? 1.0 : 0.0;
            if (single == SKP_SMALL_BLOCKS)
                block[j] += above ? (float) a : 0.0f;
            else
                s[j] += above ? a : 0.0;
            if (above) hi[j] = a < hi[j] ? a : hi[j];
            else lo[j] = a > lo[j] ? a : lo[j];
        }
        if (single == SKP_SMALL_BLOCKS && ((i + 1) % SKP_SMALL_BLOCK == 0 || i + 1 == length))
            for (j = 0; j < n; j++) {
                s[j] += (double) block[j];
                block[j] = 0.0f;
            }
    }
    for (j = 0; j < n; j++) {
        counts[g + j] = c[j]; sums[g + j] = s[j];
        above_min[g + j] = hi[j]; below_max[g + j] = lo[j];
    }
}

/* ``yes`` if ``condition`` else ``no``, by bit masks: compilers branch on a
 * ternary of doubles, and near a level the condition is a coin toss. */
static inline double skp_small_select(int condition, double yes, double no) {
    uint64_t y, n, mask = (uint64_t) 0 - (uint64_t) (condition != 0);
    memcpy(&y, &yes, sizeof(y));
    memcpy(&n, &no, sizeof(n));
    y = (y & mask) | (n & ~mask);
    memcpy(&yes, &y, sizeof(yes));
    return yes;
}

/* Entry ``a`` of a group read at level ``u``: into its count, the least
 * entry above and the largest one at or below, by selections; whether above. */
static inline int skp_small_bound(double a, double u, double* count, double* above_min,
                                  double* below_max) {
    const int above = a > u;
    const double up = skp_small_select(above, a, INFINITY);
    const double down = skp_small_select(above, -INFINITY, a);
    *count += skp_small_select(above, 1.0, 0.0);
    *above_min = up < *above_min ? up : *above_min;
    *below_max = down > *below_max ? down : *below_max;
    return above;
}

/* The same, and ``a`` into the partial sum ``slot`` (+0.0 where not above). */
static inline void skp_small_take(double a, double u, double* count, double* slot,
                                  double* above_min, double* below_max) {
    *slot += skp_small_select(skp_small_bound(a, u, count, above_min, below_max), a, 0.0);
}

/* float32's blocks of the groups layout (see the header): the bulk's block
 * partials into the sums' partials, in double, and new blocks. */
static inline void skp_small_flush_blocks(float block[32], double partial[4][8]) {
    int j;
    for (j = 0; j < 32; j++) {
        partial[j / 8][j % 8] += (double) block[j];
        block[j] = 0.0f;
    }
}

static inline void skp_small_group_plain(const void* group, ptrdiff_t length, double u,
                                         double* count, double* sum, double* above_min,
                                         double* below_max, const int single) {
    ptrdiff_t i = 0, bulk = length - length % 32;
    double partial[4][8], c = 0.0, hi = INFINITY, lo = -INFINITY;
    float block[32];
    memset(partial, 0, sizeof(partial));
    memset(block, 0, sizeof(block));
    if (single == SKP_SMALL_BLOCKS)     /* (the bulk by blocks) */
        while (i < bulk) {
            for (const ptrdiff_t end = skp_small_group_block_end(i, bulk); i < end; i++) {
                const float a = fabsf(((const float*) group)[i]);
                if (skp_small_bound((double) a, u, &c, &hi, &lo))
                    block[i % 32] += a;
            }
            skp_small_flush_blocks(block, partial);
        }
    for (; i < length; i++)
        skp_small_take(skp_small_magnitude(group, i, single), u, &c,
                       i < bulk ? &partial[(i / 8) % 4][i % 8] : &partial[0][(i - bulk) % 8],
                       &hi, &lo);
    *count = c; *sum = skp_small_total(partial); *above_min = hi; *below_max = lo;
}

/* skp_small_group_plain on a group shorter than 32 entries (no bulk: entry i
 * goes to partial[0][i % 8]), the same bits without the other partials'
 * zeroing (a memset of 256 bytes a group read) and without branches (5000 x
 * 10 float32 row groups took 147 times a copy). */
static inline void skp_small_short_group(const void* group, ptrdiff_t length, double u,
                                         double* count, double* sum, double* above_min,
                                         double* below_max, const int single) {
    double p[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    double c = 0.0, hi = INFINITY, lo = -INFINITY;
    size_t i;
    for (i = 0; i < (size_t) length; i++)
        skp_small_take(skp_small_magnitude(group, (ptrdiff_t) i, single), u, &c, &p[i % 8],
                       &hi, &lo);
    *count = c;
    *sum = skp_small_total8(p);   /* (skp_small_total's, the other partials zero) */
    *above_min = hi;
    *below_max = lo;
}

/* Step 1 for the lanes layout: every group's l1 norm (sequential over the
 * rows, NaN and inf propagate) and max; groups g0 .. width - 1. */
static inline void skp_small_norms_plain(const void* y, ptrdiff_t length, ptrdiff_t width,
                                         ptrdiff_t row_stride, ptrdiff_t g0, double* sums,
                                         double* maxima, const int single) {
    ptrdiff_t i, g;
    if (single) {
        /* float32: the sums by the pass's blocks of rows (a pass at level 0) */
        for (g = g0; g < width; g++) {
            double sum = 0.0, m = 0.0;
            for (i = 0; i < length; ) {
                float block = 0.0f;
                for (const ptrdiff_t end = skp_small_block_end(i, length); i < end; i++) {
                    const float a = fabsf(((const float*) ((const char*) y
                                                           + i * row_stride))[g]);
                    block += a;
                    m = a > m ? a : m;
                }
                sum += (double) block;
            }
            sums[g] = sum;
            maxima[g] = m;
        }
        return;
    }
    for (g = g0; g < width; g++) {
        sums[g] = 0.0;
        maxima[g] = 0.0;
    }
    for (i = 0; i < length; i++) {
        const char* row = (const char*) y + i * row_stride;
        for (g = g0; g < width; g++) {
            double a = skp_small_magnitude(row, g, single);
            sums[g] += a;
            maxima[g] = a > maxima[g] ? a : maxima[g];
        }
    }
}

/* Step 1 for the groups layout: one contiguous group's l1 norm (in the order
 * of skp_small_total; ``single`` SKP_SMALL_BLOCKS: float32 by the pass's
 * blocks, a pass at level 0) and max. */
static inline void skp_small_group_norm_plain(const void* group, ptrdiff_t length, double* sum,
                                              double* maximum, const int single) {
    ptrdiff_t i = 0, bulk = length - length % 32;
    double partial[4][8], m = 0.0;
    float block[32];
    memset(partial, 0, sizeof(partial));
    memset(block, 0, sizeof(block));
    if (single == SKP_SMALL_BLOCKS)
        while (i < bulk) {
            for (const ptrdiff_t end = skp_small_group_block_end(i, bulk); i < end; i++) {
                const float a = fabsf(((const float*) group)[i]);
                block[i % 32] += a;
                m = a > m ? a : m;
            }
            skp_small_flush_blocks(block, partial);
        }
    for (; i < length; i++) {
        double a = skp_small_magnitude(group, i, single);
        if (i < bulk)
            partial[(i / 8) % 4][i % 8] += a;
        else
            partial[0][(i - bulk) % 8] += a;
        m = a > m ? a : m;
    }
    *sum = skp_small_total(partial);
    *maximum = m;
}

/* skp_small_group_norm_plain on a group shorter than 32 entries (see
 * skp_small_short_group). */
static inline void skp_small_short_norm(const void* group, ptrdiff_t length, double* sum,
                                        double* maximum, const int single) {
    double p[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0}, m = 0.0;
    size_t i;
    for (i = 0; i < (size_t) length; i++) {
        const double a = skp_small_magnitude(group, (ptrdiff_t) i, single);
        p[i % 8] += a;
        m = a > m ? a : m;
    }
    *sum = skp_small_total8(p);
    *maximum = m;
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define SKP_SMALL_HAVE_SIMD 1

#include <immintrin.h>

#include "_widen_simd.h"

/* ------------------------------------------------------------ AVX-512 */

#define SKP_SMALL_AVX512 __attribute__((target("avx512f")))
#define SKP_SMALL_AVX2 __attribute__((target("avx2")))
#define SKP_INLINE static inline __attribute__((always_inline))

/* |y| of 8 values in double; only the first n (<= 8) are read, the others
 * are 0 (never above a level, which is >= 0). */
SKP_SMALL_AVX512 SKP_INLINE __m512d skp_small_abs8(const void* p, ptrdiff_t n, const int single) {
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

/* The four accumulators of 8 groups (or of 8 partial sums of one group). */
typedef struct { __m512d count, sum, above_min, below_max; } skp_acc512;

SKP_SMALL_AVX512 SKP_INLINE void skp_acc512_zero(skp_acc512* r) {
    r->count = _mm512_setzero_pd();
    r->sum = r->count;
    r->above_min = _mm512_set1_pd(INFINITY);
    r->below_max = _mm512_set1_pd(-INFINITY);
}

/* Add the lanes of ``valid`` (the others are past the end of a group). */
SKP_SMALL_AVX512 SKP_INLINE void skp_acc512_add(skp_acc512* r, __m512d a, __m512d level,
                                          __mmask8 valid) {
    __mmask8 k = _mm512_mask_cmp_pd_mask(valid, a, level, _CMP_GT_OQ);
    r->count = _mm512_mask_add_pd(r->count, k, r->count, _mm512_set1_pd(1.0));
    r->sum = _mm512_mask_add_pd(r->sum, k, r->sum, a);
    r->above_min = _mm512_mask_min_pd(r->above_min, k, r->above_min, a);
    r->below_max = _mm512_mask_max_pd(r->below_max, (__mmask8) (valid & ~k), r->below_max, a);
}

SKP_SMALL_AVX512 SKP_INLINE void skp_acc512_store(const skp_acc512* r, ptrdiff_t g, __mmask8 k,
                                            double* counts, double* sums, double* above_min,
                                            double* below_max) {
    _mm512_mask_storeu_pd(counts + g, k, r->count);
    _mm512_mask_storeu_pd(sums + g, k, r->sum);
    _mm512_mask_storeu_pd(above_min + g, k, r->above_min);
    _mm512_mask_storeu_pd(below_max + g, k, r->below_max);
}

/* float32, 32 consecutive groups g .. g + 31 (four whole strips): the
 * tests, counts and bounds in float32, 16 groups per vector (exact: a > l
 * exactly where a > the largest float32 <= l, and the counts and entries are
 * float32 values), the sums by blocks (``blocks``: the header's) or in
 * double as in skp_small_lanes512 (the same order, the same bits): a third
 * fewer instructions per entry, half with the blocks.  Each
 * level's float32 floor: skp_small_level_f32's for sixteen, skp_float_below's
 * (_float_bounds.h) for one. */

SKP_SMALL_AVX512 SKP_INLINE __m512 skp_small_pair_level_f32(const double* low,
                                                          const double* high) {
    /* The largest float32 <= each level (>= 0), low[0:8] in lanes 0-7 and
     * high[0:8] in lanes 8-15: round, then step down where rounding went up. */
    __m256 lo = _mm512_cvtpd_ps(_mm512_loadu_pd(low));
    __m256 hi = _mm512_cvtpd_ps(_mm512_loadu_pd(high));
    __m512 l = _mm512_castpd_ps(_mm512_insertf64x4(
        _mm512_castpd256_pd512(_mm256_castps_pd(lo)), _mm256_castps_pd(hi), 1));
    __mmask8 up_lo = _mm512_cmp_pd_mask(_mm512_cvtps_pd(lo), _mm512_loadu_pd(low),
                                        _CMP_GT_OQ);
    __mmask8 up_hi = _mm512_cmp_pd_mask(_mm512_cvtps_pd(hi), _mm512_loadu_pd(high),
                                        _CMP_GT_OQ);
    __mmask16 up = (__mmask16) ((unsigned) up_lo | ((unsigned) up_hi << 8));
    return _mm512_castsi512_ps(_mm512_mask_sub_epi32(_mm512_castps_si512(l), up,
                                                     _mm512_castps_si512(l),
                                                     _mm512_set1_epi32(1)));
}

SKP_SMALL_AVX512 SKP_INLINE __m512 skp_small_level_f32(const double* level) {
    return skp_small_pair_level_f32(level, level + 8);
}

/* |y| of 16 float32 values. */
SKP_SMALL_AVX512 SKP_INLINE __m512 skp_small_abs16(const float* p) {
    return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(_mm512_loadu_ps(p)),
                                                _mm512_set1_epi32(0x7fffffff)));
}

/* |y| of 8 float32 values at ``low`` (lanes 0-7) and 8 at ``high`` (8-15). */
SKP_SMALL_AVX512 SKP_INLINE __m512 skp_small_pair_abs16(const float* low, const float* high) {
    __m512d v = _mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_loadu_pd((const double*) low)),
                                   _mm256_loadu_pd((const double*) high), 1);
    return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castpd_si512(v),
                                                _mm512_set1_epi32(0x7fffffff)));
}


/* The int32 counts of lanes 0-7 and 8-15 of ``c`` in double (exact). */
SKP_SMALL_AVX512 SKP_INLINE __m512d skp_small_counts_low8(__m512i c) {
    return _mm512_cvtepi32_pd(_mm512_castsi512_si256(c));
}

SKP_SMALL_AVX512 SKP_INLINE __m512d skp_small_counts_high8(__m512i c) {
    return _mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(c, 1));
}

/* The accumulators of 16 groups (or of 16 partial sums of one group): the
 * counts in int32, the bounds in float32, their sums in double (lanes 0-7,
 * 8-15), and in the lanes layout the float32 sums of the current block of
 * rows.  The counts' integer additions leave the floating-point adders to
 * the sums and bounds (issue 14, the AMD Zen 4, single calls interleaved
 * on the same arrays, the exact ball in cache at 10, 50, 90 % of the norm,
 * float counts -> int32: float32 100 x 1000 0.96-0.98 of the time, 1797 x
 * 64 row groups 0.96-0.98, 1000 x 1000 and 64 x 1797 0.98-0.99, 300 x 784
 * and out of cache even; float64's skp_acc512 not measured faster, its
 * counts left in double), and they count exactly past 2^24 entries a lane.
 * (The bounds' minima and maxima as integers on the magnitudes' bits as
 * well: 0.99-1.02, left out.) */
typedef struct {
    __m512i count;
    __m512 above_min, below_max, block;
    __m512d sum_low, sum_high;
} skp_acc16;

SKP_SMALL_AVX512 SKP_INLINE void skp_acc16_zero(skp_acc16* r) {
    r->count = _mm512_setzero_si512();
    r->above_min = _mm512_set1_ps(INFINITY);
    r->below_max = _mm512_set1_ps(-INFINITY);
    r->block = _mm512_setzero_ps();
    r->sum_low = _mm512_setzero_pd();
    r->sum_high = r->sum_low;
}

/* Count and bound magnitudes ``a`` at the float32 levels ``level``
 * (skp_small_level_f32); the mask of those above. */
SKP_SMALL_AVX512 SKP_INLINE __mmask16 skp_acc16_bound(skp_acc16* r, __m512 a, __m512 level) {
    __mmask16 k = _mm512_cmp_ps_mask(a, level, _CMP_GT_OQ);
    r->count = _mm512_mask_add_epi32(r->count, k, r->count, _mm512_set1_epi32(1));
    r->above_min = _mm512_mask_min_ps(r->above_min, k, r->above_min, a);
    r->below_max = _mm512_mask_max_ps(r->below_max, (__mmask16) ~k, r->below_max, a);
    return k;
}

/* The same, and those above summed in double (the groups layout). */
SKP_SMALL_AVX512 SKP_INLINE void skp_acc16_add(skp_acc16* r, __m512 a, __m512 level) {
    __mmask16 k = skp_acc16_bound(r, a, level);
    r->sum_low = _mm512_mask_add_pd(r->sum_low, (__mmask8) k, r->sum_low, skp_low8_pd(a));
    r->sum_high = _mm512_mask_add_pd(r->sum_high, (__mmask8) (k >> 8), r->sum_high,
                                     skp_high8_pd(a));
}

/* The same, those above summed in float32 into the block (the lanes layout). */
SKP_SMALL_AVX512 SKP_INLINE void skp_acc16_add_block(skp_acc16* r, __m512 a, __m512 level) {
    __mmask16 k = skp_acc16_bound(r, a, level);
    r->block = _mm512_mask_add_ps(r->block, k, r->block, a);
}

/* The block's sums into the sums in double, and a new block. */
SKP_SMALL_AVX512 SKP_INLINE void skp_acc16_flush(skp_acc16* r) {
    r->sum_low = _mm512_add_pd(r->sum_low, skp_low8_pd(r->block));
    r->sum_high = _mm512_add_pd(r->sum_high, skp_high8_pd(r->block));
    r->block = _mm512_setzero_ps();
}


/* The sets of lanes 0-7 to groups low .. low + 7, of lanes 8-15 to high .. high + 7. */
SKP_SMALL_AVX512 SKP_INLINE void skp_acc16_store(const skp_acc16* r, ptrdiff_t low,
                                                 ptrdiff_t high, double* counts, double* sums,
                                                 double* above_min, double* below_max) {
    _mm512_storeu_pd(sums + low, r->sum_low);
    _mm512_storeu_pd(sums + high, r->sum_high);
    _mm512_storeu_pd(counts + low, skp_small_counts_low8(r->count));
    _mm512_storeu_pd(counts + high, skp_small_counts_high8(r->count));
    _mm512_storeu_pd(above_min + low, skp_low8_pd(r->above_min));
    _mm512_storeu_pd(above_min + high, skp_high8_pd(r->above_min));
    _mm512_storeu_pd(below_max + low, skp_low8_pd(r->below_max));
    _mm512_storeu_pd(below_max + high, skp_high8_pd(r->below_max));
}

/* Add magnitudes ``a`` to ``r``: into its block (``blocks``) or its sums. */
SKP_SMALL_AVX512 SKP_INLINE void skp_acc16_take(skp_acc16* r, __m512 a, __m512 level,
                                                const int blocks) {
    if (blocks)
        skp_acc16_add_block(r, a, level);
    else
        skp_acc16_add(r, a, level);
}

/* Rows i .. the end of i's block, or of the group without ``blocks``. */
static inline ptrdiff_t skp_small_run_end(ptrdiff_t i, ptrdiff_t length, const int blocks) {
    return blocks ? skp_small_block_end(i, length) : length;
}

/* Prefetch the ``n`` bytes at ``p`` (at most two cache lines: a strip of
 * the lanes layout, or two adjacent float32 ones) into L1. */
static inline void skp_small_prefetch_span(const char* p, ptrdiff_t n) {
    __builtin_prefetch(p, 0, 3);
    __builtin_prefetch(p + n - 1, 0, 3);
}

SKP_SMALL_AVX512 SKP_INLINE void skp_small_quad512_f32(
        const float* y, ptrdiff_t length, ptrdiff_t row_stride, ptrdiff_t g,
        const double* level, double* counts, double* sums, double* above_min,
        double* below_max, const int blocks, ptrdiff_t ahead) {
    __m512 l0 = skp_small_level_f32(level + g), l1 = skp_small_level_f32(level + g + 16);
    const ptrdiff_t stop = length - ahead;
    skp_acc16 r[2];
    ptrdiff_t i, q;
    skp_acc16_zero(&r[0]);
    skp_acc16_zero(&r[1]);
    for (i = 0; i < length; ) {
        for (const ptrdiff_t end = skp_small_run_end(i, length, blocks); i < end; i++) {
            const float* row = (const float*) ((const char*) y + i * row_stride) + g;
            if (ahead && i < stop)
                skp_small_prefetch_span((const char*) row + ahead * row_stride, 128);
            skp_acc16_take(&r[0], skp_small_abs16(row), l0, blocks);
            skp_acc16_take(&r[1], skp_small_abs16(row + 16), l1, blocks);
        }
        if (blocks) {
            skp_acc16_flush(&r[0]);
            skp_acc16_flush(&r[1]);
        }
    }
    for (q = 0; q < 2; q++)
        skp_acc16_store(&r[q], g + 16 * q, g + 16 * q + 8, counts, sums, above_min, below_max);
}

/* float32, whole strips anywhere in the rows: strips[0:n] (1 <= n <= 4), two
 * a vector, as skp_small_quad512_f32 takes four adjacent ones (the same
 * operations on each group, the same bits).  With an odd n the last strip
 * fills both halves of its vector, and its sets are stored twice (the same
 * values).  In place of one strip at a time in double, whose four chains of
 * additions wait on one another row after row (issue 14: the units still
 * moving in a panel's later passes are rarely four adjacent strips). */
SKP_SMALL_AVX512 SKP_INLINE void skp_small_pairs512_f32_(
        const float* y, ptrdiff_t length, ptrdiff_t row_stride, const ptrdiff_t* g,
        const double* level, double* counts, double* sums, double* above_min,
        double* below_max, const int two, const int blocks, ptrdiff_t ahead) {
    __m512 l0 = skp_small_pair_level_f32(level + g[0], level + g[1]);
    __m512 l1 = two ? skp_small_pair_level_f32(level + g[2], level + g[3]) : l0;
    const ptrdiff_t stop = length - ahead;
    skp_acc16 r[2];
    ptrdiff_t i, k;
    skp_acc16_zero(&r[0]);
    skp_acc16_zero(&r[1]);
    for (i = 0; i < length; ) {
        for (const ptrdiff_t end = skp_small_run_end(i, length, blocks); i < end; i++) {
            const float* row = (const float*) ((const char*) y + i * row_stride);
            if (ahead && i < stop)
                for (k = 0; k < (two ? 4 : 2); k++)
                    skp_small_prefetch_span((const char*) (row + g[k]) + ahead * row_stride,
                                            32);
            skp_acc16_take(&r[0], skp_small_pair_abs16(row + g[0], row + g[1]), l0, blocks);
            if (two)
                skp_acc16_take(&r[1], skp_small_pair_abs16(row + g[2], row + g[3]), l1,
                               blocks);
        }
        if (blocks) {
            skp_acc16_flush(&r[0]);
            skp_acc16_flush(&r[1]);
        }
    }
    skp_acc16_store(&r[0], g[0], g[1], counts, sums, above_min, below_max);
    if (two)
        skp_acc16_store(&r[1], g[2], g[3], counts, sums, above_min, below_max);
}

SKP_SMALL_AVX512 SKP_INLINE void skp_small_pairs512_f32(
        const float* y, ptrdiff_t length, ptrdiff_t row_stride, const ptrdiff_t* strips,
        ptrdiff_t n, const double* level, double* counts, double* sums, double* above_min,
        double* below_max, const int blocks, ptrdiff_t ahead) {
    ptrdiff_t g[4];
    g[0] = strips[0];
    g[1] = strips[n > 1 ? 1 : 0];
    g[2] = strips[n > 2 ? 2 : 0];
    g[3] = strips[n - 1];
    if (n > 2)
        skp_small_pairs512_f32_(y, length, row_stride, g, level, counts, sums, above_min,
                                below_max, 1, blocks, ahead);
    else
        skp_small_pairs512_f32_(y, length, row_stride, g, level, counts, sums, above_min,
                                below_max, 0, blocks, ahead);
}

/* float32 with the sums by blocks (SKP_SMALL_BLOCKS), whole strips: the
 * sets of strips[0:n] read along the rows rather than strip by strip down
 * them, SKP_SMALL_BLOCK rows at a time (a stream per row, which the
 * hardware prefetchers follow, where a strip's rows lie a row stride
 * apart), two strips a vector as skp_small_pairs512_f32 takes them: the
 * same operations in the same order on each group, the same bits (a block
 * of rows here is a block of the sums there).  Each vector's accumulators
 * and float32 levels wait in ``state`` (SKP_SMALL_ROW_STATE bytes a vector,
 * 64 more for the alignment) between blocks. */
#define SKP_SMALL_ROW_STATE ((ptrdiff_t) (sizeof(skp_acc16) + sizeof(__m512)))

/* The second strip of vector v: strips[2v + 1], or the first again past the end. */
static inline ptrdiff_t skp_small_second_strip(const ptrdiff_t* strips, ptrdiff_t n,
                                               ptrdiff_t v) {
    return strips[2 * v + 1 < n ? 2 * v + 1 : 2 * v];
}

/* The lines that vector v + SKP_SMALL_ROW_AHEAD of skp_small_row_blocks512_f32
 * reads in its block of rows i0 .. end, prefetched into L1 while vector v
 * reads its own (past the last vector, the first ones' lines in the next
 * block).  A block's rows lie a row stride apart, 16 streams the hardware
 * prefetchers did not keep fed: issue 14, an AMD Zen 5, the exact ball's
 * passes over heavy-tailed float32 column groups, single calls interleaved
 * in one process, times a copy, at 10, 50, 90 % of bilevel_l1inf's groups
 * kept and half the norm, without -> 16 vectors ahead: Student t(3) 1000 x
 * 10000 11.5 -> 5.8, 10.3 -> 6.1, 11.9 -> 6.4, 11.7 -> 6.5; Cauchy 10.7 ->
 * 7.3, 10.0 -> 5.7, 9.6 -> 6.7; t(3) 300 x 30000 12.5 -> 8.2, 10.5 -> 6.3,
 * 11.1 -> 6.6; 4000 x 2500 0.67-0.71 of the time but at 10 % (even).  8
 * vectors ahead took 1.03-1.15 times as long as 16 (1000 x 10000, 300 x
 * 30000, 2000 x 5000, but 4000 x 2500 Cauchy at 90 % 0.95), 32 as 8, 4
 * 1.1-1.2 times as long as 8.  (Inlined by force: as a function of its
 * own, gcc found it free of side effects and dropped its calls.) */
#define SKP_SMALL_ROW_AHEAD 16

SKP_SMALL_AVX512 SKP_INLINE void skp_small_row_block_ahead(
        const float* y, ptrdiff_t row_stride, const ptrdiff_t* strips, ptrdiff_t n,
        ptrdiff_t v, ptrdiff_t i0, ptrdiff_t end, ptrdiff_t length) {
    const ptrdiff_t n_vectors = (n + 1) / 2;
    ptrdiff_t w = v + SKP_SMALL_ROW_AHEAD, i, g0, g1;
    if (w >= n_vectors) {   /* (the next block's) */
        w -= n_vectors;
        i0 = end;
        end = skp_small_block_end(i0, length);
        if (w >= n_vectors || i0 >= length) return;
    }
    g0 = strips[2 * w];
    g1 = skp_small_second_strip(strips, n, w);
    for (i = i0; i < end; i++) {
        const float* row = (const float*) ((const char*) y + i * row_stride);
        __builtin_prefetch(row + g0, 0, 3);
        __builtin_prefetch(row + g1 + SKP_SMALL_STRIP - 1, 0, 3);
    }
}

SKP_SMALL_AVX512 static void skp_small_row_blocks512_f32(
        const float* y, ptrdiff_t length, ptrdiff_t row_stride, const ptrdiff_t* strips,
        ptrdiff_t n, const double* level, double* counts, double* sums, double* above_min,
        double* below_max, void* state) {
    const ptrdiff_t n_vectors = (n + 1) / 2;
    skp_acc16* acc = (skp_acc16*) (((uintptr_t) state + 63) / 64 * 64);
    __m512* levels = (__m512*) (acc + n_vectors);
    ptrdiff_t v, i0, i;
    for (v = 0; v < n_vectors; v++) {
        skp_acc16_zero(&acc[v]);
        levels[v] = skp_small_pair_level_f32(level + strips[2 * v],
                                             level + skp_small_second_strip(strips, n, v));
    }
    for (i0 = 0; i0 < length; i0 += SKP_SMALL_BLOCK) {
        const ptrdiff_t end = skp_small_block_end(i0, length);
        for (v = 0; v < n_vectors; v++) {
            const ptrdiff_t g0 = strips[2 * v], g1 = skp_small_second_strip(strips, n, v);
            const __m512 l = levels[v];
            skp_acc16 r = acc[v];
            skp_small_row_block_ahead(y, row_stride, strips, n, v, i0, end, length);
            for (i = i0; i < end; i++) {
                const float* row = (const float*) ((const char*) y + i * row_stride);
                skp_acc16_add_block(&r, skp_small_pair_abs16(row + g0, row + g1), l);
            }
            skp_acc16_flush(&r);
            acc[v] = r;
        }
    }
    for (v = 0; v < n_vectors; v++)
        skp_acc16_store(&acc[v], strips[2 * v], skp_small_second_strip(strips, n, v), counts,
                        sums, above_min, below_max);
}

/* Count and bound the magnitudes ``a`` in lanes ``lanes`` alone, those above
 * the levels added into the block. */
SKP_SMALL_AVX512 SKP_INLINE void skp_acc16_add_block_in(skp_acc16* r, __m512 a, __m512 level,
                                                       __mmask16 lanes) {
    const __mmask16 k = _mm512_mask_cmp_ps_mask(lanes, a, level, _CMP_GT_OQ);
    r->count = _mm512_mask_add_epi32(r->count, k, r->count, _mm512_set1_epi32(1));
    r->above_min = _mm512_mask_min_ps(r->above_min, k, r->above_min, a);
    r->below_max = _mm512_mask_max_ps(r->below_max, lanes & (__mmask16) ~k, r->below_max, a);
    r->block = _mm512_mask_add_ps(r->block, k, r->block, a);
}

/* |y| of the float32 values at ``low`` in lanes 0-7 and at ``high`` in 8-15,
 * those of lanes whose ``lanes`` word is not negative 0 (AVX's masked loads:
 * nothing read there); all 8 where ``whole``. */
SKP_SMALL_AVX512 SKP_INLINE __m512 skp_small_pair_abs_n(const float* low, const float* high,
                                                      __m256i lanes, int whole) {
    __m512d v;
    if (whole)
        return skp_small_pair_abs16(low, high);
    v = _mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(_mm256_maskload_ps(low,
                                                                                      lanes))),
                           _mm256_castps_pd(_mm256_maskload_ps(high, lanes)), 1);
    return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castpd_si512(v),
                                                _mm512_set1_epi32(0x7fffffff)));
}

/* float32 by blocks (SKP_SMALL_BLOCKS): one strip alone, its n <= 8 groups
 * g .. g + n - 1.  As a pair of strips it would be one vector whose every
 * operation waits on the one of the row before (3-4 cycles a row: 10000 x
 * 8 by columns, half the exact ball's call; the short last strip took the
 * plain loop, a row at a time).  Here four blocks of rows go at once, each
 * in its half of one of two vectors, each block summed in its own lanes, so
 * that the blocks' sums reach each group's total in their order: the same
 * operations on each group in the same order as the pairs', the same bits
 * (counts, least above and largest below in any order). */
SKP_SMALL_AVX512 SKP_INLINE void skp_small_strip_blocks512_f32(
        const float* y, ptrdiff_t length, ptrdiff_t row_stride, ptrdiff_t g, ptrdiff_t n,
        const double* level, double* counts, double* sums, double* above_min,
        double* below_max, ptrdiff_t ahead) {
    const ptrdiff_t B = SKP_SMALL_BLOCK, stop = length - ahead;
    const __mmask8 n_mask = (__mmask8) ((1u << n) - 1u);
    const __mmask16 both = (__mmask16) (n_mask | ((unsigned) n_mask << 8));
    const __m256i lanes = _mm256_cmpgt_epi32(_mm256_set1_epi32((int) n),
                                             _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const int whole = n == SKP_SMALL_STRIP;
    double levels[SKP_SMALL_STRIP] = {0.0};
    const double* strip_levels = level + g;
    __m512d sum = _mm512_setzero_pd(), c, lo, hi;
    __m512 l;
    skp_acc16 r[2];
    ptrdiff_t i = 0, q, h;
    if (!whole) {   /* (not past the levels' end) */
        for (q = 0; q < n; q++)
            levels[q] = level[g + q];
        strip_levels = levels;
    }
    l = skp_small_pair_level_f32(strip_levels, strip_levels);
    skp_acc16_zero(&r[0]);
    skp_acc16_zero(&r[1]);
#define SKP_SMALL_ROW_F32(row) ((const float*) ((const char*) y + (row) * row_stride) + g)
    for (; i + 4 * B <= length; i += 4 * B) {
        for (q = 0; q < B; q++) {
            for (h = 0; ahead && h < 4 && i + h * B + q < stop; h++)
                skp_small_prefetch_span((const char*) SKP_SMALL_ROW_F32(i + h * B + q + ahead),
                                        n * 4);
            skp_acc16_add_block_in(&r[0], skp_small_pair_abs_n(SKP_SMALL_ROW_F32(i + q),
                                                               SKP_SMALL_ROW_F32(i + B + q),
                                                               lanes, whole), l, both);
            skp_acc16_add_block_in(&r[1], skp_small_pair_abs_n(SKP_SMALL_ROW_F32(i + 2 * B + q),
                                                               SKP_SMALL_ROW_F32(i + 3 * B + q),
                                                               lanes, whole), l, both);
        }
        for (h = 0; h < 2; h++) {
            sum = _mm512_add_pd(sum, skp_low8_pd(r[h].block));
            sum = _mm512_add_pd(sum, skp_high8_pd(r[h].block));
            r[h].block = _mm512_setzero_ps();
        }
    }
    while (i < length) {   /* the last blocks, one at a time, in lanes 0-7 */
        for (const ptrdiff_t end = skp_small_block_end(i, length); i < end; i++)
            skp_acc16_add_block_in(&r[0], skp_small_pair_abs_n(SKP_SMALL_ROW_F32(i),
                                                               SKP_SMALL_ROW_F32(i), lanes,
                                                               whole),
                                   l, (__mmask16) n_mask);
        sum = _mm512_add_pd(sum, skp_low8_pd(r[0].block));
        r[0].block = _mm512_setzero_ps();
    }
#undef SKP_SMALL_ROW_F32
    c = _mm512_add_pd(_mm512_add_pd(skp_small_counts_low8(r[0].count),
                                    skp_small_counts_high8(r[0].count)),
                      _mm512_add_pd(skp_small_counts_low8(r[1].count),
                                    skp_small_counts_high8(r[1].count)));
    lo = _mm512_max_pd(_mm512_max_pd(skp_low8_pd(r[0].below_max),
                                     skp_high8_pd(r[0].below_max)),
                       _mm512_max_pd(skp_low8_pd(r[1].below_max),
                                     skp_high8_pd(r[1].below_max)));
    hi = _mm512_min_pd(_mm512_min_pd(skp_low8_pd(r[0].above_min),
                                     skp_high8_pd(r[0].above_min)),
                       _mm512_min_pd(skp_low8_pd(r[1].above_min),
                                     skp_high8_pd(r[1].above_min)));
    _mm512_mask_storeu_pd(counts + g, n_mask, c);
    _mm512_mask_storeu_pd(sums + g, n_mask, sum);
    _mm512_mask_storeu_pd(above_min + g, n_mask, hi);
    _mm512_mask_storeu_pd(below_max + g, n_mask, lo);
}

SKP_SMALL_AVX512 SKP_INLINE void skp_small_lanes512(
        const void* y, ptrdiff_t length, ptrdiff_t width, ptrdiff_t row_stride,
        const ptrdiff_t* strips, ptrdiff_t n_strips, const double* level, double* counts,
        double* sums, double* above_min, double* below_max, const int single,
        ptrdiff_t ahead) {
    const ptrdiff_t item = single ? 4 : 8, stop = length - ahead;
    ptrdiff_t t = 0, i, q, n;
    /* Four whole strips at a time: the accumulators stay in registers. */
    while (t < n_strips) {
        ptrdiff_t g[4];
        __m512d l[4];
        skp_acc512 r[4];
        for (q = 0; q < 4 && t + q < n_strips && strips[t + q] + 8 <= width; q++) ;
        if (single == SKP_SMALL_BLOCKS && q <= 1) {
            /* one strip alone, or the short last one */
            skp_small_strip_blocks512_f32(
                (const float*) y, length, row_stride, strips[t],
                width - strips[t] < 8 ? width - strips[t] : 8, level, counts, sums,
                above_min, below_max, ahead);
            t += 1;
            continue;
        }
        if (single && q > 0) {
            /* float32: four adjacent strips as two whole vectors, else pairs */
            if (q == 4 && strips[t + 1] == strips[t] + 8 && strips[t + 2] == strips[t] + 16
                    && strips[t + 3] == strips[t] + 24)
                skp_small_quad512_f32((const float*) y, length, row_stride, strips[t], level,
                                      counts, sums, above_min, below_max,
                                      single == SKP_SMALL_BLOCKS, ahead);
            else
                skp_small_pairs512_f32((const float*) y, length, row_stride, strips + t, q,
                                       level, counts, sums, above_min, below_max,
                                       single == SKP_SMALL_BLOCKS, ahead);
            t += q;
            continue;
        }
        if (q < 4) {
            /* Fewer than four whole strips left before a short one, or the
             * short one itself (float32: only that one): one strip, masked. */
            __mmask8 k;
            n = width - strips[t] < 8 ? width - strips[t] : 8;
            k = (__mmask8) ((1u << n) - 1u);
            l[0] = _mm512_maskz_loadu_pd(k, level + strips[t]);
            skp_acc512_zero(&r[0]);
            for (i = 0; i < length; i++)
                skp_acc512_add(&r[0], skp_small_abs8((const char*) y + i * row_stride
                                                     + strips[t] * item, n, single), l[0], k);
            skp_acc512_store(&r[0], strips[t], k, counts, sums, above_min, below_max);
            t += 1;
            continue;
        }
        for (q = 0; q < 4; q++) {
            g[q] = strips[t + q];
            l[q] = _mm512_loadu_pd(level + g[q]);
            skp_acc512_zero(&r[q]);
        }
        for (i = 0; i < length; i++) {
            const char* row = (const char*) y + i * row_stride;
            if (ahead && i < stop)
                for (q = 0; q < 4; q++)
                    skp_small_prefetch_span(row + ahead * row_stride + g[q] * item, 8 * item);
            skp_acc512_add(&r[0], skp_small_abs8(row + g[0] * item, 8, single), l[0], 0xff);
            skp_acc512_add(&r[1], skp_small_abs8(row + g[1] * item, 8, single), l[1], 0xff);
            skp_acc512_add(&r[2], skp_small_abs8(row + g[2] * item, 8, single), l[2], 0xff);
            skp_acc512_add(&r[3], skp_small_abs8(row + g[3] * item, 8, single), l[3], 0xff);
        }
        for (q = 0; q < 4; q++)
            skp_acc512_store(&r[q], g[q], (__mmask8) 0xff, counts, sums, above_min, below_max);
        t += 4;
    }
}

SKP_SMALL_AVX512 SKP_INLINE void skp_small_norms512(const void* y, ptrdiff_t length,
                                                    ptrdiff_t width, ptrdiff_t row_stride,
                                                    double* sums, double* maxima,
                                                    const int single) {
    const ptrdiff_t item = single ? 4 : 8;
    ptrdiff_t g = 0, i, q, n;
    /* float32: the maxima in float32 (exact), 16 groups per vector, the sums
     * by the pass's blocks of rows (a pass at level 0). */
    for (; single && g + 32 <= width; g += 32) {
        __m512d s0 = _mm512_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
        __m512 m0 = _mm512_setzero_ps(), m1 = m0;
        for (i = 0; i < length; ) {
            __m512 b0 = _mm512_setzero_ps(), b1 = b0;
            for (const ptrdiff_t end = skp_small_block_end(i, length); i < end; i++) {
                const float* row = (const float*) ((const char*) y + i * row_stride) + g;
                __m512 a0 = skp_small_abs16(row), a1 = skp_small_abs16(row + 16);
                m0 = _mm512_max_ps(a0, m0);
                m1 = _mm512_max_ps(a1, m1);
                b0 = _mm512_add_ps(b0, a0);
                b1 = _mm512_add_ps(b1, a1);
            }
            s0 = _mm512_add_pd(s0, skp_low8_pd(b0));
            s1 = _mm512_add_pd(s1, skp_high8_pd(b0));
            s2 = _mm512_add_pd(s2, skp_low8_pd(b1));
            s3 = _mm512_add_pd(s3, skp_high8_pd(b1));
        }
        _mm512_storeu_pd(sums + g, s0);
        _mm512_storeu_pd(sums + g + 8, s1);
        _mm512_storeu_pd(sums + g + 16, s2);
        _mm512_storeu_pd(sums + g + 24, s3);
        _mm512_storeu_pd(maxima + g, skp_low8_pd(m0));
        _mm512_storeu_pd(maxima + g + 8, skp_high8_pd(m0));
        _mm512_storeu_pd(maxima + g + 16, skp_low8_pd(m1));
        _mm512_storeu_pd(maxima + g + 24, skp_high8_pd(m1));
    }
    /* float32's last columns (under 32), 16 a vector, masked: each lane in
     * the plain loop's order (blocks of rows summed in float32, each added to
     * the total in turn), so the same bits, where the plain loop's chain of
     * additions a column took 3-4 cycles a row and a column (10000 x 8 by
     * columns: 41 % of the exact ball's call).  Two blocks at a time, each
     * its own partial: the blocks' sums do not wait on each other. */
    for (; single && g < width; g += 16) {
        n = width - g < 16 ? width - g : 16;
        const __mmask16 k = (__mmask16) ((1u << n) - 1u);
        const __m512i magnitude = _mm512_set1_epi32(0x7fffffff);
        __m512d s0 = _mm512_setzero_pd(), s1 = s0;
        __m512 m0 = _mm512_setzero_ps();
#define SKP_SMALL_ROW_ABS(r) _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(  \
            _mm512_maskz_loadu_ps(k, (const float*) ((const char*) y + (r) * row_stride) \
                                  + g)), magnitude))
        for (i = 0; i + 2 * SKP_SMALL_BLOCK <= length; i += 2 * SKP_SMALL_BLOCK) {
            __m512 b0 = _mm512_setzero_ps(), b1 = b0;
            for (q = 0; q < SKP_SMALL_BLOCK; q++) {
                const __m512 a0 = SKP_SMALL_ROW_ABS(i + q);
                const __m512 a1 = SKP_SMALL_ROW_ABS(i + SKP_SMALL_BLOCK + q);
                m0 = _mm512_max_ps(a0, m0);
                m0 = _mm512_max_ps(a1, m0);
                b0 = _mm512_add_ps(b0, a0);
                b1 = _mm512_add_ps(b1, a1);
            }
            s0 = _mm512_add_pd(_mm512_add_pd(s0, skp_low8_pd(b0)), skp_low8_pd(b1));
            s1 = _mm512_add_pd(_mm512_add_pd(s1, skp_high8_pd(b0)), skp_high8_pd(b1));
        }
        while (i < length) {
            __m512 b0 = _mm512_setzero_ps();
            for (const ptrdiff_t end = skp_small_block_end(i, length); i < end; i++) {
                const __m512 a0 = SKP_SMALL_ROW_ABS(i);
                m0 = _mm512_max_ps(a0, m0);
                b0 = _mm512_add_ps(b0, a0);
            }
            s0 = _mm512_add_pd(s0, skp_low8_pd(b0));
            s1 = _mm512_add_pd(s1, skp_high8_pd(b0));
        }
#undef SKP_SMALL_ROW_ABS
        _mm512_mask_storeu_pd(sums + g, (__mmask8) k, s0);
        _mm512_mask_storeu_pd(maxima + g, (__mmask8) k, skp_low8_pd(m0));
        if (n > 8) {
            _mm512_mask_storeu_pd(sums + g + 8, (__mmask8) (k >> 8), s1);
            _mm512_mask_storeu_pd(maxima + g + 8, (__mmask8) (k >> 8), skp_high8_pd(m0));
        }
    }
    if (single)
        return;
    for (; g + 32 <= width; g += 32) {
        __m512d s[4], m[4];
        for (q = 0; q < 4; q++) {
            s[q] = _mm512_setzero_pd();
            m[q] = s[q];
        }
        for (i = 0; i < length; i++) {
            const char* row = (const char*) y + i * row_stride + g * item;
            for (q = 0; q < 4; q++) {
                __m512d a = skp_small_abs8(row + 8 * q * item, 8, single);
                s[q] = _mm512_add_pd(s[q], a);
                m[q] = _mm512_max_pd(a, m[q]);
            }
        }
        for (q = 0; q < 4; q++) {
            _mm512_storeu_pd(sums + g + 8 * q, s[q]);
            _mm512_storeu_pd(maxima + g + 8 * q, m[q]);
        }
    }
    for (; g < width; g += 8) {
        __m512d s1 = _mm512_setzero_pd(), m1 = s1;
        __mmask8 k;
        n = width - g < 8 ? width - g : 8;
        k = (__mmask8) ((1u << n) - 1u);
        for (i = 0; i < length; i++) {
            __m512d a = skp_small_abs8((const char*) y + i * row_stride + g * item, n, single);
            s1 = _mm512_add_pd(s1, a);
            m1 = _mm512_max_pd(a, m1);
        }
        _mm512_mask_storeu_pd(sums + g, k, s1);
        _mm512_mask_storeu_pd(maxima + g, k, m1);
    }
}

/* skp_small_total of the four partials' vectors, in registers: the same
 * additions, so the same bits (lane j of (p0 + p1) + (p2 + p3), then lanes
 * j and j + 4, then 0 and 2 beside 1 and 3, then those two), where the
 * partials stored and added one by one took a third of a pass over groups of
 * 100 (the pass's bookkeeping a group, its bound out of cache). */
SKP_SMALL_AVX512 SKP_INLINE double skp_small_total512(__m512d p0, __m512d p1, __m512d p2,
                                                      __m512d p3) {
    const __m512d v = _mm512_add_pd(_mm512_add_pd(p0, p1), _mm512_add_pd(p2, p3));
    const __m256d w = _mm256_add_pd(_mm512_castpd512_pd256(v), _mm512_extractf64x4_pd(v, 1));
    const __m128d x = _mm_add_pd(_mm256_castpd256_pd128(w), _mm256_extractf128_pd(w, 1));
    return _mm_cvtsd_f64(x) + _mm_cvtsd_f64(_mm_unpackhi_pd(x, x));
}

/* float32, the groups layout: the bulk of one group (32 entries at a time)
 * into r[0..3] as skp_small_groups512 adds it (entries i + 8q .. i + 8q + 7
 * to r[q]; the sums by the header's blocks, each block's partials added to
 * r[q] in double, or without ``blocks`` in double at every entry), the tests
 * and bounds in float32 (as skp_small_quad512_f32), the count by the masks'
 * bits into ``count`` (float32 row groups of 200 x 1460 and 700 x 765 by
 * blocks: 0.89-0.94 of the time of a count vector); returns the entries
 * done. */
SKP_SMALL_AVX512 SKP_INLINE ptrdiff_t skp_small_bulk512_f32(const float* group, ptrdiff_t length,
                                                            double level, skp_acc512* r,
                                                            ptrdiff_t* count, const int blocks) {
    const __m512 l = _mm512_set1_ps(skp_float_below(level));
    const ptrdiff_t bulk = length - length % 32;
    skp_acc16 b[2];
    ptrdiff_t i = 0, j;
    skp_acc16_zero(&b[0]);
    skp_acc16_zero(&b[1]);
    while (i < bulk) {
        for (const ptrdiff_t end = skp_small_group_block_end(i, bulk); i < end; i += 32)
            for (j = 0; j < 2; j++) {
                const __m512 a = skp_small_abs16(group + i + 16 * j);
                const __mmask16 k = _mm512_cmp_ps_mask(a, l, _CMP_GT_OQ);
                *count += __builtin_popcount((unsigned) k);
                b[j].above_min = _mm512_mask_min_ps(b[j].above_min, k, b[j].above_min, a);
                b[j].below_max = _mm512_mask_max_ps(b[j].below_max, (__mmask16) ~k,
                                                    b[j].below_max, a);
                if (blocks) {
                    b[j].block = _mm512_mask_add_ps(b[j].block, k, b[j].block, a);
                } else {
                    b[j].sum_low = _mm512_mask_add_pd(b[j].sum_low, (__mmask8) k, b[j].sum_low,
                                                      skp_low8_pd(a));
                    b[j].sum_high = _mm512_mask_add_pd(b[j].sum_high, (__mmask8) (k >> 8),
                                                       b[j].sum_high, skp_high8_pd(a));
                }
            }
        if (blocks) {
            skp_acc16_flush(&b[0]);
            skp_acc16_flush(&b[1]);
        }
    }
    r[0].sum = b[0].sum_low;
    r[1].sum = b[0].sum_high;
    r[2].sum = b[1].sum_low;
    r[3].sum = b[1].sum_high;
    /* Bounds: any order gives the same (min, max). */
    b[0].above_min = _mm512_min_ps(b[0].above_min, b[1].above_min);
    b[0].below_max = _mm512_max_ps(b[0].below_max, b[1].below_max);
    r[0].above_min = _mm512_min_pd(skp_low8_pd(b[0].above_min),
                                   skp_high8_pd(b[0].above_min));
    r[0].below_max = _mm512_max_pd(skp_low8_pd(b[0].below_max),
                                   skp_high8_pd(b[0].below_max));
    return i;
}

/* The pass over the listed groups of the groups layout (``single``: as the
 * lanes layout's), the bulk's counts by the masks' bits (float64 groups of
 * 100-1460 entries 0.86-0.97 of the time of count vectors); with ``ahead``, the
 * lines of the group that many places further on the list prefetched as
 * each is read (a matrix out of cache: the later passes' lists skip groups,
 * and the hardware prefetchers lose the stream there: _GROUPS_AHEAD_BYTES in
 * _l1inf_strips.pyx). */
SKP_SMALL_AVX512 SKP_INLINE void skp_small_groups512(
        const void* y, const ptrdiff_t* list, ptrdiff_t n_list, ptrdiff_t length,
        ptrdiff_t group_stride, const double* level, double* counts, double* sums,
        double* above_min, double* below_max, const int single, ptrdiff_t ahead) {
    const ptrdiff_t item = single ? 4 : 8;
    ptrdiff_t t, i, q, g, n;
    for (t = 0; t < n_list; t++) {
        const char* group;
        __m512d u;
        skp_acc512 r[4];
        ptrdiff_t bulk_count = 0;
        g = list[t];
        group = (const char*) y + g * group_stride;
        if (ahead && t + ahead < n_list) {
            const char* next = (const char*) y + list[t + ahead] * group_stride;
            for (i = 0; i < length * item; i += 64) _mm_prefetch(next + i, _MM_HINT_T0);
        }
        u = _mm512_set1_pd(level[g]);
        for (q = 0; q < 4; q++)
            skp_acc512_zero(&r[q]);
        i = 0;
        if (single)
            i = skp_small_bulk512_f32((const float*) group, length, level[g], r, &bulk_count,
                                      single == SKP_SMALL_BLOCKS);
        for (; i + 32 <= length; i += 32)
            for (q = 0; q < 4; q++) {
                const __m512d a = skp_small_abs8(group + (i + 8 * q) * item, 8, single);
                const __mmask8 k = _mm512_cmp_pd_mask(a, u, _CMP_GT_OQ);
                bulk_count += __builtin_popcount((unsigned) k);
                r[q].sum = _mm512_mask_add_pd(r[q].sum, k, r[q].sum, a);
                r[q].above_min = _mm512_mask_min_pd(r[q].above_min, k, r[q].above_min, a);
                r[q].below_max = _mm512_mask_max_pd(r[q].below_max, (__mmask8) ~k,
                                                    r[q].below_max, a);
            }
        for (; i < length; i += 8) {
            n = length - i < 8 ? length - i : 8;
            skp_acc512_add(&r[0], skp_small_abs8(group + i * item, n, single), u,
                           (__mmask8) ((1u << n) - 1u));
        }
        sums[g] = skp_small_total512(r[0].sum, r[1].sum, r[2].sum, r[3].sum);
        counts[g] = (double) bulk_count + _mm512_reduce_add_pd(_mm512_add_pd(
            _mm512_add_pd(r[0].count, r[1].count), _mm512_add_pd(r[2].count, r[3].count)));
        above_min[g] = _mm512_reduce_min_pd(_mm512_min_pd(
            _mm512_min_pd(r[0].above_min, r[1].above_min),
            _mm512_min_pd(r[2].above_min, r[3].above_min)));
        below_max[g] = _mm512_reduce_max_pd(_mm512_max_pd(
            _mm512_max_pd(r[0].below_max, r[1].below_max),
            _mm512_max_pd(r[2].below_max, r[3].below_max)));
    }
}

/* The write, x = clip(y, level of the group), on lines of contiguous entries
 * (rows or columns): the level of entry k of line i is levels[k]
 * (``per_entry``: the lanes layout) or levels[i] (the groups layout).  The
 * clip is _common.pxd's, in the input's precision: v > l gives l, then
 * v < -l gives -l.  Each store brings the line SKP_WRITE_AHEAD bytes on
 * into L1 for writing (skp_prefetch_for_write; issue 14, an Intel Xeon,
 * project_l1inf_ball at 10, 50, 90 % of the norm, single calls interleaved
 * in one process, times a copy, without / with: float32 100 x 1000 column
 * groups 6.26 / 6.15, 7.45 / 7.31, 6.39 / 6.26; 1000 x 100 row groups and
 * 300 x 784 1-2.5 % faster; float64 100 x 1000 4.08 / 3.74, 4.68 / 4.40,
 * 4.18 / 3.82; 300 x 300 and 500 x 1000 1-4 % faster). */
#define SKP_SMALL_CLIP512(T, SUFFIX, W, VEC, MASK, MASKZ_LOADU, SET1, MIN, MAX, MASK_STOREU,  \
                          SIGN, CAST_I, CAST_F)                                             \
SKP_SMALL_AVX512 static void skp_small_clip512_##SUFFIX(const T* y, T* x, ptrdiff_t n_lines,      \
        ptrdiff_t line_length, ptrdiff_t y_stride, ptrdiff_t x_stride, const T* levels,     \
        int per_entry) {                                                                    \
    ptrdiff_t i, k, n;                                                                      \
    const __m512i sign = SIGN;                                                              \
    for (i = 0; i < n_lines; i++) {                                                         \
        const T* src = (const T*) ((const char*) y + i * y_stride);                         \
        T* dst = (T*) ((char*) x + i * x_stride);                                           \
        VEC line_level = SET1(per_entry ? (T) 0 : levels[i]);                               \
        /* A zeroed group that is a line is +0.0 throughout, as write_clipped's */         \
        /* zero_row (the clip by a level of 0 would keep each entry's sign). */            \
        const int zero_line = !per_entry && levels[i] == (T) 0;                             \
        for (k = 0; k < line_length; k += W) {                                              \
            MASK all;                                                                       \
            VEC v, l, low;                                                                  \
            n = line_length - k < W ? line_length - k : W;                                  \
            all = n == W ? (MASK) ~0 : (MASK) ((1u << n) - 1u);                             \
            v = MASKZ_LOADU(all, src + k);                                                  \
            l = per_entry ? MASKZ_LOADU(all, levels + k) : line_level;                      \
            low = CAST_F(_mm512_xor_si512(CAST_I(l), sign));                                \
            /* min(l, max(-l, v)): on equal operands (zeros of either sign   */              \
            /* included) min and max give their second one, v: the clip's    */              \
            /* bits, in two instructions instead of four.                     */              \
            v = zero_line ? CAST_F(_mm512_setzero_si512()) : MIN(l, MAX(low, v));           \
            skp_prefetch_for_write(dst + k);                                                \
            MASK_STOREU(dst + k, all, v);                                                   \
        }                                                                                   \
    }                                                                                       \
}

SKP_SMALL_CLIP512(double, f64, 8, __m512d, __mmask8, _mm512_maskz_loadu_pd, _mm512_set1_pd,
                  _mm512_min_pd, _mm512_max_pd, _mm512_mask_storeu_pd,
                  _mm512_set1_epi64(INT64_MIN), _mm512_castpd_si512,
                  _mm512_castsi512_pd)
SKP_SMALL_CLIP512(float, f32, 16, __m512, __mmask16, _mm512_maskz_loadu_ps, _mm512_set1_ps,
                  _mm512_min_ps, _mm512_max_ps, _mm512_mask_storeu_ps,
                  _mm512_set1_epi32((int) 0x80000000u), _mm512_castps_si512,
                  _mm512_castsi512_ps)

/* float32 by blocks (``single`` SKP_SMALL_BLOCKS): the bulk of one group as
 * skp_small_bulk512_f32 sums it at level 0, into s[0..3] and m[0]; returns
 * the entries done. */
SKP_SMALL_AVX512 SKP_INLINE ptrdiff_t skp_small_bulk_norm512_f32(const float* group,
                                                                 ptrdiff_t length, __m512d s[4],
                                                                 __m512d m[1]) {
    const ptrdiff_t bulk = length - length % 32;
    __m512 b0 = _mm512_setzero_ps(), b1 = b0, top = b0;
    ptrdiff_t i = 0;
    while (i < bulk) {
        for (const ptrdiff_t end = skp_small_group_block_end(i, bulk); i < end; i += 32) {
            const __m512 a0 = skp_small_abs16(group + i), a1 = skp_small_abs16(group + i + 16);
            b0 = _mm512_add_ps(b0, a0);
            b1 = _mm512_add_ps(b1, a1);
            top = _mm512_max_ps(a0, _mm512_max_ps(a1, top));
        }
        s[0] = _mm512_add_pd(s[0], skp_low8_pd(b0));
        s[1] = _mm512_add_pd(s[1], skp_high8_pd(b0));
        s[2] = _mm512_add_pd(s[2], skp_low8_pd(b1));
        s[3] = _mm512_add_pd(s[3], skp_high8_pd(b1));
        b0 = _mm512_setzero_ps();
        b1 = b0;
    }
    m[0] = _mm512_max_pd(skp_low8_pd(top), skp_high8_pd(top));
    return i;
}

SKP_SMALL_AVX512 SKP_INLINE void skp_small_group_norms512(const void* y, ptrdiff_t n_groups,
                                                  ptrdiff_t length, ptrdiff_t group_stride,
                                                  double* sums, double* maxima,
                                                  const int single) {
    const ptrdiff_t item = single ? 4 : 8;
    ptrdiff_t g, i, q;
    for (g = 0; g < n_groups; g++) {
        const char* group = (const char*) y + g * group_stride;
        __m512d s[4], m[4];
        for (q = 0; q < 4; q++) {
            s[q] = _mm512_setzero_pd();
            m[q] = s[q];
        }
        i = single == SKP_SMALL_BLOCKS
            ? skp_small_bulk_norm512_f32((const float*) group, length, s, m) : 0;
        for (; i + 32 <= length; i += 32)
            for (q = 0; q < 4; q++) {
                __m512d a = skp_small_abs8(group + (i + 8 * q) * item, 8, single);
                s[q] = _mm512_add_pd(s[q], a);
                m[q] = _mm512_max_pd(a, m[q]);
            }
        for (; i < length; i += 8) {
            /* the lanes past the end are 0: no change to a sum or a max >= 0 */
            __m512d a = skp_small_abs8(group + i * item, length - i, single);
            s[0] = _mm512_add_pd(s[0], a);
            m[0] = _mm512_max_pd(a, m[0]);
        }
        sums[g] = skp_small_total512(s[0], s[1], s[2], s[3]);
        maxima[g] = _mm512_reduce_max_pd(_mm512_max_pd(_mm512_max_pd(m[0], m[1]),
                                                       _mm512_max_pd(m[2], m[3])));
    }
}

/* The list of the next pass (skp_small_moved), 8 groups per vector. */
SKP_SMALL_AVX512 static ptrdiff_t skp_small_moved512(ptrdiff_t n_groups, ptrdiff_t width,
                                               const double* level, const double* above_min,
                                               const double* below_max, ptrdiff_t* listed) {
    ptrdiff_t g, n_listed = 0;
    for (g = 0; g < n_groups; g += 8) {
        ptrdiff_t n = n_groups - g < 8 ? n_groups - g : 8;
        __mmask8 valid = n == 8 ? (__mmask8) 0xff : (__mmask8) ((1u << n) - 1u);
        __m512d l = _mm512_maskz_loadu_pd(valid, level + g);
        unsigned moved = (unsigned) (
            _mm512_mask_cmp_pd_mask(valid, _mm512_maskz_loadu_pd(valid, below_max + g), l,
                                    _CMP_GT_OQ)
            | _mm512_mask_cmp_pd_mask(valid, l, _mm512_maskz_loadu_pd(valid, above_min + g),
                                      _CMP_GE_OQ));
        if (width == 8) {
            listed[n_listed] = g;
            n_listed += moved != 0;
        } else {
            while (moved) {
                listed[n_listed++] = g + __builtin_ctz(moved);
                moved &= moved - 1u;
            }
        }
    }
    return n_listed;
}

/* skp_small_newton on one whole strip of 8 groups, 8 divisions a vector
 * (IEEE, as the scalar loop's: the same bits). */
SKP_SMALL_AVX512 static int skp_small_newton512(ptrdiff_t g0, double theta, const double* counts,
                                               const double* sums, const double* above_min,
                                               const double* below_max, double* level,
                                               unsigned char* done) {
    const __m512d zero = _mm512_setzero_pd();
    const __m512d count = _mm512_loadu_pd(counts + g0);
    const __mmask8 positive = _mm512_cmp_pd_mask(count, zero, _CMP_GT_OQ);
    const __m512d step = _mm512_div_pd(
        _mm512_sub_pd(_mm512_loadu_pd(sums + g0), _mm512_set1_pd(theta)),
        _mm512_mask_mov_pd(_mm512_set1_pd(1.0), positive, count));
    const __m512d next = _mm512_maskz_mov_pd(positive, step);
    const __mmask8 not_positive = _mm512_cmp_pd_mask(next, zero, _CMP_NGT_UQ);
    const __mmask8 exact = _mm512_cmp_pd_mask(_mm512_loadu_pd(below_max + g0), next, _CMP_LE_OQ)
                           & _mm512_cmp_pd_mask(next, _mm512_loadu_pd(above_min + g0),
                                                _CMP_LE_OQ);
    const __mmask8 was_done = _mm512_cmpneq_epi64_mask(
        _mm512_cvtepu8_epi64(_mm_loadl_epi64((const __m128i*) (done + g0))),
        _mm512_setzero_si512());
    const __mmask8 settled = (__mmask8) (was_done | not_positive | exact);
    _mm512_mask_storeu_pd(level + g0, (__mmask8) ~was_done,
                          _mm512_mask_mov_pd(next, not_positive, zero));
    _mm_storel_epi64((__m128i*) (done + g0),
                     _mm512_cvtepi64_epi8(_mm512_maskz_set1_epi64(settled, 1)));
    return settled != 0xff;
}

/* ------------------------------------------------------------ AVX2 */

/* skp_small_newton on one whole strip of 8 groups with AVX2: four divisions
 * a vector (IEEE, as the scalar loop's: the same bits), where the scalar
 * loop's eight divisions and branches took a fifth of the sampled-bracket
 * path's steps between passes (issue 14, a Zen 3, single calls alternated:
 * 100 x 100000 and 64 x 200000 at 10 and 50 % of the norm 0.95-0.99 of the
 * time). */
SKP_SMALL_AVX2 static int skp_small_newton256(ptrdiff_t g0, double theta, const double* counts,
                                             const double* sums, const double* above_min,
                                             const double* below_max, double* level,
                                             unsigned char* done) {
    const __m256d zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0);
    int settled = 0, h, k;
    for (h = 0; h < 2; h++) {
        const ptrdiff_t g = g0 + 4 * h;
        const __m256d count = _mm256_loadu_pd(counts + g);
        const __m256d positive = _mm256_cmp_pd(count, zero, _CMP_GT_OQ);
        const __m256d step = _mm256_div_pd(
            _mm256_sub_pd(_mm256_loadu_pd(sums + g), _mm256_set1_pd(theta)),
            _mm256_blendv_pd(one, count, positive));
        const __m256d next = _mm256_and_pd(step, positive);   /* (+0.0 for no count) */
        const __m256d not_positive = _mm256_cmp_pd(next, zero, _CMP_NGT_UQ);
        const __m256d exact = _mm256_and_pd(
            _mm256_cmp_pd(_mm256_loadu_pd(below_max + g), next, _CMP_LE_OQ),
            _mm256_cmp_pd(next, _mm256_loadu_pd(above_min + g), _CMP_LE_OQ));
        int32_t bytes;
        __m256d was_done;
        memcpy(&bytes, done + g, sizeof(bytes));
        was_done = _mm256_castsi256_pd(_mm256_xor_si256(
            _mm256_cmpeq_epi64(_mm256_cvtepu8_epi64(_mm_cvtsi32_si128(bytes)),
                               _mm256_setzero_si256()),
            _mm256_set1_epi64x(-1)));
        _mm256_storeu_pd(level + g, _mm256_blendv_pd(
            _mm256_blendv_pd(next, zero, not_positive), _mm256_loadu_pd(level + g), was_done));
        settled |= _mm256_movemask_pd(_mm256_or_pd(was_done, _mm256_or_pd(not_positive,
                                                                           exact))) << (4 * h);
    }
    for (k = 0; k < 8; k++)
        done[g0 + k] = (unsigned char) (settled >> k & 1);
    return settled != 0xff;
}

SKP_SMALL_AVX2 SKP_INLINE __m256d skp_small_abs4(const void* p, const int single) {
    const __m256d magnitude = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
    __m256d v = single ? _mm256_cvtps_pd(_mm_loadu_ps((const float*) p))
                       : _mm256_loadu_pd((const double*) p);
    return _mm256_and_pd(v, magnitude);
}

typedef struct { __m256d count, sum, above_min, below_max; } skp_acc256;

SKP_SMALL_AVX2 SKP_INLINE void skp_acc256_zero(skp_acc256* r) {
    r->count = _mm256_setzero_pd();
    r->sum = r->count;
    r->above_min = _mm256_set1_pd(INFINITY);
    r->below_max = _mm256_set1_pd(-INFINITY);
}

SKP_SMALL_AVX2 SKP_INLINE void skp_acc256_add(skp_acc256* r, __m256d a, __m256d level) {
    __m256d k = _mm256_cmp_pd(a, level, _CMP_GT_OQ);
    r->count = _mm256_add_pd(r->count, _mm256_and_pd(k, _mm256_set1_pd(1.0)));
    r->sum = _mm256_add_pd(r->sum, _mm256_and_pd(k, a));
    r->above_min = _mm256_min_pd(r->above_min, _mm256_blendv_pd(r->above_min, a, k));
    r->below_max = _mm256_max_pd(r->below_max, _mm256_blendv_pd(a, r->below_max, k));
}

SKP_SMALL_AVX2 SKP_INLINE void skp_acc256_store(const skp_acc256* r, ptrdiff_t g,
                                                double* counts, double* sums,
                                                double* above_min, double* below_max) {
    _mm256_storeu_pd(counts + g, r->count);
    _mm256_storeu_pd(sums + g, r->sum);
    _mm256_storeu_pd(above_min + g, r->above_min);
    _mm256_storeu_pd(below_max + g, r->below_max);
}

/* Eight float32 magnitudes ``a`` read at the float32 levels ``level`` (the
 * largest float32 <= each level: a > it exactly where a > the level): their
 * count (less the masks, so minus the count), the least above and the
 * largest at or below, and the kept ones' sums in double, lanes 0-3 into
 * ``low`` and 4-7 into ``high`` (the double loop's order). */
SKP_SMALL_AVX2 SKP_INLINE __m256 skp_bound8_f32(__m256 a, __m256 level, __m256i* uncounted,
                                               __m256* least, __m256* largest) {
    const __m256 k = _mm256_cmp_ps(a, level, _CMP_GT_OQ);
    *uncounted = _mm256_add_epi32(*uncounted, _mm256_castps_si256(k));
    *least = _mm256_min_ps(*least, _mm256_blendv_ps(*least, a, k));
    *largest = _mm256_max_ps(*largest, _mm256_blendv_ps(a, *largest, k));
    return _mm256_and_ps(k, a);
}

/* low += v[0:4], high += v[4:8], in double (exact conversions). */
SKP_SMALL_AVX2 SKP_INLINE void skp_add8_pd(__m256d* low, __m256d* high, __m256 v) {
    *low = _mm256_add_pd(*low, skp_low_pd(v));
    *high = _mm256_add_pd(*high, skp_high_pd(v));
}

SKP_SMALL_AVX2 SKP_INLINE void skp_take8_f32(__m256 a, __m256 level, __m256i* uncounted,
                                             __m256* least, __m256* largest, __m256d* low,
                                             __m256d* high) {
    skp_add8_pd(low, high, skp_bound8_f32(a, level, uncounted, least, largest));
}

/* Eight float32 bounds into dst[0:8] as doubles (exact). */
SKP_SMALL_AVX2 SKP_INLINE void skp_store8_f32(double* dst, __m256 v) {
    _mm256_storeu_pd(dst, skp_low_pd(v));
    _mm256_storeu_pd(dst + 4, skp_high_pd(v));
}

/* Eight counts less their masks (skp_take8_f32's) as doubles: lanes 0-3, 4-7. */
SKP_SMALL_AVX2 SKP_INLINE __m256d skp_counts4(__m256i uncounted, const int high) {
    const __m256i counts = _mm256_sub_epi32(_mm256_setzero_si256(), uncounted);
    return _mm256_cvtepi32_pd(high ? _mm256_extracti128_si256(counts, 1)
                                   : _mm256_castsi256_si128(counts));
}

/* A float32 strip's sets (groups g .. g + 7) into the pass's arrays. */
SKP_SMALL_AVX2 SKP_INLINE void skp_store_strip8_f32(ptrdiff_t g, __m256d low, __m256d high,
                                                    __m256i uncounted, __m256 least,
                                                    __m256 largest, double* counts,
                                                    double* sums, double* above_min,
                                                    double* below_max) {
    _mm256_storeu_pd(sums + g, low);
    _mm256_storeu_pd(sums + g + 4, high);
    _mm256_storeu_pd(counts + g, skp_counts4(uncounted, 0));
    _mm256_storeu_pd(counts + g + 4, skp_counts4(uncounted, 1));
    skp_store8_f32(above_min + g, least);
    skp_store8_f32(below_max + g, largest);
}

/* float32, one whole strip (8 groups, one vector): as skp_small_quad512_f32,
 * the tests, counts and bounds in float32, the sums by blocks (``blocks``)
 * or in double in the double loop's order (the same bits): 15 instructions
 * for 8 entries where the double loop takes 22.  One strip at a time: two or four adjacent ones
 * (as the AVX-512 loop takes them) need 10 or 20 vectors of accumulators,
 * which spill out of AVX2's 16 registers (issue 14, a C harness of the pass
 * over panels of 80-320 columns of 100 rows in cache: one strip at a time
 * 0.70-0.74 of the time of up to four).  The eight floats of the levels by
 * skp_float_below4, where eight calls of skp_float_below, each with its
 * branches, had taken a sixth of the pass over 100 rows (issue 14, a Zen 3,
 * single calls interleaved: the exact ball on 100 x 1000 float32 0.85-0.87
 * of the time, 300 x 784 0.93-0.94, 100 x 100000 0.88-0.93). */
SKP_SMALL_AVX2 SKP_INLINE void skp_small_strip256_f32(
        const float* y, ptrdiff_t length, ptrdiff_t row_stride, ptrdiff_t g, ptrdiff_t n,
        const double* level, double* counts, double* sums, double* above_min,
        double* below_max, const int blocks) {
    const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    /* (the short last strip, n < 8 groups: its lanes by masked loads, the
     * others' zeros counted in lanes never stored, where the plain loop took
     * a row at a time: 4000 x 20 by columns, a third of the exact ball's call) */
    const __m256i lanes = _mm256_cmpgt_epi32(_mm256_set1_epi32((int) n),
                                             _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    const int whole = n == SKP_SMALL_STRIP;
    __m256i uncounted = _mm256_setzero_si256();
    __m256 l, least = _mm256_set1_ps(INFINITY), largest = _mm256_set1_ps(-INFINITY);
    __m256d low = _mm256_setzero_pd(), high = low;
    double levels[SKP_SMALL_STRIP] = {0.0}, lanes_out[4][SKP_SMALL_STRIP];
    const double* strip_levels = level + g;
    ptrdiff_t i;
    if (!whole) {   /* (a copy where whole: its loads wait on the stores, 1.05 x) */
        for (i = 0; i < n; i++)
            levels[i] = level[g + i];
        strip_levels = levels;
    }
    l = _mm256_set_m128(skp_float_below4(_mm256_loadu_pd(strip_levels + 4)),
                        skp_float_below4(_mm256_loadu_pd(strip_levels)));
#define SKP_STRIP_ROW(i) ((const float*) ((const char*) y + (i) * row_stride) + g)
    /* (each loop twice, the loads plain or masked: one loop with both took
     * 100 x 1000 1.05 times as long) */
#define SKP_STRIP_LOOPS(LOAD)                                                               \
    if (blocks)                                                                             \
        for (i = 0; i < length; ) {                                                         \
            __m256 block = _mm256_setzero_ps();     /* (the header's blocks) */            \
            for (const ptrdiff_t end = skp_small_block_end(i, length); i < end; i++)        \
                block = _mm256_add_ps(block, skp_bound8_f32(                                \
                    _mm256_and_ps(LOAD, magnitude), l, &uncounted, &least, &largest));      \
            skp_add8_pd(&low, &high, block);                                                \
        }                                                                                   \
    else                                                                                    \
        for (i = 0; i < length; i++)                                                        \
            skp_take8_f32(_mm256_and_ps(LOAD, magnitude), l, &uncounted, &least, &largest,  \
                          &low, &high);
    if (whole) {
        SKP_STRIP_LOOPS(_mm256_loadu_ps(SKP_STRIP_ROW(i)))
    } else {
        SKP_STRIP_LOOPS(_mm256_maskload_ps(SKP_STRIP_ROW(i), lanes))
    }
#undef SKP_STRIP_LOOPS
#undef SKP_STRIP_ROW
    if (whole) {
        skp_store_strip8_f32(g, low, high, uncounted, least, largest, counts, sums, above_min,
                             below_max);
        return;
    }
    skp_store_strip8_f32(0, low, high, uncounted, least, largest, lanes_out[0], lanes_out[1],
                         lanes_out[2], lanes_out[3]);
    for (i = 0; i < n; i++) {
        counts[g + i] = lanes_out[0][i];
        sums[g + i] = lanes_out[1][i];
        above_min[g + i] = lanes_out[2][i];
        below_max[g + i] = lanes_out[3][i];
    }
}

/* One strip at a time: float64 in two vectors of 4 groups, 8 vectors of
 * accumulators.  Two adjacent strips together (four vectors, as the AVX-512
 * loop takes them) spilled their accumulators to the stack, each row's sums
 * waiting on a store and a load (issue 14, a Zen 3, single calls of the
 * exact ball interleaved, one strip / two: 100 x 1000 0.95-0.97 of the time,
 * 300 x 784 and 1000 x 1000 0.88-0.91, 100 x 100000 and 64 x 200000
 * 0.83-0.89, the same bits). */
/* A float64 strip of n < 8 groups (the last, or a narrow matrix's only one)
 * with AVX2: skp_small_lanes256's vectors under masks (the groups past n
 * read as 0 at level 0, never counted, not stored), each group's entries
 * added in the order of the rows as the plain loop adds them, so its bits.
 * The plain loop, its sums in memory, took the exact ball by columns on
 * 20000 x 3 53 times a copy where AVX-512 took 9 (issue 14, the Zen 4 with
 * AVX2 alone). */
SKP_SMALL_AVX2 SKP_INLINE void skp_small_short_strip256_f64(
        const double* y, ptrdiff_t length, ptrdiff_t row_stride, ptrdiff_t g, ptrdiff_t n,
        const double* level, double* counts, double* sums, double* above_min,
        double* below_max) {
    const __m256d magnitude = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
    __m256i lanes[2];
    __m256d l[2];
    skp_acc256 r[2];
    ptrdiff_t i;
    int q;
    for (q = 0; q < 2; q++) {
        lanes[q] = _mm256_cmpgt_epi64(_mm256_set1_epi64x(n - 4 * q),
                                      _mm256_setr_epi64x(0, 1, 2, 3));
        l[q] = _mm256_maskload_pd(level + g + 4 * q, lanes[q]);
        skp_acc256_zero(&r[q]);
    }
    for (i = 0; i < length; i++) {
        const double* row = (const double*) ((const char*) y + i * row_stride) + g;
        skp_acc256_add(&r[0], _mm256_and_pd(magnitude, _mm256_maskload_pd(row, lanes[0])),
                       l[0]);
        if (n > 4)
            skp_acc256_add(&r[1], _mm256_and_pd(magnitude,
                                                _mm256_maskload_pd(row + 4, lanes[1])), l[1]);
    }
    for (q = 0; q < (n > 4 ? 2 : 1); q++) {
        _mm256_maskstore_pd(counts + g + 4 * q, lanes[q], r[q].count);
        _mm256_maskstore_pd(sums + g + 4 * q, lanes[q], r[q].sum);
        _mm256_maskstore_pd(above_min + g + 4 * q, lanes[q], r[q].above_min);
        _mm256_maskstore_pd(below_max + g + 4 * q, lanes[q], r[q].below_max);
    }
}

SKP_SMALL_AVX2 SKP_INLINE void skp_small_lanes256(
        const void* y, ptrdiff_t length, ptrdiff_t width, ptrdiff_t row_stride,
        const ptrdiff_t* strips, ptrdiff_t n_strips, const double* level, double* counts,
        double* sums, double* above_min, double* below_max, const int single,
        ptrdiff_t ahead) {
    ptrdiff_t t, i, q, g;
    (void) ahead;   /* (the AVX-512 loops' alone: see skp_small_lanes_*) */
    for (t = 0; t < n_strips; t++) {
        __m256d l[2];
        skp_acc256 r[2];
        g = strips[t];
        if (single) {
            skp_small_strip256_f32((const float*) y, length, row_stride, g,
                                   width - g < 8 ? width - g : 8, level, counts, sums,
                                   above_min, below_max, single == SKP_SMALL_BLOCKS);
            continue;
        }
        if (g + 8 > width) {
            skp_small_short_strip256_f64((const double*) y, length, row_stride, g, width - g,
                                         level, counts, sums, above_min, below_max);
            continue;
        }
        for (q = 0; q < 2; q++) {
            l[q] = _mm256_loadu_pd(level + g + 4 * q);
            skp_acc256_zero(&r[q]);
        }
        for (i = 0; i < length; i++) {
            const char* row = (const char*) y + i * row_stride + g * 8;
            skp_acc256_add(&r[0], skp_small_abs4(row, 0), l[0]);
            skp_acc256_add(&r[1], skp_small_abs4(row + 32, 0), l[1]);
        }
        for (q = 0; q < 2; q++)
            skp_acc256_store(&r[q], g + 4 * q, counts, sums, above_min, below_max);
    }
}

/* The AVX2 passes along the rows (skp_small_row_blocks_f32, _f64): the
 * listed strips read SKP_SMALL_ROW_BLOCK256 rows at a time, strip after
 * strip, each strip's accumulators waiting in a scratch between blocks, so
 * that each row of the block is a stream the hardware prefetchers follow.
 * Down a strip (skp_small_lanes256), each row is another line a row stride
 * away: on a Zen 3 those loads waited on memory (perf: 88 % of the pass's
 * samples after them), the chunks' prefetches (_small_pass_ahead) or rows
 * prefetched 16 to 128 ahead no faster.  Issue 14, a Zen 3, single calls
 * interleaved in one process, the exact ball over Student t(3) column groups
 * where the passes run, times bilevel_l1inf, down the strips / along the
 * rows: 1000 x 10000 float64 13.6-16.6 / 3.6-4.9, float32 9.2-11.2 /
 * 4.1-4.8; 4000 x 2500 float64 20.9-25.8 / 4.4-4.7; 300 x 30000 float32
 * 8.7-11.9 / 4.5-5.2; groups of 64 to 200 rows 0.55-0.75 of the time (the
 * sampled-bracket path's sample 0.4-0.7); Cauchy 1000 x 10000 float64
 * 11.9-12.9 / 2.8-3.8.  Blocks of 4 or 16 rows took up to 1.4 times as long
 * as 8, of 32 more than twice; the same bits as down the strips (each
 * group's entries in the order of the rows). */
#define SKP_SMALL_ROW_BLOCK256 8
/* ... over at most this many strips at a time (their scratch, 320 KB at
 * most, stays in L2; a row's part of them, 32-64 KB, is still a long
 * stream), so that wider matrices do not stream a scratch of their width
 * in and out of memory at every block of rows. */
#define SKP_SMALL_ROW_STRIPS256 1024

/* float64: a strip's two vectors of four groups and their levels. */
typedef struct { skp_acc256 acc[2]; __m256d level[2]; } skp_row_strip256_f64;

/* float32 (sums by blocks): a strip's counts, bounds, the float32 sum of its
 * current block of SKP_SMALL_BLOCK rows, the sums in double, the levels. */
typedef struct {
    __m256i uncounted;
    __m256 least, largest, block, level;
    __m256d low, high;
} skp_row_strip256_f32;

SKP_SMALL_AVX2 static void skp_small_row_blocks256_f64(
        const double* y, ptrdiff_t length, ptrdiff_t row_stride, const ptrdiff_t* strips,
        ptrdiff_t n, const double* level, double* counts, double* sums, double* above_min,
        double* below_max, void* state) {
    skp_row_strip256_f64* strip = (skp_row_strip256_f64*) (((uintptr_t) state + 63) / 64 * 64);
    ptrdiff_t t, i0, i, q;
    for (t = 0; t < n; t++)
        for (q = 0; q < 2; q++) {
            skp_acc256_zero(&strip[t].acc[q]);
            strip[t].level[q] = _mm256_loadu_pd(level + strips[t] + 4 * q);
        }
    for (i0 = 0; i0 < length; i0 += SKP_SMALL_ROW_BLOCK256) {
        const ptrdiff_t end = length - i0 < SKP_SMALL_ROW_BLOCK256
                              ? length : i0 + SKP_SMALL_ROW_BLOCK256;
        for (t = 0; t < n; t++) {
            skp_acc256 r0 = strip[t].acc[0], r1 = strip[t].acc[1];
            const __m256d l0 = strip[t].level[0], l1 = strip[t].level[1];
            const char* column = (const char*) (y + strips[t]);
            for (i = i0; i < end; i++) {   /* (skp_small_lanes256's steps) */
                const char* row = column + i * row_stride;
                skp_acc256_add(&r0, skp_small_abs4(row, 0), l0);
                skp_acc256_add(&r1, skp_small_abs4(row + 32, 0), l1);
            }
            strip[t].acc[0] = r0;
            strip[t].acc[1] = r1;
        }
    }
    for (t = 0; t < n; t++)
        for (q = 0; q < 2; q++)
            skp_acc256_store(&strip[t].acc[q], strips[t] + 4 * q, counts, sums, above_min,
                             below_max);
}

SKP_SMALL_AVX2 static void skp_small_row_blocks256_f32(
        const float* y, ptrdiff_t length, ptrdiff_t row_stride, const ptrdiff_t* strips,
        ptrdiff_t n, const double* level, double* counts, double* sums, double* above_min,
        double* below_max, void* state) {
    const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    skp_row_strip256_f32* strip = (skp_row_strip256_f32*) (((uintptr_t) state + 63) / 64 * 64);
    ptrdiff_t t, i0, i, g;
    for (t = 0; t < n; t++) {
        g = strips[t];
        strip[t].uncounted = _mm256_setzero_si256();
        strip[t].least = _mm256_set1_ps(INFINITY);
        strip[t].largest = _mm256_set1_ps(-INFINITY);
        strip[t].block = _mm256_setzero_ps();
        strip[t].low = _mm256_setzero_pd();
        strip[t].high = _mm256_setzero_pd();
        strip[t].level = _mm256_set_m128(skp_float_below4(_mm256_loadu_pd(level + g + 4)),
                                         skp_float_below4(_mm256_loadu_pd(level + g)));
    }
    for (i0 = 0; i0 < length; i0 += SKP_SMALL_ROW_BLOCK256) {
        const ptrdiff_t end = length - i0 < SKP_SMALL_ROW_BLOCK256
                              ? length : i0 + SKP_SMALL_ROW_BLOCK256;
        /* (skp_small_strip256_f32's blocks of the sums: SKP_SMALL_BLOCK rows) */
        const int block_ends = end % SKP_SMALL_BLOCK == 0 || end == length;
        for (t = 0; t < n; t++) {
            skp_row_strip256_f32 r = strip[t];
            const char* column = (const char*) (y + strips[t]);
            for (i = i0; i < end; i++)
                r.block = _mm256_add_ps(r.block, skp_bound8_f32(
                    _mm256_and_ps(_mm256_loadu_ps((const float*) (column + i * row_stride)),
                                  magnitude),
                    r.level, &r.uncounted, &r.least, &r.largest));
            if (block_ends) {
                skp_add8_pd(&r.low, &r.high, r.block);
                r.block = _mm256_setzero_ps();
            }
            strip[t] = r;
        }
    }
    for (t = 0; t < n; t++)
        skp_store_strip8_f32(strips[t], strip[t].low, strip[t].high, strip[t].uncounted,
                             strip[t].least, strip[t].largest, counts, sums, above_min,
                             below_max);
}

/* Step 1 of the lanes layout, sixteen groups a block.  float32 maxima taken
 * in float32, eight entries an instruction, measured 1.00-1.05 of the time
 * (issue 14, a Zen 3, the exact ball on 100 x 1000 to 1000 x 1000 float32,
 * single calls alternated): the sums, in the double loop's order for its
 * bits, still take each entry to double, and a load with its conversion is
 * one instruction where a float load, its halves' extraction and conversion
 * are more. */
SKP_SMALL_AVX2 SKP_INLINE void skp_small_norms256(const void* y, ptrdiff_t length,
                                                ptrdiff_t width, ptrdiff_t row_stride,
                                                double* sums, double* maxima,
                                                const int single) {
    const ptrdiff_t item = single ? 4 : 8;
    ptrdiff_t g = 0, i, q;
    /* float32: the sums by the pass's blocks of rows (a pass at level 0) */
    for (; single && g + 16 <= width; g += 16) {
        const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
        __m256d s[4];
        __m256 m0 = _mm256_setzero_ps(), m1 = m0;
        for (q = 0; q < 4; q++)
            s[q] = _mm256_setzero_pd();
        for (i = 0; i < length; ) {
            __m256 b0 = _mm256_setzero_ps(), b1 = b0;
            for (const ptrdiff_t end = skp_small_block_end(i, length); i < end; i++) {
                const float* row = (const float*) ((const char*) y + i * row_stride) + g;
                __m256 a0 = _mm256_and_ps(_mm256_loadu_ps(row), magnitude);
                __m256 a1 = _mm256_and_ps(_mm256_loadu_ps(row + 8), magnitude);
                m0 = _mm256_max_ps(a0, m0);
                m1 = _mm256_max_ps(a1, m1);
                b0 = _mm256_add_ps(b0, a0);
                b1 = _mm256_add_ps(b1, a1);
            }
            s[0] = _mm256_add_pd(s[0], skp_low_pd(b0));
            s[1] = _mm256_add_pd(s[1], skp_high_pd(b0));
            s[2] = _mm256_add_pd(s[2], skp_low_pd(b1));
            s[3] = _mm256_add_pd(s[3], skp_high_pd(b1));
        }
        for (q = 0; q < 4; q++)
            _mm256_storeu_pd(sums + g + 4 * q, s[q]);
        _mm256_storeu_pd(maxima + g, skp_low_pd(m0));
        _mm256_storeu_pd(maxima + g + 4, skp_high_pd(m0));
        _mm256_storeu_pd(maxima + g + 8, skp_low_pd(m1));
        _mm256_storeu_pd(maxima + g + 12, skp_high_pd(m1));
    }
    /* float32's last columns (under 16), 8 a vector, masked, two blocks of
     * rows at a time: as skp_small_norms512's, the plain loop's bits. */
    for (; single && g < width; g += 8) {
        const ptrdiff_t n = width - g < 8 ? width - g : 8;
        const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
        const __m256i k = _mm256_cmpgt_epi32(_mm256_set1_epi32((int) n),
                                             _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        __m256d s0 = _mm256_setzero_pd(), s1 = s0;
        __m256 m0 = _mm256_setzero_ps();
        double lanes[2][8];
#define SKP_SMALL_ROW_ABS8(r) _mm256_and_ps(_mm256_maskload_ps(                             \
            (const float*) ((const char*) y + (r) * row_stride) + g, k), magnitude)
        for (i = 0; i + 2 * SKP_SMALL_BLOCK <= length; i += 2 * SKP_SMALL_BLOCK) {
            __m256 b0 = _mm256_setzero_ps(), b1 = b0;
            for (q = 0; q < SKP_SMALL_BLOCK; q++) {
                const __m256 a0 = SKP_SMALL_ROW_ABS8(i + q);
                const __m256 a1 = SKP_SMALL_ROW_ABS8(i + SKP_SMALL_BLOCK + q);
                m0 = _mm256_max_ps(a1, _mm256_max_ps(a0, m0));
                b0 = _mm256_add_ps(b0, a0);
                b1 = _mm256_add_ps(b1, a1);
            }
            s0 = _mm256_add_pd(_mm256_add_pd(s0, skp_low_pd(b0)),
                               skp_low_pd(b1));
            s1 = _mm256_add_pd(_mm256_add_pd(s1, skp_high_pd(b0)),
                               skp_high_pd(b1));
        }
        while (i < length) {
            __m256 b0 = _mm256_setzero_ps();
            for (const ptrdiff_t end = skp_small_block_end(i, length); i < end; i++) {
                const __m256 a0 = SKP_SMALL_ROW_ABS8(i);
                m0 = _mm256_max_ps(a0, m0);
                b0 = _mm256_add_ps(b0, a0);
            }
            s0 = _mm256_add_pd(s0, skp_low_pd(b0));
            s1 = _mm256_add_pd(s1, skp_high_pd(b0));
        }
#undef SKP_SMALL_ROW_ABS8
        _mm256_storeu_pd(lanes[0], s0);
        _mm256_storeu_pd(lanes[0] + 4, s1);
        _mm256_storeu_pd(lanes[1], skp_low_pd(m0));
        _mm256_storeu_pd(lanes[1] + 4, skp_high_pd(m0));
        for (q = 0; q < n; q++) {
            sums[g + q] = lanes[0][q];
            maxima[g + q] = lanes[1][q];
        }
    }
    for (; !single && g + 16 <= width; g += 16) {
        __m256d s[4], m[4];
        for (q = 0; q < 4; q++) {
            s[q] = _mm256_setzero_pd();
            m[q] = s[q];
        }
        for (i = 0; i < length; i++) {
            const char* row = (const char*) y + i * row_stride + g * item;
            for (q = 0; q < 4; q++) {
                __m256d a = skp_small_abs4(row + 4 * q * item, single);
                s[q] = _mm256_add_pd(s[q], a);
                m[q] = _mm256_max_pd(a, m[q]);
            }
        }
        for (q = 0; q < 4; q++) {
            _mm256_storeu_pd(sums + g + 4 * q, s[q]);
            _mm256_storeu_pd(maxima + g + 4 * q, m[q]);
        }
    }
    skp_small_norms_plain(y, length, width, row_stride, g, sums, maxima, single);
}

/* A group's count, least entry above and largest at or below from four lanes
 * of each (whole numbers, minima, maxima: any order gives the same). */
SKP_SMALL_AVX2 SKP_INLINE void skp_small_reduce4(__m256d count, __m256d above_min,
                                                 __m256d below_max, double* c, double* hi,
                                                 double* lo) {
    double lanes[3][4];
    int k;
    _mm256_storeu_pd(lanes[0], count);
    _mm256_storeu_pd(lanes[1], above_min);
    _mm256_storeu_pd(lanes[2], below_max);
    *c = (lanes[0][0] + lanes[0][1]) + (lanes[0][2] + lanes[0][3]);
    *hi = INFINITY;
    *lo = -INFINITY;
    for (k = 0; k < 4; k++) {
        *hi = lanes[1][k] < *hi ? lanes[1][k] : *hi;
        *lo = lanes[2][k] > *lo ? lanes[2][k] : *lo;
    }
}

/* The groups layout, one whole float64 group at level ``u``, in
 * skp_small_group_plain's order: bulk entries i + 4k .. i + 4k + 3 to
 * partial[k / 2][4 (k % 2) ..], the entries after the bulk to partial[0], a
 * vector of 4 at a time (the lanes past the end -inf: never above u, never
 * a bound), then skp_small_total's sums a lane each: the same bits.  One
 * count and one pair of bounds for the whole group (their order does not
 * matter): eight sets of skp_acc256 would take 32 registers, 16 exist. */
SKP_SMALL_AVX2 SKP_INLINE void skp_small_group256_f64(const double* group, ptrdiff_t length,
                                                      double u, double* count, double* sum,
                                                      double* above_min, double* below_max) {
    const __m256d magnitude = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
    const __m256d level = _mm256_set1_pd(u), one = _mm256_set1_pd(1.0);
    const __m256i lane = _mm256_setr_epi64x(0, 1, 2, 3);
    const ptrdiff_t bulk = length - length % 32;
    __m256d partial[8], counted = _mm256_setzero_pd(), v, w;
    __m256d least = _mm256_set1_pd(INFINITY), largest = _mm256_set1_pd(-INFINITY);
    __m128d x;
    ptrdiff_t i, k;
#define SKP_GROUP_TAKE4(a, k)                                                           \
    do {                                                                                \
        const __m256d k_ = _mm256_cmp_pd((a), level, _CMP_GT_OQ);                        \
        counted = _mm256_add_pd(counted, _mm256_and_pd(k_, one));                        \
        least = _mm256_min_pd(least, _mm256_blendv_pd(least, (a), k_));                  \
        largest = _mm256_max_pd(largest, _mm256_blendv_pd((a), largest, k_));            \
        partial[k] = _mm256_add_pd(partial[k], _mm256_and_pd(k_, (a)));                  \
    } while (0)
    for (k = 0; k < 8; k++)
        partial[k] = _mm256_setzero_pd();
    for (i = 0; i < bulk; i += 32)
        for (k = 0; k < 8; k++) {
            const __m256d a = _mm256_and_pd(_mm256_loadu_pd(group + i + 4 * k), magnitude);
            SKP_GROUP_TAKE4(a, k);
        }
    for (k = 0; i < length; i += 4, k ^= 1) {
        const __m256i present = _mm256_cmpgt_epi64(_mm256_set1_epi64x(length - i), lane);
        const __m256d a = _mm256_blendv_pd(
            _mm256_set1_pd(-INFINITY),
            _mm256_and_pd(_mm256_maskload_pd(group + i, present), magnitude),
            _mm256_castsi256_pd(present));
        SKP_GROUP_TAKE4(a, k);
    }
#undef SKP_GROUP_TAKE4
    skp_small_reduce4(counted, least, largest, count, above_min, below_max);
    /* skp_small_total (partial[q][j], j < 4, is partial[2 q]; j >= 4, partial[2 q + 1]) */
    v = _mm256_add_pd(_mm256_add_pd(partial[0], partial[2]),
                      _mm256_add_pd(partial[4], partial[6]));
    w = _mm256_add_pd(v, _mm256_add_pd(_mm256_add_pd(partial[1], partial[3]),
                                       _mm256_add_pd(partial[5], partial[7])));
    x = _mm_add_pd(_mm256_castpd256_pd128(w), _mm256_extractf128_pd(w, 1));
    *sum = _mm_cvtsd_f64(x) + _mm_cvtsd_f64(_mm_unpackhi_pd(x, x));
}

/* skp_small_group_plain on a float32 group, the same bits: the tests,
 * counts and bounds in float32, 8 entries a vector (at the largest float32
 * <= u, as skp_small_strip256_f32), the bulk's sums by the header's blocks
 * (entries i + 8q .. i + 8q + 7 to block[q], each block's added to
 * partial[q] in double, its halves converted apart) or without ``blocks`` in
 * double, the entries after the bulk 8 at a time in double. */
SKP_SMALL_AVX2 SKP_INLINE void skp_small_group256_f32(const float* group, ptrdiff_t length,
                                                      double u, double* count, double* sum,
                                                      double* above_min, double* below_max,
                                                      const int blocks) {
    const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    const __m256 level = _mm256_set1_ps(skp_float_below(u));
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const ptrdiff_t bulk = length - length % 32;
    /* (one count and one pair of bounds for the whole group, whose order
     * does not matter, rather than one for each partial: 20 vectors of
     * accumulators do not fit in 16 registers) */
    __m256d low[4], high[4], v, w;
    __m256i uncounted = _mm256_setzero_si256();
    __m256 least = _mm256_set1_ps(INFINITY), largest = _mm256_set1_ps(-INFINITY);
    __m128d x;
    ptrdiff_t i, q;
    for (q = 0; q < 4; q++) {
        low[q] = _mm256_setzero_pd();
        high[q] = low[q];
    }
    for (i = 0; blocks && i < bulk; ) {
        __m256 block[4];
        for (q = 0; q < 4; q++)
            block[q] = _mm256_setzero_ps();
        for (const ptrdiff_t end = skp_small_group_block_end(i, bulk); i < end; i += 32)
            for (q = 0; q < 4; q++)
                block[q] = _mm256_add_ps(block[q], skp_bound8_f32(
                    _mm256_and_ps(_mm256_loadu_ps(group + i + 8 * q), magnitude), level,
                    &uncounted, &least, &largest));
        for (q = 0; q < 4; q++)
            skp_add8_pd(&low[q], &high[q], block[q]);
    }
    for (; i < bulk; i += 32)
        for (q = 0; q < 4; q++)
            skp_take8_f32(_mm256_and_ps(_mm256_loadu_ps(group + i + 8 * q), magnitude), level,
                          &uncounted, &least, &largest, &low[q], &high[q]);
    for (; i < length; i += 8) {
        const __m256i present = _mm256_cmpgt_epi32(_mm256_set1_epi32((int) (length - i)), lane);
        const __m256 a = _mm256_blendv_ps(
            _mm256_set1_ps(-INFINITY),
            _mm256_and_ps(_mm256_maskload_ps(group + i, present), magnitude),
            _mm256_castsi256_ps(present));
        skp_take8_f32(a, level, &uncounted, &least, &largest, &low[0], &high[0]);
    }
    skp_small_reduce4(
        _mm256_add_pd(skp_counts4(uncounted, 0), skp_counts4(uncounted, 1)),
        _mm256_min_pd(skp_low_pd(least),
                      skp_high_pd(least)),
        _mm256_max_pd(skp_low_pd(largest),
                      skp_high_pd(largest)),
        count, above_min, below_max);
    /* skp_small_total: v[j] over the partials, then ((v0 + v4) + (v2 + v6))
     * + ((v1 + v5) + (v3 + v7)) */
    v = _mm256_add_pd(_mm256_add_pd(low[0], low[1]), _mm256_add_pd(low[2], low[3]));
    w = _mm256_add_pd(v, _mm256_add_pd(_mm256_add_pd(high[0], high[1]),
                                       _mm256_add_pd(high[2], high[3])));
    x = _mm_add_pd(_mm256_castpd256_pd128(w), _mm256_extractf128_pd(w, 1));
    *sum = _mm_cvtsd_f64(x) + _mm_cvtsd_f64(_mm_unpackhi_pd(x, x));
}

/* The pass over the listed groups of the groups layout with AVX2, a group at
 * a time (skp_small_group256_f32/_f64); with ``ahead``, the group that many
 * places further on the list prefetched, as skp_small_groups512 does. */
SKP_SMALL_AVX2 SKP_INLINE void skp_small_groups256(
        const void* y, const ptrdiff_t* list, ptrdiff_t n_list, ptrdiff_t length,
        ptrdiff_t group_stride, const double* level, double* counts, double* sums,
        double* above_min, double* below_max, const int single, ptrdiff_t ahead) {
    const ptrdiff_t bytes = length * (single ? 4 : 8);
    ptrdiff_t t, g, i;
    for (t = 0; t < n_list; t++) {
        const char* group;
        g = list[t];
        group = (const char*) y + g * group_stride;
        if (ahead && t + ahead < n_list) {
            /* (see _GROUPS_AHEAD_BYTES in _l1inf_strips.pyx) */
            const char* next = (const char*) y + list[t + ahead] * group_stride;
            for (i = 0; i < bytes; i += 64) _mm_prefetch(next + i, _MM_HINT_T0);
        }
        if (single)
            skp_small_group256_f32((const float*) group, length, level[g], counts + g,
                                   sums + g, above_min + g, below_max + g,
                                   single == SKP_SMALL_BLOCKS);
        else
            skp_small_group256_f64((const double*) group, length, level[g], counts + g,
                                   sums + g, above_min + g, below_max + g);
    }
}

SKP_SMALL_AVX2 SKP_INLINE void skp_small_group_norms256(const void* y, ptrdiff_t n_groups,
                                                      ptrdiff_t length, ptrdiff_t group_stride,
                                                      double* sums, double* maxima,
                                                      const int single) {
    const ptrdiff_t item = single ? 4 : 8, bulk = length - length % 32;
    ptrdiff_t g, i, k;
    double partial[4][8], lanes[4], m, a;
    for (g = 0; g < n_groups; g++) {
        const char* group = (const char*) y + g * group_stride;
        __m256d s[8], top = _mm256_setzero_pd();
        for (k = 0; k < 8; k++)
            s[k] = _mm256_setzero_pd();
        i = 0;
        if (single == SKP_SMALL_BLOCKS) {
            /* (float32 by the pass's blocks: skp_small_group256_f32 at level 0) */
            const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
            __m256 top8 = _mm256_setzero_ps();
            while (i < bulk) {
                __m256 block[4];
                for (k = 0; k < 4; k++)
                    block[k] = _mm256_setzero_ps();
                for (const ptrdiff_t end = skp_small_group_block_end(i, bulk); i < end; i += 32)
                    for (k = 0; k < 4; k++) {
                        const __m256 v = _mm256_and_ps(
                            _mm256_loadu_ps((const float*) group + i + 8 * k), magnitude);
                        block[k] = _mm256_add_ps(block[k], v);
                        top8 = _mm256_max_ps(v, top8);
                    }
                for (k = 0; k < 4; k++)
                    skp_add8_pd(&s[2 * k], &s[2 * k + 1], block[k]);
            }
            top = _mm256_max_pd(skp_low_pd(top8),
                                skp_high_pd(top8));
        }
        for (; i < bulk; i += 32)
            for (k = 0; k < 8; k++) {
                __m256d v = skp_small_abs4(group + (i + 4 * k) * item, single);
                s[k] = _mm256_add_pd(s[k], v);
                top = _mm256_max_pd(v, top);
            }
        for (k = 0; k < 8; k++)
            _mm256_storeu_pd(&partial[k / 2][4 * (k % 2)], s[k]);
        _mm256_storeu_pd(lanes, top);
        m = 0.0;
        for (k = 0; k < 4; k++)
            m = lanes[k] > m ? lanes[k] : m;
        for (; i < length; i++) {
            a = skp_small_magnitude(group, i, single);
            partial[0][(i - bulk) % 8] += a;
            m = a > m ? a : m;
        }
        sums[g] = skp_small_total(partial);
        maxima[g] = m;
    }
}

/* ------------------------------------------------ AVX2: the passes' bookkeeping
 * (skp_small_dense_update, skp_small_update, skp_small_inverses8,
 * skp_small_moved below): the
 * plain loops' operations a lane each, in their order, so the same bits. */

SKP_SMALL_AVX2 static int skp_small_dense_update256(const double* counts, const double* sums,
                                                    const double* inv_count, ptrdiff_t n,
                                                    double eta, double* level,
                                                    double* theta) {
    const ptrdiff_t n4 = n - n % 4;
    const __m256d zero = _mm256_setzero_pd();
    __m256d s = zero, d = zero, empty = zero, fall = zero, t;
    double sl[4], dl[4], total, weight, theta_new;
    ptrdiff_t g;
    for (g = 0; g < n4; g += 4) {
        const __m256d inv = _mm256_loadu_pd(inv_count + g);
        empty = _mm256_or_pd(empty, _mm256_cmp_pd(_mm256_loadu_pd(counts + g), zero,
                                                  _CMP_NGT_UQ));
        s = _mm256_add_pd(s, _mm256_mul_pd(_mm256_loadu_pd(sums + g), inv));
        d = _mm256_add_pd(d, inv);
    }
    if (_mm256_movemask_pd(empty)) return 0;
    _mm256_storeu_pd(sl, s);
    _mm256_storeu_pd(dl, d);
    for (g = n4; g < n; g++) {
        if (!(counts[g] > 0.0)) return 0;
        sl[0] += sums[g] * inv_count[g];
        dl[0] += inv_count[g];
    }
    total = (sl[0] + sl[1]) + (sl[2] + sl[3]);
    weight = (dl[0] + dl[1]) + (dl[2] + dl[3]);
    theta_new = (total - eta) / weight;
    t = _mm256_set1_pd(theta_new);
    for (g = 0; g < n4; g += 4) {
        const __m256d sum = _mm256_loadu_pd(sums + g);
        fall = _mm256_or_pd(fall, _mm256_cmp_pd(sum, t, _CMP_NGT_UQ));
        _mm256_storeu_pd(level + g, _mm256_mul_pd(_mm256_sub_pd(sum, t),
                                                  _mm256_loadu_pd(inv_count + g)));
    }
    if (_mm256_movemask_pd(fall)) return 0;
    for (g = n4; g < n; g++) {
        if (!(sums[g] > theta_new)) return 0;
        level[g] = (sums[g] - theta_new) * inv_count[g];
    }
    *theta = theta_new;
    return 1;
}

/* skp_small_update's sums over the model (flags[g] != 0) of groups 0 to n4 - 1
 * (a multiple of 4): chains a lane each, the groups out adding +0.0. */
SKP_SMALL_AVX2 static void skp_small_model_sums256(const double* sums, const double* inv_count,
                                                   const double* flags, ptrdiff_t n4,
                                                   double chains[4], double weights[4]) {
    const __m256d zero = _mm256_setzero_pd();
    __m256d s = zero, d = zero;
    ptrdiff_t g;
    for (g = 0; g < n4; g += 4) {
        const __m256d in = _mm256_cmp_pd(_mm256_loadu_pd(flags + g), zero, _CMP_NEQ_UQ);
        const __m256d inv = _mm256_loadu_pd(inv_count + g);
        s = _mm256_add_pd(s, _mm256_and_pd(in, _mm256_mul_pd(_mm256_loadu_pd(sums + g), inv)));
        d = _mm256_add_pd(d, _mm256_and_pd(in, inv));
    }
    _mm256_storeu_pd(chains, s);
    _mm256_storeu_pd(weights, d);
}

/* The model's first flags of groups 0 to n4 - 1, 1 where c_g > 0, and their number. */
SKP_SMALL_AVX2 static ptrdiff_t skp_small_model_flags256(const double* counts, double* flags,
                                                         ptrdiff_t n4) {
    const __m256d zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0);
    ptrdiff_t g, n_in = 0;
    for (g = 0; g < n4; g += 4) {
        const __m256d in = _mm256_cmp_pd(_mm256_loadu_pd(counts + g), zero, _CMP_GT_OQ);
        _mm256_storeu_pd(flags + g, _mm256_and_pd(in, one));
        n_in += __builtin_popcount((unsigned) _mm256_movemask_pd(in));
    }
    return n_in;
}

/* The groups of the model among 0 to n4 - 1 that stay (s_g > theta): their
 * flags kept, the others' set to 0; how many stay. */
SKP_SMALL_AVX2 static ptrdiff_t skp_small_model_keep256(const double* sums, double* flags,
                                                        ptrdiff_t n4, double theta) {
    const __m256d zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0);
    const __m256d at = _mm256_set1_pd(theta);
    ptrdiff_t g, still = 0;
    for (g = 0; g < n4; g += 4) {
        const __m256d stays = _mm256_and_pd(
            _mm256_cmp_pd(_mm256_loadu_pd(flags + g), zero, _CMP_NEQ_UQ),
            _mm256_cmp_pd(_mm256_loadu_pd(sums + g), at, _CMP_GT_OQ));
        _mm256_storeu_pd(flags + g, _mm256_and_pd(stays, one));
        still += __builtin_popcount((unsigned) _mm256_movemask_pd(stays));
    }
    return still;
}

/* The model's levels of groups 0 to n4 - 1, (s_g - theta) / c_g, 0 out of it. */
SKP_SMALL_AVX2 static void skp_small_model_levels256(const double* sums,
                                                     const double* inv_count, double* flags,
                                                     ptrdiff_t n4, double theta) {
    const __m256d zero = _mm256_setzero_pd(), at = _mm256_set1_pd(theta);
    ptrdiff_t g;
    for (g = 0; g < n4; g += 4) {
        const __m256d in = _mm256_cmp_pd(_mm256_loadu_pd(flags + g), zero, _CMP_NEQ_UQ);
        _mm256_storeu_pd(flags + g, _mm256_and_pd(in, _mm256_mul_pd(
            _mm256_sub_pd(_mm256_loadu_pd(sums + g), at), _mm256_loadu_pd(inv_count + g))));
    }
}

SKP_SMALL_AVX2 static void skp_small_inverses8_256(const double* counts, ptrdiff_t g,
                                                   double* inv_count) {
    const __m256d one = _mm256_set1_pd(1.0);
    int k;
    for (k = 0; k < 8; k += 4) {
        const __m256d count = _mm256_loadu_pd(counts + g + k);
        /* (1 / c, correctly rounded: the bits of the scalar division; 1 for 0) */
        _mm256_storeu_pd(inv_count + g + k, _mm256_div_pd(
            one, _mm256_blendv_pd(count, one, _mm256_cmp_pd(count, _mm256_setzero_pd(),
                                                            _CMP_NGT_UQ))));
    }
}

/* Whether each of the 4 groups at g moves at its level, as a 4-bit mask. */
SKP_SMALL_AVX2 SKP_INLINE int skp_small_moves4(const double* level, const double* above_min,
                                              const double* below_max, ptrdiff_t g) {
    const __m256d at = _mm256_loadu_pd(level + g);
    return _mm256_movemask_pd(_mm256_or_pd(
        _mm256_cmp_pd(_mm256_loadu_pd(below_max + g), at, _CMP_GT_OQ),
        _mm256_cmp_pd(at, _mm256_loadu_pd(above_min + g), _CMP_GE_OQ)));
}

/* skp_small_moved's lists up to the last whole vector (width 1) or strip
 * (width 8); the caller lists the rest.  Returns the groups looked at. */
SKP_SMALL_AVX2 static ptrdiff_t skp_small_moved256(ptrdiff_t n_groups, ptrdiff_t width,
                                                   const double* level,
                                                   const double* above_min,
                                                   const double* below_max,
                                                   ptrdiff_t* listed, ptrdiff_t* n_listed) {
    ptrdiff_t g, n = *n_listed;
    int mask, k;
    if (width == 1) {
        for (g = 0; g + 4 <= n_groups; g += 4) {
            mask = skp_small_moves4(level, above_min, below_max, g);
            for (k = 0; k < 4; k++) {
                listed[n] = g + k;
                n += (mask >> k) & 1;
            }
        }
    } else {
        for (g = 0; g + 8 <= n_groups; g += 8) {
            listed[n] = g;
            n += (skp_small_moves4(level, above_min, below_max, g)
                  | skp_small_moves4(level, above_min, below_max, g + 4)) != 0;
        }
    }
    *n_listed = n;
    return g;
}

/* skp_small_transpose_norms_f32 with AVX2 on the whole sets of eight groups
 * (returns their number of groups): 8 x 8 blocks transposed in registers,
 * each group a lane of its sums and maxima, in skp_small_norms256's order.
 * With ``prefetch`` (the CPU has AVX-512F, so PREFETCHW), the next block's
 * rows of ``t`` are brought into L1 for writing as a block is written: each
 * row of ``t`` is n_groups floats long, and its stores, 32 bytes a row down
 * the rows, waited on a read for ownership (issue 14, an Intel Xeon,
 * project_l1inf_ball at half the norm, single calls interleaved in one
 * process, times a copy, without / with: 1000 x 100 float32 row groups
 * 9.98-10.41 / 9.16-9.40 in one run, 6.99-8.02 / 6.17-7.17 in another,
 * 1000 x 64 8.49-9.93 / 7.63-9.01).
 * (Measured and left out, on 1000 x 100 float32 row groups, where this
 * takes 20-22 us and the copy 8: the blocks of four sets of groups
 * alternated, against the latency of each set's chain of additions, 21 us
 * with the accumulators on the stack and 24-26 unrolled into registers.) */
SKP_SMALL_AVX2 static ptrdiff_t skp_small_transpose_norms256_f32(
        const float* y, ptrdiff_t n_groups, ptrdiff_t length, ptrdiff_t group_stride, float* t,
        ptrdiff_t t_stride, double* sums, double* maxima, int prefetch) {
    const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    ptrdiff_t g, i, k;
    int r;
    for (g = 0; g + 8 <= n_groups; g += 8) {
        const float* first = (const float*) ((const char*) y + g * group_stride);
        __m256d low = _mm256_setzero_pd(), high = low;
        __m256 largest = _mm256_setzero_ps(), block = largest;
        for (i = 0; i < length; i += 8) {
            const ptrdiff_t n = length - i < 8 ? length - i : 8;
            __m256 c[8];
            if (n == 8)
                skp_load_transposed8(first + i, group_stride, c);
            for (k = 0; n < 8 && k < n; k++) {
                float column[8];
                for (r = 0; r < 8; r++)
                    column[r] = ((const float*) ((const char*) first + r * group_stride))[i + k];
                c[k] = _mm256_loadu_ps(column);
            }
            /* (the next block's rows, a line each: g's 32 bytes of them) */
            for (k = 0; prefetch && i + 16 <= length && k < 8; k++)
                skp_prefetchw((const char*) (t + (i + 8 + k) * t_stride + g));
            for (k = 0; k < n; k++) {
                const __m256 a = _mm256_and_ps(c[k], magnitude);
                _mm256_storeu_ps(t + (i + k) * t_stride + g, c[k]);
                largest = _mm256_max_ps(a, largest);
                block = _mm256_add_ps(block, a);
            }
            /* (blocks of SKP_SMALL_BLOCK entries, a multiple of 8) */
            if (i + 8 >= length || (i + 8) % SKP_SMALL_BLOCK == 0) {
                skp_add8_pd(&low, &high, block);
                block = _mm256_setzero_ps();
            }
        }
        _mm256_storeu_pd(sums + g, low);
        _mm256_storeu_pd(sums + g + 4, high);
        skp_store8_f32(maxima + g, largest);
    }
    return g;
}

/* The same with AVX-512F on the whole sets of sixteen groups (returns their
 * number of groups): 16 x 16 blocks transposed in registers
 * (skp_transpose16; a group's last entries by masked loads), each group a
 * lane of its sums and maxima, each lane's operations and blocks of
 * SKP_SMALL_BLOCK entries those of the AVX2 loop, so the same bits; the
 * rows of ``t`` prefetched as there.  Half the vector operations an entry,
 * where the rows of ``t`` start on a line (small_lanes_copy in
 * _l1inf_strips.pyx; not, each store split in two: 1.02-1.08 times the
 * AVX2 loop's call).  Issue 14, an AMD Zen 5, the exact ball by rows at
 * 10, 50, 90 % of the norm, single calls interleaved on the same arrays,
 * this / the AVX2 loop: float32 300 x 150 and 500 x 190 0.90-0.92 of the
 * time, 1000 x 100 and 1003 x 77 0.92-0.94, 4000 x 64 0.96-0.98, 2000 x 20
 * and 1000 x 40 0.96-0.98, digits' 1797 x 64 0.99, 20000 x 32 0.99. */
SKP_SMALL_AVX512 static ptrdiff_t skp_small_transpose_norms512_f32(
        const float* y, ptrdiff_t n_groups, ptrdiff_t length, ptrdiff_t group_stride, float* t,
        ptrdiff_t t_stride, double* sums, double* maxima, int prefetch) {
    ptrdiff_t g, i, k;
    int r;
    for (g = 0; g + 16 <= n_groups; g += 16) {
        const float* first = (const float*) ((const char*) y + g * group_stride);
        __m512d low = _mm512_setzero_pd(), high = low;
        __m512 largest = _mm512_setzero_ps(), block = largest;
        for (i = 0; i < length; i += 16) {
            const ptrdiff_t n = length - i < 16 ? length - i : 16;
            const __mmask16 entries = (__mmask16) ((1u << n) - 1);
            __m512 c[16];
            for (r = 0; r < 16; r++)
                c[r] = _mm512_maskz_loadu_ps(
                    entries, (const float*) ((const char*) first + r * group_stride) + i);
            skp_transpose16(c);
            /* (the next block's rows, a line each: g's 64 bytes of them) */
            for (k = 0; prefetch && i + 32 <= length && k < 16; k++)
                skp_prefetchw((const char*) (t + (i + 16 + k) * t_stride + g));
            for (k = 0; k < n; k++) {
                const __m512 a = _mm512_abs_ps(c[k]);
                _mm512_storeu_ps(t + (i + k) * t_stride + g, c[k]);
                largest = _mm512_max_ps(a, largest);
                block = _mm512_add_ps(block, a);
            }
            /* (blocks of SKP_SMALL_BLOCK entries, 16) */
            low = _mm512_add_pd(low, skp_low8_pd(block));
            high = _mm512_add_pd(high, skp_high8_pd(block));
            block = _mm512_setzero_ps();
        }
        _mm512_storeu_pd(sums + g, low);
        _mm512_storeu_pd(sums + g + 8, high);
        _mm512_storeu_pd(maxima + g, skp_low8_pd(largest));
        _mm512_storeu_pd(maxima + g + 8, skp_high8_pd(largest));
    }
    return g;
}

#else
#define SKP_SMALL_HAVE_SIMD 0
#endif  /* x86 */

/* Step 1 of the groups layout's ``n_groups`` float32 groups of ``length``
 * entries (``group_stride`` bytes apart) as they are copied into the lanes
 * layout ``t`` (entry i of group g at t[i * t_stride + g], rows of n_groups
 * floats t_stride apart): the sums and maxima of skp_small_norms_f32 on
 * ``t`` (the same bits), from one read.  The in-cache path takes short
 * groups so (see small_lanes_copy in _l1inf_strips.pyx). */
static inline void skp_small_transpose_norms_f32(const float* y, ptrdiff_t n_groups,
                                                 ptrdiff_t length, ptrdiff_t group_stride,
                                                 float* t, ptrdiff_t t_stride, double* sums,
                                                 double* maxima, int simd) {
    ptrdiff_t g = 0, i, k;
#if SKP_SMALL_HAVE_SIMD
    if (simd >= 2)   /* (then its last sets of eight groups, by AVX2) */
        g = skp_small_transpose_norms512_f32(y, n_groups, length, group_stride, t, t_stride,
                                             sums, maxima, skp_small_ahead_of_copy());
    if (simd >= 1)
        g += skp_small_transpose_norms256_f32(
            (const float*) ((const char*) y + g * group_stride), n_groups - g, length,
            group_stride, t + g, t_stride, sums + g, maxima + g,
            simd >= 2 && skp_small_ahead_of_copy());
#else
    (void) simd;
#endif
    for (i = 0; i < length; i++)
        for (k = g; k < n_groups; k++)
            t[i * t_stride + k] = ((const float*) ((const char*) y + k * group_stride))[i];
    skp_small_norms_plain(t, length, n_groups, t_stride * (ptrdiff_t) sizeof(float), g, sums,
                          maxima, 1);
}

#if SKP_SMALL_HAVE_SIMD
/* The strips of a run of the AVX2 passes along the rows: n, at most
 * SKP_SMALL_ROW_STRIPS256. */
static inline ptrdiff_t skp_small_row_strips256(ptrdiff_t n) {
    return n < SKP_SMALL_ROW_STRIPS256 ? n : SKP_SMALL_ROW_STRIPS256;
}
#endif

/* The pass over the listed strips of the lanes layout (float32: as
 * skp_small_lanes_f32 with ``blocks``) along the rows, a block of rows at a
 * time: AVX-512 float32's skp_small_row_blocks512_f32, AVX2's
 * skp_small_row_blocks256_f32 and _f64 (a short last strip down its rows),
 * with ``state`` of skp_small_row_state_bytes(n_strips) bytes; 0 (nothing
 * done) without them: plain C, and float64 with AVX-512, whose strips stay
 * with the rows ahead prefetched (an Intel Xeon took 0.96-1.07 of their
 * time along the rows). */
static inline ptrdiff_t skp_small_row_state_bytes(ptrdiff_t n_strips) {
#if SKP_SMALL_HAVE_SIMD
    const ptrdiff_t pairs = (n_strips + 1) / 2 * SKP_SMALL_ROW_STATE;
    const ptrdiff_t strips = skp_small_row_strips256(n_strips) * (ptrdiff_t) (
        sizeof(skp_row_strip256_f64) > sizeof(skp_row_strip256_f32)
        ? sizeof(skp_row_strip256_f64) : sizeof(skp_row_strip256_f32));
    return (pairs > strips ? pairs : strips) + 64;
#else
    (void) n_strips;
    return 64;
#endif
}

/* The listed strips less a short last one, which is read down its rows
 * (the listed strips increase: only the last may be short). */
static inline ptrdiff_t skp_small_whole_strips(const void* y, ptrdiff_t length,
                                               ptrdiff_t width, ptrdiff_t row_stride,
                                               const ptrdiff_t* strips, ptrdiff_t n_strips,
                                               const double* level, double* counts,
                                               double* sums, double* above_min,
                                               double* below_max, const int single) {
    if (n_strips > 0 && strips[n_strips - 1] + SKP_SMALL_STRIP > width) {
        n_strips--;
        skp_small_strip_plain(y, length, row_stride, strips[n_strips],
                              width - strips[n_strips], level, counts, sums, above_min,
                              below_max, single);
    }
    return n_strips;
}

/* The entries skp_small_row_blocks_f32 (``single``) and _f64 (SKP_SMALL_ENTRY). */
static inline int skp_small_row_blocks(const void* y, ptrdiff_t length, ptrdiff_t width,
                                       ptrdiff_t row_stride, const ptrdiff_t* strips,
                                       ptrdiff_t n_strips, const double* level, double* counts,
                                       double* sums, double* above_min, double* below_max,
                                       void* state, int simd, const int single) {
#if SKP_SMALL_HAVE_SIMD
    ptrdiff_t n_whole, t;
    if (simd < 1 || (!single && simd != 1))
        return 0;
    n_whole = skp_small_whole_strips(y, length, width, row_stride, strips, n_strips, level,
                                     counts, sums, above_min, below_max,
                                     single ? SKP_SMALL_BLOCKS : 0);
    if (single && simd >= 2) {
        if (n_whole > 0)
            skp_small_row_blocks512_f32((const float*) y, length, row_stride, strips, n_whole,
                                        level, counts, sums, above_min, below_max, state);
        return 1;
    }
    for (t = 0; t < n_whole; t += SKP_SMALL_ROW_STRIPS256) {
        const ptrdiff_t n = skp_small_row_strips256(n_whole - t);
        if (single)
            skp_small_row_blocks256_f32((const float*) y, length, row_stride, strips + t, n,
                                        level, counts, sums, above_min, below_max, state);
        else
            skp_small_row_blocks256_f64((const double*) y, length, row_stride, strips + t, n,
                                        level, counts, sums, above_min, below_max, state);
    }
    return 1;
#else
    (void) y; (void) length; (void) width; (void) row_stride; (void) strips;
    (void) n_strips; (void) level; (void) counts; (void) sums; (void) above_min;
    (void) below_max; (void) state; (void) simd; (void) single;
    return 0;
#endif
}

/* ------------------------------------------------------------ entry points */

#define SKP_SMALL_ENTRY(T, SUFFIX, SINGLE)                                                  \
SKP_SMALL_TARGETS(T, SUFFIX, SINGLE)                                                        \
/* Step 1 for the groups layout at the SIMD level ``simd`` (``blocks``: see   */           \
/* skp_small_group_norms_*).                                                   */           \
static inline void skp_small_group_norms_at_##SUFFIX(const T* y, ptrdiff_t n_groups,        \
        ptrdiff_t length, ptrdiff_t group_stride, double* sums, double* maxima, int blocks, \
        int simd) {                                                                         \
    ptrdiff_t g;                                                                            \
    SKP_SMALL_CALL(simd, group_norms, SUFFIX, (y, n_groups, length, group_stride, sums,     \
                                               maxima, blocks))                             \
    for (g = 0; g < n_groups; g++)                                                          \
        skp_small_group_norm_plain((const char*) y + g * group_stride, length, &sums[g],    \
                                   &maxima[g], blocks ? SKP_SMALL_BLOCKS : SINGLE);         \
}                                                                                           \
/* The pass over the listed strips of groups of the lanes layout: ``length``     */         \
/* rows ``row_stride`` bytes apart, of ``width`` groups.                         */         \
/* ``blocks``: float32's sums by blocks of rows (see the header).           */         \
/* ``ahead``: the AVX-512 loops (``simd`` 2) prefetch each row's strips that  */           \
/* many rows ahead (0: none); the other loops do not.                         */           \
static inline void skp_small_lanes_##SUFFIX(const T* y, ptrdiff_t length, ptrdiff_t width,  \
        ptrdiff_t row_stride, const ptrdiff_t* strips, ptrdiff_t n_strips,                  \
        const double* level, double* counts, double* sums, double* above_min,               \
        double* below_max, int blocks, int simd, ptrdiff_t ahead) {                         \
    ptrdiff_t t;                                                                            \
    SKP_SMALL_CALL(simd, lanes, SUFFIX, (y, length, width, row_stride, strips, n_strips,    \
                                         level, counts, sums, above_min, below_max,         \
                                         blocks, ahead))                                    \
    for (t = 0; t < n_strips; t++)                                                          \
        skp_small_strip_plain(y, length, row_stride, strips[t],                             \
                              width - strips[t] < 8 ? width - strips[t] : 8, level,         \
                              counts, sums, above_min, below_max,                           \
                              blocks ? SKP_SMALL_BLOCKS * SINGLE : SINGLE);                 \
}                                                                                           \
/* The pass along the rows (skp_small_row_blocks; float32 with its sums by     */         \
/* blocks).                                                                     */         \
static inline int skp_small_row_blocks_##SUFFIX(const T* y, ptrdiff_t length,               \
        ptrdiff_t width, ptrdiff_t row_stride, const ptrdiff_t* strips, ptrdiff_t n_strips, \
        const double* level, double* counts, double* sums, double* above_min,               \
        double* below_max, void* state, int simd) {                                         \
    return skp_small_row_blocks(y, length, width, row_stride, strips, n_strips, level,      \
                                counts, sums, above_min, below_max, state, simd, SINGLE);   \
}                                                                                           \
/* Step 1 for the lanes layout: the groups' l1 norms and maxima.                 */         \
static inline void skp_small_norms_##SUFFIX(const T* y, ptrdiff_t length, ptrdiff_t width,  \
        ptrdiff_t row_stride, double* sums, double* maxima, int simd) {                     \
    SKP_SMALL_CALL(simd, norms, SUFFIX, (y, length, width, row_stride, sums, maxima))       \
    skp_small_norms_plain(y, length, width, row_stride, 0, sums, maxima, SINGLE);           \
}                                                                                           \
/* Step 1 for the groups layout; ``blocks``: float32 by the pass's blocks (a  */          \
/* pass at level 0), but a group with a magnitude above SKP_SMALL_BLOCK_MAX in */           \
/* double (whose blocks could overflow: the passes then decline).             */           \
static inline void skp_small_group_norms_##SUFFIX(const T* y, ptrdiff_t n_groups,           \
        ptrdiff_t length, ptrdiff_t group_stride, double* sums, double* maxima, int blocks, \
        int simd) {                                                                         \
    ptrdiff_t g;                                                                            \
    if (length < SKP_SMALL_BULK) {   /* (as skp_small_groups_*) */                         \
        for (g = 0; g < n_groups; g++)                                                      \
            skp_small_short_norm((const char*) y + g * group_stride, length, &sums[g],      \
                                 &maxima[g], SINGLE);                                       \
        return;                                                                             \
    }                                                                                       \
    skp_small_group_norms_at_##SUFFIX(y, n_groups, length, group_stride, sums, maxima,      \
                                      blocks && SINGLE, simd);                              \
    if (blocks && SINGLE)                                                                   \
        for (g = 0; g < n_groups; g++)                                                      \
            if (maxima[g] > SKP_SMALL_BLOCK_MAX)                                            \
                skp_small_group_norm_plain((const char*) y + g * group_stride, length,      \
                                           &sums[g], &maxima[g], SINGLE);                   \
}                                                                                           \
/* The pass over the listed groups of the groups layout (``length`` entries,    */          \
/* groups ``group_stride`` bytes apart; ``blocks``: float32's sums by blocks). */          \
static inline void skp_small_groups_##SUFFIX(const T* y, const ptrdiff_t* list,             \
        ptrdiff_t n_list, ptrdiff_t length, ptrdiff_t group_stride, const double* level,    \
        double* counts, double* sums, double* above_min, double* below_max, int blocks,     \
        int simd, ptrdiff_t ahead) {                                                        \
    ptrdiff_t t, g;                                                                         \
    /* (groups shorter than the vector loops' bulk of 32: the AVX-512 loop's    */          \
    /* setup and reductions for nothing (5000 x 10 float32 row groups took 147  */          \
    /* times a copy); the AVX2 one, whose tail takes a vector at a time, from 8 */          \
    /* float32 or 16 float64 entries on (issue 14, C harness, groups in cache:  */          \
    /* float32 of 8-10 entries 0.60-0.62 of the plain loop's time, 16-31        */          \
    /* 0.31-0.41, 4 1.10; float64 of 16-31 0.47-0.72, 8-10 1.03-1.17))          */          \
    if (length < SKP_SMALL_BULK) {                                                          \
        if (length >= (SINGLE ? 8 : 16)) {                                                  \
            SKP_SMALL_CALL256(simd, groups, SUFFIX, (y, list, n_list, length, group_stride, \
                                                     level, counts, sums, above_min,        \
                                                     below_max, blocks, ahead))             \
        }                                                                                   \
        for (t = 0; t < n_list; t++) {                                                      \
            g = list[t];                                                                    \
            skp_small_short_group((const char*) y + g * group_stride, length, level[g],     \
                                  &counts[g], &sums[g], &above_min[g], &below_max[g],       \
                                  SINGLE);                                                  \
        }                                                                                   \
        return;                                                                             \
    }                                                                                       \
    SKP_SMALL_CALL(simd, groups, SUFFIX, (y, list, n_list, length, group_stride, level,     \
                                          counts, sums, above_min, below_max, blocks,       \
                                          ahead))                                           \
    for (t = 0; t < n_list; t++) {                                                          \
        g = list[t];                                                                        \
        skp_small_group_plain((const char*) y + g * group_stride, length, level[g],         \
                              &counts[g], &sums[g], &above_min[g], &below_max[g],           \
                              blocks && SINGLE ? SKP_SMALL_BLOCKS : SINGLE);                \
    }                                                                                       \
}

#if SKP_SMALL_HAVE_SIMD
/* The lanes layout's pass at one SIMD level (KIND: lanes512, lanes256), with
 * float32's blocks (``blocks``, see the header) as a constant of its loops. */
#define SKP_SMALL_LANES_TARGET(TARGET, KIND, T, SUFFIX, SINGLE)                             \
TARGET static void skp_small_##KIND##_##SUFFIX(const T* y, ptrdiff_t length,                \
        ptrdiff_t width, ptrdiff_t row_stride, const ptrdiff_t* strips, ptrdiff_t n_strips, \
        const double* level, double* counts, double* sums, double* above_min,               \
        double* below_max, int blocks, ptrdiff_t ahead) {                                   \
    if (blocks && SINGLE)                                                                   \
        skp_small_##KIND(y, length, width, row_stride, strips, n_strips, level, counts,     \
                         sums, above_min, below_max, SKP_SMALL_BLOCKS, ahead);              \
    else                                                                                    \
        skp_small_##KIND(y, length, width, row_stride, strips, n_strips, level, counts,     \
                         sums, above_min, below_max, SINGLE, ahead);                        \
}
/* The groups layout's step 1 at one SIMD level (KIND: group_norms512,
 * group_norms256), float32's blocks (``blocks``) a constant of its loops. */
#define SKP_SMALL_GROUP_NORMS_TARGET(TARGET, KIND, T, SUFFIX, SINGLE)                      \
TARGET static void skp_small_##KIND##_##SUFFIX(const T* y, ptrdiff_t n_groups,              \
        ptrdiff_t length, ptrdiff_t group_stride, double* sums, double* maxima, int blocks) { \
    if (blocks && SINGLE)                                                                   \
        skp_small_##KIND(y, n_groups, length, group_stride, sums, maxima, SKP_SMALL_BLOCKS); \
    else                                                                                    \
        skp_small_##KIND(y, n_groups, length, group_stride, sums, maxima, SINGLE);          \
}
#define SKP_SMALL_TARGETS(T, SUFFIX, SINGLE)                                                \
SKP_SMALL_LANES_TARGET(SKP_SMALL_AVX512, lanes512, T, SUFFIX, SINGLE)                      \
SKP_SMALL_AVX512 static void skp_small_groups512_##SUFFIX(const T* y, const ptrdiff_t* list,      \
        ptrdiff_t n_list, ptrdiff_t length, ptrdiff_t group_stride, const double* level,    \
        double* counts, double* sums, double* above_min, double* below_max, int blocks,     \
        ptrdiff_t ahead) {                                                                  \
    /* (a loop for each: in cache, the test of ``ahead`` alone cost 2-9 %) */              \
    if (blocks && SINGLE && ahead)                                                          \
        skp_small_groups512(y, list, n_list, length, group_stride, level, counts, sums,     \
                            above_min, below_max, SKP_SMALL_BLOCKS, ahead);                 \
    else if (blocks && SINGLE)                                                              \
        skp_small_groups512(y, list, n_list, length, group_stride, level, counts, sums,     \
                            above_min, below_max, SKP_SMALL_BLOCKS, 0);                     \
    else if (ahead)                                                                         \
        skp_small_groups512(y, list, n_list, length, group_stride, level, counts, sums,     \
                            above_min, below_max, SINGLE, ahead);                           \
    else                                                                                    \
        skp_small_groups512(y, list, n_list, length, group_stride, level, counts, sums,     \
                            above_min, below_max, SINGLE, 0);                               \
}                                                                                           \
SKP_SMALL_LANES_TARGET(SKP_SMALL_AVX2, lanes256, T, SUFFIX, SINGLE)                        \
SKP_SMALL_AVX512 static void skp_small_norms512_##SUFFIX(const T* y, ptrdiff_t length,            \
        ptrdiff_t width, ptrdiff_t row_stride, double* sums, double* maxima) {              \
    skp_small_norms512(y, length, width, row_stride, sums, maxima, SINGLE);                 \
}                                                                                           \
SKP_SMALL_AVX2 static void skp_small_norms256_##SUFFIX(const T* y, ptrdiff_t length,        \
        ptrdiff_t width, ptrdiff_t row_stride, double* sums, double* maxima) {              \
    skp_small_norms256(y, length, width, row_stride, sums, maxima, SINGLE);                 \
}                                                                                           \
SKP_SMALL_GROUP_NORMS_TARGET(SKP_SMALL_AVX512, group_norms512, T, SUFFIX, SINGLE)         \
SKP_SMALL_GROUP_NORMS_TARGET(SKP_SMALL_AVX2, group_norms256, T, SUFFIX, SINGLE)           \
SKP_SMALL_AVX2 static void skp_small_groups256_##SUFFIX(const T* y, const ptrdiff_t* list,  \
        ptrdiff_t n_list, ptrdiff_t length, ptrdiff_t group_stride, const double* level,    \
        double* counts, double* sums, double* above_min, double* below_max, int blocks,     \
        ptrdiff_t ahead) {                                                                  \
    skp_small_groups256(y, list, n_list, length, group_stride, level, counts, sums,         \
                        above_min, below_max, blocks && SINGLE ? SKP_SMALL_BLOCKS : SINGLE, \
                        ahead);                                                             \
}
#define SKP_SMALL_CALL(simd, KIND, SUFFIX, ARGS)                                            \
    if (simd == 2) { skp_small_##KIND##512_##SUFFIX ARGS; return; }                         \
    if (simd == 1) { skp_small_##KIND##256_##SUFFIX ARGS; return; }
/* The AVX2 loop at either SIMD level (where the AVX-512 one does not suit). */
#define SKP_SMALL_CALL256(simd, KIND, SUFFIX, ARGS)                                         \
    if (simd >= 1) { skp_small_##KIND##256_##SUFFIX ARGS; return; }
#else
#define SKP_SMALL_TARGETS(T, SUFFIX, SINGLE)
#define SKP_SMALL_CALL(simd, KIND, SUFFIX, ARGS) (void) simd;
#define SKP_SMALL_CALL256(simd, KIND, SUFFIX, ARGS) (void) simd;
#endif

/* The AVX-512 write (``skp_small_clip512_*``); 0 (nothing written) elsewhere. */
#define SKP_SMALL_CLIP_ENTRY(T, SUFFIX)                                                     \
static inline int skp_small_clip_##SUFFIX(const T* y, T* x, ptrdiff_t n_lines,              \
        ptrdiff_t line_length, ptrdiff_t y_stride, ptrdiff_t x_stride, const T* levels,     \
        int per_entry, int simd) {                                                          \
    SKP_SMALL_CLIP_CALL(simd, SUFFIX, (y, x, n_lines, line_length, y_stride, x_stride,      \
                                       levels, per_entry))                                  \
    return 0;                                                                               \
}
#if SKP_SMALL_HAVE_SIMD
#define SKP_SMALL_CLIP_CALL(simd, SUFFIX, ARGS)                                             \
    if (simd == 2) { skp_small_clip512_##SUFFIX ARGS; return 1; }
#else
#define SKP_SMALL_CLIP_CALL(simd, SUFFIX, ARGS) (void) simd;
#endif
SKP_SMALL_CLIP_ENTRY(double, f64)
SKP_SMALL_CLIP_ENTRY(float, f32)

/* What the next pass reads: the groups whose set moves at their level,
 * below_max[g] > level[g] or level[g] >= above_min[g] (``width`` 1), or the
 * first group of each strip of 8 with one (``width`` 8, the lanes layout);
 * their number. */
static inline ptrdiff_t skp_small_moved(ptrdiff_t n_groups, ptrdiff_t width,
                                        const double* level, const double* above_min,
                                        const double* below_max, ptrdiff_t* listed,
                                        int simd) {
    ptrdiff_t g0 = 0, g, end, n_listed = 0;
    int moved;
#if SKP_SMALL_HAVE_SIMD
    if (simd == 2)
        return skp_small_moved512(n_groups, width, level, above_min, below_max, listed);
    if (simd == 1 && (width == 1 || width == 8))
        g0 = skp_small_moved256(n_groups, width, level, above_min, below_max, listed,
                                &n_listed);
#endif
    (void) simd;
    for (; g0 < n_groups; g0 = end) {
        end = g0 + width < n_groups ? g0 + width : n_groups;
        moved = 0;
        for (g = g0; g < end; g++)
            moved |= (below_max[g] > level[g]) | (level[g] >= above_min[g]);
        listed[n_listed] = g0;
        n_listed += moved;
    }
    return n_listed;
}

/* The model's update where every group counted entries above its level (the
 * dense regime of ``_small_update`` in _l1inf_strips.pyx): theta of the
 * model over all the groups, sum_g (s_g - theta) / c_g = eta, with
 * inv_count[g] = 1 / c_g, summed in four chains (group g in chain g % 4,
 * those past the last multiple of 4 in chain 0: ``_small_theta``'s order);
 * then, where every s_g > theta, level[g] = (s_g - theta) / c_g and theta.
 * Returns 1 if so, 0 where a group counted nothing or would be zeroed (the
 * general update takes over: ``level`` may be written, ``theta`` is not).
 * A loop of AVX2 (``simd`` >= 1) or plain C: the same bits. */
static inline int skp_small_dense_update(const double* counts, const double* sums,
                                         const double* inv_count, ptrdiff_t n, double eta,
                                         double* level, double* theta, int simd) {
    double sl[4] = {0.0, 0.0, 0.0, 0.0}, dl[4] = {0.0, 0.0, 0.0, 0.0}, t;
    ptrdiff_t g, n4 = n - n % 4;
#if SKP_SMALL_HAVE_SIMD
    if (simd >= 1)
        return skp_small_dense_update256(counts, sums, inv_count, n, eta, level, theta);
#endif
    (void) simd;
    for (g = 0; g < n; g++) {
        if (!(counts[g] > 0.0)) return 0;
        sl[g < n4 ? g % 4 : 0] += sums[g] * inv_count[g];
        dl[g < n4 ? g % 4 : 0] += inv_count[g];
    }
    t = (((sl[0] + sl[1]) + (sl[2] + sl[3])) - eta) / ((dl[0] + dl[1]) + (dl[2] + dl[3]));
    for (g = 0; g < n; g++) {
        if (!(sums[g] > t)) return 0;
        level[g] = (sums[g] - t) * inv_count[g];
    }
    *theta = t;
    return 1;
}

/* The model's theta and levels from one pass (``_small_update`` in
 * _l1inf_strips.pyx).  The groups that counted entries above their level
 * are in the model; theta solves sum over the model of (s_g - theta) / c_g
 * = eta (inv_count[g] = 1 / c_g), summed in four chains (group g in chain
 * g % 4, those past the last multiple of 4 in chain 0; the groups out add
 * +0.0); the groups with s_g <= theta leave it and theta is taken again (it
 * rises), until none leaves.  Then level[g] = (s_g - theta) / c_g in the
 * model, 0 out of it, and kept[:n] lists the model's groups in order;
 * returns n, and theta (unchanged where no group counted anything).
 * ``level`` holds the model's flags meanwhile (1 in, 0 out).  The bulk by
 * AVX2 where ``simd`` >= 1, else plain C: the same bits.  (It was a list
 * of the model's groups, chains by their place in it.)  Where every group
 * counted something and stays, skp_small_dense_update's theta and levels:
 * the same bits, without the flags (the dense regime, the slow one). */
static inline ptrdiff_t skp_small_update(const double* counts, const double* sums,
                                         const double* inv_count, ptrdiff_t n, double eta,
                                         double* level, double* theta, ptrdiff_t* kept,
                                         int simd) {
    const ptrdiff_t n4 = n - n % 4;
    ptrdiff_t g, n_in = 0, still;
    double t = *theta;
    int avx2 = 0;
#if SKP_SMALL_HAVE_SIMD
    avx2 = simd >= 1;
#endif
    (void) simd;
#if SKP_SMALL_HAVE_SIMD
    if (avx2) n_in = skp_small_model_flags256(counts, level, n4);
#endif
    for (g = avx2 ? n4 : 0; g < n; g++) {
        level[g] = counts[g] > 0.0 ? 1.0 : 0.0;
        n_in += counts[g] > 0.0;
    }
    while (n_in > 0) {
        double chains[4] = {0.0, 0.0, 0.0, 0.0}, weights[4] = {0.0, 0.0, 0.0, 0.0};
#if SKP_SMALL_HAVE_SIMD
        if (avx2) skp_small_model_sums256(sums, inv_count, level, n4, chains, weights);
#endif
        for (g = avx2 ? n4 : 0; g < n; g++) {
            const int in = level[g] != 0.0;
            chains[g < n4 ? g % 4 : 0] += in ? sums[g] * inv_count[g] : 0.0;
            weights[g < n4 ? g % 4 : 0] += in ? inv_count[g] : 0.0;
        }
        t = (((chains[0] + chains[1]) + (chains[2] + chains[3])) - eta)
            / ((weights[0] + weights[1]) + (weights[2] + weights[3]));
        still = 0;
#if SKP_SMALL_HAVE_SIMD
        if (avx2) still = skp_small_model_keep256(sums, level, n4, t);
#endif
        for (g = avx2 ? n4 : 0; g < n; g++) {
            const int stays = (level[g] != 0.0) & (sums[g] > t);
            level[g] = stays ? 1.0 : 0.0;
            still += stays;
        }
        if (still == n_in) break;
        n_in = still;
    }
    n_in = 0;
    for (g = 0; g < n; g++) {
        kept[n_in] = g;
        n_in += level[g] != 0.0;
    }
#if SKP_SMALL_HAVE_SIMD
    if (avx2) skp_small_model_levels256(sums, inv_count, level, n4, t);
#endif
    for (g = avx2 ? n4 : 0; g < n; g++)
        level[g] = level[g] != 0.0 ? (sums[g] - t) * inv_count[g] : 0.0;
    *theta = t;
    return n_in;
}

/* inv_count[g] = 1 / c_g (1 where c_g = 0) for the 8 groups of a whole strip
 * at g, by AVX2 where ``simd`` >= 1 (the bits of the division); 0 (nothing
 * done) elsewhere. */
static inline int skp_small_inverses8(const double* counts, ptrdiff_t g, double* inv_count,
                                      int simd) {
#if SKP_SMALL_HAVE_SIMD
    if (simd >= 1) {
        skp_small_inverses8_256(counts, g, inv_count);
        return 1;
    }
#endif
    (void) counts; (void) g; (void) inv_count; (void) simd;
    return 0;
}

/* One Newton step of the levels of groups g0 .. end - 1 at ``theta`` from
 * the pass's sets (``_exact_levels`` in _l1inf_strips.pyx): for each group
 * not done, the new level (sum - theta) / count, 0 and done where that is
 * <= 0 (or nothing is above its level), else done where the new level lies
 * in [below_max, above_min] (the set there is the pass's: exact).  Whether
 * a group settles is as good as random, so branches there mispredict: the
 * loop below is written as selects (gcc still makes some of them branches:
 * a few per cent faster than the Cython loop on 100 x 100000), and a whole
 * strip of 8 with AVX-512 (``simd`` 2) is one vector of masks and 8
 * divisions, without any (the call 0.85-0.95 of its time before).
 * Returns whether a group still moves. */
static inline int skp_small_newton(ptrdiff_t g0, ptrdiff_t end, double theta,
                                   const double* __restrict counts,
                                   const double* __restrict sums,
                                   const double* __restrict above_min,
                                   const double* __restrict below_max,
                                   double* __restrict level, unsigned char* __restrict done,
                                   int simd) {
    ptrdiff_t g;
    int moving = 0;
#if SKP_SMALL_HAVE_SIMD
    if (simd == 2 && end - g0 == 8)
        return skp_small_newton512(g0, theta, counts, sums, above_min, below_max, level, done);
    if (simd == 1 && end - g0 == 8)
        return skp_small_newton256(g0, theta, counts, sums, above_min, below_max, level, done);
#endif
    (void) simd;
    for (g = g0; g < end; g++) {
        const double count = counts[g];
        const double step = (sums[g] - theta) / (count > 0.0 ? count : 1.0);
        const double next = count > 0.0 ? step : 0.0;
        const int zero = !(next > 0.0);
        const int exact = (below_max[g] <= next) & (next <= above_min[g]);
        const int was_done = done[g] != 0;
        level[g] = was_done ? level[g] : (zero ? 0.0 : next);
        done[g] = (unsigned char) (was_done | zero | exact);
        moving |= !(was_done | zero | exact);
    }
    return moving;
}

SKP_SMALL_ENTRY(double, f64, 0)
SKP_SMALL_ENTRY(float, f32, 1)

/* skp_small_transpose_norms_f32 for float64 (``t`` n_groups doubles a row,
 * t_stride apart):
 * each group's entries written down its column of ``t``, a group after the
 * other (the rows of ``t`` it writes, one line each, stay in L1 across the
 * eight groups that fill a line), then skp_small_norms_f64 on ``t``: the
 * same bits as the column groups of the transposed matrix. */
static inline void skp_small_transpose_norms_f64(const double* y, ptrdiff_t n_groups,
                                                 ptrdiff_t length, ptrdiff_t group_stride,
                                                 double* t, ptrdiff_t t_stride, double* sums,
                                                 double* maxima, int simd) {
    ptrdiff_t g, i;
    for (g = 0; g < n_groups; g++) {
        const double* group = (const double*) ((const char*) y + g * group_stride);
        for (i = 0; i < length; i++) t[i * t_stride + g] = group[i];
    }
    skp_small_norms_f64(t, length, n_groups, t_stride * (ptrdiff_t) sizeof(double), sums,
                        maxima, simd);
}

#endif  /* SKPROJ_L1INF_SMALL_H */
