"""Multinomial logistic regression kept inside a projection ball: the estimator.

A thin scikit-learn classifier over the solver and path of
:mod:`skproj._logistic` (the three layers of celer: solver, path, estimator).
"""

from numbers import Integral, Real

import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from skproj._logistic import _fit_constrained, fit_n_features, n_features_from
from skproj.projections import MATRIX_CONSTRAINTS, Constraint, get_constraint

__all__ = ["ProjectedLogisticRegression"]

# Sparse input is used as is in these formats (the solver only multiplies).
_SPARSE_FORMATS = ["csr", "csc"]


def validate_classes(estimator, X, y):
    """``validate_data`` for the classifiers here: sparse input kept, labels encoded.

    Sets ``estimator.classes_`` and returns ``X`` and the encoded labels;
    fewer than two classes is an error naming the estimator.
    """
    X, y = validate_data(estimator, X, y, accept_sparse=_SPARSE_FORMATS,
                         dtype=[np.float64, np.float32])
    check_classification_targets(y)
    encoder = LabelEncoder().fit(y)
    estimator.classes_ = encoder.classes_
    if estimator.classes_.shape[0] < 2:
        raise ValueError(f"{type(estimator).__name__} needs samples of at least 2 classes, but "
                         f"the data contains only one class: {estimator.classes_[0]!r}.")
    return X, encoder.transform(y)


class ProjectedLogisticRegression(ClassifierMixin, BaseEstimator):
    r"""Multinomial logistic regression kept inside a projection ball.

    Fits the coefficient matrix :math:`W` (one row per class, one column per
    feature) and intercept :math:`b` of a multinomial logistic regression,
    minimizing the mean log-loss (plus an optional ridge term) subject to
    :math:`W` lying in the ball of radius ``eta`` of ``projection``:

    .. math::

        \min_{W, b}\; \frac{1}{n} \sum_{i=1}^{n} \Big(
        \log \sum_{c} e^{w_c^\top x_i + b_c} - w_{y_i}^\top x_i - b_{y_i} \Big)
        + \frac{\alpha}{2} \|W\|_F^2
        \quad \text{s.t.} \quad \sum_{j} \max_c |W_{cj}| \le \eta

    for the default ``"bilevel_l1inf"`` projection (each feature is a group,
    so a feature is used by all classes or by none).  The ball selects the
    features; the ridge term (``alpha > 0``) shrinks the coefficients of
    those it keeps, as the l2 penalty of
    :class:`~sklearn.linear_model.LogisticRegression` does, which the
    radius alone does not do once it stops binding.  The solver is FISTA
    with backtracking and adaptive restart (see
    :func:`projected_logistic_regression`); fits are deterministic.

    With ``n_subclasses > 1`` every class is modelled as ``n_subclasses``
    latent sub-classes, as in mixture discriminant analysis [2]_: the model
    of the classes is fitted first, then each class is split by a
    full-covariance Gaussian mixture on the selected features, the
    constrained multinomial model is fitted on the sub-classes, and the two
    steps alternate until the assignment is stable (at most 5 rounds).  A
    feature that separates the clusters *within* a class (a non-linear signal
    for the classes) is then selected too, under the same group constraint.
    Predictions sum the sub-class probabilities of each class.

    With ``n_features_to_select``, the radius is not given but searched: at a
    solution :math:`W` of radius :math:`\eta`, :math:`W = P_\eta(W - \nabla
    f(W)/L)`, so the radius that keeps k groups of the gradient point (a
    closed form, :meth:`~skproj.projections.Constraint.radius_for_groups`)
    is the next guess; the fits are warm-started and bracketed, and end at
    exactly k features unless ties in the data forbid it (a warning says so).

    Sparse input (CSR or CSC) is used as is: the solver only multiplies by
    ``X`` and ``X.T``.  Scale sparse features without centering them (e.g.
    :class:`~sklearn.preprocessing.StandardScaler` with ``with_mean=False``
    or :class:`~sklearn.preprocessing.MaxAbsScaler`), which keeps them sparse.

    Parameters
    ----------
    eta : float, default=1.0
        Radius of the ball (in the units of the coefficients, so standardize
        the features first).  Smaller is sparser.  Ignored when
        ``n_features_to_select`` is set.
    n_features_to_select : int, float or None, default=None
        Search the radius that keeps exactly this many features (an int), or
        this share of them (a float in (0, 1]), instead of using ``eta``.
    projection : str or Constraint, default="bilevel_l1inf"
        The set of :mod:`skproj.projections` that the coefficients are kept
        in: one of :data:`~skproj.projections.MATRIX_CONSTRAINTS` or a
        :class:`~skproj.projections.Constraint` of matrices (its radius is
        replaced by ``eta``; its groups are the features, the columns).
    n_subclasses : int, default=1
        Number of latent sub-classes per class (1: plain multinomial model).
    alpha : float, default=0.0
        Strength of the ridge term :math:`\tfrac{\alpha}{2}\|W\|_F^2` (the
        intercept is not penalized); 0 is the constrained model alone.  The
        ridge of ``LogisticRegression(C=C)`` fitted on ``n`` samples is
        ``alpha = 1 / (C n)``.
    fit_intercept : bool, default=True
        Whether to fit an intercept (never constrained).
    tol : float, default=1e-4
        Stop when no coefficient moves by more than ``tol`` times the largest
        one in an iteration.
    max_iter : int, default=1000
        Maximum number of solver iterations per fit.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    coef_ : ndarray of shape (n_classes * n_subclasses, n_features)
        Coefficients; row ``c * n_subclasses + s`` is sub-class ``s`` of
        class ``classes_[c]``.  Inside the ball of radius ``eta``.
    intercept_ : ndarray of shape (n_classes * n_subclasses,)
        Intercepts.
    feature_importances_ : ndarray of shape (n_features,)
        Norm of every column of ``coef_`` (the norm the projection constrains:
        the max norm for the l1,inf projections); zero for unused features.
    eta_ : float
        The radius of the fit: ``eta``, or the one found for
        ``n_features_to_select``.
    n_iter_ : int
        Solver iterations (summed over the sub-class rounds and, with
        ``n_features_to_select``, over the radius search).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string
        column names.

    See Also
    --------
    ProjectionFeatureSelector : Selects the features this model uses.
    projection_path : Fits along a sequence of radii.
    sklearn.linear_model.LogisticRegression : The l1/l2-penalized model.

    References
    ----------
    .. [1] M. Barlaud, G. Perez, J.-P. Marmorat, "A new linear time bi-level
       l1,inf projection; application to the sparsification of auto-encoders
       neural networks", arXiv:2407.16293 (2024).
    .. [2] T. Hastie, R. Tibshirani, "Discriminant analysis by Gaussian
       mixtures", J. R. Stat. Soc. B 58 (1996).
    .. [3] A. Beck, M. Teboulle, "A fast iterative shrinkage-thresholding
       algorithm for linear inverse problems", SIAM J. Imaging Sci. 2 (2009).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from skproj.feature_selection import ProjectedLogisticRegression
    >>> X, y = make_classification(n_features=50, n_informative=3,
    ...                            n_redundant=0, random_state=0)
    >>> model = ProjectedLogisticRegression(eta=0.5).fit(X, y)
    >>> int((model.feature_importances_ > 0).sum()) < 50
    True
    """

    _parameter_constraints: dict = {
        "eta": [Interval(Real, 0, None, closed="left")],
        "n_features_to_select": [Interval(Integral, 1, None, closed="left"),
                                 Interval(RealNotInt, 0, 1, closed="right"), None],
        "projection": [StrOptions(set(MATRIX_CONSTRAINTS)), Constraint],
        "n_subclasses": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, eta=1.0, *, n_features_to_select=None, projection="bilevel_l1inf",
                 n_subclasses=1, alpha=0.0, fit_intercept=True, tol=1e-4, max_iter=1000):
        self.eta = eta
        self.n_features_to_select = n_features_to_select
        self.projection = projection
        self.n_subclasses = n_subclasses
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the model.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        X, y_encoded = validate_classes(self, X, y)
        n_classes = self.classes_.shape[0]
        solve = dict(n_subclasses=self.n_subclasses, projection=self.projection,
                     alpha=self.alpha, fit_intercept=self.fit_intercept, tol=self.tol,
                     max_iter=self.max_iter)
        if self.n_features_to_select is None:
            eta = self.eta
            coef, intercept, n_iter, _ = _fit_constrained(
                X, y_encoded, n_classes, eta, lipschitz=None, **solve)
        else:
            n_features = n_features_from(self.n_features_to_select, X.shape[1])
            coef, intercept, eta, n_iter, _ = fit_n_features(
                X, y_encoded, n_classes, n_features, **solve)
        return self._set_solution(coef, intercept, eta, n_iter)

    def _set_solution(self, coef, intercept, eta, n_iter):
        """Set the fitted attributes of a solution at radius ``eta``."""
        self.coef_, self.intercept_, self.eta_, self.n_iter_ = coef, intercept, eta, n_iter
        constraint = get_constraint(self.projection, eta=eta, axis=0, matrix=True)
        self.feature_importances_ = constraint.group_norms(coef)
        return self

    @classmethod
    def _from_solution(cls, params, classes, n_features_in, coef, intercept, eta, n_iter):
        """A fitted model made from a solution of the path (for scoring it)."""
        model = cls(**{**params, "eta": eta, "n_features_to_select": None})
        model.classes_, model.n_features_in_ = classes, n_features_in
        return model._set_solution(coef, intercept, eta, n_iter)

    def _class_scores(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=_SPARSE_FORMATS,
                          dtype=[np.float64, np.float32], reset=False)
        Z = X @ self.coef_.T + self.intercept_
        if self.n_subclasses == 1:
            return Z
        Z = Z.reshape(Z.shape[0], -1, self.n_subclasses)
        return logsumexp(Z, axis=2)

    def decision_function(self, X):
        """Class scores: the logits (log-sum-exp over the sub-classes).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the score of ``classes_[1]`` minus that of
            ``classes_[0]``.
        """
        scores = self._class_scores(X)
        return scores[:, 1] - scores[:, 0] if scores.shape[1] == 2 else scores

    def predict_log_proba(self, X):
        """Log of the class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        scores = self._class_scores(X)
        return scores - logsumexp(scores, axis=1, keepdims=True)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        return np.exp(self.predict_log_proba(X))

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted labels.
        """
        scores = self._class_scores(X)
        return self.classes_[np.argmax(scores, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags
