"""Defect: the original stochastic depth's eval multiplies by the drop probability p instead of the survival
probability 1 - p (the paper's p_l is a survival probability; PyTorch's p drops)."""
from __future__ import annotations

import torch

from impls.torch_ref import noise as reference

BACKEND = "torch"


def stochastic_depth_original(x: torch.Tensor, p: float, mode: str = "row", *, training: bool = True, generator=None):
    if training:
        return reference.stochastic_depth_original(x, p, mode, training=True, generator=generator)
    out, mask = reference.stochastic_depth_original(x, p, mode, training=False, generator=generator)
    return (x * p).to(x.dtype), mask  # the mistake: should be x·(1 - p)
