"""Projections of a whole array, seen as one vector, onto l1, l2, linf balls and the simplex."""

import numpy as np

from skproj.projections import _bilevel, _l1, _torch_backend
from skproj.projections._arrays import vector_call
from skproj.projections._matrix import group_norms
from skproj.projections._validation import (
    _INSIDE, _PROJECTED, check_radius, radius_zero, run_kernel, run_projection,
)

__all__ = ["project_l1_ball", "project_simplex", "project_l2_ball", "project_linf_ball"]

# The l2 and linf balls' kinds for ``_bilevel.ball_at_addresses`` (plain ints:
# an enum member costs a conversion a call)
_L2_KIND = int(_bilevel.NormKind.NORM_L2)
_LINF_KIND = int(_bilevel.NormKind.NORM_MAX)


def _as_2d(a):
    """A 2-D view of ``a`` over the same memory, or None when no view exists."""
    if a.ndim == 2:
        return a
    if a.ndim < 2:
        return a.reshape(1, -1)
    try:
        return a.reshape(-1, a.shape[-1], copy=False)
    except ValueError:  # no view of this memory has that shape
        return None
    except TypeError:  # NumPy < 2.1 has no copy=; setting the shape never copies
        view = a.view()
        try:
            view.shape = (-1, a.shape[-1])
        except AttributeError:
            return None
        return view


def _on_2d_views(kernel):
    """Run ``kernel(y2d, x2d)`` on 2-D views, through a copy when none exists."""

    def compute(y, x):
        if y.flags.c_contiguous:
            if x.flags.c_contiguous:
                return kernel(_as_row(y), _as_row(x))
            # (the kernel reads y as the same row whatever ``out`` is, so that
            # every out gets the same bits: a view of y shaped by out changed
            # the order of the sums of the l2 ball's norm)
            result = np.empty_like(y, order="C")
            status = kernel(_as_row(y), _as_row(result))
            np.copyto(x, result)
            return status
        y2d, x2d = _as_2d(y), _as_2d(x)
        if y2d is None:
            y2d = _as_2d(np.ascontiguousarray(y))
        if x2d is None:
            result = np.empty_like(y, order="C")
            status = kernel(y2d, _as_2d(result))
            np.copyto(x, result)
            return status
        return kernel(y2d, x2d)

    return compute


def _as_row(a):
    """A C-contiguous array as one long row (the kernels' loops then run without a tail per row)."""
    return a if a.ndim == 2 and a.shape[0] == 1 else a.reshape(1, -1)


def soft_threshold_in_place(w, step, *, second=None, metric=1.0, eps=0.0, scale=None):
    r"""The soft threshold of ``w`` in place, in one pass; False where the arrays do not suit.

    .. math::

        w_i \leftarrow \operatorname{sign}(w_i)\,(|w_i| - t_i)_+, \qquad
        t_i = \frac{\text{step}\; c_i}{\sqrt{v_i \cdot \text{metric}} + \epsilon}

    with :math:`v` = ``second`` (a second moment, as Adam keeps), or
    :math:`t_i = \text{step}\; c_i` without it; :math:`c` = ``scale`` or ones.
    A step of 0 leaves ``w`` as it is; a positive step over a zero
    denominator is an infinite threshold (the entry is zeroed).  The kernel
    (``_l1.soft_threshold``) takes C-contiguous float32 or float64 NumPy
    arrays or CPU tensors, all of one kind, dtype and size (``w`` writable;
    a tensor is written outside autograd, requiring grad or not, as
    ``skproj.nn.soft_threshold_`` documents, its version counter bumped;
    ``second`` and ``scale`` its memory or apart from it); for anything else
    nothing is done and False is returned (the caller then computes it in its
    own way, e.g. with torch on a GPU).  Every operation is rounded once in
    the arrays' dtype (IEEE's square root and division), so the result is the
    formula's up to those roundings, the same bits on every CPU.
    """
    memory = _threshold_memory(w, second, scale)
    if memory is None:
        return False
    w_address, second_address, scale_address, n, single = memory
    # (a step of 0 is no threshold, even where sqrt(v_i metric) + eps is 0,
    # whose 0 / 0 would write NaN)
    if n and step != 0:
        _l1.soft_threshold(w_address, second_address, scale_address, n, single, step, metric,
                           eps)
        _torch_backend.mark_written(w)
    return True


def _threshold_memory(w, second, scale):
    """(w, second, scale addresses (0: None), size, float32?) for the kernel; else None.

    Reads the arrays' attributes rather than building views (a CPU tensor's
    ``numpy()`` view costs a microsecond, as much as the kernel on a small
    layer; see ``_arrays._tensor_memory``).
    """
    others = [a for a in (second, scale) if a is not None]
    if type(w) is np.ndarray:
        dtype, n = w.dtype, w.size
        if (dtype not in (np.float32, np.float64) or not w.flags.writeable
                or not all(type(a) is np.ndarray and a.dtype == dtype and a.size == n
                           for a in others)
                or not all(a.flags.c_contiguous for a in (w, *others))):
            return None
        addresses = [0 if a is None else a.ctypes.data for a in (w, second, scale)]
        return _apart(addresses, n, dtype == np.float32)
    if not _torch_backend.is_tensor(w):
        return None
    torch = _torch_backend.get_torch()
    dtype, n = w.dtype, w.numel()
    if not (dtype is torch.float32 or dtype is torch.float64):
        return None
    for a in (w, *others):
        if not (isinstance(a, torch.Tensor) and a.dtype is dtype and a.is_cpu
                and a.layout is torch.strided and a.is_contiguous() and not a.is_neg()
                and a.numel() == n):
            return None
    addresses = [0 if a is None else a.data_ptr() for a in (w, second, scale)]
    return _apart(addresses, n, dtype is torch.float32)


def _apart(addresses, n, single):
    """The kernel's arguments where ``second`` and ``scale`` are ``w``'s memory or apart.

    (The kernel reads them as it writes ``w``, a vector at a time: a partial
    overlap would read entries it has already written.)
    """
    n_bytes = n * (4 if single else 8)
    w = addresses[0]
    for other in addresses[1:]:
        if other and other != w and other < w + n_bytes and w < other + n_bytes:
            return None
    return (*addresses, n, single)


def _soft_threshold_projection(y, eta, out, kernel, torch_function):
    """Run a soft-threshold kernel (l1 ball or simplex) on any input, the general way.

    The callers first try the common call (``vector_call``, checked and run in
    C), whose None (not the common call, or not written: NaN, inf or no
    memory) sends them here, which tells which.  (Its try in here took a
    frame more: a third of the call's overhead on a 4 x 16 float32 array,
    issue 14, the Zen 5: ``project_l1_ball`` 0.62 -> 0.52 us a call.)
    """
    eta = check_radius(eta)
    simplex = kernel is _l1.simplex

    def compute(y2d, x2d):
        if eta == 0:
            radius_zero(y2d, x2d, signed=not simplex, name="y")
        else:
            if simplex:
                _check_simplex_sum(eta, y2d.dtype == np.float32)
            run_kernel(kernel, y2d, x2d, eta, name="y")

    def on_device(t):
        if simplex:
            _check_simplex_sum(eta, t.dtype == _torch_backend.get_torch().float32)
        return torch_function(t, eta), None

    return run_projection(y, out, _on_2d_views(compute), on_device, name="y")[0]


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _check_simplex_sum(eta, single):
    """Refuse a float32 simplex whose sum ``eta`` float32 cannot hold.

    Its projection sums to ``eta``: beyond float32's largest value, its
    largest entries would be written as inf (the l1 ball only shrinks
    magnitudes, whatever its radius).
    """
    if single and eta > _FLOAT32_MAX:
        raise ValueError(
            f"eta must be at most {_FLOAT32_MAX:.8g}, the largest float32, for a float32 y "
            f"(got {eta!r}): the projection onto the simplex sums to eta. Project a float64 "
            "copy of y.")


def l1_threshold(values, eta):
    r"""The threshold :math:`\tau > 0` with :math:`\sum_i (|v_i| - \tau)_+ = \eta`, or None.

    The l1 ball's, by its kernel (as :func:`project_l1_ball` finds it; the
    projection is written into scratch): None where :math:`\|v\|_1 \le
    \eta` (nothing moves).  ``values``: finite numbers, any shape (one
    vector, in float64); ``eta >= 0``.  ``skproj.nn``'s global radius over
    several layers is this threshold of their groups' breakpoints, where a
    bisection on it took 60 evaluations of their radius functions (320 us
    for a 784-100-10 MLP's two weights).
    """
    row = np.ascontiguousarray(values, dtype=np.float64).reshape(1, -1)
    status, tau = _l1.l1_ball(row, np.empty_like(row), float(eta))
    if status == _INSIDE:
        return None
    if status != _PROJECTED:
        raise ValueError("values must be finite numbers.")
    return tau


def project_l1_ball(y, eta, *, out=None):
    r"""Euclidean projection onto the l1 ball of radius ``eta``.

    .. math::

        P(y) = \operatorname*{argmin}_{\|x\|_1 \le \eta} \|x - y\|_2,
        \qquad P(y)_i = \operatorname{sign}(y_i)\,(|y_i| - \tau)_+,

    where :math:`\tau = 0` when :math:`\|y\|_1 \le \eta` (``y`` comes back
    unchanged), and otherwise :math:`\tau > 0` solves
    :math:`\sum_i (|y_i| - \tau)_+ = \eta`.  The whole array is one vector; its
    shape is kept.

    :math:`\tau` is found in linear time without sorting, in one read pass at
    every radius: a sample of ``y`` brackets :math:`\tau`; the pass sums the
    magnitudes above the bracket and gathers those inside it, and Michelot's
    method [3]_ on the gathered values gives :math:`\tau` exactly (Newton
    passes over ``y`` take over in the rare case where the sample misled).
    One more pass writes the result.  An array of 16 MiB or more is read and
    written in two halves, the second on a thread of its own where the
    process may run on two CPUs (on one where ``OMP_NUM_THREADS`` is 1 at
    import, as joblib sets it in its workers, or within
    ``threadpoolctl.threadpool_limits(limits=1)``); each half computes the
    same on one thread or two, so the result does not depend on the threads.

    Memory: besides the result, at most ``y.size / 8`` values of ``y``'s
    dtype (the gathered ones; twice as many on an array in halves, each half
    gathering apart) and 3 x 16384 doubles (a sample and its work space);
    never a copy of ``y``.

    Parameters
    ----------
    y : array-like or torch.Tensor of float32 or float64
        The point to project, of any shape and memory layout.
    eta : float
        Radius, ``eta >= 0``.
    out : ndarray or torch.Tensor, optional
        Array of the same shape, dtype (and device) as ``y`` receiving the
        result; may be ``y`` itself for an in-place projection.

    Returns
    -------
    x : ndarray or torch.Tensor
        The projection, of the same kind, shape, dtype and device as ``y``.

    Raises
    ------
    TypeError
        If ``y`` is not float32 or float64.
    ValueError
        If ``y`` contains NaN or infinity, or ``eta`` is negative or not finite.

    See Also
    --------
    project_simplex : the non-negative, ``sum(x) = eta`` variant.

    References
    ----------
    .. [1] L. Condat, "Fast projection onto the simplex and the l1 ball",
       Mathematical Programming 158 (2016), 575-585.
    .. [2] J. Duchi, S. Shalev-Shwartz, Y. Singer, T. Chandra, "Efficient
       projections onto the l1-ball for learning in high dimensions", ICML 2008.
    .. [3] C. Michelot, "A finite algorithm for finding the projection of a
       point onto the canonical simplex of R^n", J. Optim. Theory Appl. 50
       (1986), 195-200.

    Examples
    --------
    >>> import numpy as np
    >>> from skproj.projections import project_l1_ball
    >>> project_l1_ball(np.array([3.0, -1.0, 0.5]), 2.0)
    array([ 2., -0.,  0.])
    """
    result = vector_call(_l1.at_addresses, 0, y, out, eta)
    if result is not None:   # (else the general way: see _soft_threshold_projection)
        return result
    return _soft_threshold_projection(y, eta, out, _l1.l1_ball, _torch_backend.l1_ball)


def project_simplex(y, eta=1.0, *, out=None):
    r"""Euclidean projection onto the simplex ``{x >= 0 : sum(x) = eta}``.

    .. math::

        P(y)_i = (y_i - \tau)_+ \quad\text{with}\quad \sum_i (y_i - \tau)_+ = \eta .

    Unlike the l1 ball, the simplex is not full-dimensional: every ``y`` not
    already on it moves, and ``tau`` may be negative.  :math:`\tau` is found
    as for :func:`project_l1_ball` (a sampled bracket, one read pass, an
    exact finish on the values in the bracket; an array of 16 MiB or more in
    two halves, on two threads where two CPUs are free), with the same
    memory bound: at most ``y.size / 8`` values of ``y``'s dtype besides the
    result (twice as many on an array in halves).

    Parameters
    ----------
    y : array-like or torch.Tensor of float32 or float64
        The point to project (signed values allowed), of any shape.
    eta : float, default=1.0
        Sum of the result, ``eta >= 0``; for a float32 ``y``, at most the
        largest float32 (``ValueError`` beyond: project a float64 copy).
    out : ndarray or torch.Tensor, optional
        Where to write the result (may be ``y``).

    Returns
    -------
    x : ndarray or torch.Tensor
        The projection, like ``y``.

    References
    ----------
    .. [1] L. Condat, "Fast projection onto the simplex and the l1 ball",
       Mathematical Programming 158 (2016), 575-585.

    Examples
    --------
    >>> import numpy as np
    >>> from skproj.projections import project_simplex
    >>> project_simplex(np.array([0.5, -1.0, 0.9]), 1.0)
    array([0.3, 0. , 0.7])
    """
    result = vector_call(_l1.at_addresses, 1, y, out, eta)
    if result is not None:   # (else the general way: see _soft_threshold_projection)
        return result
    return _soft_threshold_projection(y, eta, out, _l1.simplex, _torch_backend.simplex)


def _norm_of_whole(y2d, norm):
    """Norm of a whole 2-D view from its row norms (NaN/inf raise)."""
    rows = group_norms(y2d, norm, axis=1)
    if norm == "linf":
        return rows.max(initial=0.0)
    largest = rows.max(initial=0.0)
    # Rescaled so that squaring cannot overflow.
    return largest * float(np.linalg.norm(rows / largest)) if largest > 0 else 0.0


def project_l2_ball(y, eta, *, out=None):
    r"""Euclidean projection onto the l2 ball of radius ``eta``.

    .. math::

        P(y) = y \, \min\!\left(1, \frac{\eta}{\|y\|_2}\right).

    Parameters
    ----------
    y : array-like or torch.Tensor of float32 or float64
        The point to project, of any shape.
    eta : float
        Radius, ``eta >= 0``.
    out : ndarray or torch.Tensor, optional
        Where to write the result (may be ``y``).

    Returns
    -------
    x : ndarray or torch.Tensor
        The projection, like ``y``; ``y`` unchanged when ``||y||_2 <= eta``.

    Examples
    --------
    >>> import numpy as np
    >>> from skproj.projections import project_l2_ball
    >>> project_l2_ball(np.array([3.0, 4.0]), 1.0)
    array([0.6, 0.8])
    """
    result = vector_call(_bilevel.ball_at_addresses, _L2_KIND, y, out, eta)
    if result is not None:  # (as project_l1_ball's)
        return result
    eta = check_radius(eta)

    def kernel(y2d, x2d):
        norm = _norm_of_whole(y2d, "l2")
        if norm <= eta:
            np.copyto(x2d, y2d)
        else:
            np.multiply(y2d, eta / norm, out=x2d)

    return run_projection(y, out, _on_2d_views(kernel),
                          lambda t: (_torch_backend.l2_ball(t, eta), None), name="y")[0]


def project_linf_ball(y, eta, *, out=None):
    r"""Euclidean projection onto the l-infinity ball of radius ``eta``.

    .. math::

        P(y)_i = \operatorname{sign}(y_i) \min(|y_i|, \eta).

    Parameters
    ----------
    y : array-like or torch.Tensor of float32 or float64
        The point to project, of any shape.
    eta : float
        Radius, ``eta >= 0``.
    out : ndarray or torch.Tensor, optional
        Where to write the result (may be ``y``).

    Returns
    -------
    x : ndarray or torch.Tensor
        The projection, like ``y``.

    Examples
    --------
    >>> import numpy as np
    >>> from skproj.projections import project_linf_ball
    >>> project_linf_ball(np.array([3.0, -0.5, -2.0]), 1.0)
    array([ 1. , -0.5, -1. ])
    """
    result = vector_call(_bilevel.ball_at_addresses, _LINF_KIND, y, out, eta)
    if result is not None:  # (as project_l1_ball's)
        return result
    eta = check_radius(eta)

    def kernel(y2d, x2d):
        if _norm_of_whole(y2d, "linf") <= eta:
            np.copyto(x2d, y2d)
        else:
            np.clip(y2d, -eta, eta, out=x2d)

    return run_projection(y, out, _on_2d_views(kernel),
                          lambda t: (_torch_backend.linf_ball(t, eta), None), name="y")[0]
