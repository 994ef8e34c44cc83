"""Early stopping where patience = 0 turns early stopping off."""

from impls.examples.conventions._stopping import Stopper

BACKEND = "torch"
EARLYSTOPPING_CONVENTIONS = {"patience_zero": ("never_stop",)}


class EarlyStopping(Stopper):
    def __init__(self, patience, *, min_delta=0.0, mode="min", restore_best=True):
        super().__init__(patience, min_delta=min_delta, mode=mode, restore_best=restore_best,
                         patience_zero="never_stop", inclusive=False)
