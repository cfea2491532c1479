"""PyTorch glue: keep ``torch.nn`` parameters inside projection balls.

The proximal l1 step (:class:`ProximalL1`) and :func:`fit_to_nonzeros`, which
chooses its strength for a target number of non-zero weights, train networks
with an l1 penalty instead of a constraint.

The functions apply a projection of :mod:`skproj.projections` to a parameter
in place (outside autograd) and freeze a zero pattern while a network is
retrained.  torch is imported only when they are called.
"""

from skproj.nn._callbacks import Callback, CallbackList
from skproj.nn._loop import run_epochs
from skproj.nn._constraints import (
    apply_mask_,
    column_support,
    freeze_zeros_,
    group_importances,
    project_parameter_,
    zero_mask,
)
from skproj.nn._proximal import (
    L1TargetResult,
    ProximalL1,
    count_nonzeros,
    fit_to_nonzeros,
    l1_weights,
    soft_threshold_,
)

__all__ = [
    "Callback",
    "CallbackList",
    "L1TargetResult",
    "ProximalL1",
    "apply_mask_",
    "column_support",
    "count_nonzeros",
    "fit_to_nonzeros",
    "freeze_zeros_",
    "group_importances",
    "l1_weights",
    "project_parameter_",
    "run_epochs",
    "soft_threshold_",
    "zero_mask",
]
