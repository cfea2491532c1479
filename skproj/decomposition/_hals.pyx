# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
r"""Kernel of HALS (hierarchical alternating least squares) for NMF.

One sweep over the columns of :math:`W \ge 0` minimizing :math:`\|X - WH\|_F`
exactly one column at a time, given :math:`A = XH^\top` and :math:`B = HH^\top`:

.. math::

    w_j \leftarrow \Big(w_j + \frac{a_j - W b_j}{B_{jj}}\Big)_+ ,

with the columns before :math:`j` already updated (Cichocki & Phan 2009).  A
loop over NumPy columns costs several calls per column; a sweep here costs
about what scikit-learn's coordinate-descent NMF spends on one factor.
Kernels never validate: the caller passes float64 arrays of matching shapes.

References
----------
A. Cichocki, A.-H. Phan, "Fast local algorithms for large scale nonnegative
matrix and tensor factorizations", IEICE Trans. Fundamentals E92-A (2009).
"""

from libc.stdlib cimport free, malloc

cdef double TINY = 2.2250738585072014e-308    # np.finfo(np.float64).tiny


def hals_sweeps(double[::1, :] W, const double[::1, :] XHt, const double[:, :] HHt,
                Py_ssize_t n_sweeps=1):
    """``n_sweeps`` HALS sweeps on the columns of ``W`` (Fortran order), in place.

    Column by column: the residual :math:`a_j - W b_j` is accumulated one
    column of W at a time (contiguous loops the compiler vectorizes).
    Returns False if the work vector cannot be allocated (W unchanged).
    """
    cdef Py_ssize_t n = W.shape[0], k = W.shape[1], sweep, i, j, l
    cdef double diagonal, coefficient, value
    cdef double* residual = <double*> malloc(max(n, 1) * sizeof(double))
    if residual == NULL:
        return False
    with nogil:
        for sweep in range(n_sweeps):
            for j in range(k):
                diagonal = HHt[j, j]
                if diagonal <= TINY:
                    continue
                for i in range(n):
                    residual[i] = XHt[i, j]
                for l in range(k):
                    coefficient = HHt[l, j]
                    for i in range(n):
                        residual[i] -= W[i, l] * coefficient
                for i in range(n):
                    value = W[i, j] + residual[i] / diagonal
                    W[i, j] = value if value > 0 else 0.0
    free(residual)
    return True
