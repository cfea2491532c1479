/* The streaming loops over a matrix's rows that every matrix kernel shares
 * (see _streaming.pxd): the norms of its groups (folds of the rows into
 * column norms, row norms, maxima) and the bi-level write pass (rows clipped
 * to their groups' levels or rescaled).  Like the loops of _l1_simd.h, whose
 * helpers they use (the CPU switches, the lines' heads, the streamed stores'
 * bounds), they are compiled with per-function target attributes and chosen
 * at run time (no -march); elsewhere the stubs below return 0 and the Cython
 * loops run.
 */
#ifndef SKPROJ_STREAMING_SIMD_H
#define SKPROJ_STREAMING_SIMD_H

#include "_l1_simd.h"

/* The sum of the group norms, in SKP_NORM_CHAINS chains: value i added to
 * chain i % SKP_NORM_CHAINS in order, then the chains' upper halves into
 * their lower halves (chain c + w into chain c, w = 16, 8, 4, 2, 1), so that
 * every loop that takes it (skp_norms_sum512, skp_norms_sum256, this one)
 * gives the same bits.  Four chains, a value in turn, had waited on their
 * additions: 20000 norms took some 4 us (issue 14, the AMD Zen 4; bilevel_l11
 * and bilevel_l1inf on float32 20000 x 3 by rows spent a tenth of their
 * time in it). */
#define SKP_NORM_CHAINS 32
static inline double skp_norms_sum_portable(const double* values, ptrdiff_t n) {
    double chain[SKP_NORM_CHAINS] = {0.0};
    ptrdiff_t i;
    int c, w;
    for (i = 0; i < n; i++) chain[i % SKP_NORM_CHAINS] += values[i];
    for (w = SKP_NORM_CHAINS / 2; w >= 1; w /= 2)
        for (c = 0; c < w; c++) chain[c] += chain[c + w];
    return chain[0];
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))

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

/* The maxima of the magnitudes of n_rows rows of n values (``row_stride``
 * in bytes) with AVX-512F, LANES rows at a time: each row's vectors folded
 * into one (its last vector under a mask), then the LANES rows' vectors
 * reduced together in log2(LANES) steps, each pairing the vectors two by
 * two and taking the maximum of their lanes' halves (two permutes and a
 * maximum: lanes k of step w's result take the rows' lanes lo(k) and lo(k) +
 * w / 2 of the pair), so that row r's maximum ends in lane r.  The maxima of
 * the magnitudes' bit patterns (NaN the largest), as the row loops take
 * them, hence their maxima; returns 0 where a row holds NaN (the portable
 * loops recompute).  A row at a time, each row's horizontal maximum and
 * NaN test cost more than its loads on short rows, and rows of fewer than 16
 * values, a row a lane (skp_short_row_norms512_f32, _f64), their
 * transposition (issue 14, the Zen 4, the row maxima, this / those, float32:
 * 4000 x 20 0.51, 4000 x 40 0.79, digits' 1797 x 64 0.82, 1000 x 100 0.93,
 * 800 x 128 1.03 and 600 x 160 1.06 (hence the most), 5000 x 12 0.65, 4000
 * x 8 0.88, 3000 x 5 0.93, 10000 x 3 0.96, 5000 x 2 0.99 and 10000 x 1 1.02
 * (hence the least); float64: 4000 x 20 0.85, 4000 x 40 0.91, 2000 x 15
 * 0.58, 4000 x 8 0.63, 10000 x 3 0.89, 10000 x 1 1.05). */
#define SKP_ROW_MAXIMA_TREE_LEAST 3
/* Contiguous rows of up to these many values, which the short rows' lanes
 * take by permutes (skp_short_rows_permuted16, _permuted8_f64 in
 * _transpose_simd.h), have their maxima taken there rather than by the tree
 * (issue 14, the Zen 4, bilevel_l1inf by rows at half the norm, the lanes /
 * the tree: float32 20007 x 3 0.74-0.77, 15007 x 4 0.80-0.81, 12007 x 5
 * 0.85-0.87, 10007 x 6 0.92-0.93, but 8578 x 7 1.01, 7507 x 8 1.11 and
 * 6007 x 10 1.23; float64 20007 x 3 0.82-0.84, 15007 x 4 0.88-0.89,
 * 12007 x 5 0.97). */
#define SKP_PERMUTED_MAXIMA_MOST_F32 6
#define SKP_PERMUTED_MAXIMA_MOST_F64 4
#define SKP_ROW_MAXIMA_TREE_MOST_F32 128
/* The permutes' indices of a reduction of ``lanes`` (16: 32-bit lanes, 8:
 * 64-bit) rows' vectors, a row a vector, into one vector, a row a lane:
 * step s (w = lanes >> s lanes a row) pairs two vectors of lanes / w rows
 * each; lane k of its result takes lanes low[s](k) and high[s](k) = low[s](k)
 * + w / 2 of the pair (the first vector's lanes 0 to lanes - 1, the
 * second's lanes to 2 lanes - 1): row k / (w / 2) of the pair (the first
 * vector's rows, then the second's), its lanes p and p + w / 2, p = k % (w /
 * 2).  Hence rows in order, and each step adds (or takes the maximum of) a
 * row's halves. */
SKP_AVX512 static inline void skp_tree_indices512(const int lanes, __m512i* low,
                                                  __m512i* high) {
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    int step, w;
    for (step = 0, w = lanes; w >= 2; step++, w /= 2) {
        const __m512i part = _mm512_set1_epi32(w / 2 - 1);
        low[step] = _mm512_or_si512(_mm512_and_si512(lane, part),
                                    _mm512_slli_epi32(_mm512_andnot_si512(part, lane), 1));
        high[step] = _mm512_add_epi32(low[step], _mm512_set1_epi32(w / 2));
        if (lanes == 8) {   /* (as 64-bit lanes' indices) */
            low[step] = _mm512_cvtepi32_epi64(_mm512_castsi512_si256(low[step]));
            high[step] = _mm512_cvtepi32_epi64(_mm512_castsi512_si256(high[step]));
        }
    }
}

#define SKP_ROW_MAXIMA_TREE512(SUFFIX, T, LANES, STEPS, MASK, EPI, EPU, MAGNITUDE)       \
SKP_AVX512 static int skp_row_maxima_tree512_##SUFFIX(const T* base, ptrdiff_t row_stride, \
                                                       ptrdiff_t n_rows, ptrdiff_t n,     \
                                                       double* norms) {                   \
    const __m512i magnitude = MAGNITUDE;                                                  \
    const ptrdiff_t whole = (n - 1) / (LANES) * (LANES);   /* the last vector's start */  \
    const MASK last = (MASK) ((n - whole == (LANES) ? 0u : 1u << (n - whole)) - 1u);      \
    __m512i low[STEPS], high[STEPS], v[LANES];                                            \
    MASK nan = 0;                                                                         \
    ptrdiff_t i, j;                                                                       \
    int r, step, w;                                                                       \
    skp_tree_indices512(LANES, low, high);                                                \
    /* (the loops over the rows innermost and unrolled: the vectors in registers) */      \
    for (i = 0; i < n_rows; i += (LANES)) {                                               \
        const int count = n_rows - i < (LANES) ? (int) (n_rows - i) : (LANES);            \
        const char* rows = (const char*) base + i * row_stride;                           \
        _Pragma("GCC unroll 16")                                                          \
        for (r = 0; r < (LANES); r++)                                                     \
            v[r] = r < count ? _mm512_and_si512(magnitude, _mm512_maskz_loadu_##EPI(      \
                last, (const T*) (rows + r * row_stride) + whole)) : _mm512_setzero_si512(); \
        for (j = 0; j < whole; j += (LANES)) {                                            \
            _Pragma("GCC unroll 16")                                                      \
            for (r = 0; r < (LANES); r++)                                                 \
                if (r < count)                                                            \
                    v[r] = _mm512_max_##EPU(v[r], _mm512_and_si512(magnitude,             \
                        _mm512_loadu_si512((const T*) (rows + r * row_stride) + j)));     \
        }                                                                                 \
        for (step = 0, w = (LANES); w >= 2; step++, w /= 2)                               \
            _Pragma("GCC unroll 8")                                                       \
            for (r = 0; r < w / 2; r++)                                                   \
                v[r] = _mm512_max_##EPU(                                                  \
                    _mm512_permutex2var_##EPI(v[2 * r], low[step], v[2 * r + 1]),         \
                    _mm512_permutex2var_##EPI(v[2 * r], high[step], v[2 * r + 1]));       \
        SKP_STORE_MAXIMA_##SUFFIX(norms + i, count, v[0], nan);                           \
    }                                                                                     \
    return !nan;                                                                          \
}
#define SKP_STORE_MAXIMA_f32(to, count, bits, nan) do {                                   \
        const __m512 top_ = _mm512_castsi512_ps(bits);                                    \
        const __mmask16 rows_ = (__mmask16) ((count == 16 ? 0u : 1u << count) - 1u);      \
        nan |= _mm512_mask_cmp_ps_mask(rows_, top_, top_, _CMP_UNORD_Q);                  \
        _mm512_mask_storeu_pd(to, (__mmask8) rows_, skp_low8_pd(top_));                   \
        _mm512_mask_storeu_pd(to + 8, (__mmask8) (rows_ >> 8), skp_high8_pd(top_));       \
    } while (0)
#define SKP_STORE_MAXIMA_f64(to, count, bits, nan) do {                                   \
        const __m512d top_ = _mm512_castsi512_pd(bits);                                   \
        const __mmask8 rows_ = (__mmask8) ((count == 8 ? 0u : 1u << count) - 1u);         \
        nan |= _mm512_mask_cmp_pd_mask(rows_, top_, top_, _CMP_UNORD_Q);                  \
        _mm512_mask_storeu_pd(to, rows_, top_);                                           \
    } while (0)
SKP_ROW_MAXIMA_TREE512(f32, float, 16, 4, __mmask16, epi32, epu32, _mm512_set1_epi32(0x7fffffff))
SKP_ROW_MAXIMA_TREE512(f64, double, 8, 3, __mmask8, epi64, epu64, _mm512_set1_epi64(INT64_MAX))
#undef SKP_ROW_MAXIMA_TREE512
#undef SKP_STORE_MAXIMA_f32
#undef SKP_STORE_MAXIMA_f64

/* skp_row_maxima_tree512_f32 with AVX2: eight rows at a time, their vectors
 * of 8 reduced in three steps (halves of 128 bits, then pairs and single
 * lanes within them, the rows' order then restored by one permute); the
 * maxima of the magnitudes' bit patterns, hence the row loop's maxima;
 * returns 0 where a row holds NaN.  Issue 14, the Zen 4 with AVX2 alone,
 * the row maxima, this / the row loop (from 16 values; below, the short
 * rows' skp_short_row_norms256_f32): 4000 x 9, 10, 11 0.49-0.56 of the
 * time, 5000 x 12 0.86, 4000 x 20 0.55, 4000 x 40 0.73, 4000 x 48 0.92,
 * 3000 x 56 0.85; but 1797 x 64 1.07, and the short rows' 4000 x 8 1.27
 * and 4000 x 3 1.44: hence the least and the most (bilevel_l1inf by rows
 * 0.84-0.94 of the time from 12 to 40 values). */
#define SKP_ROW_MAXIMA_TREE256_LEAST 9
#define SKP_ROW_MAXIMA_TREE256_MOST 64
SKP_AVX2 static int skp_row_maxima_tree256_f32(const float* base, ptrdiff_t row_stride,
                                               ptrdiff_t n_rows, ptrdiff_t n, double* norms) {
    const __m256i magnitude = _mm256_set1_epi32(0x7fffffff);
    const ptrdiff_t whole = (n - 1) / 8 * 8;   /* the last vector's start */
    const __m256i last = skp_first_lanes8(n - whole);
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    __m256i v[8], nan = _mm256_setzero_si256();
    ptrdiff_t i, j;
    int r;
#define SKP_MAX8(a, b) _mm256_max_epi32(_mm256_castps_si256(a), _mm256_castps_si256(b))
    for (i = 0; i < n_rows; i += 8) {
        const int count = n_rows - i < 8 ? (int) (n_rows - i) : 8;
        const char* rows = (const char*) base + i * row_stride;
        double out[8];
#pragma GCC unroll 8
        for (r = 0; r < 8; r++)
            v[r] = r < count ? _mm256_and_si256(magnitude, _mm256_castps_si256(
                _mm256_maskload_ps((const float*) (rows + r * row_stride) + whole, last)))
                : _mm256_setzero_si256();
        for (j = 0; j < whole; j += 8) {
#pragma GCC unroll 8
            for (r = 0; r < 8; r++)
                if (r < count)
                    v[r] = _mm256_max_epi32(v[r], _mm256_and_si256(magnitude, _mm256_loadu_si256(
                        (const __m256i*) ((const float*) (rows + r * row_stride) + j))));
        }
        for (r = 0; r < 4; r++)   /* [a's halves' maxima | b's] */
            v[r] = SKP_MAX8(
                _mm256_permute2f128_ps(_mm256_castsi256_ps(v[2 * r]),
                                       _mm256_castsi256_ps(v[2 * r + 1]), 0x20),
                _mm256_permute2f128_ps(_mm256_castsi256_ps(v[2 * r]),
                                       _mm256_castsi256_ps(v[2 * r + 1]), 0x31));
        for (r = 0; r < 2; r++)   /* [rows 0, 2 | 1, 3] of the four, two lanes each */
            v[r] = SKP_MAX8(
                _mm256_shuffle_ps(_mm256_castsi256_ps(v[2 * r]), _mm256_castsi256_ps(v[2 * r + 1]),
                                  0x44),
                _mm256_shuffle_ps(_mm256_castsi256_ps(v[2 * r]), _mm256_castsi256_ps(v[2 * r + 1]),
                                  0xee));
        /* rows [0, 2, 4, 6 | 1, 3, 5, 7], then in order */
        v[0] = _mm256_permutevar8x32_epi32(SKP_MAX8(
            _mm256_shuffle_ps(_mm256_castsi256_ps(v[0]), _mm256_castsi256_ps(v[1]), 0x88),
            _mm256_shuffle_ps(_mm256_castsi256_ps(v[0]), _mm256_castsi256_ps(v[1]), 0xdd)), order);
        nan = _mm256_or_si256(nan, _mm256_and_si256(skp_first_lanes8(count), _mm256_castps_si256(
            _mm256_cmp_ps(_mm256_castsi256_ps(v[0]), _mm256_castsi256_ps(v[0]), _CMP_UNORD_Q))));
        _mm256_storeu_pd(out, skp_low_pd(_mm256_castsi256_ps(v[0])));
        _mm256_storeu_pd(out + 4, skp_high_pd(_mm256_castsi256_ps(v[0])));
        for (r = 0; r < count; r++) norms[i + r] = out[r];
    }
#undef SKP_MAX8
    return _mm256_testz_si256(nan, nan);
}

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
        a = skp_low_pd(v);
        s[0] = _mm256_add_pd(s[0], _mm256_mul_pd(a, a));
        a = skp_high_pd(v);
        s[1] = _mm256_add_pd(s[1], _mm256_mul_pd(a, a));
    }
    return skp_hsum(_mm256_add_pd(
        _mm256_add_pd(_mm256_add_pd(s[0], s[2]), _mm256_add_pd(s[4], s[6])),
        _mm256_add_pd(_mm256_add_pd(s[1], s[3]), _mm256_add_pd(s[5], s[7]))));
}

/* (the eight sums t_l of a row) */
SKP_AVX512 static inline __attribute__((always_inline)) __m512d skp_row_square_sums512_f32(
        const float* row, ptrdiff_t n, ptrdiff_t ahead) {
    __m512d s[4], a;
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
    return _mm512_add_pd(_mm512_add_pd(s[0], s[1]), _mm512_add_pd(s[2], s[3]));
}

SKP_AVX512 static double skp_row_squares512_f32(const float* row, ptrdiff_t n,
                                                ptrdiff_t ahead) {
    const __m512d t = skp_row_square_sums512_f32(row, n, ahead);
    return skp_hsum(_mm256_add_pd(_mm512_castpd512_pd256(t), _mm512_extractf64x4_pd(t, 1)));
}

/* The l2 norms of n_rows rows of n >= SKP_ROW_SQUARES_LEAST float32 values
 * (``row_stride`` in bytes), eight rows at a time: each row's eight sums
 * t_l (skp_row_square_sums512_f32), then the eight rows' vectors reduced
 * together in three steps, each pairing the vectors two by two and adding
 * their lanes' halves (skp_tree_indices512's permutes), so that row r's sum ends in lane
 * r, added in skp_hsum's order: (t_l + t_(l+4)), then (u_0 + u_2) + (u_1 +
 * u_3).  Hence skp_row_squares512_f32's sums; rooted here.  Returns 2, or 0
 * where a sum is not finite.  A row at a time, each row's horizontal sum
 * and its store were a third of the norms' time (issue 14, the Zen 4,
 * float32 rows of 64 values, the norms compute-bound on the conversions). */
SKP_AVX512 static int skp_row_squares_tree512_f32(const float* base, ptrdiff_t row_stride,
                                                  ptrdiff_t n_rows, ptrdiff_t n,
                                                  double* norms, ptrdiff_t ahead) {
    __m512i low[3], high[3];
    __m512d t[8];
    __mmask8 bad = 0;
    ptrdiff_t i;
    int r, step, w;
    skp_tree_indices512(8, low, high);
    for (i = 0; i < n_rows; i += 8) {
        const int count = n_rows - i < 8 ? (int) (n_rows - i) : 8;
        const __mmask8 rows = (__mmask8) ((1u << count) - 1u);
        for (r = 0; r < 8; r++)
            t[r] = r < count ? skp_row_square_sums512_f32(
                (const float*) ((const char*) base + (i + r) * row_stride), n, ahead)
                : _mm512_setzero_pd();
        for (step = 0, w = 8; w >= 2; step++, w /= 2)
            for (r = 0; r < w / 2; r++)
                t[r] = _mm512_add_pd(_mm512_permutex2var_pd(t[2 * r], low[step], t[2 * r + 1]),
                                     _mm512_permutex2var_pd(t[2 * r], high[step], t[2 * r + 1]));
        bad |= _mm512_mask_cmp_pd_mask(rows, _mm512_sub_pd(t[0], t[0]), _mm512_setzero_pd(),
                                       _CMP_NEQ_UQ);
        _mm512_mask_storeu_pd(norms + i, rows, _mm512_sqrt_pd(t[0]));
    }
    return bad ? 0 : 2;
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

/* Column norms fold the rows a block of SKP_FOLD_BLOCK at a time (in float
 * for the max and the l1 norm, in double for the squares), each block then
 * combined into the norms in double: that order defines the norms, in the
 * AVX2 loop (a call a block) and the AVX-512 ones (SKP_FOLD_ROWS rows a
 * call, SKP_FOLD_ROWS / 2 on rows longer than SKP_FOLD_LONG_ROW bytes, the
 * norms in registers between blocks).  A call a block, the AVX-512 folds
 * loaded and stored the norms every 8 rows, each block's chain waiting on
 * the last.  Issue 14, the AMD Zen 4, single calls interleaved in one
 * process, the float32 column norms (max, l1, l2), a call a block -> up to
 * 32 rows: 4000 x 32 0.80-0.81 of the time, scikit-learn's digits
 * (standardized, 1797 x 64) 0.76-0.89, 1000 x 100 0.88-0.95, 1000 x 200
 * 0.91-0.95, 100 x 1000 and 1000 x 1000 0.90-0.99; but 700 x 768 and the
 * pbmc68k set's 700 x 765 1.01-1.09 (rows of 3 KB: 32 of them fill 96 KB),
 * even with 16 rows a call (0.96-1.02); bilevel_l1inf and bilevel_l12 on
 * digits' columns 0.91-0.93 of the time, on 4000 x 32 0.87-0.90.  Out of
 * cache (SKP_AHEAD_MIN_BYTES and more), where the max and l1 folds read at
 * memory speed, 16 rows a call took 1000 x 10000 1.07 times as long and
 * 100 x 100000 1.35 (more streams than the hardware follows), and a block
 * a call by skp_fold_blocks16 1.05 and 1.15-1.20, so those take a block a
 * call there, both vectors' folds first (skp_fold_into16), even; the
 * squares, bound by their conversions and additions in double, still gain
 * from more rows (0.80-0.95 of the time). */
#define SKP_FOLD_BLOCK 8
#define SKP_FOLD_ROWS 32
#define SKP_FOLD_LONG_ROW 2048

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
        __m512d low = _mm512_loadu_pd(norms + j), high = _mm512_loadu_pd(norms + j + 8);
        int b;
        for (b = 0; b < count; b += SKP_FOLD_BLOCK) {
            const int end = count - b < SKP_FOLD_BLOCK ? count : b + SKP_FOLD_BLOCK;
            __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
#pragma GCC unroll 8
            for (r = b; r < end; r++) {
                __m512d u = _mm512_cvtps_pd(_mm256_loadu_ps(rows[r] + j));
                __m512d v = _mm512_cvtps_pd(_mm256_loadu_ps(rows[r] + j + 8));
                lo = _mm512_fmadd_pd(u, u, lo);
                hi = _mm512_fmadd_pd(v, v, hi);
            }
            low = _mm512_add_pd(low, lo);
            high = _mm512_add_pd(high, hi);
        }
        _mm512_storeu_pd(norms + j, root ? _mm512_sqrt_pd(low) : low);
        _mm512_storeu_pd(norms + j + 8, root ? _mm512_sqrt_pd(high) : high);
    }
}

/* With ``root`` (the last rows), the sums stored rooted: the l2 norms (the
 * square roots overlap the loads and additions; skp_sqrt_all's after the
 * loop cost more than the loop on 8 x 10000, issue 14). */
SKP_AVX512 static ptrdiff_t skp_fold_squares512_f32(const float* const* rows, int count,
                                                    ptrdiff_t n, double* norms, int root) {
    if (root) skp_fold_squares512_f32_(rows, count, n, norms, 1);
    else if (count == SKP_FOLD_ROWS) skp_fold_squares512_f32_(rows, SKP_FOLD_ROWS, n, norms, 0);
    else if (count == SKP_FOLD_ROWS / 2)
        skp_fold_squares512_f32_(rows, SKP_FOLD_ROWS / 2, n, norms, 0);
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

/* norms[0:16] combined with the fold f of their rows (a maximum or a sum in
 * double); NaN lanes of a maximum into ``nan_lanes``. */
SKP_AVX512 static inline void skp_fold_into16(double* norms, __m512 f, const int kind,
                                              __mmask16* nan_lanes) {
    const __m512d low = skp_low8_pd(f);
    const __m512d high = skp_high8_pd(f);
    if (kind == 0) {
        *nan_lanes |= _mm512_cmp_ps_mask(f, f, _CMP_UNORD_Q);
        _mm512_storeu_pd(norms, _mm512_max_pd(_mm512_loadu_pd(norms), low));
        _mm512_storeu_pd(norms + 8, _mm512_max_pd(_mm512_loadu_pd(norms + 8), high));
    } else {
        _mm512_storeu_pd(norms, _mm512_add_pd(_mm512_loadu_pd(norms), low));
        _mm512_storeu_pd(norms + 8, _mm512_add_pd(_mm512_loadu_pd(norms + 8), high));
    }
}

/* The norms of columns j..j + 15 (those of ``lanes``) combined with the
 * folds of rows[0:count], a float fold of each block of SKP_FOLD_BLOCK rows
 * (the AVX2 loop's) into the norms in double in the blocks' order (a
 * maximum or a sum), the norms loaded and stored once; NaN lanes of a
 * maximum into ``nan_lanes``. */
SKP_AVX512 static inline __attribute__((always_inline)) void skp_fold_blocks16(
        const float* const* rows, const int count, ptrdiff_t j, double* norms,
        __mmask16 lanes, const int kind, __mmask16* nan_lanes) {
    const __mmask8 low_lanes = (__mmask8) lanes, high_lanes = (__mmask8) (lanes >> 8);
    __m512d low = _mm512_maskz_loadu_pd(low_lanes, norms + j);
    __m512d high = _mm512_maskz_loadu_pd(high_lanes, norms + j + 8);
    int b;
    for (b = 0; b < count; b += SKP_FOLD_BLOCK) {
        const __m512 f = skp_fold_column16_f32(
            rows + b, count - b < SKP_FOLD_BLOCK ? count - b : SKP_FOLD_BLOCK, j, lanes, kind);
        const __m512d f_low = skp_low8_pd(f);
        const __m512d f_high = skp_high8_pd(f);
        if (kind == 0) {
            *nan_lanes |= _mm512_mask_cmp_ps_mask(lanes, f, f, _CMP_UNORD_Q);
            low = _mm512_max_pd(low, f_low);
            high = _mm512_max_pd(high, f_high);
        } else {
            low = _mm512_add_pd(low, f_low);
            high = _mm512_add_pd(high, f_high);
        }
    }
    _mm512_mask_storeu_pd(norms + j, low_lanes, low);
    _mm512_mask_storeu_pd(norms + j + 8, high_lanes, high);
}

SKP_AVX512 static inline __attribute__((always_inline)) ptrdiff_t skp_fold_rows512_f32_(
        const float* const* rows, const int count, ptrdiff_t n, double* norms, const int kind,
        __m256* nan) {
    const ptrdiff_t end = n - n % 8;
    __mmask16 nan_lanes = 0;
    ptrdiff_t j = skp_line_head(rows[0], sizeof(float));
    if (j > end) j = end;
    if (j > 0)
        skp_fold_blocks16(rows, count, 0, norms, (__mmask16) ((1u << j) - 1), kind, &nan_lanes);
    for (; count <= SKP_FOLD_BLOCK && j + 32 <= end; j += 32) {
        /* (a block a call, out of cache: both vectors' folds, then the norms) */
        const __m512 f = skp_fold_column16_f32(rows, count, j, 0xffff, kind);
        const __m512 g = skp_fold_column16_f32(rows, count, j + 16, 0xffff, kind);
        skp_fold_into16(norms + j, f, kind, &nan_lanes);
        skp_fold_into16(norms + j + 16, g, kind, &nan_lanes);
    }
    for (; j + 32 <= end; j += 32) {
        skp_fold_blocks16(rows, count, j, norms, 0xffff, kind, &nan_lanes);
        skp_fold_blocks16(rows, count, j + 16, norms, 0xffff, kind, &nan_lanes);
    }
    for (; j < end; j += 16)
        skp_fold_blocks16(rows, count, j, norms,
                          (__mmask16) (end - j >= 16 ? 0xffff : (1u << (end - j)) - 1), kind,
                          &nan_lanes);
    if (nan_lanes) *nan = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
    return end;
}

/* (SKP_FOLD_ROWS rows, half as many, or a block: the common cases, each
 * count and kind inlined with its constants) */
SKP_AVX512 static ptrdiff_t skp_fold_rows512_f32(const float* const* rows, int count,
                                                 ptrdiff_t n, double* norms, int kind,
                                                 __m256* nan) {
    if (count == SKP_FOLD_ROWS)
        return kind == 0 ? skp_fold_rows512_f32_(rows, SKP_FOLD_ROWS, n, norms, 0, nan)
                         : skp_fold_rows512_f32_(rows, SKP_FOLD_ROWS, n, norms, 1, nan);
    if (count == SKP_FOLD_ROWS / 2)
        return kind == 0 ? skp_fold_rows512_f32_(rows, SKP_FOLD_ROWS / 2, n, norms, 0, nan)
                         : skp_fold_rows512_f32_(rows, SKP_FOLD_ROWS / 2, n, norms, 1, nan);
    if (count == SKP_FOLD_BLOCK)
        return kind == 0 ? skp_fold_rows512_f32_(rows, SKP_FOLD_BLOCK, n, norms, 0, nan)
                         : skp_fold_rows512_f32_(rows, SKP_FOLD_BLOCK, n, norms, 1, nan);
    return kind == 0 ? skp_fold_rows512_f32_(rows, count, n, norms, 0, nan)
                     : skp_fold_rows512_f32_(rows, count, n, norms, 1, nan);
}

/* The rows of a block of sixteen from row ``r`` of ``n_rows``, as a mask. */
static inline __mmask16 skp_block_rows16(ptrdiff_t n_rows, ptrdiff_t r) {
    return (__mmask16) (n_rows - r >= 16 ? 0xffff : (1u << (n_rows - r)) - 1);
}

/* The max (kind 0), l1 (kind 1) or squared l2 (kind 2) norms of rows of
 * n < 16 float32 values lying one after the other, sixteen rows at a time
 * with AVX-512F, a row a lane (skp_short_rows_as_lanes16), each in
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
        skp_short_rows_as_lanes16(base, n_rows, r, n, column);
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
                value[j] = skp_half8_pd(column[j], half);
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
                value[j] = skp_half_pd(f[j], half);
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

/* Whether the sums norms[0:n] (l1 norms, squares) are all finite (an
 * overflowed sum, inf, leaves inf - inf = NaN): four at a time, after the
 * norms, where a branch a group took a tenth of bilevel_l11 on 2 x 20000. */
SKP_AVX2 static inline int skp_sums_finite(const double* norms, ptrdiff_t n) {
    __m256d overflowed = _mm256_setzero_pd();
    ptrdiff_t j;
    for (j = 0; j + 4 <= n; j += 4) {
        const __m256d v = _mm256_loadu_pd(norms + j), zero = _mm256_sub_pd(v, v);
        overflowed = _mm256_or_pd(overflowed, _mm256_cmp_pd(zero, zero, _CMP_UNORD_Q));
    }
    if (_mm256_movemask_pd(overflowed)) return 0;
    for (; j < n; j++)
        if (norms[j] - norms[j] != 0.0) return 0;
    return 1;
}

/* Half c (0-3: columns 8c to 8c + 7) of a row's vectors v[0:2], in double. */
#define SKP_NARROW_HALF512(v, c) skp_half8_pd((v)[(c) / 2], (c) & 1)

/* One block of ``count`` rows of skp_narrow_column_norms512_f32_ (kinds 1
 * and 2): the head's halves 0 to halves - 1 folded into h, the tail's
 * columns (half ``halves``) a row at a time into t. */
SKP_AVX512 static inline __attribute__((always_inline)) void skp_narrow_block512_f32(
        const float* rows, const int count, ptrdiff_t n, const __mmask16* columns,
        const int kind, const int vectors, const int halves, const int tail, __m512d* h,
        __m512d* t) {
    const __m512i magnitude = _mm512_set1_epi32(0x7fffffff);
    __m512 f[2], v[2];
    __m512d q[4];
    int r, c;
    f[0] = f[1] = _mm512_setzero_ps();
    for (c = 0; c < 4; c++) q[c] = _mm512_setzero_pd();
#pragma GCC unroll 8
    for (r = 0; r < count; r++) {
        for (c = 0; c < vectors; c++)
            v[c] = _mm512_castsi512_ps(_mm512_and_si512(
                magnitude, _mm512_maskz_loadu_epi32(columns[c], rows + r * n + 16 * c)));
        if (kind == 1) {
            for (c = 0; c < vectors; c++) f[c] = _mm512_add_ps(f[c], v[c]);
            if (tail) *t = _mm512_add_pd(*t, SKP_NARROW_HALF512(v, halves));
        } else {
            for (c = 0; c < halves; c++) {
                const __m512d a = SKP_NARROW_HALF512(v, c);
                q[c] = _mm512_fmadd_pd(a, a, q[c]);
            }
            if (tail) {
                const __m512d a = SKP_NARROW_HALF512(v, halves);
                *t = _mm512_fmadd_pd(a, a, *t);
            }
        }
    }
    for (c = 0; c < halves; c++)
        h[c] = _mm512_add_pd(h[c], kind == 1 ? SKP_NARROW_HALF512(f, c) : q[c]);
}

/* The column norms of a float32 matrix of n <= 32 columns whose rows lie
 * one after the other, a row one or two masked vectors, in the folds' order
 * (see SKP_FOLD_BLOCK; the same norms): the first n - n % 8 columns (its
 * ``halves`` of 8) folded a block of 8 rows at a time (the maximum and l1
 * norm in float, the squares in double), each block then combined into the
 * norm in double; the last n % 8 columns (``tail``) combined into the norm a
 * row at a time, in double.  The maxima, in any order, in four chains.
 * Through the general loop, a call a fold of up to 32 rows of a few values,
 * its set-up and its columns one by one cost most of the time (issue 14,
 * the Zen 4, bilevel_l1inf by columns: float32 20000 x 3 13.4 times a copy
 * where float64 took 4.5; 4000 x 20 4.8 where float64 took 1.8).  Returns
 * as skp_group_norms_f32; kind 2's norms rooted. */
SKP_AVX512 static inline __attribute__((always_inline)) int skp_narrow_column_norms512_f32_(
        const float* base, ptrdiff_t n_rows, const ptrdiff_t n, const int kind, double* norms,
        const int halves, const int tail) {
    const int vectors = 8 * halves + tail > 16 ? 2 : 1;
    const __mmask32 all = (__mmask32) (((uint64_t) 1 << n) - 1u);
    const __mmask16 columns[2] = {(__mmask16) all, (__mmask16) (all >> 16)};
    const __m512i magnitude = _mm512_set1_epi32(0x7fffffff);
    __m512d h[4], t = _mm512_setzero_pd();
    __mmask16 bad = 0;
    ptrdiff_t i = 0;
    int r, c;
    for (c = 0; c < 4; c++) h[c] = _mm512_setzero_pd();
    if (kind == 0) {   /* (bit patterns: NaN the largest) */
        __m512i m[2][4];
        __m512 f[2];
        for (c = 0; c < vectors; c++)
            for (r = 0; r < 4; r++) m[c][r] = _mm512_setzero_si512();
#define SKP_NARROW_ROW(k, c) _mm512_and_si512(magnitude, \
        _mm512_maskz_loadu_epi32(columns[c], base + (k) * n + 16 * (c)))
        for (; i + 4 <= n_rows; i += 4)
            for (r = 0; r < 4; r++)
                for (c = 0; c < vectors; c++)
                    m[c][r] = _mm512_max_epi32(m[c][r], SKP_NARROW_ROW(i + r, c));
        for (; i < n_rows; i++)
            for (c = 0; c < vectors; c++)
                m[c][0] = _mm512_max_epi32(m[c][0], SKP_NARROW_ROW(i, c));
#undef SKP_NARROW_ROW
        for (c = 0; c < vectors; c++) {
            f[c] = _mm512_castsi512_ps(_mm512_max_epi32(_mm512_max_epi32(m[c][0], m[c][1]),
                                                        _mm512_max_epi32(m[c][2], m[c][3])));
            bad |= _mm512_mask_cmp_ps_mask(columns[c], f[c], f[c], _CMP_UNORD_Q);
        }
        for (c = 0; c < 2 * vectors; c++) h[c] = SKP_NARROW_HALF512(f, c);
    } else {
        for (; i + SKP_FOLD_BLOCK <= n_rows; i += SKP_FOLD_BLOCK)
            skp_narrow_block512_f32(base + i * n, SKP_FOLD_BLOCK, n, columns, kind, vectors,
                                    halves, tail, h, &t);
        if (i < n_rows)
            skp_narrow_block512_f32(base + i * n, (int) (n_rows - i), n, columns, kind,
                                    vectors, halves, tail, h, &t);
        if (tail) h[halves] = t;   /* the tail's columns, from the rows */
    }
    for (c = 0; c < 2 * vectors; c++) {
        const __mmask8 lanes = (__mmask8) (all >> (8 * c));
        if (kind == 2) h[c] = _mm512_sqrt_pd(h[c]);
        if (lanes) _mm512_mask_storeu_pd(norms + 8 * c, lanes, h[c]);
    }
    if (bad) return 0;
    if (kind != 0 && !skp_sums_finite(norms, n)) return 0;
    return kind == 2 ? 2 : 1;
}

/* (inlined with its kind and its number of columns constants up to 16: with
 * those variables the l1 norms of 10000 x 16 took 1.9 times as long; past
 * 16, with the number of halves of 8 columns folded and whether a tail is
 * left constants) */
#define SKP_NARROW_NORMS(KIND, UNUSED, N) \
    clean = skp_narrow_column_norms512_f32_(base, n_rows, N, KIND, norms, (N) / 8, (N) % 8 != 0)
#define SKP_WIDE_NORMS(KIND, HALVES, TAIL) \
    clean = skp_narrow_column_norms512_f32_(base, n_rows, n, KIND, norms, HALVES, TAIL)
#define SKP_WIDE_NORMS_OF_KIND(KIND)                                                        \
    switch (n / 8 * 2 + (n % 8 != 0)) {                                                     \
    case 5: SKP_WIDE_NORMS(KIND, 2, 1); break;                                              \
    case 6: SKP_WIDE_NORMS(KIND, 3, 0); break;                                              \
    case 7: SKP_WIDE_NORMS(KIND, 3, 1); break;                                              \
    default: SKP_WIDE_NORMS(KIND, 4, 0); break;                                             \
    }
SKP_AVX512 static int skp_narrow_column_norms512_f32(const float* base, ptrdiff_t n_rows,
                                                     ptrdiff_t n, int kind, double* norms) {
    int clean;
    if (n <= 16) {
        SKP_FOR_KIND_AND_LENGTH(kind, n, SKP_NARROW_NORMS)
    } else if (kind == 0) {
        SKP_WIDE_NORMS_OF_KIND(0)
    } else if (kind == 2) {
        SKP_WIDE_NORMS_OF_KIND(2)
    } else {
        SKP_WIDE_NORMS_OF_KIND(1)
    }
    return clean;
}
#undef SKP_NARROW_NORMS
#undef SKP_WIDE_NORMS
#undef SKP_WIDE_NORMS_OF_KIND
#undef SKP_NARROW_HALF512

/* skp_narrow_column_norms512_f32 with AVX2: a row two masked vectors of 8
 * columns, each split in halves of 4 for the sums in double; the folds'
 * order, so the same norms; kind 2's squared (the caller roots them), 0
 * returned where a norm is not finite.  Through the folds, float32 20000 x
 * 3 by columns took bilevel_l1inf 25 times a copy, float64 11 (issue 14,
 * the Zen 4 with AVX2 alone; here the maxima 0.13-0.55 of the time, the
 * sums of up to 8 or of 16 columns 0.36-0.89). */
SKP_AVX2 static inline __attribute__((always_inline)) int skp_narrow_column_norms256_f32_(
        const float* base, ptrdiff_t n_rows, const ptrdiff_t n, const int kind, double* norms) {
    const int n_vectors = n > 8 ? 2 : 1, head_vectors = (int) (n / 8), tail = n % 8 != 0;
    const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    __m256i lanes[2];
    __m256d h[4], t[2];
    double out[16];
    ptrdiff_t i = 0, r;
    int v, c;
    for (v = 0; v < 2; v++)
        lanes[v] = _mm256_cmpgt_epi32(_mm256_set1_epi32((int) n - 8 * v),
                                      _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    for (c = 0; c < 4; c++) h[c] = _mm256_setzero_pd();
    t[0] = t[1] = _mm256_setzero_pd();
#define SKP_NARROW_ROW8(k, v) \
    _mm256_and_ps(magnitude, _mm256_maskload_ps(base + (k) * n + 8 * (v), lanes[v]))
    if (kind == 0) {   /* (bit patterns: NaN the largest) */
        __m256i m[2][4];
        for (v = 0; v < 2; v++)
            for (c = 0; c < 4; c++) m[v][c] = _mm256_setzero_si256();
        for (; i + 4 <= n_rows; i += 4)
            for (c = 0; c < 4; c++)
                for (v = 0; v < n_vectors; v++)
                    m[v][c] = _mm256_max_epi32(m[v][c],
                                               _mm256_castps_si256(SKP_NARROW_ROW8(i + c, v)));
        for (; i < n_rows; i++)
            for (v = 0; v < n_vectors; v++)
                m[v][0] = _mm256_max_epi32(m[v][0], _mm256_castps_si256(SKP_NARROW_ROW8(i, v)));
        for (v = 0; v < n_vectors; v++) {
            const __m256 f = _mm256_castsi256_ps(_mm256_max_epi32(
                _mm256_max_epi32(m[v][0], m[v][1]), _mm256_max_epi32(m[v][2], m[v][3])));
            h[2 * v] = skp_low_pd(f);
            h[2 * v + 1] = skp_high_pd(f);
        }
    } else {
        for (; i < n_rows; i += SKP_FOLD_BLOCK) {
            const ptrdiff_t stop = n_rows - i < SKP_FOLD_BLOCK ? n_rows : i + SKP_FOLD_BLOCK;
            __m256 f[2];
            __m256d q[4];
            f[0] = f[1] = _mm256_setzero_ps();
            for (c = 0; c < 4; c++) q[c] = _mm256_setzero_pd();
            for (r = i; r < stop; r++)
                for (v = 0; v < n_vectors; v++) {
                    const __m256 a = SKP_NARROW_ROW8(r, v);
                    const __m256d lo = skp_low_pd(a), hi = skp_high_pd(a);
                    if (v < head_vectors) {
                        if (kind == 1) {
                            f[v] = _mm256_add_ps(f[v], a);
                        } else {
                            q[2 * v] = _mm256_add_pd(q[2 * v], _mm256_mul_pd(lo, lo));
                            q[2 * v + 1] = _mm256_add_pd(q[2 * v + 1], _mm256_mul_pd(hi, hi));
                        }
                    } else if (kind == 1) {
                        t[0] = _mm256_add_pd(t[0], lo);
                        if (n % 8 > 4) t[1] = _mm256_add_pd(t[1], hi);
                    } else {
                        t[0] = _mm256_add_pd(t[0], _mm256_mul_pd(lo, lo));
                        if (n % 8 > 4) t[1] = _mm256_add_pd(t[1], _mm256_mul_pd(hi, hi));
                    }
                }
            for (v = 0; v < head_vectors; v++) {
                h[2 * v] = _mm256_add_pd(h[2 * v], kind == 1 ? skp_low_pd(f[v]) : q[2 * v]);
                h[2 * v + 1] = _mm256_add_pd(h[2 * v + 1],
                                             kind == 1 ? skp_high_pd(f[v]) : q[2 * v + 1]);
            }
        }
        if (tail) {   /* the tail's vector, its sums a row at a time */
            h[2 * head_vectors] = t[0];
            h[2 * head_vectors + 1] = t[1];
        }
    }
#undef SKP_NARROW_ROW8
    for (c = 0; c < 4; c++) _mm256_storeu_pd(out + 4 * c, h[c]);
    for (c = 0; c < n; c++) norms[c] = out[c];
    if (kind == 0) {
        for (c = 0; c < n; c++)
            if (norms[c] != norms[c]) return 0;
        return 1;
    }
    return skp_sums_finite(norms, n);
}

#define SKP_NARROW_NORMS(KIND, UNUSED, N) \
    clean = skp_narrow_column_norms256_f32_(base, n_rows, N, KIND, norms)
SKP_AVX2 static int skp_narrow_column_norms256_f32(const float* base, ptrdiff_t n_rows,
                                                   ptrdiff_t n, int kind, double* norms) {
    int clean;
    SKP_FOR_KIND_AND_LENGTH(kind, n, SKP_NARROW_NORMS)
    return clean;
}
#undef SKP_NARROW_NORMS

/* Every group's norm (squared for l2) of a float32 matrix with contiguous
 * rows (``row_stride`` in bytes), groups its rows or its columns; returns 0
 * (see above) when the portable loops must recompute them, 2 where the l2
 * norms are stored rooted (with AVX-512: short rows, see
 * skp_short_row_norms512_f32, and columns, skp_fold_squares512_f32), else 1. */
SKP_AVX2 static inline int skp_group_norms_f32(const float* base, ptrdiff_t row_stride,
                                               ptrdiff_t n_rows, ptrdiff_t n_cols,
                                               double* norms, int kind, int groups_are_rows) {
    const float* rows[SKP_FOLD_ROWS];
    const float* rest[SKP_FOLD_BLOCK];
    __m256 nan = _mm256_setzero_ps();
    const int rooted = skp_avx512 && kind == 2;
    const int fold512 = skp_avx512 && skp_fold512 && kind != 2;
    /* (the AVX-512 folds take up to SKP_FOLD_ROWS rows a call, the AVX2 loop
     * a block; the max and l1 folds of a matrix out of cache a block: see
     * SKP_FOLD_ROWS; rows may lie in either order) */
    const ptrdiff_t row_bytes = row_stride < 0 ? -row_stride : row_stride;
    const int most = !(rooted || fold512)
        || (fold512 && n_rows * row_bytes >= SKP_AHEAD_MIN_BYTES) ? SKP_FOLD_BLOCK
        : row_bytes <= SKP_FOLD_LONG_ROW ? SKP_FOLD_ROWS : SKP_FOLD_ROWS / 2;
    ptrdiff_t i, j;
    int r, b, count, clean = 1;
    if (groups_are_rows) {
        if (kind == 0 && skp_fold512 && skp_avx512 && n_cols >= SKP_ROW_MAXIMA_TREE_LEAST
                && n_cols < SKP_ROW_MAXIMA_TREE_MOST_F32
                && !(n_cols <= SKP_PERMUTED_MAXIMA_MOST_F32
                     && row_stride == n_cols * (ptrdiff_t) sizeof(float)))
            return skp_row_maxima_tree512_f32(base, row_stride, n_rows, n_cols, norms);
        if (kind == 0 && skp_fold512 && !skp_avx512 && n_cols >= SKP_ROW_MAXIMA_TREE256_LEAST
                && n_cols < SKP_ROW_MAXIMA_TREE256_MOST)
            return skp_row_maxima_tree256_f32(base, row_stride, n_rows, n_cols, norms);
        if (skp_avx512 && n_cols < 16 && n_cols > 0
                && row_stride == n_cols * (ptrdiff_t) sizeof(float))
            return skp_short_row_norms512_f32(base, n_rows, n_cols, kind, norms);
        if (skp_short_rows256 && n_cols < 16 && n_cols > 0
                && row_stride == n_cols * (ptrdiff_t) sizeof(float))
            return skp_short_row_norms256_f32(base, n_rows, n_cols, kind, norms);
        const ptrdiff_t ahead = skp_ahead_for_rows(n_rows, n_cols, row_stride, sizeof(float));
        int unread = 1;
        if (kind == 0) {   /* (a NaN row's maximum is flagged, not returned) */
            for (i = 0; i < n_rows; i++)
                norms[i] = skp_row_norm_f32(
                    (const float*) ((const char*) base + i * row_stride), n_cols, 0, &clean,
                    ahead);
            return clean;
        }
        if (kind == 2 && skp_avx512 && n_cols >= SKP_ROW_SQUARES_LEAST)
            return skp_row_squares_tree512_f32(base, row_stride, n_rows, n_cols, norms, ahead);
        /* The sums checked after the loop (skp_sums_finite), where a row's
         * check waited on the end of its chain of additions (issue 14, the
         * Zen 4, l1 / l2 row norms: 2000 x 17 0.83 / 0.93 of the time,
         * digits 0.93 / 0.92, 1000 x 100 0.94 / 0.93, 500 x 200 0.94 / 1.00,
         * 300 x 784 0.97 / 1.00) */
        for (i = 0; i < n_rows; i++)
            norms[i] = skp_row_norm_f32(
                (const float*) ((const char*) base + i * row_stride), n_cols, kind, &unread,
                ahead);
        return skp_sums_finite(norms, n_rows);
    }
    /* (with AVX2, the sums of 9-15 columns keep the folds: a row's tail in
     * the second vector, a chain of additions a row, took the l1 norms of
     * 2000 x 10 1.3 times as long, 5000 x 12 1.03; with AVX-512, the squares
     * of 32 columns, which skp_fold_squares512_f32 takes whole: 1.06-1.08
     * this way on 500 and 4000 rows) */
    if (skp_narrow_columns && n_cols <= (skp_avx512 ? 32 : 16) && n_cols > 0
            && row_stride == n_cols * (ptrdiff_t) sizeof(float)
            && (skp_avx512 ? kind != 2 || n_cols != 32
                           : kind == 0 || n_cols <= 8 || n_cols == 16))
        return skp_avx512 ? skp_narrow_column_norms512_f32(base, n_rows, n_cols, kind, norms)
                          : skp_narrow_column_norms256_f32(base, n_rows, n_cols, kind, norms);
    for (j = 0; j < n_cols; j++) norms[j] = 0.0;
    for (i = 0; i < n_rows; i += count) {
        count = n_rows - i < most ? (int) (n_rows - i) : most;
        for (r = 0; r < count; r++)
            rows[r] = (const float*) ((const char*) base + (i + r) * row_stride);
        j = rooted ? skp_fold_squares512_f32(rows, count, n_cols, norms, i + count >= n_rows)
            : fold512 ? skp_fold_rows512_f32(rows, count, n_cols, norms, kind, &nan) : 0;
        /* (the columns left, the same sums by the AVX2 loop, a block at a time) */
        for (b = 0; j < n_cols && b < count; b += SKP_FOLD_BLOCK) {
            const int block = count - b < SKP_FOLD_BLOCK ? count - b : SKP_FOLD_BLOCK;
            for (r = 0; r < block; r++) rest[r] = rows[b + r] + j;
            skp_fold_rows_f32(rest, block, n_cols - j, norms + j, kind, &nan);
        }
    }
    if (rooted)   /* (the AVX2 loop's columns) */
        skp_sqrt_all(norms + (n_cols - n_cols % 16), n_cols % 16);
    if (_mm256_movemask_ps(nan)) return 0;
    if (kind != 0 && !skp_sums_finite(norms, n_cols)) return 0;
    return rooted ? 2 : 1;
}

/* The max (kind 0), l1 (kind 1) or l2 (kind 2: rooted) norms of rows of
 * n < 16 float64 values lying one after the other, eight rows at a time
 * with AVX-512F, a row a lane (skp_short_rows_as_lanes8_f64): kind 0 the maxima of
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
    const ptrdiff_t bulk = n - n % 4;
    __mmask8 ordered = 0xff;
    ptrdiff_t r, j;
    int l;
    for (r = 0; r < n_rows; r += 8) {
        const __mmask8 rows = (__mmask8) (n_rows - r >= 8 ? 0xff : (1u << (n_rows - r)) - 1);
        __m512d term[16], partial[4], total;
        skp_short_rows_as_lanes8_f64(base, n_rows, r, n, term);
        for (j = 0; j < n; j++)
            term[j] = kind == 2 ? _mm512_mul_pd(term[j], term[j]) : _mm512_abs_pd(term[j]);
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
    if (skp_avx512 && skp_fold512 && n_cols >= SKP_ROW_MAXIMA_TREE_LEAST
            && n_cols < SKP_ROW_MAX512_LEAST_F64
            && !(n_cols <= SKP_PERMUTED_MAXIMA_MOST_F64
                 && row_stride == n_cols * (ptrdiff_t) sizeof(double)))
        return skp_row_maxima_tree512_f64(base, row_stride, n_rows, n_cols, norms);
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
 * stored in ``factors64``; neither where both are NULL: the new radii
 * alone, as _new_radii's loop takes them); radii[j] = kept: the same
 * operations, so the same factors.  The loop of one group at a time cost
 * bilevel_l12 about 1.8 copies of 10000 x 8 float32 (issue 14, an Intel Xeon, alternating
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
        else if (factors64) _mm256_storeu_pd(factors64 + j, f);
        _mm256_storeu_pd(radii + j, k);
    }
    for (; j < n; j++) {
        const double k = 0.0 > radii[j] - tau ? 0.0 : radii[j] - tau;
        const double f = rescale ? k / (radii[j] > 0 ? radii[j] : 1.0) : k;
        if (factors32) factors32[j] = (float) f;
        else if (factors64) factors64[j] = f;
        radii[j] = k;
    }
}

/* skp_norms_sum_portable's chains with AVX-512F, four vectors of eight
 * chains (the last values under masks, a masked lane keeping its chain). */
SKP_AVX512 static double skp_norms_sum512(const double* values, ptrdiff_t n) {
    __m512d chain[4];
    __m256d quarter;
    __m128d eighth;
    ptrdiff_t i = 0;
    int k;
    for (k = 0; k < 4; k++) chain[k] = _mm512_setzero_pd();
    for (; i + SKP_NORM_CHAINS <= n; i += SKP_NORM_CHAINS)
        for (k = 0; k < 4; k++)
            chain[k] = _mm512_add_pd(chain[k], _mm512_loadu_pd(values + i + 8 * k));
    for (k = 0; 8 * k < n - i; k++) {
        const ptrdiff_t left = n - i - 8 * k;
        const __mmask8 some = (__mmask8) (left >= 8 ? 0xff : (1u << left) - 1);
        chain[k] = _mm512_mask_add_pd(chain[k], some, chain[k],
                                      _mm512_maskz_loadu_pd(some, values + i + 8 * k));
    }
    chain[0] = _mm512_add_pd(_mm512_add_pd(chain[0], chain[2]),
                             _mm512_add_pd(chain[1], chain[3]));
    quarter = _mm256_add_pd(_mm512_castpd512_pd256(chain[0]), _mm512_extractf64x4_pd(chain[0], 1));
    eighth = _mm_add_pd(_mm256_castpd256_pd128(quarter), _mm256_extractf128_pd(quarter, 1));
    return _mm_cvtsd_f64(_mm_add_sd(eighth, _mm_unpackhi_pd(eighth, eighth)));
}

/* The same chains with AVX2, eight vectors of four (the last values blended
 * in: a lane past the end keeps its chain). */
SKP_AVX2 static double skp_norms_sum256(const double* values, ptrdiff_t n) {
    __m256d chain[8];
    __m128d eighth;
    ptrdiff_t i = 0;
    int k;
    for (k = 0; k < 8; k++) chain[k] = _mm256_setzero_pd();
    for (; i + SKP_NORM_CHAINS <= n; i += SKP_NORM_CHAINS)
        for (k = 0; k < 8; k++)
            chain[k] = _mm256_add_pd(chain[k], _mm256_loadu_pd(values + i + 4 * k));
    for (k = 0; 4 * k < n - i; k++) {
        const __m256i some = skp_first_lanes4(n - i - 4 * k);
        chain[k] = _mm256_blendv_pd(chain[k], _mm256_add_pd(
            chain[k], _mm256_maskload_pd(values + i + 4 * k, some)), _mm256_castsi256_pd(some));
    }
    for (k = 0; k < 4; k++) chain[k] = _mm256_add_pd(chain[k], chain[k + 4]);
    chain[0] = _mm256_add_pd(_mm256_add_pd(chain[0], chain[2]), _mm256_add_pd(chain[1], chain[3]));
    eighth = _mm_add_pd(_mm256_castpd256_pd128(chain[0]), _mm256_extractf128_pd(chain[0], 1));
    return _mm_cvtsd_f64(_mm_add_sd(eighth, _mm_unpackhi_pd(eighth, eighth)));
}

/* The sum of the group norms (skp_norms_sum_portable's chains): the AVX-512
 * loop where it runs, else AVX2's (the caller checks that AVX2 runs). */
static inline double skp_norms_sum(const double* values, ptrdiff_t n) {
    return skp_avx512 ? skp_norms_sum512(values, n) : skp_norms_sum256(values, n);
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

/* The AVX2 row write of T (float: W = 8 lanes, suffix ps; double: 4, pd). */
#define SKP_WRITE_ROW256(SUFFIX, T, VEC, W, PS)                                              \
SKP_AVX2 static inline void skp_write_row_##SUFFIX(const T* src, T* dst, ptrdiff_t n,         \
                                                   int rescale, T level, const T* levels,    \
                                                   int stream) {                             \
    const VEC sign = _mm256_set1_##PS((T) -0.0);                                             \
    const ptrdiff_t end = n - n % W;                                                         \
    ptrdiff_t j = skp_stream_start(dst, end, W, sizeof(T), &stream);                         \
    const ptrdiff_t stop = skp_stream_stop(dst, end, sizeof(T), stream);                     \
    ptrdiff_t k;                                                                             \
    VEC l = _mm256_set1_##PS(level), x;                                                      \
    __m256i some;                                                                            \
    for (k = 0; k < j; k += W) {   /* (see skp_stream_start) */                              \
        some = skp_first_lanes##W(j - k);                                                    \
        if (levels) l = _mm256_maskload_##PS(levels + k, some);                              \
        skp_store_first##W(dst + k, SKP_LEVELLED(PS, _mm256_maskload_##PS(src + k, some), l), \
                           j - k);                                                           \
    }                                                                                        \
    for (; j + W <= end; j += W) {                                                           \
        if (levels) l = _mm256_loadu_##PS(levels + j);                                       \
        x = SKP_LEVELLED(PS, _mm256_loadu_##PS(src + j), l);                                 \
        if (j + W <= stop) _mm256_stream_##PS(dst + j, x);                                   \
        else _mm256_storeu_##PS(dst + j, x);                                                 \
    }                                                                                        \
    if (j < end) {                                                                           \
        some = skp_first_lanes##W(end - j);                                                  \
        if (levels) l = _mm256_maskload_##PS(levels + j, some);                              \
        skp_store_first##W(dst + j, SKP_LEVELLED(PS, _mm256_maskload_##PS(src + j, some), l), \
                           end - j);                                                         \
    }                                                                                        \
    for (j = end; j < n; j++)                                                                \
        dst[j] = (T) skp_clip_or_scale(src[j], levels ? levels[j] : level, rescale);         \
}
#define SKP_LEVELLED(PS, v, l) (rescale ? _mm256_mul_##PS((v), (l))                          \
    : _mm256_max_##PS(_mm256_xor_##PS((l), sign), _mm256_min_##PS((l), (v))))
SKP_WRITE_ROW256(f32, float, __m256, 8, ps)

/* skp_write_narrow512's run with AVX2: a block of fewer columns than two
 * vectors hold (float32 n < 16, float64 n < 8) whose rows lie one after the
 * other in src and in dst, as one run of vectors, each vector's levels
 * loaded from the repeating pattern at its place, the last values as the
 * row write's scalar ones: the row write's operations, so the same result.
 * Returns 0 (nothing written) where the block does not suit.  (Issue 14,
 * the Zen 4 with AVX2 alone, a row at a time: float32 bilevel_l1inf on
 * 20000 x 3 by columns 23 times a copy after its norms, float64 11; the
 * float64 exact ball's write on 20000 x 3, a fifth of its call.) */
#define SKP_WRITE_NARROW256(SUFFIX, T, VEC, W, PS)                                           \
SKP_AVX2 static inline __attribute__((always_inline)) void skp_write_narrow256_##SUFFIX##_(  \
        const T* src, T* dst, ptrdiff_t total, ptrdiff_t n, const int rescale,               \
        const T* pattern) {                                                                  \
    const VEC sign = _mm256_set1_##PS((T) -0.0);                                             \
    const ptrdiff_t step = (W) % n;                                                          \
    ptrdiff_t e, r = 0;                                                                      \
    for (e = 0; e + (W) <= total; e += (W)) {                                                \
        const VEC l = _mm256_loadu_##PS(pattern + r);                                        \
        _mm256_storeu_##PS(dst + e, SKP_LEVELLED(PS, _mm256_loadu_##PS(src + e), l));        \
        r += step;                                                                           \
        if (r >= n) r -= n;                                                                  \
    }                                                                                        \
    for (; e < total; e++)                                                                   \
        dst[e] = (T) skp_clip_or_scale(src[e], pattern[e % n], rescale);                     \
}                                                                                            \
SKP_AVX2 static int skp_write_narrow256_##SUFFIX(const T* src, ptrdiff_t src_stride, T* dst,  \
                                                 ptrdiff_t dst_stride, ptrdiff_t n_rows,     \
                                                 ptrdiff_t n, int rescale, const T* levels) { \
    T pattern[3 * (W)];                                                                      \
    if (!skp_narrow_columns || !skp_have_avx2() || n >= 2 * (W)                              \
            || src_stride != n * (ptrdiff_t) sizeof(T)                                       \
            || dst_stride != src_stride || n_rows * n < 4 * (W))                             \
        return 0;                                                                            \
    SKP_REPEATED(pattern, levels, n, n + (W));                                               \
    if (rescale) skp_write_narrow256_##SUFFIX##_(src, dst, n_rows * n, n, 1, pattern);       \
    else skp_write_narrow256_##SUFFIX##_(src, dst, n_rows * n, n, 0, pattern);               \
    return 1;                                                                                \
}
SKP_WRITE_NARROW256(f32, float, __m256, 8, ps)
SKP_WRITE_NARROW256(f64, double, __m256d, 4, pd)
#undef SKP_WRITE_NARROW256

/* The AVX2 loop of skp_write_kept_row512_f32 and _f64, a cache line (two
 * vectors) at a time: a line of dst whose levels are all zero is streamed
 * zeros without reading src; the others as skp_write_row_*'s vectors, the
 * values before dst's first line and after its last whole one as its scalar
 * ones, so the same result (a zero level's entries +0 where unread).
 * Issue 14, an AMD Zen 5 with its AVX-512 loops off, 1000 x 10000 column
 * groups, the module builds side by side, times a copy, every line read ->
 * these: float32 at 1 and 2 % of the groups kept bilevel_l1inf 2.14 -> 1.39
 * and 2.21 -> 1.49, bilevel_l12 2.23 -> 1.39 and 2.25 -> 1.45; float64 at
 * 2 and 5 % 1.88 -> 1.09 and 1.88 -> 1.21, 1.76 -> 0.98 and 1.79 -> 1.10;
 * at 10-50 %, where it is not taken, 0.98-1.014.  Returns 0 (nothing
 * written) where dst's first line leaves no whole line. */
#define SKP_WRITE_KEPT_ROW256(SUFFIX, T, VEC, W, PS)                                         \
SKP_AVX2 static int skp_write_kept_row256_##SUFFIX(const T* src, T* dst, ptrdiff_t n,         \
                                                   int rescale, const T* levels,             \
                                                   const T* next) {                          \
    const VEC sign = _mm256_set1_##PS((T) -0.0), zero = _mm256_setzero_##PS();              \
    const ptrdiff_t head = skp_line_head(dst, sizeof(T));                                    \
    const ptrdiff_t ahead = skp_ahead_streamed(1) / (ptrdiff_t) sizeof(T);                   \
    ptrdiff_t j;                                                                             \
    if ((uintptr_t) dst % sizeof(T) != 0 || head + 2 * W > n) return 0;                      \
    for (j = 0; j < head; j++)                                                               \
        dst[j] = (T) skp_clip_or_scale(src[j], levels[j], rescale);                          \
    for (; j + 2 * W <= n; j += 2 * W) {                                                     \
        const VEC l0 = _mm256_loadu_##PS(levels + j), l1 = _mm256_loadu_##PS(levels + j + W); \
        const VEC both = _mm256_or_##PS(l0, l1);                                             \
        const ptrdiff_t k = j + ahead < n ? j + ahead : j + ahead - n;                       \
        const T* later = j + ahead < n ? src + k : next ? next + k : NULL;                   \
        if (ahead && later && k + 2 * W <= n) {                                              \
            const VEC lk = _mm256_or_##PS(_mm256_loadu_##PS(levels + k),                     \
                                          _mm256_loadu_##PS(levels + k + W));                \
            if (!_mm256_testz_si256(_mm256_cast##PS##_si256(lk), _mm256_cast##PS##_si256(lk))) { \
                skp_prefetch_ahead(later, 0);                                                \
                skp_prefetch_ahead(later + 2 * W - 1, 0);                                    \
            }                                                                                \
        }                                                                                    \
        if (_mm256_testz_si256(_mm256_cast##PS##_si256(both), _mm256_cast##PS##_si256(both))) { \
            _mm256_stream_##PS(dst + j, zero);                                               \
            _mm256_stream_##PS(dst + j + W, zero);                                           \
        } else {                                                                             \
            _mm256_stream_##PS(dst + j, SKP_LEVELLED(PS, _mm256_loadu_##PS(src + j), l0));   \
            _mm256_stream_##PS(dst + j + W,                                                  \
                               SKP_LEVELLED(PS, _mm256_loadu_##PS(src + j + W), l1));        \
        }                                                                                    \
    }                                                                                        \
    for (; j < n; j++)                                                                       \
        dst[j] = (T) skp_clip_or_scale(src[j], levels[j], rescale);                          \
    return 1;                                                                                \
}
SKP_WRITE_KEPT_ROW256(f32, float, __m256, 8, ps)

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
#define SKP_NONZERO512_f32(l) _mm512_test_epi32_mask(_mm512_castps_si512(l), _mm512_castps_si512(l))
#define SKP_NONZERO512_f64(l) _mm512_test_epi64_mask(_mm512_castpd_si512(l), _mm512_castpd_si512(l))
/* The narrow blocks' run (skp_write_narrow512) takes rows of fewer than this
 * many vectors of values (issue 14, the Zen 4, float32 column groups at half
 * the norm, rows of 17-29 values / of fewer than 16: bilevel_l1inf and
 * bilevel_l12 0.86-0.99 of the time, the exact ball 0.87-0.97). */
#define SKP_NARROW_MAX_VECTORS 2
/* ... and past the strips' size, where the alternative is the row loop, rows
 * of fewer than this many vectors, streamed past the caches (issue 14, the
 * Zen 4, single calls interleaved, at 10-90 % of the norm, times a copy, a
 * row a call -> one run: float32 100000 x 3 by columns bilevel_l1inf
 * 19.4 -> 2.7, bilevel_l12 22.9 -> 5.3, 20000 x 16 3.9 -> 1.5 and 4.2 ->
 * 2.0, 50000 x 24 3.7 -> 1.5, 40000 x 31 3.1 -> 1.5, 1000000 x 3 12.4-13.1
 * -> 2.1-2.2; float64 100000 x 3 11.2 -> 3.3, 20000 x 16 3.8 -> 1.6,
 * 50000 x 24 1.9-2.0 -> 1.3-1.4, 1000000 x 3 4.3-5.0 -> 1.6-1.8). */
#define SKP_NARROW_LARGE_VECTORS 4
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
/* A streamed row of column groups at least half of whose vectors of levels are zero     \
 * (_l1.pxd, write_kept_columns): a vector of dst whose levels are all zero is streamed   \
 * zeros without reading src, so that only src's lines under kept columns are read, and  \
 * only those are prefetched, ``ahead`` bytes on, in the next row (``next``, NULL for    \
 * none) past this one's end.  The other vectors as skp_write_row512's, so the same      \
 * result (a zero level's entries +0, where the clip at 0 keeps their sign).  Issue 14,  \
 * an AMD Zen 5, 1000 x 10000 column groups, the module builds interleaved in one        \
 * process, times a copy, every line read -> these: float32 at 1 and 2 % of the groups   \
 * kept (85 and 72 % of the vectors zero) bilevel_l1inf 1.57 -> 1.07 and 1.58 -> 1.13,   \
 * bilevel_l12 1.65 -> 1.24 and 1.64 -> 1.30; float64 at 2 and 5 % (85 and 66 %) 1.54 -> \
 * 1.12 and 1.56 -> 1.24, 1.36 -> 1.07 and 1.36 -> 1.13 (float64 at 1 % takes           \
 * _bilevel's sparse path, zeroed, then the kept columns: 0.85-0.99, as this loop);      \
 * but where few vectors are zero, 1.45-1.50 -> 1.66-1.80, and even at 42 %.  Returns 0  \
 * (nothing written) where dst's first line leaves no whole vector. */                   \
SKP_AVX512 static int skp_write_kept_row512_##SUFFIX##_unguarded(                        \
        const T* src, T* dst, ptrdiff_t n, int rescale, const T* levels, const T* next) { \
    const ptrdiff_t head = skp_line_head(dst, sizeof(T));                                \
    const ptrdiff_t ahead = skp_ahead_streamed(1) / (ptrdiff_t) sizeof(T);               \
    const VEC zero = _mm512_setzero_##PS();                                              \
    ptrdiff_t j = head;                                                                  \
    if ((uintptr_t) dst % sizeof(T) != 0 || head + LANES > n) return 0;                  \
    if (head) skp_levelled_some512_##SUFFIX(src, dst, head, rescale, zero, levels);      \
    for (; j + LANES <= n; j += LANES) {                                                 \
        const VEC l = _mm512_loadu_##PS(levels + j);                                     \
        const ptrdiff_t k = j + ahead < n ? j + ahead : j + ahead - n;                   \
        const T* later = j + ahead < n ? src + k : next ? next + k : NULL;               \
        if (ahead && later && k + LANES <= n                                             \
                && SKP_NONZERO512_##SUFFIX(_mm512_loadu_##PS(levels + k))) {             \
            skp_prefetch_ahead(later, 0);                                                \
            skp_prefetch_ahead(later + LANES - 1, 0);                                    \
        }                                                                                \
        _mm512_stream_##PS(dst + j, SKP_NONZERO512_##SUFFIX(l)                           \
            ? skp_levelled512_##SUFFIX(_mm512_loadu_##PS(src + j), l, rescale) : zero);  \
    }                                                                                    \
    if (j < n)                                                                           \
        skp_levelled_some512_##SUFFIX(src + j, dst + j, n - j, rescale, zero, levels + j); \
    return 1;                                                                            \
}                                                                                        \
                                                                                         \
static inline int skp_write_kept_row512_##SUFFIX(const T* src, T* dst, ptrdiff_t n,      \
                                                 int rescale, const T* levels,          \
                                                 const T* next) {                       \
    if (!skp_avx512) return 0;                                                           \
    return skp_write_kept_row512_##SUFFIX##_unguarded(src, dst, n, rescale, levels, next); \
}                                                                                        \
                                                                                         \
/* A block of n < SKP_NARROW_LARGE_VECTORS * LANES columns whose rows lie one           \
 * after the other in src and in dst, written as one run: whole vectors from            \
 * dst's first line (streamed with ``stream``, then fenced), each vector's levels       \
 * loaded from ``pattern`` (the columns' levels over and over) at the run's place       \
 * among the columns, where a masked load and store a row cost a row's few values       \
 * several cycles (issue 14, the Zen 4, float32 bilevel_l1inf by columns at half the    \
 * norm: 20000 x 3 a quarter of the call).  The same operation on each                  \
 * value, so the same result. */                                                        \
SKP_AVX512 static inline __attribute__((always_inline)) void skp_write_narrow512_##SUFFIX##_( \
        const T* src, T* dst, ptrdiff_t n_rows, ptrdiff_t n, const int rescale,         \
        const T* levels, const int stream) {                                             \
    const ptrdiff_t total = n_rows * n, step = LANES % n;                                \
    ptrdiff_t head = skp_line_head(dst, sizeof(T)), e, r;                                \
    T pattern[(SKP_NARROW_LARGE_VECTORS + 1) * LANES];                                   \
    SKP_REPEATED(pattern, levels, n, n + LANES);                                         \
    if (head > total) head = total;                                                      \
    if (head)                                                                            \
        skp_levelled_some512_##SUFFIX(src, dst, head, rescale, _mm512_setzero_##PS(),    \
                                      pattern);                                          \
    r = head % n;                                                                        \
    for (e = head; e + LANES <= total; e += LANES) {                                     \
        skp_levelled_put512_##SUFFIX(dst + e, _mm512_loadu_##PS(src + e),                \
                                     _mm512_loadu_##PS(pattern + r), rescale, stream);   \
        r += step;                                                                       \
        if (r >= n) r -= n;                                                              \
    }                                                                                    \
    if (e < total)                                                                       \
        skp_levelled_some512_##SUFFIX(src + e, dst + e, total - e, rescale,              \
                                      _mm512_setzero_##PS(), pattern + r);               \
    if (stream) skp_stream_fence();                                                      \
}                                                                                        \
                                                                                         \
/* Whether the block suits skp_write_narrow512 (then written by it): fewer columns      \
 * than ``most`` vectors hold (SKP_NARROW_MAX_VECTORS in cache, beside the strips;       \
 * SKP_NARROW_LARGE_VECTORS past them). */                                               \
SKP_AVX512 static int skp_write_narrow512_##SUFFIX##_unguarded(                          \
        const T* src, ptrdiff_t src_stride, T* dst, ptrdiff_t dst_stride,               \
        ptrdiff_t n_rows, ptrdiff_t n, int rescale, const T* levels, int most,          \
        int stream) {                                                                    \
    if (n >= most * LANES || most > SKP_NARROW_LARGE_VECTORS                             \
            || src_stride != n * (ptrdiff_t) sizeof(T) || dst_stride != src_stride       \
            || n_rows * n < 4 * LANES || (uintptr_t) dst % sizeof(T) != 0)              \
        return 0;                                                                        \
    if (stream && rescale) skp_write_narrow512_##SUFFIX##_(src, dst, n_rows, n, 1, levels, 1); \
    else if (stream) skp_write_narrow512_##SUFFIX##_(src, dst, n_rows, n, 0, levels, 1); \
    else if (rescale) skp_write_narrow512_##SUFFIX##_(src, dst, n_rows, n, 1, levels, 0); \
    else skp_write_narrow512_##SUFFIX##_(src, dst, n_rows, n, 0, levels, 0);            \
    return 1;                                                                            \
}                                                                                        \
                                                                                         \
/* The same where the CPU has AVX-512F (skp_avx512), else 0. */                          \
static inline int skp_write_narrow512_##SUFFIX(const T* src, ptrdiff_t src_stride, T* dst, \
                                               ptrdiff_t dst_stride, ptrdiff_t n_rows,   \
                                               ptrdiff_t n, int rescale, const T* levels, \
                                               int most, int stream) {                   \
    return skp_avx512 && skp_narrow_columns && skp_write_narrow512_##SUFFIX##_unguarded(  \
        src, src_stride, dst, dst_stride, n_rows, n, rescale, levels, most, stream);     \
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
    if (skp_narrow_columns                                                               \
            && skp_write_narrow512_##SUFFIX##_unguarded(src, src_stride, dst, dst_stride,  \
                                                        n_rows, n, rescale, levels,      \
                                                        SKP_NARROW_MAX_VECTORS, 0))      \
        return;                                                                          \
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
    if (n * (ptrdiff_t) sizeof(T) >= SKP_FLAT_ROW_BYTES || !skp_have_avx2())                \
        return 0;                                                                           \
    if (!skp_avx512)                                                                        \
        return skp_write_rows_flat256_##SUFFIX(src, dst, n_rows, n, rescale, levels);       \
    if (n < LANES)                                                                          \
        return 0;                                                                           \
    skp_write_rows_flat512_##SUFFIX(src, dst, n_rows, n, rescale, levels);                  \
    return 1;                                                                               \
}

/* The same with AVX2 (rows of a vector's W values or more), a row at a
 * time: its whole vectors at its level (the row write's operations,
 * SKP_LEVELLED; a zero level's +0, not read), then the vector that runs into
 * the next row, its levels blended from that row's first value on and a
 * zero level's lanes +0; the last values (fewer than W) as the row write's
 * scalar ones.  Returns 0 (nothing written) on rows shorter than a vector.
 * Issue 14, the Zen 4 with AVX-512 switched off, single calls interleaved,
 * a call a row -> this: bilevel_l1inf float32 at 10 and 50 % of the norm
 * 200000 x 17 0.57-0.76 of the time, 20000 x 100 0.78-0.86, 2000 x 100
 * 0.78-0.83, 100000 x 100 0.86-0.98, 250000 x 40 1.00-1.05; bilevel_l12
 * 0.71-1.03; float64 100000 x 100 0.96-0.99; the exact ball's row groups
 * (whose write is a small share) 0.88-1.08, in cache 0.92-0.98 (a first
 * version, a branch and a blend at every vector, had taken 1.02-1.11
 * there). */
#define SKP_WRITE_ROWS_FLAT256(SUFFIX, T, VEC, W, PS, IVEC_CMPGT, IOTA, SET1I)               \
SKP_AVX2 static int skp_write_rows_flat256_##SUFFIX(const T* src, T* dst, ptrdiff_t n_rows,  \
                                                    ptrdiff_t n, int rescale,                \
                                                    const T* levels) {                       \
    const VEC sign = _mm256_set1_##PS((T) -0.0), zero = _mm256_setzero_##PS();              \
    const __m256i iota = IOTA;                                                               \
    const ptrdiff_t total = n_rows * n;                                                      \
    ptrdiff_t j = 0, r, end;                                                                 \
    VEC l;                                                                                   \
    if (n < W) return 0;                                                                     \
    for (r = 0; r < n_rows; r++) {                                                           \
        end = (r + 1) * n;                                                                   \
        l = _mm256_set1_##PS(levels[r]);                                                     \
        if (levels[r] == 0)                                                                  \
            for (; j + W <= end; j += W) _mm256_storeu_##PS(dst + j, zero);                  \
        else                                                                                 \
            for (; j + W <= end; j += W)                                                     \
                _mm256_storeu_##PS(dst + j, SKP_LEVELLED(PS, _mm256_loadu_##PS(src + j), l)); \
        if (j < end && j + W <= total) {   /* (into row r + 1: r + 1 < n_rows) */           \
            l = _mm256_blendv_##PS(l, _mm256_set1_##PS(levels[r + 1]), _mm256_castsi256_##PS( \
                IVEC_CMPGT(iota, SET1I(end - j - 1))));                                      \
            _mm256_storeu_##PS(dst + j, _mm256_and_##PS(_mm256_cmp_##PS(l, zero, _CMP_NEQ_UQ), \
                SKP_LEVELLED(PS, _mm256_loadu_##PS(src + j), l)));                           \
            j += W;                                                                          \
        }                                                                                    \
    }                                                                                        \
    for (; j < total; j++) {                                                                 \
        const T level = levels[j / n];                                                       \
        dst[j] = level == 0 ? (T) 0 : (T) skp_clip_or_scale(src[j], level, rescale);         \
    }                                                                                        \
    return 1;                                                                                \
}
#define SKP_IOTA8 _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)
#define SKP_IOTA4 _mm256_setr_epi64x(0, 1, 2, 3)
SKP_WRITE_ROWS_FLAT256(f32, float, __m256, 8, ps, _mm256_cmpgt_epi32, SKP_IOTA8,
                       _mm256_set1_epi32)
SKP_WRITE_ROWS_FLAT256(f64, double, __m256d, 4, pd, _mm256_cmpgt_epi64, SKP_IOTA4,
                       _mm256_set1_epi64x)
#undef SKP_IOTA8
#undef SKP_IOTA4
#undef SKP_WRITE_ROWS_FLAT256
SKP_WRITE_ROWS_FLAT512(f32, float, __m512, __mmask16, 16, ps)
SKP_WRITE_ROWS_FLAT512(f64, double, __m512d, __mmask8, 8, pd)
#undef SKP_WRITE_ROWS_FLAT512

SKP_WRITE_ROW256(f64, double, __m256d, 4, pd)
SKP_WRITE_KEPT_ROW256(f64, double, __m256d, 4, pd)

/* The kept-lines write of a row (see skp_write_kept_row512_f32): the AVX-512
 * loop where it runs, else the AVX2 one (the caller checks that AVX2 runs);
 * 0 where neither wrote. */
#define SKP_WRITE_KEPT_ROW(SUFFIX, T)                                                        \
static inline int skp_write_kept_row_##SUFFIX(const T* src, T* dst, ptrdiff_t n, int rescale, \
                                              const T* levels, const T* next) {              \
    return skp_write_kept_row512_##SUFFIX(src, dst, n, rescale, levels, next)                \
           || skp_write_kept_row256_##SUFFIX(src, dst, n, rescale, levels, next);            \
}
SKP_WRITE_KEPT_ROW(f32, float)
SKP_WRITE_KEPT_ROW(f64, double)
#undef SKP_LEVELLED
#undef SKP_WRITE_ROW256

#else  /* no AVX2 loops: the Cython loops run */

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
static inline double skp_norms_sum(const double* values, ptrdiff_t n) {
    return skp_norms_sum_portable(values, n);
}
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
static inline int skp_write_kept_row_f32(const float* src, float* dst, ptrdiff_t n,
                                         int rescale, const float* levels, const float* next) {
    return 0;
}
static inline int skp_write_kept_row_f64(const double* src, double* dst, ptrdiff_t n,
                                         int rescale, const double* levels,
                                         const double* next) {
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
#define SKP_NARROW_MAX_VECTORS 2
#define SKP_NARROW_LARGE_VECTORS 4
static inline int skp_write_narrow512_f32(const float* src, ptrdiff_t src_stride, float* dst,
                                          ptrdiff_t dst_stride, ptrdiff_t n_rows, ptrdiff_t n,
                                          int rescale, const float* levels, int most,
                                          int stream) {
    return 0;
}
static inline int skp_write_narrow512_f64(const double* src, ptrdiff_t src_stride,
                                          double* dst, ptrdiff_t dst_stride, ptrdiff_t n_rows,
                                          ptrdiff_t n, int rescale, const double* levels,
                                          int most, int stream) {
    return 0;
}
static inline int skp_write_narrow256_f32(const float* src, ptrdiff_t src_stride, float* dst,
                                          ptrdiff_t dst_stride, ptrdiff_t n_rows, ptrdiff_t n,
                                          int rescale, const float* levels) {
    return 0;
}
static inline int skp_write_narrow256_f64(const double* src, ptrdiff_t src_stride,
                                          double* dst, ptrdiff_t dst_stride, ptrdiff_t n_rows,
                                          ptrdiff_t n, int rescale, const double* levels) {
    return 0;
}

#endif
#endif
