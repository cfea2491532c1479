# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Kernels for the bi-level projections and the group norms they start from.

Every kernel takes the matrix as a 2-D view in the orientation that makes its
rows contiguous when possible, and a flag ``groups_are_rows``.  Groups are
reduced by streaming over memory in order, so neither orientation transposes
or copies the matrix:

1. one read pass computes the group norms ``t``;
2. ``t`` is projected onto the l1 ball of radius ``eta`` (Michelot), giving a
   threshold ``tau`` and the new group radii ``u = max(t - tau, 0)``;
3. one pass writes the result; groups whose radius is zero are written
   without being read (+0), and so are the vectors of a streamed row that lie
   under zeroed columns alone where they are most of the row's.  When few
   groups survive, the output is zeroed in one pass (by non-temporal stores
   when the result streams past the caches) and only the kept groups are
   read and written.

The l1,1 projection needs a soft threshold per group as well, found among
the group's larger magnitudes: rows are gathered, thresholded and written one
by one (a row stays in cache from its read to its write); columns a panel of
adjacent columns at a time (read once, row by row, into per-column candidate
lists, then written from the cache), so that the matrix is read twice in all
(norms, panel) and written once, as in the other projections plus one read.
A panel of short columns, or of columns that keep much of their norm, finds
its taus by Michelot's passes over the panel itself in cache, a vector of
columns at a time, instead of gathering candidates.

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
from libc.stdlib cimport free as libc_free, realloc
from libc.string cimport memmove
from cython cimport floating

# (work memory from the kernels' shared cache, kept from one call to the
# next: per-group tables of many groups, some MB, came back from the system
# on every call, zeroed page by page; but for the candidate lists, which grow
# by ``realloc``)
from skproj.projections._scratch_cache cimport (
    scratch_calloc as calloc, scratch_free as free, scratch_malloc as malloc,
)
from skproj.projections._common cimport (
    SPARSE_WRITE_DIVISOR, clip, clip_columns, clip_row, copy_matrix, matrix_slice, shrink,
)
from skproj.projections._streaming cimport (
    NextPanel, element_step as _step, stream_group_norms,
)
from skproj.projections._l1 cimport (
    SHORT_GROUP, STATUS_INSIDE, STATUS_NOMEMORY, STATUS_NONFINITE, STATUS_PROJECTED,
    Halves, group_split, group_threshold, keep_above, run_halves, michelot_above_into,
    mostly_zero_lines, set_block,
    shrink_row, simd_enabled, skp_have_avx2, skp_fold512, skp_kept_factors, skp_norms_sum,
    skp_norms_sum_portable, skp_panels_into_l1, skp_realign, skp_rows_alias,
    skp_ahead_for_rows, skp_set_avx512, skp_set_cpu_choices, skp_set_stream_ahead, skp_stream_fence,
    shrink_rows_at_once, streams, streams_rows, write_kept_columns, write_narrow,
    write_row_simd, write_rows_at_once, write_strips,
    zero_result, zero_result_row,
)

# The permutation tables of _l1_simd.h are static: each module holds its own
# copy, filled by its own first call.
skp_have_avx2()
skp_set_half_passes(True)   # (where the CPU has AVX-512VL: skp_half_above8_f32)


def group_norms(const floating[:, :] y, double[::1] norms, int kind,
                bint groups_are_rows):
    """Group norms into ``norms``; return ``False`` if they are not all finite."""
    cdef double total
    with nogil:
        total = _group_norms(y, &norms[0], kind, groups_are_rows)
    return total - total == 0.0


# ------------------------------------------------------ large matrices in two halves

# A large matrix is projected in two halves of its groups, the second on a
# thread of its own where two CPUs are free (``half_threads``, _l1.pyx): a
# group's norm and its projection read that group alone, so each half is a
# projection of its own but for the l1 threshold on the norms, found
# between the two.  bilevel_l11's halves are bound by their groups' passes
# in cache more than by the memory, and take about 0.6 of the time on two
# cores: issue 14, an AMD Zen 4 with 2 cores, 1000 x 10000 at 1, 10, 50,
# 90 % of the groups kept, times a copy, one thread -> two: float64 column
# groups 0.98, 1.78, 2.19, 2.34 -> 0.63, 1.05, 1.25, 1.33; float32 0.99,
# 1.86, 2.20, 2.01 -> 0.78, 1.24, 1.41, 1.30; row groups 0.58-1.59 ->
# 0.35-1.04.  bilevel_l1inf's and bilevel_l12's norms and writes wait on
# the memory, which two cores read in 0.74 of one's time: in halves too
# since the exact l1,inf ball (measured against bilevel_l1inf) has its own,
# 0.61-0.94 of the time on 1000 x 10000 and 100000 x 100 (single calls
# interleaved, the same bits).  The halves are the same whether
# one thread or two run them, so the result does not depend on the threads.

cdef enum:
    # a half's work (each half 8 MiB or more, streamed as the whole,
    # STREAM_BYTES: ``group_split``)
    HALF_NORMS = 0
    HALF_L11 = 1
    HALF_WRITE = 2       # bilevel_l1inf's and bilevel_l12's write (_write_groups)


def _split_point(const floating[:, :] y, bint groups_are_rows):
    """Testing hook: the first group of ``y``'s second half (``group_split``; 0: none)."""
    return group_split(y, groups_are_rows)


ctypedef struct _Half:
    # (a bi-level projection's work of a half, a block of whole groups:
    # run_halves)
    bint groups_are_rows
    int work, kind
    double* per_group      # the half's norms (HALF_NORMS) or radii (HALF_L11)
    void* factors          # HALF_WRITE: its groups' levels or scales (the input's dtype)
    bint rescale           # ... scales (bilevel_l12), else levels (bilevel_l1inf)
    double floor
    double total           # HALF_NORMS: the sum of its norms
    int status


cdef void _half_work(void* pointer, const floating[:, :] y, floating[:, :] x) noexcept nogil:
    """The bi-level projections' job of a half (``_Half``)."""
    cdef _Half* half = <_Half*> pointer
    if half.work == HALF_NORMS:
        half.total = stream_group_norms(y, half.per_group, half.kind, half.groups_are_rows)
    elif half.work == HALF_WRITE:
        _write_groups(y, x, half.groups_are_rows, <const floating*> half.factors, half.rescale)
    else:
        half.status = _l11_groups(y, x, half.groups_are_rows, half.per_group, half.floor)


cdef int _halves(const floating[:, :] y, char* x, Py_ssize_t x_row, Py_ssize_t x_col,
                 bint groups_are_rows, int work, int kind, double* per_group,
                 const floating* factors, double floor, double* total) noexcept nogil:
    """``work`` on the halves of ``y``'s groups (``group_split``; ``run_halves``),
    the result's memory at ``x`` (strides ``x_row``, ``x_col``; NULL for the
    norms), the groups' norms or radii in ``per_group`` and their levels or
    scales in ``factors`` (HALF_WRITE, ``kind`` NORM_L2: scales); ``total``:
    the norms' sum (or NULL).  Returns the first status other than
    STATUS_PROJECTED, if any."""
    cdef Py_ssize_t split = group_split(y, groups_are_rows)
    cdef Halves whole
    cdef _Half first, second
    set_block(&whole, y, x, x_row, x_col)
    whole.job32 = _half_work[float]
    whole.job64 = _half_work[double]
    first.groups_are_rows = groups_are_rows
    first.work = work
    first.kind = kind
    first.floor = floor
    first.status = STATUS_PROJECTED
    first.per_group = per_group
    first.factors = <void*> factors
    first.rescale = kind == NORM_L2
    # (the rest of the groups, ``split`` groups on)
    second = first
    second.per_group = NULL if per_group == NULL else per_group + split
    second.factors = NULL if factors == NULL else <void*> (factors + split)
    run_halves(&whole, split, groups_are_rows, &first, &second)
    if total != NULL:
        total[0] = first.total + second.total
    return first.status if first.status != STATUS_PROJECTED else second.status


cdef double _group_norms(const floating[:, :] y, double* norms, int kind,
                         bint groups_are_rows) noexcept nogil:
    """``stream_group_norms``, in halves where the matrix is large (``_halves``:
    the same norms whether one thread finds them or two, their sum in another
    order).  Returns the norms' sum."""
    cdef double total
    if not group_split(y, groups_are_rows):
        return stream_group_norms(y, norms, kind, groups_are_rows)
    _halves(y, NULL, 0, 0, groups_are_rows, HALF_NORMS, kind, norms, NULL, 0.0, &total)
    return total


# ------------------------------------------------------ pass 2: the l1 threshold

cdef int _norms_and_threshold(const floating[:, :] y, double* norms, int kind,
                              bint groups_are_rows, double eta,
                              double* tau) noexcept nogil:
    """The group norms and the l1 threshold ``tau`` on them."""
    cdef Py_ssize_t n_groups = y.shape[0] if groups_are_rows else y.shape[1]
    cdef double total = _group_norms(y, norms, kind, groups_are_rows)
    cdef double support
    cdef double* buffer
    if total - total != 0.0:
        return STATUS_NONFINITE
    if total <= eta:
        return STATUS_INSIDE
    # Michelot's passes (branch-free compaction, AVX2) from the norms into a
    # buffer: Condat's scan mispredicts a branch per norm where many groups
    # survive, the common case, and cost most of a copy of a 100 x 1000
    # matrix there.
    buffer = <double*> malloc(n_groups * sizeof(double))
    if buffer == NULL:
        return STATUS_NOMEMORY
    # (>= 0: a radius at the norm up to rounding may give a negative one,
    # which would grow the groups; as in _l1's threshold)
    tau[0] = max(michelot_above_into(norms, n_groups, total, eta, buffer, &support), 0.0)
    free(buffer)
    return STATUS_PROJECTED


cdef int _new_radii(const floating[:, :] y, floating[:, :] x, int kind,
                    bint groups_are_rows, double eta, double* radii,
                    double* tau_out) noexcept nogil:
    """Radii ``max(t - tau, 0)`` of the groups in ``radii``; copy y if inside."""
    cdef Py_ssize_t n_groups = y.shape[0] if groups_are_rows else y.shape[1]
    cdef double tau = 0.0
    cdef int status = _norms_and_threshold(y, radii, kind, groups_are_rows, eta, &tau)
    tau_out[0] = tau
    if status == STATUS_INSIDE:
        copy_matrix(y, x)
    elif status == STATUS_PROJECTED:
        _kept_radii(radii, n_groups, tau)
    return status


cdef inline void _kept_radii(double* norms, Py_ssize_t n_groups, double tau) noexcept nogil:
    """The groups' norms into their new radii ``max(t - tau, 0)``."""
    cdef Py_ssize_t j
    if simd_enabled():
        # (the loop below, four groups a vector; a group at a time it cost
        # bilevel_l11 on float32 20000 x 3 by rows some 3 us, a twentieth)
        skp_kept_factors(norms, n_groups, tau, False, NULL, NULL)
    else:
        for j in range(n_groups):
            norms[j] = max(norms[j] - tau, 0.0)


# ------------------------------------------------------ pass 3: write the result

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


cdef void _write_groups(const floating[:, :] y, floating[:, :] x, bint groups_are_rows,
                        const floating* factors, bint rescale) noexcept nogil:
    """Clip (or rescale) every group by its factor; zero groups are not read."""
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1], i
    cdef Py_ssize_t step_y = _step(y.strides[1], sizeof(floating))
    cdef Py_ssize_t step_x = _step(x.strides[1], sizeof(floating))
    cdef bint unit = step_y == 1 and step_x == 1
    cdef bint stream = streams_rows(n_rows, n_cols * sizeof(floating))
    # (asked once: a call into _l1 a row was 4 % of 5000 x 10 row groups)
    cdef bint simd = simd_enabled()
    # Column groups of a block in cache: by strips with AVX-512 where
    # ``skp_strips_suit`` says (on AMD's Zen 5 every block; elsewhere rows of
    # at most 512 bytes or of 12 KiB and more), their levels in registers
    # down the rows (``skp_write_strips512_f32``, same bits; issue 14, an AMD
    # Zen 5, single calls interleaved, at half the norm, times a copy,
    # float32 bilevel_l1inf / bilevel_l12, the row loop -> strips: 100 x
    # 1000 2.63 -> 2.32 and 2.95 -> 2.69, 1000 x 100 3.40 -> 3.05 and 3.40
    # -> 3.11, 30 x 1000 and 100 x 333 0.94-0.96 of the time; float64
    # 0.96-1.02).  Elsewhere along the rows (skp_strips:
    # an Intel Xeon, the same measure, strips -> rows: 100 x 1000 2.58 ->
    # 2.07 and 2.84 -> 2.45, 500 x 500 2.58 -> 2.04 and 2.75 -> 2.26,
    # 30 x 1000 3.27 -> 2.71 and 3.95 -> 3.56, but 1000 x 100 2.50 -> 2.57
    # and 2.84 -> 2.95; float64 100 x 1000 2.76 -> 2.21 and 2.22 -> 1.79);
    # and along the rows too where they lie a multiple of 2 KiB apart
    # (skp_strips_suit: 64 x 1024 float32 5.6 -> 2.5 times a copy).
    if (not groups_are_rows and unit and simd and not stream
            and write_strips(y, x, rescale, factors)):
        return
    # Narrow column groups past the strips' size, of rows lying one after the
    # other: one run of vectors, each column's level repeating along it
    # (``write_narrow``, the same bits; streamed past the caches), where the
    # row loop below spent a call and a vector on each row's few values
    # (issue 14: see SKP_NARROW_LARGE_VECTORS).
    if not groups_are_rows and unit and simd and write_narrow(y, x, rescale, factors, True):
        return
    # Short contiguous rows, the whole block at once (``write_rows_at_once``:
    # the rows' levels spread to their values; the same result): the row loop
    # spent a call on each row (issue 14, an Intel Xeon, single calls
    # interleaved, times a copy, float32 by rows: bilevel_l1inf 10000 x 8 10.6
    # -> 6.8, 784 x 10 6.7 -> 5.0, 10000 x 16 5.2 -> 4.2; bilevel_l12 10000 x 8
    # 17.9 -> 11.7, 784 x 10 10.8 -> 7.3; float64 10000 x 8 5.8 -> 4.7).  Rows
    # under 1 KiB too, as one flat run of vectors with AVX-512, as the exact
    # ball writes them (issue 14, the AMD Zen 4, single calls interleaved,
    # times a copy at 10, 50, 90 % of the norm, a call a row -> flat:
    # scikit-learn's digits standardized, 1797 x 64, float32 bilevel_l1inf
    # 1.66 -> 1.68, 3.02 -> 1.92, 2.98 -> 1.88, bilevel_l12 2.61 -> 2.49,
    # 3.32 -> 2.44, 3.31 -> 2.43; float64 0.89-0.90 of the time at 50-90 %,
    # but bilevel_l12 at 10 % (a third of the rows kept) 1.06-1.08; Gaussian
    # 1000 x 32 0.55-0.85, 5000 x 17 0.57-0.76, 1000 x 100 float32 0.79-0.89,
    # float64 0.95-0.99); with AVX2 alone too (see skp_write_rows_flat256_f32).
    if (groups_are_rows and unit and simd and not stream
            and y.strides[0] == n_cols * <Py_ssize_t> sizeof(floating)
            and x.strides[0] == n_cols * <Py_ssize_t> sizeof(floating)
            and write_rows_at_once(&y[0, 0], &x[0, 0], n_rows, n_cols, rescale, factors)):
        return
    # Column groups streamed, most of whose lines are zero: only the kept
    # columns' lines read (where _write_sparse_groups declined).
    cdef bint kept_lines = (not groups_are_rows and unit and simd and stream
                            and mostly_zero_lines(factors, n_cols))
    for i in range(n_rows):
        if kept_lines:
            write_kept_columns(&y[i, 0], &x[i, 0], n_cols, rescale, factors,
                               &y[i + 1, 0] if i + 1 < n_rows else NULL)
        elif unit and simd and not (groups_are_rows and factors[i] == 0):
            write_row_simd(&y[i, 0], &x[i, 0], n_cols, rescale,
                            factors[i] if groups_are_rows else 0,
                            NULL if groups_are_rows else factors, stream)
        elif groups_are_rows and factors[i] == 0:
            zero_result_row(&x[i, 0], n_cols, step_x, stream)
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
    if stream:
        skp_stream_fence()


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
    """Zero ``x`` in one pass (``zero_result``), then write only the non-zero groups.

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
    if kept == NULL or not zero_result(
            x, streams(x.shape[0] * x.shape[1] * sizeof(floating))):
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
                                bint groups_are_rows, double* radii,
                                bint rescale) noexcept nogil:
    cdef Py_ssize_t n_groups = y.shape[0] if groups_are_rows else y.shape[1], j
    cdef int kind = NORM_L2 if rescale else NORM_MAX
    cdef double tau = 0.0, kept
    cdef floating* factors
    cdef int status = _norms_and_threshold(y, radii, kind, groups_are_rows, eta, &tau)
    if status == STATUS_INSIDE:
        copy_matrix(y, x)
    if status != STATUS_PROJECTED:
        return status
    factors = <floating*> malloc(n_groups * sizeof(floating))
    if factors == NULL:
        return STATUS_NOMEMORY
    if simd_enabled():
        # (the loop below, four groups a vector: skp_kept_factors)
        if floating is float:
            skp_kept_factors(radii, n_groups, tau, rescale, factors, NULL)
        else:
            skp_kept_factors(radii, n_groups, tau, rescale, NULL, factors)
    else:
        for j in range(n_groups):
            kept = max(radii[j] - tau, 0.0)
            if rescale:
                # radii[j] is the l2 norm t_j; the factor is u_j / t_j, 0 for a
                # zeroed group by a division that does not branch (about half the
                # groups survive: a branch on it mispredicted every other group).
                factors[j] = <floating> (kept / (radii[j] if radii[j] > 0 else 1.0))
            else:
                factors[j] = <floating> kept
            radii[j] = kept
    if _write_sparse_groups(y, x, groups_are_rows, factors, rescale):
        pass
    elif group_split(y, groups_are_rows):
        _halves(y, <char*> &x[0, 0], x.strides[0], x.strides[1], groups_are_rows, HALF_WRITE,
                kind, NULL, factors, 0.0, NULL)
    else:
        _write_groups(y, x, groups_are_rows, factors, rescale)
    free(factors)
    return STATUS_PROJECTED


def bilevel_l1inf(const floating[:, :] y, floating[:, :] x, double eta,
                  bint groups_are_rows, double[::1] radii):
    """Clip each group to its new infinity-norm radius (written in ``radii``)."""
    cdef int status
    with nogil:
        status = _bilevel_clip_or_scale(y, x, eta, groups_are_rows, &radii[0], False)
    return status


def bilevel_l12(const floating[:, :] y, floating[:, :] x, double eta,
                bint groups_are_rows, double[::1] radii):
    """Rescale each group to its new l2-norm radius (written in ``radii``)."""
    cdef int status
    with nogil:
        status = _bilevel_clip_or_scale(y, x, eta, groups_are_rows, &radii[0], True)
    return status


# ------------------------------------------------------ bi-level l1,1

cdef extern from "_transpose_simd.h" nogil:
    void skp_narrow_as_rows_f32(const float* y, Py_ssize_t n_rows, Py_ssize_t n, float* rows,
                                int level)
    void skp_narrow_as_rows_f64(const double* y, Py_ssize_t n_rows, Py_ssize_t n,
                                double* rows, int level)


cdef extern from "_bilevel_simd.h" nogil:
    const double SKP_BOUND_MARGIN
    int skp_avx512_enabled()
    int skp_rows_ahead
    int skp_set_half_passes(int on)
    int skp_candidates512
    int skp_panel_lines
    int skp_short_rows256
    int skp_narrow_columns
    void skp_scale_row_f32(const float* src, float* dst, Py_ssize_t n, double factor,
                           int simd, int stream)
    double skp_short_threshold_by_f32(const float* values, Py_ssize_t n, double total,
                                      double fixed_count, double fixed_sum, double radius,
                                      double* support, int wide)
    double skp_short_threshold512_f64(const double* values, Py_ssize_t n, double total,
                                      double radius)
    Py_ssize_t skp_row_keep_above_f64(const double* src, Py_ssize_t n, double rho, double* dst,
                                      double* sum, int* done, Py_ssize_t ahead)
    Py_ssize_t skp_row_keep_above_f32(const float* src, Py_ssize_t n, double rho, float* dst,
                                      double* sum, int* done, Py_ssize_t ahead)
    void skp_split_taus(const double* taus, Py_ssize_t n, float* hi, float* lo)
    float skp_shrink_two_floats(float value, float hi, float lo)
    Py_ssize_t skp_panel_candidates_f32(const float* base, Py_ssize_t row_stride,
                                        Py_ssize_t n_rows, Py_ssize_t width, double floor,
                                        const double* radii, float* lists, Py_ssize_t capacity,
                                        Py_ssize_t* counts, double* sums, float* floors,
                                        Py_ssize_t* lines, Py_ssize_t start, bint last)
    Py_ssize_t skp_panel_candidates_f64(const double* base, Py_ssize_t row_stride,
                                        Py_ssize_t n_rows, Py_ssize_t width, double floor,
                                        const double* radii, double* lists, Py_ssize_t capacity,
                                        Py_ssize_t* counts, double* sums, double* floors,
                                        Py_ssize_t* lines, Py_ssize_t start, bint last)
    void skp_panel_thresholds_f32(const float* base, Py_ssize_t row_stride, Py_ssize_t n_rows,
                                  Py_ssize_t width, double floor, const double* radii,
                                  double* taus, double* hint, float* packed, int pairs,
                                  int prefetch, const Py_ssize_t* next_lines, Py_ssize_t n_next)
    void skp_panel_project_f32(const float* base, Py_ssize_t row_stride, Py_ssize_t n_rows,
                               Py_ssize_t width, double floor, const double* radii,
                               double* taus, double* hint, float* packed, float* dst,
                               Py_ssize_t dst_stride)
    void skp_panel_thresholds_f64(const double* base, Py_ssize_t row_stride, Py_ssize_t n_rows,
                                  Py_ssize_t width, double floor, const double* radii,
                                  double* taus, double* hint)
    void skp_pack_rows16_f32(const char* const* rows, Py_ssize_t length, float* packed)
    void skp_pack_rows8_f32(const char* const* rows, Py_ssize_t length, float* packed)
    void skp_pack_rows8_f64(const char* const* rows, Py_ssize_t length, double* packed)
    Py_ssize_t skp_kept_lines(const void* base, Py_ssize_t width, Py_ssize_t itemsize,
                              const double* radii, Py_ssize_t* lines)
    void skp_shrink_panel_f32(const float* src, Py_ssize_t src_stride, float* dst,
                              Py_ssize_t dst_stride, Py_ssize_t n_rows, Py_ssize_t width,
                              const double* taus, const float* hi, const float* lo, int stream,
                              NextPanel* next)
    void skp_shrink_panel_f64(const double* src, Py_ssize_t src_stride, double* dst,
                              Py_ssize_t dst_stride, Py_ssize_t n_rows, Py_ssize_t width,
                              const double* taus, int stream, NextPanel* next)
    void skp_shrink_lines_f32(const float* src, Py_ssize_t src_stride, float* dst,
                              Py_ssize_t dst_stride, Py_ssize_t n_rows, Py_ssize_t first,
                              Py_ssize_t stop, Py_ssize_t n_cols, const float* hi,
                              const float* lo, NextPanel* next)
    void skp_shrink_lines_f64(const double* src, Py_ssize_t src_stride, double* dst,
                              Py_ssize_t dst_stride, Py_ssize_t n_rows, Py_ssize_t first,
                              Py_ssize_t stop, Py_ssize_t n_cols, const double* taus,
                              NextPanel* next)
    enum: SKP_SHORT_COLUMN_ROWS
    int skp_shrink_narrow_f32(const float* src, float* dst, Py_ssize_t n_rows, Py_ssize_t n,
                              const double* taus, int stream)
    int skp_shrink_narrow_f64(const double* src, double* dst, Py_ssize_t n_rows,
                              Py_ssize_t n, const double* taus, int stream)
    void skp_short_columns_f32(const float* y, Py_ssize_t y_stride, float* x,
                               Py_ssize_t x_stride, Py_ssize_t x_step, Py_ssize_t n_rows,
                               Py_ssize_t n_cols, const double* radii)
    void skp_short_columns_f64(const double* y, Py_ssize_t y_stride, double* x,
                               Py_ssize_t x_stride, Py_ssize_t x_step, Py_ssize_t n_rows,
                               Py_ssize_t n_cols, const double* radii)
    void skp_short_rows_f32(const float* y, float* x, Py_ssize_t n_rows, Py_ssize_t n,
                            const double* radii, double* taus)
    void skp_short_rows_f64(const double* y, double* x, Py_ssize_t n_rows, Py_ssize_t n,
                            const double* radii, double* taus)


cdef enum:
    # Column groups are projected a panel of adjacent columns at a time: the
    # panel (rows x width values) is read once from memory, then written
    # from the cache, so it must stay in L2 with its candidate lists
    # (rows of 512 bytes and more also read faster than shorter ones) ...
    PANEL_BYTES = 1 << 19
    # ... or WIDE_PANEL_BYTES where the result is streamed and a panel of
    # PANEL_BYTES would be NARROW_PANEL_ROW_BYTES a row or narrower (columns
    # of some 2000 to 8192 rows, the candidate gather's): 32-64 columns a
    # panel became 64-128 (issue 14, an AMD Zen 5, single calls interleaved,
    # times a copy at 10, 50, 90 % of the groups kept, narrow / wide:
    # float32 4000 x 2500 6.52 / 4.51, 7.98 / 4.53, 8.24 / 4.71; 5000 x 2000
    # 4.75 / 3.35, 5.52 / 3.77, 5.67 / 3.82; 3000 x 3000 and 8000 x 1200
    # 0.84-0.87 of the time; 2000 x 5000 0.91-0.96; float64 3000 x 3000
    # 2.69 / 2.53, 4.01 / 2.93, 4.01 / 2.98; 5000 x 2000 3.69 / 2.79, 4.98 /
    # 3.49, 5.19 / 3.55; 8000 x 1200 0.79-0.95; 2000 x 5000 0.92-0.97).  Not
    # on wider panels: float64 1500 x 7000 and 1300 x 8000 (320 and 384
    # bytes a row) took 1.08-1.09 times as long at 10 % with 1 MiB; float32
    # 1100 x 8000 1.05, 0.99, 0.97.  Not where the result is not streamed:
    # float32 7000 x 1500 and 6000 x 1700, whose rows are not whole lines,
    # streamed with such panels took 1.2-1.3 times as long at some radii;
    # 2000 x 500, in cache, 1.00-1.02.
    WIDE_PANEL_BYTES = 1 << 20
    NARROW_PANEL_ROW_BYTES = 256
    # ... and at most this many columns, whose lists are appended to at once:
    # the cache lines being written in them must stay in L1 (short columns:
    # 128 rather than 256 keeps a panel of 100 rows and its lists near L1,
    # 4-13 % faster at half the norm and above on 100 x 1000 and 200 x 2000).
    PANEL_COLUMNS = 128
    # float32 columns by passes: a group of 16 columns' magnitudes (8 with
    # AVX2) is packed for the passes after its first up to this size (columns
    # of 16384 rows; longer ones are read in place).
    PACKED_BYTES = 1 << 20
    # A matrix of up to WHOLE_BYTES whose taus are found by passes is written
    # once every tau is known, along its rows rather than a panel at a time,
    # where the taus of a row (as two floats in float32) stay in L1 beside it
    # (issue 14, thread time, at half the norm: 100 x 1000, 250 x 1000,
    # 500 x 500, 1000 x 250, 128 x 2048 float32 and 100 x 1000 float64 3-15 %
    # faster; 50 x 5000 and 64 x 4096 float32 9-12 % slower).  A float32
    # matrix of up to WHOLE_BYTES whose groups of columns are passed in pairs
    # (PAIR_ROWS) writes each pair instead as soon as its taus are
    # known, from L1 where its passes left its rows (skp_panel_project_f32):
    # issue 14, an Intel Xeon, single calls interleaved, at 10, 50, 90 % of
    # the norm, times a copy, written whole / by pairs: 100 x 1000 6.11 /
    # 5.53, 5.13 / 4.50, 4.52 / 4.15; 30 x 1000 7.33 / 6.40, 6.01 / 5.17,
    # 5.68 / 4.81; 50 x 5000 (by panels before) 4.65 / 4.02, 4.25 / 3.63,
    # 3.99 / 3.40; 128 x 2000 4.04 / 4.05, 3.55 / 3.09, 3.12 / 2.78; 64 x
    # 4096 even.  Not where the matrix is out of L2 (100 x 10000, 128 x 8000,
    # 100 x 5000: 1.0-1.35 times as long, the pair's stores missing L2) nor
    # for a group alone, whose rows do not stay in L1 (250 x 1000 and 500 x
    # 500 by groups of 16: 1.2-1.5 times as long).
    WHOLE_BYTES = 1 << 20
    WHOLE_COLUMNS = 2560
    # A large result whose rows do not start on cache lines is streamed, cut
    # at its lines (_shrink_lines), whatever its rows where they are this
    # long; shorter rows only where float32 columns have up to 4096 rows
    # (float64 8192), as before.  Issue 14, an AMD Zen 4, single calls
    # interleaved in one process, at 10, 50, 90 % of the groups kept,
    # streamed by lines / through the cache: float32 5000 x 3001 0.37-0.41
    # of the time, 4500 x 2222 0.37-0.41, 7000 x 1500 0.52-0.54, 8000 x 1503
    # 0.54-0.56, 16384 x 1001 0.68-0.75, 12000 x 700 0.65-0.71, 20000 x 500
    # 0.68-0.75, 20000 x 401 0.71-0.76, 30000 x 300 0.75-0.79, 50000 x 250
    # 0.81-0.84; float64 16384 x 1001 0.69-0.76, 12000 x 700 0.67-0.75,
    # 20000 x 500 0.73-0.78, 30000 x 300 0.76-0.80, 50000 x 250 0.78-0.80,
    # 9000 x 190 0.53-0.72; but shorter rows even or slower: float32 40000 x
    # 200 0.95-0.99, 9000 x 190 and 9000 x 140 0.99-1.02, 30000 x 130
    # 1.12-1.24; float64 40000 x 200 0.99-1.02, 9000 x 140 1.05-1.21, 9000 x
    # 130 and 30000 x 130 1.04-1.25 (panels of 65-72 columns as even as
    # whole lines allow did no better there).
    LINES_ROW_BYTES = 1536
    # Row groups of at most this many bytes in a matrix of up to WHOLE_BYTES
    # are written once every tau is known, in one call (``_l11_rows``,
    # ``shrink_rows_at_once``), where a call a row spent most of its time
    # aligning its stores: issue 14, the AMD Zen 4, single calls interleaved
    # in one process, at 10, 50, 90 % of the norm, a call a row / at once,
    # float32: scikit-learn's digits standardized (1797 x 64) 0.92, 0.87,
    # 0.87 of the time; 1000 x 100 0.91-0.93; 1000 x 32 0.82-0.87; 2000 x
    # 64 0.87-0.89; 5000 x 17 0.83-0.87; float64 0.97-0.98, 0.86-0.91,
    # 0.97, 0.80-0.84; 1000 x 256 even (float32 0.99); 500 x 512 float32
    # 1.00-1.02, so not rows of 2 KiB.
    SHORT_ROW_WRITE_BYTES = 1024
    # float32 columns of up to PAIR_ROWS rows find their taus two groups of 16
    # columns at a time with AVX-512 (AVX2: two of 8), their passes alternated
    # (see skp_panel_thresholds512_f32, skp_panel_thresholds256_f32_), the two
    # groups' magnitudes packed in 16 KiB (AVX2: 8).  Issue 14, an Intel Xeon,
    # single calls interleaved in one process, at half the norm, times a copy,
    # one group / two: 30 x 1000 6.36-6.43 / 5.56-5.66, 64 x 1000 5.29-5.61 /
    # 4.97-5.27, 100 x 1000 4.73-4.84 / 4.48-4.57, 128 x 2000 3.18-3.21 /
    # 3.07-3.11; out of L2, in each order of the calls (the second of two took
    # 1.05-1.1 times as long there), 100 x 10000 2.39-2.54 / 2.32-2.51, 64 x
    # 20000 2.87-2.93 / 2.79-2.88, 100 x 100000 2.34-2.38 / 2.29-2.35; but 200
    # x 1000, 300 x 784 and 500 x 500 even, 250 x 1000 3.22-3.28 / 3.35-3.40.
    # With AVX2 alone (issue 14, the AMD Zen 4 with AVX-512 switched off,
    # single calls interleaved in one process, at 1, 10, 50, 90 % of the norm,
    # times a copy, one group / pairs / pairs written as their taus are known):
    # 100 x 1000 6.22 / 6.12 / 5.97, 7.24 / 7.05 / 6.99, 5.96 / 5.66 / 5.52,
    # 5.55 / 5.29 / 5.12; 30 x 1000 6.80 / 6.47 / 6.23, 8.90 / 7.99 / 7.81,
    # 7.62 / 6.82 / 6.66, 6.90 / 6.13 / 5.94; 128 x 2000 6.16 / 6.08 / 5.80 to
    # 5.38 / 5.21 / 4.84; 64 x 1000 and 100 x 333 alike, the same bits; out of
    # L2, one group / pairs, at 10, 50, 90 %: 100 x 10000 4.20 / 4.13, 5.44 /
    # 4.86, 6.12 / 5.79; 64 x 20000 4.78 / 4.52, 5.24 / 5.04, 6.10 / 5.42; 100
    # x 100000 2.10 / 2.13, 1.59 / 1.57, 1.65 / 1.66 (a second run alike).  The
    # AVX2 pair's write asks for no rows ahead (skp_prefetch_rows_for_write, as
    # AVX-512's does): with them it took 1.05-1.18 times as long as the pairs
    # written whole.
    PAIR_ROWS = 128
    # float32 rows of up to this many values (float64: a quarter of them, in a
    # matrix that is not streamed) find their taus eight at a time, a row a
    # lane, by the column panels' passes (_row_taus_by_lanes; see _l11_rows).
    LANE_ROW_LENGTH = 512


# Column panels may find their taus by Michelot's passes over the panel in
# cache, a vector of columns at a time (skp_panel_thresholds_f32/_f64), rather
# than from gathered candidates, where the columns keep a large enough share
# of their l1 norm (their taus are then low, and a few passes from the common
# floor reach them; each pass costs more on longer columns).  Measured (issue
# 14, float32, 100 to 1000 rows, thread time, passes against the gather): with
# AVX-512 the passes win from a share of 0.04 on 100-256 rows and of
# 0.06-0.08 on 500-1000 rows; with AVX2 alone (float32 only: float64 takes
# the passes with AVX-512 only) on columns of up to 256 rows at any share,
# since its passes start from guesses too (issue 14, a Zen 3 without
# AVX-512, interleaved, passes / gather at 1, 10, 50, 90 % of the groups
# kept: 100 x 10000 0.87 0.84 0.72 0.56 and 0.98 0.69 0.69 0.56, 100 x 1000
# 0.80 0.88 0.79 0.48, 256 x 4000 0.69-0.85 0.75-1.00 0.92-0.98 0.66-0.90;
# from the floor these passes had won from a share of about rows / 512
# only).  Since the AVX2 passes sum float blocks of 32 rows and pack a group
# (as the AVX-512 ones), they also win up to _packed_rows rows at any share
# (issue 14, the same Zen 3, single calls interleaved, tenth percentiles,
# passes / gather at 1, 10, 50, 90 % of the groups kept: 300 x 784 0.75 0.72
# 0.69 0.57; 512 x 1000 0.83 0.87 0.81 0.77; 1000 x 1000 0.88 0.86 0.85
# 0.80; 1024 x 500 0.84-0.90; 800 x 3000 0.79-0.91; out of cache, 512 x
# 20000 0.89 0.97 0.78 0.69 and 1000 x 10000 0.96 1.04 0.85 0.77; 2000 rows
# are even: 2000 x 5000 0.92-1.08, so the gather keeps them).  float64's
# AVX2 passes (skp_panel_thresholds256_f64: as the AVX-512 ones, eight
# columns a line, not packed) win up to _double_rows_avx2 rows (the same
# measure: 100 x 1000 0.88 0.90 0.69 0.54; 256 x 1000 0.83 0.99 0.74 0.66;
# 300 x 784 0.89 1.00 0.89 0.76; 512 x 1000 0.87 1.01 0.91 0.89; 100 x
# 10000 1.02 1.05 0.83 0.64; 512 x 20000 0.92 1.14 0.87 0.78) and lose
# beyond (1000 x 1000 0.88 1.10 1.14 1.05, 1000 x 10000 0.99-1.15).
# float32's AVX-512 passes read a group of columns packed after its first pass
# (prefetched) and start each column from a guess (skp_guess8): measured
# against the gather (issue 14, thread time, Gaussian, at 1-90 % of the groups
# kept, interleaved) they take 0.75-0.97 of its time on 100-1000 rows (1000 x
# 10000 at 50 and 90 %: 0.80 and 0.74), and 0.94-1.04 on 2000 and 3000 rows:
# up to _packed_rows rows they run whatever the share.  float64's AVX-512
# passes start from the same guesses (not packed: 8 columns a line), and up
# to _packed_rows rows also run whatever the share (issue 14, thread time,
# medians of four alternations, passes / gather at 1, 10, 50, 90 % of the
# groups kept: 1000 x 10000 0.90 0.90 0.87 0.80, 100 x 1000 0.82 0.86 0.74
# 0.68, 300 x 3000 0.76 0.95 0.85 0.84, 200 x 20000 0.91 1.09 0.86 0.74;
# 2000 x 5000 1.21 1.01 1.12 0.99 and 10000 x 1000 1.16-1.86: beyond, the
# shares below decide as before).  An Intel Xeon (the lent GPU machine,
# 2026-11-24, single calls interleaved, tenth percentiles, at 10, 50, 90 % of
# the groups kept) disagrees for float64 out of cache: passes / gather
# 1.08-1.35 from 256 to 2000 rows (10**7 values; 1000 x 10000 1.26 1.27
# 1.35), 0.85-1.07 in cache (x 1000); float32 0.41-0.90 in cache, 0.86-1.10
# out of it.  Two machines, two answers: the rule stays as measured first.
# A third, an AMD Zen 5 with AVX-512 (2026-11-24, the same measure, passes /
# gather at 10, 50, 90 %), sides with the Xeon for float64 out of cache
# (results of STREAM_BYTES and more): 1000 x 10000 1.42 1.19 1.09, 512 x
# 20000 1.36 1.04 0.99, 256 x 40000 1.37 0.98 0.98, 100 x 100000 1.35 1.15
# 1.15, 512 x 4000 1.29 1.22 1.19, 64 x 150000 1.28 1.04 1.01; only
# columns of up to _double_rows_streamed rows gain, where they keep a large
# share of their norm (48 x 200000 1.24 0.95 0.94, 32 x 300000 1.10 0.83
# 0.80; shares 0.05 0.08 0.16 and 0.06 0.10 0.19).  In cache the passes
# still win there (256 x 1000 0.93 0.86 0.74, 1000 x 1000 1.04 1.00 0.89),
# and float32's win out of cache too (1000 x 10000 1.00 0.86 0.80, 256 x
# 40000 0.87 0.74 0.61).  So float64 with AVX-512 on a large matrix takes the
# passes only on columns of up to _double_rows_streamed rows, by the share.
cdef Py_ssize_t _packed_rows = 1024, _double_rows_avx2 = 512, _double_rows_streamed = 48
# ... and float32's AVX-512 passes on a large matrix (STREAM_BYTES or more)
# up to _float_rows_streamed rows at any share too: since their pairs of
# groups sweep the rows together (``first_pairs``) and prefetch the next
# panel (``sweeps_ahead``), they take 2000 and 3000 rows, which the
# gather kept (0.94-1.04 of its time then).  Issue 14, an AMD Zen 4, single
# calls interleaved in one process, passes / gather at 10, 50, 90 % of the
# groups kept: 1025 x 9000 0.96, 0.85, 0.78; 1200 x 8000 0.93, 0.80, 0.75;
# 1500 x 7000 0.96, 0.85, 0.81; 2000 x 5000 0.94, 0.84, 0.81; 2048 x 4096
# 0.97, 0.94, 0.93; 2500 x 3333 0.97, 0.84, 0.79; 3000 x 3000 0.97, 0.91,
# 0.87; 4000 x 2500 0.96, 0.91, 0.85; 5000 x 3001 0.96, 0.95, 0.92; 7000 x
# 1500 0.86, 0.75, 0.75; 8000 x 1250 0.82, 0.79, 0.76; 8192 x 1024 0.81,
# 0.81, 0.79; 6000 x 1700 0.78, 0.76, 0.73; matrices of 8-12 MB, which L3
# half holds, lose at 10 %: 1100 x 2000 1.06, 0.89, 0.81; 2000 x 2000 1.02,
# 0.89, 0.81; 3000 x 1000 1.05, 0.93, 0.88 (1500 x 1500 1.00, 0.60, 0.76).
# Longer columns lose at 10 % (12000 x 850 1.06, 0.88, 0.85; 16384 x 1001
# 1.10, 0.93, 0.92), and so do matrices in cache (the passes neither sweep
# in pairs nor prefetch there: 4000 x 256 1.18, 1.02, 1.00; 3000 x 600
# 1.09, 1.03, 0.89; 8000 x 200 1.07, 0.99, 0.96; but 2000 x 500 0.94, 0.80,
# 0.80, 1200 x 400 0.91, 0.79, 0.69): the share decides there as before.
# (An Intel Xeon had measured float32's passes out of cache at 0.86-1.10 of
# the gather's time on 256-2000 rows before the pairs' sweeps: not measured
# since.)
cdef Py_ssize_t _float_rows_streamed = 8192
# ... but for columns of more than _double_long_rows rows keeping at least
# _double_long_share of their norm: the gather's lists of so many candidates
# (tens of MB) came from the system afresh at every call, one page fault a
# page (issue 14, an AMD Zen 5, times a copy at 10, 50, 90 % of the l1,1
# norm, gather / passes: 100000 x 100 3.6-4.3 / 6.1, 9.9-10.5 / 5.4,
# 18.8-19.1 / 6.2 (14000 faults a call); 50000 x 200 6.8 / 7.7, 12.9 /
# 7.0, 13.7 / 7.4; 200000 x 50 9.5 / 9.6, 26.5 / 8.7, 26.1 / 9.6; but 20000
# x 500 even, 12000 x 800 5.0 / 6.0, 5.6 / 5.5, 5.6 / 5.4, and 10000 x 1000
# 4.6 / 6.2, 4.7 / 5.6, 5.3 / 5.6).
cdef Py_ssize_t _double_long_rows = 1 << 15
cdef double _double_long_share = 0.25
# With AVX2 alone, longer columns (up to _share_rows_avx2 rows, float64 up to
# _double_share_rows_avx2) take the passes by the share as well (_long_share:
# the columns keep 8 % of their norm or more, as where every group is kept at
# a tenth of the l1,1 norm), where the gather lists most of each column.
# Issue 14, a Zen 3 without AVX-512, single calls interleaved in one
# process, tenth percentiles, gather / passes, times a copy, at 6, 10, 30 %
# of the norm: float64 1000 x 10000 2.79 / 2.67, 3.00 / 2.88, 3.54 / 2.74
# (at 50 and 90 % 4.07 / 3.08, 3.36 / 2.38); 1000 x 1000 7.14 / 5.93, 6.60 / 5.05,
# 8.75 / 5.79; 600 x 1000 7.62 / 5.75, 8.18 / 5.73, 8.66 / 5.18; 1500 x
# 6000 at 8 and 15 % 3.91 / 3.32, 2.93 / 2.46; float32 2000 x 5000 3.67 /
# 2.78, 3.61 / 3.04, 3.77 / 2.63; 1500 x 2000 6.84 / 5.32, 4.89 / 3.45,
# 4.46 / 2.84.  Not beyond: float64 2000 x 5000 at 4, 8, 15 % 2.69 / 2.81,
# 3.37 / 3.44, 3.69 / 3.45, 3000 x 3000 3.28 / 3.46, 3.09 / 3.33, 3.00 /
# 3.52; float32 4000 x 2500 at 6, 10, 30 % 4.80 / 5.21, 5.57 / 5.17, 4.49 /
# 4.86.  Nor at a small share: at the radii keeping half the groups of
# Gaussian columns (shares of 0.014-0.022), float64 2000 x 5000 2.34 /
# 2.83, 3000 x 3000 2.74 / 4.50, float32 4000 x 2500 4.86 / 5.58.
cdef Py_ssize_t _share_rows_avx2 = 2048, _double_share_rows_avx2 = 1536
# Where the next panel is prefetched into L2 only (skp_panels_into_l1: CPUs
# other than AMD's Zen 5 and later) and written by the AVX-512 loops, panels of at most this
# many rows are prefetched at all (_kept_lines_ahead).
cdef Py_ssize_t _ahead_rows_l2 = 640
cdef double _long_share = 0.08
cdef int _forced_path = 0     # testing: 1 every panel by passes, -1 none
cdef bint _pairs = True       # testing: float32 passes two groups at a time where they fit
cdef bint _first_pairs = True  # testing
cdef bint _next_in_sweeps = True  # testing (_set_column_paths)
cdef bint _fused = True       # testing: ... and writes a pair as soon as its taus are known
cdef bint _lines = True       # testing: streamed panels written cut at the result's lines
# Rows whose tau is sought first above a guessed floor (``_row_threshold``):
# the floor's distance below the guess in moving averages of the guesses'
# relative errors (each capped), and at least (relative to the guess); a
# testing switch.
cdef double _GUESS_ERRORS = 3.0, _GUESS_LEAST = 0.05, _ERROR_CAP = 0.1
cdef bint _guessed_floors = True
# Testing hook (``_guessed_floor_stats``): the guessed floors tried, and those
# shown below tau, since the last call of the hook.
cdef Py_ssize_t _floor_stats[2]


def _guessed_floor_stats():
    """Testing hook: (guessed floors tried, shown below their row's tau) since
    the last call (``_row_threshold``); not thread-safe."""
    counts = (_floor_stats[0], _floor_stats[1])
    _floor_stats[0] = _floor_stats[1] = 0
    return counts


def _norms_sums(const double[::1] values):
    """Testing hook: the sum of ``values`` as the group norms are summed, by
    this module's SIMD loops (AVX-512 or AVX2, as ``_set_column_paths``
    left them) and by the portable loop (``skp_norms_sum``)."""
    cdef Py_ssize_t n = values.shape[0]
    cdef const double* first = &values[0] if n else NULL
    cdef double portable = skp_norms_sum_portable(first, n)
    return skp_norms_sum(first, n) if simd_enabled() else portable, portable


def _set_column_paths(passes=None, bint avx512=True, strips=None, panels_into_l1=None,
                      bint pairs=True, bint fused=True, bint first_pairs=True,
                      bint guessed_floors=True, bint rows_ahead=True, bint fold512=True,
                      bint realign=True, bint short_rows=True, bint candidates512=True,
                      stream_ahead=None, bint panel_lines=True, bint narrow_columns=True,
                      bint lines=True, bint next_in_sweeps=True, bint half_passes=True):
    """Testing hook: column panels by passes (``True``), by gathered
    candidates (``False``) or as measured (``None``: short columns then take
    ``_short_columns``); this module's AVX-512 loops or not (each extension
    module keeps its own switch); blocks in cache written by strips of columns
    (``True``) or along their rows (``False``), the next panel prefetched into
    L1 (``True``) or L2 only (``False``), each ``None``: as the CPU prefers
    (``skp_strips``, ``skp_panels_into_l1`` in _l1_simd.h); float32's
    passes two groups of columns at a time (``pairs``) or one, and
    on a matrix in L2 writes each pair as its taus are known (``fused``) or
    once all are; on a matrix out of cache, pairs of groups of longer columns
    too, their first passes in one sweep (``first_pairs``), or not; rows'
    magnitudes gathered first above a guessed floor (``guessed_floors``, see
    ``_row_threshold``) or above the bound of every row's tau alone; the
    AVX-512 writes down a panel's rows (or a pair of groups') prefetching the
    rows ahead for writing (``rows_ahead``, ``skp_prefetch_rows_for_write``)
    or not; float32's column maxima and l1 norms folded with AVX-512
    (``fold512``, ``skp_fold_rows512_f32``), and long rows' maxima of
    float32 and float64 taken with it (``skp_row_max512_f32``, ``_f64``), or
    with AVX2; the AVX-512 row writes of a result at another offset in a
    cache line than its input reading the input's whole lines and shifting
    them into place (``realign``, ``skp_write_realigned512_f32``, ``_f64``)
    or loading across lines; short rows taking their norms (float32's, and
    float64's l1 and l2) and their bi-level writes a block of rows at a time
    with AVX2 (``short_rows``, ``skp_short_row_norms256_f32``, ``_f64``,
    ``skp_write_short_rows256_f32``, ``_f64``) or a row at a time; float64's
    gathered candidates by the AVX-512 loop (``candidates512``,
    ``skp_panel_candidates512_f64``) or the AVX2 one; the bytes ahead that
    the loops reading long runs out of cache ask for (``stream_ahead``, 0:
    none; ``None``: as the CPU prefers; ``skp_ahead_for`` in _prefetch.h);
    a panel's own lines prefetched ahead of its reads where no panel before
    prefetched them (``panel_lines``, ``skp_panel_lines`` in
    _bilevel_simd.h), or not; float32 matrices of up to 16 columns, rows one
    after the other, taking their column norms a row a masked vector and
    blocks of few columns written as one run (``narrow_columns``,
    ``skp_narrow_column_norms512_f32``, ``_256``, ``skp_write_narrow512_*``,
    ``skp_write_narrow256_f32``), or by the folds and a row at a time; the
    streamed column panels of a result whose rows do not start on cache
    lines written cut at its lines, and long such rows streamed whatever the
    rows (``lines``, ``_shrink_lines``), or as the panels fall; the next
    column panel's lines prefetched by the sweeps of a panel's later pairs
    (``next_in_sweeps``, ``skp_next_lines_of_pair``), or not; float32's
    AVX-512 passes of a group whose lanes still going lie in one half over
    that half alone where the CPU has AVX-512VL (``half_passes``,
    ``skp_half_above8_f32``), or over the whole group.
    Returns whether this module's AVX-512 loops run."""
    global _forced_path, _pairs, _fused, _first_pairs, _guessed_floors, skp_rows_ahead, _lines
    global skp_fold512, skp_realign, skp_short_rows256, skp_candidates512, skp_panel_lines
    global skp_narrow_columns, _next_in_sweeps
    skp_panel_lines = panel_lines
    skp_set_half_passes(half_passes)
    _next_in_sweeps = next_in_sweeps
    _lines = lines
    skp_narrow_columns = narrow_columns
    _forced_path = 0 if passes is None else (1 if passes else -1)
    _pairs = pairs
    _fused = fused
    _first_pairs = first_pairs
    _guessed_floors = guessed_floors
    skp_rows_ahead = rows_ahead
    skp_candidates512 = candidates512
    skp_fold512 = fold512
    skp_realign = realign
    skp_short_rows256 = short_rows
    skp_set_avx512(avx512)
    skp_set_cpu_choices(-1 if strips is None else int(bool(strips)),
                        -1 if panels_into_l1 is None else int(bool(panels_into_l1)))
    skp_set_stream_ahead(-1 if stream_ahead is None else stream_ahead)
    return bool(skp_avx512_enabled())


cdef inline double _group_threshold(floating* values, Py_ssize_t n, double total,
                                   double radius, double* support_out=NULL) noexcept nogil:
    """``group_threshold``, by AVX-512 passes where this module runs them.

    (float64: ``skp_short_threshold512_f64``, passes that count and sum in
    registers rather than ``michelot_above``'s compaction at each pass.)

    (``skp_count_above512_f32``: 16 values a vector, masks in mask registers.
    The thresholds of the gathered 1000 x 10000 float32 columns at 90 % of the
    groups kept took 0.41 of a copy's cycles with the AVX2 passes, 0.38 with
    these: the passes over a list of some hundred values wait on their sums.)
    With AVX-512 the passes take groups of any length, not SHORT_GROUP at
    most: on long rows' candidates they beat the compaction (AVX2) at every
    length tried (issue 14, an AMD Zen 5, single calls interleaved, times a
    copy, at half the l1,1 norm, compaction / passes: 1000 x 10000 float32
    3.09 / 2.58, float64 2.85 / 2.15; 10000 x 1000 3.05 / 2.51 and 2.91 /
    2.18; 100 x 1000 9.43 / 7.46 and 7.87 / 5.08; rows of 2 * 10**6 values
    3.12 / 2.65 and 3.35 / 2.73; even at 10, 50, 90 % of the rows kept).
    """
    cdef double support = 0.0, tau
    if skp_avx512_enabled():
        if floating is float:
            tau = skp_short_threshold_by_f32(values, n, total, 0.0, 0.0, radius, &support, 1)
        else:
            tau = skp_short_threshold512_f64(values, n, total, radius)
    else:
        tau = group_threshold(values, n, total, radius, &support)
    if support_out != NULL:
        support_out[0] = support
    # (>= 0: a new radius at the group's norm up to rounding may give a
    # negative tau, which would grow the group and fill its zeros)
    return max(tau, 0.0)


cdef inline bint _columns_by_passes(const double* radii, Py_ssize_t width, Py_ssize_t n_rows,
                                    Py_ssize_t itemsize, double outer_tau,
                                    bint large) noexcept nogil:
    """Whether the columns' taus are found by passes over their panels (see above).

    Decided once for the matrix, so that a column's result does not depend on
    where the panels are cut.  A kept column's l1 norm is its radius plus
    ``outer_tau``; ``large``: the matrix is STREAM_BYTES or more.
    """
    cdef bint avx512 = skp_avx512_enabled()
    if _forced_path:
        return _forced_path > 0
    if itemsize == 8 and avx512 and large:
        if n_rows > _double_long_rows:
            return _kept_share(radii, width, outer_tau) >= _double_long_share
        if n_rows > _double_rows_streamed:
            return False     # (shorter columns: the share decides, below)
    elif n_rows <= (_double_rows_avx2 if itemsize == 8 and not avx512 else _packed_rows):
        return True
    elif itemsize == 4 and avx512 and large and n_rows <= _float_rows_streamed:
        return True
    elif not avx512 and n_rows > (_double_share_rows_avx2 if itemsize == 8
                                  else _share_rows_avx2):
        return False
    return _kept_share(radii, width, outer_tau) >= _long_share


cdef inline double _kept_share(const double* radii, Py_ssize_t width,
                               double outer_tau) noexcept nogil:
    """The share of their l1 norms that the kept columns keep (their radii)."""
    cdef double kept = 0.0, norms = 0.0
    cdef Py_ssize_t c
    for c in range(width):
        if radii[c] != 0.0:
            kept += radii[c]
            norms += radii[c] + outer_tau
    return kept / norms if norms > 0 else 0.0


cdef inline Py_ssize_t _panel_width(Py_ssize_t n_rows, Py_ssize_t itemsize,
                                    bint streamed) noexcept nogil:
    """Columns in a panel: PANEL_BYTES of them (WIDE_PANEL_BYTES of narrow
    panels of a streamed result) or PANEL_COLUMNS, whole cache lines.

    Columns so long that a cache line of them exceeds PANEL_BYTES do not stay
    in L2 whatever the width: PANEL_COLUMNS of them then, each row read in
    fewer, longer pieces (issue 14, thread time, after the stores were no
    longer streamed there: 16 -> 128 columns took 100000 x 100 at 10-90 %
    of the groups kept from 6.5-8.7 to 2.9-4.8 times a copy in float32 and
    from 4.1-5.4 to 2.7-3.0 in float64; 20000 x 500 from 9.3-11.9 to
    3.9-4.9 and from 3.6-5.2 to 2.8-3.3).
    """
    cdef Py_ssize_t line = 64 // itemsize, column_bytes = max(n_rows * itemsize, 1)
    cdef Py_ssize_t width = PANEL_BYTES // column_bytes
    if width < line:
        return PANEL_COLUMNS
    if streamed and (width - width % line) * itemsize <= NARROW_PANEL_ROW_BYTES:
        width = WIDE_PANEL_BYTES // column_bytes
    width = min(width, <Py_ssize_t> PANEL_COLUMNS)
    return width - width % line


cdef inline Py_ssize_t _first_panel_width(const void* row, Py_ssize_t width,
                                          Py_ssize_t itemsize) noexcept nogil:
    """Width of the first panel, such that the next ones start on a cache line.

    Non-temporal stores of whole lines go to memory as they are; a line
    written in two panels would be written twice.
    """
    cdef Py_ssize_t misaligned = (<size_t> row) % 64
    if misaligned % itemsize:
        return width
    return width - misaligned // itemsize


cdef struct _Lists:
    # ``n_lists`` lists of ``capacity`` values each, one after the other, that
    # grow up to ``most`` values each
    void* values
    Py_ssize_t n_lists
    Py_ssize_t capacity
    Py_ssize_t most


cdef enum:
    # The candidate lists of a panel (_gathered_taus) hold whole columns
    # where they fit in LIST_BYTES in all (columns of up to 8192 rows); those
    # of taller columns start at that size and double as they fill, up to
    # the larger of LIST_LIMIT and a quarter of the matrix: they held whole
    # columns before (issue 14: 1.1 GB at 10**6 rows in float64, more than
    # the matrix), where a few percent of the rows are candidates at most
    # radii.
    LIST_BYTES = 1 << 21
    LIST_LIMIT = 1 << 26

cdef Py_ssize_t _list_bytes = LIST_BYTES, _list_limit = LIST_LIMIT

cdef Py_ssize_t _candidate_bytes = 0     # testing: see _candidate_scratch


def _set_list_bytes(Py_ssize_t start=LIST_BYTES, Py_ssize_t limit=LIST_LIMIT):
    """Testing hook: the candidate lists' first size and least limit in bytes."""
    global _list_bytes, _list_limit
    _list_bytes, _list_limit = start, limit


def _candidate_scratch():
    """Testing hook: bytes of candidates (lists and a column) that the last
    column panels of this process reserved at most (not thread-safe)."""
    return _candidate_bytes


cdef bint _reserve_lists(_Lists* lists, Py_ssize_t capacity, Py_ssize_t itemsize,
                         const Py_ssize_t* counts, Py_ssize_t n_kept) noexcept nogil:
    """Lists of ``capacity`` values (``realloc``); the first ``n_kept`` keep their
    ``counts`` values.  Return False, the lists as they were, if out of memory."""
    global _candidate_bytes
    cdef char* values = <char*> realloc(lists.values, lists.n_lists * capacity * itemsize)
    cdef Py_ssize_t c
    if values == NULL:
        return False
    # (from the last list down: each moves up, past none of the others)
    for c in range(n_kept - 1, 0, -1):
        memmove(values + c * capacity * itemsize, values + c * lists.capacity * itemsize,
                counts[c] * itemsize)
    _candidate_bytes += (capacity - lists.capacity) * lists.n_lists * itemsize
    lists.values = values
    lists.capacity = capacity
    return True


cdef int _gathered_taus(const floating[:, :] y, Py_ssize_t first, Py_ssize_t width,
                        double floor, const double* radii, _Lists* lists, floating** column,
                        Py_ssize_t* counts, double* sums, floating* floors, Py_ssize_t* lines,
                        double* taus) noexcept nogil:
    """The taus of columns ``first:first + width`` from their magnitudes above ``floor``.

    Each kept column's candidates (``keep_above(floor)``) are gathered in a
    list, and its tau found there (``_group_threshold``); a zeroed column
    (``radii[c]`` zero) gets an infinite tau.  With ``lists`` (AVX2 and
    contiguous rows) the panel is read row by row (``_bilevel_simd.h``:
    each column's floor rises as it goes; the arrays hold ``width + 8``
    columns, ``radii`` padded with zeros; ``floors`` and ``lines`` are
    scratch), into ``width + 8`` lists that grow (``_reserve_lists``) when
    one fills up, up to ``lists.most`` values.  A column whose list would
    outgrow that (its candidates' count at a row: its own values decide,
    not the panel) and, without ``lists``, every column, are gathered one
    at a time into ``column`` (room for a whole column, made at the first
    need), the first bringing the panel's cache lines for the others.
    """
    global _candidate_bytes
    cdef Py_ssize_t n_rows = y.shape[0], row = 0, c
    cdef Py_ssize_t step = _step(y.strides[0], sizeof(floating))
    cdef floating* values
    cdef bint last
    while lists != NULL:
        last = lists.capacity == lists.most
        if floating is float:
            row = skp_panel_candidates_f32(&y[0, first], y.strides[0], n_rows, width, floor,
                                           radii, <float*> lists.values, lists.capacity,
                                           counts, sums, floors, lines, row, last)
        else:
            row = skp_panel_candidates_f64(&y[0, first], y.strides[0], n_rows, width, floor,
                                           radii, <double*> lists.values, lists.capacity,
                                           counts, sums, floors, lines, row, last)
        if row == n_rows:
            break
        if not _reserve_lists(lists, min(2 * lists.capacity, lists.most), sizeof(floating),
                              counts, width):
            return STATUS_NOMEMORY
    for c in range(width):
        if radii[c] == 0.0:
            taus[c] = INFINITY
        elif lists != NULL and floors[c] != INFINITY:
            values = <floating*> lists.values
            taus[c] = _group_threshold(values + c * lists.capacity, counts[c], sums[c], radii[c])
        else:
            if column[0] == NULL:
                column[0] = <floating*> malloc((n_rows + 8) * sizeof(floating))
                if column[0] == NULL:
                    return STATUS_NOMEMORY
                _candidate_bytes += (n_rows + 8) * sizeof(floating)
            counts[c] = keep_above(&y[0, first + c], n_rows, step, floor, True, column[0],
                                   &sums[c])
            taus[c] = _group_threshold(column[0], counts[c], sums[c], radii[c])
    return STATUS_PROJECTED


cdef inline void _panel_thresholds(const floating[:, :] y, Py_ssize_t first, Py_ssize_t width,
                                   double floor, const double* radii, double* taus,
                                   double* hint, float* packed, bint pairs,
                                   bint prefetch, floating[:, :] x, bint write,
                                   const Py_ssize_t* next_lines=NULL,
                                   Py_ssize_t n_next=0) noexcept nogil:
    """The taus of columns ``first:first + width`` by passes over them (contiguous rows).

    With AVX-512 (both dtypes) and float32's AVX2 loop: each column's first
    pass starts from a guess made from ``hint`` (the mean tau, radius and
    support of the group of columns before, updated here; zeros at first: no
    guess), where it lies above ``floor``.  float32: the first pass over a
    group of 16 columns (AVX-512; AVX2: 8) packs their magnitudes in
    ``packed`` (16 * rows floats, 64-byte aligned; or NULL: every pass reads
    the panel), which the next passes read; with AVX-512 it prefetches the
    rows ahead with ``prefetch`` (the matrix is not in cache), and with
    ``pairs`` (``packed`` has room for 32 * rows; AVX2: 16) takes two groups at a time,
    their passes alternated; with ``write`` too (float32 pairs, contiguous
    rows of ``x``), it writes the pair's columns of ``x`` as soon as their
    taus are known (``skp_panel_project_f32``); with AVX-512, ``prefetch`` and
    ``pairs``, a pair's first passes read its rows together, and those of
    the pairs after the first prefetch the next panel's lines ``next_lines``
    (``n_next`` of them, bytes from column ``first + width``: see
    ``sweeps_ahead`` in ``_l11_column_panels``).
    """
    cdef Py_ssize_t c
    if floating is float and write:
        skp_panel_project_f32(&y[0, first], y.strides[0], y.shape[0], width, floor, radii,
                              taus, hint, packed, &x[0, first], x.strides[0])
    elif floating is float:
        skp_panel_thresholds_f32(&y[0, first], y.strides[0], y.shape[0], width, floor, radii,
                                 taus, hint, packed, pairs, prefetch, next_lines, n_next)
    else:
        skp_panel_thresholds_f64(&y[0, first], y.strides[0], y.shape[0], width, floor, radii,
                                 taus, hint)
    for c in range(width):      # (>= 0: see _group_threshold)
        taus[c] = max(taus[c], 0.0)


cdef inline void _shrink_columns(const floating* src, Py_ssize_t step_y, floating* dst,
                                 Py_ssize_t step_x, Py_ssize_t n,
                                 const double* taus) noexcept nogil:
    """``dst[j] = shrink(src[j], taus[j])``: one row, each column its own tau (0 if infinite)."""
    cdef Py_ssize_t j
    for j in range(n):
        dst[j * step_x] = shrink(src[j * step_y], taus[j]) if taus[j] < INFINITY else 0


cdef void _kept_lines_ahead(NextPanel* job, const floating[:, :] y, Py_ssize_t first,
                            Py_ssize_t width, const double* radii,
                            Py_ssize_t* lines) noexcept nogil:
    """Set ``job`` to the lines of the kept columns among ``first:first + width`` (the
    next panel; ``radii`` its columns'; ``lines`` room for ``width + 2``), every row.

    Prefetched as the panel before is written (``_shrink_panel``; into L1
    or L2 only as the CPU prefers, ``skp_panels_into_l1``), they are
    in cache when the next panel's first pass reads them, where that pass
    waited on memory while the write left it half used.  The lines of
    zeroed columns, which no pass reads, are left out.  Done where the taus
    are found by passes over columns of up to _packed_rows rows, on a matrix
    out of cache (``prefetches`` in _l11_column_panels).  Issue 14, an AMD
    Zen 5, single calls interleaved, times a copy at 10, 50, 90 % of the
    groups kept, without / with: float32 1000 x 10000 2.53 / 2.45, 3.05 /
    2.90, 3.01 / 2.71 (another run 2.75 / 2.53, 3.10 / 2.81, 3.08 / 2.82);
    500 x 20000 2.61 / 2.18, 3.06 / 2.63, 3.10 / 2.57; 256 x 40000 2.58 /
    2.08, 3.14 / 2.63, 3.14 / 2.50; 100 x 100000 3.54 / 2.75, 4.40 / 3.62,
    4.11 / 3.13; float64 32 x 300000 3.96 / 3.94, 5.05 / 4.59, 4.63 /
    3.97; with AVX2 alone, float32 1000 x 10000 2.88 / 2.68, 3.58 / 3.55,
    3.54 / 3.48.  (A later run, against the build before in one process:
    1000 x 10000 float32 at those radii 0.97-0.98 of the time; at radii of
    10-90 % of the l1,1 norm, every group kept, 0.95; 500 x 20000 0.77,
    100 x 100000 0.66-0.72.)  Measured and left out: float32 passes over
    longer columns (3000 x 3000 at 50 and 90 % 5.44 / 6.09 and 5.53 /
    6.27; 2000 x 5000 4.24 / 4.45, 4.43 / 4.67); float64's gather, which
    prefetches its own lines 16 rows ahead (1000 x 10000 and 500 x 20000
    4-8 % slower at 10-50 %, faster at 90 %; 3000 x 3000 10-18 % faster,
    but 2000 x 5000 even, 7000 x 1500 and 1100 x 8000 3-7 % slower: no rule
    by the rows); matrices in L3 (1000 x 1000, 300 x 3000: 2-7 % slower);
    into L2 only (1.0-1.2 times the time into L1 too on the Zen 5; since
    taken elsewhere, an Intel Xeon 0.92-0.99: ``skp_panels_into_l1``); the prefetches made
    by the next panel's passes instead, during each group's first pass
    (1000 x 10000 float32 at 10 % 2.85 -> 3.69: a miss a row fills the
    queue of misses the pass's loads wait in).

    The Intel Xeon (into L2 only) gains on panels of a few rows and loses
    on panels of many rows whose result the AVX-512 write streams a whole
    line at a time (rows that start on cache lines), so panels of more than
    _ahead_rows_l2 rows are not prefetched there (issue 14, single calls
    in one process, each order of the calls, float32 at 10, 50, 90 % of
    the groups kept, with / without: 100 x 100000 2.18 / 2.40, 2.31 /
    2.80, 2.32 / 2.77; 256 x 40000 1.93 / 2.42, 2.30 / 2.99, 2.34 / 3.02;
    640 x 15616 1.89 / 2.06, 2.60 / 2.81, 2.68 / 2.91; 512 x 20000 1.95 /
    1.89, 2.31 / 2.24, 2.43 / 2.35; but 768 x 13008 2.06 / 1.81, 2.18 /
    1.91, 2.21 / 2.07; 900 x 11104 2.34 / 1.96, 2.72 / 2.24, 2.86 / 2.33;
    1000 x 10000 2.80 / 2.22, 3.22 / 2.53, 3.18 / 2.50; 1000 x 10016 2.10
    / 1.84, 3.00 / 2.34, 3.32 / 2.64; rows not on lines even: 1000 x 10001
    2.99 / 2.91, 3.27 / 3.29, 3.47 / 3.52, 1024 x 9766 within 1 %).  With
    the AVX2 loops (half lines streamed) the prefetch still gains there:
    1000 x 10000 2.84 / 2.77, 3.55 / 3.70, 3.66 / 3.79; 768 x 13008 2.78 /
    2.74, 3.74 / 3.98, 3.66 / 4.01; 256 x 40000 2.33 / 2.80, 2.72 / 3.53,
    2.44 / 3.25.
    """
    job.base = <const char*> &y[0, 0]
    job.stride = y.strides[0]
    job.first = first * sizeof(floating)
    job.end = (first + width) * sizeof(floating)
    job.row = 0
    job.lines = lines
    job.n_lines = skp_kept_lines(&y[0, first], width, sizeof(floating), radii + first, lines)
    job.n_rows = y.shape[0] if job.n_lines else 0
    job.into_l1 = skp_panels_into_l1


cdef void _shrink_panel(const floating[:, :] y, floating[:, :] x, Py_ssize_t first,
                        Py_ssize_t width, const double* taus, float* halves,
                        bint stream, NextPanel* next) noexcept nogil:
    """Soft-threshold the columns ``first:first + width``, each by its tau, row by row.

    Columns whose tau is infinite are zeroed (the AVX2 loop does not read
    them).  ``halves``: room for ``2 * width`` floats (float32's taus as two
    floats).  ``next``: the next panel's lines, prefetched a row as a row is
    written (the vector loops; ``_kept_lines_ahead``), or NULL.
    """
    cdef Py_ssize_t n_rows = y.shape[0], i, j
    cdef Py_ssize_t step_y = _step(y.strides[1], sizeof(floating))
    cdef Py_ssize_t step_x = _step(x.strides[1], sizeof(floating))
    # (streamed rows that start inside a cache line, as the first panel's
    # where the result does not start on one: the columns up to the line's
    # end through the cache, the others streamed from the line on; a
    # non-temporal store of part of a line goes to memory a part at a time:
    # issue 14, 1000 x 10000 float32 at half the norm, the first of 79 panels
    # took a seventh of the write's time)
    cdef Py_ssize_t head = (64 - (<size_t> &x[0, first]) % 64) // sizeof(floating)
    if (stream and head < width and (<size_t> &x[0, first]) % 64
            and (<size_t> &x[0, first]) % sizeof(floating) == 0 and x.strides[0] % 64 == 0):
        _shrink_panel(y, x, first, head, taus, halves, False, NULL)
        _shrink_panel(y, x, first + head, width - head, taus + head, halves, True, next)
        return
    if step_y == 1 and step_x == 1 and simd_enabled():
        if floating is float:
            skp_split_taus(taus, width, halves, halves + width)
            skp_shrink_panel_f32(&y[0, first], y.strides[0], &x[0, first], x.strides[0], n_rows,
                                 width, taus, halves, halves + width, stream, next)
        else:
            skp_shrink_panel_f64(&y[0, first], y.strides[0], &x[0, first], x.strides[0], n_rows,
                                 width, taus, stream, next)
    elif floating is float and step_y == 1 and simd_enabled():
        # (a strided result: the AVX2 loop's arithmetic a value at a time, so
        # that every ``out`` gets the same bits; the shrink in double differed
        # in the last bit from it, 136 of 300 random float32 matrices)
        skp_split_taus(taus, width, halves, halves + width)
        for i in range(n_rows):
            for j in range(width):
                x[i, first + j] = skp_shrink_two_floats(y[i, first + j], halves[j],
                                                        halves[width + j])
    elif step_y == 1 and step_x == 1:
        for i in range(n_rows):
            _shrink_columns(&y[i, first], 1, &x[i, first], 1, width, taus)
    else:
        for i in range(n_rows):
            _shrink_columns(&y[i, first], step_y, &x[i, first], step_x, width, taus)


cdef inline bint _lines_suit(const floating[:, :] y, floating[:, :] x) noexcept nogil:
    """Whether a streamed column panels' write is cut at the result's lines
    (``_shrink_lines``): the vector loops, contiguous rows, a result aligned
    to its items.  The same for every panel: each writes the columns the one
    before left it."""
    return (_lines and y.strides[1] == sizeof(floating) and x.strides[1] == sizeof(floating)
            and simd_enabled() and (<size_t> &x[0, 0]) % sizeof(floating) == 0
            and x.strides[0] % <Py_ssize_t> sizeof(floating) == 0)


cdef void _shrink_lines(const floating[:, :] y, floating[:, :] x, Py_ssize_t first,
                        Py_ssize_t width, const double* taus, float* halves,
                        NextPanel* next) noexcept nogil:
    """``_shrink_panel`` streamed, cut at the result's cache lines in every row
    (``skp_shrink_lines_f32``, ``_f64``: AVX-512 or AVX2), where
    ``_lines_suit``: ``taus`` (and float32's ``halves``, ``2 * n_cols``
    floats) are indexed by the matrix's columns, this panel's set and the
    panels' before it too.

    A panel's columns begin and end inside a line of the result's rows
    wherever a row is not a multiple of 64 bytes, at another offset each row,
    where the panel write streamed the whole lines and wrote the parts of
    the two lines it shares with the panels beside it through the cache,
    each line in two visits.  Cut at the lines, every line of a row but its
    first and last is streamed whole.  Issue 14, an AMD Zen 4, single calls
    interleaved in one process, at 10, 50, 90 % of the groups kept, times a
    copy, float32 751 x 8790 (reuters_r8's shape) 3.24, 3.39, 3.39 before;
    1000 x 10004 3.05, 2.92, 2.74 (1000 x 10000, whose rows are whole lines,
    2.00, 2.13, 2.21); against the build before, 751 x 8790 0.68-0.75 of
    the time, 1000 x 10004 0.73-0.75; float64 751 x 8790 0.73-0.80; with
    AVX2 alone, float32 751 x 8790 0.72-0.75, float64 0.78-0.86.
    """
    cdef Py_ssize_t n_cols = x.shape[1]
    if floating is float:
        skp_split_taus(taus + first, width, halves + first, halves + n_cols + first)
        skp_shrink_lines_f32(&y[0, 0], y.strides[0], &x[0, 0], x.strides[0], y.shape[0], first,
                             first + width, n_cols, halves, halves + n_cols, next)
    else:
        skp_shrink_lines_f64(&y[0, 0], y.strides[0], &x[0, 0], x.strides[0], y.shape[0], first,
                             first + width, n_cols, taus, next)


cdef inline bint _short_columns(const floating[:, :] y, floating[:, :] x,
                                const double* radii) noexcept nogil:
    """Columns of at most SKP_SHORT_COLUMN_ROWS rows, a vector of them at a time.

    Each column's magnitudes sorted in the lanes of its rows' vectors, its
    tau from them, then its rows written (``skp_short_columns_f32/_f64``):
    one read and one write, where a panel's passes over a few rows spent
    their time between passes.  Issue 14, single calls interleaved, at 10-90 %
    of the norm: 2 x 20000 float32 78-99 times a copy before, 16-18 now
    (69-77 us, of which the group norms and the l1 projection of the 20000
    norms are now most), float64 22-24 -> 6.6-6.9; 3 x 20000 float32 55-62
    -> 12-13, float64 15-17 -> 5; up to 16 rows faster than the passes (see
    _bilevel_simd.h).  With AVX-512, sixteen float32 columns a vector
    (sorted in float) or eight float64 ones, the same bits as the AVX2
    loop's eight or four (an Intel Xeon, single calls interleaved, at 10,
    50, 90 % of the norm, times a copy, AVX2 -> AVX-512: float32 10 x 784
    10.3 -> 5.1, 8 x 10000 14.1 -> 6.9, 16 x 10000 15.5 -> 6.9, 2 x 20000
    17 -> 13; float64 10 x 784 6.9 -> 4.0, 16 x 10000 4.2 -> 2.4, 2 x 20000
    7.6 -> 6.2).  False (nothing written) where the columns are longer,
    a row of ``y`` not contiguous, the CPU without AVX2, or a test forces a
    panel path (never for ``x``'s layout: the same bits into any ``out``).
    """
    cdef Py_ssize_t x_step = _step(x.strides[1], sizeof(floating))
    if (y.shape[0] > SKP_SHORT_COLUMN_ROWS or _forced_path or not simd_enabled()
            or y.strides[1] != sizeof(floating)):
        return False
    if floating is float:
        skp_short_columns_f32(&y[0, 0], y.strides[0], &x[0, 0], x.strides[0], x_step,
                              y.shape[0], y.shape[1], radii)
    else:
        skp_short_columns_f64(&y[0, 0], y.strides[0], &x[0, 0], x.strides[0], x_step,
                              y.shape[0], y.shape[1], radii)
    return True


# Column groups of at most this many columns, rows one after the other, and
# at least _NARROW_LEAST_ROWS rows, find their taus as rows (``_narrow_columns``).
cdef Py_ssize_t _narrow_most_columns = 8, _NARROW_LEAST_ROWS = 256


def _set_narrow_columns(Py_ssize_t most=8):
    """Testing hook: the most columns that ``_narrow_columns`` takes (0: none)."""
    global _narrow_most_columns
    _narrow_most_columns = most


cdef inline bint _shrink_narrow(const floating* y, floating* x, Py_ssize_t n_rows,
                                Py_ssize_t n_cols, const double* taus,
                                bint stream) noexcept nogil:
    if floating is float:
        return skp_shrink_narrow_f32(y, x, n_rows, n_cols, taus, stream)
    return skp_shrink_narrow_f64(y, x, n_rows, n_cols, taus, stream)


cdef int _narrow_columns(const floating[:, :] y, floating[:, :] x, double eta,
                         double* radii) noexcept nogil:
    """``bilevel_l11`` of the columns of a narrow matrix, projected as rows:
    copied into rows (``skp_narrow_as_rows_f32/_f64``, _transpose_simd.h),
    their norms and new radii taken there (as row groups'), each column's
    tau found there as a row's (``_row_threshold``), then the columns
    written from ``y`` by their taus as one run of vectors
    (``skp_shrink_narrow_f32/_f64``; else ``_shrink_panel``).  A vector of
    the column norms' folds and of a panel's passes and write held a row's
    few values, its other lanes idle, where the copy's rows fill every lane
    (issue 14, the AMD Zen 4, single calls interleaved, times a copy at 10,
    50, 90 % of the norm, the columns' panels -> this: float32 100000 x 3
    43, 34, 25 -> 5.0, 5.3, 4.8; 10000 x 3 22, 17, 15 -> 4.8; 1000 x 3
    0.36-0.44 of the time; 50000 x 8 0.28-0.39; float64 100000 x 3
    0.26-0.32; but 12-16 columns 0.7-1.8).  Returns -1 (nothing written)
    where the matrix does not suit: more than ``_narrow_most_columns``
    columns, fewer than _NARROW_LEAST_ROWS rows, rows not lying one after
    the other in ``y``, a test forcing a panel path, or no memory for the
    copy; else the status.
    (Decided by the shape alone, so that every CPU takes the same route.)
    """
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1], j
    cdef floating* rows
    cdef floating* buffer
    cdef double* taus
    cdef float* halves
    cdef double outer_tau = 0.0, floor
    cdef floating[:, :] as_rows
    cdef _RowHint hint
    cdef int status, level
    if (n_cols > _narrow_most_columns or n_rows < _NARROW_LEAST_ROWS or _forced_path
            or y.strides[1] != sizeof(floating)
            or y.strides[0] != n_cols * <Py_ssize_t> sizeof(floating)):
        return -1
    global _candidate_bytes
    _candidate_bytes = n_rows * sizeof(floating)   # (a row's candidates at most)
    rows = <floating*> malloc(n_rows * n_cols * sizeof(floating))
    buffer = <floating*> malloc(n_rows * sizeof(floating))
    taus = <double*> malloc(n_cols * sizeof(double))
    halves = <float*> malloc(2 * n_cols * sizeof(float))
    # (no room for the copy: the columns' panels, which need less)
    status = -1
    if rows != NULL and buffer != NULL and taus != NULL and halves != NULL:
        level = (2 if skp_avx512_enabled() else 1) if simd_enabled() else 0
        if floating is float:
            skp_narrow_as_rows_f32(&y[0, 0], n_rows, n_cols, rows, level)
        else:
            skp_narrow_as_rows_f64(&y[0, 0], n_rows, n_cols, rows, level)
        matrix_slice(as_rows, <size_t> rows, n_cols, n_rows, sizeof(floating))
        status = _norms_and_threshold(as_rows, radii, NORM_L1, True, eta, &outer_tau)
        if status == STATUS_INSIDE:
            copy_matrix(y, x)
    if status == STATUS_PROJECTED:
        _kept_radii(radii, n_cols, outer_tau)
        floor = outer_tau / n_rows
        hint.tau = hint.radius = hint.support = 0.0
        hint.error = 0.05
        hint.misses = 0.0
        hint.resting = 0
        for j in range(n_cols):
            taus[j] = (_row_threshold(rows + j * n_rows, n_rows, 1, floor, radii[j],
                                      floor * n_rows, buffer, &hint, 0)
                       if radii[j] != 0.0 else INFINITY)
        if not (simd_enabled() and x.strides[1] == sizeof(floating)
                and x.strides[0] == n_cols * <Py_ssize_t> sizeof(floating)
                and _shrink_narrow(&y[0, 0], &x[0, 0], n_rows, n_cols, taus,
                                   streams(n_rows * n_cols * sizeof(floating)))):
            _shrink_panel(y, x, 0, n_cols, taus, halves, False, NULL)
    free(rows)
    free(buffer)
    free(taus)
    free(halves)
    return status


cdef int _l11_column_panels(const floating[:, :] y, floating[:, :] x, const double* radii,
                            double floor) noexcept nogil:
    """Project every column onto the l1 ball of its radius, a panel at a time.

    For each panel: the magnitudes above ``floor`` (a lower bound of every
    column's tau) are gathered per column in one read of the panel, each
    column's tau found there (``group_threshold``), and the panel written
    from the cache, row by row (a matrix in cache whose taus are found by
    passes: once all are known, along its rows, or in float32 pairs of
    groups of columns as each pair's are known, WHOLE_BYTES).  Where
    ``_columns_by_passes`` says so, the taus
    are found instead by Michelot's passes over the panel, from ``floor``,
    a vector of columns at a time (``_panel_thresholds``): on short columns
    (100 x 1000 float32 at half the norm, thread time, issue 14: 11.8 times a
    copy with the gather, 5.8 with the AVX-512 passes).  With AVX-512 and
    float32, each column's first pass starts from a guess made from the
    group of columns before (``skp_guess8``: the group's mean tau, moved
    along a first-order model of the column's l1 function) where it lies 5 %
    above the floor: a guess above a column's tau gives a Newton step below
    it (the function is convex), so Michelot goes on from there (from the
    floor, 3.0 passes a group of 16 Gaussian columns of 100 rows at half the
    norm; from the last group's mean tau 2.4; from the guess 2.2), and a
    group's magnitudes are packed by its first pass for the next ones; so
    float32 columns of up to 1024 rows take the passes at any share, and
    float64 ones too (their guesses the same, their groups of 8 columns one
    line a row, not packed; with AVX2 alone, both dtypes the same way,
    float64 up to 512 rows, and longer columns up to _share_rows_avx2 rows
    (float64 _double_share_rows_avx2) by the share; a large float64 matrix
    with AVX-512 only on columns of up to 48 rows, by the share: see
    _columns_by_passes).  The
    matrix is thus read once here (and once for the norms) and written once;
    the cache lines of zeroed columns are not read here.

    Measured against this design (issue 14, float32) and set aside:
    the taus of the gathered lists sixteen columns at a time, the lists
    transposed into a panel of 16 columns and Michelot's passes run on it in
    lanes from each list's first iterate (5 % slower in all at 50-90 % of the
    groups of 1000 x 10000 kept: the passes run until the slowest lane stops,
    over the longest list, and the transposition reads 16 lists 4 KB apart);
    prefetching 8 or 32 rows ahead instead of 16 (no difference above the
    noise of a loaded machine; into L1 as well as L2 since, where the CPU
    prefers: ``skp_panels_into_l1`` in _l1_simd.h);
    Michelot's iteration on every column of a panel at once, by passes over
    the panel in cache (4 to 7 passes a vector of columns: up to twice
    slower on 1000 x 10000, no faster on 100 x 1000); candidates appended
    value by value, without the transposition (up to 2.4 times slower at
    50-90 % of the groups kept); packing only the columns with a candidate
    in a block (its branches: 13-18 % slower); every value of a short column
    transposed, without a floor (1.4-1.5 times slower at 50-90 %).
    Also set aside (issue 14, float32 1000 x 10000 at 90 % of the groups
    kept, perf shares of the kernel): the gathered lists' taus four lists at
    a time, their passes interleaved (the thresholds 0.77 -> 1.06 of the norm
    pass: each lane's branches mispredict, and the passes run over the
    longest list); the lists compacted to their floors every 128 or 256 rows
    (lists of 130-220 values -> 30-100 and 3.5-4 passes -> 1.2-1.9, but the
    compactions cost more than the passes they save: 0.77 -> 0.86-1.09);
    the 8 x 8 transposition's lane-crossing stage done by 128-bit loads
    (16 shuffles rather than 24: the gather 11 % slower, so not bound by
    the shuffles); prefetching every other line of a row (no difference).
    Also set aside with the float32 passes (issue 14, thread time,
    interleaved): the taus of a panel's vectors of columns held in
    registers for every row of the write (100 x 1000 at half the norm 5.04
    -> 5.00 times a copy, 1000 x 10000 at 50-90 % 1.95 -> 2.06: the write
    waits on its stores, not its instructions; since taken in cache with
    AVX-512, where a Zen 5 measured 0.90-0.96 of the call's time,
    ``skp_shrink_strips512_f32``); the next group's lines
    prefetched by a group's first pass (no difference); with AVX2, the rows
    16 ahead prefetched by a group's first pass, as the AVX-512 loop does
    (1000 x 10000, 2000 x 5000 and 500 x 20000 at 10-90 % of the groups
    kept: 0.96-1.00 of the time, within the noise); the guesses'
    means averaged over the last groups rather than taken from the last one
    (passes within 1 %); the panel written through the caches rather than
    streamed, on 1000 x 10000 (3.2 -> 6.0 times a copy at 50 %); with AVX2,
    the write taking a value's sign by one "and" with a per-column sign
    array rather than a compare, two "and"s and a branch (1.00-1.02 of the
    time on 100 x 1000 to 100 x 10000: it waits on its stores).  (Not
    built: a first pass that also counts at one or two more iterates around
    each guess, which a model of the passes on Gaussian columns put at
    5-12 % fewer passes a group.)
    """
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1], first = 0, width, c, capacity
    cdef Py_ssize_t itemsize = sizeof(floating)
    # (no wider than the matrix, in whole lines: the lists below hold a panel)
    cdef Py_ssize_t line = 64 // sizeof(floating), vector = 32 // sizeof(floating)
    cdef bint large = streams(n_rows * n_cols * sizeof(floating))
    # (streamed where every row starts on a cache line; otherwise a panel's
    # stores cover parts of lines, which non-temporal stores send to memory
    # a part at a time: issue 14, thread time, 100000 x 100 at half the norm
    # 32 -> 10 times a copy in float32, 9.3 -> 5.4 in float64; float64
    # panels that stay in L2 are still streamed: 2000 x 2500 at 10-90 % of
    # the groups kept 4.3-5.2 times a copy streamed, 4.7-6.1 not.  Since the
    # streamed stores cover whole lines only (skp_stream_start), float32
    # panels of up to 4096 rows are streamed too: an AMD Zen 5, single calls
    # interleaved, at 10, 50, 90 % of the groups kept, times a copy,
    # streamed / not: 2000 x 5000 3.66 / 4.54, 3.98 / 5.31, 4.27 / 5.59;
    # 3000 x 3000 4.58 / 5.19, 4.74 / 8.23, 5.04 / 8.64; 1500 x 7000 3.47 /
    # 4.33, 3.86 / 5.29, 4.28 / 5.55; 4000 x 2500 6.96 / 5.74, 7.59 / 9.25,
    # 7.81 / 9.40; but 7000 x 1500 8.37 / 5.32, 6.41 / 6.25, 6.57 / 6.39
    # and 20000 x 500 5.43-5.78 / 5.37-5.82)
    # (float64 up to 8192 rows, float32 up to 4096)
    # (rows of LINES_ROW_BYTES or more are streamed at any length, cut at
    # the result's lines: see _shrink_lines)
    cdef bint stream = large and (n_rows == 1 or x.strides[0] % 64 == 0
                                  or n_rows * (512 // sizeof(floating)) <= PANEL_BYTES
                                  or (n_cols * <Py_ssize_t> sizeof(floating) >= LINES_ROW_BYTES
                                      and _lines_suit(y, x)))
    cdef Py_ssize_t panel = min(_panel_width(n_rows, sizeof(floating), stream),
                                (n_cols + line - 1) // line * line)
    cdef bint by_passes = (y.strides[1] == sizeof(floating) and simd_enabled()
                           and _columns_by_passes(radii, n_cols, n_rows, sizeof(floating),
                                                  floor * n_rows, large))
    # (the gather's lists: see _gathered_taus; room for a partial vector of
    # columns after the panel; panel_radii: 16 for skp_panel_thresholds_f32)
    cdef bint by_rows = (not by_passes and y.strides[1] == sizeof(floating)
                         and simd_enabled())
    cdef _Lists lists
    cdef floating* column = NULL
    cdef Py_ssize_t* counts = <Py_ssize_t*> malloc((panel + 8) * sizeof(Py_ssize_t))
    cdef double* sums = <double*> malloc((panel + 8) * sizeof(double))
    cdef double* panel_radii = <double*> calloc(panel + 16, sizeof(double))
    cdef double hint[3]
    # (float32 by passes: a group of 16 columns' magnitudes, on a cache line)
    cdef bint packs = floating is float and by_passes and 16 * n_rows * 4 <= PACKED_BYTES
    cdef floating* floors = <floating*> malloc((panel + 8) * sizeof(floating))
    # (the gather's scratch; with the passes, the next panel's kept lines)
    cdef Py_ssize_t* lines = <Py_ssize_t*> malloc((panel + 2) * sizeof(Py_ssize_t))
    cdef NextPanel next
    # (see _kept_lines_ahead)
    cdef bint prefetches = large and by_passes and n_rows <= (
        _ahead_rows_l2 if skp_avx512_enabled() and not skp_panels_into_l1 else _packed_rows)
    cdef bint ahead
    # (two groups' magnitudes packed, for the pairs of PAIR_ROWS; with AVX-512
    # also on longer columns out of cache whose next panel is not prefetched,
    # where a pair's first passes sweep the rows together, two adjacent lines
    # a row (skp_group16_first_pair): issue 14, an Intel Xeon, single calls
    # interleaved in one process, float32 at 10, 50, 90 % of the groups kept,
    # pairs / one group at a time: 1000 x 10000 0.97-1.00, 0.90-0.97,
    # 0.94-0.99; 900 x 11104 0.92, 0.87, 0.87; 768 x 13008 1.00, 0.93, 0.92;
    # 1024 x 9766 0.93-0.98, 0.86-0.96, 0.89-0.96; but where the next panel
    # is prefetched, 500 x 20000 and 640 x 15616, 1.01-1.04)
    cdef bint pairs = (packs and _pairs and (
        n_rows <= PAIR_ROWS
        or (skp_avx512_enabled() and large and not prefetches and _first_pairs)))
    # (the next panel's kept lines, ``_kept_lines_ahead``'s, prefetched into L2
    # by the sweeps of a panel's pairs after the first, a share each
    # (``skp_next_lines_of_pair``), where the panel's write does not prefetch
    # them: those sweeps and the later passes read the panel in cache, memory
    # idle, where the next panel's first sweep had waited on memory row by
    # row, its rows a page or more apart.  Issue 14, an AMD Zen 4, float32 at
    # 10, 50 and 90 % of the groups kept, single calls interleaved in one
    # process, with / without: 1000 x 10000 0.97, 0.98, 0.97; 900 x 11104
    # 0.93, 0.96, 0.96; 768 x 13008 0.92, 0.95, 0.95; 1024 x 9766 0.96, 0.90,
    # 0.90; 800 x 12500 0.96, 0.90, 0.89; 700 x 14000 0.98, 0.94, 0.93; 656 x
    # 15000 0.98, 0.89, 0.89; rows not on lines, 1000 x 10004 0.97, 0.91,
    # 0.84, 751 x 8790 1.00-1.05, 0.89, 0.90 (at 3-7 %: 0.99-1.03); panels
    # of two pairs (2000 x 5000) within 1 %.  Prefetched into L1 instead:
    # 1.23-1.27 times as long.)
    cdef bint sweeps_ahead = pairs and large and not prefetches and _next_in_sweeps
    cdef Py_ssize_t n_next
    # (a matrix in L2 by pairs: each pair written from L1 as its taus are known;
    # not where the rows lie a multiple of 2 KiB apart, skp_rows_alias: issue
    # 14, the Zen 5, float32 at 10, 50, 90 % of the norm, single calls
    # interleaved, times a copy, pairs written as known / all at once: 64 x
    # 1024 14.1 / 8.6, 13.3 / 7.4, 12.7 / 6.8; 128 x 1024 12.0 / 6.6, 11.8 /
    # 5.7, 11.5 / 5.5; 100 x 1024 12.9 / 7.8, 12.4 / 6.6, 12.1 / 6.3; 32 x
    # 2048 14.8 / 11.5, 13.5 / 9.7, 12.8 / 9.1; 64 x 512 9.8 / 8.3, 8.6 /
    # 7.0, 8.2 / 6.7; elsewhere as known: 64 x 1040 6.1 / 6.5 at 50 %, 32 x
    # 2000 7.7 / 8.5, 100 x 1000 6.3 / 6.5, 128 x 1000 5.4 / 5.1)
    cdef bint fused = (pairs and _fused and x.strides[1] == sizeof(floating)
                       and n_rows * n_cols * itemsize <= WHOLE_BYTES
                       and not skp_rows_alias(y.strides[0])
                       and not skp_rows_alias(x.strides[0]))
    # (a matrix in cache by passes: every tau first, then one write along the
    # rows; and a larger one whose rows lie a multiple of 2 KiB apart,
    # skp_rows_alias, whose panels do not stay in L2 for their writes: a
    # column of lines a page a row falls in 16 of its 1024 sets.  Issue 14, the
    # Zen 5, float32 at 10, 50, 90 % of the norm, the best of three, times a
    # copy, by panels / whole: 1024 x 1024 7.5 / 7.2, 7.3 / 6.9, 7.2 / 6.8;
    # 2048 x 1024 5.6 / 5.3, 5.3 / 5.0, 5.3 / 5.0; 4096 x 1024 4.1 / 3.5,
    # 3.9 / 3.4, 3.9 / 3.3; 16384 x 1024 4.8 / 4.2, 4.7 / 4.1, 4.7 / 4.2;
    # 1024 x 2048 6.9 / 6.2, 6.4 / 5.8, 6.4 / 5.9; 2048 x 2048 3.7 / 3.4,
    # 3.5 / 3.2, 3.4 / 3.1; 8192 x 2048 4.7 / 3.9, 4.6 / 3.7, 4.6 / 3.7; but
    # wider than WHOLE_COLUMNS, 256-2048 x 4096 1.1-1.2 times as long, 1024
    # x 4096 0.75 of the time)
    cdef bint whole = (by_passes and not fused and n_cols <= WHOLE_COLUMNS
                       and (n_rows * n_cols * itemsize <= WHOLE_BYTES
                            or skp_rows_alias(y.strides[0]) or skp_rows_alias(x.strides[0])))
    cdef float* packed = (<float*> malloc(((32 if pairs else 16) * n_rows + 16) * sizeof(float))
                          if packs else NULL)
    # (a streamed write cut at the result's lines: see _shrink_lines; its taus,
    # like the whole matrix's, indexed by the matrix's columns)
    cdef bint by_lines = (stream and not whole and not fused and x.strides[0] % 64 != 0
                          and _lines_suit(y, x))
    cdef Py_ssize_t n_taus = n_cols if whole or by_lines else panel
    cdef double* taus = <double*> malloc(n_taus * sizeof(double))
    cdef float* halves = <float*> malloc(2 * n_taus * sizeof(float))
    cdef int status = STATUS_PROJECTED
    global _candidate_bytes
    _candidate_bytes = 0
    # (each list a whole column, or its share of _list_bytes to start with,
    # growing up to its share of the larger of _list_limit and a quarter of
    # the matrix; the shares are those of panel + 8 lists, as they were
    # sized, so that which columns outgrow their lists, and every result,
    # stays as it was.  Only the lists a panel writes are made: its columns',
    # up to a whole vector of them.  Those of the panel's rounding to cache
    # lines and 8 more were made too and never written: 300000 x 20 float64
    # at 90 % of the groups kept reserved 69.5 MB for its 48 MB, now 44.3;
    # 200000 x 5 float32 19.2 MB for its 4 MB, now 6.4.)
    lists.values = NULL
    lists.n_lists = (min(panel, n_cols) + vector - 1) // vector * vector
    lists.capacity = 0
    lists.most = min(n_rows + 8, max(_list_limit, n_rows * n_cols * itemsize // 4)
                     // ((panel + 8) * itemsize))
    capacity = min(lists.most, max(_list_bytes // ((panel + 8) * itemsize), 64))
    if by_rows and not _reserve_lists(&lists, capacity, sizeof(floating), NULL, 0):
        status = STATUS_NOMEMORY
    elif (counts == NULL or sums == NULL or panel_radii == NULL
            or floors == NULL or lines == NULL or taus == NULL or halves == NULL
            or (packs and packed == NULL)):
        status = STATUS_NOMEMORY
    else:
        hint[0] = hint[1] = hint[2] = 0.0
        width = min(_first_panel_width(&x[0, 0], panel, sizeof(floating)), n_cols)
        while first < n_cols:
            for c in range(panel + 16):
                panel_radii[c] = radii[first + c] if c < width else 0.0
            if by_passes:
                n_next = 0
                if sweeps_ahead and first + width < n_cols:
                    _kept_lines_ahead(&next, y, first + width,
                                      min(panel, n_cols - first - width), radii, lines)
                    n_next = next.n_lines
                _panel_thresholds(y, first, width, floor, panel_radii,
                                  taus + first if whole or by_lines else taus, hint,
                                  <float*> ((<size_t> packed + 63) // 64 * 64) if packs
                                  else NULL, pairs, large, x, fused, lines, n_next)
            else:
                status = _gathered_taus(y, first, width, floor, panel_radii,
                                        &lists if by_rows else NULL, &column, counts, sums,
                                        floors, lines, taus + first if by_lines else taus)
                if status != STATUS_PROJECTED:
                    break
            if not whole and not fused:
                ahead = prefetches and first + width < n_cols
                if ahead:
                    _kept_lines_ahead(&next, y, first + width,
                                      min(panel, n_cols - first - width), radii, lines)
                if by_lines:
                    _shrink_lines(y, x, first, width, taus, halves, &next if ahead else NULL)
                else:
                    _shrink_panel(y, x, first, width, taus, halves, stream,
                                  &next if ahead else NULL)
            first += width
            width = min(panel, n_cols - first)
        if whole and status == STATUS_PROJECTED:
            _shrink_panel(y, x, 0, n_cols, taus, halves, stream, NULL)
    libc_free(lists.values)   # (grown by realloc)
    free(column)
    free(counts)
    free(sums)
    free(panel_radii)
    free(floors)
    free(lines)
    free(taus)
    free(halves)
    free(packed)
    return status


cdef enum:
    ROW_CHUNK = 512     # values gathered between two raises of a row's floor


cdef inline Py_ssize_t _row_keep_above(const floating* row, Py_ssize_t n, Py_ssize_t step,
                                      double floor, floating* dst, double* total,
                                      Py_ssize_t ahead) noexcept nogil:
    """``keep_above`` of magnitudes, by the AVX-512 loops on a contiguous row where they
    run (asking for its lines ``ahead`` bytes on: ``skp_ahead_for``)."""
    cdef int done = 0
    cdef Py_ssize_t kept = 0
    if step == 1 and simd_enabled():
        if floating is float:
            kept = skp_row_keep_above_f32(row, n, floor, dst, total, &done, ahead)
        else:
            kept = skp_row_keep_above_f64(row, n, floor, dst, total, &done, ahead)
    if done:
        return kept
    return keep_above(row, n, step, floor, True, dst, total)


cdef Py_ssize_t _row_candidates(const floating* row, Py_ssize_t n, Py_ssize_t step,
                                double floor, double radius, floating* buffer,
                                double* total, Py_ssize_t ahead) noexcept nogil:
    """The magnitudes of ``row`` above a floor of its tau, in ``buffer``; return how many.

    The floor starts at ``floor`` and rises after each chunk of the row: for
    any set L of the row's magnitudes, ``tau >= (sum(L) - radius) / |L|``, so
    the values kept so far bound tau from below (as the column panels'
    floors, ``skp_kept_bound4``, whose margin for the rounding of the sum it
    takes).  ``total``: the sum of the kept values.
    """
    cdef Py_ssize_t start = 0, width, kept = 0
    cdef double chunk_total, bound
    total[0] = 0.0
    while start < n:
        width = min(<Py_ssize_t> ROW_CHUNK, n - start)
        kept += _row_keep_above(row + start * step, width, step, floor, buffer + kept,
                                &chunk_total, ahead)
        total[0] += chunk_total
        start += width
        if kept and total[0] - total[0] == 0.0:
            bound = (total[0] * (1.0 - SKP_BOUND_MARGIN) - radius) / kept
            floor = max(floor, bound)
    return kept


cdef Py_ssize_t _lane_row_length = LANE_ROW_LENGTH     # (testing: _set_lane_rows)
cdef bint _wide_lanes = True                            # (testing: _set_lane_rows)
cdef Py_ssize_t _row_write_bytes = SHORT_ROW_WRITE_BYTES  # (testing: _set_lane_rows)


def _set_lane_rows(Py_ssize_t length=LANE_ROW_LENGTH, bint wide=True,
                   Py_ssize_t write_bytes=SHORT_ROW_WRITE_BYTES):
    """Testing hook: float32 rows of up to ``length`` values take the lanes, float64
    ones of up to a quarter of that (0: none); sixteen float32 rows a block
    with AVX-512 (``wide``) or eight; rows of up to ``write_bytes`` in a
    matrix in cache written in one call once every tau is known (0: a call
    a row as each tau is found; see ``_l11_rows``)."""
    global _lane_row_length, _wide_lanes, _row_write_bytes
    _lane_row_length = length
    _wide_lanes = wide
    _row_write_bytes = write_bytes


cdef inline int _lane_rows(bint single) noexcept nogil:
    """Rows a block of ``_row_taus_by_lanes``: sixteen float32 ones with
    AVX-512 (its passes take sixteen columns a group), else eight."""
    return 16 if single and _wide_lanes and skp_avx512_enabled() else 8


cdef int _next_kept_rows(const double* radii, Py_ssize_t first, Py_ssize_t n_rows, int most,
                         Py_ssize_t* rows) noexcept nogil:
    """The kept rows (a radius not zero) from ``first`` on into rows[0:most]; how many."""
    cdef int n = 0
    cdef Py_ssize_t i = first
    while i < n_rows and n < most:
        if radii[i] != 0.0:
            rows[n] = i
            n += 1
        i += 1
    return n


cdef void _row_taus_by_lanes(const floating[:, :] y, const Py_ssize_t* rows, int n,
                             const double* radii, double floor, floating* packed,
                             double* lane_radii, double* taus, double* hint) noexcept nogil:
    """The taus of the kept rows rows[0:n] (n <= ``_lane_rows``) by the column passes.

    The rows are packed a row a lane (``skp_pack_rows16_f32``,
    ``skp_pack_rows8_f32``/``_f64``: ``packed`` holds 16 * rows values,
    64-byte aligned), so that the passes of the column panels
    (``skp_panel_thresholds_f32``/``_f64``, from ``hint``'s guesses) find
    their taus together; ``lane_radii``: 32 doubles.  The rows need not be
    neighbours: the kept rows are taken side by side, the zeroed ones
    between them skipped, so that every lane of a block works (the passes
    cost as much for one lane as for all).  Blocks had been the rows
    ``i:i + 16``, passed where three in four of them were kept and gathered
    row by row elsewhere: on scikit-learn's digits standardized (1797 x 64,
    row groups; at 10 % of the norm 61 % of the rows kept, a fifth of those
    blocks passed) float32 took 11.4 times a copy at 10 %, 6.4 at half the
    norm.  Issue 14, the AMD Zen 4, single calls interleaved against the
    build before, at 10 % of the norm (at 50 and 90 %, where every row is
    kept, 0.98-1.01): digits float32 11.4 -> 5.9, float64 5.8 -> 4.7, raw
    (integer pixels) 0.62 and 0.86 of the time; Gaussian float32 1000 x 32
    0.53, 10000 x 64 0.85, 1000 x 100 0.94; 1000 x 512 and 784 x 300, whose
    blocks were passed already, even.
    Sixteen float32 rows a block with AVX-512, where eight left half of each
    vector of its passes empty (issue 14, an Intel Xeon, single calls
    interleaved, times a copy at 10, 50, 90 % of the norm, eight -> sixteen:
    784 x 300 8.27 -> 5.40, 6.96 -> 4.86, 6.88 -> 4.73; 1000 x 100 12.6 ->
    7.8, 10.4 -> 7.0, 9.7 -> 6.6; 1000 x 32 17.8 -> 15.5, 13.8 -> 10.3, 12.6
    -> 9.6; 1000 x 512 3.16 -> 2.24, 2.69 -> 2.05, 2.65 -> 2.03; 10000 x 64
    4.69 -> 3.42, 3.60 -> 2.73, 3.33 -> 2.63; 200 x 784, whose rows take the
    gather, even).
    """
    cdef const char* at[16]
    cdef int c
    for c in range(32):
        lane_radii[c] = radii[rows[c]] if c < n else 0.0
    for c in range(16):
        at[c] = <const char*> &y[rows[c], 0] if c < n else NULL
    if floating is float and _lane_rows(True) == 16:
        skp_pack_rows16_f32(at, y.shape[1], packed)
        skp_panel_thresholds_f32(packed, 64, y.shape[1], n, floor, lane_radii, taus, hint,
                                 NULL, False, False, NULL, 0)
    elif floating is float:
        skp_pack_rows8_f32(at, y.shape[1], packed)
        skp_panel_thresholds_f32(packed, 32, y.shape[1], n, floor, lane_radii, taus, hint,
                                 NULL, False, False, NULL, 0)
    else:
        skp_pack_rows8_f64(at, y.shape[1], packed)
        skp_panel_thresholds_f64(packed, 64, y.shape[1], n, floor, lane_radii, taus, hint)
    for c in range(n):      # (>= 0: see _group_threshold)
        taus[c] = max(taus[c], 0.0)


cdef bint _short_rows(const floating[:, :] y, floating[:, :] x,
                      const double* radii) noexcept nogil:
    """Rows of at most 16 values lying one after the other, a block of them
    (16 float32 or 8 float64 rows with AVX-512, 8 or 4 with AVX2) at a time.

    Each block's columns gathered a row a lane, the lanes sorted and their
    taus found as the short columns', and the block written at once, a
    vector of values at a time, where ``x`` is a contiguous block too
    (``skp_short_rows512_f32/_f64``), else the rows written after all the
    taus, row by row with the same operations (the same bits into any
    ``out``).  The panels'
    passes took eight rows a lane at a time, and each row was written by a
    call of its own (issue 14, an Intel Xeon, single calls interleaved, times
    a copy at 10, 50, 90 % of the norm, before / now: float32 10000 x 8
    64 / 12, 39 / 12, 38 / 11; 784 x 10 28 / 8, 23 / 8; 1000 x 3 59 / 15,
    77 / 15; 10000 x 16 36-41 / 8.5, 20-22 / 8.5; 100 x 16 10-11 / 7.4;
    float64 10000 x 8 20-22 / 6, 17-19 / 6; 1000 x 3 21 / 6.5, 33 / 6.5).
    With AVX2, eight float32 or four float64 rows a block
    (``skp_short_rows256_f32/_f64``; the same taus and bits as AVX-512's),
    where the panels' passes ran before (issue 14, an AMD Zen 3, single
    calls interleaved, times a copy at half the norm, before / now: float32
    10000 x 8 58.6 / 12.0, at 10 and 90 % 44.4 / 13.0 and 43.2 / 10.8;
    20000 x 3 150.6 / 22.2; 784 x 10 43.2 / 13.1; 5000 x 15 54.8 / 16.6;
    10000 x 16 33.6 / 12.6; 100 x 16 10.1 / 6.3; float64 10000 x 8 21.1 /
    7.1; 1000 x 3 46.2 / 12.5; 10000 x 16 15.8 / 9.0).
    False (nothing written) where the rows are longer or not one block, the
    CPU without AVX2, or a test turns the lanes off (``_set_lane_rows``).
    """
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1], i, j
    cdef Py_ssize_t item = sizeof(floating)
    cdef double* taus
    cdef float hi, lo
    if (n_rows == 0 or n_cols == 0 or n_cols > 16 or y.strides[1] != item
            or (n_rows > 1 and y.strides[0] != n_cols * item)
            or not simd_enabled() or _lane_row_length == 0):
        return False
    taus = <double*> malloc(n_rows * sizeof(double))
    if taus == NULL:
        return False
    if x.strides[1] == item and (n_rows == 1 or x.strides[0] == n_cols * item):
        if floating is float:
            skp_short_rows_f32(&y[0, 0], &x[0, 0], n_rows, n_cols, radii, taus)
        else:
            skp_short_rows_f64(&y[0, 0], &x[0, 0], n_rows, n_cols, radii, taus)
    else:
        if floating is float:
            skp_short_rows_f32(&y[0, 0], NULL, n_rows, n_cols, radii, taus)
        else:
            skp_short_rows_f64(&y[0, 0], NULL, n_rows, n_cols, radii, taus)
        for i in range(n_rows):
            if floating is float:
                skp_split_taus(&taus[i], 1, &hi, &lo)
                for j in range(n_cols):
                    x[i, j] = skp_shrink_two_floats(y[i, j], hi, lo)
            else:
                for j in range(n_cols):
                    x[i, j] = shrink(y[i, j], taus[i]) if taus[i] < INFINITY else 0
    free(taus)
    return True


cdef struct _RowHint:
    # The last row's tau, radius and support (count of values above tau),
    # from which the next row's tau is guessed; ``error``: the guesses'
    # recent relative errors (a moving average); ``misses``: the share of
    # guessed floors lately not shown below tau (a moving average),
    # ``resting``: rows left before the next try.
    double tau
    double radius
    double support
    double error
    double misses
    int resting


cdef inline double _row_guess(const _RowHint* hint, double radius, double shift) noexcept nogil:
    """A row's tau guessed from the last row's (``skp_guess8``'s model: a row
    whose l1 norm, its radius plus ``shift``, is s times the last one's has
    about s times its function f(rho) = sum (|y| - rho)+, which falls by its
    support a unit of rho near its tau)."""
    cdef double scale = (radius + shift) / (hint.radius + shift)
    return scale * hint.tau + (scale * hint.radius - radius) / hint.support


cdef double _row_threshold(const floating* row, Py_ssize_t n, Py_ssize_t step, double floor,
                           double radius, double shift, floating* buffer,
                           _RowHint* hint, Py_ssize_t ahead) noexcept nogil:
    """A kept row's tau from its magnitudes above a floor (``_row_candidates``):
    in float32 first a floor guessed below it, then, where that one is not
    shown to lie below tau, ``floor`` (a bound of every row's tau); the hint
    then follows the row.

    The guessed floor is the row's tau guessed from the last row's
    (``_row_guess``) less _GUESS_ERRORS moving averages of the guesses'
    relative errors (each capped at _ERROR_CAP; at least _GUESS_LEAST of the
    guess).  The values gathered above it show it lies below tau where
    ``(sum - radius) / count`` (the bound of ``_row_candidates``, with its
    margin for rounding) reaches it; the gather from ``floor`` then is not
    needed.  Rows keeping a small share of their norm (their tau far above
    ``floor``) had gathered a third to a half of their values and passed over
    them; from the guessed floor, a few hundred (Gaussian 1000 x 10000 at 10-90 %
    of the rows kept: 220-510 values a row, every floor below tau).  Where a
    quarter of the floors lately missed (a moving average), the next 32 rows
    go to ``floor`` at once; so do rows after one whose support held more
    than an eighth of its values (as many as ``floor``'s would gather).
    Issue 14, an Intel Xeon, single calls interleaved in one process, float32
    row groups, time with / without the guessed floors at 10, 50, 90 % of
    the rows kept: 1000 x 10000 0.99-1.00, 0.97, 0.93-0.94; 2000 x 5000
    0.99, 0.92, 0.92; 300 x 30000 0.98-1.01, 0.96-0.98, 0.94; 1000 x 2000
    0.99, 0.94, 0.92; 4000 x 1000 1.00, 1.02, 0.87; 100 x 1000 0.95, 0.87-0.90,
    0.88-0.89; Student t(3) 1000 x 10000 0.95-0.98, 1.01, 0.97-0.98; rows of
    random scales (exp of a normal) even; Cauchy rows, whose few largest
    values set tau, 1.00-1.03 (half of their floors missed before the
    misses were counted: 1.05-1.07 at 50 and 90 %).  (Not float64: its
    AVX-512 thresholds give no support to guess from.)
    """
    cdef double tau = 0.0, support = 0.0, total, guess = 0.0, low
    cdef Py_ssize_t kept = 0
    cdef bint held = False
    if floating is float and _guessed_floors and hint.support > 0.0 and hint.support * 8 <= n:
        guess = _row_guess(hint, radius, shift)
        low = guess * (1.0 - max(_GUESS_ERRORS * hint.error, _GUESS_LEAST))
        if hint.resting > 0:
            hint.resting -= 1
        elif low > floor:
            kept = _row_candidates(row, n, step, low, radius, buffer, &total, ahead)
            held = kept > 0 and (total * (1.0 - SKP_BOUND_MARGIN) - radius) / kept >= low
            _floor_stats[0] += 1
            _floor_stats[1] += held
            hint.misses = 0.875 * hint.misses + (0.0 if held else 0.125)
            if hint.misses >= 0.25:
                # (back from the rest halfway to the limit: two misses in
                # the first tries send it back)
                hint.misses = 0.125
                hint.resting = 32
    if not held:
        kept = _row_candidates(row, n, step, floor, radius, buffer, &total, ahead)
    tau = _group_threshold(buffer, kept, total, radius, &support)
    if guess > 0.0 and tau > 0.0:
        hint.error = 0.75 * hint.error + 0.25 * min(fabs(tau - guess) / tau, _ERROR_CAP)
    if tau > 0.0 and support > 0.0:
        hint.tau = tau
        hint.radius = radius
        hint.support = support
    return tau


cdef int _l11_rows(const floating[:, :] y, floating[:, :] x, const double* radii,
                   double floor) noexcept nogil:
    """Project every row onto the l1 ball of its radius, one row at a time.

    A row's magnitudes above ``floor`` (a lower bound of its tau) are
    gathered, its tau found there (``group_threshold``), and the row written
    while it is still in cache.  When few rows are kept, the result is zeroed
    in one pass (``zero_result``) and only they are read and written.
    Contiguous float32 rows of up to LANE_ROW_LENGTH values find their taus
    eight rows (sixteen with AVX-512) at a time instead, a row a lane of the
    column panels' passes (``_row_taus_by_lanes``: the kept rows side by
    side, the last few gathered), then are written: a row's gather and Michelot
    cost a few hundred cycles whatever its length (issue 14, a Zen 3 with
    AVX2, single calls interleaved, tenth percentiles, lanes / gather at 10,
    50 and 90 % of the l1,1 norm: 1000 x 32 0.56 0.44 0.50; 1000 x 100 0.50
    0.55 0.62; 10000 x 64 0.42-0.51; 1000 x 200 0.62-0.73; 3000 x 256
    0.66-0.81; 784 x 300 0.68-0.81; 1000 x 512 0.81-0.91; out of cache,
    100000 x 100 0.63-0.89, 20000 x 256 0.80-1.12, 10000 x 512 0.91-1.04;
    longer rows lose at 10 %: 500 x 1000 1.05, 100 x 5000 1.17).  float64
    rows take them up to a quarter of that length, in a matrix not streamed
    (1000 x 32 0.48-0.73; 1000 x 64 0.62-0.79; 1000 x 100 0.71-0.87; 1000 x
    128 0.76-0.95; 2000 x 160 0.73-0.85; but 1000 x 256 0.92-1.20 and, out
    of cache, 20000 x 100 0.99-1.27).
    (Set aside, issue 14: float32 rows' taus by Michelot's passes over their
    magnitudes, one row at a time, packed by the first, from a guess made
    from the rows before as the column panels' passes do: 5-13 % slower than
    the gather at 10-90 % of the rows of 1000 x 10000 and 200 x 50000 kept,
    thread time.)
    """
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1], i, n_kept = 0
    cdef Py_ssize_t step_y = _step(y.strides[1], sizeof(floating))
    cdef Py_ssize_t step_x = _step(x.strides[1], sizeof(floating))
    cdef bint stream = streams_rows(n_rows, n_cols * sizeof(floating)), zeroed
    cdef Py_ssize_t ahead = (skp_ahead_for_rows(n_rows, n_cols, y.strides[0], sizeof(floating))
                             if step_y == 1 else 0)
    # (the block of kept rows whose taus the lanes found: block_rows[0:block_n],
    # the next one's at block_at)
    cdef Py_ssize_t block_rows[16]
    cdef int block_n = 0, block_at = 0
    cdef double tau
    cdef bint by_lanes = (step_y == 1 and simd_enabled() and (
        n_cols <= _lane_row_length if floating is float
        else n_cols <= _lane_row_length // 4 and not streams(n_rows * n_cols * sizeof(double))))
    # (a matrix in cache of short contiguous rows: every tau first, then the
    # rows written in one call, ``shrink_rows_at_once``)
    cdef bint at_once = (skp_avx512_enabled() and not stream and step_y == 1 and step_x == 1
                         and n_cols * <Py_ssize_t> sizeof(floating) <= _row_write_bytes
                         and n_rows * n_cols * sizeof(floating) <= WHOLE_BYTES)
    cdef double* taus = <double*> malloc(max(n_rows, 1) * sizeof(double)) if at_once else NULL
    cdef floating* buffer = <floating*> malloc(max(n_cols, 1) * sizeof(floating))
    cdef floating* packed = (<floating*> malloc((16 * n_cols + 16) * sizeof(floating))
                             if by_lanes else NULL)
    cdef int lane_rows = _lane_rows(floating is float)
    cdef double lane_radii[32]
    cdef double lane_taus[16]
    cdef double hint[3]
    cdef _RowHint row_hint
    hint[0] = hint[1] = hint[2] = 0.0
    row_hint.tau = row_hint.radius = row_hint.support = 0.0
    row_hint.error = 0.05
    row_hint.misses = 0.0
    row_hint.resting = 0
    if buffer == NULL or (by_lanes and packed == NULL) or (at_once and taus == NULL):
        free(buffer)
        free(packed)
        free(taus)
        return STATUS_NOMEMORY
    for i in range(n_rows):
        n_kept += radii[i] != 0
    zeroed = (not at_once and _few_kept(n_kept, n_rows, True, sizeof(floating))
              and <const void*> &x[0, 0] != <const void*> &y[0, 0]
              and zero_result(x, streams(n_rows * n_cols * sizeof(floating))))
    for i in range(n_rows):
        if radii[i] != 0.0:
            if by_lanes and block_at == block_n:
                block_n = _next_kept_rows(radii, i, n_rows, lane_rows, block_rows)
                block_at = 0
                # (the last kept rows, fewer than a block: by the gather where
                # they would fill fewer than three in four of the lanes, or of
                # the rows left)
                by_lanes = 4 * block_n >= 3 * min(lane_rows, n_rows - i)
                if by_lanes:
                    _row_taus_by_lanes(y, block_rows, block_n, radii, floor,
                                       <floating*> ((<size_t> packed + 63) // 64 * 64),
                                       lane_radii, lane_taus, hint)
            if by_lanes:
                tau = lane_taus[block_at]
                block_at += 1
            else:
                tau = _row_threshold(&y[i, 0], n_cols, step_y, floor, radii[i],
                                     floor * n_cols, buffer, &row_hint, ahead)
            if at_once:
                taus[i] = tau
            else:
                shrink_row(&y[i, 0], n_cols, step_y, &x[i, 0], step_x, tau, stream)
        elif at_once:
            taus[i] = INFINITY
        elif not zeroed:
            zero_result_row(&x[i, 0], n_cols, step_x, stream)
    if at_once:
        shrink_rows_at_once(&y[0, 0], y.strides[0], &x[0, 0], x.strides[0], n_rows, n_cols,
                            taus)
    if stream:
        skp_stream_fence()
    free(buffer)
    free(packed)
    free(taus)
    return STATUS_PROJECTED


cdef int _bilevel_l11(const floating[:, :] y, floating[:, :] x, double eta,
                      bint groups_are_rows, double* radii) noexcept nogil:
    """``bilevel_l11``'s work (see there)."""
    cdef Py_ssize_t group_size = y.shape[1] if groups_are_rows else y.shape[0]
    cdef double outer_tau
    cdef int status = -1 if groups_are_rows else _narrow_columns(y, x, eta, radii)
    if status >= 0:
        return status
    status = _new_radii(y, x, NORM_L1, groups_are_rows, eta, radii, &outer_tau)
    if status != STATUS_PROJECTED:
        return status
    if group_split(y, groups_are_rows):
        return _halves(y, <char*> &x[0, 0], x.strides[0], x.strides[1], groups_are_rows,
                       HALF_L11, NORM_L1, radii, NULL, outer_tau / group_size, NULL)
    return _l11_groups(y, x, groups_are_rows, radii, outer_tau / group_size)


cdef int _l11_groups(const floating[:, :] y, floating[:, :] x, bint groups_are_rows,
                     const double* radii, double floor) noexcept nogil:
    """Each group of ``y`` projected onto the l1 ball of its radius into ``x``
    (``floor``: a lower bound of every group's tau)."""
    if groups_are_rows:
        if not _short_rows(y, x, radii):
            return _l11_rows(y, x, radii, floor)
    elif not _short_columns(y, x, radii):
        return _l11_column_panels(y, x, radii, floor)
    return STATUS_PROJECTED


def bilevel_l11(const floating[:, :] y, floating[:, :] x, double eta,
                bint groups_are_rows, double[::1] radii):
    """Project each group onto the l1 ball of its new radius (in ``radii``).

    Each shrunk group needs its own soft threshold ``tau_g``, found by
    Michelot's method (``group_threshold``) on the group's magnitudes above
    ``outer_tau / n``, a lower bound of it (``tau_g >= (t_g - u_g) / n``):
    row groups one by one (``_l11_rows``), column groups a panel of adjacent
    columns at a time (``_l11_column_panels``).
    """
    cdef int status
    with nogil:
        status = _bilevel_l11(y, x, eta, groups_are_rows, &radii[0])
    return status


cdef inline int _bilevel_of_kind(int kind, const floating[:, :] y, floating[:, :] x,
                                 double eta, bint groups_are_rows,
                                 double* radii) noexcept nogil:
    if kind == NORM_L1:
        return _bilevel_l11(y, x, eta, groups_are_rows, radii)
    return _bilevel_clip_or_scale(y, x, eta, groups_are_rows, radii, kind == NORM_L2)


def at_addresses(int kind, size_t y_address, size_t x_address, Py_ssize_t n_rows,
                 Py_ssize_t n_cols, bint single, double eta, bint groups_are_rows,
                 double[::1] radii=None):
    """A bi-level projection of a C-contiguous matrix at raw addresses; its status.

    ``bilevel_l1inf``, ``bilevel_l11`` or ``bilevel_l12`` as ``kind`` is
    NORM_MAX, NORM_L1 or NORM_L2, on memory that is not an ndarray (a CPU
    tensor's), as ``_l1.at_addresses``: ``n_rows`` x ``n_cols`` values,
    float32 if ``single``, else float64, ``x`` the same memory as ``y`` or
    apart (the caller checks).  Nothing is written where the status is
    STATUS_NONFINITE (found by the norms, before any write).  ``radii``
    receives the groups' new radii; None: scratch (nobody wants them, and a
    NumPy array and its buffer cost some 0.3 us of a call on a small matrix).
    """
    # (None first: the macro then fills them, out of Cython's sight)
    cdef const float[:, :] y32 = None
    cdef float[:, :] x32 = None
    cdef const double[:, :] y64 = None
    cdef double[:, :] x64 = None
    cdef Py_ssize_t n_groups = n_rows if groups_are_rows else n_cols
    cdef double* scratch = NULL
    cdef double* per_group
    cdef int status = STATUS_NOMEMORY
    if radii is None:
        scratch = <double*> malloc(max(n_groups, 1) * sizeof(double))
        per_group = scratch
    else:
        per_group = &radii[0]
    with nogil:
        if per_group == NULL:
            pass
        elif single:
            matrix_slice(y32, y_address, n_rows, n_cols, sizeof(float))
            matrix_slice(x32, x_address, n_rows, n_cols, sizeof(float))
            status = _bilevel_of_kind(kind, y32, x32, eta, groups_are_rows, per_group)
        else:
            matrix_slice(y64, y_address, n_rows, n_cols, sizeof(double))
            matrix_slice(x64, x_address, n_rows, n_cols, sizeof(double))
            status = _bilevel_of_kind(kind, y64, x64, eta, groups_are_rows, per_group)
    free(scratch)
    return status


# ------------------------------------------------------ the l2 and linf balls

cdef bint _ball(int kind, const floating[:, :] y, floating[:, :] x,
                double radius) noexcept nogil:
    """``project_l2_ball`` (NORM_L2) or ``project_linf_ball`` (NORM_MAX) of
    one contiguous row; False, nothing written, where the norm is not finite.

    The norm is the row's group norm (the norm pass of every bi-level
    projection); outside the ball, the row is scaled by ``radius / norm``
    (each product in double, then rounded to the row's dtype, as NumPy
    multiplies a float32 array by a float64 scalar) or clipped at ``radius``
    rounded to the row's dtype (the same bits as clipping in double): the
    bits of the general way's ``np.multiply`` and ``np.clip`` (``_vector.py``).
    """
    cdef Py_ssize_t n = y.shape[1]
    cdef double norm = 0.0
    cdef bint simd = simd_enabled()
    cdef bint stream = simd and streams(n * sizeof(floating))
    if stream_group_norms(y, &norm, kind, True) - norm != 0.0:   # (NaN or inf)
        return False
    if norm <= radius:
        copy_matrix(y, x)
        return True
    # (the bi-level write's loops where they run: gcc's baseline loops store
    # 16 bytes at a time, and most of them across two cache lines)
    if floating is float and kind == NORM_L2:   # (the products in double)
        skp_scale_row_f32(<const float*> &y[0, 0], <float*> &x[0, 0], n, radius / norm, simd,
                          stream)
    elif simd:
        write_row_simd(&y[0, 0], &x[0, 0], n, kind == NORM_L2,
                       <floating> (radius / norm if kind == NORM_L2 else radius), NULL, stream)
    elif kind == NORM_L2:
        _scale_row(&y[0, 0], n, 1, &x[0, 0], 1, radius / norm)
    else:
        clip_row(&y[0, 0], &x[0, 0], n, 1, 1, <floating> radius)
    if stream:
        skp_stream_fence()
    return True


def ball_at_addresses(int kind, size_t y_address, size_t x_address, Py_ssize_t n,
                      bint single, double radius):
    """The l2 (``kind`` NORM_L2) or linf (NORM_MAX) ball of ``n`` contiguous
    values at raw addresses, as ``_l1.at_addresses`` takes them (the entry
    of ``_arrays.vector_call``); whether it was written (not where a value is
    NaN or inf, or the squares' sum overflows: the general way raises or
    rescales).  Issue 14, an Intel Xeon: the general way's NumPy calls cost
    8.6 us on a 32 x 64 float32 array with ``out=`` (11.2 on a tensor)."""
    # (None first: the macro then fills them, out of Cython's sight)
    cdef const float[:, :] y32 = None
    cdef float[:, :] x32 = None
    cdef const double[:, :] y64 = None
    cdef double[:, :] x64 = None
    cdef bint written
    with nogil:
        if single:
            matrix_slice(y32, y_address, 1, n, sizeof(float))
            matrix_slice(x32, x_address, 1, n, sizeof(float))
            written = _ball(kind, y32, x32, radius)
        else:
            matrix_slice(y64, y_address, 1, n, sizeof(double))
            matrix_slice(x64, x_address, 1, n, sizeof(double))
            written = _ball(kind, y64, x64, radius)
    return written
