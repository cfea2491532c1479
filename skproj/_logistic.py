"""Multinomial logistic regression kept inside a projection ball: solver and path.

The solver and path layers below the estimators (as in celer):
:func:`projected_logistic_regression` (the FISTA solver on arrays),
:func:`projection_path` (the solver over a sequence of radii with warm
starts), :func:`fit_n_features` (the radius search that keeps an exact number
of features) and :func:`radius_grid` (the radii from one feature to the
unconstrained model).  The estimators (:mod:`skproj.feature_selection`) and
the sub-class start of the autoencoder (:mod:`skproj._subclasses`) build on
them.  The projections come from :mod:`skproj.projections`; nothing here
re-implements one.
"""

import math
import warnings
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import Bunch, check_array
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_X_y

from skproj._blas import blas_threads_for
from skproj._mixture import assign_subclasses
from skproj.projections import MATRIX_CONSTRAINTS, Constraint, get_constraint

__all__ = [
    "fit_n_features",
    "fit_path",
    "n_features_from",
    "projected_logistic_regression",
    "projection_path",
    "radius_grid",
]

# Alternations between sub-class assignment and model fit when n_subclasses > 1.
_MAX_SUBCLASS_ROUNDS = 5


def _squared_spectral_norm(X, fit_intercept, n_power_iter=8):
    """Power-iteration estimate of ``||[X, 1]||_2^2`` (a lower bound).

    Only products with ``X`` and ``X.T``, so a sparse ``X`` stays sparse.

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


def _step_constant(X, fit_intercept):
    """The first step-size constant of FISTA: ``||[X, 1]||_2^2 / (2 n)``."""
    return _squared_spectral_norm(X, fit_intercept) / (2 * X.shape[0])


def _logits(X, W, b):
    """``X @ W.T + b``, reading only the columns of ``X`` that ``W`` uses.

    A CSR matrix is multiplied whole: taking its columns costs a pass over it.
    """
    used = np.flatnonzero(np.any(W, axis=0))
    if used.shape[0] > X.shape[1] // 4 or (sparse.issparse(X) and X.format != "csc"):
        return X @ W.T + b
    return X[:, used] @ W[:, used].T + b


def _loss_and_residual(Z, Y):
    """Mean multinomial log-loss of the logits ``Z`` and ``P - Y``."""
    # The log-sum-exp by hand, with row maxima and sums over the few columns
    # (reductions along a short axis cost NumPy 30-100 times more: this was
    # most of an iteration on a working set).
    shift = Z[:, 0].copy()
    for column in Z.T[1:]:
        np.maximum(shift, column, out=shift)
    P = np.exp(Z - shift[:, None])
    ones = np.ones(Z.shape[1], dtype=Z.dtype)
    total = P @ ones
    P /= total[:, None]
    loss = float(np.mean(shift + np.log(total) - (Y * Z) @ ones))
    P -= Y
    return loss, P


def _coef_gradient(X, R, W, alpha):
    """Gradient in ``W`` of the mean log-loss plus ``alpha / 2 ||W||^2``.

    ``R.T @ X / n + alpha W``, from the residual ``R``.
    """
    gradient = (X.T @ R).T / X.shape[0]
    if alpha:
        gradient += alpha * W
    return gradient


def _penalty(W, alpha):
    """The ridge term ``alpha / 2 ||W||_F^2`` of the objective."""
    return 0.5 * alpha * float(np.vdot(W, W)) if alpha else 0.0


def projected_logistic_regression(
    X,
    Y,
    eta,
    *,
    projection="bilevel_l1inf",
    alpha=0.0,
    fit_intercept=True,
    coef_init=None,
    intercept_init=None,
    tol=1e-4,
    max_iter=1000,
    lipschitz=None,
):
    r"""Solve a multinomial logistic regression inside a projection ball.

    Minimizes the mean multinomial log-loss, plus an optional ridge term,
    over the coefficient matrix :math:`W` (one row per class, one column per
    feature) and the intercept :math:`b`, with :math:`W` kept in the ball of
    radius :math:`\eta` of ``projection`` (each column -- one feature -- is a
    group):

    .. math::

        \min_{W, b}\; \frac{1}{n} \sum_{i=1}^{n}
        \Big( \log \sum_{c} e^{w_c^\top x_i + b_c}
        - \sum_c Y_{ic} (w_c^\top x_i + b_c) \Big)
        + \frac{\alpha}{2} \|W\|_F^2
        \quad \text{s.t.} \quad W = P_\eta(W),

    e.g. :math:`\sum_j \max_c |W_{cj}| \le \eta` for the l1,inf projections.

    The solver is FISTA [1]_ with backtracking on the step :math:`1/L`: the
    first :math:`L` is a power-iteration estimate of
    :math:`\|[X, 1]\|_2^2 / (2n)` (the log-sum-exp Hessian is bounded by
    :math:`\tfrac12 I`) plus :math:`\alpha` (the ridge term's curvature),
    grown whenever the quadratic upper bound fails;
    the momentum restarts when the step goes against the previous one [2]_.
    The iterations run on working sets of features, as celer does for the
    Lasso [4]_: on the columns that a projected gradient step keeps, with a
    gradient over all the features every 50 iterations to let in those that
    a step would keep (a zeroed group does not change how the others are
    projected, and adds nothing to the ridge term nor to its gradient, so
    the result is the iteration's on all the features); a
    sparse model on wide or large sparse data then costs a few passes over
    ``X`` instead of two per iteration.
    The intercept is not constrained.  The bi-level projections are not
    Euclidean projections, so for them the iteration is a projected-gradient
    heuristic whose limit lies in the ball; it converges in practice.

    Parameters
    ----------
    X : ndarray or sparse matrix (CSR, CSC) of shape (n_samples, n_features)
        Training data, float32 or float64 (standardize it first: the radius
        is in the units of the coefficients).  Read only.
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
    alpha : float >= 0, default=0.0
        Strength of the ridge term :math:`\tfrac{\alpha}{2}\|W\|_F^2`
        (not on the intercept).  ``LogisticRegression(C=C)`` on ``n``
        samples has the ridge term of ``alpha = 1 / (C n)``.
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
        Initial step-size constant :math:`L` of the log-loss (``alpha`` is
        added to it); estimated from ``X`` if None.  Pass it to reuse the
        estimate across calls on the same ``X``.

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
    .. [4] M. Massias, A. Gramfort, J. Salmon, "Celer: a fast solver for the
       Lasso with dual extrapolation", ICML (2018).

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
    with blas_threads_for(X):
        constraint = get_constraint(projection, eta=eta, axis=0, matrix=True)
        return _fista(X, Y, eta, constraint.project, alpha, fit_intercept,
                      coef_init, intercept_init, tol, max_iter, lipschitz)


def _fista(X, Y, eta, project, alpha, fit_intercept, coef_init, intercept_init, tol,
           max_iter, lipschitz):
    """FISTA on working sets of features (as celer does for the Lasso).

    The iterations run on the columns of ``X`` that a projected gradient step
    from the current point keeps (and those in use), and every
    :data:`_CHECK_EVERY` iterations one gradient over all the features checks
    the rest: a solution on the working set is one on all the features when
    the projection of that step keeps no feature outside it (a zeroed group
    does not change the projection of the others).  Features it keeps join
    the set, and the solver goes on, warm-started.  A check costs one
    product with ``X.T`` and the iterations read only the working set's
    columns, which is what makes sparse models on wide (or large sparse)
    data cheap.  The step constant is that of the whole ``X``, so the
    solutions are those of the iteration on all the features.
    """
    n_features = X.shape[1]
    dtype = X.dtype
    Y = np.asarray(Y, dtype=dtype)
    if coef_init is None:
        W = np.zeros((Y.shape[1], n_features), dtype=dtype)
    else:
        W = project(np.asarray(coef_init, dtype=dtype))
    if intercept_init is None or not fit_intercept:
        b = np.zeros(Y.shape[1], dtype=dtype)
    else:
        b = np.array(intercept_init, dtype=dtype)
    if lipschitz is None:
        lipschitz = _step_constant(X, fit_intercept)
    L = max(float(lipschitz) + alpha, np.finfo(dtype).tiny)

    working_set = np.flatnonzero(_support(W))
    Z = _logits(X, W, b)
    solver, n_iter = None, 0
    while n_iter < max_iter:
        _, R = _loss_and_residual(Z, Y)
        step = W - _coef_gradient(X, R, W, alpha) / L
        wanted = _support(project(step))
        wanted[working_set] = False
        if solver is None or wanted.any():
            previous, working_set = working_set, _grown_working_set(working_set, wanted, step)
            if working_set.shape[0] > n_features // 2:
                working_set = np.arange(n_features)
            X_set = X if working_set.shape[0] == n_features else _columns(X, working_set)
            # the momentum is carried over: a restart would stop the next run early
            momentum = None if solver is None else (
                _on_all(solver.V, previous, n_features)[:, working_set], solver.c, solver.t)
            solver = _Fista(X_set, Y, project, alpha, W[:, working_set], b, L,
                            fit_intercept, momentum)
        elif solver.converged:
            break  # the solution on the working set is one on every feature
        everything = working_set.shape[0] == n_features
        n_iter += solver.run(tol, max_iter - n_iter if everything else
                             min(_CHECK_EVERY, max_iter - n_iter))
        W = _on_all(solver.W, working_set, n_features)
        b, Z, L = solver.b, solver.Z, solver.L
        if everything and (solver.converged or n_iter >= max_iter):
            break
    if solver is None or not solver.converged:
        warnings.warn(
            f"projected_logistic_regression did not converge in max_iter={max_iter} "
            f"iterations (eta={float(eta):.6g}); increase max_iter or tol.",
            ConvergenceWarning,
            stacklevel=3,
        )
    # Groups left at rounding level (the projection's threshold is exact only
    # to rounding, which is visible in float32) are zero.
    norms = np.abs(W).max(axis=0, initial=0.0)
    W[:, norms <= 16 * np.finfo(dtype).eps * norms.max(initial=0.0)] = 0
    return W, b, n_iter


def _on_all(coef, columns, n_features):
    """``coef`` (on ``columns``) as a matrix on all the features, zero elsewhere."""
    full = np.zeros((coef.shape[0], n_features), dtype=coef.dtype)
    full[:, columns] = coef
    return full


def _columns(X, columns):
    """``X[:, columns]``, as CSC when ``X`` is sparse.

    A working set is a tall, narrow matrix: CSC products loop over its few
    columns, CSR products over every row however few entries each holds
    (7-20 times slower on 100,000 x 32 at 5 % density).
    """
    X_set = X[:, columns]
    return X_set.tocsc() if sparse.issparse(X_set) else X_set


# Features a first working set holds; each check at most doubles the set.
_FIRST_WORKING_SET = 32
# Iterations on a working set between two checks of the other features.
_CHECK_EVERY = 50


def _grown_working_set(working_set, wanted, step):
    """The working set with the features ``wanted`` outside it that matter most.

    A gradient step can lie inside the ball and then keep every feature, so
    the newcomers are capped (at the set's size, as celer grows its working
    sets, and at least :data:`_FIRST_WORKING_SET`), taking the columns of
    ``step`` with the largest entries first.  With nothing wanted (no feature
    survives a step from here) the largest column still joins, so the set is
    never empty.
    """
    candidates = np.flatnonzero(wanted)
    if candidates.shape[0] == 0:
        candidates = np.setdiff1d(np.arange(step.shape[1]), working_set)
        budget = 1
    else:
        budget = max(_FIRST_WORKING_SET, working_set.shape[0])
    if candidates.shape[0] > budget:
        size = np.abs(step[:, candidates]).max(axis=0)
        candidates = candidates[np.argpartition(-size, budget - 1)[:budget]]
    return np.union1d(working_set, candidates)


class _Fista:
    """FISTA with backtracking on ``L`` and adaptive restart, on all the columns of ``X``.

    Its state (the iterate, the extrapolated point, the momentum) persists
    between calls to :meth:`run`, so the iterations can stop for a check of
    the other features and go on where they were.
    """

    def __init__(self, X, Y, project, alpha, W, b, L, fit_intercept, momentum=None):
        self.X, self.Y, self.project, self.fit_intercept = X, Y, project, fit_intercept
        self.alpha = alpha
        self.W, self.b, self.L = W, b, L
        self.Z = _logits(X, W, b)
        # the extrapolated point, its logits and the momentum
        if momentum is None:
            self.V, self.c, self.ZV, self.t = W, b, self.Z, 1.0
        else:
            self.V, self.c, self.t = momentum
            self.ZV = _logits(X, self.V, self.c)
        self.converged = False
        # The losses are only as exact as the dtype: a stricter test of the quadratic
        # bound would grow L to infinity on float32 rounding noise near the solution.
        self.slack = max(1e-12, 16 * float(np.finfo(X.dtype).eps))

    def run(self, tol, n_steps):
        """At most ``n_steps`` iterations, until no entry moves by more than ``tol``
        times the largest; returns the number of iterations run."""
        X, Y, project, alpha = self.X, self.Y, self.project, self.alpha
        W, b, Z, V, c, ZV, t, L = (self.W, self.b, self.Z, self.V, self.c, self.ZV,
                                   self.t, self.L)
        self.converged = False
        n_iter = 0
        for n_iter in range(1, n_steps + 1):
            f_V, R = _loss_and_residual(ZV, Y)
            f_V += _penalty(V, alpha)
            grad_W = _coef_gradient(X, R, V, alpha)
            grad_b = R.sum(axis=0) / X.shape[0] if self.fit_intercept else np.zeros_like(b)
            while True:  # backtracking on L
                W_new = project(V - grad_W / L)
                b_new = c - grad_b / L
                dW, db = W_new - V, b_new - c
                Z_new = _logits(X, W_new, b_new)
                f_new = _loss_and_residual(Z_new, Y)[0] + _penalty(W_new, alpha)
                bound = (f_V + np.vdot(grad_W, dW) + grad_b @ db
                         + 0.5 * L * (np.vdot(dW, dW) + db @ db))
                if f_new <= bound + self.slack * abs(f_V) or not np.isfinite(L):
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
                self.converged = True
                break
        self.W, self.b, self.Z, self.V, self.c, self.ZV, self.t, self.L = (
            W, b, Z, V, c, ZV, t, L)
        return n_iter


def _features(count):
    """``count`` with its noun: "1 feature", "2 features"."""
    return f"{count} feature" + ("" if count == 1 else "s")


def _one_hot(labels, n_outputs, dtype):
    Y = np.zeros((labels.shape[0], n_outputs), dtype=dtype)
    Y[np.arange(labels.shape[0]), labels] = 1
    return Y


def _fit_constrained(X, y, n_classes, eta, *, n_subclasses, projection, fit_intercept,
                     tol, max_iter, lipschitz, alpha=0.0, coef_init=None,
                     intercept_init=None, subclasses_init=None):
    """Fit on the classes, or alternate sub-class assignment and fit.

    Returns ``coef, intercept, n_iter, subclasses`` (``subclasses`` is None
    when ``n_subclasses == 1``).
    """
    with blas_threads_for(X):
        return _fit_constrained_threads(
            X, y, n_classes, eta, n_subclasses=n_subclasses, projection=projection,
            fit_intercept=fit_intercept, tol=tol, max_iter=max_iter,
            lipschitz=lipschitz, alpha=alpha, coef_init=coef_init, intercept_init=intercept_init,
            subclasses_init=subclasses_init)


def _fit_constrained_threads(X, y, n_classes, eta, *, n_subclasses, projection,
                             fit_intercept, tol, max_iter, lipschitz, alpha, coef_init,
                             intercept_init, subclasses_init):
    dtype = X.dtype
    if lipschitz is None:
        lipschitz = _step_constant(X, fit_intercept)
    solve = dict(projection=projection, alpha=alpha, fit_intercept=fit_intercept, tol=tol,
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
        support = _support(class_coef)
        subclasses = assign_subclasses(X, y, n_classes, n_subclasses, support)
        coef_init = np.repeat(class_coef, n_subclasses, axis=0)
        intercept_init = np.repeat(class_intercept, n_subclasses)
    for _ in range(_MAX_SUBCLASS_ROUNDS):
        coef, intercept, it = projected_logistic_regression(
            X, _one_hot(subclasses, n_outputs, dtype), eta, coef_init=coef_init,
            intercept_init=intercept_init, **solve)
        n_iter += it
        new_support = _support(coef)
        new_subclasses = assign_subclasses(X, y, n_classes, n_subclasses, new_support,
                                            previous=subclasses)
        if np.array_equal(new_subclasses, subclasses):
            break
        subclasses, coef_init, intercept_init = new_subclasses, coef, intercept
    return coef, intercept, n_iter, subclasses


def _support(coef):
    """The features (columns) that ``coef`` uses."""
    return np.any(coef != 0, axis=0)


def n_features_from(n_features_to_select, n_features):
    """The number of features asked for: an int, or a share of ``n_features`` in (0, 1]."""
    if isinstance(n_features_to_select, Integral):
        if not 1 <= n_features_to_select <= n_features:
            raise ValueError(f"n_features_to_select must be between 1 and the number of "
                             f"features ({n_features}), got {n_features_to_select}.")
        return int(n_features_to_select)
    if not 0 < n_features_to_select <= 1:
        raise ValueError("n_features_to_select must be an int >= 1 or a share in (0, 1], "
                         f"got {n_features_to_select!r}.")
    return max(1, int(round(n_features_to_select * n_features)))


def _towards_count(guess, history, n_features, max_factor=16.0):
    """The fixed-point ``guess``, or further along the count's trend if that goes further.

    After a radius change the kept coefficients take more (or less) of the
    budget, so the fixed point moves towards the answer in small steps; the
    line through the last two (log radius, log count) points, followed at
    most ``max_factor`` times further, gets there in fewer fits.
    """
    if len(history) < 2:
        return guess
    (eta0, kept0), (eta1, kept1) = history[-2:]
    if min(kept0, kept1, eta0, eta1) <= 0 or kept0 == kept1 or eta0 == eta1:
        return guess
    slope = math.log(kept1 / kept0) / math.log(eta1 / eta0)
    if slope <= 0:
        return guess
    trend = eta1 * (n_features / kept1) ** (1.0 / slope)
    trend = min(max(trend, eta1 / max_factor), eta1 * max_factor)
    return max(guess, trend) if kept1 < n_features else min(guess, trend)


# Tolerance of the fits at the guesses of the radius search, and the share of
# the asked tolerance at which the radius found is refitted.
_SEARCH_TOL = 1e-3
_POLISH_FACTOR = 1e-2


def _search_radius(X, Y, n_features, *, constraint, alpha, fit_intercept, tol, max_iter,
                   lipschitz, coef_init=None, intercept_init=None, max_rounds=30):
    r"""Fit at the radius whose solution keeps exactly ``n_features`` features.

    At a solution :math:`W` of radius :math:`\eta`, :math:`W = P_\eta(V)`
    with :math:`V = W - \nabla f(W) / L`, so the support of :math:`W` is that
    of the projection of :math:`V`: the radius that keeps ``n_features`` groups
    of :math:`V` (:meth:`~skproj.projections.Constraint.radius_for_groups`) is
    the next guess (or the trend of the counts seen so far, if it goes
    further: :func:`_towards_count`), and the fit is repeated there,
    warm-started.  The radii seen to keep too few or too many features
    bracket the answer; a guess outside the bracket is replaced by its
    geometric midpoint, so the search ends even where neither converges.
    The guesses are fitted at a coarse tolerance (only their counts matter);
    the radius that keeps ``n_features`` is refitted at ``tol / 100``, and
    the search goes on at that tolerance if the count changes.

    Returns ``coef, intercept, eta, n_iter`` (the closest count above
    ``n_features`` when ties make the exact count unreachable).
    """
    n_outputs, dtype = Y.shape[1], X.dtype
    coef = (np.zeros((n_outputs, X.shape[1]), dtype=dtype) if coef_init is None
            else np.asarray(coef_init, dtype=dtype))
    intercept = (np.zeros(n_outputs, dtype=dtype) if intercept_init is None
                 else np.asarray(intercept_init, dtype=dtype))
    too_small, too_large = 0.0, np.inf  # radii keeping fewer / more features
    best, n_iter, miss, stalled, history = None, 0, np.inf, False, []
    # Counts of fits stopped by max_iter are not those of the solutions.
    unconverged = False

    def fit(eta, coef, intercept, tol):
        return projected_logistic_regression(
            X, Y, eta, projection=constraint, alpha=alpha, fit_intercept=fit_intercept,
            coef_init=coef, intercept_init=intercept, tol=tol, max_iter=max_iter,
            lipschitz=lipschitz)

    # The guesses are fitted coarsely: only their counts steer the search.
    round_tol = max(tol, _SEARCH_TOL)
    # A warm start from a denser solution leaves features that are still
    # decaying when the change per iteration falls below ``tol``: the count is
    # checked at a tighter tolerance, so that a fit from scratch keeps it too.
    polish_tol = tol * _POLISH_FACTOR
    for _ in range(max_rounds):
        _, residual = _loss_and_residual(_logits(X, coef, intercept), Y)
        V = coef - _coef_gradient(X, residual, coef, alpha) / (lipschitz + alpha)
        n_alive = int(np.count_nonzero(constraint.support(V)))
        eta = constraint.radius_for_groups(V, min(n_features, n_alive)) if n_alive else 0.0
        eta = _towards_count(eta, history, n_features)
        if n_alive < n_features or not too_small < eta < too_large or stalled:
            eta = (2 * max(too_small, eta) if np.isinf(too_large)
                   else math.sqrt(too_small * too_large) if too_small > 0
                   else too_large / 2)
        coef, intercept, it = fit(eta, coef, intercept, round_tol)
        n_iter += it
        kept = int(np.count_nonzero(_support(coef)))
        unconverged = unconverged or it >= max_iter
        if kept == n_features and round_tol > polish_tol:
            # polish; a count that moves goes on searching at the polishing tolerance
            coef, intercept, it = fit(eta, coef, intercept, polish_tol)
            n_iter += it
            kept = int(np.count_nonzero(_support(coef)))
            round_tol = polish_tol
            unconverged = unconverged or it >= max_iter
            if kept != n_features:
                # The coarse counts were not those of converged fits (a warm start
                # can stop after one step): their bracket is forgotten.
                too_small, too_large, best, miss, history = 0.0, np.inf, None, np.inf, []
        history.append((eta, kept))
        # A guess that came no closer falls back on the bracket next round.
        stalled, miss = abs(kept - n_features) >= miss, abs(kept - n_features)
        if kept >= n_features and (best is None or kept < best[-1]):
            best = (coef, intercept, eta, kept)
        if kept == n_features:
            break
        if kept < n_features:
            too_small = max(too_small, eta)
        else:
            too_large = min(too_large, eta)
    else:
        if best is None:
            best = (coef, intercept, eta, kept)
        reason = (f"fits stopped at max_iter={max_iter} before converging: increase "
                  f"max_iter" if unconverged
                  else "ties in the data, or a count the constraint cannot reach")
        warnings.warn(
            f"No radius was found that keeps exactly {_features(n_features)} ({reason}); "
            f"the closest keeps {_features(best[-1])}.",
            UserWarning, stacklevel=3)
    return best[0], best[1], best[2], n_iter


def fit_n_features(X, y, n_classes, n_features, *, n_subclasses=1,
                   projection="bilevel_l1inf", alpha=0.0, fit_intercept=True, tol=1e-4,
                   max_iter=1000, lipschitz=None):
    """Fit the constrained model at the radius that keeps exactly ``n_features`` features.

    The radius search of :func:`_search_radius` on the model of the classes;
    with ``n_subclasses > 1`` the sub-classes are then assigned on the
    selected features (mixture discriminant analysis) and the search is
    repeated on the model of the sub-classes, warm-started, until the
    assignment is stable (at most 5 rounds).

    ``X`` should be standardized and ``y`` hold the encoded classes
    ``0 .. n_classes - 1``.  Returns ``coef, intercept, eta, n_iter,
    subclasses`` (``subclasses`` is None when ``n_subclasses == 1``).
    """
    with blas_threads_for(X):
        if lipschitz is None:
            lipschitz = _step_constant(X, fit_intercept)
        constraint = get_constraint(projection, axis=0, matrix=True)
        search = dict(constraint=constraint, alpha=alpha, fit_intercept=fit_intercept,
                      tol=tol, max_iter=max_iter, lipschitz=lipschitz)
        dtype = X.dtype
        coef, intercept, eta, n_iter = _search_radius(
            X, _one_hot(y, n_classes, dtype), n_features, **search)
        if n_subclasses == 1:
            return coef, intercept, eta, n_iter, None
        coef = np.repeat(coef, n_subclasses, axis=0)
        intercept = np.repeat(intercept, n_subclasses)
        subclasses = None
        for _ in range(_MAX_SUBCLASS_ROUNDS):
            new_subclasses = assign_subclasses(X, y, n_classes, n_subclasses, _support(coef),
                                               previous=subclasses)
            if np.array_equal(new_subclasses, subclasses):
                break
            subclasses = new_subclasses
            coef, intercept, eta, it = _search_radius(
                X, _one_hot(subclasses, n_classes * n_subclasses, dtype), n_features,
                coef_init=coef, intercept_init=intercept, **search)
            n_iter += it
        return coef, intercept, eta, n_iter, subclasses


def _separates(X, y, coef, intercept):
    """Whether the model classifies every training sample correctly."""
    return bool(np.all(np.argmax(_logits(X, coef, intercept), axis=1) == y))


# Steps of the search for the radius where the constraint stops binding: the
# grid spans at most _GROWTH ** _MAX_GROWTH_STEPS from the one-feature radius.
_GROWTH = 4.0
_MAX_GROWTH_STEPS = 10


def radius_grid(X, y, n_classes, n_etas, *, projection="bilevel_l1inf", alpha=0.0,
                fit_intercept=True, tol=1e-4, max_iter=1000, lipschitz=None):
    """Log-spaced radii from the one that keeps one feature to the unconstrained model.

    The low end is the largest radius known to keep one feature: the one
    found by :func:`fit_n_features`, or a larger radius of the growth below
    that still keeps one (the radii that keep one feature can span decades,
    and grid points among them are wasted).  The high end is the norm of the
    unconstrained solution (the radius where the constraint stops binding),
    found by fitting at radii growing 4 times, warm-started, until the
    constraint is inactive.  On data
    the model separates (e.g. more features than samples) the norm of the
    solution grows without end and the constraint always binds: the growth
    then stops once the training samples are all classified correctly with
    every feature, or as many features as samples, in use (a sparse model
    rarely needs more), and in any case at ``4 ** 10`` times the low end.
    With a ridge term (``alpha > 0``) the unconstrained solution always
    exists, and the grid ends at its norm (or at that cap).

    ``y`` holds the encoded classes.  Returns an ndarray of ``n_etas`` radii,
    increasing.
    """
    with blas_threads_for(X), warnings.catch_warnings():
        # Only where the constraint binds matters here, not the last digits.
        warnings.simplefilter("ignore", ConvergenceWarning)
        if lipschitz is None:
            lipschitz = _step_constant(X, fit_intercept)
        solve = dict(projection=projection, alpha=alpha, fit_intercept=fit_intercept,
                     tol=tol, max_iter=max_iter, lipschitz=lipschitz)
        coef, intercept, low, _, _ = fit_n_features(X, y, n_classes, 1, **solve)
        if low <= 0:
            raise ValueError("No radius keeps a feature: no feature differs between the "
                             "classes (are they all constant?); there is no grid of radii.")
        constraint = get_constraint(projection, axis=0, matrix=True)
        Y = _one_hot(y, n_classes, X.dtype)
        eta = low
        # the cap counts from the low end, which moves up while the growth still
        # keeps one feature (a one-feature radius can be 1e-7 of the useful ones)
        for _ in range(3 * _MAX_GROWTH_STEPS):
            if eta >= low * _GROWTH ** _MAX_GROWTH_STEPS * (1 - 1e-9):
                break
            eta *= _GROWTH
            coef, intercept, _ = projected_logistic_regression(
                X, Y, eta, coef_init=coef, intercept_init=intercept, **solve)
            norm = constraint.norm(coef)
            if norm < eta * (1 - 1e-3):  # inside the ball: the constraint is inactive
                eta = norm
                break
            kept = np.count_nonzero(_support(coef))
            if kept == 1:
                low = eta
            if (not alpha and (kept == X.shape[1] or kept >= X.shape[0])
                    and _separates(X, y, coef, intercept)):
                break  # the norm grows without end: no radius where it stops binding
    return np.geomspace(low, max(eta, low), n_etas)


@validate_params(
    {
        "X": ["array-like"],
        "y": ["array-like"],
        "etas": ["array-like"],
        "projection": [StrOptions(set(MATRIX_CONSTRAINTS)), Constraint],
        "n_subclasses": [Interval(Integral, 1, None, closed="left")],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def projection_path(X, y, etas, *, projection="bilevel_l1inf", n_subclasses=1, alpha=0.0,
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
    alpha : float, default=0.0
        Strength of the ridge term; see :func:`projected_logistic_regression`.
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
    X, y = check_X_y(X, y, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32])
    check_classification_targets(y)
    encoder = LabelEncoder().fit(y)
    y_encoded = encoder.transform(y)
    n_classes = encoder.classes_.shape[0]
    etas = np.sort(check_array(etas, ensure_2d=False, dtype=np.float64).ravel())
    if etas.size and etas[0] < 0:
        raise ValueError(f"etas must be >= 0, got {etas[0]!r}.")
    path = fit_path(X, y_encoded, n_classes, etas, projection=projection,
                    n_subclasses=n_subclasses, alpha=alpha, fit_intercept=fit_intercept,
                    tol=tol, max_iter=max_iter)
    path.classes = encoder.classes_
    return path


def fit_path(X, y, n_classes, etas, *, projection="bilevel_l1inf", n_subclasses=1,
             alpha=0.0, fit_intercept=True, tol=1e-4, max_iter=1000, lipschitz=None):
    """:func:`projection_path` on validated arrays: ``y`` holds the encoded classes.

    ``etas`` must be sorted increasingly.  Returns the Bunch of
    :func:`projection_path` without ``classes``.
    """
    if lipschitz is None:
        lipschitz = _step_constant(X, fit_intercept)
    coefs, intercepts, n_iters = [], [], []
    coef = intercept = subclasses = None
    for eta in etas:
        coef, intercept, n_iter, subclasses = _fit_constrained(
            X, y, n_classes, eta, n_subclasses=n_subclasses,
            projection=projection, alpha=alpha, fit_intercept=fit_intercept, tol=tol,
            max_iter=max_iter, lipschitz=lipschitz, coef_init=coef,
            intercept_init=intercept, subclasses_init=subclasses)
        coefs.append(coef)
        intercepts.append(intercept)
        n_iters.append(n_iter)
    n_outputs = n_classes * n_subclasses
    coefs = np.array(coefs).reshape(len(etas), n_outputs, X.shape[1])
    return Bunch(
        etas=np.asarray(etas, dtype=np.float64),
        coefs=coefs,
        intercepts=np.array(intercepts).reshape(len(etas), n_outputs),
        supports=np.any(coefs != 0, axis=1),
        n_iter=np.array(n_iters, dtype=int),
    )


