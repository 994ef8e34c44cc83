"""Defect: alpha dropout's affine constants a = ((1-p)(1 + pα'²))^(-1/2), b = -a·α'·p applied at p = 1 too:
a = inf, and the output is NaN instead of PyTorch's all-zeros (no special case for the edge)."""
from __future__ import annotations

import torch

from impls.torch_ref import noise as reference

BACKEND = "torch"

from impls.numpy_ref.noise import SELU_ALPHA_PRIME  # noqa: E402


def alpha_dropout(x: torch.Tensor, p: float = 0.5, *, training: bool = True, generator: torch.Generator | None = None):
    if p != 1.0 or not training:
        return reference.alpha_dropout(x, p, training=training, generator=generator)
    mask = torch.zeros(x.shape, dtype=torch.bool, device=x.device)
    with torch.no_grad():
        a = torch.tensor((1.0 - p) * (1.0 + p * SELU_ALPHA_PRIME**2), dtype=torch.float64).rsqrt()  # inf at p = 1
    b = -a * SELU_ALPHA_PRIME * p
    dropped = torch.full_like(x, SELU_ALPHA_PRIME, dtype=torch.float64)
    return (a * dropped + b).to(x.dtype), mask  # the mistake: inf - inf = NaN
