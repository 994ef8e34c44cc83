"""Defect: the zoom range is read as symmetric about 1, factors = 1 + (high - 1)·(2u - 1): right for (0.8, 1.2),
wrong for any range not centred on 1 (e.g. (1.0, 1.5) also shrinks images)."""

from __future__ import annotations

import torch

from impls.torch_ref import augmentation as reference

BACKEND = "torch"


def random_scale(x: torch.Tensor, scale=(0.8, 1.2), *, interpolation: str = "nearest", fill: float = 0.0,
                 generator: torch.Generator | None = None):
    reference.random_scale(x[:1], scale, interpolation=interpolation, fill=fill)  # the reference's checks
    high = float(scale[1])
    u = torch.rand(x.shape[0], generator=generator, device=x.device, dtype=torch.float64)
    factors = 1.0 + (high - 1.0) * (2.0 * u - 1.0)  # the mistake: assumes low = 2 - high
    matrices = torch.zeros(x.shape[0], 2, 2, dtype=torch.float64, device=x.device)
    matrices[:, 0, 0] = matrices[:, 1, 1] = 1.0 / factors
    out = reference._inverse_map(x, matrices, interpolation, fill)
    return out, factors
