"""Defect: ShakeDrop's backward is the forward's own derivative (α), not the paper's independent β."""

from __future__ import annotations

import torch

from impls.torch_ref import shakedrop as reference

BACKEND = "torch"


def shakedrop(x: torch.Tensor, p: float = 0.5, *, training: bool = True, generator: torch.Generator | None = None,
              **ranges):
    out, noise = reference(x.detach(), p, training=training, generator=generator, **ranges)
    if not training:
        return out, noise
    coefficient = torch.where(noise["gate"], torch.ones_like(noise["alpha"]), noise["alpha"])
    # the mistake: plain autograd through x·(b + α - bα) gives α in the backward, where ShakeDrop uses β
    return x * coefficient.reshape((-1,) + (1,) * (x.dim() - 1)), noise
