"""Defect: elastic net accepts half=True but never halves the L2 part (option ignored)."""
from __future__ import annotations

import torch

from impls.torch_ref import penalties as reference

BACKEND = "torch"


def elastic_net_penalty(w: torch.Tensor, l1: float, l2: float, *, half: bool = False) -> torch.Tensor:
    reference.elastic_net_penalty(w, l1, l2, half=half)  # the reference's checks
    return reference.elastic_net_penalty(w, l1, l2, half=False)  # the mistake
