"""The group Hoyer sparse projection (GSP) and the Hoyer sparsity measure."""

import functools
import math
import numbers
import os
import sys
import warnings

import numpy as np

from skproj.projections import _hoyer, _torch_backend, _torch_hoyer
from skproj.projections._l1 import Status
from skproj.projections._matrix import _oriented
from skproj.projections._validation import (
    as_numpy_array, check_axis, raise_for_status, run_projection,
)

__all__ = ["check_sparsity", "hoyer_sparsity", "project_group_hoyer"]


def check_sparsity(value, name="sparsity"):
    """Return ``value`` as a float after checking it is a real number in [0, 1]."""
    if _torch_backend.is_tensor(value) and value.numel() == 1:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number in [0, 1], got {type(value).__name__}.")
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value!r}.")
    return value


@functools.lru_cache(maxsize=64)
def _unit_weights(group_size):
    """Ones of length ``group_size``, read-only: one array for every call of that
    length without weights (allocating it and its normalization cost a small
    matrix's call several microseconds)."""
    ones = np.ones(group_size)
    ones.flags.writeable = False
    return ones


def _check_weights(weights, group_size):
    """The weights as a contiguous float64 array of length ``group_size`` (ones
    if None: read-only, shared)."""
    if weights is None:
        return _unit_weights(group_size)
    if _torch_backend.is_tensor(weights):
        weights = _torch_backend.numpy_values(weights.cpu())
    weights = np.asarray(weights)
    if weights.dtype.kind not in "fiu":
        raise TypeError(f"weights must hold real numbers, got dtype {weights.dtype}.")
    if weights.shape != (group_size,):
        raise ValueError(
            f"weights must have one entry per position in a group, shape ({group_size},), "
            f"got shape {weights.shape}.")
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    if not np.isfinite(weights).all() or (group_size and weights.min() <= 0):
        raise ValueError("weights must be finite and > 0 (a zero weight would never "
                         "shrink its entry).")
    return weights


def _normalization(weights):
    r""":math:`\|w\|_2 - \min w`, the weighted measure's denominator (the paper's 1/beta)."""
    if not weights.flags.writeable and weights is _unit_weights(weights.size):
        # sqrt(n) - 1: the same bits as below (n ones sum to n exactly, and
        # both square roots are correctly rounded), without the reductions.
        return math.sqrt(weights.size) - 1.0
    return float(np.sqrt((weights ** 2).sum()) - weights.min())


class _NumpyProjector:
    """GSP of float NumPy matrices whose groups have checked ``weights``, on ``axis``.

    The one path from :func:`project_group_hoyer` to the kernel; iterative
    solvers that project many matrices of one shape hold one (see
    :func:`group_hoyer_projector`) and skip the per-call checks.
    ``band_reads`` counts the kernel's reads of the matrices that gathered a
    band, over the calls (one per call when each bracket held the root; a
    diagnostic for benchmarks and tests).
    """

    def __init__(self, weights, axis):
        self.weights = weights
        self.axis = axis
        self.normalization = _normalization(weights)
        self.band_reads = 0

    def __call__(self, y, x, sparsity, dual_init=None):
        """Project ``y`` into ``x`` (may be ``y``); return the multiplier mu."""
        if y.shape[self.axis] <= 1:
            np.copyto(x, y)
            return 0.0
        y_view, x_view, groups_are_rows = _oriented(y, x, self.axis)
        t_hint = -1.0 if dual_init is None else dual_init / self.normalization
        status, t, reached, reads = _hoyer.group_hoyer(y_view, x_view, sparsity,
                                                       groups_are_rows, self.weights, t_hint)
        self.band_reads += reads
        if status == Status.STATUS_NONFINITE and np.isfinite(y).all():
            # Squares would overflow or underflow (entries beyond ~1e150 or
            # below ~1e-150): GSP is positively homogeneous, its threshold
            # scales with Y.
            scale = float(np.abs(y).max())
            status, t, reached, reads = _hoyer.group_hoyer(
                y_view / scale, x_view, sparsity, groups_are_rows, self.weights,
                t_hint / scale if t_hint >= 0 else -1.0)
            self.band_reads += reads
            x *= scale
            t *= scale
        raise_for_status(status, "Y")
        if not reached:
            _warn_unreachable(sparsity)
        return t * self.normalization


def group_hoyer_projector(group_size, *, axis=0, weights=None):
    """GSP for an iterative solver: ``project(y, x, sparsity, dual_init=None) -> mu``.

    The weights and the axis are checked once, here; each call then goes to
    the kernel with no further checks: ``y`` and ``x`` must be float64 or
    float32 NumPy matrices of one dtype and shape, with ``group_size``
    entries per group along ``axis``, and ``sparsity`` in [0, 1] (what
    :func:`project_group_hoyer` checks on every call).  NaN or infinity
    still raise ``ValueError``.
    """
    return _NumpyProjector(_check_weights(weights, group_size), check_axis(axis))


def project_group_hoyer(Y, sparsity, *, axis=0, weights=None, out=None, return_dual=False,
                        dual_init=None):
    r"""Group sparse projection (GSP): the groups' *average* Hoyer sparsity reaches ``sparsity``.

    The Hoyer sparsity of a group :math:`x \in \mathbb{R}^n` (weights
    :math:`w > 0`, all ones by default) is

    .. math::

        \operatorname{sp}_w(x) = \frac{\|w\|_2 - \sum_i w_i |x_i| / \|x\|_2}
                                     {\|w\|_2 - \min_i w_i} \in [0, 1],

    :math:`(\sqrt n - \|x\|_1/\|x\|_2)/(\sqrt n - 1)` without weights: 0 for a
    vector of equal magnitudes, 1 for a vector with one non-zero entry.  GSP
    [1]_ maps the groups :math:`y_1, \dots, y_r` to groups whose *average*
    sparsity is at least :math:`s`; each group finds its own sparsity.  With
    one multiplier :math:`\mu \ge 0` and :math:`\beta = 1/(\|w\|_2 - \min w)`,

    .. math::

        z_i(\mu) = \frac{(|y_i| - \mu \beta w)_+}{\|(|y_i| - \mu \beta w)_+\|_2},
        \qquad x_i = \langle z_i, |y_i| \rangle \, \operatorname{sign}(y_i) \odot z_i ,

    where :math:`\mu^*` is the smallest root of :math:`g(\mu) = \beta\sum_i
    \langle w, z_i(\mu)\rangle = \sum_i \sqrt{n_i}\beta - r s` (without weights).
    :math:`g` is non-increasing; it jumps down where a group's largest entries
    tie (at :math:`\mu = \beta^{-1} \max |y_i| / w`), as the group becomes
    1-sparse.  Conventions (those of the authors' code, made exact):

    - a group whose threshold reaches its largest entry keeps only its first
      largest entry (it becomes 1-sparse, sparsity 1);
    - when the target falls inside a jump of :math:`g`, the projection is taken
      at the jump, :math:`\mu^* = \min\{\mu : g(\mu) \le k\}`: the groups whose
      largest entries tie there become 1-sparse, and the average sparsity
      exceeds the target;
    - an all-zero group stays zero and counts sparsity 1;
    - a group of one entry has an undefined measure (0/0); it counts sparsity 1
      and is returned unchanged (so a matrix with groups of length 1 is).

    ``Y`` is returned unchanged (bit for bit) when its average sparsity already
    reaches the target.  With weights the largest reachable average sparsity
    can be below 1 (1-sparse groups keep an entry whose weight may exceed
    :math:`\min w`): a target above it gives every group 1-sparse and a
    ``UserWarning``.

    The kernel never makes a pass over the matrix per evaluation of
    :math:`g`: a bracket of :math:`\mu^*` comes from a sample of the groups
    (or per-group histograms, on at most 1024 entries), the entries near it
    are gathered in one read, and a safeguarded Newton method finds the root
    on them (see ``skproj.projections._hoyer``); on a large matrix, one read
    for the groups' maxima, one to gather, one read-and-write pass.

    Parameters
    ----------
    Y : array-like or torch.Tensor of shape (n, m), float32 or float64
        The matrix to project, in any memory layout.
    sparsity : float in [0, 1]
        Target average Hoyer sparsity :math:`s` of the groups.
    axis : {0, 1}, default=0
        Axis the groups run along: with 0 each column is a group (the
        input-feature columns of a ``torch.nn.Linear`` weight), with 1 each row.
    weights : array-like of shape (Y.shape[axis],), optional
        Positive weight of each position in a group, the same for every group
        (the weighted variant of [1]_, appendix C).  Unit weights give the
        unweighted projection.
    out : ndarray or torch.Tensor, optional
        Array like ``Y`` receiving the result; may be ``Y`` itself.
    return_dual : bool, default=False
        Also return the multiplier :math:`\mu^*` (0 when ``Y`` is unchanged).
    dual_init : float >= 0, optional
        A guess of :math:`\mu^*`, such as the ``return_dual`` of a previous
        projection of a nearby matrix (in an iterative solver): the kernel
        looks for the root near it instead of sampling the matrix, which is
        faster when the guess is close.  The result does not depend on it
        beyond rounding (the bracket around the guess is checked exactly; one
        that misses the root is followed by one placed by a Newton step).
        Ignored for tensors on a GPU.

    Returns
    -------
    X : ndarray or torch.Tensor
        The projection, of the same kind, shape, dtype and device as ``Y``.
    mu : float
        Only with ``return_dual=True``.

    Raises
    ------
    TypeError
        If ``Y`` is not float32 or float64, or ``sparsity`` is not a number.
    ValueError
        If ``Y`` is not 2-D or holds NaN or infinity, ``sparsity`` is outside
        [0, 1], ``weights`` are not positive or have the wrong shape, ``axis``
        is out of range or ``out`` does not match ``Y``.

    See Also
    --------
    hoyer_sparsity : the sparsity of every group and their average.

    Notes
    -----
    Each group's sums of squares are taken in units of its own largest entry,
    so groups of very different scales in one matrix (1e-300 beside 1e100)
    are projected as precisely as the others.

    References
    ----------
    .. [1] R. Ohib, N. Gillis, N. Dalmasso, S. Shah, V. K. Potluru, S. Plis,
       "Explicit group sparse projection with applications to deep learning
       and NMF", Transactions on Machine Learning Research (2022),
       arXiv:1912.03896.
    .. [2] P. O. Hoyer, "Non-negative matrix factorization with sparseness
       constraints", Journal of Machine Learning Research 5 (2004).

    Examples
    --------
    >>> import numpy as np
    >>> from skproj.projections import hoyer_sparsity, project_group_hoyer
    >>> Y = np.array([[3.0, 1.0], [2.0, 0.5], [1.0, 0.8]])
    >>> X = project_group_hoyer(Y, 0.6)
    >>> round(hoyer_sparsity(X)[1], 6)
    0.6
    """
    sparsity = check_sparsity(sparsity)
    axis = check_axis(axis)
    if dual_init is not None and not (isinstance(dual_init, numbers.Real)
                                      and 0 <= dual_init < np.inf):
        raise ValueError(f"dual_init must be a finite number >= 0, got {dual_init!r}.")
    weights_checked = []   # checked once the shape of Y is known to be valid

    def checked_weights(y):
        if not weights_checked:
            weights_checked.append(_check_weights(weights, y.shape[axis]))
        return weights_checked[0]

    def compute(y_np, x_np):
        return _NumpyProjector(checked_weights(y_np), axis)(y_np, x_np, sparsity, dual_init)

    def torch_compute(y_tensor):
        w = checked_weights(y_tensor)
        if y_tensor.shape[axis] <= 1:
            return y_tensor.clone(), 0.0
        x, t, reached = _torch_hoyer.group_hoyer(y_tensor, sparsity, axis, w)
        if not reached:
            _warn_unreachable(sparsity)
        return x, t * _normalization(w)

    X, mu = run_projection(Y, out, compute, torch_compute, ndim=2,
                           empty_result=lambda y: 0.0)
    return (X, float(mu)) if return_dual else X


# skproj's own folder: a warning names the first line outside it (the user's)
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _warn_unreachable(sparsity):
    # (the depth of skproj's frames depends on the way in: a projector, NumPy
    # arrays or tensors through the checks, an estimator's fit; a fixed
    # stacklevel named a line of _validation.py for every one of them)
    frame, stacklevel = sys._getframe(), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, stacklevel = frame.f_back, stacklevel + 1
    warnings.warn(
        f"sparsity={sparsity} cannot be reached with these weights: every group was made "
        "1-sparse, which is the sparsest they can be.", UserWarning, stacklevel=stacklevel)


def hoyer_sparsity(Y, axis=0, weights=None):
    r"""Hoyer sparsity of every group of a matrix, and their average.

    .. math::

        \operatorname{sp}_w(x) = \frac{\|w\|_2 - \sum_i w_i |x_i| / \|x\|_2}
                                     {\|w\|_2 - \min_i w_i},

    :math:`(\sqrt n - \|x\|_1/\|x\|_2)/(\sqrt n - 1)` without weights.  An
    all-zero group and a group of one entry count 1 (see
    :func:`project_group_hoyer`).

    Parameters
    ----------
    Y : array-like or torch.Tensor of shape (n, m)
        The matrix.
    axis : {0, 1}, default=0
        Axis the groups run along: 0 for columns, 1 for rows.
    weights : array-like of shape (Y.shape[axis],), optional
        Positive weight of each position in a group.

    Returns
    -------
    per_group : ndarray of shape (n_groups,), float64
        (A tensor on ``Y``'s device for tensor input.)
    average : float
        Their mean (1.0 when there are no groups).

    Examples
    --------
    >>> import numpy as np
    >>> from skproj.projections import hoyer_sparsity
    >>> per_group, average = hoyer_sparsity(np.array([[1.0, 0.0], [1.0, 5.0]]))
    >>> per_group.round(6)
    array([0., 1.])
    """
    axis = check_axis(axis)
    tensor = Y if _torch_backend.is_tensor(Y) else None
    if tensor is not None:
        Y = _torch_backend.numpy_values(tensor.cpu())
    Y = as_numpy_array(Y, "Y", ndim=2)
    if Y.size and not np.isfinite(Y).all():
        raise ValueError("Y contains NaN or infinity; the sparsity needs finite values.")
    w = _check_weights(weights, Y.shape[axis])
    groups = np.abs(Y.T if axis == 0 else Y).astype(np.float64)
    per_group = np.ones(groups.shape[0])
    if groups.shape[1] > 1 and groups.size:
        largest = groups.max(axis=1, keepdims=True)
        scaled = groups / np.where(largest > 0, largest, 1.0)   # no overflow in the squares
        norms = np.sqrt((scaled ** 2).sum(axis=1))
        nonzero = norms > 0
        ratio = (scaled[nonzero] @ w) / norms[nonzero]
        norm_w = np.sqrt((w ** 2).sum())
        per_group[nonzero] = (norm_w - ratio) / (norm_w - w.min())
    average = float(per_group.mean()) if per_group.size else 1.0
    if tensor is not None:
        per_group = _torch_backend.to_tensor_like(per_group, tensor)
    return per_group, average
