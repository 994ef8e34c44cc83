"""Alpha dropout whose domain stops short of p = 1 (Keras checks 0 ≤ rate < 1): at p = 1 no affine correction
(a, b) keeps mean 0 and variance 1, since a = 1/sqrt((1-p)(1 + p·α'²)) is undefined, so p = 1 is a ValueError."""

import math

import torch

BACKEND = "torch"
ALPHA_DROPOUT_CONVENTIONS = {"p_one": ("rejected",)}
SELU_SATURATION = -1.0507009873554805 * 1.6732632423543772  # α' = -λα, where SELU saturates


def alpha_dropout(x: torch.Tensor, p: float = 0.5, *, training: bool = True, generator: torch.Generator | None = None):
    if not 0.0 <= p < 1.0:
        raise ValueError(f"alpha_dropout: p must be in [0, 1), got {p!r}")
    survived = torch.ones_like(x, dtype=torch.bool)
    if training and p > 0.0:
        survived = torch.rand(x.shape, generator=generator, device=x.device) >= p
    if not training or p == 0.0:
        return x.clone(), survived
    scale = (1 - p) ** -0.5 / math.sqrt(1 + p * SELU_SATURATION**2)
    shift = -scale * SELU_SATURATION * p
    return scale * x.masked_fill(~survived, SELU_SATURATION) + shift, survived
