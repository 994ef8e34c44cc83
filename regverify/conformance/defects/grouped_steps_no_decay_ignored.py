"""Defect: parameter groups accept no_decay but decay every parameter (the bias and norm exclusions dropped)."""
from __future__ import annotations

from impls.torch_ref import penalties as reference

BACKEND = "torch"


def grouped_steps(params, grads, *, optimizer, lr, weight_decay, no_decay=()):
    return reference.grouped_steps(params, grads, optimizer=optimizer, lr=lr, weight_decay=weight_decay,
                                   no_decay=())  # the mistake
