# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Kernels for the bi-level projections and the group norms they start from.

Every kernel takes the matrix as a 2-D view in the orientation that makes its
rows contiguous when possible, and a flag ``groups_are_rows``.  Groups are
reduced by streaming over memory in order, so neither orientation transposes
or copies the matrix:

1. one read pass computes the group norms ``t``;
2. ``t`` is projected onto the l1 ball of radius ``eta`` (Condat), giving a
   threshold ``tau`` and the new group radii ``u = max(t - tau, 0)``;
3. one pass writes the result; groups whose radius is zero are written
   without being read.  When few groups survive, the output is zeroed by one
   memset (which streams past the caches, as memcpy does) and only the kept
   groups are read and written.

The norm pass is the streaming pass of ``_streaming.pxd`` (shared with the
exact l1,inf kernel); NaN and inf propagate into the norms, so the norms'
total tells whether the input was finite without a test per element.

References
----------
M. Barlaud, G. Perez, J.-P. Marmorat, "A new linear time bi-level l1,inf
projection; application to the sparsification of auto-encoders neural
networks", arXiv:2407.16293 (2024).
"""

from libc.math cimport INFINITY, fabs
from libc.stdlib cimport free, malloc
from cython cimport floating

from skproj.projections._common cimport (
    SPARSE_WRITE_DIVISOR, clip, clip_columns, clip_row, copy_matrix, shrink, zero_if_contiguous,
    zero_row,
)
from skproj.projections._streaming cimport element_step as _step, stream_group_norms
from skproj.projections._l1 cimport (
    STATUS_INSIDE, STATUS_NOMEMORY, STATUS_NONFINITE, STATUS_PROJECTED,
    group_threshold, keep_above, michelot_threshold, shrink_row, simd_enabled, simplex_threshold,
    skp_have_avx2, skp_keep_above_columns8_f32, skp_shrink_columns_f32, skp_shrink_columns_f64,
    skp_split_taus, skp_write_row_f32,
    skp_write_row_f64, streams,
)

# The permutation tables of _l1_simd.h are static: each module holds its own
# copy, filled by its own first call.
skp_have_avx2()


def group_norms(const floating[:, :] y, double[::1] norms, int kind,
                bint groups_are_rows):
    """Group norms into ``norms``; return ``False`` if they are not all finite."""
    cdef double total
    with nogil:
        total = stream_group_norms(y, &norms[0], kind, groups_are_rows)
    return total - total == 0.0


# ------------------------------------------------------ pass 2: the l1 threshold

cdef int _norms_and_threshold(const floating[:, :] y, double* norms, int kind,
                              bint groups_are_rows, double eta,
                              double* tau) noexcept nogil:
    """The group norms and the l1 threshold ``tau`` on them."""
    cdef Py_ssize_t n_groups = y.shape[0] if groups_are_rows else y.shape[1]
    cdef double total = stream_group_norms(y, norms, kind, groups_are_rows)
    cdef double* buffer
    if total - total != 0.0:
        return STATUS_NONFINITE
    if total <= eta:
        return STATUS_INSIDE
    buffer = <double*> malloc(n_groups * sizeof(double))
    if buffer == NULL:
        return STATUS_NOMEMORY
    tau[0] = simplex_threshold(norms, n_groups, eta, buffer)
    free(buffer)
    return STATUS_PROJECTED


cdef int _new_radii(const floating[:, :] y, floating[:, :] x, int kind,
                    bint groups_are_rows, double eta, double* radii,
                    double* tau_out) noexcept nogil:
    """Radii ``max(t - tau, 0)`` of the groups in ``radii``; copy y if inside."""
    cdef Py_ssize_t n_groups = y.shape[0] if groups_are_rows else y.shape[1], j
    cdef double tau = 0.0
    cdef int status = _norms_and_threshold(y, radii, kind, groups_are_rows, eta, &tau)
    tau_out[0] = tau
    if status == STATUS_INSIDE:
        copy_matrix(y, x)
    elif status == STATUS_PROJECTED:
        for j in range(n_groups):
            radii[j] = max(radii[j] - tau, 0.0)
    return status


# ------------------------------------------------------ pass 3: write the result

cdef inline void _shrink_columns(const floating* src, floating* dst, Py_ssize_t n,
                                 Py_ssize_t step_x, const double* taus) noexcept nogil:
    """``dst[j] = shrink(src[j], taus[j])``: one contiguous row, each column its own tau."""
    cdef Py_ssize_t j
    if step_x == 1:
        for j in range(n):
            dst[j] = shrink(src[j], taus[j])
    else:
        for j in range(n):
            dst[j * step_x] = shrink(src[j], taus[j])


cdef void _shrink_all_columns(const floating[:, :] y, floating[:, :] x,
                              const double* taus) noexcept nogil:
    """Soft-threshold every column by its own tau, row by row (rows of y contiguous)."""
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1], i
    cdef Py_ssize_t step_x = _step(x.strides[1], sizeof(floating))
    cdef bint stream = streams(n_rows * n_cols * sizeof(floating))
    cdef float* halves = NULL
    if step_x == 1 and simd_enabled():
        if floating is double:
            for i in range(n_rows):
                skp_shrink_columns_f64(&y[i, 0], &x[i, 0], n_cols, taus, stream)
            return
        halves = <float*> malloc(2 * n_cols * sizeof(float))
        if halves != NULL:
            skp_split_taus(taus, n_cols, halves, halves + n_cols)
            for i in range(n_rows):
                skp_shrink_columns_f32(&y[i, 0], &x[i, 0], n_cols, taus, halves,
                                       halves + n_cols, stream)
            free(halves)
            return
    for i in range(n_rows):
        _shrink_columns(&y[i, 0], &x[i, 0], n_cols, step_x, taus)


cdef inline void _scale_columns(const floating* src, Py_ssize_t n, Py_ssize_t step_y,
                                floating* dst, Py_ssize_t step_x,
                                const floating* scales) noexcept nogil:
    cdef Py_ssize_t j
    for j in range(n):
        dst[j * step_x] = src[j * step_y] * scales[j]


cdef inline void _scale_row(const floating* src, Py_ssize_t n, Py_ssize_t step_y,
                            floating* dst, Py_ssize_t step_x, floating scale) noexcept nogil:
    cdef Py_ssize_t j
    for j in range(n):
        dst[j * step_x] = src[j * step_y] * scale


cdef inline void _write_row_simd(const floating* src, floating* dst, Py_ssize_t n,
                                 bint rescale, floating level, const floating* levels,
                                 bint stream) noexcept nogil:
    """One contiguous row by the AVX2 loop of ``_l1_simd.h`` (``levels``: per column)."""
    if floating is float:
        skp_write_row_f32(src, dst, n, rescale, level, levels, stream)
    else:
        skp_write_row_f64(src, dst, n, rescale, level, levels, stream)


cdef void _write_groups(const floating[:, :] y, floating[:, :] x, bint groups_are_rows,
                        const floating* factors, bint rescale) noexcept nogil:
    """Clip (or rescale) every group by its factor; zero groups are not read."""
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1], i
    cdef Py_ssize_t step_y = _step(y.strides[1], sizeof(floating))
    cdef Py_ssize_t step_x = _step(x.strides[1], sizeof(floating))
    cdef bint unit = step_y == 1 and step_x == 1
    cdef bint stream = streams(n_rows * n_cols * sizeof(floating))
    for i in range(n_rows):
        if unit and simd_enabled() and not (groups_are_rows and factors[i] == 0):
            _write_row_simd(&y[i, 0], &x[i, 0], n_cols, rescale,
                            factors[i] if groups_are_rows else 0,
                            NULL if groups_are_rows else factors, stream)
        elif groups_are_rows and factors[i] == 0:
            if unit:
                zero_row(&x[i, 0], n_cols, 1)
            else:
                zero_row(&x[i, 0], n_cols, step_x)
        elif groups_are_rows and rescale:
            if unit:
                _scale_row(&y[i, 0], n_cols, 1, &x[i, 0], 1, factors[i])
            else:
                _scale_row(&y[i, 0], n_cols, step_y, &x[i, 0], step_x, factors[i])
        elif groups_are_rows:
            if unit:
                clip_row(&y[i, 0], &x[i, 0], n_cols, 1, 1, factors[i])
            else:
                clip_row(&y[i, 0], &x[i, 0], n_cols, step_y, step_x, factors[i])
        elif rescale:
            if unit:
                _scale_columns(&y[i, 0], n_cols, 1, &x[i, 0], 1, factors)
            else:
                _scale_columns(&y[i, 0], n_cols, step_y, &x[i, 0], step_x, factors)
        else:
            if unit:
                clip_columns(&y[i, 0], &x[i, 0], n_cols, 1, 1, factors)
            else:
                clip_columns(&y[i, 0], &x[i, 0], n_cols, step_y, step_x, factors)


cdef inline bint _few_kept(Py_ssize_t n_kept, Py_ssize_t n_groups, bint groups_are_rows,
                           Py_ssize_t itemsize) noexcept nogil:
    """Whether so few groups are kept that zeroing all, then writing them, pays.

    Kept columns are scattered along every row: reading them reads the cache
    lines (64 bytes) they lie in, so columns must be sparser by the number of
    values per line.
    """
    if not groups_are_rows:
        n_kept *= 64 // itemsize
    return n_kept * SPARSE_WRITE_DIVISOR < n_groups


cdef bint _write_sparse_groups(const floating[:, :] y, floating[:, :] x,
                               bint groups_are_rows, const floating* factors,
                               bint rescale) noexcept nogil:
    """Zero ``x`` in one memset, then write only the non-zero groups.

    Returns False (writing nothing) unless few groups are non-zero and ``x``
    is a contiguous array apart from ``y``.  Columns are then gathered by
    index, so the rows of ``y`` are read only where a kept column lies.
    """
    cdef Py_ssize_t n_groups = y.shape[0] if groups_are_rows else y.shape[1]
    cdef Py_ssize_t n_kept = 0, g, i, k
    cdef Py_ssize_t step_y = _step(y.strides[1], sizeof(floating))
    cdef Py_ssize_t* kept
    cdef const floating* src
    cdef floating* dst
    for g in range(n_groups):
        n_kept += factors[g] != 0
    if (not _few_kept(n_kept, n_groups, groups_are_rows, sizeof(floating))
            or <const void*> &x[0, 0] == <const void*> &y[0, 0]):
        return False
    kept = <Py_ssize_t*> malloc(max(n_kept, 1) * sizeof(Py_ssize_t))
    if kept == NULL or not zero_if_contiguous(x):
        free(kept)
        return False
    n_kept = 0
    for g in range(n_groups):
        if factors[g] != 0:
            kept[n_kept] = g
            n_kept += 1
    if groups_are_rows:
        for k in range(n_kept):
            g = kept[k]
            if rescale:
                _scale_row(&y[g, 0], y.shape[1], step_y, &x[g, 0], 1, factors[g])
            else:
                clip_row(&y[g, 0], &x[g, 0], y.shape[1], step_y, 1, factors[g])
    else:
        for i in range(y.shape[0]):
            src = &y[i, 0]
            dst = &x[i, 0]
            for k in range(n_kept):
                g = kept[k]
                if rescale:
                    dst[g] = src[g * step_y] * factors[g]
                else:
                    dst[g] = clip(src[g * step_y], factors[g])
    free(kept)
    return True


cdef int _bilevel_clip_or_scale(const floating[:, :] y, floating[:, :] x, double eta,
                                bint groups_are_rows, double[::1] radii,
                                bint rescale) noexcept nogil:
    cdef Py_ssize_t n_groups = radii.shape[0], j
    cdef int kind = NORM_L2 if rescale else NORM_MAX
    cdef double tau = 0.0
    cdef floating* factors
    cdef int status = _norms_and_threshold(y, &radii[0], kind, groups_are_rows, eta, &tau)
    if status == STATUS_INSIDE:
        copy_matrix(y, x)
    if status != STATUS_PROJECTED:
        return status
    factors = <floating*> malloc(n_groups * sizeof(floating))
    if factors == NULL:
        return STATUS_NOMEMORY
    for j in range(n_groups):
        if rescale:
            # radii[j] is the l2 norm t_j; the factor is u_j / t_j.
            factors[j] = <floating> (max(radii[j] - tau, 0.0) / radii[j]
                                     if radii[j] > tau else 0.0)
        else:
            factors[j] = <floating> max(radii[j] - tau, 0.0)
        radii[j] = max(radii[j] - tau, 0.0)
    if not _write_sparse_groups(y, x, groups_are_rows, factors, rescale):
        _write_groups(y, x, groups_are_rows, factors, rescale)
    free(factors)
    return STATUS_PROJECTED


def bilevel_l1inf(const floating[:, :] y, floating[:, :] x, double eta,
                  bint groups_are_rows, double[::1] radii):
    """Clip each group to its new infinity-norm radius (written in ``radii``)."""
    cdef int status
    with nogil:
        status = _bilevel_clip_or_scale(y, x, eta, groups_are_rows, radii, False)
    return status


def bilevel_l12(const floating[:, :] y, floating[:, :] x, double eta,
                bint groups_are_rows, double[::1] radii):
    """Rescale each group to its new l2-norm radius (written in ``radii``)."""
    cdef int status
    with nogil:
        status = _bilevel_clip_or_scale(y, x, eta, groups_are_rows, radii, True)
    return status


cdef struct ColumnBlock:
    # The candidates of eight adjacent float32 columns, gathered together
    # (skp_keep_above_columns8_f32): column ``first + c`` has counts[c]
    # values, summing to sums[c], at values + c * capacity.
    float* values
    Py_ssize_t capacity
    Py_ssize_t first
    bint gathered         # False: too few of the eight are kept, gathered one by one
    Py_ssize_t counts[8]
    double sums[8]


cdef Py_ssize_t _column_candidates(const floating[:, :] y, Py_ssize_t g, double floor,
                                   const double* radii, floating* buffer, ColumnBlock* block,
                                   floating** values, double* total) noexcept nogil:
    """Magnitudes of column ``g`` above ``floor`` in ``values[0][:n]``; return n.

    With a block (float32, AVX2, contiguous rows), eight columns at a time
    from whole rows when at least half of them are kept (``radii``); else one
    column by hardware gathers (``keep_above``).
    """
    cdef Py_ssize_t first = g - g % 8, c = g % 8, n_kept = 0
    if floating is float:
        if block.values != NULL and first + 8 <= y.shape[1]:
            if block.first != first:
                block.first = first
                for c in range(first, first + 8):
                    n_kept += radii[c] != 0
                c = g % 8
                block.gathered = n_kept >= 4
                if block.gathered:
                    skp_keep_above_columns8_f32(&y[0, first], y.strides[0], y.shape[0], floor,
                                                block.values, block.capacity, block.counts,
                                                block.sums)
        if block.values != NULL and block.first == first and block.gathered:
            values[0] = block.values + c * block.capacity
            total[0] = block.sums[c]
            return block.counts[c]
    values[0] = buffer
    return keep_above(&y[0, g], y.shape[0], _step(y.strides[0], sizeof(floating)), floor, True,
                      buffer, total)


def bilevel_l11(const floating[:, :] y, floating[:, :] x, double eta,
                bint groups_are_rows, double[::1] radii):
    """Project each group onto the l1 ball of its new radius (in ``radii``).

    Each shrunk group needs its own soft threshold ``tau_g``, found by
    Michelot's method (``group_threshold``) on the group's magnitudes above a
    known floor, gathered as they lie in memory (strided when the groups are
    columns: consecutive columns share cache lines, so they stay cached).
    Rows are then soft-thresholded in place in the loop; columns, when most
    survive, row by row afterwards (each column its own threshold), so that
    the write streams along memory.
    """
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1]
    cdef Py_ssize_t group_size = n_cols if groups_are_rows else n_rows
    cdef Py_ssize_t n_groups = n_rows if groups_are_rows else n_cols, g, i, n_kept
    cdef Py_ssize_t step_y, step_x, n_candidates
    cdef bint zeroed
    cdef floating* dst
    cdef double group_tau, outer_tau, candidates_total, support
    cdef int status
    cdef floating* buffer = <floating*> malloc(max(group_size, 1) * sizeof(floating))
    cdef double* taus = <double*> malloc(max(n_groups, 1) * sizeof(double))
    cdef floating* candidates
    cdef ColumnBlock block
    block.values = NULL
    block.first = -1
    block.capacity = group_size + 8
    if (floating is float and not groups_are_rows and simd_enabled()
            and y.strides[1] == sizeof(float)):
        block.values = <float*> malloc(8 * block.capacity * sizeof(float))
    if buffer == NULL or taus == NULL:
        free(buffer)
        free(taus)
        free(block.values)
        return STATUS_NOMEMORY
    if groups_are_rows:
        step_y = _step(y.strides[1], sizeof(floating))
        step_x = _step(x.strides[1], sizeof(floating))
    else:
        step_y = _step(y.strides[0], sizeof(floating))
        step_x = _step(x.strides[0], sizeof(floating))
    with nogil:
        status = _new_radii(y, x, NORM_L1, groups_are_rows, eta, &radii[0], &outer_tau)
        if status == STATUS_PROJECTED:
            n_kept = 0
            for g in range(n_groups):
                n_kept += radii[g] != 0
            zeroed = (_few_kept(n_kept, n_groups, groups_are_rows, sizeof(floating))
                      and <const void*> &x[0, 0] != <const void*> &y[0, 0]
                      and zero_if_contiguous(x))
            for g in range(n_groups):
                dst = &x[g, 0] if groups_are_rows else &x[0, g]
                if radii[g] == 0.0:
                    taus[g] = INFINITY
                    if zeroed or not groups_are_rows and y.strides[1] == sizeof(floating):
                        pass   # zero already, or written row by row below
                    elif step_x == 1:
                        zero_row(dst, group_size, 1)
                    else:
                        zero_row(dst, group_size, step_x)
                    continue
                # The group's tau is at least (t_g - u_g) / n = outer_tau / n:
                # gather only the magnitudes above that floor.
                if groups_are_rows:
                    candidates = buffer
                    n_candidates = keep_above(&y[g, 0], group_size, step_y,
                                              outer_tau / group_size, True, buffer,
                                              &candidates_total)
                else:
                    n_candidates = _column_candidates(y, g, outer_tau / group_size, &radii[0],
                                                      buffer, &block, &candidates,
                                                      &candidates_total)
                group_tau = group_threshold(candidates, n_candidates, candidates_total,
                                            radii[g], &support)
                taus[g] = group_tau
                if groups_are_rows:
                    shrink_row(&y[g, 0], group_size, step_y, dst, step_x, group_tau,
                               streams(n_rows * n_cols * sizeof(floating)))
                elif zeroed or y.strides[1] != sizeof(floating):
                    shrink_row(&y[0, g], group_size, step_y, dst, step_x, group_tau, False)
            if not groups_are_rows and not zeroed and y.strides[1] == sizeof(floating):
                _shrink_all_columns(y, x, taus)
    free(buffer)
    free(taus)
    free(block.values)
    return status
