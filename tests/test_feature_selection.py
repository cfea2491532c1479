"""Tests of skproj.feature_selection: the constrained logistic regression, its
path and ProjectionFeatureSelector."""

import pickle
import warnings

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import adjusted_rand_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_param_validation,
    check_set_output_transform,
    check_transformer_get_feature_names_out,
    check_transformer_get_feature_names_out_pandas,
    parametrize_with_checks,
)

from skproj import ProjectionFeatureSelector
from skproj.feature_selection import (
    ProjectedLogisticRegression,
    projected_logistic_regression,
    projection_path,
)
from skproj import _logistic
from skproj._logistic import fit_n_features
from skproj._subclasses import subclasses_at_sparsity
from skproj.projections import MATRIX_CONSTRAINTS, get_constraint, group_norms
from sparse_inputs import assert_sparse_fit_equals_dense

SELECTORS = [
    ProjectionFeatureSelector(),
    ProjectionFeatureSelector(ProjectedLogisticRegression(n_subclasses=2), eta=2.0),
    # no eta parameter: the fitted coefficients are projected after fitting
    ProjectionFeatureSelector(LogisticRegression(), eta=0.5),
]
MODELS = [ProjectedLogisticRegression(), ProjectedLogisticRegression(n_subclasses=2),
          ProjectedLogisticRegression(alpha=0.01)]


def simple_data(n_informative=4, n_samples=300, n_features=30, n_classes=2,
                random_state=3):
    X, y = make_classification(
        n_samples=n_samples, n_features=n_features, n_informative=n_informative,
        n_redundant=0, n_classes=n_classes, shuffle=False, class_sep=2.0,
        random_state=random_state)
    return StandardScaler().fit_transform(X), y


# --------------------------------------------------------------------------
# scikit-learn's estimator checks, including those it only runs on itself

@parametrize_with_checks(SELECTORS + MODELS)
def test_sklearn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


@pytest.mark.parametrize("estimator", SELECTORS + MODELS, ids=repr)
def test_sklearn_internal_checks(estimator):
    name = type(estimator).__name__
    check_param_validation(name, estimator)
    check_dataframe_column_names_consistency(name, estimator)
    if isinstance(estimator, ProjectionFeatureSelector):
        check_set_output_transform(name, estimator)
        check_transformer_get_feature_names_out(name, estimator)
        check_transformer_get_feature_names_out_pandas(name, estimator)


# --------------------------------------------------------------------------
# the solver

@pytest.mark.parametrize("projection", MATRIX_CONSTRAINTS)
@pytest.mark.parametrize("n_classes", [2, 3])
def test_solution_lies_in_the_ball(projection, n_classes):
    X, y = simple_data(n_classes=n_classes, n_informative=5)
    eta = 0.7
    model = ProjectedLogisticRegression(eta, projection=projection).fit(X, y)
    assert model.coef_.shape == (n_classes, X.shape[1])
    np.testing.assert_allclose(get_constraint(projection, eta=eta).project(model.coef_),
                               model.coef_, rtol=1e-12, atol=1e-15)
    norm = {"bilevel_l11": "l1", "bilevel_l12": "l2", "l12_ball": "l2"}.get(
        projection, "linf")
    assert group_norms(model.coef_, norm).sum() <= eta * (1 + 1e-9)
    np.testing.assert_allclose(model.feature_importances_,
                               group_norms(model.coef_, norm))


def test_large_radius_matches_unpenalized_logistic_regression():
    X, y = simple_data(n_classes=3, n_informative=3, n_features=5, random_state=0)
    X = X + 0.5 * np.random.default_rng(0).standard_normal(X.shape)  # not separable
    ours = ProjectedLogisticRegression(eta=1e3, tol=1e-9, max_iter=20000).fit(X, y)
    assert ours.feature_importances_.sum() < 1e3  # the constraint is inactive
    theirs = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10000).fit(X, y)
    np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-4)


def test_solver_function_and_warm_start():
    X, y = simple_data()
    Y = np.eye(2)[y]
    coef, intercept, n_iter = projected_logistic_regression(X, Y, 1.0, tol=1e-8)
    assert coef.shape == (2, X.shape[1]) and intercept.shape == (2,)
    warm = projected_logistic_regression(X, Y, 1.0, tol=1e-8, coef_init=coef,
                                         intercept_init=intercept)
    assert warm[2] < n_iter
    np.testing.assert_allclose(warm[0], coef, atol=1e-6)


def test_ridge_term_matches_l2_logistic_regression():
    # A radius that does not bind: the model is LogisticRegression's l2 one,
    # whose penalty 1 / (2 C) ||W||^2 on the summed loss is alpha = 1 / (C n).
    X, y = simple_data(n_classes=3, n_informative=3, n_features=8, random_state=0)
    X = X + 0.5 * np.random.default_rng(0).standard_normal(X.shape)
    for C in (0.01, 1.0):
        ours = ProjectedLogisticRegression(eta=1e6, alpha=1 / (C * X.shape[0]), tol=1e-12,
                                           max_iter=50000).fit(X, y)
        theirs = LogisticRegression(C=C, tol=1e-12, max_iter=10000).fit(X, y)
        np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-5)
        np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-5)


def test_ridge_term_shrinks_the_coefficients_inside_the_ball():
    X, y = simple_data(n_classes=3, n_informative=5)
    plain = ProjectedLogisticRegression(eta=0.7, tol=1e-8).fit(X, y)
    ridge = ProjectedLogisticRegression(eta=0.7, alpha=0.1, tol=1e-8).fit(X, y)
    assert np.linalg.norm(ridge.coef_) < np.linalg.norm(plain.coef_)
    # and it is the minimum of the penalized objective: no point of the ball nearby is lower
    Y = np.eye(3)[y]

    def objective(W, b):
        loss, _ = _logistic._loss_and_residual(X @ W.T + b, Y)
        return loss + _logistic._penalty(W, 0.1)

    best = objective(ridge.coef_, ridge.intercept_)
    project = get_constraint("bilevel_l1inf", eta=0.7, axis=0, matrix=True).project
    rng = np.random.default_rng(0)
    for _ in range(20):
        W = project(ridge.coef_ + 1e-3 * rng.standard_normal(ridge.coef_.shape))
        assert objective(W, ridge.intercept_) >= best - 1e-10


@pytest.mark.parametrize("projection", MATRIX_CONSTRAINTS)
@pytest.mark.parametrize("sparse_format", [None, "csr"])
@pytest.mark.parametrize("alpha", [0.0, 0.05])
def test_working_sets_reach_the_solution_on_all_features(projection, sparse_format, alpha,
                                                          monkeypatch):
    # Wide data and a small radius: the solver iterates on a few columns and
    # checks the rest; forcing one set of every feature gives the same model
    # (with the ridge term too: a zeroed feature adds nothing to it).
    X, y = simple_data(n_informative=5, n_samples=80, n_features=400, n_classes=3)
    if sparse_format:
        X = sp.csr_matrix(np.where(np.abs(X) > 0.8, X, 0.0))
    Y = np.eye(3)[y]
    widths = []
    solver = _logistic._Fista

    def recording(X_set, *args):
        widths.append(X_set.shape[1])
        return solver(X_set, *args)

    monkeypatch.setattr(_logistic, "_Fista", recording)
    coef, intercept, _ = projected_logistic_regression(X, Y, 0.5, projection=projection,
                                                       alpha=alpha, tol=1e-10, max_iter=20000)
    assert max(widths) < X.shape[1] // 2  # it never needed every column
    monkeypatch.setattr(_logistic, "_grown_working_set",
                        lambda working_set, wanted, step: np.arange(step.shape[1]))
    widths.clear()
    full = projected_logistic_regression(X, Y, 0.5, projection=projection, alpha=alpha,
                                         tol=1e-10, max_iter=20000)
    assert widths == [X.shape[1]]
    np.testing.assert_array_equal(np.any(coef != 0, axis=0), np.any(full[0] != 0, axis=0))
    np.testing.assert_allclose(coef, full[0], atol=1e-6)
    np.testing.assert_allclose(intercept, full[1], atol=1e-6)


def test_convergence_warning():
    X, y = simple_data()
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        ProjectedLogisticRegression(tol=0.0, max_iter=2).fit(X, y)


@pytest.mark.parametrize("n_subclasses", [1, 2])
def test_fits_are_deterministic(n_subclasses):
    X, y = simple_data()
    first = ProjectedLogisticRegression(2.0, n_subclasses=n_subclasses).fit(X, y)
    second = ProjectedLogisticRegression(2.0, n_subclasses=n_subclasses).fit(X, y)
    np.testing.assert_array_equal(first.coef_, second.coef_)
    np.testing.assert_array_equal(first.intercept_, second.intercept_)


def test_subclasses_find_a_feature_without_linear_signal():
    # Feature 2 separates the two clusters of each class but not the class
    # means (F statistic 0.2): the model of the classes only takes it with
    # noise features, the sub-class model takes exactly the informative ones.
    X, y = simple_data(n_samples=400, random_state=2)
    informative = np.arange(X.shape[1]) < 4
    etas = [0.5, 1, 2, 4, 8]
    plain = projection_path(X, y, etas).supports
    assert not any(np.array_equal(s, informative) for s in plain)
    mixture = projection_path(X, y, etas, n_subclasses=2)
    assert any(np.array_equal(s, informative) for s in mixture.supports)
    assert mixture.coefs.shape == (5, 4, X.shape[1])
    model = ProjectedLogisticRegression(4.0, n_subclasses=2).fit(X, y)
    assert model.coef_.shape == (4, X.shape[1])
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert model.score(X, y) > 0.8


def test_subclasses_at_sparsity_recover_the_clusters():
    # The same data: two clusters per class, in blocks of 100 samples.
    X, y = simple_data(n_samples=400, random_state=2)
    clusters = np.arange(400) // 100
    labels = subclasses_at_sparsity(X, y, 2, 2, 4)
    np.testing.assert_array_equal(labels // 2, y)
    assert adjusted_rand_score(clusters, labels) > 0.95
    np.testing.assert_array_equal(labels, subclasses_at_sparsity(X, y, 2, 2, 4))
    # not from feature_selection: the autoencoder and the selector share it from below
    assert subclasses_at_sparsity.__module__ == "skproj._subclasses"
    # with every feature the Gaussian mixtures see the noise too and do worse
    assert adjusted_rand_score(clusters, subclasses_at_sparsity(X, y, 2, 2, 30)) < 0.9


# --------------------------------------------------------------------------
# the radius search: a radius that keeps an exact number of features

@pytest.mark.parametrize("projection", MATRIX_CONSTRAINTS)
@pytest.mark.parametrize("n_features", [1, 3, 12, 30])
@pytest.mark.parametrize("alpha", [0.0, 0.01])
def test_radius_search_keeps_exactly_n_features(projection, n_features, alpha):
    X, y = simple_data(n_classes=3, n_informative=6, n_features=40, n_samples=150)
    coef, intercept, eta, _, subclasses = fit_n_features(
        X, y, 3, n_features, projection=projection, alpha=alpha)
    assert subclasses is None
    assert np.count_nonzero(np.any(coef != 0, axis=0)) == n_features
    # the radius found is the model's: a fresh fit there keeps the same features
    model = ProjectedLogisticRegression(eta, projection=projection, alpha=alpha, tol=1e-8,
                                        max_iter=5000).fit(X, y)
    assert np.count_nonzero(model.feature_importances_) == n_features


def test_radius_search_with_subclasses_keeps_exactly_n_features():
    X, y = simple_data(n_samples=400, random_state=2)
    coef, _, _, _, subclasses = fit_n_features(X, y, 2, 4, n_subclasses=2)
    assert coef.shape == (4, X.shape[1])
    assert np.count_nonzero(np.any(coef != 0, axis=0)) == 4
    np.testing.assert_array_equal(subclasses // 2, y)


def test_radius_search_warns_when_ties_forbid_the_count():
    # every column twice: twins enter the model together, so 2 features, never 1
    X, y = simple_data(n_informative=2, n_features=5)
    X = np.hstack([X, X])
    with pytest.warns(UserWarning, match="keeps exactly 1 feature "):
        coef, *_ = fit_n_features(X, y, 2, 1)
    assert np.count_nonzero(np.any(coef != 0, axis=0)) == 2


# --------------------------------------------------------------------------
# the path

def test_projection_path_matches_single_fits():
    X, y = simple_data(n_classes=3, n_informative=5)
    etas = [3.0, 0.1, 1.0]
    path = projection_path(X, y, etas, tol=1e-8)
    np.testing.assert_array_equal(path.etas, [0.1, 1.0, 3.0])
    assert path.coefs.shape == (3, 3, X.shape[1])
    assert path.intercepts.shape == (3, 3)
    assert path.supports.shape == (3, X.shape[1])
    np.testing.assert_array_equal(path.classes, [0, 1, 2])
    for eta, support, coef in zip(path.etas, path.supports, path.coefs):
        single = ProjectedLogisticRegression(eta, tol=1e-8).fit(X, y)
        np.testing.assert_array_equal(single.feature_importances_ > 0, support)
        np.testing.assert_allclose(single.coef_, coef, atol=1e-5)


def test_projection_path_rejects_negative_radii():
    X, y = simple_data()
    with pytest.raises(ValueError, match="etas must be >= 0"):
        projection_path(X, y, [-1.0, 1.0])


# --------------------------------------------------------------------------
# the selector

def test_selection_is_monotone_in_eta():
    X, y = simple_data(random_state=3)
    supports = [ProjectionFeatureSelector(eta=eta).fit(X, y).get_support()
                for eta in [0.05, 0.2, 0.5, 1.0, 2.0, 5.0, 20.0]]
    counts = [s.sum() for s in supports]
    assert counts[0] >= 1 and counts[-1] > 4
    assert np.all(np.diff(counts) >= 0)
    for smaller, larger in zip(supports[:-1], supports[1:-1]):  # up to eta=5
        assert np.all(larger[smaller]), "a feature dropped out as eta grew"
    assert supports[3][:4].all() and supports[3].sum() == 4


def test_warns_clearly_when_nothing_is_selected():
    X, y = simple_data()
    with pytest.warns(UserWarning, match=r"No feature was selected .*eta=0"):
        selector = ProjectionFeatureSelector(eta=0).fit(X, y)
    with pytest.warns(UserWarning, match="No features were selected"):
        assert selector.transform(X).shape == (X.shape[0], 0)
    with pytest.warns(UserWarning, match="lower threshold"):
        ProjectionFeatureSelector(threshold=1e9).fit(X, y)


def test_fitted_attributes_and_transform():
    X, y = simple_data()
    selector = ProjectionFeatureSelector(eta=1.0).fit(X, y)
    support = selector.get_support()
    assert selector.n_features_in_ == X.shape[1]
    assert isinstance(selector.estimator_, ProjectedLogisticRegression)
    assert selector.estimator_.eta == 1.0 and selector.n_iter_ >= 1
    np.testing.assert_array_equal(selector.coef_, selector.estimator_.coef_)
    np.testing.assert_array_equal(support, selector.feature_importances_ > 0)
    Xt = selector.transform(X)
    np.testing.assert_array_equal(Xt, X[:, support])
    back = selector.inverse_transform(Xt)
    np.testing.assert_array_equal(back[:, support], Xt)
    assert not back[:, ~support].any()
    np.testing.assert_array_equal(selector.get_feature_names_out(),
                                  [f"x{j}" for j in np.flatnonzero(support)])
    np.testing.assert_array_equal(selector.predict(X), selector.estimator_.predict(X))
    assert selector.score(X, y) == selector.estimator_.score(X, y)
    np.testing.assert_array_equal(selector.classes_, [0, 1])


def test_pandas_output_and_feature_names():
    pd = pytest.importorskip("pandas")
    X, y = simple_data()
    frame = pd.DataFrame(X, columns=[f"gene_{j}" for j in range(X.shape[1])])
    selector = ProjectionFeatureSelector(eta=1.0).set_output(transform="pandas")
    out = selector.fit(frame, y).transform(frame)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(selector.get_feature_names_out())
    assert list(out.columns) == [f"gene_{j}" for j in range(4)]
    np.testing.assert_array_equal(selector.feature_names_in_, frame.columns)


def test_max_features_and_threshold():
    X, y = simple_data()
    selector = ProjectionFeatureSelector(eta=5.0).fit(X, y)
    importances = selector.feature_importances_
    capped = ProjectionFeatureSelector(eta=5.0, max_features=3).fit(X, y)
    assert capped.get_support().sum() == 3 and capped.max_features_ == 3
    top = np.argsort(-importances, kind="stable")[:3]
    np.testing.assert_array_equal(np.flatnonzero(capped.get_support()), np.sort(top))
    by_callable = ProjectionFeatureSelector(eta=5.0, max_features=lambda X: 2).fit(X, y)
    assert by_callable.get_support().sum() == 2
    mean = ProjectionFeatureSelector(eta=5.0, threshold="mean").fit(X, y)
    assert mean.threshold_ == pytest.approx(importances.mean())
    np.testing.assert_array_equal(mean.get_support(), importances >= importances.mean())
    scaled = ProjectionFeatureSelector(eta=5.0, threshold="0.5*median").fit(X, y)
    assert scaled.threshold_ == pytest.approx(0.5 * np.median(importances))
    with pytest.raises(ValueError, match="threshold"):
        ProjectionFeatureSelector(threshold="max").fit(X, y)


@pytest.mark.parametrize("projection", MATRIX_CONSTRAINTS)
def test_every_matrix_projection_is_accepted(projection):
    X, y = simple_data()
    selector = ProjectionFeatureSelector(eta=1.0, projection=projection).fit(X, y)
    assert selector.estimator_.projection == projection
    assert 1 <= selector.get_support().sum() < X.shape[1]


def test_unknown_projection_is_rejected_with_the_list():
    X, y = simple_data()
    with pytest.raises(ValueError, match="bilevel_l1inf"):
        ProjectionFeatureSelector(projection="l0_ball").fit(X, y)


def test_estimator_without_eta_is_projected_after_fitting():
    X, y = simple_data()
    selector = ProjectionFeatureSelector(LogisticRegression(), eta=0.5).fit(X, y)
    raw = selector.estimator_.coef_
    np.testing.assert_array_equal(selector.coef_, get_constraint("bilevel_l1inf", eta=0.5).project(raw))
    assert np.abs(selector.coef_).max(axis=0).sum() <= 0.5 * (1 + 1e-9)
    assert 1 <= selector.get_support().sum() < X.shape[1]

    forest = ProjectionFeatureSelector(
        RandomForestClassifier(n_estimators=10, random_state=0), eta=0.3).fit(X, y)
    assert forest.coef_.shape == (1, X.shape[1])
    assert forest.get_support()[:4].sum() >= 2

    getter = ProjectionFeatureSelector(LogisticRegression(), eta=0.5,
                                       importance_getter=lambda m: m.coef_).fit(X, y)
    np.testing.assert_array_equal(getter.get_support(), selector.get_support())
    by_name = ProjectionFeatureSelector(LogisticRegression(), eta=0.5,
                                        importance_getter="coef_").fit(X, y)
    np.testing.assert_array_equal(by_name.get_support(), selector.get_support())


# --------------------------------------------------------------------------
# in scikit-learn's machinery

@pytest.mark.parametrize("n_jobs", [1, 2])
def test_pipeline_grid_search_over_eta(n_jobs):
    X, y = simple_data(n_samples=200, n_features=60)
    pipe = Pipeline([("scale", StandardScaler()),
                     ("select", ProjectionFeatureSelector()), ("svc", SVC())])
    search = GridSearchCV(pipe, {"select__eta": [0.05, 0.3, 1.0, 3.0]},
                          cv=StratifiedKFold(3), n_jobs=n_jobs).fit(X, y)
    assert search.best_params_["select__eta"] in (0.3, 1.0)
    support = search.best_estimator_["select"].get_support()
    assert support[:4].sum() >= 3 and support.sum() <= 6
    assert search.best_score_ > 0.85


def test_grid_search_on_the_selector_alone():
    X, y = simple_data()
    search = GridSearchCV(ProjectionFeatureSelector(), {"eta": [0.01, 0.3, 3.0]},
                          cv=3).fit(X, y)  # a classifier's selector: stratified folds
    assert search.best_params_["eta"] != 0.01 and search.best_score_ > 0.85
    assert search.predict(X).shape == y.shape
    assert search.best_estimator_.transform(X).shape[1] >= 1


def test_pickle_round_trip():
    X, y = simple_data()
    selector = ProjectionFeatureSelector(
        ProjectedLogisticRegression(n_subclasses=2), eta=2.0).fit(X, y)
    loaded = pickle.loads(pickle.dumps(selector))
    np.testing.assert_array_equal(loaded.transform(X), selector.transform(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), selector.predict_proba(X))


def test_float32_stays_float32():
    X, y = simple_data()
    X32 = X.astype(np.float32)
    selector = ProjectionFeatureSelector(eta=1.0).fit(X32, y)
    assert selector.transform(X32).dtype == np.float32
    assert selector.coef_.dtype == np.float32
    assert selector.estimator_.intercept_.dtype == np.float32
    reference = ProjectionFeatureSelector(eta=1.0).fit(X, y)
    np.testing.assert_array_equal(selector.get_support(), reference.get_support())
    np.testing.assert_allclose(selector.coef_, reference.coef_, atol=1e-3)


def test_read_only_memmap_input(tmp_path):
    X, y = simple_data()
    joblib.dump(X, tmp_path / "X.joblib")
    X_memmap = joblib.load(tmp_path / "X.joblib", mmap_mode="r")
    assert not X_memmap.flags.writeable
    selector = ProjectionFeatureSelector(
        ProjectedLogisticRegression(n_subclasses=2), eta=2.0).fit(X_memmap, y)
    reference = clone(selector).fit(X, y)
    np.testing.assert_array_equal(selector.coef_, reference.coef_)
    np.testing.assert_array_equal(selector.transform(X_memmap), reference.transform(X))


def test_string_class_labels():
    X, y = simple_data(n_classes=3, n_informative=5)
    names = np.array(["tumour", "normal", "unknown"])[y]
    selector = ProjectionFeatureSelector(eta=1.0).fit(X, names)
    np.testing.assert_array_equal(selector.classes_, ["normal", "tumour", "unknown"])
    predicted = selector.predict(X)
    assert predicted.dtype == names.dtype and set(predicted) <= set(names)
    assert np.mean(predicted == names) > 0.7
    reference = ProjectionFeatureSelector(eta=1.0).fit(X, y)
    np.testing.assert_array_equal(selector.get_support(), reference.get_support())


def test_multiclass_selection():
    X, y = simple_data(n_classes=4, n_informative=6, n_samples=400, n_features=40,
                       random_state=1)
    selector = ProjectionFeatureSelector(eta=4.0).fit(X, y)
    assert selector.coef_.shape == (4, 40)
    support = selector.get_support()
    assert support[:6].sum() >= 5 and support[6:].sum() <= 1
    assert selector.predict_proba(X).shape == (400, 4)
    assert selector.decision_function(X).shape == (400, 4)
    assert make_pipeline(ProjectionFeatureSelector(eta=4.0), SVC()).fit(X, y).score(X, y) > 0.8


# --------------------------------------------------------------------------
# n_features_to_select: an exact number of features

@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("n_features_to_select", [1, 4, 11, 0.2])
def test_n_features_to_select_is_exact(n_classes, n_features_to_select):
    X, y = simple_data(n_classes=n_classes, n_informative=5)
    selector = ProjectionFeatureSelector(n_features_to_select=n_features_to_select).fit(X, y)
    expected = n_features_to_select if n_features_to_select >= 1 else 6  # 0.2 * 30
    assert selector.get_support().sum() == expected
    assert selector.transform(X).shape == (X.shape[0], expected)
    # the radius found is reported, and the model there is the one the selector kept
    assert selector.eta_ == selector.estimator_.eta_ != selector.eta
    np.testing.assert_array_equal(selector.get_support(),
                                  selector.estimator_.feature_importances_ > 0)
    assert group_norms(selector.coef_, "linf").sum() <= selector.eta_ * (1 + 1e-9)


@pytest.mark.parametrize("max_iter, reason", [
    (1000, "ties in the data"),
    (3, "fits stopped at max_iter=3 before converging: increase max_iter"),
])
def test_n_features_to_select_out_of_reach_warns_why_and_keeps_the_closest(max_iter, reason):
    # every feature twice: ties make the counts go by twos, so 3 is out of reach
    X, y = simple_data(n_features=5, n_informative=3)
    X = np.repeat(X, 2, axis=1)
    model = ProjectedLogisticRegression(n_features_to_select=3, max_iter=max_iter)
    with pytest.warns(UserWarning, match=f"keeps exactly 3 features \\({reason}") as record:
        model.fit(X, y)
    # the model kept is the closest the warning names, above the target
    kept = np.count_nonzero(model.feature_importances_)
    message = next(str(w.message) for w in record if "closest keeps" in str(w.message))
    assert f"the closest keeps {kept} features" in message
    assert kept == 4 if max_iter == 1000 else kept > 3


def test_n_features_to_select_with_subclasses():
    X, y = simple_data(n_samples=400, random_state=2)
    model = ProjectedLogisticRegression(n_subclasses=2, n_features_to_select=4).fit(X, y)
    assert np.count_nonzero(model.feature_importances_) == 4
    assert model.coef_.shape == (4, X.shape[1])


def test_n_features_to_select_on_a_model_without_eta_keeps_its_top_features():
    X, y = simple_data(n_classes=3, n_informative=5)
    selector = ProjectionFeatureSelector(LogisticRegression(), n_features_to_select=5).fit(X, y)
    # the bi-level l1,inf projection keeps the columns of largest max-norm
    coef = LogisticRegression().fit(X, y).coef_
    top = np.sort(np.argsort(-np.abs(coef).max(axis=0))[:5])
    np.testing.assert_array_equal(np.flatnonzero(selector.get_support()), top)


class EtaOnlyModel(LogisticRegression):
    """A constrained-looking model with eta but no radius search."""

    def __init__(self, eta=1.0):
        super().__init__()
        self.eta = eta


def test_n_features_to_select_on_a_model_that_cannot_search_is_rejected():
    X, y = simple_data()
    with pytest.raises(ValueError, match="n_features_to_select needs a model"):
        ProjectionFeatureSelector(EtaOnlyModel(), n_features_to_select=3).fit(X, y)


class SearchWithoutRadius(ProjectedLogisticRegression):
    """A model that searches its radius but does not report it (no eta_)."""

    def fit(self, X, y):
        super().fit(X, y)
        del self.eta_
        return self


def test_n_features_to_select_with_a_model_that_does_not_report_its_radius():
    X, y = simple_data()
    selector = ProjectionFeatureSelector(SearchWithoutRadius(), n_features_to_select=4).fit(X, y)
    assert selector.get_support().sum() == 4
    np.testing.assert_allclose(selector.eta_, group_norms(selector.coef_, "linf").sum())


@pytest.mark.parametrize("bad", [0, 1.5, 31, -0.1])
def test_n_features_to_select_out_of_range_is_rejected(bad):
    X, y = simple_data()
    with pytest.raises(ValueError, match="n_features_to_select"):
        ProjectionFeatureSelector(n_features_to_select=bad).fit(X, y)


# --------------------------------------------------------------------------
# sparse input

def sparse_counts(n_samples=120, n_features=25, random_state=0):
    """Counts with a planted signal on the first 3 features, scaled without centering."""
    rng = np.random.default_rng(random_state)
    y = rng.integers(0, 2, n_samples)
    rates = np.full((n_samples, n_features), 0.3)
    rates[:, :3] += 1.5 * y[:, None]
    X = rng.poisson(rates).astype(np.float64)
    return X / X.std(axis=0), y


@pytest.mark.parametrize("estimator", [
    ProjectedLogisticRegression(),
    ProjectedLogisticRegression(n_subclasses=2, eta=2.0),
    ProjectedLogisticRegression(n_features_to_select=4),
    ProjectionFeatureSelector(),
    ProjectionFeatureSelector(n_features_to_select=5, projection="l1inf_ball"),
], ids=repr)
def test_sparse_input_equals_dense(estimator):
    X, y = sparse_counts()
    assert np.mean(X == 0) > 0.5
    assert_sparse_fit_equals_dense(estimator, X, y)


def test_sparse_input_is_not_densified(monkeypatch):
    from scipy import sparse

    X, y = sparse_counts()
    X_sparse = sparse.csr_matrix(X)

    def refuse(*args, **kwargs):
        raise AssertionError("the sparse matrix was densified")

    monkeypatch.setattr(type(X_sparse), "toarray", refuse)
    monkeypatch.setattr(type(X_sparse), "todense", refuse)
    selector = ProjectionFeatureSelector().fit(X_sparse, y)
    assert selector.get_support()[:3].all()
    assert sparse.issparse(selector.transform(X_sparse))


def test_float32_fit_keeps_a_finite_step():
    # float32 losses are exact to ~1e-7 only: the backtracking must not chase
    # rounding noise near the solution until L overflows (0 * inf = nan)
    rng = np.random.default_rng(0)
    y = np.arange(90) % 3
    X = rng.poisson(0.3, (90, 15)).astype(np.float32)
    X[np.arange(90), y] += 4
    X /= X.std(axis=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for eta in (0.3, 1.0):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model = ProjectedLogisticRegression(eta, tol=0.0, max_iter=300).fit(X, y)
            assert model.coef_.dtype == np.float32 and np.all(np.isfinite(model.coef_))


def test_assign_subclasses_keeps_the_split_of_a_class_too_small_for_covariances():
    from skproj._mixture import assign_subclasses

    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 12))
    y = np.zeros(40, dtype=int)
    y[:5] = 1  # a class of 5 samples on 12 features
    X[:5] = 3.0  # and constant there: no covariance can be estimated
    labels = assign_subclasses(X, y, 2, 2, np.ones(12, dtype=bool))
    assert set(labels[:5]) <= {2, 3} and set(labels[5:]) <= {0, 1}
    assert np.all(np.isfinite(labels))
