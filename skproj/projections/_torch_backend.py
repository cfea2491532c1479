"""PyTorch support: tensor detection and the projections for non-CPU devices.

torch is optional.  Nothing here imports it unless a tensor was passed, so
``skproj.projections`` works with NumPy alone.  CPU tensors never come here for
the computation: the Cython kernels work on their memory directly, and so
on a host copy of a small CUDA tensor (``_validation._run_on_host``).  On
other devices (CUDA tensors of more than 2 MiB) the projections below run on
the device with sort-based thresholds (O(n log n) work, fully parallel),
which suits GPUs better than the CPU kernels' sequential, branch-light
passes.
"""

import sys

import numpy as np


def get_torch():
    torch = sys.modules.get("torch")
    if torch is None:  # (the import statement costs a tenth of a microsecond a call)
        import torch
    return torch


def is_tensor(value):
    """Whether ``value`` is a torch tensor (False when torch was never imported)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def numpy_values(tensor):
    """A CPU tensor's values as a NumPy array: the view of its memory, or a copy
    where the tensor is a negative view (``is_neg()``: its memory holds the
    values negated, which NumPy cannot see).  ``detach`` only when needed: it
    costs."""
    if tensor.requires_grad:
        tensor = tensor.detach()
    if tensor.is_neg():
        tensor = tensor.resolve_neg()
    return tensor.numpy()


def is_writable(out):
    """Whether the projections may write the tensor ``out`` (see :func:`check_writable`)."""
    return not out.requires_grad or not get_torch().is_grad_enabled()


def check_writable(out):
    """Refuse an ``out`` that requires grad while autograd records (torch's own rule).

    The kernels write a CPU tensor's memory outside autograd, which would not
    see the write: as torch refuses ``out=`` and in-place operations on such a
    tensor, so do the projections.  Under ``torch.no_grad()`` (an optimizer's
    step, ``skproj.nn``) the write is allowed.
    """
    if not is_writable(out):
        raise ValueError(
            "out requires grad: the projections write it outside autograd, which could "
            "not record the write. Write it under torch.no_grad() (as an optimizer's step "
            "does), or leave out unset for a new tensor."
        )


def version_bump():
    """torch's bump of the version counters of a tuple of tensors.

    ``torch._C._increment_version``, which the public
    ``torch.autograd.graph.increment_version`` wraps (0.15 against 0.22 us a
    call, with the wrapper's type check; 0.33 us with the lookups of its
    path), where this torch has it; else the public one.
    """
    torch = get_torch()
    bump = getattr(torch._C, "_increment_version", None)
    return bump if bump is not None else torch.autograd.graph.increment_version


_bump = None


def mark_written(result):
    """``result``, its version counter bumped where it is a tensor (see below).

    The kernels write a CPU tensor's memory directly, which torch does not
    see: a tensor saved for a backward pass, then written by a projection,
    would give wrong gradients without a word.  With its version counter
    bumped, as every in-place operation of torch bumps it, the backward pass
    raises torch's error instead (``version_bump``).
    """
    global _bump
    if type(result) is not np.ndarray:
        if _bump is None:
            _bump = version_bump()
        _bump((result,))
    return result


def leading_axes_swapped(tensor):
    """``(copy, write_back)``: ``tensor`` with its first two axes swapped, or None.

    For a contiguous CPU tensor of float32 or float64 with three dimensions
    or more, such as a convolution's weight ``(out, in, *kernel)`` whose
    groups are its input channels: ``copy`` is a new contiguous tensor of
    shape ``(in, out * kernel size)`` (one row per input channel) and
    ``write_back(result)`` stores a result of that shape into ``tensor``,
    its version counter bumped (:func:`mark_written`).  Both copies run in C
    (``_arrays.swap_leading_axes``: runs of a kernel's entries moved a block
    of rows at a time) where torch's strided copies took 1.3-3 times as long
    (a 64 x 32 x 3 x 3 float32 weight 5.0 against 2.4 us a way). None where
    the tensor is on another device, of another dtype, not contiguous or a
    negative view: the caller's torch operations then.
    """
    from skproj.projections._arrays import swap_leading_axes  # (here: _arrays imports us)

    torch = get_torch()
    dtype = tensor.dtype
    if (tensor.device.type != "cpu" or tensor.dim() < 3 or not tensor.is_contiguous()
            or (dtype is not torch.float32 and dtype is not torch.float64) or tensor.is_neg()):
        return None
    shape = tensor.shape
    n_out, n_in, single = shape[0], shape[1], dtype is torch.float32
    size = tensor.numel() // (n_out * n_in) if n_out and n_in else 0
    copy = torch.empty((n_in, n_out * size), dtype=dtype, device="cpu")
    swap_leading_axes(tensor.data_ptr(), copy.data_ptr(), n_out, n_in, size, single)

    def write_back(result):
        if result.data_ptr() == copy.data_ptr() and result.shape == copy.shape:
            swap_leading_axes(copy.data_ptr(), tensor.data_ptr(), n_in, n_out, size, single)
            mark_written(tensor)
        else:
            channels = tensor.transpose(0, 1)
            channels.copy_(result.reshape(channels.shape))

    return copy, write_back


def to_tensor_like(extra, like):
    """Turn the NumPy arrays in a kernel's extra results into tensors like ``like``."""
    if isinstance(extra, np.ndarray):
        return get_torch().from_numpy(extra).to(like.device)
    if isinstance(extra, tuple):
        return tuple(to_tensor_like(item, like) for item in extra)
    return extra


def simplex_threshold(values, radius, dim=-1):
    """Sort-based threshold tau with ``sum(max(values - tau, 0), dim) = radius``.

    ``radius`` broadcasts against ``values`` reduced over ``dim`` (kept).
    Works on any real values; returns tau with ``dim`` kept.
    """
    torch = get_torch()
    ordered = torch.sort(values, dim=dim, descending=True).values
    cumulative = torch.cumsum(ordered, dim=dim) - radius
    shape = [1] * values.dim()
    shape[dim] = values.shape[dim]
    ranks = torch.arange(1, values.shape[dim] + 1, device=values.device,
                         dtype=values.dtype).reshape(shape)
    support = (ordered * ranks > cumulative).sum(dim=dim, keepdim=True).clamp(min=1)
    return torch.gather(cumulative, dim, support - 1) / support.to(values.dtype)


def l1_ball(y, eta):
    magnitude = y.abs()
    if magnitude.sum() <= eta:
        return y.clone()
    if eta == 0:
        return torch_zeros_like(y)
    tau = simplex_threshold(magnitude.reshape(-1), eta)
    return torch_sign_shrink(y, tau)


def simplex(y, eta):
    flat = y.reshape(-1)
    if bool((flat >= 0).all()) and float(flat.sum()) == eta:
        return y.clone()
    tau = simplex_threshold(flat, eta)
    return (y - tau).clamp(min=0)


def l2_ball(y, eta):
    norm = get_torch().linalg.vector_norm(y)
    return y.clone() if norm <= eta else y * (eta / norm)


def linf_ball(y, eta):
    return y.clamp(-eta, eta)


def group_norms(y, kind, axis):
    """Norm of each group, ``axis`` being the axis the norm runs along."""
    torch = get_torch()
    if kind == "linf":
        return y.abs().amax(dim=axis) if y.shape[axis] else y.sum(dim=axis)
    if kind == "l1":
        return y.abs().sum(dim=axis)
    return torch.linalg.vector_norm(y, dim=axis)


def _new_radii(norms, eta):
    """Project the group norms onto the l1 ball: the groups' new radii."""
    if norms.sum() <= eta:
        return None
    tau = simplex_threshold(norms, eta)
    return (norms - tau).clamp(min=0)


def bilevel_l1inf(y, eta, axis):
    radii = _new_radii(group_norms(y, "linf", axis), eta)
    if radii is None:
        return y.clone()
    radii = radii.unsqueeze(axis)
    return get_torch().minimum(get_torch().maximum(y, -radii), radii)


def bilevel_l11(y, eta, axis):
    norms = group_norms(y, "l1", axis)
    radii = _new_radii(norms, eta)
    if radii is None:
        return y.clone()
    magnitude = y.abs()
    tau = simplex_threshold(magnitude, radii.unsqueeze(axis), dim=axis)
    tau = get_torch().where(radii.unsqueeze(axis) > 0, tau, magnitude.amax(dim=axis, keepdim=True))
    return torch_sign_shrink(y, tau)


def bilevel_l12(y, eta, axis):
    norms = group_norms(y, "l2", axis)
    radii = _new_radii(norms, eta)
    if radii is None:
        return y.clone()
    torch = get_torch()
    scale = torch.where(norms > 0, radii / norms.clamp(min=torch.finfo(y.dtype).tiny), 0)
    return y * scale.unsqueeze(axis)


def l1inf_ball(y, eta, axis, max_steps=100):
    """Exact l1,inf projection: Newton's method on theta, then the closed form.

    For a threshold theta, group g's clipping level mu_g(theta) solves
    ``sum_i (|y_ig| - mu)_+ = theta``; it is read off the sorted group: with the
    k_g entries above the level, summing to S_g, mu_g = (S_g - theta) / k_g.
    ``f(theta) = sum_g mu_g(theta)`` is decreasing, piecewise linear and convex
    (k_g grows with theta, so the slope -sum 1/k_g over the active groups
    flattens), so Newton's steps from theta = 0, where f > eta, climb to the
    root without passing it and stop once the active sets are the final ones:
    a handful of steps, each one synchronization of the device (a bisection
    to machine precision took about fifty).  theta is then recomputed from the
    active sets in closed form.
    """
    torch = get_torch()
    norms_l1 = group_norms(y, "l1", axis)
    maxima = group_norms(y, "linf", axis)
    if maxima.sum() <= eta:
        return y.clone(), (0.0, maxima)
    ordered = torch.sort(y.abs(), dim=axis, descending=True).values
    cumulative = torch.cumsum(ordered, dim=axis)
    shape = [1, 1]
    shape[axis] = y.shape[axis]
    ranks = torch.arange(1, y.shape[axis] + 1, device=y.device, dtype=y.dtype).reshape(shape)

    def levels(theta):
        # Entries above mu_g are the k largest with ordered_k > (S_k - theta)/k.
        support = (ordered * ranks > cumulative - theta).sum(dim=axis, keepdim=True).clamp(min=1)
        sums = torch.gather(cumulative, axis, support - 1)
        mu = ((sums - theta) / support).clamp(min=0).squeeze(axis)
        return mu, support.squeeze(axis), sums.squeeze(axis)

    theta = 0.0
    for _ in range(max_steps):
        mu, support, _ = levels(theta)
        slope = torch.where(mu > 0, 1 / support.to(y.dtype), 0).sum()
        excess, slope = torch.stack([mu.sum() - eta, slope]).tolist()
        step = excess / slope if excess > 0 and slope > 0 else 0.0
        if theta + step <= theta:  # at the root, or rounding stops the climb
            break
        theta += step
    _, support, sums = levels(theta)
    active = norms_l1 > theta
    support = support.to(y.dtype)
    theta = float(((sums / support)[active].sum() - eta) / (1 / support[active]).sum())
    mu = torch.where(active, ((sums - theta) / support).clamp(min=0), 0)
    mu_expanded = mu.unsqueeze(axis)
    return torch.minimum(torch.maximum(y, -mu_expanded), mu_expanded), (theta, mu)


def torch_zeros_like(y):
    return get_torch().zeros_like(y)


def torch_sign_shrink(y, tau):
    return get_torch().sign(y) * (y.abs() - tau).clamp(min=0)
