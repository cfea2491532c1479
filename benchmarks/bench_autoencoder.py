"""Accuracy and speed of SparseSupervisedAutoencoder on data-64 and data-16.

Run ``python benchmarks/bench_autoencoder.py`` (``--quick`` for a coarser grid
and fewer folds, ``--speed-only`` / ``--accuracy-only`` for one part).  Prints:

1. accuracy: on data-64 and data-16 (:func:`skproj.datasets.make_sparse_classification`),
   ``Pipeline(StandardScaler, SparseSupervisedAutoencoder)`` with ``eta`` chosen
   by an inner ``GridSearchCV`` (4-fold, on the training folds only) and scored
   on 4 outer folds (nested cross-validation: no model selection on a test
   fold), with the bi-level and the exact l1,inf projections, beside the dense
   baseline (``projection=None``), the authors' recipe (one projection,
   ``n_rounds=1``, no restart) and the ceiling (SVC on exactly the
   informative features).  For each: the 4-fold accuracy, the features the
   refitted model keeps and the share of them that are informative, and the
   chosen radii;
2. speed: one default fit on standardized data-64 against scikit-learn's
   ``MLPClassifier((100,))`` trained for the same number of epochs with the
   same batch size (``tol=0`` so that it runs every epoch), in the same run
   and with the same threads; plus the share of the fit spent in projections.

Measured on the 2-core development machine (the ratios are taken in one
run; the accuracies do not depend on the machine's load)::

    data     model                               accuracy        kept  informative
    data-64  SAE, default recipe                 0.903 ± 0.020   42.0   99 %
    data-64  same, n_subclasses=1 (labels only)  0.790 ± 0.036   17.0   96 %
    data-64  same, exact l1,inf ball             0.898 ± 0.014   41.2   99 %
    data-64  authors' recipe (n_rounds=1)        0.725 ± 0.014   36.0   66 %
    data-64  dense baseline                      0.687 ± 0.013   1000    6 %
    data-64  SVC on the informative features     0.946             64  100 %
    data-16  SAE, default recipe                 0.895 ± 0.041   13.5  100 %
    data-16  same, n_subclasses=1 (labels only)  0.798 ± 0.039   10.0   87 %
    data-16  same, exact l1,inf ball             0.897 ± 0.024   13.8  100 %
    data-16  authors' recipe (n_rounds=1)        0.691 ± 0.023   16.8   43 %
    data-16  dense baseline                      0.543 ± 0.024   1000    2 %
    data-16  SVC on the informative features     0.935             16  100 %

    speed (280 epochs, batch 42): SAE 10.2 s, MLPClassifier 6.6 s, ratio 1.55;
    projections (with the rounds' radius bisections) 1.4 % of the default
    fit; 7.6 % with training="projected".

Since the rows above were measured the default became ``n_subclasses=1`` (the
sub-classes help these synthetic sets, not the real ones: see
``benchmarks/bench_real_data.py``), so "default recipe" is now the
``n_subclasses=1`` row and the sub-class rows ask for ``n_subclasses=2``.  The
training was rebuilt on :mod:`skproj.nn` (constraint, ShrinkingRounds, masks)
and checked to give the same models: on the same four outer folds at a fixed
eta (1 on data-64, 0.5 on data-16, no search), the code before and after the
rebuild scores 0.775 / 0.727 with ``n_subclasses=1`` (identical per fold), and
0.903 (old) against 0.902 (new) on data-64 and 0.891 against 0.890 on data-16
with ``n_subclasses=2``.

Since then the default recipe became 8 mini-batches per epoch (was 24),
learning rate 3e-3 in both phases (was 1e-3 / 3e-3) and ``n_epochs=(10,
20)`` (was (10, 40)), about 3-4x faster on real data at the same scale of
``eta`` (``benchmarks/bench_real_data.py``); the tables above were not
measured again with it.

The goal of issue 5 (>= 0.85 on both sets, >= 80 % informative) is reached
on both sets, by the default recipe and by the exact l1,inf ball.  In every
outer fold the inner search chooses eta = 1 on data-64 and 0.5 on data-16
(the exact ball: 0.6 on data-64; 0.3 in three folds of four on data-16).
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from skproj.autoencoder import SparseSupervisedAutoencoder
from skproj.datasets import make_sparse_classification

ETAS = [0.25, 0.5, 1.0, 2.0]
QUICK_ETAS = [0.5, 1.0]
# The exact l1,inf ball keeps its own scale of radii.
EXACT_ETAS = [0.3, 0.6, 1.2]
QUICK_EXACT_ETAS = [0.3, 0.6]
# A single projection keeps more features at the same radius.
SINGLE_ETAS = [0.1, 0.2, 0.4, 0.8]


def nested_cv(model, X, y, informative, etas, outer, inner, n_jobs):
    """Outer-fold accuracies, kept features and informative share of a tuned model."""
    accuracies, kept, precision, chosen = [], [], [], []
    for train, test in outer.split(X, y):
        pipe = make_pipeline(StandardScaler(), model)
        if etas is not None:
            pipe = GridSearchCV(pipe, {"sparsesupervisedautoencoder__eta": etas}, cv=inner,
                                n_jobs=n_jobs)
        pipe.fit(X[train], y[train])
        accuracies.append(pipe.score(X[test], y[test]))
        best = pipe.best_estimator_ if etas is not None else pipe
        selected = best[-1].selected_features_
        kept.append(len(selected))
        precision.append(informative[selected].mean() if len(selected) else 0.0)
        if etas is not None:
            chosen.append(pipe.best_params_["sparsesupervisedautoencoder__eta"])
    return np.array(accuracies), np.array(kept), np.array(precision), chosen


def accuracy_table(quick, n_jobs, only=None):
    etas = QUICK_ETAS if quick else ETAS
    exact_etas = QUICK_EXACT_ETAS if quick else EXACT_ETAS
    single_etas = QUICK_ETAS if quick else SINGLE_ETAS
    outer = StratifiedKFold(4, shuffle=True, random_state=0)
    inner = StratifiedKFold(2 if quick else 4, shuffle=True, random_state=1)
    print("Accuracy: nested CV (4 outer folds; eta by inner GridSearchCV on the training folds)")
    print(f"eta grid: {etas} (exact l1,inf ball: {exact_etas})")
    header = f"{'data':8s} {'model':34s} {'accuracy':>15s} {'kept':>7s} {'informative':>12s}  eta"
    print(header)
    print("-" * len(header))
    for n_informative in (64, 16):
        X, y, informative = make_sparse_classification(n_informative)
        name = f"data-{n_informative}"
        rows = [
            ("SAE, default recipe", SparseSupervisedAutoencoder(random_state=0), etas),
            ("same, n_subclasses=2 (sub-classes)",
             SparseSupervisedAutoencoder(n_subclasses=2, random_state=0), etas),
            ("same, exact l1,inf, n_subclasses=2",
             SparseSupervisedAutoencoder(projection="l1inf_ball", n_subclasses=2,
                                         random_state=0), exact_etas),
            ("authors' recipe (n_rounds=1)",
             SparseSupervisedAutoencoder(n_rounds=1, n_subclasses=1, reinitialize=False,
                                         n_epochs=20, learning_rate=1e-3,
                                         reconstruction_weight=0.05, random_state=0),
             single_etas),
            ("dense baseline (projection=None)",
             SparseSupervisedAutoencoder(projection=None, random_state=0), None),
        ]
        for label, model, grid in rows:
            if only and not any(word in label for word in only):
                continue
            start = time.perf_counter()
            acc, kept, prec, chosen = nested_cv(model, X, y, informative, grid, outer, inner,
                                                n_jobs)
            print(f"{name:8s} {label:34s} {acc.mean():7.3f} ± {acc.std():.3f} "
                  f"{kept.mean():7.1f} {100 * prec.mean():11.0f}%  "
                  f"{chosen if chosen else '-'}  ({time.perf_counter() - start:.0f} s)",
                  flush=True)
        ceiling = cross_val_score(make_pipeline(StandardScaler(), SVC()),
                                  X[:, informative], y, cv=outer).mean()
        print(f"{name:8s} {'SVC on the informative features':34s} {ceiling:7.3f}"
              f"{'':8s} {informative.sum():7d} {100:11d}%")
    print()


def speed(repeats=3):
    X, y, _ = make_sparse_classification(64)
    X = StandardScaler().fit_transform(X)
    model = SparseSupervisedAutoencoder(random_state=0)
    model.fit(X[:100], y[:100])  # warm-up: torch's lazy imports and kernels
    epochs = None
    sae_times, shares = [], []
    mlp_times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.fit(X, y)
        sae_times.append(time.perf_counter() - start)
        shares.append(model.projection_time_ / sae_times[-1])
        epochs = len(model.history_)
        mlp = MLPClassifier((100,), batch_size=model.batch_size_, max_iter=epochs, tol=0.0,
                            n_iter_no_change=epochs + 1, learning_rate_init=1e-3,
                            random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            start = time.perf_counter()
            mlp.fit(X, y)
            mlp_times.append(time.perf_counter() - start)
        assert mlp.n_iter_ == epochs
    sae, mlp_t = min(sae_times), min(mlp_times)
    print("Speed: one default fit on standardized data-64 (1000 x 1000), best of "
          f"{repeats}")
    print(f"epochs in total: {epochs} (batch size {model.batch_size_}), "
          f"torch threads: {model.n_threads_}")
    print(f"SparseSupervisedAutoencoder  {sae:7.2f} s  "
          f"({1000 * sae / epochs:.1f} ms per epoch)")
    print(f"MLPClassifier((100,))        {mlp_t:7.2f} s  "
          f"({1000 * mlp_t / epochs:.1f} ms per epoch)")
    print(f"ratio SAE / MLP: {sae / mlp_t:.2f}   (goal <= 2)")
    print(f"projection share of the fit: {100 * min(shares):.2f} %   (goal <= 5 %)")
    projected = SparseSupervisedAutoencoder(training="projected", random_state=0).fit(X, y)
    total = projected.history_[-1]["time"]
    print(f"(training='projected', projection after every step: share "
          f"{100 * projected.projection_time_ / total:.1f} % of {total:.1f} s)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="coarser grid, 2 inner folds")
    parser.add_argument("--speed-only", action="store_true")
    parser.add_argument("--accuracy-only", action="store_true")
    parser.add_argument("--n-jobs", type=int, default=2, help="GridSearchCV workers")
    parser.add_argument("--only", nargs="+", metavar="WORD",
                        help="accuracy rows whose label contains one of these words")
    args = parser.parse_args()
    if not args.speed_only:
        accuracy_table(args.quick, args.n_jobs, args.only)
    if not args.accuracy_only:
        speed()


if __name__ == "__main__":
    main()
