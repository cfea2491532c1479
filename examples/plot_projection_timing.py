"""
=====================================================
Projection time against the matrix size
=====================================================

The paper's Fig. 1 (Barlaud, Perez and Marmorat 2024): the time of the
bi-level ℓ1,∞ projection and of the exact ℓ1,∞ projection for Gaussian
matrices with 1000 rows and a growing number of columns, and the other way
round, at radius η = 1.  We fit a linear curve :math:`a\\,N + b` and an
:math:`a\\,N \\log N + b` curve to each, with :math:`N = nm` the number of
entries.

In the paper the exact projection (Chu et al.'s semismooth Newton, in C++)
grows like :math:`N \\log N` with a slope 2.5 times the bi-level one.
skproj's exact projection visits the groups that can be non-zero only and
gathers the few entries near each clipping level, so both of its curves are
linear, within a small factor of the bi-level projection.  Timings are best
of several runs on whatever machine builds these docs.
"""

# %%
import time

import matplotlib.pyplot as plt
import numpy as np

from skproj.projections import bilevel_l1inf, project_l1inf_ball

projections = {"bi-level ℓ1,∞": bilevel_l1inf, "exact ℓ1,∞": project_l1inf_ball}
sizes = np.array([1000, 2000, 4000, 6000, 8000, 10000])
rng = np.random.default_rng(0)


def best_time(function, repeat=5):
    function()
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def fit(entries, times):
    """Least-squares fits a N + b and a N log N + b; their curves and slopes."""
    curves = {}
    for name, feature in (("linear", entries), ("N log N", entries * np.log(entries))):
        design = np.column_stack([feature, np.ones_like(feature)])
        coefficients, *_ = np.linalg.lstsq(design, times, rcond=None)
        curves[name] = design @ coefficients
    return curves


# %%
# Time against the number of features (1000 samples), then samples (1000
# features); the groups are the feature columns (``axis=0``).
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
for ax, varying in zip(axes, ("features", "samples")):
    times = {name: [] for name in projections}
    for size in sizes:
        shape = (1000, size) if varying == "features" else (size, 1000)
        Y = rng.standard_normal(shape)
        out = np.empty_like(Y)
        for name, project in projections.items():
            times[name].append(best_time(lambda: project(Y, 1.0, out=out)))
    entries = 1000.0 * sizes
    for name, color in zip(projections, ("tab:blue", "tab:orange")):
        measured = 1e3 * np.array(times[name])
        curves = fit(entries, measured)
        ax.plot(sizes, measured, "o", color=color, label=f"{name}")
        ax.plot(sizes, curves["linear"], "-", color=color, lw=1,
                label=f"{name}: linear fit")
        ax.plot(sizes, curves["N log N"], ":", color=color, lw=1.5,
                label=f"{name}: N log N fit")
        slope = np.polyfit(entries, measured, 1)[0]
        print(f"{varying:>8}  {name:<14} {slope * 1e6:6.2f} ms per million entries")
    ax.set_xlabel(f"number of {varying}")
    ax.set_ylabel("time (ms)")
    ax.set_title(f"1000 {'samples' if varying == 'features' else 'features'}, η = 1")
    ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
