"""Buggy CS231n batch norm: backward forgets that the batch mean depends on x (drops -Σ dx̂)."""

import numpy as np
from cs231n_correct import *  # noqa: F403 - every other layer is the correct one


def batchnorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache
    N = dout.shape[0]
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dxhat = dout * gamma
    # through the graph step by step: x_hat = xmu * inv_std, xmu = x - mu, inv_std = (var + eps) ** -0.5
    xmu = x_hat / inv_std
    dvar = np.sum(dxhat * xmu, axis=0) * -0.5 * inv_std ** 3
    dxmu = dxhat * inv_std + dvar * 2.0 * xmu / N
    dx = dxmu  # the mistake: mu depends on x too; its branch, -np.sum(dxmu, axis=0) / N, is missing
    return dx, dgamma, dbeta
