"""Vector projections against sort-based references and closed forms."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skproj.projections import (
    group_norms, project_l1_ball, project_l2_ball, project_linf_ball, project_simplex,
)

import references
from addresses import at_offset, bits


def _random_vector(rng, case):
    """Signed vectors with ties, zeros and a wide range of scales."""
    n = int(rng.integers(1, 60))
    kind = case % 4
    if kind == 0:
        y = rng.standard_normal(n)
    elif kind == 1:  # ties
        y = rng.choice([-2.0, -1.0, 0.0, 1.0, 3.0], size=n)
    elif kind == 2:  # sparse
        y = rng.standard_normal(n) * (rng.random(n) < 0.2)
    else:
        y = rng.standard_normal(n) ** 3
    return y * 10.0 ** rng.integers(-8, 9)


RADII = [0.0, 1e-3, 0.1, 0.5, 0.9, 1.0, 2.0]  # as fractions of ||y||_1


@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-10), (np.float32, 1e-5)])
def test_l1_ball_matches_sort_based_reference(dtype, rtol):
    rng = np.random.default_rng(1)
    for case in range(300):
        y = _random_vector(rng, case).astype(dtype)
        radius = RADII[case % len(RADII)] * float(np.abs(y, dtype=np.float64).sum())
        x = project_l1_ball(y, radius)
        expected = references.l1_ball(y, radius)
        assert x.dtype == dtype
        scale = max(np.abs(y).max(), 1e-300)
        np.testing.assert_allclose(x, expected, rtol=0, atol=rtol * scale * 4)
        assert np.abs(x, dtype=np.float64).sum() <= radius * (1 + 4 * rtol) + 1e-300


@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-10), (np.float32, 1e-5)])
def test_simplex_matches_sort_based_reference(dtype, rtol):
    rng = np.random.default_rng(2)
    for case in range(300):
        y = _random_vector(rng, case).astype(dtype)
        radius = [0.0, 0.3, 1.0, 5.0][case % 4] * max(np.abs(y).max(), 1.0)
        x = project_simplex(y, radius)
        expected = references.simplex(y, radius)
        scale = max(np.abs(y).max(), radius, 1e-300)
        np.testing.assert_allclose(x, expected, rtol=0, atol=rtol * scale * 4)
        assert (x >= 0).all()
        assert abs(x.sum(dtype=np.float64) - radius) <= 8 * rtol * scale * max(1, x.size ** 0.5)


def test_l1_ball_large_vector_threshold_structure(rng):
    y = rng.standard_normal(10 ** 6)
    radius = 100.0
    x = project_l1_ball(y, radius)
    np.testing.assert_allclose(np.abs(x).sum(), radius, rtol=1e-12)
    # One common threshold: kept entries moved by the same amount.
    moved = np.abs(y) - np.abs(x)
    tau = moved[x != 0]
    np.testing.assert_allclose(tau, tau[0], rtol=1e-9)
    assert (np.abs(y[x == 0]) <= tau[0] * (1 + 1e-12)).all()


def test_l2_and_linf_closed_forms(rng):
    y = rng.standard_normal((7, 5))
    np.testing.assert_allclose(project_l2_ball(y, 1.0), y / np.linalg.norm(y))
    np.testing.assert_allclose(project_linf_ball(y, 0.5), np.clip(y, -0.5, 0.5))
    huge = np.array([3e200, 4e200])
    np.testing.assert_allclose(project_l2_ball(huge, 1.0), [0.6, 0.8])


def _loops(simd, avx512):
    """Run the l1 module's and the bi-level module's loops at one level."""
    from skproj.projections import _bilevel, _l1

    _l1._set_testing(simd=simd)
    return _bilevel._set_column_paths(avx512=avx512)


@pytest.mark.parametrize("length", [1, 7, 8, 9, 15, 16, 17, 33, 1000, 4099])
def test_float32_l2_ball_scales_in_double_by_every_loop(length, rng):
    """The l2 ball of a float32 array outside it: every product in double,
    rounded once to float32 (NumPy's float32 array times a float64 scalar,
    the general way's bits), by the AVX-512, AVX2 and plain C loops alike,
    every residue of a vector's length, in place and apart."""
    y = (rng.standard_normal(length) * 10.0 ** rng.integers(-3, 3, length)).astype(np.float32)
    radius = 0.37 * float(np.linalg.norm(y.astype(np.float64)))
    try:
        for simd, avx512 in ((True, True), (True, False), (False, False)):
            _loops(simd, avx512)
            # (the kernel's own norm: the loops sum the squares in their orders)
            norm = group_norms(y.reshape(1, -1), "l2", axis=1)[0]
            expected = (y.astype(np.float64) * (radius / norm)).astype(np.float32)
            np.testing.assert_array_equal(bits(project_l2_ball(y, radius)), bits(expected))
            z = y.copy()
            assert project_l2_ball(z, radius, out=z) is z
            np.testing.assert_array_equal(bits(z), bits(expected))
    finally:
        _loops(True, True)


# (2**21 float32 values and 2**20 float64 make 8 MiB: a result written past the
# caches, by non-temporal stores)
@pytest.mark.parametrize("dtype, lengths", [
    (np.float32, [1, 15, 17, 31, 33, 100, 1000, 1031, 2 ** 21 + 5]),
    (np.float64, [1, 7, 9, 33, 100, 1000, 1031, 2 ** 20 + 3]),
])
def test_l2_and_linf_balls_write_numpys_bits_at_every_offset(dtype, lengths, rng):
    """project_l2_ball's scale by the kernel's own norm, each product in
    double rounded once (NumPy's float32 array times a float64 scalar), and
    project_linf_ball's clip at the radius rounded to the dtype, by the
    AVX-512, AVX2 and plain loops alike: inputs and results at every offset
    from a cache line that NumPy's alignment allows (the AVX-512 loops store
    whole lines, the first and last few values under masks), in place and
    apart, and large results streamed."""
    try:
        for n in lengths:
            y = (rng.standard_normal(n) * 10.0 ** rng.integers(-3, 3, n)).astype(dtype)
            l2_radius = 0.37 * float(np.linalg.norm(y.astype(np.float64)))
            linf_radius = 0.29 * float(np.abs(y).max())
            offsets = [0, 16] if n > 10 ** 6 else range(0, 64, y.itemsize)
            for simd, avx512 in ((True, True), (True, False), (False, False)):
                if _loops(simd, avx512) != avx512:
                    continue     # (the CPU lacks AVX-512F)
                norm = group_norms(y.reshape(1, -1), "l2", axis=1)[0]
                expected = {project_l2_ball: (y.astype(np.float64) * (l2_radius / norm)),
                            project_linf_ball: np.clip(y, -dtype(linf_radius),
                                                       dtype(linf_radius))}
                for project, radius in ((project_l2_ball, l2_radius),
                                        (project_linf_ball, linf_radius)):
                    want = bits(expected[project].astype(dtype))
                    for offset in offsets:
                        source = at_offset(y, offset)
                        for out_offset in (offset, (offset + 32) % 64):
                            out = at_offset(np.zeros_like(y), out_offset)
                            assert project(source, radius, out=out) is out
                            np.testing.assert_array_equal(
                                bits(out), want, err_msg=f"{n=} {offset=} {out_offset=}")
                        assert project(source, radius, out=source) is source
                        np.testing.assert_array_equal(bits(source), want)
    finally:
        _loops(True, True)


@pytest.mark.parametrize("n_rows", [5, 8, 13])
@pytest.mark.parametrize("length", [32, 33, 39, 40, 63, 64, 65, 100, 1000, 1031, 4099])
def test_float32_row_squares_sum_in_one_order_at_every_level(length, n_rows, rng):
    """Rows of 32 float32 values and more sum their squares in 32 partial sums
    (skp_row_squares512_f32 with AVX-512, skp_row_squares256_f32 with AVX2),
    with AVX-512 eight rows' last sums at once (skp_row_squares_tree512_f32;
    whole and partial blocks of rows, in either order): the same order, so
    the same bits, within rounding of an exact sum."""
    import math

    Y = (rng.standard_normal((n_rows, length))
         * 10.0 ** rng.integers(-3, 3, (n_rows, length))).astype(np.float32)
    Y = Y if n_rows != 13 else Y[::-1]
    try:
        norms = []
        for avx512 in (True, False):
            if _loops(True, avx512) != avx512:
                pytest.skip("the CPU lacks AVX-512F")
            norms.append(group_norms(Y, "l2", axis=1))
        np.testing.assert_array_equal(bits(norms[0]), bits(norms[1]))
    finally:
        _loops(True, True)
    exact = [math.sqrt(math.fsum(float(v) ** 2 for v in row)) for row in Y]
    np.testing.assert_allclose(norms[0], exact, rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", [0, 1])
def test_heavy_tails_take_the_bracket_again_with_the_scans_sum(dtype, seed):
    """Cauchy magnitudes: a sample's share of the l1 norm is far from its share
    of the values, its bracket misses tau, and the bracket is taken again with
    the scan's sum (``_sample_bracket``'s ``known_total``) rather than by
    Newton's passes; tau exact either way (the sort-based reference)."""
    from skproj.projections import _l1

    y = np.random.default_rng(seed).standard_cauchy(200000).astype(dtype)
    magnitudes = np.sort(np.abs(y.astype(np.float64)))[::-1]
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for share in (0.5, 0.9):
        k = int(share * y.size)
        eta = float(np.sum(magnitudes[:k] - magnitudes[k]))
        expected = references.l1_ball(y, eta)
        x = project_l1_ball(y, eta)
        assert _l1._last_threshold_way() == 1
        np.testing.assert_allclose(x, expected, rtol=0, atol=tol * magnitudes[0])
        try:
            _l1._set_testing(force_fallback=True)
            newton = project_l1_ball(y, eta)
            assert _l1._last_threshold_way() == 2
        finally:
            _l1._set_testing()
        np.testing.assert_allclose(newton, expected, rtol=0, atol=tol * magnitudes[0])


@pytest.mark.parametrize("dtype, n, seed, shares", [
    (np.float32, 10 ** 6, 30, (0.01, 0.1, 0.5)),
    (np.float64, 3 * 10 ** 5, 6, (0.01, 0.1)),
])
def test_student_t_tails_widen_the_first_bracket(dtype, n, seed, shares):
    """Student t(3) values beyond the cache: a few large values carry the
    sample's sum, which misleads more than its ranks, and the binomial bracket
    missed tau (then a second scan with the scan's sum, or Newton's passes);
    widened by the standard deviation of the sample's tau (``_tail_cap``), it
    holds tau at the first scan.  Exact against the sort-based reference
    either way."""
    from skproj.projections import _l1

    y = np.random.default_rng(seed).standard_t(3, n).astype(dtype)
    magnitudes = np.sort(np.abs(y.astype(np.float64)))[::-1]
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for share in shares:
        k = int(share * n)
        eta = float(np.sum(magnitudes[:k] - magnitudes[k]))
        expected = references.l1_ball(y, eta)
        ways = []
        try:
            for widened in (False, True):
                _l1._set_testing(tail_spreads=widened)
                x = project_l1_ball(y, eta)
                ways.append(_l1._last_threshold_way())
                np.testing.assert_allclose(x, expected, rtol=0, atol=tol * magnitudes[0])
        finally:
            _l1._set_testing()
        assert ways[0] > 0 and ways[1] == 0, (share, ways)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kind", ["six_values", "rounded"])
def test_ties_at_the_bracket_low_end_stay_out_of_the_gather(dtype, kind):
    """Few distinct values (as quantized weights or rounded data have): the
    sampled bracket's low end is a value tied many times, whose copies
    count for nothing at or above it.  Left out of the gather, they no longer
    fill it (it overflowed, and Newton's passes over the data finished): tau
    at the first scan, exact against the sort-based reference, at radii
    putting tau between two values.  (A tau on a tied value that is also the
    bracket's end can still miss it by the rounding of the ends' sums.)"""
    from skproj.projections import _l1

    rng = np.random.default_rng(0)
    n = 10 ** 6
    y = (rng.choice([-3.0, -1.0, 0.0, 0.5, 1.0, 2.0], n) if kind == "six_values"
         else np.round(rng.standard_normal(n), 1)).astype(dtype)
    magnitudes = np.sort(np.abs(y.astype(np.float64)))[::-1]
    tol = 1e-5 if dtype == np.float32 else 1e-10   # (tau's sums: some 10**5 terms)
    for share in (0.3, 0.5, 0.7):
        k = int(share * n)
        on_a_value = float(np.sum(magnitudes[:k] - magnitudes[k]))
        for eta in (0.99 * on_a_value, 1.01 * on_a_value):
            x = project_l1_ball(y, eta)
            assert _l1._last_threshold_way() == 0, (share, eta)
            np.testing.assert_allclose(x, references.l1_ball(y, eta), rtol=0,
                                       atol=tol * magnitudes[0])


@pytest.mark.parametrize("kind", ["student_t", "lognormal", "cauchy", "normal"])
@pytest.mark.parametrize("magnitudes", [True, False])
def test_widened_bracket_fits_the_gather_and_matches_in_float(kind, magnitudes):
    """Beyond the cache, where the sampled bracket widens for heavy tails: the
    values inside it fit the gather buffer at every radius (about half of it at most),
    and the float32 row's sample taken in float (AVX-512 or AVX2 loops) gives
    the bracket of the sample taken in double, as in cache."""
    from skproj.projections import _l1

    rng = np.random.default_rng(3)
    n = 10 ** 6
    draw = {"student_t": lambda: rng.standard_t(3, n),
            "lognormal": lambda: rng.lognormal(0.0, 1.5, n),
            "cauchy": lambda: rng.standard_cauchy(n),
            "normal": lambda: rng.standard_normal(n)}[kind]
    y = draw().astype(np.float32).reshape(1, -1)
    values = (np.abs(y) if magnitudes else y).astype(np.float64).ravel()
    ordered = np.sort(values)[::-1]
    for share in (0.001, 0.01, 0.1, 0.5, 0.9):
        k = int(share * n)
        radius = float(np.sum(ordered[:k] - ordered[k]))
        in_float = _l1._sampled_bracket(y, radius, magnitudes)
        _l1._set_testing(simd=False)
        try:
            in_double = _l1._sampled_bracket(y, radius, magnitudes)
        finally:
            _l1._set_testing()
        inside = [np.count_nonzero((values >= low) & (values < high))
                  for low, high in (in_float, in_double)]
        largest = np.finfo(np.float64).max
        if in_float != (-largest, largest):   # (no guess: a sample inside the ball)
            assert inside[0] <= 0.6 * _l1._gather_room(n), share
        assert abs(inside[0] - inside[1]) <= 0.05 * inside[1] + 16, share


@pytest.mark.parametrize("simd", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", [0, 1])
def test_signed_heavy_tails_take_the_bracket_again_with_their_parts(dtype, seed, simd):
    """The simplex of signed Cauchy values: the sample's bracket misses tau,
    and is taken again from the sample's positive parts with their sum (one
    more read) where tau > 0 (less than half the values kept), from its
    negative parts with the radius less that sum where tau < 0, instead of
    Newton's passes; exact against the sort-based reference."""
    from skproj.projections import _l1

    y = np.random.default_rng(seed).standard_cauchy(10 ** 6).astype(dtype)
    values = np.sort(y.astype(np.float64))[::-1]
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for share in (0.001, 0.05, 0.4, 0.6, 0.9):
        k = int(share * y.size)
        radius = float(np.sum(values[:k] - values[k]))
        assert (values[k] > 0) == (share < 0.5)             # (tau's sign)
        _l1._set_testing(simd=simd)       # (the vector loops or the portable ones)
        try:
            x = project_simplex(y, radius)
            assert _l1._last_threshold_way() == 1
        finally:
            _l1._set_testing()
        np.testing.assert_allclose(x, references.simplex(y, radius), rtol=0,
                                   atol=tol * values[0])


@pytest.mark.parametrize("seed", [0, 1])
def test_mostly_zero_vectors_keep_their_zeros_out_of_the_bracket(seed):
    """Word counts (1 % non-zero, tied log counts, as reuters_r8's): the sample is
    mostly zeros, tied at its bracket's low end; the zeros stay below the
    bracket (the l1 ball moves only with tau > 0), which then holds tau in
    its first scan, where it filled the buffer with zeros and Newton's passes
    finished; exact against the sort-based reference."""
    from skproj.projections import _l1

    rng = np.random.default_rng(seed)
    n = 10 ** 6
    y = np.where(rng.random(n) < 0.99, 0.0, np.log1p(rng.poisson(2.0, n) + 1.0))
    magnitudes = np.sort(y)[::-1]
    for share in (0.001, 0.01):
        k = int(share * n)
        eta = float(np.sum(magnitudes[:k] - magnitudes[k]))
        x = project_l1_ball(y, eta)
        assert _l1._last_threshold_way() == 0
        np.testing.assert_allclose(x, references.l1_ball(y, eta), rtol=0, atol=1e-12)


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
vectors = arrays(np.float64, st.integers(1, 40), elements=finite)
radii = st.floats(0, 1e3)


@pytest.mark.parametrize("project,norm", [
    (project_l1_ball, lambda x: np.abs(x).sum()),
    (project_l2_ball, np.linalg.norm),
    (project_linf_ball, lambda x: np.abs(x).max()),
])
@given(y=vectors, radius=radii, seed=st.integers(0, 2 ** 32 - 1))
def test_ball_properties(project, norm, y, radius, seed):
    x = project(y, radius)
    scale = max(np.abs(y).max(), radius, 1.0)
    # Feasible.
    assert norm(x) <= radius + 1e-9 * scale * y.size
    # Idempotent.
    np.testing.assert_allclose(project(x, radius), x, atol=1e-9 * scale)
    # Projection inequality <y - P(y), z - P(y)> <= 0 for a feasible z.
    z = np.random.default_rng(seed).standard_normal(y.size)
    z = z * (radius / max(norm(z), 1e-300))
    assert np.dot(y - x, z - x) <= 1e-7 * scale ** 2 * y.size


@given(y=vectors, radius=st.floats(0, 1e3))
def test_simplex_properties(y, radius):
    x = project_simplex(y, radius)
    scale = max(np.abs(y).max(), radius, 1.0)
    assert (x >= 0).all()
    assert abs(x.sum() - radius) <= 1e-9 * scale * y.size
    np.testing.assert_allclose(project_simplex(x, radius), x, atol=1e-9 * scale)
    z = np.random.default_rng(0).random(y.size)
    z = z * (radius / z.sum())
    assert np.dot(y - x, z - x) <= 1e-7 * scale ** 2 * y.size


def test_float32_simplex_of_a_sum_beyond_float32_is_refused():
    """Its projection sums to eta: beyond float32's range its largest entries
    were written as inf.  float64 projects it; the l1 ball only shrinks."""
    y = np.array([3e38, -3e38, 1e38, 2e38, 0.0, -3.3e38], dtype=np.float32)
    largest = float(np.finfo(np.float32).max)
    out = np.full_like(y, 7.0)
    inputs = [y, y.reshape(2, 3).T]
    torch = pytest.importorskip("torch")
    inputs.append(torch.from_numpy(y.copy()))
    for value in inputs:
        with pytest.raises(ValueError, match=r"eta must be at most 3\.4028235e\+38"):
            project_simplex(value, 1.2e39)
    with pytest.raises(ValueError, match="float64 copy"):
        project_simplex(y, np.nextafter(largest, np.inf), out=out)
    assert (out == 7.0).all()
    x = project_simplex(y.astype(np.float64), 1.2e39)
    assert np.isfinite(x).all() and x.max() > largest
    assert np.isclose(x.sum(), 1.2e39, rtol=1e-12)
    x = project_simplex(y, largest)
    assert np.isfinite(x).all() and np.isclose(x.sum(dtype=np.float64), largest, rtol=1e-6)
    np.testing.assert_array_equal(project_l1_ball(y, 1.3e39), y)     # (its norm 1.23e39)
    x = project_l1_ball(y, 1.2e39)
    assert np.isfinite(x).all() and np.abs(x, dtype=np.float64).sum() <= 1.2e39 * (1 + 1e-6)


@pytest.mark.parametrize("order", ["C", "F"])
def test_l1_ball_scan_starting_late_in_a_matrix(order, rng):
    # The scan starts once the running sum exceeds the radius: radii near the
    # total make it start in a late row, after blocks that were only summed.
    Y = np.asarray(rng.standard_normal((40, 5000)), order=order)
    total = np.abs(Y).sum()
    for fraction in (0.001, 0.5, 0.97, 0.9999):
        np.testing.assert_allclose(project_l1_ball(Y, fraction * total),
                                   references.l1_ball(Y, fraction * total), atol=1e-10)


@pytest.mark.parametrize("distribution", ["normal", "uniform", "cauchy", "sorted"])
def test_l1_ball_all_regimes_on_long_vectors(distribution, rng):
    # Condat's scan (small supports), its switch to Michelot's passes over the
    # data (large supports) and the gathering of the last candidates are all
    # exercised by radii from a few values' worth to nearly the whole norm.
    y = {"normal": rng.standard_normal(60000),
         "uniform": rng.uniform(-1, 1, 60000),
         "cauchy": rng.standard_cauchy(60000),
         "sorted": np.sort(rng.standard_normal(60000))}[distribution]
    total = np.abs(y).sum()
    for fraction in np.logspace(-6, -0.005, 12):
        x = project_l1_ball(y, fraction * total)
        np.testing.assert_allclose(x, references.l1_ball(y, fraction * total),
                                   rtol=0, atol=1e-9 * np.abs(y).max())



def test_float32_writes_take_the_avx2_loops_bits_with_avx512():
    """The float32 soft threshold (the l1 ball's write, bilevel_l11's rows') and
    subtraction (the simplex's) by the AVX-512 loop give the AVX2 loop's bits:
    the last n % 8 values of a row in double (there one by one, here a lane
    each), the others by tau as two floats; every residue of the length, taus
    at entries (ties), between and beyond them, -0.0 and signed zeros."""
    from skproj.projections import _l1

    if not _l1._set_testing(avx512=True):
        _l1._set_testing()
        pytest.skip("the CPU lacks AVX-512F")
    rng = np.random.default_rng(48)
    try:
        for n in list(range(1, 41)) + [100, 255]:
            Y = rng.choice([-2.0, -1.0, -0.0, 0.0, 0.5, 1.0, 3.0], (12, n))
            Y = np.where(rng.random((12, n)) < 0.5, Y, rng.standard_normal((12, n)) * 3)
            Y = Y.astype(np.float32)
            taus = np.concatenate([rng.choice(np.abs(Y[:6]).ravel(), 6),
                                   rng.uniform(0, 3, 4), [0.0, 10.0]])
            for magnitudes in (True, False):
                results = []
                for avx512 in (True, False):
                    _l1._set_testing(avx512=avx512)
                    X = np.empty_like(Y)
                    _l1._shrink_rows(Y, X, taus, magnitudes)
                    results.append(X)
                np.testing.assert_array_equal(results[0].view(np.int32),
                                              results[1].view(np.int32),
                                              err_msg=f"{n=} {magnitudes=}")
                tail = slice(n - n % 8, n)
                A = Y[:, tail].astype(np.float64)
                shrunk = (np.abs(A) if magnitudes else A) - taus[:, None]
                shrunk = np.where(shrunk > 0, shrunk, 0.0)
                expected = (np.copysign(shrunk, A) if magnitudes else shrunk).astype(np.float32)
                np.testing.assert_array_equal(results[0][:, tail].view(np.int32),
                                              expected.view(np.int32))
    finally:
        _l1._set_testing()
