"""Defect: layer norm takes its statistics over the batch axis (batch-norm axes) instead of each sample's features."""

from __future__ import annotations

import torch

from impls.torch_ref import layer_norm as reference

BACKEND = "torch"


def layer_norm(x: torch.Tensor, normalized_shape, gamma: torch.Tensor, beta: torch.Tensor, *, eps: float = 1e-5):
    reference(x, normalized_shape, gamma, beta, eps=eps)  # validates the arguments
    mean = x.mean(dim=0, keepdim=True)  # the mistake: dim = the trailing normalized axes
    var = ((x - mean) ** 2).mean(dim=0, keepdim=True)
    return gamma * (x - mean) / torch.sqrt(var + eps) + beta
