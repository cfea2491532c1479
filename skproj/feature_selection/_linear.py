"""Multinomial logistic regression kept inside a projection ball.

Three layers, as in celer: :func:`projected_logistic_regression` (the FISTA
solver on arrays), :func:`projection_path` (the solver over a sequence of
radii with warm starts) and :class:`ProjectedLogisticRegression` (a thin
scikit-learn classifier).  The projections themselves come from
:mod:`skproj.projections`; nothing here re-implements one.
"""

import contextlib
import math
import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import Bunch, check_array
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, check_X_y, validate_data
from threadpoolctl import ThreadpoolController

from skproj._subclasses import assign_subclasses
from skproj.projections import MATRIX_CONSTRAINTS, Constraint, get_constraint

__all__ = [
    "ProjectedLogisticRegression",
    "projected_logistic_regression",
    "projection_path",
]

# Below this size of X, BLAS runs on one thread in the solver: its products
# have a handful of columns (one per class), and starting or contending for
# threads costs more than they do (measured 10x slower with two threads on a
# busy two-core machine; liblinear is single-threaded anyway).
_SINGLE_THREAD_BYTES = 32 * 2**20
_threadpool_controller = None


def _blas_threads_for(X):
    """Context limiting BLAS to one thread when ``X`` is small."""
    global _threadpool_controller
    if X.nbytes > _SINGLE_THREAD_BYTES:
        return contextlib.nullcontext()
    if _threadpool_controller is None:
        _threadpool_controller = ThreadpoolController()
    return _threadpool_controller.limit(limits=1, user_api="blas")


# Alternations between sub-class assignment and model fit when n_subclasses > 1.
_MAX_SUBCLASS_ROUNDS = 5


def _squared_spectral_norm(X, fit_intercept, n_power_iter=8):
    """Power-iteration estimate of ``||[X, 1]||_2^2`` (a lower bound).

    The start vector is fixed, so the estimate (and every fit using it) is
    deterministic; backtracking in the solver corrects the estimate from below.
    """
    n_samples, n_features = X.shape
    v = np.random.default_rng(0).standard_normal(n_features).astype(X.dtype)
    v0 = 1.0 if fit_intercept else 0.0
    estimate = 0.0
    for _ in range(n_power_iter):
        norm = np.sqrt(v @ v + v0 * v0)
        if norm == 0:
            break
        v /= norm
        v0 /= norm
        u = X @ v + v0
        v = X.T @ u
        v0 = u.sum() if fit_intercept else 0.0
        estimate = float(np.sqrt(v @ v + v0 * v0))
    return estimate


def _logits(X, W, b):
    """``X @ W.T + b``, reading only the columns of ``X`` that ``W`` uses."""
    used = np.flatnonzero(np.any(W, axis=0))
    if used.shape[0] > X.shape[1] // 4:
        return X @ W.T + b
    return X[:, used] @ W[:, used].T + b


def _loss_and_residual(Z, Y):
    """Mean multinomial log-loss of the logits ``Z`` and ``P - Y``."""
    log_norm = logsumexp(Z, axis=1, keepdims=True)
    loss = float(np.mean(log_norm[:, 0] - np.einsum("ij,ij->i", Y, Z)))
    return loss, np.exp(Z - log_norm) - Y


def projected_logistic_regression(
    X,
    Y,
    eta,
    *,
    projection="bilevel_l1inf",
    fit_intercept=True,
    coef_init=None,
    intercept_init=None,
    tol=1e-4,
    max_iter=1000,
    lipschitz=None,
):
    r"""Solve a multinomial logistic regression inside a projection ball.

    Minimizes the mean multinomial log-loss over the coefficient matrix
    :math:`W` (one row per class, one column per feature) and the intercept
    :math:`b`, with :math:`W` kept in the ball of radius :math:`\eta` of
    ``projection`` (each column -- one feature -- is a group):

    .. math::

        \min_{W, b}\; \frac{1}{n} \sum_{i=1}^{n}
        \Big( \log \sum_{c} e^{w_c^\top x_i + b_c}
        - \sum_c Y_{ic} (w_c^\top x_i + b_c) \Big)
        \quad \text{s.t.} \quad W = P_\eta(W),

    e.g. :math:`\sum_j \max_c |W_{cj}| \le \eta` for the l1,inf projections.

    The solver is FISTA [1]_ with backtracking on the step :math:`1/L`: the
    first :math:`L` is a power-iteration estimate of
    :math:`\|[X, 1]\|_2^2 / (2n)` (the log-sum-exp Hessian is bounded by
    :math:`\tfrac12 I`), doubled whenever the quadratic upper bound fails;
    the momentum restarts when the step goes against the previous one [2]_.
    The intercept is not constrained.  The bi-level projections are not
    Euclidean projections, so for them the iteration is a projected-gradient
    heuristic whose limit lies in the ball; it converges in practice.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32 or float64
        Training data (standardize it first: the radius is in the units of
        the coefficients).  Read only.
    Y : ndarray of shape (n_samples, n_outputs)
        Target class memberships, rows summing to 1 (one-hot labels, or soft
        assignments).
    eta : float >= 0
        Radius of the ball.
    projection : str or Constraint, default="bilevel_l1inf"
        A set of matrices of :mod:`skproj.projections`: one of
        :data:`~skproj.projections.MATRIX_CONSTRAINTS` or a
        :class:`~skproj.projections.Constraint` (its radius is replaced by
        ``eta``, its groups are the columns).
    fit_intercept : bool, default=True
        Whether to fit an (unconstrained) intercept.
    coef_init : ndarray of shape (n_outputs, n_features), default=None
        Warm start for the coefficients (projected before use).
    intercept_init : ndarray of shape (n_outputs,), default=None
        Warm start for the intercept.
    tol : float, default=1e-4
        Stop when no coefficient moves by more than ``tol`` times the largest
        coefficient (or intercept) in one iteration.
    max_iter : int, default=1000
        Maximum number of FISTA iterations.
    lipschitz : float, default=None
        Initial step-size constant :math:`L`; estimated from ``X`` if None.
        Pass it to reuse the estimate across calls on the same ``X``.

    Returns
    -------
    coef : ndarray of shape (n_outputs, n_features)
        The coefficients, inside the ball.
    intercept : ndarray of shape (n_outputs,)
        The intercepts (zeros if ``fit_intercept=False``).
    n_iter : int
        Number of iterations run.

    References
    ----------
    .. [1] A. Beck, M. Teboulle, "A fast iterative shrinkage-thresholding
       algorithm for linear inverse problems", SIAM J. Imaging Sci. 2 (2009).
    .. [2] B. O'Donoghue, E. Candès, "Adaptive restart for accelerated
       gradient schemes", Found. Comput. Math. 15 (2015).
    .. [3] M. Barlaud, G. Perez, J.-P. Marmorat, "A new linear time bi-level
       l1,inf projection; application to the sparsification of auto-encoders
       neural networks", arXiv:2407.16293 (2024).

    Examples
    --------
    >>> import numpy as np
    >>> from skproj.feature_selection import projected_logistic_regression
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 50))
    >>> y = (X[:, 0] + X[:, 1] > 0).astype(int)
    >>> coef, intercept, n_iter = projected_logistic_regression(X, np.eye(2)[y], 1.0)
    >>> np.flatnonzero(np.abs(coef).max(axis=0))
    array([0, 1])
    """
    with _blas_threads_for(X):
        constraint = get_constraint(projection, eta=eta, axis=0, matrix=True)
        return _fista(X, Y, eta, constraint.project, fit_intercept,
                      coef_init, intercept_init, tol, max_iter, lipschitz)


def _fista(X, Y, eta, project, fit_intercept, coef_init, intercept_init, tol, max_iter,
           lipschitz):
    n_samples, n_features = X.shape
    n_outputs = Y.shape[1]
    dtype = X.dtype
    Y = np.asarray(Y, dtype=dtype)

    if coef_init is None:
        W = np.zeros((n_outputs, n_features), dtype=dtype)
    else:
        W = project(np.asarray(coef_init, dtype=dtype))
    if intercept_init is None or not fit_intercept:
        b = np.zeros(n_outputs, dtype=dtype)
    else:
        b = np.array(intercept_init, dtype=dtype)
    if lipschitz is None:
        lipschitz = _squared_spectral_norm(X, fit_intercept) / (2 * n_samples)
    L = max(float(lipschitz), np.finfo(dtype).tiny)

    Z = _logits(X, W, b)
    V, c, ZV = W, b, Z  # the extrapolated point and its logits
    t = 1.0
    n_iter = 0
    for n_iter in range(1, max_iter + 1):
        f_V, R = _loss_and_residual(ZV, Y)
        grad_W = (R.T @ X) / n_samples
        grad_b = R.sum(axis=0) / n_samples if fit_intercept else np.zeros_like(b)
        while True:  # backtracking on L
            W_new = project(V - grad_W / L)
            b_new = c - grad_b / L
            dW, db = W_new - V, b_new - c
            Z_new = _logits(X, W_new, b_new)
            f_new, _ = _loss_and_residual(Z_new, Y)
            bound = (f_V + np.vdot(grad_W, dW) + grad_b @ db
                     + 0.5 * L * (np.vdot(dW, dW) + db @ db))
            if f_new <= bound + 1e-12 * abs(f_V) or not np.isfinite(L):
                break
            L *= 1.5

        step_W, step_b = W_new - W, b_new - b
        if np.vdot(dW, step_W) + db @ step_b < 0:
            t = 1.0  # the step goes against the momentum: restart
        t_new = 0.5 * (1.0 + math.sqrt(1.0 + 4.0 * t * t))  # Python floats keep float32
        beta = (t - 1.0) / t_new
        V = W_new + beta * step_W
        c = b_new + beta * step_b
        ZV = Z_new + beta * (Z_new - Z)  # logits are linear in (W, b)
        W, b, Z, t = W_new, b_new, Z_new, t_new

        change = max(np.abs(step_W).max(initial=0.0), np.abs(step_b).max(initial=0.0))
        scale = max(np.abs(W).max(initial=0.0), np.abs(b).max(initial=0.0))
        if change <= tol * scale or change == 0.0:
            break
    else:
        warnings.warn(
            f"projected_logistic_regression did not converge in max_iter={max_iter} "
            f"iterations (eta={eta!r}); increase max_iter or tol.",
            ConvergenceWarning,
            stacklevel=3,
        )
    # Groups left at rounding level (the projection's threshold is exact only
    # to rounding, which is visible in float32) are zero.
    norms = np.abs(W).max(axis=0, initial=0.0)
    W[:, norms <= 16 * np.finfo(dtype).eps * norms.max(initial=0.0)] = 0
    return W, b, n_iter


def _one_hot(labels, n_outputs, dtype):
    Y = np.zeros((labels.shape[0], n_outputs), dtype=dtype)
    Y[np.arange(labels.shape[0]), labels] = 1
    return Y


def _fit_constrained(X, y, n_classes, eta, *, n_subclasses, projection, fit_intercept,
                     tol, max_iter, lipschitz, coef_init=None, intercept_init=None,
                     subclasses_init=None):
    """Fit on the classes, or alternate sub-class assignment and fit.

    Returns ``coef, intercept, n_iter, subclasses`` (``subclasses`` is None
    when ``n_subclasses == 1``).
    """
    with _blas_threads_for(X):
        return _fit_constrained_threads(
            X, y, n_classes, eta, n_subclasses=n_subclasses, projection=projection,
            fit_intercept=fit_intercept, tol=tol, max_iter=max_iter,
            lipschitz=lipschitz, coef_init=coef_init, intercept_init=intercept_init,
            subclasses_init=subclasses_init)


def _fit_constrained_threads(X, y, n_classes, eta, *, n_subclasses, projection,
                             fit_intercept, tol, max_iter, lipschitz, coef_init,
                             intercept_init, subclasses_init):
    dtype = X.dtype
    if lipschitz is None:
        lipschitz = _squared_spectral_norm(X, fit_intercept) / (2 * X.shape[0])
    solve = dict(projection=projection, fit_intercept=fit_intercept, tol=tol,
                 max_iter=max_iter, lipschitz=lipschitz)
    if n_subclasses == 1:
        coef, intercept, n_iter = projected_logistic_regression(
            X, _one_hot(y, n_classes, dtype), eta, coef_init=coef_init,
            intercept_init=intercept_init, **solve)
        return coef, intercept, n_iter, None

    n_outputs = n_classes * n_subclasses
    n_iter = 0
    subclasses = subclasses_init
    if subclasses is None:
        # First the model of the classes themselves, to find where to look.
        class_coef, class_intercept, n_iter = projected_logistic_regression(
            X, _one_hot(y, n_classes, dtype), eta, **solve)
        support = np.abs(class_coef).max(axis=0, initial=0.0) > 0
        subclasses = assign_subclasses(X, y, n_classes, n_subclasses, support)
        coef_init = np.repeat(class_coef, n_subclasses, axis=0)
        intercept_init = np.repeat(class_intercept, n_subclasses)
    for _ in range(_MAX_SUBCLASS_ROUNDS):
        coef, intercept, it = projected_logistic_regression(
            X, _one_hot(subclasses, n_outputs, dtype), eta, coef_init=coef_init,
            intercept_init=intercept_init, **solve)
        n_iter += it
        new_support = np.abs(coef).max(axis=0, initial=0.0) > 0
        new_subclasses = assign_subclasses(X, y, n_classes, n_subclasses, new_support,
                                            previous=subclasses)
        if np.array_equal(new_subclasses, subclasses):
            break
        subclasses, coef_init, intercept_init = new_subclasses, coef, intercept
    return coef, intercept, n_iter, subclasses


# Radii walked by ``subclasses_at_sparsity``, from the sparsest model up
# (coefficient units of standardized features: from 2 to hundreds of
# features kept on data-64).
_SPARSITY_RADII = np.logspace(-2, 2, 41)


def subclasses_at_sparsity(X, y, n_classes, n_subclasses, n_features, *,
                           projection="bilevel_l1inf"):
    """Sub-class labels by mixture discriminant analysis at a given sparsity.

    Walks the radii of the constrained logistic regression of the classes
    (warm-started, sparsest first) up to the first that keeps at least
    ``n_features`` features, then alternates there between the Gaussian
    mixtures of the classes and the model of the sub-classes, as
    :class:`ProjectedLogisticRegression` with ``n_subclasses > 1`` does.
    The convex model makes this a fast and deterministic start for the
    sub-classes of :class:`~skproj.autoencoder.SparseSupervisedAutoencoder`.

    ``X`` should be standardized and ``y`` hold the encoded classes
    ``0 .. n_classes - 1``.  Returns the labels ``c * n_subclasses + s``.
    """
    X = np.asarray(X, dtype=np.float64)
    solve = dict(projection=projection, fit_intercept=True, tol=1e-4, max_iter=1000,
                 lipschitz=_squared_spectral_norm(X, True) / (2 * X.shape[0]))
    coef = intercept = None
    with warnings.catch_warnings():
        # Only the supports and the clusters matter here, not the last digits
        # of the coefficients: a fit stopped at max_iter is good enough.
        warnings.simplefilter("ignore", ConvergenceWarning)
        for eta in _SPARSITY_RADII:
            coef, intercept, _, _ = _fit_constrained(
                X, y, n_classes, eta, n_subclasses=1, coef_init=coef,
                intercept_init=intercept, **solve)
            if np.count_nonzero(np.abs(coef).max(axis=0, initial=0.0)) >= n_features:
                break
        return _fit_constrained(X, y, n_classes, eta, n_subclasses=n_subclasses, **solve)[3]


@validate_params(
    {
        "X": ["array-like"],
        "y": ["array-like"],
        "etas": ["array-like"],
        "projection": [StrOptions(set(MATRIX_CONSTRAINTS)), Constraint],
        "n_subclasses": [Interval(Integral, 1, None, closed="left")],
        "fit_intercept": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def projection_path(X, y, etas, *, projection="bilevel_l1inf", n_subclasses=1,
                    fit_intercept=True, tol=1e-4, max_iter=1000):
    r"""Fit the constrained logistic regression along a sequence of radii.

    The analogue of :func:`sklearn.linear_model.lasso_path` for
    :class:`ProjectedLogisticRegression`: the radii are sorted increasingly
    (from the sparsest model to the densest) and each fit starts from the
    previous solution, which lies inside the next, larger ball.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Training data, standardized.
    y : array-like of shape (n_samples,)
        Class labels.
    etas : array-like of shape (n_etas,)
        Radii, >= 0 (sorted on output).
    projection : str or Constraint, default="bilevel_l1inf"
        One of :data:`skproj.projections.MATRIX_CONSTRAINTS` or a
        :class:`~skproj.projections.Constraint` of matrices.
    n_subclasses : int, default=1
        Latent sub-classes per class; see :class:`ProjectedLogisticRegression`.
    fit_intercept : bool, default=True
        Whether to fit an unconstrained intercept.
    tol : float, default=1e-4
        Tolerance of each fit (see :func:`projected_logistic_regression`).
    max_iter : int, default=1000
        Maximum iterations of each fit.

    Returns
    -------
    path : :class:`~sklearn.utils.Bunch`
        With fields

        etas : ndarray of shape (n_etas,)
            The radii, sorted increasingly.
        coefs : ndarray of shape (n_etas, n_outputs, n_features)
            The coefficient matrix at every radius (``n_outputs`` is
            ``n_classes * n_subclasses``).
        intercepts : ndarray of shape (n_etas, n_outputs)
            The intercepts.
        supports : ndarray of bool, shape (n_etas, n_features)
            The features selected (non-zero columns) at every radius.
        n_iter : ndarray of shape (n_etas,)
            Solver iterations at every radius.
        classes : ndarray of shape (n_classes,)
            The class labels, in the order of the rows of ``coefs``.

    See Also
    --------
    ProjectedLogisticRegression : The model fitted at one radius.
    ProjectionFeatureSelector : Feature selection with this model.

    Examples
    --------
    >>> import numpy as np
    >>> from skproj.feature_selection import projection_path
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 30))
    >>> y = (X[:, 0] - X[:, 1] > 0).astype(int)
    >>> path = projection_path(X, y, [0.1, 1.0, 10.0])
    >>> path.supports.sum(axis=1)
    array([ 2,  2, 21])
    """
    X, y = check_X_y(X, y, dtype=[np.float64, np.float32])
    check_classification_targets(y)
    encoder = LabelEncoder().fit(y)
    y_encoded = encoder.transform(y)
    n_classes = encoder.classes_.shape[0]
    etas = np.sort(check_array(etas, ensure_2d=False, dtype=np.float64).ravel())
    if etas.size and etas[0] < 0:
        raise ValueError(f"etas must be >= 0, got {etas[0]!r}.")
    lipschitz = _squared_spectral_norm(X, fit_intercept) / (2 * X.shape[0])

    coefs, intercepts, n_iters = [], [], []
    coef = intercept = subclasses = None
    for eta in etas:
        coef, intercept, n_iter, subclasses = _fit_constrained(
            X, y_encoded, n_classes, eta, n_subclasses=n_subclasses,
            projection=projection, fit_intercept=fit_intercept, tol=tol,
            max_iter=max_iter, lipschitz=lipschitz, coef_init=coef,
            intercept_init=intercept, subclasses_init=subclasses)
        coefs.append(coef)
        intercepts.append(intercept)
        n_iters.append(n_iter)
    n_outputs = n_classes * n_subclasses
    coefs = np.array(coefs).reshape(len(etas), n_outputs, X.shape[1])
    return Bunch(
        etas=etas,
        coefs=coefs,
        intercepts=np.array(intercepts).reshape(len(etas), n_outputs),
        supports=np.abs(coefs).max(axis=1, initial=0.0) > 0,
        n_iter=np.array(n_iters, dtype=int),
        classes=encoder.classes_,
    )


class ProjectedLogisticRegression(ClassifierMixin, BaseEstimator):
    r"""Multinomial logistic regression kept inside a projection ball.

    Fits the coefficient matrix :math:`W` (one row per class, one column per
    feature) and intercept :math:`b` of a multinomial logistic regression,
    minimizing the mean log-loss subject to :math:`W` lying in the ball of
    radius ``eta`` of ``projection``:

    .. math::

        \min_{W, b}\; \frac{1}{n} \sum_{i=1}^{n} \Big(
        \log \sum_{c} e^{w_c^\top x_i + b_c} - w_{y_i}^\top x_i - b_{y_i} \Big)
        \quad \text{s.t.} \quad \sum_{j} \max_c |W_{cj}| \le \eta

    for the default ``"bilevel_l1inf"`` projection (each feature is a group,
    so a feature is used by all classes or by none).  The solver is FISTA
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

    Parameters
    ----------
    eta : float, default=1.0
        Radius of the ball (in the units of the coefficients, so standardize
        the features first).  Smaller is sparser.
    projection : str or Constraint, default="bilevel_l1inf"
        The set of :mod:`skproj.projections` that the coefficients are kept
        in: one of :data:`~skproj.projections.MATRIX_CONSTRAINTS` or a
        :class:`~skproj.projections.Constraint` of matrices (its radius is
        replaced by ``eta``; its groups are the features, the columns).
    n_subclasses : int, default=1
        Number of latent sub-classes per class (1: plain multinomial model).
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
    n_iter_ : int
        Solver iterations (summed over the sub-class rounds).
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
        "projection": [StrOptions(set(MATRIX_CONSTRAINTS)), Constraint],
        "n_subclasses": [Interval(Integral, 1, None, closed="left")],
        "fit_intercept": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, eta=1.0, *, projection="bilevel_l1inf", n_subclasses=1,
                 fit_intercept=True, tol=1e-4, max_iter=1000):
        self.eta = eta
        self.projection = projection
        self.n_subclasses = n_subclasses
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Fit the model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        n_classes = self.classes_.shape[0]
        if n_classes < 2:
            raise ValueError(
                "This solver needs samples of at least 2 classes in the data, but "
                f"the data contains only one class: {self.classes_[0]!r}."
            )
        coef, intercept, n_iter, _ = _fit_constrained(
            X, encoder.transform(y), n_classes, self.eta,
            n_subclasses=self.n_subclasses, projection=self.projection,
            fit_intercept=self.fit_intercept, tol=self.tol, max_iter=self.max_iter,
            lipschitz=None)
        self.coef_, self.intercept_, self.n_iter_ = coef, intercept, n_iter
        constraint = get_constraint(self.projection, eta=self.eta, axis=0, matrix=True)
        self.feature_importances_ = constraint.group_norms(coef)
        return self

    def _class_scores(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
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
