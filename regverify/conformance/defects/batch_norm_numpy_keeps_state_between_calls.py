"""Defect (NumPy layer): the first training batch's mean is kept per channel count and reused for every later batch."""

from __future__ import annotations

import numpy as np

from impls.numpy_ref.normalization import batch_norm_backward as reference_backward
from impls.numpy_ref.normalization import batch_norm_forward as reference_forward

BACKEND = "numpy"
__all__ = ["batch_norm_forward", "batch_norm_backward"]

_first_mean: dict[int, np.ndarray] = {}  # the mistake: state that outlives the batch it came from


def batch_norm_forward(x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, running_mean, running_var, *,
                       training: bool = True, eps: float = 1e-5, **kwargs):
    out, cache = reference_forward(x, gamma, beta, running_mean, running_var, training=training, eps=eps, **kwargs)
    if not training:
        return out, cache
    axes, per_channel = cache["axes"], cache["per_channel"]
    mean = _first_mean.setdefault(x.shape[1], x.mean(axis=axes))
    centered = x - mean.reshape(per_channel)
    inv_std = 1.0 / np.sqrt((centered * centered).mean(axis=axes) + eps)
    x_hat = centered * inv_std.reshape(per_channel)
    out = gamma.reshape(per_channel) * x_hat + beta.reshape(per_channel)
    return out, {**cache, "x_hat": x_hat, "inv_std": inv_std}


batch_norm_backward = reference_backward
