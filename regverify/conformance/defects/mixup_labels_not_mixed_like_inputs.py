"""Defect: mixup mixes the labels with the weights swapped, (1-λ)·y + λ·y[perm], while the inputs get λ·x + (1-λ)·x[perm]."""

from __future__ import annotations

import torch

from impls.torch_ref import mixup as reference
from impls.torch_ref.augmentation import _mix

BACKEND = "torch"


def mixup(x: torch.Tensor, y_onehot: torch.Tensor, alpha: float = 1.0, *, generator: torch.Generator | None = None):
    out, _, (lam, permutation) = reference(x, y_onehot, alpha, generator=generator)
    return out, _mix(y_onehot, 1.0 - lam, lam, permutation), (lam, permutation)  # the mistake: (lam, 1 - lam)
