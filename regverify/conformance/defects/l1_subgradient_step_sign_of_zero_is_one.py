"""Defect: the L1 subgradient uses sign(0) = 1 (w >= 0 → +1), so weights at exactly 0 are pushed to -lr·λ."""
from __future__ import annotations

import torch

from impls.torch_ref import penalties as reference

BACKEND = "torch"


def l1_subgradient_step(w: torch.Tensor, grad: torch.Tensor, lr: float, lam: float) -> torch.Tensor:
    reference.l1_subgradient_step(w, grad, lr, lam)  # the reference's checks
    sign = torch.where(w >= 0, torch.ones_like(w), -torch.ones_like(w))  # the mistake at w = 0
    return w - lr * (grad + lam * sign)
