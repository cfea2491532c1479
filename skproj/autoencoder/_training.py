"""How the supervised autoencoder is trained: a composition of :mod:`skproj.nn` pieces.

The first layer's weight carries a constraint (:func:`skproj.nn.constrain`,
groups = input-feature columns); :class:`~skproj.nn.ShrinkingRounds` decides
the radius of each selection round, the masks keep the removed features at
zero whatever the optimizer does, and :class:`~skproj.nn.ProjectEvery`
projects after every step in the ``"projected"`` scheme.  This module only
runs epochs and strings the phases together; it holds no projection code.

Once a round has removed features, the next rounds and the retraining run
on a copy of the network whose first layer reads only the surviving columns
(:class:`Narrowed`): the removed columns are zero, so they add nothing to
the outputs and their updates are undone by the mask; multiplying them cost
a third of a fit on pbmc68k.

Imported only inside ``fit`` (it imports torch).
"""

import copy
import time
from contextlib import contextmanager

import numpy as np
import scipy.sparse as sp
import torch

from skproj import _subclasses
from skproj.autoencoder._network import SupervisedAutoencoder, build_network, reinitialize
from skproj.nn import Callback, ProjectEvery, ShrinkingRounds, constrain
from skproj.nn._loop import batch_rows

# Selection passes against re-estimated sub-classes when n_subclasses > 1.
MAX_SUBCLASS_PASSES = 3


class Clock:
    """Seconds spent in projections (synchronizing CUDA around each measure)."""

    def __init__(self, device):
        self.device = device
        self.total = 0.0

    @contextmanager
    def measure(self):
        if self.device != "cpu":
            torch.cuda.synchronize()
        start = time.perf_counter()
        yield
        if self.device != "cpu":
            torch.cuda.synchronize()
        self.total += time.perf_counter() - start


class _Timed(Callback):
    """A schedule whose step hooks count as projection time."""

    def __init__(self, schedule, clock):
        self.schedule, self.clock = schedule, clock

    def on_step_end(self, module):
        with self.clock.measure():
            self.schedule.on_step_end(module)


class EpochRunner:
    """Mini-batch Adam epochs of a network against class targets.

    Parameters
    ----------
    X : ndarray (float32) or scipy.sparse matrix
        The samples; a sparse ``X`` is densified one mini-batch at a time.
    device : str
    generator : torch.Generator
        Draws the mini-batch order (and the initializations, elsewhere).
    batch_size : int
    reconstruction_weight : float
    record : callable
        ``record(weight, phase, round_, epoch, means, correct, n_samples)``
        appends an entry to the estimator's history.
    """

    def __init__(self, X, device, generator, batch_size, reconstruction_weight, record):
        self.X = X.tocsr() if sp.issparse(X) else torch.tensor(X, device=device)
        self.n_samples = X.shape[0]
        self.device = device
        self.generator = generator
        self.batch_size = batch_size
        self.reconstruction_weight = reconstruction_weight
        self.record = record

    def _means(self, losses, sizes):
        """Mean loss, cross-entropy and reconstruction of an epoch (per-step means weighted)."""
        cross_entropy, reconstruction = (sizes @ torch.stack(losses).double()) / self.n_samples
        return torch.stack((cross_entropy + self.reconstruction_weight * reconstruction,
                            cross_entropy, reconstruction))

    def run(self, network, targets, n_epochs, lr, phase, round_, callbacks=()):
        """Train ``n_epochs`` epochs with a fresh Adam optimizer; callbacks after each step.

        A :class:`Narrowed` network reads only its columns of ``X`` and is
        trained to reconstruct all of them.
        """
        columns = getattr(network, "columns", None)
        if columns is None:
            inputs = self.X
        else:  # the columns read, copied once per call
            inputs = self.X[:, columns if torch.is_tensor(self.X) else columns.cpu().numpy()]
        # The fused kernel updates all the parameters in one call: about a
        # fifth less time per step than the per-tensor loop for these networks.
        optimizer = torch.optim.Adam(network.parameters(), lr=lr, fused=True)
        functional = torch.nn.functional
        starts = range(0, self.n_samples, self.batch_size)
        sizes = torch.tensor([min(self.batch_size, self.n_samples - begin) for begin in starts],
                             device=self.device, dtype=torch.float64)
        for epoch in range(n_epochs):
            network.train()
            order = torch.randperm(self.n_samples, generator=self.generator).to(self.device)
            # the epoch's statistics are gathered in one op per step and summed
            # once per epoch (the steps of small networks cost little more)
            losses, hits = [], []
            for begin in starts:
                index = order[begin:begin + self.batch_size]
                # a sparse X's rows come in its dtype: the network is float32
                xb, yb = batch_rows(self.X, index, self.device).float(), targets[index]
                code, recon = network(xb if columns is None else
                                      batch_rows(inputs, index, self.device).float())
                cross_entropy = functional.cross_entropy(code, yb)
                reconstruction = functional.smooth_l1_loss(recon, xb)
                loss = cross_entropy + self.reconstruction_weight * reconstruction
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()  # the first layer's mask is re-applied by skproj.nn
                for callback in callbacks:
                    callback.on_step_end(network)
                losses.append(torch.stack((cross_entropy.detach(), reconstruction.detach())))
                hits.append((code.detach().argmax(1) == yb).sum())
            self.record(network.first_layer.weight, phase, round_, epoch,
                        self._means(losses, sizes), torch.stack(hits).sum(), self.n_samples)


class Narrowed(SupervisedAutoencoder):
    """The autoencoder with a first layer that reads only ``columns`` of the input.

    Every other module (and the first layer's bias) is the full network's
    own, shared; the first layer's weight is a copy of its ``columns``,
    written back by :meth:`write_back`.  Used while the other columns of the
    full first layer are masked to zero, so both compute the same function
    and get the same updates (PyTorch's initialization of the full network
    is kept: the full network is what gets re-drawn).
    """

    def __init__(self, network, columns):
        torch.nn.Module.__init__(self)  # the layers are the full network's, not new ones
        full = network.first_layer
        self.network, self.columns = [network], columns  # a list: not a submodule
        # built on "meta": no draw from torch's global generator
        first = torch.nn.Linear(len(columns), full.out_features, device="meta")
        first.weight = torch.nn.Parameter(full.weight.detach()[:, columns].clone())
        first.bias = full.bias
        self.encoder = torch.nn.Sequential(first, *network.encoder[1:])
        self.decoder = network.decoder

    def write_back(self):
        """Copy the trained first layer's columns into the full network."""
        with torch.no_grad():
            self.network[0].first_layer.weight[:, self.columns] = self.first_layer.weight


def run_on_support(runner, network, attached, *args, **kwargs):
    """``runner.run`` on the columns of ``network``'s first layer that ``attached`` keeps."""
    columns = torch.nonzero(attached.support()).flatten()
    if len(columns) == network.first_layer.weight.shape[1]:
        return runner.run(network, *args, **kwargs)
    narrowed = Narrowed(network, columns)
    runner.run(narrowed, *args, **kwargs)
    narrowed.write_back()


def fresh_network(config, device, generator, constraint):
    """A new network whose first layer carries ``constraint`` (None: dense)."""
    network = build_network(config, device, generator)
    attached = None if constraint is None else constrain(network.first_layer, "weight",
                                                         constraint, groups="inputs")
    return network, attached


def restart(network, attached, generator):
    """Draw the weights again; the removed features stay removed (the mask)."""
    reinitialize(network, generator)
    attached.apply_mask()


def select_rounds(runner, network, attached, targets, settings, first_round, clock):
    """Selection rounds from all features, each ending in a projection and a freeze.

    Returns the next round's number and the kept columns (a bool tensor).
    """
    rounds = ShrinkingRounds(attached, keep=settings["keep"],
                             n_rounds=settings["n_rounds"],
                             n_groups=settings["n_features"])
    round_ = first_round
    while not rounds.finished:
        if round_ > first_round and settings["reinitialize"]:
            restart(network, attached, runner.generator)
        run_on_support(runner, network, attached, targets, settings["epochs"][0],
                       settings["rates"][0], "select", round_)
        with clock.measure():
            rounds.end_round()
        round_ += 1
    return round_, attached.support()


def select_with_subclasses(runner, X, y, n_classes, config, constraint, settings, round_,
                           support, clock):
    """Selection passes against sub-class labels (mixture discriminant targets).

    Every class is split into ``n_subclasses`` Gaussian clusters; a new pass
    of selection rounds, from all features, trains networks whose latent code
    has one unit per sub-class.  Stops when the sub-classes no longer change,
    after at most :data:`MAX_SUBCLASS_PASSES` passes.
    """
    n_subclasses = settings["n_subclasses"]
    sub_config = {**config, "n_latent": n_classes * n_subclasses}
    subclasses = None
    for _ in range(MAX_SUBCLASS_PASSES):
        if subclasses is None:
            new = _subclasses.subclasses_at_sparsity(X, y, n_classes, n_subclasses,
                                                     int(support.sum()))
        else:
            new = _subclasses.assign_subclasses(X, y, n_classes, n_subclasses,
                                                support.cpu().numpy(), previous=subclasses)
            if np.array_equal(new, subclasses):
                break
        subclasses = new
        targets = torch.as_tensor(subclasses, dtype=torch.long, device=runner.device)
        network, attached = fresh_network(sub_config, runner.device, runner.generator,
                                          constraint)
        round_, support = select_rounds(runner, network, attached, targets, settings, round_,
                                        clock)
    return round_, support


def train(runner, X, y, n_classes, config, constraint, settings, clock):
    """Train the autoencoder by ``settings["training"]``; returns the plain trained network.

    The constraint's bookkeeping is removed at the end (the pruning is
    permanent), so the network pickles as a plain module.
    """
    y_t = torch.as_tensor(y, dtype=torch.long, device=runner.device)
    network, attached = fresh_network(config, runner.device, runner.generator, constraint)
    epochs, rates = settings["epochs"], settings["rates"]
    if attached is None:
        runner.run(network, y_t, epochs[1], rates[1], "dense", 0)
    elif settings["training"] == "projected":
        every_step = [_Timed(ProjectEvery(attached, every=1), clock)]
        with clock.measure():
            attached.project()
        runner.run(network, y_t, epochs[0], rates[0], "select", 0, every_step)
        attached.freeze()
        runner.run(network, y_t, epochs[1], rates[1], "retrain", 0, every_step)
    else:
        round_, support = select_rounds(runner, network, attached, y_t, settings, 0, clock)
        if settings["n_subclasses"] > 1:
            round_, support = select_with_subclasses(runner, X, y, n_classes, config,
                                                     constraint, settings, round_, support,
                                                     clock)
            network, attached = fresh_network(config, runner.device, runner.generator,
                                              constraint)
            attached.mask.copy_(attached.group_mask(support))
            attached.apply_mask()
        elif settings["reinitialize"]:
            restart(network, attached, runner.generator)
        run_on_support(runner, network, attached, y_t, epochs[1], rates[1], "retrain", round_)
    if attached is not None:
        attached.remove()
    network.eval()
    return network


# Samples and permutations of the permutation importances (bounded cost).
PERMUTATION_SAMPLES = 2000
PERMUTATION_REPEATS = 5


def permutation_importances(network, X, y, selected, seed):
    """Mean increase of the cross-entropy when each selected feature is permuted.

    The first layer is linear, so permuting feature j changes its output by
    ``(x_perm - x) w_j``: the rest of the encoder is evaluated on that update
    of the first layer's output, computed once, so a permutation costs
    O(samples x hidden units), not a pass over all the features.
    """
    importances = np.zeros(X.shape[1])
    if len(selected) == 0:
        return importances
    rng = np.random.default_rng(seed)
    rows = (rng.choice(X.shape[0], PERMUTATION_SAMPLES, replace=False)
            if X.shape[0] > PERMUTATION_SAMPLES else np.arange(X.shape[0]))
    X_rows = X[rows]
    # Only the selected columns are densified: the first layer's output comes
    # from a (sparse) product, and a permutation reads one column.
    columns = X_rows[:, selected]
    columns = columns.toarray() if sp.issparse(columns) else np.asarray(columns)
    first, rest = network.encoder[0], network.encoder[1:]
    with torch.no_grad():
        weight = first.weight.detach().double().cpu()
        inputs = torch.as_tensor(columns, dtype=torch.float64)
        hidden = (torch.as_tensor(np.asarray(X_rows @ weight.numpy().T, dtype=np.float64))
                  + first.bias.detach().double().cpu())
        targets = torch.as_tensor(y[rows], dtype=torch.long)
        rest = copy.deepcopy(rest).to("cpu").double()  # the fitted network is left as is

        def loss(h):
            return float(torch.nn.functional.cross_entropy(rest(h), targets))

        base = loss(hidden)
        for position, j in enumerate(selected):
            column = inputs[:, position]
            increases = []
            for _ in range(PERMUTATION_REPEATS):
                shift = column[torch.as_tensor(rng.permutation(len(rows)))] - column
                increases.append(loss(hidden + shift[:, None] * weight[:, j][None, :]) - base)
            importances[j] = np.mean(increases)
    return importances
