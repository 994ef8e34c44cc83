"""Defect: cutmix mixes the labels with the sampled λ, not with 1 - (area actually pasted)/(H·W) after the box is clipped."""

from __future__ import annotations

import torch

from impls.torch_ref import cutmix as reference
from impls.torch_ref.augmentation import _beta, _mix

BACKEND = "torch"


def cutmix(x: torch.Tensor, y_onehot: torch.Tensor, alpha: float = 1.0, *, generator: torch.Generator | None = None):
    state = generator.get_state() if generator is not None else None
    out, _, (_, box, permutation) = reference(x, y_onehot, alpha, generator=generator)
    if generator is None:
        return out, _, (_, box, permutation)
    replay = torch.Generator(device=generator.device)
    replay.set_state(state)
    lam = _beta(float(alpha), replay, x.device)  # the same λ the reference drew
    return out, _mix(y_onehot, lam, 1.0 - lam, permutation), (lam, box, permutation)  # the mistake: area-based λ
