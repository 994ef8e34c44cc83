"""Defect: attention dropout clamps p into [0, 1] instead of rejecting it: p = -0.1 runs as p = 0 without a word."""

from __future__ import annotations

from impls.torch_ref import noise as reference

BACKEND = "torch"


def attention_dropout(q, k, v, p: float = 0.0, *, training: bool = True, generator=None):
    if isinstance(p, float) and p < 0.0:
        p = 0.0  # the mistake: silent clamping
    return reference.attention_dropout(q, k, v, p, training=training, generator=generator)
