"""Defect (NumPy layer): p is validated on the open interval (0, 1), so the valid edge p = 0 raises."""

from __future__ import annotations

import numpy as np

from impls.numpy_ref.dropout import dropout_backward
from impls.numpy_ref.dropout import dropout_forward as reference_forward
from impls.validation import check_in_range

BACKEND = "numpy"
__all__ = ["dropout_forward", "dropout_backward"]


def dropout_forward(x: np.ndarray, p: float = 0.5, *, training: bool = True,
                    generator: np.random.Generator | None = None) -> tuple[np.ndarray, dict]:
    check_in_range("dropout", "p", p, 0.0, 1.0, closed="high")  # the mistake: closed="both"
    return reference_forward(x, p, training=training, generator=generator)
