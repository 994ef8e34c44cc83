"""Correct class-based NumPy layers in the week-6 lecture's style (forward/backward, a `training` flag),
written for regverify's tests. Dropout(p) takes the drop probability; BatchNorm uses PyTorch's momentum.

    regverify check impls/examples/homework/layer_class_correct.py
"""

import numpy as np


class Dropout:
    def __init__(self, p=0.5):
        self.p, self.training, self.mask = p, True, None

    def forward(self, x):
        self.mask = None  # stays None in eval mode, where dropout is the identity
        if not self.training:
            return x
        keep = 1.0 - self.p
        survivors = np.random.rand(*x.shape) >= self.p
        self.mask = survivors * (1.0 / keep) if keep > 0 else np.zeros(x.shape)
        return x * self.mask

    def backward(self, grad_output):
        if self.mask is None:  # the last forward ran in eval mode: the identity
            return grad_output
        return grad_output * self.mask


class BatchNorm:
    def __init__(self, num_features, momentum=0.1, eps=1e-5):
        self.momentum, self.eps, self.training = momentum, eps, True
        self.gamma, self.beta = np.ones(num_features), np.zeros(num_features)
        self.running_mean, self.running_var = np.zeros(num_features), np.ones(num_features)

    def forward(self, x):
        self.used_batch_statistics = self.training
        if not self.training:
            mean, var = self.running_mean, self.running_var
        else:
            mean, var = x.mean(axis=0), x.var(axis=0)
            # PyTorch's momentum is the weight of the new batch (new arrays: the old ones may be someone else's)
            self.running_mean = self.momentum * mean + (1 - self.momentum) * self.running_mean
            self.running_var = self.momentum * var + (1 - self.momentum) * self.running_var
        self.inv_std = 1.0 / np.sqrt(var + self.eps)
        self.x_norm = (x - mean) * self.inv_std
        return self.gamma * self.x_norm + self.beta

    def backward(self, grad_output):
        self.dbeta = grad_output.sum(axis=0)
        self.dgamma = (grad_output * self.x_norm).sum(axis=0)
        g = grad_output * self.gamma
        if not self.used_batch_statistics:  # eval: mean and variance are constants
            return g * self.inv_std
        m = grad_output.shape[0]
        return self.inv_std / m * (m * g - g.sum(axis=0) - self.x_norm * (g * self.x_norm).sum(axis=0))


class LayerNorm:
    def __init__(self, num_features, eps=1e-5):
        self.gamma, self.beta = np.ones(num_features), np.zeros(num_features)
        self.eps, self.training = eps, True

    def forward(self, x):
        # Each sample's statistics over its own features (axis 1), the same in training and eval.
        centred = x - x.mean(axis=1, keepdims=True)
        self.inv_std = 1.0 / np.sqrt((centred ** 2).mean(axis=1, keepdims=True) + self.eps)
        self.x_norm = centred * self.inv_std
        return self.x_norm * self.gamma + self.beta

    def backward(self, grad_output):
        g = grad_output * self.gamma
        self.dgamma, self.dbeta = (grad_output * self.x_norm).sum(axis=0), grad_output.sum(axis=0)
        # Per sample: dx = (g - mean(g) - x_norm·mean(g·x_norm)) / std, the means over that sample's features.
        centred = g - g.mean(axis=1, keepdims=True)
        return (centred - self.x_norm * (g * self.x_norm).mean(axis=1, keepdims=True)) * self.inv_std
