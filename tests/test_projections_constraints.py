"""Constraint objects: same projections as the functions, norms, supports, radius_for_groups."""

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from skproj import projections as P

FUNCTIONS = {
    "l1_ball": P.project_l1_ball,
    "simplex": P.project_simplex,
    "l2_ball": P.project_l2_ball,
    "linf_ball": P.project_linf_ball,
    "bilevel_l1inf": P.bilevel_l1inf,
    "bilevel_l11": P.bilevel_l11,
    "bilevel_l12": P.bilevel_l12,
    "l1inf_ball": P.project_l1inf_ball,
    "l12_ball": P.project_l12_ball,
}
ZEROING = [name for name, cls in P.CONSTRAINTS.items() if cls.zeroes_groups]


def _matrix(seed=0, shape=(12, 30)):
    rng = np.random.default_rng(seed)
    # column scales spread out so that the group norms are distinct
    return rng.standard_normal(shape) * rng.uniform(0.1, 3.0, shape[1])


def _n_kept(constraint, Y, radius):
    ball = constraint.with_params(eta=radius)
    return int(np.count_nonzero(ball.support(ball.project(Y))))


def test_every_name_is_registered():
    assert sorted(P.CONSTRAINTS) == sorted([*FUNCTIONS, "group_hoyer"])
    assert set(P.MATRIX_CONSTRAINTS) == {
        "bilevel_l1inf", "bilevel_l11", "bilevel_l12", "l1inf_ball", "l12_ball"}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("axis", [0, 1])
def test_object_and_function_give_bit_identical_projections(name, axis):
    Y = _matrix()
    constraint = P.get_constraint(name, eta=2.5, axis=axis)
    if constraint.is_matrix:
        expected = FUNCTIONS[name](Y, 2.5, axis=axis)
    else:
        expected = FUNCTIONS[name](Y, 2.5)
    np.testing.assert_array_equal(constraint.project(Y), expected)
    out = np.empty_like(Y)
    assert constraint.project(Y, out=out) is out
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_object_and_function_identical_on_torch(name):
    torch = pytest.importorskip("torch")
    Y = torch.tensor(_matrix(1))
    constraint = P.get_constraint(name, eta=1.5)
    function = FUNCTIONS[name]
    torch.testing.assert_close(constraint.project(Y), function(Y, 1.5), rtol=0, atol=0)
    support = constraint.support(Y)
    assert isinstance(support, torch.Tensor) and support.dtype == torch.bool


def test_keeps_zeros_is_declared_by_the_sets_whose_projection_never_shifts():
    assert [name for name, cls in P.CONSTRAINTS.items() if not cls.keeps_zeros] == ["simplex"]
    assert not P.Constraint.keeps_zeros  # a set of one's own is not known to keep zeros
    # why the simplex is not: its projection shifts every entry, zeros included
    assert np.all(P.Simplex(eta=1.0).project(np.array([0.0, 0.2, 0.1])) > 0)


@pytest.mark.parametrize("name", sorted(n for n, cls in P.CONSTRAINTS.items() if cls.keeps_zeros))
@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_keeps_zeros_projections_map_zeros_to_zeros(name, kind):
    # What skproj.nn relies on to skip the mask after a projection: every zero
    # of Y, scattered, signed or a whole group, is zero in the projection.
    rng = np.random.default_rng(3)
    Y = _matrix(3)
    Y[rng.random(Y.shape) < 0.3] = 0.0
    Y[rng.random(Y.shape) < 0.1] = -0.0
    Y[:, 4] = 0.0
    Y[2, :] = 0.0
    for axis in (0, 1):
        constraint = P.get_constraint(name, axis=axis)
        levels = ((0.3, 0.7, 0.95, 1.0) if constraint.level_name == "sparsity"
                  else [share * constraint.norm(Y) for share in (0.01, 0.3, 0.9, 2.0)])
        for level in levels:
            ball = constraint.with_level(level)
            if kind == "numpy":
                X = ball.project(Y)
            else:
                torch = pytest.importorskip("torch")
                X = ball.project(torch.tensor(Y, dtype=torch.float32)).numpy()
            assert np.all(X[Y == 0] == 0), (axis, level)
            assert np.any(X != 0)  # not the trivial answer


@pytest.mark.parametrize("name,norm", [
    ("bilevel_l1inf", P.l1inf_norm), ("l1inf_ball", P.l1inf_norm),
    ("bilevel_l11", P.l11_norm), ("bilevel_l12", P.l12_norm), ("l12_ball", P.l12_norm)])
@pytest.mark.parametrize("axis", [0, 1])
def test_matrix_norms(name, norm, axis):
    Y = _matrix(2)
    constraint = P.get_constraint(name, axis=axis)
    assert constraint.norm(Y) == pytest.approx(norm(Y, axis=axis), rel=1e-12)
    np.testing.assert_allclose(constraint.group_norms(Y),
                               P.group_norms(Y, constraint.inner, axis=axis))


def test_vector_norms_and_support():
    y = np.array([[3.0, -4.0], [0.0, 1.0]])
    assert P.L1Ball().norm(y) == 8.0
    assert P.L2Ball().norm(y) == pytest.approx(np.sqrt(26.0))
    assert P.LinfBall().norm(y) == 4.0
    np.testing.assert_array_equal(P.L1Ball().support(y), [True, True, False, True])


def _interval_by_bisection(constraint, Y, k, n_steps=200):
    """Independent ends (a, b] of the radii whose projection keeps exactly k groups."""
    high_radius = constraint.norm(Y) * 2 + 1.0

    def boundary(keep_more_than):
        low, high = 0.0, high_radius
        for _ in range(n_steps):
            middle = 0.5 * (low + high)
            if _n_kept(constraint, Y, middle) > keep_more_than:
                high = middle
            else:
                low = middle
        return low

    return boundary(k - 1), boundary(k)


@pytest.mark.parametrize("name", ZEROING)
@pytest.mark.parametrize("axis", [0, 1])
def test_radius_for_groups_keeps_exactly_k(name, axis):
    Y = _matrix(3, shape=(9, 14)) if axis == 0 else _matrix(3, shape=(14, 9)).T
    constraint = P.get_constraint(name, axis=axis)
    n_groups = int(np.count_nonzero(constraint.support(Y)))
    for k in range(1, n_groups + 1):
        radius = constraint.radius_for_groups(Y, k)
        assert _n_kept(constraint, Y, radius) == k, k


@pytest.mark.parametrize("name", ["bilevel_l1inf", "l1inf_ball", "bilevel_l11", "l1_ball"])
def test_radius_for_groups_is_the_middle_of_the_interval(name):
    Y = _matrix(4, shape=(6, 10))
    constraint = P.get_constraint(name)
    for k in (1, 3, 7):
        low, high = _interval_by_bisection(constraint, Y, k)
        radius = constraint.radius_for_groups(Y, k)
        assert low < radius <= high
        assert radius == pytest.approx(0.5 * (low + high), rel=1e-9, abs=1e-12)


def test_radius_for_groups_closed_form_bilevel():
    Y = _matrix(5)
    t = np.sort(np.abs(Y).max(axis=0))[::-1]
    k = 4
    expected = 0.5 * (np.maximum(t - t[k - 1], 0).sum() + np.maximum(t - t[k], 0).sum())
    assert P.BilevelL1Inf().radius_for_groups(Y, k) == pytest.approx(expected, rel=1e-14)


def test_radius_for_groups_ties_keep_the_next_count():
    Y = np.array([[4.0, 3.0, 3.0, 1.0]])  # groups 2 and 3 tie
    constraint = P.BilevelL1Inf()
    radius = constraint.radius_for_groups(Y, 2)
    assert _n_kept(constraint, Y, radius) == 3


def test_radius_for_groups_zero_groups_and_bounds():
    Y = _matrix(6, shape=(5, 8))
    Y[:, [1, 4]] = 0
    constraint = P.BilevelL12()
    assert constraint.radius_for_groups(Y, 0) == 0.0
    assert _n_kept(constraint, Y, constraint.radius_for_groups(Y, 6)) == 6
    with pytest.raises(ValueError, match="between 0 and the number of non-zero groups"):
        constraint.radius_for_groups(Y, 7)
    with pytest.raises(TypeError, match="k must be an int"):
        constraint.radius_for_groups(Y, 2.0)


def test_simplex_radius_for_groups_with_signed_entries():
    y = np.array([2.0, -1.0, 0.5, -3.0, 1.5])
    constraint = P.Simplex()
    for k in range(1, 6):
        radius = constraint.radius_for_groups(y, k)
        assert np.count_nonzero(P.project_simplex(y, radius)) == k


@pytest.mark.parametrize("name", ["l2_ball", "linf_ball"])
def test_radius_for_groups_needs_a_zeroing_set(name):
    with pytest.raises(ValueError, match="never zeroes a group"):
        P.get_constraint(name).radius_for_groups(np.ones(4), 1)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 8), st.integers(2, 12),
       st.sampled_from(ZEROING), st.data())
def test_radius_for_groups_property(seed, n_rows, n_groups, name, data):
    rng = np.random.default_rng(seed)
    Y = rng.standard_normal((n_rows, n_groups)) * rng.uniform(0.01, 10.0, n_groups)
    constraint = P.get_constraint(name)
    k = data.draw(st.integers(1, n_groups if constraint.is_matrix else Y.size))
    radius = constraint.radius_for_groups(Y, k)
    assert _n_kept(constraint, Y, radius) == k


def test_get_constraint_resolves_names_classes_and_instances():
    ball = P.get_constraint("bilevel_l1inf", eta=0.5, axis=1)
    assert ball == P.BilevelL1Inf(0.5, axis=1)
    assert P.get_constraint(P.BilevelL11).eta == 1.0
    original = P.L1InfBall(2.0)
    copy = P.get_constraint(original, eta=3.0)
    assert copy.eta == 3.0 and original.eta == 2.0  # never changed in place
    assert P.get_constraint(original) is original
    with pytest.raises(ValueError, match="unknown constraint 'l1inf'"):
        P.get_constraint("l1inf")
    with pytest.raises(ValueError, match="set of vectors"):
        P.get_constraint("l1_ball", matrix=True)
    with pytest.raises(TypeError, match="a constraint must be"):
        P.get_constraint(P.bilevel_l1inf)


def test_params_clone_repr_and_level():
    ball = P.BilevelL12(0.7, axis=1)
    assert ball.get_params() == {"eta": 0.7, "axis": 1}
    assert repr(ball) == "BilevelL12(eta=0.7, axis=1)"
    cloned = clone(ball)
    assert cloned == ball and cloned is not ball
    assert ball.level == 0.7 and ball.with_level(0.2).eta == 0.2 and ball.eta == 0.7
    with pytest.raises(ValueError, match="has no parameter 'radius'"):
        ball.set_params(radius=1.0)


def test_radius_for_groups_reads_the_breakpoints_once_and_honours_a_sets_radius_function():
    """One look at Y gives both the radius function and the breakpoints
    where the radius function is the default; a set's own radius_function
    (the documented extension point) is still the one used."""
    Y = np.random.default_rng(3).standard_normal((20, 30))
    calls = []

    class Counted(P.BilevelL1Inf):
        def _breakpoints(self, Y):
            calls.append(1)
            return super()._breakpoints(Y)

    expected = P.BilevelL1Inf(1.0).radius_for_groups(Y, 7)
    assert Counted(1.0).radius_for_groups(Y, 7) == expected
    assert len(calls) == 1

    class Doubled(P.BilevelL1Inf):
        def radius_function(self, Y):
            radius = super().radius_function(Y)
            return lambda threshold: 2.0 * radius(threshold)

    assert Doubled(1.0).radius_for_groups(Y, 7) == 2.0 * expected


@pytest.mark.parametrize("name", sorted(P.CONSTRAINTS))
def test_statistics_of_cpu_tensors_are_numpys(name):
    # (norms and breakpoints of a CPU tensor are computed on its NumPy view:
    # the same numbers as NumPy's, with or without grad, and the same errors)
    torch = pytest.importorskip("torch")
    constraint = P.get_constraint(name)
    Y = _matrix(3).astype(np.float32)
    T = torch.tensor(Y)
    expected_norm = constraint.norm(Y)
    for tensor in (T, T.clone().requires_grad_(True), torch.nn.Parameter(T.clone())):
        assert constraint.norm(tensor) == expected_norm
        if constraint.zeroes_groups:
            np.testing.assert_array_equal(constraint._breakpoints(tensor),
                                          constraint._breakpoints(Y))
    with pytest.raises(TypeError):
        constraint.norm(T.to(torch.bfloat16))


def test_with_level_copies_and_sets_only_the_level():
    constraint = P.BilevelL1Inf(eta=2.0, axis=1)
    copied = constraint.with_level(0.5)
    assert type(copied) is P.BilevelL1Inf and copied is not constraint
    assert copied.get_params() == {"eta": 0.5, "axis": 1}
    assert constraint.eta == 2.0
    hoyer = P.GroupHoyer(sparsity=0.5, axis=1, weights=np.ones(3)).with_level(0.8)
    assert hoyer.sparsity == 0.8 and hoyer.axis == 1 and hoyer.weights.tolist() == [1, 1, 1]
    # (Constraint.__copy__: a shallow copy of its own attributes)
    plain = copy.copy(constraint)
    assert type(plain) is P.BilevelL1Inf and plain == constraint
    plain.set_params(axis=0)
    assert constraint.axis == 1 and plain == P.BilevelL1Inf(eta=2.0, axis=0)
