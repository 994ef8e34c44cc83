"""Machine epsilon by dtype name: the unit every derived tolerance in the suite is written in."""

from __future__ import annotations

import numpy as np


def eps(dtype: str) -> float:
    """Spacing of 1.0 in `dtype` ("float16", "bfloat16", "float32", "float64")."""
    if dtype == "bfloat16":
        return 2.0**-7
    return float(np.finfo(np.dtype(dtype)).eps)
