"""Defect (NumPy layer): survivors are not rescaled, out = x·mask: standard dropout without its test-time rule."""

from __future__ import annotations

import numpy as np

from impls.numpy_ref.dropout import dropout_forward as reference_forward

BACKEND = "numpy"
__all__ = ["dropout_forward", "dropout_backward"]


def dropout_forward(x: np.ndarray, p: float = 0.5, *, training: bool = True, generator=None):
    out, cache = reference_forward(x, p, training=training, generator=generator)
    # The mistake: the mask is applied, the 1/(1-p) is not (eval stays the identity).
    return np.where(cache["mask"], x, x.dtype.type(0)), {**cache, "scale": 1.0}


def dropout_backward(dout: np.ndarray, cache: dict) -> np.ndarray:
    return np.where(cache["mask"], dout, dout.dtype.type(0))
