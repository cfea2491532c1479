"""How trustworthy are the feature rankings? (issue 16, "Trustworthy rankings").

Run ``python benchmarks/bench_rankings.py [--datasets NAME ...] [--variants NAME ...]``
under ``flock /tmp/skproj-heavy.lock`` (the data sets: ``benchmarks/_real_data.py``).

For every data set (standardized) and model variant the script fits the model
on all samples with 5 seeds, and with seed 0 on the training part of each of
4 stratified folds, and reports

- ``acc``: the 4-fold held-out accuracy (the fold fits), so that a variant
  that ranks better but predicts worse shows it;
- ``kept``: the mean number of selected features;
- ``top5 AUC``: the mean univariate ROC AUC of the 5 top-ranked features (a
  feature's AUC is ``max(AUC, 1 - AUC)``, averaged one-vs-rest over the
  classes when there are more than two), mean over the 5 seeds, and the worst
  single feature among all seeds' top 5 (``min``); ``best`` in the header is
  the mean AUC of the 5 univariately best features, 0.5 is chance;
- ``seeds`` / ``folds``: the mean pairwise overlap of the top-10 lists
  (``|A & B| / min(10, |A|, |B|)``) across the 5 seeds and across the 4 folds.

Each fitted autoencoder is ranked by several importances, computed on the
same fits:

- ``final``: ``feature_importances_`` (today's: max-norm of the first-layer
  column of the network *retrained* on the kept features);
- ``final_l2``: the l2 norm of the same columns;
- ``select``: the max-norm of the columns of the *selection* network at the end
  of its last round (before the retraining; the bi-level projection keeps the
  order of these norms among the kept features);
- ``select_mean``: the selection networks' max-norms, each round normalized
  to sum 1, averaged over all rounds;
- ``perm``: permutation importance of the fitted model (drop in training
  accuracy when a kept feature is shuffled, 5 repeats).

The selector (``ProjectionFeatureSelector``, deterministic) is ranked by its
``feature_importances_`` (max-norm of the coefficient columns).
"""

import argparse
import itertools
import os
import sys
import time
import warnings

import numpy as np
from sklearn.feature_selection import f_classif
from sklearn.inspection import permutation_importance
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _real_data  # noqa: E402

from skproj.autoencoder import SparseSupervisedAutoencoder  # noqa: E402
from skproj.feature_selection import ProjectionFeatureSelector  # noqa: E402

SEEDS = range(5)
N_FOLDS = 4
TOP_K = 5
OVERLAP_K = 10


class RecordingAutoencoder(SparseSupervisedAutoencoder):
    """The autoencoder, keeping the first-layer max-norms at the end of every selection round.

    The estimator records its history after every epoch; this subclass also
    keeps the column max-norms of the first layer after the last epoch of
    each selection round (before that round's projection) and changes nothing
    else.
    """

    def fit(self, X, y):
        self._round_norms = {}
        super().fit(X, y)
        self.selection_norms_ = [self._round_norms[r] for r in sorted(self._round_norms)]
        return self

    def _record(self, weight, norm, phase, round_, *args):
        if phase == "select":
            self._round_norms[round_] = (
                weight.detach().abs().amax(0).cpu().numpy().astype(float))
        super()._record(weight, norm, phase, round_, *args)


AUTOENCODER_VARIANTS = {
    "sae": {},
    "sae_nsub1": {"n_subclasses": 1},
    "sae_rw0": {"reconstruction_weight": 0.0},
    "sae_nsub1_rw0": {"n_subclasses": 1, "reconstruction_weight": 0.0},
}
SELECTOR_VARIANTS = {
    "selector": {},
    "selector_eta4": {"eta": 4.0},
    "selector_eta16": {"eta": 16.0},
}
VARIANTS = list(SELECTOR_VARIANTS) + list(AUTOENCODER_VARIANTS)


def univariate_auc(X, y):
    """Per feature: ``max(AUC, 1 - AUC)``, averaged one-vs-rest over the classes."""
    classes = np.unique(y)
    targets = [y == classes[1]] if len(classes) == 2 else [y == c for c in classes]
    aucs = np.zeros(X.shape[1])
    for target in targets:
        auc = np.array([roc_auc_score(target, X[:, j]) for j in range(X.shape[1])])
        aucs += np.maximum(auc, 1 - auc)
    return aucs / len(targets)


def ranking(importances):
    """Indices of the features with positive importance, most important first (stable)."""
    order = np.argsort(-importances, kind="stable")
    return order[importances[order] > 0]


def top_overlap(rankings, k=OVERLAP_K):
    """Mean pairwise ``|A & B| / min(k, |A|, |B|)`` of the top-``k`` lists."""
    scores = []
    for a, b in itertools.combinations(rankings, 2):
        a, b = set(a[:k]), set(b[:k])
        denominator = min(k, len(a), len(b))
        scores.append(len(a & b) / denominator if denominator else 0.0)
    return float(np.mean(scores))


def autoencoder_importances(model, X, y):
    """The importances compared in this study, for one fitted autoencoder."""
    kept = model.feature_importances_ > 0
    rounds = [norms / norms.sum() for norms in model.selection_norms_ if norms.sum() > 0]
    weight = model.network_.first_layer.weight.detach().cpu().numpy()
    perm = permutation_importance(model, X, y, n_repeats=5, random_state=0).importances_mean
    return {
        "final": model.feature_importances_,
        "final_l2": np.linalg.norm(weight, axis=0),
        "select": np.where(kept, model.selection_norms_[-1], 0.0),
        "select_mean": np.where(kept, np.mean(rounds, axis=0), 0.0),
        # permutation importance can be <= 0 for a kept feature: rank it last but keep it
        "perm": np.where(kept, np.maximum(perm, 0) + 1e-12, 0.0),
    }


def fit_importances(variant, X, y, seed):
    """Fitted model of ``variant`` and its importances by name."""
    if variant in SELECTOR_VARIANTS:
        model = ProjectionFeatureSelector(**SELECTOR_VARIANTS[variant]).fit(X, y)
        return model, {"coef": model.feature_importances_}
    model = RecordingAutoencoder(random_state=seed, **AUTOENCODER_VARIANTS[variant]).fit(X, y)
    return model, autoencoder_importances(model, X, y)


def decorrelated(X, aucs, threshold):
    """Columns of ``X`` left after dropping every feature whose |correlation| with a
    feature of higher univariate AUC exceeds ``threshold``."""
    corr = np.abs(np.corrcoef(X.T))
    kept = []
    for j in np.argsort(-aucs, kind="stable"):
        if all(corr[j, k] <= threshold for k in kept):
            kept.append(j)
    return np.sort(kept)


def study(dataset, variants, decorrelate=None):
    data = _real_data.load(dataset)
    X = StandardScaler().fit_transform(data.X)
    y = data.y
    aucs = univariate_auc(X, y)
    if decorrelate is not None:
        columns = decorrelated(X, aucs, decorrelate)
        X, aucs = X[:, columns], aucs[columns]
        dataset = f"{dataset} (no two features with |corr| > {decorrelate})"
    f_rank = np.argsort(np.argsort(-np.nan_to_num(f_classif(X, y)[0])))  # 0 = best
    best = np.sort(aucs)[::-1][:TOP_K].mean()
    print(f"\n{dataset}: {X.shape[0]} x {X.shape[1]}, {len(np.unique(y))} classes; univariate "
          f"AUC of the best {TOP_K} features {best:.3f}, median feature "
          f"{np.median(aucs):.3f}; load {os.getloadavg()[0]:.1f}", flush=True)
    print(f"{'variant':14s} {'importance':11s} {'acc':>5s} {'kept':>5s} {'top5 AUC':>8s} "
          f"{'min':>5s} {'F rank':>6s} {'seeds':>5s} {'folds':>5s} {'s/fit':>5s}", flush=True)
    folds = list(StratifiedKFold(N_FOLDS, shuffle=True, random_state=0).split(X, y))
    for variant in variants:
        start = time.perf_counter()
        by_seed, by_fold, kept, accuracy = [], [], [], []
        for seed in SEEDS:
            model, importances = fit_importances(variant, X, y, seed)
            by_seed.append({name: ranking(imp) for name, imp in importances.items()})
            kept.append(int(np.count_nonzero(next(iter(importances.values())))))
        for train, test in folds:
            model, importances = fit_importances(variant, X[train], y[train], 0)
            by_fold.append({name: ranking(imp) for name, imp in importances.items()})
            accuracy.append(model.score(X[test], y[test]))
        seconds = (time.perf_counter() - start) / (len(SEEDS) + N_FOLDS)
        for name in by_seed[0]:
            seed_lists = [r[name] for r in by_seed]
            top = [lst[:TOP_K] for lst in seed_lists]
            top_auc = np.mean([aucs[t].mean() for t in top])
            worst = min(aucs[t].min() for t in top)
            f_mean = np.mean([f_rank[t].mean() + 1 for t in top])
            print(f"{variant:14s} {name:11s} {np.mean(accuracy):5.3f} {np.mean(kept):5.1f} "
                  f"{top_auc:8.3f} {worst:5.3f} {f_mean:6.1f} {top_overlap(seed_lists):5.2f} "
                  f"{top_overlap([r[name] for r in by_fold]):5.2f} {seconds:5.1f}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["breast_cancer", "wine", "gse7390"],
                        choices=sorted(_real_data.LOADERS))
    parser.add_argument("--variants", nargs="+", default=VARIANTS, choices=VARIANTS)
    parser.add_argument("--decorrelate", type=float, default=None, metavar="R",
                        help="drop each feature correlated above R with a better one (an "
                             "experiment on the correlated-feature effect)")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", category=UserWarning)
    for dataset in args.datasets:
        study(dataset, args.variants, args.decorrelate)


if __name__ == "__main__":
    main()
