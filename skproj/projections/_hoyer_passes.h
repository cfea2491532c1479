/* g of the group Hoyer projection at 4 or 8 thresholds in one pass over the matrix
 * (see _hoyer.pyx, "Narrowing by passes"): contiguous groups, of unit weights
 * or weighted, rows or the columns of a row-major matrix, AVX-512 or AVX2
 * (chosen as the band's passes are, by skh_avx512).
 *
 * These values only place a bracket: the band read checks g exactly at the
 * bracket's ends afterwards, so they need not be the bits _exact_g gives.  They
 * are the same bits at both widths all the same (the same lane-wise operations
 * on the skh_y8 and skh_z8 types of _hoyer_simd.h, FMA at both, lanes summed in a
 * fixed order), so that the bracket, and with it the last bits of the result,
 * do not depend on the CPU.
 *
 * Each key x = |y| / hi (``unit`` = 1 / hi, keys near 1 whatever the scale of y)
 * adds d = max(x - t_p, 0) and d^2 to its group's sums N_p and D2_p for each of
 * the P points t_p (also in units of hi; SKH_PASSES_OF(P, W, S) defines a
 * pass's functions at P points, with weights where W; the dispatch takes 4 or
 * 8); a group counts rho = N / sqrt(D2), or 1 where D2 is 0 (an all-zero or
 * 1-sparse group of unit weights).  With weights w (``wts``, in y's dtype: a
 * row's along it, or each row's for column groups) a key adds e = (x - t_p w)+
 * as w e to N_p and e^2 to D2_p, and a group whose D2 is 0 counts rho_one[g]
 * (its top's weight).  The
 * functions return 0 where a sum is not finite (NaN or inf in y, or squares
 * past the range of doubles: keys 1e154 times hi): the caller then keeps its
 * bracket, and the band read reports NaN and inf. */
#ifndef SKPROJ_HOYER_PASSES_H
#define SKPROJ_HOYER_PASSES_H

#include "_hoyer_simd.h"

#if defined(__GNUC__) && defined(__x86_64__)

#include <string.h>

/* Rows of column groups read at once: each chunk of columns' 16 vectors of
 * sums are loaded and stored once a block, the block's rows read as 8 streams
 * (4 and 32 rows measured slower, 16 even). */
#define SKH_PASS_ROWS 8
/* Bytes ahead of a row group's reads asked for: the hardware prefetchers alone
 * left the pass waiting on memory (1000 x 10000 float64, AVX-512: 3.5 ns a key
 * without, 1.7 at 512 bytes ahead, 1.0-1.1 at 2048 or 4096). */
#define SKH_PASS_AHEAD 2048
/* ... and ahead of each row of a block of column groups (10000 x 1000 and
 * 1000 x 10000: 1.1 and 0.7 ns a key in float64 and float32 without, 0.8 and
 * 0.4-0.5 at 128-256 bytes, slower again at 1024). */
#define SKH_PASS_COLUMNS_AHEAD 256

/* The AVX2 passes take FMA too (the squares' sums: an operation a point and
 * vector fewer, a fifth of them; FMA at both widths, so the same bits).  A
 * CPU with AVX2 but no FMA keeps the sample's bracket (skh_pass_fma). */
#define SKH_PASS_AVX2 __attribute__((target("avx2,fma,popcnt")))
static int skh_pass_fma = -1;
static inline int skh_have_fma(void) {
    if (skh_pass_fma < 0) {
        __builtin_cpu_init();
        skh_pass_fma = SKP_CPU_HAS("fma");
    }
    return skh_pass_fma;
}
SKH_PASS_AVX2 static inline skh_y8 skh_y8_fmadd(skh_y8 a, skh_y8 b, skh_y8 c) {
    skh_y8 r = {_mm256_fmadd_pd(a.low, b.low, c.low), _mm256_fmadd_pd(a.high, b.high, c.high)};
    return r;
}
#define skh_z8_fmadd _mm512_fmadd_pd
SKH_PASS_AVX2 static inline skh_y8 skh_y8_fnmadd(skh_y8 a, skh_y8 b, skh_y8 c) {
    skh_y8 r = {_mm256_fnmadd_pd(a.low, b.low, c.low), _mm256_fnmadd_pd(a.high, b.high, c.high)};
    return r;
}
#define skh_z8_fnmadd _mm512_fnmadd_pd

/* Sixteen floats, at both widths (as skh_y8 for eight doubles). */
SKH_VECTOR_PAIR(skh_y16, __m256, float, ps)
SKH_PASS_AVX2 static inline skh_y16 skh_y16_fmadd(skh_y16 a, skh_y16 b, skh_y16 c) {
    skh_y16 r = {_mm256_fmadd_ps(a.low, b.low, c.low), _mm256_fmadd_ps(a.high, b.high, c.high)};
    return r;
}
typedef __m512 skh_z16;
#define skh_z16_add _mm512_add_ps
#define skh_z16_sub _mm512_sub_ps
#define skh_z16_mul _mm512_mul_ps
#define skh_z16_max _mm512_max_ps
#define skh_z16_set1(x) _mm512_set1_ps((float) (x))
#define skh_z16_loadu _mm512_loadu_ps
#define skh_z16_storeu _mm512_storeu_ps
#define skh_z16_fmadd _mm512_fmadd_ps
#define skh_z16_fnmadd _mm512_fnmadd_ps
SKH_PASS_AVX2 static inline skh_y16 skh_y16_fnmadd(skh_y16 a, skh_y16 b, skh_y16 c) {
    skh_y16 r = {_mm256_fnmadd_ps(a.low, b.low, c.low), _mm256_fnmadd_ps(a.high, b.high, c.high)};
    return r;
}

/* A vector of keys |y|: 8 doubles, or 16 floats (float32 in its own
 * precision: half the operations a key, see _hoyer.pyx for the margin this
 * asks of the bracket). */
SKH_AVX2 static inline skh_y8 skh_y8_keys(const double* p) {
    skh_y8 r = {skh_abs_pd(_mm256_loadu_pd(p)), skh_abs_pd(_mm256_loadu_pd(p + 4))};
    return r;
}
SKH_AVX2 static inline skh_y16 skh_y16_keys(const float* p) {
    const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    skh_y16 r = {_mm256_and_ps(_mm256_loadu_ps(p), magnitude),
                 _mm256_and_ps(_mm256_loadu_ps(p + 8), magnitude)};
    return r;
}
SKH_AVX512 static inline __m512d skh_z8_keys(const double* p) {
    return _mm512_abs_pd(_mm512_loadu_pd(p));
}
SKH_AVX512 static inline __m512 skh_z16_keys(const float* p) {
    return skh_abs16(p);
}
/* Eight float32 keys as doubles (exact), for g(0) in double. */
SKH_AVX2 static inline skh_y8 skh_y8_keys_f32(const float* p) {
    skh_y8 r = {skh_abs_pd(_mm256_cvtps_pd(_mm_loadu_ps(p))),
                skh_abs_pd(_mm256_cvtps_pd(_mm_loadu_ps(p + 4)))};
    return r;
}
SKH_AVX512 static inline __m512d skh_z8_keys_f32(const float* p) {
    return _mm512_abs_pd(_mm512_cvtps_pd(_mm256_loadu_ps(p)));
}

/* The sums of one vector x of scaled keys at the P points vt (N[p], D2[p] are
 * vectors: a lane a group's sums, or a share of one group's); with weights
 * (W), each key's weight in w: e = (x - t w)+ adds w e to N and e^2 to D2. */
#define SKH_ADD_AT_POINTS(V, P, W, x, w, vt, zero, N, D2)                              \
    do {                                                                               \
        int p_;                                                                        \
        _Pragma("GCC unroll 8")                                                        \
        for (p_ = 0; p_ < (P); p_++) {                                                 \
            if (W) {                                                                   \
                V e_ = V##_max(zero, V##_fnmadd(vt[p_], w, x));                        \
                N[p_] = V##_fmadd(w, e_, N[p_]);                                       \
                D2[p_] = V##_fmadd(e_, e_, D2[p_]);                                    \
            } else {                                                                   \
                V d_ = V##_max(zero, V##_sub(x, vt[p_]));  /* (NaN kept) */            \
                N[p_] = V##_add(N[p_], d_);                                            \
                D2[p_] = V##_fmadd(d_, d_, D2[p_]);                                    \
            }                                                                          \
        }                                                                              \
    } while (0)

/* A vector of sums (8 doubles or 16 floats) folded to 4 doubles, the same
 * lanes added in the same order at both widths: (l0 + l4, l1 + l5, ...) for 8
 * doubles; for 16 floats, their four quarters q0..q3 (lanes 4i..4i+3) as
 * doubles, (q0 + q2) + (q1 + q3). */
SKH_AVX2 static inline __m256d skh_y8_fold(skh_y8 v) {
    return _mm256_add_pd(v.low, v.high);
}
SKH_AVX512 static inline __m256d skh_z8_fold(__m512d v) {
    return _mm256_add_pd(_mm512_castpd512_pd256(v), _mm512_extractf64x4_pd(v, 1));
}
SKH_AVX2 static inline __m256d skh_quarters_fold(__m128 q0, __m128 q1, __m128 q2, __m128 q3) {
    return _mm256_add_pd(_mm256_add_pd(_mm256_cvtps_pd(q0), _mm256_cvtps_pd(q2)),
                         _mm256_add_pd(_mm256_cvtps_pd(q1), _mm256_cvtps_pd(q3)));
}
SKH_AVX2 static inline __m256d skh_y16_fold(skh_y16 v) {
    return skh_quarters_fold(_mm256_castps256_ps128(v.low), _mm256_extractf128_ps(v.low, 1),
                             _mm256_castps256_ps128(v.high), _mm256_extractf128_ps(v.high, 1));
}
SKH_AVX512 static inline __m256d skh_z16_fold(__m512 v) {
    return skh_quarters_fold(_mm512_extractf32x4_ps(v, 0), _mm512_extractf32x4_ps(v, 1),
                             _mm512_extractf32x4_ps(v, 2), _mm512_extractf32x4_ps(v, 3));
}

/* The sums of four folded vectors, a lane each: ((a0 + a1) + (a2 + a3)). */
SKH_AVX2 static inline __m256d skh_sum4x4(__m256d a0, __m256d a1, __m256d a2, __m256d a3) {
    __m256d h01 = _mm256_hadd_pd(a0, a1), h23 = _mm256_hadd_pd(a2, a3);
    return _mm256_add_pd(_mm256_permute2f128_pd(h01, h23, 0x20),
                         _mm256_permute2f128_pd(h01, h23, 0x31));
}

/* Four groups' or points' rho from their sums: N / sqrt(D2), or 1 where D2 is
 * 0 (an all-zero or 1-sparse group of unit weights); *bad set where a D2 is
 * not finite. */
SKH_AVX2 static inline __m256d skh_pass_rho4(__m256d N, __m256d D2, double one, int* bad) {
    __m256d zero = _mm256_setzero_pd();
    *bad |= _mm256_movemask_pd(_mm256_cmp_pd(D2, _mm256_set1_pd(INFINITY), _CMP_NLT_UQ));
    return _mm256_blendv_pd(_mm256_div_pd(N, _mm256_sqrt_pd(D2)), _mm256_set1_pd(one),
                            _mm256_cmp_pd(D2, zero, _CMP_LE_OQ));
}

/* A group's rho from its sums (1 in *bad where D2 is not finite). */
static inline double skh_pass_rho(double N, double D2, int* bad) {
    if (!(D2 < INFINITY))
        *bad = 1;
    return D2 > 0 ? N / sqrt(D2) : 1.0;
}
/* ... or, where D2 is 0, ``one`` (a group of weights: the weight of its top). */
static inline double skh_pass_rho_or(double N, double D2, double one, int* bad) {
    double rho = skh_pass_rho(N, D2, bad);
    return D2 > 0 ? rho : one;
}

/* Row groups: n_groups rows of n keys, ``stride`` elements apart, T the
 * dtype, V its vector of L lanes, P points (a multiple of 4).  The last keys
 * of a row (n % L) are read from a copy padded with zeros, which add nothing
 * at any t >= 0. */
#define SKH_ROWS_G_AT_POINTS(NAME, ATTR, V, T, L, P, W)                                \
ATTR static int NAME(const T* y, ptrdiff_t stride, ptrdiff_t n_groups, ptrdiff_t n,    \
                     const double* ts, double unit, const T* wts, const double* rho_one, \
                     double* totals) {                                                 \
    V vt[P], N[P], D2[P], zero = V##_set1(0.0), vu = V##_set1(unit), w = zero;          \
    T pad[L], pad_w[L];                                                                \
    __m256d total[P / 4];                                                              \
    ptrdiff_t g, k;                                                                    \
    int p, q, bad = 0;                                                                 \
    _Pragma("GCC unroll 8")                                                            \
    for (p = 0; p < P; p++)                                                            \
        vt[p] = V##_set1(ts[p] * unit);                                                \
    for (q = 0; q < P / 4; q++)                                                        \
        total[q] = _mm256_setzero_pd();                                                \
    for (g = 0; g < n_groups; g++) {                                                   \
        const T* row = y + g * stride;                                                 \
        _Pragma("GCC unroll 8")                                                        \
        for (p = 0; p < P; p++)                                                        \
            N[p] = D2[p] = zero;                                                       \
        for (k = 0; k + L <= n; k += L) {                                              \
            _mm_prefetch((const char*) (row + k) + SKH_PASS_AHEAD, _MM_HINT_T0);       \
            V x = V##_mul(V##_keys(row + k), vu);                                      \
            if (W) w = V##_loadu(wts + k);                                             \
            SKH_ADD_AT_POINTS(V, P, W, x, w, vt, zero, N, D2);                         \
        }                                                                              \
        if (k < n) {                                                                   \
            memset(pad, 0, sizeof(pad));                                               \
            memcpy(pad, row + k, (n - k) * sizeof(T));                                 \
            V x = V##_mul(V##_keys(pad), vu);                                          \
            if (W) {                                                                   \
                memset(pad_w, 0, sizeof(pad_w));                                       \
                memcpy(pad_w, wts + k, (n - k) * sizeof(T));                           \
                w = V##_loadu(pad_w);                                                  \
            }                                                                          \
            SKH_ADD_AT_POINTS(V, P, W, x, w, vt, zero, N, D2);                         \
        }                                                                              \
        /* The points' sums folded and added across lanes in vectors, four     */    \
        /* points a vector (a short row spent most of its time in scalar sums, */    \
        /* 13 keys of wine).                                                   */    \
        _Pragma("GCC unroll 2")                                                        \
        for (q = 0; q < P / 4; q++)                                                    \
            total[q] = _mm256_add_pd(total[q], skh_pass_rho4(                          \
                skh_sum4x4(V##_fold(N[4 * q]), V##_fold(N[4 * q + 1]),                 \
                           V##_fold(N[4 * q + 2]), V##_fold(N[4 * q + 3])),            \
                skh_sum4x4(V##_fold(D2[4 * q]), V##_fold(D2[4 * q + 1]),               \
                           V##_fold(D2[4 * q + 2]), V##_fold(D2[4 * q + 3])),          \
                W ? rho_one[g] : 1.0, &bad));                                          \
    }                                                                                  \
    for (q = 0; q < P / 4; q++)                                                        \
        _mm256_storeu_pd(totals + 4 * q, total[q]);                                    \
    return !bad;                                                                       \
}

/* Column groups: n_groups columns of a row-major matrix of n_rows rows,
 * ``stride`` elements apart; ``sums`` has room for 2 P L values of T per L
 * columns (N then D2 at each point, a lane a column: at most 128 doubles per
 * 8 columns in either dtype).  The last columns (n_groups % L) are read from
 * rows copied into a padded block. */
#define SKH_COLUMNS_G_AT_POINTS(NAME, ATTR, V, T, L, P, W)                             \
ATTR static int NAME(const T* y, ptrdiff_t stride, ptrdiff_t n_rows, ptrdiff_t n_groups, \
                     const double* ts, double unit, const T* wts, const double* rho_one, \
                     double* sums_memory, double* totals) {                            \
    V vt[P], N[P], D2[P], zero = V##_set1(0.0), vu = V##_set1(unit), w = zero;          \
    T* sums = (T*) sums_memory;                                                        \
    T pad[L * SKH_PASS_ROWS];                                                          \
    double total[P] = {0.0};                                                           \
    ptrdiff_t n_chunks = (n_groups + L - 1) / L, full = n_groups / L, c, g, i, i0, i1;  \
    int p, bad = 0;                                                                    \
    _Pragma("GCC unroll 8")                                                            \
    for (p = 0; p < P; p++)                                                            \
        vt[p] = V##_set1(ts[p] * unit);                                                \
    memset(sums, 0, n_chunks * 2 * P * L * sizeof(T));                                 \
    for (i0 = 0; i0 < n_rows; i0 = i1) {                                               \
        i1 = i0 + SKH_PASS_ROWS < n_rows ? i0 + SKH_PASS_ROWS : n_rows;                \
        if (full < n_chunks) {                                                         \
            memset(pad, 0, sizeof(pad));                                               \
            for (i = i0; i < i1; i++)                                                  \
                memcpy(pad + L * (i - i0), y + i * stride + L * full,                  \
                       (n_groups - L * full) * sizeof(T));                             \
        }                                                                              \
        for (c = 0; c < n_chunks; c++) {                                               \
            T* chunk = sums + 2 * P * L * c;                                           \
            _Pragma("GCC unroll 8")                                                    \
            for (p = 0; p < P; p++) {                                                  \
                N[p] = V##_loadu(chunk + L * p);                                       \
                D2[p] = V##_loadu(chunk + P * L + L * p);                              \
            }                                                                          \
            for (i = i0; i < i1; i++) {                                                \
                const T* keys = c < full ? y + i * stride + L * c : pad + L * (i - i0); \
                _mm_prefetch((const char*) keys + SKH_PASS_COLUMNS_AHEAD, _MM_HINT_T0);  \
                V x = V##_mul(V##_keys(keys), vu);                                     \
                if (W) w = V##_set1(wts[i]);                                           \
                SKH_ADD_AT_POINTS(V, P, W, x, w, vt, zero, N, D2);                     \
            }                                                                          \
            _Pragma("GCC unroll 8")                                                    \
            for (p = 0; p < P; p++) {                                                  \
                V##_storeu(chunk + L * p, N[p]);                                       \
                V##_storeu(chunk + P * L + L * p, D2[p]);                              \
            }                                                                          \
        }                                                                              \
    }                                                                                  \
    for (g = 0; g < n_groups; g++) {                                                   \
        const T* chunk = sums + 2 * P * L * (g / L) + g % L;                           \
        for (p = 0; p < P; p++)                                                        \
            total[p] += skh_pass_rho_or(chunk[L * p], chunk[P * L + L * p],            \
                                        W ? rho_one[g] : 1.0, &bad);                   \
    }                                                                                  \
    memcpy(totals, total, sizeof(total));                                              \
    return !bad;                                                                       \
}

#define SKH_PASSES_OF(P, W, S)                                                         \
SKH_ROWS_G_AT_POINTS(skh_rows_g_at_points_f64_avx2_##S, SKH_PASS_AVX2, skh_y8, double, 8, P, W) \
SKH_ROWS_G_AT_POINTS(skh_rows_g_at_points_f32_avx2_##S, SKH_PASS_AVX2, skh_y16, float, 16, P, \
                     W)                                                                \
SKH_COLUMNS_G_AT_POINTS(skh_columns_g_at_points_f64_avx2_##S, SKH_PASS_AVX2, skh_y8, double, \
                        8, P, W)                                                       \
SKH_COLUMNS_G_AT_POINTS(skh_columns_g_at_points_f32_avx2_##S, SKH_PASS_AVX2, skh_y16, float, \
                        16, P, W)                                                      \
SKH_ROWS_G_AT_POINTS(skh_rows_g_at_points_f64_avx512_##S, SKH_AVX512, skh_z8, double, 8, P, W) \
SKH_ROWS_G_AT_POINTS(skh_rows_g_at_points_f32_avx512_##S, SKH_AVX512, skh_z16, float, 16, P, \
                     W)                                                                \
SKH_COLUMNS_G_AT_POINTS(skh_columns_g_at_points_f64_avx512_##S, SKH_AVX512, skh_z8, double, \
                        8, P, W)                                                       \
SKH_COLUMNS_G_AT_POINTS(skh_columns_g_at_points_f32_avx512_##S, SKH_AVX512, skh_z16, float, \
                        16, P, W)
SKH_PASSES_OF(4, 0, 4)
SKH_PASSES_OF(8, 0, 8)
SKH_PASSES_OF(4, 1, 4w)
SKH_PASSES_OF(8, 1, 8w)

/* g(0) = sum of |y_g|_1 / |y_g|_2 over the groups, in double: the check of a
 * pass that finds the target met (whose float sums count a group far below
 * the bracket rho = 1).  float32's keys and squares are exact in double;
 * float64's squares may leave its range (keys beyond 1e154 or, for a whole
 * group, below 1e-140): 0 is returned there, and the band read checks. */
static inline double skh_exact_rho(double N, double D2, int* bad) {
    if (N > 0 && !(D2 >= 1e-280))
        *bad = 1;
    return skh_pass_rho(N, D2, bad);
}
#define SKH_ROWS_G_AT_ZERO(NAME, ATTR, V, T, KEYS)                                     \
ATTR static int NAME(const T* y, ptrdiff_t stride, ptrdiff_t n_groups, ptrdiff_t n,    \
                     double* sums, double* g_zero) {                                   \
    V zero = V##_set1(0.0);                                                            \
    double lanes_n[8], lanes_d2[8], total = 0.0;                                       \
    T pad[8];                                                                          \
    ptrdiff_t g, k;                                                                    \
    int bad = 0;                                                                       \
    (void) sums;                                                                       \
    for (g = 0; g < n_groups; g++) {                                                   \
        const T* row = y + g * stride;                                                 \
        V N = zero, D2 = zero, N1 = zero, D21 = zero, x, x1;                            \
        /* (two chains of additions: one waited on the last, 4 cycles a vector) */     \
        for (k = 0; k + 16 <= n; k += 16) {                                            \
            _mm_prefetch((const char*) (row + k) + SKH_PASS_AHEAD, _MM_HINT_T0);       \
            x = KEYS(row + k);                                                         \
            x1 = KEYS(row + k + 8);                                                    \
            N = V##_add(N, x);                                                         \
            D2 = V##_fmadd(x, x, D2);                                                  \
            N1 = V##_add(N1, x1);                                                      \
            D21 = V##_fmadd(x1, x1, D21);                                              \
        }                                                                              \
        N = V##_add(N, N1);                                                            \
        D2 = V##_add(D2, D21);                                                         \
        for (; k + 8 <= n; k += 8) {                                                   \
            x = KEYS(row + k);                                                         \
            N = V##_add(N, x);                                                         \
            D2 = V##_fmadd(x, x, D2);                                                  \
        }                                                                              \
        if (k < n) {                                                                   \
            memset(pad, 0, sizeof(pad));                                               \
            memcpy(pad, row + k, (n - k) * sizeof(T));                                 \
            x = KEYS(pad);                                                             \
            N = V##_add(N, x);                                                         \
            D2 = V##_fmadd(x, x, D2);                                                  \
        }                                                                              \
        V##_storeu(lanes_n, N);                                                        \
        V##_storeu(lanes_d2, D2);                                                      \
        total += skh_exact_rho(skh_lanes_sum(lanes_n), skh_lanes_sum(lanes_d2), &bad);  \
    }                                                                                  \
    *g_zero = total;                                                                   \
    return !bad;                                                                       \
}
#define SKH_COLUMNS_G_AT_ZERO(NAME, ATTR, V, T, KEYS)                                  \
ATTR static int NAME(const T* y, ptrdiff_t stride, ptrdiff_t n_rows, ptrdiff_t n_groups, \
                     double* sums, double* g_zero) {                                   \
    T pad[8 * SKH_PASS_ROWS];                                                          \
    ptrdiff_t n_chunks = (n_groups + 7) / 8, full = n_groups / 8, c, g, i, i0, i1;      \
    double total = 0.0;                                                                \
    int bad = 0;                                                                       \
    memset(sums, 0, n_chunks * 16 * sizeof(double));                                   \
    for (i0 = 0; i0 < n_rows; i0 = i1) {                                               \
        i1 = i0 + SKH_PASS_ROWS < n_rows ? i0 + SKH_PASS_ROWS : n_rows;                \
        if (full < n_chunks) {                                                         \
            memset(pad, 0, sizeof(pad));                                               \
            for (i = i0; i < i1; i++)                                                  \
                memcpy(pad + 8 * (i - i0), y + i * stride + 8 * full,                  \
                       (n_groups - 8 * full) * sizeof(T));                             \
        }                                                                              \
        for (c = 0; c < n_chunks; c++) {                                               \
            V N = V##_loadu(sums + 16 * c), D2 = V##_loadu(sums + 16 * c + 8), x;       \
            for (i = i0; i < i1; i++) {                                                \
                const T* keys = c < full ? y + i * stride + 8 * c : pad + 8 * (i - i0); \
                _mm_prefetch((const char*) keys + SKH_PASS_COLUMNS_AHEAD, _MM_HINT_T0);  \
                x = KEYS(keys);                                                        \
                N = V##_add(N, x);                                                     \
                D2 = V##_fmadd(x, x, D2);                                              \
            }                                                                          \
            V##_storeu(sums + 16 * c, N);                                              \
            V##_storeu(sums + 16 * c + 8, D2);                                         \
        }                                                                              \
    }                                                                                  \
    for (g = 0; g < n_groups; g++)                                                     \
        total += skh_exact_rho(sums[16 * (g / 8) + g % 8], sums[16 * (g / 8) + 8 + g % 8], \
                               &bad);                                                  \
    *g_zero = total;                                                                   \
    return !bad;                                                                       \
}
SKH_ROWS_G_AT_ZERO(skh_rows_g_at_zero_f64_avx2, SKH_PASS_AVX2, skh_y8, double, skh_y8_keys)
SKH_ROWS_G_AT_ZERO(skh_rows_g_at_zero_f32_avx2, SKH_PASS_AVX2, skh_y8, float, skh_y8_keys_f32)
SKH_COLUMNS_G_AT_ZERO(skh_columns_g_at_zero_f64_avx2, SKH_PASS_AVX2, skh_y8, double, skh_y8_keys)
SKH_COLUMNS_G_AT_ZERO(skh_columns_g_at_zero_f32_avx2, SKH_PASS_AVX2, skh_y8, float,
                      skh_y8_keys_f32)
SKH_ROWS_G_AT_ZERO(skh_rows_g_at_zero_f64_avx512, SKH_AVX512, skh_z8, double, skh_z8_keys)
SKH_ROWS_G_AT_ZERO(skh_rows_g_at_zero_f32_avx512, SKH_AVX512, skh_z8, float, skh_z8_keys_f32)
SKH_COLUMNS_G_AT_ZERO(skh_columns_g_at_zero_f64_avx512, SKH_AVX512, skh_z8, double, skh_z8_keys)
SKH_COLUMNS_G_AT_ZERO(skh_columns_g_at_zero_f32_avx512, SKH_AVX512, skh_z8, float,
                      skh_z8_keys_f32)

/* The passes at the CPU's width (AVX-512 where the float32 band passes run),
 * with results below the normal range flushed to zero (squares of keys far
 * below the bracket, e.g. 1e-25 of it in float32, took 3-4 times as long);
 * the values only place a bracket, which the band read checks exactly. */
#define SKH_FLUSH_TO_ZERO 0x8000u
#define SKH_PASS_DISPATCH(NAME, T, SHAPE)                                              \
static int NAME(const T* y, ptrdiff_t stride, ptrdiff_t n_outer, ptrdiff_t n_inner,    \
                const double* ts, int n_points, double unit, const T* wts,             \
                const double* rho_one, double* sums, double* totals) {                 \
    unsigned int control = _mm_getcsr();                                               \
    int finite;                                                                        \
    _mm_setcsr(control | SKH_FLUSH_TO_ZERO);                                           \
    if (skh_avx512)                                                                    \
        finite = wts ? (n_points == 4 ? SHAPE(NAME##_avx512_4w) : SHAPE(NAME##_avx512_8w)) \
                     : (n_points == 4 ? SHAPE(NAME##_avx512_4) : SHAPE(NAME##_avx512_8)); \
    else                                                                               \
        finite = skh_have_fma() && (                                                   \
            wts ? (n_points == 4 ? SHAPE(NAME##_avx2_4w) : SHAPE(NAME##_avx2_8w))      \
                : (n_points == 4 ? SHAPE(NAME##_avx2_4) : SHAPE(NAME##_avx2_8)));      \
    _mm_setcsr(control);                                                               \
    return finite;                                                                     \
}
#define SKH_ROWS_CALL(F) (F)(y, stride, n_outer, n_inner, ts, unit, wts, rho_one, totals)
#define SKH_COLUMNS_CALL(F) (F)(y, stride, n_outer, n_inner, ts, unit, wts, rho_one, sums, \
                                totals)
SKH_PASS_DISPATCH(skh_rows_g_at_points_f64, double, SKH_ROWS_CALL)
SKH_PASS_DISPATCH(skh_rows_g_at_points_f32, float, SKH_ROWS_CALL)
SKH_PASS_DISPATCH(skh_columns_g_at_points_f64, double, SKH_COLUMNS_CALL)
SKH_PASS_DISPATCH(skh_columns_g_at_points_f32, float, SKH_COLUMNS_CALL)

/* g(0) at the CPU's width (no flush to zero: these sums decide). */
#define SKH_ZERO_DISPATCH(NAME, T)                                                     \
static int NAME(const T* y, ptrdiff_t stride, ptrdiff_t n_outer, ptrdiff_t n_inner,    \
                double* sums, double* g_zero) {                                        \
    if (skh_avx512)                                                                    \
        return NAME##_avx512(y, stride, n_outer, n_inner, sums, g_zero);               \
    return skh_have_fma() && NAME##_avx2(y, stride, n_outer, n_inner, sums, g_zero);   \
}
SKH_ZERO_DISPATCH(skh_rows_g_at_zero_f64, double)
SKH_ZERO_DISPATCH(skh_rows_g_at_zero_f32, float)
SKH_ZERO_DISPATCH(skh_columns_g_at_zero_f64, double)
SKH_ZERO_DISPATCH(skh_columns_g_at_zero_f32, float)

#else  /* no vector passes (_simd is 0): the caller keeps the sample's bracket */

#define SKH_PASS_STUB(NAME, T)                                                         \
static int NAME(const T* y, ptrdiff_t stride, ptrdiff_t n_outer, ptrdiff_t n_inner,    \
                const double* ts, int n_points, double unit, const T* wts,             \
                const double* rho_one, double* sums, double* totals) {                 \
    return 0;                                                                          \
}
SKH_PASS_STUB(skh_rows_g_at_points_f64, double)
SKH_PASS_STUB(skh_rows_g_at_points_f32, float)
SKH_PASS_STUB(skh_columns_g_at_points_f64, double)
SKH_PASS_STUB(skh_columns_g_at_points_f32, float)
#define SKH_ZERO_STUB(NAME, T)                                                         \
static int NAME(const T* y, ptrdiff_t stride, ptrdiff_t n_outer, ptrdiff_t n_inner,    \
                double* sums, double* g_zero) {                                        \
    return 0;                                                                          \
}
SKH_ZERO_STUB(skh_rows_g_at_zero_f64, double)
SKH_ZERO_STUB(skh_rows_g_at_zero_f32, float)
SKH_ZERO_STUB(skh_columns_g_at_zero_f64, double)
SKH_ZERO_STUB(skh_columns_g_at_zero_f32, float)

#endif  /* __GNUC__ && __x86_64__ */
#endif  /* SKPROJ_HOYER_PASSES_H */
