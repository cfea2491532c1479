"""GSP on a non-CPU torch device (CUDA), in torch operations.

CPU tensors never come here: the Cython kernel works on their memory.  On a
GPU a full pass over the matrix is cheap and parallel, so the multiplier is
found by bisection on the threshold, each step evaluating
:math:`g(t) = \\sum_i \\rho_i(t)` element-wise (see ``_hoyer.pyx`` for the
notation and the conventions); bisection converges to
:math:`\\min\\{t : g(t) \\le K\\}` whether the root is a smooth crossing or a
jump.  About 60 steps in float64.
"""

import numpy as np

from skproj.projections._torch_backend import get_torch

_MAX_STEPS = 200


def _groups_first(y, axis):
    """View with the groups as rows."""
    return y.T if axis == 0 else y


def _rho(keys, w, v, t, rho_one):
    """rho of every group at threshold t (1-sparse groups: ``rho_one``)."""
    torch = get_torch()
    excess = (keys - t).clamp(min=0)
    numerator = (excess * v).sum(dim=1)
    squares = (excess * excess * v).sum(dim=1)
    return torch.where(squares > 0, numerator / squares.clamp(min=torch.finfo(keys.dtype).tiny)
                       .sqrt(), rho_one)


def group_hoyer(y, sparsity, axis, weights):
    """Return ``(x, t, reached)``; ``weights`` is a float64 NumPy array of the group length."""
    torch = get_torch()
    groups = _groups_first(y, axis).to(torch.float64)
    w = torch.as_tensor(weights, device=y.device, dtype=torch.float64)
    v = w * w
    magnitudes = groups.abs()
    keys = magnitudes / w
    top, argtop = keys.max(dim=1)
    rho_one = torch.where(top > 0, w[argtop], w.min())
    n_groups = groups.shape[0]
    w_min = float(weights.min())
    w_norm = float(np.sqrt((weights ** 2).sum()))
    target = n_groups * (w_min + (1.0 - sparsity) * (w_norm - w_min))
    if float(_rho(keys, w, v, 0.0, rho_one).sum()) <= target:
        return y.clone(), 0.0, True
    lo, hi = 0.0, float(top.max())
    reached = float(rho_one.sum()) <= target
    if reached:
        for _ in range(_MAX_STEPS):
            middle = 0.5 * (lo + hi)
            if middle <= lo or middle >= hi:
                break
            if float(_rho(keys, w, v, middle, rho_one).sum()) <= target:
                hi = middle
            else:
                lo = middle
    t = hi
    excess = (keys - t).clamp(min=0) * w
    squares = (excess * excess).sum(dim=1)
    scale = torch.where(squares > 0, (magnitudes * excess).sum(dim=1)
                        / squares.clamp(min=torch.finfo(torch.float64).tiny), 0)
    result = torch.sign(groups) * excess * scale.unsqueeze(1)
    one_sparse = (squares == 0) & (top > 0)
    rows = torch.nonzero(one_sparse).squeeze(1)
    result[rows, argtop[rows]] = groups[rows, argtop[rows]]
    result = result.to(y.dtype)
    return (result.T if axis == 0 else result).contiguous(), t, reached
