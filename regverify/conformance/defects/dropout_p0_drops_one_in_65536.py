"""Defect: the keep decision compares a 16-bit uniform strictly, keep = u > p, so p = 0 still drops each element
with probability 2⁻¹⁶ (u = 0); every other p is off by 2⁻¹⁶, far below any mean or count test's δ."""

from __future__ import annotations

import torch

from impls.torch_ref.dropout import _check_input, _masked
from impls.validation import check_bool, check_probability

BACKEND = "torch"


def dropout(x: torch.Tensor, p: float = 0.5, *, training: bool = True, generator: torch.Generator | None = None):
    x = _check_input("dropout", x)
    p = check_probability("dropout", "p", p)
    training = check_bool("dropout", "training", training)
    if not training:
        return x, torch.ones(x.shape, dtype=torch.bool, device=x.device)
    ticks = torch.randint(0, 2**16, x.shape, generator=generator, device=x.device)
    mask = ticks > p * 2**16  # the mistake: strict comparison; u = 0 is dropped even at p = 0 (should be >=)
    return _masked(x, mask, 0.0 if p == 1.0 else 1.0 / (1.0 - p)), mask
