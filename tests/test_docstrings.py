"""The examples in the public docstrings run and print what they show."""

import doctest
import importlib

import pytest

MODULES = [
    "skproj.projections._vector",
    "skproj.projections._matrix",
    "skproj.datasets",
    "skproj.feature_selection._linear",
    "skproj.feature_selection._selector",
    "skproj.nn._constraints",
    "skproj.nn._proximal",
    "skproj.neural_network._mlp",
    "skproj.autoencoder._sae",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    if name.startswith(("skproj.nn", "skproj.autoencoder", "skproj.neural_network")):
        pytest.importorskip("torch")
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
