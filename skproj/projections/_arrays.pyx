# cython: boundscheck=False, wraparound=False
"""The memory of the functional API's common call on NumPy arrays, read in C.

The kernels' entries taking addresses (``at_addresses`` of ``_l1``,
``_bilevel`` and ``_l1inf``) skip the typed memoryviews, whose buffer
requests cost about a microsecond a call.  Tensors' addresses are read in
Python from their attributes (``_validation.tensor_out_addresses``); an
ndarray's are read here from its C struct, where the Python checks of the
same (``_validation.common_memory``: the dtype, flags, shape and bounds of
two arrays) cost more than the kernel itself on a small layer's weight.
"""

cimport numpy as cnp
import numpy as np

cnp.import_array()

cdef object _ndarray = np.ndarray


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
    ``out`` None (``x`` is then a new C-ordered array like ``y``) or an
    ndarray of the same dtype and shape, C-contiguous, aligned, writable and
    either the same memory as ``y`` or apart from it.  Everything else gets
    None and goes the general way (``_validation.run_projection``), which
    raises the errors; so these checks decide nothing that it would not.

    ``n``: the number of values; ``single``: whether they are float32.
    """
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
        out = cnp.PyArray_EMPTY(cnp.PyArray_NDIM(a), cnp.PyArray_DIMS(a), type_num, 0)
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
