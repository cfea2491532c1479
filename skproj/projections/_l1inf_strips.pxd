# The two l1,inf paths that read the matrix in passes over strips of groups in
# cache (the in-cache and the sampled-bracket paths), and what they share with
# the general path of ``_l1inf`` and the short groups' (``_l1inf_short``): the
# end of step 1 (``first_levels``), step 5 (``write_clipped``) and the phase
# clock of the benchmark hook.  Their scratch is the general path's work memory
# (``_l1inf_work.Work``), whose per-group arrays they borrow under their own
# names: the paths run one after the other in a call, never together.

from cython cimport floating
from libc.stdint cimport int32_t
from skproj.projections._l1inf_work cimport Work

cdef enum:
    # What ``small_project`` and ``bracket_project`` return when they decline
    # (``bracket_project``: the second where its sample keeps too few groups).
    SMALL_DECLINED = -1
    BRACKET_FEW_KEPT = -2
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

# The phase clock: ``now`` is 0 unless the phases are timed (``time_phases``).
cdef double now() noexcept nogil
cdef double lap(int phase, double since) noexcept nogil
cdef void time_phases(bint on) noexcept nogil
cdef double* phase_seconds() noexcept nogil

cdef bint first_levels(const double* sums, const double* maxima, Py_ssize_t n_groups,
                       double* mu, double* total_max) noexcept nogil
cdef void write_clipped(const floating[:, :] y, floating[:, :] x, const floating* levels,
                        const Py_ssize_t* kept, Py_ssize_t n_kept,
                        bint groups_are_rows) noexcept nogil
cdef int pass_layout(const floating[:, :] y, bint groups_are_rows,
                     Py_ssize_t* stride) noexcept nogil
cdef int small_layout(const floating[:, :] y, bint groups_are_rows,
                      Py_ssize_t* stride) noexcept nogil
cdef void* small_lanes_copy(const floating[:, :] y, bint groups_are_rows,
                            Py_ssize_t* copy_stride, void** block) noexcept nogil
cdef bint small_norms(const floating[:, :] y, bint groups_are_rows, double* sums,
                      double* maxima, void* lanes_copy, Py_ssize_t copy_stride) noexcept nogil
cdef bint sums_by_blocks(const floating[:, :] y, bint groups_are_rows,
                         const void* lanes_copy) noexcept nogil
cdef int passes_simd() noexcept nogil
cdef bint in_cache_size(Py_ssize_t n_bytes) noexcept nogil
cdef bint passes_along_rows(const floating[:, :] y, bint groups_are_rows) noexcept nogil
cdef int small_project(const floating[:, :] y, floating[:, :] x, double eta,
                       bint groups_are_rows, Work* w, double* mu, double* theta_out,
                       int* rounds, bint any_size, const double* start) noexcept nogil
cdef bint bracket_eligible(const floating[:, :] y, bint groups_are_rows) noexcept nogil
cdef bint passes_before_bracket(const floating[:, :] y, bint groups_are_rows) noexcept nogil
cdef int bracket_project(const floating[:, :] y, floating[:, :] x, double eta,
                         bint groups_are_rows, Work* w, double theta_0, double* mu,
                         double* theta_out, int* rounds, bint any_share) noexcept nogil
