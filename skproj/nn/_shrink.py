"""Physically smaller models: remove pruned inputs, neurons and channels; per-layer reports."""

import copy

__all__ = ["shrink", "sparsity_report"]

# Modules that act entry by entry (or channel by channel) and keep the
# channel layout: a removed channel is removed through them.
_PASS_THROUGH = ("ReLU", "SiLU", "GELU", "Tanh", "Sigmoid", "LeakyReLU", "ELU", "Identity",
                 "Dropout", "Dropout1d", "Dropout2d", "Softplus", "Mish", "Hardtanh",
                 "MaxPool1d", "MaxPool2d")


def _torch():
    import torch

    return torch


def _is_layer(module):
    nn = _torch().nn
    return isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d))


def _dead_outputs(layer):
    """Output units / filters whose weights are all zero."""
    weight = layer.weight.detach()
    return ~(weight.reshape(weight.shape[0], -1) != 0).any(dim=1)


def _unused_inputs(layer):
    """Input features / channels whose weights are all zero."""
    weight = layer.weight.detach().transpose(0, 1)
    return ~(weight.reshape(weight.shape[0], -1) != 0).any(dim=1)


def _constant_output(layer, dead, between):
    """What the dead units emit: the layer's bias passed through the modules between."""
    torch = _torch()
    value = (layer.bias.detach()[dead] if layer.bias is not None
             else torch.zeros(int(dead.sum()), device=layer.weight.device))
    with torch.no_grad():
        for module in between:
            if type(module).__name__ in ("MaxPool1d", "MaxPool2d", "Dropout", "Dropout1d",
                                         "Dropout2d", "Identity"):
                continue  # the constant goes through unchanged (eval mode for dropout)
            value = module(value)
    return value


def _slice_layer(layer, keep_out=None, keep_in=None):
    """A copy of ``layer`` keeping the given output and input units."""
    torch = _torch()
    nn = torch.nn
    weight = layer.weight.detach()
    if keep_out is not None:
        weight = weight[keep_out]
    if keep_in is not None:
        weight = weight[:, keep_in]
    bias = layer.bias.detach()[keep_out] if (layer.bias is not None and keep_out is not None) \
        else (None if layer.bias is None else layer.bias.detach())
    if isinstance(layer, nn.Linear):
        new = nn.Linear(weight.shape[1], weight.shape[0], bias=bias is not None,
                        device=weight.device, dtype=weight.dtype)
    else:
        new = type(layer)(weight.shape[1], weight.shape[0], layer.kernel_size,
                          stride=layer.stride, padding=layer.padding, dilation=layer.dilation,
                          groups=1, bias=bias is not None, padding_mode=layer.padding_mode,
                          device=weight.device, dtype=weight.dtype)
    with torch.no_grad():
        new.weight.copy_(weight)
        if bias is not None:
            new.bias.copy_(bias)
    return new


def shrink(model, *, inputs=True):
    """Remove the pruned input features, neurons and channels of a sequential model.

    Works on a ``torch.nn.Sequential`` of ``Linear``, ``Conv1d`` and
    ``Conv2d`` layers with element-wise activations, dropout, max pooling and
    ``Flatten`` between them.  A unit is removed when its weights are all
    zero (a pruned neuron or filter) or when the next layer no longer reads
    it (a pruned input of the next layer).  A pruned neuron still emits its
    bias through the activation, a constant: it is folded into the next
    layer's bias, so the smaller model computes the same function.  Masks and
    hooks of :func:`~skproj.nn.constrain` are not carried over (the new
    layers are plain, with no zero left to keep).

    Parameters
    ----------
    model : torch.nn.Sequential
        The pruned model (unchanged).
    inputs : bool, default=True
        Also remove the input features the first layer no longer reads; the
        smaller model then takes ``X[:, kept_inputs]``.

    Returns
    -------
    small : torch.nn.Sequential
        The smaller model, in eval mode.
    kept_inputs : torch.Tensor of int64
        Indices of the input features (or channels) the smaller model reads.

    Raises
    ------
    TypeError
        For a model that is not a ``Sequential`` of the supported modules.

    Examples
    --------
    >>> import torch
    >>> from skproj.nn import shrink
    >>> model = torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    >>> with torch.no_grad():
    ...     model[0].weight[:, :3] = 0                     # three input features pruned
    >>> small, kept = shrink(model)
    >>> small[0].weight.shape, kept.tolist()
    (torch.Size([4, 3]), [3, 4, 5])
    """
    torch = _torch()
    nn = torch.nn
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"shrink needs a torch.nn.Sequential, got {type(model).__name__}.")
    modules = [copy.deepcopy(module) for module in model]
    for module in modules:
        if not (_is_layer(module) or isinstance(module, nn.Flatten)
                or type(module).__name__ in _PASS_THROUGH):
            raise TypeError(f"shrink does not know how units flow through "
                            f"{type(module).__name__}; supported between layers: "
                            f"{', '.join(_PASS_THROUGH)}, Flatten.")
    layers = [i for i, module in enumerate(modules) if _is_layer(module)]
    if not layers:
        raise TypeError("shrink found no Linear or Conv layer in the model.")
    first = modules[layers[0]]
    kept_inputs = (torch.nonzero(~_unused_inputs(first)).flatten() if inputs
                   else torch.arange(first.weight.shape[1]))
    modules[layers[0]] = _slice_layer(first, keep_in=kept_inputs)

    for current, following in zip(layers[:-1], layers[1:]):
        layer, nxt = modules[current], modules[following]
        between = modules[current + 1:following]
        flattens = any(isinstance(module, nn.Flatten) for module in between)
        n_units = layer.weight.shape[0]
        per_unit = nxt.weight.shape[1] // n_units if flattens else 1
        unused = _unused_inputs(nxt)
        if per_unit > 1:  # a channel feeds per_unit consecutive features
            unused = unused.reshape(n_units, per_unit).all(dim=1)
        dead = _dead_outputs(layer)
        folded = dead & ~unused
        if folded.any():
            # A dead unit still emits a constant; fold it into the next layer's
            # bias where that is exact (a Linear, or a convolution without
            # padding, whose borders would otherwise see zeros instead).
            constant = torch.zeros(n_units, dtype=layer.weight.dtype, device=layer.weight.device)
            constant[folded] = _constant_output(layer, folded, between)
            exact = nxt.bias is not None and (isinstance(nxt, nn.Linear)
                                              or all(p == 0 for p in nxt.padding))
            if exact:
                columns = nxt.weight.detach().reshape(nxt.weight.shape[0], n_units, per_unit, -1)
                contribution = (columns * constant.reshape(1, -1, 1, 1)).sum(dim=(1, 2, 3))
                with torch.no_grad():
                    nxt.bias.add_(contribution)
            else:  # keep the dead units whose constant is not zero
                dead = dead & (constant == 0)
        keep = ~(dead | unused)
        keep_in = keep.repeat_interleave(per_unit) if per_unit > 1 else keep
        modules[current] = _slice_layer(layer, keep_out=keep)
        modules[following] = _slice_layer(nxt, keep_in=keep_in)
    small = nn.Sequential(*modules)
    small.eval()
    return small, kept_inputs


def sparsity_report(model):
    """Per-layer report of the groups and weights kept.

    Parameters
    ----------
    model : torch.nn.Module
        Every ``Linear`` and ``Conv`` layer is reported; a layer with a
        constraint attached reports its own groups, the others their input
        features/channels.

    Returns
    -------
    rows : list of dict
        One per layer: ``layer`` (its name), ``groups`` and ``groups_kept``,
        ``weights`` and ``weights_kept`` (non-zero), ``saved`` (share of its
        weights that are zero).  ``format_report(rows)`` prints them.
    """
    rows = []
    for name, module in model.named_modules():
        if not _is_layer(module):
            continue
        attached = module.__dict__.get("_skproj_constraints", {}).get("weight")
        if attached is not None:
            support = attached.support()
            groups, kept = int(support.numel()), int(support.sum())
        else:
            unused = _unused_inputs(module)
            groups, kept = int(unused.numel()), int((~unused).sum())
        weight = module.weight.detach()
        nonzero = int((weight != 0).sum())
        rows.append({"layer": name or type(module).__name__, "groups": groups,
                     "groups_kept": kept, "weights": weight.numel(), "weights_kept": nonzero,
                     "saved": 1.0 - nonzero / max(weight.numel(), 1)})
    return rows


def format_report(rows):
    """The rows of :func:`sparsity_report` as an aligned text table."""
    header = ("layer", "groups kept", "weights kept", "saved")
    lines = [(row["layer"], f"{row['groups_kept']}/{row['groups']}",
              f"{row['weights_kept']}/{row['weights']}", f"{100 * row['saved']:.1f} %")
             for row in rows]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *lines)]
    return "\n".join("  ".join(str(cell).rjust(width) for cell, width in zip(line, widths))
                     for line in [header, *lines])
