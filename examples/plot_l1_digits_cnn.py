"""
=================================================================
A small CNN on digits with a target number of weights per layer
=================================================================

The toolkit behind :class:`~skproj.neural_network.SparseMLPClassifier` works
on any PyTorch model.  Here a small convolutional network classifies
scikit-learn's 8×8 digits, and every layer gets its own budget of non-zero
weights (the paper's Algorithm 2, one :math:`\\ell_1` penalty per layer):

- :class:`skproj.nn.ProximalL1` soft-thresholds the weights (never the
  biases) after every Adam step, in Adam's own metric;
- :func:`skproj.nn.fit_to_nonzeros` trains one network per trial and moves
  each layer's penalty until every layer keeps its target within 10 %;
- :func:`skproj.nn.freeze_zeros` keeps the zeros while the sparse network is
  fine-tuned without the penalty.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skproj.nn import (
    CallbackList,
    ClosestToTarget,
    ProximalL1,
    count_nonzeros,
    fit_to_nonzeros,
    freeze_zeros,
    run_epochs,
)

torch.set_num_threads(1)  # a network this small runs fastest on one thread
digits = load_digits()
X = torch.tensor(digits.images / 16.0, dtype=torch.float32).unsqueeze(1)  # (n, 1, 8, 8)
y = torch.tensor(digits.target)
index_train, index_test = train_test_split(np.arange(len(y)), test_size=0.3, random_state=0,
                                           stratify=digits.target)
X_train, y_train, X_test, y_test = X[index_train], y[index_train], X[index_test], y[index_test]


def cnn():
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 3, padding=1), torch.nn.ReLU(),
        torch.nn.Conv2d(8, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(16 * 4 * 4, 10))


loss = torch.nn.functional.cross_entropy


# Targets: 64 of the first convolution's 72 weights, a third of the
# second's 1,152, a quarter of the classifier's 2,560.
target = [64, 384, 640]


def train(network, alpha, n_epochs=30):
    optimizer = torch.optim.Adam(network.parameters(), lr=3e-3)
    callbacks = None
    if np.any(alpha):
        # The count flickers from epoch to epoch under proximal Adam: keep the
        # epoch, among the last half, that meets the target (or comes closest).
        callbacks = CallbackList([ProximalL1(optimizer, alpha), ClosestToTarget(
            target, tol=0.1, from_epoch=n_epochs // 2)])
    run_epochs(network, optimizer, loss, X_train, y_train, n_epochs=n_epochs, batch_size=64,
               generator=torch.Generator().manual_seed(0), callbacks=callbacks)


def accuracy(network):
    with torch.no_grad():
        return float((network.eval()(X_test).argmax(1) == y_test).float().mean())


dense = cnn()
train(dense, 0.0)
sizes = count_nonzeros(dense)
print(f"dense: weights per layer {sizes.tolist()}, test accuracy {accuracy(dense):.3f}")

# %%
# The per-layer search.  The layers' counts
# move each other (a sparser classifier passes less gradient back to the
# convolutions, and a first-layer filter that empties takes the 144 weights
# that read its channel in the second layer along), so the per-layer search
# takes more trials than one penalty, and a bracket measured under the other
# layers' old penalties goes stale (the driver then restarts that layer from
# its last trial).  Keeping most of the first layer avoids emptied filters,
# whose jumps of 144 weights no tolerance of 10 % can follow.
result = fit_to_nonzeros(cnn(), train, lambda network: loss(network(X_train), y_train),
                         target, tol=0.1, verbose=1)
sparse = result.network
print(f"after {len(result.trials)} trials: non-zeros {result.nonzeros.tolist()} "
      f"(target {target}), test accuracy {accuracy(sparse):.3f}")
masks = freeze_zeros(sparse)
train(sparse, 0.0, n_epochs=20)  # fine-tuning without the penalty, zeros frozen
for mask in masks:
    mask.remove()
print(f"fine-tuned: non-zeros {count_nonzeros(sparse).tolist()}, "
      f"test accuracy {accuracy(sparse):.3f}")

# %%
# How the penalties moved: one line per layer, the non-zeros of every trial
# against its target.
trials = np.array([t["nonzeros"] for t in result.trials])
fig, ax = plt.subplots(figsize=(6, 4))
for layer, name in enumerate(["conv 1", "conv 2", "linear"]):
    line, = ax.plot(trials[:, layer], "o-", label=name)
    ax.axhline(target[layer], color=line.get_color(), ls=":")
ax.set_yscale("log")
ax.set_xlabel("trial")
ax.set_ylabel("non-zero weights (dotted: target)")
ax.legend()
fig.tight_layout()
plt.show()
