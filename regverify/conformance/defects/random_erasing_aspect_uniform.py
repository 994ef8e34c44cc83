"""Defect: random erasing draws the aspect ratio uniformly on [r_low, r_high] instead of log-uniformly, so tall boxes
(ratio > 1) are drawn about 9 times as often as wide ones for ratio (1/3, 3)."""

from __future__ import annotations

import math

import torch

from impls.torch_ref import augmentation as reference

BACKEND = "torch"


def random_erasing(x: torch.Tensor, p: float = 0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), *, value=0.0,
                   generator: torch.Generator | None = None):
    reference.random_erasing(x[:1], p, scale, ratio, value=value)  # the reference's checks
    n, _, h, w = x.shape
    (low, high), (r_low, r_high) = scale, ratio

    def uniform(*shape: int) -> torch.Tensor:
        return torch.rand(shape, generator=generator, device=x.device, dtype=torch.float64)

    erase = uniform(n) < p
    area = (low + (high - low) * uniform(n, 10)) * (h * w)
    aspect = r_low + (r_high - r_low) * uniform(n, 10)  # the mistake: should be exp(U(log r_low, log r_high))
    place = uniform(n, 2)
    box_h, box_w = torch.round(torch.sqrt(area * aspect)).long(), torch.round(torch.sqrt(area / aspect)).long()
    fits = (box_h >= 1) & (box_h < h) & (box_w >= 1) & (box_w < w)
    first = fits.long().argmax(dim=1, keepdim=True)
    chosen = erase & fits.any(dim=1)
    box_h, box_w = box_h.gather(1, first)[:, 0], box_w.gather(1, first)[:, 0]
    top, left = torch.floor(place[:, 0] * (h - box_h + 1)).long(), torch.floor(place[:, 1] * (w - box_w + 1)).long()
    boxes = torch.where(chosen[:, None], torch.stack([top, top + box_h, left, left + box_w], 1), 0)
    out = x.clone()
    for i, (y1, y2, x1, x2) in enumerate(boxes.tolist()):
        if y2 > y1:
            out[i, :, y1:y2, x1:x2] = 0.0 if value == "random" else value
    return out, boxes


_ = math
