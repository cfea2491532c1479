"""
Sparse parts of digits: SparseNMF against an l1-penalized NMF
=============================================================

:class:`~skproj.decomposition.SparseNMF` factorizes non-negative data
:math:`X \\approx WH` with the parts (the rows of ``components_``) at a
prescribed *average* Hoyer sparsity. scikit-learn's
:class:`~sklearn.decomposition.NMF` reaches sparse parts with an l1 penalty
whose weight must be searched for. Here the penalty is tuned (a few fits) to
give parts as sparse on average as SparseNMF's, and the two factorizations of
the 8x8 digits are compared at that equal sparsity: reconstruction error and
the parts themselves.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import NMF
from sklearn.exceptions import ConvergenceWarning

from skproj.decomposition import SparseNMF
from skproj.projections import hoyer_sparsity

X = load_digits().data
n_components, target = 10, 0.8


def parts_sparsity(H):
    return hoyer_sparsity(H, axis=1)[1]


def relative_error(model):
    return 100 * model.reconstruction_err_ / np.linalg.norm(X)


ours = SparseNMF(n_components, sparsity=target, max_iter=60, random_state=0).fit(X)


def penalized(alpha):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return NMF(n_components, alpha_H=alpha, alpha_W=0.0, l1_ratio=1.0, max_iter=60,
                   init="nndsvda", random_state=0).fit(X)


# The smallest penalty (bisection on a log scale) whose parts reach the target.
low, high = 1e-1, 1e3
for _ in range(7):
    middle = np.sqrt(low * high)
    low, high = (low, middle) if parts_sparsity(penalized(middle).components_) >= target \
        else (middle, high)
theirs = penalized(high)

for name, model in [("SparseNMF", ours), (f"NMF, alpha_H={high:.3g}", theirs)]:
    print(f"{name:>20}: parts sparsity {parts_sparsity(model.components_):.3f}, "
          f"relative error {relative_error(model):.1f} %")

# %%
# The parts. SparseNMF's parts find their own sparsities (a few strokes for
# some, broader shapes for others) while their average is the target.
fig, axes = plt.subplots(2, n_components, figsize=(n_components * 0.9, 2.3))
for row, (name, model) in enumerate([("SparseNMF", ours), ("NMF + l1", theirs)]):
    per_part, _ = hoyer_sparsity(model.components_, axis=1)
    for ax, part, sparsity in zip(axes[row], model.components_, per_part):
        ax.imshow(part.reshape(8, 8), cmap="gray_r")
        ax.set_title(f"{sparsity:.2f}", fontsize=7)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[row, 0].set_ylabel(name, fontsize=8)
fig.tight_layout()
plt.show()
