"""Shared timing helper for the benchmark scripts (standard library + NumPy).

The clock is the wall clock unless the environment variable
``SKPROJ_BENCH_CLOCK=thread`` asks for the calling thread's CPU time
(``time.thread_time``).  On a shared, loaded machine the wall clock counts
the time the thread waited for a core; the thread's CPU time does not (it
still counts the cache misses other processes cause).  The kernels and
``np.copyto`` run on the calling thread, so ratios of thread times compare
like with like; do not use it for anything that starts threads (BLAS, torch
with more than one thread).  :func:`conditions` says which clock and the
machine's load, for the scripts to print beside their tables.
"""

import argparse
import os
import time

_CLOCKS = {"wall": time.perf_counter, "thread": time.thread_time}


def use_clock(name):
    """Time every later :func:`best_time` by ``name`` ("wall" or "thread")."""
    if name not in _CLOCKS:
        raise ValueError(f"the clock must be one of {sorted(_CLOCKS)}, got {name!r}")
    os.environ["SKPROJ_BENCH_CLOCK"] = name


def add_clock_option(parser):
    """Give an ``argparse`` parser the ``--cpu`` option, which calls ``use_clock("thread")``."""
    class _ThreadClock(argparse.Action):
        def __call__(self, parser, namespace, values, option_string=None):
            use_clock("thread")

    parser.add_argument("--cpu", action=_ThreadClock, nargs=0,
                        help="time by the CPU time of the thread instead of the wall clock "
                             "(steadier on a loaded machine; as SKPROJ_BENCH_CLOCK=thread)")


def clock_name():
    """The clock chosen by ``SKPROJ_BENCH_CLOCK`` ("wall" or "thread")."""
    name = os.environ.get("SKPROJ_BENCH_CLOCK", "wall")
    if name not in _CLOCKS:
        raise ValueError(f"SKPROJ_BENCH_CLOCK must be one of {sorted(_CLOCKS)}, got {name!r}")
    return name


def conditions():
    """The load average and the clock, as one line to print beside a table."""
    return "load average %.2f %.2f %.2f, clock: %s" % (*os.getloadavg(), clock_name())


def empty_aligned_like(y, *, alignment=64):
    """An empty C-contiguous array like ``y`` whose data starts at the same
    offset within a cache line (``alignment`` bytes) as ``y``'s.

    ``np.copyto`` (memcpy) between arrays whose offsets within a line differ
    takes 1.3-1.45 times as long (issue 14, an AMD Zen 5, 100 x 1000
    float32: 3.7 us at the same offset, 4.8-5.3 us 16-48 bytes apart).
    NumPy aligns data to 16 bytes only, so the copy of a plain
    ``np.empty_like`` moved between runs of the same table (3.6-6.5 us), and
    every ratio with it.  The results and copies of the tables are made by
    this, so that the reference is the copy at its fastest.
    """
    import numpy as np

    y = np.asarray(y)
    raw = np.empty(y.nbytes + alignment, dtype=np.uint8)
    start = (y.ctypes.data - raw.ctypes.data) % alignment
    return raw[start:start + y.nbytes].view(y.dtype).reshape(y.shape)


def best_time(function, *, repeat=5, min_time=0.05):
    """Best time of ``function()`` in seconds over ``repeat`` batches.

    Each batch runs the function enough times to last ``min_time``; the
    minimum over batches is the least disturbed by the rest of the machine.
    The clock is :func:`clock_name`'s.
    """
    clock = _CLOCKS[clock_name()]
    function()  # warm-up: page faults, lazy imports
    start = clock()
    function()
    single = max(clock() - start, 1e-9)
    number = max(1, int(min_time / single))
    best = float("inf")
    for _ in range(repeat):
        start = clock()
        for _ in range(number):
            function()
        best = min(best, (clock() - start) / number)
    return best


def best_times(functions, *, rounds=3, repeat=3, min_time=0.02):
    """Best time of each of ``functions`` in seconds, their measurements interleaved.

    Each round takes :func:`best_time` of every function in turn, and each
    function keeps its best over the rounds: a disturbance of the machine
    that lasts a while then spreads over all of them instead of falling on
    one, so that their ratios compare like with like.
    """
    best = [float("inf")] * len(functions)
    for _ in range(rounds):
        for i, function in enumerate(functions):
            best[i] = min(best[i], best_time(function, repeat=repeat, min_time=min_time))
    return best


def low_times(functions, *, rounds=1000, percentile=10):
    """A low percentile of each of ``functions``' single-call times, in seconds.

    Each round calls every function twice in a row, the second call timed
    (the first brings its memory back into the caches, which the other
    functions' may have evicted), one function after another (in reverse
    order every other round), so that whatever the machine does over the run
    (on the development machine, timings of the same build moved by up to 2
    times between batches) falls on all of them alike; the
    ``percentile``-th of each function's times then leaves out the calls an
    interrupt or another process disturbed.  Less the time of reading the
    clock (a call of an empty function, timed the same way).  For calls of
    microseconds to a millisecond, whose ratios :func:`best_time`'s batches
    measured to within 20-30 % only.  The clock is :func:`clock_name`'s.
    """
    clock = _CLOCKS[clock_name()]
    functions = list(functions) + [lambda: None]
    times = [[] for _ in functions]
    order = list(enumerate(functions))
    for round_ in range(rounds):
        for i, function in (order if round_ % 2 else order[::-1]):
            function()
            start = clock()
            function()
            times[i].append(clock() - start)
    lows = [sorted(each)[int(len(each) * percentile / 100)] for each in times]
    return [max(low - lows[-1], 0.0) for low in lows[:-1]]
