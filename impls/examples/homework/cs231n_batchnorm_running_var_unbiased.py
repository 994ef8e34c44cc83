"""Buggy CS231n batch norm: the running variance averages the unbiased batch variance (÷(N-1))."""

import numpy as np
from cs231n_correct import *  # noqa: F403 - every other layer is the correct one
from cs231n_correct import batchnorm_forward as _correct_forward


def batchnorm_forward(x, gamma, beta, bn_param):
    old_var = bn_param["running_var"]
    out, cache = _correct_forward(x, gamma, beta, bn_param)
    if bn_param["mode"] == "train":
        momentum = bn_param.get("momentum", 0.9)
        # the mistake: CS231n's running variance uses the same biased estimate as the normalization
        bn_param["running_var"] = momentum * old_var + (1 - momentum) * np.var(x, axis=0, ddof=1)
    return out, cache
