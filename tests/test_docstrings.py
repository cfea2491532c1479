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
    "skproj.feature_selection._stability",
    "skproj.nn._constraints",
    "skproj.autoencoder._sae",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    if name.startswith(("skproj.nn", "skproj.autoencoder")):
        pytest.importorskip("torch")
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
