# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
r"""Kernel for the exact Euclidean projection onto the l1,inf ball.

Problem and optimality
----------------------
For groups :math:`y_g` (rows or columns of ``y``) with magnitudes
:math:`a_{ig} = |y_{ig}|`, the projection onto
:math:`\{x : \sum_g \|x_g\|_\infty \le \eta\}` clips every group,
:math:`x_{ig} = \operatorname{sign}(y_{ig}) \min(a_{ig}, \mu_g)`, where the
levels :math:`\mu_g \ge 0` sum to :math:`\eta` and share one threshold
:math:`\theta`:

.. math::

    h_g(\mu_g) := \sum_i (a_{ig} - \mu_g)_+ = \theta \quad (\mu_g > 0),
    \qquad \mu_g = 0 \iff S_g := \|y_g\|_1 \le \theta .

:math:`\mu_g(\theta) = h_g^{-1}(\theta)` is convex, decreasing and piecewise
linear, and so is :math:`F(\theta) = \sum_g \mu_g(\theta)`; we solve
:math:`F(\theta) = \eta`.  Two facts drive the method:

* for *any* non-empty set :math:`V` of entries of group g,
  :math:`\mu_g(\theta) \ge (\sum_V a - \theta)/|V|` (equality for the clipped
  set), so :math:`\theta(V) = (\sum_g \Sigma V_g/|V_g| - \eta) / \sum_g
  1/|V_g|` is a lower bound of :math:`\theta^*` for any choice of sets;
* by convexity, :math:`\mu_g` lies above its tangents and below its chords.

Algorithm
---------
1. One fused read pass gives every group's max :math:`M_g` and l1 norm
   :math:`S_g` (NaN/inf show up as a non-finite :math:`S_g`).  If
   :math:`\sum_g M_g \le \eta` the input is copied unchanged.
2. O(G) work gives a lower bound :math:`\theta_0 \le \theta^*` from the
   crude per-group bound :math:`\mu_g(\theta) \ge \max((S_g - \theta)/n, M_g -
   \theta)` (Newton from the left on this convex piecewise-linear envelope,
   each iterate a valid bound), hence the *candidate* groups
   :math:`S_g > \theta_0` (all others are provably zero) and for each one a
   level :math:`U_g`, meant to satisfy :math:`U_g \ge \mu_g(\theta_0) \ge
   \mu_g^*`: 1.25 times the crude lower bound of :math:`\mu_g(\theta_0)`,
   capped by the chord :math:`M_g (1 - \theta_0/S_g)`, which is a rigorous
   upper bound but several times too large on dense data.
3. One read pass over the candidate groups only: the entries below
   :math:`U_g` are gathered into a work buffer (for column groups of a
   row-major matrix with their group index, then bucketed by group); the
   others are counted and summed by difference, as certainly clipped.  The
   guess is then checked exactly: :math:`U_g \ge \mu_g(\theta_0)` iff
   :math:`\sum_i \min(a_{ig}, U_g) \ge S_g - \theta_0`, whose left side is
   known from the gather.  The (rare) groups that fail are gathered again at
   the chord level.  No other entry of the matrix is read again before the
   final write.

   *Dense regime* (``_l1inf_dense``).  When :math:`U_g` would gather more
   than ~8 % of the entries (large radii: :math:`\mu_g` among the bulk of
   the entries), or too many guesses fail, every :math:`\mu_g^*` is first
   bracketed in a *band* -- by histogram passes, or, on matrices of 8 MiB
   or more, around a level predicted by a fit of the exact levels of a
   sample of the groups (the driver projects the sample:
   ``_project_sample``) -- and only the entries in the bands are gathered,
   those above them counted and summed.  The band model is exact for levels
   inside the bands; a level found outside its band after the solve makes
   every band be gathered again (that group's whole) and the solve start
   over.  Where the predicted bands would hold more than a tenth of the
   entries (heavy tails: the fit follows the groups' extremes), the passes
   of the in-cache path (a read of the matrix each) project the whole
   matrix instead (``_l1inf_dense.predicted_bands``); the sampled-bracket
   path hands over past a budget of events, for the same reason.
4. Newton rounds on :math:`F`, from the left, on the gathered entries only.
   A round evaluates :math:`\mu_g(\theta_t)` exactly for every live group by a
   Michelot fixed point started from a lower bound (usually one pass over the
   group's list; each pass a split without branches, ``skp_split``, by
   AVX-512 compresses where the CPU has them, else by AVX2 permutations),
   moves the entries above it
   to the clipped set, then takes the Newton step
   :math:`\theta_{t+1} = \theta(V)` (never beyond :math:`\theta^*`).  If
   the linear model is consistent (every live group has
   :math:`\mu_g > 0` and no gathered entry above :math:`\mu_g`) it is the
   exact answer.  Otherwise the chords give an upper bound
   :math:`\theta^+ \ge \theta^*`, the tangents turn it into lower levels
   :math:`L_g \le \mu_g^*`, and entries :math:`\le L_g` (certainly unclipped)
   leave the lists.  The lists therefore shrink from both sides to the
   entries near :math:`\mu_g^*`.  Newton on a convex piecewise-linear
   function passes at least one breakpoint per round and stops finitely; a
   sort-based water-filling finishes the rare cases still undecided after
   ``_max_rounds`` (60) rounds.
5. One pass writes :math:`x = \operatorname{sign}(y)\min(|y|, \mu_g)`; zeroed
   groups are written without being read (with few kept groups, after one
   memset of the output).  A result of 8 MiB or more in contiguous rows of
   4 KiB or more is written by non-temporal stores (the bi-level
   projections' row write, ``write_row_simd`` in ``_l1.pxd``: AVX-512, else
   AVX2, with the scalar clip's bits, one fence after the last row):
   0.15-0.16 ns per entry in float32 and 0.31-0.33 in float64 on 1000 x
   10000 (CPU time, an AMD Zen 5), about half of the stores through the
   caches.  A fence per row, or streaming rows of 400 bytes, measured several
   times slower.

Complexity
----------
Time :math:`O(nm + G + R \cdot L)`: three streaming passes over the matrix
(read; read of the candidate groups, only where a candidate group lies; write),
one or two more read passes in the dense regime, :math:`L \le nm` gathered
entries, and :math:`R` Newton rounds, each linear in the lists that are left.
On Gaussian matrices :math:`L` is at most ~3 % of the entries, the lists
shrink by orders of magnitude after the first round and :math:`R \le 6`.  On
1000 x 10000 and 10000 x 1000 matrices keeping 1-90 % of the groups, the
measured cost is 0.7-5 times that of ``bilevel_l1inf`` at the same radius
(0.7-2.1 times at the radius where the bi-level projection keeps as many
groups).  In the dense regime (every group kept, most clipped a little), on
1000 x 10000 at 10 % and 50 % of the norm, it is 1.6-2.5 times in float64
and 2.1-3.8 times in float32, whose bi-level projection costs about 0.45
ns an entry; per entry, float32 column groups: sums 0.15-0.17 ns, the
sample of the bands 0.11-0.14, band 0.6-0.8, solve 0.06-0.20, write 0.3
(CPU time, AVX-512, load under 1 on 2 cores; ``bench_projections.py
--l1inf --phases``).  Most of what is left is the band's gather and its
counting sort by column (8 % of the entries at half the norm, scattered
to 1024 lists at a time, whose stores wait on the L2 cache).  On many short
groups (10**5 groups of 100) the fixed work per group (histogram tables, envelopes and their
roots, the solve) would be most of the cost: where most of them are kept
they take the sampled-bracket path (below), as matrices in cache take the
in-cache path.  The worst case is :math:`O(nm \log(nm))` (the
sort-based finish).
No sort and no heap is used otherwise.

*Short groups* (at most 16 entries: rows of a contiguous block, or the
columns of contiguous rows, at least 256 of them; beyond 8 MiB where a
sample keeps at least 1 % of the groups; with AVX-512F or AVX2) take
their own path before step 1 (``short_project`` in
``_l1inf_short``): each group sorted once in SIMD lanes gives its level in
closed form at every threshold, and Newton's steps on :math:`F` are
SIMD passes over the sorted groups, from a sample's estimate; then the
write of step 5.  The other paths pay a fixed cost per group there (issue
14, an Intel Xeon, float32 10000 x 8 by rows 48-88 times a copy, now
10-20; 8 x 10000 by columns 18-34, now 10-15).

*Matrices in cache* (at most 8 MiB: 1000 x 1000 float64) skip steps 2-4
for the in-cache path: a semismooth Newton method on the optimality
conditions whose every step is one SIMD pass (AVX-512 or AVX2; only where
the CPU has one of them) over the groups whose clipped set may move -- no
histogram, envelope or list.  It measured 1-9 steps, the equivalent of 1-8
reads of the matrix, on the matrices tried (``small_project`` in
``_l1inf_strips``; the general path takes over if it does not settle in 16
steps).  It starts from each group's mean magnitude shifted by one common
:math:`\theta` so that the levels add up to :math:`\eta` (each capped at
0.8 :math:`M_g`) where that model gives :math:`\theta \le 0` and every level
below its group's max, else from the lower bounds of step 2: 4 steps at
half the norm on 100 x 1000 Gaussian matrices, against 7-8 from the bounds.
In float32 with AVX-512 the comparisons, counts and bounds of a pass run in
float32, 16 groups a vector (exact: :math:`a > l` iff :math:`a` exceeds the
largest float32 :math:`\le l`), the sums in double in the same order.
Measured on 100 x 1000 float32 at half the norm: about 9 times
``np.copyto`` a call; at the benchmark's radii 1.7-2.1 times
``bilevel_l1inf`` in float64 and 2.6-4.3 times in float32 (AVX-512, load
1.5 on 2 cores).  Step 1 and the write are about two copies of it, each
Newton step about 1.7 (three of them at half the norm).  With AVX2 alone
the pass was measured about 2.5 times slower (before the float32 loops):
still 2-3 times faster than the general path on column groups, but 1.2-1.4
times slower on 100 row groups of 1000 at 50 % of the norm.

*Many short groups* (at least 4096 groups of at most 256 entries, the
groups' entries contiguous or the groups the columns of contiguous rows)
skip steps 2-4 for the sampled-bracket path (``bracket_project``), where
most groups are kept, or where step 3 would take the dense regime (whose
histograms cost several times the path's passes on short groups: float32 64
x 200000 keeping 46 % and 72 % of the groups, 25 and 48 times a copy ->
10 and 9).  Wherever it may take them, the groups take the in-cache
path's passes over the matrix instead, with the AVX-512 passes or with AVX2
alone, where at least 30 % of them may be kept (``passes_before_bracket``:
0.3-1.0 of this path's time on Gaussian and heavy-tailed matrices).  The
path then runs where fewer may be kept and the general path's gather would
take its dense regime (``_project_into``), or where the passes declined:

a. :math:`\theta^*` is estimated on a sample of the groups (one strip of 8
   groups in 16, after a coarse estimate on one in 128): Newton on the
   sample's :math:`F` with the radius scaled by its share of
   :math:`\sum_g M_g`, each group's level exact at every step (Newton steps
   on :math:`h_g`, each one SIMD pass of the in-cache path over the groups
   still moving).  The sample's spread of levels gives the standard error
   of the estimate; the bracket :math:`[\theta_-, \theta_+]` is 4 of them
   either side.  The path hands over to the general one (nothing written)
   where the sample keeps fewer than 3/4 of its groups (measured slower there
   than the gather of candidate groups).
b. One read of the matrix, a panel of 64 KiB at a time (its later passes
   in cache): every group's exact level, set (count, sum) and the interval of
   levels with that set, at :math:`\theta_+` (Newton steps started from a
   least-squares fit of the sample's levels on :math:`M_g` and
   :math:`S_g/n`, ``group_features``; a start above :math:`\mu_g` costs one
   more step) and at
   :math:`\theta_-` (from the set at :math:`\theta_+`, usually already
   exact).  The entries between the two sets are the only places where
   :math:`\mu_g` bends inside the bracket: one or two of them are ends of
   those intervals, more (a few per cent of the groups) are read from the
   panel.  A group without such entries is linear over the whole bracket.
c. Newton from :math:`\theta_-` on :math:`F(\theta) = P - \theta Q`, each
   step crossing the events (an entry joining a set: a change of :math:`P`
   and :math:`Q`) below its iterate: three steps measured.  Then every
   group's set at :math:`\theta^*`, :math:`\theta^*` recomputed on them and
   each level checked against its set's interval; if :math:`\theta^*` left
   the bracket or a check fails (rounding at a tie) the general path takes
   over.
d. The write of step 5.

Two reads and one write of the matrix, plus the sample (about a tenth of a
read) and the passes in cache (3-4 over each panel on Gaussian data; the
next panel is prefetched a share at a time during them, and the sample,
runs of four adjacent strips, a run ahead).  Measured on 100 x 100000
column groups at 1-90 % of the groups kept and at 10 % and 50 % of the
norm, time / ``bilevel_l1inf`` (``bench_projections.py --l1inf --cpu``,
load under 1 on 2 cores): float64 3.0-3.5, float32 2.8-4.6.  Its phases
in float32, in ns per entry: sums 0.18, sample 0.15-0.21, panels 0.85-1.0,
solve 0.21-0.25, write 0.27 (sums 0.5, panels 1.4-1.65 before step 1's
column loop, the spread prefetches and the vector Newton steps of issue
14).  Radii keeping 1 % and 10 % of the groups take the general path.

Memory: O(G) work arrays (about 30 words per group, plus 40 doubles per
candidate group in the dense regime -- its histogram, turned into its
envelope in place -- and for column
groups of a row-major matrix a block of columns of at most 1 MiB), the gathered
entries (8 bytes each, plus a 4-byte group index and one bucketing copy for
column groups of a row-major matrix; grown on demand, at most the candidate
groups' entries), and one scratch vector of the group length.  The matrix
itself is copied only by the in-cache path (``small_lanes_copy``): float32
short row groups transposed (at most 1 MiB), and column groups whose rows
lie a multiple of 4 KiB apart, a line further apart (at most 8 MiB, a
matrix in cache).  Work memory is kept from one call to the next
(``_scratch_cache.h``): returned to the system, it would cost a page fault
per page at every call.

Code layout
-----------
This module is the driver and the general path's candidate gather (step 3),
which reads the matrix: step 1 and the group norms come from
``_streaming.pxd``, shared with the bi-level kernels.  The modules beside it:

* ``_l1inf_dense``: the dense regime -- the bands from histograms or from a
  sample, their gathers, and the solve on them with its check;
* ``_l1inf_short``: the path of short groups, by their sorted breakpoints;
* ``_l1inf_strips``: the two paths that read the matrix in SIMD passes over
  strips of groups held in cache -- the in-cache path (``small_project``,
  its passes in ``_l1inf_small.h``) and the sampled-bracket path
  (``bracket_project``) -- with what every path shares: the write of step 5
  (``write_clipped``) and the phase clock of the benchmark hook;
* ``_l1inf_lists``: everything that works on what was gathered, reading no
  matrix -- the bounds of step 2, the envelopes of the histograms, the lists
  and the Newton rounds of step 4 (``GroupLists``);
* ``_l1inf_work.pxd``: the work memory of a call (``Work``).  Every buffer of
  it is allocated here (by ``_alloc_work``, or on demand by the dense
  regime) and freed by ``_free_work``, once, in ``_project``; the steps only
  report failure.

References
----------
G. Perez, L. Condat, M. Barlaud, "Near-linear time projection onto the
l1,inf ball; application to sparse neural networks", arXiv:2307.09836 (2023).
G. Chau, B. Wohlberg, P. Rodriguez, "Efficient projection onto the l1,inf
mixed-norm ball using a Newton root search method", SIAM J. Imaging Sci. 12
(2019).  C. Michelot, "A finite algorithm for finding the projection of a
point onto the canonical simplex of R^n", JOTA 50 (1986).
"""

import numpy as np

from libc.math cimport INFINITY, fabs, nextafterf
from libc.stdint cimport INT32_MAX, int32_t
from libc.string cimport memset
# Work memory kept for the next call (no page faults on it; ``_scratch_cache``).
from skproj.projections._scratch_cache cimport scratch_free as free, scratch_malloc as malloc
from cython cimport floating
from skproj.projections._common cimport copy_matrix, matrix_slice, prefetch
from skproj.projections._streaming cimport element_step, row_at, stream_sums_and_maxima
from skproj.projections._sums cimport TERM_VALUE, sum_terms
from skproj.projections._l1 cimport (
    HALVES_BYTES, STATUS_INSIDE, STATUS_NOMEMORY, STATUS_NONFINITE, STATUS_PROJECTED, Halves,
    group_split, run_halves, set_block, skp_ahead_for_rows, skp_set_stream_ahead,
)
from skproj.projections._l1inf_lists cimport (
    SLACK, GroupLists, PairSegments, alloc_lists, append_pairs, append_sources, chord_level,
    free_lists, initial_lower_bound, root_mean_squares, set_bound_simd, set_max_rounds,
    set_split_simd, solve,
)
from skproj.projections._l1inf_strips cimport (
    BRACKET_FEW_KEPT, N_PHASES, PHASE_GATHER, PHASE_HISTOGRAMS, PHASE_SOLVE, PHASE_SUMS,
    PHASE_WRITE, SMALL_DECLINED, bracket_eligible, bracket_project, first_levels, lap, now,
    in_cache_size, passes_before_bracket, passes_simd, phase_seconds, small_lanes_copy, small_norms,
    small_project,
    sums_by_blocks, time_phases, write_clipped,
)
from skproj.projections._l1inf_short cimport set_short, short_project
from skproj.projections._l1inf_dense cimport (
    DenseStats, band_lower_bound, copy_sample, copy_subsample, dense_stats,
    gather_ranges_columns, histogram_bands, passes_before_any_band, predicted_bands, range_row,
    sample_ranks, solve_on_bands, subsample_length, subsample_spacing, subsampled_bands,
)
from skproj.projections._l1inf_work cimport (
    GroupsPart, Work, gather_groups, part_room, reserve_pair_buffers, reserve_pairs,
)
from skproj.projections import _l1inf_dense, _l1inf_strips
from skproj.projections._l1inf_strips import _bracket_stats, _row_block_runs

cdef extern from "_transpose_simd.h" nogil:
    void skp_narrow_as_rows_f32(const float* y, Py_ssize_t n_rows, Py_ssize_t n, float* rows,
                                int level)
    void skp_narrow_as_rows_f64(const double* y, Py_ssize_t n_rows, Py_ssize_t n,
                                double* rows, int level)


cdef extern from "_l1inf_simd.h" nogil:
    enum:
        SKP_RANGE_ROOM
    int skp_l1inf_have_avx2()
    int skp_l1inf_set_avx512(int on)
    int skp_l1inf_gathers_chunks(int avx2)
    Py_ssize_t skp_gather_chunks_f32(const float* row, const float* next, Py_ssize_t n,
                                     const int32_t* first, Py_ssize_t n_chunks,
                                     const float* below, Py_ssize_t ahead, double* values,
                                     int32_t* groups, Py_ssize_t pos, int32_t* zeros)
    Py_ssize_t skp_gather_chunks_f64(const double* row, const double* next, Py_ssize_t n,
                                     const int32_t* first, Py_ssize_t n_chunks,
                                     const double* below, Py_ssize_t ahead, double* values,
                                     int32_t* groups, Py_ssize_t pos, int32_t* zeros)
    double skp_l1inf_row_sum_max_f64(const double* row, Py_ssize_t n, double* maximum,
                                     Py_ssize_t ahead)
    double skp_l1inf_row_sum_max_f32(const float* row, Py_ssize_t n, double* maximum,
                                     Py_ssize_t ahead)
    void skp_l1inf_column_sums_max_f64(const double* base, Py_ssize_t row_stride,
                                       Py_ssize_t n_rows, Py_ssize_t n_cols, double* sums,
                                       double* maxima, double* squares)
    void skp_l1inf_column_sums_max_f32(const float* base, Py_ssize_t row_stride,
                                       Py_ssize_t n_rows, Py_ssize_t n_cols, double* sums,
                                       double* maxima, double* squares)

# Testing hook (``_set_testing``): send every problem down the dense regime.
cdef bint _force_dense = False
# Benchmark hook (``_last_rounds``): the passes or Newton rounds of the last call.
cdef int _rounds_of_last_call = 0
# Testing hook (``_list_passes_taken``): whether the last call's lists gave
# way to the passes over the whole matrix (_LIST_PASSES_SHARE).
cdef bint _list_passes_of_last_call = False
# Testing hook (``_dense_passes_taken``): whether the last call's dense regime
# gave way to those passes (its bands would have held many of the entries,
# or its live groups were many: ``_sampled_bands``).
cdef bint _dense_passes_of_last_call = False
# Testing hook (``_chunk_gathers_taken``): the candidate gathers along the
# rows' lines (``_gather_column_chunks``) since the hook was last read.
cdef Py_ssize_t _chunk_gathers = 0
# Testing hook (``_gather_probes``): the probes of row groups' candidates
# gathered, and those that sent the problem to the dense regime, since the
# hook was last read.
cdef Py_ssize_t _probes[2]

# Gathering tests blocks of entries first while fewer than 1 in this many
# entries are gathered (measured on this kind of machine: ~1.5 %).
cdef Py_ssize_t _GATHER_BLOCK_RATE = 64
# The AVX2 loop of the row sums runs where the CPU has AVX2 (``_set_testing``
# may turn it off).
cdef bint _avx2 = skp_l1inf_have_avx2()
# ... and the column sums' AVX-512 loop where it has AVX-512F and VL (this
# module's copy of the header's switch; _l1inf_dense sets its own).
skp_l1inf_set_avx512(True)
# Column groups of a row-major matrix: blocks of 8 entries are tested first
# only when the per-column levels stay in L1 (wider rows are faster four at
# a time, without blocks).
cdef Py_ssize_t _BLOCK_MAX_WIDTH = 4096
# Column groups of a row-major matrix: visit only the candidate columns by
# index when fewer than 1 in this many columns are candidates, else take the
# SIMD range gather of their panels; the visit prefetches the candidate
# _VISIT_AHEAD on (into the next row past the last).  Issue 14, an AMD Zen 5,
# the exact ball at radii keeping 0.3-5 % of bilevel_l1inf's groups, single
# calls interleaved, times a copy, the visit without -> with the prefetch:
# 100 x 100000 float32 at 0.3 % (3 % of the columns candidates) 3.2 -> 2.2,
# float64 1.9 -> 1.4; 1000 x 10000 float64 at 0.3 % (7 %) 2.9 -> 1.8; 32
# ahead was 0.8-1.0 of the time without, 128 0.7-0.95, 512 as 128 but on
# 1000 x 10000 at 0.1 % (1.2 -> 1.5 and 1.3 -> 2.0).  With the prefetch, 1
# in 4 rather than 8 against the range gather at 12-25 % candidates: with
# AVX-512, rows not whole lines apart (no chunks, below), 100 x 100001
# float32 at 2 % 5.38 -> 4.62, 1000 x 10001 float64 at 1 % 2.82 -> 2.30,
# 300 x 30001 float32 at 1 % 3.89 -> 3.23; with its AVX2 loops alone, 100 x
# 100000 float32 at 2 % 6.87 -> 5.25, 1000 x 10000 at 1 % 5.42 -> 4.10; 1
# in 2 mixed (300 x 30000 float32 at 5 %, 45 %, 6.75 -> 7.62).  (Without
# the prefetch, 1 in 4 had taken the visit on 1000 x 10000 at 1 %, 19 %
# candidates, 4.56 times a copy against the range gather's 3.35.)
cdef Py_ssize_t _SPARSE_VISIT = 4
cdef Py_ssize_t _VISIT_AHEAD = 128
# ... but with AVX-512, the candidates of rows lying whole lines apart are
# gathered along each row's lines that hold one (``_gather_column_chunks``)
# where fewer than 1 in _CHUNK_VISIT columns are candidates, in place of
# both (the chunks _CHUNKS_AHEAD on prefetched).  Issue 14, an AMD Zen 5,
# the exact ball at radii keeping 0.3-10 % of bilevel_l1inf's groups,
# single calls interleaved, times a copy, without -> with: 100 x 100000
# float32 at 2 % (15 % of the columns candidates) 4.98 -> 3.91, float64 at
# 2 and 5 % (15 and 31 %) 3.48 -> 2.85 and 3.95 -> 3.34; 1000 x 10000
# float32 at 1 and 2 % (19 and 34 %) 3.27 -> 2.41 and 3.59 -> 2.81, float64
# 2.69 -> 2.07 and 2.84 -> 2.26; 300 x 30000 float32 at 1 and 2 % 3.78 ->
# 2.80 and 4.01 -> 3.25, float64 2.89 -> 2.26 and 3.05 -> 2.48; 2000 x
# 5000 and 10000 x 1000 float64 at 1 % 2.55 -> 1.98 and 2.71 -> 2.06;
# against the scalar visit, as long.  Where most columns are candidates,
# mixed (every candidate gather so: float32 1000 x 10000 at 10 %, 89 %
# candidates, 4.14 -> 5.04, 300 x 30000 5.10 -> 6.09; float64 10000 x 1000
# at 5 %, 93 %, 2.84 -> 2.47).
cdef Py_ssize_t _CHUNK_VISIT = 2
# With AVX2 alone, the same (``skp_gather_chunks256_f32``), where it had
# visited each candidate: issue 14, the AMD Zen 4 with AVX-512 switched off,
# single calls interleaved on the same arrays, at radii keeping 3-5 % of
# bilevel_l1inf's groups (the same threshold), with / without: float32 100
# x 100000, 1000 x 10000 and 300 x 30000 0.80-0.92 of the time, float64
# 0.85-0.97; where no gather goes along the lines, even.  A testing switch
# (``_set_testing``).
cdef bint _avx2_chunk_gathers = True
# Whether the candidates' gathers of HALVES_BYTES or more run in two halves:
# blocks of rows along the rows' lines (``_gather_column_chunks``), halves of
# the groups one after the other (``_gather_by_group``); a testing switch.
cdef bint _gather_halves = True
cdef Py_ssize_t _CHUNKS_AHEAD = 128
# Heuristic level of the first gather, in units of the lower bound of mu_g.
cdef double _GUESS_FACTOR = 1.25
# Above this predicted share of gathered entries (or of failed guesses), the
# levels U_g are too far above mu_g: the dense regime brackets mu_g in bands
# first (``_l1inf_dense``).  Groups shorter than _DENSE_MIN_GROUP are
# gathered whole...
cdef double _DENSE_SHARE = 0.08
cdef Py_ssize_t _DENSE_MIN_GROUP = 64
# ... unless their lists would hold more than this share of the whole matrix
# (0: never): the in-cache path's passes over the whole matrix then, a read
# each (``_project_into``); so do column groups whose passes read them along
# the rows (``_l1inf_dense.passes_before_any_band``) below the dense
# regime's share.  Lists of most of a matrix of short groups cost tens of ns
# an entry (their memory, the bucketing of column groups' pairs, the Newton
# rounds' splits): issue 14, a Zen 3 with AVX2, float32 Student t(3) 32 x
# 1000000 at radii keeping 10 and 50 % of the groups, 53 and 112 times
# bilevel_l1inf's time, where the passes take 11 and 12; Laplace 48 x 300000
# 10 -> 4.  At the shares below it the lists cost less: Gaussian 40 x 250000
# keeping 1 % of the groups (0.3 % predicted) 2.8 -> 3.4 with the passes,
# Cauchy 32 x 1000000 and Laplace 48 x 300000 (1 %) 5.2 -> 6.7, 3.4 -> 3.8;
# at 4-6 % the passes won (Student t(3) 32 x 1000000 7.7 -> 5.6).  Gaussian
# column groups read along the rows, keeping 10 % of the groups (lists of
# 3.5-3.9 %), two runs: 100 x 100000 float32 4.27-4.86 -> 2.17-2.76,
# 1000 x 10000 3.53-4.48 -> 1.91-2.64, float64 2.80-3.62 -> 2.25-2.53 and
# 1.68-2.93 -> 1.55-2.45, 200 x 50000 5.27 -> 3.49, 10000 x 1000 3.63 ->
# 2.29; Laplace 300 x 30000 keeping 3 % (3.7 %) 6.48 -> 2.53.  At about 1 %
# the two were even (keeping 3 %: 1.92-3.58 -> 1.70-3.10, but float64
# 1000 x 10000 1.98-2.10 -> 2.27-2.28), at 0.3 % the lists faster (float64
# 1000 x 10000 keeping 1 % 2.67-2.70 -> 2.94-2.95).
cdef double _LIST_PASSES_SHARE = 0.02
# Row groups gather a probe of their candidates first, one in _PROBE_DIVISOR
# of them where there are _PROBE_MIN_GROUPS or more: where over
# _PROBE_FAILED_SHARE of the probe's guessed levels fall short of mu_g, the
# dense regime takes the problem before the others are gathered
# (``_gather_candidates``; not column groups, whose fastest gather, of
# the ranges along the rows, takes every candidate column at once: a part
# of them goes by the row-major loops, ``_gather_columns``).  Rows of 10 %
# nonzeros with few groups kept: their zeros hold the guesses down, and the
# whole gather, then dropped, had cost a fifth of the call (issue 14, the
# Zen 5, the modules' builds side by side, times bilevel_l1inf, 1000 x 10000
# at 1 % of the groups kept: float32 4.63 -> 3.62, float64 3.70 -> 3.02;
# 10000 x 1000 float32 3.55 -> 3.39; Gaussian and Student t(3) rows within
# the noise).
cdef Py_ssize_t _PROBE_DIVISOR = 16, _PROBE_MIN_GROUPS = 256
cdef double _PROBE_FAILED_SHARE = 0.5
# Groups that the in-cache path's passes take before the sampled-bracket path
# (``passes_before_bracket``) take them where at least this share of the
# groups may be kept (float32 column groups of a matrix in halves from the
# second: see ``_project_into``).
cdef double _PASSES_MIN_KEPT = 0.3, _PASSES_MIN_KEPT_HALVED = 0.05

# The per-group arrays of a Work in its slab (``_alloc_work``).
cdef enum:
    _WORK_ARRAYS = 11


# ------------------------------------------------------------ memory

cdef bint _alloc_work(Work* w, Py_ssize_t n_groups, Py_ssize_t group_size) noexcept nogil:
    """Allocate what every path needs; False if out of memory.

    The per-group arrays lie in one block (``slab``, as the lists' in
    ``alloc_lists``: a malloc and a free an array cost about a microsecond
    a call).  The dense regime allocates its buffers on demand
    (``_l1inf_dense``); ``_free_work`` frees everything, also after a failure.
    """
    cdef Py_ssize_t g = n_groups if n_groups > 0 else 1
    cdef bint ok = alloc_lists(&w.lists, n_groups, group_size)
    cdef double* slab = <double*> malloc(_WORK_ARRAYS * g * sizeof(double))
    w.slab = slab
    w.pair_values = NULL
    w.pair_groups = NULL
    w.pair_capacity = 0
    w.envelopes = NULL
    w.block = NULL
    w.block_first = -1
    w.column_count = NULL
    w.column_total = NULL
    w.lanes_copy = NULL
    w.copy_stride = 0
    w.lanes_block = NULL
    if slab == NULL:
        return False
    w.gather_level = slab
    w.band_low = slab + g
    w.band_high = slab + 2 * g
    w.histogram_low = slab + 3 * g
    w.histogram_high = slab + 4 * g
    w.edges_low = <Py_ssize_t*> (slab + 5 * g)
    w.edges_high = <Py_ssize_t*> (slab + 6 * g)
    w.subset = <Py_ssize_t*> (slab + 7 * g)
    w.bucket_cursor = <Py_ssize_t*> (slab + 8 * g)
    w.column_high = slab + 9 * g
    w.clip_levels = slab + 10 * g
    return ok


cdef void _free_work(Work* w) noexcept nogil:
    free_lists(&w.lists)
    free(w.slab)
    free(w.pair_values)
    free(w.pair_groups)
    free(w.envelopes)
    free(w.block)
    free(w.column_count)
    free(w.column_total)
    free(w.lanes_block)


# ------------------------------------------------------------ step 3: gather

# The gather loops are branch-free: every magnitude is stored at the write
# position, which advances only when the magnitude is below U_g (branches
# mispredict at the few-% rates seen here and cost more than the stores).
# Zeros are gathered too (round 1 drops them), so the entries left out are
# exactly those >= U_g: their count and sum follow by difference.

cdef inline Py_ssize_t _gather_one_row(const floating* row, Py_ssize_t n, Py_ssize_t step,
                                       double u, double* values,
                                       Py_ssize_t pos) noexcept nogil:
    cdef Py_ssize_t j
    cdef double a
    for j in range(n):
        a = fabs(row[j * step])
        values[pos] = a
        pos += a < u
    return pos


cdef inline Py_ssize_t _gather_one_row_blocks(const floating* row, Py_ssize_t n,
                                              Py_ssize_t step, double u, double* values,
                                              Py_ssize_t pos) noexcept nogil:
    """Same, testing blocks of 8 first (min of |a| - U): for low hit rates.

    The differences keep the block test in double: on float32 magnitudes gcc
    turned a min of them into float compares and branches, mispredicted on
    every other entry (4 times slower than float64).  a - U < 0 iff a < U.
    float64 keeps the min of the magnitudes (the subtractions cost it 10-20 %
    on rows at 1 % of the groups kept).
    """
    cdef Py_ssize_t j, j0 = 0, n8 = n - n % 8
    cdef double m0, m1, m2, m3, d, a
    if floating is double:
        while j0 < n8:
            m0 = fabs(row[j0 * step])
            m1 = fabs(row[(j0 + 1) * step])
            m2 = fabs(row[(j0 + 2) * step])
            m3 = fabs(row[(j0 + 3) * step])
            a = fabs(row[(j0 + 4) * step])
            m0 = a if a < m0 else m0
            a = fabs(row[(j0 + 5) * step])
            m1 = a if a < m1 else m1
            a = fabs(row[(j0 + 6) * step])
            m2 = a if a < m2 else m2
            a = fabs(row[(j0 + 7) * step])
            m3 = a if a < m3 else m3
            m0 = m1 if m1 < m0 else m0
            m2 = m3 if m3 < m2 else m2
            m0 = m2 if m2 < m0 else m0
            if m0 < u:
                for j in range(j0, j0 + 8):
                    a = fabs(row[j * step])
                    values[pos] = a
                    pos += a < u
            j0 += 8
    while j0 < n8:
        m0 = fabs(row[j0 * step]) - u
        m1 = fabs(row[(j0 + 1) * step]) - u
        m2 = fabs(row[(j0 + 2) * step]) - u
        m3 = fabs(row[(j0 + 3) * step]) - u
        d = fabs(row[(j0 + 4) * step]) - u
        m0 = d if d < m0 else m0
        d = fabs(row[(j0 + 5) * step]) - u
        m1 = d if d < m1 else m1
        d = fabs(row[(j0 + 6) * step]) - u
        m2 = d if d < m2 else m2
        d = fabs(row[(j0 + 7) * step]) - u
        m3 = d if d < m3 else m3
        m0 = m1 if m1 < m0 else m0
        m2 = m3 if m3 < m2 else m2
        m0 = m2 if m2 < m0 else m0
        if m0 < 0.0:
            for j in range(j0, j0 + 8):
                a = fabs(row[j * step])
                values[pos] = a
                pos += a < u
        j0 += 8
    for j in range(n8, n):
        a = fabs(row[j * step])
        values[pos] = a
        pos += a < u
    return pos


cdef Py_ssize_t _drop_zeros(GroupLists* lists, double* values, Py_ssize_t g) noexcept nogil:
    """Group g's list (in ``values``, where ``lists.start[g]`` points) without
    its zeros, in order; where the list ends.

    A zero lies above no level (mu_g > 0 on every kept group), so the lists
    leave them out: the AVX2 and AVX-512 gathers do not list them, the
    others' lists are compacted here, so that every gather gives the same
    lists, hence the same sums above by difference, to the bit."""
    cdef Py_ssize_t k, start = lists.start[g], end = start + lists.length[g], kept = start
    cdef double a
    for k in range(start, end):
        a = values[k]
        values[kept] = a
        kept += a != 0.0
    lists.length[g] = kept - start
    return kept


cdef bint _gather_by_group(const floating[:, :] y, Work* w, bint groups_are_rows,
                           const Py_ssize_t* subset, Py_ssize_t n_subset) noexcept nogil:
    """Append the lists of the groups in ``subset``: their entries below gather_level.

    One group after the other (``_candidate_list``; in two halves of
    ``subset`` where they hold 16 MiB or more, ``gather_groups``): the path
    for rows; for columns only when their index would not fit the 32 bits of
    the row-major path.  Issue 14, the AMD Zen 4, the exact ball of row
    groups on two threads, single calls interleaved against the build
    before (the same bits), halves / one gather, at radii keeping 10 % of
    bilevel_l1inf's groups: float32 1000 x 10000 0.84, 10000 x 1000 0.90;
    float64 0.92, 0.92 (1000 x 10000 at 1 %: 0.77).  Elsewhere (a gather
    of fewer bytes, or none) within 0.95-1.04.
    """
    return gather_groups(w, _candidate_list_of, <const void*> &y[0, 0], floating is float,
                         y.strides[0] if groups_are_rows else y.strides[1],
                         element_step(y.strides[1] if groups_are_rows else y.strides[0],
                                      sizeof(floating)),
                         y.shape[1] if groups_are_rows else y.shape[0], subset, n_subset,
                         _gather_halves)


cdef bint _candidate_list_of(GroupsPart* part, Py_ssize_t idx) noexcept nogil:
    """``_candidate_list`` in the part's dtype (a ``GroupGather``)."""
    if part.single:
        return _candidate_list(part, idx, <const float*> part.y)
    return _candidate_list(part, idx, <const double*> part.y)


cdef inline bint _candidate_list(GroupsPart* part, Py_ssize_t idx,
                                 const floating* base) noexcept nogil:
    """Group ``part.subset[idx]``'s entries below gather_level, listed.

    Contiguous groups are gathered by the compress loops of the dense
    regime's range gather (``range_row``, AVX-512 or AVX2: 0.88 -> 0.44 ns
    per entry on 1000 x 10000 float32 rows at 10 % of the groups kept), the
    others by the loops above; the same lists either way, whose sums give
    the sums above U_g by difference.
    """
    cdef Work* w = part.w
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t n_cols = part.length, step = part.step, g = part.subset[idx]
    cdef Py_ssize_t pos = part.used, k, above = -1
    cdef const floating* row = row_at(base, part.group_stride, g)
    cdef double listed = 0.0, unused_sum
    # (room past the list for the vector stores of range_row)
    if not part_room(part, pos + n_cols + SKP_RANGE_ROOM):
        return False
    lists.start[g] = pos
    if step == 1 and _avx2:
        # The magnitudes in (0, U_g): the zeros of a sparse row never lie
        # above a level (mu_g > 0 on every kept group), so they are left
        # out of its list, and the count above is the gather's own.
        pos = range_row(row, n_cols, 1, 0.0, w.gather_level[g], part.values, pos, &above,
                        &unused_sum)
    # Blocks pay off below ~1.5 % of gathered entries (measured so far).
    elif _GATHER_BLOCK_RATE * (pos - part.first) <= idx * n_cols:
        if step == 1:
            pos = _gather_one_row_blocks(row, n_cols, 1, w.gather_level[g], part.values, pos)
        else:
            pos = _gather_one_row_blocks(row, n_cols, step, w.gather_level[g], part.values,
                                         pos)
    elif step == 1:
        pos = _gather_one_row(row, n_cols, 1, w.gather_level[g], part.values, pos)
    else:
        pos = _gather_one_row(row, n_cols, step, w.gather_level[g], part.values, pos)
    lists.length[g] = pos - lists.start[g]
    if above < 0:
        lists.above_count[g] = n_cols - lists.length[g]
        pos = _drop_zeros(lists, part.values, g)
    else:
        lists.above_count[g] = above
    for k in range(lists.start[g], pos):
        listed += part.values[k]
    lists.above_sum[g] = lists.sums[g] - listed
    part.used = pos
    return True


cdef inline Py_ssize_t _gather_columns_of_row(const floating* row, Py_ssize_t n,
                                              Py_ssize_t step, const double* upper,
                                              double* values, int32_t* groups,
                                              Py_ssize_t pos) noexcept nogil:
    cdef Py_ssize_t j
    cdef double a
    for j in range(n):
        a = fabs(row[j * step])
        values[pos] = a
        groups[pos] = <int32_t> j
        pos += a < upper[j]
    return pos


cdef inline Py_ssize_t _gather_columns_of_row_blocks(const floating* row, Py_ssize_t n,
                                                     Py_ssize_t step, const double* upper,
                                                     double* values, int32_t* groups,
                                                     Py_ssize_t pos) noexcept nogil:
    """Same, testing blocks of 8 first (min of |a| - U): for low hit rates."""
    cdef Py_ssize_t j, j0 = 0, n8 = n - n % 8
    cdef double m0, m1, m2, m3, d, a
    while j0 < n8:
        m0 = fabs(row[j0 * step]) - upper[j0]
        m1 = fabs(row[(j0 + 1) * step]) - upper[j0 + 1]
        m2 = fabs(row[(j0 + 2) * step]) - upper[j0 + 2]
        m3 = fabs(row[(j0 + 3) * step]) - upper[j0 + 3]
        d = fabs(row[(j0 + 4) * step]) - upper[j0 + 4]
        m0 = d if d < m0 else m0
        d = fabs(row[(j0 + 5) * step]) - upper[j0 + 5]
        m1 = d if d < m1 else m1
        d = fabs(row[(j0 + 6) * step]) - upper[j0 + 6]
        m2 = d if d < m2 else m2
        d = fabs(row[(j0 + 7) * step]) - upper[j0 + 7]
        m3 = d if d < m3 else m3
        m0 = m1 if m1 < m0 else m0
        m2 = m3 if m3 < m2 else m2
        m0 = m2 if m2 < m0 else m0
        if m0 < 0.0:
            for j in range(j0, j0 + 8):
                a = fabs(row[j * step])
                values[pos] = a
                groups[pos] = <int32_t> j
                pos += a < upper[j]
        j0 += 8
    for j in range(n8, n):
        a = fabs(row[j * step])
        values[pos] = a
        groups[pos] = <int32_t> j
        pos += a < upper[j]
    return pos


cdef inline Py_ssize_t _gather_columns_of_rows4(const floating* r0, const floating* r1,
                                               const floating* r2, const floating* r3,
                                               Py_ssize_t n, Py_ssize_t step,
                                               const double* upper, double* values,
                                               int32_t* groups,
                                               Py_ssize_t pos) noexcept nogil:
    """Four rows at once: one load of each level for four entries."""
    cdef Py_ssize_t j
    cdef double a, u
    for j in range(n):
        u = upper[j]
        a = fabs(r0[j * step])
        values[pos] = a
        groups[pos] = <int32_t> j
        pos += a < u
        a = fabs(r1[j * step])
        values[pos] = a
        groups[pos] = <int32_t> j
        pos += a < u
        a = fabs(r2[j * step])
        values[pos] = a
        groups[pos] = <int32_t> j
        pos += a < u
        a = fabs(r3[j * step])
        values[pos] = a
        groups[pos] = <int32_t> j
        pos += a < u
    return pos


cdef bint _gather_columns(const floating[:, :] y, Work* w, const Py_ssize_t* subset,
                          Py_ssize_t n_subset) noexcept nogil:
    """Append the lists of the columns in ``subset``, and their sums above gather_level.

    Where fewer than half the columns are candidates, AVX-512 or AVX2 reads
    each row's lines that hold one (``_gather_column_chunks``, see
    _CHUNK_VISIT).
    Else the first gather of every candidate of contiguous rows takes the
    dense regime's range gather of column panels (``gather_ranges_columns``,
    AVX-512 or AVX2), every magnitude in (-1, U_g) or at or above U_g: the
    same lists in the same order as the row-major loops
    (``_gather_columns_by_rows``), 0.9 of their time in float32 on 100 x
    100000 (issue 14; as fast in float64, bound by the stores of the pairs).
    In every case the sums above U_g come by difference.
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t idx, g
    cdef bint counted = True     # (the gather counted the entries above: no zero listed)
    if _gathers_chunks(y, n_subset):
        if not _gather_column_chunks(y, w, subset, n_subset):
            return False
    elif (y.strides[1] == sizeof(floating) and _avx2 and _SPARSE_VISIT * n_subset >= y.shape[1]
            and lists.n_values == 0 and subset == lists.active
            and n_subset == lists.n_active):
        # The magnitudes in (0, U_g), the count above from the gather: a
        # column's zeros lie above no level (as ``_gather_by_group``'s rows).
        for idx in range(n_subset):
            w.band_low[subset[idx]] = 0.0
            w.band_high[subset[idx]] = w.gather_level[subset[idx]]
        if not gather_ranges_columns(y, w):
            return False
    elif _gather_columns_by_rows(y, w, subset, n_subset):
        counted = False
    else:
        return False
    for idx in range(n_subset):
        g = subset[idx]
        if not counted:
            lists.above_count[g] = y.shape[0] - lists.length[g]
            _drop_zeros(lists, lists.values, g)
        lists.above_sum[g] = lists.sums[g] - sum_terms(lists.values + lists.start[g],
                                                       lists.length[g], 1, TERM_VALUE)
    return True


cdef Py_ssize_t _live_chunks(const Py_ssize_t* subset, Py_ssize_t n_subset,
                             const double* levels, Py_ssize_t lanes, Py_ssize_t head,
                             int32_t* first, floating* below) noexcept nogil:
    """The chunks of ``lanes`` columns holding a column of ``subset`` (in
    increasing order), one from column ``head`` on every ``lanes`` (the first
    may start before column 0): the first column of each in ``first``, and
    ``lanes`` bounds each in ``below``, the level of each column of ``subset``
    (float32: rounded up to a float; a magnitude is below it exactly where it
    is below the level) and 0 for the others (no magnitude is below it).
    Returns their number."""
    cdef Py_ssize_t idx, g, chunk, k = -1
    cdef floating bound
    for idx in range(n_subset):
        g = subset[idx]
        chunk = g - (g - head + lanes) % lanes
        if k < 0 or first[k] != chunk:
            k += 1
            first[k] = <int32_t> chunk
            memset(&below[k * lanes], 0, lanes * sizeof(floating))
        bound = <floating> levels[g]
        if floating is float:
            if bound < levels[g]:
                bound = nextafterf(bound, INFINITY)
        below[k * lanes + g - chunk] = bound
    return k + 1


cdef bint _gathers_chunks(const floating[:, :] y, Py_ssize_t n_subset) noexcept nogil:
    """Whether ``_gather_column_chunks`` takes the candidates of these columns."""
    return (_CHUNK_VISIT * n_subset < y.shape[1] and y.strides[1] == sizeof(floating)
            and y.strides[0] % 64 == 0 and <size_t> &y[0, 0] % sizeof(floating) == 0
            and skp_l1inf_gathers_chunks(_avx2 and _avx2_chunk_gathers))


cdef bint _gather_column_chunks(const floating[:, :] y, Work* w, const Py_ssize_t* subset,
                                Py_ssize_t n_subset) noexcept nogil:
    """``_gather_columns_by_rows`` with AVX-512 or AVX2, along each row's lines
    that hold a column of ``subset`` (``skp_gather_chunks_f32``): the same pairs
    in the same order, but for the zeros, which lie above no level (issue 14,
    an AMD Zen 5, float64 2000 x 5000 columns of 10 % nonzeros at 1 % of the
    groups kept: every zero a pair, the gather 39 of a 55 ms call); each
    column's count above is its rows less its list and its zeros, which the
    gather counts.

    A matrix of HALVES_BYTES or more is read in two blocks of rows (split as
    its rows would be as groups, ``group_split``), the second on a thread of
    its own where two CPUs are free (``run_halves``), each into pairs and
    zeros of its own: the lists are bucketed from the first block's pairs,
    then the second's, so each column's list and count are the whole's.
    Issue 14, the AMD Zen 4, single calls interleaved against the build
    before, the same bits: see ``_ChunkRows``.  Returns False where memory
    ran out."""
    cdef Py_ssize_t lanes = 64 // sizeof(floating), n_chunks = 0, idx, g, k
    cdef Py_ssize_t n_rows = y.shape[0], split = group_split(y, True) if _gather_halves else 0
    cdef Py_ssize_t bounds[4]
    cdef PairSegments sources[2]
    cdef Halves whole
    cdef _ChunkRows first_rows, second_rows
    cdef int32_t* first = <int32_t*> malloc(n_subset * sizeof(int32_t))
    cdef floating* below = <floating*> malloc(n_subset * lanes * sizeof(floating))
    # (each chunk's counts of zeros, by lane, for each block of rows)
    cdef int32_t* zeros = <int32_t*> malloc((2 if split else 1) * n_subset * lanes
                                            * sizeof(int32_t))
    cdef int32_t* second_zeros
    cdef bint done = first != NULL and below != NULL and zeros != NULL
    global _chunk_gathers
    _chunk_gathers += 1
    if not done:
        free(first)
        free(below)
        free(zeros)
        return False
    # (every row's lines start where the first row's do: _gathers_chunks)
    n_chunks = _live_chunks(subset, n_subset, w.gather_level, lanes,
                            (64 - <size_t> &y[0, 0] % 64) % 64 // sizeof(floating),
                            first, below)
    second_zeros = zeros + n_chunks * lanes
    memset(zeros, 0, (2 if split else 1) * n_chunks * lanes * sizeof(int32_t))
    first_rows.first, first_rows.below, first_rows.n_chunks = first, below, n_chunks
    first_rows.n_subset, first_rows.n_pairs, first_rows.zeros = n_subset, 0, zeros
    # (the first block gathers into the work's buffers, the second into its own)
    first_rows.values, first_rows.groups = w.pair_values, w.pair_groups
    first_rows.capacity = w.pair_capacity
    second_rows = first_rows
    second_rows.values, second_rows.groups, second_rows.capacity = NULL, NULL, 0
    second_rows.zeros = second_zeros
    second_rows.done = True
    set_block(&whole, y, NULL, 0, 0)
    whole.job32 = _chunk_rows_half[float]
    whole.job64 = _chunk_rows_half[double]
    run_halves(&whole, split, True, &first_rows, &second_rows)
    w.pair_values, w.pair_groups = first_rows.values, first_rows.groups
    w.pair_capacity = first_rows.capacity
    done = first_rows.done and second_rows.done
    if done:
        # Bucket by column (counting sort) after the lists already there: the
        # first block's pairs, then the second's.
        bounds[0], bounds[1], bounds[2], bounds[3] = 0, first_rows.n_pairs, 0, second_rows.n_pairs
        sources[0].values, sources[0].groups = first_rows.values, first_rows.groups
        sources[1].values, sources[1].groups = second_rows.values, second_rows.groups
        sources[0].starts, sources[1].starts = bounds, bounds + 2
        sources[0].stride = sources[1].stride = 1
        sources[0].n_segments = sources[1].n_segments = 1
        done = append_sources(&w.lists, sources, 2 if split else 1, subset, n_subset,
                              w.bucket_cursor)
    if done:
        # Each column's zeros from its chunk's lane (the chunks of
        # ``_live_chunks``, in the order of the columns), both blocks'.
        if split:
            for k in range(n_chunks * lanes):
                zeros[k] += second_zeros[k]
        k = -1
        for idx in range(n_subset):
            g = subset[idx]
            while k < 0 or first[k] + lanes <= g:
                k += 1
            w.lists.above_count[g] = (n_rows - w.lists.length[g]
                                      - zeros[k * lanes + g - first[k]])
    free(second_rows.values)
    free(second_rows.groups)
    free(first)
    free(below)
    free(zeros)
    return done


ctypedef struct _ChunkRows:
    # The candidate gather of a block of rows (``_gather_column_chunks``): the
    # live chunks and their bounds, shared, and the block's own pairs (grown
    # as it gathers), and zeros by chunk lane.  Issue 14, the AMD Zen 4, the
    # exact ball on two threads at radii keeping 1 and 3 % of bilevel_l1inf's
    # groups, single calls interleaved against the build before (the same
    # bits), two blocks / one: float32 1000 x 10000 0.82, 0.80 of the time,
    # 300 x 30000 0.86, 0.84; float64 1000 x 10000 0.83, 0.82, 100 x 100000
    # 0.82, 0.90, 300 x 30000 0.85, 0.84.
    const int32_t* first
    const void* below
    Py_ssize_t n_chunks, n_subset
    double* values
    int32_t* groups
    Py_ssize_t capacity, n_pairs
    int32_t* zeros
    bint done


cdef void _chunk_rows_half(void* pointer, const floating[:, :] y, floating[:, :] x) noexcept nogil:
    """The pairs and zeros of the rows of ``y`` (a block of rows, or all of
    them: ``run_halves``; ``x`` unused) into its ``_ChunkRows``, row after
    row (``skp_gather_chunks_f32``, the rows ahead prefetched: the next
    row's chunks past the last row's); ``done`` False where memory ran
    out."""
    cdef _ChunkRows* rows = <_ChunkRows*> pointer
    cdef Py_ssize_t lanes = 64 // sizeof(floating), i, n_rows = y.shape[0]
    cdef const floating* next_row
    rows.done = False
    for i in range(n_rows):
        if not reserve_pair_buffers(&rows.values, &rows.groups, &rows.capacity,
                                    rows.n_pairs + rows.n_subset + lanes, rows.n_pairs):
            return
        next_row = row_at(&y[0, 0], y.strides[0], i + 1) if i + 1 < n_rows else NULL
        if floating is float:
            rows.n_pairs = skp_gather_chunks_f32(
                row_at(&y[0, 0], y.strides[0], i), next_row, y.shape[1], rows.first,
                rows.n_chunks, <const float*> rows.below, _CHUNKS_AHEAD, rows.values,
                rows.groups, rows.n_pairs, rows.zeros)
        else:
            rows.n_pairs = skp_gather_chunks_f64(
                row_at(&y[0, 0], y.strides[0], i), next_row, y.shape[1], rows.first,
                rows.n_chunks, <const double*> rows.below, _CHUNKS_AHEAD, rows.values,
                rows.groups, rows.n_pairs, rows.zeros)
    rows.done = True


cdef bint _gather_columns_by_rows(const floating[:, :] y, Work* w, const Py_ssize_t* subset,
                                  Py_ssize_t n_subset) noexcept nogil:
    """Append the lists of the columns in ``subset`` (row-major streaming).

    Entries below gather_level are gathered with their column index, then
    bucketed by column.  When few columns are in the subset only those are
    visited.
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1]
    cdef Py_ssize_t step = element_step(y.strides[1], sizeof(floating))
    cdef Py_ssize_t i, j, idx, g, k, pos = 0
    cdef const floating* base = &y[0, 0]
    cdef Py_ssize_t s0 = y.strides[0]
    cdef const floating* row
    cdef double a
    cdef bint sparse_visit = _SPARSE_VISIT * n_subset < n_cols
    cdef double* high = w.column_high

    if not sparse_visit:
        for j in range(n_cols):
            high[j] = 0.0   # nothing gathered outside the subset
        for idx in range(n_subset):
            high[subset[idx]] = w.gather_level[subset[idx]]
    else:
        for idx in range(n_subset):
            high[idx] = w.gather_level[subset[idx]]
    i = 0
    while i < n_rows:
        if not reserve_pairs(w, pos + 4 * (n_subset if sparse_visit else n_cols), pos):
            return False
        row = row_at(base, s0, i)
        if sparse_visit:
            for idx in range(n_subset):
                k = idx + _VISIT_AHEAD
                if k < n_subset:
                    prefetch(&row[subset[k] * step])
                elif i + 1 < n_rows and k - n_subset < n_subset:
                    prefetch(&row_at(base, s0, i + 1)[subset[k - n_subset] * step])
                g = subset[idx]
                a = fabs(row[g * step])
                w.pair_values[pos] = a
                w.pair_groups[pos] = <int32_t> g
                pos += a < high[idx]
            i += 1
        elif n_cols <= _BLOCK_MAX_WIDTH and _GATHER_BLOCK_RATE * pos <= i * n_cols:
            # Few hits so far: blocks of 8, one row at a time.
            if step == 1:
                pos = _gather_columns_of_row_blocks(row, n_cols, 1, high, w.pair_values,
                                                    w.pair_groups, pos)
            else:
                pos = _gather_columns_of_row_blocks(row, n_cols, step, high, w.pair_values,
                                                    w.pair_groups, pos)
            i += 1
        elif i + 4 <= n_rows:
            if step == 1:
                pos = _gather_columns_of_rows4(
                    row, row_at(base, s0, i + 1), row_at(base, s0, i + 2),
                    row_at(base, s0, i + 3), n_cols, 1, high, w.pair_values,
                    w.pair_groups, pos)
            else:
                pos = _gather_columns_of_rows4(
                    row, row_at(base, s0, i + 1), row_at(base, s0, i + 2),
                    row_at(base, s0, i + 3), n_cols, step, high, w.pair_values,
                    w.pair_groups, pos)
            i += 4
        else:
            pos = _gather_columns_of_row(row, n_cols, step, high, w.pair_values,
                                         w.pair_groups, pos)
            i += 1

    # Bucket by column (counting sort) after the lists already there.
    return append_pairs(lists, w.pair_values, w.pair_groups, pos, subset, n_subset,
                        w.bucket_cursor)


cdef bint _gather_below(const floating[:, :] y, Work* w, bint groups_are_rows,
                        const Py_ssize_t* subset, Py_ssize_t n_subset) noexcept nogil:
    """Append the lists of the groups in ``subset``: their entries below gather_level."""
    if groups_are_rows or y.shape[1] > INT32_MAX:
        return _gather_by_group(y, w, groups_are_rows, subset, n_subset)
    return _gather_columns(y, w, subset, n_subset)


cdef inline bint _guess_falls_short(GroupLists* lists, Work* w, Py_ssize_t g, double theta_0,
                                    double chord) noexcept nogil:
    """Whether group g's gathered level U_g lies below mu_g(theta_0), exactly
    (``_gather_candidates``); at the chord level ``chord``, an upper bound,
    or above, it never does."""
    cdef double covered
    if w.gather_level[g] >= chord:
        return False
    covered = lists.above_count[g] * w.gather_level[g] + (lists.sums[g] - lists.above_sum[g])
    return covered < (lists.sums[g] - theta_0) * (1.0 + SLACK)


cdef int _gather_candidates(const floating[:, :] y, Work* w, bint groups_are_rows,
                            double theta_0, bint may_pass=True) noexcept nogil:
    """Gather the lists of the candidate groups at levels U_g >= mu_g(theta_0).

    The rigorous chord level is several times mu_g on dense data; the level
    _GUESS_FACTOR * max((S_g - theta_0)/n, M_g - theta_0) is usually tight and
    is checked after the fact, exactly: U >= mu_g(theta_0) iff
    sum_i min(a_i, U) >= S_g - theta_0, and the left side is
    count_above * U + sum of the gathered entries.  Groups that fail are
    gathered again at the chord level.

    Row groups gather a probe first (_PROBE_DIVISOR): where most of its
    guesses fall short, the rest is not gathered (the dense regime).

    Returns 1 when the lists are ready, 2 when the levels would gather too
    much (the dense regime: nothing is gathered, or the lists are dropped),
    3 when the lists would hold more than _LIST_PASSES_SHARE of the matrix
    where the passes over the whole matrix are cheaper (groups too short
    for the dense regime, or read along the rows) and ``may_pass`` (nothing
    gathered: the passes), 0 when memory ran out.
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t idx, g, n_failed = 0, n_probe = 0
    cdef double chord, guess, covered, predicted = 0.0
    cdef double inv_n = 1.0 / lists.group_size
    cdef bint may_go_dense = lists.group_size >= _DENSE_MIN_GROUP or _force_dense
    for idx in range(lists.n_active):
        g = lists.active[idx]
        chord = chord_level(lists, g, theta_0)
        guess = (lists.sums[g] - theta_0) * inv_n
        if lists.maxima[g] - theta_0 > guess:
            guess = lists.maxima[g] - theta_0
        guess *= _GUESS_FACTOR
        w.gather_level[g] = guess if guess < chord else chord
        # Share of entries below U_g if their density near 0 were 1/mean.
        covered = w.gather_level[g] * lists.group_size / lists.sums[g]
        predicted += covered if covered < 1.0 else 1.0
    if may_go_dense and (predicted > _DENSE_SHARE * lists.n_active or _force_dense):
        return 2
    if (may_pass and _LIST_PASSES_SHARE > 0.0
            and predicted > _LIST_PASSES_SHARE * lists.n_groups
            and (not may_go_dense or passes_before_any_band(y, groups_are_rows))):
        return 3
    if groups_are_rows and may_go_dense and lists.n_active >= _PROBE_MIN_GROUPS:
        n_probe = lists.n_active // _PROBE_DIVISOR
        if not _gather_below(y, w, groups_are_rows, lists.active, n_probe):
            return 0
        for idx in range(n_probe):
            g = lists.active[idx]
            n_failed += _guess_falls_short(lists, w, g, theta_0, chord_level(lists, g, theta_0))
        _probes[0] += 1
        if n_failed > _PROBE_FAILED_SHARE * n_probe:
            _probes[1] += 1
            lists.n_values = 0
            return 2
        n_failed = 0
    if not _gather_below(y, w, groups_are_rows, lists.active + n_probe,
                         lists.n_active - n_probe):
        return 0
    for idx in range(lists.n_active):
        g = lists.active[idx]
        chord = chord_level(lists, g, theta_0)
        if _guess_falls_short(lists, w, g, theta_0, chord):
            w.gather_level[g] = chord
            w.subset[n_failed] = g
            n_failed += 1
    if may_go_dense and n_failed > _DENSE_SHARE * lists.n_active:
        lists.n_values = 0
        return 2
    if n_failed > 0 and not _gather_below(y, w, groups_are_rows, w.subset, n_failed):
        return 0
    return 1



# ------------------------------------------------------------ the sample of the predicted bands

cdef int _project_sample(const floating[:, :] y, Work* w, bint groups_are_rows, double eta,
                         const Py_ssize_t* ranks, Py_ssize_t n_sample,
                         double* levels) noexcept nogil:
    """The exact levels of the sample's groups at the radius scaled by their share of sum M_g.

    1 when done, 2 when the sample is not projected (inside its ball), 0 when
    memory ran out.  The sample is projected in place (``_sample_levels``):
    only its levels are wanted (a result beside it took as much memory again,
    25.6 MB on 100000 x 100 float32 column groups, whose sample is 64 of
    them: beyond what the work memory keeps, it page-faulted at every call,
    issue 14).
    """
    cdef GroupLists* lists = &w.lists
    # (the sample, then room for its columns' offsets, on whole doubles)
    cdef Py_ssize_t n = lists.group_size, idx, k
    cdef Py_ssize_t bytes_ = (n_sample * n * sizeof(floating) + 7) // 8 * 8
    cdef double sampled = 0.0, total = 0.0
    cdef int status = 0
    cdef floating* sample = <floating*> malloc(bytes_ + n_sample * sizeof(Py_ssize_t))
    if sample != NULL:
        for idx in range(lists.n_active):
            total += lists.maxima[lists.active[idx]]
        for k in range(n_sample):
            sampled += lists.maxima[lists.active[ranks[k]]]
        copy_sample(y, lists, groups_are_rows, ranks, n_sample, sample,
                    <Py_ssize_t*> (<char*> sample + bytes_))
        status = _sample_levels(sample, sample, n_sample, n, groups_are_rows,
                                eta * sampled / total, levels)
    free(sample)
    return status


cdef int _sample_levels(floating* sample, floating* result, Py_ssize_t n_groups,
                        Py_ssize_t length, bint groups_are_rows, double eta,
                        double* levels) noexcept nogil:
    """The exact levels of a sample (``n_groups`` groups of ``length``
    entries, contiguous: rows, or columns where not ``groups_are_rows``)
    projected at ``eta`` into ``result`` (``sample`` itself or apart), by
    ``_project`` itself (the in-cache path, as it fits the cache), without a
    sample of its own.  1 when done, 2 when the sample lies inside its ball,
    0 when memory ran out.  The phase clock and the dense regime's counters
    stay the outer call's.
    """
    cdef const floating[:, :] sample_view
    cdef floating[:, :] result_view
    cdef DenseStats saved_stats = dense_stats()[0]
    cdef double saved[N_PHASES]
    cdef double* clock = phase_seconds()
    cdef double theta
    cdef int status, rounds, k
    with gil:
        if groups_are_rows:
            sample_view = <floating[:n_groups, :length]> sample
            result_view = <floating[:n_groups, :length]> result
        else:
            sample_view = <floating[:length, :n_groups]> sample
            result_view = <floating[:length, :n_groups]> result
    for k in range(N_PHASES):
        saved[k] = clock[k]
    status = _project(sample_view, result_view, eta, groups_are_rows, levels, &theta, &rounds,
                      False)
    for k in range(N_PHASES):
        clock[k] = saved[k]
    dense_stats()[0] = saved_stats
    return 1 if status == STATUS_PROJECTED else 0 if status == STATUS_NOMEMORY else 2


cdef int _subsampled_bands(const floating[:, :] y, Work* w, bint groups_are_rows, double eta,
                           Py_ssize_t spacing, bint wide) noexcept nogil:
    """The bands of a dense problem of few long groups from a subsample of
    every live group (``_l1inf_dense.subsampled_bands``): ``_sampled_bands``'
    statuses.

    The subsample (about 2 MiB: ``subsample_spacing``) is projected at the
    radius itself: with m of a group's n entries, its h_g is about m / n of
    the group's, so the same theta scaled by m / n gives about the same
    levels, which add up to eta.  Projected beside it (its magnitudes give
    the bands' widths).
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t length = subsample_length(lists, groups_are_rows, spacing, sizeof(floating))
    cdef Py_ssize_t n = lists.n_active * length
    cdef double clock = now()
    cdef int status = 0
    # (the levels by rank, then the subsample and its projection)
    cdef double* levels = <double*> malloc(lists.n_active * sizeof(double)
                                           + 2 * n * sizeof(floating))
    cdef floating* sample
    if levels != NULL:
        sample = <floating*> (levels + lists.n_active)
        copy_subsample(y, lists, groups_are_rows, spacing, length, sample)
        status = _sample_levels(sample, sample + n, lists.n_active, length, groups_are_rows, eta,
                                levels)
        lap(PHASE_HISTOGRAMS, clock)
        if status == 1:
            status = subsampled_bands(y, w, groups_are_rows, sample, length, levels, wide)
    free(levels)
    return status


# (see ``_sampled_bands``)
cdef double _PASSES_MIN_LIVE = 0.05


cdef int _sampled_bands(const floating[:, :] y, Work* w, bint groups_are_rows,
                        double eta, bint wide) noexcept nogil:
    """The bands of a dense problem predicted from a projected sample (``_l1inf_dense``):
    of whole groups, or, few long groups, a subsample of every group
    (``_subsampled_bands``), which gives way to the former where it cannot
    tell each level's error.

    Returns 1 when the lists are ready, 2 when the problem is left to the
    histograms (too small a matrix or sample, too many sampled groups zeroed
    where ``wide``), 3 when the bands would hold too many of the entries or
    none can be predicted, or float32's sample would be most of the groups,
    and ``wide`` is False (nothing gathered: ``predicted_bands``), 0 when
    memory ran out.
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t n_sample, spacing
    cdef double clock = now()
    cdef int status
    cdef bint most_groups
    # The ranks of the sample in ``subset``, their levels in ``guess`` (both
    # free until the solve).
    n_sample = sample_ranks(y, lists, groups_are_rows, w.subset, &most_groups)
    spacing = subsample_spacing(y, lists, groups_are_rows, n_sample)
    if spacing:
        status = _subsampled_bands(y, w, groups_are_rows, eta, spacing, wide)
        if status != 2:
            return status
        # (its bands' share used the subset)
        n_sample = sample_ranks(y, lists, groups_are_rows, w.subset, &most_groups)
    if n_sample == 0:
        # Few long groups, a sample of most of them: float32's passes over
        # the whole matrix (summed by blocks of rows) cost less than the
        # histograms over every group.  Issue 14, an AMD Zen 5, 100000 x 100
        # by columns at radii keeping 50 and 90 % of bilevel_l1inf's groups
        # and at 10 and 50 % of the norm, ms a call, histograms / passes:
        # float32 18.5-22.2 / 12.0-15.0; float64 20.5-24.9 / 19.0-22.6,
        # not taken (at half the norm 20.5 / 22.6).  So too where the live
        # groups are too few bytes for a sample but _PASSES_MIN_LIVE of the
        # groups or more: the histograms read them an entry a line (column
        # groups), where the passes read the whole matrix a few times.  The
        # same machine, float32 column groups of 10 % nonzeros at 1 % of the
        # groups kept (11-22 % of them live), times bilevel_l1inf,
        # histograms -> passes: 300 x 30000 13.97 -> 3.06, 100 x 100000 14.14
        # -> 5.47, 64 x 200000 14.47 -> 5.66; Cauchy's live groups, about 1 %
        # of them, keep the histograms (1.3-1.9 times bilevel_l1inf).
        return 3 if floating is float and not wide and (
            most_groups or lists.n_active >= _PASSES_MIN_LIVE * lists.n_groups) else 2
    status = _project_sample(y, w, groups_are_rows, eta, w.subset, n_sample, lists.guess)
    lap(PHASE_HISTOGRAMS, clock)
    if status != 1:
        return status
    return predicted_bands(y, w, groups_are_rows, eta, w.subset, n_sample, lists.guess, wide)


# ------------------------------------------------------------ driver

# Column groups of at most this many columns, rows one after the other, and
# at least _NARROW_LEAST_ROWS rows, are projected as rows (``_narrow_project``).
cdef Py_ssize_t _narrow_most_columns = 8, _NARROW_LEAST_ROWS = 256
# ... but float64 matrices the in-cache path takes only up to this many: there the
# passes over 7 or 8 float64 columns fill most of a vector's lanes (the same
# measure as in ``_narrow_project``, rows / columns: 50000 x 8 1.17, 0.99,
# 0.73; 50000 x 7 1.02, 0.96, 0.87; 10000 x 7 0.87, 1.11, 0.84; but past it,
# 200000 x 7, 0.17-0.19).
cdef Py_ssize_t _NARROW_MOST_IN_CACHE_F64 = 6


def _set_narrow_columns(Py_ssize_t most=8):
    """Testing hook: the most columns that ``_narrow_project`` takes (0: none)."""
    global _narrow_most_columns
    _narrow_most_columns = most


cdef int _narrow_project(const floating[:, :] y, floating[:, :] x, double eta, double* mu,
                         double* theta_out, int* rounds, bint may_sample,
                         const double* start) noexcept nogil:
    """The column groups of a narrow matrix projected as rows: copied into rows
    (``skp_narrow_as_rows_f32/_f64``, _transpose_simd.h), projected there
    (``_project``, in place, for the levels ``mu``), then the columns written
    from ``y`` clipped at their levels (``write_clipped``: as one run of
    vectors).  The passes over column groups read a row's few values a
    vector, their other lanes idle, where the copy's rows fill every lane
    (issue 14, the AMD Zen 4, single calls interleaved, times a copy at 10,
    50, 90 % of the norm, columns -> rows: float32 1000 x 3 5.4, 5.4, 6.4 ->
    3.6, 3.3, 3.4; 100000 x 3 13.7, 17.6, 23.5 -> 5.6, 5.8, 7.3; 1000000 x
    3 24-29 -> 5.0-5.5; 20000 x 5 0.43-0.66 of the time, 50000 x 8
    0.70-0.97; float64 10000 x 3 0.48-0.60, 100000 x 3 0.37-0.56, 1000000
    x 3 0.14-0.17, 20000 x 5 0.60-0.85).  Returns -1 (nothing
    written) where the matrix does not suit (see _narrow_most_columns, rows
    not lying one after the other in ``y``, or a test forcing the dense
    regime) or its copy finds no memory; else the status.
    """
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1], j, n_kept = 0
    cdef floating* rows
    cdef floating* levels
    cdef Py_ssize_t* kept
    cdef floating[:, :] as_rows
    cdef int status = STATUS_NOMEMORY
    if (n_cols > _narrow_most_columns or n_rows < _NARROW_LEAST_ROWS or _force_dense
            or (floating is double and n_cols > _NARROW_MOST_IN_CACHE_F64
                and in_cache_size(n_rows * n_cols * sizeof(double)))
            or y.strides[1] != sizeof(floating)
            or y.strides[0] != n_cols * <Py_ssize_t> sizeof(floating)):
        return -1
    rows = <floating*> malloc(n_rows * n_cols * sizeof(floating))
    levels = <floating*> malloc(n_cols * sizeof(floating))
    kept = <Py_ssize_t*> malloc(n_cols * sizeof(Py_ssize_t))
    if rows == NULL or levels == NULL or kept == NULL:
        # (no room for the copy: the columns' own paths, which need none)
        status = -1
    else:
        if floating is float:
            skp_narrow_as_rows_f32(&y[0, 0], n_rows, n_cols, rows, passes_simd())
        else:
            skp_narrow_as_rows_f64(&y[0, 0], n_rows, n_cols, rows, passes_simd())
        matrix_slice(as_rows, <size_t> rows, n_cols, n_rows, sizeof(floating))
        status = _project(as_rows, as_rows, eta, True, mu, theta_out, rounds, may_sample,
                          start)
        if status == STATUS_INSIDE:
            copy_matrix(y, x)
        elif status == STATUS_PROJECTED:
            for j in range(n_cols):
                levels[j] = <floating> mu[j]
                kept[n_kept] = j
                n_kept += mu[j] > 0.0
            write_clipped(y, x, levels, kept, n_kept, False)
    free(rows)
    free(levels)
    free(kept)
    return status


cdef int _project(const floating[:, :] y, floating[:, :] x, double eta,
                  bint groups_are_rows, double* mu, double* theta_out,
                  int* rounds, bint may_sample, const double* start=NULL) noexcept nogil:
    """The projection, with every buffer allocated and freed here (and only here).

    ``may_sample``: a dense problem may take its bands from a sample
    (``_sampled_bands``; not the sample's own projection).  ``start`` (NULL:
    none): levels of a nearby problem, one per group, >= 0, where the
    in-cache path's passes start (``small_project``).
    """
    cdef Py_ssize_t n_groups = y.shape[0] if groups_are_rows else y.shape[1]
    cdef Py_ssize_t group_size = y.shape[1] if groups_are_rows else y.shape[0]
    cdef int status = STATUS_NOMEMORY
    cdef Work w
    global _rounds_of_last_call
    theta_out[0] = 0.0
    rounds[0] = 0
    if not groups_are_rows:
        status = _narrow_project(y, x, eta, mu, theta_out, rounds, may_sample, start)
        if status >= 0:
            return status
        status = STATUS_NOMEMORY
    if _alloc_work(&w, n_groups, group_size):
        status = _project_into(y, x, eta, groups_are_rows, &w, mu, theta_out, rounds,
                               may_sample, start)
    _free_work(&w)
    if may_sample:      # (the call's own, not a sample's)
        _rounds_of_last_call = rounds[0]
    return status


cdef bint _sums_and_maxima(const floating[:, :] y, double* sums, double* maxima,
                           double* squares, bint groups_are_rows, bint in_cache=True,
                           void* lanes_copy=NULL, Py_ssize_t copy_stride=0) noexcept nogil:
    """Step 1: every group's l1 norm and max (``stream_sums_and_maxima``); whether ``squares``.

    Column groups outside the in-cache path also get their sums of squares
    in ``squares`` (the AVX2 loop and the Cython loops sum them in one
    order) unless it is NULL, for the fits of the sampled bands'
    levels (``group_features``): True then.  (Matrices in cache never take
    those paths; row groups go without.)

    Contiguous rows take the AVX2 loops where the CPU has it, with the
    Cython loops' order of summation (the same bits): row groups one row at
    a time (the baseline build sums a float32 row about twice as slowly as
    it reads it), column groups a panel of columns at a time, whose sums
    stay in L2 (issue 14, 100 x 100000 and 1000 x 10000: 0.50 -> 0.17-0.23
    ns an entry in float32, 0.55-0.61 -> 0.29-0.40 in float64; the Cython
    loops load and store both arrays of the whole width every four rows).
    Matrices for the in-cache path take its SIMD loops (``_l1inf_small.h``).
    """
    # In cache: the SIMD loops of the in-cache path, into ``lanes_copy`` where
    # given (not ``in_cache``: the sums in double where they would sum by
    # blocks, ``sums_by_blocks``).
    if (in_cache or not sums_by_blocks(y, groups_are_rows, lanes_copy)) and small_norms(
            y, groups_are_rows, sums, maxima, lanes_copy, copy_stride):
        return False
    if not (_avx2 and y.strides[1] == sizeof(floating)):
        stream_sums_and_maxima(y, sums, maxima, squares, groups_are_rows)
        return not groups_are_rows and squares != NULL
    cdef Py_ssize_t split = group_split(y, groups_are_rows)
    cdef Halves whole
    cdef _SumsHalf first, second
    first.sums, first.maxima, first.squares = sums, maxima, squares
    first.groups_are_rows = groups_are_rows
    if not split:
        _simd_sums(&first, y)
        return not groups_are_rows and squares != NULL
    # A large matrix in two halves of its groups (``group_split``; the second
    # on a thread of its own where two CPUs are free): each group's sums the
    # whole's, bit for bit.
    set_block(&whole, y, NULL, 0, 0)
    whole.job32 = _sums_half[float]
    whole.job64 = _sums_half[double]
    second = first
    second.sums, second.maxima = sums + split, maxima + split
    second.squares = NULL if squares == NULL else squares + split
    run_halves(&whole, split, groups_are_rows, &first, &second)
    return not groups_are_rows and squares != NULL


ctypedef struct _SumsHalf:
    # (step 1 of a half: its groups' sums, maxima and sums of squares, or NULL)
    double* sums
    double* maxima
    double* squares
    bint groups_are_rows


cdef void _sums_half(void* pointer, const floating[:, :] y, floating[:, :] x) noexcept nogil:
    """``_simd_sums`` of a half (``run_halves``; ``x`` unused)."""
    _simd_sums(<_SumsHalf*> pointer, y)


cdef void _simd_sums(_SumsHalf* half, const floating[:, :] y) noexcept nogil:
    """Step 1's SIMD loops on contiguous rows, of a half or the whole
    (``_sums_and_maxima``)."""
    cdef Py_ssize_t i, ahead
    if not half.groups_are_rows:
        if floating is double:
            skp_l1inf_column_sums_max_f64(&y[0, 0], y.strides[0], y.shape[0], y.shape[1],
                                          half.sums, half.maxima, half.squares)
        else:
            skp_l1inf_column_sums_max_f32(&y[0, 0], y.strides[0], y.shape[0], y.shape[1],
                                          half.sums, half.maxima, half.squares)
        return
    ahead = skp_ahead_for_rows(y.shape[0], y.shape[1], y.strides[0], sizeof(floating))
    for i in range(y.shape[0]):
        if floating is double:
            half.sums[i] = skp_l1inf_row_sum_max_f64(row_at(&y[0, 0], y.strides[0], i),
                                                     y.shape[1], &half.maxima[i], ahead)
        else:
            half.sums[i] = skp_l1inf_row_sum_max_f32(row_at(&y[0, 0], y.strides[0], i),
                                                     y.shape[1], &half.maxima[i], ahead)


cdef void _list_candidates(GroupLists* lists, double theta_0) noexcept nogil:
    """List in ``active`` the groups with S_g > theta_0, the candidates (lower bounds 0).

    Without a branch on each group: where about half are candidates, its
    mispredictions cost 2 % of the call (10**5 groups of 100, perf).
    """
    cdef Py_ssize_t g, n_active = 0
    for g in range(lists.n_groups):
        lists.active[n_active] = g
        n_active += lists.sums[g] > theta_0
    for g in range(n_active):
        lists.lower[lists.active[g]] = 0.0
    lists.n_active = n_active


cdef int _project_into(const floating[:, :] y, floating[:, :] x, double eta,
                       bint groups_are_rows, Work* w, double* mu, double* theta_out,
                       int* rounds, bint may_sample, const double* start) noexcept nogil:
    """Steps 1-5 in ``w``; returns the status (STATUS_NOMEMORY on any failure)."""
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t n_groups = lists.n_groups, group_size = lists.group_size
    cdef Py_ssize_t g, idx, kept
    cdef double total_max = 0.0, theta_0, theta, guess, level, min_kept
    cdef floating* levels = <floating*> w.clip_levels
    cdef bint few_kept, listed = False
    cdef int status
    cdef double clock = now()
    cdef double* phase_clock = phase_seconds()
    cdef DenseStats* stats = dense_stats()
    global _list_passes_of_last_call, _dense_passes_of_last_call
    if may_sample:      # not the sample's own projection (``_project_sample``)
        _list_passes_of_last_call = _dense_passes_of_last_call = False
        stats.histogram_passes = 0
        stats.sampled_groups = stats.band_entries = 0
        stats.regathered_groups = stats.rounds = 0
    for idx in range(N_PHASES):
        phase_clock[idx] = 0.0
    # Short groups: every step by their sorted breakpoints, step 1 included.
    status = short_project(y, x, eta, groups_are_rows, w, mu, theta_out, rounds)
    if status != SMALL_DECLINED:
        return status

    # (the sums of squares for the sampled bands' fits, not where the
    # sampled-bracket path will likely run: its panels' passes gain less
    # from them than step 1 loses, 0.15 -> 0.30 ns an entry on 100 x 100000
    # float32; 1000 x 10000 0.16 -> 0.18; nor where the dense regime takes
    # its passes without a sample)
    w.lanes_copy = small_lanes_copy(y, groups_are_rows, &w.copy_stride, &w.lanes_block)
    lists.has_rms = _sums_and_maxima(
        y, lists.sums, lists.maxima,
        NULL if (bracket_eligible(y, groups_are_rows)
                 or passes_before_any_band(y, groups_are_rows)) else lists.rms,
        groups_are_rows, True, w.lanes_copy, w.copy_stride)
    clock = lap(PHASE_SUMS, clock)
    if not first_levels(lists.sums, lists.maxima, n_groups, mu, &total_max):
        # NaN or inf, or finite entries whose group sums overflow: the Python
        # layer tells them apart and rescales the latter (run_kernel).
        return STATUS_NONFINITE
    if total_max <= eta:
        copy_matrix(y, x)
        return STATUS_INSIDE
    status = small_project(y, x, eta, groups_are_rows, w, mu, theta_out, rounds, False, start)
    if status != SMALL_DECLINED:
        return status
    if sums_by_blocks(y, groups_are_rows, w.lanes_copy):
        # (the paths below take the sums in double)
        _sums_and_maxima(y, lists.sums, lists.maxima, NULL, groups_are_rows, False)
    if lists.has_rms:
        # (for the sampled paths' fits; the in-cache path has none)
        root_mean_squares(lists)
    theta_0 = initial_lower_bound(lists, eta)
    if passes_before_bracket(y, groups_are_rows):
        # The in-cache path's passes, where at least _PASSES_MIN_KEPT of the
        # groups may be kept (S_g > theta_0): below, the general path's
        # gather of the candidates costs less (Gaussian float32 column
        # groups at the radius keeping 1 % of bilevel_l1inf's groups, 8 and
        # 7 % of these, passes / gather times it: 100 x 100000 2.99 / 2.64,
        # 64 x 200000 3.54 / 2.81; 200 x 50000 even).  float32 column
        # groups of a matrix whose passes run in halves (HALVES_BYTES) from
        # _PASSES_MIN_KEPT_HALVED: issue 14, an AMD Zen 4 with 2 cores,
        # single calls interleaved, at 1 and 3 % of bilevel_l1inf's groups
        # kept, 0.05 / 0.3, two threads: 100 x 100000 0.80, 0.76; 200 x
        # 50000 0.79, 0.73; 64 x 200000 1.04, 0.91; one thread 0.90, 0.85;
        # 0.93, 0.83; 1.07, 0.95 (at 0.1 and 0.3 % the gather still runs;
        # any share, 0.0, took 1.1-2.7 times as long there).
        _list_candidates(lists, theta_0)
        min_kept = _PASSES_MIN_KEPT
        if (floating is float and not groups_are_rows
                and y.shape[0] * y.shape[1] * <Py_ssize_t> sizeof(floating) >= HALVES_BYTES):
            min_kept = _PASSES_MIN_KEPT_HALVED
        few_kept = lists.n_active < min_kept * n_groups
        listed = few_kept       # (the passes take the lists' arrays as their scratch)
        if not few_kept:
            status = small_project(y, x, eta, groups_are_rows, w, mu, theta_out, rounds, True,
                                   start)
            if status != SMALL_DECLINED:
                return status
    else:
        status = bracket_project(y, x, eta, groups_are_rows, w, theta_0, mu, theta_out,
                                 rounds, False)
        if status != SMALL_DECLINED and status != BRACKET_FEW_KEPT:
            return status
        few_kept = status == BRACKET_FEW_KEPT
    clock = now()

    if not listed:
        _list_candidates(lists, theta_0)
    status = _gather_candidates(y, w, groups_are_rows, theta_0)
    clock = lap(PHASE_GATHER, clock)
    if status == 3:
        # Lists that would hold much of the matrix where the passes are
        # cheaper (short groups: heavy tails, radii keeping many groups;
        # groups read along the rows): the in-cache path's passes over the
        # whole matrix (_LIST_PASSES_SHARE); where they decline (having used
        # the lists' arrays as their scratch), the lists after all.
        status = small_project(y, x, eta, groups_are_rows, w, mu, theta_out, rounds, True,
                               start)
        if status != SMALL_DECLINED:
            if may_sample:      # (the call's own)
                _list_passes_of_last_call = True
            return status
        _list_candidates(lists, theta_0)
        status = _gather_candidates(y, w, groups_are_rows, theta_0, False)
        clock = now()
    if status == 0:
        return STATUS_NOMEMORY
    if status == 2 and few_kept and may_sample and not _force_dense:
        # Rather than the dense regime, the sampled-bracket path at any share
        # of groups kept, where it declined for its share alone (see its
        # _BRACKET_MIN_KEPT).
        status = bracket_project(y, x, eta, groups_are_rows, w, theta_0, mu, theta_out,
                                 rounds, True)
        if status != SMALL_DECLINED:
            return status
        _list_candidates(lists, theta_0)    # (its solve may have listed the kept ones)
        status = 2
        clock = now()
    if status == 2:
        # The dense regime: bands predicted from a sample where the matrix is
        # large, else from histograms; the solve on their lists.
        lists.n_values = 0
        if may_sample and passes_before_any_band(y, groups_are_rows):
            status = 3      # (no sample: its bands would give way whatever they held)
        else:
            status = _sampled_bands(y, w, groups_are_rows, eta, False) if may_sample else 2
        if status == 3:
            # Bands that would hold many of the entries (heavy tails: see
            # _l1inf_dense's _WIDE_BAND_SHARE), or none predicted (too many
            # sampled groups zeroed: _FAILED_FIT_PASSES and _ZERO_SHARE
            # there): the in-cache path's passes
            # over the whole matrix instead, a read each; where they decline
            # (having used the bands' arrays as their scratch), the bands
            # again, gathered however wide.
            status = small_project(y, x, eta, groups_are_rows, w, mu, theta_out, rounds, True,
                                   start)
            if status != SMALL_DECLINED:
                if may_sample:      # (the call's own)
                    _dense_passes_of_last_call = True
                return status
            _list_candidates(lists, theta_0)
            lists.n_values = 0
            status = _sampled_bands(y, w, groups_are_rows, eta, True)
            clock = now()
        if status == 0:
            return STATUS_NOMEMORY
        if status == 1:
            theta = band_lower_bound(lists, eta, theta_0)
        elif not histogram_bands(y, w, groups_are_rows, eta, theta_0, &theta):
            return STATUS_NOMEMORY
        clock = now()          # both ways time their own phases
        if not solve_on_bands(y, w, groups_are_rows, eta, theta_0, &theta, rounds):
            return STATUS_NOMEMORY
    else:
        for idx in range(lists.n_active):
            g = lists.active[idx]
            guess = (lists.above_sum[g] - theta_0) / lists.above_count[g]
            level = (lists.sums[g] - theta_0) / group_size
            guess = level if level > guess else guess
            level = lists.maxima[g] - theta_0
            guess = level if level > guess else guess
            lists.guess[g] = guess if guess > 0.0 else 0.0
        theta = solve(lists, eta, theta_0, rounds)

    clock = lap(PHASE_SOLVE, clock)
    # The levels in the input's precision (the clip compares in it); the kept
    # groups listed in ``active``.
    for g in range(n_groups):
        mu[g] = 0.0
        levels[g] = 0
    kept = 0
    for idx in range(lists.n_active):
        # (without a branch: about half of the candidates may be kept)
        g = lists.active[idx]
        level = (lists.above_sum[g] - theta) / lists.above_count[g]
        level = level if level > 0.0 else 0.0
        mu[g] = level
        levels[g] = <floating> level
        lists.active[kept] = g
        kept += level > 0.0
    write_clipped(y, x, levels, lists.active, kept, groups_are_rows)
    lap(PHASE_WRITE, clock)
    theta_out[0] = theta
    return STATUS_PROJECTED


def l1inf_ball(const floating[:, :] y, floating[:, :] x, double eta,
               bint groups_are_rows, double[::1] mu, const double[::1] start=None):
    """Project ``y`` onto {sum_g max_i |x_ig| <= eta} into ``x``.

    Group g is ``y[g, :]`` when ``groups_are_rows`` else ``y[:, g]``.  ``x``
    may share ``y``'s memory.  ``mu`` (one slot per group) receives the
    clipping levels (the group maxima when ``y`` is inside the ball).  The
    caller guarantees ``eta > 0`` and a non-empty ``y``, and that ``start``
    (None: no warm start) holds one finite level >= 0 per group, apart from
    ``mu``: the levels of a nearby problem, where the in-cache path's passes
    start (the result the same up to rounding).

    Returns ``(status, theta)``.
    """
    cdef double theta = 0.0
    cdef int status, rounds
    cdef const double* levels = &start[0] if start is not None else NULL
    with nogil:
        status = _project(y, x, eta, groups_are_rows, &mu[0], &theta, &rounds, True, levels)
    return status, theta


def at_addresses(size_t y_address, size_t x_address, Py_ssize_t n_rows, Py_ssize_t n_cols,
                 bint single, double eta, bint groups_are_rows, double[::1] mu=None,
                 const double[::1] start=None):
    """``l1inf_ball`` on a C-contiguous matrix at raw addresses; ``(status, theta)``.

    For memory that is not an ndarray (a CPU tensor's), as
    ``_l1.at_addresses``: ``n_rows`` x ``n_cols`` values, float32 if
    ``single``, else float64, ``x`` the same memory as ``y`` or apart (the
    caller checks).  Nothing is written where the status is
    STATUS_NONFINITE (found by step 1, before any write).  ``mu`` receives
    the groups' levels; None: scratch (as ``_bilevel.at_addresses``'s radii).
    ``start``: as ``l1inf_ball``'s.
    """
    # (None first: the macro then fills them, out of Cython's sight)
    cdef const float[:, :] y32 = None
    cdef float[:, :] x32 = None
    cdef const double[:, :] y64 = None
    cdef double[:, :] x64 = None
    cdef double theta = 0.0
    cdef Py_ssize_t n_groups = n_rows if groups_are_rows else n_cols
    cdef double* scratch = NULL
    cdef double* levels
    cdef const double* start_levels = &start[0] if start is not None else NULL
    cdef int status = STATUS_NOMEMORY, rounds
    if mu is None:
        scratch = <double*> malloc(max(n_groups, 1) * sizeof(double))
        levels = scratch
    else:
        levels = &mu[0]
    with nogil:
        if levels == NULL:
            pass
        elif single:
            matrix_slice(y32, y_address, n_rows, n_cols, sizeof(float))
            matrix_slice(x32, x_address, n_rows, n_cols, sizeof(float))
            status = _project(y32, x32, eta, groups_are_rows, levels, &theta, &rounds, True,
                              start_levels)
        else:
            matrix_slice(y64, y_address, n_rows, n_cols, sizeof(double))
            matrix_slice(x64, x_address, n_rows, n_cols, sizeof(double))
            status = _project(y64, x64, eta, groups_are_rows, levels, &theta, &rounds, True,
                              start_levels)
    free(scratch)
    return status, theta


def _set_stream_ahead(Py_ssize_t bytes=-1):
    """Testing hook: the bytes ahead that the exact ball's loops reading long
    runs out of cache ask for, step 1's here and the strips' writes (0:
    none; -1: as the CPU prefers; ``skp_ahead_for`` in ``_prefetch.h``)."""
    from skproj.projections import _l1inf_strips
    skp_set_stream_ahead(bytes)
    _l1inf_strips._set_stream_ahead(bytes)


def _set_testing(int max_rounds=60, bint force_dense=False, bint narrow_bands=False,
                 bint simd=True, bint avx512=True, small=None, small_simd=None,
                 Py_ssize_t small_max_bytes=1 << 23, int small_passes=16, bracket=None,
                 Py_ssize_t bracket_min_groups=4096, Py_ssize_t bracket_max_length=256,
                 double bracket_min_kept=0.75, double bracket_sigmas=3.0,
                 Py_ssize_t bracket_panel_bytes=1 << 15, bint bracket_copy_sample=True,
                 Py_ssize_t sampled_min_bytes=1 << 23,
                 Py_ssize_t sample_bytes=1 << 21, double sample_max_share=0.5,
                 double sample_sigmas=6.0, bint subsampled=True,
                 double subsample_sigmas=5.0, short_groups=None,
                 double wide_band_share=0.1, bint along_rows_passes=True,
                 double list_passes_share=0.02,
                 double bracket_event_share=0.05,
                 bint prefetch_passes=True, bint failed_fit_passes=True,
                 Py_ssize_t ahead_rows=32, row_blocks=None, Py_ssize_t block_rows=0,
                 bint row_block_passes=True,
                 bint bracket_blocks=True, bint bracket_ties=True, transpose_ahead=None,
                 Py_ssize_t cached_ahead_rows=8, double bracket_extreme_share=0.02,
                 bracket_into_l1=None, bint gather_halves=True,
                 bint avx2_chunk_gathers=True):
    """Testing hook: exercise the safety nets on small problems.

    ``max_rounds`` caps the Newton rounds (0 sends every case to the sorted
    finish); ``force_dense`` takes the dense-regime path whatever the data;
    ``narrow_bands`` makes its bands too narrow for half of the groups (the
    check after the solve must then gather them whole); ``simd=False`` runs
    the Cython loops of the histograms and the band gather where the AVX2
    ones would run, the plain C loops of the in-cache pass, of step 2's
    lower envelope and of the splits of the Newton rounds' lists
    (``skp_split``);
    ``avx512=False`` the AVX2 band gathers, in-cache pass and splits where the
    AVX-512 ones would.  ``small`` says whether matrices in cache take the
    in-cache path (by default, where the CPU has AVX2 or AVX-512 and no
    other hook asks for the general path); ``small_simd`` caps the SIMD
    level of its pass (2: AVX-512, 1: AVX2, 0: plain C), ``small_max_bytes``
    sets the size of the largest matrix it takes (``_SMALL_MAX_BYTES``),
    ``small_passes`` the passes after which it gives way to the general
    path; groups shorter than the dense regime's, or read along the rows,
    take its passes over the whole matrix where their lists would hold more
    than ``list_passes_share`` of it (0: never; ``_LIST_PASSES_SHARE``).
    ``bracket`` says whether matrices of at least
    ``bracket_min_groups`` groups of at most ``bracket_max_length`` entries,
    whose sample keeps at least ``bracket_min_kept`` of its groups, take the
    sampled-bracket path (by default as ``small``: ``small=False``
    leaves the general path alone; with AVX2 alone, only row groups of 64
    entries or more in the groups layout, ``_BRACKET_AVX2_MIN_LENGTH``),
    ``bracket_panel_bytes`` sets the size of its panels, ``bracket_sigmas``
    the half-width of its bracket in standard errors (small values make
    theta^* miss it: the general path takes over),
    ``bracket_copy_sample=False`` has its sample read in place rather than
    from a copy (``_pack_sample``), ``bracket_blocks=False``
    its float32 passes sum in double at every entry rather than by blocks of
    rows, and ``bracket_ties=False`` its levels within those blocks' rounding
    of a tie do not settle there (``_at_tie``).  Dense problems of at least
    ``sampled_min_bytes`` (0: none) take their bands from a sample of about ``sample_bytes``
    where that is at most ``sample_max_share`` of the live groups
    (``_sampled_bands``; ``narrow_bands`` narrows half of those too), or, few
    long groups, from a subsample of every group unless ``subsampled`` is
    False (``_subsampled_bands``; bands ``subsample_sigmas`` standard
    errors either side); those
    whose bands would hold more than ``wide_band_share`` of the entries (0:
    never; float64 row groups one and a half times it; where those passes
    read float32 or float64 column groups along the rows with AVX2 alone,
    any band, without the sample, and where the AVX-512 passes read float32
    column groups, a hundredth of it, unless ``along_rows_passes`` is
    False) take the in-cache path's passes over the whole matrix first
    (``prefetch_passes=False``: without prefetching each chunk's successor or,
    on long groups, the rows ``ahead_rows`` ahead; ``ahead_rows=0``: the
    chunks' successors there too; the passes over long groups read whole
    rows a block at a time, float32's with AVX-512 and both dtypes' with
    AVX2 alone, unless ``row_block_passes`` is False),
    as do those whose sample's levels cannot be fitted (a share of its
    groups zeroed) unless ``failed_fit_passes`` is False (then only where
    the sample is mostly zeros: the histograms otherwise),
    the band gathers of column groups of up to 32768 columns read whole rows
    a block at a time where ``row_blocks`` is True, panels of columns down
    the rows (as wider matrices are read) where it is False, as the CPU
    prefers where it is None (``_l1inf_dense._preferred_row_blocks``),
    blocks of ``block_rows`` rows (0: as the CPU prefers, 8 or 16),
    the candidates' and the bands' gathers of a matrix of 16 MiB or more
    read it in two blocks of rows unless ``gather_halves`` is False
    (``_gather_column_chunks``, ``_l1inf_dense._range_row_blocks``), with
    AVX2 alone the candidates of few columns are gathered along the rows'
    lines as with AVX-512 unless ``avx2_chunk_gathers`` is False (then a
    visit of each candidate, ``_gather_columns_by_rows``),
    and the sampled-bracket path hands over once its events pass
    ``bracket_event_share`` of the entries (0: never), and declines where
    the groups of extreme maxima hold ``bracket_extreme_share`` of their sum
    or more (0: never; ``_l1inf_strips._extreme_share``); its panels are
    prefetched into L1 (``bracket_into_l1`` True) or into L2 alone (False),
    as the CPU prefers where it is None (``_l1inf_strips._panels_into_l1``).
    ``short_groups`` says whether groups of at most 16 entries take their own path
    (``_l1inf_short``; by default where no other hook is given and the CPU
    has AVX-512).  ``transpose_ahead``: whether the in-cache path's copy of
    short row groups into the lanes layout prefetches its rows ahead for
    writing (``skp_small_transpose_norms256_f32``; None: as the CPU prefers,
    ``skp_small_ahead_of_copy``); its passes prefetch
    the rows ``cached_ahead_rows`` ahead (0: none; ``_CACHED_AHEAD_ROWS``).
    Returns the level the in-cache pass runs at.
    """
    global _force_dense, _avx2, _LIST_PASSES_SHARE, _gather_halves, _avx2_chunk_gathers
    set_max_rounds(max_rounds)
    _gather_halves = gather_halves
    _avx2_chunk_gathers = avx2_chunk_gathers
    _LIST_PASSES_SHARE = list_passes_share
    set_split_simd(0 if not simd else 2 if avx512 else 1)
    set_bound_simd(simd)
    _force_dense = force_dense
    _avx2 = simd and skp_l1inf_have_avx2()
    skp_l1inf_set_avx512(simd and avx512)
    set_short(short_groups if short_groups is not None else (
        max_rounds == 60 and not force_dense and not narrow_bands and simd and avx512
        and small is None and small_simd is None and bracket is None
        and small_max_bytes == 1 << 23 and small_passes == 16))
    _l1inf_dense._set_testing(narrow_bands=narrow_bands, simd=simd, avx512=avx512,
                              sampled_min_bytes=sampled_min_bytes, sample_bytes=sample_bytes,
                              sample_max_share=sample_max_share, sample_sigmas=sample_sigmas,
                              subsampled=subsampled, subsample_sigmas=subsample_sigmas,
                              wide_band_share=wide_band_share,
                              along_rows_passes=along_rows_passes,
                              failed_fit_passes=failed_fit_passes, row_blocks=row_blocks,
                              block_rows=block_rows, gather_halves=gather_halves)
    return _l1inf_strips._set_testing(
        force_dense=force_dense, narrow_bands=narrow_bands, simd=simd, avx512=avx512,
        default_on=max_rounds == 60 and not force_dense and not narrow_bands, small=small,
        small_simd=small_simd, small_max_bytes=small_max_bytes, small_passes=small_passes,
        bracket=bracket, bracket_min_groups=bracket_min_groups,
        bracket_max_length=bracket_max_length, bracket_min_kept=bracket_min_kept,
        bracket_sigmas=bracket_sigmas, bracket_panel_bytes=bracket_panel_bytes,
        bracket_copy_sample=bracket_copy_sample, bracket_event_share=bracket_event_share,
        prefetch_passes=prefetch_passes, ahead_rows=ahead_rows,
        row_block_passes=row_block_passes, bracket_blocks=bracket_blocks,
        bracket_ties=bracket_ties, transpose_ahead=transpose_ahead,
        cached_ahead_rows=cached_ahead_rows, bracket_extreme_share=bracket_extreme_share,
        bracket_into_l1=bracket_into_l1)


def _candidate_lists(const floating[:, :] y, const double[::1] levels,
                     const Py_ssize_t[::1] subset, bint groups_are_rows=False):
    """Testing hook: the candidate gather of the groups in ``subset``
    (increasing) at ``levels`` (one a group), by the way the call would take
    (``_gather_below``).  Column groups: along the rows' lines where few
    are listed and the CPU has AVX-512, the range gather where most are,
    else along the rows, in two blocks of rows on a matrix of HALVES_BYTES
    or more; row groups one after the other, in two halves of ``subset``
    where its rows hold HALVES_BYTES or more.  Returns each listed group's
    list (its magnitudes in (0, level) in their order), its count of those
    at or above its level, and its sum of them (its l1 norm less its
    list's)."""
    cdef Py_ssize_t n_groups = y.shape[0] if groups_are_rows else y.shape[1]
    cdef Py_ssize_t n_subset = subset.shape[0], idx, g
    cdef Work w
    cdef bint done
    cdef double[::1] norms = np.abs(np.asarray(y, dtype=np.float64)).sum(
        axis=1 if groups_are_rows else 0)
    if y.strides[1] != sizeof(floating) or levels.shape[0] != n_groups or n_subset > n_groups:
        raise ValueError("y must have contiguous rows, levels one entry a group")
    if not _alloc_work(&w, n_groups, y.shape[1] if groups_are_rows else y.shape[0]):
        _free_work(&w)
        raise MemoryError()
    for g in range(n_groups):
        w.lists.sums[g] = norms[g]
        w.gather_level[g] = levels[g]
    for idx in range(n_subset):
        w.lists.active[idx] = subset[idx]
    w.lists.n_active = n_subset
    with nogil:
        done = _gather_below(y, &w, groups_are_rows, w.lists.active, n_subset)
    try:
        if not done:
            raise MemoryError()
        return [(np.asarray(<double[:w.lists.length[g]]> (w.lists.values + w.lists.start[g]))
                 .copy() if w.lists.length[g] else np.empty(0),
                 w.lists.above_count[g], w.lists.above_sum[g])
                for g in subset]
    finally:
        _free_work(&w)


def _step_one(const floating[:, :] y, bint groups_are_rows, bint with_squares=True):
    """Testing hook: step 1 alone (``_sums_and_maxima``).

    Every group's l1 norm and max, and its sum of squares where step 1 took
    them (else None; never without ``with_squares``, as the dense paths ask).
    """
    cdef Py_ssize_t n_groups = y.shape[0] if groups_are_rows else y.shape[1]
    sums = np.empty(n_groups)
    maxima = np.empty(n_groups)
    squares = np.empty(n_groups)
    cdef double[::1] s = sums, m = maxima, q = squares
    cdef bint taken = False
    if n_groups > 0 and y.shape[0] > 0 and y.shape[1] > 0:
        with nogil:
            taken = _sums_and_maxima(y, &s[0], &m[0], &q[0] if with_squares else NULL,
                                     groups_are_rows)
    return sums, maxima, squares if taken else None


def _time_phases(bint on):
    """Benchmark hook: time the phases of the next calls (``_phase_times``) or stop."""
    time_phases(on)


def _phase_times():
    """Benchmark hook: the CPU seconds of each phase of the last call, and its histogram passes.

    Phases: sums and maxima, candidate gather, histogram passes, envelopes
    (their roots and the bands), band gather, solve, write.
    """
    cdef double* phase_clock = phase_seconds()
    return [phase_clock[k] for k in range(N_PHASES)], dense_stats().histogram_passes


def _last_rounds():
    """Benchmark hook: the last call's passes over its groups (the in-cache and
    sampled-bracket paths) or Newton rounds on its lists (the general path);
    not thread-safe."""
    return _rounds_of_last_call


def _list_passes_taken():
    """Testing hook: whether the last call's lists gave way to the passes over
    the whole matrix (``_LIST_PASSES_SHARE``); not thread-safe."""
    return _list_passes_of_last_call


def _dense_passes_taken():
    """Testing hook: whether the last call's dense regime gave way to the passes
    over the whole matrix (``_sampled_bands``' status 3); not thread-safe."""
    return _dense_passes_of_last_call


def _chunk_gathers_taken():
    """Testing hook: the candidate gathers along the rows' lines
    (``_gather_column_chunks``) since the last call; not thread-safe."""
    global _chunk_gathers
    taken, _chunk_gathers = _chunk_gathers, 0
    return taken


def _gather_probes():
    """Testing hook: (probes gathered, probes that sent the problem to the
    dense regime) since the last call (``_gather_candidates``); not
    thread-safe."""
    counts = (_probes[0], _probes[1])
    _probes[0] = _probes[1] = 0
    return counts


def _sampled_stats():
    """Benchmark hook: the dense regime's counters in the last call.

    The groups in the sample and the entries gathered in the bands predicted
    from it (zeros where the bands were not predicted), then, for either
    way of finding the bands, the groups whose level left its band (gathered
    whole) and the Newton rounds on the bands, every solve added up.
    """
    cdef DenseStats* stats = dense_stats()
    return [stats.sampled_groups, stats.band_entries, stats.regathered_groups, stats.rounds]
