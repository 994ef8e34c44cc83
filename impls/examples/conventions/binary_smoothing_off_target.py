"""Binary label smoothing by the off-target rule at K = 2: 1 → 1 − ε, 0 → ε, i.e. y(1 − 2ε) + ε."""

import torch.nn.functional as F

BACKEND = "torch"
BINARY_LABEL_SMOOTHING_CROSS_ENTROPY_CONVENTIONS = {"smoothing": ("off_target",)}


def binary_label_smoothing_cross_entropy(logits, targets, epsilon, *, convention="off_target", reduction="mean"):
    if convention != "off_target":
        raise ValueError(f"binary_label_smoothing_cross_entropy: convention must be 'off_target', got {convention!r}")
    return F.binary_cross_entropy_with_logits(logits, targets * (1 - 2 * epsilon) + epsilon, reduction=reduction)
