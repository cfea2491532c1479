# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
r"""The exact l1,inf kernel's work on gathered data (see ``_l1inf.pyx``).

Nothing here reads the matrix: the O(G) bounds on theta^* from the group
norms (step 2 of ``_l1inf.pyx``), the lists of gathered entries (bucketed by
group), the envelopes of the mu_g from bracketing histograms (step 3b), and
the Newton rounds on the lists with the sort-based finish (step 4).
"""

from libc.math cimport fabs, sqrt, INFINITY
from libc.stdint cimport int32_t
from libc.stdlib cimport qsort
# Work memory kept for the next call (no page faults on it; ``_scratch_cache``).
from skproj.projections._scratch_cache cimport scratch_free as free, scratch_malloc as malloc

cdef extern from "_l1inf_split.h" nogil:
    int skp_split_simd
    int skp_split_set_simd(int level)
    Py_ssize_t skp_split(const double* src, Py_ssize_t n, double mu, double lower,
                         double* below, Py_ssize_t* n_below, double* above, double* total,
                         double* smallest, double* largest)

cdef extern from "_l1inf_bound.h" nogil:
    void skp_lower_envelope(const double* sums, const double* maxima, Py_ssize_t n,
                            double theta, double inv_n, double* total, double* slope)
    int skp_bound_simd
    int skp_bound_set_simd(int on)

cdef enum:
    # Newton steps for the O(G) bounds (each one is a valid bound on its own).
    _MAX_BOUND_STEPS = 40
    # The per-group arrays of GroupLists in its slab (``alloc_lists``).
    _LIST_ARRAYS = 15

# Newton rounds before the sort-based finish takes over (``set_max_rounds``).
cdef int _max_rounds = 60
# Relative tolerance of the final consistency check.
cdef double _CHECK_TOL = 1e-13
# Relative width at which the envelope roots stop: any iterate is a valid
# bound, and a tighter one hardly narrows the bands (measured: at 1e-4 rather
# than 1e-9, 4-5 fewer evaluations of all the envelopes, the same gathered
# share; on 10**5 groups of 100 each evaluation costs ~8 ms).
cdef double _ROOT_TOL = 1e-4
# The root search on many groups starts on every _SAMPLE_STRIDE-th envelope
# (when that makes at least _SAMPLE_MIN_GROUPS of them); the whole sums are
# then evaluated on either side of its roots, _SAMPLE_MARGIN standard errors
# of the estimate away.  A bracket is settled once narrower than _GAP_SHARE of
# the gap between the roots (``_settling_width``).
cdef Py_ssize_t _SAMPLE_STRIDE = 16
cdef Py_ssize_t _SAMPLE_MIN_GROUPS = 256
cdef double _SAMPLE_MARGIN = 3.0
cdef double _GAP_SHARE = 1.0 / 16


# Michelot's splits of the lists by the AVX-512 loop where the CPU has it,
# else by the AVX2 one (``set_split_simd``).
skp_split_set_simd(2)


cdef void set_split_simd(int level) noexcept nogil:
    """Testing hook: the splits by the AVX-512 loop (``level`` 2), the AVX2 one
    (1) or plain C (0), or the best below ``level`` that the CPU has."""
    skp_split_set_simd(level)


# The lower envelope of step 2 by the AVX2 loop where the CPU has it (``set_bound_simd``).
skp_bound_set_simd(True)


cdef void set_bound_simd(bint avx2) noexcept nogil:
    """Testing hook: step 2's lower envelope by the AVX2 loop (where the CPU has it) or plain C."""
    skp_bound_set_simd(avx2)


def _lower_envelope(sums, maxima, double theta, double inv_n, bint avx2):
    """Testing hook: ``skp_lower_envelope`` (total, slope) by the AVX2 loop or plain C.

    ValueError where the CPU has no AVX2.
    """
    import numpy as np
    cdef double[::1] s = np.ascontiguousarray(sums, dtype=np.float64)
    cdef double[::1] m = np.ascontiguousarray(maxima, dtype=np.float64)
    cdef double total = 0.0, slope = 0.0
    cdef int saved = skp_bound_simd
    if not skp_bound_set_simd(avx2) and avx2:
        skp_bound_set_simd(saved)
        raise ValueError("the AVX2 lower envelope needs a CPU with AVX2")
    skp_lower_envelope(&s[0] if s.shape[0] else NULL, &m[0] if m.shape[0] else NULL,
                       s.shape[0], theta, inv_n, &total, &slope)
    skp_bound_set_simd(saved)
    return total, slope


def _split(values, double mu, double lower, int simd):
    """Testing hook: one ``skp_split`` of a copy of ``values``, by the AVX-512
    loop (``simd`` 2), the AVX2 one (1) or plain C (0).

    Returns the entries in (lower, mu] and those above mu (each in order, as
    arrays), the sum and the minimum of those above and the largest entry
    kept (at least 0).  ValueError where the CPU lacks the loop's instructions.
    """
    import numpy as np
    cdef double[::1] src = np.array(values, dtype=np.float64)
    cdef double[::1] above = np.empty(max(src.shape[0], 1))
    cdef Py_ssize_t kept = 0, n_above
    cdef double total = 0.0, smallest = 0.0, largest = 0.0
    cdef int saved = skp_split_simd
    if skp_split_set_simd(simd) != simd:
        skp_split_set_simd(saved)
        raise ValueError(f"the CPU lacks the instructions of the split's loop {simd}")
    n_above = skp_split(&src[0] if src.shape[0] else NULL, src.shape[0], mu, lower,
                        &src[0] if src.shape[0] else NULL, &kept, &above[0], &total,
                        &smallest, &largest)
    skp_split_set_simd(saved)
    return (np.asarray(src[:kept]), np.asarray(above[:n_above]), total, smallest, largest)


cdef void set_max_rounds(int max_rounds) noexcept nogil:
    """Testing hook: cap the Newton rounds (0 sends every case to the sorted finish)."""
    global _max_rounds
    _max_rounds = max_rounds


# ------------------------------------------------------------ the fits of the levels

cdef bint solve_linear(double* a, Py_ssize_t k) noexcept nogil:
    """Solve the k x k system whose augmented matrix is ``a`` (k rows of k + 1), in place.

    Gaussian elimination with partial pivoting; the solution in the last
    column.  False when a pivot is zero or the solution is not finite.
    """
    cdef Py_ssize_t i, j, r, width = k + 1
    cdef double factor
    for r in range(k):
        i = r
        for j in range(r + 1, k):
            if fabs(a[j * width + r]) > fabs(a[i * width + r]):
                i = j
        if a[i * width + r] == 0.0:
            return False
        for j in range(width):
            factor = a[r * width + j]
            a[r * width + j] = a[i * width + j]
            a[i * width + j] = factor
        for i in range(r + 1, k):
            factor = a[i * width + r] / a[r * width + r]
            for j in range(r, width):
                a[i * width + j] -= factor * a[r * width + j]
    for r in range(k - 1, -1, -1):
        factor = a[r * width + k]
        for j in range(r + 1, k):
            factor -= a[r * width + j] * a[j * width + k]
        a[r * width + k] = factor / a[r * width + r]
        if not a[r * width + k] - a[r * width + k] == 0.0:
            return False
    return True


cdef void root_mean_squares(GroupLists* w) noexcept nogil:
    """Turn step 1's sums of squares into root mean squares, in place (``rms``)."""
    cdef Py_ssize_t g
    cdef double inv_n = 1.0 / w.group_size
    for g in range(w.n_groups):
        w.rms[g] = sqrt(w.rms[g] * inv_n)


# ------------------------------------------------------------ memory

cdef bint alloc_lists(GroupLists* w, Py_ssize_t n_groups, Py_ssize_t group_size) noexcept nogil:
    """Allocate the per-group arrays (empty lists, no live group); False if out of memory.

    One block (``slab``) holds them all, each array 8-byte slots: a
    malloc and a free an array cost about a microsecond a call, a tenth of
    the projection of a 10 x 784 float32 weight (issue 14).  ``free_lists``
    releases it, also after a failure.
    """
    cdef Py_ssize_t g = n_groups if n_groups > 0 else 1
    cdef Py_ssize_t scratch = group_size if group_size > 0 else 1
    cdef double* slab = <double*> malloc((_LIST_ARRAYS * g + scratch) * sizeof(double))
    w.n_groups = n_groups
    w.group_size = group_size
    w.n_active = 0
    w.values = NULL
    w.n_values = 0
    w.capacity = 0
    w.has_rms = False
    w.slab = slab
    if slab == NULL:
        return False
    w.sums = slab
    w.maxima = slab + g
    w.rms = slab + 2 * g
    w.active = <Py_ssize_t*> (slab + 3 * g)
    w.start = <Py_ssize_t*> (slab + 4 * g)
    w.length = <Py_ssize_t*> (slab + 5 * g)
    w.list_max = slab + 6 * g
    w.above_sum = slab + 7 * g
    w.above_count = <Py_ssize_t*> (slab + 8 * g)
    w.level = slab + 9 * g
    w.lower = slab + 10 * g
    w.guess = slab + 11 * g
    w.inv_count = slab + 12 * g
    w.rate = slab + 13 * g
    w.cursor = <Py_ssize_t*> (slab + 14 * g)
    w.scratch = slab + _LIST_ARRAYS * g
    return True


cdef void free_lists(GroupLists* w) noexcept nogil:
    free(w.slab)
    free(w.values)


cdef bint reserve(GroupLists* w, Py_ssize_t needed, Py_ssize_t used) noexcept nogil:
    """Grow ``values`` to hold ``needed`` entries (doubling), the first ``used`` kept;
    False if out of memory."""
    return grow(<void**> &w.values, &w.capacity, needed, sizeof(double), used)


cdef bint append_pairs(GroupLists* w, const double* values, const int32_t* groups,
                       Py_ssize_t n_pairs, const Py_ssize_t* subset, Py_ssize_t n_subset,
                       Py_ssize_t* cursor) noexcept nogil:
    """Append gathered ``(values[i], groups[i])`` pairs to the lists, by group.

    A stable counting sort: the list of each group g of ``subset`` becomes
    ``values[start[g]:start[g] + length[g]]``, after the lists already there.
    ``cursor`` is scratch of one slot per group.  False if out of memory.
    """
    cdef Py_ssize_t bounds[2]
    cdef PairSegments source
    bounds[0], bounds[1] = 0, n_pairs
    source.values, source.groups, source.starts = values, groups, bounds
    source.stride, source.n_segments = 1, 1
    return append_sources(w, &source, 1, subset, n_subset, cursor)


cdef bint append_sources(GroupLists* w, const PairSegments* sources, Py_ssize_t n_sources,
                         const Py_ssize_t* subset, Py_ssize_t n_subset,
                         Py_ssize_t* cursor) noexcept nogil:
    """``append_pairs`` on the pairs of ``n_sources`` sources, each of
    segments (``PairSegments``): each group's pairs keep their order,
    segment after segment, source after source (the row blocks of the band
    gather, each panel's pairs a segment of a block,
    ``_l1inf_dense._range_row_blocks``; the blocks of rows of a gather in
    halves, each in buffers of its own, ``_l1inf._gather_column_chunks``)."""
    cdef Py_ssize_t i, s, k, idx, g, end, total = w.n_values, n_pairs = 0, stride
    cdef const double* values
    cdef const int32_t* groups
    cdef const Py_ssize_t* starts
    for k in range(n_sources):
        starts, stride = sources[k].starts, sources[k].stride
        for s in range(sources[k].n_segments):
            n_pairs += starts[s * stride + 1] - starts[s * stride]
    if not reserve(w, w.n_values + n_pairs, w.n_values):
        return False
    for idx in range(n_subset):
        w.length[subset[idx]] = 0
    for k in range(n_sources):
        groups, starts, stride = sources[k].groups, sources[k].starts, sources[k].stride
        for s in range(sources[k].n_segments):
            end = starts[s * stride + 1]
            for i in range(starts[s * stride], end):
                w.length[groups[i]] += 1
    for idx in range(n_subset):
        g = subset[idx]
        w.start[g] = total
        total += w.length[g]
        cursor[g] = w.start[g]
    for k in range(n_sources):
        values, groups = sources[k].values, sources[k].groups
        starts, stride = sources[k].starts, sources[k].stride
        for s in range(sources[k].n_segments):
            end = starts[s * stride + 1]
            for i in range(starts[s * stride], end):
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
    cdef Py_ssize_t it
    cdef double theta = 0.0, total, slope
    cdef double inv_n = 1.0 / w.group_size
    for it in range(_MAX_BOUND_STEPS):
        skp_lower_envelope(w.sums, w.maxima, w.n_groups, theta, inv_n, &total, &slope)
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

cdef void start_roots(RootStart* start, double lo, double hi) noexcept nogil:
    """Empty sums at the ends lo <= theta^* <= hi of the first bracket."""
    cdef Py_ssize_t p
    start.points[0] = lo
    start.points[1] = hi
    for p in range(2):
        start.lows[p] = 0.0
        start.highs[p] = 0.0
        start.low_slopes[p] = 0.0
        start.high_slopes[p] = 0.0


cdef void fill_envelope(Envelope* e, double lo, double hi, double total, double top,
                        double inv_size, RootStart* start) noexcept nogil:
    """Turn the histogram of [lo, hi] that ``e`` holds into its envelope, in place.

    The reciprocals of the counts are taken here, once (a division costs more
    than the rest of an evaluation).  The envelope is then added to the sums
    at the ends of the first bracket: called right after the histogram, it
    is in cache, and the root search starts without a sweep over the
    envelopes.  ``inv_size`` is 1 / n, n the group length.
    """
    cdef Py_ssize_t k
    cdef double count, h
    e.low = lo
    e.width = (hi - lo) / BINS
    e.total = total
    e.top = top
    # The entries >= edge k are those of slots k+1 .. BINS+1: suffix sums
    # from the top, slot k + 1 moved to edge k, ...
    for k in range(BINS, -1, -1):
        e.inv_count[k] = e.inv_count[k + 1] + (e.inv_count[k] if k > 0 else 0.0)
        e.h[k] = e.h[k + 1] + (e.h[k] if k > 0 else 0.0)
    # ... then shifted: slot k held the entries of edge k - 1 (a loop of
    # independent divisions, which the compiler pairs).
    for k in range(BINS + 1):
        count = e.inv_count[k + 1]
        h = e.h[k + 1] - _edge(e, k) * count
        e.inv_count[k] = 1.0 / count if count > 0 else 0.0
        e.h[k] = h if h > 0.0 else 0.0
    _add_envelope(e, inv_size, start.points, 2, start.lows, start.highs, start.low_slopes,
                  start.high_slopes)


cdef inline double _edge(const Envelope* e, Py_ssize_t k) noexcept nogil:
    """t_k, the k-th bin edge of the envelope's range."""
    return e.low + k * e.width


cdef void envelope_above(const Envelope* e, Py_ssize_t k, Py_ssize_t* count,
                         double* total) noexcept nogil:
    """The count and the sum of the entries >= t_k.

    The count is exact (from its reciprocal: counts stay far below 2**50);
    the sum h_k + t_k count is exact to rounding.
    """
    count[0] = <Py_ssize_t> (1.0 / e.inv_count[k] + 0.5) if e.inv_count[k] > 0 else 0
    total[0] = e.h[k] + _edge(e, k) * count[0]


cdef void envelope_bounds(const Envelope* e, double inv_size, double theta, double* low,
                          double* high) noexcept nogil:
    """mu_g(theta) in [low, high], from chords (above) and tangents (below).

    ``inv_size`` is 1 / n, n the group length.
    """
    cdef double low_slope, high_slope
    _envelope_pieces(e, inv_size, theta, low, high, &low_slope, &high_slope)


cdef inline void _raise_to(double* low, double* low_slope, double value,
                           double slope) noexcept nogil:
    """low = max(low, value), with the slope of the larger one.

    Ternaries the compiler turns into selects: which one wins is
    unpredictable from group to group.
    """
    cdef bint wins = value > low[0]
    low_slope[0] = slope if wins else low_slope[0]
    low[0] = value if wins else low[0]


cdef inline void _envelope_pieces(const Envelope* e, double inv_size, double theta,
                                  double* low, double* high, double* low_slope,
                                  double* high_slope) noexcept nogil:
    """``envelope_bounds``, and the slopes of both bounds at theta (d/dtheta)."""
    cdef Py_ssize_t k = 0
    cdef double t0, chord
    if theta >= e.total:
        low[0] = 0.0
        high[0] = 0.0
        low_slope[0] = 0.0
        high_slope[0] = 0.0
        return
    if theta > e.h[0]:
        # Below the band: between (S, 0) and (h_0, L) in the (theta, mu) plane.
        if e.total > e.h[0]:
            chord = e.low / (e.total - e.h[0])
            high_slope[0] = -chord
            high[0] = chord * (e.total - theta)
        else:
            high_slope[0] = 0.0
            high[0] = e.low
        low[0] = 0.0
        low_slope[0] = 0.0
        if e.inv_count[0] > 0:
            _raise_to(low, low_slope, e.low - (theta - e.h[0]) * e.inv_count[0],
                      -e.inv_count[0])
        _raise_to(low, low_slope, (e.total - theta) * inv_size, -inv_size)
        return
    if theta < e.h[BINS]:
        # Above the band: between (h_K, U) and (0, M).
        t0 = _edge(e, BINS)
        chord = (e.top - t0) / e.h[BINS]
        high_slope[0] = -chord
        high[0] = t0 + chord * (e.h[BINS] - theta)
        low[0] = t0
        low_slope[0] = 0.0
        _raise_to(low, low_slope, e.top - theta, -1.0)
        return
    # h[k] >= theta >= h[k + 1] (k + 1 = BINS when none is below): a
    # branch-free binary search (the bin is unpredictable from group to group).
    k = k + 8 if e.h[k + 8] >= theta else k
    k = k + 4 if e.h[k + 4] >= theta else k
    k = k + 2 if e.h[k + 2] >= theta else k
    k = k + 1 if e.h[k + 1] >= theta else k
    t0 = _edge(e, k)
    if e.h[k] > e.h[k + 1]:
        chord = e.width / (e.h[k] - e.h[k + 1])
        high_slope[0] = -chord
        high[0] = t0 + chord * (e.h[k] - theta)
    else:
        high_slope[0] = 0.0
        high[0] = t0 + e.width
    low[0] = t0
    low_slope[0] = 0.0
    if e.inv_count[k + 1] > 0:
        _raise_to(low, low_slope,
                  t0 + e.width - (theta - e.h[k + 1]) * e.inv_count[k + 1],
                  -e.inv_count[k + 1])


cdef void _envelope_sums(const Envelope* envelopes, Py_ssize_t n, Py_ssize_t stride,
                         double inv_size, const double* thetas, Py_ssize_t n_points,
                         double* lows, double* highs, double* low_slopes,
                         double* high_slopes) noexcept nogil:
    """Sums of the lower and upper bounds of the mu_g, and their slopes, at each theta.

    One sweep over the envelopes for all the points: with many groups the
    envelopes do not fit in cache, and reading them is most of the cost.
    With ``stride`` > 1, the sums over every stride-th envelope only, scaled
    by n / (their number): estimates for the sampled search.
    """
    cdef Py_ssize_t k, p
    cdef double scale
    for p in range(n_points):
        lows[p] = 0.0
        highs[p] = 0.0
        low_slopes[p] = 0.0
        high_slopes[p] = 0.0
    k = 0
    while k < n:
        _add_envelope(&envelopes[k], inv_size, thetas, n_points, lows, highs, low_slopes,
                      high_slopes)
        k += stride
    if stride > 1:
        scale = n / <double> ((n + stride - 1) // stride)
        for p in range(n_points):
            lows[p] *= scale
            highs[p] *= scale
            low_slopes[p] *= scale
            high_slopes[p] *= scale


cdef inline void _add_envelope(const Envelope* e, double inv_size, const double* thetas,
                               Py_ssize_t n_points, double* lows, double* highs,
                               double* low_slopes, double* high_slopes) noexcept nogil:
    """Add one envelope's bounds of mu_g and their slopes at each theta to the sums."""
    cdef Py_ssize_t p
    cdef double low, high, low_slope, high_slope
    for p in range(n_points):
        _envelope_pieces(e, inv_size, thetas[p], &low, &high, &low_slope, &high_slope)
        lows[p] += low
        highs[p] += high
        low_slopes[p] += low_slope
        high_slopes[p] += high_slope


cdef struct _Bracket:
    # A root search on one envelope sum f (minus eta): f(lo) >= 0 >= f(hi).
    double lo
    double hi
    double f_lo
    double f_hi
    double slope_lo


cdef inline bint _settled(const _Bracket* b, double width) noexcept nogil:
    """Is the bracket narrower than ``width`` (``_settling_width``), or _ROOT_TOL relative?"""
    return (b.hi - b.lo <= width or b.hi - b.lo <= _ROOT_TOL * (fabs(b.hi) + fabs(b.lo))
            or b.f_lo == 0.0 or b.f_hi == 0.0)


cdef inline double _settling_width(const _Bracket* lower, const _Bracket* upper) noexcept nogil:
    """A share of the gap between the two roots (at least upper.lo - lower.hi).

    The upper envelope lies above the lower one, so its root lies above: the
    bands come from the whole interval between the roots, and narrowing a
    bracket much below that gap hardly narrows them.
    """
    cdef double gap = upper.lo - lower.hi
    return _GAP_SHARE * gap if gap > 0.0 else 0.0


cdef inline void _narrow(_Bracket* b, double theta, double f, double slope) noexcept nogil:
    """Classify an evaluated point by its value: the bracket stays valid."""
    if b.lo < theta < b.hi:
        if f >= 0.0:
            b.lo = theta
            b.f_lo = f
            b.slope_lo = slope
        else:
            b.hi = theta
            b.f_hi = f


cdef inline Py_ssize_t _candidates(const _Bracket* b, double width,
                                   double* points) noexcept nogil:
    """The Newton step from lo and the secant of the bracket, when inside it.

    The envelope sums are convex (tangents, chords of the convex mu_g): the
    Newton step stays left of the root and the secant lands right of it.
    """
    cdef Py_ssize_t n_points = 0
    cdef double middle
    if _settled(b, width):
        return 0
    if b.slope_lo < 0.0:
        middle = b.lo - b.f_lo / b.slope_lo
        if b.lo < middle < b.hi:
            points[n_points] = middle
            n_points += 1
    middle = ((b.lo * b.f_hi - b.hi * b.f_lo) / (b.f_hi - b.f_lo) if b.f_lo != b.f_hi
              else 0.5 * (b.lo + b.hi))
    if not (b.lo < middle < b.hi):
        middle = 0.5 * (b.lo + b.hi)
    points[n_points] = middle
    return n_points + 1


cdef void envelope_roots(const Envelope* envelopes, Py_ssize_t n, double inv_size,
                         double eta, const RootStart* start, double* theta_low,
                         double* theta_high) noexcept nogil:
    """Bracket theta^* by the roots of both envelope sums, within the first bracket.

    ``start`` holds the sums at its ends lo and hi (``fill_envelope``).

    ``theta_low``: a theta with lower-envelope sum >= eta (theta^* lies
    above); ``theta_high``: one with upper-envelope sum <= eta.  Both roots
    are searched together: every sweep over the envelopes evaluates both
    sums at the Newton and secant points of both brackets (up to four), and
    each point narrows both brackets.  Every point is classified by its
    evaluated sum, so the brackets stay valid even where rounding breaks
    convexity.  An unbracketed root keeps its old bound.
    """
    cdef _Bracket lower, upper
    cdef double points[4]
    cdef double lows[4]
    cdef double highs[4]
    cdef double low_slopes[4]
    cdef double high_slopes[4]
    cdef Py_ssize_t p, n_points
    cdef double lo = start.points[0], hi = start.points[1], width
    lower.lo = lo
    lower.hi = hi
    lower.f_lo = start.lows[0] - eta
    lower.f_hi = start.lows[1] - eta
    lower.slope_lo = start.low_slopes[0]
    upper.lo = lo
    upper.hi = hi
    upper.f_lo = start.highs[0] - eta
    upper.f_hi = start.highs[1] - eta
    upper.slope_lo = start.high_slopes[0]
    # Not bracketed: make the search stop where it is.
    if lower.f_lo < 0.0 or lower.f_hi > 0.0:
        lower.f_lo = 0.0
    if upper.f_lo < 0.0 or upper.f_hi > 0.0:
        upper.f_hi = 0.0
    width = _settling_width(&lower, &upper)
    if (n >= _SAMPLE_MIN_GROUPS * _SAMPLE_STRIDE
            and not (_settled(&lower, width) and _settled(&upper, width))):
        # Both roots estimated on a sample of the envelopes first, then the
        # whole sums evaluated on either side of each estimate: most of the
        # search runs on the sample (every point is still classified by the
        # whole sums, so the brackets stay valid).
        n_points = _sampled_points(envelopes, n, inv_size, eta, &lower, &upper, points)
        _envelope_sums(envelopes, n, 1, inv_size, points, n_points, lows, highs, low_slopes,
                       high_slopes)
        for p in range(n_points):
            _narrow(&lower, points[p], lows[p] - eta, low_slopes[p])
            _narrow(&upper, points[p], highs[p] - eta, high_slopes[p])
    _search(envelopes, n, 1, inv_size, eta, &lower, &upper)
    theta_low[0] = lower.lo
    theta_high[0] = upper.hi


cdef void _search(const Envelope* envelopes, Py_ssize_t n, Py_ssize_t stride,
                  double inv_size, double eta, _Bracket* lower,
                  _Bracket* upper) noexcept nogil:
    """Narrow both brackets until settled: Newton and secant points, one sweep each round."""
    cdef double points[4]
    cdef double lows[4]
    cdef double highs[4]
    cdef double low_slopes[4]
    cdef double high_slopes[4]
    cdef Py_ssize_t it, p, n_points
    cdef double width
    for it in range(60):
        width = _settling_width(lower, upper)
        n_points = _candidates(lower, width, points)
        n_points += _candidates(upper, width, points + n_points)
        if n_points == 0:
            break
        _envelope_sums(envelopes, n, stride, inv_size, points, n_points, lows, highs,
                       low_slopes, high_slopes)
        for p in range(n_points):
            _narrow(lower, points[p], lows[p] - eta, low_slopes[p])
            _narrow(upper, points[p], highs[p] - eta, high_slopes[p])


cdef Py_ssize_t _sampled_points(const Envelope* envelopes, Py_ssize_t n, double inv_size,
                                double eta, const _Bracket* lower, const _Bracket* upper,
                                double* points) noexcept nogil:
    """Points on either side of both roots, as estimated on every _SAMPLE_STRIDE-th envelope.

    The sampled search starts from the whole brackets; a root it does not
    bracket gives no points.  The margins are _SAMPLE_MARGIN standard errors
    of the estimated roots (``_sample_errors``).
    """
    cdef _Bracket sample_lower = lower[0], sample_upper = upper[0]
    cdef double ends[2]
    cdef double lows[2]
    cdef double highs[2]
    cdef double low_slopes[2]
    cdef double high_slopes[2]
    cdef Py_ssize_t n_points = 0
    cdef double margin, width, lower_error, upper_error
    ends[0] = lower.lo if lower.lo < upper.lo else upper.lo
    ends[1] = lower.hi if lower.hi > upper.hi else upper.hi
    _envelope_sums(envelopes, n, _SAMPLE_STRIDE, inv_size, ends, 2, lows, highs, low_slopes,
                   high_slopes)
    _start_bracket(&sample_lower, ends, lows[0] - eta, lows[1] - eta, low_slopes[0])
    _start_bracket(&sample_upper, ends, highs[0] - eta, highs[1] - eta, high_slopes[0])
    _search(envelopes, n, _SAMPLE_STRIDE, inv_size, eta, &sample_lower, &sample_upper)
    ends[0] = sample_lower.lo
    ends[1] = sample_upper.hi
    _sample_errors(envelopes, n, inv_size, ends, &lower_error, &upper_error)
    width = _settling_width(lower, upper)
    if sample_lower.f_lo >= 0.0 > sample_lower.f_hi and not _settled(lower, width):
        # The estimated root moves by the error of the estimated sum / its slope.
        margin = _SAMPLE_MARGIN * lower_error / fabs(sample_lower.slope_lo)
        points[n_points] = sample_lower.lo - margin
        points[n_points + 1] = sample_lower.lo + margin
        n_points += 2
    if sample_upper.f_lo > 0.0 >= sample_upper.f_hi and not _settled(upper, width):
        margin = _SAMPLE_MARGIN * upper_error / fabs(sample_upper.slope_lo)
        points[n_points] = sample_upper.hi - margin
        points[n_points + 1] = sample_upper.hi + margin
        n_points += 2
    return n_points


cdef void _sample_errors(const Envelope* envelopes, Py_ssize_t n, double inv_size,
                         const double* thetas, double* lower_error,
                         double* upper_error) noexcept nogil:
    """Standard errors of the sampled lower sum at thetas[0] and upper sum at thetas[1].

    n * sqrt(var / n_sample) of the sampled groups' terms (every
    _SAMPLE_STRIDE-th envelope).
    """
    cdef Py_ssize_t k = 0, m = 0
    cdef double low, high, low_slope, high_slope, unused
    cdef double s_low = 0.0, q_low = 0.0, s_high = 0.0, q_high = 0.0, var
    while k < n:
        _envelope_pieces(&envelopes[k], inv_size, thetas[0], &low, &unused, &low_slope,
                         &high_slope)
        _envelope_pieces(&envelopes[k], inv_size, thetas[1], &unused, &high, &low_slope,
                         &high_slope)
        s_low += low
        q_low += low * low
        s_high += high
        q_high += high * high
        m += 1
        k += _SAMPLE_STRIDE
    var = q_low / m - (s_low / m) * (s_low / m)
    lower_error[0] = n * sqrt((var if var > 0.0 else 0.0) / m)
    var = q_high / m - (s_high / m) * (s_high / m)
    upper_error[0] = n * sqrt((var if var > 0.0 else 0.0) / m)


cdef inline void _start_bracket(_Bracket* b, const double* ends, double f_lo, double f_hi,
                                double slope_lo) noexcept nogil:
    """The bracket [ends[0], ends[1]] with its values; settled at once when not a bracket."""
    b.lo = ends[0]
    b.hi = ends[1]
    b.f_lo = f_lo
    b.f_hi = f_hi
    b.slope_lo = slope_lo
    if f_lo < 0.0 or f_hi > 0.0:
        b.f_lo = 0.0
        b.f_hi = 0.0


cdef Py_ssize_t band_violations(GroupLists* w, double theta, const double* band_low,
                                const double* band_high, Py_ssize_t* failed) noexcept nogil:
    """Groups whose level at theta left their band (the band model is exact inside).

    A whole group's band, (-inf, M_g), never fails: its list is exact at any
    level, and a level above M_g only comes from a theta^* of 0 whose
    rounding made it negative (a radius within rounding of the norm), where
    the level clips nothing either way.  (Counted as failed, such groups
    were gathered whole again and again, without end: a randomized run, float64
    values of 1e-45 to 1e-30 at a radius of their norm.)
    """
    cdef Py_ssize_t idx, g, n_failed = 0
    cdef double mu
    for idx in range(w.n_active):
        g = w.active[idx]
        if band_low[g] == -INFINITY and band_high[g] == w.maxima[g]:
            continue
        mu = (w.above_sum[g] - theta) * w.inv_count[g]
        if mu < band_low[g] * (1.0 - 1e-12) or mu > band_high[g] * (1.0 + 1e-12):
            failed[n_failed] = g
            n_failed += 1
    return n_failed



# ------------------------------------------------------------ step 4: Newton rounds

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
    mu_g(theta) from below.  Each pass splits the undecided entries
    (``skp_split``): those at or below mu stay in the list (front of ``v``),
    the others wait in ``scratch``; a pass whose smallest waiting entry lies
    above the new level is the last.  On return the list holds the entries
    in (lower, mu_g(theta)] and the entries above mu_g(theta) have joined the
    clipped set.
    """
    cdef Py_ssize_t n = length[0], kept = 0, waiting
    cdef Py_ssize_t clipped = above_count[0]
    cdef double clipped_sum = above_sum[0], total, smallest, new_mu, largest = 0.0
    if clipped == 0 and mu >= _max(v, n):
        # Nothing known to be clipped and nothing above the start (a start
        # pushed up by rounding): start from below everything instead.
        mu = -INFINITY
    waiting = skp_split(v, n, mu, lower, v, &kept, scratch, &total, &smallest, &largest)
    while True:
        if clipped + waiting == 0:
            new_mu = mu             # nothing above mu: h(mu) = 0 (theta = 0)
            break
        new_mu = (clipped_sum + total - theta) / (clipped + waiting)
        if smallest > new_mu or not new_mu > mu:
            break
        mu = new_mu
        waiting = skp_split(scratch, waiting, mu, -INFINITY, v, &kept, scratch, &total,
                            &smallest, &largest)
    above_sum[0] = clipped_sum + total
    above_count[0] = clipped + waiting
    length[0] = kept
    list_max[0] = largest
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
