"""skproj.nn: constraints on module parameters, masks, schedules, global budgets, shrink."""

import copy
import io
import itertools
import pickle

import numpy as np
import pytest
from recording import RecordingCallback, record_dual_inits

from skproj import projections as P

torch = pytest.importorskip("torch")

from skproj.nn import (  # noqa: E402
    Callback,
    CallbackList,
    GlobalConstraint,
    ProjectEvery,
    ProjectThenFreeze,
    ShrinkingRounds,
    constrain,
    constraints_of,
    enforce_masks_,
    format_report,
    project_parameter_,
    remove,
    shrink,
    skorch_callback,
    sparsity_report,
)

nn = torch.nn


def _mlp(seed=0, n_in=30):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(n_in, 16), nn.ReLU(), nn.Linear(16, 8), nn.Tanh(),
                         nn.Linear(8, 3))


def _cnn(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 6, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 8, 2),
                         nn.SiLU(), nn.Flatten(), nn.Linear(8 * 2 * 2, 4))


# --- attaching, grouping, projecting ---------------------------------------------------

@pytest.mark.parametrize("name", P.MATRIX_CONSTRAINTS)
@pytest.mark.parametrize("groups,axis", [("inputs", 0), ("outputs", 1)])
def test_linear_groups_match_the_functional_projection(name, groups, axis):
    layer = _mlp()[0]
    expected = P.get_constraint(name, eta=0.4, axis=axis).project(
        layer.weight.detach().numpy().copy())
    attached = constrain(layer, "weight", name, eta=0.4, groups=groups)
    attached.project()
    np.testing.assert_array_equal(layer.weight.detach().numpy(), expected)
    assert attached.support().shape == ((30,) if groups == "inputs" else (16,))


@pytest.mark.parametrize("conv,shape", [(nn.Conv1d, (5, 4, 3)), (nn.Conv2d, (5, 4, 3, 3)),
                                        (nn.Conv2d, (5, 4, 1, 1)), (nn.Conv1d, (5, 4, 1))])
def test_convolution_groups_are_filters_or_input_channels(conv, shape):
    torch.manual_seed(0)
    layer = conv(shape[1], shape[0], shape[2])
    weight = layer.weight.detach().clone()
    filters = constrain(layer, "weight", "bilevel_l12", eta=0.5, groups="outputs")
    filters.project()
    rows = weight.reshape(shape[0], -1).numpy()
    expected = P.bilevel_l12(rows, 0.5, axis=1).reshape(shape)
    np.testing.assert_allclose(layer.weight.detach().numpy(), expected, rtol=1e-6)
    assert filters.support().shape == (shape[0],)

    layer2 = conv(shape[1], shape[0], shape[2])
    with torch.no_grad():
        layer2.weight[:, 0] *= 0.1  # one input channel much weaker than the others
    weight = layer2.weight.detach().clone()
    channels = constrain(layer2, "weight", "bilevel_l1inf", eta=0.05, groups="inputs")
    channels.project()
    rows = weight.transpose(0, 1).reshape(shape[1], -1).numpy()
    expected = P.bilevel_l1inf(rows, 0.05, axis=1).reshape(
        (shape[1], shape[0]) + shape[2:]).swapaxes(0, 1)
    np.testing.assert_allclose(layer2.weight.detach().numpy(), expected, rtol=1e-6)
    kept = channels.support().numpy()
    assert 0 < kept.sum() < shape[1]
    np.testing.assert_array_equal(
        (layer2.weight.detach() != 0).transpose(0, 1).reshape(shape[1], -1).any(1).numpy(), kept)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_input_channel_rows_are_copied_there_and_back_exactly(dtype):
    """A contiguous CPU weight's input channels are copied into rows (and back)
    by the C copy (``leading_axes_swapped``): torch's transposition bit for
    bit, for kernels of the sizes it unrolls and others, and numbers of
    filters on and around its blocks of 16; the write-back bumps the
    weight's version (a graph that saved it then refuses to run backward).
    Weights it does not take (channels-last, half precision, matrices) get
    None, and the projection goes through torch as before: the same result."""
    from skproj.projections._torch_backend import leading_axes_swapped

    generator = torch.Generator().manual_seed(0)
    for n_out, n_in, kernel in itertools.product(
            (1, 15, 16, 17, 40), (1, 3), [(1,), (2,), (3,), (2, 2), (5,), (2, 3), (7,), (3, 3),
                                          (11,), (5, 5), (7, 7), (4, 4, 2)]):
        weight = torch.randn((n_out, n_in) + kernel, generator=generator, dtype=dtype)
        copy, write_back = leading_axes_swapped(weight)
        expected = weight.transpose(0, 1).reshape(n_in, -1).clone()
        assert copy.shape == expected.shape and copy.is_contiguous()
        assert torch.equal(copy, expected)
        copy.mul_(-2.0)
        before = weight._version
        write_back(copy)
        assert torch.equal(weight, -2.0 * expected.reshape((n_in, n_out) + kernel).transpose(0, 1))
        assert weight._version > before

    leaf = torch.randn(4, 3, 3, 3, requires_grad=True)
    with torch.no_grad():
        saved = leaf * 1.0
    saved.requires_grad_(True)
    loss = (saved * saved).sum()     # (saves ``saved`` for backward)
    copy, write_back = leading_axes_swapped(saved.detach())
    write_back(copy)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()

    weight = torch.randn(5, 3, 2, 2, dtype=dtype)
    with torch.device("meta"):     # (another default device: the copy is still the CPU's)
        copy, _ = leading_axes_swapped(weight)
    assert copy.device.type == "cpu" and torch.equal(copy, weight.transpose(0, 1).reshape(3, -1))
    channels_last = torch.randn(4, 3, 3, 3).to(memory_format=torch.channels_last)
    assert leading_axes_swapped(channels_last) is None
    assert leading_axes_swapped(torch.randn(4, 3, 3, 3, dtype=torch.float16)) is None
    assert leading_axes_swapped(torch.randn(4, 3)) is None
    torch.manual_seed(0)
    layers = [nn.Conv2d(6, 8, 3).to(dtype) for _ in range(2)]
    with torch.no_grad():
        layers[0].weight[:, 0] *= 0.1  # (an input channel the projection drops)
    layers[1].load_state_dict(layers[0].state_dict())
    layers[1].to(memory_format=torch.channels_last)
    assert not layers[1].weight.is_contiguous()
    for layer in layers:
        constrain(layer, "weight", "bilevel_l1inf", eta=0.05, groups="inputs").project()
    assert torch.equal(layers[0].weight, layers[1].weight.contiguous())
    assert 0 < int((layers[0].weight != 0).any(0).any(-1).any(-1).sum()) < 6


@pytest.mark.parametrize("attached_axis", [None, 1])
def test_one_by_one_kernels_input_channels_are_the_weights_columns(attached_axis):
    """A 1 x 1 convolution's input channels are the columns of its (out, in)
    weight, projected in place with no copy; a set attached with the channels
    as rows (axis 1, as before) keeps that layout, with the same groups."""
    torch.manual_seed(0)
    layer = nn.Conv2d(6, 9, 1)
    with torch.no_grad():
        layer.weight[:, 2] *= 0.1
    weight = layer.weight.detach().clone()
    attached = constrain(layer, "weight", "bilevel_l1inf", eta=0.3, groups="inputs")
    assert attached.constraint.axis == 0
    if attached_axis is not None:
        attached.constraint = attached.constraint.with_params(axis=attached_axis)
    matrix, axis, _ = attached.matrix()
    assert axis == attached.constraint.axis and matrix.shape == ((9, 6) if axis == 0 else (6, 9))
    if axis == 0:  # (the weight's own memory: nothing to copy back)
        assert matrix.data_ptr() == layer.weight.data_ptr() and matrix.is_contiguous()
    attached.project()
    expected = P.bilevel_l1inf(weight.reshape(9, 6).numpy(), 0.3, axis=0)
    np.testing.assert_allclose(layer.weight.detach().reshape(9, 6).numpy(), expected, rtol=1e-6)
    assert attached.support().numpy().tolist() == (np.abs(expected).sum(0) > 0).tolist()


def test_vector_sets_see_the_whole_parameter():
    layer = _mlp()[0]
    flat = layer.weight.detach().numpy().ravel().copy()
    constrain(layer, "weight", "l1_ball", eta=2.0).project()
    np.testing.assert_allclose(layer.weight.detach().numpy().ravel(),
                               P.project_l1_ball(flat, 2.0), rtol=1e-6)
    constrain(layer, "bias", "l2_ball", eta=0.1).project()
    assert float(layer.bias.detach().norm()) <= 0.1 * (1 + 1e-6)


def test_attach_errors():
    layer = nn.Linear(4, 3)
    with pytest.raises(ValueError, match="groups must be one of"):
        constrain(layer, groups="columns")
    with pytest.raises(ValueError, match="no parameter named 'weights'"):
        constrain(layer, "weights")
    with pytest.raises(ValueError, match="needs 2 or more dimensions"):
        constrain(layer, "bias", "bilevel_l1inf")
    constrain(layer)
    with pytest.raises(ValueError, match="constrained already"):
        constrain(layer)
    with pytest.raises(ValueError, match="unknown constraint"):
        constrain(nn.Linear(4, 3), "weight", "l1inf")


def test_project_parameter_one_shot():
    layer = nn.Linear(30, 8)
    before = layer.weight
    project_parameter_(layer.weight, "bilevel_l1inf", 0.2)
    assert layer.weight is before and layer.weight.requires_grad
    assert P.l1inf_norm(layer.weight.detach()) <= 0.2 * (1 + 1e-5)
    base = torch.randn(30, 8, dtype=torch.float64)
    view = base.t()  # not contiguous
    expected = P.bilevel_l1inf(view.contiguous(), 0.5)
    project_parameter_(view, P.BilevelL1Inf(0.5))
    torch.testing.assert_close(base.t(), expected)


@pytest.mark.parametrize("groups,axis", [("inputs", 0), ("outputs", 1)])
def test_l1inf_ball_warm_starts_each_step_from_the_last_levels(monkeypatch, groups, axis):
    """The exact l1,inf ball's projections after the first start from the levels
    of the last one (``Constraint.warm_starts``): the same bits as a cold start."""
    calls = record_dual_inits(monkeypatch, "project_l1inf_ball")
    assert P.L1InfBall(1.0).warm_starts
    torch.manual_seed(3)
    layer = nn.Linear(120, 40)
    target = constrain(layer, "weight", "l1inf_ball", eta=2.0, groups=groups)
    levels = []
    for step in range(3):
        with torch.no_grad():
            layer.weight.add_(0.003 * torch.randn_like(layer.weight))
        before = layer.weight.detach().numpy().copy()
        target.project()
        levels.append(target._dual)
        assert levels[-1].shape == (before.shape[1 - axis],)
        expected = P.project_l1inf_ball(before, 2.0, axis=axis)
        np.testing.assert_array_equal(layer.weight.detach().numpy(), expected)
    assert calls[0] is None
    assert all(call is level for call, level in zip(calls[1:], levels[:-1]))


def test_a_multiplier_of_another_set_or_axis_is_no_warm_start(monkeypatch):
    """A parameter given another kind of set (GSP's multiplier is a number, the
    l1,inf ball's levels one per group), or groups along the other axis,
    projects from scratch once, then from its own last levels."""
    calls = record_dual_inits(monkeypatch, "project_l1inf_ball")
    torch.manual_seed(4)
    layer = nn.Linear(60, 20)
    target = constrain(layer, "weight", "group_hoyer", eta=0.8)
    target.project()
    assert np.ndim(target._dual) == 0
    target.constraint = P.L1InfBall(2.0, axis=0)
    target.project()
    target.project()
    target.constraint = P.L1InfBall(2.0, axis=1)
    target.project()
    target.project()
    assert calls[0] is None and calls[2] is None
    assert calls[1].shape == (60,) and calls[3].shape == (20,)
    expected = P.project_l1inf_ball(layer.weight.detach().numpy(), 2.0, axis=1)
    np.testing.assert_array_equal(layer.weight.detach().numpy(), expected)


# --- masks --------------------------------------------------------------------------

def _train_steps(model, optimizer, n_steps, seed=1):
    generator = torch.Generator().manual_seed(seed)
    for _ in range(n_steps):
        x = torch.randn(16, model[0].in_features, generator=generator)
        loss = model(x).pow(2).mean() - model(x)[:, 0].mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


@pytest.mark.parametrize("optimizer", [
    lambda p: torch.optim.Adam(p, lr=0.05),
    lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.1),
    lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9),
    lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01, nesterov=True),
], ids=["adam", "adamw", "sgd-momentum", "sgd-nesterov"])
def test_pruned_groups_stay_exactly_zero_whatever_the_optimizer(optimizer):
    model = _mlp()
    opt = optimizer(model.parameters())
    _train_steps(model, opt, 10)  # momentum and moments built up before pruning
    attached = constrain(model[0], "weight", "bilevel_l1inf", eta=0.3)
    attached.project().freeze()
    pruned = ~attached.support()
    assert 0 < int(pruned.sum()) < 30
    _train_steps(model, opt, 100)
    assert torch.all(model[0].weight.detach()[:, pruned] == 0)
    assert torch.all(model[0].weight.detach()[:, ~pruned] != 0)  # the others do train


def test_mask_is_a_buffer_in_state_dict_and_follows_to():
    model = _mlp()
    attached = constrain(model[0], "weight", "bilevel_l11", eta=0.5)
    attached.project().freeze()
    state = model.state_dict()
    assert state["0.weight_mask"].dtype == torch.bool
    fresh = _mlp(seed=3)
    constrain(fresh[0], "weight", "bilevel_l11", eta=0.5)
    fresh.load_state_dict(state)
    torch.testing.assert_close(fresh[0].weight_mask, attached.mask)
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    assert "0.weight_mask" in torch.load(io.BytesIO(buffer.getvalue()), weights_only=True)
    model.double()  # .to(dtype): the mask stays a bool buffer and is still enforced
    assert model[0].weight_mask.dtype == torch.bool
    _train_steps_double(model)
    assert torch.all(model[0].weight.detach()[~attached.mask] == 0)


def _train_steps_double(model):
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    for _ in range(20):
        loss = model(torch.randn(8, 30, dtype=torch.float64)).pow(2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()


def test_remove_makes_pruning_permanent():
    model = _mlp()
    attached = constrain(model[0], "weight", "bilevel_l1inf", eta=0.3)
    attached.project().freeze()
    zero = model[0].weight.detach() == 0
    remove(model[0], "weight")
    assert "0.weight_mask" not in model.state_dict() and constraints_of(model) == []
    assert torch.all(model[0].weight.detach()[zero] == 0)
    _train_steps(model, torch.optim.SGD(model.parameters(), lr=0.1), 5)
    assert not torch.all(model[0].weight.detach()[zero] == 0)  # no mask any more
    with pytest.raises(ValueError, match="no constraint attached"):
        remove(model[0], "weight")


def test_enforce_masks_for_hand_written_updates():
    model = _mlp()
    attached = constrain(model[0], "weight", "bilevel_l1inf", eta=0.3)
    attached.project().freeze()
    with torch.no_grad():
        model[0].weight.add_(1.0)  # an update outside torch.optim
    enforce_masks_(model)
    assert torch.all(model[0].weight.detach()[~attached.mask] == 0)


_OPTIMIZERS = pytest.mark.parametrize("optimizer", [
    lambda p: torch.optim.Adam(p, lr=0.05),
    lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.1),
    lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01, nesterov=True),
    lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.5),
], ids=["adam", "adamw", "sgd-nesterov", "rmsprop"])


def _bits(tensor):
    return tensor.detach().cpu().view(torch.int64 if tensor.dtype == torch.float64 else torch.int32)


class _Reference:
    """A twin of a constrained model, masked after every step by the bool multiply by hand.

    It shares nothing with the toolkit: its own parameters, optimizer and bool
    mask (``self.mask``, to be edited as the toolkit's mask is), so that
    :meth:`steps` checks that the toolkit's masking gives the same bits as
    ``param * mask`` after every step.
    """

    def __init__(self, model, attached, optimizer, seed=0):
        self.model, self.attached, self.make_optimizer = model, attached, optimizer
        self.twin = _mlp(seed).to(model[0].weight.device)
        self.twin.load_state_dict({k: v for k, v in model.state_dict().items()
                                   if not k.endswith("_mask")})
        self.mask = torch.ones_like(self.twin[0].weight, dtype=torch.bool)
        self.new_optimizers()
        self.generator = torch.Generator().manual_seed(seed)

    def new_optimizers(self):
        self.optimizers = [self.make_optimizer(self.model.parameters()),
                           self.make_optimizer(self.twin.parameters())]

    def copy_weights(self):
        self.twin[0].weight.detach().copy_(self.model[0].weight)

    def steps(self, n_steps):
        weight = self.model[0].weight
        for _ in range(n_steps):
            x = torch.randn(16, 30, generator=self.generator).to(weight.device, weight.dtype)
            for net, optimizer in zip((self.model, self.twin), self.optimizers):
                loss = net(x).pow(2).mean() - net(x)[:, 0].mean()
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            with torch.no_grad():
                self.twin[0].weight.mul_(self.mask)
            assert torch.equal(self.attached.mask, self.mask)
            assert torch.equal(_bits(weight), _bits(self.twin[0].weight))
        assert torch.all(weight.detach()[~self.mask] == 0)
        assert torch.all(weight.detach()[self.mask] != 0)  # the rest trains


@_OPTIMIZERS
def test_mask_edits_are_honoured_bit_for_bit(optimizer):
    model = _mlp()
    attached = constrain(model[0], "weight", "bilevel_l1inf", eta=0.3)
    reference = _Reference(model, attached, optimizer)
    reference.steps(3)  # all True: no multiply, the same bits as a multiply by ones
    attached.project().freeze()
    reference.copy_weights()
    reference.mask &= reference.twin[0].weight.detach() != 0
    reference.steps(3)

    row, column = map(int, torch.nonzero(reference.mask)[0])
    attached.mask[row, column] = False  # in place, by the user
    reference.mask[row, column] = False
    reference.steps(3)

    attached.reset_mask()
    reference.mask.fill_(True)
    reference.steps(3)

    attached.freeze()  # nothing is zero now: a freeze that changes nothing
    reference.steps(1)
    attached.mask[:, :5] = False  # through a view
    reference.mask[:, :5] = False
    reference.steps(2)

    state = model.state_dict()  # a state with another mask, loaded in place
    state["0.weight_mask"] = torch.rand(state["0.weight_mask"].shape,
                                        generator=torch.Generator().manual_seed(5)) < 0.5
    model.load_state_dict(state)
    reference.mask.copy_(state["0.weight_mask"])
    reference.steps(3)

    model[0].weight_mask = attached.mask.clone()  # the buffer replaced by another tensor
    attached.mask[:, 7] = False
    reference.mask[:, 7] = False
    reference.steps(2)

    other = reference.mask.clone()
    other[3] = False
    attached.mask.data = other.clone()  # new memory, the same version: torch counts no edit
    reference.mask.copy_(other)
    reference.steps(2)


@pytest.mark.parametrize("device", ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
def test_mask_follows_dtype_and_device_changes_bit_for_bit(device):
    model = _mlp()
    attached = constrain(model[0], "weight", "bilevel_l12", eta=0.5)
    attached.project().freeze()
    reference = _Reference(model, attached, lambda p: torch.optim.Adam(p, lr=0.05))
    reference.mask.copy_(reference.twin[0].weight.detach() != 0)
    reference.steps(2)
    for change in (lambda net: net.double(), lambda net: net.to(device),
                   lambda net: net.to(torch.float32), lambda net: net.cpu()):
        change(model)
        change(reference.twin)
        reference.mask = reference.mask.to(model[0].weight.device)
        assert attached.mask.device == model[0].weight.device
        reference.new_optimizers()  # their state has the old dtype
        reference.steps(3)
        factor = attached._mask_factor()  # the multiply stays in the parameter's own dtype
        assert factor.dtype == model[0].weight.dtype and factor.device == model[0].weight.device


def test_projection_keeps_the_mask_for_a_set_that_shifts_entries():
    # The simplex's projection shifts every entry, masked ones too: project()
    # masks again after it (the sets that keep zeros skip that multiply).
    layer = nn.Linear(6, 4)
    attached = constrain(layer, "weight", "simplex", eta=30.0)
    attached.mask[1, 2] = False
    attached.mask[3] = False
    projected = P.project_simplex(layer.weight.detach() * attached.mask, 30.0)
    assert torch.all(projected[~attached.mask] > 0)  # revived by the projection
    attached.project()
    assert torch.equal(layer.weight.detach(), projected * attached.mask)


def test_masked_models_copy_and_pickle():
    model = _mlp()
    attached = constrain(model[0], "weight", "bilevel_l1inf", eta=0.3)
    attached.project().freeze()
    attached.apply_mask()  # the factor built and kept
    before = attached.mask.clone()
    copied = copy.deepcopy(model)
    loaded = torch.load(io.BytesIO(_saved(model)), weights_only=False)
    for other in (copied, loaded):
        twin, = constraints_of(other)
        with torch.no_grad():
            other[0].weight.add_(1.0)
        twin.mask[0, 0] = False
        twin.apply_mask()
        assert torch.equal(other[0].weight_mask, twin.mask)
        assert torch.all(other[0].weight.detach()[~twin.mask] == 0)
    assert torch.equal(attached.mask, before)  # the copies have masks of their own


@pytest.mark.parametrize("how", ["deepcopy", "pickle", "torch.save"])
def test_copied_models_keep_their_masks_while_training(how):
    """A copy's optimizer steps re-apply the copy's masks, as the original's do."""
    torch.manual_seed(0)
    model = _mlp()
    attached = constrain(model[0], "weight", "bilevel_l1inf", eta=0.3)
    attached.project().freeze()
    before = attached.mask.clone()
    copied = (copy.deepcopy(model) if how == "deepcopy"
              else pickle.loads(pickle.dumps(model)) if how == "pickle"
              else torch.load(io.BytesIO(_saved(model)), weights_only=False))
    twin, = constraints_of(copied)
    assert twin.module is copied[0] and not torch.all(twin.mask)
    twin.mask[0, 0] = False       # the copy's own mask
    optimizer = torch.optim.Adam(copied.parameters(), lr=0.1)
    for _ in range(3):
        optimizer.zero_grad()
        copied(torch.randn(16, model[0].in_features)).sum().backward()
        optimizer.step()
    assert torch.all(copied[0].weight.detach()[~twin.mask] == 0)
    assert copied[0].weight.detach()[twin.mask].abs().min() > 0
    assert torch.equal(attached.mask, before)   # the original's mask untouched
    twin.remove()                  # the copy's bookkeeping goes too
    assert constraints_of(copied) == [] and len(constraints_of(model)) == 1


def _saved(model):
    buffer = io.BytesIO()
    torch.save(model, buffer)
    return buffer.getvalue()


# --- global budgets -------------------------------------------------------------------

def test_global_number_of_groups_is_exact():
    torch.manual_seed(0)
    first, second = nn.Linear(20, 8), nn.Linear(12, 8)
    members = [constrain(first, "weight", "bilevel_l1inf", eta=1.0),
               constrain(second, "weight", "bilevel_l1inf", eta=1.0)]
    for k in (1, 5, 17, 31):
        budget = GlobalConstraint(members, n_groups=k)
        layers = [copy.deepcopy(first.weight.detach()), copy.deepcopy(second.weight.detach())]
        budget.project()
        assert int(budget.support().sum()) == k
        with torch.no_grad():  # restore for the next k
            first.weight.copy_(layers[0])
            second.weight.copy_(layers[1])
            for member in members:
                member.reset_mask()


@pytest.mark.parametrize("name", ["bilevel_l1inf", "bilevel_l11", "bilevel_l12", "l1inf_ball"])
def test_global_radius_equals_the_projection_of_the_concatenation(name):
    # Layers with the same number of rows: their input columns side by side
    # form one matrix whose projection is the global one.
    torch.manual_seed(1)
    first, second = nn.Linear(10, 6, dtype=torch.float64), nn.Linear(7, 6, dtype=torch.float64)
    both = torch.cat([first.weight.detach(), second.weight.detach()], dim=1)
    expected = P.get_constraint(name, eta=0.8).project(both.numpy())
    members = [constrain(first, "weight", name), constrain(second, "weight", name)]
    GlobalConstraint(members, eta=0.8).project()
    result = torch.cat([first.weight.detach(), second.weight.detach()], dim=1).numpy()
    np.testing.assert_allclose(result, expected, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("name", ["bilevel_l1inf", "bilevel_l11", "l1inf_ball"])
def test_global_radius_threshold_in_closed_form_or_by_bisection(name):
    # The bi-level balls' radius functions are their breakpoints' summed
    # excesses: the global threshold is the l1 ball's of all of them, exact,
    # where the exact l1,inf ball's (its own radius function) is bisected;
    # the closed form agrees with the bisection, and both say when the
    # members are inside the budget (None).
    torch.manual_seed(2)
    members = [constrain(nn.Linear(30, 8), "weight", name),
               constrain(nn.Linear(8, 3), "weight", name)]
    functions, breakpoints = zip(*(m._radius_function_and_breakpoints() for m in members))
    summed = all(m.constraint._radius_is_summed() for m in members)
    assert summed == (name != "l1inf_ball")
    total = sum(function(0.0) for function in functions)
    for eta in (0.01 * total, 0.3 * total, 0.97 * total, total, 2 * total):
        bisected = GlobalConstraint._threshold_for_radius(functions, breakpoints, eta)
        if eta >= total:
            assert bisected is None
        if summed:
            exact = GlobalConstraint._threshold_for_radius(functions, breakpoints, eta, True)
            assert (exact is None) == (bisected is None)
            if exact is not None:
                np.testing.assert_allclose(exact, bisected, rtol=1e-12)
                np.testing.assert_allclose(sum(f(exact) for f in functions), eta, rtol=1e-12)
    with torch.no_grad():
        members[1].param[0, 0] = float("nan")
    with pytest.raises(ValueError, match="NaN or infinity"):     # (from the group norms)
        GlobalConstraint(members, eta=0.1).project()


def test_global_constraint_errors():
    a = constrain(nn.Linear(4, 3), "weight", "bilevel_l1inf")
    b = constrain(nn.Linear(4, 3), "weight", "bilevel_l12")
    with pytest.raises(ValueError, match="share one kind of set"):
        GlobalConstraint([a, b], eta=1.0)
    with pytest.raises(ValueError, match="exactly one of eta"):
        GlobalConstraint([a], eta=1.0, n_groups=2)
    with pytest.raises(ValueError, match="n_groups must be between"):
        GlobalConstraint([a], n_groups=9).project()


# --- schedules --------------------------------------------------------------------------

_Counter = RecordingCallback


def _loop(model, callbacks, n_epochs=3, steps_per_epoch=4, lr=0.05):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(0)
    callbacks.on_train_begin(model)
    for _ in range(n_epochs):
        for _ in range(steps_per_epoch):
            x = torch.randn(16, model[0].in_features, generator=generator)
            loss = model(x).pow(2).mean() - model(x)[:, 0].mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            callbacks.on_step_end(model)
        callbacks.on_epoch_end(model)
    callbacks.on_train_end(model)


def test_callback_list_calls_in_order():
    counter = _Counter()
    _loop(_mlp(), CallbackList([counter]), n_epochs=2, steps_per_epoch=2)
    assert counter.calls == ["begin", "step", "step", "epoch", "step", "step", "epoch", "end"]


def test_project_every_k_steps():
    model = _mlp()
    constrain(model[0], "weight", "bilevel_l1inf", eta=0.5)
    norms = []

    class Watch(Callback):
        def on_step_end(self, module):
            norms.append(P.l1inf_norm(module[0].weight.detach()))

    schedule = ProjectEvery(model, every=3)
    _loop(model, CallbackList([schedule, Watch()]), n_epochs=2, steps_per_epoch=6)
    inside = [norm <= 0.5 * (1 + 1e-6) for norm in norms]
    assert inside[2::3] == [True] * 4 and not all(inside)


def test_project_then_freeze_double_descent():
    model = _mlp()
    constrain(model[0], "weight", "bilevel_l1inf", eta=0.3)
    schedule = ProjectThenFreeze(model, at_epoch=1)
    supports = []

    class Watch(Callback):
        def on_epoch_end(self, module):
            supports.append((module[0].weight.detach() != 0).any(0).clone())

    _loop(model, CallbackList([schedule, Watch()]), n_epochs=4)
    assert schedule.done and 0 < int(supports[0].sum()) < 30
    assert all(torch.equal(s, supports[0]) for s in supports[1:])  # frozen afterwards


@pytest.mark.parametrize("name", P.MATRIX_CONSTRAINTS)
def test_shrinking_rounds_halve_then_stop_at_eta(name):
    model = _mlp(n_in=64)
    attached = constrain(model[0], "weight", name, eta=1e-3)
    rounds = ShrinkingRounds(attached, epochs_per_round=1)
    kept = []

    class Watch(Callback):
        def on_epoch_end(self, module):
            kept.append(int(attached.support().sum()))

    _loop(model, CallbackList([rounds, Watch()]), n_epochs=10)
    assert kept[:3] == [32, 16, 8]  # half of the survivors each round
    assert rounds.finished and rounds.n_rounds <= 10
    assert P.get_constraint(name).norm(model[0].weight.detach()) > 0


def test_shrinking_rounds_to_a_number_of_groups():
    model = _mlp(n_in=64)
    attached = constrain(model[0], "weight", "bilevel_l1inf")
    rounds = ShrinkingRounds(attached, n_groups=5)
    counts = []
    while not rounds.end_round():
        counts.append(int(attached.support().sum()))
    assert counts == [32, 16, 8] and int(attached.support().sum()) == 5
    with pytest.raises(ValueError, match="keep must be in"):
        ShrinkingRounds(attached, keep=1.0)


def test_schedule_target_errors():
    with pytest.raises(ValueError, match="no constrained parameter"):
        ProjectEvery(_mlp())
    with pytest.raises(TypeError, match="targets must be"):
        ProjectEvery([1, 2])
    with pytest.raises(ValueError, match="every must be a positive int"):
        model = _mlp()
        constrain(model[0])
        ProjectEvery(model, every=0)


def test_skorch_net_trains_with_the_schedules():
    skorch = pytest.importorskip("skorch")
    from sklearn.datasets import make_classification

    X, y = make_classification(200, 30, n_informative=4, random_state=0)
    module = nn.Sequential(nn.Linear(30, 16), nn.ReLU(), nn.Linear(16, 2))
    constrain(module[0], "weight", "bilevel_l1inf", eta=0.5)
    counter = _Counter()
    net = skorch.NeuralNetClassifier(
        module, criterion=nn.CrossEntropyLoss, max_epochs=4, lr=0.05, batch_size=50,
        optimizer=torch.optim.Adam, train_split=None, verbose=0,
        callbacks=[("prune", skorch_callback(ProjectThenFreeze(module, at_epoch=2))),
                   ("count", skorch_callback(counter))])
    net.fit(X.astype(np.float32), y)
    assert counter.calls.count("step") == 4 * 4 and counter.calls.count("epoch") == 4
    kept = (net.module_[0].weight.detach() != 0).any(0)
    assert 0 < int(kept.sum()) < 30
    assert torch.all(net.module_[0].weight.detach()[~net.module_[0].weight_mask] == 0)


# --- shrink and report -----------------------------------------------------------------

def test_shrink_mlp_same_outputs_fewer_parameters():
    model = _mlp()
    first = constrain(model[0], "weight", "bilevel_l1inf", eta=0.3)
    neurons = constrain(model[2], "weight", "bilevel_l12", eta=0.8, groups="outputs")
    first.project()
    neurons.project()
    assert int(neurons.support().sum()) < 8
    model.eval()
    small, kept = shrink(model)
    x = torch.randn(50, 30)
    torch.testing.assert_close(small(x[:, kept]), model(x), rtol=1e-5, atol=1e-6)
    n_params = sum(p.numel() for p in model.parameters() if p.dim() > 0)
    n_small = sum(p.numel() for p in small.parameters())
    assert n_small < n_params and len(kept) < 30
    assert small[2].out_features == int(neurons.support().sum())


def test_shrink_cnn_channels_and_filters():
    model = _cnn()
    filters = constrain(model[0], "weight", "bilevel_l12", eta=0.15, groups="outputs")
    filters.project()
    channels = constrain(model[3], "weight", "bilevel_l1inf", eta=0.1, groups="inputs")
    channels.project()
    model.eval()
    small, kept = shrink(model)
    x = torch.randn(7, 1, 9, 9)
    torch.testing.assert_close(small(x), model(x), rtol=1e-5, atol=1e-6)
    assert small[0].out_channels < 6


def test_shrink_rejects_unknown_modules():
    with pytest.raises(TypeError, match="Sequential"):
        shrink(nn.Linear(3, 2))
    with pytest.raises(TypeError, match="BatchNorm1d"):
        shrink(nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2), nn.Linear(2, 1)))


def test_sparsity_report():
    model = _mlp()
    constrain(model[0], "weight", "bilevel_l1inf", eta=0.3).project()
    rows = sparsity_report(model)
    assert [row["layer"] for row in rows] == ["0", "2", "4"]
    first = rows[0]
    W = model[0].weight.detach()
    assert first["groups"] == 30 and first["groups_kept"] == int((W != 0).any(0).sum())
    assert first["weights_kept"] == int((W != 0).sum())
    assert first["saved"] == pytest.approx(1 - first["weights_kept"] / W.numel())
    text = format_report(rows)
    assert f"{first['groups_kept']}/30" in text.splitlines()[1]


@pytest.mark.cuda
def test_masks_on_cuda():
    if not torch.cuda.is_available():
        pytest.skip("needs a CUDA device; none is available here")
    model = _mlp().cuda()
    attached = constrain(model[0], "weight", "bilevel_l1inf", eta=0.3)
    attached.project().freeze()
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(20):
        loss = model(torch.randn(16, 30, device="cuda")).pow(2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert model[0].weight_mask.device.type == "cuda"
    assert torch.all(model[0].weight.detach()[~attached.mask] == 0)


def test_mask_only_freezes_existing_zeros():
    model = _mlp()
    with torch.no_grad():
        model[2].weight[:, :4] = 0
    mask = constrain(model[2], "weight", None).freeze()
    _train_steps(model, torch.optim.Adam(model.parameters(), lr=0.05), 20)
    assert torch.all(model[2].weight.detach()[:, :4] == 0)
    with pytest.raises(ValueError, match="mask only"):
        mask.project()
    mask.remove()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_freeze_masks_exactly_the_zeros(dtype):
    """freeze() ands the mask with ``param != 0``: signed zeros masked, NaN,
    subnormals and entries already masked as the comparison says."""
    layer = nn.Linear(5, 4).to(dtype)
    attached = constrain(layer, "weight", None)
    attached.mask[3, 4] = False
    tiny = torch.finfo(dtype).tiny / 4     # a subnormal
    with torch.no_grad():
        layer.weight[0, :4] = torch.tensor([0.0, -0.0, float("nan"), tiny], dtype=dtype)
    expected = attached.mask.clone() & (layer.weight.detach() != 0)
    attached.freeze()
    assert torch.equal(attached.mask, expected)
    assert attached.mask[0, 2] and attached.mask[0, 3] and not attached.mask[0, :2].any()


def test_shrinking_rounds_with_a_set_that_zeroes_no_group():
    model = _mlp()
    attached = constrain(model[0], "weight", "l2_ball", eta=0.5)
    rounds = ShrinkingRounds(attached)
    assert rounds.end_round() and rounds.finished and rounds.n_rounds == 1
    assert float(model[0].weight.detach().norm()) <= 0.5 * (1 + 1e-6)


def test_shrinking_rounds_debias_keeps_the_survivors_values():
    model = _mlp(n_in=64)
    before = model[0].weight.detach().clone()
    attached = constrain(model[0], "weight", "bilevel_l12")
    rounds = ShrinkingRounds(attached, n_groups=10, n_rounds=1, debias=True)
    assert rounds.end_round()
    kept = attached.support()
    assert int(kept.sum()) == 10
    torch.testing.assert_close(model[0].weight.detach()[:, kept], before[:, kept])
    assert torch.all(model[0].weight.detach()[:, ~kept] == 0)
    # the ten survivors are the ten columns of largest l2 norm (the bi-level ranking)
    assert set(torch.argsort(before.norm(dim=0))[-10:].tolist()) == set(
        torch.nonzero(kept).flatten().tolist())


def test_materialize_gives_a_meta_network_uninitialized_memory_of_its_shapes():
    from skproj.nn._modules import materialize, mlp

    network = mlp([5, 4, 3], "relu")
    network.add_module("norm", torch.nn.BatchNorm1d(3, device="meta"))
    network[2].bias.requires_grad_(False)
    assert materialize(network) is network
    for name, tensor in itertools.chain(network.named_parameters(), network.named_buffers()):
        assert tensor.device.type == "cpu", name
    assert [tuple(p.shape) for p in network.parameters()] == [(4, 5), (4,), (3, 4), (3,),
                                                               (3,), (3,)]
    assert all(isinstance(p, torch.nn.Parameter) for p in network.parameters())
    assert not network[2].bias.requires_grad and network[0].bias.requires_grad
    assert network.norm.num_batches_tracked.dtype == torch.int64
    assert {"norm.running_mean", "norm.num_batches_tracked"} <= set(network.state_dict())
    with torch.no_grad():
        network.norm.reset_running_stats()
    assert network(torch.ones(2, 5)).shape == (2, 3)


def test_unpickled_estimator_in_a_fresh_process_imports_no_sympy(tmp_path):
    """Loading a fitted estimator to predict builds its network without
    ``Module.to_empty``, whose first call imports torch's symbolic shapes and
    SymPy (0.6 s; see ``materialize``)."""
    import warnings

    from fresh_python import run_python

    from skproj.neural_network import SparseMLPClassifier

    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((40, 6)), np.arange(40) % 2
    path = tmp_path / "model.pkl"
    model = SparseMLPClassifier(10, hidden_layer_sizes=(4,), n_epochs=2, n_finetune_epochs=2,
                                max_trials=1, early_stopping=False, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # (two epochs meet no target)
        model.fit(X, y)
    path.write_bytes(pickle.dumps(model))
    code = ("import pickle, sys, torch\n"
            "before = 'sympy' in sys.modules\n"
            f"model = pickle.loads(open({str(path)!r}, 'rb').read())\n"
            "print(before, 'sympy' in sys.modules)")
    before, after = run_python(["-c", code]).stdout.split()
    if before == "True":
        pytest.skip("this torch imports SymPy with torch itself")
    assert after == "False"
