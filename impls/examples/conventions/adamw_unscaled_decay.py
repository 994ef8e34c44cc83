"""AdamW as TF-Addons' DecoupledWeightDecayExtension: w ← w − λw (λ not scaled by lr), then Adam."""

import torch

BACKEND = "torch"
ADAMW_STEP_CONVENTIONS = {"decay_scaling": ("none",)}


def adamw_step(w: torch.Tensor, grad: torch.Tensor, lr: float = 1e-3, *, betas=(0.9, 0.999), eps: float = 1e-8,
               weight_decay: float = 1e-2, state: dict | None = None):
    step = 1 if state is None else state["step"] + 1
    m = torch.zeros_like(w) if state is None else state["exp_avg"]
    v = torch.zeros_like(w) if state is None else state["exp_avg_sq"]
    w = w - weight_decay * w
    m = betas[0] * m + (1 - betas[0]) * grad
    v = betas[1] * v + (1 - betas[1]) * grad * grad
    m_hat, v_hat = m / (1 - betas[0] ** step), v / (1 - betas[1] ** step)
    return w - lr * m_hat / (v_hat.sqrt() + eps), {"step": step, "exp_avg": m, "exp_avg_sq": v}
