"""Buggy CS231n dropout: p is dropped, but survivors are scaled by 1/p as if p were kept (keep/drop swapped)."""

import numpy as np
from cs231n_correct import *  # noqa: F403 - every other layer is the correct one


def dropout_forward(x, dropout_param):
    keep_prob, mode = dropout_param["p"], dropout_param["mode"]
    if dropout_param.get("seed") is not None:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        # the mistake: binomial(1, 1 - p) keeps with probability 1 - p, yet the survivors are scaled by 1/p
        mask = np.random.binomial(1, 1 - keep_prob, size=x.shape) / keep_prob
        out = x * mask
    elif mode == "test":
        out = x
    return out, (dropout_param, mask)
