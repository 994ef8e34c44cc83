"""Defect: value clipping clamps only the upper side (min(g, c)): large negative gradients pass through."""
from __future__ import annotations

from impls.torch_ref import penalties as reference

BACKEND = "torch"


def clip_grad_value(grads, clip_value: float):
    reference.clip_grad_value(grads, clip_value)  # the reference's checks
    return [g.clamp(max=clip_value) for g in grads]  # the mistake: clamp(-c, c)
