# Streaming passes over a strided matrix, shared by the kernels that reduce
# groups (rows or columns) to norms (inlined in each).
#
# A matrix arrives as a 2-D view whose rows are contiguous when possible, and
# groups are its rows or its columns (``groups_are_rows``).  Groups are reduced
# by streaming over memory in order, so neither orientation transposes or
# copies the matrix: a row group is one strided row; column groups fold every
# row into per-column accumulators, four rows at a time (a quarter of the
# loads and stores of the accumulators).  Row loops take ``(pointer, length,
# step)`` and are called once with the literal step 1, so that the compiler
# emits a vectorized version for contiguous rows.
#
# NaN and inf propagate into the norms (``poison``), so the norms' total tells
# whether the input was finite without a test per element.

cimport cython
from libc.math cimport fabs, sqrt
from cython cimport floating

from skproj.projections._bilevel cimport NORM_L1, NORM_L2, NORM_MAX
from skproj.projections._l1 cimport (
    simd_enabled, skp_column_maxima_f64, skp_group_norms_f32, skp_group_norms_f64,
    skp_norms_sum, skp_norms_sum_portable, skp_row_maxima_f64, skp_sqrt_all,
)
from skproj.projections._sums cimport TERM_MAGNITUDE, TERM_SQUARE, sum_terms

# The next panel of a matrix prefetched a few rows at a time while the panel
# before is worked on (``_prefetch.h``).
cdef extern from "_prefetch.h" nogil:
    ctypedef struct NextPanel "skp_next_panel":
        const char* base
        Py_ssize_t stride
        Py_ssize_t first
        Py_ssize_t end
        Py_ssize_t row
        Py_ssize_t n_rows
        const Py_ssize_t* lines
        Py_ssize_t n_lines
        int into_l1
    void prefetch_rows "skp_prefetch_next_rows"(NextPanel* job, Py_ssize_t n_rows)
    void no_next_panel "skp_no_next_panel"(NextPanel* job)


cdef inline Py_ssize_t element_step(Py_ssize_t stride_in_bytes,
                                    Py_ssize_t itemsize) noexcept nogil:
    """A stride in bytes as a step in elements."""
    return stride_in_bytes // itemsize


cdef inline const floating* row_at(const floating* base, Py_ssize_t row_stride,
                                   Py_ssize_t i) noexcept nogil:
    """Start of row ``i`` (``row_stride`` in bytes)."""
    return <const floating*> (<const char*> base + i * row_stride)


cdef inline double max_keep_nan(double a, double b) noexcept nogil:
    """max(a, b) that keeps a NaN already in ``a`` (a single maxsd/maxpd)."""
    return b if b > a else a


cdef inline double poison(double value) noexcept nogil:
    """0 when ``value`` is finite, NaN when it is NaN or inf.

    Added to a running max it makes the max NaN-propagating without a branch.
    """
    return value - value


# ------------------------------------------------------------ one norm per group

cdef inline void fold_four_rows(const floating* r0, const floating* r1,
                                const floating* r2, const floating* r3,
                                Py_ssize_t n, Py_ssize_t step, double* norms,
                                int kind) noexcept nogil:
    """Fold four rows into the column norms (squared for l2)."""
    cdef Py_ssize_t j
    cdef double a, b, c, d
    if kind == NORM_MAX:
        for j in range(n):
            a = fabs(r0[j * step])
            b = fabs(r1[j * step])
            c = fabs(r2[j * step])
            d = fabs(r3[j * step])
            norms[j] = max_keep_nan(norms[j], max_keep_nan(max_keep_nan(a, b),
                                                           max_keep_nan(c, d))) + poison(
                a + b + c + d)
    elif kind == NORM_L1:
        for j in range(n):
            norms[j] += (fabs(r0[j * step]) + fabs(r1[j * step])) + (
                fabs(r2[j * step]) + fabs(r3[j * step]))
    else:
        for j in range(n):
            a = r0[j * step]
            b = r1[j * step]
            c = r2[j * step]
            d = r3[j * step]
            norms[j] += (a * a + b * b) + (c * c + d * d)


cdef inline void fold_row(const floating* row, Py_ssize_t n, Py_ssize_t step,
                          double* norms, int kind) noexcept nogil:
    """Fold one row into the column norms (squared for l2)."""
    cdef Py_ssize_t j
    cdef double a
    for j in range(n):
        a = fabs(row[j * step])
        if kind == NORM_MAX:
            norms[j] = max_keep_nan(norms[j], a) + poison(a)
        else:
            norms[j] += a if kind == NORM_L1 else a * a


cdef inline double row_norm(const floating* row, Py_ssize_t n, Py_ssize_t step,
                            int kind) noexcept nogil:
    """Norm of one row (squared for l2); four accumulators break the dependency chain."""
    cdef double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0, value
    cdef Py_ssize_t j, n4 = n - n % 4
    if kind == NORM_MAX:
        for j in range(0, n4, 4):
            value = fabs(row[j * step])
            a0 = max_keep_nan(a0, value) + poison(value)
            value = fabs(row[(j + 1) * step])
            a1 = max_keep_nan(a1, value) + poison(value)
            value = fabs(row[(j + 2) * step])
            a2 = max_keep_nan(a2, value) + poison(value)
            value = fabs(row[(j + 3) * step])
            a3 = max_keep_nan(a3, value) + poison(value)
        for j in range(n4, n):
            value = fabs(row[j * step])
            a0 = max_keep_nan(a0, value) + poison(value)
        return max_keep_nan(max_keep_nan(a0, a1), max_keep_nan(a2, a3)) + poison(
            a0 + a1 + a2 + a3)
    if kind == NORM_L1:
        return sum_terms(row, n, step, TERM_MAGNITUDE)
    return sum_terms(row, n, step, TERM_SQUARE)


@cython.boundscheck(False)
@cython.wraparound(False)
cdef inline void portable_group_norms(const floating[:, :] y, double* norms, int kind,
                                      bint groups_are_rows) noexcept nogil:
    """Each group's norm in ``norms`` (squared for l2), in the Cython loops."""
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1], i, j
    cdef Py_ssize_t step = element_step(y.strides[1], sizeof(floating))
    if groups_are_rows:
        for i in range(n_rows):
            if step == 1:
                norms[i] = row_norm(&y[i, 0], n_cols, 1, kind)
            else:
                norms[i] = row_norm(&y[i, 0], n_cols, step, kind)
        return
    for j in range(n_cols):
        norms[j] = 0.0
    for i in range(0, n_rows - n_rows % 4, 4):
        if step == 1:
            fold_four_rows(&y[i, 0], &y[i + 1, 0], &y[i + 2, 0], &y[i + 3, 0],
                           n_cols, 1, norms, kind)
        else:
            fold_four_rows(&y[i, 0], &y[i + 1, 0], &y[i + 2, 0], &y[i + 3, 0],
                           n_cols, step, norms, kind)
    for i in range(n_rows - n_rows % 4, n_rows):
        fold_row(&y[i, 0], n_cols, step, norms, kind)


@cython.boundscheck(False)
@cython.wraparound(False)
cdef inline double stream_group_norms(const floating[:, :] y, double* norms, int kind,
                                      bint groups_are_rows) noexcept nogil:
    """Write each group's norm in ``norms`` and return their sum.

    The sum is NaN or inf when ``y`` holds NaN or inf (or when a sum overflows).
    Contiguous rows go through the AVX2 loops of ``_streaming_simd.h``: float32's
    (baseline SSE2 converts floats two at a time) hand NaN and overflow back
    to the Cython loops; float64's l1 and squared l2 sums
    (``skp_group_norms_f64``) let them propagate into the sum, as the Cython
    loops do; float64's maxima (``skp_row_maxima_f64``,
    ``skp_column_maxima_f64``) hand them back.  Where those
    loops took the square roots of the l2 norms themselves (they return 2:
    short rows, and float32 columns with AVX-512), none is taken after them.
    """
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1], j
    cdef Py_ssize_t n_groups = n_rows if groups_are_rows else n_cols
    cdef bint by_simd = (n_rows > 0 and n_cols > 0 and y.strides[1] == sizeof(floating)
                           and simd_enabled())
    cdef bint rooted = False
    cdef int found
    if floating is float:
        if by_simd:
            found = skp_group_norms_f32(<const float*> &y[0, 0], y.strides[0], n_rows, n_cols,
                                        norms, kind, groups_are_rows)
            by_simd = found != 0
            rooted = found == 2     # (the l2 norms rooted in the loops that sum them)
    else:
        # (the Cython loops' row maxima, one chain of scalar maxima per row,
        # cost as much as a copy; the sums: see skp_group_norms_f64)
        if kind == NORM_MAX and by_simd:
            if groups_are_rows:
                by_simd = skp_row_maxima_f64(<const double*> &y[0, 0], y.strides[0], n_rows,
                                             n_cols, norms)
            else:
                by_simd = skp_column_maxima_f64(<const double*> &y[0, 0], y.strides[0],
                                                n_rows, n_cols, norms)
        elif by_simd:
            found = skp_group_norms_f64(<const double*> &y[0, 0], y.strides[0], n_rows, n_cols,
                                        norms, kind, groups_are_rows)
            by_simd = found != 0
            rooted = found == 2     # (short rows' l2 norms, rooted in their lanes)
    if not by_simd:
        portable_group_norms(y, norms, kind, groups_are_rows)
    if kind == NORM_L2 and not rooted:
        if simd_enabled():
            skp_sqrt_all(norms, n_groups)
        else:
            for j in range(n_groups):
                norms[j] = sqrt(norms[j])
    # (in 32 chains, the same bits by every loop: skp_norms_sum_portable)
    if simd_enabled():
        return skp_norms_sum(norms, n_groups)
    return skp_norms_sum_portable(norms, n_groups)


# ------------------------------------------------------------ l1 norm and max together

cdef inline double row_sum_max(const floating* row, Py_ssize_t n, Py_ssize_t step,
                               double* maximum) noexcept nogil:
    """sum(|row|), and max(|row|) in ``maximum``, in one read."""
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


cdef inline void fold_row_sum_max(const floating* row, Py_ssize_t n, Py_ssize_t step,
                                  double* sums, double* maxima, double* squares) noexcept nogil:
    """Fold one row into the column l1 norms, maxima and sums of squares."""
    cdef Py_ssize_t j
    cdef double a
    for j in range(n):
        a = fabs(row[j * step])
        sums[j] += a
        if squares != NULL:
            squares[j] += a * a
        maxima[j] = a if a > maxima[j] else maxima[j]


cdef inline void fold_four_rows_sum_max(const floating* r0, const floating* r1,
                                        const floating* r2, const floating* r3,
                                        Py_ssize_t n, Py_ssize_t step,
                                        double* sums, double* maxima,
                                        double* squares) noexcept nogil:
    """Fold four rows into the column l1 norms, maxima and sums of squares."""
    cdef Py_ssize_t j
    cdef double a0, a1, a2, a3, m
    for j in range(n):
        a0 = fabs(r0[j * step])
        a1 = fabs(r1[j * step])
        a2 = fabs(r2[j * step])
        a3 = fabs(r3[j * step])
        sums[j] += (a0 + a1) + (a2 + a3)
        if squares != NULL:
            squares[j] += (a0 * a0 + a1 * a1) + (a2 * a2 + a3 * a3)
        a0 = a1 if a1 > a0 else a0
        a2 = a3 if a3 > a2 else a2
        a0 = a2 if a2 > a0 else a0
        m = maxima[j]
        maxima[j] = a0 if a0 > m else m


@cython.boundscheck(False)
@cython.wraparound(False)
cdef inline void stream_sums_and_maxima(const floating[:, :] y, double* sums,
                                        double* maxima, double* squares,
                                        bint groups_are_rows) noexcept nogil:
    """Every group's l1 norm and max in one pass (NaN/inf make the sum non-finite).

    Column groups also get their sums of squares in ``squares`` unless it is
    NULL (row groups leave it alone), as ``skp_l1inf_column_sums_max`` sums
    them.
    """
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1], i, j
    cdef Py_ssize_t step = element_step(y.strides[1], sizeof(floating))
    cdef const floating* base = &y[0, 0]
    cdef Py_ssize_t s0 = y.strides[0]
    if groups_are_rows:
        for i in range(n_rows):
            if step == 1:
                sums[i] = row_sum_max(row_at(base, s0, i), n_cols, 1, &maxima[i])
            else:
                sums[i] = row_sum_max(row_at(base, s0, i), n_cols, step, &maxima[i])
        return
    for j in range(n_cols):
        sums[j] = 0.0
        maxima[j] = 0.0
        if squares != NULL:
            squares[j] = 0.0
    i = 0
    while i + 4 <= n_rows:
        if step == 1:
            fold_four_rows_sum_max(row_at(base, s0, i), row_at(base, s0, i + 1),
                                   row_at(base, s0, i + 2), row_at(base, s0, i + 3),
                                   n_cols, 1, sums, maxima, squares)
        else:
            fold_four_rows_sum_max(row_at(base, s0, i), row_at(base, s0, i + 1),
                                   row_at(base, s0, i + 2), row_at(base, s0, i + 3),
                                   n_cols, step, sums, maxima, squares)
        i += 4
    while i < n_rows:
        fold_row_sum_max(row_at(base, s0, i), n_cols, step, sums, maxima, squares)
        i += 1
