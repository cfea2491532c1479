# Element-wise helpers shared by the projection kernels (inlined in each).

from libc.math cimport copysign, fabs
from cython cimport floating


cdef inline floating clip(floating value, floating level) noexcept nogil:
    """``value`` clipped to ``[-level, level]`` (branch-free)."""
    value = level if value > level else value
    return -level if value < -level else value


cdef inline floating shrink(floating value, double tau) noexcept nogil:
    """Soft threshold: ``sign(value) * max(|value| - tau, 0)`` (branch-free)."""
    cdef double magnitude = fabs(value) - tau
    magnitude = magnitude if magnitude > 0 else 0.0
    return <floating> copysign(magnitude, value)


cdef inline void copy_matrix(const floating[:, :] y, floating[:, :] x) noexcept nogil:
    """``x[...] = y`` unless they are the same memory."""
    cdef Py_ssize_t i, j
    if <const void*> &x[0, 0] == <const void*> &y[0, 0]:
        return
    for i in range(y.shape[0]):
        for j in range(y.shape[1]):
            x[i, j] = y[i, j]


cdef inline void fill_zero_row(floating[:, :] x, Py_ssize_t i) noexcept nogil:
    cdef Py_ssize_t j
    for j in range(x.shape[1]):
        x[i, j] = 0
