"""Early stopping where patience = 0 turns early stopping off."""

from impls.examples.conventions._stopping import stopper_for

BACKEND = "torch"
EARLYSTOPPING_CONVENTIONS = {"patience_zero": ("never_stop",)}
EarlyStopping = stopper_for(EARLYSTOPPING_CONVENTIONS)
