"""Helpers for the tests of sparse input: the same data in every sparse form.

An estimator that accepts ``scipy.sparse`` input must give, on every form of
the same data (CSR and CSC, the matrix and the array classes, int64 indices,
read-only buffers), the fit it gives on the dense array.  Reusable by every
estimator's tests: ``assert_sparse_fit_equals_dense(make_estimator, X, y)``.
"""

import numpy as np
from scipy import sparse
from sklearn.base import clone


def _read_only(matrix):
    for buffer in (matrix.data, matrix.indices, matrix.indptr):
        buffer.flags.writeable = False
    return matrix


def _int64_indices(matrix):
    matrix = matrix.copy()
    matrix.indices = matrix.indices.astype(np.int64)
    matrix.indptr = matrix.indptr.astype(np.int64)
    return matrix


def sparse_forms(X):
    """``{name: the same data as a sparse matrix or array}``."""
    return {
        "csr_matrix": sparse.csr_matrix(X),
        "csc_matrix": sparse.csc_matrix(X),
        "csr_array": sparse.csr_array(X),
        "csc_array": sparse.csc_array(X),
        "csr_int64": _int64_indices(sparse.csr_matrix(X)),
        "csr_read_only": _read_only(sparse.csr_matrix(X)),
    }


def assert_sparse_fit_equals_dense(estimator, X, y, *, forms=None, rtol=1e-7, atol=1e-10,
                                   attributes=("coef_", "feature_importances_")):
    """Fit clones of ``estimator`` on ``X`` dense and sparse; assert the same results.

    Compares the selected features (``get_support``), ``attributes`` that the
    dense fit has, and the outputs of ``predict``, ``predict_proba`` and
    ``transform`` (densified) on the dense and the sparse data.
    """
    X = np.asarray(X)
    dense = clone(estimator).fit(X, y)
    for name, X_sparse in (forms or sparse_forms(X)).items():
        fitted = clone(estimator).fit(X_sparse, y)
        for attribute in attributes:
            if hasattr(dense, attribute):
                np.testing.assert_allclose(getattr(fitted, attribute),
                                           getattr(dense, attribute), rtol=rtol, atol=atol,
                                           err_msg=f"{attribute} on {name}")
        if hasattr(dense, "get_support"):
            np.testing.assert_array_equal(fitted.get_support(), dense.get_support(),
                                          err_msg=f"support on {name}")
        for method in ("predict", "predict_proba", "transform"):
            if hasattr(dense, method):
                expected = getattr(dense, method)(X)
                got = getattr(fitted, method)(X_sparse)
                got = got.toarray() if sparse.issparse(got) else np.asarray(got)
                if method == "predict":
                    np.testing.assert_array_equal(got, expected, err_msg=f"{method} on {name}")
                else:
                    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol,
                                               err_msg=f"{method} on {name}")
