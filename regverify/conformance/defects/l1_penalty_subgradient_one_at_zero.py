"""Defect: |w| written as where(w >= 0, w, -w), so the L1 gradient at w = 0 is +λ instead of the subgradient 0."""

from __future__ import annotations

import torch

from impls.torch_ref import l1_penalty as reference

BACKEND = "torch"


def l1_penalty(w: torch.Tensor, lam: float) -> torch.Tensor:
    reference(w, lam)  # validates the arguments
    return lam * torch.where(w >= 0, w, -w).sum()  # the mistake: the derivative at 0 is that of w, i.e. 1
