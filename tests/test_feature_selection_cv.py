"""Tests of ProjectionFeatureSelectorCV: the computed grid, the choice of the
radius, the refit, parallel folds (joblib and dask) and sparse input."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_param_validation,
    check_set_output_transform,
    check_transformer_get_feature_names_out,
    parametrize_with_checks,
)

from skproj.feature_selection import (
    ProjectedLogisticRegression,
    ProjectionFeatureSelectorCV,
    projection_path,
)
from skproj.projections import get_constraint
from sparse_inputs import assert_sparse_fit_equals_dense

FAST = dict(n_etas=3, cv=2)


def data(n_samples=120, n_features=20, n_informative=3, n_classes=2, random_state=0,
         class_sep=1.5):
    X, y = make_classification(
        n_samples=n_samples, n_features=n_features, n_informative=n_informative,
        n_redundant=0, n_classes=n_classes, n_clusters_per_class=1, shuffle=False,
        class_sep=class_sep, random_state=random_state)
    return StandardScaler().fit_transform(X), y


@parametrize_with_checks([ProjectionFeatureSelectorCV(**FAST),
                          ProjectionFeatureSelectorCV(alpha=0.01, **FAST)])
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


def test_sklearn_internal_checks():
    estimator = ProjectionFeatureSelectorCV(**FAST)
    name = type(estimator).__name__
    check_param_validation(name, estimator)
    check_dataframe_column_names_consistency(name, estimator)
    check_set_output_transform(name, estimator)
    check_transformer_get_feature_names_out(name, estimator)


# --------------------------------------------------------------------------
# the grid computed from the data

def test_computed_grid_brackets_the_path():
    # more samples than features, classes overlapping: the unconstrained model exists
    X, y = data(n_samples=300, n_features=8, class_sep=0.5)
    selector = ProjectionFeatureSelectorCV(n_etas=6, cv=3, tol=1e-8, max_iter=20000).fit(X, y)
    etas = selector.etas_
    assert etas.shape == (6,) and np.all(np.diff(etas) > 0)
    np.testing.assert_allclose(np.diff(np.log(etas)), np.log(etas[1] / etas[0]))
    path = projection_path(X, y, etas, tol=1e-8, max_iter=20000)
    kept = path.supports.sum(axis=1)
    assert kept[0] == 1  # one feature at the low end
    # the high end is where the constraint stops binding: the unconstrained model
    assert kept[-1] == X.shape[1]
    unconstrained = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10000).fit(X, y)
    # binary: the multinomial rows are +-coef/2, whose l1,inf norm is |coef|_1 / 2
    np.testing.assert_allclose(etas[-1], np.abs(unconstrained.coef_).sum() / 2, rtol=1e-3)
    model = ProjectedLogisticRegression(etas[-1], tol=1e-10, max_iter=50000).fit(X, y)
    np.testing.assert_allclose(model.predict_proba(X), unconstrained.predict_proba(X),
                               atol=1e-4)
    # and just below it the constraint binds
    smaller = ProjectedLogisticRegression(0.9 * etas[-1], tol=1e-10, max_iter=50000).fit(X, y)
    np.testing.assert_allclose(get_constraint("bilevel_l1inf").norm(smaller.coef_),
                               0.9 * etas[-1])


def test_computed_grid_on_separable_wide_data_ends_with_as_many_features_as_samples():
    X, y = data(n_samples=40, n_features=60)
    selector = ProjectionFeatureSelectorCV(n_etas=5, cv=2).fit(X, y)
    path = projection_path(X, y, selector.etas_)
    assert path.supports[0].sum() == 1
    # the constraint binds everywhere (the model separates the samples): the grid
    # ends once the fit separates them with as many features as samples
    top = ProjectedLogisticRegression(selector.etas_[-1]).fit(X, y)
    assert top.score(X, y) == 1.0
    assert np.count_nonzero(top.feature_importances_) >= 40
    assert selector.etas_[-1] / selector.etas_[0] < 4.0**10


def test_computed_grid_with_a_ridge_term_ends_at_the_l2_logistic_regression():
    # separable wide data, where the plain model's norm grows without end: with
    # the ridge term the unconstrained model is LogisticRegression's l2 one
    X, y = data(n_samples=40, n_features=60)
    alpha = 0.05
    selector = ProjectionFeatureSelectorCV(n_etas=4, cv=2, alpha=alpha, tol=1e-8,
                                           max_iter=20000).fit(X, y)
    # binary: the multinomial rows are +-coef/2, whose l1,inf norm is |coef|_1 / 2
    # and ridge term alpha / 4 |coef|^2, LogisticRegression's at C = 2 / (alpha n)
    ridge = LogisticRegression(C=2 / (alpha * X.shape[0]), tol=1e-12, max_iter=10000,
                               ).fit(X, y)
    np.testing.assert_allclose(selector.etas_[-1], np.abs(ridge.coef_).sum() / 2, rtol=1e-3)
    assert projection_path(X, y, selector.etas_[:1], alpha=alpha).supports[0].sum() == 1


def test_given_radii_are_sorted_and_used():
    X, y = data()
    selector = ProjectionFeatureSelectorCV([2.0, 0.1, 0.5], cv=3).fit(X, y)
    np.testing.assert_array_equal(selector.etas_, [0.1, 0.5, 2.0])
    np.testing.assert_array_equal(selector.cv_results_["eta"], [0.1, 0.5, 2.0])
    assert selector.eta_ in selector.etas_


@pytest.mark.parametrize("etas", [[], [-1.0, 1.0]])
def test_bad_radii_are_rejected(etas):
    X, y = data()
    with pytest.raises(ValueError, match="etas must be"):
        ProjectionFeatureSelectorCV(etas, cv=2).fit(X, y)


# --------------------------------------------------------------------------
# the scores and the choice

def independent_fold_scores(X, y, etas, cv):
    """Accuracy of fresh single fits at every radius on every fold."""
    scores = []
    for train, test in cv.split(X, y):
        scores.append([ProjectedLogisticRegression(eta).fit(X[train], y[train])
                       .score(X[test], y[test]) for eta in etas])
    return np.array(scores)


def test_scores_match_single_fits_and_the_refit():
    X, y = data(n_classes=3, n_informative=4)
    cv = StratifiedKFold(3)
    etas = [0.2, 0.8, 3.0]
    selector = ProjectionFeatureSelectorCV(etas, cv=cv).fit(X, y)
    expected = independent_fold_scores(X, y, etas, cv)
    results = selector.cv_results_
    for k in range(3):
        np.testing.assert_allclose(results[f"split{k}_test_score"], expected[k], atol=0.02)
    np.testing.assert_allclose(results["mean_test_score"],
                               np.mean([results[f"split{k}_test_score"] for k in range(3)],
                                       axis=0))
    best = selector.best_index_
    assert results["rank_test_score"][best] == 1
    assert results["mean_test_score"][best] == results["mean_test_score"].max()
    refit = ProjectedLogisticRegression(selector.eta_).fit(X, y)
    np.testing.assert_allclose(selector.coef_, refit.coef_)
    np.testing.assert_array_equal(selector.get_support(), refit.feature_importances_ > 0)
    np.testing.assert_array_equal(selector.predict(X), refit.predict(X))
    assert selector.transform(X).shape[1] == selector.get_support().sum()


def test_one_standard_error_rule_prefers_the_smallest_radius_within_one_error():
    X, y = data(n_samples=100, n_features=30, class_sep=0.8)
    cv = StratifiedKFold(5)
    best = ProjectionFeatureSelectorCV(n_etas=8, cv=cv).fit(X, y)
    short = ProjectionFeatureSelectorCV(n_etas=8, cv=cv, rule="one_standard_error").fit(X, y)
    np.testing.assert_array_equal(best.etas_, short.etas_)
    scores = np.array([best.cv_results_[f"split{k}_test_score"] for k in range(5)])
    means = scores.mean(axis=0)
    top = np.argmax(means)
    threshold = means[top] - scores[:, top].std() / np.sqrt(5)
    expected = min(i for i in range(8) if means[i] >= threshold)
    assert short.best_index_ == expected
    assert short.eta_ <= best.eta_
    assert short.get_support().sum() <= best.get_support().sum()


def test_scoring_is_used():
    X, y = data()
    selector = ProjectionFeatureSelectorCV(n_etas=4, cv=3, scoring="neg_log_loss").fit(X, y)
    assert np.all(selector.cv_results_["mean_test_score"] < 0)


def test_parallel_folds_give_the_same_result():
    X, y = data()
    one = ProjectionFeatureSelectorCV(n_etas=4, cv=3, n_jobs=1).fit(X, y)
    two = ProjectionFeatureSelectorCV(n_etas=4, cv=3, n_jobs=2).fit(X, y)
    np.testing.assert_array_equal(one.cv_results_["mean_test_score"],
                                  two.cv_results_["mean_test_score"])
    assert one.eta_ == two.eta_


def test_string_labels_and_a_class_missing_from_a_fold():
    X, y = data(n_classes=3, n_informative=4)
    labels = np.array(["a", "b", "c"])[y]
    # a fold without class "c" in training: the encoding is global, the model still predicts 3
    folds = [(np.flatnonzero(y != 2), np.arange(len(y))), (np.arange(len(y)), np.arange(len(y)))]
    selector = ProjectionFeatureSelectorCV(n_etas=3, cv=folds).fit(X, labels)
    np.testing.assert_array_equal(selector.classes_, ["a", "b", "c"])
    assert set(selector.predict(X)) <= {"a", "b", "c"}
    assert selector.cv_results_["split0_test_score"].max() <= 2 / 3 + 1e-12


# --------------------------------------------------------------------------
# sparse input and a distributed engine

def test_sparse_input_equals_dense():
    X, y = data(n_samples=80, n_features=15)
    X[np.abs(X) < 0.7] = 0  # a sparse pattern
    assert_sparse_fit_equals_dense(ProjectionFeatureSelectorCV(n_etas=4, cv=2), X, y,
                                   attributes=("etas_", "coef_", "feature_importances_"))


def test_search_runs_on_a_dask_cluster():
    # dask is a test-only dependency (the "test" extra of pyproject.toml)
    distributed = pytest.importorskip("distributed", reason="dask.distributed not installed")
    from joblib import parallel_config

    X, y = data()
    local = ProjectionFeatureSelectorCV(n_etas=4, cv=3, n_jobs=1).fit(X, y)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        with parallel_config(backend="dask"):
            remote = ProjectionFeatureSelectorCV(n_etas=4, cv=3, n_jobs=-1).fit(X, y)
        assert len(client.scheduler_info()["workers"]) == 2
    np.testing.assert_array_equal(remote.cv_results_["mean_test_score"],
                                  local.cv_results_["mean_test_score"])
    assert remote.eta_ == local.eta_


def test_computed_grid_refuses_data_where_no_feature_differs():
    X = np.ones((12, 3))
    y = np.array([0, 1] * 6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # no radius keeps exactly one feature
        with pytest.raises(ValueError, match="No radius keeps a feature"):
            ProjectionFeatureSelectorCV(**FAST).fit(X, y)
