/* AVX2 versions of the slot loops of the l1,inf histograms and of the band
 * gathers (see _l1inf_dense.pyx), and of the l1 norms and maxima of row groups (see
 * _l1inf.pyx).
 *
 * The build may not assume any instruction set beyond the baseline (no
 * -march), where gcc vectorizes the loop two doubles at a time and clamps
 * with compare-and-blend sequences.  Here it is compiled with a per-function
 * target attribute (AVX2 only: no FMA, so that gcc cannot contract the
 * multiply and the add) and chosen at run time (skp_l1inf_have_avx2);
 * elsewhere skp_l1inf_have_avx2() is 0 and the Cython loop runs.  The band
 * gathers also have AVX-512 versions (F and VL: compress instead of
 * permutation tables, 10-15 % faster on row groups, as fast on column
 * panels), chosen at run time too (skp_l1inf_set_avx512); AVX-512F has
 * FMA, so there an empty asm separates the multiply from the add.
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

#include "_cpu.h"

/* Room the gathers' vector stores need in their buffers, past the last value
 * they append (every build declares it: the Cython callers reserve it).  The
 * range gathers of the dense regime's bands and of the candidates
 * (skp_l1inf_range_row_*, skp_l1inf_range_columns_*) store up to sixteen
 * float32 entries a vector; the gathers of histogram slots
 * (skp_l1inf_panel_band_*), eight. */
enum { SKP_RANGE_ROOM = 15, SKP_SLOT_BAND_ROOM = 7 };

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))

#include <immintrin.h>

#include "_pack_simd.h"
#include "_prefetch.h"
#include "_widen_simd.h"

#define SKP_L1INF_AVX2 __attribute__((target("avx2,popcnt")))
/* The band gathers with AVX-512 (F and VL: compress instead of permutation
 * tables).  AVX-512F has FMA: an empty asm between the multiply and the add
 * keeps gcc from contracting them (the slots must match the scalar ones). */
#define SKP_L1INF_AVX512 __attribute__((target("avx512f,avx512vl,avx2,popcnt")))

/* Whether the CPU's maker is AMD (a choice that measured differently there:
 * the rows of the band gather's blocks, _l1inf_dense.pyx). */
static inline int skp_l1inf_cpu_is_amd(void) {
    __builtin_cpu_init();
    return __builtin_cpu_is("amd");
}

/* Whether the CPU has AVX-512F (with skp_cpu_zen5_or_later: a CPU whose
 * band gather reads column panels, _l1inf_dense.pyx). */
static inline int skp_l1inf_cpu_has_avx512(void) {
    __builtin_cpu_init();
    return SKP_CPU_HAS("avx512f");
}

/* Whether the AVX-512 band gathers run (skp_l1inf_set_avx512). */
static int skp_l1inf_avx512 = 0;

/* Turn the AVX-512 band gathers on where the CPU has them (or off); whether they run. */
static inline int skp_l1inf_set_avx512(int on) {
    __builtin_cpu_init();
    skp_l1inf_avx512 = on && SKP_CPU_HAS("avx2") && SKP_CPU_HAS("popcnt")
                       && SKP_CPU_HAS("avx512f")
                       && SKP_CPU_HAS("avx512vl");
    return skp_l1inf_avx512;
}

static inline int skp_l1inf_have_avx2(void) {
    __builtin_cpu_init();
    return SKP_CPU_HAS("avx2") && SKP_CPU_HAS("popcnt");
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

/* The slot position (a - lo) * inv_width + 1 of one magnitude, never an FMA
 * (an empty asm between the multiply and the add: the AVX-512 functions
 * that inline this may contract otherwise). */
static inline double skp_position1(double a, double lo, double inv_width) {
    double position = (a - lo) * inv_width;
    __asm__("" : "+x"(position));
    return position + 1.0;
}

static inline int32_t skp_slot1(double a, double lo, double inv_width, double top) {
    double position = skp_position1(a, lo, inv_width);
    position = position > 0.0 ? position : 0.0;
    position = position < top ? position : top;
    return (int32_t) position;
}

/* |row[j .. j + 3]| in double, from float32 (``single``) or float64 values. */
SKP_L1INF_AVX2 static inline __attribute__((always_inline)) __m256d skp_magnitudes4(
        const void* row, ptrdiff_t j, const int single) {
    __m256d v = single ? _mm256_cvtps_pd(_mm_loadu_ps((const float*) row + j))
                       : _mm256_loadu_pd((const double*) row + j);
    return _mm256_andnot_pd(_mm256_set1_pd(-0.0), v);
}

static inline double skp_magnitude1(const void* row, ptrdiff_t j, const int single) {
    return single ? fabs((double) ((const float*) row)[j]) : fabs(((const double*) row)[j]);
}

/* values[j] = |row[j]|, slots[j] its slot, for j < n (contiguous row). */
SKP_L1INF_AVX2 static inline __attribute__((always_inline)) void skp_slots(
        const void* row, ptrdiff_t n, double lo, double inv_width, double top, double* values,
        int32_t* slots, const int single) {
    const __m256d lo_v = _mm256_set1_pd(lo), width_v = _mm256_set1_pd(inv_width);
    const __m256d top_v = _mm256_set1_pd(top);
    ptrdiff_t j = 0;
    for (; j + 4 <= n; j += 4)
        skp_slots4(skp_magnitudes4(row, j, single), lo_v, width_v, top_v, values + j,
                   slots + j);
    for (; j < n; j++) {
        values[j] = skp_magnitude1(row, j, single);
        slots[j] = skp_slot1(values[j], lo, inv_width, top);
    }
}

/* The same for a panel of column groups (one entry of each, in one row):
 * entry j has its own range, lo[j] and inv_width[j]. */
SKP_L1INF_AVX2 static inline __attribute__((always_inline)) void skp_panel_slots(
        const void* row, ptrdiff_t n, const double* lo, const double* inv_width, double top,
        double* values, int32_t* slots, const int single) {
    const __m256d top_v = _mm256_set1_pd(top);
    ptrdiff_t j = 0;
    for (; j + 4 <= n; j += 4)
        skp_slots4(skp_magnitudes4(row, j, single), _mm256_loadu_pd(lo + j),
                   _mm256_loadu_pd(inv_width + j), top_v, values + j, slots + j);
    for (; j < n; j++) {
        values[j] = skp_magnitude1(row, j, single);
        slots[j] = skp_slot1(values[j], lo[j], inv_width[j], top);
    }
}

SKP_L1INF_AVX2 static void skp_l1inf_panel_slots_f64(const double* row, ptrdiff_t n,
                                                     const double* lo, const double* inv_width,
                                                     double top, double* values,
                                                     int32_t* slots) {
    skp_panel_slots(row, n, lo, inv_width, top, values, slots, 0);
}

SKP_L1INF_AVX2 static void skp_l1inf_panel_slots_f32(const float* row, ptrdiff_t n,
                                                     const double* lo, const double* inv_width,
                                                     double top, double* values,
                                                     int32_t* slots) {
    skp_panel_slots(row, n, lo, inv_width, top, values, slots, 1);
}

SKP_L1INF_AVX2 static void skp_l1inf_slots_f64(const double* row, ptrdiff_t n, double lo,
                                               double inv_width, double top, double* values,
                                               int32_t* slots) {
    skp_slots(row, n, lo, inv_width, top, values, slots, 0);
}

SKP_L1INF_AVX2 static void skp_l1inf_slots_f32(const float* row, ptrdiff_t n, double lo,
                                               double inv_width, double top, double* values,
                                               int32_t* slots) {
    skp_slots(row, n, lo, inv_width, top, values, slots, 1);
}

/* The band gather: append |a| to values[pos...] for the entries whose slot
 * position lies in [first, last) -- the slots first .. last - 1 -- four at a
 * time, compacted by a permutation (left-packing; every store writes a whole
 * vector at the cursor, so ``values`` needs 3 slots of room past the
 * entries it receives).  Returns the new cursor. */
SKP_L1INF_AVX2 static inline ptrdiff_t skp_band4(__m256d a, __m256d lo, __m256d inv_width,
                                                 __m256d first, __m256d last, double* values,
                                                 ptrdiff_t pos) {
    __m256d position = _mm256_add_pd(_mm256_mul_pd(_mm256_sub_pd(a, lo), inv_width),
                                     _mm256_set1_pd(1.0));
    __m256d inside = _mm256_and_pd(_mm256_cmp_pd(position, first, _CMP_GE_OQ),
                                   _mm256_cmp_pd(position, last, _CMP_LT_OQ));
    int mask = _mm256_movemask_pd(inside);
    _mm256_storeu_pd(values + pos, skp_packed4(a, mask));
    return pos + _mm_popcnt_u32((unsigned) mask);
}

static inline ptrdiff_t skp_band1(double a, double lo, double inv_width, double first,
                                  double last, double* values, ptrdiff_t pos) {
    double position = skp_position1(a, lo, inv_width);
    values[pos] = a;
    return pos + ((position >= first) & (position < last));
}

SKP_L1INF_AVX2 static inline __attribute__((always_inline)) ptrdiff_t skp_band(
        const void* row, ptrdiff_t n, double lo, double inv_width, double first, double last,
        double* values, ptrdiff_t pos, const int single) {
    const __m256d lo_v = _mm256_set1_pd(lo), width_v = _mm256_set1_pd(inv_width);
    const __m256d first_v = _mm256_set1_pd(first), last_v = _mm256_set1_pd(last);
    ptrdiff_t j = 0;
    for (; j + 4 <= n; j += 4)
        pos = skp_band4(skp_magnitudes4(row, j, single), lo_v, width_v, first_v, last_v,
                        values, pos);
    for (; j < n; j++)
        pos = skp_band1(skp_magnitude1(row, j, single), lo, inv_width, first, last, values,
                        pos);
    return pos;
}

/* The entries j .. n - 1 of a panel's band gather, one at a time (the
 * vector loops' tails). */
static inline __attribute__((always_inline)) ptrdiff_t skp_panel_band_tail(
        const void* row, ptrdiff_t j, ptrdiff_t n, const double* lo, const double* inv_width,
        const double* first, const double* last, const int32_t* column, double* values,
        int32_t* groups, ptrdiff_t pos, const int single) {
    for (; j < n; j++) {
        double a = skp_magnitude1(row, j, single);
        double position = skp_position1(a, lo[j], inv_width[j]);
        values[pos] = a;
        groups[pos] = column[j];
        pos += (position >= first[j]) & (position < last[j]);
    }
    return pos;
}

/* The band gather of a panel of column groups in one row: append (|row[j]|,
 * column[j]) to (values, groups)[pos...] for the entries whose slot position
 * in their own range (lo[j], inv_width[j]) lies in [first[j], last[j]);
 * both buffers need 3 slots of room past the pairs they receive. */
SKP_L1INF_AVX2 static inline __attribute__((always_inline)) ptrdiff_t skp_panel_band(
        const void* row, ptrdiff_t n, const double* lo, const double* inv_width,
        const double* first, const double* last, const int32_t* column, double* values,
        int32_t* groups, ptrdiff_t pos, const int single) {
    ptrdiff_t j = 0;
    for (; j + 4 <= n; j += 4) {
        __m256d a = skp_magnitudes4(row, j, single);
        __m256d position = _mm256_add_pd(
            _mm256_mul_pd(_mm256_sub_pd(a, _mm256_loadu_pd(lo + j)),
                          _mm256_loadu_pd(inv_width + j)), _mm256_set1_pd(1.0));
        __m256d inside = _mm256_and_pd(
            _mm256_cmp_pd(position, _mm256_loadu_pd(first + j), _CMP_GE_OQ),
            _mm256_cmp_pd(position, _mm256_loadu_pd(last + j), _CMP_LT_OQ));
        int mask = _mm256_movemask_pd(inside);
        __m256i order32 = _mm256_loadu_si256((const __m256i*) skp_pack4_32[mask]);
        __m256i ids = _mm256_castsi128_si256(_mm_loadu_si128((const __m128i*) (column + j)));
        _mm256_storeu_pd(values + pos, skp_packed4(a, mask));
        _mm_storeu_si128((__m128i*) (groups + pos), _mm256_castsi256_si128(
            _mm256_permutevar8x32_epi32(ids, order32)));
        pos += _mm_popcnt_u32((unsigned) mask);
    }
    return skp_panel_band_tail(row, j, n, lo, inv_width, first, last, column, values, groups,
                               pos, single);
}

/* |row[j .. j + 7]| in double (AVX-512F). */
SKP_L1INF_AVX512 static inline __attribute__((always_inline)) __m512d skp_magnitudes8(
        const void* row, ptrdiff_t j, const int single) {
    __m512d v = single ? _mm512_cvtps_pd(_mm256_loadu_ps((const float*) row + j))
                       : _mm512_loadu_pd((const double*) row + j);
    return _mm512_abs_pd(v);
}

/* Which of eight magnitudes have their slot position (a - lo) * inv_width + 1
 * in [first, last): as skp_band4 computes and compares it. */
SKP_L1INF_AVX512 static inline __attribute__((always_inline)) __mmask8 skp_in_band8(
        __m512d a, __m512d lo, __m512d inv_width, __m512d first, __m512d last) {
    __m512d position = _mm512_mul_pd(_mm512_sub_pd(a, lo), inv_width);
    __asm__("" : "+v"(position));    /* no contraction into an FMA */
    position = _mm512_add_pd(position, _mm512_set1_pd(1.0));
    return _mm512_cmp_pd_mask(position, first, _CMP_GE_OQ)
           & _mm512_cmp_pd_mask(position, last, _CMP_LT_OQ);
}

/* skp_panel_band eight entries at a time, compacted by compress (both
 * buffers need SKP_SLOT_BAND_ROOM slots of room past the pairs they receive). */
SKP_L1INF_AVX512 static inline __attribute__((always_inline)) ptrdiff_t skp_panel_band512(
        const void* row, ptrdiff_t n, const double* lo, const double* inv_width,
        const double* first, const double* last, const int32_t* column, double* values,
        int32_t* groups, ptrdiff_t pos, const int single) {
    ptrdiff_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m512d a = skp_magnitudes8(row, j, single);
        __mmask8 inside = skp_in_band8(a, _mm512_loadu_pd(lo + j), _mm512_loadu_pd(inv_width + j),
                                       _mm512_loadu_pd(first + j), _mm512_loadu_pd(last + j));
        _mm512_storeu_pd(values + pos, _mm512_maskz_compress_pd(inside, a));
        _mm256_storeu_si256((__m256i*) (groups + pos), _mm256_maskz_compress_epi32(
            inside, _mm256_loadu_si256((const __m256i*) (column + j))));
        pos += _mm_popcnt_u32((unsigned) inside);
    }
    return skp_panel_band_tail(row, j, n, lo, inv_width, first, last, column, values, groups,
                               pos, single);
}

/* skp_band eight entries at a time (``values`` needs SKP_SLOT_BAND_ROOM slots of room). */
SKP_L1INF_AVX512 static inline __attribute__((always_inline)) ptrdiff_t skp_band512(
        const void* row, ptrdiff_t n, double lo, double inv_width, double first, double last,
        double* values, ptrdiff_t pos, const int single) {
    const __m512d lo_v = _mm512_set1_pd(lo), width_v = _mm512_set1_pd(inv_width);
    const __m512d first_v = _mm512_set1_pd(first), last_v = _mm512_set1_pd(last);
    ptrdiff_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m512d a = skp_magnitudes8(row, j, single);
        __mmask8 inside = skp_in_band8(a, lo_v, width_v, first_v, last_v);
        _mm512_storeu_pd(values + pos, _mm512_maskz_compress_pd(inside, a));
        pos += _mm_popcnt_u32((unsigned) inside);
    }
    for (; j < n; j++)
        pos = skp_band1(skp_magnitude1(row, j, single), lo, inv_width, first, last, values,
                        pos);
    return pos;
}

SKP_L1INF_AVX512 static ptrdiff_t skp_panel_band512_f64(
        const double* row, ptrdiff_t n, const double* lo, const double* inv_width,
        const double* first, const double* last, const int32_t* column, double* values,
        int32_t* groups, ptrdiff_t pos) {
    return skp_panel_band512(row, n, lo, inv_width, first, last, column, values, groups, pos,
                             0);
}

SKP_L1INF_AVX512 static ptrdiff_t skp_panel_band512_f32(
        const float* row, ptrdiff_t n, const double* lo, const double* inv_width,
        const double* first, const double* last, const int32_t* column, double* values,
        int32_t* groups, ptrdiff_t pos) {
    return skp_panel_band512(row, n, lo, inv_width, first, last, column, values, groups, pos,
                             1);
}

SKP_L1INF_AVX512 static ptrdiff_t skp_band512_f64(const double* row, ptrdiff_t n, double lo,
                                                  double inv_width, double first, double last,
                                                  double* values, ptrdiff_t pos) {
    return skp_band512(row, n, lo, inv_width, first, last, values, pos, 0);
}

SKP_L1INF_AVX512 static ptrdiff_t skp_band512_f32(const float* row, ptrdiff_t n, double lo,
                                                  double inv_width, double first, double last,
                                                  double* values, ptrdiff_t pos) {
    return skp_band512(row, n, lo, inv_width, first, last, values, pos, 1);
}

SKP_L1INF_AVX2 static ptrdiff_t skp_l1inf_panel_band_f64(
        const double* row, ptrdiff_t n, const double* lo, const double* inv_width,
        const double* first, const double* last, const int32_t* column, double* values,
        int32_t* groups, ptrdiff_t pos) {
    if (skp_l1inf_avx512)
        return skp_panel_band512_f64(row, n, lo, inv_width, first, last, column, values,
                                     groups, pos);
    return skp_panel_band(row, n, lo, inv_width, first, last, column, values, groups, pos, 0);
}

SKP_L1INF_AVX2 static ptrdiff_t skp_l1inf_panel_band_f32(
        const float* row, ptrdiff_t n, const double* lo, const double* inv_width,
        const double* first, const double* last, const int32_t* column, double* values,
        int32_t* groups, ptrdiff_t pos) {
    if (skp_l1inf_avx512)
        return skp_panel_band512_f32(row, n, lo, inv_width, first, last, column, values,
                                     groups, pos);
    return skp_panel_band(row, n, lo, inv_width, first, last, column, values, groups, pos, 1);
}

SKP_L1INF_AVX2 static ptrdiff_t skp_l1inf_band_f64(const double* row, ptrdiff_t n, double lo,
                                                   double inv_width, double first, double last,
                                                   double* values, ptrdiff_t pos) {
    if (skp_l1inf_avx512)
        return skp_band512_f64(row, n, lo, inv_width, first, last, values, pos);
    return skp_band(row, n, lo, inv_width, first, last, values, pos, 0);
}

SKP_L1INF_AVX2 static ptrdiff_t skp_l1inf_band_f32(const float* row, ptrdiff_t n, double lo,
                                                   double inv_width, double first, double last,
                                                   double* values, ptrdiff_t pos) {
    if (skp_l1inf_avx512)
        return skp_band512_f32(row, n, lo, inv_width, first, last, values, pos);
    return skp_band(row, n, lo, inv_width, first, last, values, pos, 1);
}

/* The range gather of the dense regime's bands (``range_row`` in
 * _l1inf_dense.pyx; also the candidate gather of contiguous rows in
 * _l1inf.pyx, with lo = -1): the entries a = |row[j]| with lo < a < hi are
 * appended to values[pos...] (compacted; ``values`` needs SKP_RANGE_ROOM
 * slots of room past the entries it receives), those with a >= hi are counted and summed.  The
 * sums of a row group go to eight lanes, entry j to lane j mod 8, in
 * increasing j; the caller adds the lanes up ((0 + 1) + (2 + 3)) + ((4 + 5)
 * + (6 + 7)), as the Cython loop does: the same bits with AVX-512, AVX2 or
 * neither.  Returns the new cursor. */
static inline ptrdiff_t skp_range_row_tail(const void* row, ptrdiff_t j, ptrdiff_t n,
                                           double lo, double hi, double* values,
                                           ptrdiff_t pos, double* lanes, ptrdiff_t* count,
                                           const int single) {
    for (; j < n; j++) {
        double a = skp_magnitude1(row, j, single);
        values[pos] = a;
        pos += (a > lo) & (a < hi);
        *count += a >= hi;
        lanes[j % 8] += a >= hi ? a : 0.0;
    }
    return pos;
}

/* The float32 band gathers' step on sixteen magnitudes ``a``: those inside
 * the band (lo_v, hi_v) compressed, widened to double and stored at
 * ``values + pos`` (eight doubles written, sixteen where more than eight are
 * inside); returns their mask, ``up`` the mask of those at or above hi_v.
 * "Inside" is "above lo_v and not at or above hi_v", one compare fewer than
 * a second test against hi_v and the same entries (a band's ends are
 * numbers; a NaN is neither inside nor above).  Issue 14, an Intel Xeon,
 * single calls interleaved, the exact ball on float32 1000 x 10000 at 10
 * and 50 % of the norm: 0.95-0.97 of the time with both changes (a band
 * holds a few per cent of the entries: rarely more than eight of sixteen). */
SKP_L1INF_AVX512 static inline __attribute__((always_inline)) __mmask16 skp_band_split16(
        __m512 a, __m512 lo_v, __m512 hi_v, double* values, ptrdiff_t pos, __mmask16* up) {
    const __mmask16 above = _mm512_cmp_ps_mask(a, hi_v, _CMP_GE_OQ);
    const __mmask16 inside = _mm512_mask_cmp_ps_mask((__mmask16) ~above, a, lo_v, _CMP_GT_OQ);
    const __m512 packed = _mm512_maskz_compress_ps(inside, a);
    *up = above;
    _mm512_storeu_pd(values + pos, skp_low8_pd(packed));
    if (_mm_popcnt_u32((unsigned) inside) > 8)
        _mm512_storeu_pd(values + pos + 8, skp_high8_pd(packed));
    return inside;
}

/* float32, sixteen entries a vector: compared in float against the band's
 * ends rounded outwards (a > lo exactly where a > the largest float <= lo, a
 * < hi where a < the smallest float >= hi), compressed once, then widened to
 * double; entries j .. j + 7 then j + 8 .. j + 15 added to the eight lanes:
 * the same entries, count and sums as the eight-entry loop below.  (Issue
 * 14, an AMD Zen 5: that loop took 0.22-0.24 ns an entry in the band phase
 * of float32 1000 x 10000 row groups, where step 1's read of the matrix
 * takes 0.10; its compression and widening of eight entries at a time bound
 * it.)  Returns where it stopped (j: fewer than 16 entries left). */
SKP_L1INF_AVX512 static inline __attribute__((always_inline)) ptrdiff_t skp_range_row16_f32(
        const float* row, ptrdiff_t n, double lo, double hi, double* values, ptrdiff_t* pos_,
        __m512d* sum_, ptrdiff_t* above_) {
    const __m512 lo_v = _mm512_set1_ps(_mm_cvtss_f32(_mm_cvt_roundsd_ss(
        _mm_setzero_ps(), _mm_set_sd(lo), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC)));
    const __m512 hi_v = _mm512_set1_ps(_mm_cvtss_f32(_mm_cvt_roundsd_ss(
        _mm_setzero_ps(), _mm_set_sd(hi), _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC)));
    __m512d sum = *sum_;
    ptrdiff_t j = 0, pos = *pos_, above = 0;
    for (; j + 16 <= n; j += 16) {
        const __m512 a = _mm512_abs_ps(_mm512_loadu_ps(row + j));
        __mmask16 up;
        pos += _mm_popcnt_u32((unsigned) skp_band_split16(a, lo_v, hi_v, values, pos, &up));
        above += _mm_popcnt_u32((unsigned) up);
        sum = _mm512_mask_add_pd(sum, (__mmask8) up, sum,
                                 skp_low8_pd(a));
        sum = _mm512_mask_add_pd(sum, (__mmask8) (up >> 8), sum, skp_high8_pd(a));
    }
    *pos_ = pos;
    *sum_ = sum;
    *above_ += above;
    return j;
}

SKP_L1INF_AVX512 static inline __attribute__((always_inline)) ptrdiff_t skp_range_row512(
        const void* row, ptrdiff_t n, double lo, double hi, double* values, ptrdiff_t pos,
        double* lanes, ptrdiff_t* count, const int single) {
    const __m512d lo_v = _mm512_set1_pd(lo), hi_v = _mm512_set1_pd(hi);
    __m512d sum = _mm512_loadu_pd(lanes);
    ptrdiff_t j = 0, above = 0;
    if (single)
        j = skp_range_row16_f32((const float*) row, n, lo, hi, values, &pos, &sum, &above);
    for (; j + 8 <= n; j += 8) {
        __m512d a = skp_magnitudes8(row, j, single);
        __mmask8 inside = _mm512_cmp_pd_mask(a, lo_v, _CMP_GT_OQ)
                          & _mm512_cmp_pd_mask(a, hi_v, _CMP_LT_OQ);
        __mmask8 up = _mm512_cmp_pd_mask(a, hi_v, _CMP_GE_OQ);
        _mm512_storeu_pd(values + pos, _mm512_maskz_compress_pd(inside, a));
        pos += _mm_popcnt_u32((unsigned) inside);
        above += _mm_popcnt_u32((unsigned) up);
        sum = _mm512_mask_add_pd(sum, up, sum, a);
    }
    _mm512_storeu_pd(lanes, sum);
    *count += above;
    return skp_range_row_tail(row, j, n, lo, hi, values, pos, lanes, count, single);
}

SKP_L1INF_AVX2 static inline __attribute__((always_inline)) ptrdiff_t skp_range4(
        __m256d a, __m256d lo, __m256d hi, __m256d* sum, ptrdiff_t* above, double* values,
        ptrdiff_t pos) {
    __m256d inside = _mm256_and_pd(_mm256_cmp_pd(a, lo, _CMP_GT_OQ),
                                   _mm256_cmp_pd(a, hi, _CMP_LT_OQ));
    __m256d up = _mm256_cmp_pd(a, hi, _CMP_GE_OQ);
    int mask = _mm256_movemask_pd(inside);
    _mm256_storeu_pd(values + pos, skp_packed4(a, mask));
    *above += _mm_popcnt_u32((unsigned) _mm256_movemask_pd(up));
    *sum = _mm256_add_pd(*sum, _mm256_and_pd(up, a));
    return pos + _mm_popcnt_u32((unsigned) mask);
}

SKP_L1INF_AVX2 static inline __attribute__((always_inline)) ptrdiff_t skp_range_row(
        const void* row, ptrdiff_t n, double lo, double hi, double* values, ptrdiff_t pos,
        double* lanes, ptrdiff_t* count, const int single) {
    const __m256d lo_v = _mm256_set1_pd(lo), hi_v = _mm256_set1_pd(hi);
    __m256d sum0 = _mm256_loadu_pd(lanes), sum1 = _mm256_loadu_pd(lanes + 4);
    ptrdiff_t j = 0, above = 0;
    for (; j + 8 <= n; j += 8) {
        pos = skp_range4(skp_magnitudes4(row, j, single), lo_v, hi_v, &sum0, &above, values,
                         pos);
        pos = skp_range4(skp_magnitudes4(row, j + 4, single), lo_v, hi_v, &sum1, &above,
                         values, pos);
    }
    _mm256_storeu_pd(lanes, sum0);
    _mm256_storeu_pd(lanes + 4, sum1);
    *count += above;
    return skp_range_row_tail(row, j, n, lo, hi, values, pos, lanes, count, single);
}

SKP_L1INF_AVX512 static ptrdiff_t skp_range_row512_f64(const double* row, ptrdiff_t n,
        double lo, double hi, double* values, ptrdiff_t pos, double* lanes, ptrdiff_t* count) {
    return skp_range_row512(row, n, lo, hi, values, pos, lanes, count, 0);
}

SKP_L1INF_AVX512 static ptrdiff_t skp_range_row512_f32(const float* row, ptrdiff_t n,
        double lo, double hi, double* values, ptrdiff_t pos, double* lanes, ptrdiff_t* count) {
    return skp_range_row512(row, n, lo, hi, values, pos, lanes, count, 1);
}

SKP_L1INF_AVX2 static ptrdiff_t skp_l1inf_range_row_f64(const double* row, ptrdiff_t n,
        double lo, double hi, double* values, ptrdiff_t pos, double* lanes, ptrdiff_t* count) {
    if (skp_l1inf_avx512)
        return skp_range_row512_f64(row, n, lo, hi, values, pos, lanes, count);
    return skp_range_row(row, n, lo, hi, values, pos, lanes, count, 0);
}

SKP_L1INF_AVX2 static ptrdiff_t skp_l1inf_range_row_f32(const float* row, ptrdiff_t n,
        double lo, double hi, double* values, ptrdiff_t pos, double* lanes, ptrdiff_t* count) {
    if (skp_l1inf_avx512)
        return skp_range_row512_f32(row, n, lo, hi, values, pos, lanes, count);
    return skp_range_row(row, n, lo, hi, values, pos, lanes, count, 1);
}

/* The same for the column groups of ``rows`` consecutive rows (``row``,
 * then every ``row_stride`` bytes): entry j of a row has
 * its own lo[j] and hi[j] (infinite for a column left out), its pairs (|a|,
 * j) are appended to (values, groups) and its count and sum above go to
 * count[j] and total[j], in the order of the rows whatever the instruction
 * set; column j of the row is group ``first + j``.  Eight (or four)
 * columns at a time, all the rows for each (float32 with AVX-512: sixteen,
 * skp_range_columns16_f32): their bands and counters are read and written
 * once for the rows.  Each column's pairs come in the order of the rows.
 * (float32 eight columns a vector with AVX2, compared in float against
 * float bounds, only the sums and the pairs in double: the same bits, but
 * 1.1-1.2 times the time of the whole projection on 1000 x 10000 and 2000 x
 * 5000 float32; issue 14.) */
static inline ptrdiff_t skp_range_columns_tail(
        const char* row, ptrdiff_t row_stride, ptrdiff_t rows, ptrdiff_t j, ptrdiff_t n,
        ptrdiff_t first, const double* lo, const double* hi, double* count, double* total, double* values,
        int32_t* groups, ptrdiff_t pos, const int single) {
    for (; j < n; j++)
        for (ptrdiff_t r = 0; r < rows; r++) {
            double a = skp_magnitude1(row + r * row_stride, j, single);
            values[pos] = a;
            groups[pos] = (int32_t) (first + j);
            pos += (a > lo[j]) & (a < hi[j]);
            count[j] += a >= hi[j] ? 1.0 : 0.0;
            total[j] += a >= hi[j] ? a : 0.0;
        }
    return pos;
}

/* A band's ends as float32 bounds of float32 magnitudes, 16 columns (the
 * doubles at p[0:8] and p[8:16]): a > lo exactly where a > the largest
 * float <= lo (rounding toward -inf), a < hi exactly where a < the smallest
 * float >= hi (toward +inf; an infinite end stays infinite). */
SKP_L1INF_AVX512 static inline __m512 skp_band_ends16(const double* p, const int rounding) {
    __m256 low = rounding == _MM_FROUND_TO_NEG_INF
        ? _mm512_cvt_roundpd_ps(_mm512_loadu_pd(p), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC)
        : _mm512_cvt_roundpd_ps(_mm512_loadu_pd(p), _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC);
    __m256 high = rounding == _MM_FROUND_TO_NEG_INF
        ? _mm512_cvt_roundpd_ps(_mm512_loadu_pd(p + 8), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC)
        : _mm512_cvt_roundpd_ps(_mm512_loadu_pd(p + 8), _MM_FROUND_TO_POS_INF | _MM_FROUND_NO_EXC);
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(low)),
                                               _mm256_castps_pd(high), 1));
}

/* float32, sixteen columns a vector from j on (while 16 are left): compared
 * in float (skp_band_ends16), each compressed once with its column's index;
 * the pairs' values, the sums above and the counts in double, in the same
 * order as the eight-column loop below: the same pairs, counts and sums.
 * The eight-column loop converted every entry to double and compressed two
 * vectors for eight entries, and its compressions bound it (perf: over half
 * of its samples on the instructions after them).  Issue 14, an AMD Zen 5,
 * the band gather's phase (thread time, alternations of builds) on float32
 * 512 x 8000 at radii keeping 50 and 90 % of bilevel_l1inf's groups and at
 * 10 and 50 % of the norm: 0.35-0.44 -> 0.26-0.35 ns an entry; the exact
 * ball 0.85-0.95 of its time there, on 1000 x 10000 and 2000 x 2000.
 * ``values`` and ``groups`` need SKP_RANGE_ROOM slots of room past the pairs. */
SKP_L1INF_AVX512 static inline __attribute__((always_inline)) ptrdiff_t skp_range_columns16_f32(
        const char* row, ptrdiff_t row_stride, ptrdiff_t rows, ptrdiff_t n, ptrdiff_t first,
        const double* lo, const double* hi, double* count, double* total, double* values,
        int32_t* groups, ptrdiff_t* pos_, ptrdiff_t j) {
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512i one = _mm512_set1_epi32(1);
    ptrdiff_t pos = *pos_;
    for (; j + 16 <= n; j += 16) {
        const __m512 l = skp_band_ends16(lo + j, _MM_FROUND_TO_NEG_INF);
        const __m512 h = skp_band_ends16(hi + j, _MM_FROUND_TO_POS_INF);
        const __m512i ids = _mm512_add_epi32(_mm512_set1_epi32((int32_t) (first + j)), lane);
        __m512d t_low = _mm512_loadu_pd(total + j), t_high = _mm512_loadu_pd(total + j + 8);
        __m512i c = _mm512_setzero_si512();
        for (ptrdiff_t r = 0; r < rows; r++) {
            const __m512 a = _mm512_abs_ps(_mm512_loadu_ps((const float*) (row + r * row_stride) + j));
            __mmask16 up;
            const __mmask16 inside = skp_band_split16(a, l, h, values, pos, &up);
            _mm512_storeu_si512((void*) (groups + pos), _mm512_maskz_compress_epi32(inside, ids));
            pos += _mm_popcnt_u32((unsigned) inside);
            c = _mm512_mask_add_epi32(c, up, c, one);
            t_low = _mm512_mask_add_pd(t_low, (__mmask8) up, t_low,
                                       skp_low8_pd(a));
            t_high = _mm512_mask_add_pd(t_high, (__mmask8) (up >> 8), t_high, skp_high8_pd(a));
        }
        /* (the counts are whole numbers: the same in any order) */
        _mm512_storeu_pd(count + j, _mm512_add_pd(
            _mm512_loadu_pd(count + j), _mm512_cvtepi32_pd(_mm512_castsi512_si256(c))));
        _mm512_storeu_pd(count + j + 8, _mm512_add_pd(
            _mm512_loadu_pd(count + j + 8), _mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(c, 1))));
        _mm512_storeu_pd(total + j, t_low);
        _mm512_storeu_pd(total + j + 8, t_high);
    }
    *pos_ = pos;
    return j;
}

SKP_L1INF_AVX512 static inline __attribute__((always_inline)) ptrdiff_t skp_range_columns512(
        const char* row, ptrdiff_t row_stride, ptrdiff_t rows, ptrdiff_t n, ptrdiff_t first,
        const double* lo,
        const double* hi, double* count, double* total, double* values, int32_t* groups,
        ptrdiff_t pos, const int single) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m512d one = _mm512_set1_pd(1.0);
    ptrdiff_t j = 0;
    if (single)
        j = skp_range_columns16_f32(row, row_stride, rows, n, first, lo, hi, count, total, values,
                                    groups, &pos, 0);
    for (; j + 8 <= n; j += 8) {
        const __m512d l = _mm512_loadu_pd(lo + j), h = _mm512_loadu_pd(hi + j);
        const __m256i ids = _mm256_add_epi32(_mm256_set1_epi32((int32_t) (first + j)), lane);
        __m512d c = _mm512_loadu_pd(count + j), t = _mm512_loadu_pd(total + j);
        for (ptrdiff_t r = 0; r < rows; r++) {
            __m512d a = skp_magnitudes8(row + r * row_stride, j, single);
            __mmask8 inside = _mm512_cmp_pd_mask(a, l, _CMP_GT_OQ)
                              & _mm512_cmp_pd_mask(a, h, _CMP_LT_OQ);
            __mmask8 up = _mm512_cmp_pd_mask(a, h, _CMP_GE_OQ);
            _mm512_storeu_pd(values + pos, _mm512_maskz_compress_pd(inside, a));
            _mm256_storeu_si256((__m256i*) (groups + pos),
                                _mm256_maskz_compress_epi32(inside, ids));
            pos += _mm_popcnt_u32((unsigned) inside);
            c = _mm512_mask_add_pd(c, up, c, one);
            t = _mm512_mask_add_pd(t, up, t, a);
        }
        _mm512_storeu_pd(count + j, c);
        _mm512_storeu_pd(total + j, t);
    }
    return skp_range_columns_tail(row, row_stride, rows, j, n, first, lo, hi, count, total, values,
                                  groups, pos, single);
}

SKP_L1INF_AVX2 static inline __attribute__((always_inline)) ptrdiff_t skp_range_columns(
        const char* row, ptrdiff_t row_stride, ptrdiff_t rows, ptrdiff_t n, ptrdiff_t first,
        const double* lo,
        const double* hi, double* count, double* total, double* values, int32_t* groups,
        ptrdiff_t pos, const int single) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 0, 0, 0, 0);
    const __m256d one = _mm256_set1_pd(1.0);
    ptrdiff_t j = 0;
    for (; j + 4 <= n; j += 4) {
        const __m256d l = _mm256_loadu_pd(lo + j), h = _mm256_loadu_pd(hi + j);
        const __m256i ids = _mm256_add_epi32(_mm256_set1_epi32((int32_t) (first + j)), lane);
        __m256d c = _mm256_loadu_pd(count + j), t = _mm256_loadu_pd(total + j);
        for (ptrdiff_t r = 0; r < rows; r++) {
            __m256d a = skp_magnitudes4(row + r * row_stride, j, single);
            __m256d inside = _mm256_and_pd(_mm256_cmp_pd(a, l, _CMP_GT_OQ),
                                           _mm256_cmp_pd(a, h, _CMP_LT_OQ));
            __m256d up = _mm256_cmp_pd(a, h, _CMP_GE_OQ);
            int mask = _mm256_movemask_pd(inside);
            __m256i order32 = _mm256_loadu_si256((const __m256i*) skp_pack4_32[mask]);
            _mm256_storeu_pd(values + pos, skp_packed4(a, mask));
            _mm_storeu_si128((__m128i*) (groups + pos), _mm256_castsi256_si128(
                _mm256_permutevar8x32_epi32(ids, order32)));
            pos += _mm_popcnt_u32((unsigned) mask);
            c = _mm256_add_pd(c, _mm256_and_pd(up, one));
            t = _mm256_add_pd(t, _mm256_and_pd(up, a));
        }
        _mm256_storeu_pd(count + j, c);
        _mm256_storeu_pd(total + j, t);
    }
    return skp_range_columns_tail(row, row_stride, rows, j, n, first, lo, hi, count, total, values,
                                  groups, pos, single);
}

SKP_L1INF_AVX512 static ptrdiff_t skp_range_columns512_f64(
        const double* row, ptrdiff_t row_stride, ptrdiff_t rows, ptrdiff_t n, ptrdiff_t first,
        const double* lo,
        const double* hi, double* count, double* total, double* values, int32_t* groups,
        ptrdiff_t pos) {
    return skp_range_columns512((const char*) row, row_stride, rows, n, first, lo, hi, count, total,
                                values, groups, pos, 0);
}

SKP_L1INF_AVX512 static ptrdiff_t skp_range_columns512_f32(
        const float* row, ptrdiff_t row_stride, ptrdiff_t rows, ptrdiff_t n, ptrdiff_t first,
        const double* lo,
        const double* hi, double* count, double* total, double* values, int32_t* groups,
        ptrdiff_t pos) {
    return skp_range_columns512((const char*) row, row_stride, rows, n, first, lo, hi, count, total,
                                values, groups, pos, 1);
}

SKP_L1INF_AVX2 static ptrdiff_t skp_l1inf_range_columns_f64(
        const double* row, ptrdiff_t row_stride, ptrdiff_t rows, ptrdiff_t n, ptrdiff_t first,
        const double* lo,
        const double* hi, double* count, double* total, double* values, int32_t* groups,
        ptrdiff_t pos) {
    if (skp_l1inf_avx512)
        return skp_range_columns512_f64(row, row_stride, rows, n, first, lo, hi, count, total, values,
                                        groups, pos);
    return skp_range_columns((const char*) row, row_stride, rows, n, first, lo, hi, count, total,
                             values, groups, pos, 0);
}

SKP_L1INF_AVX2 static ptrdiff_t skp_l1inf_range_columns_f32(
        const float* row, ptrdiff_t row_stride, ptrdiff_t rows, ptrdiff_t n, ptrdiff_t first,
        const double* lo,
        const double* hi, double* count, double* total, double* values, int32_t* groups,
        ptrdiff_t pos) {
    if (skp_l1inf_avx512)
        return skp_range_columns512_f32(row, row_stride, rows, n, first, lo, hi, count, total, values,
                                        groups, pos);
    return skp_range_columns((const char*) row, row_stride, rows, n, first, lo, hi, count, total,
                             values, groups, pos, 1);
}

/* The l1 norm and the max of a contiguous row (step 1 of the kernel), bit
 * for bit as row_sum_max in _streaming.pxd computes them: lane k of the sum
 * accumulates the entries j = k mod 4 (its accumulator s_k), the tail goes
 * to s_0, and the total is (s_0 + s_1) + (s_2 + s_3); float32 entries are
 * converted exactly.  The max is exact in any order.  NaN and inf make the
 * sum non-finite. */
SKP_L1INF_AVX2 static inline __attribute__((always_inline)) double skp_row_sum_max(
        const void* row, ptrdiff_t n, double* maximum, const int single, ptrdiff_t ahead) {
    __m256d sum = _mm256_setzero_pd(), m0 = sum, m1 = sum;
    double lanes[4], top = 0.0, total;
    ptrdiff_t j = 0;
    int k;
    for (; j + 8 <= n; j += 8) {
        __m256d a = skp_magnitudes4(row, j, single);
        if (ahead && (!single || j % 16 == 0))
            skp_prefetch_ahead((const char*) row + j * (single ? 4 : 8), ahead);
        __m256d b = skp_magnitudes4(row, j + 4, single);
        m0 = _mm256_max_pd(m0, a);
        m1 = _mm256_max_pd(m1, b);
        sum = _mm256_add_pd(_mm256_add_pd(sum, a), b);
    }
    for (; j + 4 <= n; j += 4) {
        __m256d a = skp_magnitudes4(row, j, single);
        m0 = _mm256_max_pd(m0, a);
        sum = _mm256_add_pd(sum, a);
    }
    _mm256_storeu_pd(lanes, sum);
    for (; j < n; j++) {
        double a = skp_magnitude1(row, j, single);
        lanes[0] += a;
        top = a > top ? a : top;
    }
    total = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    _mm256_storeu_pd(lanes, _mm256_max_pd(m0, m1));
    for (k = 0; k < 4; k++)
        top = lanes[k] > top ? lanes[k] : top;
    *maximum = top;
    return total;
}

/* (``ahead``: the bytes ahead asked for, skp_ahead_for of the rows' run) */
SKP_L1INF_AVX2 static double skp_l1inf_row_sum_max_f64(const double* row, ptrdiff_t n,
                                                       double* maximum, ptrdiff_t ahead) {
    return skp_row_sum_max(row, n, maximum, 0, ahead);
}

SKP_L1INF_AVX2 static double skp_l1inf_row_sum_max_f32(const float* row, ptrdiff_t n,
                                                       double* maximum, ptrdiff_t ahead) {
    return skp_row_sum_max(row, n, maximum, 1, ahead);
}

/* Step 1 for the column groups of a matrix with contiguous rows: every
 * column's l1 norm and max, bit for bit as fold_four_rows_sum_max and
 * fold_row_sum_max in _streaming.pxd compute them (a block of four rows adds
 * (a_0 + a_1) + (a_2 + a_3) to the sum, the rows left add one by one).  A
 * panel of SKP_COLUMN_PANEL columns at a time, whose sums and maxima (512
 * KB) stay in L2 while every row's stretch of it is read, each loaded and
 * stored once per eight rows; the Cython loops run over the whole width
 * and load and store both arrays (1.6 MB on 10^5 columns) every four rows.
 * Narrower panels are slower: a panel of 1024 float32 columns reads every
 * row's stretch from a new page, which the hardware prefetchers must find
 * again (twice the time of the Cython loops).  With ``squares`` (not NULL)
 * the sums of squares too, (a_0^2 + a_1^2) + (a_2^2 + a_3^2) per block as
 * those loops add them: 0.16 -> 0.18 ns an entry on 1000 x 10000 float32,
 * 0.15 -> 0.30 on 100 x 100000 (panels of 16384 or 20480 columns no
 * better), so the driver asks for them only where they serve. */
#define SKP_COLUMN_PANEL 32768

/* Columns j .. end - 1 of ``blocks`` blocks of four rows from r0, one at a
 * time (the vector loops' last columns). */
SKP_L1INF_AVX2 static inline __attribute__((always_inline)) void skp_column_blocks_left(
        const char* r0, ptrdiff_t row_stride, ptrdiff_t j, ptrdiff_t end, int blocks,
        double* sums, double* maxima, double* squares, const int single,
        const int with_squares) {
    for (; j < end; j++) {
        int b;
        for (b = 0; b < blocks; b++) {
            const char* r = r0 + 4 * b * row_stride;
            double a0 = skp_magnitude1(r, j, single);
            double a1 = skp_magnitude1(r + row_stride, j, single);
            double a2 = skp_magnitude1(r + 2 * row_stride, j, single);
            double a3 = skp_magnitude1(r + 3 * row_stride, j, single);
            double top = a1 > a0 ? a1 : a0, top2 = a3 > a2 ? a3 : a2;
            sums[j] += (a0 + a1) + (a2 + a3);
            if (with_squares) {
                double p0 = a0 * a0, p1 = a1 * a1, p2 = a2 * a2, p3 = a3 * a3;
                /* (inlined into the AVX-512 panels too: no FMA contraction) */
                __asm__("" : "+x"(p0), "+x"(p1), "+x"(p2), "+x"(p3));
                squares[j] += (p0 + p1) + (p2 + p3);
            }
            top = top2 > top ? top2 : top;
            maxima[j] = top > maxima[j] ? top : maxima[j];
        }
    }
}

/* The panel's columns first .. end - 1 zeroed, before its first row. */
SKP_L1INF_AVX2 static inline __attribute__((always_inline)) void skp_column_panel_start(
        ptrdiff_t first, ptrdiff_t end, double* sums, double* maxima, double* squares,
        const int with_squares) {
    ptrdiff_t j;
    for (j = first; j < end; j++) {
        sums[j] = 0.0;
        maxima[j] = 0.0;
        if (with_squares)
            squares[j] = 0.0;
    }
}

/* The rows from i on (fewer than four) of the panel's columns, one at a time. */
SKP_L1INF_AVX2 static inline __attribute__((always_inline)) void skp_column_rows_left(
        const char* base, ptrdiff_t row_stride, ptrdiff_t i, ptrdiff_t n_rows,
        ptrdiff_t first, ptrdiff_t end, double* sums, double* maxima, double* squares,
        const int single, const int with_squares) {
    ptrdiff_t j;
    for (; i < n_rows; i++) {
        const char* row = base + i * row_stride;
        for (j = first; j < end; j++) {
            double a = skp_magnitude1(row, j, single);
            sums[j] += a;
            if (with_squares) {
                double square = a * a;
                __asm__("" : "+x"(square));     /* (as in skp_column_blocks_left) */
                squares[j] += square;
            }
            maxima[j] = a > maxima[j] ? a : maxima[j];
        }
    }
}

/* The panels' loops around a vector body (``__VA_ARGS__``, a statement on
 * the WIDTH columns from j of ``blocks`` blocks of four rows from r0): panels
 * of SKP_COLUMN_PANEL columns, two blocks of four rows per load and store of
 * the sums (then one), the columns and rows left one at a time.  In scope:
 * base, row_stride, n_rows, n_cols, sums, maxima, squares, single and
 * with_squares. */
#define SKP_COLUMN_PANELS(WIDTH, ...)                                                    \
    do {                                                                                 \
        ptrdiff_t first_, end_, i_, j;                                                   \
        int blocks;                                                                      \
        for (first_ = 0; first_ < n_cols; first_ = end_) {                               \
            end_ = first_ + SKP_COLUMN_PANEL < n_cols ? first_ + SKP_COLUMN_PANEL : n_cols; \
            skp_column_panel_start(first_, end_, sums, maxima, squares, with_squares);   \
            for (i_ = 0; i_ + 4 <= n_rows; i_ += 4 * blocks) {                           \
                const char* r0 = base + i_ * row_stride;                                 \
                blocks = i_ + 8 <= n_rows ? 2 : 1;                                       \
                for (j = first_; j + (WIDTH) <= end_; j += (WIDTH)) __VA_ARGS__          \
                skp_column_blocks_left(r0, row_stride, j, end_, blocks, sums, maxima,    \
                                       squares, single, with_squares);                   \
            }                                                                            \
            skp_column_rows_left(base, row_stride, i_, n_rows, first_, end_, sums,      \
                                 maxima, squares, single, with_squares);                 \
        }                                                                                \
    } while (0)

SKP_L1INF_AVX2 static inline __attribute__((always_inline)) void skp_column_panels(
        const char* base, ptrdiff_t row_stride, ptrdiff_t n_rows, ptrdiff_t n_cols,
        double* sums, double* maxima, double* squares, const int single,
        const int with_squares) {
    SKP_COLUMN_PANELS(4, {
        __m256d s = _mm256_loadu_pd(sums + j), m = _mm256_loadu_pd(maxima + j);
        __m256d q = with_squares ? _mm256_loadu_pd(squares + j) : s;
        int b;
        for (b = 0; b < blocks; b++) {
            const char* r = r0 + 4 * b * row_stride;
            __m256d a0 = skp_magnitudes4(r, j, single);
            __m256d a1 = skp_magnitudes4(r + row_stride, j, single);
            __m256d a2 = skp_magnitudes4(r + 2 * row_stride, j, single);
            __m256d a3 = skp_magnitudes4(r + 3 * row_stride, j, single);
            s = _mm256_add_pd(s, _mm256_add_pd(_mm256_add_pd(a0, a1), _mm256_add_pd(a2, a3)));
            m = _mm256_max_pd(m, _mm256_max_pd(_mm256_max_pd(a0, a1), _mm256_max_pd(a2, a3)));
            if (with_squares)
                q = _mm256_add_pd(q, _mm256_add_pd(
                    _mm256_add_pd(_mm256_mul_pd(a0, a0), _mm256_mul_pd(a1, a1)),
                    _mm256_add_pd(_mm256_mul_pd(a2, a2), _mm256_mul_pd(a3, a3))));
        }
        _mm256_storeu_pd(sums + j, s);
        _mm256_storeu_pd(maxima + j, m);
        if (with_squares)
            _mm256_storeu_pd(squares + j, q);
    });
}

/* The same panels with AVX-512F, eight columns a vector: the same
 * operations in the same order (the same bits), half the instructions.
 * Issue 14, an AMD Zen 5, thread time of the exact ball's step 1, ten
 * alternations: 100 x 100000 float32 0.93 of the time, float64 0.83; 1000
 * x 10000 and 10000 x 1000 0.94-0.99 (read from memory, the sums stored in
 * L2, no faster).  The squares too, their products kept from the sums by an
 * empty asm (AVX-512F has FMA, which gcc would contract them into; so in
 * the columns left one at a time, inlined here): an Intel Xeon, single
 * calls interleaved, step 1 of float32 1000 x 10000 with the squares (the
 * dense regime's) 0.88 of the AVX2 loop's time, float64 even. */
SKP_L1INF_AVX512 static inline __attribute__((always_inline)) void skp_column_panels512(
        const char* base, ptrdiff_t row_stride, ptrdiff_t n_rows, ptrdiff_t n_cols,
        double* sums, double* maxima, double* squares, const int single,
        const int with_squares) {
    /* (the block's eight rows are eight runs read at once: each asks for its
     * lines an eighth of skp_ahead_for's bytes on, a line at a time; issue
     * 14, the Zen 5, single calls interleaved, the exact ball on 1000 x
     * 10000 column groups at 10-90 % kept and 10 and 50 % of the norm,
     * 1, 2 and 4 KiB a row ahead / none: float32 0.91-0.94, 0.89-0.92,
     * 0.90-0.93 of the time; float64 0.96-0.97, 0.96-0.97, 1.00) */
    const ptrdiff_t item = single ? 4 : 8;
    const ptrdiff_t ahead = skp_ahead_for_rows(n_rows, n_cols, row_stride, item) / 8;
    SKP_COLUMN_PANELS(8, {
        __m512d s = _mm512_loadu_pd(sums + j), m = _mm512_loadu_pd(maxima + j);
        __m512d q = with_squares ? _mm512_loadu_pd(squares + j) : s;
        int b;
        if (ahead && (j * item) % 64 == 0) {
            int r;
            for (r = 0; r < 4 * blocks; r++)
                skp_prefetch_ahead(r0 + r * row_stride + j * item, ahead);
        }
        for (b = 0; b < blocks; b++) {
            const char* r = r0 + 4 * b * row_stride;
            __m512d a0 = skp_magnitudes8(r, j, single);
            __m512d a1 = skp_magnitudes8(r + row_stride, j, single);
            __m512d a2 = skp_magnitudes8(r + 2 * row_stride, j, single);
            __m512d a3 = skp_magnitudes8(r + 3 * row_stride, j, single);
            s = _mm512_add_pd(s, _mm512_add_pd(_mm512_add_pd(a0, a1), _mm512_add_pd(a2, a3)));
            m = _mm512_max_pd(m, _mm512_max_pd(_mm512_max_pd(a0, a1), _mm512_max_pd(a2, a3)));
            if (with_squares) {
                __m512d p0 = _mm512_mul_pd(a0, a0), p1 = _mm512_mul_pd(a1, a1);
                __m512d p2 = _mm512_mul_pd(a2, a2), p3 = _mm512_mul_pd(a3, a3);
                /* no contraction into an FMA: the AVX2 loop's roundings */
                __asm__("" : "+v"(p0), "+v"(p1), "+v"(p2), "+v"(p3));
                q = _mm512_add_pd(q, _mm512_add_pd(_mm512_add_pd(p0, p1),
                                                   _mm512_add_pd(p2, p3)));
            }
        }
        _mm512_storeu_pd(sums + j, s);
        _mm512_storeu_pd(maxima + j, m);
        if (with_squares)
            _mm512_storeu_pd(squares + j, q);
    });
}
#undef SKP_COLUMN_PANELS

/* The panels' loop compiled with and without the sums of squares (NULL:
 * not taken). */
SKP_L1INF_AVX2 static inline __attribute__((always_inline)) void skp_column_sums_max(
        const char* base, ptrdiff_t row_stride, ptrdiff_t n_rows, ptrdiff_t n_cols,
        double* sums, double* maxima, double* squares, const int single) {
    if (squares)
        skp_column_panels(base, row_stride, n_rows, n_cols, sums, maxima, squares, single, 1);
    else
        skp_column_panels(base, row_stride, n_rows, n_cols, sums, maxima, NULL, single, 0);
}

/* (the same with AVX-512) */
SKP_L1INF_AVX512 static inline __attribute__((always_inline)) void skp_column_sums_max512(
        const char* base, ptrdiff_t row_stride, ptrdiff_t n_rows, ptrdiff_t n_cols,
        double* sums, double* maxima, double* squares, const int single) {
    if (squares)
        skp_column_panels512(base, row_stride, n_rows, n_cols, sums, maxima, squares, single, 1);
    else
        skp_column_panels512(base, row_stride, n_rows, n_cols, sums, maxima, NULL, single, 0);
}

SKP_L1INF_AVX512 static void skp_column_sums_max512_f64(
        const double* base, ptrdiff_t row_stride, ptrdiff_t n_rows, ptrdiff_t n_cols,
        double* sums, double* maxima, double* squares) {
    skp_column_sums_max512((const char*) base, row_stride, n_rows, n_cols, sums, maxima,
                           squares, 0);
}

SKP_L1INF_AVX512 static void skp_column_sums_max512_f32(
        const float* base, ptrdiff_t row_stride, ptrdiff_t n_rows, ptrdiff_t n_cols,
        double* sums, double* maxima, double* squares) {
    skp_column_sums_max512((const char*) base, row_stride, n_rows, n_cols, sums, maxima,
                           squares, 1);
}

SKP_L1INF_AVX2 static void skp_l1inf_column_sums_max_f64(const double* base,
                                                         ptrdiff_t row_stride, ptrdiff_t n_rows,
                                                         ptrdiff_t n_cols, double* sums,
                                                         double* maxima, double* squares) {
    if (skp_l1inf_avx512)
        skp_column_sums_max512_f64(base, row_stride, n_rows, n_cols, sums, maxima, squares);
    else
        skp_column_sums_max((const char*) base, row_stride, n_rows, n_cols, sums, maxima,
                            squares, 0);
}

SKP_L1INF_AVX2 static void skp_l1inf_column_sums_max_f32(const float* base,
                                                         ptrdiff_t row_stride, ptrdiff_t n_rows,
                                                         ptrdiff_t n_cols, double* sums,
                                                         double* maxima, double* squares) {
    if (skp_l1inf_avx512)
        skp_column_sums_max512_f32(base, row_stride, n_rows, n_cols, sums, maxima, squares);
    else
        skp_column_sums_max((const char*) base, row_stride, n_rows, n_cols, sums, maxima,
                            squares, 1);
}


/* The candidate gather of column groups of a row-major matrix whose rows
 * lie whole cache lines apart (_l1inf._gather_column_chunks): one row's live
 * chunks of LANES columns, a chunk a cache line of the row (chunk k starts at
 * column first[k], the first maybe before column 0, and holds a candidate),
 * each entry's magnitude paired with its column where it lies below the
 * chunk's bound in ``below`` (LANES a chunk: 0 for the columns left out,
 * which no magnitude is below; float32's levels rounded up to floats, so
 * that a float lies below one exactly where it lies below the level in
 * double), in the order of the columns: the pairs of the scalar visit of the
 * candidates.  A chunk's columns before 0 or from n on are masked.  The
 * chunks ``ahead`` on are prefetched, those of the next row (``next``, NULL
 * for none) past the last.  ``values`` and ``groups`` need LANES slots of
 * room past the pairs.  Zeros are left out (they lie above no level: a
 * sparse matrix's columns listed every zero as a pair) and counted in
 * ``zeros`` (LANES int32 a chunk), so that a column's count above is its
 * rows less its list and its zeros: one compare more a vector, the count
 * taken where a vector holds a zero (counting the entries above instead,
 * in most vectors, took 1.09 times as long on Gaussian 100 x 100000 float32
 * at 1 % of the groups kept). */
#define SKP_GATHER_CHUNKS512(SUFFIX, T, VEC, MASK, LANES, PS, STORE_GROUPS, VALUES, COUNT)   \
SKP_L1INF_AVX512 static ptrdiff_t skp_gather_chunks512_##SUFFIX(                             \
        const T* row, const T* next, ptrdiff_t n, const int32_t* first, ptrdiff_t n_chunks,   \
        const T* below, ptrdiff_t ahead, double* values, int32_t* groups, ptrdiff_t pos,      \
        int32_t* zeros) {                                                                     \
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, \
                                           15);                                               \
    const VEC zero = _mm512_setzero_##PS();                                                   \
    for (ptrdiff_t k = 0; k < n_chunks; k++) {                                                \
        const ptrdiff_t j = first[k];                                                         \
        MASK some = (MASK) -1, hit, nonzero, zero_lanes;                                      \
        VEC a;                                                                                \
        if (j < 0) some = (MASK) (some << -j);                                                \
        if (j + LANES > n) some &= (MASK) ((1u << (n - j)) - 1u);                             \
        a = _mm512_abs_##PS(_mm512_maskz_loadu_##PS(some, row + j));                         \
        nonzero = _mm512_cmp_##PS##_mask(a, zero, _CMP_NEQ_UQ);                               \
        hit = _mm512_mask_cmp_##PS##_mask(nonzero, a, _mm512_loadu_##PS(below + LANES * k),   \
                                          _CMP_LT_OQ);                                        \
        /* (a column left out counts its zeros too: its count is not read) */                \
        zero_lanes = (MASK) (some & ~nonzero);                                                \
        if (zero_lanes) COUNT;                                                                \
        if (k + ahead < n_chunks)                                                             \
            skp_prefetch_ahead(row + first[k + ahead], 0);                                    \
        else if (next && k + ahead - n_chunks < n_chunks)                                     \
            skp_prefetch_ahead(next + first[k + ahead - n_chunks], 0);                        \
        if (hit) {                                                                            \
            const __m512i ids = _mm512_add_epi32(_mm512_set1_epi32((int32_t) j), lane);       \
            STORE_GROUPS;                                                                     \
            VALUES;                                                                           \
            pos += _mm_popcnt_u32((unsigned) hit);                                            \
        }                                                                                     \
    }                                                                                         \
    return pos;                                                                               \
}
SKP_GATHER_CHUNKS512(f32, float, __m512, __mmask16, 16, ps,
    _mm512_storeu_si512((void*) (groups + pos), _mm512_maskz_compress_epi32(hit, ids)),
    _mm512_storeu_pd(values + pos, _mm512_maskz_compress_pd(
        (__mmask8) hit, skp_low8_pd(a)));
    _mm512_storeu_pd(values + pos + _mm_popcnt_u32((unsigned) (hit & 0xff)),
        _mm512_maskz_compress_pd((__mmask8) (hit >> 8), skp_high8_pd(a))),
    _mm512_storeu_si512((void*) (zeros + 16 * k), _mm512_mask_sub_epi32(
        _mm512_loadu_si512((const void*) (zeros + 16 * k)), zero_lanes,
        _mm512_loadu_si512((const void*) (zeros + 16 * k)), _mm512_set1_epi32(-1))))
SKP_GATHER_CHUNKS512(f64, double, __m512d, __mmask8, 8, pd,
    _mm256_storeu_si256((__m256i*) (groups + pos), _mm256_maskz_compress_epi32(
        hit, _mm512_castsi512_si256(ids))),
    _mm512_storeu_pd(values + pos, _mm512_maskz_compress_pd(hit, a)),
    _mm256_storeu_si256((__m256i*) (zeros + 8 * k), _mm256_mask_sub_epi32(
        _mm256_loadu_si256((const __m256i*) (zeros + 8 * k)), zero_lanes,
        _mm256_loadu_si256((const __m256i*) (zeros + 8 * k)), _mm256_set1_epi32(-1))))

/* The pairs of one quad of a chunk (skp_gather_chunks256_*): the magnitudes
 * ``a`` (double) of the lanes of ``mask`` (4 bits) and their columns (the
 * low four lanes of ``ids``), appended at ``pos`` in lane order (whole
 * vectors stored: four slots of room needed). */
SKP_L1INF_AVX2 static inline __attribute__((always_inline)) ptrdiff_t skp_append_quad(
        __m256d a, __m256i ids, int mask, double* values, int32_t* groups, ptrdiff_t pos) {
    _mm256_storeu_pd(values + pos, skp_packed4(a, mask));
    _mm_storeu_si128((__m128i*) (groups + pos), _mm256_castsi256_si128(
        _mm256_permutevar8x32_epi32(ids, _mm256_loadu_si256(
            (const __m256i*) skp_pack4_32[mask]))));
    return pos + _mm_popcnt_u32((unsigned) mask);
}

/* skp_gather_chunks512_f32 with AVX2 alone: the same pairs in the same order
 * and the same zeros, a chunk as two vectors of eight floats (the tests in
 * float against the float bounds, as there), the hits of each quad packed
 * by the permutation tables (_pack_simd.h).  Without it, AVX2 visited each
 * candidate a row at a time (``_l1inf._gather_columns_by_rows``), its
 * lines, scattered along the rows, not prefetched. */
SKP_L1INF_AVX2 static ptrdiff_t skp_gather_chunks256_f32(
        const float* row, const float* next, ptrdiff_t n, const int32_t* first,
        ptrdiff_t n_chunks, const float* below, ptrdiff_t ahead, double* values,
        int32_t* groups, ptrdiff_t pos, int32_t* zeros) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    const __m256 zero = _mm256_setzero_ps();
    for (ptrdiff_t k = 0; k < n_chunks; k++) {
        const ptrdiff_t j = first[k];
        const int whole = j >= 0 && j + 16 <= n;
        __m256 a[2];
        int hit = 0, h;
        for (h = 0; h < 2; h++) {
            const __m256i ids = _mm256_add_epi32(_mm256_set1_epi32((int32_t) (j + 8 * h)),
                                                 lane);
            /* (a chunk's columns before 0 or from n on: masked) */
            const __m256i some = whole ? _mm256_set1_epi32(-1) : _mm256_and_si256(
                _mm256_cmpgt_epi32(ids, _mm256_set1_epi32(-1)),
                _mm256_cmpgt_epi32(_mm256_set1_epi32((int32_t) n), ids));
            __m256 nonzero, zero_lanes;
            a[h] = _mm256_and_ps(magnitude, whole ? _mm256_loadu_ps(row + j + 8 * h)
                                                  : _mm256_maskload_ps(row + j + 8 * h, some));
            nonzero = _mm256_cmp_ps(a[h], zero, _CMP_NEQ_UQ);
            hit |= _mm256_movemask_ps(_mm256_and_ps(nonzero, _mm256_cmp_ps(
                a[h], _mm256_loadu_ps(below + 16 * k + 8 * h), _CMP_LT_OQ))) << (8 * h);
            /* (a column left out counts its zeros too: its count is not read) */
            zero_lanes = _mm256_andnot_ps(nonzero, _mm256_castsi256_ps(some));
            if (_mm256_movemask_ps(zero_lanes)) {
                int32_t* z = zeros + 16 * k + 8 * h;
                _mm256_storeu_si256((__m256i*) z, _mm256_sub_epi32(
                    _mm256_loadu_si256((const __m256i*) z), _mm256_castps_si256(zero_lanes)));
            }
        }
        if (k + ahead < n_chunks)
            skp_prefetch_ahead(row + first[k + ahead], 0);
        else if (next && k + ahead - n_chunks < n_chunks)
            skp_prefetch_ahead(next + first[k + ahead - n_chunks], 0);
        if (hit)
            for (h = 0; h < 4; h++) {
                const __m128 quad = h & 1 ? _mm256_extractf128_ps(a[h / 2], 1)
                                          : _mm256_castps256_ps128(a[h / 2]);
                pos = skp_append_quad(_mm256_cvtps_pd(quad), _mm256_add_epi32(
                    _mm256_set1_epi32((int32_t) (j + 4 * h)), lane), (hit >> (4 * h)) & 15,
                    values, groups, pos);
            }
    }
    return pos;
}

/* The same for float64: a chunk of eight as two quads. */
SKP_L1INF_AVX2 static ptrdiff_t skp_gather_chunks256_f64(
        const double* row, const double* next, ptrdiff_t n, const int32_t* first,
        ptrdiff_t n_chunks, const double* below, ptrdiff_t ahead, double* values,
        int32_t* groups, ptrdiff_t pos, int32_t* zeros) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 0, 0, 0, 0);
    const __m256i lane64 = _mm256_setr_epi64x(0, 1, 2, 3);
    const __m256i narrow = _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6);
    const __m256d magnitude = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
    const __m256d zero = _mm256_setzero_pd();
    for (ptrdiff_t k = 0; k < n_chunks; k++) {
        const ptrdiff_t j = first[k];
        const int whole = j >= 0 && j + 8 <= n;
        __m256d a[2];
        int hit[2], h;
        for (h = 0; h < 2; h++) {
            const __m256i columns = _mm256_add_epi64(_mm256_set1_epi64x(j + 4 * h), lane64);
            const __m256i some = whole ? _mm256_set1_epi64x(-1) : _mm256_and_si256(
                _mm256_cmpgt_epi64(columns, _mm256_set1_epi64x(-1)),
                _mm256_cmpgt_epi64(_mm256_set1_epi64x(n), columns));
            __m256d nonzero, zero_lanes;
            a[h] = _mm256_and_pd(magnitude, whole ? _mm256_loadu_pd(row + j + 4 * h)
                                                  : _mm256_maskload_pd(row + j + 4 * h, some));
            nonzero = _mm256_cmp_pd(a[h], zero, _CMP_NEQ_UQ);
            hit[h] = _mm256_movemask_pd(_mm256_and_pd(nonzero, _mm256_cmp_pd(
                a[h], _mm256_loadu_pd(below + 8 * k + 4 * h), _CMP_LT_OQ)));
            zero_lanes = _mm256_andnot_pd(nonzero, _mm256_castsi256_pd(some));
            if (_mm256_movemask_pd(zero_lanes)) {
                int32_t* z = zeros + 8 * k + 4 * h;
                _mm_storeu_si128((__m128i*) z, _mm_sub_epi32(
                    _mm_loadu_si128((const __m128i*) z), _mm256_castsi256_si128(
                        _mm256_permutevar8x32_epi32(_mm256_castpd_si256(zero_lanes), narrow))));
            }
        }
        if (k + ahead < n_chunks)
            skp_prefetch_ahead(row + first[k + ahead], 0);
        else if (next && k + ahead - n_chunks < n_chunks)
            skp_prefetch_ahead(next + first[k + ahead - n_chunks], 0);
        if (hit[0] | hit[1])
            for (h = 0; h < 2; h++)
                pos = skp_append_quad(a[h], _mm256_add_epi32(
                    _mm256_set1_epi32((int32_t) (j + 4 * h)), lane), hit[h], values, groups,
                    pos);
    }
    return pos;
}

/* Whether the candidate gathers along the lines run: with AVX-512 where its
 * gathers are on, else with AVX2 where the caller asks (``avx2``). */
static inline int skp_l1inf_gathers_chunks(int avx2) {
    return skp_l1inf_avx512 || (avx2 && skp_l1inf_have_avx2());
}

/* skp_gather_chunks512_* where the AVX-512 gathers run, else the AVX2 ones. */
#define SKP_GATHER_CHUNKS_AT_LEVEL(SUFFIX, T)                                                \
static inline ptrdiff_t skp_gather_chunks_##SUFFIX(                                          \
        const T* row, const T* next, ptrdiff_t n, const int32_t* first, ptrdiff_t n_chunks,   \
        const T* below, ptrdiff_t ahead, double* values, int32_t* groups, ptrdiff_t pos,      \
        int32_t* zeros) {                                                                     \
    return (skp_l1inf_avx512 ? skp_gather_chunks512_##SUFFIX : skp_gather_chunks256_##SUFFIX)( \
        row, next, n, first, n_chunks, below, ahead, values, groups, pos, zeros);             \
}
SKP_GATHER_CHUNKS_AT_LEVEL(f32, float)
SKP_GATHER_CHUNKS_AT_LEVEL(f64, double)
#undef SKP_GATHER_CHUNKS_AT_LEVEL



#else

static inline int skp_l1inf_have_avx2(void) { return 0; }
static inline int skp_l1inf_cpu_is_amd(void) { return 0; }
static inline int skp_l1inf_cpu_has_avx512(void) { return 0; }
static inline int skp_l1inf_set_avx512(int on) { return 0; }
static inline double skp_l1inf_row_sum_max_f64(const double* row, ptrdiff_t n,
                                               double* maximum, ptrdiff_t ahead) { return 0.0; }
static inline void skp_l1inf_column_sums_max_f64(const double* base, ptrdiff_t row_stride,
                                                 ptrdiff_t n_rows, ptrdiff_t n_cols,
                                                 double* sums, double* maxima,
                                                 double* squares) {}
static inline void skp_l1inf_column_sums_max_f32(const float* base, ptrdiff_t row_stride,
                                                 ptrdiff_t n_rows, ptrdiff_t n_cols,
                                                 double* sums, double* maxima,
                                                 double* squares) {}
static inline double skp_l1inf_row_sum_max_f32(const float* row, ptrdiff_t n,
                                               double* maximum, ptrdiff_t ahead) { return 0.0; }
static inline ptrdiff_t skp_l1inf_range_row_f64(const double* row, ptrdiff_t n, double lo,
        double hi, double* values, ptrdiff_t pos, double* lanes, ptrdiff_t* count) { return pos; }
static inline ptrdiff_t skp_l1inf_range_row_f32(const float* row, ptrdiff_t n, double lo,
        double hi, double* values, ptrdiff_t pos, double* lanes, ptrdiff_t* count) { return pos; }
static inline ptrdiff_t skp_l1inf_range_columns_f64(
        const double* row, ptrdiff_t row_stride, ptrdiff_t rows, ptrdiff_t n, ptrdiff_t first,
        const double* lo,
        const double* hi, double* count, double* total, double* values, int32_t* groups,
        ptrdiff_t pos) { return pos; }
static inline ptrdiff_t skp_l1inf_range_columns_f32(
        const float* row, ptrdiff_t row_stride, ptrdiff_t rows, ptrdiff_t n, ptrdiff_t first,
        const double* lo,
        const double* hi, double* count, double* total, double* values, int32_t* groups,
        ptrdiff_t pos) { return pos; }

static inline ptrdiff_t skp_l1inf_band_f64(const double* row, ptrdiff_t n, double lo,
                                           double inv_width, double first, double last,
                                           double* values, ptrdiff_t pos) { return pos; }
static inline ptrdiff_t skp_l1inf_band_f32(const float* row, ptrdiff_t n, double lo,
                                           double inv_width, double first, double last,
                                           double* values, ptrdiff_t pos) { return pos; }
static inline void skp_l1inf_slots_f64(const double* row, ptrdiff_t n, double lo,
                                       double inv_width, double top, double* values,
                                       int32_t* slots) {}
static inline void skp_l1inf_slots_f32(const float* row, ptrdiff_t n, double lo,
                                       double inv_width, double top, double* values,
                                       int32_t* slots) {}
static inline ptrdiff_t skp_l1inf_panel_band_f64(
        const double* row, ptrdiff_t n, const double* lo, const double* inv_width,
        const double* first, const double* last, const int32_t* column, double* values,
        int32_t* groups, ptrdiff_t pos) { return pos; }
static inline ptrdiff_t skp_l1inf_panel_band_f32(
        const float* row, ptrdiff_t n, const double* lo, const double* inv_width,
        const double* first, const double* last, const int32_t* column, double* values,
        int32_t* groups, ptrdiff_t pos) { return pos; }
static inline void skp_l1inf_panel_slots_f64(const double* row, ptrdiff_t n,
                                             const double* lo, const double* inv_width,
                                             double top, double* values, int32_t* slots) {}
static inline void skp_l1inf_panel_slots_f32(const float* row, ptrdiff_t n,
                                             const double* lo, const double* inv_width,
                                             double top, double* values, int32_t* slots) {}
static inline int skp_l1inf_gathers_chunks(int avx2) { return 0; }
static inline ptrdiff_t skp_gather_chunks_f32(
        const float* row, const float* next, ptrdiff_t n, const int32_t* first,
        ptrdiff_t n_chunks, const float* below, ptrdiff_t ahead, double* values,
        int32_t* groups, ptrdiff_t pos, int32_t* zeros) { return pos; }
static inline ptrdiff_t skp_gather_chunks_f64(
        const double* row, const double* next, ptrdiff_t n, const int32_t* first,
        ptrdiff_t n_chunks, const double* below, ptrdiff_t ahead, double* values,
        int32_t* groups, ptrdiff_t pos, int32_t* zeros) { return pos; }

#endif
#endif
