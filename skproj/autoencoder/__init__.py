"""The sparse supervised autoencoder (PyTorch inside; torch is imported on use)."""

from skproj.autoencoder._sae import SparseSupervisedAutoencoder

__all__ = ["SparseSupervisedAutoencoder"]
