"""Projection constraints on the parameters of ``torch.nn`` modules.

Small functions that keep a parameter inside a ball of structured sparsity
during training.  They call the functional API of :mod:`skproj.projections`
(which works on the tensor's memory on the CPU and on the device elsewhere);
they never re-implement a projection.

Typical use, after every optimizer step (projected gradient) or once after a
training phase ("double descent")::

    loss.backward()
    optimizer.step()
    project_parameter_(model[0].weight, "bilevel_l1inf", eta=1.0)

and, to keep the zeros of a projected weight at zero while it is retrained::

    mask = zero_mask(model[0].weight)
    handle = freeze_zeros_(model[0].weight, mask)
    ...                      # train: the gradients of masked entries are zero
    apply_mask_(model[0].weight, mask)   # after each step (Adam, weight decay)
    handle.remove()
"""

from skproj.projections import get_constraint, group_norms

__all__ = [
    "apply_mask_",
    "column_support",
    "freeze_zeros_",
    "group_importances",
    "project_parameter_",
    "zero_mask",
]


def project_parameter_(param, projection, eta=None, *, axis=None):
    r"""Project a parameter in place onto a ball of radius ``eta``.

    For a ``torch.nn.Linear`` weight of shape ``(out_features, in_features)``
    the default ``axis=0`` makes each input feature's column a group, so a
    projection that zeroes groups removes whole input features.

    Parameters
    ----------
    param : torch.Tensor or torch.nn.Parameter
        A 2-D float32 or float64 tensor, on any device.  Modified in place
        (outside autograd).
    projection : str or Constraint
        See :func:`skproj.projections.get_constraint`.
    eta : float, optional
        Radius, :math:`\eta \ge 0` (replaces the constraint's own).
    axis : int, optional
        Axis the inner norm runs along (0: columns are the groups; replaces
        the constraint's own).

    Returns
    -------
    param : torch.Tensor
        The same tensor, now inside the ball.
    """
    import torch

    constraint = get_constraint(projection, eta=eta, axis=axis)
    with torch.no_grad():
        data = param.detach()
        if data.is_contiguous():
            constraint.project(data, out=data)
        else:
            data.copy_(constraint.project(data.contiguous()))
    return param


def zero_mask(param):
    """Boolean mask of the non-zero entries of ``param`` (same shape and device)."""
    return param.detach() != 0


def column_support(param, *, axis=0):
    """Boolean vector: which groups (columns for ``axis=0``) of ``param`` are non-zero."""
    return (param.detach() != 0).any(dim=axis)


def apply_mask_(param, mask):
    """Zero the entries of ``param`` where ``mask`` is False, in place.

    Call it after every optimizer step while a zero pattern is frozen: the
    gradient hook of :func:`freeze_zeros_` stops the gradient, but an optimizer
    with momentum or weight decay could still move a masked entry.
    """
    import torch

    with torch.no_grad():
        param.mul_(mask.to(dtype=param.dtype))
    return param


def freeze_zeros_(param, mask=None):
    """Freeze a zero pattern: the gradient of every masked-out entry is zero.

    Parameters
    ----------
    param : torch.nn.Parameter
        The parameter whose zeros stay zero.
    mask : torch.Tensor of bool, optional
        Entries allowed to change (True) or frozen at zero (False).  By
        default the current non-zero entries (:func:`zero_mask`).  The masked
        entries of ``param`` are set to zero now.

    Returns
    -------
    handle : torch.utils.hooks.RemovableHandle
        ``handle.remove()`` lifts the gradient mask.  Pair with
        :func:`apply_mask_` after each optimizer step.
    """
    if mask is None:
        mask = zero_mask(param)
    apply_mask_(param, mask)
    float_mask = mask.to(dtype=param.dtype)
    return param.register_hook(lambda grad: grad * float_mask)


def group_importances(param, *, axis=0, norm="l2"):
    """Norm of every group of ``param`` as a NumPy float64 vector (CPU)."""
    norms = group_norms(param.detach().to("cpu"), norm, axis=axis)
    return norms.numpy().astype("float64")
