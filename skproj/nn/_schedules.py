"""Projection schedules: when to project the constrained parameters during training.

Each schedule is a :class:`~skproj.nn.Callback`, driven by any training loop
(see :mod:`skproj.nn._callbacks`) or by skorch through
:func:`skorch_callback`.  A schedule acts on *targets*: the constraints
attached in a model (:func:`~skproj.nn.constrain`), given as the model
itself, a :class:`~skproj.nn.ParameterConstraint`, a
:class:`~skproj.nn.GlobalConstraint`, or a list of them.
"""

import math

from skproj.nn._callbacks import Callback
from skproj.nn._prune import GlobalConstraint, ParameterConstraint, constraints_of

__all__ = ["ProjectEvery", "ProjectThenFreeze", "ShrinkingRounds", "skorch_callback"]


def resolve_targets(targets):
    """The list of constraints a schedule acts on (see the module docstring)."""
    if isinstance(targets, (ParameterConstraint, GlobalConstraint)):
        return [targets]
    if hasattr(targets, "modules"):  # a torch.nn.Module
        found = constraints_of(targets)
        if not found:
            raise ValueError("the model has no constrained parameter: attach one with "
                             "skproj.nn.constrain first.")
        return found
    targets = list(targets)
    if not targets or not all(isinstance(t, (ParameterConstraint, GlobalConstraint))
                              for t in targets):
        raise TypeError("targets must be a model with constrained parameters, a "
                        "ParameterConstraint, a GlobalConstraint or a list of them.")
    return targets


def _check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}.")
    return value


class ProjectEvery(Callback):
    """Project the targets every ``every`` optimizer steps (projected gradient).

    With ``every=1`` the constraint holds after every step.  With Adam, a
    projection after every step keeps many groups alive (Adam's normalized
    steps revive zeroed groups); projecting every few hundred steps, as the
    group-sparse-projection paper does, or :class:`ProjectThenFreeze`, prunes
    more.

    Parameters
    ----------
    targets : model, ParameterConstraint, GlobalConstraint or list
        What to project.
    every : int, default=1
        Steps between projections.
    freeze : bool, default=False
        Whether each projection also freezes the zeros it made (masks only
        grow then).
    """

    def __init__(self, targets, every=1, *, freeze=False):
        self.targets = resolve_targets(targets)
        self.every = _check_positive_int(every, "every")
        self.freeze = freeze
        self.n_steps = 0

    def on_step_end(self, module):
        self.n_steps += 1
        if self.n_steps % self.every == 0:
            for target in self.targets:
                target.project()
                if self.freeze:
                    target.freeze()


class ProjectThenFreeze(Callback):
    """Project once after ``at_epoch`` epochs, then freeze the zeros ("double descent").

    The scheme of Barlaud et al.: train, project the weights once, and train
    on with the zero pattern frozen (the masks keep every pruned entry at
    zero whatever the optimizer).

    Parameters
    ----------
    targets : model, ParameterConstraint, GlobalConstraint or list
        What to project.
    at_epoch : int
        The projection happens at the end of this epoch (1 is the first).
    """

    def __init__(self, targets, at_epoch):
        self.targets = resolve_targets(targets)
        self.at_epoch = _check_positive_int(at_epoch, "at_epoch")
        self.n_epochs = 0
        self.done = False

    def on_epoch_end(self, module):
        self.n_epochs += 1
        if self.n_epochs == self.at_epoch:
            for target in self.targets:
                target.project().freeze()
            self.done = True


class ShrinkingRounds(Callback):
    """Rounds of projection with a shrinking radius, each followed by a freeze.

    At the end of each round the radius is the larger of the target's own
    (its ``level``) and the radius that keeps ``keep`` of the groups still
    alive (:meth:`~skproj.projections.Constraint.radius_for_groups`), so each
    round removes at most ``1 - keep`` of them; the round whose radius is the
    target's own is the last (:attr:`finished` becomes True).  A recursive
    feature elimination driven by the projection: each round ranks the
    groups on a model trained on fewer noisy inputs.

    Parameters
    ----------
    target : ParameterConstraint or GlobalConstraint
        What to project (one target: its radius decides the last round).  A
        set that zeroes no group (the l2 ball, a target sparsity) gets a
        single round at its own level.
    keep : float in (0, 1), default=0.5
        Share of the alive groups an intermediate round keeps.
    epochs_per_round : int or None, default=None
        Epochs per round when the schedule runs as a callback; ``None``:
        the training loop calls :meth:`end_round` itself.
    n_rounds : int or None, default=None
        Exactly this many rounds, the last one at the target's radius
        whatever it removes (intermediate rounds project at the larger of
        the two radii).  ``None``: until the target's radius binds.
    debias : bool, default=False
        After each round, give the surviving entries back the values they had
        before the projection: the projection chooses which groups survive,
        the weights are not shrunk (as the relaxed lasso refits after the
        lasso's selection).  The projection at the radius that keeps k groups
        shrinks the survivors by about the (k+1)-th group norm, which a short
        fine-tuning may not recover.
    n_groups : int or None, default=None
        Aim at a number of groups instead of the target's radius: every
        round keeps the larger of ``n_groups`` and ``keep`` of the alive
        groups, and the round that keeps ``n_groups`` (exactly, where ties
        allow) is the last.

    Attributes
    ----------
    n_rounds : int
        Rounds ended so far.
    finished : bool
        Whether the last round has ended.
    """

    def __init__(self, target, *, keep=0.5, epochs_per_round=None, n_rounds=None,
                 n_groups=None, debias=False):
        targets = resolve_targets(target)
        if len(targets) != 1:
            raise ValueError("ShrinkingRounds takes one target (use a GlobalConstraint to "
                             "share one budget between several parameters).")
        if not 0 < keep < 1:
            raise ValueError(f"keep must be in (0, 1), got {keep!r}.")
        self.target = targets[0]
        self.keep = keep
        self.epochs_per_round = (None if epochs_per_round is None else
                                 _check_positive_int(epochs_per_round, "epochs_per_round"))
        self.planned_rounds = (None if n_rounds is None
                               else _check_positive_int(n_rounds, "n_rounds"))
        self.debias = debias
        self.n_groups = (None if n_groups is None
                         else _check_positive_int(n_groups, "n_groups"))
        self.n_rounds = 0
        self.n_epochs = 0
        self.finished = False

    def end_round(self, module=None):
        """Project and freeze; returns True when this was the last round."""
        import torch

        members = getattr(self.target, "members", [self.target])
        before = [member.param.detach().clone() for member in members] if self.debias else None
        last = self._project_round()
        if before is not None:
            with torch.no_grad():
                for member, values in zip(members, before):
                    member.param.copy_(values)
                    member.apply_mask()
        return last

    def _project_round(self):
        if not self.target.zeroes_groups:
            # A set whose projection zeroes no group (a target sparsity such as
            # the group Hoyer set): no radius keeps k groups, one round at its level.
            self.target.project().freeze()
            self.n_rounds += 1
            self.finished = True
            return True
        n_alive = int(self.target.support().sum())
        n_keep = math.ceil(self.keep * n_alive) if n_alive >= 2 else n_alive
        planned = self.planned_rounds
        forced = planned is not None and self.n_rounds + 1 >= planned
        if self.n_groups is None:
            keep_radius = self.target.radius_for_groups(n_keep) if n_keep < n_alive else 0.0
            level = self.target.level
            last = forced if planned is not None else level >= keep_radius
            self.target.project(level if last else max(level, keep_radius))
        else:
            final = min(self.n_groups, n_alive)
            n_keep = final if forced else max(n_keep, final)
            last = forced if planned is not None else n_keep == final
            if n_keep < n_alive:
                self.target.project(self.target.radius_for_groups(n_keep))
        self.target.freeze()
        self.n_rounds += 1
        self.finished = last
        return last

    def on_epoch_end(self, module):
        self.n_epochs += 1
        if (self.epochs_per_round is not None and not self.finished
                and self.n_epochs % self.epochs_per_round == 0):
            self.end_round(module)


def skorch_callback(callback):
    """Wrap a schedule as a callback of skorch's ``NeuralNet``.

    skorch calls ``on_batch_end`` after each training step (after the
    optimizer's step): it becomes ``on_step_end``; ``on_epoch_end``,
    ``on_train_begin`` and ``on_train_end`` map one to one.  The schedule
    receives ``net.module_``.

    Parameters
    ----------
    callback : Callback
        A schedule of :mod:`skproj.nn` (or a :class:`~skproj.nn.CallbackList`).

    Returns
    -------
    skorch.callbacks.Callback

    Examples
    --------
    >>> from skorch import NeuralNetClassifier          # doctest: +SKIP
    >>> net = NeuralNetClassifier(module, callbacks=[
    ...     ("prune", skorch_callback(ProjectThenFreeze(module, at_epoch=5)))])  # doctest: +SKIP
    """
    from skorch.callbacks import Callback as SkorchCallback

    class _Adapter(SkorchCallback):
        def __init__(self, schedule):
            self.schedule = schedule

        def on_train_begin(self, net, X=None, y=None, **kwargs):
            self.schedule.on_train_begin(net.module_)

        def on_batch_end(self, net, batch=None, training=None, **kwargs):
            if training:
                self.schedule.on_step_end(net.module_)

        def on_epoch_end(self, net, dataset_train=None, dataset_valid=None, **kwargs):
            self.schedule.on_epoch_end(net.module_)

        def on_train_end(self, net, X=None, y=None, **kwargs):
            self.schedule.on_train_end(net.module_)

    return _Adapter(callback)
