/* AVX2 loops of the bi-level l1,1 kernel's column panels (see _bilevel.pyx).
 *
 * A panel is ``width`` adjacent columns of a matrix with contiguous rows
 * (strides in bytes).  Its candidates are the magnitudes of each column above
 * a floor, gathered per column ("keep_above" on each column) into ``lists``
 * (column c at lists + c * capacity), counted in ``counts`` and summed in
 * ``sums``.  Lists shorter than the columns are grown on demand: the gather
 * returns the row it reached when one might fill up (skp_lists_room), and
 * goes on from there (``start``: counts, sums and floors as it left them)
 * once the caller has moved the lists apart; it returns n_rows when done.
 * Lists that may grow no more (``last``) drop their columns instead
 * (skp_drop_full_lists_float/_double), whose taus the caller finds without
 * them.  The rows are read as they lie in memory, a block of rows at a
 * time: each column group of the block (8 float or 4 double columns) is
 * loaded as one vector per row, transposed so that a
 * vector holds one column, and left-packed into that column's list (the
 * permutation tables of _l1_simd.h).  Rows further on are prefetched: the
 * rows of a panel lie a row stride apart, which the hardware prefetchers do
 * not follow.  Only the cache lines holding a column whose radius is not
 * zero are read.
 *
 * Each column's floor starts at the common ``floor`` and rises, every
 * SKP_BOUND_ROWS rows, to a lower bound of the column's tau given by the
 * values kept so far (skp_kept_bound4), so that a column keeps a few times
 * its support rather than every value above the common floor.  The kept
 * values are summed as skp_keep_above_f32/_f64 sum them (float32: in float
 * over a block of 8 rows, then in double; a sum that overflows is taken
 * again in double).  The arrays indexed by column hold ``width`` rounded up
 * to the group (8 or 4), ``radii`` with zeros after ``width`` (a last,
 * partial group is read by masked loads), and the lists are padded alike:
 * every column goes through the same arithmetic, so that a column's
 * candidates do not depend on where the panels are cut.
 *
 * The panel is then written from the cache (skp_shrink_panel_f32/_f64;
 * float32 with AVX-512 sixteen columns a vector, non-temporal stores included
 * where the rows start on a cache line).
 * Short or dense columns skip the gather: their taus are found by passes over
 * the panel in cache (skp_panel_thresholds_f32/_f64, AVX-512 where the CPU
 * has it, else AVX2; each column starts from a guess made from the group of
 * columns before, skp_guess8 and skp_guess4; float32's loops read a group
 * packed after its first pass, see skp_panel_thresholds_f32).
 * Rows' candidates are compacted by AVX-512 where it runs
 * (skp_row_keep_above_f32/_f64).  Short columns and rows are sorted in SIMD
 * lanes instead (_bilevel_short_simd.h, included below).
 * Without AVX2 (skp_have_avx2() == 0) the Cython loops of _bilevel.pyx run.
 */
#ifndef SKPROJ_BILEVEL_SIMD_H
#define SKPROJ_BILEVEL_SIMD_H

#include "_l1_simd.h"
#include "_prefetch.h"
#include "_sort_network.h"
#include "_transpose_simd.h"

/* Rows prefetched ahead of the block being gathered (into L1 as well as L2
 * where the CPU prefers: skp_panels_into_l1 in _l1_simd.h). */
#define SKP_PANEL_PREFETCH_ROWS 16
/* Whether the writes down a panel's rows prefetch the rows ahead for writing
 * (skp_prefetch_rows_for_write); a testing switch (_set_column_paths). */
static int skp_rows_ahead = 1;
/* Whether a pass of a group whose lanes still going lie in one half reads
 * that half alone (skp_half_above8_f32): where the CPU has AVX-512VL, and a
 * testing switch (_set_column_paths); set by skp_set_half_passes. */
static int skp_half_passes = 0;
static inline int skp_set_half_passes(int on) {
    __builtin_cpu_init();
    skp_half_passes = on && SKP_CPU_HAS("avx512vl");
    return skp_half_passes;
}
/* Whether float64's candidates are gathered by the AVX-512 loop where it
 * runs (skp_panel_candidates512_f64); a testing switch (_set_column_paths). */
static int skp_candidates512 = 1;
/* A panel's own lines prefetched ahead of its reads where no panel before
 * prefetched them (a testing switch): the first pair's sweep prefetches the
 * kept lines (skp_kept_lines) of the pairs after it SKP_PANEL_LINES_AHEAD_ROWS
 * rows ahead into L2 (skp_group16_first_pair), and a streamed write
 * (skp_shrink_panel512_f32, _f64, and the AVX2 skp_shrink_panel_f32, _f64) the
 * lines of its kept columns SKP_WRITE_AHEAD_ROWS rows ahead into L1.  The
 * pairs after the first had read their two lines a row from memory, each row a
 * page or more apart, and the write found part of the panel gone from L2 (perf
 * on an AMD Zen 4: 38 % of the float32 write's samples on its loads).  Issue
 * 14, that Zen 4, single calls interleaved in one process against the build
 * before, at 10, 50, 90 % of the groups kept: float32 1000 x 10000 0.91, 0.91,
 * 0.90 (another run 0.91, 0.86, 0.84), 700 x 14000 0.94, 0.90, 0.90; float64
 * (the gather's write alone) 1000 x 10000 0.99, 0.95, 0.94, 2000 x 5000 0.94,
 * 0.88, 0.92, 500 x 20000 0.96-0.97; where the next panel is prefetched (500 x
 * 20000 float32) and 100 x 100000 within 3 %.  32 rows ahead rather than 16 or
 * 64, and into L2 rather than L1 (L1: no gain), for the sweep; the whole rows
 * for the write, zeroed columns' lines too, 1.02-1.03 at 10 %.  The AVX2
 * writes (the same Zen 4, AVX-512 switched off, the same measure, off / on):
 * float64 1000 x 10000 2.12 / 1.99, 2.95 / 2.67, 3.48 / 2.87; 2000 x 5000 2.09
 * / 1.98, 2.62 / 2.44, 3.07 / 2.90; float32 2000 x 5000 (gathered) 3.25 /
 * 2.57, 3.33 / 3.02, 3.39 / 3.13. */
static int skp_panel_lines = 1;
#define SKP_PANEL_LINES_AHEAD_ROWS 32
#define SKP_PANEL_MAX_LINES 64
#define SKP_WRITE_AHEAD_ROWS 8

/* How far ahead of row ``i`` (of ``n_rows``, ``stride`` bytes apart) a
 * panel's write asks for the lines it reads: SKP_WRITE_AHEAD_ROWS rows where
 * it streams and no next panel is prefetched (``next`` NULL), else 0. */
static inline ptrdiff_t skp_write_ahead(ptrdiff_t i, ptrdiff_t n_rows, ptrdiff_t stride,
                                        int stream, const skp_next_panel* next) {
    return !next && stream && skp_panel_lines && i + SKP_WRITE_AHEAD_ROWS < n_rows
        ? SKP_WRITE_AHEAD_ROWS * stride : 0;
}

/* The rows of a write down ``n_rows`` rows (``bytes`` written a row, rows
 * ``stride`` bytes apart) that prefetch the rows ahead for writing: those
 * before the last SKP_WRITE_ROWS_AHEAD, or none where the rows written follow
 * one another (whole rows, which the hardware prefetchers follow). */
static inline ptrdiff_t skp_rows_prefetched(ptrdiff_t n_rows, ptrdiff_t stride,
                                            ptrdiff_t bytes) {
    return skp_rows_ahead && stride != bytes ? n_rows - SKP_WRITE_ROWS_AHEAD : 0;
}
/* Rows between two raises of the columns' floors, and the share of the kept
 * sum given up to its rounding (see skp_kept_bound4). */
#define SKP_BOUND_ROWS 16
#define SKP_BOUND_MARGIN 1e-5
/* A column's first pass starts from its guess (skp_guess8) where it lies
 * this share of itself above the floor (see skp_panel_thresholds_f32).
 * (Measured on a NumPy model of the passes, issue 14, and left out: a guess
 * scaled by each column's rms, sqrt(sum y^2 / n), which the norms' read would
 * also take, rather than by its l1 norm: 100 x 1000 float32 at 1 and 10 % of
 * the l1,1 norm 3.3-4.7 -> 2.9-4.2 passes a group of 16 (Gaussian, Laplace,
 * Student t(3)), but at half the norm 2.2-2.7 -> 2.2-3.5, and acsf1's
 * columns at half the norm 3.4 -> 4.3; a fitted table in both scales (on
 * the columns of the same draw, as no kernel could) cut the guesses' median
 * errors at 10 % to a third (Gaussian 4.9 -> 1.7 %, t(3) 15 -> 4 %).  Nor
 * does a pass that also takes each lane's greatest value below its bound
 * settle the lanes guessed above tau in one pass: the group passes until its
 * slowest lane settles, 3.48 passes at 10 % either way.) */
#define SKP_GUESS_GAP 0.05

/* float32's taus as two floats each (see skp_shrink_f32 in _l1_simd.h); an
 * infinite tau (a zeroed column) has a zero low part. */
/* One value shrunk as the vector loop does it (0 for a zeroed column). */
static inline float skp_shrink_two_floats(float value, float hi, float lo) {
    return isinf(hi) ? 0.0f : skp_shrink_by_two_floats(value, hi, lo, 1);
}

static inline void skp_split_taus(const double* taus, ptrdiff_t n, float* hi, float* lo) {
    ptrdiff_t j;
    for (j = 0; j < n; j++) {
        hi[j] = (float) taus[j];
        lo[j] = isinf(hi[j]) ? 0.0f : (float) (taus[j] - (double) hi[j]);
    }
}

/* Offsets from ``base`` of the cache lines holding a column whose radius is
 * not zero (the only ones read), in ``lines``; returns how many. */
static inline ptrdiff_t skp_kept_lines(const void* base, ptrdiff_t width, ptrdiff_t itemsize,
                                       const double* radii, ptrdiff_t* lines) {
    const ptrdiff_t start = (ptrdiff_t) ((uintptr_t) base % 64);
    ptrdiff_t n = 0, c, line;
    for (c = 0; c < width; c++)
        if (radii[c] != 0) {
            line = (start + c * itemsize) / 64 * 64 - start;
            if (n == 0 || lines[n - 1] != line) lines[n++] = line;
        }
    return n;
}

/* dst[i] = (float) (src[i] * factor), each product taken in double and
 * rounded once to float: the l2 ball's scale (the general way multiplies a
 * float32 array by a float64 scalar in NumPy, the same bits).  The compiler
 * vectorizes the loop under each target (``simd``: where the caller's AVX2
 * loops run, see simd_enabled in _l1.pyx); the baseline's SSE2 converts two
 * floats an instruction, which made the scale of a 100 x 1000 float32 array
 * cost 1.6 copies of it (1.1 with AVX-512). */
#define SKP_SCALE_ROW(ATTR, NAME)                                               \
    ATTR static void NAME(const float* src, float* dst, ptrdiff_t n, double factor) { \
        ptrdiff_t i;                                                            \
        for (i = 0; i < n; i++) dst[i] = (float) ((double) src[i] * factor);    \
    }
SKP_SCALE_ROW(, skp_scale_row_plain_f32)

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))

/* Whether this module's AVX-512 loops run (skp_avx512 is per module). */
static inline int skp_avx512_enabled(void) { return skp_have_avx2() && skp_avx512; }

/* The rows of ``length`` floats at rows[0:8] as ``length`` vectors of 8
 * lanes on ``packed`` (32-byte aligned): packed[8 k + r] is value k of
 * rows[r], or 0 where rows[r] is NULL (no row: not read); so that short rows
 * take the column panels' passes, a row a lane, whichever rows of the
 * matrix they are (the kept rows only, side by side: _row_taus_by_lanes). */
#define SKP_PACKED_ROW(T, r) ((const T*) rows[r])
SKP_AVX2 static void skp_pack_rows8_f32(const char* const* rows, ptrdiff_t length,
                                        float* packed) {
    ptrdiff_t k = 0;
    int r;
    for (; k + 8 <= length; k += 8) {
        __m256 v[8];
        for (r = 0; r < 8; r++)
            v[r] = rows[r] ? _mm256_loadu_ps(SKP_PACKED_ROW(float, r) + k)
                           : _mm256_setzero_ps();
        skp_transpose8(v);
        for (r = 0; r < 8; r++) _mm256_store_ps(packed + 8 * (k + r), v[r]);
    }
    for (; k < length; k++)
        for (r = 0; r < 8; r++)
            packed[8 * k + r] = rows[r] ? SKP_PACKED_ROW(float, r)[k] : 0.0f;
}

/* skp_pack_rows8_f32 on sixteen rows (rows[0:16]), sixteen lanes a value (a
 * cache line; ``packed`` 64-byte aligned), for the AVX-512 passes, whose
 * groups are sixteen columns wide: each half of the rows transposed as
 * skp_pack_rows8_f32 does, the halves side by side. */
SKP_AVX2 static void skp_pack_rows16_f32(const char* const* rows, ptrdiff_t length,
                                         float* packed) {
    ptrdiff_t k = 0;
    int r, h;
    for (; k + 8 <= length; k += 8)
        for (h = 0; h < 2; h++) {
            __m256 v[8];
            for (r = 0; r < 8; r++)
                v[r] = rows[8 * h + r]
                    ? _mm256_loadu_ps(SKP_PACKED_ROW(float, 8 * h + r) + k)
                    : _mm256_setzero_ps();
            skp_transpose8(v);
            for (r = 0; r < 8; r++) _mm256_store_ps(packed + 16 * (k + r) + 8 * h, v[r]);
        }
    for (; k < length; k++)
        for (r = 0; r < 16; r++)
            packed[16 * k + r] = rows[r] ? SKP_PACKED_ROW(float, r)[k] : 0.0f;
}

/* skp_pack_rows8_f32 for float64: eight doubles a value of the rows (a
 * cache line), two 4 x 4 transpositions a block of four values. */
SKP_AVX2 static void skp_pack_rows8_f64(const char* const* rows, ptrdiff_t length,
                                        double* packed) {
    ptrdiff_t k = 0;
    int r, h;
    for (; k + 4 <= length; k += 4) {
        for (h = 0; h < 2; h++) {
            __m256d v[4], t[4];
            for (r = 0; r < 4; r++)
                v[r] = rows[4 * h + r]
                    ? _mm256_loadu_pd(SKP_PACKED_ROW(double, 4 * h + r) + k)
                    : _mm256_setzero_pd();
            t[0] = _mm256_unpacklo_pd(v[0], v[1]);
            t[1] = _mm256_unpackhi_pd(v[0], v[1]);
            t[2] = _mm256_unpacklo_pd(v[2], v[3]);
            t[3] = _mm256_unpackhi_pd(v[2], v[3]);
            _mm256_store_pd(packed + 8 * k + 4 * h, _mm256_permute2f128_pd(t[0], t[2], 0x20));
            _mm256_store_pd(packed + 8 * (k + 1) + 4 * h,
                            _mm256_permute2f128_pd(t[1], t[3], 0x20));
            _mm256_store_pd(packed + 8 * (k + 2) + 4 * h,
                            _mm256_permute2f128_pd(t[0], t[2], 0x31));
            _mm256_store_pd(packed + 8 * (k + 3) + 4 * h,
                            _mm256_permute2f128_pd(t[1], t[3], 0x31));
        }
    }
    for (; k < length; k++)
        for (r = 0; r < 8; r++)
            packed[8 * k + r] = rows[r] ? SKP_PACKED_ROW(double, r)[k] : 0.0;
}
#undef SKP_PACKED_ROW

/* Raise the floors of columns g..g+3 to a lower bound of their tau: for any
 * set L of a column's magnitudes, tau >= (sum(L) - radius) / |L| (the set's
 * own Michelot step), so the values kept so far give one.  Their sum is
 * lowered by SKP_BOUND_MARGIN of itself first: more than its rounding (float32:
 * at most 8 values summed in float, then in double, here and in
 * skp_keep_above_f32) and than the rounding of the bound to float (at most
 * its mean, sum / |L|, times 2^-24), so that the floor stays below tau.
 * A column with nothing kept yet, or whose sum overflowed, keeps its floor;
 * so does a zeroed column (infinite floor, nothing kept). */
SKP_AVX2 static inline __m256d skp_kept_bound4(const double* sums, const ptrdiff_t* counts,
                                               const double* radii, __m256d floor) {
    /* counts (< 2^52) to double: their bits under the exponent of 2^52 */
    const __m256i magic = _mm256_set1_epi64x(0x4330000000000000LL);
    const __m256d two52 = _mm256_set1_pd(4503599627370496.0), zero = _mm256_setzero_pd();
    __m256d count = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(
        _mm256_loadu_si256((const __m256i*) counts), magic)), two52);
    __m256d sum = _mm256_loadu_pd(sums);
    __m256d bound = _mm256_div_pd(_mm256_sub_pd(
        _mm256_mul_pd(sum, _mm256_set1_pd(1.0 - SKP_BOUND_MARGIN)), _mm256_loadu_pd(radii)),
        _mm256_max_pd(count, _mm256_set1_pd(1.0)));
    __m256d usable = _mm256_and_pd(_mm256_cmp_pd(count, zero, _CMP_GT_OQ),
                                   _mm256_cmp_pd(_mm256_sub_pd(sum, sum), zero, _CMP_EQ_OQ));
    return _mm256_max_pd(floor, _mm256_and_pd(bound, usable));
}

/* The row up to which no list can fill up, from row ``row`` on: a row adds
 * at most one value to a column's list, and the vector stores reach 8 values
 * past its count (see skp_panel_candidates_f32). */
static inline ptrdiff_t skp_lists_room(const ptrdiff_t* counts, ptrdiff_t n_columns,
                                       ptrdiff_t capacity, ptrdiff_t row) {
    ptrdiff_t most = 0, c;
    for (c = 0; c < n_columns; c++)
        if (counts[c] > most) most = counts[c];
    return row + capacity - 8 - most;
}

/* Drop the columns whose lists, of their ``capacity`` at most, would fill up
 * in the block of ``n_block`` rows from ``row``: their floors become infinite
 * (they are read no more; the caller finds their taus otherwise) and their
 * counts 0.  Whether a column is dropped depends on its own values only (its
 * count at a row), not on the panel it lies in.  Returns skp_lists_room's. */
#define SKP_DROP_FULL_LISTS(type)                                              \
    static inline ptrdiff_t skp_drop_full_lists_##type(                        \
        ptrdiff_t* counts, type* floors, ptrdiff_t n_columns, ptrdiff_t capacity, \
        ptrdiff_t row, ptrdiff_t n_block) {                                   \
        ptrdiff_t c;                                                          \
        for (c = 0; c < n_columns; c++)                                       \
            if (counts[c] + n_block + 8 > capacity) {                         \
                floors[c] = INFINITY;                                         \
                counts[c] = 0;                                                \
            }                                                                 \
        return skp_lists_room(counts, n_columns, capacity, row);              \
    }
SKP_DROP_FULL_LISTS(float)
SKP_DROP_FULL_LISTS(double)
#undef SKP_DROP_FULL_LISTS

/* float64's lists at the panel's first row: empty, each column's floor the
 * common ``floor`` (infinite for a zeroed column: never read). */
static inline void skp_candidates_start_f64(ptrdiff_t* counts, double* sums, double* floors,
                                            const double* radii, ptrdiff_t padded,
                                            double floor) {
    ptrdiff_t c;
    for (c = 0; c < padded; c++) {
        counts[c] = 0;
        sums[c] = 0.0;
        floors[c] = radii[c] == 0 ? INFINITY : floor;
    }
}

/* float64's floors raised to the bound of their values kept so far
 * (skp_kept_bound4), every SKP_BOUND_ROWS rows. */
SKP_AVX2 static inline void skp_raise_floors_f64(double* floors, const double* sums,
                                                 const ptrdiff_t* counts, const double* radii,
                                                 ptrdiff_t padded) {
    ptrdiff_t g;
    for (g = 0; g < padded; g += 4)
        _mm256_storeu_pd(floors + g, skp_kept_bound4(sums + g, counts + g, radii + g,
                                                     _mm256_loadu_pd(floors + g)));
}

SKP_AVX2 static inline ptrdiff_t skp_panel_candidates_f32(const float* base, ptrdiff_t row_stride,
                                                     ptrdiff_t n_rows, ptrdiff_t width,
                                                     double floor, const double* radii,
                                                     float* lists, ptrdiff_t capacity,
                                                     ptrdiff_t* counts, double* sums,
                                                     float* floors, ptrdiff_t* lines,
                                                     ptrdiff_t start, int last) {
    const __m256 sign = _mm256_set1_ps(-0.0f), infinite = _mm256_set1_ps(INFINITY);
    const ptrdiff_t n_lines = skp_kept_lines(base, width, sizeof(float), radii, lines);
    __m256 r[8];
    ptrdiff_t i = start, g, c, k, limit;
    int mask;
    const ptrdiff_t padded = (width + 7) / 8 * 8;
    const float first_floor = skp_float_below(floor);
    const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32((int) (width % 8)),
                                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    if (start == 0)
        for (c = 0; c < padded; c++) {
            counts[c] = 0;
            sums[c] = 0.0;
            floors[c] = radii[c] == 0 ? INFINITY : first_floor;
        }
    limit = skp_lists_room(counts, padded, capacity, i);
    skp_prefetch_lines((const char*) base + i * row_stride, row_stride,
                       n_rows - i < SKP_PANEL_PREFETCH_ROWS ? n_rows - i : SKP_PANEL_PREFETCH_ROWS,
                       lines, n_lines, skp_panels_into_l1);
    for (; i < n_rows; i += 8) {
        const char* rows = (const char*) base + i * row_stride;
        /* (a last block of fewer rows is padded with zeros, never kept) */
        const ptrdiff_t n_block = n_rows - i < 8 ? n_rows - i : 8;
        if (i + n_block > limit) {
            limit = skp_lists_room(counts, padded, capacity, i);
            if (i + n_block > limit && !last) return i;   /* grown, then resumed */
            if (i + n_block > limit)
                limit = skp_drop_full_lists_float(counts, floors, padded, capacity, i, n_block);
        }
        if (i + SKP_PANEL_PREFETCH_ROWS + 8 <= n_rows)
            skp_prefetch_lines(rows + SKP_PANEL_PREFETCH_ROWS * row_stride, row_stride, 8, lines,
                               n_lines, skp_panels_into_l1);
        if (i % SKP_BOUND_ROWS == 0 && i > 0)
            for (g = 0; g < padded; g += 4)
                _mm_storeu_ps(floors + g, _mm256_cvtpd_ps(skp_kept_bound4(
                    sums + g, counts + g, radii + g,
                    _mm256_cvtps_pd(_mm_loadu_ps(floors + g)))));
        for (g = 0; g < width; g += 8) {
            const __m256 floor_v = _mm256_loadu_ps(floors + g);
            __m256 block = _mm256_setzero_ps();
            if (_mm256_movemask_ps(_mm256_cmp_ps(floor_v, infinite, _CMP_EQ_OQ)) == 0xff)
                continue;   /* no column kept: not read */
            for (c = 0; c < 8; c++) {
                const float* row = (const float*) (rows + c * row_stride) + g;
                r[c] = c >= n_block ? _mm256_setzero_ps() : _mm256_andnot_ps(
                    sign, g + 8 <= width ? _mm256_loadu_ps(row) : _mm256_maskload_ps(row, tail));
                block = _mm256_add_ps(block, _mm256_and_ps(
                    r[c], _mm256_cmp_ps(r[c], floor_v, _CMP_GT_OQ)));
            }
            _mm256_storeu_pd(sums + g, _mm256_add_pd(_mm256_loadu_pd(sums + g),
                                                     skp_low_pd(block)));
            _mm256_storeu_pd(sums + g + 4, _mm256_add_pd(_mm256_loadu_pd(sums + g + 4),
                                                         skp_high_pd(block)));
            skp_transpose8(r);
            for (c = 0; c < 8; c++) {
                mask = _mm256_movemask_ps(_mm256_cmp_ps(
                    r[c], _mm256_broadcast_ss(floors + g + c), _CMP_GT_OQ));
                k = counts[g + c];
                _mm256_storeu_ps(lists + (g + c) * capacity + k, _mm256_permutevar8x32_ps(
                    r[c], _mm256_loadu_si256((const __m256i*) skp_pack8[mask])));
                counts[g + c] = k + _mm_popcnt_u32((unsigned) mask);
            }
        }
    }
    for (c = 0; c < width; c++)
        if (isinf(sums[c])) sums[c] = skp_sum_f32(lists + c * capacity, counts[c]);
    return n_rows;
}

SKP_AVX2 static inline ptrdiff_t skp_panel_candidates256_f64(const double* base,
                                                        ptrdiff_t row_stride, ptrdiff_t n_rows,
                                                        ptrdiff_t width, double floor,
                                                        const double* radii, double* lists,
                                                        ptrdiff_t capacity, ptrdiff_t* counts,
                                                        double* sums, double* floors,
                                                        ptrdiff_t* lines, ptrdiff_t start,
                                                        int last) {
    const __m256d sign = _mm256_set1_pd(-0.0), infinite = _mm256_set1_pd(INFINITY);
    const ptrdiff_t n_lines = skp_kept_lines(base, width, sizeof(double), radii, lines);
    __m256d r[4], t[4];
    ptrdiff_t i = start, g, c, k, limit;
    int mask;
    const ptrdiff_t padded = (width + 3) / 4 * 4;
    const __m256i tail = _mm256_cmpgt_epi64(_mm256_set1_epi64x(width % 4),
                                            _mm256_setr_epi64x(0, 1, 2, 3));
    if (start == 0)
        skp_candidates_start_f64(counts, sums, floors, radii, padded, floor);
    limit = skp_lists_room(counts, padded, capacity, i);
    skp_prefetch_lines((const char*) base + i * row_stride, row_stride,
                       n_rows - i < SKP_PANEL_PREFETCH_ROWS ? n_rows - i : SKP_PANEL_PREFETCH_ROWS,
                       lines, n_lines, skp_panels_into_l1);
    for (; i < n_rows; i += 4) {
        const char* rows = (const char*) base + i * row_stride;
        /* (a last block of fewer rows is padded with zeros, never kept) */
        const ptrdiff_t n_block = n_rows - i < 4 ? n_rows - i : 4;
        if (i + n_block > limit) {
            limit = skp_lists_room(counts, padded, capacity, i);
            if (i + n_block > limit && !last) return i;   /* grown, then resumed */
            if (i + n_block > limit)
                limit = skp_drop_full_lists_double(counts, floors, padded, capacity, i, n_block);
        }
        if (i + SKP_PANEL_PREFETCH_ROWS + 4 <= n_rows)
            skp_prefetch_lines(rows + SKP_PANEL_PREFETCH_ROWS * row_stride, row_stride, 4, lines,
                               n_lines, skp_panels_into_l1);
        if (i % SKP_BOUND_ROWS == 0 && i > 0)
            skp_raise_floors_f64(floors, sums, counts, radii, padded);
        for (g = 0; g < width; g += 4) {
            const __m256d floor_v = _mm256_loadu_pd(floors + g);
            __m256d block = _mm256_setzero_pd();
            if (_mm256_movemask_pd(_mm256_cmp_pd(floor_v, infinite, _CMP_EQ_OQ)) == 0xf)
                continue;   /* no column kept: not read */
            for (c = 0; c < 4; c++) {
                const double* row = (const double*) (rows + c * row_stride) + g;
                r[c] = c >= n_block ? _mm256_setzero_pd() : _mm256_andnot_pd(
                    sign, g + 4 <= width ? _mm256_loadu_pd(row) : _mm256_maskload_pd(row, tail));
                block = _mm256_add_pd(block, _mm256_and_pd(
                    r[c], _mm256_cmp_pd(r[c], floor_v, _CMP_GT_OQ)));
            }
            _mm256_storeu_pd(sums + g, _mm256_add_pd(_mm256_loadu_pd(sums + g), block));
            /* 4 x 4 transpose: r[c] holds column c of the four rows */
            t[0] = _mm256_unpacklo_pd(r[0], r[1]);
            t[1] = _mm256_unpackhi_pd(r[0], r[1]);
            t[2] = _mm256_unpacklo_pd(r[2], r[3]);
            t[3] = _mm256_unpackhi_pd(r[2], r[3]);
            r[0] = _mm256_permute2f128_pd(t[0], t[2], 0x20);
            r[1] = _mm256_permute2f128_pd(t[1], t[3], 0x20);
            r[2] = _mm256_permute2f128_pd(t[0], t[2], 0x31);
            r[3] = _mm256_permute2f128_pd(t[1], t[3], 0x31);
            for (c = 0; c < 4; c++) {
                mask = _mm256_movemask_pd(_mm256_cmp_pd(
                    r[c], _mm256_broadcast_sd(floors + g + c), _CMP_GT_OQ));
                k = counts[g + c];
                _mm256_storeu_pd(lists + (g + c) * capacity + k, skp_packed4(r[c], mask));
                counts[g + c] = k + _mm_popcnt_u32((unsigned) mask);
            }
        }
    }
    return n_rows;
}

/* skp_panel_candidates256_f64 with AVX-512F, eight rows and eight columns a
 * block: the same lists, counts, sums and floors, so the same bits.  Each
 * column's sum takes its block of four rows at a time, as there; its values
 * above its floor go to its list in the order of the rows, compressed in a
 * register (the AVX2 loop's table of permutations, four rows a store).
 * Where a list could fill within the next eight rows, or fewer rows are
 * left, the AVX2 loop goes on from the row reached: it makes the same
 * decisions (to return for more room, or drop a column) at the same rows
 * (issue 14: the gather held 44 % of bilevel_l11's call on 1000 x 10000
 * float64 column groups at 90 % of the groups kept). */
SKP_AVX512 static ptrdiff_t skp_panel_candidates512_f64(const double* base, ptrdiff_t row_stride,
                                                        ptrdiff_t n_rows, ptrdiff_t width,
                                                        double floor, const double* radii,
                                                        double* lists, ptrdiff_t capacity,
                                                        ptrdiff_t* counts, double* sums,
                                                        double* floors, ptrdiff_t* lines,
                                                        ptrdiff_t start, int last) {
    const __m512d infinite = _mm512_set1_pd(INFINITY);
    const ptrdiff_t n_lines = skp_kept_lines(base, width, sizeof(double), radii, lines);
    const ptrdiff_t padded = (width + 3) / 4 * 4;
    __m512d r[8];
    ptrdiff_t i = start, g, c, k, limit;
    if (start == 0)
        skp_candidates_start_f64(counts, sums, floors, radii, padded, floor);
    if (i % 8 && i < n_rows) {
        /* (resumed four rows past a block of eight: those four by the AVX2
         * loop, so that the blocks start where its floors rise, every
         * SKP_BOUND_ROWS rows) */
        const ptrdiff_t end = n_rows - i < 8 ? n_rows : i + 4;
        i = skp_panel_candidates256_f64(base, row_stride, end, width, floor, radii, lists,
                                        capacity, counts, sums, floors, lines, i, last);
        if (i < end || i == n_rows)
            return i;   /* (returned for room, or done) */
    }
    limit = skp_lists_room(counts, padded, capacity, i);
    skp_prefetch_lines((const char*) base + i * row_stride, row_stride,
                       n_rows - i < SKP_PANEL_PREFETCH_ROWS ? n_rows - i : SKP_PANEL_PREFETCH_ROWS,
                       lines, n_lines, skp_panels_into_l1);
    for (; i + 8 <= n_rows; i += 8) {
        const char* rows = (const char*) base + i * row_stride;
        if (i + 8 > limit) {
            limit = skp_lists_room(counts, padded, capacity, i);
            if (i + 8 > limit)
                break;   /* (the AVX2 loop decides, from row i) */
        }
        if (i + SKP_PANEL_PREFETCH_ROWS + 8 <= n_rows)
            skp_prefetch_lines(rows + SKP_PANEL_PREFETCH_ROWS * row_stride, row_stride, 8, lines,
                               n_lines, skp_panels_into_l1);
        if (i % SKP_BOUND_ROWS == 0 && i > 0)
            skp_raise_floors_f64(floors, sums, counts, radii, padded);
        for (g = 0; g < width; g += 8) {
            const __mmask8 lanes = (__mmask8) (width - g < 8 ? (1u << (width - g)) - 1 : 0xff);
            const __m512d floor_v = _mm512_maskz_loadu_pd(lanes, floors + g);
            __m512d first = _mm512_setzero_pd(), second = _mm512_setzero_pd();
            if ((_mm512_cmp_pd_mask(floor_v, infinite, _CMP_EQ_OQ) | (__mmask8) ~lanes) == 0xff)
                continue;   /* no column kept: not read */
            for (c = 0; c < 8; c++) {
                r[c] = _mm512_abs_pd(_mm512_maskz_loadu_pd(
                    lanes, (const double*) (rows + c * row_stride) + g));
                if (c < 4)
                    first = _mm512_add_pd(first, _mm512_maskz_mov_pd(
                        _mm512_cmp_pd_mask(r[c], floor_v, _CMP_GT_OQ), r[c]));
                else
                    second = _mm512_add_pd(second, _mm512_maskz_mov_pd(
                        _mm512_cmp_pd_mask(r[c], floor_v, _CMP_GT_OQ), r[c]));
            }
            /* (the two blocks of four rows one after the other, as the AVX2 loop adds them) */
            _mm512_mask_storeu_pd(sums + g, lanes, _mm512_add_pd(
                _mm512_add_pd(_mm512_maskz_loadu_pd(lanes, sums + g), first), second));
            skp_transpose8x8_pd(r);
            for (c = 0; c < 8 && g + c < width; c++) {
                const __mmask8 mask = _mm512_cmp_pd_mask(r[c], _mm512_set1_pd(floors[g + c]),
                                                         _CMP_GT_OQ);
                k = counts[g + c];
                _mm512_storeu_pd(lists + (g + c) * capacity + k,
                                 _mm512_maskz_compress_pd(mask, r[c]));
                counts[g + c] = k + _mm_popcnt_u32((unsigned) mask);
            }
        }
    }
    return i < n_rows ? skp_panel_candidates256_f64(base, row_stride, n_rows, width, floor,
                                                    radii, lists, capacity, counts, sums, floors,
                                                    lines, i, last)
                      : n_rows;
}

/* The panel's candidates (skp_panel_candidates256_f64), by the AVX-512 loop
 * where it runs. */
SKP_AVX2 static inline ptrdiff_t skp_panel_candidates_f64(const double* base, ptrdiff_t row_stride,
                                                     ptrdiff_t n_rows, ptrdiff_t width,
                                                     double floor, const double* radii,
                                                     double* lists, ptrdiff_t capacity,
                                                     ptrdiff_t* counts, double* sums,
                                                     double* floors, ptrdiff_t* lines,
                                                     ptrdiff_t start, int last) {
    if (skp_avx512 && skp_candidates512)
        return skp_panel_candidates512_f64(base, row_stride, n_rows, width, floor, radii, lists,
                                           capacity, counts, sums, floors, lines, start, last);
    return skp_panel_candidates256_f64(base, row_stride, n_rows, width, floor, radii, lists,
                                       capacity, counts, sums, floors, lines, start, last);
}

/* ------------------------------------------------------ short columns in place
 * A panel of short columns (a few hundred rows) lies in L1/L2 once read:
 * each column's tau is found by Michelot's passes over the panel itself,
 * eight columns at a time (one per lane), without gathering candidates.
 * Each lane starts from the common ``floor`` (a lower bound of every tau:
 * Michelot's iterates then rise to tau) and stops as skp_short_threshold_f32
 * does: when a pass keeps no fewer values than the last, or when the next
 * iterate lies below the least value kept (the next pass would keep the same
 * values).  The kept values are summed in float over blocks of 32 rows
 * (four accumulators, a row each in turn), then in double; a sum that
 * overflows is taken again in double. */

/* The float blocks of the passes over float32 columns, which define their
 * sums, so that every loop (AVX2's eight lanes, AVX-512's sixteen or a half
 * of them) gives a lane the same bits: from row ``i`` to ``n_rows``,
 * TAKE(k, block, count, least) for each row k, in blocks of 32 rows, each
 * block's rows i, i + 1, i + 2, i + 3 into four float sums (the rows past the
 * last four into the first) with the counts c0, c1, c0, c1 and the leasts
 * l0, l1, l2, l3; each block's sum, (b0 + b1) + (b2 + b3) by ADD, handed to
 * FOLD in the blocks' order (T the blocks' vector type, ZERO its zero;
 * ``end`` the caller's). */
#define SKP_FLOAT_BLOCKS(T, ZERO, ADD, TAKE, FOLD, c0, c1, l0, l1, l2, l3)    \
    while (i < n_rows) {                                                      \
        T block0 = ZERO, block1 = ZERO, block2 = ZERO, block3 = ZERO;        \
        end = n_rows - i < 32 ? n_rows : i + 32;                              \
        for (; i + 4 <= end; i += 4) {                                        \
            TAKE(i, block0, c0, l0);                                          \
            TAKE(i + 1, block1, c1, l1);                                      \
            TAKE(i + 2, block2, c0, l2);                                      \
            TAKE(i + 3, block3, c1, l3);                                      \
        }                                                                     \
        for (; i < end; i++)                                                  \
            TAKE(i, block0, c0, l0);                                          \
        FOLD(ADD(ADD(block0, block1), ADD(block2, block3)));                  \
    }

/* Count, sum and least of the magnitudes above ``bound`` (per lane) in the
 * eight columns at ``base`` (``tail``: the lanes that exist).  Four rows at
 * a time, each its own accumulators: a pass is bound by their latency.  The
 * float blocks take 32 rows before they go to double, as the AVX-512 loop's
 * (every 8 rows, their reduction and conversion cost a fifth of a pass over
 * 100 rows).  ``packed``: ``base`` holds the magnitudes, 8 a row (32 bytes
 * apart, all lanes read); ``copy``: where to store the magnitudes read, so
 * (if not NULL), as skp_columns_above16_f32 does; with ``signed_copy``, the
 * values themselves are stored, and a packed ``base`` holds them so. */
SKP_AVX2 static inline void skp_columns_above_f32(const char* base, ptrdiff_t row_stride,
                                                  ptrdiff_t n_rows, int full, __m256i tail,
                                                  __m256 bound, __m256i* count, __m256d* sum_low,
                                                  __m256d* sum_high, __m256* least,
                                                  const int packed, float* copy,
                                                  const int signed_copy) {
    const __m256 sign = _mm256_set1_ps(-0.0f), above_all = _mm256_set1_ps(INFINITY);
    __m256i count0 = _mm256_setzero_si256(), count1 = _mm256_setzero_si256();
    __m256 least0 = above_all, least1 = above_all;
    __m256d low = _mm256_setzero_pd(), high = _mm256_setzero_pd();
    ptrdiff_t i = 0, end;
#define SKP_COLUMN_TAKE(k, b, c, m)                                           \
    do {                                                                      \
        const __m256 y_ = packed                                              \
            ? _mm256_load_ps((const float*) base + 8 * (k))                   \
            : full ? _mm256_loadu_ps((const float*) (base + (k) * row_stride)) \
            : _mm256_maskload_ps((const float*) (base + (k) * row_stride), tail); \
        const __m256 v_ = packed && !signed_copy ? y_ : _mm256_andnot_ps(sign, y_); \
        const __m256 keep_ = _mm256_cmp_ps(v_, bound, _CMP_GT_OQ);            \
        if (copy) _mm256_store_ps(copy + 8 * (k), signed_copy ? y_ : v_);     \
        b = _mm256_add_ps(b, _mm256_and_ps(v_, keep_));                       \
        c = _mm256_sub_epi32(c, _mm256_castps_si256(keep_));                  \
        m = _mm256_min_ps(m, _mm256_blendv_ps(above_all, v_, keep_));         \
    } while (0)
#define SKP_COLUMN_FOLD(b)                                                    \
    do {                                                                      \
        const __m256 sum_ = b;                                                \
        low = _mm256_add_pd(low, skp_low_pd(sum_));                           \
        high = _mm256_add_pd(high, skp_high_pd(sum_));                        \
    } while (0)
    SKP_FLOAT_BLOCKS(__m256, _mm256_setzero_ps(), _mm256_add_ps, SKP_COLUMN_TAKE,
                     SKP_COLUMN_FOLD, count0, count1, least0, least1, least0, least1)
#undef SKP_COLUMN_FOLD
#undef SKP_COLUMN_TAKE
    *count = _mm256_add_epi32(count0, count1);
    *sum_low = low;
    *sum_high = high;
    *least = _mm256_min_ps(least0, least1);
}

/* Four 64-bit lane masks as four 32-bit ones. */
SKP_AVX2 static inline __m128i skp_narrow_mask(__m256d mask) {
    return _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(
        _mm256_castpd_si256(mask), _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6)));
}

/* The sums of the columns whose float blocks overflowed (infinite in
 * ``sums``), taken again in double: the magnitudes above ``bounds``. */
static inline void skp_resum_overflowed(const char* columns, ptrdiff_t row_stride,
                                        ptrdiff_t n_rows, int n_lanes, const float* bounds,
                                        double* sums) {
    ptrdiff_t i;
    int c;
    for (c = 0; c < n_lanes; c++) {
        if (!isinf(sums[c])) continue;
        sums[c] = 0.0;
        for (i = 0; i < n_rows; i++) {
            const float value = fabsf(((const float*) (columns + i * row_stride))[c]);
            sums[c] += value > bounds[c] ? (double) value : 0.0;
        }
    }
}

/* The same with AVX-512F: sixteen columns a group, the comparisons' masks
 * in mask registers (a row costs five instructions rather than eight for
 * half as many columns), and the float bounds by conversion rounding down
 * (the largest float at or below the iterate: skp_float_below's).  The
 * float blocks take 32 rows (4 blocks of 8 values each) before they go to
 * double: their reduction and conversion, every 8 rows, cost about a
 * third of a pass over 100 rows (issue 14, perf); a block's rounding,
 * 7 * 2^-24 of its sum, stays far below float32's tolerance.
 * ``packed``: ``base`` holds the magnitudes, 16 a row (64 bytes apart, all
 * lanes read), or with ``signed_copy`` the values themselves; ``copy``:
 * where to store the magnitudes read (with ``signed_copy`` the values), so
 * (if not NULL), and with ``prefetch`` the rows SKP_PANEL_PREFETCH_ROWS ahead
 * prefetched then (a row a page apart when rows are long, which the
 * hardware does not follow: 1000 x 10000 at 10-90 % of the groups kept,
 * 2.4-2.9 -> 2.2-2.7 times a copy; 16 to 64 rows ahead measured alike; but
 * 100 x 1000 in cache 10 % slower).  (Four minima chains: two made the
 * min's latency the longest chain of a pass.)  A whole group's first pass
 * reads its rows by plain loads where it does not prefetch (issue 14, an
 * AMD Zen 5, single calls interleaved, at 10, 50, 90 % of the groups kept,
 * against masked loads: 100 x 1000, 300 x 3000, 30 x 1000 and 100 x 333
 * 0.95-0.97 of the time; with the prefetch, 1000 x 10000 1.01-1.03; float64
 * passes alike within 1-3 %, so left masked). */
/* One row of a pass over sixteen columns: the magnitudes ``v`` above
 * ``bound`` added to the float ``block``, counted, and the least of them
 * kept (skp_columns_above16_f32, skp_group16_first_pair). */
SKP_AVX512 static inline __attribute__((always_inline)) void skp_take16(
        __m512 v, __m512 bound, __m512* block, __m512i* count, __m512* least) {
    const __mmask16 keep = _mm512_cmp_ps_mask(v, bound, _CMP_GT_OQ);
    *block = _mm512_mask_add_ps(*block, keep, *block, v);
    *count = _mm512_mask_add_epi32(*count, keep, *count, _mm512_set1_epi32(1));
    *least = _mm512_mask_min_ps(*least, keep, *least, v);
}

SKP_AVX512 static inline void skp_columns_above16_f32(
        const char* base, ptrdiff_t row_stride, ptrdiff_t n_rows, __mmask16 lanes,
        __m512 bound, __m512i* count, __m512d* sum_low, __m512d* sum_high, __m512* least,
        const int packed, float* copy, const int prefetch, const int signed_copy) {
    const __m512 above_all = _mm512_set1_ps(INFINITY);
    __m512i count0 = _mm512_setzero_si512(), count1 = _mm512_setzero_si512();
    __m512 least0 = above_all, least1 = above_all, least2 = above_all, least3 = above_all;
    __m512d low = _mm512_setzero_pd(), high = _mm512_setzero_pd();
    ptrdiff_t i = 0, end;
#define SKP_COLUMN_TAKE16(k, b, c, m)                                         \
    do {                                                                      \
        const __m512 y_ = packed                                              \
            ? _mm512_load_ps((const float*) base + 16 * (k))                  \
            : !prefetch && lanes == 0xffff                                    \
                  ? _mm512_loadu_ps((const float*) (base + (k) * row_stride))  \
                  : _mm512_maskz_loadu_ps(                                    \
                      lanes, (const float*) (base + (k) * row_stride));       \
        const __m512 v_ = packed && !signed_copy ? y_ : _mm512_abs_ps(y_);    \
        if (copy) {                                                           \
            _mm512_store_ps(copy + 16 * (k), signed_copy ? y_ : v_);          \
            if (prefetch)                                                     \
                _mm_prefetch(base + ((k) + SKP_PANEL_PREFETCH_ROWS) * row_stride, \
                             _MM_HINT_T0);                                    \
        }                                                                     \
        skp_take16(v_, bound, &b, &c, &m);                                    \
    } while (0)
#define SKP_COLUMN_FOLD16(b)                                                  \
    do {                                                                      \
        const __m512 sum_ = b;                                                \
        low = _mm512_add_pd(low, skp_low8_pd(sum_));                          \
        high = _mm512_add_pd(high, skp_high8_pd(sum_));                       \
    } while (0)
    SKP_FLOAT_BLOCKS(__m512, _mm512_setzero_ps(), _mm512_add_ps, SKP_COLUMN_TAKE16,
                     SKP_COLUMN_FOLD16, count0, count1, least0, least1, least2, least3)
#undef SKP_COLUMN_FOLD16
#undef SKP_COLUMN_TAKE16
    *count = _mm512_add_epi32(count0, count1);
    *sum_low = low;
    *sum_high = high;
    *least = _mm512_min_ps(_mm512_min_ps(least0, least1), _mm512_min_ps(least2, least3));
}

/* skp_columns_above16_f32 over 16 columns 64 bytes a row (a group's packed
 * copy, or short rows in lanes; their magnitudes, or their values where
 * ``signed_copy``) for the eight lanes of one ``half`` (0: lanes 0-7, 1:
 * lanes 8-15) alone, in 256-bit vectors: their sums in the same blocks and
 * order, so the same bits; the other half's counts and sums 0, its least
 * +inf (its lanes are done: skp_group16_step reads nothing of them).  A
 * pass of a group whose lanes still going all lie in one half (see
 * skp_group16_pass).  With ``masked``, only the columns of ``lanes`` are
 * read (a matrix's last row may end before its 64 bytes, as the whole
 * pass's masked loads allow); the masked loads cost the half passes their
 * gain on this Zen 4 (100 x 1000 at 0.1-90 % of the norm 0.98-1.05 of the
 * time before them, where whole loads took 0.92-0.98), so whole rows
 * (packed copies, lanes) are read whole. */
#define SKP_AVX512VL __attribute__((target("avx512f,avx512vl,avx2,popcnt")))
SKP_AVX512VL static inline __attribute__((always_inline)) void skp_half_above8_f32_(
        const float* packed, ptrdiff_t n_rows, const int half, __mmask16 lanes, __m512 bound,
        __m512i* count, __m512d* sum_low, __m512d* sum_high, __m512* least,
        const int signed_copy, const int masked) {
    const float* const base = packed + 8 * half;
    const __mmask8 lanes8 = (__mmask8) (lanes >> (8 * half));
    const __m256 bound8 = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(bound), half));
    const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(INT32_MAX));
    const __m256 above_all = _mm256_set1_ps(INFINITY);
    const __m256i one = _mm256_set1_epi32(1);
    __m256i count0 = _mm256_setzero_si256(), count1 = _mm256_setzero_si256();
    __m256 least0 = above_all, least1 = above_all, least2 = above_all, least3 = above_all;
    __m512d sum = _mm512_setzero_pd();
    ptrdiff_t i = 0, end;
#define SKP_HALF_TAKE8(k, b, c, m)                                             \
    do {                                                                      \
        const __m256 y_ = masked ? _mm256_maskz_loadu_ps(lanes8, base + 16 * (k)) \
                                 : _mm256_loadu_ps(base + 16 * (k));          \
        const __m256 v_ = signed_copy ? _mm256_and_ps(y_, magnitude) : y_;    \
        const __mmask8 keep_ = _mm256_cmp_ps_mask(v_, bound8, _CMP_GT_OQ);   \
        b = _mm256_mask_add_ps(b, keep_, b, v_);                              \
        c = _mm256_mask_add_epi32(c, keep_, c, one);                          \
        m = _mm256_mask_min_ps(m, keep_, m, v_);                              \
    } while (0)
#define SKP_HALF_FOLD8(b) (sum = _mm512_add_pd(sum, _mm512_cvtps_pd(b)))
    SKP_FLOAT_BLOCKS(__m256, _mm256_setzero_ps(), _mm256_add_ps, SKP_HALF_TAKE8, SKP_HALF_FOLD8,
                     count0, count1, least0, least1, least2, least3)
#undef SKP_HALF_FOLD8
#undef SKP_HALF_TAKE8
    *count = _mm512_inserti64x4(_mm512_setzero_si512(), _mm256_add_epi32(count0, count1), half);
    *sum_low = half ? _mm512_setzero_pd() : sum;
    *sum_high = half ? sum : _mm512_setzero_pd();
    *least = _mm512_castpd_ps(_mm512_insertf64x4(
        _mm512_castps_pd(_mm512_set1_ps(INFINITY)), _mm256_castps_pd(_mm256_min_ps(
            _mm256_min_ps(least0, least1), _mm256_min_ps(least2, least3))), half));
}

/* (not inlined in its AVX-512F callers, whose target lacks AVX-512VL: the
 * CPU's is checked first, skp_half_passes; each way a copy with its
 * constants: a packed copy's magnitudes or values, whole rows; a matrix's
 * values, rows masked to ``lanes`` where they are not all columns) */
SKP_AVX512VL static __attribute__((noinline)) void skp_half_above8_f32(
        const float* packed, ptrdiff_t n_rows, int half, __mmask16 lanes, int signed_copy,
        __m512 bound, __m512i* count, __m512d* sum_low, __m512d* sum_high, __m512* least) {
#define SKP_HALF(h, s, m) skp_half_above8_f32_(packed, n_rows, h, lanes, bound, count, \
                                               sum_low, sum_high, least, s, m)
    const int masked = signed_copy && lanes != 0xffff;
    if (masked) {
        if (half) SKP_HALF(1, 1, 1);
        else SKP_HALF(0, 1, 1);
    } else if (signed_copy) {
        if (half) SKP_HALF(1, 1, 0);
        else SKP_HALF(0, 1, 0);
    } else if (half) {
        SKP_HALF(1, 0, 0);
    } else {
        SKP_HALF(0, 0, 0);
    }
#undef SKP_HALF
}

SKP_AVX512 static inline __m512 skp_join16(__m256 low, __m256 high) {
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castpd256_pd512(_mm256_castps_pd(low)),
                                               _mm256_castps_pd(high), 1));
}

/* Each lane's guess of its tau from the group of columns before (``hint``:
 * its mean tau, radius and support; no guess while hint[2] is 0), by a
 * first-order model of f(rho) = sum (|y| - rho)+ that scales with the
 * column: a column whose l1 norm is s times the group's mean has about
 * f(rho) = s f_mean(rho / s), and f_mean falls by its support k a unit of
 * rho near the mean tau, so tau ~ s tau_mean + (s r_mean - r) / k_mean for
 * a radius r.  A kept column's norm is its radius plus ``norm_shift`` (the
 * outer tau), so s comes from the radii.  (Measured on Gaussian columns:
 * at half the l1,1 norm every column's tau is about the same, the radii
 * varying with the norms, and a model in the radius alone, s = 1, took 3.0
 * passes a group of 100 x 1000 float32 rather than 2.2 with the scale, 2.4
 * from the last group's mean tau; 1000 x 10000 at 10-90 % of the groups
 * kept: 2.8-3.8 passes, 3.4-4.9 from the mean tau.)
 * A guess is used where it lies SKP_GUESS_GAP of itself above ``floor``;
 * the floor elsewhere. */
SKP_AVX512 static inline __m512d skp_guess8(const double* hint, __m512d radius, __m512d floor,
                                            double norm_shift, __mmask8* guessed) {
    /* (by the reciprocals: a vector division costs 16 cycles or more, and a
     * guess needs no exact rounding) */
    const __m512d scale = _mm512_mul_pd(_mm512_add_pd(radius, _mm512_set1_pd(norm_shift)),
                                        _mm512_set1_pd(1.0 / (hint[1] + norm_shift)));
    const __m512d guess = _mm512_fmadd_pd(
        scale, _mm512_set1_pd(hint[0]),
        _mm512_mul_pd(_mm512_fmsub_pd(scale, _mm512_set1_pd(hint[1]), radius),
                      _mm512_set1_pd(1.0 / hint[2])));
    *guessed = hint[2] > 0 ? _mm512_cmp_pd_mask(
        _mm512_sub_pd(guess, floor), _mm512_mul_pd(guess, _mm512_set1_pd(SKP_GUESS_GAP)),
        _CMP_GE_OQ) : 0;
    return _mm512_mask_mov_pd(floor, *guessed, guess);
}

/* One group of 16 columns on its way through Michelot's passes
 * (skp_panel_thresholds512_f32): each lane's iterate (rho), the tau of the
 * lanes done, the count of the pass before, and the lanes still going. */
typedef struct {
    const char* columns;
    float* packed;
    int signed_copy;
    __m512d radius_low, radius_high, rho_low, rho_high, tau_low, tau_high;
    __m512i previous, support;
    __m512 bound;
    __mmask16 lanes, active, guessed, kept;
    int n_lanes, pass;
} skp_group16_f32;

/* The group of columns g..g + 15 (fewer at the panel's end) ready for its
 * first pass, each lane from its guess (skp_guess8: a guess, not a bound;
 * see skp_panel_thresholds_f32). */
SKP_AVX512 static inline __attribute__((always_inline)) void skp_group16_start(
        skp_group16_f32* s, const float* base, ptrdiff_t g, ptrdiff_t width, ptrdiff_t n_rows,
        double floor, const double* radii, const double* hint, float* packed,
        int signed_copy) {
    const __m512d zero = _mm512_setzero_pd(), floor_v = _mm512_set1_pd(floor);
    __mmask8 guessed_low, guessed_high;
    s->n_lanes = width - g < 16 ? (int) (width - g) : 16;
    s->lanes = (__mmask16) ((1u << s->n_lanes) - 1);
    s->columns = (const char*) (base + g);
    s->packed = packed;
    s->signed_copy = signed_copy;
    s->pass = 0;
    s->radius_low = _mm512_loadu_pd(radii + g);
    s->radius_high = _mm512_loadu_pd(radii + g + 8);
    s->rho_low = skp_guess8(hint, s->radius_low, floor_v, floor * n_rows, &guessed_low);
    s->rho_high = skp_guess8(hint, s->radius_high, floor_v, floor * n_rows, &guessed_high);
    s->tau_low = s->tau_high = _mm512_set1_pd(INFINITY);
    s->previous = _mm512_set1_epi32(INT32_MAX);
    s->support = _mm512_setzero_si512();
    s->active = (__mmask16) (s->lanes & (
        _mm512_cmp_pd_mask(s->radius_low, zero, _CMP_NEQ_OQ)
        | (_mm512_cmp_pd_mask(s->radius_high, zero, _CMP_NEQ_OQ) << 8)));
    s->bound = _mm512_mask_mov_ps(_mm512_set1_ps(INFINITY), s->active, skp_join16(
        _mm512_cvt_roundpd_ps(s->rho_low, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC),
        _mm512_cvt_roundpd_ps(s->rho_high, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC)));
    s->kept = s->active;
    s->guessed = (__mmask16) ((guessed_low | (guessed_high << 8)) & s->active);
}

/* Each lane's Newton step from a pass over the group (its count, sums and
 * least value above the lane's bound); the lanes that settle leave
 * ``active``. */
SKP_AVX512 static inline __attribute__((always_inline)) void skp_group16_step(
        skp_group16_f32* s, ptrdiff_t row_stride, ptrdiff_t n_rows, double floor,
        __m512i count, __m512d sum_low, __m512d sum_high, __m512 least) {
    const __m512d infinite = _mm512_set1_pd(INFINITY), floor_v = _mm512_set1_pd(floor);
    double sums[16];
    float bounds[16];
    __m512d next_low, next_high;
    __m512 next_bound;
    __mmask16 empty, settled, rising, done;
    s->pass++;
    if (_mm512_cmp_pd_mask(sum_low, infinite, _CMP_EQ_OQ)
            | _mm512_cmp_pd_mask(sum_high, infinite, _CMP_EQ_OQ)) {
        /* a float block overflowed: the sums in double */
        _mm512_storeu_ps(bounds, s->bound);
        _mm512_storeu_pd(sums, sum_low);
        _mm512_storeu_pd(sums + 8, sum_high);
        skp_resum_overflowed(s->columns, row_stride, n_rows, s->n_lanes, bounds, sums);
        sum_low = _mm512_loadu_pd(sums);
        sum_high = _mm512_loadu_pd(sums + 8);
    }
    /* (as skp_panel_thresholds_f32) */
    next_low = _mm512_div_pd(_mm512_sub_pd(sum_low, s->radius_low),
                             _mm512_cvtepi32_pd(_mm512_castsi512_si256(count)));
    next_high = _mm512_div_pd(_mm512_sub_pd(sum_high, s->radius_high),
                              _mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(count, 1)));
    /* A pass from a guess above tau gives a Newton step below tau (f is
     * convex), or nothing: from the floor then */
    next_low = _mm512_mask_max_pd(next_low, (__mmask8) s->guessed, next_low, floor_v);
    next_high = _mm512_mask_max_pd(next_high, (__mmask8) (s->guessed >> 8), next_high, floor_v);
    next_bound = skp_join16(
        _mm512_cvt_roundpd_ps(next_low, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC),
        _mm512_cvt_roundpd_ps(next_high, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC));
    /* (a guessed lane goes on, from below tau) */
    empty = (__mmask16) (_mm512_cmpeq_epi32_mask(count, _mm512_setzero_si512()) & ~s->guessed);
    settled = _mm512_cmpge_epi32_mask(count, s->previous);
    rising = (__mmask16) (_mm512_cmp_pd_mask(next_low, s->rho_low, _CMP_GE_OQ)
                          | (_mm512_cmp_pd_mask(next_high, s->rho_high, _CMP_GE_OQ) << 8));
    done = (__mmask16) (s->active & (empty | settled | (rising & _mm512_cmp_ps_mask(
        least, next_bound, _CMP_GT_OQ))));
    s->tau_low = _mm512_mask_mov_pd(s->tau_low, (__mmask8) done, _mm512_mask_mov_pd(
        next_low, (__mmask8) empty, s->rho_low));
    s->tau_high = _mm512_mask_mov_pd(s->tau_high, (__mmask8) (done >> 8), _mm512_mask_mov_pd(
        next_high, (__mmask8) (empty >> 8), s->rho_high));
    s->support = _mm512_mask_mov_epi32(s->support, done, count);
    s->active = (__mmask16) (s->active & ~done);
    /* (a lane that stepped down from its guess has no count to settle on) */
    s->previous = _mm512_mask_mov_epi32(count, (__mmask16) (s->guessed & ~rising),
                                        _mm512_set1_epi32(INT32_MAX));
    s->guessed = 0;
    s->rho_low = next_low;
    s->rho_high = next_high;
    s->bound = _mm512_mask_mov_ps(_mm512_set1_ps(INFINITY), s->active, next_bound);
}

/* One pass over the group (packed after its first, where ``packed`` is
 * given), and each lane's Newton step from it (skp_group16_step). */
SKP_AVX512 static inline __attribute__((always_inline)) void skp_group16_pass(
        skp_group16_f32* s, ptrdiff_t row_stride, ptrdiff_t n_rows, double floor,
        int prefetch) {
    __m512i count;
    __m512d sum_low, sum_high;
    __m512 least;
    /* (each call inlined with its constants; a signed copy never with
     * ``prefetch``: see skp_panel_thresholds512_f32.  Where the lanes still
     * going lie in one half of the group, the pass reads that half alone,
     * in 256-bit vectors, skp_half_above8_f32: a group passes until its
     * slowest lane settles, 3.4-3.9 passes against the lanes' mean of
     * 2.7-3.0 on 1000-row Gaussian columns at 10-90 % of the groups kept,
     * 2.2-3.5 against 1.8-2.6 on 100 rows at 1-50 % of the norm.  An AMD
     * Zen 4 runs a 512-bit operation as two 256-bit halves, so a pass of
     * eight lanes costs about half a pass of sixteen (a harness: 1.2-1.3
     * against 2.5-3.0 cycles a row).  Issue 14, the Zen 4, single calls
     * interleaved against the build before, the same bits, four runs:
     * float32 100 x 1000 at 0.1-90 % of the norm 0.89-0.98 of the time;
     * 1000 x 1000 at 10-90 % of the groups kept 0.97-1.00 (the packed rows
     * stream from L2, whose lines a half reads all the same); float64's
     * eight columns (skp_half_above4_f64) 100 x 1000 0.89-1.00, 1000 x 1000
     * 0.82-0.96) */
    const int half = !skp_half_passes ? -1
        : !(s->active & 0xff00) ? 0 : !(s->active & 0x00ff) ? 1 : -1;
    if (s->pass && s->packed && half >= 0)
        skp_half_above8_f32(s->packed, n_rows, half, s->lanes, s->signed_copy, s->bound,
                            &count, &sum_low, &sum_high, &least);
    else if (s->pass && !s->packed && row_stride == 64 && half >= 0)
        /* (16 columns 64 bytes a row, their values signed: short rows in
         * lanes, _bilevel.pyx) */
        skp_half_above8_f32((const float*) s->columns, n_rows, half, s->lanes, 1, s->bound,
                            &count, &sum_low, &sum_high, &least);
    else if (s->pass && s->packed && s->signed_copy)
        skp_columns_above16_f32((const char*) s->packed, 64, n_rows, s->lanes, s->bound,
                                &count, &sum_low, &sum_high, &least, 1, NULL, 0, 1);
    else if (s->pass && s->packed)
        skp_columns_above16_f32((const char*) s->packed, 64, n_rows, s->lanes, s->bound,
                                &count, &sum_low, &sum_high, &least, 1, NULL, 0, 0);
    else if (prefetch)
        skp_columns_above16_f32(s->columns, row_stride, n_rows, s->lanes, s->bound, &count,
                                &sum_low, &sum_high, &least, 0, s->packed, 1, 0);
    else if (s->signed_copy)
        skp_columns_above16_f32(s->columns, row_stride, n_rows, s->lanes, s->bound, &count,
                                &sum_low, &sum_high, &least, 0, s->packed, 0, 1);
    else
        skp_columns_above16_f32(s->columns, row_stride, n_rows, s->lanes, s->bound, &count,
                                &sum_low, &sum_high, &least, 0, s->packed, 0, 0);
    skp_group16_step(s, row_stride, n_rows, floor, count, sum_low, sum_high, least);
}

/* The first passes of two adjacent groups (``b`` the 16 columns after
 * ``a``'s, all of ``a``'s lanes read) in one sweep down the rows, each
 * packing its magnitudes, the rows SKP_PANEL_PREFETCH_ROWS ahead
 * prefetched, and each group's Newton step from its pass.  A row then
 * reads two adjacent lines rather than one: on a matrix out of cache, whose
 * rows are a page or more apart, the lines of a group alone wait on memory
 * one by one (the hardware prefetches nothing across pages). */
SKP_AVX512 static inline __attribute__((always_inline)) void skp_group16_first_pair(
        skp_group16_f32* a, skp_group16_f32* b, ptrdiff_t row_stride, ptrdiff_t n_rows,
        double floor, const ptrdiff_t* lines_ahead, ptrdiff_t n_ahead) {
    const __m512 above_all = _mm512_set1_ps(INFINITY);
    const __m512 bound_a = a->bound, bound_b = b->bound;
    const __mmask16 lanes_b = b->lanes;
    float* const copy_a = a->packed;
    float* const copy_b = b->packed;
    const char* const base = a->columns;
    __m512i count_a = _mm512_setzero_si512(), count_b = _mm512_setzero_si512();
    __m512 least_a0 = above_all, least_a1 = above_all, least_b0 = above_all;
    __m512 least_b1 = above_all;
    __m512d low_a = _mm512_setzero_pd(), high_a = low_a, low_b = low_a, high_b = low_a;
    ptrdiff_t i = 0, end, l_;
#define SKP_PAIR_TAKE(k, ba, bb, ma, mb)                                       \
    do {                                                                      \
        const char* row_ = base + (k) * row_stride;                           \
        const __m512 va = _mm512_abs_ps(_mm512_loadu_ps((const float*) row_)); \
        const __m512 vb = _mm512_abs_ps(                                      \
            _mm512_maskz_loadu_ps(lanes_b, (const float*) (row_ + 64)));      \
        _mm512_store_ps(copy_a + 16 * (k), va);                               \
        _mm512_store_ps(copy_b + 16 * (k), vb);                               \
        _mm_prefetch(row_ + SKP_PANEL_PREFETCH_ROWS * row_stride, _MM_HINT_T0); \
        _mm_prefetch(row_ + SKP_PANEL_PREFETCH_ROWS * row_stride + 64, _MM_HINT_T0); \
        for (l_ = 0; l_ < n_ahead; l_++)                                      \
            _mm_prefetch(row_ + SKP_PANEL_LINES_AHEAD_ROWS * row_stride + 128    \
                         + lines_ahead[l_], _MM_HINT_T1);                     \
        skp_take16(va, bound_a, &ba, &count_a, &ma);                          \
        skp_take16(vb, bound_b, &bb, &count_b, &mb);                          \
    } while (0)
    while (i < n_rows) {
        /* (the float blocks of SKP_FLOAT_BLOCKS, row for row, two groups a
         * row: the same sums) */
        __m512 block_a0 = _mm512_setzero_ps(), block_a1 = block_a0, block_a2 = block_a0;
        __m512 block_a3 = block_a0, block_b0 = block_a0, block_b1 = block_a0;
        __m512 block_b2 = block_a0, block_b3 = block_a0;
        end = n_rows - i < 32 ? n_rows : i + 32;
        for (; i + 4 <= end; i += 4) {
            SKP_PAIR_TAKE(i, block_a0, block_b0, least_a0, least_b0);
            SKP_PAIR_TAKE(i + 1, block_a1, block_b1, least_a1, least_b1);
            SKP_PAIR_TAKE(i + 2, block_a2, block_b2, least_a0, least_b0);
            SKP_PAIR_TAKE(i + 3, block_a3, block_b3, least_a1, least_b1);
        }
        for (; i < end; i++)
            SKP_PAIR_TAKE(i, block_a0, block_b0, least_a0, least_b0);
        block_a0 = _mm512_add_ps(_mm512_add_ps(block_a0, block_a1),
                                 _mm512_add_ps(block_a2, block_a3));
        block_b0 = _mm512_add_ps(_mm512_add_ps(block_b0, block_b1),
                                 _mm512_add_ps(block_b2, block_b3));
        low_a = _mm512_add_pd(low_a, skp_low8_pd(block_a0));
        high_a = _mm512_add_pd(high_a, skp_high8_pd(block_a0));
        low_b = _mm512_add_pd(low_b, skp_low8_pd(block_b0));
        high_b = _mm512_add_pd(high_b, skp_high8_pd(block_b0));
    }
#undef SKP_PAIR_TAKE
    skp_group16_step(a, row_stride, n_rows, floor, count_a, low_a, high_a,
                     _mm512_min_ps(least_a0, least_a1));
    skp_group16_step(b, row_stride, n_rows, floor, count_b, low_b, high_b,
                     _mm512_min_ps(least_b0, least_b1));
}

/* The group's taus into taus[0:n_lanes]; where it kept a column, the next
 * guesses' ``hint``: these taus', radii's and supports' means. */
SKP_AVX512 static inline __attribute__((always_inline)) void skp_group16_finish(
        const skp_group16_f32* s, double* taus, double* hint) {
    double tau[16];
    int c;
    _mm512_storeu_pd(tau, s->tau_low);
    _mm512_storeu_pd(tau + 8, s->tau_high);
    for (c = 0; c < s->n_lanes; c++) taus[c] = tau[c];
    if (s->kept) {
        const __mmask16 kept = s->kept;
        const int n_kept = __builtin_popcount(kept);
        const int total = _mm512_mask_reduce_add_epi32(kept, s->support);
        hint[0] = (_mm512_mask_reduce_add_pd((__mmask8) kept, s->tau_low)
                   + _mm512_mask_reduce_add_pd((__mmask8) (kept >> 8), s->tau_high)) / n_kept;
        hint[1] = (_mm512_mask_reduce_add_pd((__mmask8) kept, s->radius_low)
                   + _mm512_mask_reduce_add_pd((__mmask8) (kept >> 8), s->radius_high))
            / n_kept;
        hint[2] = total > 0 ? (double) total / n_kept : 0.0;
    }
}

/* ``r`` (>= +0) with the sign of ``v`` in the lanes of ``kept`` (+0 elsewhere:
 * a zeroed column's lanes, whose r is 0, get no sign), in one instruction:
 * r | (v & -0.0), a ternary logic op (0xF8: a | (b & c)) under a mask. */
SKP_AVX512 static inline __m512 skp_with_sign16(__m512 r, __m512 v, __mmask16 kept) {
    return _mm512_castsi512_ps(_mm512_mask_ternarylogic_epi32(
        _mm512_castps_si512(r), kept, _mm512_castps_si512(v),
        _mm512_set1_epi32((int) 0x80000000u), 0xF8));
}

/* sign(v) * max((|v| - hi) - lo, 0) in the lanes of ``kept``, +0 elsewhere:
 * the AVX-512 panel writes' operations on 16 columns. */
SKP_AVX512 static inline __m512 skp_shrunk16_f32(__m512 v, __m512 hi, __m512 lo,
                                                 __mmask16 kept) {
    const __m512 r = _mm512_sub_ps(_mm512_sub_ps(_mm512_abs_ps(v), hi), lo);
    return skp_with_sign16(_mm512_max_ps(r, _mm512_setzero_ps()), v, kept);
}

/* Two groups at a time where ``packed`` has room for both (``pairs``: 32 *
 * n_rows floats), their passes alternated: a pass's Newton step (two
 * divisions, conversions, compares) waits on the sums of the pass, and the
 * next pass's compares on it, so a group alone left the vector units idle
 * between passes, where the other group's pass now runs.  Both groups of a
 * pair start from the guesses of the pair before (a group's taus do not
 * depend on its start: Michelot's fixed point).  (Issue 14, an Intel Xeon,
 * perf: on 100 x 1000 float32 at half the norm, some 40 % of the passes'
 * samples fell outside their row loops; the pairs took bilevel_l11 there
 * from 4.73-4.84 to 4.48-4.57 times a copy: PAIR_ROWS in _bilevel.pyx.)
 * With ``dst`` (not NULL; ``pairs``), each pair is written there as soon as
 * its taus are known (skp_panel_project_f32). */
/* The taus[0:16] in ``lanes`` as two floats each, as skp_split_taus splits
 * them: hi the tau rounded to float, lo the rest (tau - hi in double,
 * rounded to float; NaN where the tau is infinite, for the caller to mask). */
SKP_AVX512 static inline void skp_split_taus16(const double* taus, __mmask16 lanes, __m512* hi,
                                               __m512* lo) {
    const __m512d low = _mm512_maskz_loadu_pd((__mmask8) lanes, taus);
    const __m512d high = _mm512_maskz_loadu_pd((__mmask8) (lanes >> 8), taus + 8);
    const __m256 hi_low = _mm512_cvtpd_ps(low), hi_high = _mm512_cvtpd_ps(high);
    *hi = skp_join16(hi_low, hi_high);
    *lo = skp_join16(_mm512_cvtpd_ps(_mm512_sub_pd(low, _mm512_cvtps_pd(hi_low))),
                     _mm512_cvtpd_ps(_mm512_sub_pd(high, _mm512_cvtps_pd(hi_high))));
}

/* Columns of a group (and of ``next``, the columns after it, if not NULL)
 * written into ``dst`` (a row ``dst_stride`` bytes apart) from their taus
 * (taus[0:32], >= 0), a row at a time, with the operations of
 * skp_shrink_rows512_f32, so the same bits; zeroed columns (infinite taus)
 * are not read.  The values come from the groups' packed copies, which
 * their passes left in L1, signed (``signed_copy``, the passes taking their
 * magnitudes), so the matrix is not read again.  Its rows had been, for
 * their signs, from L2 where the stores had evicted them (a pair's copies,
 * rows and result fill 38 KB on 100 rows): issue 14, the AMD Zen 4, single
 * calls interleaved in one process, at 10, 50, 90 % of the norm, rows read
 * -> signed copies: 100 x 1000 0.97, 0.91, 0.91 of the time; 64 x 1000
 * 0.99, 0.95, 0.94; 128 x 2000 1.00, 0.94, 0.93; 100 x 333 0.95, 0.91,
 * 0.90; 30 x 1000 even.  (The magnitudes alone from the copies, the signs
 * from the rows, had saved one operation of the row's five on the two
 * ports that run 512-bit ones, on an Intel Xeon: 100 x 1000 at half the
 * norm 3.49-3.59 -> 3.28-3.39 times a copy.)  Where a pair is not written
 * so, its copies keep the magnitudes: the passes' extra operation took
 * acsf1's 200 x 1460 columns 1.02-1.05 times as long. */
SKP_AVX512 static inline __attribute__((always_inline)) void skp_group16_write(
        const skp_group16_f32* s, const skp_group16_f32* next, ptrdiff_t n_rows,
        const double* taus, float* dst, ptrdiff_t dst_stride) {
    const __m512 infinite = _mm512_set1_ps(INFINITY);
    const __mmask16 lanes = s->lanes, next_lanes = next ? next->lanes : 0;
    const ptrdiff_t bytes = next ? 128 : 64;
    const ptrdiff_t ahead = skp_rows_prefetched(n_rows, dst_stride, bytes);
    __m512 h, l, next_h, next_l;
    __mmask16 kept, next_kept;
    ptrdiff_t i;
    skp_split_taus16(taus, lanes, &h, &l);
    skp_split_taus16(taus + 16, next_lanes, &next_h, &next_l);
    kept = (__mmask16) (lanes & _mm512_cmp_ps_mask(h, infinite, _CMP_NEQ_OQ));
    next_kept = (__mmask16) (next_lanes & _mm512_cmp_ps_mask(next_h, infinite, _CMP_NEQ_OQ));
    l = _mm512_maskz_mov_ps(kept, l);
    next_l = _mm512_maskz_mov_ps(next_kept, next_l);
    if (kept == 0xffff && (!next || next_kept == 0xffff)) {
        /* (every column kept, the most common case: the same operations
         * with constant masks, where reloading the four masks into the one
         * mask register the compiler gave them took three of the row's
         * thirteen operations on the two ports that run 512-bit ones) */
        for (i = 0; i < n_rows; i++) {
            float* x = (float*) ((char*) dst + i * dst_stride);
            if (i < ahead) skp_prefetch_rows_for_write(x, bytes, dst_stride);
            _mm512_storeu_ps(x, skp_shrunk16_f32(_mm512_load_ps(s->packed + 16 * i), h, l,
                                                 0xffff));
            if (next)
                _mm512_storeu_ps(x + 16, skp_shrunk16_f32(
                    _mm512_load_ps(next->packed + 16 * i), next_h, next_l, 0xffff));
        }
        return;
    }
    if (lanes == 0xffff && (!next || next_lanes == 0xffff)) {
        /* (whole groups with zeroed columns, which feature selection's
         * radii leave in most groups: the loads and stores whole, a
         * zeroed column's lanes +0 all the same (its tau is infinite: r is
         * 0 whatever the value, and gets no sign), so only the kept lanes'
         * masks for the signs, rather than four masks reloaded every row:
         * issue 14, the Zen 4, single calls interleaved, at 0.1, 1, 3, 10 %
         * of the norm, 100 x 1000 0.91, 0.96, 0.96, 0.96 of the time, 64 x
         * 1000 0.86-0.99, 128 x 2000 0.90-0.96, 100 x 333 0.97-1.01.  The
         * loop above, every lane kept, stays: this one with its masks
         * took 1.01-1.05 times as long there at 30-90 %) */
        if (kept && (!next || next_kept)) {
            for (i = 0; i < n_rows; i++) {
                float* x = (float*) ((char*) dst + i * dst_stride);
                if (i < ahead) skp_prefetch_rows_for_write(x, bytes, dst_stride);
                _mm512_storeu_ps(x, skp_shrunk16_f32(_mm512_load_ps(s->packed + 16 * i), h, l,
                                                     kept));
                if (next)
                    _mm512_storeu_ps(x + 16, skp_shrunk16_f32(
                        _mm512_load_ps(next->packed + 16 * i), next_h, next_l, next_kept));
            }
            return;
        }
        /* (a group without a kept column had no pass, so no copy: its
         * zeros stored as such; the test in the loop cost the other
         * pairs 1-3 % of the call) */
        for (i = 0; i < n_rows; i++) {
            float* x = (float*) ((char*) dst + i * dst_stride);
            if (i < ahead) skp_prefetch_rows_for_write(x, bytes, dst_stride);
            _mm512_storeu_ps(x, kept ? skp_shrunk16_f32(_mm512_load_ps(s->packed + 16 * i), h,
                                                        l, kept) : _mm512_setzero_ps());
            if (next)
                _mm512_storeu_ps(x + 16, next_kept ? skp_shrunk16_f32(
                    _mm512_load_ps(next->packed + 16 * i), next_h, next_l, next_kept)
                    : _mm512_setzero_ps());
        }
        return;
    }
    for (i = 0; i < n_rows; i++) {
        float* x = (float*) ((char*) dst + i * dst_stride);
        if (i < ahead) skp_prefetch_rows_for_write(x, bytes, dst_stride);
        _mm512_mask_storeu_ps(x, lanes, skp_shrunk16_f32(
            _mm512_maskz_load_ps(kept, s->packed + 16 * i), h, l, kept));
        if (next)
            _mm512_mask_storeu_ps(x + 16, next_lanes, skp_shrunk16_f32(
                _mm512_maskz_load_ps(next_kept, next->packed + 16 * i), next_h, next_l,
                next_kept));
    }
}

/* The taus[0:n] of a group or pair written (skp_group16_write) after they
 * are clamped to >= 0 as _panel_thresholds clamps them (see _group_threshold
 * in _bilevel.pyx). */
SKP_AVX512 static inline __attribute__((always_inline)) void skp_groups_write(
        const skp_group16_f32* s, const skp_group16_f32* next, ptrdiff_t n_rows, double* taus,
        ptrdiff_t n, float* dst, ptrdiff_t dst_stride) {
    ptrdiff_t c;
    for (c = 0; c < n; c++) taus[c] = taus[c] < 0.0 ? 0.0 : taus[c];
    skp_group16_write(s, next, n_rows, taus, dst, dst_stride);
}

/* The next panel's lines that the pair of groups at column ``g`` of a panel
 * ``width`` columns wide prefetches in its sweep (skp_group16_first_pair),
 * into ``ahead`` as that sweep takes them (from the pair's columns, less
 * its 128 bytes); returns how many.  ``next_lines``: the n_next lines
 * (bytes from the next panel's first column: skp_kept_lines) of the next
 * panel's kept columns, shared out among the pairs after the first, in
 * order (none: 0).  The
 * first pair's sweep reads the panel from memory and prefetches the panel's
 * own lines after it (skp_panel_lines); the later pairs' sweeps and every pair's
 * later passes read the panel in cache, memory idle but for these lines,
 * which the next panel's first sweep then finds in L2. */
static inline ptrdiff_t skp_next_lines_of_pair(const ptrdiff_t* next_lines, ptrdiff_t n_next,
                                               ptrdiff_t g, ptrdiff_t width, ptrdiff_t* ahead) {
    const ptrdiff_t later = width / 32 - 1, p = g / 32;
    ptrdiff_t j, n = 0;
    if (n_next == 0 || later < 1 || p < 1 || p > later) return 0;
    for (j = n_next * (p - 1) / later; j < n_next * p / later && n < SKP_PANEL_MAX_LINES; j++)
        ahead[n++] = next_lines[j] + (width - g) * (ptrdiff_t) sizeof(float) - 128;
    return n;
}

/* (``dst`` given: the groups' copies signed, see skp_group16_write; each
 * way a function of its own, skp_panel_thresholds512_f32 and
 * skp_panel_project512_f32, where one with both took 100 x 1000 at half the
 * norm 0.96-0.98 of the time rather than 0.91, and 30 x 1000 1.04-1.07
 * rather than 1.00) */
SKP_AVX512 static inline __attribute__((always_inline)) void skp_panel_thresholds512_f32_(
        const float* base, ptrdiff_t row_stride, ptrdiff_t n_rows, ptrdiff_t width, double floor,
        const double* radii, double* taus, double* hint, float* packed, int pairs,
        int prefetch, float* dst, ptrdiff_t dst_stride, const ptrdiff_t* next_lines,
        ptrdiff_t n_next) {
    ptrdiff_t g, n_ahead;
    /* (the lines of the panel's kept columns after its first pair: see
     * skp_panel_lines; a panel is at most PANEL_COLUMNS wide, _bilevel.pyx) */
    ptrdiff_t ahead[SKP_PANEL_MAX_LINES];
    skp_group16_f32 a, b;
    int swept = !skp_panel_lines;
    for (g = 0; g < width; g += 16) {
        skp_group16_start(&a, base, g, width, n_rows, floor, radii, hint, packed, dst != NULL);
        if (pairs && g + 16 < width) {
            skp_group16_start(&b, base, g + 16, width, n_rows, floor, radii, hint,
                              packed + 16 * n_rows, dst != NULL);
            if (prefetch && a.active && b.active) {
                /* (the panel's own lines by its first sweep of a pair, then the
                 * next panel's by the later ones) */
                n_ahead = swept ? skp_next_lines_of_pair(next_lines, n_next, g, width, ahead)
                    : width - g <= 32 || (width - g - 32) / 16 + 2 > SKP_PANEL_MAX_LINES
                    ? 0 : skp_kept_lines(base + g + 32, width - g - 32, sizeof(float),
                                         radii + g + 32, ahead);
                skp_group16_first_pair(&a, &b, row_stride, n_rows, floor, ahead, n_ahead);
                swept = 1;
            }
            while (a.active | b.active) {
                if (a.active) skp_group16_pass(&a, row_stride, n_rows, floor, prefetch);
                if (b.active) skp_group16_pass(&b, row_stride, n_rows, floor, prefetch);
            }
            skp_group16_finish(&a, taus + g, hint);
            skp_group16_finish(&b, taus + g + 16, hint);
            if (dst)
                skp_groups_write(&a, &b, n_rows, taus + g, 16 + b.n_lanes, dst + g, dst_stride);
            g += 16;
        } else {
            while (a.active) skp_group16_pass(&a, row_stride, n_rows, floor, prefetch);
            skp_group16_finish(&a, taus + g, hint);
            if (dst)
                skp_groups_write(&a, NULL, n_rows, taus + g, a.n_lanes, dst + g, dst_stride);
        }
    }
}

SKP_AVX512 static void skp_panel_thresholds512_f32(const float* base, ptrdiff_t row_stride,
                                                   ptrdiff_t n_rows, ptrdiff_t width,
                                                   double floor, const double* radii,
                                                   double* taus, double* hint, float* packed,
                                                   int pairs, int prefetch,
                                                   const ptrdiff_t* next_lines,
                                                   ptrdiff_t n_next) {
    skp_panel_thresholds512_f32_(base, row_stride, n_rows, width, floor, radii, taus, hint,
                                 packed, pairs, prefetch, NULL, 0, next_lines, n_next);
}

SKP_AVX512 static void skp_panel_project512_f32(const float* base, ptrdiff_t row_stride,
                                                ptrdiff_t n_rows, ptrdiff_t width, double floor,
                                                const double* radii, double* taus,
                                                double* hint, float* packed, float* dst,
                                                ptrdiff_t dst_stride) {
    skp_panel_thresholds512_f32_(base, row_stride, n_rows, width, floor, radii, taus, hint,
                                 packed, 1, 0, dst, dst_stride, NULL, 0);
}

/* The passes' row loop of float64 columns in V-bit vectors (T, the
 * magnitudes of the rows' vectors by LOAD(k) for row k): each lane's count
 * (count0 + count1), sum ((sum0 + sum1) + (sum2 + sum3)) and least (least0,
 * least1) of the magnitudes above ``bound`` (T too), four chains of rows;
 * the same sums a lane at either width (skp_columns_above8_f64,
 * skp_half_above4_f64_). */
#define SKP_COLUMNS_ABOVE_F64(V, T, LOAD)                                     \
    const T above_all = _mm##V##_set1_pd(INFINITY), one = _mm##V##_set1_pd(1.0); \
    T count0 = _mm##V##_setzero_pd(), count1 = _mm##V##_setzero_pd();        \
    T sum0 = _mm##V##_setzero_pd(), sum1 = _mm##V##_setzero_pd();            \
    T sum2 = _mm##V##_setzero_pd(), sum3 = _mm##V##_setzero_pd();            \
    T least0 = above_all, least1 = above_all;                                 \
    ptrdiff_t i = 0;                                                          \
    for (; i + 4 <= n_rows; i += 4) {                                         \
        SKP_COLUMN_TAKE_F64(V, T, LOAD, i, sum0, count0, least0);             \
        SKP_COLUMN_TAKE_F64(V, T, LOAD, i + 1, sum1, count1, least1);         \
        SKP_COLUMN_TAKE_F64(V, T, LOAD, i + 2, sum2, count0, least0);         \
        SKP_COLUMN_TAKE_F64(V, T, LOAD, i + 3, sum3, count1, least1);         \
    }                                                                         \
    for (; i < n_rows; i++)                                                   \
        SKP_COLUMN_TAKE_F64(V, T, LOAD, i, sum0, count0, least0)
#define SKP_COLUMN_TAKE_F64(V, T, LOAD, k, b, c, m)                           \
    do {                                                                      \
        const T v_ = LOAD(k);                                                 \
        const __mmask8 keep_ = _mm##V##_cmp_pd_mask(v_, bound, _CMP_GT_OQ);   \
        b = _mm##V##_mask_add_pd(b, keep_, b, v_);                            \
        c = _mm##V##_mask_add_pd(c, keep_, c, one);                           \
        m = _mm##V##_mask_min_pd(m, keep_, m, v_);                            \
    } while (0)

/* float64: eight columns a group, compared and summed in double (the
 * iterate itself is the bound); AVX-512F only. */
SKP_AVX512 static inline void skp_columns_above8_f64(const char* base, ptrdiff_t row_stride,
                                                     ptrdiff_t n_rows, __mmask8 lanes,
                                                     __m512d bound, __m512d* count,
                                                     __m512d* sum, __m512d* least) {
#define SKP_ROW8(k) \
    _mm512_abs_pd(_mm512_maskz_loadu_pd(lanes, (const double*) (base + (k) * row_stride)))
    SKP_COLUMNS_ABOVE_F64(512, __m512d, SKP_ROW8);
#undef SKP_ROW8
    *count = _mm512_add_pd(count0, count1);
    *sum = _mm512_add_pd(_mm512_add_pd(sum0, sum1), _mm512_add_pd(sum2, sum3));
    *least = _mm512_min_pd(least0, least1);
}

/* skp_columns_above8_f64 for the four lanes of one ``half`` (0: lanes 0-3,
 * 1: lanes 4-7) alone, in 256-bit vectors: the same sums, so the same
 * bits; the other half's counts and sums 0, its least +inf (see
 * skp_half_above8_f32).  Not inlined in its AVX-512F caller. */
SKP_AVX512VL static inline __attribute__((always_inline)) void skp_half_above4_f64_(
        const char* base, ptrdiff_t row_stride, ptrdiff_t n_rows, const int half,
        __mmask8 lanes, __m512d whole_bound, __m512d* count, __m512d* sum, __m512d* least) {
    const __m256d bound = _mm512_extractf64x4_pd(whole_bound, half);
    const __m256d magnitude = _mm256_castsi256_pd(_mm256_set1_epi64x(INT64_MAX));
    const __mmask8 lanes4 = (__mmask8) ((lanes >> (4 * half)) & 0xf);
    const char* const first = base + 32 * half;
#define SKP_ROW4(k) _mm256_and_pd(magnitude, _mm256_maskz_loadu_pd( \
    lanes4, (const double*) (first + (k) * row_stride)))
    SKP_COLUMNS_ABOVE_F64(256, __m256d, SKP_ROW4);
#undef SKP_ROW4
    *count = _mm512_insertf64x4(_mm512_setzero_pd(), _mm256_add_pd(count0, count1), half);
    *sum = _mm512_insertf64x4(_mm512_setzero_pd(), _mm256_add_pd(
        _mm256_add_pd(sum0, sum1), _mm256_add_pd(sum2, sum3)), half);
    *least = _mm512_insertf64x4(_mm512_set1_pd(INFINITY), _mm256_min_pd(least0, least1), half);
}
#undef SKP_COLUMNS_ABOVE_F64
#undef SKP_COLUMN_TAKE_F64

SKP_AVX512VL static __attribute__((noinline)) void skp_half_above4_f64(
        const char* base, ptrdiff_t row_stride, ptrdiff_t n_rows, int half, __mmask8 lanes,
        __m512d bound, __m512d* count, __m512d* sum, __m512d* least) {
    if (half)
        skp_half_above4_f64_(base, row_stride, n_rows, 1, lanes, bound, count, sum, least);
    else
        skp_half_above4_f64_(base, row_stride, n_rows, 0, lanes, bound, count, sum, least);
}

SKP_AVX512 static void skp_panel_thresholds512_f64(const double* base, ptrdiff_t row_stride,
                                                   ptrdiff_t n_rows, ptrdiff_t width,
                                                   double floor, const double* radii,
                                                   double* taus, double* hint) {
    const __m512d infinite = _mm512_set1_pd(INFINITY), zero = _mm512_setzero_pd();
    const __m512d floor_v = _mm512_set1_pd(floor);
    double tau[8];
    ptrdiff_t g, c;
    for (g = 0; g < width; g += 8) {
        const int n_lanes = width - g < 8 ? (int) (width - g) : 8;
        const __mmask8 lanes = (__mmask8) ((1u << n_lanes) - 1);
        const char* columns = (const char*) (base + g);
        const __m512d radius = _mm512_loadu_pd(radii + g);
        /* each lane's first pass from its guess (as skp_panel_thresholds512_f32) */
        __mmask8 guessed;
        __m512d rho = skp_guess8(hint, radius, floor_v, floor * n_rows, &guessed);
        __m512d result = infinite, previous = infinite, support = zero;
        __mmask8 active = (__mmask8) (lanes & _mm512_cmp_pd_mask(radius, zero, _CMP_NEQ_OQ));
        const __mmask8 kept = active;
        guessed &= active;
        while (active) {
            __m512d count, sum, least, next;
            __mmask8 empty, rising, done;
            /* (the lanes still going in one half: that half alone, as the
             * float32 passes, skp_half_above8_f32) */
            const int half = !skp_half_passes ? -1
                : !(active & 0xf0) ? 0 : !(active & 0x0f) ? 1 : -1;
            if (half >= 0)
                skp_half_above4_f64(columns, row_stride, n_rows, half, active, rho, &count,
                                    &sum, &least);
            else
                skp_columns_above8_f64(columns, row_stride, n_rows, active, rho, &count, &sum,
                                       &least);
            /* (as skp_panel_thresholds_f32, the iterate itself the bound; a
             * guessed lane goes on from below tau, from the floor if its
             * pass kept nothing) */
            next = _mm512_div_pd(_mm512_sub_pd(sum, radius), count);
            next = _mm512_mask_max_pd(next, guessed, next, floor_v);
            empty = (__mmask8) (_mm512_cmp_pd_mask(count, zero, _CMP_EQ_OQ) & ~guessed);
            rising = _mm512_cmp_pd_mask(next, rho, _CMP_GE_OQ);
            done = (__mmask8) (active & (empty | _mm512_cmp_pd_mask(count, previous, _CMP_GE_OQ)
                                         | (rising & _mm512_cmp_pd_mask(least, next,
                                                                        _CMP_GT_OQ))));
            result = _mm512_mask_mov_pd(result, done, _mm512_mask_mov_pd(next, empty, rho));
            support = _mm512_mask_mov_pd(support, done, count);
            active = (__mmask8) (active & ~done);
            /* (a lane that stepped down from its guess has no count to settle on) */
            previous = _mm512_mask_mov_pd(count, (__mmask8) (guessed & ~rising), infinite);
            guessed = 0;
            rho = _mm512_mask_mov_pd(rho, active, next);
        }
        _mm512_storeu_pd(tau, result);
        for (c = 0; c < n_lanes; c++) taus[g + c] = tau[c];
        if (kept) {
            /* the next group's guesses: these taus', radii's and supports' means */
            const int n_kept = __builtin_popcount(kept);
            const double total = _mm512_mask_reduce_add_pd(kept, support);
            hint[0] = _mm512_mask_reduce_add_pd(kept, result) / n_kept;
            hint[1] = _mm512_mask_reduce_add_pd(kept, radius) / n_kept;
            hint[2] = total > 0 ? total / n_kept : 0.0;
        }
    }
}

/* The next group's guesses (``hint``, see skp_guess8) after a group of 8
 * lanes: the means of the kept lanes' taus, radii and supports. */
static inline void skp_next_hint8(const double* tau, const double* radius,
                                  const double* support, int kept, double* hint) {
    double tau_sum = 0.0, radius_sum = 0.0, support_sum = 0.0;
    const int n_kept = __builtin_popcount((unsigned) kept);
    int c;
    for (c = 0; c < 8; c++) {
        if (!(kept >> c & 1)) continue;
        tau_sum += tau[c];
        radius_sum += radius[c];
        support_sum += support[c];
    }
    hint[0] = tau_sum / n_kept;
    hint[1] = radius_sum / n_kept;
    hint[2] = support_sum / n_kept;
}

/* skp_guess8 on four lanes, for the AVX2 passes (no FMA there: the products
 * and sums rounded apart; a guess needs no particular rounding). */
SKP_AVX2 static inline __m256d skp_guess4(const double* hint, __m256d radius, __m256d floor,
                                          double norm_shift, __m256d* guessed) {
    const __m256d scale = _mm256_mul_pd(_mm256_add_pd(radius, _mm256_set1_pd(norm_shift)),
                                        _mm256_set1_pd(1.0 / (hint[1] + norm_shift)));
    const __m256d guess = _mm256_add_pd(
        _mm256_mul_pd(scale, _mm256_set1_pd(hint[0])),
        _mm256_mul_pd(_mm256_sub_pd(_mm256_mul_pd(scale, _mm256_set1_pd(hint[1])), radius),
                      _mm256_set1_pd(1.0 / hint[2])));
    *guessed = hint[2] > 0 ? _mm256_cmp_pd(
        _mm256_sub_pd(guess, floor), _mm256_mul_pd(guess, _mm256_set1_pd(SKP_GUESS_GAP)),
        _CMP_GE_OQ) : _mm256_setzero_pd();
    return _mm256_blendv_pd(floor, guess, *guessed);
}

/* float64 with AVX2: eight columns a group (a cache line a row), two
 * vectors of four, compared and summed in double as skp_columns_above8_f64
 * does (the iterate itself is the bound; +inf in a lane that is done): each
 * lane's count, sum and least kept value, lanes 0-3 in ``[0]``, 4-7 in
 * ``[1]``.  The sums take even and odd rows apart (their additions' latency
 * bounds a pass), the counts are integers until the end. */
SKP_AVX2 static inline void skp_columns_above_f64(const char* base, ptrdiff_t row_stride,
                                                  ptrdiff_t n_rows, const int full,
                                                  const __m256i* tail, const __m256d* bound,
                                                  __m256d* count, __m256d* sum,
                                                  __m256d* least) {
    const __m256d sign = _mm256_set1_pd(-0.0), above_all = _mm256_set1_pd(INFINITY);
    /* (2^52 as a double: its low bits hold a count below 2^52 exactly) */
    const __m256d shift = _mm256_set1_pd(4503599627370496.0);
    __m256d even0 = _mm256_setzero_pd(), even1 = even0, odd0 = even0, odd1 = even0;
    __m256d least0 = above_all, least1 = above_all;
    __m256i count0 = _mm256_setzero_si256(), count1 = count0;
    ptrdiff_t i = 0;
#define SKP_COLUMN_TAKE4(k, h, b, c, m)                                       \
    do {                                                                      \
        const double* row_ = (const double*) (base + (k) * row_stride) + 4 * (h); \
        const __m256d v_ = _mm256_andnot_pd(sign, full ? _mm256_loadu_pd(row_)  \
                                            : _mm256_maskload_pd(row_, tail[h])); \
        const __m256d keep_ = _mm256_cmp_pd(v_, bound[h], _CMP_GT_OQ);        \
        b = _mm256_add_pd(b, _mm256_and_pd(v_, keep_));                       \
        c = _mm256_sub_epi64(c, _mm256_castpd_si256(keep_));                  \
        m = _mm256_min_pd(m, _mm256_blendv_pd(above_all, v_, keep_));         \
    } while (0)
    for (; i + 2 <= n_rows; i += 2) {
        SKP_COLUMN_TAKE4(i, 0, even0, count0, least0);
        SKP_COLUMN_TAKE4(i, 1, even1, count1, least1);
        SKP_COLUMN_TAKE4(i + 1, 0, odd0, count0, least0);
        SKP_COLUMN_TAKE4(i + 1, 1, odd1, count1, least1);
    }
    if (i < n_rows) {
        SKP_COLUMN_TAKE4(i, 0, even0, count0, least0);
        SKP_COLUMN_TAKE4(i, 1, even1, count1, least1);
    }
#undef SKP_COLUMN_TAKE4
    sum[0] = _mm256_add_pd(even0, odd0);
    sum[1] = _mm256_add_pd(even1, odd1);
    count[0] = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(
        count0, _mm256_castpd_si256(shift))), shift);
    count[1] = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(
        count1, _mm256_castpd_si256(shift))), shift);
    least[0] = least0;
    least[1] = least1;
}

/* skp_panel_thresholds512_f64 with AVX2: the same steps on each half of a
 * group of eight columns (lanes 0-3 in [0], 4-7 in [1]). */
SKP_AVX2 static void skp_panel_thresholds256_f64(const double* base, ptrdiff_t row_stride,
                                                 ptrdiff_t n_rows, ptrdiff_t width,
                                                 double floor, const double* radii,
                                                 double* taus, double* hint) {
    const __m256d infinite = _mm256_set1_pd(INFINITY), zero = _mm256_setzero_pd();
    const __m256d floor_v = _mm256_set1_pd(floor);
    double tau[8], lane_radii[8], lane_supports[8];
    ptrdiff_t g, c;
    int h;
    for (g = 0; g < width; g += 8) {
        const int n_lanes = width - g < 8 ? (int) (width - g) : 8;
        const char* columns = (const char*) (base + g);
        __m256i tail[2];
        __m256d radius[2], rho[2], guessed[2], result[2], previous[2], support[2], active[2];
        int kept;
        for (h = 0; h < 2; h++) {
            tail[h] = _mm256_cmpgt_epi64(_mm256_set1_epi64x(n_lanes - 4 * h),
                                         _mm256_setr_epi64x(0, 1, 2, 3));
            radius[h] = _mm256_loadu_pd(radii + g + 4 * h);
            rho[h] = skp_guess4(hint, radius[h], floor_v, floor * n_rows, &guessed[h]);
            result[h] = infinite;
            previous[h] = infinite;
            support[h] = zero;
            /* (radii is zero past width) */
            active[h] = _mm256_cmp_pd(radius[h], zero, _CMP_NEQ_OQ);
            guessed[h] = _mm256_and_pd(guessed[h], active[h]);
        }
        kept = _mm256_movemask_pd(active[0]) | _mm256_movemask_pd(active[1]) << 4;
        while (_mm256_movemask_pd(active[0]) | _mm256_movemask_pd(active[1])) {
            __m256d bound[2], count[2], sum[2], least[2];
            for (h = 0; h < 2; h++)
                bound[h] = _mm256_blendv_pd(infinite, rho[h], active[h]);
            if (n_lanes == 8)   /* (each call inlined with its constant) */
                skp_columns_above_f64(columns, row_stride, n_rows, 1, tail, bound, count, sum,
                                      least);
            else
                skp_columns_above_f64(columns, row_stride, n_rows, 0, tail, bound, count, sum,
                                      least);
            for (h = 0; h < 2; h++) {
                /* (as skp_panel_thresholds512_f64) */
                __m256d next = _mm256_div_pd(_mm256_sub_pd(sum[h], radius[h]), count[h]);
                __m256d empty, rising, done;
                next = _mm256_blendv_pd(next, _mm256_max_pd(next, floor_v), guessed[h]);
                empty = _mm256_andnot_pd(guessed[h], _mm256_cmp_pd(count[h], zero, _CMP_EQ_OQ));
                rising = _mm256_cmp_pd(next, rho[h], _CMP_GE_OQ);
                done = _mm256_and_pd(active[h], _mm256_or_pd(
                    _mm256_or_pd(empty, _mm256_cmp_pd(count[h], previous[h], _CMP_GE_OQ)),
                    _mm256_and_pd(rising, _mm256_cmp_pd(least[h], next, _CMP_GT_OQ))));
                result[h] = _mm256_blendv_pd(result[h], _mm256_blendv_pd(next, rho[h], empty),
                                             done);
                support[h] = _mm256_blendv_pd(support[h], count[h], done);
                active[h] = _mm256_andnot_pd(done, active[h]);
                /* (a lane that stepped down from its guess has no count to settle on) */
                previous[h] = _mm256_blendv_pd(count[h], infinite,
                                               _mm256_andnot_pd(rising, guessed[h]));
                guessed[h] = zero;
                rho[h] = _mm256_blendv_pd(rho[h], next, active[h]);
            }
        }
        for (h = 0; h < 2; h++) {
            _mm256_storeu_pd(tau + 4 * h, result[h]);
            _mm256_storeu_pd(lane_radii + 4 * h, radius[h]);
            _mm256_storeu_pd(lane_supports + 4 * h, support[h]);
        }
        for (c = 0; c < n_lanes; c++) taus[g + c] = tau[c];
        if (kept) skp_next_hint8(tau, lane_radii, lane_supports, kept, hint);
    }
}

static inline void skp_panel_thresholds_f64(const double* base, ptrdiff_t row_stride,
                                            ptrdiff_t n_rows, ptrdiff_t width, double floor,
                                            const double* radii, double* taus, double* hint) {
    if (skp_avx512)
        skp_panel_thresholds512_f64(base, row_stride, n_rows, width, floor, radii, taus, hint);
    else
        skp_panel_thresholds256_f64(base, row_stride, n_rows, width, floor, radii, taus, hint);
}

/* Two lane masks of four doubles as one of eight floats (low lanes first). */
SKP_AVX2 static inline __m256 skp_join_masks(__m256d low, __m256d high) {
    return _mm256_castsi256_ps(_mm256_set_m128i(skp_narrow_mask(high), skp_narrow_mask(low)));
}

/* Lanes 0-3 (``high``: 4-7) of a mask of eight floats as a mask of four doubles. */
SKP_AVX2 static inline __m256d skp_widen_mask(__m256 mask, const int high) {
    const __m256i lanes = _mm256_castps_si256(mask);
    return _mm256_castsi256_pd(_mm256_cvtepi32_epi64(
        high ? _mm256_extracti128_si256(lanes, 1) : _mm256_castsi256_si128(lanes)));
}

/* The AVX2 panels' vector operations on 8 (float32) or 4 (float64) columns:
 * sign(v) * max(|v| - tau, 0), +0 in a zeroed column (an infinite tau). */
SKP_AVX2 static inline __m256 skp_panel_shrunk8_f32(__m256 v, __m256 h, __m256 lo) {
    const __m256 sign = _mm256_set1_ps(-0.0f), zero = _mm256_setzero_ps();
    __m256 r = _mm256_sub_ps(_mm256_sub_ps(_mm256_andnot_ps(sign, v), h), lo);
    /* (no sign on a zeroed column's 0) */
    return _mm256_or_ps(_mm256_max_ps(r, zero), _mm256_and_ps(
        _mm256_and_ps(sign, v), _mm256_cmp_ps(h, _mm256_set1_ps(INFINITY), _CMP_NEQ_OQ)));
}

SKP_AVX2 static inline __m256d skp_panel_shrunk4_f64(__m256d v, __m256d t) {
    const __m256d sign = _mm256_set1_pd(-0.0), zero = _mm256_setzero_pd();
    __m256d r = _mm256_sub_pd(_mm256_andnot_pd(sign, v), t);
    return _mm256_or_pd(_mm256_max_pd(r, zero), _mm256_and_pd(
        _mm256_and_pd(sign, v), _mm256_cmp_pd(t, _mm256_set1_pd(INFINITY), _CMP_NEQ_OQ)));
}

/* One group of 8 float32 columns on its way through Michelot's passes with
 * AVX2 (skp_panel_thresholds256_f32_), as skp_group16_f32 is with AVX-512:
 * the lanes that exist (``tail``), each lane's iterate (rho), the tau of
 * the lanes done, the count of the pass before, and the lanes still going
 * (``active``, a mask of floats; ``kept``: those that started). */
typedef struct {
    const char* columns;
    float* packed;
    int signed_copy, n_lanes, pass, kept;
    __m256i tail, previous, support;
    __m256d radius_low, radius_high, rho_low, rho_high, tau_low, tau_high;
    __m256 bound, active, guessed;
} skp_group8_f32;

/* The group of columns g..g + 7 (fewer at the panel's end) ready for its
 * first pass, each lane from its guess (skp_guess4). */
SKP_AVX2 static inline __attribute__((always_inline)) void skp_group8_start(
        skp_group8_f32* s, const float* base, ptrdiff_t g, ptrdiff_t width, ptrdiff_t n_rows,
        double floor, const double* radii, const double* hint, float* packed,
        int signed_copy) {
    const __m256d zero = _mm256_setzero_pd(), floor_v = _mm256_set1_pd(floor);
    __m256d guessed_low, guessed_high;
    s->n_lanes = width - g < 8 ? (int) (width - g) : 8;
    s->tail = _mm256_cmpgt_epi32(_mm256_set1_epi32(s->n_lanes),
                                 _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    s->columns = (const char*) (base + g);
    s->packed = packed;
    s->signed_copy = signed_copy;
    s->pass = 0;
    s->radius_low = _mm256_loadu_pd(radii + g);
    s->radius_high = _mm256_loadu_pd(radii + g + 4);
    s->rho_low = skp_guess4(hint, s->radius_low, floor_v, floor * n_rows, &guessed_low);
    s->rho_high = skp_guess4(hint, s->radius_high, floor_v, floor * n_rows, &guessed_high);
    s->tau_low = s->tau_high = _mm256_set1_pd(INFINITY);
    s->previous = _mm256_set1_epi32(INT32_MAX);
    s->support = _mm256_setzero_si256();
    /* (radii is zero past width) */
    s->active = skp_join_masks(_mm256_cmp_pd(s->radius_low, zero, _CMP_NEQ_OQ),
                               _mm256_cmp_pd(s->radius_high, zero, _CMP_NEQ_OQ));
    s->bound = _mm256_blendv_ps(
        _mm256_set1_ps(INFINITY),
        _mm256_set_m128(skp_float_below4(s->rho_high), skp_float_below4(s->rho_low)), s->active);
    s->guessed = _mm256_and_ps(s->active, skp_join_masks(guessed_low, guessed_high));
    s->kept = _mm256_movemask_ps(s->active);
}

/* Each lane's Michelot step from a pass over the group (its count, sums
 * and least value above the lane's bound); the lanes that settle leave
 * ``active`` (as skp_group16_step). */
SKP_AVX2 static inline __attribute__((always_inline)) void skp_group8_step(
        skp_group8_f32* s, ptrdiff_t row_stride, ptrdiff_t n_rows, double floor,
        __m256i count, __m256d sum_low, __m256d sum_high, __m256 least) {
    const __m256d infinite = _mm256_set1_pd(INFINITY), floor_v = _mm256_set1_pd(floor);
    double sums[8];
    float bounds[8];
    __m256i empty, settled;
    __m256d next_low, next_high;
    __m256 next_bound, rising, done;
    s->pass++;
    if (_mm256_movemask_pd(_mm256_cmp_pd(sum_low, infinite, _CMP_EQ_OQ))
            | _mm256_movemask_pd(_mm256_cmp_pd(sum_high, infinite, _CMP_EQ_OQ))) {
        /* a float block overflowed: the sums in double */
        _mm256_storeu_ps(bounds, s->bound);
        _mm256_storeu_pd(sums, sum_low);
        _mm256_storeu_pd(sums + 4, sum_high);
        skp_resum_overflowed(s->columns, row_stride, n_rows, s->n_lanes, bounds, sums);
        sum_low = _mm256_loadu_pd(sums);
        sum_high = _mm256_loadu_pd(sums + 4);
    }
    /* Michelot's next iterate; a lane stops with it when its pass kept no
     * fewer values than the last, or when the next pass would keep the same
     * values; with rho when it kept none (a radius below the rounding of
     * the largest value) */
    next_low = _mm256_div_pd(_mm256_sub_pd(sum_low, s->radius_low),
                             _mm256_cvtepi32_pd(_mm256_castsi256_si128(count)));
    next_high = _mm256_div_pd(_mm256_sub_pd(sum_high, s->radius_high),
                              _mm256_cvtepi32_pd(_mm256_extracti128_si256(count, 1)));
    /* A pass from a guess above tau gives a Newton step below tau (f is
     * convex), or nothing: from the floor then */
    next_low = _mm256_blendv_pd(next_low, _mm256_max_pd(next_low, floor_v),
                                skp_widen_mask(s->guessed, 0));
    next_high = _mm256_blendv_pd(next_high, _mm256_max_pd(next_high, floor_v),
                                 skp_widen_mask(s->guessed, 1));
    next_bound = _mm256_set_m128(skp_float_below4(next_high), skp_float_below4(next_low));
    /* (a guessed lane goes on, from below tau) */
    empty = _mm256_andnot_si256(_mm256_castps_si256(s->guessed),
                                _mm256_cmpeq_epi32(count, _mm256_setzero_si256()));
    settled = _mm256_xor_si256(_mm256_cmpgt_epi32(s->previous, count), _mm256_set1_epi32(-1));
    rising = skp_join_masks(_mm256_cmp_pd(next_low, s->rho_low, _CMP_GE_OQ),
                            _mm256_cmp_pd(next_high, s->rho_high, _CMP_GE_OQ));
    done = _mm256_and_ps(s->active, _mm256_or_ps(
        _mm256_castsi256_ps(_mm256_or_si256(empty, settled)),
        _mm256_and_ps(rising, _mm256_cmp_ps(least, next_bound, _CMP_GT_OQ))));
    s->tau_low = _mm256_blendv_pd(s->tau_low, _mm256_blendv_pd(
        next_low, s->rho_low, skp_widen_mask(_mm256_castsi256_ps(empty), 0)),
        skp_widen_mask(done, 0));
    s->tau_high = _mm256_blendv_pd(s->tau_high, _mm256_blendv_pd(
        next_high, s->rho_high, skp_widen_mask(_mm256_castsi256_ps(empty), 1)),
        skp_widen_mask(done, 1));
    s->support = _mm256_castps_si256(_mm256_blendv_ps(
        _mm256_castsi256_ps(s->support), _mm256_castsi256_ps(count), done));
    s->active = _mm256_andnot_ps(done, s->active);
    /* (a lane that stepped down from its guess has no count to settle on) */
    s->previous = _mm256_castps_si256(_mm256_blendv_ps(
        _mm256_castsi256_ps(count), _mm256_castsi256_ps(_mm256_set1_epi32(INT32_MAX)),
        _mm256_andnot_ps(rising, s->guessed)));
    s->guessed = _mm256_setzero_ps();
    s->rho_low = next_low;
    s->rho_high = next_high;
    s->bound = _mm256_blendv_ps(_mm256_set1_ps(INFINITY), next_bound, s->active);
}

/* One pass over the group (its packed copy after its first, where
 * ``packed`` is given), and each lane's step from it (skp_group8_step). */
SKP_AVX2 static inline __attribute__((always_inline)) void skp_group8_pass(
        skp_group8_f32* s, ptrdiff_t row_stride, ptrdiff_t n_rows, double floor) {
    __m256i count;
    __m256d sum_low, sum_high;
    __m256 least;
    /* (each call inlined with its constants) */
    if (s->pass && s->packed && s->signed_copy)
        skp_columns_above_f32((const char*) s->packed, 32, n_rows, 1, s->tail, s->bound,
                              &count, &sum_low, &sum_high, &least, 1, NULL, 1);
    else if (s->pass && s->packed)
        skp_columns_above_f32((const char*) s->packed, 32, n_rows, 1, s->tail, s->bound,
                              &count, &sum_low, &sum_high, &least, 1, NULL, 0);
    else if (s->n_lanes == 8 && s->signed_copy)
        skp_columns_above_f32(s->columns, row_stride, n_rows, 1, s->tail, s->bound, &count,
                              &sum_low, &sum_high, &least, 0, s->packed, 1);
    else if (s->n_lanes == 8)
        skp_columns_above_f32(s->columns, row_stride, n_rows, 1, s->tail, s->bound, &count,
                              &sum_low, &sum_high, &least, 0, s->packed, 0);
    else
        skp_columns_above_f32(s->columns, row_stride, n_rows, 0, s->tail, s->bound, &count,
                              &sum_low, &sum_high, &least, 0, s->packed, s->signed_copy);
    skp_group8_step(s, row_stride, n_rows, floor, count, sum_low, sum_high, least);
}

/* The group's taus into taus[0:n_lanes]; where it kept a column, the next
 * guesses' ``hint`` (skp_next_hint8). */
SKP_AVX2 static inline __attribute__((always_inline)) void skp_group8_finish(
        const skp_group8_f32* s, double* taus, double* hint) {
    double tau[8], radius[8], supports[8];
    int c;
    _mm256_storeu_pd(tau, s->tau_low);
    _mm256_storeu_pd(tau + 4, s->tau_high);
    for (c = 0; c < s->n_lanes; c++) taus[c] = tau[c];
    if (s->kept) {
        _mm256_storeu_pd(radius, s->radius_low);
        _mm256_storeu_pd(radius + 4, s->radius_high);
        _mm256_storeu_pd(supports, _mm256_cvtepi32_pd(_mm256_castsi256_si128(s->support)));
        _mm256_storeu_pd(supports + 4,
                         _mm256_cvtepi32_pd(_mm256_extracti128_si256(s->support, 1)));
        skp_next_hint8(tau, radius, supports, s->kept, hint);
    }
}

/* Row i of a group's columns written from its taus' two floats (h, l)
 * with the AVX2 panel write's operations (skp_panel_shrunk8_f32), so the
 * same bits: from its signed packed copy, +0 where the group kept no
 * column (it had no pass, so no copy); its ``n_lanes`` alone stored. */
SKP_AVX2 static inline __attribute__((always_inline)) void skp_group8_write_row(
        const skp_group8_f32* s, ptrdiff_t i, __m256 h, __m256 l, float* x) {
    const __m256 r = s->kept ? skp_panel_shrunk8_f32(_mm256_load_ps(s->packed + 8 * i), h, l)
        : _mm256_setzero_ps();
    if (s->n_lanes == 8) _mm256_storeu_ps(x, r);
    else _mm256_maskstore_ps(x, s->tail, r);
}

/* The columns of a group (and of ``next``, the columns after it, if not
 * NULL) written into ``dst`` (a row ``dst_stride`` bytes apart) from their
 * taus (taus[0:16], clamped here to >= 0 as _panel_thresholds clamps them)
 * while the groups' packed copies are in L1, as skp_group16_write does with
 * AVX-512: the matrix is not read again. */
SKP_AVX2 static inline __attribute__((always_inline)) void skp_groups8_write(
        const skp_group8_f32* s, const skp_group8_f32* next, ptrdiff_t n_rows, double* taus,
        float* dst, ptrdiff_t dst_stride) {
    const ptrdiff_t n = s->n_lanes + (next ? next->n_lanes : 0);
    float hi[16], lo[16];
    ptrdiff_t c, i;
    __m256 h, l, next_h, next_l;
    for (c = 0; c < n; c++) taus[c] = taus[c] < 0.0 ? 0.0 : taus[c];
    skp_split_taus(taus, n, hi, lo);
    for (; c < 16; c++) hi[c] = lo[c] = 0.0f;
    h = _mm256_loadu_ps(hi);
    l = _mm256_loadu_ps(lo);
    next_h = _mm256_loadu_ps(hi + 8);
    next_l = _mm256_loadu_ps(lo + 8);
    for (i = 0; i < n_rows; i++) {
        float* x = (float*) ((char*) dst + i * dst_stride);
        skp_group8_write_row(s, i, h, l, x);
        if (next) skp_group8_write_row(next, i, next_h, next_l, x + 8);
    }
}

/* The AVX2 passes of float32 columns (see skp_panel_thresholds_f32): a
 * group of 8 columns at a time, or with ``pairs`` two adjacent groups, their
 * passes alternated (as skp_panel_thresholds512_f32_'s: a pass's step waits
 * on the pass's sums, and the next pass on the step, where the other
 * group's pass now runs), the second group's magnitudes packed 8 * n_rows
 * floats after the first's; with ``dst`` (not NULL; ``pairs``), each pair
 * written there as soon as its taus are known, from its packed copies
 * (skp_groups8_write), which keep the signed values for it. */
SKP_AVX2 static inline __attribute__((always_inline)) void skp_panel_thresholds256_f32_(
        const float* base, ptrdiff_t row_stride, ptrdiff_t n_rows, ptrdiff_t width, double floor,
        const double* radii, double* taus, double* hint, float* packed, int pairs, float* dst,
        ptrdiff_t dst_stride) {
    skp_group8_f32 a, b;
    ptrdiff_t g;
    for (g = 0; g < width; g += 8) {
        skp_group8_start(&a, base, g, width, n_rows, floor, radii, hint, packed, dst != NULL);
        if (pairs && g + 8 < width) {
            skp_group8_start(&b, base, g + 8, width, n_rows, floor, radii, hint,
                             packed ? packed + 8 * n_rows : NULL, dst != NULL);
            while (_mm256_movemask_ps(a.active) | _mm256_movemask_ps(b.active)) {
                if (_mm256_movemask_ps(a.active)) skp_group8_pass(&a, row_stride, n_rows, floor);
                if (_mm256_movemask_ps(b.active)) skp_group8_pass(&b, row_stride, n_rows, floor);
            }
            skp_group8_finish(&a, taus + g, hint);
            skp_group8_finish(&b, taus + g + 8, hint);
            if (dst) skp_groups8_write(&a, &b, n_rows, taus + g, dst + g, dst_stride);
            g += 8;
        } else {
            while (_mm256_movemask_ps(a.active)) skp_group8_pass(&a, row_stride, n_rows, floor);
            skp_group8_finish(&a, taus + g, hint);
            if (dst) skp_groups8_write(&a, NULL, n_rows, taus + g, dst + g, dst_stride);
        }
    }
}

/* (each way a function of its own, as the AVX-512 pair) */
SKP_AVX2 static void skp_panel_thresholds256_f32(const float* base, ptrdiff_t row_stride,
                                                 ptrdiff_t n_rows, ptrdiff_t width, double floor,
                                                 const double* radii, double* taus,
                                                 double* hint, float* packed, int pairs) {
    skp_panel_thresholds256_f32_(base, row_stride, n_rows, width, floor, radii, taus, hint,
                                 packed, pairs, NULL, 0);
}

SKP_AVX2 static void skp_panel_project256_f32(const float* base, ptrdiff_t row_stride,
                                              ptrdiff_t n_rows, ptrdiff_t width, double floor,
                                              const double* radii, double* taus, double* hint,
                                              float* packed, float* dst, ptrdiff_t dst_stride) {
    skp_panel_thresholds256_f32_(base, row_stride, n_rows, width, floor, radii, taus, hint,
                                 packed, 1, dst, dst_stride);
}

/* The tau of each of the ``width`` columns at ``base`` in ``taus``
 * (INFINITY where ``radii`` is zero: ``radii`` holds ``width`` rounded up
 * to 16, zeros after ``width``).  The eight lanes of a group of columns are
 * stepped together, in vectors (halves of four doubles).
 * ``hint`` (in and out): the mean tau, radius and support of the last
 * group of columns, zeros at first.  Each column's first pass starts from
 * the guess skp_guess8 (AVX2: skp_guess4) makes of them where it lies
 * SKP_GUESS_GAP of itself above ``floor``: a guess, not a bound.  A
 * lane whose pass from the guess steps down (the guess was above its tau)
 * lands below tau all the same, f(rho) = sum (|y| - rho)+ - radius being
 * convex: Newton's step from either side ends at or below its root; it
 * goes on from there (from ``floor`` if the pass kept nothing), with no
 * count to settle on.  Any start ends on the same fixed point: tau from
 * the sum of the values it keeps.  ``packed`` (16 * n_rows floats on a
 * cache line, or NULL): the magnitudes of a group of columns (16 with
 * AVX-512, 8 with AVX2), stored by its first pass and read by the next ones,
 * contiguous (a panel's rows lie a row stride apart, each on its own page
 * when rows are long: AVX-512, 1000 x 10000 at 50-90 % of the groups kept
 * took 4.6 times a copy by passes over the panel itself, 3.9 with them
 * packed; AVX2 on a Zen 3, issue 14, single calls alternated in one
 * process, tenth percentiles: 100 x 10000 at 10-90 % of the norm 0.95-0.97
 * of the time unpacked, 100 x 1000 and 256 x 1000 0.95-1.01; with the float
 * blocks of 32 rows rather than 8, see skp_columns_above_f32, 0.84-0.90 in
 * all). */
SKP_AVX2 static inline void skp_panel_thresholds_f32(const float* base, ptrdiff_t row_stride,
                                                     ptrdiff_t n_rows, ptrdiff_t width,
                                                     double floor, const double* radii,
                                                     double* taus, double* hint, float* packed,
                                                     int pairs, int prefetch,
                                                     const ptrdiff_t* next_lines,
                                                     ptrdiff_t n_next) {
    if (skp_avx512)
        skp_panel_thresholds512_f32(base, row_stride, n_rows, width, floor, radii, taus, hint,
                                    packed, pairs, prefetch, next_lines, n_next);
    else
        skp_panel_thresholds256_f32(base, row_stride, n_rows, width, floor, radii, taus, hint,
                                    packed, pairs);
}

/* skp_panel_thresholds_f32 with ``pairs`` that also writes each pair of
 * groups of columns into ``dst`` (a row ``dst_stride`` bytes apart) as soon
 * as its taus are known, while its rows are in L1 (skp_group16_write, with
 * AVX2 skp_groups8_write): for a matrix in L2 (see _l11_column_panels). */
static inline void skp_panel_project_f32(const float* base, ptrdiff_t row_stride,
                                         ptrdiff_t n_rows, ptrdiff_t width, double floor,
                                         const double* radii, double* taus, double* hint,
                                         float* packed, float* dst, ptrdiff_t dst_stride) {
    if (skp_avx512)
        skp_panel_project512_f32(base, row_stride, n_rows, width, floor, radii, taus, hint,
                                 packed, dst, dst_stride);
    else
        skp_panel_project256_f32(base, row_stride, n_rows, width, floor, radii, taus, hint,
                                 packed, dst, dst_stride);
}

/* ------------------------------------------------------ float64 lists by passes
 * The tau of a short float64 list (a column's gathered candidates) by
 * Michelot's passes that count and sum in registers, as
 * skp_short_threshold_by_f32 does for float32, instead of michelot_above's
 * compaction at each pass (AVX2 permutations, a store a value): AVX-512F,
 * eight values a vector, compared and summed in double (the iterate itself
 * the bound). */

/* Count, sum and least of the ``n`` values above ``bound``. */
SKP_AVX512 static ptrdiff_t skp_count_above512_f64(const double* values, ptrdiff_t n,
                                                   double bound, double* sum, double* least) {
    const __m512d bound_v = _mm512_set1_pd(bound), above_all = _mm512_set1_pd(INFINITY);
    const __m512i one = _mm512_set1_epi64(1);
    __m512d sum0 = _mm512_setzero_pd(), sum1 = sum0, sum2 = sum0, sum3 = sum0;
    __m512d least0 = above_all, least1 = above_all;
    __m512i count0 = _mm512_setzero_si512(), count1 = count0;
    ptrdiff_t j = 0;
#define SKP_TAKE8(v, keep, s, c, m)                                           \
    do {                                                                      \
        s = _mm512_mask_add_pd(s, (keep), s, (v));                            \
        c = _mm512_mask_add_epi64(c, (keep), c, one);                         \
        m = _mm512_mask_min_pd(m, (keep), m, (v));                            \
    } while (0)
    for (; j + 32 <= n; j += 32) {
        const __m512d v0 = _mm512_loadu_pd(values + j), v1 = _mm512_loadu_pd(values + j + 8);
        const __m512d v2 = _mm512_loadu_pd(values + j + 16);
        const __m512d v3 = _mm512_loadu_pd(values + j + 24);
        SKP_TAKE8(v0, _mm512_cmp_pd_mask(v0, bound_v, _CMP_GT_OQ), sum0, count0, least0);
        SKP_TAKE8(v1, _mm512_cmp_pd_mask(v1, bound_v, _CMP_GT_OQ), sum1, count1, least1);
        SKP_TAKE8(v2, _mm512_cmp_pd_mask(v2, bound_v, _CMP_GT_OQ), sum2, count0, least0);
        SKP_TAKE8(v3, _mm512_cmp_pd_mask(v3, bound_v, _CMP_GT_OQ), sum3, count1, least1);
    }
    for (; j < n; j += 8) {   /* the last (< 32) values: masked vectors */
        const __mmask8 inside = (__mmask8) (n - j >= 8 ? 0xff : (1u << (n - j)) - 1);
        const __m512d v = _mm512_maskz_loadu_pd(inside, values + j);
        SKP_TAKE8(v, _mm512_mask_cmp_pd_mask(inside, v, bound_v, _CMP_GT_OQ), sum0, count0,
                  least0);
    }
#undef SKP_TAKE8
    *sum = _mm512_reduce_add_pd(_mm512_add_pd(_mm512_add_pd(sum0, sum1),
                                              _mm512_add_pd(sum2, sum3)));
    *least = _mm512_reduce_min_pd(_mm512_min_pd(least0, least1));
    return (ptrdiff_t) _mm512_reduce_add_epi64(_mm512_add_epi64(count0, count1));
}

/* Michelot's tau of the ``n`` values (sum ``total``) for ``radius``, from
 * (total - radius) / n, the steps and stops of skp_short_threshold_by_f32. */
SKP_AVX512 static double skp_short_threshold512_f64(const double* values, ptrdiff_t n,
                                                    double total, double radius) {
    double rho, next, sum, least;
    ptrdiff_t count, previous = n;
    if (n == 0) return 0.0;
    rho = (total - radius) / n;
    for (;;) {
        count = skp_count_above512_f64(values, n, rho, &sum, &least);
        if (count == 0) return rho;   /* a radius below the rounding of the largest value */
        next = (sum - radius) / count;
        /* (rho rises in exact arithmetic, so the count only drops; one that
         * does not is the fixed point up to rounding, and stops the passes) */
        if (count >= previous) return next;
        if (next >= rho && least > next) return next;   /* the next pass keeps the same */
        previous = count;
        rho = next;
    }
}

/* ------------------------------------------------------ a row's candidates
 * skp_keep_above_f32/_f64 (magnitudes, a contiguous row) with AVX-512F: the
 * kept lanes compacted by vcompress, the sums by masked additions (float32:
 * in float over blocks of 128 values, then in double, as the AVX2 loop).
 * ``dst`` holds ``n`` values; a store of a whole vector lands at or before
 * the values read. */
SKP_AVX512 static ptrdiff_t skp_keep_above512_f64(const double* src, ptrdiff_t n, double rho,
                                                  double* dst, double* sum, ptrdiff_t ahead) {
    const __m512d rho_v = _mm512_set1_pd(rho);
    __m512d sum0 = _mm512_setzero_pd(), sum1 = _mm512_setzero_pd();
    ptrdiff_t j = 0, k = 0;
    for (; j + 16 <= n; j += 16) {
        const __m512d v0 = _mm512_abs_pd(_mm512_loadu_pd(src + j));
        const __m512d v1 = _mm512_abs_pd(_mm512_loadu_pd(src + j + 8));
        if (ahead) {
            skp_prefetch_ahead(src + j, ahead);
            skp_prefetch_ahead(src + j + 8, ahead);
        }
        const __mmask8 keep0 = _mm512_cmp_pd_mask(v0, rho_v, _CMP_GT_OQ);
        const __mmask8 keep1 = _mm512_cmp_pd_mask(v1, rho_v, _CMP_GT_OQ);
        sum0 = _mm512_mask_add_pd(sum0, keep0, sum0, v0);
        sum1 = _mm512_mask_add_pd(sum1, keep1, sum1, v1);
        _mm512_storeu_pd(dst + k, _mm512_maskz_compress_pd(keep0, v0));
        k += _mm_popcnt_u32((unsigned) keep0);
        _mm512_storeu_pd(dst + k, _mm512_maskz_compress_pd(keep1, v1));
        k += _mm_popcnt_u32((unsigned) keep1);
    }
    for (; j < n; j += 8) {
        const __mmask8 lanes = (__mmask8) (n - j >= 8 ? 0xff : (1u << (n - j)) - 1);
        const __m512d v = _mm512_abs_pd(_mm512_maskz_loadu_pd(lanes, src + j));
        const __mmask8 keep = _mm512_mask_cmp_pd_mask(lanes, v, rho_v, _CMP_GT_OQ);
        sum0 = _mm512_mask_add_pd(sum0, keep, sum0, v);
        skp_compress_store_pd(dst + k, keep, v);
        k += _mm_popcnt_u32((unsigned) keep);
    }
    *sum = _mm512_reduce_add_pd(_mm512_add_pd(sum0, sum1));
    return k;
}

SKP_AVX512 static ptrdiff_t skp_keep_above512_f32(const float* src, ptrdiff_t n, double rho,
                                                  float* dst, double* sum, ptrdiff_t ahead) {
    const __m512 rho_v = _mm512_set1_ps(skp_float_below(rho));
    __m512d total = _mm512_setzero_pd();
    ptrdiff_t j = 0, k = 0, end;
    while (j < n) {
        __m512 block0 = _mm512_setzero_ps(), block1 = _mm512_setzero_ps();
        end = n - j < 128 ? n : j + 128;
        for (; j + 32 <= end; j += 32) {
            const __m512 v0 = _mm512_abs_ps(_mm512_loadu_ps(src + j));
            const __m512 v1 = _mm512_abs_ps(_mm512_loadu_ps(src + j + 16));
            const __mmask16 keep0 = _mm512_cmp_ps_mask(v0, rho_v, _CMP_GT_OQ);
            if (ahead) {
                skp_prefetch_ahead(src + j, ahead);
                skp_prefetch_ahead(src + j + 16, ahead);
            }
            const __mmask16 keep1 = _mm512_cmp_ps_mask(v1, rho_v, _CMP_GT_OQ);
            block0 = _mm512_mask_add_ps(block0, keep0, block0, v0);
            block1 = _mm512_mask_add_ps(block1, keep1, block1, v1);
            _mm512_storeu_ps(dst + k, _mm512_maskz_compress_ps(keep0, v0));
            k += _mm_popcnt_u32((unsigned) keep0);
            _mm512_storeu_ps(dst + k, _mm512_maskz_compress_ps(keep1, v1));
            k += _mm_popcnt_u32((unsigned) keep1);
        }
        for (; j < end; j += 16) {
            const __mmask16 lanes = (__mmask16) (end - j >= 16 ? 0xffff : (1u << (end - j)) - 1);
            const __m512 v = _mm512_abs_ps(_mm512_maskz_loadu_ps(lanes, src + j));
            const __mmask16 keep = _mm512_mask_cmp_ps_mask(lanes, v, rho_v, _CMP_GT_OQ);
            block0 = _mm512_mask_add_ps(block0, keep, block0, v);
            skp_compress_store_ps(dst + k, keep, v);
            k += _mm_popcnt_u32((unsigned) keep);
        }
        if (j > end) j = end;
        block0 = _mm512_add_ps(block0, block1);
        total = _mm512_add_pd(total, skp_widen_sum16(block0));
    }
    *sum = _mm512_reduce_add_pd(total);
    if (isinf(*sum)) *sum = skp_sum_f32(dst, k);   /* a float block overflowed */
    return k;
}

/* A contiguous row's magnitudes above ``rho``: the AVX-512 loops where they
 * run, else 0 with ``*done`` false (the caller then takes keep_above); its
 * lines asked for ``ahead`` bytes on (skp_ahead_for; 0: none). */
static inline ptrdiff_t skp_row_keep_above_f64(const double* src, ptrdiff_t n, double rho,
                                               double* dst, double* sum, int* done,
                                               ptrdiff_t ahead) {
    *done = skp_avx512_enabled();
    return *done ? skp_keep_above512_f64(src, n, rho, dst, sum, ahead) : 0;
}

static inline ptrdiff_t skp_row_keep_above_f32(const float* src, ptrdiff_t n, double rho,
                                               float* dst, double* sum, int* done,
                                               ptrdiff_t ahead) {
    *done = skp_avx512_enabled();
    return *done ? skp_keep_above512_f32(src, n, rho, dst, sum, ahead) : 0;
}

/* ------------------------------------------------------ the panel's write
 * dst = sign(src) * max(|src| - taus[j], 0) on ``width`` columns of n_rows
 * rows, each column its own tau (float32: in float against a two-float tau,
 * ``hi`` + ``lo``, as skp_shrink_f32), 0 where the tau is infinite (a zeroed
 * column, not read).  With ``stream``, non-temporal stores and one store
 * fence for the whole panel (a fence per row would wait for every row's
 * lines to reach memory). */

/* skp_shrink_panel_f32 with AVX-512F: 16 columns a vector, the last ones by
 * masked loads and stores; with ``stream``, rows starting on a cache line
 * (the caller's condition), whole lines by non-temporal stores.  (Set aside,
 * issue 14, an AMD Zen 5: streaming rows that start inside a line too, the
 * columns up to the line by a masked plain store: 3000 x 3000 float32 at 10,
 * 50, 90 % of the groups kept 5.95, 8.62, 8.69 times a copy, where the AVX2
 * loop, which stores such heads lane by lane, took 4.55, 4.91, 4.91;
 * 2000 x 5000 4.27-5.35 against 3.81-4.39.) */
/* skp_shrink_panel512_f32 on a block in cache, written a strip of up to 64
 * columns at a time: the strip's taus (hi, lo) and masks stay in registers
 * down its rows, where the row loop loaded both halves of a tau beside each
 * vector of values, three loads to a store.  The same operations on every
 * value, so the same bits; zeroed columns are masked out of the loads (not
 * read), not branched on.  (Issue 14, an AMD Zen 5, a C harness on 100 x
 * 1000 float32 in L2, times a memcpy: the row loop 1.60-1.75, without its
 * branch 1.35-1.60, these strips 1.26-1.41; a negation 0.94-1.09.  An Intel
 * Xeon prefers the rows: see skp_shrink_strips and skp_shrink_rows512_f32.) */
#define SKP_STRIP_VECTORS 4
/* Blocks written by strips: at most this many bytes (in L2 with their source,
 * so that a strip's rows, far apart, cost no trip to memory); also the
 * column groups of bilevel_l1inf and bilevel_l12 (_write_groups). */
#define SKP_STRIP_BYTES (1 << 20)
SKP_AVX512 static void skp_shrink_strips512_f32(const float* src, ptrdiff_t src_stride,
                                                float* dst, ptrdiff_t dst_stride,
                                                ptrdiff_t n_rows, ptrdiff_t width,
                                                const float* hi, const float* lo) {
    const __m512 infinite = _mm512_set1_ps(INFINITY);
    ptrdiff_t j, i;
    int k, n_vectors;
    for (j = 0; j < width; j += 16 * n_vectors) {
        __m512 h[SKP_STRIP_VECTORS], l[SKP_STRIP_VECTORS];
        __mmask16 kept[SKP_STRIP_VECTORS], lanes[SKP_STRIP_VECTORS];
        n_vectors = (int) ((width - j + 15) / 16);
        n_vectors = n_vectors < SKP_STRIP_VECTORS ? n_vectors : SKP_STRIP_VECTORS;
        for (k = 0; k < n_vectors; k++) {
            const ptrdiff_t left = width - j - 16 * k;
            lanes[k] = left >= 16 ? (__mmask16) 0xffff : (__mmask16) ((1u << left) - 1);
            h[k] = _mm512_maskz_loadu_ps(lanes[k], hi + j + 16 * k);
            l[k] = _mm512_maskz_loadu_ps(lanes[k], lo + j + 16 * k);
            kept[k] = (__mmask16) (lanes[k] & _mm512_cmp_ps_mask(h[k], infinite, _CMP_NEQ_OQ));
        }
        for (i = 0; i < n_rows; i++) {
            const float* y = (const float*) ((const char*) src + i * src_stride) + j;
            float* x = (float*) ((char*) dst + i * dst_stride) + j;
            for (k = 0; k < n_vectors; k++)
                _mm512_mask_storeu_ps(x + 16 * k, lanes[k], skp_shrunk16_f32(
                    _mm512_maskz_loadu_ps(kept[k], y + 16 * k), h[k], l[k], kept[k]));
        }
    }
}

/* Columns c < n (n <= 16) of a row of the block: masked loads, one masked
 * store (skp_shrink_rows512_f32's first and last columns). */
SKP_AVX512 static inline void skp_shrunk_some16_f32(const float* y, float* x, const float* hi,
                                                    const float* lo, ptrdiff_t n) {
    const __mmask16 some = (__mmask16) ((1u << n) - 1);
    const __m512 h = _mm512_maskz_loadu_ps(some, hi);
    const __mmask16 kept = _mm512_mask_cmp_ps_mask(some, h, _mm512_set1_ps(INFINITY),
                                                   _CMP_NEQ_OQ);
    _mm512_mask_storeu_ps(x, some, skp_shrunk16_f32(_mm512_maskz_loadu_ps(kept, y), h,
                                                    _mm512_maskz_loadu_ps(some, lo), kept));
}

/* Rows of at least this many columns are written in whole lines of the
 * destination, from its first line boundary (skp_shrink_rows512_f32). */
#define SKP_SHRINK_LINES_LEAST 512

/* The same block along its rows, as CPUs other than AMD's prefer
 * (skp_shrink_strips): each vector's taus loaded beside its values, a zeroed
 * column's lanes set to +0 by its mask (its tau is infinite: r is 0 there
 * whatever the value), not branched on (the row loop below branches:
 * 1.14-1.47 times a memcpy on an Intel Xeon where this takes 1.03-1.28, see
 * skp_strips).  Whole vectors by plain loads and stores, the last columns
 * masked: in cache, reading a zeroed column's values costs nothing, and the
 * masks of every load and store did (issue 14, an Intel Xeon, a C harness on
 * 100 x 1000 float32 in L2, times a memcpy: masked 1.34-1.57, plain
 * 1.22-1.42; bilevel_l11 at half the norm, single calls interleaved in one
 * process, times a copy, masked / plain: 100 x 1000 4.85-4.99 / 4.74-4.87,
 * 250 x 1000 3.44-3.50 / 3.38-3.42, 500 x 500 3.77-3.83 / 3.73-3.79,
 * 1000 x 250 even).  Rows of SKP_SHRINK_LINES_LEAST columns or more store
 * whole lines from the destination's first line boundary, the columns
 * before it masked (a store across two lines costs two; NumPy's arrays
 * start 16 bytes past a line): issue 14, an Intel Xeon, alternating
 * processes, lowest three of five, bilevel_l11 at half the norm, times a
 * copy, the result at the input's offset / 32 bytes further: 250 x 1000
 * 2.70-2.87 / 2.66-2.86 -> 2.50-2.54 / 2.59-2.63, 300 x 784 2.86-2.90 /
 * 3.01-3.13 -> 2.71-2.83 / 2.92-3.17; shorter rows, whose masked head
 * and tail are a larger share, took 0.95-1.05 of the time (500 x 500, 1000
 * x 250: within the spread of the processes). */
SKP_AVX512 static void skp_shrink_rows512_f32(const float* src, ptrdiff_t src_stride,
                                              float* dst, ptrdiff_t dst_stride,
                                              ptrdiff_t n_rows, ptrdiff_t width,
                                              const float* hi, const float* lo) {
    const __m512 infinite = _mm512_set1_ps(INFINITY);
    const ptrdiff_t bytes = width * (ptrdiff_t) sizeof(float);
    const ptrdiff_t ahead = skp_rows_prefetched(n_rows, dst_stride, bytes);
    ptrdiff_t i, j;
    for (i = 0; i < n_rows; i++) {
        const float* y = (const float*) ((const char*) src + i * src_stride);
        float* x = (float*) ((char*) dst + i * dst_stride);
        ptrdiff_t head = width < SKP_SHRINK_LINES_LEAST || (uintptr_t) x % sizeof(float) ? 0
                         : skp_line_head(x, sizeof(float));
        if (i < ahead) skp_prefetch_rows_for_write(x, bytes, dst_stride);
        if (head) skp_shrunk_some16_f32(y, x, hi, lo, head);
        for (j = head; j + 16 <= width; j += 16) {
            const __m512 h = _mm512_loadu_ps(hi + j);
            const __mmask16 kept = _mm512_cmp_ps_mask(h, infinite, _CMP_NEQ_OQ);
            _mm512_storeu_ps(x + j, skp_shrunk16_f32(_mm512_loadu_ps(y + j), h,
                                                     _mm512_loadu_ps(lo + j), kept));
        }
        if (j < width) skp_shrunk_some16_f32(y + j, x + j, hi + j, lo + j, width - j);
    }
}

SKP_AVX512 static void skp_shrink_panel512_f32(const float* src, ptrdiff_t src_stride,
                                               float* dst, ptrdiff_t dst_stride,
                                               ptrdiff_t n_rows, ptrdiff_t width,
                                               const float* hi, const float* lo, int stream,
                                               skp_next_panel* next) {
    const __m512 zero = _mm512_setzero_ps();
    const __m512 infinite = _mm512_set1_ps(INFINITY);
    const __mmask16 tail = (__mmask16) ((1u << (width % 16)) - 1);
    ptrdiff_t i, j;
#define SKP_SHRINK16(load, store)                                              \
    do {                                                                      \
        const __m512 h_ = load(hi + j);                                       \
        /* (zeroed columns are not read, and get no sign) */                  \
        const __mmask16 kept_ = _mm512_cmp_ps_mask(h_, infinite, _CMP_NEQ_OQ); \
        if (!kept_) { store(x + j, zero); continue; }                         \
        if (ahead) _mm_prefetch((const char*) (y + j) + ahead, _MM_HINT_T0);  \
        store(x + j, skp_shrunk16_f32(load(y + j), h_, load(lo + j), kept_)); \
    } while (0)
#define SKP_LOAD_ALL(p) _mm512_loadu_ps(p)
#define SKP_STORE_ALL(p, v) _mm512_storeu_ps((p), (v))
#define SKP_STREAM_ALL(p, v) _mm512_stream_ps((p), (v))
#define SKP_LOAD_TAIL(p) _mm512_maskz_loadu_ps(tail, (p))
#define SKP_STORE_TAIL(p, v) _mm512_mask_storeu_ps((p), tail, (v))
    if (!stream && next == NULL && n_rows * width * (ptrdiff_t) sizeof(float) <= SKP_STRIP_BYTES) {
        if (skp_shrink_strips_suit(src_stride, dst_stride))
            skp_shrink_strips512_f32(src, src_stride, dst, dst_stride, n_rows, width, hi, lo);
        else
            skp_shrink_rows512_f32(src, src_stride, dst, dst_stride, n_rows, width, hi, lo);
        return;
    }
    for (i = 0; i < n_rows; i++) {
        const float* y = (const float*) ((const char*) src + i * src_stride);
        float* x = (float*) ((char*) dst + i * dst_stride);
        const ptrdiff_t ahead = skp_write_ahead(i, n_rows, src_stride, stream, next);
        if (next) skp_prefetch_next_rows(next, 1);
        if (stream)
            for (j = 0; j + 16 <= width; j += 16)
                SKP_SHRINK16(SKP_LOAD_ALL, SKP_STREAM_ALL);
        else
            for (j = 0; j + 16 <= width; j += 16)
                SKP_SHRINK16(SKP_LOAD_ALL, SKP_STORE_ALL);
        for (; j < width; j += 16)   /* (once, if any column is left) */
            SKP_SHRINK16(SKP_LOAD_TAIL, SKP_STORE_TAIL);
    }
    if (stream) _mm_sfence();
#undef SKP_SHRINK16
#undef SKP_LOAD_ALL
#undef SKP_STORE_ALL
#undef SKP_STREAM_ALL
#undef SKP_LOAD_TAIL
#undef SKP_STORE_TAIL
}

/* sign(v) * max(|v| - t, 0) in the lanes of ``kept``, +0 elsewhere: the
 * AVX-512 float64 panel writes' operations on 8 columns. */
SKP_AVX512 static inline __m512d skp_shrunk8_f64(__m512d v, __m512d t, __mmask8 kept) {
    const __m512d r = _mm512_max_pd(_mm512_sub_pd(_mm512_abs_pd(v), t), _mm512_setzero_pd());
    return _mm512_castsi512_pd(_mm512_mask_ternarylogic_epi64(
        _mm512_castpd_si512(r), kept, _mm512_castpd_si512(v), _mm512_set1_epi64(INT64_MIN),
        0xF8));
}

/* float64 with AVX-512F: skp_shrink_panel512_f32's row loop on eight columns
 * a vector, a streamed store a whole cache line (the AVX2 loop streams half
 * lines); the operations of skp_panel_shrunk4_f64 on every value, so the
 * same bits.  ``dst`` and ``dst_stride`` on whole lines where streamed.
 * Taken where no next panel is prefetched (issue 14, an AMD Zen 5, single
 * calls interleaved, times a copy at 10, 50, 90 % of the groups kept, the
 * AVX2 loop / this one: 1000 x 10000 2.17 / 1.96, 2.73 / 2.51, 3.04 /
 * 2.79; 500 x 20000 2.09 / 1.94, 2.80 / 2.64, 2.98 / 2.84; 2000 x 5000
 * 2.53 / 2.27, 3.24 / 3.07, 3.41 / 3.14; 10000 x 1000 4.01 / 3.38, 5.04 /
 * 4.42, 5.34 / 4.57; 20000 x 500 6.81 / 5.18, 6.11 / 5.27, 6.51 / 5.70; in
 * cache, 300 x 3000 3.36 / 2.96, 4.45 / 4.13, 4.46 / 4.10 and 100 x 1000
 * 4.29 / 4.16, 5.82 / 5.49, 5.88 / 5.48; but 100000 x 96 1.01-1.05 times
 * as long).  Where a job prefetches the next panel during the write (the
 * passes over columns of a few rows), 32 x 300000 took 1.00-1.08 times as
 * long at 50-90 %: the AVX2 loop there. */
SKP_AVX512 static void skp_shrink_panel512_f64(const double* src, ptrdiff_t src_stride,
                                               double* dst, ptrdiff_t dst_stride,
                                               ptrdiff_t n_rows, ptrdiff_t width,
                                               const double* taus, int stream) {
    const __m512d zero = _mm512_setzero_pd(), infinite = _mm512_set1_pd(INFINITY);
    ptrdiff_t i, j;
#define SKP_SHRINK8(store)                                                    \
    do {                                                                      \
        const __m512d t_ = _mm512_loadu_pd(taus + j);                         \
        /* (zeroed columns are not read, and get no sign; a kept column's   \
         * line is read by a plain load: see the columns left, below) */    \
        const __mmask8 kept_ = _mm512_cmp_pd_mask(t_, infinite, _CMP_NEQ_OQ);  \
        if (!kept_) { store(x + j, zero); continue; }                         \
        if (ahead) _mm_prefetch((const char*) (y + j) + ahead, _MM_HINT_T0);  \
        store(x + j, skp_shrunk8_f64(_mm512_loadu_pd(y + j), t_, kept_));     \
    } while (0)
#define SKP_STORE_ALL(p, v) _mm512_storeu_pd((p), (v))
#define SKP_STREAM_ALL(p, v) _mm512_stream_pd((p), (v))
    for (i = 0; i < n_rows; i++) {
        const double* y = (const double*) ((const char*) src + i * src_stride);
        double* x = (double*) ((char*) dst + i * dst_stride);
        const ptrdiff_t ahead = skp_write_ahead(i, n_rows, src_stride, stream, NULL);
        if (stream)
            for (j = 0; j + 8 <= width; j += 8)
                SKP_SHRINK8(SKP_STREAM_ALL);
        else   /* (no rows prefetched for writing, as the float32 loops do: see
                * skp_prefetch_rows_for_write; issue 14, an AMD Zen 4, single calls
                * interleaved, at 10, 50, 90 % of the groups kept, with / without:
                * 300 x 3000 0.87-0.92, but 1000 x 500 1.13, 1.05, 1.02, 250 x 2000
                * 1.15, 0.97, 0.95, 500 x 1000 1.09, 1.00, 1.01) */
            for (j = 0; j + 8 <= width; j += 8)
                SKP_SHRINK8(SKP_STORE_ALL);
        /* (the columns left one at a time, as skp_shrink_panel_f64: masked
         * loads that miss the cache took 1.3 times as long, on a last panel
         * of two columns down 100000 rows) */
        for (; j < width; j++)
            x[j] = isinf(taus[j]) ? 0.0 : skp_shrink_value(y[j], taus[j], 1);
    }
    if (stream) _mm_sfence();
#undef SKP_SHRINK8
#undef SKP_STORE_ALL
#undef SKP_STREAM_ALL
}

/* ------------------------------------------------ panels written in lines
 * A streamed panel's write where the destination's rows do not start on
 * cache lines (a width that is not a multiple of 64 bytes: most real data).
 * A panel of the columns first:stop then begins and ends inside a line of
 * each row, a line it shares with the panels beside it, and at another
 * offset in every row.  The panel writes' AVX2 loops (which took them)
 * write those lines' parts through the cache, a panel each, and a line
 * written in two visits goes to memory and back between them.  Here each
 * row's write is cut at the destination's lines instead (skp_line_span): a
 * panel writes from the line that holds its first column (that line's
 * first columns are the panel before's, whose taus are known by then) to
 * the line that holds the column after its last (left to the next panel),
 * so that every line but a row's first and last is streamed whole, in one
 * visit.  ``hi``, ``lo`` (float32) and ``taus``
 * (float64) are indexed by the matrix's columns, the panel before's
 * included; ``src`` and ``dst`` are the matrices' first values.  The
 * operations of skp_shrink_panel512_f32 and _f64 on every value, so the
 * same bits; ``dst`` aligned to its items.  (The lines a row's first and
 * last panels write through the cache, prefetched for writing 4 rows
 * ahead: issue 14, the Zen 4, 0.95-1.04 of the time on float32 and float64
 * 751 x 8790, 5000 x 3001, 20000 x 500 and 16384 x 1001; left out.) */
static inline void skp_line_span(const void* row, ptrdiff_t first, ptrdiff_t stop,
                                 ptrdiff_t n_cols, ptrdiff_t itemsize, ptrdiff_t* begin,
                                 ptrdiff_t* end) {
    const uintptr_t at = (uintptr_t) row;
    *begin = first == 0 ? 0
        : first - (ptrdiff_t) ((at + (uintptr_t) (first * itemsize)) % 64 / (uintptr_t) itemsize);
    *end = stop == n_cols ? n_cols
        : stop - (ptrdiff_t) ((at + (uintptr_t) (stop * itemsize)) % 64 / (uintptr_t) itemsize);
}

/* The row loop of the writes by lines (skp_shrink_lines512_f32, _f64 and
 * their AVX2 twins), in a function with their parameters: for each row,
 * the values before its first line (its first panel's: the line is shared
 * with the row before) by PART(at, n), the whole lines of LINE_VALUES
 * values by LINE(j) (streamed; y, x and ``ahead``, the read's prefetch
 * distance, in scope), the values after the last (its last panel's) by
 * PART; then one fence. */
#define SKP_LINES_ROWS(T, LINE_VALUES, LINE, PART)                                     \
    do {                                                                               \
        ptrdiff_t i_, j_, end_;                                                        \
        for (i_ = 0; i_ < n_rows; i_++) {                                              \
            const T* y = (const T*) ((const char*) src + i_ * src_stride);             \
            T* x = (T*) ((char*) dst + i_ * dst_stride);                               \
            const ptrdiff_t ahead = skp_write_ahead(i_, n_rows, src_stride, 1, next);  \
            if (next) skp_prefetch_next_rows(next, 1);                                 \
            skp_line_span(x, first, stop, n_cols, sizeof(T), &j_, &end_);              \
            if (j_ == 0) {                                                             \
                j_ = skp_line_head(x, sizeof(T));                                      \
                j_ = j_ < end_ ? j_ : end_;                                            \
                PART(0, j_);                                                           \
            }                                                                          \
            for (; j_ + (LINE_VALUES) <= end_; j_ += (LINE_VALUES)) LINE(j_);          \
            PART(j_, end_ - j_);                                                       \
            (void) ahead;                                                              \
        }                                                                              \
        _mm_sfence();                                                                  \
    } while (0)

SKP_AVX512 static void skp_shrink_lines512_f32(const float* src, ptrdiff_t src_stride,
                                               float* dst, ptrdiff_t dst_stride,
                                               ptrdiff_t n_rows, ptrdiff_t first,
                                               ptrdiff_t stop, ptrdiff_t n_cols,
                                               const float* hi, const float* lo,
                                               skp_next_panel* next) {
    const __m512 zero = _mm512_setzero_ps(), infinite = _mm512_set1_ps(INFINITY);
#define SKP_LINE16(j)                                                                  \
    do {                                                                               \
        const __m512 h_ = _mm512_loadu_ps(hi + (j));                                   \
        const __mmask16 kept_ = _mm512_cmp_ps_mask(h_, infinite, _CMP_NEQ_OQ);         \
        if (!kept_) { _mm512_stream_ps(x + (j), zero); break; }                        \
        if (ahead) _mm_prefetch((const char*) (y + (j)) + ahead, _MM_HINT_T0);         \
        _mm512_stream_ps(x + (j), skp_shrunk16_f32(_mm512_loadu_ps(y + (j)), h_,       \
                                                   _mm512_loadu_ps(lo + (j)), kept_)); \
    } while (0)
#define SKP_PART16(at, n)                                                              \
    do {                                                                               \
        if (n) skp_shrunk_some16_f32(y + (at), x + (at), hi + (at), lo + (at), (n));   \
    } while (0)
    SKP_LINES_ROWS(float, 16, SKP_LINE16, SKP_PART16);
#undef SKP_LINE16
#undef SKP_PART16
}

SKP_AVX512 static void skp_shrink_lines512_f64(const double* src, ptrdiff_t src_stride,
                                               double* dst, ptrdiff_t dst_stride,
                                               ptrdiff_t n_rows, ptrdiff_t first,
                                               ptrdiff_t stop, ptrdiff_t n_cols,
                                               const double* taus, skp_next_panel* next) {
    const __m512d zero = _mm512_setzero_pd(), infinite = _mm512_set1_pd(INFINITY);
#define SKP_LINE8(j)                                                                   \
    do {                                                                               \
        const __m512d t_ = _mm512_loadu_pd(taus + (j));                                \
        const __mmask8 kept_ = _mm512_cmp_pd_mask(t_, infinite, _CMP_NEQ_OQ);          \
        if (!kept_) { _mm512_stream_pd(x + (j), zero); break; }                        \
        if (ahead) _mm_prefetch((const char*) (y + (j)) + ahead, _MM_HINT_T0);         \
        _mm512_stream_pd(x + (j), skp_shrunk8_f64(_mm512_loadu_pd(y + (j)), t_, kept_)); \
    } while (0)
#define SKP_PART8(at, n)                                                               \
    do {                                                                               \
        const __mmask8 some_ = (__mmask8) ((1u << (n)) - 1);                           \
        const __m512d t_ = _mm512_maskz_loadu_pd(some_, taus + (at));                  \
        const __mmask8 kept_ = _mm512_mask_cmp_pd_mask(some_, t_, infinite, _CMP_NEQ_OQ); \
        if (n) _mm512_mask_storeu_pd(x + (at), some_, skp_shrunk8_f64(                 \
            _mm512_maskz_loadu_pd(kept_, y + (at)), t_, kept_));                       \
    } while (0)
    SKP_LINES_ROWS(double, 8, SKP_LINE8, SKP_PART8);
#undef SKP_LINE8
#undef SKP_PART8
}

/* skp_shrink_lines512_f32 and _f64 with AVX2 alone: a line by two vectors,
 * both streamed, so that it goes to memory whole; the values before a row's
 * first line and after its last by masked loads and plain stores of the
 * AVX2 panel write's operations (skp_panel_shrunk8_f32, _4_f64), so the
 * same bits as it.  A vector of zeroed columns is not read. */
SKP_AVX2 static void skp_shrink_lines256_f32(const float* src, ptrdiff_t src_stride, float* dst,
                                             ptrdiff_t dst_stride, ptrdiff_t n_rows,
                                             ptrdiff_t first, ptrdiff_t stop, ptrdiff_t n_cols,
                                             const float* hi, const float* lo,
                                             skp_next_panel* next) {
    const __m256 zero = _mm256_setzero_ps(), infinite = _mm256_set1_ps(INFINITY);
    ptrdiff_t k;
    __m256i some;
#define SKP_LINE8X2(j)   /* (a whole line: two vectors) */                             \
    for (k = (j); k < (j) + 16; k += 8) {                                              \
        __m256 r_, h_ = _mm256_loadu_ps(hi + k);                                       \
        if (_mm256_movemask_ps(_mm256_cmp_ps(h_, infinite, _CMP_EQ_OQ)) == 0xff)       \
            r_ = zero;   /* zeroed columns: not read */                                \
        else {                                                                         \
            if (ahead) _mm_prefetch((const char*) (y + k) + ahead, _MM_HINT_T0);       \
            r_ = skp_panel_shrunk8_f32(_mm256_loadu_ps(y + k), h_, _mm256_loadu_ps(lo + k)); \
        }                                                                              \
        _mm256_stream_ps(x + k, r_);                                                   \
    }
#define SKP_PART8(at, n)                                                               \
    for (k = 0; k < (n); k += 8) {                                                     \
        const ptrdiff_t c_ = (n) - k < 8 ? (n) - k : 8;                                \
        some = skp_first_lanes8(c_);                                                   \
        skp_store_first8(x + (at) + k, skp_panel_shrunk8_f32(                          \
            _mm256_maskload_ps(y + (at) + k, some), _mm256_maskload_ps(hi + (at) + k, some), \
            _mm256_maskload_ps(lo + (at) + k, some)), c_);                             \
    }
    SKP_LINES_ROWS(float, 16, SKP_LINE8X2, SKP_PART8);
#undef SKP_LINE8X2
#undef SKP_PART8
}

SKP_AVX2 static void skp_shrink_lines256_f64(const double* src, ptrdiff_t src_stride,
                                             double* dst, ptrdiff_t dst_stride, ptrdiff_t n_rows,
                                             ptrdiff_t first, ptrdiff_t stop, ptrdiff_t n_cols,
                                             const double* taus, skp_next_panel* next) {
    const __m256d zero = _mm256_setzero_pd(), infinite = _mm256_set1_pd(INFINITY);
    ptrdiff_t k;
    __m256i some;
#define SKP_LINE4X2(j)   /* (a whole line: two vectors) */                             \
    for (k = (j); k < (j) + 8; k += 4) {                                               \
        __m256d r_, t_ = _mm256_loadu_pd(taus + k);                                    \
        if (_mm256_movemask_pd(_mm256_cmp_pd(t_, infinite, _CMP_EQ_OQ)) == 0xf)        \
            r_ = zero;   /* zeroed columns: not read */                                \
        else {                                                                         \
            if (ahead) _mm_prefetch((const char*) (y + k) + ahead, _MM_HINT_T0);       \
            r_ = skp_panel_shrunk4_f64(_mm256_loadu_pd(y + k), t_);                    \
        }                                                                              \
        _mm256_stream_pd(x + k, r_);                                                   \
    }
#define SKP_PART4(at, n)                                                               \
    for (k = 0; k < (n); k += 4) {                                                     \
        const ptrdiff_t c_ = (n) - k < 4 ? (n) - k : 4;                                \
        some = skp_first_lanes4(c_);                                                   \
        skp_store_first4(x + (at) + k, skp_panel_shrunk4_f64(                          \
            _mm256_maskload_pd(y + (at) + k, some),                                    \
            _mm256_maskload_pd(taus + (at) + k, some)), c_);                           \
    }
    SKP_LINES_ROWS(double, 8, SKP_LINE4X2, SKP_PART4);
#undef SKP_LINE4X2
#undef SKP_PART4
}

SKP_AVX2 static inline void skp_shrink_panel_f32(const float* src, ptrdiff_t src_stride,
                                                 float* dst, ptrdiff_t dst_stride,
                                                 ptrdiff_t n_rows, ptrdiff_t width,
                                                 const double* taus, const float* hi,
                                                 const float* lo, int stream,
                                                 skp_next_panel* next) {
    const __m256 zero = _mm256_setzero_ps(), infinite = _mm256_set1_ps(INFINITY);
    const ptrdiff_t end = width - width % 8;
    ptrdiff_t i, j, head, stop;
    __m256i some;
    if (skp_avx512 && (!stream || ((uintptr_t) dst % 64 == 0 && dst_stride % 64 == 0))) {
        skp_shrink_panel512_f32(src, src_stride, dst, dst_stride, n_rows, width, hi, lo, stream,
                                next);
        return;
    }
#define SKP_MASKED8(at, k)                                                              \
    do {                                                                                \
        some = skp_first_lanes8(k);                                                     \
        skp_store_first8(x + (at), skp_panel_shrunk8_f32(                               \
            _mm256_maskload_ps(y + (at), some), _mm256_maskload_ps(hi + (at), some),    \
            _mm256_maskload_ps(lo + (at), some)), (k));                                 \
    } while (0)
    for (i = 0; i < n_rows; i++) {
        const float* y = (const float*) ((const char*) src + i * src_stride);
        float* x = (float*) ((char*) dst + i * dst_stride);
        int stream_row = stream;
        const ptrdiff_t ahead = skp_write_ahead(i, n_rows, src_stride, stream, next);
        if (next) skp_prefetch_next_rows(next, 1);
        j = skp_stream_start(x, end, 8, sizeof(float), &stream_row);
        stop = skp_stream_stop(x, end, sizeof(float), stream_row);
        for (head = 0; head < j; head += 8)   /* (see skp_stream_start) */
            SKP_MASKED8(head, j - head);
        for (; j + 8 <= end; j += 8) {
            __m256 r, h = _mm256_loadu_ps(hi + j);
            if (_mm256_movemask_ps(_mm256_cmp_ps(h, infinite, _CMP_EQ_OQ)) == 0xff)
                r = zero;   /* zeroed columns: not read */
            else {
                if (ahead) _mm_prefetch((const char*) (y + j) + ahead, _MM_HINT_T0);
                r = skp_panel_shrunk8_f32(_mm256_loadu_ps(y + j), h, _mm256_loadu_ps(lo + j));
            }
            if (j + 8 <= stop) _mm256_stream_ps(x + j, r);
            else _mm256_storeu_ps(x + j, r);
        }
        if (j < end) SKP_MASKED8(j, end - j);
        for (j = end; j < width; j++)
            x[j] = skp_shrink_two_floats(y[j], hi[j], lo[j]);
    }
#undef SKP_MASKED8
    if (stream) _mm_sfence();
}

SKP_AVX2 static inline void skp_shrink_panel_f64(const double* src, ptrdiff_t src_stride,
                                                 double* dst, ptrdiff_t dst_stride,
                                                 ptrdiff_t n_rows, ptrdiff_t width,
                                                 const double* taus, int stream,
                                                 skp_next_panel* next) {
    const __m256d zero = _mm256_setzero_pd(), infinite = _mm256_set1_pd(INFINITY);
    const ptrdiff_t end = width - width % 4;
    ptrdiff_t i, j, head, stop;
    __m256i some;
    if (skp_avx512 && next == NULL
            && (!stream || ((uintptr_t) dst % 64 == 0 && dst_stride % 64 == 0))) {
        skp_shrink_panel512_f64(src, src_stride, dst, dst_stride, n_rows, width, taus, stream);
        return;
    }
#define SKP_MASKED4(at, k)                                                              \
    do {                                                                                \
        some = skp_first_lanes4(k);                                                     \
        skp_store_first4(x + (at), skp_panel_shrunk4_f64(                               \
            _mm256_maskload_pd(y + (at), some), _mm256_maskload_pd(taus + (at), some)),  \
            (k));                                                                       \
    } while (0)
    for (i = 0; i < n_rows; i++) {
        const double* y = (const double*) ((const char*) src + i * src_stride);
        double* x = (double*) ((char*) dst + i * dst_stride);
        int stream_row = stream;
        const ptrdiff_t ahead = skp_write_ahead(i, n_rows, src_stride, stream, next);
        if (next) skp_prefetch_next_rows(next, 1);
        j = skp_stream_start(x, end, 4, sizeof(double), &stream_row);
        stop = skp_stream_stop(x, end, sizeof(double), stream_row);
        for (head = 0; head < j; head += 4)   /* (see skp_stream_start) */
            SKP_MASKED4(head, j - head);
        for (; j + 4 <= end; j += 4) {
            __m256d r, t = _mm256_loadu_pd(taus + j);
            if (_mm256_movemask_pd(_mm256_cmp_pd(t, infinite, _CMP_EQ_OQ)) == 0xf)
                r = zero;   /* zeroed columns: not read */
            else {
                if (ahead) _mm_prefetch((const char*) (y + j) + ahead, _MM_HINT_T0);
                r = skp_panel_shrunk4_f64(_mm256_loadu_pd(y + j), t);
            }
            if (j + 4 <= stop) _mm256_stream_pd(x + j, r);
            else _mm256_storeu_pd(x + j, r);
        }
        if (j < end) SKP_MASKED4(j, end - j);
        for (j = end; j < width; j++)
            x[j] = isinf(taus[j]) ? 0.0 : skp_shrink_value(y[j], taus[j], 1);
    }
#undef SKP_MASKED4
    if (stream) _mm_sfence();
}

/* ------------------------------------------------------ narrow columns' write
 * The n < SKP_NARROW_SHRINK_MOST columns of n_rows rows lying one after the
 * other in src and in dst, each soft-thresholded by its tau (+0 in a zeroed
 * column, an infinite tau), written as one run of vectors: each vector's
 * taus loaded from a pattern of the columns' taus over and over (n + LANES
 * of them) at the run's place among the columns, as skp_write_narrow512
 * clips; whole vectors from dst's first line on, streamed with ``stream``
 * (then fenced); the panel writes' operations on each value (skp_shrunk16_f32
 * against the two-float taus, skp_panel_shrunk8_f32, ...), so the same bits.
 * The panel write's vectors held a row's few values, a masked load and store
 * a row (issue 14, the Zen 4: half of bilevel_l11's call on float32
 * 100000 x 3 by columns).  Returns 0 (nothing written) where the columns do
 * not suit. */
#define SKP_NARROW_SHRINK_MOST 16
SKP_AVX512 static inline __attribute__((always_inline)) void skp_shrink_narrow512_f32_(
        const float* src, float* dst, ptrdiff_t total, ptrdiff_t n, const float* hi,
        const float* lo, const int stream) {
    const __m512 infinite = _mm512_set1_ps(INFINITY);
    const ptrdiff_t step = 16 % n;
    ptrdiff_t e = skp_line_head(dst, sizeof(float)), r;
    __m512 h, l;
    if (e > total) e = total;
    if (e) {
        const __mmask16 some = (__mmask16) ((1u << e) - 1u);
        h = _mm512_maskz_loadu_ps(some, hi);
        _mm512_mask_storeu_ps(dst, some, skp_shrunk16_f32(
            _mm512_maskz_loadu_ps(some, src), h, _mm512_maskz_loadu_ps(some, lo),
            _mm512_mask_cmp_ps_mask(some, h, infinite, _CMP_NEQ_OQ)));
    }
    for (r = e % n; e + 16 <= total; e += 16) {
        h = _mm512_loadu_ps(hi + r);
        l = _mm512_loadu_ps(lo + r);
        const __m512 x = skp_shrunk16_f32(_mm512_loadu_ps(src + e), h, l,
                                          _mm512_cmp_ps_mask(h, infinite, _CMP_NEQ_OQ));
        if (stream) _mm512_stream_ps(dst + e, x);
        else _mm512_storeu_ps(dst + e, x);
        r += step;
        if (r >= n) r -= n;
    }
    if (e < total) {
        const __mmask16 some = (__mmask16) ((1u << (total - e)) - 1u);
        h = _mm512_maskz_loadu_ps(some, hi + r);
        _mm512_mask_storeu_ps(dst + e, some, skp_shrunk16_f32(
            _mm512_maskz_loadu_ps(some, src + e), h, _mm512_maskz_loadu_ps(some, lo + r),
            _mm512_mask_cmp_ps_mask(some, h, infinite, _CMP_NEQ_OQ)));
    }
    if (stream) _mm_sfence();
}

SKP_AVX512 static inline __attribute__((always_inline)) void skp_shrink_narrow512_f64_(
        const double* src, double* dst, ptrdiff_t total, ptrdiff_t n, const double* taus,
        const int stream) {
    const __m512d infinite = _mm512_set1_pd(INFINITY), zero = _mm512_setzero_pd();
    const __m512i sign = _mm512_set1_epi64(INT64_MIN);
    const ptrdiff_t step = 8 % n;
    ptrdiff_t e = skp_line_head(dst, sizeof(double)), r;
#define SKP_SHRUNK8(v, t, kept) _mm512_castsi512_pd(_mm512_mask_ternarylogic_epi64(           \
        _mm512_castpd_si512(_mm512_max_pd(_mm512_sub_pd(_mm512_abs_pd(v), t), zero)), kept, \
        _mm512_castpd_si512(v), sign, 0xF8))
    if (e > total) e = total;
    if (e) {
        const __mmask8 some = (__mmask8) ((1u << e) - 1u);
        const __m512d t = _mm512_maskz_loadu_pd(some, taus), v = _mm512_maskz_loadu_pd(some, src);
        _mm512_mask_storeu_pd(dst, some, SKP_SHRUNK8(
            v, t, _mm512_mask_cmp_pd_mask(some, t, infinite, _CMP_NEQ_OQ)));
    }
    for (r = e % n; e + 8 <= total; e += 8) {
        const __m512d t = _mm512_loadu_pd(taus + r), v = _mm512_loadu_pd(src + e);
        const __m512d x = SKP_SHRUNK8(v, t, _mm512_cmp_pd_mask(t, infinite, _CMP_NEQ_OQ));
        if (stream) _mm512_stream_pd(dst + e, x);
        else _mm512_storeu_pd(dst + e, x);
        r += step;
        if (r >= n) r -= n;
    }
    if (e < total) {
        const __mmask8 some = (__mmask8) ((1u << (total - e)) - 1u);
        const __m512d t = _mm512_maskz_loadu_pd(some, taus + r);
        const __m512d v = _mm512_maskz_loadu_pd(some, src + e);
        _mm512_mask_storeu_pd(dst + e, some, SKP_SHRUNK8(
            v, t, _mm512_mask_cmp_pd_mask(some, t, infinite, _CMP_NEQ_OQ)));
    }
#undef SKP_SHRUNK8
    if (stream) _mm_sfence();
}

/* (each way inlined with ``stream`` a constant) */
SKP_AVX512 static void skp_shrink_narrow512_f32(const float* src, float* dst, ptrdiff_t total,
                                                ptrdiff_t n, const float* hi, const float* lo,
                                                int stream) {
    if (stream) skp_shrink_narrow512_f32_(src, dst, total, n, hi, lo, 1);
    else skp_shrink_narrow512_f32_(src, dst, total, n, hi, lo, 0);
}

SKP_AVX512 static void skp_shrink_narrow512_f64(const double* src, double* dst,
                                                ptrdiff_t total, ptrdiff_t n,
                                                const double* taus, int stream) {
    if (stream) skp_shrink_narrow512_f64_(src, dst, total, n, taus, 1);
    else skp_shrink_narrow512_f64_(src, dst, total, n, taus, 0);
}

/* (AVX2: the panel's vector operations, the last values one at a time) */
SKP_AVX2 static void skp_shrink_narrow256_f32(const float* src, float* dst, ptrdiff_t total,
                                              ptrdiff_t n, const float* hi, const float* lo) {
    const ptrdiff_t step = 8 % n;
    ptrdiff_t e, r = 0;
    for (e = 0; e + 8 <= total; e += 8) {
        _mm256_storeu_ps(dst + e, skp_panel_shrunk8_f32(_mm256_loadu_ps(src + e),
                                                        _mm256_loadu_ps(hi + r),
                                                        _mm256_loadu_ps(lo + r)));
        r += step;
        if (r >= n) r -= n;
    }
    for (; e < total; e++, r = r + 1 < n ? r + 1 : 0)
        dst[e] = skp_shrink_two_floats(src[e], hi[r], lo[r]);
}

SKP_AVX2 static void skp_shrink_narrow256_f64(const double* src, double* dst, ptrdiff_t total,
                                              ptrdiff_t n, const double* taus) {
    const ptrdiff_t step = 4 % n;
    ptrdiff_t e, r = 0;
    for (e = 0; e + 4 <= total; e += 4) {
        _mm256_storeu_pd(dst + e, skp_panel_shrunk4_f64(_mm256_loadu_pd(src + e),
                                                        _mm256_loadu_pd(taus + r)));
        r += step;
        if (r >= n) r -= n;
    }
    for (; e < total; e++, r = r + 1 < n ? r + 1 : 0)
        dst[e] = isinf(taus[r]) ? 0.0 : skp_shrink_value(src[e], taus[r], 1);
}

static inline int skp_shrink_narrow_f32(const float* src, float* dst, ptrdiff_t n_rows,
                                        ptrdiff_t n, const double* taus, int stream) {
    double pattern[SKP_NARROW_SHRINK_MOST + 16];
    float hi[SKP_NARROW_SHRINK_MOST + 16], lo[SKP_NARROW_SHRINK_MOST + 16];
    if (n < 1 || n >= SKP_NARROW_SHRINK_MOST || (uintptr_t) dst % sizeof(float)) return 0;
    SKP_REPEATED(pattern, taus, n, n + 16);
    skp_split_taus(pattern, n + 16, hi, lo);
    if (skp_avx512) skp_shrink_narrow512_f32(src, dst, n_rows * n, n, hi, lo, stream);
    else skp_shrink_narrow256_f32(src, dst, n_rows * n, n, hi, lo);
    return 1;
}

static inline int skp_shrink_narrow_f64(const double* src, double* dst, ptrdiff_t n_rows,
                                        ptrdiff_t n, const double* taus, int stream) {
    double pattern[SKP_NARROW_SHRINK_MOST + 8];
    if (n < 1 || n >= SKP_NARROW_SHRINK_MOST || (uintptr_t) dst % sizeof(double)) return 0;
    SKP_REPEATED(pattern, taus, n, n + 8);
    if (skp_avx512) skp_shrink_narrow512_f64(src, dst, n_rows * n, n, pattern, stream);
    else skp_shrink_narrow256_f64(src, dst, n_rows * n, n, pattern);
    return 1;
}

/* A streamed panel written in whole lines of its rows: the AVX-512 loops
 * where they run (float64 where no next panel is prefetched, as
 * skp_shrink_panel_f64 takes them), else the AVX2 ones; the same bits. */
static inline void skp_shrink_lines_f32(const float* src, ptrdiff_t src_stride, float* dst,
                                        ptrdiff_t dst_stride, ptrdiff_t n_rows, ptrdiff_t first,
                                        ptrdiff_t stop, ptrdiff_t n_cols, const float* hi,
                                        const float* lo, skp_next_panel* next) {
    if (skp_avx512)
        skp_shrink_lines512_f32(src, src_stride, dst, dst_stride, n_rows, first, stop, n_cols,
                                hi, lo, next);
    else
        skp_shrink_lines256_f32(src, src_stride, dst, dst_stride, n_rows, first, stop, n_cols,
                                hi, lo, next);
}

static inline void skp_shrink_lines_f64(const double* src, ptrdiff_t src_stride, double* dst,
                                        ptrdiff_t dst_stride, ptrdiff_t n_rows, ptrdiff_t first,
                                        ptrdiff_t stop, ptrdiff_t n_cols, const double* taus,
                                        skp_next_panel* next) {
    if (skp_avx512 && next == NULL)
        skp_shrink_lines512_f64(src, src_stride, dst, dst_stride, n_rows, first, stop, n_cols,
                                taus, next);
    else
        skp_shrink_lines256_f64(src, src_stride, dst, dst_stride, n_rows, first, stop, n_cols,
                                taus, next);
}

#include "_bilevel_short_simd.h"

/* skp_scale_row_plain_f32's products with AVX-512F, a cache line of dst a
 * store: the values before dst's first line and after its last whole one
 * by masked stores (NumPy's arrays start 16 bytes into a line, where every
 * other 64-byte store spanned two); with ``stream`` (a large result), the
 * lines by non-temporal stores, fenced by the caller.  Each product in
 * double, rounded once: the same bits. */
SKP_AVX512 static inline __m512 skp_scaled16(const float* src, __m512d factor,
                                             __mmask16 some) {
    const __m512 v = _mm512_maskz_loadu_ps(some, src);
    const __m256 low = _mm512_cvtpd_ps(_mm512_mul_pd(skp_low8_pd(v), factor));
    const __m256 high = _mm512_cvtpd_ps(_mm512_mul_pd(skp_high8_pd(v), factor));
    return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(low)),
                                               _mm256_castps_pd(high), 1));
}

SKP_AVX512 static void skp_scale_row512_f32(const float* src, float* dst, ptrdiff_t n,
                                            double factor, int stream) {
    const __m512d f = _mm512_set1_pd(factor);
    ptrdiff_t j = (uintptr_t) dst % sizeof(float) ? 0 : skp_line_head(dst, sizeof(float));
    __m512 x;
    if (j > n) j = n;
    if (j > 0) {
        const __mmask16 head = (__mmask16) ((1u << j) - 1);
        _mm512_mask_storeu_ps(dst, head, skp_scaled16(src, f, head));
    }
    stream = stream && (uintptr_t) (dst + j) % 64 == 0;
    for (; j + 16 <= n; j += 16) {
        x = skp_scaled16(src + j, f, (__mmask16) 0xffff);
        if (stream) _mm512_stream_ps(dst + j, x);
        else _mm512_storeu_ps(dst + j, x);
    }
    if (j < n) {
        const __mmask16 tail = (__mmask16) ((1u << (n - j)) - 1);
        _mm512_mask_storeu_ps(dst + j, tail, skp_scaled16(src + j, f, tail));
    }
}

SKP_SCALE_ROW(SKP_AVX2, skp_scale_row256_f32)

/* ``dst = src * factor`` rounded as skp_scale_row_plain_f32 (the l2 ball's
 * scale), by the AVX-512F loop (``stream``: see it) or the AVX2 one where
 * the caller's loops run (``simd``). */
static inline void skp_scale_row_f32(const float* src, float* dst, ptrdiff_t n, double factor,
                                     int simd, int stream) {
    if (simd && skp_avx512_enabled())
        skp_scale_row512_f32(src, dst, n, factor, stream);
    else if (simd && skp_have_avx2())
        skp_scale_row256_f32(src, dst, n, factor);
    else
        skp_scale_row_plain_f32(src, dst, n, factor);
}

#else  /* no AVX2 loops: the Cython loops run */

static inline int skp_avx512_enabled(void) { return 0; }
static inline void skp_scale_row_f32(const float* src, float* dst, ptrdiff_t n, double factor,
                                     int simd, int stream) {
    skp_scale_row_plain_f32(src, dst, n, factor);
}
/* (_bilevel_short_simd.h's) */
static inline int skp_shrink_narrow_f32(const float* src, float* dst, ptrdiff_t n_rows,
                                        ptrdiff_t n, const double* taus, int stream) {
    return 0;
}
static inline void skp_shrink_lines_f32(const float* src, ptrdiff_t src_stride, float* dst,
                                        ptrdiff_t dst_stride, ptrdiff_t n_rows, ptrdiff_t first,
                                        ptrdiff_t stop, ptrdiff_t n_cols, const float* hi,
                                        const float* lo, skp_next_panel* next) {}
static inline void skp_shrink_lines_f64(const double* src, ptrdiff_t src_stride, double* dst,
                                        ptrdiff_t dst_stride, ptrdiff_t n_rows, ptrdiff_t first,
                                        ptrdiff_t stop, ptrdiff_t n_cols, const double* taus,
                                        skp_next_panel* next) {}
static inline int skp_shrink_narrow_f64(const double* src, double* dst, ptrdiff_t n_rows,
                                        ptrdiff_t n, const double* taus, int stream) {
    return 0;
}
static inline void skp_short_columns_f32(const float* y, ptrdiff_t y_stride, float* x,
                                         ptrdiff_t x_stride, ptrdiff_t x_step, ptrdiff_t n_rows,
                                         ptrdiff_t n_cols, const double* radii) {}
static inline void skp_short_columns_f64(const double* y, ptrdiff_t y_stride, double* x,
                                         ptrdiff_t x_stride, ptrdiff_t x_step, ptrdiff_t n_rows,
                                         ptrdiff_t n_cols, const double* radii) {}
static inline void skp_short_rows_f32(const float* y, float* x, ptrdiff_t n_rows,
                                      ptrdiff_t n, const double* radii, double* taus) {}
static inline void skp_short_rows_f64(const double* y, double* x, ptrdiff_t n_rows,
                                      ptrdiff_t n, const double* radii, double* taus) {}
static inline ptrdiff_t skp_row_keep_above_f64(const double* src, ptrdiff_t n, double rho,
                                               double* dst, double* sum, int* done,
                                               ptrdiff_t ahead) {
    *done = 0;
    return 0;
}
static inline ptrdiff_t skp_row_keep_above_f32(const float* src, ptrdiff_t n, double rho,
                                               float* dst, double* sum, int* done,
                                               ptrdiff_t ahead) {
    *done = 0;
    return 0;
}

static inline double skp_short_threshold512_f64(const double* values, ptrdiff_t n,
                                                double total, double radius) {
    return 0.0;   /* (never called: skp_avx512_enabled() is 0) */
}
static inline ptrdiff_t skp_panel_candidates_f32(const float* base, ptrdiff_t row_stride,
                                                 ptrdiff_t n_rows, ptrdiff_t width, double floor,
                                                 const double* radii, float* lists,
                                                 ptrdiff_t capacity, ptrdiff_t* counts,
                                                 double* sums, float* floors, ptrdiff_t* lines,
                                                 ptrdiff_t start, int last) { return n_rows; }
static inline ptrdiff_t skp_panel_candidates_f64(const double* base, ptrdiff_t row_stride,
                                                 ptrdiff_t n_rows, ptrdiff_t width, double floor,
                                                 const double* radii, double* lists,
                                                 ptrdiff_t capacity, ptrdiff_t* counts,
                                                 double* sums, double* floors, ptrdiff_t* lines,
                                                 ptrdiff_t start, int last) { return n_rows; }
static inline void skp_panel_thresholds_f32(const float* base, ptrdiff_t row_stride,
                                            ptrdiff_t n_rows, ptrdiff_t width, double floor,
                                            const double* radii, double* taus,
                                            double* hint, float* packed, int pairs,
                                            int prefetch, const ptrdiff_t* next_lines,
                                            ptrdiff_t n_next) {}
static inline void skp_panel_project_f32(const float* base, ptrdiff_t row_stride,
                                         ptrdiff_t n_rows, ptrdiff_t width, double floor,
                                         const double* radii, double* taus, double* hint,
                                         float* packed, float* dst, ptrdiff_t dst_stride) {}
static inline void skp_pack_rows8_f32(const char* const* rows, ptrdiff_t length,
                                      float* packed) {}
static inline void skp_pack_rows16_f32(const char* const* rows, ptrdiff_t length,
                                       float* packed) {}
static inline void skp_pack_rows8_f64(const char* const* rows, ptrdiff_t length,
                                      double* packed) {}
static inline void skp_panel_thresholds_f64(const double* base, ptrdiff_t row_stride,
                                            ptrdiff_t n_rows, ptrdiff_t width, double floor,
                                            const double* radii, double* taus,
                                            double* hint) {}
static inline void skp_shrink_panel_f32(const float* src, ptrdiff_t src_stride, float* dst,
                                        ptrdiff_t dst_stride, ptrdiff_t n_rows, ptrdiff_t width,
                                        const double* taus, const float* hi, const float* lo,
                                        int stream, skp_next_panel* next) {}
static inline void skp_shrink_panel_f64(const double* src, ptrdiff_t src_stride, double* dst,
                                        ptrdiff_t dst_stride, ptrdiff_t n_rows, ptrdiff_t width,
                                        const double* taus, int stream,
                                        skp_next_panel* next) {}

#endif
#endif
