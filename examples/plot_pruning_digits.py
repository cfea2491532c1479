"""
Pruning the input pixels of a network with a constraint
=======================================================

:mod:`skproj.nn` prunes any PyTorch model by projecting its weights onto a
ball of structured sparsity. Here the groups are the *input features* of an
MLP on scikit-learn's 8x8 digits: the columns of the first layer's weight,
one per pixel. A :class:`~skproj.nn.ShrinkingRounds` schedule halves the
pixels still in use at the end of every few epochs (each round projects at
the radius that keeps half of them, the last one at the radius that keeps
the target), the masks keep the removed pixels at zero while the network
trains on, and :func:`~skproj.nn.shrink` finally builds the smaller network
that reads only the kept pixels.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler
from torch import nn

from skproj.nn import ShrinkingRounds, constrain, format_report, shrink, sparsity_report

torch.manual_seed(0)
X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                    random_state=0)
scaler = StandardScaler().fit(X_train)
X_train = torch.tensor(scaler.transform(X_train), dtype=torch.float32)
X_test = torch.tensor(scaler.transform(X_test), dtype=torch.float32)
y_train, y_test = torch.tensor(y_train), torch.tensor(y_test)


def train(model, n_epochs, callbacks=()):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for _ in range(n_epochs):
        for batch in torch.randperm(len(X_train)).split(64):
            loss = nn.functional.cross_entropy(model(X_train[batch]), y_train[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()  # the masks are re-applied after every step
        for callback in callbacks:
            callback.on_epoch_end(model)


def test_accuracy(model):
    with torch.no_grad():
        return float((model(X_test).argmax(1) == y_test).float().mean())


# %%
# Keep 12 of the 64 pixels: three rounds of halving (64 -> 32 -> 16), the
# last one at the radius that keeps 12, four epochs each, then fine-tuning.
model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
pixels = constrain(model[0], "weight", "bilevel_l1inf", groups="inputs")
rounds = ShrinkingRounds(pixels, n_groups=12, n_rounds=3, epochs_per_round=4)
train(model, 12, [rounds])
train(model, 10)
print(f"rounds: {rounds.n_rounds}, pixels kept: {int(pixels.support().sum())}")
print(f"test accuracy with 12 of 64 pixels: {test_accuracy(model):.3f}")
print(format_report(sparsity_report(model)))

# %%
# The smaller network reads only the kept pixels and computes the same outputs.
small, kept = shrink(model.eval())
with torch.no_grad():
    same = torch.allclose(small(X_test[:, kept]), model(X_test), atol=1e-5)
print(f"shrunk first layer: {tuple(small[0].weight.shape)}, same outputs: {same}")

# %%
# Which pixels the network reads, and how strongly (the group norms).
importance = pixels.group_norms().numpy().reshape(8, 8)
fig, axes = plt.subplots(1, 2, figsize=(7, 3.2))
axes[0].imshow(X_train[:200].mean(0).reshape(8, 8).numpy(), cmap="gray")
axes[0].set_title("mean standardized digit")
image = axes[1].imshow(np.where(importance > 0, importance, np.nan), cmap="viridis")
axes[1].set_title("kept pixels (max |weight|)")
for ax in axes:
    ax.set_xticks([])
    ax.set_yticks([])
fig.colorbar(image, ax=axes[1], shrink=0.8)
plt.show()
