"""Buggy CS231n batch norm: backward forgets that the batch mean depends on x (drops -Σ dx̂)."""

from cs231n_correct import *  # noqa: F403 - every other layer is the correct one


def batchnorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx_hat = dout * gamma
    dx = inv_std / n * (n * dx_hat - x_hat * (dx_hat * x_hat).sum(axis=0))  # the mistake: no - dx_hat.sum(axis=0)
    return dx, dgamma, dbeta
