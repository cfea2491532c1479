"""The run of the command line: the model, its grid of radii, the cross-validated search.

:func:`search_radius` is the one place that chooses ``eta``; it returns a
:class:`SearchResult` that the report reads.  It runs scikit-learn's
``GridSearchCV`` today; a self-setting CV estimator can take its place without
the report changing.
"""

import sys
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.model_selection import GridSearchCV, ParameterGrid, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags

from skproj.projections import get_constraint

# The autoencoder's default grid: its default radius times 3 ** [-1, -1/2, 0, 1/2, 1].
_AUTOENCODER_GRID = np.logspace(-1, 1, 5, base=3)


def make_model(name, projection, random_state, verbose):
    """The estimator behind ``--model``."""
    if name == "autoencoder":
        from skproj import SparseSupervisedAutoencoder

        return SparseSupervisedAutoencoder(projection=projection, random_state=random_state,
                                           verbose=max(verbose - 1, 0))
    from skproj import ProjectionFeatureSelector

    return ProjectionFeatureSelector(projection=projection)


def fit_ready(X, model):
    """``X`` as the model can take it: sparse kept only where the model accepts it.

    Returns the matrix and a note for the user when it had to be densified
    (float32, half the memory of float64).
    """
    if not sp.issparse(X) or get_tags(model).input_tags.sparse:
        return X, None
    dense = X.astype(np.float32).toarray()
    return dense, (f"densified the sparse X for the fit ({dense.nbytes / 2**20:.0f} MiB "
                   f"float32): {type(model).__name__} does not take sparse input yet")


def _scaler(X):
    # Sparse data is scaled without centering (centering would densify it);
    # with an intercept, centering does not change a linear model's weights.
    return StandardScaler(with_mean=not sp.issparse(X))


def data_radii(X, y, projection, n_etas):
    """``n_etas`` radii for the linear model, computed from the data.

    The gradient of the logistic loss at zero weights, G = (Y - mean Y)^T X / n
    on standardized features (one row per class: the per-class mean
    differences of every feature), is the direction in which the first
    features enter the model.  The radii are those at which the constraint's
    projection of G keeps 1, ..., n_features columns (``radius_for_groups``),
    log-spaced in the number kept; on the fitted weights they run from about
    one feature to a few hundred (the weights outgrow G as the radius grows).
    """
    X = _scaler(X).fit_transform(X)
    classes, encoded = np.unique(y, return_inverse=True)
    targets = np.eye(len(classes))[encoded]
    gradient = np.asarray((X.T @ (targets - targets.mean(axis=0))).T) / X.shape[0]
    constraint = get_constraint(projection, matrix=True)
    n_alive = int(np.count_nonzero(constraint.support(gradient)))
    kept = np.unique(np.geomspace(1, max(n_alive, 1), n_etas).round().astype(int))
    radii = np.unique([constraint.radius_for_groups(gradient, int(k)) for k in kept
                       if k <= n_alive])
    return [float(eta) for eta in np.round(radii[radii > 0], 6)]


def default_radii(model_name, model, X, y, projection, n_etas):
    """The grid when ``--etas`` is not given."""
    if model_name == "autoencoder":
        return [float(eta) for eta in np.round(model.eta * _AUTOENCODER_GRID, 6)]
    return data_radii(X, y, projection, n_etas)


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


def search_radius(model, X, y, etas, *, n_folds, n_jobs, random_state, verbose, quiet):
    """Choose ``eta`` among ``etas`` by stratified cross-validation; refit at the best.

    The features are standardized inside each fold.  The progress bar
    counts one step per radius (all folds) and one for the refit.
    """
    pipeline = Pipeline([("scale", _scaler(X)), ("model", model)])
    folds = StratifiedKFold(n_folds, shuffle=True, random_state=random_state)
    progress = _Progress(len(etas) + 1, "cross-validation", quiet)
    search = _RadiusSearch(
        pipeline, {"model__eta": list(etas)},
        scoring={"accuracy": "accuracy", "n_features": _n_selected}, refit="accuracy",
        cv=folds, n_jobs=n_jobs, verbose=max(verbose - 1, 0), on_radius_done=progress.update)
    start = time.perf_counter()
    try:
        search.fit(X, y)
        progress.update()  # the refit
    finally:
        progress.close()
    results = search.cv_results_
    searched = [float(eta) for eta in results["param_model__eta"]]
    return SearchResult(
        etas=searched,
        scores=np.asarray(results["mean_test_accuracy"]),
        spreads=np.asarray(results["std_test_accuracy"]),
        n_features=np.asarray(results["mean_test_n_features"]),
        best_index=int(search.best_index_),
        model=search.best_estimator_,
        seconds=time.perf_counter() - start,
    )
