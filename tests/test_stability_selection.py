"""Tests of ProjectionStabilitySelector: frequencies over subsamples along the
path, complementary pairs, determinism, the error bound and sparse input."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import (
    check_param_validation,
    check_set_output_transform,
    check_transformer_get_feature_names_out,
    parametrize_with_checks,
)

from skproj.feature_selection import ProjectedLogisticRegression, ProjectionStabilitySelector
from skproj.feature_selection._stability import subsamples
from sparse_inputs import assert_sparse_fit_equals_dense

FAST = dict(n_etas=3, n_resamples=2, random_state=0)


def data(n_samples=100, n_features=30, random_state=0):
    X, y = make_classification(
        n_samples=n_samples, n_features=n_features, n_informative=3, n_redundant=0,
        n_clusters_per_class=1, class_sep=2.0, shuffle=False, random_state=random_state)
    return StandardScaler().fit_transform(X), y


@parametrize_with_checks([ProjectionStabilitySelector(**FAST)])
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


def test_sklearn_internal_checks():
    estimator = ProjectionStabilitySelector(**FAST)
    name = type(estimator).__name__
    check_param_validation(name, estimator)
    check_set_output_transform(name, estimator)
    check_transformer_get_feature_names_out(name, estimator)


@pytest.mark.parametrize("complementary_pairs", [True, False])
def test_subsamples(complementary_pairs):
    draws = subsamples(11, 4, 0.3, complementary_pairs, random_state=0)
    if complementary_pairs:
        assert len(draws) == 8
        for first, second in zip(draws[::2], draws[1::2]):
            assert len(first) == len(second) == 5
            assert not np.intersect1d(first, second).size  # disjoint halves
    else:
        assert len(draws) == 4 and all(len(rows) == 3 for rows in draws)
    assert all(len(np.unique(rows)) == len(rows) for rows in draws)  # no replacement
    again = subsamples(11, 4, 0.3, complementary_pairs, random_state=0)
    assert all(np.array_equal(a, b) for a, b in zip(draws, again))


@pytest.mark.parametrize("alpha", [0.0, 0.02])
def test_frequencies_are_the_share_of_subsample_fits_keeping_each_feature(alpha):
    X, y = data()
    etas = [0.2, 0.6, 1.5]
    selector = ProjectionStabilitySelector(etas, n_resamples=3, random_state=1, tol=1e-8,
                                           max_iter=5000, alpha=alpha).fit(X, y)
    assert selector.n_subsamples_ == 6
    draws = subsamples(len(y), 3, 0.5, True, random_state=1)
    expected = np.mean([[ProjectedLogisticRegression(eta, tol=1e-8, max_iter=5000, alpha=alpha)
                         .fit(X[rows], y[rows]).feature_importances_ > 0 for eta in etas]
                        for rows in draws], axis=0)
    np.testing.assert_allclose(selector.frequencies_, expected)
    np.testing.assert_array_equal(selector.stability_scores_, expected.max(axis=0))
    np.testing.assert_array_equal(selector.get_support(),
                                  expected.max(axis=0) >= selector.threshold)


def test_planted_features_are_stable_and_noise_is_not():
    X, y = data(n_samples=200, n_features=40)
    selector = ProjectionStabilitySelector(n_resamples=10, random_state=0).fit(X, y)
    assert selector.etas_.shape == (10,)
    scores = selector.stability_scores_
    assert scores[:3].min() > scores[3:].max() - 0.2
    assert selector.get_support()[:2].all()
    assert selector.get_support()[3:].sum() <= 2
    # the bound of Meinshausen and Buehlmann from the features kept at the top radius
    assert np.isfinite(selector.expected_false_selections_)
    assert ProjectionStabilitySelector(threshold=0.5, **FAST).fit(
        X, y).expected_false_selections_ == np.inf


def test_computed_grid_ends_at_n_features_max():
    X, y = data()
    exact = dict(tol=1e-8, max_iter=5000)  # supports of converged fits
    selector = ProjectionStabilitySelector(n_features_max=7, **FAST, **exact).fit(X, y)
    full = ProjectedLogisticRegression(selector.etas_[-1], **exact).fit(X, y)
    low = ProjectedLogisticRegression(selector.etas_[0], **exact).fit(X, y)
    assert np.count_nonzero(full.feature_importances_) == 7
    assert np.count_nonzero(low.feature_importances_) == 1


def test_deterministic_with_random_state_whatever_n_jobs():
    X, y = data()
    first = ProjectionStabilitySelector(n_resamples=4, n_etas=4, random_state=3).fit(X, y)
    again = ProjectionStabilitySelector(n_resamples=4, n_etas=4, random_state=3,
                                        n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(first.frequencies_, again.frequencies_)
    other = ProjectionStabilitySelector(n_resamples=4, n_etas=4, random_state=4).fit(X, y)
    assert not np.array_equal(first.frequencies_, other.frequencies_)


def test_sparse_input_equals_dense():
    X, y = data(n_samples=80, n_features=15)
    X[np.abs(X) < 0.7] = 0
    assert_sparse_fit_equals_dense(ProjectionStabilitySelector(**FAST), X, y,
                                   attributes=("etas_", "frequencies_"))


def _ranked_by_sorting(frequencies):
    """The features, most stable first, by an independent full sort: score,
    then mean frequency over the radii, then column order."""
    scores, means = frequencies.max(axis=0), frequencies.mean(axis=0)
    return sorted(range(frequencies.shape[1]), key=lambda j: (-scores[j], -means[j], j))


@pytest.mark.parametrize("max_features", [0, 1, 5, 17, 30])
def test_max_features_with_threshold_zero_selects_exactly_the_most_stable(max_features):
    X, y = data()
    selector = ProjectionStabilitySelector(threshold=0.0, max_features=max_features,
                                           n_etas=4, n_resamples=3, random_state=0).fit(X, y)
    assert selector.max_features_ == max_features
    assert selector.get_support().sum() == max_features
    expected = _ranked_by_sorting(selector.frequencies_)[:max_features]
    np.testing.assert_array_equal(np.flatnonzero(selector.get_support()), sorted(expected))
    # ties are common (frequencies are multiples of 1/6): the mean frequency decides
    assert len(np.unique(selector.stability_scores_)) < X.shape[1]


def test_max_features_keeps_only_features_that_reach_the_threshold():
    X, y = data()
    plain = ProjectionStabilitySelector(threshold=0.7, **FAST).fit(X, y)
    reached = plain.get_support().sum()
    capped = ProjectionStabilitySelector(threshold=0.7, max_features=reached + 5,
                                         **FAST).fit(X, y)
    np.testing.assert_array_equal(capped.get_support(), plain.get_support())
    fewer = ProjectionStabilitySelector(threshold=0.7, max_features=lambda X: 1,
                                        **FAST).fit(X, y)
    assert fewer.max_features_ == 1 and fewer.get_support().sum() == min(1, reached)
    assert (fewer.get_support() <= plain.get_support()).all()


def test_max_features_beyond_the_features_is_refused():
    X, y = data(n_features=12)
    with pytest.raises(ValueError, match="max_features"):
        ProjectionStabilitySelector(max_features=13, **FAST).fit(X, y)
    with pytest.raises(ValueError, match="max_features"):
        ProjectionStabilitySelector(max_features=lambda X: -1, **FAST).fit(X, y)
