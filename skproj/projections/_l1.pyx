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

from skproj.projections._common cimport copy_matrix, shrink

cdef void threshold_init(SimplexThreshold* state, double* buffer,
                         double radius) noexcept nogil:
    state.values = buffer
    state.n_parked = 0
    state.end = 0
    state.rho = -INFINITY
    state.radius = radius


cdef inline void threshold_push(SimplexThreshold* state,
                                double value) noexcept nogil:
    """Condat's online step: admit ``value`` if it may lie above the threshold."""
    cdef Py_ssize_t size
    if value <= state.rho:
        return
    size = state.end - state.n_parked
    if size == 0:
        state.values[state.end] = value
        state.end += 1
        state.rho = value - state.radius
        return
    state.rho += (value - state.rho) / (size + 1)
    if state.rho > value - state.radius:
        state.values[state.end] = value
        state.end += 1
    else:
        # ``value`` alone beats the whole list: park the list, restart from it.
        state.n_parked = state.end
        state.values[state.end] = value
        state.end += 1
        state.rho = value - state.radius


cdef double threshold_finish(SimplexThreshold* state) noexcept nogil:
    """Re-admit parked values, drop candidates below the threshold, return tau."""
    cdef double* values = state.values
    cdef Py_ssize_t start = state.n_parked, end = state.end, i, kept, remaining
    cdef double rho = state.rho, value, total
    if end == 0:
        return 0.0
    # Parked values above rho join the list; the list grows downwards into
    # the parked zone, over slots already visited.
    for i in range(state.n_parked - 1, -1, -1):
        value = values[i]
        if value > rho:
            start -= 1
            values[start] = value
            rho += (value - rho) / (end - start)
    # Drop candidates at or below rho until the list is stable.
    while True:
        kept = start
        for i in range(start, end):
            value = values[i]
            remaining = end - start - (i - kept) - 1   # list size if dropped
            if value > rho or remaining == 0:
                # The last candidate stays: when the radius is below the
                # rounding of the largest value, rho may round up to it.
                values[kept] = value
                kept += 1
            else:
                rho += (rho - value) / remaining
        if kept == end:
            break
        end = kept
    # Recompute tau from the final list in one sum: the running updates
    # accumulate rounding, this does not.
    total = 0.0
    for i in range(start, end):
        total += values[i]
    return (total - state.radius) / (end - start)


cdef double simplex_threshold(const double* values, Py_ssize_t n, double radius,
                              double* buffer) noexcept nogil:
    """Threshold of a contiguous non-negative vector, ``buffer`` holds n doubles."""
    cdef SimplexThreshold state
    cdef Py_ssize_t i
    threshold_init(&state, buffer, radius)
    for i in range(n):
        threshold_push(&state, values[i])
    return threshold_finish(&state)


def l1_ball(const floating[:, :] y, floating[:, :] x, double radius):
    """Project the 2-D view ``y`` (one vector) onto the l1 ball into ``x``.

    ``x`` may be ``y`` itself.  Returns ``(status, tau)``.
    """
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1], i, j
    cdef double total = 0.0, nonfinite = 0.0, magnitude, tau = 0.0
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
                magnitude = fabs(value)
                total += magnitude
                nonfinite += value * 0.0   # NaN iff some value is NaN or inf
                threshold_push(&state, magnitude)
        if nonfinite == 0.0 and total > radius:
            tau = threshold_finish(&state)
            for i in range(n_rows):
                for j in range(n_cols):
                    x[i, j] = shrink(y[i, j], tau)
        elif nonfinite == 0.0:
            copy_matrix(y, x)
    free(buffer)
    if nonfinite != 0.0:
        return STATUS_NONFINITE, 0.0
    return (STATUS_PROJECTED if total > radius else STATUS_INSIDE), tau


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
