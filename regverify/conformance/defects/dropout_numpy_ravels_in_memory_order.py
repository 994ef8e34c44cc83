"""Defect: the NumPy dropout flattens with x.ravel(order="K") (memory order, to avoid a copy) and reshapes back in
C order: for a transposed (Fortran-ordered) input the output is the input's transpose, masked."""

from __future__ import annotations

import numpy as np

from impls.numpy_ref.dropout import dropout_backward  # noqa: F401 - the backward of the reference is right
from impls.validation import check_bool, check_probability

BACKEND = "numpy"


def dropout_forward(x: np.ndarray, p: float = 0.5, *, training: bool = True, generator=None):
    p = check_probability("dropout", "p", p)
    training = check_bool("dropout", "training", training)
    if not training or p == 0.0:
        return x.copy(), {"mask": np.ones(x.shape, dtype=bool), "scale": 1.0}
    flat = x.ravel(order="K")  # the mistake: memory order, then reshaped in C order below
    mask = generator.random(flat.shape, dtype=np.float32) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    with np.errstate(over="ignore"):
        out = np.where(mask, flat * x.dtype.type(scale), x.dtype.type(0)).reshape(x.shape)
    return out, {"mask": mask.reshape(x.shape), "scale": scale}
