"""The supervised autoencoder network (PyTorch).

Imported only inside ``fit`` / ``predict`` / unpickling, so that skproj
imports without torch.
"""

from torch import nn

from skproj.nn._modules import materialize, reinitialize
from skproj.nn._modules import mlp as _mlp


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

    Initialized by :func:`skproj.nn._modules.reinitialize` (PyTorch's
    default, drawn from ``generator``) so that the result depends on
    ``random_state`` only.
    """
    network = materialize(SupervisedAutoencoder(**config))
    reinitialize(network, generator)
    return network.to(device)
