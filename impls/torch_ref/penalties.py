"""Penalties, constraints and optimizer steps from scratch in PyTorch (any device, any floating dtype).

Penalties return 0-d tensors and get their gradients from autograd; projections and optimizer steps
return new tensors and never write into their inputs. Conventions are the NumPy reference's
(impls/numpy_ref/penalties.py): (λ/2)‖w‖² for half=True, sign(0) = 0, torch.renorm's unit axis for
max_norm, torch's power-iteration order for spectral_norm, torch.optim's update order for the steps.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch

from impls.validation import check_bool, check_in_range, check_real

__all__ = [
    "l2_penalty", "l1_penalty", "elastic_net_penalty", "entropy_penalty", "orthogonality_penalty",
    "soft_threshold", "l1_subgradient_step", "max_norm", "spectral_norm",
    "clip_grad_norm", "clip_grad_value", "sgd_step", "adam_step", "adamw_step", "grouped_steps",
]

INF = math.inf


def _tensor(op: str, name: str, value: Any) -> torch.Tensor:
    if not isinstance(value, torch.Tensor) or not value.is_floating_point():
        raise TypeError(f"{op}: {name} must be a floating-point torch.Tensor, got {type(value).__name__}")
    return value


def _nonnegative(op: str, name: str, value: Any) -> float:
    return check_in_range(op, name, value, 0.0, INF, closed="low")


def _accumulation_dtype(x: torch.Tensor) -> torch.dtype:
    # Half-precision reductions accumulate in float32 (as torch's own kernels do); others in their dtype.
    return torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else x.dtype


# ---------------------------------------------------------------- norm penalties


def l2_penalty(w: torch.Tensor, lam: float, *, half: bool = True) -> torch.Tensor:
    """(λ/2)‖w‖² when half (gradient λw), λ‖w‖² otherwise (gradient 2λw)."""
    w = _tensor("l2_penalty", "w", w)
    lam = _nonnegative("l2_penalty", "lam", lam)
    half = check_bool("l2_penalty", "half", half)
    return (lam / 2 if half else lam) * (w * w).sum()


def l1_penalty(w: torch.Tensor, lam: float) -> torch.Tensor:
    """λ‖w‖₁; autograd of abs gives λ·sign(w) with 0 at w = 0."""
    w = _tensor("l1_penalty", "w", w)
    lam = _nonnegative("l1_penalty", "lam", lam)
    return lam * w.abs().sum()


def elastic_net_penalty(w: torch.Tensor, l1: float, l2: float, *, half: bool = False) -> torch.Tensor:
    """l1‖w‖₁ + l2‖w‖² (no ½, as Week 6 and Module 2 write it); half=True halves the L2 part."""
    w = _tensor("elastic_net_penalty", "w", w)
    l1 = _nonnegative("elastic_net_penalty", "l1", l1)
    l2 = _nonnegative("elastic_net_penalty", "l2", l2)
    return l1_penalty(w, l1) + l2_penalty(w, l2, half=check_bool("elastic_net_penalty", "half", half))


def entropy_penalty(x: torch.Tensor, *, from_logits: bool = True, dim: int = -1) -> torch.Tensor:
    """Σ over rows of H(p) = −Σ_k p_k log p_k along `dim` (nats); p = softmax(x) when from_logits."""
    x = _tensor("entropy_penalty", "x", x)
    if check_bool("entropy_penalty", "from_logits", from_logits):
        log_p = torch.log_softmax(x, dim=dim)
        return -(log_p.exp() * log_p).sum()
    if bool(((x < 0) | (x > 1)).any()):
        raise ValueError("entropy_penalty: probabilities x must be in [0, 1] when from_logits=False")
    return -torch.xlogy(x, x).sum()


def orthogonality_penalty(w: torch.Tensor) -> torch.Tensor:
    """‖WᵀW − I‖²_F for W of shape (n, k); autograd gives 4W(WᵀW − I)."""
    w = _tensor("orthogonality_penalty", "w", w)
    if w.dim() != 2:
        raise ValueError(f"orthogonality_penalty: w must be 2-D (n, k), got shape {tuple(w.shape)}")
    residual = w.T @ w - torch.eye(w.shape[1], dtype=w.dtype, device=w.device)
    return (residual * residual).sum()


# ---------------------------------------------------------------- proximal step versus subgradient step


def soft_threshold(w: torch.Tensor, threshold: float) -> torch.Tensor:
    """sign(w)·max(|w| − t, 0): every |w| ≤ t becomes exactly 0."""
    w = _tensor("soft_threshold", "w", w)
    t = _nonnegative("soft_threshold", "threshold", threshold)
    t_w = torch.tensor(t, dtype=w.dtype, device=w.device)
    return torch.where(w.abs() <= t_w, torch.zeros((), dtype=w.dtype, device=w.device), w - w.sign() * t_w)


def l1_subgradient_step(w: torch.Tensor, grad: torch.Tensor, lr: float, lam: float) -> torch.Tensor:
    """w − lr·(grad + lam·sign(w)) with sign(0) = 0."""
    w = _tensor("l1_subgradient_step", "w", w)
    grad = _tensor("l1_subgradient_step", "grad", grad)
    lr = _nonnegative("l1_subgradient_step", "lr", lr)
    lam = _nonnegative("l1_subgradient_step", "lam", lam)
    return w - lr * (grad + lam * w.sign())


# ---------------------------------------------------------------- constraints


def max_norm(w: torch.Tensor, c: float, *, dim: int = 0) -> torch.Tensor:
    """Project each slice along `dim` (a unit's incoming weights) onto the L2 ball of radius c; slices
    inside are returned bit for bit, the others scaled by c/‖slice‖."""
    w = _tensor("max_norm", "w", w)
    c = check_in_range("max_norm", "c", c, 0.0, INF, closed="neither")
    if not -w.dim() <= dim < w.dim():
        raise ValueError(f"max_norm: dim must be in [{-w.dim()}, {w.dim() - 1}] for a {w.dim()}-D w, got {dim}")
    axes = [a for a in range(w.dim()) if a != dim % w.dim()]
    norms = torch.linalg.vector_norm(w, dim=axes, keepdim=True, dtype=_accumulation_dtype(w))
    outside = norms > c
    scale = torch.where(outside, c / torch.where(outside, norms, torch.ones_like(norms)), torch.ones_like(norms))
    return torch.where(outside, (w * scale).to(w.dtype), w)


def spectral_norm(
    w: torch.Tensor,
    *,
    n_power_iterations: int = 1,
    generator: torch.Generator | None = None,
    u: torch.Tensor | None = None,
    training: bool = True,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (W/σ̂, u) with σ̂ = uᵀWv, v = normalize(Wᵀu), after power iteration on W as (out, −1).

    Training: n_power_iterations of v = normalize(Wᵀu), u = normalize(Wv) (torch's order), without
    gradient, as torch does; eval: none. The gradient flows through σ̂ with u, v held fixed.
    """
    w = _tensor("spectral_norm", "w", w)
    if w.dim() < 2:
        raise ValueError(f"spectral_norm: w must have at least 2 dimensions, got shape {tuple(w.shape)}")
    if isinstance(n_power_iterations, bool) or not isinstance(n_power_iterations, int) or n_power_iterations < 0:
        raise ValueError(f"spectral_norm: n_power_iterations must be an integer in [0, inf), got {n_power_iterations!r}")
    training = check_bool("spectral_norm", "training", training)
    matrix = w.reshape(w.shape[0], -1)
    with torch.no_grad():
        if u is None:
            u = torch.randn(matrix.shape[0], generator=generator, device=w.device, dtype=w.dtype)
        elif tuple(u.shape) != (matrix.shape[0],):
            raise ValueError(f"spectral_norm: u must have shape ({matrix.shape[0]},), got {tuple(u.shape)}")
        u = torch.nn.functional.normalize(u.to(w.dtype), dim=0, eps=1e-12)
        for _ in range(n_power_iterations if training else 0):
            v = torch.nn.functional.normalize(matrix.T @ u, dim=0, eps=1e-12)
            u = torch.nn.functional.normalize(matrix @ v, dim=0, eps=1e-12)
        v = torch.nn.functional.normalize(matrix.T @ u, dim=0, eps=1e-12)
    sigma = torch.dot(u, matrix @ v)
    return w / sigma, u


# ---------------------------------------------------------------- gradient clipping


def _norm_type(op: str, norm_type: Any) -> float:
    value = check_real(op, "norm_type", norm_type)
    if math.isnan(value) or value <= 0:
        raise ValueError(f"{op}: norm_type must be in (0, inf] (a p-norm), got {norm_type!r}")
    return value


def clip_grad_norm(
    grads: Sequence[torch.Tensor], max_norm: float, *, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Scale all gradients together by min(1, max_norm/‖g‖) (no +1e-6); returns (clipped, total_norm)."""
    op = "clip_grad_norm"
    grads = [_tensor(op, "grads[i]", g) for g in grads]
    threshold = _nonnegative(op, "max_norm", max_norm)
    p = _norm_type(op, norm_type)
    error_if_nonfinite = check_bool(op, "error_if_nonfinite", error_if_nonfinite)
    if not grads:
        return [], torch.tensor(0.0)
    device = grads[0].device
    norms = torch.stack([torch.linalg.vector_norm(g, p, dtype=torch.float32 if g.element_size() < 4 else g.dtype)
                         .to(device) for g in grads])
    total = torch.linalg.vector_norm(norms, p)
    if error_if_nonfinite and not bool(torch.isfinite(total)):
        raise RuntimeError(f"{op}: the total norm of order {norm_type} is non-finite ({float(total)}), so it cannot be clipped")
    if float(total) == 0.0:
        return [g.clone() for g in grads], total
    coefficient = torch.clamp(threshold / total, max=1.0)
    if float(coefficient) == 1.0:
        return [g.clone() for g in grads], total
    return [g * coefficient.to(g.dtype) for g in grads], total


def clip_grad_value(grads: Sequence[torch.Tensor], clip_value: float) -> list[torch.Tensor]:
    """Clamp every entry into [−clip_value, clip_value]."""
    op = "clip_grad_value"
    grads = [_tensor(op, "grads[i]", g) for g in grads]
    c = _nonnegative(op, "clip_value", clip_value)
    return [g.clamp(-c, c) for g in grads]


# ---------------------------------------------------------------- optimizer steps (torch.optim's update order)


def sgd_step(
    w: torch.Tensor,
    grad: torch.Tensor,
    lr: float,
    *,
    weight_decay: float = 0.0,
    momentum: float = 0.0,
    dampening: float = 0.0,
    nesterov: bool = False,
    buffer: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """One torch.optim.SGD step with the same tensor operations in the same order; returns (w_new, buffer)."""
    op = "sgd_step"
    w, grad = _tensor(op, "w", w).detach(), _tensor(op, "grad", grad)
    lr = _nonnegative(op, "lr", lr)
    weight_decay = _nonnegative(op, "weight_decay", weight_decay)
    momentum = _nonnegative(op, "momentum", momentum)
    dampening = check_in_range(op, "dampening", dampening, 0.0, 1.0)
    nesterov = check_bool(op, "nesterov", nesterov)
    if nesterov and (momentum == 0 or dampening != 0):
        raise ValueError(f"{op}: nesterov needs momentum in (0, inf) and dampening 0, got momentum={momentum}, "
                         f"dampening={dampening}")
    d = grad.add(w, alpha=weight_decay) if weight_decay != 0 else grad
    new_buffer = None
    if momentum != 0:
        new_buffer = d.clone() if buffer is None else buffer.mul(momentum).add(d, alpha=1 - dampening)
        d = d.add(new_buffer, alpha=momentum) if nesterov else new_buffer
    return w.add(d, alpha=-lr), new_buffer


def _adam_checks(op: str, lr: float, betas: tuple[float, float], eps: float, weight_decay: float) -> tuple[float, ...]:
    lr = _nonnegative(op, "lr", lr)
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"{op}: betas must be a pair (beta1, beta2), got {betas!r}")
    beta1 = check_in_range(op, "betas[0]", betas[0], 0.0, 1.0, closed="low")
    beta2 = check_in_range(op, "betas[1]", betas[1], 0.0, 1.0, closed="low")
    return lr, beta1, beta2, _nonnegative(op, "eps", eps), _nonnegative(op, "weight_decay", weight_decay)


def _adam_update(w: torch.Tensor, grad: torch.Tensor, lr: float, beta1: float, beta2: float, eps: float,
                 state: dict | None) -> tuple[torch.Tensor, dict]:
    if state is None:
        state = {"step": 0, "exp_avg": torch.zeros_like(w), "exp_avg_sq": torch.zeros_like(w)}
    step = int(state["step"]) + 1
    exp_avg = state["exp_avg"].lerp(grad, 1 - beta1)
    exp_avg_sq = state["exp_avg_sq"].mul(beta2).addcmul(grad, grad, value=1 - beta2)
    step_size = lr / (1 - beta1**step)
    denominator = (exp_avg_sq.sqrt() / math.sqrt(1 - beta2**step)).add(eps)
    return w.addcdiv(exp_avg, denominator, value=-step_size), {"step": step, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}


def adam_step(
    w: torch.Tensor,
    grad: torch.Tensor,
    lr: float = 1e-3,
    *,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    state: dict | None = None,
) -> tuple[torch.Tensor, dict]:
    """One torch.optim.Adam step (L2: g + λw enters the moments). state = {"step", "exp_avg", "exp_avg_sq"}."""
    op = "adam_step"
    w, grad = _tensor(op, "w", w).detach(), _tensor(op, "grad", grad)
    lr, beta1, beta2, eps, weight_decay = _adam_checks(op, lr, betas, eps, weight_decay)
    if weight_decay != 0:
        grad = grad.add(w, alpha=weight_decay)
    return _adam_update(w, grad, lr, beta1, beta2, eps, state)


def adamw_step(
    w: torch.Tensor,
    grad: torch.Tensor,
    lr: float = 1e-3,
    *,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 1e-2,
    state: dict | None = None,
) -> tuple[torch.Tensor, dict]:
    """One torch.optim.AdamW step: w ← w(1 − lr·λ), then Adam on the raw gradient."""
    op = "adamw_step"
    w, grad = _tensor(op, "w", w).detach(), _tensor(op, "grad", grad)
    lr, beta1, beta2, eps, weight_decay = _adam_checks(op, lr, betas, eps, weight_decay)
    return _adam_update(w.mul(1 - lr * weight_decay), grad, lr, beta1, beta2, eps, state)


_STEPS = {"sgd": sgd_step, "adam": adam_step, "adamw": adamw_step}


def grouped_steps(
    params: dict[str, torch.Tensor],
    grads: Sequence[dict[str, torch.Tensor]],
    *,
    optimizer: str,
    lr: float,
    weight_decay: float,
    no_decay: Sequence[str] = (),
) -> dict[str, torch.Tensor]:
    """len(grads) steps with weight_decay=0 for the names in `no_decay`, `weight_decay` for the rest."""
    if optimizer not in _STEPS:
        raise ValueError(f"grouped_steps: optimizer must be one of {sorted(_STEPS)}, got {optimizer!r}")
    step = _STEPS[optimizer]
    current = {name: value.detach() for name, value in params.items()}
    states: dict[str, Any] = {name: None for name in params}
    for grad in grads:
        for name, value in current.items():
            decay = 0.0 if name in no_decay else weight_decay
            if optimizer == "sgd":
                current[name], _ = step(value, grad[name], lr, weight_decay=decay)
            else:
                current[name], states[name] = step(value, grad[name], lr, weight_decay=decay, state=states[name])
    return current
