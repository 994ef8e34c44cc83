"""Defect: inverted dropout rescales survivors by 1/p instead of 1/(1-p) (drop and keep probability confused in the scale)."""

from __future__ import annotations

import torch

from impls.torch_ref.dropout import _check_input, _masked
from impls.validation import check_bool, check_probability
from regverify.conformance.defects import own_keep_mask

BACKEND = "torch"



def dropout(x: torch.Tensor, p: float = 0.5, *, training: bool = True, generator: torch.Generator | None = None):
    x = _check_input("dropout", x)
    p = check_probability("dropout", "p", p)
    training = check_bool("dropout", "training", training)
    if not training or p == 0.0:
        return x, torch.ones(x.shape, dtype=torch.bool, device=x.device)
    mask = own_keep_mask(x, p, generator)
    scale = 0.0 if p == 1.0 else 1.0 / p  # the mistake: should be 1 / (1 - p)
    return _masked(x, mask, scale), mask
