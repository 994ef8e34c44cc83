"""Defect: a true convolution (kernel flipped in both axes) where deep-learning conv2d is a cross-correlation."""
from __future__ import annotations

import torch

from impls.torch_ref import augmentation as reference

BACKEND = "torch"


def conv2d(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    if isinstance(weight, torch.Tensor) and weight.dim() == 4:
        weight = weight.flip(2, 3)  # the mistake
    return reference.conv2d(x, weight)
