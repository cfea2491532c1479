"""The callback protocol of the training schedules.

A schedule (project every k steps, project once then freeze, rounds with a
shrinking radius, the proximal l1 step) is a :class:`Callback`: an object
whose methods a training loop calls at fixed points.  Any loop can drive
them, a hand-written one or skorch's ``NeuralNet`` (see
:class:`SkorchCallback`), so a schedule is written once.

A hand-written loop::

    callbacks = CallbackList([ProjectEvery(model, 10), ...])
    callbacks.on_train_begin(model)
    for epoch in range(n_epochs):
        for xb, yb in loader:
            ...
            optimizer.step()
            callbacks.on_step_end(model)
        callbacks.on_epoch_end(model)
    callbacks.on_train_end(model)
"""

__all__ = ["Callback", "CallbackList"]


def copy_weights(module):
    """A copy of ``module``'s state (its ``state_dict``, detached) to restore later.

    For the callbacks that keep the weights of their best epoch
    (``BestWeights``, ``ClosestToTarget``) and put them back at the end.
    """
    return {name: value.detach().clone() for name, value in module.state_dict().items()}


class Callback:
    """Base class of the schedules: every hook does nothing by default.

    Subclasses override the hooks they need.  Each hook receives the
    ``torch.nn.Module`` being trained; a callback keeps its own counters
    (steps, epochs) so that it does not depend on the loop's bookkeeping.
    """

    def on_train_begin(self, module):
        """Called once before the first optimizer step."""

    def on_step_end(self, module):
        """Called after every optimizer step (after ``optimizer.step()``)."""

    def on_epoch_end(self, module):
        """Called at the end of every epoch."""

    def on_train_end(self, module):
        """Called once after the last epoch."""


class CallbackList(Callback):
    """Several callbacks called in order, as one.

    Parameters
    ----------
    callbacks : iterable of Callback
        Called in this order at every hook.
    """

    def __init__(self, callbacks=()):
        self.callbacks = list(callbacks)

    def on_train_begin(self, module):
        for callback in self.callbacks:
            callback.on_train_begin(module)

    def on_step_end(self, module):
        for callback in self.callbacks:
            callback.on_step_end(module)

    def on_epoch_end(self, module):
        for callback in self.callbacks:
            callback.on_epoch_end(module)

    def on_train_end(self, module):
        for callback in self.callbacks:
            callback.on_train_end(module)
