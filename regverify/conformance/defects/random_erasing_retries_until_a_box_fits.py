"""Defect: random erasing redraws area and aspect until a box fits, with no bound on the attempts: on an image with a
1-pixel side no box ever fits (a side must be ≥ 1 and < the image's), and the call never returns."""

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
    out, boxes = x.clone(), torch.zeros((n, 4), dtype=torch.long)
    for i in range(n):
        if float(torch.rand((), generator=generator, dtype=torch.float64)) >= p:
            continue
        while True:  # the mistake: torchvision gives up after 10 attempts and returns the image unchanged
            u = torch.rand(4, generator=generator, dtype=torch.float64).tolist()
            area = (low + (high - low) * u[0]) * h * w
            aspect = math.exp(math.log(r_low) + (math.log(r_high) - math.log(r_low)) * u[1])
            box_h, box_w = round(math.sqrt(area * aspect)), round(math.sqrt(area / aspect))
            if 1 <= box_h < h and 1 <= box_w < w:
                break
        top, left = math.floor(u[2] * (h - box_h + 1)), math.floor(u[3] * (w - box_w + 1))
        boxes[i] = torch.tensor([top, top + box_h, left, left + box_w])
        out[i, :, top:top + box_h, left:left + box_w] = 0.0 if value == "random" else value
    return out, boxes
