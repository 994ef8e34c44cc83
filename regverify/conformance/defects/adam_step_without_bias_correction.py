"""Defect: Adam without bias correction: m and v are used as they are, so the first steps are far too small."""
from __future__ import annotations

from impls.torch_ref import penalties as reference

BACKEND = "torch"


def adam_step(w, grad, lr=1e-3, *, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, state=None):
    reference.adam_step(w, grad, lr, betas=betas, eps=eps, weight_decay=weight_decay, state=state)  # the checks
    w, grad = w.detach(), grad.add(w.detach(), alpha=weight_decay) if weight_decay else grad
    beta1, beta2 = betas
    step = 1 if state is None else state["step"] + 1
    exp_avg = grad * (1 - beta1) if state is None else state["exp_avg"] * beta1 + grad * (1 - beta1)
    exp_avg_sq = grad * grad * (1 - beta2) if state is None else state["exp_avg_sq"] * beta2 + grad * grad * (1 - beta2)
    new_w = w - lr * exp_avg / (exp_avg_sq.sqrt() + eps)  # the mistake: m̂ = m/(1-β1^t), v̂ = v/(1-β2^t) missing
    return new_w, {"step": step, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
