"""Buggy CS231n dropout: dropout_param['seed'] is ignored, so no run can be replayed."""

import numpy as np
from cs231n_correct import *  # noqa: F403 - every other layer is the correct one


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    mask = None  # the mistake: no np.random.seed(dropout_param['seed'])
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    else:
        out = x
    return out, (dropout_param, mask)
