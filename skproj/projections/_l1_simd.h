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
    double low;            /* the low end of the gathered values where a scan
                            * widened down lowered it (skp_scan_cached_f32_) */
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
#include "_widen_simd.h"

#define SKP_AVX2 __attribute__((target("avx2,popcnt")))

static int skp_avx2 = -1;
/* Whether the AVX-512 scan runs (the CPU has AVX-512F; tests may turn it off
 * with skp_set_avx512 to exercise the AVX2 scan). */
static int skp_avx512 = 0;
/* Choices that measured differently on an AMD Zen 5 and an Intel Xeon
 * (Sapphire Rapids class), made as the CPU prefers (the Zen 5's way on AMD's
 * Zen 5 and later, skp_cpu_zen5_or_later; the Xeon's elsewhere, an AMD Zen 4
 * included) when the loops
 * are first asked for (skp_have_avx2), switched by skp_set_cpu_choices for
 * the tests and benchmarks.  Neither changes a result.
 *
 * skp_strips: whether the AVX-512 writes of a block in cache whose columns
 * each have their own factor go down strips of columns, the strip's
 * factors held in registers (skp_write_strips512_f32/_f64; bilevel_l11's
 * skp_shrink_strips512_f32 by skp_shrink_strips below), or along its rows,
 * loading the factors beside
 * the values: SKP_STRIPS_ALWAYS on the Zen 5; elsewhere
 * SKP_STRIPS_BY_ROWS, the strips for rows short or long enough that the
 * row loop's overhead or its reread of the factors costs more
 * (skp_strips_suit); SKP_STRIPS_NEVER for the tests.  Issue 14, C harnesses
 * on 100 x 1000 float32 in L2, the soft-threshold write, times a memcpy:
 * the Zen 5, strips 1.26-1.41, rows 1.35-1.60; the Xeon, strips 1.35-1.85,
 * rows 1.03-1.31, at any offset of the result from the input (so not 4K
 * aliasing; tiles of 4-32 rows of a strip, wider strips and rows two or
 * four at a time were slower still).  An AMD Zen 4 (2026-11-29, single
 * calls interleaved, bilevel_l1inf and bilevel_l12 column groups at 10-90 %
 * kept, rows / strips): 100 x 1000 0.92-0.94 of the time, 300 x 784
 * float32 0.94-0.95, float64 and 1000 x 1000 0.98-1.02; bilevel_l1inf at
 * half the norm, float64 / float32: 30 x 1000 0.96 / 0.94, 100 x 333 0.90
 * / 0.94, 8 x 2000 float32 0.96.  But the strips won on few long rows and
 * many short ones: 8 x 10000 1.12 / 1.06, 16 x 5000 1.19 / 1.12, 4 x
 * 20000 1.06 / 1.04, 8 x 2000 float64 1.10, 32 x 2500 1.18 / 1.04; 2000 x
 * 50 float32 1.58 (float64 0.94), 500 x 100 1.03 / 1.12, 1000 x 100 1.01 /
 * 1.09; 1000 x 200 even.  Hence SKP_STRIPS_BY_ROWS there.
 *
 * skp_shrink_strips: the same choice for bilevel_l11's soft-threshold write
 * of a block in cache (skp_shrink_panel512_f32): the strips on AMD's CPUs,
 * Zen 4 included, by rows elsewhere (the Xeon's harness above).  The Zen 4
 * (2026-11-29, float32 column groups, single calls interleaved, at 10, 50,
 * 90 % of the norm, rows / strips, times a copy): 700 x 765 5.21 / 4.64,
 * 4.73 / 4.15, 4.61 / 4.03; 200 x 1460 5.22 / 4.82, 4.48 / 4.09, 4.31 /
 * 3.92; 2000 x 200 (rows of 800 bytes) 5.79 / 4.96, 5.45 / 4.65, 5.19 /
 * 4.39; 500 x 2000 and 300 x 2000 (8000 bytes) 0.89-0.93 of the time; 1500
 * x 1000 0.93-0.95; 250 x 1000 and 500 x 500 (whole matrices of 1 MB or
 * less) 0.98-1.00; float64, whose write has no strips, even.  There
 * bilevel_l1inf's and bilevel_l12's writes (skp_strips) took 1.07-1.10
 * times as long by strips on 100 x 1000 and 300 x 784.
 *
 * skp_panels_into_l1: whether bilevel_l11's column passes prefetch the next
 * panel's lines into L1 (and L2) or into L2 only (_kept_lines_ahead in
 * _bilevel.pyx): L1 on the Zen 5, L2 elsewhere.  Issue 14, single calls
 * interleaved in one process, float32 at 10, 50, 90 % of the groups kept,
 * L2 / L1: the Xeon, 1000 x 10000 0.92-0.94 of the time, 500 x 20000
 * 0.95-0.97, 256 x 40000 0.97-0.99, 2000 x 5000 0.99-1.02, float64 32 x
 * 300000 0.96-0.99; the Zen 5 took 1.0-1.2 times as long.  So too the rows
 * ahead of bilevel_l11's candidate gather (_bilevel_simd.h): a Zen 5 keeps
 * fewer prefetches into L2 alone (PREFETCHT1) in flight, and a harness
 * reading the 64-column panels of a 1000 x 10000 float64 matrix 16 rows
 * ahead took 3.2 ms with them, 2.2 with PREFETCHT0 (a sequential read 1.7);
 * float64 column groups at 1-90 % of the groups kept, the module's builds
 * side by side, L1 / L2: 2000 x 5000 0.90-0.99 of the time, 500 x 20000
 * 0.91-0.99, 1000 x 10000 0.98-1.01; float32 4000 x 2500 and 2000 x 5000
 * 0.96-1.03.  An AMD Zen 4 went the Xeon's way (2026-11-29, bilevel_l11's
 * column groups at 10, 50, 90 % kept, single calls interleaved, L2 / L1):
 * float64 1000 x 10000 0.75, 0.97, 0.97; 500 x 20000 0.82, 0.90, 0.91;
 * 256 x 40000 0.74-0.86; 100 x 100000 0.83-0.88; 2000 x 5000 0.81-0.97;
 * float32 1000 x 10000 0.91-0.93, 500 x 20000 0.85-0.87, 2000 x 5000
 * 0.96-0.98. */
#define SKP_STRIPS_NEVER 0
#define SKP_STRIPS_ALWAYS 1
#define SKP_STRIPS_BY_ROWS 2
/* (SKP_STRIPS_BY_ROWS: the strips for rows at most SKP_STRIPS_SHORT_ROW or
 * at least SKP_STRIPS_LONG_ROW bytes apart, from the Zen 4's measures above:
 * of 4-10 KB the rows won or tied, of 16 KB and more the strips, of 200-400
 * bytes the strips, but float64's 2000 x 50) */
#define SKP_STRIPS_SHORT_ROW 512
#define SKP_STRIPS_LONG_ROW 12288
static int skp_strips = SKP_STRIPS_NEVER;
static int skp_shrink_strips = SKP_STRIPS_NEVER;
static int skp_panels_into_l1 = 1;

/* Whether rows ``stride`` bytes apart are a multiple of 2 KiB apart: a
 * narrow part of each row (a strip, a panel, a pair of groups of columns)
 * then falls, row after row, in the same one or two of L1's 64 sets (12
 * ways), where the lines brought ahead of a write down the rows evict each
 * other before their turn.  The writes down the rows go along the rows
 * there instead (skp_strips_suit; _bilevel.pyx's fused pairs). */
static inline int skp_rows_alias(ptrdiff_t stride) { return stride % 2048 == 0; }

/* Whether the strips suit a block whose rows lie ``src_stride`` and
 * ``dst_stride`` bytes apart, by ``choice`` (skp_strips or
 * skp_shrink_strips): not where either is a multiple of 2 KiB
 * (skp_rows_alias).  Issue 14, the Zen 5, bilevel_l1inf on float32 column
 * groups at half the norm, single calls interleaved, strips / rows: rows of
 * 4 KiB (1024 columns) 1.55-2.39 with 32-256 rows, of 8 KiB 1.71-2.23, of
 * 16 KiB 1.53-1.89; of 2 KiB (512 columns) 1.05-1.25 but for 100 rows,
 * 0.89; float64 rows of 4 KiB 1.68-1.98, of 2 KiB 1.02-1.31; but 0.86-0.99
 * for float32 rows of 1000-1100 columns, 1536 columns (6 KiB) even
 * (0.89-1.09). */
static inline int skp_strips_suit_by(int choice, ptrdiff_t src_stride, ptrdiff_t dst_stride) {
    if (choice == SKP_STRIPS_NEVER || skp_rows_alias(src_stride) || skp_rows_alias(dst_stride))
        return 0;
    return choice == SKP_STRIPS_ALWAYS || src_stride <= SKP_STRIPS_SHORT_ROW
        || src_stride >= SKP_STRIPS_LONG_ROW;
}

static inline int skp_strips_suit(ptrdiff_t src_stride, ptrdiff_t dst_stride) {
    return skp_strips_suit_by(skp_strips, src_stride, dst_stride);
}

/* The same for bilevel_l11's soft-threshold write (skp_shrink_strips). */
static inline int skp_shrink_strips_suit(ptrdiff_t src_stride, ptrdiff_t dst_stride) {
    return skp_strips_suit_by(skp_shrink_strips, src_stride, dst_stride);
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
/* Whether float32 matrices of up to 32 columns (AVX2: 16), rows one after
 * the other, take their column norms a row one or two masked vectors
 * (skp_narrow_column_norms512_f32, skp_narrow_column_norms256_f32) rather
 * than by the folds, and blocks of few columns are written as one run
 * (skp_write_narrow512_*, skp_write_narrow256_*) rather than a row at a
 * time; a testing switch (the same results either way). */
static int skp_narrow_columns = 1;
/* Whether the AVX-512 row writes realign a misaligned input from its whole
 * lines (skp_write_realigned512_f32, _f64); a testing switch (the same bits
 * either way). */
static int skp_realign = 1;

static inline void skp_prefer_for_cpu(int strips, int panels_into_l1) {
    const int zen5 = skp_cpu_zen5_or_later();
    skp_strips = strips < 0 ? (zen5 ? SKP_STRIPS_ALWAYS : SKP_STRIPS_BY_ROWS) : strips;
    skp_shrink_strips = strips < 0 ? (skp_cpu_amd() ? SKP_STRIPS_ALWAYS : SKP_STRIPS_BY_ROWS)
                                   : strips;
    skp_panels_into_l1 = panels_into_l1 < 0 ? zen5 : panels_into_l1;
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
        totals = _mm256_add_pd(totals, skp_widen_sum8(total0));
        aboves = _mm256_add_pd(aboves, skp_widen_sum8(above0));
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
        totals = _mm512_add_pd(totals, skp_widen_sum16(total0));
        aboves = _mm512_add_pd(aboves, skp_widen_sum16(above0));
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

/* The AVX-512 scans skip the compresses of vectors with nothing to gather
 * where fewer than one value in SKP_SPARSE_GATHER_CACHED was gathered so far,
 * on rows of at most SKP_SPARSE_GATHER_BYTES (in L2), else one in
 * SKP_SPARSE_GATHER_FAR (see ``sparse`` in skp_scan_cached_f32_; float64:
 * skp_scan_blocks512_f64_). */
#define SKP_SPARSE_GATHER_CACHED 32
#define SKP_SPARSE_GATHER_FAR 256
#define SKP_SPARSE_GATHER_BYTES ((ptrdiff_t) 1 << 20)

/* One value gathered in this many, or fewer, lets a scan of ``bytes`` skip
 * its empty compresses. */
static inline ptrdiff_t skp_sparse_gather_share(ptrdiff_t bytes) {
    return bytes <= SKP_SPARSE_GATHER_BYTES ? SKP_SPARSE_GATHER_CACHED : SKP_SPARSE_GATHER_FAR;
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
    /* (as skp_scan_cached_f32_'s ``sparse``: a vector with nothing to gather
     * skips its compress where few values were gathered so far) */
    const ptrdiff_t sparse_share = skp_sparse_gather_share(n * (ptrdiff_t) sizeof(double));
    const ptrdiff_t first_gathered = *k_io;
    ptrdiff_t j = 0, k = *k_io, block_end;
    int half;
#define SKP_SCAN_VECTORS8(skip)                                                         \
    for (; j < block_end; j += 8) {                                                     \
        __m512d v = _mm512_loadu_pd(row + j);                                           \
        __mmask8 is_high, inside;                                                       \
        if (ahead) skp_prefetch_ahead(row + j, ahead);                                  \
        if (magnitudes) v = _mm512_abs_pd(v);                                           \
        is_high = _mm512_cmp_pd_mask(v, high_v, _CMP_GE_OQ);                            \
        inside = _mm512_mask_cmp_pd_mask((__mmask8) ~is_high, v, low_v, _CMP_GE_OQ);    \
        total = _mm512_add_pd(total, v);                                                \
        above = _mm512_add_pd(above, _mm512_maskz_mov_pd(is_high, v));                  \
        count = _mm512_mask_add_epi64(count, is_high, count, _mm512_set1_epi64(1));     \
        if (!magnitudes) least = _mm512_min_pd(least, v);                               \
        if (!*gather || (skip && !inside)) continue;                                    \
        if (k + 8 <= capacity) {                                                        \
            _mm512_storeu_pd(buffer + k, _mm512_maskz_compress_pd(inside, v));          \
            k += _mm_popcnt_u32((unsigned) inside);                                     \
            continue;                                                                   \
        }                                                                               \
        for (half = 0; half < 2 && *gather; half++) {                                   \
            const __mmask8 part = (__mmask8) (inside & (half ? 0xf0 : 0x0f));           \
            if (k + 4 > capacity) {                                                     \
                if (part) { *gather = 0; scan->overflow = 1; }                          \
            } else {                                                                    \
                _mm512_mask_storeu_pd(buffer + k, (__mmask8) 0x0f,                      \
                                      _mm512_maskz_compress_pd(part, v));               \
                k += _mm_popcnt_u32((unsigned) part);                                   \
            }                                                                           \
        }                                                                               \
    }
    while (j + 8 <= n) {
        block_end = n - n % 8 < j + 128 ? n - n % 8 : j + 128;
        if ((k - first_gathered) * sparse_share < j) {
            SKP_SCAN_VECTORS8(1)
        } else {
            SKP_SCAN_VECTORS8(0)
        }
    }
#undef SKP_SCAN_VECTORS8
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
        sums = _mm256_add_pd(sums, skp_widen_sum8(block[0]));
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
        sums = _mm512_add_pd(sums, skp_widen_sum16(block[0]));
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

/* Rows of ``n`` values (``src_stride`` and ``dst_stride`` bytes apart),
 * row i soft-thresholded by taus[i] with skp_shrink512_f32's operations (the
 * values before the last n % 8 of a row by the tau as two floats, those in
 * double), or skp_shrink8_f64's, so the same bits as a row a call; a zeroed
 * row (an infinite tau) is written +0 without being read.  Plain loads and
 * stores, the last vector of a row masked: a call a row spent most of its
 * time on aligning its stores to the lines, on rows of a few vectors
 * (bilevel_l11's row groups in cache, _l11_rows; issue 14, the AMD Zen 4).
 * Returns 0 (nothing written) where the CPU lacks AVX-512F or a test turned
 * it off. */
#define SKP_SHRINK_SHORT_ROWS512(SUFFIX, T, MASK, LANES, PS, TAIL)                         \
SKP_AVX512 static void skp_shrink_short_rows512_##SUFFIX##_unguarded(                     \
        const T* src, ptrdiff_t src_stride, T* dst, ptrdiff_t dst_stride,                 \
        ptrdiff_t n_rows, ptrdiff_t n, const double* taus) {                              \
    const ptrdiff_t vectors_end = n - n % TAIL;                                            \
    ptrdiff_t i, j;                                                                        \
    (void) vectors_end;   /* (unused by the float64 rows, whole vectors then a masked one) */ \
    for (i = 0; i < n_rows; i++) {                                                         \
        const T* y = (const T*) ((const char*) src + i * src_stride);                     \
        T* x = (T*) ((char*) dst + i * dst_stride);                                        \
        const double tau = taus[i];                                                        \
        if (tau == INFINITY) {                                                             \
            for (j = 0; j < n; j += LANES)                                                 \
                _mm512_mask_storeu_##PS(x + j, n - j >= LANES ? (MASK) ~0u                  \
                                        : (MASK) ((1u << (n - j)) - 1),                     \
                                        _mm512_setzero_##PS());                             \
            continue;                                                                      \
        }                                                                                  \
        SKP_SHORT_ROW_##SUFFIX                                                             \
    }                                                                                      \
}                                                                                          \
                                                                                           \
static inline int skp_shrink_short_rows512_##SUFFIX(const T* src, ptrdiff_t src_stride,    \
                                                    T* dst, ptrdiff_t dst_stride,          \
                                                    ptrdiff_t n_rows, ptrdiff_t n,         \
                                                    const double* taus) {                  \
    if (!skp_avx512) return 0;                                                             \
    skp_shrink_short_rows512_##SUFFIX##_unguarded(src, src_stride, dst, dst_stride, n_rows, \
                                                  n, taus);                                \
    return 1;                                                                              \
}
#define SKP_SHORT_ROW_f32                                                                  \
        {                                                                                  \
            const float hi = (float) tau, lo = (float) (tau - (double) hi);                \
            const __m512 hi_v = _mm512_set1_ps(hi), lo_v = _mm512_set1_ps(lo);             \
            for (j = 0; j + 16 <= vectors_end; j += 16) {                                  \
                skp_prefetch_for_write(x + j);                                             \
                _mm512_storeu_ps(x + j, skp_shrink16_f32(_mm512_loadu_ps(y + j), hi_v,     \
                                                         lo_v, 1));                        \
            }                                                                              \
            if (j < vectors_end) {                                                         \
                const __mmask16 some = (__mmask16) ((1u << (vectors_end - j)) - 1);         \
                _mm512_mask_storeu_ps(x + j, some, skp_shrink16_f32(                       \
                    _mm512_maskz_loadu_ps(some, y + j), hi_v, lo_v, 1));                   \
            }                                                                              \
            if (n > vectors_end)                                                           \
                skp_shrink_tail512_f32(y + vectors_end, x + vectors_end, n - vectors_end,  \
                                       tau, 1);                                            \
        }
#define SKP_SHORT_ROW_f64                                                                  \
        {                                                                                  \
            const __m512d tau_v = _mm512_set1_pd(tau);                                     \
            for (j = 0; j + 8 <= n; j += 8) {                                              \
                skp_prefetch_for_write(x + j);                                             \
                _mm512_storeu_pd(x + j, skp_shrink8_f64(_mm512_loadu_pd(y + j), tau_v, 1)); \
            }                                                                              \
            if (j < n) {   /* (the scalar tail's operations, lane by lane) */             \
                const __mmask8 some = (__mmask8) ((1u << (n - j)) - 1);                    \
                _mm512_mask_storeu_pd(x + j, some, skp_shrink8_f64(                        \
                    _mm512_maskz_loadu_pd(some, y + j), tau_v, 1));                        \
            }                                                                              \
        }
SKP_SHRINK_SHORT_ROWS512(f32, float, __mmask16, 16, ps, 8)
SKP_SHRINK_SHORT_ROWS512(f64, double, __mmask8, 8, pd, 1)
#undef SKP_SHORT_ROW_f32
#undef SKP_SHORT_ROW_f64
#undef SKP_SHRINK_SHORT_ROWS512

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
            skp_compress_store_pd(dst + less, lt, v);
            less += _mm_popcnt_u32((unsigned) lt);
            greater -= _mm_popcnt_u32((unsigned) gt);
            skp_compress_store_pd(dst + greater, gt, v);
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
        totals = _mm512_add_pd(totals, skp_widen_sum16(b0));
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

/* How the scan in cache widens its gather (skp_scan_cached_f32_unguarded). */
#define SKP_WIDEN_UP 1
#define SKP_WIDEN_DOWN (-1)

/* The ends of the sample's bracket from its support (the values above its
 * threshold ``tau``) and the rest: the ``spread``-th smallest of the support
 * and the ``spread``-th largest of the rest, each side's ``spread`` from
 * skp_bracket_spreads_f32; none (the caller reads S first) where
 * ``magnitudes`` and the bracket is unsure (skp_bracket_unsure).  Where the
 * sampled values at or above the low end, or (``magnitudes``) below the high
 * end, are at most ``gather_limit`` (0: never), ``*widen`` tells the scan in
 * cache to gather all of them (SKP_WIDEN_UP, SKP_WIDEN_DOWN: see
 * skp_scan_cached_f32_unguarded); it is left as it was elsewhere. */
static inline void skp_sample_bracket_ends_f32(float* support, ptrdiff_t n_support,
                                               float* rest, ptrdiff_t n_rest, double tau,
                                               double scaled, double sigmas, ptrdiff_t margin,
                                               ptrdiff_t cap, int magnitudes,
                                               ptrdiff_t gather_limit, float* spare0,
                                               float* spare1, double* low, double* high,
                                               int* widen) {
    ptrdiff_t low_spread, high_spread, spread, unused;
    double sum_half = 0.0;
    int chosen = 0;
    skp_bracket_spreads_f32(support, n_support, rest, n_rest, tau, scaled, sigmas, margin, cap,
                            &low_spread, &high_spread, magnitudes ? &sum_half : NULL);
    /* (each selection overwrites the part it selects in: the rest first,
     * the support last, after the spreads that read it) */
    if (n_rest >= low_spread)
        *low = skp_select_f32(rest, n_rest, n_rest - low_spread, spare0, spare1);
    if (gather_limit > 0 && n_support > high_spread) {
        if (*low > 0.0 && n_support + low_spread <= gather_limit
                && n_support + low_spread <= n_rest + high_spread) {
            chosen = SKP_WIDEN_UP;
        } else if (magnitudes && tau > 0.0 && *low != 0.0
                   && n_rest + high_spread <= gather_limit) {
            /* (Not where the low end is 0: zeros tied there, which the
             * bracket's gather leaves out, _l1.pyx's _gathered_part, and a
             * gather widened down would take: standardized digits, 5 % of
             * them zeros, at 97-99.5 % of the norm, 1.06-1.08 times as long.)
             * Widened down, the low end is Michelot's bound, which holds tau;
             * the high end rises to two standard deviations of the sample's
             * threshold estimated from its terms (v - t)+, where the gather
             * stays within half the limit: the sample's sum stands for S
             * within a few percent, and tau, where most values are kept, is
             * that small a share of it (the binomial high end misses). */
            chosen = SKP_WIDEN_DOWN;
            skp_bracket_spreads_f32(support, n_support, rest, n_rest, tau, scaled,
                                    sigmas / 2, margin, gather_limit / 2 - n_rest, &unused,
                                    &spread, NULL);
            if (spread > high_spread) high_spread = spread;
        }
    }
    if (n_support > high_spread)
        *high = skp_select_f32(support, n_support, high_spread, spare0, spare1);
    if (skp_bracket_unsure(*low, *high, tau, sum_half)) {
        *low = -DBL_MAX;
        *high = DBL_MAX;
        return;
    }
    if (chosen) *widen = chosen;
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
                                                          ptrdiff_t cap, ptrdiff_t gather_limit,
                                                          float* work, double* low,
                                                          double* high, int* widen) {
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
        totals = _mm512_add_pd(totals, skp_widen_sum16(v));
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
                                margin, cap, magnitudes, gather_limit, sample, scratch, low,
                                high, widen);
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
                                              ptrdiff_t gather_limit, float* work, double* low,
                                              double* high, int* widen) {
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
            skp_widen_sum8(v0),
            skp_widen_sum8(v1)));
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
    /* (the AVX2 scan widens either way too: skp_scan_cached256_f32) */
    skp_sample_bracket_ends_f32(support, n_support, rest, n_rest, tau, scaled, sigmas,
                                margin, cap, magnitudes, gather_limit, sample, NULL, low, high,
                                widen);
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
                                         ptrdiff_t gather_limit, float* work, double* low,
                                         double* high, int* widen) {
    if (skp_avx512)
        return skp_sample_bracket512_f32_unguarded(row, runs, gap, magnitudes, scaled,
                                                   through_total, sigmas, margin, cap,
                                                   gather_limit, work, low, high, widen);
    if (skp_avx2 > 0)
        return skp_sample_bracket256_f32(row, runs, gap, magnitudes, scaled, through_total,
                                         sigmas, margin, cap, gather_limit, work, low, high,
                                         widen);
    return 0;
}

/* Keep the values[0:n] in [low, high), in order, at the front of
 * ``values``; returns how many, the count and sum of those not below
 * ``high`` (NaN too) in *count_high and *sum_high, and the sum of all n in
 * *total (each sum's lanes adding 8 values of a block of 128 in float, the
 * blocks in double, as the scans take their sums).  Nothing is written past
 * values[n - 1] (the last, partial vector's kept values stored under a
 * mask).  The widened gathers' part (skp_scan_cached_f32_). */
SKP_AVX512 static inline ptrdiff_t skp_part512_f32(float* values, ptrdiff_t n, float low,
                                                 float high, ptrdiff_t* count_high,
                                                 double* sum_high, double* total) {
    const __m512 low_v = _mm512_set1_ps(low), high_v = _mm512_set1_ps(high);
    const __m512i minus_one = _mm512_set1_epi32(-1);
    __m512d totals = _mm512_setzero_pd(), aboves = totals;
    __m512i counts = _mm512_setzero_si512();
    ptrdiff_t j = 0, kept = 0, end;
    while (j < n) {
        __m512 block = _mm512_setzero_ps(), above = block;
        for (end = n - j < 128 ? n : j + 128; j < end; j += 16) {
            const __mmask16 lanes = end - j >= 16 ? (__mmask16) 0xffff
                                                  : (__mmask16) ((1u << (end - j)) - 1);
            const __m512 v = _mm512_maskz_loadu_ps(lanes, values + j);
            const __mmask16 high_lanes = _mm512_mask_cmp_ps_mask(lanes, v, high_v, _CMP_NLT_UQ);
            const __mmask16 keep = _mm512_mask_cmp_ps_mask(
                (__mmask16) (lanes & ~high_lanes), v, low_v, _CMP_GE_OQ);
            block = _mm512_add_ps(block, v);
            above = _mm512_mask_add_ps(above, high_lanes, above, v);
            counts = _mm512_mask_sub_epi32(counts, high_lanes, counts, minus_one);
            if (lanes == 0xffff)
                _mm512_storeu_ps(values + kept, _mm512_maskz_compress_ps(keep, v));
            else
                _mm512_mask_storeu_ps(values + kept,
                                      (__mmask16) ((1u << _mm_popcnt_u32((unsigned) keep)) - 1),
                                      _mm512_maskz_compress_ps(keep, v));
            kept += _mm_popcnt_u32((unsigned) keep);
        }
        totals = _mm512_add_pd(totals, skp_widen_sum16(block));
        aboves = _mm512_add_pd(aboves, skp_widen_sum16(above));
    }
    *total = _mm512_reduce_add_pd(totals);
    *sum_high = _mm512_reduce_add_pd(aboves);
    *count_high = _mm512_reduce_add_epi32(counts);
    return kept;
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

/* The low end of a scan widened down (SKP_WIDEN_DOWN), which keeps its
 * gathered values from there up: Michelot's first iterate from all n values,
 * (total - radius) / n, a lower bound of tau, less a margin for the total's
 * rounding, as the float just below it (``low`` where the total is NaN). */
static inline float skp_widened_low(double total, double radius, ptrdiff_t n, float low) {
    const double bound = (total * (1.0 - 0x1p-20) - radius) / (double) n;
    return bound == bound ? skp_float_below(bound) : low;
}

/* The values row[j:n] after a lean scan's vectors, one by one, as its loops
 * take them: ``down`` (SKP_WIDEN_DOWN), every value added to *total and those
 * below ``high`` gathered; else those not below it (NaN too) counted and
 * summed into *n_high and *above, those in [low, high) gathered, at
 * buffer[*k].  0 where a value is -inf (the full scan shows it) or the gather
 * would pass ``capacity``. */
static inline int skp_scan_tail_f32(const float* row, ptrdiff_t j, ptrdiff_t n, float low,
                                    float high, int magnitudes, int down, float* buffer,
                                    ptrdiff_t capacity, ptrdiff_t* k, ptrdiff_t* n_high,
                                    double* above, double* total) {
    for (; j < n; j++) {
        const float value = magnitudes ? fabsf(row[j]) : row[j];
        if (value == -INFINITY) return 0;
        if (down) {
            *total += value;
            if (value < high) {
                if (*k >= capacity) return 0;
                buffer[(*k)++] = value;
            }
        } else if (!(value < high)) {
            (*n_high)++;
            *above += value;
        } else if (value >= low) {
            if (*k >= capacity) return 0;
            buffer[(*k)++] = value;
        }
    }
    return 1;
}
SKP_AVX512 static inline __attribute__((always_inline)) int skp_scan_cached_f32_(
        const float* row, ptrdiff_t n, float low, float high, const int magnitudes,
        const int ranged, const int open, const int widen, const int far, double radius,
        skp_scan* scan, float* buffer, ptrdiff_t capacity) {
    const __m512 low_v = _mm512_set1_ps(low), high_v = _mm512_set1_ps(high);
    /* (``ranged``, ``open`` and ``widen``: see skp_scan_cached_f32_unguarded;
     * the loop gathers the values whose bits, less low_bits, lie below
     * ``width`` as unsigned integers: with SKP_WIDEN_DOWN those below high,
     * open (SKP_WIDEN_UP too) those at or above low) */
    const int from_zero = widen == SKP_WIDEN_DOWN;
    const __m512i low_bits = _mm512_set1_epi32(
        ranged && !from_zero ? skp_float_bits(low) : 0);
    const __m512i width = _mm512_set1_epi32(
        from_zero ? (int32_t) skp_float_bits(high)
        : ranged ? (int32_t) (skp_float_bits(open ? INFINITY : high) - skp_float_bits(low))
        : 0);
    const __m512i minus_one = _mm512_set1_epi32(-1);
    const __m512i magnitude_bits = _mm512_set1_epi32(INT32_MAX);
    __m512d aboves = _mm512_setzero_pd();
    __m512 minimum = _mm512_set1_ps(INFINITY);
    __m512i counts = _mm512_setzero_si512(), largest0 = counts, largest1 = counts;
    ptrdiff_t j = 0, k = scan->n_gathered, n_high = 0, block_end;
    const ptrdiff_t ahead = far ? skp_ahead_for(n * (ptrdiff_t) sizeof(float)) : 0;
    const ptrdiff_t first_gathered = k;
    const ptrdiff_t sparse_share = skp_sparse_gather_share(n * (ptrdiff_t) sizeof(float));
    double above_rest = 0.0, tail_total = 0.0;
    while (j + 128 <= n) {
        __m512 above0 = _mm512_setzero_ps(), above1 = _mm512_setzero_ps();
        /* A pair of vectors with nothing to gather skips its compresses
         * (``skip``) where the values gathered so far are fewer than one in
         * ``sparse_share``: its branch then mispredicts on few pairs.  Not
         * where more lie in the bracket (values drawn afresh each call: a C
         * harness, the Zen 5, 0.2-12 % of them in the bracket, 1.7 -> 1.8-3.2
         * times a copy), nor, beyond L2, where more than one in 256 do: each
         * mispredict there throws away loads in flight (issue 14, the Zen 5,
         * the module's builds side by side, five arrays in turn so that the
         * predictor learns no pattern, times a copy: the simplex at radii 1
         * and 100, 0.8-1.1 % of the values gathered, 100 x 1000 float32
         * 0.82-0.94 of the time, 300 x 784 0.80-0.88, 30 x 1000 0.92-0.93;
         * the l1 ball at 0.5 % of its norm 0.90-0.95; 10**7 values, 0.08-0.16
         * % gathered: the simplex 0.91-0.97; the l1 ball on 10**6 values at
         * 10 % of its norm, about 1.5 % gathered in L3, took 1.6 times as
         * long with the branch at 1 in 32, and 10**7 Student t(3) values at
         * 0.1 % kept, 1.3 % gathered, 1.5 times at any share; at 1 in 256
         * rather than 512, 10**7 Gaussian values at 0.1 % kept, about 0.3 %
         * gathered, 0.96 of the time, float64 0.80; at 1 in 128 no better). */
        const int sparse = ranged && (k - first_gathered) * sparse_share < j;
        if (k + 128 > capacity) return 0;
        if (j % SKP_COUNT_CHUNK == 0) {   /* (the int32 lanes emptied before they overflow) */
            n_high += _mm512_reduce_add_epi32(counts);
            counts = _mm512_setzero_si512();
        }
#define SKP_SCAN_PAIRS(skip)                                                            \
    for (block_end = j + 128; j < block_end; j += 32) {                                 \
        __m512 v0 = _mm512_loadu_ps(row + j), v1 = _mm512_loadu_ps(row + j + 16);       \
        __mmask16 high0, high1, inside0, inside1;                                       \
        if (far) {                                                                      \
            skp_prefetch_ahead(row + j, ahead);                                         \
            skp_prefetch_ahead(row + j + 16, ahead);                                    \
        }                                                                               \
        if (magnitudes) {                                                               \
            v0 = _mm512_abs_ps(v0);                                                     \
            v1 = _mm512_abs_ps(v1);                                                     \
        }                                                                               \
        if (open) {                                                                     \
            /* (the largest |v|'s bit pattern: inf and NaN, either sign, lie            \
             * at or above inf's) */                                                    \
            largest0 = _mm512_max_epi32(largest0, magnitudes ? _mm512_castps_si512(v0)  \
                : _mm512_and_si512(_mm512_castps_si512(v0), magnitude_bits));           \
            largest1 = _mm512_max_epi32(largest1, magnitudes ? _mm512_castps_si512(v1)  \
                : _mm512_and_si512(_mm512_castps_si512(v1), magnitude_bits));           \
        } else if (from_zero) {                                                         \
            above0 = _mm512_add_ps(above0, v0);   /* (every value: the total) */        \
            above1 = _mm512_add_ps(above1, v1);                                         \
        } else {                                                                        \
            if (!magnitudes) minimum = _mm512_min_ps(minimum, _mm512_min_ps(v0, v1));   \
            high0 = _mm512_cmp_ps_mask(v0, high_v, _CMP_NLT_UQ);                        \
            high1 = _mm512_cmp_ps_mask(v1, high_v, _CMP_NLT_UQ);                        \
            above0 = _mm512_mask_add_ps(above0, high0, above0, v0);                     \
            above1 = _mm512_mask_add_ps(above1, high1, above1, v1);                     \
            counts = _mm512_mask_sub_epi32(counts, high0, counts, minus_one);           \
            counts = _mm512_mask_sub_epi32(counts, high1, counts, minus_one);           \
        }                                                                               \
        if (ranged) {                                                                   \
            inside0 = _mm512_cmplt_epu32_mask(                                          \
                _mm512_sub_epi32(_mm512_castps_si512(v0), low_bits), width);            \
            inside1 = _mm512_cmplt_epu32_mask(                                          \
                _mm512_sub_epi32(_mm512_castps_si512(v1), low_bits), width);            \
        } else {                                                                        \
            inside0 = _kandn_mask16(high0, _mm512_cmp_ps_mask(v0, low_v, _CMP_GE_OQ));  \
            inside1 = _kandn_mask16(high1, _mm512_cmp_ps_mask(v1, low_v, _CMP_GE_OQ));  \
        }                                                                               \
        /* (k moves once a pair: the second store's place from the first                \
         * mask alone; ``skip``: see ``sparse``) */                                     \
        if (skip && !(_cvtmask16_u32(inside0) | _cvtmask16_u32(inside1))) continue;     \
        _mm512_storeu_ps(buffer + k, _mm512_maskz_compress_ps(inside0, v0));            \
        _mm512_storeu_ps(buffer + k + _mm_popcnt_u32(_cvtmask16_u32(inside0)),          \
                         _mm512_maskz_compress_ps(inside1, v1));                        \
        k += _mm_popcnt_u32(_cvtmask16_u32(inside0) | _cvtmask16_u32(inside1) << 16);   \
    }
        if (sparse) {
            SKP_SCAN_PAIRS(1)
        } else {
            SKP_SCAN_PAIRS(0)
        }
#undef SKP_SCAN_PAIRS
        if (!open) {
            /* each lane summed 8 values in float; the blocks add in double (as the scan) */
            above0 = _mm512_add_ps(above0, above1);
            aboves = _mm512_add_pd(aboves, skp_widen_sum16(above0));
        }
    }
    if (open && _mm512_reduce_max_epi32(_mm512_max_epi32(largest0, largest1))
                >= (int32_t) skp_float_bits(INFINITY))
        return 0;
    if (widen == SKP_WIDEN_UP) {
        /* the gathered values above the bracket go, counted and summed */
        double unused;
        ptrdiff_t count;
        k = first_gathered + skp_part512_f32(buffer + first_gathered, k - first_gathered,
                                             -INFINITY, high, &count, &above_rest, &unused);
        n_high += count;
    }
    if (!skp_scan_tail_f32(row, j, n, low, high, magnitudes, from_zero, buffer, capacity, &k,
                           &n_high, &above_rest, &tail_total))
        return 0;
    if (from_zero) {
        /* The values above the bracket are those not gathered: their count,
         * and their sum as the total less the gathered values' (NaN or inf
         * in the total show there).  The gathered values below Michelot's
         * first iterate from all n, (total - radius) / n, a lower bound of
         * tau (less a margin for the total's rounding), then go, and it is
         * the bracket's low end: the sampled one may miss tau in the dense
         * regimes that take this scan (the sample's sum stands for the
         * total with an error of a few percent, and tau is that small
         * share of it), the bound never. */
        const double total = _mm512_reduce_add_pd(aboves) + tail_total;
        const float kept_low = skp_widened_low(total, radius, n, low);
        const ptrdiff_t gathered = k - first_gathered;
        ptrdiff_t none;
        double unused, gathered_sum;
        k = first_gathered + skp_part512_f32(buffer + first_gathered, gathered, kept_low,
                                             INFINITY, &none, &unused, &gathered_sum);
        n_high = n - gathered;
        above_rest = total - gathered_sum;
        aboves = _mm512_setzero_pd();
        scan->low = kept_low;
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
 * those arrays 0.90-0.97 of the call.)
 *
 * ``widen`` (the sample's choice where few values would be gathered, see
 * _l1.pyx's _gather_limit): SKP_WIDEN_UP runs the ``open`` loop on a bracket
 * with a high end, then parts the gathered values at it (skp_part512_f32:
 * those above counted and summed, the others kept); SKP_WIDEN_DOWN (the l1
 * ball's magnitudes, one row) gathers every value below the high end and
 * sums all of them, takes the values above from the total less the
 * gathered ones, and keeps those from Michelot's bound (total - radius) / n
 * up, a bound of tau the caller takes for the low end (scan->low).  Not
 * with the far prefetch (arrays beyond the cache are not widened). */
SKP_AVX512 static int skp_scan_cached_f32_unguarded(const float* row, ptrdiff_t n, double low,
                                                    double high, int magnitudes, int widen,
                                                    double radius, skp_scan* scan,
                                                    float* buffer, ptrdiff_t capacity) {
    const float low_f = low <= -DBL_MAX ? -INFINITY : skp_float_above(low);
    const float high_f = high >= DBL_MAX ? INFINITY : skp_float_above(high);
    const int ranged = low_f > 0.0f && low_f < high_f, open = ranged && high_f == INFINITY;
    /* (the far prefetch of a long run, skp_ahead_for, in copies of the loop
     * of their own: its test in the loop of an array in cache cost 2-3 %;
     * each call below inlined with its constants) */
#define SKP_SCAN_CACHED(m, r, o, f) \
    skp_scan_cached_f32_(row, n, low_f, high_f, m, r, o, 0, f, 0.0, scan, buffer, capacity)
    const int near = !skp_ahead_for(n * (ptrdiff_t) sizeof(float));
    if (widen == SKP_WIDEN_DOWN && magnitudes && high_f > 0.0f && high_f < INFINITY && near)
        return skp_scan_cached_f32_(row, n, low_f, high_f, 1, 1, 0, SKP_WIDEN_DOWN, 0, radius,
                                    scan, buffer, capacity);
    if (widen == SKP_WIDEN_UP && ranged && !open && near)
        return magnitudes
            ? skp_scan_cached_f32_(row, n, low_f, high_f, 1, 1, 1, SKP_WIDEN_UP, 0, 0.0, scan,
                                   buffer, capacity)
            : skp_scan_cached_f32_(row, n, low_f, high_f, 0, 1, 1, SKP_WIDEN_UP, 0, 0.0, scan,
                                   buffer, capacity);
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

/* skp_part512_f32's part with AVX2 at one end of the bracket, ``bound``, in
 * place (each vector's store lies within the values already read, as
 * skp_pack_store8's compactions); the last n % 8 one by one.  Returns how
 * many of the values[0:n] it keeps, in order, at the front of ``values``:
 * ``below`` (SKP_WIDEN_UP's gather, the values at or above the low end) those
 * below ``bound``, the high end, with the count and the sum of the others
 * (NaN too) in *count_above and *sum; else (SKP_WIDEN_DOWN's) those at or
 * above ``bound``, the low end, with the sum of all n in *sum.  Each sum's
 * lanes add 8 values of a block of 64 in float, the blocks in double, as the
 * AVX2 scans take their sums. */
SKP_AVX2 static inline __attribute__((always_inline)) ptrdiff_t skp_part256_f32(
        float* values, ptrdiff_t n, float bound, const int below, ptrdiff_t* count_above,
        double* sum) {
    const __m256 bound_v = _mm256_set1_ps(bound);
    __m256d sums = _mm256_setzero_pd();
    ptrdiff_t j = 0, kept = 0, above = 0, end;
    const ptrdiff_t vectors_end = n - n % 8;
    double rest = 0.0;
    while (j < vectors_end) {
        __m256 block = _mm256_setzero_ps();
        for (end = vectors_end - j < 64 ? vectors_end : j + 64; j < end; j += 8) {
            const __m256 v = _mm256_loadu_ps(values + j);
            int keep;
            if (below) {
                const __m256 high_lanes = _mm256_cmp_ps(v, bound_v, _CMP_NLT_UQ);
                const int mask = _mm256_movemask_ps(high_lanes);
                block = _mm256_add_ps(block, _mm256_and_ps(v, high_lanes));
                above += __builtin_popcount((unsigned) mask);
                keep = ~mask & 0xff;
            } else {
                block = _mm256_add_ps(block, v);
                keep = _mm256_movemask_ps(_mm256_cmp_ps(v, bound_v, _CMP_GE_OQ));
            }
            kept = skp_pack_store8(v, keep, values, kept);
        }
        sums = _mm256_add_pd(sums, skp_widen_sum8(block));
    }
    for (; j < n; j++) {
        const float value = values[j];
        const int keep = below ? value < bound : value >= bound;
        if (keep) values[kept++] = value;
        if (!below) {
            rest += value;
        } else if (!keep) {
            above++;
            rest += value;
        }
    }
    if (below) *count_above = above;
    *sum = skp_hsum(sums) + rest;
    return kept;
}

/* The same scan with AVX2: eight floats a vector, gathered by the permutation
 * table; blocks of 64 values, each lane summing 8 of them in float.  It drops
 * a third of the full AVX2 scan's vector instructions (the total's sum, and
 * the minimum on the l1 ball); with no high end (``open``), the sums and
 * counts above too.  ``down`` (the l1 ball's magnitudes, 0 < high < inf:
 * SKP_WIDEN_DOWN, as skp_scan_cached_f32_'s): every value below the high end
 * gathered and every value summed, four vector operations and the gather a
 * vector where the ranged loop takes eight; after it, the gathered values
 * from Michelot's bound (total - radius) / n up kept, the bound the low end
 * (scan->low), and the values above are those not gathered.  ``open`` with a
 * high end (SKP_WIDEN_UP): the open loop gathers every value at or above the
 * low end, then those from the high end up are counted, summed and dropped
 * (skp_part256_f32).  Issue 14, an AMD Zen 4 with AVX-512 switched
 * off, single calls interleaved, the best of three placements, widened up /
 * the ranged loop: 100 x 1000 Gaussian, Laplace and uniform, 30 x 1000 and
 * 64 x 784 at radii keeping 2-7 % of the values 0.88-0.96 of the time, at
 * 1 % and 10 % 0.97-1.00 (the open loop, or not widened); standardized
 * digits at 5 % of the norm 0.91, elsewhere 0.97-1.02. */
SKP_AVX2 static inline __attribute__((always_inline)) int skp_scan_cached256_f32_(
        const float* row, ptrdiff_t n, float low, float high, const int magnitudes,
        const int open, const int down, double radius, skp_scan* scan, float* buffer,
        ptrdiff_t capacity) {
    /* (``up``, SKP_WIDEN_UP: the ``open`` loop gathers every value at or
     * above low, then the values from ``high`` up are parted off) */
    const int up = open && high < INFINITY;
    const __m256 low_v = _mm256_set1_ps(low), high_v = _mm256_set1_ps(up ? INFINITY : high);
    const __m256 sign = _mm256_set1_ps(magnitudes ? -0.0f : 0.0f);
    const __m256i magnitude_bits = _mm256_set1_epi32(INT32_MAX);
    __m256d aboves = _mm256_setzero_pd();
    __m256i count = _mm256_setzero_si256();   /* (int32 lanes: see SKP_COUNT_CHUNK) */
    __m256i largest = _mm256_setzero_si256();
    __m256 minimum = _mm256_set1_ps(INFINITY);
    const ptrdiff_t first_gathered = scan->n_gathered;
    ptrdiff_t j = 0, k = first_gathered, n_high = 0, block_end;
    int32_t lanes[8];
    double above_rest = 0.0, tail_total = 0.0;
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
            if (down) {
                /* (every value in the total; below high gathered: NaN is not) */
                above0 = _mm256_add_ps(above0, v0);
                above1 = _mm256_add_ps(above1, v1);
                k = skp_pack_store8(v0, _mm256_movemask_ps(_mm256_cmp_ps(v0, high_v, _CMP_LT_OQ)),
                                    buffer, k);
                k = skp_pack_store8(v1, _mm256_movemask_ps(_mm256_cmp_ps(v1, high_v, _CMP_LT_OQ)),
                                    buffer, k);
                continue;
            }
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
            /* each lane summed 8 values in float; the blocks add in double (as
             * the scan); ``down``: every value's */
            above0 = _mm256_add_ps(above0, above1);
            aboves = _mm256_add_pd(aboves, skp_widen_sum8(above0));
        }
    }
    if (open) {
        _mm256_storeu_si256((__m256i*) lanes, largest);
        for (lane = 0; lane < 8; lane++)
            if (lanes[lane] >= (int32_t) skp_float_bits(INFINITY)) return 0;
    }
    if (up) {
        /* (as skp_scan_cached_f32_'s SKP_WIDEN_UP: the gathered values above
         * the bracket go, counted and summed) */
        ptrdiff_t count;
        k = first_gathered + skp_part256_f32(buffer + first_gathered, k - first_gathered, high,
                                             1, &count, &above_rest);
        n_high += count;
    }
    if (!skp_scan_tail_f32(row, j, n, low, high, magnitudes, down, buffer, capacity, &k,
                           &n_high, &above_rest, &tail_total))
        return 0;
    if (down) {
        /* (as skp_scan_cached_f32_'s SKP_WIDEN_DOWN: the values above are
         * those not gathered, and the gathered ones from Michelot's bound,
         * a lower bound of tau less a margin for the total's rounding, up) */
        const double total = skp_hsum(aboves) + tail_total;
        const float kept_low = skp_widened_low(total, radius, n, low);
        const ptrdiff_t gathered = k - first_gathered;
        double gathered_sum;
        k = first_gathered + skp_part256_f32(buffer + first_gathered, gathered, kept_low, 0,
                                             NULL, &gathered_sum);
        scan->sum_high += total - gathered_sum;
        scan->count_high += (double) (n - gathered);
        scan->n_gathered = k;
        scan->low = kept_low;
        return 1;
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
                                           int magnitudes, int widen, double radius,
                                           skp_scan* scan, float* buffer, ptrdiff_t capacity) {
    /* (``open``: high is +inf, as skp_scan_cached_f32_unguarded's; widened
     * down (SKP_WIDEN_DOWN) and up (SKP_WIDEN_UP: the open loop, then the
     * part at high) as there; each call inlined with its constants) */
#define SKP_SCAN_CACHED256(m, o, d) \
    skp_scan_cached256_f32_(row, n, low, high, m, o, d, radius, scan, buffer, capacity)
    const int near = !skp_ahead_for(n * (ptrdiff_t) sizeof(float));
    if (widen == SKP_WIDEN_DOWN && magnitudes && high > 0.0f && high < INFINITY && near)
        return SKP_SCAN_CACHED256(1, 0, 1);
    if ((high == INFINITY && low > 0.0f)
            || (widen == SKP_WIDEN_UP && low > 0.0f && low < high && near))
        return magnitudes ? SKP_SCAN_CACHED256(1, 1, 0) : SKP_SCAN_CACHED256(0, 1, 0);
    return magnitudes ? SKP_SCAN_CACHED256(1, 0, 0) : SKP_SCAN_CACHED256(0, 0, 0);
#undef SKP_SCAN_CACHED256
}

static inline int skp_scan_cached_f32(const float* row, ptrdiff_t n, double low, double high,
                                      int magnitudes, int widen, double radius, skp_scan* scan,
                                      float* buffer, ptrdiff_t capacity) {
    if (skp_avx512)
        return skp_scan_cached_f32_unguarded(row, n, low, high, magnitudes, widen, radius,
                                             scan, buffer, capacity);
    if (skp_avx2 <= 0) return 0;
    return skp_scan_cached256_f32(row, n, low <= -DBL_MAX ? -INFINITY : skp_float_above(low),
                                  high >= DBL_MAX ? INFINITY : skp_float_above(high),
                                  magnitudes, widen, radius, scan, buffer, capacity);
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
static inline int skp_sum_and_excess512_f32(const float* values, ptrdiff_t n, double low,
                                            double* excess, double* total) { return 0; }
static inline int skp_select_f64(double* values, ptrdiff_t n, ptrdiff_t k, double* scratch,
                                 double* result) { return 0; }
static inline int skp_shrink512_f32(const float* src, float* dst, ptrdiff_t n, double tau,
                                    int magnitudes, int stream) { return 0; }
static inline int skp_shrink_short_rows512_f32(const float* src, ptrdiff_t src_stride,
                                               float* dst, ptrdiff_t dst_stride,
                                               ptrdiff_t n_rows, ptrdiff_t n,
                                               const double* taus) { return 0; }
static inline int skp_shrink_short_rows512_f64(const double* src, ptrdiff_t src_stride,
                                               double* dst, ptrdiff_t dst_stride,
                                               ptrdiff_t n_rows, ptrdiff_t n,
                                               const double* taus) { return 0; }
static inline int skp_scan_cached_f32(const float* row, ptrdiff_t n, double low, double high,
                                      int magnitudes, int widen, double radius, skp_scan* scan,
                                      float* buffer, ptrdiff_t capacity) { return 0; }
static inline double skp_long_threshold_f32(const float* values, ptrdiff_t n, double total,
                                            double fixed_count, double fixed_sum,
                                            double radius, double* support) { return 0.0; }
static inline int skp_sample_bracket_f32(const float* row, ptrdiff_t runs, ptrdiff_t gap,
                                         int magnitudes, double scaled, int through_total,
                                         double sigmas, ptrdiff_t margin, ptrdiff_t cap,
                                         ptrdiff_t gather_limit, float* work, double* low,
                                         double* high, int* widen) { return 0; }
static inline ptrdiff_t skp_keep_at_most_f64(const double* src, ptrdiff_t n, double bound,
                                             double* dst) { return -1; }
#endif
#endif
