"""Defect: eval mode still normalizes with the batch's statistics (forgotten mode switch); running statistics are returned unchanged."""

from __future__ import annotations

import torch

from impls.torch_ref import batch_norm as reference

BACKEND = "torch"


def batch_norm(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, running_mean: torch.Tensor,
               running_var: torch.Tensor, *, training: bool = True, momentum: float = 0.1, eps: float = 1e-5,
               momentum_convention: str = "pytorch", var_estimator: str = "unbiased"):
    out, running = reference(x, gamma, beta, running_mean, running_var, training=training, momentum=momentum,
                             eps=eps, momentum_convention=momentum_convention, var_estimator=var_estimator)
    if not training and x.shape[0] * x[0, 0].numel() > 1:
        # The mistake: the training branch's normalization in eval (batch mean and variance).
        out, _ = reference(x, gamma, beta, running_mean, running_var, training=True, momentum=momentum, eps=eps,
                           momentum_convention=momentum_convention, var_estimator=var_estimator)
    return out, running
