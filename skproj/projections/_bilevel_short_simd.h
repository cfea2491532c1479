/* bilevel_l11's short groups sorted in SIMD lanes (see _bilevel.pyx): columns of
 * at most SKP_SHORT_COLUMN_ROWS rows and short rows, their magnitudes sorted
 * by a sorting network (_sort_network.h), each group's tau read from its
 * sorted values, and the groups written, with AVX2 and AVX-512F.  Part of
 * _bilevel_simd.h, which includes it where its AVX2 loops compile (after the
 * helpers it uses) and holds its stubs for other compilers and CPUs.
 */
#ifndef SKPROJ_BILEVEL_SHORT_SIMD_H
#define SKPROJ_BILEVEL_SHORT_SIMD_H

/* ------------------------------------------------------ short columns in lanes
 * Columns of at most SKP_SHORT_COLUMN_ROWS rows (the coefficient matrices of
 * a few classes, where a panel's passes spent their time on the bookkeeping
 * between passes over a few rows): a vector of columns at a time, one
 * vector a row, as the rows lie (no transposition), each column's
 * magnitudes sorted across the rows' vectors (compare-exchanges lane by
 * lane: a sorting network, skp_sort_pairs), its tau from the sorted values
 * in double, then its rows written: one read of the columns and one write.
 * (Issue 14, 10000 columns at half the norm, single calls interleaved,
 * times a copy, this / the panels' passes, float32 then float64: 2 rows
 * 17.8 / 95.1 and 8.6 / 28.7; 5 rows 11.0 / 34.6 and 4.1 / 11.1; 8 rows
 * 8.5 / 18.2 and 4.5 / 8.4; 12 rows 8.2 / 12.2 and 5.0 / 6.6; 16 rows 9.7 /
 * 10.5 and 5.8 / 6.1, sorted by insertion, whose compare-exchanges grow as
 * the rows squared.  The network took an Intel Xeon's AVX2 loop on 16 x
 * 10000 from 15.4-16.4 to 11.7 copies in float32 and from 3.9-4.7 to 3.2
 * in float64, 12 x 10000 from 15.2 to 11.1 and 6.0 to 4.3; 2-5 rows even;
 * its AVX-512 loop on 16 x 10000 from 7.0-7.5 to 5.8-6.4 and 2.4 to
 * 1.9-2.1.) */
/* Four columns' taus from their magnitudes s[0 .. n - 1] (one vector a row,
 * sorted here, largest first) and their radii: Michelot's fixed point
 * tau = (s_1 + ... + s_k - r) / k for the largest k with s_k above it
 * (k s_k > s_1 + ... + s_k - r: one division, at the end; vdivpd was the
 * loop's bound), +inf where the radius is 0 (a zeroed column), at least 0.
 * (Inlined with ``n`` a constant: the vectors stay in registers.) */
SKP_AVX2 static inline __attribute__((always_inline)) __m256d skp_sorted_taus4(
        __m256d* s, const ptrdiff_t n, __m256d radius) {
    __m256d total, excess, count = _mm256_set1_pd(1.0);
    ptrdiff_t i;
    SKP_SORT_DESCENDING(s, n, _mm256_max_pd, _mm256_min_pd);
    total = s[0];
    excess = _mm256_sub_pd(total, radius);
#pragma GCC unroll 16
    for (i = 1; i < n; i++) {
        const __m256d k = _mm256_set1_pd((double) (i + 1));
        __m256d above, next;
        total = _mm256_add_pd(total, s[i]);
        next = _mm256_sub_pd(total, radius);
        above = _mm256_cmp_pd(_mm256_mul_pd(s[i], k), next, _CMP_GT_OQ);
        excess = _mm256_blendv_pd(excess, next, above);
        count = _mm256_blendv_pd(count, k, above);
    }
    return _mm256_max_pd(_mm256_blendv_pd(_mm256_div_pd(excess, count),
                                          _mm256_set1_pd(INFINITY),
                                          _mm256_cmp_pd(radius, _mm256_setzero_pd(), _CMP_EQ_OQ)),
                         _mm256_setzero_pd());
}

/* skp_split_taus on eight taus in two vectors. */
SKP_AVX2 static inline void skp_split_taus8(__m256d low, __m256d high, __m256* hi, __m256* lo) {
    const __m128 hi_low = _mm256_cvtpd_ps(low), hi_high = _mm256_cvtpd_ps(high);
    const __m256 rest = _mm256_set_m128(
        _mm256_cvtpd_ps(_mm256_sub_pd(high, _mm256_cvtps_pd(hi_high))),
        _mm256_cvtpd_ps(_mm256_sub_pd(low, _mm256_cvtps_pd(hi_low))));
    *hi = _mm256_set_m128(hi_high, hi_low);
    /* (an infinite tau's low part 0, not inf - inf) */
    *lo = _mm256_andnot_ps(_mm256_cmp_ps(*hi, _mm256_set1_ps(INFINITY), _CMP_EQ_OQ), rest);
}

/* A row's ``lanes`` results ``r`` into ``dst``, entries ``x_step`` apart: by
 * a plain store where they are a whole vector of contiguous entries, a
 * masked one where fewer, one at a time where strided (``some``: the
 * lanes' mask, a vector with AVX2, a mask register with AVX-512). */
#define SKP_SHORT_STORE(TARGET, NAME, T, VEC, W, MASK, STOREU, MASKSTORE)                   \
TARGET static inline void NAME(T* dst, ptrdiff_t x_step, ptrdiff_t lanes, MASK some, VEC r) { \
    T lane[W];                                                                              \
    ptrdiff_t j;                                                                            \
    if (x_step == 1 && lanes == W) {                                                        \
        STOREU(dst, r);                                                                     \
    } else if (x_step == 1) {                                                               \
        MASKSTORE(dst, some, r);                                                            \
    } else {                                                                                \
        STOREU(lane, r);                                                                    \
        for (j = 0; j < lanes; j++) dst[j * x_step] = lane[j];                              \
    }                                                                                       \
}
SKP_SHORT_STORE(SKP_AVX2, skp_short_store_f32, float, __m256, 8, __m256i, _mm256_storeu_ps,
                _mm256_maskstore_ps)
SKP_SHORT_STORE(SKP_AVX2, skp_short_store_f64, double, __m256d, 4, __m256i, _mm256_storeu_pd,
                _mm256_maskstore_pd)

/* Eight float32 columns c .. c + 7 of n rows (``lanes`` of them: a
 * partial vector by masked moves; whole ones without: AMD's masked stores
 * cost several times a store), as skp_short_columns_f32 takes them. */
#define SKP_SHORT_LOAD8(p) (lanes == 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps((p), some))
#define SKP_SHORT_LOAD4(p) (lanes == 4 ? _mm256_loadu_pd(p) : _mm256_maskload_pd((p), some))
SKP_AVX2 static inline __attribute__((always_inline)) void skp_short_block_f32(
        const float* y, ptrdiff_t y_stride, float* x, ptrdiff_t x_stride, ptrdiff_t x_step,
        const ptrdiff_t n, ptrdiff_t c, ptrdiff_t lanes, const double* radii) {
    const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    const __m256i some = skp_first_lanes8(lanes);
    __m256d s[SKP_SHORT_COLUMN_ROWS], taus[2];
    __m256 h, l;
    ptrdiff_t i;
    int half;
    for (half = 0; half < 2; half++) {   /* (columns c .. c + 3, then c + 4 .. c + 7) */
        for (i = 0; i < n; i++) {
            const __m256 a = _mm256_and_ps(
                SKP_SHORT_LOAD8((const float*) ((const char*) y + i * y_stride) + c),
                magnitude);
            s[i] = _mm256_cvtps_pd(half ? _mm256_extractf128_ps(a, 1)
                                        : _mm256_castps256_ps128(a));
        }
        taus[half] = skp_sorted_taus4(
            s, n, lanes == 8 ? _mm256_loadu_pd(radii + c + 4 * half)
                             : _mm256_maskload_pd(radii + c + 4 * half,
                                                  skp_first_lanes4(lanes - 4 * half)));
    }
    skp_split_taus8(taus[0], taus[1], &h, &l);
    for (i = 0; i < n; i++) {
        const float* src = (const float*) ((const char*) y + i * y_stride) + c;
        float* dst = (float*) ((char*) x + i * x_stride) + c * x_step;
        skp_short_store_f32(dst, x_step, lanes, some,
                            skp_panel_shrunk8_f32(SKP_SHORT_LOAD8(src), h, l));
    }
}

/* Four float64 columns c .. c + 3 of n rows. */
SKP_AVX2 static inline __attribute__((always_inline)) void skp_short_block_f64(
        const double* y, ptrdiff_t y_stride, double* x, ptrdiff_t x_stride, ptrdiff_t x_step,
        const ptrdiff_t n, ptrdiff_t c, ptrdiff_t lanes, const double* radii) {
    const __m256d magnitude = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
    const __m256i some = skp_first_lanes4(lanes);
    __m256d s[SKP_SHORT_COLUMN_ROWS], tau;
    ptrdiff_t i;
    for (i = 0; i < n; i++)
        s[i] = _mm256_and_pd(
            SKP_SHORT_LOAD4((const double*) ((const char*) y + i * y_stride) + c), magnitude);
    tau = skp_sorted_taus4(s, n, SKP_SHORT_LOAD4(radii + c));
    for (i = 0; i < n; i++) {
        const double* src = (const double*) ((const char*) y + i * y_stride) + c;
        double* dst = (double*) ((char*) x + i * x_stride) + c * x_step;
        skp_short_store_f64(dst, x_step, lanes, some,
                            skp_panel_shrunk4_f64(SKP_SHORT_LOAD4(src), tau));
    }
}

/* The same blocks with AVX-512F: sixteen float32 columns a block (their
 * magnitudes sorted in float, 16 lanes a compare-exchange, exact: the
 * conversion to double keeps the order), eight float64 ones; each half of
 * eight lanes takes skp_sorted_taus4's scan in double, the same operations
 * in the same order, and the rows are written with skp_shrunk16_f32's and
 * skp_shrink_panel512_f64's operations, which are the AVX2 loops': the same
 * taus and the same bits. */
/* skp_sorted_taus4's scan on eight lanes of magnitudes already sorted. */
SKP_AVX512 static inline __attribute__((always_inline)) __m512d skp_sorted_scan8(
        const __m512d* s, const ptrdiff_t n, __m512d radius) {
    __m512d total = s[0], excess = _mm512_sub_pd(s[0], radius);
    __m512d count = _mm512_set1_pd(1.0);
    ptrdiff_t i;
#pragma GCC unroll 16
    for (i = 1; i < n; i++) {
        const __m512d k = _mm512_set1_pd((double) (i + 1));
        __m512d next;
        __mmask8 above;
        total = _mm512_add_pd(total, s[i]);
        next = _mm512_sub_pd(total, radius);
        above = _mm512_cmp_pd_mask(_mm512_mul_pd(s[i], k), next, _CMP_GT_OQ);
        excess = _mm512_mask_mov_pd(excess, above, next);
        count = _mm512_mask_mov_pd(count, above, k);
    }
    return _mm512_max_pd(_mm512_mask_mov_pd(
        _mm512_div_pd(excess, count), _mm512_cmp_pd_mask(radius, _mm512_setzero_pd(), _CMP_EQ_OQ),
        _mm512_set1_pd(INFINITY)), _mm512_setzero_pd());
}

SKP_SHORT_STORE(SKP_AVX512, skp_short_store512_f32, float, __m512, 16, __mmask16,
                _mm512_storeu_ps, _mm512_mask_storeu_ps)
SKP_SHORT_STORE(SKP_AVX512, skp_short_store512_f64, double, __m512d, 8, __mmask8,
                _mm512_storeu_pd, _mm512_mask_storeu_pd)
#undef SKP_SHORT_STORE

/* (whole vectors by plain loads: see SKP_SHORT_LOAD8) */
#define SKP_SHORT_LOAD16(p) (lanes == 16 ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(some, (p)))
#define SKP_SHORT_LOAD8D(p) (lanes == 8 ? _mm512_loadu_pd(p) : _mm512_maskz_loadu_pd(some, (p)))

/* Sixteen float32 columns c .. c + 15 of n rows (``lanes`` of them). */
SKP_AVX512 static inline __attribute__((always_inline)) void skp_short_block512_f32(
        const float* y, ptrdiff_t y_stride, float* x, ptrdiff_t x_stride, ptrdiff_t x_step,
        const ptrdiff_t n, ptrdiff_t c, ptrdiff_t lanes, const double* radii) {
    const __mmask16 some = (__mmask16) (lanes >= 16 ? 0xffff : (1u << lanes) - 1);
    __m512 f[SKP_SHORT_COLUMN_ROWS], h;
    __m512d d[SKP_SHORT_COLUMN_ROWS], tau[2];
    __m256 high[2], low[2];
    __mmask16 kept;
    ptrdiff_t i;
    int half;
    for (i = 0; i < n; i++)
        f[i] = _mm512_abs_ps(SKP_SHORT_LOAD16((const float*) ((const char*) y + i * y_stride) + c));
    SKP_SORT_DESCENDING(f, n, _mm512_max_ps, _mm512_min_ps);
    for (half = 0; half < 2; half++) {   /* (columns c .. c + 7, then c + 8 .. c + 15) */
        for (i = 0; i < n; i++)
            d[i] = _mm512_cvtps_pd(half ? _mm256_castpd_ps(_mm512_extractf64x4_pd(
                                              _mm512_castps_pd(f[i]), 1))
                                        : _mm512_castps512_ps256(f[i]));
        tau[half] = skp_sorted_scan8(d, n, _mm512_maskz_loadu_pd((__mmask8) (some >> 8 * half),
                                                                  radii + c + 8 * half));
        /* (skp_split_taus8's halves; an infinite tau's low part 0) */
        high[half] = _mm512_cvtpd_ps(tau[half]);
        low[half] = _mm512_cvtpd_ps(_mm512_sub_pd(tau[half], _mm512_cvtps_pd(high[half])));
    }
    h = skp_join16(high[0], high[1]);
    kept = _mm512_cmp_ps_mask(h, _mm512_set1_ps(INFINITY), _CMP_NEQ_OQ);
    for (i = 0; i < n; i++) {
        const float* src = (const float*) ((const char*) y + i * y_stride) + c;
        float* dst = (float*) ((char*) x + i * x_stride) + c * x_step;
        skp_short_store512_f32(dst, x_step, lanes, some, skp_shrunk16_f32(
            SKP_SHORT_LOAD16(src), h, _mm512_maskz_mov_ps(kept, skp_join16(low[0], low[1])),
            kept));
    }
}

/* Eight float64 columns c .. c + 7 of n rows. */
SKP_AVX512 static inline __attribute__((always_inline)) void skp_short_block512_f64(
        const double* y, ptrdiff_t y_stride, double* x, ptrdiff_t x_stride, ptrdiff_t x_step,
        const ptrdiff_t n, ptrdiff_t c, ptrdiff_t lanes, const double* radii) {
    const __mmask8 some = (__mmask8) (lanes >= 8 ? 0xff : (1u << lanes) - 1);
    const __m512i sign = _mm512_set1_epi64(INT64_MIN);
    __m512d s[SKP_SHORT_COLUMN_ROWS], tau;
    __mmask8 kept;
    ptrdiff_t i;
    for (i = 0; i < n; i++)
        s[i] = _mm512_abs_pd(SKP_SHORT_LOAD8D((const double*) ((const char*) y + i * y_stride)
                                              + c));
    SKP_SORT_DESCENDING(s, n, _mm512_max_pd, _mm512_min_pd);
    tau = skp_sorted_scan8(s, n, _mm512_maskz_loadu_pd(some, radii + c));
    kept = _mm512_cmp_pd_mask(tau, _mm512_set1_pd(INFINITY), _CMP_NEQ_OQ);
    for (i = 0; i < n; i++) {
        const double* src = (const double*) ((const char*) y + i * y_stride) + c;
        double* dst = (double*) ((char*) x + i * x_stride) + c * x_step;
        const __m512d v = SKP_SHORT_LOAD8D(src);
        const __m512d r = _mm512_max_pd(_mm512_sub_pd(_mm512_abs_pd(v), tau),
                                        _mm512_setzero_pd());
        skp_short_store512_f64(dst, x_step, lanes, some, _mm512_castsi512_pd(
            _mm512_mask_ternarylogic_epi64(_mm512_castpd_si512(r), kept,
                                           _mm512_castpd_si512(v), sign, 0xF8)));
    }
}
#undef SKP_SHORT_LOAD16
#undef SKP_SHORT_LOAD8D

/* Project each column of ``y`` (``n_rows`` <= SKP_SHORT_COLUMN_ROWS rows,
 * contiguous, ``y_stride`` bytes apart) onto the l1 ball of its radius into
 * ``x`` (rows ``x_stride`` bytes apart, columns ``x_step`` entries; ``x`` may
 * be ``y``), a block of columns at a time (AVX2: eight float32 or four
 * float64 columns; AVX-512: sixteen or eight; the last ones masked), written
 * as skp_shrink_panel_f32/_f64 write them (float32's taus as two floats):
 * the same bits into any ``out``, with either loop.  One loop for each
 * number of rows. */
#define SKP_SHORT_COLUMNS(TARGET, NAME, BLOCK, T, W)                                        \
TARGET static void NAME(const T* y, ptrdiff_t y_stride, T* x, ptrdiff_t x_stride,           \
                        ptrdiff_t x_step, ptrdiff_t n_rows, ptrdiff_t n_cols,               \
                        const double* radii) {                                              \
    ptrdiff_t c;                                                                            \
    SKP_FOR_LENGTH(n_rows, SKP_SHORT_LOOP, BLOCK, W)                                        \
}
#define SKP_SHORT_LOOP(BLOCK, W, N)                                                         \
    for (c = 0; c + W <= n_cols; c += W)   /* (whole vectors: no masked moves) */          \
        BLOCK(y, y_stride, x, x_stride, x_step, N, c, W, radii);                            \
    if (c < n_cols)                                                                         \
        BLOCK(y, y_stride, x, x_stride, x_step, N, c, n_cols - c, radii)
SKP_SHORT_COLUMNS(SKP_AVX2, skp_short_columns256_f32, skp_short_block_f32, float, 8)
SKP_SHORT_COLUMNS(SKP_AVX2, skp_short_columns256_f64, skp_short_block_f64, double, 4)
SKP_SHORT_COLUMNS(SKP_AVX512, skp_short_columns512_f32, skp_short_block512_f32, float, 16)
SKP_SHORT_COLUMNS(SKP_AVX512, skp_short_columns512_f64, skp_short_block512_f64, double, 8)
#undef SKP_SHORT_COLUMNS
#undef SKP_SHORT_LOOP

/* ------------------------------------------------------ short rows in lanes
 * bilevel_l11's rows of at most 16 values lying one after the other (a
 * contiguous block), sixteen float32 (eight float64) rows at a time: each
 * column of the block in a vector, a row a lane (skp_short_rows_as_lanes16,
 * skp_short_rows_as_lanes8_f64), the lanes sorted
 * by the network and scanned as the short columns' (skp_sorted_scan8), the
 * taus into ``taus`` (+inf where the radius is 0, at least 0); then, where
 * ``x`` is given (a contiguous block too), the block written at once, a
 * vector of values at a time, the rows' taus spread to their values by a
 * permutation (as skp_shrunk16_f32 and skp_shrink_panel512_f64 shrink;
 * skp_row_spreads16 and 8, as skp_write_short_rows512 spreads its levels).
 * Where the panels' passes took eight rows a lane at a time and spent their
 * time between passes, and each row was written by a call of its own; and a
 * loop of its own for the write read the rows again (issue 14, an Intel
 * Xeon, float32 at half the norm, alternating processes, single calls
 * interleaved, times a copy: 5000 x 15 9.3-9.4 -> 8.7, 784 x 10 6.8-6.9 ->
 * 6.7, 10000 x 8 10.6-10.7 -> 10.5-10.6, 20000 x 3 even, 12.2-12.7). */
SKP_AVX512 static inline __attribute__((always_inline)) void skp_short_row_block_taus512_f32(
        const float* y, ptrdiff_t n_rows, ptrdiff_t r, const ptrdiff_t n, const double* radii,
        double* taus, __m512d* tau) {
    const __mmask16 some = skp_block_rows16(n_rows, r);
    __m512 f[SKP_SHORT_COLUMN_ROWS];
    __m512d d[SKP_SHORT_COLUMN_ROWS];
    ptrdiff_t j;
    int half;
    skp_short_rows_as_lanes16(y, n_rows, r, n, f);
    for (j = 0; j < n; j++) f[j] = _mm512_abs_ps(f[j]);
    SKP_SORT_DESCENDING(f, n, _mm512_max_ps, _mm512_min_ps);
    for (half = 0; half < 2; half++) {   /* (rows 0 .. 7 of the block, then 8 .. 15) */
        const __mmask8 lanes = (__mmask8) (some >> 8 * half);
        for (j = 0; j < n; j++)
            d[j] = _mm512_cvtps_pd(half ? _mm256_castpd_ps(_mm512_extractf64x4_pd(
                                              _mm512_castps_pd(f[j]), 1))
                                        : _mm512_castps512_ps256(f[j]));
        tau[half] = skp_sorted_scan8(d, n, _mm512_maskz_loadu_pd(lanes, radii + 8 * half));
        _mm512_mask_storeu_pd(taus + 8 * half, lanes, tau[half]);
    }
}

/* The block's rows (``some``) shrunk by their taus into ``x``: ``tau`` in
 * registers (loaded back from their masked stores, they would wait on the
 * stores: 20000 x 3 12.5 -> 13.8 times a copy). */
SKP_AVX512 static inline __attribute__((always_inline)) void skp_short_row_block_shrink512_f32(
        const float* y, float* x, __mmask16 some, const ptrdiff_t n, const __m512d* tau,
        const __m512i* spread) {
    const __m512 infinite = _mm512_set1_ps(INFINITY);
    const ptrdiff_t values = __builtin_popcount(some) * n;
    /* (skp_split_taus16's halves; an infinite tau's low part is masked off below) */
    const __m256 hi_low = _mm512_cvtpd_ps(tau[0]), hi_high = _mm512_cvtpd_ps(tau[1]);
    const __m512 hi = skp_join16(hi_low, hi_high);
    const __m512 lo = skp_join16(_mm512_cvtpd_ps(_mm512_sub_pd(tau[0], _mm512_cvtps_pd(hi_low))),
                                 _mm512_cvtpd_ps(_mm512_sub_pd(tau[1], _mm512_cvtps_pd(hi_high))));
    ptrdiff_t q;
    for (q = 0; 16 * q < values; q++) {
        const ptrdiff_t left = values - 16 * q;
        const __mmask16 inside = (__mmask16) (left >= 16 ? 0xffff : (1u << left) - 1);
        const __m512 h = _mm512_permutexvar_ps(spread[q], hi);
        const __mmask16 kept = _mm512_cmp_ps_mask(h, infinite, _CMP_NEQ_OQ);
        _mm512_mask_storeu_ps(x + 16 * q, inside, skp_shrunk16_f32(
            _mm512_maskz_loadu_ps(inside, y + 16 * q), h,
            _mm512_maskz_mov_ps(kept, _mm512_permutexvar_ps(spread[q], lo)), kept));
    }
}

SKP_AVX512 static inline __attribute__((always_inline)) void skp_short_rows512_f32_(
        const float* y, float* x, ptrdiff_t n_rows, const ptrdiff_t n, const double* radii,
        double* taus) {
    __m512i spread[16];
    __m512d tau[2], next[2];
    ptrdiff_t r;
    if (!x) {
        for (r = 0; r < n_rows; r += 16)
            skp_short_row_block_taus512_f32(y, n_rows, r, n, radii + r, taus + r, tau);
        return;
    }
    skp_row_spreads16(n, spread);
    /* (each block written after the next one's taus are found: the chain of
     * a block's taus and write, one after the other, left the next block's
     * gathers waiting, 20000 x 3 slower than by two loops) */
    skp_short_row_block_taus512_f32(y, n_rows, 0, n, radii, taus, tau);
    for (r = 16; r < n_rows; r += 16) {
        skp_short_row_block_taus512_f32(y, n_rows, r, n, radii + r, taus + r, next);
        skp_short_row_block_shrink512_f32(y + (r - 16) * n, x + (r - 16) * n, 0xffff, n, tau,
                                          spread);
        tau[0] = next[0];
        tau[1] = next[1];
    }
    skp_short_row_block_shrink512_f32(y + (r - 16) * n, x + (r - 16) * n,
                                      skp_block_rows16(n_rows, r - 16), n, tau, spread);
}

/* Eight float64 rows from row r (``some`` of them), as the float32 loops. */
SKP_AVX512 static inline __attribute__((always_inline)) __m512d skp_short_row_block_taus512_f64(
        const double* y, ptrdiff_t n_rows, ptrdiff_t r, __mmask8 some, const ptrdiff_t n,
        const double* radii, double* taus) {
    __m512d s[SKP_SHORT_COLUMN_ROWS], tau;
    ptrdiff_t j;
    skp_short_rows_as_lanes8_f64(y, n_rows, r, n, s);
    for (j = 0; j < n; j++) s[j] = _mm512_abs_pd(s[j]);
    SKP_SORT_DESCENDING(s, n, _mm512_max_pd, _mm512_min_pd);
    tau = skp_sorted_scan8(s, n, _mm512_maskz_loadu_pd(some, radii));
    _mm512_mask_storeu_pd(taus, some, tau);
    return tau;
}

SKP_AVX512 static inline __attribute__((always_inline)) void skp_short_row_block_shrink512_f64(
        const double* y, double* x, __mmask8 some, const ptrdiff_t n, __m512d tau,
        const __m512i* spread) {
    const __m512d infinite = _mm512_set1_pd(INFINITY), zero = _mm512_setzero_pd();
    const __m512i sign = _mm512_set1_epi64(INT64_MIN);
    const ptrdiff_t values = __builtin_popcount(some) * n;
    ptrdiff_t q;
    for (q = 0; 8 * q < values; q++) {
        const ptrdiff_t left = values - 8 * q;
        const __mmask8 inside = (__mmask8) (left >= 8 ? 0xff : (1u << left) - 1);
        const __m512d t = _mm512_permutexvar_pd(spread[q], tau);
        const __mmask8 kept = _mm512_cmp_pd_mask(t, infinite, _CMP_NEQ_OQ);
        const __m512d v = _mm512_maskz_loadu_pd(inside, y + 8 * q);
        const __m512d shrunk = _mm512_max_pd(_mm512_sub_pd(_mm512_abs_pd(v), t), zero);
        _mm512_mask_storeu_pd(x + 8 * q, inside, _mm512_castsi512_pd(
            _mm512_mask_ternarylogic_epi64(_mm512_castpd_si512(shrunk), kept,
                                           _mm512_castpd_si512(v), sign, 0xF8)));
    }
}

SKP_AVX512 static inline __attribute__((always_inline)) void skp_short_rows512_f64_(
        const double* y, double* x, ptrdiff_t n_rows, const ptrdiff_t n, const double* radii,
        double* taus) {
    __m512i spread[16];
    __m512d tau, next;
    ptrdiff_t r;
#define SKP_ROWS8(r) ((__mmask8) (n_rows - (r) >= 8 ? 0xff : (1u << (n_rows - (r))) - 1))
    if (!x) {
        for (r = 0; r < n_rows; r += 8)
            skp_short_row_block_taus512_f64(y, n_rows, r, SKP_ROWS8(r), n, radii + r, taus + r);
        return;
    }
    skp_row_spreads8(n, spread);
    /* (as the float32 loop, a block written after the next one's taus) */
    tau = skp_short_row_block_taus512_f64(y, n_rows, 0, SKP_ROWS8(0), n, radii, taus);
    for (r = 8; r < n_rows; r += 8) {
        next = skp_short_row_block_taus512_f64(y, n_rows, r, SKP_ROWS8(r), n, radii + r,
                                               taus + r);
        skp_short_row_block_shrink512_f64(y + (r - 8) * n, x + (r - 8) * n, 0xff, n, tau, spread);
        tau = next;
    }
    skp_short_row_block_shrink512_f64(y + (r - 8) * n, x + (r - 8) * n, SKP_ROWS8(r - 8), n, tau,
                                      spread);
#undef SKP_ROWS8
}

/* Every row's tau into ``taus``, and the rows written into ``x`` unless it
 * is NULL (see above): each entry (skp_short_rows512_f32, ...,
 * skp_short_rows256_f64) calls its loop with the row length ``n`` a
 * constant. */
#define SKP_SHORT_ROWS(LOOP, UNUSED, N) LOOP(y, x, n_rows, N, radii, taus)
#define SKP_SHORT_ROWS_ENTRY(TARGET, NAME, T)                                                 \
TARGET static void NAME(const T* y, T* x, ptrdiff_t n_rows, ptrdiff_t n, const double* radii, \
                        double* taus) {                                                       \
    SKP_FOR_LENGTH(n, SKP_SHORT_ROWS, NAME##_, _)                                             \
}
SKP_SHORT_ROWS_ENTRY(SKP_AVX512, skp_short_rows512_f32, float)
SKP_SHORT_ROWS_ENTRY(SKP_AVX512, skp_short_rows512_f64, double)

/* The short rows with AVX2: eight float32 rows (four float64 ones) a block,
 * entry j of each row a lane (the block's rows loaded whole and transposed
 * where those loads stay inside the matrix, else gathered), each half of
 * four rows' taus by skp_sorted_taus4 (the AVX-512 loops' sort and scan:
 * the same taus), the block written a vector of its values at a time, each
 * value's row's tau moved into its lane (skp_row_spreads256's indices, made
 * once a call), with skp_panel_shrunk8_f32's and skp_panel_shrunk4_f64's
 * operations (the AVX-512 loops' bits); whole vectors by plain loads and
 * stores, masked ones only at the end (AMD's masked stores before Zen 4 are
 * microcoded: issue 14, a Zen 3, single calls interleaved, bilevel_l11 by
 * rows at half the norm, times a copy, masked / plain: float32 10000 x 8
 * 16.8 / 13.2, 10000 x 16 14.5 / 10.3, 5000 x 10 18.1 / 14.7). */
SKP_AVX2 static inline __attribute__((always_inline)) void skp_short_rows256_f32_(
        const float* y, float* x, ptrdiff_t n_rows, const ptrdiff_t n, const double* radii,
        double* taus) {
    const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256 f[SKP_SHORT_COLUMN_ROWS], h, l;
    __m256d s[SKP_SHORT_COLUMN_ROWS], tau[2];
    __m256i spread[SKP_SHORT_COLUMN_ROWS];
    ptrdiff_t r, j, q;
    int half;
    if (x) skp_row_spreads256(n, 8, spread);
    for (r = 0; r < n_rows; r += 8) {
        const ptrdiff_t rows = n_rows - r < 8 ? n_rows - r : 8;
        const float* block = y + r * n;
        skp_short_rows_as_lanes8(y, n_rows, r, n, f);
        for (half = 0; half < 2; half++) {   /* (rows 0 .. 3 of the block, then 4 .. 7) */
            for (j = 0; j < n; j++) {
                const __m256 a = _mm256_and_ps(f[j], magnitude);
                s[j] = _mm256_cvtps_pd(half ? _mm256_extractf128_ps(a, 1)
                                            : _mm256_castps256_ps128(a));
            }
            tau[half] = skp_sorted_taus4(s, n, _mm256_maskload_pd(
                radii + r + 4 * half, skp_first_lanes4(rows - 4 * half)));
            if (rows == 8) _mm256_storeu_pd(taus + r + 4 * half, tau[half]);
            else _mm256_maskstore_pd(taus + r + 4 * half, skp_first_lanes4(rows - 4 * half),
                                     tau[half]);
        }
        if (!x) continue;
        skp_split_taus8(tau[0], tau[1], &h, &l);
        for (q = 0; 8 * q < rows * n; q++) {
            const __m256i inside = skp_first_lanes8(rows * n - 8 * q);
            const int whole = rows * n - 8 * q >= 8;   /* (see skp_short_block_f32) */
            const __m256 r8 = skp_panel_shrunk8_f32(
                whole ? _mm256_loadu_ps(block + 8 * q) : _mm256_maskload_ps(block + 8 * q, inside),
                _mm256_permutevar8x32_ps(h, spread[q]), _mm256_permutevar8x32_ps(l, spread[q]));
            if (whole) _mm256_storeu_ps(x + r * n + 8 * q, r8);
            else _mm256_maskstore_ps(x + r * n + 8 * q, inside, r8);
        }
    }
}

SKP_AVX2 static inline __attribute__((always_inline)) void skp_short_rows256_f64_(
        const double* y, double* x, ptrdiff_t n_rows, const ptrdiff_t n, const double* radii,
        double* taus) {
    const __m256d magnitude = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
    const __m128i first = _mm_mullo_epi32(_mm_setr_epi32(0, 1, 2, 3), _mm_set1_epi32((int) n));
    __m256d s[SKP_SHORT_COLUMN_ROWS], tau;
    __m256i spread[SKP_SHORT_COLUMN_ROWS];
    ptrdiff_t r, j, q;
    if (x) skp_row_spreads256(n, 4, spread);
    for (r = 0; r < n_rows; r += 4) {
        const ptrdiff_t rows = n_rows - r < 4 ? n_rows - r : 4;
        const __m256i some = skp_first_lanes4(rows);
        const double* block = y + r * n;
        if ((r + 3) * n + (n + 3) / 4 * 4 <= n_rows * n) {
            for (j = 0; j < n; j += 4)
                skp_load_transposed4_f64(block + j, n * (ptrdiff_t) sizeof(double), s + j);
        } else {
            for (j = 0; j < n; j++)
                s[j] = _mm256_mask_i32gather_pd(
                    _mm256_setzero_pd(), block, _mm_add_epi32(first, _mm_set1_epi32((int) j)),
                    _mm256_castsi256_pd(some), 8);
        }
        for (j = 0; j < n; j++) s[j] = _mm256_and_pd(magnitude, s[j]);
        tau = skp_sorted_taus4(s, n, _mm256_maskload_pd(radii + r, some));
        if (rows == 4) _mm256_storeu_pd(taus + r, tau);
        else _mm256_maskstore_pd(taus + r, some, tau);
        if (!x) continue;
        for (q = 0; 4 * q < rows * n; q++) {
            const __m256i inside = skp_first_lanes4(rows * n - 4 * q);
            const int whole = rows * n - 4 * q >= 4;
            const __m256d r4 = skp_panel_shrunk4_f64(
                whole ? _mm256_loadu_pd(block + 4 * q) : _mm256_maskload_pd(block + 4 * q, inside),
                _mm256_castps_pd(_mm256_permutevar8x32_ps(_mm256_castpd_ps(tau), spread[q])));
            if (whole) _mm256_storeu_pd(x + r * n + 4 * q, r4);
            else _mm256_maskstore_pd(x + r * n + 4 * q, inside, r4);
        }
    }
}

SKP_SHORT_ROWS_ENTRY(SKP_AVX2, skp_short_rows256_f32, float)
SKP_SHORT_ROWS_ENTRY(SKP_AVX2, skp_short_rows256_f64, double)
#undef SKP_SHORT_ROWS_ENTRY
#undef SKP_SHORT_ROWS

/* Every short row's tau into ``taus``, and the rows written into ``x``
 * unless it is NULL: the AVX-512F loops where they run, else AVX2's. */
static inline void skp_short_rows_f32(const float* y, float* x, ptrdiff_t n_rows, ptrdiff_t n,
                                      const double* radii, double* taus) {
    if (skp_avx512)
        skp_short_rows512_f32(y, x, n_rows, n, radii, taus);
    else
        skp_short_rows256_f32(y, x, n_rows, n, radii, taus);
}

static inline void skp_short_rows_f64(const double* y, double* x, ptrdiff_t n_rows, ptrdiff_t n,
                                      const double* radii, double* taus) {
    if (skp_avx512)
        skp_short_rows512_f64(y, x, n_rows, n, radii, taus);
    else
        skp_short_rows256_f64(y, x, n_rows, n, radii, taus);
}

static inline void skp_short_columns_f32(const float* y, ptrdiff_t y_stride, float* x,
                                         ptrdiff_t x_stride, ptrdiff_t x_step, ptrdiff_t n_rows,
                                         ptrdiff_t n_cols, const double* radii) {
    if (skp_avx512)
        skp_short_columns512_f32(y, y_stride, x, x_stride, x_step, n_rows, n_cols, radii);
    else
        skp_short_columns256_f32(y, y_stride, x, x_stride, x_step, n_rows, n_cols, radii);
}

static inline void skp_short_columns_f64(const double* y, ptrdiff_t y_stride, double* x,
                                         ptrdiff_t x_stride, ptrdiff_t x_step, ptrdiff_t n_rows,
                                         ptrdiff_t n_cols, const double* radii) {
    if (skp_avx512)
        skp_short_columns512_f64(y, y_stride, x, x_stride, x_step, n_rows, n_cols, radii);
    else
        skp_short_columns256_f64(y, y_stride, x, x_stride, x_step, n_rows, n_cols, radii);
}
#undef SKP_SHORT_LOAD8
#undef SKP_SHORT_LOAD4

#endif
