"""Defect: DropConnect ignores training=False: weights are still dropped (and rescaled) at inference."""
from __future__ import annotations

from impls.torch_ref import noise as reference

BACKEND = "torch"


def dropconnect_linear(x, weight, bias, p: float = 0.5, *, training: bool = True, generator=None):
    return reference.dropconnect_linear(x, weight, bias, p, training=True, generator=generator)  # the mistake
