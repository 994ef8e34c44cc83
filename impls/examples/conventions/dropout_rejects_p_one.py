"""Inverted dropout with TensorFlow's domain: p = 1 (rate 1) is rejected, since 1/(1-p) is undefined."""

import torch

BACKEND = "torch"
DROPOUT_CONVENTIONS = {"p_one": ("rejected",)}


def dropout(x: torch.Tensor, p: float = 0.5, *, training: bool = True, generator: torch.Generator | None = None):
    if not 0.0 <= p < 1.0:
        raise ValueError(f"dropout: p must be in [0, 1), got {p!r}")
    if not training or p == 0.0:
        return x.clone(), torch.ones_like(x, dtype=torch.bool)
    keep = torch.rand(x.shape, generator=generator, device=x.device) >= p
    return torch.where(keep, x / (1 - p), torch.zeros_like(x)), keep
