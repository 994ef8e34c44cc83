"""A correct d2l-style dropout ("Dropout from scratch"), written for regverify's tests.

    regverify check impls/examples/homework/d2l_correct.py
"""

import torch


def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1:
        return torch.zeros_like(X)
    mask = (torch.rand(X.shape) > dropout).to(X.dtype)
    return mask * X / (1.0 - dropout)
