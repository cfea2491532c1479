"""Projections onto the balls of structured sparsity.

Every function takes NumPy arrays (float32 or float64, any memory layout) or
PyTorch tensors (CPU tensors share memory with the Cython kernels, CUDA
tensors are projected on the device) and returns the same kind, dtype and
device.  The input is never modified unless it is passed as ``out=``.

Vectors (the whole array is one vector):

- :func:`project_l1_ball`, :func:`project_simplex`, :func:`project_l2_ball`,
  :func:`project_linf_ball`.

Matrices (``axis`` is the axis the inner norm runs along; with the default
``axis=0`` each column is a group):

- :func:`project_l1inf_ball`, :func:`project_l12_ball` (exact Euclidean
  projections);
- :func:`bilevel_l1inf`, :func:`bilevel_l11`, :func:`bilevel_l12` (bi-level
  projections, linear time);
- :func:`group_norms`, :func:`l1inf_norm`, :func:`l11_norm`, :func:`l12_norm`
  to choose a radius relative to the data.

``MATRIX_PROJECTIONS`` maps the name of every matrix projection to its
function; estimators accept these names as ``projection=``.
"""

from skproj.projections._matrix import (
    bilevel_l1inf,
    bilevel_l11,
    bilevel_l12,
    group_norms,
    l1inf_norm,
    l11_norm,
    l12_norm,
    project_l1inf_ball,
    project_l12_ball,
)
from skproj.projections._vector import (
    project_l1_ball,
    project_l2_ball,
    project_linf_ball,
    project_simplex,
)

MATRIX_PROJECTIONS = {
    "bilevel_l1inf": bilevel_l1inf,
    "bilevel_l11": bilevel_l11,
    "bilevel_l12": bilevel_l12,
    "l1inf_ball": project_l1inf_ball,
    "l12_ball": project_l12_ball,
}

__all__ = [
    "MATRIX_PROJECTIONS",
    "bilevel_l1inf",
    "bilevel_l11",
    "bilevel_l12",
    "group_norms",
    "l1inf_norm",
    "l11_norm",
    "l12_norm",
    "project_l1_ball",
    "project_l1inf_ball",
    "project_l12_ball",
    "project_l2_ball",
    "project_linf_ball",
    "project_simplex",
]
