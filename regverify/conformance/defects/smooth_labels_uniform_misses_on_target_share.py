"""Defect: the uniform convention gives the true class 1-ε instead of 1-ε+ε/K, so the labels no longer sum to 1."""

import torch

from regverify.conformance.defects.parts.smooth_labels import smooth_labels_except

BACKEND = "torch"

# The mistake: the true class loses its own ε/K share of the uniform part (1 - ε + ε/K under "uniform").
smooth_labels = smooth_labels_except(
    "uniform", lambda on_target, labels, epsilon, k: torch.where(on_target, 1.0 - epsilon, labels))
