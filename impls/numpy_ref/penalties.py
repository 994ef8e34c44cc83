"""Penalties, constraints and optimizer steps as NumPy references (float64-exact where the math is).

Conventions, chosen once and documented here:

- Differentiable penalties are CS231n pairs: ``<op>_forward(w, ...) -> (value, cache)`` with a 0-d
  array ``value`` in w's dtype, and ``<op>_backward(dout, cache) -> dw`` (a hand-written gradient).
- Projections, proximal maps and optimizer steps are plain functions returning new arrays; they never
  write into their inputs.
- Penalty scales: ``l2_penalty(half=True)`` is (λ/2)‖w‖² (PyTorch's weight_decay=λ convention);
  ``half=False`` is λ‖w‖². Subgradients of |w| at 0 are 0 (``np.sign(0) == 0``, as torch.sign).
- Optimizer steps follow torch.optim's exact update order (see each docstring).
- Signatures, defaults and parameter checks are the specs' (impls/protocol/penalties.py), applied by
  ``@reference``: a body receives checked values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np

from impls.protocol.parameters import exported, implements, numpy_array
from impls.protocol.penalties import check_nesterov, run_grouped_steps

INF = math.inf


reference = partial(implements, array=numpy_array)


def _scalar(value: float, like: np.ndarray) -> np.floating:
    # Python floats are rounded once to the array's dtype, as torch does with a scalar operand.
    return like.dtype.type(value)


# ---------------------------------------------------------------- norm penalties


@reference("l2_penalty")
def l2_penalty_forward(w: np.ndarray, lam: float, *, half: bool) -> tuple[np.ndarray, dict]:
    """(λ/2)‖w‖² when half (gradient λw), λ‖w‖² otherwise (gradient 2λw)."""
    coefficient = lam / 2 if half else lam
    value = np.asarray(_scalar(coefficient, w) * np.sum(w * w), dtype=w.dtype)
    return value, {"w": w, "slope": 2 * coefficient}


def l2_penalty_backward(dout: Any, cache: dict) -> np.ndarray:
    w = cache["w"]
    return (_scalar(float(dout) * cache["slope"], w) * w).astype(w.dtype)


@reference("l1_penalty")
def l1_penalty_forward(w: np.ndarray, lam: float) -> tuple[np.ndarray, dict]:
    """λ‖w‖₁; the gradient is λ·sign(w), with the subgradient 0 at w = 0 (torch.sign's choice)."""
    value = np.asarray(_scalar(lam, w) * np.sum(np.abs(w)), dtype=w.dtype)
    return value, {"w": w, "lam": lam}


def l1_penalty_backward(dout: Any, cache: dict) -> np.ndarray:
    w = cache["w"]
    return (_scalar(float(dout) * cache["lam"], w) * np.sign(w)).astype(w.dtype)


@reference("elastic_net_penalty")
def elastic_net_penalty_forward(w: np.ndarray, l1: float, l2: float, *, half: bool) -> tuple[np.ndarray, dict]:
    """l1‖w‖₁ + l2‖w‖² (Week 6 / Module 2 write no ½; half=True gives l1‖w‖₁ + (l2/2)‖w‖²)."""
    value_1, cache_1 = l1_penalty_forward(w, l1)
    value_2, cache_2 = l2_penalty_forward(w, l2, half=half)
    return np.asarray(value_1 + value_2, dtype=w.dtype), {"l1": cache_1, "l2": cache_2}


def elastic_net_penalty_backward(dout: Any, cache: dict) -> np.ndarray:
    return l1_penalty_backward(dout, cache["l1"]) + l2_penalty_backward(dout, cache["l2"])


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


@reference("entropy_penalty")
def entropy_penalty_forward(x: np.ndarray, *, from_logits: bool, dim: int) -> tuple[np.ndarray, dict]:
    """Σ over rows of the Shannon entropy H(p) = -Σ_k p_k log p_k along `dim`, in nats.

    With from_logits, p = softmax(x) and the gradient is dH/dx_j = -p_j (log p_j + H). With
    from_logits=False, x holds probabilities (0 log 0 = 0) and the gradient is -(log p + 1), which
    is -inf at p = 0. Each row's maximum is log K, reached only by the uniform distribution. The sign
    is the caller's: entropy regularization toward uniform subtracts β·H, confidence penalties add it.
    """
    if from_logits:
        log_p = _log_softmax(x, dim)
        p = np.exp(log_p)
    else:
        if np.any(x < 0) or np.any(x > 1):
            raise ValueError("entropy_penalty: probabilities x must be in [0, 1] when from_logits=False")
        p = x
        with np.errstate(divide="ignore"):
            log_p = np.log(p)
    plogp = np.where(p > 0, p * np.where(p > 0, log_p, 0), 0)
    row_entropy = -np.sum(plogp, axis=dim, keepdims=True)
    value = np.asarray(np.sum(row_entropy), dtype=x.dtype)
    return value, {"p": p, "log_p": log_p, "row_entropy": row_entropy, "from_logits": from_logits}


def entropy_penalty_backward(dout: Any, cache: dict) -> np.ndarray:
    p, log_p = cache["p"], cache["log_p"]
    if cache["from_logits"]:
        grad = -p * (log_p + cache["row_entropy"])
    else:
        grad = -(log_p + 1)
    return (_scalar(float(dout), p) * grad).astype(p.dtype)


@reference("orthogonality_penalty")
def orthogonality_penalty_forward(w: np.ndarray) -> tuple[np.ndarray, dict]:
    """‖WᵀW − I‖²_F for W of shape (n, k); gradient 4W(WᵀW − I). Zero exactly when W's columns are orthonormal."""
    if w.ndim != 2:
        raise ValueError(f"orthogonality_penalty: w must be 2-D (n, k), got shape {w.shape}")
    residual = w.T @ w - np.eye(w.shape[1], dtype=w.dtype)
    return np.asarray(np.sum(residual * residual), dtype=w.dtype), {"w": w, "residual": residual}


def orthogonality_penalty_backward(dout: Any, cache: dict) -> np.ndarray:
    w = cache["w"]
    return (_scalar(4 * float(dout), w) * (w @ cache["residual"])).astype(w.dtype)


# ---------------------------------------------------------------- proximal step versus subgradient step


@reference("soft_threshold")
def soft_threshold(w: np.ndarray, threshold: float) -> np.ndarray:
    """prox of threshold·‖·‖₁: sign(w)·max(|w| − t, 0). Every |w| ≤ t becomes exactly 0."""
    t = _scalar(threshold, w)
    return np.where(np.abs(w) <= t, w.dtype.type(0), w - np.sign(w) * t).astype(w.dtype)


@reference("l1_subgradient_step")
def l1_subgradient_step(w: np.ndarray, grad: np.ndarray, lr: float, lam: float) -> np.ndarray:
    """w − lr·(grad + lam·sign(w)): a gradient step on L + lam‖w‖₁ with sign(0) = 0."""
    return (w - _scalar(lr, w) * (grad + _scalar(lam, w) * np.sign(w))).astype(w.dtype)


# ---------------------------------------------------------------- constraints


@reference("max_norm")
def max_norm(w: np.ndarray, c: float, *, dim: int) -> np.ndarray:
    """Project each unit's incoming weights onto the L2 ball of radius c.

    `dim` indexes the units (torch.renorm's convention): for a dense (out, in) kernel and a conv
    (out, in, kh, kw) kernel the default dim=0 takes the norm of each output unit's slice over all
    other axes. Slices already inside the ball are returned bit for bit; the others are scaled by c/‖slice‖.
    """
    if not -w.ndim <= dim < w.ndim:
        raise ValueError(f"max_norm: dim must be in [{-w.ndim}, {w.ndim - 1}] for a {w.ndim}-D w, got {dim}")
    axes = tuple(a for a in range(w.ndim) if a != dim % w.ndim)
    norms = np.sqrt(np.sum(w.astype(np.float64) ** 2, axis=axes, keepdims=True))
    outside = norms > c
    scale = np.where(outside, c / np.where(outside, norms, 1.0), 1.0)
    return np.where(outside, (w * scale).astype(w.dtype), w)


def _normalize(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-12)


@reference("spectral_norm")
def spectral_norm(w: np.ndarray, *, n_power_iterations: int, generator: np.random.Generator | None,
                  u: np.ndarray | None, training: bool) -> tuple[np.ndarray, np.ndarray]:
    """Return (W/σ̂, u): σ̂ estimated by power iteration on W reshaped to (out, −1).

    u starts from `u` or, if None, a normal draw from `generator`, normalized. In training each
    iteration sets v = normalize(Wᵀu), u = normalize(Wv) (torch's order); in eval no iteration runs.
    σ̂ = ‖Wᵀu‖ = uᵀWv for v = normalize(Wᵀu) ≤ σ₁, and after k iterations from u₀ with tan θ₀ = the
    tangent of the angle between u₀ and the top left singular vector, 0 ≤ 1 − σ̂/σ₁ ≤ tan²θ₀ (σ₂/σ₁)^(4k).
    """
    if w.ndim < 2:
        raise ValueError(f"spectral_norm: w must have at least 2 dimensions, got shape {w.shape}")
    matrix = w.reshape(w.shape[0], -1)
    if u is None:
        rng = generator if generator is not None else np.random.default_rng()
        u = rng.standard_normal(matrix.shape[0]).astype(w.dtype)
    elif np.shape(u) != (matrix.shape[0],):
        raise ValueError(f"spectral_norm: u must have shape ({matrix.shape[0]},), got {np.shape(u)}")
    u = _normalize(np.asarray(u, dtype=w.dtype))
    for _ in range(n_power_iterations if training else 0):
        v = _normalize(matrix.T @ u)
        u = _normalize(matrix @ v)
    v = _normalize(matrix.T @ u)
    sigma = u @ (matrix @ v)
    return (w / sigma).astype(w.dtype), u


# ---------------------------------------------------------------- gradient clipping


def _vector_norm(x: np.ndarray, p: float) -> np.floating:
    flat = np.abs(x.ravel().astype(np.float64))
    if p == INF:
        return flat.max(initial=0.0)
    return np.sum(flat**p) ** (1.0 / p)


@reference("clip_grad_norm")
def clip_grad_norm(grads: Sequence[np.ndarray], max_norm: float, *, norm_type: float,
                   error_if_nonfinite: bool) -> tuple[list[np.ndarray], np.floating]:
    """Scale all gradients together by min(1, max_norm/‖g‖) (the lecture's rule, no +1e-6 term).

    ‖g‖ is the norm_type norm of the per-tensor norms (= the norm of all entries concatenated).
    Below the threshold the gradients come back bit for bit. A non-finite total norm raises
    RuntimeError when error_if_nonfinite (as torch does), otherwise scales by min(1, max_norm/‖g‖).
    """
    threshold, p = max_norm, norm_type
    norms = np.array([_vector_norm(g, p) for g in grads], dtype=np.float64)
    total = _vector_norm(norms, p) if grads else np.float64(0.0)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm: the total norm of order {norm_type} is non-finite ({total}), so it cannot be clipped")
    with np.errstate(divide="ignore", invalid="ignore"):
        coefficient = np.minimum(1.0, threshold / total) if total != 0 else 1.0
    if coefficient == 1.0:
        return [g.copy() for g in grads], total
    with np.errstate(invalid="ignore"):  # an infinite entry times the coefficient 0 is NaN, as in torch
        return [(g * _scalar(float(coefficient), g)).astype(g.dtype) for g in grads], total


@reference("clip_grad_value")
def clip_grad_value(grads: Sequence[np.ndarray], clip_value: float) -> list[np.ndarray]:
    """Clamp every entry into [−clip_value, clip_value]."""
    return [np.clip(g, _scalar(-clip_value, g), _scalar(clip_value, g)).astype(g.dtype) for g in grads]


# ---------------------------------------------------------------- optimizer steps (torch.optim's update order)


@reference("sgd_step")
def sgd_step(w: np.ndarray, grad: np.ndarray, lr: float, *, weight_decay: float, momentum: float, dampening: float,
             nesterov: bool, buffer: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """One torch.optim.SGD step. Returns (w_new, buffer) (buffer None without momentum).

    d = grad + weight_decay·w; with momentum b = d on the first step (buffer None), else
    b = momentum·b + (1 − dampening)·d; d = d + momentum·b (nesterov) or b; w_new = w − lr·d.
    """
    check_nesterov(nesterov, momentum, dampening)
    d = grad + _scalar(weight_decay, w) * w if weight_decay != 0 else grad
    new_buffer = None
    if momentum != 0:
        if buffer is None:
            new_buffer = d.copy()
        else:
            new_buffer = _scalar(momentum, w) * buffer + _scalar(1 - dampening, w) * d
        d = d + _scalar(momentum, w) * new_buffer if nesterov else new_buffer
    return (w - _scalar(lr, w) * d).astype(w.dtype), new_buffer


def _adam_update(w: np.ndarray, grad: np.ndarray, lr: float, beta1: float, beta2: float, eps: float,
                 state: dict | None) -> tuple[np.ndarray, dict]:
    """Apply torch.optim.Adam's moment update and step to w (decay already folded in by the caller)."""
    if state is None:
        state = {"step": 0, "exp_avg": np.zeros_like(w), "exp_avg_sq": np.zeros_like(w)}
    step = int(state["step"]) + 1
    exp_avg = state["exp_avg"] + _scalar(1 - beta1, w) * (grad - state["exp_avg"])  # torch: lerp_(grad, 1-β1)
    exp_avg_sq = _scalar(beta2, w) * state["exp_avg_sq"] + _scalar(1 - beta2, w) * grad * grad
    step_size = lr / (1 - beta1**step)
    denominator = np.sqrt(exp_avg_sq) / _scalar(math.sqrt(1 - beta2**step), w) + _scalar(eps, w)
    w_new = (w - _scalar(step_size, w) * (exp_avg / denominator)).astype(w.dtype)
    return w_new, {"step": step, "exp_avg": exp_avg.astype(w.dtype), "exp_avg_sq": exp_avg_sq.astype(w.dtype)}


@reference("adam_step")
def adam_step(w: np.ndarray, grad: np.ndarray, lr: float, *, betas: tuple[float, float], eps: float,
              weight_decay: float, state: dict | None) -> tuple[np.ndarray, dict]:
    """One torch.optim.Adam step: weight_decay is an L2 term added to the gradient (g + λw) before the moments.

    state = {"step": int, "exp_avg": m, "exp_avg_sq": v}; None starts from zeros at step 0.
    """
    if weight_decay != 0:
        grad = grad + _scalar(weight_decay, w) * w
    return _adam_update(w, grad, lr, *betas, eps, state)


@reference("adamw_step")
def adamw_step(w: np.ndarray, grad: np.ndarray, lr: float, *, betas: tuple[float, float], eps: float,
               weight_decay: float, state: dict | None) -> tuple[np.ndarray, dict]:
    """One torch.optim.AdamW step: decoupled decay w ← w(1 − lr·λ) first, then Adam on the raw gradient."""
    decayed = (w * _scalar(1 - lr * weight_decay, w)).astype(w.dtype)
    return _adam_update(decayed, grad, lr, *betas, eps, state)


_STEPS = {"sgd": sgd_step, "adam": adam_step, "adamw": adamw_step}


@reference("grouped_steps")
def grouped_steps(params: dict[str, np.ndarray], grads: Sequence[dict[str, np.ndarray]], *, optimizer: str, lr: float,
                  weight_decay: float, no_decay: Sequence[str]) -> dict[str, np.ndarray]:
    """Run len(grads) steps with two parameter groups: names in `no_decay` (biases, normalization
    scales and shifts) get weight_decay=0, all others `weight_decay`. Returns the final parameters."""
    return run_grouped_steps(_STEPS, params, grads, optimizer, lr, weight_decay, no_decay)


__all__ = exported(globals())
