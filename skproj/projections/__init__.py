"""Projections onto the balls of structured sparsity.

Every function takes NumPy arrays (float32 or float64, any memory layout) or
PyTorch tensors (CPU tensors share memory with the Cython kernels, CUDA
tensors are projected on the device, or through the CPU kernels on a host
copy up to 2 MiB) and returns the same kind, dtype and device.  The input is
never modified unless it is passed as ``out=``.

Vectors (the whole array is one vector):

- :func:`project_l1_ball`, :func:`project_simplex`, :func:`project_l2_ball`,
  :func:`project_linf_ball`.

Matrices (``axis`` is the axis the inner norm runs along; with the default
``axis=0`` each column is a group):

- :func:`project_l1inf_ball`, :func:`project_l12_ball` (exact Euclidean
  projections);
- :func:`bilevel_l1inf`, :func:`bilevel_l11`, :func:`bilevel_l12` (bi-level
  projections, linear time);
- :func:`project_group_hoyer` (GSP: a target average Hoyer sparsity of the
  groups) and :func:`hoyer_sparsity`;
- :func:`group_norms`, :func:`l1inf_norm`, :func:`l11_norm`, :func:`l12_norm`
  to choose a radius relative to the data.

:func:`release_work_memory` frees the work memory that the kernels keep
between calls on large matrices.

Constraint objects (:class:`Constraint` and one subclass per set) hold a set
with its parameters and give its projection, norm, group norms, support and
:meth:`~Constraint.radius_for_groups`; the estimators and :mod:`skproj.nn`
accept them, or their names, which :func:`get_constraint` resolves.
"""

from skproj.projections import _cpu
from skproj.projections._group_hoyer import hoyer_sparsity, project_group_hoyer
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
from skproj.projections._constraints import (
    CONSTRAINTS,
    MATRIX_CONSTRAINTS,
    BilevelL1Inf,
    BilevelL11,
    BilevelL12,
    Constraint,
    GroupHoyer,
    L1Ball,
    L1InfBall,
    L2Ball,
    L12Ball,
    LinfBall,
    Simplex,
    get_constraint,
)
from skproj.projections._memory import release_work_memory
from skproj.projections._vector import (
    project_l1_ball,
    project_l2_ball,
    project_linf_ball,
    project_simplex,
)


_cpu.disabled_cpu_features()     # (warns about names the kernels pass over)

__all__ = [
    "CONSTRAINTS",
    "MATRIX_CONSTRAINTS",
    "BilevelL1Inf",
    "BilevelL11",
    "BilevelL12",
    "Constraint",
    "GroupHoyer",
    "L1Ball",
    "L1InfBall",
    "L2Ball",
    "L12Ball",
    "LinfBall",
    "Simplex",
    "get_constraint",
    "bilevel_l1inf",
    "bilevel_l11",
    "bilevel_l12",
    "group_norms",
    "hoyer_sparsity",
    "l1inf_norm",
    "l11_norm",
    "l12_norm",
    "project_group_hoyer",
    "project_l1_ball",
    "project_l1inf_ball",
    "project_l12_ball",
    "project_l2_ball",
    "project_linf_ball",
    "project_simplex",
    "release_work_memory",
]
