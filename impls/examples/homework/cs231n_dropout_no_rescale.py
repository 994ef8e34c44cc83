"""Buggy CS231n dropout: survivors are not rescaled by 1/p (standard dropout, without its test-time rule)."""

import numpy as np
from cs231n_correct import *  # noqa: F403 - every other layer is the correct one


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = np.random.rand(*x.shape) < p  # the mistake: no division by p
        out = x * mask
    else:
        out = x
    return out, (dropout_param, mask)
