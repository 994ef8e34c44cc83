"""Defect: the generator argument is accepted but ignored; the mask comes from torch's global RNG."""

from __future__ import annotations

import torch

from impls.torch_ref import dropout as reference

BACKEND = "torch"


def dropout(x: torch.Tensor, p: float = 0.5, *, training: bool = True, generator: torch.Generator | None = None):
    return reference(x, p, training=training, generator=None)  # the mistake: generator=generator
