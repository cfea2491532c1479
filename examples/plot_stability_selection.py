"""
=====================================================================
Radii that set themselves: cross-validation and stability selection
=====================================================================

The radius ``eta`` of the projection has no scale a user can guess.  Two
estimators choose it from the data, both built on the warm-started path of
:class:`~skproj.feature_selection.ProjectedLogisticRegression`:

- :class:`~skproj.feature_selection.ProjectionFeatureSelectorCV` computes a grid
  of radii from the one that keeps a single feature to the norm of the
  unconstrained model, scores every radius by cross-validation, and keeps the
  best (or, with ``rule="one_standard_error"``, the smallest radius within one
  standard error of the best: a shorter list of features);
- :class:`~skproj.feature_selection.ProjectionStabilitySelector` fits the path on
  complementary pairs of half-samples and keeps the features used in at least
  ``threshold`` of them at some radius (stability selection).

On data-16 (1000 features, the first 16 informative), reduced to 300 samples
(stratified) to stay quick, we plot the cross-validated accuracy along the computed grid, and
the stability path: the selection frequency of every feature against the radius.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skproj.datasets import make_sparse_classification
from skproj.feature_selection import ProjectionFeatureSelectorCV, ProjectionStabilitySelector

X, y, informative = make_sparse_classification(16)
X, _, y, _ = train_test_split(X, y, train_size=300, stratify=y, random_state=0)
X = StandardScaler().fit_transform(X)

# %%
# Cross-validation along a grid computed from the data
# ------------------------------------------------------
cv_best = ProjectionFeatureSelectorCV(n_etas=12, cv=4).fit(X, y)
cv_short = ProjectionFeatureSelectorCV(n_etas=12, cv=4, rule="one_standard_error").fit(X, y)

results = cv_best.cv_results_
fig, ax = plt.subplots(figsize=(7, 4))
ax.errorbar(results["eta"], results["mean_test_score"],
            yerr=results["std_test_score"] / np.sqrt(4), fmt="o-", capsize=3,
            label="4-fold accuracy (± one standard error)")
for selector, style, name in ((cv_best, "--", "best"), (cv_short, ":", "one standard error")):
    kept = selector.get_support()
    ax.axvline(selector.eta_, color="k", linestyle=style,
               label=f"{name}: eta={selector.eta_:.2f}, {kept.sum()} features "
                     f"({informative[kept].sum()} informative)")
ax.set_xscale("log")
ax.set_xlabel("eta")
ax.set_ylabel("accuracy")
ax.legend(fontsize=8)
fig.tight_layout()

# %%
# The stability path
# ------------------
stability = ProjectionStabilitySelector(n_etas=12, n_resamples=10, threshold=0.7,
                                        random_state=0).fit(X, y)
fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(stability.etas_, stability.frequencies_[:, ~informative], color="0.75", lw=0.8)
ax.plot(stability.etas_, stability.frequencies_[:, informative], color="C3", lw=1.2)
ax.axhline(stability.threshold, color="k", linestyle="--")
ax.set_xscale("log")
ax.set_xlabel("eta")
ax.set_ylabel("selection frequency")
ax.set_title("informative features (red), noise (grey)")
fig.tight_layout()

selected = stability.get_support()
print(f"stability selection keeps {selected.sum()} features, {informative[selected].sum()} of "
      f"them informative (bound on false selections: "
      f"{stability.expected_false_selections_:.2f})")
print(f"CV (best): eta={cv_best.eta_:.3f}, {cv_best.get_support().sum()} features; "
      f"CV (one standard error): eta={cv_short.eta_:.3f}, "
      f"{cv_short.get_support().sum()} features")
plt.show()
