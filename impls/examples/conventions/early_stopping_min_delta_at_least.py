"""Early stopping where an improvement of exactly min_delta counts (best − metric ≥ min_delta)."""

from impls.examples.conventions._stopping import stopper_for

BACKEND = "torch"
EARLYSTOPPING_CONVENTIONS = {"min_delta": ("at_least",)}
EarlyStopping = stopper_for(EARLYSTOPPING_CONVENTIONS)
