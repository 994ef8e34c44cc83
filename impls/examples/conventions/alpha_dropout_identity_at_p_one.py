"""Alpha dropout as TensorFlow applies it: only for 0 < p < 1; p = 0 and p = 1 return the input unchanged."""

import math

import torch

BACKEND = "torch"
ALPHA_DROPOUT_CONVENTIONS = {"p_one": ("identity",)}
_ALPHA_PRIME = -1.7580993408473766  # -λα of SELU


def alpha_dropout(x: torch.Tensor, p: float = 0.5, *, training: bool = True, generator: torch.Generator | None = None):
    if not 0.0 <= p <= 1.0:  # also nan
        raise ValueError(f"alpha_dropout: p must be in [0, 1], got {p!r}")
    if not training or p in (0.0, 1.0):
        return x.clone(), torch.ones_like(x, dtype=torch.bool)
    keep = torch.rand(x.shape, generator=generator, device=x.device) >= p
    a = 1 / math.sqrt((1 - p) * (1 + p * _ALPHA_PRIME**2))
    b = -a * _ALPHA_PRIME * p
    return a * torch.where(keep, x, torch.full_like(x, _ALPHA_PRIME)) + b, keep
