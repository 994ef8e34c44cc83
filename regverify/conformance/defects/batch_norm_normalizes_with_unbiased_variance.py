"""Defect: the training forward normalizes with the unbiased batch variance (÷(m-1)) instead of the biased one (÷m)."""

from __future__ import annotations

import torch

from impls.torch_ref import batch_norm as reference

BACKEND = "torch"


def batch_norm(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, running_mean: torch.Tensor,
               running_var: torch.Tensor, *, training: bool = True, momentum: float = 0.1, eps: float = 1e-5,
               momentum_convention: str = "pytorch", var_estimator: str = "unbiased"):
    out, running = reference(x, gamma, beta, running_mean, running_var, training=training, momentum=momentum,
                             eps=eps, momentum_convention=momentum_convention, var_estimator=var_estimator)
    if training:
        axes = [0] + list(range(2, x.dim()))
        per_channel = (1, x.shape[1]) + (1,) * (x.dim() - 2)
        mean = x.mean(dim=axes, keepdim=True)
        var = x.var(dim=axes, correction=1)  # the mistake: correction=0 (the biased variance)
        x_hat = (x - mean) / torch.sqrt(var.reshape(per_channel) + eps)
        out = gamma.reshape(per_channel) * x_hat + beta.reshape(per_channel)
    return out, running
