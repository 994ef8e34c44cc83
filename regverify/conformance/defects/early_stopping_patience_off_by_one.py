"""Defect: training stops when the patience counter exceeds patience (counter > patience), one epoch late."""

from regverify.conformance.defects.parts.early_stopping import StagedEarlyStopping

BACKEND = "numpy"
__all__ = ["EarlyStopping"]


class EarlyStopping(StagedEarlyStopping):
    def out_of_patience(self) -> bool:
        return self.counter > self.patience  # the mistake: counter >= patience
