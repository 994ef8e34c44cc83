"""Defect: mixup draws λ ~ Uniform(0, 1) whatever alpha is (Beta(1, 1) hard-coded: option ignored)."""

from __future__ import annotations

import torch

from impls.torch_ref import mixup as reference
from impls.torch_ref.augmentation import _check_alpha

BACKEND = "torch"


def mixup(x: torch.Tensor, y_onehot: torch.Tensor, alpha: float = 1.0, *, generator: torch.Generator | None = None):
    _check_alpha("mixup", alpha)
    return reference(x, y_onehot, 1.0, generator=generator)  # the mistake: alpha=alpha
