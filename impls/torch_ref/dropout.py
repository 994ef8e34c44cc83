"""Dropout, inverted and standard, from scratch in PyTorch (any device, any floating dtype).

Signatures, defaults and parameter checks are the specs' (impls/protocol/dropout.py), applied by ``@reference``.
"""

from __future__ import annotations

from functools import partial

import torch

from impls.protocol.parameters import exported, implements, torch_tensor

reference = partial(implements, array=torch_tensor)


def _check_input(op: str, x: object) -> torch.Tensor:
    """x as a floating-point tensor (for code outside the references that reuses their pieces)."""
    return torch_tensor(op, "x", x)


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


@reference("dropout")
def dropout(x: torch.Tensor, p: float, *, training: bool,
            generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Inverted dropout. Return (out, keep_mask); survivors are scaled by 1/(1-p), eval is the identity."""
    if not training or p == 0.0:
        return x, torch.ones(x.shape, dtype=torch.bool, device=x.device)
    mask = _keep_mask("dropout", x, p, generator)
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    return _masked(x, mask, scale), mask


@reference("dropout_standard")
def dropout_standard(x: torch.Tensor, p: float, *, training: bool,
                     generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Standard dropout: no training-time scaling; eval multiplies by the keep probability 1 - p."""
    if not training:
        mask = torch.ones(x.shape, dtype=torch.bool, device=x.device)
        return _masked(x, mask, 1.0 - p), mask
    mask = _keep_mask("dropout_standard", x, p, generator)
    return _masked(x, mask, 1.0), mask


__all__ = exported(globals())
