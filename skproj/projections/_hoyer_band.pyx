# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
r"""The group Hoyer kernel's work on what its reads gathered (``_hoyer``).

Everything here works on the per-group ``Summaries`` (tops, histograms,
suffix sums) and the gathered ``Band`` only; nothing reads the matrix.  Steps
2-4 of ``_hoyer``'s algorithm: the suffix sums of the histograms and the
bracket on the bounds of g they give (histogram method), the band's
bookkeeping (its offsets, compaction and refinement), exact g on the band
(one group at a time, or 8 groups a vector with AVX-512F: ``skh_exact_g`` in
``_hoyer_simd.h``), the narrowing of the sampled method, and the root search.
The maths, the two methods and the references are in ``_hoyer``'s docstring;
the structs, constants and per-entry helpers both modules use are declared in
``_hoyer_band.pxd``.
"""

from libc.math cimport INFINITY, nextafter, sqrt
from libc.stdlib cimport qsort
from libc.stdint cimport int64_t
from libc.string cimport memcpy, memset

# Work memory: kept from one call to the next (see _scratch_cache.h).
from skproj.projections._scratch_cache cimport (
    scratch_free as free, scratch_malloc as malloc,
)
from skproj.projections._l1 cimport STATUS_NOMEMORY, STATUS_PROJECTED

# g on the band with AVX-512F (see _hoyer_simd.h).
cdef extern from "_hoyer_simd.h" nogil:
    void skh_g_at_8_points(Py_ssize_t n_groups, const double* ts, const double* top,
                           const double* inv_top, const double* rho_one, const double* above,
                           const double* center, const int64_t* start, const double* keys,
                           const double* vals, double* totals, bint unit_vals)
    double skh_exact_g(Py_ssize_t n_groups, double t, double band_hi, const double* top,
                       const double* inv_top, const double* rho_one, const double* above,
                       const double* center, const int64_t* start, const double* keys,
                       const double* vals, bint unit_vals, double* slope, double* scales)

cdef extern from *:
    """
    /* One group's band entries [begin, end) narrowed (_keep_between): those at  */
    /* or above center added to sums (v, v d, v d^2, d = (key - center) unit),  */
    /* those in (lo, center) moved to total, on; no branch on either test      */
    /* (unpredictable): an entry below center adds v * 0 = +0 and 0, which     */
    /* leave the sums' bits as they are (they are never -0: sums of +0 and     */
    /* positive terms), and every key is stored at total, which only those     */
    /* kept advance.  The new total.                                           */
    /* max(d, 0) as d > 0 ? d : 0.0 gives it (0 for NaN and -0), without the  */
    /* branch gcc makes of that expression (it may not assume no NaN).         */
    #if defined(__SSE2__)
    #include <emmintrin.h>
    static inline double skproj_positive(double d) {
        return _mm_cvtsd_f64(_mm_max_sd(_mm_set_sd(d), _mm_setzero_pd()));
    }
    #else
    static inline double skproj_positive(double d) { return d > 0 ? d : 0.0; }
    #endif
    static Py_ssize_t skproj_keep_between(double* __restrict keys,
            double* __restrict vals, int unit_vals, Py_ssize_t begin, Py_ssize_t end,
            Py_ssize_t total, double lo, double center, double unit,
            double* __restrict sums) {
        double V = sums[0], P = sums[1], R = sums[2];
        for (Py_ssize_t e = begin; e < end; e++) {
            double key = keys[e], v = unit_vals ? 1.0 : vals[e];
            double d = skproj_positive((key - center) * unit);
            V += key >= center ? v : 0.0;
            P += v * d;
            R += v * d * d;
            keys[total] = key;
            if (!unit_vals) vals[total] = v;
            total += (key < center) & (key > lo);
        }
        sums[0] = V;
        sums[1] = P;
        sums[2] = R;
        return total;
    }
    """
    double skproj_positive(double d) noexcept nogil
    Py_ssize_t skproj_keep_between(double* keys, double* vals, bint unit_vals,
                                   Py_ssize_t begin, Py_ssize_t end, Py_ssize_t total,
                                   double lo, double center, double unit,
                                   double* sums) noexcept nogil


# Whether g at N_POINTS points takes vectors (``skh_g_at_8_points``: one
# AVX-512 vector or two AVX2 ones) and g at one point 8 groups a vector
# (``skh_exact_g``, AVX-512F); set by ``_hoyer`` (where the CPU has them;
# ``_hoyer._set_testing`` turns them off).
cdef bint _vector_points = False
cdef bint _vector_g = False


cdef void _set_g_passes(bint vector_points, bint vector_g) noexcept nogil:
    global _vector_points, _vector_g
    _vector_points = vector_points
    _vector_g = vector_g


# Evaluations of g at one point (``_exact_g``) since the last call of
# ``_evaluations``: a diagnostic for tests.
cdef Py_ssize_t _g_evaluations = 0


# g at the points of every level of the last narrowing (``_narrowing_values``):
# a diagnostic for tests.
cdef double _narrowing_totals[MAX_LEVELS * N_POINTS]
cdef Py_ssize_t _narrowing_levels = 0


def _narrowing_values():
    """Testing hook: g at the points of each level of the last narrowing, one
    list of N_POINTS values a level."""
    return [[_narrowing_totals[level * N_POINTS + k] for k in range(N_POINTS)]
            for level in range(_narrowing_levels)]


# Whether the root search takes N_POINTS tops a pass (``_set_root_points``).
cdef bint _root_by_points = True


def _set_root_points(bint on):
    """Testing hook: the root search's search of the tops by passes at
    N_POINTS of them (True, the default) or by bisection only (False)."""
    global _root_by_points
    _root_by_points = on


def _evaluations():
    """Testing hook: the evaluations of g at one point since the last call."""
    global _g_evaluations
    count, _g_evaluations = _g_evaluations, 0
    return count


# ---------------------------------------------------------------- suffix sums

cdef inline double _rho_of(double N, double D2, double fallback) noexcept nogil:
    return N / sqrt(D2) if D2 > 0 else fallback


cdef void _suffix_sums(Summaries* s, Band* band, Py_ssize_t g, double* sums) noexcept nogil:
    """Turn group g's bin sums ``sums`` into suffix sums centred at each bin's
    lower edge, the entries above the range included, and rho at every edge.

    Moving the centre down by a bin width keeps every term positive, so rho at
    the edges is computed without cancellation.
    """
    cdef double* rho = s.rho + g * (N_BINS + 1)
    cdef const double* above = band.above + g * N_SUMS
    cdef double width = s.width[g] * s.inv_top[g]      # in units of the top
    cdef double shift = (band.center[g] - (s.base[g] + N_BINS * s.width[g])) * s.inv_top[g]
    cdef double V = above[SUM_V]
    cdef double P = above[SUM_P] + shift * V
    cdef double R = above[SUM_R] + 2 * shift * above[SUM_P] + shift * shift * V
    cdef Py_ssize_t b
    rho[N_BINS] = _rho_of(P, R, s.rho_one[g])
    for b in range(N_BINS - 1, -1, -1):
        R += 2 * width * P + width * width * V
        P += width * V
        V += sums[b * N_SUMS + SUM_V]
        P += sums[b * N_SUMS + SUM_P]
        R += sums[b * N_SUMS + SUM_R]
        sums[b * N_SUMS + SUM_V] = V
        sums[b * N_SUMS + SUM_P] = P
        sums[b * N_SUMS + SUM_R] = R
        rho[b] = _rho_of(P, R, s.rho_one[g])


# ---------------------------------------------------------------- bracket

cdef inline Py_ssize_t _edge_index(Summaries* s, Py_ssize_t g, double t) noexcept nogil:
    """Index of the lower edge of t's bin in group g (N_BINS once 1-sparse)."""
    if t >= s.top[g] or s.inv_width[g] == 0:
        return N_BINS
    return _bin(t, s.base[g], s.inv_width[g])


cdef void _bounds(Summaries* s, Py_ssize_t n_groups, double t, double* upper,
                  double* lower) noexcept nogil:
    """g(t) lies in [lower, upper]: rho at the edges of t's bin in every group."""
    cdef Py_ssize_t g, b
    cdef double up = 0.0, low = 0.0
    cdef const double* rho
    for g in range(n_groups):
        b = _edge_index(s, g, t)
        if b == N_BINS:
            up += s.rho_one[g]
            low += s.rho_one[g]
            continue
        rho = s.rho + g * (N_BINS + 1)
        up += rho[b]
        low += rho[b + 1]
    upper[0] = up
    lower[0] = low


cdef void _bracket(Summaries* s, Py_ssize_t n_groups, double target,
                   Band* band) noexcept nogil:
    """Narrow (lo, hi] around t* by bisection on the bounds of g.

    While the bounds decide the middle, the bracket halves; once they do not,
    the two ends are narrowed apart, each on its own bound.
    """
    cdef double lo = band.lo, hi = band.hi, middle = 0.0, lo_end, hi_end, upper, lower
    cdef int step
    cdef bint undecided = False
    for step in range(BRACKET_STEPS):
        middle = 0.5 * (lo + hi)
        _bounds(s, n_groups, middle, &upper, &lower)
        if lower > target:
            lo = middle
        elif upper <= target:
            hi = middle
        else:
            undecided = True
            break
    if undecided:
        lo_end = middle
        for step in range(BRACKET_STEPS // 2):
            middle = 0.5 * (lo + lo_end)
            _bounds(s, n_groups, middle, &upper, &lower)
            if lower > target:
                lo = middle
            else:
                lo_end = middle
        hi_end = lo_end
        for step in range(BRACKET_STEPS // 2):
            middle = 0.5 * (hi_end + hi)
            _bounds(s, n_groups, middle, &upper, &lower)
            if upper <= target:
                hi = middle
            else:
                hi_end = middle
    band.lo = lo
    band.hi = hi


# ---------------------------------------------------------------- band


cdef void _narrow_range(Summaries* s, Band* band, Py_ssize_t g, Py_ssize_t first,
                        Py_ssize_t last, const double* sums) noexcept nogil:
    """Make bins [first, last] the group's range; the bins above (their suffix
    sums ``sums``) go to ``above``."""
    cdef double* above = band.above + g * N_SUMS
    cdef double base = s.base[g] + first * s.width[g]
    if first > last:
        s.inv_width[g] = 0.0
        return
    if last + 1 < N_BINS:
        band.center[g] = s.base[g] + (last + 1) * s.width[g]
        above[SUM_V] = sums[(last + 1) * N_SUMS + SUM_V]
        above[SUM_P] = sums[(last + 1) * N_SUMS + SUM_P]
        above[SUM_R] = sums[(last + 1) * N_SUMS + SUM_R]
    _set_range(s, g, base, band.center[g])


cdef void _free_band(Band* band) noexcept nogil:
    free(band.start)
    free(band.keys)
    free(band.vals)
    free(band.above)
    free(band.center)


cdef int _allocate_entries(Summaries* s, Layout* layout, Band* band, double v_min,
                           bint whole_groups) noexcept nogil:
    """Offsets of the band entries, each group with one spare slot (for the
    branch-free gather).  The number of entries of a band is at most its
    weight / min(v) (exact without weights), or the whole group."""
    cdef Py_ssize_t g, first, last, total = 0, count
    cdef const double* sums
    cdef double band_weight
    for g in range(layout.n_groups):
        band.start[g] = total
        if not _band_bins(s, g, band.lo, band.hi, &first, &last):
            total += 1
            continue
        count = layout.size
        if not whole_groups:
            sums = s.sums + g * N_BINS * N_SUMS
            band_weight = sums[first * N_SUMS + SUM_V] - (
                sums[(last + 1) * N_SUMS + SUM_V] if last + 1 < N_BINS
                else band.above[g * N_SUMS + SUM_V])
            count = min(<Py_ssize_t> (band_weight / v_min + 0.5), layout.size)
        total += count + 1
    band.start[layout.n_groups] = total
    free(band.keys)
    free(band.vals)
    band.keys = <double*> malloc(max(total, 1) * sizeof(double))
    band.vals = <double*> malloc(max(total, 1) * sizeof(double))
    if band.keys == NULL or band.vals == NULL:
        return STATUS_NOMEMORY
    return STATUS_PROJECTED


cdef void _compact(Band* band, Py_ssize_t n_groups, const Py_ssize_t* ends) noexcept nogil:
    """Move group g's entries [start[g], ends[g]) down to follow group g - 1's."""
    cdef Py_ssize_t g, e, total = 0, begin
    for g in range(n_groups):
        begin = band.start[g]
        band.start[g] = total
        for e in range(begin, ends[g]):
            band.keys[total] = band.keys[e]
            band.vals[total] = band.vals[e]
            total += 1
    band.start[n_groups] = total


cdef void _group_rho(Summaries* s, Band* band, Py_ssize_t g, double* sums) noexcept nogil:
    """rho at the edges of group g's bins, from its band entries binned in
    ``sums`` (N_BINS x N_SUMS of scratch; see _suffix_sums)."""
    cdef Py_ssize_t e
    memset(sums, 0, N_BINS * N_SUMS * sizeof(double))
    for e in range(band.start[g], band.start[g + 1]):
        _add_to_bin(band.keys[e], band.vals[e], s.base[g], s.inv_width[g], s.width[g],
                    s.inv_top[g], sums)
    _suffix_sums(s, band, g, sums)


cdef void _keep_bins(Summaries* s, Band* band, Py_ssize_t g, Py_ssize_t first,
                     Py_ssize_t last, Py_ssize_t* end) noexcept nogil:
    """Keep group g's band entries in bins [first, last] above band.lo (moved
    down to ``end``, which advances) and make those bins its range; the
    entries of the bins above join ``above``, re-centred at the range's new
    upper end (positive offsets, as _suffix_sums re-centres them)."""
    cdef Py_ssize_t e, b
    cdef double* above = band.above + g * N_SUMS
    cdef double unit = s.inv_top[g], center = 0.0, shift, key, d, v
    cdef double V = 0.0, P = 0.0, R = 0.0     # (last bin kept: nothing above it)
    if last + 1 < N_BINS:
        center = s.base[g] + (last + 1) * s.width[g]
        shift = (band.center[g] - center) * unit
        V = above[SUM_V]
        P = above[SUM_P] + shift * V
        R = above[SUM_R] + 2 * shift * above[SUM_P] + shift * shift * V
    for e in range(band.start[g], band.start[g + 1]):
        key = band.keys[e]
        v = band.vals[e]
        b = _bin(key, s.base[g], s.inv_width[g])
        if b > last:
            d = (key - center) * unit
            V += v
            P += v * d
            R += v * d * d
        elif b >= first and key > band.lo:
            band.keys[end[0]] = key
            band.vals[end[0]] = v
            end[0] += 1
    if last + 1 < N_BINS:
        band.center[g] = center
        above[SUM_V] = V
        above[SUM_P] = P
        above[SUM_R] = R
    _set_range(s, g, s.base[g] + first * s.width[g], band.center[g])


cdef void _refine(Summaries* s, Band* band, Py_ssize_t n_groups, double target) noexcept nogil:
    """One more level: bin each group's band entries within its range, bracket
    again on these finer bins, keep the entries of the new band.

    One group's bins at a time (in ``scratch``): the bracket needs only rho at
    the edges; the sums above the new range are then taken from the (few)
    entries, rather than kept for every group's bins (96 doubles a group,
    zeroed at every level: page faults and a memset the size of a sixth of a
    1000 x 10000 matrix).
    """
    cdef Py_ssize_t g, first, last
    cdef Py_ssize_t* ends = <Py_ssize_t*> malloc(n_groups * sizeof(Py_ssize_t))
    if ends == NULL:
        return   # the current (coarser) band stays valid
    for g in range(n_groups):
        if s.inv_width[g] != 0:
            _group_rho(s, band, g, s.scratch)
    _bracket(s, n_groups, target, band)
    for g in range(n_groups):
        ends[g] = band.start[g]
        if _band_bins(s, g, band.lo, band.hi, &first, &last):
            _keep_bins(s, band, g, first, last, &ends[g])
        else:
            s.inv_width[g] = 0.0
    _compact(band, n_groups, ends)
    free(ends)


# ---------------------------------------------------------------- exact g

cdef inline void _add_entry(double key, double v, double t, double unit, double* N,
                            double* D2, double* V) noexcept nogil:
    """A band entry's terms of g at t.  Branch-free (whether an entry is above t
    is unpredictable; ``skproj_positive``: gcc made a branch of d > 0 ? d : 0);
    the entries below add zeros, which leave the sums as they are."""
    cdef double d = skproj_positive((key - t) * unit)
    N[0] += v * d
    D2[0] += v * d * d
    V[0] += v if d > 0 else 0.0


cdef inline void _add_entry_at_points(double key, double v, const double* ts, double unit,
                                      double* N, double* D2) noexcept nogil:
    """A band entry's terms of g at the N_POINTS thresholds ``ts`` (branch-free,
    as ``_add_entry``)."""
    cdef Py_ssize_t k
    cdef double d
    for k in range(N_POINTS):
        d = skproj_positive((key - ts[k]) * unit)
        N[k] += v * d
        D2[k] += v * d * d


cdef double _exact_g(Summaries* s, Band* band, Py_ssize_t n_groups, double t,
                     double* slope, double* scales) noexcept nogil:
    """g(t) for t in the bracket (exact to rounding), its slope in ``slope``
    (may be NULL: not computed, a division a group fewer) and each group's
    scale :math:`1 + tN/D^2` in ``scales`` (may be NULL; 0 for 1-sparse groups).

    Where the CPU has AVX-512F, 8 groups a vector (``skh_exact_g``: the same
    values, the groups' terms added in the same order); a call on 10^4 groups
    took about 12 ns a group here, mostly mispredicted branches on the few
    entries of each group's band and a square root and divisions a group in
    turn."""
    cdef Py_ssize_t g, e, end
    cdef double total = 0.0, total_slope = 0.0, delta, V, N, D2, root, unit
    cdef const double* above
    global _g_evaluations
    _g_evaluations += 1
    if _vector_g:
        return skh_exact_g(n_groups, t, band.hi, s.top, s.inv_top, s.rho_one, band.above,
                           band.center, <const int64_t*> band.start, band.keys, band.vals,
                           band.unit_vals, slope, scales)
    for g in range(n_groups):
        if scales != NULL:
            scales[g] = 0.0
        if t >= s.top[g]:
            total += s.rho_one[g]
            continue
        # Offsets in units of the group's top (as the sums above the band).
        unit = s.inv_top[g]
        above = band.above + g * N_SUMS
        delta = (band.center[g] - t) * unit
        V = above[SUM_V]
        N = above[SUM_P] + delta * V
        D2 = above[SUM_R] + 2 * delta * above[SUM_P] + delta * delta * V
        # (At or above the band's upper end, every entry of the band is below
        # t and adds zeros: no pass over it, e.g. for g at the bracket's end.)
        end = band.start[g + 1] if t < band.hi else band.start[g]
        if band.unit_vals:      # (v * d is d: the same bits, vals not read)
            for e in range(band.start[g], end):
                _add_entry(band.keys[e], 1.0, t, unit, &N, &D2, &V)
        else:
            for e in range(band.start[g], end):
                _add_entry(band.keys[e], band.vals[e], t, unit, &N, &D2, &V)
        if D2 <= 0:
            # t is within rounding of the top: the group is 1-sparse.
            total += s.rho_one[g]
            continue
        root = sqrt(D2)
        total += N / root
        if slope != NULL:
            total_slope += (N * N - V * D2) / (D2 * root) * unit
        if scales != NULL:
            scales[g] = 1.0 + t * unit * N / D2
    if slope != NULL:
        slope[0] = total_slope
    return total


cdef void _exact_g_at_points(Summaries* s, Band* band, Py_ssize_t n_groups, const double* ts,
                             double* totals) noexcept nogil:
    """g at the N_POINTS thresholds ``ts`` (in the bracket) in one pass over the
    band: each value is the one ``_exact_g`` gives (the same terms added in the
    same order), for the cost of about two of its calls (one lane a point:
    an AVX-512 vector, or two AVX2 vectors, where the CPU has them)."""
    cdef Py_ssize_t g, e, k
    cdef double unit, delta, P, R, V
    cdef double N[N_POINTS]
    cdef double D2[N_POINTS]
    cdef const double* above
    if _vector_points and N_POINTS == 8:
        skh_g_at_8_points(n_groups, ts, s.top, s.inv_top, s.rho_one, band.above, band.center,
                          <const int64_t*> band.start, band.keys, band.vals, totals,
                          band.unit_vals)
        return
    for k in range(N_POINTS):
        totals[k] = 0.0
    for g in range(n_groups):
        unit = s.inv_top[g]
        above = band.above + g * N_SUMS
        V = above[SUM_V]
        P = above[SUM_P]
        R = above[SUM_R]
        for k in range(N_POINTS):
            delta = (band.center[g] - ts[k]) * unit
            N[k] = P + delta * V
            D2[k] = R + 2 * delta * P + delta * delta * V
        if band.unit_vals:      # (v * d is d: the same bits, vals not read)
            for e in range(band.start[g], band.start[g + 1]):
                _add_entry_at_points(band.keys[e], 1.0, ts, unit, N, D2)
        else:
            for e in range(band.start[g], band.start[g + 1]):
                _add_entry_at_points(band.keys[e], band.vals[e], ts, unit, N, D2)
        for k in range(N_POINTS):
            if ts[k] >= s.top[g] or D2[k] <= 0:
                totals[k] += s.rho_one[g]
            else:
                totals[k] += N[k] / sqrt(D2[k])


cdef void _keep_between(Summaries* s, Band* band, Py_ssize_t n_groups, double lo,
                        double hi) noexcept nogil:
    """Narrow the band to (lo, hi] inside it: the entries at or below lo leave
    (inactive on the new bracket), those at or above hi join ``above``,
    re-centred at min(hi, top) (positive offsets: no cancellation).

    Without a branch on where an entry lies (``skproj_keep_between``: an
    entry below adds +0 to sums that are never -0, the same bits)."""
    cdef Py_ssize_t g, total = 0, begin
    cdef double unit, center, shift, V, P, R
    cdef double* above
    cdef double sums[3]
    for g in range(n_groups):
        begin = band.start[g]
        band.start[g] = total
        unit = s.inv_top[g]
        above = band.above + g * N_SUMS
        center = min(hi, s.top[g])
        shift = (band.center[g] - center) * unit
        V = above[SUM_V]
        P = above[SUM_P] + shift * V
        R = above[SUM_R] + 2 * shift * above[SUM_P] + shift * shift * V
        sums[0] = V
        sums[1] = P
        sums[2] = R
        total = skproj_keep_between(band.keys, band.vals, band.unit_vals, begin,
                                    band.start[g + 1], total, lo, center, unit, sums)
        band.center[g] = center
        above[SUM_V] = sums[0]
        above[SUM_P] = sums[1]
        above[SUM_R] = sums[2]
    band.start[n_groups] = total
    band.lo = lo
    band.hi = hi




cdef bint _narrow(Summaries* s, Band* band, Py_ssize_t n_groups, double target,
                  const double* first_totals) noexcept nogil:
    """Narrow the bracket [lo, hi] (g(lo) > target >= g(hi)) and its band while
    the band holds more than NARROW_FACTOR entries per group (at most
    MAX_LEVELS times): g at N_POINTS evenly spaced points in one pass, the
    bracket to the two points around the target (the same test as the root
    search's, on exact values of g), the band to it.  ``first_totals`` (may be
    NULL): g at the first level's points, computed by the caller (with the
    check of the bracket, in the same pass).  Whether it narrowed."""
    cdef double ts[N_POINTS]
    cdef double totals[N_POINTS]
    cdef double lo, hi
    cdef Py_ssize_t k, level
    global _narrowing_levels
    _narrowing_levels = 0
    for level in range(MAX_LEVELS):
        if not _narrows(band, n_groups):
            return level > 0
        lo = band.lo
        hi = band.hi
        _narrow_points(lo, hi, ts)
        if level == 0 and first_totals != NULL:
            memcpy(totals, first_totals, N_POINTS * sizeof(double))
        else:
            _exact_g_at_points(s, band, n_groups, ts, totals)
        memcpy(_narrowing_totals + level * N_POINTS, totals, N_POINTS * sizeof(double))
        _narrowing_levels = level + 1
        for k in range(N_POINTS):
            if totals[k] <= target:
                hi = ts[k]
                break
            lo = ts[k]
        _keep_between(s, band, n_groups, lo, hi)
    return True


cdef int _compare_doubles(const void* a, const void* b) noexcept nogil:
    cdef double x = (<const double*> a)[0], y = (<const double*> b)[0]
    return (x > y) - (x < y)


cdef double _root(Summaries* s, Band* band, Py_ssize_t n_groups, double target,
                  double value_lo, double slope_lo) noexcept nogil:
    """min {t in (lo, hi] : g(t) <= target}, given g(lo) > target >= g(hi) and
    ``value_lo``, ``slope_lo``: g and its slope at lo (the callers' check
    computed them: the same values, not a pass over the band again).

    -1 when the work buffer cannot be allocated.
    """
    cdef double lo = band.lo, hi = band.hi, t, value, slope, step_size, below
    cdef double previous_excess, excess, value_hi, deficit
    cdef double previous_deficit
    cdef Py_ssize_t g, n_jumps = 0, a, b, m, k
    cdef Py_ssize_t at[N_POINTS]
    cdef double ts[N_POINTS]
    cdef double totals[N_POINTS]
    cdef bint slope_lo_known = True
    cdef int step
    cdef double* jumps = <double*> malloc(max(n_groups, 1) * sizeof(double))
    if jumps == NULL:
        return -1.0
    # g can only jump at a group's top: binary search on the tops inside.
    for g in range(n_groups):
        if lo < s.top[g] < hi:
            jumps[n_jumps] = s.top[g]
            n_jumps += 1
    qsort(jumps, n_jumps, sizeof(double), _compare_doubles)
    # Tied tops (integer data: counts, pixels) are one jump: g is evaluated
    # once at each distinct top.
    b = 0
    for a in range(n_jumps):
        if b == 0 or jumps[a] != jumps[b - 1]:
            jumps[b] = jumps[a]
            b += 1
    # The first top where g <= target, among jumps[a:b]: N_POINTS of them a
    # pass over the band while more remain (g at N_POINTS points costs about
    # one evaluation at one point where vectors take the points), then a
    # binary search.  The same values of g, so the same top.  (100 x 1000
    # column groups at s = 0.95, hundreds of tops in the bracket: 15
    # evaluations took 114-125 us; 11-12 and the passes take 74-103.)
    a = 0
    while _root_by_points and b - a > N_POINTS:
        for k in range(N_POINTS):
            at[k] = a + (b - a) * (k + 1) // (N_POINTS + 1)
            ts[k] = jumps[at[k]]
        _exact_g_at_points(s, band, n_groups, ts, totals)
        for k in range(N_POINTS):
            if totals[k] <= target:
                hi = ts[k]
                b = at[k]
                break
            lo = ts[k]
            slope_lo_known = False
            a = at[k] + 1
    while a < b:
        m = (a + b) // 2
        value = _exact_g(s, band, n_groups, jumps[m], &slope, NULL)
        if value <= target:
            hi = jumps[m]
            b = m
        else:
            lo = jumps[m]
            value_lo = value
            slope_lo = slope
            slope_lo_known = True
            a = m + 1
    free(jumps)
    # g is continuous on (lo, hi); if it stays above the target up to the last
    # float below hi, the root is hi (g jumps there).
    below = nextafter(hi, 0.0)
    if below <= lo or _exact_g(s, band, n_groups, below, NULL, NULL) > target:
        return hi
    if not slope_lo_known:      # (lo from a pass at points: g and its slope there)
        value_lo = _exact_g(s, band, n_groups, lo, &slope_lo, NULL)
    # Newton from the left (from lo, whose g and slope are kept) until a step
    # lands on the feasible side, then secants between lo and hi (g is
    # continuous there; a kink of g, at a key, can send Newton past the
    # root); bisection where a step leaves (lo, hi) or where the last move of
    # either end did not halve its distance to the target in g.  Once g at lo
    # is within rounding of the target, a step a little past Newton's or the
    # secant's lands on the feasible side (the secant's own step, below half
    # an ulp of lo, gave t = lo and bisection down to the last ulps: 1000
    # float32 groups of 100 at s = 0.95 took 40 evaluations of g, not 14).
    value_hi = target
    previous_excess = previous_deficit = deficit = INFINITY
    for step in range(MAX_ROOT_STEPS):
        if hi - lo <= 4e-16 * hi:
            break
        excess = value_lo - target
        if deficit < INFINITY:
            step_size = excess * ((hi - lo) / (value_lo - value_hi))
        else:
            step_size = excess / -slope_lo if slope_lo < 0 else hi - lo
        if excess <= 1e-13 * target:
            step_size = 2 * step_size + 4e-16 * lo
        t = lo + step_size
        if (not (lo < t < hi) or excess > 0.5 * previous_excess
                or deficit > 0.5 * previous_deficit):
            t = 0.5 * (lo + hi)
        value = _exact_g(s, band, n_groups, t, &slope, NULL)
        if value <= target:
            if target - value <= 1e-13 * target:
                return t
            previous_deficit = deficit
            deficit = target - value
            hi = t
            value_hi = value
        else:
            previous_excess = excess
            lo = t
            value_lo = value
            slope_lo = slope
    return hi
