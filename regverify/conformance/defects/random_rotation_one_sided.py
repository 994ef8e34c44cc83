"""Defect: random rotation angles drawn from Uniform[0, degrees] instead of Uniform[-degrees, degrees]."""
from __future__ import annotations

import torch

from impls.torch_ref import augmentation as reference

BACKEND = "torch"


def random_rotation(x: torch.Tensor, degrees: float, *, interpolation: str = "nearest", fill: float = 0.0,
                    generator: torch.Generator | None = None):
    reference.random_rotation(x[:1], degrees, interpolation=interpolation, fill=fill)  # the reference's checks
    angles = degrees * torch.rand(x.shape[0], generator=generator, device=x.device, dtype=torch.float64)  # the mistake
    out = reference._inverse_map(x, reference._rotation_matrices(angles), interpolation, fill)
    return out, angles
