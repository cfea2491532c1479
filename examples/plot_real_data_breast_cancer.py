"""
=====================================================================
A ranked feature list on real data: breast-cancer cytology
=====================================================================

scikit-learn's Wisconsin breast-cancer table (569 tumours, 30 measurements
of cell nuclei, benign or malignant) is real, labelled and ships with
scikit-learn.  :class:`~skproj.ProjectionFeatureSelector` fits a logistic
regression whose coefficients stay in a bi-level ℓ1,∞ ball of radius
``eta``; the radius is chosen by cross-validation on a grid derived from the
data (from a radius that keeps a couple of features to one where the
constraint no longer binds), and the kept features are ranked by their
coefficient norm.

A ranked list is only as good as its top entries: the last figure sets each
kept feature's importance beside its univariate ROC AUC (0.5 is chance), so
that a top-ranked feature that predicts nothing on its own would stand out.
Many of the 30 measurements are near copies of one another (radius,
perimeter, area and their "worst" values); the constraint keeps one or two
of each such family, so a good feature may be absent from the list because
its twin is in it.
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skproj import ProjectionFeatureSelector
from skproj.projections import get_constraint

data = load_breast_cancer()
X, y, names = data.data, data.target, data.feature_names
X_scaled = StandardScaler().fit_transform(X)

# The top of the grid: the l1,inf norm of a moderately regularized dense
# logistic regression, where the constraint stops binding.
dense = LogisticRegression(max_iter=1000).fit(X_scaled, y).coef_
top = get_constraint("bilevel_l1inf", eta=1.0, axis=0, matrix=True).norm(
    np.vstack([dense, -dense]))
etas = np.geomspace(0.1, float(top), 8)

pipe = Pipeline([("scale", StandardScaler()), ("select", ProjectionFeatureSelector())])
search = GridSearchCV(pipe, {"select__eta": etas},
                      cv=StratifiedKFold(4, shuffle=True, random_state=0)).fit(X, y)
best = search.best_estimator_["select"]
print(f"chosen eta={search.best_params_['select__eta']:.2f}: 4-fold accuracy "
      f"{search.best_score_:.3f} with {best.get_support().sum()} of 30 features "
      f"(majority class {np.bincount(y).max() / len(y):.3f})")

# %%
# Accuracy and kept features along the grid
# -----------------------------------------
results = pd.DataFrame(search.cv_results_)
kept = [ProjectionFeatureSelector(eta=eta).fit(X_scaled, y).get_support().sum()
        for eta in etas]
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.errorbar(etas, results["mean_test_score"], results["std_test_score"], marker="o",
            capsize=3)
ax.set_xscale("log")
ax.set_xlabel("eta")
ax.set_ylabel("4-fold accuracy")
twin = ax.twinx()
twin.plot(etas, kept, "s--", color="C1")
twin.set_ylabel("features kept (all data)", color="C1")
fig.tight_layout()

# %%
# The ranked list beside each feature's univariate AUC
# ----------------------------------------------------
importances = best.feature_importances_
order = np.argsort(-importances)[: best.get_support().sum()]
auc = np.array([roc_auc_score(y, X[:, j]) for j in order])
auc = np.maximum(auc, 1 - auc)

fig, ax = plt.subplots(figsize=(7, 0.35 * len(order) + 1))
ax.barh(np.arange(len(order)), importances[order] / importances.max(), color="C0",
        label="importance (coefficient max-norm, scaled)")
ax.plot(auc, np.arange(len(order)), "o", color="C3", label="univariate ROC AUC")
ax.axvline(0.5, color="gray", lw=0.8)
ax.set_yticks(np.arange(len(order)), names[order])
ax.invert_yaxis()
ax.set_xlim(0, 1.05)
ax.legend(loc="lower right", fontsize=8)
fig.tight_layout()
plt.show()

# %%
# ``benchmarks/bench_rankings.py`` measures the same agreement for the
# selector and for :class:`~skproj.SparseSupervisedAutoencoder` on this table,
# on the wine table and on the real wide sets of ``benchmarks/_real_data.py``,
# with the overlap of the top-10 lists across seeds and cross-validation folds.
