"""
=====================================================================
Supervised autoencoder: accuracy against the radius (Tables II–III)
=====================================================================

The papers' Tables II and III on their synthetic sets data-64 and data-16
(1000 samples, 1000 features of which the first 64 or 16 are informative):
test accuracy of :class:`~skproj.autoencoder.SparseSupervisedAutoencoder` as
the radius ``eta`` of its first layer's ball varies, with the bi-level ℓ1,∞
projection, the exact ℓ1,∞ projection, and the dense network (no projection).

Each model is fitted once on 75 % of the samples and scored on the other
25 % (the benchmark ``benchmarks/bench_autoencoder.py`` does the full nested
cross-validation); the epochs are reduced so that the example runs in about a
minute on two cores.  Two things to see:

- the dense network, with 1000 features for 750 samples, fits the noise
  features and classifies poorly; projecting the first layer removes them;
- both projections keep few features, most of them informative; the exact
  ℓ1,∞ projection clips columns instead of zeroing them, so its radii have
  their own scale (compare the kept counts, not the radii).
"""

# %%
import matplotlib.pyplot as plt
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skproj import projections
from skproj.autoencoder import SparseSupervisedAutoencoder
from skproj.datasets import make_sparse_classification

# Short training and two radii per curve keep this example under a minute;
# benchmarks/bench_autoencoder.py runs the full cross-validated comparison.
settings = dict(n_epochs=(3, 10), random_state=0)
curves = {"bi-level ℓ1,∞": ("bilevel_l1inf", [0.2, 0.4])}
if hasattr(projections, "project_l1inf_ball"):
    curves["exact ℓ1,∞"] = ("l1inf_ball", [0.1, 0.3])

results = {}
for n_informative in (64, 16):
    X, y, informative = make_sparse_classification(n_informative)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.25, stratify=y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    dense = SparseSupervisedAutoencoder(projection=None, **settings).fit(X_train, y_train)
    rows = {"dense": dense.score(X_test, y_test)}
    for label, (projection, etas) in curves.items():
        rows[label] = []
        for eta in etas:
            model = SparseSupervisedAutoencoder(eta=eta, projection=projection, **settings)
            model.fit(X_train, y_train)
            kept = model.selected_features_
            rows[label].append((eta, model.score(X_test, y_test), len(kept),
                                informative[kept].mean()))
    results[f"data-{n_informative}"] = rows

# %%
# The table: accuracy, kept features and the share of them that are informative.
for name, rows in results.items():
    print(f"{name}: dense network accuracy {rows['dense']:.3f}")
    for label in curves:
        for eta, accuracy, kept, share in rows[label]:
            print(f"  {label:14s} eta={eta:<5} accuracy {accuracy:.3f}  "
                  f"{kept:4d} features, {100 * share:3.0f} % informative")

# %%
# Accuracy against the radius (log scale); the numbers are the kept features.
fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
for ax, (name, rows) in zip(axes, results.items()):
    for label in curves:
        etas, accuracy, kept, _ = zip(*rows[label])
        (line,) = ax.plot(etas, accuracy, "o-", label=label)
        for eta, acc, count in zip(etas, accuracy, kept):
            ax.annotate(str(count), (eta, acc), textcoords="offset points", xytext=(4, 4),
                        color=line.get_color(), fontsize=8)
    ax.axhline(rows["dense"], color="gray", linestyle="--", label="dense (no projection)")
    ax.set_xscale("log")
    ax.set_xlabel("radius eta")
    ax.set_title(name)
axes[0].set_ylabel("test accuracy")
axes[0].legend(loc="lower right")
fig.tight_layout()
plt.show()
