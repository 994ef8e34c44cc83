"""Defect: the smoothed cross-entropy returns +Σ q log softmax(z) (the minus sign is lost), so minimizing it moves away from the target."""

from __future__ import annotations

import torch

from impls.torch_ref import label_smoothing_cross_entropy as reference

BACKEND = "torch"


def label_smoothing_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, epsilon: float, *,
                                  convention: str = "uniform", reduction: str = "mean",
                                  weight: torch.Tensor | None = None, ignore_index: int = -100) -> torch.Tensor:
    return -reference(logits, targets, epsilon, convention=convention, reduction=reduction, weight=weight,
                      ignore_index=ignore_index)  # the mistake: the sign
