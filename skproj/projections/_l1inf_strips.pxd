# The two l1,inf paths that read the matrix in passes over strips of groups in
# cache (the in-cache and the sampled-bracket paths), and what they share with
# the general path of ``_l1inf``: its work memory (``Work``, whose per-group
# arrays they borrow as scratch), step 5 (``write_clipped``) and the phase
# clock of the benchmark hook.

from cython cimport floating
from libc.stdint cimport int32_t
from skproj.projections._l1inf_lists cimport Envelope, GroupLists, RootStart

cdef enum:
    # What ``small_project`` and ``bracket_project`` return when they decline.
    SMALL_DECLINED = -1
    # How a pass reads the groups (``small_layout``).
    SMALL_LANES = 1         # the groups are the columns of contiguous rows
    SMALL_GROUPS = 2        # every group is contiguous
    # The phases timed by the benchmark hook (``_l1inf._phase_times``).
    PHASE_SUMS = 0
    PHASE_GATHER = 1
    PHASE_HISTOGRAMS = 2
    PHASE_ENVELOPES = 3
    PHASE_BAND = 4
    PHASE_SOLVE = 5
    PHASE_WRITE = 6
    N_PHASES = 7

# The work memory of one call of the kernel (``_l1inf._alloc_work``).
cdef struct Work:
    # The lists, the bounds and the Newton rounds (``_l1inf_lists``).
    GroupLists lists
    # The gathers, one slot per group.
    double* gather_level    # U_g: the entries below it are gathered (step 3)
    double* band_low        # dense regime: the gathered band of each group,
    double* band_high       # where mu_g^* must lie (checked after the solve)
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
    # The clipping levels in the input's precision (the write compares in it).
    void* clip_levels

# The phase clock: ``now`` is 0 unless the phases are timed (``time_phases``).
cdef double now() noexcept nogil
cdef double lap(int phase, double since) noexcept nogil
cdef void time_phases(bint on) noexcept nogil
cdef double* phase_seconds() noexcept nogil

cdef void write_clipped(const floating[:, :] y, floating[:, :] x, const floating* levels,
                        const Py_ssize_t* kept, Py_ssize_t n_kept,
                        bint groups_are_rows) noexcept nogil
cdef int small_layout(const floating[:, :] y, bint groups_are_rows,
                      Py_ssize_t* stride) noexcept nogil
cdef bint small_norms(const floating[:, :] y, bint groups_are_rows, double* sums,
                      double* maxima) noexcept nogil
cdef int small_project(const floating[:, :] y, floating[:, :] x, double eta,
                       bint groups_are_rows, Work* w, double* mu, double* theta_out,
                       int* rounds) noexcept nogil
cdef int bracket_project(const floating[:, :] y, floating[:, :] x, double eta,
                         bint groups_are_rows, Work* w, double theta_0, double* mu,
                         double* theta_out, int* rounds) noexcept nogil
