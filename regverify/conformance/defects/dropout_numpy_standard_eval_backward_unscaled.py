"""Defect (NumPy layer): standard dropout's eval-mode backward forgets the 1-p factor (cache scale 1 in eval).

Found by mutation testing (reports/mutation.md, cause M): the forward in eval is right, only the gradient
of the eval-mode layer is wrong, and every backward property runs in training mode.
"""

from __future__ import annotations

import numpy as np

from impls.numpy_ref.dropout import dropout_standard_backward
from impls.numpy_ref.dropout import dropout_standard_forward as reference_forward

BACKEND = "numpy"
__all__ = ["dropout_standard_forward", "dropout_standard_backward"]


def dropout_standard_forward(x: np.ndarray, p: float = 0.5, *, training: bool = True,
                             generator: np.random.Generator | None = None) -> tuple[np.ndarray, dict]:
    out, cache = reference_forward(x, p, training=training, generator=generator)
    if not training:
        cache = {**cache, "scale": 1.0}  # the mistake: the eval cache must carry 1 - p for the backward
    return out, cache
