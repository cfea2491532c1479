# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Kernels for the l1 ball and the simplex (Condat 2016).

The projection of ``y`` onto the simplex ``{x >= 0 : sum(x) = radius}`` is the
soft threshold ``x = max(y - tau, 0)`` where ``tau`` solves
``sum(max(y - tau, 0)) = radius``.  Condat's method finds ``tau`` in expected
linear time without sorting: it scans the values once, keeping a list of
candidates (values that may end up above ``tau``) and the threshold ``rho`` that
list would give, then cleans the list.  The l1 ball is the simplex of the
magnitudes with the signs put back.

Kernels never validate: the functional API in ``skproj.projections`` does.  They
return a status code (see ``STATUS_*``) that the API turns into errors.

References
----------
L. Condat, "Fast projection onto the simplex and the l1 ball", Mathematical
Programming 158 (2016), 575-585.
"""

from libc.math cimport fabs, INFINITY
from libc.stdlib cimport free, malloc
from cython cimport floating

from skproj.projections._common cimport (
    SPARSE_WRITE_DIVISOR, copy_matrix, shrink, zero_if_contiguous,
)

cdef void threshold_init(SimplexThreshold* state, double* buffer,
                         double radius) noexcept nogil:
    state.values = buffer
    state.n_parked = 0
    state.end = 0
    state.total = 0.0
    state.radius = radius


cdef inline void threshold_push(SimplexThreshold* state,
                                double value) noexcept nogil:
    """Condat's online step: admit ``value`` if it may lie above the threshold.

    ``value > rho`` is tested as ``value * count > total - radius``: the
    common case (a value below the threshold) costs a multiply and a compare.
    """
    cdef Py_ssize_t count = state.end - state.n_parked
    if count > 0 and value * count <= state.total - state.radius:
        return
    if count > 0 and state.total + value - state.radius > (value - state.radius) * (count + 1):
        state.total += value
    else:
        # ``value`` alone beats the whole list: park the list, restart from it.
        state.n_parked = state.end
        state.total = value
    state.values[state.end] = value
    state.end += 1


cdef double threshold_finish(SimplexThreshold* state) noexcept nogil:
    """Re-admit parked values, drop candidates below the threshold, return tau.

    Afterwards ``state.end - state.n_parked`` is the size of the support.

    Cleaning passes repeat until no candidate drops; the last candidate is
    never dropped, so a radius below the rounding of the largest value still
    leaves a one-value support.
    """
    cdef double* values = state.values
    cdef Py_ssize_t start = state.n_parked, end = state.end, i, kept
    cdef double total = state.total, radius = state.radius, value
    cdef Py_ssize_t count
    if end == 0:
        return 0.0
    # Parked values above the threshold join the list; the list grows
    # downwards into the parked zone, over slots already visited.
    for i in range(state.n_parked - 1, -1, -1):
        value = values[i]
        if value * (end - start) > total - radius:
            start -= 1
            values[start] = value
            total += value
    while True:
        # Condat's cleaning: a drop lowers the count and the total at once, so
        # later candidates meet the raised threshold within the same pass.
        # Drops are few once the list is nearly clean, so the branch is cheap
        # and the loop carries no dependency through ``total`` otherwise.
        count = end - start
        kept = start
        for i in range(start, end):
            value = values[i]
            if value * count > total - radius or count == 1:
                values[kept] = value
                kept += 1
            else:
                count -= 1
                total -= value
        if kept == end:
            break
        end = kept
    state.n_parked, state.end = start, end   # the support, for the caller
    # The running total accumulated rounding: re-sum the support exactly.
    return (_sum(values + start, end - start) - radius) / (end - start)


cdef double _sum(const double* values, Py_ssize_t n) noexcept nogil:
    cdef double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0
    cdef Py_ssize_t j, n4 = n - n % 4
    for j in range(0, n4, 4):
        a0 += values[j]
        a1 += values[j + 1]
        a2 += values[j + 2]
        a3 += values[j + 3]
    for j in range(n4, n):
        a0 += values[j]
    return (a0 + a1) + (a2 + a3)


cdef double michelot_threshold(double* values, Py_ssize_t n, double total,
                               double radius) noexcept nogil:
    """Threshold of the magnitudes ``values[0:n]`` (sum ``total``) by Michelot's method.

    Every pass drops the values at or below ``rho = (total - radius) / n`` and
    recomputes ``rho``; ``rho`` increases to ``tau`` in a few passes (about
    three to nine on Gaussian data, two to three times ``n`` values visited
    in all).  Unlike Condat's scan its loops are branch-free, so they keep
    their speed when the support is a large share of the values, where a
    data-dependent branch mispredicts.  The caller may pass only the values
    above a known lower bound of ``tau``.  ``values`` is compacted in place.

    References
    ----------
    C. Michelot, "A finite algorithm for finding the projection of a point
    onto the canonical simplex of R^n", J. Optim. Theory Appl. 50 (1986).
    """
    cdef Py_ssize_t i, kept
    cdef double rho, first, second, sum_first, sum_second
    cdef bint keep_first, keep_second
    while n > 0:
        rho = (total - radius) / n
        kept = 0
        sum_first = 0.0
        sum_second = 0.0
        # Two interleaved sums halve the dependency chain of the additions.
        for i in range(0, n - 1, 2):
            first = values[i]
            second = values[i + 1]
            keep_first = first > rho
            keep_second = second > rho
            values[kept] = first
            kept += keep_first
            values[kept] = second
            kept += keep_second
            # Multiplying by the flag keeps the compiler from branching.
            sum_first += first * keep_first
            sum_second += second * keep_second
        if n % 2:
            first = values[n - 1]
            keep_first = first > rho
            values[kept] = first
            kept += keep_first
            sum_first += first * keep_first
        if kept == n or kept == 0:
            # Stable (or, for a radius below rounding, empty): tau is rho.
            return (sum_first + sum_second - radius) / n if kept else rho
        n = kept
        total = sum_first + sum_second
    return 0.0


cdef double simplex_threshold(const double* values, Py_ssize_t n, double radius,
                              double* buffer) noexcept nogil:
    """Threshold of a contiguous non-negative vector, ``buffer`` holds n doubles."""
    cdef SimplexThreshold state
    cdef Py_ssize_t i
    threshold_init(&state, buffer, radius)
    for i in range(n):
        threshold_push(&state, values[i])
    return threshold_finish(&state)


cdef enum:
    BLOCK = 2048   # values summed then scanned while in L1 cache
    # Condat's scan gives way to Michelot's method once its candidates pass
    # this share (1 / DENSE_DIVISOR) of the values.
    DENSE_DIVISOR = 32


cdef inline double _sum_abs(const floating* values, Py_ssize_t n,
                            Py_ssize_t step) noexcept nogil:
    # Four accumulators break the dependency chain of the sum.
    cdef double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0
    cdef Py_ssize_t j, n4 = n - n % 4
    for j in range(0, n4, 4):
        a0 += fabs(values[j * step])
        a1 += fabs(values[(j + 1) * step])
        a2 += fabs(values[(j + 2) * step])
        a3 += fabs(values[(j + 3) * step])
    for j in range(n4, n):
        a0 += fabs(values[j * step])
    return (a0 + a1) + (a2 + a3)


cdef inline void _push_abs(SimplexThreshold* state, const floating* values, Py_ssize_t n,
                           Py_ssize_t step) noexcept nogil:
    """``threshold_push`` of every magnitude, with the state held in registers.

    (Through the pointer, every store of a candidate could alias the state,
    which would then be reloaded for each value.)
    """
    cdef double* slots = state.values
    cdef Py_ssize_t start = state.n_parked, end = state.end, j
    cdef double total = state.total, radius = state.radius, value
    for j in range(n):
        value = fabs(values[j * step])
        if end > start and value * (end - start) <= total - radius:
            continue
        if end > start and total + value - radius > (value - radius) * (end - start + 1):
            total += value
        else:
            start = end
            total = value
        slots[end] = value
        end += 1
    state.n_parked = start
    state.end = end
    state.total = total


cdef inline void _shrink_row(const floating* src, Py_ssize_t n, Py_ssize_t step_y,
                             floating* dst, Py_ssize_t step_x, double tau) noexcept nogil:
    cdef Py_ssize_t j
    for j in range(n):
        dst[j * step_x] = shrink(src[j * step_y], tau)


cdef inline void _shrink_row_sparse(const floating* src, Py_ssize_t n, Py_ssize_t step_y,
                                    floating* dst, double tau) noexcept nogil:
    """Write the entries above ``tau`` into a zeroed, contiguous row."""
    cdef Py_ssize_t j
    cdef floating value
    if step_y == 1:
        for j in range(n):
            value = src[j]
            if fabs(value) > tau:
                dst[j] = shrink(value, tau)
    else:
        for j in range(n):
            value = src[j * step_y]
            if fabs(value) > tau:
                dst[j] = shrink(value, tau)


cdef inline void _count_sum_above(const floating* values, Py_ssize_t n, Py_ssize_t step,
                                  double floor, double* count, double* total) noexcept nogil:
    """Add the number and the sum of the magnitudes above ``floor``.

    Written so that the compiler emits no branch (whether a value is above
    the floor is unpredictable): the sum is ``sum(max(a - floor, 0))`` plus
    ``floor`` times the count, with ``max(d, 0) = (d + |d|) / 2`` (exact),
    and the count adds integer comparisons.  Four accumulators break the
    dependency chains of the additions.
    """
    cdef double e0 = 0.0, e1 = 0.0, e2 = 0.0, e3 = 0.0, a, b, c, d
    cdef Py_ssize_t j, above = 0, n4 = n - n % 4
    for j in range(0, n4, 4):
        a = fabs(values[j * step]) - floor
        b = fabs(values[(j + 1) * step]) - floor
        c = fabs(values[(j + 2) * step]) - floor
        d = fabs(values[(j + 3) * step]) - floor
        above += (a > 0) + (b > 0) + (c > 0) + (d > 0)
        e0 += a + fabs(a)
        e1 += b + fabs(b)
        e2 += c + fabs(c)
        e3 += d + fabs(d)
    for j in range(n4, n):
        a = fabs(values[j * step]) - floor
        above += a > 0
        e0 += a + fabs(a)
    count[0] += above
    total[0] += 0.5 * ((e0 + e1) + (e2 + e3)) + floor * above


cdef double _dense_threshold(const floating[:, :] y, double total, double radius,
                             double* buffer) noexcept nogil:
    """Michelot's threshold of |y| when the support is a large share of y.

    Passes over ``y`` itself (no buffer: a large one would cost page faults)
    count and sum the magnitudes above ``rho`` and update it, from the floor
    ``(total - radius) / n``; once few values remain above ``rho`` they are
    gathered and the passes continue on the buffer.
    """
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1], i, j, gathered
    cdef Py_ssize_t step = y.strides[1] // sizeof(floating)
    cdef double n = <double> n_rows * n_cols
    cdef double rho = (total - radius) / n, count, previous = n + 1, magnitude
    while True:
        count = 0.0
        total = 0.0
        for i in range(n_rows):
            if step == 1:
                _count_sum_above(&y[i, 0], n_cols, 1, rho, &count, &total)
            else:
                _count_sum_above(&y[i, 0], n_cols, step, rho, &count, &total)
        if count == previous or count == 0:
            return (total - radius) / count if count else rho
        if count * DENSE_DIVISOR < n:
            gathered = 0
            for i in range(n_rows):
                for j in range(n_cols):
                    magnitude = fabs(y[i, j])
                    if magnitude > rho:
                        buffer[gathered] = magnitude
                        gathered += 1
            return michelot_threshold(buffer, gathered, total, radius)
        previous = count
        rho = (total - radius) / count


def l1_ball(const floating[:, :] y, floating[:, :] x, double radius):
    """Project the 2-D view ``y`` (one vector) onto the l1 ball into ``x``.

    One read pass sums the magnitudes and runs Condat's scan, block by block
    (a block is summed, then scanned while it is in cache); a second pass
    writes the soft threshold.  The scan only starts once the running sum
    exceeds the radius (the values summed until then are scanned once more):
    a point inside the ball costs a sum and a copy, and the scan never holds
    the candidates of a radius the vector does not reach.  When the support is
    large (many candidates), the scan stops and Michelot's branch-free method
    finds the threshold from the floor ``(sum - radius) / n`` instead.  ``x`` may be ``y``
    itself.  NaN or inf make the sum non-finite.  Returns ``(status, tau)``.
    """
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1], i, j, k, width
    cdef Py_ssize_t step_y = y.strides[1] // sizeof(floating)
    cdef Py_ssize_t step_x = x.strides[1] // sizeof(floating)
    cdef double total = 0.0, tau = 0.0
    cdef const floating* row
    cdef int status
    cdef bint sparse, scanning = False, dense = False
    cdef SimplexThreshold state
    cdef double* buffer = <double*> malloc(max(n_rows * n_cols, 1) * sizeof(double))
    if buffer == NULL:
        return STATUS_NOMEMORY, 0.0
    with nogil:
        threshold_init(&state, buffer, radius)
        for i in range(n_rows):
            j = 0
            while j < n_cols:
                width = min(<Py_ssize_t> BLOCK, n_cols - j)
                row = &y[i, j]
                total += _sum_abs(row, width, 1) if step_y == 1 else _sum_abs(row, width, step_y)
                if scanning:
                    _push_abs(&state, row, width, step_y)
                    if (state.end - state.n_parked) * DENSE_DIVISOR > n_rows * n_cols:
                        # A large support: Condat's branches would mispredict.
                        # Sum the rest, then use Michelot's method.
                        scanning = False
                        dense = True
                elif total > radius and not dense:
                    # Outside the ball after all: scan what was only summed.
                    scanning = True
                    for k in range(i):
                        _push_abs(&state, &y[k, 0], n_cols, step_y)
                    _push_abs(&state, &y[i, 0], j + width, step_y)
                j += width
        if total - total != 0.0:
            status = STATUS_NONFINITE
        elif total <= radius:
            status = STATUS_INSIDE
            copy_matrix(y, x)
        else:
            status = STATUS_PROJECTED
            if dense:
                tau = _dense_threshold(y, total, radius, buffer)
                sparse = False
            else:
                tau = threshold_finish(&state)
                sparse = (state.end - state.n_parked) * SPARSE_WRITE_DIVISOR < n_rows * n_cols
            if sparse and <const void*> &x[0, 0] != <const void*> &y[0, 0]:
                sparse = zero_if_contiguous(x)
            else:
                sparse = False
            for i in range(n_rows):
                if sparse:
                    _shrink_row_sparse(&y[i, 0], n_cols, step_y, &x[i, 0], tau)
                elif step_y == 1 and step_x == 1:
                    _shrink_row(&y[i, 0], n_cols, 1, &x[i, 0], 1, tau)
                else:
                    _shrink_row(&y[i, 0], n_cols, step_y, &x[i, 0], step_x, tau)
    free(buffer)
    return status, tau


def simplex(const floating[:, :] y, floating[:, :] x, double radius):
    """Project the 2-D view ``y`` (one vector) onto the simplex into ``x``.

    Returns ``(status, tau)``.
    """
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1], i, j
    cdef double nonfinite = 0.0, tau = 0.0, total = 0.0
    cdef bint nonnegative = True
    cdef floating value
    cdef SimplexThreshold state
    cdef double* buffer = <double*> malloc(max(n_rows * n_cols, 1) * sizeof(double))
    if buffer == NULL:
        return STATUS_NOMEMORY, 0.0
    with nogil:
        threshold_init(&state, buffer, radius)
        for i in range(n_rows):
            for j in range(n_cols):
                value = y[i, j]
                total += value
                nonnegative = nonnegative and value >= 0
                nonfinite += value * 0.0
                threshold_push(&state, value)
        if nonfinite == 0.0:
            if nonnegative and total == radius:
                copy_matrix(y, x)
            else:
                tau = threshold_finish(&state)
                for i in range(n_rows):
                    for j in range(n_cols):
                        x[i, j] = <floating> max(y[i, j] - tau, 0.0)
    free(buffer)
    if nonfinite != 0.0:
        return STATUS_NONFINITE, 0.0
    if nonnegative and total == radius:
        return STATUS_INSIDE, 0.0
    return STATUS_PROJECTED, tau
