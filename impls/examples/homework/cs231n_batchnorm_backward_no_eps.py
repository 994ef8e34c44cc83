"""Buggy CS231n batch norm: backward recomputes 1/σ from the cached variance without ε."""

import numpy as np
from cs231n_correct import *  # noqa: F403 - every other layer is the correct one


def batchnorm_forward(x, gamma, beta, bn_param):
    mode, eps, momentum = bn_param["mode"], bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    running_mean, running_var = bn_param["running_mean"], bn_param["running_var"]
    cache = None
    if mode == "train":
        mu, var = x.mean(axis=0), x.var(axis=0)
        x_hat = (x - mu) / np.sqrt(var + eps)
        out = gamma * x_hat + beta
        bn_param["running_mean"] = momentum * running_mean + (1 - momentum) * mu
        bn_param["running_var"] = momentum * running_var + (1 - momentum) * var
        cache = (x, mu, var, gamma)
    else:
        out = gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta
    return out, cache


def batchnorm_backward(dout, cache):
    x, mu, var, gamma = cache
    std = np.sqrt(var)  # the mistake: the forward divided by sqrt(var + eps)
    x_hat = (x - mu) / std
    dgamma, dbeta = np.sum(dout * x_hat, axis=0), np.sum(dout, axis=0)
    g = dout * gamma
    dx = (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0)) / std
    return dx, dgamma, dbeta
