"""
=====================================================================
Mackey–Glass: a network with a prescribed number of non-zero weights
=====================================================================

The regression experiment of Shen, Wang, Xu and Yan (2024) on skproj's code.
The chaotic Mackey–Glass series is generated from its delay differential
equation with :math:`\\tau = 17` (:func:`skproj.datasets.make_mackey_glass`);
six past values :math:`x(t-30), x(t-24), \\dots, x(t)` predict
:math:`x(t+6)`.  The network is the paper's 6-128-128-64-1 ReLU MLP, 25,408
weights.

:class:`~skproj.neural_network.SparseMLPRegressor` trains it with an
:math:`\\ell_1` penalty by proximal steps and chooses the penalty so that the
trained network keeps ``target_nonzeros`` weights:

- one :math:`\\alpha` for the whole network (``target_nonzeros=2000``): the
  penalty decides where the weights go;
- one :math:`\\alpha` per layer (``target_nonzeros=[...]``, one count per
  weight matrix): here every layer keeps the same share of its weights.

The test error is plotted against the number of non-zero weights, beside the
dense network.  Training is short so that the example runs in about half a
minute (fewer samples and epochs than ``benchmarks/bench_l1_sparsity.py``,
which runs the full comparison with magnitude pruning and the
:math:`\\ell_1`-ball projection).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.preprocessing import StandardScaler

from skproj.datasets import make_mackey_glass
from skproj.neural_network import SparseMLPRegressor

torch.manual_seed(0)
X, y = make_mackey_glass(1000)
X_train, y_train, X_test, y_test = X[:500], y[:500], X[500:], y[500:]  # the future is the test
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

# Short trainings, so that the example runs in about half a minute: 60 epochs
# per trial and 60 of fine-tuning, all run on all the training samples.  The
# default fine-tunes up to 800 epochs and stops early on a tenth of the
# samples set aside (``early_stopping``), what the benchmark measures.
settings = dict(hidden_layer_sizes=(128, 128, 64), n_epochs=60, n_finetune_epochs=60,
                early_stopping=False, random_state=0)


def test_mse(model):
    return float(np.mean((model.predict(X_test) - y_test) ** 2))


dense = SparseMLPRegressor(None, **{**settings, "n_epochs": 120}).fit(X_train, y_train)
n_weights = dense.n_weights_
print(f"dense: {n_weights.sum()} weights {n_weights.tolist()}, test MSE {test_mse(dense):.2e}")

# %%
# One penalty for the network, then one per layer (each layer keeps the same
# share of its weights).
targets = [1000, 2000, 6000]
curves = {"one α": [], "one α per layer": []}
for target in targets:
    model = SparseMLPRegressor(target, **settings).fit(X_train, y_train)
    curves["one α"].append((model.n_nonzeros_.sum(), test_mse(model)))
    print(f"one alpha, target {target}: {model.n_trials_} trials, non-zeros per layer "
          f"{model.n_nonzeros_.tolist()}, test MSE {curves['one α'][-1][1]:.2e}")

    per_layer = np.maximum(np.round(target / n_weights.sum() * n_weights), 1).astype(int)
    model = SparseMLPRegressor(per_layer, **settings).fit(X_train, y_train)
    curves["one α per layer"].append((model.n_nonzeros_.sum(), test_mse(model)))
    print(f"per layer, target {per_layer.tolist()}: {model.n_trials_} trials, "
          f"reached {model.target_reached_}, test MSE {curves['one α per layer'][-1][1]:.2e}")

# %%
# A single penalty leaves most of the weights in the two large hidden matrices
# and few in the input and output layers; the per-layer targets force the
# same share everywhere, and keep only a handful of the 768 input weights and
# the 64 output weights.  That allocation is what costs the per-layer curve its
# accuracy: in ``benchmarks/bench_l1_sparsity.py``, per-layer targets equal to
# the layers' counts after magnitude pruning of the dense network (about 600,
# 1,070, 310 and 20 of 2,000) do as well as one penalty.
fig, ax = plt.subplots(figsize=(6, 4))
for label, points in curves.items():
    counts, errors = zip(*points)
    ax.plot(counts, errors, "o-", label=label)
ax.axhline(test_mse(dense), color="k", ls="--", label=f"dense ({n_weights.sum()} weights)")
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("non-zero weights")
ax.set_ylabel("test MSE")
ax.set_title("Mackey–Glass, 6-128-128-64-1 ReLU network")
ax.legend()
fig.tight_layout()
plt.show()
