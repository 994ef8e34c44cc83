"""Early stopping as in Keras 3 and Lightning: patience = 0 stops at the first epoch that does not improve."""

from impls.examples.conventions._stopping import stopper_for

BACKEND = "torch"
EARLYSTOPPING_CONVENTIONS = {"patience_zero": ("stop_at_first_non_improvement",)}
EarlyStopping = stopper_for(EARLYSTOPPING_CONVENTIONS)
