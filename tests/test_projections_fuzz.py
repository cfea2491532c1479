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

from skproj.projections import _l1, project_l1_ball

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
