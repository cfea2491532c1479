"""Feature selection by models kept inside a projection ball.

- :class:`ProjectionFeatureSelector`: a scikit-learn selector (like
  :class:`~sklearn.feature_selection.SelectFromModel`) whose model is trained
  under an explicit structured-sparsity constraint of radius ``eta``;
- :class:`ProjectionFeatureSelectorCV`: the same with the radius chosen by
  cross-validation over a grid computed from the data;
- :class:`ProjectionStabilitySelector`: stability selection (selection
  frequencies over subsamples along the path);
- :class:`ProjectedLogisticRegression`: its default model, a multinomial
  logistic regression whose coefficient matrix stays in the ball;
- :func:`projected_logistic_regression` (the FISTA solver) and
  :func:`projection_path` (the solver over a sequence of radii).
"""

from skproj._logistic import projected_logistic_regression, projection_path
from skproj.feature_selection._cv import ProjectionFeatureSelectorCV
from skproj.feature_selection._linear import ProjectedLogisticRegression
from skproj.feature_selection._selector import ProjectionFeatureSelector
from skproj.feature_selection._stability import ProjectionStabilitySelector

__all__ = [
    "ProjectedLogisticRegression",
    "ProjectionFeatureSelector",
    "ProjectionFeatureSelectorCV",
    "ProjectionStabilitySelector",
    "projected_logistic_regression",
    "projection_path",
]
