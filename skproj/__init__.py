"""skproj: structured sparsity by projection, for NumPy, PyTorch and scikit-learn."""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
