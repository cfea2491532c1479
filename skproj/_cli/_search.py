"""The run of the command line: the model, its radii, the cross-validated search.

:func:`search_radius` is the one place that chooses ``eta``; it returns a
:class:`SearchResult` that the report reads.  The linear model is
:class:`~skproj.feature_selection.ProjectionFeatureSelectorCV` (its grid of
radii computed from the data, the path warm-started on every fold); the
autoencoder is searched by scikit-learn's ``GridSearchCV`` around its default
radius.
"""

import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score
from sklearn.model_selection import GridSearchCV, ParameterGrid, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skproj.feature_selection._cv import chosen_radius

# The autoencoder's default grid: its default radius times 3 ** [-1, -1/2, 0, 1/2, 1].
_AUTOENCODER_GRID = np.logspace(-1, 1, 5, base=3)


def make_model(name, projection, random_state, verbose):
    """The estimator behind ``--model`` (the linear one chooses its radius itself)."""
    if name == "autoencoder":
        from skproj import SparseSupervisedAutoencoder

        return SparseSupervisedAutoencoder(projection=projection, random_state=random_state,
                                           verbose=max(verbose - 1, 0))
    from skproj.feature_selection import ProjectionFeatureSelectorCV

    return ProjectionFeatureSelectorCV(projection=projection)


def _scaler(X):
    # Sparse data is scaled without centering (centering would densify it);
    # with an intercept, centering does not change a linear model's weights.
    return StandardScaler(with_mean=not sp.issparse(X))


def autoencoder_radii(model):
    """The autoencoder's grid when ``--etas`` is not given: around its default radius."""
    return [float(eta) for eta in np.round(model.eta * _AUTOENCODER_GRID, 6)]


def _n_selected(pipeline, X, y):
    """Scorer: the number of features the fitted pipeline's model uses."""
    return int(np.count_nonzero(pipeline[-1].feature_importances_))


class _RadiusSearch(GridSearchCV):
    """``GridSearchCV`` that evaluates one radius at a time and reports after each."""

    def __init__(self, estimator, param_grid, *, scoring=None, n_jobs=None, refit=True,
                 cv=None, verbose=0, error_score="raise", on_radius_done=None):
        super().__init__(estimator, param_grid, scoring=scoring, n_jobs=n_jobs, refit=refit,
                         cv=cv, verbose=verbose, error_score=error_score)
        self.on_radius_done = on_radius_done

    def __getstate__(self):
        # scikit-learn hands the search to the workers of n_jobs; the progress
        # bar stays in this process
        state = super().__getstate__()
        state["on_radius_done"] = None
        return state

    def _run_search(self, evaluate_candidates):
        for candidate in ParameterGrid(self.param_grid):
            evaluate_candidates([candidate])
            if self.on_radius_done is not None:
                self.on_radius_done()


@dataclass
class SearchResult:
    """What the report needs from the search."""

    etas: list
    scores: np.ndarray  # mean cross-validated accuracy per radius
    spreads: np.ndarray  # its standard deviation over the folds
    n_features: np.ndarray  # mean number of features kept per radius
    best_index: int
    model: object  # the pipeline refitted on all samples at the best radius
    seconds: float

    @property
    def best_eta(self):
        return self.etas[self.best_index]


class _Progress:
    """A progress bar with an ETA (tqdm), or plain lines without tqdm, or nothing."""

    def __init__(self, total, description, quiet):
        self._bar = self._start = None
        self._total, self._done, self._description = total, 0, description
        if quiet:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            self._start = time.perf_counter()
        else:
            self._bar = tqdm(total=total, desc=description, unit="step", file=sys.stderr,
                             dynamic_ncols=True)

    def update(self):
        self._done += 1
        if self._bar is not None:
            self._bar.update()
        elif self._start is not None:
            elapsed = time.perf_counter() - self._start
            left = elapsed / self._done * (self._total - self._done)
            print(f"{self._description}: {self._done}/{self._total} done, {elapsed:.0f} s, "
                  f"about {left:.0f} s left", file=sys.stderr, flush=True)

    def close(self):
        if self._bar is not None:
            self._bar.close()


class _CountingAccuracy:
    """Accuracy scorer that advances the progress bar at every (fold, radius) it scores."""

    def __init__(self, progress):
        self.progress = progress

    def __getstate__(self):
        # the folds of n_jobs run in other processes; the progress bar stays here
        return {"progress": None}

    def __call__(self, estimator, X, y):
        if self.progress is not None:
            self.progress.update()
        return accuracy_score(y, estimator.predict(X))


def search_radius(model, X, y, etas, *, n_folds, n_jobs, random_state, verbose, quiet,
                  n_etas=None, rule="best"):
    """Choose ``eta`` by stratified cross-validation; refit at the chosen radius.

    The features are standardized inside each fold.  The linear model
    (:class:`~skproj.feature_selection.ProjectionFeatureSelectorCV`) searches
    ``etas``, or ``n_etas`` radii it computes from the data when ``etas`` is
    None; the progress bar counts one step per fold and radius and one for
    the refit.  The autoencoder is searched over ``etas`` by ``GridSearchCV``;
    its progress bar counts one step per radius (all folds) and the refit.
    Both choose the radius by ``rule`` (see
    :func:`~skproj.feature_selection._cv.chosen_radius`).
    """
    folds = StratifiedKFold(n_folds, shuffle=True, random_state=random_state)
    start = time.perf_counter()
    if hasattr(model, "n_etas"):
        result = _search_linear(model, X, y, etas, n_etas, folds, n_jobs, verbose, quiet,
                                rule)
    else:
        result = _search_autoencoder(model, X, y, etas, folds, n_jobs, verbose, quiet, rule)
    result.seconds = time.perf_counter() - start
    return result


def _search_linear(model, X, y, etas, n_etas, folds, n_jobs, verbose, quiet, rule):
    n_radii = n_etas if etas is None else len(etas)
    progress = _Progress(n_radii * folds.get_n_splits() + 1, "cross-validation", quiet)
    model.set_params(etas=etas, n_etas=n_etas or model.n_etas, cv=folds, n_jobs=n_jobs,
                     rule=rule, scoring=_CountingAccuracy(progress),
                     verbose=max(verbose - 1, 0))
    pipeline = Pipeline([("scale", _scaler(X)), ("model", model)])
    try:
        with warnings.catch_warnings():
            # at the grid's high end, the nearly unconstrained model of data the
            # model separates, the solver may stop at max_iter: its score stands
            warnings.simplefilter("ignore", ConvergenceWarning)
            pipeline.fit(X, y)
        progress.update()  # the refit
    finally:
        progress.close()
        model.set_params(scoring=None)  # the fitted model keeps no progress bar
    return _result(model.cv_results_, "eta", "test_score", "mean_n_features",
                   model.best_index_, pipeline)


class ChosenRadius:
    """``GridSearchCV``'s ``refit``: the index that ``rule`` chooses from the fold accuracies.

    The grid's radii must be increasing (the one-standard-error rule takes
    the smallest radius within reach of the best).
    """

    def __init__(self, rule):
        self.rule = rule

    def __call__(self, results):
        n_folds = sum(key.startswith("split") and key.endswith("_test_accuracy")
                      for key in results)
        scores = np.array([results[f"split{i}_test_accuracy"] for i in range(n_folds)])
        return chosen_radius(scores, self.rule)


def _search_autoencoder(model, X, y, etas, folds, n_jobs, verbose, quiet, rule):
    pipeline = Pipeline([("scale", _scaler(X)), ("model", model)])
    progress = _Progress(len(etas) + 1, "cross-validation", quiet)
    search = _RadiusSearch(
        pipeline, {"model__eta": sorted(etas)},
        scoring={"accuracy": "accuracy", "n_features": _n_selected},
        refit=ChosenRadius(rule),
        cv=folds, n_jobs=n_jobs, verbose=max(verbose - 1, 0), on_radius_done=progress.update)
    try:
        search.fit(X, y)
        progress.update()  # the refit
    finally:
        progress.close()
    return _result(search.cv_results_, "param_model__eta", "test_accuracy",
                   "mean_test_n_features", search.best_index_, search.best_estimator_)


def _result(results, eta_key, score_key, features_key, best_index, model):
    """The SearchResult of ``cv_results_``-style ``results`` (its time set by the caller)."""
    return SearchResult(
        etas=[float(eta) for eta in results[eta_key]],
        scores=np.asarray(results[f"mean_{score_key}"]),
        spreads=np.asarray(results[f"std_{score_key}"]),
        n_features=np.asarray(results[features_key]),
        best_index=int(best_index),
        model=model,
        seconds=0.0,
    )
