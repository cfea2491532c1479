/* AVX2 versions of the streaming loops of the l1 thresholds (see _l1.pyx).
 *
 * The build may not assume any instruction set beyond the baseline (no
 * -march), and gcc emits scalar loops for these: each loop compacts the values
 * it keeps, which no compiler vectorizes.  Here the AVX2 versions are compiled
 * with a per-function target attribute and chosen at run time
 * (skp_have_avx2); elsewhere (other compilers or CPUs) skp_have_avx2() is 0
 * and the Cython loops in _l1.pyx run instead.  Where the CPU also has
 * AVX-512F, the float32 scan runs with it (skp_avx512; skp_set_avx512(0) turns
 * it off for the tests of the AVX2 scan).
 *
 * Every loop computes exactly what its Cython counterpart computes: the
 * comparisons are made on the input's values (a float compared with a float
 * bound that orders it as the double bound does) and the sums are
 * accumulated in double (float32's scan: in float over blocks of 64 values,
 * then in double); float32's soft threshold is computed in float against a
 * two-float tau (see skp_shrink_f32).  Only roundings of that order differ.
 *
 * Compaction ("left-packing"): the lanes kept by a comparison are moved to the
 * front of the vector by one permutation read from a table indexed by the
 * comparison's bit mask, and the whole vector is stored at the write cursor,
 * which then advances by the number of lanes kept.  Every store writes a full
 * vector at or before the values it has read, so the writes stay within the
 * values read (compaction in place is safe) and within a buffer's capacity.
 */
#ifndef SKPROJ_L1_SIMD_H
#define SKPROJ_L1_SIMD_H

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "_cpu.h"

/* The scan of _l1.pyx (struct Scan there): sums, counts, gathered values. */
typedef struct {
    double total;          /* sum of the values (NaN/inf show here) */
    double minimum;
    double count_high;     /* values >= high: number and sum */
    double sum_high;
    ptrdiff_t n_gathered;  /* values in [low, high) in the buffer */
    int overflow;          /* set when they did not fit */
} skp_scan;

/* skp_shrink_f32's arithmetic (tau as the two floats hi + lo, see there) on
 * one value: the loops over strided rows take it where the AVX2 loops run,
 * so that a strided result gets the bits of a contiguous one. */
static inline float skp_shrink_by_two_floats(float value, float hi, float lo, int magnitudes) {
    const float shrunk = ((magnitudes ? fabsf(value) : value) - hi) - lo;
    const float kept = shrunk > 0 ? shrunk : 0.0f;
    return magnitudes ? copysignf(kept, value) : kept;
}

/* The copies, in the sample, of the value nearest above tau (the least of
 * the support) or nearest below (the greatest of the rest), the more tied:
 * tied values (quantized or rounded data) fill the ranks within reach of tau
 * and the bracket's end on one of them, whose copies all count at or above
 * it, holds tau as often as otherwise (few distinct values took S first). */
#define SKP_COPIES_OF_NEAREST(SUFFIX, T)                                                  \
static inline ptrdiff_t skp_copies_of_nearest_##SUFFIX(                                   \
        const T* support, ptrdiff_t n_support, const T* rest, ptrdiff_t n_rest) {         \
    T least = support[0], greatest = n_rest ? rest[0] : (T) 0;                          \
    ptrdiff_t i, above = 0, below = 0;                                                  \
    for (i = 1; i < n_support; i++) least = support[i] < least ? support[i] : least;    \
    for (i = 1; i < n_rest; i++) greatest = rest[i] > greatest ? rest[i] : greatest;    \
    for (i = 0; i < n_support; i++) above += support[i] == least;                       \
    for (i = 0; i < n_rest; i++) below += rest[i] == greatest;                          \
    return above > below ? above : below;                                               \
}
SKP_COPIES_OF_NEAREST(f32, float)
SKP_COPIES_OF_NEAREST(f64, double)
#undef SKP_COPIES_OF_NEAREST

/* The ranks of the sampled bracket's ends below and above the sample's
 * threshold ``tau`` (see _sample_bracket in _l1.pyx; ``support`` the sampled
 * values above tau, ``rest`` the others, ``scaled`` the sample's radius):
 * ``margin`` + ``sigmas`` binomial standard deviations of the support's size,
 * each side widened, where the sample's sum is noisier than its ranks, to
 * the values within ``sigmas`` standard deviations of tau's estimate, at
 * most ``cap`` ranks a side (0: no widening).  The sample's tau solves
 * mean((v - t)+) = scaled / size; to first order its error is that mean's
 * sampling error over the mean's slope, the support's share: sd(tau) =
 * sd((v - tau)+) / sqrt(size) / (n_support / size).  The binomial deviation
 * counts which values the sample drew above tau, not how far above they
 * lie: under heavy tails (Student t, log-normal) a few large values carry
 * the sum, and the binomial bracket missed tau, then a second read of the
 * whole array found it.  The squares summed in double, four chains.
 *
 * ``sum_half`` (where not NULL: the l1 ball's magnitudes) is set, where that
 * bracket is unsure and the sum S of all the values would give a far
 * narrower one, to half the widening it wants over SKP_FAR_SPREAD: the
 * caller then reads S first where its bracket's ends, selected, lie nearer
 * to tau than that (0 elsewhere).  Unsure: its widening wants more than
 * SKP_FAR_SPREAD times ``cap`` ranks a side, and the terms min(v, t) of the
 * bracket through S (``known_total`` in _sample_bracket) spread less than
 * 1 / SKP_SUM_NARROWER as much as the terms (v - t)+, and the values nearest
 * tau are not tied more than ``cap`` times (skp_copies_of_nearest).  A
 * bracket capped that far below what it wants missed tau in about half of
 * the draws (a model of the sample on eight heavy-tailed laws), then a
 * second scan after a plain read of S.  Issue 14, the Zen 5,
 * 10**7 values, single calls interleaved, times a copy, the sampled bracket
 * / S first: log-normal (sigma 1.5) at 50 and 90 % kept, float32 2.07-2.21
 * / 1.66-1.70, float64 2.07-2.18 / 1.87-1.92; Student t(2) where the
 * sampled bracket missed 2.02-2.16 / 1.61-1.87, but where it held 1.34-1.36
 * / 1.63-1.72 (float32), 1.46-1.52 / 1.82-1.89 (float64); Gaussian and
 * Student t(3) values never want this far.  At 0.1 % kept the terms
 * min(v, t) spread as far as the others under heavy tails, and the sampled
 * bracket stays. */
#define SKP_FAR_SPREAD 1.5
#define SKP_SUM_NARROWER 4
#define SKP_BRACKET_SPREADS(SUFFIX, T)                                                    \
static inline void skp_bracket_spreads_##SUFFIX(                                          \
        const T* support, ptrdiff_t n_support, const T* rest, ptrdiff_t n_rest,           \
        double tau, double scaled, double sigmas, ptrdiff_t margin, ptrdiff_t cap,        \
        ptrdiff_t* low_spread, ptrdiff_t* high_spread, double* sum_half) {               \
    const ptrdiff_t size = n_support + n_rest, bulk = n_support - n_support % 4;        \
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, mean, variance, half, e;             \
    double rest_sum = 0.0, rest_squares = 0.0, least_mean, least_variance;              \
    ptrdiff_t i, above = 0, below = 0;                                                  \
    *low_spread = *high_spread = margin + (ptrdiff_t) (                                 \
        sigmas * sqrt(n_support * (1.0 - n_support / (double) size)));                  \
    if (sum_half) *sum_half = 0.0;                                                      \
    if (cap <= 0 || n_support == 0) return;                                             \
    for (i = 0; i < bulk; i += 4) {                                                     \
        e = support[i] - tau;     s0 += e * e;                                          \
        e = support[i + 1] - tau; s1 += e * e;                                          \
        e = support[i + 2] - tau; s2 += e * e;                                          \
        e = support[i + 3] - tau; s3 += e * e;                                          \
    }                                                                                   \
    for (; i < n_support; i++) {                                                        \
        e = support[i] - tau;                                                           \
        s0 += e * e;                                                                    \
    }                                                                                   \
    mean = scaled / size;                                                               \
    variance = ((s0 + s1) + (s2 + s3)) / size - mean * mean;                            \
    if (!(variance > 0.0)) return;   /* (NaN: no widening) */                           \
    half = sigmas * sqrt(variance * size) / n_support;                                  \
    for (i = 0; i < n_support; i++) above += support[i] <= tau + half;                  \
    for (i = 0; i < n_rest; i++) below += rest[i] >= tau - half;                        \
    if (sum_half && (above > SKP_FAR_SPREAD * cap || below > SKP_FAR_SPREAD * cap)) {   \
        /* (min(v, t): tau on the support, the value itself on the rest) */             \
        for (i = 0; i < n_rest; i++) {                                                  \
            rest_sum += rest[i];                                                        \
            rest_squares += (double) rest[i] * rest[i];                                 \
        }                                                                               \
        least_mean = (rest_sum + n_support * tau) / size;                               \
        least_variance = (rest_squares + n_support * tau * tau) / size                  \
                         - least_mean * least_mean;                                     \
        if (SKP_SUM_NARROWER * SKP_SUM_NARROWER * least_variance < variance             \
                && skp_copies_of_nearest_##SUFFIX(support, n_support, rest, n_rest) <= cap) \
            *sum_half = half / SKP_FAR_SPREAD;                                          \
    }                                                                                   \
    if (above > *high_spread) *high_spread = above < cap ? above : cap;                 \
    if (below > *low_spread) *low_spread = below < cap ? below : cap;                   \
}
SKP_BRACKET_SPREADS(f32, float)
SKP_BRACKET_SPREADS(f64, double)
#undef SKP_BRACKET_SPREADS

/* Whether the sampled bracket [low, high) of tau is unsure: an end nearer to
 * tau than skp_bracket_spreads' ``sum_half`` (where it is set); the caller
 * then gives no guess, and S comes first. */
static inline int skp_bracket_unsure(double low, double high, double tau, double sum_half) {
    return sum_half > 0.0 && (high - tau < sum_half || tau - low < sum_half);
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))

#include <immintrin.h>

#include "_float_bounds.h"
#include "_pack_simd.h"
#include "_prefetch.h"
#include "_sort_network.h"
#include "_transpose_simd.h"

#define SKP_AVX2 __attribute__((target("avx2,popcnt")))

static int skp_avx2 = -1;
/* Whether the AVX-512 scan runs (the CPU has AVX-512F; tests may turn it off
 * with skp_set_avx512 to exercise the AVX2 scan). */
static int skp_avx512 = 0;
/* Choices that measured differently on an AMD Zen 5 and an Intel Xeon
 * (Sapphire Rapids class), made as the CPU's maker prefers when the loops
 * are first asked for (skp_have_avx2), switched by skp_set_cpu_choices for
 * the tests and benchmarks.  Neither changes a result.
 *
 * skp_strips: whether the AVX-512 writes of a block in cache whose columns
 * each have their own factor go down strips of columns, the strip's
 * factors held in registers (skp_write_strips512_f32/_f64,
 * skp_shrink_strips512_f32), or along its rows, loading the factors beside
 * the values: strips on AMD CPUs, the rows elsewhere.  Issue 14, C harnesses
 * on 100 x 1000 float32 in L2, the soft-threshold write, times a memcpy:
 * the Zen 5, strips 1.26-1.41, rows 1.35-1.60; the Xeon, strips 1.35-1.85,
 * rows 1.03-1.31, at any offset of the result from the input (so not 4K
 * aliasing; tiles of 4-32 rows of a strip, wider strips and rows two or
 * four at a time were slower still).
 *
 * skp_panels_into_l1: whether bilevel_l11's column passes prefetch the next
 * panel's lines into L1 (and L2) or into L2 only (_kept_lines_ahead in
 * _bilevel.pyx): L1 on AMD CPUs, L2 elsewhere.  Issue 14, single calls
 * interleaved in one process, float32 at 10, 50, 90 % of the groups kept,
 * L2 / L1: the Xeon, 1000 x 10000 0.92-0.94 of the time, 500 x 20000
 * 0.95-0.97, 256 x 40000 0.97-0.99, 2000 x 5000 0.99-1.02, float64 32 x
 * 300000 0.96-0.99; the Zen 5 took 1.0-1.2 times as long. */
static int skp_strips = 0;
static int skp_panels_into_l1 = 1;

/* Whether rows ``stride`` bytes apart are a multiple of 2 KiB apart: a
 * narrow part of each row (a strip, a panel, a pair of groups of columns)
 * then falls, row after row, in the same one or two of L1's 64 sets (12
 * ways), where the lines brought ahead of a write down the rows evict each
 * other before their turn.  The writes down the rows go along the rows
 * there instead (skp_strips_suit; _bilevel.pyx's fused pairs). */
static inline int skp_rows_alias(ptrdiff_t stride) { return stride % 2048 == 0; }

/* Whether the strips (skp_strips) suit a block whose rows lie ``src_stride``
 * and ``dst_stride`` bytes apart: not where either is a multiple of 2 KiB
 * (skp_rows_alias).  Issue 14, the Zen 5, bilevel_l1inf on float32 column
 * groups at half the norm, single calls interleaved, strips / rows: rows of
 * 4 KiB (1024 columns) 1.55-2.39 with 32-256 rows, of 8 KiB 1.71-2.23, of
 * 16 KiB 1.53-1.89; of 2 KiB (512 columns) 1.05-1.25 but for 100 rows,
 * 0.89; float64 rows of 4 KiB 1.68-1.98, of 2 KiB 1.02-1.31; but 0.86-0.99
 * for float32 rows of 1000-1100 columns, 1536 columns (6 KiB) even
 * (0.89-1.09). */
static inline int skp_strips_suit(ptrdiff_t src_stride, ptrdiff_t dst_stride) {
    return skp_strips && !skp_rows_alias(src_stride) && !skp_rows_alias(dst_stride);
}
/* Whether the column maxima and l1 norms of float32 fold with AVX-512
 * (skp_fold_rows512_f32), and long rows' maxima are taken with it
 * (skp_row_max512_f32, _f64), where skp_avx512 allows; a testing switch
 * (the same norms either way). */
static int skp_fold512 = 1;
/* Whether short rows lying one after the other take their norms
 * (skp_short_row_norms256_f32, _f64) and their bi-level writes
 * (skp_write_short_rows256_f32, _f64) a block of rows at a time with AVX2,
 * rather than a row at a time; a testing switch (the same results). */
static int skp_short_rows256 = 1;
/* Whether the AVX-512 row writes realign a misaligned input from its whole
 * lines (skp_write_realigned512_f32, _f64); a testing switch (the same bits
 * either way). */
static int skp_realign = 1;

static inline void skp_prefer_for_cpu(int strips, int panels_into_l1) {
    const int amd = __builtin_cpu_is("amd");
    skp_strips = strips < 0 ? amd : strips;
    skp_panels_into_l1 = panels_into_l1 < 0 ? amd : panels_into_l1;
}

/* Whether the AVX2 loops may run. */
static inline int skp_have_avx2(void) {
    if (skp_avx2 < 0) {
        __builtin_cpu_init();
        skp_avx2 = SKP_CPU_HAS("avx2") && SKP_CPU_HAS("popcnt");
        skp_avx512 = skp_avx2 && SKP_CPU_HAS("avx512f");
        skp_prefer_for_cpu(-1, -1);
    }
    return skp_avx2;
}

/* Testing hook: each choice above forced (0 or 1) or as the CPU prefers (-1). */
static inline void skp_set_cpu_choices(int strips, int panels_into_l1) {
    skp_have_avx2();
    skp_prefer_for_cpu(strips, panels_into_l1);
}

/* Turn the AVX-512 scan on (where the CPU has it) or off; returns whether it
 * runs.  The CPU's detection first, whatever ``on``: run later, by the
 * module's first call, it would turn the loops back on. */
static inline int skp_set_avx512(int on) {
    const int avx2 = skp_have_avx2();
    skp_avx512 = on && avx2 && SKP_CPU_HAS("avx512f");
    return skp_avx512;
}

SKP_AVX2 static inline __m256d skp_low_pd(__m256 v) {
    return _mm256_cvtps_pd(_mm256_castps256_ps128(v));
}

SKP_AVX2 static inline __m256d skp_high_pd(__m256 v) {
    return _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
}

SKP_AVX2 static inline double skp_hsum(__m256d a) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

SKP_AVX2 static inline double skp_hmin(__m256d a) {
    __m128d s = _mm_min_pd(_mm256_castpd256_pd128(a), _mm256_extractf128_pd(a, 1));
    return _mm_cvtsd_f64(_mm_min_sd(s, _mm_unpackhi_pd(s, s)));
}

/* One value of a scan's tail (``value`` already |y| for the l1 ball): the
 * sums and counts; returns whether it goes to the buffer at k - 1 (k is then
 * advanced), stopping the gather on overflow. */
static inline int skp_scan_value(double value, double low, double high, skp_scan* scan,
                                 ptrdiff_t* k, ptrdiff_t capacity) {
    scan->total += value;
    if (value < scan->minimum) scan->minimum = value;
    if (value >= high) {
        scan->count_high += 1.0;
        scan->sum_high += value;
        return 0;
    }
    if (value < low || scan->overflow) return 0;
    if (*k + 1 > capacity) {
        scan->overflow = 1;
        return 0;
    }
    *k += 1;
    return 1;
}

/* ------------------------------------------------------------------ the scan
 * One contiguous row into ``scan``: the total, the minimum, the number and
 * sum of the values >= high, and the values in [low, high) appended to
 * ``buffer`` (``capacity`` values; on overflow, gathering stops and
 * ``overflow`` is set).  ``magnitudes``: the values are |y| (else y). */

/* One vector of 8 values (``v``: |y| or y) into the running sums ``total``,
 * ``above`` (of the values >= high), ``count`` (their number, negated) and
 * ``minimum``, and its values in [low, high) appended at buffer[*k]
 * (``checked``: only when 8 more fit, else gathering stops; unchecked, the
 * caller knows they fit). */
SKP_AVX2 static inline __attribute__((always_inline)) void skp_scan8_f32(
        __m256 v, __m256 low_v, __m256 high_v, __m256* total, __m256* above, __m256i* count,
        __m256* minimum, const int magnitudes, const int checked, float* buffer, ptrdiff_t* k,
        ptrdiff_t capacity, int* gather, skp_scan* scan) {
    __m256 is_high = _mm256_cmp_ps(v, high_v, _CMP_GE_OQ);
    __m256 inside = _mm256_andnot_ps(is_high, _mm256_cmp_ps(v, low_v, _CMP_GE_OQ));
    int mask;
    *total = _mm256_add_ps(*total, v);
    *above = _mm256_add_ps(*above, _mm256_and_ps(v, is_high));
    *count = _mm256_add_epi32(*count, _mm256_castps_si256(is_high));
    if (!magnitudes) *minimum = _mm256_min_ps(*minimum, v);
    if (checked) {
        if (!*gather) return;
        if (*k + 8 > capacity) {
            if (_mm256_movemask_ps(inside)) { *gather = 0; scan->overflow = 1; }
            return;
        }
    }
    mask = _mm256_movemask_ps(inside);
    _mm256_storeu_ps(buffer + *k, _mm256_permutevar8x32_ps(
        v, _mm256_loadu_si256((const __m256i*) skp_pack8[mask])));
    *k += _mm_popcnt_u32((unsigned) mask);
}

/* Blocks of 64 values: each lane sums its 8 values of a block in float (a
 * relative error below 2**-21 of a block's sum, far inside the float32
 * input's own rounding), the blocks' sums are added in double.  Two sets of
 * sums, one per vector of a pair, so that no chain of additions waits on
 * the previous vector; a block whose gathered values surely fit skips the
 * capacity checks.  Returns where the blocks end. */
SKP_AVX2 static inline __attribute__((always_inline)) ptrdiff_t skp_scan_blocks_f32(
        const float* row, ptrdiff_t n, __m256 low_v, __m256 high_v, const int magnitudes,
        skp_scan* scan, float* buffer, ptrdiff_t capacity, ptrdiff_t* k_io, int* gather) {
    const __m256 sign = _mm256_set1_ps(magnitudes ? -0.0f : 0.0f);
    __m256d totals = _mm256_setzero_pd(), aboves = _mm256_setzero_pd();
    __m256 total0, total1, above0, above1;
    __m256 minimum0 = _mm256_set1_ps(INFINITY), minimum1 = minimum0;
    __m256i count = _mm256_setzero_si256();
    ptrdiff_t j = 0, k = *k_io, n_high = 0, block_end;
    int32_t lanes[8];
    int lane, checked;
    while (j + 64 <= n) {
        total0 = total1 = above0 = above1 = _mm256_setzero_ps();
        checked = !(*gather && k + 64 <= capacity);
        for (block_end = j + 64; j < block_end; j += 16) {
            __m256 v0 = _mm256_andnot_ps(sign, _mm256_loadu_ps(row + j));
            __m256 v1 = _mm256_andnot_ps(sign, _mm256_loadu_ps(row + j + 8));
            if (checked) {
                skp_scan8_f32(v0, low_v, high_v, &total0, &above0, &count, &minimum0,
                              magnitudes, 1, buffer, &k, capacity, gather, scan);
                skp_scan8_f32(v1, low_v, high_v, &total1, &above1, &count, &minimum1,
                              magnitudes, 1, buffer, &k, capacity, gather, scan);
            } else {
                skp_scan8_f32(v0, low_v, high_v, &total0, &above0, &count, &minimum0,
                              magnitudes, 0, buffer, &k, capacity, gather, scan);
                skp_scan8_f32(v1, low_v, high_v, &total1, &above1, &count, &minimum1,
                              magnitudes, 0, buffer, &k, capacity, gather, scan);
            }
        }
        total0 = _mm256_add_ps(total0, total1);
        above0 = _mm256_add_ps(above0, above1);
        totals = _mm256_add_pd(totals, _mm256_add_pd(skp_low_pd(total0), skp_high_pd(total0)));
        aboves = _mm256_add_pd(aboves, _mm256_add_pd(skp_low_pd(above0), skp_high_pd(above0)));
        if ((j & ((1 << 28) - 1)) == 0) {   /* int32 lane counters: flush now and then */
            _mm256_storeu_si256((__m256i*) lanes, count);
            for (lane = 0; lane < 8; lane++) n_high -= lanes[lane];
            count = _mm256_setzero_si256();
        }
    }
    _mm256_storeu_si256((__m256i*) lanes, count);
    for (lane = 0; lane < 8; lane++) n_high -= lanes[lane];
    scan->total += skp_hsum(totals);
    scan->sum_high += skp_hsum(aboves);
    scan->count_high += (double) n_high;
    if (!magnitudes) {
        __m256 m = _mm256_min_ps(minimum0, minimum1);
        double least = skp_hmin(_mm256_min_pd(skp_low_pd(m), skp_high_pd(m)));
        if (least < scan->minimum) scan->minimum = least;
    }
    *k_io = k;
    return j;
}

/* The same blocks with AVX-512F: 16 values a vector, and the compaction is
 * one instruction (vcompressps) instead of a table's permutation, which
 * makes the scan of data in cache about a third faster.  Blocks of 128
 * values: each lane sums its 8 values of a block in float, as above.
 *
 * A function of this target never tests skp_avx512 itself: gcc may place
 * AVX-512 instructions (a broadcast of an argument, a zeroed register)
 * before its first statement, which a CPU without AVX-512F traps on
 * (SIGILL, seen on a Zen 3).  The test lives in a plain function that
 * calls it (where the plain one keeps the public name, the AVX-512 one is
 * ``_unguarded``). */
#define SKP_AVX512 __attribute__((target("avx512f,avx2,popcnt")))

SKP_AVX512 static inline __attribute__((always_inline)) void skp_scan16_f32(
        __m512 v, __m512 low_v, __m512 high_v, __m512* total, __m512* above,
        __m512i* count, __m512* minimum, const int magnitudes, const int checked,
        float* buffer, ptrdiff_t* k, ptrdiff_t capacity, int* gather, skp_scan* scan) {
    __mmask16 is_high = _mm512_cmp_ps_mask(v, high_v, _CMP_GE_OQ);
    __mmask16 inside = _mm512_mask_cmp_ps_mask((__mmask16) ~is_high, v, low_v, _CMP_GE_OQ);
    *total = _mm512_add_ps(*total, v);
    *above = _mm512_mask_add_ps(*above, is_high, *above, v);
    *count = _mm512_mask_add_epi32(*count, is_high, *count, _mm512_set1_epi32(1));
    if (!magnitudes) *minimum = _mm512_min_ps(*minimum, v);
    if (checked) {
        if (!*gather) return;
        if (*k + 16 > capacity) {
            if (inside) { *gather = 0; scan->overflow = 1; }
            return;
        }
    }
    _mm512_storeu_ps(buffer + *k, _mm512_maskz_compress_ps(inside, v));
    *k += _mm_popcnt_u32((unsigned) inside);
}

SKP_AVX512 static inline __attribute__((always_inline)) ptrdiff_t skp_scan_blocks512_f32_(
        const float* row, ptrdiff_t n, float low, float high, const int magnitudes,
        skp_scan* scan, float* buffer, ptrdiff_t capacity, ptrdiff_t* k_io, int* gather) {
    const __m512 low_v = _mm512_set1_ps(low), high_v = _mm512_set1_ps(high);
    __m512d totals = _mm512_setzero_pd(), aboves = _mm512_setzero_pd();
    __m512 total0, total1, above0, above1;
    __m512 minimum0 = _mm512_set1_ps(INFINITY), minimum1 = minimum0;
    __m512i count = _mm512_setzero_si512();
    const ptrdiff_t ahead = skp_ahead_for(n * (ptrdiff_t) sizeof(float));
    ptrdiff_t j = 0, k = *k_io, n_high = 0, block_end;
    int checked;
    while (j + 128 <= n) {
        total0 = total1 = above0 = above1 = _mm512_setzero_ps();
        checked = !(*gather && k + 128 <= capacity);
        for (block_end = j + 128; j < block_end; j += 32) {
            __m512 v0 = _mm512_loadu_ps(row + j), v1 = _mm512_loadu_ps(row + j + 16);
            if (ahead) {
                skp_prefetch_ahead(row + j, ahead);
                skp_prefetch_ahead(row + j + 16, ahead);
            }
            if (magnitudes) {
                v0 = _mm512_abs_ps(v0);
                v1 = _mm512_abs_ps(v1);
            }
            if (checked) {
                skp_scan16_f32(v0, low_v, high_v, &total0, &above0, &count, &minimum0,
                               magnitudes, 1, buffer, &k, capacity, gather, scan);
                skp_scan16_f32(v1, low_v, high_v, &total1, &above1, &count, &minimum1,
                               magnitudes, 1, buffer, &k, capacity, gather, scan);
            } else {
                skp_scan16_f32(v0, low_v, high_v, &total0, &above0, &count, &minimum0,
                               magnitudes, 0, buffer, &k, capacity, gather, scan);
                skp_scan16_f32(v1, low_v, high_v, &total1, &above1, &count, &minimum1,
                               magnitudes, 0, buffer, &k, capacity, gather, scan);
            }
        }
        total0 = _mm512_add_ps(total0, total1);
        above0 = _mm512_add_ps(above0, above1);
        totals = _mm512_add_pd(totals, _mm512_add_pd(
            _mm512_cvtps_pd(_mm512_castps512_ps256(total0)),
            _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(total0), 1)))));
        aboves = _mm512_add_pd(aboves, _mm512_add_pd(
            _mm512_cvtps_pd(_mm512_castps512_ps256(above0)),
            _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(above0), 1)))));
        if ((j & ((1 << 28) - 1)) == 0) {   /* int32 lane counters: flush now and then */
            n_high += _mm512_reduce_add_epi32(count);
            count = _mm512_setzero_si512();
        }
    }
    n_high += _mm512_reduce_add_epi32(count);
    scan->total += _mm512_reduce_add_pd(totals);
    scan->sum_high += _mm512_reduce_add_pd(aboves);
    scan->count_high += (double) n_high;
    if (!magnitudes) {
        double least = (double) _mm512_reduce_min_ps(_mm512_min_ps(minimum0, minimum1));
        if (least < scan->minimum) scan->minimum = least;
    }
    *k_io = k;
    return j;
}

/* (called from the AVX2 function below: not inlined there, whose target lacks AVX-512) */
SKP_AVX512 static ptrdiff_t skp_scan_blocks512_f32(
        const float* row, ptrdiff_t n, float low, float high, int magnitudes,
        skp_scan* scan, float* buffer, ptrdiff_t capacity, ptrdiff_t* k_io, int* gather) {
    if (magnitudes)
        return skp_scan_blocks512_f32_(row, n, low, high, 1, scan, buffer, capacity, k_io, gather);
    return skp_scan_blocks512_f32_(row, n, low, high, 0, scan, buffer, capacity, k_io, gather);
}

SKP_AVX2 static inline void skp_scan_f32(const float* row, ptrdiff_t n, double low, double high,
                                  int magnitudes, skp_scan* scan, float* buffer,
                                  ptrdiff_t capacity) {
    /* ``high`` may be +inf (no bound): v >= inf only for inf, which the total reports. */
    const __m256 low_v = _mm256_set1_ps(low <= -DBL_MAX ? -INFINITY : skp_float_above(low));
    const __m256 high_v = _mm256_set1_ps(high >= DBL_MAX ? INFINITY : skp_float_above(high));
    ptrdiff_t j, k = scan->n_gathered;
    int gather = !scan->overflow;
    float value;
    /* (two copies of each loop: with the sign cleared, and with the minimum) */
    if (skp_avx512)
        j = skp_scan_blocks512_f32(row, n, _mm256_cvtss_f32(low_v), _mm256_cvtss_f32(high_v),
                                   magnitudes, scan, buffer, capacity, &k, &gather);
    else if (magnitudes)
        j = skp_scan_blocks_f32(row, n, low_v, high_v, 1, scan, buffer, capacity, &k, &gather);
    else
        j = skp_scan_blocks_f32(row, n, low_v, high_v, 0, scan, buffer, capacity, &k, &gather);
    for (; j < n; j++) {
        value = magnitudes ? fabsf(row[j]) : row[j];
        if (skp_scan_value(value, _mm256_cvtss_f32(low_v), _mm256_cvtss_f32(high_v),
                           scan, &k, capacity))
            buffer[k - 1] = value;
    }
    scan->n_gathered = k;
}

/* skp_scan_f64's blocks of eight with AVX-512F, the same bits: lanes 0-3 of
 * the vector accumulators are the AVX2 loop's first accumulators (the first
 * four values of each block), lanes 4-7 its second ones; the values above
 * ``high`` are added as the AVX2 loop adds them (the others as +0.0); the
 * values in [low, high) are compressed in one instruction where the AVX2
 * loop looked up a permutation.  Near a full buffer, each half of a block
 * is gathered or refused as the AVX2 loop does it, four values at a time,
 * so that the same values are gathered and the same overflow is reported.
 * Returns where the blocks end; the AVX2 caller takes the sums in its
 * accumulators (``totals``, ``aboves``: two vectors each, ``minimum``),
 * adds ``n_high`` and does the rest.  (An Intel Xeon, perf: the AVX2 scan
 * took about 55 % of project_l1_ball on 10**7 float64 values, most of it
 * on the permutation's load and shuffle before each store.) */
SKP_AVX512 static inline __attribute__((always_inline)) ptrdiff_t skp_scan_blocks512_f64_(
        const double* row, ptrdiff_t n, double low, double high, const int magnitudes,
        skp_scan* scan, double* buffer, ptrdiff_t capacity, ptrdiff_t* k_io, int* gather,
        __m256d* totals, __m256d* aboves, __m256d* minimum, int64_t* n_high) {
    const __m512d low_v = _mm512_set1_pd(low), high_v = _mm512_set1_pd(high);
    __m512d total = _mm512_setzero_pd(), above = total, least = _mm512_set1_pd(INFINITY);
    __m512i count = _mm512_setzero_si512();
    const ptrdiff_t ahead = skp_ahead_for(n * (ptrdiff_t) sizeof(double));
    ptrdiff_t j = 0, k = *k_io;
    int half;
    for (; j + 8 <= n; j += 8) {
        __m512d v = _mm512_loadu_pd(row + j);
        __mmask8 is_high, inside;
        if (ahead) skp_prefetch_ahead(row + j, ahead);
        if (magnitudes) v = _mm512_abs_pd(v);
        is_high = _mm512_cmp_pd_mask(v, high_v, _CMP_GE_OQ);
        inside = _mm512_mask_cmp_pd_mask((__mmask8) ~is_high, v, low_v, _CMP_GE_OQ);
        total = _mm512_add_pd(total, v);
        above = _mm512_add_pd(above, _mm512_maskz_mov_pd(is_high, v));
        count = _mm512_mask_add_epi64(count, is_high, count, _mm512_set1_epi64(1));
        if (!magnitudes) least = _mm512_min_pd(least, v);
        if (!*gather) continue;
        if (k + 8 <= capacity) {
            _mm512_storeu_pd(buffer + k, _mm512_maskz_compress_pd(inside, v));
            k += _mm_popcnt_u32((unsigned) inside);
            continue;
        }
        for (half = 0; half < 2 && *gather; half++) {
            const __mmask8 part = (__mmask8) (inside & (half ? 0xf0 : 0x0f));
            if (k + 4 > capacity) {
                if (part) { *gather = 0; scan->overflow = 1; }
            } else {
                _mm512_mask_storeu_pd(buffer + k, (__mmask8) 0x0f,
                                      _mm512_maskz_compress_pd(part, v));
                k += _mm_popcnt_u32((unsigned) part);
            }
        }
    }
    totals[0] = _mm512_castpd512_pd256(total);
    totals[1] = _mm512_extractf64x4_pd(total, 1);
    aboves[0] = _mm512_castpd512_pd256(above);
    aboves[1] = _mm512_extractf64x4_pd(above, 1);
    *minimum = _mm256_min_pd(_mm512_castpd512_pd256(least), _mm512_extractf64x4_pd(least, 1));
    *n_high = _mm512_reduce_add_epi64(count);
    *k_io = k;
    return j;
}

/* (called from the AVX2 function below: not inlined there, whose target lacks AVX-512) */
SKP_AVX512 static ptrdiff_t skp_scan_blocks512_f64(
        const double* row, ptrdiff_t n, double low, double high, int magnitudes,
        skp_scan* scan, double* buffer, ptrdiff_t capacity, ptrdiff_t* k_io, int* gather,
        __m256d* totals, __m256d* aboves, __m256d* minimum, int64_t* n_high) {
    if (magnitudes)
        return skp_scan_blocks512_f64_(row, n, low, high, 1, scan, buffer, capacity, k_io,
                                       gather, totals, aboves, minimum, n_high);
    return skp_scan_blocks512_f64_(row, n, low, high, 0, scan, buffer, capacity, k_io, gather,
                                   totals, aboves, minimum, n_high);
}

SKP_AVX2 static inline void skp_scan_f64(const double* row, ptrdiff_t n, double low, double high,
                                  int magnitudes, skp_scan* scan, double* buffer,
                                  ptrdiff_t capacity) {
    const __m256d sign = _mm256_set1_pd(magnitudes ? -0.0 : 0.0);
    const __m256d low_v = _mm256_set1_pd(low <= -DBL_MAX ? -INFINITY : low);
    const __m256d high_v = _mm256_set1_pd(high >= DBL_MAX ? INFINITY : high);
    __m256d total0 = _mm256_setzero_pd(), total1 = _mm256_setzero_pd();
    __m256d above0 = _mm256_setzero_pd(), above1 = _mm256_setzero_pd();
    __m256d minimum = _mm256_set1_pd(INFINITY);
    __m256i count = _mm256_setzero_si256();
    ptrdiff_t j = 0, k = scan->n_gathered, n_high = 0;
    int gather = !scan->overflow, half;
    double value;
    if (skp_avx512) {
        __m256d totals[2], aboves[2];
        int64_t high_count;
        j = skp_scan_blocks512_f64(row, n, _mm256_cvtsd_f64(low_v), _mm256_cvtsd_f64(high_v),
                                   magnitudes, scan, buffer, capacity, &k, &gather, totals,
                                   aboves, &minimum, &high_count);
        total0 = totals[0];
        total1 = totals[1];
        above0 = aboves[0];
        above1 = aboves[1];
        n_high = high_count;
    }
    for (; j + 8 <= n; j += 8) {
        for (half = 0; half < 2; half++) {
            __m256d v = _mm256_andnot_pd(sign, _mm256_loadu_pd(row + j + 4 * half));
            __m256d is_high = _mm256_cmp_pd(v, high_v, _CMP_GE_OQ);
            __m256d inside = _mm256_andnot_pd(is_high, _mm256_cmp_pd(v, low_v, _CMP_GE_OQ));
            if (half) {
                total1 = _mm256_add_pd(total1, v);
                above1 = _mm256_add_pd(above1, _mm256_and_pd(v, is_high));
            } else {
                total0 = _mm256_add_pd(total0, v);
                above0 = _mm256_add_pd(above0, _mm256_and_pd(v, is_high));
            }
            count = _mm256_sub_epi64(count, _mm256_castpd_si256(is_high));
            if (!magnitudes) minimum = _mm256_min_pd(minimum, v);
            if (gather) {
                if (k + 4 > capacity) {
                    if (_mm256_movemask_pd(inside)) { gather = 0; scan->overflow = 1; }
                } else {
                    int mask = _mm256_movemask_pd(inside);
                    _mm256_storeu_pd(buffer + k, skp_packed4(v, mask));
                    k += _mm_popcnt_u32((unsigned) mask);
                }
            }
        }
    }
    {
        int64_t lanes[4];
        int lane;
        _mm256_storeu_si256((__m256i*) lanes, count);
        for (lane = 0; lane < 4; lane++) n_high += lanes[lane];
    }
    scan->total += skp_hsum(_mm256_add_pd(total0, total1));
    scan->sum_high += skp_hsum(_mm256_add_pd(above0, above1));
    if (!magnitudes) {
        double m = skp_hmin(minimum);
        if (m < scan->minimum) scan->minimum = m;
    }
    scan->count_high += (double) n_high;
    for (; j < n; j++) {
        value = magnitudes ? fabs(row[j]) : row[j];
        if (skp_scan_value(value, _mm256_cvtsd_f64(low_v), _mm256_cvtsd_f64(high_v),
                           scan, &k, capacity))
            buffer[k - 1] = value;
    }
    scan->n_gathered = k;
}

/* ------------------------------------------------- the gathered values' sums
 * sum(values) and, unless ``low`` is -DBL_MAX, *excess = sum(values - low), in
 * double (the sums of _l1.pyx's _sum_and_excess, four lanes at a time). */

SKP_AVX2 static inline double skp_sum_and_excess_f32(const float* values, ptrdiff_t n, double low,
                                                     double* excess) {
    const __m256d low_v = _mm256_set1_pd(low <= -DBL_MAX ? 0.0 : low);
    __m256d total0 = _mm256_setzero_pd(), total1 = total0, excess0 = total0, excess1 = total0;
    double total, rest = 0.0, rest_excess = 0.0;
    ptrdiff_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256d a = _mm256_cvtps_pd(_mm_loadu_ps(values + j));
        __m256d b = _mm256_cvtps_pd(_mm_loadu_ps(values + j + 4));
        total0 = _mm256_add_pd(total0, a);
        total1 = _mm256_add_pd(total1, b);
        excess0 = _mm256_add_pd(excess0, _mm256_sub_pd(a, low_v));
        excess1 = _mm256_add_pd(excess1, _mm256_sub_pd(b, low_v));
    }
    for (; j < n; j++) {
        rest += values[j];
        rest_excess += values[j] - low;
    }
    total = skp_hsum(_mm256_add_pd(total0, total1)) + rest;
    if (low > -DBL_MAX) *excess = skp_hsum(_mm256_add_pd(excess0, excess1)) + rest_excess;
    return total;
}

SKP_AVX2 static inline double skp_sum_and_excess_f64(const double* values, ptrdiff_t n,
                                                     double low, double* excess) {
    const __m256d low_v = _mm256_set1_pd(low <= -DBL_MAX ? 0.0 : low);
    __m256d total0 = _mm256_setzero_pd(), total1 = total0, excess0 = total0, excess1 = total0;
    double total, rest = 0.0, rest_excess = 0.0;
    ptrdiff_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256d a = _mm256_loadu_pd(values + j), b = _mm256_loadu_pd(values + j + 4);
        total0 = _mm256_add_pd(total0, a);
        total1 = _mm256_add_pd(total1, b);
        excess0 = _mm256_add_pd(excess0, _mm256_sub_pd(a, low_v));
        excess1 = _mm256_add_pd(excess1, _mm256_sub_pd(b, low_v));
    }
    for (; j < n; j++) {
        rest += values[j];
        rest_excess += values[j] - low;
    }
    total = skp_hsum(_mm256_add_pd(total0, total1)) + rest;
    if (low > -DBL_MAX) *excess = skp_hsum(_mm256_add_pd(excess0, excess1)) + rest_excess;
    return total;
}

/* sum(max(values, 0)) in double, eight lanes (a simplex of signed values,
 * whose tau is positive where this exceeds the radius: _l1.pyx's retry). */
#define SKP_POSITIVE_SUM(SUFFIX, T, LOAD4)                                             \
SKP_AVX2 static inline double skp_positive_sum_##SUFFIX(const T* values, ptrdiff_t n) { \
    const __m256d zero = _mm256_setzero_pd();                                          \
    __m256d total0 = zero, total1 = zero;                                              \
    double rest = 0.0;                                                                 \
    ptrdiff_t j = 0;                                                                   \
    for (; j + 8 <= n; j += 8) {                                                       \
        total0 = _mm256_add_pd(total0, _mm256_max_pd(LOAD4(values + j), zero));        \
        total1 = _mm256_add_pd(total1, _mm256_max_pd(LOAD4(values + j + 4), zero));    \
    }                                                                                  \
    for (; j < n; j++)                                                                 \
        rest += values[j] > 0 ? values[j] : 0.0;                                       \
    return skp_hsum(_mm256_add_pd(total0, total1)) + rest;                             \
}
#define SKP_LOAD4_F32(p) _mm256_cvtps_pd(_mm_loadu_ps(p))
SKP_POSITIVE_SUM(f32, float, SKP_LOAD4_F32)
SKP_POSITIVE_SUM(f64, double, _mm256_loadu_pd)

/* --------------------------------------------------------------- compaction
 * Keep (in place, in order) the values of ``values[0:n]`` above ``rho``;
 * return how many, and their sum in ``*sum``.  With ``magnitudes`` the kept
 * values are |values| (``dst`` may then be another buffer: the gather of a
 * group's magnitudes, ``src`` strided by ``step``).  ``dst`` holds n values. */

/* The lanes of ``v`` under an 8-bit ``mask`` appended at dst[k] in order (a
 * whole vector stored); returns the cursor past them. */
SKP_AVX2 static inline ptrdiff_t skp_pack_store8(__m256 v, int mask, float* dst, ptrdiff_t k) {
    __m256i order = _mm256_loadu_si256((const __m256i*) skp_pack8[mask]);
    _mm256_storeu_ps(dst + k, _mm256_permutevar8x32_ps(v, order));
    return k + _mm_popcnt_u32((unsigned) mask);
}

/* One vector's step: append the lanes of v above rho at dst[k], add them to the sums. */
SKP_AVX2 static inline ptrdiff_t skp_keep8(__m256 v, __m256 rho_v, float* dst, ptrdiff_t k,
                                           __m256* sum) {
    __m256 keep = _mm256_cmp_ps(v, rho_v, _CMP_GT_OQ);
    *sum = _mm256_add_ps(*sum, _mm256_and_ps(v, keep));
    return skp_pack_store8(v, _mm256_movemask_ps(keep), dst, k);
}

/* The lanes of ``v`` under a 4-bit ``mask`` appended at dst[k] in order (a
 * whole vector stored, see _pack_simd.h); returns the cursor past them. */
SKP_AVX2 static inline ptrdiff_t skp_pack_store4(__m256d v, int mask, double* dst, ptrdiff_t k) {
    _mm256_storeu_pd(dst + k, skp_packed4(v, mask));
    return k + _mm_popcnt_u32((unsigned) mask);
}

SKP_AVX2 static inline ptrdiff_t skp_keep4(__m256d v, __m256d rho_v, double* dst, ptrdiff_t k,
                                           __m256d* sum) {
    __m256d keep = _mm256_cmp_pd(v, rho_v, _CMP_GT_OQ);
    *sum = _mm256_add_pd(*sum, _mm256_and_pd(v, keep));
    return skp_pack_store4(v, _mm256_movemask_pd(keep), dst, k);
}

/* The sum in double of values whose float blocks' sum overflowed (their
 * sum exceeds FLT_MAX: rare, so the blocks are summed again in double). */
static inline double skp_sum_f32(const float* values, ptrdiff_t n) {
    double total = 0.0;
    ptrdiff_t j;
    for (j = 0; j < n; j++) total += values[j];
    return total;
}

SKP_AVX2 static inline ptrdiff_t skp_keep_above_f32(const float* src, ptrdiff_t n, ptrdiff_t step,
                                             double rho, int magnitudes, float* dst,
                                             double* sum) {
    const __m256 sign = _mm256_set1_ps(magnitudes ? -0.0f : 0.0f);
    const float bound = skp_float_below(rho);
    const __m256 rho_v = _mm256_set1_ps(bound);
    /* a column: eight strided values per hardware gather */
    const __m256i lanes = _mm256_mullo_epi32(_mm256_set1_epi32((int32_t) step),
                                             _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    __m256d sum0 = _mm256_setzero_pd(), sum1 = _mm256_setzero_pd();
    ptrdiff_t j = 0, k = 0, vectors;
    float value;
    if (step == 1 || (step > 0 && step <= INT32_MAX / 8)) {
        /* The kept values are summed in float over blocks of 8 vectors, as in the
         * scan; two sums, alternating, so that no addition waits on the last. */
        while (j + 8 <= n) {
            __m256 block0 = _mm256_setzero_ps(), block1 = _mm256_setzero_ps(), v;
            for (vectors = 0; vectors < 8 && j + 16 <= n; vectors += 2, j += 16) {
                v = step == 1 ? _mm256_loadu_ps(src + j)
                              : _mm256_i32gather_ps(src + j * step, lanes, 4);
                k = skp_keep8(_mm256_andnot_ps(sign, v), rho_v, dst, k, &block0);
                v = step == 1 ? _mm256_loadu_ps(src + j + 8)
                              : _mm256_i32gather_ps(src + (j + 8) * step, lanes, 4);
                k = skp_keep8(_mm256_andnot_ps(sign, v), rho_v, dst, k, &block1);
            }
            if (vectors < 8 && j + 8 <= n) {
                v = step == 1 ? _mm256_loadu_ps(src + j)
                              : _mm256_i32gather_ps(src + j * step, lanes, 4);
                k = skp_keep8(_mm256_andnot_ps(sign, v), rho_v, dst, k, &block0);
                j += 8;
            }
            block0 = _mm256_add_ps(block0, block1);
            sum0 = _mm256_add_pd(sum0, skp_low_pd(block0));
            sum1 = _mm256_add_pd(sum1, skp_high_pd(block0));
        }
    }
    *sum = skp_hsum(_mm256_add_pd(sum0, sum1));
    if (isinf(*sum)) *sum = skp_sum_f32(dst, k);
    for (; j < n; j++) {   /* branch-free: whether a value is kept is unpredictable */
        value = magnitudes ? fabsf(src[j * step]) : src[j * step];
        dst[k] = value;
        *sum += value > bound ? (double) value : 0.0;
        k += value > bound;
    }
    return k;
}

SKP_AVX2 static inline ptrdiff_t skp_keep_above_f64(const double* src, ptrdiff_t n, ptrdiff_t step,
                                             double rho, int magnitudes, double* dst,
                                             double* sum) {
    const __m256d sign = _mm256_set1_pd(magnitudes ? -0.0 : 0.0);
    const __m256d rho_v = _mm256_set1_pd(rho);
    __m256d sum0 = _mm256_setzero_pd();
    ptrdiff_t j = 0, k = 0;
    double value;
    if (step == 1) {
        for (; j + 4 <= n; j += 4) {
            __m256d v = _mm256_andnot_pd(sign, _mm256_loadu_pd(src + j));
            k = skp_keep4(v, rho_v, dst, k, &sum0);
        }
    } else if (step > 0 && step <= INT32_MAX / 4) {
        /* a column: four strided values per hardware gather */
        const __m128i lanes = _mm_mullo_epi32(_mm_set1_epi32((int32_t) step),
                                              _mm_setr_epi32(0, 1, 2, 3));
        for (; j + 4 <= n; j += 4) {
            __m256d v = _mm256_andnot_pd(sign, _mm256_i32gather_pd(src + j * step, lanes, 8));
            k = skp_keep4(v, rho_v, dst, k, &sum0);
        }
    }
    *sum = skp_hsum(sum0);
    for (; j < n; j++) {   /* branch-free: whether a value is kept is unpredictable */
        value = magnitudes ? fabs(src[j * step]) : src[j * step];
        dst[k] = value;
        *sum += value > rho ? value : 0.0;
        k += value > rho;
    }
    return k;
}

/* ------------------------------------------------- threshold of a short group
 * Michelot's iteration on n float values without compacting them: each pass
 * counts and sums the values above rho in registers (short vectors stay in
 * L1), then moves rho to (sum - radius) / count; stops when the count no
 * longer drops.  ``fixed_count`` more values, of sum ``fixed_sum``, are known
 * to lie above tau.  Returns tau and sets *support (as michelot_above).  The
 * sums are taken in float over at most 8 values a lane, then in double (as
 * keep_above's).
 *
 * A pass also takes the least value it keeps: when it lies above the next
 * rho (and rho rose), the next pass would keep the same values and only
 * confirm the fixed point, so it is not made (its result, the same sum of the
 * same values, is returned).  The passes are latency-bound on short lists:
 * four float sums, and a masked last vector instead of a scalar tail. */

/* Count, sum (in double, of float blocks) and least of the values above bound. */
SKP_AVX2 static inline ptrdiff_t skp_count_above_f32(const float* values, ptrdiff_t n,
                                                     float bound, double* sum, float* least) {
    const __m256 bound_v = _mm256_set1_ps(bound), none = _mm256_set1_ps(-INFINITY);
    const __m256 above_all = _mm256_set1_ps(INFINITY);
    const __m256i lane_index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    __m256d sums = _mm256_setzero_pd();
    __m256i counts0 = _mm256_setzero_si256(), counts1 = _mm256_setzero_si256();
    __m256 least0 = above_all, least1 = above_all;
    __m256 block[4];
    ptrdiff_t j = 0;
    int vectors, q;
#define SKP_TAKE(v, b, c, m)                                                  \
    do {                                                                      \
        __m256 keep_ = _mm256_cmp_ps((v), bound_v, _CMP_GT_OQ);               \
        b = _mm256_add_ps(b, _mm256_and_ps((v), keep_));                      \
        c = _mm256_sub_epi32(c, _mm256_castps_si256(keep_));                  \
        m = _mm256_min_ps(m, _mm256_blendv_ps(above_all, (v), keep_));        \
    } while (0)
    while (j < n) {
        block[0] = block[1] = block[2] = block[3] = _mm256_setzero_ps();
        for (vectors = 0; vectors < 8 && j + 32 <= n; vectors++, j += 32) {
            __m256 v0 = _mm256_loadu_ps(values + j), v1 = _mm256_loadu_ps(values + j + 8);
            __m256 v2 = _mm256_loadu_ps(values + j + 16), v3 = _mm256_loadu_ps(values + j + 24);
            SKP_TAKE(v0, block[0], counts0, least0);
            SKP_TAKE(v1, block[1], counts1, least1);
            SKP_TAKE(v2, block[2], counts0, least0);
            SKP_TAKE(v3, block[3], counts1, least1);
        }
        if (vectors < 8 && j < n) {   /* the last (< 32) values: masked vectors */
            for (q = 0; q < 4 && j + 8 * q < n; q++) {
                __m256i inside = _mm256_cmpgt_epi32(
                    _mm256_set1_epi32((int32_t) (n - j - 8 * q)), lane_index);
                __m256 v = _mm256_blendv_ps(
                    none, _mm256_maskload_ps(values + j + 8 * q, inside),
                    _mm256_castsi256_ps(inside));
                SKP_TAKE(v, block[q], counts0, least0);
            }
            j = n;
        }
        block[0] = _mm256_add_ps(_mm256_add_ps(block[0], block[1]),
                                 _mm256_add_ps(block[2], block[3]));
        sums = _mm256_add_pd(sums, _mm256_add_pd(skp_low_pd(block[0]), skp_high_pd(block[0])));
    }
#undef SKP_TAKE
    {   /* horizontal sums and minimum in registers: the passes wait on them */
        __m256i c8 = _mm256_add_epi32(counts0, counts1);
        __m128i c4 = _mm_add_epi32(_mm256_castsi256_si128(c8), _mm256_extracti128_si256(c8, 1));
        __m256 m8 = _mm256_min_ps(least0, least1);
        __m128 m4 = _mm_min_ps(_mm256_castps256_ps128(m8), _mm256_extractf128_ps(m8, 1));
        c4 = _mm_add_epi32(c4, _mm_shuffle_epi32(c4, _MM_SHUFFLE(1, 0, 3, 2)));
        c4 = _mm_add_epi32(c4, _mm_shuffle_epi32(c4, _MM_SHUFFLE(2, 3, 0, 1)));
        m4 = _mm_min_ps(m4, _mm_movehl_ps(m4, m4));
        m4 = _mm_min_ss(m4, _mm_shuffle_ps(m4, m4, _MM_SHUFFLE(1, 1, 1, 1)));
        *sum = skp_hsum(sums);
        *least = _mm_cvtss_f32(m4);
        return _mm_cvtsi128_si32(c4);
    }
}

/* skp_count_above_f32 with AVX-512F: 16 values a vector, the comparisons'
 * masks in mask registers; each lane of four float sums takes at most 8
 * values of a block (512 values), as above. */
SKP_AVX512 static ptrdiff_t skp_count_above512_f32(const float* values, ptrdiff_t n,
                                                   float bound, double* sum, float* least) {
    const __m512 bound_v = _mm512_set1_ps(bound), above_all = _mm512_set1_ps(INFINITY);
    const __m512i one = _mm512_set1_epi32(1);
    __m512d sums = _mm512_setzero_pd();
    __m512i counts0 = _mm512_setzero_si512(), counts1 = _mm512_setzero_si512();
    __m512 least0 = above_all, least1 = above_all;
    __m512 block[4];
    ptrdiff_t j = 0;
    int vectors, q;
#define SKP_TAKE16(v, keep, b, c, m)                                          \
    do {                                                                      \
        b = _mm512_mask_add_ps(b, (keep), b, (v));                            \
        c = _mm512_mask_add_epi32(c, (keep), c, one);                         \
        m = _mm512_mask_min_ps(m, (keep), m, (v));                            \
    } while (0)
    while (j < n) {
        block[0] = block[1] = block[2] = block[3] = _mm512_setzero_ps();
        for (vectors = 0; vectors < 8 && j + 64 <= n; vectors++, j += 64) {
            const __m512 v0 = _mm512_loadu_ps(values + j), v1 = _mm512_loadu_ps(values + j + 16);
            const __m512 v2 = _mm512_loadu_ps(values + j + 32);
            const __m512 v3 = _mm512_loadu_ps(values + j + 48);
            SKP_TAKE16(v0, _mm512_cmp_ps_mask(v0, bound_v, _CMP_GT_OQ), block[0], counts0,
                       least0);
            SKP_TAKE16(v1, _mm512_cmp_ps_mask(v1, bound_v, _CMP_GT_OQ), block[1], counts1,
                       least1);
            SKP_TAKE16(v2, _mm512_cmp_ps_mask(v2, bound_v, _CMP_GT_OQ), block[2], counts0,
                       least0);
            SKP_TAKE16(v3, _mm512_cmp_ps_mask(v3, bound_v, _CMP_GT_OQ), block[3], counts1,
                       least1);
        }
        if (vectors < 8 && j < n) {   /* the last (< 64) values: masked vectors */
            for (q = 0; q < 4 && j + 16 * q < n; q++) {
                const ptrdiff_t left = n - j - 16 * q;
                const __mmask16 inside = (__mmask16) (left >= 16 ? 0xffff : (1u << left) - 1);
                const __m512 v = _mm512_maskz_loadu_ps(inside, values + j + 16 * q);
                SKP_TAKE16(v, _mm512_mask_cmp_ps_mask(inside, v, bound_v, _CMP_GT_OQ), block[q],
                           counts0, least0);
            }
            j = n;
        }
        block[0] = _mm512_add_ps(_mm512_add_ps(block[0], block[1]),
                                 _mm512_add_ps(block[2], block[3]));
        sums = _mm512_add_pd(sums, _mm512_add_pd(
            _mm512_cvtps_pd(_mm512_castps512_ps256(block[0])),
            _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(
                _mm512_castps_pd(block[0]), 1)))));
    }
#undef SKP_TAKE16
    *sum = _mm512_reduce_add_pd(sums);
    *least = _mm512_reduce_min_ps(_mm512_min_ps(least0, least1));
    return _mm512_reduce_add_epi32(_mm512_add_epi32(counts0, counts1));
}

/* skp_short_threshold_f32; its passes by skp_count_above512_f32 if ``wide``
 * (the caller's module has AVX-512F: see skp_avx512). */
SKP_AVX2 static inline double skp_short_threshold_by_f32(const float* values, ptrdiff_t n,
                                                         double total, double fixed_count,
                                                         double fixed_sum, double radius,
                                                         double* support, int wide) {
    double rho, next, sum;
    ptrdiff_t count, previous = n, j;
    float bound, next_bound, least;
    if (n + fixed_count == 0) {
        *support = 0;
        return 0.0;
    }
    rho = (total + fixed_sum - radius) / (n + fixed_count);
    bound = skp_float_below(rho);
    for (;;) {
        count = wide ? skp_count_above512_f32(values, n, bound, &sum, &least)
                     : skp_count_above_f32(values, n, bound, &sum, &least);
        if (isinf(sum)) {   /* a float block overflowed: the sum in double */
            sum = 0.0;
            for (j = 0; j < n; j++) sum += values[j] > bound ? (double) values[j] : 0.0;
        }
        if (count + fixed_count == 0) {   /* a radius below the rounding of the largest value */
            *support = 1;
            return rho;
        }
        *support = count + fixed_count;
        /* (rho rises in exact arithmetic, so the count only drops; one that
         * does not is the fixed point up to rounding, and stops the passes) */
        if (count >= previous)
            return (sum + fixed_sum - radius) / *support;
        previous = count;
        next = (sum + fixed_sum - radius) / *support;
        next_bound = skp_float_below(next);
        if (next >= rho && least > next_bound)
            return next;   /* the next pass would keep the same values */
        rho = next;
        bound = next_bound;
    }
}

SKP_AVX2 static inline double skp_short_threshold_f32(const float* values, ptrdiff_t n,
                                                      double total, double fixed_count,
                                                      double fixed_sum, double radius,
                                                      double* support) {
    return skp_short_threshold_by_f32(values, n, total, fixed_count, fixed_sum, radius, support,
                                      0);
}

/* The same threshold with AVX-512F passes where the CPU has it (else the
 * AVX2 ones): for the values gathered from a whole vector, thousands in
 * cache, where the passes' instructions are most of the cost. */
SKP_AVX2 static inline double skp_long_threshold_f32(const float* values, ptrdiff_t n,
                                                     double total, double fixed_count,
                                                     double fixed_sum, double radius,
                                                     double* support) {
    return skp_short_threshold_by_f32(values, n, total, fixed_count, fixed_sum, radius, support,
                                      skp_avx512);
}

/* Append the values of src[0:n] at or below ``bound`` to dst (in order);
 * returns how many, or -1 (nothing done) where neither AVX-512F nor AVX2
 * runs.  dst must have room for 8 values past the last one appended. */
SKP_AVX512 static ptrdiff_t skp_keep_at_most512_f64(const double* src, ptrdiff_t n, double bound,
                                                    double* dst) {
    const __m512d bound_v = _mm512_set1_pd(bound);
    ptrdiff_t j = 0, k = 0;
    __mmask8 keep, lanes;
    for (; j < n; j += 8) {
        lanes = n - j >= 8 ? (__mmask8) 0xff : (__mmask8) ((1u << (n - j)) - 1);
        __m512d v = _mm512_maskz_loadu_pd(lanes, src + j);
        keep = _mm512_mask_cmp_pd_mask(lanes, v, bound_v, _CMP_LE_OQ);
        _mm512_storeu_pd(dst + k, _mm512_maskz_compress_pd(keep, v));
        k += _mm_popcnt_u32((unsigned) keep);
    }
    return k;
}

SKP_AVX2 static ptrdiff_t skp_keep_at_most256_f64(const double* src, ptrdiff_t n, double bound,
                                                  double* dst) {
    const __m256d bound_v = _mm256_set1_pd(bound);
    ptrdiff_t j = 0, k = 0;
    for (; j + 4 <= n; j += 4) {
        __m256d v = _mm256_loadu_pd(src + j);
        k = skp_pack_store4(v, _mm256_movemask_pd(_mm256_cmp_pd(v, bound_v, _CMP_LE_OQ)),
                            dst, k);
    }
    for (; j < n; j++) {
        dst[k] = src[j];
        k += src[j] <= bound;
    }
    return k;
}

static inline ptrdiff_t skp_keep_at_most_f64(const double* src, ptrdiff_t n, double bound,
                                             double* dst) {
    if (skp_avx512) return skp_keep_at_most512_f64(src, n, bound, dst);
    if (skp_avx2 > 0) return skp_keep_at_most256_f64(src, n, bound, dst);
    return -1;
}

/* The items of ``itemsize`` bytes from ``p`` to the first 64-byte line
 * boundary at or after it (0 where p is on one): the head a loop takes
 * apart, under a mask, so that its vectors load or store whole lines. */
static inline ptrdiff_t skp_line_head(const void* p, ptrdiff_t itemsize) {
    return (ptrdiff_t) (((64 - ((uintptr_t) p & 63)) & 63) / (uintptr_t) itemsize);
}

/* Where a streamed row's non-temporal stores start: dst's first cache line.
 * The vector loop covers the row's first ``end`` values (n rounded down to
 * whole vectors, the rest is scalar); with ``stream``, only whole lines are
 * streamed (from here to skp_stream_stop), and the values before and after
 * them are computed by the same vector operations on masked loads and stored
 * by plain stores (skp_store_first8, nothing read twice, so in place too), so
 * every value takes the same operations as without streaming, wherever dst
 * lies (a scalar head made the result depend on the address).  A line
 * written partly by streamed stores and partly by plain ones (the row before
 * or after it in the next line) costs about a trip to memory: on an AMD Zen
 * 5, rows of 1000 floats streamed by 32-byte vectors from their first
 * 32-byte boundary took 1.47 times a memcpy, by whole lines 0.84, plain
 * stores 1.00; rows of 4000 floats 0.89-0.94, 0.85-0.88 and 1.01-1.03
 * (issue 14).  Returns the first index streamed (0 without ``stream``);
 * clears *stream where nothing can be streamed (no whole vector, dst not
 * aligned to its items, or a row ending before its first line). */
static inline ptrdiff_t skp_stream_start(const void* dst, ptrdiff_t end, ptrdiff_t lanes,
                                         ptrdiff_t itemsize, int* stream) {
    const ptrdiff_t head = skp_line_head(dst, itemsize);
    if (!*stream) return 0;
    if (end < lanes || (uintptr_t) dst % (uintptr_t) itemsize || head > end) {
        *stream = 0;
        return 0;
    }
    return head;
}

/* Where a streamed row's non-temporal stores stop: the end of its last whole
 * cache line within dst[0:end] (0 without ``stream``). */
static inline ptrdiff_t skp_stream_stop(const void* dst, ptrdiff_t end, ptrdiff_t itemsize,
                                        int stream) {
    uintptr_t last = ((uintptr_t) dst + (uintptr_t) (end * itemsize)) & ~(uintptr_t) 63;
    return stream ? (ptrdiff_t) ((last - (uintptr_t) dst) / (uintptr_t) itemsize) : 0;
}

static inline double skp_shrink_value(double value, double tau, int magnitudes) {
    double shrunk = (magnitudes ? fabs(value) : value) - tau;
    shrunk = shrunk > 0 ? shrunk : 0.0;
    return magnitudes ? copysign(shrunk, value) : shrunk;
}

/* ------------------------------------------------------------ the write pass
 * With ``stream`` (large arrays), non-temporal stores: the result goes to
 * memory without first reading its cache lines (which a plain store does),
 * a third of the write pass's traffic.  The streaming loops do not fence:
 * their caller calls skp_stream_fence once after its last streamed row (a
 * fence a row made 100000 x 100 float32 five times slower).
 * dst = sign(src) * max(|src| - tau, 0) with ``magnitudes``, else
 * max(src - tau, 0); contiguous rows; computed in double, rounded once. */

/* The first k (0..8) lanes: the mask of the AVX2 masked loads and stores. */
SKP_AVX2 static inline __m256i skp_first_lanes8(ptrdiff_t k) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int) k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

SKP_AVX2 static inline __m256i skp_first_lanes4(ptrdiff_t k) {
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long) k), _mm256_setr_epi64x(0, 1, 2, 3));
}

/* The first k lanes of v (all of them for k >= 8) stored at dst one by one:
 * the head and the tail of a streamed row (see skp_stream_start), where the
 * masked stores (vmaskmovps/pd) that wrote them were slow: on an AMD Zen 5,
 * bilevel_l1inf on 10000 x 1000 float32 rows took 2.1-2.2 times a copy
 * streamed where the rows started 16 bytes off a 32-byte boundary, 1.5
 * where they did not, and 1.5-1.8 with these stores (issue 14; whole lines
 * streamed then brought every address to 1.5).  The lanes hold what the
 * masked store wrote, so the result is the same. */
SKP_AVX2 static inline void skp_store_first8(float* dst, __m256 v, ptrdiff_t k) {
    float lanes[8];
    ptrdiff_t i;
    _mm256_storeu_ps(lanes, v);
    for (i = 0; i < k && i < 8; i++) dst[i] = lanes[i];
}

SKP_AVX2 static inline void skp_store_first4(double* dst, __m256d v, ptrdiff_t k) {
    double lanes[4];
    ptrdiff_t i;
    _mm256_storeu_pd(lanes, v);
    for (i = 0; i < k && i < 4; i++) dst[i] = lanes[i];
}

/* skp_shrink_f32's vector operations on eight values. */
SKP_AVX2 static inline __m256 skp_shrunk8_f32(__m256 y, __m256 hi_v, __m256 lo_v, __m256 sign,
                                              __m256 zero, int magnitudes) {
    __m256 v = magnitudes ? _mm256_andnot_ps(sign, y) : y;
    __m256 x = _mm256_max_ps(_mm256_sub_ps(_mm256_sub_ps(v, hi_v), lo_v), zero);
    return magnitudes ? _mm256_or_ps(x, _mm256_and_ps(sign, y)) : x;
}

/* skp_shrink_f64's vector operations on four values. */
SKP_AVX2 static inline __m256d skp_shrunk4_f64(__m256d y, __m256d tau_v, __m256d sign,
                                               __m256d zero, int magnitudes) {
    __m256d v = magnitudes ? _mm256_andnot_pd(sign, y) : y;
    __m256d x = _mm256_max_pd(_mm256_sub_pd(v, tau_v), zero);
    return magnitudes ? _mm256_or_pd(x, _mm256_and_pd(sign, y)) : x;
}

SKP_AVX512 static inline int skp_shrink512_f32_unguarded(const float* src, float* dst, ptrdiff_t n,
                                                         double tau, int magnitudes,
                                                         int stream);

SKP_AVX2 static inline void skp_shrink_f32(const float* src, float* dst, ptrdiff_t n, double tau,
                                    int magnitudes, int stream) {
    /* In float, with tau = tau_hi + tau_lo (two floats): (v - tau_hi) is exact
     * for the values near tau (Sterbenz), so the result is the double
     * computation's rounding but for rare ties (at most one unit in the last
     * place), at a third of the instructions.  With AVX-512, its loop (the
     * same operations), as skp_shrink_f64 takes its own (bilevel_l11's rows
     * had been written by this loop where project_l1_ball took that one). */
    if (skp_avx512) {
        skp_shrink512_f32_unguarded(src, dst, n, tau, magnitudes, stream);
        return;
    }
    const float tau_hi = (float) tau, tau_lo = (float) (tau - (double) tau_hi);
    const __m256 sign = _mm256_set1_ps(-0.0f), zero = _mm256_setzero_ps();
    const __m256 hi_v = _mm256_set1_ps(tau_hi), lo_v = _mm256_set1_ps(tau_lo);
    const ptrdiff_t end = n - n % 8;
    ptrdiff_t j = skp_stream_start(dst, end, 8, sizeof(float), &stream);
    const ptrdiff_t stop = skp_stream_stop(dst, end, sizeof(float), stream);
    ptrdiff_t k;
    __m256i some;
#define SKP_SHRUNK8(y) skp_shrunk8_f32((y), hi_v, lo_v, sign, zero, magnitudes)
    for (k = 0; k < j; k += 8) {   /* (see skp_stream_start) */
        some = skp_first_lanes8(j - k);
        skp_store_first8(dst + k, SKP_SHRUNK8(_mm256_maskload_ps(src + k, some)), j - k);
    }
    for (; j + 8 <= end; j += 8) {
        __m256 x = SKP_SHRUNK8(_mm256_loadu_ps(src + j));
        if (j + 8 <= stop) _mm256_stream_ps(dst + j, x);
        else _mm256_storeu_ps(dst + j, x);
    }
    if (j < end) {
        some = skp_first_lanes8(end - j);
        skp_store_first8(dst + j, SKP_SHRUNK8(_mm256_maskload_ps(src + j, some)), end - j);
    }
#undef SKP_SHRUNK8
    for (j = end; j < n; j++) dst[j] = (float) skp_shrink_value(src[j], tau, magnitudes);
}

/* One case of the AVX-512 writes' loop from ``j`` to ``vectors_end`` over
 * loads aligned to ``src``'s cache lines, where ``src + j`` lies ``shift``
 * values of type T off its line: each vector (WIDTH values) is joined from
 * two aligned lines by JOIN(next, current, shift) -- valignd/valignq --
 * instead of a load split over two lines, and written as STORE(at,
 * VALUE(vector)).  The writes list the cases 1 .. WIDTH - 1 of a switch on
 * the shift; its default takes unaligned loads. */
#define SKP_ALIGNED_LOADS_CASE(shift, T, VEC, WIDTH, LOAD, JOIN, VALUE, STORE)               \
    case shift: {                                                                          \
        const T* line = src + j - (shift);                                                \
        VEC current = LOAD(line), next;                                                    \
        for (; j + (WIDTH) <= vectors_end; j += (WIDTH), line += (WIDTH), current = next) { \
            next = LOAD(line + (WIDTH));                                                   \
            STORE(dst + j, VALUE(JOIN(next, current, shift)));                             \
        }                                                                                  \
        break;                                                                             \
    }

/* skp_shrink_f64's loop with AVX-512F, eight values a vector: the same
 * operations on every value (the vectors end where the AVX2 loop's do, the
 * values after them computed one by one as there), so the same result.  The
 * stores are aligned to the output's cache lines (a first, masked vector up
 * to the first line), and with ``stream`` each whole line is a non-temporal
 * store, as skp_shrink512_f32 does.  (An Intel Xeon, perf: the AVX2 loop
 * took a quarter of project_l1_ball on 100 x 1000 float64 in cache and a
 * fifth of bilevel_l11 on 1000 x 10000 row groups.) */
SKP_AVX512 static inline __m512d skp_shrink8_f64(__m512d y, __m512d tau_v, int magnitudes) {
    const __m512i sign = _mm512_set1_epi64((int64_t) 0x8000000000000000ull);
    __m512d x = _mm512_max_pd(_mm512_sub_pd(magnitudes ? _mm512_abs_pd(y) : y, tau_v),
                              _mm512_setzero_pd());
    if (magnitudes)   /* (the sign put back: integer ops, AVX-512F has no orpd) */
        x = _mm512_castsi512_pd(_mm512_or_si512(
            _mm512_castpd_si512(x), _mm512_and_si512(_mm512_castpd_si512(y), sign)));
    return x;
}

SKP_AVX512 static void skp_shrink512_f64(const double* src, double* dst, ptrdiff_t n,
                                         double tau, int magnitudes, int stream) {
    const __m512d tau_v = _mm512_set1_pd(tau);
    const ptrdiff_t vectors_end = n - n % 4;   /* (where skp_shrink_f64's vectors end) */
    const ptrdiff_t ahead = skp_ahead_streamed(stream);
    ptrdiff_t j, head = (ptrdiff_t) ((-(uintptr_t) dst) & 63) / (ptrdiff_t) sizeof(double);
    __mmask8 lanes;
    if ((uintptr_t) dst % sizeof(double)) head = 0;   /* (no line is whole: plain stores) */
    head = head < vectors_end ? head : vectors_end;
    stream = stream && (uintptr_t) dst % sizeof(double) == 0;
    if (head) {
        lanes = (__mmask8) ((1u << head) - 1);
        _mm512_mask_storeu_pd(dst, lanes, skp_shrink8_f64(_mm512_maskz_loadu_pd(lanes, src),
                                                          tau_v, magnitudes));
    }
    j = head;
#define SKP_STORE8(at, x)                                                                 \
    do {                                                                                   \
        if (stream) _mm512_stream_pd((at), (x));                                          \
        else { skp_prefetch_for_write(at); _mm512_storeu_pd((at), (x)); }                  \
    } while (0)
    switch (((uintptr_t) (src + j) & 63) / sizeof(double)
            + ((uintptr_t) (src + j) & (sizeof(double) - 1) ? 8 : 0)) {
    /* (NumPy's large arrays lie 16 bytes off a line: loads split over two
     * lines made this loop slower out of cache than the AVX2 one) */
#define SKP_JOIN8(next, current, shift) _mm512_castsi512_pd(_mm512_alignr_epi64(             \
    _mm512_castpd_si512(next), _mm512_castpd_si512(current), shift))
#define SKP_SHRUNK8(v) skp_shrink8_f64((v), tau_v, magnitudes)
#define SKP_LOAD8(at) (ahead ? skp_prefetch_ahead((at), ahead) : (void) 0, _mm512_loadu_pd(at))
#define SKP_CASE8(shift) SKP_ALIGNED_LOADS_CASE(shift, double, __m512d, 8, SKP_LOAD8,        \
                                                SKP_JOIN8, SKP_SHRUNK8, SKP_STORE8)
    SKP_CASE8(1) SKP_CASE8(2) SKP_CASE8(3) SKP_CASE8(4) SKP_CASE8(5) SKP_CASE8(6) SKP_CASE8(7)
    default:   /* (aligned, or not even to a double) */
        for (; j + 8 <= vectors_end; j += 8)
            SKP_STORE8(dst + j, SKP_SHRUNK8(SKP_LOAD8(src + j)));
    }
#undef SKP_LOAD8
#undef SKP_CASE8
#undef SKP_SHRUNK8
#undef SKP_JOIN8
#undef SKP_STORE8
    if (j < vectors_end) {
        lanes = (__mmask8) ((1u << (vectors_end - j)) - 1);
        _mm512_mask_storeu_pd(dst + j, lanes, skp_shrink8_f64(
            _mm512_maskz_loadu_pd(lanes, src + j), tau_v, magnitudes));
    }
    for (j = vectors_end; j < n; j++) dst[j] = skp_shrink_value(src[j], tau, magnitudes);
}

SKP_AVX2 static inline void skp_shrink_f64(const double* src, double* dst, ptrdiff_t n, double tau,
                                    int magnitudes, int stream) {
    const __m256d sign = _mm256_set1_pd(-0.0);
    const __m256d tau_v = _mm256_set1_pd(tau), zero = _mm256_setzero_pd();
    const ptrdiff_t end = n - n % 4;
    ptrdiff_t j, k;
    __m256i some;
    if (skp_avx512) {
        skp_shrink512_f64(src, dst, n, tau, magnitudes, stream);
        return;
    }
    j = skp_stream_start(dst, end, 4, sizeof(double), &stream);
    const ptrdiff_t stop = skp_stream_stop(dst, end, sizeof(double), stream);
#define SKP_SHRUNK4(y) skp_shrunk4_f64((y), tau_v, sign, zero, magnitudes)
    for (k = 0; k < j; k += 4) {   /* (see skp_stream_start) */
        some = skp_first_lanes4(j - k);
        skp_store_first4(dst + k, SKP_SHRUNK4(_mm256_maskload_pd(src + k, some)), j - k);
    }
    for (; j + 4 <= end; j += 4) {
        __m256d x = SKP_SHRUNK4(_mm256_loadu_pd(src + j));
        if (j + 4 <= stop) _mm256_stream_pd(dst + j, x);
        else _mm256_storeu_pd(dst + j, x);
    }
    if (j < end) {
        some = skp_first_lanes4(end - j);
        skp_store_first4(dst + j, SKP_SHRUNK4(_mm256_maskload_pd(src + j, some)), end - j);
    }
#undef SKP_SHRUNK4
    for (j = end; j < n; j++) dst[j] = skp_shrink_value(src[j], tau, magnitudes);
}

/* The write pass with AVX-512F: skp_shrink_f32's loop, 16 values a vector
 * (the same operations, so the same result).  Half the instructions of the
 * AVX2 loop.  The stores are aligned to the output's cache lines (a first,
 * masked vector up to the first line): a store split over two lines, which
 * NumPy's 16-byte alignment makes the common case otherwise, costs two.
 * With ``stream`` each of those whole lines is a non-temporal store (see
 * skp_stream_start; issue 14, an AMD Zen 5, single calls interleaved, the l1
 * ball on 10**7 float32 values at 0.1-90 % kept 1.72-1.78 copies, 1.75-1.82
 * by the AVX2 loop, the simplex 1.54 and 1.61-1.62).  The last n % 8
 * values are computed in double, as skp_shrink_f32 does, whatever the
 * alignment: the same values take the same operations wherever the arrays
 * lie.  Returns 0 (nothing written) where the CPU lacks AVX-512F or a test
 * turned it off. */
SKP_AVX512 static inline __m512 skp_shrink16_f32(__m512 y, __m512 hi_v, __m512 lo_v,
                                                 int magnitudes) {
    const __m512i sign = _mm512_set1_epi32((int32_t) 0x80000000u);
    __m512 v = magnitudes ? _mm512_abs_ps(y) : y;
    __m512 x = _mm512_max_ps(_mm512_sub_ps(_mm512_sub_ps(v, hi_v), lo_v), _mm512_setzero_ps());
    if (magnitudes)   /* (the sign put back: integer ops, AVX-512F has no orps) */
        x = _mm512_castsi512_ps(_mm512_or_si512(
            _mm512_castps_si512(x), _mm512_and_si512(_mm512_castps_si512(y), sign)));
    return x;
}

/* The last n % 8 values (``count``, 1 to 7) of skp_shrink512_f32, by
 * skp_shrink_value's operations in double, a lane each: the same bits as
 * the loop of scalars that took a third of the write of bilevel_l11's rows
 * of 100 float32 values (issue 14, perf). */
SKP_AVX512 static inline void skp_shrink_tail512_f32(const float* src, float* dst,
                                                     ptrdiff_t count, double tau,
                                                     int magnitudes) {
    const __mmask8 lanes = (__mmask8) ((1u << count) - 1);
    const __m512d v = _mm512_cvtps_pd(
        _mm512_castps512_ps256(_mm512_maskz_loadu_ps((__mmask16) lanes, src)));
    __m512d x = _mm512_sub_pd(magnitudes ? _mm512_abs_pd(v) : v, _mm512_set1_pd(tau));
    x = _mm512_max_pd(x, _mm512_setzero_pd());   /* (NaN and -0 give +0, as there) */
    if (magnitudes)
        x = _mm512_castsi512_pd(_mm512_or_si512(_mm512_castpd_si512(x), _mm512_and_si512(
            _mm512_castpd_si512(v), _mm512_set1_epi64((int64_t) 0x8000000000000000ull))));
    _mm512_mask_storeu_ps(dst, (__mmask16) lanes, _mm512_castps256_ps512(_mm512_cvtpd_ps(x)));
}

SKP_AVX512 static inline int skp_shrink512_f32_unguarded(const float* src, float* dst, ptrdiff_t n,
                                                         double tau, int magnitudes,
                                                         int stream) {
    const float tau_hi = (float) tau, tau_lo = (float) (tau - (double) tau_hi);
    const __m512 hi_v = _mm512_set1_ps(tau_hi), lo_v = _mm512_set1_ps(tau_lo);
    const ptrdiff_t vectors_end = n - n % 8;   /* (where skp_shrink_f32's vectors end) */
    const ptrdiff_t ahead = skp_ahead_streamed(stream);
    ptrdiff_t j, head = (ptrdiff_t) ((-(uintptr_t) dst) & 63) / (ptrdiff_t) sizeof(float);
    __mmask16 lanes;
    head = head < vectors_end ? head : vectors_end;
    stream = stream && (uintptr_t) dst % sizeof(float) == 0;
#define SKP_STORE16(at, x)                                                                \
    do {                                                                                   \
        if (stream) _mm512_stream_ps((at), (x));                                          \
        else { skp_prefetch_for_write(at); _mm512_storeu_ps((at), (x)); }                  \
    } while (0)
    if (head) {
        lanes = (__mmask16) ((1u << head) - 1);
        _mm512_mask_storeu_ps(dst, lanes, skp_shrink16_f32(
            _mm512_maskz_loadu_ps(lanes, src), hi_v, lo_v, magnitudes));
    }
    j = head;
    switch (((uintptr_t) (src + j) & 63) / sizeof(float)
            + ((uintptr_t) (src + j) & (sizeof(float) - 1) ? 16 : 0)) {
#define SKP_JOIN16(next, current, shift) _mm512_castsi512_ps(_mm512_alignr_epi32(            \
    _mm512_castps_si512(next), _mm512_castps_si512(current), shift))
#define SKP_SHRUNK16(v) skp_shrink16_f32((v), hi_v, lo_v, magnitudes)
#define SKP_LOAD16(at) (ahead ? skp_prefetch_ahead((at), ahead) : (void) 0, _mm512_loadu_ps(at))
#define SKP_CASE16(shift) SKP_ALIGNED_LOADS_CASE(shift, float, __m512, 16, SKP_LOAD16,        \
                                                 SKP_JOIN16, SKP_SHRUNK16, SKP_STORE16)
    SKP_CASE16(1) SKP_CASE16(2) SKP_CASE16(3) SKP_CASE16(4) SKP_CASE16(5) SKP_CASE16(6)
    SKP_CASE16(7) SKP_CASE16(8) SKP_CASE16(9) SKP_CASE16(10) SKP_CASE16(11) SKP_CASE16(12)
    SKP_CASE16(13) SKP_CASE16(14) SKP_CASE16(15)
    default:   /* (aligned, or not even to a float) */
        for (; j + 16 <= vectors_end; j += 16)
            SKP_STORE16(dst + j, SKP_SHRUNK16(SKP_LOAD16(src + j)));
    }
#undef SKP_LOAD16
#undef SKP_CASE16
#undef SKP_SHRUNK16
#undef SKP_JOIN16
#undef SKP_STORE16
    if (j < vectors_end) {
        lanes = (__mmask16) ((1u << (vectors_end - j)) - 1);
        _mm512_mask_storeu_ps(dst + j, lanes, skp_shrink16_f32(
            _mm512_maskz_loadu_ps(lanes, src + j), hi_v, lo_v, magnitudes));
    }
    if (n > vectors_end)
        skp_shrink_tail512_f32(src + vectors_end, dst + vectors_end, n - vectors_end, tau,
                               magnitudes);
    return 1;
}

static inline int skp_shrink512_f32(const float* src, float* dst, ptrdiff_t n, double tau,
                                    int magnitudes, int stream) {
    if (!skp_avx512) return 0;
    return skp_shrink512_f32_unguarded(src, dst, n, tau, magnitudes, stream);
}

/* ---------------------------------------------------------------- selection
 * The k-th smallest (from 0) of values[0:n] (no NaN), for the sampled
 * bracket of _l1.pyx: a three-way quickselect whose partitions are vector
 * compares and compressed (AVX-512) or left-packed (AVX2) stores; Hoare's
 * scalar selection there mispredicts a branch every other value, most of
 * the sample's cost on small arrays (issue 14, 100 x 1000 float32 on a Zen 3
 * without AVX-512: 16 % of project_l1_ball's time).  ``values`` is
 * overwritten; ``scratch`` holds n doubles.  skp_select_f64 returns 0 (and
 * nothing) where neither loop runs. */
static inline double skp_median3(double a, double b, double c) {
    if (a > b) { double t = a; a = b; b = t; }
    return c <= a ? a : (c >= b ? b : c);
}

/* The k-th smallest of the last few values, by insertion sort. */
static inline double skp_select_sorted_f64(double* values, ptrdiff_t n, ptrdiff_t k) {
    ptrdiff_t i, j;
    double value;
    for (i = 1; i < n; i++) {
        value = values[i];
        for (j = i; j > 0 && values[j - 1] > value; j--) values[j] = values[j - 1];
        values[j] = value;
    }
    return values[k];
}

SKP_AVX512 static inline int skp_select512_f64(double* values, ptrdiff_t n, ptrdiff_t k,
                                               double* scratch, double* result) {
    double *src = values, *dst = scratch, pivot, value;
    ptrdiff_t j, less, greater;
    while (n > 16) {   /* src lies in one buffer, dst is the other */
        __m512d pivot_v;
        pivot = skp_median3(src[0], src[n / 2], src[n - 1]);
        pivot_v = _mm512_set1_pd(pivot);
        less = 0;
        greater = n;    /* the values below the pivot fill dst from the front, above from the back */
        for (j = 0; j + 8 <= n; j += 8) {
            __m512d v = _mm512_loadu_pd(src + j);
            __mmask8 lt = _mm512_cmp_pd_mask(v, pivot_v, _CMP_LT_OQ);
            __mmask8 gt = _mm512_cmp_pd_mask(v, pivot_v, _CMP_GT_OQ);
            _mm512_mask_compressstoreu_pd(dst + less, lt, v);
            less += _mm_popcnt_u32((unsigned) lt);
            greater -= _mm_popcnt_u32((unsigned) gt);
            _mm512_mask_compressstoreu_pd(dst + greater, gt, v);
        }
        for (; j < n; j++) {
            value = src[j];
            if (value < pivot) dst[less++] = value;
            else if (value > pivot) dst[--greater] = value;
        }
        if (k >= less && k < greater) {
            *result = pivot;
            return 1;
        }
        if (k < less) {
            src = dst;
            n = less;
        } else {
            src = dst + greater;
            k -= greater;
            n -= greater;
        }
        dst = dst == scratch ? values : scratch;
    }
    *result = skp_select_sorted_f64(src, n, k);
    return 1;
}

/* The same with AVX2 (SKP_SELECT256: four doubles a vector, or eight floats
 * for the float32 sample), returning the k-th smallest.  The values below the
 * pivot are packed to the front of src itself (a vector's whole store ends
 * before the values not yet read: the cursor never passes the read
 * position), those above to the front of the other buffer (n + one vector of
 * room), which becomes src if the k-th lies there. */
#define SKP_SELECT256(NAME, T, VEC, LANES, LOADU, SET1, CMP, MOVEMASK, PACK_STORE, SORTED) \
SKP_AVX2 static T NAME(T* values, ptrdiff_t n, ptrdiff_t k, T* scratch) {              \
    T *src = values, *dst = scratch, *swap, pivot, value;                               \
    ptrdiff_t j, less, greater;                                                        \
    while (n > 16) {                                                                   \
        VEC pivot_v;                                                                   \
        pivot = (T) skp_median3(src[0], src[n / 2], src[n - 1]);                       \
        pivot_v = SET1(pivot);                                                         \
        less = greater = 0;                                                            \
        for (j = 0; j + LANES <= n; j += LANES) {                                      \
            VEC v = LOADU(src + j);                                                    \
            less = PACK_STORE(v, MOVEMASK(CMP(v, pivot_v, _CMP_LT_OQ)), src, less);    \
            greater = PACK_STORE(v, MOVEMASK(CMP(v, pivot_v, _CMP_GT_OQ)), dst, greater); \
        }                                                                              \
        for (; j < n; j++) {                                                           \
            value = src[j];                                                            \
            if (value < pivot) src[less++] = value;                                    \
            else if (value > pivot) dst[greater++] = value;                            \
        }                                                                              \
        if (k < less) {                                                                \
            n = less;                                                                  \
        } else if (k >= n - greater) {                                                 \
            k -= n - greater;                                                          \
            n = greater;                                                               \
            swap = src;                                                                \
            src = dst;                                                                 \
            dst = swap;                                                                \
        } else {                                                                       \
            return pivot;                                                              \
        }                                                                              \
    }                                                                                  \
    return SORTED(src, n, k);                                                          \
}

SKP_SELECT256(skp_select256_f64, double, __m256d, 4, _mm256_loadu_pd, _mm256_set1_pd,
              _mm256_cmp_pd, _mm256_movemask_pd, skp_pack_store4, skp_select_sorted_f64)

static inline int skp_select_f64(double* values, ptrdiff_t n, ptrdiff_t k, double* scratch,
                                 double* result) {
    if (skp_avx512) return skp_select512_f64(values, n, k, scratch, result);
    if (skp_avx2 > 0) {
        *result = skp_select256_f64(values, n, k, scratch);
        return 1;
    }
    return 0;
}

/* skp_sum_and_excess_f32 with AVX-512F, for the gathered values of a small
 * array (thousands, in cache): the sum as the scan takes its sums (each lane
 * adds 8 values of a block of 128 in float, the blocks add in double), and
 * the excess as total - n * low.  A fifth of the instructions of the loop in
 * double, whose every term is exact: the excess only decides whether tau
 * lies in the bracket, and rounds here at the float sums' level, as the sums
 * above the bracket do.  Returns 0 (and nothing) where it does not run. */
SKP_AVX512 static inline int skp_sum_and_excess512_f32_unguarded(
        const float* values, ptrdiff_t n, double low, double* excess, double* total) {
    __m512d totals = _mm512_setzero_pd();
    ptrdiff_t j = 0;
    while (j < n) {
        __m512 b0 = _mm512_setzero_ps(), b1 = b0, b2 = b0, b3 = b0;
        if (j + 128 <= n) {
            b0 = _mm512_add_ps(_mm512_loadu_ps(values + j), _mm512_loadu_ps(values + j + 64));
            b1 = _mm512_add_ps(_mm512_loadu_ps(values + j + 16), _mm512_loadu_ps(values + j + 80));
            b2 = _mm512_add_ps(_mm512_loadu_ps(values + j + 32), _mm512_loadu_ps(values + j + 96));
            b3 = _mm512_add_ps(_mm512_loadu_ps(values + j + 48),
                               _mm512_loadu_ps(values + j + 112));
            j += 128;
        } else {   /* the last < 128 values: masked vectors */
            for (; j < n; j += 16)
                b0 = _mm512_add_ps(b0, _mm512_maskz_loadu_ps(
                    n - j >= 16 ? (__mmask16) 0xffff : (__mmask16) ((1u << (n - j)) - 1),
                    values + j));
        }
        b0 = _mm512_add_ps(_mm512_add_ps(b0, b1), _mm512_add_ps(b2, b3));
        totals = _mm512_add_pd(totals, _mm512_add_pd(
            _mm512_cvtps_pd(_mm512_castps512_ps256(b0)),
            _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(b0), 1)))));
    }
    *total = _mm512_reduce_add_pd(totals);
    if (isinf(*total)) *total = skp_sum_f32(values, n);   /* (a float block overflowed) */
    if (low > -DBL_MAX) *excess = *total - (double) n * low;
    return 1;
}

static inline int skp_sum_and_excess512_f32(const float* values, ptrdiff_t n, double low,
                                            double* excess, double* total) {
    if (!skp_avx512) return 0;
    return skp_sum_and_excess512_f32_unguarded(values, n, low, excess, total);
}

/* The k-th smallest of the last few floats, by insertion sort. */
static inline float skp_select_sorted_f32(float* values, ptrdiff_t n, ptrdiff_t k) {
    ptrdiff_t i, j;
    float value;
    for (i = 1; i < n; i++) {
        value = values[i];
        for (j = i; j > 0 && values[j - 1] > value; j--) values[j] = values[j - 1];
        values[j] = value;
    }
    return values[k];
}

/* skp_select512_f64 on floats, sixteen a vector, for the sampled bracket of
 * a float32 row (skp_sample_bracket_f32): the values below and above the
 * pivot go to two other buffers by compressions in registers and full
 * stores (a compressed store to memory costs several times more), so that
 * ``values``, ``spare0`` and ``spare1`` each hold n + 16 floats; all three
 * are overwritten. */
SKP_AVX512 static inline float skp_select512_f32(float* values, ptrdiff_t n, ptrdiff_t k,
                                                 float* spare0, float* spare1) {
    float *src = values, *below = spare0, *above = spare1, *free_buffer, pivot;
    ptrdiff_t j, less, greater;
    while (n > 16) {
        __m512 pivot_v;
        pivot = (float) skp_median3(src[0], src[n / 2], src[n - 1]);
        pivot_v = _mm512_set1_ps(pivot);
        less = greater = 0;
        for (j = 0; j < n; j += 16) {
            const __mmask16 lanes = n - j >= 16 ? (__mmask16) 0xffff
                                                : (__mmask16) ((1u << (n - j)) - 1);
            __m512 v = _mm512_maskz_loadu_ps(lanes, src + j);
            __mmask16 lt = _mm512_mask_cmp_ps_mask(lanes, v, pivot_v, _CMP_LT_OQ);
            __mmask16 gt = _mm512_mask_cmp_ps_mask(lanes, v, pivot_v, _CMP_GT_OQ);
            _mm512_storeu_ps(below + less, _mm512_maskz_compress_ps(lt, v));
            _mm512_storeu_ps(above + greater, _mm512_maskz_compress_ps(gt, v));
            less += _mm_popcnt_u32((unsigned) lt);
            greater += _mm_popcnt_u32((unsigned) gt);
        }
        if (k >= less && k < n - greater) return pivot;
        free_buffer = src;
        if (k < less) {
            src = below;
            below = free_buffer;
            n = less;
        } else {
            k -= n - greater;
            src = above;
            above = free_buffer;
            n = greater;
        }
    }
    return skp_select_sorted_f32(src, n, k);
}

/* skp_select256_f64's twin on floats, for the sample of a float32 row
 * without AVX-512F (``scratch`` holds n + 8 floats). */
SKP_SELECT256(skp_select256_f32, float, __m256, 8, _mm256_loadu_ps, _mm256_set1_ps,
              _mm256_cmp_ps, _mm256_movemask_ps, skp_pack_store8, skp_select_sorted_f32)

/* The k-th smallest of values[0:n] by the AVX-512F or the AVX2 selection
 * (``spare0`` and ``spare1`` hold n + 16 floats each, values[] 16 past n;
 * the AVX2 one needs only spare0).  Called where AVX2 runs. */
static inline float skp_select_f32(float* values, ptrdiff_t n, ptrdiff_t k, float* spare0,
                                   float* spare1) {
    if (skp_avx512) return skp_select512_f32(values, n, k, spare0, spare1);
    return skp_select256_f32(values, n, k, spare0);
}

/* The ends of the sample's bracket from its support (the values above its
 * threshold ``tau``) and the rest: the ``spread``-th smallest of the support
 * and the ``spread``-th largest of the rest, each side's ``spread`` from
 * skp_bracket_spreads_f32; none (the caller reads S first) where
 * ``magnitudes`` and the bracket is unsure (skp_bracket_unsure). */
static inline void skp_sample_bracket_ends_f32(float* support, ptrdiff_t n_support,
                                               float* rest, ptrdiff_t n_rest, double tau,
                                               double scaled, double sigmas, ptrdiff_t margin,
                                               ptrdiff_t cap, int magnitudes, float* spare0,
                                               float* spare1, double* low, double* high) {
    ptrdiff_t low_spread, high_spread;
    double sum_half = 0.0;
    skp_bracket_spreads_f32(support, n_support, rest, n_rest, tau, scaled, sigmas, margin, cap,
                            &low_spread, &high_spread, magnitudes ? &sum_half : NULL);
    if (n_support > high_spread)
        *high = skp_select_f32(support, n_support, high_spread, spare0, spare1);
    if (n_rest >= low_spread)
        *low = skp_select_f32(rest, n_rest, n_rest - low_spread, spare0, spare1);
    if (skp_bracket_unsure(*low, *high, tau, sum_half)) {
        *low = -DBL_MAX;
        *high = DBL_MAX;
    }
}

/* The radius of the vector samplers' problem, from their sample's ``total``
 * (its sum; |y|'s with ``magnitudes``) and ``*scaled``, the caller's radius
 * scaled to the sample (or, ``through_total``, (S - radius) * size / n: see
 * skp_sample_bracket_f32): into ``*scaled``; 0 (no guess) where the total
 * is NaN or inf, the sample lies inside the ball, or it holds too little of
 * S. */
static inline int skp_sample_radius(double total, int magnitudes, int through_total,
                                    double* scaled) {
    if (through_total) {
        *scaled = total - *scaled;
        if (!(*scaled > 0.0)) return 0;
    }
    return !(total - total != 0.0 || (magnitudes && total <= *scaled));
}

/* The sampled bracket of _l1.pyx's _sample_bracket for one contiguous float32
 * row, in float with AVX-512F: ``runs`` runs of 16 neighbours, the i-th at
 * row + i * gap (|y| with ``magnitudes``); the sample's threshold at
 * ``scaled`` by Michelot's passes without compaction
 * (skp_short_threshold_by_f32), its support (the values above it) and the
 * rest parted by compressed stores, and the bracket's ends selected in each
 * part: the ``spread``-th smallest of the support and the ``spread``-th
 * largest of the rest, ``spread`` = margin + sigmas * the binomial standard
 * deviation of the support's size.  The sample's double version in _l1.pyx
 * computes the same bracket but for roundings of the sample's threshold, in
 * 4.1 us instead of 2.3 on a 100 x 1000 array (its passes and selections
 * take 8 doubles a vector, and compact).  ``work`` holds 4 * (16 * runs + 16) floats.
 * Returns 0 (nothing done) where AVX-512F does not run; else sets *low and
 * *high (-DBL_MAX and DBL_MAX where there is no bound: a NaN or inf in the
 * sample, a sample inside the ball, or, ``through_total``, one holding too
 * little of S: see skp_sample_bracket_f32). */
SKP_AVX512 static int skp_sample_bracket512_f32_unguarded(const float* row, ptrdiff_t runs,
                                                          ptrdiff_t gap, int magnitudes,
                                                          double scaled, int through_total,
                                                          double sigmas, ptrdiff_t margin,
                                                          ptrdiff_t cap, float* work,
                                                          double* low, double* high) {
    const ptrdiff_t size = 16 * runs;
    /* (each with 16 floats to spare: full stores of compressed vectors) */
    float *sample = work, *support = work + size + 16, *rest = work + 2 * (size + 16);
    float *scratch = work + 3 * (size + 16), bound;
    __m512d totals = _mm512_setzero_pd();
    __m512 bound_v;
    ptrdiff_t i, n_support = 0, n_rest = 0;
    double total, tau, found;
    *low = -DBL_MAX;
    *high = DBL_MAX;
    for (i = 0; i < runs; i++) {
        __m512 v = _mm512_loadu_ps(row + i * gap);
        if (magnitudes) v = _mm512_abs_ps(v);
        _mm512_storeu_ps(sample + 16 * i, v);
        totals = _mm512_add_pd(totals, _mm512_add_pd(
            _mm512_cvtps_pd(_mm512_castps512_ps256(v)),
            _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)))));
    }
    total = _mm512_reduce_add_pd(totals);
    if (!skp_sample_radius(total, magnitudes, through_total, &scaled))
        return 1;     /* no guess */
    tau = skp_short_threshold_by_f32(sample, size, total, 0.0, 0.0, scaled, &found, 1);
    bound = skp_float_below(tau);
    bound_v = _mm512_set1_ps(bound);
    for (i = 0; i < size; i += 16) {
        __m512 v = _mm512_loadu_ps(sample + i);
        __mmask16 above = _mm512_cmp_ps_mask(v, bound_v, _CMP_GT_OQ);
        _mm512_storeu_ps(support + n_support, _mm512_maskz_compress_ps(above, v));
        _mm512_storeu_ps(rest + n_rest, _mm512_maskz_compress_ps((__mmask16) ~above, v));
        n_support += _mm_popcnt_u32((unsigned) above);
        n_rest += 16 - _mm_popcnt_u32((unsigned) above);
    }
    skp_sample_bracket_ends_f32(support, n_support, rest, n_rest, tau, scaled, sigmas,
                                margin, cap, magnitudes, sample, scratch, low, high);
    return 1;
}

/* The same bracket with AVX2: eight floats a vector, the parts packed by the
 * permutation table, the selections skp_select256_f32's.  On a Zen 3, 100 x
 * 1000 float32 at 10 % and 50 % of the norm (perf shares against the
 * unchanged scan): the sample 0.21 -> 0.13 of the scan's time, the call
 * 0.94 of its time with the sample's double version. */
SKP_AVX2 static int skp_sample_bracket256_f32(const float* row, ptrdiff_t runs, ptrdiff_t gap,
                                              int magnitudes, double scaled, int through_total,
                                              double sigmas, ptrdiff_t margin, ptrdiff_t cap,
                                              float* work, double* low, double* high) {
    const ptrdiff_t size = 16 * runs;
    float *sample = work, *support = work + size + 16, *rest = work + 2 * (size + 16);
    const __m256 sign = _mm256_set1_ps(magnitudes ? -0.0f : 0.0f);
    __m256d totals = _mm256_setzero_pd();
    __m256 bound_v;
    ptrdiff_t i, n_support = 0, n_rest = 0;
    double total, tau, found;
    int above;
    *low = -DBL_MAX;
    *high = DBL_MAX;
    for (i = 0; i < runs; i++) {
        __m256 v0 = _mm256_andnot_ps(sign, _mm256_loadu_ps(row + i * gap));
        __m256 v1 = _mm256_andnot_ps(sign, _mm256_loadu_ps(row + i * gap + 8));
        _mm256_storeu_ps(sample + 16 * i, v0);
        _mm256_storeu_ps(sample + 16 * i + 8, v1);
        totals = _mm256_add_pd(totals, _mm256_add_pd(
            _mm256_add_pd(skp_low_pd(v0), skp_high_pd(v0)),
            _mm256_add_pd(skp_low_pd(v1), skp_high_pd(v1))));
    }
    total = skp_hsum(totals);
    if (!skp_sample_radius(total, magnitudes, through_total, &scaled))
        return 1;     /* no guess */
    tau = skp_short_threshold_by_f32(sample, size, total, 0.0, 0.0, scaled, &found, 0);
    bound_v = _mm256_set1_ps(skp_float_below(tau));
    for (i = 0; i < size; i += 8) {
        __m256 v = _mm256_loadu_ps(sample + i);
        above = _mm256_movemask_ps(_mm256_cmp_ps(v, bound_v, _CMP_GT_OQ));
        n_support = skp_pack_store8(v, above, support, n_support);
        n_rest = skp_pack_store8(v, ~above & 0xff, rest, n_rest);
    }
    skp_sample_bracket_ends_f32(support, n_support, rest, n_rest, tau, scaled, sigmas,
                                margin, cap, magnitudes, sample, NULL, low, high);
    return 1;
}

/* The sampled bracket of one contiguous float32 row, in float (AVX-512F, or
 * AVX2); returns 0 (nothing done) where neither runs.  ``through_total``:
 * ``scaled`` is (S - radius) * size / n, S the sum of all the values, and
 * the sample's radius its own total less it (_l1.pyx's _sample_bracket's
 * ``known_total``; no guess where that is not positive). */
static inline int skp_sample_bracket_f32(const float* row, ptrdiff_t runs, ptrdiff_t gap,
                                         int magnitudes, double scaled, int through_total,
                                         double sigmas, ptrdiff_t margin, ptrdiff_t cap,
                                         float* work, double* low, double* high) {
    if (skp_avx512)
        return skp_sample_bracket512_f32_unguarded(row, runs, gap, magnitudes, scaled,
                                                   through_total, sigmas, margin, cap, work,
                                                   low, high);
    if (skp_avx2 > 0)
        return skp_sample_bracket256_f32(row, runs, gap, magnitudes, scaled, through_total,
                                         sigmas, margin, cap, work, low, high);
    return 0;
}

/* ------------------------------------------------- the scan of a small array
 * An array in cache reads fast, and the scan above is bound by its vector
 * instructions, not by memory: this one, for float32, leaves out
 * what the caller can do without when the bracket [low, high) is known to
 * hold tau and to exclude 0 (so that the projection moves y): the total and
 * the minimum.  It counts and sums the values >= high and gathers those in
 * [low, high) (``magnitudes``: |y|), as skp_scan_f32; a NaN counts as >= high
 * (unordered compare), so that the sum above shows NaN and inf (and -inf, on
 * the simplex, shows in the minimum of the values, which it takes).  Returns 0
 * (the caller runs the full scan) where neither AVX-512F (its loop here) nor
 * AVX2 (skp_scan_cached256_f32) runs, or when the gathered values would pass
 * ``capacity``. */
#define SKP_COUNT_CHUNK ((ptrdiff_t) 1 << 30)   /* values a lean scan counts in int32 lanes */
SKP_AVX512 static inline __attribute__((always_inline)) int skp_scan_cached_f32_(
        const float* row, ptrdiff_t n, float low, float high, const int magnitudes,
        const int ranged, const int open, const int far, skp_scan* scan, float* buffer,
        ptrdiff_t capacity) {
    const __m512 low_v = _mm512_set1_ps(low), high_v = _mm512_set1_ps(high);
    /* (``ranged`` and ``open``: see skp_scan_cached_f32_unguarded) */
    const __m512i low_bits = _mm512_set1_epi32(ranged ? skp_float_bits(low) : 0);
    const __m512i width = _mm512_set1_epi32(
        ranged ? (int32_t) (skp_float_bits(high) - skp_float_bits(low)) : 0);
    const __m512i minus_one = _mm512_set1_epi32(-1);
    const __m512i magnitude_bits = _mm512_set1_epi32(INT32_MAX);
    __m512d aboves = _mm512_setzero_pd();
    __m512 minimum = _mm512_set1_ps(INFINITY);
    __m512i counts = _mm512_setzero_si512(), largest0 = counts, largest1 = counts;
    ptrdiff_t j = 0, k = scan->n_gathered, n_high = 0, block_end;
    const ptrdiff_t ahead = far ? skp_ahead_for(n * (ptrdiff_t) sizeof(float)) : 0;
    double above_rest = 0.0;
    float value;
    while (j + 128 <= n) {
        __m512 above0 = _mm512_setzero_ps(), above1 = _mm512_setzero_ps();
        if (k + 128 > capacity) return 0;
        if (j % SKP_COUNT_CHUNK == 0) {   /* (the int32 lanes emptied before they overflow) */
            n_high += _mm512_reduce_add_epi32(counts);
            counts = _mm512_setzero_si512();
        }
        for (block_end = j + 128; j < block_end; j += 32) {
            __m512 v0 = _mm512_loadu_ps(row + j), v1 = _mm512_loadu_ps(row + j + 16);
            __mmask16 high0, high1, inside0, inside1;
            if (far) {
                skp_prefetch_ahead(row + j, ahead);
                skp_prefetch_ahead(row + j + 16, ahead);
            }
            if (magnitudes) {
                v0 = _mm512_abs_ps(v0);
                v1 = _mm512_abs_ps(v1);
            }
            if (open) {
                /* (the largest |v|'s bit pattern: inf and NaN, either sign, lie
                 * at or above inf's) */
                largest0 = _mm512_max_epi32(largest0, magnitudes ? _mm512_castps_si512(v0)
                    : _mm512_and_si512(_mm512_castps_si512(v0), magnitude_bits));
                largest1 = _mm512_max_epi32(largest1, magnitudes ? _mm512_castps_si512(v1)
                    : _mm512_and_si512(_mm512_castps_si512(v1), magnitude_bits));
            } else {
                if (!magnitudes) minimum = _mm512_min_ps(minimum, _mm512_min_ps(v0, v1));
                high0 = _mm512_cmp_ps_mask(v0, high_v, _CMP_NLT_UQ);
                high1 = _mm512_cmp_ps_mask(v1, high_v, _CMP_NLT_UQ);
                above0 = _mm512_mask_add_ps(above0, high0, above0, v0);
                above1 = _mm512_mask_add_ps(above1, high1, above1, v1);
                counts = _mm512_mask_sub_epi32(counts, high0, counts, minus_one);
                counts = _mm512_mask_sub_epi32(counts, high1, counts, minus_one);
            }
            if (ranged) {
                inside0 = _mm512_cmplt_epu32_mask(
                    _mm512_sub_epi32(_mm512_castps_si512(v0), low_bits), width);
                inside1 = _mm512_cmplt_epu32_mask(
                    _mm512_sub_epi32(_mm512_castps_si512(v1), low_bits), width);
            } else {
                inside0 = _kandn_mask16(high0, _mm512_cmp_ps_mask(v0, low_v, _CMP_GE_OQ));
                inside1 = _kandn_mask16(high1, _mm512_cmp_ps_mask(v1, low_v, _CMP_GE_OQ));
            }
            /* (k moves once a pair: the second store's place from the first
             * mask alone.  No branch around the compresses of a pair with
             * nothing to gather: on values drawn afresh each call its misses
             * cost more than the compresses, wherever 0.2-12 % of the values
             * lie in the bracket, 1.7 -> 1.8-3.2 times a copy (a C harness,
             * the Zen 5); on the same values each call the predictor learns
             * the pattern and it seems to gain) */
            _mm512_storeu_ps(buffer + k, _mm512_maskz_compress_ps(inside0, v0));
            _mm512_storeu_ps(buffer + k + _mm_popcnt_u32(_cvtmask16_u32(inside0)),
                             _mm512_maskz_compress_ps(inside1, v1));
            k += _mm_popcnt_u32(_cvtmask16_u32(inside0) | _cvtmask16_u32(inside1) << 16);
        }
        if (!open) {
            /* each lane summed 8 values in float; the blocks add in double (as the scan) */
            above0 = _mm512_add_ps(above0, above1);
            aboves = _mm512_add_pd(aboves, _mm512_add_pd(
                _mm512_cvtps_pd(_mm512_castps512_ps256(above0)),
                _mm512_cvtps_pd(_mm256_castpd_ps(
                    _mm512_extractf64x4_pd(_mm512_castps_pd(above0), 1)))));
        }
    }
    if (open && _mm512_reduce_max_epi32(_mm512_max_epi32(largest0, largest1))
                >= (int32_t) skp_float_bits(INFINITY))
        return 0;
    for (; j < n; j++) {
        value = magnitudes ? fabsf(row[j]) : row[j];
        if (value == -INFINITY) return 0;
        if (!(value < high)) {   /* (NaN too) */
            n_high++;
            above_rest += value;
        } else if (value >= low) {
            if (k >= capacity) return 0;
            buffer[k++] = value;
        }
    }
    if (!magnitudes && !open && _mm512_reduce_min_ps(minimum) == -INFINITY) return 0;
    n_high += _mm512_reduce_add_epi32(counts);
    scan->sum_high += _mm512_reduce_add_pd(aboves) + above_rest;
    scan->count_high += (double) n_high;
    scan->n_gathered = k;
    return 1;
}

/* (``ranged``: where 0 < low < high, the values in [low, high) are those
 * whose bit patterns, less low's, fall below high's less low's as unsigned
 * integers: positive floats order as their patterns do, a NaN's lies above
 * inf's, a negative value's (-0.0 too) above every positive one's; one
 * subtraction and compare where the float compares took two compares and
 * a mask operation; and the gather's end moves once a pair of vectors.
 * Issue 14, an AMD Zen 5, a harness on 100000 Gaussian magnitudes in L2
 * gathering 11 % of them, the best of 20000: 5.9 us -> 5.2-5.4; the
 * module's builds side by side, 0.93-0.98 of the call on 100 x 1000, 30 x
 * 1000, 300 x 784 and 64 x 784 float32.  The counts of the values above
 * are a vector's int32 lanes (SKP_COUNT_CHUNK), one masked subtraction a
 * vector where their masks' popcounts took three operations: 0.95-0.99 of
 * the call on those arrays.
 *
 * ``open``: a ranged bracket with no high end (high is +inf: a simplex, or
 * an l1 ball at a small radius, whose sample had no more values above its
 * threshold than the bracket's spread) has no value above it but inf and
 * NaN, so the loop neither sums nor counts: the largest |v|'s bit pattern
 * shows them (and -inf on the simplex, which the minimum showed), and the
 * caller then runs the full scan.  A C harness, the Zen 5, 100000 values in
 * L2 drawn afresh, 0.05-12 % of them gathered: 1.6-1.8 -> 1.3-1.5 times a
 * copy; the module's builds side by side, the simplex at radii 1 and 100 on
 * those arrays 0.90-0.97 of the call.) */
SKP_AVX512 static int skp_scan_cached_f32_unguarded(const float* row, ptrdiff_t n, double low,
                                                    double high, int magnitudes, skp_scan* scan,
                                                    float* buffer, ptrdiff_t capacity) {
    const float low_f = low <= -DBL_MAX ? -INFINITY : skp_float_above(low);
    const float high_f = high >= DBL_MAX ? INFINITY : skp_float_above(high);
    const int ranged = low_f > 0.0f && low_f < high_f, open = ranged && high_f == INFINITY;
    /* (the far prefetch of a long run, skp_ahead_for, in copies of the loop
     * of their own: its test in the loop of an array in cache cost 2-3 %;
     * each call below inlined with its constants) */
#define SKP_SCAN_CACHED(m, r, o, f) \
    skp_scan_cached_f32_(row, n, low_f, high_f, m, r, o, f, scan, buffer, capacity)
    if (!ranged)
        return magnitudes ? SKP_SCAN_CACHED(1, 0, 0, 0) : SKP_SCAN_CACHED(0, 0, 0, 0);
    if (skp_ahead_for(n * (ptrdiff_t) sizeof(float))) {
        if (open)
            return magnitudes ? SKP_SCAN_CACHED(1, 1, 1, 1) : SKP_SCAN_CACHED(0, 1, 1, 1);
        return magnitudes ? SKP_SCAN_CACHED(1, 1, 0, 1) : SKP_SCAN_CACHED(0, 1, 0, 1);
    }
    if (open)
        return magnitudes ? SKP_SCAN_CACHED(1, 1, 1, 0) : SKP_SCAN_CACHED(0, 1, 1, 0);
    return magnitudes ? SKP_SCAN_CACHED(1, 1, 0, 0) : SKP_SCAN_CACHED(0, 1, 0, 0);
#undef SKP_SCAN_CACHED
}

/* The same scan with AVX2: eight floats a vector, gathered by the permutation
 * table; blocks of 64 values, each lane summing 8 of them in float.  It drops
 * a third of the full AVX2 scan's vector instructions (the total's sum, and
 * the minimum on the l1 ball); with no high end (``open``), the sums and
 * counts above too. */
SKP_AVX2 static inline __attribute__((always_inline)) int skp_scan_cached256_f32_(
        const float* row, ptrdiff_t n, float low, float high, const int magnitudes,
        const int open, skp_scan* scan, float* buffer, ptrdiff_t capacity) {
    const __m256 low_v = _mm256_set1_ps(low), high_v = _mm256_set1_ps(high);
    const __m256 sign = _mm256_set1_ps(magnitudes ? -0.0f : 0.0f);
    const __m256i magnitude_bits = _mm256_set1_epi32(INT32_MAX);
    __m256d aboves = _mm256_setzero_pd();
    __m256i count = _mm256_setzero_si256();   /* (int32 lanes: see SKP_COUNT_CHUNK) */
    __m256i largest = _mm256_setzero_si256();
    __m256 minimum = _mm256_set1_ps(INFINITY);
    ptrdiff_t j = 0, k = scan->n_gathered, n_high = 0, block_end;
    int32_t lanes[8];
    double above_rest = 0.0;
    float value;
    int lane;
    while (j + 64 <= n) {
        __m256 above0 = _mm256_setzero_ps(), above1 = _mm256_setzero_ps();
        if (k + 64 > capacity) return 0;
        if (j % SKP_COUNT_CHUNK == 0) {
            _mm256_storeu_si256((__m256i*) lanes, count);
            for (lane = 0; lane < 8; lane++) n_high += lanes[lane];
            count = _mm256_setzero_si256();
        }
        for (block_end = j + 64; j < block_end; j += 16) {
            __m256 v0 = _mm256_andnot_ps(sign, _mm256_loadu_ps(row + j));
            __m256 v1 = _mm256_andnot_ps(sign, _mm256_loadu_ps(row + j + 8));
            __m256 high0, high1;
            if (open) {
                /* (as skp_scan_cached_f32_'s ``open``: the largest |v|'s bits;
                 * high is +inf, so v < high leaves inf and NaN out) */
                largest = _mm256_max_epi32(largest, magnitudes
                    ? _mm256_max_epi32(_mm256_castps_si256(v0), _mm256_castps_si256(v1))
                    : _mm256_max_epi32(
                          _mm256_and_si256(_mm256_castps_si256(v0), magnitude_bits),
                          _mm256_and_si256(_mm256_castps_si256(v1), magnitude_bits)));
                k = skp_pack_store8(v0, _mm256_movemask_ps(_mm256_and_ps(
                    _mm256_cmp_ps(v0, high_v, _CMP_LT_OQ),
                    _mm256_cmp_ps(v0, low_v, _CMP_GE_OQ))), buffer, k);
                k = skp_pack_store8(v1, _mm256_movemask_ps(_mm256_and_ps(
                    _mm256_cmp_ps(v1, high_v, _CMP_LT_OQ),
                    _mm256_cmp_ps(v1, low_v, _CMP_GE_OQ))), buffer, k);
                continue;
            }
            high0 = _mm256_cmp_ps(v0, high_v, _CMP_NLT_UQ);
            high1 = _mm256_cmp_ps(v1, high_v, _CMP_NLT_UQ);
            if (!magnitudes) minimum = _mm256_min_ps(minimum, _mm256_min_ps(v0, v1));
            above0 = _mm256_add_ps(above0, _mm256_and_ps(v0, high0));
            above1 = _mm256_add_ps(above1, _mm256_and_ps(v1, high1));
            count = _mm256_sub_epi32(count, _mm256_castps_si256(high0));
            count = _mm256_sub_epi32(count, _mm256_castps_si256(high1));
            k = skp_pack_store8(v0, _mm256_movemask_ps(_mm256_andnot_ps(
                high0, _mm256_cmp_ps(v0, low_v, _CMP_GE_OQ))), buffer, k);
            k = skp_pack_store8(v1, _mm256_movemask_ps(_mm256_andnot_ps(
                high1, _mm256_cmp_ps(v1, low_v, _CMP_GE_OQ))), buffer, k);
        }
        if (!open) {
            /* each lane summed 8 values in float; the blocks add in double (as the scan) */
            above0 = _mm256_add_ps(above0, above1);
            aboves = _mm256_add_pd(aboves, _mm256_add_pd(skp_low_pd(above0),
                                                         skp_high_pd(above0)));
        }
    }
    if (open) {
        _mm256_storeu_si256((__m256i*) lanes, largest);
        for (lane = 0; lane < 8; lane++)
            if (lanes[lane] >= (int32_t) skp_float_bits(INFINITY)) return 0;
    }
    for (; j < n; j++) {
        value = magnitudes ? fabsf(row[j]) : row[j];
        if (value == -INFINITY) return 0;
        if (!(value < high)) {   /* (NaN too) */
            n_high++;
            above_rest += value;
        } else if (value >= low) {
            if (k >= capacity) return 0;
            buffer[k++] = value;
        }
    }
    if (!magnitudes && !open
            && skp_hmin(_mm256_min_pd(skp_low_pd(minimum), skp_high_pd(minimum))) == -INFINITY)
        return 0;
    _mm256_storeu_si256((__m256i*) lanes, count);
    for (lane = 0; lane < 8; lane++) n_high += lanes[lane];
    scan->sum_high += skp_hsum(aboves) + above_rest;
    scan->count_high += (double) n_high;
    scan->n_gathered = k;
    return 1;
}

SKP_AVX2 static int skp_scan_cached256_f32(const float* row, ptrdiff_t n, float low, float high,
                                           int magnitudes, skp_scan* scan, float* buffer,
                                           ptrdiff_t capacity) {
    /* (``open``: high is +inf, as skp_scan_cached_f32_unguarded's; each call
     * inlined with its constants) */
#define SKP_SCAN_CACHED256(m, o) \
    skp_scan_cached256_f32_(row, n, low, high, m, o, scan, buffer, capacity)
    if (high == INFINITY && low > 0.0f)
        return magnitudes ? SKP_SCAN_CACHED256(1, 1) : SKP_SCAN_CACHED256(0, 1);
    return magnitudes ? SKP_SCAN_CACHED256(1, 0) : SKP_SCAN_CACHED256(0, 0);
#undef SKP_SCAN_CACHED256
}

static inline int skp_scan_cached_f32(const float* row, ptrdiff_t n, double low, double high,
                                      int magnitudes, skp_scan* scan, float* buffer,
                                      ptrdiff_t capacity) {
    if (skp_avx512)
        return skp_scan_cached_f32_unguarded(row, n, low, high, magnitudes, scan, buffer,
                                             capacity);
    if (skp_avx2 <= 0) return 0;
    return skp_scan_cached256_f32(row, n, low <= -DBL_MAX ? -INFINITY : skp_float_above(low),
                                  high >= DBL_MAX ? INFINITY : skp_float_above(high),
                                  magnitudes, scan, buffer, capacity);
}

/* ------------------------------------------------------------- group norms
 * The norms of float32 groups (see _streaming.pxd), kind 0: max |y|, 1: the l1
 * norm, 2: the squared l2 norm.  The max is taken in float (exact); |y| are
 * summed in float over blocks of at most 16 values per lane, the blocks' sums
 * in double (as the scan does); squares are computed and summed in double.
 * Returns 0 when it saw a NaN (maxps drops NaN, so it is flagged apart) or
 * when a float block overflowed: the caller then recomputes with the
 * portable loops, which give NaN and inf their exact meaning. */

SKP_AVX2 static inline float skp_hmax_ps(__m256 a) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_max_ss(s, _mm_shuffle_ps(s, s, 1)));
}

/* The running maximum of the magnitudes of 8 floats, on their bit patterns:
 * with the sign bit cleared, the patterns of non-negative floats order as
 * their values do, and NaN's sort above inf, so that a NaN stays in the
 * maximum (maxps would drop it): two integer operations a vector, where the
 * float maximum needs a separate test for NaN. */
SKP_AVX2 static inline __m256i skp_magnitude_max8(__m256i maximum, const float* values) {
    const __m256i magnitude = _mm256_set1_epi32(0x7fffffff);
    return _mm256_max_epi32(maximum, _mm256_and_si256(
        magnitude, _mm256_loadu_si256((const __m256i*) values)));
}

/* The largest magnitude of a contiguous row of n float32 (float64) values
 * with AVX-512F, skp_row_max512_f32 (_f64): skp_row_norm_f32's kind 0
 * where skp_avx512 and skp_fold512, on rows of at least
 * SKP_ROW_MAX512_LEAST values (skp_row_maxima_f64's, from
 * SKP_ROW_MAX512_LEAST_F64 on).  The maxima of the magnitudes' bit
 * patterns (a NaN's the largest: ``*nan`` = 1 then), as the AVX2 loop
 * takes them, hence its maximum, four chains of 16 from the row's first
 * line boundary, the values before it and after the last whole vector
 * under masks, so that no load spans two lines (NumPy's arrays start 16
 * bytes past one).  Issue 14, an Intel Xeon, single calls interleaved,
 * times a copy, the row maxima of float32 AVX2 -> this: 300 x 784 0.46 ->
 * 0.26, 100 x 1000 0.66 -> 0.38, 10 x 10000 0.64 -> 0.36, 1000 x 256 0.43
 * -> 0.31 (bilevel_l1inf by rows at half the norm 0.83-0.96 of the time;
 * project_linf_ball, one row, 100 x 1000 2.76 -> 2.51, 300 x 784 1.93 ->
 * 1.75); but rows of 128-192 values 1.03-1.37 times as long (the head's
 * and the reduction's fixed cost: 224 values 0.82), hence the least. */
#define SKP_ROW_MAX512_LEAST 256
#define SKP_ROW_MAX512(SUFFIX, T, VEC, LANES, MASK, EPI, EPU, MAGNITUDE, PS)            \
SKP_AVX512 static double skp_row_max512_##SUFFIX(const T* row, ptrdiff_t n, int* nan,     \
                                                  ptrdiff_t ahead) {                     \
    const __m512i magnitude = MAGNITUDE;                                                 \
    __m512i m0 = _mm512_setzero_si512(), m1 = m0, m2 = m0, m3 = m0;                      \
    ptrdiff_t j = skp_line_head(row, sizeof(T));                                         \
    VEC top;                                                                             \
    if (j > n) j = n;                                                                    \
    if (j > 0)                                                                           \
        m0 = _mm512_and_si512(magnitude,                                                 \
                              _mm512_maskz_loadu_##EPI((MASK) ((1u << j) - 1), row));    \
    for (; j + 4 * LANES <= n; j += 4 * LANES) {                                         \
        if (ahead) {   /* (the block's four lines) */                                    \
            skp_prefetch_ahead(row + j, ahead);                                          \
            skp_prefetch_ahead(row + j + LANES, ahead);                                  \
            skp_prefetch_ahead(row + j + 2 * LANES, ahead);                              \
            skp_prefetch_ahead(row + j + 3 * LANES, ahead);                              \
        }                                                                                \
        m0 = _mm512_max_##EPU(m0, _mm512_and_si512(magnitude, _mm512_loadu_si512(row + j))); \
        m1 = _mm512_max_##EPU(m1, _mm512_and_si512(magnitude,                            \
                                                   _mm512_loadu_si512(row + j + LANES))); \
        m2 = _mm512_max_##EPU(m2, _mm512_and_si512(                                      \
            magnitude, _mm512_loadu_si512(row + j + 2 * LANES)));                        \
        m3 = _mm512_max_##EPU(m3, _mm512_and_si512(                                      \
            magnitude, _mm512_loadu_si512(row + j + 3 * LANES)));                        \
    }                                                                                    \
    for (; j < n; j += LANES) {                                                          \
        const MASK lanes = (MASK) (n - j >= LANES ? (MASK) ~0 : (1u << (n - j)) - 1);    \
        m1 = _mm512_max_##EPU(m1, _mm512_and_si512(magnitude,                            \
                                                   _mm512_maskz_loadu_##EPI(lanes, row + j))); \
    }                                                                                    \
    top = _mm512_castsi512##PS(_mm512_max_##EPU(_mm512_max_##EPU(m0, m1),                \
                                                _mm512_max_##EPU(m2, m3)));              \
    if (_mm512_cmp##PS##_mask(top, top, _CMP_UNORD_Q)) *nan = 1;                         \
    return (double) _mm512_reduce_max##PS(top);                                          \
}
SKP_ROW_MAX512(f32, float, __m512, 16, __mmask16, epi32, epu32, _mm512_set1_epi32(0x7fffffff),
               _ps)
SKP_ROW_MAX512(f64, double, __m512d, 8, __mmask8, epi64, epu64, _mm512_set1_epi64(INT64_MAX),
               _pd)
#undef SKP_ROW_MAX512

/* The sum of the squares of a contiguous row of n >= SKP_ROW_SQUARES_LEAST
 * float32 values (skp_row_norm_f32's kind 2), in double: 32 partial sums,
 * sum l taking the squares of values l, l + 32, l + 64, ... of the whole
 * blocks of 32; the values after them by vectors of 8 into sums 0-7 (the
 * last vector's missing values as zeros); then sums l, l + 8, l + 16 and
 * l + 24 added as (s_l + s_(l+8)) + (s_(l+16) + s_(l+24)), the eight
 * results as (t_l + t_(l+4)), and those four by skp_hsum.  The order
 * depends only on n, so AVX-512F (four vectors of eight sums,
 * skp_row_squares512_f32) and AVX2 (eight of four, skp_row_squares256_f32)
 * give the same bits; a float's square is exact in double, so a fused
 * multiply-add rounds as the addition alone.  Sixteen sums in four chains
 * waited on the additions' latency: issue 14, an AMD Zen 5, project_l2_ball
 * on 100 x 1000 float32, the norm's share of the call 0.41. */
#define SKP_ROW_SQUARES_LEAST 32

SKP_AVX2 static double skp_row_squares256_f32(const float* row, ptrdiff_t n) {
    __m256d s[8], a;
    ptrdiff_t j = 0;
    int l;
    for (l = 0; l < 8; l++) s[l] = _mm256_setzero_pd();
    for (; j + 32 <= n; j += 32)
        for (l = 0; l < 8; l++) {
            a = _mm256_cvtps_pd(_mm_loadu_ps(row + j + 4 * l));
            s[l] = _mm256_add_pd(s[l], _mm256_mul_pd(a, a));
        }
    for (; j < n; j += 8) {
        const __m256 v = j + 8 <= n ? _mm256_loadu_ps(row + j)
                                    : _mm256_maskload_ps(row + j, skp_first_lanes8(n - j));
        a = _mm256_cvtps_pd(_mm256_castps256_ps128(v));
        s[0] = _mm256_add_pd(s[0], _mm256_mul_pd(a, a));
        a = _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1));
        s[1] = _mm256_add_pd(s[1], _mm256_mul_pd(a, a));
    }
    return skp_hsum(_mm256_add_pd(
        _mm256_add_pd(_mm256_add_pd(s[0], s[2]), _mm256_add_pd(s[4], s[6])),
        _mm256_add_pd(_mm256_add_pd(s[1], s[3]), _mm256_add_pd(s[5], s[7]))));
}

SKP_AVX512 static double skp_row_squares512_f32(const float* row, ptrdiff_t n,
                                                ptrdiff_t ahead) {
    __m512d s[4], a, t;
    ptrdiff_t j = 0;
    int l;
    for (l = 0; l < 4; l++) s[l] = _mm512_setzero_pd();
    for (; j + 32 <= n; j += 32) {
        if (ahead) {
            skp_prefetch_ahead(row + j, ahead);
            skp_prefetch_ahead(row + j + 16, ahead);
        }
        for (l = 0; l < 4; l++) {
            a = _mm512_cvtps_pd(_mm256_loadu_ps(row + j + 8 * l));
            s[l] = _mm512_fmadd_pd(a, a, s[l]);
        }
    }
    for (; j < n; j += 8) {
        a = _mm512_cvtps_pd(j + 8 <= n ? _mm256_loadu_ps(row + j)
                                       : _mm512_castps512_ps256(_mm512_maskz_loadu_ps(
                                             (__mmask16) ((1u << (n - j)) - 1), row + j)));
        s[0] = _mm512_fmadd_pd(a, a, s[0]);
    }
    t = _mm512_add_pd(_mm512_add_pd(s[0], s[1]), _mm512_add_pd(s[2], s[3]));
    return skp_hsum(_mm256_add_pd(_mm512_castpd512_pd256(t), _mm512_extractf64x4_pd(t, 1)));
}

/* The norm of one contiguous row of n floats. */
SKP_AVX2 static inline double skp_row_norm_f32(const float* row, ptrdiff_t n, int kind,
                                               int* clean, ptrdiff_t ahead) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256d acc0 = _mm256_setzero_pd(), acc1 = _mm256_setzero_pd();
    __m256d acc2 = _mm256_setzero_pd(), acc3 = _mm256_setzero_pd();
    ptrdiff_t j = 0, block_end;
    double result = 0.0;
    float maximum;
    if (kind == 0 && skp_avx512 && skp_fold512 && n >= SKP_ROW_MAX512_LEAST) {
        int nan = 0;
        const double top = skp_row_max512_f32(row, n, &nan, ahead);
        if (nan) *clean = 0;
        return top;
    }
    if (kind == 2 && n >= SKP_ROW_SQUARES_LEAST) {
        result = skp_avx512 ? skp_row_squares512_f32(row, n, ahead)
                            : skp_row_squares256_f32(row, n);
        if (result - result != 0.0) *clean = 0;
        return result;
    }
    if (kind == 0) {
        /* four chains of maxima (and of sums below): one vector op in flight each;
         * the maxima of the magnitudes' bit patterns (see skp_magnitude_max8) */
        __m256i m0 = _mm256_setzero_si256(), m1 = m0, m2 = m0, m3 = m0;
        for (; j + 32 <= n; j += 32) {
            m0 = skp_magnitude_max8(m0, row + j);
            m1 = skp_magnitude_max8(m1, row + j + 8);
            m2 = skp_magnitude_max8(m2, row + j + 16);
            m3 = skp_magnitude_max8(m3, row + j + 24);
        }
        /* the rest by vectors of 8, the last masked (its zeros are no
         * magnitude's maximum): a row of a few values took a loop of
         * scalars, most of bilevel_l1inf's time on 10000 x 8 by rows */
        for (; j + 8 <= n; j += 8) m0 = skp_magnitude_max8(m0, row + j);
        if (j < n)
            m1 = _mm256_max_epi32(m1, _mm256_and_si256(
                _mm256_set1_epi32(0x7fffffff),
                _mm256_castps_si256(_mm256_maskload_ps(row + j, skp_first_lanes8(n - j)))));
        m0 = _mm256_max_epi32(_mm256_max_epi32(m0, m2), _mm256_max_epi32(m1, m3));
        maximum = skp_hmax_ps(_mm256_castsi256_ps(m0));
        if (_mm256_movemask_ps(_mm256_cmp_ps(_mm256_castsi256_ps(m0), _mm256_castsi256_ps(m0),
                                             _CMP_UNORD_Q)))
            *clean = 0;
        return (double) maximum;
    }
    if (kind == 1) {
        /* blocks of 256 values, the last of them shorter (a multiple of 32),
         * then vectors of 8: a row's tail summed one value at a time waited
         * on one chain of additions (rows of 100 float32 took 4 times a copy
         * for their norms; rows of 1000 summed their last 232 so) */
        const ptrdiff_t bulk = n - n % 32;
        while (j < bulk) {
            __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
            __m256 s2 = _mm256_setzero_ps(), s3 = _mm256_setzero_ps();
            for (block_end = j + 256 < bulk ? j + 256 : bulk; j < block_end; j += 32) {
                if (ahead) {
                    skp_prefetch_ahead(row + j, ahead);
                    skp_prefetch_ahead(row + j + 16, ahead);
                }
                s0 = _mm256_add_ps(s0, _mm256_andnot_ps(sign, _mm256_loadu_ps(row + j)));
                s1 = _mm256_add_ps(s1, _mm256_andnot_ps(sign, _mm256_loadu_ps(row + j + 8)));
                s2 = _mm256_add_ps(s2, _mm256_andnot_ps(sign, _mm256_loadu_ps(row + j + 16)));
                s3 = _mm256_add_ps(s3, _mm256_andnot_ps(sign, _mm256_loadu_ps(row + j + 24)));
            }
            s0 = _mm256_add_ps(s0, s1);   /* 16 values per lane, each block of 8 in float */
            s2 = _mm256_add_ps(s2, s3);
            acc0 = _mm256_add_pd(acc0, skp_low_pd(s0));
            acc1 = _mm256_add_pd(acc1, skp_high_pd(s0));
            acc2 = _mm256_add_pd(acc2, skp_low_pd(s2));
            acc3 = _mm256_add_pd(acc3, skp_high_pd(s2));
        }
        if (j + 8 <= n) {
            __m256 s0 = _mm256_setzero_ps();
            for (; j + 8 <= n; j += 8)
                s0 = _mm256_add_ps(s0, _mm256_andnot_ps(sign, _mm256_loadu_ps(row + j)));
            acc0 = _mm256_add_pd(acc0, skp_low_pd(s0));
            acc1 = _mm256_add_pd(acc1, skp_high_pd(s0));
        }
        for (; j < n; j++) result += fabsf(row[j]);
    } else {
        for (; j + 16 <= n; j += 16) {
            __m256d a = _mm256_cvtps_pd(_mm_loadu_ps(row + j));
            __m256d b = _mm256_cvtps_pd(_mm_loadu_ps(row + j + 4));
            __m256d c = _mm256_cvtps_pd(_mm_loadu_ps(row + j + 8));
            __m256d d = _mm256_cvtps_pd(_mm_loadu_ps(row + j + 12));
            acc0 = _mm256_add_pd(acc0, _mm256_mul_pd(a, a));
            acc1 = _mm256_add_pd(acc1, _mm256_mul_pd(b, b));
            acc2 = _mm256_add_pd(acc2, _mm256_mul_pd(c, c));
            acc3 = _mm256_add_pd(acc3, _mm256_mul_pd(d, d));
        }
        for (; j < n; j++) result += (double) row[j] * (double) row[j];
    }
    result += skp_hsum(_mm256_add_pd(_mm256_add_pd(acc0, acc1), _mm256_add_pd(acc2, acc3)));
    if (result - result != 0.0) *clean = 0;
    return result;
}

/* Fold rows[0:count] (count <= 8) into the column norms: eight columns at a
 * time, the rows combined in registers (in float for the max and the l1
 * norm, in double for the squares), one load and store of the norms. */
SKP_AVX2 static inline __attribute__((always_inline)) void skp_fold_rows_f32_(
        const float* const* rows, const int count, ptrdiff_t n, double* norms, int kind,
        __m256* nan) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    ptrdiff_t j;
    int r;
    double a, m;
    for (j = 0; j + 8 <= n; j += 8) {
        if (kind == 2) {
            __m256d lo = _mm256_setzero_pd(), hi = _mm256_setzero_pd();
#pragma GCC unroll 8
            for (r = 0; r < count; r++) {
                __m256d u = _mm256_cvtps_pd(_mm_loadu_ps(rows[r] + j));
                __m256d v = _mm256_cvtps_pd(_mm_loadu_ps(rows[r] + j + 4));
                lo = _mm256_add_pd(lo, _mm256_mul_pd(u, u));
                hi = _mm256_add_pd(hi, _mm256_mul_pd(v, v));
            }
            _mm256_storeu_pd(norms + j, _mm256_add_pd(_mm256_loadu_pd(norms + j), lo));
            _mm256_storeu_pd(norms + j + 4, _mm256_add_pd(_mm256_loadu_pd(norms + j + 4), hi));
        } else if (kind == 0) {
            __m256i bits = _mm256_setzero_si256();
            __m256 f;
#pragma GCC unroll 8
            for (r = 0; r < count; r++) bits = skp_magnitude_max8(bits, rows[r] + j);
            f = _mm256_castsi256_ps(bits);
            *nan = _mm256_or_ps(*nan, _mm256_cmp_ps(f, f, _CMP_UNORD_Q));
            _mm256_storeu_pd(norms + j, _mm256_max_pd(_mm256_loadu_pd(norms + j),
                                                      skp_low_pd(f)));
            _mm256_storeu_pd(norms + j + 4, _mm256_max_pd(_mm256_loadu_pd(norms + j + 4),
                                                          skp_high_pd(f)));
        } else {
            __m256 f = _mm256_andnot_ps(sign, _mm256_loadu_ps(rows[0] + j));
#pragma GCC unroll 8
            for (r = 1; r < count; r++)
                f = _mm256_add_ps(f, _mm256_andnot_ps(sign, _mm256_loadu_ps(rows[r] + j)));
            _mm256_storeu_pd(norms + j, _mm256_add_pd(_mm256_loadu_pd(norms + j),
                                                      skp_low_pd(f)));
            _mm256_storeu_pd(norms + j + 4, _mm256_add_pd(_mm256_loadu_pd(norms + j + 4),
                                                          skp_high_pd(f)));
        }
    }
    for (; j < n; j++)
        for (r = 0; r < count; r++) {
            a = fabs((double) rows[r][j]);
            if (kind == 0) {
                m = norms[j];
                norms[j] = a > m ? a : m;
                if (a != a) *nan = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
            } else {
                norms[j] += kind == 1 ? a : a * a;
            }
        }
}

/* (eight rows, the common case, with the loops over the rows unrolled: their
 * overhead costs as much as the loads and maxima) */
SKP_AVX2 static void skp_fold_rows_f32(const float* const* rows, int count, ptrdiff_t n,
                                       double* norms, int kind, __m256* nan) {
    if (count == 8) skp_fold_rows_f32_(rows, 8, n, norms, kind, nan);
    else skp_fold_rows_f32_(rows, count, n, norms, kind, nan);
}

/* The squares of skp_fold_rows_f32_ (kind 2) with AVX-512F where the CPU
 * has it (skp_avx512): the same sums in the same order per column (a square
 * of a float is exact in double, so the fused multiply-add rounds as the
 * product and the sum do), hence the same norms, sixteen columns a vector
 * in half the instructions.  Returns where its columns end (a multiple of
 * 16); the AVX2 loop does the rest (the maxima and l1 norms: see
 * skp_fold_rows512_f32).  Not inlined in the AVX2 caller, whose target
 * lacks AVX-512. */
SKP_AVX512 static inline __attribute__((always_inline)) void skp_fold_squares512_f32_(
        const float* const* rows, const int count, ptrdiff_t n, double* norms, const int root) {
    ptrdiff_t j;
    int r;
    for (j = 0; j + 16 <= n; j += 16) {
        __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
#pragma GCC unroll 8
        for (r = 0; r < count; r++) {
            __m512d u = _mm512_cvtps_pd(_mm256_loadu_ps(rows[r] + j));
            __m512d v = _mm512_cvtps_pd(_mm256_loadu_ps(rows[r] + j + 8));
            lo = _mm512_fmadd_pd(u, u, lo);
            hi = _mm512_fmadd_pd(v, v, hi);
        }
        lo = _mm512_add_pd(_mm512_loadu_pd(norms + j), lo);
        hi = _mm512_add_pd(_mm512_loadu_pd(norms + j + 8), hi);
        _mm512_storeu_pd(norms + j, root ? _mm512_sqrt_pd(lo) : lo);
        _mm512_storeu_pd(norms + j + 8, root ? _mm512_sqrt_pd(hi) : hi);
    }
}

/* With ``root`` (the last rows), the sums stored rooted: the l2 norms (the
 * square roots overlap the loads and additions; skp_sqrt_all's after the
 * loop cost more than the loop on 8 x 10000, issue 14). */
SKP_AVX512 static ptrdiff_t skp_fold_squares512_f32(const float* const* rows, int count,
                                                    ptrdiff_t n, double* norms, int root) {
    if (root) skp_fold_squares512_f32_(rows, count, n, norms, 1);
    else if (count == 8) skp_fold_squares512_f32_(rows, 8, n, norms, 0);
    else skp_fold_squares512_f32_(rows, count, n, norms, 0);
    return n - n % 16;
}

/* The max (kind 0) and l1 (kind 1) folds of skp_fold_rows_f32_ with
 * AVX-512F where the CPU has it (skp_avx512): each column's rows combined in
 * the same order (the l1 terms added one row after the other in float, that
 * sum added to the column's norm in double; the maxima on the magnitudes'
 * bit patterns), hence the same norms, over the columns the AVX2 loop takes
 * eight at a time (all but the last n % 8, which it adds one by one in
 * double).  The first columns up to the first row's next 64-byte boundary
 * (under a mask), then 32 columns an iteration as two independent chains of
 * 16, the loads of that row whole lines (NumPy's arrays start 16 bytes past
 * one).  Returns where its columns end; the AVX2 loop does the rest.  A NaN
 * sets ``*nan`` (all bits), as the AVX2 loop's test does.  Issue 14, an
 * Intel Xeon, a C harness on float32 in L2, 8 rows a fold, the AVX2 loop ->
 * this, rows starting on a line / 16 bytes past one: 96 x 1000 5.6 -> 4.7 /
 * 6.7 -> 5.4 us, 304 x 784 13.7 -> 8.9 / 15.6 -> 10.4, 128 x 2000 16.5 ->
 * 11.2 / 18.5 -> 12.5, 96 x 1024 6.0 -> 4.0 / 7.0 -> 4.2 (without the
 * first columns apart, 16 bytes past a line: 5.9, 13.7, 16.0, 6.0; with a
 * single chain of 16 columns, on a line: 5.5, 9.7, 11.7, 4.4). */
SKP_AVX512 static inline __m512 skp_fold_column16_f32(const float* const* rows, const int count,
                                                      ptrdiff_t j, __mmask16 lanes,
                                                      const int kind) {
    const __m512i magnitude = _mm512_set1_epi32(0x7fffffff);
    __m512i bits;
    __m512 f;
    int r;
    if (kind == 0) {
        bits = _mm512_and_si512(magnitude, _mm512_maskz_loadu_epi32(lanes, rows[0] + j));
#pragma GCC unroll 8
        for (r = 1; r < count; r++)
            bits = _mm512_max_epi32(bits, _mm512_and_si512(
                magnitude, _mm512_maskz_loadu_epi32(lanes, rows[r] + j)));
        return _mm512_castsi512_ps(bits);
    }
    f = _mm512_abs_ps(_mm512_maskz_loadu_ps(lanes, rows[0] + j));
#pragma GCC unroll 8
    for (r = 1; r < count; r++)
        f = _mm512_add_ps(f, _mm512_abs_ps(_mm512_maskz_loadu_ps(lanes, rows[r] + j)));
    return f;
}

/* norms[j:j + 16] (those of ``lanes``) combined with the fold f of their
 * rows (a maximum or a sum in double); NaN lanes of a maximum into
 * ``nan_lanes``. */
SKP_AVX512 static inline void skp_fold_into16(double* norms, __m512 f, __mmask16 lanes,
                                              const int kind, __mmask16* nan_lanes) {
    const __mmask8 low_lanes = (__mmask8) lanes, high_lanes = (__mmask8) (lanes >> 8);
    const __m512d low = _mm512_cvtps_pd(_mm512_castps512_ps256(f));
    const __m512d high = _mm512_cvtps_pd(_mm256_castpd_ps(
        _mm512_extractf64x4_pd(_mm512_castps_pd(f), 1)));
    const __m512d old_low = _mm512_maskz_loadu_pd(low_lanes, norms);
    const __m512d old_high = _mm512_maskz_loadu_pd(high_lanes, norms + 8);
    if (kind == 0) {
        *nan_lanes |= _mm512_mask_cmp_ps_mask(lanes, f, f, _CMP_UNORD_Q);
        _mm512_mask_storeu_pd(norms, low_lanes, _mm512_max_pd(old_low, low));
        _mm512_mask_storeu_pd(norms + 8, high_lanes, _mm512_max_pd(old_high, high));
    } else {
        _mm512_mask_storeu_pd(norms, low_lanes, _mm512_add_pd(old_low, low));
        _mm512_mask_storeu_pd(norms + 8, high_lanes, _mm512_add_pd(old_high, high));
    }
}

SKP_AVX512 static inline __attribute__((always_inline)) ptrdiff_t skp_fold_rows512_f32_(
        const float* const* rows, const int count, ptrdiff_t n, double* norms, const int kind,
        __m256* nan) {
    const ptrdiff_t end = n - n % 8;
    __mmask16 nan_lanes = 0;
    ptrdiff_t j = skp_line_head(rows[0], sizeof(float));
    if (j > end) j = end;
    if (j > 0) {
        const __mmask16 head = (__mmask16) ((1u << j) - 1);
        skp_fold_into16(norms, skp_fold_column16_f32(rows, count, 0, head, kind), head, kind,
                        &nan_lanes);
    }
    for (; j + 32 <= end; j += 32) {
        const __m512 f = skp_fold_column16_f32(rows, count, j, 0xffff, kind);
        const __m512 g = skp_fold_column16_f32(rows, count, j + 16, 0xffff, kind);
        skp_fold_into16(norms + j, f, 0xffff, kind, &nan_lanes);
        skp_fold_into16(norms + j + 16, g, 0xffff, kind, &nan_lanes);
    }
    for (; j < end; j += 16) {
        const __mmask16 lanes = (__mmask16) (end - j >= 16 ? 0xffff : (1u << (end - j)) - 1);
        skp_fold_into16(norms + j, skp_fold_column16_f32(rows, count, j, lanes, kind), lanes,
                        kind, &nan_lanes);
    }
    if (nan_lanes) *nan = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
    return end;
}

/* (eight rows, the common case, and each kind inlined with its constants) */
SKP_AVX512 static ptrdiff_t skp_fold_rows512_f32(const float* const* rows, int count,
                                                 ptrdiff_t n, double* norms, int kind,
                                                 __m256* nan) {
    if (count == 8)
        return kind == 0 ? skp_fold_rows512_f32_(rows, 8, n, norms, 0, nan)
                         : skp_fold_rows512_f32_(rows, 8, n, norms, 1, nan);
    return kind == 0 ? skp_fold_rows512_f32_(rows, count, n, norms, 0, nan)
                     : skp_fold_rows512_f32_(rows, count, n, norms, 1, nan);
}

/* The rows of a block of sixteen from row ``r`` of ``n_rows``, as a mask. */
static inline __mmask16 skp_block_rows16(ptrdiff_t n_rows, ptrdiff_t r) {
    return (__mmask16) (n_rows - r >= 16 ? 0xffff : (1u << (n_rows - r)) - 1);
}

/* Value j of each of sixteen rows of n float32 values lying one after the
 * other at ``block``, a row a lane (the rows of ``rows``; 0 in the others):
 * the short rows' loops (skp_short_row_norms512_f32, _bilevel_simd.h). */
SKP_AVX512 static inline __m512 skp_row_lanes16_f32(const float* block, ptrdiff_t n,
                                                    ptrdiff_t j, __mmask16 rows) {
    const __m512i first = _mm512_mullo_epi32(
        _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
        _mm512_set1_epi32((int) n));
    return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), rows,
                                    _mm512_add_epi32(first, _mm512_set1_epi32((int) j)),
                                    block, 4);
}

/* The max (kind 0), l1 (kind 1) or squared l2 (kind 2) norms of rows of
 * n < 16 float32 values lying one after the other, sixteen rows at a time
 * with AVX-512F, a row a lane (its values gathered), each in
 * skp_row_norm_f32's order, so the same norms: kind 0 the maxima of the
 * magnitudes' bit patterns (exact; NaN the largest); kind 2 the squares in
 * double added one after the other; kind 1 the magnitudes after the first
 * eight added one after the other, plus, where there are eight, their
 * double sums v_k + v_(k+4) added as skp_hsum adds (the first block's float
 * sums are the magnitudes themselves).  A row at a time, the loop's
 * overhead was most of the time on rows of a few values (issue 14, an
 * Intel Xeon: bilevel_l1inf on float32 20000 x 3 by rows 15 times a copy,
 * 8.2-8.6 with the maxima here; 10000 x 8 6.8-7.1 -> 5.2-5.3).  Kind 2's
 * norms are stored rooted (the l2 norms), and 2 returned for it; 0 (the
 * caller recomputes by the portable loops) where a norm is not finite, or
 * for kind 0 (as the row loop) NaN; else 1. */
SKP_AVX512 static inline __attribute__((always_inline)) __mmask8 skp_short_row_norms512_f32_(
        const float* base, ptrdiff_t n_rows, const ptrdiff_t n, const int kind, double* norms) {
    __m512 column[16];
    __mmask8 finite = 0xff;
    ptrdiff_t r, j;
    int half;
    for (r = 0; r < n_rows; r += 16) {
        const __mmask16 some = skp_block_rows16(n_rows, r);
        for (j = 0; j < n; j++) column[j] = skp_row_lanes16_f32(base + r * n, n, j, some);
        if (kind == 0) {   /* the maxima of the magnitudes' bit patterns (NaN's the largest) */
            __m512i maximum = _mm512_setzero_si512();
            for (j = 0; j < n; j++)
                maximum = _mm512_max_epi32(maximum, _mm512_and_si512(
                    _mm512_castps_si512(column[j]), _mm512_set1_epi32(0x7fffffff)));
            column[0] = _mm512_castsi512_ps(maximum);
        }
        for (half = 0; half < 2; half++) {
            __m512d value[16], total = _mm512_setzero_pd();
            const __mmask8 rows = (__mmask8) (some >> 8 * half);
            for (j = 0; j < (kind == 0 ? 1 : n); j++)
                value[j] = _mm512_cvtps_pd(half ? _mm256_castpd_ps(_mm512_extractf64x4_pd(
                                                      _mm512_castps_pd(column[j]), 1))
                                                : _mm512_castps512_ps256(column[j]));
            if (kind == 0) {
                total = value[0];
            } else if (kind == 2) {
                for (j = 0; j < n; j++)
                    total = _mm512_add_pd(total, _mm512_mul_pd(value[j], value[j]));
                total = _mm512_add_pd(total, _mm512_setzero_pd());
            } else {
                __m512d pairs[4];
                int k;
                for (j = 8; j < n; j++) total = _mm512_add_pd(total, _mm512_abs_pd(value[j]));
                if (n >= 8) {
                    for (k = 0; k < 4; k++)
                        pairs[k] = _mm512_add_pd(_mm512_abs_pd(value[k]),
                                                 _mm512_abs_pd(value[k + 4]));
                    total = _mm512_add_pd(total, _mm512_add_pd(
                        _mm512_add_pd(pairs[0], pairs[2]), _mm512_add_pd(pairs[1], pairs[3])));
                } else {
                    for (j = 0; j < n; j++)
                        total = _mm512_add_pd(total, _mm512_abs_pd(value[j]));
                    total = _mm512_add_pd(total, _mm512_setzero_pd());
                }
            }
            finite &= (kind == 0 ? _mm512_cmp_pd_mask(total, total, _CMP_ORD_Q)
                                 : _mm512_cmp_pd_mask(_mm512_sub_pd(total, total),
                                                      _mm512_setzero_pd(), _CMP_EQ_OQ))
                | (__mmask8) ~rows;
            /* (kind 2 rooted here, where the divider's work overlaps the
             * gathers: skp_sqrt_all's after the loop cost half as much as the
             * loop on 10000 x 8; the same rounding) */
            _mm512_mask_storeu_pd(norms + r + 8 * half, rows,
                                  kind == 2 ? _mm512_sqrt_pd(total) : total);
        }
    }
    return finite;
}

/* (the loop above inlined with its row length and kind constants: with n
 * a variable its vectors lived on the stack) */
#define SKP_ROW_NORMS(KIND, UNUSED, N) \
    finite = skp_short_row_norms512_f32_(base, n_rows, N, KIND, norms)
SKP_AVX512 static int skp_short_row_norms512_f32(const float* base, ptrdiff_t n_rows,
                                                 ptrdiff_t n, int kind, double* norms) {
    __mmask8 finite;
    SKP_FOR_KIND_AND_LENGTH(kind, n, SKP_ROW_NORMS)
    return finite != 0xff ? 0 : kind == 2 ? 2 : 1;
}
#undef SKP_ROW_NORMS

/* norms[j] = sqrt(norms[j]), four at a time (sqrtpd rounds as sqrt() does; the
 * C library's sqrt, which may set errno, is not vectorized). */
SKP_AVX2 static inline void skp_sqrt_all(double* norms, ptrdiff_t n) {
    ptrdiff_t j = 0;
    for (; j + 4 <= n; j += 4)
        _mm256_storeu_pd(norms + j, _mm256_sqrt_pd(_mm256_loadu_pd(norms + j)));
    for (; j < n; j++) norms[j] = sqrt(norms[j]);
}

/* The same norms with AVX2 (not rooted): eight rows at a time, a row a lane
 * (skp_short_rows_as_lanes8), each half of four rows in double, in
 * skp_row_norm_f32's order as skp_short_row_norms512_f32 takes it, so the
 * same norms; 0 where a norm is not finite (kind 0: NaN), else 1.  A row
 * at a time, the row loop's overhead was most of the norms' time (issue 14,
 * a Zen 3, single calls interleaved, bilevel_l11 by rows at half the norm,
 * times a copy: float32 10000 x 8 14.0 -> 10.7, 20000 x 3 23.3 -> 16.2,
 * 100000 x 5 18.8 -> 11.2). */
SKP_AVX2 static inline __attribute__((always_inline)) int skp_short_row_norms256_f32_(
        const float* base, ptrdiff_t n_rows, const ptrdiff_t n, const int kind, double* norms) {
    const __m256d magnitude = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
    __m256 f[16];
    __m256d bad = _mm256_setzero_pd();
    ptrdiff_t r, j, k;
    int half;
    for (r = 0; r < n_rows; r += 8) {
        const ptrdiff_t rows = n_rows - r < 8 ? n_rows - r : 8;
        skp_short_rows_as_lanes8(base, n_rows, r, n, f);
        if (kind == 0) {   /* the maxima of the magnitudes' bit patterns (NaN's the largest) */
            __m256i maximum = _mm256_setzero_si256();
            for (j = 0; j < n; j++)
                maximum = _mm256_max_epi32(maximum, _mm256_and_si256(
                    _mm256_castps_si256(f[j]), _mm256_set1_epi32(0x7fffffff)));
            f[0] = _mm256_castsi256_ps(maximum);
        }
        for (half = 0; half < 2 && 4 * half < rows; half++) {
            const __m256i lanes = skp_first_lanes4(rows - 4 * half);
            __m256d value[16], total = _mm256_setzero_pd();
            for (j = 0; j < (kind == 0 ? 1 : n); j++)
                value[j] = _mm256_cvtps_pd(half ? _mm256_extractf128_ps(f[j], 1)
                                                : _mm256_castps256_ps128(f[j]));
            if (kind == 0) {
                total = value[0];
            } else if (kind == 2) {
                for (j = 0; j < n; j++)
                    total = _mm256_add_pd(total, _mm256_mul_pd(value[j], value[j]));
                total = _mm256_add_pd(total, _mm256_setzero_pd());
            } else if (n >= 8) {
                __m256d pairs[4];
                for (j = 8; j < n; j++)
                    total = _mm256_add_pd(total, _mm256_and_pd(magnitude, value[j]));
                for (k = 0; k < 4; k++)
                    pairs[k] = _mm256_add_pd(_mm256_and_pd(magnitude, value[k]),
                                             _mm256_and_pd(magnitude, value[k + 4]));
                total = _mm256_add_pd(total, _mm256_add_pd(_mm256_add_pd(pairs[0], pairs[2]),
                                                           _mm256_add_pd(pairs[1], pairs[3])));
            } else {
                for (j = 0; j < n; j++)
                    total = _mm256_add_pd(total, _mm256_and_pd(magnitude, value[j]));
                total = _mm256_add_pd(total, _mm256_setzero_pd());
            }
            bad = _mm256_or_pd(bad, _mm256_and_pd(_mm256_castsi256_pd(lanes), kind == 0
                ? _mm256_cmp_pd(total, total, _CMP_UNORD_Q)
                : _mm256_cmp_pd(_mm256_sub_pd(total, total), _mm256_setzero_pd(), _CMP_NEQ_UQ)));
            if (rows - 4 * half >= 4) _mm256_storeu_pd(norms + r + 4 * half, total);
            else _mm256_maskstore_pd(norms + r + 4 * half, lanes, total);
        }
    }
    return !_mm256_movemask_pd(bad);
}

#define SKP_ROW_NORMS(KIND, UNUSED, N) \
    clean = skp_short_row_norms256_f32_(base, n_rows, N, KIND, norms)
SKP_AVX2 static int skp_short_row_norms256_f32(const float* base, ptrdiff_t n_rows, ptrdiff_t n,
                                               int kind, double* norms) {
    int clean = 1;
    SKP_FOR_KIND_AND_LENGTH(kind, n, SKP_ROW_NORMS)
    return clean;
}
#undef SKP_ROW_NORMS

/* Every group's norm (squared for l2) of a float32 matrix with contiguous
 * rows (``row_stride`` in bytes), groups its rows or its columns; returns 0
 * (see above) when the portable loops must recompute them, 2 where the l2
 * norms are stored rooted (with AVX-512: short rows, see
 * skp_short_row_norms512_f32, and columns, skp_fold_squares512_f32), else 1. */
SKP_AVX2 static inline int skp_group_norms_f32(const float* base, ptrdiff_t row_stride,
                                               ptrdiff_t n_rows, ptrdiff_t n_cols,
                                               double* norms, int kind, int groups_are_rows) {
    const float* rows[8];
    __m256 nan = _mm256_setzero_ps();
    const int rooted = skp_avx512 && kind == 2;
    ptrdiff_t i, j;
    int r, count, clean = 1;
    if (groups_are_rows) {
        if (skp_avx512 && n_cols < 16 && n_cols > 0
                && row_stride == n_cols * (ptrdiff_t) sizeof(float))
            return skp_short_row_norms512_f32(base, n_rows, n_cols, kind, norms);
        if (skp_short_rows256 && n_cols < 16 && n_cols > 0
                && row_stride == n_cols * (ptrdiff_t) sizeof(float))
            return skp_short_row_norms256_f32(base, n_rows, n_cols, kind, norms);
        const ptrdiff_t ahead = skp_ahead_for_rows(n_rows, n_cols, row_stride, sizeof(float));
        for (i = 0; i < n_rows; i++)
            norms[i] = skp_row_norm_f32(
                (const float*) ((const char*) base + i * row_stride), n_cols, kind, &clean,
                ahead);
        return clean;
    }
    for (j = 0; j < n_cols; j++) norms[j] = 0.0;
    for (i = 0; i < n_rows; i += count) {
        count = n_rows - i < 8 ? (int) (n_rows - i) : 8;
        for (r = 0; r < count; r++)
            rows[r] = (const float*) ((const char*) base + (i + r) * row_stride);
        j = rooted ? skp_fold_squares512_f32(rows, count, n_cols, norms, i + count >= n_rows)
            : skp_avx512 && skp_fold512 && kind != 2
            ? skp_fold_rows512_f32(rows, count, n_cols, norms, kind, &nan)
            : 0;
        if (j < n_cols) {   /* (the columns left, the same sums by the AVX2 loop) */
            for (r = 0; r < count; r++) rows[r] += j;
            skp_fold_rows_f32(rows, count, n_cols - j, norms + j, kind, &nan);
        }
    }
    if (rooted)   /* (the AVX2 loop's columns) */
        skp_sqrt_all(norms + (n_cols - n_cols % 16), n_cols % 16);
    if (_mm256_movemask_ps(nan)) return 0;
    if (kind != 0) {
        /* (an overflowed sum, inf, leaves inf - inf = NaN: four at a time,
         * where a branch a column took a tenth of bilevel_l11 on 2 x 20000) */
        __m256d overflowed = _mm256_setzero_pd();
        for (j = 0; j + 4 <= n_cols; j += 4) {
            const __m256d v = _mm256_loadu_pd(norms + j), zero = _mm256_sub_pd(v, v);
            overflowed = _mm256_or_pd(overflowed, _mm256_cmp_pd(zero, zero, _CMP_UNORD_Q));
        }
        if (_mm256_movemask_pd(overflowed)) return 0;
        for (; j < n_cols; j++)
            if (norms[j] - norms[j] != 0.0) return 0;
    }
    return rooted ? 2 : 1;
}

/* The max (kind 0), l1 (kind 1) or l2 (kind 2: rooted) norms of rows of
 * n < 16 float64 values lying one after the other, eight rows at a time
 * with AVX-512F, a row a lane (its values gathered): kind 0 the maxima of
 * the magnitudes' bit patterns (exact; 0 returned for a NaN, as
 * skp_row_maxima_f64 returns); kinds 1 and 2 in skp_row_norm_f64's order,
 * so the same norms: the terms of the first 4 * (n / 4) values added into
 * four partial sums (t_l + t_(l+4)) + t_(l+8), those added as (p_0 + p_2)
 * + (p_1 + p_3), then the others one after the other; NaN and inf
 * propagate (as the row loop's).  A row at a time, the loops' overhead and
 * the square roots after them were most of the norms' time (issue 14, an
 * Intel Xeon, alternating processes, single calls interleaved, at half
 * the norm, times a copy: bilevel_l12 10000 x 8 5.2 -> 4.0, 20000 x 3 11.0
 * -> 7.5; bilevel_l11 20000 x 3 8.6 -> 6.2). */
SKP_AVX512 static inline __attribute__((always_inline)) int skp_short_row_norms512_f64_(
        const double* base, ptrdiff_t n_rows, const ptrdiff_t n, const int kind, double* norms) {
    const __m256i first = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                             _mm256_set1_epi32((int) n));
    const ptrdiff_t bulk = n - n % 4;
    __mmask8 ordered = 0xff;
    ptrdiff_t r, j;
    int l;
    for (r = 0; r < n_rows; r += 8) {
        const __mmask8 rows = (__mmask8) (n_rows - r >= 8 ? 0xff : (1u << (n_rows - r)) - 1);
        __m512d term[16], partial[4], total;
        for (j = 0; j < n; j++) {
            const __m512d v = _mm512_mask_i32gather_pd(
                _mm512_setzero_pd(), rows, _mm256_add_epi32(first, _mm256_set1_epi32((int) j)),
                base + r * n, 8);
            term[j] = kind == 2 ? _mm512_mul_pd(v, v) : _mm512_abs_pd(v);
        }
        total = _mm512_setzero_pd();
        if (kind == 0) {   /* (NaN's bit pattern is the largest) */
            __m512i maximum = _mm512_castpd_si512(term[0]);
            for (j = 1; j < n; j++)
                maximum = _mm512_max_epi64(maximum, _mm512_castpd_si512(term[j]));
            total = _mm512_castsi512_pd(maximum);
            ordered &= _mm512_cmp_pd_mask(total, total, _CMP_ORD_Q);
        } else if (bulk > 0) {
            for (l = 0; l < 4; l++) {
                partial[l] = term[l];
                for (j = l + 4; j < bulk; j += 4)
                    partial[l] = _mm512_add_pd(partial[l], term[j]);
            }
            total = _mm512_add_pd(_mm512_add_pd(partial[0], partial[2]),
                                  _mm512_add_pd(partial[1], partial[3]));
        }
        if (kind != 0)
            for (j = bulk; j < n; j++) total = _mm512_add_pd(total, term[j]);
        _mm512_mask_storeu_pd(norms + r, rows, kind == 2 ? _mm512_sqrt_pd(total) : total);
    }
    return ordered == 0xff;
}

#define SKP_ROW_NORMS(KIND, UNUSED, N) \
    ordered = skp_short_row_norms512_f64_(base, n_rows, N, KIND, norms)
SKP_AVX512 static int skp_short_row_norms512_f64(const double* base, ptrdiff_t n_rows,
                                                 ptrdiff_t n, int kind, double* norms) {
    int ordered;
    SKP_FOR_KIND_AND_LENGTH(kind, n, SKP_ROW_NORMS)
    return ordered;
}
#undef SKP_ROW_NORMS

/* float64 rows of SKP_ROW_MAX512_LEAST_F64 values or more take
 * skp_row_max512_f64 (SKP_ROW_MAX512 above: a NaN sets ``*nan``; inf stays
 * inf, as maxpd keeps it), the maximum of the AVX2 loop below.  Issue 14,
 * an Intel Xeon, single calls interleaved, times a copy, the row maxima of
 * float64, AVX2 -> AVX-512: 100 x 1000 0.63 -> 0.29, 10 x 10000 0.62 ->
 * 0.31, 300 x 784 0.29 -> 0.20, 1000 x 128 0.46 -> 0.29, 1000 x 100 0.63 ->
 * 0.43, 1000 x 48 0.83 -> 0.76 (bilevel_l1inf by rows at half the norm
 * 0.81-0.91 of the time on 100 x 1000, 10 x 10000, 1000 x 128 and 1000 x
 * 100); rows of 16-32 values 1.36-1.68 times as long, 40 even: hence the
 * least. */
#define SKP_ROW_MAX512_LEAST_F64 48

/* The maximum magnitude of each contiguous float64 row (``row_stride`` in
 * bytes), four chains of vector maxima (rows of fewer than 16 values one
 * after the other, with AVX-512: a row a lane, skp_short_row_norms512_f64);
 * returns 0 when a row holds NaN (maxpd drops a NaN in its first operand:
 * the portable loops, which keep it, recompute).  inf propagates through
 * maxpd.  The maximum does not depend on the order of the comparisons: the
 * portable loops' result exactly. */
SKP_AVX2 static inline int skp_row_maxima_f64(const double* base, ptrdiff_t row_stride,
                                              ptrdiff_t n_rows, ptrdiff_t n_cols,
                                              double* norms) {
    const __m256d sign = _mm256_set1_pd(-0.0);
    __m256d nan = _mm256_setzero_pd();
    ptrdiff_t i, j;
    if (skp_avx512 && n_cols < 16 && n_cols > 0
            && row_stride == n_cols * (ptrdiff_t) sizeof(double))
        return skp_short_row_norms512_f64(base, n_rows, n_cols, 0, norms);
    if (skp_avx512 && skp_fold512 && n_cols >= SKP_ROW_MAX512_LEAST_F64) {
        const ptrdiff_t ahead = skp_ahead_for_rows(n_rows, n_cols, row_stride,
                                                   sizeof(double));
        int found_nan = 0;
        for (i = 0; i < n_rows; i++)
            norms[i] = skp_row_max512_f64(
                (const double*) ((const char*) base + i * row_stride), n_cols, &found_nan,
                ahead);
        return !found_nan;
    }
    for (i = 0; i < n_rows; i++) {
        const double* row = (const double*) ((const char*) base + i * row_stride);
        __m256d m0 = _mm256_setzero_pd(), m1 = m0, m2 = m0, m3 = m0, v0, v1, v2, v3;
        for (j = 0; j + 16 <= n_cols; j += 16) {
            v0 = _mm256_andnot_pd(sign, _mm256_loadu_pd(row + j));
            v1 = _mm256_andnot_pd(sign, _mm256_loadu_pd(row + j + 4));
            v2 = _mm256_andnot_pd(sign, _mm256_loadu_pd(row + j + 8));
            v3 = _mm256_andnot_pd(sign, _mm256_loadu_pd(row + j + 12));
            /* (one unordered compare of the four: a NaN anywhere stays NaN in the sum) */
            nan = _mm256_or_pd(nan, _mm256_cmp_pd(_mm256_add_pd(v0, v1), _mm256_add_pd(v2, v3),
                                                  _CMP_UNORD_Q));
            m0 = _mm256_max_pd(m0, v0);
            m1 = _mm256_max_pd(m1, v1);
            m2 = _mm256_max_pd(m2, v2);
            m3 = _mm256_max_pd(m3, v3);
        }
        /* (the rest by vectors of 4, the last masked: see skp_row_norm_f32) */
        for (; j + 4 <= n_cols; j += 4) {
            v0 = _mm256_andnot_pd(sign, _mm256_loadu_pd(row + j));
            nan = _mm256_or_pd(nan, _mm256_cmp_pd(v0, v0, _CMP_UNORD_Q));
            m0 = _mm256_max_pd(m0, v0);
        }
        if (j < n_cols) {
            v0 = _mm256_andnot_pd(sign, _mm256_maskload_pd(row + j, skp_first_lanes4(n_cols - j)));
            nan = _mm256_or_pd(nan, _mm256_cmp_pd(v0, v0, _CMP_UNORD_Q));
            m1 = _mm256_max_pd(m1, v0);
        }
        m0 = _mm256_max_pd(_mm256_max_pd(m0, m1), _mm256_max_pd(m2, m3));
        m0 = _mm256_max_pd(m0, _mm256_permute4x64_pd(m0, 0x4e));
        m0 = _mm256_max_pd(m0, _mm256_permute_pd(m0, 0x5));
        norms[i] = _mm256_cvtsd_f64(m0);
    }
    return !_mm256_movemask_pd(nan);
}

/* Every column's max magnitude of a float64 matrix with contiguous rows
 * (``row_stride`` in bytes), four rows folded at a time, four columns a
 * vector; returns 0 where a fold's four magnitudes of a column add up to
 * NaN or inf (a NaN or inf, or finite values whose sum overflows): the
 * portable loops (``fold_four_rows``), whose result is NaN there, then
 * recompute.  Elsewhere the maximum does not depend on the order of the
 * comparisons: the portable loops' result exactly, where gcc's SSE2 took
 * two columns a vector (issue 14, an Intel Xeon, single calls interleaved,
 * the column maxima / a copy, portable -> this: 100 x 1000 1.25 -> 0.79,
 * 300 x 784 0.58 -> 0.38, 64 x 784 1.37 -> 0.88, 1000 x 1000 0.60 -> 0.52;
 * bilevel_l1inf at half the norm, alternating processes, 100 x 1000
 * 2.39-2.43 -> 1.90-2.07, 64 x 784 2.59-2.82 -> 1.99-2.24, 300 x 784
 * 1.60-1.75 -> 1.46-1.50). */
SKP_AVX2 static inline int skp_column_maxima_f64(const double* base, ptrdiff_t row_stride,
                                                 ptrdiff_t n_rows, ptrdiff_t n_cols,
                                                 double* norms) {
    const __m256d sign = _mm256_set1_pd(-0.0);
    __m256d bad = _mm256_setzero_pd();
    ptrdiff_t i, j;
    int r, count;
    for (j = 0; j < n_cols; j++) norms[j] = 0.0;
    for (i = 0; i < n_rows; i += count) {
        const double* rows[4];
        count = n_rows - i < 4 ? (int) (n_rows - i) : 4;
        for (r = 0; r < 4; r++)   /* (a short fold repeats its last row: the same max) */
            rows[r] = (const double*) ((const char*) base
                                       + (i + (r < count ? r : count - 1)) * row_stride);
        for (j = 0; j + 4 <= n_cols; j += 4) {
            const __m256d a = _mm256_andnot_pd(sign, _mm256_loadu_pd(rows[0] + j));
            const __m256d b = _mm256_andnot_pd(sign, _mm256_loadu_pd(rows[1] + j));
            const __m256d c = _mm256_andnot_pd(sign, _mm256_loadu_pd(rows[2] + j));
            const __m256d d = _mm256_andnot_pd(sign, _mm256_loadu_pd(rows[3] + j));
            /* (((a + b) + c) + d, fold_four_rows's poison, 0 where finite,
             * else NaN: its bits stay in ``bad``) */
            const __m256d total = _mm256_add_pd(_mm256_add_pd(_mm256_add_pd(a, b), c), d);
            bad = _mm256_or_pd(bad, _mm256_sub_pd(total, total));
            _mm256_storeu_pd(norms + j, _mm256_max_pd(
                _mm256_loadu_pd(norms + j),
                _mm256_max_pd(_mm256_max_pd(a, b), _mm256_max_pd(c, d))));
        }
        for (; j < n_cols; j++) {
            const double a = fabs(rows[0][j]), b = fabs(rows[1][j]);
            const double c = fabs(rows[2][j]), d = fabs(rows[3][j]);
            const double m = a > b ? a : b, n = c > d ? c : d, top = m > n ? m : n;
            if (((a + b) + c) + d - (((a + b) + c) + d) != 0.0) return 0;
            norms[j] = top > norms[j] ? top : norms[j];
        }
    }
    return !_mm256_movemask_pd(_mm256_cmp_pd(bad, bad, _CMP_UNORD_Q));
}

/* |v| (kind 1) or v * v (kind 2) of four doubles: the terms of the l1 and
 * squared l2 norms (a product and a sum rounded apart, never fused). */
SKP_AVX2 static inline __m256d skp_norm_terms4(__m256d v, int kind) {
    return kind == 1 ? _mm256_andnot_pd(_mm256_set1_pd(-0.0), v) : _mm256_mul_pd(v, v);
}

/* The same term of one double (the loops' values left over). */
static inline double skp_norm_term(double v, int kind) {
    return kind == 1 ? fabs(v) : v * v;
}

/* The l1 norm (kind 1) or squared l2 norm (kind 2) of a contiguous float64
 * row: sixteen accumulators, four vectors of four, then the vectors of four
 * and the values left.  The portable loop (``sum_terms``) keeps four, one
 * chain of additions a lane pair in SSE2, which waits on the additions'
 * latency: about a value a cycle, as long as a read of the matrix from
 * memory takes.  Exact to rounding as that loop is, in another order: the
 * result depends only on the row's length.  NaN and inf propagate into the
 * sum (a square overflows to inf), for the caller's check of the total. */
SKP_AVX2 static inline double skp_row_norm_f64(const double* row, ptrdiff_t n, int kind,
                                               ptrdiff_t ahead) {
    __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
    ptrdiff_t j = 0;
    double result;
    for (; j + 16 <= n; j += 16) {
        if (ahead) {
            skp_prefetch_ahead(row + j, ahead);
            skp_prefetch_ahead(row + j + 8, ahead);
        }
        s0 = _mm256_add_pd(s0, skp_norm_terms4(_mm256_loadu_pd(row + j), kind));
        s1 = _mm256_add_pd(s1, skp_norm_terms4(_mm256_loadu_pd(row + j + 4), kind));
        s2 = _mm256_add_pd(s2, skp_norm_terms4(_mm256_loadu_pd(row + j + 8), kind));
        s3 = _mm256_add_pd(s3, skp_norm_terms4(_mm256_loadu_pd(row + j + 12), kind));
    }
    for (; j + 4 <= n; j += 4)
        s0 = _mm256_add_pd(s0, skp_norm_terms4(_mm256_loadu_pd(row + j), kind));
    s0 = _mm256_add_pd(_mm256_add_pd(s0, s1), _mm256_add_pd(s2, s3));
    s0 = _mm256_add_pd(s0, _mm256_permute4x64_pd(s0, 0x4e));
    result = _mm256_cvtsd_f64(_mm256_add_pd(s0, _mm256_permute_pd(s0, 0x5)));
    for (; j < n; j++) result += skp_norm_term(row[j], kind);
    return result;
}

/* Four rows folded into the column norms, ``norms[j] += (t0 + t1) + (t2 +
 * t3)`` with t the rows' terms, four columns a vector: the portable loop's
 * (``fold_four_rows``) operations in its order, hence its norms exactly,
 * where gcc's SSE2 took two columns a vector. */
SKP_AVX2 static inline void skp_fold_four_rows_f64(const double* r0, const double* r1,
                                                   const double* r2, const double* r3,
                                                   ptrdiff_t n, double* norms, int kind,
                                                   ptrdiff_t ahead) {
    ptrdiff_t j;
    for (j = 0; j + 4 <= n; j += 4) {
        if (ahead && j % 8 == 0) {   /* (each row's line, ``ahead`` bytes on) */
            skp_prefetch_ahead(r0 + j, ahead);
            skp_prefetch_ahead(r1 + j, ahead);
            skp_prefetch_ahead(r2 + j, ahead);
            skp_prefetch_ahead(r3 + j, ahead);
        }
        const __m256d low = _mm256_add_pd(skp_norm_terms4(_mm256_loadu_pd(r0 + j), kind),
                                          skp_norm_terms4(_mm256_loadu_pd(r1 + j), kind));
        const __m256d high = _mm256_add_pd(skp_norm_terms4(_mm256_loadu_pd(r2 + j), kind),
                                           skp_norm_terms4(_mm256_loadu_pd(r3 + j), kind));
        _mm256_storeu_pd(norms + j, _mm256_add_pd(_mm256_loadu_pd(norms + j),
                                                  _mm256_add_pd(low, high)));
    }
    for (; j < n; j++)
        norms[j] += (skp_norm_term(r0[j], kind) + skp_norm_term(r1[j], kind))
                    + (skp_norm_term(r2[j], kind) + skp_norm_term(r3[j], kind));
}

/* The l1 (kind 1) or squared l2 (kind 2) norms of rows of n < 16 float64
 * values lying one after the other with AVX2 (not rooted): four rows at a
 * time, a row a lane (skp_short_rows_as_lanes4_f64), in skp_row_norm_f64's
 * order, so its norms: the terms of the first 4 (n / 4) values added into
 * four partial sums t_l + t_(l+4) + t_(l+8) from 0, those added as
 * (p_0 + p_2) + (p_1 + p_3), then the others one after the other (issue
 * 14, a Zen 3, single calls interleaved, times a copy at half the norm,
 * float64 by rows, the norms and the write a row a call -> a block:
 * bilevel_l12 10000 x 8 6.2 -> 3.1, 20000 x 3 19.0 -> 5.6, 5000 x 10 6.0
 * -> 2.8; bilevel_l11 10000 x 8 5.9 -> 5.2, 20000 x 3 10.6 -> 6.9). */
SKP_AVX2 static inline __attribute__((always_inline)) void skp_short_row_norms256_f64_(
        const double* base, ptrdiff_t n_rows, const ptrdiff_t n, const int kind, double* norms) {
    __m256d c[16];
    ptrdiff_t r, j, l;
    for (r = 0; r < n_rows; r += 4) {
        const ptrdiff_t rows = n_rows - r < 4 ? n_rows - r : 4;
        __m256d partial[4], total;
        skp_short_rows_as_lanes4_f64(base, n_rows, r, n, c);
        for (j = 0; j < n; j++) c[j] = skp_norm_terms4(c[j], kind);
        for (l = 0; l < 4; l++) {
            partial[l] = _mm256_setzero_pd();
            for (j = l; j < n - n % 4; j += 4) partial[l] = _mm256_add_pd(partial[l], c[j]);
        }
        total = _mm256_add_pd(_mm256_add_pd(partial[0], partial[2]),
                              _mm256_add_pd(partial[1], partial[3]));
        for (j = n - n % 4; j < n; j++) total = _mm256_add_pd(total, c[j]);
        if (rows == 4) _mm256_storeu_pd(norms + r, total);
        else _mm256_maskstore_pd(norms + r, skp_first_lanes4(rows), total);
    }
}

#define SKP_ROW_NORMS(KIND, UNUSED, N) skp_short_row_norms256_f64_(base, n_rows, N, KIND, norms)
SKP_AVX2 static void skp_short_row_norms256_f64(const double* base, ptrdiff_t n_rows,
                                                ptrdiff_t n, int kind, double* norms) {
    SKP_FOR_KIND_AND_LENGTH(kind, n, SKP_ROW_NORMS)
}
#undef SKP_ROW_NORMS

/* Every group's l1 norm (kind 1) or squared l2 norm (kind 2) of a float64
 * matrix with contiguous rows (``row_stride`` in bytes), groups its rows or
 * its columns; returns 0 for the maxima (kind 0), which it leaves to
 * skp_row_maxima_f64 and the portable loops, 2 where the l2 norms are
 * stored rooted (short rows with AVX-512: skp_short_row_norms512_f64),
 * else 1.  Columns: four rows at a time, then one (as ``fold_row``), in the
 * portable loops' order. */
SKP_AVX2 static inline int skp_group_norms_f64(const double* base, ptrdiff_t row_stride,
                                               ptrdiff_t n_rows, ptrdiff_t n_cols,
                                               double* norms, int kind, int groups_are_rows) {
#define SKP_ROW_F64(i) ((const double*) ((const char*) base + (i) * row_stride))
    ptrdiff_t i, j, ahead;
    if (kind != 1 && kind != 2) return 0;
    if (groups_are_rows) {
        if (skp_avx512 && n_cols < 16 && n_cols > 0
                && row_stride == n_cols * (ptrdiff_t) sizeof(double)) {
            skp_short_row_norms512_f64(base, n_rows, n_cols, kind, norms);
            return kind == 2 ? 2 : 1;
        }
        if (skp_short_rows256 && n_cols < 16 && n_cols > 0
                && row_stride == n_cols * (ptrdiff_t) sizeof(double)) {
            skp_short_row_norms256_f64(base, n_rows, n_cols, kind, norms);
            return 1;
        }
        ahead = skp_ahead_for_rows(n_rows, n_cols, row_stride, sizeof(double));
        for (i = 0; i < n_rows; i++)
            norms[i] = skp_row_norm_f64(SKP_ROW_F64(i), n_cols, kind, ahead);
        return 1;
    }
    for (j = 0; j < n_cols; j++) norms[j] = 0.0;
    /* (four rows read at once, each asking for its lines an eighth of
     * skp_ahead_for's bytes on, as the exact ball's eight rows: issue 14, the
     * Zen 5, single calls interleaved, 1000 x 10000 column groups at 10, 50
     * and 90 % of the groups kept, bilevel_l12 0.96-0.97 of the time,
     * bilevel_l11 0.98-1.00, 0.98, 0.96) */
    ahead = skp_ahead_for_rows(n_rows, n_cols, row_stride, sizeof(double)) / 8;
    for (i = 0; i + 4 <= n_rows; i += 4)
        skp_fold_four_rows_f64(SKP_ROW_F64(i), SKP_ROW_F64(i + 1), SKP_ROW_F64(i + 2),
                               SKP_ROW_F64(i + 3), n_cols, norms, kind, ahead);
    for (; i < n_rows; i++) {
        const double* row = SKP_ROW_F64(i);
        for (j = 0; j + 4 <= n_cols; j += 4)
            _mm256_storeu_pd(norms + j, _mm256_add_pd(_mm256_loadu_pd(norms + j),
                                                      skp_norm_terms4(_mm256_loadu_pd(row + j),
                                                                      kind)));
        for (; j < n_cols; j++) norms[j] += skp_norm_term(row[j], kind);
    }
    return 1;
#undef SKP_ROW_F64
}

/* Zero ``n`` bytes at ``dst`` with non-temporal stores of whole cache lines
 * (the bytes before the first and after the last by plain ones: see
 * skp_stream_start): a zeroed row is not read into the caches before it is
 * written, as memset does below its own (much larger) streaming threshold.
 * Not fenced: the caller calls skp_stream_fence (see the write pass). */
SKP_AVX2 static inline void skp_stream_zero(char* dst, ptrdiff_t n) {
    const __m256i zero = _mm256_setzero_si256();
    ptrdiff_t j = 0;
    for (; j < n && ((uintptr_t) (dst + j) & 63); j++) dst[j] = 0;
    for (; j + 64 <= n; j += 64) {
        _mm256_stream_si256((__m256i*) (dst + j), zero);
        _mm256_stream_si256((__m256i*) (dst + j + 32), zero);
    }
    for (; j < n; j++) dst[j] = 0;
}

/* Order the non-temporal stores before what follows (another thread's
 * reads of the result): once per call, after its last streamed store. */
static inline void skp_stream_fence(void) { _mm_sfence(); }

/* The bi-level groups' new radii and the write's factors, four groups a
 * vector, as the Cython loop computes them (_bilevel_clip_or_scale):
 * kept = max(radii[j] - tau, 0) in that operand order (Cython's max: maxpd
 * with 0 first), the factor kept itself or, with ``rescale``, kept / radii[j]
 * (kept / 1 for a zero norm), rounded to float32 in ``factors32`` (else
 * stored in ``factors64``); radii[j] = kept: the same operations, so the
 * same factors.  The loop of one group at a time cost bilevel_l12 about 1.8
 * copies of 10000 x 8 float32 (issue 14, an Intel Xeon, alternating
 * processes, single calls interleaved, at half the norm, times a copy, that
 * loop -> this: bilevel_l12 10000 x 8 8.9-9.2 -> 7.8-8.0, 8 x 10000 7.3 ->
 * 6.4; 100 x 1000, 1000 x 100 and bilevel_l1inf, which has no division,
 * even). */
SKP_AVX2 static inline void skp_kept_factors(double* radii, ptrdiff_t n, double tau, int rescale,
                                             float* factors32, double* factors64) {
    const __m256d zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0);
    const __m256d at = _mm256_set1_pd(tau);
    ptrdiff_t j = 0;
    for (; j + 4 <= n; j += 4) {
        const __m256d r = _mm256_loadu_pd(radii + j);
        const __m256d k = _mm256_max_pd(zero, _mm256_sub_pd(r, at));
        const __m256d f = rescale ? _mm256_div_pd(k, _mm256_blendv_pd(
                                        one, r, _mm256_cmp_pd(r, zero, _CMP_GT_OQ)))
                                  : k;
        if (factors32) _mm_storeu_ps(factors32 + j, _mm256_cvtpd_ps(f));
        else _mm256_storeu_pd(factors64 + j, f);
        _mm256_storeu_pd(radii + j, k);
    }
    for (; j < n; j++) {
        const double k = 0.0 > radii[j] - tau ? 0.0 : radii[j] - tau;
        const double f = rescale ? k / (radii[j] > 0 ? radii[j] : 1.0) : k;
        if (factors32) factors32[j] = (float) f;
        else factors64[j] = f;
        radii[j] = k;
    }
}

/* ------------------------------------------------- the bi-level write pass
 * One contiguous row of a bi-level result: dst = clip(src, level) (to
 * [-level, level]) or, with ``rescale``, src * level; the level is ``level``
 * for the whole row, or levels[j] per column when ``levels`` is not NULL.
 * The Cython loops' results exactly (min/max and one product); with
 * ``stream``, non-temporal stores (see the write pass above).  The clip is
 * max(-level, min(level, v)) in that operand order, as the Cython clip: at a
 * zero level v keeps its sign, and a NaN stays NaN (a min or max of two zeros
 * or of a NaN gives its second operand; max(min(v, l), -l) gave -0.0 for
 * every v at a zero level where a row's scalar last values kept their sign). */

static inline double skp_clip_or_scale(double value, double level, int rescale) {
    if (rescale) return value * level;
    value = value > level ? level : value;
    return value < -level ? -level : value;
}

SKP_AVX2 static inline void skp_write_row_f32(const float* src, float* dst, ptrdiff_t n,
                                              int rescale, float level, const float* levels,
                                              int stream) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    const ptrdiff_t end = n - n % 8;
    ptrdiff_t j = skp_stream_start(dst, end, 8, sizeof(float), &stream);
    const ptrdiff_t stop = skp_stream_stop(dst, end, sizeof(float), stream);
    ptrdiff_t k;
    __m256 l = _mm256_set1_ps(level), x;
    __m256i some;
#define SKP_LEVELLED8(v, l) (rescale ? _mm256_mul_ps((v), (l))                          \
                             : _mm256_max_ps(_mm256_xor_ps((l), sign), _mm256_min_ps((l), (v))))
    for (k = 0; k < j; k += 8) {   /* (see skp_stream_start) */
        some = skp_first_lanes8(j - k);
        if (levels) l = _mm256_maskload_ps(levels + k, some);
        skp_store_first8(dst + k, SKP_LEVELLED8(_mm256_maskload_ps(src + k, some), l), j - k);
    }
    for (; j + 8 <= end; j += 8) {
        if (levels) l = _mm256_loadu_ps(levels + j);
        x = SKP_LEVELLED8(_mm256_loadu_ps(src + j), l);
        if (j + 8 <= stop) _mm256_stream_ps(dst + j, x);
        else _mm256_storeu_ps(dst + j, x);
    }
    if (j < end) {
        some = skp_first_lanes8(end - j);
        if (levels) l = _mm256_maskload_ps(levels + j, some);
        skp_store_first8(dst + j, SKP_LEVELLED8(_mm256_maskload_ps(src + j, some), l), end - j);
    }
#undef SKP_LEVELLED8
    for (j = end; j < n; j++)
        dst[j] = (float) skp_clip_or_scale(src[j], levels ? levels[j] : level, rescale);
}

/* A block in cache of column groups (a level per column), written a strip of
 * SKP_WRITE_STRIP_VECTORS vectors of columns at a time, their levels held in
 * registers down the rows (skp_write_strips512_f32/_f64): one load a store,
 * where the row loop loaded a level beside each value; the same operations,
 * so the same result.  Returns 0 (nothing written) as the row loop does, and
 * where the CPU prefers the rows or the rows' strides do not suit them
 * (skp_strips_suit). */
#define SKP_WRITE_STRIP_VECTORS 4

/* skp_write_row_f32 and _f64 with AVX-512F: the same operations, a cache
 * line of values a vector, and the first and last few by masked ones (a
 * float product or clip rounds as the double one rounded to float), so the
 * same result.  Every vector from dst's first cache line on is a whole
 * line, and only the head before it and the tail after the last whole line
 * are masked stores (see skp_stream_start); with ``stream`` the lines are
 * written by non-temporal stores.  (Stores across two lines cost two:
 * issue 14, an Intel Xeon, single calls interleaved, float32 column groups
 * 16 bytes past a line, as NumPy's arrays start, at half the norm, times a
 * copy, from dst's first element -> from its first line: bilevel_l1inf 100
 * x 1000 2.10-2.16 -> 1.77-1.86, 300 x 784 1.61-1.70 -> 1.43-1.51, 64 x 784
 * 2.02-2.07 -> 1.70-1.71; bilevel_l12 2.40-2.60 -> 2.05-2.28, 1.87-2.05 ->
 * 1.75-1.89, 2.43-2.44 -> 2.19-2.21; on a line, 100 x 1000, whose odd rows
 * start half a line past one, 1.87 -> 1.69 and 2.19 -> 2.01.)  Issue 14, an
 * AMD Zen 5, bilevel_l1inf and bilevel_l12 at half the norm, single calls
 * interleaved, times a copy, the AVX2 loop streamed / this one streamed /
 * this one not: float32 column groups of 1000 x 10000 2.10-2.15 / 1.86-1.89
 * / 1.94-1.98 and 1.97-2.01 / 1.77-1.81 / 1.85-1.89, of 10000 x 1000
 * 1.73-1.82 / 1.66-1.73 / 2.04-2.07; row groups of 1000 x 10000 1.41-1.55 /
 * 1.36-1.50 / 1.56-1.71; float64 column groups of 1000 x 10000 1.95 / 1.72 /
 * 1.94 and 1.83 / 1.66 / 1.89.  (A loop taking the head, the vectors and the
 * tail in one, with a branch for each, lost these gains.)  Returns 0
 * (nothing written) where the CPU lacks AVX-512F or a test turned it off. */
#define SKP_WRITE_ROW512(SUFFIX, T, VEC, MASK, LANES, PS, SIGN, EPI, IOTA)               \
SKP_AVX512 static inline VEC skp_levelled512_##SUFFIX(VEC v, VEC l, int rescale) {       \
    const __m512i sign = SIGN;                                                           \
    return rescale ? _mm512_mul_##PS(v, l)                                               \
                   : _mm512_max_##PS(_mm512_castsi512_##PS(_mm512_xor_si512(            \
                         _mm512_cast##PS##_si512(l), sign)), _mm512_min_##PS(l, v));     \
}                                                                                        \
                                                                                         \
/* the first ``count`` (< LANES) entries, by masked loads and a masked store */         \
SKP_AVX512 static inline void skp_levelled_some512_##SUFFIX(                             \
        const T* src, T* dst, ptrdiff_t count, int rescale, VEC l, const T* levels) {    \
    const MASK some = (MASK) ((1u << count) - 1u);                                       \
    if (levels) l = _mm512_maskz_loadu_##PS(some, levels);                               \
    _mm512_mask_storeu_##PS(dst, some, skp_levelled512_##SUFFIX(                         \
        _mm512_maskz_loadu_##PS(some, src), l, rescale));                                \
}                                                                                        \
                                                                                         \
/* A vector of values ``v`` levelled into dst (on a line): streamed, or stored after the  \
 * line's prefetch for writing. */                                                       \
SKP_AVX512 static inline void skp_levelled_put512_##SUFFIX(T* dst, VEC v, VEC l,         \
                                                         int rescale, int stream) {      \
    const VEC x = skp_levelled512_##SUFFIX(v, l, rescale);                               \
    if (stream) _mm512_stream_##PS(dst, x);                                              \
    else { skp_prefetch_for_write(dst); _mm512_storeu_##PS(dst, x); }                    \
}                                                                                        \
                                                                                         \
/* The vectors of dst[j:] (dst + j on a line, src + j not on one; the first by an        \
 * unaligned load where src + j's line would start before src) from whole lines of src,  \
 * each read once, aligned, and shifted into place between two (VPERMT2PS/PD), where an  \
 * unaligned load of src + j spans two lines: a result at another offset in its line     \
 * than its input (an out= allocated apart; issue 14, an Intel Xeon, single calls        \
 * interleaved, 100 x 1000 at half the norm, out 32 bytes further into its line than     \
 * the input, times a copy, loads across lines / realigned / out at the input's offset:  \
 * float32 column groups, bilevel_l1inf 2.00 / 1.68 / 1.67, bilevel_l12 2.45 / 2.07 /    \
 * 2.06; float64 1.94 / 1.74 / 1.73, 2.03 / 1.82 / 1.81; row groups and 1000 x 10000     \
 * even).  Stops where the next line would pass src[n - 1]; returns that j.              \
 * (skp_realign: a testing switch, _bilevel._set_column_paths(realign=False).) */        \
SKP_AVX512 static inline ptrdiff_t skp_write_realigned512_##SUFFIX(                       \
        const T* src, T* dst, ptrdiff_t j, ptrdiff_t n, int rescale, VEC l,             \
        const T* levels, int stream) {                                                   \
    const ptrdiff_t shift = LANES - skp_line_head(src + j, sizeof(T));                   \
    const __m512i index = _mm512_add_##EPI(IOTA, _mm512_set1_##EPI(shift));             \
    const ptrdiff_t ahead = skp_ahead_streamed(stream);                                  \
    const T* line;                                                                       \
    VEC low, high;                                                                       \
    if (j < shift) {   /* (no line before src) */                                        \
        if (levels) l = _mm512_loadu_##PS(levels + j);                                   \
        skp_levelled_put512_##SUFFIX(dst + j, _mm512_loadu_##PS(src + j), l, rescale,    \
                                     stream);                                            \
        j += LANES;                                                                      \
    }                                                                                    \
    line = src + j - shift;                                                              \
    low = _mm512_load_##PS(line);                                                        \
    for (; j - shift + 2 * LANES <= n; j += LANES, line += LANES, low = high) {          \
        high = _mm512_load_##PS(line + LANES);                                           \
        if (ahead) skp_prefetch_ahead(line + LANES, ahead);                              \
        if (levels) l = _mm512_loadu_##PS(levels + j);                                   \
        skp_levelled_put512_##SUFFIX(dst + j, _mm512_permutex2var_##PS(low, index, high), \
                                     l, rescale, stream);                                \
    }                                                                                    \
    return j;                                                                            \
}                                                                                        \
                                                                                         \
SKP_AVX512 static int skp_write_row512_##SUFFIX##_unguarded(                             \
        const T* src, T* dst, ptrdiff_t n, int rescale, T level, const T* levels,       \
        int stream) {                                                                    \
    const ptrdiff_t head = skp_line_head(dst, sizeof(T));                                \
    const int whole = (uintptr_t) dst % sizeof(T) == 0 && head + LANES <= n;            \
    VEC l = _mm512_set1_##PS(level);                                                     \
    ptrdiff_t j = 0, ahead;                                                              \
    stream = stream && whole;                                                            \
    ahead = skp_ahead_streamed(stream);                                                  \
    if (whole && head) {   /* up to the first line */                                   \
        skp_levelled_some512_##SUFFIX(src, dst, head, rescale, l, levels);               \
        j = head;                                                                        \
    }                                                                                    \
    if (whole && skp_realign && j + 2 * LANES <= n && (uintptr_t) src % sizeof(T) == 0   \
            && skp_line_head(src + j, sizeof(T)) != 0)                                   \
        j = skp_write_realigned512_##SUFFIX(src, dst, j, n, rescale, l, levels, stream);  \
    for (; j + LANES <= n; j += LANES) {                                                 \
        if (ahead) skp_prefetch_ahead(src + j, ahead);                                   \
        if (levels) l = _mm512_loadu_##PS(levels + j);                                   \
        skp_levelled_put512_##SUFFIX(dst + j, _mm512_loadu_##PS(src + j), l, rescale,    \
                                     stream);                                            \
    }                                                                                    \
    if (j < n)                                                                           \
        skp_levelled_some512_##SUFFIX(src + j, dst + j, n - j, rescale, l,               \
                                      levels ? levels + j : NULL);                       \
    return 1;                                                                            \
}                                                                                        \
                                                                                         \
static inline int skp_write_row512_##SUFFIX(const T* src, T* dst, ptrdiff_t n,           \
                                            int rescale, T level, const T* levels,      \
                                            int stream) {                                \
    if (!skp_avx512) return 0;                                                           \
    return skp_write_row512_##SUFFIX##_unguarded(src, dst, n, rescale, level, levels,   \
                                                 stream);                                \
}                                                                                        \
                                                                                         \
SKP_AVX512 static inline __attribute__((always_inline)) void skp_write_strips512_##SUFFIX##_( \
        const T* src, ptrdiff_t src_stride, T* dst, ptrdiff_t dst_stride,               \
        ptrdiff_t n_rows, ptrdiff_t n, const int rescale, const T* levels) {            \
    ptrdiff_t i, j;                                                                      \
    int k, n_vectors;                                                                    \
    for (j = 0; j < n; j += LANES * n_vectors) {                                         \
        VEC l[SKP_WRITE_STRIP_VECTORS];                                                  \
        MASK lanes[SKP_WRITE_STRIP_VECTORS];                                             \
        n_vectors = (int) ((n - j + LANES - 1) / LANES);                                 \
        n_vectors = n_vectors < SKP_WRITE_STRIP_VECTORS ? n_vectors                      \
                                                        : SKP_WRITE_STRIP_VECTORS;       \
        for (k = 0; k < n_vectors; k++) {                                                \
            const ptrdiff_t left = n - j - LANES * k;                                    \
            lanes[k] = left >= LANES ? (MASK) -1 : (MASK) ((1u << left) - 1u);           \
            l[k] = _mm512_maskz_loadu_##PS(lanes[k], levels + j + LANES * k);            \
        }                                                                                \
        for (i = 0; i < n_rows; i++) {                                                   \
            const T* y = (const T*) ((const char*) src + i * src_stride) + j;            \
            T* x = (T*) ((char*) dst + i * dst_stride) + j;                              \
            for (k = 0; k < n_vectors; k++)                                              \
                _mm512_mask_storeu_##PS(x + LANES * k, lanes[k], skp_levelled512_##SUFFIX( \
                    _mm512_maskz_loadu_##PS(lanes[k], y + LANES * k), l[k], rescale));   \
        }                                                                                \
    }                                                                                    \
}                                                                                        \
                                                                                         \
SKP_AVX512 static void skp_write_strips512_##SUFFIX##_unguarded(                        \
        const T* src, ptrdiff_t src_stride, T* dst, ptrdiff_t dst_stride,               \
        ptrdiff_t n_rows, ptrdiff_t n, int rescale, const T* levels) {                  \
    if (rescale)                                                                         \
        skp_write_strips512_##SUFFIX##_(src, src_stride, dst, dst_stride, n_rows, n, 1, levels); \
    else                                                                                 \
        skp_write_strips512_##SUFFIX##_(src, src_stride, dst, dst_stride, n_rows, n, 0, levels); \
}                                                                                        \
                                                                                         \
static inline int skp_write_strips512_##SUFFIX(const T* src, ptrdiff_t src_stride, T* dst, \
                                               ptrdiff_t dst_stride, ptrdiff_t n_rows,   \
                                               ptrdiff_t n, int rescale,                \
                                               const T* levels) {                        \
    if (!skp_avx512 || !skp_strips_suit(src_stride, dst_stride)) return 0;              \
    skp_write_strips512_##SUFFIX##_unguarded(src, src_stride, dst, dst_stride, n_rows, n, \
                                             rescale, levels);                           \
    return 1;                                                                            \
}
SKP_WRITE_ROW512(f32, float, __m512, __mmask16, 16, ps, _mm512_set1_epi32((int32_t) 0x80000000u),
                 epi32, _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0))
SKP_WRITE_ROW512(f64, double, __m512d, __mmask8, 8, pd,
                 _mm512_set1_epi64((long long) 0x8000000000000000ull),
                 epi64, _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0))
#undef SKP_WRITE_ROW512

/* The permutations that spread a vector of the levels (or taus) of LANES
 * rows of n values lying one after the other to their values: lane l of the
 * q-th vector of a block of LANES rows takes row (LANES q + l) / n's
 * (``spread[0:n]``, n <= 16; the short rows' block writes). */
SKP_AVX512 static inline void skp_row_spreads16(ptrdiff_t n, __m512i* spread) {
    int32_t lane_rows[16];
    ptrdiff_t q, lane;
    for (q = 0; q < n; q++) {
        for (lane = 0; lane < 16; lane++) lane_rows[lane] = (int32_t) ((16 * q + lane) / n);
        spread[q] = _mm512_loadu_si512(lane_rows);
    }
}

SKP_AVX512 static inline void skp_row_spreads8(ptrdiff_t n, __m512i* spread) {
    int64_t lane_rows[8];
    ptrdiff_t q, lane;
    for (q = 0; q < n; q++) {
        for (lane = 0; lane < 8; lane++) lane_rows[lane] = (int64_t) ((8 * q + lane) / n);
        spread[q] = _mm512_loadu_si512(lane_rows);
    }
}

/* The same for AVX2's permutevar8x32, ``lanes`` rows a block: 8 (float32,
 * lane l of the q-th vector row (8 q + l) / n's), or 4 (float64, each
 * double lane the pair of 32-bit halves of row (4 q + l) / n's). */
SKP_AVX2 static inline void skp_row_spreads256(ptrdiff_t n, int lanes, __m256i* spread) {
    int32_t halves[8];
    ptrdiff_t q, k;
    for (q = 0; q < n; q++) {
        for (k = 0; k < 8; k++) {
            const int32_t row = (int32_t) ((lanes * q + k * lanes / 8) / n);
            halves[k] = lanes == 8 ? row : 2 * row + (int32_t) (k & 1);
        }
        spread[q] = _mm256_loadu_si256((const __m256i*) halves);
    }
}

/* Short rows (at most 16 values each) lying one after the other, a
 * contiguous block, each clipped or rescaled by its own level as the row loop
 * does (skp_levelled512: the same operations, so the same result), and a row
 * whose level is 0 zeroed to +0, as the row loop zeroes it: a vector of LANES
 * rows' levels is spread to their values by a permutation (lane l of the
 * q-th vector of a block of LANES rows is row (LANES q + l) / n's), a vector
 * of values a store, where the row loop spent a call on each row (issue 14,
 * bilevel_l1inf by rows of 8 float32 values: half its time);
 * skp_write_short_rows_f32/_f64 return 0 (nothing written) where the CPU
 * lacks AVX2 or the rows are longer. */
#define SKP_WRITE_SHORT_ROWS512(SUFFIX, T, VEC, MASK, LANES, PS)                    \
SKP_AVX512 static inline void skp_spread512_##SUFFIX(const T* src, T* dst, MASK some,    \
                                                     __m512i spread, VEC l, int rescale) { \
    const VEC level = _mm512_permutexvar_##PS(spread, l);                                \
    const MASK kept = _mm512_cmp_##PS##_mask(level, _mm512_setzero_##PS(), _CMP_NEQ_UQ); \
    _mm512_mask_storeu_##PS(dst, some, _mm512_maskz_mov_##PS(kept, skp_levelled512_##SUFFIX( \
        _mm512_maskz_loadu_##PS(some, src), level, rescale)));                           \
}                                                                                        \
                                                                                         \
SKP_AVX512 static void skp_write_short_rows512_##SUFFIX##_unguarded(                     \
        const T* src, T* dst, ptrdiff_t n_rows, ptrdiff_t n, int rescale,                \
        const T* levels) {                                                               \
    __m512i spread[16];                                                                  \
    ptrdiff_t r = 0, q, left;                                                            \
    skp_row_spreads##LANES(n, spread);                                                   \
    for (; r + LANES <= n_rows; r += LANES) {                                            \
        const VEC l = _mm512_loadu_##PS(levels + r);                                     \
        for (q = 0; q < n; q++)                                                          \
            skp_spread512_##SUFFIX(src + (r * n + LANES * q), dst + (r * n + LANES * q),  \
                                   (MASK) -1, spread[q], l, rescale);                    \
    }                                                                                    \
    if (r < n_rows) {   /* (the last rows, fewer than LANES: masked) */                 \
        const VEC l = _mm512_maskz_loadu_##PS((MASK) ((1u << (n_rows - r)) - 1u), levels + r); \
        for (q = 0; (left = (n_rows - r) * n - LANES * q) > 0; q++)                      \
            skp_spread512_##SUFFIX(src + (r * n + LANES * q), dst + (r * n + LANES * q),  \
                                   left >= LANES ? (MASK) -1 : (MASK) ((1u << left) - 1u), \
                                   spread[q], l, rescale);                               \
    }                                                                                    \
}                                                                                        \
                                                                                         \

SKP_WRITE_SHORT_ROWS512(f32, float, __m512, __mmask16, 16, ps)
SKP_WRITE_SHORT_ROWS512(f64, double, __m512d, __mmask8, 8, pd)
#undef SKP_WRITE_SHORT_ROWS512

/* The same with AVX2: eight float32 rows (four float64 ones) a block, their
 * levels spread by permutevar8x32 (skp_row_spreads256), skp_write_row_f32's
 * operations and zeros, so the same result; whole vectors by plain loads and
 * stores, masked ones at the end alone (AMD's masked stores before Zen 4 are
 * microcoded).  (skp_have_avx2, not skp_avx2: a module that never asked,
 * as _l1inf_strips without AVX-512, holds it unset.)  Issue 14, a Zen 3,
 * single calls interleaved, times a copy at half the norm, by rows, the
 * norms and the write a row a call -> a block:
 * bilevel_l1inf float32 10000 x 8 17.1 -> 4.9, 20000 x 3 75.9 -> 7.8,
 * 100000 x 5 28.2 -> 5.2; bilevel_l12 10000 x 8 11.9 -> 5.3, 20000 x 3
 * 44.1 -> 11.8. */
#define SKP_WRITE_SHORT_ROWS256(SUFFIX, T, VEC, LANES, PS, CAST, UNCAST)                 \
SKP_AVX2 static inline void skp_spread256_##SUFFIX(const T* src, T* dst, ptrdiff_t left,  \
                                                   __m256i spread, VEC l, int rescale) {  \
    const VEC sign = _mm256_set1_##PS(-0.0), zero = _mm256_setzero_##PS();             \
    const VEC level = UNCAST(_mm256_permutevar8x32_ps(CAST(l), spread));                 \
    const __m256i some = skp_first_lanes##LANES(left);                                    \
    const VEC v = left >= LANES ? _mm256_loadu_##PS(src) : _mm256_maskload_##PS(src, some); \
    const VEC x = _mm256_and_##PS(                                                        \
        _mm256_cmp_##PS(level, zero, _CMP_NEQ_UQ),                                        \
        rescale ? _mm256_mul_##PS(v, level)                                               \
                : _mm256_max_##PS(_mm256_xor_##PS(level, sign), _mm256_min_##PS(level, v))); \
    if (left >= LANES) _mm256_storeu_##PS(dst, x);                                        \
    else _mm256_maskstore_##PS(dst, some, x);                                             \
}                                                                                         \
                                                                                          \
SKP_AVX2 static void skp_write_short_rows256_##SUFFIX(const T* src, T* dst, ptrdiff_t n_rows, \
                                                      ptrdiff_t n, int rescale,           \
                                                      const T* levels) {                  \
    __m256i spread[16];                                                                   \
    ptrdiff_t r = 0, q, left;                                                             \
    skp_row_spreads256(n, LANES, spread);                                                 \
    for (; r + LANES <= n_rows; r += LANES) {                                             \
        const VEC l = _mm256_loadu_##PS(levels + r);                                      \
        for (q = 0; q < n; q++)                                                           \
            skp_spread256_##SUFFIX(src + (r * n + LANES * q), dst + (r * n + LANES * q),   \
                                   LANES, spread[q], l, rescale);                         \
    }                                                                                     \
    if (r < n_rows) {   /* (the last rows, fewer than LANES: masked) */                  \
        const VEC l = _mm256_maskload_##PS(levels + r, skp_first_lanes##LANES(n_rows - r)); \
        for (q = 0; (left = (n_rows - r) * n - LANES * q) > 0; q++)                       \
            skp_spread256_##SUFFIX(src + (r * n + LANES * q), dst + (r * n + LANES * q),   \
                                   left, spread[q], l, rescale);                          \
    }                                                                                     \
}                                                                                         \
                                                                                          \
static inline int skp_write_short_rows_##SUFFIX(const T* src, T* dst, ptrdiff_t n_rows,   \
                                                ptrdiff_t n, int rescale, const T* levels) { \
    if (n < 1 || n > 16 || !skp_have_avx2() || (!skp_avx512 && !skp_short_rows256)) return 0; \
    if (skp_avx512)                                                                       \
        skp_write_short_rows512_##SUFFIX##_unguarded(src, dst, n_rows, n, rescale, levels); \
    else                                                                                  \
        skp_write_short_rows256_##SUFFIX(src, dst, n_rows, n, rescale, levels);           \
    return 1;                                                                             \
}
#define SKP_AS_PS(v) (v)
#define SKP_PD_AS_PS(v) _mm256_castpd_ps(v)
#define SKP_PS_AS_PD(v) _mm256_castps_pd(v)
SKP_WRITE_SHORT_ROWS256(f32, float, __m256, 8, ps, SKP_AS_PS, SKP_AS_PS)
SKP_WRITE_SHORT_ROWS256(f64, double, __m256d, 4, pd, SKP_PD_AS_PS, SKP_PS_AS_PD)
#undef SKP_AS_PS
#undef SKP_PD_AS_PS
#undef SKP_PS_AS_PD
#undef SKP_WRITE_SHORT_ROWS256

/* Rows of n values, at least a vector's LANES and fewer than
 * SKP_FLAT_ROW_BYTES, lying one after the other, written as one flat run of
 * vectors, each row's level spread to the lanes of its values (a vector
 * spans two rows at most: the lanes from the next row's first value on take
 * its level), with skp_levelled512's operations and a row whose level is 0
 * zeroed to +0, as the row loop writes them.  There a call a row, and a
 * branch on its level, took 25 ns a row of 40 float32 values where 60 % of
 * the rows were zeroed at random (issue 14, an AMD Zen 5, the exact ball's
 * write of 250000 x 40 row groups: 0.57 ns an entry, where every row kept
 * took 0.20).  skp_write_rows_flat_f32/_f64 return 0 (nothing written)
 * where the CPU lacks AVX-512F or the rows do not suit. */
#define SKP_FLAT_ROW_BYTES 1024
#define SKP_WRITE_ROWS_FLAT512(SUFFIX, T, VEC, MASK, LANES, PS)                              \
/* the vector of values j.. (the first ``count`` of them: at most LANES), of row r from  */ \
/* value ``at`` on                                                                        */ \
SKP_AVX512 static inline void skp_flat_vector512_##SUFFIX(const T* src, T* dst, ptrdiff_t j, \
        ptrdiff_t count, ptrdiff_t r, ptrdiff_t at, ptrdiff_t n_rows, ptrdiff_t n,         \
        int rescale, const T* levels) {                                                    \
    const MASK next = n - at < LANES ? (MASK) ~((1u << (n - at)) - 1u) : (MASK) 0;         \
    const VEC l = _mm512_mask_blend_##PS(next, _mm512_set1_##PS(levels[r]),               \
                                         _mm512_set1_##PS(r + 1 < n_rows ? levels[r + 1]   \
                                                                         : (T) 0));         \
    const MASK kept = _mm512_cmp_##PS##_mask(l, _mm512_setzero_##PS(), _CMP_NEQ_UQ);       \
    if (count == LANES) {                                                                  \
        skp_prefetch_for_write(dst + j);                                                   \
        _mm512_storeu_##PS(dst + j, _mm512_maskz_mov_##PS(kept, skp_levelled512_##SUFFIX( \
            _mm512_loadu_##PS(src + j), l, rescale)));                                     \
    } else {                                                                               \
        const MASK some = (MASK) ((1u << count) - 1u);                                     \
        _mm512_mask_storeu_##PS(dst + j, some, _mm512_maskz_mov_##PS(                      \
            kept, skp_levelled512_##SUFFIX(_mm512_maskz_loadu_##PS(some, src + j), l,       \
                                           rescale)));                                      \
    }                                                                                      \
}                                                                                           \
                                                                                            \
SKP_AVX512 static void skp_write_rows_flat512_##SUFFIX(const T* src, T* dst, ptrdiff_t n_rows, \
                                                     ptrdiff_t n, int rescale,              \
                                                     const T* levels) {                     \
    const ptrdiff_t total = n_rows * n;                                                     \
    ptrdiff_t j, r = 0, at = 0;   /* (the vector's first value: row r, value at) */         \
    for (j = 0; j + LANES <= total; j += LANES) {                                           \
        skp_flat_vector512_##SUFFIX(src, dst, j, LANES, r, at, n_rows, n, rescale, levels); \
        at += LANES;                                                                        \
        if (at >= n) {                                                                      \
            at -= n;                                                                        \
            r++;                                                                            \
        }                                                                                   \
    }                                                                                       \
    if (j < total)                                                                          \
        skp_flat_vector512_##SUFFIX(src, dst, j, total - j, r, at, n_rows, n, rescale,      \
                                    levels);                                                \
}                                                                                           \
                                                                                            \
static inline int skp_write_rows_flat_##SUFFIX(const T* src, T* dst, ptrdiff_t n_rows,      \
                                               ptrdiff_t n, int rescale, const T* levels) { \
    if (n < LANES || n * (ptrdiff_t) sizeof(T) >= SKP_FLAT_ROW_BYTES || !skp_have_avx2()    \
            || !skp_avx512)                                                                 \
        return 0;                                                                           \
    skp_write_rows_flat512_##SUFFIX(src, dst, n_rows, n, rescale, levels);                  \
    return 1;                                                                               \
}
SKP_WRITE_ROWS_FLAT512(f32, float, __m512, __mmask16, 16, ps)
SKP_WRITE_ROWS_FLAT512(f64, double, __m512d, __mmask8, 8, pd)
#undef SKP_WRITE_ROWS_FLAT512

SKP_AVX2 static inline void skp_write_row_f64(const double* src, double* dst, ptrdiff_t n,
                                              int rescale, double level, const double* levels,
                                              int stream) {
    const __m256d sign = _mm256_set1_pd(-0.0);
    const ptrdiff_t end = n - n % 4;
    ptrdiff_t j = skp_stream_start(dst, end, 4, sizeof(double), &stream);
    const ptrdiff_t stop = skp_stream_stop(dst, end, sizeof(double), stream);
    ptrdiff_t k;
    __m256d l = _mm256_set1_pd(level), x;
    __m256i some;
#define SKP_LEVELLED4(v, l) (rescale ? _mm256_mul_pd((v), (l))                          \
                             : _mm256_max_pd(_mm256_xor_pd((l), sign), _mm256_min_pd((l), (v))))
    for (k = 0; k < j; k += 4) {   /* (see skp_stream_start) */
        some = skp_first_lanes4(j - k);
        if (levels) l = _mm256_maskload_pd(levels + k, some);
        skp_store_first4(dst + k, SKP_LEVELLED4(_mm256_maskload_pd(src + k, some), l), j - k);
    }
    for (; j + 4 <= end; j += 4) {
        if (levels) l = _mm256_loadu_pd(levels + j);
        x = SKP_LEVELLED4(_mm256_loadu_pd(src + j), l);
        if (j + 4 <= stop) _mm256_stream_pd(dst + j, x);
        else _mm256_storeu_pd(dst + j, x);
    }
    if (j < end) {
        some = skp_first_lanes4(end - j);
        if (levels) l = _mm256_maskload_pd(levels + j, some);
        skp_store_first4(dst + j, SKP_LEVELLED4(_mm256_maskload_pd(src + j, some), l), end - j);
    }
#undef SKP_LEVELLED4
    for (j = end; j < n; j++)
        dst[j] = skp_clip_or_scale(src[j], levels ? levels[j] : level, rescale);
}

#else  /* no AVX2 loops: the Cython loops run */

static inline int skp_have_avx2(void) { return 0; }
static inline int skp_set_avx512(int on) { return 0; }
static int skp_panels_into_l1 = 1;
static inline void skp_set_cpu_choices(int strips, int panels_into_l1) {}
static inline double skp_short_threshold_f32(const float* values, ptrdiff_t n, double total,
                                             double fixed_count, double fixed_sum,
                                             double radius, double* support) { return 0.0; }
static inline double skp_short_threshold_by_f32(const float* values, ptrdiff_t n, double total,
                                                double fixed_count, double fixed_sum,
                                                double radius, double* support, int wide) {
    return 0.0;
}
static inline double skp_sum_and_excess_f32(const float* values, ptrdiff_t n, double low,
                                            double* excess) { return 0.0; }
static inline double skp_sum_and_excess_f64(const double* values, ptrdiff_t n, double low,
                                            double* excess) { return 0.0; }
static inline double skp_positive_sum_f32(const float* values, ptrdiff_t n) { return 0.0; }
static inline double skp_positive_sum_f64(const double* values, ptrdiff_t n) { return 0.0; }

static inline void skp_scan_f32(const float* row, ptrdiff_t n, double low, double high,
                         int magnitudes, skp_scan* scan, float* buffer, ptrdiff_t capacity) {}
static inline void skp_scan_f64(const double* row, ptrdiff_t n, double low, double high,
                         int magnitudes, skp_scan* scan, double* buffer, ptrdiff_t capacity) {}
static inline ptrdiff_t skp_keep_above_f32(const float* src, ptrdiff_t n, ptrdiff_t step,
                                           double rho, int magnitudes, float* dst,
                                           double* sum) { return 0; }
static inline ptrdiff_t skp_keep_above_f64(const double* src, ptrdiff_t n, ptrdiff_t step,
                                           double rho, int magnitudes, double* dst,
                                           double* sum) { return 0; }
static inline void skp_shrink_f32(const float* src, float* dst, ptrdiff_t n, double tau,
                                  int magnitudes, int stream) {}
static inline void skp_shrink_f64(const double* src, double* dst, ptrdiff_t n, double tau,
                                  int magnitudes, int stream) {}
static inline int skp_group_norms_f32(const float* base, ptrdiff_t row_stride,
                                      ptrdiff_t n_rows, ptrdiff_t n_cols, double* norms,
                                      int kind, int groups_are_rows) { return 0; }
static inline double skp_row_norm_f32(const float* row, ptrdiff_t n, int kind, int* clean,
                                      ptrdiff_t ahead) { return 0.0; }
static inline double skp_row_norm_f64(const double* row, ptrdiff_t n, int kind,
                                      ptrdiff_t ahead) { return 0.0; }
static inline void skp_write_row_f32(const float* src, float* dst, ptrdiff_t n, int rescale,
                                     float level, const float* levels, int stream) {}
static inline void skp_sqrt_all(double* norms, ptrdiff_t n) {}
static inline void skp_kept_factors(double* radii, ptrdiff_t n, double tau, int rescale,
                                    float* factors32, double* factors64) {}
static inline int skp_row_maxima_f64(const double* base, ptrdiff_t row_stride,
                                     ptrdiff_t n_rows, ptrdiff_t n_cols,
                                     double* norms) { return 0; }
static inline int skp_column_maxima_f64(const double* base, ptrdiff_t row_stride,
                                        ptrdiff_t n_rows, ptrdiff_t n_cols,
                                        double* norms) { return 0; }
static inline int skp_group_norms_f64(const double* base, ptrdiff_t row_stride,
                                      ptrdiff_t n_rows, ptrdiff_t n_cols, double* norms,
                                      int kind, int groups_are_rows) { return 0; }
static inline void skp_stream_zero(char* dst, ptrdiff_t n) {}
static inline void skp_stream_fence(void) {}
static inline int skp_sum_and_excess512_f32(const float* values, ptrdiff_t n, double low,
                                            double* excess, double* total) { return 0; }
static inline int skp_select_f64(double* values, ptrdiff_t n, ptrdiff_t k, double* scratch,
                                 double* result) { return 0; }
static inline int skp_shrink512_f32(const float* src, float* dst, ptrdiff_t n, double tau,
                                    int magnitudes, int stream) { return 0; }
static inline int skp_scan_cached_f32(const float* row, ptrdiff_t n, double low, double high,
                                      int magnitudes, skp_scan* scan, float* buffer,
                                      ptrdiff_t capacity) { return 0; }
static inline void skp_write_row_f64(const double* src, double* dst, ptrdiff_t n, int rescale,
                                     double level, const double* levels, int stream) {}
static inline int skp_write_row512_f32(const float* src, float* dst, ptrdiff_t n, int rescale,
                                       float level, const float* levels, int stream) {
    return 0;
}
static inline int skp_write_row512_f64(const double* src, double* dst, ptrdiff_t n,
                                       int rescale, double level, const double* levels,
                                       int stream) {
    return 0;
}
static inline int skp_write_short_rows_f32(const float* src, float* dst, ptrdiff_t n_rows,
                                           ptrdiff_t n, int rescale, const float* levels) {
    return 0;
}
static inline int skp_write_short_rows_f64(const double* src, double* dst, ptrdiff_t n_rows,
                                           ptrdiff_t n, int rescale, const double* levels) {
    return 0;
}
#define SKP_FLAT_ROW_BYTES 1024
static inline int skp_write_rows_flat_f32(const float* src, float* dst, ptrdiff_t n_rows,
                                          ptrdiff_t n, int rescale, const float* levels) {
    return 0;
}
static inline int skp_write_rows_flat_f64(const double* src, double* dst, ptrdiff_t n_rows,
                                          ptrdiff_t n, int rescale, const double* levels) {
    return 0;
}
static inline int skp_write_strips512_f32(const float* src, ptrdiff_t src_stride, float* dst,
                                          ptrdiff_t dst_stride, ptrdiff_t n_rows, ptrdiff_t n,
                                          int rescale, const float* levels) {
    return 0;
}
static inline int skp_write_strips512_f64(const double* src, ptrdiff_t src_stride,
                                          double* dst, ptrdiff_t dst_stride, ptrdiff_t n_rows,
                                          ptrdiff_t n, int rescale, const double* levels) {
    return 0;
}
static inline double skp_long_threshold_f32(const float* values, ptrdiff_t n, double total,
                                            double fixed_count, double fixed_sum,
                                            double radius, double* support) { return 0.0; }
static inline int skp_sample_bracket_f32(const float* row, ptrdiff_t runs, ptrdiff_t gap,
                                         int magnitudes, double scaled, int through_total,
                                         double sigmas, ptrdiff_t margin, ptrdiff_t cap,
                                         float* work, double* low, double* high) { return 0; }
static inline ptrdiff_t skp_keep_at_most_f64(const double* src, ptrdiff_t n, double bound,
                                             double* dst) { return -1; }

#endif
#endif
