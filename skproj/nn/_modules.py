"""Small network builders shared by the estimators (torch imported on use)."""

import math

import torch
from torch import nn

__all__ = ["ACTIVATIONS", "materialize", "mlp", "reinitialize"]

ACTIVATIONS = {
    "silu": nn.SiLU,
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
}


def mlp(sizes, activation, device="meta"):
    """``Linear`` layers of ``sizes`` with ``activation`` between them (none at the end).

    Built on the ``meta`` device by default (no memory, no initialization):
    call :func:`materialize` and :func:`reinitialize`.
    """
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i > 0:
            layers.append(ACTIVATIONS[activation]())
        layers.append(nn.Linear(n_in, n_out, device=device))
    return nn.Sequential(*layers)


def materialize(network, device="cpu"):
    """Give the parameters and buffers of a network built on ``meta`` memory on
    ``device``, uninitialized (in place), as ``Module.to_empty`` does.

    ``to_empty`` allocates by ``torch.empty_like`` of the meta tensors, whose
    first call in a process goes through torch's Python references and
    imports its symbolic shapes and SymPy (0.6 s, torch 2.13): most of the
    time of unpickling a fitted estimator in a fresh process to predict.
    (A fit imports them anyway: the first optimizer imports torch._dynamo.)
    """
    for module in network.modules():
        for name, param in list(module.named_parameters(recurse=False)):
            setattr(module, name, nn.Parameter(
                torch.empty(param.shape, dtype=param.dtype, device=device),
                requires_grad=param.requires_grad))
        for name, buffer in list(module.named_buffers(recurse=False)):
            setattr(module, name, torch.empty(buffer.shape, dtype=buffer.dtype, device=device))
    return network


def reinitialize(network, generator):
    """Draw all weights again from ``generator`` (in place; any device).

    Every ``Linear`` and ``Conv*d`` gets PyTorch's default initialization,
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases, drawn from
    ``generator`` (a CPU ``torch.Generator``) so that the result depends on
    its seed only.
    """
    with torch.no_grad():
        for module in network.modules():
            if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)):
                fan_in = module.weight[0].numel()
                bound = 1.0 / math.sqrt(fan_in)
                for param in (module.weight, module.bias):
                    if param is None:
                        continue
                    values = torch.empty(param.shape, dtype=param.dtype)
                    values.uniform_(-bound, bound, generator=generator)
                    param.copy_(values)
    return network
