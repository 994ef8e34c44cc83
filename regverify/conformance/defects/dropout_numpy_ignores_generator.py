"""Defect (NumPy layer): the mask is drawn from a fresh default_rng() instead of the generator passed in."""

from __future__ import annotations

import numpy as np

from impls.numpy_ref.dropout import dropout_backward
from impls.numpy_ref.dropout import dropout_forward as reference_forward

BACKEND = "numpy"
__all__ = ["dropout_forward", "dropout_backward"]


def dropout_forward(x: np.ndarray, p: float = 0.5, *, training: bool = True,
                    generator: np.random.Generator | None = None) -> tuple[np.ndarray, dict]:
    return reference_forward(x, p, training=training, generator=np.random.default_rng())  # the mistake
