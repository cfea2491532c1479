# Element-wise helpers shared by the projection kernels (inlined in each).

cimport cython
from libc.math cimport copysign, fabs
from libc.string cimport memcpy, memset
from cython cimport floating

# A hint to bring the cache line of ``address`` in ahead of its use (nothing
# where the compiler has no such builtin); ``prefetch_l2`` into L2 only, for
# lines wanted after those being read now (into L1 they would evict them).
cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    #define SKPROJ_PREFETCH(address) __builtin_prefetch(address)
    #define SKPROJ_PREFETCH_L2(address) __builtin_prefetch(address, 0, 2)
    #else
    #define SKPROJ_PREFETCH(address) ((void) (address))
    #define SKPROJ_PREFETCH_L2(address) ((void) (address))
    #endif
    """
    void prefetch "SKPROJ_PREFETCH"(const void* address) noexcept nogil
    void prefetch_l2 "SKPROJ_PREFETCH_L2"(const void* address) noexcept nogil

# A memoryview slice over raw memory (a C-contiguous matrix at ``address``),
# with no Python object behind it (``memview`` NULL, which Cython's reference
# counting skips): building the slices from addresses spares a torch tensor's
# ``numpy()`` view and the buffer requests, some 2 us a call (the kernels'
# ``at_addresses`` entries).  The slice must be declared first (``= None``).
cdef extern from *:
    """
    #define SKP_MATRIX_SLICE(s, address, n_rows, n_cols, itemsize) do { \
        (s).memview = NULL; (s).data = (char*) (address); \
        (s).shape[0] = (n_rows); (s).shape[1] = (n_cols); \
        (s).strides[0] = (n_cols) * (itemsize); (s).strides[1] = (itemsize); \
        (s).suboffsets[0] = -1; (s).suboffsets[1] = -1; } while (0)
    #define SKP_STRIDED_SLICE(s, address, n_rows, n_cols, stride0, stride1) do { \
        SKP_MATRIX_SLICE(s, address, n_rows, n_cols, 1); \
        (s).strides[0] = (stride0); (s).strides[1] = (stride1); } while (0)
    """
    void matrix_slice "SKP_MATRIX_SLICE"(...) nogil
    # (the same with any strides, in bytes: a block of a matrix's slice)
    void strided_slice "SKP_STRIDED_SLICE"(...) nogil

# The calling thread's CPU time in seconds, for the kernels' benchmark hooks
# (their per-phase times; a system call: read only while a hook is on).
cdef extern from "<time.h>" nogil:
    cdef struct timespec:
        long tv_sec
        long tv_nsec
    int clock_gettime(int clock, timespec* t)
    enum: CLOCK_THREAD_CPUTIME_ID


cdef inline double thread_seconds() noexcept nogil:
    cdef timespec t
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return t.tv_sec + 1e-9 * t.tv_nsec

# Below this share of non-zero groups (or entries), a kernel first zeroes the
# whole output with one memset -- which streams past the caches on large
# arrays, as memcpy does -- and then writes only the non-zero part, reading
# only the memory it needs.
cdef enum:
    SPARSE_WRITE_DIVISOR = 8


cdef inline floating clip(floating value, floating level) noexcept nogil:
    """``value`` clipped to ``[-level, level]`` (branch-free)."""
    value = level if value > level else value
    return -level if value < -level else value


cdef inline floating shrink(floating value, double tau) noexcept nogil:
    """Soft threshold: ``sign(value) * max(|value| - tau, 0)`` (branch-free)."""
    cdef double magnitude = fabs(value) - tau
    magnitude = magnitude if magnitude > 0 else 0.0
    return <floating> copysign(magnitude, value)


@cython.boundscheck(False)
@cython.wraparound(False)
cdef inline bint c_contiguous(floating[:, :] x) noexcept nogil:
    """Whether ``x`` is one C-contiguous block of memory (or empty)."""
    if x.shape[0] == 0 or x.shape[1] == 0:
        return True
    return x.strides[1] == sizeof(floating) and (
        x.shape[0] == 1 or x.strides[0] == x.shape[1] * sizeof(floating))


cdef inline bint zero_if_contiguous(floating[:, :] x) noexcept nogil:
    """Zero ``x`` with one memset if it is C-contiguous; return whether it was."""
    if x.shape[0] == 0 or x.shape[1] == 0:
        return True
    if not c_contiguous(x):
        return False
    memset(&x[0, 0], 0, x.shape[0] * x.shape[1] * sizeof(floating))
    return True


@cython.boundscheck(False)
@cython.wraparound(False)
cdef inline void copy_matrix(const floating[:, :] y, floating[:, :] x) noexcept nogil:
    """``x[...] = y`` unless they are the same memory (memcpy along contiguous rows)."""
    cdef Py_ssize_t i, j
    if <const void*> &x[0, 0] == <const void*> &y[0, 0]:
        return
    if x.strides[1] == sizeof(floating) and y.strides[1] == sizeof(floating):
        for i in range(y.shape[0]):
            memcpy(&x[i, 0], &y[i, 0], y.shape[1] * sizeof(floating))
        return
    for i in range(y.shape[0]):
        for j in range(y.shape[1]):
            x[i, j] = y[i, j]


cdef inline void clip_row(const floating* src, floating* dst, Py_ssize_t n,
                          Py_ssize_t src_step, Py_ssize_t dst_step,
                          floating level) noexcept nogil:
    """``dst = clip(src, level)`` along one strided row (steps in elements)."""
    cdef Py_ssize_t j
    for j in range(n):
        dst[j * dst_step] = clip(src[j * src_step], level)


cdef inline void clip_columns(const floating* src, floating* dst, Py_ssize_t n,
                              Py_ssize_t src_step, Py_ssize_t dst_step,
                              const floating* levels) noexcept nogil:
    """``dst[j] = clip(src[j], levels[j])``: one row, each column its own level."""
    cdef Py_ssize_t j
    for j in range(n):
        dst[j * dst_step] = clip(src[j * src_step], levels[j])


cdef inline void zero_row(floating* dst, Py_ssize_t n, Py_ssize_t dst_step) noexcept nogil:
    cdef Py_ssize_t j
    for j in range(n):
        dst[j * dst_step] = 0
