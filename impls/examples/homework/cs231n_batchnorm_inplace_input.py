"""Buggy CS231n batch norm: the forward centres and scales x in place, overwriting the layer's input."""

import numpy as np
from cs231n_correct import *  # noqa: F403 - every other layer is the correct one


def batchnorm_forward(x, gamma, beta, bn_param):
    mode, eps, momentum = bn_param["mode"], bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    cache = None
    if mode == "train":
        mu, var = x.mean(axis=0), x.var(axis=0)
        x -= mu  # the mistake: in place; the caller's activations are changed
        x /= np.sqrt(var + eps)
        out = gamma * x + beta
        bn_param["running_mean"] = momentum * bn_param["running_mean"] + (1 - momentum) * mu
        bn_param["running_var"] = momentum * bn_param["running_var"] + (1 - momentum) * var
        cache = (x.copy(), 1.0 / np.sqrt(var + eps), gamma)
    else:
        out = gamma * (x - bn_param["running_mean"]) / np.sqrt(bn_param["running_var"] + eps) + beta
    return out, cache
