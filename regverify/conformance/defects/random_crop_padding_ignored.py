"""Defect: random crop accepts `padding` but never pads: offsets range over the unpadded image only."""
from __future__ import annotations

import torch

from impls.torch_ref import augmentation as reference

BACKEND = "torch"


def random_crop(x: torch.Tensor, size, padding: int = 0, *, generator: torch.Generator | None = None):
    if isinstance(padding, int) and padding > 0 and isinstance(x, torch.Tensor) and x.dim() == 4:
        reference.random_crop(x, size, padding)  # the reference's checks (size against the padded image)
        crop = (size, size) if isinstance(size, int) else tuple(size)
        if crop[0] <= x.shape[2] and crop[1] <= x.shape[3]:
            return reference.random_crop(x, size, 0, generator=generator)  # the mistake: padding dropped
    return reference.random_crop(x, size, padding, generator=generator)
