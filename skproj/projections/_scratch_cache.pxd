# Work memory kept from one call to the next (see _scratch_cache.h): malloc,
# calloc and free that keep large blocks, so that the next call takes no page
# fault on them.  The blocks live in one module (_scratch_cache.pyx), shared by
# every kernel that cimports these: one bound on the memory kept, whichever
# kernels ran.

cdef void* scratch_malloc(size_t size) noexcept nogil
cdef void* scratch_calloc(size_t count, size_t size) noexcept nogil
cdef void scratch_free(void* pointer) noexcept nogil
