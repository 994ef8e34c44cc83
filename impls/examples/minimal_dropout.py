"""A minimal target module: inverted dropout in PyTorch, in a dozen lines.

    regverify check impls.examples.minimal_dropout
"""

import torch

BACKEND = "torch"


def dropout(x: torch.Tensor, p: float = 0.5, *, training: bool = True, generator: torch.Generator | None = None):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p!r}")
    if not training or p == 0.0:
        return x, torch.ones_like(x, dtype=torch.bool)
    keep = torch.rand(x.shape, generator=generator, device=x.device) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    return torch.where(keep, x * scale, torch.zeros_like(x)), keep
