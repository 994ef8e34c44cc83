"""Defect: clip_grad_norm validates max_norm with `if max_norm < 0: raise`, which NaN passes: every gradient becomes
NaN (the comparison with NaN is False)."""

from __future__ import annotations

import math

import torch

from impls.torch_ref import penalties as reference

BACKEND = "torch"


def clip_grad_norm(grads, max_norm: float, *, norm_type: float = 2.0, error_if_nonfinite: bool = False):
    if isinstance(max_norm, float) and math.isnan(max_norm):  # the mistake: `max_norm < 0` is False for NaN
        _, total = reference.clip_grad_norm(grads, 1.0, norm_type=norm_type, error_if_nonfinite=error_if_nonfinite)
        factor = torch.tensor(max_norm, dtype=torch.float64) / (total + 1e-6)
        return [(g * factor).to(g.dtype) for g in grads], total
    return reference.clip_grad_norm(grads, max_norm, norm_type=norm_type, error_if_nonfinite=error_if_nonfinite)
