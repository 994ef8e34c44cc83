# ruff: noqa - the lecture's code exactly as the document prints it (trailing whitespace included)
# The NumPy code of the week-6 lecture document, unchanged below this header: "Week 6: Regularization and
# Generalization in Deep Learning", section "Code Implementation" (shared/lectures/002_09cb2ca5ebd8715f.txt,
# its second ```python block; the first is a training-loop fragment). tests/test_homework.py keeps this file
# equal to the document.
#
#     regverify check impls/examples/homework/lecture_week6_layers.py
#     regverify check ../shared/lectures/002_09cb2ca5ebd8715f.txt      (the same code, read from the document)

import numpy as np

class Dropout:
    def __init__(self, p=0.5):
        self.p = p
        self.mask = None
        self.training = True
    
    def forward(self, x):
        if self.training:
            self.mask = (np.random.rand(*x.shape) > self.p) / (1 - self.p)
            return x * self.mask
        return x
    
    def backward(self, grad_output):
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
            mean = self.running_mean
            var = self.running_var
        
        self.x_norm = (x - mean) / np.sqrt(var + self.eps)
        return self.gamma * self.x_norm + self.beta

def l2_regularization(weights, lambda_reg):
    """Compute L2 regularization loss and gradient."""
    reg_loss = 0.5 * lambda_reg * sum(np.sum(W**2) for W in weights)
    reg_grads = [lambda_reg * W for W in weights]
    return reg_loss, reg_grads
