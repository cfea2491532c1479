"""What the pruning toolkit (skproj.nn) adds to every training step.

Run ``python benchmarks/bench_nn_overhead.py`` from the repository root
(``PYTHONPATH=.`` where another checkout is installed; ``--quick``: fewer rounds;
``--cpu``: time by the thread's CPU time, see ``_timing.py``;
``--baseline REV``: also time ``skproj/nn/_prune.py`` as it was at git
revision REV, interleaved with the current one in the same process).  torch
runs on one thread, float32.

A constraint attached with :func:`skproj.nn.constrain` re-applies its mask
after every optimizer step (an optimizer post-hook), and a schedule such as
``ProjectEvery(every=1)`` (the supervised autoencoder's) calls
``ParameterConstraint.project()`` after every step too; both are paid
thousands of times per fit, on weights small enough that a projection takes
microseconds.  Per layer (bilevel_l1inf at a radius that keeps half of the
groups; Adam with gradients drawn once), in microseconds:

- ``copy``: ``np.copyto`` of the weight, the memory-bound unit of the
  projections' performance contract;
- ``step``: ``optimizer.step()`` of the layer with nothing attached;
- ``hook 1s`` / ``hook 0s``: the optimizer post-hook that the step runs once
  a constraint is attached (called directly: the difference of two step
  times drowns in their noise), with a mask that keeps every entry (just
  attached) and with one that has zeros (after a projection and a freeze);
- ``project()``: ``ParameterConstraint.project()`` with the mask with zeros,
  and ``bare``: ``constraint.project(matrix, out=matrix)`` on the same
  matrix, both from the same weight (restored before every call; the
  restore's time is subtracted);
- ``freeze()``: masking the current zeros (``ProjectEvery(freeze=True)`` does
  it after every step);

and the ratios ``hook 0s / step`` and ``project() / bare``.  Then the
proximal l1 step (``on_step_end`` of :class:`skproj.nn.ProximalL1` with
Adam's metric, run after every step) and its soft threshold
(``soft_threshold_``) against the step and the copy; then a 784-100-10 MLP on
a batch of 64 (whole training steps: forward, backward, Adam), with a mask on
the first layer: the hook and ``project()`` after a step against the whole
step (the proximal step too); and a :class:`skproj.nn.GlobalConstraint` over
its two weights against the projections of its members alone, with a global
number of groups, then with a global radius (the same radii).

Measured on the 2-core development machine shared with another build (load
average 2.3-2.7, ``--cpu --baseline 30f4000``: the bool-mask toolkit before
the cached factor, interleaved with the current one in one process),
microseconds::

    layer                    toolkit  copy   step  hook 1s  hook 0s  project()  bare
    linear 32x64             30f4000   0.5   72.8      7.8      7.7       24.5   5.0
                             current   0.5   72.8      2.5      5.1       11.9   5.0
    linear 100x784           30f4000   7.0  163.0     58.5     58.5      142.0  15.5
                             current   7.0  163.0      2.5     11.6       32.1  15.8
    linear 300x2000          30f4000  51.5   2790    393.3    391.0      913.3  86.9
                             current  51.5   2790      2.5     55.3      149.3  84.8
    conv 64x32x3x3 filters   30f4000   1.8   94.4     18.1     18.0       49.0   6.1
                             current   1.8   94.4      2.5      6.2       16.0   6.2
    conv 64x32x3x3 channels  30f4000   1.8   94.1     18.1     17.9       71.9   6.1
                             current   1.8   94.1      2.5      6.2       37.3   6.0

project() / bare went from 4.9-11.8 to 2.0-2.6 (6.2 by input channels of a
convolution: two strided copies, to the rows and back); the hook with zeros
in the mask is one multiply in the parameter's dtype (about the copy), and
2.5 us of Python with a mask that keeps everything.  On the 784-100-10 MLP
(a 707 us training step) the hook went from 58 to 12 us and ``project()``
after a step from 140 to 31 us; ``GlobalConstraint.project()`` from 276 to
123 us, of which 69 us were ``member_levels()`` (the group norms twice per
member, a Python search), against 17 us for the members' projections.

Then (8cd96e9 and e083440, one run at load 0.9, ``--cpu``): ``freeze()``
ands the mask with ``param.bool()`` instead of ``param != 0`` (59.7 -> 13.6
us on 100 x 784; 9.4 -> 6.8 on 32 x 64, 390 -> 58 on 300 x 2000), and the
global budget reads each member's group norms once
(``GlobalConstraint.project()`` 135 -> 102 us, ``member_levels()`` 76 ->
48 us).  ``ProximalL1.on_step_end``
(Adam's metric) cost 0.3-1.1 of an Adam step of the layer alone (128 us on
100 x 784, 22 % of the MLP's step), its soft threshold 5.5-9.5 copies:
float passes and temporaries, not the bool arithmetic.

Then (one pass of a compiled kernel, ``_l1.soft_threshold``, for contiguous
CPU tensors; one run at load 0.7, ``--cpu``), microseconds, before -> after::

    layer                    prox (Adam)     soft threshold
    linear 32x64             22.4 -> 5.2     10.5 -> 2.9
    linear 100x784            122 -> 27.3    43.7 -> 7.3
    linear 300x2000           773 -> 177      269 -> 38.7
    conv 64x32x3x3            42.7 -> 9.7    17.2 -> 3.9

and on the MLP ``on_step_end`` 145 -> 32 us (20 % -> 4.6 % of the step).
With Adam's metric the pass waits on its square roots and divisions
(0.3 ns an entry); the plain soft threshold runs at 0.5-2 copies.

Then (issue 14, 2026-11-26, one run at load 0.5-0.7, ``--baseline
bcc8015``): a convolution's input channels copied into rows and back in C
(``_torch_backend.leading_axes_swapped``), where torch's strided copies
took 1.3-3 times as long: ``conv 64x32x3x3 channels`` ``project()`` 31.6
-> 23.0 us (project() / bare 7.0 -> 5.2; 38.7 -> 25.3 in another run); and
a global radius over layers (``GlobalConstraint(eta=...)``, the MLP's
line added then) found as the l1 ball's threshold of every member's group
norms at once, where a bisection evaluated their radius functions some 60
times: ``project()`` 387 -> 83 us, ``member_levels()`` 342 -> 37.
"""

import argparse
import importlib.util
import os
import subprocess
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(__file__))
import _timing  # noqa: E402
from _timing import best_times, conditions  # noqa: E402

from skproj.nn import ProximalL1, soft_threshold_  # noqa: E402
from skproj.nn import _prune  # noqa: E402

CONSTRAINT = "bilevel_l1inf"
LAYERS = [
    ("linear 32x64", lambda: nn.Linear(64, 32), "inputs"),
    ("linear 100x784", lambda: nn.Linear(784, 100), "inputs"),
    ("linear 300x2000", lambda: nn.Linear(2000, 300), "inputs"),
    ("conv 64x32x3x3 filters", lambda: nn.Conv2d(32, 64, 3), "outputs"),
    ("conv 64x32x3x3 channels", lambda: nn.Conv2d(32, 64, 3), "inputs"),
    ("conv 64x32x1x1 channels", lambda: nn.Conv2d(32, 64, 1), "inputs"),
]


def load_baseline(revision):
    """``skproj/nn/_prune.py`` of git ``revision``, as a module of its own.

    It keeps its own registry and optimizer hook, so that the layers it
    constrains are masked by its code and the others by the current one.
    """
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    source = subprocess.run(["git", "show", f"{revision}:skproj/nn/_prune.py"], cwd=root,
                            capture_output=True, text=True, check=True).stdout
    module = importlib.util.module_from_spec(
        importlib.util.spec_from_loader(f"_prune_at_{revision}", loader=None))
    exec(compile(source, f"{revision}:skproj/nn/_prune.py", "exec"), module.__dict__)
    return module


def _layer(build, seed=0):
    """A layer with gradients drawn once and an Adam optimizer that has stepped once."""
    torch.manual_seed(seed)
    layer = build()
    for param in layer.parameters():
        param.grad = 0.01 * torch.randn_like(param)
    optimizer = torch.optim.Adam(layer.parameters(), lr=1e-3)
    optimizer.step()  # Adam's state allocated
    return layer, optimizer


def _attached(toolkit, build, groups, with_zeros):
    """A layer with the constraint attached: its mask all True, or with half of the groups off."""
    layer, optimizer = _layer(build)
    attached = toolkit.constrain(layer, "weight", CONSTRAINT, groups=groups)
    n_groups = int(attached.support().numel())
    attached.constraint = attached.constraint.with_level(
        attached.radius_for_groups(n_groups // 2))
    if with_zeros:
        before = layer.weight.detach().clone()
        attached.project().freeze()
        layer.weight.detach().copy_(before)  # project() is timed from the unprojected weight
    return layer, optimizer, attached


def layer_table(toolkits, rounds):
    print(f"Per layer ({CONSTRAINT}, Adam), microseconds; {conditions()}")
    header = (f"{'layer':<25}{'toolkit':<10}{'copy':>7}{'step':>8}{'hook 1s':>9}"
              f"{'hook 0s':>9}{'project()':>11}{'bare':>8}{'freeze()':>10}"
              f"{'hook/step':>11}{'proj/bare':>11}")
    print(header)
    print("-" * len(header))
    kept_alive = []
    for label, build, groups in LAYERS:
        plain, plain_optimizer = _layer(build)
        weight = plain.weight.detach().numpy()
        copy_out = np.empty_like(weight)
        functions = {"copy": lambda: np.copyto(copy_out, weight),
                     "step": plain_optimizer.step}
        for name, toolkit in toolkits:
            ones, ones_optimizer, _ = _attached(toolkit, build, groups, False)
            # The optimizer holds the parameters, not the module: keep the module (and
            # so the constraint, which the hook's registry holds weakly) alive.
            kept_alive.append(ones)
            layer, optimizer, attached = _attached(toolkit, build, groups, True)
            param = layer.weight.detach()
            start = param.clone()
            matrix_start = attached.matrix()[0].clone()
            matrix = matrix_start.clone()
            constraint = attached.constraint

            def restore(param=param, start=start):
                param.copy_(start)

            def restore_matrix(matrix=matrix, matrix_start=matrix_start):
                matrix.copy_(matrix_start)

            def project(restore=restore, attached=attached):
                restore()
                attached.project()

            def bare(restore_matrix=restore_matrix, matrix=matrix, constraint=constraint):
                restore_matrix()
                constraint.project(matrix, out=matrix)

            def freeze(attached=attached):
                attached.freeze()

            functions.update({
                (name, "hook 1s"): lambda hook=toolkit._after_optimizer_step,
                optimizer=ones_optimizer: hook(optimizer, (), {}),
                (name, "hook 0s"): lambda hook=toolkit._after_optimizer_step,
                optimizer=optimizer: hook(optimizer, (), {}),
                (name, "restore"): restore,
                (name, "restore matrix"): restore_matrix,
                (name, "project"): project,
                (name, "bare"): bare,
                (name, "freeze"): freeze,
            })
        times = dict(zip(functions, (1e6 * t for t in best_times(list(functions.values()),
                                                                 rounds=rounds))))
        for i, (name, _) in enumerate(toolkits):
            step = times["step"]
            hook_ones, hook_zeros = times[name, "hook 1s"], times[name, "hook 0s"]
            project = times[name, "project"] - times[name, "restore"]
            bare = times[name, "bare"] - times[name, "restore matrix"]
            print(f"{label if i == 0 else '':<25}{name:<10}{times['copy']:>7.1f}{step:>8.1f}"
                  f"{hook_ones:>9.1f}{hook_zeros:>9.1f}"
                  f"{project:>11.1f}{bare:>8.1f}{times[name, 'freeze']:>10.1f}"
                  f"{hook_zeros / step:>11.2f}{project / bare:>11.2f}")
    print()


def proximal_table(rounds):
    print(f"ProximalL1 (Adam's metric) per layer, microseconds; {conditions()}")
    header = (f"{'layer':<25}{'copy':>7}{'step':>8}{'prox':>8}{'soft thr.':>11}"
              f"{'prox/step':>11}{'thr./copy':>11}")
    print(header)
    print("-" * len(header))
    for label, build, _ in LAYERS:
        layer, optimizer = _layer(build)
        prox = ProximalL1(optimizer, alpha=1e-3, weights=[layer.weight])
        prox.on_train_begin(layer)
        weight = layer.weight.detach()
        copy_out = np.empty_like(weight.numpy())
        copy, step, proximal, threshold = best_times([
            lambda: np.copyto(copy_out, weight.numpy()),
            optimizer.step,
            lambda: prox.on_step_end(layer),
            # (a threshold below every weight's rounding: every pass, the weight
            # kept; at 0 the call returns at once)
            lambda: soft_threshold_(weight, float(torch.finfo(weight.dtype).tiny)),
        ], rounds=rounds)
        print(f"{label:<25}{1e6 * copy:>7.1f}{1e6 * step:>8.1f}{1e6 * proximal:>8.1f}"
              f"{1e6 * threshold:>11.1f}{proximal / step:>11.2f}{threshold / copy:>11.2f}")
    print()


def _mlp(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(784, 100), nn.ReLU(), nn.Linear(100, 10))


def mlp_table(toolkits, rounds):
    """Training steps of a 784-100-10 MLP, what the toolkit adds, and a global budget."""
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(64, 784, generator=generator)
    y = torch.randint(0, 10, (64,), generator=generator)

    def trainer(model):
        """One training step of ``model`` (forward, backward, Adam), and its optimizer."""
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

        def train_step():
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            optimizer.step()
        return train_step, optimizer

    functions = {"plain": trainer(_mlp())[0]}
    prox_model = _mlp()
    prox_step, prox_optimizer = trainer(prox_model)
    prox = ProximalL1(prox_optimizer, alpha=1e-3)
    prox.on_train_begin(prox_model)
    prox_step()  # Adam's state, for the proximal step's threshold
    functions["prox"] = lambda: prox.on_step_end(prox_model)
    for name, toolkit in toolkits:
        model = _mlp()
        attached = toolkit.constrain(model[0], "weight", CONSTRAINT)
        attached.constraint = attached.constraint.with_level(attached.radius_for_groups(392))
        attached.project().freeze()
        train_step, optimizer = trainer(model)
        train_step()
        weight = model[0].weight.detach()
        after_step = weight.clone()  # outside the ball again, as ProjectEvery finds it

        def restore(weight=weight, after_step=after_step):
            weight.copy_(after_step)

        functions.update({
            (name, "step"): train_step,
            (name, "hook"): lambda hook=toolkit._after_optimizer_step,
            optimizer=optimizer: hook(optimizer, (), {}),
            (name, "restore"): restore,
            (name, "project"): lambda restore=restore, attached=attached: (
                restore(), attached.project()),
        })
        budget_model = _mlp()
        members = [toolkit.constrain(budget_model[0], "weight", CONSTRAINT),
                   toolkit.constrain(budget_model[2], "weight", CONSTRAINT)]
        budget = toolkit.GlobalConstraint(members, n_groups=(784 + 100) // 2)
        starts = [member.param.detach().clone() for member in members]
        matrices = [member.matrix()[0].clone() for member in members]
        bare_constraints = [member.constraint.with_level(level)
                            for member, level in zip(members, budget.member_levels())]

        def restore_members(members=members, starts=starts):
            for member, start in zip(members, starts):
                member.param.detach().copy_(start)

        def global_project(restore=restore_members, budget=budget):
            restore()
            budget.project()

        def bare_members(matrices=matrices, starts=starts, constraints=bare_constraints):
            for matrix, start, constraint in zip(matrices, starts, constraints):
                matrix.copy_(start)
                constraint.project(matrix, out=matrix)

        # (the same budget as a global radius: its threshold by the l1 ball's
        # kernel where the members' radii sum their breakpoints' excesses)
        radius_budget = toolkit.GlobalConstraint(
            members, eta=float(sum(constraint.level for constraint in bare_constraints)))

        def radius_project(restore=restore_members, budget=radius_budget):
            restore()
            budget.project()

        # (the levels from the weights as they were before the projection,
        # restored first: on projected weights the radius is already met)
        functions.update({(name, "restore members"): restore_members,
                          (name, "global"): global_project,
                          (name, "levels"): lambda restore=restore_members, budget=budget: (
                              restore(), budget.member_levels()),
                          (name, "global radius"): radius_project,
                          (name, "radius levels"): lambda restore=restore_members,
                          budget=radius_budget: (restore(), budget.member_levels()),
                          (name, "bare members"): bare_members})
    times = dict(zip(functions, (1e6 * t for t in best_times(list(functions.values()),
                                                             rounds=rounds))))
    plain = times["plain"]
    print(f"MLP 784-100-10, batch 64, Adam, half of the inputs masked; microseconds; "
          f"{conditions()}")
    print(f"  training step {plain:.1f}; ProximalL1.on_step_end {times['prox']:.1f} "
          f"({times['prox'] / plain:.1%})")
    for name, _ in toolkits:
        hook = times[name, "hook"]
        project = times[name, "project"] - times[name, "restore"]
        print(f"  {name:<10} hook {hook:.1f} ({hook / plain:.1%} of the step), project() "
              f"after a step {project:.1f} ({project / plain:.1%}); the whole step with the "
              f"mask {times[name, 'step']:.1f}")
    for label, global_key, levels_key in (("n_groups=442", "global", "levels"),
                                          ("eta=, the same radii", "global radius",
                                           "radius levels")):
        print(f"GlobalConstraint({label}) over the MLP's two weights, microseconds")
        for name, _ in toolkits:
            projected = times[name, global_key] - times[name, "restore members"]
            bare = times[name, "bare members"] - times[name, "restore members"]
            levels = times[name, levels_key] - times[name, "restore members"]
            print(f"  {name:<10} project() {projected:.1f}, of which member_levels() "
                  f"{levels:.1f}; the members' bare projections {bare:.1f}; "
                  f"ratio {projected / bare:.2f}")
    print()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one round of measurements")
    _timing.add_clock_option(parser)
    parser.add_argument("--baseline", metavar="REV",
                        help="also time skproj/nn/_prune.py of this git revision")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    rounds = 1 if args.quick else 3
    toolkits = [("current", _prune)]
    if args.baseline:
        toolkits.insert(0, (args.baseline, load_baseline(args.baseline)))
    print(f"skproj from {os.path.dirname(_prune.__file__)}; torch {torch.__version__}, "
          f"{torch.get_num_threads()} thread")
    layer_table(toolkits, rounds)
    proximal_table(rounds)
    mlp_table(toolkits, rounds)
    print(conditions())


if __name__ == "__main__":
    main()
