"""Defect (NumPy layer): standard dropout scales survivors by 1/(1-p) in training (inverted and standard conventions mixed)."""

from __future__ import annotations

import numpy as np

from impls.numpy_ref.dropout import dropout_standard_backward
from impls.numpy_ref.dropout import dropout_standard_forward as reference_forward

BACKEND = "numpy"
__all__ = ["dropout_standard_forward", "dropout_standard_backward"]


def dropout_standard_forward(x: np.ndarray, p: float = 0.5, *, training: bool = True,
                             generator: np.random.Generator | None = None) -> tuple[np.ndarray, dict]:
    out, cache = reference_forward(x, p, training=training, generator=generator)
    if training and p < 1.0:
        scale = 1.0 / (1.0 - p)  # the mistake: standard dropout keeps survivors unscaled
        out = np.where(cache["mask"], x * x.dtype.type(scale), x.dtype.type(0))
        cache = {**cache, "scale": scale}
    return out, cache
