"""Buggy d2l-style dropout: the survivors are not divided by 1 - dropout."""

import torch


def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    keep = torch.rand(X.shape) >= dropout  # each unit survives with probability 1 - dropout
    return X * keep  # the mistake: the survivors must be divided by 1 - dropout
