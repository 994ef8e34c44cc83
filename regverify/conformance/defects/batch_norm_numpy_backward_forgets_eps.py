"""Defect (NumPy layer): the backward recomputes 1/σ from the batch variance without ε."""

from __future__ import annotations

import numpy as np

from impls.numpy_ref.normalization import batch_norm_backward as reference_backward
from impls.numpy_ref.normalization import batch_norm_forward as reference_forward

BACKEND = "numpy"
__all__ = ["batch_norm_forward", "batch_norm_backward"]


def batch_norm_forward(x: np.ndarray, *args, eps: float = 1e-5, **kwargs):
    out, cache = reference_forward(x, *args, eps=eps, **kwargs)
    return out, {**cache, "eps": eps}


def batch_norm_backward(dout: np.ndarray, cache: dict):
    if not cache["training"]:
        return reference_backward(dout, cache)
    # The mistake: 1/sqrt(σ²) where the forward used 1/sqrt(σ² + ε); x̂ is recomputed with it.
    var = 1.0 / cache["inv_std"] ** 2 - cache["eps"]
    inv_std = 1.0 / np.sqrt(np.maximum(var, np.finfo(var.dtype).tiny))
    x_hat = cache["x_hat"] * (inv_std / cache["inv_std"]).reshape(cache["per_channel"])
    return reference_backward(dout, {**cache, "inv_std": inv_std, "x_hat": x_hat})
