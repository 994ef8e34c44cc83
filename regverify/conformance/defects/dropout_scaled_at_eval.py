"""Defect: inverted dropout also multiplies by 1/(1-p) in eval mode (the scale applied in both modes)."""

from __future__ import annotations

import torch

from impls.torch_ref import dropout as reference
from impls.validation import check_probability
from regverify.conformance.defects.parts.dropout import rescale_survivors

BACKEND = "torch"


def dropout(x: torch.Tensor, p: float = 0.5, *, training: bool = True, generator: torch.Generator | None = None):
    out, mask = reference(x, p, training=training, generator=generator)
    p = check_probability("dropout", "p", p)
    if not training and p < 1.0:
        out = rescale_survivors(x, mask, 1.0 - p)  # the mistake: eval must be the identity
    return out, mask
