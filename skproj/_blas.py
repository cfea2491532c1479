"""BLAS threading for the estimators' small matrix products (shared below them)."""

import contextlib

import scipy.sparse as sp
from threadpoolctl import ThreadpoolController

# Below this size of X, BLAS runs on one thread in the solvers: their products
# have a handful of columns (classes, components), and starting or contending
# for threads costs more than they do (measured 10x slower with two threads on
# a busy two-core machine; liblinear and scikit-learn's NMF "cd" solver are
# single-threaded anyway).
SINGLE_THREAD_BYTES = 32 * 2**20
_threadpool_controller = None


def blas_threads_for(X):
    """Context limiting BLAS to one thread when ``X`` (dense or sparse) is small."""
    global _threadpool_controller
    size = X.data.nbytes if sp.issparse(X) else X.nbytes
    if size > SINGLE_THREAD_BYTES:
        return contextlib.nullcontext()
    if _threadpool_controller is None:
        _threadpool_controller = ThreadpoolController()
    return _threadpool_controller.limit(limits=1, user_api="blas")
