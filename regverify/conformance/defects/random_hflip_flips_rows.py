"""Defect: the horizontal flip mirrors along the height axis (dim 2) instead of the width axis (dim 3): wrong axis."""

from __future__ import annotations

import torch

from impls.torch_ref import random_hflip as reference

BACKEND = "torch"


def random_hflip(x: torch.Tensor, p: float = 0.5, *, generator: torch.Generator | None = None):
    _, flipped = reference(x, p, generator=generator)
    return torch.where(flipped[:, None, None, None], x.flip(2), x), flipped  # the mistake: x.flip(3)
