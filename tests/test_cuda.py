"""Everything on a CUDA device, against the CPU kernels.

Small CUDA tensors are projected by the Cython kernels on a host copy, the
others by torch operations on the device (sort-based or bracketing code in
``_torch_backend`` and ``_torch_hoyer``; ``_validation._HOST_ROUTE_BYTES``
decides).  Every test here runs both ways (the ``route`` fixture).  The CPU
tests exercise the device code on CPU tensors, and these tests check what
only a device shows: results and extras stay on the device, float32 on the
device, strided device tensors, ``out=`` on the device, and the pruning
toolkit and the estimators trained there.  Skipped without a CUDA device
(``conftest.py``).
"""

import numpy as np
import pytest

from skproj import projections as P
from skproj.projections import _validation

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.cuda

VECTOR = [P.project_l1_ball, P.project_simplex, P.project_l2_ball, P.project_linf_ball]
MATRIX = [P.get_constraint(name).function for name in P.MATRIX_CONSTRAINTS]
NORMS = {  # the norm each projection bounds, as a function of a NumPy matrix and an axis
    "project_l1_ball": lambda Y, axis: np.abs(Y).sum(),
    "project_simplex": lambda Y, axis: Y.sum(),
    "project_l2_ball": lambda Y, axis: np.sqrt((Y.astype(np.float64) ** 2).sum()),
    "project_linf_ball": lambda Y, axis: np.abs(Y).max(),
    "bilevel_l1inf": lambda Y, axis: P.l1inf_norm(Y, axis=axis),
    "bilevel_l11": lambda Y, axis: P.l11_norm(Y, axis=axis),
    "bilevel_l12": lambda Y, axis: P.l12_norm(Y, axis=axis),
    "project_l12_ball": lambda Y, axis: P.l12_norm(Y, axis=axis),
    "project_l1inf_ball": lambda Y, axis: P.l1inf_norm(Y, axis=axis),
}
ids = lambda f: f.__name__  # noqa: E731


@pytest.fixture(autouse=True, params=["host", "device"])
def route(request):
    """Every test by the host copy (every tensor here is small) and on the device."""
    previous = _validation.set_host_route_bytes(1 << 40 if request.param == "host" else 0)
    yield request.param
    _validation.set_host_route_bytes(previous)
TOLERANCE = {torch.float64: dict(rtol=1e-9, atol=1e-10), torch.float32: dict(rtol=2e-4, atol=2e-5)}


def _matrix(dtype, seed=0, shape=(60, 45)):
    generator = torch.Generator().manual_seed(seed)
    # mixed scales, so that groups are zeroed at some radii and kept at others
    scales = torch.logspace(-1, 1, shape[1], dtype=torch.float64)
    return (torch.randn(shape, generator=generator, dtype=torch.float64) * scales).to(dtype)


def _call(project, T, share, axis, **kwargs):
    name = project.__name__
    norm = NORMS[name](T.detach().cpu().double().numpy(), axis)
    if name == "project_simplex":
        norm = abs(norm)
    kwargs = kwargs if project in VECTOR else {"axis": axis, **kwargs}
    return project(T, float(share * norm), **kwargs), kwargs, float(share * norm)


@pytest.mark.parametrize("project", VECTOR + MATRIX, ids=ids)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("share", [0.05, 0.5, 1.5])
def test_device_result_matches_cpu_kernel(project, dtype, axis, share):
    T = _matrix(dtype).cuda()
    before = T.clone()
    X, kwargs, eta = _call(project, T, share, axis)
    assert X.is_cuda and X.dtype == dtype and X.shape == T.shape
    assert torch.equal(T, before)  # the input is not modified
    expected = project(T.cpu().numpy(), eta, **kwargs)
    np.testing.assert_allclose(X.cpu().numpy(), expected, **TOLERANCE[dtype])


@pytest.mark.parametrize("project", VECTOR + MATRIX, ids=ids)
def test_strided_device_tensor_and_out(project):
    base = _matrix(torch.float32, seed=1, shape=(45, 60)).cuda()
    T = base.t()  # a non-contiguous view
    X, kwargs, eta = _call(project, T, 0.3, 0)
    expected = project(T.cpu().contiguous().numpy(), eta, **kwargs)
    np.testing.assert_allclose(X.cpu().numpy(), expected, **TOLERANCE[torch.float32])
    out = torch.full_like(T, float("nan"))
    assert project(T, eta, out=out, **kwargs) is out
    np.testing.assert_allclose(out.cpu().numpy(), expected, **TOLERANCE[torch.float32])
    in_place = T.clone()
    assert project(in_place, eta, out=in_place, **kwargs) is in_place
    np.testing.assert_allclose(in_place.cpu().numpy(), expected, **TOLERANCE[torch.float32])


@pytest.mark.parametrize("project", VECTOR + MATRIX, ids=ids)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_host_route_is_the_cpu_kernels_bit_for_bit(project, dtype, route, monkeypatch):
    if route == "device":
        monkeypatch.setattr(_validation, "_run_on_host", None)  # (never called then)
    T = _matrix(dtype, seed=5).cuda()
    X, kwargs, eta = _call(project, T, 0.4, 0)
    expected = project(T.cpu().numpy(), eta, **kwargs)
    if route == "host":
        np.testing.assert_array_equal(X.cpu().numpy(), expected)
    else:
        np.testing.assert_allclose(X.cpu().numpy(), expected, **TOLERANCE[dtype])


def test_host_route_takes_tensors_up_to_its_size(monkeypatch):
    taken = []
    real = _validation._run_on_host
    monkeypatch.setattr(_validation, "_run_on_host",
                        lambda y, *args: taken.append(y.numel()) or real(y, *args))
    small, large = (torch.ones(shape, device="cuda") for shape in ((4, 8), (8, 8)))
    _validation.set_host_route_bytes(small.numel() * small.element_size())
    for T in (small, large):
        X = P.project_l1_ball(T, 3.0)
        assert X.is_cuda
        np.testing.assert_allclose(float(X.abs().sum()), 3.0, rtol=1e-6)
    assert taken == [small.numel()]


def test_results_of_calls_in_a_row_stay_their_own(route):
    # The copy back to the device does not hold the host, so the next call's
    # pinned host copy must not take the block still being copied from.
    # (Bit for bit by the host.  torch's device code rounds its own way:
    # 2.8e-5 apart at most, measured on an H200, where another call's
    # result would be whole units apart.)
    same = (np.testing.assert_array_equal if route == "host" else
            lambda actual, expected: np.testing.assert_allclose(actual, expected,
                                                                rtol=1e-3, atol=1e-4))
    tensors = [_matrix(torch.float32, seed=seed, shape=(300, 400)).cuda() for seed in range(8)]
    results = [P.bilevel_l11(T, 0.5 * P.l11_norm(T.cpu().numpy())) for T in tensors]
    outs = [torch.empty_like(T) for T in tensors]
    for T, out in zip(tensors, outs):
        P.project_l1_ball(T, 1.0, out=out)
    for T, X, out in zip(tensors, results, outs):
        cpu = T.cpu().numpy()
        same(X.cpu().numpy(), P.bilevel_l11(cpu, 0.5 * P.l11_norm(cpu)))
        same(out.cpu().numpy(), P.project_l1_ball(cpu, 1.0))


@pytest.mark.parametrize("project", [P.project_l1_ball, P.bilevel_l1inf], ids=ids)
def test_out_on_another_device_is_refused(project):
    T = _matrix(torch.float64).cuda()
    with pytest.raises(ValueError, match="out"):
        project(T, 1.0, out=torch.empty(T.shape, dtype=T.dtype))
    with pytest.raises(ValueError, match="out"):
        project(T.cpu(), 1.0, out=torch.empty_like(T))


@pytest.mark.parametrize("norm", ["l1", "l2", "linf"])
@pytest.mark.parametrize("axis", [0, 1])
def test_group_norms_on_device_checked_and_matching_cpu(norm, axis):
    # (torch's operations on the device whatever the route: the route is
    # the projections'; the checks are ``check_device_tensor``'s)
    T = _matrix(torch.float64, seed=3).cuda()
    norms = P.group_norms(T, norm, axis=axis)
    assert norms.is_cuda and norms.shape == (T.shape[1 - axis],)
    np.testing.assert_allclose(norms.cpu().numpy(), P.group_norms(T.cpu().numpy(), norm,
                                                                 axis=axis), rtol=1e-12)
    T[3, 4] = float("nan")
    with pytest.raises(ValueError, match="Y contains NaN"):
        P.group_norms(T, norm, axis=axis)
    with pytest.raises(TypeError, match="Y has dtype torch.int64"):
        P.group_norms(T.long(), norm, axis=axis)
    with pytest.raises(ValueError, match="Y must be a 2-D array"):
        P.group_norms(T[0], norm, axis=axis)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("axis", [0, 1])
def test_exact_l1inf_dual_on_device(dtype, axis):
    T = _matrix(dtype, seed=2).cuda()
    eta = 0.3 * P.l1inf_norm(T.cpu().numpy(), axis=axis)
    X, theta, levels = P.project_l1inf_ball(T, eta, axis=axis, return_dual=True)
    _, expected_theta, expected_levels = P.project_l1inf_ball(T.cpu().numpy(), eta, axis=axis,
                                                              return_dual=True)
    assert X.is_cuda
    rtol = 1e-4 if dtype == torch.float32 else 1e-8
    np.testing.assert_allclose(float(theta), expected_theta, rtol=rtol)
    levels = levels.cpu().numpy() if isinstance(levels, torch.Tensor) else np.asarray(levels)
    np.testing.assert_allclose(levels, expected_levels, rtol=rtol, atol=rtol * eta)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("sparsity", [0.7, 0.9])  # above the input's (0.3-0.55)
def test_group_hoyer_on_device(dtype, axis, sparsity):
    T = _matrix(dtype, seed=3).abs().cuda()
    X = P.project_group_hoyer(T, sparsity, axis=axis)
    assert X.is_cuda and X.dtype == dtype
    _, reached = P.hoyer_sparsity(X.cpu().numpy(), axis=axis)
    assert reached == pytest.approx(sparsity, abs=1e-4 if dtype == torch.float32 else 1e-8)
    expected = P.project_group_hoyer(T.cpu().numpy(), sparsity, axis=axis)
    np.testing.assert_allclose(X.cpu().numpy(), expected, **TOLERANCE[dtype])


@pytest.mark.parametrize("name", sorted(P.MATRIX_CONSTRAINTS))
def test_constraint_objects_on_device(name):
    T = _matrix(torch.float64, seed=4).cuda()
    constraint = P.get_constraint(name, eta=1.0)
    cpu = T.cpu().numpy()
    np.testing.assert_allclose(float(constraint.norm(T)), constraint.norm(cpu), rtol=1e-9)
    norms = constraint.group_norms(T)
    norms = norms.cpu().numpy() if isinstance(norms, torch.Tensor) else norms
    np.testing.assert_allclose(norms, constraint.group_norms(cpu), rtol=1e-9)
    if name != "group_hoyer":
        k = 7
        radius = constraint.radius_for_groups(T, k)
        projected = P.get_constraint(name, eta=float(radius)).project(cpu)
        assert int(np.asarray(constraint.support(projected)).sum()) == k


# --- the pruning toolkit ----------------------------------------------------------------


def _mlp(seed=0):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(30, 16), torch.nn.ReLU(),
                               torch.nn.Linear(16, 8), torch.nn.ReLU(),
                               torch.nn.Linear(8, 3)).cuda()


def test_global_budget_on_device():
    from skproj.nn import GlobalConstraint, constrain

    model = _mlp()
    members = [constrain(model[0], "weight", "bilevel_l1inf"),
               constrain(model[2], "weight", "bilevel_l1inf")]
    budget = GlobalConstraint(members, n_groups=11)
    budget.project()
    assert int(budget.support().sum()) == 11
    for member in members:
        assert member.mask.is_cuda


def test_proximal_l1_and_target_on_device():
    from skproj.nn import ProximalL1, count_nonzeros, fit_to_nonzeros, run_epochs

    generator = torch.Generator().manual_seed(0)
    X = torch.randn(200, 30, generator=generator).cuda()
    y = (X[:, :3].sum(1, keepdim=True) + X[:, 3:4] ** 2).repeat(1, 3)
    loss_fn = torch.nn.functional.mse_loss

    def train(network, alpha):
        optimizer = torch.optim.Adam(network.parameters(), lr=1e-2)
        run_epochs(network, optimizer, loss_fn, X, y, n_epochs=30, batch_size=50,
                   generator=torch.Generator().manual_seed(0),
                   callbacks=ProximalL1(optimizer, alpha))

    result = fit_to_nonzeros(_mlp(), train, lambda net: loss_fn(net(X), y), 150, max_trials=10)
    assert result.reached and abs(int(result.nonzeros.sum()) - 150) <= 8
    np.testing.assert_array_equal(count_nonzeros(result.network), result.nonzeros)
    assert next(result.network.parameters()).is_cuda


def test_shrink_on_device():
    from skproj.nn import constrain, shrink

    model = _mlp()
    constrain(model[2], "weight", "bilevel_l1inf", eta=0.5).project().freeze()
    small, kept_inputs = shrink(model)
    assert next(small.parameters()).is_cuda
    x = torch.randn(5, 30, device="cuda")
    torch.testing.assert_close(small(x[:, kept_inputs]), model(x))


# --- the estimators ------------------------------------------------------------------------


def test_mlp_classifier_and_autoencoder_fit_on_device():
    from sklearn.datasets import load_digits

    from skproj.autoencoder import SparseSupervisedAutoencoder
    from skproj.neural_network import SparseMLPClassifier

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    mlp = SparseMLPClassifier(hidden_layer_sizes=(32,), target_nonzeros=0.2, n_epochs=20,
                              n_finetune_epochs=5, random_state=0, device="cuda").fit(X, y)
    assert mlp.device_ == "cuda" and mlp.score(X, y) > 0.8
    sae = SparseSupervisedAutoencoder(random_state=0, device="cuda").fit(X, y)
    assert sae.device_ == "cuda" and sae.score(X, y) > 0.8
    assert 0 < len(sae.selected_features_) < X.shape[1]
