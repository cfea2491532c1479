"""
Pruning convolution filters to a target sparsity with GSP
=========================================================

The group sparse projection (GSP) prunes a layer by projecting its filters
(one group per output channel) to a target *average* Hoyer sparsity: each
filter keeps as many weights as it needs while the layer as a whole reaches
the target. Through :mod:`skproj.nn` it is a
:class:`~skproj.projections.GroupHoyer` constraint attached to the layer's
weight with ``groups="outputs"``, and the two schemes of the paper are two
schedules:

- *induced GSP*: train with a projection every few steps
  (:class:`~skproj.nn.ProjectEvery`), then fine-tune with the zeros frozen;
- *single-shot GSP*: train densely, project once and freeze the zeros
  (:class:`~skproj.nn.ProjectThenFreeze`), then fine-tune.

A small CNN on scikit-learn's 8x8 digits, both convolution layers pruned.
Fine-tuning changes the kept weights (only the zeros are frozen), so the
filters' sparsity after it drifts a little from the target.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

from skproj.nn import ProjectEvery, ProjectThenFreeze, constrain
from skproj.projections import hoyer_sparsity

torch.set_num_threads(1)
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X / 16.0, y, test_size=0.3, stratify=y,
                                                    random_state=0)
X_train = torch.tensor(X_train, dtype=torch.float32).reshape(-1, 1, 8, 8)
X_test = torch.tensor(X_test, dtype=torch.float32).reshape(-1, 1, 8, 8)
y_train, y_test = torch.tensor(y_train), torch.tensor(y_test)


def network():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
                         nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(16 * 16, 10))


def train(model, n_epochs, callbacks=()):
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(n_epochs):
        for batch in torch.randperm(len(X_train)).split(64):
            loss = nn.functional.cross_entropy(model(X_train[batch]), y_train[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            for callback in callbacks:
                callback.on_step_end(model)
        for callback in callbacks:
            callback.on_epoch_end(model)


def accuracy(model):
    with torch.no_grad():
        return float((model(X_test).argmax(1) == y_test).float().mean())


def filters_of(model, sparsity):
    return [constrain(model[i], "weight", "group_hoyer", eta=sparsity, groups="outputs")
            for i in (0, 2)]


def zero_share(model):
    weights = [model[i].weight for i in (0, 2)]
    return sum(int((w == 0).sum()) for w in weights) / sum(w.numel() for w in weights)


dense = network()
train(dense, 12)
print(f"dense: accuracy {accuracy(dense):.3f}")

targets = [0.5, 0.7, 0.8, 0.9]
results = {"induced": [], "single-shot": []}
for target in targets:
    # Induced GSP: project every 20 steps while training, then freeze and fine-tune.
    model = network()
    filters = filters_of(model, target)
    train(model, 12, [ProjectEvery(filters, every=20)])
    for attached in filters:
        attached.project().freeze()
    train(model, 4)
    results["induced"].append((accuracy(model), zero_share(model)))
    # Single-shot GSP: the dense network projected once, frozen, fine-tuned.
    model = network()
    model.load_state_dict(dense.state_dict())
    filters = filters_of(model, target)
    ProjectThenFreeze(filters, at_epoch=1).on_epoch_end(model)
    train(model, 4)
    results["single-shot"].append((accuracy(model), zero_share(model)))
    weight = model[2].weight.detach().reshape(16, -1).numpy()
    print(f"target {target}: second layer's filters after fine-tuning {hoyer_sparsity(weight, axis=1)[1]:.3f}; "
          + ", ".join(f"{name} accuracy {r[-1][0]:.3f} with {r[-1][1]:.0%} zero weights"
                      for name, r in results.items()))

# %%
# Accuracy against the share of pruned convolution weights.
fig, ax = plt.subplots(figsize=(5, 3.4))
for name, rows in results.items():
    accuracies, zeros = np.array(rows).T
    ax.plot(100 * zeros, accuracies, "o-", label=name)
ax.axhline(accuracy(dense), color="k", linestyle="--", label="dense")
ax.set_xlabel("zero weights in the convolutions (%)")
ax.set_ylabel("test accuracy")
ax.legend()
fig.tight_layout()
plt.show()
