"""Defect: the orthogonality penalty is ‖WᵀW‖²_F, the identity never subtracted: an orthonormal W is penalized."""
from __future__ import annotations

import torch

from impls.torch_ref import penalties as reference

BACKEND = "torch"


def orthogonality_penalty(w: torch.Tensor) -> torch.Tensor:
    reference.orthogonality_penalty(w)  # the reference's checks
    gram = w.T @ w
    return (gram * gram).sum()  # the mistake: should be ‖WᵀW - I‖²
