"""The exact l1,inf-ball projection against independent references.

Two references, neither sharing code with skproj:

- ``_bisection_projection``: bisection on the threshold theta with every group
  sorted, then the closed form on the active sets (float64);
- an interior-point solution (cvxpy + Clarabel) on small problems.

On large matrices the optimality conditions are checked directly.
"""

from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skproj.projections import (
    _l1inf, _l1inf_lists, _l1inf_strips, l1inf_norm, project_l1inf_ball, release_work_memory,
)

from addresses import at_offset, bits, rows_padded
from references import groups_first
from test_projections_bilevel_l11 import narrow_matrix


@pytest.fixture(autouse=True, params=["short", "in-cache", "general"])
def kernel_path(request):
    """Every test three times: with the short groups' path where it applies
    and the in-cache path elsewhere (the default, on a CPU with AVX-512),
    with the in-cache path alone where it applies, then with the general
    path alone (histograms, envelopes, lists), which the matrices here would
    otherwise not reach.  Hooks a test sets itself win."""
    _l1inf._set_testing(small=request.param != "general",
                        short_groups=request.param == "short")
    yield request.param
    _l1inf._set_testing()


# ----------------------------------------------------------------- references

def _bisection_projection(Y, eta, axis):
    """(X, theta, mu) by bisection on theta, then the closed form.

    For a threshold theta, group g keeps its k_g largest magnitudes clipped,
    with k_g = #{k : sum_{i<=k} a_(i) - k a_(k) < theta}, and
    mu_g(theta) = (S_k - theta)/k; sum_g mu_g(theta) decreases in theta.
    """
    G = groups_first(Y, axis)
    A = np.abs(G)
    maxima = A.max(axis=1, initial=0.0)
    if maxima.sum() <= eta:
        return np.asarray(Y, dtype=np.float64).copy(), 0.0, maxima
    ordered = -np.sort(-A, axis=1)
    cumulative = np.cumsum(ordered, axis=1)
    ranks = np.arange(1, A.shape[1] + 1)
    breakpoints = cumulative - ranks * ordered       # non-decreasing along a row
    sums = cumulative[:, -1]
    rows = np.arange(A.shape[0])

    def sets(theta, strict):
        inside = breakpoints < theta if strict else breakpoints <= theta
        support = np.maximum(inside.sum(axis=1), 1)
        return support, cumulative[rows, support - 1]

    def levels(theta):
        support, top = sets(theta, strict=True)
        return np.where(sums > theta, np.maximum((top - theta) / support, 0.0), 0.0)

    low, high = 0.0, sums.max()
    for _ in range(300):
        middle = 0.5 * (low + high)
        if levels(middle).sum() > eta:
            low = middle
        else:
            high = middle
        if high - low <= 1e-15 * high:
            break
    # Closed form on the sets just right of ``low`` (exact when no breakpoint
    # lies between low and theta*).
    support, top = sets(low, strict=False)
    active = sums > low
    theta = (np.sum(top[active] / support[active]) - eta) / np.sum(1.0 / support[active])
    mu = np.where(active, np.maximum((top - theta) / support, 0.0), 0.0)
    if abs(mu.sum() - eta) > 1e-9 * eta or not low - 1e-9 * high <= theta <= high * (1 + 1e-9):
        theta = 0.5 * (low + high)
        mu = levels(theta)
    X = np.sign(G) * np.minimum(A, mu[:, None])
    return (X.T if axis == 0 else X), theta, mu


def _interior_point_projection(Y, eta, axis):
    cp = pytest.importorskip("cvxpy")
    X = cp.Variable(Y.shape)
    t = cp.Variable(Y.shape[1 - axis])
    bound = t[None, :] if axis == 0 else t[:, None]
    problem = cp.Problem(cp.Minimize(cp.sum_squares(X - Y)),
                         [X <= bound, -X <= bound, cp.sum(t) <= eta])
    problem.solve(solver=cp.CLARABEL, tol_gap_abs=1e-12, tol_gap_rel=1e-12,
                  tol_feas=1e-12, max_iter=500)
    return X.value


# ----------------------------------------------------------------- test data

def _random_matrix(rng, case, max_size=12):
    """Signed matrices with ties, zero groups, heavy tails and wide scales."""
    n, m = rng.integers(1, max_size + 1, size=2)
    kind = case % 6
    if kind == 0:
        Y = rng.standard_normal((n, m))
    elif kind == 1:  # ties
        Y = rng.choice([-2.0, -1.0, 0.0, 1.0, 2.0], size=(n, m))
    elif kind == 2:  # all-zero groups (both ways) and zero entries
        Y = rng.standard_normal((n, m)) * (rng.random((n, m)) < 0.6)
        Y[:, rng.random(m) < 0.3] = 0
        Y[rng.random(n) < 0.3, :] = 0
    elif kind == 3:  # heavy tails
        Y = rng.standard_cauchy((n, m))
    elif kind == 4:  # groups of very different scales
        Y = rng.standard_normal((n, m)) * 10.0 ** rng.uniform(-3, 3, size=(1, m))
    else:  # rounded: many ties within and across groups
        Y = np.round(rng.standard_normal((n, m)), 1)
    return Y * 10.0 ** rng.integers(-4, 5)


def _layout(Y, case):
    """C order, Fortran order or a strided view of the same values."""
    if case % 3 == 1:
        return np.asfortranarray(Y)
    if case % 3 == 2:
        return np.repeat(np.repeat(Y, 2, axis=0), 3, axis=1)[::2, ::3]
    return np.ascontiguousarray(Y)


RADII = [0.0, 1e-4, 0.01, 0.1, 0.3, 0.6, 0.9, 0.999, 1.0, 2.0]


# ----------------------------------------------------------------- correctness

@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-9), (np.float32, 3e-6)])
def test_matches_bisection_reference(axis, dtype, tol):
    """Several hundred small random problems per dtype and axis."""
    rng = np.random.default_rng(11 + axis)
    worst = 0.0
    for case in range(300):
        Y = _layout(_random_matrix(rng, case).astype(dtype), case)
        norm = l1inf_norm(Y, axis=axis)
        eta = RADII[case % len(RADII)] * norm
        X = project_l1inf_ball(Y, eta, axis=axis)
        assert X.dtype == dtype and X.shape == Y.shape
        expected, _, _ = _bisection_projection(Y, eta, axis)
        scale = max(float(np.abs(Y).max()), 1e-300)
        worst = max(worst, np.abs(X - expected).max() / scale)
    assert worst <= tol


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-9), (np.float32, 3e-6)])
def test_in_cache_passes_settle_where_levels_overshoot_the_maxima(kernel_path, dtype, tol):
    """Radii that put the levels near the groups' maxima: the first passes'
    model may set a level above its group's max, where the group counts no
    entry.  Such a group takes its max alone (``_counted_past_max``); left
    out of the model (level 0), the passes went around a cycle and gave way
    to the general path's dense regime, 10-20 times slower (a Gaussian
    5000 x 12 by columns at 90 % and 91 % of its norm, this generator's
    third matrix).  The in-cache path settles here, exactly (where it runs:
    not on the general path alone, nor without AVX2)."""
    in_cache = kernel_path != "general" and _l1inf._set_testing(
        short_groups=kernel_path == "short") > 0
    rng = np.random.default_rng(0)
    rng.standard_normal((4000, 20))
    rng.standard_normal((4000, 20))
    Y = rng.standard_normal((5000, 12)).astype(dtype)
    norm = l1inf_norm(Y, axis=0)
    for share in (0.88, 0.89, 0.9, 0.91, 0.92):
        X = project_l1inf_ball(Y, share * norm, axis=0)
        if in_cache:
            assert _l1inf._phase_times()[1] == 0, share     # (no histogram pass)
            assert not _l1inf._dense_passes_taken() and not _l1inf._list_passes_taken()
            assert 0 < _l1inf._last_rounds() <= 16
        expected, _, _ = _bisection_projection(Y, share * norm, 0)
        np.testing.assert_allclose(X, expected, rtol=0, atol=tol * float(np.abs(Y).max()))


def test_matches_interior_point_solver():
    """Small problems against Clarabel: max error <= 1e-6 (float64)."""
    rng = np.random.default_rng(5)
    worst = 0.0
    for case in range(80):
        Y = _random_matrix(rng, case, max_size=7)
        Y = Y / max(np.abs(Y).max(), 1e-300)    # the solver's tolerances are absolute
        axis = case % 2
        eta = RADII[1 + case % (len(RADII) - 1)] * l1inf_norm(Y, axis=axis)
        if eta == 0:
            continue
        expected = _interior_point_projection(Y, eta, axis)
        worst = max(worst, np.abs(project_l1inf_ball(Y, eta, axis=axis) - expected).max())
    assert worst <= 1e-6


@pytest.mark.parametrize("hooks", [
    dict(max_rounds=0),                                   # sort-based finish only
    dict(max_rounds=1),                                   # finish after one round
    dict(force_dense=True),                               # dense-regime path
    dict(force_dense=True, narrow_bands=True),            # ... with bands to repair
    dict(force_dense=True, narrow_bands=True, max_rounds=1),
])
def test_safety_nets_match_reference(hooks):
    """The paths that normal data rarely takes are exact too."""
    rng = np.random.default_rng(8)
    _l1inf._set_testing(**hooks)
    try:
        for case in range(150):
            Y = _random_matrix(rng, case, max_size=25)
            axis = case % 2
            eta = RADII[1 + case % (len(RADII) - 2)] * l1inf_norm(Y, axis=axis)
            if eta == 0:
                continue
            expected, _, _ = _bisection_projection(Y, eta, axis)
            np.testing.assert_allclose(project_l1inf_ball(Y, eta, axis=axis), expected,
                                       rtol=0, atol=1e-9 * np.abs(Y).max())
    finally:
        _l1inf._set_testing()


@pytest.mark.parametrize("axis", [0, 1])
def test_dense_regime_matches_reference(axis):
    """Long groups and large radii: the levels sit among the entries (histogram path)."""
    rng = np.random.default_rng(21)
    draws = [rng.standard_normal, rng.standard_cauchy, rng.random,
             lambda shape: rng.integers(-3, 4, size=shape).astype(float)]
    for case in range(32):
        n_long, n_groups = rng.integers(64, 400), rng.integers(1, 40)
        shape = (n_long, n_groups) if axis == 0 else (n_groups, n_long)
        Y = _layout(draws[case % 4](shape), case)
        eta = [0.05, 0.3, 0.6, 0.9, 0.999][case % 5] * l1inf_norm(Y, axis=axis)
        expected, _, _ = _bisection_projection(Y, eta, axis)
        np.testing.assert_allclose(project_l1inf_ball(Y, eta, axis=axis), expected,
                                   rtol=0, atol=1e-9 * np.abs(Y).max())


def _with_and_without_simd(Y, eta, axis, force_dense):
    """The projection with the vector loops, then with the Cython loops alone.

    The vector loops run twice, with the AVX-512 band gathers (where the CPU
    has them) and with AVX2 alone: both results must be equal bit for bit.
    """
    results = []
    for simd, avx512 in ((True, True), (True, False), (False, False)):
        _l1inf._set_testing(force_dense=force_dense, simd=simd, avx512=avx512,
                            short_groups=False)
        try:
            results.append(project_l1inf_ball(Y, eta, axis=axis))
        finally:
            _l1inf._set_testing()
    np.testing.assert_array_equal(results[0], results[1])
    return results[1:]

def _column_sums_in_blocks_of_four(Y):
    """Column l1 norms in step 1's order: (a0 + a1) + (a2 + a3) per block of four rows."""
    A = np.abs(Y.astype(np.float64))
    sums = np.zeros(Y.shape[1])
    n_blocks = Y.shape[0] // 4
    for b in range(n_blocks):
        a = A[4 * b:4 * b + 4]
        sums += (a[0] + a[1]) + (a[2] + a[3])
    for row in A[4 * n_blocks:]:
        sums += row
    return sums


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_column_sums_and_maxima_simd_match_cython_loop(dtype):
    """Step 1 on the column groups of row-major matrices outside the in-cache path:
    the AVX-512 and AVX2 loops give the Cython loop's bits, in its order of
    summation.

    Row counts around multiples of 4 and 8 (its blocks of rows), widths not
    multiples of 4 or 8 (the vector tails), a row stride wider than the rows,
    and NaN / inf, which only have to make the sum non-finite.  All also take
    the sums of squares (for the fits of the sampled paths), in one order,
    no product contracted into an FMA by the AVX-512 loop."""
    rng = np.random.default_rng(23)
    levels = ((True, True), (True, False), (False, False))
    for n_rows, n_cols in [(1, 5), (3, 9), (4, 4), (7, 33), (8, 17), (13, 1031), (64, 70),
                           (12, 8), (9, 23)]:
        full = rng.standard_cauchy((n_rows, n_cols + 3)).astype(dtype)
        Y = full[:, 1:n_cols + 1]
        for with_squares in (True, False):
            results = []
            for simd, avx512 in levels:
                _l1inf._set_testing(small=False, simd=simd, avx512=avx512)
                try:
                    results.append(_l1inf._step_one(Y, False, with_squares))
                finally:
                    _l1inf._set_testing()
            sums, maxima, squares = results[-1]
            if with_squares:
                np.testing.assert_allclose(squares, (Y.astype(np.float64) ** 2).sum(axis=0),
                                           rtol=1e-13)
            else:
                assert squares is None
            for simd_sums, simd_maxima, simd_squares in results[:-1]:
                np.testing.assert_array_equal(simd_sums, sums)
                np.testing.assert_array_equal(simd_maxima, maxima)
                if with_squares:
                    np.testing.assert_array_equal(simd_squares, squares)
            np.testing.assert_array_equal(sums, _column_sums_in_blocks_of_four(Y))
            np.testing.assert_array_equal(maxima, np.abs(Y).max(axis=0))
    Y = rng.standard_normal((9, 11)).astype(dtype)
    Y[5, 3], Y[8, 10] = np.nan, -np.inf
    _l1inf._set_testing(small=False)
    try:
        for with_squares in (True, False):
            sums, _, _ = _l1inf._step_one(Y, False, with_squares)
            assert np.isnan(sums[3]) and sums[10] == np.inf
            assert np.isfinite(np.delete(sums, [3, 10])).all()
    finally:
        _l1inf._set_testing()



@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_candidate_gather_along_the_lines_is_the_scalar_visit(dtype, sparse):
    """Column groups whose rows lie whole cache lines apart, at radii where
    fewer than half of them are candidates: with AVX-512, and with AVX2
    alone, the general path gathers the candidates along each row's lines
    that hold one (``_gather_column_chunks``; float32 levels rounded up to
    floats), where the plain build, or AVX2 with ``avx2_chunk_gathers``
    off, visits each candidate: the same lists but for the zeros, which
    the lines' gather leaves out (90 % of the entries where ``sparse``), so
    the same bits, and the projection.  The data start 0, 16 and 48 bytes
    past a line: the first chunk starts before column 0, the last is cut;
    on 1001 columns, the last chunk holds a single column."""
    rng = np.random.default_rng(11)
    levels = {"default": {}, "avx2": dict(avx512=False),
              "avx2 visit": dict(avx512=False, avx2_chunk_gathers=False),
              "plain": dict(simd=False)}
    # (the in-cache pass's SIMD level: 2 with AVX-512, 1 with AVX2 alone)
    has_avx2 = _l1inf._set_testing(avx512=False) >= 1
    _l1inf._set_testing()
    for n_cols in (2000, 1001):
        Y = rng.standard_normal((40, n_cols)).astype(dtype)
        if sparse:
            Y *= rng.random(Y.shape) < 0.1
        total = np.abs(Y).max(axis=0).sum()
        for offset in (0, 16, 48):
            # (rows whole lines apart: 1001 columns as a view of 1040)
            Z = at_offset(np.zeros((40, -(-n_cols // 16) * 16 + 16), dtype), offset)[:, :n_cols]
            Z[...] = Y
            for share in (0.002, 0.005, 0.01):
                results, chunks = {}, {}
                for name, switches in levels.items():
                    _l1inf._set_testing(small=False, **switches)
                    try:
                        _l1inf._chunk_gathers_taken()
                        results[name] = project_l1inf_ball(Z, share * total, axis=0)
                        chunks[name] = _l1inf._chunk_gathers_taken()
                    finally:
                        _l1inf._set_testing()
                # (once; on sparse columns also where the groups that fail
                # their level's check are gathered again)
                for name, gathers in chunks.items():
                    along_lines = has_avx2 and name in ("default", "avx2")
                    if sparse:
                        assert (gathers > 0) == along_lines and gathers <= 2, (name, n_cols, offset)
                    else:
                        assert gathers == along_lines, (name, n_cols, offset, share)
                for name, X in results.items():
                    np.testing.assert_array_equal(bits(X), bits(results["plain"]), err_msg=name)
                expected, _, _ = _bisection_projection(Z.astype(np.float64), share * total, 0)
                np.testing.assert_allclose(results["plain"], expected, rtol=0,
                                           atol=1e-5 if dtype == np.float32 else 1e-12)


def test_long_float32_rows_step_one_simd_levels_agree():
    """Step 1 on long float32 rows of a matrix of any size takes the in-cache
    path's loops: the same bits at every SIMD level (row lengths around its
    blocks of 32 entries)."""
    rng = np.random.default_rng(24)
    for n_rows, n_cols in [(3, 256), (5, 257), (7, 1000), (2, 4099)]:
        Y = rng.standard_cauchy((n_rows, n_cols)).astype(np.float32)
        results = []
        for _ in _small_simd_levels(small_max_bytes=0):
            results.append(_l1inf._step_one(Y, True))
        for sums, maxima, _ in results:
            np.testing.assert_array_equal(sums, results[0][0])
            np.testing.assert_array_equal(maxima, np.abs(Y).max(axis=1))
            np.testing.assert_allclose(sums, np.abs(Y.astype(np.float64)).sum(axis=1),
                                       rtol=1e-13)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dense_regime_simd_slots_match_cython_loop(dtype):
    """The AVX2 loops (histogram slots, band gather) classify as the Cython loops: bit for bit.

    Group lengths not multiple of 4 (the vector loop's tail), every layout,
    both axes; the Cython loop's results match the reference.
    """
    rng = np.random.default_rng(5)
    for case in range(18):
        shape = (int(rng.integers(61, 300)), int(rng.integers(1, 50)))
        axis = case % 2
        Y = _layout(rng.standard_normal(shape).astype(dtype), case // 2)
        eta = [0.1, 0.5, 0.9][case % 3] * l1inf_norm(Y, axis=axis)
        results = _with_and_without_simd(Y, eta, axis, force_dense=True)
        np.testing.assert_array_equal(results[0], results[1])
        expected, _, _ = _bisection_projection(Y.astype(np.float64), eta, axis)
        np.testing.assert_allclose(results[1], expected, rtol=0,
                                   atol=(1e-9 if dtype == np.float64 else 3e-6) * np.abs(Y).max())


def _band_pairs_reference(Y, low, high):
    """Each column's entries in (low, high) in the order of the rows, and the
    count and the sum (in the order of the rows, in double) of those >= high."""
    A = np.abs(Y.astype(np.float64))
    inside = (A > low) & (A < high)
    above = A >= high
    lists = [A[inside[:, j], j] for j in range(Y.shape[1])]
    totals = np.array([np.cumsum(A[above[:, j], j])[-1] if above[:, j].any() else 0.0
                       for j in range(Y.shape[1])])
    return lists, above.sum(axis=0).astype(np.float64), totals


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_band_gather_of_column_groups_at_every_simd_level(dtype):
    """The dense regime's band gather of column groups (``_range_columns``):
    float32 sixteen columns a vector with AVX-512, compared in float against
    the bands' ends rounded outwards; float64, and float32 with AVX2 or the
    Cython loop, eight or four columns a vector in double.  Each column's
    pairs in the order of the rows, its count and sum above its band, the same
    at every level and as the reference: ends on entries, ends a double's ulp
    either side of an entry (no float32 between them and it), zero, infinite
    ends (a column left out: nothing gathered, nothing above), rows where more
    than half of sixteen columns fall in their bands, widths around the
    vectors (16 then 8 then the scalar tail)."""
    from skproj.projections import _l1inf_dense

    rng = np.random.default_rng(37)
    for n_rows, n_cols in [(1, 16), (4, 17), (5, 31), (9, 33), (16, 47), (13, 64), (7, 100)]:
        Y = rng.integers(-5, 6, size=(n_rows, n_cols)).astype(dtype) * dtype(0.75)
        Y[:, n_cols // 2:] = rng.standard_normal((n_rows, n_cols - n_cols // 2))
        entries = np.abs(Y.astype(np.float64))
        pick = entries[rng.integers(0, n_rows, size=n_cols), np.arange(n_cols)]
        low = pick * rng.choice([0.0, 0.5, 1.0], size=n_cols)
        high = pick + rng.choice([0.0, 1.0, 2.0], size=n_cols)
        nudge = rng.integers(-1, 2, size=(2, n_cols))
        low = np.where(nudge[0] > 0, np.nextafter(low, np.inf),
                       np.where(nudge[0] < 0, np.nextafter(low, -np.inf), low))
        high = np.where(nudge[1] > 0, np.nextafter(high, np.inf),
                        np.where(nudge[1] < 0, np.nextafter(high, -np.inf), high))
        low[:8] = -1.0      # (a row of 8 or more in their bands, where high is above)
        left_out = rng.random(n_cols) < 0.15
        low[left_out] = high[left_out] = np.inf
        lists, counts, totals = _band_pairs_reference(Y, low, high)
        for simd, avx512 in ((True, True), (True, False), (False, False)):
            _l1inf._set_testing(simd=simd, avx512=avx512)
            try:
                values, groups, count, total = _l1inf_dense._band_pairs(Y, low, high)
            finally:
                _l1inf._set_testing()
            order = np.argsort(groups, kind="stable")
            values, groups = values[order], groups[order]
            for j in range(n_cols):
                np.testing.assert_array_equal(values[groups == j], lists[j],
                                              err_msg=f"{simd} {avx512} column {j}")
            np.testing.assert_array_equal(count, counts)
            np.testing.assert_array_equal(total, totals)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_band_gather_of_a_row_group_at_every_simd_level(dtype):
    """The band gather of a contiguous group (``range_row``; with lo = -1 also
    the general path's candidate gather of rows): float32 sixteen entries a
    vector with AVX-512, compared in float against the band's ends rounded
    outwards, else eight or four in double.  Its entries in (lo, hi) in
    order, and the count and the sum, entry j to lane j mod 8, of those >= hi,
    the same at every level and as the reference: ends on entries, a
    double's ulp either side of one, -1, zero, infinite; lengths around the
    vectors."""
    from skproj.projections import _l1inf_dense

    rng = np.random.default_rng(41)
    for n in (1, 7, 15, 16, 17, 31, 33, 100, 1003):
        row = (rng.integers(-9, 10, size=n) * 0.5).astype(dtype)
        row[n // 2:] = rng.standard_normal(n - n // 2)
        entries = np.abs(row.astype(np.float64))
        picks = entries[rng.integers(0, n, size=4)]
        ends = [(-1.0, picks[0]), (0.0, np.inf), (picks[1], picks[1] + 1.0),
                (np.nextafter(picks[2], -np.inf), np.nextafter(picks[2] + 1.5, np.inf)),
                (np.nextafter(picks[3], np.inf), np.nextafter(picks[3] + 0.5, -np.inf)),
                (np.inf, np.inf)]
        for low, high in ends:
            lanes = np.zeros(8)
            for j, a in enumerate(entries):
                lanes[j % 8] += a if a >= high else 0.0
            expected_sum = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + (
                (lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
            for simd, avx512 in ((True, True), (True, False), (False, False)):
                _l1inf._set_testing(simd=simd, avx512=avx512)
                try:
                    values, count, total = _l1inf_dense._band_row(row, low, high)
                finally:
                    _l1inf._set_testing()
                where = f"n={n} ({low}, {high}) simd={simd} avx512={avx512}"
                np.testing.assert_array_equal(values, entries[(entries > low) & (entries < high)],
                                              err_msg=where)
                assert count == np.count_nonzero(entries >= high), where
                assert total == expected_sum, where


@pytest.mark.parametrize("kind", ["ties", "normal"])
def test_float32_band_gather_sixteen_columns_a_vector(kind):
    """Float32 column groups: the AVX-512 band gather takes sixteen columns a
    vector, compared in float against the bands' ends rounded outwards, and
    must gather the pairs and count and sum above the bands as the eight-column
    loops of AVX2 and the Cython loop do, bit for bit.

    Widths around 16 (the vector, then the eight-column loop and the scalar
    tail on what is left of a panel of 64), row counts around the blocks of 4
    rows; small integers put entries on the bands' ends and make ties; the
    bands are the histograms' (forced dense regime) and, half of them too
    narrow, must be gathered again."""
    rng = np.random.default_rng(31)
    for n_rows, n_cols in [(61, 16), (62, 17), (63, 31), (64, 33), (65, 48), (70, 64),
                           (71, 79), (90, 100)]:
        Y = (rng.integers(-6, 7, size=(n_rows, n_cols)) if kind == "ties"
             else rng.standard_normal((n_rows, n_cols))).astype(np.float32)
        for fraction in (0.1, 0.5, 0.9):
            eta = fraction * l1inf_norm(Y)
            for narrow in (False, True):
                results = []
                for simd, avx512 in ((True, True), (True, False), (False, False)):
                    _l1inf._set_testing(force_dense=True, narrow_bands=narrow, simd=simd,
                                        avx512=avx512)
                    try:
                        results.append(project_l1inf_ball(Y, eta))
                    finally:
                        _l1inf._set_testing()
                for result in results[:2]:
                    np.testing.assert_array_equal(result, results[2])
                expected, _, _ = _bisection_projection(Y.astype(np.float64), eta, 0)
                np.testing.assert_allclose(results[0], expected, rtol=0,
                                           atol=3e-6 * np.abs(Y).max())


def _split_reference(values, mu, lower):
    """One pass of Michelot's split in plain Python: the same chains as ``skp_split``."""
    below = [a for a in values if lower < a <= mu]
    above = [a for a in values if a > mu]
    chains = [0.0] * 8
    for i, a in enumerate(values):
        if a > mu:
            chains[i % 8] += a
    total = ((chains[0] + chains[4]) + (chains[2] + chains[6])) + (
        (chains[1] + chains[5]) + (chains[3] + chains[7]))
    return below, above, total, min(above, default=np.inf), max(below + [0.0])


@settings(max_examples=300, deadline=None)
@given(values=arrays(np.float64, st.integers(0, 70),
                     elements=st.floats(0.0, 1e6, allow_subnormal=False)),
       mu_share=st.floats(-0.1, 1.1), lower_share=st.floats(-0.1, 1.0))
def test_list_split_simd_and_plain_c_match_python(values, mu_share, lower_share):
    """The Newton rounds' split of a list (``skp_split``), by the AVX-512 loop,
    the AVX2 one and plain C: the same partition in order, and the same bits
    of the sum of the entries above (eight chains), as a Python loop; every
    length (the masked last vector), mu and lower below every entry too."""
    top = float(values.max()) if values.size else 1.0
    mu, lower = mu_share * top, min(lower_share, mu_share) * top
    expected = _split_reference(list(values), mu, lower)
    for simd in (0, 1, 2):
        try:
            below, above, total, smallest, largest = _l1inf_lists._split(
                values, mu, lower, simd)
        except ValueError:      # the CPU lacks that loop's instructions
            assert simd > 0
            continue
        assert below.tolist() == expected[0] and above.tolist() == expected[1], simd
        assert (total, smallest, largest) == expected[2:], simd


def _lower_envelope_reference(sums, maxima, theta, inv_n):
    """Step 2's lower envelope and its slope in plain Python: group g in chain
    g % 4 (those past the last multiple of 4 in chain 0), as the kernel."""
    totals, slopes = [0.0] * 4, [0.0] * 4
    n4 = len(sums) - len(sums) % 4
    for g, (total, top) in enumerate(zip(sums, maxima)):
        chain = g % 4 if g < n4 else 0
        if total > theta:
            by_max, by_sum = top - theta, (total - theta) * inv_n
            totals[chain] += by_max if by_max > by_sum else by_sum
            slopes[chain] += 1.0 if by_max > by_sum else inv_n
    return ((totals[0] + totals[1]) + (totals[2] + totals[3]),
            (slopes[0] + slopes[1]) + (slopes[2] + slopes[3]))


@settings(max_examples=200, deadline=None)
@given(n_groups=st.integers(0, 40), length=st.integers(1, 12), seed=st.integers(0, 2**32 - 1),
       theta_share=st.floats(-0.2, 1.2))
def test_lower_envelope_simd_and_plain_c_match_python(n_groups, length, seed, theta_share):
    """Step 2's lower envelope (``skp_lower_envelope``) by the AVX2 loop and by
    plain C: the same bits as a Python loop of the same four chains, every
    number of groups (the tail in chain 0), groups alive or not, either bound
    the larger."""
    A = np.abs(np.random.default_rng(seed).standard_normal((n_groups, length)))
    sums, maxima = A.sum(axis=1), A.max(axis=1, initial=0.0)
    theta = theta_share * (float(sums.max()) if n_groups else 1.0)
    expected = _lower_envelope_reference(sums, maxima, theta, 1.0 / length)
    for avx2 in (False, True):
        try:
            result = _l1inf_lists._lower_envelope(sums, maxima, theta, 1.0 / length, avx2)
        except ValueError:      # no AVX2 on this CPU: plain C only
            assert avx2
            continue
        assert result == expected, avx2


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_simd_row_norms_match_cython_loop(dtype):
    """The AVX2 l1 norms and maxima of row groups (step 1) equal the Cython loop's, bit for bit.

    Rows of every length from 1 to 40 (the vector loops' tails), both regimes.
    """
    rng = np.random.default_rng(21)
    for length in range(1, 41):
        Y = (rng.standard_normal((70, length)) * rng.uniform(0.1, 10, (70, 1))).astype(dtype)
        for share, dense in ((0.3, False), (0.6, True)):
            eta = share * l1inf_norm(Y, axis=1)
            results = _with_and_without_simd(Y, eta, 1, force_dense=dense)
            np.testing.assert_array_equal(results[0], results[1])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("skewed", [False, True])
def test_dense_regime_sampled_root_search_matches_reference(dtype, axis, skewed):
    """Many groups (>= 4096): the envelope roots are first searched on a sample of groups.

    ``skewed``: every 16th group (the sampled ones) 50 times larger, so that
    the sampled estimates are far off; the whole sums still decide.
    """
    rng = np.random.default_rng(17)
    Y = rng.standard_normal((64, 4500) if axis == 0 else (4500, 64))
    if skewed:
        if axis == 0:
            Y[:, ::16] *= 50
        else:
            Y[::16] *= 50
    Y = Y.astype(dtype)
    for share in (0.1, 0.5, 0.9):
        eta = share * l1inf_norm(Y, axis=axis)
        X = project_l1inf_ball(Y, eta, axis=axis)
        expected, _, _ = _bisection_projection(Y.astype(np.float64), eta, axis)
        np.testing.assert_allclose(X, expected, rtol=0,
                                   atol=(1e-9 if dtype == np.float64 else 3e-6) * np.abs(Y).max())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dense_regime_column_panels_match_reference(dtype):
    """Column groups of C-ordered matrices, read row by row a panel of columns at a time.

    More columns than a panel, and columns left out of the live set (tiny
    ones, zeroed for sure) so that panels are not ranges of columns; AVX2
    and Cython slot loops agree bit for bit, and match the reference.
    """
    rng = np.random.default_rng(13)
    for case in range(8):
        shape = (int(rng.integers(64, 200)), int(rng.integers(65, 300)))
        Y = rng.standard_normal(shape)
        Y[:, rng.random(shape[1]) < (0.3 if case % 2 else 0.0)] *= 1e-6
        Y = np.ascontiguousarray(Y.astype(dtype))
        eta = [0.1, 0.5, 0.9, 0.3][case % 4] * l1inf_norm(Y, axis=0)
        results = _with_and_without_simd(Y, eta, 0, force_dense=True)
        np.testing.assert_array_equal(results[0], results[1])
        expected, _, _ = _bisection_projection(Y.astype(np.float64), eta, 0)
        np.testing.assert_allclose(results[0], expected, rtol=0,
                                   atol=(1e-9 if dtype == np.float64 else 3e-6) * np.abs(Y).max())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_band_gather_along_row_blocks_matches_the_panels(dtype):
    """The band gather of column groups along whole rows, a block of rows at
    a time (``row_blocks``; blocks of 8 and of 16 rows, as AMD CPUs and
    others take them), and down panels of columns give the same lists,
    hence the same bits: histogram bands, sampled bands, and sampled bands
    half emptied (gathered again); row counts not multiples of a block,
    panels without a live column (a run of tiny columns, zeroed for sure)
    and scattered dead columns, rows a stride apart."""
    rng = np.random.default_rng(71)
    hooks = [dict(force_dense=True, sampled_min_bytes=0), _sampled_hooks(),
             _sampled_hooks(narrow_bands=True)]
    sampled = regathered = 0
    for case in range(9):
        shape = (int(rng.integers(17, 250)), int(rng.integers(65, 400)))
        Y = rng.standard_normal(shape)
        if case % 3 == 1:
            Y[:, 64:128] *= 1e-6
        elif case % 3 == 2:
            Y[:, rng.random(shape[1]) < 0.3] *= 1e-6
        Y = Y.astype(dtype)
        if case % 2:
            Y = np.repeat(Y, 2, axis=0)[::2]      # (rows twice their stride apart)
        eta = [0.1, 0.5, 0.9][case % 3] * l1inf_norm(Y, axis=0)
        results, stats = [], []
        for row_blocks, block_rows in ((True, 8), (True, 16), (False, 0)):
            _l1inf._set_testing(row_blocks=row_blocks, block_rows=block_rows,
                                **hooks[case % 3])
            try:
                results.append(project_l1inf_ball(Y, eta, axis=0))
                stats.append(_l1inf._sampled_stats())
            finally:
                _l1inf._set_testing()
        for result, stat in zip(results[1:], stats[1:]):
            np.testing.assert_array_equal(result, results[0])
            assert stat == stats[0]
        sampled += stats[0][0] > 0
        regathered += stats[0][2] > 0
        expected, _, _ = _bisection_projection(Y.astype(np.float64), eta, 0)
        np.testing.assert_allclose(results[0], expected, rtol=0,
                                   atol=(1e-9 if dtype == np.float64 else 3e-6) * np.abs(Y).max())
    assert sampled >= 3 and regathered >= 1


@pytest.mark.parametrize("shape", [(300, 2000), (2000, 300), (40, 5000)])
@pytest.mark.parametrize("kind", ["gaussian", "sparse", "heavy"])
def test_optimality_conditions_on_large_matrices(shape, kind):
    """x = sign(y) min(|y|, mu_g), sum mu_g = eta, one common theta."""
    rng = np.random.default_rng(sum(shape))
    if kind == "gaussian":
        Y = rng.standard_normal(shape)
    elif kind == "sparse":
        Y = rng.standard_normal(shape) * (rng.random(shape) < 0.05)
    else:
        Y = rng.standard_cauchy(shape)
    for axis in (0, 1):
        G = groups_first(Y, axis)
        A = np.abs(G)
        sums = A.sum(axis=1)
        for share in (1e-3, 0.05, 0.5, 0.95):
            eta = share * l1inf_norm(Y, axis=axis)
            X, theta, mu = project_l1inf_ball(Y, eta, axis=axis, return_dual=True)
            np.testing.assert_array_equal(
                X, np.sign(Y) * np.minimum(np.abs(Y), mu[None, :] if axis == 0 else mu[:, None]))
            assert mu.sum() == pytest.approx(eta, rel=1e-12)
            assert np.all(mu >= 0)
            active = mu > 0
            clipped = np.maximum(A - mu[:, None], 0).sum(axis=1)
            np.testing.assert_allclose(clipped[active], theta, rtol=1e-9)
            assert np.all(sums[~active] <= theta * (1 + 1e-12))
            assert np.all(sums[active] > theta)


@pytest.mark.parametrize("axis", [0, 1])
def test_dual_information(axis, rng):
    Y = rng.standard_normal((30, 40))
    eta = 0.2 * l1inf_norm(Y, axis=axis)
    X, theta, mu = project_l1inf_ball(Y, eta, axis=axis, return_dual=True)
    expected, expected_theta, expected_mu = _bisection_projection(Y, eta, axis)
    assert mu.shape == (Y.shape[1 - axis],) and mu.dtype == np.float64
    assert theta == pytest.approx(expected_theta, rel=1e-10)
    np.testing.assert_allclose(mu, expected_mu, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(X, project_l1inf_ball(Y, eta, axis=axis))
    # Inside the ball: theta = 0 and the levels are the group maxima.
    X, theta, mu = project_l1inf_ball(Y, 2 * l1inf_norm(Y, axis=axis), axis=axis,
                                      return_dual=True)
    assert theta == 0.0
    np.testing.assert_array_equal(mu, np.abs(Y).max(axis=axis))
    np.testing.assert_array_equal(X, Y)


def test_radius_zero_and_empty():
    Y = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(project_l1inf_ball(Y, 0.0), np.zeros_like(Y))
    for shape in [(0, 3), (3, 0)]:
        assert project_l1inf_ball(np.zeros(shape), 1.0).shape == shape


def test_one_group_and_groups_of_one(rng):
    """One group: clip at eta.  Groups of one entry: the l1 ball of the vector."""
    y = rng.standard_normal((50, 1))
    np.testing.assert_allclose(project_l1inf_ball(y, 0.3), np.clip(y, -0.3, 0.3))
    row = rng.standard_normal((1, 50))
    magnitudes = np.sort(np.abs(row).ravel())[::-1]
    eta = 0.25 * magnitudes.sum()
    tau = max((magnitudes[:k].sum() - eta) / k for k in range(1, 51))
    np.testing.assert_allclose(project_l1inf_ball(row, eta),
                               np.sign(row) * np.maximum(np.abs(row) - tau, 0), atol=1e-12)


# ----------------------------------------------------------------- in-cache path

def _in_cache_cases(rng, n_cases, min_groups=1, max_groups=90):
    """(case, Y, axis, eta): groups of length 1-40 and some long ones, every kind of
    ``_random_matrix`` (ties, zero groups, heavy tails, wide scales), C order,
    Fortran order and strided views (those take the general path)."""
    for case in range(n_cases):
        length = int(rng.integers(1, 41)) if case % 4 else int(rng.integers(41, 300))
        n_groups = int(rng.integers(min_groups, max_groups))
        Y = _random_matrix(rng, case)
        Y = np.resize(Y, (length, n_groups)) * (1.0 + rng.random((length, n_groups)))
        if case % 6 == 1:  # ties within and across groups
            Y = np.round(Y, 1)
        axis = case % 2
        if axis == 1:
            Y = Y.T
        Y = _layout(Y, case // 2)
        eta = [1e-4, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.999][case % 8] * l1inf_norm(Y, axis=axis)
        yield case, Y, axis, eta


def _check_out_and_in_place(Y, eta, axis, X, case):
    """Into ``out`` (C or F order) and in place: the same bits as ``X``."""
    out = np.empty_like(Y, order="F" if case % 2 else "C")
    assert project_l1inf_ball(Y, eta, axis=axis, out=out) is out
    np.testing.assert_array_equal(out, X)
    Z = Y.copy(order="K")
    project_l1inf_ball(Z, eta, axis=axis, out=Z)
    np.testing.assert_array_equal(Z, X)


def _small_simd_levels(**hooks):
    """Each SIMD level of the in-cache path's pass this CPU has (2 AVX-512, 1
    AVX2, 0 plain C), set with ``hooks`` while the loop's body runs."""
    for level in (2, 1, 0):
        if _l1inf._set_testing(small_simd=level, **hooks) != level:
            _l1inf._set_testing()
            continue
        try:
            yield level
        finally:
            _l1inf._set_testing()


@pytest.fixture(params=[2, 1, 0], ids=["avx512", "avx2", "plain"])
def small_simd(request):
    """The in-cache path with its pass at each SIMD level this CPU has."""
    level = _l1inf._set_testing(small_simd=request.param)
    if level != request.param:
        _l1inf._set_testing()
        pytest.skip("the CPU lacks this instruction set")
    yield level
    _l1inf._set_testing()


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-9), (np.float32, 3e-6)])
def test_in_cache_path_matches_reference(small_simd, dtype, tol):
    """Matrices in cache (the semismooth Newton passes) against the bisection reference,
    also into ``out`` and in place."""
    rng = np.random.default_rng(31)
    for case, Y, axis, eta in _in_cache_cases(rng, 120):
        Y = Y.astype(dtype)
        expected, _, _ = _bisection_projection(Y, eta, axis)
        scale = max(float(np.abs(Y).max()), 1e-300)
        X = project_l1inf_ball(Y, eta, axis=axis)
        assert X.dtype == dtype
        assert np.abs(X - expected).max() <= tol * scale, case
        if case % 3 == 0:
            _check_out_and_in_place(Y, eta, axis, X, case)


def _reference_sets(A, level, lanes, blocks=False):
    """The in-cache pass's sets of each group of magnitudes ``A`` (a row each), in Python.

    The sums in the order ``_l1inf_small.h`` documents: a column group (lanes
    layout) row by row, or (float32 ``blocks``) in blocks of 16 rows summed
    in float32, the blocks' sums in double; a row group (groups layout)
    entry i of the first bulk = n - n % 32 into partial[(i // 8) % 4][i % 8]
    (float32 ``blocks``: summed in float32 within blocks of 512 entries,
    each block's partial added in double), the rest into
    partial[0][(i - bulk) % 8], then skp_small_total's sums.
    """
    counts, sums, above_min, below_max = [], [], [], []
    for a, u in zip(A.tolist(), level.tolist()):
        kept = [v for v in a if v > u]
        counts.append(float(len(kept)))
        above_min.append(min(kept, default=np.inf))
        below_max.append(max((v for v in a if v <= u), default=-np.inf))
        if lanes and blocks:
            total = 0.0
            for start in range(0, len(a), 16):
                block = np.float32(0.0)
                for v in a[start:start + 16]:
                    block = np.float32(block + np.float32(v if v > u else 0.0))
                total += float(block)
        elif lanes:
            total = 0.0
            for v in a:
                total += v if v > u else 0.0
        else:
            bulk = len(a) - len(a) % 32
            partial = [[0.0] * 8 for _ in range(4)]
            block = [np.float32(0.0)] * 32
            for i, v in enumerate(a):
                row, lane = ((i // 8) % 4, i % 8) if i < bulk else (0, (i - bulk) % 8)
                if blocks and i < bulk:
                    block[i % 32] = np.float32(block[i % 32] + np.float32(v if v > u else 0.0))
                    if (i + 1) % 512 == 0 or i + 1 == bulk:
                        for j in range(32):
                            partial[j // 8][j % 8] += float(block[j])
                        block = [np.float32(0.0)] * 32
                else:
                    partial[row][lane] += v if v > u else 0.0
            p = [(partial[0][j] + partial[1][j]) + (partial[2][j] + partial[3][j])
                 for j in range(8)]
            total = ((p[0] + p[4]) + (p[2] + p[6])) + ((p[1] + p[5]) + (p[3] + p[7]))
        sums.append(total)
    return [np.array(x) for x in (counts, sums, above_min, below_max)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_narrow_column_groups_same_bits_with_and_without_avx512(dtype):
    """Matrices of a few column groups, rows one after the other: float32's
    step 1 and passes over one strip (or the short last one) four blocks of
    rows at a time, and the result written as one run of whole vectors,
    give the AVX2 loops' bits, and the projection (checked against the
    bisection reference)."""
    rng = np.random.default_rng(53)
    for n_cols in (1, 3, 5, 8, 9, 13, 16, 20, 31):
        for n_rows in (40, 333):
            Y = rng.standard_normal((n_rows, n_cols)).astype(dtype)
            for share in (0.1, 0.5, 0.9):
                eta = share * l1inf_norm(Y, axis=0)
                results = []
                for avx512 in (True, False):
                    _l1inf._set_testing(avx512=avx512, short_groups=False)
                    try:
                        results.append(project_l1inf_ball(Y, eta, axis=0))
                    finally:
                        _l1inf._set_testing()
                np.testing.assert_array_equal(results[0], results[1],
                                              err_msg=f"{n_rows} x {n_cols} at {share}")
                expected, _, _ = _bisection_projection(Y.astype(np.float64), eta, 0)
                np.testing.assert_allclose(results[0], expected, rtol=0,
                                           atol=2e-5 * float(np.abs(Y).max()))


@pytest.mark.parametrize("blocks", [False, True], ids=["double", "blocks"])
@pytest.mark.parametrize("lanes", [False, True], ids=["groups", "lanes"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pass_sets_match_their_order_at_every_simd_level(dtype, lanes, blocks):
    """One pass of the in-cache path gives every group's count, sum (in its
    documented order, bit for bit), least entry above its level and largest
    at or below, with AVX-512, AVX2 and plain C: groups of 1-300 entries (the
    vector loops' bulk and tails, float32's blocks of rows and their last
    partial one), levels at entries (ties), between, at 0 (every entry
    above) and above the largest (none).  ``blocks`` changes float32 alone:
    its blocks of rows (lanes layout), or of 512 entries (groups layout:
    groups of up to three blocks and a part)."""
    rng = np.random.default_rng(46)
    for length in (1, 5, 8, 31, 32, 33, 40, 63, 64, 100, 101, 127, 255, 300, 512, 544, 1100,
                   1601):
        n_groups = int(rng.integers(1, 40 if length <= 300 else 8))
        Y = (rng.standard_normal((n_groups, length)) * rng.uniform(0.1, 10.0)).astype(dtype)
        if length % 2:
            Y = np.round(Y, 1)      # ties within a group
        A = np.abs(Y.astype(np.float64))
        level = np.array([rng.choice([0.0, a.max(), 2 * a.max() + 1, rng.choice(a),
                                      rng.uniform(0, a.max())]) for a in A])
        expected = _reference_sets(A, level, lanes, blocks and dtype == np.float32)
        Y_pass = np.ascontiguousarray(Y.T) if lanes else Y
        for simd in (2, 1, 0):
            *sets, _ = _l1inf_strips._pass_sets(Y_pass, level, lanes, simd, blocks=blocks)
            for name, got, want in zip(("counts", "sums", "above_min", "below_max"),
                                       sets, expected):
                np.testing.assert_array_equal(got, want, err_msg=f"{name}, {length=}, {simd=}")


@pytest.mark.parametrize("blocks", [False, True], ids=["double", "blocks"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_pass_sets_of_listed_strips_at_every_simd_level(dtype, blocks):
    """A pass over some strips of the lanes layout, as the later Newton steps
    of a panel list them: runs of one to nine strips, adjacent or apart (the
    float32 AVX-512 pass takes four adjacent strips as whole vectors, others
    two a vector), with and without the short last strip, and with each
    row's strips prefetched a few rows ahead (as passes over long groups
    out of cache read them; the AVX-512 loops'), near the last row and past
    it.  The listed groups get their sets bit for bit; the others are left
    alone."""
    rng = np.random.default_rng(47)
    for case in range(40):
        length, n_groups = int(rng.integers(1, 70)), int(rng.integers(8, 120))
        Y = (rng.standard_normal((n_groups, length)) * rng.uniform(0.1, 10.0)).astype(dtype)
        A = np.abs(Y.astype(np.float64))
        level = np.array([rng.choice([0.0, a.max(), rng.choice(a), rng.uniform(0, a.max())])
                          for a in A])
        strips = np.arange(0, n_groups, 8)
        n_listed = int(rng.integers(1, min(len(strips), 9) + 1))
        units = np.sort(rng.choice(strips, n_listed, replace=False))
        passed = np.concatenate([np.arange(u, min(u + 8, n_groups)) for u in units])
        expected = _reference_sets(A[passed], level[passed], True,
                                   blocks and dtype == np.float32)
        for simd, ahead in ((2, 0), (2, 3), (2, 64), (1, 0), (1, 3), (0, 0)):
            *sets, _ = _l1inf_strips._pass_sets(np.ascontiguousarray(Y.T), level, True, simd,
                                                units, blocks=blocks, ahead=ahead)
            for name, got, want in zip(("counts", "sums", "above_min", "below_max"),
                                       sets, expected):
                np.testing.assert_array_equal(got[passed], want,
                                              err_msg=f"{name}, {simd=}, {ahead=}")
                assert np.isnan(np.delete(got, passed)).all(), name


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_in_cache_simd_levels_agree(dtype):
    """The AVX-512, AVX2 and plain C passes and writes give the same bits (one summation order)."""
    rng = np.random.default_rng(32)
    for case, Y, axis, eta in _in_cache_cases(rng, 40):
        Y = Y.astype(dtype)
        results = []
        for _ in _small_simd_levels():
            results.append(project_l1inf_ball(Y, eta, axis=axis, return_dual=True))
        for X, theta, mu in results[1:]:
            np.testing.assert_array_equal(X, results[0][0])
            assert theta == results[0][1]
            np.testing.assert_array_equal(mu, results[0][2])


@pytest.mark.parametrize("axis", [0, 1])
def test_in_cache_path_and_general_path_agree(axis, rng):
    """The dual variables of both paths agree; so do the paths on each side of the size limit."""
    Y = rng.standard_normal((100, 300) if axis == 0 else (300, 100))
    for share in (0.05, 0.5, 0.95):
        eta = share * l1inf_norm(Y, axis=axis)
        results = []
        for hooks in (dict(), dict(small=False), dict(small_max_bytes=Y.nbytes),
                      dict(small_max_bytes=Y.nbytes - 1), dict(small_passes=1)):
            _l1inf._set_testing(**hooks)
            try:
                results.append(project_l1inf_ball(Y, eta, axis=axis, return_dual=True))
            finally:
                _l1inf._set_testing()
        for X, theta, mu in results[1:]:
            np.testing.assert_allclose(X, results[0][0], rtol=0, atol=1e-12)
            assert theta == pytest.approx(results[0][1], rel=1e-10)
            np.testing.assert_allclose(mu, results[0][2], rtol=0, atol=1e-12)


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-9), (np.float32, 3e-6)])
def test_in_cache_wide_dense_matrices(small_simd, dtype, tol):
    """Wide matrices at the radii where most of each group is clipped: the start from
    the model of the sums, the float32 passes over four strips (32 groups) at a time and
    over the bulk of long groups; ties at levels that are not float32 values; against the
    reference, into ``out`` and in place."""
    rng = np.random.default_rng(34)
    for case in range(12):
        length = (1, 7, 33, 64, 100, 129)[case % 6]
        n_groups = (32, 40, 97, 250)[case % 4]
        Y = rng.standard_normal((length, n_groups)) * rng.uniform(0.1, 3.0, n_groups)
        if case % 3 == 1:  # ties within and across groups
            Y = np.round(Y, 1)
        if case % 5 == 2:  # zero groups
            Y[:, ::7] = 0.0
        axis = case % 2
        Y = np.ascontiguousarray(Y if axis == 0 else Y.T, dtype=dtype)
        if case % 4 == 3:
            Y = np.asfortranarray(Y)
        norm = l1inf_norm(Y, axis=axis)
        for share in (0.2, 0.3, 0.5, 0.7, 0.9):
            eta = share * norm
            expected, _, _ = _bisection_projection(Y, eta, axis)
            X = project_l1inf_ball(Y, eta, axis=axis)
            assert X.dtype == dtype
            assert np.abs(X - expected).max() <= tol * np.abs(Y).max(), (case, share)
            _check_out_and_in_place(Y, eta, axis, X, case)


@pytest.mark.parametrize("axis", [0, 1])
def test_in_cache_float32_level_between_float32_values(axis):
    """A level half an ulp below a float32 entry: the float32 passes count that entry
    above it (they compare with the largest float32 below the level), as the double ones do."""
    level = 1.5 - 2.0 ** -26          # rounds to 1.5 in float32
    column = np.array([2.0, 1.5, 0.5, -1.5, 0.25] * 8, dtype=np.float32)
    Y = np.tile(column[:, None], (1, 64))
    if axis == 1:
        Y = np.ascontiguousarray(Y.T)
    results = []
    for simd in (2, 1, 0):
        if _l1inf._set_testing(small_simd=simd) == simd:
            try:
                results.append(project_l1inf_ball(Y, 64 * level, axis=axis, return_dual=True))
            finally:
                _l1inf._set_testing()
    assert results
    for X, theta, mu in results:
        # Every group's level is eta / 64; theta is h_g there, with the 1.5s above it.
        np.testing.assert_allclose(mu, level, rtol=1e-15)
        assert theta == pytest.approx(8 * (2.0 - level) + 16 * (1.5 - level), rel=1e-12)
        np.testing.assert_array_equal(X, np.clip(Y, -np.float32(level), np.float32(level)))


def test_in_cache_path_gives_way_when_unsettled():
    """Capped at 1-2 passes, the in-cache path hands over to the general path: still exact."""
    rng = np.random.default_rng(33)
    for small_passes in (1, 2):
        _l1inf._set_testing(small_passes=small_passes)
        try:
            for case, Y, axis, eta in _in_cache_cases(rng, 40):
                expected, _, _ = _bisection_projection(Y, eta, axis)
                np.testing.assert_allclose(project_l1inf_ball(Y, eta, axis=axis), expected,
                                           rtol=0, atol=1e-9 * np.abs(Y).max())
        finally:
            _l1inf._set_testing()


def test_in_cache_float32_hands_over_with_its_sums_in_double():
    """Float32 column groups in cache sum step 1 by the passes' float32 blocks;
    where the in-cache path gives way, the general path takes step 1 again in
    double: the same bits, theta and levels as the general path alone."""
    rng = np.random.default_rng(34)
    for shape in ((100, 300), (37, 64), (300, 40)):
        Y = (rng.standard_normal(shape) * rng.uniform(0.5, 5.0, shape[1])).astype(np.float32)
        for share in (0.05, 0.5, 0.95):
            eta = share * l1inf_norm(Y, axis=0)
            results = []
            for hook in ({"small_passes": 1}, {"small": False}):
                _l1inf._set_testing(**hook)
                try:
                    results.append(project_l1inf_ball(Y, eta, axis=0, return_dual=True))
                finally:
                    _l1inf._set_testing()
            (X, theta, mu), (X_general, theta_general, mu_general) = results
            np.testing.assert_array_equal(X, X_general)
            assert theta == theta_general
            np.testing.assert_array_equal(mu, mu_general)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_in_cache_short_row_groups_read_transposed(dtype):
    """Float32 groups of at most 192 contiguous entries in a matrix of at most
    1 MiB, or of at most 100 in a matrix the in-cache path takes (up to 8 MiB),
    and float64 groups of 17-31 entries (rows of a C-ordered matrix, columns
    of an F-ordered one) are
    copied into column groups as step 1 reads them: the same bits, theta and levels as the
    column groups of the transposed matrix, at every SIMD level of the pass
    (whole and partial sets of 8 groups and 8 x 8 blocks, blocks of 16
    entries and their last partial one), with the copy's rows prefetched for
    writing or not, and the reference's projection."""
    rng = np.random.default_rng(36)
    cases = ([((203, 37), 0.5), ((64, 100), 0.1), ((9, 192), 0.9), ((40, 17), 0.5),
              ((1000, 100), 0.5), ((16, 8), 0.3), ((15000, 20), 0.5), ((3000, 100), 0.9)]
             if dtype == np.float32 else
             [((203, 17), 0.5), ((40, 31), 0.9), ((1000, 20), 0.1), ((9, 24), 0.5),
              ((10000, 17), 0.5)])
    tol = 3e-6 if dtype == np.float32 else 1e-12
    for (n_groups, length), share in cases:
        Y = (rng.standard_normal((n_groups, length))
             * rng.uniform(0.5, 3.0, (n_groups, 1))).astype(dtype)
        if length % 2:
            Y = np.round(Y, 1)      # ties
        eta = share * l1inf_norm(Y, axis=1)
        expected, _, _ = _bisection_projection(Y, eta, 1)
        columns = np.ascontiguousarray(Y.T)
        for _ in (level for ahead in (True, False)
                  for level in _small_simd_levels(transpose_ahead=ahead)):
            X, theta, mu = project_l1inf_ball(Y, eta, axis=1, return_dual=True)
            X_f, theta_f, mu_f = project_l1inf_ball(np.asfortranarray(Y.T), eta, axis=0,
                                                    return_dual=True)
            X_t, theta_t, mu_t = project_l1inf_ball(columns, eta, axis=0, return_dual=True)
            np.testing.assert_array_equal(X, X_t.T)
            np.testing.assert_array_equal(X_f, X_t)
            assert theta == theta_t == theta_f
            np.testing.assert_array_equal(mu, mu_t)
            np.testing.assert_array_equal(mu_f, mu_t)
            np.testing.assert_allclose(X, expected, rtol=0, atol=tol * np.abs(Y).max())
    # rows of a wider matrix (a row stride past the group's end), into ``out``
    wide = rng.standard_normal((120, 70)).astype(dtype)
    Y, out = wide[:, 3:53 if dtype == np.float32 else 23], np.full(
        (120, 50 if dtype == np.float32 else 20), np.nan, dtype=dtype)
    eta = 0.4 * l1inf_norm(Y, axis=1)
    X = project_l1inf_ball(Y, eta, axis=1, out=out)
    assert X is out
    np.testing.assert_array_equal(
        X, project_l1inf_ball(np.ascontiguousarray(Y.T), eta, axis=0).T)


@pytest.mark.parametrize("dtype, shape", [
    (np.float32, (64, 1024)), (np.float32, (100, 1024)), (np.float32, (70, 2048)),
    (np.float32, (64, 4096)), (np.float32, (600, 1024)), (np.float64, (64, 512)),
    (np.float64, (90, 1024)), (np.float32, (520, 512)), (np.float32, (300, 1536))])
def test_in_cache_columns_a_page_apart_read_from_a_spaced_copy(dtype, shape):
    """Column groups of 64 rows or more lying a multiple of 4 KiB apart
    (power-of-two widths), or float32 ones 2 KiB apart in a matrix past L2,
    are read by the in-cache path from a copy whose rows lie a line further
    apart (``small_lanes_copy``): the same bits,
    theta and levels as the same matrix with its rows padded apart (read in
    place), at every SIMD level of the pass, and the reference's
    projection; into a padded ``out`` too."""
    rng = np.random.default_rng(37)
    Y = (rng.standard_normal(shape) * rng.uniform(0.5, 3.0, shape[1])).astype(dtype)
    Y[:, 5::17] = np.round(Y[:, 5::17], 1)   # (ties)
    padded = rows_padded(Y)
    assert Y.strides[0] % 2048 == 0 and padded.strides[0] % 2048 != 0
    for share in (0.1, 0.5):
        eta = share * l1inf_norm(Y, axis=0)
        expected, _, _ = _bisection_projection(Y, eta, 0)
        for _ in _small_simd_levels():
            X, theta, mu = project_l1inf_ball(Y, eta, axis=0, return_dual=True)
            X_p, theta_p, mu_p = project_l1inf_ball(
                padded, eta, axis=0, return_dual=True,
                out=rows_padded(np.empty_like(Y)))
            # (the same groups as rows of an F-ordered matrix: its columns a page apart)
            X_f, theta_f, mu_f = project_l1inf_ball(np.asfortranarray(Y.T), eta, axis=1,
                                                    return_dual=True)
            np.testing.assert_array_equal(X_f, X.T)
            assert theta_f == theta
            np.testing.assert_array_equal(mu_f, mu)
            np.testing.assert_array_equal(X, X_p)
            assert theta == theta_p
            np.testing.assert_array_equal(mu, mu_p)
            np.testing.assert_allclose(X, expected, rtol=0,
                                       atol=(3e-6 if dtype == np.float32 else 1e-12)
                                       * np.abs(Y).max())


@pytest.mark.parametrize("dtype, shape", [
    (np.float32, (16, 17)), (np.float32, (37, 64)), (np.float32, (512, 100)),
    (np.float32, (1024, 33)), (np.float32, (1797, 64)), (np.float32, (41, 190)),
    (np.float32, (300, 150)), (np.float64, (64, 20)), (np.float64, (512, 17)),
    (np.float64, (1024, 31))])
def test_in_cache_short_row_groups_read_from_a_transposed_copy(dtype, shape):
    """Short row groups in cache are read transposed, each row of the copy
    from a cache line's start and never a multiple of 2 KiB apart
    (``small_lanes_copy``), float32's by 16 x 16 blocks with AVX-512 and the
    groups past the last 16 by AVX2's 8 x 8 ones (``skp_small_transpose_norms_f32``):
    the same bits, theta and levels at every SIMD level, from a matrix
    whose rows lie apart too, and the reference's projection."""
    rng = np.random.default_rng(38)
    wide = (rng.standard_normal((shape[0], shape[1] + 5))
            * rng.uniform(0.5, 3.0, (shape[0], 1))).astype(dtype)
    wide[3::7] = np.round(wide[3::7], 1)   # (ties)
    for Y in (np.ascontiguousarray(wide[:, :shape[1]]), wide[:, 2:2 + shape[1]]):
        for share in (0.1, 0.5, 0.9):
            eta = share * l1inf_norm(Y, axis=1)
            expected, _, _ = _bisection_projection(Y, eta, 1)
            results = [project_l1inf_ball(Y, eta, axis=1, return_dual=True)
                       for _ in _small_simd_levels()]
            for X, theta, mu in results[1:]:
                np.testing.assert_array_equal(bits(X), bits(results[0][0]))
                assert theta == results[0][1]
                np.testing.assert_array_equal(mu, results[0][2])
            np.testing.assert_allclose(results[0][0], expected, rtol=0,
                                       atol=(3e-6 if dtype == np.float32 else 1e-12)
                                       * np.abs(Y).max())


@pytest.mark.parametrize("axis", [0, 1])
def test_in_cache_float32_entries_whose_blocks_overflow(axis):
    """Float32 entries so large that 16 of them overflow a float32 sum (the
    in-cache path's blocks), though not a double one: projected exactly.
    Groups of 700 put 16 entries in a block (rows of the lanes layout, or
    each partial sum of the groups layout's first block); row groups of 20
    have no bulk, summed in double."""
    rng = np.random.default_rng(35)
    big = float(np.finfo(np.float32).max) / 3
    for shape in ((48, 40), (700, 12), (12, 700), (60, 20)):
        Y = (rng.uniform(0.2, 1.0, shape) * np.where(rng.random(shape) < 0.5, -1, 1)
             * big).astype(np.float32)
        for share in (0.1, 0.5, 0.9):
            eta = share * float(l1inf_norm(Y.astype(np.float64) / big, axis=axis)) * big
            X = project_l1inf_ball(Y, eta, axis=axis)
            assert np.isfinite(X).all()
            expected, _, _ = _bisection_projection(Y.astype(np.float64) / big, eta / big, axis)
            np.testing.assert_allclose(X.astype(np.float64) / big, expected, rtol=0,
                                       atol=3e-6)


def test_float32_row_groups_out_of_cache_whose_blocks_would_overflow():
    """Row groups of a float32 matrix beyond the in-cache path's size, with
    entries so large that a float32 block of the passes would overflow: the
    passes over the whole matrix decline (``_blocks_fit``), the paths in
    double project exactly."""
    rng = np.random.default_rng(48)
    big = float(np.finfo(np.float32).max) / 3
    shape = (3000, 1100)    # (13 MB)
    Y = (rng.uniform(0.2, 1.0, shape) * np.where(rng.random(shape) < 0.5, -1, 1)
         * big).astype(np.float32)
    for share in (0.1, 0.9):
        eta = share * float(l1inf_norm(Y.astype(np.float64) / big, axis=1)) * big
        X = project_l1inf_ball(Y, eta, axis=1)
        assert np.isfinite(X).all()
        expected, _, _ = _bisection_projection(Y.astype(np.float64) / big, eta / big, 1)
        np.testing.assert_allclose(X.astype(np.float64) / big, expected, rtol=0, atol=3e-6)


@pytest.mark.parametrize("lanes", [False, True], ids=["groups", "lanes"])
def test_in_cache_float32_step_one_is_a_pass_at_level_zero(lanes):
    """Step 1 on float32 groups in cache sums them as the in-cache path's
    passes do, by blocks (``sums_by_blocks``): its sums are a pass's at level
    0 bit for bit, at every SIMD level, the maxima exact.  In the groups
    layout, a group with an entry whose blocks could overflow (above
    SKP_SMALL_BLOCK_MAX) is summed in double instead."""
    rng = np.random.default_rng(47)
    big = float(np.finfo(np.float32).max) / 3
    # (in the lanes layout, 47 and 17 groups: float32's vectors of 32
    # groups, then the last ones masked, two blocks of rows at a time)
    for n_groups, length in ((30, 40), (20, 513), (9, 1100), (3, 2000), (47, 70), (17, 100)):
        A = rng.standard_cauchy((n_groups, length)).astype(np.float32)
        A[-1, -1] = big     # (the last group's sum in double)
        Y = np.ascontiguousarray(A.T) if lanes else A
        zero = np.zeros(n_groups)
        for simd in _small_simd_levels():
            sums, maxima, _ = _l1inf._step_one(Y, not lanes, False)
            _, by_blocks, *_ = _l1inf_strips._pass_sets(Y, zero, lanes, simd, blocks=True)
            _, in_double, *_ = _l1inf_strips._pass_sets(Y, zero, lanes, simd, blocks=False)
            np.testing.assert_array_equal(maxima, np.abs(A).max(axis=1))
            np.testing.assert_array_equal(sums[:-1], by_blocks[:-1], err_msg=f"{simd=}")
            # (the lanes layout sums every group by blocks, its passes declining
            # above the bound)
            assert sums[-1] == (by_blocks if lanes else in_double)[-1]
            assert np.isfinite(sums[-1])
            np.testing.assert_allclose(sums, np.abs(A.astype(np.float64)).sum(axis=1),
                                       rtol=1e-6)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_in_cache_non_finite_and_huge_values(order, dtype):
    """NaN and inf are reported by the kernel of either layout; finite values whose
    sums overflow are rescaled by the caller and projected exactly."""
    for axis in (0, 1):
        for bad in (np.nan, np.inf):
            Y = np.ones((40, 30), dtype=dtype, order=order)
            Y[7, 11] = bad
            out = np.empty_like(Y)
            status, _ = _l1inf.l1inf_ball(Y, out, 1.0, axis == 1, np.zeros(Y.shape[1 - axis]))
            assert status == 2      # STATUS_NONFINITE
            with pytest.raises(ValueError, match="NaN or infinity"):
                project_l1inf_ball(Y, 1.0, axis=axis)
        # The group sums exceed the largest float64 (not the float32 ones, in double).
        big = np.finfo(dtype).max / 20
        Y = np.full((40, 30), big, dtype=dtype, order=order)
        Y[::3] *= -0.5
        eta = 0.4 * float(l1inf_norm(Y.astype(np.float64) / big, axis=axis)) * big
        X = project_l1inf_ball(Y, eta, axis=axis)
        expected, _, _ = _bisection_projection(Y.astype(np.float64) / big, eta / big, axis)
        np.testing.assert_allclose(X.astype(np.float64) / big, expected, rtol=0,
                                   atol=1e-9 if dtype == np.float64 else 3e-6)


def _short_group_matrices(rng, dtype):
    """(Y, axis) with groups of 1-16 entries: rows of a C-ordered block, columns
    (at least 256 of them); block edges (sixteen float32 groups, eight
    float64), samples (512 groups and more), ties, zero groups, heavy tails,
    scales far apart."""
    for n in range(1, 17):
        for axis, n_groups in ((1, 37), (1, 700), (0, 256), (0, 1029)):
            shape = (n_groups, n) if axis == 1 else (n, n_groups)
            kind = (n + n_groups) % 4
            if kind == 0:
                Y = rng.standard_normal(shape)
            elif kind == 1:    # ties within and across groups, zero groups
                Y = rng.choice([-2.0, -1.0, 0.0, 1.0, 2.0], size=shape)
                if axis == 1:
                    Y[::5] = 0
                else:
                    Y[:, ::5] = 0
            elif kind == 2:
                Y = rng.standard_cauchy(shape)
            else:
                scales = 10.0 ** rng.uniform(-3, 3, n_groups)
                Y = rng.standard_normal(shape) * (scales[:, None] if axis == 1 else scales)
            yield np.ascontiguousarray(Y.astype(dtype)), axis


@contextmanager
def _short_group_loops(loops):
    """The short groups' path on, with its AVX-512F loops or its AVX2 ones
    (those on every column length), or skip where the CPU lacks them."""
    from skproj.projections import _l1inf_short

    if not _l1inf._set_testing(short_groups=True) >= 1:
        _l1inf._set_testing()
        pytest.skip("the short groups' path needs AVX2, which this CPU lacks")
    if _l1inf_short._set_avx512(loops == "avx512") != (loops == "avx512"):
        _l1inf._set_testing()
        pytest.skip("the CPU lacks AVX-512F")
    _l1inf_short._set_avx2_column_rows(16)
    try:
        yield
    finally:
        _l1inf_short._set_avx2_column_rows()
        _l1inf_short._set_avx512(True)
        _l1inf._set_testing()


@pytest.mark.parametrize("loops", ["avx512", "avx2"])
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-9), (np.float32, 3e-6)])
def test_short_groups_match_reference(loops, dtype, tol, rng):
    """Groups of at most 16 entries by their sorted breakpoints (AVX-512F or
    AVX2 loops): the projection, theta and the levels of the bisection
    reference, at radii from almost nothing to the whole norm; every call
    answered by that path."""
    from skproj.projections import _l1inf_short

    calls = 0
    with _short_group_loops(loops):
        _l1inf_short._answered(reset=True)
        for Y, axis in _short_group_matrices(rng, dtype):
            norm = l1inf_norm(Y, axis=axis)
            for share in (1e-4, 0.05, 0.5, 0.95, 0.9999):
                X, theta, mu = project_l1inf_ball(Y, share * norm, axis=axis,
                                                  return_dual=True)
                calls += 1
                expected, expected_theta, expected_mu = _bisection_projection(
                    Y, share * norm, axis)
                scale = float(np.abs(Y).max())
                np.testing.assert_allclose(X, expected, rtol=0, atol=tol * scale,
                                           err_msg=f"{Y.shape} {axis} {share}")
                np.testing.assert_allclose(mu, expected_mu, rtol=0, atol=tol * scale)
                assert abs(theta - expected_theta) <= tol * max(expected_theta, scale)
        assert _l1inf_short._answered() == calls


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis", [0, 1])
def test_short_groups_out_of_cache_as_their_sample_says(dtype, axis):
    """Short groups in a matrix beyond the path's size (``_set_max_bytes``
    lowered, so that a small matrix stands for a large one) take the path
    where a sample of one block in 64 keeps at least 1 % of the groups, and
    leave it to the other paths where it keeps fewer (groups a thousand
    times the others' scale, one in 500); the same projection either way as
    with the path off.  Too few blocks for a sample: taken."""
    from skproj.projections import _l1inf_short

    rng = np.random.default_rng(7)
    n_groups, length = 40000 if dtype == np.float32 else 20000, 8
    Y = rng.standard_normal((n_groups, length))
    few = Y * np.where(rng.random(n_groups) < 0.002, 1000.0, 1.0)[:, None]
    cases = [(Y, 0.5, 1), (few, 0.1, 0), (Y[:2000], 0.5, 1)]
    loops = "avx512" if _l1inf_short._set_avx512(True) else "avx2"
    previous = _l1inf_short._set_max_bytes(1 << 12)
    try:
        for Z, share, answered in cases:
            Z = np.ascontiguousarray((Z if axis == 1 else Z.T).astype(dtype))
            eta = share * l1inf_norm(Z, axis=axis)
            with _short_group_loops(loops):
                _l1inf_short._answered(reset=True)
                X = project_l1inf_ball(Z, eta, axis=axis)
                assert _l1inf_short._answered() == answered, (Z.shape, share)
            _l1inf._set_testing(short_groups=False)
            try:
                expected = project_l1inf_ball(Z, eta, axis=axis)
            finally:
                _l1inf._set_testing()
            scale = float(np.abs(Z).max())
            np.testing.assert_allclose(X, expected, rtol=0,
                                       atol=(3e-6 if dtype == np.float32 else 1e-9) * scale)
    finally:
        _l1inf_short._set_max_bytes(previous)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(8, 1000), (16, 999), (5, 40)])
def test_short_column_groups_in_cache_are_the_clip_by_their_levels(shape, dtype):
    """Short column groups in cache (written by strips with AVX-512, their
    levels in registers down the rows: ``write_clipped``) are ``clip(Y, -mu,
    mu)`` bit for bit, a zeroed column's entries keeping their signs, also
    into an ``out`` off a vector boundary and in place.  (Where few columns
    are kept, the result is zeroed first, then they are written: +0.0
    elsewhere; not tested here.)"""
    rng = np.random.default_rng(sum(shape))
    Y = rng.standard_normal(shape).astype(dtype)
    maxima = np.sort(np.abs(Y).max(axis=0))[::-1]
    zeroed = 0
    for kept in (shape[1] // 8, shape[1] // 2, shape[1] - 1):
        eta = float(np.sum(maxima[:kept] - maxima[kept]))
        X, _, mu = project_l1inf_ball(Y, eta, axis=0, return_dual=True)
        level = mu.astype(dtype)
        expected = np.where(level > 0, np.clip(Y, -level, level), np.copysign(0 * Y, Y))
        assert np.array_equal(bits(X), bits(expected)), kept
        zeroed += np.count_nonzero(level == 0)
        buffer = np.empty(Y.size + 1, dtype=dtype)
        out = buffer[1:].reshape(shape)
        project_l1inf_ball(Y, eta, axis=0, out=out)
        assert np.array_equal(bits(out), bits(X))
        inplace = Y.copy()
        project_l1inf_ball(inplace, eta, axis=0, out=inplace)
        assert np.array_equal(bits(inplace), bits(X))
    assert zeroed > 0


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 3e-6)])
def test_sparse_groups_leave_their_zeros_out_of_the_lists(dtype, tol, axis):
    """Groups of 10 % nonzeros: their zeros lie above no level, so the
    candidates' gathers (of rows, and of columns along the rows' ranges) and
    the bands' regather of whole rows (bands made too narrow for half of
    the groups) list the nonzeros alone; the projections are the bisection
    reference's at every radius, the regathers taken."""
    rng = np.random.default_rng(3)
    shape = (400, 5000) if axis == 1 else (5000, 400)
    Y = (rng.standard_normal(shape) * (rng.random(shape) < 0.1)).astype(dtype)
    maxima = np.sort(np.abs(Y).max(axis=axis))[::-1]
    regathered = 0
    for k in (4, 40, 200, 360):
        eta = float(np.sum(maxima[:k] - maxima[k]))
        expected = _bisection_projection(Y, eta, axis)[0]
        _l1inf._set_testing(small_max_bytes=0, sampled_min_bytes=1 << 16,
                            sample_bytes=1 << 16, narrow_bands=True)
        try:
            X = project_l1inf_ball(Y, eta, axis=axis)
            regathered += _l1inf._sampled_stats()[2]
        finally:
            _l1inf._set_testing()
        np.testing.assert_allclose(X, expected, rtol=0, atol=tol * np.abs(Y).max())
        assert np.all(X[Y == 0] == 0)
    assert regathered > 0


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 3e-6)])
def test_row_groups_probe_their_candidates_before_gathering_them_all(dtype, tol):
    """Row groups gather a sixteenth of their candidates first: where most of
    those guessed levels fall short of mu_g (rows of 10 % nonzeros with few
    groups kept: their zeros hold the guesses down), the dense regime takes
    the problem before the rest is gathered; Gaussian rows go on with their
    lists.  The bisection reference's projection either way."""
    rng = np.random.default_rng(12)
    shape = (512, 4000)
    draws = {"sparse": rng.standard_normal(shape) * (rng.random(shape) < 0.1),
             "Gaussian": rng.standard_normal(shape)}
    _l1inf._gather_probes()
    for name, k, outcome in (("sparse", 5, (1, 1)), ("Gaussian", 50, (1, 0))):
        Y = draws[name].astype(dtype)
        maxima = np.sort(np.abs(Y).max(axis=1))[::-1]
        eta = float(np.sum(maxima[:k] - maxima[k]))
        _l1inf._set_testing(small=False)
        try:
            X = project_l1inf_ball(Y, eta, axis=1)
            assert _l1inf._gather_probes() == outcome
        finally:
            _l1inf._set_testing()
        np.testing.assert_allclose(X, _bisection_projection(Y, eta, 1)[0], rtol=0,
                                   atol=tol * np.abs(Y).max())


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sparse_groups_same_bits_at_every_simd_level(dtype, axis):
    """The general path's gathers of sparse groups list no zero, whether
    they leave them out (AVX2, AVX-512) or drop them after (plain C:
    ``_drop_zeros``): the same lists, so the same bits at every level."""
    rng = np.random.default_rng(9)
    Y = (rng.standard_normal((300, 3000)) * (rng.random((300, 3000)) < 0.1)).astype(dtype)
    Y = np.ascontiguousarray(Y.T) if axis == 0 else Y
    maxima = np.sort(np.abs(Y).max(axis=axis))[::-1]
    for k in (3, 30, 150):
        eta = float(np.sum(maxima[:k] - maxima[k]))
        results = []
        for hooks in (dict(small=False), dict(small=False, avx512=False),
                      dict(small=False, simd=False)):
            _l1inf._set_testing(**hooks)
            try:
                results.append(project_l1inf_ball(Y, eta, axis=axis))
            finally:
                _l1inf._set_testing()
        for other in results[1:]:
            np.testing.assert_array_equal(bits(other), bits(results[0]))


def test_dense_regime_without_a_sample_takes_the_passes_where_many_groups_live():
    """Float32 column groups too few bytes for a sample: where 5 % of the
    groups or more are live (sparse columns at 1 % of them kept), the passes
    over the whole matrix rather than the histograms, which read the live
    columns an entry a line; where about 1 % are (Cauchy), the histograms.
    Both exact.  With AVX2 alone (the in-cache pass at level 1) column
    groups of 32 rows or more are read along the rows, and the passes then
    come before any band (``passes_before_any_band``): both take them."""
    routes = []
    level = _l1inf._set_testing()
    for draw in (lambda r, s: r.standard_normal(s) * (r.random(s) < 0.1),
                 lambda r, s: r.standard_cauchy(s)):
        Y = draw(np.random.default_rng(5), (64, 6000)).astype(np.float32)
        maxima = np.sort(np.abs(Y).max(axis=0))[::-1]
        eta = float(np.sum(maxima[:60] - maxima[60]))
        expected = _bisection_projection(Y, eta, 0)[0]
        _l1inf._set_testing(small_max_bytes=0, sampled_min_bytes=1 << 30, bracket=False)
        try:
            X = project_l1inf_ball(Y, eta)
            routes.append((_l1inf._dense_passes_taken(), _l1inf._phase_times()[1]))
        finally:
            _l1inf._set_testing()
        np.testing.assert_allclose(X, expected, rtol=0, atol=3e-6 * np.abs(Y).max())
    (sparse_passes, sparse_histograms), (cauchy_passes, cauchy_histograms) = routes
    assert sparse_passes and sparse_histograms == 0
    if level == 1:
        assert cauchy_passes and cauchy_histograms == 0
    else:
        assert not cauchy_passes and cauchy_histograms > 0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_short_groups_same_bits_with_avx512_and_avx2(dtype):
    """The AVX2 loops of the short groups' path give the AVX-512F loops'
    bits: the same sorted rows, sums and counts lane for lane, P and Q in
    the same chains and lanes, added up in the same order."""
    results = []
    for loops in ("avx512", "avx2"):
        with _short_group_loops(loops):
            results.append([
                project_l1inf_ball(Y, share * l1inf_norm(Y, axis=axis), axis=axis,
                                   return_dual=True)
                for Y, axis in _short_group_matrices(np.random.default_rng(5), dtype)
                for share in (0.05, 0.5, 0.95)])
    for (X, theta, mu), (X2, theta2, mu2) in zip(*results):
        np.testing.assert_array_equal(X2, X)
        assert theta2 == theta
        np.testing.assert_array_equal(mu2, mu)


@pytest.mark.parametrize("loops", ["avx512", "avx2"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_short_groups_newton_shortcuts_same_bits(loops, dtype):
    """Newton's passes take the octets (AVX-512F) or quartets (AVX2) of groups
    whose breakpoints around the last pass's theta still hold the new one
    from that pass, without reading them, and a step up that stays below
    the least breakpoint above the last iterate (every group on its
    segment) is theta^*, without the pass that would only have found the
    counts settled: the same projection, theta and levels, to the bit, as
    every pass over every group, with each shortcut alone and both, and
    (AVX-512F) without the segments at all, on ties, zero groups, heavy
    tails and scales apart; and both are taken."""
    from skproj.projections import _l1inf_short

    def project_all():
        return [project_l1inf_ball(Y, share * l1inf_norm(Y, axis=axis), axis=axis,
                                   return_dual=True)
                for Y, axis in _short_group_matrices(np.random.default_rng(7), dtype)
                for share in (1e-3, 0.05, 0.5, 0.95)]

    results, taken = [], []
    with _short_group_loops(loops):
        _l1inf_short._set_segments(1)
        try:
            for shortcut, reuse in ((True, True), (True, False), (False, True), (False, False)):
                _l1inf_short._shortcuts_taken(reset=True)
                _l1inf_short._set_shortcut(shortcut, reuse)
                try:
                    results.append(project_all())
                finally:
                    _l1inf_short._set_shortcut()
                taken.append(_l1inf_short._shortcuts_taken(reset=True))
            if loops == "avx512":
                _l1inf_short._set_segments(0)
                results.append(project_all())
                assert _l1inf_short._shortcuts_taken(reset=True) == (0, 0)
        finally:
            _l1inf_short._set_segments()
    calls = len(results[0])
    assert taken[0][0] >= calls // 2 and taken[1][0] >= calls // 2 and taken[2][0] == 0
    assert taken[0][1] > 0 and taken[2][1] > 0 and taken[1][1] == 0
    assert taken[3] == (0, 0)
    for other in results[1:]:
        for (X, theta, mu), (X2, theta2, mu2) in zip(results[0], other):
            np.testing.assert_array_equal(bits(X2), bits(X))
            assert theta2 == theta
            np.testing.assert_array_equal(bits(mu2), bits(mu))


def test_short_groups_avx2_switch_holds_before_the_first_call():
    """The AVX2 loops, asked for in a new process before any projection, are
    the ones that run: the CPU's detection, which the first call made, turned
    the AVX-512F loops back on (``skp_set_avx512`` skipped it when turning
    them off).  Observed by what only the AVX2 loops do: decline column
    groups of more than 8 rows."""
    from fresh_python import run_python

    code = (
        "import numpy as np\n"
        "from skproj.projections import _l1inf_short, project_l1inf_ball, l1inf_norm\n"
        "_l1inf_short._set_avx512(False)\n"
        "Y = np.random.default_rng(0).standard_normal((12, 300)).astype(np.float32)\n"
        "project_l1inf_ball(Y, 0.5 * l1inf_norm(Y, axis=0), axis=0)\n"
        "answered = _l1inf_short._answered(reset=True)\n"
        "avx512 = _l1inf_short._set_avx512(True)\n"
        "project_l1inf_ball(Y, 0.5 * l1inf_norm(Y, axis=0), axis=0)\n"
        "print(answered, int(avx512), _l1inf_short._answered())\n")
    answered, avx512, answered_with_avx512 = map(int, run_python(["-c", code]).stdout.split())
    if not avx512:
        pytest.skip("the CPU lacks AVX-512F: both switches run the AVX2 loops")
    assert (answered, answered_with_avx512) == (0, 1)


def test_short_groups_path_declines_cleanly(rng):
    """Where Newton's steps do not settle (none allowed here) the path writes
    nothing and the other paths answer; inside the ball it copies."""
    from skproj.projections import _l1inf_short

    Y = rng.standard_normal((300, 8))
    expected = project_l1inf_ball(Y, 0.4 * l1inf_norm(Y, axis=1), axis=1)
    _l1inf._set_testing(short_groups=True)
    _l1inf_short._set_max_steps(0)
    _l1inf_short._answered(reset=True)
    try:
        X = project_l1inf_ball(Y, 0.4 * l1inf_norm(Y, axis=1), axis=1)
        assert _l1inf_short._answered() == 0
    finally:
        _l1inf_short._set_max_steps()
        _l1inf._set_testing()
    np.testing.assert_allclose(X, expected, rtol=0, atol=1e-12)
    X, theta, mu = project_l1inf_ball(Y, 2 * l1inf_norm(Y, axis=1), axis=1,
                                      return_dual=True)
    np.testing.assert_array_equal(X, Y)
    assert theta == 0.0
    np.testing.assert_array_equal(mu, np.abs(Y).max(axis=1))


# ----------------------------------------------------------------- contract

def test_input_untouched_and_out(rng):
    Y = rng.standard_normal((20, 30))
    original = Y.copy()
    X = project_l1inf_ball(Y, 1.0)
    np.testing.assert_array_equal(Y, original)
    out = np.empty_like(Y)
    assert project_l1inf_ball(Y, 1.0, out=out) is out
    np.testing.assert_array_equal(out, X)
    Z = Y.copy()
    assert project_l1inf_ball(Z, 1.0, out=Z) is Z      # in place
    np.testing.assert_array_equal(Z, X)
    Z = np.asfortranarray(Y)
    project_l1inf_ball(Z, 1.0, out=Z)
    np.testing.assert_allclose(Z, X, rtol=0, atol=1e-12)


def test_float32_matches_float64(rng):
    Y = rng.standard_normal((50, 60)).astype(np.float32)
    eta = 0.1 * l1inf_norm(Y)
    X32 = project_l1inf_ball(Y, eta)
    X64 = project_l1inf_ball(Y.astype(np.float64), eta)
    assert X32.dtype == np.float32
    np.testing.assert_allclose(X32, X64, rtol=0, atol=1e-6 * np.abs(Y).max())


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_is_rejected(bad):
    for position in [(0, 0), (3, 4), (6, 2)]:
        Y = np.ones((7, 5))
        Y[position] = bad
        with pytest.raises(ValueError):
            project_l1inf_ball(Y, 1.0)
        with pytest.raises(ValueError):
            project_l1inf_ball(Y, 1.0, axis=1)


def test_torch_cpu_tensor():
    torch = pytest.importorskip("torch")
    Y = torch.randn(40, 30, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    X = project_l1inf_ball(Y, 0.5)
    assert isinstance(X, torch.Tensor) and X.dtype == Y.dtype
    np.testing.assert_array_equal(X.numpy(), project_l1inf_ball(Y.numpy(), 0.5))
    X, theta, mu = project_l1inf_ball(Y, 0.5, return_dual=True)
    assert float(mu.sum()) == pytest.approx(0.5)


@pytest.mark.cuda
def test_cuda_matches_cpu():
    torch = pytest.importorskip("torch")
    Y = torch.randn(200, 300, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    for axis in (0, 1):
        expected = project_l1inf_ball(Y, 2.0, axis=axis)
        X = project_l1inf_ball(Y.cuda(), 2.0, axis=axis)
        assert X.is_cuda
        np.testing.assert_allclose(X.cpu().numpy(), expected.numpy(), rtol=0, atol=1e-9)


# ----------------------------------------------------------------- warm start

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_warm_start_from_the_levels_of_a_nearby_matrix(kernel_path, dtype):
    """``dual_init``: the levels of the projection before an optimizer's step.
    The same bits, theta and levels as a cold start (NumPy arrays of either
    order, a CPU tensor), in fewer passes where the in-cache path runs."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(51)
    cold_passes = warm_passes = 0
    for shape, axis, order in (((100, 300), 0, "C"), ((300, 100), 1, "C"),
                               ((200, 150), 0, "F"), ((64, 500), 1, "C")):
        Y = np.asarray(rng.standard_normal(shape), dtype=dtype, order=order)
        for share in (0.1, 0.5, 0.9):
            eta = share * l1inf_norm(Y, axis=axis)
            X, _, mu = project_l1inf_ball(Y, eta, axis=axis, return_dual=True)
            step = 1e-3 * rng.standard_normal(shape)
            Z = np.asarray(X + step, dtype=dtype, order=order)
            cold = project_l1inf_ball(Z, eta, axis=axis, return_dual=True)
            cold_passes += _l1inf._last_rounds()
            warm = project_l1inf_ball(Z, eta, axis=axis, return_dual=True, dual_init=mu)
            warm_passes += _l1inf._last_rounds()
            np.testing.assert_array_equal(warm[0], cold[0])
            assert warm[1] == cold[1]
            np.testing.assert_array_equal(warm[2], cold[2])
            if order == "C":
                tensor = project_l1inf_ball(torch.from_numpy(Z), eta, axis=axis,
                                            return_dual=True, dual_init=torch.from_numpy(mu))
                np.testing.assert_array_equal(tensor[0].numpy(), cold[0])
                np.testing.assert_array_equal(tensor[2].numpy(), cold[2])
    if kernel_path != "general":
        assert warm_passes < cold_passes


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-9), (np.float32, 3e-6)])
def test_warm_start_from_any_levels(dtype, tol):
    """Any finite levels >= 0 are a start, however far: zeros, levels above the
    groups' maxima (as ``return_dual`` gives inside the ball), random ones;
    the projection is the reference's.  ``dual_init`` is only read."""
    rng = np.random.default_rng(52)
    Y = rng.standard_normal((80, 120)).astype(dtype)
    for axis in (0, 1):
        n_groups = Y.shape[1 - axis]
        maxima = np.abs(Y).max(axis=axis).astype(np.float64)
        starts = (np.zeros(n_groups), 10 * maxima, maxima, rng.uniform(0, 3, n_groups),
                  np.where(rng.random(n_groups) < 0.5, 0.0, 0.5 * maxima))
        for share in (0.05, 0.5, 0.95):
            eta = share * l1inf_norm(Y, axis=axis)
            expected, _, mu_ref = _bisection_projection(Y, eta, axis)
            for start in starts:
                kept = start.copy()
                X, _, mu = project_l1inf_ball(Y, eta, axis=axis, return_dual=True,
                                              dual_init=start)
                np.testing.assert_array_equal(start, kept)
                np.testing.assert_allclose(X, expected, rtol=0, atol=tol * np.abs(Y).max())
                np.testing.assert_allclose(mu, mu_ref, rtol=0, atol=tol * np.abs(Y).max())


def test_warm_start_rejects_levels_that_do_not_fit():
    """dual_init of the wrong shape, negative or not finite: a ValueError naming it."""
    Y = np.ones((5, 4))
    for bad in (np.ones(5), np.ones((1, 4)), [1.0, -1.0, 0.0, 0.0], [0.0, np.nan, 0.0, 0.0],
                [np.inf] * 4, "levels"):
        with pytest.raises(ValueError, match="dual_init"):
            project_l1inf_ball(Y, 1.0, dual_init=bad)
    with pytest.raises(ValueError, match="dual_init"):
        project_l1inf_ball(Y, 1.0, axis=1, dual_init=np.ones(4))
    # Y's own faults are reported as Y's
    with pytest.raises(ValueError, match="2-D|dimension"):
        project_l1inf_ball(np.ones(4), 1.0, dual_init=np.ones(4))


@pytest.mark.cuda
def test_warm_start_on_cuda_is_checked_and_left_to_the_cpu_kernels():
    """On a CUDA tensor ``dual_init`` is checked for its shape (not copied to the
    host): the device's projection, the same as without it."""
    torch = pytest.importorskip("torch")
    Y = torch.randn(200, 300, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    _, _, mu = project_l1inf_ball(Y, 2.0, return_dual=True)
    cold = project_l1inf_ball(Y.cuda(), 2.0)
    warm = project_l1inf_ball(Y.cuda(), 2.0, dual_init=mu.cuda())
    torch.testing.assert_close(warm, cold, rtol=0, atol=0)
    with pytest.raises(ValueError, match="dual_init"):
        project_l1inf_ball(Y.cuda(), 2.0, dual_init=mu[:-1].cuda())


# ----------------------------------------------------------------- properties

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
matrices = st.tuples(st.integers(1, 8), st.integers(1, 8)).flatmap(
    lambda shape: arrays(np.float64, shape, elements=finite))


@settings(max_examples=80, deadline=None)
@given(Y=matrices, share=st.floats(0.0, 1.2), axis=st.sampled_from([0, 1]),
       seed=st.integers(0, 2 ** 31))
def test_projection_properties(Y, share, axis, seed):
    norm = l1inf_norm(Y, axis=axis)
    eta = share * norm
    X = project_l1inf_ball(Y, eta, axis=axis)
    scale = max(np.abs(Y).max(), 1.0)
    # feasible
    assert l1inf_norm(X, axis=axis) <= eta + 1e-9 * scale
    if eta >= norm:
        np.testing.assert_array_equal(X, Y)     # unchanged, bit for bit
    # idempotent
    np.testing.assert_allclose(project_l1inf_ball(X, eta, axis=axis), X, rtol=0,
                               atol=1e-9 * scale)
    # never increases a magnitude, never flips a sign
    assert np.all(np.abs(X) <= np.abs(Y)) and np.all(X * Y >= 0)
    # projection inequality <Y - P(Y), Z - P(Y)> <= 0 for feasible Z
    rng = np.random.default_rng(seed)
    for _ in range(5):
        Z = rng.standard_normal(Y.shape) * scale
        z_norm = l1inf_norm(Z, axis=axis)
        Z *= eta / z_norm * rng.uniform(0, 1) if z_norm > 0 else 0.0
        assert np.sum((Y - X) * (Z - X)) <= 1e-9 * scale ** 2 * Y.size


# ----------------------------------------------------------------- the write

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis", [0, 1])
def test_large_result_is_the_clip_by_its_levels(axis, dtype):
    """A result of 8 MiB or more in rows of 4 KiB or more (written by
    non-temporal stores; by the sampled-bracket path too on column groups where
    every group is kept) is ``clip(Y, -mu, mu)`` bit for bit, with mu in Y's
    precision; also in place and into an ``out`` whose rows start off a vector
    boundary.  Zeroed column groups keep the sign of each entry (clip at a
    zero level: +0.0 or -0.0), zeroed rows are +0.0, as the scalar write."""
    rng = np.random.default_rng(41)
    n = (8 << 20) // (256 * np.dtype(dtype).itemsize) + 3
    Y = rng.standard_normal((256, n)).astype(dtype)
    maxima = np.abs(Y).max(axis=axis)
    # (0.015: the sampled-bracket path on column groups keeps 87 % of them.)
    for share in (0.1, 0.5, 0.015, 0.003, 1e-4):
        X, _, mu = project_l1inf_ball(Y, share * maxima.sum(), axis=axis, return_dual=True)
        level = np.expand_dims(mu.astype(dtype), axis)
        expected = np.clip(Y, -level, level)
        kept = np.broadcast_to(level > 0, Y.shape)
        assert np.array_equal(X[kept].view(np.uint8), expected[kept].view(np.uint8)), share
        zero = np.copysign(np.zeros_like(Y), Y) if axis == 0 else np.zeros_like(Y)
        assert np.array_equal(X[~kept].view(np.uint8), zero[~kept].view(np.uint8))
        assert kept.all() == (share >= 0.1 or share == 0.015 and axis == 1), share
        if share < 0.1:
            continue
        buffer = np.empty(Y.size + 1, dtype=dtype)
        out = buffer[1:].reshape(Y.shape)
        project_l1inf_ball(Y, share * maxima.sum(), axis=axis, out=out)
        assert np.array_equal(out.view(np.uint8), X.view(np.uint8))
        inplace = Y.copy()
        project_l1inf_ball(inplace, share * maxima.sum(), axis=axis, out=inplace)
        assert np.array_equal(inplace.view(np.uint8), X.view(np.uint8))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis", [0, 1])
def test_result_in_cache_is_the_clip_by_its_levels(axis, dtype):
    """A result in cache (written through the caches, by the AVX2 clip where it
    runs, rows with a tail shorter than a vector) is ``clip(Y, -mu, mu)`` bit
    for bit, zeroed groups as the large result's, from a new array, into an
    ``out`` off a vector boundary and in place."""
    rng = np.random.default_rng(43)
    Y = rng.standard_normal((37, 203)).astype(dtype)
    Y[3, 5] = -0.0
    maxima = np.abs(Y).max(axis=axis)
    zeroed = set()
    for share in (0.5, 0.1, 0.01):
        eta = share * maxima.sum()
        X, _, mu = project_l1inf_ball(Y, eta, axis=axis, return_dual=True)
        level = np.expand_dims(mu.astype(dtype), axis)
        expected = np.clip(Y, -level, level)
        kept = np.broadcast_to(level > 0, Y.shape)
        # (a zeroed column keeps each entry's sign, a zeroed row is +0.0)
        zero = np.copysign(np.zeros_like(Y), Y) if axis == 0 else np.zeros_like(Y)
        expected[~kept] = zero[~kept]
        zeroed.add(not kept.all())
        assert np.array_equal(X.view(np.uint8), expected.view(np.uint8)), share
        buffer = np.empty(Y.size + 1, dtype=dtype)
        out = buffer[1:].reshape(Y.shape)
        project_l1inf_ball(Y, eta, axis=axis, out=out)
        assert np.array_equal(out.view(np.uint8), X.view(np.uint8))
        inplace = Y.copy()
        project_l1inf_ball(inplace, eta, axis=axis, out=inplace)
        assert np.array_equal(inplace.view(np.uint8), X.view(np.uint8))
    assert zeroed == {False, True}


# ----------------------------------------------------------------- sampled bracket path

@pytest.fixture
def bracket_path():
    """The sampled-bracket path on every matrix it can take (no in-cache path, no
    minimum number of groups or maximum length, no budget of events)."""
    _l1inf._set_testing(bracket=True, small_max_bytes=0, bracket_min_groups=1,
                        bracket_max_length=10 ** 6, bracket_min_kept=0.0,
                        bracket_panel_bytes=1 << 12, bracket_event_share=0.0,
                        bracket_extreme_share=0.0)
    yield
    _l1inf._set_testing()


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-9), (np.float32, 3e-6)])
def test_bracket_path_matches_reference(bracket_path, dtype, tol):
    """The sampled-bracket path against the bisection reference, also into ``out``
    and in place; it gives most of the projections of contiguous matrices."""
    rng = np.random.default_rng(41)
    taken = contiguous = 0
    for case, Y, axis, eta in _in_cache_cases(rng, 160, 20, 600):
        Y = Y.astype(dtype)
        expected, theta, _ = _bisection_projection(Y, eta, axis)
        scale = max(float(np.abs(Y).max()), 1e-300)
        X = project_l1inf_ball(Y, eta, axis=axis)
        assert X.dtype == dtype
        assert np.abs(X - expected).max() <= tol * scale, case
        if case // 2 % 3 != 2 and theta > 0:
            contiguous += 1
            taken += _l1inf._bracket_stats()[5]
        if case % 3 == 0:
            _check_out_and_in_place(Y, eta, axis, X, case)
    assert taken >= 0.5 * contiguous


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bracket_path_simd_levels_agree(dtype):
    """The sampled-bracket path gives the same bits with its passes and Newton steps
    in AVX-512, AVX2 and plain C (strips cut short by the width included)."""
    rng = np.random.default_rng(45)
    hooks = dict(bracket=True, small_max_bytes=0, bracket_min_groups=1,
                 bracket_max_length=10 ** 6, bracket_min_kept=0.0, bracket_panel_bytes=1 << 12,
                 bracket_event_share=0.0)
    taken = 0
    for case, Y, axis, eta in _in_cache_cases(rng, 24, 20, 600):
        Y = Y.astype(dtype)
        results = []
        for _ in _small_simd_levels(**hooks):
            results.append(project_l1inf_ball(Y, eta, axis=axis, return_dual=True)
                           + (_l1inf._bracket_stats()[5],))
        for X, theta, mu, by_bracket in results[1:]:
            np.testing.assert_array_equal(X, results[0][0])
            assert theta == results[0][1] and by_bracket == results[0][3]
            np.testing.assert_array_equal(mu, results[0][2])
        taken += results[0][3]
    assert taken >= 8


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bracket_path_panels_prefetched_into_l1_or_l2_give_the_same_bits(dtype):
    """The sampled-bracket path's next panel prefetched into L1 or into L2
    alone (``bracket_into_l1``, as the CPU prefers by default): the same bits,
    theta and levels."""
    rng = np.random.default_rng(47)
    hooks = dict(bracket=True, small_max_bytes=0, bracket_min_groups=1,
                 bracket_max_length=10 ** 6, bracket_min_kept=0.0, bracket_panel_bytes=1 << 12,
                 bracket_event_share=0.0)
    taken = 0
    try:
        for case, Y, axis, eta in _in_cache_cases(rng, 12, 20, 600):
            Y = Y.astype(dtype)
            results = []
            for into_l1 in (True, False):
                _l1inf._set_testing(bracket_into_l1=into_l1, **hooks)
                results.append(project_l1inf_ball(Y, eta, axis=axis, return_dual=True)
                               + (_l1inf._bracket_stats()[5],))
            (X, theta, mu, by_bracket), other = results
            np.testing.assert_array_equal(other[0], X)
            assert other[1] == theta and other[3] == by_bracket
            np.testing.assert_array_equal(other[2], mu)
            taken += by_bracket
    finally:
        _l1inf._set_testing()
    assert taken >= 4


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bracket_path_sample_copy_gives_the_same_bits(dtype):
    """The sample of the lanes layout read from its copy (``_pack_sample``) and
    in place: the same bits, theta and levels.  32771 column groups: the last
    strip, cut short, is in the sample (strip 4096 starts sampled run 1024);
    C order (the groups are columns) and F order (rows)."""
    rng = np.random.default_rng(47)
    Y = rng.standard_normal((40, 32771)).astype(dtype)
    for M, axis in ((Y, 0), (np.asfortranarray(Y.T), 1)):
        for share in (0.05, 0.5, 0.95):
            eta = share * l1inf_norm(M, axis=axis)
            results = []
            for copy in (True, False):
                _l1inf._set_testing(bracket=True, small_max_bytes=0, bracket_min_groups=1,
                                    bracket_min_kept=0.0, bracket_copy_sample=copy)
                try:
                    results.append(project_l1inf_ball(M, eta, axis=axis, return_dual=True))
                    assert _l1inf._bracket_stats()[5] == 1
                finally:
                    _l1inf._set_testing()
            (X, theta, mu), (X_in_place, theta_in_place, mu_in_place) = results
            assert X.tobytes() == X_in_place.tobytes()
            assert theta == theta_in_place
            np.testing.assert_array_equal(mu, mu_in_place)


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("blocks", [True, False])
def test_bracket_path_on_many_groups(axis, dtype, blocks):
    """Gaussian matrices of 5000 groups of 100 (the path's own regime): the
    reference's levels, theta and projection, at every radius; the projection
    is the clip at the levels returned.  float32 column groups sum by float32
    blocks of rows (``blocks``), as the in-cache path does: their levels and
    theta are then as exact as float32's sums (measured: theta within 2e-8 of
    the reference, relative, the levels within 0.3 float32 ulps of the largest
    magnitude), and within 1e-9 with the sums in double at every entry."""
    rng = np.random.default_rng(42)
    shape = (100, 5000) if axis == 0 else (5000, 100)
    Y = rng.standard_normal(shape).astype(dtype)
    by_blocks = blocks and dtype == np.float32 and axis == 0
    theta_tol = 1e-7 if by_blocks else 1e-9
    mu_tol = 2 * np.finfo(np.float32).eps * float(np.abs(Y).max()) if by_blocks else 1e-9
    _l1inf._set_testing(bracket=True, small_max_bytes=0, bracket_min_kept=0.0,
                        bracket_blocks=blocks)
    try:
        for share in (0.001, 0.05, 0.1, 0.5, 0.9, 0.999):
            eta = share * l1inf_norm(Y, axis=axis)
            X, theta, mu = project_l1inf_ball(Y, eta, axis=axis, return_dual=True)
            assert _l1inf._bracket_stats()[5] == 1
            expected, theta_ref, mu_ref = _bisection_projection(Y, eta, axis)
            np.testing.assert_allclose(X, expected, rtol=0, atol=3e-6 if dtype == np.float32
                                       else 1e-12)
            assert theta == pytest.approx(theta_ref, rel=theta_tol)
            np.testing.assert_allclose(mu, mu_ref, rtol=0, atol=mu_tol)
            levels = mu.astype(dtype)[None, :] if axis == 0 else mu.astype(dtype)[:, None]
            np.testing.assert_array_equal(X, np.sign(Y) * np.minimum(np.abs(Y), levels))
    finally:
        _l1inf._set_testing()


@pytest.mark.parametrize("axis", [0, 1])
def test_bracket_path_float32_entries_whose_blocks_overflow(bracket_path, axis):
    """Float32 entries so large that 16 of them overflow a float32 sum: the
    sampled-bracket path sums them in double at every entry rather than by
    blocks of rows, and projects them exactly."""
    rng = np.random.default_rng(49)
    big = float(np.finfo(np.float32).max) / 3
    shape = (48, 600) if axis == 0 else (600, 48)
    Y = (rng.uniform(0.2, 1.0, shape) * np.where(rng.random(shape) < 0.5, -1, 1)
         * big).astype(np.float32)
    for share in (0.1, 0.5, 0.9):
        eta = share * float(l1inf_norm(Y.astype(np.float64) / big, axis=axis)) * big
        X, theta, mu = project_l1inf_ball(Y, eta, axis=axis, return_dual=True)
        assert _l1inf._bracket_stats()[5] == 1
        assert np.isfinite(X).all()
        expected, theta_ref, mu_ref = _bisection_projection(Y.astype(np.float64) / big,
                                                            eta / big, axis)
        np.testing.assert_allclose(X.astype(np.float64) / big, expected, rtol=0, atol=3e-6)
        assert theta / big == pytest.approx(theta_ref, rel=1e-9)
        np.testing.assert_allclose(mu / big, mu_ref, rtol=0, atol=1e-9)


@pytest.mark.parametrize("seed,share", [(51, 0.1), (77, 0.1), (84, 0.5), (193, 0.5)])
def test_bracket_path_float32_blocks_settle_at_ties(seed, share):
    """Matrices on which a level lies at an entry within the rounding of the
    float32 block sums: without settling there (``bracket_ties=False``) a
    group goes back and forth between the sets with and without that entry
    and the path hands over; with it, the path gives the reference's
    projection (levels and theta as exact as float32's sums)."""
    Y = np.random.default_rng(seed).standard_normal((64, 8192)).astype(np.float32)
    eta = share * l1inf_norm(Y, axis=0)
    hooks = dict(bracket=True, small_max_bytes=0, bracket_min_groups=1, bracket_min_kept=0.0)
    try:
        _l1inf._set_testing(bracket_ties=False, **hooks)
        project_l1inf_ball(Y, eta, axis=0)
        assert _l1inf._bracket_stats()[5] == 0
        _l1inf._set_testing(**hooks)
        X, theta, mu = project_l1inf_ball(Y, eta, axis=0, return_dual=True)
        assert _l1inf._bracket_stats()[5] == 1
    finally:
        _l1inf._set_testing()
    expected, theta_ref, mu_ref = _bisection_projection(Y, eta, 0)
    scale = float(np.abs(Y).max())
    np.testing.assert_allclose(X, expected, rtol=0, atol=3e-6 * scale)
    assert theta == pytest.approx(theta_ref, rel=1e-7)
    np.testing.assert_allclose(mu, mu_ref, rtol=0, atol=2 * np.finfo(np.float32).eps * scale)
    np.testing.assert_array_equal(X, np.sign(Y) * np.minimum(np.abs(Y), mu.astype(np.float32)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bracket_path_with_a_coarse_sample(dtype):
    """65536 column groups (8192 strips): a coarse sample of one strip in 128
    starts the finer one, in the general path's arrays (``_lent_sets``); the
    reference's projection and levels."""
    rng = np.random.default_rng(53)
    Y = rng.standard_normal((20, 65536)).astype(dtype)
    tol = 1e-9 if dtype == np.float64 else 3e-6
    _l1inf._set_testing(bracket=True, small_max_bytes=0, bracket_min_kept=0.0,
                        short_groups=False)
    try:
        for share in (0.1, 0.5):
            eta = share * l1inf_norm(Y, axis=0)
            X, theta, mu = project_l1inf_ball(Y, eta, axis=0, return_dual=True)
            assert _l1inf._bracket_stats()[5] == 1
            expected, _, mu_ref = _bisection_projection(Y, eta, 0)
            np.testing.assert_allclose(X, expected, rtol=0, atol=tol * np.abs(Y).max())
            np.testing.assert_allclose(mu, mu_ref, rtol=0, atol=tol * np.abs(Y).max())
    finally:
        _l1inf._set_testing()


def test_bracket_path_hands_over_when_theta_misses(bracket_path):
    """A bracket far too narrow for the sample's error: theta^* falls outside, the
    general path takes over, the projection stays exact."""
    rng = np.random.default_rng(43)
    _l1inf._set_testing(bracket=True, small_max_bytes=0, bracket_min_groups=1,
                        bracket_max_length=10 ** 6, bracket_min_kept=0.0, bracket_sigmas=1e-6)
    handed_over = 0
    for case, Y, axis, eta in _in_cache_cases(rng, 60, 20, 600):
        expected, _, _ = _bisection_projection(Y, eta, axis)
        np.testing.assert_allclose(project_l1inf_ball(Y, eta, axis=axis), expected,
                                   rtol=0, atol=1e-9 * np.abs(Y).max())
        stats = _l1inf._bracket_stats()
        handed_over += stats[0] > 0 and stats[5] == 0
    assert handed_over > 0


@pytest.mark.parametrize("order", ["C", "F"])
def test_bracket_path_non_finite(bracket_path, order):
    """NaN and inf are reported before the path runs."""
    for axis in (0, 1):
        for bad in (np.nan, np.inf):
            Y = np.ones((40, 300), order=order)
            if axis == 1:
                Y = np.ascontiguousarray(Y.T) if order == "C" else np.asfortranarray(Y.T)
            Y[7, 11] = bad
            with pytest.raises(ValueError, match="NaN or infinity"):
                project_l1inf_ball(Y, 1.0, axis=axis)


def test_bracket_path_only_where_most_groups_are_kept():
    """By default the path hands over where its sample keeps few groups (the
    general path gathers the candidate groups faster): still exact."""
    rng = np.random.default_rng(44)
    Y = rng.standard_normal((40, 5000))
    _l1inf._set_testing(bracket=True, small_max_bytes=0)
    try:
        for share, taken in ((0.01, 0), (0.5, 1)):
            eta = share * l1inf_norm(Y)
            X = project_l1inf_ball(Y, eta)
            assert _l1inf._bracket_stats()[5] == taken
            expected, _, _ = _bisection_projection(Y, eta, 0)
            np.testing.assert_allclose(X, expected, rtol=0, atol=1e-12)
    finally:
        _l1inf._set_testing()



def _cauchy_keeping_half(seed, shape):
    """Cauchy entries (heavy tails) and the radius where bilevel_l1inf keeps half
    of the column groups, with the bisection reference's projection."""
    Y = np.random.default_rng(seed).standard_cauchy(shape)
    maxima = np.sort(np.abs(Y).max(axis=0))[::-1]
    half = Y.shape[1] // 2
    eta = float(np.sum(maxima[:half] - maxima[half]))
    return Y, eta, _bisection_projection(Y, eta, 0)[0]


@pytest.mark.parametrize("seed", [61, 62])
def test_heavy_tails_take_the_passes_where_the_bands_would_be_wide(seed):
    """Cauchy entries: the sample's fit follows the groups' extremes, and its
    bands would hold about half of the entries; the in-cache path's passes
    over the whole matrix project instead (no band gathered), exactly, with
    or without prefetching their strips, and with the share's check off the
    wide bands give the same projection."""
    Y, eta, expected = _cauchy_keeping_half(seed, (200, 3000))
    gathered, results = [], []
    for share, prefetch in ((0.1, True), (0.1, False), (0.0, True)):
        # (not the passes along the rows, which take no sample on AVX2 alone)
        _l1inf._set_testing(small_max_bytes=0, sampled_min_bytes=1 << 16,
                            sample_bytes=1 << 16, wide_band_share=share,
                            prefetch_passes=prefetch, along_rows_passes=False)
        try:
            X = project_l1inf_ball(Y, eta)
            sampled, entries = _l1inf._sampled_stats()[:2]
        finally:
            _l1inf._set_testing()
        assert sampled > 0
        gathered.append(entries)
        results.append(X)
        np.testing.assert_allclose(X, expected, rtol=0, atol=1e-12 * np.abs(Y).max())
    assert gathered[0] == gathered[1] == 0 and gathered[2] > 0.25 * Y.size
    np.testing.assert_array_equal(results[0], results[1])   # (the prefetches change no bit)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(300, 2000), (261, 1997)])
def test_passes_over_long_column_groups_prefetch_rows_ahead(dtype, shape):
    """Cauchy column groups of 256 rows or more whose predicted bands would be
    wide: the in-cache path's passes over the whole matrix read float32's
    strips along whole rows, a block of rows at a time, or each strip's rows
    while those a few rows ahead are prefetched (AVX-512), or each chunk of
    strips while the next chunk is; the same bits every way and without any
    prefetch (a short last strip, a short last block of rows), the bisection
    reference's projection."""
    Y = np.random.default_rng(66).standard_cauchy(shape).astype(dtype)
    maxima = np.sort(np.abs(Y.astype(np.float64)).max(axis=0))[::-1]
    eta = float(np.sum(maxima[:1000] - maxima[1000]))
    results = []
    for hooks in (dict(), dict(row_block_passes=False), dict(ahead_rows=0),
                  dict(prefetch_passes=False)):
        level = _l1inf._set_testing(small_max_bytes=0, sampled_min_bytes=1 << 16,
                                    sample_bytes=1 << 16, **hooks)
        # (the passes along the rows come before any band: no sample)
        unsampled = (level == 1 and hooks.get("row_block_passes", True)
                     and hooks.get("prefetch_passes", True))
        try:
            results.append(project_l1inf_ball(Y, eta))
            assert (_l1inf._sampled_stats()[0] == 0) == unsampled
            assert _l1inf._last_rounds() > 2   # (passes)
        finally:
            _l1inf._set_testing()
    for X in results[1:]:
        np.testing.assert_array_equal(X.view(np.uint8), results[0].view(np.uint8))
    tol = 1e-12 if dtype == np.float64 else 3e-6
    np.testing.assert_allclose(results[0], _bisection_projection(Y, eta, 0)[0], rtol=0,
                               atol=tol * float(np.abs(Y).max()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(40, 8301), (261, 1997), (300, 2000)])
def test_passes_along_the_rows_at_every_simd_level(small_simd, dtype, shape):
    """The in-cache path's passes over Cauchy column groups whose predicted
    bands would be wide read the strips along whole rows, a block of rows at
    a time (AVX2: float32 and float64 groups of 32 rows or more; AVX-512:
    float32 groups of 256 or more), or down each strip: the same bits either
    way (a short last strip, a short last block of rows, float32's sums by
    blocks of 16 rows across blocks of 8, more strips than AVX2 reads at
    once), each where it should run, and the bisection reference's
    projection."""
    Y = np.random.default_rng(67).standard_cauchy(shape).astype(dtype)
    maxima = np.sort(np.abs(Y.astype(np.float64)).max(axis=0))[::-1]
    eta = float(np.sum(maxima[:shape[1] // 2] - maxima[shape[1] // 2]))
    along = (small_simd == 1 and shape[0] >= 32
             or small_simd == 2 and dtype == np.float32 and shape[0] >= 256)
    results, runs = [], []
    for row_block_passes in (True, False):
        _l1inf._set_testing(small_simd=small_simd, small_max_bytes=0,
                            sampled_min_bytes=1 << 16, sample_bytes=1 << 16,
                            row_block_passes=row_block_passes)
        try:
            _l1inf._row_block_runs(reset=True)
            results.append(project_l1inf_ball(Y, eta))
            runs.append(_l1inf._row_block_runs(reset=True))
            assert _l1inf._last_rounds() > 2   # (the passes ran)
        finally:
            _l1inf._set_testing()
    assert (runs[0] > 0) == along and runs[1] == 0
    np.testing.assert_array_equal(results[0].view(np.uint8), results[1].view(np.uint8))
    tol = 1e-12 if dtype == np.float64 else 3e-6
    np.testing.assert_allclose(results[0], _bisection_projection(Y, eta, 0)[0], rtol=0,
                               atol=tol * float(np.abs(Y).max()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_passes_along_the_rows_take_the_dense_regime_first(small_simd, dtype):
    """Where the passes read column groups along the rows (AVX2 alone), a
    dense problem whose predicted bands hold a few per cent of the entries
    (Laplace entries at half the norm) takes them rather than the bands, at
    any share, so without the sample that would predict them; with the
    AVX-512 loops, float32 column groups take the sample, whose bands then
    give way to the passes (more than a thousandth of the entries), float64
    the sample and its bands; without the rule, the sample and its bands;
    row groups go as without it.  Each way the bisection reference's
    projection."""
    rng = np.random.default_rng(68)
    Y = rng.laplace(size=(300, 3000)).astype(dtype)
    hooks = dict(small_simd=small_simd, small_max_bytes=0, sampled_min_bytes=1 << 16,
                 sample_bytes=1 << 16)
    tol = 1e-12 if dtype == np.float64 else 3e-6
    for axis, Z in ((0, Y), (1, np.ascontiguousarray(Y.T))):
        eta = 0.5 * l1inf_norm(Z, axis=axis)
        expected = _bisection_projection(Z, eta, axis)[0]
        gathered = []
        for along_rows_passes in (True, False):
            _l1inf._set_testing(along_rows_passes=along_rows_passes, **hooks)
            try:
                _l1inf._row_block_runs(reset=True)
                X = project_l1inf_ball(Z, eta, axis=axis)
                sampled, entries = _l1inf._sampled_stats()[:2]
                runs = _l1inf._row_block_runs(reset=True)
            finally:
                _l1inf._set_testing()
            passes = axis == 0 and along_rows_passes and small_simd == 1
            strips_first = (axis == 0 and along_rows_passes and small_simd == 2
                            and dtype == np.float32)
            assert (sampled == 0) == passes
            if passes:
                assert entries == 0 and runs > 0
            elif strips_first:
                assert entries == 0
            elif axis == 0:
                assert 0 < entries < 0.2 * Z.size
            assert runs == 0 or axis == 0
            gathered.append(entries)
            np.testing.assert_allclose(X, expected, rtol=0, atol=tol * float(np.abs(Z).max()))
        assert axis == 0 or gathered[0] == gathered[1]


def _radius_keeping(Z, axis, share):
    """The radius where bilevel_l1inf keeps ``share`` of the groups."""
    norms = np.sort(np.abs(Z).max(axis=axis))[::-1]
    k = int(share * norms.size)
    return float(np.sum(norms[:k] - norms[k]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_long_lists_give_way_to_the_passes(dtype):
    """Lists that would hold more than _LIST_PASSES_SHARE of the matrix give
    way to the passes over the whole matrix where those are cheaper: groups
    too short for the dense regime (32 entries; Student t(3) entries at every
    radius here, Gaussian ones from a tenth of the groups kept, by columns
    and by rows) and, with AVX2 alone, Gaussian column groups of 96 rows read
    along the rows at a tenth kept (not their rows); at 1 % kept the Gaussian
    lists are short and stay; without the rule (share 0), the lists.  Out of
    cache; each way the bisection reference's projection."""
    rng = np.random.default_rng(69)
    tol = 1e-12 if dtype == np.float64 else 3e-6
    cases = []
    for name, Y in (("t3", rng.standard_t(3, size=(32, 3000))),
                    ("gaussian", rng.standard_normal((32, 3000))),
                    ("long", rng.standard_normal((96, 3000)))):
        cases += [(name, Y.astype(dtype), 0), (name, np.ascontiguousarray(Y.T, dtype), 1)]
    for name, Z, axis in cases:
        for share in (0.01, 0.1, 0.9):
            eta = _radius_keeping(Z, axis, share)
            expected = _bisection_projection(Z, eta, axis)[0]
            for rule in (0.02, 0.0):
                level = _l1inf._set_testing(small_max_bytes=0, list_passes_share=rule)
                try:
                    X = project_l1inf_ball(Z, eta, axis=axis)
                    taken = _l1inf._list_passes_taken()
                finally:
                    _l1inf._set_testing()
                if name == "long":
                    # (at 90 % kept the dense regime takes them first)
                    passes = share == 0.1 and axis == 0 and level == 1
                else:
                    passes = name == "t3" or share > 0.01
                assert taken == (passes and rule > 0), (name, axis, share, rule)
                np.testing.assert_allclose(X, expected, rtol=0,
                                           atol=tol * float(np.abs(Z).max()))


@pytest.mark.parametrize("small_simd", [2, 1, 0], ids=["avx512", "avx2", "plain"],
                         indirect=True)
def test_bracket_path_by_default_where_it_is_faster(small_simd):
    """By default the SIMD passes over the whole matrix come before the
    sampled-bracket path wherever it may take the groups and enough of them
    may be kept (half here), so it takes none; with the plain C passes it
    takes all three kinds below.  Without those passes first
    (``prefetch_passes=False``), with its pass at AVX2 alone, the path
    leaves column groups of contiguous rows (the dense regime's passes read
    them along the rows) and groups of fewer than 64 entries (the passes over
    the whole matrix); it takes row groups of 64 or more; at the other
    levels it takes all three.  ``bracket=True`` takes all three at any
    level.  Gaussian groups, out of cache, half of them kept; each way the
    bisection reference's projection."""
    rng = np.random.default_rng(70)
    cases = [(rng.standard_normal((64, 6000)), 0, "lanes"),
             (rng.standard_normal((6000, 64)), 1, "rows"),
             (rng.standard_normal((6000, 40)), 1, "short rows")]
    for Y, axis, kind in cases:
        eta = _radius_keeping(Y, axis, 0.5)
        expected = _bisection_projection(Y, eta, axis)[0]
        for bracket, passes_first in ((None, True), (None, False), (True, True)):
            _l1inf._set_testing(small_simd=small_simd, small_max_bytes=0, bracket=bracket,
                                bracket_min_kept=0.0, prefetch_passes=passes_first)
            try:
                _l1inf._bracket_stats(reset=True)
                X = project_l1inf_ball(Y, eta, axis=axis)
                taken = _l1inf._bracket_stats()[5] == 1
            finally:
                _l1inf._set_testing()
            if bracket is None and passes_first:
                left = small_simd > 0
            else:
                left = bracket is None and small_simd == 1 and kind != "rows"
            assert taken != left, (kind, bracket, passes_first)
            np.testing.assert_allclose(X, expected, rtol=0, atol=1e-12 * float(np.abs(Y).max()))


def test_in_cache_passes_settle_at_ties():
    """A float32 group whose level sits at one of its entries: the Newton step
    from the set with the entry lands within the block sums' rounding above
    it, the step from the set without it just below.  From the sixth pass
    such a group settles (``_settle_moved_ties``): one pass fewer on these
    Student t(3) matrices than without (``bracket_ties=False``, where the
    last step happens to leave the tie; on a million groups one did not,
    and the passes declined), and the bisection reference's projection
    either way."""
    for seed in (20, 83):
        Y = np.random.default_rng(seed).standard_t(3, (32, 4000)).astype(np.float32)
        eta = 0.2 * l1inf_norm(Y, axis=0)
        expected = _bisection_projection(Y, eta, 0)[0]
        passes = []
        for ties in (True, False):
            _l1inf._set_testing(bracket_ties=ties, short_groups=False)
            try:
                X = project_l1inf_ball(Y, eta, axis=0)
                passes.append(_l1inf._last_rounds())
            finally:
                _l1inf._set_testing()
            np.testing.assert_allclose(X, expected, rtol=0, atol=3e-6 * float(np.abs(Y).max()))
        assert passes[0] == passes[1] - 1 == 6


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis", [0, 1])
def test_passes_past_the_caches_stream_the_result(axis, dtype, kernel_path):
    """A heavy-tailed matrix of 8 MiB or more in long rows (its result streamed
    past the caches by write_clipped) projected by the in-cache path's passes
    (as large heavy-tailed matrices whose predicted bands would be wide are;
    the general path on the "general" run): at radii where bilevel_l1inf
    keeps half and a tenth of the groups (every group, then about a third,
    kept), the bisection reference's projection, each entry clipped at its
    group's level bit for bit (zeroed rows +0.0, zeroed columns keeping each
    entry's sign, as every write), and the same bits in place."""
    rng = np.random.default_rng(65 + axis)
    Y = rng.standard_cauchy((1000, 2100 if dtype == np.float32 else 1050)).astype(dtype)
    assert Y.nbytes >= 1 << 23 and Y.strides[0] >= 1 << 12   # (long rows: streamed)
    maxima = np.sort(np.abs(Y.astype(np.float64)).max(axis=axis))[::-1]
    tol = 1e-12 if dtype == np.float64 else 3e-6
    zero = np.copysign(np.zeros_like(Y), Y) if axis == 0 else np.zeros_like(Y)
    kept_shares = []
    _l1inf._set_testing(small=kernel_path != "general", short_groups=kernel_path == "short",
                        small_max_bytes=1 << 30)
    try:
        for share in (0.5, 0.1):
            k = int(share * maxima.size)
            eta = float(np.sum(maxima[:k] - maxima[k]))
            X, _, mu = project_l1inf_ball(Y, eta, axis=axis, return_dual=True)
            level = np.expand_dims(mu.astype(dtype), axis)
            kept = np.broadcast_to(level > 0, Y.shape)
            kept_shares.append(kept.mean())
            expected = np.clip(Y, -level, level)
            expected[~kept] = zero[~kept]
            assert np.array_equal(X.view(np.uint8), expected.view(np.uint8)), share
            np.testing.assert_allclose(X, _bisection_projection(Y, eta, axis)[0], rtol=0,
                                       atol=tol * np.abs(Y).max())
            in_place = Y.copy()
            assert project_l1inf_ball(in_place, eta, axis=axis, out=in_place) is in_place
            assert np.array_equal(in_place.view(np.uint8), X.view(np.uint8)), share
    finally:
        _l1inf._set_testing()
    assert kept_shares[0] == 1.0 and 0.1 < kept_shares[1] < 0.6


@pytest.mark.parametrize("seed", [63, 64])
def test_mostly_zero_matrices_take_the_passes_where_no_band_is_predicted(seed):
    """Word counts (1 % non-zero, tied log counts): at radii that zero many
    groups the sample's levels cannot be fitted, and the histograms' bins
    over [0, M_g] would hold the zeros (three histogram passes); the passes
    of the in-cache path project instead, exactly, as the histograms do."""
    rng = np.random.default_rng(seed)
    Y = np.where(rng.random((200, 3000)) < 0.99, 0.0,
                 np.log1p(rng.poisson(2.0, (200, 3000)) + 1.0))
    maxima = np.sort(Y.max(axis=0))[::-1]
    for share in (0.1, 0.3):
        k = int(share * Y.shape[1])
        eta = float(np.sum(maxima[:k] - maxima[k]))
        expected = _bisection_projection(Y, eta, 0)[0]
        for wide_share, histogram_passes in ((0.1, 0), (0.0, 3)):
            _l1inf._set_testing(small_max_bytes=0, sampled_min_bytes=1 << 16,
                                sample_bytes=1 << 16, wide_band_share=wide_share)
            try:
                X = project_l1inf_ball(Y, eta)
                assert _l1inf._phase_times()[1] == histogram_passes
            finally:
                _l1inf._set_testing()
            np.testing.assert_allclose(X, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed,shape", [(61, (300, 2000)), (62, (400, 1500))])
def test_heavy_tails_take_the_passes_where_no_band_is_predicted(seed, shape):
    """Cauchy row groups at a radius that zeroes most of them: the sample's
    levels cannot be fitted (too many sampled groups zeroed), and the
    histograms' ranges span the extremes (three histogram passes); the
    passes of the in-cache path project instead, exactly, as the histograms
    do where the hook sends them there."""
    Y = np.random.default_rng(seed).standard_cauchy(shape)
    maxima = np.sort(np.abs(Y).max(axis=1))[::-1]
    k = maxima.size // 10
    eta = float(np.sum(maxima[:k] - maxima[k]))
    expected = _bisection_projection(Y, eta, 1)[0]
    results = []
    for failed_fit_passes, histogram_passes in ((True, 0), (False, 3)):
        _l1inf._set_testing(small_max_bytes=0, sampled_min_bytes=1 << 16,
                            sample_bytes=1 << 16, failed_fit_passes=failed_fit_passes)
        try:
            X = project_l1inf_ball(Y, eta, axis=1)
            assert _l1inf._phase_times()[1] == histogram_passes
            assert _l1inf._sampled_stats()[0] == 0          # (no band predicted)
            assert _l1inf._last_rounds() > 2 or not failed_fit_passes   # (the passes')
        finally:
            _l1inf._set_testing()
        np.testing.assert_allclose(X, expected, rtol=0, atol=1e-12 * np.abs(Y).max())
        results.append(X)
    np.testing.assert_allclose(results[0], results[1], rtol=0, atol=1e-12 * np.abs(Y).max())


@pytest.mark.parametrize("seed", [61, 62])
def test_bracket_path_hands_over_past_its_budget_of_events(seed):
    """Cauchy entries widen the sample's bracket until most entries lie between
    each group's two sets: past its budget of events the path hands over
    and the general path projects; without the budget it runs on.  Both exact."""
    Y, eta, expected = _cauchy_keeping_half(seed, (64, 6000))
    for share, taken in ((0.05, 0), (0.0, 1)):
        _l1inf._set_testing(bracket=True, small_max_bytes=0, bracket_min_kept=0.0,
                            bracket_event_share=share, bracket_extreme_share=0.0)
        try:
            X = project_l1inf_ball(Y, eta)
            stats = _l1inf._bracket_stats()
        finally:
            _l1inf._set_testing()
        assert stats[0] > 0 and stats[5] == taken   # (sampled, then ran or handed over)
        assert taken or stats[3] == 0
        assert not taken or stats[3] > 0.05 * Y.size
        np.testing.assert_allclose(X, expected, rtol=0, atol=1e-12 * np.abs(Y).max())


def test_bracket_path_decides_on_its_events_after_a_sixteenth_of_the_groups():
    """The events of the first sixteenth of the groups decide whether the
    path hands over (``_too_many_events``): past the share of their entries
    it does, at once; under it, it is committed and hands over only past
    twice the share of all the entries; a share of 0 never hands over."""
    verdicts = _l1inf_strips._event_verdicts
    # (1600 groups of 10 entries; share 0.05: half an event a group)
    _l1inf._set_testing(bracket_event_share=0.05)
    try:
        assert verdicts([51], [50], 1600, 10) == 0              # before the sixteenth
        assert verdicts([50, 101], [50, 200], 1600, 10) == 1     # the sixteenth decides
        assert verdicts([50, 100, 1600], [50, 200, 1600], 1600, 10) == -1   # committed
        assert verdicts([50, 100, 1601], [50, 200, 1600], 1600, 10) == 2    # past twice
    finally:
        _l1inf._set_testing()
    _l1inf._set_testing(bracket_event_share=0.0)
    try:
        assert verdicts([16000], [1600], 1600, 10) == -1
    finally:
        _l1inf._set_testing()


@pytest.mark.parametrize("seed", [61, 62])
def test_bracket_path_hands_over_after_a_few_panels_on_heavy_tails(seed):
    """Student t(3) columns put 7-14 % of their entries between each group's
    two sets: the path hands over once its first panels pass the share (5 %),
    having read a small part of what it reads to the end where it may not
    hand over; both exact."""
    rng = np.random.default_rng(seed)
    Y = rng.standard_t(3, (64, 6000))
    maxima = np.sort(np.abs(Y).max(axis=0))[::-1]
    eta = float(np.sum(maxima[:3000] - maxima[3000]))      # half of the groups kept
    expected, _, _ = _bisection_projection(Y, eta, 0)
    stats = {}
    for share in (1.0, 0.05):
        _l1inf._set_testing(bracket=True, small_max_bytes=0, bracket_min_kept=0.0,
                            bracket_event_share=share, bracket_extreme_share=0.0)
        try:
            X = project_l1inf_ball(Y, eta)
            stats[share] = _l1inf._bracket_stats()
        finally:
            _l1inf._set_testing()
        np.testing.assert_allclose(X, expected, rtol=0, atol=1e-12 * np.abs(Y).max())
    assert stats[1.0][5] == 1 and stats[1.0][3] > 0.05 * Y.size
    assert stats[0.05][5] == 0
    # (the units read by the panels: the sample's are the same in both)
    assert stats[0.05][2] == stats[1.0][2]
    assert 8 * (stats[0.05][1] - stats[0.05][2]) < stats[1.0][1] - stats[1.0][2]


def test_bracket_path_declines_where_few_sums_pass_its_bracket():
    """A Cauchy sample may say most groups are kept where 0.5 % are: a group
    is zero from theta = S_g on, so where few S_g pass the bracket's lower
    end the path declines after its sample, no panel read, even at any
    share kept (``_kept_at_most``); the general path projects, exactly."""
    rng = np.random.default_rng(67)
    Y = rng.standard_cauchy((64, 6000))
    eta = 0.5 * float(np.abs(Y).max(axis=0).sum())
    expected, _, _ = _bisection_projection(Y, eta, 0)
    _l1inf._set_testing(bracket=True, small_max_bytes=0, bracket_extreme_share=0.0)
    try:
        X = project_l1inf_ball(Y, eta)
        stats = _l1inf._bracket_stats()
    finally:
        _l1inf._set_testing()
    assert stats[0] > 0 and stats[5] == 0 and stats[3] == 0    # (sampled, declined)
    assert stats[1] < 6000 // 8 // 8                # (the sample's units alone)
    np.testing.assert_allclose(X, expected, rtol=0, atol=1e-12 * np.abs(Y).max())
    assert 0 < np.mean(np.abs(X).max(axis=0) > 0) < 0.01


@pytest.mark.parametrize("draw,declines", [
    (lambda rng, shape: rng.standard_t(3, shape), True),
    (lambda rng, shape: rng.standard_cauchy(shape), True),
    (lambda rng, shape: rng.standard_t(5, shape), False),
    (lambda rng, shape: rng.standard_normal(shape), False)])
def test_bracket_path_declines_on_groups_of_extreme_maxima(draw, declines):
    """Where the groups whose max passes four times the mean max hold 2 % of
    the maxima's sum or more (Student t(3), Cauchy), the path declines
    before its sample, whose estimate those few groups would mislead; t(5)
    and Gaussian groups are sampled; with the share's check off every one
    is.  Exact either way."""
    rng = np.random.default_rng(71)
    Y = draw(rng, (64, 6000))
    maxima = np.abs(Y).max(axis=0)
    extreme = maxima > 4 * maxima.mean()
    assert (maxima[extreme].sum() >= 0.02 * maxima.sum()) == declines
    top = np.sort(maxima)[::-1]
    eta = float(np.sum(top[:3000] - top[3000]))
    expected, _, _ = _bisection_projection(Y, eta, 0)
    for share, sampled in ((0.02, not declines), (0.0, True)):
        _l1inf._set_testing(bracket=True, small_max_bytes=0, bracket_min_kept=0.0,
                            bracket_extreme_share=share)
        try:
            X = project_l1inf_ball(Y, eta)
            stats = _l1inf._bracket_stats()
        finally:
            _l1inf._set_testing()
        assert (stats[0] > 0) == sampled
        np.testing.assert_allclose(X, expected, rtol=0, atol=1e-12 * np.abs(Y).max())


def test_bracket_path_where_the_general_path_would_go_dense():
    """Where the sample keeps too few groups for the path but the general path
    would take its dense regime (histograms, many times slower on many short
    groups), the path runs at any share kept; where it declines, the dense
    regime starts from the candidates again.  Both exact."""
    rng = np.random.default_rng(45)
    Y = rng.standard_normal((64, 6000))
    norms = np.sort(np.abs(Y).max(axis=0))[::-1]
    eta = float(np.sum(norms[:600] - norms[600]))     # about half of the groups kept
    expected, _, _ = _bisection_projection(Y, eta, 0)
    for hooks, histogram_passes, taken in (
            (dict(bracket=False), 1, 0),                 # the dense regime alone
            (dict(bracket=True), 0, 1),                  # the path instead
            (dict(bracket=True, bracket_sigmas=0.0), 1, 0)):   # it declines: dense again
        # (the histograms, not the passes along the rows of AVX2 alone)
        _l1inf._set_testing(small_max_bytes=0, along_rows_passes=False, **hooks)
        try:
            X = project_l1inf_ball(Y, eta)
            assert _l1inf._phase_times()[1] >= histogram_passes
            assert (_l1inf._phase_times()[1] > 0) == bool(histogram_passes)
            assert _l1inf._bracket_stats()[5] == taken
        finally:
            _l1inf._set_testing()
        np.testing.assert_allclose(X, expected, rtol=0, atol=1e-12)


# ------------------------------------------------- dense regime: bands predicted from a sample

def _sampled_hooks(**hooks):
    """Send dense problems of any size to the sampled bands (``_sampled_bands``):
    no in-cache path for the whole matrix, a sample of a few KiB (however
    large a share of the groups), and bands gathered however narrow where
    passes along the rows would take them."""
    return dict(small_max_bytes=0, sampled_min_bytes=1, sample_bytes=1 << 13,
                sample_max_share=1.0, along_rows_passes=False, **hooks)


def _sampled_projection(Y, eta, axis, **hooks):
    """The projection with the sampled bands, and whether they were taken."""
    _l1inf._set_testing(**_sampled_hooks(**hooks))
    try:
        X = project_l1inf_ball(Y, eta, axis=axis)
        return X, _l1inf._sampled_stats()[0] > 0
    finally:
        _l1inf._set_testing()


@pytest.mark.parametrize("axis", [0, 1])
def test_dense_regime_regathers_only_the_groups_that_left_their_bands(axis):
    """Half of the sampled bands emptied (``narrow_bands``): those groups leave
    them and are gathered whole, once; the others go back to their lists as
    gathered, with their bands, and do not fail in turn.  Exact."""
    rng = np.random.default_rng(62)
    for case in range(6):
        n_long, n_groups = int(rng.integers(64, 300)), int(rng.integers(70, 260))
        Y = _layout(rng.standard_normal((n_long, n_groups) if axis == 0
                                        else (n_groups, n_long)), case)
        eta = [0.3, 0.6, 0.9][case % 3] * l1inf_norm(Y, axis=axis)
        _l1inf._set_testing(**_sampled_hooks(narrow_bands=True))
        try:
            X = project_l1inf_ball(Y, eta, axis=axis)
            sampled, _, regathered, _ = _l1inf._sampled_stats()
        finally:
            _l1inf._set_testing()
        assert sampled > 0
        assert n_groups // 2 <= regathered <= 0.6 * n_groups
        expected, _, _ = _bisection_projection(Y, eta, axis)
        np.testing.assert_allclose(X, expected, rtol=0, atol=1e-9 * np.abs(Y).max())


@pytest.mark.parametrize("shape,axis", [((300, 400), 0), ((400, 300), 1), ((256, 2000), 0)])
def test_sampled_bands_with_zeroed_sampled_groups(shape, axis):
    """A radius where some groups are zeroed (about 7 %), some of them in the
    sample: the bands are still predicted from the sample's kept groups (the
    zeroed ones left out of the fit), and the projection is exact."""
    rng = np.random.default_rng(46)
    Y = rng.standard_normal(shape)
    eta = 0.02 * l1inf_norm(Y, axis=axis)
    expected, _, levels = _bisection_projection(Y, eta, axis)
    assert 0.9 < np.mean(levels > 0) < 0.99
    X, sampled = _sampled_projection(Y, eta, axis)
    assert sampled
    np.testing.assert_allclose(X, expected, rtol=0, atol=1e-9 * np.abs(Y).max())


# Few long groups: a subsample of every group (``_subsampled_bands``) rather
# than a sample of whole groups; these hooks make matrices of a few MB take it
# (a subsample of 512 KiB, some 1700-3000 entries a group).
_SUBSAMPLE_HOOKS = dict(small_max_bytes=0, sampled_min_bytes=1, sample_bytes=1 << 19,
                        along_rows_passes=False, wide_band_share=0.5)

_LONG_GROUP_DRAWS = {
    "normal": lambda rng, shape: rng.standard_normal(shape),
    "laplace": lambda rng, shape: rng.laplace(size=shape),
    "t3": lambda rng, shape: rng.standard_t(3, size=shape),
}


def _subsampled_projection(Y, eta, axis, **hooks):
    """The projection through the subsampled bands, and the dense regime's
    stats (``_sampled_stats``)."""
    _l1inf._set_testing(**_SUBSAMPLE_HOOKS, **hooks)
    try:
        return project_l1inf_ball(Y, eta, axis=axis), _l1inf._sampled_stats()
    finally:
        _l1inf._set_testing()


@pytest.mark.parametrize("draw", sorted(_LONG_GROUP_DRAWS))
@pytest.mark.parametrize("shape,axis,dtype", [((24, 30000), 1, np.float64),
                                              ((24, 30000), 1, np.float32),
                                              ((30000, 24), 0, np.float64)])
def test_subsampled_bands_are_exact(shape, axis, dtype, draw):
    """Few long groups (24 of 30000 entries) where most are kept: every group
    subsampled (the stats count all of them), its band around the level
    corrected by the norm's control variate, and the projection exact,
    at the radii of the dense regime; row groups also through a strided
    view."""
    rng = np.random.default_rng(63)
    Y = _LONG_GROUP_DRAWS[draw](rng, shape).astype(dtype)
    tol = 1e-9 if dtype == np.float64 else 3e-6
    for case, share in enumerate([0.02, 0.05, 0.2 if draw == "normal" else 0.05]):
        view = _layout(Y, 2) if axis == 1 and case == 1 else Y
        eta = share * l1inf_norm(Y, axis=axis)
        X, (sampled, _, _, _) = _subsampled_projection(view, eta, axis)
        expected, _, _ = _bisection_projection(Y, eta, axis)
        assert sampled == 24
        np.testing.assert_allclose(X, expected, rtol=0, atol=tol * np.abs(Y).max())


def test_subsampled_bands_hold_the_levels_of_groups_with_outliers():
    """Every other group of 40 holds an outlier of 1000 (a Gaussian bulk)
    where the subsample holds it too: the subsample's h_g then errs by some
    (n / m - 1) 1000 and those levels by about half a unit, far outside
    bands of a few standard errors; the control variate on the group's
    exact norm moves each level back (its slope on the norm's error taken
    over the whole subsample), so that every band holds its level and none
    is gathered again.  (An outlier the subsample misses is not seen: its
    group's band misses, and the check gathers it whole.)"""
    rng = np.random.default_rng(64)
    Y = rng.standard_normal((40, 30000))
    Y[0::2, 0] = 1000.0     # (in the subsample's first run)
    eta = 0.001 * l1inf_norm(Y, axis=1)
    X, (sampled, gathered, regathered, _) = _subsampled_projection(Y, eta, 1)
    expected, _, _ = _bisection_projection(Y, eta, 1)
    assert sampled == 40 and gathered > 0
    assert regathered == 0
    np.testing.assert_allclose(X, expected, rtol=0, atol=1e-9 * np.abs(Y).max())


def test_subsampled_bands_regather_the_groups_that_left_them():
    """Half of the subsampled bands emptied (``narrow_bands``): those groups
    are gathered whole, and the projection is exact."""
    rng = np.random.default_rng(65)
    Y = rng.standard_normal((24, 30000))
    eta = 0.3 * l1inf_norm(Y, axis=1)
    X, (sampled, _, regathered, _) = _subsampled_projection(Y, eta, 1, narrow_bands=True)
    expected, _, _ = _bisection_projection(Y, eta, 1)
    assert sampled == 24
    assert 12 <= regathered <= 14
    np.testing.assert_allclose(X, expected, rtol=0, atol=1e-9 * np.abs(Y).max())


def test_subsampled_bands_give_way_to_a_sample_of_whole_groups():
    """``subsampled=False``, float32 column groups (read along the rows, which
    the passes take faster), groups too short for the subsample's length, or
    levels with too few entries above them in the subsample: no subsample
    (fewer groups sampled, or none), the same projection."""
    rng = np.random.default_rng(66)
    cases = [(rng.standard_normal((24, 30000)), 1, 0.3, dict(subsampled=False)),
             (rng.standard_normal((30000, 24)).astype(np.float32), 0, 0.3, {}),
             (rng.standard_normal((400, 3000)), 1, 0.3, {}),
             (rng.laplace(size=(24, 30000)), 1, 0.9, {})]
    for Y, axis, share, hooks in cases:
        eta = share * l1inf_norm(Y, axis=axis)
        X, (sampled, _, _, _) = _subsampled_projection(Y, eta, axis, **hooks)
        expected, _, _ = _bisection_projection(Y, eta, axis)
        assert sampled < Y.shape[1 - axis]
        tol = 1e-9 if Y.dtype == np.float64 else 3e-6
        np.testing.assert_allclose(X, expected, rtol=0, atol=tol * np.abs(Y).max())


def _phase_clocked_projection(Y, eta, axis):
    """The projection, the seconds of each of its phases and its histogram
    passes (``_l1inf._phase_times``): which way it went."""
    _l1inf._time_phases(True)
    try:
        X = project_l1inf_ball(Y, eta, axis=axis)
        seconds, passes = _l1inf._phase_times()
    finally:
        _l1inf._time_phases(False)
    return X, seconds, passes


@pytest.mark.parametrize("length,n_groups,dtype", [(64, 40000, np.float32),
                                                   (64, 20000, np.float64),
                                                   (256, 10000, np.float32)])
@pytest.mark.parametrize("axis", [0, 1])
def test_short_groups_take_the_passes_before_the_sampled_bracket(axis, length, n_groups, dtype,
                                                                 kernel_path):
    """Many short groups (columns or rows; float32 or float64, of up to 256
    entries) past the in-cache path's size: with the AVX-512 passes, and on
    rows with AVX2 alone too, where at least 30 % of the groups may be kept,
    the passes over the matrix answer (no gather, no histograms), not the
    sampled-bracket path; where fewer may be, the general path's gather.
    Exact either way."""
    level = _l1inf._set_testing(small=kernel_path != "general",
                                short_groups=kernel_path == "short")
    rng = np.random.default_rng(89)
    Y = rng.standard_normal((length, n_groups)).astype(dtype)     # (10 MB)
    if axis == 1:
        Y = np.ascontiguousarray(Y.T)
    maxima = np.sort(np.abs(Y).max(axis=axis))[::-1]
    few = n_groups // 100
    radii = [(maxima[:few].sum() - few * maxima[few], False),     # (1 % of the maxima)
             (0.5 * maxima.sum(), True), (0.1 * maxima.sum(), True)]
    for eta, passes in radii:
        X, seconds, _ = _phase_clocked_projection(Y, eta, axis)
        if (level == 2 or level == 1 and axis == 1) and kernel_path != "general":
            assert (seconds[1] == 0.0 and seconds[2] == 0.0) == passes, eta
        expected, _, _ = _bisection_projection(Y.astype(np.float64), eta, axis)
        tol = 3e-6 if dtype == np.float32 else 1e-9
        np.testing.assert_allclose(X, expected, rtol=0, atol=tol * np.abs(Y).max())


@pytest.mark.parametrize("avx512", [True, False], ids=["avx512", "avx2"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("length", [17, 40, 100, 255])
def test_row_groups_written_as_their_clip_bit_for_bit(dtype, length, avx512, kernel_path):
    """Row groups of 17 to 255 entries lying one after the other, many of them
    zeroed at random among the kept ones (the general path writes them as one
    flat run of vectors with AVX-512 or AVX2, ``skp_write_rows_flat_*``):
    every entry is its group's clip, bit for bit, and a zeroed group +0."""
    rng = np.random.default_rng(length)
    Y = rng.standard_normal((3000, length)).astype(dtype)
    Y[rng.random(3000) < 0.3] *= 0.2
    maxima = np.sort(np.abs(Y).max(axis=1))[::-1]
    # (the fixture's hooks again, with the AVX-512 loops or the AVX2 ones)
    _l1inf._set_testing(small=kernel_path != "general", short_groups=kernel_path == "short",
                        avx512=avx512)
    for kept in (30, 300, 1500):
        eta = maxima[:kept].sum() - kept * maxima[kept]
        X, _, mu = project_l1inf_ball(Y, eta, axis=1, return_dual=True)
        levels = mu.astype(dtype)[:, None]
        expected = np.where(levels > 0, np.minimum(levels, np.maximum(-levels, Y)), 0)
        assert 0 < np.mean(mu == 0) < 1
        np.testing.assert_array_equal(bits(X), bits(expected.astype(dtype)))


def test_row_group_passes_out_of_cache_same_bits_with_their_prefetch(kernel_path):
    """The passes over row groups of a matrix out of cache (the groups layout)
    prefetch their list's groups ahead: the same projection, levels and
    theta, to the bit, as without, and exact; the passes answer (no gather,
    no histograms) where the CPU has AVX2 or AVX-512F."""
    from skproj.projections import _l1inf_strips

    # (the fixture's hooks again, for the level the passes run at)
    level = _l1inf._set_testing(small=kernel_path != "general",
                                short_groups=kernel_path == "short")
    rng = np.random.default_rng(97)
    Y = rng.standard_normal((21000, 100)).astype(np.float32)     # (8.4 MB)
    eta = 0.5 * l1inf_norm(Y, axis=1)
    results = []
    for bytes_ahead in (8192, 0):
        _l1inf_strips._set_groups_ahead(bytes_ahead)
        try:
            X, seconds, _ = _phase_clocked_projection(Y, eta, 1)
            results.append((X,) + project_l1inf_ball(Y, eta, axis=1, return_dual=True)[1:])
        finally:
            _l1inf_strips._set_groups_ahead()
        if level >= 1 and kernel_path != "general":
            assert seconds[1] == 0.0 and seconds[2] == 0.0
    (X, theta, mu), (X0, theta0, mu0) = results
    np.testing.assert_array_equal(bits(X), bits(X0))
    np.testing.assert_array_equal(bits(mu), bits(mu0))
    assert theta == theta0
    expected, _, _ = _bisection_projection(Y.astype(np.float64), eta, 1)
    np.testing.assert_allclose(X, expected, rtol=0, atol=3e-6 * np.abs(Y).max())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("simd, avx512", [(True, True), (True, False), (False, False)])
def test_row_group_passes_out_of_cache_gather_lists(dtype, simd, avx512):
    """Student t(3) row groups whose passes run over the matrix out of cache
    (every band too wide): from the second pass on a group read from the
    matrix gathers its magnitudes above a share of its level, and the later
    passes read its list while its level stays above that floor; a group
    that a Newton step zeroes is not read again (rows of scales from 0.02 to
    1).  At every share (the floor at the level itself, where a level that
    falls reads the row again; a share so low that the lists would hold most
    of a row, which then keeps none), with room for few lists, and with the
    lists off: the bisection reference's projection, and the lists read
    where they were gathered."""
    from skproj.projections import _l1inf_strips

    rng = np.random.default_rng(71)
    Y = rng.standard_t(3, (120, 1200)).astype(dtype)
    scaled = (Y * np.geomspace(0.02, 1, 120)[:, None]).astype(dtype)
    maxima = np.sort(np.abs(Y).max(axis=1))[::-1]
    cases = [(Y, maxima[:kept].sum() - kept * maxima[kept]) for kept in (12, 60, 108)]
    cases += [(Y, 0.5 * maxima.sum())]
    cases += [(scaled, share * np.abs(scaled).max(axis=1).sum()) for share in (0.05, 0.2)]
    settings = [(True, 0.7, 8), (True, 1.0, 8), (True, 0.01, 8), (True, 0.7, 400),
                (False, 0.7, 8)]
    stats, zeroed = [], []
    for Z, eta in cases:
        expected, _, _ = _bisection_projection(Z.astype(np.float64), eta, 1)
        tolerance = (3e-6 if dtype == np.float32 else 1e-12) * np.abs(Z).max()
        for on, share, divisor in settings:
            _l1inf._set_testing(small_max_bytes=0, sampled_min_bytes=1 << 16,
                                sample_bytes=1 << 16, wide_band_share=1e-9, simd=simd,
                                avx512=avx512)
            _l1inf_strips._set_gathered_passes(on, share, min_length=1024, divisor=divisor)
            _l1inf_strips._gathered_stats(reset=True)
            try:
                X, _, mu = project_l1inf_ball(Z, eta, axis=1, return_dual=True)
                stats.append(_l1inf_strips._gathered_stats(reset=True))
            finally:
                _l1inf._set_testing()
                _l1inf_strips._set_gathered_passes()
            np.testing.assert_allclose(X, expected, rtol=0, atol=tolerance)
            levels = mu.astype(dtype)[:, None]
            np.testing.assert_array_equal(
                bits(X), bits(np.where(levels > 0, np.clip(Z, -levels, levels), 0).astype(dtype)))
        zeroed.append(np.sum(mu == 0))
    stats = np.array(stats).reshape(len(cases), len(settings), 4)
    assert np.all(stats[:, -1] == 0)                    # (off: no list)
    assert np.all(stats[:, 0, 0] > 0) and stats[:, 0, 1].sum() > 0   # gathered, then read
    assert stats[:, 1, 0].max() > Y.shape[0]          # levels below their floors: rows again
    assert stats[:, 2, 1].sum() == 0                    # lists of most of a row: none kept
    assert stats[:, 3, 3].sum() > stats[:, 0, 3].sum()  # little room: rows read instead
    assert min(zeroed[-2:]) > 0 and np.all(stats[-2:, 0, 2] > 0)   # zeroed, not read again


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_few_long_column_groups_keep_less_work_memory_than_the_matrix(dtype, kernel_path):
    """Few long column groups (100 of 30000 rows, 12-24 MB, large enough
    for a sample): the sample would be 64 of the 100 groups, so it is not
    taken.  Float32 takes the in-cache path's passes over the matrix
    instead (with AVX2 alone float64 too), float64 the bands from a
    subsample of every group (``_subsampled_bands``), and float32 on the
    general path the bands from the histograms, whose gather makes room a
    chunk of rows at a time, not for every entry of a panel.  Exact, and
    the work memory kept after the call (``release_work_memory``) is under
    the matrix's size (1.5-2.5 times it before, up to the cache's 64 MiB:
    on 100000 rows, every call page-faulted on what the cache could not
    keep)."""
    # (the fixture's hooks again, for the level the passes run at)
    level = _l1inf._set_testing(small=kernel_path != "general",
                                short_groups=kernel_path == "short")
    # Float32 takes the in-cache path's passes; with AVX2 alone (level 1)
    # float64 too, column groups of 32 rows or more being read along the
    # rows, where the passes come before any band (passes_before_any_band).
    takes_passes = (kernel_path != "general" and level > 0
                    and (dtype == np.float32 or level == 1))
    subsampled = not takes_passes and dtype == np.float64
    rng = np.random.default_rng(83)
    Y = rng.standard_normal((30000, 100)).astype(dtype)
    for share in (0.1, 0.5):
        eta = share * l1inf_norm(Y, axis=0)
        release_work_memory()
        X, _, histogram_passes = _phase_clocked_projection(Y, eta, 0)
        assert release_work_memory() < Y.nbytes
        # (every group subsampled, or no sample)
        assert _l1inf._sampled_stats()[0] == (100 if subsampled else 0)
        assert (histogram_passes > 0) == (not takes_passes and not subsampled)
        expected, _, _ = _bisection_projection(Y.astype(np.float64), eta, 0)
        np.testing.assert_allclose(X, expected, rtol=0,
                                   atol=(1e-9 if dtype == np.float64 else 3e-6) * np.abs(Y).max())


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-9), (np.float32, 3e-6)])
def test_dense_regime_sampled_bands_match_reference(axis, dtype, tol):
    """Every layout and kind of data, bands of the fit's width, bands far too
    narrow (``sample_sigmas``) and half of them emptied (``narrow_bands``):
    the groups whose level leaves its band are gathered whole, exactly."""
    rng = np.random.default_rng(61)
    draws = [rng.standard_normal, rng.standard_cauchy, rng.random,
             lambda shape: rng.integers(-3, 4, size=shape).astype(float)]
    taken = 0
    for case in range(30):
        n_long, n_groups = int(rng.integers(64, 300)), int(rng.integers(70, 260))
        shape = (n_long, n_groups) if axis == 0 else (n_groups, n_long)
        Y = draws[case % 4](shape)
        if case % 7 == 3:     # groups of very different scales
            Y = Y * (10.0 ** rng.uniform(-2, 2, size=n_groups))[
                None if axis == 0 else slice(None), slice(None) if axis == 0 else None]
        Y = _layout(Y.astype(dtype), case)
        eta = [0.05, 0.3, 0.6, 0.9, 0.999][case % 5] * l1inf_norm(Y, axis=axis)
        hooks = [{}, dict(sample_sigmas=1e-3), dict(narrow_bands=True)][case % 3]
        X, sampled = _sampled_projection(Y, eta, axis, **hooks)
        taken += sampled
        expected, _, _ = _bisection_projection(Y.astype(np.float64), eta, axis)
        np.testing.assert_allclose(X, expected, rtol=0, atol=tol * np.abs(Y).max())
    assert taken >= 10


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("zero_columns", [False, True])
def test_dense_regime_sample_is_the_same_from_any_layout(dtype, zero_columns):
    """The sample of column groups is copied a block of adjacent columns at a
    time where the rows are contiguous, one entry at a time otherwise
    (strided rows, or columns dropped before the sample leaving gaps in a
    block).  A wrong sample only widens the bands (the solve repairs any
    level outside its band), so check what it predicts: the same bands from
    either copy, and narrow ones on Gaussian data."""
    rng = np.random.default_rng(65)
    Y = rng.standard_normal((200, 2000)).astype(dtype)
    if zero_columns:
        Y[:, 3::7] = 0.0
    eta = 0.3 * l1inf_norm(Y, axis=0)
    strided = np.repeat(Y, 2, axis=1)[:, ::2]
    hooks = dict(small_max_bytes=0, sampled_min_bytes=1, sample_bytes=1 << 16,
                 along_rows_passes=False)
    stats = []
    for matrix in (Y, strided):
        _l1inf._set_testing(**hooks)
        try:
            X = project_l1inf_ball(matrix, eta, axis=0)
            stats.append(_l1inf._sampled_stats())
        finally:
            _l1inf._set_testing()
        expected, _, _ = _bisection_projection(Y.astype(np.float64), eta, 0)
        np.testing.assert_allclose(X, expected, rtol=0, atol=3e-6 * np.abs(Y).max())
    (sampled, entries, regathered, _), strided_stats = stats
    assert sampled >= 64 and regathered <= 0.01 * Y.shape[1]
    assert stats[0][:3] == strided_stats[:3]
    assert entries < 0.2 * Y.size


@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-9), (np.float32, 3e-6)])
def test_dense_regime_histogram_bands_repair_gathers_every_band_again(axis, dtype, tol):
    """Histogram bands emptied for half of the groups (``narrow_bands``): the
    solve on the wrong model raises bounds and drops entries of the *other*
    groups too, so every band is gathered again, the failed groups whole, and
    the solve starts over (``solve_on_bands``, as for predicted bands).  (A
    band cut to one bin still holds its level about half of the time.)"""
    rng = np.random.default_rng(63)
    repaired = 0
    for case in range(16):
        n_long, n_groups = int(rng.integers(64, 260)), int(rng.integers(40, 300))
        shape = (n_long, n_groups) if axis == 0 else (n_groups, n_long)
        Y = [rng.standard_normal, rng.standard_cauchy, rng.random][case % 3](shape)
        Y = _layout(Y.astype(dtype), case)
        eta = [0.1, 0.5, 0.9, 0.99][case % 4] * l1inf_norm(Y, axis=axis)
        _l1inf._set_testing(force_dense=True, narrow_bands=True, sampled_min_bytes=0)
        try:
            X = project_l1inf_ball(Y, eta, axis=axis)
            repaired += _l1inf._sampled_stats()[2] > 0
        finally:
            _l1inf._set_testing()
        expected, _, _ = _bisection_projection(Y.astype(np.float64), eta, axis)
        np.testing.assert_allclose(X, expected, rtol=0, atol=tol * np.abs(Y).max())
    assert repaired >= 5


@pytest.mark.parametrize("axis", [1, 0], ids=["rows", "columns"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_candidate_gather_simd_matches_cython_loop(dtype, axis):
    """The candidate gather of contiguous rows, and of the column groups of
    contiguous rows (by column panels): the range gather's compress loops
    (AVX-512, AVX2) and the Cython loops gather the same lists in the same
    order, so the projections have the same bits (rows not multiples of 8
    long, panels cut short)."""
    rng = np.random.default_rng(64 if axis == 1 else 65)
    for case in range(8):
        shape = (int(rng.integers(40, 120)), int(rng.integers(1500, 2600)))
        Y = rng.standard_normal(shape).astype(dtype)
        norms = np.sort(np.abs(Y).max(axis=axis))[::-1]
        k = max(1, int([0.01, 0.05, 0.1, 0.2][case % 4] * shape[1 - axis]))
        eta = float(np.sum(norms[:k] - norms[k]))
        results = []
        for simd, avx512 in ((True, True), (True, False), (False, False)):
            _l1inf._set_testing(small=False, bracket=False, simd=simd, avx512=avx512)
            try:
                results.append(project_l1inf_ball(Y, eta, axis=axis, return_dual=True))
            finally:
                _l1inf._set_testing()
        for X, theta, mu in results[1:]:
            np.testing.assert_array_equal(X, results[0][0])
            assert theta == results[0][1]
            np.testing.assert_array_equal(mu, results[0][2])
        expected, _, _ = _bisection_projection(Y.astype(np.float64), eta, axis)
        tol = 1e-9 if dtype == np.float64 else 3e-6
        np.testing.assert_allclose(results[0][0], expected, rtol=0, atol=tol * np.abs(Y).max())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_dense_regime_sampled_bands_simd_match_cython_loop(dtype):
    """The AVX-512, AVX2 and Cython range gathers give the same bits (group
    lengths and row widths not multiples of 8: the vector loops' tails)."""
    rng = np.random.default_rng(62)
    for case in range(12):
        axis = case % 2
        shape = (int(rng.integers(65, 203)), int(rng.integers(1100, 1300)))
        shape = shape if axis == 0 else shape[::-1]
        Y = _layout(rng.standard_normal(shape).astype(dtype), case // 2)
        eta = [0.1, 0.5, 0.9][case % 3] * l1inf_norm(Y, axis=axis)
        results = []
        for simd, avx512 in ((True, True), (True, False), (False, False)):
            X, sampled = _sampled_projection(Y, eta, axis, simd=simd, avx512=avx512)
            assert sampled
            results.append(X)
        np.testing.assert_array_equal(results[0], results[1])
        np.testing.assert_array_equal(results[1], results[2])
        expected, _, _ = _bisection_projection(Y.astype(np.float64), eta, axis)
        np.testing.assert_allclose(results[0], expected, rtol=0,
                                   atol=(1e-9 if dtype == np.float64 else 3e-6) * np.abs(Y).max())


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-9), (np.float32, 3e-6)])
@pytest.mark.parametrize("shape", [(256, 1), (257, 3), (3001, 5), (20000, 8), (100003, 3)])
def test_narrow_column_groups_are_projected_as_rows(dtype, tol, shape):
    """Column groups of at most 8 columns (float64 in cache: 6), rows one
    after the other, 256 rows or more: copied into rows and projected there
    (``_narrow_project``), then the columns clipped at the rows' levels.  The
    bisection's projection and levels; the columns' own paths within the
    rounding, signs and zeroed columns alike (a zeroed column keeps each
    entry's sign); a radius outside the norm gives ``Y``'s bits; the same
    bits into ``out`` at an offset, in place and strided; NaN raises with
    ``out`` untouched."""
    n_rows, n_cols = shape
    Y = narrow_matrix(np.random.default_rng(shape[0] + shape[1]), shape, dtype)
    norm = l1inf_norm(Y, axis=0)
    scale = float(np.abs(Y).max())
    for fraction in (0.05, 0.5, 0.95, 1.5):
        eta = fraction * norm
        X, theta = project_l1inf_ball(Y, eta, axis=0, return_dual=True)[:2]
        expected, expected_theta, _ = _bisection_projection(Y, eta, 0)
        np.testing.assert_allclose(X, expected, rtol=0, atol=tol * scale, err_msg=str(fraction))
        try:
            _l1inf._set_narrow_columns(0)
            columns = project_l1inf_ball(Y, eta, axis=0)
        finally:
            _l1inf._set_narrow_columns()
        np.testing.assert_allclose(X, columns, rtol=0, atol=tol * scale)
        np.testing.assert_array_equal(np.signbit(X), np.signbit(columns))
        if fraction > 1:
            np.testing.assert_array_equal(bits(X), bits(Y))
            continue
        assert theta == pytest.approx(expected_theta, rel=100 * tol)
        out = at_offset(np.full_like(Y, np.nan), 3 * Y.itemsize)
        project_l1inf_ball(Y, eta, axis=0, out=out)
        inplace = Y.copy()
        project_l1inf_ball(inplace, eta, axis=0, out=inplace)
        strided = np.full((n_rows, 2 * n_cols), np.nan, dtype)[:, ::2]
        project_l1inf_ball(Y, eta, axis=0, out=strided)
        for got in (out, inplace, strided):
            np.testing.assert_array_equal(bits(got), bits(X), err_msg=str(fraction))
    Y[n_rows // 2, n_cols - 1] = np.nan
    out = np.full_like(Y, 7.0)
    with pytest.raises(ValueError):
        project_l1inf_ball(Y, 0.5 * norm, axis=0, out=out)
    assert (out == 7.0).all()
