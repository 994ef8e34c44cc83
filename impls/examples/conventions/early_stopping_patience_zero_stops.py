"""Early stopping where Keras 3 and Lightning: patience = 0 stops at the first epoch that does not improve."""

from impls.examples.conventions._stopping import Stopper

BACKEND = "torch"
EARLYSTOPPING_CONVENTIONS = {"patience_zero": ("stop_at_first_non_improvement",)}


class EarlyStopping(Stopper):
    def __init__(self, patience, *, min_delta=0.0, mode="min", restore_best=True):
        super().__init__(patience, min_delta=min_delta, mode=mode, restore_best=restore_best,
                         patience_zero="stop_at_first_non_improvement", inclusive=False)
