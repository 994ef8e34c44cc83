"""Defect: restore_best keeps a reference to the live state instead of a deep copy, so the "best" weights keep training."""

from typing import Any

from regverify.conformance.defects.parts.early_stopping import StagedEarlyStopping

BACKEND = "numpy"
__all__ = ["EarlyStopping"]


class EarlyStopping(StagedEarlyStopping):
    def saved(self, state: Any) -> Any:
        return state  # the mistake: copy.deepcopy(state)
