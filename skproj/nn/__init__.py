"""skproj.nn: sparsify any PyTorch model under an explicit constraint.

A pruning toolkit in the manner of ``torch.nn.utils.prune`` and
``torch.nn.utils.parametrize``, whose pruning is a *projection* onto a ball of
structured sparsity (:mod:`skproj.projections`), so whole input features,
neurons or filters drop out:

- :func:`constrain` attaches a constraint to a parameter (groups: input
  features or neurons of a ``Linear``; input channels or filters of a
  convolution); the zero mask is a buffer of the module, enforced after every
  optimizer step whatever the optimizer; :func:`remove` makes it permanent;
- :class:`GlobalConstraint` shares one budget (a radius, or a number of groups)
  between several parameters;
- schedules are :class:`Callback` objects driven by any training loop (and by
  skorch through :func:`skorch_callback`): :class:`ProjectEvery`,
  :class:`ProjectThenFreeze` ("double descent"), :class:`ShrinkingRounds`;
- :func:`shrink` builds the physically smaller model; :func:`sparsity_report`
  reports the groups and weights kept per layer;
- the penalty form of the same prior: :class:`ProximalL1` soft-thresholds the
  weights after every optimizer step, and :func:`fit_to_nonzeros` chooses its
  strength for a target number of non-zero weights, globally or per layer;
  :class:`ClosestToTarget` keeps a trial's epoch closest to the target;
  :func:`keep_largest_` is magnitude pruning, the baseline;
  :func:`run_epochs` is a plain training loop that drives the callbacks, and
  :class:`BestWeights` stops it early on a validation loss.

torch is imported only when these are called.
"""

from skproj.nn._callbacks import Callback, CallbackList
from skproj.nn._early_stopping import BestWeights
from skproj.nn._functional import project_parameter_
from skproj.nn._loop import run_epochs
from skproj.nn._prune import (
    GROUPINGS,
    GlobalConstraint,
    ParameterConstraint,
    constrain,
    constraints_of,
    enforce_masks_,
    remove,
)
from skproj.nn._proximal import (
    ClosestToTarget,
    L1TargetResult,
    ProximalL1,
    adaptive_penalty_scale,
    copy_zeros_,
    count_nonzeros,
    fit_to_nonzeros,
    freeze_zeros,
    keep_largest_,
    l1_weights,
    soft_threshold_,
)
from skproj.nn._schedules import ProjectEvery, ProjectThenFreeze, ShrinkingRounds, skorch_callback
from skproj.nn._shrink import format_report, shrink, sparsity_report

__all__ = [
    "GROUPINGS",
    "BestWeights",
    "Callback",
    "CallbackList",
    "ClosestToTarget",
    "GlobalConstraint",
    "L1TargetResult",
    "ParameterConstraint",
    "ProjectEvery",
    "ProjectThenFreeze",
    "ProximalL1",
    "ShrinkingRounds",
    "adaptive_penalty_scale",
    "constrain",
    "constraints_of",
    "copy_zeros_",
    "count_nonzeros",
    "enforce_masks_",
    "fit_to_nonzeros",
    "format_report",
    "freeze_zeros",
    "keep_largest_",
    "l1_weights",
    "project_parameter_",
    "remove",
    "run_epochs",
    "shrink",
    "skorch_callback",
    "soft_threshold_",
    "sparsity_report",
]
