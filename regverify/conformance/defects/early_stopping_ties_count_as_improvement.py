"""Defect: an epoch counts as improving when its improvement is >= min_delta, so with min_delta = 0 a tie resets the counter."""

from __future__ import annotations

import copy
from typing import Any

from impls.numpy_ref.augmentation import EarlyStopping as Reference
from impls.validation import check_real

BACKEND = "numpy"
__all__ = ["EarlyStopping"]


class EarlyStopping(Reference):
    def step(self, metric: float, state: Any = None) -> bool:
        metric = check_real("EarlyStopping.step", "metric", metric)
        self.epoch += 1
        if self.improvement(metric) >= self.min_delta:  # the mistake: > min_delta
            self.best_metric, self.best_epoch = metric, self.epoch
            self.best_state = copy.deepcopy(state) if self.restore_best else None
            self.counter = 0
        else:
            self.counter += 1
        self.stopped = self.counter >= self.patience
        return self.stopped
