"""Dropout, inverted and standard, from scratch in PyTorch (any device, any floating dtype)."""

from __future__ import annotations

import torch

from impls.validation import check_bool, check_probability

__all__ = ["dropout", "dropout_standard"]


def _check_input(op: str, x: object) -> torch.Tensor:
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError(f"{op}: x must be a floating-point torch.Tensor, got {type(x).__name__}")
    return x


def _keep_mask(op: str, x: torch.Tensor, p: float, generator: torch.Generator | None) -> torch.Tensor:
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"{op}: generator must be a torch.Generator or None, got {type(generator).__name__}")
    # float32 uniforms have 24 random bits: P(u >= p) = 1 - p to within 2**-24, far below any tested δ.
    uniform = torch.rand(x.shape, generator=generator, device=x.device, dtype=torch.float32)
    return uniform >= p


def _masked(x: torch.Tensor, mask: torch.Tensor, scale: float) -> torch.Tensor:
    # The scale is rounded once to x's dtype, the product once more: bitwise the NumPy reference.
    scale_t = torch.tensor(scale, dtype=x.dtype, device=x.device)
    return torch.where(mask, x * scale_t, torch.zeros((), dtype=x.dtype, device=x.device))


def dropout(
    x: torch.Tensor,
    p: float = 0.5,
    *,
    training: bool = True,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Inverted dropout. Return (out, keep_mask); survivors are scaled by 1/(1-p), eval is the identity."""
    x = _check_input("dropout", x)
    p = check_probability("dropout", "p", p)
    training = check_bool("dropout", "training", training)
    if not training or p == 0.0:
        return x, torch.ones(x.shape, dtype=torch.bool, device=x.device)
    mask = _keep_mask("dropout", x, p, generator)
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    return _masked(x, mask, scale), mask


def dropout_standard(
    x: torch.Tensor,
    p: float = 0.5,
    *,
    training: bool = True,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Standard dropout: no training-time scaling; eval multiplies by the keep probability 1 - p."""
    x = _check_input("dropout_standard", x)
    p = check_probability("dropout_standard", "p", p)
    training = check_bool("dropout_standard", "training", training)
    if not training:
        mask = torch.ones(x.shape, dtype=torch.bool, device=x.device)
        return _masked(x, mask, 1.0 - p), mask
    mask = _keep_mask("dropout_standard", x, p, generator)
    return _masked(x, mask, 1.0), mask
