"""bilevel_l11 on column groups of tall matrices: the candidate lists' scratch and its growth."""

import numpy as np
import pytest

from skproj.projections import bilevel_l11

import references
from addresses import at_offset, bits
from test_projections_bilevel import (
    assert_column_groups_match_sort, assert_column_switch_keeps_bits,
)


@pytest.fixture(params=[(False, True), (False, False), (None, True)],
                ids=["gathered", "gathered-avx2", "measured"])
def gathered(request):
    """Column panels by gathered candidate lists (AVX-512 or AVX2 loops), or as measured."""
    from skproj.projections import _bilevel

    passes, avx512 = request.param
    _bilevel._set_column_paths(passes=passes, avx512=avx512)
    yield request.param
    _bilevel._set_column_paths()


@pytest.fixture
def small_lists():
    """Candidate lists that start at 256 KiB and grow to 4 MiB at least (a
    quarter of the matrix where that is more)."""
    from skproj.projections import _bilevel

    _bilevel._set_list_bytes(start=1 << 18, limit=1 << 22)
    yield
    _bilevel._set_list_bytes()


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_tall_column_lists_are_bounded(gathered, small_lists, dtype, tol, rng):
    # 300000 x 20: each panel of 24 (float32: 32) columns used to reserve lists
    # of (panel + 8) x (rows + 8) values, more than the matrix itself.  They
    # now grow as the candidates fill them, to a quarter of the matrix at
    # most (here); columns with more candidates than that (most of them at
    # 30 % of the norm, where about 60 % of each column's values are kept)
    # are gathered again one at a time, into room for one column.
    from skproj.projections import _bilevel

    Y = rng.standard_normal((300000, 20)) * np.exp(rng.standard_normal(20))
    Y = Y.astype(dtype)
    bound = Y.nbytes // 4 + (Y.shape[0] + 8) * Y.itemsize
    norm = references.group_norm(Y, "l1", 0)
    for fraction in (0.3, 0.9, 0.999):
        X = bilevel_l11(Y, fraction * norm, axis=0)
        reserved = _bilevel._candidate_scratch()
        assert reserved <= bound, (fraction, reserved)
        assert reserved > 0 or gathered[0] is None
        np.testing.assert_allclose(X, references.bilevel(Y, fraction * norm, "l1", 0), rtol=0,
                                   atol=tol * float(np.abs(Y).max()), err_msg=str(fraction))


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("n_cols", [20, 5])
def test_tall_column_lists_are_made_for_the_columns_only(gathered, dtype, tol, n_cols, rng):
    # Only the lists a panel writes are made (its columns', up to a whole
    # vector of them), not those of the panel's rounding to cache lines and
    # 8 more: 300000 x 20 float64 at 90 % of the groups kept reserved 69.5 MB
    # for its 48 MB, 300000 x 5 float32 28.8 MB for its 6 MB.
    from skproj.projections import _bilevel

    Y = rng.standard_normal((300000, n_cols)) * np.exp(rng.standard_normal(n_cols))
    Y = Y.astype(dtype)
    vector = 32 // Y.itemsize
    whole_lists = (-(-n_cols // vector) * vector + 1) * (Y.shape[0] + 8) * Y.itemsize
    norm = references.group_norm(Y, "l1", 0)
    for fraction in (0.3, 0.9):
        X = bilevel_l11(Y, fraction * norm, axis=0)
        assert _bilevel._candidate_scratch() <= whole_lists, fraction
        np.testing.assert_allclose(X, references.bilevel(Y, fraction * norm, "l1", 0), rtol=0,
                                   atol=tol * float(np.abs(Y).max()), err_msg=str(fraction))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_tall_columns_past_their_lists_do_not_depend_on_the_address(gathered, small_lists,
                                                                    dtype, rng):
    # Whether a column is gathered again alone depends on its own values, not
    # on the panel it lies in, whose first cut depends on where the result
    # lies: the same bits at every offset of the result.
    Y = (rng.standard_normal((100000, 21)) * np.exp(rng.standard_normal(21))).astype(dtype)
    Y[:, 4] = rng.choice([-1.0, 1.0], size=Y.shape[0])
    norm = references.group_norm(Y, "l1", 0)
    for fraction in (0.2, 0.95):
        results = [bilevel_l11(Y, fraction * norm, axis=0,
                               out=at_offset(np.full_like(Y, np.nan), offset * Y.itemsize))
                   for offset in (0, 1, 3, 5, 7)]
        for result in results[1:]:
            np.testing.assert_array_equal(result, results[0], err_msg=str(fraction))


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_tall_column_lists_grown_to_whole_columns(gathered, dtype, tol, rng):
    # Columns whose every value is a candidate (flat columns of +-1, ties of a
    # few values) grow their lists by doubling up to whole columns, the
    # gather resumed where it stopped each time; Gaussian columns of very
    # different scales beside them; an odd number of rows (a last, partial
    # block); rows reversed (negative strides); the result against the sort.
    rows = 150001
    Y = rng.standard_normal((rows, 13)) * np.exp(rng.standard_normal(13))
    Y[:, 0] = rng.choice([-1.0, 1.0], size=rows)
    Y[:, 5] = rng.choice([-2.0, 0.0, 1.0, 3.0], size=rows)
    Y[:, 7] = 0.0
    assert_column_groups_match_sort(Y.astype(dtype), (0.05, 0.6, 0.9999), tol)


def test_tall_column_lists_without_the_vector_loops(rng):
    # The Cython loops gather one column at a time into one list of a column.
    from skproj.projections import _bilevel, _l1

    Y = rng.standard_normal((60000, 9))
    Y[:, 2] = rng.choice([-1.0, 1.0], size=60000)
    norm = references.group_norm(Y, "l1", 0)
    _l1._set_testing(simd=False)
    try:
        X = bilevel_l11(Y, 0.7 * norm, axis=0)
        assert _bilevel._candidate_scratch() == (60000 + 8) * 8
    finally:
        _l1._set_testing()
    np.testing.assert_allclose(X, references.bilevel(Y, 0.7 * norm, "l1", 0), rtol=0,
                               atol=1e-12 * float(np.abs(Y).max()))


def test_long_float64_columns_keeping_much_of_their_norm_take_the_passes(rng):
    # With AVX-512, float64 columns of a large matrix take the gathered
    # candidate lists, but for columns longer than _double_long_rows rows
    # keeping a quarter of their norm or more: their lists of tens of MB
    # page-faulted at every call.  Both ways against the sort; the lists
    # reserved only by the gather.
    from skproj.projections import _bilevel

    if not _bilevel._set_column_paths():
        pytest.skip("the rule is for the AVX-512 loops, which this CPU lacks")
    Y = rng.standard_normal((40000, 40))      # (every column kept: shares of the norm)
    norm = references.group_norm(Y, "l1", 0)
    for fraction, gathered in ((0.1, True), (0.2, True), (0.3, False), (0.9, False)):
        X = bilevel_l11(Y, fraction * norm, axis=0)
        assert (_bilevel._candidate_scratch() > 0) == gathered, fraction
        np.testing.assert_allclose(X, references.bilevel(Y, fraction * norm, "l1", 0), rtol=0,
                                   atol=1e-12 * float(np.abs(Y).max()), err_msg=str(fraction))


@pytest.mark.parametrize("rows,n_cols", [(1003, 37), (999, 13), (257, 100), (60001, 9)])
def test_float64_candidates_gathered_by_avx512_give_the_avx2_bits(rows, n_cols, small_lists,
                                                                  rng):
    # float64's candidate lists gathered eight rows and eight columns a block
    # (AVX-512) give the AVX2 loop's lists, sums and floors, so the same
    # bits: rows and columns past whole blocks, zeroed and tied columns,
    # columns of very different scales, lists grown and resumed past a block
    # of eight, and columns dropped once their lists are full (small lists).
    from skproj.projections import _bilevel

    if not _bilevel._set_column_paths():
        pytest.skip("needs this module's AVX-512 loops, which this CPU lacks")
    Y = rng.standard_normal((rows, n_cols)) * np.exp(rng.standard_normal(n_cols))
    Y[:, 1] = 0.0
    Y[:, ::3] = rng.choice([-1.0, 1.0], size=(rows, len(range(0, n_cols, 3))))
    assert_column_switch_keeps_bits(Y, (0.05, 0.3, 0.9, 0.999), 1e-12, "candidates512",
                                    passes=False)


def narrow_matrix(rng, shape, dtype):
    """Columns of random scales, signed zeros in the first, ties (+-1) in the
    second where there are three or more: the narrow column groups' tests."""
    Y = rng.standard_normal(shape) * np.exp(rng.standard_normal(shape[1]))
    Y[::7, 0] = -0.0
    if shape[1] > 2:
        Y[:, 1] = rng.choice([-1.0, 1.0], size=shape[0])
    return Y.astype(dtype)


@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 2e-5)])
@pytest.mark.parametrize("shape", [(256, 1), (257, 3), (1000, 2), (3001, 5), (20000, 8),
                                   (100003, 3), (700000, 3)])
def test_narrow_columns_take_the_rows_of_their_transpose(dtype, tol, shape, rng):
    # Column groups of at most 8 columns, rows one after the other, at least
    # 256 rows: copied into rows, their norms, radii and taus found there as
    # rows' (``_narrow_columns``), then written from the matrix by their taus
    # as one run of vectors (streamed past 8 MiB): the sort's projection,
    # zeroed columns +0, the same bits into ``out`` at any offset, strided
    # and in place, with AVX-512 and with AVX2; longer than 512 rows (whose
    # taus the rows take from their candidates too), the transpose's rows
    # within an ulp.
    from skproj.projections import _bilevel

    n_rows, n_cols = shape
    Y = narrow_matrix(rng, shape, dtype)
    norm = references.group_norm(Y, "l1", 0)
    for fraction in (0.05, 0.5, 0.95, 1.5):
        eta = fraction * norm
        expected = references.bilevel(Y, eta, "l1", 0) if fraction < 1 else Y
        results = {}
        try:
            for avx512 in (True, False):
                _bilevel._set_column_paths(avx512=avx512)
                results[avx512] = bilevel_l11(Y, eta, axis=0)
                for offset in (1, 3):
                    results[avx512, offset] = bilevel_l11(
                        Y, eta, axis=0, out=at_offset(np.full_like(Y, np.nan),
                                                      offset * Y.itemsize))
                strided = np.full((n_rows, 2 * n_cols), np.nan, dtype)[:, ::2]
                bilevel_l11(Y, eta, axis=0, out=strided)
                results[avx512, "strided"] = strided
                inplace = Y.copy()
                bilevel_l11(inplace, eta, axis=0, out=inplace)
                results[avx512, "in place"] = inplace
        finally:
            _bilevel._set_column_paths()
        X = results[True]
        np.testing.assert_allclose(X, expected, rtol=0, atol=tol * float(np.abs(Y).max()),
                                   err_msg=str(fraction))
        assert not np.signbit(X[:, ~expected.any(axis=0)]).any(), "zeroed columns are +0"
        for key, got in results.items():
            # (each level's bits into every ``out``; AVX2 and AVX-512 find a
            # row's tau by their own passes, within the rounding)
            same = results[key[0] if isinstance(key, tuple) else key]
            np.testing.assert_array_equal(bits(got), bits(same), err_msg=f"{key} at {fraction}")
            np.testing.assert_allclose(got, X, rtol=0, atol=tol * float(np.abs(Y).max()))
        if n_rows > 512 and fraction < 1:
            # (the same taus; a row's last values, past its whole vectors, are
            # shrunk in double there, within an ulp of the vectors' two floats)
            rows = bilevel_l11(np.ascontiguousarray(Y.T), eta, axis=1).T
            np.testing.assert_array_max_ulp(rows, X, maxulp=1)


@pytest.mark.parametrize("dtype,tol,shape", [
    (np.float32, 2e-5, (1000, 2101)),   # (rows of 8404 bytes, up to 4096 rows: streamed)
    (np.float32, 2e-5, (5000, 421)),    # (1684 bytes, more rows: streamed by lines only)
    (np.float64, 1e-12, (700, 1501)),   # (12008 bytes: the gathered candidates' write)
    (np.float64, 1e-12, (9000, 193)),   # (1544 bytes, past 8192 rows)
    (np.float64, 1e-12, (32, 40001)),   # (short columns by passes, the next panel prefetched:
                                        # the AVX2 write beside the AVX-512 one for the last)
])
def test_streamed_panels_cut_at_the_results_lines_keep_the_panel_writes_bits(dtype, tol, shape,
                                                                             rng):
    # A streamed result whose rows do not start on cache lines: each column
    # panel's write is cut at the result's lines in every row, from the line
    # holding its first column (the panel before's columns in it included)
    # to the line holding the next panel's first (``_shrink_lines``), and
    # long such rows are streamed whatever their number.  The panel writes'
    # bits at each SIMD level (AVX-512 and AVX2, each finding the taus by its
    # own passes), into a new array, at offsets into a line (the rows' cuts
    # move), in place and into rows lying backwards; the sort's projection;
    # zeroed columns +0.
    from skproj.projections import _bilevel

    Y = (rng.standard_normal(shape) * np.exp(rng.standard_normal(shape[1]))).astype(dtype)
    Y[:, 5] = 0.0
    norm = references.group_norm(Y, "l1", 0)
    try:
        for fraction in (0.02, 0.6):
            expected = references.bilevel(Y, fraction * norm, "l1", 0)
            for avx512 in (True, False):
                results = {}
                for lines in (True, False):
                    _bilevel._set_column_paths(avx512=avx512, lines=lines)
                    results[lines] = bilevel_l11(Y, fraction * norm, axis=0)
                    for offset in (1, 3):
                        results[lines, offset] = bilevel_l11(
                            Y, fraction * norm, axis=0,
                            out=at_offset(np.full_like(Y, np.nan), offset * Y.itemsize))
                    results[lines, "in place"] = Y.copy()
                    bilevel_l11(results[lines, "in place"], fraction * norm, axis=0,
                                out=results[lines, "in place"])
                    results[lines, "rows reversed"] = np.full_like(Y, np.nan)[::-1]
                    bilevel_l11(Y, fraction * norm, axis=0, out=results[lines, "rows reversed"])
                for key in results:
                    np.testing.assert_array_equal(bits(results[key]), bits(results[False]),
                                                  err_msg=f"{key} at {fraction}, {avx512}")
                np.testing.assert_allclose(results[True], expected, rtol=0,
                                           atol=tol * float(np.abs(Y).max()),
                                           err_msg=f"{fraction}, {avx512}")
                assert not np.signbit(results[True][:, ~expected.any(axis=0)]).any()
    finally:
        _bilevel._set_column_paths()
