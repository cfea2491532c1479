"""Stability selection along the path of the constrained logistic regression."""

import math
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, _fit_context
from sklearn.feature_selection import SelectorMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted, check_scalar

from skproj._logistic import fit_n_features, fit_path
from skproj.feature_selection._linear import validate_classes
from skproj.projections import MATRIX_CONSTRAINTS, Constraint

__all__ = ["ProjectionStabilitySelector"]


def _subsample_supports(X, y, n_classes, rows, etas, model_params):
    """The features kept at every radius by the path fitted on the ``rows``, and its iterations."""
    path = fit_path(X[rows], y[rows], n_classes, etas, **model_params)
    return path.supports, int(path.n_iter.sum())


def subsamples(n_samples, n_resamples, sample_fraction, complementary_pairs, random_state):
    """The row indices of every subsample, drawn up front so that they do not
    depend on how the fits are spread over workers.

    With ``complementary_pairs``, each draw splits a permutation of the rows
    into two disjoint halves (Shah and Samworth), giving ``2 * n_resamples``
    subsamples; otherwise ``n_resamples`` subsamples of
    ``floor(sample_fraction * n_samples)`` rows without replacement.
    """
    rng = check_random_state(random_state)
    if complementary_pairs:
        half = n_samples // 2
        draws = []
        for _ in range(n_resamples):
            order = rng.permutation(n_samples)
            draws += [np.sort(order[:half]), np.sort(order[half:2 * half])]
        return draws
    size = max(1, int(sample_fraction * n_samples))
    return [np.sort(rng.choice(n_samples, size, replace=False)) for _ in range(n_resamples)]


class ProjectionStabilitySelector(SelectorMixin, BaseEstimator):
    r"""Stability selection with the constrained logistic regression.

    Stability selection [1]_ fits a sparse model on many subsamples of the
    data along a grid of radii :math:`\Lambda` and keeps the features whose
    selection frequency

    .. math::

        \hat\Pi_j = \max_{\eta \in \Lambda}\; \frac{1}{B} \sum_{b=1}^{B}
        \mathbb{1}\big[\, j \in \hat S_\eta(I_b) \,\big]

    reaches ``threshold``, where :math:`\hat S_\eta(I_b)` is the set of
    features that :class:`ProjectedLogisticRegression` of radius
    :math:`\eta` uses when fitted on the subsample :math:`I_b`.  Each
    subsample is fitted along the whole grid at once, warm-started
    (:func:`projection_path`).  With ``complementary_pairs=True`` (the
    default) the subsamples come in disjoint halves :math:`I_{2b-1} \cup
    I_{2b}` of a random permutation [2]_, whose error bound holds without
    the exchangeability assumption of [1]_.

    The bound of [1]_ on the expected number of falsely selected features,
    :math:`E[V] \le q^2 / ((2\pi_{thr} - 1)\, p)` with :math:`q` the
    average number of features the subsample fits keep at the largest radius
    of :math:`\Lambda`, is reported in ``expected_false_selections_``; the
    default grid stops at the radius that keeps :math:`\sqrt{0.8\, p}`
    features on all the data, which keeps that bound near one.

    Parameters
    ----------
    etas : array-like of shape (n_etas,), default=None
        The radii :math:`\Lambda`; None computes ``n_etas`` of them,
        log-spaced from the radius that keeps one feature to the one that
        keeps ``n_features_max`` features on all the data.
    n_etas : int, default=10
        Number of radii of the computed grid.
    n_features_max : int or "sqrt", default="sqrt"
        Number of features kept at the top of the computed grid; ``"sqrt"``
        is :math:`\lceil\sqrt{0.8\, p}\,\rceil`.
    threshold : float, default=0.6
        Selection frequency at which a feature is selected, in [0, 1].
    max_features : int, callable or None, default=None
        The most features to select: those of the ``max_features`` highest
        stability scores among the ones that reach ``threshold`` (as
        :class:`~sklearn.feature_selection.SelectFromModel`'s), ties broken by
        the mean frequency over the radii (the feature that enters the path
        earlier first), then by column order.  A callable takes ``X`` and
        returns the count.  With ``threshold=0`` exactly ``max_features``
        features are selected, the most stable first.
    n_resamples : int, default=50
        Number of draws: pairs of complementary halves, or single subsamples.
    complementary_pairs : bool, default=True
        Draw complementary pairs of halves (Shah and Samworth's variant).
    sample_fraction : float, default=0.5
        Share of the samples in a subsample when ``complementary_pairs`` is
        False (always one half otherwise).
    projection : str or Constraint, default="bilevel_l1inf"
        One of :data:`~skproj.projections.MATRIX_CONSTRAINTS` or a
        :class:`~skproj.projections.Constraint` of matrices.
    n_subclasses : int, default=1
        Latent sub-classes per class; see :class:`ProjectedLogisticRegression`.
    alpha : float, default=0.0
        Strength of the model's ridge term; see
        :class:`ProjectedLogisticRegression`.
    fit_intercept : bool, default=True
        Whether to fit an intercept (never constrained).
    tol : float, default=1e-4
        Tolerance of every fit.
    max_iter : int, default=1000
        Maximum solver iterations of every fit.
    n_jobs : int, default=None
        Subsamples fitted in parallel through joblib (any backend, e.g. dask).
    random_state : int, RandomState instance or None, default=None
        Draws the subsamples; an int makes the selection reproducible, with
        any ``n_jobs``.
    verbose : int, default=0
        Verbosity of joblib over the subsamples.

    Attributes
    ----------
    etas_ : ndarray of shape (n_etas,)
        The radii, increasing.
    frequencies_ : ndarray of shape (n_etas, n_features)
        Selection frequency of every feature at every radius.
    stability_scores_ : ndarray of shape (n_features,)
        The largest frequency of every feature over the radii.
    support_ : ndarray of bool, shape (n_features,)
        The features whose score reaches ``threshold`` (the ``max_features``
        highest of them, if set).
    max_features_ : int
        The most features selected; only set if ``max_features`` is not None.
    expected_false_selections_ : float
        The bound :math:`q^2 / ((2\pi_{thr} - 1) p)` of [1]_ (infinite when
        ``threshold <= 0.5``).
    n_subsamples_ : int
        Number of subsamples fitted.
    n_iter_ : int
        Solver iterations, summed over the subsamples and the radii.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when ``X`` has string
        column names.

    See Also
    --------
    ProjectionFeatureSelectorCV : The radius chosen by cross-validation.
    projection_path : The path fitted on every subsample.

    References
    ----------
    .. [1] N. Meinshausen, P. Bühlmann, "Stability selection", J. R. Stat.
       Soc. B 72 (2010).
    .. [2] R. D. Shah, R. J. Samworth, "Variable selection with error
       control: another look at stability selection", J. R. Stat. Soc. B 75
       (2013).
    .. [3] M. Barlaud, G. Perez, J.-P. Marmorat, "A new linear time bi-level
       l1,inf projection; application to the sparsification of auto-encoders
       neural networks", arXiv:2407.16293 (2024).

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skproj.feature_selection import ProjectionStabilitySelector
    >>> X, y = make_classification(n_samples=200, n_features=40, n_informative=3,
    ...                            n_redundant=0, n_clusters_per_class=1,
    ...                            class_sep=2.0, shuffle=False, random_state=0)
    >>> X = StandardScaler().fit_transform(X)
    >>> selector = ProjectionStabilitySelector(n_resamples=10, random_state=0).fit(X, y)
    >>> selector.frequencies_.shape
    (10, 40)
    >>> bool(selector.get_support()[:3].any())
    True
    """

    _parameter_constraints: dict = {
        "etas": ["array-like", None],
        "n_etas": [Interval(Integral, 1, None, closed="left")],
        "n_features_max": [Interval(Integral, 1, None, closed="left"), StrOptions({"sqrt"})],
        "threshold": [Interval(Real, 0, 1, closed="both")],
        "max_features": [Interval(Integral, 0, None, closed="left"), callable, None],
        "n_resamples": [Interval(Integral, 1, None, closed="left")],
        "complementary_pairs": ["boolean"],
        "sample_fraction": [Interval(RealNotInt, 0, 1, closed="right")],
        "projection": [StrOptions(set(MATRIX_CONSTRAINTS)), Constraint],
        "n_subclasses": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, etas=None, *, n_etas=10, n_features_max="sqrt", threshold=0.6,
                 max_features=None, n_resamples=50, complementary_pairs=True, sample_fraction=0.5,
                 projection="bilevel_l1inf", n_subclasses=1, alpha=0.0, fit_intercept=True,
                 tol=1e-4, max_iter=1000, n_jobs=None, random_state=None, verbose=0):
        self.etas = etas
        self.n_etas = n_etas
        self.n_features_max = n_features_max
        self.threshold = threshold
        self.max_features = max_features
        self.n_resamples = n_resamples
        self.complementary_pairs = complementary_pairs
        self.sample_fraction = sample_fraction
        self.projection = projection
        self.n_subclasses = n_subclasses
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose

    def _solver_params(self):
        return dict(projection=self.projection, alpha=self.alpha,
                    fit_intercept=self.fit_intercept, tol=self.tol, max_iter=self.max_iter)

    def _radii(self, X, y, n_classes):
        if self.etas is not None:
            etas = np.sort(check_array(self.etas, ensure_2d=False, dtype=np.float64,
                                       ensure_min_samples=0, input_name="etas").ravel())
            if etas.size == 0 or etas[0] < 0:
                raise ValueError(
                    f"etas must be a non-empty array of radii >= 0, got {self.etas!r}.")
            return etas
        n_features = X.shape[1]
        top = (math.ceil(math.sqrt(0.8 * n_features)) if self.n_features_max == "sqrt"
               else self.n_features_max)
        low, high = (fit_n_features(X, y, n_classes, n_kept, **self._solver_params())[2]
                     for n_kept in (1, min(top, n_features)))
        return np.geomspace(low, max(high, low), self.n_etas)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the path on every subsample and select the stable features.

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
        n_classes = self.classes_.shape[0]
        self.etas_ = self._radii(X, y_encoded, n_classes)

        draws = subsamples(X.shape[0], self.n_resamples, self.sample_fraction,
                           self.complementary_pairs, self.random_state)
        params = {**self._solver_params(), "n_subclasses": self.n_subclasses}
        fits = Parallel(n_jobs=self.n_jobs, verbose=self.verbose)(
            delayed(_subsample_supports)(X, y_encoded, n_classes, rows, self.etas_, params)
            for rows in draws)
        supports = np.array([support for support, _ in fits])  # (draws, etas, features)
        self.n_iter_ = sum(n_iter for _, n_iter in fits)
        self.n_subsamples_ = len(draws)
        self.frequencies_ = supports.mean(axis=0)
        self.stability_scores_ = self.frequencies_.max(axis=0)
        self.support_ = self._stable_features(X)
        selected_at_top = supports[:, -1, :].sum(axis=1).mean()
        self.expected_false_selections_ = (
            selected_at_top**2 / ((2 * self.threshold - 1) * X.shape[1])
            if self.threshold > 0.5 else np.inf)
        return self

    def _stable_features(self, X):
        """The features that reach ``threshold``, the ``max_features`` most stable of them."""
        reached = self.stability_scores_ >= self.threshold
        if self.max_features is None:
            return reached
        max_features = (self.max_features(X) if callable(self.max_features)
                        else self.max_features)
        check_scalar(max_features, "max_features", Integral, min_val=0, max_val=X.shape[1])
        self.max_features_ = max_features
        # Most stable first; lexsort is stable, so equal keys keep column order.
        ranked = np.lexsort((-self.frequencies_.mean(axis=0), -self.stability_scores_))
        kept = ranked[reached[ranked]][:max_features]
        support = np.zeros_like(reached)
        support[kept] = True
        return support

    def _get_support_mask(self):
        check_is_fitted(self)
        return self.support_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.required = True
        return tags
