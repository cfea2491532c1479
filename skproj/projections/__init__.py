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
- :func:`project_group_hoyer` (GSP: a target average Hoyer sparsity of the
  groups) and :func:`hoyer_sparsity`;
- :func:`group_norms`, :func:`l1inf_norm`, :func:`l11_norm`, :func:`l12_norm`
  to choose a radius relative to the data.

``MATRIX_PROJECTIONS`` maps the name of every matrix projection to its
function; estimators accept these names as ``projection=`` and resolve them
with :func:`get_projection`.  ``INNER_NORMS`` gives the norm each one
constrains inside a group (the natural importance of a group).
"""

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

# The norm inside each group that each matrix projection constrains.
INNER_NORMS = {
    "bilevel_l1inf": "linf",
    "l1inf_ball": "linf",
    "bilevel_l11": "l1",
    "bilevel_l12": "l2",
    "l12_ball": "l2",
}


def get_projection(projection):
    """The function of a matrix projection, from its name or itself.

    Parameters
    ----------
    projection : str or callable
        A key of ``MATRIX_PROJECTIONS`` (``"bilevel_l1inf"``, ``"bilevel_l11"``,
        ``"bilevel_l12"``, ``"l1inf_ball"``, ``"l12_ball"``) or a function with
        the signature ``projection(Y, eta, *, axis=0, out=None)``.

    Returns
    -------
    function : callable

    Raises
    ------
    ValueError
        If ``projection`` is neither a known name nor callable.
    """
    if callable(projection):
        return projection
    try:
        return MATRIX_PROJECTIONS[projection]
    except (KeyError, TypeError):
        raise ValueError(
            f"projection must be one of {sorted(MATRIX_PROJECTIONS)} or a callable, "
            f"got {projection!r}."
        ) from None


def inner_norm(projection):
    """The norm (``"linf"``, ``"l1"`` or ``"l2"``) ``projection`` bounds inside a group.

    Callables and unknown names get ``"l2"``.
    """
    return INNER_NORMS.get(projection, "l2") if isinstance(projection, str) else "l2"


__all__ = [
    "INNER_NORMS",
    "MATRIX_PROJECTIONS",
    "get_projection",
    "inner_norm",
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
]
