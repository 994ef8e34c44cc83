"""Defect: the off_target convention spreads ε/K on each wrong class instead of ε/(K-1) (wrong denominator)."""

import torch

from regverify.conformance.defects.parts.smooth_labels import smooth_labels_except

BACKEND = "torch"

# The mistake: each wrong class gets ε/K; off_target gives the ε to the K - 1 wrong classes alone, ε/(K-1) each.
smooth_labels = smooth_labels_except(
    "off_target", lambda on_target, labels, epsilon, k: torch.where(on_target, labels, epsilon / k))
