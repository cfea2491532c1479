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
2. O(G) work brackets the answer with the crude per-group bounds
   :math:`\max((S_g - \theta)/n, M_g - \theta) \le \mu_g(\theta) \le
   M_g (1 - \theta/S_g)`: a lower bound :math:`\theta_0 \le \theta^*` (a few
   Newton steps on the lower envelope, exact for a convex piecewise-linear
   function approached from the left), the *candidate* groups
   :math:`S_g > \theta_0` (all others are provably zero), and for each one an
   upper level :math:`U_g \ge \mu_g(\theta_0) \ge \mu_g^*`.
3. One read pass over the candidate groups only: entries :math:`\ge U_g` are
   certainly clipped and only counted and summed; the entries in
   :math:`(0, U_g)` are gathered into a work buffer (for column groups of a
   row-major matrix, with their group index, then bucketed by group).  No
   other entry of the matrix is read again before the final write.
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
   ``_MAX_ROUNDS`` rounds.
5. One pass writes :math:`x = \operatorname{sign}(y)\min(|y|, \mu_g)`; zeroed
   groups are written without being read.

Complexity
----------
Time :math:`O(nm + G + R \cdot L)`: three streaming passes over the matrix
(read, read of the candidate groups, write), :math:`L \le nm` gathered
entries (those of the candidate groups below the crude level :math:`U_g`) and
:math:`R` Newton rounds, each linear in the lists that are left.  On Gaussian
matrices :math:`L` is 5-15 % of the candidate entries, the lists shrink by
orders of magnitude after the first round and :math:`R \le 6`; the measured
cost is 1.1-1.8 times that of the bi-level projection.  The worst case is
:math:`O(nm \log(nm))` (the sort-based finish).  No sort and no heap is used
otherwise.

Memory: O(G) work arrays, the gathered entries (8 bytes each, plus a 4-byte
group index and one bucketing copy for column groups of a row-major matrix;
grown on demand, at most the candidate groups' entries), and one scratch
vector of the group length.  The matrix itself is never copied.

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
from libc.stdint cimport int32_t
from libc.stdlib cimport free, malloc, qsort, realloc
from cython cimport floating
from posix.time cimport clock_gettime, timespec, CLOCK_MONOTONIC

cdef double _T[8]
cdef inline double _now() noexcept nogil:
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec + 1e-9 * ts.tv_nsec

def _timings():
    return [_T[i] for i in range(8)]

from skproj.projections._common cimport clip, copy_matrix, fill_zero_row
from skproj.projections._l1 cimport (
    STATUS_INSIDE, STATUS_NOMEMORY, STATUS_NONFINITE, STATUS_PROJECTED,
)

cdef enum:
    # Newton rounds before the sort-based finish takes over.
    _MAX_ROUNDS = 60
    # Newton steps for the O(G) bounds (each one is a valid bound on its own).
    _MAX_BOUND_STEPS = 40

# Relative slack on the bounds so that rounding never makes them cross.
cdef double _SLACK = 1e-12
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
    w.active = <Py_ssize_t*> malloc(g * sizeof(Py_ssize_t))
    w.scratch = <double*> malloc((group_size if group_size > 0 else 1) * sizeof(double))
    w.values = NULL
    w.n_values = 0
    w.n_active = 0
    return not (w.sums == NULL or w.level == NULL or w.lower == NULL
                or w.guess == NULL or w.above_sum == NULL or w.above_count == NULL
                or w.start == NULL or w.length == NULL or w.list_max == NULL
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


cdef void _sums_and_maxima(const floating[:, :] y, Work* w,
                           bint groups_are_rows) noexcept nogil:
    """S_g and M_g in one pass in memory order (NaN/inf make S_g non-finite)."""
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1], i, j
    cdef Py_ssize_t step = _step(y.strides[1], sizeof(floating))
    if groups_are_rows:
        for i in range(n_rows):
            if step == 1:
                w.sums[i] = _row_sum_max(_row(&y[0, 0], y.strides[0], i), n_cols, 1, &w.maxima[i])
            else:
                w.sums[i] = _row_sum_max(_row(&y[0, 0], y.strides[0], i), n_cols, step, &w.maxima[i])
    else:
        for j in range(n_cols):
            w.sums[j] = 0.0
            w.maxima[j] = 0.0
        for i in range(n_rows):
            if step == 1:
                _columns_sum_max(_row(&y[0, 0], y.strides[0], i), n_cols, 1, w.sums, w.maxima)
            else:
                _columns_sum_max(_row(&y[0, 0], y.strides[0], i), n_cols, step, w.sums, w.maxima)


cdef bint _has_nonfinite(const floating[:, :] y) noexcept nogil:
    cdef Py_ssize_t i, j
    cdef double flag = 0.0
    for i in range(y.shape[0]):
        for j in range(y.shape[1]):
            flag += y[i, j] * 0.0
    return flag != 0.0


# ------------------------------------------------------------ step 2: O(G) bounds

cdef double _initial_lower_bound(Work* w, double eta) noexcept nogil:
    r"""theta_0 <= theta^*: Newton from the left on the lower envelope of F.

    Each group contributes max((S - theta)/n, M - theta, 0) <= mu_g(theta); the
    envelope is convex piecewise linear, so every Newton iterate started at 0
    stays below its root, itself below theta^*.
    """
    cdef Py_ssize_t g, it
    cdef double theta = 0.0, total, slope, by_max, by_sum
    cdef double inv_n = 1.0 / w.group_size
    for it in range(_MAX_BOUND_STEPS):
        total = 0.0
        slope = 0.0
        for g in range(w.n_groups):
            if w.sums[g] <= theta:
                continue
            by_max = w.maxima[g] - theta
            by_sum = (w.sums[g] - theta) * inv_n
            if by_max > by_sum:
                total += by_max
                slope += 1.0
            else:
                total += by_sum
                slope += inv_n
        if total <= eta * (1.0 + _SLACK) or slope == 0.0:
            break
        theta += (total - eta) / slope
    return theta * (1.0 - _SLACK)


cdef double _chord_upper_bound(Work* w, double eta, double theta_t) noexcept nogil:
    r"""theta^+ >= theta^* from the chords of the mu_g between theta_t and S_g.

    mu_g(theta) <= level_g (S_g - theta)_+ / (S_g - theta_t) for theta >= theta_t;
    the root of the sum is found by Newton from the left (finite: the only
    kinks are the S_g).  Returns INFINITY when it does not settle.
    """
    cdef Py_ssize_t idx, g, it
    cdef double theta = theta_t, total, slope, rate
    for it in range(_MAX_BOUND_STEPS):
        total = 0.0
        slope = 0.0
        for idx in range(w.n_active):
            g = w.active[idx]
            if w.sums[g] <= theta:
                continue
            rate = w.level[g] / (w.sums[g] - theta_t)
            total += rate * (w.sums[g] - theta)
            slope += rate
        if total <= eta * (1.0 + _SLACK) or slope == 0.0:
            return theta + _SLACK * (fabs(theta) + 1e-300) + 4 * _SLACK * (theta - theta_t)
        theta += (total - eta) / slope
    return INFINITY


# ------------------------------------------------------------ step 3: gather

cdef bint _gather_rows(const floating[:, :] y, Work* w) noexcept nogil:
    """Candidate rows: count/sum entries >= U_g, gather those in (0, U_g)."""
    cdef Py_ssize_t n_cols = y.shape[1], idx, g, j, pos = 0, capacity = 0, count
    cdef Py_ssize_t step = _step(y.strides[1], sizeof(floating))
    cdef const floating* row
    cdef double a, u, total
    cdef double* values = NULL
    cdef bint is_above
    for idx in range(w.n_active):
        g = w.active[idx]
        if not _reserve(&values, NULL, &capacity, pos + n_cols):
            free(values)
            return False
        row = _row(&y[0, 0], y.strides[0], g)
        u = w.level[g]
        count = 0
        total = 0.0
        w.start[g] = pos
        for j in range(n_cols):
            a = fabs(row[j * step])
            values[pos] = a
            pos += (a > 0.0) & (a < u)
            is_above = a >= u
            count += is_above
            total += a if is_above else 0.0
        w.length[g] = pos - w.start[g]
        w.above_count[g] = count
        w.above_sum[g] = total
    w.values = values
    w.n_values = pos
    return True


cdef inline Py_ssize_t _gather_row_all(const floating* row, Py_ssize_t n, Py_ssize_t step,
                                       const double* upper, double* values,
                                       int32_t* groups, Py_ssize_t pos,
                                       Py_ssize_t* above_count,
                                       double* above_sum) noexcept nogil:
    cdef Py_ssize_t j
    cdef double a, u
    cdef bint is_above
    for j in range(n):
        a = fabs(row[j * step])
        u = upper[j]
        values[pos] = a
        groups[pos] = <int32_t> j
        pos += (a > 0.0) & (a < u)
        is_above = a >= u
        above_count[j] += is_above
        above_sum[j] += a if is_above else 0.0
    return pos


cdef bint _gather_columns(const floating[:, :] y, Work* w) noexcept nogil:
    """Candidate columns of a row-major matrix, streamed row by row.

    Entries are gathered with their column index, then bucketed by column.
    When few columns are candidates only those are visited.
    """
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1]
    cdef Py_ssize_t step = _step(y.strides[1], sizeof(floating))
    cdef Py_ssize_t i, j, idx, g, pos = 0, capacity = 0, total
    cdef const floating* row
    cdef double a, u
    cdef bint is_above, sparse_visit = 4 * w.n_active < n_cols
    cdef double* values = NULL
    cdef int32_t* groups = NULL
    cdef double* bucketed
    cdef Py_ssize_t* fill = w.length   # reused as a cursor while bucketing

    for idx in range(w.n_active):
        g = w.active[idx]
        w.above_count[g] = 0
        w.above_sum[g] = 0.0
    if not sparse_visit:
        # Non-candidate columns: upper 0 sends every entry to the unused
        # "above" counters, so the loop needs no test.
        for j in range(n_cols):
            w.guess[j] = 0.0
        for idx in range(w.n_active):
            w.guess[w.active[idx]] = w.level[w.active[idx]]
    for i in range(n_rows):
        if not _reserve(&values, &groups, &capacity,
                        pos + (w.n_active if sparse_visit else n_cols)):
            free(values)
            free(groups)
            return False
        row = _row(&y[0, 0], y.strides[0], i)
        if sparse_visit:
            for idx in range(w.n_active):
                g = w.active[idx]
                a = fabs(row[g * step])
                u = w.level[g]
                values[pos] = a
                groups[pos] = <int32_t> g
                pos += (a > 0.0) & (a < u)
                is_above = a >= u
                w.above_count[g] += is_above
                w.above_sum[g] += a if is_above else 0.0
        elif step == 1:
            pos = _gather_row_all(row, n_cols, 1, w.guess, values, groups, pos,
                                  w.above_count, w.above_sum)
        else:
            pos = _gather_row_all(row, n_cols, step, w.guess, values, groups, pos,
                                  w.above_count, w.above_sum)

    # Bucket by column (counting sort).
    for idx in range(w.n_active):
        w.length[w.active[idx]] = 0
    for i in range(pos):
        w.length[groups[i]] += 1
    total = 0
    for idx in range(w.n_active):
        g = w.active[idx]
        w.start[g] = total
        total += w.length[g]
        fill[g] = w.start[g]
    bucketed = <double*> malloc((pos if pos > 0 else 1) * sizeof(double))
    if bucketed == NULL:
        free(values)
        free(groups)
        return False
    for i in range(pos):
        g = groups[i]
        bucketed[fill[g]] = values[i]
        fill[g] += 1
    for idx in range(w.n_active):
        g = w.active[idx]
        w.length[g] = fill[g] - w.start[g]
    free(values)
    free(groups)
    w.values = bucketed
    w.n_values = pos
    return True


# ------------------------------------------------------------ step 4: Newton rounds

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
    and the entries above mu_g(theta) have joined the clipped set.
    """
    cdef Py_ssize_t n = length[0], i, kept = 0, waiting = 0, count
    cdef Py_ssize_t clipped = above_count[0]
    cdef double clipped_sum = above_sum[0], c, total = 0.0, smallest = INFINITY
    cdef double largest_kept = 0.0, new_mu
    cdef bint up, keep
    for i in range(n):
        c = v[i]
        up = c > mu
        keep = (c > lower) & (not up)
        v[kept] = c
        kept += keep
        scratch[waiting] = c
        waiting += up
        total += c if up else 0.0
        smallest = c if (up and c < smallest) else smallest
        largest_kept = c if (keep and c > largest_kept) else largest_kept
    while True:
        count = clipped + waiting
        new_mu = (clipped_sum + total - theta) / count
        if smallest > new_mu or new_mu <= mu:
            break
        mu = new_mu
        n = waiting
        waiting = 0
        total = 0.0
        smallest = INFINITY
        for i in range(n):
            c = scratch[i]
            up = c > mu
            v[kept] = c
            kept += not up
            scratch[waiting] = c
            waiting += up
            total += c if up else 0.0
            smallest = c if (up and c < smallest) else smallest
            largest_kept = c if ((not up) and c > largest_kept) else largest_kept
    above_sum[0] = clipped_sum + total
    above_count[0] = clipped + waiting
    length[0] = kept
    list_max[0] = largest_kept
    return new_mu


cdef void _newton_step(Work* w, double eta, double* theta) noexcept nogil:
    """theta(V) for the current clipped sets of the live groups."""
    cdef Py_ssize_t idx, g
    cdef double numerator = 0.0, denominator = 0.0, inv
    for idx in range(w.n_active):
        g = w.active[idx]
        inv = 1.0 / w.above_count[g]
        numerator += w.above_sum[g] * inv
        denominator += inv
    theta[0] = (numerator - eta) / denominator


cdef bint _consistent(Work* w, double theta) noexcept nogil:
    """Does the linear model at ``theta`` satisfy the optimality conditions?"""
    cdef Py_ssize_t idx, g
    cdef double mu
    for idx in range(w.n_active):
        g = w.active[idx]
        mu = (w.above_sum[g] - theta) / w.above_count[g]
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
        _newton_step(w, eta, &theta)
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
    return theta


cdef double _solve(Work* w, double eta, double theta_t, int* rounds) noexcept nogil:
    """Newton rounds from theta_t <= theta^*; returns theta^* (levels in above_*)."""
    cdef Py_ssize_t idx, g, kept, r
    cdef double theta_next, theta_plus, inv, tangent
    for r in range(_MAX_ROUNDS):
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
        w.n_active = kept
        if kept == 0:
            return theta_t
        _newton_step(w, eta, &theta_next)
        if _consistent(w, theta_next):
            return theta_next
        if theta_next <= theta_t:
            break
        theta_plus = _chord_upper_bound(w, eta, theta_t)
        for idx in range(w.n_active):
            g = w.active[idx]
            inv = 1.0 / w.above_count[g]
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

cdef inline void _clip_row(const floating* src, floating* dst, Py_ssize_t n,
                           Py_ssize_t src_step, Py_ssize_t dst_step,
                           double level) noexcept nogil:
    cdef Py_ssize_t j
    for j in range(n):
        dst[j * dst_step] = clip(src[j * src_step], level)


cdef inline void _clip_columns(const floating* src, floating* dst, Py_ssize_t n,
                               Py_ssize_t src_step, Py_ssize_t dst_step,
                               const double* levels) noexcept nogil:
    cdef Py_ssize_t j
    for j in range(n):
        dst[j * dst_step] = clip(src[j * src_step], levels[j])


cdef void _write(const floating[:, :] y, floating[:, :] x, const double* mu,
                 bint groups_are_rows) noexcept nogil:
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1], i
    cdef Py_ssize_t ys = _step(y.strides[1], sizeof(floating))
    cdef Py_ssize_t xs = _step(x.strides[1], sizeof(floating))
    cdef floating* dst
    for i in range(n_rows):
        dst = <floating*> (<char*> &x[0, 0] + i * x.strides[0])
        if groups_are_rows:
            if mu[i] == 0.0:
                fill_zero_row(x, i)
            elif ys == 1 and xs == 1:
                _clip_row(_row(&y[0, 0], y.strides[0], i), dst, n_cols, 1, 1, mu[i])
            else:
                _clip_row(_row(&y[0, 0], y.strides[0], i), dst, n_cols, ys, xs, mu[i])
        elif ys == 1 and xs == 1:
            _clip_columns(_row(&y[0, 0], y.strides[0], i), dst, n_cols, 1, 1, mu)
        else:
            _clip_columns(_row(&y[0, 0], y.strides[0], i), dst, n_cols, ys, xs, mu)


# ------------------------------------------------------------ driver

cdef int _project(const floating[:, :] y, floating[:, :] x, double eta,
                  bint groups_are_rows, double* mu, double* theta_out,
                  int* rounds) noexcept nogil:
    cdef Py_ssize_t n_groups = y.shape[0] if groups_are_rows else y.shape[1]
    cdef Py_ssize_t group_size = y.shape[1] if groups_are_rows else y.shape[0]
    cdef Py_ssize_t g, idx
    cdef double total_max = 0.0, theta_0, theta, upper, guess, level
    cdef bint finite = True, ok
    cdef Work w
    theta_out[0] = 0.0
    rounds[0] = 0
    if not _alloc_work(&w, n_groups, group_size, mu):
        _free_work(&w)
        return STATUS_NOMEMORY

    cdef double t0 = _now()
    _sums_and_maxima(y, &w, groups_are_rows)
    _T[0] = _now() - t0
    for g in range(n_groups):
        finite = finite and (w.sums[g] - w.sums[g] == 0.0)
        total_max += w.maxima[g]
    if not finite and _has_nonfinite(y):
        _free_work(&w)
        return STATUS_NONFINITE
    # (Finite entries whose group sums overflow are left to the arithmetic.)
    if total_max <= eta:
        copy_matrix(y, x)
        _free_work(&w)
        return STATUS_INSIDE

    theta_0 = _initial_lower_bound(&w, eta)
    for g in range(n_groups):
        if w.sums[g] > theta_0:
            w.active[w.n_active] = g
            w.n_active += 1
            # Chord of mu_g between (0, M_g) and (S_g, 0), slightly raised.
            upper = w.maxima[g] * (1.0 - theta_0 / w.sums[g]) * (1.0 + 1e-9)
            w.level[g] = upper if upper < w.maxima[g] else w.maxima[g]
            w.lower[g] = 0.0

    _T[1] = _now() - t0
    if groups_are_rows:
        ok = _gather_rows(y, &w)
    else:
        ok = _gather_columns(y, &w)
    if not ok:
        _free_work(&w)
        return STATUS_NOMEMORY

    for idx in range(w.n_active):
        g = w.active[idx]
        guess = (w.above_sum[g] - theta_0) / w.above_count[g]
        level = (w.sums[g] - theta_0) / group_size
        guess = level if level > guess else guess
        level = w.maxima[g] - theta_0
        guess = level if level > guess else guess
        w.guess[g] = guess if guess > 0.0 else 0.0

    _T[2] = _now() - t0
    theta = _solve(&w, eta, theta_0, rounds)
    _T[3] = _now() - t0
    _T[5] = w.n_values

    for g in range(n_groups):
        mu[g] = 0.0
    for idx in range(w.n_active):
        g = w.active[idx]
        level = (w.above_sum[g] - theta) / w.above_count[g]
        mu[g] = level if level > 0.0 else 0.0
    _free_work(&w)
    _write(y, x, mu, groups_are_rows)
    _T[4] = _now() - t0
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


def _l1inf_ball_rounds(const floating[:, :] y, floating[:, :] x, double eta,
                       bint groups_are_rows, double[::1] mu):
    """Like ``l1inf_ball`` but also return the number of Newton rounds (for tests).

    A negative count means the sort-based finish was needed.
    """
    cdef double theta = 0.0
    cdef int status, rounds
    with nogil:
        status = _project(y, x, eta, groups_are_rows, &mu[0], &theta, &rounds)
    return status, theta, rounds
