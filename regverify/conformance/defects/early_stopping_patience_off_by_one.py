"""Defect: training stops when the patience counter exceeds patience (counter > patience), one epoch late."""

from __future__ import annotations

from typing import Any

from impls.numpy_ref.augmentation import EarlyStopping as Reference

BACKEND = "numpy"
__all__ = ["EarlyStopping"]


class EarlyStopping(Reference):
    def step(self, metric: float, state: Any = None) -> bool:
        super().step(metric, state)
        self.stopped = self.counter > self.patience  # the mistake: counter >= patience
        return self.stopped
