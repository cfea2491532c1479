# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
r"""Kernel of HALS (hierarchical alternating least squares) for NMF.

One sweep over the columns of :math:`W \ge 0` minimizing :math:`\|X - WH\|_F`
exactly one column at a time, given :math:`A = XH^\top` and :math:`B = HH^\top`:

.. math::

    w_j \leftarrow \Big(w_j + \frac{a_j - W b_j}{B_{jj}}\Big)_+ ,

with the columns before :math:`j` already updated (Cichocki & Phan 2009).  A
loop over NumPy columns costs several calls per column; a sweep here costs
about what scikit-learn's coordinate-descent NMF spends on one factor.

And the exact non-negative least squares for W given H, row by row, by the
active-set method of Lawson & Hanson on the normal equations (Bro & de Jong
1997): the solution, not an iterate, so that it does not depend on the start
(which only saves work).  And the element-wise passes of a projected-gradient
step, fused.  Kernels never validate: the caller passes float64 arrays of
matching shapes.

References
----------
A. Cichocki, A.-H. Phan, "Fast local algorithms for large scale nonnegative
matrix and tensor factorizations", IEICE Trans. Fundamentals E92-A (2009).
C. L. Lawson, R. J. Hanson, "Solving least squares problems", Prentice-Hall
(1974), chapter 23.
R. Bro, S. de Jong, "A fast non-negativity-constrained least squares
algorithm", J. Chemometrics 11 (1997).
"""

from libc.math cimport fabs, fmax, sqrt
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy
from scipy.linalg.cython_blas cimport ddot, dgemv

cdef double TINY = 2.2250738585072014e-308    # np.finfo(np.float64).tiny


def hals_sweeps(double[::1, :] W, const double[::1, :] XHt, const double[:, :] HHt,
                Py_ssize_t n_sweeps=1, double shrink=0.0):
    r"""Up to ``n_sweeps`` HALS sweeps on the columns of ``W`` (Fortran order), in place.

    Column by column: the residual :math:`a_j - W b_j` is one matrix-vector
    product (BLAS ``dgemv``, whose kernels use the machine's vector
    instructions: a sweep on a 600 x 10 W took 26 us as a compiled loop).
    The sweeps stop after the first whose change :math:`\|W_k - W_{k-1}\|_F`
    is at most ``shrink`` times the first sweep's: the stopping rule of
    Gillis & Glineur's accelerated HALS (the products :math:`XH^\top`,
    :math:`HH^\top` are paid once; further sweeps are cheap while they still
    move W).  Returns the number of sweeps made, -1 if the work vector
    cannot be allocated (W unchanged).

    N. Gillis, F. Glineur, "Accelerated multiplicative updates and
    hierarchical ALS algorithms for nonnegative matrix factorization",
    Neural Computation 24 (2012).
    """
    cdef int n = W.shape[0], k = W.shape[1], one = 1     # (W: Fortran-contiguous)
    cdef int b_stride = HHt.strides[0] // <Py_ssize_t> sizeof(double)
    cdef Py_ssize_t done = 0, i, j
    cdef double diagonal, inverse, value, change, first_change = 0.0, minus_one = -1.0, plus_one = 1.0
    # An empty W's sweeps run over no column (dgemv takes no n == 0): each
    # changes nothing, and they stop by the rule as any others (after two).
    cdef int columns = k if n > 0 else 0
    cdef double* residual = <double*> malloc(max(n, 1) * sizeof(double))
    if residual == NULL:
        return -1
    with nogil:
        while done < n_sweeps:
            change = 0.0
            for j in range(columns):
                diagonal = HHt[j, j]
                if diagonal <= TINY:
                    continue
                inverse = 1.0 / diagonal
                # residual = a_j - W b_j
                memcpy(residual, &XHt[0, j], n * sizeof(double))
                dgemv("N", &n, &k, &minus_one, &W[0, 0], &n, <double*> &HHt[0, j], &b_stride,
                      &plus_one, residual, &one)
                for i in range(n):      # w_j += max(residual / B_jj, -w_j); residual = the step
                    value = W[i, j] + residual[i] * inverse
                    value = value if value > 0 else 0.0
                    residual[i] = value - W[i, j]
                    W[i, j] = value
                change += ddot(&n, residual, &one, residual, &one)
            done += 1
            if done == 1:
                first_change = change
            elif change <= shrink * shrink * first_change:
                break
    free(residual)
    return done


cdef bint _solve_on_passive_set(const double[:, :] G, const double[:] a, const Py_ssize_t* passive,
                                Py_ssize_t m, double* L, double* x) noexcept nogil:
    """x[:m] = G[P, P]^{-1} a[P] by Cholesky (L: m*m work); False if G[P, P]
    is not numerically positive definite."""
    cdef Py_ssize_t i, j, p
    cdef double total
    for j in range(m):
        total = G[passive[j], passive[j]]
        for p in range(j):
            total -= L[j * m + p] * L[j * m + p]
        if total <= 1e-14 * G[passive[j], passive[j]] or total <= TINY:
            return False
        L[j * m + j] = sqrt(total)
        for i in range(j + 1, m):
            total = G[passive[i], passive[j]]
            for p in range(j):
                total -= L[i * m + p] * L[j * m + p]
            L[i * m + j] = total / L[j * m + j]
    for i in range(m):          # L y = a[P]
        total = a[passive[i]]
        for p in range(i):
            total -= L[i * m + p] * x[p]
        x[i] = total / L[i * m + i]
    for i in range(m - 1, -1, -1):      # L^T x = y
        total = x[i]
        for p in range(i + 1, m):
            total -= L[p * m + i] * x[p]
        x[i] = total / L[i * m + i]
    return True


cdef void _nnls_row(const double[:, :] G, const double[:] a, double[:] w, Py_ssize_t max_iter,
                    Py_ssize_t* passive, char* in_passive, double* L, double* x) noexcept nogil:
    """Lawson-Hanson on ``min w^T G w / 2 - a^T w, w >= 0``, from the feasible ``w``."""
    cdef Py_ssize_t k = w.shape[0], m, j, l, p, best, n_iter
    cdef double alpha, ratio, gradient, largest, tolerance = 0.0
    for j in range(k):
        tolerance = fmax(tolerance, fabs(a[j]))
    tolerance *= 1e-10
    m = 0
    for j in range(k):      # the start's support is the first passive set
        in_passive[j] = w[j] > 0 and G[j, j] > TINY
        if in_passive[j]:
            passive[m] = j
            m += 1
        else:
            w[j] = 0.0
    for n_iter in range(max_iter):
        # The least squares on the passive set; where it leaves the orthant,
        # step from w towards it to the boundary and drop the entries reached.
        while m > 0:
            if not _solve_on_passive_set(G, a, passive, m, L, x):
                # singular (dependent columns): drop the last entry added
                m -= 1
                in_passive[passive[m]] = False
                w[passive[m]] = 0.0
                continue
            alpha = 2.0     # the step to the boundary, set by the entry ``best``
            best = -1
            for p in range(m):
                if x[p] <= 0:
                    ratio = w[passive[p]] / (w[passive[p]] - x[p])
                    if ratio < alpha:
                        alpha, best = ratio, p
            if best < 0:
                for p in range(m):
                    w[passive[p]] = x[p]
                break
            l = 0
            for p in range(m):
                j = passive[p]
                w[j] += alpha * (x[p] - w[j])
                if p == best or w[j] <= 0:
                    w[j] = 0.0
                    in_passive[j] = False
                else:
                    passive[l] = j
                    l += 1
            m = l
        # Optimal when no entry at zero has a descent direction.
        best = -1
        largest = tolerance
        for j in range(k):
            if in_passive[j] or G[j, j] <= TINY:
                continue
            gradient = a[j]
            for l in range(k):
                gradient -= G[j, l] * w[l]
            if gradient > largest:
                largest, best = gradient, j
        if best < 0:
            return
        in_passive[best] = True
        passive[m] = best
        m += 1


def nnls_rows(double[:, ::1] W, const double[:, ::1] XHt, const double[:, :] HHt,
              Py_ssize_t max_iter):
    r"""Each row of ``W`` set to :math:`\arg\min_{w \ge 0} \|x - H^\top w\|`, in place.

    With :math:`G = HH^\top` and :math:`a = Hx` (a row of ``XHt``): Lawson &
    Hanson's active set, from the row's own support, at most ``max_iter``
    entries added per row.  Optimal when no zero entry has a gradient
    :math:`a_j - (Gw)_j` above :math:`10^{-10} \max_j |a_j|`.  Entries whose
    row of H is zero are set to 0.  Returns False if the work memory cannot
    be allocated (W unchanged).
    """
    cdef Py_ssize_t n = W.shape[0], k = W.shape[1], i
    cdef double* L = <double*> malloc((k * k + k + 1) * sizeof(double))
    cdef Py_ssize_t* passive = <Py_ssize_t*> malloc((k + 1) * sizeof(Py_ssize_t))
    cdef char* in_passive = <char*> malloc(k + 1)
    if L == NULL or passive == NULL or in_passive == NULL:
        free(L)
        free(passive)
        free(in_passive)
        return False
    with nogil:
        for i in range(n):
            _nnls_row(HHt, XHt[i], W[i], max_iter, passive, in_passive, L, L + k * k)
    free(L)
    free(passive)
    free(in_passive)
    return True


# ---------------------------------------------------------------- projected gradient

def add_clip_negative(double[:, ::1] step, const double[:, ::1] offset):
    """``step = max(step + offset, 0)`` in place: one pass instead of two."""
    cdef Py_ssize_t i, j
    cdef double value
    with nogil:
        for j in range(step.shape[0]):
            for i in range(step.shape[1]):
                value = step[j, i] + offset[j, i]
                step[j, i] = value if value > 0 else 0.0


def extrapolate(double[:, ::1] Z, const double[:, ::1] current, const double[:, :] previous,
                double factor):
    """``Z = current + factor (current - previous)`` (the momentum step), one pass."""
    cdef Py_ssize_t i, j
    with nogil:
        for j in range(Z.shape[0]):
            for i in range(Z.shape[1]):
                Z[j, i] = current[j, i] + factor * (current[j, i] - previous[j, i])
