"""Defect: one keep/drop draw per row, broadcast along the last axis, instead of one draw per element."""

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
    # The mistake: the uniform is drawn with shape (..., 1) and broadcast, so a whole row is kept or dropped.
    row_shape = (*x.shape[:-1], 1)
    uniform = torch.rand(row_shape, generator=generator, device=x.device, dtype=torch.float32)
    mask = (uniform >= p).expand(x.shape)
    return _masked(x, mask, 0.0 if p == 1.0 else 1.0 / (1.0 - p)), mask
