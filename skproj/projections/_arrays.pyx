# cython: boundscheck=False, wraparound=False
"""The memory of the functional API's common call on NumPy arrays, read in C.

The kernels' entries taking addresses (``at_addresses`` of ``_l1``,
``_bilevel`` and ``_l1inf``) skip the typed memoryviews, whose buffer
requests cost about a microsecond a call.  An ndarray's are read here from
its C struct, where the Python checks of the same
(``_validation.common_memory``: the dtype, flags, shape and bounds of two
arrays) cost more than the kernel itself on a small layer's weight; a
tensor's from its attributes (``_tensor_memory``), without importing torch.
The common call of the projections with such entries is checked and run
here whole (``vector_call``, ``matrix_call``).  Also the copy of a
convolution's weight with its first two axes swapped (``swap_leading_axes``),
which ``skproj.nn`` makes to project its input channels.
"""

cimport numpy as cnp
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE
from libc.math cimport INFINITY
import sys

import numpy as np

from skproj.projections._l1 cimport STATUS_INSIDE, STATUS_PROJECTED
from skproj.projections._torch_backend import is_writable, version_bump

cnp.import_array()

cdef object _ndarray = np.ndarray
cdef object _LARGEST_INT = 2 ** 53
cdef dict _modules = sys.modules


cdef inline bint _float_array(cnp.ndarray a, int type_num) noexcept:
    """Whether ``a`` is C-contiguous, aligned, in native byte order, of ``type_num``."""
    return (cnp.PyArray_TYPE(a) == type_num
            and cnp.PyArray_ISNOTSWAPPED(a)
            and cnp.PyArray_IS_C_CONTIGUOUS(a)
            and cnp.PyArray_ISALIGNED(a))


def array_memory(object y, object out):
    """``(x, y_address, x_address, n, single)`` for the common call on ndarrays; else None.

    The common call: ``y`` an ndarray (exactly, not a subclass) of float32 or
    float64 in native byte order, C-contiguous, aligned and not empty, and
    ``out`` None (``x`` is then a new C-ordered array like ``y``, starting
    where ``y`` does in a cache line: ``_empty_in_line_with``) or an
    ndarray of the same dtype and shape, C-contiguous, aligned, writable and
    either the same memory as ``y`` or apart from it.  Everything else gets
    None and goes the general way (``_validation.run_projection``), which
    raises the errors; so these checks decide nothing that it would not.

    ``n``: the number of values; ``single``: whether they are float32.
    """
    return _array_memory(y, out)


cdef object _array_memory(object y, object out):
    cdef cnp.ndarray a, b
    cdef int type_num, ndim, axis
    cdef Py_ssize_t n, n_bytes
    cdef size_t y_address, x_address
    if type(y) is not _ndarray:
        return None
    a = <cnp.ndarray> y
    type_num = cnp.PyArray_TYPE(a)
    if not ((type_num == cnp.NPY_FLOAT32 or type_num == cnp.NPY_FLOAT64)
            and _float_array(a, type_num)):
        return None
    n = cnp.PyArray_SIZE(a)
    if n == 0:
        return None
    if out is None:
        out = _empty_in_line_with(<size_t> cnp.PyArray_DATA(a), cnp.PyArray_NDIM(a),
                                  cnp.PyArray_DIMS(a), type_num == cnp.NPY_FLOAT32)
    elif type(out) is not _ndarray:
        return None
    b = <cnp.ndarray> out
    ndim = cnp.PyArray_NDIM(a)
    if not (_float_array(b, type_num) and cnp.PyArray_ISWRITEABLE(b)
            and cnp.PyArray_NDIM(b) == ndim):
        return None
    for axis in range(ndim):
        if cnp.PyArray_DIM(a, axis) != cnp.PyArray_DIM(b, axis):
            return None
    y_address = <size_t> cnp.PyArray_DATA(a)
    x_address = <size_t> cnp.PyArray_DATA(b)
    # (both contiguous and of one shape: the same first address is the same
    # memory, else they share memory exactly when the address ranges meet)
    n_bytes = n * cnp.PyArray_ITEMSIZE(a)
    if x_address != y_address and (y_address < x_address + n_bytes
                                   and x_address < y_address + n_bytes):
        return None
    return out, y_address, x_address, n, type_num == cnp.NPY_FLOAT32


cdef object _torch = None, _Tensor = None, _float32 = None, _float64 = None, _bump = None


cdef bint _with_torch():
    """Whether torch was imported (its tensor type, float dtypes and version
    bump then kept here)."""
    global _torch, _Tensor, _float32, _float64, _bump
    torch = _modules.get("torch")
    if torch is None:
        return False
    if torch is not _torch:
        _Tensor, _float32, _float64 = torch.Tensor, torch.float32, torch.float64
        _bump = version_bump()
        _torch = torch
    return True


cdef object _tensor_memory(object y, object out):
    """``(x, y_address, x_address, n, single, shape)`` for the common call on
    tensors; else None.

    The common call: ``y`` a float32 or float64 CPU tensor, C-contiguous and
    non-empty, and ``out`` None (``x`` is then a new tensor like ``y`` on
    NumPy's memory, as the general way makes it: ``_new_tensor_like``) or a
    tensor of the same shape and dtype, C-contiguous, either the same memory
    or apart, and writable (``_torch_backend.is_writable``; ``y`` requiring
    grad or not: the general way works on its detached memory all the same).
    Everything else gets None and goes the general way, which raises the
    errors.  The checks read the tensors' attributes (some 70 ns
    each) rather than building NumPy views (0.7 us each), and here rather
    than in Python (issue 14: 1.0 us a call on 2 x 5 tensors, against 1.3 us
    for the same checks in Python; ``project_l1_ball`` on them with ``out=``
    2.8 -> 2.2 us, ``bilevel_l12`` 4.0 -> 3.3 us).  ``y``'s shape is read
    once (a ``torch.Size`` made at each read, 100 ns), its number of values
    counted from it, and returned for the callers' dimensions.  The caller
    bumps ``out``'s version counter after the write
    (``_torch_backend.mark_written``).
    """
    cdef size_t y_address, x_address
    cdef Py_ssize_t n, n_bytes
    cdef bint single
    cdef object shape
    if (not _with_torch() or not isinstance(y, _Tensor)
            or out is not None and not isinstance(out, _Tensor)):
        return None
    dtype = y.dtype
    if dtype is not _float32 and dtype is not _float64:
        return None
    try:  # (data_ptr raises for the layouts without one: sparse, mkldnn)
        if not y.is_cpu or not y.is_contiguous() or y.is_neg():
            return None
        y_address = y.data_ptr()
        shape = y.shape
        if not isinstance(shape, tuple):   # (a subclass's own shape: the general way)
            return None
        n = _size_of(shape)
        single = dtype is _float32
        if n <= 0:
            return None
        if out is None:
            return _new_tensor_like(shape, y_address, n, single)
        if out.requires_grad and not is_writable(out):
            return None     # (the general way raises check_writable's error)
        if out is y:
            return out, y_address, y_address, n, single, shape
        if (out.dtype is not dtype or not out.is_cpu or not out.is_contiguous()
                or out.is_neg() or out.shape != shape):
            return None
        x_address = out.data_ptr()
    except RuntimeError:
        return None
    n_bytes = n * (4 if single else 8)
    # (contiguous and of one shape: the same first address is the same memory,
    # else they share memory exactly when the address ranges meet)
    if x_address != y_address and (y_address < x_address + n_bytes
                                   and x_address < y_address + n_bytes):
        return None
    return out, y_address, x_address, n, single, shape


cdef Py_ssize_t _size_of(object shape):
    """The number of values of a tensor of this shape (a ``torch.Size``, a
    tuple of ints, read by the tuple's C access); -1 past 32 dimensions."""
    cdef Py_ssize_t n = 1, axis, ndim = PyTuple_GET_SIZE(shape)
    if ndim > 32:
        return -1
    for axis in range(ndim):
        n *= <Py_ssize_t> <object> PyTuple_GET_ITEM(shape, axis)
    return n


cdef object _new_tensor_like(object shape, size_t y_address, Py_ssize_t n, bint single):
    """``_tensor_memory``'s tuple for ``out=None``: a new C-ordered tensor of
    ``shape`` and ``y``'s dtype on a new ndarray's memory (as the general way's
    result, ``_validation._run_on_tensor``, NumPy asking for huge pages on
    large ones; here at ``y``'s offset in a cache line, which torch puts
    on a line: ``_empty_in_line_with``).  Issue 14, an Intel Xeon: tensors without ``out=`` took
    the general way, 3.2-3.8 us a call more than NumPy arrays on 32 x 64
    float32 (``project_l1_ball`` 5.0 us, ``project_l1inf_ball`` 6.3), its
    NumPy views and checks; this allocation costs 0.8 us."""
    cdef cnp.npy_intp dims[32]
    cdef int ndim = _dims_of(shape, dims)
    cdef object x
    if ndim < 0:
        return None
    x = _empty_in_line_with(y_address, ndim, dims, single)
    return (_torch.from_numpy(x), y_address, <size_t> cnp.PyArray_DATA(x), n, single,
            shape)


def common_views(object y, object out, object ndim=None):
    """``(y_np, x_np, result)`` for the common call; else None.

    ``_validation.common_memory``'s work: the common call as
    :func:`array_memory` (ndarrays) or ``_tensor_memory`` (tensors) take it,
    with ``ndim`` dimensions where ``ndim`` is given; ``y_np`` and ``x_np``
    NumPy arrays over the memory the kernel reads and writes (one object
    where that is one memory) and ``result`` what the projection returns.
    A tensor's arrays are built on its address (:func:`_ndarray_at`), where
    its ``numpy()`` views and their checks in Python cost 1.9 us a call
    with ``out=`` (issue 14, an Intel Xeon, 32 x 64 float32; now 1.3, and
    0.7 in place; an ndarray's 0.4 -> 0.15).
    """
    cdef object memory, result, y_np
    cdef cnp.npy_intp dims[32]
    cdef int n_dims
    cdef bint single
    if type(y) is _ndarray:
        if ndim is not None and cnp.PyArray_NDIM(<cnp.ndarray> y) != ndim:
            return None
        memory = _array_memory(y, out)
        return None if memory is None else (y, memory[0], memory[0])
    memory = _tensor_memory(y, out)
    if memory is None:
        return None
    n_dims = _dims_of(memory[5], dims)
    if n_dims < 0 or ndim is not None and n_dims != ndim:
        return None
    result, single = memory[0], memory[4]
    y_np = _ndarray_at(memory[1], n_dims, dims, single, y)
    return y_np, (y_np if memory[2] == memory[1]
                  else _ndarray_at(memory[2], n_dims, dims, single, result)), result


cdef int _dims_of(object shape, cnp.npy_intp* dims):
    """``shape`` (a ``torch.Size``: a tuple) into ``dims`` (room for 32); its
    length, or -1 if longer."""
    cdef int ndim = PyTuple_GET_SIZE(shape), axis
    if ndim > 32:
        return -1
    for axis in range(ndim):
        dims[axis] = <object> PyTuple_GET_ITEM(shape, axis)
    return ndim


cdef enum:
    # Results of at least this many bytes start where their input does in a
    # cache line (_empty_in_line_with).
    IN_LINE_BYTES = 1 << 16


cdef object _empty_in_line_with(size_t y_address, int ndim, cnp.npy_intp* dims, bint single):
    """A new C-ordered float32 (``single``) or float64 array of shape
    ``dims[:ndim]`` whose first value lies where the value at ``y_address``
    does in its 64-byte cache line (on a buffer 64 bytes longer, its base).

    The kernels' loads and stores of 64 bytes then cross lines together or
    not at all: NumPy gives arrays 16 bytes past a line or on one, and torch
    on one, and a result at another offset than its input had each 64-byte
    load or each store span two lines (issue 14, an Intel Xeon, single calls
    interleaved, 100 x 1000 float32 at 16 bytes past a line, ``out=`` at 16
    / at 0, 32 or 48 bytes: ``bilevel_l1inf`` 1.61 / 1.99-2.03 times a copy,
    ``bilevel_l11`` 3.29 / 3.34-3.44; the l1, l2 and linf balls, the exact
    l1,inf ball and ``bilevel_l12`` within 2 %).  Smaller results (under
    IN_LINE_BYTES) are NumPy's own: there the buffer and its view cost more
    than the lines save (64 x 64 float32, 16 kB: ``bilevel_l1inf`` 0.1-0.7
    us more a call, the allocation of 16 kB alone 0.4-0.7 us; 64 x 256, 64
    kB: 4.7-4.8 -> 4.3-4.4 us).
    """
    cdef int type_num = cnp.NPY_FLOAT32 if single else cnp.NPY_FLOAT64
    cdef cnp.npy_intp n_bytes = 4 if single else 8, axis
    cdef cnp.ndarray buffer
    cdef size_t start
    for axis in range(ndim):
        n_bytes *= dims[axis]
    if n_bytes < IN_LINE_BYTES:
        return cnp.PyArray_EMPTY(ndim, dims, type_num, 0)
    n_bytes += 64
    buffer = cnp.PyArray_EMPTY(1, &n_bytes, cnp.NPY_UINT8, 0)
    start = <size_t> cnp.PyArray_DATA(buffer)
    return _ndarray_at(start + (y_address - start) % 64, ndim, dims, single, buffer)


cdef object _ndarray_at(size_t address, int ndim, cnp.npy_intp* dims, bint single,
                        object owner):
    """A C-ordered float32 (``single``) or float64 array of shape ``dims[:ndim]``
    on the memory at ``address``, which ``owner`` holds (kept alive as its base)."""
    cdef cnp.ndarray array = cnp.PyArray_SimpleNewFromData(
        ndim, dims, cnp.NPY_FLOAT32 if single else cnp.NPY_FLOAT64, <void*> address)
    cnp.set_array_base(array, owner)
    return array


cdef double _common_radius(object eta):
    """``eta`` as a double where the common call takes it (a float, or an int
    of at most 2**53 in magnitude, above 0 and finite; 0: the general way
    writes the zeros); else -1."""
    cdef double radius
    if isinstance(eta, float):
        radius = eta
    elif type(eta) is int and -_LARGEST_INT <= eta <= _LARGEST_INT:   # (never overflows)
        radius = eta
    else:
        return -1.0
    return radius if 0.0 < radius < INFINITY else -1.0


cdef object _common_memory(object y, object out):
    """:func:`array_memory` for ndarrays, ``_tensor_memory`` for tensors."""
    if type(y) is _ndarray:
        return _array_memory(y, out)
    return _tensor_memory(y, out)


cdef object _written(object result, object out):
    """``result``, its version counter bumped where it is a tensor the caller
    gave (``out``; as ``_torch_backend.mark_written``; a tensor came through
    ``_tensor_memory``, which kept torch's bump); a new one is not watched."""
    if out is not None and type(result) is not _ndarray:
        _bump((result,))
    return result


def vector_call(object at_addresses, int variant, object y, object out, object eta):
    """A whole-array projection's common call, checked and run here; else None.

    The common call: ``eta`` as :func:`matrix_call` takes it, ``y`` and
    ``out`` as :func:`array_memory` or ``_tensor_memory`` take them.  The
    kernel's entry ``at_addresses(variant, y_address, x_address, n, single,
    eta)`` runs on their memory: ``_l1.at_addresses`` (``variant`` 1 the
    simplex, 0 the l1 ball) or ``_bilevel.ball_at_addresses`` (the l2 or
    linf ball, its norm's kind).  Returns what the projection returns (a
    tensor's version counter bumped), or None where the call is not the
    common one or the kernel wrote nothing (NaN or inf, sums that overflow,
    no memory): the general way then checks, raises or rescales.  (Issue 14,
    an Intel Xeon: ``project_l1_ball`` on a 4 x 16 float32 array with
    ``out=`` 0.93 -> 0.6 us a call.)
    """
    cdef double radius = _common_radius(eta)
    cdef object memory
    if radius < 0:
        return None
    memory = _common_memory(y, out)
    if memory is None or not at_addresses(variant, memory[1], memory[2], memory[3],
                                          memory[4], radius):
        return None
    return _written(memory[0], out)


def matrix_call(object at_addresses, object y, object out, object eta, object axis,
                bint want_groups=False):
    """The common call of a matrix projection, checked and run here; else None.

    The common call: ``eta`` a float (or an int) above 0 and finite, ``axis``
    the int 0 or 1, ``y`` a matrix and ``y``, ``out`` as :func:`array_memory`
    (ndarrays) or ``_tensor_memory`` (tensors) take them (the
    2-D checks after the memory's: an ndarray's ``ndim`` is read in C, a
    tensor's from the shape ``_tensor_memory`` read).
    The kernel's entry ``at_addresses(y_address, x_address, n_rows, n_cols,
    single, eta, groups_are_rows, per_group)`` (``_l1inf.at_addresses``, or
    ``_bilevel.at_addresses`` with its kind) then runs on their memory, its
    per-group results in a new float64 array where ``want_groups``, else in
    its scratch.  Issue 14, an Intel Xeon: the same checks and call through
    Python (``_validation.address_memory``, a NumPy array for the per-group
    results and its buffer request, the status in Python) made
    ``bilevel_l12`` on a 4 x 16 float32 array with ``out=`` take 1.5-1.6 us
    a call, now 0.8 (``bilevel_l11`` 1.4 -> 0.8, ``bilevel_l1inf`` 1.3 ->
    0.75, ``project_l1inf_ball`` 2.35 -> 1.7, ``bilevel_l12`` on tensors
    3.4 -> 2.7); on 100 x 1000, the call less its kernel's entry 1.1-1.6 us
    -> 0.05-0.65 (the exact ball's 1.5-2.8 -> 0.3-0.8).

    Returns
    -------
    None, or (result, returned, per_group)
        None where the call is not the common one or the kernel did not
        project (NaN or inf, found before any write; no memory): the general
        way then checks, raises or rescales, so nothing is decided here that
        it would not.  Else what the projection returns (``out``, or a new
        array; a tensor's version counter bumped), what ``at_addresses``
        returned, and the per-group array (None unless ``want_groups``).
    """
    cdef double radius = _common_radius(eta)
    cdef Py_ssize_t n_rows, n_cols
    cdef cnp.npy_intp n_groups
    cdef object memory, returned, status, shape, per_group = None
    if radius < 0 or type(axis) is not int or not (axis == 0 or axis == 1):
        return None
    memory = _common_memory(y, out)
    if memory is None:
        return None
    if type(y) is _ndarray:
        if cnp.PyArray_NDIM(<cnp.ndarray> y) != 2:
            return None
        n_rows = cnp.PyArray_DIM(<cnp.ndarray> y, 0)
        n_cols = cnp.PyArray_DIM(<cnp.ndarray> y, 1)
    else:
        shape = memory[5]
        if len(shape) != 2:
            return None
        n_rows, n_cols = shape
    if want_groups:
        n_groups = n_rows if axis == 1 else n_cols
        per_group = cnp.PyArray_ZEROS(1, &n_groups, cnp.NPY_FLOAT64, 0)
    returned = at_addresses(memory[1], memory[2], n_rows, n_cols, memory[4], radius,
                            axis == 1, per_group)
    status = returned[0] if type(returned) is tuple else returned
    if status != STATUS_PROJECTED and status != STATUS_INSIDE:
        return None
    return _written(memory[0], out), returned, per_group


def finite_and_non_negative(const double[::1] values):
    """Whether every value is finite and >= 0, in one loop.

    The check of a warm start's levels (``project_l1inf_ball``'s
    ``dual_init``) on every call of a pruning schedule's projection:
    NumPy's ``isfinite(...).all()`` and ``(... >= 0).all()`` took 3-4 us
    each on 1000 values (an Intel Xeon), most of a small matrix's call.
    """
    cdef Py_ssize_t i
    cdef bint fits = True
    for i in range(values.shape[0]):
        # (NaN fails both comparisons)
        fits &= (values[i] >= 0.0) & (values[i] < INFINITY)
    return fits


# ------------------------------------------------------------ axes swapped

cdef extern from "_swap_axes.h" nogil:
    void skp_swap_leading_axes_f32(const float* src, float* dst, Py_ssize_t a, Py_ssize_t b,
                                   Py_ssize_t k)
    void skp_swap_leading_axes_f64(const double* src, double* dst, Py_ssize_t a,
                                   Py_ssize_t b, Py_ssize_t k)


def swap_leading_axes(size_t src_address, size_t dst_address, Py_ssize_t a, Py_ssize_t b,
                      Py_ssize_t k, bint single):
    """``dst[j, i, :] = src[i, j, :]``: a contiguous (a, b, k) array into a (b, a, k) one.

    The copy ``skproj.nn`` makes of a convolution's weight (out, in, kh, kw)
    whose groups are its input channels, rows of the matrix (in, out * kh *
    kw) that the projections take, and its copy back
    (``_torch_backend.leading_axes_swapped``).  By addresses, as the
    kernels' ``at_addresses`` entries (float32 with ``single``, else
    float64): typed memoryviews of the two arrays cost more than the copy of
    a small weight.  The caller's arrays: contiguous, not overlapping,
    nothing checked.
    """
    if a <= 0 or b <= 0 or k <= 0:
        return
    with nogil:
        if single:
            skp_swap_leading_axes_f32(<const float*> src_address, <float*> dst_address, a, b, k)
        else:
            skp_swap_leading_axes_f64(<const double*> src_address, <double*> dst_address, a, b,
                                      k)
