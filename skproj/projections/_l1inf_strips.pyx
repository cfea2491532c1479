# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
r"""The two l1,inf paths that read the matrix in passes over strips of groups held in cache.

Both are steps 2-5 of the kernel of ``_l1inf`` (see its docstring for the
problem and the general path) done by the SIMD passes of ``_l1inf_small.h``:
each reads groups -- strips of ``SKP_SMALL_STRIP`` column groups of
contiguous rows, or contiguous groups -- and gives, at each group's level,
the count and the sum of its entries above it and the interval of levels
with that same set.

* The in-cache path (``small_project``): a matrix that fits in cache is read
  whole at every semismooth Newton step, a few passes in all.
* The sampled-bracket path (``bracket_project``): many short groups; theta^*
  is estimated on a sample of the groups, and one pass, a panel of groups at
  a time, finds every group's level at both ends of a bracket around it.

Either declines (``SMALL_DECLINED``, nothing written; the sampled-bracket
path ``BRACKET_FEW_KEPT`` where its sample keeps too few groups) where it
does not suit or does not settle, and the general path of ``_l1inf`` takes
over.  This module also holds what both halves share: step 5
(``write_clipped``), the phase clock of the benchmark hook (``now``,
``lap``) and the SIMD level of the passes (``small_norms`` gives step 1
with them).  The Python hooks are called on ``_l1inf`` (``_set_testing``,
``_time_phases``, ``_phase_times``, ``_bracket_stats``): its
``_set_testing`` forwards the switches of these paths to this module's,
and ``_bracket_stats`` is this module's, re-exported.
"""

from libc.math cimport fabs, nextafter, sqrt, INFINITY
from libc.stdlib cimport qsort
from libc.string cimport memcpy, memset
# Work memory kept for the next call (no page faults on it; ``_scratch_cache``).
from skproj.projections._scratch_cache cimport scratch_free as free, scratch_malloc as malloc
from cython cimport floating
from skproj.projections._common cimport (
    SPARSE_WRITE_DIVISOR, clip, clip_columns, clip_row, prefetch_l2, thread_seconds,
)
from skproj.projections._streaming cimport (
    NextPanel, element_step, no_next_panel, prefetch_rows, row_at)
from skproj.projections._l1 cimport (
    HALVES_BYTES, SKP_FLAT_ROW_BYTES, STATUS_NOMEMORY, STATUS_PROJECTED, Halves, group_split,
    half_threads, keep_above, run_halves, set_block, simd_enabled,
    skp_norms_sum, skp_norms_sum_portable, skp_set_avx512, skp_set_stream_ahead,
    skp_stream_fence,
    streams, write_narrow, write_row_simd, write_rows_at_once, write_strips,
    zero_result, zero_result_row,
)
from skproj.projections._l1inf_lists cimport (
    MAX_FEATURES, GroupLists, feature_count, group_feature, group_features, grow,
    initial_lower_bound, solve_linear,
)
from skproj.projections._sums cimport TERM_POISON, sum_terms

import numpy as np

cdef extern from "_threads.h" nogil:
    ctypedef void (*skp_half_job)(void* half) noexcept nogil
    int skp_run_halves(skp_half_job job, void* first, void* second, int threads)

cdef extern from "_l1inf_small.h" nogil:
    enum: SKP_SMALL_STRIP
    enum: SKP_SMALL_BULK
    int skp_cpu_zen5_or_later()
    double SKP_SMALL_BLOCK_MAX
    int skp_small_simd_level()
    int skp_small_rows_ahead
    void skp_small_lanes_f64(const double* y, Py_ssize_t length, Py_ssize_t width,
                             Py_ssize_t row_stride, const Py_ssize_t* strips,
                             Py_ssize_t n_strips, const double* level, double* counts,
                             double* sums, double* above_min, double* below_max, int blocks,
                             int simd, Py_ssize_t ahead)
    void skp_small_lanes_f32(const float* y, Py_ssize_t length, Py_ssize_t width,
                             Py_ssize_t row_stride, const Py_ssize_t* strips,
                             Py_ssize_t n_strips, const double* level, double* counts,
                             double* sums, double* above_min, double* below_max, int blocks,
                             int simd, Py_ssize_t ahead)
    Py_ssize_t skp_small_row_state_bytes(Py_ssize_t n_strips)
    bint skp_small_row_blocks_f32(const float* y, Py_ssize_t length, Py_ssize_t width,
                                  Py_ssize_t row_stride, const Py_ssize_t* strips,
                                  Py_ssize_t n_strips, const double* level, double* counts,
                                  double* sums, double* above_min, double* below_max,
                                  void* state, int simd)
    bint skp_small_row_blocks_f64(const double* y, Py_ssize_t length, Py_ssize_t width,
                                  Py_ssize_t row_stride, const Py_ssize_t* strips,
                                  Py_ssize_t n_strips, const double* level, double* counts,
                                  double* sums, double* above_min, double* below_max,
                                  void* state, int simd)
    int skp_small_dense_update(const double* counts, const double* sums,
                               const double* inv_count, Py_ssize_t n, double eta,
                               double* level, double* theta, int simd)
    Py_ssize_t skp_small_update(const double* counts, const double* sums,
                                const double* inv_count, Py_ssize_t n, double eta,
                                double* level, double* theta, Py_ssize_t* kept, int simd)
    int skp_small_inverses8(const double* counts, Py_ssize_t g, double* inv_count, int simd)
    Py_ssize_t skp_small_moved(Py_ssize_t n_groups, Py_ssize_t width, const double* level,
                               const double* above_min, const double* below_max,
                               Py_ssize_t* listed, int simd)
    bint skp_small_newton(Py_ssize_t g0, Py_ssize_t end, double theta, const double* counts,
                          const double* sums, const double* above_min,
                          const double* below_max, double* level, unsigned char* done,
                          int simd)
    void skp_small_transpose_norms_f32(const float* y, Py_ssize_t n_groups, Py_ssize_t length,
                                       Py_ssize_t group_stride, float* t, Py_ssize_t t_stride,
                                       double* sums, double* maxima, int simd)
    void skp_small_transpose_norms_f64(const double* y, Py_ssize_t n_groups,
                                       Py_ssize_t length, Py_ssize_t group_stride, double* t,
                                       Py_ssize_t t_stride, double* sums, double* maxima,
                                       int simd)
    void skp_small_norms_f64(const double* y, Py_ssize_t length, Py_ssize_t width,
                             Py_ssize_t row_stride, double* sums, double* maxima, int simd)
    void skp_small_norms_f32(const float* y, Py_ssize_t length, Py_ssize_t width,
                             Py_ssize_t row_stride, double* sums, double* maxima, int simd)
    int skp_small_clip_f64(const double* y, double* x, Py_ssize_t n_lines,
                           Py_ssize_t line_length, Py_ssize_t y_stride, Py_ssize_t x_stride,
                           const double* levels, int per_entry, int simd)
    int skp_small_clip_f32(const float* y, float* x, Py_ssize_t n_lines,
                           Py_ssize_t line_length, Py_ssize_t y_stride, Py_ssize_t x_stride,
                           const float* levels, int per_entry, int simd)
    void skp_small_group_norms_f64(const double* y, Py_ssize_t n_groups, Py_ssize_t length,
                                   Py_ssize_t group_stride, double* sums, double* maxima,
                                   int blocks, int simd)
    void skp_small_group_norms_f32(const float* y, Py_ssize_t n_groups, Py_ssize_t length,
                                   Py_ssize_t group_stride, double* sums, double* maxima,
                                   int blocks, int simd)
    void skp_small_groups_f64(const double* y, const Py_ssize_t* groups, Py_ssize_t n_groups,
                              Py_ssize_t length, Py_ssize_t group_stride, const double* level,
                              double* counts, double* sums, double* above_min,
                              double* below_max, int blocks, int simd, Py_ssize_t ahead)
    void skp_small_groups_f32(const float* y, const Py_ssize_t* groups, Py_ssize_t n_groups,
                              Py_ssize_t length, Py_ssize_t group_stride, const double* level,
                              double* counts, double* sums, double* above_min,
                              double* below_max, int blocks, int simd, Py_ssize_t ahead)


# ------------------------------------------------------------ phase clock

# Benchmark hook (``_l1inf._time_phases``, ``_l1inf._phase_times``): CPU
# seconds spent in each phase (``PHASE_*``) of the last call.  Off by
# default: reading the thread's CPU clock is a system call.
cdef bint _timing = False
cdef double _phase_seconds[N_PHASES]


cdef double now() noexcept nogil:
    """The thread's CPU time where the phases are timed, else 0."""
    return thread_seconds() if _timing else 0.0


cdef double lap(int phase, double since) noexcept nogil:
    """Add the time since ``since`` to a phase; the time now."""
    cdef double now_ = now()
    _phase_seconds[phase] += now_ - since
    return now_


cdef void time_phases(bint on) noexcept nogil:
    global _timing
    _timing = on


cdef double* phase_seconds() noexcept nogil:
    return _phase_seconds


# The in-cache path (``small_project``): matrices of at most this many bytes
# (measured faster than the general path up to 1000 x 1000 float64, beyond
# L2 but in L3, on either axis); at most this many passes before the general
# path takes over; the SIMD level of its pass (2: AVX-512, 1: AVX2, 0: plain
# C; ``_set_testing``).
cdef Py_ssize_t _SMALL_MAX_BYTES = 1 << 23
cdef int _SMALL_MAX_PASSES = 16
# Only where the CPU has AVX2 or AVX-512: the plain C pass measured 2-10 times
# slower than the general path.
cdef int _small_simd = skp_small_simd_level()
cdef bint _small_on = _small_simd > 0
# (_l1_simd.h's AVX-512 switch in this module, for ``write_clipped``'s rows:
# on where the in-cache path's AVX-512 loops run; it fills the AVX2 loops'
# tables too)
skp_set_avx512(_small_simd >= 2)


# ------------------------------------------------------------ step 1's end (every path)

cdef bint first_levels(const double* sums, const double* maxima, Py_ssize_t n_groups,
                       double* mu, double* total_max) noexcept nogil:
    """Every group's level at its max (``mu``: the projection of a matrix inside
    the ball), and the sum of the maxima (its l1,inf norm) into ``total_max``;
    False where a group's sum is not finite (NaN or inf, or finite entries
    whose sum overflows).

    The test by four accumulators (``sum_terms``, a sum of v - v): one
    loop-carried addition and a branch a group had cost about a copy of the
    matrix on 8 x 10000 float32 (issue 14, perf).  The maxima summed as the
    bi-level projections sum their group norms (``skp_norms_sum``: 32 chains,
    the same bits by every loop), where four chains waited on their
    additions.
    """
    memcpy(mu, maxima, n_groups * sizeof(double))
    total_max[0] = (skp_norms_sum(maxima, n_groups) if simd_enabled()
                    else skp_norms_sum_portable(maxima, n_groups))
    return sum_terms(sums, n_groups, 1, TERM_POISON) == 0.0


# ------------------------------------------------------------ step 5: write (both halves)

# Rows at least this long (bytes) are written by non-temporal stores where
# the result is large (``write_clipped``).
cdef Py_ssize_t _STREAM_ROW_BYTES = 1 << 12
# Rows shorter than this (bytes) lying one after the other are written as
# one flat run of vectors with AVX-512 or AVX2 (``write_clipped``:
# skp_write_rows_flat_*, which declines rows of SKP_FLAT_ROW_BYTES; the
# sparse write's share for such rows, ``write_clipped``'s ``flat_rows``, is
# AVX-512's alone: given to AVX2 too, the exact ball's row groups at 0.5-1 %
# of bilevel_l1inf's groups kept took 1.08-1.37 times as long, issue 14, the
# Zen 4 with AVX-512 switched off, 100000 x 100 and 250000 x 40 float32,
# 100000 x 100 float64).
cdef Py_ssize_t _FLAT_ROW_BYTES = SKP_FLAT_ROW_BYTES


cdef void write_clipped(const floating[:, :] y, floating[:, :] x, const floating* levels,
                        const Py_ssize_t* kept, Py_ssize_t n_kept,
                        bint groups_are_rows) noexcept nogil:
    """x = clip(y, level of its group); zero groups are written, not read.

    When few groups are kept and ``x`` is a contiguous array apart from ``y``,
    ``x`` is zeroed with one memset and only the kept groups are written.
    Kept columns are scattered over every row's cache lines, so for column
    groups "few" means 8 times fewer; so too for the rows that the flat
    write below takes (AVX-512, rows under _FLAT_ROW_BYTES), where the kept
    ones' writes after the memset fetched a few lines at a time (issue 14,
    an AMD Zen 5, the exact ball's write of 250000 x 40 float32 row groups,
    11 % of them kept: 0.66 ns an entry, the flat write 0.21).
    """
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1], i, k, g
    cdef Py_ssize_t n_groups = n_rows if groups_are_rows else n_cols
    cdef Py_ssize_t ys = element_step(y.strides[1], sizeof(floating))
    cdef const floating* src
    cdef floating* dst
    cdef bint simd = ys == 1 and x.strides[1] == sizeof(floating) and _small_simd > 0
    cdef bint flat_rows = (groups_are_rows and simd and _small_simd == 2
                           and n_cols * sizeof(floating) < _FLAT_ROW_BYTES)
    cdef Py_ssize_t split = group_split(y, groups_are_rows)
    # (a large result by non-temporal stores: decided for the whole, which a
    # half's rows would not show)
    cdef bint stream = (simd and streams(n_rows * n_cols * sizeof(floating))
                        and n_cols * sizeof(floating) >= _STREAM_ROW_BYTES)
    cdef Halves whole
    cdef _WriteHalf first, second
    if (n_kept * SPARSE_WRITE_DIVISOR * (1 if groups_are_rows and not flat_rows else 8)
            < n_groups
            and <const void*> &x[0, 0] != <const void*> &y[0, 0]
            and zero_result(x, streams(n_rows * n_cols * sizeof(floating)))):
        for k in range(n_kept):
            g = kept[k]
            if groups_are_rows:
                clip_row(row_at(&y[0, 0], y.strides[0], g), &x[g, 0], n_cols, ys, 1,
                          levels[g])
        if not groups_are_rows:
            for i in range(n_rows):
                src = row_at(&y[0, 0], y.strides[0], i)
                dst = &x[i, 0]
                for k in range(n_kept):
                    g = kept[k]
                    dst[g] = clip(src[g * ys], levels[g])
        return
    # A large matrix in two halves of its groups (``group_split``; the second on
    # a thread of its own where two CPUs are free): each writes its groups as
    # the whole would, so the same bits.
    if split:
        set_block(&whole, y, <char*> &x[0, 0], x.strides[0], x.strides[1])
        whole.job32 = _written_half[float]
        whole.job64 = _written_half[double]
        first.levels = <const void*> levels
        first.groups_are_rows = groups_are_rows
        first.stream = stream
        second = first
        second.levels = <const void*> (levels + split)
        run_halves(&whole, split, groups_are_rows, &first, &second)
        return
    _write_levels(y, x, levels, groups_are_rows, stream)


ctypedef struct _WriteHalf:
    # (a half's write: its groups' levels, in the input's dtype)
    const void* levels
    bint groups_are_rows, stream


cdef void _written_half(void* pointer, const floating[:, :] y, floating[:, :] x) noexcept nogil:
    """``_write_levels`` of a half (``write_clipped``, ``run_halves``)."""
    cdef _WriteHalf* half = <_WriteHalf*> pointer
    _write_levels(y, x, <const floating*> half.levels, half.groups_are_rows, half.stream)


cdef void _write_levels(const floating[:, :] y, floating[:, :] x, const floating* levels,
                        bint groups_are_rows, bint stream) noexcept nogil:
    """``write_clipped``'s dense write: every group clipped to its level
    (``stream``: by non-temporal stores, fenced here)."""
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1], i
    cdef Py_ssize_t ys = element_step(y.strides[1], sizeof(floating))
    cdef Py_ssize_t xs = element_step(x.strides[1], sizeof(floating))
    cdef const floating* src
    cdef floating* dst
    cdef bint unit = ys == 1 and xs == 1
    # Contiguous rows: the row write of the bi-level projections, the bits of
    # ``clip`` (gcc's loop of ``clip_columns`` takes four floats a vector,
    # and wrote 100 x 1000 float32 column groups in 1.6 times a copy), with
    # AVX-512 where it runs (``write_row_simd``: a line a vector, its
    # streamed stores whole lines; issue 14, an AMD Zen 5, thread time of the
    # write, ns an entry, the l1,inf module's own AVX2 clip -> this: 100 x
    # 100000 float32 0.20-0.22 -> 0.16-0.18, 1000 x 10000 float32 0.19-0.20
    # -> 0.15-0.16, float64 0.39 -> 0.31-0.33), else AVX2; a large result by
    # non-temporal stores, one fence at the end.
    cdef bint simd = unit and _small_simd > 0
    # Short rows lying one after the other (a weight of a few inputs grouped
    # by rows): the whole block a vector of values at a time with AVX-512 or
    # AVX2, as bilevel_l1inf writes them (the row loop's operations; issue 14, an
    # Intel Xeon, float32 10000 x 8 at 10-90 % of the norm, the write phase
    # 6-10 copies of the matrix a row a call, 2.4-3.5 so); rows of up to 1 KiB
    # as one flat run of vectors with AVX-512 or AVX2 (skp_write_rows_flat_*).
    if (groups_are_rows and simd and not stream
            and y.strides[0] == n_cols * <Py_ssize_t> sizeof(floating)
            and x.strides[0] == n_cols * <Py_ssize_t> sizeof(floating)
            and write_rows_at_once(&y[0, 0], &x[0, 0], n_rows, n_cols, False, levels)):
        return
    # Column groups of a block in cache: by strips with AVX-512 where
    # ``skp_strips_suit`` says (as bilevel_l1inf writes them), their levels in
    # registers down the rows (``skp_write_strips512_f32``: the row write's
    # operations, so the same bits, a zeroed column's entries keeping their
    # signs).  Issue 14, an AMD Zen 5, the short groups' path
    # (``_l1inf_short``), float32 8 x 10000 at half the groups kept: the row
    # loop reloaded each row's levels, 14 % of the call.
    if not groups_are_rows and simd and not stream and write_strips(y, x, False, levels):
        return
    # ... and narrow ones past the strips' size as one run of vectors, as
    # bilevel_l1inf writes them (``write_narrow``; streamed past the caches).
    if not groups_are_rows and simd and write_narrow(y, x, False, levels, True):
        return
    for i in range(n_rows):
        src = row_at(&y[0, 0], y.strides[0], i)
        dst = &x[i, 0]
        if simd and not (groups_are_rows and levels[i] == 0):
            write_row_simd(src, dst, n_cols, False, levels[i] if groups_are_rows else 0,
                           NULL if groups_are_rows else levels, stream)
        elif groups_are_rows:
            if levels[i] == 0:
                zero_result_row(dst, n_cols, xs, stream)
            elif unit:
                clip_row(src, dst, n_cols, 1, 1, levels[i])
            else:
                clip_row(src, dst, n_cols, ys, xs, levels[i])
        elif unit:
            clip_columns(src, dst, n_cols, 1, 1, levels)
        else:
            clip_columns(src, dst, n_cols, ys, xs, levels)
    if stream:
        skp_stream_fence()


# ------------------------------------------------------------ in-cache path

# A matrix that fits in cache is read again at little cost, and there the
# fixed work of the general path (histogram tables, envelopes and their
# roots, gathered lists: ~6 ns per entry on 100 x 1000) dwarfs a read.  This
# path reads the whole matrix at every step instead, with SIMD passes that
# do no per-entry bookkeeping (``_l1inf_small.h``), a few passes in all.
#
# It is a semismooth Newton method on the optimality conditions.  A pass
# gives, for every group at its level l_g, the count c_g and the sum s_g of
# its entries above l_g, and the interval of levels [below_max, above_min)
# over which that set stays the same; the model h_g(mu) ~ s_g - c_g mu of
# each group then gives theta (sum_g mu_g = eta) and new levels
# mu_g = (s_g - theta) / c_g, groups with s_g <= theta at 0.  Only the groups
# whose new level leaves its interval are read again (the others keep their
# set, hence their counts and sums).  When no group's level leaves its
# interval, the sets at the new levels are those of the model: then
# h_g(mu_g) = theta on every kept group, S_g <= theta on every zero one and
# sum_g mu_g = eta, the optimality conditions, so the levels are exact.  The
# iteration starts from the crude lower bounds of step 2, or from the model
# of step 1's sums where that suits (``_mean_shift_start``; a solve on a
# sample of the rows and an over-relaxed theta measured no better, and in a
# NumPy model of the passes, issue 14, no better either the crude lower
# bounds at theta^* itself, which no estimate of it beats: reads of the
# groups at half the norm, standardized digits by rows 2.9 -> 3.1 (7 -> 5
# passes), acsf1 by rows 4.4 -> 6.0, Student t(3) 1000 x 100 2.7 -> 6.1,
# Gaussian 1000 x 100 3.3 -> 2.8: the levels, not theta, are what a start
# lacks).  It is
# not guaranteed to settle (measured on a NumPy model: 1-9 steps, the
# equivalent of 1-8 whole-matrix reads with strips of 8 column groups, 1-5 of
# them at most radii, on Gaussian, uniform, Cauchy, sparse, column-scaled and
# tied matrices of 100 x 1000 to 1000 x 1000 at 1-99 % of the norm; on
# 100 x 1000 Gaussian at 50 %, 7 steps and 5.2 reads from the lower bounds,
# 4 steps and 3.0 reads from the model of the sums); after _SMALL_MAX_PASSES
# the general path starts over.


cdef int pass_layout(const floating[:, :] y, bint groups_are_rows,
                     Py_ssize_t* stride) noexcept nogil:
    """How the pass of the in-cache path reads the groups (``_SMALL_*``), and the stride in bytes.

    0 when neither rows nor columns are contiguous.
    """
    cdef Py_ssize_t item = sizeof(floating)
    if y.strides[1] == item:
        stride[0] = y.strides[0]
        return SMALL_GROUPS if groups_are_rows else SMALL_LANES
    if y.strides[0] == item:
        stride[0] = y.strides[1]
        return SMALL_LANES if groups_are_rows else SMALL_GROUPS
    stride[0] = 0
    return 0


cdef int small_layout(const floating[:, :] y, bint groups_are_rows,
                      Py_ssize_t* stride) noexcept nogil:
    """``pass_layout`` where the in-cache path runs, else 0.

    0 also when the matrix is too large (_SMALL_MAX_BYTES).
    """
    if (not _small_on
            or y.shape[0] * y.shape[1] * sizeof(floating) > _SMALL_MAX_BYTES):
        stride[0] = 0
        return 0
    return pass_layout(y, groups_are_rows, stride)


# Float32 groups of the groups layout in cache of at most this many entries,
# in a matrix of at most this many bytes, are read transposed by the in-cache
# path (``small_lanes_copy``).  Issue 14, an Intel Xeon, times a copy at
# 10/50/90 % of the norm, float32 row groups: 200 x 256 7.8/8.5/6.9 ->
# 5.8-7.3/6.3-7.6/5.9-7.0, 4000 x 64 (1 MB) 11.7-12.9/12.9-14.4/9.2-10.6 ->
# 7.6-8.5/7.7-8.5/6.8-7.5; but longer groups lose (784 x 300 6.8/7.6/5.7 ->
# 9.9-10.9/8.5-11.7/8.2-11.1, 300 x 784 5.1/5.7/4.4 -> 6.3-7.8/7.1-9.2/6.7-9.2)
# and so do larger matrices, whose copy leaves L2 with the matrix (3000 x 100
# 6.3-6.4/7.5-7.7/5.7-5.8 -> 7.0-7.1/7.5/7.1, 2000 x 256 3.0-3.1/3.4-3.5/
# 2.7-2.8 -> 3.8/4.3/4.0, 8000 x 256 3.3/3.8-3.9/3.0-3.1 -> 4.9-5.4/5.6-5.9/
# 5.4-5.5).  Since the groups layout's float32 sums go by blocks (an AMD Zen 4,
# single calls interleaved, times a copy, transposed / not, at 10/50/90 %):
# groups of 200 and 256 lose transposed (1000 x 200 5.3/6.2/5.6 against
# 5.0/5.9/4.6, 200 x 256 5.7/6.7/6.1 against 4.8/5.4/4.3), of 128-180 are
# even (1000 x 150 5.6/6.6/5.9 against 6.4/7.6/5.7, 500 x 160 5.9/7.0/6.5
# against 5.5/6.4/5.0), and of 100 and less still gain (1000 x 100
# 6.4/7.3/6.4 against 7.6/8.9/6.8, digits' 1797 x 64 10.0/10.0/7.1 against
# 13.0/15.2/8.8).
cdef Py_ssize_t _TRANSPOSED_MAX_LENGTH = 192
cdef Py_ssize_t _TRANSPOSED_MAX_BYTES = 1 << 20
# ... but groups of at most this many entries in any matrix the in-cache
# path takes (_SMALL_MAX_BYTES): past L2, the groups layout's pass took 3-6
# copies of the matrix a pass on groups this short (issue 14, the Zen 4,
# single calls interleaved, the exact ball by rows at 10/50/90 % of the norm,
# times a copy, as given -> transposed: 15000 x 20 32.6/39.1/25.4 ->
# 14.5/14.3/10.6, 40000 x 20 38.6/43.9/26.6 -> 18.3/16.3/12.1, 30000 x 17
# 39.6/47.3/32.2 -> 17.3/16.8/12.5, 20000 x 32 0.45-0.55 of the time, 10000
# x 36 0.50-0.58, 20000 x 48 0.51-0.71, 8000 x 64 0.73-0.82, 20000 x 64
# 0.73-1.02, 12000 x 80 0.71-0.90, 4000 x 100 0.74-0.89, 10000 x 100
# 0.83-1.07; 8000 x 128 0.98-1.40 and 5000 x 192 1.16-1.48: hence 100).
cdef Py_ssize_t _TRANSPOSED_SHORT = 100
# Float64 groups of 17-31 entries, in any matrix the in-cache path takes,
# are read transposed too (``skp_small_transpose_norms_f64``): shorter ones
# take the short groups' path, and from 32 on the groups layout's AVX-512
# pass is faster; in between its AVX2 pass took 3-4 copies of the matrix a
# pass (issue 14, the Zen 4, the exact ball by rows at 10/50/90 % of the
# norm, single calls interleaved, times a copy, as given -> transposed:
# 10000 x 17 25.3/28.7/21.6 -> 14.1/13.8/11.0, 1000 x 17 to 30000 x 20 and
# 5000 x 31 0.48-0.61 of the time; with AVX2 alone 0.63-0.80; 2000 x 32 to
# 2000 x 100 1.02-1.77, 20000 x 64 (9.8 MB, past _SMALL_MAX_BYTES) even).
cdef Py_ssize_t _TRANSPOSED_SHORT_F64 = 31
cdef enum:
    SKP_SMALL_TRANSPOSED_LEAST_F64 = 17
# Column groups of at least this many rows whose rows lie a multiple of 4
# KiB apart, in a matrix the in-cache path takes (_SMALL_MAX_BYTES), are
# read by it from a copy whose rows lie a line further apart
# (``small_lanes_copy``).  Rows a page apart put a strip's lines, row after
# row, in one of L1's 64 sets (12 ways): every pass's lines, and those the
# pass brings ahead, evicted each other.  Issue 14, an AMD Zen 5, the exact
# ball at 10 and 50 % of the norm, times a copy, float32, single calls
# interleaved in cache, the matrix as given / its rows 64 bytes apart
# (before this copy): 64 x 1024 13.2 / 9.8, 15.3 / 10.6; 128 x 1024 8.7 /
# 5.2, 10.5 / 6.2; 256 x 1024 7.7 / 3.3, 9.1 / 4.1; 64 x 4096 8.6 / 4.9,
# 11.0 / 6.0.  Beyond L2, the best of three, without / with this copy: 512
# x 1024 6.5 / 4.8, 7.8 / 5.5; 1024 x 1024 6.9 / 5.2, 6.6 / 6.1; 2048 x 1024
# 9.8 / 5.9, 11.3 / 6.6; 768-1040 x 1024 7.2-10.5 / 5.0-5.3, 9.1-12.8 /
# 5.0-6.2; 640-1016 x 2048 7.2-10.8 / 4.8-7.5, 8.1-13.1 / 5.4-8.2 (without
# it, the time moved with the draw: 1000 x 2048 4.9-8.3 at 10 %).  float64,
# the same measure: 64-256 x 512 and 1024 and 512-1024 x 1024 0.85-1.0 of
# the time (128 x 1024 4.45 / 4.04, 5.55 / 4.67; 256 x 512 4.39 / 3.71,
# 5.36 / 4.35).  Rows 2 KiB apart gained less than the copy costs (float32
# 256 x 512 6.6 / 6.2 padded), and so did shorter columns (32 x 4096 12.9 /
# 11.6; 16 x 4096, 16 x 1024 and 8 x 4096 1.1-1.2 times as long padded).
cdef Py_ssize_t _SPACED_MIN_ROWS = 64
# ... and float32 ones whose rows lie 2 KiB apart (an odd multiple of it:
# every other row's lines of a strip in one set) in a matrix of at least
# this many bytes, past L2: issue 14, an AMD Zen 5, the exact ball at 10,
# 50, 90 % of the norm, compare_builds.py, with / without the copy (two
# runs): 512 x 512 0.90-0.96 of the time, 1000 x 512 0.79-0.96, 2000 x 512
# 0.74-0.83, 300 x 1536 0.80-0.92, 300 x 2560 0.88-0.90, 700 x 1536
# 0.85-1.05; in L2 it lost or broke even (256 x 512 1.00-1.08, 300 x 512
# 1.03-1.07, 400 x 512 0.98-1.02), and so did float64 (512 x 256
# 1.12-1.19, 256 x 256 1.32-1.41, 100 x 256 1.25-1.29).
cdef Py_ssize_t _SPACED_2K_MIN_BYTES = 1 << 20


cdef Py_ssize_t _line_stride(Py_ssize_t row_bytes) noexcept nogil:
    """Rows of ``row_bytes`` rounded up to whole lines, not a multiple of 2 KiB
    apart (see _SPACED_MIN_ROWS: rows 2 KiB apart put every other row's
    lines of a strip in one of L1's sets; float32 row groups, 512 of them,
    had been transposed so: issue 14, an AMD Zen 5, 512 x 100 at 10-90 % of
    the norm, 0.34-0.37 of the time with the rows a line further)."""
    cdef Py_ssize_t stride = (row_bytes + 63) // 64 * 64
    return stride + 64 if stride % 2048 == 0 else stride


cdef void* _line_aligned(Py_ssize_t n_bytes, void** block) noexcept nogil:
    """``n_bytes`` from a cache line's start in a new ``block[0]`` (the memory
    to free); NULL where memory runs out."""
    block[0] = malloc(n_bytes + 64)
    if block[0] == NULL:
        return NULL
    return <char*> block[0] + (-(<size_t> block[0])) % 64


cdef void* small_lanes_copy(const floating[:, :] y, bint groups_are_rows,
                            Py_ssize_t* copy_stride, void** block) noexcept nogil:
    """Room for the in-cache path's copy of ``y`` in the lanes layout; else NULL.

    ``malloc``'d into ``block[0]`` (which the caller frees), for a copy that
    step 1 (``small_norms``) makes as it reads ``y``, and that the passes of
    the in-cache path (``small_project``) read as column groups, rows
    ``copy_stride[0]`` bytes apart, each row from a cache line's start (its
    stores and the passes' loads of a line never split between two).  Short
    groups of the groups layout, transposed, entry i of group g at
    ``i * copy_stride[0] / itemsize + g``: the groups
    layout's pass takes one group at a time, whose bookkeeping (four
    horizontal reductions, the sums in double) outweighs the reads of a
    group of 100 (issue 14, 1000 x 100 float32 row groups at half the norm:
    step 1 22 us and the solve 76 us where 100 x 1000 column groups take 7
    and 31); float32 (_TRANSPOSED_SHORT) and float64 groups of 17-31 entries
    (_TRANSPOSED_SHORT_F64).  Column groups whose rows lie a multiple of 4 KiB
    apart, each row copied a line further from the last (_SPACED_MIN_ROWS),
    in the input's precision.  The same values at every SIMD level (so the
    same bits); NULL too where memory runs out (``y`` itself then).

    The transposed rows on lines of their own, rather than n_groups entries
    apart from wherever malloc put the copy: issue 14, an AMD Zen 5, the
    exact ball by rows at 10, 50, 90 % of the norm, single calls interleaved
    on the same arrays, float32 with the AVX2 transposition: digits'
    1797 x 64 0.93-0.94 of the time, 4000 x 64 0.94-0.96, 300 x 150, 500 x
    190, 1003 x 77 and 20000 x 32 0.97-0.98, 1000 x 100, 1000 x 40 and 2000
    x 20 0.99-1.00 (and AVX-512's transposition then faster: see
    skp_small_transpose_norms512_f32).
    """
    cdef Py_ssize_t stride
    cdef Py_ssize_t n_groups = y.shape[0] if groups_are_rows else y.shape[1]
    cdef Py_ssize_t length = y.shape[1] if groups_are_rows else y.shape[0]
    cdef int layout = small_layout(y, groups_are_rows, &stride)
    if layout == SMALL_LANES and length >= _SPACED_MIN_ROWS and (
            stride % 4096 == 0 or floating is float and stride % 2048 == 0
            and length * stride >= _SPACED_2K_MIN_BYTES):
        copy_stride[0] = _line_stride(n_groups * sizeof(floating) + 64)
        return _line_aligned(length * copy_stride[0], block)
    if floating is double:
        if (layout != SMALL_GROUPS or length > _TRANSPOSED_SHORT_F64
                or length < SKP_SMALL_TRANSPOSED_LEAST_F64 or n_groups < SKP_SMALL_STRIP):
            return NULL
    elif (layout != SMALL_GROUPS or length > _TRANSPOSED_MAX_LENGTH
            or n_groups < SKP_SMALL_STRIP
            or n_groups * length * sizeof(float) > (
                _TRANSPOSED_MAX_BYTES if length > _TRANSPOSED_SHORT else _SMALL_MAX_BYTES)):
        return NULL
    copy_stride[0] = _line_stride(n_groups * sizeof(floating))
    return _line_aligned(length * copy_stride[0], block)


cdef bint small_norms(const floating[:, :] y, bint groups_are_rows, double* sums,
                      double* maxima, void* lanes_copy, Py_ssize_t copy_stride) noexcept nogil:
    """Step 1 by the SIMD loops of the in-cache path; False (nothing done) where they do not run.

    They take the matrices in cache (into ``lanes_copy``, rows
    ``copy_stride`` bytes apart, ``small_lanes_copy``, where it is not
    NULL: float32 groups of the groups layout transposed, column groups
    copied), and long contiguous float32 groups.
    Float32 groups in cache are summed as the in-cache path's passes sum
    them, by blocks (``sums_by_blocks``).
    """
    cdef Py_ssize_t stride, i
    cdef Py_ssize_t n_groups = y.shape[0] if groups_are_rows else y.shape[1]
    cdef Py_ssize_t length = y.shape[1] if groups_are_rows else y.shape[0]
    cdef int layout = small_layout(y, groups_are_rows, &stride)
    if lanes_copy != NULL and layout == SMALL_LANES:
        # (the copy's rows read as the pass reads them: the same sums)
        for i in range(length):
            memcpy(<char*> lanes_copy + i * copy_stride, <const char*> &y[0, 0] + i * stride,
                   n_groups * sizeof(floating))
        if floating is double:
            skp_small_norms_f64(<double*> lanes_copy, length, n_groups, copy_stride, sums,
                                maxima, _small_simd)
        else:
            skp_small_norms_f32(<float*> lanes_copy, length, n_groups, copy_stride, sums,
                                maxima, _small_simd)
        return True
    if lanes_copy != NULL:
        if floating is double:
            skp_small_transpose_norms_f64(&y[0, 0], n_groups, length, stride,
                                          <double*> lanes_copy, copy_stride // sizeof(double),
                                          sums, maxima, _small_simd)
        else:
            skp_small_transpose_norms_f32(&y[0, 0], n_groups, length, stride,
                                          <float*> lanes_copy, copy_stride // sizeof(float),
                                          sums, maxima, _small_simd)
        return True
    # (float32 groups in cache by the pass's blocks, ``sums_by_blocks``)
    cdef bint blocks = layout == SMALL_GROUPS and _sums_in_blocks(layout, length)
    if (layout == 0 and _small_on and floating is float and length >= _GROUP_NORMS_MIN_LENGTH
            and pass_layout(y, groups_are_rows, &stride) == SMALL_GROUPS):
        # Contiguous float32 groups of any matrix, read in order: the pass's
        # loops sum 16 entries a vector where the AVX2 row loop of
        # ``_l1inf`` waits on one chain of additions (issue 14, rows of 500
        # to 33333 entries, three alternations: the sums 0.58-0.80 of their
        # time; rows of 100 1.5 times it, float64 no faster).  In double, for
        # the other paths.
        layout = SMALL_GROUPS
    if layout == SMALL_LANES:
        if floating is double:
            skp_small_norms_f64(&y[0, 0], length, n_groups, stride, sums, maxima, _small_simd)
        else:
            skp_small_norms_f32(&y[0, 0], length, n_groups, stride, sums, maxima, _small_simd)
        return True
    if layout == SMALL_GROUPS:
        if floating is double:
            skp_small_group_norms_f64(&y[0, 0], n_groups, length, stride, sums, maxima,
                                      False, _small_simd)
        else:
            skp_small_group_norms_f32(&y[0, 0], n_groups, length, stride, sums, maxima,
                                      blocks, _small_simd)
        return True
    return False


cdef inline bint _sums_in_blocks(int layout, Py_ssize_t group_size) noexcept nogil:
    """Whether the in-cache path's float32 passes sum by blocks in ``layout``:
    every group of the lanes layout, the bulk of groups of the groups layout
    (none shorter than SKP_SMALL_BULK: those are summed in double)."""
    return layout == SMALL_LANES or (layout == SMALL_GROUPS and group_size >= SKP_SMALL_BULK)


cdef bint _blocks_fit(const GroupLists* lists, int layout, bint single) noexcept nogil:
    """Whether the in-cache path's float32 sums by blocks cannot overflow.

    They go by blocks summed in float32 (``_l1inf_small.h``): safe where
    every magnitude (``lists.maxima``, step 1) is at most
    SKP_SMALL_BLOCK_MAX; the path declines above it.
    """
    cdef Py_ssize_t g
    if not single or not _sums_in_blocks(layout, lists.group_size):
        return True
    for g in range(lists.n_groups):
        if lists.maxima[g] > SKP_SMALL_BLOCK_MAX:
            return False
    return True


cdef bint sums_by_blocks(const floating[:, :] y, bint groups_are_rows,
                         const void* lanes_copy) noexcept nogil:
    """Whether ``small_norms`` sums the groups by float32 blocks (``_l1inf_small.h``).

    Float32 groups in cache, or groups copied into the lanes layout
    (``lanes_copy`` not NULL): step 1 is then a pass at level 0 of the
    in-cache path, at about a read's speed (with the sums' conversions to
    double at every entry it took a third longer: issue 14, 100 x 1000
    float32 8.8 -> 6.5-6.8 us, a copy 7.5; float32 row groups of 200 x 1460
    and 700 x 765 about twice as long).  The other paths, where the in-cache
    one declines, take step 1 again in double.
    """
    cdef Py_ssize_t stride
    cdef Py_ssize_t length = y.shape[1] if groups_are_rows else y.shape[0]
    return floating is float and (
        lanes_copy != NULL or _sums_in_blocks(small_layout(y, groups_are_rows, &stride), length))


cdef void _small_pass(const floating* y, int layout, Py_ssize_t stride,
                      Py_ssize_t n_groups, Py_ssize_t group_size,
                      const Py_ssize_t* listed, Py_ssize_t n_listed,
                      const double* level, double* counts, double* sums,
                      double* above_min, double* below_max,
                      bint blocks=False, Py_ssize_t ahead=0) noexcept nogil:
    """Read the listed groups (strips of SKP_SMALL_STRIP groups for SMALL_LANES) at their levels.

    counts[g], sums[g]: the count and the sum of group g's magnitudes above
    level[g]; [below_max[g], above_min[g]): the levels with the same set.
    ``blocks``: float32's sums by blocks (``_l1inf_small.h``; every
    magnitude at most SKP_SMALL_BLOCK_MAX), else in double at every entry.
    ``ahead``: the AVX-512 loops of the lanes layout prefetch each row's
    strips that many rows ahead, those of the groups layout the group that
    many places further on the list (0: none).

    A pass over HALVES_BYTES or more of the matrix reads the two halves of
    its list, the second on a thread of its own where two CPUs are free
    (``half_threads``, _threads.h): each listed group's counts and sums are
    its own, so the same bits either way.
    """
    if not _pass_in_halves(y, layout, stride, n_groups, group_size, listed, n_listed, level,
                           counts, sums, above_min, below_max, blocks, ahead, _HALF_LISTED):
        _pass_listed_groups(y, layout, stride, n_groups, group_size, listed, n_listed, level,
                            counts, sums, above_min, below_max, blocks, ahead)


# How a half of a pass's list is read (``_pass_in_halves``): by
# ``_pass_listed_groups``, by ``_chunked_pass``, or along the rows by
# ``_row_block_pass`` (by the chunks where that finds no memory).
cdef enum:
    _HALF_LISTED, _HALF_CHUNKED, _HALF_ROW_BLOCKS


ctypedef struct _PassHalf:
    # (a pass's arguments for one half of its list, read the ``way`` above)
    const void* y
    bint single, blocks
    int layout, way
    Py_ssize_t stride, n_groups, group_size, n_listed, ahead
    const Py_ssize_t* listed
    const double* level
    double* counts
    double* sums
    double* above_min
    double* below_max


cdef bint _pass_in_halves(const floating* y, int layout, Py_ssize_t stride,
                          Py_ssize_t n_groups, Py_ssize_t group_size,
                          const Py_ssize_t* listed, Py_ssize_t n_listed,
                          const double* level, double* counts, double* sums,
                          double* above_min, double* below_max, bint blocks,
                          Py_ssize_t ahead, int way) noexcept nogil:
    """A pass over a listed HALVES_BYTES or more in the two halves of its list
    (see ``_small_pass``), each read the ``way`` given (``_HALF_*``); False
    (nothing read) below that."""
    cdef Py_ssize_t width = SKP_SMALL_STRIP if layout == SMALL_LANES else 1
    cdef _PassHalf first, second
    if (n_listed < 2
            or n_listed * width * group_size * <Py_ssize_t> sizeof(floating) < HALVES_BYTES):
        return False
    first.y = <const void*> y
    first.single = floating is float
    first.way = way
    first.layout, first.stride = layout, stride
    first.n_groups, first.group_size = n_groups, group_size
    first.listed, first.n_listed = listed, n_listed // 2
    first.level, first.counts, first.sums = level, counts, sums
    first.above_min, first.below_max = above_min, below_max
    first.blocks, first.ahead = blocks, ahead
    second = first
    second.listed, second.n_listed = listed + n_listed // 2, n_listed - n_listed // 2
    skp_run_halves(_run_pass_half, &first, &second, half_threads())
    return True


cdef void _run_pass_half(void* pointer) noexcept nogil:
    """A half of a pass's list (skp_half_job)."""
    cdef _PassHalf* h = <_PassHalf*> pointer
    if h.single:
        _pass_half(h, <const float*> h.y)
    else:
        _pass_half(h, <const double*> h.y)


cdef inline void _pass_half(_PassHalf* h, const floating* y) noexcept nogil:
    if h.way == _HALF_ROW_BLOCKS and _row_block_pass(
            y, h.stride, h.n_groups, h.group_size, h.listed, h.n_listed, h.level, h.counts,
            h.sums, h.above_min, h.below_max):
        return
    if h.way != _HALF_LISTED:
        _chunked_pass(y, h.stride, h.n_groups, h.group_size, h.listed, h.n_listed, h.level,
                      h.counts, h.sums, h.above_min, h.below_max, h.blocks)
    else:
        _pass_listed_groups(y, h.layout, h.stride, h.n_groups, h.group_size, h.listed,
                            h.n_listed, h.level, h.counts, h.sums, h.above_min, h.below_max,
                            h.blocks, h.ahead)


cdef inline void _pass_listed_groups(const floating* y, int layout, Py_ssize_t stride,
                                     Py_ssize_t n_groups, Py_ssize_t group_size,
                                     const Py_ssize_t* listed, Py_ssize_t n_listed,
                                     const double* level, double* counts, double* sums,
                                     double* above_min, double* below_max, bint blocks,
                                     Py_ssize_t ahead) noexcept nogil:
    """``_small_pass``'s loops on one list."""
    if layout == SMALL_LANES:
        if floating is double:
            skp_small_lanes_f64(y, group_size, n_groups, stride, listed, n_listed,
                                level, counts, sums, above_min, below_max, False, _small_simd,
                                ahead)
        else:
            skp_small_lanes_f32(y, group_size, n_groups, stride, listed, n_listed,
                                level, counts, sums, above_min, below_max, blocks,
                                _small_simd, ahead)
    elif floating is double:
        skp_small_groups_f64(y, listed, n_listed, group_size, stride, level, counts,
                             sums, above_min, below_max, False, _small_simd, ahead)
    else:
        skp_small_groups_f32(y, listed, n_listed, group_size, stride, level, counts,
                             sums, above_min, below_max, blocks, _small_simd, ahead)


# Whether the passes over a matrix out of cache (``small_project``'s
# ``any_size``) prefetch each chunk's successor (``_small_pass_ahead``; a
# testing switch, ``_set_testing``).
cdef bint _prefetch_passes = True
# ... or, with the AVX-512 loops, on groups of at least _AHEAD_MIN_ROWS rows,
# the rows _AHEAD_ROWS ahead as each row is read (``_small_pass_ahead``; 0:
# the chunks, a testing switch).  Issue 14, an AMD Zen 5, single calls
# interleaved, at half of the groups kept and half of the norm, times a
# copy, 16 -> 32 rows ahead: float64 Student t(3) 1000 x 10000 6.17 -> 5.27
# and 6.86 -> 5.78, 300 x 30000 6.52 -> 5.85 and 6.93 -> 6.15, 4000 x 2500
# 6.34 -> 5.47 and 7.73 -> 6.55, Cauchy 1000 x 10000 6.15 -> 5.25 (at half
# the norm, 1.05, no passes); float32 on rows under _ROW_BLOCK_MIN_ROW_BYTES,
# Student t(3) 20000 x 500 14.7 -> 13.6, 40000 x 250 16.9 -> 16.2; 48 about
# as 32, 64 a little slower (an Intel Xeon had measured 8 to 64 alike).
cdef Py_ssize_t _AHEAD_ROWS = 32, _AHEAD_MIN_ROWS = 256
# ... and float32's (sums by blocks) on such groups along the rows instead,
# a block of rows at a time (``_row_block_pass``; a testing switch,
# ``_set_testing``); with AVX2 alone, float32's and float64's on groups of
# _ROW_BLOCK_MIN_ROWS rows or more (Student t(3) and Cauchy 64 x 200000
# and 100 x 100000 took 0.55-0.75 of the time where the passes ran, the
# sampled-bracket path's sample 0.4-0.7; see skp_small_row_blocks256_f64).
cdef bint _row_block_passes = True
cdef Py_ssize_t _ROW_BLOCK_MIN_ROWS = 32
# ... with the AVX-512 loops, only on rows of at least this many bytes: on
# narrower ones the strips, each row's read while the rows _AHEAD_ROWS ahead
# are prefetched, took less (issue 14, an AMD Zen 5, float32 column groups
# at 10 and 50 % of the norm, row blocks -> strips: Student t(3) 100000 x
# 100 0.82 of the time, 40000 x 250 0.88-0.98, 20000 x 500 0.87-0.96;
# Gaussian 100000 x 100 0.79-0.86; but 10000 x 1000 0.99-1.26 times as
# long, 4000 x 2500 1.06-1.11).
cdef Py_ssize_t _ROW_BLOCK_MIN_ROW_BYTES = 1 << 11
# Testing hook (``_row_block_runs``): the passes read along the rows so far.
cdef Py_ssize_t _row_block_count = 0
# The in-cache path's AVX-512 passes over the lanes layout (a matrix in
# cache, or short row groups' copy) prefetch each row's strips this many rows
# ahead into L1, on groups of at least _CACHED_AHEAD_MIN_ROWS rows (0: none;
# a testing switch, ``_set_testing``).  A strip's rows lie a row stride
# apart, beyond the stride that the L1 prefetcher follows, so each row's
# loads waited on L2 or L3.  Issue 14, an Intel Xeon, single calls
# interleaved in one process, at 10, 50, 90 % of the l1,inf norm, times a
# copy, without / 8 rows ahead: float32 100 x 1000 6.07 / 5.86, 7.15 / 7.01,
# 6.04 / 5.90; 300 x 784 4.25 / 3.97, 4.66 / 4.40, 4.32 / 4.15; 1000 x 1000
# 3.40 / 3.13, 4.14 / 3.73, 4.09 / 3.71; 200 x 2000 2.73 / 2.63, 2.87 /
# 2.70, 3.68 / 3.34; 2000 x 1000 3.70 / 3.28, 4.59 / 3.93, 5.30 / 4.53;
# float64 300 x 784 2.91 / 2.42, 3.63 / 2.88, 3.02 / 2.40; 1000 x 500 3.39
# / 2.81, 4.28 / 3.45, 3.48 / 3.04; 100 x 1000 0.98-0.99 of the time; 4
# rows ahead about as 8.  Even on 1000 x 100 row groups (their copy), 500 x
# 500 and 64 x 4096 (0.96-1.01); 30 x 1000 1.00-1.01 times as long, hence
# the least length.
cdef Py_ssize_t _CACHED_AHEAD_ROWS = 8, _CACHED_AHEAD_MIN_ROWS = 64
# The groups layout's passes over a matrix out of cache prefetch the
# group about this many bytes further on their list, 8 groups at least
# (skp_small_groups512, skp_small_groups256; 0: none, a testing switch,
# ``_set_groups_ahead``).
# Issue 14, an AMD Zen 5, float32 row groups at 10 and 50 % of the norm, ms
# a call with 0 / 4 / 8 / 16 / 32 groups ahead: 100000 x 100 10.3 / 8.5 /
# 7.8 / 7.6 / 7.6 and 13.0 / 10.4 / 9.3 / 9.0 / 9.0; 200000 x 64 16.6 /
# 15.1 / 14.2 / 13.9 / 13.5 and 21.8 / 18.9 / 17.2 / 16.1 / 16.2; 250000 x
# 40 17.6 / 16.0 / 15.0 / 14.7 / 14.6 and 21.1 / 19.1 / 17.5 / 16.8 / 16.7.
# The AVX2 passes did without until the AMD Zen 4 measured them with AVX-512
# switched off (single calls interleaved on the same arrays, this switch, at
# 1, 10, 50, 90 % of bilevel_l1inf's groups kept and 10, 50 % of the norm,
# with / without: float32 100000 x 100 0.80-0.95, 200000 x 64 0.79-1.00,
# 250000 x 40 0.80-1.00, Student t(3) 100000 x 100 0.70-0.83; float64
# 100000 x 100 0.90-0.98, 200000 x 64 0.90-1.00; rows of 4 KB, 10000 x
# 1000, 0.96-1.01).
cdef Py_ssize_t _GROUPS_AHEAD_BYTES = 8192


def _set_stream_ahead(Py_ssize_t bytes=-1):
    """Testing hook: the bytes ahead that this module's streamed row writes ask
    for of their input (0: none; -1: as the CPU prefers; ``skp_ahead_for``
    in ``_prefetch.h``)."""
    skp_set_stream_ahead(bytes)


def _set_groups_ahead(Py_ssize_t bytes_ahead=8192):
    """Testing hook: about how many bytes ahead on their list the groups
    layout's passes over a matrix out of cache prefetch a group (0: none)."""
    global _GROUPS_AHEAD_BYTES
    _GROUPS_AHEAD_BYTES = bytes_ahead


cdef void _small_pass_ahead(const floating* y, Py_ssize_t stride, Py_ssize_t n_groups,
                            Py_ssize_t group_size, const Py_ssize_t* listed, Py_ssize_t n_listed,
                            const double* level, double* counts, double* sums,
                            double* above_min, double* below_max, bint blocks) noexcept nogil:
    """``_small_pass`` of the lanes layout out of cache (``blocks`` as there):
    each chunk of _PREFETCH_UNITS strips read while the next one's lines are
    prefetched, or with the AVX-512 loops on groups of _AHEAD_MIN_ROWS rows
    or more, each row's strips read while those _AHEAD_ROWS rows ahead are
    prefetched.  (The sampled-bracket path's sample reads its strips so too,
    ``_pass_listed``.)

    The strips' rows lie a row stride apart, which the hardware prefetchers
    do not follow across a thousand rows (issue 14, an Intel Xeon, the exact
    ball's passes over heavy-tailed matrices, in one process against plain
    passes at radii keeping half of the groups and at half of the norm:
    Student t(3) 1000 x 10000 float64 0.65-0.74 of the time, float32 even;
    Cauchy 64 x 200000 float32 0.90-0.99, 100 x 100000 float64 0.83-1.01).
    On long groups a chunk's successor, thousands of lines asked for at
    once, waited on the few lines in flight the cache allows, while the
    rows ahead stream beside the pass (the same Xeon, single calls
    interleaved in one process, times bilevel_l1inf, chunks -> rows ahead,
    column groups, at 10, 50, 90 % of the groups kept and 10 and 50 % of
    the norm where the passes ran: Student t(3) 1000 x 10000 float32 5.85
    -> 4.94, 5.22 -> 4.36, 5.94 -> 5.23, 5.79 -> 4.97, 6.18 -> 5.01;
    float64 5.18 -> 3.65, 5.87 -> 4.37, 5.76 -> 4.15; Cauchy float32 5.34
    -> 4.50, 5.38 -> 4.50, 4.93 -> 4.07; float64 5.11 -> 3.66, 5.20 ->
    3.85, 5.05 -> 3.67; t(3) 300 x 30000 float32 0.85-0.89 of the time,
    4000 x 300 float64 0.72; Cauchy 2000 x 5000 float32 0.62-0.70; 8 to 64
    rows ahead alike.  Groups of 100 rows lose: Cauchy 100 x 100000 float32
    1.09-1.32 times as long in the first measure, a chunk's first rows
    waiting; 200 rows even).  A listed 16 MiB or more in the two halves of
    its list, each read so (``_pass_in_halves``), along the rows too
    (``_HALF_ROW_BLOCKS``, each half a scratch of its own; the same bits):
    issue 14, the AMD Zen 4 with 2 cores, single calls interleaved, at
    1-90 % of the groups kept and 10, 50 % of the norm, against the whole
    list read along the rows on one thread: float32 with AVX-512, Gaussian
    and Student t(3) 256 x 40000 0.69-0.94, t(3) 1000 x 10000 0.68-1.00,
    300 x 30000 0.77-0.90, 2000 x 5000 0.75-0.92, Gaussian 512 x 20000
    0.81-0.99; with AVX2 alone, float32 t(3) 100 x 100000 0.77-0.91, 64 x
    200000 0.81-0.92, 1000 x 10000 0.65-0.83, Gaussian 1000 x 10000
    0.69-0.97, float64 t(3) 1000 x 10000 0.70-0.87, Gaussian 100 x 100000
    0.80-1.00.
    """
    if _by_row_blocks(y, n_groups, group_size, blocks) and (
            _pass_in_halves(y, SMALL_LANES, stride, n_groups, group_size, listed, n_listed,
                            level, counts, sums, above_min, below_max, blocks, 0,
                            _HALF_ROW_BLOCKS)
            or _row_block_pass(y, stride, n_groups, group_size, listed, n_listed, level,
                               counts, sums, above_min, below_max)):
        _count_row_block_pass()
        return
    if _small_simd == 2 and group_size >= _AHEAD_MIN_ROWS and _AHEAD_ROWS > 0:
        _small_pass(y, SMALL_LANES, stride, n_groups, group_size, listed, n_listed, level,
                    counts, sums, above_min, below_max, blocks, _AHEAD_ROWS)
        return
    if not _pass_in_halves(y, SMALL_LANES, stride, n_groups, group_size, listed, n_listed,
                           level, counts, sums, above_min, below_max, blocks, 0,
                           _HALF_CHUNKED):
        _chunked_pass(y, stride, n_groups, group_size, listed, n_listed, level, counts, sums,
                      above_min, below_max, blocks)


cdef void _chunked_pass(const floating* y, Py_ssize_t stride, Py_ssize_t n_groups,
                        Py_ssize_t group_size, const Py_ssize_t* listed, Py_ssize_t n_listed,
                        const double* level, double* counts, double* sums,
                        double* above_min, double* below_max, bint blocks) noexcept nogil:
    """``_small_pass_ahead``'s chunks of _PREFETCH_UNITS strips, each read while
    the next one's lines are prefetched."""
    cdef Py_ssize_t idx = 0, n_next
    while idx < n_listed:
        n_next = min(n_listed - idx - _PREFETCH_UNITS, _PREFETCH_UNITS)
        _prefetch_strips(y, stride, listed + idx + _PREFETCH_UNITS, max(n_next, 0), group_size)
        _pass_listed_groups(y, SMALL_LANES, stride, n_groups, group_size, listed + idx,
                            min(n_listed - idx, _PREFETCH_UNITS), level, counts, sums,
                            above_min, below_max, blocks, 0)
        idx += _PREFETCH_UNITS


cdef bint in_cache_size(Py_ssize_t n_bytes) noexcept nogil:
    """Whether a matrix of ``n_bytes`` is small enough for the in-cache path
    (_SMALL_MAX_BYTES, which ``_set_testing`` may move)."""
    return n_bytes <= _SMALL_MAX_BYTES


cdef int passes_simd() noexcept nogil:
    """The SIMD level of the in-cache path's passes (2 AVX-512, 1 AVX2, 0 plain
    C), 0 where they are off (``_set_testing``)."""
    return _small_simd if _small_on else 0


cdef bint passes_along_rows(const floating[:, :] y, bint groups_are_rows) noexcept nogil:
    """Whether the in-cache path's passes over ``y`` out of cache (``small_project``'s
    ``any_size``) read its strips along the rows with the AVX2 loops alone
    (``_row_block_pass``; float32's where its magnitudes allow the sums by
    blocks, as nearly all do).  The dense regime's predicted bands give way
    to those passes sooner there (``_l1inf_dense.predicted_bands``)."""
    cdef Py_ssize_t stride
    cdef Py_ssize_t group_size = y.shape[1] if groups_are_rows else y.shape[0]
    return (_small_on and _small_simd == 1 and _prefetch_passes and _row_block_passes
            and group_size >= _ROW_BLOCK_MIN_ROWS
            and pass_layout(y, groups_are_rows, &stride) == SMALL_LANES)


cdef inline void _count_row_block_pass() noexcept nogil:
    global _row_block_count
    _row_block_count += 1


cdef inline bint _by_row_blocks(const floating* y, Py_ssize_t n_groups, Py_ssize_t group_size,
                               bint blocks) noexcept nogil:
    """Whether ``_small_pass_ahead`` reads the strips along the rows
    (``_row_block_pass``): float32 summed by blocks, and float64 with AVX2
    alone; groups of _AHEAD_MIN_ROWS entries with AVX-512 (rows of
    _ROW_BLOCK_MIN_ROW_BYTES at least), of _ROW_BLOCK_MIN_ROWS with AVX2."""
    if not _row_block_passes or (floating is float and not blocks):
        return False
    if _small_simd == 1:
        return group_size >= _ROW_BLOCK_MIN_ROWS
    return (floating is float and _small_simd == 2 and group_size >= _AHEAD_MIN_ROWS
            and n_groups * <Py_ssize_t> sizeof(floating) >= _ROW_BLOCK_MIN_ROW_BYTES)


cdef bint _row_block_pass(const floating* y, Py_ssize_t stride, Py_ssize_t n_groups,
                          Py_ssize_t group_size, const Py_ssize_t* listed, Py_ssize_t n_listed,
                          const double* level, double* counts, double* sums,
                          double* above_min, double* below_max) noexcept nogil:
    """``_small_pass`` of the lanes layout (float32's: sums by blocks) along the rows.

    The listed strips read a block of rows at a time, each strip's sets
    waiting in a scratch between blocks (``skp_small_row_blocks_f32``,
    ``_f64``: the same bits), so each row is a stream the hardware
    prefetchers follow, where a strip's rows lie a row stride apart (issue
    14, an Intel Xeon, single calls interleaved in one process, the exact
    ball's passes at radii keeping 10-90 % of bilevel_l1inf's groups and 10
    and 50 % of the norm, rows / strips with the rows ahead prefetched:
    Student t(3) 1000 x 10000 float32 0.79-0.90, Cauchy 0.86-0.89, t(3) 300
    x 30000 0.92-1.01, 4000 x 2500 0.82-1.03; float64 with AVX-512, a whole
    line a strip, 0.96-1.07: left to the prefetches).  With AVX2 alone,
    whose passes prefetch no rows ahead, float32 and float64 alike: a Zen 3
    took a quarter to a third of the time (see skp_small_row_blocks256_f64
    in ``_l1inf_small.h``).  Where ``_by_row_blocks`` says so; False (nothing
    done) without memory for the scratch.
    """
    cdef void* state
    cdef bint done
    state = malloc(skp_small_row_state_bytes(n_listed))
    if state == NULL:
        return False
    if floating is float:
        done = skp_small_row_blocks_f32(y, group_size, n_groups, stride, listed, n_listed, level,
                                        counts, sums, above_min, below_max, state, _small_simd)
    else:
        done = skp_small_row_blocks_f64(y, group_size, n_groups, stride, listed, n_listed, level,
                                        counts, sums, above_min, below_max, state, _small_simd)
    free(state)
    return done


cdef void _small_inverses(int layout, const Py_ssize_t* listed, Py_ssize_t n_listed,
                          Py_ssize_t n_groups, const double* counts, const double* reciprocal,
                          double* inv_count) noexcept nogil:
    """inv_count[g] = 1 / c_g for the groups just read (1 for c_g = 0: unused).

    Divisions cost: the others keep theirs, and ``reciprocal`` (NULL: none)
    holds 1 / k at k - 1 for every count k (the same bits as the division).
    """
    cdef Py_ssize_t idx, g, end
    for idx in range(n_listed):
        g = listed[idx]
        end = g + (SKP_SMALL_STRIP if layout == SMALL_LANES else 1)
        end = end if end < n_groups else n_groups
        if end - g == SKP_SMALL_STRIP and skp_small_inverses8(counts, g, inv_count, _small_simd):
            continue
        if reciprocal != NULL:
            while g < end:
                inv_count[g] = (reciprocal[<Py_ssize_t> counts[g] - 1] if counts[g] > 0.0
                                else 1.0)
                g += 1
        else:
            while g < end:
                inv_count[g] = 1.0 / (counts[g] if counts[g] > 0.0 else 1.0)
                g += 1


cdef void _counted_past_max(int layout, const Py_ssize_t* listed, Py_ssize_t n_listed,
                            Py_ssize_t n_groups, const double* level, const double* maxima,
                            double* counts, double* sums) noexcept nogil:
    """A group just read whose level passed its max takes its max alone (c_g = 1, s_g = M_g).

    Such a group counted no entry above its level, and the model left it
    out: level 0, from which the next pass counted the whole group and sent
    its level to its mean.  Where the radius puts the levels near the maxima
    (the first pass's model overshooting them: theta < 0), the passes then
    went around a cycle until they gave way to the general path (issue 14,
    the Zen 4: a Gaussian 5000 x 12 by columns at 90 % of its norm, 120
    times a copy in float32, 64 in float64, where 89 % and 92 % took 6-10).
    Its max alone is the model's piece just below the max (level M_g -
    theta).  Only levels from a model with theta <= 0 (or the start's) can
    pass a max: with theta > 0, (s_g - theta) / c_g lies below the mean of
    the entries counted, hence below M_g; so a settled pass (theta > 0)
    never holds such a group, and the passes look for them only after a
    model with theta <= 0 or the lower bounds' start at theta_0 <= 0
    (looking after every pass cost 3-10 % of the call on 1797 x 64 by rows).
    """
    cdef Py_ssize_t idx, g, end
    for idx in range(n_listed):
        g = listed[idx]
        end = g + (SKP_SMALL_STRIP if layout == SMALL_LANES else 1)
        end = end if end < n_groups else n_groups
        while g < end:
            if counts[g] == 0.0 and level[g] > 0.0:
                counts[g] = 1.0
                sums[g] = maxima[g]
            g += 1


cdef inline bint _small_update(const double* counts, const double* sums, Py_ssize_t n_groups,
                               double eta, Py_ssize_t* kept, Py_ssize_t* n_kept,
                               double* inv_count, double* level, double* theta) noexcept nogil:
    """The model's theta and levels from one pass; False when no group is left.

    ``inv_count`` holds 1 / c_g for the groups with c_g > 0 (``_small_inverses``).

    Groups whose model level would not be positive (s_g <= theta) are set to
    0 and theta recomputed without them (it rises), until none is left:
    ``kept[:n_kept]`` lists the others (``skp_small_update``).
    """
    cdef Py_ssize_t g
    # Where every group is kept (the dense regime, the slow one) without the
    # flags of the general update: the same theta (same order) and levels.
    if skp_small_dense_update(counts, sums, inv_count, n_groups, eta, level, theta,
                              _small_simd):
        for g in range(n_groups):
            kept[g] = g
        n_kept[0] = n_groups
        return n_groups > 0
    n_kept[0] = skp_small_update(counts, sums, inv_count, n_groups, eta, level, theta, kept,
                                 _small_simd)
    return n_kept[0] > 0


cdef bint _mean_shift_start(const GroupLists* lists, double eta, double* level) noexcept nogil:
    """Start at the model of a pass at level 0 where it suits; whether it did (``level`` set).

    The sums of step 1 are those of a pass at level 0 with every entry
    counted above it (c_g = n): its model's levels are the groups' mean
    magnitudes shifted by one theta so that they add up to eta,
    ``(S_g - theta) / n``.  Where the radius leaves most of each group above
    its level (dense groups at 20-70 % of the norm) this starts the Newton
    iteration at the shape of the solution and saves 2-4 of its 5-8 passes
    (Gaussian, Laplace, sparse and uniform 100 x 1000 to 1000 x 1000).  It is
    taken only where theta <= 0 (no group is left out: a positive theta is
    the regime of the lower bounds of step 2, whose levels are then
    (S_g - theta) / n or near) and every model level lies below its group's
    max M_g (else the levels are near the maxima, where the lower bounds are
    as good and this model may count no entry above a level: the iteration
    then cycles).  Each level is also capped at 0.8 M_g (measured fewer
    passes at 60-80 % of the norm; as many as a cap halfway from the lower
    bound to M_g, which would need the lower bounds).
    """
    cdef Py_ssize_t n_groups = lists.n_groups, g, n = 0
    cdef double inv_n = 1.0 / lists.group_size, theta, total = 0.0, shifted, cap
    cdef const double* sums = lists.sums
    for g in range(n_groups):
        total += sums[g]
        n += sums[g] > 0.0
    if n == 0:
        return False
    theta = (total - eta * lists.group_size) / n
    if theta > 0.0:
        return False
    for g in range(n_groups):
        if sums[g] > 0.0 and (sums[g] - theta) * inv_n >= lists.maxima[g]:
            return False
    for g in range(n_groups):
        shifted = (sums[g] - theta) * inv_n
        cap = 0.8 * lists.maxima[g]
        shifted = shifted if shifted < cap else cap
        level[g] = shifted if sums[g] > 0.0 else 0.0
    return True


cdef void _warm_start(const GroupLists* lists, const double* start,
                      double* level) noexcept nogil:
    """Start at the levels ``start`` of a nearby problem (>= 0), each below its group's max.

    The projection of a weight after an optimizer step, from the levels of
    the projection before it: most groups keep the same entries above their
    levels, so the first pass finds the sets and the Newton step from it
    the levels, which the pass's intervals certify (a second pass where a
    few sets changed).  A level at or above its group's max M_g would count
    no entry there (the iteration then cycles, as ``_mean_shift_start``
    says): such a group starts just below M_g, where its max counts.
    """
    cdef Py_ssize_t g
    cdef double cap
    for g in range(lists.n_groups):
        cap = nextafter(lists.maxima[g], 0.0)
        level[g] = start[g] if start[g] < cap else cap


cdef void _small_write(const floating[:, :] y, floating[:, :] x, const floating* levels,
                       const Py_ssize_t* kept, Py_ssize_t n_kept,
                       bint groups_are_rows) noexcept nogil:
    """Step 5 of both halves (``write_clipped``).

    A large result by ``write_clipped`` (non-temporal stores on long rows;
    on short ones, its row loop took half the clip's time: 100000 x 100
    float32 column groups, 0.41 -> 0.18 ns an entry, issue 14) wherever
    that writes what the clip below would (both write zeroed row
    groups as +0.0 and keep each entry's sign in zeroed column groups, but
    for ``write_clipped``'s few kept columns, written into a zeroed result);
    else by the AVX-512 loop where it runs and ``x`` has ``y``'s contiguous
    axis.  (The in-cache path's passes also
    take large heavy-tailed matrices whose predicted bands are too wide,
    ``any_size``: their results written by the clip's plain stores took
    2.3 copies, Student t(3) and Cauchy 1000 x 10000 float32 at 10-90 % of
    the groups kept, 7.0-7.3 ms where a copy took 3.0.)
    """
    cdef Py_ssize_t item = sizeof(floating), n_lines, length, y_stride, x_stride
    cdef Py_ssize_t n_groups = y.shape[0] if groups_are_rows else y.shape[1]
    cdef bint per_entry, done = False
    if (y.strides[1] == x.strides[1] == item
            and streams(y.shape[0] * y.shape[1] * item)
            and (groups_are_rows or n_kept * SPARSE_WRITE_DIVISOR * 8 >= n_groups)):
        write_clipped(y, x, levels, kept, n_kept, groups_are_rows)
        return
    if y.strides[1] == item and x.strides[1] == item:
        # Lines are rows: the levels are per entry for column groups.
        n_lines, length, y_stride, x_stride = y.shape[0], y.shape[1], y.strides[0], x.strides[0]
        per_entry = not groups_are_rows
        # (fewer columns than two vectors hold, rows one after the other: one
        # run of vectors, as the bi-level writes (``write_narrow``), where the
        # clip's line loop took a masked store a row: 10000 x 8 float32 by
        # columns, a fifth of the call)
        if per_entry and _small_simd > 0 and write_narrow(y, x, False, levels):
            return
    elif y.strides[0] == item and x.strides[0] == item:
        n_lines, length, y_stride, x_stride = y.shape[1], y.shape[0], y.strides[1], x.strides[1]
        per_entry = groups_are_rows
    else:
        n_lines = 0
    if n_lines > 0:
        if floating is double:
            done = skp_small_clip_f64(&y[0, 0], &x[0, 0], n_lines, length, y_stride, x_stride,
                                      levels, per_entry, _small_simd)
        else:
            done = skp_small_clip_f32(&y[0, 0], &x[0, 0], n_lines, length, y_stride, x_stride,
                                      levels, per_entry, _small_simd)
    if not done:
        write_clipped(y, x, levels, kept, n_kept, groups_are_rows)


# Row groups read from memory (``small_project``'s ``any_size``, the groups
# layout: heavy-tailed matrices whose predicted bands were too wide) were
# read whole by every pass, and the passes settle slowly there: 7-9 of them
# on Student t(3) and Cauchy 1000 x 10000 row groups, the first few reading
# most of the groups, where a few dozen entries of each lie above its level
# at the end.  So from the pass _GATHER_PASS on (the second: the first
# pass's Newton step set its levels), a group read from the matrix gathers
# its magnitudes above _GATHER_SHARE of its level (the floor) into a list,
# and the later passes read its list rather than its row wherever its level
# has not fallen below the floor: the list then holds every entry above the
# level, hence the same set, count and sum, and an interval of levels with
# the same set within the row's (``_gathered_pass``).  A level below its
# floor reads the row again, and gathers anew; a group that the Newton step
# zeroed is not read again (``_zeroed_set``).  A group whose list would
# hold more than one entry in _GATHER_GROUP_DIVISOR of its row keeps none;
# the lists hold one entry in _GATHER_DIVISOR of the matrix in all.  Issue
# 14, an AMD Zen 5, times bilevel_l1inf at the same radius, 1000 x 10000 row
# groups, without / with the lists: Student t(3) float64 at radii keeping
# 90 % of its groups and at half the norm 4.64 / 2.64 and 4.29 / 2.64,
# float32 at 50 and 90 % kept and half the norm 5.78 / 3.82, 5.77 / 3.53,
# 5.03 / 3.36; Cauchy at 10 and 50 % kept, float64 7.39 / 5.64 and 4.71 /
# 2.89, float32 5.08 / 4.74 and 5.30 / 3.50; the other cells 0.94-1.03 of
# the time (other paths).  A floor at 0.3 / 0.5 / 0.7 / 0.8 / 0.9 of the
# level: t(3) float64 at 90 % kept 4.02 / 3.45 / 3.22 / 3.22 / 3.36 times a
# copy; room for a quarter / an eighth / a sixteenth of the entries alike,
# but Cauchy float64 at 10 % kept 5.58 / 5.64 / 6.04; lists of at most an
# eighth of the row, where many were declined, 3.88 against 3.46 at half of
# it.
# Shorter rows gain less, or lose, each list read costing a pass's set-up:
# 10000 x 1000 t(3) float64 at 50 and 90 % kept 4.13 / 3.12 and 4.77 /
# 3.57, but Cauchy float32 at 10 and 90 % kept 3.87 / 4.23 and 3.02 / 3.24;
# 40000 x 250 1.04-1.6 times as long (hence _GATHER_MIN_LENGTH).
# Matrices in cache do not gather (issue 14, the AMD Zen 4, single calls
# interleaved, gathered from 256 entries / not, times a copy at 10, 50, 90 %
# of the norm, row groups: pbmc68k standardized (700 x 765) float32 6.73 /
# 5.16, 6.21 / 6.73, 3.41 / 3.29; Gaussian 300 x 1000 4.80 / 3.65, 4.58 /
# 4.07, 3.82 / 3.45; 1000 x 300 6.25 / 5.08, 6.52 / 5.89, 4.86 / 4.46;
# Student t(3) 300 x 1000 5.00 / 4.67, 5.28 / 5.56, 3.09 / 3.01; float64
# alike; acsf1's 1460 x 200 even): the lists' set-up outweighs a pass from L2.
cdef int _GATHER_PASS = 1
cdef double _GATHER_SHARE = 0.7
cdef Py_ssize_t _GATHER_MIN_LENGTH = 1024, _GATHER_DIVISOR = 8, _GATHER_GROUP_DIVISOR = 2
cdef bint _gathered_passes = True       # a testing switch (``_set_gathered_passes``)
# (testing: see _gathered_stats)
cdef Py_ssize_t _gathered_counts[4]


def _set_gathered_passes(bint on=True, double share=0.7, Py_ssize_t min_length=1024,
                         Py_ssize_t divisor=8):
    """Testing hook: whether the passes over row groups out of cache gather lists
    (``small_project``), the share of a group's level above which they gather,
    the shortest group that gathers, and the lists' room (the matrix's entries
    over ``divisor``)."""
    global _gathered_passes, _GATHER_SHARE, _GATHER_MIN_LENGTH, _GATHER_DIVISOR
    _gathered_passes = on
    _GATHER_SHARE = share
    _GATHER_MIN_LENGTH = min_length
    _GATHER_DIVISOR = divisor


def _gathered_stats(bint reset=False):
    """Testing hook: (groups gathered into lists, group reads served by a list,
    zeroed groups' sets taken without a read (``_zeroed_set``), group reads
    from the matrix after the gather) since the last reset."""
    stats = tuple(_gathered_counts[k] for k in range(4))
    if reset:
        for k in range(4):
            _gathered_counts[k] = 0
    return stats


cdef struct Gathered:
    # Group g's magnitudes above floor[g] are values[start[g]:start[g] +
    # length[g]], in the matrix's dtype (floor INFINITY: no list yet;
    # -INFINITY: its list would be too long, none is gathered).
    void* values
    Py_ssize_t used, capacity
    Py_ssize_t* start
    Py_ssize_t* length
    double* floor
    Py_ssize_t* from_matrix     # a pass's groups read from the matrix


cdef bint _gathers(bint any_size, int layout, Py_ssize_t group_size) noexcept nogil:
    """Whether ``small_project``'s passes gather lists (see ``Gathered``)."""
    return (any_size and _gathered_passes and layout == SMALL_GROUPS
            and group_size >= _GATHER_MIN_LENGTH)


cdef bint _start_gathered(Gathered* lists, Py_ssize_t n_groups, Py_ssize_t group_size,
                          Py_ssize_t itemsize) noexcept nogil:
    """Room for the lists (and one group beyond, which ``keep_above`` may
    write), the per-group arrays in one block (as ``_alloc_bracket``); False:
    none (nothing to free)."""
    cdef Py_ssize_t g
    cdef double* block = <double*> malloc(n_groups * (sizeof(double) + 3 * sizeof(Py_ssize_t)))
    lists.used = 0
    lists.capacity = n_groups * group_size // _GATHER_DIVISOR
    lists.values = malloc((lists.capacity + group_size) * itemsize) if block != NULL else NULL
    if lists.values == NULL:
        free(block)
        return False
    lists.floor = block
    lists.start = <Py_ssize_t*> (block + n_groups)
    lists.length = lists.start + n_groups
    lists.from_matrix = lists.length + n_groups
    for g in range(n_groups):
        lists.floor[g] = INFINITY
    return True


cdef void _free_gathered(Gathered* lists) noexcept nogil:
    free(lists.values)
    free(lists.floor)
    lists.values = NULL
    lists.floor = NULL


cdef inline void _list_pass(const floating* values, const Gathered* lists, Py_ssize_t g,
                            const double* level, double* counts, double* sums,
                            double* above_min, double* below_max) noexcept nogil:
    """Group g's set at its level (at or above its floor) from its list, as a pass's.

    The list is read as a group of its own by the pass's loops (float32's
    sums by blocks, as ``small_project``'s other passes).  The group's
    entries not listed lie at or below the floor: the largest entry at or
    below the level is at most the larger of the floor and the list's.
    """
    cdef Py_ssize_t first = 0
    values += lists.start[g]
    if floating is double:
        skp_small_groups_f64(values, &first, 1, lists.length[g], 0, level + g, counts + g,
                             sums + g, above_min + g, below_max + g, False, _small_simd, 0)
    else:
        skp_small_groups_f32(values, &first, 1, lists.length[g], 0, level + g, counts + g,
                             sums + g, above_min + g, below_max + g, True, _small_simd, 0)
    if below_max[g] < lists.floor[g]:
        below_max[g] = lists.floor[g]


cdef inline void _zeroed_set(Py_ssize_t g, Py_ssize_t group_size, const double* norms,
                             double* counts, double* sums, double* above_min,
                             double* below_max) noexcept nogil:
    """Group g's set at level 0 (a group the last Newton step zeroed) without
    reading it: its sum S_g (step 1's), and a count and an interval that the
    next update and the moved list need alone.

    The Newton steps' theta only rises (each is a lower bound of theta*, F
    being convex), so a zeroed group, S_g <= theta, stays zeroed: its count
    (of the entries above 0) enters only the first model of the next update,
    which its S_g <= theta then leaves, whatever the count
    (``skp_small_update``: the same end).  Its interval [0, the least
    positive double) holds its level, 0, and lies within the true one
    ([0 or -inf, its least nonzero magnitude)): it is not listed again.
    (Were theta to fall below S_g, the update would give it a positive
    level, out of that interval: it would be read again.)
    """
    counts[g] = group_size if norms[g] > 0.0 else 0.0
    sums[g] = norms[g]
    above_min[g] = 4.9406564584124654e-324
    below_max[g] = 0.0


cdef Py_ssize_t _gathered_pass(const floating* y, Py_ssize_t stride, Py_ssize_t group_size,
                               const Py_ssize_t* listed, Py_ssize_t n_listed,
                               const double* level, const double* norms, Gathered* lists,
                               double* counts, double* sums, double* above_min,
                               double* below_max) noexcept nogil:
    """A pass from _GATHER_PASS on: each listed group's set from its list where
    its level lies at or above the list's floor; else its row read once, its
    magnitudes above _GATHER_SHARE of its level gathered (``keep_above``)
    into a new list, and its set taken from that.

    A group at level 0 (zeroed by the last Newton step) is not read
    (``_zeroed_set``; ``norms``: the l1 norms S_g).  A group whose list would
    hold more than one entry in _GATHER_GROUP_DIVISOR of its row takes its set
    from it this once, keeps none and gathers no more (floor -inf); those and
    the groups past the lists' room go to ``lists.from_matrix``, whose count
    it returns, for the pass's loops.
    """
    cdef floating* values = <floating*> lists.values
    cdef Py_ssize_t t, g, n, n_rest = 0, n_gathered = 0, n_zeroed = 0
    cdef double floor, total
    for t in range(n_listed):
        g = listed[t]
        if lists.floor[g] <= level[g] and lists.floor[g] > -INFINITY:
            _list_pass(values, lists, g, level, counts, sums, above_min, below_max)
            continue
        if level[g] == 0.0:
            _zeroed_set(g, group_size, norms, counts, sums, above_min, below_max)
            n_zeroed += 1
            continue
        floor = _GATHER_SHARE * level[g]
        if not (floor > 0.0 and lists.floor[g] > -INFINITY and lists.used <= lists.capacity):
            lists.from_matrix[n_rest] = g
            n_rest += 1
            continue
        n = keep_above(<const floating*> (<const char*> y + g * stride), group_size, 1, floor,
                       True, values + lists.used, &total)
        lists.start[g] = lists.used
        lists.length[g] = n
        lists.floor[g] = floor
        _list_pass(values, lists, g, level, counts, sums, above_min, below_max)
        n_gathered += 1
        if n > group_size // _GATHER_GROUP_DIVISOR:
            # (read once for this pass, not kept)
            lists.floor[g] = -INFINITY
        else:
            lists.used += n
    _gathered_counts[0] += n_gathered
    _gathered_counts[1] += n_listed - n_rest - n_gathered - n_zeroed
    _gathered_counts[2] += n_zeroed
    _gathered_counts[3] += n_rest
    return n_rest


cdef int small_project(const floating[:, :] y, floating[:, :] x, double eta,
                       bint groups_are_rows, Work* w, double* mu, double* theta_out,
                       int* rounds, bint any_size, const double* start) noexcept nogil:
    """Steps 2-5 for a matrix in cache, by SIMD passes over the groups (see above).

    Needs the sums and maxima of step 1 (``y`` not inside the ball).  The
    passes read ``w.lanes_copy`` in the lanes layout where it is not NULL
    (``small_lanes_copy``).  ``any_size``: a matrix out of cache too, each
    pass then a read of it from memory (the dense regime's fallback where
    its bands would be wide, or a matrix of mostly zeros has none:
    ``_l1inf._project_into``).  ``start`` (NULL: none): a nearby problem's
    levels, the first pass's (``_warm_start``).
    Returns the status, or SMALL_DECLINED (nothing written) when the layout
    or the size do not suit or the passes did not settle.
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t n_groups = lists.n_groups, group_size = lists.group_size
    cdef Py_ssize_t stride, g, n_kept = 0, n_listed = 0
    cdef int layout = (pass_layout(y, groups_are_rows, &stride) if any_size and _small_on
                       else small_layout(y, groups_are_rows, &stride))
    cdef int p
    cdef const floating* source = &y[0, 0] if layout else NULL
    cdef double theta, low
    cdef Bracket sets
    _lent_sets(w, &sets, False)
    cdef double* level = sets.level
    cdef double* counts = sets.counts
    cdef double* sums = sets.sums
    cdef double* above_min = sets.above_min
    cdef double* below_max = sets.below_max
    cdef Py_ssize_t* listed = sets.listed
    # (lent too, for 1 / c_g: see _lent_sets)
    cdef double* inv_count = w.column_high
    cdef floating* levels = <floating*> w.clip_levels
    cdef const double* reciprocal = NULL
    cdef double inv_size = 1.0 / group_size
    cdef double clock = now()
    cdef Py_ssize_t ahead = (_CACHED_AHEAD_ROWS if group_size >= _CACHED_AHEAD_MIN_ROWS
                             else 0)
    # (out of cache, the groups layout's passes prefetch their list's groups ahead)
    cdef Py_ssize_t groups_ahead = (
        max(8, _GROUPS_AHEAD_BYTES // (group_size * sizeof(floating))) if _GROUPS_AHEAD_BYTES
        and y.shape[0] * y.shape[1] * sizeof(floating) > _SMALL_MAX_BYTES else 0)
    if w.lanes_copy != NULL:
        layout, stride = SMALL_LANES, w.copy_stride
        source = <const floating*> w.lanes_copy
    if layout == 0 or not _blocks_fit(lists, layout, floating is float):
        return SMALL_DECLINED
    cdef Gathered gathered
    cdef bint gathering = _gathers(any_size, layout, group_size), settled = False
    # (whether a level may lie past its group's max: see _counted_past_max;
    # the mean-shift start's and a nearby problem's lie below)
    cdef bint past_max = False
    cdef Py_ssize_t n_rest
    gathered.values = NULL
    # Start: the mean-shift model where it suits (``_mean_shift_start``), else
    # the crude lower bounds of mu_g(theta_0) (step 2); every group read.
    theta = 0.0
    if start != NULL:
        _warm_start(lists, start, level)
    elif not _mean_shift_start(lists, eta, level):
        theta = initial_lower_bound(lists, eta)
        past_max = theta <= 0.0     # (the levels M_g - theta)
        for g in range(n_groups):
            low = (lists.sums[g] - theta) * inv_size
            low = lists.maxima[g] - theta if lists.maxima[g] - theta > low else low
            level[g] = low if low > 0.0 else 0.0
    # Where there are more groups than counts, a table of the counts'
    # reciprocals spares a division per group read (lists.scratch is free).
    if group_size <= n_groups:
        for g in range(group_size):
            lists.scratch[g] = 1.0 / (g + 1)
        reciprocal = lists.scratch
    g = 0
    while g < n_groups:
        listed[n_listed] = g
        n_listed += 1
        g += SKP_SMALL_STRIP if layout == SMALL_LANES else 1
    for p in range(_SMALL_MAX_PASSES):
        if gathered.values != NULL or (
                gathering and p == _GATHER_PASS
                and _start_gathered(&gathered, n_groups, group_size, sizeof(floating))):
            # (row groups out of cache, by their lists: see Gathered)
            n_rest = _gathered_pass(source, stride, group_size, listed, n_listed, level,
                                    lists.sums, &gathered, counts, sums, above_min, below_max)
            if n_rest > 0:
                _small_pass(source, layout, stride, n_groups, group_size, gathered.from_matrix,
                            n_rest, level, counts, sums, above_min, below_max, True,
                            groups_ahead)
        elif any_size and _prefetch_passes and layout == SMALL_LANES and w.lanes_copy == NULL:
            _small_pass_ahead(source, stride, n_groups, group_size, listed, n_listed, level,
                              counts, sums, above_min, below_max, True)
        else:
            _small_pass(source, layout, stride, n_groups, group_size, listed, n_listed, level,
                        counts, sums, above_min, below_max, True,
                        ahead if layout == SMALL_LANES else groups_ahead)
        rounds[0] = p + 1
        if past_max:
            _counted_past_max(layout, listed, n_listed, n_groups, level, lists.maxima, counts,
                              sums)
        _small_inverses(layout, listed, n_listed, n_groups, counts, reciprocal, inv_count)
        if not _small_update(counts, sums, n_groups, eta, lists.active, &n_kept,
                             inv_count, level, &theta):
            break
        past_max = theta <= 0.0     # (else every level lies below its max)
        n_listed = skp_small_moved(n_groups, SKP_SMALL_STRIP if layout == SMALL_LANES else 1,
                                   level, above_min, below_max, listed, _small_simd)
        if n_listed > 0 and p + 1 >= _TIE_STEPS and floating is float:
            n_listed = _settle_moved_ties(&sets, n_groups,
                                          SKP_SMALL_STRIP if layout == SMALL_LANES else 1,
                                          listed, n_listed)
        if n_listed == 0:
            settled = True
            break
    if gathered.values != NULL:
        _free_gathered(&gathered)
    if not settled:
        return SMALL_DECLINED
    for g in range(n_groups):
        mu[g] = level[g]
        levels[g] = <floating> level[g]
    clock = lap(PHASE_SOLVE, clock)
    _small_write(y, x, levels, lists.active, n_kept, groups_are_rows)
    lap(PHASE_WRITE, clock)
    theta_out[0] = theta
    return STATUS_PROJECTED


# ------------------------------------------------------------ sampled bracket path
#
# Many groups (``bracket_project``): theta^* is estimated on a sample of the
# groups (in the lanes layout, read from a copy of its strips,
# ``_pack_sample``), a bracket [theta_lo, theta_hi] is set around it, and one
# pass over the matrix, a panel of groups at a time (in L2), finds every
# group's exact level at both ends by Newton steps of the in-cache pass.  A
# group whose set is the same at both ends contributes a linear term to F on
# the whole bracket; the others contribute their few entries between the two
# levels, each an event where the group's slope changes.  Newton on F over
# these events (O(G + events) per step) gives theta^*, then one write.

cdef enum:
    # One unit (strip of the lanes layout, or group) in this many is sampled.
    _SAMPLE_EVERY = 16
    # ... and one in this many for a first, coarse estimate.
    _COARSE_EVERY = 128
    # Units sampled together, adjacent: a run of four float32 strips reads
    # two whole cache lines of each row where one strip reads half of one
    # (issue 14, thread time, medians of alternations, runs / single units:
    # 100 x 100000 float64 at 10 and 50 % of the norm 0.90-0.94 of the call,
    # its sample 0.6; float32 0.95-0.97; 64 x 200000 float32 0.89-0.94;
    # 150 x 60000 0.95-0.98; 200 x 50000 1.0-1.04).
    _SAMPLE_RUN = 4
    # Newton steps on a group's level (each one pass over it) before giving up.
    _LEVEL_STEPS = 48
    # ... and after which a step that lands at a tie settles (``_at_tie``):
    # a Newton step from below settles in 2-5 (Gaussian groups of 100).
    _TIE_STEPS = 6
    # Newton steps on theta over the sample.
    _SAMPLE_STEPS = 40

# The path takes matrices with at least this many groups (the sample must be
# large enough for its estimate of theta^* to be tight) and not in cache.
cdef Py_ssize_t _BRACKET_MIN_GROUPS = 4096
# ... and groups of at most this many entries: longer ones have more entries
# between their two sets, read one by one (1000 x 10000 column groups
# measured 1.5 times slower than the general path).
cdef Py_ssize_t _BRACKET_MAX_LENGTH = 256
# ... and where the sample keeps at least this share of the groups (100 x
# 100000 keeping half of the groups: as fast as the general path; keeping 8 %:
# 1.3 times slower), or where the general path would take its dense regime,
# whose histograms cost many times the path's passes on short groups (issue
# 14, an AMD Zen 5, single calls interleaved, times a copy, float32 64 x
# 200000 keeping 46 % and 72 % of the groups: dense 23.0 and 44.7, this path
# 9.0 and 9.2).
cdef double _BRACKET_MIN_KEPT = 0.75
# By default, where the pass runs at AVX2 alone, the path takes neither
# column groups of contiguous rows (the lanes layout) nor groups shorter than
# this: the dense regime's passes read the former along the rows
# (``_l1inf_dense``'s passes_along_rows), the passes over the whole matrix
# take the latter where their lists would be long (``_l1inf``'s
# _LIST_PASSES_SHARE), both faster.  Issue 14, a Zen 3, single calls, times
# bilevel_l1inf at radii keeping 50 and 90 % of the groups and at 10 and 50 %
# of the norm, this path -> without it: float32 Gaussian 100 x 100000
# 3.99/5.02/4.68/4.64 -> 3.26/4.37/3.53/4.29 (float64 3.18/3.18/3.41/4.08
# -> 2.59/3.14/2.81/3.39), 64 x 200000 8.9/6.6/6.6/10.0 -> 6.5/4.5/5.5/7.1,
# 200 x 50000 3.0/4.2/3.2/4.1 -> 1.8/2.7/2.5/4.1, 64 x 1000000 8.1/6.4/6.9/
# 7.1 -> 6.1/4.9/5.9/6.1, 32 x 1000000 11.8/10.1/9.5/13.5 -> 8.7/7.8/8.8/
# 10.2; Student t(3) 100 x 100000 14.0/6.9/12.9/9.2 -> 4.7/3.2/6.4/5.1;
# float32 row groups 1000000 x 32 8.1/8.8/9.5/11.9 -> 6.4/6.7/7.2/8.0.
# Row groups of 64 entries or more keep the path: 100000 x 100 took
# 2.9/4.6/4.6/5.1 with it, 4.3/4.8/6.3/5.4 without, 200000 x 64 5.6/6.3/
# 7.1/5.8 and 9.4/5.4/11.8/5.1 (but Student t(3) 100000 x 100 10.7/8.4/
# 10.4/7.0 and 4.2/5.3/5.8/5.3: left as it is).  Not measured with AVX-512,
# whose passes read otherwise.  Those of fewer than 256 entries now go to the
# passes over the matrix first where enough groups may be kept, as with
# AVX-512 (``passes_before_bracket``: 0.46-0.88 of this path's time on the
# Zen 4 with AVX2 alone).
cdef Py_ssize_t _BRACKET_AVX2_MIN_LENGTH = 64
# Whether that default applies (``_set_testing``: ``bracket=True`` takes the
# path wherever it can run).
cdef bint _bracket_by_default = True
cdef bint _bracket_on = _small_simd > 0
# A level is at a tie (``_at_tie``) where it lies outside its set's interval
# by at most this share of the set's mean magnitude: the rounding of
# float32's sums by blocks, at most 15 additions of 2**-24 of a block's sum
# each.
cdef double _TIE_SHARE = 2.0 ** -20
# The half-width of the bracket, in standard errors of the sample's estimate:
# fewer entries between its ends to read and sort, against a theta^* outside
# it now and then (the general path then).  Issue 14, an AMD Zen 5, float32
# 100 x 100000, 64 x 200000 and 200 x 50000 at 50 % of the groups kept and
# 10 and 50 % of the norm, single calls interleaved, 4 -> 3: 0.92-0.97 of
# the time (2: 0.88-0.93); on 240 matrices of 4200-16000 groups of 16-160
# (Gaussian, Cauchy, uniform, sparse, scaled, integer; radii of 2-95 % of
# the norm) it handed over on 29 at 4, 30 at 3, 30 at 2.5.
cdef double _BRACKET_SIGMAS = 3.0
# The path hands over (``_bracket_levels``) once its events pass this share of
# the entries (0: never): heavy tails widen the sample's bracket until most
# entries lie between each group's two sets (issue 14, an Intel Xeon, Cauchy
# 64 x 200000 float32 at radii where bilevel_l1inf keeps half of the groups:
# 11.5 million events of 12.8 million entries, sorted and solved in 0.9 s,
# 96 times bilevel_l1inf's time), where a Gaussian matrix's are 0.3-0.5 %.
cdef double _BRACKET_EVENT_SHARE = 0.05
# Step 1 of float32 contiguous groups of at least this many entries takes the
# in-cache path's loops on any matrix (``small_norms``).
cdef Py_ssize_t _GROUP_NORMS_MIN_LENGTH = 256
# Bytes of the matrix read together (a panel of units, in cache with the
# next one's lines: see ``_next_panel``).
cdef Py_ssize_t _PANEL_BYTES = 1 << 15
# Whether the next panel is prefetched into L1 (and L2) or into L2 alone: L1
# on AMD's Zen 5 and later, whose L1 holds 48 KiB (see ``_next_panel``; a
# testing switch, ``bracket_into_l1``).
cdef bint _panels_into_l1 = skp_cpu_zen5_or_later()
# Whether the sample of the lanes layout is read from a copy (``_pack_sample``).
cdef bint _copy_sample = True
# Whether float32's passes in the lanes layout sum by blocks of rows, as the
# in-cache path's do, where they cannot overflow (``Bracket.blocks``; a
# testing switch, ``_set_testing``): a row's sums were two conversions to
# double, an extraction and two additions where a block's are one addition
# (issue 14, an Intel Xeon, single calls interleaved in one process, Gaussian
# float32 at 10 and 50 % of the norm, blocks / double: 100 x 100000
# 0.88-0.94 of the time, 64 x 200000 0.87-0.93, 200 x 50000 0.80, 150 x
# 60000 0.88; Student t(3) 100 x 100000 at 50 % 0.94).  theta and the
# levels are then as exact as float32's sums, as the in-cache path's, and a
# level within their rounding of an entry settles there (``_at_tie``).
cdef bint _bracket_blocks = True
# Units read between two shares of the next panel's prefetches (four whole
# strips: the float32 AVX-512 pass reads them together).
cdef Py_ssize_t _PREFETCH_UNITS = 4
# Benchmark hook (``_bracket_stats``): the sample's Newton steps on theta, the
# units read by its passes and by the panels' passes, the events, the solve's
# Newton steps, 1 if it gave the projection (0: it handed over).
cdef Py_ssize_t _stats[6]


cdef struct Bracket:
    # The pass of the in-cache path at each group's level: its count and sum
    # above, and the interval of levels [below_max, above_min] with that set.
    double* level
    double* counts
    double* sums
    double* above_min
    double* below_max
    # The set at theta_lo (count, sum, the largest entry outside it) and at
    # theta_hi (count, the smallest entry in it, the largest outside).
    double* count_lo
    double* sum_lo
    double* outside_lo
    double* above_lo
    double* count_hi
    double* inside_hi
    double* outside_hi
    # Per group: done (its level is exact), zero at theta_hi.
    unsigned char* done
    unsigned char* zero_hi
    Py_ssize_t* units
    Py_ssize_t* listed
    # The events of each group: its entries between the two sets, largest
    # first (``event_value[event_start[g]:event_start[g] + event_count[g]]``).
    Py_ssize_t* event_start
    Py_ssize_t* event_count
    double* event_value
    Py_ssize_t event_capacity
    # The events of the solve: theta at which they happen, change of F's
    # intercept and slope.
    double* solve_theta
    double* solve_intercept
    double* solve_slope
    # Whether float32's passes in the lanes layout sum by blocks of rows
    # (``_small_pass``; bracket_project sets it where they cannot overflow):
    # a level within their rounding of a tie then settles there (``_at_tie``).
    bint blocks


cdef void _lent_sets(Work* w, Bracket* sets, bint blocks) noexcept nogil:
    """The general path's per-group arrays as the passes' sets: ``sets``' level,
    counts, sums, above_min, below_max, units, listed and done (no arrays of
    its own, nothing else of a Bracket).

    Both halves of this module run before the general path gathers anything,
    or instead of it: its arrays of one slot per group, free until then, are
    their scratch, each in one role, named here once -- level in
    ``gather_level``, counts in ``band_low``, sums in ``band_high``,
    above_min in ``histogram_low``, below_max in ``histogram_high``, units in
    ``bucket_cursor``, listed in ``subset``, done in ``edges_low`` (and the
    in-cache path's 1 / c_g in ``column_high``).
    """
    memset(sets, 0, sizeof(Bracket))
    sets.level = w.gather_level
    sets.counts = w.band_low
    sets.sums = w.band_high
    sets.above_min = w.histogram_low
    sets.below_max = w.histogram_high
    sets.units = w.bucket_cursor
    sets.listed = w.subset
    sets.done = <unsigned char*> w.edges_low
    sets.blocks = blocks


cdef bint _alloc_bracket(Bracket* b, Py_ssize_t n_groups) noexcept nogil:
    """Every per-group array in one block: one slot of the kept work memory."""
    cdef Py_ssize_t g = n_groups if n_groups > 0 else 1
    cdef double* block = <double*> malloc(g * (12 * sizeof(double) + 4 * sizeof(Py_ssize_t) + 2))
    cdef Py_ssize_t* indices
    b.level = block
    b.blocks = False
    b.event_value = NULL
    b.event_capacity = 0
    b.solve_theta = NULL
    if block == NULL:
        return False
    b.counts = block + g
    b.sums = block + 2 * g
    b.above_min = block + 3 * g
    b.below_max = block + 4 * g
    b.count_lo = block + 5 * g
    b.sum_lo = block + 6 * g
    b.outside_lo = block + 7 * g
    b.above_lo = block + 8 * g
    b.count_hi = block + 9 * g
    b.inside_hi = block + 10 * g
    b.outside_hi = block + 11 * g
    indices = <Py_ssize_t*> (block + 12 * g)
    b.units = indices
    b.listed = indices + g
    b.event_start = indices + 2 * g
    b.event_count = indices + 3 * g
    b.done = <unsigned char*> (indices + 4 * g)
    b.zero_hi = b.done + g
    return True


cdef void _free_bracket(Bracket* b) noexcept nogil:
    free(b.level)
    free(b.event_value)
    free(b.solve_theta)


cdef inline double _level_lower_bound(const GroupLists* lists, Py_ssize_t g,
                                      double theta) noexcept nogil:
    """max((S_g - theta) / n, M_g - theta, 0) <= mu_g(theta)."""
    cdef double low = (lists.sums[g] - theta) / lists.group_size
    cdef double by_max = lists.maxima[g] - theta
    low = by_max if by_max > low else low
    return low if low > 0.0 else 0.0


cdef void _next_panel(NextPanel* job, const floating[:, :] y, Py_ssize_t stride,
                      Py_ssize_t first, Py_ssize_t end, Py_ssize_t n_groups,
                      Py_ssize_t n_rows) noexcept nogil:
    """Set ``job`` to the lines of columns ``first:end`` (the next panel) in every row.

    The panels of column groups are a row stride apart, beyond what the
    hardware prefetchers follow: asked for while the panel before is read
    again in cache, they arrive in time (issue 14, 100 x 100000 at 10 % and
    50 % of the norm, thread time, five alternations: 3-6 % faster in all,
    both dtypes).  Into L1, with panels of 32 KiB rather than 64 (an AMD Zen
    5, whose L1 holds 48 KiB, two alternations of old and new builds, at 10
    % and 50 % of the norm: float32 100 x 100000, 64 x 200000 and 200 x
    50000 0.94-0.98 of the time; float64 0.92-1.02; into L2 with 64 KiB
    panels, as measured first on a Zen 3, or into L1 with 64 KiB, slower).
    Into L2 only elsewhere than on the Zen 5 and later (``_panels_into_l1``:
    an AMD Zen 4, 32 KiB of L1, single calls interleaved in one process
    against the build before, float64 100 x 100000, 64 x 200000 and 200 x
    50000 at radii keeping 50 and 90 % of bilevel_l1inf's groups and at 10
    and 50 % of the norm: 0.85-0.89 of the time; 64 or 16 KiB panels into
    L2 no faster).
    Not all at once (``prefetch_rows``, ``_prefetch.h``): a burst
    of a thousand prefetches fills the queue of misses and stalls the pass
    behind it.  A third of the rows during each pass over the panel before,
    a share after every _PREFETCH_UNITS units read: four alternations of old
    and new builds, the panels' phase 0.79-0.85 of the burst's time, the call
    0.87-0.95 (a third before each pass: 0.91-0.94; half or a quarter
    during each pass, or two panels ahead, no better).
    """
    end = end if end < n_groups else n_groups
    job.base = <const char*> &y[0, 0]
    job.stride = stride
    job.first = first * sizeof(floating)
    job.end = end * sizeof(floating)
    job.row = 0
    job.n_rows = n_rows if first < end else 0
    job.lines = NULL
    job.into_l1 = _panels_into_l1


cdef void _prefetch_strips(const floating* y, Py_ssize_t stride, const Py_ssize_t* strips,
                           Py_ssize_t n_strips, Py_ssize_t n_rows) noexcept nogil:
    """Prefetch the lines of ``n_strips`` strips (of the lanes layout) in every row, into L2."""
    cdef const char* row
    cdef Py_ssize_t i, k
    for i in range(n_rows):
        row = <const char*> row_at(y, stride, i)
        for k in range(n_strips):
            prefetch_l2(row + strips[k] * sizeof(floating))
            prefetch_l2(row + (strips[k] + SKP_SMALL_STRIP) * sizeof(floating) - 1)


cdef void _pass_listed(const floating* y, int layout, Py_ssize_t stride,
                       Py_ssize_t n_groups, Py_ssize_t group_size, Bracket* b,
                       Py_ssize_t n_listed, NextPanel* next_panel) noexcept nogil:
    """One pass over the units of b.listed at their levels (``_small_pass``).

    With ``next_panel``, a third of its rows prefetched, a share after every
    _PREFETCH_UNITS units read.  Without, the units are the sample's, far
    apart: each chunk's successor is prefetched while the chunk is read
    (issue 14, four alternations: 100 x 100000 float64, the sample's phase
    0.59-0.69 of its time before; float32, since the sample takes runs of
    four strips, whole lines, 0.65-0.8 on 100 x 100000, 64 x 200000 and
    200 x 50000, where single strips, half lines, took 1.1-1.2).
    """
    cdef Py_ssize_t idx = 0, per_chunk
    if next_panel == NULL:
        if layout == SMALL_LANES:
            _small_pass_ahead(y, stride, n_groups, group_size, b.listed, n_listed, b.level,
                              b.counts, b.sums, b.above_min, b.below_max, b.blocks)
        else:
            _small_pass(y, layout, stride, n_groups, group_size, b.listed, n_listed, b.level,
                        b.counts, b.sums, b.above_min, b.below_max)
        return
    per_chunk = ((next_panel.n_rows + 2) // 3 * _PREFETCH_UNITS + n_listed - 1) // n_listed
    while idx < n_listed:
        _small_pass(y, layout, stride, n_groups, group_size, b.listed + idx,
                    min(n_listed - idx, _PREFETCH_UNITS), b.level, b.counts, b.sums,
                    b.above_min, b.below_max, b.blocks)
        prefetch_rows(next_panel, per_chunk)
        idx += _PREFETCH_UNITS


cdef bint _exact_levels(const floating* y, int layout, Py_ssize_t stride,
                        Py_ssize_t n_groups, Py_ssize_t group_size, Bracket* b,
                        const Py_ssize_t* units, Py_ssize_t n_units,
                        double theta, NextPanel* next_panel) noexcept nogil:
    """mu_g(theta) for every group of ``units`` not done, from the lower bounds in b.level.

    Newton from the left on h_g(mu) = theta, one pass of the in-cache path per
    step over the units still moving (in cache when the units are); a start
    above mu_g(theta) (but below M_g) costs one more step.  On
    return b.counts, b.sums, b.above_min and b.below_max hold the set at each
    level; a level of 0 means mu_g(theta) = 0.  False when a group does not
    settle in _LEVEL_STEPS steps.  A third of the rows of ``next_panel`` are
    prefetched during each pass; NULL: the units are the sample's, far apart.
    """
    cdef Py_ssize_t width = SKP_SMALL_STRIP if layout == SMALL_LANES else 1
    cdef Py_ssize_t step, idx, g, end, n_listed = 0
    cdef bint moving
    for idx in range(n_units):
        g = units[idx]
        end = g + width if g + width < n_groups else n_groups
        moving = False
        while g < end:
            moving = moving or not b.done[g]
            g += 1
        b.listed[n_listed] = units[idx]
        n_listed += moving
    for step in range(_LEVEL_STEPS):
        if n_listed == 0:
            return True
        _stats[1] += n_listed
        _pass_listed(y, layout, stride, n_groups, group_size, b, n_listed, next_panel)
        # The units still moving stay listed, in order.  (The interval of
        # the set is a certificate whichever side the level came from:
        # Newton from above lands below mu_g(theta) in one step.)
        n_units = n_listed
        n_listed = 0
        for idx in range(n_units):
            g = b.listed[idx]
            end = g + width if g + width < n_groups else n_groups
            moving = skp_small_newton(g, end, theta, b.counts, b.sums, b.above_min,
                                      b.below_max, b.level, b.done, _small_simd)
            if moving and b.blocks and step >= _TIE_STEPS:
                moving = _settle_ties(b, g, end)
            b.listed[n_listed] = g
            n_listed += moving
    return n_listed == 0


cdef inline bint _at_tie(const Bracket* b, Py_ssize_t g, double* level) noexcept nogil:
    """Whether ``level`` lies within the rounding of float32's block sums of the
    interval of group g's set (``_TIE_SHARE``); if so it is moved into it.

    A level at an entry (a breakpoint) is that entry whichever side holds it,
    but with sums exact only to float32's rounding, the Newton step from the
    set with the entry can land just above it and the step from the set
    without just below: the group goes back and forth between the two sets.
    (Issue 14, an Intel Xeon: on 100 x 100000 float32 Gaussian matrices, about
    one call in six at 10 and 50 % of the norm handed over to the general
    path, twice as slow, before.)  The projection is the same within that
    rounding with either set: the level goes to the interval's end.
    """
    cdef double tie
    if not b.counts[g] > 0.0:
        return False
    tie = _TIE_SHARE * b.sums[g] / b.counts[g]
    if not (b.below_max[g] - tie <= level[0] <= b.above_min[g] + tie):
        return False
    level[0] = (b.below_max[g] if level[0] < b.below_max[g]
                else b.above_min[g] if level[0] > b.above_min[g] else level[0])
    return True


cdef Py_ssize_t _settle_moved_ties(Bracket* sets, Py_ssize_t n_groups, Py_ssize_t width,
                                   Py_ssize_t* listed, Py_ssize_t n_listed) noexcept nogil:
    """The in-cache path's moving groups at a tie (``_at_tie``) settled, their
    levels moved just inside their sets' intervals; how many units of
    ``width`` groups of ``listed`` (in order: strips of the lanes layout,
    groups of the groups layout) still move.

    As the sampled-bracket path's groups (``_settle_ties``), a float32 group
    whose level sits at one of its entries can go back and forth between the
    sets with and without it, and the passes with it, each moving theta by an
    ulp: issue 14, Student t(3) 32 x 1000000 float32 at 10 % of the norm,
    one strip of 125000 moved on every pass from the sixth, until the path
    declined after its last (the general path then took 58 times
    ``bilevel_l1inf``'s time).  A level moves into [below_max, above_min),
    the interval where the pass's set holds (``skp_small_moved``).
    """
    cdef Py_ssize_t idx, g, end, n = 0
    cdef bint moving
    for idx in range(n_listed):
        end = listed[idx] + width
        end = end if end < n_groups else n_groups
        moving = False
        for g in range(listed[idx], end):
            if sets.below_max[g] > sets.level[g] or sets.level[g] >= sets.above_min[g]:
                if sets.level[g] > 0.0 and _at_tie(sets, g, &sets.level[g]):
                    if sets.level[g] >= sets.above_min[g]:
                        sets.level[g] = nextafter(sets.above_min[g], 0.0)
                else:
                    moving = True
        listed[n] = listed[idx]
        n += moving
    return n


cdef bint _settle_ties(Bracket* b, Py_ssize_t g0, Py_ssize_t end) noexcept nogil:
    """The groups g0:end not done whose Newton step lies at a tie (``_at_tie``)
    settle on their pass's set; whether any is still moving."""
    cdef Py_ssize_t g
    cdef bint moving = False
    for g in range(g0, end):
        if not b.done[g]:
            b.done[g] = b.level[g] > 0.0 and _at_tie(b, g, &b.level[g])
            moving = moving or not b.done[g]
    return moving


cdef enum:
    # The guesses' fit (``_fit_levels``): the intercept at 0, the features'
    # slopes after it, then these.
    _FIT_INV_COUNT = MAX_FEATURES + 1   # the mean of 1 / c_g
    _FIT_THETA = MAX_FEATURES + 2       # the theta it was made at
    _FIT_SIZE = MAX_FEATURES + 3


cdef inline void _no_fit(double* fit) noexcept nogil:
    """No fit: fit[0] = -inf (every guess is then its lower bound), the rest 0.

    (Every entry set: ``_level_guess`` reads them all, and a stale one from
    the stack read as NaN or inf would still give the lower bound, but
    valgrind rightly flags the branch on it.)
    """
    memset(fit, 0, _FIT_SIZE * sizeof(double))
    fit[0] = -INFINITY


cdef void _fit_levels(const GroupLists* lists, const Bracket* b, int layout,
                      Py_ssize_t n_units, double theta, double* fit) noexcept nogil:
    """Least squares mu_g ~ fit[0] + the features' slopes (``group_features``).

    Over the sampled groups kept; a feature step 1 did not take has slope 0.
    fit[_FIT_INV_COUNT]: the mean of 1 / c_g there; fit[_FIT_THETA]: theta.
    A fit that cannot be made leaves fit[0] = -inf (the guesses are then the
    lower bounds).
    """
    cdef Py_ssize_t width = SKP_SMALL_STRIP if layout == SMALL_LANES else 1
    cdef Py_ssize_t k = 1 + feature_count(lists), idx, u, g, end, i, j
    # (the normal equations, k rows of k + 1: the right-hand side last)
    cdef double a[(MAX_FEATURES + 1) * (MAX_FEATURES + 2)]
    cdef double v[MAX_FEATURES + 1]
    cdef double n = 0.0
    memset(a, 0, sizeof(a))
    _no_fit(fit)        # (until the fit is made)
    fit[_FIT_THETA] = theta
    v[0] = 1.0
    for idx in range(n_units):
        u = b.units[idx]
        end = u + width if u + width < lists.n_groups else lists.n_groups
        for g in range(u, end):
            if b.level[g] <= 0.0:
                continue
            group_features(lists, g, &v[1])
            for i in range(k):
                for j in range(k):
                    a[i * (k + 1) + j] += v[i] * v[j]
                a[i * (k + 1) + k] += v[i] * b.level[g]
            fit[_FIT_INV_COUNT] += 1.0 / b.counts[g]
            n += 1.0
    if n < 8 or not solve_linear(a, k):
        return
    fit[_FIT_INV_COUNT] /= n
    for i in range(k):
        fit[i] = a[i * (k + 1) + k]


cdef inline double _level_guess(const GroupLists* lists, Py_ssize_t g, const double* fit,
                                double theta) noexcept nogil:
    """A start for mu_g(theta): the fit (``_fit_levels``) moved along its mean slope.

    The lower bound when that is not in [lower bound, M_g) (a start at M_g or
    above would count no entry).
    """
    cdef double low = _level_lower_bound(lists, g, theta)
    cdef double guess = fit[0] - (theta - fit[_FIT_THETA]) * fit[_FIT_INV_COUNT]
    cdef Py_ssize_t k
    # (each feature as it is read: through an array, the compiler loaded two
    # stored features as one vector, a store-forwarding stall that held a
    # fifth of bracket_project's own samples; issue 14, perf)
    for k in range(feature_count(lists)):
        guess += fit[1 + k] * group_feature(lists, g, k)
    return guess if low < guess < lists.maxima[g] else low


cdef struct PackedSample:
    # The sampled strips of the lanes layout copied side by side, in order: a
    # matrix of group_size rows, n_columns columns and ``stride`` bytes a row
    # (``values``, NULL where not copied).  ``levels`` holds their passes'
    # arrays, indexed by column of the copy, and the units' starts there (its
    # arrays lie in the block that ``values`` starts: one free).
    void* values
    Py_ssize_t n_columns
    Py_ssize_t stride
    Bracket levels


cdef void _pack_sample(const floating[:, :] y, Py_ssize_t stride, Py_ssize_t n_groups,
                       Py_ssize_t group_size, const Py_ssize_t* units, Py_ssize_t n_units,
                       PackedSample* packed) noexcept nogil:
    """Copy the strips ``units`` of the lanes layout side by side (see ``PackedSample``).

    The sampled runs lie far apart, in rows a row stride apart: each Newton
    step read them again from all over the matrix.  Copied once (a sixteenth
    of the matrix), the steps read them in order, from cache (issue 14, a
    Zen 3, single calls alternated, best of nine, the sample's phase and the
    call: 100 x 100000 float64 at 10 and 50 % of the norm 4.1 -> 3.9 and
    4.8 -> 4.5 ms, the call 0.98 and 0.89 of its time; 100000 x 100 float64
    (F order) 5.2 -> 3.7 and 5.5 -> 3.8 ms, 0.89 and 0.97; 200 x 50000
    float32 at 50 % 5.9 -> 4.4 ms, 0.96; 100 x 100000 float32 0.97-0.99;
    64 x 200000 float32 even).  Nothing is copied (values NULL) when memory
    runs out: the steps read the matrix then.
    """
    cdef Py_ssize_t n_columns = 0, idx, i, u, run_end, column
    cdef Py_ssize_t item = sizeof(floating), values_bytes
    cdef char* block
    cdef const char* row
    cdef Bracket* s = &packed.levels
    for idx in range(n_units):
        n_columns += min(units[idx] + SKP_SMALL_STRIP, n_groups) - units[idx]
    values_bytes = (group_size * n_columns * item + 63) // 64 * 64
    block = <char*> malloc(values_bytes + n_columns * (5 * sizeof(double) + 1)
                           + 2 * n_units * sizeof(Py_ssize_t))
    packed.values = block
    if block == NULL:
        return
    packed.n_columns = n_columns
    packed.stride = n_columns * item
    s.level = <double*> (block + values_bytes)
    s.counts = s.level + n_columns
    s.sums = s.counts + n_columns
    s.above_min = s.sums + n_columns
    s.below_max = s.above_min + n_columns
    s.units = <Py_ssize_t*> (s.below_max + n_columns)
    s.listed = s.units + n_units
    s.done = <unsigned char*> (s.listed + n_units)
    column = 0
    for idx in range(n_units):
        s.units[idx] = column
        column += min(units[idx] + SKP_SMALL_STRIP, n_groups) - units[idx]
    for i in range(group_size):
        row = <const char*> row_at(&y[0, 0], stride, i)
        idx = 0
        while idx < n_units:
            # (a run of adjacent strips in one copy)
            u = units[idx]
            column = s.units[idx]
            run_end = min(u + SKP_SMALL_STRIP, n_groups)
            idx += 1
            while idx < n_units and units[idx] == run_end:
                run_end = min(run_end + SKP_SMALL_STRIP, n_groups)
                idx += 1
            memcpy(block + i * packed.stride + column * item, row + u * item,
                   (run_end - u) * item)


cdef inline void _copy_set(Bracket* dst, Py_ssize_t i, const Bracket* src,
                           Py_ssize_t j) noexcept nogil:
    """A group's level, flag and set at that level from src's entry j to dst's entry i."""
    dst.level[i] = src.level[j]
    dst.done[i] = src.done[j]
    dst.counts[i] = src.counts[j]
    dst.sums[i] = src.sums[j]
    dst.above_min[i] = src.above_min[j]
    dst.below_max[i] = src.below_max[j]


cdef void _move_sets(Bracket* b, PackedSample* packed, Py_ssize_t n_units, Py_ssize_t n_groups,
                     bint into_copy) noexcept nogil:
    """Each sampled group's level and set from ``b`` to the copy (``into_copy``), or back."""
    cdef Py_ssize_t idx, g, q
    for idx in range(n_units):
        q = packed.levels.units[idx]
        for g in range(b.units[idx], min(b.units[idx] + SKP_SMALL_STRIP, n_groups)):
            if into_copy:
                _copy_set(&packed.levels, q, b, g)
            else:
                _copy_set(b, g, &packed.levels, q)
            q += 1


cdef bint _sample_levels(const floating[:, :] y, int layout, Py_ssize_t stride,
                         Py_ssize_t n_groups, Py_ssize_t group_size, Bracket* b,
                         PackedSample* packed, Py_ssize_t n_units,
                         double theta) noexcept nogil:
    """``_exact_levels`` on the sampled units b.units, from their copy where there is one.

    The copy's passes take the same entries in the same order: the same
    sets, sums and levels, copied back into ``b`` by group.
    """
    cdef bint settled
    if packed.values == NULL:
        return _exact_levels(&y[0, 0], layout, stride, n_groups, group_size, b, b.units,
                             n_units, theta, NULL)
    _move_sets(b, packed, n_units, n_groups, True)
    packed.levels.blocks = b.blocks
    settled = _exact_levels(<const floating*> packed.values, SMALL_LANES, packed.stride,
                            packed.n_columns, group_size, &packed.levels,
                            packed.levels.units, n_units, theta, NULL)
    _move_sets(b, packed, n_units, n_groups, False)
    return settled


cdef bint _sample_theta(const floating[:, :] y, int layout, Py_ssize_t stride,
                        GroupLists* lists, Bracket* b, double eta, double all_max,
                        Py_ssize_t every, double* theta, double* spread, double* fit,
                        double* kept_share) noexcept nogil:
    """Estimate theta^* on every ``every``-th run of _SAMPLE_RUN units, and its standard error.

    The sample's problem has the radius eta times its share of sum_g M_g
    (``all_max``);
    Newton from ``theta`` on its F (exact levels at each step, started from
    ``fit``, ``_level_guess``), stopped once its step is a small part of the
    standard error: the estimate goes to ``theta``.  ``spread`` is that
    standard error (of the estimate of F from the sample, divided by the
    slope of F) plus twice the last step.  ``fit`` receives the fit at the
    estimate (``_fit_levels``), ``kept_share`` the share of the sampled
    groups kept there.  False when the sample has no kept group.
    """
    cdef Py_ssize_t n_groups = lists.n_groups, group_size = lists.group_size
    cdef Py_ssize_t width = SKP_SMALL_STRIP if layout == SMALL_LANES else 1
    cdef Py_ssize_t n_units = 0, n_sample = 0, u, g, end
    cdef double sample_max = 0.0, t = theta[0]
    cdef PackedSample packed
    cdef bint found
    packed.values = NULL
    u = 0
    while u < n_groups:
        if (u // width) // _SAMPLE_RUN % every == 0:
            b.units[n_units] = u
            n_units += 1
            end = u + width if u + width < n_groups else n_groups
            for g in range(u, end):
                sample_max += lists.maxima[g]
                n_sample += 1
                b.level[g] = _level_guess(lists, g, fit, t)
                b.done[g] = lists.sums[g] <= t
                if b.done[g]:
                    b.level[g] = 0.0
        u += width
    if sample_max <= 0.0 or n_sample < 2:
        return False
    if layout == SMALL_LANES and _copy_sample:
        _pack_sample(y, stride, n_groups, group_size, b.units, n_units, &packed)
    found = _sample_newton(y, layout, stride, lists, b, &packed, n_units, n_sample,
                           eta * sample_max / all_max, theta, spread, fit, kept_share)
    free(packed.values)
    return found


cdef bint _sample_newton(const floating[:, :] y, int layout, Py_ssize_t stride,
                         GroupLists* lists, Bracket* b, PackedSample* packed,
                         Py_ssize_t n_units, Py_ssize_t n_sample, double eta_s,
                         double* theta, double* spread, double* fit,
                         double* kept_share) noexcept nogil:
    """``_sample_theta``'s Newton steps on the sample's F, radius ``eta_s``."""
    cdef Py_ssize_t n_groups = lists.n_groups, group_size = lists.group_size
    cdef Py_ssize_t width = SKP_SMALL_STRIP if layout == SMALL_LANES else 1
    cdef Py_ssize_t u, g, end, it, idx
    cdef double t = theta[0], new = t, p, q, level
    cdef double total, square, low, error = INFINITY, kept = 0.0
    cdef double scale = (<double> n_groups) / n_sample
    for it in range(_SAMPLE_STEPS):
        _stats[0] += 1
        if not _sample_levels(y, layout, stride, n_groups, group_size, b, packed, n_units, t):
            return False
        p = 0.0
        q = 0.0
        total = 0.0
        square = 0.0
        kept = 0.0
        for idx in range(n_units):
            u = b.units[idx]
            end = u + width if u + width < n_groups else n_groups
            for g in range(u, end):
                total += b.level[g]
                square += b.level[g] * b.level[g]
                if b.level[g] > 0.0:
                    p += b.sums[g] / b.counts[g]
                    q += 1.0 / b.counts[g]
                    kept += 1.0
        if q <= 0.0:
            return False
        new = (p - eta_s) / q
        # The standard error of F's estimate (N / n) sum mu_g over the sample,
        # over the slope of F.
        square = (square - total * total / n_sample) / (n_sample - 1)
        error = (sqrt(square if square > 0.0 else 0.0) * sqrt(n_sample)
                 * sqrt(1.0 - 1.0 / scale)) / q
        if fabs(new - t) <= 0.25 * error:
            break
        # mu_g is convex and decreasing: its tangent at t bounds it below.
        for idx in range(n_units):
            u = b.units[idx]
            end = u + width if u + width < n_groups else n_groups
            for g in range(u, end):
                low = _level_lower_bound(lists, g, new)
                if b.level[g] > 0.0:
                    level = b.level[g] - (new - t if new > t else 0.0) / b.counts[g]
                    low = level if level > low else low
                b.level[g] = low
                b.done[g] = lists.sums[g] <= new
                if b.done[g]:
                    b.level[g] = 0.0
        t = new
    else:
        return False
    _fit_levels(lists, b, layout, n_units, t, fit)
    theta[0] = new
    spread[0] = error + 2.0 * fabs(new - t)
    kept_share[0] = kept / n_sample
    return True


cdef Py_ssize_t _band_entries(const floating[:, :] y, int layout, Py_ssize_t stride,
                              Py_ssize_t g, Py_ssize_t length, double low, double high,
                              double* out) noexcept nogil:
    """Write the magnitudes of group g in (low, high] to ``out``; their number."""
    cdef Py_ssize_t i, n = 0
    cdef const floating* base = &y[0, 0]
    cdef const floating* group
    cdef double a
    if layout == SMALL_LANES:
        for i in range(length):
            a = fabs(row_at(base, stride, i)[g])
            out[n] = a
            n += (a > low) & (a <= high)
    else:
        group = row_at(base, stride, g)
        for i in range(length):
            a = fabs(group[i])
            out[n] = a
            n += (a > low) & (a <= high)
    return n


cdef int _descending(const void* a, const void* b) noexcept nogil:
    cdef double x = (<const double*> a)[0], z = (<const double*> b)[0]
    return (x < z) - (x > z)


cdef inline void _sort_descending(double* values, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i, j
    cdef double v
    if n > 32:
        qsort(values, n, sizeof(double), _descending)
        return
    for i in range(1, n):
        v = values[i]
        j = i
        while j > 0 and values[j - 1] < v:
            values[j] = values[j - 1]
            j -= 1
        values[j] = v


cdef bint _group_events(const floating[:, :] y, int layout, Py_ssize_t stride,
                        Py_ssize_t group_size, Bracket* b, Py_ssize_t g,
                        Py_ssize_t* n_events) noexcept nogil:
    """Append group g's entries between its sets at theta_lo and theta_hi, largest first.

    One or two of them are the ends of those sets' intervals; more are read
    from the group (in cache).  False when they do not add up (rounding at a
    tie: the caller hands over to the general path) or memory runs out.
    """
    # (A group zero at theta_hi may not have been read there: its count_hi
    # and outside_hi are not read.)
    cdef bint zero_hi = b.zero_hi[g]
    cdef Py_ssize_t k = 0 if zero_hi else <Py_ssize_t> (b.count_hi[g] - b.count_lo[g])
    cdef Py_ssize_t pos = n_events[0], n
    cdef double low = 0.0 if zero_hi else b.outside_hi[g]
    b.event_start[g] = pos
    b.event_count[g] = 0
    if not zero_hi and k <= 0:
        return k == 0
    if not grow(<void**> &b.event_value, &b.event_capacity, pos + group_size,
                sizeof(double), pos):
        return False
    if zero_hi or k > 2:
        n = _band_entries(y, layout, stride, g, group_size, low, b.outside_lo[g],
                          &b.event_value[pos])
        if not zero_hi and n != k:
            return False
        _sort_descending(&b.event_value[pos], n)
        k = n
    elif k == 1:
        if b.outside_lo[g] != b.inside_hi[g]:
            return False
        b.event_value[pos] = b.outside_lo[g]
    else:
        if not (b.outside_lo[g] >= b.inside_hi[g] > low):
            return False
        b.event_value[pos] = b.outside_lo[g]
        b.event_value[pos + 1] = b.inside_hi[g]
    b.event_count[g] = k
    n_events[0] = pos + k
    return True


cdef inline bint _too_many_events(Py_ssize_t n_events, Py_ssize_t n_read,
                                  Py_ssize_t n_groups, Py_ssize_t group_size,
                                  bint* committed) noexcept nogil:
    """Whether ``_bracket_levels`` hands over, its panels having read the
    groups before ``n_read`` and found ``n_events``.

    The first panels decide: once they have read a sixteenth of the groups,
    the path hands over if their events pass _BRACKET_EVENT_SHARE of their
    entries, else it is ``committed``, and hands over later only past twice
    that share of all the entries (a matrix whose first groups misled).
    Heavy tails spread their events over every panel: the first sixteenth
    tells what the whole would hold, where the share of all the entries had
    been reached a panel after another, a third of the matrix read or all of
    it before the path handed over (issue 14, an AMD Zen 5, float64 column
    groups, Student t(3) 40 x 250000 at 10 % of the groups kept: 16 ms of a
    44 ms call; 100 x 100000 at half of them kept, 5.5 % of the entries, the
    whole matrix read: 10.8 times bilevel_l1inf's time, 4.9 by the general
    path).
    """
    cdef double share = _BRACKET_EVENT_SHARE * group_size
    if share <= 0.0:
        return False
    if committed[0]:
        return n_events > 2.0 * share * n_groups
    if 16 * n_read < n_groups:
        return n_events > share * (n_groups // 16)
    committed[0] = True
    return n_events > share * n_read


cdef bint _bracket_levels(const floating[:, :] y, int layout, Py_ssize_t stride,
                          GroupLists* lists, Bracket* b, double theta_lo, double theta_hi,
                          const double* fit,
                          Py_ssize_t* n_events) noexcept nogil:
    """Every group's sets at theta_lo and theta_hi and the events between, a panel at a time.

    A panel of units is read from memory once: its later passes find it in
    cache; False (the path hands over) where the events are too many
    (``_too_many_events``).  Groups with S_g <= theta_lo are
    zero over the whole bracket
    (count_lo = 0, no event).  (Each group moving on to theta_lo as soon as
    it had found mu_g(theta_hi), in the same passes as the groups still
    looking, rather than after the whole panel: the same bits, 4-11 % fewer
    strips read on 100 x 100000 and 64 x 200000, but no faster, its steps
    taken group by group in Cython; issue 14, single calls interleaved.)
    """
    cdef Py_ssize_t n_groups = lists.n_groups, group_size = lists.group_size
    cdef Py_ssize_t width = SKP_SMALL_STRIP if layout == SMALL_LANES else 1
    cdef Py_ssize_t per_panel = _PANEL_BYTES // (group_size * width * sizeof(floating))
    cdef Py_ssize_t u0, u, g, end, n_units, idx
    cdef bint candidate, any_candidate, committed = False
    cdef NextPanel next_panel
    cdef double level
    no_next_panel(&next_panel)      # (no prefetch but in the lanes layout)
    per_panel = per_panel if per_panel > 1 else 1
    n_events[0] = 0
    u0 = 0
    while u0 < n_groups:
        n_units = 0
        u = u0
        while u < n_groups and n_units < per_panel:
            end = u + width if u + width < n_groups else n_groups
            any_candidate = False
            for g in range(u, end):
                candidate = lists.sums[g] > theta_lo
                any_candidate = any_candidate or candidate
                b.count_lo[g] = 0.0
                b.event_count[g] = 0
                b.zero_hi[g] = lists.sums[g] <= theta_hi
                b.done[g] = b.zero_hi[g]
                b.level[g] = (0.0 if b.zero_hi[g]
                              else _level_guess(lists, g, fit, theta_hi))
            b.units[n_units] = u
            n_units += any_candidate
            u = end
        u0 = u
        if layout == SMALL_LANES:
            _next_panel(&next_panel, y, stride, u0, u0 + per_panel * width, n_groups,
                        group_size)
        if n_units == 0:
            prefetch_rows(&next_panel, group_size)
            continue
        if not _exact_levels(&y[0, 0], layout, stride, n_groups, group_size, b, b.units,
                             n_units, theta_hi, &next_panel):
            return False
        for idx in range(n_units):
            u = b.units[idx]
            end = u + width if u + width < n_groups else n_groups
            for g in range(u, end):
                b.zero_hi[g] = b.level[g] <= 0.0
                b.count_hi[g] = b.counts[g]
                b.inside_hi[g] = b.above_min[g]
                b.outside_hi[g] = b.below_max[g]
                b.done[g] = lists.sums[g] <= theta_lo
                if not (b.done[g] or b.zero_hi[g]):
                    # The Newton step for theta_lo from the set at mu_g(theta_hi),
                    # without a pass: often already exact (no event between).
                    level = (b.sums[g] - theta_lo) / b.counts[g]
                    b.level[g] = level
                    b.done[g] = b.below_max[g] <= level <= b.above_min[g]
        if not _exact_levels(&y[0, 0], layout, stride, n_groups, group_size, b, b.units,
                             n_units, theta_lo, &next_panel):
            return False
        for idx in range(n_units):
            u = b.units[idx]
            end = u + width if u + width < n_groups else n_groups
            for g in range(u, end):
                if lists.sums[g] <= theta_lo:
                    continue
                if b.level[g] <= 0.0:
                    return False
                b.count_lo[g] = b.counts[g]
                b.sum_lo[g] = b.sums[g]
                b.outside_lo[g] = b.below_max[g]
                b.above_lo[g] = b.above_min[g]
                if not _group_events(y, layout, stride, group_size, b, g, n_events):
                    return False
        if _too_many_events(n_events[0], u0, n_groups, group_size, &committed):
            return False
        prefetch_rows(&next_panel, group_size)     # (the rows left, if any)
    return True


cdef inline void _event_step(double* total, double* count, double* inverse, double value,
                             double* theta, double* intercept, double* slope) noexcept nogil:
    """An entry ``value`` joins a set (sum ``total``, ``count`` entries, ``inverse`` = 1 / count).

    mu_g = (total - theta) / count crosses ``value`` at theta = total -
    count * value; beyond, the set has one more entry: F's intercept and
    slope change by ``intercept`` and ``slope``.
    """
    cdef double new_inverse
    theta[0] = total[0] - count[0] * value
    intercept[0] = -total[0] * inverse[0]
    slope[0] = -inverse[0]
    total[0] += value
    count[0] += 1.0
    new_inverse = 1.0 / count[0]
    intercept[0] += total[0] * new_inverse
    slope[0] += new_inverse
    inverse[0] = new_inverse


cdef bint _bracket_solve(GroupLists* lists, Bracket* b, Py_ssize_t n_events, double eta,
                         double theta_lo, double theta_hi, double* theta_out) noexcept nogil:
    """theta^* from the events: Newton from theta_lo on F(theta) = P - theta Q.

    F is convex and piecewise linear; each step crosses the events below its
    iterate, which stays below theta^*.  False when theta^* is outside the
    bracket (or memory runs out).
    """
    cdef Py_ssize_t g, j, n = 0, kept, n_live
    cdef double p = 0.0, q = 0.0, total, count, inverse, new, theta = theta_lo
    n_live = n_events + lists.n_groups
    b.solve_theta = <double*> malloc(3 * n_live * sizeof(double))
    if b.solve_theta == NULL:
        return False
    b.solve_intercept = b.solve_theta + n_live
    b.solve_slope = b.solve_theta + 2 * n_live
    for g in range(lists.n_groups):
        if b.count_lo[g] <= 0.0:
            continue
        total = b.sum_lo[g]
        count = b.count_lo[g]
        inverse = 1.0 / count
        p += total * inverse
        q += inverse
        for j in range(b.event_start[g], b.event_start[g] + b.event_count[g]):
            _event_step(&total, &count, &inverse, b.event_value[j], &b.solve_theta[n],
                        &b.solve_intercept[n], &b.solve_slope[n])
            n += 1
        if b.zero_hi[g]:
            # The group is zero from theta = total on.
            b.solve_theta[n] = total
            b.solve_intercept[n] = -total * inverse
            b.solve_slope[n] = -inverse
            n += 1
    if q <= 0.0 or p - theta_lo * q < eta:
        return False
    _stats[3] = n
    while True:
        _stats[4] += 1
        new = (p - eta) / q
        if new > theta_hi:
            return False
        kept = 0
        for j in range(n):
            if b.solve_theta[j] <= new:
                p += b.solve_intercept[j]
                q += b.solve_slope[j]
            else:
                b.solve_theta[kept] = b.solve_theta[j]
                b.solve_intercept[kept] = b.solve_intercept[j]
                b.solve_slope[kept] = b.solve_slope[j]
                kept += 1
        if kept == n or q <= 0.0:
            break
        n = kept
        theta = new
    theta_out[0] = new
    return q > 0.0


cdef bint _bracket_sets(GroupLists* lists, Bracket* b, double eta, double* theta,
                        Py_ssize_t* n_kept) noexcept nogil:
    """Every group's set at theta, theta recomputed on them, and the check that each level fits.

    b.sums and b.counts receive the sets of the kept groups (listed in
    lists.active), b.level their levels.  Each set's sum is its sum at
    theta_lo plus its events, as the solve took it (not the passes' sum at
    theta_hi, which float32's blocks round otherwise).  False when a level
    falls outside the interval of its set (rounding at a breakpoint, but for
    float32's blocks within their rounding of it: ``_at_tie``) or a group
    zero at theta_lo is not zero at theta.  One pass over every group (the sums of
    the model taken in it, the largest S_g of the groups zero at theta_lo
    kept for the check), then one over the kept groups.  (Most of its time,
    about 1.2 ms on 10**5 groups, is the walk along each group's events,
    whose length is as good as random: issue 14, 100 x 100000.)
    """
    cdef Py_ssize_t g, j, idx, n = 0, last
    cdef double total, count, t, p = 0.0, q = 0.0, level, inverse
    cdef double upper, lower, dropped = -INFINITY
    for g in range(lists.n_groups):
        b.level[g] = 0.0
        if b.count_lo[g] <= 0.0:
            dropped = max(dropped, lists.sums[g])
            continue
        total = b.sum_lo[g]
        count = b.count_lo[g]
        upper = b.above_lo[g]
        last = b.event_start[g] + b.event_count[g]
        j = b.event_start[g]
        while j < last:
            if total - count * b.event_value[j] > theta[0]:
                break
            total += b.event_value[j]
            count += 1.0
            upper = b.event_value[j]
            j += 1
        if j < last:
            lower = b.event_value[j]
        elif b.zero_hi[g]:
            if total <= theta[0]:
                continue
            lower = 0.0
        else:
            lower = b.outside_hi[g]
        b.sums[g] = total
        b.counts[g] = count
        b.above_min[g] = upper
        b.below_max[g] = lower
        # 1 / c_g, kept for the levels.
        inverse = 1.0 / count
        b.level[g] = inverse
        p += total * inverse
        q += inverse
        lists.active[n] = g
        n += 1
    if q <= 0.0:
        return False
    t = (p - eta) / q
    for idx in range(n):
        g = lists.active[idx]
        level = (b.sums[g] - t) * b.level[g]
        if not (level > 0.0 and (b.below_max[g] <= level <= b.above_min[g]
                                 or b.blocks and _at_tie(b, g, &level))):
            return False
        b.level[g] = level
    if dropped > t:
        return False
    theta[0] = t
    n_kept[0] = n
    return True


cdef bint bracket_eligible(const floating[:, :] y, bint groups_are_rows) noexcept nogil:
    """Whether the groups of ``y`` may take the sampled-bracket path.

    Enough groups (_BRACKET_MIN_GROUPS), none too long (_BRACKET_MAX_LENGTH),
    a contiguous axis, and, by default with AVX2 alone, row groups of
    _BRACKET_AVX2_MIN_LENGTH entries or more in the groups layout.
    """
    cdef Py_ssize_t n_groups = y.shape[0] if groups_are_rows else y.shape[1]
    cdef Py_ssize_t group_size = y.shape[1] if groups_are_rows else y.shape[0]
    cdef Py_ssize_t stride
    cdef int layout = pass_layout(y, groups_are_rows, &stride)
    if not (_bracket_on and layout != 0 and n_groups >= _BRACKET_MIN_GROUPS
            and group_size <= _BRACKET_MAX_LENGTH):
        return False
    return not (_bracket_by_default and _small_simd == 1
                and (layout == SMALL_LANES or group_size < _BRACKET_AVX2_MIN_LENGTH))


cdef bint passes_before_bracket(const floating[:, :] y, bint groups_are_rows) noexcept nogil:
    """Whether groups that the sampled-bracket path would take go to the
    in-cache path's passes over the matrix instead.

    By default (``_l1inf._project_into``), wherever the path may take them
    (``bracket_eligible``: with AVX2 alone, only row groups of the groups
    layout), of either dtype, any size and any length: the passes cost less.
    First float32 groups of fewer than 256 entries with the AVX-512 passes:
    issue 14, an AMD Zen 5, times ``bilevel_l1inf`` at radii keeping 10, 50 and 90 % of
    its groups and at 10 and 50 % of the norm, this path / the passes:
    Gaussian 100 x 100000 3.97 / 2.65, 3.97 / 2.93, 4.11 / 3.15, 3.84 /
    2.69, 4.34 / 3.58; 64 x 200000 5.68 / 3.19, 4.23 / 3.27, 4.16 / 3.22,
    3.98 / 3.15, 4.19 / 3.58; 200 x 50000 3.43 / 2.42, 3.85 / 2.47, 3.80 /
    2.63, 3.76 / 2.46, 4.32 / 3.05; Student t(3) 100 x 100000 9.2 / 4.3,
    14.0 / 4.4, 8.0 / 4.7, 9.9 / 4.8, 7.2 / 4.5 (64 x 200000 and 200 x
    50000 alike); Cauchy 200 x 50000 at 50 and 90 % 19.9 / 4.1, 14.0 / 3.8.
    Row groups alike (at 1, 10, 50, 90 % kept and 10, 50 % of the norm:
    Gaussian 100000 x 100 2.29 / 2.17, 5.95 / 4.20, 2.99 / 2.62, 4.29 /
    3.50, 3.14 / 2.59, 5.97 / 5.82; 200000 x 64 and 400000 x 32 0.60-1.00
    of the time; Student t(3) 100000 x 100 23.9 / 10.3, 16.8 / 6.0, 13.0 /
    4.8, 9.0 / 6.5, 16.1 / 6.2, 8.6 / 7.0, 200000 x 64 0.44-0.78; Cauchy
    100000 x 100 at 50 and 90 % 11.7 / 4.5, 12.8 / 3.8).  That Zen 5 had
    left groups of _AHEAD_MIN_ROWS (256) entries to the path, which the
    passes read otherwise than a chunk of strips at a time (column groups,
    256 x 40000 at 10, 50, 90 % kept and 10, 50 % of the norm: 3.43 / 3.69,
    2.94 / 3.55, 3.50 / 3.98, 3.28 / 3.38, 3.70 / 4.69; but 240 x 40000
    3.07-3.99 / 2.32-2.89): see below for the Zen 4.

    Then float64 on matrices of HALVES_BYTES (16 MiB) or more, since the
    passes over a listed 16 MiB or more read the two halves of the list on
    two threads where two CPUs are free (``_small_pass``): issue 14, an AMD
    Zen 4 with 2 cores, single calls interleaved, this path / the passes at
    10, 50, 90 % of the groups kept and 10, 50 % of the norm, two threads:
    row groups 100000 x 100 0.62, 0.65, 0.70, 0.66, 0.74 of the time,
    200000 x 64 0.55-0.77; column groups (at 10, 50, 90 % kept and half the
    norm) 100 x 100000 0.60, 0.65, 0.70, 0.82, 64 x 200000 0.58, 0.70,
    0.74, 0.95, 200 x 50000 0.64-0.74.  On one thread, where the path does
    not change (the result does not depend on the threads): rows 0.69,
    0.91, 0.96, 0.93, 1.06 and 0.60, 0.78, 0.87, 0.86, 1.00; columns 0.85,
    0.91, 1.00, 1.16, 0.78, 0.97, 1.02, 1.20 and 0.86-1.00.

    Then float64 matrices under 16 MiB (one thread, but in L3) and groups of
    256 entries, which the path had kept, and took 4-7 times as long as
    ``bilevel_l1inf`` there: issue 14, the AMD Zen 4, single calls
    interleaved, the passes / this path at 10, 50, 90 % of the groups kept
    and 10, 50 % of the norm: float64 Gaussian 128 x 10000 and 10000 x 128
    0.41-0.70, 200 x 10000 and 10000 x 200 0.30-0.64, 256 x 20000 0.52-0.93;
    float32 256 x 10000 0.41-0.57, 10000 x 256 0.36-0.69, 40000 x 256
    0.50-0.68, 256 x 40000 0.53-0.96; Student t(3) 128 x 10000 float64
    0.64-0.78, 256 x 10000 and 10000 x 256 float32 0.68-0.74; at 1 % kept
    0.92-1.07 (256 x 40000 float32 1.23).  With AVX2 alone (row groups):
    10000 x 128 and 10000 x 200 float64 0.48-0.65, 10000 x 256 and 40000 x
    256 float32 0.38-0.67, t(3) 10000 x 256 0.67-0.75.  (The Zen 5's 256 x
    40000 above went the other way.)

    With AVX2 alone, the same row groups (of 64 to 255 entries: shorter
    ones are not the path's) had kept the path, whose dense-regime
    fallbacks ran where it declined.  Issue 14, the Zen 4 with AVX-512
    switched off, single calls interleaved, the passes / this path at 10,
    50, 90 % of the groups kept and 10, 50 % of the norm, two threads:
    float32 Gaussian 100000 x 100 0.64, 0.63, 0.53, 0.50, 0.64, 200000 x 64
    0.50-0.62, 50000 x 200 0.46-0.62, 40000 x 100 0.66-0.78; Student t(3)
    100000 x 100 0.72-0.80 (at 1 % kept 0.74); float64 100000 x 100 0.65-0.78,
    200000 x 64 0.55-0.72, 50000 x 200 0.59-0.80, Student t(3) 100000 x 100
    0.85-0.88 (at 1 % kept 0.52); at 1 % kept, where too few groups may be
    kept for the passes, 0.95-1.00.  One thread: float32 100000 x 100 0.65,
    0.82, 0.71, 0.73, 0.80, 200000 x 64 0.60-0.77; float64 100000 x 100
    0.73, 0.82, 0.88, 0.87, 1.03, 200000 x 64 0.62-0.97.
    """
    return (_bracket_by_default and _small_simd > 0 and _prefetch_passes
            and bracket_eligible(y, groups_are_rows))


# (see ``_kept_at_most``)
cdef double _ANY_SHARE_MIN_KEPT = 0.05
# The path declines where the groups whose M_g passes _EXTREME_FACTOR times
# the mean M_g hold _EXTREME_SHARE_MAX of sum_g M_g or more (0: never; see
# ``_extreme_share``).
cdef double _EXTREME_FACTOR = 4.0
cdef double _EXTREME_SHARE_MAX = 0.02


cdef double _extreme_share(const GroupLists* lists, double all_max) noexcept nogil:
    """The share of sum_g M_g held by the groups whose M_g passes
    _EXTREME_FACTOR times the mean M_g (``all_max``: sum_g M_g): heavy tails.

    A few groups then hold much of F, which the sample misses more often
    than not: its estimate fell 5-10 standard errors below theta^* (Student
    t(3) float64 64 x 200000 and 100 x 100000 column groups at 1 and 10 %
    of the groups kept and 10 % of the norm), and the bracket missed it, the
    whole matrix read for nothing.  Taking those groups' units whole into
    the sample set its estimate right (within 1.4 standard errors), but the
    path, once right, still lost to the general path there, and its sample
    grew (Cauchy: 2 % of the groups hold 70 % of sum_g M_g).  Where they
    hold 2 % or more (Student t(3) about 4 %, t(4) 1.2 %, t(5) 0.4 %,
    lognormal 1-2.6 %, Gaussian, Laplace and sparse matrices none), the
    path declines before its sample.  Issue 14, an AMD Zen 5, single calls
    interleaved, times bilevel_l1inf at 1, 10, 50 % of the groups kept and
    10 and 50 % of the norm, before -> after: float64 Student t(3) 64 x
    200000 11.26 5.48 5.86 5.90 4.82 -> 6.40 4.75 5.03 4.90 5.15, 100 x
    100000 9.48 6.92 6.64 7.30 4.74 -> 5.80 4.55 4.64 4.79 4.61, 40 x
    250000 5.65 5.03 5.08 5.08 5.62 -> 5.68 4.27 4.23 4.36 4.19; Cauchy
    64 x 200000 1.84 4.32 5.04 1.45 1.50 -> 1.41 3.70 4.39 1.13 1.17;
    float32 Cauchy 64 x 200000 2.48 7.35 4.92 1.96 2.13 -> 1.92 6.01 4.92
    1.44 1.53; row groups, float64 Student t(3) 100000 x 100 6.28 4.59
    2.69 3.48 3.67 -> 4.63 3.47 2.04 2.64 2.18, 250000 x 40 at 10 % kept
    and half the norm 5.28, 6.11 -> 4.09, 3.23, Cauchy 100000 x 100 0.66-0.87
    of the time (float32 Student t(3) 250000 x 40 at 1 % kept 7.70 -> 8.16,
    elsewhere within 2 %); Gaussian, Laplace and t(5) within 1-3 % (this
    loop over the maxima).
    """
    cdef Py_ssize_t g
    cdef double extreme = 0.0, bound = _EXTREME_FACTOR * all_max / lists.n_groups
    if all_max <= 0.0:
        return 0.0
    for g in range(lists.n_groups):
        if lists.maxima[g] > bound:
            extreme += lists.maxima[g]
    return extreme / all_max


cdef double _kept_at_most(const GroupLists* lists, double theta_lo) noexcept nogil:
    """The share of the groups with S_g > theta_lo: those the projection keeps
    where theta^* lies in the bracket (a group is zero from theta = S_g on).

    The sample's own share kept may not tell: heavy tails mislead its
    estimate (issue 14, an AMD Zen 5, Cauchy float64 100 x 100000 column
    groups at half the norm: 0.3 % of the groups kept, 0.6 % of their sums
    above theta_lo; the path read the matrix for its panels and wrote it by
    the clip, 22 ms, where the general path took 4).  The path then declines
    as for a sample keeping too few groups, and at any share
    (``bracket_project``'s ``any_share``) where fewer than
    _ANY_SHARE_MIN_KEPT of the groups would be kept: the dense regime's
    histograms of so few live groups cost less than the path's panels
    (the same machine, single calls interleaved, times bilevel_l1inf,
    before -> after: Cauchy float64 64 x 200000 at 1 % of the groups kept
    6.69 -> 1.96, at half the norm 4.14 -> 1.52; Gaussian 64 x 200000,
    100 x 100000 and 40 x 250000 at 1-50 % kept and 10 and 50 % of the norm
    within 1-2 %).
    """
    cdef Py_ssize_t g, above = 0
    for g in range(lists.n_groups):
        above += lists.sums[g] > theta_lo
    return above / <double> lists.n_groups if lists.n_groups else 0.0


cdef int bracket_project(const floating[:, :] y, floating[:, :] x, double eta,
                         bint groups_are_rows, Work* w, double theta_0, double* mu,
                         double* theta_out, int* rounds, bint any_share) noexcept nogil:
    """Steps 2-5 for many groups, by a sampled bracket of theta^* (see above).

    Returns the status, or (nothing written) BRACKET_FEW_KEPT where the
    sample keeps less than _BRACKET_MIN_KEPT of the groups (unless
    ``any_share``: the general path would take its dense regime), else
    SMALL_DECLINED where the layout does not suit or theta^* falls outside
    the bracket.
    """
    cdef double min_kept = 0.0 if any_share else _BRACKET_MIN_KEPT
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t n_groups = lists.n_groups, n_events = 0, n_kept = 0, g, stride
    cdef int layout = pass_layout(y, groups_are_rows, &stride)
    cdef int status = SMALL_DECLINED
    cdef double theta_s, spread, theta_lo, theta_hi, theta, all_max = 0.0
    cdef double fit[_FIT_SIZE]
    cdef double kept_share
    cdef floating* levels = <floating*> w.clip_levels
    cdef Bracket b, coarse
    cdef double clock = now()
    cdef bint settled, blocks
    for g in range(6):
        _stats[g] = 0
    if not bracket_eligible(y, groups_are_rows):
        return SMALL_DECLINED
    for g in range(n_groups):
        all_max += lists.maxima[g]
    if _EXTREME_SHARE_MAX > 0 and _extreme_share(lists, all_max) >= _EXTREME_SHARE_MAX:
        return SMALL_DECLINED
    # Free first, before any memory is taken (the general path's work memory
    # is kept from call to call): the groups with S_g > theta_0 <= theta^*
    # include the kept ones (theta_0: ``initial_lower_bound``).
    theta_s = theta_0
    kept_share = 0.0
    for g in range(n_groups):
        kept_share += lists.sums[g] > theta_s
    if kept_share < min_kept * n_groups:
        return BRACKET_FEW_KEPT
    blocks = (floating is float and layout == SMALL_LANES and _bracket_blocks
              and _blocks_fit(lists, layout, True))
    # A coarse sample first where there are enough units for it: its estimate
    # and fit start the finer one near its answer.  Where it keeps few groups
    # the general path is faster (its gather of the candidate groups).  Its
    # arrays are the general path's (``_lent_sets``).
    _no_fit(fit)
    if (n_groups // (SKP_SMALL_STRIP if layout == SMALL_LANES else 1)
            >= 64 * _COARSE_EVERY):
        _lent_sets(w, &coarse, blocks)
        if not _sample_theta(y, layout, stride, lists, &coarse, eta, all_max, _COARSE_EVERY,
                             &theta_s, &spread, fit, &kept_share):
            theta_s = theta_0
            _no_fit(fit)
        elif kept_share < min_kept:
            return BRACKET_FEW_KEPT
    if not _alloc_bracket(&b, n_groups):
        _free_bracket(&b)
        return STATUS_NOMEMORY
    b.blocks = blocks
    settled = _sample_theta(y, layout, stride, lists, &b, eta, all_max, _SAMPLE_EVERY,
                            &theta_s, &spread, fit, &kept_share)
    spread = _BRACKET_SIGMAS * spread + 1e-9 * fabs(theta_s)
    theta_lo = theta_s - spread
    theta_hi = theta_s + spread
    # theta_lo > 0: at 0 every level is M_g, with no entry above it.
    theta_lo = theta_lo if theta_lo > 0.5 * theta_s else 0.5 * theta_s
    if settled and (kept_share < min_kept or _kept_at_most(lists, theta_lo)
                    < (_ANY_SHARE_MIN_KEPT if any_share else min_kept)):
        # (at any share, a decline: the caller's dense regime then projects)
        status = SMALL_DECLINED if any_share else BRACKET_FEW_KEPT
    elif settled:
        _stats[2] = _stats[1]
        clock = lap(PHASE_GATHER, clock)
        if _bracket_levels(y, layout, stride, lists, &b, theta_lo, theta_hi, fit,
                           &n_events):
            clock = lap(PHASE_HISTOGRAMS, clock)
            if (_bracket_solve(lists, &b, n_events, eta, theta_lo, theta_hi, &theta)
                    and _bracket_sets(lists, &b, eta, &theta, &n_kept)):
                rounds[0] = 1
                for g in range(n_groups):
                    mu[g] = b.level[g]
                    levels[g] = <floating> b.level[g]
                clock = lap(PHASE_SOLVE, clock)
                _small_write(y, x, levels, lists.active, n_kept, groups_are_rows)
                lap(PHASE_WRITE, clock)
                theta_out[0] = theta
                status = STATUS_PROJECTED
                _stats[5] = 1
    _free_bracket(&b)
    return status


# ------------------------------------------------------------ testing hooks

def _set_testing(bint force_dense, bint narrow_bands, bint simd, bint avx512, bint default_on,
                 small, small_simd, Py_ssize_t small_max_bytes, int small_passes, bracket,
                 Py_ssize_t bracket_min_groups, Py_ssize_t bracket_max_length,
                 double bracket_min_kept, double bracket_sigmas, Py_ssize_t bracket_panel_bytes,
                 bint bracket_copy_sample, double bracket_event_share,
                 bint prefetch_passes, Py_ssize_t ahead_rows, bint row_block_passes=True,
                 bint bracket_blocks=True, bint bracket_ties=True, transpose_ahead=None,
                 Py_ssize_t cached_ahead_rows=8, double bracket_extreme_share=0.02,
                 bracket_into_l1=None):
    """The switches of both paths (``_l1inf._set_testing`` documents them); the level of the pass.

    ``default_on``: whether the paths run when ``small`` is None (no switch
    of the general path asks for it).  ``force_dense`` turns both off,
    ``narrow_bands`` the sampled-bracket path.
    """
    global _small_on, _small_simd, _SMALL_MAX_BYTES, _SMALL_MAX_PASSES, _bracket_on
    global _BRACKET_MIN_GROUPS, _BRACKET_MAX_LENGTH, _BRACKET_MIN_KEPT, _BRACKET_SIGMAS
    global _bracket_by_default
    global _PANEL_BYTES, _copy_sample, _BRACKET_EVENT_SHARE, _prefetch_passes, _AHEAD_ROWS
    global _row_block_passes, _bracket_blocks, _TIE_SHARE, skp_small_rows_ahead
    global _CACHED_AHEAD_ROWS, _EXTREME_SHARE_MAX, _panels_into_l1
    cdef bint small_on = (default_on and skp_small_simd_level() > 0 if small is None
                          else bool(small))
    _small_on = small_on and not force_dense
    _small_simd = skp_small_simd_level() if simd else 0
    if not avx512:
        _small_simd = min(_small_simd, 1)
    if small_simd is not None and small_simd < _small_simd:
        _small_simd = small_simd
    skp_set_avx512(_small_simd >= 2)
    _SMALL_MAX_BYTES = small_max_bytes
    _SMALL_MAX_PASSES = small_passes
    _bracket_on = ((small_on if bracket is None else bool(bracket))
                   and not force_dense and not narrow_bands)
    _BRACKET_MIN_GROUPS = bracket_min_groups
    _BRACKET_MAX_LENGTH = bracket_max_length
    _bracket_by_default = bracket is None
    _BRACKET_MIN_KEPT = bracket_min_kept
    _BRACKET_SIGMAS = bracket_sigmas
    _PANEL_BYTES = bracket_panel_bytes
    _copy_sample = bracket_copy_sample
    _BRACKET_EVENT_SHARE = bracket_event_share
    _prefetch_passes = prefetch_passes
    _AHEAD_ROWS = ahead_rows
    _row_block_passes = row_block_passes
    _bracket_blocks = bracket_blocks
    _TIE_SHARE = 2.0 ** -20 if bracket_ties else 0.0
    skp_small_rows_ahead = -1 if transpose_ahead is None else int(bool(transpose_ahead))
    _CACHED_AHEAD_ROWS = cached_ahead_rows
    _EXTREME_SHARE_MAX = bracket_extreme_share
    _panels_into_l1 = (skp_cpu_zen5_or_later() if bracket_into_l1 is None
                       else bool(bracket_into_l1))
    return _small_simd


def _bracket_panels_into_l1():
    """Testing hook: whether the sampled-bracket path prefetches its next
    panel into L1 (else into L2 alone; ``_panels_into_l1``)."""
    return bool(_panels_into_l1)


def _row_block_runs(bint reset=False):
    """Testing hook: how many passes read their strips along the rows
    (``_row_block_pass``) since the last reset; not thread-safe."""
    global _row_block_count
    runs = _row_block_count
    if reset:
        _row_block_count = 0
    return runs


def _event_verdicts(events, reads, Py_ssize_t n_groups, Py_ssize_t group_size):
    """Testing hook: ``_too_many_events`` along panels, the k-th having
    brought the groups read to ``reads[k]`` and the events to ``events[k]``
    (at the current _BRACKET_EVENT_SHARE); the first panel that hands over,
    or -1."""
    cdef bint committed = False
    for k in range(len(events)):
        if _too_many_events(events[k], reads[k], n_groups, group_size, &committed):
            return k
    return -1


def _bracket_stats(bint reset=False):
    """Benchmark hook: counts of the last sampled-bracket call (see ``_stats``;
    a call that did not reach the path leaves them as they were), which
    ``reset`` zeroes after reading them."""
    counts = [_stats[k] for k in range(6)]
    if reset:
        for k in range(6):
            _stats[k] = 0
    return counts


def _pass_sets(const floating[:, :] y, const double[::1] level, bint lanes, int simd,
               units=None, bint blocks=False, Py_ssize_t ahead=0):
    """Testing hook: one pass of the in-cache path over the groups of ``y`` at ``level``.

    ``lanes``: the groups are the columns of ``y`` (contiguous rows: the
    lanes layout, strips of SKP_SMALL_STRIP), else its rows (contiguous: the
    groups layout).  ``simd`` caps the SIMD level of the pass (as
    ``_l1inf._set_testing``'s ``small_simd``).  ``units``: the first group
    of each unit (strip, or group) to pass over, in increasing order (every
    one by default).  Returns the arrays ``counts, sums, above_min,
    below_max`` of ``_small_pass``, one entry a group (NaN where not
    passed over), and the level the pass ran at.  ``blocks``: float32's sums
    by blocks, as the in-cache path takes them;
    ``ahead``: the rows the AVX-512 loops prefetch ahead (``_small_pass``).
    """
    global _small_simd
    cdef Py_ssize_t n_groups = y.shape[1] if lanes else y.shape[0]
    cdef Py_ssize_t group_size = y.shape[0] if lanes else y.shape[1]
    cdef Py_ssize_t width = SKP_SMALL_STRIP if lanes else 1
    cdef Py_ssize_t[::1] listed = (np.arange(0, n_groups, width, dtype=np.intp) if units is None
                                   else np.array(units, dtype=np.intp))
    cdef double[:, ::1] sets = np.full((4, n_groups), np.nan)
    cdef int saved = _small_simd
    if y.strides[1] != sizeof(floating) or level.shape[0] != n_groups:
        raise ValueError("y must have contiguous rows and level one entry a group")
    if listed.shape[0] == 0 or not all(0 <= u < n_groups and u % width == 0 for u in listed):
        raise ValueError(f"units must start units of {width} groups within the {n_groups}")
    _small_simd = min(simd, skp_small_simd_level())
    try:
        _small_pass(&y[0, 0], SMALL_LANES if lanes else SMALL_GROUPS, y.strides[0], n_groups,
                    group_size, &listed[0], listed.shape[0], &level[0], &sets[0, 0],
                    &sets[1, 0], &sets[2, 0], &sets[3, 0], blocks, max(ahead, 0))
        return tuple(np.asarray(sets)) + (_small_simd,)
    finally:
        _small_simd = saved
