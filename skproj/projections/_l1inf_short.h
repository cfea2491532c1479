/* The exact l1,inf projection of short groups (at most SKP_SHORT_COLUMN_ROWS
 * entries: a weight of a few inputs grouped by rows, the columns of a few
 * classes' coefficients), with AVX-512F or AVX2 (see _l1inf_short.pyx).
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
#include "_transpose_simd.h"

/* What a pass leaves of each group's segment at its theta (c breakpoints at
 * or below it), for the levels and the next passes (skp_short_octet,
 * skp_short_quartet): the level's factors S_(c+1) and 1 / (c + 1) (0 where
 * the group is zero), the breakpoints c and c + 1 around theta (-inf where
 * c = 0, +inf where c = n; low +inf where an octet or quartet was found
 * zero by its norms: no segment known), and c; ``reuse``: whether the
 * passes keep the breakpoints and counts, for the next ones to take an
 * octet's or a quartet's from there (a testing switch); ``known``: whether
 * a pass of this Newton run has stored every group's (before, what lies
 * there is not read). */
typedef struct {
    double* factors;
    double* inverses;
    double* low;
    double* high;
    long long* counts;
    int reuse;
    int known;
} skp_short_segments;

/* The octets (AVX-512F) or quartets (AVX2) whose segments the passes took
 * from the pass before (a testing hook: _l1inf_short._shortcuts_taken). */
static long long skp_short_reused = 0;

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))

/* The groups' levels at ``theta`` from the factors a pass left
 * (skp_short_segments): (S_(c+1) - theta) / (c + 1), +0 where the group is
 * zero: its l1 norm (``norms``) at most theta (the passes store no factors
 * for an octet or quartet zero by its norms: those there are an earlier
 * pass's, or none), or its inverse factor 0.  The operations of the pass's
 * own levels, so the same bits, where theta lies on the segments of that
 * pass: there a group not zero has theta below its next breakpoint, itself
 * at most S_(c+1), so its level is above 0.  Four groups a vector (AVX2:
 * both loops' levels), without a branch (one on the factor mispredicted). */
SKP_AVX2 static void skp_short_factor_levels(const double* factors, const double* inverses,
                                             const double* norms, ptrdiff_t n_groups,
                                             double theta, double* levels) {
    const __m256d at = _mm256_set1_pd(theta), zero = _mm256_setzero_pd();
    ptrdiff_t g;
    double level;
    for (g = 0; g + 4 <= n_groups; g += 4) {
        const __m256d v = _mm256_mul_pd(_mm256_sub_pd(_mm256_loadu_pd(factors + g), at),
                                        _mm256_loadu_pd(inverses + g));
        const __m256d kept = _mm256_and_pd(_mm256_cmp_pd(v, zero, _CMP_GT_OQ),
                                           _mm256_cmp_pd(_mm256_loadu_pd(norms + g), at,
                                                         _CMP_GT_OQ));
        _mm256_storeu_pd(levels + g, _mm256_and_pd(kept, v));
    }
    for (; g < n_groups; g++) {
        level = (factors[g] - theta) * inverses[g];
        levels[g] = level > 0.0 && norms[g] > theta ? level : 0.0;
    }
}

/* Whether the short groups' loops run: AVX2 (the AVX-512F loops where the
 * CPU has it and no test turned them off, skp_avx512). */
static inline int skp_short_enabled(void) { return skp_have_avx2(); }

/* Whether they are the AVX-512F ones. */
static inline int skp_short_avx512(void) { return skp_have_avx2() && skp_avx512; }

/* Magnitudes NaN or infinite, lane by lane (unordered compares true). */
SKP_AVX512 static inline __mmask16 skp_short_nonfinite16(__m512 a) {
    return _mm512_cmp_ps_mask(a, _mm512_set1_ps(INFINITY), _CMP_NLT_UQ);
}

SKP_AVX512 static inline __mmask8 skp_short_nonfinite8(__m512d a) {
    return _mm512_cmp_pd_mask(a, _mm512_set1_pd(INFINITY), _CMP_NLT_UQ);
}

/* Row k of an octet's sorted magnitudes, in double: ``half`` -1 for float64
 * rows (``at`` the octet's first, rows 8 apart), else that half of sixteen
 * float32 groups (rows 16 apart). */
SKP_AVX512 static inline __attribute__((always_inline)) __m512d skp_short_row8(
        const void* at, ptrdiff_t k, const int half) {
    return half < 0 ? _mm512_loadu_pd((const double*) at + 8 * k)
                    : skp_half8_pd(_mm512_loadu_ps((const float*) at + 16 * k), half);
}

/* An octet's sorted magnitudes a_1..a_n (rows of skp_short_row8, eight
 * groups a vector, in double) at theta: each group's count c of breakpoints
 * t_k = S_k - k a_(k+1) at or below theta (their running maximum: rounding
 * never makes them fall), its sum S_(c+1) (``kept``), and with ``bounds``
 * the breakpoints around theta: the least above it (``next_break``, +inf
 * where c = n) and the last at or below it (``last_break``, -inf where
 * c = 0); returns the
 * groups that are not zero (c < n).  It stops at the first breakpoint above
 * theta in every lane: the later ones are above it too, so the counts, sums
 * and groups are the same (issue 14, an Intel Xeon, single calls
 * interleaved, times a copy at 10, 50, 90 % of the norm, every row -> up to
 * the first above: float32 8 x 10000 14.1 -> 15.0, 14.7 -> 12.3, 14.6 ->
 * 10.0; 10000 x 16 15.5 -> 14.3, 17.7 -> 11.2, 15.7 -> 7.8; float64 10000 x
 * 8 10.3 -> 11.2, 10.8 -> 9.3, 9.6 -> 7.2: a group keeps fewer entries
 * where the radius is larger).  The passes and the levels take the sums
 * from here, so both see the same. */
SKP_AVX512 static inline __attribute__((always_inline)) __mmask8 skp_short_segment8(
        const void* at, const int half, const ptrdiff_t n, __m512d theta, __m512i* count,
        __m512d* kept, const int bounds, __m512d* next_break, __m512d* last_break) {
    __m512i c = _mm512_setzero_si512();
    __m512d a = skp_short_row8(at, 0, half);
    __m512d sum = _mm512_setzero_pd(), least = _mm512_setzero_pd(), chosen = a;
    __m512d above = _mm512_set1_pd(INFINITY), last = _mm512_set1_pd(-INFINITY);
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
        if (bounds) {
            /* (the breakpoints rise: the least above theta is the first, the
             * last at or below it the one of the last count) */
            above = _mm512_mask_min_pd(above, (__mmask8) ~below, above, least);
            last = _mm512_mask_mov_pd(last, below, least);
        }
        if (k + 1 < n) chosen = _mm512_mask_add_pd(chosen, below, sum, next);
        if (!below) break;
        a = next;
    }
    *count = c;
    *kept = chosen;
    *next_break = above;
    *last_break = last;
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
        if (rows) skp_short_rows_as_lanes16(y, n_groups, g, n, f);
        for (k = 0; k < n; k++) {
            f[k] = _mm512_abs_ps(rows ? f[k] : _mm512_maskz_loadu_ps(some, (const float*) (
                                               (const char*) y + k * y_stride) + g));
            bad |= skp_short_nonfinite16(f[k]);
        }
        if (bad) return 1;
        SKP_SORT_DESCENDING(f, n, _mm512_max_ps, _mm512_min_ps);
        for (k = 0; k < n; k++) _mm512_storeu_ps(sorted + (g * n + 16 * k), f[k]);
        for (half = 0; half < 2; half++) {
            const __mmask8 lanes = (__mmask8) (some >> 8 * half);
            __m512d total = _mm512_setzero_pd();
            for (k = 0; k < n; k++) total = _mm512_add_pd(total, skp_half8_pd(f[k], half));
            _mm512_mask_storeu_pd(maxima + g + 8 * half, lanes, skp_half8_pd(f[0], half));
            _mm512_mask_storeu_pd(sums + g + 8 * half, lanes, total);
        }
    }
    return 0;
}

/* float64: eight groups a block (rows a row a lane: skp_short_rows_as_lanes8_f64). */
SKP_AVX512 static inline __attribute__((always_inline)) int skp_short_sort_f64_(
        const double* y, ptrdiff_t y_stride, ptrdiff_t n_groups, const ptrdiff_t n, int rows,
        double* sorted, double* maxima, double* sums) {
    __m512d s[SKP_SHORT_COLUMN_ROWS], total;
    __mmask8 bad = 0;
    ptrdiff_t g, k;
    for (g = 0; g < n_groups; g += 8) {
        const __mmask8 some = (__mmask8) (n_groups - g >= 8 ? 0xff : (1u << (n_groups - g)) - 1);
        if (rows) skp_short_rows_as_lanes8_f64(y, n_groups, g, n, s);
        for (k = 0; k < n; k++) {
            s[k] = _mm512_abs_pd(rows ? s[k] : _mm512_maskz_loadu_pd(some, (const double*) (
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
 * chains each), and the least breakpoint above theta. */
typedef struct {
    __m512i counts;
    __m512d p[2], q[2], above;
} skp_short_sums;

/* One octet of a pass at theta (``lanes``: its groups that exist): 1 /
 * (c + 1) from a table (a division an octet would bound the pass: four
 * copies of 10000 x 8 float32 a pass), S_(c+1) times it into P, it into Q.
 * An octet whose groups are all zero at theta (their l1 norms, ``sums``, at
 * most theta: every breakpoint, the last S_n, is at or below it) counts n
 * a group unread: where few groups are kept, most of them (issue 14, an
 * Intel Xeon, float32 8 x 10000 at the radius where bilevel_l1inf keeps 1 %
 * of the groups and this projection 3 %: 18.6 -> 11.0 times a copy, 4.4 ->
 * 3.0 times bilevel_l1inf; 10000 x 8 by rows 2.8 -> 1.7 times it; where 22
 * % are kept, as before).
 *
 * Without ``seg`` (NULL), each group's level at theta, (S_(c+1) - theta) /
 * (c + 1) by the same reciprocal, 0 for a zero group, is stored in
 * ``levels`` (if not NULL).  With it, the least breakpoint above theta of
 * the octet's groups goes to ``above``, each group's segment at theta to
 * ``seg``, its level as its two factors (skp_short_factor_levels), and
 * where ``seg`` already holds segments whose breakpoints around theta hold
 * it for each group of the octet, they are taken without reading the
 * groups: the same counts, factors and sums, lane for lane, so the same
 * bits (as the AVX2 loops' skp_short_quartet).  Returns whether they were
 * taken. */
SKP_AVX512 static inline __attribute__((always_inline)) int skp_short_octet(
        const void* at, const int half, const ptrdiff_t n, __m512d theta, skp_short_sums* t,
        int chain, __mmask8 lanes, const double* sums, double* levels,
        skp_short_segments* seg, ptrdiff_t g) {
    const __m512d low_inverses = _mm512_setr_pd(1.0, 1.0 / 2, 1.0 / 3, 1.0 / 4, 1.0 / 5,
                                                1.0 / 6, 1.0 / 7, 1.0 / 8);
    const __m512d high_inverses = _mm512_setr_pd(1.0 / 9, 1.0 / 10, 1.0 / 11, 1.0 / 12,
                                                 1.0 / 13, 1.0 / 14, 1.0 / 15, 1.0 / 16);
    const __m512d infinite = _mm512_set1_pd(INFINITY), zero = _mm512_setzero_pd();
    const __m512i every_entry = _mm512_set1_epi64((long long) n);
    __m512i c;
    __m512d kept, r, next_break, last_break;
    __mmask8 live;
    if (_mm512_cmp_pd_mask(_mm512_maskz_loadu_pd(lanes, sums), theta, _CMP_LE_OQ) == 0xff) {
        t->counts = _mm512_add_epi64(t->counts, every_entry);
        if (!seg && levels) _mm512_mask_storeu_pd(levels + g, lanes, zero);
        /* (no segment known, found again unless zero again; no factors:
         * see skp_short_factor_levels) */
        if (seg && seg->reuse) _mm512_mask_storeu_pd(seg->low + g, lanes, infinite);
        return 0;
    }
    if (seg && seg->reuse && seg->known) {
        const __m512d high = _mm512_mask_loadu_pd(infinite, lanes, seg->high + g);
        const __mmask8 held = _mm512_mask_cmp_pd_mask(
            _mm512_cmp_pd_mask(_mm512_maskz_loadu_pd(lanes, seg->low + g), theta, _CMP_LE_OQ),
            theta, high, _CMP_LT_OQ);
        if ((__mmask8) (held | ~lanes) == 0xff) {
            /* (past the groups: zeros, as the pass reads them; each term +0) */
            kept = _mm512_maskz_loadu_pd(lanes, seg->factors + g);
            r = _mm512_maskz_loadu_pd(lanes, seg->inverses + g);
            live = _mm512_cmp_pd_mask(r, zero, _CMP_NEQ_OQ);
            t->counts = _mm512_add_epi64(t->counts, _mm512_mask_loadu_epi64(
                every_entry, lanes, seg->counts + g));
            t->above = _mm512_min_pd(t->above, high);
            t->p[chain] = _mm512_mask_add_pd(t->p[chain], live, t->p[chain],
                                             _mm512_mul_pd(kept, r));
            t->q[chain] = _mm512_mask_add_pd(t->q[chain], live, t->q[chain], r);
            return 1;
        }
    }
    live = skp_short_segment8(at, half, n, theta, &c, &kept, seg != NULL, &next_break,
                              &last_break);
    t->counts = _mm512_add_epi64(t->counts, c);
    r = _mm512_permutex2var_pd(low_inverses, c, high_inverses);
    if (!seg && levels)
        _mm512_mask_storeu_pd(levels + g, lanes, _mm512_maskz_mul_pd(
            live, _mm512_sub_pd(kept, theta), r));
    if (seg) {
        t->above = _mm512_min_pd(t->above, next_break);
        _mm512_mask_storeu_pd(seg->factors + g, lanes, kept);
        _mm512_mask_storeu_pd(seg->inverses + g, lanes, _mm512_maskz_mov_pd(live, r));
        if (seg->reuse) {
            _mm512_mask_storeu_pd(seg->low + g, lanes, last_break);
            _mm512_mask_storeu_pd(seg->high + g, lanes, next_break);
            _mm512_mask_storeu_epi64(seg->counts + g, lanes, c);
        }
    }
    t->p[chain] = _mm512_mask_add_pd(t->p[chain], live, t->p[chain], _mm512_mul_pd(kept, r));
    t->q[chain] = _mm512_mask_add_pd(t->q[chain], live, t->q[chain], r);
    return 0;
}

/* A pass at theta over the n_groups groups of ``sorted`` (float32 where
 * ``single``: sixteen groups a block, two octets; else float64, eight) and
 * their l1 norms ``sums``, over every ``every``-th block (a sample; 1: all of
 * them): returns the sum of the counts, P and Q into p and q; with ``seg``,
 * the least breakpoint above theta into ``next_break`` and the segments
 * there, else (-inf into it) the groups' levels in ``levels`` (if not NULL;
 * every = 1); see skp_short_octet.  (Its loop compiled for each: with a
 * pointer known NULL, none of the segments' operations.) */
SKP_AVX512 static inline __attribute__((always_inline)) ptrdiff_t skp_short_blocks_(
        const void* sorted, const double* sums, ptrdiff_t n_groups, const ptrdiff_t n,
        ptrdiff_t every, double theta, double* levels, skp_short_segments* seg, double* p,
        double* q, double* next_break, const int single) {
    const __m512d at = _mm512_set1_pd(theta);
    const ptrdiff_t block = single ? 16 : 8;
    skp_short_sums t;
    ptrdiff_t g, reused = 0;
    t.counts = _mm512_setzero_si512();
    t.p[0] = t.p[1] = t.q[0] = t.q[1] = _mm512_setzero_pd();
    t.above = _mm512_set1_pd(seg ? INFINITY : -INFINITY);
    for (g = 0; g < n_groups; g += block * every) {
        /* (its low eight bits are float64's block of eight) */
        const __mmask16 some = skp_block_rows16(n_groups, g);
        if (single) {
            const float* at_block = (const float*) sorted + g * n;
            reused += skp_short_octet(at_block, 0, n, at, &t, 0, (__mmask8) some, sums + g,
                                      levels, seg, g);
            reused += skp_short_octet(at_block, 1, n, at, &t, 1, (__mmask8) (some >> 8),
                                      sums + g + 8, levels, seg, g + 8);
        } else {
            reused += skp_short_octet((const double*) sorted + g * n, -1, n, at, &t,
                                      (int) ((g / 8) & 1), (__mmask8) some, sums + g, levels,
                                      seg, g);
        }
    }
    skp_short_reused += reused;
    *next_break = _mm512_reduce_min_pd(t.above);
    *p = _mm512_reduce_add_pd(_mm512_add_pd(t.p[0], t.p[1]));
    *q = _mm512_reduce_add_pd(_mm512_add_pd(t.q[0], t.q[1]));
    return (ptrdiff_t) _mm512_reduce_add_epi64(t.counts);
}

SKP_AVX512 static inline __attribute__((always_inline)) ptrdiff_t skp_short_pass_(
        const void* sorted, const double* sums, ptrdiff_t n_groups, const ptrdiff_t n,
        ptrdiff_t every, double theta, double* levels, skp_short_segments* seg, double* p,
        double* q, double* next_break, const int single) {
    if (seg)
        return skp_short_blocks_(sorted, sums, n_groups, n, every, theta, NULL, seg, p, q,
                                 next_break, single);
    return skp_short_blocks_(sorted, sums, n_groups, n, every, theta, levels, NULL, p, q,
                             next_break, single);
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
        skp_compress_store_epi64((int64_t*) kept + n_kept, above, index);
        n_kept += __builtin_popcount(above);
        index = _mm512_add_epi64(index, step);
    }
    return n_kept;
}

SKP_AVX512 static ptrdiff_t skp_short_levels512_f32(const double* mu, ptrdiff_t n_groups,
                                                    float* levels, ptrdiff_t* kept) {
    return skp_short_levels_(mu, n_groups, levels, kept, 1);
}

SKP_AVX512 static ptrdiff_t skp_short_levels512_f64(const double* mu, ptrdiff_t n_groups,
                                                    double* levels, ptrdiff_t* kept) {
    return skp_short_levels_(mu, n_groups, levels, kept, 0);
}

/* ------------------------------------------------------ the same with AVX2
 * The same layout (blocks of 16 float32 or 8 float64 groups, row k of a
 * block one after the other), each block in lanes of four groups in double
 * (quartets): every group's sums, breakpoints, counts and levels are those
 * of the AVX-512 loops, lane for lane, and P and Q go to the same eight
 * lanes of the same two chains (four lanes a vector, two vectors a chain),
 * added up as _mm512_reduce_add_pd adds, so the same bits whichever loops
 * run.  The sort takes eight float32 or four float64 groups a vector. */

/* Row k of a quartet's sorted magnitudes in double: float32 (``single``,
 * rows 16 floats apart) or float64 (rows 8 doubles apart). */
SKP_AVX2 static inline __attribute__((always_inline)) __m256d skp_short_row4(
        const void* at, ptrdiff_t k, const int single) {
    return single ? _mm256_cvtps_pd(_mm_loadu_ps((const float*) at + 16 * k))
                  : _mm256_loadu_pd((const double*) at + 8 * k);
}

/* skp_short_segment8 on a quartet: the same counts, sums and live groups. */
SKP_AVX2 static inline __attribute__((always_inline)) __m256d skp_short_segment4(
        const void* at, const int single, const ptrdiff_t n, __m256d theta, __m256i* count,
        __m256d* kept, __m256d* next_break, __m256d* last_break) {
    const __m256d infinite = _mm256_set1_pd(INFINITY);
    __m256i c = _mm256_setzero_si256();
    __m256d a = skp_short_row4(at, 0, single);
    __m256d sum = _mm256_setzero_pd(), least = _mm256_setzero_pd(), chosen = a;
    __m256d below = _mm256_setzero_pd(), above = infinite;
    __m256d last = _mm256_set1_pd(-INFINITY);
    ptrdiff_t k;
#pragma GCC unroll 16
    for (k = 0; k < n; k++) {
        const __m256d next = k + 1 < n ? skp_short_row4(at, k + 1, single) : _mm256_setzero_pd();
        sum = _mm256_add_pd(sum, a);
        least = _mm256_max_pd(least, _mm256_sub_pd(
            sum, _mm256_mul_pd(_mm256_set1_pd((double) (k + 1)), next)));
        below = _mm256_cmp_pd(least, theta, _CMP_LE_OQ);
        c = _mm256_sub_epi64(c, _mm256_castpd_si256(below));
        /* (the breakpoints rise: the least above theta is the first, the
         * last at or below it the one of the last count) */
        above = _mm256_min_pd(above, _mm256_blendv_pd(least, infinite, below));
        last = _mm256_blendv_pd(last, least, below);
        if (k + 1 < n) chosen = _mm256_blendv_pd(chosen, _mm256_add_pd(sum, next), below);
        if (!_mm256_movemask_pd(below)) break;
        a = next;
    }
    *count = c;
    *kept = chosen;
    *next_break = above;
    *last_break = last;
    return _mm256_xor_pd(below, _mm256_castsi256_pd(_mm256_set1_epi64x(-1)));
}

/* Four doubles (int64) stored into, or loaded from, the first lanes that
 * ``lanes`` (skp_first_lanes4) holds: by plain stores and loads where it
 * holds all four, as it does but at the end of the groups (AMD's masked
 * stores before Zen 4 are microcoded, tens of operations each: on a Zen 3,
 * float32 8 x 10000 at a tenth of the norm, perf against the write, the
 * passes, the sort and the levels took 1.31, 1.20 and 1.62 times as long
 * with the masked stores of every quartet). */
SKP_AVX2 static inline int skp_short_whole4(__m256i lanes) {
    return _mm256_movemask_pd(_mm256_castsi256_pd(lanes)) == 0xf;
}

SKP_AVX2 static inline void skp_short_store4(double* dst, __m256i lanes, __m256d v) {
    if (skp_short_whole4(lanes)) _mm256_storeu_pd(dst, v);
    else _mm256_maskstore_pd(dst, lanes, v);
}

SKP_AVX2 static inline void skp_short_store4_epi64(long long* dst, __m256i lanes, __m256i v) {
    if (skp_short_whole4(lanes)) _mm256_storeu_si256((__m256i*) dst, v);
    else _mm256_maskstore_epi64(dst, lanes, v);
}

SKP_AVX2 static inline __m256d skp_short_load4(const double* src, __m256i lanes) {
    return skp_short_whole4(lanes) ? _mm256_loadu_pd(src) : _mm256_maskload_pd(src, lanes);
}

SKP_AVX2 static inline __m256i skp_short_load4_epi64(const long long* src, __m256i lanes) {
    return skp_short_whole4(lanes) ? _mm256_loadu_si256((const __m256i*) src)
                                   : _mm256_maskload_epi64(src, lanes);
}

/* 1 / (c + 1) at entry c, for a group's count c of breakpoints; 17 entries,
 * so that a zero group of 16 (c = 16, not added up) reads inside the table. */
static const double skp_short_inverses[17] = {
    1.0, 1.0 / 2, 1.0 / 3, 1.0 / 4, 1.0 / 5, 1.0 / 6, 1.0 / 7, 1.0 / 8, 1.0 / 9, 1.0 / 10,
    1.0 / 11, 1.0 / 12, 1.0 / 13, 1.0 / 14, 1.0 / 15, 1.0 / 16, 1.0 / 17};

/* skp_short_octet on a quartet (``lanes``: its groups that exist, as a mask
 * of four doubles); P and Q into ``p`` and ``q``, its lanes of a chain; the
 * least breakpoint above theta of its groups not zero into ``above``; the
 * segments in ``seg`` stored and taken as there.  Returns whether they
 * were taken. */
SKP_AVX2 static inline __attribute__((always_inline)) int skp_short_quartet(
        const void* at, const int single, const ptrdiff_t n, __m256d theta, __m256i* counts,
        __m256d* p, __m256d* q, __m256d* above, skp_short_segments* seg, ptrdiff_t g,
        __m256i lanes, const double* sums) {
    const __m256d infinite = _mm256_set1_pd(INFINITY);
    __m256i c;
    __m256d kept, r, live, next_break, last_break;
    if (_mm256_movemask_pd(_mm256_cmp_pd(skp_short_load4(sums + g, lanes), theta,
                                         _CMP_LE_OQ)) == 0xf) {
        /* (as skp_short_octet's) */
        *counts = _mm256_add_epi64(*counts, _mm256_set1_epi64x((long long) n));
        if (seg->reuse) skp_short_store4(seg->low + g, lanes, infinite);
        return 0;
    }
    if (seg->reuse && seg->known) {
        const __m256d high = _mm256_blendv_pd(infinite, skp_short_load4(seg->high + g, lanes),
                                              _mm256_castsi256_pd(lanes));
        const __m256d held = _mm256_and_pd(
            _mm256_cmp_pd(skp_short_load4(seg->low + g, lanes), theta, _CMP_LE_OQ),
            _mm256_cmp_pd(theta, high, _CMP_LT_OQ));
        if (_mm256_movemask_pd(_mm256_or_pd(held, _mm256_castsi256_pd(
                _mm256_xor_si256(lanes, _mm256_set1_epi64x(-1))))) == 0xf) {
            /* (past the groups: zeros, as the pass reads them; each term +0) */
            kept = skp_short_load4(seg->factors + g, lanes);
            r = skp_short_load4(seg->inverses + g, lanes);
            live = _mm256_cmp_pd(r, _mm256_setzero_pd(), _CMP_NEQ_OQ);
            *counts = _mm256_add_epi64(*counts, _mm256_blendv_epi8(
                _mm256_set1_epi64x((long long) n), skp_short_load4_epi64(seg->counts + g, lanes),
                lanes));
            *above = _mm256_min_pd(*above, high);
            *p = _mm256_add_pd(*p, _mm256_and_pd(live, _mm256_mul_pd(kept, r)));
            *q = _mm256_add_pd(*q, r);
            return 1;
        }
    }
    live = skp_short_segment4(at, single, n, theta, &c, &kept, &next_break, &last_break);
    *counts = _mm256_add_epi64(*counts, c);
    *above = _mm256_min_pd(*above, next_break);
    r = _mm256_i64gather_pd(skp_short_inverses, c, 8);
    skp_short_store4(seg->factors + g, lanes, kept);
    skp_short_store4(seg->inverses + g, lanes, _mm256_and_pd(live, r));
    if (seg->reuse) {
        skp_short_store4(seg->low + g, lanes, last_break);
        skp_short_store4(seg->high + g, lanes, next_break);
        skp_short_store4_epi64(seg->counts + g, lanes, c);
    }
    /* (+0 in the lanes not live: a sum of non-negative terms stays as it was) */
    *p = _mm256_add_pd(*p, _mm256_and_pd(live, _mm256_mul_pd(kept, r)));
    *q = _mm256_add_pd(*q, _mm256_and_pd(live, r));
    return 0;
}

/* _mm512_reduce_add_pd of the eight lanes (low, high) as GCC adds them. */
SKP_AVX2 static inline double skp_short_reduce8(__m256d low, __m256d high) {
    const __m256d fours = _mm256_add_pd(high, low);
    const __m128d twos = _mm_add_pd(_mm256_extractf128_pd(fours, 1),
                                    _mm256_castpd256_pd128(fours));
    return _mm_cvtsd_f64(twos) + _mm_cvtsd_f64(_mm_unpackhi_pd(twos, twos));
}

/* skp_short_pass_ with AVX2: each octet of a block as two quartets, chain
 * by chain as there (p[chain][0] lanes 0-3 of the octet, p[chain][1] 4-7);
 * always with ``seg`` (the levels as factors there, not in ``levels``). */
SKP_AVX2 static inline __attribute__((always_inline)) ptrdiff_t skp_short_pass256_(
        const void* sorted, const double* sums, ptrdiff_t n_groups, const ptrdiff_t n,
        ptrdiff_t every, double theta, double* levels, skp_short_segments* seg, double* p,
        double* q, double* next_break, const int single) {
    const __m256d at = _mm256_set1_pd(theta);
    const ptrdiff_t block = single ? 16 : 8;
    __m256d sum_p[2][2], sum_q[2][2], above = _mm256_set1_pd(INFINITY);
    __m256i counts = _mm256_setzero_si256();
    ptrdiff_t g, c, reused = 0;
    int chain, h;
    (void) levels;
    for (chain = 0; chain < 2; chain++)
        for (h = 0; h < 2; h++)
            sum_p[chain][h] = sum_q[chain][h] = _mm256_setzero_pd();
    for (g = 0; g < n_groups; g += block * every)
        for (c = 0; c < block; c += 4) {
            /* (float32: octet c / 8 is the chain; float64: the block's parity) */
            chain = single ? (int) (c / 8) : (int) ((g / 8) & 1);
            h = (int) ((c / 4) & 1);
            reused += skp_short_quartet(
                              single ? (const void*) ((const float*) sorted + g * n + c)
                                     : (const void*) ((const double*) sorted + g * n + c),
                              single, n, at, &counts, &sum_p[chain][h], &sum_q[chain][h],
                              &above, seg, g + c, skp_first_lanes4(n_groups - g - c), sums);
        }
    skp_short_reused += reused;
    above = _mm256_min_pd(above, _mm256_permute4x64_pd(above, 0x4e));
    *next_break = _mm_cvtsd_f64(_mm256_castpd256_pd128(
        _mm256_min_pd(above, _mm256_permute_pd(above, 0x5))));
    *p = skp_short_reduce8(_mm256_add_pd(sum_p[0][0], sum_p[1][0]),
                           _mm256_add_pd(sum_p[0][1], sum_p[1][1]));
    *q = skp_short_reduce8(_mm256_add_pd(sum_q[0][0], sum_q[1][0]),
                           _mm256_add_pd(sum_q[0][1], sum_q[1][1]));
    return (ptrdiff_t) (_mm256_extract_epi64(counts, 0) + _mm256_extract_epi64(counts, 1)
                        + _mm256_extract_epi64(counts, 2) + _mm256_extract_epi64(counts, 3));
}

/* skp_short_sort_f32_ with AVX2: each block of sixteen groups in two halves
 * of eight, a group a lane, the same sorted rows, maxima and sums (each
 * group's in double, in the order of its rows).  Row groups: eight rows
 * loaded whole and transposed (skp_load_transposed8) where those loads stay
 * inside the matrix, else gathered (gathering every block, float32 10000 x
 * 16 by rows took 1.10 times the other paths' time on a Zen 3, 0.92 so). */
SKP_AVX2 static inline __attribute__((always_inline)) int skp_short_sort256_f32_(
        const float* y, ptrdiff_t y_stride, ptrdiff_t n_groups, const ptrdiff_t n, int rows,
        float* sorted, double* maxima, double* sums) {
    const __m256 sign = _mm256_set1_ps(-0.0f), infinite = _mm256_set1_ps(INFINITY);
    const __m256i first = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                             _mm256_set1_epi32((int) n));
    __m256 f[SKP_SHORT_COLUMN_ROWS];
    int bad = 0;
    ptrdiff_t g, k, half, quarter;
    for (g = 0; g < n_groups; g += 16)
        for (half = 0; half < 16; half += 8) {
            const ptrdiff_t at = g + half;
            const __m256i some = skp_first_lanes8(n_groups - at);
            /* (rows: eight whole ones transposed where the loads of 8 or 16
             * entries a row stay inside the matrix, else gathered) */
            if (rows && (at + 7) * n + (n > 8 ? 16 : 8) <= n_groups * n) {
                skp_load_transposed8(y + at * n, n * (ptrdiff_t) sizeof(float), f);
                if (n > 8)
                    skp_load_transposed8(y + at * n + 8, n * (ptrdiff_t) sizeof(float), f + 8);
            } else {
                for (k = 0; k < n; k++)
                    f[k] = rows ? _mm256_mask_i32gather_ps(
                                      _mm256_setzero_ps(), y + at * n,
                                      _mm256_add_epi32(first, _mm256_set1_epi32((int) k)),
                                      _mm256_castsi256_ps(some), 4)
                                : _mm256_maskload_ps(
                                      (const float*) ((const char*) y + k * y_stride) + at, some);
            }
            for (k = 0; k < n; k++) {
                f[k] = _mm256_andnot_ps(sign, f[k]);
                bad |= _mm256_movemask_ps(_mm256_cmp_ps(f[k], infinite, _CMP_NLT_UQ));
            }
            if (bad) return 1;
            SKP_SORT_DESCENDING(f, n, _mm256_max_ps, _mm256_min_ps);
            for (k = 0; k < n; k++) _mm256_storeu_ps(sorted + (g * n + 16 * k + half), f[k]);
            for (quarter = 0; quarter < 8; quarter += 4) {
                const __m256i lanes = skp_first_lanes4(n_groups - at - quarter);
                __m256d total = _mm256_setzero_pd();
                for (k = 0; k < n; k++)
                    total = _mm256_add_pd(total, skp_half_pd(f[k], quarter));
                skp_short_store4(maxima + at + quarter, lanes, skp_half_pd(f[0], quarter));
                skp_short_store4(sums + at + quarter, lanes, total);
            }
        }
    return 0;
}

/* float64: each block of eight groups in two halves of four (row groups
 * loaded four rows at a time and transposed, or gathered, as float32's). */
SKP_AVX2 static inline __attribute__((always_inline)) int skp_short_sort256_f64_(
        const double* y, ptrdiff_t y_stride, ptrdiff_t n_groups, const ptrdiff_t n, int rows,
        double* sorted, double* maxima, double* sums) {
    const __m256d sign = _mm256_set1_pd(-0.0), infinite = _mm256_set1_pd(INFINITY);
    const __m128i first = _mm_mullo_epi32(_mm_setr_epi32(0, 1, 2, 3), _mm_set1_epi32((int) n));
    __m256d s[SKP_SHORT_COLUMN_ROWS], total;
    int bad = 0;
    ptrdiff_t g, k, half;
    for (g = 0; g < n_groups; g += 8)
        for (half = 0; half < 8; half += 4) {
            const ptrdiff_t at = g + half;
            const __m256i some = skp_first_lanes4(n_groups - at);
            /* (as the float32 rows, four at a time) */
            if (rows && (at + 3) * n + (n + 3) / 4 * 4 <= n_groups * n) {
                for (k = 0; k < n; k += 4)
                    skp_load_transposed4_f64(y + at * n + k, n * (ptrdiff_t) sizeof(double),
                                             s + k);
            } else {
                for (k = 0; k < n; k++)
                    s[k] = rows ? _mm256_mask_i32gather_pd(
                                      _mm256_setzero_pd(), y + at * n,
                                      _mm_add_epi32(first, _mm_set1_epi32((int) k)),
                                      _mm256_castsi256_pd(some), 8)
                                : _mm256_maskload_pd(
                                      (const double*) ((const char*) y + k * y_stride) + at,
                                      some);
            }
            for (k = 0; k < n; k++) {
                s[k] = _mm256_andnot_pd(sign, s[k]);
                bad |= _mm256_movemask_pd(_mm256_cmp_pd(s[k], infinite, _CMP_NLT_UQ));
            }
            if (bad) return 1;
            SKP_SORT_DESCENDING(s, n, _mm256_max_pd, _mm256_min_pd);
            for (k = 0; k < n; k++) _mm256_storeu_pd(sorted + (g * n + 8 * k + half), s[k]);
            for (k = 0, total = _mm256_setzero_pd(); k < n; k++) total = _mm256_add_pd(total, s[k]);
            skp_short_store4(maxima + at, some, s[0]);
            skp_short_store4(sums + at, some, total);
        }
    return 0;
}

/* skp_short_levels_ with AVX2, four groups a vector (the kept ones listed
 * without a branch: each group's index written, the count moved past it
 * where it is kept). */
SKP_AVX2 static inline __attribute__((always_inline)) ptrdiff_t skp_short_levels256_(
        const double* mu, ptrdiff_t n_groups, void* levels, ptrdiff_t* kept, const int single) {
    ptrdiff_t g, n_kept = 0;
    int i, above;
    for (g = 0; g < n_groups; g += 4) {
        const __m256i some = skp_first_lanes4(n_groups - g);
        const __m256d m = skp_short_load4(mu + g, some);
        if (single && skp_short_whole4(some))
            _mm_storeu_ps((float*) levels + g, _mm256_cvtpd_ps(m));
        else if (single)
            _mm_maskstore_ps((float*) levels + g, _mm256_castsi256_si128(
                                 _mm256_permutevar8x32_epi32(some, _mm256_setr_epi32(
                                     0, 2, 4, 6, 0, 2, 4, 6))),
                             _mm256_cvtpd_ps(m));
        else
            skp_short_store4((double*) levels + g, some, m);
        above = _mm256_movemask_pd(_mm256_and_pd(
            _mm256_castsi256_pd(some), _mm256_cmp_pd(m, _mm256_setzero_pd(), _CMP_GT_OQ)));
        for (i = 0; i < 4 && g + i < n_groups; i++) {
            kept[n_kept] = g + i;   /* (n_kept <= g + i < n_groups: inside the list) */
            n_kept += (above >> i) & 1;
        }
    }
    return n_kept;
}

/* Each entry point of an instruction set (TARGET: skp_short_sort512_f32,
 * ..., skp_short_pass256_f64) calls its loop (SORT, PASS) with its length
 * ``n`` a constant (SKP_FOR_LENGTH). */
#define SKP_SHORT_SORT(LOOP, UNUSED, N) \
    return LOOP(y, y_stride, n_groups, N, rows, sorted, maxima, sums)
#define SKP_SHORT_PASS(LOOP, SINGLE, N) \
    return LOOP(sorted, sums, n_groups, N, every, theta, levels, seg, p, q, next_break, \
                SINGLE)
#define SKP_SHORT_ENTRIES(TARGET, WIDTH, SORT, PASS, SUFFIX, T)                          \
TARGET static int skp_short_sort##WIDTH##_##SUFFIX(const T* y, ptrdiff_t y_stride,        \
                                                   ptrdiff_t n_groups, ptrdiff_t n,        \
                                                   int rows, T* sorted, double* maxima,    \
                                                   double* sums) {                         \
    SKP_FOR_LENGTH(n, SKP_SHORT_SORT, SORT, _)                                            \
    return 0;                                                                             \
}                                                                                         \
                                                                                          \
TARGET static ptrdiff_t skp_short_pass##WIDTH##_##SUFFIX(const T* sorted,                 \
                                                         const double* sums,              \
                                                         ptrdiff_t n_groups, ptrdiff_t n,  \
                                                         ptrdiff_t every, double theta,    \
                                                         double* levels,                   \
                                                         skp_short_segments* seg,          \
                                                         double* p, double* q,             \
                                                         double* next_break) {             \
    SKP_FOR_LENGTH(n, SKP_SHORT_PASS, PASS, sizeof(T) == 4)                                \
    return 0;                                                                             \
}
SKP_SHORT_ENTRIES(SKP_AVX512, 512, skp_short_sort_f32_, skp_short_pass_, f32, float)
SKP_SHORT_ENTRIES(SKP_AVX512, 512, skp_short_sort_f64_, skp_short_pass_, f64, double)
SKP_SHORT_ENTRIES(SKP_AVX2, 256, skp_short_sort256_f32_, skp_short_pass256_, f32, float)
SKP_SHORT_ENTRIES(SKP_AVX2, 256, skp_short_sort256_f64_, skp_short_pass256_, f64, double)
#undef SKP_SHORT_ENTRIES
#undef SKP_SHORT_SORT
#undef SKP_SHORT_PASS

/* The entries the Cython module calls: the AVX-512F loops where they run
 * (skp_avx512), else the AVX2 ones (called where skp_short_enabled). */
static inline int skp_short_sort_f32(const float* y, ptrdiff_t y_stride, ptrdiff_t n_groups,
                                     ptrdiff_t n, int rows, float* sorted, double* maxima,
                                     double* sums) {
    return (skp_avx512 ? skp_short_sort512_f32 : skp_short_sort256_f32)(
        y, y_stride, n_groups, n, rows, sorted, maxima, sums);
}

static inline int skp_short_sort_f64(const double* y, ptrdiff_t y_stride, ptrdiff_t n_groups,
                                     ptrdiff_t n, int rows, double* sorted, double* maxima,
                                     double* sums) {
    return (skp_avx512 ? skp_short_sort512_f64 : skp_short_sort256_f64)(
        y, y_stride, n_groups, n, rows, sorted, maxima, sums);
}

static inline ptrdiff_t skp_short_pass_f32(const float* sorted, const double* sums,
                                           ptrdiff_t n_groups, ptrdiff_t n, ptrdiff_t every,
                                           double theta, double* levels, skp_short_segments* seg,
                                           double* p, double* q, double* next_break) {
    return (skp_avx512 ? skp_short_pass512_f32 : skp_short_pass256_f32)(
        sorted, sums, n_groups, n, every, theta, levels, seg, p, q, next_break);
}

static inline ptrdiff_t skp_short_pass_f64(const double* sorted, const double* sums,
                                           ptrdiff_t n_groups, ptrdiff_t n, ptrdiff_t every,
                                           double theta, double* levels, skp_short_segments* seg,
                                           double* p, double* q, double* next_break) {
    return (skp_avx512 ? skp_short_pass512_f64 : skp_short_pass256_f64)(
        sorted, sums, n_groups, n, every, theta, levels, seg, p, q, next_break);
}

SKP_AVX2 static ptrdiff_t skp_short_levels256_f32(const double* mu, ptrdiff_t n_groups,
                                                 float* levels, ptrdiff_t* kept) {
    return skp_short_levels256_(mu, n_groups, levels, kept, 1);
}

SKP_AVX2 static ptrdiff_t skp_short_levels256_f64(const double* mu, ptrdiff_t n_groups,
                                                 double* levels, ptrdiff_t* kept) {
    return skp_short_levels256_(mu, n_groups, levels, kept, 0);
}

static inline ptrdiff_t skp_short_levels_f32(const double* mu, ptrdiff_t n_groups,
                                             float* levels, ptrdiff_t* kept) {
    return (skp_avx512 ? skp_short_levels512_f32 : skp_short_levels256_f32)(
        mu, n_groups, levels, kept);
}

static inline ptrdiff_t skp_short_levels_f64(const double* mu, ptrdiff_t n_groups,
                                             double* levels, ptrdiff_t* kept) {
    return (skp_avx512 ? skp_short_levels512_f64 : skp_short_levels256_f64)(
        mu, n_groups, levels, kept);
}

#else

static inline void skp_short_factor_levels(const double* factors, const double* inverses,
                                           const double* norms, ptrdiff_t n_groups,
                                           double theta, double* levels) {
}
static inline int skp_short_enabled(void) { return 0; }
static inline int skp_short_avx512(void) { return 0; }
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
                                           double theta, double* levels, skp_short_segments* seg,
                                           double* p, double* q, double* next_break) {
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
                                           double theta, double* levels, skp_short_segments* seg,
                                           double* p, double* q, double* next_break) {
    return 0;
}

#endif
#endif
