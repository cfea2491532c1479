"""The AVX-512 and AVX2 scans of the l1 threshold give the same results (issue 14).

Where the CPU has AVX-512F, the scan of ``project_l1_ball`` and
``project_simplex`` runs with it, so the other tests exercise it; these run
the AVX2 scan too, and check both against the references on inputs that
reach every part of the loops (blocks of 128 values, the tail, the sampled
runs of contiguous input, strided input, a bracket missing tau).
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skproj.projections import _l1, project_l1_ball, project_simplex

import references
from addresses import at_offset, bits
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


# The float32 scan of an array in cache (``_scan_cached``) leaves out the total
# and the minimum where the bracket excludes 0; its AVX-512 write leaves the
# AVX2 loop's result unchanged.  These reach its blocks of 128 values, its
# tail, its NaN/inf detection (through the sum above the bracket) and its
# fall-back to the full scan.

@pytest.mark.parametrize("n", [1100, 2048 + 127, 4096 + 128, 4096 + 129, 40000 + 16, 262144])
@pytest.mark.parametrize("share", [1e-3, 0.3, 0.9])
def test_in_cache_scan_at_block_boundaries(scan, n, share):
    y = _vector("normal", n, n, np.float32)
    check_l1_ball_and_simplex(y, share)


@pytest.mark.parametrize("n", [1100, 4096 + 129, 100_000])
@pytest.mark.parametrize("magnitudes", [True, False])
def test_in_cache_scan_counts_sums_and_gathers_as_the_full_scan(scan, n, magnitudes):
    """The lean scan runs (AVX-512 or AVX2 loops) and gives the full scan's count and
    values gathered, and its sum above the bracket (summed in the same blocks)."""
    y = _vector("normal", n, 3, np.float32).reshape(1, -1)
    if not magnitudes:
        y = y + np.float32(10.0)   # (a bracket above 0: the lean scan applies)
    values = np.abs(y) if magnitudes else y
    ordered = np.sort(values, axis=None)
    low, high = float(ordered[n // 3]), float(ordered[2 * n // 3])
    lean, full = _l1._scans(y, low, high, magnitudes)
    assert lean is not None
    assert lean[0] == full[0] == np.count_nonzero(values >= high)
    np.testing.assert_array_equal(lean[2], full[2])
    assert lean[2].size == np.count_nonzero((values >= low) & (values < high))
    assert lean[1] == pytest.approx(full[1], rel=1e-12)


@pytest.mark.parametrize("magnitudes, low, high", [
    (False, 0.25, 1.5),        # signed values above 0: the bit patterns' range test
    (False, 1e-40, 0.5),       # ... from a subnormal
    (False, 0.5, np.inf),      # ... to inf
    (False, -2.0, -0.25),      # ... below 0: the float compares
    (True, 0.25, 1.5),         # magnitudes
    (True, 1e-40, 0.3),
    (True, 0.5, np.inf),
    (True, 1.0, 1.0),          # an empty bracket: the float compares
    (True, 1.5, 0.5),          # an inverted one: nothing gathered
])
def test_in_cache_scan_gathers_the_bracket_at_its_ends(scan, magnitudes, low, high):
    """The lean scan gathers exactly the values in [low, high) (magnitudes: |y|)
    and counts and sums those at and above high, as the full scan: values
    at both ends and one float either side of them, signed zeros, subnormals,
    and the largest finite float among Gaussian values, in blocks and in
    the tail."""
    rng = np.random.default_rng(9)
    ends = [np.float32(v) for v in (low, high) if np.isfinite(v)]
    edges = [np.nextafter(e, d) for e in ends for d in (np.float32(-np.inf), np.float32(np.inf))]
    special = np.array(ends + edges + [0.0, -0.0, 1e-45, -1e-45, 3e38, -3e38], np.float32)
    y = rng.standard_normal(4096 + 77).astype(np.float32)
    y[rng.choice(y.size, 8 * special.size, replace=False)] = np.tile(special, 8)
    if magnitudes:   # (and the signs flipped: the magnitudes are the same)
        y[::3] = -y[::3]
    y = y.reshape(1, -1)
    lean, full = _l1._scans(y, low, high, magnitudes)
    values = np.abs(y) if magnitudes else y
    exact = values.astype(np.float64)   # (the bracket's ends are doubles)
    inside = (exact >= low) & (exact < high)
    assert lean is not None
    assert lean[0] == full[0] == np.count_nonzero(exact >= high)
    np.testing.assert_array_equal(bits(lean[2]), bits(full[2]))
    np.testing.assert_array_equal(bits(lean[2]), bits(values[inside]))
    assert lean[1] == full[1]


@pytest.mark.parametrize("n", [100_000, 400_000])      # in L2, and beyond (1 MiB)
@pytest.mark.parametrize("magnitudes", [True, False])
@pytest.mark.parametrize("low_rank, high_rank", [(0.998, None), (0.9990, 0.9995), (0.95, 0.96)])
def test_in_cache_scan_with_few_values_in_the_bracket(scan, n, magnitudes, low_rank, high_rank):
    """Where few values lie in the bracket, the AVX-512 lean scan skips the
    compresses of pairs of vectors with nothing to gather (``sparse`` in
    skp_scan_cached_f32_) and gathers the same values as the full scan: a run
    of bracketed values past the sparse start (the skip turns off, then on
    again) and single ones at a block's end and in the tail."""
    rng = np.random.default_rng(n)
    y = (rng.standard_normal(n) + (0.0 if magnitudes else 10.0)).astype(np.float32)
    values = np.abs(y) if magnitudes else y
    ordered = np.sort(values)
    low = float(ordered[int(low_rank * n)])
    high = np.inf if high_rank is None else float(ordered[int(high_rank * n)])
    inside_value = np.float32(low) if np.isinf(high) else np.float32(0.5 * (low + high))
    y[n // 2:n // 2 + 3000:3] = inside_value       # a run of gathered values
    y[[127, 128 * 300 - 1, n - 5]] = inside_value  # a block's last value, a block's, the tail
    y = y.reshape(1, -1)
    values = np.abs(y) if magnitudes else y
    exact = values.astype(np.float64)
    lean, full = _l1._scans(y, low, high, magnitudes)
    assert lean is not None
    assert lean[0] == full[0] == np.count_nonzero(exact >= high)
    np.testing.assert_array_equal(bits(lean[2]), bits(full[2]))
    np.testing.assert_array_equal(bits(lean[2]), bits(values[(exact >= low) & (exact < high)]))
    assert lean[1] == pytest.approx(full[1], rel=1e-12)


@pytest.mark.parametrize("kind", ["normal", "cauchy", "sorted", "ties"])
@pytest.mark.parametrize("radius", [1.0, 100.0])
@pytest.mark.parametrize("n", [100_000, 300 * 784, 10**6])
def test_simplex_with_few_values_gathered_matches_the_reference(scan, kind, radius, n):
    """The simplex at small radii gathers under 1 % of the values (the scan's
    sparse pairs skip their compresses): the sort-based reference's result."""
    y = _vector(kind, n, 17, np.float32)
    expected = references.simplex(y, radius)
    np.testing.assert_allclose(project_simplex(y, radius), expected, rtol=0,
                               atol=_atol(y, radius, np.float32))


@pytest.mark.parametrize("position", [5, 40000 - 3, 40000 // 2, 312, 40 * 625 + 312])
@pytest.mark.parametrize("bad", [np.nan, -np.nan, np.inf, -np.inf], ids=["nan", "-nan", "inf",
                                                                       "-inf"])
@pytest.mark.parametrize("project", ["l1_ball", "l1_ball_small", "simplex"])
def test_in_cache_scan_detects_nan_and_inf(scan, position, bad, project):
    """NaN (either sign) or inf in a block or in the tail, in a run of the
    sample (which then gives no bracket) or between its 64 runs (312 and
    25312: only the scan sees it): the lean scan's bracket fails and the
    full scan raises.  A small radius, as the simplex's radius 1, leaves the
    bracket no high end (the lean scan's ``open`` loop, where the largest
    magnitude's bits show them)."""
    y = _vector("normal", 40000, 1, np.float32)
    radius = 0.5 * float(np.abs(y.astype(np.float64)).sum()) if project == "l1_ball" else 1.0
    assert (_l1._sampled_bracket(y.reshape(1, -1), radius, project != "simplex")[1]
            == np.finfo(np.float64).max) == (project != "l1_ball")
    y[position] = bad
    assert np.signbit(y[position]) == np.signbit(bad)
    function = project_simplex if project == "simplex" else project_l1_ball
    with pytest.raises(ValueError, match="NaN or infinity"):
        function(y, radius)


def test_in_cache_simplex_with_a_negative_threshold(scan):
    """All values negative: the bracket lies below 0 (``high < 0``), the lean scan applies."""
    y = _vector("normal", 30011, 2, np.float32) - np.float32(50.0)
    for radius in (1.0, 10.0):
        np.testing.assert_allclose(project_simplex(y, radius), references.simplex(y, radius),
                                   rtol=0, atol=_atol(y, radius, np.float32))


@pytest.mark.parametrize("kind", ["normal", "cauchy", "ties"])
@pytest.mark.parametrize("share", [1e-3, 0.5, 0.9])
def test_in_cache_write_is_the_avx2_loops_result(kind, share):
    """The AVX-512 write of float32 in cache: bit for bit the AVX2 loop's result at the same tau."""
    y = _vector(kind, 40009, 4, np.float32).reshape(1, -1)
    for kernel, values in ((_l1.l1_ball, np.abs(y)), (_l1.simplex, y)):
        radius = _radius_keeping(values.ravel(), share)
        results = []
        for avx512 in (True, False):
            _l1._set_testing(avx512=avx512)
            try:
                out = np.empty_like(y)
                results.append((kernel(y, out, radius), out))
            finally:
                _l1._set_testing()
        (status, tau), x = results[0]
        assert status == results[1][0][0]
        if tau == results[1][0][1]:   # (the two scans' sums may round apart)
            np.testing.assert_array_equal(x, results[1][1])
        np.testing.assert_allclose(x, results[1][1], rtol=0,
                                   atol=_atol(y, radius, np.float32))


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [8, 15, 40009, 100003])
@pytest.mark.parametrize("share", [1e-3, 0.5, 0.9])
def test_float64_scans_give_the_same_bits(kind, n, share):
    """float64's AVX-512 scan sums and gathers as the AVX2 scan: the same tau and result.

    Its vectors hold the AVX2 loop's two accumulators side by side, and near
    a full buffer it gathers or refuses each half of a block as the AVX2
    loop does (ties and equal values fill the buffer: the Newton passes
    then take over, after the same scan).
    """
    if not _l1._set_testing(avx512=True):
        _l1._set_testing()
        pytest.skip("the CPU has no AVX-512F")
    y = _vector(kind, n, 6, np.float64).reshape(1, -1)
    try:
        for kernel, values in ((_l1.l1_ball, np.abs(y)), (_l1.simplex, y)):
            radius = _radius_keeping(values.ravel(), share)
            results = []
            for avx512 in (True, False):
                _l1._set_testing(avx512=avx512)
                out = np.empty_like(y)
                results.append((kernel(y, out, radius), out))
            assert results[0][0] == results[1][0]
            np.testing.assert_array_equal(results[0][1].view(np.uint64),
                                          results[1][1].view(np.uint64))
    finally:
        _l1._set_testing()


@pytest.mark.parametrize("magnitudes", [True, False])
@pytest.mark.parametrize("n", [64, 1003])
def test_float64_scans_fill_the_buffer_alike(n, magnitudes, rng):
    """Buffers that fill within a block: the same values gathered, the same overflow.

    Capacities from well below to above the values inside the bracket, so
    that the last blocks meet a buffer with fewer than eight places left.
    """
    if not _l1._set_testing(avx512=True):
        _l1._set_testing()
        pytest.skip("the CPU has no AVX-512F")
    y = rng.standard_normal((1, n))
    low, high = 0.3, 1.2
    values = np.abs(y) if magnitudes else y
    inside = int(((values >= low) & (values < high)).sum())
    try:
        for capacity in range(max(inside - 24, 1), inside + 9):
            results = []
            for avx512 in (True, False):
                _l1._set_testing(avx512=avx512)
                results.append(_l1._full_scan(y, low, high, capacity, magnitudes))
            (*sums, gathered), (*sums_avx2, gathered_avx2) = results
            assert sums == sums_avx2, capacity
            np.testing.assert_array_equal(gathered, gathered_avx2)
            # (an overflow where the values cannot fit; the AVX2 rule may also
            # refuse a block with up to three places left; else all are there)
            overflow = sums[3]
            assert overflow or capacity >= inside
            assert overflow or gathered.size == inside
    finally:
        _l1._set_testing()


@pytest.mark.parametrize("n", [100_003, 200_003])     # in L2, and beyond (1 MiB)
@pytest.mark.parametrize("magnitudes", [True, False])
@pytest.mark.parametrize("room", ["ample", "short"])
def test_float64_scans_with_few_values_in_the_bracket(n, magnitudes, room):
    """Where few values lie in the bracket, float64's AVX-512 scan skips the
    compresses of vectors with nothing to gather (skp_scan_blocks512_f64_)
    and still sums and gathers as the AVX2 scan, bit for bit: a run of
    bracketed values past the sparse start, single ones at a block's end and
    in the tail; with a buffer that fills in the sparse blocks too."""
    if not _l1._set_testing(avx512=True):
        _l1._set_testing()
        pytest.skip("the CPU has no AVX-512F")
    rng = np.random.default_rng(n)
    y = rng.standard_normal((1, n)) + (0.0 if magnitudes else 10.0)
    values = np.abs(y) if magnitudes else y
    ordered = np.sort(values, axis=None)
    low, high = float(ordered[int(0.999 * n)]), float(ordered[int(0.9995 * n)])
    y[0, n // 2:n // 2 + 3000:3] = 0.5 * (low + high)
    y[0, [127, 128 * 300 - 1, n - 5]] = 0.5 * (low + high)
    values = np.abs(y) if magnitudes else y
    inside = values[(values >= low) & (values < high)]
    capacity = inside.size + 16 if room == "ample" else inside.size // 2
    try:
        results = []
        for avx512 in (True, False):
            _l1._set_testing(avx512=avx512)
            results.append(_l1._full_scan(y, low, high, capacity, magnitudes))
        (*sums, gathered), (*sums_avx2, gathered_avx2) = results
        assert sums == sums_avx2
        np.testing.assert_array_equal(gathered.view(np.uint64), gathered_avx2.view(np.uint64))
        if room == "ample":
            np.testing.assert_array_equal(gathered, inside)
        else:
            assert sums[3]    # (the overflow reported)
    finally:
        _l1._set_testing()


@pytest.mark.parametrize("n", [1, 3, 4, 5, 13, 64, 1003, 40009, (1 << 20) + 13])
def test_float64_writes_at_every_alignment_give_the_same_bits(n):
    """float64's AVX-512 write (``skp_shrink512_f64``): its stores start on the
    output's cache lines, a masked vector before; the bits of the AVX2 loop's
    result wherever the output lies (signed zeros included), also streamed
    (8 MiB and more)."""
    if not _l1._set_testing(avx512=True):
        _l1._set_testing()
        pytest.skip("the CPU has no AVX-512F")
    y = _vector("ties", n, 8, np.float64).reshape(1, -1)
    y[0, ::7] = -0.0
    # (the input too: each shift of its aligned loads, and none where it lies
    # an odd number of bytes off)
    offsets = ([(0, o) for o in range(0, 64, 8)] + [(o, 16) for o in (8, 24, 40, 56, 3)]
               if n < 1 << 20 else [(0, 0), (16, 8), (0, 56)])
    try:
        for kernel, values in ((_l1.l1_ball, np.abs(y)), (_l1.simplex, y)):
            radius = 0.5 * float(np.abs(values).sum()) + 0.5
            for y_offset, out_offset in offsets:
                moved = at_offset(y, y_offset)
                results = []
                for avx512 in (True, False):
                    _l1._set_testing(avx512=avx512)
                    out = at_offset(np.zeros_like(y), out_offset)
                    results.append((kernel(moved, out, radius), out))
                assert results[0][0] == results[1][0]
                np.testing.assert_array_equal(bits(results[0][1]), bits(results[1][1]))
    finally:
        _l1._set_testing()


def test_in_cache_torch_and_numpy_agree():
    torch = pytest.importorskip("torch")
    y = _vector("normal", 100_000, 6, np.float32).reshape(100, 1000)
    radius = 0.5 * float(np.abs(y.astype(np.float64)).sum())
    expected = project_l1_ball(y, radius)
    out = torch.empty(100, 1000)
    project_l1_ball(torch.from_numpy(y), radius, out=out)
    np.testing.assert_array_equal(out.numpy(), expected)
    np.testing.assert_allclose(expected, references.l1_ball(y, radius), rtol=0,
                               atol=_atol(y, radius, np.float32))


@pytest.mark.parametrize("n", [1, 2, 16, 17, 100, 1001, 5000])
@pytest.mark.parametrize("kind", ["normal", "ties", "all_equal", "sorted"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_vector_selection_of_the_sample(scan, n, kind, dtype):
    """The sample's AVX-512 and AVX2 quickselects give the order statistics of a sort
    (float32: those of the sample taken in float)."""
    values = _vector(kind, n, n, dtype)
    for k in sorted({0, n // 3, n // 2, n - 1}):
        result = _l1._kth_smallest(values.copy(), k)
        if result is None:
            pytest.skip("the CPU has no AVX2")
        assert result == np.sort(values)[k]


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.floats(allow_nan=False), min_size=1, max_size=300),
       dtype=st.sampled_from([np.float64, np.float32]), data=st.data())
def test_vector_selections_on_any_values(values, dtype, data):
    """Both quickselects, on any values (infinities, signed zeros, ties) and any rank."""
    with np.errstate(over="ignore"):   # (float32: large doubles become infinities)
        values = np.array(values).astype(dtype)
    k = data.draw(st.integers(0, values.size - 1), label="k")
    try:
        for avx512 in (True, False):
            _l1._set_testing(avx512=avx512)
            result = _l1._kth_smallest(values.copy(), k)
            assert result is None or result == np.sort(values)[k]
    finally:
        _l1._set_testing()


def test_no_vector_selection_without_the_vector_loops():
    _l1._set_testing(simd=False)
    try:
        assert _l1._kth_smallest(np.arange(40.0), 3) is None
    finally:
        _l1._set_testing()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("share", [0.01, 0.5, 0.9])
@pytest.mark.parametrize("magnitudes", [True, False])
@pytest.mark.parametrize("through_total", [False, True])
def test_float_sample_brackets_tau_as_the_double_one(scan, kind, share, magnitudes,
                                                     through_total):
    """The bracket of a float32 row's sample taken in float (AVX-512 or AVX2 loops)
    holds tau where the sample taken in double does (always on Gaussian values; heavy
    tails may mislead both samples), with as few values inside: a wrong bracket would
    only cost the Newton passes, which the results would not show.  The same
    through the sum S of the values (``known_total``, after a miss: the simplex's
    values shifted to be non-negative, as it takes that bracket only there)."""
    y = _vector(kind, 100_000, 5, np.float32).reshape(1, -1)
    if through_total and not magnitudes:
        y = y - y.min()
    values = (np.abs(y) if magnitudes else y).astype(np.float64)   # (bounds may be +-DBL_MAX)
    radius = _radius_keeping(values.ravel(), share)
    total = float(values.sum()) if through_total else np.nan
    float_bracket = _l1._sampled_bracket(y, radius, magnitudes, total)
    _l1._set_testing(simd=False)
    try:
        double_bracket = _l1._sampled_bracket(y, radius, magnitudes, total)
    finally:
        _l1._set_testing(avx512=scan)
    tau = references.simplex_threshold_sorted(values, radius)
    holds = [low <= tau <= high for low, high in (float_bracket, double_bracket)]
    # (through S, the sample's radius is a difference of two large sums: at 1 %
    # kept on values shifted far from 0 both samples miss, alike)
    assert holds[0] == holds[1] and (holds[0] or kind != "normal" or through_total)
    inside = [np.count_nonzero((values >= low) & (values < high))
              for low, high in (float_bracket, double_bracket)]
    assert inside[0] <= 1.05 * inside[1] + 16


@pytest.mark.parametrize("n", [40009, 100_000, 23])
def test_in_cache_write_at_every_alignment(n):
    """The AVX-512 write aligns its stores to the output's lines and its loads to the
    input's: every pair of offsets (whole floats or not) gives the same bits."""
    y = _vector("normal", n, 8, np.float32).reshape(1, -1)
    for kernel, values in ((_l1.l1_ball, np.abs(y)), (_l1.simplex, y)):
        radius = _radius_keeping(values.ravel(), 0.3)
        expected = np.empty_like(y)
        status, tau = kernel(y, expected, radius)
        for in_offset in range(0, 64, 4):
            for out_offset in (0, 4, 36, 2):
                source = at_offset(y, in_offset + (out_offset == 2))
                out = at_offset(np.zeros_like(y), out_offset)
                assert kernel(source, out, radius) == (status, tau)
                np.testing.assert_array_equal(out, expected,
                                              err_msg=f"offsets {in_offset}, {out_offset}")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("share", [1e-4, 0.01, 0.5, 0.9, 0.999])
def test_float_sample_of_an_array_in_cache(scan, kind, share):
    """A 100 x 1000 float32 array: the sampled bracket is taken in float (AVX-512 or
    AVX2 loops); both against the references, ties and tiny radii included."""
    y = _vector(kind, 100_000, 12, np.float32)
    check_l1_ball_and_simplex(y, share)
    y = y.reshape(100, 1000)
    largest = float(np.abs(y).max())
    for radius in (1e-6 * largest, 1e-2 * largest):   # tiny: tau near the largest magnitude
        np.testing.assert_allclose(project_l1_ball(y, radius), references.l1_ball(y, radius),
                                   rtol=0, atol=_atol(y, radius, np.float32))
    norm = float(np.abs(y.astype(np.float64)).sum())
    for radius in (1.001 * norm, 2 * norm):   # inside: y unchanged
        np.testing.assert_array_equal(project_l1_ball(y, radius), y)


@pytest.mark.parametrize("n", [2 ** 15, 50_000, 2 ** 16 + 1, 100_000, 300_000])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_gather_holds_the_sampled_bracket(scan, n, dtype, rng):
    """The values inside the sampled bracket fit the gather buffer at every
    support: from 2**15 to 2**16 values the sample holds 1024 of them, whose
    bracket at half the support spans 14 % of the values, more than the eighth
    the buffer once held (the scan then overflowed, and Newton's passes over the
    data took 14-43 times a copy)."""
    y = rng.standard_normal(n).astype(dtype).reshape(1, -1)
    values = np.abs(y).astype(np.float64).ravel()
    room = _l1._gather_room(n)
    assert room <= n // 4
    for share in (0.1, 0.3, 0.5, 0.7, 0.9):
        low, high = _l1._sampled_bracket(y, _radius_keeping(values, share))
        assert np.count_nonzero((values >= low) & (values < high)) <= room, share


_FLOAT32_EDGES = np.array([0.0, -0.0, np.inf, -np.inf, np.float32(np.finfo(np.float32).max),
                           -np.float32(np.finfo(np.float32).max),
                           np.float32(np.finfo(np.float32).smallest_subnormal),
                           -np.float32(np.finfo(np.float32).smallest_subnormal), 1.0, -1.0])


def _float_bounds_cases(bounds):
    """Bounds and, for each, float32 values around it: the edges of float32,
    and the float nearest the bound with its neighbours."""
    bounds = np.asarray(bounds, dtype=np.float64)
    with np.errstate(over="ignore"):    # (beyond FLT_MAX: +-inf, as meant)
        nearest = bounds.astype(np.float32)
        around = [nearest]
        for direction in (np.inf, -np.inf):
            step = nearest
            for _ in range(2):
                step = np.nextafter(step, np.float32(direction))
                around.append(step)
    return bounds, np.concatenate([np.stack(around, axis=1),
                                   np.broadcast_to(_FLOAT32_EDGES.astype(np.float32),
                                                   (bounds.size, _FLOAT32_EDGES.size))], axis=1)


@np.errstate(over="ignore")     # (nextafter from FLT_MAX to inf)
def _check_float_bounds(bounds):
    bounds, values = _float_bounds_cases(bounds)
    below, above, below4 = _l1._float_bounds(bounds)
    if below4 is not None:  # (the AVX2 twin: the same floats, NaN for NaN)
        np.testing.assert_array_equal(below4.view(np.int32), below.view(np.int32))
    for b, low, high, a in zip(bounds, below, above, values):
        if np.isnan(b):
            assert np.isnan(low) and np.isnan(high)
            continue
        a = a.astype(np.float64)
        # the same answer as the double bound for every float32 value
        np.testing.assert_array_equal(a > np.float64(low), a > b, err_msg=f"below {b!r}")
        np.testing.assert_array_equal(a >= np.float64(high), a >= b, err_msg=f"above {b!r}")
        # and the extreme such float: the bound lies between it and its neighbour
        assert np.float64(low) <= b and (b == np.inf or b < np.nextafter(low, np.float32(np.inf)))
        assert b <= np.float64(high) and (b == -np.inf
                                          or np.nextafter(high, np.float32(-np.inf)) < b)


def test_float_bounds_order_every_float_as_the_double_bound():
    """``skp_float_below`` / ``skp_float_above`` (``_float_bounds.h``), which
    the float32 loops compare against, and ``skp_float_below4`` (four at a
    time with AVX2, the same bits as ``skp_float_below``): for every float32
    a, a > below(b) exactly where a > b, a >= above(b) exactly where a >= b,
    and each is the extreme float with that property -- at float32's edges
    too: bounds beyond FLT_MAX but finite (below: FLT_MAX, not +inf), beyond
    -FLT_MAX (above: -FLT_MAX, not -inf), infinite, zero, subnormal, NaN."""
    big = float(np.finfo(np.float32).max)
    tiny = float(np.finfo(np.float32).smallest_subnormal)
    _check_float_bounds([0.0, -0.0, 1e-300, -1e-300, tiny, -tiny, tiny / 2, -tiny / 2,
                         1.0, -1.0, 0.1, -0.1, 1.0 + 2.0 ** -40, big, -big, big * 1.0000001,
                         -big * 1.0000001, 1e300, -1e300, np.inf, -np.inf, np.nan])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=20))
def test_float_bounds_property(bounds):
    _check_float_bounds(bounds)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("draw", ["normal", "cauchy"])
def test_long_runs_take_the_same_bits_with_their_far_prefetch(scan, dtype, draw):
    """Runs of 16 MiB and more read out of cache ask for their lines 16 KiB ahead
    (on AMD CPUs; ``skp_ahead_for``): the l1 ball's scans and write, and the
    simplex's, give the same bits with and without, and the references' result.

    (Cauchy values take the scan twice: the sample's bracket misses without
    their sum.  The run is one vector and a few values past the threshold, so
    the loops' tails run too.)"""
    rng = np.random.default_rng(11)
    n = (1 << 24) // np.dtype(dtype).itemsize + 21
    y = getattr(rng, "standard_" + draw)(n).astype(dtype)
    radius = _radius_keeping(np.abs(y.astype(np.float64)), 0.3)
    results = []
    try:
        for ahead in (0, 16384):
            _l1._set_stream_ahead(ahead)
            results.append((project_l1_ball(y, radius), project_simplex(y, 1.0)))
    finally:
        _l1._set_stream_ahead(-1)
    for with_ahead, without in zip(results[1], results[0]):
        np.testing.assert_array_equal(bits(with_ahead), bits(without))
    np.testing.assert_allclose(results[1][0], references.l1_ball(y, radius), rtol=0,
                               atol=_atol(y, radius, dtype))
    np.testing.assert_allclose(results[1][1], references.simplex(y, 1.0), rtol=0,
                               atol=_atol(y, 1.0, dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("share", [0.01, 0.5, 0.9])
@pytest.mark.parametrize("n", [(1 << 20) + 5, 100_003], ids=["long", "in cache"])
def test_heavy_tails_without_a_sampled_bracket_take_their_sum_first(dtype, share, n):
    """Where the sample gives no bracket (Cauchy values: their sum misses the
    extremes that carry S), S comes from a plain read and the bracket through
    it, before the one scan (way 1), on an array in cache as on a long one:
    the references' result; NaN still found."""
    rng = np.random.default_rng(12)
    y = rng.standard_cauchy(n).astype(dtype)
    radius = _radius_keeping(np.abs(y.astype(np.float64)), share)
    lo, hi = _l1._sampled_bracket(y.reshape(1, -1), radius)
    if lo > -np.finfo(np.float64).max or hi < np.finfo(np.float64).max:
        pytest.skip("this draw's sample gives a bracket")     # (the other path)
    np.testing.assert_allclose(project_l1_ball(y, radius), references.l1_ball(y, radius),
                               rtol=0, atol=_atol(y, radius, dtype))
    assert _l1._last_threshold_way() == 1
    y[54321] = np.nan
    with pytest.raises(ValueError, match="finite"):
        project_l1_ball(y, radius)


def _between_the_sample_runs(n, count, runs=1024):
    """``count`` indices (a divisor of ``runs``) of a long contiguous row that
    the threshold's sample never reads: the middles of gaps spread evenly
    between its ``runs`` runs of 16 values (1024: 16384 sampled from 2**20
    values on; 97 on 100000 values, 1552 of them sampled: ``_sample_bracket``)."""
    gap = n // runs
    return np.arange(runs)[::runs // count] * gap + gap // 2


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_bracket_missed_below_tau_gathers_the_values_above_it(dtype):
    """Extremes the sample cannot see (planted between its runs) put tau far
    above the sampled bracket; the values above the bracket fit the buffer, so
    the next scan gathers them all (way 1, not Newton's passes): the
    references' result."""
    n = (1 << 24) // np.dtype(dtype).itemsize
    y = np.random.default_rng(13).standard_normal(n).astype(dtype)
    planted = _between_the_sample_runs(n, n // 16384)
    y[planted] = 1000.0
    radius = 500.0 * planted.size
    lo, hi = _l1._sampled_bracket(y.reshape(1, -1), radius)
    assert hi < 100.0                        # the bracket lies in the bulk, far below tau
    x = project_l1_ball(y, radius)
    assert _l1._last_threshold_way() == 1
    np.testing.assert_allclose(x, references.l1_ball(y, radius), rtol=0,
                               atol=_atol(y, radius, dtype))
    assert np.count_nonzero(x) == planted.size


_LONG_FLOAT32 = (1 << 22) + 21       # 16 MiB and a few values: beyond the cache, a tail


@pytest.mark.parametrize("rows", ["one run", "padded rows"])
@pytest.mark.parametrize("share", [0.01, 0.5, 0.9])
def test_long_float32_magnitudes_take_the_lean_scan(scan, share, rows):
    """Beyond the cache too, the l1 ball's float32 magnitudes take the scan
    without the total (``_scan_cached``): the full scan's counts, sums and
    gathered values, and the references' result from the sampled bracket;
    on one long run (its far prefetch) and on rows apart in memory."""
    rng = np.random.default_rng(14)
    if rows == "one run":
        y = rng.standard_normal(_LONG_FLOAT32).astype(np.float32)
        matrix = y.reshape(1, -1)
    else:
        y = rng.standard_normal((1030, 4112)).astype(np.float32)[:, :4097]
        matrix = y
    radius = _radius_keeping(np.abs(y.astype(np.float64)).ravel(), share)
    low, high = _l1._sampled_bracket(matrix, radius)
    assert 0 < low < high < np.inf
    lean, full = _l1._scans(matrix, low, high)
    assert lean is not None
    assert lean[:2] == full[:2]
    np.testing.assert_array_equal(bits(lean[2]), bits(full[2]))
    np.testing.assert_allclose(project_l1_ball(y, radius), references.l1_ball(y, radius),
                               rtol=0, atol=_atol(y, radius, np.float32))
    assert _l1._last_threshold_way() == 0


@pytest.mark.parametrize("bad", [np.nan, -np.nan, np.inf, -np.inf], ids=["nan", "-nan", "inf",
                                                                       "-inf"])
@pytest.mark.parametrize("project", ["l1_ball", "simplex"])
def test_long_float32_lean_scan_finds_nan_and_inf(scan, bad, project):
    """A NaN or an inf the sample did not draw: the lean scan's sums above the
    bracket (the l1 ball at half its norm) or, where the bracket has no high
    end (the simplex at radius 100), the largest magnitude's bits show it,
    the bracket fails, and the plain read of S (the l1 ball) or the full scan
    (the simplex) refuses it."""
    y = np.random.default_rng(15).standard_normal(_LONG_FLOAT32).astype(np.float32)
    y[_LONG_FLOAT32 // 3 + 7] = bad
    with pytest.raises(ValueError, match="NaN or infinity"):
        if project == "l1_ball":
            project_l1_ball(y, 0.5 * float(np.abs(y[np.isfinite(y)]).sum()))
        else:
            project_simplex(y, 100.0)


@pytest.mark.parametrize("share", [1e-3, 0.1, 0.4])
def test_long_float32_simplex_takes_the_lean_scan(scan, share):
    """The simplex of a long float32 array takes the lean scan too: the
    references' result from the sampled bracket; where extremes planted
    between the sample's runs make it miss, the bracket through the sum of
    the positive parts (way 1), the references' result."""
    n = _LONG_FLOAT32
    y = np.random.default_rng(17).standard_normal(n).astype(np.float32)
    positive = np.sort(np.maximum(y.astype(np.float64), 0.0))[::-1]
    k = int(share * n)
    radius = float(positive[:k].sum() - k * positive[k])
    np.testing.assert_allclose(project_simplex(y, radius), references.simplex(y, radius),
                               rtol=0, atol=_atol(y, radius, np.float32))
    assert _l1._last_threshold_way() == 0
    planted = _between_the_sample_runs(n, 256)
    y[planted] = 1000.0
    radius = 500.0 * planted.size
    x = project_simplex(y, radius)
    assert _l1._last_threshold_way() == 1
    np.testing.assert_allclose(x, references.simplex(y, radius), rtol=0,
                               atol=_atol(y, radius, np.float32))


@pytest.mark.parametrize("kind", ["extremes", "negative"])
def test_long_float32_simplex_after_a_lean_miss(scan, kind):
    """Extremes planted between the sample's runs put tau above the lean
    scan's bracket (about 0.45 against 0.3), with a third of the values
    above it, more than the buffer holds: the bracket through the sum of the
    positive parts then holds tau (way 1).  Values all below 0: the bracket
    lies below 0, and the lean scan runs there too.  The references'
    results."""
    n = _LONG_FLOAT32
    y = np.random.default_rng(18).standard_normal(n).astype(np.float32)
    if kind == "extremes":
        y[_between_the_sample_runs(n, 256)] = 1000.0
        radius = float(np.maximum(y.astype(np.float64) - 0.45, 0.0).sum())
        low, high = _l1._sampled_bracket(y.reshape(1, -1), radius, magnitudes=False)
        assert 0 < low < high < 0.45 and np.count_nonzero(y > high) > _l1._gather_room(n)
    else:
        y -= np.float32(50.0)
        radius = 10.0
    np.testing.assert_allclose(project_simplex(y, radius), references.simplex(y, radius),
                               rtol=0, atol=_atol(y, radius, np.float32))
    assert _l1._last_threshold_way() == (1 if kind == "extremes" else 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_an_unsure_sampled_bracket_takes_the_sum_first(dtype):
    """Log-normal magnitudes at 90 % kept: the sampled bracket would need many
    times the widening it may take, and the terms min(v, t) of the bracket
    through S spread far less (``skp_bracket_spreads``' ``sum_half``), so
    the sample gives no bracket, S comes first (way 1): the references'
    result.  The simplex keeps its sampled bracket."""
    y = np.random.default_rng(16).lognormal(0.0, 1.5, (1 << 22) + 5).astype(dtype)
    radius = _radius_keeping(y.astype(np.float64), 0.9)
    low, high = _l1._sampled_bracket(y.reshape(1, -1), radius)
    assert low == -np.finfo(np.float64).max and high == np.finfo(np.float64).max
    np.testing.assert_allclose(project_l1_ball(y, radius), references.l1_ball(y, radius),
                               rtol=0, atol=_atol(y, radius, dtype))
    assert _l1._last_threshold_way() == 1
    low, high = _l1._sampled_bracket(y.reshape(1, -1), radius, magnitudes=False)
    assert -np.inf < low < high < np.inf


_IN_CACHE = 100_000    # values: 400 or 800 KB, in cache; the sample reads 97 runs of 16


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_in_cache_miss_reads_the_sum_and_scans_once_more(scan, dtype):
    """An array in cache whose sampled bracket misses tau (extremes planted
    between the sample's runs carry a fifth of S, so tau lies above the
    bracket, with too many values above it to gather): S by a plain read
    (float32's lean scan has no total) and the bracket through it, one more
    scan (way 1): the references' result."""
    y = np.random.default_rng(17).standard_normal(_IN_CACHE).astype(dtype)
    planted = _between_the_sample_runs(y.size, 97, runs=97)
    y[planted] = 200.0
    radius = 0.5 * float(np.abs(y.astype(np.float64)).sum())
    lo, hi = _l1._sampled_bracket(y.reshape(1, -1), radius)
    tau = references.simplex_threshold_sorted(np.abs(y), radius)
    assert 0 < lo < hi < tau
    np.testing.assert_allclose(project_l1_ball(y, radius), references.l1_ball(y, radius),
                               rtol=0, atol=_atol(y, radius, dtype))
    assert _l1._last_threshold_way() == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("planted_value", [1000.0, np.finfo(np.float32).max / 200])
def test_no_bracket_even_through_the_sum_takes_newtons_passes(scan, dtype, planted_value):
    """Extremes the sample cannot see hold most of S, and tau lies among
    them: even through S the sample gives no bracket, so Newton's passes (the
    scans' loops, counting from a lower bound, then gathering) find tau
    (way 2): the references' result, the extremes alone kept."""
    y = np.random.default_rng(18).standard_normal(_IN_CACHE).astype(dtype)
    planted = _between_the_sample_runs(y.size, 97, runs=97)
    y[planted] = planted_value
    radius = 0.5 * planted_value * planted.size
    x = project_l1_ball(y, radius)
    assert _l1._last_threshold_way() == 2
    np.testing.assert_allclose(x, references.l1_ball(y, radius), rtol=0,
                               atol=_atol(y, radius, dtype))
    assert np.count_nonzero(x) == planted.size


# The scan of a float32 array in cache widens its gather where the sample puts
# few values at or above the bracket's low end (1: its loop then takes no sums
# above) or, on the l1 ball, below its high end (-1: the total alone), with
# AVX-512 and with AVX2, and parts the gathered values after; widened down, its
# low end is Michelot's bound (S - radius) / n, which never misses tau
# (``_l1._gather_limit``, ``skp_scan_cached_f32_``, ``skp_scan_cached256_f32_``).

@pytest.fixture(params=[True, False], ids=["avx512", "avx2"])
def widening(request):
    """Run a test with each scan that widens (up and down): AVX-512's, then AVX2's;
    skipped where the CPU lacks the one.  Gives whether it is AVX-512's."""
    avx512 = request.param
    if (avx512 and not _l1._set_testing(avx512=True)) or not _l1._simd_runs():
        _l1._set_testing()
        pytest.skip("the CPU has no AVX-512F" if avx512 else "the CPU has no AVX2")
    _l1._set_testing(avx512=avx512)
    yield avx512
    _l1._set_testing()


def _assert_lean_as_full(lean, full, values, low, high):
    """The lean scan's ``(count_high, sum_high, gathered)`` are the full scan's
    (its sum up to the float blocks' rounding), and the values gathered are those
    of ``values`` (the scanned ones: |y| on the l1 ball) in [low, high), in order."""
    assert lean is not None
    assert lean[0] == full[0] == np.count_nonzero(values >= np.float32(high))
    np.testing.assert_array_equal(bits(lean[2]), bits(full[2]))
    inside = (values >= np.float32(low)) & (values < np.float32(high))
    np.testing.assert_array_equal(bits(lean[2]), bits(values[inside]))
    assert lean[1] == pytest.approx(full[1], rel=1e-6)


@pytest.mark.parametrize("n", [1100, 4096 + 129, 100_000])
@pytest.mark.parametrize("widen", [1, -1])
def test_widened_scans_count_sum_and_gather_as_the_full_scan(widening, n, widen):
    """Widened either way, the lean scan gives the full scan's count above the
    bracket and values gathered (the blocks and the tail), and its sum above
    up to the float blocks' rounding; widened down, the full scan takes the
    low end it kept, a float just below Michelot's bound."""
    y = _vector("normal", n, 7, np.float32).reshape(1, -1)
    values = np.abs(y).astype(np.float64).ravel()
    ordered = np.sort(values)
    low, high = float(ordered[n // 3]), float(ordered[2 * n // 3])
    radius = 0.9 * float(values.sum())
    lean, full = _l1._scans(y, low, high, True, widen, radius)
    assert lean is not None
    if widen < 0:
        bound = (values.sum() - radius) / n
        assert bound * (1 - 1e-5) <= lean[3] <= bound
        low = lean[3]
    _assert_lean_as_full(lean, full, np.abs(y).ravel(), low, high)


@pytest.mark.parametrize("kind", ["normal", "laplace", "uniform"])
@pytest.mark.parametrize("share, widen", [(0.02, 1), (0.05, 1), (0.5, 0), (0.93, -1), (0.96, -1)])
def test_sample_widens_the_scan_where_few_values_are_gathered(widening, kind, share, widen):
    """The sample widens the scan of 10**5 values up where few are kept, down where
    most are; not at half, nor on an array
    beyond the cache; and the projections at those radii are the reference's."""
    rng = np.random.default_rng(23)
    draw = {"normal": rng.standard_normal, "laplace": lambda size: rng.laplace(size=size),
            "uniform": lambda size: rng.uniform(-1, 1, size)}[kind]
    for n, expected in ((100_000, widen), (400_000, 0)):
        y = draw(n).astype(np.float32)
        radius = _radius_keeping(np.abs(y.astype(np.float64)), share)
        assert _l1._sampled_bracket(y.reshape(1, -1), radius, gather_all=True)[2] == expected
        np.testing.assert_allclose(project_l1_ball(y, radius), references.l1_ball(y, radius),
                                   rtol=0, atol=_atol(y, radius, np.float32))


def test_widened_down_scan_holds_tau_where_the_sampled_bracket_misses(widening):
    """Laplace values (a network's weights, often) kept at 95 and 97 %: the sample's sum
    stands for S within a few percent, and tau is that small a share of it, so the
    sampled bracket misses (a second scan); the scan widened down takes Michelot's
    bound for its low end and holds tau at once, with the reference's result."""
    rng = np.random.default_rng(6)
    y = rng.laplace(size=100_000).astype(np.float32)
    missed = []
    for share in (0.95, 0.97):
        radius = _radius_keeping(np.abs(y.astype(np.float64)), share)
        ways = []
        for gather_all in (False, True):
            _l1._set_testing(avx512=widening, gather_all=gather_all)
            out = np.empty_like(y)
            _l1.l1_ball(y.reshape(1, -1), out.reshape(1, -1), radius)
            ways.append(_l1._last_threshold_way())
            np.testing.assert_allclose(out, references.l1_ball(y, radius), rtol=0,
                                       atol=_atol(y, radius, np.float32))
        missed.append(ways[0] > 0)
        assert ways[1] == 0, share
    assert any(missed)    # (the sampled bracket alone does miss here)


@pytest.mark.parametrize("position", [0, 312, 20000, 39999])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("share", [0.05, 0.95])
def test_widened_scans_find_nan_and_inf(widening, position, bad, share):
    """A NaN or an infinity in a scan widened up (its loop's largest magnitude) or down
    (its total) sends the call to the full scan, which raises."""
    y = _vector("normal", 40000, 1, np.float32)
    radius = _radius_keeping(np.abs(y.astype(np.float64)), share)
    assert _l1._sampled_bracket(y.reshape(1, -1), radius, gather_all=True)[2] != 0
    y[position] = bad
    with pytest.raises(ValueError, match="NaN or infinity"):
        project_l1_ball(y, radius)


def test_widened_down_scan_writes_within_its_buffer(widening):
    """Widened down with a buffer that the gather (nearly) fills: the vector loop's
    last block gathers all its values (its room test passes), and the part keeps
    every value, nothing written past the buffer.  AVX-512: a buffer one value
    longer than the gather, the part's last vector a partial one, its kept values
    stored under a mask (a full store there wrote 7 floats past it); AVX2: blocks
    of 64, a buffer of the gather's length exactly, the part's last 7 values one
    by one."""
    y = np.linspace(1.0, 2.0, 4096, dtype=np.float32).reshape(1, -1)
    above = 8 if widening else 9       # (above the bracket: 4088 or 4087 values gathered)
    y[0, :above] = 100.0
    radius = 0.999 * float(y.astype(np.float64).sum())
    room = 4096 - above + (1 if widening else 0)
    lean, full = _l1._scans(y, 0.5, 50.0, True, -1, radius, capacity=room)
    assert lean is not None and lean[2].size == 4096 - above
    assert lean[0] == full[0] == above
    np.testing.assert_array_equal(bits(lean[2]), bits(y[0, above:]))


@pytest.mark.parametrize("n", [1100, 4096 + 129, 100_000])
def test_widened_up_scan_of_signed_values_as_the_full_scan(widening, n):
    """Widened up on the simplex's signed values (the negative ones below the low
    end, never gathered), the lean scan gives the full scan's count above the
    bracket and values gathered, and its sum above up to the float blocks'
    rounding."""
    y = _vector("normal", n, 5, np.float32).reshape(1, -1)
    ordered = np.sort(y.astype(np.float64).ravel())
    low, high = float(ordered[9 * n // 10]), float(ordered[97 * n // 100])
    lean, full = _l1._scans(y, low, high, False, 1)
    _assert_lean_as_full(lean, full, y.ravel(), low, high)


@pytest.mark.parametrize("n", [1100, 1107])
def test_widened_up_scan_counts_values_at_the_high_end_above(widening, n):
    """Widened up, the values tied at the bracket's high end count as above it, as
    the full scan counts them, in the part's vectors and in its last values one by
    one (AVX2: the last of every 8 gathered; the row ends with ties)."""
    y = np.linspace(1.0, 2.0, n, dtype=np.float32)
    high = np.float32(1.5)
    y[::7] = high
    y[-5:] = high
    y = y.reshape(1, -1)
    lean, full = _l1._scans(y, 1.2, float(high), True, 1)
    _assert_lean_as_full(lean, full, y.ravel(), 1.2, float(high))


def test_no_gather_widened_down_from_zeros_at_the_low_end(widening):
    """Zeros tied at the bracket's low end (standardized data, sparse data): its
    gather leaves them out, a gather widened down would take every one, so the
    scan is not widened there; the projection is the reference's."""
    rng = np.random.default_rng(31)
    y = (rng.standard_normal(100_000) * (rng.random(100_000) > 0.05)).astype(np.float32)
    radius = 0.95 * float(np.abs(y.astype(np.float64)).sum())
    low, high, widen = _l1._sampled_bracket(y.reshape(1, -1), radius, gather_all=True)
    assert low == 0.0 and high < np.inf
    assert widen == 0
    np.testing.assert_allclose(project_l1_ball(y, radius), references.l1_ball(y, radius),
                               rtol=0, atol=_atol(y, radius, np.float32))
