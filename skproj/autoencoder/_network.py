"""The supervised autoencoder network (PyTorch).

Imported only inside ``fit`` / ``predict`` / unpickling, so that skproj
imports without torch.
"""

import math

import torch
from torch import nn

ACTIVATIONS = {
    "silu": nn.SiLU,
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
}


def _mlp(sizes, activation):
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        if i > 0:
            layers.append(ACTIVATIONS[activation]())
        layers.append(nn.Linear(n_in, n_out, device="meta"))
    return nn.Sequential(*layers)


class SupervisedAutoencoder(nn.Module):
    """Encoder d -> hidden... -> k (the latent code), decoder mirrored.

    The latent code has one unit per class and serves as the class logits.
    ``encoder[0].weight`` (shape ``(hidden[0], d)``) is the first layer, the
    one whose input-feature columns are projected.
    """

    def __init__(self, n_features, hidden_layer_sizes, n_latent, activation):
        super().__init__()
        sizes = [n_features, *hidden_layer_sizes, n_latent]
        self.config = dict(n_features=n_features, hidden_layer_sizes=tuple(hidden_layer_sizes),
                           n_latent=n_latent, activation=activation)
        self.encoder = _mlp(sizes, activation)
        self.decoder = _mlp(sizes[::-1], activation)

    @property
    def first_layer(self):
        return self.encoder[0]

    def forward(self, x):
        code = self.encoder(x)
        return code, self.decoder(code)


def build_network(config, device, generator):
    """A freshly initialized network on ``device``.

    Every ``Linear`` gets PyTorch's default initialization, U(-1/sqrt(fan_in),
    1/sqrt(fan_in)) for weights and biases, drawn from ``generator`` (a CPU
    ``torch.Generator``) so that the result depends on ``random_state`` only.
    """
    network = SupervisedAutoencoder(**config).to_empty(device="cpu")
    reinitialize(network, generator)
    return network.to(device)


def reinitialize(network, generator):
    """Draw all weights again from ``generator`` (in place; any device)."""
    with torch.no_grad():
        for module in network.modules():
            if isinstance(module, nn.Linear):
                bound = 1.0 / math.sqrt(module.in_features)
                for param in (module.weight, module.bias):
                    values = torch.empty(param.shape, dtype=param.dtype)
                    values.uniform_(-bound, bound, generator=generator)
                    param.copy_(values)
    return network
