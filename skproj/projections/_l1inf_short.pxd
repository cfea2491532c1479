# The exact l1,inf projection of short groups (``_l1inf_short.pyx``).

from cython cimport floating
from skproj.projections._l1inf_work cimport Work

cdef int short_project(const floating[:, :] y, floating[:, :] x, double eta,
                       bint groups_are_rows, Work* w, double* mu, double* theta_out,
                       int* rounds) noexcept nogil
cdef void set_short(bint on) noexcept nogil
