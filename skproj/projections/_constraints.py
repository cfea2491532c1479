"""Constraint objects: one class per set, with its projection, norm and support.

A projection function answers "where is the closest point of the set"; the
code around a projection (estimators, the pruning toolkit, radius searches)
also needs the set's norm, the norm of each group, which groups survive, and
the radius that keeps a given number of groups.  A :class:`Constraint` holds
all of these for one set, with its parameters (``eta`` or a sparsity target,
``axis``), so that callers never keep tables of names, norms and searches of
their own.  The string names (``"bilevel_l1inf"``, ...) stay as the short way
to ask for a set; :func:`get_constraint` resolves them, in this one place.
"""

import copy

import numpy as np

from skproj.projections import _torch_backend
from skproj.projections._group_hoyer import check_sparsity, hoyer_sparsity, project_group_hoyer
from skproj.projections._matrix import (
    bilevel_l1inf,
    bilevel_l11,
    bilevel_l12,
    group_norms,
    project_l1inf_ball,
    project_l12_ball,
)
from skproj.projections._validation import check_axis, check_radius
from skproj.projections._vector import (
    project_l1_ball,
    project_l2_ball,
    project_linf_ball,
    project_simplex,
)

__all__ = [
    "MATRIX_CONSTRAINTS",
    "Constraint",
    "L1Ball",
    "L2Ball",
    "LinfBall",
    "Simplex",
    "BilevelL1Inf",
    "BilevelL11",
    "BilevelL12",
    "L1InfBall",
    "L12Ball",
    "GroupHoyer",
    "CONSTRAINTS",
    "get_constraint",
]


def _as_numpy(values):
    """A float64 NumPy copy of ``values`` (an ndarray or a tensor on any device)."""
    if _torch_backend.is_tensor(values):
        values = _torch_backend.numpy_values(values.cpu())
    return np.asarray(values, dtype=np.float64)


def _host_view(Y):
    """A float CPU tensor's NumPy view (no copy), or ``Y`` itself.

    The statistics that come back as NumPy (norms, breakpoints) are then
    computed on the view, without a round trip through a tensor (a global
    budget reads them after every step: 10 x 100 weight, about 5 us of
    15).  Other tensors (on a device, or of a dtype NumPy lacks) stay
    tensors, for the functions' own errors.
    """
    if _torch_backend.is_tensor(Y) and Y.device.type == "cpu" and Y.is_floating_point():
        try:
            return _torch_backend.numpy_values(Y)
        except TypeError:   # (a dtype NumPy lacks)
            return Y
    return Y


class Constraint:
    """A set of arrays that :meth:`project` maps onto; the base of every constraint.

    Subclasses set ``name`` (the string that :func:`get_constraint` resolves),
    ``inner`` (the norm inside a group: ``"linf"``, ``"l1"`` or ``"l2"``;
    for vector sets, the groups are the single entries) and implement
    :meth:`project`, and :meth:`radius_function` when the set zeroes groups.

    Constraints are small immutable-by-convention value objects: two with the
    same class and parameters are equal, :meth:`get_params` /
    :meth:`set_params` make them clonable by :func:`sklearn.base.clone` when
    they are an estimator's parameter, and :meth:`with_params` returns a
    changed copy.
    """

    name = None
    inner = None
    # The parameter that sets the size of the set ("eta" for balls; a
    # sparsity target for the group Hoyer set).
    level_name = "eta"
    # Whether the set is one of matrices whose groups run along ``axis``.
    is_matrix = False
    # Whether its projection zeroes whole groups (entries, for vector sets).
    zeroes_groups = False
    # Whether its projection maps every zero entry of ``Y`` to a zero: true of
    # the sets whose projection scales, clips or soft-thresholds each entry
    # (or each group) without shifting it.  The pruning toolkit then needs no
    # mask after projecting a masked parameter.  False by default (a set not
    # known to), and for the simplex, whose projection shifts every entry.
    keeps_zeros = False
    # Whether :meth:`project` takes ``dual_init`` and ``return_dual``: a
    # multiplier from the projection of a nearby array, which the pruning
    # toolkit keeps between the optimizer's steps (a warm start).
    warm_starts = False

    def __init__(self, eta=1.0):
        self.eta = eta

    # --- parameters ---------------------------------------------------------------

    def _param_names(self):
        return [name for name in ("eta", "sparsity", "axis", "weights") if hasattr(self, name)]

    def get_params(self, deep=True):
        """The constructor's parameters, as :meth:`sklearn.base.BaseEstimator.get_params`."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        """Set parameters in place (as scikit-learn's ``set_params``); returns self."""
        valid = self._param_names()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"{type(self).__name__} has no parameter {key!r}; "
                                 f"its parameters are {valid}.")
            setattr(self, key, value)
        return self

    def __copy__(self):
        # A shallow copy, as copy.copy's generic one, which took 5 us a call:
        # 0.09 of GlobalConstraint.project's time on a three-layer MLP (a
        # global budget copies each member's constraint after every optimizer
        # step, ``with_level``).  A subclass keeping state in __slots__
        # defines its own.
        copied = type(self).__new__(type(self))
        copied.__dict__.update(self.__dict__)
        return copied

    def with_params(self, **params):
        """A copy with some parameters changed: ``c.with_params(eta=0.5)``."""
        return copy.copy(self).set_params(**params)

    @property
    def level(self):
        """The value of the parameter that sets the size of the set (``eta``)."""
        return getattr(self, self.level_name)

    def with_level(self, value):
        """A copy whose size parameter (``eta``, or the sparsity target) is ``value``."""
        # (as with_params, whose check of the name is not needed here: a
        # global budget makes one for each member after every step)
        copied = copy.copy(self)
        setattr(copied, self.level_name, value)
        return copied

    def __repr__(self):
        args = ", ".join(f"{key}={value!r}" for key, value in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        if type(self) is not type(other):
            return NotImplemented
        mine, theirs = self.get_params(), other.get_params()
        return all(np.array_equal(mine[key], theirs[key]) if isinstance(mine[key], np.ndarray)
                   else mine[key] == theirs[key] for key in mine)

    def __hash__(self):
        return hash((type(self), self.level, getattr(self, "axis", None)))

    # --- the set ---------------------------------------------------------------------

    def project(self, Y, out=None):
        """The Euclidean projection (or the set's own projection) of ``Y``.

        ``Y`` is a NumPy array or a torch tensor (CPU or CUDA), returned as the
        same kind; ``out=`` (which may be ``Y``) receives the result in place.
        """
        raise NotImplementedError

    def group_norms(self, Y):
        """Norm of every group of ``Y`` (for vector sets: ``|y|``, flattened)."""
        if self.is_matrix:
            return group_norms(Y, self.inner, axis=self.axis)
        return abs(Y.reshape(-1)) if _torch_backend.is_tensor(Y) else np.abs(np.ravel(Y))

    def norm(self, Y):
        """The norm of the set's gauge: ``Y`` lies in the set iff ``norm(Y) <= level``."""
        norms = _as_numpy(self.group_norms(_host_view(Y)))
        return float(norms.sum())

    def support(self, Y):
        """Boolean vector: which groups of ``Y`` are non-zero (entries, for vector sets)."""
        return self.group_norms(Y) > 0

    # --- radii ------------------------------------------------------------------------

    def _breakpoints(self, Y):
        """The statistic that decides whether each group survives a projection.

        A group survives the projection at radius ``radius_at(b)`` exactly when
        its breakpoint is above ``b``.  The default is the group norm.
        """
        return _as_numpy(self.group_norms(_host_view(Y)))

    def radius_function(self, Y):
        r"""The radius as a function of the survival threshold, for this ``Y``.

        Returns ``radius(threshold)``: the radius whose projection of ``Y``
        zeroes exactly the groups whose breakpoint is <= ``threshold``;
        decreasing in ``threshold``.  For the sets whose projection is an l1
        projection of the breakpoints :math:`b_j` (the l1 ball, the simplex,
        the bi-level balls) it is :math:`\sum_j (b_j - \text{threshold})_+`.
        The work that depends on ``Y`` only (sorting) is done once, here.
        """
        return self._summed_radius(Y)[0]

    def _summed_radius(self, Y):
        """The default radius function, sum_j (b_j - threshold)_+, and the breakpoints b."""
        if not self.zeroes_groups:
            raise ValueError(f"{type(self).__name__} never zeroes a group at a positive "
                             "radius, so no radius keeps a given number of groups.")
        breakpoints = self._breakpoints(Y)
        return (lambda threshold: float(np.maximum(breakpoints - threshold, 0).sum()),
                breakpoints)

    def _radius_is_summed(self):
        """Whether :meth:`radius_function` is the default: sum_j (b_j - threshold)_+."""
        return type(self).radius_function is Constraint.radius_function

    def _radius_function_and_breakpoints(self, Y):
        """``(radius_function(Y), _breakpoints(Y))``.

        The breakpoints are computed once where the radius function is the
        default one (made from them); a set's own :meth:`radius_function` is
        called as it is.
        """
        if self._radius_is_summed():
            return self._summed_radius(Y)
        return self.radius_function(Y), self._breakpoints(Y)

    def radius_at(self, Y, threshold):
        """The radius whose projection zeroes exactly the groups with breakpoint <= threshold."""
        return self.radius_function(Y)(threshold)

    def radius_for_groups(self, Y, k):
        r"""A radius whose projection of ``Y`` keeps exactly ``k`` groups.

        The radii whose projection keeps ``k`` groups form an interval
        :math:`(a, b]`: below :math:`a` a group more is zeroed, above
        :math:`b` one more survives.  Its lower end is not attained, so there
        is no smallest such radius; the midpoint :math:`(a + b)/2` is
        returned, which rounding in the projection cannot push out of the
        interval.  For the bi-level balls :math:`a` and :math:`b` come in
        closed form from the sorted group norms :math:`t_{(1)} \ge t_{(2)}
        \ge \dots`: :math:`a = \sum_j (t_j - t_{(k)})_+` and
        :math:`b = \sum_j (t_j - t_{(k+1)})_+`; the exact l1,inf ball uses the
        same construction on the group l1 norms, through its threshold
        :math:`\theta` (see :class:`L1InfBall`).

        When the k-th and the (k+1)-th breakpoints tie, no radius keeps
        exactly ``k`` groups; the radius returned then keeps the fewest
        groups above ``k`` that a radius can keep.

        Parameters
        ----------
        Y : array-like or torch.Tensor
            The point that will be projected.
        k : int
            Number of groups to keep, ``0 <= k <=`` number of non-zero groups.

        Returns
        -------
        radius : float
            0 for ``k = 0``.

        Raises
        ------
        ValueError
            If ``k`` is out of range, or the set never zeroes a group
            (the l2 and linf balls).
        """
        # (raises for the sets that zero no group)
        radius, breakpoints = self._radius_function_and_breakpoints(Y)
        breakpoints = np.sort(breakpoints)[::-1]
        n_alive = int(np.count_nonzero(breakpoints > 0))
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"k must be an int, got {type(k).__name__}.")
        if not 0 <= k <= n_alive:
            raise ValueError(f"k must be between 0 and the number of non-zero groups of Y "
                             f"({n_alive}), got {k}.")
        if k == 0:
            return 0.0
        # The first count >= k that a radius can keep (ties move it up).
        while k < n_alive and breakpoints[k - 1] == breakpoints[k]:
            k += 1
        # Breakpoints are >= 0, so threshold 0 lies below every surviving group.
        upper_threshold = breakpoints[k] if k < len(breakpoints) else 0.0
        return 0.5 * (radius(breakpoints[k - 1]) + radius(upper_threshold))


# --- vector sets ---------------------------------------------------------------------

class _VectorBall(Constraint):
    function = None

    def __init__(self, eta=1.0):
        self.eta = eta

    def project(self, Y, out=None):
        return type(self).function(Y, self.eta, out=out)


class L1Ball(_VectorBall):
    r"""The l1 ball :math:`\{x : \sum_i |x_i| \le \eta\}` (the whole array is one vector).

    Its projection soft-thresholds every entry (:func:`project_l1_ball`),
    so the "groups" of this set are the single entries.

    Parameters
    ----------
    eta : float, default=1.0
        Radius, ``eta >= 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from skproj.projections import L1Ball
    >>> y = np.array([3.0, -1.0, 0.5])
    >>> ball = L1Ball(eta=2.0)
    >>> ball.project(y)
    array([ 2., -0.,  0.])
    >>> ball.radius_for_groups(y, 2)          # keeps exactly 2 entries
    2.5
    """

    name = "l1_ball"
    inner = "l1"
    zeroes_groups = True
    keeps_zeros = True
    function = staticmethod(project_l1_ball)


class Simplex(_VectorBall):
    r"""The simplex :math:`\{x \ge 0 : \sum_i x_i = \eta\}` (the whole array is one vector).

    Not a ball: its projection always has sum ``eta`` (:func:`project_simplex`).
    :meth:`norm` is the l1 norm; the groups are the single entries, and an
    entry survives when it lies above the projection's threshold.

    Parameters
    ----------
    eta : float, default=1.0
        The sum of the projected entries, ``eta >= 0``.
    """

    name = "simplex"
    inner = "l1"
    zeroes_groups = True
    function = staticmethod(project_simplex)

    def _breakpoints(self, Y):
        # The entries are signed; the simplex projection of y + c is that of
        # y at the same radius, so shifting them to >= 1 keeps every radius.
        values = _as_numpy(Y).ravel()
        return values - values.min(initial=0.0) + 1.0


class L2Ball(_VectorBall):
    r"""The l2 ball :math:`\{x : \|x\|_2 \le \eta\}` (the whole array is one vector).

    Its projection rescales (:func:`project_l2_ball`) and zeroes nothing.

    Parameters
    ----------
    eta : float, default=1.0
        Radius, ``eta >= 0``.
    """

    name = "l2_ball"
    inner = "l2"
    keeps_zeros = True
    function = staticmethod(project_l2_ball)

    def norm(self, Y):
        return float(np.linalg.norm(_as_numpy(Y)))


class LinfBall(_VectorBall):
    r"""The linf ball :math:`\{x : \max_i |x_i| \le \eta\}` (the whole array is one vector).

    Its projection clips (:func:`project_linf_ball`) and zeroes nothing at a
    positive radius.

    Parameters
    ----------
    eta : float, default=1.0
        Radius, ``eta >= 0``.
    """

    name = "linf_ball"
    inner = "linf"
    keeps_zeros = True
    function = staticmethod(project_linf_ball)

    def norm(self, Y):
        values = _as_numpy(Y)
        return float(np.abs(values).max(initial=0.0))


# --- matrix sets -----------------------------------------------------------------------

class _MatrixBall(Constraint):
    """A ball of matrices whose groups run along ``axis`` (columns for ``axis=0``)."""

    is_matrix = True
    function = None

    def __init__(self, eta=1.0, *, axis=0):
        self.eta = eta
        self.axis = axis

    # The bi-level balls project the group norms onto the l1 ball: a group
    # survives iff its norm is above the l1 threshold.
    zeroes_groups = True
    # Every projection onto these balls (bi-level or exact) clips, rescales or
    # soft-thresholds each group: a zero entry stays zero.
    keeps_zeros = True

    def project(self, Y, out=None):
        return type(self).function(Y, self.eta, axis=self.axis, out=out)


_MATRIX_PARAMETERS = """
    Parameters
    ----------
    eta : float, default=1.0
        Radius, ``eta >= 0``.
    axis : {0, 1}, default=0
        Axis the inner norm runs along: with 0 each column is a group (the
        input-feature columns of a ``torch.nn.Linear`` weight), with 1 each row.
"""


def _documented(cls):
    cls.__doc__ = cls.__doc__.replace("{parameters}", _MATRIX_PARAMETERS)
    return cls


@_documented
class BilevelL1Inf(_MatrixBall):
    r"""The l1,inf ball, projected on by the bi-level projection :func:`bilevel_l1inf`.

    Set :math:`\{X : \sum_j \|x_j\|_\infty \le \eta\}`; the bi-level
    projection zeroes whole groups (far more than the exact projection at the
    same radius), which is what structured feature selection wants.
{parameters}
    Examples
    --------
    >>> import numpy as np
    >>> from skproj.projections import BilevelL1Inf
    >>> Y = np.array([[3.0, 1.0, 0.2], [-2.0, 0.5, 0.1]])
    >>> ball = BilevelL1Inf(eta=1.0)
    >>> ball.project(Y)
    array([[ 1.,  0.,  0.],
           [-1.,  0.,  0.]])
    >>> two = ball.with_params(eta=ball.radius_for_groups(Y, 2))
    >>> two.support(two.project(Y))
    array([ True,  True, False])
    """

    name = "bilevel_l1inf"
    inner = "linf"
    function = staticmethod(bilevel_l1inf)


@_documented
class BilevelL11(_MatrixBall):
    r"""The l1,1 ball, projected on by the bi-level projection :func:`bilevel_l11`.

    Set :math:`\{X : \sum_j \|x_j\|_1 \le \eta\}`; the projection zeroes
    whole groups and entries inside the kept groups.
{parameters}"""

    name = "bilevel_l11"
    inner = "l1"
    function = staticmethod(bilevel_l11)


@_documented
class BilevelL12(_MatrixBall):
    r"""The l1,2 ball, projected on by the bi-level projection :func:`bilevel_l12`.

    Set :math:`\{X : \sum_j \|x_j\|_2 \le \eta\}`; the bi-level projection is
    the exact Euclidean projection (see :class:`L12Ball`, the same set and
    the same projection under the name of the exact ball).
{parameters}"""

    name = "bilevel_l12"
    inner = "l2"
    function = staticmethod(bilevel_l12)


@_documented
class L12Ball(BilevelL12):
    r"""The l1,2 (group-lasso) ball, with its exact Euclidean projection :func:`project_l12_ball`.

    Set :math:`\{X : \sum_j \|x_j\|_2 \le \eta\}`.
{parameters}"""

    name = "l12_ball"
    function = staticmethod(project_l12_ball)


@_documented
class L1InfBall(_MatrixBall):
    r"""The l1,inf ball, with its exact Euclidean projection :func:`project_l1inf_ball`.

    Set :math:`\{X : \sum_j \|x_j\|_\infty \le \eta\}`.  The projection clips
    group j at a level :math:`\mu_j(\theta)` solving
    :math:`\sum_i (|y_{ij}| - \mu_j)_+ = \theta` and zeroes the groups whose
    l1 norm is at most the common threshold :math:`\theta`; the radius is
    :math:`\eta(\theta) = \sum_j \mu_j(\theta)`, decreasing in
    :math:`\theta`.  So a group survives exactly when its l1 norm is above
    :math:`\theta`, and :meth:`radius_for_groups` is exact: it evaluates
    :math:`\eta(\theta)` at the group l1 norms (one sort of every group).
{parameters}"""

    name = "l1inf_ball"
    inner = "linf"
    function = staticmethod(project_l1inf_ball)
    # (the projection of a weight one optimizer step on, from the last step's
    # levels: see project)
    warm_starts = True

    def project(self, Y, out=None, *, dual_init=None, return_dual=False):
        """The projection of ``Y`` (:func:`project_l1inf_ball`).

        ``dual_init``, the levels :math:`\\mu` that ``return_dual=True``
        returned (``(X, mu)``) for a nearby ``Y``, makes it faster when close,
        the result the same up to rounding.
        """
        result = project_l1inf_ball(Y, self.eta, axis=self.axis, out=out,
                                    dual_init=dual_init, return_dual=return_dual)
        return (result[0], result[2]) if return_dual else result

    def _breakpoints(self, Y):
        return _as_numpy(group_norms(_host_view(Y), "l1", axis=self.axis))

    def radius_function(self, Y):
        groups = np.abs(_as_numpy(Y))
        groups = groups if self.axis == 0 else groups.T  # groups as columns
        ordered = -np.sort(-groups, axis=0)
        cumulative = np.cumsum(ordered, axis=0)
        ranks = np.arange(1, ordered.shape[0] + 1)[:, None]

        def radius(threshold):
            if groups.size == 0:
                return 0.0
            # Group j keeps its c_j largest entries above the level mu_j, the
            # largest c with ordered_c > (S_c - theta) / c.
            counts = np.maximum((ordered * ranks > cumulative - threshold).sum(axis=0), 1)
            sums = np.take_along_axis(cumulative, counts[None, :] - 1, axis=0)[0]
            levels = np.maximum((sums - threshold) / counts, 0.0)
            levels[cumulative[-1] <= threshold] = 0.0
            return float(levels.sum())

        return radius


class GroupHoyer(Constraint):
    r"""The matrices whose groups have an average Hoyer sparsity of at least ``sparsity``.

    Set :math:`\{X : \frac{1}{r}\sum_j \operatorname{sp}(x_j) \ge s\}` with
    :math:`\operatorname{sp}(x) = (\sqrt{n} - \|x\|_1/\|x\|_2)/(\sqrt{n} - 1)`
    (weighted: see :func:`project_group_hoyer`), projected on by the group
    sparse projection (GSP).  Its size parameter (:attr:`level`) is the
    sparsity target, not a radius: a larger target is a smaller set.  GSP
    zeroes entries inside the groups, never a whole group (a group it
    sparsifies the most keeps its largest entry), so :meth:`radius_for_groups`
    does not apply; :meth:`norm` is the average sparsity, and ``X`` lies in
    the set iff ``norm(X) >= sparsity``.  Pruning with it (``groups="outputs"``
    for a layer's filters, as in the paper) goes through the same toolkit as
    the balls: ``skproj.nn.constrain(layer, "weight", "group_hoyer", eta=0.8,
    groups="outputs")`` with a schedule.

    Parameters
    ----------
    sparsity : float in [0, 1], default=0.5
        Target average Hoyer sparsity of the groups.
    axis : {0, 1}, default=0
        Axis the groups run along: with 0 each column is a group, with 1 each row.
    weights : array-like of shape (group length,), optional
        Positive weight of each position in a group (the weighted measure).

    Examples
    --------
    >>> import numpy as np
    >>> from skproj.projections import GroupHoyer
    >>> Y = np.array([[3.0, 1.0], [2.0, 0.5], [1.0, 0.8]])
    >>> target = GroupHoyer(sparsity=0.6)
    >>> round(target.norm(target.project(Y)), 6)
    0.6
    """

    name = "group_hoyer"
    inner = "l2"
    level_name = "sparsity"
    is_matrix = True
    # x_i = <z_i, |y_i|> sign(y_i) z_i with z_i proportional to (|y_i| - mu beta w)_+,
    # mu >= 0: a zero entry of y_i is zero in z_i, so in x_i.
    keeps_zeros = True
    # (the projection of a weight one optimizer step on, from the last step's
    # multiplier: 100 x 1000 float32, 1.4-2.8 times faster than sampling it)
    warm_starts = True

    def __init__(self, sparsity=0.5, *, axis=0, weights=None):
        self.sparsity = sparsity
        self.axis = axis
        self.weights = weights

    def project(self, Y, out=None, *, dual_init=None, return_dual=False):
        """The projection of ``Y`` (:func:`project_group_hoyer`).

        ``dual_init``, a guess of the multiplier such as the one
        ``return_dual=True`` returned for a nearby ``Y``, makes it faster when
        close, the result the same up to rounding.
        """
        return project_group_hoyer(Y, self.sparsity, axis=self.axis, weights=self.weights,
                                   out=out, dual_init=dual_init, return_dual=return_dual)

    def norm(self, Y):
        """The average Hoyer sparsity of the groups of ``Y`` (in the set iff >= ``sparsity``)."""
        return hoyer_sparsity(Y, axis=self.axis, weights=self.weights)[1]

    def group_sparsity(self, Y):
        """The Hoyer sparsity of every group of ``Y`` (NumPy, float64)."""
        return _as_numpy(hoyer_sparsity(Y, axis=self.axis, weights=self.weights)[0])


CONSTRAINTS = {cls.name: cls for cls in (
    L1Ball, Simplex, L2Ball, LinfBall,
    BilevelL1Inf, BilevelL11, BilevelL12, L1InfBall, L12Ball, GroupHoyer,
)}
"""Every constraint class by its name."""

MATRIX_CONSTRAINTS = tuple(sorted(name for name, cls in CONSTRAINTS.items()
                                  if cls.is_matrix and cls.level_name == "eta"))
"""The names of the balls of matrices with groups (what the estimators accept:
they search radii; :class:`GroupHoyer`'s level is a sparsity target)."""


def get_constraint(constraint, *, eta=None, axis=None, matrix=False):
    """The constraint object for a name, a class or an instance: the one resolver.

    Parameters
    ----------
    constraint : str, Constraint subclass or Constraint instance
        A name of :data:`CONSTRAINTS` (``"l1_ball"``, ``"simplex"``,
        ``"l2_ball"``, ``"linf_ball"``, ``"bilevel_l1inf"``, ``"bilevel_l11"``,
        ``"bilevel_l12"``, ``"l1inf_ball"``, ``"l12_ball"``, and the names
        that other modules register), a class, or an instance.
    eta : float, optional
        When given, the set's size parameter (:attr:`Constraint.level`:
        ``eta`` for the balls, the sparsity target for the group Hoyer set)
        becomes ``eta``; an instance is copied, never changed.
    axis : {0, 1}, optional
        When given, the group axis of a matrix set.
    matrix : bool, default=False
        Require a set of matrices with groups (what the estimators need).

    Returns
    -------
    constraint : Constraint
        A new object, or ``constraint`` itself when nothing changes.

    Raises
    ------
    ValueError
        For an unknown name, or a vector set when ``matrix=True``.
    TypeError
        For anything that is not a name or a constraint.

    Examples
    --------
    >>> from skproj.projections import get_constraint
    >>> get_constraint("bilevel_l1inf", eta=0.5)
    BilevelL1Inf(eta=0.5, axis=0)
    """
    if isinstance(constraint, str):
        if constraint not in CONSTRAINTS:
            names = sorted(name for name, cls in CONSTRAINTS.items()
                           if cls.is_matrix or not matrix)
            raise ValueError(f"unknown constraint {constraint!r}; use one of {names} "
                             "or a skproj.projections.Constraint.")
        constraint = CONSTRAINTS[constraint]
    if isinstance(constraint, type) and issubclass(constraint, Constraint):
        constraint = constraint()
    if not isinstance(constraint, Constraint):
        raise TypeError("a constraint must be a name of skproj.projections.CONSTRAINTS or a "
                        f"skproj.projections.Constraint, got {type(constraint).__name__}.")
    if matrix and not constraint.is_matrix:
        names = sorted(name for name, cls in CONSTRAINTS.items() if cls.is_matrix)
        raise ValueError(f"{constraint!r} is a set of vectors; a set of matrices with groups is "
                         f"needed here, e.g. one of {names}.")
    changes = {}
    if eta is not None:
        changes[constraint.level_name] = eta
    if axis is not None and constraint.is_matrix:
        changes["axis"] = axis
    return constraint.with_params(**changes) if changes else constraint


def check_constraint(constraint):
    """Validate a constraint's parameters (radius, axis) and return it."""
    if constraint.level_name == "eta":
        check_radius(constraint.eta)
    elif constraint.level_name == "sparsity":
        check_sparsity(constraint.sparsity)
    if constraint.is_matrix:
        check_axis(constraint.axis)
    return constraint
