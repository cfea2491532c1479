"""skproj.nn: projections applied in place to torch parameters, frozen zero patterns."""

import numpy as np
import pytest

from skproj import projections as P
from skproj.nn import (
    apply_mask_,
    column_support,
    freeze_zeros_,
    group_importances,
    project_parameter_,
    zero_mask,
)

torch = pytest.importorskip("torch")


def _linear(n_in=30, n_out=8, seed=0):
    torch.manual_seed(seed)
    return torch.nn.Linear(n_in, n_out)


@pytest.mark.parametrize("name", P.MATRIX_CONSTRAINTS)
def test_project_parameter_matches_functional_api(name):
    layer = _linear()
    expected = P.get_constraint(name, eta=0.3).project(layer.weight.detach().numpy().copy())
    before = layer.weight
    out = project_parameter_(layer.weight, name, 0.3)
    assert out is before and layer.weight is before  # in place, same Parameter
    assert layer.weight.requires_grad
    np.testing.assert_allclose(layer.weight.detach().numpy(), expected, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("axis", [0, 1])
def test_project_parameter_axis_and_norm(axis):
    layer = _linear()
    project_parameter_(layer.weight, "bilevel_l1inf", 0.2, axis=axis)
    assert float(P.l1inf_norm(layer.weight.detach(), axis=axis)) <= 0.2 * (1 + 1e-5)


def test_project_parameter_non_contiguous():
    base = torch.randn(30, 8, dtype=torch.float64)
    view = base.t()  # (8, 30), not contiguous
    expected = P.bilevel_l1inf(view.contiguous(), 0.5)
    project_parameter_(view, "bilevel_l1inf", 0.5)
    torch.testing.assert_close(view, expected)
    torch.testing.assert_close(base.t(), expected)


def test_project_parameter_object_and_bad_name():
    layer = _linear()
    project_parameter_(layer.weight, P.BilevelL12(0.4))
    assert float(P.l12_norm(layer.weight.detach())) <= 0.4 * (1 + 1e-5)
    with pytest.raises(ValueError, match="unknown constraint 'l1inf'"):
        P.get_constraint("l1inf")


def test_projection_leaves_autograd_graph_clean():
    layer = _linear()
    x = torch.randn(5, 30)
    project_parameter_(layer.weight, "bilevel_l1inf", 0.1)
    layer(x).sum().backward()  # no "modified by an inplace operation" error
    assert layer.weight.grad is not None


def test_freeze_zeros_blocks_gradient_and_optimizer_drift():
    layer = _linear()
    project_parameter_(layer.weight, "bilevel_l1inf", 0.1)
    mask = zero_mask(layer.weight)
    assert 0 < int(column_support(layer.weight).sum()) < 30
    handle = freeze_zeros_(layer.weight, mask)
    optimizer = torch.optim.Adam(layer.parameters(), lr=0.1, weight_decay=0.1)
    x = torch.randn(64, 30)
    for _ in range(5):
        optimizer.zero_grad()
        layer(x).pow(2).sum().backward()
        assert torch.all(layer.weight.grad[~mask] == 0)
        optimizer.step()
        apply_mask_(layer.weight, mask)
        assert torch.all(layer.weight.detach()[~mask] == 0)
    handle.remove()
    optimizer.zero_grad()
    layer(x).pow(2).sum().backward()
    assert torch.any(layer.weight.grad[~mask] != 0)  # hook lifted


def test_freeze_zeros_default_mask_is_current_support():
    layer = _linear()
    with torch.no_grad():
        layer.weight[:, :10] = 0
    freeze_zeros_(layer.weight)
    layer(torch.randn(4, 30)).sum().backward()
    assert torch.all(layer.weight.grad[:, :10] == 0)
    assert torch.any(layer.weight.grad[:, 10:] != 0)


def test_group_importances():
    layer = _linear()
    project_parameter_(layer.weight, "bilevel_l1inf", 0.1)
    imp = group_importances(layer.weight, norm="linf")
    assert imp.dtype == np.float64 and imp.shape == (30,)
    np.testing.assert_allclose(imp, layer.weight.detach().abs().amax(0).numpy(), rtol=1e-6)
    np.testing.assert_array_equal(imp > 0, column_support(layer.weight).numpy())


@pytest.mark.cuda
def test_project_parameter_on_cuda():
    layer = _linear().cuda()
    project_parameter_(layer.weight, "bilevel_l1inf", 0.1)
    assert layer.weight.device.type == "cuda"
    assert float(P.l1inf_norm(layer.weight.detach())) <= 0.1 * (1 + 1e-5)
