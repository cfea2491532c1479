"""Time two builds of skproj against each other in one process, on the same arrays.

Usage::

    python benchmarks/compare_builds.py BASE CASES [--rounds N]

``BASE`` is a folder holding the compiled extension modules of the build to
compare against (the ``skproj/projections/*.so`` of an earlier build, copied
aside before rebuilding); the other build is the working tree's.  ``CASES``
is a Python file defining::

    def arrays():              # built once, shared by both builds
        return {"name": ndarray, ...}

    def calls(P, arrays):      # P: that build's skproj.projections
        return [(label, function of no argument), ...]

For each case the script prints both builds' times (single calls
interleaved, a low percentile: ``_timing.low_times``), the ratio new / base,
and whether both gave the same bits.

Both builds run on the very same arrays: two allocations of the same values
lie at other addresses, whose cache sets and pages changed the time of
matrices in cache by more than the changes measured.  (Issue 14, an AMD Zen
4: with each build's arrays its own, a build took 0.87-0.92 of its own time
on float32 column groups of 100 x 1000, 1000 x 1000 and 200 x 2000 in cache,
the exact l1,inf ball at 10-90 % of the norm; on shared arrays 0.99-1.01.)
"""

import argparse
import importlib
import os
import runpy
import shutil
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import conditions, low_times  # noqa: E402

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _base_tree(base, folder):
    """A copy of the working tree's package in ``folder`` with the base build's modules."""
    shutil.copytree(os.path.join(REPOSITORY, "skproj"), os.path.join(folder, "skproj"),
                    ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__", "*.c"))
    modules = [name for name in os.listdir(base) if name.endswith((".so", ".pyd"))]
    if not modules:
        raise SystemExit(f"BASE must hold the compiled modules of a build; {base} has none")
    for name in modules:
        shutil.copy(os.path.join(base, name), os.path.join(folder, "skproj", "projections", name))
    return folder


def _projections_from(root):
    """``skproj.projections`` imported from ``root``, apart from any other copy."""
    for name in [name for name in sys.modules if name == "skproj" or name.startswith("skproj.")]:
        del sys.modules[name]
    sys.path.insert(0, root)
    try:
        return importlib.import_module("skproj.projections")
    finally:
        sys.path.remove(root)


def _copied(result):
    """A copy of a call's result (an array, or a tuple of them): calls given
    ``out=`` return the same array for both builds."""
    if isinstance(result, tuple):
        return tuple(np.array(part, copy=True) for part in result)
    return np.array(result, copy=True)


def _same(a, b):
    """Whether two results hold the same bits (-0.0 is not +0.0, NaNs by payload)."""
    pairs = zip(a, b) if isinstance(a, tuple) else [(a, b)]
    return all(x.dtype == y.dtype and x.shape == y.shape
               and np.ascontiguousarray(x).tobytes() == np.ascontiguousarray(y).tobytes()
               for x, y in ((np.asarray(x), np.asarray(y)) for x, y in pairs))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="folder of the base build's compiled modules")
    parser.add_argument("cases", help="Python file defining arrays() and calls(P, arrays)")
    parser.add_argument("--rounds", type=int, default=41, help="rounds of low_times")
    args = parser.parse_args()
    spec = runpy.run_path(args.cases)
    shared = spec["arrays"]()
    with tempfile.TemporaryDirectory() as folder:
        base_calls = spec["calls"](_projections_from(_base_tree(args.base, folder)), shared)
        new_calls = spec["calls"](_projections_from(REPOSITORY), shared)
        print(conditions())
        for (label, base_call), (_, new_call) in zip(base_calls, new_calls):
            same = _same(_copied(base_call()), new_call())
            base_time, new_time = low_times([base_call, new_call], rounds=args.rounds)
            print(f"{label:<48} base {base_time * 1e6:10.1f} us  new {new_time * 1e6:10.1f} us"
                  f"  ratio {new_time / base_time:5.2f}  same={same}", flush=True)
        print(conditions())


if __name__ == "__main__":
    main()
