"""Buggy CS231n dropout: the cache keeps the 0/1 mask and backward forgets the 1/p scale."""

import numpy as np
from cs231n_correct import *  # noqa: F403 - every other layer is the correct one


def dropout_forward(x, dropout_param):
    mode = dropout_param["mode"]
    seed = dropout_param.get("seed", None)
    if seed is not None:
        np.random.seed(seed)
    if mode == "train":
        keep = dropout_param["p"]
        mask = np.random.uniform(0.0, 1.0, size=x.shape) < keep
        return x * mask / keep, (dropout_param, mask)
    return x, (dropout_param, None)


def dropout_backward(dout, cache):
    _, mask = cache
    if mask is None:  # test mode: the forward was the identity
        return dout
    return dout * mask  # the mistake: the forward divided by p, so must the backward
