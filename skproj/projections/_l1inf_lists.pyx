# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
r"""The exact l1,inf kernel's work on gathered data (see ``_l1inf.pyx``).

Nothing here reads the matrix: the O(G) bounds on theta^* from the group
norms (step 2 of ``_l1inf.pyx``), the lists of gathered entries (bucketed by
group), the envelopes of the mu_g from bracketing histograms (step 3b), and
the Newton rounds on the lists with the sort-based finish (step 4).
"""

from libc.math cimport fabs, INFINITY
from libc.stdint cimport int32_t
from libc.stdlib cimport free, malloc, qsort

cdef enum:
    # Newton steps for the O(G) bounds (each one is a valid bound on its own).
    _MAX_BOUND_STEPS = 40

# Newton rounds before the sort-based finish takes over (``set_max_rounds``).
cdef int _max_rounds = 60
# Relative tolerance of the final consistency check.
cdef double _CHECK_TOL = 1e-13
# Relative width at which the envelope roots stop: any iterate is a valid
# bound, and a tighter one hardly narrows the bands (measured: at 1e-4 rather
# than 1e-9, 4-5 fewer evaluations of all the envelopes, the same gathered
# share; on 10**5 groups of 100 each evaluation costs ~8 ms).
cdef double _ROOT_TOL = 1e-4


cdef void set_max_rounds(int max_rounds) noexcept nogil:
    """Testing hook: cap the Newton rounds (0 sends every case to the sorted finish)."""
    global _max_rounds
    _max_rounds = max_rounds


# ------------------------------------------------------------ memory

cdef bint alloc_lists(GroupLists* w, Py_ssize_t n_groups, Py_ssize_t group_size) noexcept nogil:
    """Allocate the per-group arrays (empty lists, no live group); False if out of memory.

    ``free_lists`` releases them, also after a failure.
    """
    cdef Py_ssize_t g = n_groups if n_groups > 0 else 1
    w.n_groups = n_groups
    w.group_size = group_size
    w.n_active = 0
    w.values = NULL
    w.n_values = 0
    w.capacity = 0
    w.sums = <double*> malloc(g * sizeof(double))
    w.maxima = <double*> malloc(g * sizeof(double))
    w.active = <Py_ssize_t*> malloc(g * sizeof(Py_ssize_t))
    w.start = <Py_ssize_t*> malloc(g * sizeof(Py_ssize_t))
    w.length = <Py_ssize_t*> malloc(g * sizeof(Py_ssize_t))
    w.list_max = <double*> malloc(g * sizeof(double))
    w.above_sum = <double*> malloc(g * sizeof(double))
    w.above_count = <Py_ssize_t*> malloc(g * sizeof(Py_ssize_t))
    w.level = <double*> malloc(g * sizeof(double))
    w.lower = <double*> malloc(g * sizeof(double))
    w.guess = <double*> malloc(g * sizeof(double))
    w.inv_count = <double*> malloc(g * sizeof(double))
    w.rate = <double*> malloc(g * sizeof(double))
    w.cursor = <Py_ssize_t*> malloc(g * sizeof(Py_ssize_t))
    w.scratch = <double*> malloc((group_size if group_size > 0 else 1) * sizeof(double))
    return not (w.sums == NULL or w.maxima == NULL or w.active == NULL
                or w.start == NULL or w.length == NULL or w.list_max == NULL
                or w.above_sum == NULL or w.above_count == NULL or w.level == NULL
                or w.lower == NULL or w.guess == NULL or w.inv_count == NULL
                or w.rate == NULL or w.cursor == NULL or w.scratch == NULL)


cdef void free_lists(GroupLists* w) noexcept nogil:
    free(w.sums)
    free(w.maxima)
    free(w.active)
    free(w.values)
    free(w.start)
    free(w.length)
    free(w.list_max)
    free(w.above_sum)
    free(w.above_count)
    free(w.level)
    free(w.lower)
    free(w.guess)
    free(w.inv_count)
    free(w.rate)
    free(w.cursor)
    free(w.scratch)


cdef bint reserve(GroupLists* w, Py_ssize_t needed) noexcept nogil:
    """Grow ``values`` to hold ``needed`` entries (doubling); False if out of memory."""
    return grow(<void**> &w.values, &w.capacity, needed, sizeof(double))


cdef bint append_pairs(GroupLists* w, const double* values, const int32_t* groups,
                       Py_ssize_t n_pairs, const Py_ssize_t* subset, Py_ssize_t n_subset,
                       Py_ssize_t* cursor) noexcept nogil:
    """Append gathered ``(values[i], groups[i])`` pairs to the lists, by group.

    A stable counting sort: the list of each group g of ``subset`` becomes
    ``values[start[g]:start[g] + length[g]]``, after the lists already there.
    ``cursor`` is scratch of one slot per group.  False if out of memory.
    """
    cdef Py_ssize_t i, idx, g, total = w.n_values
    if not reserve(w, w.n_values + n_pairs):
        return False
    for idx in range(n_subset):
        w.length[subset[idx]] = 0
    for i in range(n_pairs):
        w.length[groups[i]] += 1
    for idx in range(n_subset):
        g = subset[idx]
        w.start[g] = total
        total += w.length[g]
        cursor[g] = w.start[g]
    for i in range(n_pairs):
        g = groups[i]
        w.values[cursor[g]] = values[i]
        cursor[g] += 1
    w.n_values = total
    return True


# ------------------------------------------------------------ step 2: O(G) bounds

cdef double initial_lower_bound(GroupLists* w, double eta) noexcept nogil:
    r"""theta_0 <= theta^*: Newton from the left on the lower envelope of F.

    Each group contributes max((S - theta)/n, M - theta, 0) <= mu_g(theta); the
    envelope is convex piecewise linear, so every Newton iterate started at 0
    stays below its root, itself below theta^*.
    """
    cdef Py_ssize_t g, it
    cdef double theta = 0.0, total, slope, by_max, by_sum, term, rate
    cdef double inv_n = 1.0 / w.group_size
    cdef bint alive, steep
    for it in range(_MAX_BOUND_STEPS):
        total = 0.0
        slope = 0.0
        for g in range(w.n_groups):
            # Branch-free: the tests are unpredictable from group to group.
            alive = w.sums[g] > theta
            by_max = w.maxima[g] - theta
            by_sum = (w.sums[g] - theta) * inv_n
            steep = by_max > by_sum
            term = by_max if steep else by_sum
            rate = 1.0 if steep else inv_n
            total += term if alive else 0.0
            slope += rate if alive else 0.0
        if total <= eta * (1.0 + SLACK) or slope == 0.0:
            break
        theta += (total - eta) / slope
    return theta * (1.0 - SLACK)


cdef double chord_upper_bound(GroupLists* w, double eta, double theta_t) noexcept nogil:
    r"""theta^+ >= theta^* from the chords of the mu_g between theta_t and S_g.

    mu_g(theta) <= rate_g (S_g - theta)_+ for theta >= theta_t, with
    rate_g = mu_g(theta_t) / (S_g - theta_t); the root of the sum is found by
    Newton from the left (finite: the only kinks are the S_g).  Returns
    INFINITY when it does not settle.
    """
    cdef Py_ssize_t idx, g, it
    cdef double theta = theta_t, total, slope
    cdef bint alive
    for it in range(_MAX_BOUND_STEPS):
        total = 0.0
        slope = 0.0
        for idx in range(w.n_active):
            g = w.active[idx]
            alive = w.sums[g] > theta
            total += w.rate[g] * (w.sums[g] - theta) if alive else 0.0
            slope += w.rate[g] if alive else 0.0
        if total <= eta * (1.0 + SLACK) or slope == 0.0:
            return theta + SLACK * (fabs(theta) + 1e-300) + 4 * SLACK * (theta - theta_t)
        theta += (total - eta) / slope
    return INFINITY


# ------------------------------------------------------------ step 3b: envelopes

cdef void fill_envelope(Envelope* e, const double* counts, const double* sums, double lo,
                        double hi, double total, double top, double size) noexcept nogil:
    cdef Py_ssize_t k, b
    cdef double width = (hi - lo) / BINS, count = 0.0, sum_ = 0.0
    e.total = total
    e.top = top
    e.size = size
    # Walk the slots from the top: after slot b, count/sum cover entries >= edge b-1.
    count = counts[BINS + 1]
    sum_ = sums[BINS + 1]
    for k in range(BINS, -1, -1):
        e.t[k] = lo + k * width if k < BINS else hi
        e.c[k] = count
        e.h[k] = sum_ - e.t[k] * count
        if e.h[k] < 0.0:
            e.h[k] = 0.0
        if k > 0:
            count += counts[k]
            sum_ += sums[k]


cdef void envelope_bounds(const Envelope* e, double theta, double* low,
                          double* high) noexcept nogil:
    """mu_g(theta) in [low, high], from chords (above) and tangents (below)."""
    cdef Py_ssize_t a = 0, b = BINS, middle
    cdef double t0, t1, h0, h1, tangent
    if theta >= e.total:
        low[0] = 0.0
        high[0] = 0.0
        return
    if theta > e.h[0]:
        # Below the band: between (S, 0) and (h_0, L) in the (theta, mu) plane.
        high[0] = e.t[0] * (e.total - theta) / (e.total - e.h[0]) if e.total > e.h[0] else e.t[0]
        tangent = e.t[0] - (theta - e.h[0]) / e.c[0] if e.c[0] > 0 else 0.0
        low[0] = tangent if tangent > 0.0 else 0.0
        tangent = (e.total - theta) / e.size
        low[0] = tangent if tangent > low[0] else low[0]
        return
    if theta < e.h[BINS]:
        # Above the band: between (h_K, U) and (0, M).
        high[0] = e.t[BINS] + (e.top - e.t[BINS]) * (e.h[BINS] - theta) / e.h[BINS]
        tangent = e.top - theta
        low[0] = tangent if tangent > e.t[BINS] else e.t[BINS]
        return
    # h[a] >= theta >= h[b]: bisect to adjacent edges.
    while b - a > 1:
        middle = (a + b) // 2
        if e.h[middle] >= theta:
            a = middle
        else:
            b = middle
    t0 = e.t[a]
    t1 = e.t[b]
    h0 = e.h[a]
    h1 = e.h[b]
    high[0] = t0 + (t1 - t0) * (h0 - theta) / (h0 - h1) if h0 > h1 else t1
    tangent = t1 - (theta - h1) / e.c[b] if e.c[b] > 0 else t0
    low[0] = tangent if tangent > t0 else t0


cdef double _envelope_sum(const Envelope* envelopes, Py_ssize_t n, double theta,
                          bint upper) noexcept nogil:
    cdef Py_ssize_t k
    cdef double total = 0.0, low, high
    for k in range(n):
        envelope_bounds(&envelopes[k], theta, &low, &high)
        total += high if upper else low
    return total


cdef double envelope_root(const Envelope* envelopes, Py_ssize_t n, double eta,
                          double lo, double hi, bint upper) noexcept nogil:
    """Root of a decreasing envelope sum, from the side that keeps the bound valid.

    Lower envelope: a theta with sum >= eta (theta^* lies above).  Upper
    envelope: a theta with sum <= eta.  False position with the Illinois
    safeguard, within [lo, hi]; the envelopes are piecewise linear, so it
    settles in a few evaluations.
    """
    cdef Py_ssize_t it
    cdef double f_lo = _envelope_sum(envelopes, n, lo, upper) - eta
    cdef double f_hi = _envelope_sum(envelopes, n, hi, upper) - eta
    cdef double middle, f_middle
    cdef int side = 0
    if f_lo < 0.0 or f_hi > 0.0:
        return hi if upper else lo          # not bracketed: keep the old bound
    for it in range(60):
        if hi - lo <= _ROOT_TOL * (fabs(hi) + fabs(lo)) or f_lo == 0.0 or f_hi == 0.0:
            break
        middle = (lo * f_hi - hi * f_lo) / (f_hi - f_lo) if f_lo != f_hi else 0.5 * (lo + hi)
        if not (lo < middle < hi):
            middle = 0.5 * (lo + hi)
        f_middle = _envelope_sum(envelopes, n, middle, upper) - eta
        if f_middle >= 0.0:
            lo = middle
            f_lo = f_middle
            if side == 1:
                f_hi *= 0.5
            side = 1
        else:
            hi = middle
            f_hi = f_middle
            if side == -1:
                f_lo *= 0.5
            side = -1
    return hi if upper else lo



cdef Py_ssize_t band_violations(GroupLists* w, double theta, const double* band_low,
                                const double* band_high, Py_ssize_t* failed) noexcept nogil:
    """Groups whose level at theta left their band (the band model is exact inside)."""
    cdef Py_ssize_t idx, g, n_failed = 0
    cdef double mu
    for idx in range(w.n_active):
        g = w.active[idx]
        mu = (w.above_sum[g] - theta) * w.inv_count[g]
        if mu < band_low[g] * (1.0 - 1e-12) or mu > band_high[g] * (1.0 + 1e-12):
            failed[n_failed] = g
            n_failed += 1
    return n_failed



# ------------------------------------------------------------ step 4: Newton rounds

cdef inline void _sum_min(const double* v, Py_ssize_t n, double* total,
                          double* smallest) noexcept nogil:
    """Sum and minimum of v[0:n], with independent accumulators."""
    cdef double s0 = 0.0, s1 = 0.0, m0 = INFINITY, m1 = INFINITY, c
    cdef Py_ssize_t i, n2 = n - n % 2
    for i in range(0, n2, 2):
        c = v[i]
        s0 += c
        m0 = c if c < m0 else m0
        c = v[i + 1]
        s1 += c
        m1 = c if c < m1 else m1
    if n2 < n:
        c = v[n2]
        s0 += c
        m0 = c if c < m0 else m0
    total[0] = s0 + s1
    smallest[0] = m1 if m1 < m0 else m0


cdef inline double _max(const double* v, Py_ssize_t n) noexcept nogil:
    cdef double m0 = 0.0, m1 = 0.0, c
    cdef Py_ssize_t i, n2 = n - n % 2
    for i in range(0, n2, 2):
        c = v[i]
        m0 = c if c > m0 else m0
        c = v[i + 1]
        m1 = c if c > m1 else m1
    if n2 < n:
        c = v[n2]
        m0 = c if c > m0 else m0
    return m1 if m1 > m0 else m0


cdef double _group_level(double* v, Py_ssize_t* length, double* above_sum,
                         Py_ssize_t* above_count, double theta, double mu,
                         double lower, double* scratch,
                         double* list_max) noexcept nogil:
    r"""mu_g(theta) for one group, from a lower bound ``mu``; updates its list.

    Michelot's fixed point mu <- (sum_{a > mu} a - theta) / #{a > mu} climbs to
    mu_g(theta) from below.  Each pass splits the undecided entries: those at
    or below mu stay in the list (front of ``v``), the others wait in
    ``scratch``; a pass whose smallest waiting entry lies above the new level
    is the last.  On return the list holds the entries in (lower, mu_g(theta)]
    and the entries above mu_g(theta) have joined the clipped set.  The
    splitting loops carry no floating-point chain (sums and minima are taken
    afterwards on the contiguous waiting entries).
    """
    cdef Py_ssize_t n = length[0], i, kept = 0, waiting = 0
    cdef Py_ssize_t clipped = above_count[0]
    cdef double clipped_sum = above_sum[0], c, total, smallest, new_mu
    cdef bint up
    if clipped == 0 and mu >= _max(v, n):
        # Nothing known to be clipped and nothing above the start (a start
        # pushed up by rounding): start from below everything instead.
        mu = -INFINITY
    for i in range(n):
        c = v[i]
        up = c > mu
        v[kept] = c
        kept += (c > lower) & (not up)
        scratch[waiting] = c
        waiting += up
    _sum_min(scratch, waiting, &total, &smallest)
    while True:
        if clipped + waiting == 0:
            new_mu = mu             # nothing above mu: h(mu) = 0 (theta = 0)
            break
        new_mu = (clipped_sum + total - theta) / (clipped + waiting)
        if smallest > new_mu or not new_mu > mu:
            break
        mu = new_mu
        n = waiting
        waiting = 0
        for i in range(n):
            c = scratch[i]
            up = c > mu
            v[kept] = c
            kept += not up
            scratch[waiting] = c
            waiting += up
        _sum_min(scratch, waiting, &total, &smallest)
    above_sum[0] = clipped_sum + total
    above_count[0] = clipped + waiting
    length[0] = kept
    list_max[0] = _max(v, kept)
    return new_mu


cdef double _newton_step(GroupLists* w, double eta) noexcept nogil:
    """theta(V) for the current clipped sets of the live groups."""
    cdef Py_ssize_t idx, g
    cdef double numerator = 0.0, denominator = 0.0
    for idx in range(w.n_active):
        g = w.active[idx]
        numerator += w.above_sum[g] * w.inv_count[g]
        denominator += w.inv_count[g]
    return (numerator - eta) / denominator


cdef bint _consistent(GroupLists* w, double theta) noexcept nogil:
    """Does the linear model at ``theta`` satisfy the optimality conditions?"""
    cdef Py_ssize_t idx, g
    cdef double mu
    for idx in range(w.n_active):
        g = w.active[idx]
        mu = (w.above_sum[g] - theta) * w.inv_count[g]
        if mu <= 0.0 or w.list_max[g] > mu * (1.0 + _CHECK_TOL):
            return False
    return True


cdef int _compare_descending(const void* a, const void* b) noexcept nogil:
    cdef double x = (<const double*> a)[0], y = (<const double*> b)[0]
    return (x < y) - (x > y)


cdef double _sorted_finish(GroupLists* w, double eta, double theta) noexcept nogil:
    """Water-filling on sorted lists from a lower bound (Perez et al.).

    Every move (clip the next entry of a group above its level, drop a group
    with S_g <= theta) raises the lower bound theta(V); none is left at the
    optimum.
    """
    cdef Py_ssize_t idx, g, kept, cursor
    cdef double mu
    cdef double* v
    cdef bint changed = True
    for idx in range(w.n_active):
        g = w.active[idx]
        qsort(w.values + w.start[g], w.length[g], sizeof(double), _compare_descending)
        w.cursor[g] = 0
    while changed:
        changed = False
        for idx in range(w.n_active):
            g = w.active[idx]
            w.inv_count[g] = 1.0 / w.above_count[g]
        theta = _newton_step(w, eta)
        kept = 0
        for idx in range(w.n_active):
            g = w.active[idx]
            if w.sums[g] <= theta:
                changed = True
                continue
            w.active[kept] = g
            kept += 1
            v = w.values + w.start[g]
            cursor = w.cursor[g]
            mu = (w.above_sum[g] - theta) / w.above_count[g]
            while cursor < w.length[g] and v[cursor] > mu:
                w.above_sum[g] += v[cursor]
                w.above_count[g] += 1
                cursor += 1
                mu = (w.above_sum[g] - theta) / w.above_count[g]
                changed = True
            w.cursor[g] = cursor
        w.n_active = kept
    # Leave consistent lists: the entries clipped here leave them.
    for idx in range(w.n_active):
        g = w.active[idx]
        cursor = w.cursor[g]
        w.start[g] += cursor
        w.length[g] -= cursor
        w.list_max[g] = w.values[w.start[g]] if w.length[g] > 0 else 0.0
    return theta


cdef double solve(GroupLists* w, double eta, double theta_t, int* rounds) noexcept nogil:
    """Newton rounds from theta_t <= theta^*; returns theta^* (levels in above_*)."""
    cdef Py_ssize_t idx, g, kept, r
    cdef double theta_next, theta_plus, inv, tangent
    for r in range(_max_rounds):
        rounds[0] = r + 1
        kept = 0
        for idx in range(w.n_active):
            g = w.active[idx]
            if w.sums[g] <= theta_t:
                continue        # zero at theta_t <= theta^*, hence at the optimum
            w.active[kept] = g
            kept += 1
            w.level[g] = _group_level(w.values + w.start[g], &w.length[g],
                                      &w.above_sum[g], &w.above_count[g], theta_t,
                                      w.guess[g], w.lower[g], w.scratch,
                                      &w.list_max[g])
            w.inv_count[g] = 1.0 / w.above_count[g]
        w.n_active = kept
        if kept == 0:
            return theta_t
        theta_next = _newton_step(w, eta)
        if _consistent(w, theta_next):
            return theta_next
        if theta_next <= theta_t:
            break
        for idx in range(w.n_active):
            g = w.active[idx]
            w.rate[g] = w.level[g] / (w.sums[g] - theta_t)
        theta_plus = chord_upper_bound(w, eta, theta_t)
        for idx in range(w.n_active):
            g = w.active[idx]
            inv = w.inv_count[g]
            if theta_plus < INFINITY:
                tangent = w.level[g] - (theta_plus - theta_t) * inv
                if tangent > w.lower[g]:
                    w.lower[g] = tangent
            tangent = w.level[g] - (theta_next - theta_t) * inv
            w.guess[g] = tangent if tangent > w.lower[g] else w.lower[g]
        theta_t = theta_next
    rounds[0] = -rounds[0]
    return _sorted_finish(w, eta, theta_t)

