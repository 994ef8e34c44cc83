"""Defect: stochastic depth accepts mode='batch' but always draws one decision per sample (option ignored)."""
from __future__ import annotations

import torch

from impls.torch_ref import noise as reference

BACKEND = "torch"


def stochastic_depth(x: torch.Tensor, p: float, mode: str = "row", *, training: bool = True, generator=None):
    if mode == "batch":
        mode = "row"  # the mistake: the whole-batch mode falls through to the per-sample one
    return reference.stochastic_depth(x, p, mode, training=training, generator=generator)
