"""Defect: an epoch counts as improving when its improvement is >= min_delta, so with min_delta = 0 a tie resets the counter."""

from regverify.conformance.defects.parts.early_stopping import StagedEarlyStopping

BACKEND = "numpy"
__all__ = ["EarlyStopping"]


class EarlyStopping(StagedEarlyStopping):
    def is_improvement(self, metric: float) -> bool:
        return self.improvement(metric) >= self.min_delta  # the mistake: > min_delta
