"""Early stopping where an improvement of exactly min_delta counts (best − metric ≥ min_delta)."""

from impls.examples.conventions._stopping import Stopper

BACKEND = "torch"
EARLYSTOPPING_CONVENTIONS = {"min_delta": ("at_least",)}


class EarlyStopping(Stopper):
    def __init__(self, patience, *, min_delta=0.0, mode="min", restore_best=True):
        super().__init__(patience, min_delta=min_delta, mode=mode, restore_best=restore_best,
                         patience_zero="rejected", inclusive=True)
