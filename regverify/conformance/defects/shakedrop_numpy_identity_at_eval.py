"""Defect: ShakeDrop returns x in eval, forgetting the test-time rule E[b + α - bα]·x = (1 - p)·x."""

from __future__ import annotations

import numpy as np

from impls.numpy_ref import shakedrop_backward, shakedrop_forward

BACKEND = "numpy"
__all__ = ["shakedrop_backward", "shakedrop_forward"]


def shakedrop_forward(x: np.ndarray, p: float = 0.5, *, training: bool = True, generator=None, **ranges):  # noqa: F811
    from impls.numpy_ref.shakedrop import shakedrop_forward as reference

    out, cache = reference(x, p, training=training, generator=generator, **ranges)
    if not training:
        return x.copy(), {"mask": None, "training": False, "scale": x.dtype.type(1.0)}  # the mistake
    return out, cache
