"""Defect (NumPy layer): the backward pass applies the mask but forgets the 1/(1-p) scale."""

from __future__ import annotations

import numpy as np

from impls.numpy_ref.dropout import dropout_forward

BACKEND = "numpy"
__all__ = ["dropout_forward", "dropout_backward"]


def dropout_backward(dout: np.ndarray, cache: dict) -> np.ndarray:
    return np.where(cache["mask"], dout, dout.dtype.type(0))  # the mistake: dout * scale on survivors
