# Work memory kept from one call to the next (see _scratch_cache.h): malloc,
# calloc and free that keep large blocks, so that the next call takes no page
# fault on them.  Each module that cimports this keeps its own blocks: free
# a block in the module that allocated it.

cdef extern from "_scratch_cache.h" nogil:
    void* scratch_malloc "skh_malloc"(size_t size)
    void* scratch_calloc "skh_calloc"(size_t count, size_t size)
    void scratch_free "skh_free"(void* pointer)
