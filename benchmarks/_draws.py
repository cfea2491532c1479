"""Matrices the benchmark tables are also run on, beside Gaussian ones.

Heavy tails make the projections' estimates from a sample loose (a few
extremes carry most of a group's norm); sparse matrices put most of each
group at zero, which lies above no level.  Each entry is a name and
``draw(rng, shape)``.
"""

# Student's t with three degrees of freedom (finite variance, the tails of many
# measured features) and Cauchy's.
HEAVY_TAILS = {"Student t(3)": lambda rng, shape: rng.standard_t(3, shape),
               "Cauchy": lambda rng, shape: rng.standard_cauchy(shape)}

# A tenth of the entries nonzero (Gaussian), the rest zeros: counts of words,
# one-hot features, pruned weights.
SPARSE = {"10 % nonzeros": lambda rng, shape: (rng.standard_normal(shape)
                                               * (rng.random(shape) < 0.1))}
