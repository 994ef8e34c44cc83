"""Defect: l2_penalty ignores `half` and always returns (λ/2)‖w‖² (option ignored)."""

from __future__ import annotations

import torch

from impls.torch_ref import l2_penalty as reference
from impls.validation import check_bool

BACKEND = "torch"


def l2_penalty(w: torch.Tensor, lam: float, *, half: bool = True) -> torch.Tensor:
    check_bool("l2_penalty", "half", half)
    return reference(w, lam, half=True)  # the mistake: half=half
