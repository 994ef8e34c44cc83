"""Defect: SGD accepts nesterov=True with momentum 0 and silently runs plain SGD (torch.optim.SGD rejects it:
"Nesterov momentum requires a momentum and zero dampening")."""

from __future__ import annotations

from impls.torch_ref import penalties as reference

BACKEND = "torch"


def sgd_step(w, grad, lr, *, weight_decay=0.0, momentum=0.0, dampening=0.0, nesterov=False, buffer=None):
    if nesterov and momentum == 0:
        nesterov = False  # the mistake: the invalid combination is "fixed" instead of rejected
    return reference.sgd_step(w, grad, lr, weight_decay=weight_decay, momentum=momentum, dampening=dampening,
                              nesterov=nesterov, buffer=buffer)
