"""Defect: standard dropout returns x unchanged in eval instead of multiplying by the keep probability 1-p."""

from __future__ import annotations

import torch

from impls.torch_ref import dropout_standard as reference
from impls.validation import check_bool

BACKEND = "torch"


def dropout_standard(
    x: torch.Tensor, p: float = 0.5, *, training: bool = True, generator: torch.Generator | None = None
):
    out, mask = reference(x, p, training=training, generator=generator)
    if not check_bool("dropout_standard", "training", training):
        return x, mask  # the mistake: copied the inverted-dropout eval rule
    return out, mask
