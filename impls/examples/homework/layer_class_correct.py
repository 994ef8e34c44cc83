"""Correct class-based NumPy layers in the week-6 lecture's style (forward/backward, a `training` flag),
written for regverify's tests. Dropout(p) takes the drop probability; BatchNorm uses PyTorch's momentum.

    regverify check impls/examples/homework/layer_class_correct.py
"""

import numpy as np


class Dropout:
    def __init__(self, p=0.5):
        self.p = p
        self.training = True
        self.mask = None

    def forward(self, x):
        if not self.training:
            self.mask = None
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
        self.gamma = np.ones(num_features)
        self.beta = np.zeros(num_features)
        self.running_mean = np.zeros(num_features)
        self.running_var = np.ones(num_features)
        self.momentum = momentum
        self.eps = eps
        self.training = True

    def forward(self, x):
        if self.training:
            mean = x.mean(axis=0)
            var = x.var(axis=0)
            self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mean
            self.running_var = (1 - self.momentum) * self.running_var + self.momentum * var
        else:
            mean, var = self.running_mean, self.running_var
        self.inv_std = 1.0 / np.sqrt(var + self.eps)
        self.x_norm = (x - mean) * self.inv_std
        self.used_batch_statistics = self.training
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
        self.gamma = np.ones(num_features)
        self.beta = np.zeros(num_features)
        self.eps = eps
        self.training = True

    def forward(self, x):
        mean = x.mean(axis=1, keepdims=True)
        var = x.var(axis=1, keepdims=True)
        self.inv_std = 1.0 / np.sqrt(var + self.eps)
        self.x_norm = (x - mean) * self.inv_std
        return self.gamma * self.x_norm + self.beta

    def backward(self, grad_output):
        self.dbeta = grad_output.sum(axis=0)
        self.dgamma = (grad_output * self.x_norm).sum(axis=0)
        g = grad_output * self.gamma
        d = grad_output.shape[1]
        return self.inv_std / d * (d * g - g.sum(axis=1, keepdims=True)
                                   - self.x_norm * (g * self.x_norm).sum(axis=1, keepdims=True))
