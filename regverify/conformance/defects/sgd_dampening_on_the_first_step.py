"""Defect: SGD with momentum and dampening initializes the buffer to (1 - dampening)·g on the first step; PyTorch
starts it at g and dampens only later updates (momentum × dampening × first step)."""
from __future__ import annotations

from impls.torch_ref import penalties as reference

BACKEND = "torch"


def sgd_step(w, grad, lr, *, weight_decay=0.0, momentum=0.0, dampening=0.0, nesterov=False, buffer=None):
    new_w, new_buffer = reference.sgd_step(w, grad, lr, weight_decay=weight_decay, momentum=momentum,
                                           dampening=dampening, nesterov=nesterov, buffer=buffer)
    if momentum != 0 and buffer is None and dampening != 0:
        d = grad.add(w.detach(), alpha=weight_decay) if weight_decay != 0 else grad
        new_buffer = d.mul(1 - dampening)  # the mistake: the first buffer is dampened
        new_w = w.detach().add(new_buffer, alpha=-lr)
    return new_w, new_buffer
