"""Per-variable gradient clipping (tf.keras `clipnorm`): each gradient scaled by min(1, c/‖g_i‖)."""

import torch

BACKEND = "torch"
CLIP_GRAD_NORM_CONVENTIONS = {"scope": ("per_variable",)}


def clip_grad_norm(grads, max_norm: float, *, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   scope: str = "per_variable"):
    if scope != "per_variable":
        raise ValueError(f"clip_grad_norm: scope must be 'per_variable', got {scope!r}")
    norms = [torch.linalg.vector_norm(g, norm_type) for g in grads]
    clipped = [g * torch.clamp(max_norm / n, max=1.0) if n > 0 else g.clone() for g, n in zip(grads, norms, strict=True)]
    return clipped, torch.linalg.vector_norm(torch.stack(norms), norm_type)
