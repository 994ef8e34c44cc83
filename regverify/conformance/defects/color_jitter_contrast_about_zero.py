"""Defect: contrast jitter scales pixel values about 0 (x·c) instead of about the image's mean gray level."""
from __future__ import annotations

import torch

from impls.torch_ref import augmentation as reference

BACKEND = "torch"


def color_jitter(x: torch.Tensor, brightness: float = 0.0, contrast: float = 0.0, saturation: float = 0.0, *,
                 generator: torch.Generator | None = None):
    out, factors = reference.color_jitter(x, brightness, contrast, saturation, generator=generator)
    if contrast == 0.0 or saturation != 0.0:
        return out, factors
    bright, _ = reference.color_jitter(x, brightness, 0.0, 0.0, generator=None) if brightness == 0.0 else (None, None)
    if bright is None:
        return out, factors
    c = factors[:, 1].to(x.dtype).view(-1, 1, 1, 1)
    return (x * c).clamp(0.0, 1.0), factors  # the mistake: blend with 0 instead of the mean gray
