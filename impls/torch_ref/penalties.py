"""Penalties, constraints and optimizer steps from scratch in PyTorch (any device, any floating dtype).

Penalties return 0-d tensors and get their gradients from autograd; projections and optimizer steps
return new tensors and never write into their inputs. Conventions are the NumPy reference's
(impls/numpy_ref/penalties.py): (λ/2)‖w‖² for half=True, sign(0) = 0, torch.renorm's unit axis for
max_norm, torch's power-iteration order for spectral_norm, torch.optim's update order for the steps.
Signatures, defaults and parameter checks are the specs' (impls/protocol/penalties.py), applied by ``@reference``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial

import torch

from impls.protocol.parameters import exported, implements, torch_tensor
from impls.protocol.penalties import check_nesterov, run_grouped_steps

reference = partial(implements, array=torch_tensor)


def _accumulation_dtype(x: torch.Tensor) -> torch.dtype:
    # Half-precision reductions accumulate in float32 (as torch's own kernels do); others in their dtype.
    return torch.float32 if x.dtype in (torch.float16, torch.bfloat16) else x.dtype


# ---------------------------------------------------------------- norm penalties


@reference("l2_penalty")
def l2_penalty(w: torch.Tensor, lam: float, *, half: bool) -> torch.Tensor:
    """(λ/2)‖w‖² when half (gradient λw), λ‖w‖² otherwise (gradient 2λw)."""
    return (lam / 2 if half else lam) * (w * w).sum()


@reference("l1_penalty")
def l1_penalty(w: torch.Tensor, lam: float) -> torch.Tensor:
    """λ‖w‖₁; autograd of abs gives λ·sign(w) with 0 at w = 0."""
    return lam * w.abs().sum()


@reference("elastic_net_penalty")
def elastic_net_penalty(w: torch.Tensor, l1: float, l2: float, *, half: bool) -> torch.Tensor:
    """l1‖w‖₁ + l2‖w‖² (no ½, as Week 6 and Module 2 write it); half=True halves the L2 part."""
    return l1_penalty(w, l1) + l2_penalty(w, l2, half=half)


@reference("entropy_penalty")
def entropy_penalty(x: torch.Tensor, *, from_logits: bool, dim: int) -> torch.Tensor:
    """Σ over rows of H(p) = −Σ_k p_k log p_k along `dim` (nats); p = softmax(x) when from_logits."""
    if from_logits:
        log_p = torch.log_softmax(x, dim=dim)
        return -(log_p.exp() * log_p).sum()
    if bool(((x < 0) | (x > 1)).any()):
        raise ValueError("entropy_penalty: probabilities x must be in [0, 1] when from_logits=False")
    return -torch.xlogy(x, x).sum()


@reference("orthogonality_penalty")
def orthogonality_penalty(w: torch.Tensor) -> torch.Tensor:
    """‖WᵀW − I‖²_F for W of shape (n, k); autograd gives 4W(WᵀW − I)."""
    if w.dim() != 2:
        raise ValueError(f"orthogonality_penalty: w must be 2-D (n, k), got shape {tuple(w.shape)}")
    residual = w.T @ w - torch.eye(w.shape[1], dtype=w.dtype, device=w.device)
    return (residual * residual).sum()


# ---------------------------------------------------------------- proximal step versus subgradient step


@reference("soft_threshold")
def soft_threshold(w: torch.Tensor, threshold: float) -> torch.Tensor:
    """sign(w)·max(|w| − t, 0): every |w| ≤ t becomes exactly 0."""
    t_w = torch.tensor(threshold, dtype=w.dtype, device=w.device)
    return torch.where(w.abs() <= t_w, torch.zeros((), dtype=w.dtype, device=w.device), w - w.sign() * t_w)


@reference("l1_subgradient_step")
def l1_subgradient_step(w: torch.Tensor, grad: torch.Tensor, lr: float, lam: float) -> torch.Tensor:
    """w − lr·(grad + lam·sign(w)) with sign(0) = 0."""
    return w - lr * (grad + lam * w.sign())


# ---------------------------------------------------------------- constraints


@reference("max_norm")
def max_norm(w: torch.Tensor, c: float, *, dim: int) -> torch.Tensor:
    """Project each slice along `dim` (a unit's incoming weights) onto the L2 ball of radius c; slices
    inside are returned bit for bit, the others scaled by c/‖slice‖."""
    if not -w.dim() <= dim < w.dim():
        raise ValueError(f"max_norm: dim must be in [{-w.dim()}, {w.dim() - 1}] for a {w.dim()}-D w, got {dim}")
    axes = [a for a in range(w.dim()) if a != dim % w.dim()]
    norms = torch.linalg.vector_norm(w, dim=axes, keepdim=True, dtype=_accumulation_dtype(w))
    outside = norms > c
    scale = torch.where(outside, c / torch.where(outside, norms, torch.ones_like(norms)), torch.ones_like(norms))
    return torch.where(outside, (w * scale).to(w.dtype), w)


@reference("spectral_norm")
def spectral_norm(w: torch.Tensor, *, n_power_iterations: int, generator: torch.Generator | None,
                  u: torch.Tensor | None, training: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (W/σ̂, u) with σ̂ = uᵀWv, v = normalize(Wᵀu), after power iteration on W as (out, −1).

    Training: n_power_iterations of v = normalize(Wᵀu), u = normalize(Wv) (torch's order), without
    gradient, as torch does; eval: none. The gradient flows through σ̂ with u, v held fixed.
    """
    if w.dim() < 2:
        raise ValueError(f"spectral_norm: w must have at least 2 dimensions, got shape {tuple(w.shape)}")
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


@reference("clip_grad_norm")
def clip_grad_norm(grads: Sequence[torch.Tensor], max_norm: float, *, norm_type: float,
                   error_if_nonfinite: bool) -> tuple[list[torch.Tensor], torch.Tensor]:
    """Scale all gradients together by min(1, max_norm/‖g‖) (no +1e-6); returns (clipped, total_norm)."""
    threshold, p = max_norm, norm_type
    if not grads:
        return [], torch.tensor(0.0)
    device = grads[0].device
    norms = torch.stack([torch.linalg.vector_norm(g, p, dtype=torch.float32 if g.element_size() < 4 else g.dtype)
                         .to(device) for g in grads])
    total = torch.linalg.vector_norm(norms, p)
    if error_if_nonfinite and not bool(torch.isfinite(total)):
        raise RuntimeError(f"clip_grad_norm: the total norm of order {norm_type} is non-finite ({float(total)}), so it cannot be clipped")
    if float(total) == 0.0:
        return [g.clone() for g in grads], total
    coefficient = torch.clamp(threshold / total, max=1.0)
    if float(coefficient) == 1.0:
        return [g.clone() for g in grads], total
    return [g * coefficient.to(g.dtype) for g in grads], total


@reference("clip_grad_value")
def clip_grad_value(grads: Sequence[torch.Tensor], clip_value: float) -> list[torch.Tensor]:
    """Clamp every entry into [−clip_value, clip_value]."""
    return [g.clamp(-clip_value, clip_value) for g in grads]


# ---------------------------------------------------------------- optimizer steps (torch.optim's update order)


@reference("sgd_step")
def sgd_step(w: torch.Tensor, grad: torch.Tensor, lr: float, *, weight_decay: float, momentum: float,
             dampening: float, nesterov: bool, buffer: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """One torch.optim.SGD step with the same tensor operations in the same order; returns (w_new, buffer)."""
    check_nesterov(nesterov, momentum, dampening)
    w = w.detach()
    d = grad.add(w, alpha=weight_decay) if weight_decay != 0 else grad
    new_buffer = None
    if momentum != 0:
        new_buffer = d.clone() if buffer is None else buffer.mul(momentum).add(d, alpha=1 - dampening)
        d = d.add(new_buffer, alpha=momentum) if nesterov else new_buffer
    return w.add(d, alpha=-lr), new_buffer


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


@reference("adam_step")
def adam_step(w: torch.Tensor, grad: torch.Tensor, lr: float, *, betas: tuple[float, float], eps: float,
              weight_decay: float, state: dict | None) -> tuple[torch.Tensor, dict]:
    """One torch.optim.Adam step (L2: g + λw enters the moments). state = {"step", "exp_avg", "exp_avg_sq"}."""
    w = w.detach()
    if weight_decay != 0:
        grad = grad.add(w, alpha=weight_decay)
    return _adam_update(w, grad, lr, *betas, eps, state)


@reference("adamw_step")
def adamw_step(w: torch.Tensor, grad: torch.Tensor, lr: float, *, betas: tuple[float, float], eps: float,
               weight_decay: float, state: dict | None) -> tuple[torch.Tensor, dict]:
    """One torch.optim.AdamW step: w ← w(1 − lr·λ), then Adam on the raw gradient."""
    return _adam_update(w.detach().mul(1 - lr * weight_decay), grad, lr, *betas, eps, state)


_STEPS = {"sgd": sgd_step, "adam": adam_step, "adamw": adamw_step}


@reference("grouped_steps")
def grouped_steps(params: dict[str, torch.Tensor], grads: Sequence[dict[str, torch.Tensor]], *, optimizer: str,
                  lr: float, weight_decay: float, no_decay: Sequence[str]) -> dict[str, torch.Tensor]:
    """len(grads) steps with weight_decay=0 for the names in `no_decay`, `weight_decay` for the rest."""
    detached = {name: value.detach() for name, value in params.items()}
    return run_grouped_steps(_STEPS, detached, grads, optimizer, lr, weight_decay, no_decay)


__all__ = exported(globals())
