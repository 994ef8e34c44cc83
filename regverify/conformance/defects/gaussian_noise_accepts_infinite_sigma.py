"""Defect: Gaussian noise injection checks sigma >= 0 only, so sigma = inf is accepted and every output is ±inf."""

from __future__ import annotations

import math

import torch

from impls.torch_ref import noise as reference

BACKEND = "torch"


def gaussian_noise(x: torch.Tensor, sigma: float, *, training: bool = True, generator=None):
    if isinstance(sigma, float) and math.isinf(sigma) and sigma > 0 and training:  # the mistake: inf let through
        noise = (sigma * torch.randn(x.shape, generator=generator, dtype=torch.float64)).to(x.dtype)
        return x + noise, noise
    return reference.gaussian_noise(x, sigma, training=training, generator=generator)
