"""
=================================================================
The regularization path of the projected logistic regression
=================================================================

:func:`~skproj.feature_selection.projection_path` fits the constrained
multinomial logistic regression of
:class:`~skproj.feature_selection.ProjectedLogisticRegression` over a sequence
of radii, from the sparsest model to the densest, each fit starting from the
previous solution (like :func:`~sklearn.linear_model.lasso_path`).  It returns
the coefficient matrix and the selected features at every radius.

On data-16 (1000 samples, 1000 features, the first 16 informative), we plot
the norm of every feature's column of coefficients against ``eta``: the
informative features (colour) enter first, the noise features (grey) only at
large radii.  The right panel does the same with two latent sub-classes per
class (``n_subclasses=2``), which also brings in the informative features
that do not move the class means.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.preprocessing import StandardScaler

from skproj.datasets import make_sparse_classification
from skproj.feature_selection import projection_path

X, y, informative = make_sparse_classification(16)
X = StandardScaler().fit_transform(X)
etas = np.logspace(-1.5, 1, 25)

paths = {n_subclasses: projection_path(X, y, etas, n_subclasses=n_subclasses)
         for n_subclasses in (1, 2)}

# %%
# Coefficient paths
# -----------------
# The importance of a feature is the largest absolute coefficient in its
# column (the ∞-norm the bi-level ℓ1,∞ constraint bounds).

fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
for ax, (n_subclasses, path) in zip(axes, paths.items()):
    importance = np.abs(path.coefs).max(axis=1)  # (n_etas, n_features)
    ax.plot(path.etas, importance[:, ~informative], color="0.75", lw=0.6)
    for j in np.flatnonzero(informative):
        ax.plot(path.etas, importance[:, j], lw=1.5)
    ax.set_xscale("log")
    ax.set_xlabel("eta")
    ax.set_title(f"n_subclasses={n_subclasses}")
axes[0].set_ylabel("max |coefficient| of the feature")
fig.tight_layout()

# %%
# Selected features along the path
# --------------------------------
# ``path.supports`` tells which features are selected at each radius.

fig, ax = plt.subplots(figsize=(6, 4))
for (n_subclasses, path), color in zip(paths.items(), ("C0", "C3")):
    kept = path.supports.sum(axis=1)
    hits = path.supports[:, informative].sum(axis=1)
    ax.plot(path.etas, kept, "o-", color=color, label=f"kept, n_subclasses={n_subclasses}")
    ax.plot(path.etas, hits, "s--", color=color,
            label=f"informative among them, n_subclasses={n_subclasses}")
ax.axhline(informative.sum(), color="gray", lw=0.8)
ax.set_xscale("log")
ax.set_yscale("log")
ax.set_xlabel("eta")
ax.set_ylabel("features")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()

# %%
# The largest radius with only informative features selected:
for n_subclasses, path in paths.items():
    clean = np.flatnonzero(~path.supports[:, ~informative].any(axis=1))
    last = clean[-1]
    print(f"n_subclasses={n_subclasses}: eta={path.etas[last]:.2f} keeps "
          f"{path.supports[last].sum()} features, all informative "
          f"({path.n_iter[:last + 1].sum()} solver iterations so far)")
