"""Defect (NumPy layer): p is validated on [0, 1), so the valid edge p = 1 (drop everything) raises."""

from __future__ import annotations

import numpy as np

from impls.numpy_ref.dropout import dropout_backward
from impls.numpy_ref.dropout import dropout_forward as reference_forward
from impls.validation import check_in_range

BACKEND = "numpy"
__all__ = ["dropout_forward", "dropout_backward"]


def dropout_forward(x: np.ndarray, p: float = 0.5, *, training: bool = True,
                    generator: np.random.Generator | None = None) -> tuple[np.ndarray, dict]:
    check_in_range("dropout", "p", p, 0.0, 1.0, closed="low")  # the mistake: closed="both"
    return reference_forward(x, p, training=training, generator=generator)
