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
 * the AVX-512 loop (compress in registers, no branch), the AVX2 one (four
 * entries a vector, chains 0-3 and 4-7 in turn, packed by skp_packed4) and
 * the plain C one give the same bits.  The scalar Cython loop it replaces
 * carried the count of the entries above from entry to entry, about four
 * cycles an entry (issue 14: the solve was 0.40 ns an entry of 1000 x 10000
 * float32 at half the norm, 21 % of the call); the plain C loop, in turn, a
 * fifth of the exact ball's call there on a CPU without AVX-512 (its AVX2
 * loop a twentieth).
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

#include "_cpu.h"

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
#include "_pack_simd.h"

#define SKP_SPLIT_AVX512 __attribute__((target("avx512f,avx512vl,avx2,popcnt")))
#define SKP_SPLIT_AVX2 __attribute__((target("avx2,popcnt")))

/* The loop that runs (skp_split_set_simd): 2 AVX-512, 1 AVX2, 0 plain C. */
static int skp_split_simd = 0;

/* The loop of ``level`` (2 AVX-512, 1 AVX2, 0 plain C), or the best below it
 * that the CPU has; the level that now runs. */
static inline int skp_split_set_simd(int level) {
    __builtin_cpu_init();
    if (level >= 2 && SKP_CPU_HAS("avx512f") && SKP_CPU_HAS("avx512vl")
            && SKP_CPU_HAS("popcnt"))
        skp_split_simd = 2;
    else if (level >= 1 && SKP_CPU_HAS("avx2") && SKP_CPU_HAS("popcnt"))
        skp_split_simd = 1;
    else
        skp_split_simd = 0;
    return skp_split_simd;
}

/* Four entries a of src (``live``: the lanes that exist, all of them but
 * in the last part vector) split as skp_split_c does: those above mu added
 * to ``chain`` (+0.0 for the others) and stored at above[*n_above], those in
 * (lower, mu] at below[*kept], each packed to the front of a whole vector
 * (four lanes written: see the file's comment) or, in the part vector, of
 * as many lanes as it keeps. */
SKP_SPLIT_AVX2 static inline void skp_split_vector4(__m256d a, __m256d live, __m256d mu,
                                                   __m256d lower, const int whole,
                                                   double* below, ptrdiff_t* kept,
                                                   double* above, ptrdiff_t* n_above,
                                                   __m256d* chain, __m256d* least,
                                                   __m256d* most) {
    const __m256d up = _mm256_and_pd(live, _mm256_cmp_pd(a, mu, _CMP_GT_OQ));
    const __m256d keep = _mm256_andnot_pd(up, _mm256_and_pd(
        live, _mm256_cmp_pd(a, lower, _CMP_GT_OQ)));
    const int up_mask = _mm256_movemask_pd(up), keep_mask = _mm256_movemask_pd(keep);
    const int n_up = _mm_popcnt_u32((unsigned) up_mask);
    const int n_keep = _mm_popcnt_u32((unsigned) keep_mask);
    const __m256d packed_up = skp_packed4(a, up_mask);
    const __m256d packed_keep = skp_packed4(a, keep_mask);
    const __m256i lanes = _mm256_setr_epi64x(0, 1, 2, 3);
    *chain = _mm256_add_pd(*chain, _mm256_and_pd(up, a));
    *least = _mm256_min_pd(*least, _mm256_blendv_pd(_mm256_set1_pd(INFINITY), a, up));
    *most = _mm256_max_pd(*most, _mm256_blendv_pd(*most, a, keep));
    if (whole) {
        _mm256_storeu_pd(below + *kept, packed_keep);
        _mm256_storeu_pd(above + *n_above, packed_up);
    } else {
        _mm256_maskstore_pd(below + *kept, _mm256_cmpgt_epi64(_mm256_set1_epi64x(n_keep), lanes),
                            packed_keep);
        _mm256_maskstore_pd(above + *n_above, _mm256_cmpgt_epi64(_mm256_set1_epi64x(n_up), lanes),
                            packed_up);
    }
    *kept += n_keep;
    *n_above += n_up;
}

SKP_SPLIT_AVX2 static ptrdiff_t skp_split256(const double* src, ptrdiff_t n, double mu,
                                             double lower, double* below, ptrdiff_t* n_below,
                                             double* above, double* total, double* smallest,
                                             double* largest) {
    const __m256d mu4 = _mm256_set1_pd(mu), lower4 = _mm256_set1_pd(lower);
    const __m256d all = _mm256_castsi256_pd(_mm256_set1_epi64x(-1));
    __m256d chains[2] = {_mm256_setzero_pd(), _mm256_setzero_pd()};   /* 0-3, 4-7 */
    __m256d least = _mm256_set1_pd(INFINITY), most = _mm256_set1_pd(*largest);
    double lanes[8];
    ptrdiff_t i = 0, n_above = 0, kept = *n_below;
    const ptrdiff_t bulk = n - n % 4;
    for (; i < bulk; i += 4)
        skp_split_vector4(_mm256_loadu_pd(src + i), all, mu4, lower4, 1, below, &kept, above,
                          &n_above, &chains[(i >> 2) & 1], &least, &most);
    if (i < n) {
        const __m256i live = _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long) (n - i)),
                                                _mm256_setr_epi64x(0, 1, 2, 3));
        skp_split_vector4(_mm256_maskload_pd(src + i, live), _mm256_castsi256_pd(live), mu4,
                          lower4, 0, below, &kept, above, &n_above, &chains[(i >> 2) & 1],
                          &least, &most);
    }
    _mm256_storeu_pd(lanes, chains[0]);
    _mm256_storeu_pd(lanes + 4, chains[1]);
    least = _mm256_min_pd(least, _mm256_permute2f128_pd(least, least, 1));
    most = _mm256_max_pd(most, _mm256_permute2f128_pd(most, most, 1));
    least = _mm256_min_pd(least, _mm256_permute_pd(least, 5));
    most = _mm256_max_pd(most, _mm256_permute_pd(most, 5));
    *n_below = kept;
    *total = skp_split_total(lanes);
    *smallest = _mm256_cvtsd_f64(least);
    *largest = _mm256_cvtsd_f64(most);
    return n_above;
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

static int skp_split_simd = 0;
static inline int skp_split_set_simd(int level) { (void) level; return 0; }

#endif

/* The split by the loop skp_split_set_simd chose. */
static inline ptrdiff_t skp_split(const double* src, ptrdiff_t n, double mu, double lower,
                                  double* below, ptrdiff_t* n_below, double* above,
                                  double* total, double* smallest, double* largest) {
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
    if (skp_split_simd == 2)
        return skp_split512(src, n, mu, lower, below, n_below, above, total, smallest,
                            largest);
    if (skp_split_simd == 1)
        return skp_split256(src, n, mu, lower, below, n_below, above, total, smallest,
                            largest);
#endif
    return skp_split_c(src, n, mu, lower, below, n_below, above, total, smallest, largest);
}

#endif  /* SKPROJ_L1INF_SPLIT_H */
