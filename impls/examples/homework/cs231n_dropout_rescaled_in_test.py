"""Buggy CS231n dropout: inverted in training, and scaled by p again at test time (two conventions mixed)."""

import numpy as np
from cs231n_correct import *  # noqa: F403 - every other layer is the correct one


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    else:
        out = x * p  # the mistake: the training-time 1/p already makes test time the identity
    return out, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        return dout * mask
    return dout * dropout_param["p"]
