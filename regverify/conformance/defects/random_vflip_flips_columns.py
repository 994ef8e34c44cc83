"""Defect: the vertical flip mirrors the width axis (dims=[3]) instead of the height axis."""
from __future__ import annotations

import torch

from impls.torch_ref import augmentation as reference

BACKEND = "torch"


def random_vflip(x: torch.Tensor, p: float = 0.5, *, generator: torch.Generator | None = None):
    return reference.random_hflip(x, p, generator=generator)  # the mistake: the horizontal axis
