"""Defect: the training flag is ignored, so inverted dropout keeps dropping in eval mode (forgotten mode switch)."""

from __future__ import annotations

import torch

from impls.torch_ref import dropout as reference
from impls.validation import check_bool

BACKEND = "torch"


def dropout(x: torch.Tensor, p: float = 0.5, *, training: bool = True, generator: torch.Generator | None = None):
    check_bool("dropout", "training", training)
    return reference(x, p, training=True, generator=generator)  # the mistake: training=training
