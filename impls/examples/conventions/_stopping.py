"""One early-stopping rule, parametrised by the two conventions, for the example targets beside it.

Each example declares its conventions (EARLYSTOPPING_CONVENTIONS) and gets its class from that declaration with
`stopper_for`, so what a file says it follows and what it does cannot drift apart.
"""

from __future__ import annotations

import copy
import math


class Stopper:
    def __init__(self, patience: int, *, min_delta: float = 0.0, mode: str = "min", restore_best: bool = True,
                 patience_zero: str = "rejected", inclusive: bool = False) -> None:
        if patience < 0 or (patience == 0 and patience_zero == "rejected"):
            raise ValueError(f"EarlyStopping: patience must be ≥ 1, got {patience!r}")
        self.patience, self.min_delta, self.sign = patience, min_delta, 1.0 if mode == "min" else -1.0
        self.never = patience == 0 and patience_zero == "never_stop"
        self.inclusive, self.counter = inclusive, 0
        self.best_metric, self.best_epoch, self.best_state, self._epoch = math.inf * self.sign, None, None, 0

    def step(self, metric: float, state) -> bool:
        gain = self.sign * (self.best_metric - metric)
        improved = gain >= self.min_delta if self.inclusive and self.best_epoch is not None else gain > self.min_delta
        if improved:
            self.best_metric, self.best_epoch, self.counter = metric, self._epoch, 0
            self.best_state = copy.deepcopy(state)
        else:
            self.counter += 1
        self._epoch += 1
        return not self.never and self.counter >= max(self.patience, 1)


def stopper_for(declared: dict[str, tuple[str, ...]]) -> type[Stopper]:
    """An EarlyStopping class that follows the declared patience_zero and min_delta conventions (defaults:
    patience = 0 rejected, an improvement must exceed min_delta)."""
    patience_zero = declared.get("patience_zero", ("rejected",))[0]
    inclusive = declared.get("min_delta", ("exceeds",))[0] == "at_least"

    class EarlyStopping(Stopper):
        def __init__(self, patience, *, min_delta=0.0, mode="min", restore_best=True):
            super().__init__(patience, min_delta=min_delta, mode=mode, restore_best=restore_best,
                             patience_zero=patience_zero, inclusive=inclusive)

    return EarlyStopping
