"""SGD with decoupled weight decay (Keras 3's SGD(weight_decay=)): w ← w(1 − lr·λ), then momentum SGD on g alone."""

import torch

BACKEND = "torch"
SGD_STEP_CONVENTIONS = {"weight_decay": ("decoupled",)}


def sgd_step(w: torch.Tensor, grad: torch.Tensor, lr: float, *, weight_decay: float = 0.0, momentum: float = 0.0,
             dampening: float = 0.0, nesterov: bool = False, buffer: torch.Tensor | None = None):
    w = w * (1 - lr * weight_decay)
    if momentum == 0.0:
        return w - lr * grad, None
    buffer = grad.clone() if buffer is None else momentum * buffer + (1 - dampening) * grad
    direction = grad + momentum * buffer if nesterov else buffer
    return w - lr * direction, buffer
