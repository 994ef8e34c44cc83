"""Defect: feature alpha dropout draws one decision per element (alpha_dropout's rule) instead of per channel."""
from __future__ import annotations

import torch

from impls.torch_ref import noise as reference

BACKEND = "torch"


def feature_alpha_dropout(x: torch.Tensor, p: float = 0.5, *, training: bool = True,
                          generator: torch.Generator | None = None):
    if isinstance(x, torch.Tensor) and x.dim() < 2:
        return reference.feature_alpha_dropout(x, p, training=training, generator=generator)
    return reference.alpha_dropout(x, p, training=training, generator=generator)  # the mistake: element-wise mask
