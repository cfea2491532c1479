"""The threshold search of the l1 ball and the simplex: the sampled bracket,
its exact check, the Newton passes it falls back on, and its memory."""

import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skproj.projections import _l1, bilevel_l11, project_l1_ball, project_simplex

import references

KINDS = ["normal", "ties", "all_equal", "sparse", "cauchy", "sorted", "denormal", "wide"]


def _vector(kind, n, seed, dtype):
    """A test vector of one of the ``KINDS``, including values hard on bit patterns."""
    rng = np.random.default_rng(seed)
    if kind == "normal":
        y = rng.standard_normal(n)
    elif kind == "ties":
        y = rng.choice([-3.0, -1.0, 0.0, 0.5, 1.0, 2.0], size=n)
    elif kind == "all_equal":
        y = np.full(n, -0.75)
    elif kind == "sparse":
        y = rng.standard_normal(n) * (rng.random(n) < 0.05)
    elif kind == "cauchy":
        y = rng.standard_cauchy(n)
    elif kind == "sorted":
        y = np.sort(rng.standard_normal(n))
    elif kind == "denormal":
        tiny = np.finfo(dtype).smallest_subnormal
        y = rng.integers(-50, 50, size=n) * tiny
        return y.astype(dtype)
    else:  # magnitudes over the whole exponent range of float32
        y = rng.standard_normal(n) * 10.0 ** rng.integers(-30, 30, size=n)
    return y.astype(dtype)


def _atol(y, radius, dtype):
    rtol = 1e-10 if dtype == np.float64 else 1e-5
    # A result below the dtype's smallest subnormal rounds to zero.
    return (4 * rtol * max(float(np.abs(y).max(initial=0)), radius, 1e-300)
            + float(np.finfo(dtype).smallest_subnormal))


def _radius_keeping(values, share):
    """The radius at which ``share`` of ``values`` stay above tau (tau a data value)."""
    values = np.asarray(values, dtype=np.float64)
    n = values.size
    k = min(max(int(share * n), 1), n - 1)
    parted = np.partition(values, n - k - 1)
    return float((parted[n - k:] - parted[n - k - 1]).sum())


@pytest.fixture(params=[False, True], ids=["bracket", "newton-fallback"])
def fallback(request):
    """Run a test with the sampled bracket, then with the forced Newton passes."""
    _l1._set_testing(force_fallback=request.param)
    yield request.param
    _l1._set_testing()


# The fixture only switches a module flag: it holds for every example.
fixture_ok = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


@fixture_ok
@given(kind=st.sampled_from(KINDS), n=st.sampled_from([1, 2, 3, 17, 1000, 1025, 5000, 40000]),
       seed=st.integers(0, 2 ** 16), share=st.sampled_from([0.0, 1e-4, 0.01, 0.3, 0.5, 0.9, 0.999]),
       dtype=st.sampled_from([np.float64, np.float32]), on_a_value=st.booleans())
def test_l1_ball_threshold_against_sort(fallback, kind, n, seed, share, dtype, on_a_value):
    y = _vector(kind, n, seed, dtype)
    magnitudes = np.abs(y.astype(np.float64))
    if on_a_value and n > 1:
        # tau falls exactly on a value of y: the edge of a bracket or a tie.
        radius = _radius_keeping(magnitudes, share)
    else:
        radius = share * float(magnitudes.sum())
    x = project_l1_ball(y, radius)
    np.testing.assert_allclose(x, references.l1_ball(y, radius), rtol=0,
                               atol=_atol(y, radius, dtype))
    # Each entry rounds to the dtype (by up to half a subnormal's spacing near 0).
    rounding = n * float(np.finfo(dtype).smallest_subnormal)
    assert (np.abs(x, dtype=np.float64).sum()
            <= radius + _atol(y, radius, dtype) * (1 + n ** 0.5) + rounding)


@fixture_ok
@given(kind=st.sampled_from(KINDS), n=st.sampled_from([1, 2, 17, 1000, 5000, 40000]),
       seed=st.integers(0, 2 ** 16), share=st.sampled_from([1e-4, 0.01, 0.5, 0.99]),
       dtype=st.sampled_from([np.float64, np.float32]), scale=st.sampled_from([0.1, 1.0, 3.0]))
def test_simplex_threshold_against_sort(fallback, kind, n, seed, share, dtype, scale):
    y = _vector(kind, n, seed, dtype)
    values = y.astype(np.float64)
    # Radii both below and above the sum of the positive part (tau of either sign).
    radius = (_radius_keeping(values, share) if n > 1 else max(abs(values[0]), 1.0)) * scale
    x = project_simplex(y, radius)
    np.testing.assert_allclose(x, references.simplex(y, radius), rtol=0,
                               atol=_atol(y, radius, dtype))
    assert (x >= 0).all()


def test_one_element_and_all_equal_values():
    np.testing.assert_array_equal(project_l1_ball(np.array([-5.0]), 2.0), [-2.0])
    np.testing.assert_array_equal(project_simplex(np.array([-5.0]), 2.0), [2.0])
    y = np.full(100_000, 0.5, dtype=np.float32)
    x = project_l1_ball(y, 100.0)
    np.testing.assert_allclose(x, 0.001, rtol=1e-5)
    np.testing.assert_allclose(project_simplex(y, 1.0), 1e-5, rtol=1e-4)


@pytest.mark.parametrize("order", ["C", "F"])
def test_strided_views_take_the_same_path(order, rng):
    Y = np.asarray(rng.standard_normal((300, 700)), order=order)[:, ::3]
    radius = 0.3 * np.abs(Y).sum()
    np.testing.assert_allclose(project_l1_ball(Y, radius), references.l1_ball(Y, radius),
                               atol=1e-10 * np.abs(Y).max())


@pytest.fixture(scope="module")
def large_float32():
    return np.random.default_rng(3).standard_normal(10 ** 7).astype(np.float32)


@pytest.mark.parametrize("project,values", [
    (project_l1_ball, np.abs), (project_simplex, lambda y: y)], ids=["l1_ball", "simplex"])
@pytest.mark.parametrize("share", [0.01, 0.5, 0.99])
def test_scratch_memory_is_a_fraction_of_the_input(project, values, share, large_float32):
    """Issue 16: tracemalloc's peak stays within a quarter of the input's bytes."""
    y = large_float32
    out = np.empty_like(y)
    radius = _radius_keeping(values(y), share)
    tracemalloc.start()
    try:
        project(y, radius, out=out)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= 0.25 * y.nbytes
    assert abs(np.count_nonzero(out) / y.size - share) < 0.01


def check_l1_ball_and_simplex(y, share):
    """``project_l1_ball`` and ``project_simplex`` of ``y`` against the sort-based references,
    at radii keeping about ``share`` of the values."""
    radius = _radius_keeping(np.abs(y.astype(np.float64)), share)
    np.testing.assert_allclose(project_l1_ball(y, radius), references.l1_ball(y, radius),
                               rtol=0, atol=_atol(y, radius, y.dtype))
    radius = _radius_keeping(y.astype(np.float64), share)
    np.testing.assert_allclose(project_simplex(y, radius), references.simplex(y, radius),
                               rtol=0, atol=_atol(y, radius, y.dtype))


@pytest.fixture(params=[True, False], ids=["simd", "cython-loops"])
def loops(request):
    """Run a test with the AVX2 loops (where the CPU has them), then with the Cython loops."""
    _l1._set_testing(simd=request.param)
    yield request.param
    _l1._set_testing()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("share", [1e-3, 0.1, 0.5, 0.9])
def test_both_loop_families_match_the_reference(loops, kind, dtype, share):
    """The run-time choice of loops (_l1_simd.h or Cython) changes no result beyond rounding."""
    y = _vector(kind, 20011, 7, dtype)          # odd length: every loop has a tail
    check_l1_ball_and_simplex(y, share)
    Y = y[:20000].reshape(200, 100)
    for axis in (0, 1):
        eta = share * float(np.abs(Y.astype(np.float64)).sum())
        np.testing.assert_allclose(bilevel_l11(Y, eta, axis=axis),
                                   references.bilevel(Y, eta, "l1", axis), rtol=0,
                                   atol=_atol(Y, eta, dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_results_written_past_the_caches(loops, dtype):
    """Results of 8 MiB and more take the streaming stores: same values."""
    y = np.random.default_rng(5).standard_normal(2 ** 21 + 3).astype(dtype)
    radius = _radius_keeping(np.abs(y.astype(np.float64)), 0.3)
    np.testing.assert_allclose(project_l1_ball(y, radius), references.l1_ball(y, radius),
                               rtol=0, atol=_atol(y, radius, dtype))
    np.testing.assert_allclose(project_simplex(y, 1.0), references.simplex(y, 1.0),
                               rtol=0, atol=_atol(y, 1.0, dtype))
