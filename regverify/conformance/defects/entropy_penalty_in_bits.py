"""Defect: the entropy penalty uses log2 (bits) instead of the natural log (nats) the lectures use."""

from __future__ import annotations

import math

import torch

from impls.torch_ref import entropy_penalty as reference

BACKEND = "torch"


def entropy_penalty(x: torch.Tensor, *, from_logits: bool = True, dim: int = -1) -> torch.Tensor:
    return reference(x, from_logits=from_logits, dim=dim) / math.log(2.0)  # the mistake: nats → bits
