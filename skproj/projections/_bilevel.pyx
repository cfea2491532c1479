# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Kernels for the bi-level projections and the group norms they start from.

Every kernel takes the matrix as a 2-D view in the orientation that makes its
rows contiguous when possible, and a flag ``groups_are_rows``.  Groups are
reduced by streaming over memory in order, so neither orientation transposes
or copies the matrix:

1. one read pass computes the group norms ``t`` (and a NaN/inf flag);
2. ``t`` is projected onto the l1 ball of radius ``eta`` (Condat), giving a
   threshold ``tau`` and the new group radii ``u = max(t - tau, 0)``;
3. one pass writes the result; groups whose radius is zero are written
   without being read.

References
----------
M. Barlaud, G. Perez, J.-P. Marmorat, "A new linear time bi-level l1,inf
projection; application to the sparsification of auto-encoders neural networks",
arXiv:2407.16293 (2024).
"""

from libc.math cimport fabs, sqrt
from libc.stdlib cimport free, malloc
from cython cimport floating

from skproj.projections._common cimport clip, copy_matrix, fill_zero_row, shrink
from skproj.projections._l1 cimport (
    STATUS_INSIDE, STATUS_NOMEMORY, STATUS_NONFINITE, STATUS_PROJECTED,
    SimplexThreshold, simplex_threshold, threshold_finish, threshold_init,
    threshold_push,
)


cdef double _group_norms(const floating[:, :] y, double* norms, int kind,
                         bint groups_are_rows) noexcept nogil:
    """Write each group's norm in ``norms``; return NaN iff y has NaN or inf.

    For ``NORM_L2`` the squared norms are written.
    """
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1]
    cdef Py_ssize_t n_groups = n_rows if groups_are_rows else n_cols, i, j
    cdef double nonfinite = 0.0, magnitude, acc
    cdef floating value
    for j in range(n_groups):
        norms[j] = 0.0
    if groups_are_rows:
        for i in range(n_rows):
            acc = 0.0
            for j in range(n_cols):
                value = y[i, j]
                nonfinite += value * 0.0
                magnitude = fabs(value)
                if kind == NORM_MAX:
                    acc = magnitude if magnitude > acc else acc
                elif kind == NORM_L1:
                    acc += magnitude
                else:
                    acc += magnitude * magnitude
            norms[i] = acc
    else:
        for i in range(n_rows):
            for j in range(n_cols):
                value = y[i, j]
                nonfinite += value * 0.0
                magnitude = fabs(value)
                if kind == NORM_MAX:
                    norms[j] = magnitude if magnitude > norms[j] else norms[j]
                elif kind == NORM_L1:
                    norms[j] += magnitude
                else:
                    norms[j] += magnitude * magnitude
    return nonfinite


def group_norms(const floating[:, :] y, double[::1] norms, int kind,
                bint groups_are_rows):
    """Group norms into ``norms``; return ``False`` if y has NaN or inf."""
    cdef double nonfinite
    with nogil:
        nonfinite = _group_norms(y, &norms[0], kind, groups_are_rows)
        if kind == NORM_L2:
            _sqrt_inplace(&norms[0], norms.shape[0])
    return nonfinite == 0.0


cdef void _sqrt_inplace(double* values, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(n):
        values[i] = sqrt(values[i])


cdef int _norms_and_threshold(const floating[:, :] y, double* norms, int kind,
                              bint groups_are_rows, double eta,
                              double* tau) noexcept nogil:
    """Passes 1 and 2: the group norms and the l1 threshold ``tau`` on them."""
    cdef Py_ssize_t n_groups = y.shape[0] if groups_are_rows else y.shape[1], j
    cdef double total = 0.0
    cdef double* buffer
    if _group_norms(y, norms, kind, groups_are_rows) != 0.0:
        return STATUS_NONFINITE
    if kind == NORM_L2:
        _sqrt_inplace(norms, n_groups)
    for j in range(n_groups):
        total += norms[j]
    if total <= eta:
        return STATUS_INSIDE
    buffer = <double*> malloc(n_groups * sizeof(double))
    if buffer == NULL:
        return STATUS_NOMEMORY
    tau[0] = simplex_threshold(norms, n_groups, eta, buffer)
    free(buffer)
    return STATUS_PROJECTED


cdef int _run(const floating[:, :] y, floating[:, :] x, int kind,
              bint groups_are_rows, double eta, double[::1] radii) noexcept nogil:
    """Shared driver: norms, threshold, new radii in ``radii``; copy if inside."""
    cdef Py_ssize_t j
    cdef double tau = 0.0
    cdef int status = _norms_and_threshold(y, &radii[0], kind, groups_are_rows,
                                           eta, &tau)
    if status == STATUS_INSIDE:
        copy_matrix(y, x)
    elif status == STATUS_PROJECTED:
        for j in range(radii.shape[0]):
            radii[j] = max(radii[j] - tau, 0.0)
    return status


def bilevel_l1inf(const floating[:, :] y, floating[:, :] x, double eta,
                  bint groups_are_rows, double[::1] radii):
    """Clip each group to its new infinity-norm radius.  Returns a status."""
    cdef Py_ssize_t i, j
    cdef double level
    cdef floating value
    cdef int status
    with nogil:
        status = _run(y, x, NORM_MAX, groups_are_rows, eta, radii)
        if status == STATUS_PROJECTED:
            if groups_are_rows:
                for i in range(y.shape[0]):
                    level = radii[i]
                    if level == 0.0:
                        fill_zero_row(x, i)
                    else:
                        for j in range(y.shape[1]):
                            x[i, j] = clip(y[i, j], level)
            else:
                for i in range(y.shape[0]):
                    for j in range(y.shape[1]):
                        x[i, j] = clip(y[i, j], radii[j])
    return status


def bilevel_l12(const floating[:, :] y, floating[:, :] x, double eta,
                bint groups_are_rows, double[::1] radii):
    """Rescale each group to its new l2-norm radius.  Returns a status.

    ``radii`` receives the group norms' scale factors ``u_j / t_j``.
    """
    cdef Py_ssize_t i, j
    cdef double scale
    cdef int status
    with nogil:
        status = _norms_and_threshold(y, &radii[0], NORM_L2, groups_are_rows,
                                      eta, &scale)
        if status == STATUS_INSIDE:
            copy_matrix(y, x)
        elif status == STATUS_PROJECTED:
            # scale holds tau here; turn each norm into its scale factor.
            for j in range(radii.shape[0]):
                radii[j] = max(radii[j] - scale, 0.0) / radii[j] if radii[j] > 0 else 0.0
            if groups_are_rows:
                for i in range(y.shape[0]):
                    scale = radii[i]
                    if scale == 0.0:
                        fill_zero_row(x, i)
                    else:
                        for j in range(y.shape[1]):
                            x[i, j] = <floating> (y[i, j] * scale)
            else:
                for i in range(y.shape[0]):
                    for j in range(y.shape[1]):
                        x[i, j] = <floating> (y[i, j] * radii[j])
    return status


def bilevel_l11(const floating[:, :] y, floating[:, :] x, double eta,
                bint groups_are_rows, double[::1] radii):
    """Project each group onto the l1 ball of its new radius.  Returns a status.

    Each shrunk group needs its own soft threshold, found by Condat's method on
    the group's magnitudes as they lie in memory (strided when the groups are
    columns).
    """
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1]
    cdef Py_ssize_t group_size = n_cols if groups_are_rows else n_rows
    cdef Py_ssize_t n_groups = n_rows if groups_are_rows else n_cols, g, k
    cdef double radius, group_tau
    cdef floating value
    cdef int status
    cdef SimplexThreshold state
    cdef double* buffer = <double*> malloc(max(group_size, 1) * sizeof(double))
    if buffer == NULL:
        return STATUS_NOMEMORY
    with nogil:
        status = _run(y, x, NORM_L1, groups_are_rows, eta, radii)
        if status == STATUS_PROJECTED:
            for g in range(n_groups):
                radius = radii[g]
                if radius == 0.0:
                    for k in range(group_size):
                        _at(x, g, k, groups_are_rows)[0] = 0
                    continue
                threshold_init(&state, buffer, radius)
                for k in range(group_size):
                    threshold_push(&state, fabs(_at_const(y, g, k, groups_are_rows)[0]))
                group_tau = threshold_finish(&state)
                for k in range(group_size):
                    value = _at_const(y, g, k, groups_are_rows)[0]
                    _at(x, g, k, groups_are_rows)[0] = shrink(value, group_tau)
    free(buffer)
    return status


cdef inline floating* _at(floating[:, :] x, Py_ssize_t group, Py_ssize_t k,
                          bint groups_are_rows) noexcept nogil:
    return &x[group, k] if groups_are_rows else &x[k, group]


cdef inline const floating* _at_const(const floating[:, :] y, Py_ssize_t group,
                                      Py_ssize_t k, bint groups_are_rows) noexcept nogil:
    return &y[group, k] if groups_are_rows else &y[k, group]
