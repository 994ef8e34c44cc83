"""Buggy CS231n dropout: the cache keeps the 0/1 mask and backward forgets the 1/p scale."""

import numpy as np
from cs231n_correct import *  # noqa: F403 - every other layer is the correct one


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = np.random.rand(*x.shape) < p
        out = x * mask / p
    else:
        out = x
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask  # the mistake: the forward divided by p, so must the backward
    return dout
