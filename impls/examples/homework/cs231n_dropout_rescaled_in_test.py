"""Buggy CS231n dropout: inverted in training, and scaled by p again at test time (two conventions mixed)."""

import numpy as np
from cs231n_correct import *  # noqa: F403 - every other layer is the correct one


def dropout_forward(x, dropout_param):
    p = dropout_param["p"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    if dropout_param["mode"] != "train":
        return x * p, (dropout_param, None)  # the mistake: the training-time /p already makes test time the identity
    u = np.random.random_sample(x.shape)
    mask = (u < p) / p  # inverted dropout: notice the /p
    return x * mask, (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    return dout * dropout_param["p"] if mask is None else dout * mask
