"""Defect (NumPy layer, CS231n's convention): the running variance averages the unbiased batch variance (÷(N-1)).

CS231n (and the week-6 lecture) average the same biased variance the normalization divides by.
"""

from __future__ import annotations

import numpy as np

from impls.numpy_ref.normalization import batch_norm_backward
from impls.numpy_ref.normalization import batch_norm_forward as reference_forward

BACKEND = "numpy"
BATCH_NORM_CONVENTIONS = {"momentum_convention": ("keras",), "var_estimator": ("biased",)}
__all__ = ["batch_norm_forward", "batch_norm_backward", "BATCH_NORM_CONVENTIONS"]


def batch_norm_forward(x: np.ndarray, *args, momentum_convention: str = "keras", var_estimator: str = "biased",
                       **kwargs):
    if momentum_convention != "keras" or var_estimator != "biased":
        raise ValueError(f"batch_norm: momentum_convention must be 'keras' and var_estimator 'biased' (CS231n), "
                         f"got {momentum_convention!r}, {var_estimator!r}")
    # The mistake: np.var(x, ddof=1) for the running variance.
    return reference_forward(x, *args, momentum_convention="keras", var_estimator="unbiased", **kwargs)
