"""Defect: embedding dropout zeroes whole rows of the embedding matrix but forgets to scale the kept rows by 1/(1-p)."""
from __future__ import annotations

import torch

from impls.torch_ref import noise as reference

BACKEND = "torch"


def embedding_dropout(indices, weight, p: float = 0.5, *, training: bool = True, generator=None):
    out, rows = reference.embedding_dropout(indices, weight, p, training=training, generator=generator)
    if training and 0.0 < p < 1.0:
        out = torch.where(rows[indices].unsqueeze(-1), weight[indices], torch.zeros((), dtype=weight.dtype))  # the mistake
    return out, rows
