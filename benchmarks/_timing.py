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
