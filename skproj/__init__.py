"""skproj: structured sparsity by projection, for NumPy, PyTorch and scikit-learn.

- :mod:`skproj.projections`: the projections (functional API);
- :mod:`skproj.nn`: the projections as constraints on PyTorch parameters;
- :class:`ProjectionFeatureSelector` and :class:`SparseSupervisedAutoencoder`:
  scikit-learn estimators built on them;
- :mod:`skproj.datasets`: the papers' synthetic data sets.

PyTorch is optional: the autoencoder imports it when it is used.
"""

__version__ = "0.1.0.dev0"

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:   # (the names for static analysis; at run time, __getattr__ below)
    from skproj.autoencoder import SparseSupervisedAutoencoder
    from skproj.feature_selection import ProjectionFeatureSelector

# The estimators are imported when first asked for (PEP 562), as NumPy and
# SciPy load their submodules: they bring in scikit-learn, SciPy and pandas,
# about two seconds of ``import skproj.projections`` or ``import skproj.nn``
# that the functional API and the pruning toolkit never use.
_ESTIMATORS = {
    "ProjectionFeatureSelector": "skproj.feature_selection",
    "SparseSupervisedAutoencoder": "skproj.autoencoder",
}

__all__ = ["ProjectionFeatureSelector", "SparseSupervisedAutoencoder", "__version__"]


def __getattr__(name):
    module = _ESTIMATORS.get(name)
    if module is None:
        raise AttributeError(f"module 'skproj' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value     # (later lookups do not come here)
    return value


def __dir__():
    return sorted(set(globals()) | set(_ESTIMATORS))
