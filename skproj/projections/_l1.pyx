# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Kernels for the l1 ball and the simplex, and the l1 thresholds of short vectors.

The projection of ``y`` onto the simplex ``{x >= 0 : sum(x) = radius}`` is the
soft threshold ``x = max(y - tau, 0)`` where ``tau`` solves
``sum(max(y - tau, 0)) = radius``; the l1 ball is the simplex of the
magnitudes with the signs put back.

``tau`` is found by Michelot's iteration, whose passes drop the values at or
below the current threshold without a data-dependent branch
(``michelot_above``; the other kernels use it on short vectors: the group
norms, a group's magnitudes).  The vector kernels ``l1_ball`` and
``simplex`` (large arrays, any radius) first bracket ``tau`` with a sample
and gather the values inside the bracket in one read pass; see the section
"the l1 ball" below.  Condat's scan, which branches on every value, was
dropped: it mispredicts where the support is a large share of the values,
the common case of the bi-level projections' group norms.

Kernels never validate: the functional API in ``skproj.projections`` does.  They
return a status code (see ``STATUS_*``) that the API turns into errors.

References
----------
L. Condat, "Fast projection onto the simplex and the l1 ball", Mathematical
Programming 158 (2016), 575-585.
C. Michelot, "A finite algorithm for finding the projection of a point onto
the canonical simplex of R^n", J. Optim. Theory Appl. 50 (1986), 195-200.
"""

import numpy as np

from libc.float cimport DBL_MAX, FLT_MAX
from libc.math cimport fabs, fmin, nextafter, sqrt, INFINITY, NAN
from libc.string cimport memmove
from cython cimport floating

# (the sample and the gather buffer, 5-10 MB on 10**7 values, from the kernels'
# shared cache: from the system, the pages the gather touched were zeroed
# afresh on every call)
from skproj.projections._scratch_cache cimport scratch_free, scratch_malloc
from skproj.projections._sums cimport TERM_MAGNITUDE, TERM_POSITIVE, TERM_VALUE, sum_terms
from skproj.projections._common cimport (
    SPARSE_WRITE_DIVISOR, copy_matrix, matrix_slice, shrink, strided_slice, zero_if_contiguous,
)

from skproj.projections._cpu import kernel_threads, register_thread_controller

# ---------------------------------------------------------------- the l1 ball
#
# The vector kernels find tau in one read pass at every radius:
#
# 1. a sample of the values (strided over the whole array) gives the
#    threshold of the same problem scaled to the sample, and two values of
#    the sample that bracket it by a few standard deviations of its rank,
#    or of the threshold itself where the sample's sum is the noisier
#    (heavy tails, on arrays beyond the cache: ``_tail_cap``); where that
#    would need far more than it may take and the sum S of the values would
#    give a far narrower bracket (heavier tails), or the sample's sum falls
#    short of the radius, no guess: S comes first, by a plain read, and the
#    bracket through it;
# 2. one read pass sums the values (the inside test, NaN/inf), counts and
#    sums the values at or above the bracket, and gathers the values inside
#    it into a buffer (in the input's dtype, room for half as many again as
#    the widest bracket holds, ``_gather_capacity``);
#    (float32, AVX-512F or AVX2, where the bracket excludes 0: a lean pass
#    without the sum; see ``_scan_cached``);
# 3. whether tau lies in the bracket is decided exactly from those sums; if it
#    does, Michelot's method on the gathered values, the values above the
#    bracket counted as one block, gives tau exactly.  Otherwise (an
#    unrepresentative sample: heavy tails, whose few extremes carry most of
#    the l1 norm) the bracket is taken again from the sample with the scan's
#    sum of all the values, and scanned once more (``_sample_bracket``'s
#    ``known_total``: non-negative values; a simplex of signed values takes
#    the sum of their positive parts, one more read, and the sample's positive
#    or negative parts by the sign of tau that sum shows);
#    where that misses too, or holds too many values, or no bracket comes even
#    through the sum, Newton passes over the data (the scans' loops) from a
#    lower bound of tau finish the search;
# 4. one pass writes the result.
#
# Memory: the sample and its work space (3 * SAMPLE_SIZE doubles) and the
# gather buffer (``_gather_capacity``: an eighth of the input's bytes on large
# arrays, at most 21 % of them from 2**15 values on, all of them at 4096
# values and fewer): never a copy of the input.

cdef enum:
    SAMPLE_SIZE = 16384       # sampled values on large arrays
    MIN_SAMPLE = 1024         # ... and at least this many (all on small arrays)
    SAMPLE_DIVISOR = 64       # ... at most 1 / SAMPLE_DIVISOR of the values (its
                              # selections cost more than a wider bracket below that)
    SAMPLE_RUN = 16           # ... in runs of this many neighbours (contiguous input)
    GATHER_DIVISOR = 8        # the gather buffer holds at least n / 8 values
    MIN_CAPACITY = 4096       # ... and this many (see _gather_capacity)
    SCAN_BLOCK = 64           # values counted before the gather scans them (small:
                              # blocks with nothing in the bracket are skipped)
    BRACKET_SIGMAS = 4        # half-width of the bracket, in rank deviations
    BRACKET_MARGIN = 8        # ... plus this many ranks
    CACHED_BYTES = 1 << 20    # float32 arrays up to this size take the scan in cache
    GATHER_ALL_DIVISOR = 6    # ... widened, at half that size, to every value above its
                              # low end or below its high end where at most n / 6 are
                              # (_gather_limit)

# Testing hook (``_set_testing``): a bracket that misses tau, so that tests
# exercise the Newton passes on every problem.
cdef bint _force_fallback = False
# Testing hook (``_set_testing``): the sampled bracket widened for heavy tails
# where that suits (``_tail_cap``), or never.
cdef bint _tail_spreads = True
# Testing hook (``_set_testing``): the scan of an array in cache gathers every
# value above the bracket's low end, or below its high end, where few are
# (``_gather_limit``), or never.
cdef bint _gather_all = True
# Testing hook (``_last_threshold_way``): how the last threshold was found,
# 0 in the sample's bracket, 1 in the bracket taken again with the scan's sum
# S (``_sample_bracket``'s ``known_total``), 2 by Newton's passes.
cdef int _threshold_way = 0


cdef inline double _as_value(double value, bint magnitudes) noexcept nogil:
    """The value a kernel thresholds: ``|y|`` on the l1 ball, ``y`` on the simplex."""
    return fabs(value) if magnitudes else value


cdef void _select(double* values, Py_ssize_t n, Py_ssize_t k) noexcept nogil:
    """Reorder ``values`` so that ``values[k]`` is its k-th smallest (Hoare's selection)."""
    cdef Py_ssize_t low = 0, high = n - 1, i, j
    cdef double pivot, swap
    while low < high:
        pivot = values[low + (high - low) // 2]
        i, j = low, high
        while i <= j:
            while values[i] < pivot:
                i += 1
            while values[j] > pivot:
                j -= 1
            if i <= j:
                swap = values[i]
                values[i] = values[j]
                values[j] = swap
                i += 1
                j -= 1
        if k <= j:
            high = j
        elif k >= i:
            low = i
        else:
            return


cdef struct Bracket:
    double low     # values in [low, high) are gathered,
    double high    # values >= high are counted and summed
    # (-DBL_MAX and DBL_MAX stand for no bound: the sums need finite bounds)
    int widen      # the scan in cache may gather every value at or above low
                   # (SKP_WIDEN_UP), or below high (SKP_WIDEN_DOWN), then part
                   # them (skp_scan_cached_f32_unguarded); 0 where not
    double radius  # (SKP_WIDEN_DOWN: the radius, whose Michelot bound is the
                   # low end that scan takes: skp_scan_cached_f32_)


cdef Bracket _sample_bracket(const floating[:, :] y, double radius, bint magnitudes,
                             double* sample, Py_ssize_t size,
                             double known_total=NAN, int parts=0) noexcept nogil:
    """A bracket of tau from ``size`` values spread over ``y`` (``sample``: 3 * size + 1 doubles).

    The sample's own threshold at the radius scaled to its size has a
    support of ``k`` values; the bracket runs from the sample's value of rank
    ``k + d`` to that of rank ``k - d`` (from the top), ``d`` a few binomial
    standard deviations of ``k``: the ``d``-th smallest of the support and the
    ``d``-th largest of the rest, each selected in its own part.  On an array
    beyond the cache, where the plain scaling below holds, each side widens
    to the sampled values within as many standard deviations of the sample's
    threshold, estimated from the spread of the terms ``(v - t)_+``, up to
    ``_tail_cap`` ranks (``skp_bracket_spreads_f64``): the binomial deviation
    counts which values the sample drew above tau, not how far above, and
    under heavy tails a few large ones carry the sample's sum.  Issue 14, an
    Intel Xeon, 10**7 values at radii keeping 0.1-90 % of them, single calls
    interleaved, times a copy, binomial / widened: Student t(3) float32 1.92
    / 1.33 and 2.13 / 1.52 where the binomial bracket missed (then a second
    scan), float64 2.65 / 1.72 and 1.93 / 1.34; log-normal (sigma 1.5) 2.02-
    2.66 / 1.46-1.76; Cauchy at 0.1 % 2.00 / 1.40 and 2.55 / 1.68; where both
    held, Gaussian and uniform even, Student t(3) and log-normal up to 1.08
    times as long (wider gathers).  On 10**6 float32 Student t(3) values, 40
    seeds at 1, 10 and 50 %: 13 misses binomial (3 of them finished by
    Newton's passes), 2 widened.

    Where the widening would need more than 1.5 times ``_tail_cap`` and the
    bracket through S would be four times narrower, no guess for the l1
    ball's magnitudes (``skp_bracket_spreads_f64``'s ``sum_half``): the
    caller reads S first.

    ``known_total``: the sum S of all the values (a scan's or a plain
    read's), where a first bracket missed or was unsure.  The radius is
    then scaled through the identity
    ``sum((v - t)_+) = S - sum(min(v, t))``: the sample's radius is its own
    sum less ``(S - radius) * size / n``, whose terms ``min(v, t)`` are
    bounded by ``t``, where the plain scaling ``radius * size / n`` leans on
    the sample's sum standing for S's share.  Under heavy tails it does not:
    a few extremes carry most of the l1 norm, the sample misses them and its
    threshold misses tau, far (issue 14, an Intel Xeon, 10**7 Cauchy or
    Student t(3) values, radii keeping 50-90 % of them: 19-37 times a copy,
    Newton's passes over the whole array after the miss).

    ``parts`` (a simplex of signed values): 1 where tau is known to be
    positive, ``known_total`` the sum S+ of the values' positive parts: the
    sampled values' positive parts stand for them, as only the values above
    tau count (the terms min(v, t) are bounded only where no value is
    negative).  -1 where tau is known to be negative, ``radius`` then less
    S+: the sampled values' negative parts min(v, 0) stand for them, as
    ``(v - t)_+ = (min(v, 0) - t)_+ + max(v, 0)`` for t < 0, and their terms
    ``(min(v, 0) - t)_+`` are bounded by -t, so the plain scaling holds
    whatever the tails.
    """
    cdef Py_ssize_t n = y.shape[0] * y.shape[1], n_cols = y.shape[1], i, j, support
    cdef Py_ssize_t n_rest = 0, row = 0, col = 0, carry = 0, low_spread, high_spread
    cdef double sum_half = 0.0
    # (the plain scaling, where the sample's sum stands for S's share)
    cdef Py_ssize_t cap = (_tail_cap(n, size, sizeof(floating)) if known_total != known_total
                           and parts == 0 else 0)
    # The i-th sampled index is (i * n) // size, stepped without a division.
    cdef Py_ssize_t step = n // size, extra = n % size
    cdef Py_ssize_t step_rows = step // n_cols, step_cols = step % n_cols
    cdef double* work = sample + size
    cdef double total = 0.0, scaled = radius * size / <double> n, tau, value, found
    cdef Bracket bracket
    cdef int widen = 0
    bracket.low = -DBL_MAX
    bracket.high = DBL_MAX
    bracket.widen = 0
    bracket.radius = radius
    if size == n:
        return bracket     # a small array: every value is gathered
    cdef const char* base = <const char*> &y[0, 0]
    cdef const floating* run
    if y.shape[0] == 1 and y.strides[1] == sizeof(floating):
        # One contiguous row: runs of SAMPLE_RUN neighbours (a cache line)
        # spread evenly, so that the sample reads a 16th of the lines it
        # would read value by value (size < n leaves room for every run).
        size -= size % SAMPLE_RUN
        scaled = radius * size / <double> n
        if floating is float and parts == 0:
            # (float32 with AVX-512F or AVX2: the same bracket from the same
            # runs, all in float, through S where it is known (not NaN);
            # ``sample`` holds the 4 * size floats it needs.  Through S, on
            # 100 x 1000 Student t(3) values whose sampled bracket missed,
            # the double version took a third of the call's time beyond its
            # two scans (issue 14, the Zen 5))
            if _simd and skp_sample_bracket_f32(
                    <const float*> base, size // SAMPLE_RUN, n // (size // SAMPLE_RUN),
                    magnitudes, scaled if known_total != known_total
                    else (known_total - radius) * (size / <double> n),
                    known_total == known_total, BRACKET_SIGMAS, BRACKET_MARGIN, cap,
                    _gather_limit(n, size), <float*> sample, &bracket.low, &bracket.high,
                    &widen):
                bracket.widen = widen
                return bracket
        for i in range(size // SAMPLE_RUN):
            run = (<const floating*> base) + i * (n // (size // SAMPLE_RUN))
            for j in range(i * SAMPLE_RUN, (i + 1) * SAMPLE_RUN):
                sample[j] = _as_value(run[j - i * SAMPLE_RUN], magnitudes)
                work[j] = sample[j]
    else:
        for i in range(size):
            sample[i] = _as_value((<const floating*> (base + row * y.strides[0]
                                                      + col * y.strides[1]))[0], magnitudes)
            work[i] = sample[i]
            carry += extra
            col += step_cols + (carry >= size)
            carry -= size if carry >= size else 0
            row += step_rows
            if col >= n_cols:
                col -= n_cols
                row += 1
    if parts != 0:
        for i in range(size):
            sample[i] = max(sample[i], 0.0) if parts > 0 else min(sample[i], 0.0)
            work[i] = sample[i]
    total = sum_terms(sample, size, 1, TERM_VALUE)   # (four chains of additions)
    if known_total == known_total:
        scaled = total - (known_total - radius) * (size / <double> n)
        if not scaled > 0.0:
            return bracket     # the sample holds too little of S: no guess
    if total - total != 0.0 or magnitudes and total <= scaled:
        return bracket     # NaN, or a sample inside the ball: no guess
    # (Michelot's method also finds the simplex's tau, negative or not.)
    # Michelot leaves the support (the values above tau) in work[0:support].
    tau = michelot_above(work, size, total, 0.0, 0.0, scaled, &found)
    support = <Py_ssize_t> found
    # The other values, after the support (one spare slot at the end; the
    # vector loops' full vectors land in the scratch after them).
    n_rest = skp_keep_at_most_f64(sample, size, tau, work + support) if _simd else -1
    if n_rest < 0:
        n_rest = 0
        for i in range(size):
            value = sample[i]
            work[support + n_rest] = value
            n_rest += value <= tau
    skp_bracket_spreads_f64(work, support, work + support, n_rest, tau, scaled,
                            BRACKET_SIGMAS, BRACKET_MARGIN, cap, &low_spread, &high_spread,
                            &sum_half if magnitudes else NULL)
    # (the selections: vector partitions (AVX-512F or AVX2), scratch after
    # ``work``; else Hoare's)
    if support > high_spread and not (_simd and skp_select_f64(work, support, high_spread,
                                                               work + size + 1, &bracket.high)):
        _select(work, support, high_spread)
        bracket.high = work[high_spread]
    if n_rest >= low_spread and not (_simd and skp_select_f64(work + support, n_rest,
                                                              n_rest - low_spread,
                                                              work + size + 1, &bracket.low)):
        _select(work + support, n_rest, n_rest - low_spread)
        bracket.low = work[support + n_rest - low_spread]
    if skp_bracket_unsure(bracket.low, bracket.high, tau, sum_half):
        # (where S would give a far narrower bracket: no guess, S first)
        bracket.low = -DBL_MAX
        bracket.high = DBL_MAX
    return bracket


# The scan's results are a ``skp_scan`` (declared in _l1.pxd): the total of
# the values (NaN or inf show there), their minimum, the number and sum of the
# values >= bracket.high, and the values in [low, high) gathered in a buffer
# (``n_gathered`` of them, unless they did not fit: ``overflow``).

# Whether the AVX2 loops of _l1_simd.h run (the CPU has AVX2; tests may turn
# them off with ``_set_testing`` to exercise the Cython loops).
cdef bint _simd = skp_have_avx2()


cdef bint simd_enabled() noexcept nogil:
    return _simd


# Rows shorter than this are written through the caches even in a large
# result (``streams_rows``); a benchmark may change it (``_set_stream_row_bytes``).
cdef Py_ssize_t _stream_row_bytes = STREAM_ROW_BYTES


cdef bint streams_rows(Py_ssize_t n_rows, Py_ssize_t row_bytes) noexcept nogil:
    """Whether rows of ``row_bytes`` making a large result are streamed.

    Short rows are not: each streamed row starts and ends on partial vectors
    and partial cache lines (written by plain stores).  bilevel_l1inf and
    bilevel_l12 on 8-16 MB results, times a copy, streamed / not: rows of
    800 bytes 5.8 / 2.3 (float32), 3.7 / 2.4 (float64); 1600 bytes 1.0-1.8 /
    2.2; 2000 bytes 1.6-2.0 / 2.2; 8000 bytes 0.8-1.0 / 1.7-2.0 (load 4-7).
    The caller fences once after its last streamed row (``skp_stream_fence``).
    """
    return streams(n_rows * row_bytes) and row_bytes >= _stream_row_bytes


cdef inline void _scan_block(const floating* row, Py_ssize_t n, Py_ssize_t step,
                             Bracket bracket, bint magnitudes, skp_scan* scan,
                             floating* buffer, Py_ssize_t capacity) noexcept nogil:
    """Add one block of values to ``scan`` and gather those inside the bracket.

    The sums and counts come first, in a loop with no branch (whether a value
    is above the bracket is unpredictable): the sum above ``high`` is
    ``sum(max(a - high, 0))`` plus ``high`` times the count, with
    ``max(d, 0) = (d + |d|) / 2`` (exact), and the counts add comparisons.
    The values are scanned again, from L1, only when the block holds some
    inside the bracket.
    """
    cdef double total0 = 0.0, total1 = 0.0, excess0 = 0.0, excess1 = 0.0
    cdef double minimum = scan.minimum, a, b, d, e
    cdef double low = bracket.low, high = bracket.high
    cdef Py_ssize_t j, k, n_high = 0, n_low = 0, n2 = n - n % 2
    cdef floating value, low_value, high_value
    for j in range(0, n2, 2):
        a = _as_value(row[j * step], magnitudes)
        b = _as_value(row[(j + 1) * step], magnitudes)
        total0 += a
        total1 += b
        d = a - high
        e = b - high
        excess0 += d + fabs(d)
        excess1 += e + fabs(e)
        n_high += (a >= high) + (b >= high)
        n_low += (a >= low) + (b >= low)
        if not magnitudes:
            minimum = a if a < minimum else minimum
            minimum = b if b < minimum else minimum
    if n2 < n:
        a = _as_value(row[n2 * step], magnitudes)
        total0 += a
        d = a - high
        excess0 += d + fabs(d)
        n_high += a >= high
        n_low += a >= low
        if not magnitudes:
            minimum = a if a < minimum else minimum
    scan.total += total0 + total1
    scan.minimum = minimum
    scan.sum_high += 0.5 * (excess0 + excess1) + high * n_high
    scan.count_high += n_high
    if n_low == n_high or scan.overflow:
        return     # nothing inside the bracket (or no room left)
    if scan.n_gathered + n > capacity:
        scan.overflow = True
        return
    # In the input's precision: the bounds are values of the input (or +-DBL_MAX).
    low_value = -INFINITY if low == -DBL_MAX else <floating> low
    high_value = INFINITY if high == DBL_MAX else <floating> high
    k = scan.n_gathered
    for j in range(n):
        value = fabs(row[j * step]) if magnitudes else row[j * step]
        buffer[k] = value
        k += (value >= low_value) & (value < high_value)
    scan.n_gathered = k


cdef void _scan(const floating[:, :] y, Bracket bracket, bint magnitudes, skp_scan* scan,
                floating* buffer, Py_ssize_t capacity) noexcept nogil:
    """One read pass over ``y``: see ``skp_scan``."""
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1], i, j, width
    cdef Py_ssize_t step = y.strides[1] // sizeof(floating)
    scan.total = scan.sum_high = scan.count_high = 0.0
    scan.minimum = INFINITY
    scan.n_gathered = 0
    scan.overflow = False
    for i in range(n_rows):
        if step == 1 and _simd:
            if floating is float:
                skp_scan_f32(&y[i, 0], n_cols, bracket.low, bracket.high, magnitudes, scan,
                             buffer, capacity)
            else:
                skp_scan_f64(&y[i, 0], n_cols, bracket.low, bracket.high, magnitudes, scan,
                             buffer, capacity)
            continue
        j = 0
        while j < n_cols:
            width = min(<Py_ssize_t> SCAN_BLOCK, n_cols - j)
            if step == 1:
                _scan_block(&y[i, j], width, 1, bracket, magnitudes, scan, buffer, capacity)
            else:
                _scan_block(&y[i, j], width, step, bracket, magnitudes, scan, buffer,
                            capacity)
            j += width


cdef bint _scan_cached(const floating[:, :] y, Bracket bracket, bint magnitudes, skp_scan* scan,
                       floating* buffer, Py_ssize_t capacity) noexcept nogil:
    """The scan of a float32 array without the total (and, on the l1 ball,
    the minimum), at any size.

    On an array in cache the scan is bound by its vector instructions, and the
    total (the inside test, NaN and inf) costs a third of them.  Where the
    bracket excludes 0 (``low > 0``; or ``high < 0`` on the simplex) and turns
    out to hold tau, the projection moves ``y`` and the sums above the bracket
    show NaN and inf (``skp_scan_cached_f32``): the total is not needed.  So
    too where the sample widened the gather down (``Bracket.widen``, the l1
    ball's magnitudes on one row), whatever the low end: that scan sums the
    total itself, takes the values above as the total less the gathered
    ones (NaN and inf show there) and sets the low end to Michelot's bound
    (``scan.low``, which ``_threshold`` takes).
    Returns False where this scan does not apply or stopped (no AVX2, a full
    buffer); the caller then runs ``_scan``.  Where the bracket misses tau,
    the l1 ball's magnitudes take their sum S by a plain read, and the
    simplex the sum S+ of its positive parts (``_threshold``), and the lean
    scan with the far prefetch then still costs less than the full one
    (issue 14, the Zen 5, 10**7 Gaussian float32 values, a bracket of 3 % of
    them at 50, 90 and 98 % kept: 0.43-0.47 times a copy, the full scan
    0.69-0.71; the simplex at 0.1-40 % kept 1.18-1.47 -> 1.01-1.28).  An
    array in cache was scanned again in full after a miss, and its full
    scan took twice the lean one: on 100 x 1000 float32 at 10-90 % of the
    norm, Student t(3), Cauchy and log-normal values (six draws each) took
    up to 9-12 times a copy where the sample missed, 7-8 by the plain read.
    """
    cdef Py_ssize_t i
    if floating is float:
        if not (_simd and y.strides[1] == sizeof(float)
                and (bracket.low > 0 or not magnitudes and bracket.high < 0
                     or bracket.widen == SKP_WIDEN_DOWN)):
            return False
        scan.total = scan.sum_high = scan.count_high = 0.0
        scan.minimum = INFINITY
        scan.n_gathered = 0
        scan.overflow = False
        scan.low = NAN     # (a scan widened down sets it: see _threshold)
        for i in range(y.shape[0]):
            # (widened on one row alone: the radius is the whole array's)
            if not skp_scan_cached_f32(&y[i, 0], y.shape[1], bracket.low, bracket.high,
                                       magnitudes, bracket.widen if y.shape[0] == 1 else 0,
                                       bracket.radius, scan, buffer, capacity):
                return False
        return True
    else:
        return False


cdef double _bracket_ends(Bracket bracket, skp_scan* scan, floating* buffer,
                          double* at_low, double* at_high) noexcept nogil:
    """``f(t) = sum((v - t)_+)`` at both ends of the bracket, from a scan's sums.

    Returns the sum of the gathered values.
    """
    cdef double gathered_total
    at_high[0] = scan.sum_high - bracket.high * scan.count_high if scan.count_high else 0.0
    at_low[0] = INFINITY
    gathered_total = _sum_and_excess(buffer, scan.n_gathered, bracket.low, at_low)
    if bracket.low > -DBL_MAX:
        at_low[0] += scan.sum_high - bracket.low * scan.count_high
    return gathered_total


cdef Py_ssize_t keep_above(const floating* src, Py_ssize_t n, Py_ssize_t step, double rho,
                           bint magnitudes, floating* dst, double* total) noexcept nogil:
    """Compact the values of ``src`` (``|src|`` with ``magnitudes``) above ``rho`` into ``dst``.

    Returns how many were kept, in order, and their sum in ``total``.  ``dst``
    holds ``n`` values and may be ``src`` itself (``step`` 1): every write
    lands at or before the value being read.  One Michelot pass, and the
    gather of a group's magnitudes above a floor.
    """
    cdef Py_ssize_t i, kept = 0
    cdef double sum0 = 0.0, sum1 = 0.0, first, second
    cdef bint keep_first, keep_second
    if _simd:
        if floating is float:
            return skp_keep_above_f32(src, n, step, rho, magnitudes, dst, total)
        else:
            return skp_keep_above_f64(src, n, step, rho, magnitudes, dst, total)
    for i in range(0, n - 1, 2):
        first = _as_value(src[i * step], magnitudes)
        second = _as_value(src[(i + 1) * step], magnitudes)
        keep_first = first > rho
        keep_second = second > rho
        dst[kept] = <floating> first
        kept += keep_first
        dst[kept] = <floating> second
        kept += keep_second
        # Multiplying by the flag keeps the compiler from branching.
        sum0 += first * keep_first
        sum1 += second * keep_second
    if n % 2:
        first = _as_value(src[(n - 1) * step], magnitudes)
        keep_first = first > rho
        dst[kept] = <floating> first
        kept += keep_first
        sum0 += first * keep_first
    total[0] = sum0 + sum1
    return kept


cdef double _michelot(const floating* src, floating* values, Py_ssize_t n, double total,
                      double fixed_count, double fixed_sum, double radius,
                      double* support) noexcept nogil:
    """Michelot's threshold of ``src[0:n]`` (sum ``total``) and ``fixed_count`` more values.

    The ``fixed_count`` values, of sum ``fixed_sum``, are known to lie above
    the threshold; the others are compacted into ``values`` (room for ``n``;
    it may be ``src`` itself), the first pass reading ``src`` and each pass
    after it the values the pass before kept, dropping those at or below
    each iterate ``rho`` (which rises to tau).  ``support`` receives the size
    of the support.
    """
    cdef Py_ssize_t kept
    cdef double rho, kept_total
    cdef const floating* read = src
    if n + fixed_count == 0:
        support[0] = 0
        return 0.0
    while True:
        support[0] = n + fixed_count
        rho = (total + fixed_sum - radius) / support[0]
        kept = keep_above(read, n, 1, rho, False, values, &kept_total)
        if kept == n:   # stable: tau from the support's sum, summed afresh
            return (kept_total + fixed_sum - radius) / support[0]
        if kept + fixed_count == 0:
            # A radius below the rounding of the largest value: tau is rho.
            support[0] = 1
            return rho
        read = values
        n = kept
        total = kept_total


cdef double michelot_above(floating* values, Py_ssize_t n, double total, double fixed_count,
                           double fixed_sum, double radius, double* support) noexcept nogil:
    """Michelot's threshold of ``values[0:n]``, compacted in place (``_michelot``)."""
    return _michelot(values, values, n, total, fixed_count, fixed_sum, radius, support)


cdef double michelot_above_into(const double* values, Py_ssize_t n, double total, double radius,
                                double* work, double* support) noexcept nogil:
    """Michelot's threshold of ``values[0:n]``, which are left as they are.

    The passes run in ``work`` (room for ``n``), the first compacting the
    values into it: the iterates and bits of a copy of the values compacted
    in place, without the copy (the bi-level projections' group norms: on
    20000 of them, a read and a write of 160 KB).
    """
    return _michelot(values, work, n, total, 0.0, 0.0, radius, support)


# (SHORT_GROUP, groups up to this long: Michelot's passes without compaction: _l1.pxd)
cdef enum:
    IN_CACHE_GATHER = 16384   # ... and gathered values up to this many (64 KiB)


cdef double group_threshold(floating* values, Py_ssize_t n, double total, double radius,
                            double* support) noexcept nogil:
    """The threshold of one group's magnitudes ``values[0:n]`` (sum ``total``).

    ``michelot_above``'s result; a short float32 group (AVX2) is not
    compacted: its passes count and sum in registers (``skp_short_threshold_f32``),
    which spares the many short calls of the compaction their fixed cost.
    ``values`` may be reordered.
    """
    if floating is float:
        if _simd and n <= SHORT_GROUP:
            return skp_short_threshold_f32(values, n, total, 0.0, 0.0, radius, support)
    return michelot_above(values, n, total, 0.0, 0.0, radius, support)


# ------------------------------------------------------ large arrays in two halves

# An array of HALVES_BYTES or more is read by the scan and written in two
# halves (blocks of rows, or of its one row's values), the second on a thread
# of its own where two CPUs are free (``half_threads``; _threads.h): the
# values' order matters to the threshold only through the sums, and each
# half's sums are the same on one thread or two, so the result does not
# depend on the threads.  Both passes wait on the memory, which two cores
# read and write in about three quarters of one's time.  Issue 14, an AMD
# Zen 4 with 2 cores, 10**7 values at 1 % and half of the norm, times a
# copy, one thread / a prototype of two halves on two (from Python threads):
# float64 1.12 / 0.67, 1.27 / 0.77; float32 1.19 / 0.97, 1.31 / 1.10.

cdef extern from "_threads.h" nogil:
    ctypedef void (*skp_half_job)(void* half) noexcept nogil
    int skp_run_halves(skp_half_job job, void* first, void* second, int threads)

cdef extern from "_thread_setting.h" nogil:
    int skp_threads
    int skproj_get_num_threads()
    void skproj_set_num_threads(int threads)


cdef int half_threads() noexcept nogil:
    return skp_threads


def _threads():
    """The threads that run a large array's two halves (1: one after the other),
    here and in ``_bilevel``."""
    return skproj_get_num_threads()


def _set_threads(int threads):
    """Set ``_threads()`` (at most 2), as ``_cpu.kernel_threads()`` does at import
    and ``threadpoolctl.threadpool_limits`` within its context; returns the
    previous setting."""
    previous = skproj_get_num_threads()
    skproj_set_num_threads(threads)
    return previous


_set_threads(kernel_threads())
register_thread_controller()


cdef enum:
    # a half's work
    HALF_SCAN = 0
    HALF_SHRINK = 1      # the l1 ball's write
    HALF_SUBTRACT = 2    # the simplex's


ctypedef struct _Half:
    # (the l1 ball's and the simplex's work of a half: run_halves)
    int work
    # HALF_SCAN: ``_scan_any``'s arguments, whether it ran lean, its sums,
    # and the half's own gather buffer
    Bracket bracket
    bint magnitudes, lean_allowed, lean
    skp_scan scan
    char* buffer
    Py_ssize_t capacity
    # the writes: see _write_part
    double tau
    bint sparse, stream


# (the least bytes of an array in halves: HALVES_BYTES; ``_set_halves_bytes``)
cdef Py_ssize_t _halves_bytes = HALVES_BYTES


cdef inline Py_ssize_t _split_at(const floating[:, :] y) noexcept nogil:
    """Where a large array's second half starts: a row of several, or else a
    value of its one row (a multiple of 16, so that the second half's values
    lie on lines as they do in the whole); 0: one piece."""
    if y.shape[0] * y.shape[1] * <Py_ssize_t> sizeof(floating) < _halves_bytes:
        return 0
    return y.shape[0] // 2 if y.shape[0] >= 2 else y.shape[1] // 32 * 16


def _split_point(const floating[:, :] y):
    """Testing hook: ``_split_at``, and whether it splits the rows."""
    return _split_at(y), y.shape[0] >= 2


def _set_halves_bytes(Py_ssize_t n_bytes=HALVES_BYTES):
    """Testing and benchmark hook: the least bytes of an array the l1 ball and
    the simplex take in two halves (HALVES_BYTES by default); returns the
    previous setting."""
    global _halves_bytes
    previous = _halves_bytes
    _halves_bytes = max(n_bytes, 0)
    return previous


ctypedef struct _Block:
    # (a half's extent, its jobs, and the caller's record of its work)
    Halves block
    void* half


cdef void _run_block(void* pointer) noexcept nogil:
    """A half's job (skp_half_job), on views of its block."""
    cdef _Block* half = <_Block*> pointer
    cdef Halves* b = &half.block
    # (filled by the macro; not "= None", which would call into Python on a
    # thread that holds no Python state: Cython zeroes them, memview NULL)
    cdef const float[:, :] y32
    cdef float[:, :] x32
    cdef const double[:, :] y64
    cdef double[:, :] x64
    if b.single:
        strided_slice(y32, b.y, b.n_rows, b.n_cols, b.y_row, b.y_col)
        strided_slice(x32, b.x, b.n_rows, b.n_cols, b.x_row, b.x_col)
        b.job32(half.half, y32, x32)
    else:
        strided_slice(y64, b.y, b.n_rows, b.n_cols, b.y_row, b.y_col)
        strided_slice(x64, b.x, b.n_rows, b.n_cols, b.x_row, b.x_col)
        b.job64(half.half, y64, x64)


cdef void run_halves(const Halves* whole, Py_ssize_t split, bint by_rows, void* first,
                     void* second) noexcept nogil:
    """The jobs of ``whole`` on its two halves: its first ``split`` rows
    (``by_rows``) or columns and the rest, ``first`` and ``second`` their
    records of the work; the second on a thread of its own where the setting
    is 2 (``half_threads``; skp_run_halves), then joined.  ``split`` 0: the
    job on the whole, on the calling thread, ``first`` its record
    (``second`` untouched)."""
    cdef _Block a, b
    a.block = whole[0]
    a.half = first
    if split == 0:
        _run_block(&a)
        return
    b.block = whole[0]
    b.half = second
    if by_rows:
        a.block.n_rows = split
        b.block.n_rows = whole.n_rows - split
        b.block.y += split * whole.y_row
        b.block.x = NULL if whole.x == NULL else whole.x + split * whole.x_row
    else:
        a.block.n_cols = split
        b.block.n_cols = whole.n_cols - split
        b.block.y += split * whole.y_col
        b.block.x = NULL if whole.x == NULL else whole.x + split * whole.x_col
    skp_run_halves(_run_block, &a, &b, half_threads())


cdef void _half_work(void* pointer, const floating[:, :] y, floating[:, :] x) noexcept nogil:
    """The l1 ball's and the simplex's job of a half (``_Half``)."""
    cdef _Half* half = <_Half*> pointer
    if half.work == HALF_SCAN:
        half.lean = _scan_any(y, half.bracket, half.magnitudes, &half.scan,
                              <floating*> half.buffer, half.capacity, half.lean_allowed)
    else:
        _write_part(y, x, half)


cdef void _halves(const floating[:, :] y, floating* x, Py_ssize_t x_row, Py_ssize_t x_col,
                  Py_ssize_t buffer_step, _Half* first, _Half* second) noexcept nogil:
    """``first``'s work (set by the caller) on the halves of ``y`` (``_split_at``),
    the result's memory at ``x`` (strides ``x_row``, ``x_col`` in bytes; NULL
    for the scan); the second half's buffer ``buffer_step`` bytes past the
    first's.  ``second``: the second half's work and results."""
    cdef Halves whole
    set_block(&whole, y, <char*> x, x_row, x_col)
    whole.job32 = _half_work[float]
    whole.job64 = _half_work[double]
    second[0] = first[0]
    second.buffer = NULL if first.buffer == NULL else first.buffer + buffer_step
    run_halves(&whole, _split_at(y), y.shape[0] >= 2, first, second)


cdef bint _scan_halves(const floating[:, :] y, Bracket bracket, bint magnitudes,
                       skp_scan* scan, floating* buffer, Py_ssize_t capacity,
                       bint lean_allowed) noexcept nogil:
    """``_scan_any``, in two halves on a large array (``_split_at``): each half
    gathers into ``capacity`` values of its own (``buffer`` holds twice as
    many), so that a half overflows only where the whole would; the second's
    values are then moved after the first's, and the sums added."""
    cdef _Half first, second
    if not _split_at(y):
        return _scan_any(y, bracket, magnitudes, scan, buffer, capacity, lean_allowed)
    first.work = HALF_SCAN
    first.bracket = bracket
    first.magnitudes = magnitudes
    first.lean_allowed = lean_allowed
    first.buffer = <char*> buffer
    first.capacity = capacity
    _halves(y, <floating*> NULL, 0, 0, capacity * sizeof(floating), &first, &second)
    if first.lean != second.lean:
        # (one half's lean scan stopped: a full buffer, or a value only the
        # full scan's total shows; both full, as one scan would have been)
        return _scan_halves(y, bracket, magnitudes, scan, buffer, capacity, False)
    scan.total = first.scan.total + second.scan.total
    scan.minimum = fmin(first.scan.minimum, second.scan.minimum)
    scan.count_high = first.scan.count_high + second.scan.count_high
    scan.sum_high = first.scan.sum_high + second.scan.sum_high
    scan.overflow = first.scan.overflow or second.scan.overflow
    scan.low = NAN     # (no half's scan widens: see _gather_limit)
    memmove(buffer + first.scan.n_gathered, buffer + capacity,
            second.scan.n_gathered * sizeof(floating))
    scan.n_gathered = first.scan.n_gathered + second.scan.n_gathered
    return first.lean


cdef inline bint _scan_any(const floating[:, :] y, Bracket bracket, bint magnitudes,
                           skp_scan* scan, floating* buffer, Py_ssize_t capacity,
                           bint lean_allowed=True) noexcept nogil:
    """One scan of ``y`` with ``bracket``: the lean one where it runs (``_scan_cached``)
    and ``lean_allowed``, else the full one (``_scan``); returns whether the lean
    one ran, which sets the counts, sums and gathered values alone (the full
    one also the total and the minimum)."""
    if lean_allowed and _scan_cached(y, bracket, magnitudes, scan, buffer, capacity):
        return True
    _scan(y, bracket, magnitudes, scan, buffer, capacity)
    return False


cdef double _newton_threshold(const floating[:, :] y, double rho, double radius,
                              bint magnitudes, floating* buffer, Py_ssize_t capacity,
                              double* support) noexcept nogil:
    """tau by Newton's method (Michelot's iteration) from a lower bound ``rho``.

    Each pass counts and sums the values at or above ``rho`` (a scan whose
    bracket ``[rho, rho)`` gathers nothing) and moves ``rho`` to the
    threshold they give, which stays at or below tau and reaches it once no
    value is dropped (a value at ``rho`` itself adds nothing to
    ``sum((v - t)_+)`` there).  Once the values at or above ``rho`` fit in
    the buffer, one more scan gathers them (``[rho, DBL_MAX)``; a value at
    DBL_MAX is counted above it) and the passes continue there.
    The passes are the scans' vector loops: the loop of scalars they replace
    took 20 times a copy a pass on 100 x 1000 float32 (issue 14, the Zen 5,
    Cauchy values at half the norm, where no bracket came from the sample
    even through S: 56 times a copy a call).
    """
    cdef skp_scan scan
    cdef Bracket counted
    cdef double previous = -1.0, count, total, value
    counted.widen = 0
    counted.radius = radius
    while True:
        counted.low = counted.high = rho
        _scan_any(y, counted, magnitudes, &scan, buffer, capacity)
        count = scan.count_high
        total = scan.sum_high
        if count == previous or count == 0:
            support[0] = count if count else 1
            return (total - radius) / count if count else rho
        if count + 2 * SCAN_BLOCK <= capacity:
            # (the room the scans' blocks ask before they gather: no overflow;
            # were there one, the passes would go on)
            counted.high = DBL_MAX
            _scan_any(y, counted, magnitudes, &scan, buffer, capacity)
            if not scan.overflow:
                return michelot_above(buffer, scan.n_gathered,
                                      sum_terms(buffer, scan.n_gathered, 1, TERM_VALUE),
                                      scan.count_high, scan.sum_high, radius, support)
        previous = count
        value = (total - radius) / count
        if value <= rho:
            # rho rises in exact arithmetic until no value drops; a step that
            # does not rise is the fixed point up to rounding (and stops the
            # passes from cycling between two counts).
            support[0] = count
            return value
        rho = value


cdef double _sum_and_excess(const floating* values, Py_ssize_t n, double low,
                           double* excess) noexcept nogil:
    """Return ``sum(values)``; set ``excess`` to ``sum(values - low)`` unless ``low`` is -DBL_MAX.

    Two accumulators each: the gathered values may be many (a single chain
    of additions waits four cycles a value).
    """
    cdef double total0 = 0.0, total1 = 0.0, excess0 = 0.0, excess1 = 0.0, a, b
    cdef Py_ssize_t i, n2 = n - n % 2
    if _simd:
        if floating is float:
            if skp_sum_and_excess512_f32(values, n, low, excess, &total0):
                return total0
            return skp_sum_and_excess_f32(values, n, low, excess)
        else:
            return skp_sum_and_excess_f64(values, n, low, excess)
    for i in range(0, n2, 2):
        a = values[i]
        b = values[i + 1]
        total0 += a
        total1 += b
        excess0 += a - low
        excess1 += b - low
    if n2 < n:
        total0 += values[n2]
        excess0 += values[n2] - low
    if low > -DBL_MAX:
        excess[0] = excess0 + excess1
    return total0 + total1


cdef inline Py_ssize_t _sample_size(Py_ssize_t n) noexcept nogil:
    """The number of values ``_sample_bracket`` samples from ``n``."""
    return min(n, max(<Py_ssize_t> MIN_SAMPLE, min(<Py_ssize_t> SAMPLE_SIZE,
                                                    n // SAMPLE_DIVISOR)))


cdef inline Py_ssize_t _gather_capacity(Py_ssize_t n, Py_ssize_t size) noexcept nogil:
    """Values the gather buffer holds: half as many again as the widest bracket.

    ``_sample_bracket``'s bracket spans ``2 * spread`` of the ``size``
    sampled ranks, ``spread`` at most BRACKET_MARGIN + BRACKET_SIGMAS *
    sqrt(size) / 2 (half the sample in the support), so about ``n * 2 *
    spread / size`` values; at least MIN_CAPACITY and n / GATHER_DIVISOR.
    (n / GATHER_DIVISOR alone: from 2**15 to 2**16 values the sample holds
    1024 of them, whose bracket at half the support spans 14 % of the
    values; the gather overflowed, and Newton's passes over the data took
    14-43 times a copy where 4 had done: issue 14.)
    """
    cdef double spread = BRACKET_MARGIN + BRACKET_SIGMAS * sqrt(<double> size) / 2.0
    cdef Py_ssize_t room = <Py_ssize_t> (3.0 * spread * n / size) if size < n else n
    return min(n, max(<Py_ssize_t> MIN_CAPACITY, n // GATHER_DIVISOR, room))


cdef inline Py_ssize_t _tail_cap(Py_ssize_t n, Py_ssize_t size,
                                 Py_ssize_t itemsize) noexcept nogil:
    """Ranks a side by which ``_sample_bracket`` may widen its bracket of ``n``
    values, sampled ``size`` of them, for heavy tails.

    0 (none) on an array in cache (CACHED_BYTES), whose scan is bound by its
    vector work more than by memory: there the wider brackets cost the calls
    that held more than the misses they spared (issue 14, the Zen 5, 100 x
    1000 float32, six draws at 1-90 % of the norm, times a copy, without /
    with: Gaussian 3.65-3.87 / 3.91-4.20, Student t(3) at 1 % 3.50 / 4.17,
    where its misses at 10-90 % went 4.54-4.98 / 4.53-6.42); beyond, the two
    sides together span about half the gather buffer (``_gather_capacity``)
    at most, so that the widened bracket's values still fit it.
    """
    if n * itemsize <= CACHED_BYTES or size >= n or not _tail_spreads:
        return 0
    return <Py_ssize_t> (_gather_capacity(n, size) * <double> size / (4.0 * n))


cdef inline Py_ssize_t _gather_limit(Py_ssize_t n, Py_ssize_t size) noexcept nogil:
    """The sampled values at or above the low end of a bracket of ``n`` float32
    values (``size`` sampled), or below its high end, up to which the scan of
    an array in cache widens its gather to all of them
    (``skp_sample_bracket_ends_f32``, ``skp_scan_cached_f32_``); 0 (never)
    where the array and its result do not both fit L2 (CACHED_BYTES / 2
    each), or ``_set_testing(gather_all=False)``.

    In L2 the scan is bound by its vector instructions, and the count and sum
    of the values above the bracket take three of its seven a vector.
    Widened up (every value at or above the low end), its loop takes no sums;
    widened down (every value below the high end; the l1 ball), the total
    alone, the values above then those not gathered.  The gathered values
    are then parted back to the bracket in a pass of their own, so the
    threshold passes over no more values than before; widened down, the
    bracket's low end becomes Michelot's first iterate (S - radius) / n, a
    lower bound of tau, and its high end rises to two deviations of the
    sample's threshold: in the dense regimes that take it, the sampled
    bracket may miss tau (the sample's sum stands for S within a few
    percent, and tau is that small a share of it).  The part pass costs
    more than the loop saves beyond about a sixth of the values, or three
    quarters of the gather buffer, past which a miscounted gather would
    overflow it (issue 14, the Zen 5, single calls interleaved, the best of
    four placements, widened / not: 100 x 1000 Gaussian 0.87-0.92 at 1 % of
    the norm, 0.94-0.98 at 3 %, 0.84-0.99 at 90-99 %, 1.00 at 5-80 %;
    Laplace (exponential magnitudes) at 95-99 % 0.51-0.54, where the
    sampled bracket had missed; uniform 0.77-0.98 at 95-99 %; 30 x 1000
    and 40009 values 0.87-0.98 at 95-99 %; Student t(3) 64 x 784 even).
    300 x 784 (0.94 MB, the result as large) took 1.02-1.2 times as long
    widened down, the scan there bound by memory.  The AVX2 scan widens
    both ways too (``skp_scan_cached256_f32_``; widened up, 0.88-0.96 of the
    time at radii keeping 2-7 % of the values, there measured).  Widened
    down, its loop takes four vector operations and the gather a vector,
    where its ranged loop takes eight: an AMD Zen 4 with AVX-512 switched
    off, single calls interleaved, the best of three placements, widened / not: 100 x
    1000, 30 x 1000 and 64 x 784 Gaussian and uniform 0.80-0.89 at 90-99.5 %
    of the norm; Laplace 0.84-0.91, and 0.49-0.51 at 97-99.5 % on 100 x 1000,
    where the sampled bracket had missed; Student t(3) 0.80-0.98, and 0.48-0.54
    where it had missed; 0.99-1.01 at 1-80 %.
    """
    if 2 * n * <Py_ssize_t> sizeof(float) > CACHED_BYTES or size >= n or not _gather_all:
        return 0
    return <Py_ssize_t> (min(_gather_capacity(n, size) * 3 // 4, n // GATHER_ALL_DIVISOR)
                         * (size / <double> n))


cdef inline Bracket _gathered_part(Bracket bracket) noexcept nogil:
    """The part of ``bracket`` whose values the scan gathers: above its low end.

    The values at the low end count for nothing in ``f(t) = sum((v - t)_+)``
    at the bracket's ends and in the support of any tau inside it, so the
    ends' test (``_bracket_ends``, at ``bracket`` itself) and Michelot's
    method need only the values above it.  Tied there, as many are in
    quantized or rounded data, they filled the gather buffer, and Newton's
    passes over the data finished (issue 14, an Intel Xeon, 10**7 values
    drawn from six, or Gaussian values rounded to 0.1, at radii keeping
    10-50 % of them: 5.5-16 times a copy).  The zeros of sparse magnitudes,
    which a sample of mostly zeros puts at its low end, are such ties
    (reuters_r8's 751 x 8790 word counts, 1 % of them non-zero, as one
    float64 vector at radii keeping 1 and 5 % of the values: 4.4 and 4.7
    times a copy, where they were gathered), and so are the zeros of the
    positive parts that stand for a simplex's signed values; a bracket at 0
    also lets the in-cache scan run (``_scan_cached``: it gathers no zero).
    """
    if bracket.low > -DBL_MAX:
        bracket.low = nextafter(bracket.low, DBL_MAX)
    return bracket


cdef double _total(const floating[:, :] y, int term) noexcept nogil:
    """The sum over ``y``'s values of ``term``: TERM_POSITIVE (their positive
    parts) or TERM_MAGNITUDE (S, the l1 norm); a read of ``y``, NaN or inf
    where it holds one.  Contiguous rows by the vector loops (the
    magnitudes in the l1 norms of row groups' order, asking for their lines
    ahead where ``y`` is one long run: ``skp_ahead_for``)."""
    cdef Py_ssize_t i, step = y.strides[1] // sizeof(floating), ahead = 0
    cdef double total = 0.0
    cdef int clean = 1
    if step == 1:
        ahead = skp_ahead_for_rows(y.shape[0], y.shape[1], y.strides[0], sizeof(floating))
    for i in range(y.shape[0]):
        if not (_simd and step == 1):
            total += sum_terms(&y[i, 0], y.shape[1], step, term)
        elif term == TERM_POSITIVE:
            if floating is float:
                total += skp_positive_sum_f32(&y[i, 0], y.shape[1])
            else:
                total += skp_positive_sum_f64(&y[i, 0], y.shape[1])
        elif floating is float:
            total += skp_row_norm_f32(&y[i, 0], y.shape[1], 1, &clean, ahead)
        else:
            total += skp_row_norm_f64(&y[i, 0], y.shape[1], 1, ahead)
    return total


cdef inline bint _above_fits(Bracket bracket, skp_scan* scan, double at_high, double radius,
                             Py_ssize_t capacity) noexcept nogil:
    """Whether tau lies above ``bracket`` (a scan's ``at_high``) and the values
    above it fit the gather buffer: the next scan then gathers them all
    (``_above``), which holds tau whatever S.  (Issue 14, the Zen 5: 10**7
    Student t(2) float32 values at 0.1 % kept, a bracket ending just below
    tau, then the bracket through S missed too, and Newton's passes took 20
    times as long as this scan.)"""
    return (not scan.overflow and at_high > radius and bracket.high < DBL_MAX
            and scan.count_high <= capacity - 2 * SCAN_BLOCK)


cdef inline Bracket _above(Bracket bracket) noexcept nogil:
    """The values from ``bracket``'s high end up (see ``_above_fits``)."""
    bracket.low = bracket.high
    bracket.high = DBL_MAX
    bracket.widen = 0
    return bracket


cdef Bracket _signed_bracket(const floating[:, :] y, double radius, double* sample,
                             Py_ssize_t size) noexcept nogil:
    """The simplex's bracket after a miss, for values of either sign: through
    the sum S+ of their positive parts (a read), where it exceeds the radius
    (tau > 0, the positive parts stand for the values); else through their
    negative parts, with the radius less S+ (tau <= 0).  See
    ``_sample_bracket``'s ``parts``."""
    cdef double positive_total = _total(y, TERM_POSITIVE)
    if positive_total > radius:
        return _sample_bracket(y, radius, False, sample, size, positive_total, 1)
    return _sample_bracket(y, radius - positive_total, False, sample, size, NAN, -1)


cdef int _threshold(const floating[:, :] y, double radius, bint magnitudes,
                    double* tau, double* support) noexcept nogil:
    """Status of the projection of ``y`` and, when it moves, its threshold ``tau``."""
    global _threshold_way
    cdef Py_ssize_t n = y.shape[0] * y.shape[1]
    cdef Py_ssize_t size = _sample_size(n)
    cdef Py_ssize_t capacity = _gather_capacity(n, size)
    cdef double* sample = <double*> scratch_malloc((3 * size + 1) * sizeof(double))
    # (each half of a large array gathers into a buffer of its own: _scan_halves)
    cdef floating* buffer = <floating*> scratch_malloc(
        (2 if _split_at(y) else 1) * capacity * sizeof(floating))
    cdef Bracket bracket
    cdef skp_scan scan
    cdef double at_low, at_high, gathered_total
    cdef int status = STATUS_PROJECTED
    cdef bint lean, holds, retried, full
    cdef double magnitude_total = NAN     # (S, once a plain read took it)
    if sample == NULL or buffer == NULL:
        status = STATUS_NOMEMORY
    else:
        bracket = _sample_bracket(y, radius, magnitudes, sample, size)
        retried = False
        if (magnitudes and size < n and bracket.low == -DBL_MAX and bracket.high == DBL_MAX
                and _tail_spreads):
            # No guess from the sample (its sum below the scaled radius: the
            # extremes that carry S missed; or NaN): a first scan would gather
            # every value, overflow at once and serve for S alone.  S from a
            # plain read, then the bracket through S, as after a miss
            # (issue 14, the Zen 5, single calls interleaved, 10**7 Cauchy
            # values, times a copy, the first scan / the sum first: float64
            # at 1, 10, 50, 90 % kept 2.16 / 1.85, 2.18 / 1.90, 2.20 /
            # 1.93, 2.18 / 1.90; float32 at 50 and 90 % 2.32 / 2.08, 2.21 /
            # 1.98).
            magnitude_total = _total(y, TERM_MAGNITUDE)
            if magnitude_total - magnitude_total == 0.0 and magnitude_total > radius:
                bracket = _sample_bracket(y, radius, magnitudes, sample, size, magnitude_total)
                retried = True
        if _force_fallback:
            bracket.low = bracket.high = DBL_MAX
        full = False
        while True:
            if magnitudes and retried and bracket.low == -DBL_MAX and bracket.high == DBL_MAX:
                # No guess even through S (the sample holds too little of it:
                # tau among a few extremes): a scan would gather every value
                # and overflow, for nothing; Newton's passes, from S (issue
                # 14, the Zen 5: 7 of 40 draws of 100 x 1000 Cauchy float32
                # at half the norm came here).
                if magnitude_total == magnitude_total:
                    scan.total = magnitude_total
                lean = holds = False
                break
            lean = _scan_halves(y, _gathered_part(bracket), magnitudes, &scan, buffer,
                                capacity, not full)
            if lean and scan.low == scan.low:
                # (a scan widened down kept the values from a lower bound of tau)
                bracket.low = scan.low
            gathered_total = _bracket_ends(bracket, &scan, buffer, &at_low, &at_high)
            holds = not scan.overflow and at_low >= radius and at_high <= radius
            if holds:
                break
            if lean and not magnitudes:
                # A lean scan of a simplex that missed: NaN or inf (the
                # sums above the bracket show them), or the bracket through
                # S+ missed too: the full scan tells; else that bracket (its
                # read of S+ costs half a full scan), for values of either sign.
                if retried or scan.sum_high - scan.sum_high != 0.0:
                    full = True
                elif _above_fits(bracket, &scan, at_high, radius, capacity):
                    retried = True
                    bracket = _above(bracket)
                else:
                    retried = True
                    bracket = _signed_bracket(y, radius, sample, size)
                continue
            if lean:
                # A lean scan that missed: S by a plain read
                # (the half of a full scan's time), where no read took it yet.
                if magnitude_total != magnitude_total:
                    magnitude_total = _total(y, TERM_MAGNITUDE)
                scan.total = magnitude_total
                lean = False
            if (retried or _force_fallback or size == n or scan.total - scan.total != 0.0
                    or (scan.total <= radius if magnitudes else scan.total == radius)):
                break
            # A miss with S known: the sample's bracket again, its radius
            # scaled through S (``_sample_bracket``; its terms min(v, t) are
            # bounded where no value is negative: the l1 ball's magnitudes, a
            # simplex of non-negative values), and one more scan.  A simplex
            # of signed values takes the sum S+ of their positive parts
            # instead (one more read): where it exceeds the radius, tau > 0
            # and the positive parts stand for the values; else tau <= 0 and
            # the negative parts do, with the radius less S+ (10**7 Cauchy
            # values at 1-90 % kept: 11-64 copies by Newton's passes).
            retried = True
            if _above_fits(bracket, &scan, at_high, radius, capacity):
                bracket = _above(bracket)
                continue
            if not magnitudes and scan.minimum < 0:
                bracket = _signed_bracket(y, radius, sample, size)
            else:
                bracket = _sample_bracket(y, radius, magnitudes, sample, size, scan.total)
        # (after the lean scan, y moves: see _scan_cached)
        if not lean and scan.total - scan.total != 0.0:
            status = STATUS_NONFINITE
        elif not lean and (scan.total <= radius if magnitudes
                           else scan.minimum >= 0 and scan.total == radius):
            status = STATUS_INSIDE
        elif holds:
            _threshold_way = retried
            if floating is float and _simd and scan.n_gathered <= IN_CACHE_GATHER:
                # (passes that do not compact: cheaper while the values stay in cache)
                tau[0] = skp_long_threshold_f32(buffer, scan.n_gathered, gathered_total,
                                                scan.count_high, scan.sum_high, radius, support)
            else:
                tau[0] = michelot_above(buffer, scan.n_gathered, gathered_total, scan.count_high,
                                        scan.sum_high, radius, support)
        else:
            _threshold_way = 2
            tau[0] = _newton_threshold(y, (scan.total - radius) / n, radius, magnitudes,
                                       buffer, capacity, support)
        if magnitudes and tau[0] < 0.0:
            # A radius at the norm up to rounding: the scan's total is above it,
            # the support's sum (another order) below.  The l1 ball's tau is
            # >= 0; a negative one would grow every magnitude and fill the zeros.
            tau[0] = 0.0
    scratch_free(sample)
    scratch_free(buffer)
    return status


cdef void shrink_row(const floating* src, Py_ssize_t n, Py_ssize_t step_y,
                     floating* dst, Py_ssize_t step_x, double tau, bint stream) noexcept nogil:
    """``dst = sign(src) * max(|src| - tau, 0)`` along one row (steps in elements).

    ``stream``: a large result, written past the caches (see ``_l1_simd.h``);
    the caller fences after its last row (``skp_stream_fence``).
    """
    cdef Py_ssize_t j
    if step_y == 1 and step_x == 1:
        if _simd:
            if floating is float:
                skp_shrink_f32(src, dst, n, tau, True, stream)
            else:
                skp_shrink_f64(src, dst, n, tau, True, stream)
        else:
            for j in range(n):
                dst[j] = shrink(src[j], tau)
    elif floating is float and _simd:
        _shrink_strided_f32(src, n, step_y, dst, step_x, tau, True)
    else:
        for j in range(n):
            dst[j * step_x] = shrink(src[j * step_y], tau)


cdef inline void _shrink_strided_f32(const float* src, Py_ssize_t n, Py_ssize_t step_y,
                                     float* dst, Py_ssize_t step_x, double tau,
                                     bint magnitudes) noexcept nogil:
    """A strided float32 row written with ``skp_shrink_f32``'s arithmetic, a value at a time.

    The values its vectors take (all but the last ``n % 8``) by tau as two
    floats, the others in double: the bits of a contiguous row's result
    (issue 14: a strided ``out`` differed from a contiguous one in the last
    bit, 150-180 of 200 random float32 vectors at half the norm and more).
    """
    cdef Py_ssize_t j, end = n - n % 8
    cdef float hi = <float> tau
    cdef float lo = <float> (tau - <double> hi)
    cdef double value
    for j in range(end):
        dst[j * step_x] = skp_shrink_by_two_floats(src[j * step_y], hi, lo, magnitudes)
    for j in range(end, n):
        if magnitudes:
            dst[j * step_x] = shrink(src[j * step_y], tau)
        else:
            value = src[j * step_y] - tau
            dst[j * step_x] = <float> (value if value > 0 else 0.0)


cdef inline void _shrink_row_sparse(const floating* src, Py_ssize_t n, Py_ssize_t step_y,
                                    floating* dst, double tau) noexcept nogil:
    """Write the entries above ``tau`` into a zeroed, contiguous row."""
    cdef Py_ssize_t j
    cdef floating value
    if step_y == 1:
        for j in range(n):
            value = src[j]
            if fabs(value) > tau:
                dst[j] = shrink(value, tau)
    else:
        for j in range(n):
            value = src[j * step_y]
            if fabs(value) > tau:
                dst[j] = shrink(value, tau)


cdef void _write_thresholded(const floating[:, :] y, floating[:, :] x, double tau,
                        double support, bint magnitudes) noexcept nogil:
    """The result from ``tau``: the l1 ball's ``x = sign(y) * max(|y| - tau, 0)``
    (``magnitudes``), else the simplex's ``x = max(y - tau, 0)``; a large
    array in two halves (``_halves``).

    The l1 ball's result is sparse (``support`` values) where the scalar
    loops write it: a memset, then the values above tau alone.  The memset
    and the sparse writes move as many bytes as the dense write (y is read
    either way); they only spare the scalar loops a soft threshold per value,
    so the AVX2 loop always writes densely.
    """
    cdef Py_ssize_t n_rows = y.shape[0], n_cols = y.shape[1]
    cdef bint contiguous = (y.strides[1] == sizeof(floating)
                            and x.strides[1] == sizeof(floating))
    cdef _Half first, second
    first.work = HALF_SHRINK if magnitudes else HALF_SUBTRACT
    first.buffer = NULL
    first.tau = tau
    first.sparse = (magnitudes and not (_simd and contiguous)
                    and support * SPARSE_WRITE_DIVISOR < <double> n_rows * n_cols
                    and <const void*> &x[0, 0] != <const void*> &y[0, 0])
    # (decided for the whole, which a half's size would not show)
    first.stream = ((magnitudes or contiguous)
                    and streams_rows(n_rows, n_cols * sizeof(floating)))
    if _split_at(y):
        _halves(y, &x[0, 0], x.strides[0], x.strides[1], 0, &first, &second)
    else:
        _write_part(y, x, &first)


cdef void _write_part(const floating[:, :] y, floating[:, :] x, _Half* half) noexcept nogil:
    """``_write_thresholded``'s write of the rows of ``y`` into ``x``, as ``half`` says
    (its ``work``, ``tau``, ``sparse`` and ``stream``: fenced here)."""
    cdef Py_ssize_t n_cols = y.shape[1], i
    cdef Py_ssize_t step_y = y.strides[1] // sizeof(floating)
    cdef Py_ssize_t step_x = x.strides[1] // sizeof(floating)
    cdef bint sparse = half.sparse and zero_if_contiguous(x)
    for i in range(y.shape[0]):
        if half.work == HALF_SUBTRACT:
            _subtract_row(&y[i, 0], n_cols, step_y, &x[i, 0], step_x, half.tau, half.stream)
        elif sparse:
            _shrink_row_sparse(&y[i, 0], n_cols, step_y, &x[i, 0], half.tau)
        elif not _shrink_row_cached(&y[i, 0], n_cols, step_y, &x[i, 0], step_x, half.tau,
                                    True, half.stream):
            shrink_row(&y[i, 0], n_cols, step_y, &x[i, 0], step_x, half.tau, half.stream)
    if half.stream:
        skp_stream_fence()


cdef inline bint _shrink_row_cached(const floating* src, Py_ssize_t n, Py_ssize_t step_y,
                                    floating* dst, Py_ssize_t step_x, double tau,
                                    bint magnitudes, bint stream) noexcept nogil:
    """A contiguous float32 row written by the AVX-512 loop; False if not.

    The same operations as the AVX2 loop's (``skp_shrink512_f32``), so the
    same result; ``magnitudes``: the l1 ball's soft threshold, else the
    simplex's ``max(y - tau, 0)``; ``stream``: whole lines by non-temporal
    stores.
    """
    if floating is float:
        return (_simd and step_y == 1 and step_x == 1
                and skp_shrink512_f32(src, dst, n, tau, magnitudes, stream))
    else:
        return False


cdef inline void _subtract_row(const floating* src, Py_ssize_t n, Py_ssize_t step_y,
                               floating* dst, Py_ssize_t step_x, double tau,
                               bint stream) noexcept nogil:
    cdef Py_ssize_t j
    cdef double value
    if _shrink_row_cached(src, n, step_y, dst, step_x, tau, False, stream):
        return
    if step_y == 1 and step_x == 1 and _simd:
        if floating is float:
            skp_shrink_f32(src, dst, n, tau, False, stream)
        else:
            skp_shrink_f64(src, dst, n, tau, False, stream)
        return
    if floating is float and _simd:
        _shrink_strided_f32(src, n, step_y, dst, step_x, tau, False)
        return
    for j in range(n):
        value = src[j * step_y] - tau
        dst[j * step_x] = <floating> (value if value > 0 else 0.0)


cdef inline int _l1_ball(const floating[:, :] y, floating[:, :] x, double radius,
                         double* tau) noexcept nogil:
    cdef double support = 0.0
    cdef int status = _threshold(y, radius, True, tau, &support)
    if status == STATUS_INSIDE:
        copy_matrix(y, x)
    elif status == STATUS_PROJECTED:
        _write_thresholded(y, x, tau[0], support, True)
    return status


cdef inline int _simplex(const floating[:, :] y, floating[:, :] x, double radius,
                         double* tau) noexcept nogil:
    cdef double support = 0.0
    cdef int status = _threshold(y, radius, False, tau, &support)
    if status == STATUS_INSIDE:
        copy_matrix(y, x)
    elif status == STATUS_PROJECTED:
        _write_thresholded(y, x, tau[0], support, False)
    return status


def l1_ball(const floating[:, :] y, floating[:, :] x, double radius):
    """Project the 2-D view ``y`` (one vector) onto the l1 ball into ``x``.

    ``x`` may be ``y`` itself.  Returns ``(status, tau)``.
    """
    cdef double tau = 0.0
    cdef int status
    with nogil:
        status = _l1_ball(y, x, radius, &tau)
    return status, tau


def simplex(const floating[:, :] y, floating[:, :] x, double radius):
    """Project the 2-D view ``y`` (one vector) onto the simplex into ``x``.

    Returns ``(status, tau)``.
    """
    cdef double tau = 0.0
    cdef int status
    with nogil:
        status = _simplex(y, x, radius, &tau)
    return status, tau


cdef extern from "_soft_threshold_simd.h" nogil:
    void skp_soft_threshold_float(float* w, Py_ssize_t n, const float* v, const float* c,
                                  double step, double metric, double eps, int simd)
    void skp_soft_threshold_double(double* w, Py_ssize_t n, const double* v, const double* c,
                                   double step, double metric, double eps, int simd)


def soft_threshold(size_t w, size_t second, size_t scale, Py_ssize_t n, bint single,
                   double step, double metric, double eps):
    """In place, one pass: ``w_i <- sign(w_i) max(|w_i| - t_i, 0)`` (``_soft_threshold_simd.h``).

    ``t_i = step c_i / (sqrt(v_i metric) + eps)`` with ``v = second``, or
    ``t_i = step c_i`` where ``second`` is 0; ``c = scale``, or ones where
    ``scale`` is 0.  Raw addresses (an ndarray's or a CPU tensor's memory)
    of ``n`` contiguous values, float32 if ``single``, else float64 (the
    caller checks; each of ``second`` and ``scale`` is ``w`` or apart from it).
    """
    with nogil:
        if single:
            skp_soft_threshold_float(<float*> w, n, <const float*> second,
                                     <const float*> scale, step, metric, eps, _simd)
        else:
            skp_soft_threshold_double(<double*> w, n, <const double*> second,
                                      <const double*> scale, step, metric, eps, _simd)


def at_addresses(bint simplex, size_t y_address, size_t x_address, Py_ssize_t n,
                 bint single, double radius):
    """``simplex`` (else ``l1_ball``) on ``n`` contiguous values at raw addresses.

    For memory that is not an ndarray (a CPU tensor's): ``y`` and ``x`` are
    float32 if ``single``, else float64, C-contiguous, ``n > 0``, and either
    the same memory or apart (the caller checks).  Returns whether the
    projection was written: not where ``y`` holds NaN or inf, or sums overflow,
    or the work memory could not be allocated, or a float32 simplex's radius
    is beyond float32's range (nothing is written then: the caller's general
    way raises).
    """
    # (None first: the macro then fills them, out of Cython's sight)
    cdef const float[:, :] y32 = None
    cdef float[:, :] x32 = None
    cdef const double[:, :] y64 = None
    cdef double[:, :] x64 = None
    cdef double tau = 0.0
    cdef int status
    if simplex and single and radius > FLT_MAX:
        return False
    with nogil:
        if single:
            matrix_slice(y32, y_address, 1, n, sizeof(float))
            matrix_slice(x32, x_address, 1, n, sizeof(float))
            status = (_simplex(y32, x32, radius, &tau) if simplex
                      else _l1_ball(y32, x32, radius, &tau))
        else:
            matrix_slice(y64, y_address, 1, n, sizeof(double))
            matrix_slice(x64, x_address, 1, n, sizeof(double))
            status = (_simplex(y64, x64, radius, &tau) if simplex
                      else _l1_ball(y64, x64, radius, &tau))
    return status == STATUS_PROJECTED or status == STATUS_INSIDE


cdef extern from "_float_bounds.h" nogil:
    float skp_float_below(double bound)
    float skp_float_above(double bound)
    void skp_floats_below4(const double* bounds, Py_ssize_t n, float* below)


def _float_bounds(const double[::1] bounds):
    """Testing hook: ``(below, above, below4)``, the float32 arrays of
    ``skp_float_below`` and ``skp_float_above`` of each bound (the floats that
    order every float32 as the double bound does, ``_float_bounds.h``), and
    ``skp_float_below4``'s (its AVX2 twin; None without AVX2)."""
    import numpy as np
    cdef Py_ssize_t i, n = bounds.shape[0]
    below = np.empty(n, dtype=np.float32)
    above = np.empty(n, dtype=np.float32)
    cdef float[::1] low = below, high = above, vector
    cdef double[::1] padded = np.zeros((n + 3) // 4 * 4)
    for i in range(n):
        low[i] = skp_float_below(bounds[i])
        high[i] = skp_float_above(bounds[i])
        padded[i] = bounds[i]
    if not skp_have_avx2():
        return below, above, None
    below4 = np.empty(padded.shape[0], dtype=np.float32)
    vector = below4
    skp_floats_below4(&padded[0], padded.shape[0], &vector[0])
    return below, above, below4[:n]


def _kth_smallest(floating[::1] values, Py_ssize_t k):
    """Testing hook: the k-th smallest of ``values`` by the sample's vector
    selection (AVX-512F, or AVX2: see ``_set_testing``), or None where neither
    runs.  float64: ``values`` is overwritten; float32: the selection of the
    sample taken in float (``skp_select_f32``) works on a copy, its buffers
    padded as the bracket pads them."""
    cdef Py_ssize_t n = values.shape[0]
    cdef double result
    cdef float[::1] padded
    cdef double[::1] work
    if n == 0 or not _simd:
        return None
    if floating is float:
        padded = np.zeros(3 * (n + 16), np.float32)
        padded[:n] = values
        return skp_select_f32(&padded[0], n, k, &padded[n + 16], &padded[2 * (n + 16)])
    work = np.empty(n)
    if not skp_select_f64(&values[0], n, k, &work[0], &result):
        return None
    return result


def _sampled_bracket(const floating[:, :] y, double radius, bint magnitudes=True,
                     double known_total=NAN, bint gather_all=False):
    """Testing hook: ``(low, high)``, the sampled bracket of tau for ``y`` (as
    ``_threshold`` takes it, by the loops ``_set_testing`` leaves on), through
    the sum S of the values where ``known_total`` gives it.  ``gather_all``:
    ``(low, high, widen)`` with the choice of the scan of an array in cache to
    gather every value above the low end (1) or below the high end (-1), or
    neither (0) (``_gather_limit``)."""
    global _gather_all
    cdef Py_ssize_t n = y.shape[0] * y.shape[1]
    cdef Py_ssize_t size = _sample_size(n)
    sample = np.empty(3 * size + 1)
    cdef double[::1] work = sample
    cdef bint was = _gather_all
    cdef Bracket bracket
    _gather_all = was and gather_all
    try:
        bracket = _sample_bracket(y, radius, magnitudes, &work[0], size, known_total)
    finally:
        _gather_all = was
    if gather_all:
        return bracket.low, bracket.high, bracket.widen
    return bracket.low, bracket.high


def _gather_room(Py_ssize_t n):
    """Testing hook: the values ``_threshold``'s gather buffer holds for ``n`` values."""
    return _gather_capacity(n, _sample_size(n))


def _scans(const float[:, :] y, double low, double high, bint magnitudes=True,
           int widen=0, double radius=0.0, Py_ssize_t capacity=-1):
    """Testing hook: the in-cache scan's and the full scan's results on ``y`` with
    the bracket ``[low, high)``: for each, None where it did not run, else
    ``(count_high, sum_high, gathered values)``.  ``widen``: the in-cache scan
    gathers every value at or above ``low`` (1) or below ``high`` (-1) before
    it parts them (``Bracket.widen``); widened down, at the ball of ``radius``,
    its tuple ends with the low end it kept (Michelot's bound), which the full
    scan then takes too.  The gather buffer holds ``capacity`` values (64 more
    than ``y`` by default), and 64 guard values after them that no scan may
    write (AssertionError)."""
    cdef Bracket bracket
    cdef skp_scan scan
    if capacity < 0:
        capacity = y.shape[0] * y.shape[1] + 64
    buffer = np.empty(capacity + 64, np.float32)
    cdef float[::1] gathered = buffer
    bracket.low = low
    bracket.high = high
    bracket.widen = widen
    bracket.radius = radius
    results = []
    for lean in (True, False):
        buffer[capacity:] = -7.0
        if lean and not _scan_cached(y, bracket, magnitudes, &scan, &gathered[0], capacity):
            results.append(None)
            continue
        if not lean:
            _scan(y, bracket, magnitudes, &scan, &gathered[0], capacity)
        assert (buffer[capacity:] == -7.0).all(), "a scan wrote past its buffer"
        results.append((scan.count_high, scan.sum_high, buffer[:scan.n_gathered].copy()))
        if lean and scan.low == scan.low:
            results[0] += (scan.low,)
            bracket.low = scan.low
    return results


def _full_scan(const floating[:, :] y, double low, double high, Py_ssize_t capacity,
               bint magnitudes=True):
    """Testing hook: the full scan of ``y`` with the bracket ``[low, high)`` and a
    gather buffer of ``capacity`` values: ``(total, count_high, sum_high,
    overflow, gathered values)``."""
    cdef Bracket bracket
    cdef skp_scan scan
    buffer = np.empty(max(capacity, 1), np.float32 if floating is float else np.float64)
    cdef floating[::1] gathered = buffer
    bracket.low = low
    bracket.high = high
    bracket.widen = 0
    bracket.radius = 0.0
    _scan(y, bracket, magnitudes, &scan, &gathered[0], capacity)
    return (scan.total, scan.count_high, scan.sum_high, bool(scan.overflow),
            buffer[:scan.n_gathered].copy())


def _shrink_rows(const floating[:, ::1] y, floating[:, ::1] x, const double[::1] taus,
                 bint magnitudes=True):
    """Testing hook: row i of ``x`` written from row i of ``y`` by ``taus[i]``.

    The l1 ball's write (``shrink_row``: ``sign(y) * max(|y| - tau, 0)``), or
    without ``magnitudes`` the simplex's (``max(y - tau, 0)``), by the loops
    that ``_set_testing`` leaves on.
    """
    cdef Py_ssize_t i
    if x.shape[0] != y.shape[0] or x.shape[1] != y.shape[1] or taus.shape[0] != y.shape[0]:
        raise ValueError("x must have y's shape and taus one entry a row")
    for i in range(y.shape[0]):
        if magnitudes:
            shrink_row(&y[i, 0], y.shape[1], 1, &x[i, 0], 1, taus[i], False)
        else:
            _subtract_row(&y[i, 0], y.shape[1], 1, &x[i, 0], 1, taus[i], False)


def _last_threshold_way():
    """Testing hook: how the last threshold of ``l1_ball`` or ``simplex`` was found
    (0: the sample's bracket, 1: the bracket again with the scan's sum, 2:
    Newton's passes)."""
    return _threshold_way


def _simd_runs():
    """Testing hook: whether the AVX2 loops run (the CPU has AVX2 and
    ``_set_testing`` left them on)."""
    return bool(simd_enabled())


def _cpu_choices():
    """Testing hook: the CPU (``zen5``: an AMD Zen 5 or later; ``amd``) and the
    choices made for it (``strips``, ``shrink_strips``: "never", "always" or
    "by rows"; ``panels_into_l1``), as the CPU prefers (``skp_prefer_for_cpu``
    in ``_l1_simd.h``; the loops' switches are set back to that)."""
    skp_set_cpu_choices(-1, -1)
    names = ("never", "always", "by rows")
    return {"zen5": bool(skp_cpu_zen5_or_later()), "amd": bool(skp_cpu_amd()),
            "strips": names[skp_strips], "shrink_strips": names[skp_shrink_strips],
            "panels_into_l1": bool(skp_panels_into_l1)}


def _strips_suit(Py_ssize_t src_stride, Py_ssize_t dst_stride, bint shrink=False):
    """Testing hook: whether the writes of a block in cache whose rows lie
    these strides apart go by strips, as the CPU prefers (``skp_strips_suit``;
    ``shrink``: bilevel_l11's, ``skp_shrink_strips_suit``)."""
    skp_set_cpu_choices(-1, -1)
    if shrink:
        return bool(skp_shrink_strips_suit(src_stride, dst_stride))
    return bool(skp_strips_suit(src_stride, dst_stride))


def _set_stream_row_bytes(Py_ssize_t row_bytes):
    """Benchmark hook: stream rows of at least ``row_bytes``; returns the old value."""
    global _stream_row_bytes
    old, _stream_row_bytes = _stream_row_bytes, row_bytes
    return old


def _set_stream_ahead(Py_ssize_t bytes=-1):
    """Testing hook: the bytes ahead that this module's loops reading long runs
    out of cache ask for (0: none; -1: as the CPU prefers; ``skp_ahead_for``
    in ``_prefetch.h``).  The same results either way."""
    skp_set_stream_ahead(bytes)


def _set_testing(bint force_fallback=False, bint simd=True, bint avx512=True,
                 bint tail_spreads=True, bint gather_all=True):
    """Testing hook: make the sampled bracket miss, to exercise the Newton passes;
    ``simd=False`` runs the Cython loops where the AVX2 loops would run;
    ``avx512=False`` the AVX2 scan where the AVX-512 scan would run;
    ``tail_spreads=False`` leaves the sampled bracket's binomial spreads as
    they are (``_tail_cap``); ``gather_all=False`` keeps both ends of the
    bracket of an array in cache (``_gather_limit``).

    Returns whether the AVX-512 scan now runs."""
    global _force_fallback, _simd, _tail_spreads, _gather_all
    _force_fallback = force_fallback
    _tail_spreads = tail_spreads
    _gather_all = gather_all
    _simd = simd and skp_have_avx2()
    return bool(skp_set_avx512(avx512))
