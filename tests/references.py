"""Independent reference implementations used by the tests (sort-based, closed forms).

Nothing here shares code with skproj: these are the textbook algorithms,
written for clarity, in float64.
"""

import numpy as np


def simplex_threshold_sorted(values, radius):
    """Duchi et al.'s sort-based threshold tau: sum(max(values - tau, 0)) = radius."""
    ordered = np.sort(np.asarray(values, dtype=np.float64).ravel())[::-1]
    cumulative = np.cumsum(ordered) - radius
    ranks = np.arange(1, ordered.size + 1)
    # (the largest value is always in the support: where the radius is below
    # its last bit, ordered[0] > ordered[0] - radius rounds to False)
    support = max(np.nonzero(ordered * ranks > cumulative)[0][-1:], default=0) + 1
    return cumulative[support - 1] / support


def l1_ball(y, radius):
    y = np.asarray(y, dtype=np.float64)
    if np.abs(y).sum() <= radius:
        return y.copy()
    if radius == 0:
        return np.zeros_like(y)
    tau = simplex_threshold_sorted(np.abs(y), radius)
    return np.sign(y) * np.maximum(np.abs(y) - tau, 0)


def simplex(y, radius):
    y = np.asarray(y, dtype=np.float64)
    if radius == 0:
        return np.zeros_like(y)
    return np.maximum(y - simplex_threshold_sorted(y, radius), 0)


def groups_first(Y, axis):
    """Groups as rows of the returned array."""
    return np.asarray(Y, dtype=np.float64).T if axis == 0 else np.asarray(Y, dtype=np.float64)


def bilevel(Y, radius, inner, axis):
    """Bi-level projection with inner norm ``inner`` in {"linf", "l1", "l2"}."""
    G = groups_first(Y, axis)
    norm = {"linf": lambda g: np.abs(g).max(initial=0),
            "l1": lambda g: np.abs(g).sum(),
            "l2": lambda g: np.sqrt((g ** 2).sum())}[inner]
    t = np.array([norm(g) for g in G])
    u = l1_ball(t, radius)
    X = np.empty_like(G)
    for j, g in enumerate(G):
        if inner == "linf":
            X[j] = np.clip(g, -u[j], u[j])
        elif inner == "l1":
            X[j] = l1_ball(g, u[j])
        else:
            X[j] = g * (u[j] / t[j]) if t[j] > 0 else 0
    return X.T if axis == 0 else X


def group_norm(Y, inner, axis):
    G = groups_first(Y, axis)
    if G.shape[1] == 0:
        return 0.0
    if inner == "linf":
        return np.abs(G).max(axis=1).sum()
    if inner == "l1":
        return np.abs(G).sum()
    return np.sqrt((G ** 2).sum(axis=1)).sum()


def vector_norm(values, kind):
    """The ``"l1"``, ``"l2"`` or ``"linf"`` norm of a whole array, in float64."""
    magnitudes = np.abs(np.asarray(values, dtype=np.float64)).ravel()
    if kind == "linf":
        return float(magnitudes.max(initial=0.0))
    return float(np.sqrt(np.sum(magnitudes ** 2)) if kind == "l2" else magnitudes.sum())
