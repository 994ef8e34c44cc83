"""Adapters to torch.nn.functional.dropout (PyTorch implements inverted dropout only).

The signature and defaults are the spec's (impls/protocol/dropout.py); F.dropout checks the arguments itself.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from impls.protocol.parameters import exported, implements
from impls.torch_native.seeding import seeded_from


@implements("dropout", check=False)
def dropout(x: torch.Tensor, p: float, *, training: bool,
            generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
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


__all__ = exported(globals())
