"""Defect: AdamW's decoupled decay w ← w(1 - λ) without the learning rate (PyTorch: w(1 - lr·λ))."""
from __future__ import annotations

from impls.torch_ref import penalties as reference

BACKEND = "torch"


def adamw_step(w, grad, lr=1e-3, *, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, state=None):
    reference.adamw_step(w, grad, lr, betas=betas, eps=eps, weight_decay=weight_decay, state=state)  # the checks
    decayed = w.detach().mul(1 - weight_decay)  # the mistake: 1 - lr·weight_decay
    return reference.adamw_step(decayed, grad, lr, betas=betas, eps=eps, weight_decay=0.0, state=state)
