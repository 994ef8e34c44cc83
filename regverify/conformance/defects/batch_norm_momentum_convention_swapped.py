"""Defect: the running statistics use the Keras momentum convention (keep `momentum` of the old value) whatever momentum_convention says."""

from __future__ import annotations

import torch

from impls.torch_ref import batch_norm as reference

BACKEND = "torch"


def batch_norm(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, running_mean: torch.Tensor,
               running_var: torch.Tensor, *, training: bool = True, momentum: float = 0.1, eps: float = 1e-5,
               momentum_convention: str = "pytorch", var_estimator: str = "unbiased"):
    # The mistake: r ← momentum·r + (1-momentum)·batch for the PyTorch convention too (and vice versa).
    swapped = {"pytorch": "keras", "keras": "pytorch"}.get(momentum_convention, momentum_convention)
    return reference(x, gamma, beta, running_mean, running_var, training=training, momentum=momentum, eps=eps,
                     momentum_convention=swapped, var_estimator=var_estimator)
