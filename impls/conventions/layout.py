"""Reshapes that let a layer written for (N, D) rows serve the protocol's other input layouts, exactly.

- Spatial batch norm of (N, C, H, W) is vanilla batch norm of the (N·H·W, C) rows (CS231n's own recipe).
- Layer norm over the trailing axes of any batch shape is layer norm of (prod(batch), prod(normalized)) rows.

Only transposes and reshapes: no arithmetic, so the results are bit for bit the layer's own.
"""

from __future__ import annotations

import numpy as np


def channels_last_rows(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> (N·H·W, C)."""
    return x.transpose(0, 2, 3, 1).reshape(-1, x.shape[1])


def channels_first(rows: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Inverse of channels_last_rows for an input of `shape` (N, C, H, W)."""
    n, c, h, w = shape
    return rows.reshape(n, h, w, c).transpose(0, 3, 1, 2)


def normalized_tuple(normalized_shape: object) -> tuple[int, ...]:
    if isinstance(normalized_shape, (int, np.integer)) and not isinstance(normalized_shape, bool):
        return (int(normalized_shape),)
    return tuple(normalized_shape)  # type: ignore[arg-type]


def feature_rows(x: np.ndarray, normalized: tuple[int, ...]) -> np.ndarray:
    """x of shape batch + normalized -> (prod(batch), prod(normalized)); a view where x allows it."""
    return x.reshape(-1, int(np.prod(normalized)) if normalized else 1)
