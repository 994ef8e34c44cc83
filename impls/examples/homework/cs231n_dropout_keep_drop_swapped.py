"""Buggy CS231n dropout: p is dropped, but survivors are scaled by 1/p as if p were kept (keep/drop swapped)."""

import numpy as np
from cs231n_correct import *  # noqa: F403 - every other layer is the correct one


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) >= p) / p  # the mistake: drops with probability p, scales by 1/p
        out = x * mask
    else:
        out = x
    return out, (dropout_param, mask)
