"""Defect: smoothed cross-entropy with reduction='mean' divides by every target position, ignored ones included,
instead of by the targets that count (ignore_index × 'mean': each option alone is right)."""

from __future__ import annotations

import torch

from impls.torch_ref import noise as reference

BACKEND = "torch"


def label_smoothing_cross_entropy(logits, targets, epsilon, *, convention="uniform", reduction="mean", weight=None,
                                  ignore_index=-100):
    if reduction != "mean" or weight is not None or targets.is_floating_point():
        return reference.label_smoothing_cross_entropy(logits, targets, epsilon, convention=convention,
                                                       reduction=reduction, weight=weight, ignore_index=ignore_index)
    total = reference.label_smoothing_cross_entropy(logits, targets, epsilon, convention=convention, reduction="sum",
                                                    weight=None, ignore_index=ignore_index)
    return total / torch.tensor(float(targets.numel()), dtype=total.dtype)  # the mistake: count only targets kept
