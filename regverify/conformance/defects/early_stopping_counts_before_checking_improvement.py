"""Defect: the patience counter is incremented and checked before the improvement test, so with patience = 1 the
run stops on an epoch that improved (the check "counter >= patience" comes first, the reset too late)."""

from typing import Any

from regverify.conformance.defects.parts.early_stopping import StagedEarlyStopping

BACKEND = "numpy"
__all__ = ["EarlyStopping"]


class EarlyStopping(StagedEarlyStopping):
    def judge(self, metric: float, state: Any) -> bool:
        self.counter += 1
        self.stopped = self.out_of_patience()  # the mistake: judged before this epoch's improvement resets it
        if not self.stopped and self.is_improvement(metric):
            self.remember_best(metric, state)
        return self.stopped
