"""Buggy CS231n layer norm: statistics over the batch axis (batch norm's axis) instead of each sample's."""

import numpy as np
from cs231n_correct import *  # noqa: F403 - every other layer is the correct one


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu = x.mean(axis=0)  # the mistake: axis=0 averages over samples
    var = x.var(axis=0)
    x_hat = (x - mu) / np.sqrt(var + eps)
    return gamma * x_hat + beta, (x_hat, 1.0 / np.sqrt(var + eps), gamma)


def layernorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache
    n = dout.shape[0]
    dbeta, dgamma = dout.sum(axis=0), (dout * x_hat).sum(axis=0)
    g = dout * gamma
    dx = inv_std / n * (n * g - g.sum(axis=0) - x_hat * (g * x_hat).sum(axis=0))
    return dx, dgamma, dbeta
