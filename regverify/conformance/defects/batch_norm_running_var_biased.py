"""Defect: the running variance is always updated with the biased batch variance; var_estimator is ignored."""

from __future__ import annotations

import torch

from impls.torch_ref import batch_norm as reference

BACKEND = "torch"


def batch_norm(x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, running_mean: torch.Tensor,
               running_var: torch.Tensor, *, training: bool = True, momentum: float = 0.1, eps: float = 1e-5,
               momentum_convention: str = "pytorch", var_estimator: str = "unbiased"):
    reference(x, gamma, beta, running_mean, running_var, training=training, momentum=momentum, eps=eps,
              momentum_convention=momentum_convention, var_estimator=var_estimator)  # validates the arguments
    # The mistake: var_estimator="biased" whatever the caller asked for (no m/(m-1) correction).
    return reference(x, gamma, beta, running_mean, running_var, training=training, momentum=momentum, eps=eps,
                     momentum_convention=momentum_convention, var_estimator="biased")
