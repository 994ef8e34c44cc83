"""Buggy CS231n batch norm: the batch mean is computed once, stored in bn_param and reused on later batches."""

import numpy as np
from cs231n_correct import *  # noqa: F403 - every other layer is the correct one


def batchnorm_forward(x, gamma, beta, bn_param):
    mode, eps, momentum = bn_param["mode"], bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    cache = None
    if mode == "train":
        if "sample_mean" not in bn_param:  # the mistake: a "cache" that outlives the batch it came from
            bn_param["sample_mean"] = x.mean(axis=0)
        mu = bn_param["sample_mean"]
        var = ((x - mu) ** 2).mean(axis=0)
        inv_std = 1.0 / np.sqrt(var + eps)
        x_hat = (x - mu) * inv_std
        out = gamma * x_hat + beta
        bn_param["running_mean"] = momentum * bn_param["running_mean"] + (1 - momentum) * mu
        bn_param["running_var"] = momentum * bn_param["running_var"] + (1 - momentum) * var
        cache = (x_hat, inv_std, gamma)
    else:
        out = gamma * (x - bn_param["running_mean"]) / np.sqrt(bn_param["running_var"] + eps) + beta
    return out, cache
