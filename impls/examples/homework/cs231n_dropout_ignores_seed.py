"""Buggy CS231n dropout: dropout_param['seed'] is ignored, so no run can be replayed."""

import numpy as np
from cs231n_correct import *  # noqa: F403 - every other layer is the correct one


def dropout_forward(x, dropout_param):
    out, mask = x, None  # test mode: the identity
    if dropout_param["mode"] == "train":
        p = dropout_param["p"]
        mask = (np.random.rand(*x.shape) < p) / p  # the mistake: no np.random.seed(dropout_param["seed"]) first
        out = x * mask
    return out, (dropout_param, mask)
