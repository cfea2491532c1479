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
 * (c0 + c1) + (c2 + c3): plain C, the same bits on every CPU. */
#ifndef SKPROJ_L1INF_BOUND_H
#define SKPROJ_L1INF_BOUND_H

#include <stddef.h>
#include <stdint.h>
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

static inline void skp_lower_envelope(const double* sums, const double* maxima, ptrdiff_t n,
                                      double theta, double inv_n, double* total,
                                      double* slope) {
    double t[4] = {0.0, 0.0, 0.0, 0.0}, s[4] = {0.0, 0.0, 0.0, 0.0};
    ptrdiff_t g, n4 = n - n % 4;
    int k;
    for (g = 0; g < n4; g += 4)
        for (k = 0; k < 4; k++)
            skp_bound_term(sums[g + k], maxima[g + k], theta, inv_n, &t[k], &s[k]);
    for (g = n4; g < n; g++)
        skp_bound_term(sums[g], maxima[g], theta, inv_n, &t[0], &s[0]);
    *total = (t[0] + t[1]) + (t[2] + t[3]);
    *slope = (s[0] + s[1]) + (s[2] + s[3]);
}

#endif  /* SKPROJ_L1INF_BOUND_H */
