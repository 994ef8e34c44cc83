"""Defect: restore_best keeps a reference to the live state instead of a deep copy, so the "best" weights keep training."""

from __future__ import annotations

from typing import Any

from impls.numpy_ref.augmentation import EarlyStopping as Reference

BACKEND = "numpy"
__all__ = ["EarlyStopping"]


class EarlyStopping(Reference):
    def step(self, metric: float, state: Any = None) -> bool:
        improved_before = self.best_epoch
        stop = super().step(metric, state)
        if self.restore_best and self.best_epoch != improved_before:
            self.best_state = state  # the mistake: copy.deepcopy(state)
        return stop
