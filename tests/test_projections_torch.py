"""PyTorch tensors: CPU tensors share memory with the kernels, CUDA runs on device."""

import warnings

import numpy as np
import pytest

from skproj import projections as P

from references import vector_norm

torch = pytest.importorskip("torch")

VECTOR = [P.project_l1_ball, P.project_simplex, P.project_l2_ball, P.project_linf_ball]
MATRIX = [P.get_constraint(name).function for name in P.MATRIX_CONSTRAINTS]
ALL = VECTOR + MATRIX
ids = lambda f: f.__name__  # noqa: E731


@pytest.mark.parametrize("project", ALL, ids=ids)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_cpu_tensor_matches_numpy(project, dtype):
    T = torch.randn(12, 9, dtype=dtype, generator=torch.Generator().manual_seed(0))
    before = T.clone()
    X = project(T, 1.3)
    assert isinstance(X, torch.Tensor) and X.dtype == dtype and X.device == T.device
    np.testing.assert_array_equal(X.numpy(), project(T.numpy(), 1.3))
    assert torch.equal(T, before)
    np.testing.assert_array_equal(project(T.t(), 1.3).numpy(), project(T.numpy().T, 1.3))


@pytest.mark.parametrize("project", ALL, ids=ids)
def test_cpu_out_tensor_shares_memory(project):
    T = torch.randn(6, 5, dtype=torch.float64)
    expected = project(T.numpy(), 0.7)
    pointer = T.data_ptr()
    result = project(T, 0.7, out=T)
    assert result is T and T.data_ptr() == pointer
    np.testing.assert_array_equal(T.numpy(), expected)


def test_tensor_requiring_grad_and_parameters():
    layer = torch.nn.Linear(20, 4)
    with torch.no_grad():
        P.bilevel_l1inf(layer.weight, 0.5, out=layer.weight)
    assert P.l1inf_norm(layer.weight) <= 0.5 + 1e-6
    X = P.bilevel_l1inf(layer.weight, 0.1)
    assert not X.requires_grad


@pytest.mark.parametrize("project", ALL, ids=ids)
@pytest.mark.parametrize("where", ["apart", "in place", "strided"])
def test_a_write_into_a_tensor_saved_for_backward_makes_backward_raise(project, where):
    """The kernels write ``out``'s memory outside torch; its version counter is
    bumped as by torch's in-place operations, so that a backward pass through a
    graph that saved it raises torch's error instead of wrong gradients."""
    generator = torch.Generator().manual_seed(0)
    weight = torch.randn(6, 5, dtype=torch.float64, requires_grad=True, generator=generator)
    saved = (torch.randn(5, 6, dtype=torch.float64, generator=generator).t() if where == "strided"
             else torch.randn(6, 5, dtype=torch.float64, generator=generator))
    loss = (weight * saved).sum()       # saves ``saved`` for weight's gradient
    version = saved._version
    source = saved if where == "in place" else 3 * torch.randn(6, 5, dtype=torch.float64,
                                                               generator=generator)
    expected = project(source.numpy().copy(), 0.7)
    assert project(source, 0.7, out=saved) is saved
    np.testing.assert_array_equal(saved.numpy(), expected)
    assert saved._version > version
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


@pytest.mark.parametrize("project", ALL, ids=ids)
@pytest.mark.parametrize("in_place", [False, True])
def test_out_requiring_grad_is_refused_while_autograd_records(project, in_place):
    """As torch refuses ``out=`` and in-place operations on a tensor requiring
    grad; under ``torch.no_grad()`` (an optimizer's step) the write happens."""
    weight = torch.nn.Parameter(torch.randn(6, 5, generator=torch.Generator().manual_seed(1)))
    before = weight.detach().clone()
    source = weight if in_place else before.clone()
    with pytest.raises(ValueError, match="out requires grad.*torch.no_grad"):
        project(source, 0.7, out=weight)
    assert torch.equal(weight.detach(), before)
    with torch.no_grad():
        assert project(source, 0.7, out=weight) is weight
    np.testing.assert_array_equal(weight.detach().numpy(), project(before.numpy(), 0.7))


def test_version_bump_falls_back_on_the_public_function(monkeypatch):
    """``_torch_backend.version_bump`` takes ``torch._C._increment_version``
    (private) where this torch has it, else the public function: both bump the
    counters of a tuple of tensors."""
    from skproj.projections._torch_backend import version_bump

    T = torch.zeros(3)
    version = T._version
    version_bump()((T,))
    assert T._version > version
    monkeypatch.delattr(torch._C, "_increment_version")
    assert version_bump() is torch.autograd.graph.increment_version


def test_soft_threshold_in_place_bumps_the_version_counter():
    from skproj.projections._vector import soft_threshold_in_place

    w = torch.tensor([1.0, -2.0, 0.5])
    version = w._version
    assert soft_threshold_in_place(w, 0.75)
    assert w.tolist() == [0.25, -1.25, 0.0] and w._version > version
    # (outside autograd, as skproj.nn.soft_threshold_ documents: a parameter too)
    parameter = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    version = parameter._version
    assert soft_threshold_in_place(parameter, 0.75)
    assert parameter.tolist() == [0.25, -1.25] and parameter._version > version


def test_tensor_errors():
    with pytest.raises(TypeError, match="float32 and float64"):
        P.project_l1_ball(torch.ones(3, dtype=torch.int64), 1.0)
    with pytest.raises(ValueError, match="NaN"):
        P.bilevel_l1inf(torch.tensor([[float("nan")]]), 1.0)
    with pytest.raises(ValueError, match="out"):
        P.bilevel_l1inf(torch.ones(2, 2), 1.0, out=torch.ones(2, 3))
    assert P.project_l2_ball(torch.ones(2), torch.tensor(1.0)).shape == (2,)


def _device_implementation(project, eta):
    """The device (CUDA) code path of ``project``, which runs on CPU tensors too."""
    from skproj.projections import _torch_backend as backend

    return {
        "project_l1_ball": lambda t: backend.l1_ball(t, eta),
        "project_simplex": lambda t: backend.simplex(t, eta),
        "project_l2_ball": lambda t: backend.l2_ball(t, eta),
        "project_linf_ball": lambda t: backend.linf_ball(t, eta),
        "bilevel_l1inf": lambda t: backend.bilevel_l1inf(t, eta, 0),
        "bilevel_l11": lambda t: backend.bilevel_l11(t, eta, 0),
        "bilevel_l12": lambda t: backend.bilevel_l12(t, eta, 0),
        "project_l12_ball": lambda t: backend.bilevel_l12(t, eta, 0),
        "project_l1inf_ball": lambda t: backend.l1inf_ball(t, eta, 0)[0],
    }[project.__name__]


@pytest.mark.parametrize("project", ALL, ids=ids)
def test_torch_device_implementation_matches_kernels(project):
    """The device (CUDA) code path, exercised on CPU tensors through the backend."""
    T = torch.randn(30, 17, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    expected = project(T.numpy(), 2.0)
    np.testing.assert_allclose(_device_implementation(project, 2.0)(T).numpy(), expected,
                               atol=1e-9)


@pytest.mark.parametrize("project", ALL, ids=ids)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_zeros_of_either_sign_lie_in_the_set_of_radius_zero(project, dtype):
    """A tensor of zeros of either sign comes back bit for bit at radius 0: CPU
    tensors (through the kernels' memory; ``out=`` and in place too) and the
    device code path."""
    T = torch.tensor([[-0.0, 0.0, -0.0], [-0.0, -0.0, 0.0]], dtype=dtype)
    integers = torch.int32 if dtype == torch.float32 else torch.int64

    def assert_bits_equal(result):
        assert torch.equal(result.view(integers), T.view(integers))

    assert_bits_equal(project(T, 0.0))
    out = torch.full_like(T, float("nan"))
    assert project(T, 0.0, out=out) is out
    assert_bits_equal(out)
    in_place = T.clone()
    project(in_place, 0.0, out=in_place)
    assert_bits_equal(in_place)
    assert_bits_equal(_device_implementation(project, 0.0)(T))


@pytest.mark.cuda
@pytest.mark.parametrize("project", ALL, ids=ids)
@pytest.mark.parametrize("axis", [0, 1])
def test_cuda_tensor_stays_on_device(project, axis):
    T = torch.randn(50, 40, dtype=torch.float64, device="cuda")
    kwargs = {} if project in VECTOR else {"axis": axis}
    X = project(T, 1.5, **kwargs)
    assert X.device.type == "cuda" and X.dtype == T.dtype
    np.testing.assert_allclose(X.cpu().numpy(), project(T.cpu().numpy(), 1.5, **kwargs),
                               atol=1e-9)
    out = torch.empty_like(T)
    assert project(T, 1.5, out=out, **kwargs) is out


# The common call's fast paths (``vector_call``, ``matrix_call``,
# ``common_memory``) against the general path: the same results, the same
# memory written, the same errors.
FAST = VECTOR + MATRIX
# The norm a radius is a share of: the l1 norm, but the l2 and linf balls' own
# (a share of the l1 norm would hold most tensors inside those balls, copied).
NORM_OF = {P.project_l2_ball: "l2", P.project_linf_ball: "linf"}


def _share_of_norm(project, T, share):
    values = T.detach().float().nan_to_num().numpy()
    return share * vector_norm(values, NORM_OF.get(project, "l1"))


_TENSOR_OUTS = {
    "none": lambda T: (T, None),
    "new": lambda T: (T, torch.empty_like(T)),
    "same": lambda T: (T, T),
    "same memory": lambda T: (T, T.view(T.shape)),
    "overlap": lambda T: (lambda flat: (flat[:-1].view(T.shape), flat[1:].view(T.shape)))(
        torch.cat([T.reshape(-1), T.new_zeros(1)])),
    "transposed out": lambda T: (T, torch.empty_like(T.t()).t()),
    "non-contiguous": lambda T: (T.t(), None),
    "requires grad": lambda T: (T.clone().requires_grad_(True), None),
    "other dtype out": lambda T: (T, torch.empty(T.shape, dtype=torch.float16)),
    "other shape out": lambda T: (T, torch.empty(T.shape[0] + 1, T.shape[1], dtype=T.dtype)),
    "array out": lambda T: (T, np.empty(tuple(T.shape))),
    "half input": lambda T: (T.half(), None),
    "nan": lambda T: (T.index_fill(0, torch.tensor([1]), float("nan")), None),
    "nan, out": lambda T: (T.index_fill(0, torch.tensor([1]), float("nan")), torch.empty_like(T)),
    "nan, in place": (lambda T: (lambda Y: (Y, Y))(
        T.index_fill(0, torch.tensor([1]), float("nan")))),
    # (finite, but the sums overflow: the projection of the rescaled values)
    "huge, out": lambda T: (T * torch.finfo(T.dtype).max / 2, torch.empty_like(T)),
    "requires grad out": lambda T: (T, torch.empty_like(T).requires_grad_(True)),
    "requires grad, out": lambda T: (T.clone().requires_grad_(True), torch.empty_like(T)),
    "parameter in place": lambda T: (lambda W: (W, W))(torch.nn.Parameter(T.clone())),
    "halves of one buffer": lambda T: (lambda both: (both[0], both[1]))(
        torch.stack([T, torch.zeros_like(T)])),
    "adjacent overlap": lambda T: (lambda flat: (flat[1:].view(T.shape), flat[:-1].view(T.shape)))(
        torch.cat([T.reshape(-1), T.new_zeros(1)])),
    # (the fast path counts the values and the dimensions from the shape)
    "empty": lambda T: (T[:0], None),
    "empty, out": lambda T: (T[:0], torch.empty_like(T[:0])),
    "33 dimensions": lambda T: (T.reshape((1,) * 31 + tuple(T.shape)), None),
    "33 dimensions, out": lambda T: (lambda Y: (Y, torch.empty_like(Y)))(
        T.reshape((1,) * 31 + tuple(T.shape))),
}


def _tensor_outcome(project, make, eta):
    Y, out = make()
    try:
        X = project(Y, eta, out=out)
    except (TypeError, ValueError) as error:
        return type(error), str(error)
    return X.detach().clone(), Y.detach().clone(), X is Y, X is out, X.dtype, X.requires_grad


def _assert_same_outcome(fast, general):
    """Two ``_tensor_outcome`` results: the same values, input, objects and errors."""
    assert len(fast) == len(general)
    if isinstance(fast[0], torch.Tensor):
        assert torch.equal(fast[0], general[0]) and torch.equal(fast[1], general[1])
        assert fast[2:] == general[2:]
    else:
        assert fast == general


@pytest.mark.parametrize("project", FAST, ids=ids)
@pytest.mark.parametrize("kind", list(_TENSOR_OUTS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_fast_path_gives_the_general_paths_results_and_errors(project, kind, dtype, monkeypatch):
    from skproj.projections import _matrix, _validation, _vector

    def make():
        T = torch.randn(7, 9, dtype=dtype, generator=torch.Generator().manual_seed(3))
        return _TENSOR_OUTS[kind](T)

    eta = _share_of_norm(project, make()[0], 0.4)
    fast = _tensor_outcome(project, make, eta)
    monkeypatch.setattr(_validation, "common_memory", lambda *args, **kwargs: None)
    for module, entry in ((_vector, "vector_call"), (_matrix, "matrix_call")):
        monkeypatch.setattr(module, entry, lambda *args, **kwargs: None)
    general = _tensor_outcome(project, make, eta)
    _assert_same_outcome(fast, general)


# The projections without an address entry for a call (the group Hoyer
# projection; a radius that is a NumPy scalar) take ``run_projection``'s
# common path, ``common_memory`` (``_arrays.common_views``: NumPy arrays on
# the tensors' addresses).
_VIEWS_CALLS = {
    "project_group_hoyer": lambda Y, out: P.project_group_hoyer(Y, 0.6, out=out),
    "bilevel_l11, NumPy radius": lambda Y, out: P.bilevel_l11(Y, np.float32(2.5), out=out),
    "l1 ball, NumPy radius": lambda Y, out: P.project_l1_ball(Y, np.float32(4.0), out=out),
}
# (the kinds whose input and out the common path takes; a leaf that requires
# grad is no out: the general path raises)
_COMMON_KINDS = {"none", "new", "same", "same memory", "requires grad", "halves of one buffer",
                 "requires grad, out"}


@pytest.mark.parametrize("call", list(_VIEWS_CALLS))
@pytest.mark.parametrize("kind", list(_TENSOR_OUTS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_common_views_give_the_general_paths_results_and_errors(call, kind, dtype,
                                                                monkeypatch):
    """``common_memory``'s views of CPU tensors: the general path's results,
    input, output object and errors; and taken for the common kinds."""
    from skproj.projections import _validation

    project = _VIEWS_CALLS[call]
    taken = []
    real = _validation.common_memory
    monkeypatch.setattr(_validation, "common_memory",
                        lambda *args: taken.append(real(*args)) or taken[-1])

    def make():
        T = torch.randn(7, 9, dtype=dtype, generator=torch.Generator().manual_seed(8))
        return _TENSOR_OUTS[kind](T)

    fast = _tensor_outcome(lambda Y, _, out: project(Y, out), make, None)
    if kind in _COMMON_KINDS:
        assert taken and taken[0] is not None
    monkeypatch.setattr(_validation, "common_memory", lambda *args, **kwargs: None)
    general = _tensor_outcome(lambda Y, _, out: project(Y, out), make, None)
    _assert_same_outcome(fast, general)


def test_common_views_share_the_tensors_memory():
    """The views are the tensors' memory, kept alive by the views alone."""
    from skproj.projections._arrays import common_views

    T = torch.randn(5, 6)
    out = torch.empty_like(T)
    y_np, x_np, result = common_views(T, out, 2)
    assert result is out and y_np.ctypes.data == T.data_ptr()
    assert x_np.ctypes.data == out.data_ptr() and x_np.shape == (5, 6)
    x_np[0, 0] = 7.0
    assert out[0, 0] == 7.0
    y_np, x_np, result = common_views(T, T, None)
    assert x_np is y_np and result is T
    assert common_views(T, None, 3) is None and common_views(T.t(), None, None) is None
    y_np, x_np, result = common_views(torch.ones(3, 4, dtype=torch.float64), None, None)
    del result
    np.testing.assert_array_equal(y_np, 1.0)   # (the input, alive through its view)
    assert x_np.shape == (3, 4) and x_np.dtype == np.float64


@pytest.mark.parametrize("name", P.MATRIX_CONSTRAINTS)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("in_place", [False, True])
def test_matrix_kernels_at_a_tensors_addresses_give_numpys_bits(name, dtype, axis, in_place,
                                                              monkeypatch):
    """The matrix kernels' address entries (CPU tensors with ``out=``): NumPy's results."""
    from skproj.projections import _matrix

    constraint = P.get_constraint(name, axis=axis)
    T = torch.randn(40, 70, dtype=dtype, generator=torch.Generator().manual_seed(1))
    calls = []
    real = _matrix.matrix_call

    def matrix_call(at_addresses, y, *args):
        result = real(at_addresses, y, *args)
        if isinstance(y, torch.Tensor):  # (the NumPy references take it too)
            calls.append(result)
        return result

    monkeypatch.setattr(_matrix, "matrix_call", matrix_call)
    for share in (0.05, 0.5, 2.0):  # (2.0: inside the ball, copied)
        eta = share * float(constraint.norm(T.numpy()))
        expected = constraint.function(T.numpy(), eta, axis=axis)
        Y = T.clone()
        out = Y if in_place else torch.empty_like(Y)
        assert constraint.function(Y, eta, axis=axis, out=out) is out
        np.testing.assert_array_equal(out.numpy(), expected)
    # (the exact l1,2 ball is bilevel_l12's group soft threshold: its entry too)
    assert len(calls) == 3 and None not in calls


@pytest.mark.parametrize("project", FAST, ids=ids)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("grad", [False, True])
def test_new_results_of_tensors_come_from_the_address_entries(project, dtype, grad,
                                                              monkeypatch):
    """CPU tensors without ``out=`` take the common call too (a new tensor on
    NumPy's memory, as the general way makes it): NumPy's bits, the input
    untouched, the result a new tensor outside autograd."""
    from skproj.projections import _matrix, _vector

    calls = []
    for module, entry in ((_vector, "vector_call"), (_matrix, "matrix_call")):
        def recorded(*args, real=getattr(module, entry), **kwargs):
            result = real(*args, **kwargs)
            calls.append(result)
            return result
        monkeypatch.setattr(module, entry, recorded)
    T = torch.randn(40, 70, dtype=dtype, generator=torch.Generator().manual_seed(5))
    Y = torch.nn.Parameter(T.clone()) if grad else T.clone()
    eta = 1.0 if project is P.project_simplex else _share_of_norm(project, T, 0.3)
    X = project(Y, eta)
    assert len(calls) == 1 and calls[0] is not None
    assert type(X) is torch.Tensor and X.dtype == dtype and not X.requires_grad
    assert X.data_ptr() != Y.data_ptr() and X.is_contiguous() and X.shape == Y.shape
    assert torch.equal(Y.detach(), T)
    np.testing.assert_array_equal(X.numpy(), project(T.numpy(), eta))


@pytest.mark.parametrize("project", VECTOR, ids=ids)
@pytest.mark.parametrize("shape", [(), (5,), (2, 3, 4)], ids=str)
def test_new_results_of_tensors_of_any_shape(project, shape, monkeypatch):
    """The vector sets' new tensors keep the input's shape (0-d and 3-d included)."""
    from skproj.projections import _vector

    calls = []
    real = _vector.vector_call
    monkeypatch.setattr(_vector, "vector_call",
                        lambda *args: calls.append(real(*args)) or calls[-1])
    T = 3 * torch.randn(shape, dtype=torch.float64, generator=torch.Generator().manual_seed(6))
    X = project(T, 1.0)
    assert calls[0] is not None and X.shape == T.shape and X.dtype == T.dtype
    np.testing.assert_array_equal(X.numpy(), project(T.numpy(), 1.0))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_exact_ball_duals_at_a_tensors_addresses(dtype):
    T = torch.randn(30, 20, dtype=dtype, generator=torch.Generator().manual_seed(2))
    eta = 0.3 * P.l1inf_norm(T)
    X, theta, mu = P.project_l1inf_ball(T, eta, out=torch.empty_like(T), return_dual=True)
    X_np, theta_np, mu_np = P.project_l1inf_ball(T.numpy(), eta, return_dual=True)
    assert isinstance(mu, torch.Tensor) and theta == theta_np
    np.testing.assert_array_equal(X.numpy(), X_np)
    np.testing.assert_array_equal(mu.numpy(), mu_np)


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("sparsity", [0.4, 0.7, 0.9])
def test_torch_device_group_hoyer_matches_kernel(axis, sparsity):
    """GSP's device code (``_torch_hoyer``: a search over the groups' tops, then Illinois
    steps), exercised on CPU tensors, against the kernel; weights too."""
    from skproj.projections import _torch_hoyer

    rng = np.random.default_rng(7)
    Y = rng.standard_normal((40, 30)) * np.logspace(-3, 3, 30)
    Y[:, 3] = 0  # an empty group
    Y[5] = np.round(Y[5])  # ties
    size = Y.shape[axis]
    for weights in (np.ones(size), np.linspace(1, 3, size)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            expected = P.project_group_hoyer(Y, sparsity, axis=axis, weights=weights)
        x, _, reached = _torch_hoyer.group_hoyer(torch.from_numpy(Y), sparsity, axis, weights)
        assert reached == (not caught)  # unreachable with the heavier weights at 0.9
        np.testing.assert_allclose(x.numpy(), expected, rtol=1e-9, atol=1e-12 * np.abs(Y).max())


@pytest.mark.parametrize("project", FAST + [P.project_group_hoyer], ids=ids)
@pytest.mark.parametrize("where", ["input", "out", "in place"])
def test_negative_views_are_read_and_written_as_their_values(project, where):
    # (a negative view's memory holds its values negated: NumPy cannot view it,
    # so the input is read through a copy and the result written through torch)
    T = torch.randn(6, 9, dtype=torch.float64, generator=torch.Generator().manual_seed(4))
    level = 0.6 if project is P.project_group_hoyer else _share_of_norm(project, T, 0.4)
    expected = project(T.numpy(), level)
    negative = torch._neg_view(-T)
    assert negative.is_neg() and torch.equal(negative, T)
    if where == "input":
        X = project(negative, level)
    elif where == "out":
        out = torch._neg_view(torch.zeros_like(T))
        X = project(T, level, out=out)
        assert X is out
    else:
        X = project(negative, level, out=negative)
        assert X is negative
    np.testing.assert_array_equal(X.resolve_neg().numpy(), expected)
    if where == "input":
        assert torch.equal(negative, T)   # (the input unchanged)


@pytest.mark.parametrize("project", FAST + [P.project_group_hoyer], ids=ids)
@pytest.mark.parametrize("where", ["new", "out", "in place", "negative input"])
def test_host_route_gives_the_kernels_bits(project, where, monkeypatch):
    # Small CUDA tensors are projected on a host copy (``_run_on_host``);
    # CPU tensors stand for them here, sent there by the general way (a
    # transposed view passes the common call by).
    from skproj.projections import _validation

    T = torch.randn(9, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(5)).t()
    level = 0.6 if project is P.project_group_hoyer else _share_of_norm(project, T, 0.4)
    expected = project(T.contiguous().numpy(), level)
    before = T.clone()
    taken = []

    def through_host(y, out, compute, torch_compute, ndim, name, empty_result):
        taken.append(y.is_contiguous())
        return _validation._run_on_host(y, out, compute, empty_result)

    monkeypatch.setattr(_validation, "_run_on_tensor", through_host)
    if where == "new":
        X = project(T, level)
    elif where == "out":
        out = torch.full_like(T, float("nan"))
        assert project(T, level, out=out) is out
        X = out
    elif where == "in place":
        X = T.clone()
        assert project(X, level, out=X) is X
    else:
        X = project(torch._neg_view(-T), level)
    assert taken == [False]
    np.testing.assert_array_equal(X.numpy(), expected)
    assert torch.equal(T, before)


def test_host_route_extras_are_tensors(monkeypatch):
    from skproj.projections import _validation

    monkeypatch.setattr(_validation, "_run_on_tensor",
                        lambda y, out, compute, torch_compute, ndim, name, empty_result:
                        _validation._run_on_host(y, out, compute, empty_result))
    T = torch.randn(9, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(6)).t()
    eta = 0.3 * P.l1inf_norm(T.contiguous().numpy())
    X, theta, levels = P.project_l1inf_ball(T, eta, return_dual=True)
    expected = P.project_l1inf_ball(T.contiguous().numpy(), eta, return_dual=True)
    np.testing.assert_array_equal(X.numpy(), expected[0])
    assert float(theta) == expected[1]
    assert isinstance(levels, torch.Tensor)
    np.testing.assert_array_equal(levels.numpy(), expected[2])


def test_device_tensor_check_names_what_is_wrong():
    # ``group_norms`` checks a device tensor by this before torch's
    # operations there; CPU tensors stand for one.
    from skproj.projections._validation import check_device_tensor

    T = torch.randn(4, 5, dtype=torch.float32)
    check_device_tensor(T, 2)
    check_device_tensor(T[:0], 2)  # empty: nothing to read
    with pytest.raises(TypeError, match="Y has dtype torch.int32"):
        check_device_tensor(T.int(), 2)
    with pytest.raises(ValueError, match="Y must be a 2-D array"):
        check_device_tensor(T[0], 2)
    for bad in (float("nan"), float("inf"), -float("inf")):
        U = T.clone()
        U[2, 3] = bad
        with pytest.raises(ValueError, match="Y contains NaN or infinity"):
            check_device_tensor(U, 2)


def test_statistics_of_negative_views():
    T = torch.randn(6, 9, dtype=torch.float64, generator=torch.Generator().manual_seed(5))
    negative = torch._neg_view(-T)
    torch.testing.assert_close(P.group_norms(negative, "linf"), P.group_norms(T, "linf"),
                               rtol=0, atol=0)
    assert P.BilevelL1Inf(1.0).norm(negative) == P.BilevelL1Inf(1.0).norm(T)
    assert P.hoyer_sparsity(negative)[1] == P.hoyer_sparsity(T)[1]
