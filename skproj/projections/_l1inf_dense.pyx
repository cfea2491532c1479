# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
r"""The dense regime of the exact l1,inf kernel: bands around every mu_g^*.

Where most groups survive and are clipped a little (large radii), the levels
:math:`U_g` of the candidate gather (``_l1inf``, step 3) lie among the bulk
of the entries and would gather most of the matrix.  This module brackets
every :math:`\mu_g^*` in a *band* instead, gathers only the entries inside
the bands (those above are counted and summed: clipped for any level in the
band), and runs the Newton rounds of ``_l1inf_lists`` on them.  Its two ways
of finding the bands read the matrix; everything it solves works on what
was gathered.

Bands from histograms (``histogram_bands``)
-------------------------------------------
The counts and sums of a group's entries in 16 bins of a range
:math:`[L_g, U_g]` give :math:`h_g` exactly at the bin edges, so
:math:`\mu_g(\theta)` lies between the chords and the tangents of those
points; the roots of the two envelopes (searched together, Newton and secant
steps, several points per sweep over the envelopes; on 4096 groups or more
first on every 16th envelope, then on all of them either side of the sampled
roots; each bracket only to a share of the gap between the two roots) bracket
:math:`\theta^*`, and the envelopes there bracket each :math:`\mu_g^*` within
a bin or two.  Each envelope is made from its histogram as soon as that is
complete, while it is in cache.  One pass (two at most) leaves bands holding a
few per cent of the entries (3-9 % measured on Gaussian matrices where most
groups survive, so the band pass still reads every cache line of the
matrix); only those are gathered (entries above the band are counted from
the histogram, entries below it are never clipped).  The column groups of a
row-major matrix are read row by row, a panel of 64 columns at a time (their
histogram tables stay in L1, the next rows' segments are prefetched; the
band gather keeps each entry's column and buckets the panel's entries by
column).  Other groups are read contiguously: rows in place, and columns of
a matrix with strided rows from a copy of a block of columns
(``_group_entries``).

Bands predicted from a sample (``predicted_bands``; matrices of 8 MiB or more)
------------------------------------------------------------------------------
No histogram.  A sample of the groups (about 2 MiB, at least 32 groups;
blocks of 64 consecutive column groups: ``sample_ranks``) is projected
exactly by the driver (``_l1inf._project_sample``: the in-cache path) at the
radius scaled by its share of :math:`\sum_g M_g`; its levels are fitted on
:math:`M_g`, :math:`S_g/n` and, for column groups, the root mean square
magnitude :math:`\sqrt{Q_g/n}` (least squares; step 1 sums the squares
:math:`Q_g` with the norms), every group's level is predicted by the fit
and the predictions shifted together to add up to :math:`\eta`.  Each band
is 6 standard deviations of the fit's residuals either side (0.5-8 % of the
entries on Gaussian 1000 x 10000, 2000 x 10000 and 300 x 60000 matrices at
10-90 % of the norm, against 45-90 % in the rigorous range of a first
histogram; the third feature halves the residuals at half of the norm,
and 6 rather than 5 standard deviations made levels outside their bands
rarer: 6 runs of those 60 had any, against 12 with two features and 5);
one read gathers it and counts and sums the entries above it (rows by
AVX-512/AVX2 compress; column groups along whole rows, 16 rows at a time,
each panel of 64 columns' pairs bucketed by column after the last row, or
on wider matrices four rows at a time in panels of 64 columns, prefetched
16 rows ahead; the same bits either way and with the Cython loop:
``_gather_band_ranges``).
The solve starts from :math:`\theta(V)` with :math:`V_g` the entries above
the bands (``band_lower_bound``).  Measured per entry on 1000 x 10000
float32 column groups (CPU time, load under 1 on 2 cores): sample 0.1-0.13
ns, band 0.6-0.75 ns, solve 0.06-0.17 ns (the widest bands, at half of the
norm, cost the most); about 1.8-2.4 times the histogram path's speed where
the bands are narrow.

Bands from a subsample of every group (``subsampled_bands``; few long groups)
------------------------------------------------------------------------------
Where no sample of whole groups is taken (most of the groups, or fewer than
32 of them) or it would be more than five times its 2 MiB (groups of
hundreds of KiB: 100 rows of 100000), every live group is subsampled
instead, about 2 MiB in all (rows: a cache line's entries every ``spacing``
lines; columns of a float64 matrix: a row every ``spacing`` rows; at least
512 entries a group), and the subsample is projected at the radius itself
(``_l1inf._subsampled_bands``): m of a group's n entries scale its h_g by
about m / n, so the same levels come at theta scaled alike.  Each level is
then moved by a control variate, the subsample's error on the group's exact
l1 norm (its extremes, held or missed, move both), and banded by the
standard error left, either side (five of them; a quarter of the move
more).  Where a level has fewer than 32 subsampled entries above it (high
levels of short or heavy-tailed groups), the sample of whole groups or the
histograms take over.  Float32 column groups keep the passes over the whole
matrix, which read them along the rows faster.  Measured (issue 14, the AMD
Zen 4, single calls interleaved, at radii keeping 50 and 90 % of
``bilevel_l1inf``'s groups and 10 and 50 % of the norm, subsample / before,
load 1.0-1.3): 100 x 100000 row groups float32 0.51-0.61 of the time,
float64 0.48-0.53; 64 x 200000 0.37-0.47 and 0.22-0.26 (the sample of
whole groups, half of them there, cost most); 30 x 300000, 16 x 500000 and
8 x 1000000 float64 0.37-0.60, float32 0.82-1.14 (1.04-1.14 at half the
norm, where the passes had run); float64 column groups 100000 x 100
0.57-0.58, 300000 x 30 0.39-0.53; 200 x 50000 float64 0.73-1.08; 300 x
30000 and 200 x 50000 float32 even.

The solve and its check (``solve_on_bands``)
--------------------------------------------
The band model is exact for levels inside the bands.  Nothing is assumed of
either way of finding them beyond that: after the solve, if a level left
its band (a prediction off by more than its band, or rounding at the edge
of a histogram's band), the rounds have dropped entries and raised bounds
for the wrong model, so every band is gathered again -- the groups that
failed whole -- and the solve starts over.  Whole groups are exact at any
level and never fail again, so this ends.

Memory: the envelopes (40 doubles per live group), a block of columns of at
most 1 MiB, and two doubles per column for the range gather, allocated here
on demand into the driver's ``Work`` (``_l1inf_work.pxd``) and freed with
it.
"""

from libc.math cimport fabs, sqrt, INFINITY
from libc.string cimport memcpy, memset
from libc.stdint cimport INT32_MAX, int32_t
# Work memory kept for the next call (no page faults on it; ``_scratch_cache``).
from skproj.projections._scratch_cache cimport scratch_free as free, scratch_malloc as malloc
from cython cimport floating
from skproj.projections._common cimport prefetch
from skproj.projections._streaming cimport NextPanel, element_step, prefetch_rows, row_at
from skproj.projections._l1inf_lists cimport (
    BINS, MAX_FEATURES, SLACK, SLOTS, Envelope, GroupLists, PairSegments, append_pairs,
    append_sources,
    band_violations, chord_level, chord_upper_bound, envelope_above, envelope_bounds,
    envelope_roots, feature_count, fill_envelope, group_features, reserve, solve, solve_linear,
    start_roots,
)
from skproj.projections._l1inf_strips cimport (
    PHASE_BAND, PHASE_ENVELOPES, PHASE_HISTOGRAMS, SMALL_LANES, lap, now, pass_layout,
    passes_along_rows, passes_simd, small_layout,
)
from skproj.projections._l1inf_work cimport (
    GroupGather, GroupsPart, Work, append_lists, gather_groups, part_room, reserve_pair_buffers,
    reserve_pairs, skp_run_halves,
)
from skproj.projections._l1 cimport (
    HALVES_BYTES, Halves, group_split, half_threads, run_halves, set_block,
)

import numpy as np

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
    enum:
        SKP_RANGE_ROOM
        SKP_SLOT_BAND_ROOM
    int skp_l1inf_have_avx2()
    int skp_l1inf_set_avx512(int on)
    int skp_l1inf_cpu_is_amd()
    int skp_cpu_zen5_or_later()
    int skp_l1inf_cpu_has_avx512()
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

# Benchmark hook (``_phase_times``): the number of histogram passes of the

# The AVX2 loops of _l1inf_simd.h (histogram slots, band gathers) run where
# the CPU has AVX2 (``_set_testing`` may turn them off) ...
cdef bint _avx2 = skp_l1inf_have_avx2()
# ... and the band gathers with AVX-512 where the CPU has it (F and VL).
skp_l1inf_set_avx512(True)
# Testing hook (``_set_testing``): make the bands too narrow for half of the
# groups (the check after the solve must then gather them again).
cdef bint _narrow_bands = False
# Bracketing histogram passes stop once the bands hold this share of entries.
cdef double _BAND_SHARE = 0.12

# Bands from a sample: matrices of at least _SAMPLED_MIN_BYTES take them (0:
# never); the sample is about _SAMPLE_BYTES, at least _SAMPLE_MIN_GROUPS
# groups, in blocks of _SAMPLE_BLOCK consecutive column groups (whole cache
# lines of each row); each band is _SAMPLE_SIGMAS standard deviations of the
# fit either side of its level.
cdef Py_ssize_t _SAMPLED_MIN_BYTES = 1 << 23
cdef Py_ssize_t _SAMPLE_BYTES = 1 << 21
cdef Py_ssize_t _SAMPLE_MIN_GROUPS = 32
cdef Py_ssize_t _SAMPLE_BLOCK = 64
# ... and at most this share of the live groups (``sample_ranks``).
cdef double _SAMPLE_MAX_SHARE = 0.5
cdef double _SAMPLE_SIGMAS = 6.0
# The sampled bands are predicted where at most 1 / _SAMPLE_MAX_ZEROED of the
# sample is zeroed (``_fit_levels``), not only where none is: float32 512 x
# 8000 keeping 97.5 % of the groups left the histograms at 3.14 ns an entry
# for the sampled bands' 1.27 (issue 14, an AMD Zen 5, thread time).
cdef Py_ssize_t _SAMPLE_MAX_ZEROED = 4
# Predicted bands estimated to hold more than this share of the entries
# (float32 row groups' and float64 column groups'; see below; estimated on
# about _SHARE_ENTRIES entries of the sample, before the gather) are not
# gathered where the passes of the in-cache path can take the whole matrix
# instead (``predicted_bands``; 0: always gathered).  Heavy tails make them
# so: the fit's residuals follow the extremes of the groups, and a band of
# six of them held most of each group (issue 14, an Intel Xeon, Cauchy
# 1000 x 10000 float32 at radii where bilevel_l1inf keeps half of the
# groups: 41 times bilevel_l1inf's time, 100 ms in the gather and 121 in
# the rounds on its lists; the passes 3.5-5.3 times).  Gaussian bands hold
# 0.5-8 %.  The share is float32 row groups' and float64 column groups'
# (whose passes read strips of them: the lanes layout); float64 row groups'
# is one and a half times it, float32 column groups' a hundredth of it: a
# pass costs by the byte, a band by the entry.  (A tenth
# rather than a quarter: Student t(3) float32 1000 x 10000, column groups,
# 7.2-9.1 -> 5.5-5.8 times bilevel_l1inf where the bands held 11 %;
# Gaussian, Laplace, t(5) alike; but in float64 the passes took 61 ms where
# bands of 10-15 % took 46, an Intel Xeon.  Float64's was twice it, which
# let bands of 20 % through: issue 14, an AMD Zen 5, times bilevel_l1inf,
# float64 column groups, Cauchy 1000 x 10000 at the radius keeping 90 % of
# its groups 4.86-8.8, where the passes took 3.14-3.21; Student t(3)
# 300 x 30000 at 10 % kept and at a tenth of the norm 6.24 and 6.62, the
# passes 3.82 and 3.78; 1000 x 10000 at 10 % kept and a tenth of the norm
# 4.27 and 4.38 at 1.5 times the share, 3.79 and 3.39 at the share.  Row
# groups keep 1.5: Student t(3) 1000 x 10000 at 1 % kept 3.98 at 1.5, 6.19
# at 1.  The other cells of the Gaussian, Student t(3) and Cauchy tables,
# 1000 x 10000, 300 x 30000 and 4000 x 2500 on either axis, 0.96-1.05 of
# the time.)  Float32 column groups read as strips by the AVX-512 passes: a
# hundredth of it (a testing switch, ``along_rows_passes``), where those
# passes (along the rows a block of rows at a time, or each strip while the
# rows ahead are prefetched) took less than most Gaussian bands of 0.5-8 %:
# issue 14, the Zen 5, times bilevel_l1inf at radii keeping 10, 50, 90 % of
# its groups and a tenth and half of the norm, 10 % -> 0.1 %: Gaussian
# 1000 x 10000 2.62, 2.62, 2.94, 2.84, 3.47 -> 2.63, 2.07, 2.34, 2.24, 2.58;
# 300 x 30000 3.34, 4.43, 4.38, 4.04, 5.51 -> 3.33, 2.59, 3.02, 2.73, 3.38;
# 2000 x 5000, 4000 x 2500 and 10000 x 1000 0.74-0.93 of the time (at 10 %
# kept even); Student t(3) at 1 % kept 5.54 -> 3.97 (1000 x 10000), 9.80 ->
# 4.77 (300 x 30000); the other heavy-tail cells and 200 x 50000, 100 x
# 100000, 8 x 100000 (the sampled-bracket path) 0.96-1.03.  No sample at
# all (the passes first, as ``passes_before_any_band``) took less still on
# Gaussian matrices (1000 x 10000 1.78-2.26), but Cauchy 1000 x 10000 at 1 %
# kept and a tenth of the norm 3.4 and 4.1, where the sample leads to 1.36
# and 1.03.  Float64 column groups: even with 0.1 % (1000 x 10000 2.04-2.52
# -> 2.00-2.36 at 10 %).
cdef double _WIDE_BAND_SHARE = 0.1
cdef double _DOUBLE_BAND_FACTOR = 1.5, _FLOAT_STRIPS_FACTOR = 0.01
# Where those passes read the matrix along its rows (AVX2 alone, column
# groups: ``passes_along_rows``), a pass costs little more than a read, and
# they come before bands of any share (``passes_before_any_band``: then no
# sample predicts them).  First float32 any band, float64 bands of more
# than 3 %, from the sample's prediction: issue 14, a Zen 3,
# single calls interleaved, times bilevel_l1inf at radii keeping 50 and 90 %
# of its groups and 10 and 50 % of the norm, bands / passes: Gaussian
# float32 1000 x 10000 (bands of 0.8-4.3 %) 3.74-4.54 / 2.17-3.50, 2000 x
# 5000 3.71-5.00 / 2.69-3.64, 4000 x 2500 3.53-3.95 / 2.81-3.31, 300 x 30000
# 5.16-7.04 / 3.04-3.23, 10000 x 1000 (0.3-1.2 %) 2.81-3.61 / 2.40-3.62;
# Laplace 4.19-6.25 / 2.51-3.97, Student t(5) 3.32-5.96 / 2.59-3.36.
# Gaussian float64 even or better by bands of less than 3 % (2.02-2.66 /
# 1.97-2.80: 10000 x 1000 2.10 / 2.71), the passes better from 3.4 % on,
# but one even cell (Gaussian 300 x 30000 at 5 %, 2.73 / 2.90): Laplace
# 2.37-3.38 / 2.24-2.96, Student t(5) 2.60-3.73 / 2.11-3.38, t(3) (11 %)
# 4.63-6.45 / 2.84-4.12.  Without the sample, float64's passes won too
# (single calls interleaved, times bilevel_l1inf at 50 and 90 % kept and
# 10 and 50 % of the norm, sample and bands under 3 % -> passes alone,
# two runs: Gaussian 100 x 100000 2.51-3.52 -> 2.07-2.69, 1000 x 10000
# 2.00-2.86 -> 1.84-2.51, 200 x 50000 2.37-4.83 -> 2.33-2.68, 300 x 30000
# 2.34-3.51 -> 1.91-2.95, 10000 x 1000 1.86-2.67 -> 1.86-2.64 (10 % of the
# norm 2.37 -> 2.64 in one run, 2.13 -> 2.15 in the other); Laplace 1000 x
# 10000 2.22-3.73 -> 1.88-3.02).  Row groups read no faster by passes:
# their bands keep _WIDE_BAND_SHARE.
cdef bint _along_rows_passes = True      # (testing: _set_testing)
cdef Py_ssize_t _SHARE_ENTRIES = 1 << 14
cdef Py_ssize_t _SHARE_GROUPS = 64
# Where the sample's levels cannot be fitted (a share of its groups zeroed),
# a matrix whose sampled entries are more than this share zeros takes the
# passes too, rather than the histograms: reuters_r8's word counts (751 x
# 8790, 1 % non-zero) took 3 histogram passes and bands of their first bins,
# 8-38 times bilevel_l1inf's time, the passes 1.9-3.5 (issue 14, an Intel
# Xeon, in one process: 0.07-0.40 of the time where the histograms ran,
# Gaussian matrices unchanged; Student t(3) matrices, without zeros, lost
# up to 46 % where the passes took them in place of the histograms).
cdef double _ZERO_SHARE = 0.5
# ... and where _FAILED_FIT_PASSES, every matrix whose sample's levels cannot
# be fitted: row groups of Cauchy entries at radii keeping a tenth to half of
# the groups, whose histograms' ranges [L_g, U_g] span the extremes, took 2
# or 3 histogram passes of about 1.5 ns an entry each and wide bands (issue
# 14, an Intel Xeon, single calls interleaved in one process, times
# bilevel_l1inf, histograms -> passes: float32 1000 x 10000 at 10 % of the
# groups kept 6.71 -> 3.00, at half of ||Y||_1,inf 4.38 -> 2.72, another
# seed at half of the groups kept 5.24 -> 3.20; float64 at half of the
# groups kept 4.72 -> 2.44; float32 512 x 8000 7.17 -> 3.78, 300 x 30000
# at half of the norm 13.89 -> 5.18).  No Gaussian, Laplace, uniform or
# Student t(3) matrix of 8-80 MB measured (10 shapes, both axes, 1-90 % of
# the groups kept and 10 and 50 % of the norm) took this branch, nor Cauchy
# column groups; those that did not were unchanged.
cdef bint _FAILED_FIT_PASSES = True
# Rows of column groups gathered together, the columns of a panel and the
# rows ahead whose segment of the panel is prefetched, into L1
# (``gather_ranges_columns``).  Issue 14, an AMD Zen 5, single calls
# interleaved, the exact ball at 10 % and 50 % of ||Y||_1,inf, times a
# copy, panels of 1024 columns without a prefetch -> 64 columns, 16 rows
# ahead: 1000 x 10000 float32 8.42 -> 5.81, 9.24 -> 6.68; float64 4.98 ->
# 3.60, 5.33 -> 4.03; 10000 x 1000 float32 6.82 -> 5.01, 6.69 -> 5.30;
# float64 4.42 -> 3.02, 4.55 -> 3.14; 2000 x 5000 float32 8.24 -> 5.73,
# 7.94 -> 5.98; float64 5.25 -> 3.47, 5.50 -> 3.73; 300 x 30000 float32
# 9.81 -> 7.53, 11.97 -> 9.13; float64 9.75 -> 6.23, 7.00 -> 5.25.  The
# read had waited on memory (perf: half the gather's samples on its loads):
# a row's segment of 1024 float32 columns is 64 lines, which the hardware
# prefetchers take up again at every row.  The prefetch alone, on panels of
# 1024 columns, gained 7-13 %; narrower panels the rest (128 columns 0.6-7 %
# slower than 64; 32 about the same), where the panel's pairs, bucketed
# after it, stay in L1.  Into L2 only: 1.0-1.15 times the time; 8 or 24
# rows ahead: within 1-7 % of 16.  The job runs on from a panel's last rows
# into the next live panel's first, whose rows would otherwise all wait on
# memory at once (100 x 100000 at radii keeping 10 % of bilevel_l1inf's
# groups, thread time, alternations of builds: the gather phase 0.94-0.96
# of its time in float32, 0.82-0.87 in float64; 1000 x 10000 even; 32 rows
# ahead no better).
cdef Py_ssize_t _RANGE_ROWS = 4
cdef Py_ssize_t _RANGE_PANEL = 64
cdef Py_ssize_t _RANGE_AHEAD = 16
# Matrices of up to _ROW_BLOCK_COLUMNS columns are read along whole rows
# instead, _BLOCK_ROWS rows at a time (``_range_row_blocks``): their bands
# and counters, 32 bytes a column, stay in L2 (1 MiB; 300 x 30000 float32
# 0.86-0.94 of the panels' time, float64 0.87-1.09), except where the CPU
# reads the panels faster (``_preferred_row_blocks``).  (testing:
# _set_testing) Blocks of 16 rows, and of 8 on AMD CPUs
# (``_preferred_block_rows``).
cdef Py_ssize_t _ROW_BLOCK_COLUMNS = 1 << 15


cdef bint _preferred_row_blocks() noexcept nogil:
    """Whether the band gather of column groups reads row blocks, as the CPU prefers.

    An Intel Xeon read row blocks faster than panels (``_range_row_blocks``);
    an AMD Zen 5 (AVX-512, 48 KiB of L1 and 1 MiB of L2 a core) the panels,
    whose rows it prefetches as asked, at every block size tried (issue 14,
    single calls interleaved, the exact ball at radii keeping 1, 10, 50 and
    90 % of bilevel_l1inf's groups and at 10 and 50 % of the norm, panels /
    blocks of 8 rows: float32 1000 x 10000 1.01, 0.76, 0.75, 0.76, 0.78,
    0.75; float64 1.00, 0.73-0.75; float32 4000 x 2500 0.73-0.77, 10000 x
    1000 0.78-0.81; float64 10000 x 1000 0.72-0.74, 500 x 8000 1.00,
    0.78-0.80; blocks of 4, 16 or 32 rows no better than 8 against the
    panels).  An AMD Zen 4 (AVX-512, 32 KiB of L1 a core) went the other
    way (2026-11-29, the same radii, blocks of 8 rows / panels: float64
    1000 x 10000 1.00, 0.85, 0.86, 0.89, 0.91, 0.89; 10000 x 1000 1.00,
    0.68, 0.74, 0.75, 0.74, 0.76; float32 1000 x 10000 1.00, 0.90, 0.98,
    0.99, 1.03, 1.01; 10000 x 1000 0.85, 0.89, 0.95, 0.96, 1.00, 0.98;
    blocks of 16 between the two).  So the Zen 5 and later
    (skp_cpu_zen5_or_later, with AVX-512 on) take the panels; a Zen 4, and a
    Zen 3 (no AVX-512), measured with the blocks alone, keep them.
    """
    return not (skp_cpu_zen5_or_later() and skp_l1inf_cpu_has_avx512())


cdef bint _ROW_BLOCKS = _preferred_row_blocks()


cdef Py_ssize_t _preferred_block_rows() noexcept nogil:
    """The rows of a block of the band gather along whole rows, as the CPU prefers.

    An Intel Xeon took longer with blocks of 8 or 32 rows than with 16
    (``_range_row_blocks``).  A Zen 3 took less with 8: its prefetchers
    follow fewer streams at once (the exact ball's passes along the rows
    too, ``skp_small_row_blocks256_f64`` in _l1inf_small.h).  Issue 14, the
    Zen 3, Gaussian column groups in the dense regime, the band phase's
    thread time, best of 9 interleaved, blocks of 16 / 8 rows: float64
    1000 x 10000 0.90-0.99 / 0.69-0.74 ns an entry (at half the norm
    1.18-1.22 / 1.19), 2000 x 5000 1.00-1.20 / 0.78-0.83, 300 x 30000
    1.06-1.37 / 0.78-1.08; float32 1000 x 10000 0.78-1.05 / 0.71-0.87, 2000 x
    5000 0.69-0.91 / 0.65-0.85, 300 x 30000 0.81-1.19 / 0.77-1.03; 4 rows
    between the two.  A Zen 5 reads panels instead (``_preferred_row_blocks``;
    its blocks of 16 or 32 rows took 0.87-0.93 of the time of 8 on float32
    1000 x 10000 and 2000 x 5000, 1.05-1.08 on float64, 4 the longest).
    """
    return 8 if skp_l1inf_cpu_is_amd() else 16


cdef Py_ssize_t _BLOCK_ROWS = _preferred_block_rows()
# Whether the bands' gathers of HALVES_BYTES or more run in two halves: blocks
# of rows (``_range_row_blocks``), halves of the live panels
# (``_range_panels``), halves of the groups read in place, one after the
# other (``_gather_bins``, ``_gather_ranges_by_group``); a testing switch.
cdef bint _gather_halves = True

# Benchmark hooks (``_l1inf._phase_times``, ``_l1inf._sampled_stats``).
cdef DenseStats _stats


cdef DenseStats* dense_stats() noexcept nogil:
    """The counters of the last call (the driver resets them, and keeps a
    nested call's apart)."""
    return &_stats


# ------------------------------------------------------------ memory

cdef bint _alloc_histograms(Work* w) noexcept nogil:
    """The envelopes of the live groups, and the block of columns."""
    cdef Py_ssize_t n = w.lists.n_active if w.lists.n_active > 0 else 1
    w.envelopes = <Envelope*> malloc(n * sizeof(Envelope))
    return _alloc_block(w) and w.envelopes != NULL


cdef bint _alloc_block(Work* w) noexcept nogil:
    """The block of columns of ``_group_entries`` (once per call)."""
    if w.block != NULL:
        return True
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


cdef bint _alloc_column_sums(Work* w, Py_ssize_t n_columns) noexcept nogil:
    """The per-column counts and sums of the range gather (once per call)."""
    if w.column_count == NULL:
        w.column_count = <double*> malloc(n_columns * sizeof(double))
        w.column_total = <double*> malloc(n_columns * sizeof(double))
    return w.column_count != NULL and w.column_total != NULL


# ------------------------------------------------------------ group access

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

# ------------------------------------------------------------ bands from histograms

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
    cdef double clock = now()
    if not _alloc_histograms(w):
        return False
    # Rigorous start: theta_0 <= theta^* <= theta_high (chords from (0, M_g)).
    for idx in range(n):
        g = lists.active[idx]
        lists.rate[g] = lists.maxima[g] / lists.sums[g]
        range_high[g] = chord_level(lists, g, theta_0)
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
        _stats.histogram_passes += 1
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


# ------------------------------------------------------------ the gather of the histograms' bands

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


# The band gather of column groups (``_gather_bins_columns``) makes room for
# the pairs of this many rows at a time (``_room_for_rows``), not for every
# entry of the panel at once: a panel of 64 columns of 100000 rows asked for
# 6.4 million pairs (77 MB), beyond what the work memory keeps
# (``_scratch_cache.h``), so every call page-faulted on them (issue 14)
# where its bands held a few per cent of them.
cdef Py_ssize_t _BAND_CHUNK_ROWS = 256


cdef inline bint _room_for_rows(Work* w, Py_ssize_t pos, Py_ssize_t i, Py_ssize_t n_rows,
                                Py_ssize_t m) noexcept nogil:
    """Room for the pairs of a panel of ``m`` columns from row ``i``, ``pos`` gathered.

    Every entry of the next _BAND_CHUNK_ROWS rows, and room past them for
    the vector stores; after the first chunk, as many pairs a row as it
    gathered, and a quarter more, for every row left (at most every entry
    left): one allocation rather than a doubling every few chunks.
    """
    cdef Py_ssize_t rows_left = n_rows - i
    cdef Py_ssize_t needed = pos + min(_BAND_CHUNK_ROWS, rows_left) * m + SKP_SLOT_BAND_ROOM
    if i == _BAND_CHUNK_ROWS:
        needed += min(pos * rows_left // i * 5 // 4, rows_left * m)
    return reserve_pairs(w, needed, pos)


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
        adjacent = _panel_ranges(w, p0, m, low, inv_width)
        for k in range(m):
            g = lists.active[p0 + k]
            first_slot[k] = w.edges_low[g] + 1
            last_slot[k] = w.edges_high[g]
            end_slot[k] = last_slot[k] + 1.0
            column[k] = <int32_t> g
        first = lists.active[p0]
        for i in range(n_rows):
            if i % _BAND_CHUNK_ROWS == 0 and not _room_for_rows(w, pos, i, n_rows, m):
                return False
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
        # (the lists of the first panel, and as many a column for the columns
        # after it, and a quarter more: one allocation, as the pairs')
        if p0 == 0 and not reserve(lists, lists.n_values + pos + pos * (n - m) // m * 5 // 4,
                                   lists.n_values):
            return False
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
    if (not groups_are_rows and y.strides[1] == sizeof(floating)
            and y.shape[1] <= INT32_MAX):
        return _gather_bins_columns(y, w)
    if _in_place(y, groups_are_rows):
        return _groups_in_place(y, w, groups_are_rows, _bins_list_of)
    for idx in range(lists.n_active):
        g = lists.active[idx]
        if not reserve(lists, pos + lists.group_size, pos):
            return False
        group = _group_entries(y, w, g, groups_are_rows, &step)
        lists.start[g] = pos
        pos = _bins_list(w, g, group, step, lists.values, pos)
    lists.n_values = pos
    return True


cdef inline bint _in_place(const floating[:, :] y, bint groups_are_rows) noexcept nogil:
    """Whether ``_group_entries`` reads y's groups in place (not by the block of
    columns it copies, which one thread at a time may use)."""
    return groups_are_rows or y.strides[1] != sizeof(floating)


cdef inline bint _groups_in_place(const floating[:, :] y, Work* w, bint groups_are_rows,
                                  GroupGather gather) noexcept nogil:
    """The live groups' lists by ``gather``, read in place (``gather_groups``:
    in two halves of them where they hold 16 MiB or more).  Issue 14, the
    AMD Zen 4, the exact ball of row groups on two threads, single calls
    interleaved against the build before (the same bits), at radii keeping
    10, 50, 90 % of bilevel_l1inf's groups and at 10, 50 % of the norm:
    float32 1000 x 10000 0.80-0.89 of the time, 10000 x 1000 0.88-0.99,
    4000 x 2500 0.87-1.00; float64 0.76-0.97, 0.86-0.95, 0.91-0.98."""
    return gather_groups(w, gather, <const void*> &y[0, 0], floating is float,
                         y.strides[0] if groups_are_rows else y.strides[1],
                         element_step(y.strides[1] if groups_are_rows else y.strides[0],
                                      sizeof(floating)),
                         w.lists.group_size, w.lists.active, w.lists.n_active, _gather_halves)


cdef inline Py_ssize_t _bins_list(Work* w, Py_ssize_t g, const floating* group, Py_ssize_t step,
                                  double* values, Py_ssize_t pos) noexcept nogil:
    """Group g's entries in its band bins at ``values[pos:]``; where its list ends."""
    cdef GroupLists* lists = &w.lists
    cdef double low = w.histogram_low[g], high = w.histogram_high[g]
    if step == 1:
        pos = _gather_bins_row(group, lists.group_size, 1, low, _inv_width(low, high),
                               w.edges_low[g] + 1, w.edges_high[g], values, pos)
    else:
        pos = _gather_bins_row(group, lists.group_size, step, low, _inv_width(low, high),
                               w.edges_low[g] + 1, w.edges_high[g], values, pos)
    lists.length[g] = pos - lists.start[g]
    return pos


cdef bint histogram_bands(const floating[:, :] y, Work* w, bint groups_are_rows, double eta,
                          double theta_0, double* theta_low) noexcept nogil:
    """Bracket every mu_g^* by histogram passes and gather the entries in the bands.

    Writes a lower bound of theta^* in ``theta_low`` (the start of
    ``solve_on_bands``).  False when memory ran out.
    """
    cdef double clock
    if not _dense_bands(y, w, groups_are_rows, eta, theta_0, theta_low):
        return False
    clock = now()      # _dense_bands times its own two phases
    if not _gather_bins(y, w, groups_are_rows):
        return False
    lap(PHASE_BAND, clock)
    return True


# ------------------------------------------------------------ bands predicted from a sample

# The band of a group is _SAMPLE_SIGMAS standard deviations of the fit's
# residuals either side of its predicted level (see the module docstring): one
# read gathers the bands (``_gather_band_ranges``) and counts the entries
# above them.  The same read gathers every band again when the solve finds a
# level outside its band, in either way of finding the bands.

cdef Py_ssize_t range_row(const floating* row, Py_ssize_t n, Py_ssize_t step, double lo,
                                  double hi, double* values, Py_ssize_t pos,
                                  Py_ssize_t* count_above, double* sum_above) noexcept nogil:
    """Gather the entries in (lo, hi); count and sum those >= hi (``skp_l1inf_range_row``).

    The sum goes to eight lanes (entry j to lane j mod 8), added up in the
    order of the SIMD loops: the same bits with or without them.  (Also the
    candidate gather of contiguous rows in ``_l1inf``: lo = -1.)
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
    if _in_place(y, groups_are_rows):
        return _groups_in_place(y, w, groups_are_rows, _range_list_of)
    for idx in range(lists.n_active):
        g = lists.active[idx]
        # (room past the list for the vector stores)
        if not reserve(lists, pos + lists.group_size + SKP_RANGE_ROOM, pos):
            return False
        group = _group_entries(y, w, g, groups_are_rows, &step)
        lists.start[g] = pos
        pos = _range_list(w, g, group, step, lists.values, pos)
    lists.n_values = pos
    return True


cdef inline Py_ssize_t _range_list(Work* w, Py_ssize_t g, const floating* group,
                                   Py_ssize_t step, double* values,
                                   Py_ssize_t pos) noexcept nogil:
    """Group g's entries in its band at ``values[pos:]``, those above counted
    and summed; where its list ends."""
    cdef GroupLists* lists = &w.lists
    # (from 0 at least: a group's zeros lie above no level, mu_g > 0 on
    # every kept group, so a sparse group gathered whole (band_low -inf,
    # ``_whole_bands``) leaves them out of its list; issue 14, an AMD Zen
    # 5, float32 1000 x 10000 row groups of 10 % nonzeros at 10 % of the
    # groups kept: 399 rows regathered whole, 4 million entries, 27 -> 6 ms)
    cdef double low = w.band_low[g] if w.band_low[g] > 0.0 else 0.0
    if step == 1:
        pos = range_row(group, lists.group_size, 1, low, w.band_high[g], values, pos,
                        &lists.above_count[g], &lists.above_sum[g])
    else:
        pos = range_row(group, lists.group_size, step, low, w.band_high[g], values, pos,
                        &lists.above_count[g], &lists.above_sum[g])
    lists.length[g] = pos - lists.start[g]
    return pos


cdef bint _bins_list_of(GroupsPart* part, Py_ssize_t idx) noexcept nogil:
    """``_bins_list`` of group ``part.subset[idx]``, read in place (a ``GroupGather``)."""
    return _band_list_of(part, idx, False)


cdef bint _range_list_of(GroupsPart* part, Py_ssize_t idx) noexcept nogil:
    """``_range_list`` of group ``part.subset[idx]``, read in place (a ``GroupGather``)."""
    return _band_list_of(part, idx, True)


cdef inline bint _band_list_of(GroupsPart* part, Py_ssize_t idx, bint ranges) noexcept nogil:
    """Group ``part.subset[idx]``'s list in the part's dtype: its band's range
    (``_range_list``, room past it for the vector stores) or bins."""
    cdef Py_ssize_t g = part.subset[idx]
    if not part_room(part, part.used + part.length + (SKP_RANGE_ROOM if ranges else 0)):
        return False
    part.w.lists.start[g] = part.used
    if part.single:
        part.used = _band_list(part.w, g, row_at(<const float*> part.y, part.group_stride, g),
                               part.step, part.values, part.used, ranges)
    else:
        part.used = _band_list(part.w, g, row_at(<const double*> part.y, part.group_stride, g),
                               part.step, part.values, part.used, ranges)
    return True


cdef inline Py_ssize_t _band_list(Work* w, Py_ssize_t g, const floating* group, Py_ssize_t step,
                                  double* values, Py_ssize_t pos, bint ranges) noexcept nogil:
    """``_range_list`` or ``_bins_list``."""
    if ranges:
        return _range_list(w, g, group, step, values, pos)
    return _bins_list(w, g, group, step, values, pos)


cdef inline Py_ssize_t _range_columns(const floating* row, Py_ssize_t row_stride,
                                      Py_ssize_t rows, Py_ssize_t n, Py_ssize_t first,
                                      const double* low, const double* high, double* count,
                                      double* total, double* values, int32_t* groups,
                                      Py_ssize_t pos) noexcept nogil:
    """``rows`` rows (``row_stride`` bytes apart) of the columns first .. first + n - 1.

    Appends the pairs (entry, column) of the entries a in (low[j], high[j])
    to ``values`` and ``groups`` (SKP_RANGE_ROOM slots of room past them for
    the vector stores), and counts and sums those >= high[j] into count[j] and
    total[j] (``low``, ``high``, ``count`` and ``total`` start at column
    ``first``).  AVX-512 or AVX2 where they run (``skp_l1inf_range_columns``),
    else the Cython loop: the pairs of a column in the order of the rows and
    the same counts and sums either way.
    """
    cdef Py_ssize_t r, j
    cdef const floating* line
    cdef double a
    if _avx2:
        if floating is double:
            return skp_l1inf_range_columns_f64(row, row_stride, rows, n, first, low, high,
                                               count, total, values, groups, pos)
        return skp_l1inf_range_columns_f32(row, row_stride, rows, n, first, low, high, count,
                                           total, values, groups, pos)
    for r in range(rows):
        line = row_at(row, row_stride, r)
        for j in range(n):
            a = fabs(line[j])
            values[pos] = a
            groups[pos] = <int32_t> (first + j)
            pos += (a > low[j]) & (a < high[j])
            count[j] += 1.0 if a >= high[j] else 0.0
            total[j] += a if a >= high[j] else 0.0
    return pos


cdef inline void _aim_ahead(NextPanel* ahead, Py_ssize_t p0, Py_ssize_t m,
                            Py_ssize_t itemsize) noexcept nogil:
    """Point the band gather's prefetch job at the first row of columns p0 .. p0 + m - 1."""
    ahead.first = p0 * itemsize
    ahead.end = (p0 + m) * itemsize
    ahead.row = 0


cdef bint gather_ranges_columns(const floating[:, :] y, Work* w) noexcept nogil:
    """The same for the column groups of a matrix with contiguous rows.

    A panel of _RANGE_PANEL columns at a time (their bands and counters, and
    the panel's pairs, stay in L1), the panels without a live column passed
    over, row by row (_RANGE_ROWS rows at a time with the SIMD loops), the
    panel's segment of the row _RANGE_AHEAD rows ahead prefetched, on into
    the next live panel (see there: the hardware prefetchers do not follow a
    row stride); the pairs (entry, column) of a panel are bucketed by column
    after it (the buckets of a whole row of columns lie too far apart: that
    bucketing cost more than the read).  Matrices of up to
    _ROW_BLOCK_COLUMNS columns are read along whole rows instead, each
    panel's pairs kept apart until the last row (``_range_row_blocks``): the
    same lists.  The counts and sums above the bands add up in
    ``column_count`` and ``column_total``, in the order of the rows.  The
    columns left out get an empty band (+inf, +inf): nothing gathered,
    nothing above it.
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t n_cols = y.shape[1], j, idx, g, next_live = 0
    cdef double* low = w.band_low
    cdef double* high = w.band_high
    cdef _Panels panels
    cdef bint done
    if not _alloc_column_sums(w, n_cols):
        return False
    for idx in range(lists.n_active + 1):
        # The columns between two live ones (``active`` increases).
        g = lists.active[idx] if idx < lists.n_active else n_cols
        for j in range(next_live, g):
            low[j] = INFINITY
            high[j] = INFINITY
        next_live = g + 1
    for j in range(n_cols):
        w.column_count[j] = 0.0
        w.column_total[j] = 0.0
    if not _live_panels(&panels, lists, n_cols):
        return False
    # (not the failed groups gathered whole, ``_regather_failed``: every
    # entry a pair, held until the last row, 12 bytes each)
    if (_ROW_BLOCKS and n_cols <= _ROW_BLOCK_COLUMNS and lists.n_active > 0
            and low[lists.active[0]] != -INFINITY):
        done = _range_row_blocks(y, w, &panels)
    else:
        done = _range_panels(y, w, &panels)
    free(panels.first)
    if done:
        for idx in range(lists.n_active):
            g = lists.active[idx]
            lists.above_count[g] = <Py_ssize_t> w.column_count[g]
            lists.above_sum[g] = w.column_total[g]
    return done


cdef struct _Panels:
    # The live panels of _RANGE_PANEL columns (those holding a live column)
    # of the column gather along whole rows (``_range_row_blocks``): panel k
    # holds the columns first[k] .. first[k] + width[k] - 1, the live ones
    # of ranks rank[k] .. rank[k + 1] - 1.
    Py_ssize_t n
    Py_ssize_t columns      # their columns, all panels together
    Py_ssize_t* first
    Py_ssize_t* width
    Py_ssize_t* rank


cdef bint _live_panels(_Panels* p, const GroupLists* lists, Py_ssize_t n_cols) noexcept nogil:
    """The panels holding a live column (``p.first`` allocated here; False when out of memory)."""
    cdef Py_ssize_t most = (n_cols + _RANGE_PANEL - 1) // _RANGE_PANEL, r = 0, p0
    p.n = 0
    p.columns = 0
    p.first = <Py_ssize_t*> malloc((3 * most + 1) * sizeof(Py_ssize_t))
    if p.first == NULL:
        return False
    p.width = p.first + most
    p.rank = p.width + most
    while r < lists.n_active:
        # (``active`` increases; the panels start at multiples of _RANGE_PANEL)
        p0 = lists.active[r] - lists.active[r] % _RANGE_PANEL
        p.first[p.n] = p0
        p.width[p.n] = min(n_cols - p0, _RANGE_PANEL)
        p.rank[p.n] = r
        p.columns += p.width[p.n]
        while r < lists.n_active and lists.active[r] < p0 + _RANGE_PANEL:
            r += 1
        p.n += 1
    p.rank[p.n] = r
    return True


cdef bint _range_panels(const floating[:, :] y, Work* w, const _Panels* panels) noexcept nogil:
    """``gather_ranges_columns`` a panel at a time, down its rows.

    Live panels of HALVES_BYTES or more in all are read in two halves of
    them, the second on a thread of its own where two CPUs are free
    (``skp_run_halves``), with pairs and lists of its own, its lists then
    appended after the first half's (``append_lists``): the same lists,
    counts and sums (each column's its own), whatever the threads.  Issue
    14, the AMD Zen 4 (which reads row blocks by default; the panels forced),
    the exact ball of column groups on two threads, single calls
    interleaved against the build before (the same bits), halves / one, at
    radii keeping 10 and 50 % of bilevel_l1inf's groups and at 10 and 50 %
    of the norm, where the range gather runs: float64 1000 x 10000
    0.77-0.81, 10000 x 1000 0.80-0.90, 300 x 30000 0.76-0.82; float32 at 10
    % kept 0.74, 0.81, 0.80 (its other radii take the passes: 0.97-1.02).
    """
    cdef GroupLists second_lists
    cdef _PanelRange first, second
    cdef Py_ssize_t n_rows = y.shape[0], split = 0
    cdef bint done
    first.w, first.lists, first.panels = w, &w.lists, panels
    first.y, first.single = <const void*> &y[0, 0], floating is float
    first.row_stride, first.n_rows = y.strides[0], n_rows
    first.k0, first.k1 = 0, panels.n
    first.values, first.groups, first.capacity = w.pair_values, w.pair_groups, w.pair_capacity
    if (_gather_halves and panels.n >= 2
            and panels.columns * n_rows * <Py_ssize_t> sizeof(floating) >= HALVES_BYTES):
        split = panels.n // 2
    if split == 0:
        _run_panel_range(&first)
        w.pair_values, w.pair_groups, w.pair_capacity = first.values, first.groups, first.capacity
        return first.done
    # (the second half's lists apart: a copy of the lists' struct, the
    # per-group arrays shared, each half writing its own groups' slots)
    second_lists = w.lists
    second_lists.values, second_lists.capacity, second_lists.n_values = NULL, 0, 0
    second = first
    first.k1 = second.k0 = split
    second.lists = &second_lists
    second.values, second.groups, second.capacity = NULL, NULL, 0
    skp_run_halves(_run_panel_range, &first, &second, half_threads())
    w.pair_values, w.pair_groups, w.pair_capacity = first.values, first.groups, first.capacity
    done = first.done and second.done and append_lists(
        &w.lists, second_lists.values, second_lists.n_values, w.lists.active + panels.rank[split],
        panels.rank[panels.n] - panels.rank[split])
    free(second.values)
    free(second.groups)
    free(second_lists.values)
    return done


ctypedef struct _PanelRange:
    # The panels k0 .. k1 - 1 of ``_range_panels``, their pairs (grown as it
    # gathers) bucketed into ``lists`` (the work's, or a copy of it whose
    # values are this half's own).
    Work* w
    GroupLists* lists
    const _Panels* panels
    const void* y
    bint single, done
    Py_ssize_t row_stride, n_rows, k0, k1, capacity
    double* values
    int32_t* groups


cdef void _run_panel_range(void* pointer) noexcept nogil:
    """``_panel_range`` in the record's dtype (skp_half_job)."""
    cdef _PanelRange* r = <_PanelRange*> pointer
    if r.single:
        r.done = _panel_range(r, <const float*> r.y)
    else:
        r.done = _panel_range(r, <const double*> r.y)


cdef bint _panel_range(_PanelRange* r, const floating* base) noexcept nogil:
    """The panels ``r.k0 .. r.k1 - 1``, each down its rows, the panel's
    segment of the row _RANGE_AHEAD rows ahead prefetched, on into the next
    panel of the range; False where memory ran out."""
    cdef Work* w = r.w
    cdef const _Panels* panels = r.panels
    cdef Py_ssize_t n_rows = r.n_rows, s0 = r.row_stride
    cdef Py_ssize_t i, k, rows, m, p0, pos, rows_left, next_p0
    cdef NextPanel ahead
    ahead.base = <const char*> base
    ahead.stride = s0
    ahead.lines = NULL
    ahead.n_lines = 0
    ahead.into_l1 = True
    ahead.n_rows = n_rows
    ahead.first = -1      # (aimed at no panel yet)
    ahead.end = ahead.row = 0
    for k in range(r.k0, r.k1):
        p0 = panels.first[k]
        m = panels.width[k]
        # The first rows of the panel, unless the panel before asked for them.
        if ahead.first != p0 * <Py_ssize_t> sizeof(floating):
            _aim_ahead(&ahead, p0, m, sizeof(floating))
        prefetch_rows(&ahead, _RANGE_AHEAD - ahead.row if ahead.row < _RANGE_AHEAD else 0)
        pos = 0
        i = 0
        while i < n_rows:
            # (room past the pairs for the vector stores)
            if not reserve_pair_buffers(&r.values, &r.groups, &r.capacity,
                                        pos + _RANGE_ROWS * m + SKP_RANGE_ROOM, pos):
                return False
            rows = n_rows - i if n_rows - i < _RANGE_ROWS else _RANGE_ROWS
            if ahead.row + rows > n_rows and k + 1 < r.k1:
                # Past this panel's last row: on into the next live panel's rows.
                rows_left = n_rows - ahead.row
                prefetch_rows(&ahead, rows_left)
                next_p0 = panels.first[k + 1]
                _aim_ahead(&ahead, next_p0, panels.width[k + 1], sizeof(floating))
                prefetch_rows(&ahead, rows - rows_left)
            else:
                prefetch_rows(&ahead, rows)
            pos = _range_columns(row_at(base, s0, i) + p0, s0, rows, m, p0,
                                 w.band_low + p0, w.band_high + p0, w.column_count + p0,
                                 w.column_total + p0, r.values, r.groups, pos)
            i += rows
        if not append_pairs(r.lists, r.values, r.groups, pos,
                            r.lists.active + panels.rank[k], panels.rank[k + 1] - panels.rank[k],
                            w.bucket_cursor):
            return False
    return True


cdef bint _range_row_blocks(const floating[:, :] y, Work* w, const _Panels* panels) noexcept nogil:
    """``gather_ranges_columns`` along whole rows, _BLOCK_ROWS rows at a time.

    Each row block appends the pairs of each live panel in turn to one
    stream (a segment per block and panel, ``starts``); after the last
    block, each panel's segments are bucketed by column (``append_sources``):
    the same lists, counts and sums, in the same order, as the panels'
    gather.  The rows are read as the hardware prefetchers follow them (a
    stream per row of the block), where a panel's rows, a row stride apart,
    waited on the prefetches asked for (perf: a quarter of the exact ball's
    time in the gather and its prefetches on float32 1000 x 10000 at half
    the norm).  The bands and counters stay in L2 (_ROW_BLOCK_COLUMNS).
    Issue 14, an Intel Xeon, single calls interleaved, the exact ball at
    radii keeping 10-90 % of bilevel_l1inf's groups and at 10 and 50 % of
    the norm, rows / panels: float32 1000 x 10000 0.89-0.92, float64
    0.91-0.94, float32 2000 x 5000 0.86-0.90, 4000 x 2500 0.78-0.91,
    10000 x 1000 0.82-0.99, 300 x 30000 0.86-0.94; at 1 % kept (few live
    panels) 0.89-1.08.  Blocks of 8 or 32 rows took longer than 16 there,
    blocks of 8 less on a Zen 3 (``_preferred_block_rows``); a bucket of
    its own for each panel (grown as it fills) as long as this (its
    allocations and copies).
    The pairs of the whole gather are held at once (12 bytes each), where
    the panels held one panel's: bands hold a few per cent of the entries
    (wider ones go to the passes, _WIDE_BAND_SHARE), and the groups gathered
    whole after a failed solve take the panels.

    A matrix of HALVES_BYTES or more is read in two blocks of rows (split as
    its rows would be as groups, ``group_split``), the second on a thread of
    its own where two CPUs are free (``run_halves``), each with pairs,
    counts and sums of its own (``_RangeRows``): each column's pairs are
    bucketed from the first block's, then the second's (the same lists), and
    its count and sum above its band are the first block's plus the
    second's, whatever the threads.  Issue 14, the AMD Zen 4, the exact
    ball on two threads, single calls interleaved against the build before,
    halves / whole: the candidates' gather at radii keeping 10 % of
    bilevel_l1inf's groups (most columns live) 0.84 of the time on float32
    and float64 1000 x 10000 and 10000 x 1000, 0.84-0.88 on 300 x 30000
    (the same bits); float64's bands at 50 and 90 % of the groups kept and
    at 10 and 50 % of the norm 0.85-0.87 on 1000 x 10000, 0.82-0.87 on
    10000 x 1000, 0.86-0.90 on 300 x 30000 (the levels within their last
    bits: the sums above the bands add up block after block).
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t n_cols = y.shape[1], k, j
    cdef Py_ssize_t split = group_split(y, True) if _gather_halves else 0
    cdef Halves whole
    cdef _RangeRows first, second
    cdef PairSegments sources[2]
    cdef bint done
    first.panels, first.low, first.high = panels, w.band_low, w.band_high
    first.count, first.total = w.column_count, w.column_total
    # (the first block gathers into the work's buffers, the second into its own)
    first.values, first.groups, first.capacity = w.pair_values, w.pair_groups, w.pair_capacity
    first.starts, first.n_pairs, first.n_blocks = NULL, 0, 0
    second = first
    second.values, second.groups, second.capacity = NULL, NULL, 0
    second.count = second.total = NULL
    second.done = True
    if split:
        second.count = <double*> malloc(2 * n_cols * sizeof(double))
        if second.count == NULL:
            return False
        second.total = second.count + n_cols
        memset(second.count, 0, 2 * n_cols * sizeof(double))
    set_block(&whole, y, NULL, 0, 0)
    whole.job32 = _range_rows_half[float]
    whole.job64 = _range_rows_half[double]
    run_halves(&whole, split, True, &first, &second)
    w.pair_values, w.pair_groups, w.pair_capacity = first.values, first.groups, first.capacity
    done = first.done and second.done
    if done and split:
        for k in range(panels.n):
            for j in range(panels.first[k], panels.first[k] + panels.width[k]):
                w.column_count[j] += second.count[j]
                w.column_total[j] += second.total[j]
    if done:
        done = reserve(lists, lists.n_values + first.n_pairs + second.n_pairs, lists.n_values)
    k = 0
    while done and k < panels.n:
        sources[0].values, sources[0].groups = first.values, first.groups
        sources[0].starts, sources[0].n_segments = first.starts + k, first.n_blocks
        sources[1].values, sources[1].groups = second.values, second.groups
        sources[1].starts, sources[1].n_segments = second.starts + k, second.n_blocks
        sources[0].stride = sources[1].stride = panels.n
        done = append_sources(lists, sources, 2 if split else 1,
                              lists.active + panels.rank[k], panels.rank[k + 1] - panels.rank[k],
                              w.bucket_cursor)
        k += 1
    free(first.starts)
    free(second.starts)
    free(second.values)
    free(second.groups)
    free(second.count)
    return done


ctypedef struct _RangeRows:
    # The band gather of a block of rows (``_range_row_blocks``): the live
    # panels and the bands, shared; the block's own pairs (grown as it
    # gathers; a segment per row block and panel, ``starts``), and its counts
    # and sums above the bands (by column).
    const _Panels* panels
    const double* low
    const double* high
    double* count
    double* total
    double* values
    int32_t* groups
    Py_ssize_t capacity, n_pairs, n_blocks
    Py_ssize_t* starts
    bint done


cdef void _range_rows_half(void* pointer, const floating[:, :] y, floating[:, :] x) noexcept nogil:
    """The pairs, counts and sums of the rows of ``y`` (a block of rows, or
    all of them: ``run_halves``; ``x`` unused) into its ``_RangeRows``,
    _BLOCK_ROWS rows at a time, each block's pairs panel after panel
    (``_range_row_blocks``); ``done`` False where memory ran out."""
    cdef _RangeRows* r = <_RangeRows*> pointer
    cdef const _Panels* panels = r.panels
    cdef Py_ssize_t n_rows = y.shape[0], s0 = y.strides[0], i = 0, k, rows, p0, pos = 0
    cdef Py_ssize_t block = 0, expected
    cdef const char* base = <const char*> &y[0, 0]
    r.done = False
    r.n_blocks = (n_rows + _BLOCK_ROWS - 1) // _BLOCK_ROWS
    r.starts = <Py_ssize_t*> malloc((r.n_blocks * panels.n + 1) * sizeof(Py_ssize_t))
    if r.starts == NULL:
        return
    while i < n_rows:
        rows = min(_BLOCK_ROWS, n_rows - i)
        # (room past the pairs for the vector stores; after the first block,
        # for as many pairs a block as it gathered, and a quarter more, but
        # never more than every entry left)
        expected = rows * panels.columns + SKP_RANGE_ROOM
        if block == 1:
            expected += min(pos * r.n_blocks + pos * r.n_blocks // 4, n_rows * panels.columns)
        else:
            expected += pos
        if not reserve_pair_buffers(&r.values, &r.groups, &r.capacity, expected, pos):
            return
        for k in range(panels.n):
            p0 = panels.first[k]
            r.starts[block * panels.n + k] = pos
            pos = _range_columns(<const floating*> (base + i * s0) + p0, s0, rows,
                                 panels.width[k], p0, r.low + p0, r.high + p0, r.count + p0,
                                 r.total + p0, r.values, r.groups, pos)
        i += rows
        block += 1
    r.starts[r.n_blocks * panels.n] = pos
    r.n_pairs = pos
    r.done = True


cdef Py_ssize_t sample_ranks(const floating[:, :] y, const GroupLists* lists,
                             bint groups_are_rows, Py_ssize_t* ranks,
                             bint* most_groups) noexcept nogil:
    """The ranks of the live groups in the sample (blocks of consecutive column groups).

    0 where the bands are not predicted: a matrix of live groups under
    _SAMPLED_MIN_BYTES (the histograms cost less there), a sample under
    _SAMPLE_MIN_GROUPS groups or over _SAMPLE_MAX_SHARE of the live groups
    (``most_groups`` then True, else False), or column indices past the 32
    bits of a pair.  (Few long column groups: the first
    block of _SAMPLE_BLOCK is most of them, and its projection cost more
    than the histograms over all of them.  Issue 14, an AMD Zen 5, float32
    column groups at radii keeping 50 and 90 % of bilevel_l1inf's groups
    and at 10 and 50 % of the norm, ms a call, sampled / histograms: 100000
    x 100, 64 groups sampled, 21.8-25.0 / 17.8-23.0; 50000 x 200, 64 of
    them, 12.0-13.6 / 17.9-21.9.)
    """
    cdef Py_ssize_t group_bytes = lists.group_size * sizeof(floating)
    cdef Py_ssize_t block = 1 if groups_are_rows else _SAMPLE_BLOCK
    cdef Py_ssize_t every = lists.n_active * group_bytes // _SAMPLE_BYTES + 1
    cdef Py_ssize_t most = lists.n_active // _SAMPLE_MIN_GROUPS
    cdef Py_ssize_t idx, n_sample = 0
    most_groups[0] = False
    if (_SAMPLED_MIN_BYTES == 0 or lists.n_active * group_bytes < _SAMPLED_MIN_BYTES
            or (not groups_are_rows and y.shape[1] > INT32_MAX)):
        return 0
    # About _SAMPLE_BYTES, but at least _SAMPLE_MIN_GROUPS groups where they exist.
    every = every if every < most else most
    every = every if every > 2 else 2
    for idx in range(lists.n_active):
        if (idx // block) % every == 0:
            ranks[n_sample] = idx
            n_sample += 1
    most_groups[0] = n_sample > _SAMPLE_MAX_SHARE * lists.n_active
    return n_sample if n_sample >= _SAMPLE_MIN_GROUPS and not most_groups[0] else 0


cdef void copy_sample(const floating[:, :] y, const GroupLists* lists, bint groups_are_rows,
                       const Py_ssize_t* ranks, Py_ssize_t n_sample, floating* sample,
                       Py_ssize_t* offsets) noexcept nogil:
    """The sample's groups, contiguous: rows of ``sample`` for rows, its columns for columns.

    Column groups are copied row by row, a block of up to _SAMPLE_BLOCK
    sampled columns at a time: one ``memcpy`` where the block's columns are
    adjacent (ranks and live groups both increase, so a block spanning as
    many columns as it holds has no gap), else one entry at a time from the
    columns' offsets, taken once in ``offsets`` (``n_sample`` of them)
    rather than through the ranks and live groups in every row (issue 14:
    the copy one entry at a time took 5.7 % of 1000 x 10000 float32 at half
    the norm; on columns of 10 % nonzeros, whose live columns lie apart, at
    1 % of the groups kept, perf put the copy at 1.6 times step 1's read of
    the whole matrix before the offsets, 1.07 after, and the call took 0.91
    of its time, float64 0.97).
    """
    cdef Py_ssize_t n = lists.group_size, step = element_step(y.strides[1], sizeof(floating))
    cdef Py_ssize_t i, j, k, g, length
    cdef const floating* row
    cdef floating* dst
    if groups_are_rows:
        for k in range(n_sample):
            g = lists.active[ranks[k]]
            for i in range(n):
                sample[k * n + i] = y[g, i]
        return
    for k in range(n_sample):
        offsets[k] = lists.active[ranks[k]] * step
    for i in range(n):
        row = row_at(&y[0, 0], y.strides[0], i)
        dst = sample + i * n_sample
        k = 0
        while k < n_sample:
            length = min(_SAMPLE_BLOCK, n_sample - k)
            if step == 1 and offsets[k + length - 1] - offsets[k] == length - 1:
                memcpy(dst + k, row + offsets[k], length * sizeof(floating))
            else:
                for j in range(k, k + length):
                    dst[j] = row[offsets[j]]
            k += length


cdef struct LevelFit:
    # The least squares of the sample's levels on the groups' centred
    # features (``group_features``).
    double mean             # of the sampled levels
    double slope[MAX_FEATURES]
    double centre[MAX_FEATURES]
    double sigma            # the standard deviation of the residuals
    Py_ssize_t n_features


cdef bint _fit_levels(const GroupLists* lists, const Py_ssize_t* ranks, Py_ssize_t n_sample,
                      const double* levels, LevelFit* fit) noexcept nogil:
    """Least squares of the sample's positive levels on the groups' features (centred).

    The sampled groups zeroed are left out (a level of 0 lies off the line
    of the others; the groups like them get bands that miss their level 0,
    and the solve's check gathers them whole).  False where more than
    1 / _SAMPLE_MAX_ZEROED of the sample is zeroed, or fewer than k + 2
    groups are left (the histogram path takes those problems).  Singular
    features leave the slopes at zero (every prediction the mean).
    """
    cdef Py_ssize_t k = feature_count(lists), i, j, s, g, n_positive = 0
    # (the normal equations, k rows of k + 1: the right-hand side last)
    cdef double a[MAX_FEATURES * (MAX_FEATURES + 1)]
    cdef double x[MAX_FEATURES]
    cdef double inv, r, residuals = 0.0
    memset(a, 0, sizeof(a))
    fit.n_features = k
    fit.mean = 0.0
    for i in range(k):
        fit.centre[i] = 0.0
        fit.slope[i] = 0.0
    for s in range(n_sample):
        n_positive += levels[s] > 0.0
    if (n_sample - n_positive) * _SAMPLE_MAX_ZEROED > n_sample or n_positive < k + 2:
        return False
    inv = 1.0 / n_positive
    for s in range(n_sample):
        if not levels[s] > 0.0:
            continue
        group_features(lists, lists.active[ranks[s]], x)
        for i in range(k):
            fit.centre[i] += x[i] * inv
        fit.mean += levels[s] * inv
    for s in range(n_sample):
        if not levels[s] > 0.0:
            continue
        group_features(lists, lists.active[ranks[s]], x)
        for i in range(k):
            x[i] -= fit.centre[i]
        for i in range(k):
            for j in range(k):
                a[i * (k + 1) + j] += x[i] * x[j]
            a[i * (k + 1) + k] += x[i] * (levels[s] - fit.mean)
    if solve_linear(a, k):
        for i in range(k):
            fit.slope[i] = a[i * (k + 1) + k]
    for s in range(n_sample):
        if levels[s] > 0.0:
            r = levels[s] - _predicted_level(lists, lists.active[ranks[s]], fit)
            residuals += r * r
    fit.sigma = sqrt(residuals / (n_positive - k - 1))
    return True


cdef inline double _predicted_level(const GroupLists* lists, Py_ssize_t g,
                                   const LevelFit* fit) noexcept nogil:
    cdef double x[MAX_FEATURES]
    cdef double level = fit.mean
    cdef Py_ssize_t i
    group_features(lists, g, x)
    for i in range(fit.n_features):
        level += fit.slope[i] * (x[i] - fit.centre[i])
    return level


cdef double _sampled_share(const floating[:, :] y, const Work* w, bint groups_are_rows,
                           const Py_ssize_t* ranks, Py_ssize_t n_sample,
                           bint zeros) noexcept nogil:
    """The share of the entries inside their bands (``zeros``: of the zero
    entries), over some of the sampled groups.

    About _SHARE_ENTRIES entries: evenly spaced ones of the first
    _SHARE_GROUPS sampled groups (for column groups some of the rows of the
    first block of the sample, adjacent columns).  Heavy tails make the bands
    of some groups far wider than others': an estimate from one long group
    (rows of 10000 read whole) missed bands holding 72 % of the entries.
    """
    cdef const GroupLists* lists = &w.lists
    cdef Py_ssize_t n = lists.group_size, k, g, i, j, inside = 0
    cdef Py_ssize_t n_read = n_sample if n_sample < _SHARE_GROUPS else _SHARE_GROUPS
    cdef Py_ssize_t n_entries = max(min(_SHARE_ENTRIES // max(n_read, 1), n), 1)
    cdef Py_ssize_t spacing = n // n_entries
    cdef double a
    for j in range(n_entries):
        i = j * spacing
        for k in range(n_read):
            g = lists.active[ranks[k]]
            a = fabs(y[g, i] if groups_are_rows else y[i, g])
            inside += (a == 0.0) if zeros else (a > w.band_low[g]) & (a < w.band_high[g])
    return inside / <double> (n_entries * n_read) if n_read else 0.0


cdef int predicted_bands(const floating[:, :] y, Work* w, bint groups_are_rows, double eta,
                         const Py_ssize_t* ranks, Py_ssize_t n_sample,
                         const double* levels, bint wide) noexcept nogil:
    """Every live group's band around its level predicted from the sample's.

    ``levels``: the exact levels of the groups of ranks ``ranks`` at the
    radius scaled by their share of sum M_g.  Returns 1 when the lists are
    ready (the bands in band_low/band_high, the entries inside gathered, those
    above counted and summed: ``gather_predicted_bands``), 2 when the problem
    is left to the histograms (too many sampled groups zeroed, and ``wide``
    or the passes not asked for there), 3 where ``wide`` is False and the
    passes over the whole matrix should be tried first (the caller's
    fallback): bands set but not gathered, as they would hold more than
    _WIDE_BAND_SHARE of the entries, or none predicted (too many sampled
    groups zeroed: _FAILED_FIT_PASSES, _ZERO_SHARE); 0 when memory ran out.
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t idx, g
    cdef LevelFit fit
    cdef double shift = 0.0, half, level
    cdef double clock = now()
    if not _fit_levels(lists, ranks, n_sample, levels, &fit):
        # No bands to predict: the passes first (see _FAILED_FIT_PASSES), or
        # on a matrix of mostly zeros, whose histograms' bins over [0, M_g]
        # hold them in their first (see _ZERO_SHARE); else the histograms.
        if (not wide and _WIDE_BAND_SHARE > 0
                and (_FAILED_FIT_PASSES or _sampled_share(y, w, groups_are_rows, ranks,
                                                          n_sample, True) > _ZERO_SHARE)):
            return 3
        return 2
    for idx in range(lists.n_active):
        g = lists.active[idx]
        # (kept in band_low until the shift is known)
        w.band_low[g] = _predicted_level(lists, g, &fit)
        shift += w.band_low[g]
    shift = (eta - shift) / lists.n_active
    half = _SAMPLE_SIGMAS * fit.sigma + 0.5 * fabs(shift)
    for idx in range(lists.n_active):
        g = lists.active[idx]
        level = w.band_low[g] + shift
        _set_band(w, idx, level - half, level + half)
    return _gathered_bands(y, w, groups_are_rows, 0.0 if wide or _WIDE_BAND_SHARE == 0 else
                           _sampled_share(y, w, groups_are_rows, ranks, n_sample, False),
                           n_sample, wide, clock)


cdef inline void _set_band(Work* w, Py_ssize_t idx, double low, double high) noexcept nogil:
    """The band (low, high) of the live group of rank ``idx``, widened
    (``_widen``) and never below 0."""
    cdef Py_ssize_t g = w.lists.active[idx]
    w.band_low[g] = low
    w.band_high[g] = high
    _widen(&w.band_low[g], &w.band_high[g], w.lists.maxima[g])
    if w.band_low[g] < 0.0:
        w.band_low[g] = 0.0
    if _narrow_bands and idx % 2 == 0:
        w.band_high[g] = w.band_low[g] + 1e-9 * (w.band_high[g] - w.band_low[g])


cdef int _gathered_bands(const floating[:, :] y, Work* w, bint groups_are_rows, double share,
                         Py_ssize_t n_sample, bint wide, double clock) noexcept nogil:
    """The bands set (every live group's), gathered: ``predicted_bands``'
    statuses 1, 3 (where not ``wide``, ``share``, the estimated share of the
    entries inside the bands, too large: not gathered) and 0."""
    _stats.sampled_groups = n_sample
    if not wide and _WIDE_BAND_SHARE > 0 and share > _wide_band_share(y, groups_are_rows):
        lap(PHASE_ENVELOPES, clock)
        return 3
    lap(PHASE_ENVELOPES, clock)
    return gather_predicted_bands(y, w, groups_are_rows)


# ------------------------------------------------------------ bands from a subsample of every group

# Few long groups, where no sample of whole groups is taken (``sample_ranks``:
# it would be most of them, or too few groups) or it would be more than
# _SUBSAMPLE_OVER times _SAMPLE_BYTES: every live group is sampled instead,
# about _SAMPLE_BYTES in all, a run of entries every ``spacing`` runs (row
# groups: a cache line's entries; column groups: a row, of the live
# columns), at least _SUBSAMPLE_MIN_LENGTH entries a group; each band
# _SUBSAMPLE_SIGMAS standard errors either side of its level, where at least
# _SUBSAMPLE_MIN_ABOVE subsampled entries lie above it (``subsampled_bands``;
# ``_subsampled`` is a testing switch).
cdef bint _subsampled = True
cdef Py_ssize_t _SUBSAMPLE_OVER = 5
cdef Py_ssize_t _SUBSAMPLE_MIN_LENGTH = 512
cdef double _SUBSAMPLE_SIGMAS = 5.0
cdef Py_ssize_t _SUBSAMPLE_MIN_ABOVE = 32


cdef inline Py_ssize_t _subsample_run(bint groups_are_rows, Py_ssize_t itemsize) noexcept nogil:
    return 64 // itemsize if groups_are_rows else 1


cdef Py_ssize_t subsample_spacing(const floating[:, :] y, const GroupLists* lists,
                                  bint groups_are_rows, Py_ssize_t n_sample) noexcept nogil:
    """The spacing of the runs of a subsample of every live group
    (``copy_subsample``), or 0 where the sample of whole groups
    (``sample_ranks``' ``n_sample`` of them) is taken instead, or none at
    all."""
    cdef Py_ssize_t group_bytes = lists.group_size * sizeof(floating)
    cdef Py_ssize_t total = lists.n_active * group_bytes, spacing
    if (not _subsampled or _SAMPLED_MIN_BYTES == 0 or total < _SAMPLED_MIN_BYTES
            or floating is float and not groups_are_rows
            or not (n_sample == 0 or n_sample * group_bytes > _SUBSAMPLE_OVER * _SAMPLE_BYTES)):
        return 0
    spacing = total // _SAMPLE_BYTES
    spacing = spacing if spacing > 2 else 2
    if subsample_length(lists, groups_are_rows, spacing, sizeof(floating)) < _SUBSAMPLE_MIN_LENGTH:
        return 0
    return spacing


cdef Py_ssize_t subsample_length(const GroupLists* lists, bint groups_are_rows,
                                 Py_ssize_t spacing, Py_ssize_t itemsize) noexcept nogil:
    """The entries of each group in the subsample of this spacing."""
    cdef Py_ssize_t run = _subsample_run(groups_are_rows, itemsize)
    return lists.group_size // (spacing * run) * run


cdef void copy_subsample(const floating[:, :] y, const GroupLists* lists,
                         bint groups_are_rows, Py_ssize_t spacing, Py_ssize_t length,
                         floating* sample) noexcept nogil:
    """The subsample of every live group, ``length`` entries each: rows of
    ``sample`` for row groups (run b of a group from its entry b * spacing *
    run), its columns for column groups (row i from the matrix's row i *
    spacing)."""
    cdef Py_ssize_t n_active = lists.n_active, step = element_step(y.strides[1], sizeof(floating))
    cdef Py_ssize_t run = _subsample_run(groups_are_rows, sizeof(floating)), i, j, k, b
    cdef const floating* source
    cdef floating* dst
    if groups_are_rows:
        for k in range(n_active):
            source = row_at(&y[0, 0], y.strides[0], lists.active[k])
            dst = sample + k * length
            b = 0
            while b < length:
                if step == 1:
                    memcpy(dst + b, source + b * spacing, run * sizeof(floating))
                else:
                    for j in range(run):
                        dst[b + j] = source[(b * spacing + j) * step]
                b += run
        return
    for i in range(length):
        source = row_at(&y[0, 0], y.strides[0], i * spacing)
        dst = sample + i * n_active
        if step == 1 and lists.active[n_active - 1] - lists.active[0] == n_active - 1:
            memcpy(dst, source + lists.active[0], n_active * sizeof(floating))
        else:
            for k in range(n_active):
                dst[k] = source[lists.active[k] * step]


cdef struct _Moments:
    # Over a group's subsample, in magnitude a, with x = (a - level)+: the
    # count of x > 0 and the sums of a, a^2, x, x^2 and x a.
    double count, a, aa, x, xx, xa


cdef void _subsample_moments(const floating* values, Py_ssize_t n, Py_ssize_t step,
                             double level, _Moments* sums) noexcept nogil:
    """``_Moments`` of ``values[j * step]`` (j < n) about ``level``, two
    entries at a time into two accumulators each, in registers (the
    additions' chains bound the loop), and without a branch: half of them
    may lie above the level, and GCC made a branch of both a ternary and a
    comparison converted to double (the loop then took most of the bands'
    time), so x = (d + |d|) / 2 (exact) and the counts in integers."""
    cdef double a0 = 0.0, aa0 = 0.0, x0 = 0.0, xx0 = 0.0, xa0 = 0.0
    cdef double a1 = 0.0, aa1 = 0.0, x1 = 0.0, xx1 = 0.0, xa1 = 0.0
    cdef double u, v, p, q
    cdef Py_ssize_t j, c0 = 0, c1 = 0
    for j in range(0, n - n % 2, 2):
        u = fabs(values[j * step])
        v = fabs(values[(j + 1) * step])
        p = u - level
        q = v - level
        c0 += p > 0.0
        c1 += q > 0.0
        p = 0.5 * (p + fabs(p))
        q = 0.5 * (q + fabs(q))
        a0 += u
        a1 += v
        aa0 += u * u
        aa1 += v * v
        x0 += p
        x1 += q
        xx0 += p * p
        xx1 += q * q
        xa0 += p * u
        xa1 += q * v
    if n % 2:
        u = fabs(values[(n - 1) * step])
        p = u - level
        c0 += p > 0.0
        p = 0.5 * (p + fabs(p))
        a0 += u
        aa0 += u * u
        x0 += p
        xx0 += p * p
        xa0 += p * u
    sums.count, sums.a, sums.aa = c0 + c1, a0 + a1, aa0 + aa1
    sums.x, sums.xx, sums.xa = x0 + x1, xx0 + xx1, xa0 + xa1


cdef int subsampled_bands(const floating[:, :] y, Work* w, bint groups_are_rows,
                          const floating* sample, Py_ssize_t length, const double* levels,
                          bint wide) noexcept nogil:
    """Every live group's band around its level estimated from the subsample
    (``levels``, by rank: the subsample projected at the radius itself),
    gathered; ``predicted_bands``' statuses, and 2 where some group has
    fewer than _SUBSAMPLE_MIN_ABOVE entries above its level in the
    subsample (too few to tell its error: the sample of whole groups then).

    With n entries a group and m of them sampled, the subsample's h_g(mu) =
    (n / m) sum x, x = (a - mu)+ over its runs, has slope -c_g, c_g = (n /
    m) times its count above mu, and is off by e_g: to first order the
    level is off by (e_g - e_theta) / c_g, where e_theta, the error of
    theta, keeps the levels' sum at eta (the 1 / c_g-weighted mean of the
    e_g / c_g).  The group's l1 norm S_g is known exactly (step 1), and the
    subsample's error on it, d_g = (n / m) sum a - S_g, is a control
    variate: e_g = beta_g d_g + r_g with beta_g = cov(x, a) / var(a) (over
    the subsample), so that each level is moved by (e_theta - beta_g d_g) /
    c_g, and its band is _SUBSAMPLE_SIGMAS times (sigma_g + sigma_theta) /
    c_g either side, sigma_g = (n / m) sqrt(m var(x - beta_g a)) the
    standard error left, widened by a quarter of the move (the slope
    changes along it).  Heavy tails put most of e_g in d_g (their extremes,
    which a subsample holds or misses: without the control, Student t(3)
    levels left bands of six standard errors in 95 of 200 groups).  A level
    outside its band is caught by the solve's check, as any other band's.
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t n_active = lists.n_active, k, j, g, inside = 0
    # (the share inside the bands is estimated on every fourth entry)
    cdef Py_ssize_t n_read = (length + 3) // 4
    cdef Py_ssize_t group_step = length if groups_are_rows else 1
    cdef Py_ssize_t entry_step = 1 if groups_are_rows else n_active
    cdef double scale = lists.group_size / <double> length
    cdef double a, spread, slope, half, low, high, move, mean_a, mean_x, var_a, cov, beta
    cdef double weights = 0.0, theta_move = 0.0, theta_variance = 0.0, theta_spread = 0.0
    cdef double clock = now()
    cdef _Moments sums
    # (each group's spread, slope and beta_g d_g kept in its band and its
    # list's guess until the common terms are known)
    for k in range(n_active):
        g = lists.active[k]
        _subsample_moments(sample + k * group_step, length, entry_step, levels[k], &sums)
        if sums.count < _SUBSAMPLE_MIN_ABOVE:
            return 2
        mean_a, mean_x = sums.a / length, sums.x / length
        var_a = sums.aa / length - mean_a * mean_a
        cov = sums.xa / length - mean_x * mean_a
        beta = cov / var_a if var_a > 0.0 else 0.0
        # (var(x - beta a) = var(x) - beta cov)
        spread = sums.xx / length - mean_x * mean_x - beta * cov
        spread = scale * sqrt(length * spread) if spread > 0.0 else 0.0
        slope = scale * sums.count
        w.band_low[g] = spread
        w.band_high[g] = slope
        lists.guess[g] = beta * (scale * sums.a - lists.sums[g])
        weights += 1.0 / slope
        theta_move += lists.guess[g] / slope
        theta_variance += (spread / slope) * (spread / slope)
    theta_move /= weights
    theta_spread = sqrt(theta_variance) / weights
    for k in range(n_active):
        g = lists.active[k]
        spread, slope = w.band_low[g], w.band_high[g]
        move = (theta_move - lists.guess[g]) / slope
        half = _SUBSAMPLE_SIGMAS * (spread + theta_spread) / slope + 0.25 * fabs(move)
        _set_band(w, k, levels[k] + move - half, levels[k] + move + half)
        # (the share inside the bands from the subsample itself, in cache)
        low, high = w.band_low[g], w.band_high[g]
        for j in range(0, length, 4):
            a = fabs(sample[k * group_step + j * entry_step])
            inside += (a > low) & (a < high)
    return _gathered_bands(y, w, groups_are_rows, inside / <double> (n_active * n_read),
                           n_active, wide, clock)


cdef double _wide_band_share(const floating[:, :] y, bint groups_are_rows) noexcept nogil:
    """The share of the entries above which predicted bands give way to the passes,
    by the passes' layout and the dtype (see _WIDE_BAND_SHARE; where the
    passes read along the rows they come before any band instead:
    ``passes_before_any_band``)."""
    cdef Py_ssize_t stride
    if pass_layout(y, groups_are_rows, &stride) != SMALL_LANES:
        return _WIDE_BAND_SHARE * (_DOUBLE_BAND_FACTOR if floating is double else 1.0)
    if floating is float and _along_rows_passes and passes_simd() == 2:
        return _WIDE_BAND_SHARE * _FLOAT_STRIPS_FACTOR
    return _WIDE_BAND_SHARE


cdef bint passes_before_any_band(const floating[:, :] y, bint groups_are_rows) noexcept nogil:
    """Whether the passes over the whole matrix come before bands of any share.

    Column groups read along the rows: the sample that would predict their
    bands is then not taken at all (``_l1inf._project_into``).  Issue 14, a
    Zen 3, single calls interleaved, times bilevel_l1inf at radii keeping 50
    and 90 % of its groups and 10 and 50 % of the norm, float32 with the
    sample -> without: Gaussian 100 x 100000 3.28/2.94/3.02/3.78 ->
    2.25/2.13/2.41/2.69, 1000 x 10000 2.67-3.18 -> 2.25-2.66, 200 x 50000
    2.88-4.20 -> 2.23-3.26, 64 x 200000 3.71-5.04 -> 2.70-4.42; Laplace 300
    x 30000 2.81-4.44 -> 2.47-4.24; Student t(3) 1000 x 10000 4.54-5.29 ->
    4.16-4.79.  Not where the in-cache path's passes have already run and
    declined (``small_layout``).
    """
    cdef Py_ssize_t stride
    return (_WIDE_BAND_SHARE > 0 and _along_rows_passes and passes_along_rows(y, groups_are_rows)
            and small_layout(y, groups_are_rows, &stride) == 0)


cdef int gather_predicted_bands(const floating[:, :] y, Work* w,
                                bint groups_are_rows) noexcept nogil:
    """Gather the bands ``predicted_bands`` set; 1, or 0 when memory ran out."""
    cdef double clock = now()
    # The block of columns of _group_entries (column groups of strided rows).
    if not _alloc_block(w) or not _gather_band_ranges(y, w, groups_are_rows):
        return 0
    _stats.band_entries = w.lists.n_values
    lap(PHASE_BAND, clock)
    return 1


cdef bint _gather_band_ranges(const floating[:, :] y, Work* w,
                                bint groups_are_rows) noexcept nogil:
    """Every live group's entries in (band_low, band_high), those above counted and summed."""
    if not groups_are_rows and y.strides[1] == sizeof(floating):
        return gather_ranges_columns(y, w)
    return _gather_ranges_by_group(y, w, groups_are_rows)


cdef double band_lower_bound(GroupLists* lists, double eta, double theta_0) noexcept nogil:
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


cdef struct _Gathered:
    # The band lists as gathered, kept through the solve's rounds (which
    # drop entries and groups from them): the values, and per group (by
    # index g) where its list starts, its length, the count and sum of its
    # entries above the band, and the band.
    double* values
    Py_ssize_t n_values
    Py_ssize_t* start
    Py_ssize_t* length
    Py_ssize_t* above_count
    double* above_sum
    double* band_low
    double* band_high


cdef bint _keep_gathered(Work* w, _Gathered* kept) noexcept nogil:
    """Copy the live groups' lists and bands into ``kept`` (allocated here).

    False when out of memory.
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t n = lists.n_groups, idx, g
    cdef char* block
    free(kept.values)
    kept.values = <double*> malloc((lists.n_values + 1) * sizeof(double))
    if kept.start == NULL:
        block = <char*> malloc(n * (3 * sizeof(Py_ssize_t) + 3 * sizeof(double)))
        if block == NULL:
            return False
        kept.start = <Py_ssize_t*> block
        kept.length = kept.start + n
        kept.above_count = kept.length + n
        kept.above_sum = <double*> (kept.above_count + n)
        kept.band_low = kept.above_sum + n
        kept.band_high = kept.band_low + n
    if kept.values == NULL:
        return False
    memcpy(kept.values, lists.values, lists.n_values * sizeof(double))
    kept.n_values = lists.n_values
    for idx in range(lists.n_active):
        g = lists.active[idx]
        kept.start[g] = lists.start[g]
        kept.length[g] = lists.length[g]
        kept.above_count[g] = lists.above_count[g]
        kept.above_sum[g] = lists.above_sum[g]
        kept.band_low[g] = w.band_low[g]
        kept.band_high[g] = w.band_high[g]
    return True


cdef inline void _whole_bands(Work* w, Py_ssize_t n) noexcept nogil:
    """The bands of the n groups of w.subset: (-inf, M_g), their whole groups."""
    cdef Py_ssize_t idx, g
    for idx in range(n):
        g = w.subset[idx]
        w.band_low[g] = -INFINITY
        w.band_high[g] = w.lists.maxima[g]


cdef bint _regather_failed(const floating[:, :] y, Work* w, bint groups_are_rows,
                           const _Gathered* kept, Py_ssize_t n_failed) noexcept nogil:
    """The live groups' lists as gathered, and the ``n_failed`` groups of w.subset gathered whole.

    The others' lists are what a new gather of their bands would give (the
    same entries in the same order), so only the failed groups are read
    again: their entries below M_g, after the lists (those at M_g counted as
    clipped).  w.subset holds them in increasing order, as ``active``.
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t n_active = lists.n_active, idx, g
    cdef Py_ssize_t* live = lists.active
    cdef bint done
    memcpy(lists.values, kept.values, kept.n_values * sizeof(double))
    lists.n_values = kept.n_values
    for idx in range(n_active):
        g = live[idx]
        lists.start[g] = kept.start[g]
        lists.length[g] = kept.length[g]
        lists.above_count[g] = kept.above_count[g]
        lists.above_sum[g] = kept.above_sum[g]
    _whole_bands(w, n_failed)
    lists.active = w.subset
    lists.n_active = n_failed
    done = _gather_band_ranges(y, w, groups_are_rows)
    lists.active = live
    lists.n_active = n_active
    # (the column gather gave the columns it did not read empty bands)
    for idx in range(n_active):
        g = live[idx]
        w.band_low[g] = kept.band_low[g]
        w.band_high[g] = kept.band_high[g]
    _whole_bands(w, n_failed)
    return done


cdef bint solve_on_bands(const floating[:, :] y, Work* w, bint groups_are_rows, double eta,
                         double theta_0, double* theta, int* rounds) noexcept nogil:
    """Step 4 on the lists of the bands, from ``theta[0]`` <= theta^*; False when memory ran out.

    The band model is exact for levels inside the bands.  Where a level left
    its band, the rounds have dropped entries and raised bounds for the wrong
    model: the lists go back to the bands as gathered (kept aside), the
    groups that failed are gathered whole (their entries in (-inf, M_g),
    those at M_g counted as clipped), and the solve starts over from
    ``band_lower_bound`` (at least ``theta_0``, the lower bound of step 2).
    Whole groups are exact at any level and never fail again, so this ends;
    the groups the rounds dropped have S_g <= theta^* and stay zero.  (Every
    band was gathered again before, a second read of the matrix for a few
    groups: issue 14, thread time, the solve at radii keeping 97.5 % of the
    groups, 6-34 of them regathered, ns an entry, float32 512 x 8000 0.51 ->
    0.16, 300 x 30000 0.60 -> 0.27; float64 0.53 -> 0.16, 0.62 -> 0.28;
    the same bits.)
    """
    cdef GroupLists* lists = &w.lists
    cdef Py_ssize_t n_failed
    cdef _Gathered kept
    cdef bint done = False
    kept.values = NULL
    kept.start = NULL
    while _keep_gathered(w, &kept):
        _start_band_lists(w, theta[0])
        theta[0] = solve(lists, eta, theta[0], rounds)
        _stats.rounds += rounds[0]
        n_failed = band_violations(lists, theta[0], w.band_low, w.band_high, w.subset)
        _stats.regathered_groups += n_failed
        if n_failed == 0:
            done = True
            break
        if not _regather_failed(y, w, groups_are_rows, &kept, n_failed):
            break
        theta[0] = band_lower_bound(lists, eta, theta_0)
    free(kept.values)
    free(kept.start)
    return done


def _set_testing(bint narrow_bands=False, bint simd=True, bint avx512=True,
                 Py_ssize_t sampled_min_bytes=1 << 23, Py_ssize_t sample_bytes=1 << 21,
                 double sample_max_share=0.5, double sample_sigmas=6.0, bint subsampled=True,
                 double subsample_sigmas=5.0, double wide_band_share=0.1,
                 bint failed_fit_passes=True, row_blocks=None,
                 Py_ssize_t block_rows=0, bint along_rows_passes=True,
                 bint gather_halves=True):
    """Testing hook, set through ``_l1inf._set_testing`` (see there)."""
    global _narrow_bands, _avx2, _SAMPLED_MIN_BYTES, _SAMPLE_BYTES, _SAMPLE_MAX_SHARE
    global _gather_halves
    _gather_halves = gather_halves
    global _SAMPLE_SIGMAS, _subsampled, _SUBSAMPLE_SIGMAS
    _subsampled = subsampled
    _SUBSAMPLE_SIGMAS = subsample_sigmas
    global _WIDE_BAND_SHARE, _FAILED_FIT_PASSES, _ROW_BLOCKS, _BLOCK_ROWS, _along_rows_passes
    _narrow_bands = narrow_bands
    _along_rows_passes = along_rows_passes
    _ROW_BLOCKS = _preferred_row_blocks() if row_blocks is None else row_blocks
    _BLOCK_ROWS = block_rows if block_rows > 0 else _preferred_block_rows()
    _FAILED_FIT_PASSES = failed_fit_passes
    _SAMPLED_MIN_BYTES = sampled_min_bytes
    _SAMPLE_BYTES = sample_bytes
    _SAMPLE_MAX_SHARE = sample_max_share
    _SAMPLE_SIGMAS = sample_sigmas
    _WIDE_BAND_SHARE = wide_band_share
    _avx2 = simd and skp_l1inf_have_avx2()
    skp_l1inf_set_avx512(simd and avx512)


def _band_pairs(const floating[:, :] y, const double[::1] low, const double[::1] high):
    """Testing hook: the band gather of column groups over a whole matrix (contiguous rows).

    ``_range_columns`` on _RANGE_ROWS rows at a time, every column one panel,
    at the SIMD level ``_set_testing`` left.  Returns the pairs' values and
    columns, in the order gathered, and each column's count and sum above its
    band.
    """
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1], i = 0, pos = 0, rows
    cdef double[::1] values = np.empty(n_rows * n_cols + SKP_RANGE_ROOM)
    cdef int32_t[::1] groups = np.empty(n_rows * n_cols + SKP_RANGE_ROOM, dtype=np.int32)
    cdef double[::1] count = np.zeros(n_cols), total = np.zeros(n_cols)
    if y.strides[1] != sizeof(floating) or low.shape[0] != n_cols or high.shape[0] != n_cols:
        raise ValueError("y must have contiguous rows, low and high one entry a column")
    while i < n_rows:
        rows = min(_RANGE_ROWS, n_rows - i)
        pos = _range_columns(row_at(&y[0, 0], y.strides[0], i), y.strides[0], rows, n_cols, 0,
                             &low[0], &high[0], &count[0], &total[0], &values[0], &groups[0],
                             pos)
        i += rows
    return (np.asarray(values)[:pos].copy(), np.asarray(groups)[:pos].copy(), np.asarray(count),
            np.asarray(total))


def _band_row(const floating[::1] row, double low, double high):
    """Testing hook: ``range_row`` on one contiguous group, at the SIMD level
    ``_set_testing`` left.  Returns its entries in (low, high) in order, and
    the count and sum of those >= high."""
    cdef Py_ssize_t count = 0, n = row.shape[0], pos
    cdef double total = 0.0
    cdef double[::1] values = np.empty(n + SKP_RANGE_ROOM)
    pos = range_row(&row[0], n, 1, low, high, &values[0], 0, &count, &total)
    return np.asarray(values)[:pos].copy(), count, total
