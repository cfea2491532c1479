"""Selection quality and speed of ProjectionFeatureSelector against scikit-learn.

Run ``python benchmarks/bench_feature_selection.py`` (add ``--quick`` for a
coarser grid).  Prints, for data-64 and data-16
(:func:`skproj.datasets.make_sparse_classification`):

1. quality: ``Pipeline(StandardScaler, selector, SVC)`` tuned by
   ``GridSearchCV`` (4-fold, the same folds for all) for

   - ``ProjectionFeatureSelector`` over ``eta`` (default model, and with
     ``n_subclasses=2``, and over both),
   - ``SelectFromModel(LogisticRegression(l1, liblinear))`` over ``C``,
   - ``SelectKBest(f_classif)`` over ``k``,

   with the best 4-fold accuracy, the features the refitted best pipeline
   selects and the share of them that are informative; plus SVC on all the
   features and on exactly the informative ones;
2. speed: one fit of the selector (default, and ``n_subclasses=2``) on
   standardized data-64 against
   ``LogisticRegression(l1_ratio=1, solver="liblinear")`` with ``C`` chosen
   to keep a similar number of features, in the same run, with one BLAS
   thread (liblinear is single-threaded) and with the default threads.
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning, FitFailedWarning
from sklearn.feature_selection import SelectFromModel, SelectKBest, f_classif
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from threadpoolctl import threadpool_limits

sys.path.insert(0, os.path.dirname(__file__))
from _timing import best_time  # noqa: E402

from skproj import ProjectionFeatureSelector  # noqa: E402
from skproj.datasets import make_sparse_classification  # noqa: E402
from skproj.feature_selection import ProjectedLogisticRegression  # noqa: E402


def l1_logistic(C=1.0):
    return LogisticRegression(C=C, l1_ratio=1.0, solver="liblinear")


def searches(quick):
    n = 7 if quick else 14
    etas = np.round(np.logspace(-0.6, 0.6, n), 3)
    Cs = np.round(np.logspace(-2.2, -0.8, n), 4)
    ks = [2, 4, 8, 16, 24, 32, 64] if quick else [2, 4, 6, 8, 10, 12, 16, 20, 24, 32,
                                                   40, 48, 64, 96]
    subclass_etas = np.round(np.logspace(-0.3, 0.9, n), 3)
    return {
        "ProjectionFeatureSelector (default)": (
            ProjectionFeatureSelector(), {"select__eta": etas}),
        "ProjectionFeatureSelector n_subclasses=2": (
            ProjectionFeatureSelector(ProjectedLogisticRegression(n_subclasses=2)),
            {"select__eta": subclass_etas}),
        "ProjectionFeatureSelector over eta x n_subclasses": (
            ProjectionFeatureSelector(ProjectedLogisticRegression()),
            [{"select__eta": etas, "select__estimator__n_subclasses": [1]},
             {"select__eta": subclass_etas, "select__estimator__n_subclasses": [2]}]),
        "SelectFromModel(l1 logistic)": (
            SelectFromModel(l1_logistic()), {"select__estimator__C": Cs}),
        "SelectKBest(f_classif)": (SelectKBest(f_classif), {"select__k": ks}),
    }


def quality(quick):
    print("Quality: Pipeline(StandardScaler, selector, SVC), GridSearchCV 4-fold")
    header = (f"{'set':8s} {'selector':52s} {'best parameter':>34s} {'acc':>6s} "
              f"{'kept':>5s} {'informative':>11s} {'time':>6s}")
    print(header)
    print("-" * len(header))
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    rows = []
    for n_informative in (64, 16):
        X, y, informative = make_sparse_classification(n_informative)
        name = f"data-{n_informative}"
        for label, (selector, grid) in searches(quick).items():
            pipe = Pipeline([("scale", StandardScaler()), ("select", selector),
                             ("svc", SVC())])
            start = time.perf_counter()
            search = GridSearchCV(pipe, grid, cv=cv, n_jobs=2).fit(X, y)
            elapsed = time.perf_counter() - start
            support = search.best_estimator_["select"].get_support()
            share = informative[support].mean() if support.any() else float("nan")
            best = ", ".join(f"{k.split('__')[-1]}={v:g}"
                             for k, v in search.best_params_.items())
            print(f"{name:8s} {label:52s} {best:>34s} {search.best_score_:6.3f} "
                  f"{support.sum():5d} {share:11.0%} {elapsed:5.1f}s", flush=True)
            rows.append((name, label, search.best_score_, share))
        for label, columns in (("SVC, all features", slice(None)),
                               ("SVC, the informative features", informative)):
            pipe = Pipeline([("scale", StandardScaler()), ("svc", SVC())])
            score = cross_val_score(pipe, X[:, columns], y, cv=cv).mean()
            print(f"{name:8s} {label:52s} {'':>34s} {score:6.3f}")
        print()
    return rows


def speed():
    print("Speed: one fit on standardized data-64 (all 1000 samples)")
    X, y, informative = make_sparse_classification(64)
    X = StandardScaler().fit_transform(X)
    header = (f"{'threads':8s} {'n_subclasses':>12s} {'eta':>5s} {'kept':>5s} {'selector':>9s} "
              f"{'C':>8s} {'kept':>5s} {'liblinear':>9s} {'ratio':>6s}")
    print(header)
    print("-" * len(header))
    for threads in (1, None):
        with threadpool_limits(threads):
            for n_subclasses, eta in ((1, 0.5), (1, 1.0), (1, 2.0), (2, 2.0)):
                selector = ProjectionFeatureSelector(
                    ProjectedLogisticRegression(n_subclasses=n_subclasses), eta=eta)
                kept = selector.fit(X, y).get_support().sum()
                # the C (bisection in log scale) whose l1 model keeps as many features
                low, high = -4.0, 1.0
                for _ in range(30):
                    C = 10 ** ((low + high) / 2)
                    n_kept = np.count_nonzero(l1_logistic(C).fit(X, y).coef_)
                    if n_kept == kept:
                        break
                    low, high = ((low + high) / 2, high) if n_kept < kept else (
                        low, (low + high) / 2)
                t_selector = best_time(lambda: selector.fit(X, y), repeat=7)
                t_liblinear = best_time(lambda: l1_logistic(C).fit(X, y), repeat=7)
                print(f"{threads or 'default'!s:8s} {n_subclasses:12d} {eta:5.2f} {kept:5d} "
                      f"{t_selector * 1e3:7.1f}ms {C:8.4f} {n_kept:5d} "
                      f"{t_liblinear * 1e3:7.1f}ms {t_selector / t_liblinear:6.2f}",
                      flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="coarser grids")
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args()
    # also for the joblib workers: empty selections at the smallest radii / C
    os.environ.setdefault("PYTHONWARNINGS", "ignore::UserWarning")
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    warnings.filterwarnings("ignore", category=FitFailedWarning)
    warnings.filterwarnings("ignore", message="One or more of the test scores")
    warnings.filterwarnings("ignore", message="No feature")
    warnings.filterwarnings("ignore", message="No features were selected")
    if not args.skip_quality:
        quality(args.quick)
    speed()


if __name__ == "__main__":
    main()
