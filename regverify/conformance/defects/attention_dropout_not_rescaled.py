"""Defect: attention dropout zeroes attention probabilities but forgets the 1/(1-p) scale on the survivors."""
from __future__ import annotations

from impls.torch_ref import noise as reference

BACKEND = "torch"


def attention_dropout(q, k, v, p: float = 0.0, *, training: bool = True, generator=None):
    out, mask = reference.attention_dropout(q, k, v, p, training=training, generator=generator)
    if training and 0.0 < p < 1.0:
        out = out * (1.0 - p)  # the mistake: undoes the rescale (the product is linear in the attention weights)
    return out, mask
