"""Speed of the group Hoyer sparse projection (GSP), as ratios to a memory copy.

Run ``python benchmarks/bench_group_hoyer.py`` (``--quick`` for smaller
matrices, ``--small`` for matrices in cache, ``--real`` for real data sets,
``--tails`` for heavy-tailed ones, ``--weights`` with weights,
``--part``/``--shape`` for one piece,
``--phases`` for the time of each stage of the kernel);
``bench_projections.py``
prints the same table.  For Gaussian float64 and float32 matrices, both axes
and target average sparsities 0.5, 0.8, 0.95:
time of ``project_group_hoyer(Y, s, axis=axis, out=out)`` / time of
``np.copyto(out, Y)``, both measured in the same run (best of several
batches).  Goal: <= 4x the copy.  Then, on a 784x300 matrix (the size the
authors quote, about a second with their PyTorch script on CPU): our time
against their algorithm in NumPy (a full pass over the matrix per evaluation
of g, Newton from 0 with bisection when it leaves the bracket).
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _draws import HEAVY_TAILS  # noqa: E402
from _timing import best_time, conditions, empty_aligned_like  # noqa: E402

from skproj.projections import _hoyer, project_group_hoyer  # noqa: E402

SHAPES = [(1000, 10000), (10000, 1000)]
# Matrices in cache: a layer's weight projected after every optimizer step.
SMALL_SHAPES = [(100, 1000), (300, 784)]
SPARSITIES = (0.5, 0.8, 0.95)


def group_hoyer_table(shapes=SHAPES, sparsities=SPARSITIES, rng=None,
                      dtypes=(np.float64, np.float32), entries="Gaussian", draw=None,
                      weighted=False):
    """Print time / np.copyto for GSP on each shape, dtype, axis and target sparsity
    (Gaussian matrices, or ``draw(rng, shape)``'s, named ``entries``; with
    ``weighted``, weights drawn uniform in [0.5, 2] for each axis)."""
    rng = np.random.default_rng(0) if rng is None else rng
    draw = (lambda rng, shape: rng.standard_normal(shape)) if draw is None else draw
    print("Group Hoyer projection (GSP): time / np.copyto of the same array "
          f"({entries}{', weights uniform in [0.5, 2]' if weighted else ''}, "
          f"preallocated out; {conditions()}).")
    print("ns/entry and ns/byte: GSP's time per entry and per byte of Y, to compare "
          "float32 with float64 (a float32 copy is more than twice as fast as a "
          "float64 one where Y fits in the last-level cache, so the ratios to the "
          "copy flatter float64; the goal is float32 at float64's time per byte).")
    header = (f"{'shape':<14}{'dtype':<9}{'axis':<6}"
              + "".join(f"{'s=' + str(s):>10}" for s in sparsities) + f"{'copy ms':>10}"
              + "".join(f"{'ns/entry':>10}" for s in sparsities)
              + "".join(f"{'ns/byte':>9}" for s in sparsities))
    print(header)
    print("-" * len(header))
    for shape in shapes:
        for dtype in dtypes:
            Y = draw(rng, shape).astype(dtype)
            out = empty_aligned_like(Y)
            for axis in (0, 1):
                ratios, per_entry = [], []
                weights = rng.uniform(0.5, 2.0, Y.shape[axis]) if weighted else None
                for sparsity in sparsities:
                    copy = best_time(lambda: np.copyto(out, Y))
                    gsp = best_time(lambda: project_group_hoyer(Y, sparsity, axis=axis,
                                                                weights=weights, out=out))
                    copy = min(copy, best_time(lambda: np.copyto(out, Y)))
                    ratios.append(gsp / copy)
                    per_entry.append(gsp / Y.size * 1e9)
                print(f"{str(shape):<14}{np.dtype(dtype).name:<9}{axis:<6}"
                      + "".join(f"{r:>10.2f}" for r in ratios) + f"{copy * 1e3:>10.2f}"
                      + "".join(f"{t:>10.2f}" for t in per_entry)
                      + "".join(f"{t / Y.itemsize:>9.3f}" for t in per_entry))
    print()


def _real_matrices():
    """(name, matrix) of real data: scikit-learn's, and those of ``_real_data`` installed.

    Pixels and counts are tied, many-zero data, unlike the Gaussian tables':
    the sample's g is flat there (``load_digits`` found a bracket past the
    largest key, issue 14).
    """
    from sklearn import datasets

    import _real_data

    digits = datasets.load_digits().data
    yield "digits", digits
    yield "digits.T", np.ascontiguousarray(digits.T)
    yield from _real_data.installed_standardized(indent="  ")


def real_data_table(sparsities=SPARSITIES, dtypes=(np.float64, np.float32)):
    """Print time / np.copyto for GSP on real matrices, and the sampled method's
    time over the histogram method's (forced on every matrix) at each target."""
    print("Group Hoyer projection (GSP) on real data: time / np.copyto, then the "
          f"default (sampled) method's time / the histogram method's ({conditions()}).")
    print("digits: scikit-learn's 8x8 pixels (integers 0-16, half zeros) and its "
          "transpose; the others standardized.")
    header = (f"{'data':<15}{'shape':<13}{'dtype':<9}{'axis':<6}"
              + "".join(f"{'s=' + str(s):>9}" for s in sparsities)
              + "".join(f"{'/hist':>9}" for s in sparsities))
    print(header)
    print("-" * len(header))
    for name, X in _real_matrices():
        for dtype in dtypes:
            Y = np.ascontiguousarray(X, dtype=dtype)
            out = empty_aligned_like(Y)
            for axis in (0, 1):
                ratios, versus = [], []
                for sparsity in sparsities:
                    def project():
                        project_group_hoyer(Y, sparsity, axis=axis, out=out)
                    copy = best_time(lambda: np.copyto(out, Y))
                    sampled = best_time(project)
                    _hoyer._set_testing(histograms=True)
                    try:
                        histograms = best_time(project)
                    finally:
                        _hoyer._set_testing()
                    ratios.append(sampled / copy)
                    versus.append(sampled / histograms)
                print(f"{name:<15}{'x'.join(map(str, Y.shape)):<13}"
                      f"{np.dtype(dtype).name:<9}{axis:<6}"
                      + "".join(f"{r:>9.1f}" for r in ratios)
                      + "".join(f"{v:>9.2f}" for v in versus))
    print()


def group_hoyer_phases(shapes=SHAPES, sparsities=SPARSITIES, rng=None,
                       dtypes=(np.float64, np.float32)):
    """Where GSP spends its time, per stage of the sampled method (``_phase_times``).

    CPU time of the calling thread, the call of least total of 7, in ns per
    byte of Y (float32 meets its goal where its total is at most float64's), and
    the share of the entries in the band (gathered by the last band read).
    """
    from skproj.projections import _hoyer

    rng = np.random.default_rng(0) if rng is None else rng
    names = _hoyer.PHASE_NAMES
    print("GSP per stage, ns per byte of Y (CPU time, call of least total of 7):")
    header = (f"{'shape':<14}{'dtype':<9}{'axis':<6}{'s':<6}"
              + "".join(f"{name:>10}" for name in names) + f"{'total':>8}{'band %':>8}")
    print(header)
    print("-" * len(header))
    _hoyer._time_phases(True)
    try:
        for shape in shapes:
            for dtype in dtypes:
                Y = rng.standard_normal(shape).astype(dtype)
                out = empty_aligned_like(Y)
                for axis in (0, 1):
                    for sparsity in sparsities:
                        best = None
                        for _ in range(7):
                            project_group_hoyer(Y, sparsity, axis=axis, out=out)
                            seconds, entries = _hoyer._phase_times()
                            if best is None or sum(seconds.values()) < sum(best.values()):
                                best = seconds
                        per_byte = [1e9 * best[name] / Y.nbytes for name in names]
                        print(f"{str(shape):<14}{np.dtype(dtype).name:<9}{axis:<6}"
                              f"{sparsity:<6}" + "".join(f"{t:>10.3f}" for t in per_byte)
                              + f"{sum(per_byte):>8.3f}{100 * entries / Y.size:>8.2f}")
    finally:
        _hoyer._time_phases(False)
    print()


def newton_on_full_passes(Y, sparsity, max_iter=100):
    """The authors' scheme (columns are groups), one pass over Y per g(mu)."""
    A = np.abs(Y)
    n, r = A.shape
    beta = 1 / (np.sqrt(n) - 1)
    k = r * np.sqrt(n) * beta - r * sparsity

    def g_and_slope(mu):
        U = np.maximum(A - mu * beta, 0)
        l1, l2 = U.sum(axis=0), np.sqrt((U * U).sum(axis=0))
        active = (U > 0).sum(axis=0)
        ok = l2 > 0
        g = beta * np.where(ok, l1 / np.where(ok, l2, 1), 1).sum()
        slope = beta * beta * np.where(ok, (l1 ** 2 / np.where(ok, l2, 1) ** 2 - active)
                                       / np.where(ok, l2, 1), 0).sum()
        return g, slope

    low, high, mu = 0.0, A.max() / beta, 0.0
    for _ in range(max_iter):
        g, slope = g_and_slope(mu)
        if abs(g - k) <= 1e-6 * r:
            break
        low, high = (mu, high) if g > k else (low, mu)
        step = mu - (g - k) / slope if slope < 0 else -1
        mu = step if low < step < high else 0.5 * (low + high)
    U = np.maximum(A - mu * beta, 0)
    return np.sign(Y) * U * ((A * U).sum(axis=0) / np.maximum((U * U).sum(axis=0), 1e-300))


def reference_table(rng):
    Y = rng.standard_normal((784, 300))
    print("784x300 float64, columns as groups: ours / the authors' scheme in NumPy")
    for sparsity in SPARSITIES:
        ours = best_time(lambda: project_group_hoyer(Y, sparsity))
        theirs = best_time(lambda: newton_on_full_passes(Y, sparsity))
        print(f"  s={sparsity}: {ours * 1e3:.2f} ms vs {theirs * 1e3:.1f} ms "
              f"({theirs / ours:.0f}x faster)")
    print()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller matrices")
    parser.add_argument("--part", choices=["ratios", "reference", "all"], default="all",
                        help="run one part (each fits in a few minutes on a busy machine)")
    parser.add_argument("--shape", default=None, help="one shape, e.g. 1000x10000")
    parser.add_argument("--small", action="store_true",
                        help="the ratios on matrices in cache (100x1000, 300x784)")
    parser.add_argument("--real", action="store_true",
                        help="the ratios on real data sets (load_digits and those installed)")
    parser.add_argument("--tails", action="store_true",
                        help="the ratios on heavy-tailed matrices (Student t(3), Cauchy)")
    parser.add_argument("--weights", action="store_true",
                        help="the ratios with weights (uniform in [0.5, 2]), Gaussian and "
                             "Cauchy matrices")
    parser.add_argument("--phases", action="store_true",
                        help="the time of each stage of the kernel instead of the tables")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    shapes = [(300, 3000), (3000, 300)] if args.quick else SHAPES
    if args.small:
        shapes = SMALL_SHAPES
    if args.shape:
        shapes = [tuple(int(n) for n in args.shape.split("x"))]
    if args.phases:
        group_hoyer_phases(shapes, rng=rng)
        return
    if args.real:
        real_data_table()
        return
    if args.weights:
        group_hoyer_table(shapes, rng=rng, weighted=True)
        group_hoyer_table(shapes, rng=rng, entries="Cauchy", draw=HEAVY_TAILS["Cauchy"],
                          weighted=True)
        return
    if args.tails:
        for entries, draw in HEAVY_TAILS.items():
            group_hoyer_table(shapes, rng=rng, entries=entries, draw=draw)
        return
    if args.part in ("ratios", "all"):
        group_hoyer_table(shapes, rng=rng)
    if args.part in ("reference", "all"):
        reference_table(rng)


if __name__ == "__main__":
    main()
