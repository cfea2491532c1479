/* One pass of Michelot's iteration on a group's gathered list (``_group_level``
 * in _l1inf_lists.pyx): split src[0:n] at the level mu,
 *
 *     entries a > mu         -> above[0 : n_above], in order (the return value),
 *     entries lower < a <= mu -> appended to below at below[*n_below], in order,
 *
 * with the sum and the minimum of the entries above, and the largest entry
 * appended below (``*largest`` raised, never lowered).  src may be ``below``
 * (the first pass, *n_below = 0) or ``above`` (the later passes): every
 * write lands at or before the entry being read.
 *
 * The sum of the entries above is taken in eight chains, entry i of src in
 * chain i % 8, added as ((c0 + c4) + (c2 + c6)) + ((c1 + c5) + (c3 + c7)):
 * the AVX-512 loop (compress in registers, no branch) and the plain C one
 * give the same bits.  The scalar Cython loop it replaces carried the count
 * of the entries above from entry to entry, about four cycles an entry (issue
 * 14: the solve was 0.40 ns an entry of 1000 x 10000 float32 at half the
 * norm, 21 % of the call).
 *
 * Full-width stores inside the list: while a whole vector of src is left,
 * the entries still in src and those written below never outnumber the
 * group's list, so a vector stored at below[*n_below] or above[n_above]
 * stays inside its list (or its scratch of the group's size); the last part
 * vector is stored under a mask.
 */
#ifndef SKPROJ_L1INF_SPLIT_H
#define SKPROJ_L1INF_SPLIT_H

#include <math.h>
#include <stddef.h>

static inline double skp_split_total(const double chains[8]) {
    return ((chains[0] + chains[4]) + (chains[2] + chains[6]))
           + ((chains[1] + chains[5]) + (chains[3] + chains[7]));
}

static ptrdiff_t skp_split_c(const double* src, ptrdiff_t n, double mu, double lower,
                             double* below, ptrdiff_t* n_below, double* above,
                             double* total, double* smallest, double* largest) {
    double chains[8] = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
    double least = INFINITY, most = *largest, a;
    ptrdiff_t i, n_above = 0, kept = *n_below;
    int up, keep;
    for (i = 0; i < n; i++) {
        a = src[i];
        up = a > mu;
        keep = (a > lower) & !up;
        below[kept] = a;
        kept += keep;
        above[n_above] = a;
        n_above += up;
        /* (+0.0 leaves a chain's bits as they are: its sum is not -0) */
        chains[i % 8] += up ? a : 0.0;
        least = up && a < least ? a : least;
        most = keep && a > most ? a : most;
    }
    *n_below = kept;
    *total = skp_split_total(chains);
    *smallest = least;
    *largest = most;
    return n_above;
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))

#include <immintrin.h>

#define SKP_SPLIT_AVX512 __attribute__((target("avx512f,avx512vl,avx2,popcnt")))

/* Whether the AVX-512 loop runs (skp_split_set_avx512). */
static int skp_split_avx512 = 0;

/* Turn the AVX-512 loop on where the CPU has it (or off); whether it runs. */
static inline int skp_split_set_avx512(int on) {
    __builtin_cpu_init();
    skp_split_avx512 = on && __builtin_cpu_supports("avx512f")
                       && __builtin_cpu_supports("avx512vl")
                       && __builtin_cpu_supports("popcnt");
    return skp_split_avx512;
}

SKP_SPLIT_AVX512 static inline void skp_split_vector(__m512d a, __mmask8 live, __m512d mu,
                                                     __m512d lower, double* below,
                                                     ptrdiff_t* kept, double* above,
                                                     ptrdiff_t* n_above, __m512d* chains,
                                                     __m512d* least, __m512d* most) {
    const __mmask8 up = _mm512_mask_cmp_pd_mask(live, a, mu, _CMP_GT_OQ);
    const __mmask8 keep = _mm512_mask_cmp_pd_mask(live, a, lower, _CMP_GT_OQ) & ~up;
    const int n_up = __builtin_popcount(up), n_keep = __builtin_popcount(keep);
    *chains = _mm512_mask_add_pd(*chains, up, *chains, a);
    *least = _mm512_mask_min_pd(*least, up, *least, a);
    *most = _mm512_mask_max_pd(*most, keep, *most, a);
    if (live == 0xFF) {
        _mm512_storeu_pd(below + *kept, _mm512_maskz_compress_pd(keep, a));
        _mm512_storeu_pd(above + *n_above, _mm512_maskz_compress_pd(up, a));
    } else {
        _mm512_mask_storeu_pd(below + *kept, (__mmask8) ((1u << n_keep) - 1),
                              _mm512_maskz_compress_pd(keep, a));
        _mm512_mask_storeu_pd(above + *n_above, (__mmask8) ((1u << n_up) - 1),
                              _mm512_maskz_compress_pd(up, a));
    }
    *kept += n_keep;
    *n_above += n_up;
}

SKP_SPLIT_AVX512 static ptrdiff_t skp_split512(const double* src, ptrdiff_t n, double mu,
                                               double lower, double* below,
                                               ptrdiff_t* n_below, double* above,
                                               double* total, double* smallest,
                                               double* largest) {
    const __m512d mu8 = _mm512_set1_pd(mu), lower8 = _mm512_set1_pd(lower);
    __m512d chains = _mm512_setzero_pd(), least = _mm512_set1_pd(INFINITY);
    __m512d most = _mm512_set1_pd(*largest);
    double lanes[8];
    ptrdiff_t i = 0, n_above = 0, kept = *n_below;
    const ptrdiff_t bulk = n - n % 8;
    __mmask8 live;
    for (; i < bulk; i += 8)
        skp_split_vector(_mm512_loadu_pd(src + i), 0xFF, mu8, lower8, below, &kept, above,
                         &n_above, &chains, &least, &most);
    if (i < n) {
        live = (__mmask8) ((1u << (n - i)) - 1);
        skp_split_vector(_mm512_maskz_loadu_pd(live, src + i), live, mu8, lower8, below, &kept,
                         above, &n_above, &chains, &least, &most);
    }
    _mm512_storeu_pd(lanes, chains);
    *n_below = kept;
    *total = skp_split_total(lanes);
    *smallest = _mm512_reduce_min_pd(least);
    *largest = _mm512_reduce_max_pd(most);
    return n_above;
}

#else

static inline int skp_split_set_avx512(int on) { return 0; }

#endif

/* The split by the AVX-512 loop where it runs, else by the plain C one. */
static inline ptrdiff_t skp_split(const double* src, ptrdiff_t n, double mu, double lower,
                                  double* below, ptrdiff_t* n_below, double* above,
                                  double* total, double* smallest, double* largest) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    if (skp_split_avx512)
        return skp_split512(src, n, mu, lower, below, n_below, above, total, smallest,
                            largest);
#endif
    return skp_split_c(src, n, mu, lower, below, n_below, above, total, smallest, largest);
}

#endif  /* SKPROJ_L1INF_SPLIT_H */
