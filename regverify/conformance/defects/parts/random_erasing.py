"""Random erasing (torchvision's rule, as impls.torch_ref) with the box drawing, or one step of it, swapped in."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from impls.torch_ref import augmentation as reference

#: draw_boxes(shape (N, C, H, W), p, scale, ratio, generator, device) -> (N, 4) long (top, bottom, left, right).
DrawBoxes = Callable[..., torch.Tensor]


def random_erasing_from(draw_boxes: DrawBoxes) -> Callable[..., tuple[torch.Tensor, torch.Tensor]]:
    """The protocol's random_erasing: arguments checked by the reference, boxes from `draw_boxes`, each box
    filled with `value` (0 for "random": the defects are judged on where they erase, not with what)."""

    def random_erasing(x: torch.Tensor, p: float = 0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), *, value=0.0,
                       generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        reference.random_erasing(x[:1], p, scale, ratio, value=value)  # the reference's checks
        boxes = draw_boxes(tuple(x.shape), p, scale, ratio, generator, x.device)
        out, fill = x.clone(), 0.0 if value == "random" else value
        for image, (top, bottom, left, right) in zip(out, boxes.tolist(), strict=True):
            image[:, top:bottom, left:right] = fill
        return out, boxes

    return random_erasing


def log_uniform(r_low: float, r_high: float, u: torch.Tensor) -> torch.Tensor:
    return torch.exp(math.log(r_low) + (math.log(r_high) - math.log(r_low)) * u)


def ten_attempts(aspect_of: Callable[[float, float, torch.Tensor], torch.Tensor] = log_uniform) -> DrawBoxes:
    """torchvision's box rule: up to 10 (area, aspect) attempts, the first that fits wins, none erases nothing;
    the aspect ratio from the uniforms by `aspect_of` (log-uniform on `ratio` in torchvision and the papers)."""

    def draw(shape, p, scale, ratio, generator, device) -> torch.Tensor:
        n, _, h, w = shape
        (low, high), (r_low, r_high) = scale, ratio
        u = torch.rand((n, 23), generator=generator, device=device, dtype=torch.float64)
        area, aspect = (low + (high - low) * u[:, 1:11]) * (h * w), aspect_of(r_low, r_high, u[:, 11:21])
        box_h, box_w = torch.round(torch.sqrt(area * aspect)).long(), torch.round(torch.sqrt(area / aspect)).long()
        fits = (box_h >= 1) & (box_h < h) & (box_w >= 1) & (box_w < w)
        first = fits.long().argmax(dim=1, keepdim=True)
        box_h, box_w = box_h.gather(1, first)[:, 0], box_w.gather(1, first)[:, 0]
        top = torch.floor(u[:, 21] * (h - box_h + 1)).long()
        left = torch.floor(u[:, 22] * (w - box_w + 1)).long()
        chosen = (u[:, 0] < p) & fits.any(dim=1)
        return torch.where(chosen[:, None], torch.stack([top, top + box_h, left, left + box_w], 1), 0)

    return draw
