"""Defect: dropout2d on a 3-D input (N, C, L) draws one decision per element instead of per (n, c) row."""
from __future__ import annotations

import torch

from impls.torch_ref import noise as reference

BACKEND = "torch"

from impls.torch_ref import dropout as elementwise  # noqa: E402


def dropout2d(x: torch.Tensor, p: float = 0.5, *, training: bool = True, generator: torch.Generator | None = None):
    if isinstance(x, torch.Tensor) and x.dim() == 3:
        out, mask = elementwise(x, p, training=training, generator=generator)  # the mistake: per element
        return out, mask
    return reference.dropout2d(x, p, training=training, generator=generator)
