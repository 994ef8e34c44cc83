"""Defect (NumPy layer): the backward pass returns the upstream gradient unmasked (and unscaled)."""

from __future__ import annotations

import numpy as np

from impls.numpy_ref.dropout import dropout_forward

BACKEND = "numpy"
__all__ = ["dropout_forward", "dropout_backward"]


def dropout_backward(dout: np.ndarray, cache: dict) -> np.ndarray:
    return dout.copy()  # the mistake: dropped units got no output, so they must get no gradient
