"""Defect: random erasing redraws area and aspect until a box fits, with no bound on the attempts: on an image with a
1-pixel side no box ever fits (a side must be ≥ 1 and < the image's), and the call never returns."""

import math

import torch

from regverify.conformance.defects.parts.random_erasing import random_erasing_from

BACKEND = "torch"


def boxes_drawn_until_one_fits(shape, p, scale, ratio, generator, device) -> torch.Tensor:
    n, _, h, w = shape
    boxes = torch.zeros((n, 4), dtype=torch.long)
    for i in range(n):
        if float(torch.rand((), generator=generator, dtype=torch.float64)) >= p:
            continue
        while True:  # the mistake: torchvision gives up after 10 attempts and returns the image unchanged
            u = torch.rand(4, generator=generator, dtype=torch.float64).tolist()
            area = (scale[0] + (scale[1] - scale[0]) * u[0]) * h * w
            aspect = math.exp(math.log(ratio[0]) + (math.log(ratio[1]) - math.log(ratio[0])) * u[1])
            box_h, box_w = round(math.sqrt(area * aspect)), round(math.sqrt(area / aspect))
            if 1 <= box_h < h and 1 <= box_w < w:
                break
        top, left = math.floor(u[2] * (h - box_h + 1)), math.floor(u[3] * (w - box_w + 1))
        boxes[i] = torch.tensor([top, top + box_h, left, left + box_w])
    return boxes


random_erasing = random_erasing_from(boxes_drawn_until_one_fits)
