"""Defect: the pseudo-random samples drive the wrong axes: [..., 0] the height and [..., 1] the width (PyTorch: 0 width)."""

from __future__ import annotations

import torch

from impls import torch_native as reference

BACKEND = "torch"


def fractional_max_pool2d(x: torch.Tensor, kernel_size, output_size, *, generator: torch.Generator | None = None):
    out, samples = reference.fractional_max_pool2d(x, kernel_size, output_size, generator=generator)
    return out, samples.flip(-1)  # the mistake: the returned samples name the axes the other way round
