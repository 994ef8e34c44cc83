"""Defect: additive noise with mean 0 and variance σ², but uniform on [-√3σ, √3σ] instead of N(0, σ²)."""
from __future__ import annotations

import math

import torch

from impls.torch_ref import noise as reference

BACKEND = "torch"


def gaussian_noise(x: torch.Tensor, sigma: float, *, training: bool = True, generator: torch.Generator | None = None):
    out, noise = reference.gaussian_noise(x, sigma, training=training, generator=generator)
    if not training or sigma == 0.0:
        return out, noise
    u = torch.rand(x.shape, generator=generator, device=x.device, dtype=torch.float64)
    noise = (math.sqrt(3.0) * sigma * (2.0 * u - 1.0)).to(x.dtype)  # the mistake: uniform, not normal
    return x + noise, noise
