"""Defect: dropout replaces NaN inputs by 0 before masking (nan_to_num "for stability"), so a kept NaN comes out
as 0: the NaN that should surface a diverged layer is silently hidden."""

from __future__ import annotations

import torch

from impls.torch_ref import dropout as reference

BACKEND = "torch"


def dropout(x: torch.Tensor, p: float = 0.5, *, training: bool = True, generator: torch.Generator | None = None):
    if isinstance(x, torch.Tensor) and x.is_floating_point():
        x = torch.nan_to_num(x, nan=0.0, posinf=torch.finfo(x.dtype).max, neginf=-torch.finfo(x.dtype).max)  # mistake
    return reference(x, p, training=training, generator=generator)
