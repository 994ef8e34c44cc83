"""Defect: the returned mask is a second draw, not the mask that produced the output."""

from __future__ import annotations

import torch

from impls.torch_ref import dropout as reference

BACKEND = "torch"


def _own_keep_mask(x: torch.Tensor, p: float, generator: torch.Generator | None) -> torch.Tensor:
    # Drawn here, not through the reference's private helper: the defect must fail for its own mistake only.
    return torch.rand(x.shape, generator=generator, device=x.device, dtype=torch.float32) >= p


def dropout(x: torch.Tensor, p: float = 0.5, *, training: bool = True, generator: torch.Generator | None = None):
    out, mask = reference(x, p, training=training, generator=generator)
    if training and 0.0 < p:
        mask = _own_keep_mask(x, p, generator)  # the mistake: the mask is redrawn for the caller
    return out, mask
