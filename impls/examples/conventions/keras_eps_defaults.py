"""Batch and layer normalization with Keras's ε default 1e-3 (PyTorch's is 1e-5); everything else PyTorch's."""

import torch.nn.functional as F

BACKEND = "torch"
BATCH_NORM_CONVENTIONS = {"momentum_convention": ("pytorch",), "var_estimator": ("unbiased",), "default_eps": ("0.001",)}
LAYER_NORM_CONVENTIONS = {"default_eps": ("0.001",)}


def batch_norm(x, gamma, beta, running_mean, running_var, *, training=True, momentum=0.1, eps=1e-3,
               momentum_convention="pytorch", var_estimator="unbiased"):
    mean, var = running_mean.detach().clone(), running_var.detach().clone()
    out = F.batch_norm(x, mean, var, gamma, beta, training=training, momentum=momentum, eps=eps)
    return out, {"running_mean": mean, "running_var": var}


def layer_norm(x, normalized_shape, gamma, beta, *, eps=1e-3):
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    return F.layer_norm(x, shape, gamma, beta, eps=eps)
