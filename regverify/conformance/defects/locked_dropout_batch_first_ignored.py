"""Defect: locked dropout accepts batch_first but always locks the mask along axis 0: with batch_first=True the
mask is shared across the batch and redrawn at every time step (option ignored)."""
from __future__ import annotations

import torch

from impls.torch_ref import noise as reference

BACKEND = "torch"


def locked_dropout(x: torch.Tensor, p: float = 0.5, *, batch_first: bool = False, training: bool = True,
                   generator: torch.Generator | None = None):
    return reference.locked_dropout(x, p, batch_first=False, training=training, generator=generator)  # the mistake
