"""Defect: the uniform convention gives the true class 1-ε instead of 1-ε+ε/K, so the labels no longer sum to 1."""

from __future__ import annotations

import torch

from impls.torch_ref import smooth_labels as reference

BACKEND = "torch"


def smooth_labels(targets: torch.Tensor, num_classes: int, epsilon: float, *, convention: str = "uniform",
                  dtype: torch.dtype | None = None) -> torch.Tensor:
    out = reference(targets, num_classes, epsilon, convention=convention, dtype=dtype)
    if convention != "uniform":
        return out
    onehot = torch.arange(num_classes, device=targets.device) == targets.unsqueeze(-1)
    on = torch.tensor(1.0 - epsilon, dtype=out.dtype, device=out.device)  # the mistake: 1 - ε + ε/K
    return torch.where(onehot, on, out)
