"""Results of 8 MiB or more are written by non-temporal (streamed) stores of whole
cache lines: the values before a row's first line and after its last take the same
vector operations on masked loads and are stored by plain stores, so the bits do not
depend on where the output lies, nor on whether it is written in place, nor on the
loop (AVX-512 or AVX2, streamed or not) that writes them."""

import numpy as np
import pytest

from skproj.projections import (
    bilevel_l1inf, bilevel_l11, bilevel_l12, l1inf_norm, l11_norm, l12_norm, project_group_hoyer,
    project_l1_ball, project_l1inf_ball, project_simplex,
)

from addresses import at_offset, bits

# (rows of 1003 values: whole vectors and a scalar tail, rows longer than the 1 KiB
# below which rows are not streamed; just over 8 MiB, the streaming threshold)
SHAPES = {np.float32: (2100, 1003), np.float64: (1050, 1003)}

PROJECTIONS = [
    ("bilevel_l1inf", lambda y, out, axis, s: bilevel_l1inf(
        y, s * l1inf_norm(y, axis=axis), axis=axis, out=out)),
    ("bilevel_l11", lambda y, out, axis, s: bilevel_l11(
        y, s * l11_norm(y, axis=axis), axis=axis, out=out)),
    ("bilevel_l12", lambda y, out, axis, s: bilevel_l12(
        y, s * l12_norm(y, axis=axis), axis=axis, out=out)),
    ("project_l1inf_ball", lambda y, out, axis, s: project_l1inf_ball(
        y, s * l1inf_norm(y, axis=axis), axis=axis, out=out)),
    ("project_l1_ball", lambda y, out, axis, s: project_l1_ball(
        y, s * l11_norm(y), out=out)),
    ("project_simplex", lambda y, out, axis, s: project_simplex(y, s * y.size, out=out)),
    # (streamed with AVX-512 where the groups are rows, and column groups of
    # float64, whose rows are written one by one)
    ("project_group_hoyer", lambda y, out, axis, s: project_group_hoyer(
        y, 0.4 + 0.5 * s, axis=axis, out=out)),
]


# (the whole-array projections have no axis: once each)
WHOLE_ARRAY = ("project_l1_ball", "project_simplex")
CASES = [(name, project, axis) for name, project in PROJECTIONS
         for axis in ((0,) if name in WHOLE_ARRAY else (0, 1))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, project, axis", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_streamed_result_does_not_depend_on_the_output_address(name, project, axis, dtype):
    rng = np.random.default_rng(7)
    y = rng.standard_normal(SHAPES[dtype]).astype(dtype)
    y[:, 5] = 0.0     # a zero group either way: signs of zeros compared too
    y[7] = 0.0
    share = 0.5
    itemsize = np.dtype(dtype).itemsize
    unwritten = np.full_like(y, np.nan)
    expected = at_offset(unwritten, 0)
    project(y, expected, axis, share)
    assert np.count_nonzero(expected) > 0.1 * expected.size
    for offset in range(1, 8):
        out = at_offset(unwritten, offset * itemsize)
        project(y, out, axis, share)
        np.testing.assert_array_equal(bits(out), bits(expected), err_msg=f"offset {offset}")
    in_place = at_offset(y, 3 * itemsize)
    project(in_place, in_place, axis, share)
    np.testing.assert_array_equal(bits(in_place), bits(expected), err_msg="in place")


WRITE_CASES = [case for case in CASES if case[0] in ("bilevel_l1inf", "bilevel_l12")]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, project, axis", WRITE_CASES,
                         ids=[f"{c[0]}-{c[2]}" for c in WRITE_CASES])
def test_clipped_and_rescaled_rows_take_the_same_bits_from_every_write_loop(
        name, project, axis, dtype):
    # A row of bilevel_l1inf (clip) or bilevel_l12 (rescale) is written by the
    # AVX-512 loop where the CPU has it, streamed or not, else by the AVX2 one,
    # streamed or not; each output offset moves the rows' first cache line.
    from skproj.projections import _bilevel, _l1

    rng = np.random.default_rng(11)
    y = rng.standard_normal(SHAPES[dtype]).astype(dtype)
    y[:, 5] = 0.0
    unwritten = np.full_like(y, np.nan)
    itemsize = np.dtype(dtype).itemsize
    expected = at_offset(unwritten, 0)
    project(y, expected, axis, 0.5)
    loops = {"avx512 streamed": (True, 1024), "avx2 streamed": (False, 1024),
             "avx512 in cache": (True, 1 << 40), "avx2 in cache": (False, 1 << 40)}
    row_bytes_before = _l1._set_stream_row_bytes(1024)
    try:
        for loop, (avx512, row_bytes) in loops.items():
            _bilevel._set_column_paths(avx512=avx512)
            _l1._set_stream_row_bytes(row_bytes)
            for offset in range(8):
                out = at_offset(unwritten, offset * itemsize)
                project(y, out, axis, 0.5)
                np.testing.assert_array_equal(bits(out), bits(expected),
                                              err_msg=f"{loop}, offset {offset}")
    finally:
        _bilevel._set_column_paths()
        _l1._set_stream_row_bytes(row_bytes_before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("simplex", [False, True], ids=["l1_ball", "simplex"])
def test_soft_thresholds_take_the_same_bits_from_every_write_loop(simplex, dtype):
    # The l1 ball's and the simplex's write: by the AVX-512 loop where the CPU
    # has it (float32), streamed or not (whole lines), else by the AVX2 one or
    # the Cython one.  Small integers and a radius whose tau is 3: every loop
    # finds the same tau, exactly, so the writes alone are compared.
    from skproj.projections import _l1

    rng = np.random.default_rng(5)
    y = rng.integers(-9, 10, size=SHAPES[dtype]).astype(dtype)
    if simplex:
        radius = float(np.maximum(y - 3, 0).sum())
        project = project_simplex
    else:
        radius = float(np.maximum(np.abs(y) - 3, 0).sum())
        project = project_l1_ball
    unwritten = np.full_like(y, np.nan)
    itemsize = np.dtype(dtype).itemsize
    expected = project(y, radius, out=at_offset(unwritten, 0))
    assert 0 < np.count_nonzero(expected) < expected.size
    loops = {"avx512 streamed": (True, True, 1024), "avx512 in cache": (True, True, 1 << 40),
             "avx2 streamed": (True, False, 1024), "avx2 in cache": (True, False, 1 << 40),
             "cython": (False, False, 1024)}
    row_bytes_before = _l1._set_stream_row_bytes(1024)
    try:
        for loop, (simd, avx512, row_bytes) in loops.items():
            _l1._set_testing(simd=simd, avx512=avx512)
            _l1._set_stream_row_bytes(row_bytes)
            for offset in (0, 3, 5):
                out = project(y, radius, out=at_offset(unwritten, offset * itemsize))
                np.testing.assert_array_equal(bits(out), bits(expected),
                                              err_msg=f"{loop}, offset {offset}")
    finally:
        _l1._set_testing()
        _l1._set_stream_row_bytes(row_bytes_before)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis", [0, 1])
def test_group_hoyer_writes_the_same_bits_streamed_or_not(axis, dtype):
    # With AVX-512, row groups (and float64's column groups, a row at a time):
    # a large result's whole lines streamed, the values around them by plain
    # stores of the same expression; float32's column groups are not streamed
    # (the same bits either way, trivially).
    from skproj.projections import _l1

    y = np.random.default_rng(13).standard_normal(SHAPES[dtype]).astype(dtype)
    itemsize = np.dtype(dtype).itemsize
    unwritten = np.full_like(y, np.nan)
    expected = project_group_hoyer(y, 0.8, axis=axis, out=at_offset(unwritten, 0))
    row_bytes_before = _l1._set_stream_row_bytes(1 << 40)
    try:
        for offset in range(8):
            out = project_group_hoyer(y, 0.8, axis=axis,
                                      out=at_offset(unwritten, itemsize * offset))
            np.testing.assert_array_equal(bits(out), bits(expected), err_msg=f"offset {offset}")
    finally:
        _l1._set_stream_row_bytes(row_bytes_before)


def _set_stream_ahead(bytes_ahead):
    """Every module's far prefetch of long runs (``skp_ahead_for``) set (-1: as
    the CPU prefers)."""
    from skproj.projections import _bilevel, _l1, _l1inf
    _l1._set_stream_ahead(bytes_ahead)
    _bilevel._set_column_paths(stream_ahead=None if bytes_ahead < 0 else bytes_ahead)
    _l1inf._set_stream_ahead(bytes_ahead)


# (just over 16 MiB, the least run that asks for its lines ahead)
LONG_SHAPES = {np.float32: (4200, 1003), np.float64: (2100, 1003)}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name, project, axis", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_long_runs_give_the_same_bits_with_their_far_prefetch(name, project, axis, dtype):
    """Matrices of 16 MiB and more read out of cache ask for their lines 16 KiB
    ahead on AMD CPUs (the norms, a row's candidates, the exact ball's step
    1, the streamed writes): the same bits with and without."""
    rng = np.random.default_rng(8)
    y = rng.standard_normal(LONG_SHAPES[dtype]).astype(dtype)
    y[:, 5] = 0.0
    results = []
    try:
        for bytes_ahead in (0, 16384):
            _set_stream_ahead(bytes_ahead)
            out = np.full_like(y, np.nan)
            project(y, out, axis, 0.5)
            results.append(out)
    finally:
        _set_stream_ahead(-1)
    assert np.count_nonzero(results[0]) > 0.1 * y.size
    np.testing.assert_array_equal(bits(results[1]), bits(results[0]))
