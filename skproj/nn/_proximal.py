r"""The proximal l1 step and the choice of its strength for a target sparsity.

Shen, Wang, Xu and Yan [1]_ train a network on

.. math::

    \min_W \; L(W) + \sum_l \alpha_l \|W_l\|_1

(one :math:`\alpha` for all the weight tensors :math:`W_l`, or one per
layer; biases are not penalized) by proximal gradient: an optimizer step on
:math:`L`, then the proximal map of the penalty, the soft threshold

.. math::

    W_l \leftarrow \operatorname{sign}(W_l) \odot (|W_l| - t_l)_+ ,

with :math:`t_l = \text{lr} \cdot \alpha_l` after a plain gradient step.
:class:`ProximalL1` is that step as a :class:`~skproj.nn.Callback`.
:func:`fit_to_nonzeros` chooses :math:`\alpha` (or one per layer) so that the
trained network has a prescribed number of non-zero weights (their
Algorithms 1 and 2); :class:`ClosestToTarget` keeps, within a trial, the
epoch whose count is closest to the target (the count flickers from epoch to
epoch under proximal Adam).

What the threshold means with Adam
----------------------------------
Adam's step is not :math:`\text{lr} \cdot \nabla L`: coordinate :math:`i`
moves by :math:`\text{lr}\,\hat m_i / d_i` with
:math:`d_i = \sqrt{\hat v_i} + \epsilon`.  Adam is a gradient step in the
metric :math:`D = \operatorname{diag}(d) / \text{lr}`, and the proximal map
of :math:`\alpha\|\cdot\|_1` in that metric is the soft threshold at
:math:`t_i = \text{lr} \cdot \alpha / d_i`, a threshold per coordinate
(the variable-metric forward-backward step; Yun, Lozano and Yang [2]_).
This is what :class:`ProximalL1` does with Adam (``metric="auto"``).  Its
fixed points are those of the penalized problem: a weight stays at zero
exactly when :math:`|\partial L / \partial w_i| \le \alpha`, whatever
:math:`d_i`, so :math:`\alpha` keeps the meaning it has with plain SGD (a
gradient magnitude), and :func:`fit_to_nonzeros` can read the next
:math:`\alpha` from the gradients.  Thresholding at :math:`\text{lr}\cdot
\alpha` after an Adam step instead (what "prox at lr·λ" says literally)
compares a step of size about lr with a threshold that ignores :math:`d`:
a weight of a layer with small gradients would be zeroed by a penalty that
is negligible beside its gradient, and :math:`\alpha` would have no
meaning independent of the optimizer's state.

References
----------
.. [1] L. Shen, R. Wang, Y. Xu, M. Yan, "Sparse deep learning models with
   the l1 regularization", arXiv:2408.02801 (2024).
.. [2] J. Yun, A. C. Lozano, E. Yang, "Adaptive proximal gradient methods
   for structured neural networks", NeurIPS (2021).
"""

import copy
import math
import warnings

import numpy as np

from skproj.nn._callbacks import Callback, copy_weights
# The soft threshold of contiguous float32 or float64 CPU tensors in one pass of
# a kernel, the weight's version counter bumped as torch's in-place operations
# bump it; False where the tensors do not suit (``bench_nn_overhead.py``, Adam's
# metric, torch 2.13 on 1 thread: 100 x 784, 122 -> 27 us; 300 x 2000, 773 ->
# 177 us: torch made nine passes, this one waits on its square roots and divisions).
from skproj.projections._vector import soft_threshold_in_place

__all__ = [
    "ClosestToTarget",
    "L1TargetResult",
    "ProximalL1",
    "adaptive_penalty_scale",
    "copy_zeros_",
    "count_nonzeros",
    "fit_to_nonzeros",
    "freeze_zeros",
    "keep_largest_",
    "l1_weights",
    "soft_threshold_",
]

# The optimizers whose state holds Adam's second moment ``exp_avg_sq``.
_SECOND_MOMENT = "exp_avg_sq"


def l1_weights(module):
    """The weight tensors the l1 penalty applies to, in the module's order.

    Every parameter named ``weight`` with at least two dimensions: the weights
    of ``Linear``, ``Conv*d``, ``Embedding`` and the like.  Biases and the
    one-dimensional scales of normalization layers are left out.

    Parameters
    ----------
    module : torch.nn.Module
        The network.

    Returns
    -------
    weights : list of torch.nn.Parameter
    """
    return [param for name, param in module.named_parameters()
            if name.rsplit(".", 1)[-1] == "weight" and param.dim() >= 2]


def freeze_zeros(module):
    """Keep the current zeros of every :func:`l1_weights` tensor at zero from now on.

    For the fine-tuning after the penalized training (the penalty shrinks the
    surviving weights too; training them on, without it, removes that bias).
    Attaches a mask to each weight with :func:`skproj.nn.constrain` and
    freezes it, so the zeros stay whatever the optimizer; nothing is
    projected.  Call ``.remove()`` on each returned constraint to detach the
    masks (the zeros stay).

    Parameters
    ----------
    module : torch.nn.Module
        The network.

    Returns
    -------
    attached : list of skproj.nn.ParameterConstraint
    """
    from skproj.nn._prune import constrain

    weights = {id(w) for w in l1_weights(module)}
    return [constrain(owner, "weight", None).freeze() for owner in module.modules()
            if id(owner._parameters.get("weight")) in weights]


def copy_zeros_(module, source):
    """Zero the :func:`l1_weights` of ``module`` wherever those of ``source`` are zero.

    Puts the support that a sparse network found (``source``) on other weights
    of the same architecture (``module``): weight rewinding in the manner of
    Frankle and Carbin's lottery tickets, the mask on earlier weights.

    Parameters
    ----------
    module : torch.nn.Module
        Modified in place.
    source : torch.nn.Module
        A network of the same architecture whose zeros are copied.

    Returns
    -------
    module : torch.nn.Module
        The same network.

    Examples
    --------
    >>> import torch
    >>> from skproj.nn import copy_zeros_
    >>> dense, sparse = torch.nn.Linear(3, 1), torch.nn.Linear(3, 1)
    >>> with torch.no_grad():
    ...     _ = dense.weight.fill_(2.0)
    ...     _ = sparse.weight.copy_(torch.tensor([[0.0, 1.0, 0.0]]))
    >>> copy_zeros_(dense, sparse).weight.tolist()
    [[0.0, 2.0, 0.0]]
    """
    import torch

    targets, sources = l1_weights(module), l1_weights(source)
    if [w.shape for w in targets] != [w.shape for w in sources]:
        raise ValueError("module and source must have weight tensors of the same shapes; got "
                         f"{[tuple(w.shape) for w in targets]} and "
                         f"{[tuple(w.shape) for w in sources]}.")
    with torch.no_grad():
        for weight, kept in zip(targets, sources):
            weight.mul_(kept.detach() != 0)
    return module


def keep_largest_(module, n_keep):
    """Magnitude pruning: zero all but the ``n_keep`` largest :func:`l1_weights` entries.

    The baseline the l1 penalty is measured against: the weights of largest
    magnitude kept, over all the weight tensors at once (one int) or in every
    tensor (one int per tensor, as ``target_nonzeros`` of
    :func:`fit_to_nonzeros`).  Ties at the threshold are broken by position;
    a tensor with fewer non-zeros than its count keeps them all.  Freeze the
    zeros with :func:`freeze_zeros` to fine-tune.

    Parameters
    ----------
    module : torch.nn.Module
        Modified in place.
    n_keep : int or sequence of int
        Weights to keep: in the whole network, or one count per weight tensor.

    Returns
    -------
    module : torch.nn.Module
        The same network.

    Examples
    --------
    >>> import torch
    >>> from skproj.nn import keep_largest_
    >>> layer = torch.nn.Linear(4, 1)
    >>> with torch.no_grad():
    ...     _ = layer.weight.copy_(torch.tensor([[0.5, -3.0, 1.0, -2.0]]))
    >>> keep_largest_(layer, 2).weight.tolist()
    [[0.0, -3.0, 0.0, -2.0]]
    """
    import torch

    weights = l1_weights(module)
    counts, groups = _resolve_target(n_keep, np.array([w.numel() for w in weights]), "n_keep")
    with torch.no_grad():
        for count, group in zip(counts, groups):
            tensors = [weights[i] for i in group]
            magnitudes = torch.cat([w.detach().abs().flatten() for w in tensors])
            kept = torch.zeros_like(magnitudes, dtype=torch.bool)
            kept[magnitudes.topk(int(count)).indices] = True
            begin = 0
            for w in tensors:
                w.mul_(kept[begin:begin + w.numel()].view_as(w))
                begin += w.numel()
    return module


def count_nonzeros(module_or_weights):
    """Number of non-zero entries of every l1-penalized weight tensor.

    Parameters
    ----------
    module_or_weights : torch.nn.Module or sequence of torch.Tensor
        A network (its :func:`l1_weights`) or the tensors themselves.

    Returns
    -------
    counts : ndarray of int64, shape (n_layers,)
    """
    weights = (l1_weights(module_or_weights) if hasattr(module_or_weights, "named_parameters")
               else list(module_or_weights))
    return np.array([int((w.detach() != 0).sum()) for w in weights], dtype=np.int64)


def soft_threshold_(param, threshold):
    r"""Soft-threshold a tensor in place: :math:`w \leftarrow \operatorname{sign}(w)(|w| - t)_+`.

    The proximal map of :math:`t\|w\|_1`.  Runs outside autograd (the
    change is marked on the tensor's version counter, as torch's in-place
    operations mark it).  On a contiguous float32 or float64 CPU tensor,
    with a threshold that is a number or a tensor of the same shape, dtype
    and layout, one pass of a compiled kernel; elsewhere torch operations
    (the same values: each is rounded once).

    Parameters
    ----------
    param : torch.Tensor
        Modified in place.
    threshold : float or torch.Tensor
        :math:`t \ge 0`, one for all entries or a tensor broadcastable to
        ``param`` (a threshold per entry).

    Returns
    -------
    param : torch.Tensor
        The same tensor.

    Examples
    --------
    >>> import torch
    >>> from skproj.nn import soft_threshold_
    >>> soft_threshold_(torch.tensor([-2.0, -0.5, 0.25, 3.0]), 1.0)
    tensor([-1., -0.,  0.,  2.])
    """
    import torch

    if isinstance(threshold, (int, float)):
        if soft_threshold_in_place(param, threshold):
            return param
    elif (getattr(threshold, "shape", None) == param.shape  # (not a broadcast)
            and soft_threshold_in_place(param, 1.0, scale=threshold)):  # (1 t_i = t_i exactly)
        return param
    with torch.no_grad():
        data = param.detach()
        shrunk = data.abs().sub_(threshold).clamp_(min=0)
        # copysign, not shrunk * sign(data): one pass and one temporary fewer,
        # the same bits (zeroed negatives stay -0.0)
        torch.copysign(shrunk, data, out=data)
    return param


def _metric_threshold(step, second, metric, eps, scale):
    """``step * c / (sqrt(second * metric) + eps)`` by torch operations (a new tensor).

    The kernel's order of operations (``soft_threshold_in_place``), for the
    tensors it does not take (another device, dtype or layout); torch's
    square root on the CPU is not always correctly rounded (a sixth of
    float32 entries one unit in the last place away from IEEE's), so the two
    may differ in the last bits.
    """
    import torch

    denominator = second.mul(metric).sqrt_().add_(eps)
    numerator = (scale.mul(step) if scale is not None
                 else torch.full_like(denominator, step))
    return numerator.div_(denominator)


class ProximalL1(Callback):
    r"""Soft-threshold the weights after every optimizer step (proximal l1 training).

    After each step of ``optimizer`` every weight tensor :math:`W_l` of
    :func:`l1_weights` (never a bias) is soft-thresholded at
    :math:`t_l = \text{lr} \cdot \alpha_l` (plain or momentum SGD), or per
    coordinate at :math:`t_{l,i} = \text{lr} \cdot \alpha_l / (\sqrt{\hat
    v_i} + \epsilon)` with Adam, the proximal step in Adam's own metric (see
    :mod:`skproj.nn._proximal` for why).  Either way a weight stays at zero
    when :math:`|\partial L / \partial w| \le \alpha_l`.  The learning rate
    is read from the optimizer at every step, so learning-rate schedulers
    work.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        The optimizer that trains the weights.
    alpha : float or sequence of float
        The penalty :math:`\alpha \ge 0`, one for all weight tensors or one
        per tensor of ``weights``.
    weights : sequence of torch.nn.Parameter, optional
        The tensors to threshold; by default :func:`l1_weights` of the module
        the loop trains (resolved at ``on_train_begin``).
    metric : {"auto", "sgd", "adam"}, default="auto"
        ``"sgd"``: threshold :math:`\text{lr}\cdot\alpha`.  ``"adam"``: the
        per-coordinate threshold from the optimizer's second moment
        (``exp_avg_sq``: Adam, AdamW, NAdam, RAdam).  ``"auto"``: ``"adam"``
        when the optimizer keeps a second moment, ``"sgd"`` otherwise.
    warmup_steps : int, default=0
        A continuation of the penalty: over the first ``warmup_steps``
        optimizer steps of a training (counted from ``on_train_begin``) the
        penalty rises linearly from 0, :math:`\alpha_l \min(1, s /
        \text{warmup\_steps})` at step :math:`s`, so that the network fits
        the data before the penalty bites, as sparse-training schedules do.
        0: the full penalty from the first step.
    penalty_scale : sequence of torch.Tensor, optional
        Factors :math:`c_{l,i} \ge 0` per weight, one tensor of the shape of
        each tensor of ``weights``: the penalty becomes :math:`\sum_l
        \alpha_l \sum_i c_{l,i} |w_{l,i}|` (a weighted l1 norm) and every
        threshold above is multiplied by :math:`c_{l,i}`; a weight then stays
        at zero when :math:`|\partial L / \partial w_{l,i}| \le \alpha_l
        c_{l,i}`.  The adaptive lasso's factors come from
        :func:`adaptive_penalty_scale`.  None: all ones (the plain l1 norm).

    Examples
    --------
    >>> import torch
    >>> from skproj.nn import ProximalL1, count_nonzeros
    >>> torch.manual_seed(0) and None
    >>> net = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    >>> optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    >>> prox = ProximalL1(optimizer, alpha=0.5)
    >>> prox.on_train_begin(net)
    >>> x, y = torch.randn(64, 5), torch.randn(64, 1)
    >>> for _ in range(50):
    ...     optimizer.zero_grad()
    ...     torch.nn.functional.mse_loss(net(x), y).backward()
    ...     optimizer.step()
    ...     prox.on_step_end(net)
    >>> bool(count_nonzeros(net).sum() < 48)
    True
    """

    def __init__(self, optimizer, alpha, *, weights=None, metric="auto", warmup_steps=0,
                 penalty_scale=None):
        if metric not in ("auto", "sgd", "adam"):
            raise ValueError(f"metric must be 'auto', 'sgd' or 'adam'; got {metric!r}.")
        if not (isinstance(warmup_steps, (int, np.integer)) and warmup_steps >= 0):
            raise ValueError(f"warmup_steps must be an int >= 0; got {warmup_steps!r}.")
        self.optimizer = optimizer
        self.alpha = alpha
        self.weights = weights
        self.metric = metric
        self.warmup_steps = warmup_steps
        self.penalty_scale = penalty_scale
        self._targets = None

    def on_train_begin(self, module):
        weights = l1_weights(module) if self.weights is None else list(self.weights)
        alphas = _per_layer(self.alpha, len(weights), "alpha")
        if np.any(alphas < 0) or not np.all(np.isfinite(alphas)):
            raise ValueError(f"alpha must be finite and >= 0; got {self.alpha!r}.")
        groups = {id(p): group for group in self.optimizer.param_groups for p in group["params"]}
        missing = [i for i, w in enumerate(weights) if id(w) not in groups]
        if missing:
            raise ValueError(f"the weights {missing} are not trained by the optimizer.")
        use_adam = self.metric == "adam" or (
            self.metric == "auto" and _keeps_second_moment(self.optimizer))
        if self.metric == "adam" and not _keeps_second_moment(self.optimizer):
            raise ValueError("metric='adam' needs an optimizer with a second moment "
                             f"(Adam, AdamW, NAdam, RAdam); got {type(self.optimizer).__name__}.")
        self._use_adam = use_adam
        scales = _penalty_scales(self.penalty_scale, weights)
        self._targets = [(w, float(a), groups[id(w)], c)
                         for w, a, c in zip(weights, alphas, scales)]
        self._n_steps = 0

    def on_step_end(self, module):
        if self._targets is None:
            self.on_train_begin(module)
        self._n_steps += 1
        ramp = min(1.0, self._n_steps / self.warmup_steps) if self.warmup_steps else 1.0
        for weight, alpha, group, scale in self._targets:
            step = group["lr"] * alpha * ramp
            if step == 0.0:  # (no threshold; with a zero metric, 0 / 0 would be NaN)
                continue
            if self._use_adam:
                second, metric = self._adam_second_moment(weight, group)
                if second is None:  # no step taken yet
                    continue
                if not soft_threshold_in_place(weight, step, second=second, metric=metric,
                                               eps=group["eps"], scale=scale):
                    soft_threshold_(weight, _metric_threshold(step, second, metric,
                                                              group["eps"], scale))
            elif scale is None or not soft_threshold_in_place(weight, step, scale=scale):
                soft_threshold_(weight, step if scale is None else scale * step)

    def _adam_second_moment(self, weight, group):
        r"""Adam's second moment :math:`v` of ``weight`` and :math:`1 / (1 - \beta_2^k)`.

        :math:`\hat v = v / (1 - \beta_2^k)` after :math:`k` steps; (None,
        None) before the first step.
        """
        state = self.optimizer.state.get(weight, {})
        if _SECOND_MOMENT not in state:
            return None, None
        second = state.get("max_exp_avg_sq") if group.get("amsgrad") else state[_SECOND_MOMENT]
        return second, 1.0 / (1.0 - group["betas"][1] ** float(state["step"]))


class ClosestToTarget(Callback):
    r"""Keep the weights of the epoch whose non-zero count is closest to a target.

    Under proximal Adam the count of a network flickers from epoch to epoch at
    a fixed penalty: a zero weight moves again as soon as its averaged
    mini-batch gradient :math:`|\hat m_i|` exceeds :math:`\alpha`, which the
    noise of the mini-batches makes it do now and then, and a weight of the
    output layer that comes and goes takes the weights of the unit behind it
    along.  On Mackey–Glass the count of a 128 x 128 layer moves by a third or
    more from one epoch to the next late in training (1,244 then 775), so the
    count at the last epoch meets a 5 % target by luck.  Over the epochs
    from ``from_epoch`` on, this callback remembers the weights of the epoch
    that meets the target (the latest such epoch), or else comes closest to it
    (the smallest largest relative error), and puts them back at the end of
    the training.

    Parameters
    ----------
    target_nonzeros : int or sequence of int
        The non-zeros wanted in the whole network, or in each weight tensor
        of :func:`l1_weights` (as for :func:`fit_to_nonzeros`).
    from_epoch : int, default=0
        The first epoch (counted from 0) whose weights may be kept.
    tol : float, default=0.05
        A target :math:`n^*` is met when :math:`|n - n^*| \le
        \max(\text{tol}\cdot n^*, 1)` and :math:`n > 0`.

    Attributes
    ----------
    best_epoch : int or None
        The epoch whose weights were kept (None before ``from_epoch``).
    best_nonzeros : ndarray of int64 or None
        Their non-zeros per weight tensor.
    """

    def __init__(self, target_nonzeros, *, from_epoch=0, tol=0.05):
        self.target_nonzeros = target_nonzeros
        self.from_epoch = from_epoch
        self.tol = tol

    def on_train_begin(self, module):
        sizes = np.array([w.numel() for w in l1_weights(module)], dtype=np.int64)
        self._target, self._groups = _resolve_target(self.target_nonzeros, sizes)
        self._epoch = 0
        self._best_key = self._best_state = None
        self.best_epoch = self.best_nonzeros = None

    def on_epoch_end(self, module):
        epoch, self._epoch = self._epoch, self._epoch + 1
        if epoch < self.from_epoch:
            return
        counts = count_nonzeros(module)
        met, error = _target_error(counts, self._target, self._groups, self.tol)
        key = (0.0, -epoch) if met.all() else (1.0, float(error.max()))
        if self._best_key is None or key < self._best_key:
            self._best_key, self.best_epoch, self.best_nonzeros = key, epoch, counts
            self._best_state = copy_weights(module)

    def on_train_end(self, module):
        if self._best_state is not None:
            module.load_state_dict(self._best_state)


def _target_error(counts, target, groups, tol):
    """Whether each target is met, and the relative distance to it, from per-tensor counts."""
    grouped = np.array([counts[g].sum() for g in groups])
    # An empty layer never meets a target: it passes no gradient back, so the
    # whole network is dead (and a target of 1 would accept 0 otherwise).
    met = (np.abs(grouped - target) <= np.maximum(tol * target, 1)) & (grouped > 0)
    return met, np.abs(grouped - target) / target


def _penalty_scales(penalty_scale, weights):
    """The factors of every weight tensor (None for all ones), checked, on its device."""
    import torch

    if penalty_scale is None:
        return [None] * len(weights)
    scales = list(penalty_scale)
    if len(scales) != len(weights):
        raise ValueError(f"penalty_scale must hold one tensor per weight tensor ({len(weights)}); "
                         f"got {len(scales)}.")
    checked = []
    for i, (scale, weight) in enumerate(zip(scales, weights)):
        scale = torch.as_tensor(scale).detach().to(device=weight.device, dtype=weight.dtype)
        if scale.shape != weight.shape:
            raise ValueError(f"penalty_scale[{i}] must have the shape {tuple(weight.shape)} of "
                             f"its weight tensor; got {tuple(scale.shape)}.")
        if not bool(torch.isfinite(scale).all()) or bool((scale < 0).any()):
            raise ValueError(f"penalty_scale[{i}] must be finite and >= 0.")
        checked.append(scale)
    return checked


def adaptive_penalty_scale(weights, power=1.0, *, eps=1e-3):
    r"""The adaptive lasso's factors :math:`c_i = (\bar w / (|w^0_i| + \epsilon \bar w))^\gamma`.

    Zou's adaptive lasso [3]_ (and one step of the reweighted l1 of Candès,
    Wakin and Boyd [4]_) penalizes every weight by :math:`\alpha c_i
    |w_i|` with :math:`c_i` decreasing in the magnitude of a first estimate
    :math:`w^0_i` (here the weights of a network trained without the
    penalty): large weights are cheap to keep, small ones dear, so the support
    moves from the l1 penalty's towards magnitude pruning's as :math:`\gamma`
    grows, while it is still chosen by the gradients of the loss and one
    :math:`\alpha` (the count stays monotone in :math:`\alpha`).
    :math:`\bar w` is the mean magnitude of all the weights, so that the
    factors are about 1 on average for :math:`\gamma = 1` and :math:`\alpha`
    keeps the scale of a gradient magnitude; :math:`\epsilon \bar w` bounds
    the factors by :math:`\epsilon^{-\gamma}`.  Pass the result to
    :class:`ProximalL1` and :func:`fit_to_nonzeros` as ``penalty_scale``.

    Parameters
    ----------
    weights : sequence of torch.Tensor
        :math:`w^0`, e.g. :func:`l1_weights` of the trained network.
    power : float, default=1.0
        :math:`\gamma > 0`.
    eps : float, default=1e-3
        :math:`\epsilon > 0`, relative to the mean magnitude.

    Returns
    -------
    scales : list of torch.Tensor
        One tensor of factors per weight tensor, of its shape (new tensors).

    References
    ----------
    .. [3] H. Zou, "The adaptive lasso and its oracle properties", Journal of
       the American Statistical Association 101 (476), 2006.
    .. [4] E. J. Candès, M. B. Wakin, S. P. Boyd, "Enhancing sparsity by
       reweighted l1 minimization", Journal of Fourier Analysis and
       Applications 14, 2008.

    Examples
    --------
    >>> import torch
    >>> from skproj.nn import adaptive_penalty_scale
    >>> adaptive_penalty_scale([torch.tensor([[1.0, 3.0]])])
    [tensor([[1.9960, 0.6662]])]
    """
    import torch

    if not (power > 0 and math.isfinite(power)):
        raise ValueError(f"power must be a finite number > 0; got {power!r}.")
    if not (eps > 0 and math.isfinite(eps)):
        raise ValueError(f"eps must be a finite number > 0; got {eps!r}.")
    magnitudes = [w.detach().abs() for w in weights]
    total = sum(float(m.sum()) for m in magnitudes)
    count = sum(m.numel() for m in magnitudes)
    if count == 0 or total == 0:
        raise ValueError("adaptive_penalty_scale needs weights that are not all zero.")
    mean = total / count
    return [torch.pow(mean / (m + eps * mean), power) for m in magnitudes]


def _keeps_second_moment(optimizer):
    import torch

    return isinstance(optimizer, (torch.optim.Adam, torch.optim.AdamW, torch.optim.NAdam,
                                  torch.optim.RAdam))


def _per_layer(value, n_layers, name):
    """``value`` (a number or one per layer) as a float64 vector of length ``n_layers``."""
    values = np.atleast_1d(np.asarray(value, dtype=np.float64))
    if values.shape == (1,):
        return np.full(n_layers, values[0])
    if values.shape != (n_layers,):
        raise ValueError(f"{name} must be a number or a sequence of {n_layers} numbers "
                         f"(one per weight tensor); got {value!r}.")
    return values


# --- the choice of alpha ------------------------------------------------------------

# Largest factor by which alpha moves in one trial while the target is not bracketed.
_MAX_EXPANSION = 1000.0

# Least factor by which alpha falls after a trial that emptied the layer.
_COLLAPSE_STEP = 10.0

# With per-layer targets, a bracket narrower than this (in log alpha) that has not
# met the target has gone stale (see _next_alpha): on a consistent curve of slope
# about -1 its ends' counts differ by about 10 %, and the secant inside it meets a
# 5 % tolerance.
_STALLED = 0.1

# A bracketed secant step stays inside this share of the bracket (in log alpha), so
# that a one-sided run of interpolations cannot stall at one end (regula falsi).
_SECANT_SAFEGUARD = 0.1


class L1TargetResult:
    """What :func:`fit_to_nonzeros` returns.

    Attributes
    ----------
    network : torch.nn.Module
        The trained network of the trial closest to the target (the one that
        reached it when ``reached``).
    alpha : ndarray of shape (n_layers,)
        The penalty of every weight tensor in that trial (all equal for a
        global target).
    nonzeros : ndarray of int64, shape (n_layers,)
        Non-zero weights per tensor in that network.
    target : ndarray of int64, shape (n_layers,) or (1,)
        The target: one number for the whole network, or one per tensor.
    reached : bool
        Whether every target is met within the tolerance.
    trials : list of dict
        One entry per trial, in order: ``trial``, ``alpha`` (array),
        ``nonzeros`` (array), ``total`` (non-zeros of the network),
        ``reached`` (bool), ``error`` (the largest relative distance
        :math:`|n - n^*| / n^*` to a target) and ``warm`` (whether the trial
        started from an earlier trial's network).
    """

    def __init__(self, network, alpha, nonzeros, target, reached, trials):
        self.network = network
        self.alpha = alpha
        self.nonzeros = nonzeros
        self.target = target
        self.reached = reached
        self.trials = trials

    def __repr__(self):
        return (f"L1TargetResult(nonzeros={self.nonzeros.tolist()}, target={self.target.tolist()}, "
                f"reached={self.reached}, n_trials={len(self.trials)})")


def fit_to_nonzeros(network, train, loss, target_nonzeros, *, tol=0.05, max_trials=10,
                    rule="secant", alpha_init=None, trial_start="fresh", penalty_scale=None,
                    verbose=0):
    r"""Choose the l1 penalty so that the trained network has a target number of non-zeros.

    Algorithms 1 (one :math:`\alpha` for the network) and 2 (one per layer)
    of Shen, Wang, Xu and Yan [1]_.  Every trial trains a copy of
    ``network`` with the penalty :math:`\alpha` (``train``) and counts the
    non-zero weights :math:`n(\alpha)`, which decreases with :math:`\alpha`.
    The history of :math:`(\alpha, n)` brackets the target:
    :math:`\alpha_\text{low}` is the largest penalty that left too many
    weights, :math:`\alpha_\text{up}` the smallest that left too few.  The
    next penalty, per layer for a per-layer target:

    ``rule="secant"`` (default)
        :math:`\log n` is close to affine in :math:`\log\alpha` (on
        Mackey–Glass :math:`n \propto \alpha^{-1}` within a factor 2 over
        three decades), so the next :math:`\alpha` solves the line through
        the bracket's two ends for :math:`n^*`, kept inside the middle 80 %
        of the bracket.  Before both ends exist it extrapolates along the
        line through the last two trials (slope -1 after the first trial),
        at most a factor 1000 per trial, and at least a factor 10 down after
        a trial that emptied the layer.  A bracket whose sparse end emptied
        the layer is bisected (in log alpha).
    ``rule="gradient"``
        The authors' rule: the median of the magnitudes
        :math:`|\partial L / \partial w|` (the full-batch gradient of the
        unpenalized loss at the last trial's weights) that fall inside the
        bracket, the geometric midpoint when none does.  At a stationary point
        a weight is zero exactly when its gradient magnitude is at most
        :math:`\alpha`, so these magnitudes are the penalties at which weights
        switch; but a network trained for a few epochs is far from
        stationary and the rule mostly bisects.

    With per-layer targets, a trial in which some layer emptied is a dead
    network: the other layers keep their penalties, and the trial stays out of
    their histories; only the layers that emptied after a rise of their own
    penalty move (every emptied layer when none rose).

    The first :math:`\alpha` (``alpha_init=None``) is the :math:`n^*`-th
    largest gradient magnitude at ``network``'s weights, per layer for
    per-layer targets: the penalty at which :math:`n^*` weights would leave
    zero at those weights.

    With mini-batches the count of a trained network is a noisy function of
    :math:`\alpha`: under proximal Adam it moves by a third or more from one
    epoch to the next on Mackey–Glass (:class:`ClosestToTarget`), and per-layer
    targets add the layers' pull on each other.  Pass a
    :class:`ClosestToTarget` to the training loop of ``train`` (over the last
    half of its epochs, as the estimators of :mod:`skproj.neural_network`
    do) so that a trial returns the epoch that meets the target when it passes
    through it.

    Parameters
    ----------
    network : torch.nn.Module
        The starting network, e.g. freshly initialized or trained without the
        penalty.  Not modified: every trial trains a copy.
    train : callable
        ``train(network, alpha)`` trains ``network`` in place with the penalty
        ``alpha`` (an ndarray, one per tensor of :func:`l1_weights`), e.g. with
        :func:`run_epochs` and :class:`ProximalL1`.
    loss : callable
        ``loss(network)`` is the unpenalized training loss, a scalar tensor
        (used for its gradients; the full training set or a large batch).  A
        loss over data too large for one pass may instead call ``backward``
        on its chunks itself (accumulating the gradients of the weights) and
        return None.
    target_nonzeros : int or sequence of int
        Non-zero weights wanted in the whole network (one :math:`\alpha`), or
        in each weight tensor of :func:`l1_weights` (one :math:`\alpha` per
        tensor).
    tol : float, default=0.05
        A target :math:`n^*` is met when :math:`|n - n^*| \le
        \max(\text{tol}\cdot n^*, 1)` and :math:`n > 0`.
    max_trials : int, default=10
        Trainings at most.
    rule : {"secant", "gradient"}, default="secant"
        How the next penalty is chosen, see above.
    alpha_init : float or sequence of float, optional
        The first penalty (per tensor for per-layer targets).
    trial_start : {"fresh", "denser", "previous"}, default="fresh"
        Where a trial starts.  ``"fresh"``: from ``network``.  ``"denser"``:
        from the network of an earlier trial, the one closest in
        :math:`\log\alpha` among those denser than the target.
        ``"previous"``: from the last trial's network, unless it has an empty
        layer (then from the last one without; from ``network`` when there is
        none), so that the network kept has trained through all the trials
        before it.  Never from a network with an empty layer: it passes no
        gradient back and cannot grow again.  Starts from an earlier trial make
        :math:`n(\alpha)` depend on the epochs run before (the weights keep
        shrinking as training goes on), so the bracket is less consistent;
        ``benchmarks/bench_l1_sparsity.py`` measured both worse than
        ``"fresh"`` (see the estimators' ``trial_start``).
    penalty_scale : sequence of torch.Tensor, optional
        The factors :math:`c` of a weighted penalty :math:`\alpha \sum_i c_i
        |w_i|` that ``train`` applies (:class:`ProximalL1` ``penalty_scale``,
        e.g. :func:`adaptive_penalty_scale`): the gradient magnitudes that
        give the first :math:`\alpha` and the ``"gradient"`` rule are then
        :math:`|\partial L / \partial w_i| / c_i`, the penalty at which
        weight :math:`i` leaves zero.  None: the plain l1 norm.
    verbose : int, default=0
        1: one line per trial.

    Returns
    -------
    result : L1TargetResult
        The network that met the target, or the closest one with a
        :class:`~sklearn.exceptions.ConvergenceWarning` when none did (one
        with an empty layer only when every trial had one).

    References
    ----------
    .. [1] L. Shen, R. Wang, Y. Xu, M. Yan, "Sparse deep learning models with
       the l1 regularization", arXiv:2408.02801 (2024).
    """
    if trial_start not in ("fresh", "denser", "previous"):
        raise ValueError("trial_start must be 'fresh', 'denser' or 'previous'; "
                         f"got {trial_start!r}.")
    if rule not in ("secant", "gradient"):
        raise ValueError(f"rule must be 'secant' or 'gradient'; got {rule!r}.")
    if not (isinstance(max_trials, (int, np.integer)) and max_trials >= 1):
        raise ValueError(f"max_trials must be a positive int; got {max_trials!r}.")
    if not (tol >= 0 and math.isfinite(tol)):
        raise ValueError(f"tol must be a finite number >= 0; got {tol!r}.")
    sizes = np.array([w.numel() for w in l1_weights(network)], dtype=np.int64)
    target, groups = _resolve_target(target_nonzeros, sizes)
    scales = _penalty_scales(penalty_scale, l1_weights(network))
    alpha = (_initial_alpha(network, loss, target, groups, scales) if alpha_init is None
             else _per_layer(alpha_init, len(groups), "alpha_init"))
    if np.any(alpha <= 0) or not np.all(np.isfinite(alpha)):
        raise ValueError(f"alpha_init must be positive and finite; got {alpha_init!r}.")
    history, networks, trials = [], [], []
    for trial in range(max_trials):
        start = _start_network(networks, history, trials, alpha, target, trial_start)
        candidate = copy.deepcopy(network if start is None else start)
        train(candidate, _expand(alpha, groups, len(sizes)))
        counts = count_nonzeros(candidate)
        grouped = np.array([counts[g].sum() for g in groups])
        met, error = _target_error(counts, target, groups, tol)
        history.append((alpha.copy(), grouped))
        networks.append(candidate)
        trials.append({"trial": trial, "alpha": _expand(alpha, groups, len(sizes)),
                       "nonzeros": counts, "total": int(counts.sum()),
                       "reached": bool(met.all()), "error": float(error.max()),
                       "warm": start is not None})
        if verbose:
            print(f"[fit_to_nonzeros] trial {trial}: alpha {np.array2string(alpha, precision=3)}"
                  f" -> non-zeros {grouped.tolist()} (target {target.tolist()})", flush=True)
        if met.all():
            break
        if trial + 1 < max_trials:
            gradients = (_gradient_magnitudes(candidate, loss, groups, scales)
                         if rule == "gradient"
                         else None)
            # When a layer empties, the network is dead and the other layers' counts
            # say nothing of their penalties: only the penalties of the layers that
            # emptied after a rise of their own move (of all the emptied ones when none
            # rose), and a trial with an empty layer stays out of the others' histories.
            emptied = grouped == 0
            if emptied.any() and len(history) > 1:
                rose = emptied & (history[-1][0] > history[-2][0])
                emptied = rose if rose.any() else emptied
            hold = met | (emptied.any() & ~emptied)
            alpha = np.array([
                alpha[k] if hold[k] else _next_alpha(
                    [(a[k], n[k]) for a, n in history if n[k] == 0 or np.all(n > 0)],
                    target[k], rule, None if gradients is None else gradients[k],
                    coupled=len(groups) > 1)
                for k in range(len(groups))])
    # The closest trial; a network with an empty layer (dead) only when all are.
    best = min(range(len(trials)), key=lambda i: (
        not trials[i]["reached"], bool(np.any(history[i][1] == 0)), trials[i]["error"]))
    chosen = trials[best]
    if not chosen["reached"]:
        # (imported here: scikit-learn is no import of skproj.nn's)
        from sklearn.exceptions import ConvergenceWarning

        warnings.warn(
            f"fit_to_nonzeros: no trial of {len(trials)} met the target {target.tolist()} "
            f"within tol={tol}; returning the closest network, trial {best} with "
            f"{[int(counts) for counts in history[best][1]]} non-zero weights "
            f"(alpha {chosen['alpha'].tolist()}).  Raise max_trials, train longer per "
            "trial, or loosen tol.", ConvergenceWarning)
    return L1TargetResult(networks[best], chosen["alpha"], chosen["nonzeros"], target,
                          chosen["reached"], trials)


def _resolve_target(target_nonzeros, sizes, name="target_nonzeros"):
    """The targets as an int64 vector and the weight tensors each one counts."""
    values = np.atleast_1d(np.asarray(target_nonzeros))
    if values.dtype.kind not in "iu" or values.ndim != 1:
        raise ValueError(f"{name} must be an int or a sequence of ints; "
                         f"got {target_nonzeros!r}.")
    if len(values) == 1 and np.ndim(target_nonzeros) == 0:
        groups, capacity = [np.arange(len(sizes))], np.array([sizes.sum()])
    elif len(values) == len(sizes):
        groups, capacity = [np.array([i]) for i in range(len(sizes))], sizes
    else:
        raise ValueError(f"{name} must be one int or {len(sizes)} ints (one per "
                         f"weight tensor); got {len(values)}.")
    if np.any(values < 1) or np.any(values > capacity):
        raise ValueError(f"{name} must lie in [1, {capacity.tolist()}] (the number "
                         f"of weights); got {values.tolist()}.")
    return values.astype(np.int64), groups


def _expand(alpha, groups, n_layers):
    """One alpha per weight tensor from one per target group."""
    expanded = np.empty(n_layers)
    for value, group in zip(alpha, groups):
        expanded[group] = value
    return expanded


def _gradient_magnitudes(network, loss, groups, scales):
    """|dL/dw| / c of every weight (c: its penalty factor), one float64 vector per group.

    The penalty at which each weight leaves zero; a weight whose factor is 0
    never stays at zero (infinite; NaN where its gradient is 0 as well, which
    the callers' comparisons and ``np.isfinite`` leave out).
    """
    weights = l1_weights(network)
    network.zero_grad(set_to_none=True)
    network.eval()
    value = loss(network)
    if value is not None:  # None: the loss accumulated its gradients itself
        value.backward()
    magnitudes = [np.zeros(w.numel()) if w.grad is None
                  else w.grad.detach().abs().flatten().double().cpu().numpy() for w in weights]
    with np.errstate(divide="ignore", invalid="ignore"):
        magnitudes = [m if c is None else m / c.flatten().double().cpu().numpy()
                      for m, c in zip(magnitudes, scales)]
    network.zero_grad(set_to_none=True)
    return [np.concatenate([magnitudes[i] for i in group]) for group in groups]


def _initial_alpha(network, loss, target, groups, scales):
    """The target-th largest gradient magnitude (over its factor) at the starting weights."""
    probe = copy.deepcopy(network)
    alphas = []
    for magnitudes, k in zip(_gradient_magnitudes(probe, loss, groups, scales), target):
        positive = np.sort(magnitudes[(magnitudes > 0) & np.isfinite(magnitudes)])[::-1]
        if positive.size == 0:
            raise ValueError("the loss has a zero gradient with respect to every weight at the "
                             "starting network; pass alpha_init.")
        alphas.append(positive[min(k, positive.size) - 1])
    return np.array(alphas)


def _start_network(networks, history, trials, alpha, target, trial_start):
    """The earlier network the next trial starts from, None for the starting network."""
    if trial_start == "fresh":
        return None
    if trial_start == "previous":
        alive = [i for i, trial in enumerate(trials) if np.all(trial["nonzeros"] > 0)]
        return networks[alive[-1]] if alive else None
    return _nearest_network(networks, history, alpha, target)


def _nearest_network(networks, history, alpha, target):
    """The earlier network, denser than every target, whose penalty is closest to ``alpha``.

    Only a denser network is a useful start: a sparser one may have lost whole
    layers, and a network with a layer of zeros passes no gradient back, so it
    cannot grow again (with ReLUs it is a stationary point).
    """
    denser = [i for i, (_, counts) in enumerate(history) if np.all(counts > target)]
    if not denser:
        return None
    distance = [np.abs(np.log(history[i][0]) - np.log(alpha)).sum() for i in denser]
    return networks[denser[int(np.argmin(distance))]]


def _next_alpha(history, target, rule, gradients=None, coupled=False):
    """The next penalty of one target group from its history of (alpha, non-zeros).

    ``coupled``: other groups' penalties move this group's count (per-layer
    targets), so that a closed bracket that misses the target is stale rather
    than a jump of the count (which a global target's closed bracket is).
    """
    low = max((a for a, n in history if n > target), default=None)   # too dense
    high = min((a for a, n in history if n < target), default=None)  # too sparse
    # A sparse end that emptied the layer is a collapse to stay away from, not a
    # stale count: such a bracket is kept however narrow.
    stalled = (coupled and low is not None and high is not None
               and math.log(high / low) < _STALLED and dict(history)[high] > 0)
    if low is not None and high is not None and (low >= high or stalled):
        # The history contradicts itself, or its bracket has closed on a penalty that
        # does not meet the target: training noise, or (per-layer targets) the other
        # layers' penalties moved this layer's count since the bracket's ends were
        # measured, so the penalty wanted now may lie outside it.  Trust the last trial.
        history, low, high = history[-1:], None, None
        (a, n), = history
        low, high = (a, None) if n > target else (None, a)
    if rule == "gradient":
        inside = gradients[(gradients > (low or 0.0)) & (gradients < (high or np.inf))]
        if inside.size:
            return float(np.median(inside))
        if low is not None and high is not None:
            return math.sqrt(low * high)
        # Unbracketed and no gradient beyond the bracket: expand tenfold.
        return low * 10.0 if high is None else high / 10.0
    if low is not None and high is not None:
        return _secant_in_bracket(history, low, high, target)
    return _extrapolate(history, target)


def _log_count(n):
    return math.log(max(n, 0.5))  # an empty network counts as half a weight


def _secant_in_bracket(history, low, high, target):
    n_low = dict(history)[low]
    n_high = dict(history)[high]
    x0, x1 = math.log(low), math.log(high)
    y0, y1 = _log_count(n_low), _log_count(n_high)
    # An emptied sparse end is a cliff, not a point of the curve: bisect.
    share = ((y0 - math.log(target)) / (y0 - y1) if y0 != y1 and n_high > 0 else 0.5)
    share = min(max(share, _SECANT_SAFEGUARD), 1.0 - _SECANT_SAFEGUARD)
    return math.exp(x0 + share * (x1 - x0))


def _extrapolate(history, target):
    r"""Past the one end known: along the line through the last two trials.

    A flat or rising pair says nothing of the slope.  The default slope of -1
    would then move :math:`\log\alpha` by :math:`\log(n / n^*)` only, a few
    percent a trial when the count sits near the target but does not move
    (a plateau of :math:`n(\alpha)`); so after such a pair the move is at
    least twice the last one (an expanding search).
    """
    (a1, n1) = history[-1]
    slope, least_step = -1.0, 0.0
    if len(history) > 1:
        a0, n0 = history[-2]
        if a0 != a1:
            last_step = math.log(a1) - math.log(a0)
            fitted = (_log_count(n1) - _log_count(n0)) / last_step
            if fitted < 0:  # n decreases with alpha
                slope = min(fitted, -0.1)
            else:
                least_step = 2.0 * abs(last_step)
    step = (math.log(target) - _log_count(n1)) / slope
    if abs(step) < least_step:
        step = math.copysign(least_step, step)
    if n1 == 0:
        # An empty layer (a dead network) says nothing of how far the target lies,
        # and a small target hardly moves the line: go down at least tenfold.
        step = min(step, -math.log(_COLLAPSE_STEP))
    step = min(max(step, -math.log(_MAX_EXPANSION)), math.log(_MAX_EXPANSION))
    return a1 * math.exp(step)
