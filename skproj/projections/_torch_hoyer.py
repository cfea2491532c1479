"""GSP on a non-CPU torch device (CUDA), in torch operations.

CPU tensors never come here: the Cython kernel works on their memory.  On a
GPU a full pass over the matrix is cheap and parallel, so the multiplier is
found by a binary search over the groups' largest entries (where g may
jump) and then, between two consecutive tops, where g is continuous and
decreasing, by a safeguarded regula falsi on the threshold, each step evaluating
:math:`g(t) = \\sum_i \\rho_i(t)` element-wise (see ``_hoyer.pyx`` for the
notation and the conventions).  The bracket ``(lo, hi]`` keeps
:math:`g(lo) > K \\ge g(hi)`, so the search converges to
:math:`\\min\\{t : g(t) \\le K\\}` whether the root is a smooth crossing or a
jump.  Each step is one synchronization of the device, which costs more than
the step's arithmetic: the secant point (Illinois variant: the value kept at a
stale end is halved) converges superlinearly where g is smooth, and a step
that does not halve the bracket is followed by a bisection, so the count never
exceeds twice bisection's (about 60 in float64).
"""

import numpy as np

from skproj.projections._torch_backend import get_torch

_MAX_STEPS = 200


def _groups_first(y, axis):
    """View with the groups as rows."""
    return y.T if axis == 0 else y


def _rho(keys, unit, v, t, rho_one):
    """rho of every group at threshold t (1-sparse groups: ``rho_one``).

    Offsets are in units of each group's largest key (``unit`` = 1 / top), so
    that the squares of a group of small entries do not underflow.
    """
    torch = get_torch()
    excess = (keys - t).clamp(min=0) * unit
    numerator = (excess * v).sum(dim=1)
    squares = (excess * excess * v).sum(dim=1)
    return torch.where(squares > 0, numerator / squares.clamp(min=torch.finfo(keys.dtype).tiny)
                       .sqrt(), rho_one)


def group_hoyer(y, sparsity, axis, weights):
    """Return ``(x, t, reached)``; ``weights`` is a float64 NumPy array of the group length."""
    torch = get_torch()
    groups = _groups_first(y, axis).to(torch.float64)
    # (a copy: the unit weights are a shared, read-only array)
    w = torch.tensor(weights, device=y.device, dtype=torch.float64)
    v = w * w
    magnitudes = groups.abs()
    keys = magnitudes / w
    top, argtop = keys.max(dim=1)
    unit = torch.where(top > 0, 1 / top.clamp(min=torch.finfo(torch.float64).tiny), 0)
    unit = unit.unsqueeze(1)
    rho_one = torch.where(top > 0, w[argtop], w.min())
    n_groups = groups.shape[0]
    w_min = float(weights.min())
    w_norm = float(np.sqrt((weights ** 2).sum()))
    target = n_groups * (w_min + (1.0 - sparsity) * (w_norm - w_min))
    if float(_rho(keys, unit, v, 0.0, rho_one).sum()) <= target:
        return y.clone(), 0.0, True
    reached = float(rho_one.sum()) <= target

    def excess(t):  # g(t) - K: positive below the root
        return float(_rho(keys, unit, v, t, rho_one).sum()) - target

    def meets(t):
        return excess(t) <= 0

    # Bracket between two consecutive group tops (binary search over them:
    # the tops may span hundreds of orders of magnitude), then bisect.
    tops = torch.unique(top[top > 0]).tolist()
    lo, hi = 0.0, tops[-1]
    if reached:
        first, last = 0, len(tops) - 1
        while first < last:
            middle = (first + last) // 2
            if meets(tops[middle]):
                last = middle
            else:
                first = middle + 1
        lo, hi = (tops[first - 1] if first else 0.0), tops[first]
        hi = _regula_falsi(excess, lo, hi)
    t = hi
    excess = (keys - t).clamp(min=0) * w * unit
    squares = (excess * excess).sum(dim=1)
    scale = torch.where(squares > 0, (magnitudes * excess).sum(dim=1)
                        / squares.clamp(min=torch.finfo(torch.float64).tiny), 0)
    result = torch.sign(groups) * excess * scale.unsqueeze(1)
    one_sparse = (squares == 0) & (top > 0)
    rows = torch.nonzero(one_sparse).squeeze(1)
    result[rows, argtop[rows]] = groups[rows, argtop[rows]]
    result = result.to(y.dtype)
    return (result.T if axis == 0 else result).contiguous(), t, reached


def _regula_falsi(excess, lo, hi):
    """A threshold within a few ulps above the root of the decreasing ``excess`` in
    ``(lo, hi]``, given ``excess(lo) > 0 >= excess(hi)``: the end ``hi`` of a bracket
    narrowed by Illinois steps, with a bisection after any step that did not halve it."""
    f_lo, f_hi = excess(lo), excess(hi)
    replaced = None  # the end the last step moved
    for _ in range(_MAX_STEPS):
        width = hi - lo
        tolerance = 4 * np.finfo(np.float64).eps * abs(hi)
        if width <= tolerance:
            break
        t = hi - f_hi * width / (f_hi - f_lo)  # f_lo > 0 >= f_hi
        # at least half a tolerance inside, so that the far end moves too at the end
        t = min(max(t, lo + tolerance / 2), hi - tolerance / 2)
        f_t = excess(t)
        if f_t > 0:
            lo, f_lo = t, f_t
            f_hi = f_hi / 2 if replaced == "lo" else f_hi  # Illinois: hi kept twice
            replaced = "lo"
        else:
            hi, f_hi = t, f_t
            f_lo = f_lo / 2 if replaced == "hi" else f_lo
            replaced = "hi"
        if hi - lo > width / 2:
            middle = 0.5 * (lo + hi)
            f_middle = excess(middle)
            if f_middle > 0:
                lo, f_lo = middle, f_middle
            else:
                hi, f_hi = middle, f_middle
            replaced = None
    return hi
