"""Defect: images are flipped with probability 1-p (u >= p) instead of p."""

from __future__ import annotations

import torch

from impls.torch_ref.augmentation import _check_floating
from impls.validation import check_probability

BACKEND = "torch"


def random_hflip(x: torch.Tensor, p: float = 0.5, *, generator: torch.Generator | None = None):
    x = _check_floating("random_hflip", "x", x, ndim=4)
    p = check_probability("random_hflip", "p", p)
    flipped = torch.rand(x.shape[0], generator=generator, device=x.device, dtype=torch.float64) >= p  # mistake: < p
    return torch.where(flipped[:, None, None, None], x.flip(3), x), flipped
