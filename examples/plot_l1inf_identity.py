"""
=======================================================
The ℓ1,∞ identity of the bi-level and exact projections
=======================================================

Both the bi-level ℓ1,∞ projection :math:`BP_\\eta` and the exact (Euclidean)
projection :math:`P_\\eta` clip every group ``j`` at some level
:math:`u_j \\le \\|y_j\\|_\\infty` with :math:`\\sum_j u_j = \\eta`.  Clipping
splits each column's largest magnitude exactly, so the projection and its
residual share the ℓ1,∞ norm of the data (Barlaud, Perez and Marmorat 2024,
Propositions III.3 and III.5):

.. math::

    \\|Y - P_\\eta(Y)\\|_{1,\\infty} + \\|P_\\eta(Y)\\|_{1,\\infty} = \\|Y\\|_{1,\\infty}.

The same holds for the bi-level ℓ1,1 and ℓ1,2 projections with their own
norms.  This example reproduces the paper's Figs. 3 and 4 on the synthetic
data-64 set (1000 samples, 1000 features, groups = the feature columns) with
skproj's own projections: the residual norm falls linearly with η, identically
for both ℓ1,∞ projections, while the Frobenius (ℓ2,2) error, which obeys no
such identity, is smaller for the exact projection -- the one that minimizes
it.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np

from skproj.datasets import make_sparse_classification
from skproj.projections import (
    bilevel_l1inf, bilevel_l11, bilevel_l12, l1inf_norm, l11_norm, l12_norm,
    project_l1inf_ball,
)

Y, _, _ = make_sparse_classification(64)
shares = np.linspace(0.02, 1.0, 25)       # eta as a share of the matching norm of Y

# %%
# The ℓ1,∞ identity, bi-level and exact
# -------------------------------------
# For each radius, the ℓ1,∞ norm of the projection (it is η) and of the
# residual.  Their sum stays at :math:`\|Y\|_{1,\infty}`.
norm = l1inf_norm(Y)
etas = shares * norm
residuals = {"bi-level ℓ1,∞": [], "exact ℓ1,∞": []}
frobenius = {"bi-level ℓ1,∞": [], "exact ℓ1,∞": []}
for eta in etas:
    for name, project in (("bi-level ℓ1,∞", bilevel_l1inf), ("exact ℓ1,∞", project_l1inf_ball)):
        P = project(Y, eta)
        residuals[name].append(l1inf_norm(Y - P))
        frobenius[name].append(np.linalg.norm(Y - P))
        assert abs(l1inf_norm(Y - P) + l1inf_norm(P) - norm) <= 1e-9 * norm

fig, axes = plt.subplots(1, 2, figsize=(11, 4))
ax = axes[0]
ax.plot(etas, residuals["bi-level ℓ1,∞"], lw=4, alpha=0.5, label="bi-level ℓ1,∞")
ax.plot(etas, residuals["exact ℓ1,∞"], "k--", label="exact ℓ1,∞")
ax.plot(etas, norm - etas, ":", color="tab:red", label=r"$\|Y\|_{1,\infty} - \eta$")
ax.set_xlabel(r"radius $\eta$")
ax.set_ylabel(r"$\|Y - P(Y)\|_{1,\infty}$")
ax.set_title("ℓ1,∞ norm of the residual (paper's Fig. 3, top)")
ax.legend()

# %%
# Fig. 4: the Frobenius error obeys no identity; the exact projection, which
# minimizes it by definition, has the smaller one.
ax = axes[1]
ax.plot(etas, frobenius["bi-level ℓ1,∞"], label="bi-level ℓ1,∞")
ax.plot(etas, frobenius["exact ℓ1,∞"], label="exact ℓ1,∞")
ax.set_xlabel(r"radius $\eta$")
ax.set_ylabel(r"$\|Y - P(Y)\|_{2,2}$")
ax.set_title("Frobenius error (paper's Fig. 4)")
ax.legend()
fig.tight_layout()

# %%
# The bi-level ℓ1,1 and ℓ1,2 identities
# -------------------------------------
# Soft-thresholding a column to a smaller ℓ1 norm, or rescaling it to a
# smaller ℓ2 norm, also splits that norm exactly between the result and the
# residual (Propositions IV.1 and IV.2).
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for ax, project, group_norm, label in (
        (axes[0], bilevel_l11, l11_norm, "ℓ1,1"),
        (axes[1], bilevel_l12, l12_norm, "ℓ1,2")):
    norm = group_norm(Y)
    etas = shares * norm
    residual = [group_norm(Y - project(Y, eta)) for eta in etas]
    ax.plot(etas, residual, lw=4, alpha=0.5, label=f"bi-level {label}")
    ax.plot(etas, norm - etas, "k:", label=rf"$\|Y\|_{{{label[1:]}}} - \eta$")
    ax.set_xlabel(r"radius $\eta$")
    ax.set_ylabel(f"{label} norm of the residual")
    ax.set_title(f"bi-level {label} identity (paper's Fig. 3)")
    ax.legend()
fig.tight_layout()
plt.show()
