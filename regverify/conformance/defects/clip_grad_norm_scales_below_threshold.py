"""Defect: clip_grad_norm multiplies by max_norm/‖g‖ even when ‖g‖ < max_norm (the min(1, ·) is missing), inflating small gradients."""

from __future__ import annotations

from impls.torch_ref import clip_grad_norm as reference

BACKEND = "torch"


def clip_grad_norm(grads, max_norm: float, *, norm_type: float = 2.0, error_if_nonfinite: bool = False):
    _, total = reference(grads, max_norm, norm_type=norm_type, error_if_nonfinite=error_if_nonfinite)
    if float(total) == 0.0:
        return [g.clone() for g in grads], total
    coefficient = max_norm / total  # the mistake: torch.clamp(max_norm / total, max=1.0)
    return [g * coefficient.to(g.dtype) for g in grads], total
