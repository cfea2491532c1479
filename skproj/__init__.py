"""skproj: structured sparsity by projection, for NumPy, PyTorch and scikit-learn."""

__version__ = "0.1.0.dev0"

from skproj.feature_selection import ProjectionFeatureSelector  # noqa: E402

__all__ = ["__version__"]
__all__ += ["ProjectionFeatureSelector"]
from skproj.autoencoder import SparseSupervisedAutoencoder  # noqa: E402  (imports torch on use)
__all__ += ["SparseSupervisedAutoencoder"]
