"""skproj: structured sparsity by projection, for NumPy, PyTorch and scikit-learn.

- :mod:`skproj.projections`: the projections (functional API);
- :mod:`skproj.nn`: the projections as constraints on PyTorch parameters;
- :class:`ProjectionFeatureSelector` and :class:`SparseSupervisedAutoencoder`:
  scikit-learn estimators built on them;
- :mod:`skproj.datasets`: the papers' synthetic data sets.

PyTorch is optional: the autoencoder imports it when it is used.
"""

__version__ = "0.1.0.dev0"

from skproj.autoencoder import SparseSupervisedAutoencoder  # noqa: E402
from skproj.feature_selection import ProjectionFeatureSelector  # noqa: E402

__all__ = ["ProjectionFeatureSelector", "SparseSupervisedAutoencoder", "__version__"]
