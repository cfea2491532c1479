"""Sub-classes: every class split into Gaussian clusters, for the estimators.

Shared by the estimators that model a class as several clusters (mixture
discriminant analysis): :class:`~skproj.feature_selection.ProjectedLogisticRegression`
with ``n_subclasses > 1`` and :class:`~skproj.autoencoder.SparseSupervisedAutoencoder`
with ``n_subclasses > 1``.  The Gaussian mixtures live in :mod:`skproj._mixture`,
the constrained linear model in :mod:`skproj._logistic`; this module puts them
together.
"""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_array

from skproj._logistic import fit_n_features
from skproj._mixture import assign_subclasses, first_pc_split

__all__ = ["assign_subclasses", "first_pc_split", "subclasses_at_sparsity"]


def subclasses_at_sparsity(X, y, n_classes, n_subclasses, n_features, *,
                           projection="bilevel_l1inf"):
    """Sub-class labels by mixture discriminant analysis at a given sparsity.

    Fits the constrained logistic regression of the classes at the radius
    that keeps exactly ``n_features`` features (the radius search of
    :func:`skproj._logistic.fit_n_features`), splits every class into
    ``n_subclasses`` Gaussian clusters on those features, and alternates
    between the mixtures and the search on the model of the sub-classes until
    the assignment is stable, as :class:`ProjectedLogisticRegression` with
    ``n_subclasses > 1`` does.  The convex model makes this a fast and
    deterministic start for the sub-classes of
    :class:`~skproj.autoencoder.SparseSupervisedAutoencoder`.

    ``X`` should be standardized and ``y`` hold the encoded classes
    ``0 .. n_classes - 1``.  Returns the labels ``c * n_subclasses + s``.
    """
    X = check_array(X, accept_sparse=["csr", "csc"], dtype=[np.float64, np.float32])
    n_features = min(int(n_features), X.shape[1])
    with warnings.catch_warnings():
        # Only the supports and the clusters matter here, not the last digits
        # of the coefficients: a fit stopped at max_iter is good enough.
        warnings.simplefilter("ignore", ConvergenceWarning)
        # a count off by a tie is fine too
        warnings.filterwarnings("ignore", message="No radius was found", category=UserWarning)
        return fit_n_features(X, np.asarray(y), n_classes, n_features,
                              n_subclasses=n_subclasses, projection=projection)[4]
