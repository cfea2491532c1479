"""Projections of matrices whose groups are columns (``axis=0``) or rows (``axis=1``)."""

import functools

import numpy as np

from skproj.projections import _bilevel, _l1inf, _torch_backend
from skproj.projections._arrays import finite_and_non_negative, matrix_call
from skproj.projections._l1 import Status
from skproj.projections._validation import (
    as_numpy_array, check_axis, check_device_tensor, check_radius, radius_zero,
    raise_for_status, run_kernel, run_projection,
)

__all__ = [
    "group_norms", "l1inf_norm", "l11_norm", "l12_norm",
    "bilevel_l1inf", "bilevel_l11", "bilevel_l12", "project_l12_ball",
    "project_l1inf_ball",
]

_NORM_KINDS = {
    "linf": _bilevel.NormKind.NORM_MAX,
    "l1": _bilevel.NormKind.NORM_L1,
    "l2": _bilevel.NormKind.NORM_L2,
}
# The bi-level kernels' entries for a CPU tensor's memory, by inner norm.
_BILEVEL_AT = {norm: functools.partial(_bilevel.at_addresses, int(kind))
               for norm, kind in _NORM_KINDS.items()}


def _oriented(y, x, axis):
    """Views of ``y`` and ``x`` with rows contiguous when possible, and the group flag.

    ``axis`` is the axis the inner norm runs along: with ``axis=0`` the groups
    are the columns.  A Fortran-ordered matrix is handed to the kernels
    transposed (a free view), so that they always stream along rows.
    """
    groups_are_rows = axis == 1
    if y.flags.f_contiguous and not y.flags.c_contiguous:
        return y.T, x.T, not groups_are_rows
    return y, x, groups_are_rows


def _run_matrix_kernel(kernel, y, out, eta, axis, torch_compute, extra=False,
                       at_addresses=None, **options):
    """Validate and run a bi-level-style kernel ``kernel(y, x, eta, rows, radii)``.

    ``extra``: also return the kernel's extras (its threshold and the radii;
    a tensor's as tensors, 2 us of a 10 us call on a 32 x 64 CPU tensor, so
    only for a caller that wants them); else None in their place.
    ``at_addresses(y_address, x_address, n_rows, n_cols, single, eta, rows,
    radii)``: the kernel's entry for the memory of the common call, which
    ``_arrays.matrix_call`` checks and runs in C.  ``options``: keywords
    for both the kernel and ``at_addresses`` (``run_kernel``'s).  The
    bi-level projections try ``matrix_call`` themselves and come here
    without ``at_addresses`` where it returned None: this function's frame,
    its keywords and the caller's lambda took 0.26 of the 0.78 us a call of
    ``bilevel_l12`` on a 4 x 16 float32 array (issue 14, the Zen 5).
    """
    if at_addresses is not None and options:
        at_addresses = functools.partial(at_addresses, **options)
    if at_addresses is not None:
        called = matrix_call(at_addresses, y, out, eta, axis, extra)
        if called is not None:
            result, returned, per_group = called
            if not extra:
                return result, None
            extras = returned[1], per_group
            return result, (_torch_backend.to_tensor_like(extras, y)
                            if type(y) is not np.ndarray else extras)
    eta = check_radius(eta)
    axis = check_axis(axis)

    def compute(y_np, x_np):
        y_view, x_view, groups_are_rows = _oriented(y_np, x_np, axis)
        radii = np.zeros(y_np.shape[1 - axis])
        if eta == 0:
            radius_zero(y_np, x_np)
            return (0.0, radii) if extra else None
        result = run_kernel(kernel, y_view, x_view, eta, groups_are_rows, radii, **options)
        return (result[1], radii) if extra else None

    def empty_result(y_any):
        return (0.0, np.zeros(y_any.shape[1 - axis])) if extra else None

    return run_projection(y, out, compute, lambda t: torch_compute(t, eta, axis),
                          ndim=2, empty_result=empty_result)


def group_norms(Y, norm="l2", *, axis=0):
    r"""Norm of every group of a matrix.

    With ``axis=0`` (default) the groups are the columns ``y_j`` and the result
    is :math:`(\|y_1\|, \dots, \|y_m\|)`; with ``axis=1`` the rows.

    Parameters
    ----------
    Y : array-like or torch.Tensor of shape (n, m), float32 or float64
        The matrix.
    norm : {"l2", "l1", "linf"}, default="l2"
        The norm inside each group.
    axis : {0, 1}, default=0
        Axis the norm runs along: 0 for one norm per column, 1 per row.

    Returns
    -------
    norms : ndarray of shape (m,) or (n,), float64
        (A tensor on ``Y``'s device for tensor input.)

    Examples
    --------
    >>> import numpy as np
    >>> from skproj.projections import group_norms
    >>> group_norms(np.array([[3.0, 1.0], [-4.0, 0.0]]), "linf")
    array([4., 1.])
    """
    if norm not in _NORM_KINDS:
        raise ValueError(f"norm must be one of {sorted(_NORM_KINDS)}, got {norm!r}.")
    axis = check_axis(axis)
    if _torch_backend.is_tensor(Y) and Y.device.type != "cpu":
        check_device_tensor(Y, ndim=2)
        return _torch_backend.group_norms(Y.detach(), norm, axis)
    tensor = Y if _torch_backend.is_tensor(Y) else None
    Y = as_numpy_array(_torch_backend.numpy_values(Y) if tensor is not None else Y, "Y",
                       ndim=2)
    norms = np.zeros(Y.shape[1 - axis])
    if Y.size:
        y_view, _, groups_are_rows = _oriented(Y, Y, axis)
        if not _bilevel.group_norms(y_view, norms, _NORM_KINDS[norm], groups_are_rows):
            if not np.isfinite(Y).all():
                raise_for_status(Status.STATUS_NONFINITE, "Y")
            # A sum overflowed (entries beyond ~1e154): norms are homogeneous.
            largest = np.abs(Y).max()
            _bilevel.group_norms(y_view / largest, norms, _NORM_KINDS[norm], groups_are_rows)
            norms *= largest
    return _torch_backend.to_tensor_like(norms, tensor) if tensor is not None else norms


def l1inf_norm(Y, *, axis=0):
    r"""The l1,inf norm :math:`\sum_j \max_i |y_{ij}|` (groups along ``axis``).

    Use it to pick a radius relative to the data: ``eta = 0.1 * l1inf_norm(Y)``.

    Parameters
    ----------
    Y : array-like or torch.Tensor of shape (n, m)
    axis : {0, 1}, default=0
        Axis the inner (max) norm runs along.

    Returns
    -------
    norm : float
    """
    return float(group_norms(Y, "linf", axis=axis).sum())


def l11_norm(Y, *, axis=0):
    r"""The l1,1 norm :math:`\sum_j \sum_i |y_{ij}|` (the entry-wise l1 norm).

    Parameters
    ----------
    Y : array-like or torch.Tensor of shape (n, m)
    axis : {0, 1}, default=0
        Kept for symmetry with the other group norms (the value does not depend on it).

    Returns
    -------
    norm : float
    """
    return float(group_norms(Y, "l1", axis=axis).sum())


def l12_norm(Y, *, axis=0):
    r"""The l1,2 norm :math:`\sum_j \|y_j\|_2` (groups along ``axis``).

    Parameters
    ----------
    Y : array-like or torch.Tensor of shape (n, m)
    axis : {0, 1}, default=0
        Axis the inner (l2) norm runs along.

    Returns
    -------
    norm : float
    """
    return float(group_norms(Y, "l2", axis=axis).sum())


_MATRIX_PARAMETERS = """
    Parameters
    ----------
    Y : array-like or torch.Tensor of shape (n, m), float32 or float64
        The matrix to project, in any memory layout.
    eta : float
        Radius, ``eta >= 0``.
    axis : {0, 1}, default=0
        Axis the inner norm runs along: with 0 each column is a group (the
        input-feature columns of a ``torch.nn.Linear`` weight), with 1 each row.
    out : ndarray or torch.Tensor, optional
        Array like ``Y`` receiving the result; may be ``Y`` itself."""

_MATRIX_RETURNS = """
    Returns
    -------
    X : ndarray or torch.Tensor
        The projection, of the same kind, shape, dtype and device as ``Y``;
        ``Y`` unchanged (bit for bit) when it already lies in the ball."""

_MATRIX_RAISES = """
    Raises
    ------
    TypeError
        If ``Y`` is not float32 or float64.
    ValueError
        If ``Y`` is not 2-D or holds NaN or infinity, ``eta`` is negative or
        not finite, ``axis`` is out of range or ``out`` does not match ``Y``."""

_BILEVEL_REFERENCE = """
    References
    ----------
    .. [1] M. Barlaud, G. Perez, J.-P. Marmorat, "A new linear time bi-level
       l1,inf projection; application to the sparsification of auto-encoders
       neural networks", arXiv:2407.16293 (2024)."""


# (the kernels' halves of a large matrix: run_halves in _l1.pxd)
_HALVES = """the second on a thread of its own where the process may run on two
    CPUs (on one where ``OMP_NUM_THREADS`` is 1 at import, as joblib sets it
    in its workers, or within ``threadpoolctl.threadpool_limits(limits=1)``).
    Each half computes the same on one thread or two, so the result does not
    depend on the threads."""


def _document(function):
    function.__doc__ = (function.__doc__
                        .replace("{halves}", _HALVES)
                        .replace("{parameters}", _MATRIX_PARAMETERS + _MATRIX_RETURNS
                                 + _MATRIX_RAISES)
                        .replace("{parameters_only}", _MATRIX_PARAMETERS)
                        .replace("{raises}", _MATRIX_RAISES)
                        .replace("{bilevel_reference}", _BILEVEL_REFERENCE))
    return function


@_document
def bilevel_l1inf(Y, eta, *, axis=0, out=None):
    r"""Bi-level l1,inf projection: l1 ball on the group maxima, then clip.

    With groups :math:`y_j` (columns for ``axis=0``):

    .. math::

        t_j = \|y_j\|_\infty, \quad u = P_{\ell_1}(t, \eta), \quad
        x_j = \operatorname{sign}(y_j) \min(|y_j|, u_j).

    The result has :math:`\|X\|_{1,\infty} \le \eta` and satisfies the identity
    :math:`\|Y - X\|_{1,\infty} + \|X\|_{1,\infty} = \|Y\|_{1,\infty}`.  It is
    not the Euclidean projection onto the l1,inf ball (see
    :func:`project_l1inf_ball`): at the same radius it zeroes many more groups,
    which is what structured feature selection wants.  O(nm): one read pass,
    an l1 projection of m values, one write pass.
{parameters}

    Notes
    -----
    A matrix of 16 MiB or more (with 512 column groups or 32 row groups at
    least) is read and written in two halves of its groups, {halves}

    See Also
    --------
    project_l1inf_ball : the exact Euclidean projection onto the same ball.
    l1inf_norm : the norm, to choose ``eta`` relative to the data.
{bilevel_reference}

    Examples
    --------
    >>> import numpy as np
    >>> from skproj.projections import bilevel_l1inf
    >>> bilevel_l1inf(np.array([[3.0, 1.0], [-2.0, 0.5]]), 1.0)
    array([[ 1.,  0.],
           [-1.,  0.]])
    """
    called = matrix_call(_BILEVEL_AT["linf"], Y, out, eta, axis)
    if called is not None:   # (else the general way: see _run_matrix_kernel)
        return called[0]
    return _run_matrix_kernel(_bilevel.bilevel_l1inf, Y, out, eta, axis,
                              lambda t, e, a: (_torch_backend.bilevel_l1inf(t, e, a), None))[0]


@_document
def bilevel_l11(Y, eta, *, axis=0, out=None):
    r"""Bi-level l1,1 projection: l1 ball on the group l1 norms, then per group.

    .. math::

        t_j = \|y_j\|_1, \quad u = P_{\ell_1}(t, \eta), \quad
        x_j = P_{\ell_1}(y_j, u_j),

    each group soft-thresholded (signs kept) to its new l1 norm.  Satisfies
    :math:`\|Y - X\|_{1,1} + \|X\|_{1,1} = \|Y\|_{1,1}` and zeroes whole groups
    as well as entries inside the kept groups.
{parameters}

    Notes
    -----
    Each kept group needs its own l1 threshold, found by passes over the
    group in cache: the passes, more than the memory, bound this projection
    on large matrices.  A matrix of 16 MiB or more (with 512 column groups
    or 32 row groups at least) is therefore projected in two halves of its
    groups, {halves}
{bilevel_reference}

    Examples
    --------
    >>> import numpy as np
    >>> from skproj.projections import bilevel_l11
    >>> bilevel_l11(np.array([[3.0, 0.5], [-1.0, 0.5]]), 2.0)
    array([[ 2.,  0.],
           [-0.,  0.]])
    """
    called = matrix_call(_BILEVEL_AT["l1"], Y, out, eta, axis)
    if called is not None:   # (else the general way: see _run_matrix_kernel)
        return called[0]
    return _run_matrix_kernel(_bilevel.bilevel_l11, Y, out, eta, axis,
                              lambda t, e, a: (_torch_backend.bilevel_l11(t, e, a), None))[0]


@_document
def bilevel_l12(Y, eta, *, axis=0, out=None):
    r"""Bi-level l1,2 projection: l1 ball on the group l2 norms, then rescale.

    .. math::

        t_j = \|y_j\|_2, \quad u = P_{\ell_1}(t, \eta), \quad
        x_j = \frac{u_j}{t_j} y_j .

    This is exactly the Euclidean projection onto the l1,2 ball
    :math:`\{X : \sum_j \|x_j\|_2 \le \eta\}` (group-lasso ball), so
    :func:`project_l12_ball` is the same function.
{parameters}

    Notes
    -----
    A matrix of 16 MiB or more (with 512 column groups or 32 row groups at
    least) is read and written in two halves of its groups, {halves}
{bilevel_reference}

    Examples
    --------
    >>> import numpy as np
    >>> from skproj.projections import bilevel_l12
    >>> bilevel_l12(np.array([[3.0, 0.0], [4.0, 1.0]]), 3.0)
    array([[1.8, 0. ],
           [2.4, 0. ]])
    """
    called = matrix_call(_BILEVEL_AT["l2"], Y, out, eta, axis)
    if called is not None:   # (else the general way: see _run_matrix_kernel)
        return called[0]
    return _run_matrix_kernel(_bilevel.bilevel_l12, Y, out, eta, axis,
                              lambda t, e, a: (_torch_backend.bilevel_l12(t, e, a), None))[0]


@_document
def project_l12_ball(Y, eta, *, axis=0, out=None):
    r"""Euclidean projection onto the l1,2 ball :math:`\{X : \sum_j \|x_j\|_2 \le \eta\}`.

    The projection shrinks every group's l2 norm by one common amount
    :math:`\tau` (the l1 projection of the group norms) and keeps its direction:
    :math:`x_j = (1 - \tau / \|y_j\|_2)_+ \, y_j`.  It coincides with
    :func:`bilevel_l12`.
{parameters}

    References
    ----------
    .. [1] E. van den Berg, M. Schmidt, M. P. Friedlander, K. Murphy, "Group
       sparsity via linear-time projection", Tech. Rep. TR-2008-09, UBC (2008).
    .. [2] M. Barlaud, G. Perez, J.-P. Marmorat, arXiv:2407.16293 (2024).

    Examples
    --------
    >>> import numpy as np
    >>> from skproj.projections import project_l12_ball
    >>> project_l12_ball(np.array([[3.0, 0.0], [4.0, 1.0]]), 3.0)
    array([[1.8, 0. ],
           [2.4, 0. ]])
    """
    return bilevel_l12(Y, eta, axis=axis, out=out)


def _level_start(dual_init, Y, axis):
    """``dual_init`` as the kernel's ``start``: float64, contiguous, one level per group.

    None where ``Y`` or ``axis`` are not what the projection takes: its own
    checks then say so.  The caller's array is only read.
    """
    # (each step of a pruning schedule pays this: NumPy's shape and checks
    # of 1000 levels took 9 us, now about 2)
    is_array = type(Y) is np.ndarray
    is_tensor = not is_array and _torch_backend.is_tensor(Y)
    on_cpu = not is_tensor or Y.device.type == "cpu"
    shape = Y.shape if is_array or is_tensor else np.shape(Y)
    if len(shape) != 2 or not (type(axis) is int and axis in (0, 1)):
        return None
    if type(dual_init) is not np.ndarray and _torch_backend.is_tensor(dual_init):
        # (on a device, its shape alone: the kernels that take it run on CPU)
        dual_init = (_torch_backend.numpy_values(dual_init.detach().cpu()) if on_cpu
                     else np.empty(tuple(dual_init.shape)))
    try:
        start = np.ascontiguousarray(dual_init, dtype=np.float64)
    except (TypeError, ValueError):
        start = None
    n_groups = shape[1 - axis]
    if start is None or start.shape != (n_groups,):
        raise ValueError(
            f"dual_init must hold one level per group, shape ({n_groups},) here (the mu "
            f"of return_dual=True), got {getattr(start, 'shape', type(dual_init).__name__)}.")
    if not on_cpu:
        return None
    if not finite_and_non_negative(start):
        raise ValueError("dual_init must be finite and >= 0 (the levels mu of return_dual=True).")
    return start


@_document
def project_l1inf_ball(Y, eta, *, axis=0, out=None, return_dual=False, dual_init=None):
    r"""Exact Euclidean projection onto the l1,inf ball.

    .. math::

        P(Y) = \operatorname*{argmin}_{\sum_j \|x_j\|_\infty \le \eta} \|X - Y\|_F .

    The solution clips each group: :math:`x_{ij} = \operatorname{sign}(y_{ij})
    \min(|y_{ij}|, \mu_j)` with levels :math:`\mu_j \ge 0`,
    :math:`\sum_j \mu_j = \eta`, and one common threshold :math:`\theta \ge 0`
    such that :math:`\sum_i (|y_{ij}| - \mu_j)_+ = \theta` for every group with
    :math:`\mu_j > 0`; groups with :math:`\|y_j\|_1 \le \theta` are zeroed.  If
    group j keeps its :math:`k_j` largest entries clipped, with sum
    :math:`S_j`, then :math:`\mu_j = (S_j - \theta)/k_j` and
    :math:`\theta = (\sum_j S_j/k_j - \eta) / \sum_j 1/k_j` over the active
    groups.  See the kernel ``skproj.projections._l1inf`` for the algorithm
    and its complexity.  On a matrix of 16 MiB or more (with 512 column
    groups or 32 row groups at least), its first read and its write take
    two halves of the groups, and each of its passes over 16 MiB or more of
    listed groups two halves of the list, {halves}
{parameters_only}
    return_dual : bool, default=False
        Also return the threshold :math:`\theta` and the levels :math:`\mu`.
    dual_init : array-like or torch.Tensor of shape (n_groups,), optional
        A warm start: the levels :math:`\mu` that ``return_dual=True`` gave
        for a nearby ``Y`` (the weight before an optimizer step, as
        :mod:`skproj.nn` keeps them), finite and non-negative.  The result
        is the same up to rounding (measured: the same bits).  The passes
        over a matrix in cache (up to 8 MB, the size of a layer's weight)
        start at these levels, fewer of them where most groups keep the
        entries above their levels; the other ways of the CPU kernels
        (larger matrices, groups of up to 16 entries) and a tensor on a
        GPU take no start, only its check.

    Returns
    -------
    X : ndarray or torch.Tensor
        The projection, of the same kind, shape, dtype and device as ``Y``;
        ``Y`` unchanged (bit for bit) when it already lies in the ball.
    theta : float
        Only with ``return_dual=True``: the common threshold (0 when ``Y`` is
        inside the ball).
    mu : ndarray or torch.Tensor of shape (n_groups,)
        Only with ``return_dual=True``: the clipping level of each group (the
        group maxima when ``Y`` is inside the ball).  ``X`` is ``Y`` clipped
        at these levels rounded to ``Y``'s dtype.  For a float32 ``Y``,
        ``theta`` and ``mu`` are as exact as float32 sums (most of the
        float32 paths add the magnitudes in float32 blocks of 16).
{raises}

    See Also
    --------
    bilevel_l1inf : a linear-time, sparser alternative.

    References
    ----------
    .. [1] G. Perez, L. Condat, M. Barlaud, "Near-linear time projection onto
       the l1,inf ball; application to sparse neural networks",
       arXiv:2307.09836 (2023).
    .. [2] A. Quattoni, X. Carreras, M. Collins, T. Darrell, "An efficient
       projection for l1,inf regularization", ICML 2009.
    .. [3] G. Chau, B. Wohlberg, P. Rodriguez, "Efficient projection onto the
       l1,inf mixed-norm ball using a Newton root search method", SIAM J.
       Imaging Sciences 12 (2019).

    Examples
    --------
    >>> import numpy as np
    >>> from skproj.projections import project_l1inf_ball
    >>> project_l1inf_ball(np.array([[3.0, 1.0], [-2.0, 0.5]]), 1.0)
    array([[ 1.,  0.],
           [-1.,  0.]])
    """
    if dual_init is None and not return_dual:
        called = matrix_call(_l1inf.at_addresses, Y, out, eta, axis)
        if called is not None:   # (else the general way: see _run_matrix_kernel)
            return called[0]
    options = {}
    if dual_init is not None:
        start = _level_start(dual_init, Y, axis)
        if start is not None:
            options["start"] = start
    X, duals = _run_matrix_kernel(
        _l1inf.l1inf_ball, Y, out, eta, axis,
        lambda t, e, a: _torch_backend.l1inf_ball(t, e, a), extra=return_dual,
        at_addresses=_l1inf.at_addresses, **options)
    return (X, *duals) if return_dual else X
