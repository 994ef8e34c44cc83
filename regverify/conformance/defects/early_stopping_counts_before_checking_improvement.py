"""Defect: the patience counter is incremented and checked before the improvement test, so with patience = 1 the
run stops on an epoch that improved (the check "counter >= patience" comes first, the reset too late)."""

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
        self.counter += 1
        if self.counter >= self.patience:  # the mistake: judged before this epoch's improvement resets it
            self.stopped = True
            return True
        if self.improvement(metric) > self.min_delta:
            self.best_metric, self.best_epoch = metric, self.epoch
            self.best_state = copy.deepcopy(state) if self.restore_best else None
            self.counter = 0
        self.stopped = False
        return False
