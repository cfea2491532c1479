"""
=================================================
The matrix projections side by side
=================================================

Each matrix projection of :mod:`skproj.projections` applied to the same random
matrix, at a radius of 20 % of the matrix's own norm in that ball.  With the
default ``axis=0`` each column is a group: the bi-level projections set whole
columns to zero (the structured sparsity a feature selector wants), the exact
ℓ1,∞ projection clips many columns a little, and the ℓ1,2 projection shrinks
each column's length.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from skproj.projections import (
    bilevel_l1inf, bilevel_l11, bilevel_l12, l1inf_norm, l11_norm, l12_norm,
    project_l1inf_ball,
)

rng = np.random.default_rng(0)
Y = rng.standard_normal((20, 40)) * rng.gamma(1.0, size=40)  # columns of uneven size

projections = {
    "bi-level ℓ1,∞": (bilevel_l1inf, l1inf_norm),
    "exact ℓ1,∞": (project_l1inf_ball, l1inf_norm),
    "bi-level ℓ1,1": (bilevel_l11, l11_norm),
    "ℓ1,2 (bi-level = exact)": (bilevel_l12, l12_norm),
}

fig, axes = plt.subplots(1, 5, figsize=(15, 3.2), sharey=True)
limit = np.abs(Y).max()
axes[0].imshow(Y, cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
axes[0].set_title("Y")
for ax, (name, (project, norm)) in zip(axes[1:], projections.items()):
    X = project(Y, 0.2 * norm(Y))
    kept = int((np.abs(X).max(axis=0) > 0).sum())
    ax.imshow(X, cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_title(f"{name}\n{kept}/40 columns kept")
    ax.set_xlabel("group (column)")
fig.tight_layout()

# %%
# The radius is absolute: pick it relative to the data with the matching norm
# (:func:`~skproj.projections.l1inf_norm` and friends), as above.  A point
# already inside the ball comes back unchanged, bit for bit.
X = bilevel_l1inf(Y, 2 * l1inf_norm(Y))
print("unchanged inside the ball:", np.array_equal(X, Y))
