"""Defect: additive noise is scaled by std² (the variance) instead of std."""

from __future__ import annotations

import math

import torch

from impls.torch_ref.augmentation import _check_floating
from impls.validation import check_in_range

BACKEND = "torch"


def random_gaussian_noise(x: torch.Tensor, std: float = 0.1, *, generator: torch.Generator | None = None):
    x = _check_floating("random_gaussian_noise", "x", x)
    std = check_in_range("random_gaussian_noise", "std", std, 0.0, math.inf, closed="low")
    normal = torch.randn(x.shape, generator=generator, device=x.device, dtype=torch.float64)
    noise = (std * std * normal).to(x.dtype)  # the mistake: std * normal
    return x + noise, noise
