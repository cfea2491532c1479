"""Every class split into a mixture of Gaussian clusters (mixture discriminant analysis).

The lowest piece of the sub-class code: the linear solver (:mod:`skproj._logistic`)
alternates these assignments with its fits, and :mod:`skproj._subclasses`
(which the estimators use) builds on both.
"""

import warnings

import numpy as np
from scipy import sparse
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

__all__ = ["assign_subclasses", "first_pc_split"]


def first_pc_split(Z, n_parts):
    """Split the rows of ``Z`` into ``n_parts`` equal bins along its first principal axis."""
    Zc = Z - Z.mean(axis=0)
    if Zc.shape[1] == 0 or not np.any(Zc):
        scores = np.arange(Z.shape[0], dtype=float)
    else:
        scores = Zc @ np.linalg.svd(Zc, full_matrices=False)[2][0]
    ranks = np.empty(Z.shape[0], dtype=np.intp)
    ranks[np.argsort(scores, kind="stable")] = np.arange(Z.shape[0])
    return ranks * n_parts // Z.shape[0]


def assign_subclasses(X, y, n_classes, n_subclasses, support, previous=None):
    """Split every class into sub-classes with a Gaussian mixture on ``support``.

    Each class is modelled as a mixture of ``n_subclasses`` full-covariance
    Gaussians over the selected features, as in mixture discriminant
    analysis.  The mixtures start from ``previous`` assignments, or from a
    split along the class's first principal axis, so the result is
    deterministic.  Sub-class ``s`` of class ``c`` gets label
    ``c * n_subclasses + s``.
    """
    labels = np.empty(y.shape[0], dtype=np.intp)
    # columns first: a copy of the selected features only, never of a whole class
    selected = X[:, support] if support.any() else X
    for k in range(n_classes):
        rows = np.flatnonzero(y == k)
        Z = selected[rows]
        if sparse.issparse(Z):  # the selected columns of one class: small
            Z = Z.toarray()
        if previous is None:
            init = first_pc_split(Z, n_subclasses)
        else:
            init = previous[rows] - k * n_subclasses
        sizes = np.bincount(init, minlength=n_subclasses)
        if rows.shape[0] < 2 * n_subclasses or np.any(sizes < 2) or not support.any():
            labels[rows] = k * n_subclasses + init
            continue
        try:
            assigned = _fit_mixture(Z.astype(np.float64), init, sizes, n_subclasses)
        except (ValueError, np.linalg.LinAlgError):
            # Too few samples (or constant features) for full covariances,
            # e.g. a class of 8 cells on 20 genes: keep the starting split.
            assigned = init
        if np.unique(assigned).shape[0] < n_subclasses:
            assigned = init  # a component emptied: keep the previous split
        labels[rows] = k * n_subclasses + assigned
    return labels


def _fit_mixture(Z, init, sizes, n_subclasses):
    """Labels of a full-covariance Gaussian mixture started from the split ``init``."""
    means = np.stack([Z[init == s].mean(axis=0) for s in range(n_subclasses)])
    reg = 1e-3 * max(float(Z.var(axis=0).mean()), np.finfo(np.float64).tiny)
    precisions = np.stack([
        np.linalg.inv(np.atleast_2d(np.cov(Z[init == s], rowvar=False))
                      + reg * np.eye(Z.shape[1]))
        for s in range(n_subclasses)
    ])
    if not np.all(np.isfinite(precisions)):
        raise ValueError("singular covariance")
    mixture = GaussianMixture(
        n_subclasses, covariance_type="full", reg_covar=reg,
        weights_init=sizes / sizes.sum(), means_init=means,
        precisions_init=precisions,
        init_params="random_from_data", random_state=0,  # unused: all given
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return mixture.fit(Z).predict(Z)
