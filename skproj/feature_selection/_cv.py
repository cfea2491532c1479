"""Feature selection with the radius chosen by cross-validation along the path."""

from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.feature_selection import SelectorMixin
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from skproj._logistic import fit_path, radius_grid
from skproj.feature_selection._linear import (
    _SPARSE_FORMATS,
    ProjectedLogisticRegression,
    validate_classes,
)
from skproj.projections import MATRIX_CONSTRAINTS, Constraint

__all__ = ["ProjectionFeatureSelectorCV"]

# The parameters of ProjectedLogisticRegression that the CV selector shares.
_MODEL_PARAMS = ("projection", "n_subclasses", "alpha", "fit_intercept", "tol", "max_iter")


def _fold_scores(X, y, classes, train, test, etas, scorer, model_params):
    """Scores on ``test`` and numbers of features of the path fitted on ``train``."""
    path = fit_path(X[train], y[train], len(classes), etas, **model_params)
    scores = np.empty(len(etas))
    for i, (eta, coef, intercept, n_iter) in enumerate(
            zip(path.etas, path.coefs, path.intercepts, path.n_iter)):
        model = ProjectedLogisticRegression._from_solution(
            model_params, classes, X.shape[1], coef, intercept, eta, n_iter)
        scores[i] = scorer(model, X[test], classes[y[test]])
    return scores, path.supports.sum(axis=1)


def chosen_radius(scores, rule):
    """Index of the radius chosen from the fold ``scores`` (n_folds x n_etas, radii increasing).

    ``"best"``: the best mean score (the smallest radius among ties);
    ``"one_standard_error"``: the smallest radius whose mean score is within
    one standard error (standard deviation over the folds / sqrt(n_folds)) of
    the best, which prefers shorter feature lists at no significant loss.
    """
    means = scores.mean(axis=0)
    best = int(np.argmax(means))  # the first maximum: the smallest radius
    if rule == "best":
        return best
    standard_error = scores[:, best].std() / np.sqrt(scores.shape[0])
    return int(np.flatnonzero(means >= means[best] - standard_error)[0])


class ProjectionFeatureSelectorCV(SelectorMixin, ClassifierMixin, BaseEstimator):
    r"""Projection feature selection with the radius chosen by cross-validation.

    The cross-validated form of :class:`ProjectionFeatureSelector` with its
    default model, in the manner of :class:`~sklearn.linear_model.LassoCV`:
    :class:`ProjectedLogisticRegression` is fitted along a grid of radii on
    every training fold (warm-started from one radius to the next, as
    :func:`projection_path` does), scored on the held-out fold, and refitted
    on all the data at the chosen radius; the features its coefficient
    matrix uses are selected.

    Without ``etas``, the grid comes from the data: ``n_etas`` radii,
    log-spaced, from the one that keeps exactly one feature (found by the
    radius search of ``n_features_to_select``) up to the one where the
    constraint stops binding, the norm :math:`\|\hat W\|` of the unconstrained
    solution (on data the model separates, as when there are more features
    than samples, the constraint always binds: the grid then ends where the
    training samples are all classified correctly with every feature, or as
    many features as samples, in use, or at :math:`4^{10}` times its low end).

    The chosen radius maximizes the mean score over the folds, or, with
    ``rule="one_standard_error"``, is the smallest radius whose mean score is
    within one standard error of the best (the "1-SE rule" of [2]_), which
    gives shorter feature lists.

    Parameters
    ----------
    etas : array-like of shape (n_etas,), default=None
        The radii to try; None computes ``n_etas`` of them from the data.
    n_etas : int, default=20
        Number of radii of the computed grid.
    projection : str or Constraint, default="bilevel_l1inf"
        One of :data:`~skproj.projections.MATRIX_CONSTRAINTS` or a
        :class:`~skproj.projections.Constraint` of matrices.
    n_subclasses : int, default=1
        Latent sub-classes per class; see :class:`ProjectedLogisticRegression`.
    alpha : float, default=0.0
        Strength of the ridge term of the model (the same on every radius);
        see :class:`ProjectedLogisticRegression`.
    cv : int, cross-validation generator or iterable, default=None
        As in :func:`~sklearn.model_selection.cross_validate`; None is
        5-fold stratified.
    scoring : str or callable, default=None
        A scikit-learn scorer; None is accuracy.
    rule : {"best", "one_standard_error"}, default="best"
        How the radius is chosen from the scores.
    n_jobs : int, default=None
        Folds fitted in parallel through joblib (any joblib backend, e.g.
        dask's, applies).
    fit_intercept : bool, default=True
        Whether to fit an intercept (never constrained).
    tol : float, default=1e-4
        Tolerance of every fit.
    max_iter : int, default=1000
        Maximum solver iterations of every fit.
    verbose : int, default=0
        Verbosity of joblib over the folds.

    Attributes
    ----------
    eta_ : float
        The chosen radius.
    etas_ : ndarray of shape (n_etas,)
        The radii tried, increasing.
    cv_results_ : dict of ndarrays
        One entry per radius: ``"eta"``, ``"split{k}_test_score"``,
        ``"mean_test_score"``, ``"std_test_score"``, ``"rank_test_score"``
        and ``"mean_n_features"`` (the features kept, averaged over the
        folds), ready for :class:`pandas.DataFrame`.
    best_index_ : int
        Index of ``eta_`` in ``etas_``.
    n_iter_ : int
        Solver iterations of the refit.
    estimator_ : ProjectedLogisticRegression
        The model refitted on all the data at ``eta_``.
    coef_ : ndarray of shape (n_classes * n_subclasses, n_features)
        Its coefficients.
    feature_importances_ : ndarray of shape (n_features,)
        Norm of every column of ``coef_``.
    support_ : ndarray of bool, shape (n_features,)
        The selected features.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string
        column names.

    See Also
    --------
    ProjectionFeatureSelector : The selector at a given radius or number of features.
    projection_path : The path fitted on every fold.
    sklearn.linear_model.LogisticRegressionCV : The same idea for penalties.

    Notes
    -----
    Sparse input (CSR, CSC) is used without densifying; scale it without
    centering (``StandardScaler(with_mean=False)`` or ``MaxAbsScaler``).

    References
    ----------
    .. [1] M. Barlaud, G. Perez, J.-P. Marmorat, "A new linear time bi-level
       l1,inf projection; application to the sparsification of auto-encoders
       neural networks", arXiv:2407.16293 (2024).
    .. [2] T. Hastie, R. Tibshirani, J. Friedman, "The Elements of
       Statistical Learning", 2nd ed., Springer (2009), section 7.10.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skproj.feature_selection import ProjectionFeatureSelectorCV
    >>> X, y = make_classification(n_samples=200, n_features=50, n_informative=3,
    ...                            n_redundant=0, n_clusters_per_class=1,
    ...                            shuffle=False, random_state=0)
    >>> X = StandardScaler().fit_transform(X)
    >>> selector = ProjectionFeatureSelectorCV(n_etas=10).fit(X, y)
    >>> selector.etas_.shape
    (10,)
    >>> bool(selector.get_support()[:3].all())
    True
    """

    _parameter_constraints: dict = {
        "etas": ["array-like", None],
        "n_etas": [Interval(Integral, 1, None, closed="left")],
        "projection": [StrOptions(set(MATRIX_CONSTRAINTS)), Constraint],
        "n_subclasses": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "cv": ["cv_object"],
        "scoring": [str, callable, None],
        "rule": [StrOptions({"best", "one_standard_error"})],
        "n_jobs": [Integral, None],
        "fit_intercept": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "verbose": ["verbose"],
    }

    def __init__(self, etas=None, *, n_etas=20, projection="bilevel_l1inf", n_subclasses=1,
                 alpha=0.0, cv=None, scoring=None, rule="best", n_jobs=None,
                 fit_intercept=True, tol=1e-4, max_iter=1000, verbose=0):
        self.etas = etas
        self.n_etas = n_etas
        self.projection = projection
        self.n_subclasses = n_subclasses
        self.alpha = alpha
        self.cv = cv
        self.scoring = scoring
        self.rule = rule
        self.n_jobs = n_jobs
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.verbose = verbose

    def _model_params(self):
        return {name: getattr(self, name) for name in _MODEL_PARAMS}

    def _radii(self, X, y, n_classes):
        if self.etas is None:
            return radius_grid(X, y, n_classes, self.n_etas, projection=self.projection,
                               alpha=self.alpha, fit_intercept=self.fit_intercept,
                               tol=self.tol, max_iter=self.max_iter)
        etas = np.sort(check_array(self.etas, ensure_2d=False, dtype=np.float64,
                                   ensure_min_samples=0, input_name="etas").ravel())
        if etas.size == 0 or etas[0] < 0:
            raise ValueError(f"etas must be a non-empty array of radii >= 0, got {self.etas!r}.")
        return etas

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Choose the radius by cross-validation, refit there and select.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, standardized (scaled without centering if sparse).
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : object
            Fitted selector.
        """
        X, y_encoded = validate_classes(self, X, y)
        self.etas_ = self._radii(X, y_encoded, self.classes_.shape[0])

        folds = list(check_cv(self.cv, y, classifier=True).split(X, y))
        scorer = check_scoring(ProjectedLogisticRegression(), scoring=self.scoring)
        results = Parallel(n_jobs=self.n_jobs, verbose=self.verbose)(
            delayed(_fold_scores)(X, y_encoded, self.classes_, train, test, self.etas_,
                                  scorer, self._model_params())
            for train, test in folds)
        scores = np.array([fold_scores for fold_scores, _ in results])
        n_kept = np.array([kept for _, kept in results])
        self.cv_results_ = self._results(scores, n_kept)
        self.best_index_ = chosen_radius(scores, self.rule)
        self.eta_ = float(self.etas_[self.best_index_])

        self.estimator_ = ProjectedLogisticRegression(self.eta_, **self._model_params())
        self.estimator_.fit(X, y)
        self.coef_ = self.estimator_.coef_
        self.n_iter_ = self.estimator_.n_iter_
        self.feature_importances_ = self.estimator_.feature_importances_
        self.support_ = self.feature_importances_ > 0
        return self

    def _results(self, scores, n_kept):
        means = scores.mean(axis=0)
        results = {"eta": self.etas_.copy()}
        results.update({f"split{k}_test_score": fold for k, fold in enumerate(scores)})
        results["mean_test_score"] = means
        results["std_test_score"] = scores.std(axis=0)
        # rank 1 is the best; ties share the best rank, as in GridSearchCV
        results["rank_test_score"] = (np.searchsorted(np.sort(-means), -means) + 1).astype(
            np.int32)
        results["mean_n_features"] = n_kept.mean(axis=0)
        return results

    def _validated(self, X):
        """``X`` checked against the fit (names, features) as the model's input."""
        check_is_fitted(self)
        return validate_data(self, X, accept_sparse=_SPARSE_FORMATS,
                             dtype=[np.float64, np.float32], reset=False)

    def _get_support_mask(self):
        check_is_fitted(self)
        return self.support_

    def decision_function(self, X):
        """Decision function of the refitted model (on all features of ``X``).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Scores.
        """
        X = self._validated(X)
        return self.estimator_.decision_function(X)

    def predict(self, X):
        """Predict class labels with the refitted model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels.
        """
        X = self._validated(X)
        return self.estimator_.predict(X)

    def predict_proba(self, X):
        """Class probabilities of the refitted model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        X = self._validated(X)
        return self.estimator_.predict_proba(X)

    def predict_log_proba(self, X):
        """Log class probabilities of the refitted model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        X = self._validated(X)
        return self.estimator_.predict_log_proba(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
