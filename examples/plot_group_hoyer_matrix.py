"""
One sparsity target for many groups: the group Hoyer projection
================================================================

:func:`~skproj.projections.project_group_hoyer` (GSP) maps the columns of a
matrix to columns whose *average* Hoyer sparsity reaches a target. Each column
finds its own sparsity: here the columns have different shapes, from a few
large entries among noise (easy to sparsify: little is lost) to flat ones
(costly to sparsify). GSP sparsifies the first kind a lot and leaves the flat
ones nearly intact, while the average meets the target exactly. Projecting
each column to the target on its own (the same projection with one group at a
time) loses more of the matrix for the same average.
"""

import matplotlib.pyplot as plt
import numpy as np

from skproj.projections import hoyer_sparsity, project_group_hoyer

rng = np.random.default_rng(0)
n, m = 200, 12
Y = 0.3 * rng.standard_normal((n, m))
for j in range(m):
    # Column j: j + 1 large entries (peaked columns first, flatter ones after).
    spikes = rng.choice(n, size=4 * (j + 1) ** 2 // 3 + 1, replace=False)
    Y[spikes, j] += rng.uniform(2, 4, spikes.size)

target = 0.7
X = project_group_hoyer(Y, target)
one_at_a_time = np.column_stack(
    [project_group_hoyer(Y[:, [j]], target) for j in range(m)])
before, _ = hoyer_sparsity(Y)
after, average = hoyer_sparsity(X)
print(f"average Hoyer sparsity: {hoyer_sparsity(Y)[1]:.3f} -> {average:.3f} "
      f"(target {target})")
for name, Z in [("GSP (average target)", X), ("each column to the target", one_at_a_time)]:
    print(f"{name:>26}: relative error {np.linalg.norm(Y - Z) / np.linalg.norm(Y):.3f}, "
          f"non-zeros {np.count_nonzero(Z)}")

# %%
# Each column's sparsity before and after: the average is the target, the
# columns spread around it.
fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
columns = np.arange(m)
axes[0].bar(columns - 0.2, before, width=0.4, label="Y")
axes[0].bar(columns + 0.2, after, width=0.4, label="GSP(Y)")
axes[0].axhline(target, color="k", linestyle="--", label=f"target {target}")
axes[0].set_xlabel("column (group)")
axes[0].set_ylabel("Hoyer sparsity")
axes[0].legend(loc="lower right")
axes[1].imshow(np.abs(X[:60]) > 0, aspect="auto", cmap="Greys", interpolation="nearest")
axes[1].set_title("non-zero entries of GSP(Y) (first 60 rows)")
axes[1].set_xlabel("column (group)")
fig.tight_layout()
plt.show()
