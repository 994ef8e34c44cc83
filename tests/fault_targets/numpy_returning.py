"""A torch target that hands back NumPy arrays (the wrong return type must be named as such)."""

BACKEND = "torch"


def dropout(x, p=0.5, *, training=True, generator=None):
    return x.detach().cpu().numpy().copy(), None
