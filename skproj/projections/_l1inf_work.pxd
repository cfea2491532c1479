# The work memory of one call of the exact l1,inf kernel, shared by the modules
# that read the matrix: the driver and candidate gather (``_l1inf``), the dense
# regime (``_l1inf_dense``) and the passes over strips (``_l1inf_strips``).
# ``_l1inf._alloc_work`` allocates it, ``_l1inf._free_work`` frees every
# buffer once, whatever path ran (``_l1inf_dense`` allocates its own buffers
# on demand into the same struct).

from libc.stdint cimport int32_t
from skproj.projections._l1inf_lists cimport Envelope, GroupLists, RootStart, grow

cdef struct Work:
    # The lists, the bounds and the Newton rounds (``_l1inf_lists``).
    GroupLists lists
    # The gathers, one slot per group.
    double* gather_level    # U_g: the entries below it are gathered (step 3)
    double* band_low        # dense regime: the gathered band of each group,
    double* band_high       # where mu_g^* must lie (checked after the solve);
                            # +inf for the columns a range gather left out
    double* histogram_low   # dense regime: the range [L_g, U_g] split into the
    double* histogram_high  # bins of the last histogram
    Py_ssize_t* edges_low   # dense regime: mu_g^* lies in the bins
    Py_ssize_t* edges_high  # edges_low + 1 .. edges_high of that histogram
    Py_ssize_t* subset      # the groups to gather again
    Py_ssize_t* bucket_cursor   # scratch of the bucketing by group
    # Column groups of a row-major matrix (candidate gathers): each row's
    # entries are tested against their column's level (0 for the columns
    # left out).
    double* column_high
    # The (entry, column) pairs gathered row by row, before bucketing.
    double* pair_values
    int32_t* pair_groups
    Py_ssize_t pair_capacity
    # Dense regime: the histogram of the rank-th live group, then the
    # envelope of its mu_g, in envelopes[rank]; the envelope sums at the ends
    # of the first bracket of theta^*, added up as they are filled.
    Envelope* envelopes
    RootStart root_start
    # Dense regime, column groups of a row-major matrix: a block of
    # consecutive columns copied column by column (``_group_entries``), its
    # bytes per row, and the first column it holds (-1: none).
    void* block
    Py_ssize_t block_bytes
    Py_ssize_t block_first
    # Dense regime, column groups of a row-major matrix: each column's count
    # and sum of the entries above its band, added up row by row by the range
    # gather (``gather_ranges_columns``).
    double* column_count
    double* column_total
    # The clipping levels in the input's precision (the write compares in it).
    void* clip_levels
    # In cache, the copy the in-cache path reads in the lanes layout, its rows
    # copy_stride bytes apart: float32 short groups of the groups layout
    # transposed, or column groups whose rows lie a page apart
    # (``_l1inf_strips.small_lanes_copy``); or NULL.
    void* lanes_copy
    Py_ssize_t copy_stride
    # The block that holds the per-group arrays above, from gather_level to
    # clip_levels (``_alloc_work``).
    double* slab


cdef inline bint reserve_pair_buffers(double** values, int32_t** groups, Py_ssize_t* capacity,
                                      Py_ssize_t needed, Py_ssize_t used) noexcept nogil:
    """Grow a pair of buffers, entries and their groups, to hold ``needed`` pairs
    (doubling), the first ``used`` kept; ``capacity`` counts what both hold."""
    cdef Py_ssize_t values_capacity = capacity[0]
    # (``capacity`` follows the second buffer)
    return (grow(<void**> values, &values_capacity, needed, sizeof(double), used)
            and grow(<void**> groups, capacity, needed, sizeof(int32_t), used))


cdef inline bint reserve_pairs(Work* w, Py_ssize_t needed, Py_ssize_t used) noexcept nogil:
    """Grow the work's (entry, column) pair buffers to hold ``needed`` pairs
    (``reserve_pair_buffers``)."""
    return reserve_pair_buffers(&w.pair_values, &w.pair_groups, &w.pair_capacity, needed,
                                used)
