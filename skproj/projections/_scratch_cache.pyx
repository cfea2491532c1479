"""The one cache of the kernels' work memory (``_scratch_cache.h``).

The header's slots are static: each extension module that included it would
keep blocks of its own, up to its bound.  The kernels call these instead, so
that all of them share one cache and one bound.
"""

cdef extern from "_scratch_cache.h" nogil:
    void* skh_malloc(size_t size)
    void* skh_calloc(size_t count, size_t size)
    void skh_free(void* pointer)
    size_t skh_cache_release()


cdef void* scratch_malloc(size_t size) noexcept nogil:
    return skh_malloc(size)


cdef void* scratch_calloc(size_t count, size_t size) noexcept nogil:
    return skh_calloc(count, size)


cdef void scratch_free(void* pointer) noexcept nogil:
    skh_free(pointer)


def release():
    """Free the work memory kept for later calls; return the bytes it held.

    The kernels keep up to 64 MiB of blocks of at least 64 KiB between calls
    (reused, they cost no page faults); a program done with large
    projections can give them back.
    """
    cdef size_t released
    with nogil:
        released = skh_cache_release()
    return released
