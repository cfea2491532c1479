"""Built-in synthetic data sets: the papers' "data-64" and "data-16" benchmarks, Mackey–Glass."""

import numpy as np
from sklearn.datasets import make_classification
from sklearn.utils import check_random_state

__all__ = ["make_mackey_glass", "make_sparse_classification"]


def make_sparse_classification(n_informative=64, *, n_samples=1000, n_features=1000,
                               random_state=0):
    """Wide two-class data where only the first ``n_informative`` features matter.

    The synthetic sets of Barlaud, Perez and Marmorat (2024):
    ``make_classification(n_samples=1000, n_features=1000, n_informative=64
    (data-64) or 16 (data-16), n_redundant=0, shuffle=False)``.  The classes
    are Gaussian clusters at the vertices of a hypercube in the informative
    subspace, so part of the signal is not linear; the other features are
    noise.

    Parameters
    ----------
    n_informative : int, default=64
        Number of informative features (the first columns).
    n_samples : int, default=1000
        Number of samples.
    n_features : int, default=1000
        Number of features.
    random_state : int, RandomState instance or None, default=0
        Seed of the generator.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The samples (not standardized).
    y : ndarray of shape (n_samples,)
        The class labels, 0 or 1.
    informative : ndarray of bool, shape (n_features,)
        Mask of the informative features.

    References
    ----------
    .. [1] M. Barlaud, G. Perez, J.-P. Marmorat, "A new linear time bi-level
       l1,inf projection; application to the sparsification of auto-encoders
       neural networks", arXiv:2407.16293 (2024).

    Examples
    --------
    >>> from skproj.datasets import make_sparse_classification
    >>> X, y, informative = make_sparse_classification(16)
    >>> X.shape, int(informative.sum())
    ((1000, 1000), 16)
    """
    X, y = make_classification(
        n_samples=n_samples, n_features=n_features, n_informative=n_informative,
        n_redundant=0, shuffle=False, random_state=random_state,
    )
    informative = np.zeros(n_features, dtype=bool)
    informative[:n_informative] = True
    return X, y, informative


def make_mackey_glass(n_samples=1000, *, n_lags=6, horizon=1, sample_step=6.0, tau=17.0,
                      beta=0.2, gamma=0.1, power=10, dt=0.1, n_transient=500, noise=0.0,
                      random_state=0):
    r"""Time-delay regression on the chaotic Mackey–Glass series.

    The series solves the delay differential equation

    .. math::

        \frac{dx}{dt} = \beta \frac{x(t - \tau)}{1 + x(t - \tau)^{p}}
        - \gamma x(t),

    with :math:`\tau = 17, \beta = 0.2, \gamma = 0.1, p = 10` by default
    (chaotic for :math:`\tau > 16.8`).  It is integrated by the classical
    fourth-order Runge–Kutta method with step ``dt``; the delayed values at
    the half steps are the mean of the two grid values around them.  The
    history on :math:`[-\tau, 0]` is constant, 1.2 (plus a uniform
    perturbation of at most 0.1 drawn from ``random_state``, so that two seeds
    give two series), and the first ``n_transient`` time units are dropped.

    The series is sampled every ``sample_step`` time units; sample ``i`` has
    the ``n_lags`` consecutive values :math:`x(t_i - (L-1)s), \dots, x(t_i)`
    as inputs and :math:`x(t_i + h\,s)` as target (:math:`L` = ``n_lags``,
    :math:`s` = ``sample_step``, :math:`h` = ``horizon``).  Samples come in
    time order: split them without shuffling to predict the future.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of samples (rows of ``X``).
    n_lags : int, default=6
        Number of lagged inputs.
    horizon : int, default=1
        How many sampling steps ahead the target lies.
    sample_step : float, default=6.0
        Time between two samples; a multiple of ``dt``.  The default, 6,
        is the classic benchmark's spacing (the inputs :math:`x(t-30), x(t-24),
        \dots, x(t)` predict :math:`x(t+6)`).
    tau : float, default=17.0
        The delay :math:`\tau`; a multiple of ``dt``.
    beta, gamma : float, default=0.2, 0.1
        Production and decay rates.
    power : float, default=10
        Exponent :math:`p`.
    dt : float, default=0.1
        Integration step.
    n_transient : float, default=500
        Time units integrated and dropped before the first sample.
    noise : float, default=0.0
        Standard deviation of the Gaussian noise added to the targets.
    random_state : int, RandomState instance or None, default=0
        Seeds the perturbation of the history and the noise.

    Returns
    -------
    X : ndarray of shape (n_samples, n_lags)
        The lagged values, oldest first.
    y : ndarray of shape (n_samples,)
        The value ``horizon`` steps ahead.

    References
    ----------
    .. [1] M. C. Mackey, L. Glass, "Oscillation and chaos in physiological
       control systems", Science 197 (4300), 287-289 (1977).
    .. [2] L. Shen, R. Wang, Y. Xu, M. Yan, "Sparse deep learning models with
       the l1 regularization", arXiv:2408.02801 (2024).

    Examples
    --------
    >>> from skproj.datasets import make_mackey_glass
    >>> X, y = make_mackey_glass(500)
    >>> X.shape, y.shape
    ((500, 6), (500,))
    >>> bool(0.2 < y.min() < y.max() < 1.5)
    True
    """
    for name, value in (("dt", dt), ("sample_step", sample_step), ("tau", tau)):
        if not value > 0:
            raise ValueError(f"{name} must be positive; got {value!r}.")
    delay = _steps_of(tau, dt, "tau")
    stride = _steps_of(sample_step, dt, "sample_step")
    for name, value in (("n_samples", n_samples), ("n_lags", n_lags), ("horizon", horizon)):
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive int; got {value!r}.")
    rng = check_random_state(random_state)
    n_points = n_samples + n_lags - 1 + horizon
    skip = int(round(n_transient / dt))
    series = _integrate_mackey_glass(
        skip + (n_points - 1) * stride + 1, delay, dt, beta, gamma, power,
        1.2 + 0.1 * rng.uniform(size=delay + 1))
    samples = series[skip::stride][:n_points]
    windows = np.lib.stride_tricks.sliding_window_view(samples, n_lags)
    X = np.ascontiguousarray(windows[:n_samples])
    y = samples[n_lags - 1 + horizon:][:n_samples].copy()
    if noise:
        y += noise * rng.standard_normal(n_samples)
    return X, y


def _steps_of(duration, dt, name):
    steps = int(round(duration / dt))
    if steps < 1 or not np.isclose(steps * dt, duration):
        raise ValueError(f"{name} must be a positive multiple of dt={dt}; got {duration!r}.")
    return steps


def _integrate_mackey_glass(n_steps, delay, dt, beta, gamma, power, history):
    """``n_steps`` values of the series after its history (RK4, step ``dt``).

    ``history`` holds the ``delay + 1`` values on [-tau, 0]; the delayed
    value at a half step is the mean of its two neighbours on the grid.
    """
    # Python floats: the recursion is sequential, and scalar NumPy arithmetic
    # would be several times slower.
    x = [float(value) for value in history] + [0.0] * (n_steps - 1)

    def rate(value, delayed):
        return beta * delayed / (1.0 + delayed ** power) - gamma * value

    for i in range(delay, delay + n_steps - 1):
        lagged, lagged_next = x[i - delay], x[i - delay + 1]
        lagged_half = 0.5 * (lagged + lagged_next)
        k1 = rate(x[i], lagged)
        k2 = rate(x[i] + 0.5 * dt * k1, lagged_half)
        k3 = rate(x[i] + 0.5 * dt * k2, lagged_half)
        k4 = rate(x[i] + dt * k3, lagged_next)
        x[i + 1] = x[i] + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return np.array(x[delay:])
