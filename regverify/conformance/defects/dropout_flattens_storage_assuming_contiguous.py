"""Defect: dropout flattens x with as_strided(x, (numel,), (1,)), as a kernel that assumes contiguous memory does: for a
strided or transposed input it reads the wrong elements (a missing .contiguous())."""

from __future__ import annotations

import torch

from impls.torch_ref.dropout import _check_input
from impls.validation import check_bool, check_probability

BACKEND = "torch"


def dropout(x: torch.Tensor, p: float = 0.5, *, training: bool = True, generator: torch.Generator | None = None):
    x = _check_input("dropout", x)
    p = check_probability("dropout", "p", p)
    training = check_bool("dropout", "training", training)
    if not training or p == 0.0:
        return x, torch.ones(x.shape, dtype=torch.bool, device=x.device)
    flat = torch.as_strided(x, (x.numel(),), (1,))  # the mistake: x's strides ignored
    mask = torch.rand(flat.shape, generator=generator, device=x.device, dtype=torch.float32) >= p
    scale = torch.tensor(0.0 if p == 1.0 else 1.0 / (1.0 - p), dtype=x.dtype)
    out = torch.where(mask, flat * scale, torch.zeros((), dtype=x.dtype))
    return out.reshape(x.shape), mask.reshape(x.shape)
