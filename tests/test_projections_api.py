"""The contract every projection of ``skproj.projections`` keeps (see DESIGN.md)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skproj import projections as P

from addresses import at_offset, bits
from references import vector_norm

VECTOR = [P.project_l1_ball, P.project_simplex, P.project_l2_ball, P.project_linf_ball]
MATRIX = [P.get_constraint(name).function for name in P.MATRIX_CONSTRAINTS]
ALL = VECTOR + MATRIX
ids = lambda f: f.__name__  # noqa: E731


def _layouts(Y):
    yield "C", np.ascontiguousarray(Y)
    yield "F", np.asfortranarray(Y)
    yield "strided", np.repeat(np.repeat(Y, 2, axis=0), 3, axis=1)[::2, ::3]
    readonly = Y.copy()
    readonly.flags.writeable = False
    yield "read-only", readonly


@pytest.mark.parametrize("project", ALL, ids=ids)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_layout_kept_and_input_untouched(project, dtype, rng):
    Y = rng.standard_normal((13, 7)).astype(dtype)
    expected = project(Y.copy(), 1.5)
    for layout, Y_layout in _layouts(Y):
        before = Y_layout.copy()
        X = project(Y_layout, 1.5)
        assert X.dtype == dtype, layout
        assert X.shape == Y.shape
        np.testing.assert_array_equal(Y_layout, before, err_msg=layout)
        np.testing.assert_allclose(X, expected, rtol=1e-6, err_msg=layout)


@pytest.mark.parametrize("project", ALL, ids=ids)
def test_out_and_in_place(project, rng):
    Y = rng.standard_normal((9, 11))
    expected = project(Y, 2.0)
    out = np.empty_like(Y)
    assert project(Y, 2.0, out=out) is out
    np.testing.assert_array_equal(out, expected)
    in_place = Y.copy()
    assert project(in_place, 2.0, out=in_place) is in_place
    np.testing.assert_array_equal(in_place, expected)
    fortran_out = np.empty_like(Y, order="F")
    np.testing.assert_array_equal(project(Y, 2.0, out=fortran_out), expected)


@pytest.mark.parametrize("project", ALL, ids=ids)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_out_layout_gets_the_same_bits(project, dtype, rng):
    # A strided or Fortran-ordered out is written with the arithmetic of the
    # vector loops that write a contiguous one (float32's soft threshold by
    # tau as two floats differed from the strided loops' double in the last
    # bit): shapes with short and long groups, radii from sparse to dense.
    for shape in ((3, 50), (9, 11), (40, 23), (1, 1001), (301, 1)):
        Y = (rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 3, size=shape)).astype(dtype)
        A = np.abs(Y.astype(np.float64))
        for eta in np.outer((0.1, 0.5, 0.9), (A.sum(), np.sqrt((A ** 2).sum()), A.max())).ravel():
            expected = project(Y, eta)
            for out in (np.empty_like(Y, order="F"),
                        np.empty((shape[0], 2 * shape[1]), dtype)[:, ::-2]):
                assert project(Y, eta, out=out) is out
                np.testing.assert_array_equal(out, expected, err_msg=f"{shape} {eta}")


@pytest.mark.parametrize("project", ALL, ids=ids)
def test_partially_overlapping_out(project, rng):
    buffer = rng.standard_normal((10, 6))
    Y = buffer[:8]
    expected = project(Y.copy(), 1.0)
    out = buffer[2:]
    project(Y, 1.0, out=out)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("project", [f for f in ALL if f is not P.project_simplex], ids=ids)
def test_inside_comes_back_bit_for_bit(project, rng):
    Y = rng.standard_normal((5, 4)) * 1e-3
    X = project(Y, 1e3)
    np.testing.assert_array_equal(X, Y)
    assert X is not Y


def test_simplex_point_comes_back_bit_for_bit():
    y = np.array([0.25, 0.5, 0.25])
    np.testing.assert_array_equal(P.project_simplex(y, 1.0), y)


@pytest.mark.parametrize("project", ALL, ids=ids)
def test_radius_zero(project, rng):
    Y = rng.standard_normal((4, 3))
    np.testing.assert_array_equal(project(Y, 0.0), 0)


@pytest.mark.parametrize("project", ALL, ids=ids)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_zeros_of_either_sign_lie_in_the_set_of_radius_zero(project, dtype, rng):
    # The set of radius 0 is {0} (the simplex's too), and -0.0 is 0: a point
    # made of zeros of either sign comes back bit for bit, as any point inside.
    for Y in (np.full((6, 5), -0.0, dtype=dtype),
              np.where(rng.random((6, 5)) < 0.5, -0.0, 0.0).astype(dtype)):
        for layout, Y_layout in _layouts(Y):
            np.testing.assert_array_equal(bits(project(Y_layout, 0.0)), bits(Y),
                                          err_msg=layout)
        out = np.full_like(Y, np.nan)
        assert project(Y, 0.0, out=out) is out
        np.testing.assert_array_equal(bits(out), bits(Y))
        in_place = Y.copy()
        project(in_place, 0.0, out=in_place)
        np.testing.assert_array_equal(bits(in_place), bits(Y))


@pytest.mark.parametrize("project", ALL, ids=ids)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_zeros_are_signed_as_documented(project, dtype, rng):
    # doc/projections.rst, "Signs of zeros": the balls of a vector and the
    # groups a matrix projection keeps give a zero its entry's sign; the
    # simplex, bilevel_l11's zeroed groups and any zeroed group at radius 0
    # give +0.0 (the other projections' zeroed groups: either sign).
    Y = rng.standard_normal((40, 30)).astype(dtype)
    Y[rng.random(Y.shape) < 0.2] = -0.0
    Y[1] = -0.0
    Y[:, 2] = -0.0
    signed = np.copysign(np.zeros_like(Y), Y)
    if project in VECTOR:
        expected = np.zeros_like(Y) if project is P.project_simplex else signed
        for eta in (0.0, 0.05 * np.abs(Y).sum(), 0.5 * np.abs(Y).max()):
            X = project(Y, eta)
            np.testing.assert_array_equal(bits(X[X == 0]), bits(expected[X == 0]))
        return
    np.testing.assert_array_equal(bits(project(Y, 0.0)), bits(np.zeros_like(Y)))
    out = np.full_like(Y, np.nan)
    project(Y, 0.0, out=out)
    np.testing.assert_array_equal(bits(out), bits(np.zeros_like(Y)))
    name = project.__name__.removeprefix("project_")
    for axis in (0, 1):
        X = project(Y, 0.3 * P.get_constraint(name, eta=1.0, axis=axis).norm(Y), axis=axis)
        kept = np.broadcast_to(X.any(axis=axis, keepdims=True), X.shape)
        zeros = (X == 0) & kept
        np.testing.assert_array_equal(bits(X[zeros]), bits(signed[zeros]))
        if project is P.bilevel_l11:
            np.testing.assert_array_equal(bits(X[~kept]), 0)


@pytest.mark.parametrize("project", ALL, ids=ids)
@pytest.mark.parametrize("shape", [(0, 3), (3, 0), (0, 0)])
def test_empty_arrays_are_valid(project, shape):
    X = project(np.empty(shape), 1.0)
    assert X.shape == shape


@pytest.mark.parametrize("project", ALL, ids=ids)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("eta", [1e-3, 0.0])
def test_non_finite_values_raise(project, bad, eta, rng):
    Y = rng.standard_normal((4, 5))
    Y[2, 3] = bad
    out = np.zeros_like(Y)
    with pytest.raises(ValueError, match="NaN or infinity"):
        project(Y, eta, out=out)
    np.testing.assert_array_equal(out, 0)  # nothing was written


@pytest.mark.parametrize("project", ALL, ids=ids)
@pytest.mark.parametrize("eta", [-1.0, np.nan, np.inf, 10 ** 400, -10 ** 400],
                         ids=["negative", "nan", "inf", "int beyond float",
                              "negative int beyond float"])
def test_bad_radius_raises(project, eta):
    with pytest.raises(ValueError, match="eta"):
        project(np.ones((2, 2)), eta)


@pytest.mark.parametrize("project", ALL, ids=ids)
@pytest.mark.parametrize("eta", ["1", None, True, [1.0]])
def test_radius_of_wrong_type_raises(project, eta):
    with pytest.raises(TypeError, match="eta"):
        project(np.ones((2, 2)), eta)


@pytest.mark.parametrize("project", ALL, ids=ids)
@pytest.mark.parametrize("dtype,word", [(np.int64, "integer"), (np.complex128, "complex"),
                                        (object, "object"), (np.float16, "low-precision"),
                                        (bool, "boolean")])
def test_unsupported_dtypes_raise_type_error(project, dtype, word):
    with pytest.raises(TypeError, match=word):
        project(np.ones((2, 3), dtype=dtype), 1.0)


@pytest.mark.parametrize("project", MATRIX, ids=ids)
def test_matrix_projections_need_2d(project):
    for shape in [(3,), (2, 2, 2)]:
        with pytest.raises(ValueError, match="2-D"):
            project(np.ones(shape), 1.0)


@pytest.mark.parametrize("project", MATRIX, ids=ids)
def test_axis(project, rng):
    Y = rng.standard_normal((5, 8))
    np.testing.assert_array_equal(project(Y, 1.0, axis=-1), project(Y, 1.0, axis=1))
    np.testing.assert_allclose(project(Y, 1.0, axis=1), project(Y.T, 1.0, axis=0).T)
    with pytest.raises(ValueError, match="axis"):
        project(Y, 1.0, axis=2)
    with pytest.raises(TypeError, match="axis"):
        project(Y, 1.0, axis=0.5)


@pytest.mark.parametrize("project", ALL, ids=ids)
def test_bad_out_raises(project):
    Y = np.ones((3, 4))
    with pytest.raises(ValueError, match="out"):
        project(Y, 1.0, out=np.empty((4, 3)))
    with pytest.raises(ValueError, match="out"):
        project(Y, 1.0, out=np.empty((3, 4), dtype=np.float32))
    with pytest.raises(TypeError, match="out"):
        project(Y, 1.0, out=[[0.0] * 4] * 3)


def test_vector_projections_keep_any_shape(rng):
    Y = rng.standard_normal((3, 4, 5))
    for project in VECTOR:
        X = project(Y, 1.0)
        assert X.shape == Y.shape
        np.testing.assert_allclose(X.ravel(), project(Y.ravel(), 1.0))
    # A 3-D view that cannot be flattened without a copy.
    view = np.swapaxes(Y, 0, 2)[::2]
    np.testing.assert_allclose(P.project_l1_ball(view, 1.0).ravel(),
                               P.project_l1_ball(view.ravel(), 1.0))
    assert P.project_l1_ball(np.float64(3.0), 1.0) == 1.0


def test_array_likes_are_accepted():
    np.testing.assert_allclose(P.project_l1_ball([3.0, 0.0], 1.0), [1.0, 0.0])


def test_group_norm_errors():
    with pytest.raises(ValueError, match="norm"):
        P.group_norms(np.ones((2, 2)), "l3")
    with pytest.raises(ValueError, match="NaN"):
        P.l1inf_norm(np.array([[np.nan]]))


@pytest.mark.parametrize("project", ALL, ids=ids)
def test_non_finite_detected_at_every_position(project):
    # The kernels detect NaN/inf through their reductions (unrolled by four):
    # every position of the main loops and the tails must be covered.
    for shape in [(1, 7), (5, 1), (6, 9), (9, 6)]:
        for position in np.ndindex(*shape):
            for bad in (np.nan, np.inf):
                Y = np.ones(shape)
                Y[position] = bad
                for layout in (Y, np.asfortranarray(Y)):
                    with pytest.raises(ValueError, match="NaN or infinity"):
                        project(layout, 0.5)


@pytest.mark.parametrize("project", MATRIX + [P.project_l1_ball, P.project_l2_ball],
                         ids=ids)
def test_entries_whose_sums_overflow_are_rescaled(project, rng):
    # Finite entries near the largest double make the kernels' sums overflow;
    # the projections are homogeneous, so the result is that of a rescaled Y.
    Y = rng.standard_normal((6, 5))
    huge = Y * 1e307
    np.testing.assert_allclose(project(huge, 1e307), project(Y, 1.0) * 1e307, rtol=1e-12)


# ------------------------------------------- the common call's fast path
# ``vector_call`` and ``matrix_call`` (checked in C) and ``common_memory`` take the
# common call (C-contiguous float arrays, ``out`` None, apart or the input
# itself) past the general checks.  With them turned off every call takes
# the general path: both must give the same results and the same errors, for
# every input and ``out``.

FAST = VECTOR + MATRIX
# The norm a radius is a share of: the l1 norm, but the l2 and linf balls' own
# (a share of the l1 norm would hold most arrays inside those balls, copied).
NORM_OF = {P.project_l2_ball: "l2", P.project_linf_ball: "linf"}

_OUTS = ("none", "new", "same", "view of y", "overlap", "fortran", "read-only",
         "other dtype", "other shape", "list", "big-endian", "unaligned", "subclass")


class _Subclass(np.ndarray):
    """An ndarray subclass: not the common call (the general path decides)."""


def _general_path(monkeypatch):
    from skproj.projections import _matrix, _validation, _vector

    monkeypatch.setattr(_validation, "common_memory", lambda *args, **kwargs: None)
    for module, fast in ((_vector, "vector_call"), (_matrix, "matrix_call")):
        monkeypatch.setattr(module, fast, lambda *args, **kwargs: None)


def _unaligned(a):
    """A C-contiguous copy of ``a`` whose first value lies one byte past an aligned address."""
    raw = np.empty(a.nbytes + a.itemsize + 1, np.uint8)
    start = (-raw.ctypes.data) % a.itemsize + 1
    view = raw[start:start + a.nbytes].view(a.dtype).reshape(a.shape)
    view[...] = a
    return view


def _case(layout, out_kind, dtype, shape, seed):
    """(Y, out) for one draw: ``Y`` in ``layout``; ``out`` as ``out_kind`` says."""
    rng = np.random.default_rng(seed)
    buffer = rng.standard_normal((shape[0] + 2, 2 * shape[1])).astype(dtype)
    Y = {"C": buffer[:shape[0], :shape[1]].copy(),
         "F": np.asfortranarray(buffer[:shape[0], :shape[1]]),
         "strided": buffer[:shape[0], ::2],
         "view": buffer[1:shape[0] + 1, :shape[1]].copy()[:],
         "int": buffer[:shape[0], :shape[1]].astype(np.int64),
         "big-endian": buffer[:shape[0], :shape[1]].astype(np.dtype(dtype).newbyteorder(">")),
         "unaligned": _unaligned(buffer[:shape[0], :shape[1]]),
         "subclass": buffer[:shape[0], :shape[1]].copy().view(_Subclass)}[layout]
    out = {"none": lambda: None, "new": lambda: np.empty_like(Y, order="C"),
           "same": lambda: Y, "view of y": lambda: Y[...],
           "overlap": lambda: np.empty_like(Y),   # (replaced below)
           "fortran": lambda: np.empty_like(Y, order="F"),
           "read-only": lambda: np.zeros_like(Y),
           "other dtype": lambda: np.empty(Y.shape, np.float16),
           "other shape": lambda: np.empty((shape[0] + 1, shape[1]), Y.dtype),
           "list": lambda: [[0.0] * shape[1]] * shape[0],
           "big-endian": lambda: np.empty(Y.shape, Y.dtype.newbyteorder(">")),
           "unaligned": lambda: _unaligned(np.empty(Y.shape, Y.dtype)),
           "subclass": lambda: np.empty(Y.shape, Y.dtype).view(_Subclass)}[out_kind]()
    if out_kind == "read-only":
        out.flags.writeable = False
    if out_kind == "overlap" and Y.dtype.kind == "f":
        # Y and out one value apart in one buffer: the kernel would read what it wrote.
        flat = np.empty(Y.size + 1, Y.dtype)
        flat[:-1] = Y.reshape(-1)
        Y, out = flat[:-1].reshape(Y.shape), flat[1:].reshape(Y.shape)
    return Y, out


def _outcome(project, case, eta):
    """The result of one call on a fresh ``case()`` and ``Y`` and ``out`` after it, or its error."""
    Y, out = case()
    try:
        X = project(Y, eta, out=out)
    except (TypeError, ValueError) as error:
        return type(error), str(error)
    return X.copy(), Y.copy(), X is Y, X is out, X.dtype


@pytest.mark.parametrize("project", FAST, ids=ids)
@pytest.mark.parametrize("out_kind", _OUTS)
@settings(max_examples=15)
@given(layout=st.sampled_from(["C", "F", "strided", "view", "int", "big-endian", "unaligned",
                               "subclass"]),
       dtype=st.sampled_from([np.float32, np.float64]),
       shape=st.tuples(st.integers(1, 9), st.integers(1, 40)), seed=st.integers(0, 2**16),
       share=st.sampled_from([0.0, 0.3, 0.9, 2.0]), poison=st.sampled_from([None, np.nan, np.inf]))
def test_fast_path_gives_the_general_paths_results_and_errors(
        project, out_kind, layout, dtype, shape, seed, share, poison):
    def case():
        Y, out = _case(layout, out_kind, dtype, shape, seed)
        if poison is not None and Y.dtype.kind == "f":
            Y.flat[seed % Y.size] = poison
        return Y, out

    Y = case()[0]
    finite = Y[np.isfinite(Y)] if Y.dtype.kind == "f" else Y
    eta = share * vector_norm(finite, NORM_OF.get(project, "l1"))
    fast = _outcome(project, case, eta)
    with pytest.MonkeyPatch.context() as monkeypatch:
        _general_path(monkeypatch)
        general = _outcome(project, case, eta)
    assert len(fast) == len(general)
    if isinstance(fast[0], np.ndarray):
        np.testing.assert_array_equal(fast[0], general[0])
        np.testing.assert_array_equal(fast[1], general[1])
        assert fast[2:] == general[2:]
    else:
        assert fast == general


_RADII = [2, 2.5, np.float64(2.5), np.float32(2.5), True, 0, 0.0, -1.0, np.nan, np.inf, 1e300,
          2 ** 53 + 1, 10 ** 400, -10 ** 400, "2"]


# (the vector projections take no axis)
_PROJECTION_AXES = ([(project, None) for project in FAST if project not in MATRIX]
                    + [(project, axis) for project in MATRIX
                       for axis in (0, 1, -1, -2, np.int64(1), True, 2, 0.0)])


@pytest.mark.parametrize("project,axis", _PROJECTION_AXES,
                         ids=[f"{p.__name__}-{a!r}" for p, a in _PROJECTION_AXES])
@pytest.mark.parametrize("eta", _RADII, ids=lambda value: repr(value)[:24])
@pytest.mark.parametrize("shape", [(6, 9), (9,), (2, 3, 4)])
def test_fast_path_takes_radii_axes_and_shapes_as_the_general_path(project, axis, eta, shape):
    """The fast paths (``_arrays.vector_call``, ``matrix_call``) take float
    and int radii above 0, and the matrix projections the ints 0 and 1 as
    axes and matrices; every other radius, axis and shape, valid or not,
    gets the general path's result or error."""
    Y = np.random.default_rng(5).standard_normal(shape)
    kwargs = {} if axis is None else {"axis": axis}

    def outcome():
        try:
            return project(Y, eta, **kwargs)
        except (TypeError, ValueError) as error:
            return type(error), str(error)

    fast = outcome()
    with pytest.MonkeyPatch.context() as monkeypatch:
        _general_path(monkeypatch)
        general = outcome()
    if isinstance(fast, np.ndarray):
        np.testing.assert_array_equal(fast, general)
    else:
        assert fast == general


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_array_memory_takes_exactly_the_common_call(dtype):
    from skproj.projections._arrays import array_memory

    Y = np.arange(1.0, 13.0, dtype=dtype).reshape(3, 4)
    out = np.empty_like(Y)
    x, y_address, x_address, n, single = array_memory(Y, out)
    assert x is out and (y_address, x_address) == (Y.ctypes.data, out.ctypes.data)
    assert n == 12 and single == (dtype == np.float32)
    assert array_memory(Y, Y)[0] is Y                      # in place
    assert array_memory(Y, Y.reshape(3, 4))[2] == Y.ctypes.data   # the same memory
    new = array_memory(Y, None)[0]
    assert type(new) is np.ndarray and new.dtype == Y.dtype and new.shape == Y.shape
    assert new.flags.c_contiguous and not np.shares_memory(new, Y)
    assert array_memory(np.ones(5, dtype), None)[3] == 5   # any number of dimensions
    buffer = np.zeros(20, dtype)
    read_only = np.zeros_like(Y)
    read_only.flags.writeable = False
    for y, x in [(Y.T, None), (Y[:, ::2], None), (Y.astype(np.int64), None),
                 (Y.astype(Y.dtype.newbyteorder(">")), None), (_unaligned(Y), None),
                 (Y.view(_Subclass), None), (np.ones((0, 3), dtype), None), (Y.tolist(), None),
                 (Y, np.empty((4, 3), dtype)), (Y, np.empty((3, 4), np.float16)),
                 (Y, np.empty_like(Y, order="F")), (Y, read_only), (Y, _unaligned(Y)),
                 (Y, out.view(_Subclass)), (Y, out.tolist()),
                 (buffer[:12].reshape(3, 4), buffer[1:13].reshape(3, 4))]:
        assert array_memory(y, x) is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("offset", [0, 8, 16, 40])
def test_new_results_start_where_their_input_does_in_a_cache_line(dtype, offset, rng):
    # A result of 64 kB or more that the common call allocates starts at
    # its input's offset in a 64-byte line (the kernels' vector loads and
    # stores then cross lines together), on a buffer it keeps alive; smaller
    # ones are NumPy's own arrays.  Either is an ordinary writable C-ordered
    # array, for NumPy arrays and CPU tensors alike, and the projection the
    # same bits as into any ``out``.
    from skproj.projections._arrays import array_memory

    Y = at_offset(rng.standard_normal((100, 200)).astype(dtype), offset)
    new = array_memory(Y, None)[0]
    assert new.ctypes.data % 64 == offset and new.nbytes == Y.nbytes
    assert new.flags.c_contiguous and new.flags.writeable and new.flags.aligned
    assert not np.shares_memory(new, Y)
    small = at_offset(np.ones((64, 64), dtype), offset)
    assert array_memory(small, None)[0].flags.owndata
    X = P.bilevel_l1inf(Y, 0.5 * P.l1inf_norm(Y))
    assert X.ctypes.data % 64 == offset
    np.testing.assert_array_equal(bits(X), bits(P.bilevel_l1inf(Y, 0.5 * P.l1inf_norm(Y),
                                                                 out=np.empty_like(Y))))
    del Y
    X[...] = 1.0                               # (its buffer outlives the input)
    assert X.sum() == X.size
    torch = pytest.importorskip("torch")
    T = torch.from_numpy(rng.standard_normal((100, 200)).astype(dtype))
    result = P.bilevel_l1inf(T, 1.0)
    assert result.data_ptr() % 64 == T.data_ptr() % 64 and result.is_contiguous()
    assert result.dtype == T.dtype and result.shape == T.shape


@pytest.mark.parametrize("project", FAST, ids=ids)
def test_common_arrays_skip_the_python_checks(project, rng, monkeypatch):
    # (the kernels' address entries, without common_memory or a memoryview)
    from skproj.projections import _validation

    monkeypatch.setattr(_validation, "common_memory", lambda *args, **kwargs: 1 / 0)
    Y = rng.standard_normal((6, 9))
    out = np.empty_like(Y)
    assert project(Y, 1.0, out=out) is out
    assert project(Y, 1.0).shape == Y.shape


@pytest.mark.parametrize("project", FAST, ids=ids)
def test_fast_path_in_place_on_another_view_of_the_input(project, rng):
    # ``out`` is Y's memory but another object: the general path's in-place case.
    Y = rng.standard_normal((6, 9))
    expected = project(Y, 1.0)
    project(Y, 1.0, out=Y.reshape(6, 9))
    np.testing.assert_array_equal(Y, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_results_do_not_depend_on_where_the_input_lies(dtype, rng):
    # The kernels choose vector loops, cache paths and samples; none of those
    # choices may follow the memory's alignment, or the same data would give
    # other last bits from one run to the next.  Sizes reach the large paths
    # (sampled thresholds, panels, streamed writes) as well as the in-cache ones.
    offsets = (0, 4, 16, 36)
    for project, y in [(P.project_l1_ball, rng.standard_normal(2_000_003)),
                       (P.project_simplex, rng.standard_normal(2_000_003))]:
        y = y.astype(dtype)
        eta = 0.05 * np.abs(y).sum()
        results = [project(at_offset(y, offset), eta) for offset in offsets]
        for result in results[1:]:
            np.testing.assert_array_equal(result, results[0], err_msg=project.__name__)
    for name in P.MATRIX_CONSTRAINTS:
        for shape in [(100, 1000), (600, 3000)]:
            Y = rng.standard_normal(shape).astype(dtype)
            for axis in (0, 1):
                constraint = P.get_constraint(name).set_params(axis=axis)
                eta = 0.3 * constraint.norm(Y)
                results = [constraint.function(at_offset(Y, offset), eta, axis=axis)
                           for offset in offsets]
                for result in results[1:]:
                    np.testing.assert_array_equal(result, results[0],
                                                  err_msg=f"{name} {shape} axis={axis}")
