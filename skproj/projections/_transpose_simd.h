/* An 8 x 8 block of floats (and a 4 x 4 one of doubles) transposed in AVX2
 * registers, and an 8 x 8 one of doubles in AVX-512F ones, defined once for
 * the kernels that read rows as columns (_bilevel_simd.h's packed and short
 * rows and float64 candidates, _streaming_simd.h's short rows' norms,
 * _l1inf_small.h's transposed short groups, _l1inf_short.h's short row
 * groups).  Compiled with a per-function target attribute (no -march); the
 * callers run each only where the CPU has its instructions.
 */
#ifndef SKPROJ_TRANSPOSE_SIMD_H
#define SKPROJ_TRANSPOSE_SIMD_H

#include <stddef.h>

/* pattern[k] = values[k % n] for k < count: a narrow block's per-column
 * values (levels, taus) over and over, as a flat run along its rows meets
 * them (the narrow writes of _streaming_simd.h and _bilevel_simd.h). */
#define SKP_REPEATED(pattern, values, n, count)                                  \
    do {                                                                         \
        ptrdiff_t k_, r_ = 0;                                                    \
        for (k_ = 0; k_ < (count); k_++) {                                       \
            (pattern)[k_] = (values)[r_];                                        \
            r_ = r_ + 1 < (n) ? r_ + 1 : 0;                                      \
        }                                                                        \
    } while (0)

/* rows[j * n_rows + i] = y[i * n + j] for the rows i from ``first`` on: the
 * rest of skp_narrow_as_rows_f32/_f64 after their whole blocks. */
#define SKP_NARROW_ROWS_REST(y, n_rows, n, rows, first)                           \
    do {                                                                         \
        ptrdiff_t i_, j_;                                                        \
        for (i_ = (first); i_ < (n_rows); i_++)                                  \
            for (j_ = 0; j_ < (n); j_++) (rows)[j_ * (n_rows) + i_] = (y)[i_ * (n) + j_]; \
    } while (0)

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#include <stddef.h>

/* The first two steps of a transposition of ``n`` rows of floats r[0..n-1]
 * (``PS`` _mm256 or _mm512): the pairs of rows interleaved into t, then
 * their quads into u, each 128-bit lane apart, so that lane L of u[4 j + m]
 * holds rows 4 j .. 4 j + 3 of column 4 L + m. */
#define SKP_TRANSPOSE_QUADS(PS, n, r, t, u)                                            \
    do {                                                                               \
        int q_;                                                                        \
        for (q_ = 0; q_ < (n); q_ += 2) {                                              \
            (t)[q_] = PS##_unpacklo_ps((r)[q_], (r)[q_ + 1]);                          \
            (t)[q_ + 1] = PS##_unpackhi_ps((r)[q_], (r)[q_ + 1]);                      \
        }                                                                              \
        for (q_ = 0; q_ < (n); q_ += 4) {                                              \
            (u)[q_] = PS##_shuffle_ps((t)[q_], (t)[q_ + 2], _MM_SHUFFLE(1, 0, 1, 0));  \
            (u)[q_ + 1] = PS##_shuffle_ps((t)[q_], (t)[q_ + 2], _MM_SHUFFLE(3, 2, 3, 2)); \
            (u)[q_ + 2] = PS##_shuffle_ps((t)[q_ + 1], (t)[q_ + 3],                    \
                                          _MM_SHUFFLE(1, 0, 1, 0));                    \
            (u)[q_ + 3] = PS##_shuffle_ps((t)[q_ + 1], (t)[q_ + 3],                    \
                                          _MM_SHUFFLE(3, 2, 3, 2));                    \
        }                                                                              \
    } while (0)

/* r[c] becomes column c of the rows r[0..7]. */
__attribute__((target("avx2"))) static inline void skp_transpose8(__m256* r) {
    __m256 t[8], u[8];
    int i;
    SKP_TRANSPOSE_QUADS(_mm256, 8, r, t, u);
    for (i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
        r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
    }
}

/* An 8 x 8 block of doubles in AVX-512F registers: r[c] becomes column c
 * of the rows r[0..7] (_bilevel_simd.h's float64 candidate gather). */
__attribute__((target("avx512f"))) static inline void skp_transpose8x8_pd(__m512d* r) {
    const __m512i low = _mm512_setr_epi64(0, 1, 8, 9, 4, 5, 12, 13);
    const __m512i high = _mm512_setr_epi64(2, 3, 10, 11, 6, 7, 14, 15);
    const __m512i lower = _mm512_setr_epi64(0, 1, 2, 3, 8, 9, 10, 11);
    const __m512i upper = _mm512_setr_epi64(4, 5, 6, 7, 12, 13, 14, 15);
    __m512d t[8], u[8];
    int k;
    for (k = 0; k < 8; k += 2) {
        t[k] = _mm512_unpacklo_pd(r[k], r[k + 1]);
        t[k + 1] = _mm512_unpackhi_pd(r[k], r[k + 1]);
    }
    for (k = 0; k < 2; k++) {
        u[k] = _mm512_permutex2var_pd(t[k], low, t[k + 2]);
        u[k + 2] = _mm512_permutex2var_pd(t[k], high, t[k + 2]);
        u[k + 4] = _mm512_permutex2var_pd(t[k + 4], low, t[k + 6]);
        u[k + 6] = _mm512_permutex2var_pd(t[k + 4], high, t[k + 6]);
    }
    for (k = 0; k < 4; k++) {
        r[k] = _mm512_permutex2var_pd(u[k], lower, u[k + 4]);
        r[k + 4] = _mm512_permutex2var_pd(u[k], upper, u[k + 4]);
    }
}

/* r[c] becomes column c of the rows r[0..15] of 16 floats (AVX-512F): the
 * quads of rows in each 128-bit lane (SKP_TRANSPOSE_QUADS), then the lanes
 * gathered across the rows in two steps (64 shuffles). */
__attribute__((target("avx512f"))) static inline __attribute__((always_inline))
void skp_transpose16(__m512* r) {
    __m512 t[16], u[16];
    int m;
    SKP_TRANSPOSE_QUADS(_mm512, 16, r, t, u);
    for (m = 0; m < 4; m++) {
        /* (lanes 0 and 2, then 1 and 3, of the row quads 0, 1 and 2, 3) */
        const __m512 even01 = _mm512_shuffle_f32x4(u[m], u[4 + m], _MM_SHUFFLE(2, 0, 2, 0));
        const __m512 even23 = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], _MM_SHUFFLE(2, 0, 2, 0));
        const __m512 odd01 = _mm512_shuffle_f32x4(u[m], u[4 + m], _MM_SHUFFLE(3, 1, 3, 1));
        const __m512 odd23 = _mm512_shuffle_f32x4(u[8 + m], u[12 + m], _MM_SHUFFLE(3, 1, 3, 1));
        r[m] = _mm512_shuffle_f32x4(even01, even23, _MM_SHUFFLE(2, 0, 2, 0));
        r[8 + m] = _mm512_shuffle_f32x4(even01, even23, _MM_SHUFFLE(3, 1, 3, 1));
        r[4 + m] = _mm512_shuffle_f32x4(odd01, odd23, _MM_SHUFFLE(2, 0, 2, 0));
        r[12 + m] = _mm512_shuffle_f32x4(odd01, odd23, _MM_SHUFFLE(3, 1, 3, 1));
    }
}

/* c[k] = entry k of the eight rows of 8 floats at ``base`` (``row_stride``
 * bytes apart): skp_transpose8 of the rows loaded, its last stage done by
 * the loads (each vector the halves of rows r and r + 4), so 16 shuffles
 * rather than 24 (they all run on one port). */
__attribute__((target("avx2"))) static inline void skp_load_transposed8(
        const float* base, ptrdiff_t row_stride, __m256* c) {
    __m256 t[8], u[8];
    int r, h;
#define SKP_ROW(r) ((const float*) ((const char*) base + (r) * row_stride))
    for (h = 0; h < 2; h++)
        for (r = 0; r < 4; r++)
            t[4 * h + r] = _mm256_insertf128_ps(
                _mm256_castps128_ps256(_mm_loadu_ps(SKP_ROW(r) + 4 * h)),
                _mm_loadu_ps(SKP_ROW(r + 4) + 4 * h), 1);
#undef SKP_ROW
    for (h = 0; h < 8; h += 4) {
        u[h] = _mm256_unpacklo_ps(t[h], t[h + 1]);
        u[h + 1] = _mm256_unpackhi_ps(t[h], t[h + 1]);
        u[h + 2] = _mm256_unpacklo_ps(t[h + 2], t[h + 3]);
        u[h + 3] = _mm256_unpackhi_ps(t[h + 2], t[h + 3]);
        c[h] = _mm256_shuffle_ps(u[h], u[h + 2], _MM_SHUFFLE(1, 0, 1, 0));
        c[h + 1] = _mm256_shuffle_ps(u[h], u[h + 2], _MM_SHUFFLE(3, 2, 3, 2));
        c[h + 2] = _mm256_shuffle_ps(u[h + 1], u[h + 3], _MM_SHUFFLE(1, 0, 1, 0));
        c[h + 3] = _mm256_shuffle_ps(u[h + 1], u[h + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
}

/* c[k] = entry k of the four rows of 4 doubles at ``base`` (``row_stride``
 * bytes apart): each vector the halves of rows r and r + 2, then one
 * unpack a pair. */
__attribute__((target("avx2"))) static inline __attribute__((always_inline))
void skp_load_transposed4_f64(
        const double* base, ptrdiff_t row_stride, __m256d* c) {
    __m256d t[4];
    int h;
#define SKP_ROW(r) ((const double*) ((const char*) base + (r) * row_stride))
    for (h = 0; h < 2; h++) {
        t[2 * h] = _mm256_insertf128_pd(_mm256_castpd128_pd256(_mm_loadu_pd(SKP_ROW(0) + 2 * h)),
                                        _mm_loadu_pd(SKP_ROW(2) + 2 * h), 1);
        t[2 * h + 1] = _mm256_insertf128_pd(
            _mm256_castpd128_pd256(_mm_loadu_pd(SKP_ROW(1) + 2 * h)),
            _mm_loadu_pd(SKP_ROW(3) + 2 * h), 1);
    }
#undef SKP_ROW
    for (h = 0; h < 2; h++) {
        c[2 * h] = _mm256_unpacklo_pd(t[2 * h], t[2 * h + 1]);
        c[2 * h + 1] = _mm256_unpackhi_pd(t[2 * h], t[2 * h + 1]);
    }
}

/* Entry j of rows r .. r + 7 of ``n_rows`` rows of n <= 16 floats lying one
 * after the other at ``base``, a row a lane, in f[j] (0 past the last row):
 * the rows loaded whole and transposed (skp_load_transposed8) where those
 * loads stay inside the matrix, else gathered. */
__attribute__((target("avx2"))) static inline void skp_short_rows_as_lanes8(
        const float* base, ptrdiff_t n_rows, ptrdiff_t r, ptrdiff_t n, __m256* f) {
    const float* block = base + r * n;
    ptrdiff_t j;
    if ((r + 7) * n + (n > 8 ? 16 : 8) <= n_rows * n) {
        skp_load_transposed8(block, n * (ptrdiff_t) sizeof(float), f);
        if (n > 8) skp_load_transposed8(block + 8, n * (ptrdiff_t) sizeof(float), f + 8);
    } else {
        const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        const __m256i first = _mm256_mullo_epi32(lane, _mm256_set1_epi32((int) n));
        const __m256 some = _mm256_castsi256_ps(
            _mm256_cmpgt_epi32(_mm256_set1_epi32((int) (n_rows - r)), lane));
        for (j = 0; j < n; j++)
            f[j] = _mm256_mask_i32gather_ps(
                _mm256_setzero_ps(), block, _mm256_add_epi32(first, _mm256_set1_epi32((int) j)),
                some, 4);
    }
}

/* The same for float64: rows r .. r + 3, four a block (skp_load_transposed4_f64
 * over each four values of the rows), in c[j]. */
__attribute__((target("avx2"))) static inline __attribute__((always_inline))
void skp_short_rows_as_lanes4_f64(
        const double* base, ptrdiff_t n_rows, ptrdiff_t r, ptrdiff_t n, __m256d* c) {
    const double* block = base + r * n;
    ptrdiff_t j;
    if ((r + 3) * n + (n + 3) / 4 * 4 <= n_rows * n) {
        for (j = 0; j < n; j += 4)
            skp_load_transposed4_f64(block + j, n * (ptrdiff_t) sizeof(double), c + j);
    } else {
        const __m128i lane = _mm_setr_epi32(0, 1, 2, 3);
        const __m128i first = _mm_mullo_epi32(lane, _mm_set1_epi32((int) n));
        const __m256d some = _mm256_castsi256_pd(_mm256_cvtepi32_epi64(
            _mm_cmpgt_epi32(_mm_set1_epi32((int) (n_rows - r)), lane)));
        for (j = 0; j < n; j++)
            c[j] = _mm256_mask_i32gather_pd(
                _mm256_setzero_pd(), block, _mm_add_epi32(first, _mm_set1_epi32((int) j)),
                some, 8);
    }
}

/* Rows of few values by permutes (AVX-512F): the LANES rows' n values (LANES
 * float32 or float64 rows, r .. r + LANES - 1) lie in n whole vectors, loaded
 * as they lie (masked past the matrix's end: 0 past the last row), and value
 * j of row k, entry k n + j of the block, is moved into lane k of f[j] from
 * the pair of vectors holding it (a two-source permute, whose indices' low
 * bits address the pair; each pair's lanes merged over the pair's before,
 * the last vector alone by a one-source permute): n (n - 1) permutes and
 * merges a block, where the two halves' 8 x 8 transpositions took some 80
 * shuffles and loads whatever n up to 8.  Inlined with ``n`` a constant, the indices
 * and masks are constants.  Taken for float32 rows of up to
 * SKP_PERMUTED_ROWS_MOST_F32 values and float64 ones of up to
 * SKP_PERMUTED_ROWS_MOST_F64 (issue 14, the AMD Zen 4, single calls
 * interleaved, by rows at half the norm, the same bits, this / the
 * transpositions: float32 30007 x 2 bilevel_l1inf 0.70, bilevel_l11 0.66,
 * bilevel_l12 0.80; 20007 x 3 0.77, 0.72, 0.77 (the exact ball 0.97);
 * 15007 x 4 0.81, 0.74, 0.80; 12007 x 5 0.87, 0.80, 0.83 (0.93); 10007 x 6
 * 0.92, 0.84, 0.87; 6673 x 9 bilevel_l11 and bilevel_l12 0.93; float64
 * 20007 x 3 0.84, 0.79, 0.84 (0.83), 15007 x 4 0.88, 0.85, 0.83 (0.87);
 * but float32 rows of 12 and 15 values 1.09-1.38, float64 rows of 5
 * values the exact ball 1.05-1.06, of 7-15 1.09-1.97, hence the most;
 * bilevel_l1inf's maxima: see SKP_PERMUTED_MAXIMA_MOST_F32). */
#define SKP_ROWS_PERMUTED512(NAME, T, LANES, VECTOR, MASK, EPI, SUFFIX, LOADU, MASKZ_LOADU)  \
    __attribute__((target("avx512f"))) static inline __attribute__((always_inline)) void  \
    NAME(const T* base, ptrdiff_t n_rows, ptrdiff_t r, const ptrdiff_t n, VECTOR* f) {     \
        const T* block = base + r * n;                                                      \
        const ptrdiff_t left = (n_rows - r) * n;   /* values from the block's start */      \
        const __m512i first = _mm512_mullo_epi32(                                          \
            _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),      \
            _mm512_set1_epi32((int) n));                                                    \
        VECTOR v[16];                                                                       \
        ptrdiff_t j, k;                                                                     \
        for (k = 0; k < n; k++)                                                             \
            v[k] = left >= (LANES) * n ? LOADU(block + (LANES) * k) : MASKZ_LOADU(          \
                (MASK) (left - (LANES) * k >= (LANES) ? (MASK) -1                           \
                        : left > (LANES) * k ? (1u << (left - (LANES) * k)) - 1 : 0),       \
                block + (LANES) * k);                                                       \
        for (j = 0; j < n; j++) {                                                           \
            const __m512i at = SKP_PERMUTED_INDEX_##SUFFIX(                                 \
                _mm512_add_epi32(first, _mm512_set1_epi32((int) j)));                       \
            VECTOR g = _mm512_permutex2var_##SUFFIX(v[0], at, v[n > 1 ? 1 : 0]);            \
            for (k = 2; k < n; k += 2) {                                                    \
                const MASK from = _mm512_cmpge_##EPI##_mask(                                \
                    at, _mm512_set1_##EPI((LANES) * k));                                    \
                g = k + 1 < n                                                               \
                    ? _mm512_mask_mov_##SUFFIX(g, from, _mm512_permutex2var_##SUFFIX(       \
                        v[k], at, v[k + 1]))                                                \
                    : _mm512_mask_permutexvar_##SUFFIX(g, from, at, v[k]);                  \
            }                                                                               \
            f[j] = g;                                                                       \
        }                                                                                   \
    }
#define SKP_PERMUTED_INDEX_ps(at) (at)
#define SKP_PERMUTED_INDEX_pd(at) _mm512_cvtepi32_epi64(_mm512_castsi512_si256(at))
SKP_ROWS_PERMUTED512(skp_short_rows_permuted16, float, 16, __m512, __mmask16, epi32, ps,
                     _mm512_loadu_ps, _mm512_maskz_loadu_ps)
SKP_ROWS_PERMUTED512(skp_short_rows_permuted8_f64, double, 8, __m512d, __mmask8, epi64, pd,
                     _mm512_loadu_pd, _mm512_maskz_loadu_pd)
#undef SKP_PERMUTED_INDEX_ps
#undef SKP_PERMUTED_INDEX_pd
#undef SKP_ROWS_PERMUTED512
#define SKP_PERMUTED_ROWS_MOST_F32 9
#define SKP_PERMUTED_ROWS_MOST_F64 4

/* With AVX-512F: sixteen float32 rows (r .. r + 15; skp_short_rows_as_lanes16)
 * or eight float64 ones (r .. r + 7; skp_short_rows_as_lanes8_f64), value
 * j of each in f[j]: rows of few values by permutes (above), longer ones
 * each half of the rows by the AVX2 function above, the halves joined:
 * loads and shuffles, where a gather of value j of the rows (AVX-512) had
 * waited on its sixteen (eight) loads.  Issue 14, the AMD Zen
 * 4, single calls interleaved, at half the norm, the same bits, gathers ->
 * this, by rows of 8 to 15 values (4250 x 8 to 200000 x 8, 2266 x 15 to
 * 100000 x 15, 784 x 10): float32 bilevel_l1inf 0.57-0.78 of the time,
 * bilevel_l11 0.64-0.77, bilevel_l12 0.68-0.84, the exact ball 0.74-0.87;
 * float64 0.63-0.85, 0.46-0.84, 0.58-0.84, 0.84-0.92; rows of 3 values
 * 0.82-0.99.  (The short rows' norms, bilevel_l11's taus, the exact ball's
 * sorted groups.) */
#define SKP_ROWS_AS_LANES512(NAME, T, HALF, HALF_ROWS, HALF_VECTOR, VECTOR, JOIN, PERMUTED,  \
                             MOST)                                                         \
    __attribute__((target("avx512f"))) static inline __attribute__((always_inline)) void \
    NAME(const T* base, ptrdiff_t n_rows, ptrdiff_t r, const ptrdiff_t n, VECTOR* f) {  \
        HALF_VECTOR low[16], high[16];                                                  \
        ptrdiff_t j;                                                                    \
        if (n <= MOST) {                                                                \
            PERMUTED(base, n_rows, r, n, f);                                            \
            return;                                                                     \
        }                                                                               \
        HALF(base, n_rows, r, n, low);                                                  \
        HALF(base, n_rows, r + HALF_ROWS, n, high);                                     \
        for (j = 0; j < n; j++) f[j] = JOIN(low[j], high[j]);                           \
    }
#define SKP_JOIN_PD(low, high) _mm512_insertf64x4(_mm512_castpd256_pd512(low), high, 1)
#define SKP_JOIN_PS(low, high) \
    _mm512_castpd_ps(SKP_JOIN_PD(_mm256_castps_pd(low), _mm256_castps_pd(high)))
SKP_ROWS_AS_LANES512(skp_short_rows_as_lanes16, float, skp_short_rows_as_lanes8, 8, __m256,
                     __m512, SKP_JOIN_PS, skp_short_rows_permuted16, SKP_PERMUTED_ROWS_MOST_F32)
SKP_ROWS_AS_LANES512(skp_short_rows_as_lanes8_f64, double, skp_short_rows_as_lanes4_f64, 4,
                     __m256d, __m512d, SKP_JOIN_PD, skp_short_rows_permuted8_f64,
                     SKP_PERMUTED_ROWS_MOST_F64)
#undef SKP_JOIN_PS
#undef SKP_JOIN_PD
#undef SKP_ROWS_AS_LANES512

/* ------------------------------------------------------ narrow matrices' columns as rows
 * The n <= 16 columns of n_rows rows lying one after the other (float32;
 * float64 n <= 8) copied into rows: rows[j * n_rows + i] = y[i * n + j],
 * LANES rows a block turned into lanes (skp_short_rows_as_lanes16 and
 * _lanes8_f64 with AVX-512F, _lanes8 and _lanes4_f64 with AVX2, the
 * permutes inlined with n a constant), each column's lanes one store.
 * ``level``: 2 with AVX-512F, 1 with AVX2 alone (the caller's module's
 * switches), else 0 (plain C).  The blocks' functions return the rows they
 * copied; skp_narrow_as_rows_f32/_f64 copy the rest one by one.  For
 * narrow column groups projected as rows
 * (bilevel_l11's _narrow_columns, the exact ball's _narrow_project). */
#define SKP_NARROW_AS_ROWS(NAME, T, ATTR, LANES, VECTOR, AS_LANES, STORE)                    \
ATTR static inline __attribute__((always_inline)) ptrdiff_t NAME##_(                         \
        const T* y, ptrdiff_t n_rows, const ptrdiff_t n, T* rows) {                          \
    VECTOR f[16];                                                                            \
    ptrdiff_t r, j;                                                                          \
    for (r = 0; r + (LANES) <= n_rows; r += (LANES)) {                                       \
        AS_LANES(y, n_rows, r, n, f);                                                        \
        for (j = 0; j < n; j++) STORE(rows + j * n_rows + r, f[j]);                          \
    }                                                                                        \
    return r;                                                                                \
}                                                                                            \
ATTR static ptrdiff_t NAME(const T* y, ptrdiff_t n_rows, ptrdiff_t n, T* rows) {             \
    switch (n) {                                                                             \
    case 1: return NAME##_(y, n_rows, 1, rows);                                              \
    case 2: return NAME##_(y, n_rows, 2, rows);                                              \
    case 3: return NAME##_(y, n_rows, 3, rows);                                              \
    case 4: return NAME##_(y, n_rows, 4, rows);                                              \
    case 5: return NAME##_(y, n_rows, 5, rows);                                              \
    case 6: return NAME##_(y, n_rows, 6, rows);                                              \
    case 7: return NAME##_(y, n_rows, 7, rows);                                              \
    case 8: return NAME##_(y, n_rows, 8, rows);                                              \
    default: return NAME##_(y, n_rows, n, rows);                                             \
    }                                                                                        \
}
#define SKP_NARROW_AVX512 __attribute__((target("avx512f")))
#define SKP_NARROW_AVX2 __attribute__((target("avx2")))
SKP_NARROW_AS_ROWS(skp_narrow_as_rows512_f32, float, SKP_NARROW_AVX512, 16, __m512,
                   skp_short_rows_as_lanes16, _mm512_storeu_ps)
SKP_NARROW_AS_ROWS(skp_narrow_as_rows512_f64, double, SKP_NARROW_AVX512, 8, __m512d,
                   skp_short_rows_as_lanes8_f64, _mm512_storeu_pd)
SKP_NARROW_AS_ROWS(skp_narrow_as_rows256_f32, float, SKP_NARROW_AVX2, 8, __m256,
                   skp_short_rows_as_lanes8, _mm256_storeu_ps)
SKP_NARROW_AS_ROWS(skp_narrow_as_rows256_f64, double, SKP_NARROW_AVX2, 4, __m256d,
                   skp_short_rows_as_lanes4_f64, _mm256_storeu_pd)
#undef SKP_NARROW_AS_ROWS
#undef SKP_NARROW_AVX512
#undef SKP_NARROW_AVX2

static inline void skp_narrow_as_rows_f32(const float* y, ptrdiff_t n_rows, ptrdiff_t n,
                                          float* rows, int level) {
    const ptrdiff_t done = n > 16 || level < 1 ? 0
        : level >= 2 ? skp_narrow_as_rows512_f32(y, n_rows, n, rows)
                     : skp_narrow_as_rows256_f32(y, n_rows, n, rows);
    SKP_NARROW_ROWS_REST(y, n_rows, n, rows, done);
}

static inline void skp_narrow_as_rows_f64(const double* y, ptrdiff_t n_rows, ptrdiff_t n,
                                          double* rows, int level) {
    const ptrdiff_t done = n > 8 || level < 1 ? 0
        : level >= 2 ? skp_narrow_as_rows512_f64(y, n_rows, n, rows)
                     : skp_narrow_as_rows256_f64(y, n_rows, n, rows);
    SKP_NARROW_ROWS_REST(y, n_rows, n, rows, done);
}
#else
static inline void skp_narrow_as_rows_f32(const float* y, ptrdiff_t n_rows, ptrdiff_t n,
                                          float* rows, int level) {
    SKP_NARROW_ROWS_REST(y, n_rows, n, rows, 0);
}
static inline void skp_narrow_as_rows_f64(const double* y, ptrdiff_t n_rows, ptrdiff_t n,
                                          double* rows, int level) {
    SKP_NARROW_ROWS_REST(y, n_rows, n, rows, 0);
}
#endif

#endif  /* SKPROJ_TRANSPOSE_SIMD_H */
