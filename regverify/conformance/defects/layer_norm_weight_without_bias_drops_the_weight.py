"""Defect: layer norm with a weight but no bias (bias=False) skips the whole affine step, so the weight is ignored:
the elementwise_affine branch tested only "both or neither"."""

from __future__ import annotations

import torch

from impls.torch_ref import normalization as reference

BACKEND = "torch"
OPTIONAL_AFFINE = ("layer_norm",)


def layer_norm(x: torch.Tensor, normalized_shape, gamma, beta, *, eps: float = 1e-5) -> torch.Tensor:
    if beta is None:
        return reference.layer_norm(x, normalized_shape, None, None, eps=eps)  # the mistake: gamma dropped with beta
    return reference.layer_norm(x, normalized_shape, gamma, beta, eps=eps)
