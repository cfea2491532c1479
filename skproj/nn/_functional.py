"""One-shot projection of a parameter, outside the toolkit's bookkeeping.

:func:`project_parameter_` projects a tensor in place and keeps no mask: use
it on a weight you manage yourself.  To keep a model's parameters
constrained during training (masks, schedules, shrinking), attach the
constraint with :func:`skproj.nn.constrain` instead.
"""

from skproj.projections import get_constraint

__all__ = ["project_parameter_"]


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
