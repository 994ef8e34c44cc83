"""Adam with Kingma & Ba's ε̂ (Keras, TensorFlow): w ← w − lr_t·m/(√v + ε), lr_t = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ)."""

import math

import torch

BACKEND = "torch"
ADAM_STEP_CONVENTIONS = {"epsilon": ("before_bias_correction",)}


def adam_step(w: torch.Tensor, grad: torch.Tensor, lr: float = 1e-3, *, betas=(0.9, 0.999), eps: float = 1e-8,
              weight_decay: float = 0.0, state: dict | None = None):
    step = 1 if state is None else state["step"] + 1
    m = torch.zeros_like(w) if state is None else state["exp_avg"]
    v = torch.zeros_like(w) if state is None else state["exp_avg_sq"]
    grad = grad + weight_decay * w
    m = betas[0] * m + (1 - betas[0]) * grad
    v = betas[1] * v + (1 - betas[1]) * grad * grad
    lr_t = lr * math.sqrt(1 - betas[1] ** step) / (1 - betas[0] ** step)
    return w - lr_t * m / (v.sqrt() + eps), {"step": step, "exp_avg": m, "exp_avg_sq": v}
