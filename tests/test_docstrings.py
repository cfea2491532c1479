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
    "skproj.projections._constraints",
    "skproj.projections._group_hoyer",
    "skproj.decomposition._sparse_nmf",
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


@pytest.mark.parametrize("name", ["skproj.projections._matrix", "skproj.projections._constraints"])
def test_shared_docstring_sections_are_filled_in(name):
    """The functions whose docstrings share their parameters, returns and
    raises (``{parameters}`` and the like, filled in by a decorator) show no
    placeholder left: a function defined without its decorator would."""
    module = importlib.import_module(name)
    for public in module.__all__:
        doc = getattr(module, public).__doc__
        assert "{parameters" not in doc and "{raises}" not in doc, public
