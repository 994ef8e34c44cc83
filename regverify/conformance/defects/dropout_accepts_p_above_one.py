"""Defect: p is only checked against 0 (`if p < 0: raise`), so p = 1.5, inf or NaN pass silently."""

from __future__ import annotations

import torch

from impls.torch_ref.dropout import _check_input, _masked
from impls.validation import check_bool, check_real
from regverify.conformance.defects import own_keep_mask

BACKEND = "torch"



def dropout(x: torch.Tensor, p: float = 0.5, *, training: bool = True, generator: torch.Generator | None = None):
    x = _check_input("dropout", x)
    p = check_real("dropout", "p", p)
    if p < 0.0:  # the mistake: the upper end (p <= 1) and NaN are not checked
        raise ValueError(f"dropout: p must be in [0, 1], got {p!r}")
    training = check_bool("dropout", "training", training)
    if not training or p == 0.0:
        return x, torch.ones(x.shape, dtype=torch.bool, device=x.device)
    mask = own_keep_mask(x, p, generator)
    return _masked(x, mask, 0.0 if p >= 1.0 else 1.0 / (1.0 - p)), mask
