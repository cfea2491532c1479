"""Speed of the projections, as ratios to a memory copy measured in the same run.

Run ``python benchmarks/bench_projections.py`` (add ``--quick`` for a smaller
run).  Prints:

1. for each matrix projection, float64 and float32, both axes, 1000x1000,
   1000x10000 and 10000x1000: time / ``np.copyto(out, Y)`` (both with a
   preallocated ``out``);
2. ``project_l1_ball`` on 10**7 values: time / copy and time / a sort-based
   NumPy projection;
3. torch CPU tensors: time / the same call on the NumPy view;
4. the log-log slope of time against n*m from 10**4 to 10**8 elements;
5. ``project_l1inf_ball`` (exact) / ``bilevel_l1inf`` on 1000x10000 and
   10000x1000 float64 matrices, both axes, at radii that keep about 1 %, 10 %,
   50 % and 90 % of the groups non-zero (both at the same radius, and with the
   bi-level radius giving the same share of non-zero groups);

and writes ``benchmarks/results/projections_scaling.png`` when matplotlib is
installed.
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _timing import best_time  # noqa: E402

from bench_group_hoyer import group_hoyer_table  # noqa: E402

from skproj import projections as P  # noqa: E402

SHAPES = [(1000, 1000), (1000, 10000), (10000, 1000)]
MATRIX = {
    "bilevel_l1inf": P.bilevel_l1inf,
    "bilevel_l11": P.bilevel_l11,
    "bilevel_l12": P.bilevel_l12,
    "project_l12_ball": P.project_l12_ball,
}


def sort_based_l1(y, eta):
    """The O(n log n) reference (Duchi et al. 2008)."""
    a = np.abs(y).ravel()
    if a.sum() <= eta:
        return y.copy()
    s = np.sort(a)[::-1]
    c = np.cumsum(s) - eta
    k = np.nonzero(s * np.arange(1, a.size + 1) > c)[0][-1]
    return np.sign(y) * np.maximum(np.abs(y) - c[k] / (k + 1), 0)


def copy_time(Y):
    out = np.empty_like(Y)
    return best_time(lambda: np.copyto(out, Y))


NORM_OF = {"bilevel_l1inf": P.l1inf_norm, "bilevel_l11": P.l11_norm,
           "bilevel_l12": P.l12_norm, "project_l12_ball": P.l12_norm}


def matrix_table(shapes, rng):
    print("Matrix projections: time / np.copyto of the same array (Gaussian).")
    print("eta=1 keeps a few groups (sparse result); 'half' is eta = 0.5 * the matrix's")
    print("own norm (most groups kept); 'new out' allocates the result, against Y.copy().")
    header = (f"{'projection':<18}{'dtype':<9}{'shape':<14}{'axis':<6}{'copy ms':>9}"
              f"{'eta=1':>8}{'half':>8}{'new out':>9}")
    print(header)
    print("-" * len(header))
    for shape in shapes:
        for dtype in (np.float64, np.float32):
            Y = rng.standard_normal(shape).astype(dtype)
            out = np.empty_like(Y)
            reference = copy_time(Y)
            allocation = best_time(lambda: Y.copy())
            for name, project in MATRIX.items():
                for axis in (0, 1):
                    half = 0.5 * NORM_OF[name](Y, axis=axis)
                    sparse = best_time(lambda: project(Y, 1.0, axis=axis, out=out))
                    dense = best_time(lambda: project(Y, half, axis=axis, out=out))
                    fresh = best_time(lambda: project(Y, 1.0, axis=axis))
                    print(f"{name:<18}{np.dtype(dtype).name:<9}{str(shape):<14}{axis:<6}"
                          f"{reference * 1e3:>9.2f}{sparse / reference:>8.2f}"
                          f"{dense / reference:>8.2f}{fresh / allocation:>9.2f}")
    print()


def l1_table(n, rng):
    y = rng.standard_normal(n)
    out = np.empty_like(y)
    reference = copy_time(y)
    print(f"project_l1_ball on {n:.0e} float64 values (ratios)")
    for eta in (1.0, 100.0, 0.5 * np.abs(y).sum()):
        ours = best_time(lambda: P.project_l1_ball(y, eta, out=out))
        sorted_ = best_time(lambda: sort_based_l1(y, eta), repeat=2)
        print(f"  eta = {eta:<12.4g} time/copy = {ours / reference:5.2f}"
              f"   time/sort-based = {ours / sorted_:5.3f}")
    print()


def torch_table(rng):
    try:
        import torch
    except ImportError:
        print("torch not installed: tensor ratios skipped\n")
        return
    print("torch CPU tensors: time / same call on the NumPy array (1000x10000 float64)")
    Y = rng.standard_normal((1000, 10000))
    T = torch.from_numpy(Y.copy())
    calls = dict(MATRIX, project_l1_ball=P.project_l1_ball)
    for name, project in calls.items():
        numpy_time = best_time(lambda: project(Y, 1.0))
        tensor_time = best_time(lambda: project(T, 1.0))
        print(f"  {name:<18} {tensor_time / numpy_time:5.2f}")
    print()


def scaling(sizes, rng):
    print("Scaling: time against n*m (square-ish matrices, eta = 1, float64)")
    results = {name: [] for name in ("bilevel_l1inf", "bilevel_l11", "bilevel_l12",
                                     "project_l1_ball", "copy")}
    for size in sizes:
        n = int(np.sqrt(size / 10))
        Y = rng.standard_normal((n, size // n))
        out = np.empty_like(Y)
        results["copy"].append(best_time(lambda: np.copyto(out, Y), repeat=3))
        for name in ("bilevel_l1inf", "bilevel_l11", "bilevel_l12"):
            project = getattr(P, name)
            results[name].append(best_time(lambda: project(Y, 1.0, out=out), repeat=3))
        results["project_l1_ball"].append(
            best_time(lambda: P.project_l1_ball(Y, 1.0, out=out), repeat=3))
        del Y, out
    for name, times in results.items():
        slope = np.polyfit(np.log(sizes), np.log(times), 1)[0]
        print(f"  {name:<18} log-log slope = {slope:.3f}")
    print()
    return results


def plot(sizes, results):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, times in results.items():
        ax.loglog(sizes, times, "o-", label=name)
    ax.set_xlabel("n * m")
    ax.set_ylabel("time (s)")
    ax.legend()
    os.makedirs(os.path.join(os.path.dirname(__file__), "results"), exist_ok=True)
    fig.savefig(os.path.join(os.path.dirname(__file__), "results", "projections_scaling.png"),
                dpi=100, bbox_inches="tight")


def _radius_keeping(project, Y, axis, share):
    """Radius at which ``project`` keeps about ``share`` of the groups non-zero."""
    n_groups = Y.shape[1 - axis]
    low, high = 0.0, P.l1inf_norm(Y, axis=axis)
    for _ in range(60):
        eta = 0.5 * (low + high)
        kept = np.count_nonzero(np.any(project(Y, eta, axis=axis) != 0, axis=axis))
        if abs(kept - share * n_groups) <= max(0.002 * n_groups, 0.5):
            break
        low, high = (eta, high) if kept < share * n_groups else (low, eta)
    return eta


def l1inf_table(shapes, rng):
    print("Exact l1,inf projection: time / bilevel_l1inf (float64, Gaussian, preallocated out).")
    print("'same eta': both at the radius where the exact projection keeps the share of")
    print("groups; 'same sparsity': bilevel_l1inf at the radius where it keeps that share.")
    header = (f"{'shape':<14}{'axis':<6}{'kept':>6}{'eta':>10}{'exact ms':>10}"
              f"{'same eta':>10}{'same sparsity':>15}")
    print(header)
    print("-" * len(header))
    for shape in shapes:
        Y = rng.standard_normal(shape)
        out = np.empty_like(Y)
        for axis in (0, 1):
            for share in (0.01, 0.1, 0.5, 0.9):
                eta = _radius_keeping(P.project_l1inf_ball, Y, axis, share)
                eta_bilevel = _radius_keeping(P.bilevel_l1inf, Y, axis, share)
                exact = best_time(lambda: P.project_l1inf_ball(Y, eta, axis=axis, out=out))
                same_eta = best_time(lambda: P.bilevel_l1inf(Y, eta, axis=axis, out=out))
                same_sparsity = best_time(
                    lambda: P.bilevel_l1inf(Y, eta_bilevel, axis=axis, out=out))
                print(f"{str(shape):<14}{axis:<6}{share:>6.0%}{eta:>10.3g}{exact * 1e3:>10.2f}"
                      f"{exact / same_eta:>10.2f}{exact / same_sparsity:>15.2f}")
    print()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    shapes = [(300, 300), (300, 3000)] if args.quick else SHAPES
    matrix_table(shapes, rng)
    l1_table(10 ** 5 if args.quick else 10 ** 7, rng)
    torch_table(rng)
    l1inf_table([(200, 2000), (2000, 200)] if args.quick
                else [(1000, 10000), (10000, 1000)], rng)
    group_hoyer_table([(300, 3000), (3000, 300)] if args.quick else SHAPES[1:], rng=rng)
    sizes = [10 ** k for k in (range(4, 7) if args.quick else range(4, 9))]
    plot(sizes, scaling(sizes, rng))


if __name__ == "__main__":
    main()
