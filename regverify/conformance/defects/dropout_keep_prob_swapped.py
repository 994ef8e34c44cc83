"""Defect: p is read as the keep probability: elements survive with probability p and are scaled by 1/p."""

from __future__ import annotations

import torch

from impls.torch_ref.dropout import _check_input, _masked
from impls.validation import check_bool, check_probability

BACKEND = "torch"


def dropout(x: torch.Tensor, p: float = 0.5, *, training: bool = True, generator: torch.Generator | None = None):
    x = _check_input("dropout", x)
    p = check_probability("dropout", "p", p)
    training = check_bool("dropout", "training", training)
    if not training or p == 0.0:
        return x, torch.ones(x.shape, dtype=torch.bool, device=x.device)
    # The mistake: keep when u < p (keep probability p) and scale by 1/p, as if p were keep_prob.
    mask = torch.rand(x.shape, generator=generator, device=x.device, dtype=torch.float32) < p
    return _masked(x, mask, 1.0 / p), mask
