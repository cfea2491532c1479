"""Constraints attached to the parameters of any ``torch.nn.Module``.

:func:`constrain` attaches a :class:`~skproj.projections.Constraint` to one
parameter: the module gains a boolean buffer ``<name>_mask`` (saved in its
``state_dict``, moved by ``.to(device)``) of the entries still allowed to be
non-zero.  The mask is enforced after every optimizer step, whatever the
optimizer: after each ``optimizer.step()`` of any ``torch.optim`` optimizer
(a step post-hook), the masked entries are set back to zero, so weight decay,
momentum or Adam's moments cannot revive them.  Their gradients are not
masked: they only feed those entries' own optimizer state, which the reset
makes moot, and a gradient hook cost 10-15 % of a small network's step.

The reset multiplies the parameter by the mask converted to the parameter's
dtype, kept from one step to the next, and is skipped while the mask keeps
every entry (``ParameterConstraint._mask_factor`` says why and when the
conversion is redone).

Groups follow the layer kind (``groups=``):

- ``torch.nn.Linear`` weight ``(out, in)``: ``"inputs"`` makes each input
  feature's column a group, ``"outputs"`` each output neuron's row;
- convolution weight ``(out, in, *kernel)``: ``"outputs"`` makes each filter
  (output channel) a group, ``"inputs"`` each input channel;
- any other parameter of two or more dimensions: dimension 1 or 0.

Vector sets (the l1 ball, ...) see the whole parameter as one vector.
"""

import math
import weakref

import numpy as np

from skproj.projections import get_constraint
from skproj.projections._torch_backend import leading_axes_swapped
from skproj.projections._vector import l1_threshold

__all__ = [
    "GROUPINGS",
    "GlobalConstraint",
    "ParameterConstraint",
    "constrain",
    "constraints_of",
    "enforce_masks_",
    "remove",
]

GROUPINGS = ("inputs", "outputs")

# Every attached constraint by the id of its parameter, for the optimizer hook,
# and, per optimizer, the attached constraints among its parameters (rebuilt
# when something is attached or removed: the hook runs after every step).
_ATTACHED = weakref.WeakValueDictionary()
_VERSION = [0]
# Constraints of copied models (copy.deepcopy, pickle, torch.load) not yet in
# _ATTACHED: their module is still being rebuilt when they are, so they are
# registered at the next look-up (``_register_copies``).
_COPIES = weakref.WeakSet()
_PER_OPTIMIZER = weakref.WeakKeyDictionary()
_OPTIMIZER_HOOK = None


def _torch():
    import torch

    return torch


def _register_copies():
    """Put the constraints of copied models whose module is complete in _ATTACHED."""
    for attached in list(_COPIES):
        try:
            param = attached.param
        except AttributeError:  # its module is still being rebuilt
            continue
        _ATTACHED[id(param)] = attached
        _COPIES.discard(attached)


def _after_optimizer_step(optimizer, args, kwargs):
    """Re-apply the masks of the constrained parameters this optimizer updated."""
    if not _ATTACHED and not _COPIES:
        return
    version, found = _PER_OPTIMIZER.get(optimizer, (None, ()))
    if version != _VERSION[0]:
        _register_copies()
        found = [attached for group in optimizer.param_groups for param in group["params"]
                 if (attached := _ATTACHED.get(id(param))) is not None
                 and attached.param is param]
        _PER_OPTIMIZER[optimizer] = (_VERSION[0], found)
    for attached in found:
        attached.apply_mask()


def _install_optimizer_hook():
    global _OPTIMIZER_HOOK
    if _OPTIMIZER_HOOK is None:
        from torch.optim.optimizer import register_optimizer_step_post_hook

        _OPTIMIZER_HOOK = register_optimizer_step_post_hook(_after_optimizer_step)


def _writer(target):
    """Store a result of the target's shape into ``target`` unless it is already there."""
    def write_back(result):
        if result.data_ptr() != target.data_ptr():
            target.copy_(result.reshape(target.shape))
    return write_back


def _warm_start(dual, matrix, constraint):
    """The ``dual_init`` of ``constraint``'s projection of ``matrix`` from the
    last projection's multiplier ``dual`` (the same class of set's).

    None where there is nothing to start from: no projection yet, a scalar
    multiplier of 0 (the weight was then inside the set), or levels (the
    exact l1,inf ball's, one per group) of other groups than ``matrix``'s
    along the set's axis (the set's axis changed).
    """
    if dual is None:
        return None
    if getattr(dual, "ndim", 0) == 0:
        return None if dual == 0 else dual
    return dual if tuple(dual.shape) == (matrix.shape[1 - constraint.axis],) else None


def _group_matrix(tensor, groups, is_matrix, axis=None):
    """A 2-D view of ``tensor`` whose groups run along ``axis``, and a write-back.

    Returns ``(matrix, axis, write_back)``; ``write_back(result)`` stores a
    projected matrix into ``tensor`` (nothing to do when the projection
    wrote into ``matrix`` and ``matrix`` is a view of ``tensor``).  ``axis``:
    the attached set's, where there is one (see below).
    """
    if not is_matrix:
        return tensor.reshape(-1), None, _writer(tensor)
    if tensor.dim() < 2:
        raise ValueError(f"a set of matrices needs a parameter of 2 or more dimensions; this one "
                         f"has shape {tuple(tensor.shape)}: use a vector set such as 'l1_ball'.")
    if tensor.dim() == 2:
        return tensor, (0 if groups == "inputs" else 1), _writer(tensor)
    if groups == "outputs":  # one row per filter
        return tensor.reshape(tensor.shape[0], -1), 1, _writer(tensor)
    if axis != 1 and math.prod(tensor.shape[2:]) == 1:
        # A kernel of one entry (1 x 1 convolutions): the weight is a linear
        # layer's (out, in) matrix, its columns the input channels, with no
        # copy either way (a 64 x 32 x 1 x 1 weight's project() 40.5 -> 12.5
        # us, bench_nn_overhead; a 64 x 32 linear layer's 7-9).  A set
        # attached before (axis 1, the channels as rows) keeps the copy's
        # layout.
        return tensor.reshape(tensor.shape[0], tensor.shape[1]), 0, _writer(tensor)
    # One row per input channel: a copy (the channels are not a stride of the
    # weight), by the C copy where it takes the tensor, there and back
    # (``conv 64x32x3x3 channels`` in bench_nn_overhead).
    swapped = leading_axes_swapped(tensor)
    if swapped is not None:
        return swapped[0], 1, swapped[1]
    channels = tensor.transpose(0, 1)
    return channels.reshape(channels.shape[0], -1), 1, _writer(channels)


class ParameterConstraint:
    """A constraint attached to one parameter of a module (made by :func:`constrain`).

    Attributes
    ----------
    module : torch.nn.Module
        The module that owns the parameter.
    name : str
        The parameter's name in ``module``.
    constraint : Constraint or None
        The set, with its radius (``constraint.level``); None for a mask
        only (zeros frozen, nothing projected).
    groups : {"inputs", "outputs"}
        Which slices of the parameter are the groups.
    """

    # (weak reference to the mask, key, factor): see _mask_factor.
    _factor = None
    # The multiplier of the last projection, where the constraint warm-starts
    # (``Constraint.warm_starts``): the next step's guess; and the class of
    # the set it was found for (another set's is no guess: _warm_start).
    _dual = None
    _dual_of = None

    def __init__(self, module, name, constraint, groups):
        self.module = module
        self.name = name
        self.constraint = constraint
        self.groups = groups

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_factor", None)  # a weak reference does not pickle; rebuilt on first use
        return state

    def __setstate__(self, state):
        # A copied model's constraint (copy.deepcopy, pickle, torch.load): its
        # masks must hold in the copy's training too, so it joins the optimizer
        # hook (in this process, which may not have installed it yet) once its
        # module is rebuilt.
        self.__dict__.update(state)
        _COPIES.add(self)
        _VERSION[0] += 1
        _install_optimizer_hook()

    def __repr__(self):
        return (f"ParameterConstraint({type(self.module).__name__}.{self.name}, "
                f"{self.constraint!r}, groups={self.groups!r})")

    @property
    def param(self):
        # (the module's dict of parameters first: a module's attribute lookup,
        # nn.Module.__getattr__, costs half a microsecond, and the optimizer
        # hook reads the parameter and its mask after every step; any other
        # kind of attribute, e.g. a parametrization's, by the lookup)
        param = self.module._parameters.get(self.name)
        return param if param is not None else getattr(self.module, self.name)

    @property
    def mask(self):
        """Boolean tensor: the entries allowed to be non-zero (a buffer of the module).

        Edit it in place with torch operations (``mask[0, 3] = False``,
        ``fill_``, ``load_state_dict``): torch counts them, and the next reset
        of the masked entries sees them.  A write that torch does not count,
        through ``mask.data`` or a NumPy view of the mask, is seen only after
        the next counted one.
        """
        name = self.name + "_mask"
        mask = self.module._buffers.get(name)  # (as ``param``)
        return mask if mask is not None else getattr(self.module, name)

    def _mask_factor(self):
        """The mask in the parameter's dtype and device, or None when it keeps every entry.

        ``param.mul_(factor)`` is ``param.mul_(mask)`` bit for bit (both
        multiply by 1.0 or 0.0), but on CPU a multiply by a bool tensor is
        several times slower than by one of the parameter's dtype (54 against
        8 microseconds on a 100 x 784 float32 weight, torch 2.13), and
        the mask is applied after every optimizer step.  So the factor is
        built once and kept while its key holds: the buffer object
        (``module.to()`` may replace it), its version (torch counts every
        in-place change of it or of its views), its memory (``mask.data =``
        keeps the version) and the parameter's dtype and device (``.double()``,
        ``.to()`` change them in place).  The bool mask is read as bytes to
        build the factor: converting it as bool is the slow path again.  A
        mask that keeps every entry (a constraint just attached, before its
        first freeze) has no factor and costs no multiply; otherwise the
        factor holds as many numbers as the parameter.
        """
        return self._factor_of(self.param)

    def _factor_of(self, param):
        """:meth:`_mask_factor` of ``param``, the parameter as the caller has already read it."""
        mask = self.mask
        try:
            key = (mask._version, mask.data_ptr(), param.dtype, param.device)
        except RuntimeError:  # an inference tensor has no version to key on: as it is
            return mask
        cached = self._factor
        if cached is not None and cached[1] == key and cached[0]() is mask:
            return cached[2]
        torch = _torch()
        if mask.dtype != torch.bool:
            return mask  # not a mask of constrain()'s making: as it is
        as_bytes = mask.view(torch.uint8)
        factor = (None if bool(as_bytes.all())
                  else as_bytes.to(device=param.device, dtype=param.dtype))
        self._factor = (weakref.ref(mask), key, factor)
        return factor

    @property
    def level(self):
        return self._constraint().level

    @property
    def zeroes_groups(self):
        """Whether the projection can zero whole groups (a radius can keep k of them)."""
        return self.constraint is not None and self.constraint.zeroes_groups

    def _constraint(self):
        if self.constraint is None:
            raise ValueError(f"{self!r} is a mask only (constrain(..., constraint=None)): "
                             "it freezes zeros but projects nothing.")
        return self.constraint

    def matrix(self):
        """The parameter as the projection sees it: ``(matrix, axis, write_back)``."""
        return self._matrix_of(self.param.detach())

    def _matrix_of(self, weight):
        is_matrix = self.constraint is not None and self.constraint.is_matrix
        return _group_matrix(weight, self.groups, is_matrix,
                             self.constraint.axis if is_matrix else None)

    def apply_mask(self):
        """Zero the masked entries of the parameter (in place, outside autograd)."""
        self._mask_weight(self.param)
        return self

    def _mask_weight(self, param):
        factor = self._factor_of(param)
        if factor is not None:
            param.detach().mul_(factor)

    def project(self, level=None):
        """Project the (masked) parameter onto the set, in place.

        Parameters
        ----------
        level : float, optional
            The radius (the set's ``level``) for this projection; the
            constraint's own by default.
        """
        constraint = self._constraint()
        constraint = constraint if level is None else constraint.with_level(level)
        # Outside autograd, on the detached parameter; the parameter read once
        # (a module's attribute lookup costs half a microsecond: thrice here
        # before, after every step of a pruning schedule).
        param = self.param
        self._mask_weight(param)
        matrix, _, write_back = self._matrix_of(param.detach())
        if constraint.warm_starts:
            start = (_warm_start(self._dual, matrix, constraint)
                     if self._dual_of is type(constraint) else None)
            projected, self._dual = constraint.project(
                matrix, out=matrix, dual_init=start, return_dual=True)
            self._dual_of = type(constraint)
            write_back(projected)
        else:
            write_back(constraint.project(matrix, out=matrix))
        if not constraint.keeps_zeros:
            self._mask_weight(param)  # e.g. the simplex shifts every entry, masked ones too
        return self

    def freeze(self):
        """Mask the current zeros: from now on they stay zero."""
        with _torch().no_grad():
            # ``bool()`` is ``!= 0`` (NaN and -0.0 included), several times
            # faster on CPU (7 against 52 microseconds on 100 x 784, torch 2.13):
            # ProjectEvery(freeze=True) pays it every step.
            self.mask.logical_and_(self.param.detach().bool())
        return self

    def reset_mask(self):
        """Allow every entry again (the mask all True)."""
        with _torch().no_grad():
            self.mask.fill_(True)
        return self

    def group_norms(self):
        """Norm of every group (the set's inner norm), as a tensor on the parameter's device."""
        matrix, _, _ = self.matrix()
        if self.constraint is None:
            return matrix.abs()
        return self.constraint.group_norms(matrix)

    def support(self):
        """Boolean tensor: which groups are non-zero."""
        return self.group_norms() > 0

    def group_mask(self, keep):
        """Element mask of the groups where the boolean vector ``keep`` is True."""
        torch = _torch()
        shape = self.param.shape
        keep = torch.as_tensor(keep, device=self.param.device, dtype=torch.bool)
        if self.constraint is None or not self.constraint.is_matrix:
            return keep.reshape(shape)
        if self.groups == "outputs":
            return keep.reshape(-1, *([1] * (len(shape) - 1))).expand(shape)
        if len(shape) == 2:
            return keep.reshape(1, -1).expand(shape)
        return keep.reshape(1, -1, *([1] * (len(shape) - 2))).expand(shape)

    def radius_function(self):
        matrix, _, _ = self.matrix()
        return self._constraint().radius_function(matrix)

    def breakpoints(self):
        matrix, _, _ = self.matrix()
        return self._constraint()._breakpoints(matrix)

    def _radius_function_and_breakpoints(self):
        """Both of the above, from one look at the parameter (a global budget needs both)."""
        matrix, _, _ = self.matrix()
        function, breakpoints = self._constraint()._radius_function_and_breakpoints(matrix)
        return function, np.asarray(breakpoints, dtype=np.float64)

    def radius_for_groups(self, k):
        """The radius whose projection keeps ``k`` groups (see ``Constraint.radius_for_groups``)."""
        matrix, _, _ = self.matrix()
        return self._constraint().radius_for_groups(matrix, k)

    def remove(self):
        """Make the pruning permanent, drop the bookkeeping (``torch.nn.utils.prune.remove``)."""
        self.apply_mask()
        del self.module._skproj_constraints[self.name]
        delattr(self.module, self.name + "_mask")
        _ATTACHED.pop(id(self.param), None)
        _COPIES.discard(self)
        _VERSION[0] += 1


def constrain(module, name="weight", constraint="bilevel_l1inf", *, eta=None,
              groups="inputs"):
    """Attach a constraint to a parameter of ``module``.

    The module gains a boolean buffer ``<name>_mask`` (all True: nothing is
    pruned yet).  Nothing is projected now: call
    :meth:`ParameterConstraint.project`, or let a schedule
    (:class:`ProjectEvery`, :class:`ProjectThenFreeze`,
    :class:`ShrinkingRounds`) do it during training.

    Parameters
    ----------
    module : torch.nn.Module
        E.g. a ``Linear`` or a ``Conv2d`` layer.
    name : str, default="weight"
        The parameter to constrain.
    constraint : str, Constraint or None, default="bilevel_l1inf"
        The set (see :func:`skproj.projections.get_constraint`); None
        attaches a mask only, to freeze the zeros a weight already has (as
        ``torch.nn.utils.prune.custom_from_mask``).
    eta : float, optional
        Its radius (replaces the constraint's own).
    groups : {"inputs", "outputs"}, default="inputs"
        For a ``Linear`` weight, the input-feature columns or the output
        neurons' rows; for a convolution, the input channels or the filters.

    Returns
    -------
    attached : ParameterConstraint

    Raises
    ------
    ValueError
        If ``groups`` is unknown, the parameter is already constrained, or a
        set of matrices is attached to a 1-D parameter.

    Examples
    --------
    >>> import torch
    >>> from skproj.nn import constrain
    >>> layer = torch.nn.Linear(20, 5)
    >>> attached = constrain(layer, "weight", "bilevel_l1inf", eta=0.3)
    >>> int(attached.project().support().sum()) < 20     # input features removed
    True
    >>> sorted(layer.state_dict())
    ['bias', 'weight', 'weight_mask']
    """
    torch = _torch()
    if groups not in GROUPINGS:
        raise ValueError(f"groups must be one of {GROUPINGS}, got {groups!r}.")
    param = getattr(module, name, None)
    if not isinstance(param, torch.nn.Parameter):
        raise ValueError(f"{type(module).__name__} has no parameter named {name!r}.")
    if constraint is not None:
        constraint = get_constraint(constraint, eta=eta)
    if constraint is not None and constraint.is_matrix:
        if param.dim() < 2:
            raise ValueError(f"{name!r} of {type(module).__name__} has shape "
                             f"{tuple(param.shape)}: a set of matrices needs 2 or more "
                             "dimensions; use a vector set such as 'l1_ball'.")
        _, axis, _ = _group_matrix(param.detach(), groups, True)
        constraint = constraint.with_params(axis=axis)
    registry = module.__dict__.setdefault("_skproj_constraints", {})
    if name in registry:
        raise ValueError(f"{type(module).__name__}.{name} is constrained already; remove() it "
                         "first.")
    module.register_buffer(name + "_mask", torch.ones_like(param, dtype=torch.bool))
    attached = ParameterConstraint(module, name, constraint, groups)
    registry[name] = attached
    _ATTACHED[id(param)] = attached
    _VERSION[0] += 1
    _install_optimizer_hook()
    return attached


def constraints_of(model):
    """Every :class:`ParameterConstraint` attached in ``model`` (its modules in order)."""
    return [attached for module in model.modules()
            for attached in module.__dict__.get("_skproj_constraints", {}).values()]


def enforce_masks_(model):
    """Zero every masked entry of ``model`` now (for update rules outside ``torch.optim``)."""
    for attached in constraints_of(model):
        attached.apply_mask()
    return model


def remove(module, name="weight"):
    """Make the pruning of ``module.<name>`` permanent and drop its mask and hooks."""
    registry = module.__dict__.get("_skproj_constraints", {})
    if name not in registry:
        raise ValueError(f"{type(module).__name__}.{name} has no constraint attached.")
    registry[name].remove()
    return module


class GlobalConstraint:
    """One budget shared by several constrained parameters.

    Either a global radius (``eta``): the groups of all the members are
    projected as one set, so one threshold decides, across layers, which
    groups survive (the radius each member gets is what that common
    threshold gives it); or a global number of groups kept (``n_groups``),
    like ``torch.nn.utils.prune.global_unstructured`` for structured
    groups.  Group norms are compared across layers as they are: give the
    members comparable scales (the same kind of layer, standardized inputs).

    Parameters
    ----------
    members : list of ParameterConstraint
        Parameters constrained by the same kind of set (their own radii are
        ignored).
    eta : float, optional
        The global radius.
    n_groups : int, optional
        The number of groups kept across the members (exactly, where ties
        allow).  Give exactly one of ``eta`` and ``n_groups``.
    """

    def __init__(self, members, *, eta=None, n_groups=None):
        members = list(members)
        if not members or not all(isinstance(m, ParameterConstraint) for m in members):
            raise ValueError("members must be a non-empty list of ParameterConstraint "
                             "(from skproj.nn.constrain).")
        kinds = {type(member.constraint) for member in members}
        if len(kinds) != 1:
            raise ValueError(f"the members of a global budget share one kind of set; got "
                             f"{sorted(kind.__name__ for kind in kinds)}.")
        if (eta is None) == (n_groups is None):
            raise ValueError("give exactly one of eta (a global radius) and n_groups.")
        self.members = members
        self.eta = eta
        self.n_groups = n_groups

    @property
    def level(self):
        return self.eta

    @property
    def zeroes_groups(self):
        return self.members[0].zeroes_groups

    def member_levels(self, level=None):
        """The radius of every member for the global budget (``None`` entries: no change)."""
        functions, breakpoints = zip(*(member._radius_function_and_breakpoints()
                                       for member in self.members))
        summed = all(member._constraint()._radius_is_summed() for member in self.members)
        threshold = (self._threshold_for_groups(breakpoints, self.n_groups)
                     if self.n_groups is not None and level is None
                     else self._threshold_for_radius(functions, breakpoints,
                                                     self.eta if level is None else level,
                                                     summed))
        if threshold is None:
            return [None] * len(self.members)
        return [function(threshold) for function in functions]

    @staticmethod
    def _threshold_for_groups(breakpoints, k):
        ordered = np.sort(np.concatenate(breakpoints))[::-1]
        n_alive = int(np.count_nonzero(ordered > 0))
        if not 0 <= k <= n_alive:
            raise ValueError(f"n_groups must be between 0 and the number of non-zero groups "
                             f"({n_alive}), got {k}.")
        if k == 0:
            return float(ordered[0]) if ordered.size else 0.0
        while k < n_alive and ordered[k - 1] == ordered[k]:
            k += 1
        below = ordered[k] if k < ordered.size else 0.0
        return 0.5 * (ordered[k - 1] + below)

    @staticmethod
    def _threshold_for_radius(functions, breakpoints, eta, summed=False):
        """The threshold at which the members' radii add up to ``eta`` (None: inside).

        Where every radius function is the sum of its breakpoints' excesses
        (``summed``: the bi-level balls, the l1 ball, the simplex), that is
        the l1 ball's threshold of all the breakpoints together, exact
        (``l1_threshold``); otherwise a bisection on the sum of the functions.
        """
        if summed:
            return l1_threshold(np.concatenate(breakpoints), eta)
        total = lambda threshold: sum(function(threshold) for function in functions)  # noqa: E731
        if total(0.0) <= eta:
            return None  # inside the ball: nothing to do
        low, high = 0.0, max(float(b.max(initial=0.0)) for b in breakpoints)
        for _ in range(200):  # bisection: the radius decreases with the threshold
            middle = 0.5 * (low + high)
            if middle in (low, high):
                break
            low, high = (middle, high) if total(middle) > eta else (low, middle)
        return high

    def project(self, level=None):
        """Project every member so that the budget holds (in place)."""
        for member, member_level in zip(self.members, self.member_levels(level)):
            if member_level is not None:
                member.project(member_level)
        return self

    def freeze(self):
        for member in self.members:
            member.freeze()
        return self

    def support(self):
        """Concatenated group supports of the members (a CPU bool tensor)."""
        torch = _torch()
        return torch.cat([member.support().cpu() for member in self.members])

    def radius_for_groups(self, k):
        """The global radius that keeps ``k`` groups across the members."""
        functions, breakpoints = zip(*(member._radius_function_and_breakpoints()
                                       for member in self.members))
        threshold = self._threshold_for_groups(breakpoints, k)
        return sum(function(threshold) for function in functions)
