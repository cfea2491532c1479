"""Tests of skproj.decomposition.SparseNMF (gspNMF)."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_param_validation,
    check_set_output_transform,
    check_transformer_get_feature_names_out,
    parametrize_with_checks,
)

from skproj.decomposition import SparseNMF, sparse_nmf
from skproj.decomposition._hals import add_clip_negative, extrapolate, hals_sweeps, nnls_rows
from skproj.decomposition._sparse_nmf import _accelerated_sweeps, _hals_update
from skproj.projections import hoyer_sparsity

ESTIMATORS = [SparseNMF(max_iter=50), SparseNMF(sparse_factor="W", max_iter=50)]


def _expected_failures(estimator):
    if estimator.sparse_factor == "W":
        return {"check_methods_subset_invariance":
                "the average sparsity of W's columns couples the samples (see Notes)"}
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failures)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_sklearn_internal_checks(estimator):
    name = type(estimator).__name__
    check_param_validation(name, estimator)
    check_dataframe_column_names_consistency(name, estimator)
    check_set_output_transform(name, estimator)
    check_transformer_get_feature_names_out(name, estimator)


def planted(n_samples=120, n_features=60, n_components=5, density=0.3, seed=0):
    """X = W H with a sparse non-negative H (the parts)."""
    rng = np.random.default_rng(seed)
    W = np.abs(rng.standard_normal((n_samples, n_components)))
    H = np.abs(rng.standard_normal((n_components, n_features)))
    H *= rng.uniform(size=H.shape) < density
    return W @ H, W, H


@pytest.mark.parametrize("sparse_factor", ["H", "W"])
@pytest.mark.parametrize("sparsity", [0.3, 0.6, 0.85])
def test_target_sparsity_is_met(sparse_factor, sparsity):
    X, _, _ = planted()
    model = SparseNMF(5, sparsity=sparsity, sparse_factor=sparse_factor, max_iter=60,
                      random_state=0)
    W = model.fit_transform(X)
    constrained, axis = (model.components_, 1) if sparse_factor == "H" else (W, 0)
    assert hoyer_sparsity(constrained, axis=axis)[1] >= sparsity - 1e-6
    assert model.sparsity_ == pytest.approx(hoyer_sparsity(constrained, axis=axis)[1])
    assert (W >= 0).all() and (model.components_ >= 0).all()
    np.testing.assert_allclose(model.reconstruction_err_,
                               np.linalg.norm(X - W @ model.components_), rtol=1e-6)


def test_recovers_planted_sparse_parts():
    X, _, H_true = planted(seed=1)
    target = hoyer_sparsity(H_true, axis=1)[1]
    model = SparseNMF(5, sparsity=target, max_iter=300, tol=1e-7, random_state=0).fit(X)
    relative_error = model.reconstruction_err_ / np.linalg.norm(X)
    assert relative_error < 0.05
    # Each true part is matched by a learnt one (cosine similarity).
    unit = lambda M: M / np.linalg.norm(M, axis=1, keepdims=True)  # noqa: E731
    similarity = unit(H_true) @ unit(model.components_).T
    assert similarity.max(axis=1).min() > 0.9


@pytest.mark.parametrize("sparse_factor", ["H", "W"])
def test_sparse_input_gives_the_dense_result(sparse_factor):
    X, _, _ = planted()
    X[X < np.quantile(X, 0.3)] = 0
    params = dict(sparsity=0.5, sparse_factor=sparse_factor, max_iter=30, random_state=0)
    dense = SparseNMF(4, **params).fit(X)
    for fmt in (sp.csr_matrix, sp.csc_matrix, sp.csr_array):
        sparse = SparseNMF(4, **params).fit(fmt(X))
        np.testing.assert_allclose(sparse.components_, dense.components_, rtol=1e-6,
                                   atol=1e-9)
        np.testing.assert_allclose(sparse.transform(fmt(X)), dense.transform(X), rtol=1e-6,
                                   atol=1e-9)


@pytest.mark.parametrize("sparse_factor", ["H", "W"])
def test_rounding_noise_does_not_move_the_result(sparse_factor):
    """The NNDSVD start fills the zeros of the singular vectors' positive parts; where a
    column of X is zero those entries are rounding noise of either sign, and a change of
    X in its last bits (another BLAS, the sparse path's order of sums) moved H's start by
    0.9 and the fitted components by 0.2.  Now the noise is cut before the fill."""
    X, _, _ = planted()
    X[X < np.quantile(X, 0.3)] = 0
    assert np.any(X.sum(axis=0) == 0)  # the case: columns of zeros
    noisy = X * (1 + 1e-15 * np.random.default_rng(1).standard_normal(X.shape))
    params = dict(sparsity=0.5, sparse_factor=sparse_factor, max_iter=30, random_state=0)
    a, b = SparseNMF(4, **params).fit(X), SparseNMF(4, **params).fit(noisy)
    np.testing.assert_allclose(a.components_, b.components_, rtol=0, atol=1e-10)


def test_negative_input_is_refused():
    X = np.ones((5, 4))
    X[1, 2] = -1
    with pytest.raises(ValueError, match="Negative values in data passed to SparseNMF"):
        SparseNMF(2).fit(X)


def test_transform_and_inverse_transform():
    X, _, _ = planted()
    model = SparseNMF(5, sparsity=0.5, max_iter=80, random_state=0)
    W = model.fit_transform(X)
    np.testing.assert_allclose(model.transform(X), W, atol=1e-3 * np.abs(W).max())
    np.testing.assert_allclose(model.inverse_transform(W), W @ model.components_)
    assert model.get_feature_names_out().tolist() == [f"sparsenmf{i}" for i in range(5)]


@pytest.mark.parametrize("sparse_factor", ["H", "W"])
def test_fit_transform_is_transform(sparse_factor):
    """W of fit_transform is what transform computes from components_ (the
    least-squares stage is exact, so both start the constrained stage alike)."""
    X, _, _ = planted()
    model = SparseNMF(5, sparsity=0.6, sparse_factor=sparse_factor, max_iter=40,
                      random_state=0)
    W = model.fit_transform(X)
    np.testing.assert_allclose(model.transform(X), W, rtol=1e-7, atol=1e-9 * np.abs(W).max())


def test_transform_is_least_squares_when_it_meets_the_target():
    """With sparse_factor="W", a least-squares W that meets the target is the
    answer: transform returns it."""
    from scipy.optimize import nnls

    X, _, _ = planted()
    model = SparseNMF(5, sparsity=0.0, sparse_factor="W", max_iter=40, random_state=0).fit(X)
    expected = np.array([nnls(model.components_.T, x)[0] for x in X])
    np.testing.assert_allclose(model.transform(X), expected, rtol=1e-8,
                               atol=1e-10 * np.abs(expected).max())


def test_float32_is_preserved_and_sparsity_zero_is_plain_nmf():
    X, _, _ = planted()
    model = SparseNMF(5, sparsity=0.0, max_iter=200, random_state=0)
    W = model.fit_transform(X.astype(np.float32))
    assert W.dtype == np.float32 and model.components_.dtype == np.float32
    assert model.reconstruction_err_ / np.linalg.norm(X) < 0.01


def test_solver_keeps_the_unconstrained_factor_when_asked():
    X, W_true, H_true = planted()
    H = H_true.copy()
    W = np.abs(np.random.default_rng(0).standard_normal(W_true.shape))
    W_out, H_out, _, _ = sparse_nmf(X, W, H, sparsity=0.5, sparse_factor="W",
                                    update_other=False, max_iter=20)
    np.testing.assert_array_equal(H_out, H_true)
    assert hoyer_sparsity(W_out, axis=0)[1] >= 0.5 - 1e-6


@pytest.mark.parametrize("sparse_factor", ["H", "W"])
@pytest.mark.parametrize("max_iter", [7, 10, 400])
def test_solver_error_is_the_error_of_its_factors(sparse_factor, max_iter):
    # The solver measures the error from the products of its last step (at
    # iterations 1, 10, 20, ...), or from scratch when it ends between those.
    X, _, _ = planted()
    rng = np.random.default_rng(0)
    W, H = np.abs(rng.standard_normal((X.shape[0], 4))), np.abs(rng.standard_normal((4, X.shape[1])))
    W, H, n_iter, error = sparse_nmf(X, W, H, sparsity=0.6, sparse_factor=sparse_factor,
                                     max_iter=max_iter)
    assert n_iter <= max_iter
    np.testing.assert_allclose(error, np.linalg.norm(X - W @ H), rtol=1e-9)


def test_hals_kernel_is_the_column_by_column_update():
    rng = np.random.default_rng(0)
    W = np.abs(rng.standard_normal((30, 4)))
    H = np.abs(rng.standard_normal((4, 12)))
    X = np.abs(rng.standard_normal((30, 12)))
    XHt, HHt = X @ H.T, H @ H.T
    expected = W.copy()
    for _ in range(3):
        for j in range(4):
            expected[:, j] = np.maximum(expected[:, j]
                                        + (XHt[:, j] - expected @ HHt[:, j]) / HHt[j, j], 0)
    W_fortran = np.asfortranarray(W)
    hals_sweeps(W_fortran, np.asfortranarray(XHt), HHt, 3)
    np.testing.assert_allclose(W_fortran, expected, rtol=1e-12, atol=1e-14)
    # H H^T with strides (every other row and column of a larger matrix).
    HHt_apart = np.full((8, 8), np.nan)
    HHt_apart[::2, ::2] = HHt
    W_fortran = np.asfortranarray(W)
    hals_sweeps(W_fortran, np.asfortranarray(XHt), HHt_apart[::2, ::2], 3)
    np.testing.assert_allclose(W_fortran, expected, rtol=1e-12, atol=1e-14)
    for W_order in (np.ascontiguousarray(W), np.asfortranarray(W)):
        np.testing.assert_allclose(_hals_update(W_order, XHt, HHt, 3), expected,
                                   rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(W_order, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("shrink", [0.0, 0.05, 0.3, 1.0])
def test_hals_kernel_stops_once_a_sweep_moves_little(seed, shrink):
    """Accelerated HALS: sweeps until one changes W by at most ``shrink``
    times the first sweep's change (Frobenius norms), at most ``n_sweeps``."""
    rng = np.random.default_rng(seed)
    W = np.abs(rng.standard_normal((25, 5)))
    H = np.abs(rng.standard_normal((5, 9))) * (rng.uniform(size=(5, 9)) < 0.7)
    X = np.abs(rng.standard_normal((25, 9)))
    XHt, HHt = X @ H.T, H @ H.T
    expected, changes = W.copy(), []
    while len(changes) < 8 and (len(changes) < 2 or changes[-1] > shrink * changes[0]):
        before = expected.copy()
        for j in range(5):
            if HHt[j, j] > 0:
                expected[:, j] = np.maximum(expected[:, j]
                                            + (XHt[:, j] - expected @ HHt[:, j]) / HHt[j, j], 0)
        changes.append(np.linalg.norm(expected - before))
    W_fortran = np.asfortranarray(W)
    assert hals_sweeps(W_fortran, np.asfortranarray(XHt), HHt, 8, shrink) == len(changes)
    np.testing.assert_allclose(W_fortran, expected, rtol=1e-10, atol=1e-13)
    if shrink == 0.0:
        assert len(changes) == 8


@pytest.mark.parametrize("shape", [(0, 5), (25, 0), (0, 0)])
def test_hals_kernel_counts_an_empty_w_by_the_same_rule(shape):
    """The sweeps of an empty W change nothing, as those of a W whose every
    column is skipped (B_jj = 0): both stop by the rule, after a first sweep and
    a second whose change (0) is at most ``shrink`` times the first's; never a
    negative count (-1 means no memory, and the caller raises MemoryError)."""
    rng = np.random.default_rng(0)
    n, k = shape
    H = np.abs(rng.standard_normal((k, 9)))
    still = np.asfortranarray(np.abs(rng.standard_normal((25, 5))))
    for n_sweeps in (-1, 0, 1, 2, 3, 8):
        for shrink in (0.0, 0.3, 1.0):
            expected = hals_sweeps(still, np.asfortranarray(np.ones((25, 5))),
                                   np.zeros((5, 5)), n_sweeps, shrink)
            assert expected == max(0, min(n_sweeps, 2))
            empty = np.zeros(shape, order="F")
            assert hals_sweeps(empty, np.zeros(shape, order="F"), H @ H.T, n_sweeps,
                               shrink) == expected
    W = np.zeros(shape)
    assert _hals_update(W, np.zeros(shape), H @ H.T, -1, 0.1) is W


def test_accelerated_sweeps_follow_gillis_glineur():
    """1 + floor(alpha rho), rho = 1 + floor((K + q r) / (p (r + 1))), alpha = 1/2."""
    X = np.ones((600, 100))
    assert _accelerated_sweeps(X, 600, 10) == 1 + (1 + (60000 + 1000) // 6600) // 2   # 6
    assert _accelerated_sweeps(X, 100, 10) == 1 + (1 + (60000 + 6000) // 1100) // 2   # 31
    X_sparse = sp.random(600, 100, density=0.1, format="csr", random_state=0)
    assert _accelerated_sweeps(X_sparse, 600, 10) == 1 + (1 + (6000 + 1000) // 6600) // 2


@pytest.mark.parametrize("seed", range(40))
def test_nnls_rows_is_the_least_squares_solution(seed):
    """The active-set kernel against scipy's NNLS, from zero, dense and
    sparse starts, with rows of H that are zero or repeated."""
    from scipy.optimize import nnls

    rng = np.random.default_rng(seed)
    n_samples, n_components, n_features = (rng.integers(1, high) for high in (20, 9, 30))
    H = np.abs(rng.standard_normal((n_components, n_features)))
    H *= rng.uniform(size=H.shape) < rng.uniform(0.2, 1)
    if seed % 4 == 1:
        H[0] = 0
    X = rng.standard_normal((n_samples, n_features))
    if seed % 2:
        X = np.abs(X)
    start = [np.zeros((n_samples, n_components)),
             np.abs(rng.standard_normal((n_samples, n_components))),
             np.abs(rng.standard_normal((n_samples, n_components)))
             * (rng.uniform(size=(n_samples, n_components)) < 0.5)][seed % 3]
    W = np.ascontiguousarray(start)
    assert nnls_rows(W, np.ascontiguousarray(X @ H.T), H @ H.T, 3 * n_components)
    assert (W >= 0).all()
    for x, w in zip(X, W):
        _, residual = nnls(H.T, x)
        assert np.linalg.norm(x - H.T @ w) <= residual + 1e-12 * max(np.linalg.norm(x), 1)
    if seed % 4 == 1:
        assert (W[:, 0] == 0).all()     # a zero row of H gets zero weight


def test_projected_gradient_kernels():
    rng = np.random.default_rng(2)
    step, offset = rng.standard_normal((3, 7)), rng.standard_normal((3, 7))
    expected = np.maximum(step + offset, 0)
    add_clip_negative(step, offset)
    np.testing.assert_array_equal(step, expected)
    current, previous = rng.standard_normal((3, 7)), rng.standard_normal((7, 3)).T
    Z = np.empty((3, 7))
    extrapolate(Z, current, previous, 0.3)
    np.testing.assert_allclose(Z, current + 0.3 * (current - previous), rtol=1e-15)


@pytest.mark.parametrize("sparse_factor", ["H", "W"])
def test_inactive_constraint_is_accelerated_hals_nmf(sparse_factor):
    """A target the factors meet all along (0): after the first projection
    (inactive), both factors are updated by HALS, as plain NMF does,
    accelerated (Gillis & Glineur) once the constrained factor's last update
    was HALS: up to the bound of sweeps, while each moves a tenth of the first."""
    X, W_true, H_true = planted()
    rng = np.random.default_rng(0)
    W0, H0 = np.abs(rng.standard_normal(W_true.shape)), np.abs(rng.standard_normal(H_true.shape))
    W, H, n_iter, _ = sparse_nmf(X, W0.copy(), H0.copy(), sparsity=0.0,
                                 sparse_factor=sparse_factor, max_iter=25, tol=0)
    assert n_iter == 25
    # The reference: one projected-gradient iteration (the first), then HALS.
    W_ref, H_ref, _, _ = sparse_nmf(X, W0.copy(), H0.copy(), sparsity=0.0,
                                    sparse_factor=sparse_factor, max_iter=1, tol=0)
    W_sweeps = _accelerated_sweeps(X, X.shape[0], W0.shape[1])
    H_sweeps = _accelerated_sweeps(X, X.shape[1], W0.shape[1])
    assert min(W_sweeps, H_sweeps) > 1
    for n_iter in range(2, 26):
        if sparse_factor == "H":
            _hals_update(W_ref, X @ H_ref.T, H_ref @ H_ref.T, W_sweeps if n_iter > 2 else 1, 0.1)
            _hals_update(H_ref.T, X.T @ W_ref, W_ref.T @ W_ref, H_sweeps, 0.1)
        else:
            _hals_update(H_ref.T, X.T @ W_ref, W_ref.T @ W_ref, H_sweeps if n_iter > 2 else 1, 0.1)
            _hals_update(W_ref, X @ H_ref.T, H_ref @ H_ref.T, W_sweeps, 0.1)
    np.testing.assert_allclose(W, W_ref, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(H, H_ref, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("sparse_factor", ["H", "W"])
def test_misleading_warm_starts_give_the_same_fit(sparse_factor, monkeypatch):
    """Each projection starts from the previous one's multiplier; a misleading
    start (half, twice it, or none) changes where the kernel looks for the
    root, not the root: the fits agree to rounding, support included."""
    from skproj.decomposition import _sparse_nmf
    from skproj.projections import _group_hoyer

    X, W_true, H_true = planted(seed=2)
    rng = np.random.default_rng(0)
    W0, H0 = np.abs(rng.standard_normal(W_true.shape)), np.abs(rng.standard_normal(H_true.shape))

    def fit():
        return sparse_nmf(X, W0.copy(), H0.copy(), sparsity=0.7, sparse_factor=sparse_factor,
                          max_iter=60, tol=0)

    W, H, _, error = fit()
    for distort in (lambda mu: 0.5 * mu, lambda mu: 2.0 * mu + 1.0, lambda mu: None):
        def misled_projector(*args, **kwargs):
            project = _group_hoyer.group_hoyer_projector(*args, **kwargs)

            def call(y, x, sparsity, dual_init=None):
                if dual_init:       # (0: a HALS step's feasibility check, kept)
                    dual_init = distort(dual_init)
                return project(y, x, sparsity, dual_init)
            return call

        monkeypatch.setattr(_sparse_nmf, "group_hoyer_projector", misled_projector)
        W_misled, H_misled, _, error_misled = fit()
        np.testing.assert_allclose(W_misled, W, rtol=0, atol=1e-8 * np.abs(W).max())
        np.testing.assert_allclose(H_misled, H, rtol=0, atol=1e-8 * np.abs(H).max())
        np.testing.assert_array_equal(W_misled > 0, W > 0)
        np.testing.assert_array_equal(H_misled > 0, H > 0)
        assert error_misled == pytest.approx(error, rel=1e-10)
