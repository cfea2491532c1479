"""Mackey–Glass with 2,000 of 25,408 weights: l1 with a target against pruning baselines.

The experiment of Shen, Wang, Xu and Yan (arXiv:2408.02801) on our code: the
series from the delay equation with tau = 17 (``make_mackey_glass``: inputs
x(t-30), x(t-24), ..., x(t), target x(t+6)), the first 1000 samples to train,
the next 1000 to test, a 6-128-128-64-1 ReLU network (25,408 weights), Adam
(lr 1e-3, batches of 64).  Rows:

- dense: ``D`` epochs, no penalty;
- l1 one alpha / per layer (:class:`SparseMLPRegressor`, target 2,000 within
  5 %): every trial ``E`` epochs from the same initialization, then ``F``
  epochs of fine-tuning with the zeros frozen; the per-layer target gives
  each layer 7.9 % of its weights (the global share), the allocation that a
  single alpha does not choose;
- l1, the authors' rule: the next alpha is the median of the in-bracket
  gradient magnitudes (``rule="gradient"``);
- l1 with warm starts (:func:`skproj.nn.fit_to_nonzeros`, ``warm_start=True``):
  trials start from the nearest earlier trial that was too dense;
- magnitude pruning: the dense network, its 2,000 largest weights kept, ``F``
  epochs of fine-tuning;
- l1-ball projection: the dense network projected onto the l1 ball (all
  weight matrices as one vector) at the radius that leaves 2,000 weights,
  ``P`` epochs of projected Adam at that radius (the constraint form of the
  same Laplace prior), the 2,000 largest kept, ``F`` epochs of fine-tuning.

The epochs column counts everything a row trained (dense pre-training
included).  Run under ``flock /tmp/skproj-heavy.lock``; prints the table and
the machine load.

Usage: python benchmarks/bench_l1_sparsity.py [--seeds 0 1] [--quick]
"""

import argparse
import copy
import os
import time
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from skproj.datasets import make_mackey_glass
from skproj.neural_network import SparseMLPRegressor
from skproj.nn import (
    Callback,
    ProximalL1,
    count_nonzeros,
    fit_to_nonzeros,
    freeze_zeros,
    l1_weights,
    run_epochs,
)
from skproj.projections import project_l1_ball

TARGET = 2000
HIDDEN = (128, 128, 64)


def data():
    X, y = make_mackey_glass(2000)
    scaler = StandardScaler().fit(X[:1000])
    return scaler.transform(X[:1000]), y[:1000], scaler.transform(X[1000:]), y[1000:]


def with_network(model, network):
    """A copy of the fitted ``model`` that predicts with ``network``."""
    other = copy.copy(model)
    other.network_ = network.eval()
    return other


class Trainer:
    """Adam epochs on the standardized targets of a fitted regressor (the baselines)."""

    def __init__(self, model, X, y, seed):
        self.X = torch.tensor(X, dtype=torch.float32)
        self.y = torch.tensor((y[:, None] - model.y_mean_) / model.y_scale_, dtype=torch.float32)
        self.seed = seed

    def loss(self, network):
        return torch.nn.functional.mse_loss(network(self.X), self.y)

    def epochs(self, network, n_epochs, callbacks=None):
        optimizer = torch.optim.Adam(network.parameters(), lr=1e-3)
        if callable(callbacks):
            callbacks = callbacks(optimizer)
        run_epochs(network, optimizer, torch.nn.functional.mse_loss, self.X, self.y,
                   n_epochs=n_epochs, batch_size=64,
                   generator=torch.Generator().manual_seed(self.seed), callbacks=callbacks)

    def finetune(self, network, n_epochs):
        masks = freeze_zeros(network)
        self.epochs(network, n_epochs)
        for mask in masks:
            mask.remove()
        return network


def keep_largest_(network, n_keep):
    """Zero all but the ``n_keep`` largest-magnitude weights (over all matrices)."""
    weights = l1_weights(network)
    magnitudes = torch.cat([w.detach().abs().flatten() for w in weights])
    if int((magnitudes > 0).sum()) <= n_keep:
        return network
    threshold = magnitudes.kthvalue(magnitudes.numel() - n_keep).values
    with torch.no_grad():
        for w in weights:
            w.mul_(w.abs() > threshold)
    return network


class ProjectWeights(Callback):
    """Project all the weight matrices, as one vector, onto the l1 ball after each step."""

    def __init__(self, radius):
        self.radius = radius

    def on_train_begin(self, module):
        self.on_step_end(module)

    def on_step_end(self, module):
        weights = l1_weights(module)
        with torch.no_grad():
            flat = torch.cat([w.flatten() for w in weights])
            projected = project_l1_ball(flat, self.radius)
            begin = 0
            for w in weights:
                w.copy_(projected[begin:begin + w.numel()].view_as(w))
                begin += w.numel()


def radius_leaving(network, n_keep):
    """The l1 radius whose projection of the current weights keeps ``n_keep`` of them."""
    magnitudes = torch.cat([w.detach().abs().flatten() for w in l1_weights(network)]).double()
    threshold = magnitudes.sort(descending=True).values[n_keep]
    return float((magnitudes - threshold).clamp(min=0).sum())


def run(seed, epochs):
    D, E, F, P = epochs
    X, y, X_test, y_test = data()
    rows = []

    def add(name, model, n_trials, n_epochs, start, reached=True):
        mse = float(np.mean((model.predict(X_test) - y_test) ** 2))
        rows.append(dict(method=name, trials=n_trials, epochs=n_epochs, reached=reached,
                         nonzeros=int(count_nonzeros(model.network_).sum()), mse=mse,
                         seconds=time.perf_counter() - start))

    common = dict(hidden_layer_sizes=HIDDEN, learning_rate=1e-3, batch_size=64,
                  random_state=seed)
    start = time.perf_counter()
    dense = SparseMLPRegressor(None, n_epochs=D, **common).fit(X, y)
    add("dense", dense, 0, D, start)
    dense_seconds = rows[-1]["seconds"]

    for name, extra in (("l1 one alpha (secant)", {}),
                        ("l1 one alpha (authors' gradient rule)", {"rule": "gradient"}),
                        ("l1 per layer (secant)", {"per_layer": True})):
        target = TARGET
        if extra.pop("per_layer", False):
            share = TARGET / dense.n_weights_.sum()
            target = np.maximum(np.round(share * dense.n_weights_), 1).astype(int)
            target[1] += TARGET - target.sum()  # exactly 2,000 in all
        start = time.perf_counter()
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always", ConvergenceWarning)
            model = SparseMLPRegressor(target, n_epochs=E, n_finetune_epochs=F, **common,
                                       **extra).fit(X, y)
        add(name, model, model.n_trials_, model.n_epochs_total_, start, model.target_reached_)

    trainer = Trainer(dense, X, y, seed)

    # l1 with warm starts, through the driver (same initialization as the estimators)
    start = time.perf_counter()
    initial = initial_network(dense, seed)

    def train(network, alpha):
        trainer.epochs(network, E, lambda optimizer: ProximalL1(optimizer, alpha))

    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always", ConvergenceWarning)
        result = fit_to_nonzeros(initial, train, trainer.loss, TARGET, warm_start=True)
    network = trainer.finetune(result.network, F)
    add("l1 one alpha, warm starts", with_network(dense, network), len(result.trials),
        E * len(result.trials) + F, start, result.reached)

    start = time.perf_counter()
    pruned = trainer.finetune(keep_largest_(copy.deepcopy(dense.network_), TARGET), F)
    add("magnitude pruning + fine-tuning", with_network(dense, pruned), 1, D + F, start)
    rows[-1]["seconds"] += dense_seconds

    start = time.perf_counter()
    projected = copy.deepcopy(dense.network_)
    trainer.epochs(projected, P, ProjectWeights(radius_leaving(projected, TARGET)))
    projected = trainer.finetune(keep_largest_(projected, TARGET), F)
    add("l1-ball projection + fine-tuning", with_network(dense, projected), 1, D + P + F, start)
    rows[-1]["seconds"] += dense_seconds
    return rows


def initial_network(model, seed):
    """The network :class:`SparseMLPRegressor` initializes for ``random_state=seed``."""
    from skproj.nn._modules import mlp, reinitialize

    drawn = np.random.RandomState(seed).randint(np.iinfo(np.int32).max)
    network = mlp(model._layer_sizes, model.activation).to_empty(device="cpu")
    return reinitialize(network, torch.Generator().manual_seed(int(drawn)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--quick", action="store_true", help="a few epochs (smoke test)")
    args = parser.parse_args()
    epochs = (20, 10, 10, 10) if args.quick else (400, 200, 200, 200)
    torch.set_num_threads(1)  # the estimators use one thread for networks this small
    torch.set_flush_denormal(True)
    print(f"load before: {os.getloadavg()}")
    print(f"epochs: dense {epochs[0]}, per l1 trial {epochs[1]}, fine-tuning {epochs[2]}, "
          f"projected {epochs[3]}; target {TARGET} of 25408 weights within 5 %")
    table = {}
    for seed in args.seeds:
        for row in run(seed, epochs):
            table.setdefault(row["method"], []).append(row)
    dense_mse = np.mean([r["mse"] for r in table["dense"]])
    print(f"\n{'method':40s} {'trials':>7s} {'epochs':>7s} {'reached':>8s} {'non-zeros':>10s} "
          f"{'test MSE':>10s} {'/ dense':>8s} {'seconds':>8s}")
    for method, rows in table.items():
        mean = {key: np.mean([r[key] for r in rows]) for key in
                ("trials", "epochs", "nonzeros", "mse", "seconds")}
        reached = sum(r["reached"] for r in rows)
        print(f"{method:40s} {mean['trials']:7.1f} {mean['epochs']:7.0f} "
              f"{reached:>4d}/{len(rows):<3d} {mean['nonzeros']:10.0f} {mean['mse']:10.2e} "
              f"{mean['mse'] / dense_mse:8.2f} {mean['seconds']:8.1f}")
    print(f"\nmeans over seeds {args.seeds}; load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
