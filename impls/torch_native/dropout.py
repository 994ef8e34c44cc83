"""Adapters to torch.nn.functional.dropout (PyTorch implements inverted dropout only)."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from impls.torch_native.seeding import seeded_from

__all__ = ["dropout"]


def dropout(
    x: torch.Tensor,
    p: float = 0.5,
    *,
    training: bool = True,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """F.dropout, seeded from `generator`; the keep mask is recovered by replaying the same seed on ones."""
    if generator is None:
        out = F.dropout(x, p=p, training=training)
        return out, out != 0
    state = generator.get_state()
    with seeded_from(generator, x.device):
        out = F.dropout(x, p=p, training=training)
    # Same seed, same shape, same dtype and device: F.dropout draws the same Bernoulli noise.
    generator.set_state(state)
    with seeded_from(generator, x.device):
        mask = F.dropout(torch.ones_like(x, requires_grad=False), p=p, training=training) != 0
    return out, mask
