"""Defect (NumPy layer): the training backward forgets that μ_B depends on x (drops the -Σdout term)."""

from __future__ import annotations

import numpy as np

from impls.numpy_ref.normalization import batch_norm_backward as reference_backward
from impls.numpy_ref.normalization import batch_norm_forward

BACKEND = "numpy"
__all__ = ["batch_norm_forward", "batch_norm_backward"]


def batch_norm_backward(dout: np.ndarray, cache: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dx, dgamma, dbeta = reference_backward(dout, cache)
    if cache["training"]:
        axes, per_channel, x_hat = cache["axes"], cache["per_channel"], cache["x_hat"]
        g = dout.astype(x_hat.dtype)
        m = cache["count"]
        scale = cache["gamma"] * cache["inv_std"].reshape(per_channel)
        # The mistake: m·dout - x̂·Σ(dout·x̂), without - Σdout.
        dx = (scale / m * (m * g - x_hat * (g * x_hat).sum(axis=axes).reshape(per_channel))).astype(dx.dtype)
    return dx, dgamma, dbeta
