"""Buggy CS231n batch norm: the running averages keep (1 - momentum) of the old value instead of momentum."""

import numpy as np
from cs231n_correct import *  # noqa: F403 - every other layer is the correct one
from cs231n_correct import batchnorm_forward as _correct_forward


def batchnorm_forward(x, gamma, beta, bn_param):
    old_mean, old_var = bn_param["running_mean"], bn_param["running_var"]
    out, cache = _correct_forward(x, gamma, beta, bn_param)
    if bn_param["mode"] == "train":
        momentum = bn_param.get("momentum", 0.9)
        # the mistake: PyTorch's formula with CS231n's momentum (0.9 would keep only 10% of the history)
        bn_param["running_mean"] = (1 - momentum) * old_mean + momentum * x.mean(axis=0)
        bn_param["running_var"] = (1 - momentum) * old_var + momentum * np.var(x, axis=0)
    return out, cache
