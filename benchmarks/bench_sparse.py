"""Sparse input: memory and time of one selector fit on a large count matrix.

Run ``python benchmarks/bench_sparse.py`` (the issue's size: 100,000 samples x
20,000 genes at 5 % density, 100 M non-zeros, about 1.2 GB as float64 CSR) or
smaller with ``--n-samples``/``--n-features``/``--density``.  The matrix is a
synthetic single-cell-like count matrix generated in chunks of rows (never
dense): Poisson counts at random positions, 20 informative genes planted
(their counts tripled in class 1), scaled without centering
(``StandardScaler(with_mean=False)``, which keeps it sparse).

In the same run it measures, each with tracemalloc (the peak of the memory
allocated *during* the fit, beside the matrix itself) and the wall time:

- ``ProjectionFeatureSelector(n_features_to_select=20)``: the radius search
  (several warm-started fits) that keeps exactly 20 genes;
- ``ProjectedLogisticRegression(eta)`` at the radius that search found: one
  fit from zero;
- scikit-learn's ``LogisticRegression(l1_ratio=1, solver="saga")`` at a ``C``
  that keeps tens of genes (``--saga-C``), with its default ``max_iter=100``
  and ``tol=1e-4``.

It prints the peak memory as a multiple of the CSR matrix (goal: the matrix
plus the fit's peak <= 2x the matrix), the genes kept, how many of the
planted ones, the training accuracy and the time, plus the machine load.
"""

import argparse
import os
import time
import tracemalloc
import warnings

import numpy as np
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from skproj.feature_selection import ProjectedLogisticRegression, ProjectionFeatureSelector

N_INFORMATIVE = 20


def sparse_counts(n_samples, n_features, density, random_state=0, chunk=5000):
    """A CSR count matrix built one chunk of rows at a time, and its labels."""
    rng = np.random.default_rng(random_state)
    y = rng.integers(0, 2, n_samples)
    blocks = []
    for start in range(0, n_samples, chunk):
        rows = min(chunk, n_samples - start)
        per_row = rng.binomial(n_features, density, size=rows)
        indptr = np.concatenate([[0], np.cumsum(per_row)])
        # sorted distinct columns per row, drawn as random offsets over the row
        columns = np.empty(indptr[-1], dtype=np.int32)
        for i in range(rows):
            columns[indptr[i]:indptr[i + 1]] = np.sort(
                rng.choice(n_features, per_row[i], replace=False))
        values = rng.poisson(2.0, size=indptr[-1]).astype(np.float64) + 1.0
        planted = (columns < N_INFORMATIVE) & (np.repeat(y[start:start + rows], per_row) == 1)
        values[planted] *= 3.0
        blocks.append(sparse.csr_matrix((values, columns, indptr), shape=(rows, n_features)))
    return sparse.vstack(blocks, format="csr"), y


def measure(function):
    """Run ``function()``; return its result, wall seconds and peak traced bytes."""
    tracemalloc.start()
    start = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return result, seconds, peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=100_000)
    parser.add_argument("--n-features", type=int, default=20_000)
    parser.add_argument("--density", type=float, default=0.05)
    parser.add_argument("--saga-C", type=float, default=0.002)
    parser.add_argument("--skip-saga", action="store_true")
    args = parser.parse_args()

    start = time.perf_counter()
    X, y = sparse_counts(args.n_samples, args.n_features, args.density)
    X = StandardScaler(with_mean=False, copy=False).fit_transform(X)
    matrix_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    print(f"X: {X.shape[0]} x {X.shape[1]} CSR, {X.nnz / 1e6:.1f} M non-zeros, "
          f"{matrix_bytes / 2**30:.2f} GiB, built in {time.perf_counter() - start:.0f} s")
    print(f"load before: {os.getloadavg()}")

    rows = []

    def record(name, model, seconds, peak):
        kept = np.flatnonzero(np.any(model.coef_ != 0, axis=0))
        planted = int(np.count_nonzero(kept < N_INFORMATIVE))
        accuracy = float(np.mean(model.predict(X) == y))
        rows.append((name, seconds, peak, kept.size, planted, accuracy))

    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        selector, seconds, peak = measure(
            lambda: ProjectionFeatureSelector(n_features_to_select=N_INFORMATIVE).fit(X, y))
        record("ProjectionFeatureSelector(n_features_to_select=20)", selector.estimator_,
               seconds, peak)
        eta = selector.eta_
        model, seconds, peak = measure(lambda: ProjectedLogisticRegression(eta).fit(X, y))
        record(f"ProjectedLogisticRegression(eta={eta:.3g})", model, seconds, peak)
        if not args.skip_saga:
            saga, seconds, peak = measure(lambda: LogisticRegression(
                C=args.saga_C, l1_ratio=1.0, solver="saga").fit(X, y))
            record(f"LogisticRegression(l1, saga, C={args.saga_C:g})", saga, seconds, peak)

    print(f"load after: {os.getloadavg()}  (1 BLAS thread)")
    header = (f"{'fit':52s} {'time s':>8s} {'x saga':>7s} {'peak MiB':>9s} "
              f"{'(X+peak)/X':>10s} {'kept':>5s} {'planted':>7s} {'train acc':>9s}")
    print(header)
    print("-" * len(header))
    saga_time = rows[-1][1] if not args.skip_saga else float("nan")
    for name, seconds, peak, kept, planted, accuracy in rows:
        print(f"{name:52s} {seconds:8.1f} {seconds / saga_time:7.2f} {peak / 2**20:9.0f} "
              f"{(matrix_bytes + peak) / matrix_bytes:10.2f} {kept:5d} {planted:7d} "
              f"{accuracy:9.3f}")


if __name__ == "__main__":
    main()
