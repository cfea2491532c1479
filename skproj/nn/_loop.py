"""A plain mini-batch training loop that drives the schedules (callbacks).

The estimators of :mod:`skproj.neural_network` and the benchmarks train with
it; any other loop (skorch's, Lightning's, your own) can drive the same
callbacks instead.
"""

__all__ = ["batch_rows", "run_epochs"]


def batch_rows(X, index, device):
    """Rows ``index`` of ``X`` as a dense tensor on ``device``.

    A ``scipy.sparse`` ``X`` (CSR, for fast row slicing) is densified here,
    one mini-batch at a time, so that a fit never holds the whole matrix
    densified; its rows keep ``X``'s dtype (make it float32 for torch's
    default).  A tensor ``X`` is simply indexed.

    Parameters
    ----------
    X : torch.Tensor or scipy.sparse matrix or array
        All the samples.
    index : torch.Tensor of int64
        The rows wanted (on any device).
    device : str or torch.device
        Where the rows go.

    Returns
    -------
    rows : torch.Tensor of shape (len(index), n_features)
    """
    import torch

    if isinstance(X, torch.Tensor):
        return X[index.to(X.device)].to(device)
    rows = X[index.cpu().numpy()].toarray()
    return torch.from_numpy(rows).to(device)


def run_epochs(network, optimizer, loss_fn, X, y, *, n_epochs, batch_size, generator,
               callbacks=None, on_epoch=None):
    """Train ``network`` in place for ``n_epochs`` epochs of shuffled mini-batches.

    Parameters
    ----------
    network : torch.nn.Module
        Trained in place (put in train mode).
    optimizer : torch.optim.Optimizer
        Steps the network's parameters.
    loss_fn : callable
        ``loss_fn(network(xb), yb)`` is the scalar loss of a mini-batch.
    X : torch.Tensor or scipy.sparse matrix or array
        All the training samples, on the network's device; a sparse ``X`` (CSR,
        float32) stays on the CPU and is densified one mini-batch at a time
        (:func:`batch_rows`).
    y : torch.Tensor
        All the targets, on the network's device.
    n_epochs : int
        Number of epochs (0 trains nothing).
    batch_size : int
        Mini-batch size; the last batch of an epoch may be smaller.
    generator : torch.Generator
        A CPU generator that draws the order of the samples in every epoch.
    callbacks : skproj.nn.Callback, optional
        Its hooks are called around the epochs and after every optimizer step
        (a :class:`~skproj.nn.CallbackList` for several).
    on_epoch : callable, optional
        ``on_epoch(epoch, mean_loss)`` after every epoch (after the callbacks'
        ``on_epoch_end``); returning True stops the training.

    Returns
    -------
    n_done : int
        Epochs run.
    """
    import torch

    n_samples = X.shape[0]
    device = y.device
    if callbacks is not None:
        callbacks.on_train_begin(network)
    n_done = 0
    for epoch in range(n_epochs):
        network.train()
        order = torch.randperm(n_samples, generator=generator).to(device)
        total = torch.zeros((), dtype=torch.float64, device=device)
        for begin in range(0, n_samples, batch_size):
            index = order[begin:begin + batch_size]
            loss = loss_fn(network(batch_rows(X, index, device)), y[index])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if callbacks is not None:
                callbacks.on_step_end(network)
            total += loss.detach().double() * len(index)
        n_done += 1
        if callbacks is not None:
            callbacks.on_epoch_end(network)
        if on_epoch is not None and on_epoch(epoch, float(total) / n_samples):
            break
    if callbacks is not None:
        callbacks.on_train_end(network)
    return n_done
