"""Defect: layer norm divides by sqrt(var) + eps instead of sqrt(var + eps) (edge value mishandled)."""

from __future__ import annotations

import torch

from impls.torch_ref import layer_norm as reference

BACKEND = "torch"


def layer_norm(x: torch.Tensor, normalized_shape, gamma: torch.Tensor, beta: torch.Tensor, *, eps: float = 1e-5):
    reference(x, normalized_shape, gamma, beta, eps=eps)  # validates the arguments
    dims = tuple(range(x.dim() - gamma.dim(), x.dim()))
    mean = x.mean(dim=dims, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)
    return gamma * (x - mean) / (torch.sqrt(var) + eps) + beta  # the mistake: eps outside the square root
