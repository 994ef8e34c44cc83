"""Defect (NumPy layer): standard dropout ignores training=False and keeps dropping without the 1-p eval scale."""

from __future__ import annotations

import numpy as np

from impls.numpy_ref.dropout import dropout_standard_backward
from impls.numpy_ref.dropout import dropout_standard_forward as reference_forward
from impls.validation import check_bool

BACKEND = "numpy"
__all__ = ["dropout_standard_forward", "dropout_standard_backward"]


def dropout_standard_forward(x: np.ndarray, p: float = 0.5, *, training: bool = True,
                             generator: np.random.Generator | None = None) -> tuple[np.ndarray, dict]:
    check_bool("dropout_standard", "training", training)
    return reference_forward(x, p, training=True, generator=generator)  # the mistake: training=training
