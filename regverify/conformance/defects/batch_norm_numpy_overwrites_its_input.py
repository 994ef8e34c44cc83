"""Defect (NumPy layer): the forward centres x in place (x -= μ), changing the caller's activations."""

from __future__ import annotations

import numpy as np

from impls.numpy_ref.normalization import batch_norm_backward
from impls.numpy_ref.normalization import batch_norm_forward as reference_forward

BACKEND = "numpy"
__all__ = ["batch_norm_forward", "batch_norm_backward"]


def batch_norm_forward(x: np.ndarray, *args, training: bool = True, **kwargs):
    out, cache = reference_forward(x, *args, training=training, **kwargs)
    if training:
        x -= x.mean(axis=cache["axes"], keepdims=True)  # the mistake: in place
    return out, cache
