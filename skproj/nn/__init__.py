"""PyTorch glue: keep ``torch.nn`` parameters inside projection balls.

The functions apply a projection of :mod:`skproj.projections` to a parameter
in place (outside autograd) and freeze a zero pattern while a network is
retrained.  torch is imported only when they are called.
"""

from skproj.nn._callbacks import Callback, CallbackList
from skproj.nn._constraints import (
    apply_mask_,
    column_support,
    freeze_zeros_,
    group_importances,
    project_parameter_,
    zero_mask,
)

__all__ = [
    "Callback",
    "CallbackList",
    "apply_mask_",
    "column_support",
    "freeze_zeros_",
    "group_importances",
    "project_parameter_",
    "zero_mask",
]
