"""A torch target whose dropout raises from inside a helper of its own (the error must be shown with its location)."""

BACKEND = "torch"


def _scale(x, keep):
    raise RuntimeError("fault injected: the user's helper failed")


def dropout(x, p=0.5, *, training=True, generator=None):
    return _scale(x, 1 - p), None
