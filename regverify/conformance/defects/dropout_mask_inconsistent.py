"""Defect: the returned mask is a second draw, not the mask that produced the output."""

from __future__ import annotations

import torch

from impls.torch_ref import dropout as reference
from regverify.conformance.defects.parts.dropout import own_keep_mask

BACKEND = "torch"



def dropout(x: torch.Tensor, p: float = 0.5, *, training: bool = True, generator: torch.Generator | None = None):
    out, mask = reference(x, p, training=training, generator=generator)
    if training and 0.0 < p:
        mask = own_keep_mask(x, p, generator)  # the mistake: the mask is redrawn for the caller
    return out, mask
