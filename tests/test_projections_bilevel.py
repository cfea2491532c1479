"""Bi-level projections and group norms against references and the papers' identities."""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from skproj.projections import (
    bilevel_l1inf, bilevel_l11, bilevel_l12, group_norms, l1inf_norm, l11_norm,
    l12_norm, project_l12_ball,
)

import references
from addresses import at_offset, bits, ending_at_a_guard_page, rows_padded

BILEVEL = {"linf": bilevel_l1inf, "l1": bilevel_l11, "l2": bilevel_l12}
NORMS = {"linf": l1inf_norm, "l1": l11_norm, "l2": l12_norm}


def _random_matrix(rng, case):
    n, m = rng.integers(1, 12, size=2)
    kind = case % 4
    if kind == 0:
        Y = rng.standard_normal((n, m))
    elif kind == 1:  # ties
        Y = rng.choice([-1.0, 0.0, 1.0, 2.0], size=(n, m))
    elif kind == 2:  # all-zero groups
        Y = rng.standard_normal((n, m))
        Y[:, rng.random(m) < 0.4] = 0
        Y[rng.random(n) < 0.3, :] = 0
    else:
        Y = rng.standard_normal((n, m)) ** 3
    return Y * 10.0 ** rng.integers(-6, 7)


@pytest.mark.parametrize("inner", ["linf", "l1", "l2"])
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-10), (np.float32, 2e-5)])
def test_bilevel_matches_reference(inner, axis, dtype, tol):
    rng = np.random.default_rng(3)
    for case in range(120):
        Y = _random_matrix(rng, case).astype(dtype)
        if case % 3 == 1:
            Y = np.asfortranarray(Y)
        elif case % 3 == 2:
            Y = np.repeat(Y, 2, axis=1)[:, ::2]  # strided view
        norm = references.group_norm(Y, inner, axis)
        radius = [0.0, 0.01, 0.2, 0.7, 1.0, 1.5][case % 6] * norm
        X = BILEVEL[inner](Y, radius, axis=axis)
        expected = references.bilevel(Y, radius, inner, axis)
        assert X.dtype == dtype and X.shape == Y.shape
        scale = max(np.abs(Y).max(), 1e-300)
        np.testing.assert_allclose(X, expected, rtol=0, atol=tol * scale * 8)


@pytest.mark.parametrize("inner", ["linf", "l1", "l2"])
@pytest.mark.parametrize("axis", [0, 1])
def test_group_norms(inner, axis, rng):
    Y = rng.standard_normal((6, 9))
    expected = references.group_norm(Y, inner, axis)
    assert NORMS[inner](Y, axis=axis) == pytest.approx(expected, rel=1e-12)
    ords = {"linf": np.inf, "l1": 1, "l2": 2}
    np.testing.assert_allclose(group_norms(Y, inner, axis=axis),
                               np.linalg.norm(Y, ord=ords[inner], axis=axis))


def test_l12_ball_is_bilevel_l12_and_matches_interior_point(rng):
    cp = pytest.importorskip("cvxpy")
    for case in range(8):
        Y = rng.standard_normal((4, 5))
        radius = 0.3 * l12_norm(Y)
        X = cp.Variable(Y.shape)
        problem = cp.Problem(cp.Minimize(cp.sum_squares(X - Y)),
                             [cp.sum(cp.norm(X, 2, axis=0)) <= radius])
        problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12,
                      tol_feas=1e-12)
        np.testing.assert_allclose(project_l12_ball(Y, radius), X.value, atol=1e-6)
        np.testing.assert_array_equal(project_l12_ball(Y, radius), bilevel_l12(Y, radius))


def test_bilevel_l1inf_is_sparser_than_l12_on_gaussian(rng):
    # The papers' observation: bi-level l1,inf keeps few groups at small radius.
    Y = rng.standard_normal((1000, 1000))
    kept = (np.abs(bilevel_l1inf(Y, 1.0)).max(axis=0) > 0).sum()
    assert 1 <= kept <= 20


def test_large_matrices_both_axes_agree_with_transpose(rng):
    Y = rng.standard_normal((300, 2000))
    for project in BILEVEL.values():
        np.testing.assert_allclose(project(Y, 5.0, axis=0), project(Y.T, 5.0, axis=1).T,
                                   rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(project(np.asfortranarray(Y), 5.0, axis=0),
                                   project(Y, 5.0, axis=0), rtol=1e-12, atol=1e-14)


matrices = arrays(np.float64, array_shapes(min_dims=2, max_dims=2, max_side=8),
                  elements=st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False))


@pytest.mark.parametrize("inner", ["linf", "l1", "l2"])
@given(Y=matrices, fraction=st.floats(0, 1.2), axis=st.sampled_from([0, 1]))
def test_bilevel_identity_feasibility_idempotence(inner, Y, fraction, axis):
    """||Y - BP(Y)|| + ||BP(Y)|| = ||Y|| in the projection's own norm."""
    norm = NORMS[inner]
    radius = fraction * norm(Y, axis=axis)
    X = BILEVEL[inner](Y, radius, axis=axis)
    total = norm(Y, axis=axis)
    slack = 1e-9 * max(total, 1.0)
    assert norm(X, axis=axis) <= radius + slack
    assert norm(Y - X, axis=axis) + norm(X, axis=axis) == pytest.approx(total, abs=slack)
    np.testing.assert_allclose(BILEVEL[inner](X, radius, axis=axis), X,
                               atol=1e-9 * max(np.abs(Y).max(initial=0), 1.0))


@given(Y=matrices, fraction=st.floats(0, 1.2), seed=st.integers(0, 1000))
def test_l12_projection_inequality(Y, fraction, seed):
    radius = fraction * l12_norm(Y)
    X = project_l12_ball(Y, radius)
    Z = np.random.default_rng(seed).standard_normal(Y.shape)
    Z *= radius / max(l12_norm(Z), 1e-300)
    scale = max(np.abs(Y).max(initial=0), 1.0)
    assert np.sum((Y - X) * (Z - X)) <= 1e-7 * scale ** 2 * Y.size


@pytest.mark.parametrize("inner", ["linf", "l1", "l2"])
@pytest.mark.parametrize("axis", [0, 1])
def test_sparse_and_dense_write_paths_agree(inner, axis, rng):
    # Few kept groups and a separate contiguous output take the sparse write
    # path (memset, then the kept groups); in place takes the dense one.
    Y = rng.standard_normal((200, 3000)) if axis == 0 else rng.standard_normal((3000, 200))
    for fraction in (0.001, 0.02, 0.5):
        radius = fraction * NORMS[inner](Y, axis=axis)
        sparse = BILEVEL[inner](Y, radius, axis=axis)
        dense = Y.copy()
        BILEVEL[inner](dense, radius, axis=axis, out=dense)
        np.testing.assert_array_equal(sparse, dense)
        np.testing.assert_allclose(sparse, references.bilevel(Y, radius, inner, axis),
                                   atol=1e-12)


@pytest.fixture(params=[True, False], ids=["simd", "cython-loops"])
def loops(request):
    """Run a test with the AVX2 loops (where the CPU has them), then with the Cython loops."""
    from skproj.projections import _l1

    _l1._set_testing(simd=request.param)
    yield request.param
    _l1._set_testing()


ORDS = {"linf": np.inf, "l1": 1, "l2": 2}


@pytest.mark.parametrize("inner", ["linf", "l1", "l2"])
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("shape", [(37, 301), (301, 37), (8, 16), (5, 47), (3, 520), (1, 1)])
def test_float32_group_norms_both_loop_families(loops, inner, axis, shape, rng):
    # Odd shapes: every vector loop has a tail of rows and of values (rows of
    # 301 = 256 + 32 + 8 + 5 values, 47 = 32 + 8 + 7, 520 = 2 * 256 + 8: the
    # l1 row norms' blocks, their shorter last block, vectors of 8).  Magnitudes
    # from 1e-15 to 1e15: the float blocks neither underflow nor overflow.
    scales = 10.0 ** rng.integers(-15, 16, size=shape)
    Y = (rng.standard_normal(shape) * scales).astype(np.float32)
    expected = np.linalg.norm(Y.astype(np.float64), ord=ORDS[inner], axis=axis)
    np.testing.assert_allclose(group_norms(Y, inner, axis=axis), expected, rtol=1e-6)
    radius = 0.3 * float(np.sum(expected))
    np.testing.assert_allclose(BILEVEL[inner](Y, radius, axis=axis),
                               references.bilevel(Y, radius, inner, axis),
                               rtol=0, atol=2e-5 * float(np.abs(Y).max()) * 8)


@pytest.mark.parametrize("inner", ["l1", "l2"])
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("shape", [(37, 301), (301, 37), (7, 16), (5, 19), (3, 35), (1, 1),
                                   (8, 21), (4, 4)])
def test_float64_group_norms_both_loop_families(loops, inner, axis, shape, rng):
    # The AVX2 float64 sums (skp_group_norms_f64): rows in steps of 16 values,
    # then 4, then one (301 = 18 * 16 + 3 * 4 + 1, 35 = 2 * 16 + 3, 19 = 16 +
    # 3); columns four rows at a time, then one (37, 7, 5, 3 rows), four
    # columns a vector and the rest one by one (8 and 4 rows: four at a time
    # alone).
    scales = 10.0 ** rng.integers(-100, 101, size=shape)
    Y = rng.standard_normal(shape) * scales
    expected = np.linalg.norm(Y, ord=ORDS[inner], axis=axis)
    norms = group_norms(Y, inner, axis=axis)
    np.testing.assert_allclose(norms, expected, rtol=1e-13)
    radius = 0.3 * float(np.sum(expected))
    np.testing.assert_allclose(BILEVEL[inner](Y, radius, axis=axis),
                               references.bilevel(Y, radius, inner, axis),
                               rtol=0, atol=1e-12 * float(np.abs(Y).max()) * 8)
    if axis == 0:
        # Column norms: the vector loop adds in the Cython loop's order (on
        # values of one scale, where another order would change the bits).
        from skproj.projections import _l1

        Y = rng.standard_normal(shape)
        norms = group_norms(Y, inner, axis=0)
        _l1._set_testing(simd=not loops)
        np.testing.assert_array_equal(group_norms(Y, inner, axis=0), norms)


@pytest.mark.parametrize("inner", ["l1", "l2"])
@pytest.mark.parametrize("axis", [0, 1])
def test_float64_sum_norms_refuse_nan_or_inf_anywhere(loops, inner, axis, rng):
    Y = rng.standard_normal((9, 37))
    for i, j in ((0, 0), (4, 17), (8, 32), (8, 36)):
        for bad in (np.nan, np.inf, -np.inf):
            Z = Y.copy()
            Z[i, j] = bad
            with pytest.raises(ValueError, match="NaN or infinity"):
                group_norms(Z, inner, axis=axis)
            with pytest.raises(ValueError, match="NaN or infinity"):
                BILEVEL[inner](Z, 1.0, axis=axis)


def _assert_max_norms_refuse(Y, axis, rows, columns):
    """A NaN (of either sign) or inf at any (i, j) of ``rows`` x ``columns``
    (indices within ``Y``) is refused by the max norms and ``bilevel_l1inf``."""
    for i in rows:
        for j in columns:
            for bad in (np.nan, -np.nan, np.inf, -np.inf):
                Z = Y.copy()
                Z[i, j] = bad
                with pytest.raises(ValueError, match="NaN or infinity"):
                    group_norms(Z, "linf", axis=axis)
                with pytest.raises(ValueError, match="NaN or infinity"):
                    bilevel_l1inf(Z, 1.0, axis=axis)


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("shape", [(8, 40), (17, 67), (67, 9)])
def test_float32_max_norms_exact_with_nan_or_inf_anywhere(loops, axis, shape, rng):
    # The AVX2 max norms compare the magnitudes' bit patterns, eight rows a
    # fold and 32 values a row step: the maxima are exact (-0.0 and subnormals
    # included), and a NaN (of either sign) or inf anywhere is refused.
    Y = rng.standard_normal(shape).astype(np.float32)
    Y[0, 0] = -0.0
    Y[-1, -1] = np.float32(-1e-40)
    np.testing.assert_array_equal(group_norms(Y, "linf", axis=axis),
                                  np.abs(Y).max(axis=axis).astype(np.float64))
    _assert_max_norms_refuse(Y, axis, sorted({0, 7, 8, shape[0] - 1} & set(range(shape[0]))),
                             sorted({0, 31, 32, shape[1] - 1} & set(range(shape[1]))))


@pytest.mark.parametrize("shape", [(8, 40), (17, 67), (5, 15), (3, 16), (1, 3)])
def test_float64_column_maxima_exact_with_nan_or_inf_anywhere(loops, shape, rng):
    # The AVX2 column maxima of float64 fold four rows at a time (a shorter
    # last fold, 17 and 5 rows), four columns a vector, then the columns
    # left one by one: exact (-0.0 and subnormals included); a NaN (of
    # either sign) or inf anywhere is refused.  Finite values whose four-row
    # sum overflows are handed back by the kernel in both loop families
    # (the portable loops' NaN poison), and their maxima then taken exactly.
    Y = rng.standard_normal(shape) * 10.0 ** rng.integers(-300, 300, size=shape)
    Y[0, 0] = -0.0
    Y[-1, -1] = -1e-310
    np.testing.assert_array_equal(group_norms(Y, "linf", axis=0), np.abs(Y).max(axis=0))
    _assert_max_norms_refuse(Y, 0, sorted({0, 3, 4, shape[0] - 1} & set(range(shape[0]))),
                             sorted({0, 3, 4, shape[1] - 1} & set(range(shape[1]))))
    from skproj.projections import _bilevel

    Z = np.full((4, shape[1]), 0.6e308)
    assert not _bilevel.group_norms(Z, np.empty(shape[1]), 0, False)
    np.testing.assert_array_equal(group_norms(Z, "linf", axis=0), np.full(shape[1], 0.6e308))


@pytest.mark.parametrize("shape", [(8, 40), (17, 67), (5, 15), (3, 16)])
def test_float64_row_maxima_exact_with_nan_or_inf_anywhere(loops, shape, rng):
    # The AVX2 row maxima of float64 take 16 values a step, then a scalar
    # tail: exact (-0.0 and subnormals included); a NaN (of either sign) or
    # inf anywhere is refused, in either part and in the first or last row.
    Y = rng.standard_normal(shape)
    Y[0, 0] = -0.0
    Y[-1, -1] = -1e-310
    np.testing.assert_array_equal(group_norms(Y, "linf", axis=1), np.abs(Y).max(axis=1))
    np.testing.assert_array_equal(group_norms(Y[:, ::-1], "linf", axis=1),
                                  np.abs(Y).max(axis=1))
    _assert_max_norms_refuse(Y, 1, sorted({0, shape[0] - 1}),
                             sorted({0, 15, 16, shape[1] - 1} & set(range(shape[1]))))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bilevel_l1inf_streamed_zero_rows(loops, dtype, rng):
    # Results of 8 MiB and more are written past the caches, zeroed rows too
    # (non-temporal stores from the first 32-byte boundary); a third of the
    # rows kept: too many for the sparse path (one memset, then the kept rows).
    n_rows = 1100 if dtype == np.float64 else 2200
    Y = rng.standard_normal((n_rows, 1001)).astype(dtype)
    radius = 0.05 * l1inf_norm(Y, axis=1)
    expected = references.bilevel(Y, radius, "linf", 1)
    kept = np.count_nonzero(np.abs(expected).max(axis=1))
    assert n_rows // 8 < kept < n_rows
    tol = 2e-5 if dtype == np.float32 else 1e-12
    X = bilevel_l1inf(Y, radius, axis=1)
    np.testing.assert_allclose(X, expected, rtol=0, atol=tol * float(np.abs(Y).max()))
    in_place = Y.copy()
    bilevel_l1inf(in_place, radius, axis=1, out=in_place)
    wide = np.full((n_rows, 1003), 7, dtype=dtype)
    unaligned = wide[:, 1:1002]
    bilevel_l1inf(Y, radius, axis=1, out=unaligned)
    strided = bilevel_l1inf(np.repeat(Y, 2, axis=1)[:, ::2], radius, axis=1)
    fortran = bilevel_l1inf(np.asfortranarray(Y), radius, axis=1)
    for result in (in_place, unaligned, strided, fortran):
        np.testing.assert_array_equal(result, X)
    assert (wide[:, 0] == 7).all() and (wide[:, -1] == 7).all()


@pytest.mark.parametrize("inner", ["linf", "l1", "l2"])
@pytest.mark.parametrize("axis", [0, 1])
def test_sparse_write_path_streamed_zeros(loops, inner, axis, rng):
    # A result of 8 MiB and more with few kept groups is zeroed by
    # non-temporal stores, then the kept groups written; in place, the dense
    # path writes every group: both are the reference.
    shape = (1100, 1001) if axis == 1 else (1001, 1100)
    Y = rng.standard_normal(shape)
    norms = np.sort(group_norms(Y, inner, axis=axis))[::-1]
    tau = (norms[5] + norms[6]) / 2
    radius = float(np.sum(norms[:6] - tau))  # keeps the six largest groups
    sparse = np.full_like(Y, 7.0)
    BILEVEL[inner](Y, radius, axis=axis, out=sparse)
    dense = Y.copy()
    BILEVEL[inner](dense, radius, axis=axis, out=dense)
    np.testing.assert_array_equal(sparse, dense)
    np.testing.assert_allclose(sparse, references.bilevel(Y, radius, inner, axis), atol=1e-12)
    assert np.count_nonzero(np.abs(sparse).max(axis=axis)) == 6


@pytest.mark.parametrize("avx512", [True, False])
@pytest.mark.parametrize("inner", ["linf", "l2"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_streamed_mostly_zero_column_groups(loops, avx512, inner, dtype, rng):
    # A result of 8 MiB and more keeping 2.5 % of its column groups: too many
    # for the sparse path, but most lines of a row lie under zeroed columns,
    # which the AVX-512 and AVX2 writes stream as zeros without reading them
    # (skp_write_kept_row512_*, _row256_*).  Rows of 1100 values start at
    # every offset in a line (float64) and end on a partial vector; into a
    # separate array, in place, into an ``out`` off a vector boundary, from
    # strided rows.
    from skproj.projections import _bilevel

    _bilevel._set_column_paths(avx512=avx512)
    try:
        _check_mostly_zero_column_groups(loops, inner, dtype, rng)
    finally:
        _bilevel._set_column_paths()


def _check_mostly_zero_column_groups(loops, inner, dtype, rng):
    from skproj.projections import _l1

    n_rows = 1001 if dtype == np.float64 else 2002
    Y = rng.standard_normal((n_rows, 1100)).astype(dtype)
    norms = np.sort(group_norms(Y, inner, axis=0))[::-1]
    tau = (norms[27] + norms[28]) / 2
    radius = float(np.sum(norms[:28] - tau))       # keeps the 28 largest columns
    X = BILEVEL[inner](Y, radius, axis=0)
    tol = 2e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(X, references.bilevel(Y.astype(np.float64), radius, inner, 0),
                               rtol=0, atol=tol * float(np.abs(Y).max()))
    zeroed = ~X.any(axis=0)
    assert np.count_nonzero(~zeroed) == 28
    if loops and _l1._simd_runs():
        # (a line under zeroed columns alone is written unread: +0; the
        # others clip at 0, which keeps each entry's sign)
        assert np.signbit(X[:, zeroed]).sum() < 0.5 * np.signbit(Y[:, zeroed]).sum()
    in_place = Y.copy()
    BILEVEL[inner](in_place, radius, axis=0, out=in_place)
    wide = np.full((n_rows, 1102), 7, dtype=dtype)
    unaligned = wide[:, 1:1101]
    BILEVEL[inner](Y, radius, axis=0, out=unaligned)
    strided = BILEVEL[inner](np.repeat(Y, 2, axis=1)[:, ::2], radius, axis=0)
    for result in (in_place, unaligned, strided):
        np.testing.assert_array_equal(result, X)
    assert (wide[:, 0] == 7).all() and (wide[:, -1] == 7).all()


@pytest.mark.parametrize("inner", ["linf", "l1", "l2"])
@pytest.mark.parametrize("axis", [0, 1])
def test_float32_bilevel_near_the_float_limits(loops, inner, axis):
    # Group norms above FLT_MAX overflow a float block: the norms are then
    # recomputed in double and the projection is finite; NaN and inf are refused.
    Y = np.full((19, 45), 5e37, dtype=np.float32)
    Y[::2] *= -1
    Y[:, ::3] /= 7
    radius = 0.3 * references.group_norm(Y, inner, axis)
    np.testing.assert_allclose(BILEVEL[inner](Y, radius, axis=axis),
                               references.bilevel(Y, radius, inner, axis),
                               rtol=0, atol=2e-5 * 5e37 * 8)
    for bad in (np.nan, np.inf, -np.inf):
        Z = Y.copy()
        Z[11, 33] = bad
        with pytest.raises(ValueError):
            BILEVEL[inner](Z, radius, axis=axis)


def _panel_layouts(Y):
    """The same matrix as the kernels may see it: C order, Fortran order, strided, reversed."""
    return {"C": Y, "F": np.asfortranarray(Y), "strided": np.repeat(Y, 2, axis=1)[:, ::2],
            "reversed": Y[::-1, ::-1]}


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("shape", [(1000, 700), (131, 1203), (77, 1), (3, 45)])
def test_bilevel_l11_column_panels(loops, dtype, tol, shape, rng):
    # Column groups are projected a panel of adjacent columns at a time: panels
    # cut where the row length is not a multiple of a panel or of a vector, rows
    # not a multiple of the blocks, columns of very different scales (each
    # column's floor rises at its own pace), ties, and radii from few groups
    # kept to nearly all.
    Y = rng.standard_normal(shape) * np.exp(2 * rng.standard_normal(shape[1]))
    Y[:, ::7] = np.round(Y[:, ::7])
    Y = Y.astype(dtype)
    for layout, Z in _panel_layouts(Y).items():
        norm = references.group_norm(Z, "l1", 0)
        for fraction in (0.001, 0.05, 0.5, 0.95, 0.9999):
            X = bilevel_l11(Z, fraction * norm, axis=0)
            expected = references.bilevel(Z, fraction * norm, "l1", 0)
            scale = float(np.abs(Z).max())
            np.testing.assert_allclose(X, expected, rtol=0, atol=tol * scale,
                                       err_msg=f"{layout} {fraction}")
            zeroed = ~expected.any(axis=0)
            assert not np.signbit(X[:, zeroed]).any(), "zeroed columns are +0"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bilevel_l11_column_panels_in_place_and_transposed(loops, dtype, rng):
    Y = (rng.standard_normal((300, 1000)) * rng.exponential(size=1000)).astype(dtype)
    radius = 0.3 * l11_norm(Y)
    expected = bilevel_l11(Y, radius, axis=0)
    X = Y.copy()
    assert bilevel_l11(X, radius, axis=0, out=X) is X
    np.testing.assert_array_equal(X, expected)
    # axis=1 of the transpose is the same projection (row groups, another kernel)
    np.testing.assert_allclose(bilevel_l11(Y.T, radius, axis=1).T, expected, rtol=0,
                               atol=(1e-12 if dtype == np.float64 else 2e-5)
                               * float(np.abs(Y).max()))


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("rows", [1, 2, 3, 5, 7, 9, 12, 17, 100])
def test_bilevel_l11_column_panels_last_block_of_rows(loops, dtype, tol, rows, rng):
    # A panel is gathered a block of 8 (float32) or 4 (float64) rows at a
    # time; a last, shorter block is padded with zeros, which no floor keeps:
    # ties, zeros and whole zero columns in it, every layout, out= given.
    Y = rng.choice([-2.0, -1.0, 0.0, 0.5, 1.0, 3.0], size=(rows, 203))
    Y = (Y * np.exp(rng.standard_normal(203))).astype(dtype)
    Y[:, ::11] = 0
    for layout, Z in _panel_layouts(Y).items():
        norm = references.group_norm(Z, "l1", 0)
        for fraction in (0.01, 0.3, 0.9, 0.999):
            out = np.full_like(Z, np.nan)
            assert bilevel_l11(Z, fraction * norm, axis=0, out=out) is out
            np.testing.assert_allclose(out, references.bilevel(Z, fraction * norm, "l1", 0),
                                       rtol=0, atol=tol * float(np.abs(Z).max()),
                                       err_msg=f"{layout} {fraction}")


def _rows_of_kind(kind, shape, rng):
    """float32 rows whose taus the guessed floors find (Gaussian, tied, Student
    t(3)) or miss (Cauchy's few largest values set tau; Gaussian rows
    alternating with uniform ones carrying a few large values)."""
    if kind == "normal":
        Y = rng.standard_normal(shape)
    elif kind == "ties":
        Y = np.round(2 * rng.standard_normal(shape)) / 2
    elif kind == "t3":
        Y = rng.standard_t(3, shape)
    elif kind == "cauchy":
        Y = rng.standard_cauchy(shape)
    else:
        Y = rng.standard_normal(shape)
        odd = Y[1::2].shape
        Y[1::2] = rng.uniform(-1, 1, odd) * np.where(rng.random(odd) < 0.02, 50.0, 1.0)
    return Y.astype(np.float32)


@pytest.mark.parametrize("shape", [(60, 3000), (200, 1000)])
def test_float32_rows_from_guessed_floors_against_sort(shape, rng):
    # A float32 row's magnitudes are gathered first above a floor guessed
    # from the row before (``_row_threshold``), kept where the values above
    # it show it lies below tau, else gathered again above the bound of
    # every row's tau: the sort's projection either way, and the gathers'
    # (the same taus up to the rounding of their sums); the floors are
    # tried on rows keeping a small share of their norm, and some miss.
    from skproj.projections import _bilevel

    tried = held = 0
    for kind in ("normal", "ties", "t3", "cauchy", "alternating"):
        Y = _rows_of_kind(kind, shape, rng)
        norm = references.group_norm(Y, "l1", 1)
        scale = float(np.abs(Y).max())
        for fraction in (0.003, 0.01, 0.3, 0.9999):
            _bilevel._guessed_floor_stats()
            X = bilevel_l11(Y, fraction * norm, axis=1)
            counts = _bilevel._guessed_floor_stats()
            tried, held = tried + counts[0], held + counts[1]
            if kind == "normal" and fraction < 0.3:
                assert counts[0] >= 10 and counts[1] == counts[0], fraction
            np.testing.assert_allclose(X, references.bilevel(Y, fraction * norm, "l1", 1),
                                       rtol=0, atol=2e-5 * scale, err_msg=f"{kind} {fraction}")
            try:
                _bilevel._set_column_paths(guessed_floors=False)
                gathered = bilevel_l11(Y, fraction * norm, axis=1)
                assert _bilevel._guessed_floor_stats() == (0, 0)
            finally:
                _bilevel._set_column_paths()
            np.testing.assert_allclose(X, gathered, rtol=0, atol=1e-6 * scale)
    assert 0 < held < tried


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_bilevel_l11_long_rows(loops, dtype, tol, rng):
    # A long row is gathered in chunks, its floor rising after each one.
    Y = rng.standard_normal((23, 5003)) * np.exp(2 * rng.standard_normal((23, 1)))
    Y[::5] = np.round(Y[::5])
    Y = Y.astype(dtype)
    for Z in _panel_layouts(Y).values():
        norm = references.group_norm(Z, "l1", 1)
        for fraction in (0.01, 0.3, 0.9, 0.9999):
            np.testing.assert_allclose(bilevel_l11(Z, fraction * norm, axis=1),
                                       references.bilevel(Z, fraction * norm, "l1", 1),
                                       rtol=0, atol=tol * float(np.abs(Z).max()))


@given(rows=st.sampled_from([1, 7, 8, 9, 31, 32, 33, 255, 256, 257, 511, 512, 513]),
       values=st.sampled_from(["normal", "ties", "grid", "wide"]),
       fraction=st.sampled_from([0.01, 0.3, 0.9, 0.999]), axis=st.sampled_from([0, 1]),
       seed=st.integers(0, 2 ** 16))
def test_float32_short_group_thresholds_against_sort(rows, values, fraction, axis, seed):
    # Groups up to SHORT_GROUP long take skp_short_threshold_f32 (passes in
    # registers, a masked last vector, the pass confirming the fixed point
    # skipped): lengths on and around the vector and block edges; ties, values
    # on a grid of floats (tau on a value, many values equal to it) and
    # magnitudes over the float range, against the sort-based reference.
    rng = np.random.default_rng(seed)
    shape = (rows, 41) if axis == 0 else (41, rows)
    if values == "normal":
        Y = rng.standard_normal(shape)
    elif values == "ties":
        Y = rng.choice([-2.0, -1.0, 0.0, 0.25, 1.0, 3.0], size=shape)
    elif values == "grid":   # every value a multiple of 2**-20 near 1: float32 rounding
        Y = 1.0 + rng.integers(0, 64, size=shape) * 2.0 ** -20
    else:
        Y = rng.standard_normal(shape) * 10.0 ** rng.integers(-12, 12, size=shape)
    Y = Y.astype(np.float32)
    norm = references.group_norm(Y, "l1", axis)
    X = bilevel_l11(Y, fraction * norm, axis=axis)
    np.testing.assert_allclose(X, references.bilevel(Y, fraction * norm, "l1", axis), rtol=0,
                               atol=2e-5 * float(np.abs(Y).max()))


@pytest.fixture(params=["passes-avx512", "passes-avx2", "gathered", "gathered-avx2"])
def column_path(request):
    """Float32 column panels by Michelot's passes over the panel or by gathered
    candidates (their taus and the write by AVX-512 or AVX2 loops), whatever
    the measured rule says."""
    from skproj.projections import _bilevel

    passes = not request.param.startswith("gathered")
    _bilevel._set_column_paths(passes=passes, avx512=not request.param.endswith("avx2"))
    yield request.param
    _bilevel._set_column_paths()


def _column_values(kind, shape, rng):
    if kind == "normal":    # columns of very different scales
        return rng.standard_normal(shape) * np.exp(2 * rng.standard_normal(shape[1]))
    if kind == "ties":
        Y = rng.choice([-2.0, -1.0, 0.0, 0.25, 1.0, 3.0], size=shape)
        Y[:, ::5] = 0
        return Y
    if kind == "grid":      # multiples of 2**-20 near 1: float32 rounding, tau on a value
        return 1.0 + rng.integers(0, 64, size=shape) * 2.0 ** -20
    return rng.standard_normal(shape) * 10.0 ** rng.integers(-12, 12, size=shape)


def _check_l11_into_out_against_sort(Z, axis, tol, layout):
    """``bilevel_l11`` of ``Z`` into ``out`` against the sort, from 0.1 % to nearly all
    of the norm; zeroed groups are +0."""
    norm = references.group_norm(Z, "l1", axis)
    for fraction in (0.001, 0.05, 0.3, 0.9, 0.9999):
        out = np.full_like(Z, np.nan)
        assert bilevel_l11(Z, fraction * norm, axis=axis, out=out) is out
        expected = references.bilevel(Z, fraction * norm, "l1", axis)
        np.testing.assert_allclose(out, expected, rtol=0, atol=tol * float(np.abs(Z).max()),
                                   err_msg=f"{layout} {fraction}")
        zeroed = ~expected.any(axis=axis)
        assert not np.signbit(out[:, zeroed] if axis == 0 else out[zeroed]).any()


def _sorting_network():
    """``skp_sort_sizes`` and ``skp_sort_pairs`` as _sort_network.h holds them."""
    import re
    from pathlib import Path

    import skproj.projections

    header = (Path(skproj.projections.__file__).parent / "_sort_network.h").read_text()
    sizes = re.search(r"skp_sort_sizes\[17\] = \{([^}]*)\}", header).group(1)
    table = re.search(r"skp_sort_pairs\[17\]\[63\]\[2\] = \{(.*?)\n\};", header, re.S).group(1)
    rows = re.findall(r"\{((?:\{\d+, \d+\},?\s*)+)\}", table)
    pairs = [[tuple(map(int, pair)) for pair in re.findall(r"\{(\d+), (\d+)\}", row)]
             for row in rows]
    return [int(size) for size in sizes.split(",")], pairs


def test_short_columns_sorting_network_sorts_every_input():
    # The short columns sort each column's magnitudes by a network
    # (skp_sort_pairs): for every number of rows, every input of zeros and
    # ones comes out sorted, largest first (the 0-1 principle: then every
    # input does), by pairs within the rows.
    sizes, pairs = _sorting_network()
    assert len(sizes) == len(pairs) == 17
    for n in range(17):
        network = pairs[n][:sizes[n]]
        assert len(network) == sizes[n]
        assert all(0 <= a < b < n for a, b in network)
        values = (np.arange(2 ** n)[:, None] >> np.arange(n)) & 1
        for a, b in network:
            larger = np.maximum(values[:, a], values[:, b])
            values[:, b] = np.minimum(values[:, a], values[:, b])
            values[:, a] = larger
        assert (np.diff(values, axis=1) <= 0).all(), n


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("rows", [1, 2, 3, 7, 8, 10, 16, 17])
@pytest.mark.parametrize("kind", ["normal", "ties", "grid", "wide"])
def test_short_columns_against_sort_and_passes(dtype, tol, rows, kind, rng):
    # Columns of up to 16 rows (a few classes' coefficients) take their taus
    # from magnitudes sorted in vector lanes, a block of columns at a time
    # (``_short_columns``; AVX2 eight float32 or four float64 columns,
    # AVX-512 sixteen or eight): against the sort, with the last block
    # partial (7 and 35 columns), rows reversed or strided, out= given (C,
    # Fortran order, reversed strided columns: the same bits) and in place,
    # the AVX2 loop's bits those of the AVX-512 one, and against the panels'
    # passes and gathered candidates (forced, which skips it); 17 rows take
    # the panels.
    from skproj.projections import _bilevel

    for n_cols in (7, 35):
        Y = _column_values(kind, (rows, n_cols), rng).astype(dtype)
        layouts = {"C": Y, "rows reversed": Y[::-1], "rows strided": np.repeat(Y, 2, axis=0)[::2],
                   "offset": np.hstack([Y, Y[:, :3]])[:, 3:]}
        for layout, Z in layouts.items():
            _check_l11_into_out_against_sort(Z, 0, tol, layout)
        norm = l11_norm(Y)
        for fraction in (1e-9, 0.01, 0.5, 0.99):
            X = bilevel_l11(Y, fraction * norm)
            Z = Y.copy()
            assert bilevel_l11(Z, fraction * norm, out=Z) is Z
            np.testing.assert_array_equal(Z, X)
            for out in (np.empty_like(Y, order="F"), np.empty((rows, 2 * n_cols), dtype)[:, ::-2]):
                assert bilevel_l11(Y, fraction * norm, out=out) is out
                np.testing.assert_array_equal(out, X)
            try:
                if rows <= 16:   # (the panels' AVX2 passes sum in another order)
                    _bilevel._set_column_paths(avx512=False)
                    np.testing.assert_array_equal(bits(bilevel_l11(Y, fraction * norm)), bits(X))
                for passes in (True, False):
                    _bilevel._set_column_paths(passes=passes)
                    np.testing.assert_allclose(bilevel_l11(Y, fraction * norm), X, rtol=0,
                                               atol=tol * float(np.abs(Y).max()))
            finally:
                _bilevel._set_column_paths()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("length", [1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 15, 16, 17])
def test_short_row_norms_take_the_row_loops_bits(dtype, length, rng):
    # Rows of fewer than 16 values have their norms taken a row a lane with
    # AVX-512, in the row loop's order: float32's max, l1 and l2 norms
    # sixteen rows at a time (``skp_short_row_norms512_f32``), float64's
    # eight (``_f64``), the l2 norms rooted in the loop; with AVX2 float32's
    # eight rows at a time and float64's four (``skp_short_row_norms256_f32``,
    # ``_f64``; float64's maxima as before): the same
    # bits as the AVX2 row loop, for every norm, on values of very different
    # scales and zeros (of either sign), whole blocks of rows and a partial
    # one (loaded or gathered), lengths with 0-3 values past the blocks of
    # four; a NaN found by all, an inf handed back by all or by none.
    from skproj.projections import _bilevel

    ways = {"avx512": {"avx512": True}, "avx2 blocks": {"avx512": False},
            "row loop": {"avx512": False, "short_rows": False}}
    for n_rows in (1, 17, 40):
        Y = (rng.standard_normal((n_rows, length))
             * 10.0 ** rng.integers(-20, 20, size=(n_rows, length))).astype(dtype)
        Y[:, ::3] = 0.0
        Y[:, 1::5] = -0.0
        for kind in (0, 1, 2):
            norms, kept_inf = {}, {}
            try:
                for way, switches in ways.items():
                    _bilevel._set_column_paths(**switches)
                    norms[way] = np.empty(n_rows)
                    assert _bilevel.group_norms(Y, norms[way], kind, True)
                    Z = Y.copy()
                    Z[n_rows // 2, length - 1] = np.nan
                    assert not _bilevel.group_norms(Z, np.empty(n_rows), kind, True)
                    Z[n_rows // 2, length - 1] = -np.inf
                    kept_inf[way] = _bilevel.group_norms(Z, np.empty(n_rows), kind, True)
            finally:
                _bilevel._set_column_paths()
            for way in ways:
                np.testing.assert_array_equal(bits(norms[way]), bits(norms["row loop"]), way)
                assert kept_inf[way] == kept_inf["row loop"], way
            expected = {0: np.abs(Y).max(axis=1), 1: np.abs(Y.astype(np.float64)).sum(axis=1),
                        2: np.sqrt((Y.astype(np.float64) ** 2).sum(axis=1))}[kind]
            np.testing.assert_allclose(norms["avx512"], expected, rtol=1e-6)


def test_group_norms_summed_in_chains_take_the_same_bits_at_every_level(rng):
    # The group norms' sum (the outer l1 threshold's total and inside test)
    # is taken in 32 chains, value i into chain i % 32, the chains then
    # folded in halves (``skp_norms_sum``): AVX-512, AVX2 and the portable
    # loop give the same bits, on every length about the chains' and the
    # vectors' ends, values of very different scales; close to the exact
    # sum; NaN and inf handed on.  (Without AVX-512 both levels run AVX2.)
    import math

    from skproj.projections import _bilevel

    lengths = list(range(0, 100)) + [127, 128, 129, 1000, 20007]
    try:
        for n in lengths:
            values = np.abs(rng.standard_normal(n)) * 10.0 ** rng.integers(-8, 8, size=n)
            sums = {}
            for level in ("avx512", "avx2"):
                _bilevel._set_column_paths(avx512=level == "avx512")
                sums[level] = _bilevel._norms_sums(values)
            assert len({float(total).hex() for pair in sums.values() for total in pair}) == 1, n
            assert math.isclose(sums["avx2"][0], math.fsum(values), rel_tol=1e-12), n
            if n:
                for bad in (np.nan, np.inf):
                    spoiled = values.copy()
                    spoiled[n // 2] = bad
                    for level in ("avx512", "avx2"):
                        _bilevel._set_column_paths(avx512=level == "avx512")
                        total, portable = _bilevel._norms_sums(spoiled)
                        assert float(total).hex() == float(portable).hex(), n
                        assert (np.isnan(total) if np.isnan(bad) else total == np.inf), n
    finally:
        _bilevel._set_column_paths()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("length", [1, 3, 4, 5, 7, 8, 9, 15, 16])
def test_short_rows_written_by_blocks_take_the_row_loops_bits(dtype, length, rng):
    # Short rows lying one after the other are written a block of rows at a
    # time with AVX2 (``skp_write_short_rows256_f32``, ``_f64``: their
    # levels spread to their values), as with AVX-512: the bi-level
    # projections' results, every zeroed row +0, the same bits as a row a
    # call, whole blocks of rows and a partial one.
    from skproj.projections import _bilevel

    for n_rows in (1, 7, 9, 203):
        Y = rng.standard_normal((n_rows, length)).astype(dtype)
        Y[::4] = 0.0
        Y[1::5] = -Y[1::5]
        for project, norm in ((bilevel_l1inf, l1inf_norm), (bilevel_l12, l12_norm),
                              (bilevel_l11, l11_norm)):
            for share in (0.05, 0.5, 0.95):
                results = []
                try:
                    for short_rows in (True, False):
                        _bilevel._set_column_paths(avx512=False, short_rows=short_rows)
                        results.append(project(Y, share * norm(Y, axis=1), axis=1))
                finally:
                    _bilevel._set_column_paths()
                np.testing.assert_array_equal(bits(results[0]), bits(results[1]))
                zeroed = ~results[1].any(axis=1)
                assert not np.signbit(results[0][zeroed]).any()


@pytest.mark.parametrize("avx512", [True, False], ids=["avx512", "avx2"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("length", [17, 24, 33, 64, 100, 127, 255, 256])
def test_rows_written_as_one_flat_run_take_the_row_loops_bits(dtype, length, avx512, rng):
    # Contiguous rows shorter than 1 KiB are clipped or rescaled as one flat
    # run of vectors with AVX-512 or AVX2 (``write_rows_at_once``: a vector
    # spans two rows at most), where an ``out`` whose rows are padded takes
    # the row loop, a call a row: the same bits, every zeroed row +0, rows
    # not a multiple of the vector, the last vector partial, float64 rows of
    # 1 KiB and more declined (the row loop then writes both).
    from skproj.projections import _bilevel

    _bilevel._set_column_paths(avx512=avx512)
    try:
        _check_rows_written_as_one_flat_run(dtype, length, rng)
    finally:
        _bilevel._set_column_paths()


def _check_rows_written_as_one_flat_run(dtype, length, rng):
    for n_rows in (1, 5, 203):
        Y = rng.standard_normal((n_rows, length)).astype(dtype)
        Y[::4] = 0.0
        Y[1::5] *= -100.0
        for project, norm, inner in ((bilevel_l1inf, l1inf_norm, "linf"),
                                     (bilevel_l12, l12_norm, "l2")):
            for share in (0.05, 0.5, 0.95):
                eta = share * norm(Y, axis=1)
                flat = project(Y, eta, axis=1)
                padded = np.full((n_rows, length + 16), np.nan, dtype)[:, :length]
                assert project(Y, eta, axis=1, out=padded) is padded
                np.testing.assert_array_equal(bits(flat), bits(padded))
                zeroed = ~flat.any(axis=1)
                assert not np.signbit(flat[zeroed]).any()
                expected = references.bilevel(Y.astype(np.float64), eta, inner, 1)
                np.testing.assert_allclose(flat, expected, rtol=0,
                                           atol=2e-6 * float(np.abs(Y).max()))


@pytest.mark.parametrize("kind", [0, 1, 2], ids=["linf", "l1", "l2"])
def test_float32_narrow_column_norms_take_the_folds_bits(kind, rng):
    # Float32 matrices of up to 32 columns (AVX2: 16) whose rows lie one
    # after the other take their column norms a row one or two masked
    # vectors (``skp_narrow_column_norms512_f32``, ``_256``): the folds' order
    # (blocks of 8 rows for the first n - n % 8 columns, the rest a row at a
    # time), so the folds' bits, for every width, whole and partial blocks
    # of rows, values of very different scales; a NaN or inf anywhere handed
    # back.
    from skproj.projections import _bilevel

    for n_cols in range(1, 34):
        for n_rows in (1, 7, 8, 9, 37, 200):
            Y = (rng.standard_normal((n_rows, n_cols))
                 * 10.0 ** rng.integers(-15, 15, size=(n_rows, n_cols))).astype(np.float32)
            norms = {}
            try:
                for avx512, narrow in ((True, True), (False, True), (False, False)):
                    _bilevel._set_column_paths(avx512=avx512, narrow_columns=narrow)
                    got = np.empty(n_cols)
                    assert _bilevel.group_norms(Y, got, kind, False)
                    norms[avx512, narrow] = got
                    for bad in (np.nan, np.inf):
                        Z = Y.copy()
                        Z[rng.integers(n_rows), rng.integers(n_cols)] = bad
                        assert not _bilevel.group_norms(Z, np.empty(n_cols), kind, False)
            finally:
                _bilevel._set_column_paths()
            for key, got in norms.items():
                np.testing.assert_array_equal(bits(got), bits(norms[False, False]),
                                              err_msg=f"{n_rows} x {n_cols}, {key}")
            expected = np.linalg.norm(Y.astype(np.float64), ord=[np.inf, 1, 2][kind], axis=0)
            np.testing.assert_allclose(norms[True, True], expected, rtol=1e-6)


@pytest.mark.parametrize("shape", [(1, 16), (8, 35), (9, 301), (37, 48), (3, 7), (77, 40),
                                   (45, 600)])
def test_float32_column_l2_norms_rooted_in_the_fold_take_the_loops_bits(shape, rng):
    # With AVX-512, float32 column groups' squares are summed sixteen columns
    # a vector and the last fold of rows stores their square roots
    # (``skp_fold_squares512_f32``), the columns past the last multiple of 16
    # by the AVX2 loop, then rooted: the same bits as the AVX2 sums rooted
    # after the loop, whatever the number of row blocks (8 rows each, up to
    # 32 rows a call, 16 on rows longer than 2 KiB) and of leftover columns;
    # values of very different scales.
    from skproj.projections import _bilevel

    Y = (rng.standard_normal(shape)
         * 10.0 ** rng.integers(-15, 15, size=shape)).astype(np.float32)
    norms = {}
    try:
        for avx512 in (True, False):
            _bilevel._set_column_paths(avx512=avx512)
            norms[avx512] = np.empty(shape[1])
            assert _bilevel.group_norms(Y, norms[avx512], 2, False)
    finally:
        _bilevel._set_column_paths()
    np.testing.assert_array_equal(bits(norms[True]), bits(norms[False]))
    np.testing.assert_allclose(norms[True], np.sqrt((Y.astype(np.float64) ** 2).sum(axis=0)),
                               rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("offset", [0, 8, 16, 56])
@pytest.mark.parametrize("length", [16, 17, 47, 48, 65, 255, 256, 257, 1000])
def test_row_maxima_with_avx512_take_the_avx2_maxima(dtype, offset, length, rng):
    # With AVX-512, a row of 256 float32 or 48 float64 values or more has
    # its largest magnitude taken from its first line boundary, the values
    # before it and after its last whole vector under masks
    # (``skp_row_max512_f32``, ``_f64``): the AVX2 loop's maxima wherever
    # the row starts in a line, -0.0 and subnormals included; a NaN in the
    # masked head, the vectors or the tail refused by both.
    from skproj.projections import _bilevel

    tiny = np.finfo(dtype).smallest_subnormal
    Y = (rng.standard_normal((3, length))
         * 10.0 ** rng.integers(-30, 30, size=(3, length))).astype(dtype)
    Y[0, :] = -0.0
    Y[1, -1] = -tiny
    Y = at_offset(Y, offset)
    norms = {}
    try:
        for avx512 in (True, False):
            _bilevel._set_column_paths(avx512=avx512)
            norms[avx512] = np.empty(3)
            assert _bilevel.group_norms(Y, norms[avx512], 0, True)
            for column in sorted({0, 1, 15, 16, length // 2, length - 1} & set(range(length))):
                Z = at_offset(Y, offset)
                Z[2, column] = np.nan
                assert not _bilevel.group_norms(Z, np.empty(3), 0, True)
    finally:
        _bilevel._set_column_paths()
    np.testing.assert_array_equal(bits(norms[True]), bits(norms[False]))
    np.testing.assert_array_equal(norms[True], np.abs(Y).max(axis=1).astype(np.float64))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["contiguous", "strided", "reversed"])
def test_row_maxima_reduced_a_block_of_rows_at_once_take_the_row_loops_maxima(
        dtype, layout, rng):
    # With AVX-512, the maxima of rows of 3 to 127 float32 (47 float64)
    # values are taken 16 (8) rows at a time, each row folded into one
    # vector, then the block's vectors reduced together by permutes
    # (``skp_row_maxima_tree512_f32``, ``_f64``; with AVX2, float32 rows of
    # 9-63 values eight at a time, ``skp_row_maxima_tree256_f32``): the row
    # loops' maxima (and the short rows') for
    # every width, whole and partial blocks of rows, rows one after the
    # other or not and in either order, -0.0 and subnormals included; a NaN
    # in any row refused, inf its row's maximum.
    from skproj.projections import _bilevel

    tiny = np.finfo(dtype).smallest_subnormal
    for n_cols in [1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 20, 31, 32, 33, 47, 48, 49, 64, 100, 127,
                   128]:
        for n_rows in (1, 7, 8, 9, 16, 17, 40):
            Y = (rng.standard_normal((n_rows, n_cols + 5))
                 * 10.0 ** rng.integers(-30, 30, size=(n_rows, n_cols + 5))).astype(dtype)
            Y[0, :] = -0.0
            Y[-1, -1] = -tiny
            Y = {"contiguous": np.ascontiguousarray(Y[:, :n_cols]), "strided": Y[:, 2:n_cols + 2],
                 "reversed": Y[::-1, :n_cols]}[layout]
            norms = {}
            try:
                for avx512 in (True, False):
                    _bilevel._set_column_paths(avx512=avx512)
                    norms[avx512] = np.empty(n_rows)
                    assert _bilevel.group_norms(Y, norms[avx512], 0, True)
                    row, column = rng.integers(n_rows), rng.integers(n_cols)
                    Z = Y.copy()
                    Z[row, column] = np.nan
                    assert not _bilevel.group_norms(Z, np.empty(n_rows), 0, True)
                    Z[row, column] = -np.inf
                    got = np.empty(n_rows)
                    assert not _bilevel.group_norms(Z, got, 0, True)   # (not all finite)
                    assert got[row] == np.inf
            finally:
                _bilevel._set_column_paths()
            np.testing.assert_array_equal(bits(norms[True]), bits(norms[False]),
                                          err_msg=f"{n_rows} x {n_cols}")
            np.testing.assert_array_equal(norms[True], np.abs(Y).max(axis=1).astype(np.float64))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_cols", [9, 15, 16, 17, 31, 33, 47, 48, 49, 100, 1003])
def test_row_writes_realigned_from_whole_lines_take_the_same_bits(dtype, n_cols, rng):
    # Where a row of the input and the same row of the result start at
    # different offsets in a cache line, the AVX-512 row write (the clip of
    # bilevel_l1inf, the rescale of bilevel_l12, both axes) reads the input's
    # whole lines, aligned, and shifts each vector into place
    # (skp_write_realigned512), rather than loading across lines: the same
    # values, so the same bits, for every pair of offsets and with the loads
    # across lines; rows shorter than a vector and its line head, a first
    # line that would start before the input, the last vectors of a row.
    from skproj.projections import _bilevel

    Y = rng.standard_normal((9, n_cols)).astype(dtype)
    Y[:, 2] = 0.0
    Y[4, ::3] = -0.0
    itemsize = Y.itemsize
    try:
        for project, norm in ((bilevel_l1inf, l1inf_norm), (bilevel_l12, l12_norm)):
            for axis in (0, 1):
                radius = 0.5 * norm(Y, axis=axis)
                expected = project(Y, radius, axis=axis)
                for y_offset in (0, 1, 5):
                    Z = at_offset(Y, y_offset * itemsize)
                    for x_offset in range(64 // itemsize):
                        for realign in (True, False):
                            _bilevel._set_column_paths(realign=realign)
                            out = at_offset(np.full_like(Y, np.nan), x_offset * itemsize)
                            project(Z, radius, axis=axis, out=out)
                            np.testing.assert_array_equal(
                                bits(out), bits(expected),
                                err_msg=f"{project.__name__} {axis} {y_offset} {x_offset}")
    finally:
        _bilevel._set_column_paths()


@pytest.mark.parametrize("offset", [0, 4, 16, 60])
@pytest.mark.parametrize("shape", [(8, 16), (9, 31), (17, 47), (3, 301), (24, 7), (1, 100),
                                   (77, 40), (45, 600)])
def test_float32_column_max_and_l1_folds_take_the_avx2_bits(offset, shape, rng):
    # With AVX-512, float32 column groups' maxima and l1 sums are folded 16
    # or 32 columns at a time from the first row's next line boundary (the
    # columns before it under a mask, ``skp_fold_rows512_f32``), the last
    # n % 8 columns one by one by the AVX2 caller, up to 32 rows a call (16
    # where rows are longer than 2 KiB) in blocks of 8, the AVX2 loop's: the
    # same bits as the AVX2 loop, whatever the rows' count (77: two calls of
    # 32 and one of two blocks, the last partial; 45 rows of 600 values:
    # calls of 16), wherever the matrix starts in a line; -0.0, subnormals and
    # values of very different scales; a NaN refused by both, in the masked
    # columns, the whole vectors or the last ones.
    from skproj.projections import _bilevel

    Y = (rng.standard_normal(shape)
         * 10.0 ** rng.integers(-15, 15, size=shape)).astype(np.float32)
    Y[0, 0] = -0.0
    Y[-1, -1] = np.float32(-1e-40)
    Y = at_offset(Y, offset)
    for kind in (0, 1):
        norms = {}
        try:
            for avx512 in (True, False):
                _bilevel._set_column_paths(fold512=avx512)
                norms[avx512] = np.empty(shape[1])
                assert _bilevel.group_norms(Y, norms[avx512], kind, False)
                for column in sorted({0, 3, shape[1] // 2, shape[1] - 1}):
                    Z = at_offset(Y, offset)
                    Z[shape[0] // 2, column] = np.nan
                    assert not _bilevel.group_norms(Z, np.empty(shape[1]), kind, False)
        finally:
            _bilevel._set_column_paths()
        np.testing.assert_array_equal(bits(norms[True]), bits(norms[False]))
        expected = (np.abs(Y).max(axis=0) if kind == 0
                    else np.abs(Y.astype(np.float64)).sum(axis=0))
        np.testing.assert_allclose(norms[True], expected, rtol=1e-6)


@pytest.mark.parametrize("loops", ["default", "avx2"])
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("length", [1, 2, 7, 8, 9, 15, 16, 17])
@pytest.mark.parametrize("kind", ["normal", "ties", "grid", "wide"])
def test_short_rows_in_lanes_against_sort(loops, dtype, tol, length, kind, rng):
    # Rows of up to 16 values lying one after
    # the other take their taus from a block of rows gathered a row a lane,
    # sorted and scanned (``_short_rows``; AVX-512's loops where the CPU has
    # them, or AVX2's: float32 rows loaded whole and transposed, the last
    # blocks gathered), and are written a vector at a
    # time: against the sort, whole blocks and a partial one (15, 16, 17 and
    # 40 rows), a zeroed row +0, out= given (Fortran order, strided: the same
    # bits) and in place, and against the gathered candidates (the lanes
    # turned off: another order of the sums, so within the tolerance).
    from skproj.projections import _bilevel

    if loops == "avx2":
        _bilevel._set_column_paths(avx512=False)
    try:
        _check_short_rows_in_lanes(dtype, tol, length, kind, rng)
    finally:
        _bilevel._set_column_paths()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_short_rows_same_bits_with_avx512_and_avx2(dtype, rng):
    # The AVX2 short rows give the AVX-512 loops' taus and bits (the same
    # sort and scan, the same write), on every length and partial blocks.
    from skproj.projections import _bilevel

    if not _bilevel._set_column_paths():
        pytest.skip("the CPU lacks AVX-512F")
    for length in range(1, 17):
        for n_rows in (1, 9, 17, 40):
            Y = rng.standard_normal((n_rows, length)).astype(dtype)
            Y[n_rows // 2] = 0.0
            eta = 0.4 * l11_norm(Y, axis=1)
            X = bilevel_l11(Y, eta, axis=1)
            _bilevel._set_column_paths(avx512=False)
            try:
                np.testing.assert_array_equal(bits(bilevel_l11(Y, eta, axis=1)), bits(X),
                                              err_msg=f"{n_rows} x {length}")
            finally:
                _bilevel._set_column_paths()


def _check_short_rows_in_lanes(dtype, tol, length, kind, rng):
    from skproj.projections import _bilevel

    for n_rows in (1, 15, 16, 17, 40):
        Y = _column_values(kind, (length, n_rows), rng).T.astype(dtype, order="C")
        Y[n_rows // 2] = 0.0
        norm = l11_norm(Y, axis=1)
        for fraction in (0.001, 0.05, 0.5, 0.9999):
            X = bilevel_l11(Y, fraction * norm, axis=1)
            expected = references.bilevel(Y, fraction * norm, "l1", 1)
            np.testing.assert_allclose(X, expected, rtol=0, atol=tol * float(np.abs(Y).max()))
            assert not np.signbit(X[~expected.any(axis=1)]).any()
            for out in (np.empty_like(Y, order="F"), np.empty((n_rows, 2 * length), dtype)[:, ::2]):
                assert bilevel_l11(Y, fraction * norm, axis=1, out=out) is out
                np.testing.assert_array_equal(bits(np.ascontiguousarray(out)), bits(X))
            Z = Y.copy()
            assert bilevel_l11(Z, fraction * norm, axis=1, out=Z) is Z
            np.testing.assert_array_equal(bits(Z), bits(X))
            try:
                _bilevel._set_lane_rows(0)
                np.testing.assert_allclose(bilevel_l11(Y, fraction * norm, axis=1), X, rtol=0,
                                           atol=tol * float(np.abs(Y).max()))
            finally:
                _bilevel._set_lane_rows()


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("rows", [1, 3, 4, 5, 8, 9, 17, 100, 257])
@pytest.mark.parametrize("kind", ["normal", "ties", "grid", "wide"])
def test_column_panels_by_passes_against_sort(column_path, dtype, tol, rows, kind, rng):
    # Each lane of a group of 8 or 16 columns stops on its own; groups cut at
    # the panel's end (203 columns; a first panel made shorter where the rows
    # do not start on a cache line); rows not a multiple of the 2- or 4-row
    # steps and 32-row float blocks; rows reversed or strided; out= given.
    Y = _column_values(kind, (rows, 203), rng).astype(dtype)
    layouts = {"C": Y, "rows reversed": Y[::-1], "rows strided": np.repeat(Y, 2, axis=0)[::2],
               "offset": np.hstack([Y, Y[:, :3]])[:, 3:]}
    for layout, Z in layouts.items():
        _check_l11_into_out_against_sort(Z, 0, tol, layout)


def _few_levels(shape, rng):
    """Signed values of few levels and rare large ones: Newton's steps from
    below climb them one at a time, so their columns take many passes."""
    return (rng.choice([0.05, 0.05, 0.05, 0.05, 0.4, 1.5, 6.0], size=shape)
            * rng.choice([-1.0, 1.0], size=shape))


def _check_half_passes(Z, axis, tol):
    """``bilevel_l11`` of ``Z`` by passes with the half passes and without:
    the same bits, and the sort's result, at 0.5-70 % of the norm."""
    from skproj.projections import _bilevel

    norm = references.group_norm(Z, "l1", axis)
    for fraction in (0.005, 0.05, 0.3, 0.7):
        results = []
        try:
            for half_passes in (True, False):
                _bilevel._set_column_paths(passes=True, half_passes=half_passes)
                results.append(bilevel_l11(Z, fraction * norm, axis=axis))
        finally:
            _bilevel._set_column_paths()
        np.testing.assert_array_equal(bits(results[0]), bits(results[1]), f"{axis} {fraction}")
        np.testing.assert_allclose(results[0], references.bilevel(Z, fraction * norm, "l1", axis),
                                   rtol=0, atol=tol * float(np.abs(Z).max()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows", [37, 100, 203, 1000])
def test_column_panels_half_passes_same_bits(dtype, rows, rng):
    # With AVX-512VL, a group of 16 float32 columns (8 float64) whose lanes
    # still going all lie in one half passes over that half alone, in
    # 256-bit vectors (skp_half_above8_f32, skp_half_above4_f64): the same
    # sums (float32's float blocks), so the same bits as the whole group's
    # passes.  In each group of 16, one half holds columns of few
    # levels and rare large values (Newton's steps from below climb them one
    # at a time: many passes), the other Gaussian ones (two or three); the
    # slow half low, then high; signed values and zeros; rows of partial
    # 4-row steps and 32-row blocks; float32's pairs with their fused write
    # (37, 100 rows), single groups (203, 1000 rows); the transposed matrix
    # by rows (float32's short rows in lanes, 16 rows 64 bytes a row).
    Y = rng.standard_normal((rows, 64)) * np.exp(rng.standard_normal(64))
    for g in range(0, 64, 16):
        slow = slice(g, g + 8) if g % 32 == 0 else slice(g + 8, g + 16)
        Y[:, slow] = _few_levels((rows, 8), rng)
    Y[::7, 3] = 0.0
    Y[1::9, 20] = -0.0
    Y = Y.astype(dtype)
    tol = 2e-5 if dtype == np.float32 else 1e-12
    _check_half_passes(Y, 0, tol)
    _check_half_passes(np.ascontiguousarray(Y.T), 1, tol)


def test_column_half_passes_read_no_further_than_the_last_row(rng):
    # A float32 matrix of 10 columns whose rows lie 64 bytes apart, too long
    # for its groups to be packed (more than 16384 rows): the passes read it
    # in place, the half passes too, and the last row's values end where an
    # unreadable page begins; the lanes still going lie in the high half
    # (columns 8 and 9, _few_levels).
    Y = rng.standard_normal((20000, 10))
    Y[:, 8:] = _few_levels((20000, 2), rng)
    Y = Y.astype(np.float32)
    placed = ending_at_a_guard_page(Y, 64)
    if placed is None:
        pytest.skip("mprotect is not reachable through ctypes here")
    Z, memory = placed
    _check_half_passes(Z, 0, 2e-5)
    del Z, memory


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_column_panels_by_passes_from_the_last_groups_taus(column_path, dtype, tol, rng):
    # float32 with AVX-512: each column of a group of 16 starts from a guess
    # made from the group before (its mean tau, radius and support, scaled
    # to the column's norm): below some columns' taus, above others' (a
    # Newton step from above), above a column's largest value (the pass
    # keeps nothing: from the floor).  Groups of similar columns, then of
    # scales alternating between groups and within them.  The taus do not
    # depend on the start: the groups permuted give the same columns.
    scales = np.concatenate([np.ones(48), np.repeat([4.0, 1.0, 0.3, 1.0], 16),
                             np.tile([1.0, 2.0], 24), np.exp(rng.standard_normal(45))])
    Y = (rng.standard_normal((100, scales.size)) * scales).astype(dtype)
    Y[:, 90] = 0.0
    # flat columns after larger ones: kept at 30 % of the norm, their largest
    # values (1) below the guess (about 1.09)
    Y[:, 64:80] = rng.choice([-1.0, 1.0], size=(100, 16))
    order = np.concatenate([np.arange(g, min(g + 16, Y.shape[1]))
                            for g in rng.permutation(np.arange(0, Y.shape[1], 16))])
    norm = references.group_norm(Y, "l1", 0)
    for fraction in (0.02, 0.3, 0.5, 0.7, 0.95, 0.999):
        X = bilevel_l11(Y, fraction * norm, axis=0)
        np.testing.assert_allclose(X, references.bilevel(Y, fraction * norm, "l1", 0), rtol=0,
                                   atol=tol * float(np.abs(Y).max()), err_msg=str(fraction))
        np.testing.assert_allclose(bilevel_l11(Y[:, order], fraction * norm, axis=0),
                                   X[:, order], rtol=0, atol=tol * float(np.abs(Y).max()))


def test_float32_column_panels_by_passes_at_the_float_limits(column_path):
    # Sums over a float block overflow (taken again in double); a radius below
    # the rounding of the largest value (a lane keeps nothing: tau is rho).
    Y = np.full((37, 45), 5e37, dtype=np.float32)
    Y[::2] *= -1
    Y[:, ::3] /= 7
    radius = 0.3 * references.group_norm(Y, "l1", 0)
    np.testing.assert_allclose(bilevel_l11(Y, radius, axis=0),
                               references.bilevel(Y, radius, "l1", 0),
                               rtol=0, atol=2e-5 * 5e37 * 8)
    Y = np.ones((20, 33), dtype=np.float32)
    Y[3] = 2.0
    X = bilevel_l11(Y, 1e-9, axis=0)
    assert np.isfinite(X).all() and X.sum() <= 1e-9 * (1 + 1e-5)


@pytest.mark.parametrize("avx512", [True, False], ids=["avx512", "avx2"])
@pytest.mark.parametrize("passes", [False, True])
@pytest.mark.parametrize("dtype,tol", [(np.float32, 2e-5), (np.float64, 1e-12)])
def test_streamed_column_panels_against_sort(avx512, passes, dtype, tol, rng):
    # A result of 8 MiB or more is written by non-temporal stores (AVX-512:
    # the panels whose rows start on a cache line, the first one by the AVX2
    # loop; "offset": rows of the result an element past a line, every panel
    # by it; float64 with AVX-512 by whole lines where no next panel is
    # prefetched), the taus of the gathered candidates by the AVX-512 passes
    # or the AVX2 ones, or the taus by passes over the panels (AVX-512: the
    # first pass over a group prefetching its rows ahead, the matrix out of
    # cache); ties and zero columns.
    from skproj.projections import _bilevel

    Y = rng.standard_normal((1024, 2049)) * np.exp(rng.standard_normal(2049))
    Y[:, ::9] = np.round(Y[:, ::9])
    Y[:, 5::11] = 0
    Y = Y.astype(dtype)
    _bilevel._set_column_paths(passes=passes, avx512=avx512)
    try:
        for layout, Z in {"C": Y[:, :2048], "offset": Y[:, 1:]}.items():
            norm = references.group_norm(Z, "l1", 0)
            for fraction in (0.01, 0.5, 0.95):
                out = np.full((1024, 2048), np.nan, dtype=dtype)
                if layout == "offset":
                    out = np.full((1024, 2049), np.nan, dtype=dtype)[:, 1:]
                assert bilevel_l11(Z, fraction * norm, axis=0, out=out) is out
                expected = references.bilevel(Z, fraction * norm, "l1", 0)
                np.testing.assert_allclose(out, expected, rtol=0,
                                           atol=tol * float(np.abs(Z).max()),
                                           err_msg=f"{layout} {fraction}")
                assert not np.signbit(out[:, ~expected.any(axis=0)]).any()
    finally:
        _bilevel._set_column_paths()


@pytest.mark.parametrize("avx512", [True, False], ids=["avx512", "avx2"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(37, 203), (300, 1029), (2050, 1030)])
def test_column_panel_writes_same_bits_into_any_out(avx512, dtype, shape, rng):
    # Where a result's rows start in a cache line moves the panels' edges
    # (the first panel ends on a line) and, where the result is streamed (the
    # last shape, 8 MiB in float32, whose columns of 2050 rows take panels of
    # 1 MiB in both dtypes), which loop writes them (AVX-512 whole lines, float64 too since
    # issue 14, or AVX2): the same operations on every value, so the same
    # bits into any ``out``, and the projection of the sort; ties, zero
    # columns and negative zeros.  A block in cache (the first shape) is
    # written down strips of columns or along its rows, as the CPU prefers,
    # or (float32 columns passed in pairs, AVX-512's groups of 16 or AVX2's
    # of 8) each pair of groups of columns as soon as its taus are known,
    # from the pair's copies (its values kept signed, their signs not read
    # again; AVX2's last pair of 203 columns a group of 8 and one of 3): all
    # three forced here, the same bits.
    from skproj.projections import _bilevel

    Y = rng.standard_normal(shape) * np.exp(rng.standard_normal(shape[1]))
    Y[:, ::7] = np.round(Y[:, ::7])
    Y[:, 3::13] = 0
    Y[1::5, 2::9] = -0.0
    Y = Y.astype(dtype)
    norm = l11_norm(Y)
    _bilevel._set_column_paths(avx512=avx512)
    try:
        for fraction in (0.01, 0.5, 0.95):
            results = []
            for strips, fused in ((True, False), (False, False), (False, True)):
                _bilevel._set_column_paths(avx512=avx512, strips=strips, fused=fused)
                for offset in (0, 1, 3):
                    out = np.empty((shape[0], shape[1] + 3), dtype=dtype)
                    out = out[:, offset:offset + shape[1]]
                    results.append(bilevel_l11(Y, fraction * norm, axis=0, out=out).copy())
            for X in results[1:]:
                np.testing.assert_array_equal(X.view(np.uint8), results[0].view(np.uint8),
                                              err_msg=str(fraction))
            np.testing.assert_allclose(
                results[0], references.bilevel(Y, fraction * norm, "l1", 0), rtol=0,
                atol=(2e-5 if dtype == np.float32 else 1e-12) * float(np.abs(Y).max()))
    finally:
        _bilevel._set_column_paths()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n_rows, row_bytes", [(40, 2048), (33, 4096), (100, 4096), (9, 8192),
                                               (300, 4096)])
def test_rows_a_multiple_of_2k_apart_are_written_along_the_rows(dtype, n_rows, row_bytes, rng):
    # Column groups of a block in cache whose rows lie a multiple of 2 KiB
    # apart (power-of-two widths: a layer of 1024 float32 inputs) are
    # written along the rows, not down strips of columns nor by pairs of
    # groups as their taus are known (``skp_rows_alias``), and
    # ``bilevel_l11``'s of a larger one (the last shape, 1.2 MiB in
    # float32) after all their taus rather than a panel at a time: the same
    # bits as from and into rows padded apart, which take those, and the
    # projection.
    shape = (n_rows, row_bytes // np.dtype(dtype).itemsize)
    Y = (rng.standard_normal(shape) * np.exp(rng.standard_normal(shape[1]))).astype(dtype)
    Y[:, 3::13] = 0
    Y[1::5, 2::9] = -0.0
    assert Y.strides[0] % 2048 == 0 and rows_padded(Y).strides[0] % 2048 != 0
    for project, norm, kind in ((bilevel_l11, l11_norm, "l1"),
                                (bilevel_l1inf, l1inf_norm, "linf"),
                                (bilevel_l12, l12_norm, "l2")):
        for fraction in (0.1, 0.5, 0.9):
            eta = fraction * norm(Y)
            aliased = project(Y, eta, axis=0)
            apart = project(rows_padded(Y), eta, axis=0, out=rows_padded(np.empty_like(Y)))
            np.testing.assert_array_equal(bits(aliased), bits(apart),
                                          err_msg=f"{project.__name__} {fraction}")
            np.testing.assert_allclose(
                aliased, references.bilevel(Y, eta, kind, 0), rtol=0,
                atol=(2e-5 if dtype == np.float32 else 1e-12) * float(np.abs(Y).max()))


@pytest.mark.parametrize("shape", [(700, 3003), (703, 3040)])
def test_long_float32_columns_out_of_cache_take_the_same_bits_in_pairs(shape, rng):
    # float32 columns of 641-1024 rows in a matrix of 8 MiB and more, whose
    # next panel is not prefetched, are passed two groups of 16 at a time
    # with AVX-512, both groups' first passes in one sweep down the rows
    # (``skp_group16_first_pair``): the float blocks of each group's sums as
    # a group alone takes them, so the same bits as groups one by one,
    # whatever the rows past the last block of four and the lanes of the
    # second group (a partial last group, groups whose columns are all
    # zeroed, which are then not read) and where a float block overflows
    # (values of up to 3e38: summed again in double); and the projection of
    # the sort.  Also with the panel's other lines not prefetched by the
    # first pair's sweep nor by the streamed write (``panel_lines``), and
    # without the next panel's lines prefetched by the later pairs' sweeps
    # (``next_in_sweeps``: panels of 128 columns, four pairs each).
    from skproj.projections import _bilevel

    Y = rng.standard_normal(shape) * np.exp(rng.standard_normal(shape[1]))
    Y[:, 32:48] *= 1e-3          # (a whole group of 16 columns zeroed at most radii)
    Y[::3, 7::11] = np.round(Y[::3, 7::11])
    try:
        large = (np.clip(Y, -100, 100) * 3e36).astype(np.float32)
        for Z, fraction in itertools.product((Y.astype(np.float32), large), (0.02, 0.5, 0.97)):
            norm = l11_norm(Z)
            results = []
            for first_pairs, panel_lines, next_in_sweeps in (
                    (True, True, True), (False, True, True), (True, False, True),
                    (True, True, False)):
                _bilevel._set_column_paths(first_pairs=first_pairs, panel_lines=panel_lines,
                                           next_in_sweeps=next_in_sweeps)
                results.append(bilevel_l11(Z, fraction * norm, axis=0))
            for other in results[1:]:
                np.testing.assert_array_equal(results[0].view(np.uint32), other.view(np.uint32),
                                              err_msg=str(fraction))
            np.testing.assert_allclose(
                results[0], references.bilevel(Z, fraction * norm, "l1", 0), rtol=0,
                atol=2e-5 * float(np.abs(Z).max()))
    finally:
        _bilevel._set_column_paths()


@pytest.mark.parametrize("shape", [(2000, 1100), (1100, 2003)])
def test_float32_columns_of_up_to_8192_rows_out_of_cache_take_the_passes(shape, rng):
    # float32 columns of 1025 to 8192 rows in a matrix of 8 MiB and more take
    # the AVX-512 passes, their pairs' sweeps prefetching the next panel
    # (``_float_rows_streamed``), at any share of groups kept (no candidate
    # gathered): the same bits as the passes forced, with and without that
    # prefetch (panels of 64 and
    # 112 columns: two and three pairs, the last group alone); within float32's
    # tolerance of the gathered candidates' taus (another order of the sums)
    # and of the projection of the sort; a zeroed group of columns +0.
    from skproj.projections import _bilevel

    if not _bilevel._set_column_paths():
        pytest.skip("the CPU lacks AVX-512F: the gather takes these columns")
    # (Gaussian columns of one scale: the few kept keep little of their norm)
    Y = rng.standard_normal(shape).astype(np.float32)
    Y[:, 32:48] *= np.float32(1e-4)
    norms = np.sort(np.abs(Y.astype(np.float64)).sum(axis=0))[::-1]
    try:
        for share in (0.05, 0.5, 0.97):
            # (the radius keeping that share of the groups: few of them keep
            # too small a share of the norm for the passes before this rule)
            kept = int(share * norms.size)
            radius = float((norms[:kept] - norms[kept]).sum())
            results, gathered = {}, {}
            for name, switches in (("default", {}), ("passes", {"passes": True}),
                                   ("no prefetch", {"passes": True, "next_in_sweeps": False}),
                                   ("gather", {"passes": False})):
                _bilevel._set_column_paths(**switches)
                results[name] = bilevel_l11(Y, radius, axis=0)
                gathered[name] = _bilevel._candidate_scratch()
            # (no candidate gathered by default: the passes ran)
            assert gathered["default"] == 0 < gathered["gather"]
            for name in ("passes", "no prefetch"):
                np.testing.assert_array_equal(results["default"].view(np.uint32),
                                              results[name].view(np.uint32),
                                              err_msg=f"{name} {share}")
            atol = 2e-5 * float(np.abs(Y).max())
            np.testing.assert_allclose(results["default"], results["gather"], rtol=0, atol=atol)
            np.testing.assert_allclose(results["default"],
                                       references.bilevel(Y, radius, "l1", 0), rtol=0,
                                       atol=atol)
            zeroed = ~results["default"].any(axis=0)
            assert zeroed.sum() >= norms.size - kept - 1
            assert not np.signbit(results["default"][:, zeroed]).any()
    finally:
        _bilevel._set_column_paths()


@pytest.mark.parametrize("avx512", [True, False])
def test_streamed_panel_writes_prefetching_their_lines_take_the_same_bits(avx512, rng):
    # The streamed writes of column panels that no panel before prefetched
    # (float64's gathered candidates, 16 MiB here) prefetch their kept
    # columns' lines some rows ahead (``panel_lines``), with AVX-512 and with
    # AVX2: the same bits as without, zeroed groups of columns among them,
    # and the projection of the sort.
    from skproj.projections import _bilevel

    Y = rng.standard_normal((700, 3003)) * np.exp(rng.standard_normal(3003))
    Y[:, 40:72] *= 1e-3
    norm = l11_norm(Y)
    try:
        for fraction in (0.02, 0.5, 0.97):
            results = []
            for panel_lines in (True, False):
                _bilevel._set_column_paths(avx512=avx512, panel_lines=panel_lines)
                results.append(bilevel_l11(Y, fraction * norm, axis=0))
            np.testing.assert_array_equal(results[0].view(np.uint64),
                                          results[1].view(np.uint64), err_msg=str(fraction))
            np.testing.assert_allclose(
                results[0], references.bilevel(Y, fraction * norm, "l1", 0), rtol=0,
                atol=1e-12 * float(np.abs(Y).max()))
    finally:
        _bilevel._set_column_paths()


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_column_panel_paths_agree(dtype, tol, rng):
    # The rule picks passes or gathered candidates per panel: both give the
    # same projection to rounding, at every radius.
    from skproj.projections import _bilevel

    Y = (rng.standard_normal((300, 900)) * rng.exponential(size=900)).astype(dtype)
    norm = l11_norm(Y)
    try:
        for fraction in (0.01, 0.1, 0.5, 0.9):
            results = []
            for passes in (True, False, None):
                _bilevel._set_column_paths(passes=passes)
                results.append(bilevel_l11(Y, fraction * norm, axis=0))
            for X in results[1:]:
                np.testing.assert_allclose(X, results[0], rtol=0,
                                           atol=tol * float(np.abs(Y).max()))
    finally:
        _bilevel._set_column_paths()


@pytest.mark.parametrize("dtype,rows", [(np.float64, 700), (np.float64, 1536),
                                        (np.float32, 1200), (np.float32, 2048)])
def test_avx2_longer_columns_take_the_passes_by_their_kept_share(dtype, rows, rng):
    # With AVX2 alone, columns of 513-1536 (float64) or 1025-2048 (float32)
    # rows take the passes where they keep 8 % of their l1 norm or more, the
    # gathered candidates below: at half the norm every column keeps half of
    # it; at the radius keeping half of these Gaussian groups, about 2 %.
    from skproj.projections import _bilevel

    Y = rng.standard_normal((rows, 48)).astype(dtype)
    norms = np.abs(Y.astype(np.float64)).sum(axis=0)
    radii = {"half the norm": 0.5 * float(norms.sum()),
             "half the groups": float(np.maximum(norms - np.median(norms), 0.0).sum())}
    results = {}
    try:
        for passes in (True, False, None):
            _bilevel._set_column_paths(passes=passes, avx512=False)
            results[passes] = {name: bits(bilevel_l11(Y, eta, axis=0))
                               for name, eta in radii.items()}
    finally:
        _bilevel._set_column_paths()
    if any(np.array_equal(results[True][name], results[False][name]) for name in radii):
        pytest.skip("the two paths gave the same bits: no AVX2 loops run here")
    np.testing.assert_array_equal(results[None]["half the norm"], results[True]["half the norm"])
    np.testing.assert_array_equal(results[None]["half the groups"],
                                  results[False]["half the groups"])


@pytest.mark.parametrize("avx512", [True, False], ids=["avx512", "avx2"])
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("length", [1, 15, 16, 17, 127, 129, 512, 513, 5003])
def test_bilevel_l11_rows_both_vector_widths(avx512, dtype, tol, length, rng):
    # A row's candidates are compacted by vcompress where AVX-512 runs (masked
    # last vectors; float32 summed over blocks of 128), else by the AVX2 loop:
    # row lengths on and around the vector, block and chunk edges, ties.
    from skproj.projections import _bilevel

    Y = rng.standard_normal((29, length)) * np.exp(2 * rng.standard_normal((29, 1)))
    Y[::4] = np.round(Y[::4])
    Y = Y.astype(dtype)
    _bilevel._set_column_paths(avx512=avx512)
    try:
        for Z in (Y, Y[::-1], np.hstack([Y, Y[:, :1]])[:, 1:]):
            norm = references.group_norm(Z, "l1", 1)
            for fraction in (0.01, 0.3, 0.9, 0.9999):
                np.testing.assert_allclose(bilevel_l11(Z, fraction * norm, axis=1),
                                           references.bilevel(Z, fraction * norm, "l1", 1),
                                           rtol=0, atol=tol * float(np.abs(Z).max()))
    finally:
        _bilevel._set_column_paths()


@pytest.mark.parametrize("lanes", ["lanes16", "lanes8", "gathered"])
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (8, 8), (17, 100), (9, 127), (13, 512),
                                   (35, 300)])
@pytest.mark.parametrize("kind", ["normal", "ties", "grid", "wide"])
def test_short_rows_by_lanes_against_sort(lanes, dtype, tol, shape, kind, rng):
    # Rows of up to LANE_ROW_LENGTH values (float64: a quarter) find their
    # taus eight at a time (sixteen float32 ones with AVX-512), a row a lane
    # of the column passes (or by their gathered candidates): a last block of
    # fewer rows, rows of values not a multiple of the 8 x 8 or 4 x 4
    # transpositions, zero rows, rows reversed (a negative stride), out= given.
    from skproj.projections import _bilevel

    Y = np.ascontiguousarray(_column_values(kind, shape[::-1], rng).T, dtype=dtype)
    Y[1::4] = 0.0
    _bilevel._set_lane_rows(0 if lanes == "gathered" else 512, wide=lanes == "lanes16")
    try:
        for layout, Z in {"C": Y, "rows reversed": Y[::-1]}.items():
            _check_l11_into_out_against_sort(Z, 1, tol, layout)
    finally:
        _bilevel._set_lane_rows()


@pytest.mark.parametrize("lanes", ["lanes16", "lanes8"])
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("pattern", ["scattered", "runs", "last few kept"])
def test_lanes_take_the_kept_rows_side_by_side(lanes, dtype, tol, pattern, rng):
    # The lanes take the next kept rows whichever rows they are, the zeroed
    # ones between them skipped: a block's rows span zeroed runs and block
    # boundaries, and the last kept rows, fewer than a block, go to the lanes
    # or the gather by how many are left.  Rows are zeroed by the outer
    # projection (small norms) and given as zeros; the gather alone, the sort
    # and the rows reversed must all agree.
    from skproj.projections import _bilevel

    n_rows, length = 203, 48
    scale = np.full(n_rows, 1e-3)
    if pattern == "scattered":
        scale[rng.random(n_rows) < 0.35] = 1.0
    elif pattern == "runs":
        for start in range(0, n_rows, 29):
            scale[start:start + 1 + start % 13] = 1.0
    else:
        scale[:150:3] = 1.0
        scale[-5:] = 1.0
    Y = (rng.standard_normal((n_rows, length)) * scale[:, None]).astype(dtype)
    Y[rng.random(n_rows) < 0.1] = 0.0
    # (radii that zero the small rows, and keep most of the big ones' norms)
    big = float(np.abs(Y[scale == 1.0]).sum())
    atol = tol * float(np.abs(Y).max())
    try:
        for fraction in (0.05, 0.5, 0.95):
            expected = references.bilevel(Y, fraction * big, "l1", 1)
            assert 0 < np.count_nonzero(expected.any(axis=1)) < n_rows
            _bilevel._set_lane_rows(0)
            gathered = bilevel_l11(Y, fraction * big, axis=1)
            _bilevel._set_lane_rows(512, wide=lanes == "lanes16")
            for layout, Z in {"C": Y, "rows reversed": Y[::-1]}.items():
                X = bilevel_l11(Z, fraction * big, axis=1)
                X = X if layout == "C" else X[::-1]
                np.testing.assert_allclose(X, expected, rtol=0, atol=atol, err_msg=layout)
                np.testing.assert_allclose(X, gathered, rtol=0, atol=atol, err_msg=layout)
                assert not np.signbit(X[~expected.any(axis=1)]).any()
    finally:
        _bilevel._set_lane_rows()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("length", [17, 31, 64, 100, 128, 255, 256])
def test_short_rows_written_at_once_take_the_row_loops_bits(dtype, length, rng):
    # Row groups of up to SHORT_ROW_WRITE_BYTES in a matrix in cache are
    # written in one call once every tau is known (``shrink_rows_at_once``:
    # float32's last n % 8 values of a row in double, as a row's call takes
    # them): the same bits as a call a row, zeroed rows +0 and not read, a
    # result in place too.
    from skproj.projections import _bilevel

    Y = rng.standard_normal((203, length)).astype(dtype)
    Y[::5] *= 1e-3
    Y[3::7] = 0.0
    Y[1::6] = -Y[1::6]
    for share in (0.02, 0.3, 0.9):
        eta = share * l11_norm(Y, axis=1)
        try:
            _bilevel._set_lane_rows(write_bytes=0)
            by_row = bilevel_l11(Y, eta, axis=1)
        finally:
            _bilevel._set_lane_rows()
        at_once = bilevel_l11(Y, eta, axis=1)
        np.testing.assert_array_equal(bits(at_once), bits(by_row))
        Z = Y.copy()
        assert bilevel_l11(Z, eta, axis=1, out=Z) is Z
        np.testing.assert_array_equal(bits(Z), bits(by_row))
        zeroed = ~by_row.any(axis=1)
        assert zeroed.any() and not np.signbit(at_once[zeroed]).any()
        np.testing.assert_allclose(at_once, references.bilevel(Y, eta, "l1", 1), rtol=0,
                                   atol=(2e-5 if dtype == np.float32 else 1e-12)
                                   * float(np.abs(Y).max()))


@pytest.mark.parametrize("avx512", [True, False], ids=["avx512", "avx2"])
@pytest.mark.parametrize("rows", [1, 7, 8, 9, 31, 32, 33, 100, 512, 513])
def test_float64_gathered_column_thresholds_against_sort(avx512, rows, rng):
    # float64 columns' taus from their gathered candidates: by passes counting
    # in registers with AVX-512 (lists of up to 512 values, masked last
    # vectors), else by michelot_above; lists around the vector and unroll
    # edges, a zero column, flat columns, ties at tau, nearly the whole norm.
    from skproj.projections import _bilevel

    Y = rng.standard_normal((rows, 40)) * np.exp(rng.standard_normal(40))
    Y[:, 5] = 0.0
    Y[:, 6:10] = rng.choice([-1.0, 1.0], size=(rows, 4))
    Y[:, 10:14] = rng.choice([-2.0, 0.0, 1.0, 3.0], size=(rows, 4))
    _bilevel._set_column_paths(passes=False, avx512=avx512)
    try:
        for Z in (Y, Y[:, ::-1]):
            norm = references.group_norm(Z, "l1", 0)
            for fraction in (0.01, 0.3, 0.7, 0.9999, 1.0):
                np.testing.assert_allclose(bilevel_l11(Z, fraction * norm, axis=0),
                                           references.bilevel(Z, fraction * norm, "l1", 0),
                                           rtol=0, atol=1e-12 * float(np.abs(Z).max()),
                                           err_msg=str(fraction))
    finally:
        _bilevel._set_column_paths()


def assert_column_switch_keeps_bits(Y, fractions, tol, switch, **paths):
    """``bilevel_l11`` on the column groups of ``Y`` with the testing switch
    ``switch`` of ``_bilevel._set_column_paths`` on and off (the other
    ``paths`` set alike): the same bits, and the sort's projection within
    ``tol``, at ``fractions`` of the norm."""
    from skproj.projections import _bilevel

    norm = references.group_norm(Y, "l1", 0)
    try:
        for fraction in fractions:
            results = []
            for on in (True, False):
                _bilevel._set_column_paths(**paths, **{switch: on})
                results.append(bilevel_l11(Y, fraction * norm, axis=0))
            np.testing.assert_array_equal(bits(results[0]), bits(results[1]),
                                          err_msg=str(fraction))
            np.testing.assert_allclose(results[0], references.bilevel(Y, fraction * norm, "l1", 0),
                                       rtol=0, atol=tol * float(np.abs(Y).max()))
    finally:
        _bilevel._set_column_paths()


def assert_column_groups_match_sort(Y, fractions, tol):
    """``bilevel_l11`` on the column groups of ``Y`` and of ``Y`` with its rows
    reversed (negative strides), against the sort, at ``fractions`` of the
    norm; zeroed columns are +0."""
    for Z in (Y, Y[::-1]):
        norm = references.group_norm(Z, "l1", 0)
        for fraction in fractions:
            expected = references.bilevel(Z, fraction * norm, "l1", 0)
            X = bilevel_l11(Z, fraction * norm, axis=0)
            np.testing.assert_allclose(X, expected, rtol=0,
                                       atol=tol * float(np.abs(Z).max()), err_msg=str(fraction))
            assert not np.signbit(X[:, ~expected.any(axis=0)]).any(), "zeroed columns are +0"


@pytest.mark.parametrize("rows", [31, 32, 33, 65, 255, 256, 257, 1000, 1025, 16384, 16385])
def test_float32_column_passes_packed_and_in_place(column_path, rows, rng):
    # Float32 columns by passes with AVX-512: a group's magnitudes are read
    # packed (|y|, 16 columns a row) after its first pass up to 16384 rows,
    # longer ones in place; float blocks of 32 rows; a last group of columns
    # short of 16 (packed zeros in its missing lanes), a zero column, flat
    # columns, ties.
    Y = rng.standard_normal((rows, 45)) * np.exp(rng.standard_normal(45))
    Y[:, 3] = 0.0
    Y[:, 40:45] = rng.choice([-1.0, 1.0], size=(rows, 5))
    Y[:, 20:24] = rng.choice([-2.0, 0.0, 1.0, 3.0], size=(rows, 4))
    assert_column_groups_match_sort(Y.astype(np.float32), (0.02, 0.3, 0.7, 0.9999), 2e-5)


@pytest.mark.parametrize("rows", [100, 300, 1000])
def test_float32_column_passes_do_not_depend_on_the_guesses(column_path, rows, rng):
    # Each column's first pass starts from a guess made from the group of 16
    # columns before it, and groups start where the panels do, which follows
    # the result's alignment: the same data at other addresses give other
    # guesses, and must give the same bits (Michelot's fixed point, whatever
    # the start).  Columns of scales alternating within and between groups,
    # flat columns, a zero column.
    Y = rng.standard_normal((rows, 300)) * np.exp(rng.standard_normal(300))
    Y[:, 100:120] = rng.choice([-1.0, 1.0], size=(rows, 20))
    Y[:, 7] = 0.0
    Y = Y.astype(np.float32)
    norm = references.group_norm(Y, "l1", 0)
    for fraction in (0.01, 0.1, 0.5, 0.9):
        results = [bilevel_l11(at_offset(Y, offset), fraction * norm, axis=0,
                               out=at_offset(np.zeros_like(Y), offset))
                   for offset in (0, 4, 20, 36, 60)]
        for result in results[1:]:
            np.testing.assert_array_equal(result, results[0], err_msg=str(fraction))


@pytest.mark.parametrize("rows", [17, 33, 100, 128, 129])
@pytest.mark.parametrize("n_cols", [16, 17, 32, 47, 203, 1000])
def test_float32_column_passes_in_pairs_of_groups(rows, n_cols, rng):
    # Columns of up to PAIR_ROWS rows (AVX-512): two groups of 16 columns at
    # a time, their passes alternated, both from the guesses of the pair
    # before; a last pair of one group, a last group short of its lanes,
    # lanes that stop at different passes in either group, a zero column, a
    # group of flat columns.  The same bits as one group at a time (129
    # rows: one group at a time either way), and the sort's projection.
    from skproj.projections import _bilevel

    Y = rng.standard_normal((rows, n_cols)) * np.exp(rng.standard_normal(n_cols))
    Y[:, n_cols // 2] = 0.0
    Y[:, 16:32] = rng.choice([-1.0, 1.0], size=Y[:, 16:32].shape)
    Y = Y.astype(np.float32)
    assert_column_switch_keeps_bits(Y, (0.02, 0.5, 0.95), 2e-5, "pairs", passes=True)


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("rows", [33, 1000, 16385, 40000])
def test_long_column_panels(column_path, dtype, tol, rows, rng):
    # Columns so long that a panel leaves L2 whatever its width are taken
    # PANEL_COLUMNS at a time (here every column in one panel), and rows
    # of 84 or 168 bytes do not start on cache lines (the write not
    # streamed): a last group short of its lanes, a zero column, flat
    # columns and ties, lanes that stop at different passes; rows reversed.
    Y = rng.standard_normal((rows, 21)) * np.exp(rng.standard_normal(21))
    Y[:, 3] = 0.0
    Y[:, 17:21] = rng.choice([-1.0, 1.0], size=(rows, 4))
    Y[:, 9:12] = rng.choice([-2.0, 0.0, 1.0, 3.0], size=(rows, 3))
    assert_column_groups_match_sort(Y.astype(dtype), (0.02, 0.5, 0.9999), tol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("length", [1, 3, 4, 8, 15, 16, 17, 33, 100])
def test_clip_and_rescale_bits_do_not_depend_on_the_write_loop(dtype, axis, length):
    # bilevel_l1inf clips each row (one level, or one a column) and
    # bilevel_l12 rescales it: by the AVX-512 loop (whole vectors and a masked
    # tail; column groups in cache by strips of 64 float32 or 32 float64
    # columns, down the rows, or along the rows, as the CPU prefers: both
    # forced here), the AVX2 one (whole vectors and a scalar tail) or the
    # Cython one.
    # Zeroed columns are clipped to a zero level: each entry keeps its sign
    # there, signed zeros included, whichever loop writes it (zeroed rows are
    # written as +0.0, not read).  Small integers: every l1,inf level is exact
    # in any order of the sums, so the loops are compared on the same levels;
    # the l1,2 levels (square roots) are the same with AVX-512 and AVX2, not
    # with the Cython sums.  Rows of up to 16 values are written as one block
    # with AVX-512, their levels spread by a permutation: 40 rows make whole
    # blocks of 16 (float32) or 8 (float64) rows and a partial one.
    from skproj.projections import _bilevel, _l1

    rng = np.random.default_rng(length)
    Y = rng.integers(-8, 9, size=(40, length)).astype(dtype)
    Y[::3, ::2] = -0.0
    Y[1::3, ::2] = 0.0
    results = {}
    try:
        for loop, (simd, avx512, strips) in {
                "avx512": (True, True, True), "avx512 rows": (True, True, False),
                "avx2": (True, False, None), "cython": (False, False, None)}.items():
            _l1._set_testing(simd=simd)
            _bilevel._set_column_paths(avx512=avx512, strips=strips)
            results[loop] = {(project.__name__, share): project(Y, share * norm(Y, axis=axis),
                                                                axis=axis)
                             for project, norm in ((bilevel_l1inf, l1inf_norm),
                                                   (bilevel_l12, l12_norm))
                             for share in (0.3, 0.8)}
    finally:
        _l1._set_testing()
        _bilevel._set_column_paths()
    clipped = results["cython"]["bilevel_l1inf", 0.3]
    zeroed = clipped == 0
    assert zeroed.any() and (clipped != 0).any()
    if axis == 0:
        np.testing.assert_array_equal(np.signbit(clipped[zeroed]), np.signbit(Y[zeroed]))
    for (name, share), expected in results["avx2"].items():
        for loop in (("avx512", "avx512 rows", "cython") if name == "bilevel_l1inf"
                     else ("avx512", "avx512 rows")):
            np.testing.assert_array_equal(bits(results[loop][name, share]), bits(expected),
                                          err_msg=f"{name} at {share}, {loop} / avx2")


def _assert_narrow_writes_take_the_row_loops_bits(Y, settings, offsets):
    """``bilevel_l1inf`` and ``bilevel_l12`` on the column groups of ``Y`` at
    40 % of the norm, with each of ``settings`` (name: the keywords of
    ``_bilevel._set_column_paths``), into a new array, in place and into an
    ``out`` at each of ``offsets`` (values into a line): the bits of the AVX2
    row loop."""
    from skproj.projections import _bilevel

    for project, norm in ((bilevel_l1inf, l1inf_norm), (bilevel_l12, l12_norm)):
        eta = 0.4 * norm(Y, axis=0)
        results = {}
        try:
            _bilevel._set_column_paths(avx512=False, narrow_columns=False)
            results["rows"] = project(Y, eta, axis=0)
            for name, paths in settings.items():
                _bilevel._set_column_paths(**paths)
                results[name, "new"] = project(Y, eta, axis=0)
                inplace = Y.copy()
                project(inplace, eta, axis=0, out=inplace)
                results[name, "in place"] = inplace
                for offset in offsets:
                    room = np.empty(Y.size + offset, Y.dtype)
                    out = room[offset:].reshape(Y.shape)
                    project(Y, eta, axis=0, out=out)
                    results[name, offset] = out
        finally:
            _bilevel._set_column_paths()
        for key, got in results.items():
            np.testing.assert_array_equal(
                bits(got), bits(results["rows"]),
                err_msg=f"{project.__name__} {Y.shape[0]} x {Y.shape[1]}, {key}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_narrow_column_blocks_written_as_one_run_take_the_loops_bits(dtype):
    # A block of fewer columns than two AVX-512 vectors hold (with AVX2:
    # than two of its vectors, 16 float32 or 8 float64), rows one after the
    # other, is written as one run of vectors (``skp_write_narrow512``:
    # whole ones from the result's first cache line; ``skp_write_narrow256``),
    # each vector's levels the
    # columns' at its place in the run: the bits of the AVX2 row loop, into
    # a new array, in place, and into an ``out`` at offsets within a line.
    rng = np.random.default_rng(71)
    lanes = 64 // np.dtype(dtype).itemsize
    for n_cols in range(1, 2 * lanes):
        for n_rows in (37, 200):
            Y = rng.standard_normal((n_rows, n_cols)).astype(dtype)
            Y[::5, ::2] = -0.0
            _assert_narrow_writes_take_the_row_loops_bits(
                Y, {avx512: dict(avx512=avx512, strips=True) for avx512 in (False, True)},
                (1, n_cols + 3))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_narrow_column_blocks_past_the_strips_written_as_one_run_take_the_loops_bits(dtype):
    # Past the strips' size (1 MiB), where the alternative is a call a row,
    # blocks of fewer columns than four AVX-512 vectors hold are written as
    # one run too (SKP_NARROW_LARGE_VECTORS), streamed past the caches
    # (8 MiB): the bits of the AVX2 row loop, into a new array, in place and
    # into an ``out`` at an offset within a line (a head before its first
    # line), zeroed columns and signed zeros included.
    rng = np.random.default_rng(72)
    lanes = 64 // np.dtype(dtype).itemsize
    widths = sorted({1, 2, 3, lanes - 1, lanes, lanes + 1, 2 * lanes + 3, 4 * lanes - 1,
                     4 * lanes})
    for n_cols in widths:
        for n_bytes in (3 << 20, 9 << 20) if n_cols == 3 else (3 << 20,):
            n_rows = n_bytes // (n_cols * np.dtype(dtype).itemsize) + 7
            Y = rng.standard_normal((n_rows, n_cols)).astype(dtype)
            Y[::5, ::2] = -0.0
            Y[:, n_cols // 2] *= 0.01   # (a column zeroed at 40 % of the norm)
            if n_cols > 1:
                zeroed = bilevel_l1inf(Y, 0.4 * l1inf_norm(Y, axis=0), axis=0)[:, n_cols // 2]
                assert not zeroed.any()
            _assert_narrow_writes_take_the_row_loops_bits(Y, {"default": {}}, (1,))


def test_many_groups_take_their_work_memory_from_the_shared_cache():
    """The bi-level projections' per-group tables (some MB for 10**5 groups)
    come from the kernels' shared cache (_scratch_cache.h), kept from one call
    to the next: a release gives blocks back after them, and calls from
    several threads at once (the GIL released) get the serial results."""
    from skproj.projections import release_work_memory
    from test_projections_hoyer import _calls_that_differ_from_serial

    rng = np.random.default_rng(12)
    Y = rng.standard_normal((30, 20000)).astype(np.float32)
    calls = [lambda p=p, a=a: p(Y, 0.4 * norm(Y, axis=a), axis=a)
             for p, norm in ((bilevel_l1inf, l1inf_norm), (bilevel_l12, l12_norm))
             for a in (0, 1)]
    calls.append(lambda: bilevel_l11(Y, 0.4 * float(np.abs(Y).sum()), axis=0))
    release_work_memory()
    assert _calls_that_differ_from_serial(calls) == []
    assert release_work_memory() >= 20000 * 8     # (the 20000 groups' norms, at least)
