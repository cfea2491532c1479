# The four-accumulator sum shared by the kernels (inlined in each).
#
# Four independent accumulators break the dependency chain of the additions
# (one add in flight per accumulator), which is what lets a sum stream at
# memory speed without -ffast-math; the result depends only on n, not on how
# the caller blocks its data.  ``term`` is a literal at every call site, so
# each call compiles to its own loop.

from libc.math cimport fabs
from cython cimport floating

cdef enum Term:
    TERM_VALUE = 0        # sum(v)
    TERM_MAGNITUDE = 1    # sum(|v|)
    TERM_SQUARE = 2       # sum(v * v)
    TERM_POSITIVE = 3     # sum(max(v, 0))
    TERM_POISON = 4       # sum(v - v): 0 where every v is finite, else NaN


cdef inline double _term(double value, int term) noexcept nogil:
    if term == TERM_MAGNITUDE:
        return fabs(value)
    if term == TERM_SQUARE:
        return value * value
    if term == TERM_POSITIVE:
        return value if value > 0 else 0.0
    if term == TERM_POISON:
        return value - value
    return value


cdef inline double sum_terms(const floating* values, Py_ssize_t n, Py_ssize_t step,
                             int term) noexcept nogil:
    """``sum(term(values[j * step]) for j < n)`` with four accumulators."""
    cdef double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0
    cdef Py_ssize_t j, n4 = n - n % 4
    for j in range(0, n4, 4):
        a0 += _term(values[j * step], term)
        a1 += _term(values[(j + 1) * step], term)
        a2 += _term(values[(j + 2) * step], term)
        a3 += _term(values[(j + 3) * step], term)
    for j in range(n4, n):
        a0 += _term(values[j * step], term)
    return (a0 + a1) + (a2 + a3)
