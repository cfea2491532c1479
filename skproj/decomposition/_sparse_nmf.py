"""Non-negative matrix factorization with a target average Hoyer sparsity (gspNMF).

Two layers: :func:`sparse_nmf` (the alternating solver on arrays) and
:class:`SparseNMF` (a thin scikit-learn transformer with the names and API of
:class:`sklearn.decomposition.NMF`).  The projection is
:func:`skproj.projections.project_group_hoyer`.
"""

import math
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.extmath import randomized_svd, safe_sparse_dot
from sklearn.utils.validation import check_is_fitted, check_non_negative, validate_data

from skproj._blas import blas_threads_for
from skproj.decomposition._hals import add_clip_negative, extrapolate, hals_sweeps, nnls_rows
from skproj.projections import hoyer_sparsity
from skproj.projections._group_hoyer import group_hoyer_projector

__all__ = ["SparseNMF", "sparse_nmf"]

# The constrained factor's groups: the rows of H (one per component), or the
# columns of W (a component's activation over the samples).
_GROUP_AXIS = {"H": 1, "W": 0}
_EPS = np.finfo(np.float64).tiny
# Iterations over which the sparsity target rises to its value (see _sparsity_ramp);
# fewer when the other factor is fixed (transform): the same error on bench_nmf
# in three quarters of the time.
_RAMP_ITERATIONS = 40
_RAMP_ITERATIONS_FIXED = 10
# Non-negative least squares for W given H (transform): the active-set steps
# per row, at most this many per component (Lawson-Hanson needs about one).
_NNLS_MAX_ITER_PER_COMPONENT = 3
# Accelerated HALS (Gillis & Glineur 2012, their defaults): up to 1 + alpha rho
# sweeps per update, rho the cost of the products over that of a sweep; the
# sweeps stop once one changes the factor by at most delta times the first.
_ACCELERATION = 0.5     # alpha
_SWEEP_SHRINK = 0.1     # delta


# ---------------------------------------------------------------- initialization

def _nndsvd(X, n_components, variant, random_state):
    """NNDSVD start (Boutsidis & Gallopoulos 2008): the positive parts of the
    leading singular pairs; "nndsvda" fills zeros with the mean of X,
    "nndsvdar" with small random values."""
    U, S, V = randomized_svd(X, n_components, random_state=random_state)
    W = np.zeros((X.shape[0], n_components))
    H = np.zeros((n_components, X.shape[1]))
    W[:, 0] = np.sqrt(S[0]) * np.abs(U[:, 0])
    H[0] = np.sqrt(S[0]) * np.abs(V[0])
    for j in range(1, n_components):
        u, v = U[:, j], V[j]
        u_pos, u_neg = np.maximum(u, 0), np.maximum(-u, 0)
        v_pos, v_neg = np.maximum(v, 0), np.maximum(-v, 0)
        pos = np.linalg.norm(u_pos) * np.linalg.norm(v_pos)
        neg = np.linalg.norm(u_neg) * np.linalg.norm(v_neg)
        u, v, norm = (u_pos, v_pos, pos) if pos >= neg else (u_neg, v_neg, neg)
        if norm > 0:
            scale = np.sqrt(S[j] * norm)
            W[:, j] = scale * u / np.linalg.norm(u)
            H[j] = scale * v / np.linalg.norm(v)
    # Rounding leaves +-1e-17 where a singular vector is zero (a column of X that is
    # all zero, say), and the sign of that noise would decide below which entries
    # are filled: entries under a relative tolerance are zero (scikit-learn's
    # NNDSVD uses an absolute 1e-6; a relative one keeps the start equivariant to
    # the scale of X).
    tiny = np.sqrt(np.finfo(np.float64).eps) * np.sqrt(S[0])
    W[W < tiny] = 0
    H[H < tiny] = 0
    mean = X.mean() if not sp.issparse(X) else X.sum() / np.prod(X.shape)
    if variant == "nndsvda":
        W[W == 0] = mean
        H[H == 0] = mean
    elif variant == "nndsvdar":
        rng = check_random_state(random_state)
        W[W == 0] = mean / 100 * np.abs(rng.standard_normal((W == 0).sum()))
        H[H == 0] = mean / 100 * np.abs(rng.standard_normal((H == 0).sum()))
    return W, H


def _initialize(X, n_components, init, random_state):
    if init is None:
        init = "nndsvda" if n_components <= min(X.shape) else "random"
    if init == "random":
        rng = check_random_state(random_state)
        mean = X.mean() if not sp.issparse(X) else X.sum() / np.prod(X.shape)
        scale = np.sqrt(max(mean, 0) / n_components)
        return (scale * np.abs(rng.standard_normal((X.shape[0], n_components))),
                scale * np.abs(rng.standard_normal((n_components, X.shape[1]))))
    return _nndsvd(X, n_components, init, random_state)


# ---------------------------------------------------------------- solver steps

def _hals_update(W, XHt, HHt, n_sweeps=1, shrink=0.0):
    """Exact block coordinate steps on the columns of W (HALS), in place.

    Minimizes ``||X - W H||_F`` over ``W >= 0`` one column at a time, given
    ``XHt = X H^T`` and ``HHt = H H^T`` (float64; the sweeps are compiled,
    :func:`skproj.decomposition._hals.hals_sweeps`, on a Fortran-ordered W):
    up to ``n_sweeps`` sweeps, stopping after one that changes W by at most
    ``shrink`` times the first.
    """
    work = np.asfortranarray(W)     # (W itself when it is in Fortran order)
    if hals_sweeps(work, np.asfortranarray(XHt), HHt, n_sweeps, shrink) < 0:
        raise MemoryError("HALS: no memory for a residual of length n_samples.")
    if work is not W:
        W[...] = work
    return W


def _projected_gradient(F, gram, cross, sparsity, project, n_steps, dual,
                        momentum_state=None):
    """Accelerated projected gradient on ``min ||X - W H||`` over the factor F.

    ``F`` is H (``gram = W^T W``, ``cross = W^T X``) or W^T (``gram = H H^T``,
    ``cross = H X^T``); each step is a gradient step of length 1/L followed
    by the non-negative part and GSP (``project``, from
    ``group_hoyer_projector``) on the groups of F.  ``dual`` holds the last
    projection's multiplier: each projection starts its search from it
    (consecutive steps move it little), and updates it.
    ``momentum_state``, a dict, carries the extrapolated point and the
    momentum from one call to the next (one accelerated run over the calls,
    when ``gram`` and ``cross`` do not change); without it each call
    restarts the momentum.  F is not modified; the steps reuse four buffers
    (a step costs little more than its projection on small factors; the
    element-wise work is two compiled passes, ``add_clip_negative`` and
    ``extrapolate``).
    """
    lipschitz = max(np.linalg.eigvalsh(gram)[-1], _EPS)
    # The gradient step Z - (gram Z - cross) / L as one product and one sum.
    step_matrix = np.eye(len(gram)) - gram / lipschitz
    step_offset = np.ascontiguousarray(cross / lipschitz)
    step = np.empty_like(step_offset)   # the gradient step, projected into F_next
    F_next = np.empty_like(step_offset)
    previous = F
    Z, momentum = F, 1.0
    if momentum_state:
        Z, momentum = momentum_state["Z"], momentum_state["momentum"]
    if Z is F:
        Z = F.copy()                # the extrapolated point, updated in place
    for _ in range(n_steps):
        # step = max(Z - (gram Z - cross) / L, 0)
        np.matmul(step_matrix, Z, out=step)
        add_clip_negative(step, step_offset)
        dual[0] = project(step, F_next, sparsity, dual[0])
        momentum_next = (1 + math.sqrt(1 + 4 * momentum ** 2)) / 2    # (a scalar: no NumPy call)
        # Z = F_next + (momentum - 1) / momentum_next * (F_next - previous)
        extrapolate(Z, F_next, previous, (momentum - 1) / momentum_next)
        # F is the caller's: its buffer is never written.
        previous, F_next = F_next, (np.empty_like(step_offset) if previous is F else previous)
        momentum = momentum_next
    if momentum_state is not None:
        momentum_state.update(Z=Z, momentum=momentum)
    return previous


def _accelerated_sweeps(X, n_rows, n_components):
    r"""Gillis & Glineur's bound on the HALS sweeps of a factor with ``n_rows`` rows.

    :math:`1 + \lfloor \alpha \rho \rfloor`, where :math:`\rho = 1 + \lfloor
    (K + q r) / (p (r + 1)) \rfloor` estimates what the products
    :math:`XH^\top`, :math:`HH^\top` cost against one sweep (:math:`K` the
    entries of X, or its non-zeros; :math:`p` the factor's rows, :math:`q`
    X's other dimension, :math:`r` the components): repeating the cheap
    sweeps while they still move the factor gains more per second than new
    products.
    """
    n_entries = X.nnz if sp.issparse(X) else X.size
    n_other = X.shape[0] * X.shape[1] // max(n_rows, 1)
    rho = 1 + (n_entries + n_other * n_components) // max(n_rows * (n_components + 1), 1)
    return 1 + int(_ACCELERATION * rho)


def _hals_if_feasible(F, gram, cross, sparsity, project, n_sweeps):
    """Accelerated HALS on F (groups: its rows), or None when its result misses ``sparsity``.

    HALS is the exact block minimization of plain NMF: while the constraint
    is inactive it converges in fewer iterations than projected gradient,
    and a feasible result is a valid step of the constrained problem.  Up to
    ``n_sweeps`` sweeps (:func:`_accelerated_sweeps`) while each still
    changes F by more than a tenth of the first (on bench_nmf's synthetic
    row at sparsity 0.5, 240 outer iterations became 140).
    Feasible means that GSP (``project``) leaves the result unchanged
    (multiplier 0).  The search starts from that multiplier: a feasible
    input then costs the kernel one pass (on a 10 x 600 factor, 9 us
    against 28 us without the start and 61 us for ``hoyer_sparsity``).
    """
    F_hals = F.copy()
    _hals_update(F_hals.T, cross.T, gram, n_sweeps, _SWEEP_SHRINK)
    return F_hals if project(F_hals, F_hals, sparsity, 0.0) == 0.0 else None


def _sparsity_ramp(F, axis, sparsity, max_iter, n_ramp=_RAMP_ITERATIONS):
    """The target at each iteration: from F's own average sparsity up to ``sparsity``.

    Imposing the final target at once from a dense start freezes a poor
    support; raising it over the first iterations (continuation) lets the
    support settle (measured on planted data: relative error 0.37 % instead
    of 5.4 % at the same sparsity).
    """
    start = min(hoyer_sparsity(F, axis=axis)[1], sparsity)
    n_ramp = min(n_ramp, max_iter // 2)

    def target(n_iter):
        if n_iter >= n_ramp:
            return sparsity
        return start + (sparsity - start) * n_iter / n_ramp

    return target


def _squared_error(X_norm2, W, XHt, WtW, HHt):
    r""":math:`\|X - WH\|_F^2 = \|X\|^2 - 2\langle W, XH^T\rangle + \langle W^TW, HH^T\rangle`.

    From the products only (no pass over X).  The roles of the factors may be
    exchanged (:math:`X^T = H^T W^T`) and both arguments of an inner product
    transposed: the solver passes its constrained factor F (H, or W^T), the
    other factor's cross product with X (W^T X, or H X^T), F F^T and the
    other factor's Gram matrix.
    """
    return max(X_norm2 - 2 * np.vdot(W, XHt) + np.vdot(WtW, HHt), 0.0)


def _error(X, W, H):
    r""":math:`\|X - WH\|_F`, with the products computed here."""
    return np.sqrt(_squared_error(_frobenius2(X), W, safe_sparse_dot(X, H.T), W.T @ W, H @ H.T))


def _frobenius2(X):
    return float((X.data ** 2).sum()) if sp.issparse(X) else float(np.vdot(X, X))


def sparse_nmf(X, W, H, *, sparsity, sparse_factor="H", update_other=True, max_iter=200,
               tol=1e-4, n_inner=10, verbose=0):
    r"""Alternating minimization of :math:`\|X - WH\|_F` with one factor kept sparse.

    The unconstrained factor is updated by HALS (exact column-wise block
    coordinate descent); the constrained one by ``n_inner`` steps of
    accelerated projected gradient, each followed by the group sparse
    projection (GSP) of its groups to the average Hoyer sparsity
    ``sparsity`` (rows of H, or columns of W).  This is the gspNMF of [1]_,
    with one addition: the target rises linearly from the start's own
    sparsity to ``sparsity`` over the first 40 iterations (10 with
    ``update_other=False``; at most half of ``max_iter``); imposed at once on
    a dense start, it freezes a poor support.  And once the target is
    reached, while the constraint is inactive (the last projection left its
    input unchanged), the constrained factor is updated by HALS too when its
    result meets ``sparsity``, and both factors by accelerated HALS [3]_
    (several sweeps per product, while each still moves the factor): an
    inactive constraint then converges like accelerated HALS NMF (projected
    gradient converges more slowly).

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features), non-negative
    W : ndarray of shape (n_samples, n_components)
        Start, overwritten.
    H : ndarray of shape (n_components, n_features)
        Start, overwritten.
    sparsity : float in [0, 1]
        Target average Hoyer sparsity of the constrained factor's groups.
    sparse_factor : {"H", "W"}, default="H"
        The constrained factor.
    update_other : bool, default=True
        Whether the unconstrained factor is updated (False: it stays fixed,
        as in ``transform`` with ``sparse_factor="W"``).
    max_iter : int, default=200
    tol : float, default=1e-4
        Stop when the error :math:`\|X - WH\|_F` decreased by less than
        ``tol`` times the error of the start over the last 10 iterations
        (the rule of scikit-learn's multiplicative-update solver; its
        coordinate-descent solver measures the projected gradient instead,
        see :class:`SparseNMF`); tested only once the target is reached.
    n_inner : int, default=10
        Projected-gradient steps per outer iteration.
    verbose : int, default=0

    Returns
    -------
    W, H : ndarrays
    n_iter : int
    error : float
        :math:`\|X - WH\|_F`.

    References
    ----------
    .. [1] R. Ohib, N. Gillis et al., "Explicit group sparse projection with
       applications to deep learning and NMF", TMLR (2022), arXiv:1912.03896.
    .. [2] A. Cichocki, A.-H. Phan, "Fast local algorithms for large scale
       nonnegative matrix and tensor factorizations", IEICE Trans. (2009).
    .. [3] N. Gillis, F. Glineur, "Accelerated multiplicative updates and
       hierarchical ALS algorithms for nonnegative matrix factorization",
       Neural Computation 24 (2012).
    """
    X_norm2 = _frobenius2(X)
    axis = _GROUP_AXIS[sparse_factor]
    ramp = _sparsity_ramp(W if sparse_factor == "W" else H, axis, sparsity, max_iter,
                          _RAMP_ITERATIONS if update_other else _RAMP_ITERATIONS_FIXED)
    # Decreases relative to the error of the start.
    initial_error = _error(X, W, H)
    previous_error = None
    # GSP on the rows of the factor updated (H, or W^T: groups of W's columns).
    project = group_hoyer_projector(H.shape[1] if sparse_factor == "H" else W.shape[0], axis=1)
    dual = [None]    # the projections' multiplier, carried from one to the next
    momentum = {}    # with H fixed, one accelerated run across the iterations
    # In the loop the constrained factor is F (H, or W^T: its groups are rows),
    # X_F is X or X^T accordingly (X = W H, or X^T = H^T W^T); each product is
    # computed once per value of its factor: the error is measured from the
    # products of the step on F and from F F^T, which the next iteration's
    # update of the other factor reuses.  (``@`` rather than safe_sparse_dot,
    # whose checks cost a few us a call: X is an ndarray or a scipy.sparse
    # matrix, whose products with an ndarray are ndarrays.)
    X_F = X if sparse_factor == "H" else X.T
    # The cross product of the step on F reads X_F along its rows: on a C-ordered
    # copy of X^T it takes half the time, to the same bits (bench_nmf: 40 -> 22 us
    # on 600 x 100, 124 -> 87 us on digits; X^T @ W is faster on the view).  The
    # copy holds X once more (fit_transform already works on a float64 copy).
    X_F_rows = X_F if sp.issparse(X_F) else np.ascontiguousarray(X_F)
    # Accelerated HALS on either factor: at most this many sweeps per update.
    F_sweeps = _accelerated_sweeps(X, X_F.shape[1], W.shape[1])
    other_sweeps = _accelerated_sweeps(X, X_F.shape[0], W.shape[1])
    FFt = None
    hals_last = False   # whether the last update of F was HALS (constraint inactive)
    n_iter, error, error_iter = 0, None, -1
    for n_iter in range(1, max_iter + 1):
        target = ramp(n_iter)
        # The other factor's update, from F's products (F F^T kept from the
        # error check, when the last iteration made one).
        F = H if sparse_factor == "H" else W.T
        if update_other:
            FFt = F @ F.T if FFt is None else FFt
            other = W if sparse_factor == "H" else H.T     # the other factor, groups as columns
            # Accelerated (several sweeps) only while the constraint is inactive:
            # against the projected-gradient steps on F it raised the error on
            # digits (bench_nmf, sparsity 0.85: 44.1 -> 45.9 %).
            _hals_update(other, X_F @ F.T, FFt, other_sweeps if hals_last else 1, _SWEEP_SHRINK)
        other_T = W.T if sparse_factor == "H" else H     # gram and cross of the step on F
        gram, cross = other_T @ other_T.T, other_T @ X_F_rows
        # Once the target is reached, while the constraint is inactive (the last
        # projection left its input as it was), HALS updates the constrained
        # factor too, as plain NMF would, if it meets the target.  (Not during
        # the ramp: there HALS breaks the continuation when tried against the
        # ramp's target, and missed the final one in every trial on bench_nmf.)
        try_hals = dual[0] == 0.0 and target >= sparsity
        F_next = (_hals_if_feasible(F, gram, cross, sparsity, project, F_sweeps)
                  if try_hals else None)
        hals_last = F_next is not None
        if F_next is not None:
            momentum.clear()    # (transform) the accelerated run restarts from it
        else:
            F_next = _projected_gradient(F, gram, cross, target, project, n_inner, dual,
                                         None if update_other else momentum)
        if sparse_factor == "H":
            H = F_next
        else:
            W = F_next.T
        FFt = None
        if n_iter % 10 == 0 or n_iter == 1:
            FFt = F_next @ F_next.T
            error = np.sqrt(_squared_error(X_norm2, F_next, cross, FFt, gram))
            error_iter = n_iter
            if verbose:
                print(f"Epoch {n_iter} reached after {n_iter} iterations, error: {error:.6g}")
            # The error may grow while the target tightens: test after the ramp.
            if target < sparsity:
                continue
            if (previous_error is not None
                    and (previous_error - error) / max(initial_error, _EPS) < tol):
                break
            previous_error = error
    if error_iter != n_iter:
        error = _error(X, W, H)
    return np.ascontiguousarray(W), np.ascontiguousarray(H), n_iter, float(error)


def _solve_unconstrained_W(X, H, W):
    """Non-negative least squares for W given H, exactly (an active set per row).

    The solution, not an iterate: W does not depend on the start (which
    gives the first active sets, saving work), so ``fit_transform`` and
    ``transform`` agree.  On digits (1797 x 64, 16 components, H from a
    fit) from the fitted W, 0.37 s of HALS sweeps to a relative change of
    1e-7 became a few milliseconds.
    """
    W = np.ascontiguousarray(W)
    XHt = np.ascontiguousarray(safe_sparse_dot(X, H.T))
    if not nnls_rows(W, XHt, H @ H.T, _NNLS_MAX_ITER_PER_COMPONENT * H.shape[0]):
        raise MemoryError("NNLS: no memory for a work matrix of n_components^2.")
    return W


# ---------------------------------------------------------------- estimator

class SparseNMF(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    r"""Non-negative matrix factorization with a target average Hoyer sparsity.

    Finds non-negative :math:`W` (n_samples, n_components) and :math:`H`
    (n_components, n_features) minimizing :math:`\|X - WH\|_F` such that the
    groups of one factor have an *average* Hoyer sparsity of at least
    ``sparsity``,

    .. math::

        \frac{1}{r}\sum_{j=1}^{r} \operatorname{sp}(h_j) \ge s, \qquad
        \operatorname{sp}(h) = \frac{\sqrt{n} - \|h\|_1/\|h\|_2}{\sqrt{n} - 1},

    where the groups :math:`h_j` are the components (rows of ``H``,
    ``sparse_factor="H"``: sparse parts) or the columns of ``W``
    (``sparse_factor="W"``: each component used by few samples).  Each
    component finds its own sparsity; only their average is prescribed.  This
    is gspNMF [1]_: the unconstrained factor is updated by HALS, the
    constrained one by accelerated projected gradient with the group sparse
    projection :func:`~skproj.projections.project_group_hoyer` after every
    step.  Same names and API as :class:`sklearn.decomposition.NMF`
    (Frobenius loss).

    Parameters
    ----------
    n_components : int or "auto", default="auto"
        Number of components; "auto" uses n_features.
    sparsity : float in [0, 1], default=0.6
        Target average Hoyer sparsity of the constrained factor's groups.
    sparse_factor : {"H", "W"}, default="H"
        The constrained factor: "H" (``components_``) or "W" (the output of
        ``transform``).
    init : {"random", "nndsvd", "nndsvda", "nndsvdar"} or None, default=None
        Start, as in :class:`~sklearn.decomposition.NMF` (None: "nndsvda" when
        n_components <= min(n_samples, n_features), else "random").  "custom"
        is not supported.
    max_iter : int, default=200
        Maximum number of outer iterations.
    tol : float, default=1e-4
        Tolerance of the stopping condition: stop when the error
        :math:`\|X - WH\|_F` decreased by less than ``tol`` times the error
        of the start over the last 10 iterations (checked once the target is
        reached).  This is the rule of scikit-learn's "mu" solver, not of its
        default "cd" solver, which stops when the l1 norm of the projected
        gradient falls to ``tol`` times the first iteration's: the same
        ``tol`` stops the two at different points.  Measured on bench_nmf,
        the projected-gradient rule (with the gradient mapping of GSP for the
        constrained factor) gave SparseNMF a higher error than NMF where the
        constraint is inactive (0.447 % against 0.433 %, synthetic data at
        sparsity 0.5) and more iterations where it is active.
    n_inner : int, default=10
        Projected-gradient steps on the constrained factor per iteration.
    random_state : int, RandomState instance or None, default=None
        Seed of the "random" and "nndsvdar" starts and of the randomized SVD.
    verbose : int, default=0
        Print the error every 10 iterations.

    Notes
    -----
    With ``sparse_factor="W"`` the constraint couples the samples (their
    average sparsity is prescribed), so ``transform`` on a subset of the
    samples is not the subset of ``transform`` on all of them: scikit-learn's
    ``check_methods_subset_invariance`` fails for this setting, by design.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        The factor H.
    n_components_ : int
    reconstruction_err_ : float
        :math:`\|X - WH\|_F` at the end of ``fit``.
    sparsity_ : float
        Average Hoyer sparsity of the constrained factor after ``fit``.
    n_iter_ : int
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Defined only when ``X`` has string feature names.

    See Also
    --------
    sklearn.decomposition.NMF : with l1/l2 penalties instead of a sparsity target.
    skproj.projections.project_group_hoyer : the projection.

    References
    ----------
    .. [1] R. Ohib, N. Gillis, N. Dalmasso, S. Shah, V. K. Potluru, S. Plis,
       "Explicit group sparse projection with applications to deep learning
       and NMF", Transactions on Machine Learning Research (2022),
       arXiv:1912.03896.
    .. [2] P. O. Hoyer, "Non-negative matrix factorization with sparseness
       constraints", JMLR 5 (2004).

    Examples
    --------
    >>> import numpy as np
    >>> from skproj.decomposition import SparseNMF
    >>> X = np.abs(np.random.default_rng(0).standard_normal((20, 10)))
    >>> model = SparseNMF(n_components=3, sparsity=0.7, random_state=0).fit(X)
    >>> model.components_.shape
    (3, 10)
    >>> bool(model.sparsity_ >= 0.7 - 1e-6)
    True
    """

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "sparsity": [Interval(Real, 0, 1, closed="both")],
        "sparse_factor": [StrOptions({"H", "W"})],
        "init": [StrOptions({"random", "nndsvd", "nndsvda", "nndsvdar"}), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_inner": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, n_components="auto", *, sparsity=0.6, sparse_factor="H", init=None,
                 max_iter=200, tol=1e-4, n_inner=10, random_state=None, verbose=0):
        self.n_components = n_components
        self.sparsity = sparsity
        self.sparse_factor = sparse_factor
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.n_inner = n_inner
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.positive_only = True
        tags.input_tags.sparse = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    def _check_X(self, X, reset):
        X = validate_data(self, X, accept_sparse=("csr", "csc"), dtype=[np.float64, np.float32],
                          reset=reset)
        check_non_negative(X, f"{type(self).__name__} (input X)")
        return X

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X, y=None):
        """Learn the factorization and return W.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Non-negative data.
        y : Ignored

        Returns
        -------
        W : ndarray of shape (n_samples, n_components)
        """
        X = self._check_X(X, reset=True)
        dtype = X.dtype
        X = X.astype(np.float64)
        n_components = X.shape[1] if self.n_components == "auto" else self.n_components
        random_state = check_random_state(self.random_state)
        with blas_threads_for(X):
            W, H = _initialize(X, n_components, self.init, random_state)
            W, H, self.n_iter_, _ = sparse_nmf(
                X, W, H, sparsity=self.sparsity, sparse_factor=self.sparse_factor,
                max_iter=self.max_iter, tol=self.tol, n_inner=self.n_inner,
                verbose=self.verbose)
            # W as transform computes it from H, so that fit_transform(X) = transform(X):
            # its least-squares stage has one solution (exact), reached sooner from the
            # fitted W.
            W = self._solve_W(X, H, W)
            self.reconstruction_err_ = float(_error(X, W, H))
        self.components_ = H.astype(dtype)
        self.n_components_ = n_components
        self._n_features_out = n_components
        constrained = H if self.sparse_factor == "H" else W
        self.sparsity_ = hoyer_sparsity(constrained, axis=_GROUP_AXIS[self.sparse_factor])[1]
        return W.astype(dtype)

    def fit(self, X, y=None):
        """Learn the factorization of ``X``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Non-negative data.
        y : Ignored

        Returns
        -------
        self : SparseNMF
        """
        self.fit_transform(X)
        return self

    def transform(self, X):
        """W for new data, ``components_`` fixed.

        With ``sparse_factor="H"``, non-negative least squares (HALS); with
        ``sparse_factor="W"``, the constrained problem on the new samples (the
        columns of the new W reach the target average sparsity).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)

        Returns
        -------
        W : ndarray of shape (n_samples, n_components)
        """
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        dtype = X.dtype
        X = X.astype(np.float64)
        with blas_threads_for(X):
            W = self._solve_W(X, self.components_.astype(np.float64))
        return W.astype(dtype)

    def _solve_W(self, X, H, W=None):
        """W for X given H: non-negative least squares (exact; W or a constant
        start only saves work), then with ``sparse_factor="W"`` the constrained
        problem from there, unless the least-squares W meets the target (it is
        then the constrained problem's solution)."""
        if W is None:
            level = np.sqrt(_frobenius2(X) / max(np.prod(X.shape), 1) / H.shape[0])
            W = np.full((X.shape[0], H.shape[0]), level)
        W = _solve_unconstrained_W(X, H, W)
        if (self.sparse_factor == "W"
                and hoyer_sparsity(W, axis=_GROUP_AXIS["W"])[1] < self.sparsity):
            W, _, _, _ = sparse_nmf(X, W, H, sparsity=self.sparsity, sparse_factor="W",
                                    update_other=False, max_iter=self.max_iter,
                                    tol=self.tol, n_inner=self.n_inner)
        return W

    def inverse_transform(self, X):
        """The data ``W @ components_`` from a W.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_components)
            W.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
        """
        check_is_fitted(self)
        return np.asarray(X) @ self.components_
