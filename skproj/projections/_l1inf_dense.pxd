# The dense regime of the exact l1,inf kernel (``_l1inf_dense.pyx``): bands
# around every mu_g^*, from histograms or predicted from a sample, the
# entries inside them gathered, and the solve on them with its check.  The
# driver (``_l1inf``) projects the sample itself (it is a projection).

from cython cimport floating
from skproj.projections._l1inf_lists cimport GroupLists
from skproj.projections._l1inf_work cimport Work


cdef struct DenseStats:
    # Benchmark hooks (``_l1inf._phase_times``, ``_l1inf._sampled_stats``).
    int histogram_passes
    Py_ssize_t sampled_groups       # in the sample of the predicted bands
    Py_ssize_t band_entries         # gathered in the predicted bands
    Py_ssize_t regathered_groups    # whose level left its band (gathered whole)
    Py_ssize_t rounds               # Newton rounds on the bands, every solve


cdef DenseStats* dense_stats() noexcept nogil

cdef bint histogram_bands(const floating[:, :] y, Work* w, bint groups_are_rows, double eta,
                          double theta_0, double* theta_low) noexcept nogil
cdef Py_ssize_t sample_ranks(const floating[:, :] y, const GroupLists* lists,
                             bint groups_are_rows, Py_ssize_t* ranks,
                             bint* most_groups) noexcept nogil
cdef void copy_sample(const floating[:, :] y, const GroupLists* lists, bint groups_are_rows,
                      const Py_ssize_t* ranks, Py_ssize_t n_sample, floating* sample,
                      Py_ssize_t* offsets) noexcept nogil
cdef int predicted_bands(const floating[:, :] y, Work* w, bint groups_are_rows, double eta,
                         const Py_ssize_t* ranks, Py_ssize_t n_sample,
                         const double* levels, bint wide) noexcept nogil
cdef Py_ssize_t subsample_spacing(const floating[:, :] y, const GroupLists* lists,
                                  bint groups_are_rows, Py_ssize_t n_sample) noexcept nogil
cdef Py_ssize_t subsample_length(const GroupLists* lists, bint groups_are_rows,
                                 Py_ssize_t spacing, Py_ssize_t itemsize) noexcept nogil
cdef void copy_subsample(const floating[:, :] y, const GroupLists* lists,
                         bint groups_are_rows, Py_ssize_t spacing, Py_ssize_t length,
                         floating* sample) noexcept nogil
cdef int subsampled_bands(const floating[:, :] y, Work* w, bint groups_are_rows,
                          const floating* sample, Py_ssize_t length, const double* levels,
                          bint wide) noexcept nogil
cdef int gather_predicted_bands(const floating[:, :] y, Work* w,
                                bint groups_are_rows) noexcept nogil
cdef bint passes_before_any_band(const floating[:, :] y, bint groups_are_rows) noexcept nogil
cdef Py_ssize_t range_row(const floating* row, Py_ssize_t n, Py_ssize_t step, double lo,
                          double hi, double* values, Py_ssize_t pos,
                          Py_ssize_t* count_above, double* sum_above) noexcept nogil
cdef bint gather_ranges_columns(const floating[:, :] y, Work* w) noexcept nogil
cdef double band_lower_bound(GroupLists* lists, double eta, double theta_0) noexcept nogil
cdef bint solve_on_bands(const floating[:, :] y, Work* w, bint groups_are_rows, double eta,
                         double theta_0, double* theta, int* rounds) noexcept nogil
