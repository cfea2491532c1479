/* The exact l1,inf projection of short groups (at most SKP_SHORT_COLUMN_ROWS
 * entries: a weight of a few inputs grouped by rows, the columns of a few
 * classes' coefficients), with AVX-512F (see _l1inf_short.pyx).
 *
 * Each group's magnitudes are sorted in a SIMD lane, largest first (a
 * sorting network, _sort_network.h): a_1 >= ... >= a_n, a_(n+1) = 0, with
 * prefix sums S_k = a_1 + ... + a_k (in double; float32 converts exactly).
 * The group's level mu_g(theta) is then known in closed form: the group
 * keeps k entries clipped, mu = (S_k - theta) / k, for theta in
 * [t_(k-1), t_k], where t_k = S_k - k a_(k+1) (t_0 = 0, t_n = S_n: the group
 * is zero from there).  The sorted magnitudes are stored (``sorted``, a
 * block of 16 float32 or 8 float64 groups at a time, row k of a block one
 * vector, a group a lane: as much memory as the matrix); the sums and
 * breakpoints are recomputed from them at each pass, in the same order, so
 * every pass sees the same (skp_short_segment8).
 *
 * A pass at theta counts each group's breakpoints at or below it, c_g (the
 * group keeps c_g + 1 entries, or is zero where c_g = n), and sums
 * P = sum S_(c+1) / (c + 1) and Q = sum 1 / (c + 1) over the groups not zero,
 * so that F(theta) = sum_g mu_g(theta) = P - theta Q on the segment holding
 * theta, whose root theta' = (P - eta) / Q is Newton's step on the convex,
 * decreasing F: never above theta^* (see _l1inf_short.pyx). */
#ifndef SKPROJ_L1INF_SHORT_H
#define SKPROJ_L1INF_SHORT_H

#include "_l1_simd.h"
#include "_sort_network.h"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))

/* Whether the short groups' loops run: AVX-512F, and no test turned them off. */
static inline int skp_short_enabled(void) { return skp_have_avx2() && skp_avx512; }

/* Magnitudes NaN or infinite, lane by lane (unordered compares true). */
SKP_AVX512 static inline __mmask16 skp_short_nonfinite16(__m512 a) {
    return _mm512_cmp_ps_mask(a, _mm512_set1_ps(INFINITY), _CMP_NLT_UQ);
}

SKP_AVX512 static inline __mmask8 skp_short_nonfinite8(__m512d a) {
    return _mm512_cmp_pd_mask(a, _mm512_set1_pd(INFINITY), _CMP_NLT_UQ);
}

/* Half ``half`` (lanes 0-7 or 8-15) of sixteen floats, in double. */
SKP_AVX512 static inline __m512d skp_short_half(__m512 f, int half) {
    return _mm512_cvtps_pd(half ? _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(f), 1))
                                : _mm512_castps512_ps256(f));
}

/* Row k of an octet's sorted magnitudes, in double: ``half`` -1 for float64
 * rows (``at`` the octet's first, rows 8 apart), else that half of sixteen
 * float32 groups (rows 16 apart). */
SKP_AVX512 static inline __attribute__((always_inline)) __m512d skp_short_row8(
        const void* at, ptrdiff_t k, const int half) {
    return half < 0 ? _mm512_loadu_pd((const double*) at + 8 * k)
                    : skp_short_half(_mm512_loadu_ps((const float*) at + 16 * k), half);
}

/* An octet's sorted magnitudes a_1..a_n (rows of skp_short_row8, eight
 * groups a vector, in double) at theta: each group's count c of breakpoints
 * t_k = S_k - k a_(k+1) at or below theta (their running maximum: rounding
 * never makes them fall) and its sum S_(c+1) (``kept``); returns the groups
 * that are not zero (c < n).  It stops at the first breakpoint above theta
 * in every lane: the later ones are above it too, so the counts, sums and
 * groups are the same (issue 14, an Intel Xeon, single calls interleaved,
 * times a copy at 10, 50, 90 % of the norm, every row -> up to the first
 * above: float32 8 x 10000 14.1 -> 15.0, 14.7 -> 12.3, 14.6 -> 10.0; 10000
 * x 16 15.5 -> 14.3, 17.7 -> 11.2, 15.7 -> 7.8; float64 10000 x 8 10.3 ->
 * 11.2, 10.8 -> 9.3, 9.6 -> 7.2: a group keeps fewer entries where the
 * radius is larger).  The passes and the levels take the sums from here, so
 * both see the same. */
SKP_AVX512 static inline __attribute__((always_inline)) __mmask8 skp_short_segment8(
        const void* at, const int half, const ptrdiff_t n, __m512d theta, __m512i* count,
        __m512d* kept) {
    __m512i c = _mm512_setzero_si512();
    __m512d a = skp_short_row8(at, 0, half);
    __m512d sum = _mm512_setzero_pd(), least = _mm512_setzero_pd(), chosen = a;
    __mmask8 below = 0;
    ptrdiff_t k;
#pragma GCC unroll 16
    for (k = 0; k < n; k++) {
        const __m512d next = k + 1 < n ? skp_short_row8(at, k + 1, half) : _mm512_setzero_pd();
        sum = _mm512_add_pd(sum, a);
        least = _mm512_max_pd(least, _mm512_sub_pd(
            sum, _mm512_mul_pd(_mm512_set1_pd((double) (k + 1)), next)));
        below = _mm512_cmp_pd_mask(least, theta, _CMP_LE_OQ);
        c = _mm512_mask_add_epi64(c, below, c, _mm512_set1_epi64(1));
        if (k + 1 < n) chosen = _mm512_mask_add_pd(chosen, below, sum, next);
        if (!below) break;
        a = next;
    }
    *count = c;
    *kept = chosen;
    return (__mmask8) ~below;   /* (the last breakpoint, S_n, above theta) */
}

/* The sorted magnitudes of float32 groups of n entries, sixteen groups a
 * block (``sorted``: block b's row k at (b n + k) 16, a group a lane; lanes
 * past the last group are zero groups): rows lying one after the other at
 * ``y`` (``rows``) or the columns of n rows ``y_stride`` bytes apart; each
 * group's max and l1 norm (in double, added in order as skp_short_segment8
 * adds them) into maxima and sums.  Returns whether an entry is
 * NaN or infinite (then unfinished). */
SKP_AVX512 static inline __attribute__((always_inline)) int skp_short_sort_f32_(
        const float* y, ptrdiff_t y_stride, ptrdiff_t n_groups, const ptrdiff_t n, int rows,
        float* sorted, double* maxima, double* sums) {
    __m512 f[SKP_SHORT_COLUMN_ROWS];
    __mmask16 bad = 0;
    ptrdiff_t g, k;
    int half;
    for (g = 0; g < n_groups; g += 16) {
        const __mmask16 some = skp_block_rows16(n_groups, g);
        for (k = 0; k < n; k++) {
            f[k] = _mm512_abs_ps(rows ? skp_row_lanes16_f32(y + g * n, n, k, some)
                                      : _mm512_maskz_loadu_ps(some, (const float*) (
                                            (const char*) y + k * y_stride) + g));
            bad |= skp_short_nonfinite16(f[k]);
        }
        if (bad) return 1;
        SKP_SORT_DESCENDING(f, n, _mm512_max_ps, _mm512_min_ps);
        for (k = 0; k < n; k++) _mm512_storeu_ps(sorted + (g * n + 16 * k), f[k]);
        for (half = 0; half < 2; half++) {
            const __mmask8 lanes = (__mmask8) (some >> 8 * half);
            __m512d total = _mm512_setzero_pd();
            for (k = 0; k < n; k++) total = _mm512_add_pd(total, skp_short_half(f[k], half));
            _mm512_mask_storeu_pd(maxima + g + 8 * half, lanes, skp_short_half(f[0], half));
            _mm512_mask_storeu_pd(sums + g + 8 * half, lanes, total);
        }
    }
    return 0;
}

/* float64: eight groups a block (rows gathered a row a lane). */
SKP_AVX512 static inline __attribute__((always_inline)) int skp_short_sort_f64_(
        const double* y, ptrdiff_t y_stride, ptrdiff_t n_groups, const ptrdiff_t n, int rows,
        double* sorted, double* maxima, double* sums) {
    const __m256i first = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                             _mm256_set1_epi32((int) n));
    __m512d s[SKP_SHORT_COLUMN_ROWS], total;
    __mmask8 bad = 0;
    ptrdiff_t g, k;
    for (g = 0; g < n_groups; g += 8) {
        const __mmask8 some = (__mmask8) (n_groups - g >= 8 ? 0xff : (1u << (n_groups - g)) - 1);
        for (k = 0; k < n; k++) {
            s[k] = _mm512_abs_pd(rows ? _mm512_mask_i32gather_pd(
                                            _mm512_setzero_pd(), some,
                                            _mm256_add_epi32(first, _mm256_set1_epi32((int) k)),
                                            y + g * n, 8)
                                      : _mm512_maskz_loadu_pd(some, (const double*) (
                                            (const char*) y + k * y_stride) + g));
            bad |= skp_short_nonfinite8(s[k]);
        }
        if (bad) return 1;
        SKP_SORT_DESCENDING(s, n, _mm512_max_pd, _mm512_min_pd);
        for (k = 0; k < n; k++) _mm512_storeu_pd(sorted + (g * n + 8 * k), s[k]);
        for (k = 0, total = _mm512_setzero_pd(); k < n; k++) total = _mm512_add_pd(total, s[k]);
        _mm512_mask_storeu_pd(maxima + g, some, s[0]);
        _mm512_mask_storeu_pd(sums + g, some, total);
    }
    return 0;
}

/* What a pass adds up over the blocks it reads: the counts, P and Q (two
 * chains each). */
typedef struct {
    __m512i counts;
    __m512d p[2], q[2];
} skp_short_sums;

/* One octet of a pass at theta: 1 / (c + 1) from a table (a division an
 * octet would bound the pass: four copies of 10000 x 8 float32 a pass), S_(c+1)
 * times it into P, it into Q; with ``levels``, each group's level at theta,
 * (S_(c+1) - theta) / (c + 1) by the same reciprocal, 0 for a zero group,
 * stored for the ``lanes``.  An octet whose groups are all zero at theta
 * (their l1 norms, ``sums``, at most theta: every breakpoint, the last S_n,
 * is at or below it) counts n a group unread: where few groups are kept,
 * most of them (issue 14, an Intel Xeon, float32 8 x 10000 at the radius
 * where bilevel_l1inf keeps 1 % of the groups and this projection 3 %: 18.6
 * -> 11.0 times a copy, 4.4 -> 3.0 times bilevel_l1inf; 10000 x 8 by rows
 * 2.8 -> 1.7 times it; where 22 % are kept, as before). */
SKP_AVX512 static inline __attribute__((always_inline)) void skp_short_octet(
        const void* at, const int half, const ptrdiff_t n, __m512d theta, skp_short_sums* t,
        int chain, double* levels, __mmask8 lanes, const double* sums) {
    const __m512d low = _mm512_setr_pd(1.0, 1.0 / 2, 1.0 / 3, 1.0 / 4, 1.0 / 5, 1.0 / 6,
                                       1.0 / 7, 1.0 / 8);
    const __m512d high = _mm512_setr_pd(1.0 / 9, 1.0 / 10, 1.0 / 11, 1.0 / 12, 1.0 / 13,
                                        1.0 / 14, 1.0 / 15, 1.0 / 16);
    __m512i c;
    __m512d kept, r;
    __mmask8 live;
    if (_mm512_cmp_pd_mask(_mm512_maskz_loadu_pd(lanes, sums), theta, _CMP_LE_OQ) == 0xff) {
        t->counts = _mm512_add_epi64(t->counts, _mm512_set1_epi64((long long) n));
        if (levels) _mm512_mask_storeu_pd(levels, lanes, _mm512_setzero_pd());
        return;
    }
    live = skp_short_segment8(at, half, n, theta, &c, &kept);
    t->counts = _mm512_add_epi64(t->counts, c);
    r = _mm512_permutex2var_pd(low, c, high);
    if (levels)
        _mm512_mask_storeu_pd(levels, lanes, _mm512_maskz_mul_pd(
            live, _mm512_sub_pd(kept, theta), r));
    t->p[chain] = _mm512_mask_add_pd(t->p[chain], live, t->p[chain], _mm512_mul_pd(kept, r));
    t->q[chain] = _mm512_mask_add_pd(t->q[chain], live, t->q[chain], r);
}

/* A pass at theta over the n_groups groups of ``sorted`` (float32 where
 * ``single``: sixteen groups a block, two octets; else float64, eight) and
 * their l1 norms ``sums``, over every ``every``-th block (a sample; 1: all of
 * them): returns the sum of the counts, P and Q into p and q; with
 * ``levels`` (every = 1), the groups' levels there too. */
SKP_AVX512 static inline __attribute__((always_inline)) ptrdiff_t skp_short_pass_(
        const void* sorted, const double* sums, ptrdiff_t n_groups, const ptrdiff_t n,
        ptrdiff_t every, double theta, double* levels, double* p, double* q, const int single) {
    const __m512d at = _mm512_set1_pd(theta);
    const ptrdiff_t block = single ? 16 : 8;
    skp_short_sums t;
    ptrdiff_t g;
    t.counts = _mm512_setzero_si512();
    t.p[0] = t.p[1] = t.q[0] = t.q[1] = _mm512_setzero_pd();
    for (g = 0; g < n_groups; g += block * every) {
        /* (its low eight bits are float64's block of eight) */
        const __mmask16 some = skp_block_rows16(n_groups, g);
        if (single) {
            const float* at_block = (const float*) sorted + g * n;
            skp_short_octet(at_block, 0, n, at, &t, 0, levels ? levels + g : NULL,
                            (__mmask8) some, sums + g);
            skp_short_octet(at_block, 1, n, at, &t, 1, levels ? levels + g + 8 : NULL,
                            (__mmask8) (some >> 8), sums + g + 8);
        } else {
            skp_short_octet((const double*) sorted + g * n, -1, n, at, &t, (int) ((g / 8) & 1),
                            levels ? levels + g : NULL, (__mmask8) some, sums + g);
        }
    }
    *p = _mm512_reduce_add_pd(_mm512_add_pd(t.p[0], t.p[1]));
    *q = _mm512_reduce_add_pd(_mm512_add_pd(t.q[0], t.q[1]));
    return (ptrdiff_t) _mm512_reduce_add_epi64(t.counts);
}

/* The levels ``mu`` (>= 0) in the input's precision into ``levels`` (float32
 * by a rounding conversion, as a cast rounds), and the groups kept (level
 * above 0) listed in ``kept``; returns how many.  Eight groups a vector,
 * the list by a compressing store: the loop of one group at a time cost
 * 1-1.5 copies of 10000 x 8 float32. */
SKP_AVX512 static inline __attribute__((always_inline)) ptrdiff_t skp_short_levels_(
        const double* mu, ptrdiff_t n_groups, void* levels, ptrdiff_t* kept, const int single) {
    const __m512i step = _mm512_set1_epi64(8);
    __m512i index = _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7);
    ptrdiff_t g, n_kept = 0;
    for (g = 0; g < n_groups; g += 8) {
        const __mmask8 some = (__mmask8) (n_groups - g >= 8 ? 0xff : (1u << (n_groups - g)) - 1);
        const __m512d m = _mm512_maskz_loadu_pd(some, mu + g);
        const __mmask8 above = _mm512_cmp_pd_mask(m, _mm512_setzero_pd(), _CMP_GT_OQ);
        if (single)
            _mm512_mask_storeu_ps((float*) levels + g, (__mmask16) some,
                                  _mm512_castps256_ps512(_mm512_cvtpd_ps(m)));
        else
            _mm512_mask_storeu_pd((double*) levels + g, some, m);
        _mm512_mask_compressstoreu_epi64(kept + n_kept, above, index);
        n_kept += __builtin_popcount(above);
        index = _mm512_add_epi64(index, step);
    }
    return n_kept;
}

SKP_AVX512 static ptrdiff_t skp_short_levels_f32(const double* mu, ptrdiff_t n_groups,
                                                 float* levels, ptrdiff_t* kept) {
    return skp_short_levels_(mu, n_groups, levels, kept, 1);
}

SKP_AVX512 static ptrdiff_t skp_short_levels_f64(const double* mu, ptrdiff_t n_groups,
                                                 double* levels, ptrdiff_t* kept) {
    return skp_short_levels_(mu, n_groups, levels, kept, 0);
}

/* Each entry point with its length ``n`` a constant (SKP_FOR_LENGTH). */
#define SKP_SHORT_SORT(SUFFIX, UNUSED, N) \
    return skp_short_sort_##SUFFIX##_(y, y_stride, n_groups, N, rows, sorted, maxima, sums)
#define SKP_SHORT_PASS(SUFFIX, SINGLE, N) \
    return skp_short_pass_(sorted, sums, n_groups, N, every, theta, levels, p, q, SINGLE)
#define SKP_SHORT_ENTRIES(SUFFIX, T)                                                      \
SKP_AVX512 static int skp_short_sort_##SUFFIX(const T* y, ptrdiff_t y_stride,              \
                                              ptrdiff_t n_groups, ptrdiff_t n, int rows,   \
                                              T* sorted, double* maxima, double* sums) {   \
    SKP_FOR_LENGTH(n, SKP_SHORT_SORT, SUFFIX, _)                                          \
    return 0;                                                                             \
}                                                                                         \
                                                                                          \
SKP_AVX512 static ptrdiff_t skp_short_pass_##SUFFIX(const T* sorted, const double* sums,  \
                                                    ptrdiff_t n_groups, ptrdiff_t n,       \
                                                    ptrdiff_t every, double theta,         \
                                                    double* levels, double* p,             \
                                                    double* q) {                           \
    SKP_FOR_LENGTH(n, SKP_SHORT_PASS, SUFFIX, sizeof(T) == 4)                              \
    return 0;                                                                             \
}
SKP_SHORT_ENTRIES(f32, float)
SKP_SHORT_ENTRIES(f64, double)
#undef SKP_SHORT_ENTRIES
#undef SKP_SHORT_SORT
#undef SKP_SHORT_PASS

#else

static inline int skp_short_enabled(void) { return 0; }
static inline int skp_short_sort_f32(const float* y, ptrdiff_t y_stride, ptrdiff_t n_groups,
                                     ptrdiff_t n, int rows, float* sorted, double* maxima,
                                     double* sums) {
    return 0;
}
static inline int skp_short_sort_f64(const double* y, ptrdiff_t y_stride, ptrdiff_t n_groups,
                                     ptrdiff_t n, int rows, double* sorted, double* maxima,
                                     double* sums) {
    return 0;
}
static inline ptrdiff_t skp_short_pass_f32(const float* sorted, const double* sums,
                                           ptrdiff_t n_groups, ptrdiff_t n, ptrdiff_t every,
                                           double theta, double* levels, double* p, double* q) {
    return 0;
}
static inline ptrdiff_t skp_short_levels_f32(const double* mu, ptrdiff_t n_groups,
                                             float* levels, ptrdiff_t* kept) {
    return 0;
}
static inline ptrdiff_t skp_short_levels_f64(const double* mu, ptrdiff_t n_groups,
                                             double* levels, ptrdiff_t* kept) {
    return 0;
}
static inline ptrdiff_t skp_short_pass_f64(const double* sorted, const double* sums,
                                           ptrdiff_t n_groups, ptrdiff_t n, ptrdiff_t every,
                                           double theta, double* levels, double* p, double* q) {
    return 0;
}

#endif
#endif
