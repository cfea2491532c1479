"""The AVX-512 and AVX2 scans of the l1 threshold give the same results (issue 14).

Where the CPU has AVX-512F, the scan of ``project_l1_ball`` and
``project_simplex`` runs with it, so the other tests exercise it; these run
the AVX2 scan too, and check both against the references on inputs that
reach every part of the loops (blocks of 128 values, the tail, the sampled
runs of contiguous input, strided input, a bracket missing tau).
"""

import numpy as np
import pytest

from skproj.projections import _l1, project_l1_ball

import references
from test_projections_threshold import (KINDS, _atol, _radius_keeping, _vector,
                                        check_l1_ball_and_simplex)


@pytest.fixture(params=[True, False], ids=["avx512", "avx2"])
def scan(request):
    """Run a test with the AVX-512 scan (skipped where the CPU lacks it), then the AVX2 scan."""
    if not _l1._set_testing(avx512=request.param) and request.param:
        _l1._set_testing()
        pytest.skip("the CPU has no AVX-512F")
    yield request.param
    _l1._set_testing()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("share", [1e-3, 0.1, 0.5, 0.9])
def test_both_scans_match_the_reference(scan, kind, dtype, share):
    y = _vector(kind, 40009, 11, dtype)      # odd length: a tail after the blocks
    check_l1_ball_and_simplex(y, share)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(100, 1000), (1000, 100), (3, 7, 1001), (1025,)])
def test_contiguous_and_strided_inputs_agree(scan, dtype, shape):
    """A contiguous input is one long row (sampled in runs); its transpose is strided."""
    y = np.random.default_rng(5).standard_normal(shape).astype(dtype)
    for view in (y, y.T):
        radius = 0.5 * float(np.abs(view.astype(np.float64)).sum())
        expected = references.l1_ball(view, radius)
        np.testing.assert_allclose(project_l1_ball(view, radius), expected, rtol=0,
                                   atol=_atol(view, radius, dtype))
        out = np.empty_like(view)   # an out of the other layout than the input
        project_l1_ball(view, radius, out=out)
        np.testing.assert_allclose(out, expected, rtol=0, atol=_atol(view, radius, dtype))


def test_fallback_with_each_scan(scan):
    """A bracket that misses tau sends both scans to the Newton passes."""
    y = _vector("normal", 30011, 3, np.float32)
    radius = _radius_keeping(np.abs(y.astype(np.float64)), 0.3)
    _l1._set_testing(force_fallback=True, avx512=scan)
    np.testing.assert_allclose(project_l1_ball(y, radius), references.l1_ball(y, radius),
                               rtol=0, atol=_atol(y, radius, np.float32))
