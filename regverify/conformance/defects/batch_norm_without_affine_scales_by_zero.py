"""Defect: batch norm without affine parameters (affine=False) fills the missing weight with zeros_like instead of
ones_like, so every output is the bias (0): a default that no both-parameters test can see."""

from __future__ import annotations

import torch

from impls.torch_ref import normalization as reference

BACKEND = "torch"
OPTIONAL_AFFINE = ("batch_norm",)


def batch_norm(x: torch.Tensor, gamma, beta, running_mean, running_var, **keywords):
    if gamma is None and isinstance(x, torch.Tensor) and x.dim() >= 2:
        gamma = torch.zeros(x.shape[1], dtype=x.dtype, device=x.device)  # the mistake: ones
    return reference.batch_norm(x, gamma, beta, running_mean, running_var, **keywords)
