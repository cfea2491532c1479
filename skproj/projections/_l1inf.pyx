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

   *Dense regime.*  When :math:`U_g` would gather more than ~8 % of the
   entries (large radii: :math:`\mu_g` among the bulk of the entries), or
   too many guesses fail, histogram passes bracket every :math:`\mu_g`
   instead: the counts and sums of a group's entries in 16 bins of a band
   :math:`[L_g, U_g]` give :math:`h_g` exactly at the bin edges, so
   :math:`\mu_g(\theta)` lies between the chords and the tangents of those
   points; the roots of the two envelopes (searched together, Newton and
   secant steps, several points per sweep over the envelopes; on 4096 groups
   or more first on every 16th envelope, then on all of them either side of
   the sampled roots; each bracket only to a share of the gap between the
   two roots) bracket :math:`\theta^*`, and the envelopes there bracket
   each :math:`\mu_g^*` within a bin or two.  Each envelope is made from its
   histogram as soon as that is complete, while it is in cache.  One pass
   (two at most) leaves bands holding a few per cent of the entries (3-9 %
   measured on Gaussian matrices where most groups survive, so the band pass
   still reads every cache line of the matrix); only those are gathered (entries above the band are counted from the histogram,
   entries below it are never clipped).
   The column groups of a row-major matrix are read row by row, a panel of
   64 columns at a time (their histogram tables stay in L1, the next rows'
   segments are prefetched; the band gather keeps each entry's column and
   buckets the panel's entries by column).  Other groups are read
   contiguously: rows in place, and the columns of the repair gather below
   from a copy of a block of columns.  The band model is exact for levels
   inside the bands; after the solve, a group whose level left its band
   (rounding corner cases) is gathered whole and the solve resumes.
4. Newton rounds on :math:`F`, from the left, on the gathered entries only.
   A round evaluates :math:`\mu_g(\theta_t)` exactly for every live group by a
   Michelot fixed point started from a lower bound (usually one pass over the
   group's list), moves the entries above it to the clipped set, then takes
   the Newton step :math:`\theta_{t+1} = \theta(V)` (never beyond
   :math:`\theta^*`).  If the linear model is consistent (every live group has
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
   memset of the output).

Complexity
----------
Time :math:`O(nm + G + R \cdot L)`: three streaming passes over the matrix
(read; read of the candidate groups, only where a candidate group lies; write),
one or two more read passes in the dense regime, :math:`L \le nm` gathered
entries, and :math:`R` Newton rounds, each linear in the lists that are left.
On Gaussian matrices :math:`L` is at most ~3 % of the entries, the lists
shrink by orders of magnitude after the first round and :math:`R \le 6`.  On
1000 x 10000 and 10000 x 1000 matrices keeping 1-90 % of the groups, the
measured cost is 0.7-3.1 times that of ``bilevel_l1inf`` at the same radius
(0.7-2.1 times at the radius where the bi-level projection keeps as many
groups); in the dense regime (every group kept, most clipped a little),
on 1000 x 10000 at 10 % and 50 % of the norm, about 2.5-2.7 times on row
groups and 3.3-3.5 times on column groups in float64, 6.7-7.6 and 8.6-9.1
times in float32 (whose bi-level projection is SIMD), and 5.3-5.9 (float64)
and 11.5-14 (float32) times on 10**5 column groups of 100, 1.9-2.3 times on
10**5 row groups (CPU time, with the AVX2 loops, load 4-5 on 2 cores; the
column-group figures with bilevel_l1inf at its ~15 ms mode).  On such short
groups the fixed work per group (histogram tables, envelopes and their
roots, the solve) is most of the cost: where most of them are kept they now
take the sampled-bracket path (below), as matrices in cache take the
in-cache path.  The worst case is :math:`O(nm \log(nm))` (the
sort-based finish).
No sort and no heap is used otherwise.

*Matrices in cache* (at most 8 MiB: 1000 x 1000 float64) skip steps 2-4
for the in-cache path: a semismooth Newton method on the optimality
conditions whose every step is one SIMD pass (AVX-512 or AVX2; only where
the CPU has one of them) over the groups whose clipped set may move -- no
histogram, envelope or list.  It measured 1-9 steps, the equivalent of 1-8
reads of the matrix, on the matrices tried (``_small_project``; the general
path takes over if it does not settle in 16 steps).  Time / ``np.copyto``
of the kernel at 10 %, 50 % and 90 % of the norm (wall time, AVX-512, load
3 on 2 cores), before -> after: 100 x 1000 float32 column groups 43-46,
57-60, 45-47 -> 9.0, 17.8, 9.5; row groups 20, 20, 18 -> 7.1, 14.3, 6.7;
float64 columns 20, 23, 21 -> 4.6, 7.7, 4.6; rows 9.4, 9.4, 8.5 -> 3.5, 6.2,
3.3.  1000 x 1000 float32 columns 10.9, 11.3, 8.8 -> 4.8, 10.8, 5.7; rows
8.1, 8.5, 7.2 -> 3.2, 5.8, 3.0; float64 columns 5.9, 6.2, 5.5 -> 3.1, 6.8,
3.7; rows 5.2, 5.6, 4.8 -> 2.6, 4.5, 2.5.  With AVX2 alone the pass is
about 2.5 times slower: still 2-3 times faster than the general path on
column groups, but 1.2-1.4 times slower on 100 row groups of 1000 at 50 %
of the norm.

*Many short groups* (at least 4096 groups of at most 256 entries, the
groups' entries contiguous or the groups the columns of contiguous rows)
skip steps 2-4 for the sampled-bracket path (``_bracket_project``), where
most groups are kept:

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
   :math:`S_g/n`; a start above :math:`\mu_g` costs one more step) and at
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
read) and the passes in cache (3-4 over each panel on Gaussian data).
Measured on 100 x 100000 column groups at 50-90 % of the groups kept and at
10 % and 50 % of the norm, time / ``bilevel_l1inf`` (``bench_projections.py
--l1inf --cpu``, the old and new builds alternated, load 6-9 on 2 cores):
float64 5.5-5.8 -> 2.9-3.2; float32 9.7-11.2 -> 4.5-4.9, or 14-17 -> 6.3-6.8
in a run where ``bilevel_l1inf`` ran at its faster mode (about 0.45 ns per
entry).  Its phases there, in ns per entry: sums 0.4, sample 0.2-0.3,
panels 1.4-1.6, solve 0.3, write 0.7-0.8.  Row groups of 100 (100000 x 100,
not under the lock, load 12-14): 2.0 -> 0.9-1.1.  Radii keeping 1 % and 10 %
of the groups take the general path (unchanged).

Memory: O(G) work arrays (about 30 words per group, plus 40 doubles per
candidate group in the dense regime -- its histogram, turned into its
envelope in place -- and for column
groups of a row-major matrix a block of columns of at most 1 MiB), the gathered
entries (8 bytes each, plus a 4-byte group index and one bucketing copy for
column groups of a row-major matrix; grown on demand, at most the candidate
groups' entries), and one scratch vector of the group length.  The matrix
itself is never copied.  Work memory is kept from one call to the next
(``_scratch_cache.h``): returned to the system, it would cost a page fault
per page at every call.

Code layout
-----------
This module reads and writes the matrix: the streaming passes (step 1 and
the group norms come from ``_streaming.pxd``, shared with the bi-level
kernels), the gathers of steps 3-3c, the write of step 5 and the in-cache
path (its passes in ``_l1inf_small.h``) and the sampled-bracket path (its
``Bracket``, its solve on the events); its ``Work``
holds the per-group parameters of those passes.  Everything that works on
what they gathered -- the bounds of step 2, the envelopes of step 3b, the
lists and the Newton rounds of step 4 -- is in ``_l1inf_lists`` (its
``GroupLists``).  Every buffer is allocated by ``_alloc_work`` and freed by
``_free_work``, once, in ``_project``; the steps only report failure.

References
----------
G. Perez, L. Condat, M. Barlaud, "Near-linear time projection onto the
l1,inf ball; application to sparse neural networks", arXiv:2307.09836 (2023).
G. Chau, B. Wohlberg, P. Rodriguez, "Efficient projection onto the l1,inf
mixed-norm ball using a Newton root search method", SIAM J. Imaging Sci. 12
(2019).  C. Michelot, "A finite algorithm for finding the projection of a
point onto the canonical simplex of R^n", JOTA 50 (1986).
"""

from libc.math cimport fabs, sqrt, INFINITY
from libc.stdlib cimport qsort
from libc.string cimport memset
from libc.stdint cimport INT32_MAX, int32_t
# Work memory kept for the next call (no page faults on it; ``_scratch_cache``).
from skproj.projections._scratch_cache cimport scratch_free as free, scratch_malloc as malloc
from cython cimport floating
from skproj.projections._common cimport (
    SPARSE_WRITE_DIVISOR, clip, clip_columns, clip_row, copy_matrix, prefetch, thread_seconds,
    zero_if_contiguous, zero_row,
)
from skproj.projections._streaming cimport element_step, row_at, stream_sums_and_maxima
from skproj.projections._sums cimport TERM_VALUE, sum_terms
from skproj.projections._l1 cimport (
    STATUS_INSIDE, STATUS_NOMEMORY, STATUS_NONFINITE, STATUS_PROJECTED,
)
from skproj.projections._l1inf_lists cimport (
    BINS, SLACK, SLOTS, Envelope, GroupLists, RootStart, alloc_lists, append_pairs, band_violations,
    chord_upper_bound, envelope_above, envelope_bounds, envelope_roots, fill_envelope,
    free_lists, grow,
    initial_lower_bound, reserve, set_max_rounds, solve, start_roots,
)

cdef enum:
    _MAX_HISTOGRAMS = 3
    # Bytes of one row of a block of columns (``_group_entries``): 64 to 1024,
    # as the block of all rows fits _BLOCK_BUDGET bytes (in L2).
    _BLOCK_MIN_BYTES = 64
    _BLOCK_MAX_BYTES = 1024
    _BLOCK_BUDGET = 1 << 20
    # Rows copied together: one cache line of a column of the block (float64).
    _TILE_ROWS = 8
    # Entries whose slots are computed together (``_histogram_row``).
    _HISTOGRAM_CHUNK = 256
    # Column groups whose histograms are taken together (``_histogram_columns``):
    # their envelopes (320 bytes each) stay in L1.
    _PANEL = 64
    # Rows ahead whose panel segment is prefetched.
    _PREFETCH_ROWS = 8
    # The phases timed by the benchmark hook (``_phase_times``).
    _PHASE_SUMS = 0
    _PHASE_GATHER = 1
    _PHASE_HISTOGRAMS = 2
    _PHASE_ENVELOPES = 3
    _PHASE_BAND = 4
    _PHASE_SOLVE = 5
    _PHASE_WRITE = 6
    _N_PHASES = 7

cdef extern from "_l1inf_simd.h" nogil:
    int skp_l1inf_have_avx2()
    int skp_l1inf_set_avx512(int on)
    void skp_l1inf_slots_f64(const double* row, Py_ssize_t n, double lo, double inv_width,
                             double top, double* values, int32_t* slots)
    void skp_l1inf_slots_f32(const float* row, Py_ssize_t n, double lo, double inv_width,
                             double top, double* values, int32_t* slots)
    void skp_l1inf_panel_slots_f64(const double* row, Py_ssize_t n, const double* lo,
                                   const double* inv_width, double top, double* values,
                                   int32_t* slots)
    void skp_l1inf_panel_slots_f32(const float* row, Py_ssize_t n, const double* lo,
                                   const double* inv_width, double top, double* values,
                                   int32_t* slots)
    Py_ssize_t skp_l1inf_panel_band_f64(const double* row, Py_ssize_t n, const double* lo,
                                        const double* inv_width, const double* first,
                                        const double* last, const int32_t* column,
                                        double* values, int32_t* groups, Py_ssize_t pos)
    Py_ssize_t skp_l1inf_panel_band_f32(const float* row, Py_ssize_t n, const double* lo,
                                        const double* inv_width, const double* first,
                                        const double* last, const int32_t* column,
                                        double* values, int32_t* groups, Py_ssize_t pos)
    Py_ssize_t skp_l1inf_band_f64(const double* row, Py_ssize_t n, double lo, double inv_width,
                                  double first, double last, double* values, Py_ssize_t pos)
    Py_ssize_t skp_l1inf_band_f32(const float* row, Py_ssize_t n, double lo, double inv_width,
                                  double first, double last, double* values, Py_ssize_t pos)
    double skp_l1inf_row_sum_max_f64(const double* row, Py_ssize_t n, double* maximum)
    double skp_l1inf_row_sum_max_f32(const float* row, Py_ssize_t n, double* maximum)

cdef extern from "_l1inf_small.h" nogil:
    enum: SKP_SMALL_STRIP
    int skp_small_simd_level()
    void skp_small_lanes_f64(const double* y, Py_ssize_t length, Py_ssize_t width,
                             Py_ssize_t row_stride, const Py_ssize_t* strips,
                             Py_ssize_t n_strips, const double* level, double* counts,
                             double* sums, double* above_min, double* below_max, int simd)
    void skp_small_lanes_f32(const float* y, Py_ssize_t length, Py_ssize_t width,
                             Py_ssize_t row_stride, const Py_ssize_t* strips,
                             Py_ssize_t n_strips, const double* level, double* counts,
                             double* sums, double* above_min, double* below_max, int simd)
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
                                   int simd)
    void skp_small_group_norms_f32(const float* y, Py_ssize_t n_groups, Py_ssize_t length,
                                   Py_ssize_t group_stride, double* sums, double* maxima,
                                   int simd)
    void skp_small_groups_f64(const double* y, const Py_ssize_t* groups, Py_ssize_t n_groups,
                              Py_ssize_t length, Py_ssize_t group_stride, const double* level,
                              double* counts, double* sums, double* above_min,
                              double* below_max, int simd)
    void skp_small_groups_f32(const float* y, const Py_ssize_t* groups, Py_ssize_t n_groups,
                              Py_ssize_t length, Py_ssize_t group_stride, const double* level,
                              double* counts, double* sums, double* above_min,
                              double* below_max, int simd)

# Benchmark hook (``_time_phases``, ``_phase_times``): CPU seconds spent in
# each phase of the last call -- sums and maxima, candidate gather,
# histogram passes, envelopes (their
# roots and the bands), band gather, solve, write -- and the number of
# histogram passes.  Off by default: reading the thread's CPU clock is a system call.
cdef bint _timing = False
cdef double _phase_seconds[_N_PHASES]
cdef int _histogram_passes = 0


cdef inline double _now() noexcept nogil:
    return thread_seconds() if _timing else 0.0

# Testing hooks (``_set_testing``): send every problem down the dense-regime
# path, and make its bands too narrow for half of the groups.
cdef bint _force_dense = False
cdef bint _narrow_bands = False

# Gathering tests blocks of entries first while fewer than 1 in this many
# entries are gathered (measured on this kind of machine: ~1.5 %).
cdef Py_ssize_t _GATHER_BLOCK_RATE = 64
# The AVX2 loops of _l1inf_simd.h (histogram slots, band gather) run (the CPU
# has AVX2; ``_set_testing`` may turn them off).
cdef bint _avx2 = skp_l1inf_have_avx2()
# ... and the band gathers with AVX-512 where the CPU has it (F and VL).
skp_l1inf_set_avx512(True)
# ... for column groups only when the per-column levels stay in L1 (wider
# rows are faster four at a time, without blocks).
cdef Py_ssize_t _BLOCK_MAX_WIDTH = 4096
# Column groups of a row-major matrix: visit only the candidate columns by
# index when fewer than 1 in this many columns are candidates.
cdef Py_ssize_t _SPARSE_VISIT = 4
# Heuristic level of the first gather, in units of the lower bound of mu_g.
cdef double _GUESS_FACTOR = 1.25
# Above this predicted share of gathered entries (or of failed guesses), the
# levels U_g are too far above mu_g: the dense-regime path brackets mu_g with
# histograms first.  Groups shorter than _DENSE_MIN_GROUP are gathered whole.
cdef double _DENSE_SHARE = 0.08
cdef Py_ssize_t _DENSE_MIN_GROUP = 64
# Bracketing histogram passes stop once the bands hold this share of entries.
cdef double _BAND_SHARE = 0.12
# The in-cache path (``_small_project``): matrices of at most this many bytes
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


cdef struct Work:
    # The lists, the bounds and the Newton rounds (``_l1inf_lists``).
    GroupLists lists
    # The gathers, one slot per group.
    double* gather_level    # U_g: the entries below it are gathered (step 3)
    double* band_low        # dense regime: the gathered band of each group,
    double* band_high       # where mu_g^* must lie (checked after the solve)
    double* histogram_low   # dense regime: the range [L_g, U_g] split into the
    double* histogram_high  # bins of the last histogram
    Py_ssize_t* edges_low   # dense regime: mu_g^* lies in the bins
    Py_ssize_t* edges_high  # edges_low + 1 .. edges_high of that histogram
    Py_ssize_t* subset      # the groups to gather again
    Py_ssize_t* bucket_cursor   # scratch of the bucketing by group
    # Column groups of a row-major matrix (candidate gathers): each row's
    # entries are tested against their column's level (0 for the columns
    # left out).
    double* column_high
    # The (entry, column) pairs gathered row by row, before bucketing.
    double* pair_values
    int32_t* pair_groups
    Py_ssize_t pair_capacity
    # Dense regime: the histogram of the rank-th live group, then the
    # envelope of its mu_g, in envelopes[rank]; the envelope sums at the ends
    # of the first bracket of theta^*, added up as they are filled.
    Envelope* envelopes
    RootStart root_start
    # Dense regime, column groups of a row-major matrix: a block of
    # consecutive columns copied column by column (``_group_entries``), its
    # bytes per row, and the first column it holds (-1: none).
    void* block
    Py_ssize_t block_bytes
    Py_ssize_t block_first
    # The clipping levels in the input's precision (the write compares in it).
    void* clip_levels


# ------------------------------------------------------------ memory

cdef bint _alloc_work(Work* w, Py_ssize_t n_groups, Py_ssize_t group_size) noexcept nogil:
    """Allocate what every path needs; False if out of memory.

    The dense regime's histograms are allocated on demand
    (``_alloc_histograms``); ``_free_work`` frees everything, also after a
    failure.
    """
    cdef Py_ssize_t g = n_groups if n_groups > 0 else 1
    cdef bint ok = alloc_lists(&w.lists, n_groups, group_size)
    w.gather_level = <double*> malloc(g * sizeof(double))
    w.band_low = <double*> malloc(g * sizeof(double))
    w.band_high = <double*> malloc(g * sizeof(double))
    w.histogram_low = <double*> malloc(g * sizeof(double))
    w.histogram_high = <double*> malloc(g * sizeof(double))
    w.edges_low = <Py_ssize_t*> malloc(g * sizeof(Py_ssize_t))
    w.edges_high = <Py_ssize_t*> malloc(g * sizeof(Py_ssize_t))
    w.subset = <Py_ssize_t*> malloc(g * sizeof(Py_ssize_t))
    w.bucket_cursor = <Py_ssize_t*> malloc(g * sizeof(Py_ssize_t))
    w.column_high = <double*> malloc(g * sizeof(double))
    w.clip_levels = malloc(g * sizeof(double))
    w.pair_values = NULL
    w.pair_groups = NULL
    w.pair_capacity = 0
    w.envelopes = NULL
    w.block = NULL
    w.block_first = -1
    return not (not ok or w.gather_level == NULL or w.band_low == NULL
                or w.band_high == NULL or w.histogram_low == NULL
                or w.histogram_high == NULL or w.edges_low == NULL
                or w.edges_high == NULL or w.subset == NULL or w.bucket_cursor == NULL
                or w.column_high == NULL or w.clip_levels == NULL)


cdef bint _alloc_histograms(Work* w) noexcept nogil:
    cdef Py_ssize_t n = w.lists.n_active if w.lists.n_active > 0 else 1
    w.envelopes = <Envelope*> malloc(n * sizeof(Envelope))
    # A block of columns holds up to 1 KiB of each row within _BLOCK_BUDGET
    # bytes, or every column when the whole matrix fits the budget: then one
    # copy serves every pass (``_group_entries``).
    w.block_bytes = _BLOCK_BUDGET // (w.lists.group_size if w.lists.group_size > 0 else 1)
    if w.block_bytes >= w.lists.n_groups * sizeof(double):
        w.block_bytes = w.lists.n_groups * sizeof(double)
    else:
        w.block_bytes = (w.block_bytes if w.block_bytes < _BLOCK_MAX_BYTES
                         else _BLOCK_MAX_BYTES)
        w.block_bytes -= w.block_bytes % _BLOCK_MIN_BYTES
        w.block_bytes = (w.block_bytes if w.block_bytes > _BLOCK_MIN_BYTES
                         else _BLOCK_MIN_BYTES)
    w.block = malloc(w.block_bytes * w.lists.group_size)
    return not (w.envelopes == NULL or w.block == NULL)


cdef void _free_work(Work* w) noexcept nogil:
    free_lists(&w.lists)
    free(w.gather_level)
    free(w.band_low)
    free(w.band_high)
    free(w.histogram_low)
    free(w.histogram_high)
    free(w.edges_low)
    free(w.edges_high)
    free(w.subset)
    free(w.bucket_cursor)
    free(w.column_high)
    free(w.clip_levels)
    free(w.pair_values)
    free(w.pair_groups)
    free(w.envelopes)
    free(w.block)


cdef bint _reserve_pairs(Work* w, Py_ssize_t needed) noexcept nogil:
    """Grow the (entry, column) pair buffers to hold ``needed`` pairs (doubling)."""
    cdef Py_ssize_t values_capacity = w.pair_capacity
    # pair_capacity counts what both buffers hold: it follows the second.
    return (grow(<void**> &w.pair_values, &values_capacity, needed, sizeof(double))
            and grow(<void**> &w.pair_groups, &w.pair_capacity, needed, sizeof(int32_t)))


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
    """Same, testing blocks of 8 first (their minimum): for low hit rates."""
    cdef Py_ssize_t j, j0 = 0, n8 = n - n % 8
    cdef double m0, m1, m2, m3, a
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
    for j in range(n8, n):
        a = fabs(row[j * step])
        values[pos] = a
        pos += a < u
    return pos


cdef bint _gather_by_group(const floating[:, :] y, Work* w, bint groups_are_rows,
                           const Py_ssize_t* subset, Py_ssize_t n_subset) noexcept nogil:
    """Append the lists of the groups in ``subset``: their entries below gather_level.

    One group after the other: the path for rows; for columns only when their
    index would not fit the 32 bits of the row-major path.
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t n_cols = y.shape[1] if groups_are_rows else y.shape[0]
    cdef Py_ssize_t group_stride = y.strides[0] if groups_are_rows else y.strides[1]
    cdef Py_ssize_t step = element_step(y.strides[1] if groups_are_rows else y.strides[0],
                                        sizeof(floating))
    cdef Py_ssize_t idx, g, k, pos = lists.n_values, first = lists.n_values
    cdef const floating* row
    cdef double listed
    for idx in range(n_subset):
        g = subset[idx]
        if not reserve(lists, pos + n_cols):
            return False
        row = row_at(&y[0, 0], group_stride, g)
        lists.start[g] = pos
        # Blocks pay off below ~1.5 % of gathered entries (measured so far).
        if _GATHER_BLOCK_RATE * (pos - first) <= idx * n_cols:
            if step == 1:
                pos = _gather_one_row_blocks(row, n_cols, 1, w.gather_level[g],
                                             lists.values, pos)
            else:
                pos = _gather_one_row_blocks(row, n_cols, step, w.gather_level[g],
                                             lists.values, pos)
        elif step == 1:
            pos = _gather_one_row(row, n_cols, 1, w.gather_level[g], lists.values, pos)
        else:
            pos = _gather_one_row(row, n_cols, step, w.gather_level[g], lists.values, pos)
        lists.length[g] = pos - lists.start[g]
        listed = 0.0
        for k in range(lists.start[g], pos):
            listed += lists.values[k]
        lists.above_count[g] = n_cols - lists.length[g]
        lists.above_sum[g] = lists.sums[g] - listed
    lists.n_values = pos
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
    """Append the lists of the columns in ``subset`` (row-major streaming).

    Entries below gather_level are gathered with their column index, then
    bucketed by column.  When few columns are in the subset only those are
    visited.
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1]
    cdef Py_ssize_t step = element_step(y.strides[1], sizeof(floating))
    cdef Py_ssize_t i, j, idx, g, pos = 0
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
    i = 0
    while i < n_rows:
        if not _reserve_pairs(w, pos + 4 * (n_subset if sparse_visit else n_cols)):
            return False
        row = row_at(base, s0, i)
        if sparse_visit:
            for idx in range(n_subset):
                g = subset[idx]
                a = fabs(row[g * step])
                w.pair_values[pos] = a
                w.pair_groups[pos] = <int32_t> g
                pos += a < w.gather_level[g]
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

    # Bucket by column (counting sort) after the lists already there; sum
    # each bucket for the clipped sums.
    if not append_pairs(lists, w.pair_values, w.pair_groups, pos, subset, n_subset,
                        w.bucket_cursor):
        return False
    for idx in range(n_subset):
        g = subset[idx]
        lists.above_count[g] = n_rows - lists.length[g]
        lists.above_sum[g] = lists.sums[g] - sum_terms(lists.values + lists.start[g],
                                                       lists.length[g], 1, TERM_VALUE)
    return True


cdef inline double _chord_level(const GroupLists* lists, Py_ssize_t g,
                               double theta) noexcept nogil:
    """Chord of mu_g between (0, M_g) and (S_g, 0) at theta, slightly raised."""
    cdef double top = lists.maxima[g]
    cdef double upper = top * (1.0 - theta / lists.sums[g]) * (1.0 + 1e-9)
    return upper if upper < top else top


cdef bint _gather_below(const floating[:, :] y, Work* w, bint groups_are_rows,
                        const Py_ssize_t* subset, Py_ssize_t n_subset) noexcept nogil:
    """Append the lists of the groups in ``subset``: their entries below gather_level."""
    if groups_are_rows or y.shape[1] > INT32_MAX:
        return _gather_by_group(y, w, groups_are_rows, subset, n_subset)
    return _gather_columns(y, w, subset, n_subset)


cdef int _gather_candidates(const floating[:, :] y, Work* w, bint groups_are_rows,
                            double theta_0) noexcept nogil:
    """Gather the lists of the candidate groups at levels U_g >= mu_g(theta_0).

    The rigorous chord level is several times mu_g on dense data; the level
    _GUESS_FACTOR * max((S_g - theta_0)/n, M_g - theta_0) is usually tight and
    is checked after the fact, exactly: U >= mu_g(theta_0) iff
    sum_i min(a_i, U) >= S_g - theta_0, and the left side is
    count_above * U + sum of the gathered entries.  Groups that fail are
    gathered again at the chord level.

    Returns 1 when the lists are ready, 2 when the levels would gather too
    much (the dense regime: nothing is gathered, or the lists are dropped),
    0 when memory ran out.
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t idx, g, n_failed = 0
    cdef double chord, guess, covered, predicted = 0.0
    cdef double inv_n = 1.0 / lists.group_size
    cdef bint may_go_dense = lists.group_size >= _DENSE_MIN_GROUP or _force_dense
    for idx in range(lists.n_active):
        g = lists.active[idx]
        chord = _chord_level(lists, g, theta_0)
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
    if not _gather_below(y, w, groups_are_rows, lists.active, lists.n_active):
        return 0
    for idx in range(lists.n_active):
        g = lists.active[idx]
        chord = _chord_level(lists, g, theta_0)
        if w.gather_level[g] >= chord:
            continue
        covered = (lists.above_count[g] * w.gather_level[g]
                   + (lists.sums[g] - lists.above_sum[g]))
        if covered < (lists.sums[g] - theta_0) * (1.0 + SLACK):
            w.gather_level[g] = chord
            w.subset[n_failed] = g
            n_failed += 1
    if may_go_dense and n_failed > _DENSE_SHARE * lists.n_active:
        lists.n_values = 0
        return 2
    if n_failed > 0 and not _gather_below(y, w, groups_are_rows, w.subset, n_failed):
        return 0
    return 1


# ------------------------------------------------------------ dense regime: group access

cdef inline const floating* _group_entries(const floating[:, :] y, Work* w, Py_ssize_t g,
                                           bint groups_are_rows,
                                           Py_ssize_t* step) noexcept nogil:
    """Where group g's entries lie, ``step[0]`` elements apart.

    Rows, and the columns of a matrix whose rows are strided, are read in
    place.  The columns of a matrix with contiguous rows lie a whole row
    apart: read one by one, every entry costs a cache line and a page, and
    the passes of the dense regime were 2-3 times slower on columns than on
    rows.  So a block of consecutive columns (up to 1 KiB of each row, or
    all of them in a small matrix: ``_alloc_histograms``) is
    copied column by column into ``w.block`` (``_copy_columns``), and its
    groups are read from the copy.  Visiting the groups in increasing order
    copies each block once per pass.
    """
    cdef Py_ssize_t width = w.block_bytes // sizeof(floating), first, count
    if groups_are_rows:
        step[0] = element_step(y.strides[1], sizeof(floating))
        return row_at(&y[0, 0], y.strides[0], g)
    if y.strides[1] != sizeof(floating):
        step[0] = element_step(y.strides[0], sizeof(floating))
        return row_at(&y[0, 0], y.strides[1], g)
    first = g - g % width
    if w.block_first != first:
        count = y.shape[1] - first if y.shape[1] - first < width else width
        _copy_columns(y, first, count, <floating*> w.block)
        w.block_first = first
    step[0] = 1
    return <const floating*> w.block + (g - first) * y.shape[0]


cdef void _copy_columns(const floating[:, :] y, Py_ssize_t first, Py_ssize_t count,
                        floating* block) noexcept nogil:
    """block[c * n_rows + i] = y[i, first + c] for c < count (rows contiguous).

    _TILE_ROWS rows at a time, so that every column of the block gets a whole
    cache line of its copy at once.
    """
    cdef Py_ssize_t n_rows = y.shape[0], i0, i, c, tile
    cdef const floating* rows[_TILE_ROWS]
    cdef floating* dst
    i0 = 0
    while i0 < n_rows:
        tile = n_rows - i0 if n_rows - i0 < _TILE_ROWS else _TILE_ROWS
        for i in range(tile):
            rows[i] = row_at(&y[0, 0], y.strides[0], i0 + i) + first
        if tile == _TILE_ROWS:
            for c in range(count):
                dst = block + c * n_rows + i0
                for i in range(_TILE_ROWS):
                    dst[i] = rows[i][c]
        else:
            for c in range(count):
                dst = block + c * n_rows + i0
                for i in range(tile):
                    dst[i] = rows[i][c]
        i0 += _TILE_ROWS


# ------------------------------------------------------------ step 3b: dense regime

# When mu_g is a sizeable fraction of the entries (large radii), the entries
# below any usable U_g are most of the matrix.  Histogram passes over the
# candidate groups then bracket every mu_g: with the counts and sums of the
# entries in BINS bins of [L_g, U_g], h_g is known exactly at the bin edges,
# mu_g(theta) lies between chords and tangents of those points, so theta^*
# lies between the roots of the two envelopes, and mu_g^* between the
# envelopes there -- a band a few bins wide.  Each pass narrows the bands by
# about BINS; then only the entries inside the bands are gathered.

cdef inline double _slot_position(double a, double lo, double inv_width) noexcept nogil:
    """Where ``a`` lies among the slots: its slot is the integer part (``_slot``).

    Slot 0 below lo, 1..BINS for the bins of [lo, hi), BINS + 1 above.  Every
    pass and the gather classify with this same expression, so they agree
    exactly; an edge lies within rounding of lo + k (hi - lo)/BINS.
    """
    return (a - lo) * inv_width + 1.0


cdef inline int32_t _slot(double position) noexcept nogil:
    """The slot of a position, clamped to 0..BINS + 1 before the conversion.

    Branch-free and in floating point, so that the compiler vectorizes the
    loops that call it (the slots of consecutive entries are unpredictable).
    """
    cdef double top_slot = BINS + 1
    position = position if position > 0.0 else 0.0
    position = position if position < top_slot else top_slot
    return <int32_t> position


cdef inline bint _in_slots(double a, double lo, double inv_width, double first,
                           double last) noexcept nogil:
    """Is the slot of ``a`` in first..last (1 <= first, last <= BINS)?

    With first >= 1 this is first <= position < last + 1: compares in
    floating point, no conversion.
    """
    cdef double position = _slot_position(a, lo, inv_width)
    return (position >= first) & (position < last + 1.0)


cdef inline double _inv_width(double lo, double hi) noexcept nogil:
    return BINS / (hi - lo)


cdef inline void _histogram_row(const floating* row, Py_ssize_t n, Py_ssize_t step,
                                double lo, double hi, double* counts,
                                double* sums) noexcept nogil:
    """Counts and sums of one group's entries per slot, written to the tables.

    _HISTOGRAM_CHUNK entries at a time: first their magnitudes and slots (a
    loop the compiler vectorizes), then the table updates alone.
    """
    # Four tables: entries in the same slot do not wait on each other's update.
    cdef double c[4][SLOTS]
    cdef double t[4][SLOTS]
    cdef double values[_HISTOGRAM_CHUNK]
    cdef int32_t slots[_HISTOGRAM_CHUNK]
    cdef double inv_width = _inv_width(lo, hi), a
    cdef Py_ssize_t j, k, b, j0 = 0, m, m4
    for k in range(4):
        for b in range(SLOTS):
            c[k][b] = 0.0
            t[k][b] = 0.0
    while j0 < n:
        m = n - j0 if n - j0 < _HISTOGRAM_CHUNK else _HISTOGRAM_CHUNK
        if step == 1 and _avx2:
            if floating is double:
                skp_l1inf_slots_f64(row + j0, m, lo, inv_width, BINS + 1, values, slots)
            else:
                skp_l1inf_slots_f32(row + j0, m, lo, inv_width, BINS + 1, values, slots)
        else:
            for j in range(m):
                a = fabs(row[(j0 + j) * step])
                values[j] = a
                slots[j] = _slot(_slot_position(a, lo, inv_width))
        m4 = m - m % 4
        for j in range(0, m4, 4):
            for k in range(4):
                c[k][slots[j + k]] += 1.0
                t[k][slots[j + k]] += values[j + k]
        for j in range(m4, m):
            c[0][slots[j]] += 1.0
            t[0][slots[j]] += values[j]
        j0 += m
    for b in range(SLOTS):
        counts[b] = (c[0][b] + c[1][b]) + (c[2][b] + c[3][b])
        sums[b] = (t[0][b] + t[1][b]) + (t[2][b] + t[3][b])


cdef inline void _prefetch_segment(const floating* row, const Py_ssize_t* columns,
                                   Py_ssize_t m, bint adjacent) noexcept nogil:
    """Ask for the cache lines of ``row`` holding the m ``columns``."""
    cdef Py_ssize_t k = 0, line = 64 // sizeof(floating)
    if adjacent:
        while k < m:
            prefetch(&row[columns[0] + k])
            k += line
        prefetch(&row[columns[0] + m - 1])
    else:
        for k in range(m):
            prefetch(&row[columns[k]])


cdef bint _panel_ranges(const Work* w, Py_ssize_t p0, Py_ssize_t m, double* low,
                        double* inv_width) noexcept nogil:
    """The histogram ranges of the live groups of ranks p0 .. p0 + m - 1 (a panel).

    Returns whether the panel is a range of adjacent columns: the live groups
    increase, so iff its ends are m - 1 apart.
    """
    cdef const GroupLists* lists = &w.lists
    cdef Py_ssize_t k, g
    for k in range(m):
        g = lists.active[p0 + k]
        low[k] = w.histogram_low[g]
        inv_width[k] = _inv_width(w.histogram_low[g], w.histogram_high[g])
    return lists.active[p0 + m - 1] - lists.active[p0] == m - 1


cdef inline void _prefetch_ahead(const floating[:, :] y, Py_ssize_t i,
                                 const Py_ssize_t* columns, Py_ssize_t m,
                                 bint adjacent) noexcept nogil:
    """Prefetch the panel's segment of row i + _PREFETCH_ROWS, if any: the
    segments lie a row stride apart, beyond what the hardware prefetchers follow."""
    if i + _PREFETCH_ROWS < y.shape[0]:
        _prefetch_segment(row_at(&y[0, 0], y.strides[0], i + _PREFETCH_ROWS), columns, m,
                          adjacent)


cdef void _histogram_columns(const floating[:, :] y, Work* w) noexcept nogil:
    """``_histograms`` for the column groups of a matrix with contiguous rows.

    Row by row, for a panel of _PANEL live columns at a time: each entry goes
    to its column's tables (in its envelope), and the panel's envelopes stay
    in L1.  No copy of the columns (``_group_entries``), and consecutive
    entries update different tables, so they do not wait on each other.
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t n = lists.n_active, n_rows = y.shape[0], s0 = y.strides[0]
    cdef Py_ssize_t p0 = 0, m, k, i, first
    cdef double low[_PANEL]
    cdef double inv_width[_PANEL]
    cdef double values[_PANEL]
    cdef int32_t slots[_PANEL]
    cdef const floating* row
    cdef Envelope* panel
    cdef bint adjacent
    while p0 < n:
        m = n - p0 if n - p0 < _PANEL else _PANEL
        panel = &w.envelopes[p0]
        adjacent = _panel_ranges(w, p0, m, low, inv_width)
        # One memset for the panel's tables (a loop per envelope compiled to
        # two short ``rep stos``, a third of the pass on groups of 100).
        memset(panel, 0, m * sizeof(Envelope))
        first = lists.active[p0]
        for i in range(n_rows):
            row = row_at(&y[0, 0], s0, i)
            _prefetch_ahead(y, i, lists.active + p0, m, adjacent)
            if adjacent and _avx2:
                if floating is double:
                    skp_l1inf_panel_slots_f64(row + first, m, low, inv_width, BINS + 1,
                                              values, slots)
                else:
                    skp_l1inf_panel_slots_f32(row + first, m, low, inv_width, BINS + 1,
                                              values, slots)
            else:
                for k in range(m):
                    values[k] = fabs(row[lists.active[p0 + k]])
                for k in range(m):
                    slots[k] = _slot(_slot_position(values[k], low[k], inv_width[k]))
            for k in range(m):
                panel[k].inv_count[slots[k]] += 1.0
                panel[k].h[slots[k]] += values[k]
        for k in range(m):
            _fill_envelope(w, p0 + k)
        p0 += m


cdef void _histograms(const floating[:, :] y, Work* w, bint groups_are_rows) noexcept nogil:
    """Slot counts and sums of every live group in its range [histogram_low, histogram_high].

    Written to the envelopes, by live rank (``Envelope``), and turned into
    the envelopes there as soon as complete (``_fill_envelope``).  One group at a
    time (``_group_entries``): one group's tables stay in L1; column groups
    of a matrix with contiguous rows row by row (``_histogram_columns``).
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t idx, g, step
    cdef const floating* group
    cdef Envelope* e
    if not groups_are_rows and y.strides[1] == sizeof(floating):
        _histogram_columns(y, w)
        return
    for idx in range(lists.n_active):
        g = lists.active[idx]
        e = &w.envelopes[idx]
        group = _group_entries(y, w, g, groups_are_rows, &step)
        if step == 1:
            _histogram_row(group, lists.group_size, 1, w.histogram_low[g],
                           w.histogram_high[g], e.inv_count, e.h)
        else:
            _histogram_row(group, lists.group_size, step, w.histogram_low[g],
                           w.histogram_high[g], e.inv_count, e.h)
        _fill_envelope(w, idx)


cdef inline void _fill_envelope(Work* w, Py_ssize_t rank) noexcept nogil:
    """Turn the histogram of the live group of this rank into its envelope (in cache)."""
    cdef Py_ssize_t g = w.lists.active[rank]
    fill_envelope(&w.envelopes[rank], w.histogram_low[g], w.histogram_high[g],
                  w.lists.sums[g], w.lists.maxima[g], 1.0 / w.lists.group_size,
                  &w.root_start)


cdef bint _dense_bands(const floating[:, :] y, Work* w, bint groups_are_rows, double eta,
                       double theta_0, double* theta_low) noexcept nogil:
    """Bracket every mu_g^* by histogram passes.

    On return the last histogram's range of group g is [histogram_low_g,
    histogram_high_g] and mu_g^* lies in the bins edges_low[g] + 1 ..
    edges_high[g] of it, between band_low[g] and band_high[g]; the entries
    above (clipped for any level in the band) are counted and summed in
    above_count/above_sum.  Writes a lower bound of theta^* in ``theta_low``.
    Returns False when memory ran out.
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t idx, g, k, n = lists.n_active, n_pass, count
    cdef double theta_high, low, high, band, lo, hi, width, listed
    cdef double inv_size = 1.0 / lists.group_size
    cdef double* range_low = w.histogram_low
    cdef double* range_high = w.histogram_high
    global _histogram_passes
    cdef double clock = _now()
    if not _alloc_histograms(w):
        return False
    # Rigorous start: theta_0 <= theta^* <= theta_high (chords from (0, M_g)).
    for idx in range(n):
        g = lists.active[idx]
        lists.rate[g] = lists.maxima[g] / lists.sums[g]
        range_high[g] = _chord_level(lists, g, theta_0)
    theta_high = chord_upper_bound(lists, eta, 0.0)
    if theta_high == INFINITY:
        theta_high = 0.0
        for idx in range(n):
            g = lists.active[idx]
            theta_high = lists.sums[g] if lists.sums[g] > theta_high else theta_high
    theta_low[0] = theta_0
    for idx in range(n):
        g = lists.active[idx]
        low = (lists.sums[g] - theta_high) / lists.group_size
        low = lists.maxima[g] - theta_high if lists.maxima[g] - theta_high > low else low
        range_low[g] = low if low > 0.0 else 0.0
    for idx in range(n):
        g = lists.active[idx]
        _widen(&range_low[g], &range_high[g], lists.maxima[g])
    for n_pass in range(_MAX_HISTOGRAMS):
        start_roots(&w.root_start, theta_low[0], theta_high)
        clock = _lap(_PHASE_ENVELOPES, clock)
        _histograms(y, w, groups_are_rows)
        clock = _lap(_PHASE_HISTOGRAMS, clock)
        _histogram_passes += 1
        envelope_roots(w.envelopes, n, inv_size, eta, &w.root_start, &low, &theta_high)
        theta_low[0] = low * (1.0 - SLACK)
        theta_high = theta_high * (1.0 + SLACK)
        # New bands, snapped out to bin edges: [t_lo, t_hi] with
        # t_k = low + k (high - low) / BINS; their entries are counted.
        listed = 0.0
        for idx in range(n):
            g = lists.active[idx]
            envelope_bounds(&w.envelopes[idx], inv_size, theta_high, &low, &band)
            envelope_bounds(&w.envelopes[idx], inv_size, theta_low[0], &band, &high)
            width = (range_high[g] - range_low[g]) / BINS
            k = <Py_ssize_t> ((low - range_low[g]) / width)
            w.edges_low[g] = k if k > 0 else 0
            k = <Py_ssize_t> ((high - range_low[g]) / width) + 1
            w.edges_high[g] = k if k < BINS else BINS
            # The entries in the bins edges_low + 1 .. edges_high; those above
            # (clipped for any level in the band) counted and summed.
            envelope_above(&w.envelopes[idx], w.edges_low[g], &count, &band)
            envelope_above(&w.envelopes[idx], w.edges_high[g], &lists.above_count[g],
                           &lists.above_sum[g])
            listed += count - lists.above_count[g]
        if listed <= _BAND_SHARE * n * lists.group_size or n_pass == _MAX_HISTOGRAMS - 1:
            break
        for idx in range(n):
            g = lists.active[idx]
            width = (range_high[g] - range_low[g]) / BINS
            lo = range_low[g] + w.edges_low[g] * width
            hi = range_low[g] + w.edges_high[g] * width
            range_low[g] = lo
            range_high[g] = hi
            _widen(&range_low[g], &range_high[g], lists.maxima[g])
    # The band values (the clipped sets were counted with the bands).
    for idx in range(n):
        g = lists.active[idx]
        if _narrow_bands and idx % 2 == 0:
            w.edges_high[g] = w.edges_low[g] + 1 if w.edges_low[g] < BINS else BINS
            envelope_above(&w.envelopes[idx], w.edges_high[g], &lists.above_count[g],
                           &lists.above_sum[g])
        width = (range_high[g] - range_low[g]) / BINS
        w.band_low[g] = range_low[g] + w.edges_low[g] * width
        w.band_high[g] = range_low[g] + w.edges_high[g] * width
    _lap(_PHASE_ENVELOPES, clock)
    return True


cdef inline void _widen(double* lo, double* hi, double top) noexcept nogil:
    """Give a band a width of at least 1e-12 of the group's max, below the max.

    Then (a - lo) / width stays far below 2**63 for every entry a <= top, and
    the maxima land above the band: the clipped set is never empty.  (When
    mu_g^* is within 1e-10 of M_g the band misses it, and the check after the
    solve gathers the group whole.)
    """
    cdef double ceiling = top * (1.0 - 1e-10)
    hi[0] = hi[0] if hi[0] < ceiling else ceiling
    if hi[0] - lo[0] < 1e-12 * top:
        lo[0] = hi[0] - 1e-12 * top


# ------------------------------------------------------------ step 3c: band gather

cdef inline Py_ssize_t _gather_band_row(const floating* row, Py_ssize_t n, Py_ssize_t step,
                                        double lo, double hi, double* values,
                                        Py_ssize_t pos, Py_ssize_t* count_above,
                                        double* sum_above) noexcept nogil:
    """Gather the entries in (lo, hi); count and sum those >= hi."""
    cdef Py_ssize_t j, count = 0, n2 = n - n % 2
    cdef double a, b, s0 = 0.0, s1 = 0.0
    for j in range(0, n2, 2):
        a = fabs(row[j * step])
        values[pos] = a
        pos += (a > lo) & (a < hi)
        count += a >= hi
        s0 += a if a >= hi else 0.0
        b = fabs(row[(j + 1) * step])
        values[pos] = b
        pos += (b > lo) & (b < hi)
        count += b >= hi
        s1 += b if b >= hi else 0.0
    if n2 < n:
        a = fabs(row[n2 * step])
        values[pos] = a
        pos += (a > lo) & (a < hi)
        count += a >= hi
        s0 += a if a >= hi else 0.0
    count_above[0] = count
    sum_above[0] = s0 + s1
    return pos


cdef bint _gather_bands(const floating[:, :] y, Work* w, bint groups_are_rows,
                        const Py_ssize_t* subset, Py_ssize_t n_subset, const double* low,
                        const double* high) noexcept nogil:
    """Append the lists of the groups in ``subset`` (increasing): entries in (low_g, high_g).

    Entries at or above high_g are counted and summed, those at or below
    low_g dropped.
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t idx, g, pos = lists.n_values, count, step
    cdef const floating* group
    cdef double total_above
    for idx in range(n_subset):
        g = subset[idx]
        if not reserve(lists, pos + lists.group_size):
            return False
        group = _group_entries(y, w, g, groups_are_rows, &step)
        lists.start[g] = pos
        if step == 1:
            pos = _gather_band_row(group, lists.group_size, 1, low[g], high[g],
                                   lists.values, pos, &count, &total_above)
        else:
            pos = _gather_band_row(group, lists.group_size, step, low[g], high[g],
                                   lists.values, pos, &count, &total_above)
        lists.length[g] = pos - lists.start[g]
        lists.above_count[g] = count
        lists.above_sum[g] = total_above
    lists.n_values = pos
    return True


cdef inline Py_ssize_t _gather_bins_row(const floating* row, Py_ssize_t n, Py_ssize_t step,
                                        double lo, double inv_width, Py_ssize_t first,
                                        Py_ssize_t last, double* values,
                                        Py_ssize_t pos) noexcept nogil:
    """Gather the entries whose slot lies in first..last (AVX2 where it runs)."""
    cdef double low_slot = first, high_slot = last
    cdef Py_ssize_t j
    cdef double a
    if step == 1 and _avx2:
        if floating is double:
            return skp_l1inf_band_f64(row, n, lo, inv_width, low_slot, high_slot + 1.0,
                                      values, pos)
        return skp_l1inf_band_f32(row, n, lo, inv_width, low_slot, high_slot + 1.0, values,
                                  pos)
    for j in range(n):
        a = fabs(row[j * step])
        values[pos] = a
        pos += _in_slots(a, lo, inv_width, low_slot, high_slot)
    return pos


cdef bint _gather_bins_columns(const floating[:, :] y, Work* w) noexcept nogil:
    """``_gather_bins`` for the column groups of a matrix with contiguous rows.

    Row by row, a panel of live columns at a time (as ``_histogram_columns``):
    the entries in their column's band bins are gathered with their column
    index, then bucketed by column, panel by panel (the pairs of one panel
    are still in cache).
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t n = lists.n_active, n_rows = y.shape[0], s0 = y.strides[0]
    cdef Py_ssize_t p0 = 0, m, k, i, g, first, pos
    cdef double low[_PANEL]
    cdef double inv_width[_PANEL]
    cdef double first_slot[_PANEL]
    cdef double last_slot[_PANEL]
    cdef double end_slot[_PANEL]
    cdef int32_t column[_PANEL]
    cdef const floating* row
    cdef double a
    cdef bint adjacent
    while p0 < n:
        m = n - p0 if n - p0 < _PANEL else _PANEL
        pos = 0
        # 7 slots of room past the pairs for the vector stores.
        if not _reserve_pairs(w, m * n_rows + 7):
            return False
        adjacent = _panel_ranges(w, p0, m, low, inv_width)
        for k in range(m):
            g = lists.active[p0 + k]
            first_slot[k] = w.edges_low[g] + 1
            last_slot[k] = w.edges_high[g]
            end_slot[k] = last_slot[k] + 1.0
            column[k] = <int32_t> g
        first = lists.active[p0]
        for i in range(n_rows):
            row = row_at(&y[0, 0], s0, i)
            _prefetch_ahead(y, i, lists.active + p0, m, adjacent)
            if adjacent and _avx2:
                # last_slot + 1: the AVX2 loop takes the end of the slots, excluded.
                if floating is double:
                    pos = skp_l1inf_panel_band_f64(row + first, m, low, inv_width, first_slot,
                                                   end_slot, column, w.pair_values,
                                                   w.pair_groups, pos)
                else:
                    pos = skp_l1inf_panel_band_f32(row + first, m, low, inv_width, first_slot,
                                                   end_slot, column, w.pair_values,
                                                   w.pair_groups, pos)
            else:
                for k in range(m):
                    a = fabs(row[column[k]])
                    w.pair_values[pos] = a
                    w.pair_groups[pos] = column[k]
                    pos += _in_slots(a, low[k], inv_width[k], first_slot[k], last_slot[k])
        if not append_pairs(lists, w.pair_values, w.pair_groups, pos, lists.active + p0, m,
                            w.bucket_cursor):
            return False
        p0 += m
    return True


cdef bint _gather_bins(const floating[:, :] y, Work* w, bint groups_are_rows) noexcept nogil:
    """Gather the entries in the band bins of every live group.

    The slots are those of the last histogram (same expression), so the
    counts and sums above the band computed from it match the lists exactly.
    Column groups of a matrix with contiguous rows are read row by row
    (``_gather_bins_columns``) where their index fits the 32 bits of a pair.
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t idx, g, pos = lists.n_values, step
    cdef const floating* group
    cdef double* low = w.histogram_low
    cdef double* high = w.histogram_high
    if (not groups_are_rows and y.strides[1] == sizeof(floating)
            and y.shape[1] <= INT32_MAX):
        return _gather_bins_columns(y, w)
    for idx in range(lists.n_active):
        g = lists.active[idx]
        if not reserve(lists, pos + lists.group_size):
            return False
        group = _group_entries(y, w, g, groups_are_rows, &step)
        lists.start[g] = pos
        if step == 1:
            pos = _gather_bins_row(group, lists.group_size, 1, low[g],
                                   _inv_width(low[g], high[g]), w.edges_low[g] + 1,
                                   w.edges_high[g], lists.values, pos)
        else:
            pos = _gather_bins_row(group, lists.group_size, step, low[g],
                                   _inv_width(low[g], high[g]), w.edges_low[g] + 1,
                                   w.edges_high[g], lists.values, pos)
        lists.length[g] = pos - lists.start[g]
    lists.n_values = pos
    return True


# ------------------------------------------------------------ step 5: write

cdef void _write(const floating[:, :] y, floating[:, :] x, const floating* levels,
                 const Py_ssize_t* kept, Py_ssize_t n_kept,
                 bint groups_are_rows) noexcept nogil:
    """x = clip(y, level of its group); zero groups are written, not read.

    When few groups are kept and ``x`` is a contiguous array apart from ``y``,
    ``x`` is zeroed with one memset and only the kept groups are written.
    Kept columns are scattered over every row's cache lines, so for column
    groups "few" means 8 times fewer.
    """
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1], i, k, g
    cdef Py_ssize_t n_groups = n_rows if groups_are_rows else n_cols
    cdef Py_ssize_t ys = element_step(y.strides[1], sizeof(floating))
    cdef Py_ssize_t xs = element_step(x.strides[1], sizeof(floating))
    cdef const floating* src
    cdef floating* dst
    cdef bint unit = ys == 1 and xs == 1
    if (n_kept * SPARSE_WRITE_DIVISOR * (1 if groups_are_rows else 8) < n_groups
            and <const void*> &x[0, 0] != <const void*> &y[0, 0]
            and zero_if_contiguous(x)):
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
    for i in range(n_rows):
        src = row_at(&y[0, 0], y.strides[0], i)
        dst = &x[i, 0]
        if groups_are_rows:
            if levels[i] == 0:
                if xs == 1:
                    zero_row(dst, n_cols, 1)
                else:
                    zero_row(dst, n_cols, xs)
            elif unit:
                clip_row(src, dst, n_cols, 1, 1, levels[i])
            else:
                clip_row(src, dst, n_cols, ys, xs, levels[i])
        elif unit:
            clip_columns(src, dst, n_cols, 1, 1, levels)
        else:
            clip_columns(src, dst, n_cols, ys, xs, levels)


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
# iteration starts from the crude lower bounds of step 2 (other starts -- all
# the entries, a solve on a sample of the rows -- and an over-relaxed theta
# measured no better).  It is not
# guaranteed to settle (measured on a NumPy model: 1-9 steps, the equivalent
# of 1-8 whole-matrix reads with strips of 8 column groups, 1-5 of them at
# most radii, on Gaussian, uniform, Cauchy, sparse, column-scaled and tied
# matrices of 100 x 1000 to 1000 x 1000 at 1-99 % of the norm; 7 steps and
# 5 reads on 100 x 1000 Gaussian at 50 %); after _SMALL_MAX_PASSES the
# general path starts over.

cdef enum:
    _SMALL_DECLINED = -1
    _SMALL_LANES = 1        # the groups are the columns of contiguous rows
    _SMALL_GROUPS = 2       # every group is contiguous


cdef int _pass_layout(const floating[:, :] y, bint groups_are_rows,
                      Py_ssize_t* stride) noexcept nogil:
    """How the pass of the in-cache path reads the groups (``_SMALL_*``), and the stride in bytes.

    0 when neither rows nor columns are contiguous.
    """
    cdef Py_ssize_t item = sizeof(floating)
    if y.strides[1] == item:
        stride[0] = y.strides[0]
        return _SMALL_GROUPS if groups_are_rows else _SMALL_LANES
    if y.strides[0] == item:
        stride[0] = y.strides[1]
        return _SMALL_LANES if groups_are_rows else _SMALL_GROUPS
    return 0


cdef int _small_layout(const floating[:, :] y, bint groups_are_rows,
                       Py_ssize_t* stride) noexcept nogil:
    """``_pass_layout`` where the in-cache path runs, else 0.

    0 also when the matrix is too large (_SMALL_MAX_BYTES).
    """
    if (not _small_on or _force_dense
            or y.shape[0] * y.shape[1] * sizeof(floating) > _SMALL_MAX_BYTES):
        return 0
    return _pass_layout(y, groups_are_rows, stride)


cdef inline void _small_pass(const floating[:, :] y, int layout, Py_ssize_t stride,
                             Py_ssize_t n_groups, Py_ssize_t group_size,
                             const Py_ssize_t* listed, Py_ssize_t n_listed,
                             const double* level, double* counts, double* sums,
                             double* above_min, double* below_max) noexcept nogil:
    """Read the listed groups (strips of SKP_SMALL_STRIP groups for _SMALL_LANES) at their levels.

    counts[g], sums[g]: the count and the sum of group g's magnitudes above
    level[g]; [below_max[g], above_min[g]): the levels with the same set.
    """
    if layout == _SMALL_LANES:
        if floating is double:
            skp_small_lanes_f64(&y[0, 0], group_size, n_groups, stride, listed, n_listed,
                                level, counts, sums, above_min, below_max, _small_simd)
        else:
            skp_small_lanes_f32(&y[0, 0], group_size, n_groups, stride, listed, n_listed,
                                level, counts, sums, above_min, below_max, _small_simd)
    elif floating is double:
        skp_small_groups_f64(&y[0, 0], listed, n_listed, group_size, stride, level, counts,
                             sums, above_min, below_max, _small_simd)
    else:
        skp_small_groups_f32(&y[0, 0], listed, n_listed, group_size, stride, level, counts,
                             sums, above_min, below_max, _small_simd)


cdef Py_ssize_t _small_moved(int layout, Py_ssize_t n_groups, const double* level,
                             const double* above_min, const double* below_max,
                             Py_ssize_t* listed) noexcept nogil:
    """List what the next pass reads: the groups (or their strips) whose set moves at their level."""
    cdef Py_ssize_t g0, g, end, n_listed = 0
    cdef Py_ssize_t width = SKP_SMALL_STRIP if layout == _SMALL_LANES else 1
    cdef bint moved
    g0 = 0
    while g0 < n_groups:
        end = g0 + width if g0 + width < n_groups else n_groups
        moved = False
        for g in range(g0, end):
            moved = moved | ((below_max[g] > level[g]) | (level[g] >= above_min[g]))
        listed[n_listed] = g0
        n_listed += moved
        g0 = end
    return n_listed


cdef void _small_inverses(int layout, const Py_ssize_t* listed, Py_ssize_t n_listed,
                          Py_ssize_t n_groups, const double* counts,
                          double* inv_count) noexcept nogil:
    """inv_count[g] = 1 / c_g for the groups just read (1 for c_g = 0: unused).

    Divisions cost: the others keep theirs.
    """
    cdef Py_ssize_t idx, g, end
    for idx in range(n_listed):
        g = listed[idx]
        end = g + (SKP_SMALL_STRIP if layout == _SMALL_LANES else 1)
        end = end if end < n_groups else n_groups
        while g < end:
            inv_count[g] = 1.0 / (counts[g] if counts[g] > 0.0 else 1.0)
            g += 1


cdef double _small_theta(const double* sums, const double* inv_count, const Py_ssize_t* kept,
                         Py_ssize_t n, double eta) noexcept nogil:
    """theta of the model: sum over the kept groups of (s_g - theta) / c_g = eta.

    Four partial sums each, so that the additions do not wait on each other.
    """
    cdef Py_ssize_t idx, n4 = n - n % 4
    cdef double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    cdef double d0 = 0.0, d1 = 0.0, d2 = 0.0, d3 = 0.0
    for idx in range(0, n4, 4):
        s0 += sums[kept[idx]] * inv_count[kept[idx]]
        d0 += inv_count[kept[idx]]
        s1 += sums[kept[idx + 1]] * inv_count[kept[idx + 1]]
        d1 += inv_count[kept[idx + 1]]
        s2 += sums[kept[idx + 2]] * inv_count[kept[idx + 2]]
        d2 += inv_count[kept[idx + 2]]
        s3 += sums[kept[idx + 3]] * inv_count[kept[idx + 3]]
        d3 += inv_count[kept[idx + 3]]
    for idx in range(n4, n):
        s0 += sums[kept[idx]] * inv_count[kept[idx]]
        d0 += inv_count[kept[idx]]
    return (((s0 + s1) + (s2 + s3)) - eta) / ((d0 + d1) + (d2 + d3))


cdef bint _small_update(const double* counts, const double* sums, Py_ssize_t n_groups,
                        double eta, Py_ssize_t* kept, Py_ssize_t* n_kept, double* inv_count,
                        double* level, double* theta) noexcept nogil:
    """The model's theta and levels from one pass; False when no group is left.

    ``inv_count`` holds 1 / c_g for the groups with c_g > 0 (``_small_inverses``).

    Groups whose model level would not be positive (s_g <= theta) are set to
    0 and theta recomputed without them (it rises), until none is left:
    ``kept[:n_kept]`` lists the others.
    """
    cdef Py_ssize_t g, idx, n = 0, still
    cdef double t = theta[0]
    for g in range(n_groups):
        level[g] = 0.0
        kept[n] = g
        n += counts[g] > 0.0
    while n > 0:
        t = _small_theta(sums, inv_count, kept, n, eta)
        still = 0
        for idx in range(n):
            g = kept[idx]
            kept[still] = g
            still += sums[g] > t
        if still == n:
            break
        n = still
    n_kept[0] = n
    for idx in range(n):
        g = kept[idx]
        level[g] = (sums[g] - t) * inv_count[g]
    theta[0] = t
    return n > 0


cdef void _small_write(const floating[:, :] y, floating[:, :] x, const floating* levels,
                       const Py_ssize_t* kept, Py_ssize_t n_kept,
                       bint groups_are_rows) noexcept nogil:
    """Step 5 (``_write``), by the AVX-512 loop where it runs and ``x`` has ``y``'s contiguous axis."""
    cdef Py_ssize_t item = sizeof(floating), n_lines, length, y_stride, x_stride
    cdef bint per_entry, done = False
    if y.strides[1] == item and x.strides[1] == item:
        # Lines are rows: the levels are per entry for column groups.
        n_lines, length, y_stride, x_stride = y.shape[0], y.shape[1], y.strides[0], x.strides[0]
        per_entry = not groups_are_rows
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
        _write(y, x, levels, kept, n_kept, groups_are_rows)


cdef int _small_project(const floating[:, :] y, floating[:, :] x, double eta,
                        bint groups_are_rows, Work* w, double* mu, double* theta_out,
                        int* rounds) noexcept nogil:
    """Steps 2-5 for a matrix in cache, by SIMD passes over the groups (see above).

    Needs the sums and maxima of step 1 (``y`` not inside the ball).
    Returns the status, or _SMALL_DECLINED (nothing written) when the layout
    or the size do not suit or the passes did not settle.
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t n_groups = lists.n_groups, group_size = lists.group_size
    cdef Py_ssize_t stride, g, n_kept = 0, n_listed = 0
    cdef int layout = _small_layout(y, groups_are_rows, &stride), p
    cdef double theta, low
    # The per-group work arrays of the general path serve as scratch.
    cdef double* level = w.gather_level
    cdef double* counts = w.band_low
    cdef double* sums = w.band_high
    cdef double* above_min = w.histogram_low
    cdef double* below_max = w.histogram_high
    cdef Py_ssize_t* listed = w.subset
    cdef floating* levels = <floating*> w.clip_levels
    cdef double clock = _now()
    if layout == 0:
        return _SMALL_DECLINED
    # Start: the crude lower bounds of mu_g(theta_0) (step 2); every group read.
    theta = initial_lower_bound(lists, eta)
    for g in range(n_groups):
        low = (lists.sums[g] - theta) / group_size
        low = lists.maxima[g] - theta if lists.maxima[g] - theta > low else low
        level[g] = low if low > 0.0 else 0.0
    g = 0
    while g < n_groups:
        listed[n_listed] = g
        n_listed += 1
        g += SKP_SMALL_STRIP if layout == _SMALL_LANES else 1
    for p in range(_SMALL_MAX_PASSES):
        _small_pass(y, layout, stride, n_groups, group_size, listed, n_listed, level, counts,
                    sums, above_min, below_max)
        rounds[0] = p + 1
        _small_inverses(layout, listed, n_listed, n_groups, counts, w.column_high)
        if not _small_update(counts, sums, n_groups, eta, lists.active, &n_kept,
                             w.column_high, level, &theta):
            return _SMALL_DECLINED
        n_listed = _small_moved(layout, n_groups, level, above_min, below_max, listed)
        if n_listed == 0:
            break
    else:
        return _SMALL_DECLINED
    for g in range(n_groups):
        mu[g] = level[g]
        levels[g] = <floating> level[g]
    clock = _lap(_PHASE_SOLVE, clock)
    _small_write(y, x, levels, lists.active, n_kept, groups_are_rows)
    _lap(_PHASE_WRITE, clock)
    theta_out[0] = theta
    return STATUS_PROJECTED


# ------------------------------------------------------------ sampled bracket path
#
# Many groups (``_bracket_project``): theta^* is estimated on a sample of the
# groups, a bracket [theta_lo, theta_hi] is set around it, and one pass over
# the matrix, a panel of groups at a time (in L2), finds every group's exact
# level at both ends by Newton steps of the in-cache pass.  A group whose set
# is the same at both ends contributes a linear term to F on the whole
# bracket; the others contribute their few entries between the two levels,
# each an event where the group's slope changes.  Newton on F over these
# events (O(G + events) per step) gives theta^*, then one write.

cdef enum:
    # One unit (strip of the lanes layout, or group) in this many is sampled.
    _SAMPLE_EVERY = 16
    # ... and one in this many for a first, coarse estimate.
    _COARSE_EVERY = 128
    # Newton steps on a group's level (each one pass over it) before giving up.
    _LEVEL_STEPS = 48
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
# 1.3 times slower).
cdef double _BRACKET_MIN_KEPT = 0.75
cdef bint _bracket_on = _small_simd > 0
# The half-width of the bracket, in standard errors of the sample's estimate.
cdef double _BRACKET_SIGMAS = 4.0
# Bytes of the matrix read together (a panel of units, in cache).
cdef Py_ssize_t _PANEL_BYTES = 1 << 16
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
    double* sum_hi
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


cdef bint _alloc_bracket(Bracket* b, Py_ssize_t n_groups) noexcept nogil:
    """Every per-group array in one block: one slot of the kept work memory."""
    cdef Py_ssize_t g = n_groups if n_groups > 0 else 1
    cdef double* block = <double*> malloc(g * (13 * sizeof(double) + 4 * sizeof(Py_ssize_t) + 2))
    cdef Py_ssize_t* indices
    b.level = block
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
    b.sum_hi = block + 12 * g
    indices = <Py_ssize_t*> (block + 13 * g)
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


cdef bint _exact_levels(const floating[:, :] y, int layout, Py_ssize_t stride,
                        Py_ssize_t n_groups, Py_ssize_t group_size, Bracket* b,
                        const Py_ssize_t* units, Py_ssize_t n_units,
                        double theta) noexcept nogil:
    """mu_g(theta) for every group of ``units`` not done, from the lower bounds in b.level.

    Newton from the left on h_g(mu) = theta, one pass of the in-cache path per
    step over the units still moving (in cache when the units are); a start
    above mu_g(theta) (but below M_g) costs one more step.  On
    return b.counts, b.sums, b.above_min and b.below_max hold the set at each
    level; a level of 0 means mu_g(theta) = 0.  False when a group does not
    settle in _LEVEL_STEPS steps.
    """
    cdef Py_ssize_t width = SKP_SMALL_STRIP if layout == _SMALL_LANES else 1
    cdef Py_ssize_t step, idx, g, end, n_listed = 0
    cdef double new, count
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
        _small_pass(y, layout, stride, n_groups, group_size, b.listed, n_listed, b.level,
                    b.counts, b.sums, b.above_min, b.below_max)
        # The units still moving stay listed, in order.
        n_units = n_listed
        n_listed = 0
        for idx in range(n_units):
            g = b.listed[idx]
            end = g + width if g + width < n_groups else n_groups
            moving = False
            while g < end:
                if not b.done[g]:
                    count = b.counts[g]
                    new = (b.sums[g] - theta) / count if count > 0.0 else 0.0
                    if new <= 0.0:
                        b.level[g] = 0.0
                        b.done[g] = True
                    else:
                        # A certificate whichever side the level came from:
                        # Newton from above lands below mu_g(theta) in one step.
                        b.done[g] = b.below_max[g] <= new <= b.above_min[g]
                        b.level[g] = new
                        moving = moving or not b.done[g]
                g += 1
            b.listed[n_listed] = b.listed[idx]
            n_listed += moving
    return n_listed == 0


cdef void _fit_levels(const GroupLists* lists, const Bracket* b, int layout,
                      Py_ssize_t n_units, double theta, double* fit) noexcept nogil:
    """Least squares mu_g ~ fit[0] + fit[1] M_g + fit[2] S_g / n over the sampled groups kept.

    fit[3]: the mean of 1 / c_g there; fit[4]: theta.  A fit that cannot be
    made leaves fit[0] = -inf (the guesses are then the lower bounds).
    """
    cdef Py_ssize_t width = SKP_SMALL_STRIP if layout == _SMALL_LANES else 1
    cdef Py_ssize_t idx, u, g, end, i, j, k
    cdef double m[3][4]
    cdef double v[3]
    cdef double n = 0.0, factor
    memset(m, 0, sizeof(m))
    fit[3] = 0.0
    fit[4] = theta
    for idx in range(n_units):
        u = b.units[idx]
        end = u + width if u + width < lists.n_groups else lists.n_groups
        for g in range(u, end):
            if b.level[g] <= 0.0:
                continue
            v[0] = 1.0
            v[1] = lists.maxima[g]
            v[2] = lists.sums[g] / lists.group_size
            for i in range(3):
                for j in range(3):
                    m[i][j] += v[i] * v[j]
                m[i][3] += v[i] * b.level[g]
            fit[3] += 1.0 / b.counts[g]
            n += 1.0
    fit[0] = -INFINITY
    if n < 8:
        return
    fit[3] /= n
    # Gaussian elimination with partial pivoting on the normal equations.
    for k in range(3):
        i = k
        for j in range(k + 1, 3):
            if fabs(m[j][k]) > fabs(m[i][k]):
                i = j
        if m[i][k] == 0.0:
            return
        for j in range(4):
            factor = m[k][j]
            m[k][j] = m[i][j]
            m[i][j] = factor
        for i in range(k + 1, 3):
            factor = m[i][k] / m[k][k]
            for j in range(k, 4):
                m[i][j] -= factor * m[k][j]
    for k in range(2, -1, -1):
        factor = m[k][3]
        for j in range(k + 1, 3):
            factor -= m[k][j] * fit[j]
        fit[k] = factor / m[k][k]
    if not (fit[0] - fit[0] == 0.0 and fit[1] - fit[1] == 0.0 and fit[2] - fit[2] == 0.0):
        fit[0] = -INFINITY


cdef inline double _level_guess(const GroupLists* lists, Py_ssize_t g, const double* fit,
                                double theta) noexcept nogil:
    """A start for mu_g(theta): the fit (``_fit_levels``) moved along its mean slope.

    The lower bound when that is not in [lower bound, M_g) (a start at M_g or
    above would count no entry).
    """
    cdef double low = _level_lower_bound(lists, g, theta)
    cdef double guess = (fit[0] + fit[1] * lists.maxima[g]
                         + fit[2] * lists.sums[g] / lists.group_size
                         - (theta - fit[4]) * fit[3])
    return guess if low < guess < lists.maxima[g] else low


cdef bint _sample_theta(const floating[:, :] y, int layout, Py_ssize_t stride,
                        GroupLists* lists, Bracket* b, double eta, Py_ssize_t every,
                        double* theta, double* spread, double* fit,
                        double* kept_share) noexcept nogil:
    """Estimate theta^* on every ``every``-th unit, and its standard error.

    The sample's problem has the radius eta times its share of sum_g M_g;
    Newton from ``theta`` on its F (exact levels at each step, started from
    ``fit``, ``_level_guess``), stopped once its step is a small part of the
    standard error: the estimate goes to ``theta``.  ``spread`` is that
    standard error (of the estimate of F from the sample, divided by the
    slope of F) plus twice the last step.  ``fit`` receives the fit at the
    estimate (``_fit_levels``), ``kept_share`` the share of the sampled
    groups kept there.  False when the sample has no kept group.
    """
    cdef Py_ssize_t n_groups = lists.n_groups, group_size = lists.group_size
    cdef Py_ssize_t width = SKP_SMALL_STRIP if layout == _SMALL_LANES else 1
    cdef Py_ssize_t n_units = 0, n_sample = 0, u, g, end, it, idx
    cdef double all_max = 0.0, sample_max = 0.0, eta_s, t = theta[0], new = t, p, q, level
    cdef double total, square, scale, low, error = INFINITY, kept = 0.0
    for g in range(n_groups):
        all_max += lists.maxima[g]
    u = 0
    while u < n_groups:
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
        u += width * every
    if sample_max <= 0.0 or n_sample < 2:
        return False
    eta_s = eta * sample_max / all_max
    scale = (<double> n_groups) / n_sample
    for it in range(_SAMPLE_STEPS):
        _stats[0] += 1
        if not _exact_levels(y, layout, stride, n_groups, group_size, b, b.units, n_units, t):
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
    if layout == _SMALL_LANES:
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
    cdef Py_ssize_t k = <Py_ssize_t> (b.count_hi[g] - b.count_lo[g]), pos = n_events[0], n
    cdef double low = 0.0 if b.zero_hi[g] else b.outside_hi[g]
    b.event_start[g] = pos
    b.event_count[g] = 0
    # (A group zero at theta_hi may not have been read there: its count_hi
    # is not used.)
    if not b.zero_hi[g] and k <= 0:
        return k == 0
    if not grow(<void**> &b.event_value, &b.event_capacity, pos + group_size,
                sizeof(double)):
        return False
    if b.zero_hi[g] or k > 2:
        n = _band_entries(y, layout, stride, g, group_size, low, b.outside_lo[g],
                          &b.event_value[pos])
        if n != k and not b.zero_hi[g]:
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


cdef bint _bracket_levels(const floating[:, :] y, int layout, Py_ssize_t stride,
                          GroupLists* lists, Bracket* b, double theta_lo, double theta_hi,
                          const double* fit,
                          Py_ssize_t* n_events) noexcept nogil:
    """Every group's sets at theta_lo and theta_hi and the events between, a panel at a time.

    A panel of units is read from memory once: its later passes find it in
    cache.  Groups with S_g <= theta_lo are zero over the whole bracket
    (count_lo = 0, no event).
    """
    cdef Py_ssize_t n_groups = lists.n_groups, group_size = lists.group_size
    cdef Py_ssize_t width = SKP_SMALL_STRIP if layout == _SMALL_LANES else 1
    cdef Py_ssize_t per_panel = _PANEL_BYTES // (group_size * width * sizeof(floating))
    cdef Py_ssize_t u0, u, g, end, n_units, idx
    cdef bint candidate, any_candidate
    cdef double level
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
        if n_units == 0:
            continue
        if not _exact_levels(y, layout, stride, n_groups, group_size, b, b.units, n_units,
                             theta_hi):
            return False
        for idx in range(n_units):
            u = b.units[idx]
            end = u + width if u + width < n_groups else n_groups
            for g in range(u, end):
                b.zero_hi[g] = b.level[g] <= 0.0
                b.count_hi[g] = b.counts[g]
                b.sum_hi[g] = b.sums[g]
                b.inside_hi[g] = b.above_min[g]
                b.outside_hi[g] = b.below_max[g]
                b.done[g] = lists.sums[g] <= theta_lo
                if not (b.done[g] or b.zero_hi[g]):
                    # The Newton step for theta_lo from the set at mu_g(theta_hi),
                    # without a pass: often already exact (no event between).
                    level = (b.sums[g] - theta_lo) / b.counts[g]
                    b.level[g] = level
                    b.done[g] = b.below_max[g] <= level <= b.above_min[g]
        if not _exact_levels(y, layout, stride, n_groups, group_size, b, b.units, n_units,
                             theta_lo):
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
    lists.active), b.level their levels.  False when a level falls outside
    the interval of its set (rounding at a breakpoint).
    """
    cdef Py_ssize_t g, j, idx, n = 0, last
    cdef double total, count, t, p = 0.0, q = 0.0, level
    cdef double upper, lower
    for g in range(lists.n_groups):
        b.level[g] = 0.0
        if b.count_lo[g] <= 0.0:
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
            if b.event_count[g] > 0:
                total = b.sum_hi[g]     # the pass's sum of that set
        b.sums[g] = total
        b.counts[g] = count
        b.above_min[g] = upper
        b.below_max[g] = lower
        lists.active[n] = g
        n += 1
    for idx in range(n):
        g = lists.active[idx]
        # 1 / c_g, kept for the levels.
        b.level[g] = 1.0 / b.counts[g]
        p += b.sums[g] * b.level[g]
        q += b.level[g]
    if q <= 0.0:
        return False
    t = (p - eta) / q
    for idx in range(n):
        g = lists.active[idx]
        level = (b.sums[g] - t) * b.level[g]
        if not (level > 0.0 and b.below_max[g] <= level <= b.above_min[g]):
            return False
        b.level[g] = level
    for g in range(lists.n_groups):
        if b.count_lo[g] <= 0.0 and lists.sums[g] > t:
            return False
    theta[0] = t
    n_kept[0] = n
    return True


cdef int _bracket_project(const floating[:, :] y, floating[:, :] x, double eta,
                          bint groups_are_rows, Work* w, double theta_0, double* mu,
                          double* theta_out, int* rounds) noexcept nogil:
    """Steps 2-5 for many groups, by a sampled bracket of theta^* (see above).

    Returns the status, or _SMALL_DECLINED (nothing written) when the layout
    does not suit or theta^* falls outside the bracket.
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t n_groups = lists.n_groups, n_events = 0, n_kept = 0, g, stride
    cdef int layout = _pass_layout(y, groups_are_rows, &stride)
    cdef int status = _SMALL_DECLINED
    cdef double theta_s, spread, theta_lo, theta_hi, theta
    cdef double fit[5]
    cdef double kept_share
    cdef floating* levels = <floating*> w.clip_levels
    cdef Bracket b, coarse
    cdef double clock = _now()
    for g in range(6):
        _stats[g] = 0
    if (layout == 0 or not _bracket_on or _force_dense or _narrow_bands
            or n_groups < _BRACKET_MIN_GROUPS or lists.group_size > _BRACKET_MAX_LENGTH):
        return _SMALL_DECLINED
    # Free first, before any memory is taken (the general path's work memory
    # is kept from call to call): the groups with S_g > theta_0 <= theta^*
    # include the kept ones (theta_0: ``initial_lower_bound``).
    theta_s = theta_0
    kept_share = 0.0
    for g in range(n_groups):
        kept_share += lists.sums[g] > theta_s
    if kept_share < _BRACKET_MIN_KEPT * n_groups:
        return _SMALL_DECLINED
    # A coarse sample first where there are enough units for it: its estimate
    # and fit start the finer one near its answer.  Where it keeps few groups
    # the general path is faster (its gather of the candidate groups).  Its
    # arrays are the general path's (scratch until its gathers).
    fit[0] = -INFINITY
    if (n_groups // (SKP_SMALL_STRIP if layout == _SMALL_LANES else 1)
            >= 64 * _COARSE_EVERY):
        coarse.level = w.gather_level
        coarse.counts = w.band_low
        coarse.sums = w.band_high
        coarse.above_min = w.histogram_low
        coarse.below_max = w.histogram_high
        coarse.units = w.subset
        coarse.listed = w.bucket_cursor
        coarse.done = <unsigned char*> w.edges_low
        if not _sample_theta(y, layout, stride, lists, &coarse, eta, _COARSE_EVERY,
                             &theta_s, &spread, fit, &kept_share):
            theta_s = theta_0
            fit[0] = -INFINITY
        elif kept_share < _BRACKET_MIN_KEPT:
            return _SMALL_DECLINED
    if not _alloc_bracket(&b, n_groups):
        _free_bracket(&b)
        return STATUS_NOMEMORY
    if (_sample_theta(y, layout, stride, lists, &b, eta, _SAMPLE_EVERY, &theta_s, &spread,
                      fit, &kept_share)
            and kept_share >= _BRACKET_MIN_KEPT):
        _stats[2] = _stats[1]
        clock = _lap(_PHASE_GATHER, clock)
        spread = _BRACKET_SIGMAS * spread + 1e-9 * fabs(theta_s)
        theta_lo = theta_s - spread
        theta_hi = theta_s + spread
        # theta_lo > 0: at 0 every level is M_g, with no entry above it.
        theta_lo = theta_lo if theta_lo > 0.5 * theta_s else 0.5 * theta_s
        if _bracket_levels(y, layout, stride, lists, &b, theta_lo, theta_hi, fit,
                           &n_events):
            clock = _lap(_PHASE_HISTOGRAMS, clock)
            if (_bracket_solve(lists, &b, n_events, eta, theta_lo, theta_hi, &theta)
                    and _bracket_sets(lists, &b, eta, &theta, &n_kept)):
                rounds[0] = 1
                for g in range(n_groups):
                    mu[g] = b.level[g]
                    levels[g] = <floating> b.level[g]
                clock = _lap(_PHASE_SOLVE, clock)
                _small_write(y, x, levels, lists.active, n_kept, groups_are_rows)
                _lap(_PHASE_WRITE, clock)
                theta_out[0] = theta
                status = STATUS_PROJECTED
                _stats[5] = 1
    _free_bracket(&b)
    return status


# ------------------------------------------------------------ driver

cdef inline double _lap(int phase, double since) noexcept nogil:
    """Add the time since ``since`` to a phase; the time now."""
    cdef double now = _now()
    _phase_seconds[phase] += now - since
    return now


cdef int _project(const floating[:, :] y, floating[:, :] x, double eta,
                  bint groups_are_rows, double* mu, double* theta_out,
                  int* rounds) noexcept nogil:
    """The projection, with every buffer allocated and freed here (and only here)."""
    cdef Py_ssize_t n_groups = y.shape[0] if groups_are_rows else y.shape[1]
    cdef Py_ssize_t group_size = y.shape[1] if groups_are_rows else y.shape[0]
    cdef int status = STATUS_NOMEMORY
    cdef Work w
    theta_out[0] = 0.0
    rounds[0] = 0
    if _alloc_work(&w, n_groups, group_size):
        status = _project_into(y, x, eta, groups_are_rows, &w, mu, theta_out, rounds)
    _free_work(&w)
    return status


cdef void _sums_and_maxima(const floating[:, :] y, double* sums, double* maxima,
                           bint groups_are_rows) noexcept nogil:
    """Step 1: every group's l1 norm and max (``stream_sums_and_maxima``).

    Contiguous rows take the AVX2 loop where the CPU has it: the baseline
    build sums a float32 row about twice as slowly as it reads it.  Matrices
    for the in-cache path take its SIMD loops (``_l1inf_small.h``).
    """
    cdef Py_ssize_t i, stride
    cdef Py_ssize_t n_groups = y.shape[0] if groups_are_rows else y.shape[1]
    cdef Py_ssize_t length = y.shape[1] if groups_are_rows else y.shape[0]
    cdef int layout = _small_layout(y, groups_are_rows, &stride)
    # In cache: the SIMD loops of the in-cache path.
    if layout == _SMALL_LANES:
        if floating is double:
            skp_small_norms_f64(&y[0, 0], length, n_groups, stride, sums, maxima, _small_simd)
        else:
            skp_small_norms_f32(&y[0, 0], length, n_groups, stride, sums, maxima, _small_simd)
        return
    if layout == _SMALL_GROUPS:
        if floating is double:
            skp_small_group_norms_f64(&y[0, 0], n_groups, length, stride, sums, maxima,
                                      _small_simd)
        else:
            skp_small_group_norms_f32(&y[0, 0], n_groups, length, stride, sums, maxima,
                                      _small_simd)
        return
    if not (groups_are_rows and _avx2 and y.strides[1] == sizeof(floating)):
        stream_sums_and_maxima(y, sums, maxima, groups_are_rows)
        return
    for i in range(y.shape[0]):
        if floating is double:
            sums[i] = skp_l1inf_row_sum_max_f64(row_at(&y[0, 0], y.strides[0], i), y.shape[1],
                                                &maxima[i])
        else:
            sums[i] = skp_l1inf_row_sum_max_f32(row_at(&y[0, 0], y.strides[0], i), y.shape[1],
                                                &maxima[i])


cdef int _project_into(const floating[:, :] y, floating[:, :] x, double eta,
                       bint groups_are_rows, Work* w, double* mu, double* theta_out,
                       int* rounds) noexcept nogil:
    """Steps 1-5 in ``w``; returns the status (STATUS_NOMEMORY on any failure)."""
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t n_groups = lists.n_groups, group_size = lists.group_size
    cdef Py_ssize_t g, idx, kept, n_failed
    cdef double total_max = 0.0, theta_0, theta, guess, level
    cdef floating* levels = <floating*> w.clip_levels
    cdef bint finite = True, dense
    cdef int status
    cdef double clock = _now()
    global _histogram_passes
    _histogram_passes = 0
    for idx in range(_N_PHASES):
        _phase_seconds[idx] = 0.0

    _sums_and_maxima(y, lists.sums, lists.maxima, groups_are_rows)
    clock = _lap(_PHASE_SUMS, clock)
    for g in range(n_groups):
        finite = finite and (lists.sums[g] - lists.sums[g] == 0.0)
        total_max += lists.maxima[g]
        mu[g] = lists.maxima[g]
    if not finite:
        # NaN or inf, or finite entries whose group sums overflow: the Python
        # layer tells them apart and rescales the latter (run_kernel).
        return STATUS_NONFINITE
    if total_max <= eta:
        copy_matrix(y, x)
        return STATUS_INSIDE
    status = _small_project(y, x, eta, groups_are_rows, w, mu, theta_out, rounds)
    if status != _SMALL_DECLINED:
        return status
    theta_0 = initial_lower_bound(lists, eta)
    status = _bracket_project(y, x, eta, groups_are_rows, w, theta_0, mu, theta_out, rounds)
    if status != _SMALL_DECLINED:
        return status
    clock = _now()

    for g in range(n_groups):
        if lists.sums[g] > theta_0:
            lists.active[lists.n_active] = g
            lists.n_active += 1
            lists.lower[g] = 0.0

    status = _gather_candidates(y, w, groups_are_rows, theta_0)
    clock = _lap(_PHASE_GATHER, clock)
    if status == 0:
        return STATUS_NOMEMORY
    dense = status == 2
    theta = theta_0
    if dense:
        lists.n_values = 0
        if not _dense_bands(y, w, groups_are_rows, eta, theta_0, &theta):
            return STATUS_NOMEMORY
        clock = _now()      # _dense_bands times its own two phases
        if not _gather_bins(y, w, groups_are_rows):
            return STATUS_NOMEMORY
        clock = _lap(_PHASE_BAND, clock)
        for idx in range(lists.n_active):
            g = lists.active[idx]
            # The lists hold the entries in the band: drop nothing else.
            lists.lower[g] = 0.0
            guess = ((lists.above_sum[g] - theta) / lists.above_count[g]
                     if lists.above_count[g] > 0 else 0.0)
            lists.guess[g] = guess if guess > w.band_low[g] else w.band_low[g]
    else:
        for idx in range(lists.n_active):
            g = lists.active[idx]
            guess = (lists.above_sum[g] - theta_0) / lists.above_count[g]
            level = (lists.sums[g] - theta_0) / group_size
            guess = level if level > guess else guess
            level = lists.maxima[g] - theta_0
            guess = level if level > guess else guess
            lists.guess[g] = guess if guess > 0.0 else 0.0

    theta = solve(lists, eta, theta, rounds)
    if dense:
        # The band model is exact for levels inside the bands; a group whose
        # level left its band is gathered whole (its entries in (0, M_g), those
        # at M_g counted as clipped) and the solve goes on from theta, still a
        # lower bound of theta^*.
        n_failed = band_violations(lists, theta, w.band_low, w.band_high, w.subset)
        while n_failed > 0:
            for idx in range(n_failed):
                g = w.subset[idx]
                lists.lower[g] = 0.0
                # Whole groups are exact at any level: they never fail again,
                # so this loop ends.
                w.band_low[g] = -INFINITY
                w.band_high[g] = INFINITY
            if not _gather_bands(y, w, groups_are_rows, w.subset, n_failed, lists.lower,
                                 lists.maxima):
                return STATUS_NOMEMORY
            for idx in range(lists.n_active):
                g = lists.active[idx]
                guess = (lists.above_sum[g] - theta) / lists.above_count[g]
                lists.guess[g] = guess if guess > lists.lower[g] else lists.lower[g]
            theta = solve(lists, eta, theta, rounds)
            n_failed = band_violations(lists, theta, w.band_low, w.band_high, w.subset)

    clock = _lap(_PHASE_SOLVE, clock)
    # The levels in the input's precision (the clip compares in it); the kept
    # groups listed in ``active``.
    for g in range(n_groups):
        mu[g] = 0.0
        levels[g] = 0
    kept = 0
    for idx in range(lists.n_active):
        g = lists.active[idx]
        level = (lists.above_sum[g] - theta) / lists.above_count[g]
        if level > 0.0:
            mu[g] = level
            levels[g] = <floating> level
            lists.active[kept] = g
            kept += 1
    _write(y, x, levels, lists.active, kept, groups_are_rows)
    _lap(_PHASE_WRITE, clock)
    theta_out[0] = theta
    return STATUS_PROJECTED


def l1inf_ball(const floating[:, :] y, floating[:, :] x, double eta,
               bint groups_are_rows, double[::1] mu):
    """Project ``y`` onto {sum_g max_i |x_ig| <= eta} into ``x``.

    Group g is ``y[g, :]`` when ``groups_are_rows`` else ``y[:, g]``.  ``x``
    may share ``y``'s memory.  ``mu`` (one slot per group) receives the
    clipping levels (the group maxima when ``y`` is inside the ball).  The
    caller guarantees ``eta > 0`` and a non-empty ``y``.

    Returns ``(status, theta)``.
    """
    cdef double theta = 0.0
    cdef int status, rounds
    with nogil:
        status = _project(y, x, eta, groups_are_rows, &mu[0], &theta, &rounds)
    return status, theta


def _set_testing(int max_rounds=60, bint force_dense=False, bint narrow_bands=False,
                 bint simd=True, bint avx512=True, small=None, small_simd=None,
                 Py_ssize_t small_max_bytes=1 << 23, int small_passes=16, bracket=None,
                 Py_ssize_t bracket_min_groups=4096, Py_ssize_t bracket_max_length=256,
                 double bracket_min_kept=0.75, double bracket_sigmas=4.0,
                 Py_ssize_t bracket_panel_bytes=1 << 16):
    """Testing hook: exercise the safety nets on small problems.

    ``max_rounds`` caps the Newton rounds (0 sends every case to the sorted
    finish); ``force_dense`` takes the dense-regime path whatever the data;
    ``narrow_bands`` makes its bands too narrow for half of the groups (the
    check after the solve must then gather them whole); ``simd=False`` runs
    the Cython loops of the histograms and the band gather where the AVX2
    ones would run, and the plain C loops of the in-cache pass;
    ``avx512=False`` the AVX2 band gathers and in-cache pass where the
    AVX-512 ones would.  ``small`` says whether matrices in cache take the
    in-cache path (by default, where the CPU has AVX2 or AVX-512 and no
    other hook asks for the general path); ``small_simd`` caps the SIMD
    level of its pass (2: AVX-512, 1: AVX2, 0: plain C), ``small_max_bytes``
    sets the size of the largest matrix it takes (``_SMALL_MAX_BYTES``),
    ``small_passes`` the passes after which it gives way to the general
    path.  ``bracket`` says whether matrices of at least
    ``bracket_min_groups`` groups of at most ``bracket_max_length`` entries,
    whose sample keeps at least ``bracket_min_kept`` of its groups, take the
    sampled-bracket path (by default as ``small``: ``small=False``
    leaves the general path alone), ``bracket_panel_bytes`` sets the size of
    its panels, ``bracket_sigmas`` sets the half-width of its bracket in
    standard errors (small values make theta^* miss it: the general path
    takes over).  Returns the level the in-cache pass runs at.
    """
    global _force_dense, _narrow_bands, _avx2, _small_on, _small_simd, _SMALL_MAX_BYTES
    global _SMALL_MAX_PASSES, _bracket_on, _BRACKET_MIN_GROUPS, _BRACKET_SIGMAS, _PANEL_BYTES
    global _BRACKET_MAX_LENGTH, _BRACKET_MIN_KEPT
    set_max_rounds(max_rounds)
    _force_dense = force_dense
    _narrow_bands = narrow_bands
    _avx2 = simd and skp_l1inf_have_avx2()
    skp_l1inf_set_avx512(simd and avx512)
    _small_on = (max_rounds == 60 and not force_dense and not narrow_bands
                 and skp_small_simd_level() > 0 if small is None else bool(small))
    _small_simd = skp_small_simd_level() if simd else 0
    if not avx512:
        _small_simd = min(_small_simd, 1)
    if small_simd is not None and small_simd < _small_simd:
        _small_simd = small_simd
    _SMALL_MAX_BYTES = small_max_bytes
    _SMALL_MAX_PASSES = small_passes
    _bracket_on = _small_on if bracket is None else bool(bracket)
    _BRACKET_MIN_GROUPS = bracket_min_groups
    _BRACKET_MAX_LENGTH = bracket_max_length
    _BRACKET_MIN_KEPT = bracket_min_kept
    _BRACKET_SIGMAS = bracket_sigmas
    _PANEL_BYTES = bracket_panel_bytes
    return _small_simd


def _time_phases(bint on):
    """Benchmark hook: time the phases of the next calls (``_phase_times``) or stop."""
    global _timing
    _timing = on


def _bracket_stats():
    """Benchmark hook: counts of the last sampled-bracket call (see ``_stats``)."""
    return [_stats[k] for k in range(6)]


def _phase_times():
    """Benchmark hook: the CPU seconds of each phase of the last call, and its histogram passes.

    Phases: sums and maxima, candidate gather, histogram passes, envelopes
    (their roots and the bands), band gather, solve, write.
    """
    return [_phase_seconds[k] for k in range(_N_PHASES)], _histogram_passes
