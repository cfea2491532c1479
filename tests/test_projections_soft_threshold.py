"""The one-pass soft threshold with a threshold per entry (``_l1.soft_threshold``).

``soft_threshold_in_place`` is what ``skproj.nn`` runs after an optimizer
step (ProximalL1).  Every operation of the kernel is IEEE's, rounded once in
the arrays' dtype, so NumPy's own operations in the same order are an exact
reference: the AVX-512, AVX2 and plain C loops must give their bits.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from skproj.projections import _l1
from skproj.projections._vector import soft_threshold_in_place

DTYPES = (np.float32, np.float64)
# (SIMD on, AVX-512 on): the AVX-512 loop, the AVX2 loop, the plain C loop
LOOPS = ((True, True), (True, False), (False, False))


@pytest.fixture(params=LOOPS, ids=["avx512", "avx2", "plain"])
def loop(request):
    simd, avx512 = request.param
    _l1._set_testing(simd=simd, avx512=avx512)
    yield request.param
    _l1._set_testing()


def _reference(w, step, second, metric, eps, scale):
    """The kernel's formula by NumPy operations in the dtype of ``w``, in its order."""
    dtype = w.dtype.type
    t = np.full_like(w, dtype(step)) if scale is None else dtype(step) * scale
    if second is not None:
        t = t / (np.sqrt(second * dtype(metric)) + dtype(eps))
    shrunk = np.abs(w) - t
    shrunk = np.where(shrunk <= 0, dtype(0), shrunk)  # (a NaN is kept)
    return np.copysign(shrunk, w)


def _same_bits(a, b):
    kind = np.int32 if a.dtype == np.float32 else np.int64
    return np.array_equal(a.view(kind), b.view(kind))


def _case(dtype, n, seed):
    rng = np.random.default_rng(seed)
    w = (rng.standard_normal(n) * 0.01).astype(dtype)
    second = (rng.random(n) * 1e-4).astype(dtype)
    scale = (rng.random(n) * 3).astype(dtype)
    # the edges: signed zeros, a NaN, an infinite weight, v = 0 (a threshold of step / eps)
    if n >= 6:
        w[:4] = [0.0, -0.0, np.nan, -np.inf]
        second[4:6] = 0.0
    return w, second, scale


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [0, 1, 7, 8, 15, 16, 17, 63, 1000])
@pytest.mark.parametrize("with_second", [True, False])
@pytest.mark.parametrize("with_scale", [True, False])
def test_every_loop_gives_the_bits_of_the_formula(loop, dtype, n, with_second, with_scale):
    w, second, scale = _case(dtype, n, seed=n)
    second = second if with_second else None
    scale = scale if with_scale else None
    got = w.copy()
    assert soft_threshold_in_place(got, 0.003, second=second, metric=37.5, eps=1e-8,
                                   scale=scale)
    with np.errstate(invalid="ignore"):
        expected = _reference(w, 0.003, second, 37.5, 1e-8, scale)
    assert _same_bits(got, expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_zero_threshold_keeps_the_weights_and_an_infinite_one_zeroes_them(dtype):
    w = np.array([-2.0, -0.0, 0.0, 0.5, 3.0], dtype=dtype)
    kept = w.copy()
    assert soft_threshold_in_place(kept, 0.0)
    assert _same_bits(kept, w)
    zeroed = w.copy()
    # v = 0 and eps = 0: t = step / 0 = inf
    assert soft_threshold_in_place(zeroed, 1.0, second=np.zeros_like(w), eps=0.0)
    np.testing.assert_array_equal(zeroed, 0.0)
    np.testing.assert_array_equal(np.signbit(zeroed), np.signbit(w))  # -0.0 for negatives


@given(arrays(np.float64, st.integers(1, 40), elements=st.floats(-1e3, 1e3)),
       arrays(np.float64, 40, elements=st.floats(0, 1e3)),
       st.floats(0, 10), st.floats(1e-3, 1e3), st.floats(0, 1))
def test_is_the_prox_of_the_weighted_l1_norm(w, second, step, metric, eps):
    """Closed form, entry by entry, in plain Python (float64)."""
    second = second[:w.size].copy()
    got = w.copy()
    assert soft_threshold_in_place(got, step, second=second, metric=metric, eps=eps)
    for value, v, result in zip(w, second, got):
        denominator = (v * metric) ** 0.5 + eps
        t = step / denominator if denominator else (float("inf") if step else 0.0)
        assert result == pytest.approx(np.copysign(max(abs(value) - t, 0.0), value),
                                       rel=1e-12, abs=1e-12)
        assert abs(result) <= abs(value)


def test_arrays_it_does_not_take_are_left_alone():
    w = np.linspace(-1, 1, 12)
    shared = np.linspace(-1, 1, 13)
    for target, arguments in [
        (w.astype(np.float16), {}),
        (w.reshape(3, 4)[:, ::2], {}),                    # strided
        (w.copy(), dict(second=np.ones(12, dtype=np.float32))),  # another dtype
        (w.copy(), dict(second=np.ones(11))),             # another size
        (w.copy(), dict(scale=np.ones(24)[::2])),         # a strided scale
        (shared[1:], dict(scale=shared[:-1])),            # a scale overlapping w
        (np.array(w.tolist(), dtype=object), {}),
        (w.tolist(), {}),
    ]:
        before = np.array(target, dtype=float)
        assert not soft_threshold_in_place(target, 0.5, **arguments)
        np.testing.assert_array_equal(np.array(target, dtype=float), before)


def test_the_same_memory_as_a_threshold_is_read_before_it_is_written():
    w = np.linspace(-1, 1, 37)
    expected = _reference(w, 0.5, None, 1.0, 0.0, w.copy())
    assert soft_threshold_in_place(w, 0.5, scale=w)
    assert _same_bits(w, expected)


def test_a_read_only_array_is_not_written():
    w = np.linspace(-1, 1, 8)
    w.flags.writeable = False
    assert not soft_threshold_in_place(w, 0.5)
    np.testing.assert_array_equal(w, np.linspace(-1, 1, 8))


def test_cpu_tensors_take_the_kernel_with_their_memory():
    torch = pytest.importorskip("torch")
    w = torch.linspace(-1, 1, 10)
    second = torch.full((10,), 1e-4)
    expected = _reference(w.numpy().copy(), 0.1, second.numpy(), 2.0, 1e-8, None)
    assert soft_threshold_in_place(w, 0.1, second=second, metric=2.0, eps=1e-8)
    assert _same_bits(w.numpy(), expected)
    # a tensor beside an array, a strided tensor, a negated view: not taken, not written
    for target, second in [(torch.ones(4), np.ones(4, dtype=np.float32)),
                           (torch.ones(4, 2)[:, 0], None),
                           (torch.ones(4, dtype=torch.float16), None)]:
        before = target.clone()
        assert not soft_threshold_in_place(target, 0.5, second=second)
        assert torch.equal(target, before)
