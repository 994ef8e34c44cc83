"""Defect: adaptive dropout's per-unit keep_probability π is used as a drop probability: units are kept with
probability 1 - π."""
from __future__ import annotations

import torch

from impls.torch_ref import noise as reference

BACKEND = "torch"


def adaptive_dropout(x: torch.Tensor, keep_probability, *, training: bool = True, generator=None):
    pi = torch.as_tensor(keep_probability, device=x.device if isinstance(x, torch.Tensor) else None)
    if not training:
        return reference.adaptive_dropout(x, pi, training=False, generator=generator)
    return reference.adaptive_dropout(x, 1.0 - pi, training=True, generator=generator)  # the mistake
