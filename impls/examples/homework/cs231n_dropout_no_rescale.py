"""Buggy CS231n dropout: survivors are not rescaled by 1/p (standard dropout, without its test-time rule)."""

import numpy as np
from cs231n_correct import *  # noqa: F403 - every other layer is the correct one


def dropout_forward(x, dropout_param):
    seed = dropout_param.get("seed")
    if seed is not None:
        np.random.seed(seed)
    if dropout_param["mode"] == "test":
        return x, (dropout_param, None)
    keep = np.random.rand(*x.shape) < dropout_param["p"]
    return x * keep, (dropout_param, keep)  # the mistake: no division by p
