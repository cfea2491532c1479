# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
r"""Kernel for the group Hoyer sparse projection (GSP, Ohib, Gillis et al.).

Problem
-------
Groups :math:`y_g` (rows or columns of ``y``) of the same length ``n``, positive
weights :math:`w` (one per position in a group; all ones when unweighted),
magnitudes :math:`a = |y|` and *keys* :math:`\kappa = a / w`.  For a common
threshold :math:`t \ge 0` each group keeps

.. math::

    u_g(t) = w \odot (\kappa_g - t)_+, \qquad
    \rho_g(t) = \frac{\langle w, u_g \rangle}{\|u_g\|_2}
             = \frac{\sum v (\kappa - t)_+}{\sqrt{\sum v (\kappa - t)_+^2}},
    \quad v = w^2 ,

and the weighted Hoyer sparsity of a group is
:math:`(\|w\|_2 - \rho_g)/(\|w\|_2 - \min w)`.  The average sparsity is at least
``s`` iff :math:`g(t) = \sum_g \rho_g(t) \le K = r (\min w + (1 - s)(\|w\|_2 -
\min w))`.  Each :math:`\rho_g` is non-increasing (its derivative is
:math:`(N^2 - V D^2)/D^3 \le 0` by Cauchy-Schwarz, with :math:`N = \sum v(\kappa
- t)_+`, :math:`D^2 = \sum v (\kappa - t)_+^2`, :math:`V = \sum_{\kappa > t} v`)
and continuous except at the group's largest key :math:`\kappa_g^{\max}`: for
:math:`t \ge \kappa_g^{\max}` the group is *1-sparse* (the reference code's
convention: the first entry of largest key is kept), :math:`\rho_g = w` at that
entry, which is below the left limit when several keys tie at the maximum.  An
all-zero group stays zero and counts :math:`\rho_g = \min w` (sparsity 1).
:math:`g` is right-continuous; the kernel returns :math:`t^* = \min\{t : g(t)
\le K\}` and writes

.. math::

    x_g = \operatorname{sign}(y_g) \odot u_g(t^*) \,
          \frac{\langle a_g, u_g \rangle}{\|u_g\|_2^2},
    \qquad \frac{\langle a, u\rangle}{\|u\|^2} = 1 + \frac{t N}{D^2} .

Algorithm
---------
A pass over the matrix per evaluation of :math:`g` (the reference code) would
cost tens of passes.  Two methods, by size.

*Sampled* (more than ``HISTOGRAM_SIZE`` entries): one read to set up, work on
a small band per Newton step, one read and write to apply.

1. *Estimate.*  A sample of whole groups (about ``SAMPLE_TARGET`` keys, at most
   a ``SAMPLE_SHARE``-th of the groups: blocks
   of neighbouring groups drawn in equal strata) gives an unbiased estimate of
   :math:`g`: the number of groups times the mean :math:`\rho_g(t)` of the
   sampled ones, each computed exactly (1-sparse at :math:`t` when their top
   is).  Its root, plus or minus ``SPREAD_FACTOR`` standard errors (from the
   spread of :math:`\rho_g` over the sampled blocks), gives a bracket
   :math:`[t_L, t_U]` expected to hold :math:`t^*`.  (float32 without weights,
   AVX-512: the sampled keys stay floats and are summed by float32's band
   read: the sample costs per key, the same in both dtypes, so twice as much
   per byte in float32 when taken in doubles.)
   *Narrowing by passes.*  Where the sample puts more than ``PASS_SHARE``
   of its keys in the bracket (heavy tails: a few groups' extremes make the
   spread of :math:`\rho_g`, and so the bracket, wide; or a matrix the
   sample finds within its target), g is evaluated at ``PASS_POINTS`` (4)
   points of the bracket in a pass over the matrix (8 on a matrix in cache),
   and the bracket becomes the two points around the target (at most
   ``MAX_PASSES`` passes).  The points lie at equal shares of the sample's
   keys in the bracket (at :math:`t_L` itself when it is 0 and :math:`g(0)`
   is not known yet), so that each pass leaves about a fifth (a ninth) of the
   band.  Where the sample, or a pass from 0, finds :math:`g(0) \le K`,
   :math:`g(0)` is read in double (exact to rounding: the passes' float sums
   count a group far below the bracket :math:`\rho = 1`), and a matrix that
   meets the target is copied (unit weights; with weights the band read's
   exact check decides at 0).  Contiguous groups, AVX-512 or AVX2 with FMA
   (``_hoyer_passes.h``): a lane a group (columns) or a share of a group
   (rows), float32 summed in floats, at 0.16-0.2 ns a key at 4 points
   (0.35-0.4 in float64); weights (in y's dtype) enter each point's excess
   :math:`(|y| - t w)_+` by one FMA.  Points whose g lies within the
   passes' rounding margin of the target stay inside the bracket; the band
   read still checks its ends exactly.  Before these passes, 1000 x 10000
   Cauchy matrices took 18-150 copies of the matrix, lognormal ones (sigma
   2) 15-50, Student t(3) ones up to 16.
2. *Exact band.*  One read: the keys in :math:`(t_L, t_U)` are gathered (a
   branch taken for a few percent of the entries, on one unsigned comparison),
   those at or above :math:`t_U` are summed per group (:math:`\sum v`,
   :math:`\sum v d`, :math:`\sum v d^2` with :math:`d = \kappa - t_U \ge 0`:
   positive terms, no cancellation), those at or below :math:`t_L` are
   inactive on the bracket; the gathered keys are then sorted by group (a
   counting sort; its scatter asks for the cursors and the places they point
   to ahead).  The same read gives each group's largest key
   (NaN/inf detected here) where the AVX2 passes run without weights: the sums
   are then taken in units of :math:`t_U` and converted to units of each
   group's top afterwards, and the first position of a top is looked for at
   the write, in the groups left 1-sparse only; a bracket past the largest
   key (a flat sampled g: tied keys, integer pixels) then ends at that key,
   which lies at or above :math:`t^*`.  Elsewhere (weights, strided
   groups, no AVX2, a guess of :math:`t^*`) a first read gives the tops and
   their first positions.  :math:`g(t_L) > K \ge g(t_U)` is then checked
   exactly; if the sample misled, the bracket moves to :math:`t^*`'s side
   (after ``MAX_RETRIES``, the whole range) and the read is repeated; if
   :math:`t_L = 0` and :math:`g(0) \le K` the input is copied.
3. *Narrow.*  While the band holds more than ``NARROW_FACTOR`` entries per
   group, g is evaluated exactly at ``N_POINTS`` evenly spaced points of the
   bracket in one pass over the band (one point a vector lane: two AVX2
   vectors, or one AVX-512 vector where the CPU has AVX-512F; each value the
   one the root search would compute), the
   bracket becomes the two points around the target, and the band is cut to
   it (entries at or below its lower end leave; those at or above its upper
   end join the sums above, re-centred: positive terms).  The first of these
   passes also gives g at the bracket's lower end for the check of step 2
   (a scalar beside the vectors of points), and the root search takes
   g and its slope there from the last check: a pass over the band fewer
   for each.  This replaced the per-group histograms of the refinement below on this path: they cost 3-5 ms
   a call on 10^4 groups and 1-2 ms on 10^3 (a 96-double table and 33 square
   roots a group, bracket steps over every group; Gaussian 10^7 entries, load
   10), more than the root search they shortened (0.03-0.8 ms).
4. The root is found as in step 4 below.

*Histograms* (matrices of at most ``HISTOGRAM_SIZE`` entries):

1. *Summaries.*  Groups are read in tiles that fit in the L2 cache (one row
   group, or a block of column groups of a row-major matrix).  A first read
   gives each group's largest key (NaN/inf detected here); a second read of the
   cached tile bins the keys in ``N_BINS`` equal bins of :math:`[0,
   \kappa^{\max}_g]` with the bin's weight :math:`\sum v`, and the sums
   :math:`\sum v d`, :math:`\sum v d^2` of the offsets :math:`d` from the bin's
   lower edge.  Suffix sums re-centred at every edge (positive terms only: no
   cancellation) give :math:`\rho_g` exactly at each bin edge.
2. *Bracket.*  For :math:`t` in a bin, :math:`\rho_g(t)` lies between its values
   at the bin's edges, so table look-ups give an upper and a lower bound of
   :math:`g(t)` in O(groups); bisection on them brackets :math:`t^*` in
   :math:`[t_L, t_U]`, within one or two bins of every group.
3. *Gather.*  One read pass copies the keys of each group's band (the bins
   between those of :math:`t_L` and :math:`t_U`, above :math:`t_L`); the
   entries above the band are summarized by the suffix sums, those below are
   inactive on the bracket.  Bins are computed by the same rounded expression
   for keys and thresholds, so this split is exact.  :math:`g(t_L) > K \ge
   g(t_U)` is then checked exactly; if the (rounded) bounds misled the
   bracket, every entry is gathered and the bracket is :math:`[0, \max_g
   \kappa^{\max}_g]` (never seen in tests).  While the band holds more than
   ``REFINE_FACTOR`` entries per group, its entries are binned again in
   ``N_BINS`` finer bins of each group's band, bracketed again and compacted
   (at most ``MAX_LEVELS`` times): the entries left are those within a fine
   bin of the root.
4. *Root.*  The group maxima inside the bracket (where :math:`g` may jump) are
   sorted, ties made one, and a binary search on them leaves an interval on
   which :math:`g` is continuous; if :math:`g` just below its right end is
   still above ``K``, the root is that end (a jump).  Otherwise Newton steps
   safeguarded by bisection, each costing O(groups + gathered entries),
   reach :math:`t^*` to rounding.  (Where the CPU has AVX-512F, each
   evaluation of g on the band takes 8 groups a vector: the same terms, added
   in the same order, so the same bits; one group at a time, mispredicted
   branches on the few entries of each group's band, and a square root and
   divisions a group, cost about three times as much.  Four groups a vector
   with AVX2 measured no faster than one at a time on Zen 3: not kept.)
5. *Write.*  One pass writes the shrunk and rescaled groups; the first largest
   entry of each 1-sparse group is then put back.

The passes over the matrix (tops, band read, write; the sample's sums) run
as AVX2 loops where the CPU has AVX2 (``_hoyer_simd.h``, chosen at run time;
float32 converted to double in vectors; contiguous rows or column groups,
row groups without weights), and as the portable loops below elsewhere
(``_set_testing(simd=False)`` runs these on any CPU).  Where the CPU also has
AVX-512F, float32's band reads and write run with it (16 floats a vector for
the comparisons, maxima and counts, against float bounds that order every
float as the double bounds do; the arithmetic in double, 8 lanes a vector:
the AVX2 loops convert every float and work on 4 lanes, as many instructions
per entry as float64's, twice as many per byte); their band entries are
stored as float keys and int32 groups (one compress of each per vector, half
the bytes), pushed without a branch on whether a vector holds any where the
band is dense enough for that branch to be mispredicted (``DENSE_BAND``);
``_set_testing(avx512=False)`` runs the AVX2 ones.  All compute the same keys, bands and tops; the sums are
added in another order.

Work memory (the band, the per-group tables, the sample) is kept from one
call to the next (``_scratch_cache.h``): returned to the system, it would
cost a page fault per page at every call.

Kernels never validate: ``skproj.projections.project_group_hoyer`` does (group
length >= 2, positive weights, sparsity in [0, 1]).

Code layout
-----------
This module reads the matrix and drives: the AVX2 passes, the tiles'
geometry, the histograms and tops (read 1), the sample and its estimate,
the exact band read (read 2) and its sort by group, the histogram method's
gather, the write, the testing and benchmark hooks (``_set_testing``,
``_time_phases``, ``_phase_times``) and the driver.  Everything that works
on what was gathered -- the suffix sums of the histograms, the bracket on
their bounds, the band's offsets, compaction and refinement, exact g, the
narrowing and the root search -- is in ``_hoyer_band``.  The structs both
halves pass each other (``Layout``, ``Summaries``, ``Band``), the constants
of the bracket and the band, and the per-entry helpers both call in their
loops (``_bin``, ``_add_to_bin``, ...: ``cdef inline``, so that they are
inlined) are declared once, in ``_hoyer_band.pxd``.

References
----------
R. Ohib, N. Gillis, N. Dalmasso, S. Shah, V. K. Potluru, S. Plis, "Explicit
group sparse projection with applications to deep learning and NMF",
Transactions on Machine Learning Research (2022), arXiv:1912.03896.
"""

import sys
from array import array

import numpy as np

from libc.math cimport INFINITY, copysign, fabs, fabsf, sqrt

# Work memory: malloc/calloc/free that keep large blocks for the next call
# (no page faults on memory used again; see _scratch_cache.h).
from skproj.projections._scratch_cache cimport (
    scratch_calloc as calloc, scratch_free as free, scratch_malloc as malloc,
)
from libc.stdlib cimport qsort
from libc.string cimport memcpy, memset
from cython cimport floating

from skproj.projections._common cimport copy_matrix, prefetch, thread_seconds
from skproj.projections._l1 cimport (
    STATUS_INSIDE, STATUS_NOMEMORY, STATUS_NONFINITE, STATUS_PROJECTED, _select, streams_rows,
)
from libc.stdint cimport INT32_MAX, int32_t, int64_t

# What works on the gathered band and the summaries, and the structs, the
# constants and the per-entry helpers both halves share (see "Code layout").
from skproj.projections._hoyer_band cimport (
    MAX_LEVELS, MAX_ROOT_STEPS, N_BINS, N_POINTS, N_SUMS, REFINE_FACTOR, SUM_P, SUM_R, SUM_V, Band, Layout, Summaries, _add_to_bin,
    _allocate_entries, _band_bins, _bin, _bracket, _compact, _exact_g, _free_band,
    _compare_doubles, _narrow, _narrow_points, _narrow_range, _narrows, _refine, _root,
    _set_g_passes,
    _set_range, _suffix_sums,
)

# The AVX2 passes (chosen at run time; see _hoyer_simd.h).
cdef extern from "_hoyer_simd.h" nogil:
    int skh_have_avx2()
    bint skh_row_top_f64(const double* row, Py_ssize_t n, double* top, Py_ssize_t* arg)
    bint skh_row_top_f32(const float* row, Py_ssize_t n, double* top, Py_ssize_t* arg)
    Py_ssize_t skh_row_band_f64(const double* row, Py_ssize_t n, double lo, double hi,
                                double unit, double* sums, Py_ssize_t count,
                                Py_ssize_t capacity, double* keys, double* top, int* nan)
    Py_ssize_t skh_row_band_f32(const float* row, Py_ssize_t n, double lo, double hi,
                                double unit, double* sums, Py_ssize_t count,
                                Py_ssize_t capacity, double* keys, double* top, int* nan)
    Py_ssize_t skh_row_band_top_f64(const double* row, Py_ssize_t n, double lo, double hi,
                                    double unit, double* sums, Py_ssize_t count,
                                    Py_ssize_t capacity, double* keys, double* top,
                                    int* nan)
    Py_ssize_t skh_row_band_top_f32(const float* row, Py_ssize_t n, double lo, double hi,
                                    double unit, double* sums, Py_ssize_t count,
                                    Py_ssize_t capacity, double* keys, double* top,
                                    int* nan)
    bint skh_columns_top_f64(const double* row, Py_ssize_t n, double iw, Py_ssize_t i,
                             double* top, int64_t* arg)
    bint skh_columns_top_f32(const float* row, Py_ssize_t n, double iw, Py_ssize_t i,
                             double* top, int64_t* arg)
    bint skh_columns_max_f64(const double* rows, Py_ssize_t stride, Py_ssize_t n_rows,
                             Py_ssize_t n, double* top)
    bint skh_columns_max_f32(const float* rows, Py_ssize_t stride, Py_ssize_t n_rows,
                             Py_ssize_t n, double* top)
    Py_ssize_t skh_columns_band_f64(const double* row, Py_ssize_t n, double iw, double vi,
                                    double lo, double hi, const double* unit,
                                    double* sum_v, double* sum_p, double* sum_r,
                                    Py_ssize_t count, Py_ssize_t capacity, double* keys,
                                    int64_t* groups, Py_ssize_t first_group)
    Py_ssize_t skh_columns_band_f32(const float* row, Py_ssize_t n, double iw, double vi,
                                    double lo, double hi, const double* unit,
                                    double* sum_v, double* sum_p, double* sum_r,
                                    Py_ssize_t count, Py_ssize_t capacity, double* keys,
                                    int64_t* groups, Py_ssize_t first_group)
    Py_ssize_t skh_columns_band_block_f64(const double* rows, Py_ssize_t stride, Py_ssize_t n_rows,
        Py_ssize_t n, double lo, double hi, const double* unit, double* sum_v, double* sum_p,
        double* sum_r, Py_ssize_t count, Py_ssize_t capacity, double* keys, int64_t* groups,
        double* top, int* nan)
    Py_ssize_t skh_columns_band_block_f32(const float* rows, Py_ssize_t stride, Py_ssize_t n_rows,
        Py_ssize_t n, double lo, double hi, const double* unit, double* sum_v, double* sum_p,
        double* sum_r, Py_ssize_t count, Py_ssize_t capacity, double* keys, int64_t* groups,
        double* top, int* nan)
    Py_ssize_t skh_columns_band_block_top_f64(const double* rows, Py_ssize_t stride, Py_ssize_t n_rows,
        Py_ssize_t n, double lo, double hi, const double* unit, double* sum_v, double* sum_p,
        double* sum_r, Py_ssize_t count, Py_ssize_t capacity, double* keys, int64_t* groups,
        double* top, int* nan)
    Py_ssize_t skh_columns_band_block_top_f32(const float* rows, Py_ssize_t stride, Py_ssize_t n_rows,
        Py_ssize_t n, double lo, double hi, const double* unit, double* sum_v, double* sum_p,
        double* sum_r, Py_ssize_t count, Py_ssize_t capacity, double* keys, int64_t* groups,
        double* top, int* nan)
    bint skh_columns_top_weighted_f64(const double* rows, Py_ssize_t stride, Py_ssize_t n_rows,
                                      Py_ssize_t n, const double* iw, Py_ssize_t first_row,
                                      double* top, int64_t* arg)
    bint skh_columns_top_weighted_f32(const float* rows, Py_ssize_t stride, Py_ssize_t n_rows,
                                      Py_ssize_t n, const double* iw, Py_ssize_t first_row,
                                      double* top, int64_t* arg)
    Py_ssize_t skh_columns_band_weighted_f64(
        const double* rows, Py_ssize_t stride, Py_ssize_t n_rows, Py_ssize_t n,
        const double* iw, const double* v, double lo, double hi, const double* unit,
        double* sum_v, double* sum_p, double* sum_r, Py_ssize_t count, Py_ssize_t capacity,
        double* keys, double* vals, int64_t* groups, Py_ssize_t first_group)
    Py_ssize_t skh_columns_band_weighted_f32(
        const float* rows, Py_ssize_t stride, Py_ssize_t n_rows, Py_ssize_t n,
        const double* iw, const double* v, double lo, double hi, const double* unit,
        double* sum_v, double* sum_p, double* sum_r, Py_ssize_t count, Py_ssize_t capacity,
        double* keys, double* vals, int64_t* groups, Py_ssize_t first_group)
    bint skh_columns_top_weighted512_f64(const double* rows, Py_ssize_t stride,
                                         Py_ssize_t n_rows, Py_ssize_t n, const double* iw,
                                         Py_ssize_t first_row, double* top, int64_t* arg)
    bint skh_columns_top_weighted512_f32(const float* rows, Py_ssize_t stride,
                                         Py_ssize_t n_rows, Py_ssize_t n, const double* iw,
                                         Py_ssize_t first_row, double* top, int64_t* arg)
    Py_ssize_t skh_columns_band_weighted512_f64(
        const double* rows, Py_ssize_t stride, Py_ssize_t n_rows, Py_ssize_t n,
        const double* iw, const double* v, double lo, double hi, const double* unit,
        double* sum_v, double* sum_p, double* sum_r, Py_ssize_t count, Py_ssize_t capacity,
        double* keys, double* vals, int64_t* groups)
    Py_ssize_t skh_columns_band_weighted512_f32(
        const float* rows, Py_ssize_t stride, Py_ssize_t n_rows, Py_ssize_t n,
        const double* iw, const double* v, double lo, double hi, const double* unit,
        double* sum_v, double* sum_p, double* sum_r, Py_ssize_t count, Py_ssize_t capacity,
        double* keys, double* vals, int64_t* groups)
    bint skh_row_top_weighted_f64(const double* row, Py_ssize_t n, const double* iw,
                                  double* top, Py_ssize_t* arg)
    bint skh_row_top_weighted_f32(const float* row, Py_ssize_t n, const double* iw,
                                  double* top, Py_ssize_t* arg)
    Py_ssize_t skh_row_band_weighted_f64(const double* row, Py_ssize_t n, const double* iw,
                                         const double* v, double lo, double hi, double unit,
                                         Py_ssize_t group, double* sums, Py_ssize_t count,
                                         Py_ssize_t capacity, double* keys, double* vals,
                                         Py_ssize_t* groups)
    Py_ssize_t skh_row_band_weighted_f32(const float* row, Py_ssize_t n, const double* iw,
                                         const double* v, double lo, double hi, double unit,
                                         Py_ssize_t group, double* sums, Py_ssize_t count,
                                         Py_ssize_t capacity, double* keys, double* vals,
                                         Py_ssize_t* groups)
    void skh_write_f64(const double* src, double* dst, Py_ssize_t n, const double* t,
                       int t_step, const double* scale, int scale_step)
    void skh_write_f32(const float* src, float* dst, Py_ssize_t n, const double* t,
                       int t_step, const double* scale, int scale_step)
    # The float32 passes with AVX-512F (same arguments and results).
    int skh_set_avx512(int on)
    # (Their band entries are float keys and int32 groups: a ``narrow`` Stream.)
    Py_ssize_t skh_row_band_f32_avx512(const float* row, Py_ssize_t n, double lo, double hi,
                                       double unit, double* sums, Py_ssize_t count,
                                       Py_ssize_t capacity, float* keys, double* top,
                                       int* nan)
    Py_ssize_t skh_row_band_top_f32_avx512(const float* row, Py_ssize_t n, double lo,
                                           double hi, double unit, double* sums,
                                           Py_ssize_t count, Py_ssize_t capacity,
                                           float* keys, double* top, int* nan)
    Py_ssize_t skh_columns_band_block_f32_avx512(const float* rows, Py_ssize_t stride,
        Py_ssize_t n_rows, Py_ssize_t n, double lo, double hi, const double* unit,
        double* sum_v, double* sum_p, double* sum_r, Py_ssize_t count, Py_ssize_t capacity,
        float* keys, int32_t* groups, double* top, int* nan, int branchless)
    Py_ssize_t skh_columns_band_block_top_f32_avx512(const float* rows, Py_ssize_t stride,
        Py_ssize_t n_rows, Py_ssize_t n, double lo, double hi, const double* unit,
        double* sum_v, double* sum_p, double* sum_r, Py_ssize_t count, Py_ssize_t capacity,
        float* keys, int32_t* groups, double* top, int* nan, int branchless)
    void skh_write_f32_avx512(const float* src, float* dst, Py_ssize_t n, const double* t,
                              int t_step, const double* scale, int scale_step, bint stream)
    Py_ssize_t skh_row_band_f64_avx512(const double* row, Py_ssize_t n, double lo, double hi,
                                       double unit, double* sums, Py_ssize_t count,
                                       Py_ssize_t capacity, double* keys, double* top,
                                       int* nan)
    Py_ssize_t skh_row_band_top_f64_avx512(const double* row, Py_ssize_t n, double lo,
                                           double hi, double unit, double* sums,
                                           Py_ssize_t count, Py_ssize_t capacity,
                                           double* keys, double* top, int* nan)
    void skh_write_f64_avx512(const double* src, double* dst, Py_ssize_t n, const double* t,
                              int t_step, const double* scale, int scale_step, bint stream)
    void skh_stream_fence()
    void skh_write_columns_f32_avx512(const float* src, Py_ssize_t src_stride, float* dst,
                                      Py_ssize_t dst_stride, Py_ssize_t n_rows, Py_ssize_t n,
                                      const double* thresholds, const double* scale)
    Py_ssize_t skh_count_between_f32(const float* keys, Py_ssize_t n, double lo, double hi)
    void skh_g_at_8_points_and_t0(Py_ssize_t n_groups, const double* ts, const double* top,
                                  const double* inv_top, const double* rho_one,
                                  const double* above, const double* center,
                                  const int64_t* start, const double* keys,
                                  const double* vals, double* totals, double t0, double* g0,
                                  double* slope0, bint unit_vals)

# g at 4 or 8 points in one pass over the matrix (see "Narrowing by passes").
cdef extern from "_hoyer_passes.h" nogil:
    bint skh_rows_g_at_points_f64(const double* y, Py_ssize_t stride, Py_ssize_t n_groups,
                                  Py_ssize_t n, const double* ts, int n_points, double unit,
                                  const double* wts, const double* rho_one, double* sums,
                                  double* totals)
    bint skh_rows_g_at_points_f32(const float* y, Py_ssize_t stride, Py_ssize_t n_groups,
                                  Py_ssize_t n, const double* ts, int n_points, double unit,
                                  const float* wts, const double* rho_one, double* sums,
                                  double* totals)
    bint skh_columns_g_at_points_f64(const double* y, Py_ssize_t stride, Py_ssize_t n_rows,
                                     Py_ssize_t n_groups, const double* ts, int n_points,
                                     double unit, const double* wts, const double* rho_one,
                                     double* sums, double* totals)
    bint skh_columns_g_at_points_f32(const float* y, Py_ssize_t stride, Py_ssize_t n_rows,
                                     Py_ssize_t n_groups, const double* ts, int n_points,
                                     double unit, const float* wts, const double* rho_one,
                                     double* sums, double* totals)
    bint skh_rows_g_at_zero_f64(const double* y, Py_ssize_t stride, Py_ssize_t n_groups,
                                Py_ssize_t n, double* sums, double* g_zero)
    bint skh_rows_g_at_zero_f32(const float* y, Py_ssize_t stride, Py_ssize_t n_groups,
                                Py_ssize_t n, double* sums, double* g_zero)
    bint skh_columns_g_at_zero_f64(const double* y, Py_ssize_t stride, Py_ssize_t n_rows,
                                   Py_ssize_t n_groups, double* sums, double* g_zero)
    bint skh_columns_g_at_zero_f32(const float* y, Py_ssize_t stride, Py_ssize_t n_rows,
                                   Py_ssize_t n_groups, double* sums, double* g_zero)

# Whether the AVX2 passes run (the CPU has AVX2; tests turn them off with
# ``_set_testing`` to exercise the portable loops), and whether float32's run
# with AVX-512F instead (the CPU has it; tests turn it off to exercise AVX2's).
cdef bint _simd = skh_have_avx2()
cdef bint _avx512 = skh_set_avx512(True)
# g on the band: at N_POINTS points in vectors (AVX2 or AVX-512), at one point
# 8 groups a vector (AVX-512; _hoyer_band).
cdef bint _vector_points = _simd
cdef bint _sample_lanes = True     # (testing: _set_testing)
_set_g_passes(_vector_points, _avx512)


def _set_testing(bint simd=True, bint avx512=True, bint vector_g=True, histograms=None,
                 bint vector_points=True, bint passes=True, double pass_share=-1.0,
                 int pass_points=0, bint sample_lanes=True):
    """Testing hook: ``simd=False`` runs the portable loops instead of AVX2;
    ``avx512=False`` runs float32's AVX2 passes instead of AVX-512's;
    ``vector_g=False`` evaluates g at one point on the band one group at a
    time (with the AVX-512 passes otherwise); ``vector_points=False`` g at the
    narrowing's points one point at a time (with AVX2 vectors otherwise);
    ``histograms`` True or False takes the histogram or the sampled method on
    every matrix (None: by size, HISTOGRAM_SIZE); ``passes=False`` leaves
    the sample's bracket as it is however many keys it holds (no narrowing by
    passes over the matrix), ``pass_share`` >= 0 sets the share of the
    sample's keys in its bracket above which they narrow it, on a matrix of
    any size (by default PASS_SHARE, or PASS_SHARE_IN_CACHE, or none: by the
    matrix's size), ``pass_points`` the points of each pass, 4 or 8 (0: by
    the matrix's size, PASS_POINTS or PASS_POINTS_IN_CACHE);
    ``sample_lanes=False`` keeps float32 column groups' sample a group at a
    time (``Sample.lanes``).  Returns whether the AVX-512 passes run."""
    global _simd, _avx512, _histogram_size, _vector_points, _pass_narrowing, _pass_share
    global _pass_points, _sample_lanes
    if pass_points not in (0, 4, 8):
        raise ValueError(f"pass_points must be 0, 4 or 8, got {pass_points}")
    _pass_points = pass_points
    _sample_lanes = sample_lanes
    _histogram_size = (HISTOGRAM_SIZE if histograms is None
                       else sys.maxsize if histograms else 0)
    _simd = simd and skh_have_avx2()
    _avx512 = _simd and skh_set_avx512(avx512)
    _vector_points = _simd and vector_points
    _pass_narrowing = passes
    _pass_share = pass_share
    _set_g_passes(_vector_points, _avx512 and vector_g)
    return bool(_avx512)


# Benchmark hook (``_time_phases``, ``_phase_times``): CPU seconds spent in
# each phase of the last call of the sampled method.  Off by default: reading
# the thread's CPU clock is a system call.
cdef enum:
    PHASE_SAMPLE = 0     # the sampled groups' keys
    PHASE_ESTIMATE = 1   # the sample's root and bracket, the stream's room
    PHASE_BAND = 2       # the band read(s) (with the tops)
    PHASE_SORT = 3       # the band's entries sorted by group
    PHASE_CHECK = 4      # g at the bracket's ends (and moved brackets' reads; with
                         # AVX2, the first narrowing's pass, which gives g at lo)
    PHASE_NARROW = 5     # the narrowing passes over the band
    PHASE_ROOT = 6       # the root search on the band
    PHASE_WRITE = 7      # the groups' scales and the write
    PHASE_PASSES = 8     # the sample's bracket narrowed by passes over the matrix
    N_PHASES = 9

PHASE_NAMES = ("sample", "estimate", "band read", "sort", "check", "narrow", "root", "write",
               "passes")

cdef bint _timing = False
cdef double _phase_seconds[N_PHASES]
cdef Py_ssize_t _band_entries = 0     # entries gathered by the last band read
cdef Py_ssize_t _root_entries = 0     # entries of the band the last root search ran on
cdef int _passes = 0                  # passes over the matrix of the last narrowing by passes
cdef double _estimate = -1.0          # the sample's estimate of t* in the last sampled call


cdef inline double _now() noexcept nogil:
    return thread_seconds() if _timing else 0.0


cdef inline double _lap(int phase, double since) noexcept nogil:
    """Add the time since ``since`` to a phase; the time now."""
    cdef double now = _now()
    _phase_seconds[phase] += now - since
    return now


def _time_phases(bint on):
    """Benchmark hook: time the phases of the next calls (``_phase_times``) or stop."""
    global _timing
    _timing = on


def _phase_times():
    """Benchmark hook: ``{phase: CPU seconds}`` of the last call (``PHASE_NAMES``),
    and the number of entries its last band read gathered."""
    return {PHASE_NAMES[k]: _phase_seconds[k] for k in range(N_PHASES)}, _band_entries


def _narrowing_passes():
    """Testing hook: the passes over the matrix that narrowed the last sampled
    call's bracket (``_narrow_by_passes``; 0 where the sample's was kept)."""
    return _passes


def _root_band_entries():
    """Testing hook: the entries of the band the last sampled root search ran
    on (what each evaluation of g reads, beside the groups)."""
    return _root_entries


def _sample_estimate():
    """Testing hook: the sample's estimate of t* in the last call of the
    sampled method (its root of the sample's g; -1 before any)."""
    return _estimate

# The passes over the matrix, in C so that the compiler vectorizes them (SSE2,
# no -march): contiguous loops with selects instead of branches, restrict
# pointers, and four lanes of partial sums in a contiguous group (the order of
# additions stays fixed: no -ffast-math needed).  One version per dtype.
cdef extern from *:
    """
    #include <math.h>
    #include <stdint.h>
    #include <string.h>
    #define SKPROJ_CHUNK 512
    #define SKPROJ_HOYER_PASSES(T)                                                   \\
    static int skproj_tops_columns_##T(const T* __restrict row, Py_ssize_t n,        \\
            double iw, Py_ssize_t i, double* __restrict top,                         \\
            Py_ssize_t* __restrict arg) {                                            \\
        int nan = 0;                                                                 \\
        for (Py_ssize_t g = 0; g < n; g++) {                                         \\
            double key = fabs((double) row[g]) * iw;                                 \\
            int better = key > top[g];                                               \\
            nan |= key != key;                                                       \\
            top[g] = better ? key : top[g];                                          \\
            arg[g] = better ? i : arg[g];                                            \\
        }                                                                            \\
        return nan;                                                                  \\
    }                                                                                \\
    static void skproj_above_columns_##T(const T* __restrict row, Py_ssize_t n,      \\
            double iw, double vi, double hi, const double* __restrict unit,          \\
            double* __restrict sum_v, double* __restrict sum_p,                      \\
            double* __restrict sum_r) {                                              \\
        for (Py_ssize_t g = 0; g < n; g++) {                                         \\
            double key = fabs((double) row[g]) * iw;                                 \\
            double d = key - hi;                                                     \\
            d = (d > 0 ? d : 0.0) * unit[g];                                         \\
            sum_v[g] += key >= hi ? vi : 0.0;                                        \\
            sum_p[g] += vi * d;                                                      \\
            sum_r[g] += vi * d * d;                                                  \\
        }                                                                            \\
    }                                                                                \\
    /* A contiguous group: its keys converted a chunk at a time into a buffer  */  \\
    /* of doubles (so that float32 takes the same vectorized loop), summed in  */  \\
    /* four lanes at or above hi, and its band entries pushed to the stream.   */  \\
    static Py_ssize_t skproj_row_##T(const T* __restrict row, Py_ssize_t n,          \\
            const double* __restrict iw, const double* __restrict v, double lo,      \\
            double hi, double unit, Py_ssize_t group, double* __restrict sums,       \\
            Py_ssize_t count, Py_ssize_t capacity, double* __restrict keys,          \\
            double* __restrict vals, Py_ssize_t* __restrict groups) {                \\
        double buffer[SKPROJ_CHUNK];                                                 \\
        double lv[4] = {0, 0, 0, 0}, lp[4] = {0, 0, 0, 0}, lr[4] = {0, 0, 0, 0};     \\
        uint64_t lo_bits, hi_bits, key_bits, span;                                   \\
        memcpy(&lo_bits, &lo, 8);                                                    \\
        memcpy(&hi_bits, &hi, 8);                                                    \\
        span = hi_bits > lo_bits ? hi_bits - lo_bits - 1 : 0;                        \\
        for (Py_ssize_t start = 0; start < n; start += SKPROJ_CHUNK) {               \\
            Py_ssize_t length = n - start < SKPROJ_CHUNK ? n - start : SKPROJ_CHUNK; \\
            const double* vc = v + start;                                            \\
            Py_ssize_t j = 0;                                                        \\
            for (j = 0; j < length; j++)                                             \\
                buffer[j] = fabs((double) row[start + j]) * iw[start + j];           \\
            for (j = 0; j + 4 <= length; j += 4) {                                   \\
                for (int c = 0; c < 4; c++) {                                        \\
                    double key = buffer[j + c];                                      \\
                    double d = key - hi;                                             \\
                    d = (d > 0 ? d : 0.0) * unit;                                    \\
                    lv[c] += key >= hi ? vc[j + c] : 0.0;                            \\
                    lp[c] += vc[j + c] * d;                                          \\
                    lr[c] += vc[j + c] * d * d;                                      \\
                }                                                                    \\
            }                                                                        \\
            for (; j < length; j++) {                                                \\
                double key = buffer[j];                                              \\
                double d = key - hi;                                                 \\
                d = (d > 0 ? d : 0.0) * unit;                                        \\
                lv[0] += key >= hi ? vc[j] : 0.0;                                    \\
                lp[0] += vc[j] * d;                                                  \\
                lr[0] += vc[j] * d * d;                                              \\
            }                                                                        \\
            for (j = 0; j < length; j++) {                                           \\
                memcpy(&key_bits, &buffer[j], 8);                                    \\
                if (key_bits - lo_bits - 1 < span) {                                 \\
                    if (count < capacity) {                                          \\
                        keys[count] = buffer[j];                                     \\
                        vals[count] = vc[j];                                         \\
                        groups[count] = group;                                       \\
                    }                                                                \\
                    count++;                                                         \\
                }                                                                    \\
            }                                                                        \\
        }                                                                            \\
        sums[0] = (lv[0] + lv[1]) + (lv[2] + lv[3]);                                 \\
        sums[1] = (lp[0] + lp[1]) + (lp[2] + lp[3]);                                 \\
        sums[2] = (lr[0] + lr[1]) + (lr[2] + lr[3]);                                 \\
        return count;                                                                \\
    }                                                                                \\
    /* Entries with lo < key < hi (few: a branch predicted not taken) to the   */  \\
    /* stream at count; returns the new count (counting beyond capacity).      */  \\
    static Py_ssize_t skproj_band_##T(const T* __restrict row, Py_ssize_t n,         \\
            const double* __restrict iw, Py_ssize_t iw_step,                         \\
            const double* __restrict v, Py_ssize_t v_step, double lo, double hi,     \\
            Py_ssize_t group, Py_ssize_t group_step, Py_ssize_t count,               \\
            Py_ssize_t capacity, double* __restrict keys,                            \\
            double* __restrict vals, Py_ssize_t* __restrict groups) {                \\
        /* lo < key < hi in one unsigned comparison of the bit patterns        */  \\
        /* (monotone for keys >= 0): two branches, one taken half the time,    */  \\
        /* would be mispredicted.                                              */  \\
        uint64_t lo_bits, hi_bits, key_bits, span;                                   \\
        memcpy(&lo_bits, &lo, 8);                                                    \\
        memcpy(&hi_bits, &hi, 8);                                                    \\
        span = hi_bits > lo_bits ? hi_bits - lo_bits - 1 : 0;                        \\
        for (Py_ssize_t k = 0; k < n; k++) {                                         \\
            double key = fabs((double) row[k]) * iw[k * iw_step];                    \\
            memcpy(&key_bits, &key, 8);                                              \\
            if (key_bits - lo_bits - 1 < span) {                                     \\
                if (count < capacity) {                                              \\
                    keys[count] = key;                                               \\
                    vals[count] = v[k * v_step];                                     \\
                    groups[count] = group + k * group_step;                          \\
                }                                                                    \\
                count++;                                                             \\
            }                                                                        \\
        }                                                                            \\
        return count;                                                                \\
    }
    SKPROJ_HOYER_PASSES(float)
    SKPROJ_HOYER_PASSES(double)
    """
    bint skproj_tops_columns_float(const float* row, Py_ssize_t n, double iw, Py_ssize_t i,
                                   double* top, Py_ssize_t* arg) noexcept nogil
    bint skproj_tops_columns_double(const double* row, Py_ssize_t n, double iw, Py_ssize_t i,
                                    double* top, Py_ssize_t* arg) noexcept nogil
    void skproj_above_columns_float(const float* row, Py_ssize_t n, double iw, double vi,
                                    double hi, const double* unit, double* sum_v,
                                    double* sum_p, double* sum_r) noexcept nogil
    void skproj_above_columns_double(const double* row, Py_ssize_t n, double iw, double vi,
                                     double hi, const double* unit, double* sum_v,
                                     double* sum_p, double* sum_r) noexcept nogil
    Py_ssize_t skproj_row_float(const float* row, Py_ssize_t n, const double* iw,
                                const double* v, double lo, double hi, double unit,
                                Py_ssize_t group, double* sums, Py_ssize_t count,
                                Py_ssize_t capacity, double* keys, double* vals,
                                Py_ssize_t* groups) noexcept nogil
    Py_ssize_t skproj_row_double(const double* row, Py_ssize_t n, const double* iw,
                                 const double* v, double lo, double hi, double unit,
                                 Py_ssize_t group, double* sums, Py_ssize_t count,
                                 Py_ssize_t capacity, double* keys, double* vals,
                                 Py_ssize_t* groups) noexcept nogil
    Py_ssize_t skproj_band_float(const float* row, Py_ssize_t n, const double* iw,
                                 Py_ssize_t iw_step, const double* v, Py_ssize_t v_step,
                                 double lo, double hi, Py_ssize_t group,
                                 Py_ssize_t group_step, Py_ssize_t count,
                                 Py_ssize_t capacity, double* keys, double* vals,
                                 Py_ssize_t* groups) noexcept nogil
    Py_ssize_t skproj_band_double(const double* row, Py_ssize_t n, const double* iw,
                                  Py_ssize_t iw_step, const double* v, Py_ssize_t v_step,
                                  double lo, double hi, Py_ssize_t group,
                                  Py_ssize_t group_step, Py_ssize_t count,
                                  Py_ssize_t capacity, double* keys, double* vals,
                                  Py_ssize_t* groups) noexcept nogil


cdef enum:
    # The sample: whole groups, about SAMPLE_TARGET keys, column groups in
    # blocks of neighbours as wide as a cache line of SAMPLE_LINE bytes (8
    # float64, 16 float32) and starting at a multiple of that width: each
    # sampled row of a block is one line read, or two, whatever the dtype.
    # (Not aligned to the memory's own lines: the sample, and so the last
    # bits of the result, must not depend on where the matrix lies.)
    # (262144 rather than 65536: a narrower band, and fewer misses on column
    # groups, e.g. 1000 x 10000 at s = 0.8 read once instead of twice; with
    # the sample's sums in AVX2 the larger sample costs less than it saves.)
    SAMPLE_TARGET = 262144
    SAMPLE_LINE = 64
    SAMPLE_ROWS = 8      # rows of column groups gathered into the sample at once
    SAMPLE_LANES = 16    # float32 column groups a block of the sample in lanes
    # Brackets moved before the whole range is taken, when the sample misled.
    MAX_RETRIES = 3
    MIN_UNITS = 8        # blocks of the sample needed to take its error over blocks
    # The sample is at most a SAMPLE_SHARE-th of the groups: on a matrix in
    # cache the estimate's root search over a sample of every group (its
    # passes exact) cost more than a wider band (100 x 1000 float32 at
    # s = 0.8, thread time: 0.99 ms with every group, 0.28-0.43 with a
    # sixteenth; 300 x 784: 1.3-1.9 ms, 0.6-0.9; 1000 x 1000: 9.9-21 copies
    # of the matrix, 6-15; an eighth measured between the two).
    SAMPLE_SHARE = 16
    # Matrices of at most HISTOGRAM_SIZE entries take the histogram method (no
    # sample): tops and per-group histograms bracket t*, the band is gathered.
    # (It was taken up to 2 ** 19 entries; with the sample's share above the
    # sampled method is 1.5-7 times faster from 32 x 64 to 500 x 1000, both
    # dtypes and axes, s = 0.5-0.95; the two are even on 10 x 100.)
    HISTOGRAM_SIZE = 1024
    # A band around a guess of t (t_hint) has room for every entry of a
    # matrix of at most HINT_WHOLE_BAND entries.
    HINT_WHOLE_BAND = 524288
    # Tiles of column groups span about this many bytes of the matrix, so the
    # second read of a tile (the histogram) comes from the L2 cache.
    TILE_BYTES = 262144
    N_COPIES = 4         # interleaved histograms of a contiguous group
    SCATTER_AHEAD = 8    # entries ahead whose place the sort by group asks for
    # Rows of column groups whose maxima and band sums are taken at once
    # (AVX2, AVX-512): 2, 4, 16 and 32 measured slower (issue 14, single
    # calls interleaved, 10000 x 1000 and 1000 x 10000, axis 0, float32 at
    # s = 0.5-0.95: 2.8-3.3 times a copy with 8 rows, 3.2-3.8 with 16, 3.3-4.0
    # with 32, 3.3-4.2 with 2; float64 alike).
    COLUMN_BLOCK = 8
    PREFETCH_ROWS = 8    # rows ahead in a column tile

# (the testing hook's: HISTOGRAM_SIZE by default)
cdef Py_ssize_t _histogram_size = HISTOGRAM_SIZE

cdef double INSIDE_SLACK = 1e-12
# The share of the keys in the band from which the float32 AVX-512 column loops
# push every vector's entries without a branch: a vector of 16 keys holds some
# with probability 1 - (1 - share)^16, 6 % at 0.4 %, where the mispredicted
# branch on it cost about what its two compresses cost (1000x10000 and
# 10000x1000, axis 0: branchless faster at shares 0.55-1.2 %, slower at 0.13 %).
cdef double DENSE_BAND = 4e-3
cdef double SAFE_SMALLEST = 1e-140
cdef double SAFE_LARGEST = 1e140
# Narrowest bracket from the sample, relative to the largest key (2e-3 gave
# wider bands: 8 % more time at s = 0.5).
cdef double MIN_SPAN = 5e-4
# ... of at most SPAN_OVER_ESTIMATE times the estimate of t*, where the largest
# key is farther: under heavy tails it is (1000 x 10000 Cauchy at s = 0.95:
# MIN_SPAN of it was 851 for t* about 16, a bracket of every key; float32 axis
# 0 took 6.9 copies, 5.2 at 16-256 times; 100 x 1000 axis 1 at 0.95 missed
# the bracket at 16, 43 -> 62 copies, not at 64).
cdef double SPAN_OVER_ESTIMATE = 64.0
# Half-width of that bracket in standard errors of the sample's estimate
# (4: a normal error misses it 6 draws in 100000; Student's t with MIN_UNITS - 1
# degrees of freedom 5 in 1000).  Narrower brackets (3, 2.5, 2) took Gaussian
# matrices in cache 0.6-0.95 of the time, but real ones up to 1.3-1.9 times
# it where the bracket missed and the band was read again (issue 14, single
# calls interleaved: pbmc68k float32 axis 0 at s = 0.5-0.95 1.73-1.90, digits.T
# float32 axis 1 at 0.95 1.99 at 2, breast_cancer axis 1 at 0.8 1.33 at 2;
# pbmc68k float64 axis 0 0.39-0.48): kept at 4.
cdef double SPREAD_FACTOR = 4.0
# Half-width of the bracket around a caller's guess of t*: at most a share of t_max
# (SparseNMF on bench_nmf: 5e-4 and 1e-4 equally fast, 2e-3 25-35 % slower, 1e-2
# slower still: a narrow band costs less than the occasional re-read).
cdef double HINT_SPAN = 5e-4
# ... and at most this share of the guess: SparseNMF's multipliers are often a
# small share of t_max, where HINT_SPAN alone reaches down to 0 and gathers
# most entries.  A miss then costs one more read (the next bracket placed by
# Newton), less than refining a wide band: the GSP calls of bench_nmf's fits
# (synthetic s = 0.629, digits s = 0.7) took 45 and 172 us instead of 89 and
# 197 (0.25: 51 and 191; 0.1: 47 and 174; 0.02: 48 and 173).
cdef double HINT_REL = 0.05
# A bracket that missed t* is followed by one reaching this many Newton steps
# (from its end nearer t*) past that end (bench_nmf's fits: 1.5 and 3 as fast;
# every miss but a few in a thousand was then found by the next read).
cdef double NEWTON_REACH = 2.0
# The band read fused with the tops sums offsets in units of hi, converted to
# units of each group's top afterwards: exact to rounding while no top exceeds
# hi by more than this (the squares stay below 1e200 a term); beyond, the band
# is read again in units of the tops.
cdef double MAX_TOP_OVER_HI = 1e100

# The sample's bracket is narrowed by passes over the matrix (g at
# PASS_POINTS points each, PASS_POINTS_IN_CACHE in cache: "Narrowing by
# passes") while the sample puts more than
# PASS_SHARE of its keys in it, at most MAX_PASSES times.  Heavy-tailed
# matrices put most keys there (issue 14).  A pass at 8 points costs about
# 1.2-1.8 copies of a float32 matrix and 0.7 of a float64 one (at 4: below);
# a band about 30 copies
# of a float64 matrix per unit of its share, 65 of a float32 one (gathered,
# sorted by group, narrowed).  1000 x 10000, Gaussian, t(3) and lognormal, s
# = 0.5-0.95, shares 0.01 / 0.02 / 0.04 / 0.08: 0.01 made Gaussian matrices
# take a pass (2.0 -> 3.0 copies), 0.08 left t(3) float32 at s = 0.8 at 6.2
# instead of 5.6; 0.02 and 0.04 within noise of each other.
#   A matrix in cache (at most PASS_CACHE_BYTES) gathers its band for less,
# while a pass still costs as much per key (its sums bound it, not memory):
# there the share is PASS_SHARE_IN_CACHE (digits, 1797 x 64, float32 at s =
# 0.8: 86 copies at 0.04, 66 at 0.1 or without passes; digits.T float64 at s
# = 0.8-0.95 axis 1: 12-14 at 0.1-0.2, 20-22 without), and matrices of at most
# PASS_MIN_ENTRIES take none (wine, 178 x 13: 62-127 copies with a pass,
# 52-104 without; a copy there takes 0.3 us).
#   A pass's sums bound it (4 operations a key and point): at 4 points it
# takes 0.60-0.73 copies of a float32 matrix where 8 took 1.15-1.34 (float64
# 0.43-0.47 and 0.73-0.82; its read alone is 0.5), and leaves a fifth of the
# band rather than a ninth, which the band read gathers for less than the
# second half of the points cost (issue 14, an Intel Xeon, 1000 x 10000 and
# 10000 x 1000, both axes, s = 0.5-0.95, 8 -> 4 points in one process:
# Student t(3) float32 3.7-4.4 -> 3.3-4.0 copies, Cauchy float32 at s = 0.95
# 4.1-5.8 -> 3.5-5.2, reuters_r8 standardized at s = 0.95 4.7-7.1 -> 4.1-5.7;
# Gaussian matrices take no pass).  In cache the band costs more for what it
# holds (digits' tied pixels: float64 at s = 0.5 15.8 copies at 8 points, 20.2
# at 4), so a pass there keeps 8.
cdef double PASS_SHARE = 0.04
cdef double PASS_SHARE_IN_CACHE = 0.1
cdef bint _pass_narrowing = True
cdef double _pass_share = -1.0           # (the testing hook's: -1 for the above)
cdef int _pass_points = 0               # (the testing hook's: 4 or 8; 0 by size)
cdef enum:
    PASS_CACHE_BYTES = 2097152
    PASS_MIN_ENTRIES = 16384
    MAX_PASSES = 3
    PASS_POINTS = 4
    PASS_POINTS_IN_CACHE = 8
    MAX_PASS_POINTS = 8       # (room for the points of either)
    # The points of a pass are placed at equal shares of (at most about
    # QUANTILE_KEYS of) the sample's keys in the bracket.
    QUANTILE_KEYS = 2048
# A pass that finds y within the target leaves the bracket [0, EMPTY_BAND
# times its first point above 0] to the band read's exact check.
cdef double EMPTY_BAND = 2.0 ** -20

# ---------------------------------------------------------------- AVX2 passes

cdef inline bint _simd_row_top(const floating* row, Py_ssize_t n, double* top,
                               Py_ssize_t* arg) noexcept nogil:
    if floating is float:
        return skh_row_top_f32(row, n, top, arg)
    else:
        return skh_row_top_f64(row, n, top, arg)


cdef inline bint _simd_columns_top(const floating* row, Py_ssize_t n, double iw, Py_ssize_t i,
                                   double* top, Py_ssize_t* arg) noexcept nogil:
    if floating is float:
        return skh_columns_top_f32(row, n, iw, i, top, <int64_t*> arg)
    else:
        return skh_columns_top_f64(row, n, iw, i, top, <int64_t*> arg)


cdef inline bint _simd_columns_max(const floating* rows, Py_ssize_t stride, Py_ssize_t n_rows,
                                   Py_ssize_t n, double* top) noexcept nogil:
    if floating is float:
        return skh_columns_max_f32(rows, stride, n_rows, n, top)
    else:
        return skh_columns_max_f64(rows, stride, n_rows, n, top)


cdef inline void _simd_write(const floating* src, floating* dst, Py_ssize_t n,
                             const double* t, int t_step, const double* scale, int scale_step,
                             bint stream=False) noexcept nogil:
    """dst = sign(src) (|src| - t)+ scale, t and scale one value (step 0) or one
    per entry (step 1)."""
    if floating is float:
        if _avx512:
            skh_write_f32_avx512(src, dst, n, t, t_step, scale, scale_step, stream)
        else:
            skh_write_f32(src, dst, n, t, t_step, scale, scale_step)
    elif _avx512:
        skh_write_f64_avx512(src, dst, n, t, t_step, scale, scale_step, stream)
    else:
        skh_write_f64(src, dst, n, t, t_step, scale, scale_step)


# ---------------------------------------------------------------- geometry


cdef inline Py_ssize_t _tile_width(Layout* layout, Py_ssize_t itemsize) noexcept nogil:
    """Number of groups per tile."""
    cdef Py_ssize_t width
    if layout.groups_are_rows:
        return 1
    width = TILE_BYTES // max(layout.n_rows * itemsize, 1)
    return min(max(width, 8), layout.n_groups)


cdef inline void _top_known(Summaries* s, Layout* layout, const double* w, double w_min,
                            Py_ssize_t g) noexcept nogil:
    """Group g's unit (1 / top) and rho once 1-sparse, from its top."""
    s.inv_top[g] = 1.0 / s.top[g] if s.top[g] > 0 else 0.0
    # (Unit weights: 1 wherever the top is; its position may be unknown.)
    s.rho_one[g] = (1.0 if layout.unit_weights else w[s.argtop[g]]) if s.top[g] > 0 else w_min



# ---------------------------------------------------------------- histograms

cdef inline void _reset_range(Summaries* s, Band* band, Py_ssize_t g) noexcept nogil:
    """Level 0: the whole group, [0, top], nothing above."""
    _set_range(s, g, 0.0, s.top[g])
    band.center[g] = s.top[g]
    band.above[g * N_SUMS + SUM_V] = 0.0
    band.above[g * N_SUMS + SUM_P] = 0.0
    band.above[g * N_SUMS + SUM_R] = 0.0


cdef inline void _prefetch_segment(const floating* row, Py_ssize_t g0, Py_ssize_t g1,
                                   Py_ssize_t step) noexcept nogil:
    """Ask for a tile's segment of a later row: the rows of a column tile are far
    apart in memory, beyond what the hardware prefetchers follow."""
    cdef Py_ssize_t g = g0
    while g < g1:
        prefetch(&row[g * step])
        g += max(64 // (sizeof(floating) * step), 1)


cdef bint _tile_tops(const floating[:, :] y, Layout* layout, const double* inv_w,
                     Py_ssize_t g0, Py_ssize_t g1, Summaries* s) noexcept nogil:
    """Largest key and its first position for groups g0..g1; False if y is not finite.

    NaN shows up as a key unequal to itself, inf as an infinite top.
    """
    cdef Py_ssize_t g, k, i
    cdef double key, top
    cdef bint nan_found = False
    cdef const floating* row
    if layout.groups_are_rows and _simd and layout.unit_weights and layout.step_y == 1:
        for g in range(g0, g1):
            nan_found |= _simd_row_top(&y[g, 0], layout.size, &s.top[g], &s.argtop[g])
    elif layout.groups_are_rows:
        for g in range(g0, g1):
            row = &y[g, 0]
            top = 0.0
            s.argtop[g] = 0
            for k in range(layout.size):
                key = fabs(row[k * layout.step_y]) * inv_w[k]
                nan_found |= key != key
                if key > top:
                    top = key
                    s.argtop[g] = k
            s.top[g] = top
    else:
        for g in range(g0, g1):
            s.top[g] = 0.0
            s.argtop[g] = 0
        for i in range(layout.n_rows):
            row = &y[i, 0]
            if i + PREFETCH_ROWS < layout.n_rows:
                _prefetch_segment(&y[i + PREFETCH_ROWS, 0], g0, g1, layout.step_y)
            if _simd and layout.step_y == 1:
                nan_found |= _simd_columns_top(&row[g0], g1 - g0, inv_w[i], i, &s.top[g0],
                                               &s.argtop[g0])
                continue
            for g in range(g0, g1):
                key = fabs(row[g * layout.step_y]) * inv_w[i]
                nan_found |= key != key
                if key > s.top[g]:
                    s.top[g] = key
                    s.argtop[g] = i
    for g in range(g0, g1):
        nan_found |= s.top[g] == INFINITY
    return not nan_found




cdef inline void _add_to_group(double key, double v, Summaries* s, Py_ssize_t g) noexcept nogil:
    _add_to_bin(key, v, s.base[g], s.inv_width[g], s.width[g], s.inv_top[g],
                s.sums + g * N_BINS * N_SUMS)


cdef void _row_histogram(const floating* row, Py_ssize_t size, Py_ssize_t step,
                         const double* inv_w, const double* v, Summaries* s,
                         Py_ssize_t g) noexcept nogil:
    """Bin one contiguous group.  Neighbouring entries often share a bin: four
    interleaved histograms (merged at the end) break the chain of dependent
    read-modify-writes through memory."""
    cdef double* copies = s.scratch
    cdef double* sums = s.sums + g * N_BINS * N_SUMS
    cdef double base = s.base[g], inv_width = s.inv_width[g], width = s.width[g]
    cdef double unit = s.inv_top[g]
    cdef Py_ssize_t n_copies = N_COPIES, k = 0, c, end = size - size % n_copies
    memset(copies, 0, n_copies * N_BINS * N_SUMS * sizeof(double))
    while k < end:
        for c in range(n_copies):
            _add_to_bin(fabs(row[(k + c) * step]) * inv_w[k + c], v[k + c], base, inv_width,
                        width, unit, copies + c * N_BINS * N_SUMS)
        k += n_copies
    for k in range(end, size):
        _add_to_bin(fabs(row[k * step]) * inv_w[k], v[k], base, inv_width, width, unit,
                    copies)
    for k in range(N_BINS * N_SUMS):
        for c in range(n_copies):
            sums[k] += copies[c * N_BINS * N_SUMS + k]


cdef void _tile_histograms(const floating[:, :] y, Layout* layout, const double* inv_w,
                           const double* v, Py_ssize_t g0, Py_ssize_t g1,
                           Summaries* s) noexcept nogil:
    """Bin the keys of groups g0..g1 (their sums start at zero)."""
    cdef Py_ssize_t g, k, i
    cdef const floating* row
    if layout.groups_are_rows:
        for g in range(g0, g1):
            if s.inv_width[g] != 0:
                _row_histogram(&y[g, 0], layout.size, layout.step_y, inv_w, v, s, g)
        return
    for i in range(layout.n_rows):
        row = &y[i, 0]
        for g in range(g0, g1):
            if s.inv_width[g] != 0:
                _add_to_group(fabs(row[g * layout.step_y]) * inv_w[i], v[i], s, g)


cdef int _summarize(const floating[:, :] y, Layout* layout, const double* w,
                    const double* inv_w, const double* v, double w_min,
                    Summaries* s, Band* band) noexcept nogil:
    """Level 0: tops and histograms of every group, two reads of each tile."""
    cdef Py_ssize_t width = _tile_width(layout, sizeof(floating)), g0, g1, g
    g0 = 0
    while g0 < layout.n_groups:
        g1 = min(g0 + width, layout.n_groups)
        if not _tile_tops(y, layout, inv_w, g0, g1, s):
            return STATUS_NONFINITE
        for g in range(g0, g1):
            _top_known(s, layout, w, w_min, g)
            _reset_range(s, band, g)
        _tile_histograms(y, layout, inv_w, v, g0, g1, s)
        for g in range(g0, g1):
            _suffix_sums(s, band, g, s.sums + g * N_BINS * N_SUMS)
        g0 = g1
    return STATUS_PROJECTED


# ---------------------------------------------------------------- tops (read 1)

cdef bint _tops(const floating[:, :] y, Layout* layout, const double* inv_w,
                Summaries* s) noexcept nogil:
    """Largest key of every group and its first position; False if y is not finite.

    NaN shows up as a key unequal to itself, inf as an infinite top.  A
    contiguous group is scanned in four lanes (independent maxima, merged
    keeping the first position); column groups of a row-major matrix are
    updated row by row, a loop over the groups that the compiler vectorizes.
    """
    cdef Py_ssize_t g, k, i, c, n = layout.size, step = layout.step_y
    cdef Py_ssize_t end = n - n % 4, arg, rows
    cdef double key, top
    cdef double lane_top[4]
    cdef Py_ssize_t lane_arg[4]
    cdef bint nan_found = False, better
    cdef const floating* row
    cdef double* tops = s.top
    cdef Py_ssize_t* argtop = s.argtop
    if layout.groups_are_rows and _simd and layout.unit_weights and step == 1:
        for g in range(layout.n_groups):
            nan_found |= _simd_row_top(&y[g, 0], n, &tops[g], &argtop[g])
    elif layout.groups_are_rows and _simd and step == 1:
        for g in range(layout.n_groups):
            if floating is float:
                nan_found |= skh_row_top_weighted_f32(&y[g, 0], n, inv_w, &tops[g], &argtop[g])
            else:
                nan_found |= skh_row_top_weighted_f64(&y[g, 0], n, inv_w, &tops[g], &argtop[g])
    elif layout.groups_are_rows:
        for g in range(layout.n_groups):
            row = &y[g, 0]
            for c in range(4):
                lane_top[c] = 0.0
                lane_arg[c] = c
            for k in range(0, end, 4):
                for c in range(4):
                    key = fabs(row[(k + c) * step]) * inv_w[k + c]
                    nan_found |= key != key
                    if key > lane_top[c]:
                        lane_top[c] = key
                        lane_arg[c] = k + c
            top = 0.0
            arg = 0
            for c in range(4):
                if lane_top[c] > top or (lane_top[c] == top and lane_arg[c] < arg):
                    top = lane_top[c]
                    arg = lane_arg[c]
            for k in range(end, n):
                key = fabs(row[k * step]) * inv_w[k]
                nan_found |= key != key
                if key > top:
                    top = key
                    arg = k
            tops[g] = top
            argtop[g] = arg
    elif step == 1 and _simd and layout.unit_weights:
        # Maxima of blocks of rows; the positions are found at the write, for
        # the groups left 1-sparse (argtop -1: not known).
        for g in range(layout.n_groups):
            tops[g] = 0.0
            argtop[g] = -1
        i = 0
        while i < layout.n_rows:
            nan_found |= _simd_columns_max(&y[i, 0], y.strides[0] // sizeof(floating),
                                           min(<Py_ssize_t> COLUMN_BLOCK, layout.n_rows - i),
                                           layout.n_groups, tops)
            i += COLUMN_BLOCK
    else:
        for g in range(layout.n_groups):
            tops[g] = 0.0
            argtop[g] = 0
        # (blocks of rows where the vector loops run: each group's top and
        # position stay in registers; else a row at a time)
        i = 0
        while step == 1 and _simd and i < layout.n_rows:
            rows = min(<Py_ssize_t> COLUMN_BLOCK, layout.n_rows - i)
            nan_found |= _weighted_columns_top(y, i, rows, &inv_w[i], tops, argtop)
            i += COLUMN_BLOCK
        for i in range(i, layout.n_rows):
            row = &y[i, 0]
            if step == 1:
                nan_found |= _tops_columns(row, layout.n_groups, inv_w[i], i, tops, argtop)
                continue
            for g in range(layout.n_groups):
                key = fabs(row[g * step]) * inv_w[i]
                nan_found |= key != key
                better = key > tops[g]
                tops[g] = key if better else tops[g]
                argtop[g] = i if better else argtop[g]
    for g in range(layout.n_groups):
        nan_found |= tops[g] == INFINITY
    return not nan_found


cdef int _tops_ready(Summaries* s, Layout* layout, const double* w, double w_min,
                     double* t_max) noexcept nogil:
    """Each group's unit (1 / top) and rho once 1-sparse, and ``t_max``, once the
    tops are known.  STATUS_NONFINITE where the squares of the entries would
    overflow or underflow (the caller rescales y), STATUS_INSIDE for a zero
    matrix (copied), STATUS_PROJECTED otherwise."""
    cdef Py_ssize_t g
    t_max[0] = 0.0
    for g in range(layout.n_groups):
        _top_known(s, layout, w, w_min, g)
        t_max[0] = max(t_max[0], s.top[g])
    if not (SAFE_SMALLEST < t_max[0] * w_min < SAFE_LARGEST / sqrt(<double> layout.size)):
        return STATUS_NONFINITE if t_max[0] > 0 else STATUS_INSIDE
    return STATUS_PROJECTED


# ---------------------------------------------------------------- sample estimate

cdef struct Sample:
    Py_ssize_t m          # sampled groups
    Py_ssize_t block      # neighbouring groups per sampled block
    Py_ssize_t* groups    # their indices, increasing
    double* keys          # m x size: every key of each sampled group
    double* top           # each sampled group's largest key ...
    double* rho_one       # ... and its rho once 1-sparse (or zero)
    double t_max          # the largest of these keys
    bint simd             # unit weights and AVX2: each group's sums by a vector pass
    # float32 input, unit weights and AVX-512: the keys kept as floats (|y|,
    # exact), in the memory of ``keys``, and summed by float32's AVX-512 band
    # read, at half the cost per key of the double passes.
    bint single
    float* keys32
    # ... and column groups sampled in blocks of SAMPLE_LANES neighbours: each
    # block's keys row by row (its rows of the matrix, side by side), summed
    # a group a lane by the column groups' band read.  A group at a time,
    # the band read's call for each of the sample's groups at each step of
    # the root search, and the sample's copy a key at a time, were a fifth
    # of a call in cache (100 x 1000 float32, 33 of 164 us).  (Keys in
    # double, float64's or float32's without AVX-512, summed the same way by
    # the AVX2 column read: 1.02-1.07 times as long as a group at a time from
    # 100 x 1000 to 1000 x 10000; not taken.)
    bint lanes


cdef Py_ssize_t _sample_size(Layout* layout, Py_ssize_t itemsize, Py_ssize_t* block) noexcept nogil:
    """Number of groups in the sample: about SAMPLE_TARGET keys and at most a
    SAMPLE_SHARE-th of the groups, at least two blocks, in whole blocks (a
    cache line of column groups) in an even number; every group when that is
    half of them or more."""
    cdef Py_ssize_t m = min(SAMPLE_TARGET // layout.size, layout.n_groups // SAMPLE_SHARE)
    block[0] = 1 if layout.groups_are_rows else SAMPLE_LINE // itemsize
    m = max((m + 2 * block[0] - 1) // (2 * block[0]), 1) * (2 * block[0])
    if 2 * m >= layout.n_groups:
        block[0] = 1
        return layout.n_groups
    return m


cdef void _take_sample_lanes(const float[:, :] y, Layout* layout, Sample* sm) noexcept nogil:
    """``_take_sample_floats`` for ``sm.lanes``: each block's rows copied side by side."""
    cdef Py_ssize_t n = layout.size, b, i, c, k
    cdef float* keys
    cdef float top[SAMPLE_LANES]
    sm.t_max = 0.0
    for b in range(sm.m // SAMPLE_LANES):
        keys = sm.keys32 + b * SAMPLE_LANES * n
        for i in range(n):
            memcpy(keys + i * SAMPLE_LANES, &y[i, sm.groups[b * SAMPLE_LANES]],
                   SAMPLE_LANES * sizeof(float))
        for c in range(SAMPLE_LANES):
            top[c] = 0.0
        for k in range(n * SAMPLE_LANES):
            keys[k] = fabsf(keys[k])
            top[k % SAMPLE_LANES] = max(top[k % SAMPLE_LANES], keys[k])
        for c in range(SAMPLE_LANES):
            sm.top[b * SAMPLE_LANES + c] = top[c]
            sm.rho_one[b * SAMPLE_LANES + c] = 1.0     # (unit weights)
            sm.t_max = max(sm.t_max, top[c])


cdef void _take_sample_floats(const float[:, :] y, Layout* layout, Sample* sm) noexcept nogil:
    """The sampled groups' keys |y| as floats (``sm.single``: unit weights,
    contiguous groups or rows) and their tops."""
    cdef Py_ssize_t m = sm.m, n = layout.size, j, i, i0, i1, arg
    cdef float* keys
    cdef double top
    if sm.lanes:
        _take_sample_lanes(y, layout, sm)
        return
    if layout.groups_are_rows:
        for j in range(m):
            memcpy(sm.keys32 + j * n, &y[sm.groups[j], 0], n * sizeof(float))
    else:
        i0 = 0
        while i0 < n:      # (rows in blocks, as in _take_sample)
            i1 = min(i0 + SAMPLE_ROWS, n)
            for j in range(m):
                keys = sm.keys32 + j * n
                for i in range(i0, i1):
                    keys[i] = y[i, sm.groups[j]]
            i0 = i1
    sm.t_max = 0.0
    for j in range(m):
        keys = sm.keys32 + j * n
        for i in range(n):
            keys[i] = fabs(keys[i])
        skh_row_top_f32(keys, n, &top, &arg)
        sm.top[j] = top
        sm.rho_one[j] = 1.0     # (unit weights: w at the top, or w_min)
        sm.t_max = max(sm.t_max, top)


cdef void _take_sample(const floating[:, :] y, Layout* layout, const double* w,
                       const double* inv_w, double w_min, Sample* sm) noexcept nogil:
    """Every key of some groups: one block of neighbouring groups drawn at random
    in each of m / block equal strata of the groups (a fixed seed), moved back to
    a multiple of the block where the stratum allows; their tops."""
    cdef Py_ssize_t m = sm.m, r = layout.n_groups, n = layout.size, n_blocks = m // sm.block
    cdef Py_ssize_t j, c, k, i, i0, i1, low, high, first, arg, aligned
    cdef unsigned long long state = 0x9E3779B97F4A7C15ULL
    cdef const floating* row
    cdef double* keys
    cdef double top
    for j in range(n_blocks):
        if m == r:
            low = high = j
        else:
            low = j * r // n_blocks
            high = (j + 1) * r // n_blocks - sm.block
        state = state * 6364136223846793005ULL + 1442695040888963407ULL
        first = low + <Py_ssize_t> ((state >> 33) % <unsigned long long> (high - low + 1))
        aligned = first - first % sm.block
        if aligned >= low:
            first = aligned
        for c in range(sm.block):
            sm.groups[j * sm.block + c] = first + c
    if floating is float and sm.single:
        _take_sample_floats(y, layout, sm)
        return
    if layout.groups_are_rows:
        for j in range(m):
            row = &y[sm.groups[j], 0]
            keys = sm.keys + j * n
            for k in range(n):
                keys[k] = fabs(row[k * layout.step_y]) * inv_w[k]
    else:
        # Rows in blocks of eight: each sampled group's keys are written a
        # cache line at a time (one key per row would write m lines a row,
        # n keys apart), while the block's rows stay in the L1 cache.
        i0 = 0
        while i0 < n:
            i1 = min(i0 + SAMPLE_ROWS, n)
            for j in range(m):
                keys = sm.keys + j * n
                for i in range(i0, i1):
                    keys[i] = fabs(y[i, sm.groups[j]]) * inv_w[i]
            i0 = i1
    sm.t_max = 0.0
    for j in range(m):
        keys = sm.keys + j * n
        if sm.simd:
            skh_row_top_f64(keys, n, &top, &arg)
        else:
            top = 0.0
            arg = 0
            for k in range(n):
                if keys[k] > top:
                    top = keys[k]
                    arg = k
        sm.top[j] = top
        sm.rho_one[j] = w[arg] if top > 0 else w_min
        sm.t_max = max(sm.t_max, top)


cdef double _sample_g(Sample* sm, Py_ssize_t n_groups, Py_ssize_t size, const double* v,
                      double t, Py_ssize_t per_unit, double* slope, double* error) noexcept nogil:
    r"""Estimate of g(t) from the sampled groups: ``n_groups`` times the mean of
    their :math:`\rho_g(t)` (exact for a sampled group; 1-sparse ones included).

    ``error`` (unless NULL): the estimate's standard error, from the spread of
    the means of :math:`\rho_g` over units of ``per_unit`` consecutive sampled
    groups (blocks of neighbours, whose values may be alike).

    The estimate needs no other group's top: the tops of the whole matrix are
    then found in the same read as the band (``_read_band_tops``).
    """
    cdef Py_ssize_t j, k, m = sm.m, n_units = m // per_unit
    cdef double sum_rho = 0.0, sum_slope = 0.0, unit_rho = 0.0, squares = 0.0
    cdef double rho, unit, N, D2, V, d, mean
    cdef double sums[3]
    cdef double lane_units[SAMPLE_LANES]
    cdef double lane_sums[3 * SAMPLE_LANES]
    cdef const double* keys
    for j in range(m):
        if sm.lanes and j % SAMPLE_LANES == 0:
            # (the block's sums above t, a group a lane, with an empty band:
            # lo = hi; a lane whose group lies below t is not read from them)
            for k in range(SAMPLE_LANES):
                lane_units[k] = 1.0 / sm.top[j + k] if t < sm.top[j + k] else 0.0
            memset(lane_sums, 0, sizeof(lane_sums))
            skh_columns_band_block_f32_avx512(
                sm.keys32 + j * size, SAMPLE_LANES, size, SAMPLE_LANES, t, t, lane_units,
                lane_sums, lane_sums + SAMPLE_LANES, lane_sums + 2 * SAMPLE_LANES, 0, 0,
                NULL, NULL, NULL, NULL, 0)
        if t >= sm.top[j]:
            rho = sm.rho_one[j]
        else:
            unit = 1.0 / sm.top[j]
            keys = sm.keys + j * size
            N = D2 = V = 0.0
            if sm.lanes:
                V = lane_sums[j % SAMPLE_LANES]
                N = lane_sums[SAMPLE_LANES + j % SAMPLE_LANES]
                D2 = lane_sums[2 * SAMPLE_LANES + j % SAMPLE_LANES]
            elif sm.single:
                skh_row_band_f32_avx512(sm.keys32 + j * size, size, t, t, unit, sums, 0, 0,
                                        NULL, NULL, NULL)
                V = sums[0]
                N = sums[1]
                D2 = sums[2]
            elif sm.simd:
                # The band read's sums above t, with an empty band (lo = hi).
                skh_row_band_f64(keys, size, t, t, unit, sums, 0, 0, NULL, NULL, NULL)
                V = sums[0]
                N = sums[1]
                D2 = sums[2]
            elif _simd:
                # (weights: the weighted band read's sums, the keys as they are;
                # the scalar loop's branch on each key cost 1.8 copies of a
                # float32 1000 x 10000 matrix in the estimate)
                skh_row_band_weighted_f64(keys, size, NULL, v, t, t, unit, 0, sums, 0, 0,
                                          NULL, NULL, NULL)
                V = sums[0]
                N = sums[1]
                D2 = sums[2]
            for k in range(size if not _simd else 0):
                d = (keys[k] - t) * unit
                if d > 0:
                    N += v[k] * d
                    D2 += v[k] * d * d
                    V += v[k]
            rho = N / sqrt(D2)
            sum_slope += (N * N - V * D2) / (D2 * sqrt(D2)) * unit
        sum_rho += rho
        unit_rho += rho
        if (j + 1) % per_unit == 0:
            squares += unit_rho * unit_rho
            unit_rho = 0.0
    slope[0] = sum_slope * n_groups / m
    if error != NULL:
        # Variance of the units' sums, over their number, per group squared.
        mean = sum_rho / n_units
        error[0] = 0.0
        if n_units > 1:
            error[0] = (sqrt(max(squares / n_units - mean * mean, 0.0) / (n_units - 1))
                        * n_groups / per_unit)
    return sum_rho * n_groups / m


cdef double _sample_root(Sample* sm, Py_ssize_t n_groups, Py_ssize_t size, const double* v,
                         double target) noexcept nogil:
    """Root of the sample's estimate of g: Newton from 0, safeguarded by bisection
    (to a relative 1e-6 in t or 1e-7 in g, far below the sampling error)."""
    cdef double lo = 0.0, hi = sm.t_max, t = 0.0, value, slope, step_size
    cdef int step
    value = _sample_g(sm, n_groups, size, v, t, 1, &slope, NULL)
    if value <= target:
        return 0.0
    for step in range(MAX_ROOT_STEPS):
        step_size = (value - target) / -slope if slope < 0 else hi - lo
        t = t + step_size
        if not (lo < t < hi):
            t = 0.5 * (lo + hi)
        value = _sample_g(sm, n_groups, size, v, t, 1, &slope, NULL)
        if value > target:
            lo = t
        else:
            hi = t
        if hi - lo <= 1e-6 * hi or fabs(value - target) <= 1e-7 * target:
            break
    return t


cdef double _estimate_bracket(Sample* sm, Py_ssize_t n_groups, Py_ssize_t size,
                              const double* v, double target, double* lo,
                              double* hi) noexcept nogil:
    """A bracket [lo, hi] expected to hold t*, from the sample; returns the
    sample's estimate of t* (0 where the sample meets the target).

    The estimate t of the whole sample: the bracket spans SPREAD_FACTOR
    standard errors of t on either side of it (the standard error of the
    sample's g at t, ``_sample_g``, over its slope there), at least MIN_SPAN of
    the sample's largest key or of SPAN_OVER_ESTIMATE t, the smaller.  (The two halves' estimates' difference, one
    degree of freedom, gave brackets from far too narrow to far too wide: band
    sizes, and times, varied with the draw.)  The error is taken over blocks
    of neighbouring groups where there are at least MIN_UNITS of them, else
    over groups.
    """
    cdef double t, slope, error = 0.0, half_width
    cdef Py_ssize_t per_unit = sm.block if sm.m // sm.block >= MIN_UNITS else 1
    global _estimate
    t = _sample_root(sm, n_groups, size, v, target)
    _estimate = t
    half_width = MIN_SPAN * min(sm.t_max, SPAN_OVER_ESTIMATE * t)
    if sm.m < n_groups:    # (every group sampled: the estimate is exact)
        _sample_g(sm, n_groups, size, v, t, per_unit, &slope, &error)
        half_width += SPREAD_FACTOR * error / -slope if slope < 0 else sm.t_max
    lo[0] = max(t - half_width, 0.0)
    hi[0] = t + half_width
    return t


# ---------------------------------------------------------------- narrowing by passes

cdef Py_ssize_t _sampled_in_band(Sample* sm, Py_ssize_t n_keys, double lo,
                                 double hi) noexcept nogil:
    """How many of the sample's keys lie in (lo, hi)."""
    cdef Py_ssize_t j, in_band = 0
    if sm.single:
        return skh_count_between_f32(sm.keys32, n_keys, lo, hi)
    for j in range(n_keys):
        in_band += (sm.keys[j] > lo) & (sm.keys[j] < hi)     # (no branch)
    return in_band


cdef void _quantile_points(Sample* sm, Py_ssize_t n_keys, double lo, double hi,
                           Py_ssize_t in_band, bint from_lo, int n_points,
                           double* ts) noexcept nogil:
    """``n_points`` points in [lo, hi): lo itself first when ``from_lo``, the
    others at equal shares of the sample's ``in_band`` keys in (lo, hi), so
    that the band between two neighbours holds about the same share of the
    keys wherever t* falls, the tails' spread or not; evenly spaced where the
    sample has too few.  The shares are those of the keys in (lo, hi) among
    every stride-th of the sample's (about QUANTILE_KEYS of them: a scan of
    every key, a branch on each, had cost a fifth of a pass)."""
    cdef Py_ssize_t stride = in_band // QUANTILE_KEYS + 1, room = n_keys // stride + 1
    cdef Py_ssize_t j, k, rank, done = 0, count = 0
    cdef Py_ssize_t first = 1 if from_lo else 0
    cdef double key
    cdef double* keys = NULL
    ts[0] = lo
    if in_band >= 4 * n_points:
        keys = <double*> malloc(room * sizeof(double))
    if keys != NULL:
        for j in range(0, (n_keys + stride - 1) // stride):
            key = sm.keys32[j * stride] if sm.single else sm.keys[j * stride]
            keys[count] = key
            count += (lo < key) & (key < hi)      # (no branch)
    if count < 4 * n_points:
        free(keys)
        for k in range(first, n_points):
            ts[k] = lo + (hi - lo) * (k + 1 - first) / (n_points + 1 - first)
        return
    # Each rank's key by a selection on what lies above the last one (all of
    # it at or above that key): a few passes over at most ~2 QUANTILE_KEYS
    # keys, where a sort (qsort) had taken 0.1-0.2 ms a pass.
    for k in range(first, n_points):
        rank = (k + 1 - first) * count // (n_points + 1 - first)
        _select(keys + done, count - done, rank - done)
        ts[k] = keys[rank]
        done = rank
    free(keys)


cdef inline double _pass_margin(Layout* layout, Py_ssize_t itemsize) noexcept nogil:
    """The relative error allowed the passes' g: 64 units of rounding times the
    square root of the terms a lane adds up (a random walk of roundings; the
    worst error measured was a tenth of this: float32, groups of 10000 and
    1000, Cauchy, Gaussian and t(3) keys).  float32 is summed in floats."""
    cdef double unit_roundoff = 2.0 ** -24 if itemsize == 4 else 2.0 ** -53
    cdef Py_ssize_t lanes = 64 // itemsize
    cdef double terms = (<double> layout.size / lanes if layout.groups_are_rows
                         else <double> layout.size)
    return 64 * unit_roundoff * sqrt(max(terms, 1.0))


cdef bint _g_at_points_pass(const floating[:, :] y, Layout* layout, const double* ts,
                            int n_points, double unit, const floating* wts,
                            const double* rho_one, double* sums, double* totals) noexcept nogil:
    """g at the ``n_points`` points ``ts`` (4 or 8) in one pass over y
    (contiguous groups; see _hoyer_passes.h), with weights ``wts`` in y's dtype
    and each group's rho once 1-sparse ``rho_one`` (NULL, NULL: unit weights);
    False where a sum was not finite."""
    cdef Py_ssize_t stride = y.strides[0] // sizeof(floating)
    if floating is float:
        if layout.groups_are_rows:
            return skh_rows_g_at_points_f32(&y[0, 0], stride, layout.n_groups, layout.size,
                                            ts, n_points, unit, wts, rho_one, sums, totals)
        return skh_columns_g_at_points_f32(&y[0, 0], stride, layout.n_rows, layout.n_groups,
                                           ts, n_points, unit, wts, rho_one, sums, totals)
    else:
        if layout.groups_are_rows:
            return skh_rows_g_at_points_f64(&y[0, 0], stride, layout.n_groups, layout.size,
                                            ts, n_points, unit, wts, rho_one, sums, totals)
        return skh_columns_g_at_points_f64(&y[0, 0], stride, layout.n_rows, layout.n_groups,
                                           ts, n_points, unit, wts, rho_one, sums, totals)


cdef bint _g_at_zero_pass(const floating[:, :] y, Layout* layout, double* sums,
                         double* g_zero) noexcept nogil:
    """g(0) in double in one pass over y (contiguous groups of unit weights;
    ``sums``: 16 doubles per 8 column groups); False where float64's squares
    left the doubles' range (see _hoyer_passes.h)."""
    cdef Py_ssize_t stride = y.strides[0] // sizeof(floating)
    if floating is float:
        if layout.groups_are_rows:
            return skh_rows_g_at_zero_f32(&y[0, 0], stride, layout.n_groups, layout.size,
                                          sums, g_zero)
        return skh_columns_g_at_zero_f32(&y[0, 0], stride, layout.n_rows, layout.n_groups,
                                         sums, g_zero)
    else:
        if layout.groups_are_rows:
            return skh_rows_g_at_zero_f64(&y[0, 0], stride, layout.n_groups, layout.size,
                                          sums, g_zero)
        return skh_columns_g_at_zero_f64(&y[0, 0], stride, layout.n_rows, layout.n_groups,
                                         sums, g_zero)


cdef Layout _hook_layout(Py_ssize_t n_rows, Py_ssize_t n_cols, bint groups_are_rows):
    """The testing hooks' layout: unit weights, rows contiguous."""
    cdef Layout layout
    layout.groups_are_rows = groups_are_rows
    layout.n_rows = n_rows
    layout.n_cols = n_cols
    layout.n_groups = n_rows if groups_are_rows else n_cols
    layout.size = n_cols if groups_are_rows else n_rows
    layout.step_y = layout.step_x = 1
    layout.unit_weights = True
    return layout


def _g_at_points(const floating[:, :] y, bint groups_are_rows, const double[::1] ts,
                 double unit, weights=None, rho_one=None):
    """Testing hook: g at the thresholds ``ts`` (4 or 8 of them) by one pass
    over ``y`` (``_g_at_points_pass``: rows contiguous; ``weights`` with each
    group's ``rho_one``, or unit weights), or None where a sum was not finite."""
    cdef Layout layout = _hook_layout(y.shape[0], y.shape[1], groups_are_rows)
    cdef double totals[MAX_PASS_POINTS]
    cdef int n_points = ts.shape[0]
    cdef double* sums
    cdef bint finite
    cdef floating[::1] wts
    cdef double[::1] ones
    if n_points != 4 and n_points != 8:
        raise ValueError(f"ts must hold 4 or 8 points, got {n_points}")
    if weights is not None:
        wts = np.ascontiguousarray(weights, dtype=np.float32 if floating is float
                                   else np.float64)
        ones = np.ascontiguousarray(rho_one, dtype=np.float64)
    sums = <double*> malloc(((y.shape[1] + 7) // 8 * 128 + 1) * sizeof(double))
    finite = _g_at_points_pass(y, &layout, &ts[0], n_points, unit,
                               &wts[0] if weights is not None else NULL,
                               &ones[0] if weights is not None else NULL, sums, totals)
    free(sums)
    return [totals[k] for k in range(n_points)] if finite else None


def _weighted_row(const floating[:, :] y, const double[::1] iw, const double[::1] v,
                  double lo, double hi, double unit, bint simd):
    """Testing hook: the weighted contiguous group ``y[0]``'s band read (sums
    at or above ``hi``, the band's keys and values) and its top, first
    position and NaN flag (``_tops``), by the AVX2 loops (``simd``, where the
    CPU has AVX2) or the portable ones."""
    cdef Layout layout = _hook_layout(1, y.shape[1], True)
    cdef Py_ssize_t n = y.shape[1], count, arg = 0, e
    cdef double sums[3]
    cdef double top = 0.0
    cdef bint finite, simd_before = _simd
    cdef Summaries s
    cdef Stream st
    global _simd
    if simd and not skh_have_avx2():
        raise RuntimeError("the CPU has no AVX2")
    layout.unit_weights = False
    st.count = 0
    st.capacity = n
    st.keys = <double*> malloc((n + 1) * sizeof(double))
    st.vals = <double*> malloc((n + 1) * sizeof(double))
    st.groups = <Py_ssize_t*> malloc((n + 1) * sizeof(Py_ssize_t))
    s.top = &top
    s.argtop = &arg
    _simd = simd
    try:
        count = _row(&y[0, 0], n, &iw[0], &v[0], lo, hi, unit, 0, sums, &st)
        finite = _tops(y, &layout, &iw[0], &s)
        result = ([sums[0], sums[1], sums[2]], [st.keys[e] for e in range(count)],
                  [st.vals[e] for e in range(count)], top, arg, not finite)
    finally:
        _simd = simd_before
        free(st.keys)
        free(st.vals)
        free(st.groups)
    return result


def _weighted_columns(const floating[:, :] y, const double[::1] iw, const double[::1] v,
                      double lo, double hi, const double[::1] unit, bint blocks):
    """Testing hook: the band read and tops of weighted column groups (rows
    contiguous), by blocks of COLUMN_BLOCK rows (``blocks``: AVX-512 where
    the float32 passes run, else AVX2) or a row at a time (AVX2);
    returns the groups' sums (v, p, r), tops and positions, and the band's
    (group, key, v) entries in the stream's order sorted stably by group."""
    cdef Py_ssize_t n_rows = y.shape[0], n = y.shape[1]
    cdef Py_ssize_t i, g, e, first, rows, capacity = n_rows * n
    cdef Stream st
    cdef bint nan = False
    cdef double[::1] sum_v = array("d", [0.0]) * n, sum_p = array("d", [0.0]) * n
    cdef double[::1] sum_r = array("d", [0.0]) * n, top = array("d", [0.0]) * n
    cdef int64_t[::1] arg = array("q", [0]) * n
    if not _simd:
        raise RuntimeError("the vector loops are off: the CPU has no AVX2, or "
                           "_set_testing(simd=False) chose the portable ones")
    st.keys = <double*> malloc((capacity + 1) * sizeof(double))
    st.vals = <double*> malloc((capacity + 1) * sizeof(double))
    st.groups = <Py_ssize_t*> malloc((capacity + 1) * sizeof(Py_ssize_t))
    st.count = 0
    st.capacity = capacity
    try:
        i = 0
        while i < n_rows:
            rows = min(<Py_ssize_t> COLUMN_BLOCK, n_rows - i)
            if blocks:
                st.count = _weighted_columns_band(y, i, rows, &iw[i], &v[i], lo, hi,
                                                  &unit[0], &sum_v[0], &sum_p[0], &sum_r[0],
                                                  &st)
                nan |= _weighted_columns_top(y, i, rows, &iw[i], &top[0],
                                             <Py_ssize_t*> &arg[0])
            else:
                for e in range(i, i + rows):
                    first = st.count
                    st.count = _simd_columns_band(&y[e, 0], n, iw[e], v[e], lo, hi, &unit[0],
                                                  &sum_v[0], &sum_p[0], &sum_r[0], &st)
                    for g in range(first, min(st.count, capacity)):
                        st.vals[g] = v[e]
                    nan |= _simd_columns_top(&y[e, 0], n, iw[e], e, &top[0],
                                             <Py_ssize_t*> &arg[0])
            i += COLUMN_BLOCK
        band = sorted([(st.groups[e], k, st.keys[e], st.vals[e])
                       for k, e in enumerate(range(min(st.count, capacity)))])
    finally:
        free(st.keys)
        free(st.vals)
        free(st.groups)
    return ((list(sum_v), list(sum_p), list(sum_r)), list(top), list(arg), bool(nan),
            [(b[0], b[2], b[3]) for b in band])


def _g_at_zero(const floating[:, :] y, bint groups_are_rows):
    """Testing hook: g(0) in double by one pass over ``y`` (``_g_at_zero_pass``),
    or None where float64's squares left the doubles' range."""
    cdef Layout layout = _hook_layout(y.shape[0], y.shape[1], groups_are_rows)
    cdef double g_zero
    cdef double* sums = <double*> malloc(((y.shape[1] + 7) // 8 * 16 + 1) * sizeof(double))
    cdef bint finite = _g_at_zero_pass(y, &layout, sums, &g_zero)
    free(sums)
    return g_zero if finite else None


cdef double _pass_share_of(Layout* layout, Py_ssize_t itemsize) noexcept nogil:
    """The share of the sample's keys in its bracket above which passes narrow
    it (above 1: none)."""
    cdef Py_ssize_t entries = layout.n_groups * layout.size
    if _pass_share >= 0:
        return _pass_share
    if entries <= PASS_MIN_ENTRIES:
        return 2.0
    return PASS_SHARE_IN_CACHE if entries * itemsize <= PASS_CACHE_BYTES else PASS_SHARE


cdef int _pass_points_of(Layout* layout, Py_ssize_t itemsize) noexcept nogil:
    """The points of each pass: PASS_POINTS, or PASS_POINTS_IN_CACHE on a
    matrix in cache (``_pass_points`` where a test sets it)."""
    if _pass_points > 0:
        return _pass_points
    if layout.n_groups * layout.size * itemsize <= PASS_CACHE_BYTES:
        return PASS_POINTS_IN_CACHE
    return PASS_POINTS


cdef int _narrow_by_passes(const floating[:, :] y, Layout* layout, const double* w,
                           Summaries* s, Sample* sm, double target, bint sample_inside,
                           double* lo, double* hi, Py_ssize_t* in_band) noexcept nogil:
    """Narrow the sample's bracket [lo, hi] while it holds more than a share
    (``_pass_share_of``) of the sampled keys (``in_band`` of them, updated):
    g at ``_pass_points_of`` points of it (``_quantile_points``) in a
    pass over y (at most MAX_PASSES), the bracket then the two points around
    the target.  Where lo = 0 was a point and a pass finds g(0) meeting the
    target, g(0) in double (``_g_at_zero_pass``) decides: STATUS_INSIDE, or
    the bracket as it was; where it cannot, the bracket becomes [0, a sliver
    above 0], whose band read checks g(0).  Else STATUS_PROJECTED, the
    bracket narrowed or kept (a pass that met NaN, inf or squares past the
    doubles' range leaves it: the band read reports them), or
    STATUS_NOMEMORY.  With weights (``w``, and ``s.rho_one`` for the groups
    past their tops) the passes take them, and g(0) is not read in double:
    the band read's exact check decides at 0.

    The points' g are sums of the same terms as the band's exact g, in another
    order; the band read still checks the bracket's ends exactly.
    """
    cdef Py_ssize_t n_keys = sm.m * layout.size, k_lo, k_hi
    cdef double ts[MAX_PASS_POINTS]
    cdef double totals[MAX_PASS_POINTS]
    cdef int n_points = _pass_points_of(layout, sizeof(floating))
    cdef double* sums = NULL
    cdef floating* wts = NULL      # (weights in y's dtype; NULL: unit weights)
    cdef const double* rho_one = NULL if layout.unit_weights else s.rho_one
    cdef Py_ssize_t k
    cdef double most = _pass_share_of(layout, sizeof(floating)) * n_keys
    cdef double margin = _pass_margin(layout, sizeof(floating)) * target
    cdef double g_zero
    cdef int zero_read = 0      # g(0) in double: 1 read, -1 past float64's range, 0 not read
    cdef bint from_lo
    global _passes
    if in_band[0] <= most or not (0 < hi[0] < INFINITY):
        return STATUS_PROJECTED
    if not layout.groups_are_rows:
        sums = <double*> malloc((layout.n_groups + 7) // 8 * 128 * sizeof(double))
        if sums == NULL:
            return STATUS_NOMEMORY
    if not layout.unit_weights:
        wts = <floating*> malloc(layout.size * sizeof(floating))
        if wts == NULL:
            free(sums)
            return STATUS_NOMEMORY
        for k in range(layout.size):
            wts[k] = <floating> w[k]
        # (g(0) in double is read for unit weights alone: with weights, the
        # band read's exact check decides at 0)
        zero_read = -1
    elif sample_inside:
        zero_read = 1 if _g_at_zero_pass(y, layout, sums, &g_zero) else -1
    if zero_read == 1:
        # The sample meets the target: g(0) in double first (a read without
        # the points' sums, half a pass), the copy follows where y does too
        # (Cauchy and lognormal 1000 x 10000 at s = 0.5-0.8, times a copy:
        # float64 2.3-2.4 by a pass and this check, 1.5-1.6 by the check;
        # float32 4.0-4.7, 1.8-2.3).  Where y does not, it counts as one of
        # the passes (Cauchy float32 row groups at s = 0.95: 7.0 -> 7.1).
        _passes = 1
        if g_zero <= target * (1 + INSIDE_SLACK):
            free(sums)
            return STATUS_INSIDE
    while _passes < MAX_PASSES and in_band[0] > most:
        # (lo = 0 a point where g(0) is not known yet: its test of "target met")
        from_lo = lo[0] == 0 and zero_read == 0
        _quantile_points(sm, n_keys, lo[0], hi[0], in_band[0], from_lo, n_points, ts)
        if not _g_at_points_pass(y, layout, ts, n_points, 1.0 / hi[0], wts, rho_one, sums,
                                 totals):
            break
        _passes += 1
        if from_lo and totals[0] <= target - margin:
            # y meets the target, by this pass, whose float sums count a
            # group far below the bracket rho = 1 (its squares flushed to
            # zero): g(0) in double decides, as the band read's check would
            # (within rounding of the target counts as meeting it), or where
            # float64's squares leave the doubles' range, that check, over a
            # band of the keys just above 0.  (Read once a call.)
            if zero_read == 0:
                zero_read = 1 if _g_at_zero_pass(y, layout, sums, &g_zero) else -1
            if zero_read == 1:
                if g_zero <= target * (1 + INSIDE_SLACK):
                    free(sums)
                    free(wts)
                    return STATUS_INSIDE
                break
            hi[0] = ts[1] * EMPTY_BAND
            in_band[0] = _sampled_in_band(sm, n_keys, lo[0], hi[0])
            break
        # The points whose g is within the margin of the target stay inside
        # the bracket (g is non-increasing: k_lo <= k_hi).
        k_lo = 0
        while k_lo < n_points and totals[k_lo] > target + margin:
            k_lo += 1
        k_hi = 0
        while k_hi < n_points and totals[k_hi] > target - margin:
            k_hi += 1
        if k_lo > 0:
            lo[0] = ts[k_lo - 1]
        if k_hi < n_points:
            hi[0] = ts[k_hi]
        in_band[0] = _sampled_in_band(sm, n_keys, lo[0], hi[0])
    free(sums)
    free(wts)
    return STATUS_PROJECTED


# ---------------------------------------------------------------- exact band (read 2)

cdef struct Stream:
    # The band entries in the order read: key, v, group.
    Py_ssize_t count, capacity
    double* keys
    double* vals          # (not written when unit_vals: every v is 1)
    Py_ssize_t* groups
    bint unit_vals
    bint by_group         # read group after group (row groups): already sorted
    # float32 read by the AVX-512 loops: keys as floats (exact, |y|) and groups
    # as int32 in the same memory (half the bytes and compresses per entry).
    bint narrow
    # The band expected to hold at least DENSE_BAND of the keys: the AVX-512
    # column loops then push every vector's entries without a branch.
    bint dense


cdef inline bint _narrow_stream(const floating* row, Py_ssize_t n_groups) noexcept nogil:
    """Whether the unit-weight SIMD band read of this dtype stores narrow entries."""
    return floating is float and _avx512 and n_groups <= INT32_MAX


cdef inline void _set_groups(Stream* st, Py_ssize_t first, Py_ssize_t g) noexcept nogil:
    """Group g for the stream's entries from ``first`` on (one group's band read)."""
    cdef Py_ssize_t e
    if st.narrow:
        for e in range(first, min(st.count, st.capacity)):
            (<int32_t*> st.groups)[e] = <int32_t> g
    else:
        for e in range(first, min(st.count, st.capacity)):
            st.groups[e] = g


cdef inline bint _tops_columns(const floating* row, Py_ssize_t n, double iw, Py_ssize_t i,
                               double* top, Py_ssize_t* arg) noexcept nogil:
    if floating is float:
        return skproj_tops_columns_float(row, n, iw, i, top, arg)
    else:
        return skproj_tops_columns_double(row, n, iw, i, top, arg)


cdef inline void _above_columns(const floating* row, Py_ssize_t n, double iw, double vi,
                                double hi, const double* unit, double* sum_v, double* sum_p,
                                double* sum_r) noexcept nogil:
    if floating is float:
        skproj_above_columns_float(row, n, iw, vi, hi, unit, sum_v, sum_p, sum_r)
    else:
        skproj_above_columns_double(row, n, iw, vi, hi, unit, sum_v, sum_p, sum_r)


cdef inline Py_ssize_t _row(const floating* row, Py_ssize_t n, const double* iw,
                           const double* v, double lo, double hi, double unit, Py_ssize_t g,
                           double* sums, Stream* st) noexcept nogil:
    """The band read of a contiguous group of weights (with AVX2 where the CPU
    has it: the portable loop's results)."""
    if floating is float:
        if _simd:
            return skh_row_band_weighted_f32(row, n, iw, v, lo, hi, unit, g, sums, st.count,
                                             st.capacity, st.keys, st.vals, st.groups)
        return skproj_row_float(row, n, iw, v, lo, hi, unit, g, sums, st.count, st.capacity,
                                st.keys, st.vals, st.groups)
    else:
        if _simd:
            return skh_row_band_weighted_f64(row, n, iw, v, lo, hi, unit, g, sums, st.count,
                                             st.capacity, st.keys, st.vals, st.groups)
        return skproj_row_double(row, n, iw, v, lo, hi, unit, g, sums, st.count, st.capacity,
                                 st.keys, st.vals, st.groups)


cdef inline Py_ssize_t _band(const floating* row, Py_ssize_t n, const double* iw,
                             Py_ssize_t iw_step, const double* v, Py_ssize_t v_step,
                             double lo, double hi, Py_ssize_t group, Py_ssize_t group_step,
                             Stream* st) noexcept nogil:
    if floating is float:
        return skproj_band_float(row, n, iw, iw_step, v, v_step, lo, hi, group, group_step,
                                 st.count, st.capacity, st.keys, st.vals, st.groups)
    else:
        return skproj_band_double(row, n, iw, iw_step, v, v_step, lo, hi, group, group_step,
                                  st.count, st.capacity, st.keys, st.vals, st.groups)


cdef inline Py_ssize_t _simd_row_band(const floating* row, Py_ssize_t n, double lo, double hi,
                                      double unit, double* sums, Stream* st, double* top,
                                      int* nan) noexcept nogil:
    """The band read of a contiguous group; with ``top`` (not NULL), fused with its
    largest key (and ``nan`` set if it saw a NaN)."""
    if floating is float and st.narrow:
        if top != NULL:
            return skh_row_band_top_f32_avx512(row, n, lo, hi, unit, sums, st.count,
                                               st.capacity, <float*> st.keys, top, nan)
        return skh_row_band_f32_avx512(row, n, lo, hi, unit, sums, st.count, st.capacity,
                                       <float*> st.keys, NULL, NULL)
    elif floating is float:
        if top != NULL:
            return skh_row_band_top_f32(row, n, lo, hi, unit, sums, st.count, st.capacity,
                                        st.keys, top, nan)
        return skh_row_band_f32(row, n, lo, hi, unit, sums, st.count, st.capacity, st.keys,
                                NULL, NULL)
    elif _avx512:
        if top != NULL:
            return skh_row_band_top_f64_avx512(row, n, lo, hi, unit, sums, st.count,
                                               st.capacity, st.keys, top, nan)
        return skh_row_band_f64_avx512(row, n, lo, hi, unit, sums, st.count, st.capacity,
                                       st.keys, NULL, NULL)
    else:
        if top != NULL:
            return skh_row_band_top_f64(row, n, lo, hi, unit, sums, st.count, st.capacity,
                                        st.keys, top, nan)
        return skh_row_band_f64(row, n, lo, hi, unit, sums, st.count, st.capacity, st.keys,
                                NULL, NULL)


cdef inline Py_ssize_t _weighted_columns_band(const floating[:, :] y, Py_ssize_t i,
                                              Py_ssize_t rows, const double* iw,
                                              const double* v, double lo, double hi,
                                              const double* unit, double* sum_v,
                                              double* sum_p, double* sum_r,
                                              Stream* st) noexcept nogil:
    """The band read of rows i..i + rows of weighted column groups (AVX-512
    where its float32 passes run, else AVX2: the same results)."""
    cdef Py_ssize_t stride = y.strides[0] // sizeof(floating), n = y.shape[1]
    if floating is float:
        if _avx512:
            return skh_columns_band_weighted512_f32(
                &y[i, 0], stride, rows, n, iw, v, lo, hi, unit, sum_v, sum_p, sum_r,
                st.count, st.capacity, st.keys, st.vals, <int64_t*> st.groups)
        return skh_columns_band_weighted_f32(
            &y[i, 0], stride, rows, n, iw, v, lo, hi, unit, sum_v, sum_p, sum_r, st.count,
            st.capacity, st.keys, st.vals, <int64_t*> st.groups, 0)
    else:
        if _avx512:
            return skh_columns_band_weighted512_f64(
                &y[i, 0], stride, rows, n, iw, v, lo, hi, unit, sum_v, sum_p, sum_r,
                st.count, st.capacity, st.keys, st.vals, <int64_t*> st.groups)
        return skh_columns_band_weighted_f64(
            &y[i, 0], stride, rows, n, iw, v, lo, hi, unit, sum_v, sum_p, sum_r, st.count,
            st.capacity, st.keys, st.vals, <int64_t*> st.groups, 0)


cdef inline bint _weighted_columns_top(const floating[:, :] y, Py_ssize_t i, Py_ssize_t rows,
                                       const double* iw, double* top,
                                       Py_ssize_t* arg) noexcept nogil:
    """The tops and first positions over rows i..i + rows of weighted column
    groups (AVX-512 where its float32 passes run, else AVX2); whether a NaN was
    seen."""
    cdef Py_ssize_t stride = y.strides[0] // sizeof(floating), n = y.shape[1]
    if floating is float:
        if _avx512:
            return skh_columns_top_weighted512_f32(&y[i, 0], stride, rows, n, iw, i, top,
                                                   <int64_t*> arg)
        return skh_columns_top_weighted_f32(&y[i, 0], stride, rows, n, iw, i, top,
                                            <int64_t*> arg)
    else:
        if _avx512:
            return skh_columns_top_weighted512_f64(&y[i, 0], stride, rows, n, iw, i, top,
                                                   <int64_t*> arg)
        return skh_columns_top_weighted_f64(&y[i, 0], stride, rows, n, iw, i, top,
                                            <int64_t*> arg)


cdef inline Py_ssize_t _simd_columns_band(const floating* row, Py_ssize_t n, double iw,
                                          double vi, double lo, double hi,
                                          const double* unit, double* sum_v, double* sum_p,
                                          double* sum_r, Stream* st) noexcept nogil:
    if floating is float:
        return skh_columns_band_f32(row, n, iw, vi, lo, hi, unit, sum_v, sum_p, sum_r,
                                    st.count, st.capacity, st.keys, <int64_t*> st.groups, 0)
    else:
        return skh_columns_band_f64(row, n, iw, vi, lo, hi, unit, sum_v, sum_p, sum_r,
                                    st.count, st.capacity, st.keys, <int64_t*> st.groups, 0)


cdef inline Py_ssize_t _simd_columns_band_block(const floating* rows, Py_ssize_t stride,
                                                Py_ssize_t n_rows, Py_ssize_t n, double lo,
                                                double hi, const double* unit, double* sum_v,
                                                double* sum_p, double* sum_r, Stream* st,
                                                double* top, int* nan) noexcept nogil:
    """The band read of a block of rows of column groups; with ``top`` (not NULL),
    fused with the groups' largest keys (and ``nan`` set if it saw a NaN)."""
    if floating is float and st.narrow:
        if top != NULL:
            return skh_columns_band_block_top_f32_avx512(
                rows, stride, n_rows, n, lo, hi, unit, sum_v, sum_p, sum_r, st.count,
                st.capacity, <float*> st.keys, <int32_t*> st.groups, top, nan, st.dense)
        return skh_columns_band_block_f32_avx512(
            rows, stride, n_rows, n, lo, hi, unit, sum_v, sum_p, sum_r, st.count, st.capacity,
            <float*> st.keys, <int32_t*> st.groups, NULL, NULL, st.dense)
    elif floating is float:
        if top != NULL:
            return skh_columns_band_block_top_f32(rows, stride, n_rows, n, lo, hi, unit, sum_v,
                                                  sum_p, sum_r, st.count, st.capacity, st.keys,
                                                  <int64_t*> st.groups, top, nan)
        return skh_columns_band_block_f32(rows, stride, n_rows, n, lo, hi, unit, sum_v, sum_p,
                                          sum_r, st.count, st.capacity, st.keys,
                                          <int64_t*> st.groups, NULL, NULL)
    else:
        if top != NULL:
            return skh_columns_band_block_top_f64(rows, stride, n_rows, n, lo, hi, unit, sum_v,
                                                  sum_p, sum_r, st.count, st.capacity, st.keys,
                                                  <int64_t*> st.groups, top, nan)
        return skh_columns_band_block_f64(rows, stride, n_rows, n, lo, hi, unit, sum_v, sum_p,
                                          sum_r, st.count, st.capacity, st.keys,
                                          <int64_t*> st.groups, NULL, NULL)


cdef inline void _push(Stream* st, double key, double v, Py_ssize_t g) noexcept nogil:
    if st.count < st.capacity:
        st.keys[st.count] = key
        st.vals[st.count] = v
        st.groups[st.count] = g
    st.count += 1


cdef inline void _add_above(double key, double v, double lo, double hi, double unit,
                            double* sum_v, double* sum_p, double* sum_r, Stream* st,
                            Py_ssize_t g) noexcept nogil:
    """Sum an entry at or above hi (branch-free: half the entries may be above
    hi, a branch would be mispredicted); push one in (lo, hi) (rare)."""
    cdef bint above = key >= hi
    cdef double d = (key - hi) * unit if above else 0.0
    sum_v[0] += v if above else 0.0
    sum_p[0] += v * d
    sum_r[0] += v * d * d
    if lo < key < hi:
        _push(st, key, v, g)


cdef void _read_band(const floating[:, :] y, Layout* layout, const double* inv_w,
                     const double* v, Summaries* s, double lo, double hi, Stream* st,
                     double* above_v, double* above_p, double* above_r) noexcept nogil:
    """One read: the entries with keys in (lo, hi) go to the stream; those at or
    above hi are summed (v, v d, v d^2 with d = (key - hi) / top: positive
    terms, no cancellation).  Keys at or below lo are inactive on [lo, hi]."""
    cdef Py_ssize_t g, k, i, c, n = layout.size, step = layout.step_y, end = n - n % 4
    cdef Py_ssize_t first, e, rows
    cdef double key, d, vi, unit
    cdef double lane_v[4]
    cdef double lane_p[4]
    cdef double lane_r[4]
    cdef const floating* row
    cdef double sums[3]
    st.count = 0
    st.unit_vals = False
    st.narrow = False
    st.by_group = layout.groups_are_rows
    if layout.groups_are_rows and step == 1:
        st.unit_vals = _simd and layout.unit_weights
        st.narrow = st.unit_vals and _narrow_stream(&y[0, 0], layout.n_groups)
        for g in range(layout.n_groups):
            row = &y[g, 0]
            if st.unit_vals:
                first = st.count
                st.count = _simd_row_band(row, n, lo, hi, s.inv_top[g], sums, st, NULL, NULL)
                _set_groups(st, first, g)
            else:
                st.count = _row(row, n, inv_w, v, lo, hi, s.inv_top[g], g, sums, st)
            above_v[g] = sums[0]
            above_p[g] = sums[1]
            above_r[g] = sums[2]
        return
    if not layout.groups_are_rows and step == 1:
        for g in range(layout.n_groups):
            above_v[g] = above_p[g] = above_r[g] = 0.0
        if _simd and layout.unit_weights:
            # Blocks of rows: each group's sums stay in registers over a block.
            st.unit_vals = True
            st.narrow = _narrow_stream(&y[0, 0], layout.n_groups)
            i = 0
            while i < layout.n_rows:
                st.count = _simd_columns_band_block(
                    &y[i, 0], y.strides[0] // sizeof(floating),
                    min(<Py_ssize_t> COLUMN_BLOCK, layout.n_rows - i), layout.n_groups,
                    lo, hi, s.inv_top, above_v, above_p, above_r, st, NULL, NULL)
                i += COLUMN_BLOCK
            return
        if _simd:
            # Blocks of rows: each group's sums stay in registers over a block.
            i = 0
            while i < layout.n_rows:
                rows = min(<Py_ssize_t> COLUMN_BLOCK, layout.n_rows - i)
                st.count = _weighted_columns_band(y, i, rows, &inv_w[i], &v[i], lo, hi,
                                                  s.inv_top, above_v, above_p, above_r, st)
                i += COLUMN_BLOCK
            return
        for i in range(layout.n_rows):
            row = &y[i, 0]
            _above_columns(row, layout.n_groups, inv_w[i], v[i], hi, s.inv_top, above_v,
                           above_p, above_r)
            st.count = _band(row, layout.n_groups, &inv_w[i], 0, &v[i], 0, lo, hi, 0, 1, st)
        return
    if layout.groups_are_rows:
        for g in range(layout.n_groups):
            row = &y[g, 0]
            unit = s.inv_top[g]
            for c in range(4):
                lane_v[c] = lane_p[c] = lane_r[c] = 0.0
            # Four lanes: independent chains of additions.
            for k in range(0, end, 4):
                for c in range(4):
                    _add_above(fabs(row[(k + c) * step]) * inv_w[k + c], v[k + c], lo, hi,
                               unit, &lane_v[c], &lane_p[c], &lane_r[c], st, g)
            for k in range(end, n):
                _add_above(fabs(row[k * step]) * inv_w[k], v[k], lo, hi, unit,
                           &lane_v[0], &lane_p[0], &lane_r[0], st, g)
            above_v[g] = (lane_v[0] + lane_v[1]) + (lane_v[2] + lane_v[3])
            above_p[g] = (lane_p[0] + lane_p[1]) + (lane_p[2] + lane_p[3])
            above_r[g] = (lane_r[0] + lane_r[1]) + (lane_r[2] + lane_r[3])
        return
    for g in range(layout.n_groups):
        above_v[g] = above_p[g] = above_r[g] = 0.0
    for i in range(layout.n_rows):
        row = &y[i, 0]
        vi = v[i]
        # Branch-free, so that the loop over the groups vectorizes.
        for g in range(layout.n_groups):
            key = fabs(row[g * step]) * inv_w[i]
            d = (key - hi) * s.inv_top[g] if key >= hi else 0.0
            above_v[g] += vi if key >= hi else 0.0
            above_p[g] += vi * d
            above_r[g] += vi * d * d
        for g in range(layout.n_groups):
            key = fabs(row[g * step]) * inv_w[i]
            if lo < key < hi:
                _push(st, key, vi, g)


cdef bint _read_band_tops(const floating[:, :] y, Layout* layout, Summaries* s, double lo,
                          double hi, Stream* st, double* above_v, double* above_p,
                          double* above_r) noexcept nogil:
    """The band read fused with the tops (contiguous rows or column groups, unit
    weights, AVX2): as ``_read_band``, but the tops are not known yet, so the
    sums above hi are in units of hi (``_units_of_top`` converts them) and every
    group's largest key comes from the same read, its position left to the
    write (``argtop`` -1).  False if y is not finite.
    """
    cdef Py_ssize_t g, e, first, i, n = layout.size
    cdef double unit = 1.0 / hi
    cdef double sums[3]
    cdef int nan_found = 0
    st.count = 0
    st.unit_vals = True
    st.narrow = _narrow_stream(&y[0, 0], layout.n_groups)
    st.by_group = layout.groups_are_rows
    for g in range(layout.n_groups):
        s.argtop[g] = -1
    if layout.groups_are_rows:
        for g in range(layout.n_groups):
            first = st.count
            st.count = _simd_row_band(&y[g, 0], n, lo, hi, unit, sums, st, &s.top[g],
                                      &nan_found)
            _set_groups(st, first, g)
            above_v[g] = sums[0]
            above_p[g] = sums[1]
            above_r[g] = sums[2]
    else:
        for g in range(layout.n_groups):
            above_v[g] = above_p[g] = above_r[g] = 0.0
            s.top[g] = 0.0
            s.inv_top[g] = unit     # (the unit of the sums, per group)
        i = 0
        while i < layout.n_rows:
            st.count = _simd_columns_band_block(
                &y[i, 0], y.strides[0] // sizeof(floating),
                min(<Py_ssize_t> COLUMN_BLOCK, layout.n_rows - i), layout.n_groups,
                lo, hi, s.inv_top, above_v, above_p, above_r, st, s.top, &nan_found)
            i += COLUMN_BLOCK
    for g in range(layout.n_groups):
        nan_found |= s.top[g] == INFINITY
    return not nan_found


cdef bint _units_of_top(Summaries* s, Py_ssize_t n_groups, double hi, double t_max,
                        double* above_p, double* above_r) noexcept nogil:
    """Convert the sums above hi of ``_read_band_tops`` from units of hi to units
    of each group's top (hi / top <= 1 where they are not zero); False, and
    nothing converted, where a group's top is so far above hi that the sums
    may have overflowed (the band is then read again, in units of the tops)."""
    cdef Py_ssize_t g
    cdef double factor
    if not t_max / hi <= MAX_TOP_OVER_HI:
        return False
    for g in range(n_groups):
        factor = hi * s.inv_top[g]
        above_p[g] *= factor
        above_r[g] *= factor * factor
    return True


ctypedef fused cursor_t:
    int32_t
    int64_t


cdef void _sort_narrow(Stream* st, Band* band, Py_ssize_t n_groups,
                       cursor_t* cursor) noexcept nogil:
    """The keys of a narrow stream (read row after row) sorted by group into the
    band (a counting sort; ``cursor``: n_groups + 1 zeros).  int32 cursors
    where the stream holds fewer than 2^31 entries: 10^4 groups' cursors then
    fit in the L1 cache (int64's took a miss an entry to count and to
    scatter); the cursors and the places they point to asked for ahead."""
    cdef Py_ssize_t e, g, count = st.count
    cdef cursor_t total = 0, n
    cdef const float* keys = <float*> st.keys
    cdef const int32_t* groups = <int32_t*> st.groups
    for e in range(count):
        cursor[groups[e]] += 1
    for g in range(n_groups):
        n = cursor[g]
        band.start[g] = cursor[g] = total
        total += n
    band.start[n_groups] = total
    for e in range(count):
        if e + 2 * SCATTER_AHEAD < count:
            prefetch(&cursor[groups[e + 2 * SCATTER_AHEAD]])
        if e + SCATTER_AHEAD < count:
            prefetch(&band.keys[cursor[groups[e + SCATTER_AHEAD]]])
        g = groups[e]
        band.keys[cursor[g]] = keys[e]
        cursor[g] += 1


cdef int _band_from_stream(Stream* st, Band* band, Py_ssize_t n_groups) noexcept nogil:
    """Sort the stream's entries by group (counting sort) into the band."""
    cdef Py_ssize_t g, e, total = 0, count
    cdef Py_ssize_t* cursor
    cdef const float* keys32 = <float*> st.keys
    cdef const int32_t* groups32 = <int32_t*> st.groups
    free(band.keys)
    free(band.vals)
    band.keys = <double*> malloc(max(st.count, 1) * sizeof(double))
    band.vals = <double*> malloc(max(st.count, 1) * sizeof(double))
    cursor = <Py_ssize_t*> calloc(n_groups + 1, sizeof(Py_ssize_t))
    if band.keys == NULL or band.vals == NULL or cursor == NULL:
        free(cursor)
        return STATUS_NOMEMORY
    band.unit_vals = st.unit_vals
    if st.narrow and not st.by_group:
        # (Its values are all 1: not written, see below.)
        if st.count <= INT32_MAX:
            _sort_narrow(st, band, n_groups, <int32_t*> cursor)
        else:
            _sort_narrow(st, band, n_groups, <int64_t*> cursor)
        free(cursor)
        return STATUS_PROJECTED
    if st.narrow:
        for e in range(st.count):
            cursor[groups32[e]] += 1
    else:
        for e in range(st.count):
            cursor[st.groups[e]] += 1
    for g in range(n_groups):
        count = cursor[g]
        band.start[g] = cursor[g] = total
        total += count
    band.start[n_groups] = total
    if st.by_group:
        if st.narrow:
            for e in range(total):
                band.keys[e] = keys32[e]
        else:
            memcpy(band.keys, st.keys, total * sizeof(double))
        if not st.unit_vals:
            memcpy(band.vals, st.vals, total * sizeof(double))
    elif st.unit_vals:
        # Only the keys are scattered (the scatter, a write stream per group,
        # is the sort's cost); the values are all 1 (not written: every reader
        # of a band with unit_vals takes 1).
        # The cursors and the places they point to are asked for ahead: over
        # 10^4 groups both miss the L1 cache, one of each per entry, and the
        # scatter waited on them in turn.
        for e in range(st.count):
            if e + 2 * SCATTER_AHEAD < st.count:
                prefetch(&cursor[st.groups[e + 2 * SCATTER_AHEAD]])
            if e + SCATTER_AHEAD < st.count:
                prefetch(&band.keys[cursor[st.groups[e + SCATTER_AHEAD]]])
            g = st.groups[e]
            band.keys[cursor[g]] = st.keys[e]
            cursor[g] += 1
    else:
        for e in range(st.count):
            g = st.groups[e]
            band.keys[cursor[g]] = st.keys[e]
            band.vals[cursor[g]] = st.vals[e]
            cursor[g] += 1
    free(cursor)
    return STATUS_PROJECTED


cdef int _exact_band(const floating[:, :] y, Layout* layout, const double* w,
                     const double* inv_w, const double* v, double w_min, Summaries* s,
                     Band* band, Stream* st, double* above_sums, bint with_tops,
                     double* t_max) noexcept nogil:
    """The exact model of g on [band.lo, band.hi] (one read of y, two if the
    stream was too short), and every group's range for the refinement.

    ``with_tops``: the tops are not known yet; they come from the same read
    (``_read_band_tops``), then ``_tops_ready`` sets ``t_max`` and may return
    STATUS_NONFINITE or STATUS_INSIDE (a zero matrix).
    """
    cdef Py_ssize_t g, n_groups = layout.n_groups
    cdef double* above_v = above_sums
    cdef double* above_p = above_sums + n_groups
    cdef double* above_r = above_sums + 2 * n_groups
    cdef int status
    cdef bint read = False
    cdef double clock
    if with_tops:
        if not _read_band_tops(y, layout, s, band.lo, band.hi, st, above_v, above_p, above_r):
            return STATUS_NONFINITE
        band.reads += 1
        status = _tops_ready(s, layout, w, w_min, t_max)
        if status != STATUS_PROJECTED:
            return status
        read = _units_of_top(s, n_groups, band.hi, t_max[0], above_p, above_r)
        if band.lo < t_max[0] < band.hi:
            # The sample's bracket reached past every key (its g was flat:
            # tied keys, e.g. integer pixels).  t* <= t_max and no key lies
            # above it (the sums above are zero), so this band serves [lo,
            # t_max]: its keys at t_max add nothing to g at or above them.
            # (Left at hi, the narrowing's points fell past t_max, and the
            # root search ran on every entry of the band.)
            band.hi = t_max[0]
    if not read:
        _read_band(y, layout, inv_w, v, s, band.lo, band.hi, st, above_v, above_p, above_r)
        band.reads += 1
    if st.count > st.capacity:
        free(st.keys)
        free(st.vals)
        free(st.groups)
        st.capacity = st.count
        st.keys = <double*> malloc(st.capacity * sizeof(double))
        st.vals = <double*> malloc(st.capacity * sizeof(double))
        st.groups = <Py_ssize_t*> malloc(st.capacity * sizeof(Py_ssize_t))
        if st.keys == NULL or st.vals == NULL or st.groups == NULL:
            return STATUS_NOMEMORY
        _read_band(y, layout, inv_w, v, s, band.lo, band.hi, st, above_v, above_p, above_r)
        band.reads += 1
    global _band_entries
    _band_entries = st.count
    for g in range(n_groups):
        # The sums above are centred at hi; a group with nothing above ends at
        # its top (a centre far above a small group's top would overflow).
        band.center[g] = min(band.hi, s.top[g])
        band.above[g * N_SUMS + SUM_V] = above_v[g]
        band.above[g * N_SUMS + SUM_P] = above_p[g]
        band.above[g * N_SUMS + SUM_R] = above_r[g]
        if s.top[g] > band.lo:
            _set_range(s, g, band.lo, band.center[g])
        else:
            s.inv_width[g] = 0.0
    clock = _now()
    status = _band_from_stream(st, band, n_groups)
    # (The callers time the whole of this function as one phase.)
    clock = _now() - clock
    _phase_seconds[PHASE_SORT] += clock
    _phase_seconds[PHASE_BAND] -= clock
    return status


# ---------------------------------------------------------------- gather

cdef struct GatherState:
    # One group's band, packed for the gather's inner loop.
    double base, inv_width
    Py_ssize_t first, span, cursor


cdef int _gather(const floating[:, :] y, Layout* layout, const double* inv_w,
                 const double* v, double v_min, Summaries* s, Band* band,
                 bint whole_groups) noexcept nogil:
    """One read pass copies every group's band entries (key and v), then the
    bins become the groups' ranges.  Keys at or below the bracket's lower end
    are left out: they are inactive on it (the zeros of a sparse matrix).

    Branch-free: every entry is written at its group's cursor, which advances
    only for band entries (each group has a spare slot for the last write).
    """
    cdef Py_ssize_t n_groups = layout.n_groups, g, k, i, last
    cdef GatherState* state = <GatherState*> malloc(n_groups * sizeof(GatherState))
    cdef GatherState* group
    cdef Py_ssize_t* ends = <Py_ssize_t*> malloc(n_groups * sizeof(Py_ssize_t))
    cdef const floating* row
    cdef double key, lo = band.lo
    cdef int status = STATUS_NOMEMORY
    if state != NULL and ends != NULL:
        status = _allocate_entries(s, layout, band, v_min, whole_groups)
    if status != STATUS_PROJECTED:
        free(state)
        free(ends)
        return status
    band.reads += 1
    for g in range(n_groups):
        group = &state[g]
        group.base = s.base[g]
        group.inv_width = s.inv_width[g]
        group.cursor = band.start[g]
        if _band_bins(s, g, band.lo, band.hi, &group.first, &last):
            group.span = last - group.first
        else:
            # Every key falls in bin 0, outside [1, 1]: nothing is kept.
            group.inv_width = 0.0
            group.first = 1
            group.span = 0
    if layout.groups_are_rows:
        for g in range(n_groups):
            group = &state[g]
            if group.inv_width == 0:
                continue
            row = &y[g, 0]
            for k in range(layout.size):
                key = fabs(row[k * layout.step_y]) * inv_w[k]
                band.keys[group.cursor] = key
                band.vals[group.cursor] = v[k]
                group.cursor += (<size_t> (_bin(key, group.base, group.inv_width)
                                           - group.first) <= <size_t> group.span) & (key > lo)
    else:
        for i in range(layout.n_rows):
            row = &y[i, 0]
            for g in range(n_groups):
                group = &state[g]
                key = fabs(row[g * layout.step_y]) * inv_w[i]
                band.keys[group.cursor] = key
                band.vals[group.cursor] = v[i]
                group.cursor += (<size_t> (_bin(key, group.base, group.inv_width)
                                           - group.first) <= <size_t> group.span) & (key > lo)
    for g in range(n_groups):
        if state[g].inv_width == 0:
            _narrow_range(s, band, g, 1, 0, NULL)
        else:
            _narrow_range(s, band, g, state[g].first, state[g].first + state[g].span,
                          s.sums + g * N_BINS * N_SUMS)
        ends[g] = state[g].cursor
    _compact(band, n_groups, ends)
    free(state)
    free(ends)
    return STATUS_PROJECTED


# ---------------------------------------------------------------- write

cdef void _write(const floating[:, :] y, floating[:, :] x, Layout* layout, const double* w,
                 double t, const double* scales) noexcept nogil:
    """x = sign(y) * (|y| - t w)_+ * scale of the group."""
    cdef Py_ssize_t g, k, i, rows
    cdef double thresholds[COLUMN_BLOCK]
    cdef double* weighted
    cdef const floating* src
    cdef floating* dst
    cdef double excess, scale, threshold
    cdef bint contiguous = _simd and layout.step_y == 1 and layout.step_x == 1
    # (With AVX-512: a large result's whole lines by non-temporal stores, as
    # the l1 kernels' writes; see skh_write_f32_avx512.  Row groups of 1000 x
    # 10000 and 10000 x 1000 Gaussian at s = 0.5-0.95: the float32 write
    # 1.7-1.8 copies of the matrix -> 1.1-1.4; float64's, since
    # skh_write_f64_avx512, see there.)
    # Column groups streamed row by row (the block of rows below, a vector of
    # each row in turn, left its lines partial in the write-combining buffers:
    # slower streamed); their scales read again for each row.  Gaussian at s =
    # 0.5-0.95, the call in copies: 10000 x 1000 3.2-3.3 -> 2.7-2.9, 1000 x
    # 10000 (a row's scales 80 kB) within 3 %.
    cdef bint stream = (contiguous and _avx512
                        and streams_rows(layout.n_rows, layout.n_cols * sizeof(floating)))
    cdef bint stream_columns = stream and not layout.groups_are_rows
    stream = stream and layout.groups_are_rows
    if layout.groups_are_rows:
        # Weights: each position's threshold t w[k] (the portable loop's
        # product) for the vector loops (float32 1000 x 10000 at s = 0.5, the
        # write phase 4.3 -> 2.0-2.1 copies of the matrix).
        weighted = NULL
        if contiguous and not layout.unit_weights:
            weighted = <double*> malloc(layout.size * sizeof(double))
            if weighted != NULL:
                for k in range(layout.size):
                    weighted[k] = t * w[k]
        for g in range(layout.n_groups):
            src = &y[g, 0]
            dst = &x[g, 0]
            scale = scales[g]
            if contiguous and layout.unit_weights:
                _simd_write(src, dst, layout.size, &t, 0, &scales[g], 0, stream)
                continue
            if weighted != NULL:
                _simd_write(src, dst, layout.size, weighted, 1, &scales[g], 0, stream)
                continue
            for k in range(layout.size):
                excess = fabs(src[k * layout.step_y]) - t * w[k]
                dst[k * layout.step_x] = <floating> copysign(
                    (excess if excess > 0 else 0.0) * scale, src[k * layout.step_y])
        free(weighted)
        if stream:
            skh_stream_fence()
        return
    if floating is float and contiguous and _avx512 and not stream_columns:
        # Blocks of rows: each vector of scales loaded once for the block.
        i = 0
        while i < layout.n_rows:
            rows = min(<Py_ssize_t> COLUMN_BLOCK, layout.n_rows - i)
            for k in range(rows):
                thresholds[k] = t * w[i + k]
            skh_write_columns_f32_avx512(&y[i, 0], y.strides[0] // sizeof(float), &x[i, 0],
                                         x.strides[0] // sizeof(float), rows,
                                         layout.n_groups, thresholds, scales)
            i += COLUMN_BLOCK
        return
    for i in range(layout.n_rows):
        src = &y[i, 0]
        dst = &x[i, 0]
        threshold = t * w[i]
        if contiguous:
            _simd_write(src, dst, layout.n_groups, &threshold, 0, scales, 1, stream_columns)
            continue
        for g in range(layout.n_groups):
            excess = fabs(src[g * layout.step_y]) - threshold
            dst[g * layout.step_x] = <floating> copysign(
                (excess if excess > 0 else 0.0) * scales[g], src[g * layout.step_y])
    if stream_columns:
        skh_stream_fence()


cdef Py_ssize_t _first_top(const floating[:, :] y, Layout* layout, double top,
                           Py_ssize_t g) noexcept nogil:
    """First position in group g (unit weights) holding its largest key."""
    cdef Py_ssize_t i
    for i in range(layout.size):
        if fabs(y[g, i] if layout.groups_are_rows else y[i, g]) == top:
            return i
    return 0


cdef void _write_result(const floating[:, :] y, floating[:, :] x, Layout* layout,
                        const double* w, double t, Summaries* s, const double* scales,
                        double* kept) noexcept nogil:
    """Write the projection; a 1-sparse group keeps its first largest entry (read
    before x, which may be y, is written)."""
    cdef Py_ssize_t g
    for g in range(layout.n_groups):
        if scales[g] == 0.0 and s.top[g] > 0:
            if s.argtop[g] < 0:
                s.argtop[g] = _first_top(y, layout, s.top[g], g)
            kept[g] = y[g, s.argtop[g]] if layout.groups_are_rows else y[s.argtop[g], g]
    _write(y, x, layout, w, t, scales)
    for g in range(layout.n_groups):
        if scales[g] == 0.0 and s.top[g] > 0:
            if layout.groups_are_rows:
                x[g, s.argtop[g]] = <floating> kept[g]
            else:
                x[s.argtop[g], g] = <floating> kept[g]


# ---------------------------------------------------------------- driver

cdef inline double _reach(double lo, double hi, double excess, double slope,
                          double t_max) noexcept nogil:
    """How far past the end of a bracket [lo, hi] that missed t* the next one reaches.

    ``excess`` = g - target and ``slope`` = g' at that end (exact: the band
    read gives them).  NEWTON_REACH times the Newton step to the target, at
    least twice the width of [lo, hi] (or of MIN_SPAN of t_max when wider), so
    that the brackets grow geometrically where Newton steps are short (near
    the groups' tops); eight times that width when the slope says nothing (g
    flat there).  The next bracket is checked as exactly, so a poor guess
    costs a read, never the result.
    """
    cdef double width = max(hi - lo, MIN_SPAN * t_max)
    if slope < 0:
        return max(NEWTON_REACH * fabs(excess / slope), 2 * width)
    return 8 * width


cdef int _solve_sampled(const floating[:, :] y, Layout* layout, const double* w,
                        const double* inv_w, const double* v, double w_min, Summaries* s,
                        Band* band, Sample* sm, Stream* st, double* above_sums,
                        double target, double t_max, bint with_tops, double t_hint,
                        double* t) noexcept nogil:
    """t* (-2 when y meets the target): sample, bracket, exact band, refine, root.

    ``with_tops``: the tops are not known yet (``t_max`` is not either); the
    first band read finds them (``_read_band_tops``: one read of y fewer), or
    ``_tops`` does when the sample gives no usable bracket.  The statuses of
    ``_tops_ready`` are then returned as they come.

    With a guess ``t_hint >= 0`` of t* (a previous projection's), the bracket
    is HINT_REL of the guess (at most HINT_SPAN of t_max) on either side of it
    and no sample is taken.  Every bracket is checked exactly (g above the
    target at its lower end, not above at its upper end); one that missed is
    followed by one on t*'s side placed by a Newton step from its nearer end
    (``_reach``), so the guess changes the reads, never the result (beyond
    rounding: the root is found on another band).
    """
    cdef Py_ssize_t n_groups = layout.n_groups, j, level, retry, in_band = 0
    cdef double slope_lo, slope_hi, lo, hi, g_lo, g_hi, width, estimate = -1.0
    cdef double ts[N_POINTS]
    cdef double first_totals[N_POINTS]
    cdef bint with_points = False
    cdef double clock = _now()
    cdef int status
    global _passes
    _passes = 0
    if t_hint >= 0:
        t_hint = min(t_hint, t_max)
        width = min(HINT_SPAN * t_max, HINT_REL * t_hint)
        lo = max(t_hint - width, 0.0)
        hi = min(t_hint + width, t_max)
        # Room for the band: every entry of a matrix of at most
        # HINT_WHOLE_BAND (SparseNMF's factors: a band around a small t, the
        # threshold of a factor with a wide range of magnitudes, can hold
        # most of them, and a second read cost more than the memory); a
        # guess above that (read again if short).
        st.capacity = n_groups * layout.size
        if st.capacity > HINT_WHOLE_BAND:
            st.capacity = st.capacity // 8 + n_groups + 1024
    else:
        _take_sample(y, layout, w, inv_w, w_min, sm)
        clock = _lap(PHASE_SAMPLE, clock)
        estimate = _estimate_bracket(sm, n_groups, layout.size, v, target, &lo, &hi)
        if with_tops and not (0 < hi < INFINITY):
            # No bracket to read the tops with (a zero sample, or NaN in it).
            if not _tops(y, layout, inv_w, s):
                return STATUS_NONFINITE
            status = _tops_ready(s, layout, w, w_min, &t_max)
            if status != STATUS_PROJECTED:
                return status
            with_tops = False
        if not with_tops:
            hi = min(hi, t_max)
            lo = min(lo, hi)
        in_band = _sampled_in_band(sm, sm.m * layout.size, lo, hi)
        clock = _lap(PHASE_ESTIMATE, clock)
        if _pass_narrowing and layout.step_y == 1 and _simd:
            status = _narrow_by_passes(y, layout, w, s, sm, target, estimate == 0, &lo, &hi,
                                       &in_band)
            clock = _lap(PHASE_PASSES, clock)
            if status != STATUS_PROJECTED:
                t[0] = -2.0
                return status
        # Room for the band: its sampled share, with a margin (read again if short).
        st.capacity = 2 * in_band * (n_groups // sm.m + 1) + n_groups + 1024
        st.dense = in_band >= DENSE_BAND * sm.m * layout.size
    clock = _lap(PHASE_ESTIMATE, clock)
    st.keys = <double*> malloc(st.capacity * sizeof(double))
    st.vals = <double*> malloc(st.capacity * sizeof(double))
    st.groups = <Py_ssize_t*> malloc(st.capacity * sizeof(Py_ssize_t))
    if st.keys == NULL or st.vals == NULL or st.groups == NULL:
        return STATUS_NOMEMORY
    for retry in range(MAX_RETRIES + 2):
        band.lo = lo
        band.hi = hi
        status = _exact_band(y, layout, w, inv_w, v, w_min, s, band, st, above_sums,
                             with_tops, &t_max)
        hi = band.hi      # (at most t_max once the tops are known)
        with_tops = False
        clock = _lap(PHASE_BAND, clock)
        if status != STATUS_PROJECTED:
            return status
        # A band that will be narrowed: g at lo comes from the pass over it
        # that takes g at the first narrowing's points (AVX2 or AVX-512: a
        # scalar beside the vectors of points, the values _exact_g gives).
        with_points = _vector_points and N_POINTS == 8 and lo < hi and _narrows(band, n_groups)
        if with_points:
            _narrow_points(lo, hi, ts)
            skh_g_at_8_points_and_t0(n_groups, ts, s.top, s.inv_top, s.rho_one, band.above,
                                     band.center, <const int64_t*> band.start, band.keys,
                                     band.vals, first_totals, lo, &g_lo, &slope_lo,
                                     band.unit_vals)
        else:
            g_lo = _exact_g(s, band, n_groups, lo, &slope_lo, NULL)
        if lo == 0 and g_lo <= target * (1 + INSIDE_SLACK):
            # Within rounding of the target counts as meeting it, so that the
            # projection is idempotent despite rounding.
            t[0] = -2.0
            return STATUS_INSIDE
        g_hi = _exact_g(s, band, n_groups, hi, NULL, NULL)
        clock = _lap(PHASE_CHECK, clock)
        if g_lo > target >= g_hi:
            break
        # The guess or the sample misled the bracket: move it to t*'s side.
        if retry >= MAX_RETRIES:
            lo, hi = (0.0, lo) if g_lo <= target else (hi, t_max)
        elif g_lo <= target:
            lo, hi = lo - _reach(lo, hi, g_lo - target, slope_lo, t_max), lo
            lo = max(lo, 0.0)
        else:
            # (The slope at hi, needed here only: the check above skipped it.)
            g_hi = _exact_g(s, band, n_groups, hi, &slope_hi, NULL)
            lo, hi = hi, hi + _reach(lo, hi, g_hi - target, slope_hi, t_max)
            hi = min(hi, t_max)
    # Not narrowed, the band and its bracket are the ones just checked: g_lo
    # and slope_lo are g and its slope at band.lo.
    if _narrow(s, band, n_groups, target, first_totals if with_points else NULL):
        clock = _lap(PHASE_NARROW, clock)
        g_lo = _exact_g(s, band, n_groups, band.lo, &slope_lo, NULL)
        if g_lo <= target or _exact_g(s, band, n_groups, band.hi, NULL, NULL) > target:
            # Rounding (the sums above re-centred) misled the narrowing: the whole band.
            band.lo = lo
            band.hi = hi
            status = _exact_band(y, layout, w, inv_w, v, w_min, s, band, st, above_sums,
                                 False, &t_max)
            if status != STATUS_PROJECTED:
                return status
            g_lo = _exact_g(s, band, n_groups, band.lo, &slope_lo, NULL)
        clock = _lap(PHASE_CHECK, clock)
    global _root_entries
    _root_entries = band.start[n_groups]
    t[0] = _root(s, band, n_groups, target, g_lo, slope_lo)
    _lap(PHASE_ROOT, clock)
    return STATUS_PROJECTED if t[0] >= 0 else STATUS_NOMEMORY


cdef int _solve(const floating[:, :] y, Layout* layout, const double* w,
                const double* inv_w, const double* v, double w_min, Summaries* s,
                Band* band, double target, double t_max, bint with_tops, double t_hint,
                double* t) noexcept nogil:
    """Allocate the sample (none with a hint) and the stream for _solve_sampled."""
    cdef Py_ssize_t n_groups = layout.n_groups, block = 1
    cdef int status = STATUS_NOMEMORY
    cdef Sample sm
    cdef Stream st
    cdef double* above_sums = <double*> malloc(3 * n_groups * sizeof(double))
    sm.m = _sample_size(layout, sizeof(floating), &block) if t_hint < 0 else 1
    sm.simd = _simd and layout.unit_weights
    sm.single = (floating is float and sm.simd and _avx512 and layout.step_y == 1)
    sm.block = block
    sm.lanes = (sm.single and not layout.groups_are_rows and sm.block == SAMPLE_LANES
                and _sample_lanes)
    sm.groups = <Py_ssize_t*> malloc(sm.m * sizeof(Py_ssize_t))
    sm.keys = <double*> malloc(sm.m * layout.size * sizeof(double))
    sm.keys32 = <float*> sm.keys
    sm.top = <double*> malloc(2 * sm.m * sizeof(double))
    sm.rho_one = sm.top + sm.m
    st.keys = st.vals = NULL
    st.groups = NULL
    st.narrow = False
    st.dense = True
    if above_sums != NULL and sm.groups != NULL and sm.keys != NULL and sm.top != NULL:
        status = _solve_sampled(y, layout, w, inv_w, v, w_min, s, band, &sm, &st,
                                above_sums, target, t_max, with_tops, t_hint, t)
    free(above_sums)
    free(sm.groups)
    free(sm.keys)
    free(sm.top)
    free(st.keys)
    free(st.vals)
    free(st.groups)
    return status


cdef int _solve_histograms(const floating[:, :] y, Layout* layout, const double* inv_w,
                           const double* v, double v_min, Summaries* s, Band* band,
                           double target, double t_max, double* t) noexcept nogil:
    """t* by the histogram method: bracket, gather, refine, check, root."""
    cdef Py_ssize_t n_groups = layout.n_groups, g, level
    cdef double g_lo, slope_lo
    cdef int status
    band.lo = 0.0
    band.hi = t_max
    _bracket(s, n_groups, target, band)
    status = _gather(y, layout, inv_w, v, v_min, s, band, False)
    if status != STATUS_PROJECTED:
        return status
    for level in range(MAX_LEVELS):
        if band.start[n_groups] <= REFINE_FACTOR * n_groups:
            break
        _refine(s, band, n_groups, target)
    g_lo = _exact_g(s, band, n_groups, band.lo, &slope_lo, NULL)
    if g_lo <= target or _exact_g(s, band, n_groups, band.hi, NULL, NULL) > target:
        # The rounded bounds misled the bracket: take every entry.
        band.lo = 0.0
        band.hi = t_max
        for g in range(n_groups):
            _reset_range(s, band, g)
        status = _gather(y, layout, inv_w, v, v_min, s, band, True)
        if status != STATUS_PROJECTED:
            return status
        g_lo = _exact_g(s, band, n_groups, band.lo, &slope_lo, NULL)
    t[0] = _root(s, band, n_groups, target, g_lo, slope_lo)
    return STATUS_PROJECTED if t[0] >= 0 else STATUS_NOMEMORY


cdef int _copy_inside(const floating[:, :] y, floating[:, :] x, double* t_out) noexcept nogil:
    copy_matrix(y, x)
    t_out[0] = 0.0
    return STATUS_INSIDE


cdef int _project(const floating[:, :] y, floating[:, :] x, Layout* layout,
                  const double* w, double sparsity, Summaries* s, Band* band,
                  double* work, double* t_out, bint* reached, bint sampled,
                  double t_hint) noexcept nogil:
    """Project by the sampled method or by the histograms (see the module's notes)."""
    cdef Py_ssize_t g, k, n_groups = layout.n_groups, size = layout.size
    cdef double w_min = w[0], w_norm = 0.0, target, g_zero = 0.0, g_min = 0.0
    cdef double t_max = 0.0, t = 0.0
    cdef double* inv_w = work
    cdef double* v = work + size
    cdef double* scales = work + 2 * size
    cdef double* kept = work + 2 * size + n_groups
    cdef int status
    cdef bint with_tops
    cdef double clock
    for k in range(N_PHASES):
        _phase_seconds[k] = 0.0
    clock = _now()
    layout.unit_weights = True
    for k in range(size):
        layout.unit_weights &= w[k] == 1.0
        inv_w[k] = 1.0 / w[k]
        v[k] = w[k] * w[k]
        w_norm += v[k]
        w_min = min(w_min, w[k])
    w_norm = sqrt(w_norm)
    # sum of rho <= target  <=>  average sparsity >= sparsity (exact at s = 1).
    target = n_groups * (w_min + (1.0 - sparsity) * (w_norm - w_min))
    reached[0] = True
    # The sampled method finds the tops in its first band read where the AVX2
    # passes of unit weights do (not around a guess, whose bracket needs t_max).
    with_tops = sampled and t_hint < 0 and _simd and layout.unit_weights and layout.step_y == 1
    if sampled and not with_tops:
        if not _tops(y, layout, inv_w, s):
            return STATUS_NONFINITE
        _lap(PHASE_BAND, clock)
    elif not sampled:
        status = _summarize(y, layout, w, inv_w, v, w_min, s, band)
        if status != STATUS_PROJECTED:
            return status
    if not with_tops:
        # Squares of the entries would overflow or underflow: the caller
        # rescales y (a zero matrix is copied).
        status = _tops_ready(s, layout, w, w_min, &t_max)
        if status != STATUS_PROJECTED:
            return status if status == STATUS_NONFINITE else _copy_inside(y, x, t_out)
        for g in range(n_groups):
            g_min += s.rho_one[g]
    if not sampled:
        # The histograms give g(0): a matrix within rounding of the target
        # counts as meeting it, so that the projection is idempotent despite
        # rounding (the sampled method checks this on its band).
        for g in range(n_groups):
            g_zero += s.rho[g * (N_BINS + 1)]
        if g_zero <= target * (1 + INSIDE_SLACK):
            return _copy_inside(y, x, t_out)
    if g_min > target:
        # Only with weights: even with every group 1-sparse the target is missed.
        reached[0] = False
        t = t_max
    else:
        if sampled:
            status = _solve(y, layout, w, inv_w, v, w_min, s, band, target, t_max, with_tops,
                            t_hint, &t)
        else:
            status = _solve_histograms(y, layout, inv_w, v, w_min * w_min, s, band, target,
                                       t_max, &t)
        if status == STATUS_INSIDE:
            return _copy_inside(y, x, t_out)
        if status != STATUS_PROJECTED:
            return status
    clock = _now()
    _exact_g(s, band, n_groups, t, NULL, scales)
    _write_result(y, x, layout, w, t, s, scales, kept)
    _lap(PHASE_WRITE, clock)
    t_out[0] = t
    return STATUS_PROJECTED


def group_hoyer(const floating[:, :] y, floating[:, :] x, double sparsity,
                bint groups_are_rows, const double[::1] weights, double t_hint=-1.0):
    """Project ``y`` into ``x``; return ``(status, t, reached, reads)``.

    ``t_hint >= 0``, a guess of ``t`` (a previous projection's), takes the
    sampled method with a bracket around it instead of a sample or histograms
    (the same result; faster when the guess is close).

    ``weights`` has one positive weight per position in a group (length >= 2);
    ``t`` is the threshold on the keys |y| / w; ``reached`` is False when the
    target cannot be met (weights only: every group is then 1-sparse);
    ``reads`` counts the reads of ``y`` that gathered a band (one when the
    bracket, sampled or around ``t_hint``, held ``t``; diagnostics for tests
    and benchmarks).
    """
    cdef Layout layout
    cdef Summaries s
    cdef Band band
    cdef double t = 0.0
    cdef bint reached = True, sampled
    cdef int status = STATUS_NOMEMORY
    cdef Py_ssize_t n_groups
    cdef double* work
    layout.n_rows = y.shape[0]
    layout.n_cols = y.shape[1]
    layout.groups_are_rows = groups_are_rows
    layout.n_groups = n_groups = y.shape[0] if groups_are_rows else y.shape[1]
    layout.size = y.shape[1] if groups_are_rows else y.shape[0]
    layout.step_y = y.strides[1] // sizeof(floating)
    layout.step_x = x.strides[1] // sizeof(floating)
    with nogil:
        work = <double*> malloc((2 * layout.size + 2 * n_groups) * sizeof(double))
        s.top = <double*> malloc(n_groups * sizeof(double))
        s.inv_top = <double*> malloc(n_groups * sizeof(double))
        s.argtop = <Py_ssize_t*> malloc(n_groups * sizeof(Py_ssize_t))
        s.rho_one = <double*> malloc(n_groups * sizeof(double))
        s.base = <double*> malloc(n_groups * sizeof(double))
        s.width = <double*> malloc(n_groups * sizeof(double))
        s.inv_width = <double*> malloc(n_groups * sizeof(double))
        # Every group's bins: the histogram method only (refinement bins one
        # group at a time, in scratch).
        sampled = n_groups * layout.size > _histogram_size or t_hint >= 0
        s.sums = NULL if sampled else <double*> calloc(n_groups * N_BINS * N_SUMS,
                                                        sizeof(double))
        s.rho = <double*> malloc(n_groups * (N_BINS + 1) * sizeof(double))
        s.scratch = <double*> malloc(N_COPIES * N_BINS * N_SUMS * sizeof(double))
        band.start = <Py_ssize_t*> calloc(n_groups + 1, sizeof(Py_ssize_t))
        band.above = <double*> calloc(n_groups * N_SUMS, sizeof(double))
        band.center = <double*> malloc(n_groups * sizeof(double))
        band.keys = NULL
        band.vals = NULL
        band.unit_vals = False
        band.reads = 0
        if (work != NULL and s.top != NULL and s.inv_top != NULL and s.argtop != NULL and s.rho_one != NULL
                and s.base != NULL and s.width != NULL and s.inv_width != NULL
                and (sampled or s.sums != NULL) and s.rho != NULL and s.scratch != NULL
                and band.start != NULL
                and band.above != NULL and band.center != NULL):
            status = _project(y, x, &layout, &weights[0], sparsity, &s, &band, work,
                              &t, &reached, sampled, t_hint)
        free(work)
        free(s.top)
        free(s.inv_top)
        free(s.argtop)
        free(s.rho_one)
        free(s.base)
        free(s.width)
        free(s.inv_width)
        free(s.sums)
        free(s.rho)
        free(s.scratch)
        _free_band(&band)
    return status, t, reached, band.reads
