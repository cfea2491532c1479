"""GroupHoyer as a constraint object and GSP pruning through the skproj.nn toolkit."""

import numpy as np
import pytest
from sklearn.base import clone

from skproj import projections as P

torch = pytest.importorskip("torch")
from recording import record_dual_inits  # noqa: E402
from skproj.nn import ProjectEvery, ProjectThenFreeze, constrain  # noqa: E402


def _filter_sparsity(conv):
    """Average Hoyer sparsity of the filters (one row per output channel)."""
    weight = conv.weight.detach().reshape(conv.weight.shape[0], -1).double().numpy()
    return P.hoyer_sparsity(weight, axis=1)[1]


# ---------------------------------------------------------------- the constraint object

@pytest.mark.parametrize("axis", [0, 1])
def test_object_and_function_give_bit_identical_projections(axis):
    Y = np.random.default_rng(0).standard_normal((12, 30))
    target = P.get_constraint("group_hoyer", eta=0.7, axis=axis)
    assert isinstance(target, P.GroupHoyer) and target.level == 0.7 and target.axis == axis
    expected = P.project_group_hoyer(Y, 0.7, axis=axis)
    np.testing.assert_array_equal(target.project(Y), expected)
    out = np.empty_like(Y)
    assert target.project(Y, out=out) is out
    np.testing.assert_array_equal(out, expected)
    assert target.norm(expected) >= 0.7 - 1e-9
    np.testing.assert_allclose(target.group_sparsity(expected).mean(), target.norm(expected))
    np.testing.assert_allclose(target.group_norms(Y), np.linalg.norm(Y, axis=axis))


def test_parameters_clone_and_weights():
    w = np.linspace(1.0, 2.0, 12)
    target = P.GroupHoyer(0.6, axis=0, weights=w)
    assert clone(target) == target and clone(target) is not target
    assert target.with_level(0.9).sparsity == 0.9 and target.sparsity == 0.6
    assert "GroupHoyer(sparsity=0.6" in repr(target)
    Y = np.random.default_rng(1).standard_normal((12, 5))
    np.testing.assert_array_equal(target.project(Y),
                                  P.project_group_hoyer(Y, 0.6, weights=w))


def test_a_sparsity_target_is_not_a_radius():
    target = P.GroupHoyer(0.5)
    assert "group_hoyer" in P.CONSTRAINTS and "group_hoyer" not in P.MATRIX_CONSTRAINTS
    with pytest.raises(ValueError, match="never zeroes a group"):
        target.radius_for_groups(np.ones((3, 3)), 1)
    with pytest.raises(ValueError, match="sparsity"):
        P.GroupHoyer(1.5).project(np.ones((3, 3)))


def test_warm_start_from_a_multiplier():
    """``dual_init`` and ``return_dual`` reach project_group_hoyer: from a nearby
    matrix's multiplier, the same projection up to rounding, and its own."""
    rng = np.random.default_rng(2)
    Y = rng.standard_normal((40, 300))
    target = P.GroupHoyer(0.8)
    assert target.warm_starts and not P.L1Ball(1.0).warm_starts
    _, mu = target.project(Y, return_dual=True)
    Z = Y + 0.01 * rng.standard_normal(Y.shape)
    cold, mu_cold = P.project_group_hoyer(Z, 0.8, return_dual=True)
    warm, mu_warm = target.project(Z, dual_init=mu, return_dual=True)
    assert mu > 0 and mu_warm != mu
    np.testing.assert_allclose(mu_warm, mu_cold, rtol=1e-12)
    np.testing.assert_allclose(warm, cold, rtol=0, atol=1e-12 * np.abs(cold).max())


def test_the_toolkit_warm_starts_each_step_from_the_last(monkeypatch):
    """A parameter's GSP projection starts from the multiplier of its last one
    (none at first, nor after one that left the weight as it was): the
    projections the optimizer's steps call are those a cold start makes, up
    to rounding."""
    calls = record_dual_inits(monkeypatch, "project_group_hoyer")
    layer = torch.nn.Linear(300, 40)
    target = constrain(layer, "weight", "group_hoyer", eta=0.8, groups="outputs")
    duals = []
    for step in range(3):
        with torch.no_grad():
            layer.weight.add_(0.01 * torch.randn_like(layer.weight))
        before = layer.weight.detach().double().numpy().copy()
        target.project()
        duals.append(target._dual)
        expected = P.project_group_hoyer(before, 0.8, axis=1)
        np.testing.assert_allclose(layer.weight.detach().numpy(), expected,
                                   rtol=0, atol=1e-6 * np.abs(expected).max())
    assert calls == [None] + duals[:-1] and all(dual > 0 for dual in duals)
    target.constraint = P.GroupHoyer(0.0)   # inside the set: the multiplier 0
    target.project()
    target.constraint = P.GroupHoyer(0.8)
    target.project()
    assert calls[-2:] == [duals[-1], None]


# ---------------------------------------------------------------- pruning

def _data(n=256, seed=0):
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(n, 2, 8, 8, generator=generator)
    y = (X[:, 0, 2:6, 2:6].mean((1, 2)) > X[:, 1].mean((1, 2))).long()
    return X, y


def _model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(2, 8, 3), torch.nn.ReLU(),
                               torch.nn.Flatten(), torch.nn.Linear(8 * 36, 2))


def _train(model, X, y, n_epochs, callbacks=()):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for _ in range(n_epochs):
        for batch in torch.arange(len(X)).split(32):
            loss = torch.nn.functional.cross_entropy(model(X[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            for callback in callbacks:
                callback.on_step_end(model)
        for callback in callbacks:
            callback.on_epoch_end(model)


def test_projecting_filters_reaches_the_target():
    model = _model()
    filters = constrain(model[0], "weight", "group_hoyer", eta=0.8, groups="outputs")
    assert filters.constraint == P.GroupHoyer(0.8, axis=1)
    before = model[0].weight.detach().clone()
    filters.project()
    assert _filter_sparsity(model[0]) >= 0.8 - 1e-6
    reference = P.project_group_hoyer(before.reshape(8, -1).double().numpy(), 0.8, axis=1)
    np.testing.assert_allclose(model[0].weight.detach().reshape(8, -1).numpy(), reference,
                               rtol=1e-5, atol=1e-6)
    assert filters.support().all()   # GSP sparsifies inside the filters, keeps them all


def test_induced_gsp_projects_every_k_steps():
    X, y = _data()
    model = _model()
    filters = constrain(model[0], "weight", "group_hoyer", eta=0.7, groups="outputs")
    schedule = ProjectEvery(filters, every=8)
    _train(model, X, y, n_epochs=2, callbacks=[schedule])   # 16 steps: ends on a projection
    assert schedule.n_steps == 16
    assert _filter_sparsity(model[0]) >= 0.7 - 1e-6


def test_single_shot_gsp_then_fine_tune_with_frozen_zeros():
    X, y = _data()
    model = _model()
    _train(model, X, y, n_epochs=3)
    filters = constrain(model[0], "weight", "group_hoyer", eta=0.85, groups="outputs")
    ProjectThenFreeze(filters, at_epoch=1).on_epoch_end(model)
    zeros = model[0].weight.detach() == 0
    assert zeros.any() and _filter_sparsity(model[0]) >= 0.85 - 1e-6
    _train(model, X, y, n_epochs=3)                        # fine-tuning
    assert (model[0].weight.detach()[zeros] == 0).all()    # the pruned weights stay pruned
    with torch.no_grad():
        accuracy = float((model(X).argmax(1) == y).float().mean())
    assert accuracy > 0.8
