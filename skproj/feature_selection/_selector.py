"""Feature selection by a model kept inside a projection ball."""

import warnings
from numbers import Integral, Real
from operator import attrgetter

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, _fit_context, clone
from sklearn.feature_selection import SelectorMixin
from sklearn.utils._param_validation import HasMethods, Interval, RealNotInt, StrOptions
from sklearn.utils._tags import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _check_feature_names, check_is_fitted, check_scalar

from skproj._logistic import n_features_from
from skproj.feature_selection._linear import ProjectedLogisticRegression
from skproj.projections import MATRIX_CONSTRAINTS, Constraint, get_constraint

__all__ = ["ProjectionFeatureSelector"]


def _threshold_value(importances, threshold):
    """Interpret ``threshold`` as in :class:`~sklearn.feature_selection.SelectFromModel`."""
    if threshold is None:
        return 0.0
    if not isinstance(threshold, str):
        return float(threshold)
    scale, _, reference = threshold.rpartition("*")
    references = {"mean": np.mean, "median": np.median}
    if reference.strip() not in references:
        raise ValueError(
            "threshold must be a number, 'mean', 'median' or a scaled reference such "
            f"as '1.5*mean', got {threshold!r}."
        )
    try:
        scale = float(scale) if scale.strip() else 1.0
    except ValueError:
        raise ValueError(f"Cannot read the scale of threshold={threshold!r}.") from None
    return scale * float(references[reference.strip()](importances))


def _model_has(attr):
    """Whether the fitted model (or the model to be fitted) has ``attr``."""

    def check(self):
        model = self.estimator_ if hasattr(self, "estimator_") else self._base_estimator()
        return hasattr(model, attr)

    return check


class ProjectionFeatureSelector(MetaEstimatorMixin, SelectorMixin, BaseEstimator):
    r"""Select the features a model uses under an explicit sparsity constraint.

    A model is fitted with its weights kept inside the ball of radius ``eta``
    of a structured-sparsity ``projection`` whose groups are the features
    (columns of the coefficient matrix); the features whose group is not zero
    are selected.  With the default model, a multinomial logistic regression
    (:class:`ProjectedLogisticRegression`) and the bi-level l1,inf projection,
    that is

    .. math::

        \hat W = \arg\min_{W, b}\; \mathcal{L}(W, b; X, y)
        \quad \text{s.t.} \quad \sum_{j} \max_c |W_{cj}| \le \eta,
        \qquad \text{selected} = \{\, j : \max_c |\hat W_{cj}| > 0 \,\}.

    Unlike a penalty, the radius bounds the model directly: ``eta`` plays the
    role of the inverse of ``C`` in an l1-penalized model and is tuned the
    same way, e.g. by :class:`~sklearn.model_selection.GridSearchCV` (the
    selector passes ``predict`` and ``score`` through to its model, so it can
    be tuned alone as well as inside a :class:`~sklearn.pipeline.Pipeline`).

    Any estimator exposing ``coef_`` or ``feature_importances_`` after
    fitting can be used:

    - if it has an ``eta`` parameter (and ``projection``, e.g.
      :class:`ProjectedLogisticRegression` or the sparse supervised
      autoencoder), they are set from the selector and the model is trained
      under the constraint;
    - otherwise its fitted importance matrix (``coef_``, or
      ``feature_importances_`` as one row) is projected onto the ball after
      fitting, and the features that survive are selected.

    Parameters
    ----------
    estimator : object, default=None
        The model; None for ``ProjectedLogisticRegression()``.  It is cloned.
    eta : float, default=1.0
        Radius of the ball (in the units of the model's coefficients, so
        standardize the features first).  Smaller is sparser.  Ignored when
        ``n_features_to_select`` is set.
    n_features_to_select : int, float or None, default=None
        Select exactly this many features (an int), or this share of them (a
        float in (0, 1]), instead of giving ``eta``: the radius is searched.
        A model with an ``n_features_to_select`` parameter (e.g.
        :class:`ProjectedLogisticRegression`, whose search refits
        warm-started at the radius that keeps that many groups of its
        gradient point) receives it; a model without ``eta`` has its fitted
        coefficients projected at the radius that keeps exactly that many
        (:meth:`~skproj.projections.Constraint.radius_for_groups`).  Exact
        unless ties in the data forbid the count (a warning says so).
    projection : str or Constraint, default="bilevel_l1inf"
        The set of :mod:`skproj.projections` the coefficients are kept in:
        one of :data:`~skproj.projections.MATRIX_CONSTRAINTS`
        (``"bilevel_l1inf"``, ``"bilevel_l11"``, ``"bilevel_l12"``,
        ``"l1inf_ball"``, ``"l12_ball"``) or a
        :class:`~skproj.projections.Constraint` of matrices (its radius is
        replaced by ``eta``; its groups are the features, the columns).
    threshold : str or float, default=None
        Keep only the features whose importance is >= ``threshold``: a
        number, ``"mean"``, ``"median"`` or a scaled reference such as
        ``"1.5*mean"`` (of all importances, as in
        :class:`~sklearn.feature_selection.SelectFromModel`).  None keeps
        every feature the projection kept.  A feature whose group is zero is
        never selected.
    max_features : int, callable or None, default=None
        Keep at most this many features, the most important ones (ties go to
        the lower index).  A callable is called on ``X`` during ``fit``.
    importance_getter : str or callable, default="auto"
        Where the importance matrix comes from: ``"auto"`` for ``coef_`` if
        the fitted model has one, else ``feature_importances_``; an attribute
        path (e.g. ``"named_steps.clf.coef_"``); or a callable taking the
        fitted model.  1-D importances are treated as one row.

    Attributes
    ----------
    estimator_ : estimator
        The fitted clone of ``estimator``.
    coef_ : ndarray of shape (n_outputs, n_features)
        The model's importance matrix, inside the ball of radius ``eta``
        (projected after fitting when the model has no ``eta`` parameter).
    feature_importances_ : ndarray of shape (n_features,)
        Norm of every column of ``coef_``, the norm the projection constrains
        (the max norm for the l1,inf projections, l1 for ``bilevel_l11``, l2
        for the l1,2 ones).
    support_ : ndarray of bool, shape (n_features,)
        The selected features (see :meth:`get_support`).
    eta_ : float
        The radius used: ``eta``, or the one found for ``n_features_to_select``.
    threshold_ : float
        The importance threshold used (0 when ``threshold=None``).
    max_features_ : int
        The maximum number of features; only set if ``max_features`` is not
        None.
    n_iter_ : int
        Iterations of the model's solver, when it reports them.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string
        column names.

    See Also
    --------
    ProjectedLogisticRegression : The default model.
    projection_path : The selected features over a sequence of radii.
    sklearn.feature_selection.SelectFromModel : Selection by a penalized model.

    Notes
    -----
    A warning is raised when no feature is selected: ``eta`` is then too
    small for the data (or ``threshold`` too high).

    References
    ----------
    .. [1] M. Barlaud, G. Perez, J.-P. Marmorat, "A new linear time bi-level
       l1,inf projection; application to the sparsification of auto-encoders
       neural networks", arXiv:2407.16293 (2024).
    .. [2] G. Perez, L. Condat, M. Barlaud, "Near-linear time projection onto
       the l1,inf ball; application to sparse neural networks",
       arXiv:2307.09836 (2023).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.svm import SVC
    >>> from skproj import ProjectionFeatureSelector
    >>> X, y = make_classification(n_samples=200, n_features=100, n_informative=4,
    ...                            n_redundant=0, shuffle=False, class_sep=2.0,
    ...                            random_state=0)
    >>> pipe = make_pipeline(StandardScaler(), ProjectionFeatureSelector(), SVC())
    >>> etas = {"projectionfeatureselector__eta": [0.1, 0.3, 1.0, 3.0]}
    >>> search = GridSearchCV(pipe, etas).fit(X, y)
    >>> search.best_params_
    {'projectionfeatureselector__eta': 1.0}
    >>> search.best_estimator_[1].get_support().nonzero()[0]
    array([0, 1, 2, 3])
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods("fit"), None],
        "eta": [Interval(Real, 0, None, closed="left")],
        "n_features_to_select": [Interval(Integral, 1, None, closed="left"),
                                 Interval(RealNotInt, 0, 1, closed="right"), None],
        "projection": [StrOptions(set(MATRIX_CONSTRAINTS)), Constraint],
        "threshold": [Interval(Real, None, None, closed="both"), str, None],
        "max_features": [Interval(Integral, 0, None, closed="left"), callable, None],
        "importance_getter": [str, callable],
    }

    def __init__(self, estimator=None, *, eta=1.0, n_features_to_select=None,
                 projection="bilevel_l1inf",
                 threshold=None, max_features=None, importance_getter="auto"):
        self.estimator = estimator
        self.eta = eta
        self.n_features_to_select = n_features_to_select
        self.projection = projection
        self.threshold = threshold
        self.max_features = max_features
        self.importance_getter = importance_getter

    def _base_estimator(self):
        return ProjectedLogisticRegression() if self.estimator is None else self.estimator

    def _importance_matrix(self, estimator):
        getter = self.importance_getter
        if getter == "auto":
            if hasattr(estimator, "coef_"):
                importances = estimator.coef_
            elif hasattr(estimator, "feature_importances_"):
                importances = estimator.feature_importances_
            else:
                raise ValueError(
                    f"The fitted {type(estimator).__name__} has neither coef_ nor "
                    "feature_importances_; pass importance_getter."
                )
        elif callable(getter):
            importances = getter(estimator)
        else:
            importances = attrgetter(getter)(estimator)
        importances = np.asarray(importances)
        if importances.ndim == 1:
            importances = importances[np.newaxis, :]
        if importances.ndim != 2:
            raise ValueError(
                "The importances must be 1-D or 2-D (outputs x features), got shape "
                f"{importances.shape}."
            )
        if importances.dtype not in (np.float32, np.float64):
            importances = importances.astype(np.float64)
        return importances

    @_fit_context(
        # estimator is not validated yet
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y=None, **fit_params):
        """Fit the model under the constraint and select its features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,), default=None
            Target values.
        **fit_params : dict
            Passed to the model's ``fit``.

        Returns
        -------
        self : object
            Fitted selector.
        """
        if self.max_features is not None:
            max_features = (self.max_features(X) if callable(self.max_features)
                            else self.max_features)
            check_scalar(max_features, "max_features", Integral, min_val=0)
            self.max_features_ = max_features

        self.estimator_ = clone(self._base_estimator())
        params = self.estimator_.get_params(deep=False)
        constrained = "eta" in params
        if constrained:
            self.estimator_.set_params(eta=self.eta)
            if "projection" in params:
                self.estimator_.set_params(projection=self.projection)
        if self.n_features_to_select is not None and constrained:
            if "n_features_to_select" not in params:
                raise ValueError(
                    f"n_features_to_select needs a model that searches its radius (with an "
                    f"n_features_to_select parameter, e.g. ProjectedLogisticRegression) or "
                    f"one without eta; {type(self.estimator_).__name__} has eta only.")
            self.estimator_.set_params(n_features_to_select=self.n_features_to_select)
        self.estimator_.fit(X, y, **fit_params)

        if hasattr(self.estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.estimator_.feature_names_in_
        else:
            _check_feature_names(self, X, reset=True)
        if hasattr(self.estimator_, "n_iter_"):
            self.n_iter_ = self.estimator_.n_iter_

        coef = self._importance_matrix(self.estimator_)
        self.eta_ = self._radius(coef, constrained)
        constraint = get_constraint(self.projection, eta=self.eta_, axis=0, matrix=True)
        if not constrained:
            coef = constraint.project(coef)
        self.coef_ = coef
        self.feature_importances_ = constraint.group_norms(coef)
        self.threshold_ = _threshold_value(self.feature_importances_, self.threshold)

        importances = self.feature_importances_
        support = (importances > 0) & (importances >= self.threshold_)
        if self.max_features is not None:
            ranked = np.argsort(-importances, kind="stable")[: self.max_features_]
            capped = np.zeros_like(support)
            capped[ranked] = True
            support &= capped
        self.support_ = support
        if not support.any():
            warnings.warn(
                f"No feature was selected by {type(self).__name__} with eta={self.eta_!r}"
                + ("" if self.threshold is None else f" and threshold={self.threshold!r}")
                + f": the {self.projection} projection left no non-zero feature of "
                f"{type(self.estimator_).__name__}. Increase eta"
                + ("." if self.threshold is None else " or lower threshold."),
                UserWarning,
            )
        return self

    def _radius(self, coef, constrained):
        """The radius of the selection: given, found by the model, or found here."""
        if self.n_features_to_select is None:
            return self.eta
        if constrained:
            return self.estimator_.eta_
        n_features = n_features_from(self.n_features_to_select, coef.shape[1])
        constraint = get_constraint(self.projection, axis=0, matrix=True)
        n_alive = int(np.count_nonzero(constraint.support(coef)))
        if n_features > n_alive:
            warnings.warn(f"The fitted {type(self.estimator_).__name__} uses only {n_alive} "
                          f"features; fewer than n_features_to_select={n_features} are kept.",
                          UserWarning)
        return constraint.radius_for_groups(coef, min(n_features, n_alive))

    def _get_support_mask(self):
        check_is_fitted(self)
        return self.support_

    @property
    def n_features_in_(self):
        """Number of features seen during ``fit``."""
        try:
            check_is_fitted(self)
        except Exception as exc:
            raise AttributeError(
                f"{type(self).__name__} object has no n_features_in_ attribute."
            ) from exc
        return self.estimator_.n_features_in_

    @property
    def classes_(self):
        """The class labels of the fitted model."""
        return self.estimator_.classes_

    @available_if(_model_has("predict"))
    def predict(self, X, **predict_params):
        """Predict with the fitted model (on all features of ``X``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.
        **predict_params : dict
            Passed to the model's ``predict``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predictions.
        """
        check_is_fitted(self)
        return self.estimator_.predict(X, **predict_params)

    @available_if(_model_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities of the fitted model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities.
        """
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    @available_if(_model_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities of the fitted model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities.
        """
        check_is_fitted(self)
        return self.estimator_.predict_log_proba(X)

    @available_if(_model_has("decision_function"))
    def decision_function(self, X):
        """Decision function of the fitted model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            Scores.
        """
        check_is_fitted(self)
        return self.estimator_.decision_function(X)

    @available_if(_model_has("score"))
    def score(self, X, y=None, **score_params):
        """Score of the fitted model (accuracy for a classifier).

        This is the score :class:`~sklearn.model_selection.GridSearchCV` uses
        when the selector is tuned on its own.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.
        y : array-like of shape (n_samples,), default=None
            True targets.
        **score_params : dict
            Passed to the model's ``score``.

        Returns
        -------
        score : float
            The model's score.
        """
        check_is_fitted(self)
        return self.estimator_.score(X, y, **score_params)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        estimator_tags = get_tags(self._base_estimator())
        tags.input_tags.sparse = estimator_tags.input_tags.sparse
        tags.input_tags.allow_nan = estimator_tags.input_tags.allow_nan
        tags.target_tags.required = estimator_tags.target_tags.required
        # predict, predict_proba... pass through: describe them as the model does
        # (a classifier's selector is a classifier, so that cv=int stratifies)
        tags.estimator_type = estimator_tags.estimator_type
        tags.classifier_tags = estimator_tags.classifier_tags
        tags.regressor_tags = estimator_tags.regressor_tags
        return tags
