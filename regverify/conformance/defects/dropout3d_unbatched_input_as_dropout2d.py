"""Defect: a 4-D input to dropout3d is one unbatched volume (C, D, H, W), but is dispatched to the 2-D rule as if
it were (N, C, H, W): each (c, d) slice gets its own decision instead of each channel."""
from __future__ import annotations

import torch

from impls.torch_ref import noise as reference

BACKEND = "torch"


def dropout3d(x: torch.Tensor, p: float = 0.5, *, training: bool = True, generator: torch.Generator | None = None):
    if isinstance(x, torch.Tensor) and x.dim() == 4:
        return reference.dropout2d(x, p, training=training, generator=generator)  # the mistake: dispatch on ndim
    return reference.dropout3d(x, p, training=training, generator=generator)
