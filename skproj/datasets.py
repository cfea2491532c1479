"""Built-in synthetic data sets: the papers' "data-64" and "data-16" benchmarks."""

import numpy as np
from sklearn.datasets import make_classification

__all__ = ["make_sparse_classification"]


def make_sparse_classification(n_informative=64, *, n_samples=1000, n_features=1000,
                               random_state=0):
    """Wide two-class data where only the first ``n_informative`` features matter.

    The synthetic sets of Barlaud, Perez and Marmorat (2024):
    ``make_classification(n_samples=1000, n_features=1000, n_informative=64
    (data-64) or 16 (data-16), n_redundant=0, shuffle=False)``.  The classes
    are Gaussian clusters at the vertices of a hypercube in the informative
    subspace, so part of the signal is not linear; the other features are
    noise.

    Parameters
    ----------
    n_informative : int, default=64
        Number of informative features (the first columns).
    n_samples : int, default=1000
        Number of samples.
    n_features : int, default=1000
        Number of features.
    random_state : int, RandomState instance or None, default=0
        Seed of the generator.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The samples (not standardized).
    y : ndarray of shape (n_samples,)
        The class labels, 0 or 1.
    informative : ndarray of bool, shape (n_features,)
        Mask of the informative features.

    References
    ----------
    .. [1] M. Barlaud, G. Perez, J.-P. Marmorat, "A new linear time bi-level
       l1,inf projection; application to the sparsification of auto-encoders
       neural networks", arXiv:2407.16293 (2024).

    Examples
    --------
    >>> from skproj.datasets import make_sparse_classification
    >>> X, y, informative = make_sparse_classification(16)
    >>> X.shape, int(informative.sum())
    ((1000, 1000), 16)
    """
    X, y = make_classification(
        n_samples=n_samples, n_features=n_features, n_informative=n_informative,
        n_redundant=0, shuffle=False, random_state=random_state,
    )
    informative = np.zeros(n_features, dtype=bool)
    informative[:n_informative] = True
    return X, y, informative
