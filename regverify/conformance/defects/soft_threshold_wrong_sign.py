"""Defect: soft thresholding moves survivors away from zero, w + sign(w)·t, instead of towards it (wrong sign)."""

from __future__ import annotations

import torch

from impls.torch_ref import soft_threshold as reference

BACKEND = "torch"


def soft_threshold(w: torch.Tensor, threshold: float) -> torch.Tensor:
    reference(w, threshold)  # validates the arguments
    t = torch.tensor(float(threshold), dtype=w.dtype, device=w.device)
    zero = torch.zeros((), dtype=w.dtype, device=w.device)
    return torch.where(w.abs() <= t, zero, w + w.sign() * t)  # the mistake: w - sign(w)·t
