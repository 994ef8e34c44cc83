"""Defect: the off_target convention spreads ε/K on each wrong class instead of ε/(K-1) (wrong denominator)."""

from __future__ import annotations

import torch

from impls.torch_ref import smooth_labels as reference

BACKEND = "torch"


def smooth_labels(targets: torch.Tensor, num_classes: int, epsilon: float, *, convention: str = "uniform",
                  dtype: torch.dtype | None = None) -> torch.Tensor:
    out = reference(targets, num_classes, epsilon, convention=convention, dtype=dtype)
    if convention != "off_target":
        return out
    onehot = torch.arange(num_classes, device=targets.device) == targets.unsqueeze(-1)
    off = torch.tensor(epsilon / num_classes, dtype=out.dtype, device=out.device)  # the mistake: ε/(K-1)
    return torch.where(onehot, out, off)
