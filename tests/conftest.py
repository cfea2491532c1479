import numpy as np
import pytest
from hypothesis import settings

# derandomize: the same examples on every run, so that a CI run is repeatable
# (a failure found while developing is added as an explicit example instead).
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True)
settings.load_profile("ci")


def pytest_collection_modifyitems(config, items):
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except ImportError:
        has_cuda = False
    skip = pytest.mark.skip(reason="needs a CUDA device; none is available here")
    for item in items:
        if "cuda" in item.keywords and not has_cuda:
            item.add_marker(skip)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
