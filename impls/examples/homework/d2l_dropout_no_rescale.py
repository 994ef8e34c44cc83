"""Buggy d2l-style dropout: the survivors are not divided by 1 - dropout."""

import torch


def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1:
        return torch.zeros_like(X)
    mask = (torch.rand(X.shape) > dropout).to(X.dtype)
    return mask * X  # the mistake: no / (1.0 - dropout)
