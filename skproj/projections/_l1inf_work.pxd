# The work memory of one call of the exact l1,inf kernel, shared by the modules
# that read the matrix: the driver and candidate gather (``_l1inf``), the dense
# regime (``_l1inf_dense``) and the passes over strips (``_l1inf_strips``).
# ``_l1inf._alloc_work`` allocates it, ``_l1inf._free_work`` frees every
# buffer once, whatever path ran (``_l1inf_dense`` allocates its own buffers
# on demand into the same struct).  Also the one driver of the gathers of
# groups read in place, one after the other, in two halves of the groups on
# large matrices (``gather_groups``: the candidates of ``_l1inf``, the bands
# of ``_l1inf_dense``).

from libc.stdint cimport int32_t
from libc.string cimport memcpy
from skproj.projections._scratch_cache cimport scratch_free
from skproj.projections._l1 cimport HALVES_BYTES, half_threads
from skproj.projections._l1inf_lists cimport Envelope, GroupLists, RootStart, grow, reserve

cdef extern from "_threads.h" nogil:
    ctypedef void (*skp_half_job)(void* half) noexcept nogil
    int skp_run_halves(skp_half_job job, void* first, void* second, int threads)

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
    # transposed, or column groups whose rows lie a page (or, float32 past
    # L2, 2 KiB) apart (``_l1inf_strips.small_lanes_copy``); or NULL.  It
    # starts on a cache line in lanes_block, the memory to free.
    void* lanes_copy
    Py_ssize_t copy_stride
    void* lanes_block
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


# ------------------------------------------------------------ gathers of groups in place

cdef struct GroupsPart

# Appends the list of group ``part.subset[idx]`` at ``part.used`` in
# ``part.values`` (grown by ``part_room``) and sets the group's start there,
# length, and count and sum above; False where memory ran out.
ctypedef bint (*GroupGather)(GroupsPart* part, Py_ssize_t idx) noexcept nogil

cdef struct GroupsPart:
    # A gather of groups read in place, one after the other (``gather_groups``):
    # the matrix, its groups ``group_stride`` bytes apart, each ``length``
    # entries ``step`` elements apart; the groups of ``subset``; the buffer
    # their lists go to, from ``first`` to ``used``.
    Work* w
    GroupGather gather
    const void* y
    bint single, done
    Py_ssize_t group_stride, step, length, n_subset, capacity, first, used
    const Py_ssize_t* subset
    double* values


cdef inline bint gather_groups(Work* w, GroupGather gather, const void* y, bint single,
                               Py_ssize_t group_stride, Py_ssize_t step, Py_ssize_t length,
                               const Py_ssize_t* subset, Py_ssize_t n_subset,
                               bint halves) noexcept nogil:
    """Append the lists of the groups of ``subset`` (``gather`` each), read in place.

    Groups of HALVES_BYTES or more in all, where ``halves``, are gathered in
    the two halves of ``subset``, the second on a thread of its own where
    two CPUs are free (``skp_run_halves``) into a buffer of its own, whose
    lists are then copied after the first half's: the same lists, counts
    and sums as one gather, whatever the threads.  False where memory ran
    out.
    """
    cdef GroupLists* lists = &w.lists
    cdef GroupsPart first, second
    cdef bint done
    first.w, first.gather, first.y, first.single = w, gather, y, single
    first.group_stride, first.step, first.length = group_stride, step, length
    first.subset, first.n_subset = subset, n_subset
    first.values, first.capacity = lists.values, lists.capacity
    first.first = first.used = lists.n_values
    if not halves or n_subset < 2 or n_subset * length * (4 if single else 8) < HALVES_BYTES:
        gather_part(&first)
        lists.values, lists.capacity, lists.n_values = first.values, first.capacity, first.used
        return first.done
    second = first
    first.n_subset = n_subset // 2
    second.subset, second.n_subset = subset + n_subset // 2, n_subset - n_subset // 2
    second.values, second.capacity, second.first, second.used = NULL, 0, 0, 0
    skp_run_halves(gather_part, &first, &second, half_threads())
    lists.values, lists.capacity = first.values, first.capacity
    lists.n_values = first.used
    # (the second half's lists after the first's)
    done = first.done and second.done and append_lists(lists, second.values, second.used,
                                                       second.subset, second.n_subset)
    scratch_free(second.values)
    return done


cdef inline bint append_lists(GroupLists* lists, const double* values, Py_ssize_t n_values,
                              const Py_ssize_t* groups, Py_ssize_t n_groups) noexcept nogil:
    """Lists gathered apart, ``values[0:n_values]`` (the starts of the
    ``groups`` point into it), appended after ``lists``' own; False where
    memory ran out."""
    cdef Py_ssize_t idx, end = lists.n_values
    if not reserve(lists, end + n_values, end):
        return False
    memcpy(lists.values + end, values, n_values * sizeof(double))
    for idx in range(n_groups):
        lists.start[groups[idx]] += end
    lists.n_values = end + n_values
    return True


cdef inline void gather_part(void* pointer) noexcept nogil:
    """The lists of a part's groups, one after the other (skp_half_job)."""
    cdef GroupsPart* part = <GroupsPart*> pointer
    cdef Py_ssize_t idx
    part.done = False
    for idx in range(part.n_subset):
        if not part.gather(part, idx):
            return
    part.done = True


cdef inline bint part_room(GroupsPart* part, Py_ssize_t needed) noexcept nogil:
    """Grow ``part.values`` to hold ``needed`` entries, the first ``part.used`` kept."""
    return grow(<void**> &part.values, &part.capacity, needed, sizeof(double), part.used)
