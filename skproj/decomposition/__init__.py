"""Matrix factorizations with structured sparsity: :class:`SparseNMF` (gspNMF)."""

from skproj.decomposition._sparse_nmf import SparseNMF, sparse_nmf

__all__ = ["SparseNMF", "sparse_nmf"]
