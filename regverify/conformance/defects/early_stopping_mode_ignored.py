"""Defect: mode="max" is accepted but ignored; every metric is minimized (option ignored)."""

from __future__ import annotations

import math

from impls.numpy_ref.augmentation import EarlyStopping as Reference

BACKEND = "numpy"
__all__ = ["EarlyStopping"]


class EarlyStopping(Reference):
    def __init__(self, patience: int, *, min_delta: float = 0.0, mode: str = "min", restore_best: bool = True) -> None:
        super().__init__(patience, min_delta=min_delta, mode=mode, restore_best=restore_best)
        self.mode, self.best_metric = "min", math.inf  # the mistake: the chosen mode is dropped
