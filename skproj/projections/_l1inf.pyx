# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
r"""Kernel for the exact Euclidean projection onto the l1,inf ball.

Problem and optimality
----------------------
For groups :math:`y_g` (rows or columns of ``y``) with magnitudes
:math:`a_{ig} = |y_{ig}|`, the projection onto
:math:`\{x : \sum_g \|x_g\|_\infty \le \eta\}` clips every group,
:math:`x_{ig} = \operatorname{sign}(y_{ig}) \min(a_{ig}, \mu_g)`, where the
levels :math:`\mu_g \ge 0` sum to :math:`\eta` and share one threshold
:math:`\theta`:

.. math::

    h_g(\mu_g) := \sum_i (a_{ig} - \mu_g)_+ = \theta \quad (\mu_g > 0),
    \qquad \mu_g = 0 \iff S_g := \|y_g\|_1 \le \theta .

:math:`\mu_g(\theta) = h_g^{-1}(\theta)` is convex, decreasing and piecewise
linear, and so is :math:`F(\theta) = \sum_g \mu_g(\theta)`; we solve
:math:`F(\theta) = \eta`.  Two facts drive the method:

* for *any* non-empty set :math:`V` of entries of group g,
  :math:`\mu_g(\theta) \ge (\sum_V a - \theta)/|V|` (equality for the clipped
  set), so :math:`\theta(V) = (\sum_g \Sigma V_g/|V_g| - \eta) / \sum_g
  1/|V_g|` is a lower bound of :math:`\theta^*` for any choice of sets;
* by convexity, :math:`\mu_g` lies above its tangents and below its chords.

Algorithm
---------
1. One fused read pass gives every group's max :math:`M_g` and l1 norm
   :math:`S_g` (NaN/inf show up as a non-finite :math:`S_g`).  If
   :math:`\sum_g M_g \le \eta` the input is copied unchanged.
2. O(G) work gives a lower bound :math:`\theta_0 \le \theta^*` from the
   crude per-group bound :math:`\mu_g(\theta) \ge \max((S_g - \theta)/n, M_g -
   \theta)` (Newton from the left on this convex piecewise-linear envelope,
   each iterate a valid bound), hence the *candidate* groups
   :math:`S_g > \theta_0` (all others are provably zero) and for each one a
   level :math:`U_g`, meant to satisfy :math:`U_g \ge \mu_g(\theta_0) \ge
   \mu_g^*`: 1.25 times the crude lower bound of :math:`\mu_g(\theta_0)`,
   capped by the chord :math:`M_g (1 - \theta_0/S_g)`, which is a rigorous
   upper bound but several times too large on dense data.
3. One read pass over the candidate groups only: the entries below
   :math:`U_g` are gathered into a work buffer (for column groups of a
   row-major matrix with their group index, then bucketed by group); the
   others are counted and summed by difference, as certainly clipped.  The
   guess is then checked exactly: :math:`U_g \ge \mu_g(\theta_0)` iff
   :math:`\sum_i \min(a_{ig}, U_g) \ge S_g - \theta_0`, whose left side is
   known from the gather.  The (rare) groups that fail are gathered again at
   the chord level.  No other entry of the matrix is read again before the
   final write.

   *Dense regime.*  When :math:`U_g` would gather more than ~8 % of the
   entries (large radii: :math:`\mu_g` among the bulk of the entries), or
   too many guesses fail, histogram passes bracket every :math:`\mu_g`
   instead: the counts and sums of a group's entries in 16 bins of a band
   :math:`[L_g, U_g]` give :math:`h_g` exactly at the bin edges, so
   :math:`\mu_g(\theta)` lies between the chords and the tangents of those
   points; the roots of the two envelopes bracket :math:`\theta^*`, and the
   envelopes there bracket each :math:`\mu_g^*` within a bin or two.  One
   pass (two at most) leaves bands holding ~0.1-1 % of the entries; only
   those are gathered (entries above the band are counted from the
   histogram, entries below it are never clipped).  The band model is exact
   for levels inside the bands; after the solve, a group whose level left
   its band (rounding corner cases) is gathered whole and the solve resumes.
4. Newton rounds on :math:`F`, from the left, on the gathered entries only.
   A round evaluates :math:`\mu_g(\theta_t)` exactly for every live group by a
   Michelot fixed point started from a lower bound (usually one pass over the
   group's list), moves the entries above it to the clipped set, then takes
   the Newton step :math:`\theta_{t+1} = \theta(V)` (never beyond
   :math:`\theta^*`).  If the linear model is consistent (every live group has
   :math:`\mu_g > 0` and no gathered entry above :math:`\mu_g`) it is the
   exact answer.  Otherwise the chords give an upper bound
   :math:`\theta^+ \ge \theta^*`, the tangents turn it into lower levels
   :math:`L_g \le \mu_g^*`, and entries :math:`\le L_g` (certainly unclipped)
   leave the lists.  The lists therefore shrink from both sides to the
   entries near :math:`\mu_g^*`.  Newton on a convex piecewise-linear
   function passes at least one breakpoint per round and stops finitely; a
   sort-based water-filling finishes the rare cases still undecided after
   ``_max_rounds`` (60) rounds.
5. One pass writes :math:`x = \operatorname{sign}(y)\min(|y|, \mu_g)`; zeroed
   groups are written without being read (with few kept groups, after one
   memset of the output).

Complexity
----------
Time :math:`O(nm + G + R \cdot L)`: three streaming passes over the matrix
(read; read of the candidate groups, only where a candidate group lies; write),
one or two more read passes in the dense regime, :math:`L \le nm` gathered
entries, and :math:`R` Newton rounds, each linear in the lists that are left.
On Gaussian matrices :math:`L` is at most ~3 % of the entries, the lists
shrink by orders of magnitude after the first round and :math:`R \le 6`.  On
1000 x 10000 and 10000 x 1000 matrices keeping 1-90 % of the groups, the
measured cost is 0.7-3.1 times that of ``bilevel_l1inf`` at the same radius
(0.7-2.1 times at the radius where the bi-level projection keeps as many
groups); at large radii (dense regime) 4-9 times.  The worst case is
:math:`O(nm \log(nm))` (the sort-based finish).  No sort and no heap is used
otherwise.

Memory: O(G) work arrays (about 15 doubles per group, plus 18 bins and a
52-double envelope per candidate group in the dense regime), the gathered
entries (8 bytes each, plus a 4-byte group index and one bucketing copy for
column groups of a row-major matrix; grown on demand, at most the candidate
groups' entries), and one scratch vector of the group length.  The matrix
itself is never copied.

References
----------
G. Perez, L. Condat, M. Barlaud, "Near-linear time projection onto the
l1,inf ball; application to sparse neural networks", arXiv:2307.09836 (2023).
G. Chau, B. Wohlberg, P. Rodriguez, "Efficient projection onto the l1,inf
mixed-norm ball using a Newton root search method", SIAM J. Imaging Sci. 12
(2019).  C. Michelot, "A finite algorithm for finding the projection of a
point onto the canonical simplex of R^n", JOTA 50 (1986).
"""

from libc.math cimport fabs, INFINITY
from libc.stdint cimport INT32_MAX, int32_t
from libc.stdlib cimport free, malloc, qsort, realloc
from cython cimport floating
from skproj.projections._common cimport (
    SPARSE_WRITE_DIVISOR, clip, clip_columns, clip_row, copy_matrix, zero_if_contiguous,
    zero_row,
)
from skproj.projections._sums cimport TERM_VALUE, sum_terms
from skproj.projections._l1 cimport (
    STATUS_INSIDE, STATUS_NOMEMORY, STATUS_NONFINITE, STATUS_PROJECTED,
)

cdef enum:
    # Newton steps for the O(G) bounds (each one is a valid bound on its own).
    _MAX_BOUND_STEPS = 40
    # Bins of a bracketing histogram inside [L_g, U_g], plus one below and one above.
    _BINS = 16
    _SLOTS = _BINS + 2
    _MAX_HISTOGRAMS = 3

# Newton rounds before the sort-based finish takes over.
cdef int _max_rounds = 60
# Testing hooks (``_set_testing``): send every problem down the dense-regime
# path, and make its bands too narrow for half of the groups.
cdef bint _force_dense = False
cdef bint _narrow_bands = False

# Relative slack on the bounds so that rounding never makes them cross.
cdef double _SLACK = 1e-12
# Gathering tests blocks of entries first while fewer than 1 in this many
# entries are gathered (measured on this kind of machine: ~1.5 %).
cdef Py_ssize_t _GATHER_BLOCK_RATE = 64
# ... for column groups only when the per-column levels stay in L1 (wider
# rows are faster four at a time, without blocks).
cdef Py_ssize_t _BLOCK_MAX_WIDTH = 4096
# Column groups of a row-major matrix: visit only the candidate columns by
# index when fewer than 1 in this many columns are candidates.
cdef Py_ssize_t _SPARSE_VISIT = 4
# Heuristic level of the first gather, in units of the lower bound of mu_g.
cdef double _GUESS_FACTOR = 1.25
# Above this predicted share of gathered entries (or of failed guesses), the
# levels U_g are too far above mu_g: the dense-regime path brackets mu_g with
# histograms first.  Groups shorter than _DENSE_MIN_GROUP are gathered whole.
cdef double _DENSE_SHARE = 0.08
cdef Py_ssize_t _DENSE_MIN_GROUP = 64
# Bracketing histogram passes stop once the bands hold this share of entries.
cdef double _BAND_SHARE = 0.12
# Relative tolerance of the final consistency check.
cdef double _CHECK_TOL = 1e-13


cdef struct Work:
    Py_ssize_t n_groups
    Py_ssize_t group_size
    double* sums            # S_g, the l1 norms
    double* maxima          # M_g (the caller's mu buffer)
    double* level           # mu_g at the current theta_t (U_g before round 1)
    double* lower           # L_g <= mu_g^*: list entries at or below are dropped
    double* guess           # lower bound of mu_g(theta_t) that starts Michelot
    double* above_sum       # sum of the entries known to be clipped
    Py_ssize_t* above_count
    Py_ssize_t* start       # list of group g: values[start[g] : start[g] + length[g]]
    Py_ssize_t* length
    double* list_max
    double* inv_count       # 1 / above_count
    double* rate            # slope of the chord of mu_g beyond theta_t
    double* band_low        # dense regime: the gathered band of each group
    double* band_high
    Py_ssize_t* active      # live groups, active[0:n_active]
    Py_ssize_t n_active
    double* values          # the gathered lists
    Py_ssize_t n_values
    double* scratch         # group_size doubles


cdef inline Py_ssize_t _step(Py_ssize_t stride_in_bytes, Py_ssize_t itemsize) noexcept nogil:
    return stride_in_bytes // itemsize


cdef inline const floating* _row(const floating* base, Py_ssize_t row_stride,
                                 Py_ssize_t i) noexcept nogil:
    """Start of row ``i`` (``row_stride`` in bytes)."""
    return <const floating*> (<const char*> base + i * row_stride)


# ------------------------------------------------------------ memory

cdef void _free_work(Work* w) noexcept nogil:
    free(w.sums)
    free(w.level)
    free(w.lower)
    free(w.guess)
    free(w.above_sum)
    free(w.above_count)
    free(w.start)
    free(w.length)
    free(w.list_max)
    free(w.inv_count)
    free(w.rate)
    free(w.band_low)
    free(w.band_high)
    free(w.active)
    free(w.values)
    free(w.scratch)


cdef bint _alloc_work(Work* w, Py_ssize_t n_groups, Py_ssize_t group_size,
                      double* maxima) noexcept nogil:
    cdef Py_ssize_t g = n_groups if n_groups > 0 else 1
    w.n_groups = n_groups
    w.group_size = group_size
    w.maxima = maxima
    w.sums = <double*> malloc(g * sizeof(double))
    w.level = <double*> malloc(g * sizeof(double))
    w.lower = <double*> malloc(g * sizeof(double))
    w.guess = <double*> malloc(g * sizeof(double))
    w.above_sum = <double*> malloc(g * sizeof(double))
    w.above_count = <Py_ssize_t*> malloc(g * sizeof(Py_ssize_t))
    w.start = <Py_ssize_t*> malloc(g * sizeof(Py_ssize_t))
    w.length = <Py_ssize_t*> malloc(g * sizeof(Py_ssize_t))
    w.list_max = <double*> malloc(g * sizeof(double))
    w.inv_count = <double*> malloc(g * sizeof(double))
    w.rate = <double*> malloc(g * sizeof(double))
    w.active = <Py_ssize_t*> malloc(g * sizeof(Py_ssize_t))
    w.scratch = <double*> malloc((group_size if group_size > 0 else 1) * sizeof(double))
    w.band_low = NULL
    w.band_high = NULL
    w.values = NULL
    w.n_values = 0
    w.n_active = 0
    return not (w.sums == NULL or w.level == NULL or w.lower == NULL
                or w.guess == NULL or w.above_sum == NULL or w.above_count == NULL
                or w.start == NULL or w.length == NULL or w.list_max == NULL
                or w.inv_count == NULL or w.rate == NULL
                or w.active == NULL or w.scratch == NULL)


cdef bint _reserve(double** values, int32_t** groups, Py_ssize_t* capacity,
                   Py_ssize_t needed) noexcept nogil:
    """Grow the gather buffer(s) to hold ``needed`` entries (doubling)."""
    cdef Py_ssize_t new_capacity
    cdef void* grown
    if needed <= capacity[0]:
        return True
    new_capacity = max(needed, 2 * capacity[0])
    grown = realloc(values[0], new_capacity * sizeof(double))
    if grown == NULL:
        return False
    values[0] = <double*> grown
    if groups != NULL:
        grown = realloc(groups[0], new_capacity * sizeof(int32_t))
        if grown == NULL:
            return False
        groups[0] = <int32_t*> grown
    capacity[0] = new_capacity
    return True


# ------------------------------------------------------------ pass 1: S_g and M_g

cdef inline double _row_sum_max(const floating* row, Py_ssize_t n, Py_ssize_t step,
                                double* maximum) noexcept nogil:
    # Four accumulators of each kind break the dependency chains.
    cdef double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    cdef double m0 = 0.0, m1 = 0.0, m2 = 0.0, m3 = 0.0, a
    cdef Py_ssize_t j, n4 = n - n % 4
    for j in range(0, n4, 4):
        a = fabs(row[j * step])
        s0 += a
        m0 = a if a > m0 else m0
        a = fabs(row[(j + 1) * step])
        s1 += a
        m1 = a if a > m1 else m1
        a = fabs(row[(j + 2) * step])
        s2 += a
        m2 = a if a > m2 else m2
        a = fabs(row[(j + 3) * step])
        s3 += a
        m3 = a if a > m3 else m3
    for j in range(n4, n):
        a = fabs(row[j * step])
        s0 += a
        m0 = a if a > m0 else m0
    m0 = m1 if m1 > m0 else m0
    m2 = m3 if m3 > m2 else m2
    maximum[0] = m2 if m2 > m0 else m0
    return (s0 + s1) + (s2 + s3)


cdef inline void _columns_sum_max(const floating* row, Py_ssize_t n, Py_ssize_t step,
                                  double* sums, double* maxima) noexcept nogil:
    cdef Py_ssize_t j
    cdef double a
    for j in range(n):
        a = fabs(row[j * step])
        sums[j] += a
        maxima[j] = a if a > maxima[j] else maxima[j]


cdef inline void _columns_sum_max4(const floating* r0, const floating* r1,
                                   const floating* r2, const floating* r3,
                                   Py_ssize_t n, Py_ssize_t step,
                                   double* sums, double* maxima) noexcept nogil:
    """Four rows at once: a quarter of the updates of the per-column arrays."""
    cdef Py_ssize_t j
    cdef double a0, a1, a2, a3, m
    for j in range(n):
        a0 = fabs(r0[j * step])
        a1 = fabs(r1[j * step])
        a2 = fabs(r2[j * step])
        a3 = fabs(r3[j * step])
        sums[j] += (a0 + a1) + (a2 + a3)
        a0 = a1 if a1 > a0 else a0
        a2 = a3 if a3 > a2 else a2
        a0 = a2 if a2 > a0 else a0
        m = maxima[j]
        maxima[j] = a0 if a0 > m else m


cdef void _sums_and_maxima(const floating[:, :] y, Work* w,
                           bint groups_are_rows) noexcept nogil:
    """S_g and M_g in one pass in memory order (NaN/inf make S_g non-finite)."""
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1], i, j
    cdef Py_ssize_t step = _step(y.strides[1], sizeof(floating))
    cdef const floating* base = &y[0, 0]
    cdef Py_ssize_t s0 = y.strides[0]
    if groups_are_rows:
        for i in range(n_rows):
            if step == 1:
                w.sums[i] = _row_sum_max(_row(base, s0, i), n_cols, 1, &w.maxima[i])
            else:
                w.sums[i] = _row_sum_max(_row(base, s0, i), n_cols, step, &w.maxima[i])
    else:
        for j in range(n_cols):
            w.sums[j] = 0.0
            w.maxima[j] = 0.0
        i = 0
        while i + 4 <= n_rows:
            if step == 1:
                _columns_sum_max4(_row(base, s0, i), _row(base, s0, i + 1),
                                  _row(base, s0, i + 2), _row(base, s0, i + 3),
                                  n_cols, 1, w.sums, w.maxima)
            else:
                _columns_sum_max4(_row(base, s0, i), _row(base, s0, i + 1),
                                  _row(base, s0, i + 2), _row(base, s0, i + 3),
                                  n_cols, step, w.sums, w.maxima)
            i += 4
        while i < n_rows:
            _columns_sum_max(_row(base, s0, i), n_cols, step, w.sums, w.maxima)
            i += 1


# ------------------------------------------------------------ step 2: O(G) bounds

cdef double _initial_lower_bound(Work* w, double eta) noexcept nogil:
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
        if total <= eta * (1.0 + _SLACK) or slope == 0.0:
            break
        theta += (total - eta) / slope
    return theta * (1.0 - _SLACK)


cdef double _chord_upper_bound(Work* w, double eta, double theta_t) noexcept nogil:
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
        if total <= eta * (1.0 + _SLACK) or slope == 0.0:
            return theta + _SLACK * (fabs(theta) + 1e-300) + 4 * _SLACK * (theta - theta_t)
        theta += (total - eta) / slope
    return INFINITY


# ------------------------------------------------------------ step 3: gather

# The gather loops are branch-free: every magnitude is stored at the write
# position, which advances only when the magnitude is below U_g (branches
# mispredict at the few-% rates seen here and cost more than the stores).
# Zeros are gathered too (round 1 drops them), so the entries left out are
# exactly those >= U_g: their count and sum follow by difference.

cdef inline Py_ssize_t _gather_one_row(const floating* row, Py_ssize_t n, Py_ssize_t step,
                                       double u, double* values,
                                       Py_ssize_t pos) noexcept nogil:
    cdef Py_ssize_t j
    cdef double a
    for j in range(n):
        a = fabs(row[j * step])
        values[pos] = a
        pos += a < u
    return pos


cdef inline Py_ssize_t _gather_one_row_blocks(const floating* row, Py_ssize_t n,
                                              Py_ssize_t step, double u, double* values,
                                              Py_ssize_t pos) noexcept nogil:
    """Same, testing blocks of 8 first (their minimum): for low hit rates."""
    cdef Py_ssize_t j, j0 = 0, n8 = n - n % 8
    cdef double m0, m1, m2, m3, a
    while j0 < n8:
        m0 = fabs(row[j0 * step])
        m1 = fabs(row[(j0 + 1) * step])
        m2 = fabs(row[(j0 + 2) * step])
        m3 = fabs(row[(j0 + 3) * step])
        a = fabs(row[(j0 + 4) * step])
        m0 = a if a < m0 else m0
        a = fabs(row[(j0 + 5) * step])
        m1 = a if a < m1 else m1
        a = fabs(row[(j0 + 6) * step])
        m2 = a if a < m2 else m2
        a = fabs(row[(j0 + 7) * step])
        m3 = a if a < m3 else m3
        m0 = m1 if m1 < m0 else m0
        m2 = m3 if m3 < m2 else m2
        m0 = m2 if m2 < m0 else m0
        if m0 < u:
            for j in range(j0, j0 + 8):
                a = fabs(row[j * step])
                values[pos] = a
                pos += a < u
        j0 += 8
    for j in range(n8, n):
        a = fabs(row[j * step])
        values[pos] = a
        pos += a < u
    return pos


cdef bint _gather_by_group(const floating[:, :] y, Work* w, bint groups_are_rows,
                           const Py_ssize_t* subset, Py_ssize_t n_subset,
                           Py_ssize_t* capacity) noexcept nogil:
    """Append the lists of the groups in ``subset``, one group after the other.

    The path for rows; for columns only when their index would not fit the
    32 bits of the row-major path.
    """
    cdef Py_ssize_t n_cols = y.shape[1] if groups_are_rows else y.shape[0]
    cdef Py_ssize_t group_stride = y.strides[0] if groups_are_rows else y.strides[1]
    cdef Py_ssize_t step = _step(y.strides[1] if groups_are_rows else y.strides[0],
                                 sizeof(floating))
    cdef Py_ssize_t idx, g, k, pos = w.n_values, first = w.n_values
    cdef const floating* row
    cdef double listed
    for idx in range(n_subset):
        g = subset[idx]
        if not _reserve(&w.values, NULL, capacity, pos + n_cols):
            return False
        row = _row(&y[0, 0], group_stride, g)
        w.start[g] = pos
        # Blocks pay off below ~1.5 % of gathered entries (measured so far).
        if _GATHER_BLOCK_RATE * (pos - first) <= idx * n_cols:
            if step == 1:
                pos = _gather_one_row_blocks(row, n_cols, 1, w.level[g], w.values, pos)
            else:
                pos = _gather_one_row_blocks(row, n_cols, step, w.level[g], w.values, pos)
        elif step == 1:
            pos = _gather_one_row(row, n_cols, 1, w.level[g], w.values, pos)
        else:
            pos = _gather_one_row(row, n_cols, step, w.level[g], w.values, pos)
        w.length[g] = pos - w.start[g]
        listed = 0.0
        for k in range(w.start[g], pos):
            listed += w.values[k]
        w.above_count[g] = n_cols - w.length[g]
        w.above_sum[g] = w.sums[g] - listed
    w.n_values = pos
    return True


cdef inline Py_ssize_t _gather_columns_of_row(const floating* row, Py_ssize_t n,
                                              Py_ssize_t step, const double* upper,
                                              double* values, int32_t* groups,
                                              Py_ssize_t pos) noexcept nogil:
    cdef Py_ssize_t j
    cdef double a
    for j in range(n):
        a = fabs(row[j * step])
        values[pos] = a
        groups[pos] = <int32_t> j
        pos += a < upper[j]
    return pos


cdef inline Py_ssize_t _gather_columns_of_row_blocks(const floating* row, Py_ssize_t n,
                                                     Py_ssize_t step, const double* upper,
                                                     double* values, int32_t* groups,
                                                     Py_ssize_t pos) noexcept nogil:
    """Same, testing blocks of 8 first (min of |a| - U): for low hit rates."""
    cdef Py_ssize_t j, j0 = 0, n8 = n - n % 8
    cdef double m0, m1, m2, m3, d, a
    while j0 < n8:
        m0 = fabs(row[j0 * step]) - upper[j0]
        m1 = fabs(row[(j0 + 1) * step]) - upper[j0 + 1]
        m2 = fabs(row[(j0 + 2) * step]) - upper[j0 + 2]
        m3 = fabs(row[(j0 + 3) * step]) - upper[j0 + 3]
        d = fabs(row[(j0 + 4) * step]) - upper[j0 + 4]
        m0 = d if d < m0 else m0
        d = fabs(row[(j0 + 5) * step]) - upper[j0 + 5]
        m1 = d if d < m1 else m1
        d = fabs(row[(j0 + 6) * step]) - upper[j0 + 6]
        m2 = d if d < m2 else m2
        d = fabs(row[(j0 + 7) * step]) - upper[j0 + 7]
        m3 = d if d < m3 else m3
        m0 = m1 if m1 < m0 else m0
        m2 = m3 if m3 < m2 else m2
        m0 = m2 if m2 < m0 else m0
        if m0 < 0.0:
            for j in range(j0, j0 + 8):
                a = fabs(row[j * step])
                values[pos] = a
                groups[pos] = <int32_t> j
                pos += a < upper[j]
        j0 += 8
    for j in range(n8, n):
        a = fabs(row[j * step])
        values[pos] = a
        groups[pos] = <int32_t> j
        pos += a < upper[j]
    return pos


cdef inline Py_ssize_t _gather_columns_of_rows4(const floating* r0, const floating* r1,
                                               const floating* r2, const floating* r3,
                                               Py_ssize_t n, Py_ssize_t step,
                                               const double* upper, double* values,
                                               int32_t* groups,
                                               Py_ssize_t pos) noexcept nogil:
    """Four rows at once: one load of each level for four entries."""
    cdef Py_ssize_t j
    cdef double a, u
    for j in range(n):
        u = upper[j]
        a = fabs(r0[j * step])
        values[pos] = a
        groups[pos] = <int32_t> j
        pos += a < u
        a = fabs(r1[j * step])
        values[pos] = a
        groups[pos] = <int32_t> j
        pos += a < u
        a = fabs(r2[j * step])
        values[pos] = a
        groups[pos] = <int32_t> j
        pos += a < u
        a = fabs(r3[j * step])
        values[pos] = a
        groups[pos] = <int32_t> j
        pos += a < u
    return pos


cdef Py_ssize_t _bucket_by_group(Work* w, const double* values, const int32_t* groups,
                                 Py_ssize_t n, const Py_ssize_t* subset,
                                 Py_ssize_t n_subset, Py_ssize_t* cursor) noexcept nogil:
    """Append gathered ``(values[i], groups[i])`` pairs to ``w.values``, by group.

    A stable counting sort: group g's list becomes
    ``w.values[w.start[g]:w.start[g] + w.length[g]]``, after the lists already
    there.  ``cursor`` is scratch of one slot per group (it may be
    ``w.length`` itself).  Returns the new number of stored values.
    """
    cdef Py_ssize_t i, idx, g, total = w.n_values
    for idx in range(n_subset):
        w.length[subset[idx]] = 0
    for i in range(n):
        w.length[groups[i]] += 1
    for idx in range(n_subset):
        g = subset[idx]
        w.start[g] = total
        total += w.length[g]
        cursor[g] = w.start[g]
    for i in range(n):
        g = groups[i]
        w.values[cursor[g]] = values[i]
        cursor[g] += 1
    for idx in range(n_subset):
        g = subset[idx]
        w.length[g] = cursor[g] - w.start[g]
    return total


cdef bint _bucket_pairs(Work* w, double* values, int32_t* groups, Py_ssize_t n_pairs,
                        const Py_ssize_t* subset, Py_ssize_t n_subset, Py_ssize_t* fill,
                        Py_ssize_t* capacity) noexcept nogil:
    """Bucket gathered (value, column) pairs by column into ``w``, then free the pairs.

    The one exit of the column gathers, also on failure: ``n_pairs < 0``
    reports that gathering ran out of memory, and the pairs are only freed.
    Returns False when out of memory.
    """
    cdef bint ok = n_pairs >= 0 and _reserve(&w.values, NULL, capacity,
                                             w.n_values + n_pairs)
    if ok:
        w.n_values = _bucket_by_group(w, values, groups, n_pairs, subset, n_subset, fill)
    free(values)
    free(groups)
    return ok


cdef bint _gather_columns(const floating[:, :] y, Work* w, const Py_ssize_t* subset,
                          Py_ssize_t n_subset, Py_ssize_t* capacity) noexcept nogil:
    """Append the lists of the columns in ``subset`` (row-major streaming).

    Entries are gathered with their column index, then bucketed by column.
    When few columns are in the subset only those are visited.
    """
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1]
    cdef Py_ssize_t step = _step(y.strides[1], sizeof(floating))
    cdef Py_ssize_t i, j, idx, g, pos = 0, pair_capacity = 0, total
    cdef const floating* base = &y[0, 0]
    cdef Py_ssize_t s0 = y.strides[0]
    cdef const floating* row
    cdef double a
    cdef bint sparse_visit = _SPARSE_VISIT * n_subset < n_cols
    cdef double* values = NULL
    cdef int32_t* groups = NULL
    cdef Py_ssize_t* fill = w.above_count   # a cursor while bucketing

    if not sparse_visit:
        for j in range(n_cols):
            w.guess[j] = 0.0   # the levels U_g, 0 (nothing gathered) elsewhere
        for idx in range(n_subset):
            w.guess[subset[idx]] = w.level[subset[idx]]
    i = 0
    while i < n_rows:
        if not _reserve(&values, &groups, &pair_capacity,
                        pos + 4 * (n_subset if sparse_visit else n_cols)):
            return _bucket_pairs(w, values, groups, -1, subset, n_subset, fill, capacity)
        row = _row(base, s0, i)
        if sparse_visit:
            for idx in range(n_subset):
                g = subset[idx]
                a = fabs(row[g * step])
                values[pos] = a
                groups[pos] = <int32_t> g
                pos += a < w.level[g]
            i += 1
        elif n_cols <= _BLOCK_MAX_WIDTH and _GATHER_BLOCK_RATE * pos <= i * n_cols:
            # Few hits so far: blocks of 8, one row at a time.
            if step == 1:
                pos = _gather_columns_of_row_blocks(row, n_cols, 1, w.guess, values,
                                                    groups, pos)
            else:
                pos = _gather_columns_of_row_blocks(row, n_cols, step, w.guess, values,
                                                    groups, pos)
            i += 1
        elif i + 4 <= n_rows:
            if step == 1:
                pos = _gather_columns_of_rows4(
                    row, _row(base, s0, i + 1), _row(base, s0, i + 2),
                    _row(base, s0, i + 3), n_cols, 1, w.guess, values, groups, pos)
            else:
                pos = _gather_columns_of_rows4(
                    row, _row(base, s0, i + 1), _row(base, s0, i + 2),
                    _row(base, s0, i + 3), n_cols, step, w.guess, values, groups, pos)
            i += 4
        else:
            pos = _gather_columns_of_row(row, n_cols, step, w.guess, values, groups, pos)
            i += 1

    # Bucket by column (counting sort) after the lists already there; sum
    # each bucket for the clipped sums.
    if not _bucket_pairs(w, values, groups, pos, subset, n_subset, fill, capacity):
        return False
    for idx in range(n_subset):
        g = subset[idx]
        w.above_count[g] = n_rows - w.length[g]
        w.above_sum[g] = w.sums[g] - sum_terms(w.values + w.start[g], w.length[g], 1, TERM_VALUE)
    return True


cdef inline double _chord_level(Work* w, Py_ssize_t g, double theta) noexcept nogil:
    """Chord of mu_g between (0, M_g) and (S_g, 0) at theta, slightly raised."""
    cdef double upper = w.maxima[g] * (1.0 - theta / w.sums[g]) * (1.0 + 1e-9)
    return upper if upper < w.maxima[g] else w.maxima[g]


cdef int _gather_candidates(const floating[:, :] y, Work* w, bint groups_are_rows,
                            double theta_0) noexcept nogil:
    """Gather the lists of the candidate groups at levels U_g >= mu_g(theta_0).

    The rigorous chord level is several times mu_g on dense data; the level
    _GUESS_FACTOR * max((S_g - theta_0)/n, M_g - theta_0) is usually tight and
    is checked after the fact, exactly: U >= mu_g(theta_0) iff
    sum_i min(a_i, U) >= S_g - theta_0, and the left side is
    count_above * U + sum of the gathered entries.  Groups that fail are
    gathered again at the chord level.

    Returns 1 when the lists are ready, 2 when the levels would gather too
    much (the dense regime: nothing is gathered, or the lists are dropped),
    0 when memory ran out.
    """
    cdef Py_ssize_t idx, g, n_failed = 0, capacity = 0
    cdef double chord, guess, covered, predicted = 0.0
    cdef double inv_n = 1.0 / w.group_size
    cdef Py_ssize_t* failed
    cdef bint ok
    cdef bint may_go_dense = w.group_size >= _DENSE_MIN_GROUP or _force_dense
    for idx in range(w.n_active):
        g = w.active[idx]
        chord = _chord_level(w, g, theta_0)
        guess = (w.sums[g] - theta_0) * inv_n
        if w.maxima[g] - theta_0 > guess:
            guess = w.maxima[g] - theta_0
        guess *= _GUESS_FACTOR
        w.level[g] = guess if guess < chord else chord
        # Share of entries below U_g if their density near 0 were 1/mean.
        covered = w.level[g] * w.group_size / w.sums[g]
        predicted += covered if covered < 1.0 else 1.0
    if may_go_dense and (predicted > _DENSE_SHARE * w.n_active or _force_dense):
        return 2
    if groups_are_rows or y.shape[1] > INT32_MAX:
        ok = _gather_by_group(y, w, groups_are_rows, w.active, w.n_active, &capacity)
    else:
        ok = _gather_columns(y, w, w.active, w.n_active, &capacity)
    if not ok:
        return 0
    failed = <Py_ssize_t*> malloc((w.n_active if w.n_active > 0 else 1) * sizeof(Py_ssize_t))
    if failed == NULL:
        return 0
    for idx in range(w.n_active):
        g = w.active[idx]
        chord = _chord_level(w, g, theta_0)
        if w.level[g] >= chord:
            continue
        covered = w.above_count[g] * w.level[g] + (w.sums[g] - w.above_sum[g])
        if covered < (w.sums[g] - theta_0) * (1.0 + _SLACK):
            w.level[g] = chord
            failed[n_failed] = g
            n_failed += 1
    if may_go_dense and n_failed > _DENSE_SHARE * w.n_active:
        free(failed)
        w.n_values = 0
        return 2
    if n_failed > 0:
        if groups_are_rows or y.shape[1] > INT32_MAX:
            ok = _gather_by_group(y, w, groups_are_rows, failed, n_failed, &capacity)
        else:
            ok = _gather_columns(y, w, failed, n_failed, &capacity)
    free(failed)
    return 1 if ok else 0


# ------------------------------------------------------------ step 3b: dense regime

# When mu_g is a sizeable fraction of the entries (large radii), the entries
# below any usable U_g are most of the matrix.  Histogram passes over the
# candidate groups then bracket every mu_g: with the counts and sums of the
# entries in _BINS bins of [L_g, U_g], h_g is known exactly at the bin edges,
# mu_g(theta) lies between chords and tangents of those points, so theta^*
# lies between the roots of the two envelopes, and mu_g^* between the
# envelopes there -- a band a few bins wide.  Each pass narrows the bands by
# about _BINS; then only the entries inside the bands are gathered.

cdef inline Py_ssize_t _bin(double a, double lo, double inv_width) noexcept nogil:
    """Slot of ``a``: 0 below lo, 1.._BINS for the bins of [lo, hi), _BINS + 1 above.

    Branch-free (the slots of consecutive entries are unpredictable): integer
    clamps, the bands being wide enough (``_widen``) for the product to fit.
    Every pass and the gather classify with this same expression, so they
    agree exactly; an edge lies within rounding of lo + k (hi - lo)/_BINS.
    """
    cdef Py_ssize_t k = <Py_ssize_t> ((a - lo) * inv_width + 1.0), over
    k &= ~(k >> 63)                     # max(k, 0)
    over = (_BINS + 1) - k
    return k + (over & (over >> 63))    # min(k, _BINS + 1)


cdef inline bint _in_slots(double a, double lo, double inv_width, Py_ssize_t first,
                           Py_ssize_t last) noexcept nogil:
    """Is the slot of ``a`` in first..last (1 <= first, last <= _BINS)?"""
    cdef Py_ssize_t k = <Py_ssize_t> ((a - lo) * inv_width + 1.0)
    return (k >= first) & (k <= last)


cdef inline double _inv_width(double lo, double hi) noexcept nogil:
    return _BINS / (hi - lo)


cdef inline void _histogram_row(const floating* row, Py_ssize_t n, Py_ssize_t step,
                                double lo, double hi, double* counts,
                                double* sums) noexcept nogil:
    """Counts and sums of one group's entries per slot (added to the tables)."""
    # Four tables: entries in the same slot do not wait on each other's update.
    cdef double c[4][_SLOTS]
    cdef double t[4][_SLOTS]
    cdef double inv_width = _inv_width(lo, hi), a
    cdef Py_ssize_t j, k, b, n4 = n - n % 4
    for k in range(4):
        for b in range(_SLOTS):
            c[k][b] = 0.0
            t[k][b] = 0.0
    for j in range(0, n4, 4):
        for k in range(4):
            a = fabs(row[(j + k) * step])
            b = _bin(a, lo, inv_width)
            c[k][b] += 1.0
            t[k][b] += a
    for j in range(n4, n):
        a = fabs(row[j * step])
        b = _bin(a, lo, inv_width)
        c[0][b] += 1.0
        t[0][b] += a
    for b in range(_SLOTS):
        counts[b] += (c[0][b] + c[1][b]) + (c[2][b] + c[3][b])
        sums[b] += (t[0][b] + t[1][b]) + (t[2][b] + t[3][b])


cdef void _histograms(const floating[:, :] y, Work* w, bint groups_are_rows,
                      double* counts, double* sums) noexcept nogil:
    """Slot counts and sums of every candidate group, bands in lower/level.

    Tables are indexed by candidate rank: counts[idx * _SLOTS + slot].  One
    group at a time, strided for columns: the cache lines of consecutive
    columns stay in cache, and one group's tables stay in L1, which beats
    streaming rows through the tables of all groups.
    """
    cdef Py_ssize_t idx, g, k
    cdef Py_ssize_t group_stride = y.strides[0] if groups_are_rows else y.strides[1]
    cdef Py_ssize_t step = _step(y.strides[1] if groups_are_rows else y.strides[0],
                                 sizeof(floating))
    cdef const floating* group
    for k in range(w.n_active * _SLOTS):
        counts[k] = 0.0
        sums[k] = 0.0
    for idx in range(w.n_active):
        g = w.active[idx]
        group = _row(&y[0, 0], group_stride, g)
        if step == 1:
            _histogram_row(group, w.group_size, 1, w.lower[g], w.level[g],
                           counts + idx * _SLOTS, sums + idx * _SLOTS)
        else:
            _histogram_row(group, w.group_size, step, w.lower[g], w.level[g],
                           counts + idx * _SLOTS, sums + idx * _SLOTS)


cdef struct Envelope:
    # One group's exact points of h (decreasing) at increasing levels t, and
    # the counts #{a >= t} there: points 0.._BINS are the bin edges of [L, U].
    double t[_BINS + 1]
    double h[_BINS + 1]
    double c[_BINS + 1]
    double total      # S_g = h(0)
    double top        # M_g, h(M_g) = 0
    double size       # n


cdef void _envelope(Envelope* e, const double* counts, const double* sums, double lo,
                    double hi, double total, double top, double size) noexcept nogil:
    cdef Py_ssize_t k, b
    cdef double width = (hi - lo) / _BINS, count = 0.0, sum_ = 0.0
    e.total = total
    e.top = top
    e.size = size
    # Walk the slots from the top: after slot b, count/sum cover entries >= edge b-1.
    count = counts[_BINS + 1]
    sum_ = sums[_BINS + 1]
    for k in range(_BINS, -1, -1):
        e.t[k] = lo + k * width if k < _BINS else hi
        e.c[k] = count
        e.h[k] = sum_ - e.t[k] * count
        if e.h[k] < 0.0:
            e.h[k] = 0.0
        if k > 0:
            count += counts[k]
            sum_ += sums[k]


cdef inline void _envelope_bounds(const Envelope* e, double theta, double* low,
                                  double* high) noexcept nogil:
    """mu_g(theta) in [low, high], from chords (above) and tangents (below)."""
    cdef Py_ssize_t a = 0, b = _BINS, middle
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
    if theta < e.h[_BINS]:
        # Above the band: between (h_K, U) and (0, M).
        high[0] = e.t[_BINS] + (e.top - e.t[_BINS]) * (e.h[_BINS] - theta) / e.h[_BINS]
        tangent = e.top - theta
        low[0] = tangent if tangent > e.t[_BINS] else e.t[_BINS]
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
        _envelope_bounds(&envelopes[k], theta, &low, &high)
        total += high if upper else low
    return total


cdef double _envelope_root(const Envelope* envelopes, Py_ssize_t n, double eta,
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
        if hi - lo <= 1e-9 * (fabs(hi) + fabs(lo)) or f_lo == 0.0 or f_hi == 0.0:
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


cdef bint _dense_bands(const floating[:, :] y, Work* w, bint groups_are_rows, double eta,
                       double theta_0, double* theta_low, Py_ssize_t* edges_low,
                       Py_ssize_t* edges_high) noexcept nogil:
    """Bracket every mu_g^* by histogram passes.

    On return the last histogram's band of group g is [lower_g, level_g] and
    mu_g^* lies in the bins edges_low[g] + 1 .. edges_high[g] of it, between
    band_low[g] and band_high[g]; the entries above (clipped for any level in
    the band) are counted and summed in above_count/above_sum.  Writes a
    lower bound of theta^* in ``theta_low``.  Returns False when memory ran out.
    """
    cdef Py_ssize_t idx, g, k, n = w.n_active, n_pass
    cdef double theta_high, low, high, band, lo, hi, width, listed
    cdef double* counts = <double*> malloc((n * _SLOTS if n > 0 else 1) * sizeof(double))
    cdef double* sums = <double*> malloc((n * _SLOTS if n > 0 else 1) * sizeof(double))
    cdef Envelope* envelopes = <Envelope*> malloc((n if n > 0 else 1) * sizeof(Envelope))
    if counts == NULL or sums == NULL or envelopes == NULL:
        free(counts)
        free(sums)
        free(envelopes)
        return False
    # Rigorous start: theta_0 <= theta^* <= theta_high (chords from (0, M_g)).
    for idx in range(n):
        g = w.active[idx]
        w.rate[g] = w.maxima[g] / w.sums[g]
        w.level[g] = _chord_level(w, g, theta_0)
    theta_high = _chord_upper_bound(w, eta, 0.0)
    if theta_high == INFINITY:
        theta_high = 0.0
        for idx in range(n):
            g = w.active[idx]
            theta_high = w.sums[g] if w.sums[g] > theta_high else theta_high
    theta_low[0] = theta_0
    for idx in range(n):
        g = w.active[idx]
        low = (w.sums[g] - theta_high) / w.group_size
        low = w.maxima[g] - theta_high if w.maxima[g] - theta_high > low else low
        w.lower[g] = low if low > 0.0 else 0.0
    for idx in range(n):
        g = w.active[idx]
        _widen(&w.lower[g], &w.level[g], w.maxima[g])
    for n_pass in range(_MAX_HISTOGRAMS):
        _histograms(y, w, groups_are_rows, counts, sums)
        for idx in range(n):
            g = w.active[idx]
            _envelope(&envelopes[idx], counts + idx * _SLOTS, sums + idx * _SLOTS,
                      w.lower[g], w.level[g], w.sums[g], w.maxima[g], w.group_size)
        low = _envelope_root(envelopes, n, eta, theta_low[0], theta_high, False)
        theta_high = _envelope_root(envelopes, n, eta, low, theta_high, True)
        theta_low[0] = low * (1.0 - _SLACK)
        theta_high = theta_high * (1.0 + _SLACK)
        # New bands, snapped out to bin edges: [t_lo, t_hi] with
        # t_k = lower + k (level - lower) / _BINS; their entries are counted.
        listed = 0.0
        for idx in range(n):
            g = w.active[idx]
            _envelope_bounds(&envelopes[idx], theta_high, &low, &band)
            _envelope_bounds(&envelopes[idx], theta_low[0], &band, &high)
            width = (w.level[g] - w.lower[g]) / _BINS
            k = <Py_ssize_t> ((low - w.lower[g]) / width)
            edges_low[g] = k if k > 0 else 0
            k = <Py_ssize_t> ((high - w.lower[g]) / width) + 1
            edges_high[g] = k if k < _BINS else _BINS
            for k in range(edges_low[g] + 1, edges_high[g] + 1):
                listed += counts[idx * _SLOTS + k]
        if listed <= _BAND_SHARE * n * w.group_size or n_pass == _MAX_HISTOGRAMS - 1:
            break
        for idx in range(n):
            g = w.active[idx]
            width = (w.level[g] - w.lower[g]) / _BINS
            lo = w.lower[g] + edges_low[g] * width
            hi = w.lower[g] + edges_high[g] * width
            w.lower[g] = lo
            w.level[g] = hi
            _widen(&w.lower[g], &w.level[g], w.maxima[g])
    # The clipped sets (slots above the band) and the band values.
    for idx in range(n):
        g = w.active[idx]
        if _narrow_bands and idx % 2 == 0:
            edges_high[g] = edges_low[g] + 1 if edges_low[g] < _BINS else _BINS
        width = (w.level[g] - w.lower[g]) / _BINS
        w.band_low[g] = w.lower[g] + edges_low[g] * width
        w.band_high[g] = w.lower[g] + edges_high[g] * width
        w.above_count[g] = 0
        w.above_sum[g] = 0.0
        for k in range(edges_high[g] + 1, _SLOTS):
            w.above_count[g] += <Py_ssize_t> counts[idx * _SLOTS + k]
            w.above_sum[g] += sums[idx * _SLOTS + k]
    free(counts)
    free(sums)
    free(envelopes)
    return True


cdef inline void _widen(double* lo, double* hi, double top) noexcept nogil:
    """Give a band a width of at least 1e-12 of the group's max, below the max.

    Then (a - lo) / width stays far below 2**63 for every entry a <= top, and
    the maxima land above the band: the clipped set is never empty.  (When
    mu_g^* is within 1e-10 of M_g the band misses it, and the check after the
    solve gathers the group whole.)
    """
    cdef double ceiling = top * (1.0 - 1e-10)
    hi[0] = hi[0] if hi[0] < ceiling else ceiling
    if hi[0] - lo[0] < 1e-12 * top:
        lo[0] = hi[0] - 1e-12 * top


# ------------------------------------------------------------ step 3c: band gather

cdef inline Py_ssize_t _gather_band_row(const floating* row, Py_ssize_t n, Py_ssize_t step,
                                        double lo, double hi, double* values,
                                        Py_ssize_t pos, Py_ssize_t* count_above,
                                        double* sum_above) noexcept nogil:
    """Gather the entries in (lo, hi); count and sum those >= hi."""
    cdef Py_ssize_t j, count = 0, n2 = n - n % 2
    cdef double a, b, s0 = 0.0, s1 = 0.0
    for j in range(0, n2, 2):
        a = fabs(row[j * step])
        values[pos] = a
        pos += (a > lo) & (a < hi)
        count += a >= hi
        s0 += a if a >= hi else 0.0
        b = fabs(row[(j + 1) * step])
        values[pos] = b
        pos += (b > lo) & (b < hi)
        count += b >= hi
        s1 += b if b >= hi else 0.0
    if n2 < n:
        a = fabs(row[n2 * step])
        values[pos] = a
        pos += (a > lo) & (a < hi)
        count += a >= hi
        s0 += a if a >= hi else 0.0
    count_above[0] = count
    sum_above[0] = s0 + s1
    return pos


cdef bint _gather_bands(const floating[:, :] y, Work* w, bint groups_are_rows,
                        const Py_ssize_t* subset, Py_ssize_t n_subset,
                        Py_ssize_t* capacity) noexcept nogil:
    """Append the lists of the groups in ``subset``: entries in (lower_g, level_g).

    Entries at or above level_g are counted and summed, those at or below
    lower_g dropped.
    """
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1]
    cdef Py_ssize_t step = _step(y.strides[1], sizeof(floating))
    cdef Py_ssize_t group_stride = y.strides[0] if groups_are_rows else y.strides[1]
    cdef Py_ssize_t group_step = step if groups_are_rows else _step(y.strides[0],
                                                                    sizeof(floating))
    cdef Py_ssize_t i, j, idx, g, pos, total, pair_capacity = 0, count
    cdef const floating* base = &y[0, 0]
    cdef const floating* row
    cdef double a, total_above
    cdef bint up
    cdef double* values = NULL
    cdef int32_t* groups = NULL
    cdef Py_ssize_t* fill = w.length
    if groups_are_rows or 4 * n_subset < n_cols or n_cols > INT32_MAX:
        pos = w.n_values
        for idx in range(n_subset):
            g = subset[idx]
            if not _reserve(&w.values, NULL, capacity, pos + w.group_size):
                return False
            row = _row(base, group_stride, g)
            w.start[g] = pos
            if group_step == 1:
                pos = _gather_band_row(row, w.group_size, 1, w.lower[g], w.level[g],
                                       w.values, pos, &count, &total_above)
            else:
                pos = _gather_band_row(row, w.group_size, group_step, w.lower[g],
                                       w.level[g], w.values, pos, &count, &total_above)
            w.length[g] = pos - w.start[g]
            w.above_count[g] = count
            w.above_sum[g] = total_above
        w.n_values = pos
        return True
    # Columns of a row-major matrix: stream the rows, bucket by column after.
    for j in range(n_cols):
        w.guess[j] = INFINITY       # lower level: nothing of the others is gathered
        w.inv_count[j] = INFINITY   # upper level
    for idx in range(n_subset):
        g = subset[idx]
        w.guess[g] = w.lower[g]
        w.inv_count[g] = w.level[g]
        w.above_count[g] = 0
        w.above_sum[g] = 0.0
    pos = 0
    for i in range(n_rows):
        if not _reserve(&values, &groups, &pair_capacity, pos + n_cols):
            return _bucket_pairs(w, values, groups, -1, subset, n_subset, fill, capacity)
        row = _row(base, y.strides[0], i)
        for j in range(n_cols):
            a = fabs(row[j * step])
            values[pos] = a
            groups[pos] = <int32_t> j
            pos += (a > w.guess[j]) & (a < w.inv_count[j])
            up = a >= w.inv_count[j]
            w.above_count[j] += up
            w.above_sum[j] += a if up else 0.0
    return _bucket_pairs(w, values, groups, pos, subset, n_subset, fill, capacity)


cdef inline Py_ssize_t _gather_bins_row(const floating* row, Py_ssize_t n, Py_ssize_t step,
                                        double lo, double inv_width, Py_ssize_t first,
                                        Py_ssize_t last, double* values,
                                        Py_ssize_t pos) noexcept nogil:
    """Gather the entries whose slot lies in first..last."""
    cdef Py_ssize_t j, b
    cdef double a
    for j in range(n):
        a = fabs(row[j * step])
        values[pos] = a
        pos += _in_slots(a, lo, inv_width, first, last)
    return pos


cdef bint _gather_bins(const floating[:, :] y, Work* w, bint groups_are_rows,
                       const Py_ssize_t* edges_low, const Py_ssize_t* edges_high,
                       Py_ssize_t* capacity) noexcept nogil:
    """Gather the entries in the band bins of every candidate group.

    The slots are those of the last histogram (same expression), so the
    counts and sums above the band computed from it match the lists exactly.
    """
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1]
    cdef Py_ssize_t step = _step(y.strides[1], sizeof(floating))
    cdef Py_ssize_t group_stride = y.strides[0] if groups_are_rows else y.strides[1]
    cdef Py_ssize_t group_step = step if groups_are_rows else _step(y.strides[0],
                                                                    sizeof(floating))
    cdef Py_ssize_t i, j, idx, g, b, pos, pair_capacity = 0
    cdef const floating* base = &y[0, 0]
    cdef const floating* row
    cdef double a
    cdef double* values = NULL
    cdef int32_t* groups = NULL
    cdef Py_ssize_t* fill = w.length
    if groups_are_rows or 4 * w.n_active < n_cols or n_cols > INT32_MAX:
        pos = w.n_values
        for idx in range(w.n_active):
            g = w.active[idx]
            if not _reserve(&w.values, NULL, capacity, pos + w.group_size):
                return False
            row = _row(base, group_stride, g)
            w.start[g] = pos
            if group_step == 1:
                pos = _gather_bins_row(row, w.group_size, 1, w.lower[g],
                                       _inv_width(w.lower[g], w.level[g]),
                                       edges_low[g] + 1, edges_high[g], w.values, pos)
            else:
                pos = _gather_bins_row(row, w.group_size, group_step, w.lower[g],
                                       _inv_width(w.lower[g], w.level[g]),
                                       edges_low[g] + 1, edges_high[g], w.values, pos)
            w.length[g] = pos - w.start[g]
        w.n_values = pos
        return True
    # Columns of a row-major matrix: stream the rows, bucket by column after.
    # Other columns get an empty range of slots.
    for j in range(n_cols):
        w.guess[j] = 0.0
        w.inv_count[j] = 0.0
        w.rate[j] = _SLOTS        # first slot (as a double): an empty range
        w.list_max[j] = -1.0      # last slot
    for idx in range(w.n_active):
        g = w.active[idx]
        w.guess[g] = w.lower[g]
        w.inv_count[g] = _inv_width(w.lower[g], w.level[g])
        w.rate[g] = edges_low[g] + 1
        w.list_max[g] = edges_high[g]
    pos = 0
    for i in range(n_rows):
        if not _reserve(&values, &groups, &pair_capacity, pos + n_cols):
            return _bucket_pairs(w, values, groups, -1, w.active, w.n_active, fill, capacity)
        row = _row(base, y.strides[0], i)
        for j in range(n_cols):
            a = fabs(row[j * step])
            values[pos] = a
            groups[pos] = <int32_t> j
            pos += _in_slots(a, w.guess[j], w.inv_count[j], <Py_ssize_t> w.rate[j],
                             <Py_ssize_t> w.list_max[j])
    return _bucket_pairs(w, values, groups, pos, w.active, w.n_active, fill, capacity)


cdef Py_ssize_t _band_violations(Work* w, double theta, Py_ssize_t* failed) noexcept nogil:
    """Groups whose level at theta left their band (the band model is exact inside)."""
    cdef Py_ssize_t idx, g, n_failed = 0
    cdef double mu
    for idx in range(w.n_active):
        g = w.active[idx]
        mu = (w.above_sum[g] - theta) * w.inv_count[g]
        if mu < w.band_low[g] * (1.0 - 1e-12) or mu > w.band_high[g] * (1.0 + 1e-12):
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


cdef double _newton_step(Work* w, double eta) noexcept nogil:
    """theta(V) for the current clipped sets of the live groups."""
    cdef Py_ssize_t idx, g
    cdef double numerator = 0.0, denominator = 0.0
    for idx in range(w.n_active):
        g = w.active[idx]
        numerator += w.above_sum[g] * w.inv_count[g]
        denominator += w.inv_count[g]
    return (numerator - eta) / denominator


cdef bint _consistent(Work* w, double theta) noexcept nogil:
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


cdef double _sorted_finish(Work* w, double eta, double theta) noexcept nogil:
    """Water-filling on sorted lists from a lower bound (Perez et al.).

    Every move (clip the next entry of a group above its level, drop a group
    with S_g <= theta) raises the lower bound theta(V); none is left at the
    optimum.  Uses ``level`` as the per-group cursor.
    """
    cdef Py_ssize_t idx, g, kept, cursor
    cdef double mu
    cdef double* v
    cdef bint changed = True
    for idx in range(w.n_active):
        g = w.active[idx]
        qsort(w.values + w.start[g], w.length[g], sizeof(double), _compare_descending)
        w.guess[g] = 0   # cursor into the sorted list
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
            cursor = <Py_ssize_t> w.guess[g]
            mu = (w.above_sum[g] - theta) / w.above_count[g]
            while cursor < w.length[g] and v[cursor] > mu:
                w.above_sum[g] += v[cursor]
                w.above_count[g] += 1
                cursor += 1
                mu = (w.above_sum[g] - theta) / w.above_count[g]
                changed = True
            w.guess[g] = cursor
        w.n_active = kept
    # Leave consistent lists: the entries clipped here leave them.
    for idx in range(w.n_active):
        g = w.active[idx]
        cursor = <Py_ssize_t> w.guess[g]
        w.start[g] += cursor
        w.length[g] -= cursor
        w.list_max[g] = w.values[w.start[g]] if w.length[g] > 0 else 0.0
    return theta


cdef double _solve(Work* w, double eta, double theta_t, int* rounds) noexcept nogil:
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
        theta_plus = _chord_upper_bound(w, eta, theta_t)
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


# ------------------------------------------------------------ step 5: write

cdef void _write(const floating[:, :] y, floating[:, :] x, const floating* levels,
                 const Py_ssize_t* kept, Py_ssize_t n_kept,
                 bint groups_are_rows) noexcept nogil:
    """x = clip(y, level of its group); zero groups are written, not read.

    When few groups are kept and ``x`` is a contiguous array apart from ``y``,
    ``x`` is zeroed with one memset and only the kept groups are written.
    Kept columns are scattered over every row's cache lines, so for column
    groups "few" means 8 times fewer.
    """
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1], i, k, g
    cdef Py_ssize_t n_groups = n_rows if groups_are_rows else n_cols
    cdef Py_ssize_t ys = _step(y.strides[1], sizeof(floating))
    cdef Py_ssize_t xs = _step(x.strides[1], sizeof(floating))
    cdef const floating* src
    cdef floating* dst
    cdef bint unit = ys == 1 and xs == 1
    if (n_kept * SPARSE_WRITE_DIVISOR * (1 if groups_are_rows else 8) < n_groups
            and <const void*> &x[0, 0] != <const void*> &y[0, 0]
            and zero_if_contiguous(x)):
        for k in range(n_kept):
            g = kept[k]
            if groups_are_rows:
                clip_row(_row(&y[0, 0], y.strides[0], g), &x[g, 0], n_cols, ys, 1,
                          levels[g])
        if not groups_are_rows:
            for i in range(n_rows):
                src = _row(&y[0, 0], y.strides[0], i)
                dst = &x[i, 0]
                for k in range(n_kept):
                    g = kept[k]
                    dst[g] = clip(src[g * ys], levels[g])
        return
    for i in range(n_rows):
        src = _row(&y[0, 0], y.strides[0], i)
        dst = &x[i, 0]
        if groups_are_rows:
            if levels[i] == 0:
                if xs == 1:
                    zero_row(dst, n_cols, 1)
                else:
                    zero_row(dst, n_cols, xs)
            elif unit:
                clip_row(src, dst, n_cols, 1, 1, levels[i])
            else:
                clip_row(src, dst, n_cols, ys, xs, levels[i])
        elif unit:
            clip_columns(src, dst, n_cols, 1, 1, levels)
        else:
            clip_columns(src, dst, n_cols, ys, xs, levels)


# ------------------------------------------------------------ driver

cdef int _project(const floating[:, :] y, floating[:, :] x, double eta,
                  bint groups_are_rows, double* mu, double* theta_out,
                  int* rounds) noexcept nogil:
    cdef Py_ssize_t n_groups = y.shape[0] if groups_are_rows else y.shape[1]
    cdef Py_ssize_t group_size = y.shape[1] if groups_are_rows else y.shape[0]
    cdef Py_ssize_t g, idx, kept, n_failed, capacity
    cdef Py_ssize_t* failed = NULL
    cdef double total_max = 0.0, theta_0, theta, guess, level
    cdef floating* levels
    cdef bint finite = True, dense
    cdef int status
    cdef Work w
    theta_out[0] = 0.0
    rounds[0] = 0
    if not _alloc_work(&w, n_groups, group_size, mu):
        _free_work(&w)
        return STATUS_NOMEMORY

    _sums_and_maxima(y, &w, groups_are_rows)
    for g in range(n_groups):
        finite = finite and (w.sums[g] - w.sums[g] == 0.0)
        total_max += w.maxima[g]
    if not finite:
        # NaN or inf, or finite entries whose group sums overflow: the Python
        # layer tells them apart and rescales the latter (run_kernel).
        _free_work(&w)
        return STATUS_NONFINITE
    if total_max <= eta:
        copy_matrix(y, x)
        _free_work(&w)
        return STATUS_INSIDE

    theta_0 = _initial_lower_bound(&w, eta)
    for g in range(n_groups):
        if w.sums[g] > theta_0:
            w.active[w.n_active] = g
            w.n_active += 1
            w.lower[g] = 0.0

    status = _gather_candidates(y, &w, groups_are_rows, theta_0)
    if status == 0:
        _free_work(&w)
        return STATUS_NOMEMORY
    dense = status == 2
    theta = theta_0
    if dense:
        w.band_low = <double*> malloc(n_groups * sizeof(double))
        w.band_high = <double*> malloc(n_groups * sizeof(double))
        failed = <Py_ssize_t*> malloc(3 * n_groups * sizeof(Py_ssize_t))
        capacity = 0
        w.n_values = 0
        if (w.band_low == NULL or w.band_high == NULL or failed == NULL
                or not _dense_bands(y, &w, groups_are_rows, eta, theta_0, &theta,
                                    failed + n_groups, failed + 2 * n_groups)):
            free(failed)
            _free_work(&w)
            return STATUS_NOMEMORY
        if not _gather_bins(y, &w, groups_are_rows, failed + n_groups,
                            failed + 2 * n_groups, &capacity):
            free(failed)
            _free_work(&w)
            return STATUS_NOMEMORY
        for idx in range(w.n_active):
            g = w.active[idx]
            # The lists hold the entries in the band: drop nothing else.
            w.lower[g] = 0.0
            guess = ((w.above_sum[g] - theta) / w.above_count[g] if w.above_count[g] > 0
                     else 0.0)
            w.guess[g] = guess if guess > w.band_low[g] else w.band_low[g]
    else:
        for idx in range(w.n_active):
            g = w.active[idx]
            guess = (w.above_sum[g] - theta_0) / w.above_count[g]
            level = (w.sums[g] - theta_0) / group_size
            guess = level if level > guess else guess
            level = w.maxima[g] - theta_0
            guess = level if level > guess else guess
            w.guess[g] = guess if guess > 0.0 else 0.0

    theta = _solve(&w, eta, theta, rounds)
    if dense:
        # The band model is exact for levels inside the bands; a group whose
        # level left its band is gathered whole and the solve goes on from
        # theta, still a lower bound of theta^*.
        n_failed = _band_violations(&w, theta, failed)
        while n_failed > 0:
            for idx in range(n_failed):
                g = failed[idx]
                w.lower[g] = 0.0
                w.level[g] = w.maxima[g]
                # Whole groups are exact at any level: they never fail again,
                # so this loop ends.
                w.band_low[g] = -INFINITY
                w.band_high[g] = INFINITY
            if not _gather_bands(y, &w, groups_are_rows, failed, n_failed, &capacity):
                free(failed)
                _free_work(&w)
                return STATUS_NOMEMORY
            for idx in range(w.n_active):
                g = w.active[idx]
                guess = (w.above_sum[g] - theta) / w.above_count[g]
                w.guess[g] = guess if guess > w.lower[g] else w.lower[g]
            theta = _solve(&w, eta, theta, rounds)
            n_failed = _band_violations(&w, theta, failed)
        free(failed)

    # The levels in the input's precision (the clip compares in it); the kept
    # groups listed in ``active``.
    levels = <floating*> w.rate
    for g in range(n_groups):
        mu[g] = 0.0
        levels[g] = 0
    kept = 0
    for idx in range(w.n_active):
        g = w.active[idx]
        level = (w.above_sum[g] - theta) / w.above_count[g]
        if level > 0.0:
            mu[g] = level
            levels[g] = <floating> level
            w.active[kept] = g
            kept += 1
    _write(y, x, levels, w.active, kept, groups_are_rows)
    _free_work(&w)
    theta_out[0] = theta
    return STATUS_PROJECTED


def l1inf_ball(const floating[:, :] y, floating[:, :] x, double eta,
               bint groups_are_rows, double[::1] mu):
    """Project ``y`` onto {sum_g max_i |x_ig| <= eta} into ``x``.

    Group g is ``y[g, :]`` when ``groups_are_rows`` else ``y[:, g]``.  ``x``
    may share ``y``'s memory.  ``mu`` (one slot per group) receives the
    clipping levels (the group maxima when ``y`` is inside the ball).  The
    caller guarantees ``eta > 0`` and a non-empty ``y``.

    Returns ``(status, theta)``.
    """
    cdef double theta = 0.0
    cdef int status, rounds
    with nogil:
        status = _project(y, x, eta, groups_are_rows, &mu[0], &theta, &rounds)
    return status, theta


def _set_testing(int max_rounds=60, bint force_dense=False, bint narrow_bands=False):
    """Testing hook: exercise the safety nets on small problems.

    ``max_rounds`` caps the Newton rounds (0 sends every case to the sorted
    finish); ``force_dense`` takes the dense-regime path whatever the data;
    ``narrow_bands`` makes its bands too narrow for half of the groups (the
    check after the solve must then gather them whole).
    """
    global _max_rounds, _force_dense, _narrow_bands
    _max_rounds = max_rounds
    _force_dense = force_dense
    _narrow_bands = narrow_bands
