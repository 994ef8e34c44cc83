"""Batch norm as the references compute it, with the one rule a defect gets wrong passed in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from impls.numpy_ref.normalization import batch_norm_forward as numpy_reference_forward
from impls.torch_ref import batch_norm as torch_reference

#: The only conventions a CS231n-style layer offers: momentum weighs the old running value, and the running
#: variance averages the same biased variance the normalization divides by.
CS231N_CONVENTIONS = {"momentum_convention": ("keras",), "var_estimator": ("biased",)}


def cs231n_forward_updating_like(**update_rule: str) -> Callable[..., tuple[np.ndarray, dict]]:
    """A NumPy batch_norm_forward that offers only CS231N_CONVENTIONS but moves its running statistics by the
    reference's rule for `update_rule` (momentum_convention= and/or var_estimator=) instead."""

    def batch_norm_forward(x: np.ndarray, *args: Any, momentum_convention: str = "keras",
                           var_estimator: str = "biased", **kwargs: Any) -> tuple[np.ndarray, dict]:
        asked = {"momentum_convention": momentum_convention, "var_estimator": var_estimator}
        if any(asked[name] not in allowed for name, allowed in CS231N_CONVENTIONS.items()):
            raise ValueError(f"batch_norm: momentum_convention must be 'keras' and var_estimator 'biased' (CS231n), "
                             f"got {momentum_convention!r}, {var_estimator!r}")
        return numpy_reference_forward(x, *args, **{**asked, **update_rule}, **kwargs)

    return batch_norm_forward


@dataclass(frozen=True)
class BatchNormCall:
    """One call of the protocol's batch_norm, which a defect's output rule reads."""

    x: torch.Tensor
    gamma: torch.Tensor | None
    beta: torch.Tensor | None
    running: tuple[torch.Tensor, torch.Tensor]
    options: dict[str, Any]

    def reference_output(self, **changed: Any) -> torch.Tensor:
        """The reference's output for this call with some options `changed`."""
        return torch_reference(self.x, self.gamma, self.beta, *self.running, **{**self.options, **changed})[0]

    def per_channel(self, values: torch.Tensor | None, default: float) -> torch.Tensor | float:
        """`values` (C,) shaped to broadcast over x's channel axis; `default` where the parameter is left out."""
        return default if values is None else values.reshape((1, self.x.shape[1]) + (1,) * (self.x.dim() - 2))


def torch_batch_norm_with_output(wrong_output: Callable[[BatchNormCall], torch.Tensor | None]) -> Callable[..., Any]:
    """The protocol's torch batch_norm: the reference's running statistics, and its output except where
    `wrong_output(call)` returns one (None: the reference's)."""

    def batch_norm(x: torch.Tensor, gamma: torch.Tensor | None, beta: torch.Tensor | None,
                   running_mean: torch.Tensor, running_var: torch.Tensor, *, training: bool = True,
                   momentum: float = 0.1, eps: float = 1e-5, momentum_convention: str = "pytorch",
                   var_estimator: str = "unbiased") -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        options = {"training": training, "momentum": momentum, "eps": eps,
                   "momentum_convention": momentum_convention, "var_estimator": var_estimator}
        out, running = torch_reference(x, gamma, beta, running_mean, running_var, **options)
        replaced = wrong_output(BatchNormCall(x, gamma, beta, (running_mean, running_var), options))
        return (out if replaced is None else replaced), running

    return batch_norm
