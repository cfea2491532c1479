"""Shared timing helper for the benchmark scripts (standard library + NumPy)."""

import time


def best_time(function, *, repeat=5, min_time=0.05):
    """Best wall time of ``function()`` in seconds over ``repeat`` batches.

    Each batch runs the function enough times to last ``min_time``; the
    minimum over batches is the least disturbed by the rest of the machine.
    """
    function()  # warm-up: page faults, lazy imports
    start = time.perf_counter()
    function()
    single = max(time.perf_counter() - start, 1e-9)
    number = max(1, int(min_time / single))
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            function()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def best_cpu_time(function, *, repeat=9):
    """Least CPU time of the calling thread over ``repeat`` calls of ``function()``, in seconds.

    For calls of milliseconds on a loaded machine: the thread's CPU clock
    leaves out the time other processes hold the core, which the wall clock
    of ``best_time`` counts (the ratio of two such times then varies by tens
    of % from run to run).
    """
    function()  # warm-up: page faults, lazy imports
    best = float("inf")
    for _ in range(repeat):
        start = time.thread_time()
        function()
        best = min(best, time.thread_time() - start)
    return best
