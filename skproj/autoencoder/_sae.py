"""Sparse supervised autoencoder: a classifier and transformer with PyTorch inside."""

import math
import sys
import time
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, RealNotInt, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from skproj._logistic import n_features_from
from skproj.nn._runtime import (
    import_torch,
    load_state_dict,
    resolve_device,
    state_dict_bytes,
    torch_runtime,
)
from skproj.projections import MATRIX_CONSTRAINTS, Constraint, get_constraint

__all__ = ["SparseSupervisedAutoencoder"]

# Share of the surviving input features an intermediate selection round keeps
# at least (the radius of the round is the larger of ``eta`` and the radius
# that keeps this share).
_ROUND_KEEP = 0.5

# Optimizer steps per epoch of batch_size="auto".  Few, large mini-batches:
# a step of these small networks costs about the same with 20 or 60 samples
# (torch's per-step overhead dominates), so 8 steps per epoch at 3x the
# learning rate of 24 steps train the same amount (Adam moves a weight by
# about one learning rate per step, and ``eta``'s scale follows the product)
# in about a third of the time; on six real data sets the accuracy at a
# given number of features did not change beyond the fold-to-fold spread
# (benchmarks/bench_real_data.py).
_AUTO_STEPS_PER_EPOCH = 8

# Rows per forward pass when predicting (bounds the memory of large X).
_PREDICT_CHUNK = 4096


def _import_torch():
    return import_torch("SparseSupervisedAutoencoder")


class SparseSupervisedAutoencoder(ClassNamePrefixFeaturesOutMixin, ClassifierMixin,
                                  TransformerMixin, BaseEstimator):
    r"""Supervised autoencoder whose first layer is kept inside a projection ball.

    The network of Barlaud, Perez and Marmorat [1]_: an encoder
    :math:`d \to h_1 \to \dots \to k` whose output, the latent code, has one
    unit per class and serves as the class logits, and a mirrored decoder
    :math:`k \to \dots \to h_1 \to d` that reconstructs the input.  It minimizes

    .. math::

        \mathcal{L} = \operatorname{CE}(z, y)
        + \lambda \, \operatorname{SmoothL1}(\hat x, x),
        \qquad z = \operatorname{enc}(x), \ \hat x = \operatorname{dec}(z),

    (both terms averaged; :math:`\lambda` is ``reconstruction_weight``) while the
    first layer's weight :math:`W \in \mathbb{R}^{h_1 \times d}` is projected
    onto the ball :math:`\{W : \sum_j \|w_j\| \le \eta\}` whose groups
    :math:`w_j` are the *input-feature columns*.  A projection that zeroes a
    column removes that input feature from the model: the fitted
    ``selected_features_`` are the columns that stay non-zero.

    Training schemes (``training``):

    ``"double_descent"`` (default)
        The paper's scheme, iterated: train, project the first layer, freeze
        its zero pattern, train again.  Every selection round trains
        ``n_epochs[0]`` epochs and projects with the radius
        :math:`\max(\eta, \eta_r)`, where :math:`\eta_r` keeps half of the
        surviving columns (a shrinking radius schedule).  With
        ``n_rounds="auto"`` the rounds go on until :math:`\eta \ge \eta_r`;
        that round, projected at :math:`\eta`, is the last.  With
        ``n_rounds = R``, round R projects at :math:`\eta`.  Then a final
        retraining of ``n_epochs[1]`` epochs with the frozen pattern.  Each
        round restarts from a fresh initialization of the surviving weights
        when ``reinitialize=True`` (only the zero pattern carries over).
        ``n_rounds=1, n_subclasses=1, reinitialize=False`` is exactly the
        paper's recipe: :math:`\|W\|_{1,\infty} \le \eta` right after the
        projection.
    ``"projected"``
        Projected stochastic gradient: the projection after every optimizer
        step (:math:`\|W\| \le \eta` after every step), ``n_epochs[0]``
        epochs, then ``n_epochs[1]`` epochs with the zero pattern frozen and
        still projecting after every step.

    Why the iterated scheme: with :math:`d \gg n` a dense network fits noise
    features before the informative ones stand out, so a single projection of a
    dense network ranks the features poorly.  Halving the features per round and
    retraining from scratch on the survivors lets each round rank the features
    on a less noisy model (a recursive feature elimination driven by the
    projection); the fresh restarts also make the final classifier better than
    fine-tuning the projected weights.

    Sub-classes (``n_subclasses > 1``, ``"double_descent"`` only): a class
    often gathers several clusters (cell subtypes; the hypercube vertices of
    :func:`~sklearn.datasets.make_classification`).  A feature that separates
    the clusters of a class, but not the classes, tells nothing about the
    label on its own, and a network trained on the labels ranks it with the
    noise.  So after a first pass of rounds against the labels, every class
    is split into ``n_subclasses`` full-covariance Gaussian clusters by
    mixture discriminant analysis with
    :class:`~skproj.feature_selection.ProjectedLogisticRegression` (the
    Gaussian mixtures alternate with the l1,inf-constrained linear model of
    the sub-classes, at the radius that keeps as many features as the first
    pass did), and a new pass of rounds, from all the features, trains
    networks whose latent code has one unit per sub-class.  The clusters are
    fitted again on what that pass keeps, for at most 3 passes or until they
    no longer change.  The final network is trained on the labels (one latent
    unit per class) with the features of the last pass.  The linear model
    starts the sub-classes because its alternations are cheap: refitting the
    clusters on what the network keeps converges to them too, but only
    after many passes of rounds, since clusters fitted on the features that
    separate the classes are poor.

    Parameters
    ----------
    eta : float, default=0.5
        Radius of the ball of the first layer, in the units of its weights.
        The weights, hence the radius, scale as 1 / (scale of the inputs):
        standardize the data.  With standardized inputs and the other
        parameters at their defaults, the number of features kept grows
        with :math:`\eta`: on data-64 (750 training samples, 1000
        features, one seed) the bi-level l1,inf projection keeps 12, 22, 36
        and 128 features at :math:`\eta` = 0.25, 0.5, 1 and 2 (11, 23, 39
        and 146 with the earlier recipe of 24 steps per epoch at a third of
        the learning rate: the scale of ``eta`` did not change).  It does not
        depend much on the number of input features (the rounds remove most
        of them before the last projection), nor, with
        ``batch_size="auto"``, on the number of samples, but it does on
        ``learning_rate``, the number of epochs and ``n_subclasses`` (the
        selection networks have one output per sub-class).
        Tune it with :class:`~sklearn.model_selection.GridSearchCV` on a
        logarithmic grid, e.g. 0.25 to 8 (nested searches chose 4 and 8 on a
        10-class single-cell set and mostly 4 on a 10-class time-series set
        over 0.5-8, 0.5-2 on three sets of 13-76 features over 0.5-2:
        ``benchmarks/bench_real_data.py``), or set ``n_features_to_select``.  The exact l1,inf ball
        (``"l1inf_ball"``) clips many columns a little instead of zeroing most
        of them, so its radii have their own scale: on data-64 it keeps 17,
        29 and 78 features at 0.3, 0.6 and 1.2.  Ignored when
        ``projection=None``.
    projection : str or None, default="bilevel_l1inf"
        A set of :data:`skproj.projections.MATRIX_CONSTRAINTS` (or a Constraint)
        applied to the input-feature columns of the first layer:
        ``"bilevel_l1inf"``, ``"bilevel_l11"``, ``"bilevel_l12"``,
        ``"l1inf_ball"`` (exact l1,inf ball) or ``"l12_ball"``.  ``None`` trains
        the dense baseline (``n_epochs[1]`` epochs, no projection).
    hidden_layer_sizes : tuple of int, default=(100,)
        Sizes of the encoder's hidden layers (the decoder mirrors them).
    activation : {"silu", "relu", "tanh", "gelu"}, default="silu"
        Activation of the hidden layers.
    reconstruction_weight : float, default=1.0
        Weight :math:`\lambda` of the mean smooth-l1 reconstruction loss beside
        the mean cross-entropy.
    learning_rate : float or tuple of two float, default=3e-3
        Learning rates of the Adam optimizer per phase: the selection rounds
        (and the ``"projected"`` phase one), and the final retraining (and the
        dense baseline).  A float uses the same rate for both.
    batch_size : int or "auto", default="auto"
        Mini-batch size (capped at the number of samples).  ``"auto"``:
        ``ceil(n_samples / 8)``, so that an epoch is 8 optimizer steps
        whatever the number of samples (94 for 750 samples).  Adam moves a
        weight by about one learning rate per step, so the size of the
        trained weights, hence the scale of ``eta``, follows the number of
        steps: with a fixed batch size a model trained on fewer samples (a
        cross-validation fold) keeps more features at the same ``eta`` than
        the model refitted on all of them.
    n_epochs : int or tuple of two int, default=(10, 20)
        Epochs per phase: of each selection round, and of the final
        retraining.  An int uses the same number for both.
    training : {"double_descent", "projected"}, default="double_descent"
        The training scheme, see above.
    n_rounds : int or "auto", default="auto"
        Selection rounds of ``"double_descent"`` in each pass.  ``"auto"``:
        until the halving schedule reaches ``eta``, about
        :math:`1 + \log_2(d / \text{features kept at } \eta)` rounds (6 or
        7 for 1000 features).  An int R: R rounds, the last one at ``eta``
        whatever it removes (1: the paper's single projection).
    n_subclasses : int, default=1
        Clusters per class in the selection passes (see above); 1 selects
        against the labels only, in one pass.  2 helps where each class is a
        mixture of distinct clusters with their own informative features
        (the papers' synthetic sets: 0.90 against 0.79 on data-64), but on
        real data sets it was no better and up to three times slower (a
        10-class single-cell set: 0.74 against 0.78), so it is not the
        default.  Ignored by ``"projected"`` training and the dense model.
    n_features_to_select : int, float or None, default=None
        Select this number of features (an int) or this share of them (a
        float in (0, 1)) instead of stopping the rounds at the radius
        ``eta``: every round keeps the larger of this number and half of the
        surviving features, and the last round projects at the radius that
        keeps exactly this number (:meth:`~skproj.projections.Constraint.radius_for_groups`;
        more only where group norms tie).  ``"double_descent"`` only;
        ``eta`` is then unused.
    reinitialize : bool, default=True
        Whether each round and the final retraining of ``"double_descent"``
        restart from freshly drawn weights (masked by the frozen zero pattern)
        instead of continuing from the projected weights.  With
        ``n_subclasses > 1`` the final network is fresh either way: it has one
        latent unit per class, the selection networks one per sub-class.
    device : {"auto", "cpu", "cuda"}, default="auto"
        Where torch runs; ``"auto"`` picks CUDA when available.  The device used
        is stored in ``device_``.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialization and the mini-batch order (through a
        ``torch.Generator``).  With an int, two fits on the same device give the
        same model.
    verbose : int, default=0
        0: silent; 1: one line per epoch.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    network_ : torch.nn.Module
        The trained network (on ``device_``); ``network_.encoder[0].weight`` is
        the projected first layer.
    selected_features_ : ndarray of shape (n_selected,)
        Indices of the input features whose first-layer column is non-zero.
    feature_importances_ : ndarray of shape (n_features_in,)
        Norm of every input feature's first-layer column (the projection's
        inner norm: max for l1,inf, l1 for l1,1, l2 for l1,2 and the dense
        model); zero for the removed features.  Usable by
        :class:`~sklearn.feature_selection.SelectFromModel`.  It says how
        large the network's weights on a feature are, not how much its
        predictions depend on it: among correlated features the network
        spreads its weights arbitrarily, and the reconstruction term keeps
        weight on features that predict the other inputs, not the label.
        Rank the selected features by ``permutation_importances_``.
    permutation_importances_ : ndarray of shape (n_features_in,)
        Mean increase of the training cross-entropy (in nats) when the values
        of a selected feature are permuted among the samples (5 permutations,
        at most 2,000 samples), zero for the removed features: what the
        predictions depend on.  On scikit-learn's breast-cancer table its top
        five have a mean univariate ROC AUC of 0.91-0.92 and none below 0.69
        (0.74-0.83 with a near-chance feature, AUC 0.51, among them for the
        weight norms), and its top ten agree best across seeds (0.75-0.85)
        (``benchmarks/bench_rankings.py``).  The command line ranks by it.
    history_ : list of dict
        One entry per epoch: ``phase`` ("select", "retrain" or "dense"),
        ``round`` (numbered through all the selection passes), ``epoch``,
        ``loss``, ``cross_entropy``, ``reconstruction``,
        ``train_accuracy`` (on the mini-batches of the epoch), ``n_features``
        (input features in use), ``sparsity`` (share of input features
        removed), ``radius`` (the first layer's norm in the projection's
        geometry) and ``time`` (seconds since the start of ``fit``).
    projection_time_ : float
        Seconds spent in projections during ``fit``.
    batch_size_ : int
        The mini-batch size used (``batch_size`` resolved).
    device_ : str
        The device the network lives on.
    n_threads_ : int
        torch's CPU threads during ``fit`` (limited in joblib workers).
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in,)
        Names of the features seen during ``fit`` (string column names only).

    See Also
    --------
    skproj.nn.project_parameter_ : the projection of one parameter, for your
        own networks.
    sklearn.neural_network.MLPClassifier : a dense multi-layer perceptron.

    Notes
    -----
    On the papers' synthetic sets data-64 / data-16 (``benchmarks/bench_autoencoder.py``,
    nested 4-fold cross-validation, ``eta`` tuned by an inner 4-fold search
    on the training folds) the default recipe reaches 0.79 / 0.80 accuracy
    with 17 / 10 features of which 96 % / 87 % are informative, and 0.90 /
    0.90 with 42 / 13.5 features (99 % / 100 % informative) with
    ``n_subclasses=2`` (0.90 / 0.90 with the exact l1,inf ball and
    sub-classes); 0.73 / 0.69 for the authors' single projection and
    0.69 / 0.54 for the dense network, against 0.95 / 0.94 for an SVC given
    exactly the informative features.  Each class of these sets is two
    Gaussian clusters with their own covariances: about half of the
    informative features separate only the clusters, which is what the
    sub-class passes recover.  Real data sets do not reward them the same
    way (see ``n_subclasses``), hence the default.

    Scale-out: under :class:`~sklearn.model_selection.GridSearchCV` with
    ``n_jobs > 1`` every fit limits torch's threads to its share of the cores
    (joblib's ``OMP_NUM_THREADS`` in process workers, one thread in thread
    workers), so the workers do not oversubscribe the machine.  On a cluster,
    run the search on joblib's dask or ray backend::

        from joblib import parallel_config
        from dask.distributed import Client          # or: import ray;
        client = Client("scheduler-address:8786")    # from ray.util.joblib import
        with parallel_config(backend="dask"):        #   register_ray; register_ray()
            search.fit(X, y)                         # and backend="ray"

    Start the dask or ray workers with ``OMP_NUM_THREADS`` set to the cores
    each task may use.

    A model fitted on CUDA pickles and unpickles on a machine without CUDA: the
    network is then loaded on the CPU (``device_`` becomes ``"cpu"``).

    References
    ----------
    .. [1] M. Barlaud, G. Perez, J.-P. Marmorat, "A new linear time bi-level
       l1,inf projection; application to the sparsification of auto-encoders
       neural networks", arXiv:2407.16293 (2024).

    Examples
    --------
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skproj.autoencoder import SparseSupervisedAutoencoder
    >>> from skproj.datasets import make_sparse_classification
    >>> X, y, informative = make_sparse_classification(16, n_samples=300, n_features=200)
    >>> X = StandardScaler().fit_transform(X)
    >>> model = SparseSupervisedAutoencoder(eta=0.05, n_epochs=(5, 20), n_rounds=4,
    ...                                     random_state=0).fit(X, y)
    >>> model.transform(X[:2]).shape          # the latent code
    (2, 2)
    >>> bool(informative[model.selected_features_].mean() > 0.5)
    True
    """

    _parameter_constraints: dict = {
        "eta": [Interval(Real, 0, None, closed="neither")],
        "projection": [StrOptions(set(MATRIX_CONSTRAINTS)), Constraint, None],
        "hidden_layer_sizes": [tuple, list],
        "activation": [StrOptions({"silu", "relu", "tanh", "gelu"})],
        "reconstruction_weight": [Interval(Real, 0, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither"), tuple, list],
        "batch_size": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "n_epochs": [Interval(Integral, 1, None, closed="left"), tuple, list],
        "training": [StrOptions({"double_descent", "projected"})],
        "n_rounds": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        "n_subclasses": [Interval(Integral, 1, None, closed="left")],
        "n_features_to_select": [Interval(Integral, 1, None, closed="left"),
                                 Interval(RealNotInt, 0, 1, closed="neither"), None],
        "reinitialize": ["boolean"],
        "device": [StrOptions({"auto", "cpu", "cuda"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        eta=0.5,
        *,
        projection="bilevel_l1inf",
        hidden_layer_sizes=(100,),
        activation="silu",
        reconstruction_weight=1.0,
        learning_rate=3e-3,
        batch_size="auto",
        n_epochs=(10, 20),
        training="double_descent",
        n_rounds="auto",
        n_subclasses=1,
        n_features_to_select=None,
        reinitialize=True,
        device="auto",
        random_state=None,
        verbose=0,
    ):
        self.eta = eta
        self.projection = projection
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.reconstruction_weight = reconstruction_weight
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_epochs = n_epochs
        self.training = training
        self.n_rounds = n_rounds
        self.n_subclasses = n_subclasses
        self.n_features_to_select = n_features_to_select
        self.reinitialize = reinitialize
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        tags.input_tags.sparse = True
        tags.classifier_tags.multi_class = True
        tags.classifier_tags.poor_score = False
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    # --- checks -----------------------------------------------------------------

    def _check_params(self):
        sizes = tuple(self.hidden_layer_sizes)
        if not sizes or not all(isinstance(s, Integral) and s >= 1 for s in sizes):
            raise ValueError("hidden_layer_sizes must be a non-empty sequence of positive "
                             f"ints; got {self.hidden_layer_sizes!r}.")
        if isinstance(self.n_epochs, Integral):
            epochs = (int(self.n_epochs), int(self.n_epochs))
        else:
            epochs = tuple(self.n_epochs)
            if len(epochs) != 2 or not all(isinstance(e, Integral) and e >= 1 for e in epochs):
                raise ValueError("n_epochs must be a positive int or a pair of positive ints "
                                 f"(selection, retraining); got {self.n_epochs!r}.")
        if isinstance(self.learning_rate, Real):
            rates = (float(self.learning_rate), float(self.learning_rate))
        else:
            rates = tuple(self.learning_rate)
            if len(rates) != 2 or not all(isinstance(r, Real) and r > 0 for r in rates):
                raise ValueError("learning_rate must be a positive float or a pair of positive "
                                 f"floats (selection, retraining); got {self.learning_rate!r}.")
        return sizes, (int(epochs[0]), int(epochs[1])), (float(rates[0]), float(rates[1]))

    # --- fit ----------------------------------------------------------------------

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the network and select the input features.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (standardize it: ``eta`` is in the units of weights
            applied to unit-variance inputs; scale sparse data without
            centering, e.g. ``StandardScaler(with_mean=False)``, so that it
            stays sparse).  Cast to float32; a sparse matrix is densified one
            mini-batch at a time, never whole.
        y : array-like of shape (n_samples,)
            Class labels (any labels; at least two classes).

        Returns
        -------
        self : SparseSupervisedAutoencoder
            The fitted estimator.
        """
        torch = _import_torch()
        sizes, epochs, rates = self._check_params()
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"],
                             dtype=[np.float64, np.float32])
        check_classification_targets(y)
        encoder = LabelEncoder().fit(y)
        self.classes_ = encoder.classes_
        if len(self.classes_) < 2:
            raise ValueError(
                "SparseSupervisedAutoencoder needs samples of at least 2 classes in the "
                f"data; got 1 class ({self.classes_[0]!r})."
            )
        y_encoded = encoder.transform(y)
        self.device_ = resolve_device(torch, self.device)
        seed = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        if self.batch_size == "auto":
            self.batch_size_ = math.ceil(X.shape[0] / _AUTO_STEPS_PER_EPOCH)
        else:
            self.batch_size_ = min(self.batch_size, X.shape[0])
        layers = [X.shape[1], *sizes, len(self.classes_)]
        n_weights = 2 * sum(a * b for a, b in zip(layers[:-1], layers[1:]))  # and the decoder
        with torch_runtime(torch, n_weights * self.batch_size_):
            self.n_threads_ = torch.get_num_threads()
            # Sparse input stays sparse: the training densifies one mini-batch at a time.
            X = X.astype(np.float32) if sp.issparse(X) else np.asarray(X, dtype=np.float32)
            self._train(torch, X, y_encoded, sizes, epochs, rates, seed)
        self._n_features_out = len(self.classes_)
        return self

    def _train(self, torch, X, y, sizes, epochs, rates, seed):
        from skproj.autoencoder import _training

        generator = torch.Generator().manual_seed(int(seed))
        n_samples, n_features = X.shape
        n_classes = len(self.classes_)
        config = dict(n_features=n_features, hidden_layer_sizes=sizes,
                      n_latent=n_classes, activation=self.activation)
        constraint = (None if self.projection is None else
                      get_constraint(self.projection, eta=self.eta, axis=0, matrix=True))
        settings = dict(
            training=self.training, epochs=epochs, rates=rates, keep=_ROUND_KEEP,
            n_rounds=None if self.n_rounds == "auto" else self.n_rounds,
            n_features=self._n_features_target(n_features), n_subclasses=self.n_subclasses,
            reinitialize=self.reinitialize)
        self.history_ = []
        clock = _training.Clock(self.device_)
        start = time.perf_counter()
        norm = "l2" if constraint is None else constraint.inner

        def record(weight, phase, round_, epoch, means, correct, n_samples):
            self._record(weight, norm, phase, round_, epoch, means, correct, n_samples, start)

        runner = _training.EpochRunner(X, self.device_, generator, self.batch_size_,
                                       self.reconstruction_weight, record)
        self.network_ = _training.train(runner, X, y, n_classes, config, constraint, settings,
                                        clock)
        self.projection_time_ = clock.total
        self._set_importances(norm)
        self.permutation_importances_ = _training.permutation_importances(
            self.network_, X, y, self.selected_features_, seed)

    def _n_features_target(self, n_features):
        """``n_features_to_select`` as a number of features (None when not set)."""
        if self.n_features_to_select is None:
            return None
        return n_features_from(self.n_features_to_select, n_features)

    def _record(self, weight, norm, phase, round_, epoch, means, correct, n_samples, start):
        from skproj.projections import group_norms

        norms = group_norms(weight.detach(), norm, axis=0)
        n_kept = int((norms > 0).sum())
        means = means.tolist()
        entry = {
            "phase": phase,
            "round": round_,
            "epoch": epoch,
            "loss": means[0],
            "cross_entropy": means[1],
            "reconstruction": means[2],
            "train_accuracy": int(correct) / n_samples,
            "n_features": n_kept,
            "sparsity": 1.0 - n_kept / self.n_features_in_,
            "radius": float(norms.sum()),
            "time": time.perf_counter() - start,
        }
        self.history_.append(entry)
        if self.verbose:
            print(
                f"[SparseSupervisedAutoencoder] {phase} round {round_} epoch {epoch + 1}: "
                f"loss {entry['loss']:.4f} (ce {entry['cross_entropy']:.4f}, "
                f"rec {entry['reconstruction']:.4f}), train acc {entry['train_accuracy']:.3f}, "
                f"features {n_kept}/{self.n_features_in_}, radius {entry['radius']:.4g}, "
                f"{entry['time']:.1f}s",
                file=sys.stdout, flush=True,
            )

    def _set_importances(self, norm):
        from skproj.projections import group_norms

        weight = self.network_.first_layer.weight.detach().cpu()
        importances = group_norms(weight, norm, axis=0).numpy().astype(np.float64)
        self.feature_importances_ = importances
        self.selected_features_ = np.flatnonzero(importances > 0)

    # --- inference ------------------------------------------------------------------

    def _forward(self, X, output):
        check_is_fitted(self)
        torch = _import_torch()
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32],
                          reset=False)
        width = self.n_features_in_ if output == "reconstruction" else len(self.classes_)
        if X.shape[0] == 0:
            return np.empty((0, width))
        # Inference runs in float64: float32 matrix products give results that
        # depend (at 1e-7) on how many rows are batched together, and predictions
        # must not depend on which other samples are passed along.
        network = self.network_
        params = {name: value.detach().double()
                  for name, value in network.named_parameters()}
        encoder = {name[len("encoder."):]: value for name, value in params.items()
                   if name.startswith("encoder.")}
        decoder = {name[len("decoder."):]: value for name, value in params.items()
                   if name.startswith("decoder.")}
        results = []
        with torch.no_grad():
            for begin in range(0, X.shape[0], _PREDICT_CHUNK):
                rows = X[begin:begin + _PREDICT_CHUNK]
                rows = rows.toarray() if sp.issparse(rows) else rows
                chunk = torch.tensor(rows, dtype=torch.float32,
                                     device=self.device_).double()
                code = torch.func.functional_call(network.encoder, encoder, (chunk,))
                if output == "reconstruction":
                    code = torch.func.functional_call(network.decoder, decoder, (code,))
                elif output == "proba":
                    code = torch.softmax(code, dim=1)
                results.append(code.cpu().numpy())
        return np.concatenate(results)

    def predict_proba(self, X):
        """Class probabilities: the softmax of the latent code.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        proba = self._forward(X, "proba")
        return proba / proba.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`."""
        return np.log(self.predict_proba(X))

    def predict(self, X):
        """Predicted class labels (the largest latent unit).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        code = self._forward(X, "code")
        return self.classes_[np.argmax(code, axis=1)]

    def transform(self, X):
        """The latent code (class logits) of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_classes)
            The encoder's output.
        """
        return self._forward(X, "code")

    def reconstruct(self, X):
        """The autoencoder's reconstruction of ``X`` (decoder of the encoder).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        X_hat : ndarray of shape (n_samples, n_features)
            Reconstruction, in the units of the (standardized) inputs.
        """
        return self._forward(X, "reconstruction")

    def inverse_transform(self, Z):
        """Decode latent codes back to the input space.

        Parameters
        ----------
        Z : array-like of shape (n_samples, n_classes)
            Latent codes, e.g. from :meth:`transform`.

        Returns
        -------
        X_hat : ndarray of shape (n_samples, n_features_in)
            The decoder's output.
        """
        check_is_fitted(self)
        torch = _import_torch()
        Z = np.asarray(Z, dtype=np.float64)
        if Z.ndim != 2 or Z.shape[1] != len(self.classes_):
            raise ValueError(f"Z must have shape (n_samples, {len(self.classes_)}); "
                             f"got {Z.shape}.")
        decoder = self.network_.decoder
        params = {name: value.detach().double() for name, value in decoder.named_parameters()}
        with torch.no_grad():
            out = torch.func.functional_call(
                decoder, params, (torch.tensor(Z, device=self.device_),))
        return out.cpu().numpy()

    # --- pickling -------------------------------------------------------------------

    def __getstate__(self):
        state = dict(super().__getstate__())  # BaseEstimator returns __dict__ itself
        network = state.pop("network_", None)
        if network is not None:
            state["_network_state"] = (network.config,
                                       state_dict_bytes(_import_torch(), network))
        return state

    def __setstate__(self, state):
        saved = state.pop("_network_state", None)
        if saved is not None:
            torch = _import_torch()
            from skproj.autoencoder._network import SupervisedAutoencoder
            from skproj.nn._modules import materialize

            config, payload = saved
            network = materialize(SupervisedAutoencoder(**config))
            state["network_"], state["device_"] = load_state_dict(
                torch, network, payload, state.get("device_", "cpu"),
                "SparseSupervisedAutoencoder")
        super().__setstate__(state)
