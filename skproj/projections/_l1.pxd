# Condat's expected-linear-time simplex threshold, shared by every kernel that
# projects a vector of magnitudes onto an l1 ball (the bi-level kernels, the
# exact l1,inf kernel).

# Status codes returned by the kernels; the Python layer turns them into errors.
cpdef enum Status:
    STATUS_PROJECTED = 0
    STATUS_INSIDE = 1        # already feasible: copied unchanged
    STATUS_NONFINITE = 2     # NaN or inf found: nothing written
    STATUS_NOMEMORY = 3


cdef struct SimplexThreshold:
    double* values        # capacity: one slot per pushed value
    Py_ssize_t n_parked   # values[0:n_parked]: candidates set aside by a restart
    Py_ssize_t end        # values[n_parked:end]: the current candidate list
    double total          # sum of the current candidate list
    double radius
    # The list's threshold is rho = (total - radius) / (end - n_parked); it is
    # compared by cross-multiplication so that a push needs no division.


cdef void threshold_init(SimplexThreshold* state, double* buffer,
                         double radius) noexcept nogil
cdef void threshold_push(SimplexThreshold* state, double value) noexcept nogil
cdef double threshold_finish(SimplexThreshold* state) noexcept nogil
cdef double michelot_threshold(double* values, Py_ssize_t n, double total,
                               double radius) noexcept nogil
cdef double simplex_threshold(const double* values, Py_ssize_t n, double radius,
                              double* buffer) noexcept nogil
