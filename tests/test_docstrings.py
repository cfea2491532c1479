"""The examples in the public docstrings run and print what they show."""

import doctest
import importlib

import pytest

MODULES = [
    "skproj.projections._vector",
    "skproj.projections._matrix",
    "skproj.datasets",
    "skproj._logistic",
    "skproj.feature_selection._cv",
    "skproj.feature_selection._linear",
    "skproj.feature_selection._selector",
    "skproj.projections._constraints",
    "skproj.nn._prune",
    "skproj.nn._shrink",
    "skproj.nn._proximal",
    "skproj.neural_network._mlp",
    "skproj.autoencoder._sae",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    if name.startswith(("skproj.nn", "skproj.autoencoder", "skproj.neural_network")):
        pytest.importorskip("torch")
    module = importlib.import_module(name)
    # Solver output is compared up to ellipses, as scikit-learn's doctests do.
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
