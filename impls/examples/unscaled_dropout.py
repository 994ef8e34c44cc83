"""The minimal module with one mistake: survivors are not rescaled by 1/(1-p).

`regverify check impls.examples.unscaled_dropout` must reject it and name the failed properties.
"""

import torch

BACKEND = "torch"


def dropout(x: torch.Tensor, p: float = 0.5, *, training: bool = True, generator: torch.Generator | None = None):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p!r}")
    kept = torch.ones_like(x, dtype=torch.bool)
    if training:
        kept = torch.rand(x.shape, generator=generator, device=x.device) >= p
    return torch.where(kept, x, 0.0), kept  # the mistake: the survivors must be divided by 1 - p
