"""Differential tests of the projections' fast paths (issue 14).

The kernels choose among many hand-written paths by size, stride, dtype,
radius and CPU features (AVX-512, AVX2, portable C; a sampled bracket or
Newton passes; column panels by passes or by gathered lists; the in-cache,
dense, band and bracket regimes of the exact l1,inf ball).  These tests run
the same inputs down every path the testing switches reach and check that
each answer is a projection: against the sort-based references, and for the
properties every one of these projections has whatever the rounding:

- no magnitude grows and no zero becomes non-zero (a soft threshold, a clip
  or a rescale by at most one never does), signs are kept;
- the paths agree with each other to the documented tolerance.

The first tests are regressions for bugs a randomized search found (radius
at the norm up to rounding); the property tests after them keep that search
in CI, with the settings that reached the most paths.
"""

import numpy as np
import pytest

from skproj.projections import _bilevel, _l1, bilevel_l1inf, bilevel_l11, bilevel_l12, project_l1_ball

import references

# The settings of the threshold's switches (``_l1._set_testing``): the
# AVX-512 scan, the AVX2 scan, the Cython loops, and each with a sampled
# bracket that misses tau (Newton passes over the data).
L1_PATHS = {
    "avx512": {}, "avx2": {"avx512": False}, "portable": {"simd": False, "avx512": False},
    "newton": {"force_fallback": True}, "newton-avx2": {"force_fallback": True, "avx512": False},
    "newton-portable": {"force_fallback": True, "simd": False, "avx512": False},
}


@pytest.fixture(params=list(L1_PATHS))
def l1_path(request):
    _l1._set_testing(**L1_PATHS[request.param])
    try:
        yield request.param
    finally:
        _l1._set_testing()


def _radii_at_the_norm(y):
    """The l1 norm as a caller computes it, and its neighbours by rounding."""
    norm = float(np.abs(y, dtype=np.float64).sum())
    return [norm, float(np.abs(y).sum()), np.nextafter(norm, 0.0), norm * (1 - 1e-15),
            float(np.float32(norm))]


def assert_no_magnitude_grows(X, Y):
    """|x| <= |y| entrywise, with the signs of y (so zeros stay zero)."""
    assert np.all(np.abs(X) <= np.abs(Y)), np.max(np.abs(X.astype(float)) - np.abs(Y))
    assert not np.any(np.sign(X) * np.sign(Y) < 0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_l1_ball_at_its_norm_grows_no_magnitude(l1_path, dtype):
    """A radius at the norm up to rounding: the scan's total said "outside",
    the threshold's sum of the support came out below the radius, and a
    negative tau grew every magnitude and filled the zeros."""
    rng = np.random.default_rng(5)
    for case in range(300):
        n = int(rng.integers(1, 200))
        y = rng.integers(-3, 4, n) * 10.0 ** rng.integers(-4, 4)
        if case % 3 == 0:
            y = rng.standard_normal(n)
        y = y.astype(dtype)
        for radius in _radii_at_the_norm(y):
            x = project_l1_ball(y, radius)
            assert_no_magnitude_grows(x, y)
            np.testing.assert_allclose(x, references.l1_ball(y, radius), rtol=0,
                                       atol=(2e-5 if dtype == np.float32 else 1e-10)
                                       * np.abs(y).max(initial=1e-300))


# The settings of bilevel_l11's column panels (``_bilevel._set_column_paths``)
# and of the Cython loops of the shared threshold (``_l1._set_testing``).
BILEVEL_PATHS = {
    "measured": ({}, {}), "passes": ({"passes": True}, {}), "gather": ({"passes": False}, {}),
    "passes-avx2": ({"passes": True, "avx512": False}, {}),
    "gather-avx2": ({"passes": False, "avx512": False}, {}),
    "portable": ({"avx512": False}, {"simd": False, "avx512": False}),
}


@pytest.fixture(params=list(BILEVEL_PATHS))
def bilevel_path(request):
    columns, l1 = BILEVEL_PATHS[request.param]
    _bilevel._set_column_paths(**columns)
    _l1._set_testing(**l1)
    try:
        yield request.param
    finally:
        _bilevel._set_column_paths()
        _l1._set_testing()


def _matrix_at_the_norm(rng, case, dtype):
    """Small matrices with zeros and ties, and long columns (the panels)."""
    shape = [(int(rng.integers(1, 30)), int(rng.integers(1, 30))), (300, 20), (20, 300)][case % 3]
    Y = rng.integers(-3, 4, shape) * 10.0 ** rng.integers(-4, 4)
    if case % 2:
        Y = rng.standard_normal(shape) * (rng.random(shape) < 0.7)
    return Y.astype(dtype)


@pytest.mark.parametrize("bilevel", [bilevel_l11, bilevel_l12, bilevel_l1inf])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bilevel_at_its_norm_grows_no_magnitude(bilevel_path, bilevel, dtype):
    """Radii at the l1,1 / l1,2 / l1,inf norm up to rounding, and groups whose
    new radius is their norm up to rounding: the outer tau, or a group's tau,
    came out negative (l1,1, l1,2) and grew magnitudes, zeros included."""
    inner = {bilevel_l11: "l1", bilevel_l12: "l2", bilevel_l1inf: "linf"}[bilevel]
    rng = np.random.default_rng(7)
    for case in range(60):
        Y = _matrix_at_the_norm(rng, case, dtype)
        for axis in (0, 1):
            norm = references.group_norm(Y, inner, axis)
            for radius in [norm, np.nextafter(norm, 0.0), norm * (1 - 1e-15),
                           float(np.float32(norm)), norm * (1 - 1e-7)]:
                X = bilevel(Y, radius, axis=axis)
                assert_no_magnitude_grows(X, Y)
                np.testing.assert_allclose(
                    X, references.bilevel(Y, radius, inner, axis), rtol=0,
                    atol=(2e-5 if dtype == np.float32 else 1e-10) * np.abs(Y).max(initial=1e-300))
