# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Kernel for the exact Euclidean projection onto the l1,inf ball (placeholder)."""

from cython cimport floating


def l1inf_ball(const floating[:, :] y, floating[:, :] x, double eta,
               bint groups_are_rows, double[::1] mu):
    raise NotImplementedError
