# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
r"""The exact l1,inf projection of short groups, by their sorted breakpoints.

Groups of at most 16 entries (a weight of a few inputs grouped by rows, the
columns of a few classes' coefficients) cost the other paths their fixed
work per group: the in-cache path's passes take such rows one at a time,
and spend their time between passes on columns of a few rows (issue 14, an
Intel Xeon, float32 10000 x 8 by rows 50-88 times a copy, 8 x 10000 by
columns 18-35).  Here each group's magnitudes are sorted once, in SIMD
lanes (a sorting network, sixteen float32 groups or eight float64 ones at
a time), which gives its level in closed form at every threshold:
with :math:`a_1 \ge \dots \ge a_n` and :math:`S_k = a_1 + \dots + a_k`,

.. math::

    \mu_g(\theta) = (S_k - \theta) / k \quad \text{for} \quad
    t_{k-1} \le \theta \le t_k, \qquad t_k = S_k - k\, a_{k+1}

(:math:`t_0 = 0`, :math:`a_{n+1} = 0`, so :math:`t_n = S_n` and the group
is zero from there).  :math:`F(\theta) = \sum_g \mu_g(\theta)` is convex,
decreasing and piecewise linear; on the segment holding :math:`\theta` it
is :math:`P - \theta Q` with :math:`P = \sum_g S_{k_g}/k_g` and
:math:`Q = \sum_g 1/k_g` over the groups not zero.  Newton's method steps
to :math:`(P - \eta)/Q`: from below :math:`\theta^*` never past it (a
convex function lies above its tangents), from above it to below it, each
step one SIMD pass over the sorted groups that recomputes their sums and
breakpoints and counts, for every group, those at or below the iterate.
It starts from Newton's answer on a sample (one block of groups in 16, the
radius scaled by the sample's share of :math:`\sum_g \max_i |y_{ig}|`),
or from :math:`\theta = 0` (:math:`F(0) > \eta`).  Where a step from
below leaves every count as it was, the segments are those of
:math:`\theta^*` and the step is exact (the counts only grow with
:math:`\theta`, so equal totals mean equal counts).  With the AVX2 loops
each pass also finds the least breakpoint above its iterate: a step from
below that stays under it keeps every count, so it is :math:`\theta^*`
without the pass that would have found the counts settled, the levels
from the factors :math:`S_k` and :math:`1/k` the pass before left (the same
bits; issue 14, a Zen 3, single calls interleaved, times
``bilevel_l1inf`` at 1, 10 and 50 % of the norm, with that pass ->
without: float32 8 x 10000 6.26 / 5.86 / 4.82 -> 5.41 / 4.68 / 3.93,
10000 x 8 3.62 / 2.16 / 2.10 -> 3.22 / 1.78 / 1.80, 10000 x 16 3.41 /
3.42 / 2.91 -> 2.86 / 2.88 / 2.56; float64 8 x 10000 4.30 / 5.02 / 3.67
-> 3.73 / 4.22 / 3.04, 10000 x 8 3.68 / 2.11 / 2.17 -> 3.28 / 1.82 /
1.86).  Their passes also
leave each group's segment (its two breakpoints around the iterate, its
count and factors), and the next pass takes those of a quartet of groups
whose breakpoints still hold the new iterate instead of reading it: near
:math:`\theta^*` most of them (the same bits; single calls interleaved,
both shortcuts against that of the last step alone, times
``bilevel_l1inf`` at 1, 10 and 50 % of the norm: float32 8 x 10000
6.09 / 5.38 / 4.95 -> 5.04 / 4.27 / 3.96, 10000 x 16 3.06 / 2.79 / 2.42
-> 2.56 / 2.12 / 1.89, 784 x 10 3.19 / 3.07 / 2.24 -> 2.77 / 2.32 /
2.02; float64 8 x 10000 4.80 / 4.94 / 3.79 -> 4.16 / 3.46 / 3.36).  The
AVX-512F loops do both, an octet of groups at a time, for float32 groups
of 8 entries or more (``_SEGMENTS_MIN_LENGTH``; an AMD Zen 5, the module's
builds side by side, single calls, at 1, 10, 50 and 90 % of the norm,
Gaussian: float32 8 x 10000 by columns 0.84 / 0.76-0.81 / 0.86-0.90 /
1.01-1.04 of the time, 16 x 10000 0.73 / 0.72 / 0.88 / 1.01, 10000 x 8
by rows 0.90 / 0.87 / 0.88 / 1.01, 10000 x 16 0.80 / 0.84 / 0.93 / 1.01,
784 x 10 0.90 / 0.93 / 0.93 / 1.00; Student t(3) 0.82-0.96 at 10-50 %,
1.02-1.07 at 1 %).  Their passes over shorter groups, or float64 ones,
cost more with the segments' stores than they save (float32 20000 x 4
1.00-1.16, 4 x 10000 1.01-1.20 at 1 %; float64 8 x 10000 and 10000 x 8
0.89-0.98 at 1-10 % but 1.07-1.13 at 90 %): they write the levels at each
step, as before.  The levels are then
:math:`(S_{k_g} - \theta^*)/k_g`, the write that of every path
(``write_clipped``).  Newton on a
piecewise-linear convex function crosses a breakpoint a step and stops
finitely; after ``_MAX_STEPS`` steps (none measured) the path declines and
the other paths start over.

Memory: the sorted magnitudes, as much as the matrix.  (The breakpoints
and sums stored by the sort, sixteen bytes an entry, for the passes to load
rather than recompute: 1.5-2.3 times as long on 10000 x 8, 8 x 10000,
10000 x 16 and 20000 x 4 in both dtypes, even on 784 x 10.)  The path
takes matrices in cache (``_MAX_BYTES``), and larger ones where a sample
of their groups says it keeps enough of them (``_keeps_enough``), with
AVX-512F or AVX2 (the same bits: see _l1inf_short.h; elsewhere the other
paths run).  Measured with
AVX-512F (issue 14, an Intel Xeon, single calls interleaved, times a copy at 10, 50, 90 % of the
norm, the other paths -> this one): float32 by rows 10000 x 2 134 -> 22,
116 -> 20, 104 -> 19; 10000 x 8 70 -> 20, 89 -> 16, 48 -> 11; 10000 x 16
41 -> 14, 45 -> 11, 32 -> 8; 300 x 4 33 -> 14, 34 -> 13, 27 -> 12;
float32 by columns 2 x 10000 55 -> 28, 48 -> 24, 44 -> 20; 8 x 10000 32
-> 15, 26 -> 12, 19 -> 10; float64 10000 x 8 38 -> 11, 45 -> 9, 27 -> 7;
8 x 10000 17 -> 10, 15 -> 9, 11 -> 7.  (The levels written by every pass,
so that the last needs no pass more: 0.8-0.9 of the time.)  Of a call on 10000 x
8 float32 (phase clock): the sort 2.6-3.2 copies, the solve 9.6-12 (5-8
steps with the sample's; a pass over every group about 2 copies, its
arithmetic on the sums and breakpoints the bound), the write of the short
rows 2.4-3.5 (a row a call, 6-10: see ``write_clipped``).
"""

from cython cimport floating
from libc.math cimport INFINITY
from skproj.projections._scratch_cache cimport scratch_free as free, scratch_malloc as malloc
from skproj.projections._common cimport copy_matrix
from skproj.projections._l1 cimport (
    STATUS_INSIDE, STATUS_NOMEMORY, STATUS_NONFINITE, STATUS_PROJECTED,
)
from skproj.projections._l1inf_strips cimport (
    PHASE_SOLVE, PHASE_SUMS, PHASE_WRITE, SMALL_DECLINED, first_levels, lap, now,
    write_clipped,
)

cdef extern from "_l1inf_short.h" nogil:
    enum: SKP_SHORT_COLUMN_ROWS
    ctypedef struct skp_short_segments:
        double* factors
        double* inverses
        double* low
        double* high
        long long* counts
        int reuse
        int known
    long long skp_short_reused
    bint skp_short_enabled()
    bint skp_short_avx512()
    int skp_set_avx512(int on)
    int skp_short_sort_f32(const float* y, Py_ssize_t y_stride, Py_ssize_t n_groups,
                           Py_ssize_t n, int rows, float* sorted, double* maxima,
                           double* sums)
    int skp_short_sort_f64(const double* y, Py_ssize_t y_stride, Py_ssize_t n_groups,
                           Py_ssize_t n, int rows, double* sorted, double* maxima,
                           double* sums)
    Py_ssize_t skp_short_pass_f32(const float* sorted, const double* sums,
                                  Py_ssize_t n_groups, Py_ssize_t n, Py_ssize_t every,
                                  double theta, double* levels, skp_short_segments* seg,
                                  double* p, double* q, double* next_break)
    Py_ssize_t skp_short_pass_f64(const double* sorted, const double* sums,
                                  Py_ssize_t n_groups, Py_ssize_t n, Py_ssize_t every,
                                  double theta, double* levels, skp_short_segments* seg,
                                  double* p, double* q, double* next_break)
    Py_ssize_t skp_short_levels_f32(const double* mu, Py_ssize_t n_groups, float* levels,
                                    Py_ssize_t* kept)
    Py_ssize_t skp_short_levels_f64(const double* mu, Py_ssize_t n_groups, double* levels,
                                    Py_ssize_t* kept)
    void skp_short_factor_levels(const double* factors, const double* inverses,
                                 const double* norms, Py_ssize_t n_groups, double theta,
                                 double* levels)

# Matrices of more than this many bytes (out of cache) take the path where a
# sample says it keeps at least _MIN_KEPT of the groups (``_keeps_enough``):
# there its sort and passes over every group cost 7-30 copies where the
# other paths took 17-127 (issue 14, the AMD Zen 4, single calls
# interleaved, times a copy at 1-90 % of the norm: Gaussian 1000000 x 8 and
# 500000 x 5 float32, 200000 x 8 float64; Student t(3) 1000000 x 8 and 4 x
# 2000000 float32, 500000 x 12 float64 at 10-90 %; Cauchy 1000000 x 8
# float32 at 50 and 90 %), but where few groups survive (Cauchy at 1 and 10
# %, keeping at most 0.1 % of them) the other paths' lists of candidates
# took 4-10 copies where this path takes 12-13, and those are left to them
# (the sample costing 0.1-0.9 copies).  Misjudged: t(3) 500000 x 12 float64
# at 1 % (15.4 -> 16.3), Cauchy 12 x 500000 float64 at 50 % (12.4 -> 16.7);
# in one draw of two, Cauchy 1000000 x 8 float32 at 90 % was left to the
# other paths (69 copies, the path 22).
cdef Py_ssize_t _MAX_BYTES = 1 << 23
cdef double _MIN_KEPT = 0.01
# ... the sample one block in _KEEPS_EVERY (and at least _SAMPLE_MIN_BLOCKS).
cdef Py_ssize_t _KEEPS_EVERY = 64
# Newton steps before the path declines.
cdef int _MAX_STEPS = 64
# The first iterate: Newton on a sample of one block of groups in
# _SAMPLE_EVERY (where there are _SAMPLE_MIN_BLOCKS blocks or more), its
# radius scaled by its share of the maxima's sum (a NumPy model on Gaussian
# 10000 x 8, 784 x 10, 1000 x 3 and 10000 x 16 at 1-99 % of the norm: 3-6
# passes over every group, where from theta = 0 it took 3-10).
cdef Py_ssize_t _SAMPLE_EVERY = 16
cdef Py_ssize_t _SAMPLE_MIN_BLOCKS = 32
# Column groups (of contiguous rows) where there are at least
# _COLUMN_MIN_GROUPS of them: the in-cache path's passes take a vector of
# such columns at a time, and fewer columns cost it less (issue 14, an Intel
# Xeon, single calls interleaved, times a copy at 10, 50, 90 % of the norm,
# that path -> this one: float32 16 x 64 9.6 -> 12.2 at 10 %; 16 x 300 16.2
# -> 17.7, 14.1 -> 12.5, 10.8 -> 9.4; 16 x 1000 14.4 -> 12.2, 13.5 -> 9.9,
# 9.5 -> 6.2; 16 x 10000 18.5 -> 12.7, 18.5 -> 9.9, 11.7 -> 7.4; 10 x 784
# 16.6 -> 11.5, 15.7 -> 10.7, 11.2 -> 7.8; 8 x 10000 28.5 -> 17.1, 33.7 ->
# 12.2, 15.2 -> 9.4; float64 16 x 10000 5.3 -> 4.8, 5.1 -> 4.3, 3.7 -> 3.7;
# 10 x 784 11.2 -> 7.1, 9.5 -> 6.8, 7.2 -> 5.1).  Row groups, which that
# path takes one at a time, always.
cdef Py_ssize_t _COLUMN_MIN_GROUPS = 256
# ... and with the AVX2 loops, column groups of at most _AVX2_COLUMN_ROWS
# rows: the in-cache path's float32 passes take eight columns a vector
# there, and longer columns' sorts spill AVX2's sixteen registers (issue 14,
# an AMD Zen 3, single calls interleaved, times a copy at 10 or 50 % of the
# norm, that path -> this one: float32 8 x 10000 24.2 -> 18.6, 22.7 ->
# 17.6; 4 x 10000 48.5 -> 28.7 at 10 %; 8 x 1000 19.6 -> 17.7; float64 8 x
# 10000 10.5 -> 9.4; but float32 9 x 3000 and 10 x 5000 at 10 % 0.98-1.05
# of the time, 12 x 1000 and 16 x 1000 1.18-1.19, 16 x 10000 1.53,
# float64 16 x 1000 1.39).  Row groups of up to 16 entries gain with AVX2
# too (float32 10000 x 8 31.9 -> 20.0, 10000 x 16 14.3 -> 13.1, 20000 x 3
# 110.8 -> 88.9; float64 10000 x 8 32.0 -> 12.4, 5000 x 15 26.3 -> 9.7).
cdef Py_ssize_t _AVX2_COLUMN_ROWS = 8
# The AVX-512F loops keep each group's segment (see _newton) for float32
# groups of at least _SEGMENTS_MIN_LENGTH entries; the AVX2 loops always do.
cdef Py_ssize_t _SEGMENTS_MIN_LENGTH = 8
cdef int _segments = -1           # (testing: _set_segments)
cdef bint _short_on = True     # (testing: set_short)
cdef bint _shortcut = True     # (testing: _set_shortcut)
cdef Py_ssize_t _shortcuts = 0  # (testing: _shortcuts_taken)
cdef bint _reuse = True        # (testing: _set_shortcut)
cdef Py_ssize_t _answers = 0    # (testing: _answered)


cdef void set_short(bint on) noexcept nogil:
    """Testing hook: whether short groups take this path (where it suits)."""
    global _short_on
    _short_on = on


def _set_avx512(bint on=True):
    """Testing hook: the AVX-512F loops where the CPU has them (``on``), else
    the AVX2 ones; returns whether the AVX-512F loops run."""
    return bool(skp_set_avx512(on))


def _set_max_bytes(Py_ssize_t n_bytes=1 << 23):
    """Testing hook: the largest matrix this path takes without its sample's
    say (``_MAX_BYTES``); returns the setting it replaces."""
    global _MAX_BYTES
    previous, _MAX_BYTES = _MAX_BYTES, n_bytes
    return previous


def _set_avx2_column_rows(Py_ssize_t rows=8):
    """Testing hook: the longest column groups the AVX2 loops take
    (``_AVX2_COLUMN_ROWS``; 16 for every length)."""
    global _AVX2_COLUMN_ROWS
    _AVX2_COLUMN_ROWS = rows


def _set_segments(int keep=-1):
    """Testing hook: whether the AVX-512F loops keep the groups' segments (see
    ``_newton``): -1 where they pay (``_SEGMENTS_MIN_LENGTH``), 1 always, 0
    never (the AVX2 loops always do)."""
    global _segments
    _segments = keep


def _set_shortcut(bint on=True, bint reuse=True):
    """Testing hook: Newton's last step taken without its pass where the pass
    before shows no breakpoint on the way (``on``, see ``_newton``), or by
    the pass that finds the counts settled; a pass taking the segments of
    the pass before where they still hold (``reuse``), or every group's
    again."""
    global _shortcut, _reuse
    _shortcut = on
    _reuse = reuse


def _shortcuts_taken(bint reset=False):
    """Testing hook: (Newton's last steps taken without their pass, octets or
    quartets of groups whose segments a pass took from the pass before; see
    ``_newton``) since the last reset, which ``reset`` does after reading
    them; not thread-safe."""
    global _shortcuts, skp_short_reused
    taken = (_shortcuts, skp_short_reused)
    if reset:
        _shortcuts = skp_short_reused = 0
    return taken


def _set_max_steps(int steps=64):
    """Testing hook: Newton's steps before the path declines (0: at once)."""
    global _MAX_STEPS
    _MAX_STEPS = steps


def _answered(bint reset=False):
    """Testing hook: the calls this path answered (did not decline) since the
    last reset, which ``reset`` does after reading them; not thread-safe."""
    global _answers
    answers = _answers
    if reset:
        _answers = 0
    return answers


cdef inline Py_ssize_t _layout(const floating[:, :] y, bint groups_are_rows) noexcept nogil:
    """The groups' length where this path takes them, else 0.

    Row groups of a contiguous block (the rows one after the other), or
    column groups of contiguous rows (_COLUMN_MIN_GROUPS of them at least;
    of at most _AVX2_COLUMN_ROWS rows with the AVX2 loops), of at most
    SKP_SHORT_COLUMN_ROWS entries.
    """
    cdef Py_ssize_t item = sizeof(floating)
    cdef Py_ssize_t n = y.shape[1] if groups_are_rows else y.shape[0]
    if (not _short_on or not skp_short_enabled() or n > SKP_SHORT_COLUMN_ROWS
            or y.strides[1] != item
            or (groups_are_rows and y.strides[0] != n * item)
            or (not groups_are_rows and (y.shape[1] < _COLUMN_MIN_GROUPS
                                         or (n > _AVX2_COLUMN_ROWS and not skp_short_avx512())))):
        return 0
    return n


cdef inline bint _keeps_segments(Py_ssize_t n, bint single) noexcept nogil:
    """Whether the passes over groups of ``n`` entries keep their segments."""
    if not skp_short_avx512() or _segments == 1:
        return True
    return _segments == -1 and single and n >= _SEGMENTS_MIN_LENGTH


cdef inline Py_ssize_t _pass(const floating* sorted, const double* sums, Py_ssize_t n_groups,
                             Py_ssize_t n, Py_ssize_t every, double theta, double* levels,
                             skp_short_segments* seg, double* p, double* q,
                             double* next_break) noexcept nogil:
    if floating is float:
        return skp_short_pass_f32(sorted, sums, n_groups, n, every, theta, levels, seg, p, q,
                                  next_break)
    else:
        return skp_short_pass_f64(sorted, sums, n_groups, n, every, theta, levels, seg, p, q,
                                  next_break)


cdef bint _newton(const floating* sorted, const double* sums, Py_ssize_t n_groups, Py_ssize_t n,
                  Py_ssize_t every, double eta, double* theta, double* levels,
                  skp_short_segments* seg, int* steps) noexcept nogil:
    """Newton's steps from ``theta`` until the counts settle (see above); False if not.

    A start above theta^* steps below it (the tangent of a convex function
    lies under it), then on from the left; a start where every group is
    zero starts over from 0.  ``every``: over one block in that many.
    ``levels`` (every = 1; NULL for a sample): where the groups' levels at
    theta^* go.  Without ``seg``, each step's pass writes the levels at the
    step there, so that the pass that finds the counts settled leaves those
    of theta^* (no pass more for them).

    With ``seg`` (whose factors are ``levels``), each pass leaves every
    group's level at its theta as two factors (``skp_short_factor_levels``,
    which gives those of theta^* at the end), and each group's breakpoints
    around the pass's theta, which the next pass reads instead of the group
    where they still hold its theta (an octet of groups at a time with
    AVX-512F, a quartet with AVX2: the same counts and sums, so the same
    bits, without the group's sums and breakpoints taken again).  Each pass
    also finds the least breakpoint above its theta: a step up from theta
    that stays below it keeps every count, so it is theta^* (F is linear on
    [theta, step] and the step its root), and the pass there, which would
    only have found the counts settled, is left out: the levels come from
    the factors of the pass at theta, with the bits that pass would have
    written.  (Without ``seg`` a pass finds no breakpoint: -inf.)
    """
    cdef double p, q, next_p, next_q, step, above, next_above
    cdef Py_ssize_t count, next_count
    cdef int s
    global _shortcuts
    # (no levels from the first pass: a step's pass, or the factors it leaves
    # in ``seg``, give those of theta^*; the passes after it take the
    # segments stored since: every group's, or none where it was zero by its
    # norm)
    if seg != NULL:
        seg.known = False
    count = _pass(sorted, sums, n_groups, n, every, theta[0], NULL, seg, &p, &q, &above)
    if seg != NULL:
        seg.known = True
    if q == 0.0:
        theta[0] = 0.0
        count = _pass(sorted, sums, n_groups, n, every, 0.0, NULL, seg, &p, &q, &above)
    for s in range(_MAX_STEPS):
        steps[0] += 1
        step = (p - eta) / q      # (q > 0: below theta^*, some group is not zero)
        if _shortcut and step >= theta[0] and step < above:
            theta[0] = step
            _shortcuts += 1
            break
        next_count = _pass(sorted, sums, n_groups, n, every, step, levels, seg, &next_p,
                           &next_q, &next_above)
        if next_count == count and step >= theta[0]:
            theta[0] = step
            break
        theta[0], count, p, q, above = step, next_count, next_p, next_q, next_above
    else:
        return False
    if seg != NULL and levels != NULL:
        skp_short_factor_levels(levels, seg.inverses, sums, n_groups, theta[0], levels)
    return True


cdef int short_project(const floating[:, :] y, floating[:, :] x, double eta,
                       bint groups_are_rows, Work* w, double* mu, double* theta_out,
                       int* rounds) noexcept nogil:
    """Steps 1-5 for short groups (see above), before step 1 of the other paths.

    Returns the status (STATUS_NONFINITE for a NaN, an infinity or a group
    sum that overflows, nothing written; STATUS_INSIDE with ``mu`` the
    maxima and ``y`` copied), or SMALL_DECLINED (nothing written) where the
    layout does not suit or the steps do not settle.  Scratch from ``w``:
    step 1's sums and maxima, the levels in the input's precision, the list
    of kept groups.
    """
    cdef Py_ssize_t n = _layout(y, groups_are_rows)
    cdef Py_ssize_t n_groups = y.shape[0] if groups_are_rows else y.shape[1]
    cdef Py_ssize_t block = 16 if floating is float else 8
    cdef floating* sorted
    cdef int status
    cdef double clock = now()
    if n == 0 or (y.shape[0] * y.shape[1] * sizeof(floating) > _MAX_BYTES
                  and not _keeps_enough(y, groups_are_rows, n, eta)):
        return SMALL_DECLINED
    sorted = <floating*> malloc((n_groups + block - 1) // block * block * n * sizeof(floating))
    if sorted == NULL:
        return STATUS_NOMEMORY
    if floating is float:
        status = skp_short_sort_f32(&y[0, 0], y.strides[0], n_groups, n, groups_are_rows,
                                    sorted, w.lists.maxima, w.lists.sums)
    else:
        status = skp_short_sort_f64(&y[0, 0], y.strides[0], n_groups, n, groups_are_rows,
                                    sorted, w.lists.maxima, w.lists.sums)
    clock = lap(PHASE_SUMS, clock)
    status = (STATUS_NONFINITE if status
              else _solve(y, x, eta, groups_are_rows, w, sorted, n, mu, theta_out, rounds))
    free(sorted)
    global _answers
    _answers += status != SMALL_DECLINED
    return status


cdef bint _keeps_enough(const floating[:, :] y, bint groups_are_rows, Py_ssize_t n,
                        double eta) noexcept nogil:
    """Whether a sample of the groups keeps at least _MIN_KEPT of them.

    The sample is one block of groups in _KEEPS_EVERY, sorted alone;
    Newton's steps on it, at eta's share by the sample's count of groups,
    give its theta, which keeps the groups whose sum exceeds it.  Where
    there are too few blocks for a sample, or its arrays cannot be
    allocated or hold NaN or inf, or it lies inside its ball, the path is
    taken (it decides those itself).  (Scaled by the sample's share of the
    maxima's sum instead, as _solve's first iterate, the estimate held on
    Cauchy groups whose samples held a few of the largest, but that sum
    cost every call a read of the matrix: 1-3 copies more where the path
    runs.)
    """
    cdef Py_ssize_t n_groups = y.shape[0] if groups_are_rows else y.shape[1]
    cdef Py_ssize_t block = 16 if floating is float else 8
    cdef Py_ssize_t n_blocks = (n_groups + block - 1) // block
    cdef Py_ssize_t n_sampled = (n_blocks + _KEEPS_EVERY - 1) // _KEEPS_EVERY
    cdef Py_ssize_t b, g, size, n_kept = 0, n_in = 0
    cdef double sample_max = 0.0, theta = 0.0
    cdef int steps = 0
    cdef bint finite = True, enough = True
    cdef skp_short_segments seg
    if n_sampled < _SAMPLE_MIN_BLOCKS:
        return True
    # (the sample's sorted groups; their maxima, sums, levels, and the
    # segments _solve keeps, which the AVX2 passes always read)
    cdef floating* sorted = <floating*> malloc(n_sampled * block * n * sizeof(floating))
    cdef double* stats = <double*> malloc(7 * n_sampled * block * sizeof(double))
    if sorted == NULL or stats == NULL:
        free(sorted)
        free(stats)
        return True
    cdef double* maxima = stats
    cdef double* sums = stats + n_sampled * block
    cdef double* first = stats + 2 * n_sampled * block
    seg.factors = first
    seg.inverses = stats + 3 * n_sampled * block
    seg.low = stats + 4 * n_sampled * block
    seg.high = stats + 5 * n_sampled * block
    seg.counts = <long long*> (stats + 6 * n_sampled * block)
    seg.reuse = _reuse
    for b in range(n_sampled):
        g = b * _KEEPS_EVERY * block
        size = min(block, n_groups - g)
        if floating is float:
            finite = not skp_short_sort_f32(
                &y[g, 0] if groups_are_rows else &y[0, g], y.strides[0], size, n,
                groups_are_rows, <float*> sorted + b * block * n, maxima + b * block,
                sums + b * block)
        else:
            finite = not skp_short_sort_f64(
                &y[g, 0] if groups_are_rows else &y[0, g], y.strides[0], size, n,
                groups_are_rows, <double*> sorted + b * block * n, maxima + b * block,
                sums + b * block)
        for g in range(b * block + size, (b + 1) * block):   # (a short last block)
            maxima[g] = sums[g] = 0.0
        n_in += size
        if not finite:
            break
    if (finite and first_levels(sums, maxima, n_sampled * block, first, &sample_max)
            and sample_max > eta * n_in / n_groups
            and _newton(sorted, sums, n_sampled * block, n, 1, eta * n_in / n_groups, &theta,
                        NULL, &seg if _keeps_segments(n, floating is float) else NULL,
                        &steps)):
        for g in range(n_sampled * block):
            n_kept += sums[g] > theta
        enough = n_kept >= _MIN_KEPT * n_in
    free(sorted)
    free(stats)
    return enough


cdef int _solve(const floating[:, :] y, floating[:, :] x, double eta, bint groups_are_rows,
                Work* w, const floating* sorted, Py_ssize_t n, double* mu, double* theta_out,
                int* rounds) noexcept nogil:
    """From the sorted groups: the inside test, Newton's steps, the levels, the write."""
    cdef Py_ssize_t n_groups = y.shape[0] if groups_are_rows else y.shape[1]
    cdef Py_ssize_t block = 16 if floating is float else 8
    cdef Py_ssize_t g, h, n_kept = 0
    cdef double total_max = 0.0, sample_max = 0.0, theta = 0.0
    cdef double* maxima = w.lists.maxima
    cdef floating* levels = <floating*> w.clip_levels
    cdef Py_ssize_t* kept = w.lists.active
    cdef double* segments = NULL
    cdef skp_short_segments* segments_of = NULL
    cdef skp_short_segments seg
    cdef bint settled
    cdef double clock = now()
    if not first_levels(w.lists.sums, maxima, n_groups, mu, &total_max):
        return STATUS_NONFINITE     # (a sum that overflows: rescaled by the caller)
    if total_max <= eta:
        copy_matrix(y, x)
        return STATUS_INSIDE
    rounds[0] = 0
    if _keeps_segments(n, floating is float):
        segments = <double*> malloc(4 * n_groups * sizeof(double))
        if segments == NULL:
            return STATUS_NOMEMORY
        seg.factors = mu
        seg.inverses = segments
        seg.low = segments + n_groups
        seg.high = segments + 2 * n_groups
        seg.counts = <long long*> (segments + 3 * n_groups)
        seg.reuse = _reuse
        segments_of = &seg
    if n_groups >= _SAMPLE_MIN_BLOCKS * block:
        g = 0
        while g < n_groups:     # (the blocks the sample's passes read)
            for h in range(g, min(g + block, n_groups)):
                sample_max += maxima[h]
            g += _SAMPLE_EVERY * block
        if not _newton(sorted, w.lists.sums, n_groups, n, _SAMPLE_EVERY,
                       eta * (sample_max / total_max), &theta, NULL, segments_of, rounds):
            theta = 0.0
    settled = _newton(sorted, w.lists.sums, n_groups, n, 1, eta, &theta, mu, segments_of, rounds)
    free(segments)
    if not settled:
        return SMALL_DECLINED
    clock = lap(PHASE_SOLVE, clock)
    # (the levels are at least 0: a group not zero has theta below its last
    # breakpoint, S_(c+1) - theta >= (c + 1) a_(c+2) >= 0)
    if floating is float:
        n_kept = skp_short_levels_f32(mu, n_groups, levels, kept)
    else:
        n_kept = skp_short_levels_f64(mu, n_groups, levels, kept)
    write_clipped(y, x, levels, kept, n_kept, groups_are_rows)
    lap(PHASE_WRITE, clock)
    theta_out[0] = theta
    return STATUS_PROJECTED
