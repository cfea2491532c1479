"""Argument checks and NumPy / PyTorch dispatch for the functional API.

Every public projection goes through :func:`run_projection`, so that the
contract of ``skproj.projections`` (accepted inputs, errors, ``out=``, no
mutation of the input, torch tensors in and out) lives in one place.  The
common call (a C-contiguous float array or CPU tensor, ``out`` None, apart or
the input itself) takes :func:`common_memory` first, there, a few cheap checks
that decide nothing the general ones would not.  Measured on a 100 x 1000
float32 array, whose copy takes 10 us: these checks cost 0.5 us with NumPy
arrays and 2.5 us with tensors (whose ``numpy()`` views cost 0.7 us each),
and a call's whole Python layer 1.6-2.5 us with NumPy instead of 2.8-4.5;
since they run in C (``_arrays.common_views``), 0.15 and 1.3 us (a tensor
in place 0.7) on 32 x 64.
The kernels with an entry taking addresses (the l1, l2 and linf balls, the
simplex, the bi-level and exact l1,inf projections) take
``_arrays.vector_call`` or ``_arrays.matrix_call`` first instead, which check
the common call and run the kernel in C: NumPy arrays from their C struct,
CPU tensors by their own attributes (``_arrays._tensor_memory``, about 2 us
less than the NumPy views), and no memoryviews; the others' memoryviews cost
about a microsecond a call.
"""

import math
import numbers

import numpy as np

from skproj.projections import _torch_backend
from skproj.projections._arrays import common_views
from skproj.projections._l1 import Status

SUPPORTED_DTYPES = (np.float32, np.float64)
# The same as dtype objects: an array's dtype is one of these very objects, so
# that ``is`` decides the common case without converting a type to a dtype.
_FLOAT32, _FLOAT64 = np.dtype(np.float32), np.dtype(np.float64)

# Plain ints: comparing with the enum's members costs a microsecond a call.
_PROJECTED = int(Status.STATUS_PROJECTED)
_INSIDE = int(Status.STATUS_INSIDE)
_NONFINITE = int(Status.STATUS_NONFINITE)
_NOMEMORY = int(Status.STATUS_NOMEMORY)

# CUDA tensors of at most this many bytes are projected by the CPU kernels on
# a host copy (``_run_on_host``), larger ones by torch's operations on the
# device (``torch_compute``).  On the device a call is tens of kernel
# launches and a few synchronizations, 0.26-0.93 ms of the host's time
# whatever the size (the exact l1,inf ball 1.9-3.8 ms, the group Hoyer
# projection 4.2-5.3 ms); by the host, the copies there and back (in pinned
# memory) and the CPU kernel take 0.15-0.25 ms a MB of the tensor.  Issue 14,
# an H200 (torch 2.11, 2026-11-29; ``benchmarks/bench_cuda.py --routes``),
# host copy / device, a call with ``out=``: 32 x 64 0.01-0.16; 100 x 1000
# float32 0.06-0.31, float64 0.07-0.39; 300 x 784 float32 0.09-0.57,
# float64 (1.9 MB) 0.13-0.95; 1000 x 1000 float32 (4 MB) 1.03-2.09 but the
# exact ball 0.45 and GSP 0.36; float64 (8 MB) 1.8-3.3, the exact ball 0.69,
# GSP 0.54.  (A pageable copy took 2-3 times as long: 100 x 1000 float32
# 0.37-0.74.)  Set by ``set_host_route_bytes`` (0: every CUDA tensor on the
# device).
_HOST_ROUTE_BYTES = [1 << 21]


def check_radius(value, name="eta"):
    """Return ``value`` as a float after checking it is finite and >= 0."""
    if type(value) is float and 0.0 <= value < math.inf:
        return value  # the common case, checked in a tenth of the general path
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        if _torch_backend.is_tensor(value) and value.numel() == 1:
            value = value.item()
        else:
            raise TypeError(
                f"{name} must be a real number >= 0, got {type(value).__name__}."
            )
    try:
        value = float(value)
    except OverflowError:
        raise ValueError(f"{name} must be a finite number >= 0, got an int too large "
                         "for a float.") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}.")
    return value


def check_axis(axis, name="axis"):
    """Normalize the group axis of a matrix: 0 (columns are groups) or 1."""
    if type(axis) is int and 0 <= axis <= 1:
        return axis
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"{name} must be 0, 1, -1 or -2, got {axis!r}.")
    if axis not in (0, 1, -1, -2):
        raise ValueError(
            f"{name}={axis} is out of range for a 2-D array; use 0 (each column "
            "is a group), 1 (each row is a group), -1 or -2."
        )
    return int(axis) % 2


def _check_dtype(dtype, name):
    if dtype is _FLOAT32 or dtype is _FLOAT64 or dtype in SUPPORTED_DTYPES:
        return
    what = {"i": "an integer", "u": "an unsigned integer", "b": "a boolean",
            "c": "a complex", "O": "an object", "f": "a low-precision float"}.get(
        dtype.kind, "an unsupported")
    raise TypeError(
        f"{name} has {what} dtype ({dtype}); the projections accept float32 and "
        f"float64 only. Convert explicitly, e.g. {name}.astype(np.float64)."
    )


def _check_ndim(ndim, expected_ndim, name):
    if expected_ndim is not None and ndim != expected_ndim:
        raise ValueError(
            f"{name} must be a {expected_ndim}-D array, got {ndim} dimension(s)."
        )


def as_numpy_array(y, name, ndim=None):
    """Return ``y`` as an ndarray (no copy for ndarrays), with dtype and ndim checked."""
    if not isinstance(y, np.ndarray):
        y = np.asarray(y)
    _check_dtype(y.dtype, name)
    _check_ndim(y.ndim, ndim, name)
    return y


def _check_out(out, y, name="out"):
    if (type(out) is np.ndarray and out.dtype is y.dtype and out.shape == y.shape
            and out.flags.writeable):
        return  # the common case, in half the time of the checks below
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array like the input, got {type(out).__name__}.")
    if out.shape != y.shape or out.dtype != y.dtype:
        raise ValueError(
            f"{name} must have the input's shape {y.shape} and dtype {y.dtype}, "
            f"got shape {out.shape} and dtype {out.dtype}."
        )
    if not out.flags.writeable:
        raise ValueError(f"{name} is read-only.")


def _may_overlap(a, b):
    """Whether ``a`` and ``b`` (not the same array) may share memory.

    Two arrays that own their data are two allocations: that test is a third
    of the cost of ``np.may_share_memory``, paid by every call with ``out=``.
    """
    if a.flags.owndata and b.flags.owndata:
        return False
    return np.may_share_memory(a, b)


def _same_memory(a, b):
    return (a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
            and a.strides == b.strides)


def run_kernel(kernel, y, x, eta, *args, name="Y", **hints):
    """Run ``kernel(y, x, eta, *args, **hints)``, whose result starts with a status code.

    The kernels detect NaN and inf through sums that become non-finite, which
    also happens when finite entries are so large that a sum overflows.  Then
    the projection is recomputed on ``y / s`` with radius ``eta / s`` and scaled
    back: every projection here is positively homogeneous.  ``hints``
    (keywords that change the kernel's speed, not its result, such as a warm
    start) are left out of that second call: they are in ``y``'s scale.
    """
    specialized = _SPECIALIZATIONS.get((kernel, y.dtype))
    if specialized is None:
        specialized = _specialization(kernel, y.dtype)
    result = specialized(y, x, eta, *args, **hints)
    status = result[0] if type(result) is tuple else result
    if status <= _INSIDE:   # (_PROJECTED or _INSIDE)
        return result
    if status == _NONFINITE and np.isfinite(y).all():
        scale = float(np.abs(y).max())
        result = specialized(y / scale, x, eta / scale, *args)
        x *= scale
        if isinstance(result, tuple):
            result = (result[0], result[1] * scale) + tuple(result[2:])
        if len(args) and isinstance(args[-1], np.ndarray):
            args[-1][...] *= scale  # the group radii
        status = result[0] if isinstance(result, tuple) else result
    raise_for_status(status, name)
    return result


def radius_zero(y, x, *, signed=False, name="Y"):
    """Project ``y`` onto a set of radius 0, {0}, into ``x`` (the kernels take eta > 0).

    ``y`` comes back as it is when it is made of zeros, of either sign: it lies
    in the set.  Otherwise every entry becomes a zero, signed as in ``y``
    (``signed``: the l1 ball, as its kernel writes zeros) or +0.  NaN and inf
    raise, as at any radius, with ``x`` unwritten.
    """
    if not np.isfinite(y).all():
        raise_for_status(_NONFINITE, name)
    if signed:
        np.copysign(0, y, out=x)
    elif y.any():
        x[...] = 0
    else:
        np.copyto(x, y)


# (kernel, dtype) -> the kernel's specialization: a dict hit costs a
# third of the lookup through ``__signatures__``, and run_kernel looks it up
# itself (a call of _specialization costs a tenth of a microsecond more).
_SPECIALIZATIONS = {}


def _specialization(kernel, dtype):
    """The float32 or float64 version of a fused Cython kernel.

    Calling it directly skips Cython's dispatch on the arguments' types (about
    half a microsecond a call, a twentieth of a copy of 100 x 1000 floats).
    """
    key = (kernel, dtype)
    specialized = _SPECIALIZATIONS.get(key)
    if specialized is None:
        try:
            specialized = kernel.__signatures__["float" if dtype.itemsize == 4 else "double"]
        except (AttributeError, KeyError):
            specialized = kernel
        _SPECIALIZATIONS[key] = specialized
    return specialized


def raise_for_status(status, name="Y"):
    """Turn a kernel's status code into the matching exception."""
    if status == _NONFINITE:
        raise ValueError(f"{name} contains NaN or infinity; the projections need finite values.")
    if status == _NOMEMORY:
        raise MemoryError("could not allocate the projection's work buffer.")


def common_memory(y, out, ndim=None):
    """The kernels' memory for the common call, in a few cheap checks; else None.

    The common call: ``y`` a non-empty, C-contiguous float32 or float64
    ndarray (or CPU tensor) with ``ndim`` dimensions, and ``out`` None or of
    the same kind, shape and dtype, C-contiguous, writable and either ``y``'s
    very memory or apart from it.  Everything else -- bad input included --
    gets None and goes through :func:`run_projection`, whose checks raise the
    errors; so these checks decide nothing that those would not.  They run
    in C (``_arrays.common_views``, the checks of the kernels' address
    entries).

    Returns
    -------
    y_np, x_np, result
        ``y``'s and the output's NumPy memory (shared with the tensors), and
        what the projection returns: ``x_np``, or the output tensor.
    """
    return common_views(y, out, ndim)


def run_projection(y, out, compute, torch_compute, *, ndim=None, name="Y",
                   empty_result=None):
    """Check ``y`` and ``out`` and run a projection on NumPy memory or a device tensor.

    Parameters
    ----------
    y : ndarray, array-like or torch.Tensor
        The point to project.
    out : ndarray, torch.Tensor or None
        Where to write the result (may be ``y``); a new array when None.
    compute : callable
        ``compute(y, x)`` projects the ndarray ``y`` into the ndarray ``x`` and
        returns extra results (or None).  Used for NumPy input and CPU tensors,
        whose memory the kernels share.
    torch_compute : callable
        ``torch_compute(y)`` returns ``(x, extra)`` for a tensor on another device.
    ndim : int or None
        Required number of dimensions.
    empty_result : callable or None
        ``empty_result(y)`` gives the extra results for an empty ``y``.

    Returns
    -------
    x, extra
        The projection (same kind, dtype and device as ``y``) and the extras.

    Notes
    -----
    The common call (:func:`common_memory`) goes straight to ``compute``
    with the memory's NumPy views, past the general checks and views, for
    every projection (the l1 ball's and the matrix kernels' own entries in C
    come before; this is their way for the rest, e.g. a radius given as a
    NumPy scalar): ``project_group_hoyer`` on 32 x 64 float32, an Intel
    Xeon, 21.2 -> 20.9 us a call with NumPy arrays, 30.3 -> 27.9 with CPU
    tensors and ``out=``.
    """
    memory = common_memory(y, out, ndim)
    if memory is not None:
        y_np, x_np, result = memory
        extra = compute(y_np, x_np)
        if extra is not None and result is not x_np:  # (a tensor's: as tensors)
            extra = _torch_backend.to_tensor_like(extra, y)
        return (result if out is None else _torch_backend.mark_written(result)), extra
    if _torch_backend.is_tensor(y):
        return _run_on_tensor(y, out, compute, torch_compute, ndim, name, empty_result)
    y = as_numpy_array(y, name, ndim)
    if out is None:
        return _run_on_numpy(y, np.empty_like(y), compute, empty_result, fresh=True)
    _check_out(out, y)
    return _run_on_numpy(y, out, compute, empty_result)


def _run_on_numpy(y, out, compute, empty_result, fresh=False):
    """Run ``compute`` on checked NumPy memory (``fresh``: ``out`` was just allocated)."""
    if y.size == 0:
        return out, (empty_result(y) if empty_result else None)
    if (not fresh and out is not y and _may_overlap(out, y)
            and not _same_memory(out, y)):
        # A partial overlap would let the kernel read what it already wrote.
        result = np.empty_like(y)
        extra = compute(y, result)
        np.copyto(out, result)
        return out, extra
    return out, compute(y, out)


def _check_tensor(y, ndim, name):
    """Check a tensor's dtype and number of dimensions (not its values)."""
    torch = _torch_backend.get_torch()
    if y.dtype is not torch.float32 and y.dtype is not torch.float64:
        raise TypeError(
            f"{name} has dtype {y.dtype}; the projections accept float32 and float64 "
            f"only. Convert explicitly, e.g. {name}.double()."
        )
    _check_ndim(y.dim(), ndim, name)


def _check_finite_on_device(y, name):
    # (the largest magnitude is NaN or inf exactly where an entry is: two
    # kernels and one sync, where ``isfinite(y).all()`` launched five)
    if y.numel() and not math.isfinite(y.detach().abs().amax()):
        raise ValueError(f"{name} contains NaN or infinity; the projections need finite values.")


def check_device_tensor(y, ndim, name="Y"):
    """Check a tensor for torch's operations on its device.

    Its dtype, number of dimensions and values (finite: the CPU kernels make
    that check as they read; here it costs two kernels and a sync).
    ``group_norms`` calls it; the projections, through ``run_projection``.
    """
    _check_tensor(y, ndim, name)
    _check_finite_on_device(y, name)


def _run_on_tensor(y, out, compute, torch_compute, ndim, name, empty_result):
    torch = _torch_backend.get_torch()
    dtype = y.dtype
    _check_tensor(y, ndim, name)
    if out is not None:
        if not _torch_backend.is_tensor(out):
            raise TypeError(f"out must be a tensor like the input, got {type(out).__name__}.")
        # (Both on the CPU is tested first: building device objects is slow.)
        if (out.dtype is not dtype or out.shape != y.shape
                or not (out.is_cpu and y.is_cpu) and out.device != y.device):
            raise ValueError(
                f"out must have the input's shape {tuple(y.shape)}, dtype {y.dtype} and "
                f"device {y.device}, got {tuple(out.shape)}, {out.dtype}, {out.device}."
            )
        _torch_backend.check_writable(out)
    if y.is_cpu:
        # Zero-copy: the kernels work on the tensors' own memory.  A new
        # result is allocated by NumPy (which asks for huge pages) and shared.
        y_numpy = _torch_backend.numpy_values(y)
        # (an ``out`` that is a negative view gets the result through torch,
        # which writes it negated into its memory)
        fresh = out is None or out.is_neg()
        if fresh:
            out_numpy = np.empty_like(y_numpy)
            result = torch.from_numpy(out_numpy)
        else:
            result, out_numpy = out, _torch_backend.numpy_values(out)
        _, extra = _run_on_numpy(y_numpy, out_numpy, compute, empty_result, fresh=fresh)
        if out is not None:
            result = out.copy_(result) if result is not out else _torch_backend.mark_written(out)
        return result, (None if extra is None else _torch_backend.to_tensor_like(extra, y))
    if y.numel() == 0:
        result = torch.empty_like(y) if out is None else out
        return result, (empty_result(y) if empty_result else None)
    if y.is_cuda and y.numel() * y.element_size() <= _HOST_ROUTE_BYTES[0]:
        return _run_on_host(y, out, compute, empty_result)
    y = y.detach()
    _check_finite_on_device(y, name)
    x, extra = torch_compute(y)
    if out is None:
        return x, extra
    out.copy_(x)
    return out, extra


def _run_on_host(y, out, compute, empty_result):
    """Project the device tensor ``y`` by the CPU kernels on a host copy.

    The copy (C-ordered, a negative view's values resolved; in pinned memory,
    which torch keeps in a cache, for a CUDA tensor) is projected in place,
    then copied into ``out`` or a new tensor on ``y``'s device; the extras go
    to that device too.  The copy to the host waits for the device, as the
    device's own way does at its first synchronization; the copy back (from
    pinned memory) does not hold the host.  The result is the CPU kernels'
    own, bit for bit.
    """
    torch = _torch_backend.get_torch()
    host = torch.empty(y.shape, dtype=y.dtype, pin_memory=y.is_cuda)
    host.copy_(y.detach())
    values = host.numpy()
    _, extra = _run_on_numpy(values, values, compute, empty_result)
    # (the copy back need not hold the host: torch keeps the pinned block
    # until the copy is done, and the device's work on the result waits for
    # it in stream order; an H200, two runs, 100 x 1000 to 500 x 1000 mostly
    # 0.84-0.95 of the time a call, 32 x 64 about even)
    non_blocking = y.is_cuda
    result = (host.to(y.device, non_blocking=non_blocking) if out is None
              else out.copy_(host, non_blocking=non_blocking))
    return result, (None if extra is None else _torch_backend.to_tensor_like(extra, y))


def set_host_route_bytes(n_bytes):
    """Testing and benchmark hook: the CUDA tensors of at most ``n_bytes``
    bytes go through the CPU kernels on a host copy (0: none); returns the
    setting it replaces."""
    previous = _HOST_ROUTE_BYTES[0]
    _HOST_ROUTE_BYTES[0] = int(n_bytes)
    return previous
