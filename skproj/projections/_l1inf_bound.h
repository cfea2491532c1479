/* Step 2 of the exact l1,inf projection (``initial_lower_bound`` in
 * _l1inf_lists.pyx): the lower envelope of F at theta, sum over the groups
 * with S_g > theta of max(M_g - theta, (S_g - theta) / n), and its slope.
 *
 * Without branches: whether a group is alive, and which of its two bounds
 * is the larger, are as good as random from group to group, and gcc made
 * the Cython loop's selects branches (a tenth of the general path's time on
 * 100 x 100000 at the radius keeping 10 % of the groups).  The selects are
 * masks on the bits; the sums run in four chains (group g in chain g % 4,
 * the groups past the last multiple of 4 in chain 0), added as
 * (c0 + c1) + (c2 + c3): the same bits on every CPU, by plain C or by
 * AVX2 (a chain a lane). */
#ifndef SKPROJ_L1INF_BOUND_H
#define SKPROJ_L1INF_BOUND_H

#include <stddef.h>
#include <stdint.h>

#include "_cpu.h"
#include <string.h>

/* ``when`` (0 or 1) ? a : b, on the bits. */
static inline double skp_bound_pick(int when, double a, double b) {
    uint64_t ua, ub, mask = (uint64_t) 0 - (uint64_t) when;
    double out;
    memcpy(&ua, &a, sizeof(ua));
    memcpy(&ub, &b, sizeof(ub));
    ua = (ua & mask) | (ub & ~mask);
    memcpy(&out, &ua, sizeof(out));
    return out;
}

static inline void skp_bound_term(double sum, double maximum, double theta, double inv_n,
                                  double* total, double* slope) {
    const double by_max = maximum - theta, by_sum = (sum - theta) * inv_n;
    const int alive = sum > theta, steep = by_max > by_sum;
    *total += skp_bound_pick(alive, skp_bound_pick(steep, by_max, by_sum), 0.0);
    *slope += skp_bound_pick(alive, skp_bound_pick(steep, 1.0, inv_n), 0.0);
}

/* The four chains of groups 0 to n4 - 1 (a multiple of 4), plain C. */
static inline void skp_lower_chains_plain(const double* sums, const double* maxima,
                                          ptrdiff_t n4, double theta, double inv_n,
                                          double t[4], double s[4]) {
    ptrdiff_t g;
    int k;
    for (g = 0; g < n4; g += 4)
        for (k = 0; k < 4; k++)
            skp_bound_term(sums[g + k], maxima[g + k], theta, inv_n, &t[k], &s[k]);
}

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#include <immintrin.h>
#define SKP_BOUND_HAVE_AVX2 1
/* The same with AVX2: the four chains are the four lanes of a vector, each
 * term as skp_bound_term computes it (a subtraction, a multiplication, two
 * comparisons and the selects; no FMA), so the same bits.  On 10 x 20000
 * column groups the bound's five to seven steps took a tenth of the in-cache
 * path's call. */
__attribute__((target("avx2"))) static void skp_lower_chains_avx2(
        const double* sums, const double* maxima, ptrdiff_t n4, double theta, double inv_n,
        double t[4], double s[4]) {
    const __m256d at = _mm256_set1_pd(theta), inv = _mm256_set1_pd(inv_n);
    const __m256d one = _mm256_set1_pd(1.0);
    __m256d total = _mm256_loadu_pd(t), slope = _mm256_loadu_pd(s);
    ptrdiff_t g;
    for (g = 0; g < n4; g += 4) {
        const __m256d sum = _mm256_loadu_pd(sums + g);
        const __m256d by_max = _mm256_sub_pd(_mm256_loadu_pd(maxima + g), at);
        const __m256d by_sum = _mm256_mul_pd(_mm256_sub_pd(sum, at), inv);
        const __m256d alive = _mm256_cmp_pd(sum, at, _CMP_GT_OQ);
        const __m256d steep = _mm256_cmp_pd(by_max, by_sum, _CMP_GT_OQ);
        total = _mm256_add_pd(total, _mm256_and_pd(alive, _mm256_blendv_pd(by_sum, by_max,
                                                                           steep)));
        slope = _mm256_add_pd(slope, _mm256_and_pd(alive, _mm256_blendv_pd(inv, one, steep)));
    }
    _mm256_storeu_pd(t, total);
    _mm256_storeu_pd(s, slope);
}
#else
#define SKP_BOUND_HAVE_AVX2 0
#endif

/* Whether skp_lower_envelope runs the AVX2 loop (skp_bound_set_simd). */
static int skp_bound_simd = 0;

/* Testing hook and set-up: the AVX2 loop where asked and the CPU has it;
 * whether it now runs. */
static inline int skp_bound_set_simd(int on) {
#if SKP_BOUND_HAVE_AVX2
    __builtin_cpu_init();
    skp_bound_simd = on && SKP_CPU_HAS("avx2");
#else
    (void) on;
#endif
    return skp_bound_simd;
}

static inline void skp_lower_envelope(const double* sums, const double* maxima, ptrdiff_t n,
                                      double theta, double inv_n, double* total,
                                      double* slope) {
    double t[4] = {0.0, 0.0, 0.0, 0.0}, s[4] = {0.0, 0.0, 0.0, 0.0};
    ptrdiff_t g, n4 = n - n % 4;
#if SKP_BOUND_HAVE_AVX2
    if (skp_bound_simd)
        skp_lower_chains_avx2(sums, maxima, n4, theta, inv_n, t, s);
    else
#endif
        skp_lower_chains_plain(sums, maxima, n4, theta, inv_n, t, s);
    for (g = n4; g < n; g++)
        skp_bound_term(sums[g], maxima[g], theta, inv_n, &t[0], &s[0]);
    *total = (t[0] + t[1]) + (t[2] + t[3]);
    *slope = (s[0] + s[1]) + (s[2] + s[3]);
}

#endif  /* SKPROJ_L1INF_BOUND_H */
