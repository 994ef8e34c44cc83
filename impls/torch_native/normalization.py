"""Adapters to PyTorch's F.batch_norm and F.layer_norm.

PyTorch implements one batch-norm convention: running = (1 - momentum)·running + momentum·batch with
the unbiased batch variance. The adapter declares that in BATCH_NORM_CONVENTIONS (see
impls.protocol.normalization) and rejects the others; it does not emulate them, since the suite
judges PyTorch's code, not ours. Everything else is passed to PyTorch unchecked: its own errors
are part of the verdict. Signatures and defaults are the specs' (impls/protocol/normalization.py).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from impls.protocol.parameters import exported, implements

#: gamma/beta may be None (F.batch_norm's and F.layer_norm's weight=None, bias=None are passed through).
OPTIONAL_AFFINE = ("batch_norm", "layer_norm")

BATCH_NORM_CONVENTIONS = {"momentum_convention": ("pytorch",), "var_estimator": ("unbiased",)}


@implements("batch_norm", check=False)
def batch_norm(x: torch.Tensor, gamma: torch.Tensor | None, beta: torch.Tensor | None, running_mean: torch.Tensor,
               running_var: torch.Tensor, *, training: bool, momentum: float, eps: float, momentum_convention: str,
               var_estimator: str) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """F.batch_norm on copies of the running statistics (it updates them in place); returns them."""
    for name, value in (("momentum_convention", momentum_convention), ("var_estimator", var_estimator)):
        if value not in BATCH_NORM_CONVENTIONS[name]:
            raise ValueError(f"batch_norm: torch-native implements only {name}="
                             f"{BATCH_NORM_CONVENTIONS[name][0]!r}, got {value!r}")
    new_mean = running_mean.detach().clone()
    new_var = running_var.detach().clone()
    out = F.batch_norm(x, new_mean, new_var, gamma, beta, training=training, momentum=momentum, eps=eps)
    return out, {"running_mean": new_mean, "running_var": new_var}


@implements("layer_norm", check=False)
def layer_norm(x: torch.Tensor, normalized_shape: int | tuple[int, ...], gamma: torch.Tensor | None,
               beta: torch.Tensor | None, *, eps: float) -> torch.Tensor:
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    return F.layer_norm(x, shape, gamma, beta, eps=eps)


__all__ = exported(globals(), "BATCH_NORM_CONVENTIONS", "OPTIONAL_AFFINE")
