"""Large arrays projected in two halves, on one thread or two.

The bi-level projections find the groups' norms, then write (``bilevel_l11``:
project) the groups, of a matrix of 16 MiB or more (512 column groups or 32
row groups at least, ``group_split``) in two halves of its groups
(``_bilevel.pyx``, ``_halves``); the exact l1,inf ball its sums and maxima,
its write, and its passes over the listed groups (``_l1inf.pyx``,
``_l1inf_strips.pyx``); the l1 ball and the simplex read (the scan) and
write an array of 16 MiB or more in two halves of its rows, or of its one
row's values (``_l1.pyx``, ``_halves``).  The second half runs on a thread
of its own where two CPUs are free (``run_halves``).  The halves compute
the same whether one thread runs them or two: the same bits either way, and
the references' result (the sort, or the exact ball's optimality
conditions).
"""

import os

import numpy as np
import pytest

from skproj.projections import (
    _l1, bilevel_l11, bilevel_l12, bilevel_l1inf, group_norms, l1inf_norm, project_l1_ball,
    project_l1inf_ball, project_simplex,
)
from skproj.projections._cpu import kernel_threads

import references
from addresses import bits

# (16 MiB: the least matrix in halves)
SHAPES = {np.float32: (1024, 4096), np.float64: (512, 4096)}
TOLERANCE = {np.float32: 2e-5, np.float64: 1e-12}


@pytest.fixture
def threads():
    """``set(n)``: the halves on n threads (the one setting of every kernel, in
    ``_l1``); the setting before the test again after it."""
    previous = _l1._set_threads(1)
    yield _l1._set_threads
    _l1._set_threads(previous)


@pytest.fixture
def halves_from():
    """``set(n_bytes)``: the l1 ball and the simplex take arrays of ``n_bytes``
    or more in halves (small arrays, for the tests' speed); 16 MiB again after."""
    previous = _l1._set_halves_bytes()
    yield _l1._set_halves_bytes
    _l1._set_halves_bytes(previous)


def _large(dtype, rng, transpose=False):
    """A 16 MiB matrix whose groups (columns, or rows with ``transpose``) vary in scale,
    with a zero group, a flat one and one of few levels in each half."""
    n_groups, length = SHAPES[dtype][::-1]
    G = rng.standard_normal((length, n_groups)) * np.exp(rng.standard_normal(n_groups))
    for at in (5, n_groups - 7):
        G[:, at] = 0.0
        G[:, at + 1] = rng.choice([-1.0, 1.0], size=length)
        G[:, at + 2] = rng.choice([-2.0, 0.0, 1.0, 3.0], size=length)
    return np.ascontiguousarray(G.T if transpose else G, dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis", [0, 1])
def test_halves_same_bits_on_one_thread_or_two(threads, dtype, axis, rng):
    _check_threads(threads, _large(dtype, rng, transpose=axis == 1), axis, (0.01, 0.3, 0.9))


def _check_threads(threads, Y, axis, fractions):
    """``bilevel_l11`` of ``Y`` at ``fractions`` of its norm: the same bits on one
    thread and on two, and the sort's projection."""
    norm = references.group_norm(Y, "l1", axis)
    for fraction in fractions:
        results = []
        for n in (1, 2):
            threads(n)
            results.append(bilevel_l11(Y, fraction * norm, axis=axis))
        np.testing.assert_array_equal(bits(results[1]), bits(results[0]), err_msg=str(fraction))
        np.testing.assert_allclose(results[1], references.bilevel(Y, fraction * norm, "l1", axis),
                                   rtol=0, atol=TOLERANCE[Y.dtype.type] * float(np.abs(Y).max()),
                                   err_msg=str(fraction))


@pytest.mark.parametrize("dtype,shape", [(np.float32, (100, 41944)), (np.float64, (33, 63600))])
def test_halves_of_few_long_rows(threads, dtype, shape, rng):
    # Row groups are halved from 32 rows on (blocks of whole rows), long
    # rows of different scales and an odd split (48 of 100, 16 of 33).
    Y = (rng.standard_normal(shape) * np.exp(rng.standard_normal((shape[0], 1)))).astype(dtype)
    Y[3] = 0.0
    _check_threads(threads, Y, 1, (0.05, 0.5, 0.95))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_halves_of_strided_views_and_their_norms(threads, dtype, rng):
    # Views whose groups run backwards (negative strides) or whose rows lie
    # apart: each half's block starts at its own first group; the l1 norms
    # (in halves too) are the sort-free sums, the same as the whole's.
    threads(2)
    Y = _large(dtype, rng)
    for Z, axis in ((Y[:, ::-1], 0), (Y[::-1], 0), (Y.T[::-1], 1)):
        norms = group_norms(Z, "l1", axis=axis)
        np.testing.assert_allclose(norms, np.abs(Z.astype(float)).sum(axis=axis),
                                   rtol=1e-6 if dtype == np.float32 else 1e-13)
        norm = float(norms.sum())
        expected = references.bilevel(Z, 0.4 * norm, "l1", axis)
        np.testing.assert_allclose(bilevel_l11(Z, 0.4 * norm, axis=axis), expected, rtol=0,
                                   atol=TOLERANCE[dtype] * float(np.abs(Y).max()))


def test_which_matrices_are_halved():
    # 16 MiB, and 512 column groups or 32 row groups at least; the second
    # half starts at a multiple of 16 groups (a line of float32 columns),
    # half the groups rounded down.
    from skproj.projections import _bilevel

    def split(shape, dtype, groups_are_rows):
        return _bilevel._split_point(np.empty(shape, dtype), groups_are_rows)

    assert split((1024, 4096), np.float32, False) == 2048
    assert split((1024, 4096), np.float32, True) == 512
    assert split((1023, 4096), np.float32, False) == 0          # under 16 MiB
    assert split((8192, 511), np.float32, False) == 0           # 511 groups
    assert split((8192, 512), np.float32, False) == 256
    assert split((8192, 1000), np.float32, False) == 496
    assert split((512, 4096), np.float64, False) == 2048
    assert split((40000, 100), np.float64, True) == 20000
    assert split((40000, 100), np.float64, False) == 0          # 100 column groups
    assert split((100, 41944), np.float32, True) == 48
    assert split((31, 140000), np.float32, True) == 0           # 31 row groups


@pytest.mark.parametrize("half", [0, 1])
def test_halves_refuse_a_nan_before_writing(threads, half, rng):
    # Both halves' norms are found before either half writes: a NaN in
    # either leaves ``out`` as it was.
    threads(2)
    Y = _large(np.float32, rng)
    Y[7, 100 if half == 0 else Y.shape[1] - 100] = np.nan
    out = np.full_like(Y, 5.0)
    with pytest.raises(ValueError, match="NaN or infinity"):
        bilevel_l11(Y, 1.0, axis=0, out=out)
    assert (out == 5.0).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis", [0, 1])
@pytest.mark.parametrize("project,inner", [(bilevel_l1inf, "linf"), (bilevel_l12, "l2")])
def test_clip_and_scale_halves_same_bits_on_one_thread_or_two(threads, project, inner, dtype,
                                                             axis, rng):
    # bilevel_l1inf's and bilevel_l12's norms and writes in halves.
    Y = _large(dtype, rng, transpose=axis == 1)
    from skproj.projections import _bilevel
    assert _bilevel._split_point(Y, axis == 1) > 0
    norms = references.group_norm(Y, inner, axis)
    for fraction in (0.02, 0.4, 0.9):
        eta = fraction * float(norms.sum())
        results = []
        for n in (1, 2):
            threads(n)
            results.append(project(Y, eta, axis=axis))
        np.testing.assert_array_equal(bits(results[1]), bits(results[0]), err_msg=str(fraction))
        np.testing.assert_allclose(results[0], references.bilevel(Y, eta, inner, axis), rtol=0,
                                   atol=TOLERANCE[dtype] * float(np.abs(Y).max()),
                                   err_msg=str(fraction))


@pytest.mark.parametrize("dtype,shape,axis", [
    (np.float32, (1024, 4096), 0), (np.float32, (1024, 4096), 1),
    (np.float32, (41944, 100), 1), (np.float32, (100, 41944), 0),
    (np.float64, (512, 4096), 0), (np.float64, (20972, 100), 1),
    (np.float64, (64, 32776), 0)])
def test_exact_ball_halves_same_bits_on_one_thread_or_two(threads, dtype, shape, axis, rng):
    # The exact l1,inf ball's sums, passes and write in halves (groups of 64
    # and 100 values: its passes over the listed groups): the same bits on
    # one thread or two, and the optimality conditions.
    Y = (rng.standard_normal(shape) * np.exp(rng.standard_normal(shape[1 - axis]))[
        None if axis == 0 else slice(None), slice(None) if axis == 0 else None]).astype(dtype)
    for share in (0.05, 0.5):
        _exact_on_one_thread_or_two(threads, Y, share * l1inf_norm(Y, axis=axis), axis)


@pytest.mark.parametrize("share", [0.1, 0.5])
def test_exact_ball_row_block_passes_in_halves(threads, share, rng):
    # Column groups of 256 float32 rows (Student t(3)), the exact ball's
    # passes over a matrix of 16 MiB or more reading their strips along the
    # rows a block at a time (``_row_block_pass``), each half of the list on
    # its thread: the same bits on one thread or two and as the strips read
    # down their rows, and the optimality conditions.
    from skproj.projections import _l1inf, _l1inf_strips

    Y = rng.standard_t(3, (256, 16400)).astype(np.float32)
    eta = share * l1inf_norm(Y)
    _l1inf_strips._row_block_runs(reset=True)
    mu = _exact_on_one_thread_or_two(threads, Y, eta)
    assert _l1inf_strips._row_block_runs() > 0
    _l1inf._set_testing(row_block_passes=False)
    try:
        threads(2)
        X, theta, strips_mu = project_l1inf_ball(Y, eta, return_dual=True)
    finally:
        _l1inf._set_testing()
    np.testing.assert_array_equal(strips_mu, mu)


def _exact_on_one_thread_or_two(threads, Y, eta, axis=0):
    """The exact ball of ``Y`` on one thread and on two: the same bits, and the
    optimality conditions (every kept group clipped by theta, the others'
    norms at most theta, the levels summing to eta); mu."""
    results = []
    for n in (1, 2):
        threads(n)
        results.append(project_l1inf_ball(Y, eta, axis=axis, return_dual=True))
    (X, theta, mu), (X2, theta2, mu2) = results
    np.testing.assert_array_equal(bits(X2), bits(X))
    np.testing.assert_array_equal(mu2, mu)
    assert theta2 == theta
    levels = (mu[None, :] if axis == 0 else mu[:, None]).astype(Y.dtype)
    np.testing.assert_array_equal(X, np.sign(Y) * np.minimum(np.abs(Y), levels))
    assert mu.sum() == pytest.approx(eta, rel=1e-9)
    A = np.abs(Y.astype(np.float64)).T if axis == 0 else np.abs(Y.astype(np.float64))
    active = mu > 0
    clipped = np.maximum(A - mu[:, None], 0).sum(axis=1)
    np.testing.assert_allclose(clipped[active], theta, rtol=1e-5)
    assert np.all(A.sum(axis=1)[~active] <= theta * (1 + 1e-6))
    return mu


def _radius_keeping(Y, share):
    """The radius at which bilevel_l1inf keeps ``share`` of Y's column groups."""
    maxima = np.sort(np.abs(Y.astype(np.float64)).max(axis=0))[::-1]
    k = max(int(share * Y.shape[1]), 1)
    return float(maxima[:k].sum() - k * maxima[k])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("share", [0.01, 0.03, 0.1])
@pytest.mark.parametrize("row_blocks", [True, False])
def test_exact_ball_candidate_gathers_in_halves(threads, dtype, share, row_blocks, rng):
    # Column groups of 16 MiB where bilevel_l1inf keeps 1-10 % of them: the
    # candidates are gathered in two blocks of rows (along the rows' lines
    # where the CPU has AVX-512, ``_gather_column_chunks``; else, and for
    # most columns, by the range gather, in blocks of rows or panels as
    # ``row_blocks`` asks), each block's pairs bucketed after the other's:
    # the same bits on one thread or two (the gather's phase clock runs), the
    # whole's result read at once, the optimality conditions.  Zero columns,
    # and zeros in either block, are left out of the lists and counted.
    from skproj.projections import _l1inf

    Y = rng.standard_normal(SHAPES[dtype]).astype(dtype)
    Y[:, [5, 3000]] = 0.0
    Y[rng.random(Y.shape) < 0.2] = 0.0
    eta = _radius_keeping(Y, share)
    _l1inf._time_phases(True)
    try:
        _l1inf._set_testing(row_blocks=row_blocks, gather_halves=False)
        whole = project_l1inf_ball(Y, eta, axis=0)
        _l1inf._set_testing(row_blocks=row_blocks)
        mu = _exact_on_one_thread_or_two(threads, Y, eta)
        seconds, _ = _l1inf._phase_times()
        halves = project_l1inf_ball(Y, eta, axis=0)
    finally:
        _l1inf._time_phases(False)
        _l1inf._set_testing()
    assert seconds[1] > 0.0     # (the gather phase)
    assert 0 < np.mean(mu > 0) < 0.95
    # (as the whole read at once, up to the rounding of the dense regime's
    # sums above the bands, added up block after block)
    np.testing.assert_allclose(halves, whole, rtol=0, atol=1e-12 * float(np.abs(Y).max()))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("share", [0.02, 0.3, 0.9])
def test_candidate_lists_in_halves(threads, dtype, share, rng):
    # The exact ball's candidate gather of a share of the column groups of a
    # 16 MiB matrix (along the rows' lines where few are listed and the CPU
    # has AVX-512, else along the rows; the range gather, in row blocks or
    # panels, where most are), in two blocks of rows or at once: each
    # column's list (its magnitudes in (0, level), in the order of the
    # rows), count and sum at or above its level are numpy's, on one thread
    # or two.  Zeros, a zero column and levels (all positive, as the
    # kernel's) above a column's max and below its least magnitude included.
    Y = rng.standard_normal(SHAPES[dtype]).astype(dtype)
    _check_candidate_lists(threads, Y, share, False, rng)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("share", [0.5, 0.9])
def test_candidate_lists_of_rows_in_halves(threads, dtype, share, rng):
    # The same for row groups, gathered one after the other: a subset of 16
    # MiB or more (here 0.9 of 24 MiB) in two halves of it, the second
    # half's lists copied after the first's.
    Y = rng.standard_normal((SHAPES[dtype][0] * 3 // 2, SHAPES[dtype][1])).astype(dtype)
    _check_candidate_lists(threads, Y, share, True, rng)


@pytest.mark.parametrize("dtype,sampled", [(np.float32, True), (np.float64, True),
                                           (np.float64, False)])
def test_exact_ball_bands_of_rows_in_halves(threads, dtype, sampled, rng):
    # Row groups of 24 MiB in the dense regime: their bands (predicted from a
    # sample, ``_gather_ranges_by_group``, or from the histograms,
    # ``_gather_bins``; float32 rows take the passes without the sample)
    # gathered in two halves of the rows, the second half's lists copied
    # after the first's: the same bits as one gather, on one thread or two,
    # no level out of its band, the optimality conditions.
    from skproj.projections import _l1inf

    Y = rng.standard_normal((SHAPES[dtype][0] * 3 // 2, SHAPES[dtype][1])).astype(dtype)
    Y[5] = 0.0
    eta = 0.5 * l1inf_norm(Y, axis=1)
    paths = {} if sampled else {"sampled_min_bytes": 0}
    _l1inf._time_phases(True)
    try:
        _l1inf._set_testing(gather_halves=False, **paths)
        whole = project_l1inf_ball(Y, eta, axis=1)
        _l1inf._set_testing(**paths)
        _exact_on_one_thread_or_two(threads, Y, eta, axis=1)
        seconds, _ = _l1inf._phase_times()
        stats = _l1inf._sampled_stats()
        halves = project_l1inf_ball(Y, eta, axis=1)
    finally:
        _l1inf._time_phases(False)
        _l1inf._set_testing()
    assert seconds[4] > 0.0     # (the band phase)
    assert (stats[0] > 0) == sampled and stats[2] == 0
    np.testing.assert_array_equal(bits(halves), bits(whole))


def _check_candidate_lists(threads, Y, share, groups_are_rows, rng):
    from skproj.projections import _l1inf

    Y[rng.random(Y.shape) < 0.1] = 0.0
    A = np.abs(Y.astype(np.float64))
    if groups_are_rows:
        A = A.T
    n_groups = A.shape[1]
    subset = np.sort(rng.choice(n_groups, size=int(share * n_groups), replace=False))
    for Z in (Y.T if groups_are_rows else Y, A):
        Z[:, subset[1]] = 0.0
    levels = A.max(axis=0) * rng.uniform(0.2, 1.1, size=n_groups)
    levels[subset[1]] = 1.0
    levels[subset[2]] = 0.5 * A[:, subset[2]][A[:, subset[2]] > 0].min()
    try:
        for n, row_blocks, halves in [(1, True, True), (2, True, True), (2, False, True),
                                      (2, True, False)]:
            threads(n)
            _l1inf._set_testing(row_blocks=row_blocks, gather_halves=halves)
            lists = _l1inf._candidate_lists(Y, levels, subset, groups_are_rows)
            for g, (listed, count, total) in zip(subset, lists):
                group = A[:, g]
                expected = group[(group > 0) & (group < levels[g])]
                np.testing.assert_array_equal(listed, expected, err_msg=str(g))
                assert count == np.count_nonzero(group >= levels[g])   # (levels > 0)
                assert total == pytest.approx(group.sum() - expected.sum(), rel=1e-12,
                                              abs=1e-13 * group.sum())
    finally:
        _l1inf._set_testing()


@pytest.mark.parametrize("share", [0.1, 0.5])
@pytest.mark.parametrize("row_blocks", [True, False])
def test_exact_ball_band_gather_in_halves(threads, share, row_blocks, rng):
    # float64 column groups of 16 MiB in the dense regime: the range gather of
    # the bands in two blocks of rows (``_range_row_blocks``), each column's
    # count and sum above its band the first block's plus the second's, or
    # in two halves of the live panels (``_range_panels``; the lists of the
    # second appended after the first's): the same bits on one thread or
    # two, the band phase's clock runs, the whole's levels.
    from skproj.projections import _l1inf

    Y = rng.standard_normal(SHAPES[np.float64])
    Y[:, [3, 2000]] = 0.0
    eta = share * l1inf_norm(Y)
    # (with AVX2 alone, the passes along the rows would take the bands'
    # place: ``along_rows_passes``)
    paths = {"row_blocks": row_blocks, "along_rows_passes": False}
    _l1inf._set_testing(**paths)
    _l1inf._time_phases(True)
    try:
        mu = _exact_on_one_thread_or_two(threads, Y, eta)
        seconds, _ = _l1inf._phase_times()
        regathered = _l1inf._sampled_stats()[2]
        _l1inf._set_testing(gather_halves=False, **paths)
        whole = project_l1inf_ball(Y, eta, axis=0, return_dual=True)[2]
    finally:
        _l1inf._time_phases(False)
        _l1inf._set_testing()
    assert seconds[4] > 0.0     # (the band phase)
    # (the halves' counts and sums above the bands are the whole's: no level
    # leaves its band, which the safety net would mend by a whole gather)
    assert regathered == 0
    assert np.mean(mu > 0) > 0.9
    np.testing.assert_allclose(mu, whole, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exact_ball_chunked_passes_in_halves_settle(threads, dtype, rng):
    # Column groups of 100 rows out of cache: the passes read their strips a
    # chunk at a time, each half of the list so; they settle (the dense
    # regime's sampled bands never run), the same bits on one thread or two.
    from skproj.projections import _l1inf

    Y = rng.standard_normal((100, 41944)).astype(dtype)
    for share in (0.05, 0.5):
        eta = share * l1inf_norm(Y, axis=0)
        results = []
        for n in (1, 2):
            threads(n)
            results.append(project_l1inf_ball(Y, eta, axis=0))
            assert _l1inf._sampled_stats()[0] == 0
        np.testing.assert_array_equal(bits(results[1]), bits(results[0]))


def test_exact_ball_passes_in_halves_from_few_candidates(threads, rng):
    # float32 column groups of a matrix in halves take the passes from a
    # twentieth of the groups as candidates (not a third): at 2 % of
    # bilevel_l1inf's groups kept, no gather (its phase clock at 0) where the
    # AVX-512 passes run, the bisection's optimality conditions, the same
    # bits on one thread or two.
    from skproj.projections import _l1inf

    Y = rng.standard_normal((100, 41944)).astype(np.float32)
    maxima = np.sort(np.abs(Y).max(axis=0))[::-1]
    k = Y.shape[1] // 50
    eta = float(maxima[:k].sum() - k * maxima[k])
    results = []
    # (the passes before the sampled bracket run with the AVX-512 passes alone:
    # ``passes_before_bracket``; elsewhere the gather answers)
    avx512_passes = _l1inf._set_testing() == 2
    _l1inf._time_phases(True)
    try:
        for n in (1, 2):
            threads(n)
            results.append(project_l1inf_ball(Y, eta, axis=0, return_dual=True))
            seconds, _ = _l1inf._phase_times()
            if avx512_passes:
                assert seconds[1] == 0.0 and seconds[2] == 0.0     # (no gather, no histograms)
    finally:
        _l1inf._time_phases(False)
    (X, theta, mu), (X2, _, _) = results
    np.testing.assert_array_equal(bits(X2), bits(X))
    A = np.abs(Y.astype(np.float64)).T
    active = mu > 0
    assert 0 < active.mean() < 0.3 and mu.sum() == pytest.approx(eta, rel=1e-9)
    np.testing.assert_allclose(np.maximum(A - mu[:, None], 0).sum(axis=1)[active], theta,
                               rtol=1e-5)
    assert np.all(A.sum(axis=1)[~active] <= theta * (1 + 1e-6))


def test_halves_of_a_torch_tensor(threads, rng):
    torch = pytest.importorskip("torch")
    threads(2)
    Y = _large(np.float32, rng)
    eta = 0.3 * float(np.abs(Y).sum())
    X = bilevel_l11(torch.from_numpy(Y), eta, axis=0)
    np.testing.assert_array_equal(bits(X.numpy()), bits(bilevel_l11(Y, eta, axis=0)))


def test_threadpoolctl_limits_the_halves_threads():
    # threadpoolctl finds the threads in _l1's library alone (user API
    # "skproj": not in _l1inf's, whose names begin alike), limits them with
    # every library's or with skproj's alone, not with BLAS's, and restores
    # them after; the l1 ball's halves and bilevel_l11's read that setting.
    from threadpoolctl import threadpool_info, threadpool_limits

    def skproj_threads():
        return [info["num_threads"] for info in threadpool_info()
                if info["user_api"] == "skproj"]

    previous = _l1._set_threads(2)
    try:
        assert skproj_threads() == [2]
        with threadpool_limits(limits=1):
            assert skproj_threads() == [1]
            assert _l1._threads() == 1
        with threadpool_limits(limits=1, user_api="skproj"):
            assert skproj_threads() == [1]
        with threadpool_limits(limits=1, user_api="blas"):
            assert skproj_threads() == [2]
        with threadpool_limits(limits=8, user_api="skproj"):
            assert skproj_threads() == [2]      # (two halves: two threads at most)
        assert skproj_threads() == [2]
    finally:
        _l1._set_threads(previous)


@pytest.mark.parametrize("environ,most", [
    ({}, 2), ({"OMP_NUM_THREADS": "1"}, 1), ({"OMP_NUM_THREADS": "8"}, 2),
    ({"OMP_NUM_THREADS": "4,2"}, 2), ({"OMP_NUM_THREADS": "1,4"}, 1),
    ({"OMP_NUM_THREADS": "many"}, 2), ({"OMP_NUM_THREADS": "0"}, 1)])
def test_kernel_threads_from_the_environment(environ, most):
    # Two threads at most, one where OMP_NUM_THREADS says one (joblib's
    # workers) or the process may run on one CPU alone.
    cpus = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else os.cpu_count())
    assert kernel_threads(environ) == min(most, cpus)


# ------------------------------------------------ the l1 ball and the simplex

def _vector(dtype, rng, n, sort=False):
    """Gaussian values whose scale grows along the array (the halves differ),
    with runs of zeros and ties; sorted with ``sort`` (every value near tau
    then in one half)."""
    y = rng.standard_normal(n) * np.exp(np.linspace(-1.0, 1.0, n))
    y[n // 5: n // 5 + 300] = 0.0
    y[n // 3: n // 3 + 200] = 0.75
    return (np.sort(y) if sort else y).astype(dtype)


def _check_vector_threads(threads, project, y, radii):
    """``project(y, radius)`` for each radius: the same bits on one thread and
    on two, and the sort's projection."""
    reference = references.l1_ball if project is project_l1_ball else references.simplex
    for radius in radii:
        results = []
        for n in (1, 2):
            threads(n)
            results.append(project(y, radius))
        np.testing.assert_array_equal(bits(results[1]), bits(results[0]), err_msg=str(radius))
        scale = float(np.abs(y).max())
        np.testing.assert_allclose(results[0], reference(y, radius), rtol=0,
                                   atol=TOLERANCE[y.dtype.type] * scale, err_msg=str(radius))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("project", [project_l1_ball, project_simplex])
@pytest.mark.parametrize("layout", ["vector", "sorted", "rows", "reversed rows", "columns"])
def test_l1_halves_same_bits_on_one_thread_or_two(threads, halves_from, project, dtype,
                                                  layout, rng):
    # Every array in halves: a contiguous one split in its one row (at a
    # multiple of 16 values), a sorted one (the bracket's values in one half),
    # and strided views split in their rows (the kernels' 2-D views).
    halves_from(0)
    y = _vector(dtype, rng, 30011, sort=layout == "sorted")
    if layout == "rows":
        y = y[:30000].reshape(120, 250)[:, ::2]
    elif layout == "reversed rows":
        y = y[:30000].reshape(300, 100)[::-1]
    elif layout == "columns":
        y = y[:30000].reshape(100, 300).T
    if project is project_simplex:
        y = np.abs(y) if layout == "vector" else y
        radii = (1.0, 0.05 * float(np.abs(y).sum()), 0.8 * float(np.abs(y).sum()))
    else:
        norm = float(np.abs(y.astype(float)).sum())
        radii = (0.001 * norm, 0.1 * norm, 0.5 * norm, 0.98 * norm)
    split, by_rows = _l1._split_point(y if y.ndim == 2 and not y.flags.c_contiguous
                                      else y.reshape(1, -1))
    assert split > 0 and by_rows == (layout in ("rows", "reversed rows", "columns"))
    _check_vector_threads(threads, project, y, radii)


@pytest.mark.parametrize("dtype,n", [(np.float32, 4194320), (np.float64, 2097168)])
def test_l1_halves_of_16_mib(threads, dtype, n, rng):
    # The least array in halves by default, split at a multiple of 16 values.
    y = _vector(dtype, rng, n)
    assert _l1._split_point(y.reshape(1, -1)) == (n // 32 * 16, False)
    assert _l1._split_point(y[:-17].reshape(1, -1))[0] == 0     # under 16 MiB
    norm = float(np.abs(y.astype(float)).sum())
    _check_vector_threads(threads, project_l1_ball, y, (0.01 * norm, 0.6 * norm))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_l1_halves_agree_with_the_whole(threads, halves_from, dtype, rng):
    # Halves change the order of the scan's sums, not the projection: the
    # same support and values within rounding of one pass.
    y = _vector(dtype, rng, 50021)
    norm = float(np.abs(y.astype(float)).sum())
    threads(2)
    for radius in (0.002 * norm, 0.3 * norm):
        halves_from(1 << 40)
        whole = project_l1_ball(y, radius)
        halves_from(0)
        halved = project_l1_ball(y, radius)
        np.testing.assert_array_equal(whole != 0, halved != 0)
        np.testing.assert_allclose(halved, whole, rtol=0,
                                   atol=TOLERANCE[dtype] * float(np.abs(y).max()))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("half", [0, 1])
@pytest.mark.parametrize("project", [project_l1_ball, project_simplex])
def test_l1_halves_refuse_nan_and_inf_before_writing(threads, halves_from, project, bad,
                                                     half, rng):
    # A value that one half's lean scan cannot show (inf or NaN, where the
    # bracket has no high end) sends both halves to the full scan; either
    # way nothing is written.
    threads(2)
    halves_from(0)
    for dtype in (np.float32, np.float64):
        y = np.abs(_vector(dtype, rng, 20000))
        y[100 if half == 0 else 19900] = bad
        out = np.full_like(y, 5.0)
        for radius in (0.5, 1e3):
            with pytest.raises(ValueError, match="NaN or infinity"):
                project(y, radius, out=out)
            assert (out == 5.0).all()


def test_l1_halves_in_place_and_of_a_tensor(threads, halves_from, rng):
    # out=y (each half reads and writes its own block) and a torch tensor:
    # the bits of a new result.
    threads(2)
    halves_from(0)
    y = _vector(np.float32, rng, 40000)
    radius = 0.2 * float(np.abs(y).sum())
    expected = project_l1_ball(y, radius)
    z = y.copy()
    project_l1_ball(z, radius, out=z)
    np.testing.assert_array_equal(bits(z), bits(expected))
    torch = pytest.importorskip("torch")
    t = project_l1_ball(torch.from_numpy(y), radius)
    np.testing.assert_array_equal(bits(t.numpy()), bits(expected))
