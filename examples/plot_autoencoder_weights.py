"""
=====================================================================
Supervised autoencoder: the first layer's weights (Fig. 9)
=====================================================================

The papers' Fig. 9: the weights of the first layer of the supervised
autoencoder, one column per input feature, for the dense network and for the
network trained with the bi-level ℓ1,∞ projection, on data-16 (the first 16 of
1000 features are informative).

The projection zeroes whole columns: the input features it removes no longer
enter the network at all.  The columns that remain are, for the most part, the
informative ones at the left.  The dense network spreads its weights over all
the features.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.preprocessing import StandardScaler

from skproj.autoencoder import SparseSupervisedAutoencoder
from skproj.datasets import make_sparse_classification

X, y, informative = make_sparse_classification(16)
X = StandardScaler().fit_transform(X)

settings = dict(n_epochs=(4, 15), n_rounds=5, random_state=0)
dense = SparseSupervisedAutoencoder(projection=None, **settings).fit(X, y)
sparse = SparseSupervisedAutoencoder(eta=0.3, **settings).fit(X, y)

kept = sparse.selected_features_
print(f"kept {len(kept)} features, {int(informative[kept].sum())} of them informative: "
      f"{kept.tolist()}")

# %%
# The weights of the first 100 input features (the first 16 are informative)
# and the norm of every column over all 1000 features.
shown = 100
fig, axes = plt.subplots(2, 2, figsize=(12, 6), gridspec_kw={"height_ratios": [3, 1]})
for column, (title, model) in enumerate([("dense", dense), ("bi-level ℓ1,∞", sparse)]):
    W = model.network_.encoder[0].weight.detach().cpu().numpy()
    limit = np.abs(W[:, :shown]).max()
    axes[0, column].imshow(W[:, :shown], cmap="RdBu", vmin=-limit, vmax=limit,
                           aspect="auto", interpolation="nearest")
    axes[0, column].axvline(15.5, color="k", linewidth=0.8)
    axes[0, column].set_title(f"{title}: first-layer weights (hidden unit × feature)")
    axes[0, column].set_ylabel("hidden unit")
    importances = model.feature_importances_
    axes[1, column].bar(np.arange(importances.size), importances,
                        color=np.where(informative, "C3", "C0"), width=1.0)
    axes[1, column].set_xlabel("input feature (red: informative)")
    axes[1, column].set_ylabel("column max |w|")
fig.tight_layout()
plt.show()
