"""The reference EarlyStopping with its epoch rule split into the steps a defect can get wrong one at a time."""

from __future__ import annotations

import copy
from typing import Any

from impls.numpy_ref.augmentation import EarlyStopping as Reference
from impls.validation import check_real


class StagedEarlyStopping(Reference):
    """Behaves as the reference; `step` runs `judge`, which `tally`s the epoch (`is_improvement` ->
    `remember_best`, else one more epoch without improvement) and then asks `out_of_patience`."""

    def step(self, metric: float, state: Any = None) -> bool:
        metric = check_real("EarlyStopping.step", "metric", metric)
        self.epoch += 1
        return self.judge(metric, state)

    def judge(self, metric: float, state: Any) -> bool:
        self.tally(metric, state)
        self.stopped = self.out_of_patience()
        return self.stopped

    def tally(self, metric: float, state: Any) -> None:
        if not self.is_improvement(metric):
            self.counter += 1
            return
        self.remember_best(metric, state)

    def is_improvement(self, metric: float) -> bool:
        return self.improvement(metric) > self.min_delta

    def remember_best(self, metric: float, state: Any) -> None:
        self.best_metric, self.best_epoch, self.counter = metric, self.epoch, 0
        self.best_state = self.saved(state) if self.restore_best else None

    def saved(self, state: Any) -> Any:
        """What is kept of the best epoch's state: a deep copy, because the caller goes on training the live one."""
        return copy.deepcopy(state)

    def out_of_patience(self) -> bool:
        return self.counter >= self.patience
