"""Defect: the angle in degrees is passed on as if it were radians (a unit slip): rotate(x, 90) turns by 90 rad."""
from __future__ import annotations

import torch

from impls.torch_ref import augmentation as reference

BACKEND = "torch"

import math  # noqa: E402


def rotate(x: torch.Tensor, angle: float, *, interpolation: str = "nearest", fill: float = 0.0) -> torch.Tensor:
    if isinstance(angle, (int, float)) and math.isfinite(angle):
        angle = math.degrees(angle)  # the mistake: degrees read as radians
    return reference.rotate(x, angle, interpolation=interpolation, fill=fill)
