"""The package's top level: what importing it costs, and its lazy estimators."""

import pytest

import skproj

from fresh_python import run_python

# Imported by the estimators, not by the functional API or the pruning toolkit.
HEAVY = ["sklearn", "scipy", "pandas", "torch", "matplotlib"]


@pytest.mark.parametrize("module", ["skproj", "skproj.projections", "skproj.nn"])
def test_importing_the_functional_api_loads_no_estimator_dependency(module):
    """``import skproj.projections`` (or ``skproj.nn``) leaves scikit-learn,
    SciPy, pandas and torch unloaded: they cost seconds at start-up."""
    loaded = run_python(["-c", f"import sys, {module}\n"
                               f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"]
                        ).stdout.split()
    assert loaded == []


def test_estimators_are_importable_from_the_top_level():
    from skproj import ProjectionFeatureSelector, SparseSupervisedAutoencoder
    from skproj.autoencoder import SparseSupervisedAutoencoder as from_module
    from skproj.feature_selection import ProjectionFeatureSelector as selector

    assert SparseSupervisedAutoencoder is from_module
    assert ProjectionFeatureSelector is selector
    assert all(hasattr(skproj, name) for name in skproj.__all__)
    assert {"ProjectionFeatureSelector", "SparseSupervisedAutoencoder"} <= set(dir(skproj))


def test_unknown_top_level_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'Selector'"):
        skproj.Selector  # noqa: B018
    assert not hasattr(skproj, "Selector")
