"""Multi-layer perceptrons with a prescribed number of non-zero weights (torch inside).

The l1-regularized networks of Shen, Wang, Xu and Yan (2024): the penalty, one
for the network or one per layer, is chosen so that the trained network has
the number of non-zero weights you ask for.
"""

from skproj.neural_network._mlp import SparseMLPClassifier, SparseMLPRegressor

__all__ = ["SparseMLPClassifier", "SparseMLPRegressor"]
