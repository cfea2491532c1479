"""Early stopping on a validation loss, keeping the best weights seen."""

from skproj.nn._callbacks import copy_weights

__all__ = ["BestWeights"]


class BestWeights:
    """Track a validation loss epoch by epoch; keep the weights where it was lowest.

    The stopping rule of scikit-learn's MLPs with ``early_stopping=True``:
    stop when the validation loss has not fallen for ``n_iter_no_change``
    consecutive epochs; then :meth:`restore` puts back the weights of the
    lowest loss, so the training can only improve on where it started (as
    measured on the validation data).  Any strict decrease counts as an
    improvement.

    Parameters
    ----------
    network : torch.nn.Module
        The network being trained.  Its loss before training is the first
        entry of ``losses`` (the starting weights are a candidate).
    validation_loss : callable
        ``validation_loss(network)`` is the loss on the validation data, a
        float (computed without gradients).
    n_iter_no_change : int
        Epochs without a decrease before :meth:`__call__` asks to stop.

    Attributes
    ----------
    losses : list of float
        The validation loss before training, then after every epoch.
    best_epoch : int
        Epochs trained by the best weights (0: the starting weights).
    best_loss : float
        Their validation loss.

    Examples
    --------
    Pass it as :func:`skproj.nn.run_epochs`' ``on_epoch``, then restore:

    >>> import torch
    >>> from skproj.nn import run_epochs
    >>> from skproj.nn import BestWeights
    >>> torch.manual_seed(0) and None
    >>> net = torch.nn.Linear(3, 1)
    >>> X, y = torch.randn(40, 3), torch.randn(40, 1)
    >>> X_val, y_val = torch.randn(20, 3), torch.randn(20, 1)
    >>> def val_loss(net):
    ...     with torch.no_grad():
    ...         return float(torch.nn.functional.mse_loss(net(X_val), y_val))
    >>> stopper = BestWeights(net, val_loss, n_iter_no_change=5)
    >>> optimizer = torch.optim.SGD(net.parameters(), lr=0.1)
    >>> n_done = run_epochs(net, optimizer, torch.nn.functional.mse_loss, X, y, n_epochs=100,
    ...                     batch_size=8, generator=torch.Generator().manual_seed(0),
    ...                     on_epoch=stopper)
    >>> stopper.restore()
    >>> val_loss(net) == stopper.best_loss == min(stopper.losses)
    True
    """

    def __init__(self, network, validation_loss, n_iter_no_change):
        self.network = network
        self.validation_loss = validation_loss
        self.n_iter_no_change = n_iter_no_change
        self.losses = []
        self.best_epoch = 0
        self.best_loss = float("inf")
        self._best_state = None
        self._observe()

    def _observe(self):
        loss = float(self.validation_loss(self.network))
        self.losses.append(loss)
        if self._best_state is None or loss < self.best_loss:
            self.best_loss, self.best_epoch = loss, len(self.losses) - 1
            self._best_state = copy_weights(self.network)
        return loss

    def __call__(self, epoch=None, train_loss=None):
        """Record the validation loss after an epoch; True when it is time to stop."""
        self._observe()
        return len(self.losses) - 1 - self.best_epoch >= self.n_iter_no_change

    def restore(self):
        """Put the best weights back into the network."""
        self.network.load_state_dict(self._best_state)
