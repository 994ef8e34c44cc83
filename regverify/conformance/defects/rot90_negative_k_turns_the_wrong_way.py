"""Defect: k quarter turns computed as |k| % 4, so a negative k (clockwise) turns counterclockwise."""
from __future__ import annotations

import torch

from impls.torch_ref import augmentation as reference

BACKEND = "torch"


def rot90(x: torch.Tensor, k: int = 1) -> torch.Tensor:
    if isinstance(k, int) and not isinstance(k, bool):
        k = abs(k)  # the mistake: the sign of k is dropped
    return reference.rot90(x, k)
