"""Defect: the smoothed cross-entropy drops epsilon and computes the plain cross-entropy (option ignored)."""

from __future__ import annotations

import torch

from impls.torch_ref import label_smoothing_cross_entropy as reference
from impls.validation import check_probability

BACKEND = "torch"


def label_smoothing_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, epsilon: float, *,
                                  convention: str = "uniform", reduction: str = "mean",
                                  weight: torch.Tensor | None = None, ignore_index: int = -100) -> torch.Tensor:
    check_probability("label_smoothing_cross_entropy", "epsilon", epsilon)
    return reference(logits, targets, 0.0, convention=convention, reduction=reduction, weight=weight,
                     ignore_index=ignore_index)  # the mistake: epsilon=0.0
