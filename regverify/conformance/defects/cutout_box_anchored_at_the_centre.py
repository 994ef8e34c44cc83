"""Defect: cutout's square starts at the sampled centre pixel instead of being centred on it."""
from __future__ import annotations

import torch

from impls.torch_ref import augmentation as reference

BACKEND = "torch"


def cutout(x: torch.Tensor, size: int, *, value=0.0, generator: torch.Generator | None = None):
    reference.cutout(x[:1], size, value=value)  # the reference's checks
    n, _, h, w = x.shape
    centre_y = torch.randint(0, h, (n,), generator=generator, device=x.device)
    centre_x = torch.randint(0, w, (n,), generator=generator, device=x.device)
    boxes = torch.stack([centre_y, (centre_y + size).clamp(0, h), centre_x, (centre_x + size).clamp(0, w)], 1)  # mistake
    out = x.clone()
    for i, (y1, y2, x1, x2) in enumerate(boxes.tolist()):
        out[i, :, y1:y2, x1:x2] = 0.0 if value == "random" else value
    return out, boxes
