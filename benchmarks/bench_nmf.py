"""SparseNMF (gspNMF) against scikit-learn's NMF with an l1 penalty, at equal sparsity.

Run ``python benchmarks/bench_nmf.py`` (``--quick`` for fewer targets).  For
each data set and target average Hoyer sparsity ``s`` of the columns of W (a
component's activations over the samples):

- ``SparseNMF(sparsity=s, sparse_factor="W")``;
- ``sklearn.decomposition.NMF(alpha_W=a, alpha_H=0, l1_ratio=1)``, with ``a``
  found by bisection (log scale, not timed) as the smallest penalty whose W
  reaches the same average Hoyer sparsity;

both from the same "nndsvda" start, with the same ``tol`` and ``max_iter``.
Printed: relative error 100 ||X - WH||_F / ||X||_F, the sparsity reached, the
F1 score of the recovered support of W (synthetic data, components matched to
the true ones by the Hungarian method on cosine similarity), the iterations,
the fit time and its ratio to scikit-learn's, all measured in one run: each
time is the minimum over ``--repeat`` fits, the two methods' fits alternated
(the fits are deterministic; the minimum is the least disturbed by the load).

Both run with one BLAS thread (``threadpoolctl``): SparseNMF sizes its own
threads to the problem, scikit-learn's NMF would take every core, and on a
shared machine the latter's time then depends on the load more than on the
algorithm.

Data sets: a synthetic X = W H + 1 % noise with a known W whose columns have
different densities (5 % to 50 %), and scikit-learn's digits (1797 x 64).
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.datasets import load_digits
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from skproj.decomposition import SparseNMF
from skproj.projections import hoyer_sparsity

MAX_ITER = 400
TOL = 1e-4


def synthetic(n_samples=600, n_features=100, n_components=10, seed=0):
    rng = np.random.default_rng(seed)
    density = np.linspace(0.05, 0.5, n_components)
    W = np.abs(rng.standard_normal((n_samples, n_components)))
    W *= rng.uniform(size=W.shape) < density
    H = rng.uniform(size=(n_components, n_features))
    X = W @ H
    X += 0.01 * X.std() * np.abs(rng.standard_normal(X.shape))
    return X, W


def relative_error(X, W, H):
    return 100 * np.linalg.norm(X - W @ H) / np.linalg.norm(X)


def support_f1(W_true, W):
    """F1 of the non-zero pattern of W after matching its columns to W_true's."""
    unit = lambda M: M / np.maximum(np.linalg.norm(M, axis=0), 1e-300)  # noqa: E731
    rows, cols = linear_sum_assignment(-(unit(W_true).T @ unit(W)))
    true = W_true[:, rows] > 0
    found = W[:, cols] > 1e-8 * np.abs(W).max()
    hits = (true & found).sum()
    return 2 * hits / max(true.sum() + found.sum(), 1)


def w_sparsity(W):
    return hoyer_sparsity(W, axis=0)[1]


def sklearn_nmf(X, n_components, alpha):
    model = NMF(n_components, init="nndsvda", alpha_W=alpha, alpha_H=0.0, l1_ratio=1.0,
                max_iter=MAX_ITER, tol=TOL, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        W = model.fit_transform(X)
        elapsed = time.perf_counter() - start
    return W, model.components_, elapsed, model.n_iter_


def sparse_nmf(X, n_components, target):
    model = SparseNMF(n_components, sparsity=target, sparse_factor="W", init="nndsvda",
                      max_iter=MAX_ITER, tol=TOL, random_state=0)
    start = time.perf_counter()
    W = model.fit_transform(X)
    elapsed = time.perf_counter() - start
    return W, model.components_, elapsed, model.n_iter_


def tune_alpha(X, n_components, target, n_steps=18):
    """Smallest alpha_W (bisection in log scale) whose W reaches ``target``."""
    low, high = 1e-6, 1e3
    for _ in range(n_steps):
        middle = np.sqrt(low * high)
        if w_sparsity(sklearn_nmf(X, n_components, middle)[0]) >= target:
            high = middle
        else:
            low = middle
    return high


def compare(name, X, n_components, targets, repeat, W_true=None):
    rows = []
    for target in targets:
        alpha = tune_alpha(X, n_components, target)
        times_sk, times_ours = [], []
        for _ in range(repeat):
            W_sk, H_sk, elapsed, n_iter_sk = sklearn_nmf(X, n_components, alpha)
            times_sk.append(elapsed)
            W, H, elapsed, n_iter = sparse_nmf(X, n_components, target)
            times_ours.append(elapsed)
        time_sk = min(times_sk)
        for method, W_m, H_m, n_iter_m, elapsed in (
                ("SparseNMF", W, H, n_iter, min(times_ours)),
                (f"NMF a={alpha:.3g}", W_sk, H_sk, n_iter_sk, time_sk)):
            f1 = f"{support_f1(W_true, W_m):.3f}" if W_true is not None else "-"
            rows.append((name, target, method, relative_error(X, W_m, H_m), w_sparsity(W_m),
                         f1, n_iter_m, elapsed, elapsed / time_sk))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=5,
                        help="fits of each method per row, alternated; the minimum time is kept")
    args = parser.parse_args()
    X_syn, W_true = synthetic()
    digits = load_digits().data
    true_target = w_sparsity(W_true)
    syn_targets = [true_target] if args.quick else [0.5, true_target, 0.8]
    digit_targets = [0.6] if args.quick else [0.5, 0.7, 0.85]
    print(f"load: {os.getloadavg()[0]:.2f} (1-min average), {os.cpu_count()} cores")
    print(f"synthetic 600x100, 10 components, true W sparsity {true_target:.3f}; "
          "digits 1797x64, 16 components")
    print(f"BLAS threads: 1 for both; times: minimum of {args.repeat} alternated fits")
    with threadpool_limits(limits=1, user_api="blas"):
        rows = compare("synthetic", X_syn, 10, syn_targets, args.repeat, W_true)
        rows += compare("digits", digits, 16, digit_targets, args.repeat)
    header = ("data", "target s", "method", "rel. err %", "W sparsity", "support F1",
              "iterations", "time s", "time / NMF")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for data, target, method, error, sparsity, f1, n_iter, elapsed, ratio in rows:
        print(f"| {data} | {target:.3f} | {method} | {error:.2f} | {sparsity:.3f} | {f1} | "
              f"{n_iter} | {elapsed:.3f} | {ratio:.2f} |")


if __name__ == "__main__":
    sys.exit(main())
