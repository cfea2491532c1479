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

   *Dense regime of matrices of 8 MiB or more* (``_sampled_bands``): no
   histogram.  A sample of the groups (about 2 MiB, at least 32 groups;
   blocks of 64 consecutive column groups) is copied and projected exactly
   (by this kernel: the in-cache path) at the radius scaled by its share of
   :math:`\sum_g M_g`; its levels are fitted on :math:`M_g` and
   :math:`S_g/n` (least squares), every group's level is predicted by the
   fit and the predictions shifted together to add up to :math:`\eta`.
   Each band is 5 standard deviations of the fit's residuals either side
   (0.3-8 % of the entries on Gaussian 1000 x 10000 matrices, against
   45-90 % in the rigorous range of a first histogram); one read gathers it
   and counts and sums the entries above it (rows by AVX-512/AVX2 compress,
   column groups four rows at a time in panels of 1024 columns, the same
   bits with either or with the Cython loop).  The solve starts from
   :math:`\theta(V)` with :math:`V_g` the entries above the bands.  Nothing
   is assumed of the prediction: if a level left its band, every band is
   gathered again with the failed groups whole, and the solve starts over
   (the rounds dropped entries for the wrong model).  Measured per entry on
   1000 x 10000 (CPU time, load 2-3 on 2 cores): sample 0.1-0.2 ns, band
   0.6-1.8 ns, solve 0.02-0.7 ns (the widest bands, at half of the norm on
   columns, cost the most); about 1.8-2.4 times the old histogram path's
   speed where the bands are narrow.
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
   memset of the output).  A result of 8 MiB or more in contiguous rows of
   4 KiB or more is written by non-temporal stores (``skp_l1inf_clip_row``,
   AVX2, with the scalar clip's bits, one fence after the last row): 0.25-0.34
   ns per entry in float32 and 0.7 in float64 on 1000 x 10000 (CPU time,
   load 1.3-2.7 on 2 cores), about half of the stores through the caches.
   A fence per row, or streaming rows of 400 bytes, measured several times
   slower.

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
1000 x 10000 at 10 % and 50 % of the norm, it is 3-5 times in float64 and
5-9 times in float32, whose bi-level projection costs about 0.45 ns an
entry; per entry, float32 column groups: sums 0.37 ns, histograms 1.25, band
0.8-1.1, envelopes 0.15, solve 0.3, write 0.3 (CPU time, AVX-512, load 2-3
on 2 cores; ``bench_projections.py --l1inf --phases``).  The two extra reads
of the dense regime, each slowed by per-entry bookkeeping, are what stands
between float32 and the 4 times of the bi-level projection.  On many short
groups (10**5 groups of 100) the fixed work per group (histogram tables, envelopes and their
roots, the solve) would be most of the cost: where most of them are kept
they take the sampled-bracket path (below), as matrices in cache take the
in-cache path.  The worst case is :math:`O(nm \log(nm))` (the
sort-based finish).
No sort and no heap is used otherwise.

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
Measured on 100 x 100000 column groups at 1-90 % of the groups kept and at
10 % and 50 % of the norm, time / ``bilevel_l1inf`` (``bench_projections.py
--l1inf --cpu``, load 2-3 on 2 cores): float64 2.3-3.6, float32 2.9-7.0.
Its phases in float32, in ns per entry: sums 0.4, sample 0.2-0.3, panels
1.4-1.6, solve 0.3, write 0.3.  Radii keeping 1 % and 10 % of the groups
take the general path.

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
This module is the general path and the driver: the streaming passes (step
1 and the group norms come from ``_streaming.pxd``, shared with the
bi-level kernels) and the gathers of steps 3-3c, which read the matrix; its
``Work`` (declared in ``_l1inf_strips.pxd``) holds the per-group parameters
of those passes.  The two paths that read the matrix in SIMD passes over
strips of groups held in cache -- the in-cache path (``small_project``, its
passes in ``_l1inf_small.h``) and the sampled-bracket path
(``bracket_project``, its ``Bracket``, its solve on the events) -- are in
``_l1inf_strips``, with what both halves share: the write of step 5
(``write_clipped``) and the phase clock of the benchmark hook.  Everything
that works on what was gathered -- the bounds of step 2, the envelopes of
step 3b, the lists and the Newton rounds of step 4 -- is in
``_l1inf_lists`` (its ``GroupLists``).  Every buffer of ``Work`` is
allocated by ``_alloc_work`` and freed by
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
from libc.string cimport memset
from libc.stdint cimport INT32_MAX, int32_t
# Work memory kept for the next call (no page faults on it; ``_scratch_cache``).
from skproj.projections._scratch_cache cimport scratch_free as free, scratch_malloc as malloc
from cython cimport floating
from skproj.projections._common cimport (
    copy_matrix, prefetch,
)
from skproj.projections._streaming cimport element_step, row_at, stream_sums_and_maxima
from skproj.projections._sums cimport TERM_VALUE, sum_terms
from skproj.projections._l1 cimport (
    STATUS_INSIDE, STATUS_NOMEMORY, STATUS_NONFINITE, STATUS_PROJECTED,
)
from skproj.projections._l1inf_lists cimport (
    BINS, SLACK, SLOTS, Envelope, GroupLists, alloc_lists, append_pairs, band_violations,
    chord_upper_bound, envelope_above, envelope_bounds, envelope_roots, fill_envelope,
    free_lists, grow,
    initial_lower_bound, reserve, set_max_rounds, solve, start_roots,
)
from skproj.projections._l1inf_strips cimport (
    N_PHASES, PHASE_BAND, PHASE_ENVELOPES, PHASE_GATHER, PHASE_HISTOGRAMS, PHASE_SOLVE,
    PHASE_SUMS, PHASE_WRITE, SMALL_DECLINED, Work, bracket_project, lap, now, phase_seconds,
    small_norms, small_project, time_phases, write_clipped,
)
from skproj.projections import _l1inf_strips
from skproj.projections._l1inf_strips import _bracket_stats

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
    Py_ssize_t skp_l1inf_range_row_f64(const double* row, Py_ssize_t n, double lo, double hi,
                                       double* values, Py_ssize_t pos, double* lanes,
                                       Py_ssize_t* count)
    Py_ssize_t skp_l1inf_range_row_f32(const float* row, Py_ssize_t n, double lo, double hi,
                                       double* values, Py_ssize_t pos, double* lanes,
                                       Py_ssize_t* count)
    Py_ssize_t skp_l1inf_range_columns_f64(const double* row, Py_ssize_t row_stride,
                                           Py_ssize_t rows, Py_ssize_t n, Py_ssize_t first,
                                           const double* lo,
                                           const double* hi, double* count, double* total,
                                           double* values, int32_t* groups, Py_ssize_t pos)
    Py_ssize_t skp_l1inf_range_columns_f32(const float* row, Py_ssize_t row_stride,
                                           Py_ssize_t rows, Py_ssize_t n, Py_ssize_t first,
                                           const double* lo,
                                           const double* hi, double* count, double* total,
                                           double* values, int32_t* groups, Py_ssize_t pos)
    double skp_l1inf_row_sum_max_f64(const double* row, Py_ssize_t n, double* maximum)
    double skp_l1inf_row_sum_max_f32(const float* row, Py_ssize_t n, double* maximum)

# Benchmark hook (``_phase_times``): the number of histogram passes of the
# last call (the phase clock is ``_l1inf_strips``'s).
cdef int _histogram_passes = 0

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

# Dense regime from a sample (``_sampled_bands``): matrices of at least
# _SAMPLED_MIN_BYTES take it (0: never); the sample is about _SAMPLE_BYTES,
# at least _SAMPLE_MIN_GROUPS groups, in blocks of _SAMPLE_BLOCK consecutive
# column groups (whole cache lines of each row); each band is
# _SAMPLE_SIGMAS standard deviations of the fit either side of its level.
cdef Py_ssize_t _SAMPLED_MIN_BYTES = 1 << 23
cdef Py_ssize_t _SAMPLE_BYTES = 1 << 21
cdef Py_ssize_t _SAMPLE_MIN_GROUPS = 32
cdef Py_ssize_t _SAMPLE_BLOCK = 64
cdef double _SAMPLE_SIGMAS = 5.0
# Rows of column groups gathered together, and the columns of a panel
# (``_gather_ranges_columns``).
cdef Py_ssize_t _RANGE_ROWS = 4
cdef Py_ssize_t _RANGE_PANEL = 1024
# Benchmark hook (``_sampled_stats``): the sampled groups, the gathered
# entries and the groups gathered whole after the solve, in the last call.
cdef Py_ssize_t _sampled_counts[4]


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
    return _alloc_block(w) and w.envelopes != NULL


cdef bint _alloc_block(Work* w) noexcept nogil:
    """The block of columns of ``_group_entries``."""
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
    return w.block != NULL


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
    cdef double clock = now()
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
        clock = lap(PHASE_ENVELOPES, clock)
        _histograms(y, w, groups_are_rows)
        clock = lap(PHASE_HISTOGRAMS, clock)
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
            w.edges_low[g] = _bin_below((low - range_low[g]) / width, 0)
            w.edges_high[g] = _bin_below((high - range_low[g]) / width, BINS - 1) + 1
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
    lap(PHASE_ENVELOPES, clock)
    return True


cdef inline Py_ssize_t _bin_below(double position, Py_ssize_t if_nan) noexcept nogil:
    """The bin 0 .. BINS - 1 of a position in bin widths, ``if_nan`` for a NaN.

    Clamped before the cast: an envelope's bound far outside the range (or a
    NaN from a range of zero width) cast to an integer gave edges outside
    0 .. BINS, and the reads of the envelope at them left its arrays.
    """
    if position != position:
        return if_nan
    if position <= 0.0:
        return 0
    return <Py_ssize_t> position if position < BINS - 1 else BINS - 1


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

# ------------------------------------------------------------ step 3b': dense regime from a sample

# Where the matrix is large, the levels of a dense problem are predicted
# instead of bracketed by histograms: the groups of a sample (about
# _SAMPLE_BYTES, in cache) are projected exactly, with the radius scaled by
# their share of sum_g M_g; their levels are fitted on M_g and S_g / n (least
# squares), every group's level is predicted by the fit, and the predictions
# are shifted together so that they add up to eta.  The band of a group is
# _SAMPLE_SIGMAS standard deviations of the fit's residuals either side of
# its prediction (1-3 % of the entries of Gaussian matrices, against 45-90 %
# in the rigorous ranges of a first histogram): one read gathers it and counts
# the entries above it.  Nothing is assumed of the prediction: the band model
# is exact for levels inside the bands, and a group whose level left its band
# is gathered whole after the solve, as in the histogram path.

cdef inline Py_ssize_t _range_row(const floating* row, Py_ssize_t n, Py_ssize_t step, double lo,
                                  double hi, double* values, Py_ssize_t pos,
                                  Py_ssize_t* count_above, double* sum_above) noexcept nogil:
    """Gather the entries in (lo, hi); count and sum those >= hi (``skp_l1inf_range_row``).

    The sum goes to eight lanes (entry j to lane j mod 8), added up in the
    order of the SIMD loops: the same bits with or without them.
    """
    cdef double lanes[8]
    cdef Py_ssize_t j, count = 0
    cdef double a
    for j in range(8):
        lanes[j] = 0.0
    if step == 1 and _avx2:
        if floating is double:
            pos = skp_l1inf_range_row_f64(row, n, lo, hi, values, pos, lanes, &count)
        else:
            pos = skp_l1inf_range_row_f32(row, n, lo, hi, values, pos, lanes, &count)
    else:
        for j in range(n):
            a = fabs(row[j * step])
            values[pos] = a
            pos += (a > lo) & (a < hi)
            count += a >= hi
            lanes[j % 8] += a if a >= hi else 0.0
    count_above[0] = count
    sum_above[0] = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + (
        (lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
    return pos


cdef bint _gather_ranges_by_group(const floating[:, :] y, Work* w,
                                  bint groups_are_rows) noexcept nogil:
    """The lists of every live group: its entries in (band_low, band_high), one group at a time."""
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t idx, g, step, pos = lists.n_values
    cdef const floating* group
    for idx in range(lists.n_active):
        g = lists.active[idx]
        # 7 slots of room past the list for the vector stores.
        if not reserve(lists, pos + lists.group_size + 7):
            return False
        group = _group_entries(y, w, g, groups_are_rows, &step)
        lists.start[g] = pos
        if step == 1:
            pos = _range_row(group, lists.group_size, 1, w.band_low[g], w.band_high[g],
                             lists.values, pos, &lists.above_count[g], &lists.above_sum[g])
        else:
            pos = _range_row(group, lists.group_size, step, w.band_low[g], w.band_high[g],
                             lists.values, pos, &lists.above_count[g], &lists.above_sum[g])
        lists.length[g] = pos - lists.start[g]
    lists.n_values = pos
    return True


cdef bint _gather_ranges_columns(const floating[:, :] y, Work* w) noexcept nogil:
    """The same for the column groups of a matrix with contiguous rows.

    A panel of _RANGE_PANEL columns at a time (their bands and counters stay
    in L1), row by row (_RANGE_ROWS rows at a time with the SIMD loops); the
    pairs (entry, column) of a panel are bucketed by column after it (the
    buckets of a whole row of columns lie too far apart: that bucketing cost
    more than the read).  The counts and sums above the bands add up in
    ``histogram_low`` and ``histogram_high`` (free in this path), in the order
    of the rows.  Columns left out have an empty band and nothing above it.
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1], s0 = y.strides[0]
    cdef Py_ssize_t i, j, idx, g, rows, m, p0 = 0, r0 = 0, r1, pos
    cdef double* low = w.gather_level       # free in the dense regime
    cdef double* high = w.column_high
    cdef double* count = w.histogram_low
    cdef double* total = w.histogram_high
    cdef const floating* row
    cdef double a
    for j in range(n_cols):
        low[j] = INFINITY
        high[j] = INFINITY
        count[j] = 0.0
        total[j] = 0.0
    for idx in range(lists.n_active):
        g = lists.active[idx]
        low[g] = w.band_low[g]
        high[g] = w.band_high[g]
    while p0 < n_cols:
        m = n_cols - p0 if n_cols - p0 < _RANGE_PANEL else _RANGE_PANEL
        # The live groups of the panel: ranks r0 .. r1 - 1 (``active`` increases).
        r1 = r0
        while r1 < lists.n_active and lists.active[r1] < p0 + m:
            r1 += 1
        if r1 == r0:
            p0 += m
            continue
        pos = 0
        i = 0
        while i < n_rows:
            # 7 slots of room past the pairs for the vector stores.
            if not _reserve_pairs(w, pos + _RANGE_ROWS * m + 7):
                return False
            row = row_at(&y[0, 0], s0, i) + p0
            rows = n_rows - i if n_rows - i < _RANGE_ROWS else _RANGE_ROWS
            if _avx2:
                if floating is double:
                    pos = skp_l1inf_range_columns_f64(row, s0, rows, m, p0, low + p0,
                                                      high + p0, count + p0, total + p0,
                                                      w.pair_values, w.pair_groups, pos)
                else:
                    pos = skp_l1inf_range_columns_f32(row, s0, rows, m, p0, low + p0,
                                                      high + p0, count + p0, total + p0,
                                                      w.pair_values, w.pair_groups, pos)
                i += rows
                continue
            for j in range(p0, p0 + m):
                a = fabs(row[j - p0])
                w.pair_values[pos] = a
                w.pair_groups[pos] = <int32_t> j
                pos += (a > low[j]) & (a < high[j])
                count[j] += 1.0 if a >= high[j] else 0.0
                total[j] += a if a >= high[j] else 0.0
            i += 1
        if not append_pairs(lists, w.pair_values, w.pair_groups, pos, lists.active + r0,
                            r1 - r0, w.bucket_cursor):
            return False
        r0 = r1
        p0 += m
    for idx in range(lists.n_active):
        g = lists.active[idx]
        lists.above_count[g] = <Py_ssize_t> count[g]
        lists.above_sum[g] = total[g]
    return True


cdef Py_ssize_t _sample_ranks(const GroupLists* lists, bint groups_are_rows,
                              Py_ssize_t group_bytes, Py_ssize_t* ranks) noexcept nogil:
    """The ranks of the live groups in the sample (blocks of consecutive column groups)."""
    cdef Py_ssize_t block = 1 if groups_are_rows else _SAMPLE_BLOCK
    cdef Py_ssize_t every = lists.n_active * group_bytes // _SAMPLE_BYTES + 1
    cdef Py_ssize_t most = lists.n_active // _SAMPLE_MIN_GROUPS
    cdef Py_ssize_t idx, n_sample = 0
    # About _SAMPLE_BYTES, but at least _SAMPLE_MIN_GROUPS groups where they exist.
    every = every if every < most else most
    every = every if every > 2 else 2
    for idx in range(lists.n_active):
        if (idx // block) % every == 0:
            ranks[n_sample] = idx
            n_sample += 1
    return n_sample


cdef void _copy_sample(const floating[:, :] y, const GroupLists* lists, bint groups_are_rows,
                       const Py_ssize_t* ranks, Py_ssize_t n_sample,
                       floating* sample) noexcept nogil:
    """The sample's groups, contiguous: rows of ``sample`` for rows, its columns for columns."""
    cdef Py_ssize_t n = lists.group_size, i, k, g
    if groups_are_rows:
        for k in range(n_sample):
            g = lists.active[ranks[k]]
            for i in range(n):
                sample[k * n + i] = y[g, i]
    else:
        for i in range(n):
            for k in range(n_sample):
                sample[i * n_sample + k] = y[i, lists.active[ranks[k]]]


cdef bint _fit_levels(const GroupLists* lists, const Py_ssize_t* ranks, Py_ssize_t n_sample,
                      const double* levels, double* fit) noexcept nogil:
    """Least squares of the sample's levels on M_g and S_g / n (centred).

    ``fit``: the intercept, the two slopes, the two centres and the standard
    deviation of the residuals.  False where a sampled level is not positive
    (a group that may be zeroed: the histogram path takes those problems).
    """
    cdef Py_ssize_t k, g
    cdef double inv_n = 1.0 / lists.group_size, inv = 1.0 / n_sample
    cdef double m1 = 0.0, m2 = 0.0, mean = 0.0, x1, x2, r, det
    cdef double a11 = 0.0, a12 = 0.0, a22 = 0.0, b1 = 0.0, b2 = 0.0, residuals = 0.0
    for k in range(n_sample):
        if not levels[k] > 0.0:
            return False
        g = lists.active[ranks[k]]
        m1 += lists.maxima[g]
        m2 += lists.sums[g] * inv_n
        mean += levels[k]
    m1 *= inv
    m2 *= inv
    mean *= inv
    for k in range(n_sample):
        g = lists.active[ranks[k]]
        x1 = lists.maxima[g] - m1
        x2 = lists.sums[g] * inv_n - m2
        a11 += x1 * x1
        a12 += x1 * x2
        a22 += x2 * x2
        b1 += x1 * (levels[k] - mean)
        b2 += x2 * (levels[k] - mean)
    det = a11 * a22 - a12 * a12
    fit[0] = mean
    fit[1] = 0.0
    fit[2] = 0.0
    if det > 1e-9 * a11 * a22 and det > 0.0:
        fit[1] = (a22 * b1 - a12 * b2) / det
        fit[2] = (a11 * b2 - a12 * b1) / det
    fit[3] = m1
    fit[4] = m2
    for k in range(n_sample):
        g = lists.active[ranks[k]]
        r = levels[k] - _predicted_level(lists, g, fit)
        residuals += r * r
    fit[5] = sqrt(residuals / (n_sample - 3 if n_sample > 3 else 1))
    return True


cdef inline double _predicted_level(const GroupLists* lists, Py_ssize_t g,
                                   const double* fit) noexcept nogil:
    return (fit[0] + fit[1] * (lists.maxima[g] - fit[3])
            + fit[2] * (lists.sums[g] / lists.group_size - fit[4]))


cdef int _project_sample(const floating[:, :] y, Work* w, bint groups_are_rows, double eta,
                         const Py_ssize_t* ranks, Py_ssize_t n_sample,
                         double* levels) noexcept nogil:
    """The exact levels of the sample's groups at the radius scaled by their share of sum M_g.

    1 when done, 2 when the sample is not projected (inside its ball), 0 when
    memory ran out.  The sample is projected by ``_project`` itself (the
    in-cache path, as it fits the cache), without a sample of its own.
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t n = lists.group_size, idx, k, bytes_ = n_sample * n * sizeof(floating)
    cdef double sampled = 0.0, total = 0.0, theta
    cdef int status = 0, rounds, passes = _histogram_passes
    cdef double saved[N_PHASES]
    cdef double* clock = phase_seconds()
    cdef floating* sample = <floating*> malloc(bytes_)
    cdef floating* projected = <floating*> malloc(bytes_)
    cdef const floating[:, :] sample_view
    cdef floating[:, :] projected_view
    global _histogram_passes
    if sample != NULL and projected != NULL:
        for idx in range(lists.n_active):
            total += lists.maxima[lists.active[idx]]
        for k in range(n_sample):
            sampled += lists.maxima[lists.active[ranks[k]]]
        _copy_sample(y, lists, groups_are_rows, ranks, n_sample, sample)
        with gil:
            if groups_are_rows:
                sample_view = <floating[:n_sample, :n]> sample
                projected_view = <floating[:n_sample, :n]> projected
            else:
                sample_view = <floating[:n, :n_sample]> sample
                projected_view = <floating[:n, :n_sample]> projected
        for k in range(N_PHASES):
            saved[k] = clock[k]
        status = _project(sample_view, projected_view, eta * sampled / total, groups_are_rows,
                          levels, &theta, &rounds, False)
        for k in range(N_PHASES):
            clock[k] = saved[k]
        _histogram_passes = passes
        status = (1 if status == STATUS_PROJECTED else
                  0 if status == STATUS_NOMEMORY else 2)
    free(sample)
    free(projected)
    return status


cdef int _sampled_bands(const floating[:, :] y, Work* w, bint groups_are_rows,
                        double eta) noexcept nogil:
    """Gather every live group's band around its predicted level (see above).

    Returns 1 when the lists are ready (the bands in band_low/band_high, the
    entries above counted and summed), 2 when the problem is left to the
    histogram path (too small a matrix or sample, a sampled group zeroed),
    0 when memory ran out.
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t n = lists.group_size, group_bytes = n * sizeof(floating)
    cdef Py_ssize_t idx, g, n_sample
    cdef double fit[6]
    cdef double shift = 0.0, half, level, clock
    cdef double* levels
    cdef int status
    if (_SAMPLED_MIN_BYTES == 0 or lists.n_active * group_bytes < _SAMPLED_MIN_BYTES
            or (not groups_are_rows and y.shape[1] > INT32_MAX)):
        return 2
    # The ranks of the sample in ``subset``, their levels in ``guess`` (both
    # free until the solve).
    n_sample = _sample_ranks(lists, groups_are_rows, group_bytes, w.subset)
    if n_sample < _SAMPLE_MIN_GROUPS:
        return 2
    levels = lists.guess
    clock = now()
    status = _project_sample(y, w, groups_are_rows, eta, w.subset, n_sample, levels)
    clock = lap(PHASE_HISTOGRAMS, clock)
    if status != 1:
        return status
    if not _fit_levels(lists, w.subset, n_sample, levels, fit):
        return 2
    for idx in range(lists.n_active):
        shift += _predicted_level(lists, lists.active[idx], fit)
    shift = (eta - shift) / lists.n_active
    half = _SAMPLE_SIGMAS * fit[5] + 0.5 * fabs(shift)
    for idx in range(lists.n_active):
        g = lists.active[idx]
        level = _predicted_level(lists, g, fit) + shift
        w.band_low[g] = level - half
        w.band_high[g] = level + half
        _widen(&w.band_low[g], &w.band_high[g], lists.maxima[g])
        if w.band_low[g] < 0.0:
            w.band_low[g] = 0.0
        if _narrow_bands and idx % 2 == 0:
            w.band_high[g] = w.band_low[g] + 1e-9 * (w.band_high[g] - w.band_low[g])
    clock = lap(PHASE_ENVELOPES, clock)
    # The block of columns of _group_entries (column groups of strided rows).
    if not _alloc_block(w) or not _gather_sampled_bands(y, w, groups_are_rows):
        return 0
    _sampled_counts[0] = n_sample
    _sampled_counts[1] = lists.n_values
    lap(PHASE_BAND, clock)
    return 1


cdef bint _gather_sampled_bands(const floating[:, :] y, Work* w,
                                bint groups_are_rows) noexcept nogil:
    """Every live group's entries in (band_low, band_high), those above counted and summed."""
    if not groups_are_rows and y.strides[1] == sizeof(floating):
        return _gather_ranges_columns(y, w)
    return _gather_ranges_by_group(y, w, groups_are_rows)


cdef double _band_lower_bound(GroupLists* lists, double eta, double theta_0) noexcept nogil:
    """A lower bound of theta^* from the entries above the bands, at least theta_0.

    theta(V) with V_g the entries above group g's band (see the module
    docstring): the Newton step from the tops of the bands, close to theta^*
    where the bands hold the levels, and a lower bound wherever they are.
    (V_g grown by the entries of its list above the middle of the band gave
    a closer start, but the rounds from there were slower.)
    """
    cdef Py_ssize_t idx, g
    cdef double numerator = 0.0, denominator = 0.0, inv, theta
    for idx in range(lists.n_active):
        g = lists.active[idx]
        inv = 1.0 / lists.above_count[g]
        numerator += lists.above_sum[g] * inv
        denominator += inv
    theta = (numerator - eta) / denominator * (1.0 - SLACK)
    return theta if theta > theta_0 else theta_0


cdef void _start_band_lists(Work* w, double theta) noexcept nogil:
    """Start the solve on the band lists from theta <= theta^*."""
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t idx, g
    cdef double guess
    for idx in range(lists.n_active):
        g = lists.active[idx]
        # The lists hold the entries in the band: drop nothing else.
        lists.lower[g] = 0.0
        guess = ((lists.above_sum[g] - theta) / lists.above_count[g]
                 if lists.above_count[g] > 0 else 0.0)
        lists.guess[g] = guess if guess > w.band_low[g] else w.band_low[g]


cdef bint _solve_sampled(const floating[:, :] y, Work* w, bint groups_are_rows, double eta,
                         double theta_0, double* theta, int* rounds) noexcept nogil:
    """Step 4 on the predicted bands; False when memory ran out.

    The band model is exact for levels inside the bands.  Where a level left
    its band, the rounds have dropped entries and raised bounds for the wrong
    model: every band is gathered again (the groups that failed whole: their
    entries in (-inf, M_g), those at M_g counted as clipped) and the solve
    starts over.  Whole groups are exact at any level and never fail again,
    so this ends; the groups the rounds dropped have S_g <= theta^* and stay
    zero.
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t idx, g, n_failed
    while True:
        theta[0] = _band_lower_bound(lists, eta, theta_0)
        _start_band_lists(w, theta[0])
        theta[0] = solve(lists, eta, theta[0], rounds)
        _sampled_counts[3] += rounds[0]
        n_failed = band_violations(lists, theta[0], w.band_low, w.band_high, w.subset)
        _sampled_counts[2] += n_failed
        if n_failed == 0:
            return True
        for idx in range(n_failed):
            g = w.subset[idx]
            w.band_low[g] = -INFINITY
            w.band_high[g] = lists.maxima[g]
        lists.n_values = 0
        if not _gather_sampled_bands(y, w, groups_are_rows):
            return False


# ------------------------------------------------------------ driver

cdef int _project(const floating[:, :] y, floating[:, :] x, double eta,
                  bint groups_are_rows, double* mu, double* theta_out,
                  int* rounds, bint may_sample) noexcept nogil:
    """The projection, with every buffer allocated and freed here (and only here).

    ``may_sample``: a dense problem may take its bands from a sample
    (``_sampled_bands``; not the sample's own projection).
    """
    cdef Py_ssize_t n_groups = y.shape[0] if groups_are_rows else y.shape[1]
    cdef Py_ssize_t group_size = y.shape[1] if groups_are_rows else y.shape[0]
    cdef int status = STATUS_NOMEMORY
    cdef Work w
    theta_out[0] = 0.0
    rounds[0] = 0
    if _alloc_work(&w, n_groups, group_size):
        status = _project_into(y, x, eta, groups_are_rows, &w, mu, theta_out, rounds,
                               may_sample)
    _free_work(&w)
    return status


cdef void _sums_and_maxima(const floating[:, :] y, double* sums, double* maxima,
                           bint groups_are_rows) noexcept nogil:
    """Step 1: every group's l1 norm and max (``stream_sums_and_maxima``).

    Contiguous rows take the AVX2 loop where the CPU has it: the baseline
    build sums a float32 row about twice as slowly as it reads it.  Matrices
    for the in-cache path take its SIMD loops (``_l1inf_small.h``).
    """
    cdef Py_ssize_t i
    # In cache: the SIMD loops of the in-cache path.
    if small_norms(y, groups_are_rows, sums, maxima):
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
                       int* rounds, bint may_sample) noexcept nogil:
    """Steps 1-5 in ``w``; returns the status (STATUS_NOMEMORY on any failure)."""
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t n_groups = lists.n_groups, group_size = lists.group_size
    cdef Py_ssize_t g, idx, kept, n_failed
    cdef double total_max = 0.0, theta_0, theta, guess, level
    cdef floating* levels = <floating*> w.clip_levels
    cdef bint finite = True, dense, sampled = False
    cdef int status
    cdef double clock = now()
    cdef double* phase_clock = phase_seconds()
    global _histogram_passes
    _histogram_passes = 0
    if may_sample:
        _sampled_counts[0] = _sampled_counts[1] = _sampled_counts[2] = _sampled_counts[3] = 0
    for idx in range(N_PHASES):
        phase_clock[idx] = 0.0

    _sums_and_maxima(y, lists.sums, lists.maxima, groups_are_rows)
    clock = lap(PHASE_SUMS, clock)
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
    status = small_project(y, x, eta, groups_are_rows, w, mu, theta_out, rounds)
    if status != SMALL_DECLINED:
        return status
    theta_0 = initial_lower_bound(lists, eta)
    status = bracket_project(y, x, eta, groups_are_rows, w, theta_0, mu, theta_out, rounds)
    if status != SMALL_DECLINED:
        return status
    clock = now()

    for g in range(n_groups):
        if lists.sums[g] > theta_0:
            lists.active[lists.n_active] = g
            lists.n_active += 1
            lists.lower[g] = 0.0

    status = _gather_candidates(y, w, groups_are_rows, theta_0)
    clock = lap(PHASE_GATHER, clock)
    if status == 0:
        return STATUS_NOMEMORY
    dense = status == 2
    theta = theta_0
    if dense:
        lists.n_values = 0
        status = _sampled_bands(y, w, groups_are_rows, eta) if may_sample else 2
        if status == 0:
            return STATUS_NOMEMORY
        if status == 2:
            if not _dense_bands(y, w, groups_are_rows, eta, theta_0, &theta):
                return STATUS_NOMEMORY
            clock = now()      # _dense_bands times its own two phases
            if not _gather_bins(y, w, groups_are_rows):
                return STATUS_NOMEMORY
            lap(PHASE_BAND, clock)
            _start_band_lists(w, theta)
        sampled = status == 1
        clock = now()          # both paths time their own phases
    else:
        for idx in range(lists.n_active):
            g = lists.active[idx]
            guess = (lists.above_sum[g] - theta_0) / lists.above_count[g]
            level = (lists.sums[g] - theta_0) / group_size
            guess = level if level > guess else guess
            level = lists.maxima[g] - theta_0
            guess = level if level > guess else guess
            lists.guess[g] = guess if guess > 0.0 else 0.0

    if sampled:
        if not _solve_sampled(y, w, groups_are_rows, eta, theta_0, &theta, rounds):
            return STATUS_NOMEMORY
    else:
        theta = solve(lists, eta, theta, rounds)
    if dense and not sampled:
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

    clock = lap(PHASE_SOLVE, clock)
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
    write_clipped(y, x, levels, lists.active, kept, groups_are_rows)
    lap(PHASE_WRITE, clock)
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
        status = _project(y, x, eta, groups_are_rows, &mu[0], &theta, &rounds, True)
    return status, theta


def _set_testing(int max_rounds=60, bint force_dense=False, bint narrow_bands=False,
                 bint simd=True, bint avx512=True, small=None, small_simd=None,
                 Py_ssize_t small_max_bytes=1 << 23, int small_passes=16, bracket=None,
                 Py_ssize_t bracket_min_groups=4096, Py_ssize_t bracket_max_length=256,
                 double bracket_min_kept=0.75, double bracket_sigmas=4.0,
                 Py_ssize_t bracket_panel_bytes=1 << 16, Py_ssize_t sampled_min_bytes=1 << 23,
                 Py_ssize_t sample_bytes=1 << 21, double sample_sigmas=5.0):
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
    takes over).  Dense problems of at least ``sampled_min_bytes`` (0:
    none) take their bands from a sample of about ``sample_bytes``
    (``_sampled_bands``; ``narrow_bands`` narrows half of those too).
    Returns the level the in-cache pass runs at.
    """
    global _force_dense, _narrow_bands, _avx2, _SAMPLED_MIN_BYTES, _SAMPLE_BYTES, _SAMPLE_SIGMAS
    set_max_rounds(max_rounds)
    _force_dense = force_dense
    _narrow_bands = narrow_bands
    _SAMPLED_MIN_BYTES = sampled_min_bytes
    _SAMPLE_BYTES = sample_bytes
    _SAMPLE_SIGMAS = sample_sigmas
    _avx2 = simd and skp_l1inf_have_avx2()
    skp_l1inf_set_avx512(simd and avx512)
    return _l1inf_strips._set_testing(
        force_dense=force_dense, narrow_bands=narrow_bands, simd=simd, avx512=avx512,
        default_on=max_rounds == 60 and not force_dense and not narrow_bands, small=small,
        small_simd=small_simd, small_max_bytes=small_max_bytes, small_passes=small_passes,
        bracket=bracket, bracket_min_groups=bracket_min_groups,
        bracket_max_length=bracket_max_length, bracket_min_kept=bracket_min_kept,
        bracket_sigmas=bracket_sigmas, bracket_panel_bytes=bracket_panel_bytes)


def _time_phases(bint on):
    """Benchmark hook: time the phases of the next calls (``_phase_times``) or stop."""
    time_phases(on)


def _phase_times():
    """Benchmark hook: the CPU seconds of each phase of the last call, and its histogram passes.

    Phases: sums and maxima, candidate gather, histogram passes, envelopes
    (their roots and the bands), band gather, solve, write.
    """
    cdef double* phase_clock = phase_seconds()
    return [phase_clock[k] for k in range(N_PHASES)], _histogram_passes


def _sampled_stats():
    """Benchmark hook: the sampled groups, the gathered entries, the groups
    gathered whole after a solve and the Newton rounds, in the last call's
    ``_sampled_bands`` (zeros where it did not run)."""
    return [_sampled_counts[k] for k in range(4)]
