"""Defect: multiplicative noise of the right mean 1 and variance p/(1-p), but Laplace-distributed (a "cheaper"
inverse-CDF draw from one uniform) instead of Gaussian."""
from __future__ import annotations

import math

import torch

from impls.torch_ref import noise as reference

BACKEND = "torch"


def gaussian_dropout(x: torch.Tensor, p: float = 0.5, *, training: bool = True, generator: torch.Generator | None = None):
    if not training or p == 0.0:
        return reference.gaussian_dropout(x, p, training=training, generator=generator)
    reference.gaussian_dropout(x[:0], p)  # the reference's parameter checks
    u = torch.rand(x.shape, generator=generator, device=x.device, dtype=torch.float64) - 0.5
    scale = math.sqrt(p / (1.0 - p)) / math.sqrt(2.0)  # Laplace(b) has variance 2b²: the variance is right
    laplace = -scale * torch.sign(u) * torch.log1p(-2.0 * u.abs())  # the mistake: not a normal draw
    noise = (1.0 + laplace).to(x.dtype)
    return x * noise, noise
