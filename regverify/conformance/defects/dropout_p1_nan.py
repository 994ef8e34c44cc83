"""Defect: survivors computed as x * mask / (1 - p), so p = 1 gives 0/0 = NaN instead of zeros."""

from __future__ import annotations

import torch

from impls.torch_ref.dropout import _check_input
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
    keep = torch.tensor(1.0 - p, dtype=x.dtype, device=x.device)
    return x * mask.to(x.dtype) / keep, mask  # the mistake: no special case for p = 1 (1 - p = 0)
