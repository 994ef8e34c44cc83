"""Inverted dropout (torch) and the NumPy dropout layer, as steps a defect can replace one at a time."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from impls.numpy_ref.dropout import dropout_forward as numpy_reference_forward
from impls.torch_ref import dropout as torch_reference
from impls.validation import check_bool, check_in_range, check_probability

Tensor = torch.Tensor


def own_keep_mask(x: Tensor, p: float, generator: torch.Generator | None) -> Tensor:
    """A Bernoulli(1 - p) keep mask drawn by the defect itself (u >= p on float32 uniforms, as the reference)."""
    return torch.rand(x.shape, generator=generator, device=x.device, dtype=torch.float32) >= p


def keep_probability(p: float) -> float:
    """The probability a unit survives, which the survivors are divided by."""
    return 1.0 - p


def rescale_survivors(x: Tensor, keep: Tensor, keep_prob: float) -> Tensor:
    """Kept units times 1/keep_prob (rounded once to x's dtype), dropped ones 0; nothing kept at keep_prob 0."""
    factor = torch.tensor(1.0 / keep_prob if keep_prob != 0.0 else 0.0, dtype=x.dtype, device=x.device)
    return torch.where(keep, x * factor, torch.zeros((), dtype=x.dtype, device=x.device))


def checked_probability(p: float) -> float:
    return check_probability("dropout", "p", p)


def nothing_to_draw(p: float, training: bool) -> bool:
    """Eval, and p = 0 in training, return x untouched without drawing a mask."""
    return not training or p == 0.0


def inverted_dropout(
    *,
    accept_p: Callable[[float], float] = checked_probability,
    keep_mask: Callable[[Tensor, float, torch.Generator | None], Tensor] = own_keep_mask,
    keep_prob_of: Callable[[float], float] = keep_probability,
    survivors: Callable[[Tensor, Tensor, float], Tensor] = rescale_survivors,
    skips_the_draw: Callable[[float, bool], bool] = nothing_to_draw,
) -> Callable[..., tuple[Tensor, Tensor]]:
    """The protocol's `dropout(x, p, *, training, generator) -> (out, keep_mask)`, from the steps given.

    With every default it behaves as impls.torch_ref.dropout: x is checked by the reference itself, p by
    `accept_p`; where `skips_the_draw` (eval, p = 0) it is the identity with an all-True mask; otherwise it draws
    `keep_mask` and returns `survivors(x, mask, keep_prob_of(p))`.
    """

    def dropout(x: Tensor, p: float = 0.5, *, training: bool = True, generator: torch.Generator | None = None):
        identity, kept_all = torch_reference(x, 0.0, training=False)  # the reference's own check of x
        p = accept_p(p)
        if skips_the_draw(p, check_bool("dropout", "training", training)):
            return identity, kept_all
        mask = keep_mask(x, p, generator)
        return survivors(x, mask, keep_prob_of(p)), mask

    return dropout


def numpy_dropout_with_p_interval(closed: str) -> Callable[..., tuple[np.ndarray, dict]]:
    """The NumPy reference's dropout_forward, with p checked on [0, 1] closed only where `closed` says
    (impls.validation.check_in_range: "both", "low", "high" or "neither")."""

    def dropout_forward(x: np.ndarray, p: float = 0.5, *, training: bool = True,
                        generator: np.random.Generator | None = None) -> tuple[np.ndarray, dict]:
        check_in_range("dropout", "p", p, 0.0, 1.0, closed=closed)
        return numpy_reference_forward(x, p, training=training, generator=generator)

    return dropout_forward
