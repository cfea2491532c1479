"""Multi-layer perceptrons with a prescribed number of non-zero weights (torch inside)."""

import copy
import math
import sys
import time
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin, _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from skproj.nn._callbacks import Callback
from skproj.nn._runtime import (
    import_torch,
    load_state_dict,
    resolve_device,
    state_dict_bytes,
    torch_runtime,
)

__all__ = ["SparseMLPClassifier", "SparseMLPRegressor"]

# Rows per forward pass when predicting (bounds the memory of large X).
_PREDICT_CHUNK = 4096

# With per-layer targets each trial keeps the weights of the epoch closest to the
# targets among its last half (skproj.nn.ClosestToTarget): the layers' counts
# flicker from epoch to epoch.  A global count, a sum over the layers, flickers
# less: there the last epoch is kept (in benchmarks/bench_l1_sparsity.py the
# kept epoch cost one alpha on Mackey-Glass 0.82 instead of 0.60 times pruning's
# error, for one trial less).
_SETTLED_SHARE = 0.5


class _CosineDecay(Callback):
    r"""Cosine decay: after optimizer step :math:`k` of :math:`K` the rate is
    :math:`\text{lr}\,(1 + \cos(\pi k / K)) / 2`.

    torch's ``CosineAnnealingLR`` stepped after every optimizer step, so
    that the rate reaches 0 at the end of the epochs planned, however few.
    """

    def __init__(self, torch, optimizer, n_steps):
        self.scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer,
                                                                    T_max=max(n_steps, 1))

    def on_step_end(self, module):
        self.scheduler.step()


_COMMON_DOC = r"""
    The network is an MLP :math:`d \to h_1 \to \dots \to h_L \to k` whose
    weight matrices :math:`W_l` (not the biases) are trained with an
    :math:`\ell_1` penalty by proximal steps,

    .. math::

        \min_W \; \mathcal{L}(W) + \sum_l \alpha_l \|W_l\|_1 ,

    one :math:`\alpha` for the network or one per layer, each chosen so that
    the trained network has ``target_nonzeros`` non-zero weights: the method
    of Shen, Wang, Xu and Yan [1]_ (their Algorithms 1 and 2), run by
    :func:`skproj.nn.fit_to_nonzeros` with :class:`skproj.nn.ProximalL1`.
    Every trial trains a fresh network (the same initialization, or the
    network trained ``n_dense_epochs`` without the penalty) for
    ``n_epochs`` epochs with the optimizer step followed by the soft
    threshold; with per-layer targets a trial keeps the weights of the
    epoch, among its last half, that meets the targets (the latest such), or
    else comes closest to them (:class:`skproj.nn.ClosestToTarget`): the
    count of a layer trained by proximal Adam flickers from epoch to epoch,
    by a third or more on Mackey–Glass, many times the tolerance.  The next
    :math:`\alpha` comes
    from the history of :math:`(\alpha, \text{non-zeros})`.  The network that meets the target is
    then fine-tuned for up to ``n_finetune_epochs`` epochs without the
    penalty, its zeros frozen (the penalty shrinks the surviving weights too;
    the fine-tuning removes that bias).  With ``early_stopping`` a share
    ``validation_fraction`` of the samples is set aside for the whole fit
    (stratified for the classifier) and the fine-tuning stops once the loss on
    it has not fallen for ``n_iter_no_change`` epochs, keeping the weights of
    its lowest value, the network before fine-tuning included: a long
    fine-tuning budget then helps where the trials were short, and the
    validation loss guards it where more epochs overfit.  When no trial
    meets the target within ``tol``, a
    :class:`~sklearn.exceptions.ConvergenceWarning` is raised and the
    closest network is kept.

    With Adam (the default) the threshold is per coordinate,
    :math:`\text{lr}\,\alpha / (\sqrt{\hat v_i} + \epsilon)`: the proximal
    step in Adam's metric, whose fixed points are those of the penalized
    problem (see :class:`skproj.nn.ProximalL1`).  The authors' budget, 50,000
    full-batch epochs per trial, is not needed: on Mackey–Glass (the paper's
    6-128-128-64-1 network, 2,000 of 25,408 weights) 200 mini-batch epochs per
    trial reach the target within 5 % in 4 trials with one :math:`\alpha`,
    5 with one per layer (``benchmarks/bench_l1_sparsity.py``).

    Parameters
    ----------
    target_nonzeros : int, float, sequence of int or None, default=0.1
        Non-zero weights wanted.  An int: in the whole network (one
        :math:`\alpha`); a float in (0, 1): that share of all the weights; a
        sequence of ints: one per weight matrix, input layer first (one
        :math:`\alpha` per layer); ``None``: the dense network, trained
        ``n_epochs`` epochs without penalty.
    hidden_layer_sizes : tuple of int, default=(100,)
        Sizes of the hidden layers.
    activation : {"relu", "tanh", "silu", "gelu"}, default="relu"
        Activation of the hidden layers.
    optimizer : {"adam", "sgd"}, default="adam"
        Adam, or SGD with momentum 0.9 (the threshold is then
        :math:`\text{lr}\cdot\alpha`).
    learning_rate : float, default=1e-3
        Learning rate of the optimizer.
    batch_size : int, default=64
        Mini-batch size (capped at the number of samples).
    n_epochs : int, default=200
        Epochs of every trial.
    n_finetune_epochs : int, default=800
        Epochs of the final fine-tuning with the zeros frozen (at most, with
        ``early_stopping``).
    early_stopping : bool, default=True
        Whether to set aside ``validation_fraction`` of the samples and
        stop the fine-tuning (the training, for the dense network) when
        the mean loss on them (squared error of the standardized targets,
        or cross-entropy) has not fallen for ``n_iter_no_change`` epochs,
        keeping the weights where it was lowest.  As in
        :class:`~sklearn.neural_network.MLPRegressor`, except that any
        decrease counts (``tol`` is the tolerance on the target), the loss,
        not the score, is watched, and it is on by default: in
        ``benchmarks/bench_l1_sparsity.py`` it lowered the test error on
        both data sets, where 200 epochs of fine-tuning are too few
        (Mackey–Glass: 0.60 instead of 1.23 times magnitude pruning's) and
        where they overfit (diabetes: 0.81 instead of 0.96).  The trials
        train on the other samples.
    validation_fraction : float, default=0.1
        Share of the samples set aside with ``early_stopping`` (at least
        one sample).
    n_iter_no_change : int, default=200
        Epochs without a decrease of the validation loss before the
        fine-tuning stops (with ``early_stopping``).  Far longer than
        scikit-learn's 10: with Adam the validation loss of a sparse
        network decreases slowly under a lot of noise, and on Mackey–Glass
        10 stopped the fine-tuning after 17 and 31 epochs (3.3 times
        pruning's error), 50 after 270 to 390 (0.99), while 200 let it run
        its 800 epochs (0.60).  The weights kept are the best seen on the
        validation samples, so a long patience mostly costs time (on
        diabetes, 0.81 against 0.80 with 50).
    tol : float, default=0.05
        The target :math:`n^*` is met when the non-zeros :math:`n` satisfy
        :math:`|n - n^*| \le \max(\text{tol}\cdot n^*, 1)` (every layer's, for
        per-layer targets).
    max_trials : int, default=10
        Trainings at most while choosing :math:`\alpha`.
    rule : {"secant", "gradient"}, default="secant"
        How the next :math:`\alpha` is chosen (see
        :func:`skproj.nn.fit_to_nonzeros`): a secant in log-log scale, or the
        authors' median of the gradient magnitudes inside the bracket.
    trial_start : {"fresh", "denser", "previous"}, default="fresh"
        Where every trial starts: the same fresh initialization, or (after
        the first trial that left too many weights) the network of the
        earlier trial that was too dense with the closest :math:`\alpha`,
        or the last trial's network (the last one without an empty layer).
        ``"denser"`` gives the kept network more training, but the count
        then depends on the epochs run before as well as on :math:`\alpha`,
        and the search is less reliable: in ``benchmarks/bench_l1_sparsity.py``
        it missed the target after 10 trials on Mackey–Glass (seed 0) and on
        3 of 5 splits of scikit-learn's diabetes, where ``"fresh"`` met it
        every time in 4 trials on average; its error was not lower either
        (4.1 against 2.6 times the dense network's on Mackey–Glass, 0.70
        against 0.65 on diabetes).  ``"previous"`` (the kept network has
        trained through all the trials) missed the target after 10 trials on
        both Mackey–Glass seeds and all 5 diabetes splits, with a higher
        validation loss than ``"fresh"`` (2.3 and 1.15 times) and test error
        (1.75 against 0.60 and 0.91 against 0.81 times magnitude pruning's).
    n_dense_epochs : int, default=0
        Epochs of training without the penalty before the search; every
        trial then starts from that network (instead of the fresh
        initialization), so that the network fits the data once, before any
        penalty, and the trials still start from one network (the count
        stays a function of :math:`\alpha`).  Counted in ``history_`` (phase
        "dense") and ``n_epochs_total_``.  In ``benchmarks/bench_l1_sparsity.py``
        400 dense epochs and trials of 50 (``n_epochs=50``) had the lowest
        validation loss on Mackey–Glass (2.68e-05 against 3.56e-05 for the
        defaults) and on scikit-learn's diabetes (0.546 against 0.571), and a
        test error 1.39 instead of 2.08 times that of magnitude pruning given
        the same epochs on Mackey–Glass (0.83 against 0.81 on diabetes).
    alpha_warmup : float in [0, 1), default=0.0
        A continuation of the penalty within every trial: over this share of
        the trial's optimizer steps the penalty rises linearly from 0 to
        :math:`\alpha` (:class:`skproj.nn.ProximalL1` ``warmup_steps``).
        The search works on the final :math:`\alpha`.  Over the first half
        (0.5) it did not help in ``benchmarks/bench_l1_sparsity.py``: a higher
        validation loss on Mackey–Glass (4.33e-05 against 3.56e-05), about the
        same on diabetes (0.565 against 0.571).
    reweighting_power : float > 0 or None, default=None
        The adaptive lasso (Zou [2]_; one reweighting step of Candès, Wakin
        and Boyd [3]_): weight :math:`i` is penalized by :math:`\alpha c_i
        |w_i|` with :math:`c_i = (\bar w / (|w^0_i| + 10^{-3} \bar w))^\gamma`,
        :math:`\gamma` this power, :math:`w^0` the weights after the
        ``n_dense_epochs`` (which must then be > 0) and :math:`\bar w` their
        mean magnitude (:func:`skproj.nn.adaptive_penalty_scale`): the
        weights that the dense training made large are cheap to keep, so
        the support moves from the l1 penalty's towards magnitude pruning's
        as :math:`\gamma` grows, still chosen by the gradients and one
        :math:`\alpha` per target (the soft threshold of weight :math:`i` is
        multiplied by :math:`c_i`).  None: the plain l1 penalty.  In
        ``benchmarks/bench_l1_sparsity.py`` (``n_dense_epochs=400,
        n_epochs=50``) :math:`\gamma = 2` moved the support towards
        magnitude pruning's (its mask on the dense weights is 1.11 times
        magnitude pruning's error at equal epochs on Mackey–Glass, the plain
        mask 1.51), but the fitted networks stayed within the seeds' spread
        of the plain penalty (1.29 to 1.36 times against 1.39 for
        :math:`\gamma` = 1, 0.5, 2; 0.82 to 0.86 against 0.83 on diabetes).
    finetune_start : {"penalized", "dense", "best"}, default="penalized"
        What the final fine-tuning starts from, its zeros those of the
        network the search kept: that network (``"penalized"``, its weights
        shrunk by the penalty); the dense network trained
        ``n_dense_epochs`` epochs (which must then be > 0) with those zeros,
        :math:`w^0 \odot \mathbb{1}[w \ne 0]` (``"dense"``: weight
        rewinding, Frankle and Carbin [4]_, rewound to the end of the dense
        training as Renda, Frankle and Carbin [5]_ rewind to an early
        epoch); or both, one after the other, keeping the one with the
        lower validation loss (``"best"``, which needs ``early_stopping``).
        Both fine-tunings are counted in ``history_`` and
        ``n_epochs_total_``; the one kept is ``finetune_start_``.  The
        penalty chooses the support; its shrinkage of the kept weights is
        then a bias that ``"dense"`` does not start from.  In
        ``benchmarks/bench_l1_sparsity.py`` (``n_dense_epochs=400,
        n_epochs=50, reweighting_power=2``) neither helped on both data
        sets: against magnitude pruning given as many epochs in all,
        ``"dense"`` 1.34 (1.13 and 1.55 on two Mackey–Glass seeds, against
        1.33 and 1.39 for ``"penalized"``) and 0.88 on scikit-learn's
        diabetes (0.82); ``"best"`` 1.48 and 0.85, its second fine-tuning
        given to pruning as well.  With ``reweighting_power=4``,
        ``"dense"`` came closest to pruning on Mackey–Glass (1.14; 0.91 on
        diabetes); against pruning on the same samples (``support``) and
        with ``n_epochs=25``, it is 0.88 times pruning's error on both
        Mackey–Glass seeds but 1.01 on diabetes, where the penalized start
        (``n_dense_epochs=400, n_epochs=50``) is 0.93.
    finetune_lr_schedule : {"constant", "cosine"}, default="constant"
        The learning rate of the final fine-tuning: ``learning_rate``
        throughout, or decayed after every optimizer step along a cosine
        from ``learning_rate`` to 0 at the end of ``n_finetune_epochs``
        (Loshchilov and Hutter [6]_ without restarts; with
        ``early_stopping`` the fine-tuning may stop before the end).  The
        trials and the dense training keep a constant rate.  In
        ``benchmarks/bench_l1_sparsity.py`` it did not help: on Mackey–Glass
        the validation loss still falls at the end of 800 epochs at the
        constant rate, and the decay raised the test error of magnitude
        pruning (1.52e-06 and 1.73e-06 against 1.25e-06 and 1.22e-06 on two
        seeds) and of the l1 network on one seed of two; on scikit-learn's
        diabetes the fine-tuning stops early, before the rate has fallen.
    support : {"l1", "magnitude"}, default="l1"
        How the zeros are chosen: by the l1 penalty and the search for its
        :math:`\alpha` (the method), or by magnitude pruning, the baseline:
        the network trained ``n_dense_epochs`` epochs (which must then be
        > 0) keeps its ``target_nonzeros`` largest weights
        (:func:`skproj.nn.keep_largest_`; per layer with per-layer
        targets), with no search, then the same fine-tuning (from that
        network, ``finetune_start_`` is ``"dense"``).  It trains on the same
        samples, sets aside the same validation samples and, with the same
        ``random_state``, starts from the same dense network as the l1
        search does: ``benchmarks/bench_l1_sparsity.py`` compares the two
        with it.  The parameters of the search (``n_epochs``, ``rule``,
        ``max_trials``, ``trial_start``, ``alpha_warmup``,
        ``reweighting_power``, ``finetune_start``) are not used.
    device : {"auto", "cpu", "cuda"}, default="auto"
        Where torch runs; ``"auto"`` picks CUDA when available.  The device
        used is stored in ``device_``.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialization and the mini-batch order (through a
        ``torch.Generator``).  With an int, two fits on the same device give
        the same model.
    verbose : int, default=0
        0: silent; 1: one line per trial and per fine-tuning epoch; 2: one
        line per epoch.

    Attributes
    ----------
%(extra_attributes)s    network_ : torch.nn.Sequential
        The trained network (on ``device_``).
    coefs_ : list of ndarray
        The weight matrices, shape (n_in, n_out) as in scikit-learn's MLPs
        (the transpose of torch's ``Linear.weight``).
    intercepts_ : list of ndarray
        The biases.
    alpha_ : ndarray of shape (n_layers,)
        The penalty of every weight matrix in the trial that was kept (all
        equal for one target; zeros for the dense network).
    n_nonzeros_ : ndarray of shape (n_layers,)
        Non-zero weights of every weight matrix of the fitted network.
    n_weights_ : ndarray of shape (n_layers,)
        Weights of every matrix (non-zero or not).
    target_nonzeros_ : ndarray of shape (1,) or (n_layers,)
        The target resolved to counts (empty for the dense network).
    target_reached_ : bool
        Whether the target was met within ``tol``.
    trials_ : list of dict
        One entry per trial: ``alpha``, ``nonzeros`` (per layer), ``total``,
        ``reached``, ``error`` (relative distance to the target).
    n_trials_ : int
        Number of trials.
    history_ : list of dict
        One entry per epoch: ``phase`` ("search", "finetune" or "dense"),
        ``trial``, ``epoch``, ``loss`` (mean training loss of the epoch),
        ``validation_loss`` (with ``early_stopping``, in the fine-tuning or
        dense phase; None otherwise), ``nonzeros`` (non-zero weights after
        the epoch) and ``time`` (seconds since the start of ``fit``).
    n_epochs_total_ : int
        Epochs run in all (trials and fine-tuning).
    validation_losses_ : list of float or None
        With ``early_stopping``: the validation loss before the fine-tuning
        (the dense training) and after each of its epochs; else None.  Of
        the fine-tuning kept, with ``finetune_start="best"``.
    best_validation_loss_ : float or None
        Its minimum, the loss of the fitted network (None without
        ``early_stopping``).
    best_epoch_ : int
        Epochs of fine-tuning (of training, for the dense network) of the
        weights kept: where the validation loss was lowest with
        ``early_stopping``, else all the epochs run.
    finetune_start_ : {"penalized", "dense"} or None
        What the fine-tuning of the fitted network started from (see
        ``finetune_start``; None for the dense network).
    device_ : str
        The device the network lives on.
    n_threads_ : int
        torch's CPU threads during ``fit``: one for small networks (fewer
        than :math:`2^{22}` multiply-adds per mini-batch), otherwise limited
        in joblib workers as for
        :class:`~skproj.autoencoder.SparseSupervisedAutoencoder`.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in,)
        Names of the features seen during ``fit`` (string column names only).

    Notes
    -----
    A model fitted on CUDA pickles and unpickles on a machine without CUDA:
    the network is then loaded on the CPU (``device_`` becomes ``"cpu"``).
    Training runs in float32; predictions in float64.

    References
    ----------
    .. [1] L. Shen, R. Wang, Y. Xu, M. Yan, "Sparse deep learning models with
       the l1 regularization", arXiv:2408.02801 (2024).
    .. [2] H. Zou, "The adaptive lasso and its oracle properties", Journal of
       the American Statistical Association 101 (476), 2006.
    .. [3] E. J. Candès, M. B. Wakin, S. P. Boyd, "Enhancing sparsity by
       reweighted l1 minimization", Journal of Fourier Analysis and
       Applications 14, 2008.
    .. [4] J. Frankle, M. Carbin, "The lottery ticket hypothesis: finding
       sparse, trainable neural networks", ICLR 2019.
    .. [5] A. Renda, J. Frankle, M. Carbin, "Comparing rewinding and
       fine-tuning in neural network pruning", ICLR 2020.
    .. [6] I. Loshchilov, F. Hutter, "SGDR: stochastic gradient descent with
       warm restarts", ICLR 2017.
"""


class _BaseSparseMLP(BaseEstimator):
    """The fit / predict machinery shared by the regressor and the classifier."""

    _parameter_constraints: dict = {
        "target_nonzeros": [Interval(Integral, 1, None, closed="left"),
                            Interval(RealNotInt, 0, 1, closed="neither"), "array-like", None],
        "hidden_layer_sizes": [tuple, list],
        "activation": [StrOptions({"relu", "tanh", "silu", "gelu"})],
        "optimizer": [StrOptions({"adam", "sgd"})],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "n_epochs": [Interval(Integral, 1, None, closed="left")],
        "n_finetune_epochs": [Interval(Integral, 0, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(RealNotInt, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_trials": [Interval(Integral, 1, None, closed="left")],
        "rule": [StrOptions({"secant", "gradient"})],
        "trial_start": [StrOptions({"fresh", "denser", "previous"})],
        "n_dense_epochs": [Interval(Integral, 0, None, closed="left")],
        "alpha_warmup": [Interval(Real, 0, 1, closed="left")],
        "reweighting_power": [Interval(Real, 0, None, closed="neither"), None],
        "finetune_start": [StrOptions({"penalized", "dense", "best"})],
        "finetune_lr_schedule": [StrOptions({"constant", "cosine"})],
        "support": [StrOptions({"l1", "magnitude"})],
        "device": [StrOptions({"auto", "cpu", "cuda"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        target_nonzeros=0.1,
        *,
        hidden_layer_sizes=(100,),
        activation="relu",
        optimizer="adam",
        learning_rate=1e-3,
        batch_size=64,
        n_epochs=200,
        n_finetune_epochs=800,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=200,
        tol=0.05,
        max_trials=10,
        rule="secant",
        trial_start="fresh",
        n_dense_epochs=0,
        alpha_warmup=0.0,
        reweighting_power=None,
        finetune_start="penalized",
        finetune_lr_schedule="constant",
        support="l1",
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.target_nonzeros = target_nonzeros
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_epochs = n_epochs
        self.n_finetune_epochs = n_finetune_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.max_trials = max_trials
        self.rule = rule
        self.trial_start = trial_start
        self.n_dense_epochs = n_dense_epochs
        self.alpha_warmup = alpha_warmup
        self.reweighting_power = reweighting_power
        self.finetune_start = finetune_start
        self.finetune_lr_schedule = finetune_lr_schedule
        self.support = support
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = True
        return tags

    # --- what the subclasses say ------------------------------------------------

    def _encode_targets(self, y):
        """Validated ``y`` as the network's training target (a float32 / int64 array)."""
        raise NotImplementedError

    def _loss(self, torch):
        """``loss(output, target)`` of a mini-batch."""
        raise NotImplementedError

    # --- fit --------------------------------------------------------------------

    def _hidden_sizes(self):
        sizes = tuple(self.hidden_layer_sizes)
        if not sizes or not all(isinstance(s, Integral) and s >= 1 for s in sizes):
            raise ValueError("hidden_layer_sizes must be a non-empty sequence of positive "
                             f"ints; got {self.hidden_layer_sizes!r}.")
        return tuple(int(s) for s in sizes)

    def _resolve_target(self, n_weights):
        """``target_nonzeros`` as counts: one for the network or one per layer."""
        target = self.target_nonzeros
        if target is None:
            return None
        if isinstance(target, Real) and not isinstance(target, Integral):
            return max(1, int(round(float(target) * n_weights.sum())))
        if isinstance(target, Integral):
            if target > n_weights.sum():
                raise ValueError(f"target_nonzeros={target} exceeds the {n_weights.sum()} "
                                 "weights of the network.")
            return int(target)
        values = np.asarray(target)
        if (values.ndim != 1 or values.dtype.kind not in "iu" or len(values) != len(n_weights)
                or np.any(values < 1) or np.any(values > n_weights)):
            raise ValueError(
                f"target_nonzeros given per layer must be {len(n_weights)} ints, each between "
                f"1 and the layer's number of weights {n_weights.tolist()}; got {target!r}.")
        return values.astype(np.int64)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Choose the penalty, train the sparse network and fine-tune it.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (standardize it; scale sparse data without
            centring it, e.g. with ``StandardScaler(with_mean=False)``, so
            that it stays sparse).  Cast to float32.  A sparse matrix (CSR or
            CSC; other formats are converted to CSR) is densified one
            mini-batch at a time, never as a whole.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets (class labels for the classifier).

        Returns
        -------
        self : object
            The fitted estimator.
        """
        torch = import_torch(type(self).__name__)
        sizes = self._hidden_sizes()
        if self.reweighting_power is not None and not self.n_dense_epochs:
            raise ValueError("reweighting_power needs n_dense_epochs > 0: the factors of the "
                             "adaptive penalty come from the weights trained without it; got "
                             f"n_dense_epochs={self.n_dense_epochs!r}.")
        if self.finetune_start != "penalized" and not self.n_dense_epochs:
            raise ValueError(f"finetune_start={self.finetune_start!r} needs n_dense_epochs > 0: "
                             "the dense network's weights are a start of the fine-tuning; got "
                             f"n_dense_epochs={self.n_dense_epochs!r}.")
        if self.support == "magnitude" and not self.n_dense_epochs:
            raise ValueError("support='magnitude' needs n_dense_epochs > 0: magnitude pruning "
                             "keeps the largest weights of the network trained without penalty; "
                             f"got n_dense_epochs={self.n_dense_epochs!r}.")
        if self.finetune_start == "best" and not self.early_stopping:
            raise ValueError("finetune_start='best' needs early_stopping=True: the validation "
                             "loss chooses between the two fine-tuned networks.")
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"],
                             dtype=[np.float64, np.float32],
                             multi_output=isinstance(self, RegressorMixin),
                             y_numeric=isinstance(self, RegressorMixin))
        targets = self._encode_targets(y)
        self.device_ = resolve_device(torch, self.device)
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        layer_sizes = [X.shape[1], *sizes, self._n_network_outputs]
        n_weights = sum(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))
        work = n_weights * min(self.batch_size, X.shape[0])
        with torch_runtime(torch, work):
            self.n_threads_ = torch.get_num_threads()
            self._train(torch, _as_float32_rows(X), targets, layer_sizes, int(seed))
        return self

    def _build(self, torch, layer_sizes, generator):
        from skproj.nn._modules import materialize, mlp, reinitialize

        network = materialize(mlp(layer_sizes, self.activation))
        reinitialize(network, generator)
        return network.to(self.device_)

    def _make_optimizer(self, torch, network):
        if self.optimizer == "adam":
            return torch.optim.Adam(network.parameters(), lr=self.learning_rate)
        return torch.optim.SGD(network.parameters(), lr=self.learning_rate, momentum=0.9)

    def _split(self, X, targets, seed):
        """``(X, y)`` to train on and ``(X, y)`` to validate on (None without early stopping)."""
        if not self.early_stopping:
            return (X, targets), None
        from sklearn.model_selection import train_test_split

        n_samples = X.shape[0]
        n_validation = max(1, int(round(self.validation_fraction * n_samples)))
        if n_samples - n_validation < 1:
            raise ValueError(f"early_stopping needs at least 2 samples to set "
                             f"validation_fraction={self.validation_fraction} of them aside; "
                             f"got {n_samples} sample(s).")
        stratify = None
        if targets.dtype.kind == "i":  # the classifier: every class on both sides if it can
            counts = np.bincount(targets)
            counts = counts[counts > 0]
            if counts.min() >= 2 and len(counts) <= min(n_validation, n_samples - n_validation):
                stratify = targets
        X_train, X_val, y_train, y_val = train_test_split(
            X, targets, test_size=n_validation, random_state=seed, stratify=stratify)
        return (X_train, y_train), (X_val, y_val)

    def _train(self, torch, X, targets, layer_sizes, seed):
        from skproj.nn import (
            BestWeights,
            CallbackList,
            ClosestToTarget,
            ProximalL1,
            adaptive_penalty_scale,
            copy_zeros_,
            count_nonzeros,
            fit_to_nonzeros,
            freeze_zeros,
            keep_largest_,
            l1_weights,
        )
        from skproj.nn._loop import batch_rows, run_epochs
        from skproj.nn._proximal import _resolve_target, _target_error

        device = self.device_

        def as_tensors(X, y):
            # A sparse X stays on the CPU, densified one mini-batch at a time (batch_rows).
            return (X if sp.issparse(X) else torch.tensor(X, device=device),
                    torch.as_tensor(y, device=device))

        training, validation = self._split(X, targets, seed)
        X_t, y_t = as_tensors(*training)
        X_val, y_val = (None, None) if validation is None else as_tensors(*validation)
        self._layer_sizes = layer_sizes
        network = self._build(torch, layer_sizes, torch.Generator().manual_seed(seed))
        self.n_weights_ = np.array([n_in * n_out for n_in, n_out
                                    in zip(layer_sizes[:-1], layer_sizes[1:])], dtype=np.int64)
        target = self._resolve_target(self.n_weights_)
        loss_fn = self._loss(torch)
        batch_size = min(self.batch_size, X_t.shape[0])
        self.history_ = []
        start = time.perf_counter()
        state = {"trial": 0, "phase": "search"}
        penalty_scale = None

        def chunks(X_rows, y_rows):
            """``(rows, targets, share of the samples)``, at most _PREDICT_CHUNK rows each."""
            n_samples = X_rows.shape[0]
            for begin in range(0, n_samples, _PREDICT_CHUNK):
                index = torch.arange(begin, min(begin + _PREDICT_CHUNK, n_samples))
                yield (batch_rows(X_rows, index, device), y_rows[index.to(device)],
                       len(index) / n_samples)

        def validation_loss(net):
            net.eval()
            with torch.no_grad():
                return sum(float(loss_fn(net(rows), y)) * share
                           for rows, y, share in chunks(X_val, y_val))

        def on_epoch(net, stopper):
            def record(epoch, loss):
                stop = stopper is not None and stopper(epoch, loss)
                entry = {"phase": state["phase"], "trial": state["trial"], "epoch": epoch,
                         "loss": loss,
                         "validation_loss": None if stopper is None else stopper.losses[-1],
                         "nonzeros": int(count_nonzeros(net).sum()),
                         "time": time.perf_counter() - start}
                self.history_.append(entry)
                if self.verbose > 1 or (self.verbose and state["phase"] != "search"):
                    print(f"[{type(self).__name__}] {entry['phase']} trial {entry['trial']} "
                          f"epoch {epoch + 1}: loss {loss:.4g}, non-zeros {entry['nonzeros']}, "
                          f"{entry['time']:.1f}s", file=sys.stdout, flush=True)
                return stop
            return record

        def train(net, alpha, n_epochs=self.n_epochs, penalized=True, stopper=None,
                  decay=False):
            optimizer = self._make_optimizer(torch, net)
            # Every trial sees the same mini-batches: the non-zeros then depend on
            # alpha only, and the bracket of fit_to_nonzeros stays consistent.
            generator = torch.Generator().manual_seed(seed + 1)
            n_steps = n_epochs * math.ceil(X_t.shape[0] / batch_size)
            callback = _CosineDecay(torch, optimizer, n_steps) if decay else None
            if penalized:
                callback = ProximalL1(optimizer, alpha,
                                      warmup_steps=int(round(self.alpha_warmup * n_steps)),
                                      penalty_scale=penalty_scale)
            if penalized and np.ndim(target):  # per-layer targets
                callback = CallbackList([callback, ClosestToTarget(
                    target, tol=self.tol,
                    from_epoch=n_epochs - max(1, int(_SETTLED_SHARE * n_epochs)))])
            n_done = run_epochs(net, optimizer, loss_fn, X_t, y_t, n_epochs=n_epochs,
                                batch_size=batch_size, generator=generator, callbacks=callback,
                                on_epoch=on_epoch(net, stopper))
            state["trial"] += 1
            return n_done

        def train_unpenalized(net, n_epochs, decay=False):
            """Train without penalty, stopping early on request.

            ``(epochs of the weights kept, validation losses, their minimum)``, the
            last two None without early stopping.
            """
            if validation is None:
                return train(net, 0.0, n_epochs, penalized=False, decay=decay), None, None
            stopper = BestWeights(net, validation_loss, self.n_iter_no_change)
            train(net, 0.0, n_epochs, penalized=False, stopper=stopper, decay=decay)
            stopper.restore()
            return stopper.best_epoch, stopper.losses, stopper.best_loss

        def finetune(net):
            """Fine-tune ``net`` without penalty, its zeros frozen; as train_unpenalized."""
            masks = freeze_zeros(net)
            outcome = train_unpenalized(net, self.n_finetune_epochs,
                                        decay=self.finetune_lr_schedule == "cosine")
            for mask in masks:
                mask.remove()
            return outcome

        if target is None:
            state["phase"] = "dense"
            (self.best_epoch_, self.validation_losses_,
             self.best_validation_loss_) = train_unpenalized(network, self.n_epochs)
            self.alpha_ = np.zeros(len(self.n_weights_))
            self.target_nonzeros_ = np.empty(0, dtype=np.int64)
            self.target_reached_ = True
            self.trials_ = []
            self.finetune_start_ = None
        elif self.support == "magnitude":
            state["phase"] = "dense"
            train(network, 0.0, self.n_dense_epochs, penalized=False)
            state["phase"], state["trial"] = "finetune", 0
            keep_largest_(network, target)
            self.alpha_ = np.zeros(len(self.n_weights_))
            self.target_nonzeros_, groups = _resolve_target(target, self.n_weights_)
            self.target_reached_ = bool(np.all(_target_error(
                count_nonzeros(network), self.target_nonzeros_, groups, self.tol)[0]))
            self.trials_ = []
            self.finetune_start_ = "dense"
            (self.best_epoch_, self.validation_losses_,
             self.best_validation_loss_) = finetune(network)
        else:
            if self.n_dense_epochs:
                state["phase"] = "dense"
                train(network, 0.0, self.n_dense_epochs, penalized=False)
                state["phase"], state["trial"] = "search", 0
                if self.reweighting_power is not None:
                    penalty_scale = adaptive_penalty_scale(l1_weights(network),
                                                           self.reweighting_power)
            def full_loss(net):
                # Gradients accumulated chunk by chunk (backward on each), the same for
                # dense and sparse X: at most _PREDICT_CHUNK rows are densified and held
                # by autograd at a time.  One chunk for up to _PREDICT_CHUNK samples.
                for rows, y, share in chunks(X_t, y_t):
                    (loss_fn(net(rows), y) * share).backward()

            result = fit_to_nonzeros(network, train, full_loss, target, tol=self.tol,
                                     max_trials=self.max_trials, rule=self.rule,
                                     trial_start=self.trial_start,
                                     penalty_scale=penalty_scale, verbose=self.verbose)
            self.alpha_ = result.alpha
            self.target_nonzeros_ = result.target
            self.target_reached_ = result.reached
            self.trials_ = result.trials
            state["phase"], state["trial"] = "finetune", len(result.trials)
            # What to fine-tune: the penalized network, and/or the dense network
            # (``network``, untouched by the search) under the penalized one's zeros.
            origins = {"penalized": ("penalized",), "dense": ("dense",),
                       "best": ("penalized", "dense")}[self.finetune_start]
            outcomes = {}
            for origin in origins:
                candidate = (result.network if origin == "penalized"
                             else copy_zeros_(copy.deepcopy(network), result.network))
                outcomes[origin] = (candidate, finetune(candidate))
            # The lowest validation loss ("best" needs early stopping); a tie keeps
            # the penalized network.
            self.finetune_start_ = min(origins, key=lambda origin: outcomes[origin][1][2])
            network, (self.best_epoch_, self.validation_losses_,
                      self.best_validation_loss_) = outcomes[self.finetune_start_]
        network.eval()
        self.network_ = network
        self.n_trials_ = len(self.trials_)
        self.n_epochs_total_ = len(self.history_)
        self.n_nonzeros_ = count_nonzeros(network)
        self._set_coefs()

    def _set_coefs(self):
        linears = [m for m in self.network_ if hasattr(m, "weight")]
        self.coefs_ = [m.weight.detach().cpu().double().numpy().T.copy() for m in linears]
        self.intercepts_ = [m.bias.detach().cpu().double().numpy().copy() for m in linears]

    # --- inference ----------------------------------------------------------------

    def _forward(self, X):
        """The network's output for ``X``, in float64 (NumPy)."""
        check_is_fitted(self)
        torch = import_torch(type(self).__name__)
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32],
                          reset=False)
        # Inference runs in float64: float32 matrix products give results that
        # depend (at 1e-7) on how many rows are batched together.
        params = {name: value.detach().double()
                  for name, value in self.network_.named_parameters()}
        results = []
        with torch.no_grad():
            for begin in range(0, X.shape[0], _PREDICT_CHUNK):
                rows = X[begin:begin + _PREDICT_CHUNK]
                rows = rows.toarray() if sp.issparse(rows) else rows
                chunk = torch.tensor(rows, dtype=torch.float32, device=self.device_).double()
                out = torch.func.functional_call(self.network_, params, (chunk,))
                results.append(out.cpu().numpy())
        return np.concatenate(results)

    # --- pickling -------------------------------------------------------------------

    def __getstate__(self):
        state = dict(super().__getstate__())  # BaseEstimator returns __dict__ itself
        network = state.pop("network_", None)
        if network is not None:
            torch = import_torch(type(self).__name__)
            state["_network_state"] = state_dict_bytes(torch, network)
        return state

    def __setstate__(self, state):
        payload = state.pop("_network_state", None)
        if payload is not None:
            torch = import_torch(type(self).__name__)
            from skproj.nn._modules import materialize, mlp

            network = materialize(mlp(state["_layer_sizes"], state["activation"]))
            state["network_"], state["device_"] = load_state_dict(
                torch, network, payload, state.get("device_", "cpu"), type(self).__name__)
        super().__setstate__(state)


def _as_float32_rows(X):
    """``X`` in float32: a dense array, or a CSR matrix (fast row slicing), never densified."""
    if sp.issparse(X):
        return X.tocsr().astype(np.float32)
    return np.asarray(X, dtype=np.float32)


class SparseMLPRegressor(RegressorMixin, _BaseSparseMLP):
    __doc__ = (r"""Multi-layer perceptron regressor with a prescribed number of non-zero weights.

    Minimizes the mean squared error of the standardized targets (each output
    centred and scaled to unit variance during ``fit``, predictions scaled
    back), so that :math:`\alpha` does not depend on the units of ``y``.
""" + _COMMON_DOC.replace("%(extra_attributes)s", "") + r"""
    See Also
    --------
    SparseMLPClassifier : the classifier.
    sklearn.neural_network.MLPRegressor : a dense MLP.

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skproj.datasets import make_mackey_glass
    >>> from skproj.neural_network import SparseMLPRegressor
    >>> X, y = make_mackey_glass(300)
    >>> X = StandardScaler().fit_transform(X)
    >>> model = SparseMLPRegressor(200, hidden_layer_sizes=(32,), n_epochs=40,
    ...                            n_finetune_epochs=20, random_state=0).fit(X, y)
    >>> bool(model.target_reached_ and abs(model.n_nonzeros_.sum() - 200) <= 10)
    True
    >>> bool(model.score(X, y) > 0.95)
    True
    """)

    _n_network_outputs = None

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _encode_targets(self, y):
        y = np.asarray(y, dtype=np.float64)
        self._y_was_1d = y.ndim == 1
        y2d = y.reshape(len(y), -1)
        self.n_outputs_ = y2d.shape[1]
        self._n_network_outputs = self.n_outputs_
        self.y_mean_ = y2d.mean(axis=0)
        scale = y2d.std(axis=0)
        self.y_scale_ = np.where(scale > 0, scale, 1.0)
        return ((y2d - self.y_mean_) / self.y_scale_).astype(np.float32)

    def _loss(self, torch):
        return torch.nn.functional.mse_loss

    def predict(self, X):
        """Predicted targets.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions, in the units of the ``y`` given to ``fit``.
        """
        out = self._forward(X) * self.y_scale_ + self.y_mean_
        return out.ravel() if self._y_was_1d else out


class SparseMLPClassifier(ClassifierMixin, _BaseSparseMLP):
    __doc__ = (r"""Multi-layer perceptron classifier with a prescribed number of non-zero weights.

    Minimizes the mean cross-entropy of the softmax of the network's output,
    one output per class.
""" + _COMMON_DOC.replace("%(extra_attributes)s", """    classes_ : ndarray of shape (n_classes,)
        The class labels.
""") + r"""
    See Also
    --------
    SparseMLPRegressor : the regressor.
    sklearn.neural_network.MLPClassifier : a dense MLP.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skproj.neural_network import SparseMLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> model = SparseMLPClassifier([20, 10], hidden_layer_sizes=(16,), n_epochs=60,
    ...                             learning_rate=1e-2, batch_size=16,
    ...                             random_state=0).fit(X, y)
    >>> model.target_reached_                 # 20 +- 1 and 10 +- 1 non-zeros
    True
    >>> bool(model.score(X, y) > 0.9)
    True
    """)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        return tags

    def _encode_targets(self, y):
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes in "
                             f"the data; got 1 class ({self.classes_[0]!r}).")
        self._n_network_outputs = len(self.classes_)
        return encoder.transform(y).astype(np.int64)

    def _loss(self, torch):
        return torch.nn.functional.cross_entropy

    def predict_proba(self, X):
        """Class probabilities: the softmax of the network's output.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        logits = self._forward(X)
        logits -= logits.max(axis=1, keepdims=True)
        proba = np.exp(logits)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        return np.log(self.predict_proba(X))

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        logits = self._forward(X)
        return self.classes_[np.argmax(logits, axis=1)]
