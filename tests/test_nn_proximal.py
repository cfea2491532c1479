"""skproj.nn: the proximal l1 step (ProximalL1) and the choice of alpha (fit_to_nonzeros)."""

import math
import warnings

import numpy as np
import pytest
from recording import RecordingCallback
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso

torch = pytest.importorskip("torch")

from skproj.nn import (  # noqa: E402
    ClosestToTarget,
    ProximalL1,
    adaptive_penalty_scale,
    copy_zeros_,
    count_nonzeros,
    fit_to_nonzeros,
    freeze_zeros,
    keep_largest_,
    l1_weights,
    run_epochs,
    soft_threshold_,
)
from skproj.nn._proximal import _next_alpha  # noqa: E402


def _soft_threshold_reference(w, t):
    """The closed form of the prox of t*|.|, entry by entry, in plain Python."""
    return np.array([math.copysign(max(abs(a) - b, 0.0), a) for a, b in
                     zip(w.ravel(), np.broadcast_to(t, w.shape).ravel())]).reshape(w.shape)


def _mlp(sizes=(5, 8, 6, 1), seed=0):
    torch.manual_seed(seed)
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i:
            layers.append(torch.nn.ReLU())
        layers.append(torch.nn.Linear(a, b))
    return torch.nn.Sequential(*layers)


# --- soft threshold -----------------------------------------------------------------


@given(arrays(np.float64, st.integers(0, 30), elements=st.floats(-1e3, 1e3)),
       st.floats(0, 1e3))
def test_soft_threshold_matches_closed_form(values, threshold):
    tensor = torch.tensor(values)
    out = soft_threshold_(tensor, threshold)
    assert out is tensor  # in place
    np.testing.assert_allclose(tensor.numpy(), _soft_threshold_reference(values, threshold),
                               rtol=1e-12, atol=1e-12)
    assert np.all(np.abs(tensor.numpy()) <= np.abs(values))


def test_soft_threshold_per_entry_and_is_the_prox():
    rng = np.random.default_rng(0)
    w = rng.normal(size=(4, 7))
    t = rng.uniform(0, 1, size=(4, 7))
    got = soft_threshold_(torch.tensor(w), torch.tensor(t)).numpy()
    np.testing.assert_allclose(got, _soft_threshold_reference(w, t), rtol=1e-12)
    # the prox minimizes 0.5 (x - w)^2 + t |x| entry by entry: no grid point does better
    grid = np.linspace(-4, 4, 8001)
    for (i, j), value in np.ndenumerate(w):
        objective = 0.5 * (grid - value) ** 2 + t[i, j] * np.abs(grid)
        best = 0.5 * (got[i, j] - value) ** 2 + t[i, j] * abs(got[i, j])
        assert best <= objective.min() + 1e-12


def test_soft_threshold_on_a_parameter_keeps_autograd_usable():
    layer = torch.nn.Linear(6, 3)
    soft_threshold_(layer.weight, 0.2)
    assert layer.weight.requires_grad
    layer(torch.randn(4, 6)).sum().backward()
    assert layer.weight.grad is not None


# --- which tensors are penalized ------------------------------------------------------


def test_l1_weights_are_the_matrices_and_kernels_not_biases_or_norm_scales():
    network = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
        torch.nn.Flatten(), torch.nn.Linear(4 * 6 * 6, 5), torch.nn.LayerNorm(5),
        torch.nn.Linear(5, 2))
    weights = l1_weights(network)
    assert [w.shape for w in weights] == [(4, 1, 3, 3), (5, 144), (2, 5)]
    assert all(w is p for w, p in zip(weights, (network[0].weight, network[4].weight,
                                                network[6].weight)))
    np.testing.assert_array_equal(count_nonzeros(network), [36, 720, 10])


# --- the proximal step ----------------------------------------------------------------


def _one_step(optimizer_name, alpha, lr=0.05, penalty_scale=None):
    """A network, the gradient at its weights, and the network after one proximal step.

    ``penalty_scale(weights)``: the factors of the penalty, from the weights.
    """
    network = _mlp()
    x, y = torch.randn(32, 5, generator=torch.Generator().manual_seed(1)), torch.ones(32, 1)
    before = {name: p.detach().clone() for name, p in network.named_parameters()}
    optimizer = (torch.optim.SGD(network.parameters(), lr=lr) if optimizer_name == "sgd"
                 else torch.optim.Adam(network.parameters(), lr=lr))
    scales = None if penalty_scale is None else penalty_scale(l1_weights(network))
    prox = ProximalL1(optimizer, alpha, penalty_scale=scales)
    prox.on_train_begin(network)
    optimizer.zero_grad()
    torch.nn.functional.mse_loss(network(x), y).backward()
    grads = {name: p.grad.detach().clone() for name, p in network.named_parameters()}
    optimizer.step()
    prox.on_step_end(network)
    after = {name: p.detach().clone() for name, p in network.named_parameters()}
    return before, grads, after


def test_sgd_step_then_threshold_at_lr_alpha_biases_untouched():
    lr, alpha = 0.05, 0.3
    before, grads, after = _one_step("sgd", alpha, lr)
    for name in before:
        moved = (before[name] - lr * grads[name]).numpy()
        expected = _soft_threshold_reference(moved, lr * alpha) if name.endswith("weight") \
            else moved  # biases: the plain gradient step, never thresholded
        np.testing.assert_allclose(after[name].numpy(), expected, rtol=1e-5, atol=1e-7)
    assert any((after[n] == 0).any() for n in after if n.endswith("weight"))
    assert not any((after[n] == 0).any() for n in after if n.endswith("bias"))


def test_adam_threshold_is_per_coordinate_from_the_second_moment():
    """First Adam step: m_hat = g, v_hat = g^2, so the step is lr g / (|g| + eps)."""
    lr, alpha, eps = 0.05, 0.3, 1e-8
    before, grads, after = _one_step("adam", alpha, lr)
    for name in before:
        g = grads[name].double().numpy()
        denominator = np.abs(g) + eps
        moved = before[name].double().numpy() - lr * g / denominator
        expected = (_soft_threshold_reference(moved, lr * alpha / denominator)
                    if name.endswith("weight") else moved)
        np.testing.assert_allclose(after[name].numpy(), expected, rtol=1e-5, atol=1e-6)


def _transposed_weights(network):
    """The same network with every weight stored transposed (not contiguous)."""
    for module in network.modules():
        if isinstance(module, torch.nn.Linear):
            data = module.weight.detach().t().contiguous().t()
            module.weight = torch.nn.Parameter(data)
    assert not all(w.is_contiguous() for w in l1_weights(network))
    return network


@pytest.mark.parametrize("optimizer_name", ["sgd", "adam"])
@pytest.mark.parametrize("with_scale", [False, True])
def test_one_pass_kernel_and_torch_operations_agree(optimizer_name, with_scale):
    """Contiguous CPU weights take the one-pass kernel, the others torch's operations."""
    results = []
    for layout in (lambda n: n, _transposed_weights):
        network = layout(_mlp())
        optimizer = (torch.optim.SGD(network.parameters(), lr=0.05) if optimizer_name == "sgd"
                     else torch.optim.Adam(network.parameters(), lr=0.05))
        scales = _random_factors(l1_weights(network)) if with_scale else None
        prox = ProximalL1(optimizer, 0.3, penalty_scale=scales)
        prox.on_train_begin(network)
        x = torch.randn(32, 5, generator=torch.Generator().manual_seed(1))
        for _ in range(5):
            optimizer.zero_grad()
            torch.nn.functional.mse_loss(network(x), torch.ones(32, 1)).backward()
            optimizer.step()
            prox.on_step_end(network)
        results.append([p.detach().clone() for p in network.parameters()])
    for kernel, operations in zip(*results):
        # (torch's CPU square root is not always correctly rounded: an ulp here and there)
        torch.testing.assert_close(kernel, operations, rtol=1e-5, atol=1e-7)
        assert torch.equal(kernel == 0, operations == 0)


def test_soft_threshold_is_seen_by_autograd_as_an_in_place_change():
    """The kernel writes through the tensor's memory; autograd is told (version counter)."""
    layer = torch.nn.Linear(6, 3)
    x = torch.randn(4, 6, requires_grad=True)
    loss = (layer(x) ** 2).sum()  # saves the weight for x's gradient
    version = layer.weight._version
    soft_threshold_(layer.weight, 0.2)
    assert layer.weight._version > version
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_zero_learning_rate_leaves_the_weights_even_with_a_zero_metric():
    """lr = 0 is no threshold, also where Adam's sqrt(v) + eps is 0 (eps = 0, v = 0)."""
    network = _mlp()
    optimizer = torch.optim.Adam(network.parameters(), lr=0.05)
    prox = ProximalL1(optimizer, 0.3)
    prox.on_train_begin(network)
    torch.nn.functional.mse_loss(network(torch.randn(8, 5)), torch.ones(8, 1)).backward()
    optimizer.step()
    for group in optimizer.param_groups:
        group["lr"], group["eps"] = 0.0, 0.0
    for state in optimizer.state.values():
        state["exp_avg_sq"].zero_()
    before = [p.detach().clone() for p in network.parameters()]
    prox.on_step_end(network)
    assert all(torch.equal(a, b) for a, b in zip(before, network.parameters()))


def _random_factors(weights):
    generator = torch.Generator().manual_seed(2)
    return [torch.rand(w.shape, generator=generator) * 3 for w in weights]


@pytest.mark.parametrize("optimizer_name", ["sgd", "adam"])
def test_penalty_scale_multiplies_every_threshold(optimizer_name):
    """With factors c the threshold of weight i is c_i times the plain one (closed form)."""
    lr, alpha, eps = 0.05, 0.3, 1e-8
    before, grads, after = _one_step(optimizer_name, alpha, lr, _random_factors)
    factors = iter(_random_factors(l1_weights(_mlp())))
    for name in before:
        g = grads[name].double().numpy()
        denominator = np.abs(g) + eps if optimizer_name == "adam" else np.ones_like(g)
        moved = before[name].double().numpy() - lr * g / denominator
        if name.endswith("weight"):
            c = next(factors).double().numpy()
            expected = _soft_threshold_reference(moved, lr * alpha * c / denominator)
        else:
            expected = moved
        np.testing.assert_allclose(after[name].numpy(), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("optimizer_name", ["sgd", "adam"])
def test_unit_penalty_scale_is_the_plain_step(optimizer_name):
    plain = _one_step(optimizer_name, 0.3)[2]
    ones = _one_step(optimizer_name, 0.3,
                     penalty_scale=lambda ws: [torch.ones_like(w) for w in ws])[2]
    for name in plain:
        torch.testing.assert_close(ones[name], plain[name], rtol=0, atol=0)


def test_adaptive_penalty_scale_closed_form():
    weights = [torch.tensor([[1.0, -3.0]]), torch.tensor([[0.0], [4.0]])]
    mean, eps = 2.0, 1e-3
    for power in (1.0, 0.5, 2.0):
        scales = adaptive_penalty_scale(weights, power)
        for w, c in zip(weights, scales):
            expected = (mean / (np.abs(w.numpy()) + eps * mean)) ** power
            np.testing.assert_allclose(c.numpy(), expected, rtol=1e-6)
            assert c.shape == w.shape
    # the larger the weight, the cheaper: the factors decrease with |w0|
    c = torch.cat([s.flatten() for s in adaptive_penalty_scale(weights)])
    assert c[1] < c[0] and c[3] < c[1] and c[2] == c.max() == pytest.approx(1000.0, rel=1e-6)
    with pytest.raises(ValueError, match="power"):
        adaptive_penalty_scale(weights, 0.0)
    with pytest.raises(ValueError, match="eps"):
        adaptive_penalty_scale(weights, eps=-1.0)
    with pytest.raises(ValueError, match="not all zero"):
        adaptive_penalty_scale([torch.zeros(2, 2)])


def test_penalty_scale_bad_arguments():
    network = _mlp()
    optimizer = torch.optim.SGD(network.parameters(), lr=0.1)
    weights = l1_weights(network)
    with pytest.raises(ValueError, match="one tensor per weight tensor"):
        ProximalL1(optimizer, 0.1, penalty_scale=weights[:2]).on_train_begin(network)
    wrong = [torch.ones(w.shape) for w in weights]
    wrong[1] = torch.ones(3)
    with pytest.raises(ValueError, match=r"penalty_scale\[1\] must have the shape"):
        ProximalL1(optimizer, 0.1, penalty_scale=wrong).on_train_begin(network)
    negative = [-torch.ones(w.shape) for w in weights]
    with pytest.raises(ValueError, match="finite and >= 0"):
        ProximalL1(optimizer, 0.1, penalty_scale=negative).on_train_begin(network)


def test_per_layer_alpha_and_zero_alpha():
    network = _mlp()
    optimizer = torch.optim.SGD(network.parameters(), lr=0.1)
    prox = ProximalL1(optimizer, [0.0, 1e6, 0.0])
    x, y = torch.randn(16, 5), torch.randn(16, 1)
    optimizer.zero_grad()
    torch.nn.functional.mse_loss(network(x), y).backward()
    optimizer.step()
    prox.on_step_end(network)  # resolves its weights on first use
    counts = count_nonzeros(network)
    assert counts[0] == 40 and counts[1] == 0 and counts[2] == 6
    assert (network[2].bias != 0).all()


def test_proximal_sgd_and_proximal_adam_converge_to_the_lasso():
    """Both metrics have the lasso's fixed points: the same solution as scikit-learn."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 8))
    y = X @ np.array([2.0, -1.0, 0, 0, 0.5, 0, 0, 0]) + 0.1 * rng.normal(size=60)
    alpha = 0.1
    lasso = Lasso(alpha=alpha, fit_intercept=False, tol=1e-12, max_iter=100000).fit(X, y)
    X_t, y_t = torch.tensor(X), torch.tensor(y)[:, None]
    lipschitz = np.linalg.eigvalsh(X.T @ X / 60).max()
    for make, n_steps in ((lambda p: torch.optim.SGD(p, lr=1 / lipschitz), 3000),
                          (lambda p: torch.optim.Adam(p, lr=1e-2), 4000)):
        layer = torch.nn.Linear(8, 1, bias=False).double()
        optimizer = make(layer.parameters())
        prox = ProximalL1(optimizer, alpha)
        for step in range(n_steps):
            if step == n_steps // 2:  # Adam with a fixed rate hovers; settle it
                for group in optimizer.param_groups:
                    group["lr"] *= 0.1
            optimizer.zero_grad()
            (0.5 * torch.nn.functional.mse_loss(layer(X_t), y_t)).backward()
            optimizer.step()
            prox.on_step_end(layer)
        w = layer.weight.detach().numpy().ravel()
        np.testing.assert_allclose(w, lasso.coef_, atol=2e-3)
        np.testing.assert_array_equal(w != 0, lasso.coef_ != 0)


def test_warmup_ramps_the_threshold_linearly_then_holds_it():
    """Without gradient steps, step s of k shrinks every weight by lr alpha min(s, k) / k."""
    lr, alpha, k = 0.1, 0.2, 4
    layer = torch.nn.Linear(3, 2)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, -2.0, 0.05], [3.0, -0.5, 0.3]]))
    start = layer.weight.detach().double().numpy().copy()
    optimizer = torch.optim.SGD(layer.parameters(), lr=lr)
    prox = ProximalL1(optimizer, alpha, warmup_steps=k)
    prox.on_train_begin(layer)
    expected = start
    for step in range(1, 7):
        prox.on_step_end(layer)
        expected = _soft_threshold_reference(expected, lr * alpha * min(step, k) / k)
        np.testing.assert_allclose(layer.weight.detach().numpy(), expected, atol=1e-7)
    # a new training ramps again from 0
    prox.on_train_begin(layer)
    before = layer.weight.detach().double().numpy().copy()
    prox.on_step_end(layer)
    np.testing.assert_allclose(layer.weight.detach().numpy(),
                               _soft_threshold_reference(before, lr * alpha / k), atol=1e-7)


def test_proximal_bad_arguments():
    network = _mlp()
    optimizer = torch.optim.SGD(network.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="metric"):
        ProximalL1(optimizer, 0.1, metric="rmsprop")
    with pytest.raises(ValueError, match="warmup_steps"):
        ProximalL1(optimizer, 0.1, warmup_steps=-1)
    with pytest.raises(ValueError, match="metric='adam' needs"):
        ProximalL1(optimizer, 0.1, metric="adam").on_train_begin(network)
    with pytest.raises(ValueError, match="alpha must be a number or a sequence of 3"):
        ProximalL1(optimizer, [0.1, 0.2]).on_train_begin(network)
    with pytest.raises(ValueError, match="alpha must be finite and >= 0"):
        ProximalL1(optimizer, -1.0).on_train_begin(network)
    other = torch.optim.SGD(_mlp().parameters(), lr=0.1)
    with pytest.raises(ValueError, match="not trained by the optimizer"):
        ProximalL1(other, 0.1).on_train_begin(network)


# --- the training loop ------------------------------------------------------------------


_Counter = RecordingCallback


def test_run_epochs_calls_the_hooks_and_stops_on_request():
    network = _mlp()
    optimizer = torch.optim.SGD(network.parameters(), lr=0.01)
    X, y = torch.randn(10, 5), torch.randn(10, 1)
    counter = _Counter()
    losses = []
    done = run_epochs(network, optimizer, torch.nn.functional.mse_loss, X, y, n_epochs=3,
                      batch_size=4, generator=torch.Generator().manual_seed(0),
                      callbacks=counter, on_epoch=lambda e, loss: losses.append(loss))
    assert done == 3 and len(losses) == 3
    assert counter.calls == ["begin"] + (["step"] * 3 + ["epoch"]) * 3 + ["end"]
    done = run_epochs(network, optimizer, torch.nn.functional.mse_loss, X, y, n_epochs=5,
                      batch_size=4, generator=torch.Generator().manual_seed(0),
                      on_epoch=lambda e, loss: e == 1)
    assert done == 2


def test_run_epochs_on_sparse_rows_equals_the_dense_tensor():
    from scipy import sparse

    X, y = torch.randn(40, 5), torch.randn(40, 1)
    X[X.abs() < 0.8] = 0.0
    networks = []
    for samples in (X, sparse.csr_matrix(X.numpy()), sparse.csr_array(X.numpy())):
        network = _mlp()
        optimizer = torch.optim.Adam(network.parameters(), lr=0.01)
        run_epochs(network, optimizer, torch.nn.functional.mse_loss, samples, y, n_epochs=2,
                   batch_size=8, generator=torch.Generator().manual_seed(0))
        networks.append(network)
    for other in networks[1:]:
        for a, b in zip(networks[0].parameters(), other.parameters()):
            assert torch.equal(a, b)


# --- the choice of alpha -------------------------------------------------------------------


def _problem(n_samples=120, seed=0):
    generator = torch.Generator().manual_seed(seed)
    X = torch.randn(n_samples, 5, generator=generator)
    y = (X[:, :1] * X[:, 1:2] + torch.sin(X[:, 2:3])).detach()
    return X, y


def _trainer(X, y, n_epochs=30, lr=1e-2):
    loss = torch.nn.functional.mse_loss

    def train(network, alpha):
        optimizer = torch.optim.Adam(network.parameters(), lr=lr)
        run_epochs(network, optimizer, loss, X, y, n_epochs=n_epochs, batch_size=32,
                   generator=torch.Generator().manual_seed(0),
                   callbacks=ProximalL1(optimizer, alpha))

    return train, lambda network: loss(network(X), y)


@pytest.mark.parametrize("rule", ["secant", "gradient"])
def test_global_target_reached_deterministically(rule):
    X, y = _problem()
    train, loss = _trainer(X, y)
    network = _mlp((5, 16, 16, 1))
    before = [p.detach().clone() for p in network.parameters()]
    results = [fit_to_nonzeros(network, train, loss, 100, rule=rule, max_trials=10)
               for _ in range(2)]
    first, second = results
    assert first.reached and abs(first.nonzeros.sum() - 100) <= 5
    np.testing.assert_array_equal(count_nonzeros(first.network), first.nonzeros)
    assert len(set(first.alpha)) == 1 and first.alpha[0] > 0  # one alpha for the network
    np.testing.assert_array_equal(first.alpha, second.alpha)
    np.testing.assert_array_equal(first.nonzeros, second.nonzeros)
    assert len(first.trials) <= 10 and first.trials[-1]["reached"]
    assert all(torch.equal(a, b) for a, b in zip(before, network.parameters()))  # untouched


def test_weighted_target_reached_and_first_alpha_reads_the_factors():
    """With factors, the first alpha is the n*-th largest |dL/dw| / c, and the target is met."""
    X, y = _problem()
    network = _mlp((5, 16, 16, 1))
    scales = adaptive_penalty_scale(l1_weights(network))
    loss_fn = torch.nn.functional.mse_loss

    def train(net, alpha):
        optimizer = torch.optim.Adam(net.parameters(), lr=1e-2)
        run_epochs(net, optimizer, loss_fn, X, y, n_epochs=30, batch_size=32,
                   generator=torch.Generator().manual_seed(0),
                   callbacks=ProximalL1(optimizer, alpha, penalty_scale=scales))

    def loss(net):
        return loss_fn(net(X), y)

    result = fit_to_nonzeros(network, train, loss, 100, penalty_scale=scales)
    assert result.reached and abs(result.nonzeros.sum() - 100) <= 5
    probe = _mlp((5, 16, 16, 1))
    loss(probe).backward()
    ratios = np.sort(np.concatenate([(w.grad.abs() / c).flatten().double().numpy()
                                     for w, c in zip(l1_weights(probe), scales)]))[::-1]
    np.testing.assert_allclose(result.trials[0]["alpha"], ratios[99], rtol=1e-6)
    again = fit_to_nonzeros(network, train, loss, 100, penalty_scale=scales)
    np.testing.assert_array_equal(result.alpha, again.alpha)


def test_per_layer_targets_each_met():
    X, y = _problem()
    train, loss = _trainer(X, y)
    target = [40, 60, 8]
    result = fit_to_nonzeros(_mlp((5, 16, 16, 1)), train, loss, target, max_trials=10)
    assert result.reached
    tolerance = np.maximum(0.05 * np.array(target), 1)
    assert np.all(np.abs(result.nonzeros - target) <= tolerance)
    assert len(set(result.alpha)) == 3  # one alpha per layer


def test_unreachable_target_warns_and_returns_the_closest():
    X, y = _problem()
    train, loss = _trainer(X, y, n_epochs=5)
    with pytest.warns(ConvergenceWarning, match="closest network"):
        result = fit_to_nonzeros(_mlp((5, 16, 16, 1)), train, loss, 100, max_trials=2,
                                 alpha_init=10.0, tol=0.0)
    assert not result.reached and len(result.trials) == 2
    errors = [t["error"] for t in result.trials]
    best = int(np.argmin(errors))
    np.testing.assert_array_equal(result.nonzeros, result.trials[best]["nonzeros"])
    np.testing.assert_array_equal(count_nonzeros(result.network), result.nonzeros)

    def no_pruning(network, alpha):  # whatever alpha, nothing is zeroed
        train(network, 0.0)

    with pytest.warns(ConvergenceWarning):
        result = fit_to_nonzeros(_mlp((5, 16, 16, 1)), no_pruning, loss, 100, max_trials=3)
    assert result.nonzeros.sum() == 5 * 16 + 16 * 16 + 16


def test_trial_start_denser_starts_from_an_earlier_denser_trial():
    X, y = _problem()
    train, loss = _trainer(X, y)
    starts = []

    def spy(network, alpha):
        starts.append(int(count_nonzeros(network).sum()))
        train(network, alpha)

    full = 5 * 16 + 16 * 16 + 16
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = fit_to_nonzeros(_mlp((5, 16, 16, 1)), spy, loss, 100, trial_start="denser",
                                 alpha_init=1e-4, max_trials=4, tol=0.0)
    totals = [t["total"] for t in result.trials]
    assert starts[0] == full and not result.trials[0]["warm"]
    assert totals[0] > 100  # alpha_init is small: the first trial is too dense
    for i in range(1, len(totals)):
        denser = [n for n in totals[:i] if n > 100]
        assert result.trials[i]["warm"] == bool(denser)
        # a warm trial starts from an earlier trial that was too dense, never a sparser one
        assert starts[i] in denser if denser else starts[i] == full


def test_trial_start_previous_continues_the_last_trial_without_an_empty_layer():
    X, y = _problem()
    train, loss = _trainer(X, y)
    starts, ends = [], []

    def weights(network):
        return [w.detach().clone() for w in l1_weights(network)]

    def spy(network, alpha):
        starts.append(weights(network))
        train(network, alpha)
        ends.append(weights(network))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # a large first penalty: early trials may empty a layer, whose network is never
        # a start
        result = fit_to_nonzeros(_mlp((5, 16, 16, 1)), spy, loss, 100,
                                 trial_start="previous", alpha_init=1.0, max_trials=5, tol=0.0)
    counts = [t["nonzeros"] for t in result.trials]
    assert not result.trials[0]["warm"]
    for i in range(1, len(counts)):
        alive = [k for k in range(i) if np.all(counts[k] > 0)]
        assert result.trials[i]["warm"] == bool(alive)
        # from the weights the last trial without an empty layer ended with, else afresh
        expected = ends[alive[-1]] if alive else starts[0]
        assert all(torch.equal(a, b) for a, b in zip(expected, starts[i]))


def test_trial_start_is_checked():
    X, y = _problem()
    train, loss = _trainer(X, y)
    with pytest.raises(ValueError, match="trial_start"):
        fit_to_nonzeros(_mlp((5, 16, 16, 1)), train, loss, 100, trial_start="latest")


def test_a_loss_may_accumulate_its_gradients_itself():
    # For data too large for one pass: backward on chunks, return None.
    X, y = _problem()
    train, loss = _trainer(X, y, n_epochs=3)

    def chunked(network):
        for rows in torch.arange(len(X)).split(50):
            (torch.nn.functional.mse_loss(network(X[rows]), y[rows]) * len(rows)
             / len(X)).backward()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        results = [fit_to_nonzeros(_mlp((5, 16, 16, 1)), train, f, 100, max_trials=1)
                   for f in (loss, chunked)]
    np.testing.assert_allclose(results[1].trials[0]["alpha"], results[0].trials[0]["alpha"],
                               rtol=1e-5)


def test_a_closed_bracket_that_misses_the_target_restarts_from_the_last_trial():
    # Per-layer targets: the other layers' penalties moved this layer's count since
    # the bracket's ends were measured; the penalty wanted may lie outside it.
    stale = [(1.0, 200), (1.05, 50)]  # a bracket 5 % wide, counts 200 and 50 around 100
    assert _next_alpha(stale, 100, "secant", coupled=True) == pytest.approx(1.05 * 50 / 100)
    # one penalty for the network: a closed bracket is a jump of the count; stay inside
    assert 1.0 < _next_alpha(stale, 100, "secant") < 1.05
    wide = [(1.0, 200), (4.0, 50)]  # a live bracket: the secant stays inside it
    assert 1.0 < _next_alpha(wide, 100, "secant", coupled=True) < 4.0


def test_fit_to_nonzeros_bad_arguments():
    X, y = _problem()
    train, loss = _trainer(X, y)
    network = _mlp((5, 4, 1))  # 20 + 4 weights
    with pytest.raises(ValueError, match=r"lie in \[1, \[24\]\]"):
        fit_to_nonzeros(network, train, loss, 25)
    with pytest.raises(ValueError, match="one int or 2 ints"):
        fit_to_nonzeros(network, train, loss, [3, 3, 3])
    with pytest.raises(ValueError, match="an int or a sequence of ints"):
        fit_to_nonzeros(network, train, loss, 2.5)
    with pytest.raises(ValueError, match="rule"):
        fit_to_nonzeros(network, train, loss, 10, rule="median")
    with pytest.raises(ValueError, match="max_trials"):
        fit_to_nonzeros(network, train, loss, 10, max_trials=0)
    with pytest.raises(ValueError, match="alpha_init must be positive"):
        fit_to_nonzeros(network, train, loss, 10, alpha_init=0.0)


# --- the update rules on known curves n(alpha) ------------------------------------------------


def test_secant_solves_a_power_law_in_one_step():
    def count(alpha):
        return 3000.0 * (1e-4 / alpha) ** 1.3

    history = [(1e-5, count(1e-5)), (1e-3, count(1e-3))]
    alpha = _next_alpha(history, 2000, "secant")
    assert count(alpha) == pytest.approx(2000, rel=1e-9)
    # one side only: the slope of the last two trials extrapolates exactly too
    history = [(1e-6, count(1e-6)), (1e-5, count(1e-5))]
    assert count(_next_alpha(history, 2000, "secant")) == pytest.approx(2000, rel=1e-9)


@given(st.floats(-8, 2), st.floats(0.1, 4), st.floats(-3, 3), st.integers(10, 10000))
def test_next_alpha_stays_strictly_inside_the_bracket(log_low, width, shift, target):
    low, high = 10.0 ** log_low, 10.0 ** (log_low + width)
    history = [(low, target * 10 ** (1 + abs(shift))), (high, target * 10 ** (-1 - shift ** 2))]
    alpha = _next_alpha(history, target, "secant")
    assert low < alpha < high
    gradients = np.geomspace(low / 100, high * 100, 50)
    assert low < _next_alpha(history, target, "gradient", gradients) < high


def test_gradient_rule_is_the_median_inside_the_bracket():
    history = [(1.0, 500), (4.0, 50)]
    gradients = np.array([0.5, 1.5, 2.0, 3.0, 9.0, 0.0])
    assert _next_alpha(history, 100, "gradient", gradients) == 2.0
    # none inside: the geometric midpoint
    assert _next_alpha(history, 100, "gradient", np.array([0.1, 10.0])) == 2.0


def test_freeze_zeros_keeps_the_zeros_whatever_the_optimizer():
    network = _mlp()
    optimizer = torch.optim.SGD(network.parameters(), lr=0.1)
    prox = ProximalL1(optimizer, 0.5)
    X, y = torch.randn(32, 5), torch.randn(32, 1)
    for _ in range(5):
        optimizer.zero_grad()
        torch.nn.functional.mse_loss(network(X), y).backward()
        optimizer.step()
        prox.on_step_end(network)
    zeros = [(w == 0).clone() for w in l1_weights(network)]
    assert sum(int(z.sum()) for z in zeros) > 0
    masks = freeze_zeros(network)
    assert len(masks) == 3
    adam = torch.optim.Adam(network.parameters(), lr=0.1, weight_decay=0.1)
    for _ in range(5):
        adam.zero_grad()
        torch.nn.functional.mse_loss(network(X), y).backward()
        adam.step()
    for mask in masks:
        mask.remove()
    for w, z in zip(l1_weights(network), zeros):
        assert torch.all(w[z] == 0) and torch.all(w[~z] != 0)
    assert "0.weight_mask" not in network.state_dict()


def test_copy_zeros_puts_the_zeros_of_one_network_on_another():
    dense, sparse = _mlp(seed=0), _mlp(seed=1)
    with torch.no_grad():
        for w in l1_weights(sparse):
            w.mul_(torch.rand(w.shape, generator=torch.Generator().manual_seed(2)) < 0.3)
    before = {name: p.detach().clone() for name, p in dense.named_parameters()}
    assert copy_zeros_(dense, sparse) is dense
    for (name, p), source in zip(dense.named_parameters(), sparse.parameters()):
        if name.endswith("weight"):
            kept = source != 0
            assert torch.equal(p[kept], before[name][kept]) and torch.all(p[~kept] == 0)
        else:  # biases are never masked
            assert torch.equal(p, before[name])
    np.testing.assert_array_equal(count_nonzeros(dense), count_nonzeros(sparse))
    with pytest.raises(ValueError, match="same shapes"):
        copy_zeros_(dense, _mlp(sizes=(5, 8, 1)))


@given(st.integers(1, 141), st.integers(0, 3))
def test_keep_largest_keeps_the_largest_magnitudes_over_all_the_matrices(n_keep, seed):
    network = _mlp(seed=seed)  # 5*8 + 8*6 + 6*1 = 94 weights
    n_keep = min(n_keep, 94)
    before = {name: p.detach().clone() for name, p in network.named_parameters()}
    magnitudes = np.sort(np.concatenate([w.detach().abs().numpy().ravel()
                                         for w in l1_weights(network)]))[::-1]
    assert keep_largest_(network, n_keep) is network
    assert count_nonzeros(network).sum() == n_keep
    kept = np.concatenate([w.detach().abs().numpy().ravel() for w in l1_weights(network)])
    np.testing.assert_array_equal(np.sort(kept[kept > 0])[::-1], magnitudes[:n_keep])
    for name, p in network.named_parameters():
        changed = p.detach() != before[name]
        if name.endswith("weight"):  # only zeroed, never moved
            assert torch.all(p.detach()[changed] == 0)
        else:  # biases untouched
            assert not torch.any(changed)


def test_keep_largest_per_layer_and_bad_counts():
    network = _mlp(seed=0)
    reference = [np.sort(w.detach().abs().numpy().ravel())[::-1] for w in l1_weights(network)]
    keep_largest_(network, [3, 10, 6])
    np.testing.assert_array_equal(count_nonzeros(network), [3, 10, 6])
    for w, magnitudes, n in zip(l1_weights(network), reference, [3, 10, 6]):
        kept = w.detach().abs().numpy().ravel()
        np.testing.assert_array_equal(np.sort(kept[kept > 0])[::-1], magnitudes[:n])
    with pytest.raises(ValueError, match="n_keep must lie in"):
        keep_largest_(network, 95)
    with pytest.raises(ValueError, match="n_keep must be one int or 3 ints"):
        keep_largest_(network, [3, 10])
    with pytest.raises(ValueError, match="n_keep must be an int"):
        keep_largest_(network, 2.5)


def test_an_empty_layer_never_meets_a_target_and_alpha_falls_tenfold():
    # a target of one weight would accept zero within its tolerance of one
    X, y = _problem()
    train, loss = _trainer(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        result = fit_to_nonzeros(_mlp((5, 16, 16, 1)), train, loss, [10, 20, 1],
                                 alpha_init=[10.0, 10.0, 10.0], max_trials=2)
    first, second = result.trials
    assert first["total"] == 0 and not first["reached"]
    assert np.all(second["alpha"] <= first["alpha"] / 10)
    # on the known curve: after an empty trial the step is at least tenfold
    assert _next_alpha([(1.0, 0)], 1, "secant") == pytest.approx(0.1)


# --- the weights of the epoch closest to the target ---------------------------------


def _run_counts(callback, counts_per_epoch, sizes=(4, 3)):
    """Drive ``callback`` over epochs whose first layer keeps the given numbers of weights."""
    network = torch.nn.Sequential(torch.nn.Linear(*sizes), torch.nn.Linear(sizes[1], 1))
    callback.on_train_begin(network)
    for n in counts_per_epoch:
        with torch.no_grad():
            flat = torch.zeros(sizes[0] * sizes[1])
            flat[:n] = torch.arange(1, n + 1, dtype=torch.float32)
            network[0].weight.copy_(flat.view(sizes[1], sizes[0]))
            network[1].weight.fill_(1.0)
        callback.on_epoch_end(network)
    callback.on_train_end(network)
    return count_nonzeros(network)


def test_closest_to_target_keeps_the_latest_epoch_that_meets_it():
    # per-layer target [6, 3]: epochs 1 and 3 meet it (6 and 6), epoch 3 is the latest
    callback = ClosestToTarget([6, 3])
    counts = _run_counts(callback, [12, 6, 2, 6, 9])
    np.testing.assert_array_equal(counts, [6, 3])
    assert callback.best_epoch == 3
    np.testing.assert_array_equal(callback.best_nonzeros, [6, 3])


def test_closest_to_target_keeps_the_closest_when_none_meets_it():
    # global target: all 15 weights; totals 12, 13 and 10, none within one weight
    callback = ClosestToTarget(15, tol=0.0)
    assert _run_counts(callback, [9, 10, 7]).tolist() == [10, 3]
    assert callback.best_epoch == 1


def test_closest_to_target_ignores_the_epochs_before_from_epoch():
    callback = ClosestToTarget([6, 3], from_epoch=2)
    assert _run_counts(callback, [6, 12, 9, 2]).tolist() == [9, 3]
    assert callback.best_epoch == 2
    # never reached from_epoch: the weights are left as trained
    late = ClosestToTarget([6, 3], from_epoch=10)
    assert _run_counts(late, [6, 12]).tolist() == [12, 3] and late.best_epoch is None


def test_closest_to_target_restores_the_weights_exactly():
    network = _mlp((5, 16, 16, 1))
    callback = ClosestToTarget(int(count_nonzeros(network).sum()))
    callback.on_train_begin(network)
    callback.on_epoch_end(network)
    kept = [p.detach().clone() for p in network.parameters()]
    with torch.no_grad():
        for p in network.parameters():
            p.mul_(0.0)
    callback.on_epoch_end(network)  # an empty network never meets a target
    callback.on_train_end(network)
    assert all(torch.equal(a, b) for a, b in zip(kept, network.parameters()))


def _fake_trainer(counts_of):
    """``train`` that gives each weight tensor ``counts_of(alpha)`` non-zeros, no training."""
    def train(network, alpha):
        with torch.no_grad():
            for weight, n in zip(l1_weights(network), counts_of(alpha)):
                flat = torch.zeros(weight.numel())
                flat[:n] = 1.0
                weight.copy_(flat.view_as(weight))

    return train


def test_a_layer_that_empties_moves_only_its_own_penalty():
    # Layer 0's count falls slowly with its penalty and the whole network dies above
    # 0.009 (layer 2 empties with it, its own penalty unchanged); layer 1 is met.
    def counts_of(alpha):
        if alpha[0] > 0.009:
            return [0, 100, 0]
        return [round(20 * (0.01 / alpha[0]) ** 0.3), 100, 5]

    network = torch.nn.Sequential(torch.nn.Linear(4, 50), torch.nn.Linear(50, 10),
                                  torch.nn.Linear(10, 1))
    result = fit_to_nonzeros(network, _fake_trainer(counts_of), None, [20, 100, 5],
                             alpha_init=[0.005, 0.01, 0.01], max_trials=10)
    assert result.reached and result.nonzeros.tolist() == [21, 100, 5]
    collapse = next(i for i, t in enumerate(result.trials) if t["total"] == 100)
    before, dead, after = result.trials[collapse - 1: collapse + 2]
    # layer 2 emptied with the network, not by its own penalty: held; layer 1 held
    assert after["alpha"][2] == dead["alpha"][2] and after["alpha"][1] == dead["alpha"][1]
    # layer 0 stays inside its bracket (no tenfold fall after an empty trial here)
    assert before["alpha"][0] < after["alpha"][0] < dead["alpha"][0]


def test_the_closest_network_returned_is_not_a_dead_one():
    # The empty network is "closer" to a target of one output weight (error 1)
    # than 10 output weights are (error 9), but it is dead.
    def counts_of(alpha):
        return [0, 0, 0] if alpha[0] > 1.0 else [20, 100, 10]

    network = torch.nn.Sequential(torch.nn.Linear(4, 50), torch.nn.Linear(50, 10),
                                  torch.nn.Linear(10, 1))
    with pytest.warns(ConvergenceWarning, match="closest network"):
        result = fit_to_nonzeros(network, _fake_trainer(counts_of), None, [20, 100, 1],
                                 alpha_init=[2.0, 2.0, 2.0], max_trials=3)
    assert result.trials[0]["total"] == 0 and not result.reached
    assert result.nonzeros.tolist() == [20, 100, 10]


def test_a_plateau_of_the_count_is_crossed_by_an_expanding_search():
    # The count stays at 217 until alpha = 1, then falls as alpha^-2: a target
    # just below the plateau used to move alpha by log(217 / 200), 8 % a trial.
    def counts_of(alpha):
        return [217 if alpha[0] < 1.0 else round(217 / alpha[0] ** 2)]

    network = torch.nn.Sequential(torch.nn.Linear(30, 10))
    result = fit_to_nonzeros(network, _fake_trainer(counts_of), None, 100,
                             alpha_init=0.05, max_trials=10)
    assert result.reached and abs(result.nonzeros.sum() - 100) <= 5
    alphas = [t["alpha"][0] for t in result.trials]
    on_plateau = [t["total"] == 217 for t in result.trials]
    steps = np.diff(np.log(alphas))  # steps[i]: from trial i to trial i + 1
    # after two trials on the plateau the move is at least twice the one before
    for i in range(1, len(steps)):
        if on_plateau[i - 1] and on_plateau[i]:
            assert steps[i] >= 2 * steps[i - 1] - 1e-12
    assert sum(on_plateau) >= 4  # the rule was exercised


def test_soft_threshold_with_a_tensor_threshold_of_another_shape_broadcasts_or_raises():
    """A threshold of the same size but another shape is not read entry by entry."""
    w = torch.arange(-6.0, 6.0).reshape(3, 4)
    row = torch.tensor([0.5, 1.0, 1.5, 2.0])
    got = soft_threshold_(w.clone(), row)  # broadcast along the rows
    np.testing.assert_allclose(got.numpy(), _soft_threshold_reference(w.numpy(), row.numpy()))
    with pytest.raises(RuntimeError):
        soft_threshold_(w.clone(), torch.ones(12))
    same = torch.rand(3, 4, generator=torch.Generator().manual_seed(0))
    np.testing.assert_allclose(soft_threshold_(w.clone(), same).numpy(),
                               _soft_threshold_reference(w.numpy(), same.numpy()), rtol=1e-6)
