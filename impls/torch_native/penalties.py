"""Adapters to PyTorch's own penalties, constraints, clipping and optimizers.

Each function calls the built-in a user would call (F.mse_loss / F.l1_loss for the norms,
Categorical.entropy, F.softshrink, torch.renorm, parametrizations.spectral_norm, clip_grad_norm_,
clip_grad_value_, torch.optim.SGD / Adam / AdamW one step at a time) and adds nothing to the
arithmetic. PyTorch has no orthogonality penalty and no L1 subgradient step: those are reported
"not implemented" for this target. Signatures and defaults are the specs' (``@adapter``, from
impls/protocol/penalties.py); no argument is checked here, so PyTorch's own acceptances stay visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import torch
import torch.nn.functional as F
from torch.nn.utils import clip_grad_norm_, clip_grad_value_, parametrizations

from impls.protocol.parameters import exported, implements
from impls.torch_native.seeding import seeded_from

#: The spec's signature and defaults, no checks of ours in front of PyTorch's.
adapter = partial(implements, check=False)


@adapter("l2_penalty")
def l2_penalty(w: torch.Tensor, lam: float, *, half: bool) -> torch.Tensor:
    """(λ/2)‖w‖² (half) or λ‖w‖² through F.mse_loss(w, 0, reduction="sum")."""
    return (lam / 2 if half else lam) * F.mse_loss(w, torch.zeros_like(w), reduction="sum")


@adapter("l1_penalty")
def l1_penalty(w: torch.Tensor, lam: float) -> torch.Tensor:
    """λ‖w‖₁ through F.l1_loss(w, 0, reduction="sum")."""
    return lam * F.l1_loss(w, torch.zeros_like(w), reduction="sum")


@adapter("elastic_net_penalty")
def elastic_net_penalty(w: torch.Tensor, l1: float, l2: float, *, half: bool) -> torch.Tensor:
    return l1_penalty(w, l1) + l2_penalty(w, l2, half=half)


@adapter("entropy_penalty")
def entropy_penalty(x: torch.Tensor, *, from_logits: bool, dim: int) -> torch.Tensor:
    """Σ over rows of torch.distributions.Categorical(...).entropy() along `dim`."""
    rows = x.movedim(dim, -1)
    distribution = torch.distributions.Categorical(logits=rows) if from_logits else torch.distributions.Categorical(probs=rows)
    return distribution.entropy().sum()


@adapter("soft_threshold")
def soft_threshold(w: torch.Tensor, threshold: float) -> torch.Tensor:
    """F.softshrink(w, lambd=threshold)."""
    return F.softshrink(w, lambd=threshold)


@adapter("max_norm")
def max_norm(w: torch.Tensor, c: float, *, dim: int) -> torch.Tensor:
    """torch.renorm(w, p=2, dim=dim, maxnorm=c) (it scales by c/(‖slice‖ + 1e-7))."""
    return torch.renorm(w, p=2, dim=dim, maxnorm=c)


@adapter("spectral_norm")
def spectral_norm(w: torch.Tensor, *, n_power_iterations: int, generator: torch.Generator | None,
                  u: torch.Tensor | None, training: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """parametrizations.spectral_norm's module applied to w; returns (W/σ̂, its u after the call).

    The built-in draws (u, v) from the global RNG at registration (seeded here from `generator`) and
    runs 15 power iterations there. A given `u` replaces that state: _u = normalize(u) and
    _v = normalize(Wᵀ_u), the pair torch's own iteration leaves behind, so that the k iterations of
    this call start from u exactly as the reference's do. Training runs n_power_iterations and updates
    _u; eval runs none. The module is called on `w` itself, so autograd reaches w.
    """
    holder = torch.nn.Module()
    holder.weight = torch.nn.Parameter(w.detach().clone())
    with seeded_from(generator, w.device):
        parametrizations.spectral_norm(holder, n_power_iterations=n_power_iterations)
    module = holder.parametrizations.weight[0]
    if u is not None:
        with torch.no_grad():
            matrix = w.detach().reshape(w.shape[0], -1)
            module._u.copy_(F.normalize(u.to(w.dtype), dim=0, eps=module.eps))
            module._v.copy_(F.normalize(torch.mv(matrix.H, module._u), dim=0, eps=module.eps))
    module.train(training)
    out = module(w)
    return out, module._u.clone()


def _holders(grads: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    holders = []
    for g in grads:
        holder = torch.zeros_like(g, requires_grad=True)
        holder.grad = g.detach().clone()
        holders.append(holder)
    return holders


@adapter("clip_grad_norm")
def clip_grad_norm(grads: Sequence[torch.Tensor], max_norm: float, *, norm_type: float,
                   error_if_nonfinite: bool) -> tuple[list[torch.Tensor], torch.Tensor]:
    """clip_grad_norm_ on parameters whose .grad are copies of `grads`; returns (clipped, total_norm)."""
    holders = _holders(grads)
    total = clip_grad_norm_(holders, max_norm, norm_type=norm_type, error_if_nonfinite=error_if_nonfinite)
    return [h.grad for h in holders], total


@adapter("clip_grad_value")
def clip_grad_value(grads: Sequence[torch.Tensor], clip_value: float) -> list[torch.Tensor]:
    holders = _holders(grads)
    clip_grad_value_(holders, clip_value)
    return [h.grad for h in holders]


# ---------------------------------------------------------------- torch.optim, one step at a time

_SCALAR_STEP = torch.float32  # torch.optim keeps Adam's step count as a float32 CPU tensor by default


def _parameter(w: torch.Tensor, grad: torch.Tensor) -> torch.nn.Parameter:
    parameter = torch.nn.Parameter(w.detach().clone())
    parameter.grad = grad.detach().clone()
    return parameter


@adapter("sgd_step")
def sgd_step(w: torch.Tensor, grad: torch.Tensor, lr: float, *, weight_decay: float, momentum: float,
             dampening: float, nesterov: bool, buffer: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """torch.optim.SGD(...).step() once; `buffer` is loaded as state["momentum_buffer"]."""
    parameter = _parameter(w, grad)
    optimizer = torch.optim.SGD([parameter], lr=lr, weight_decay=weight_decay, momentum=momentum,
                                dampening=dampening, nesterov=nesterov)
    if buffer is not None:
        optimizer.state[parameter]["momentum_buffer"] = buffer.detach().clone()
    optimizer.step()
    new_buffer = optimizer.state[parameter].get("momentum_buffer")
    return parameter.detach(), None if new_buffer is None else new_buffer.clone()


def _adam_like(cls: type, w: torch.Tensor, grad: torch.Tensor, lr: float, betas: tuple[float, float], eps: float,
               weight_decay: float, state: dict | None) -> tuple[torch.Tensor, dict]:
    parameter = _parameter(w, grad)
    optimizer = cls([parameter], lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
    if state is not None:
        optimizer.state[parameter].update({
            "step": torch.tensor(float(state["step"]), dtype=_SCALAR_STEP),
            "exp_avg": state["exp_avg"].detach().clone(),
            "exp_avg_sq": state["exp_avg_sq"].detach().clone(),
        })
    optimizer.step()
    held = optimizer.state[parameter]
    return parameter.detach(), {"step": int(held["step"]), "exp_avg": held["exp_avg"].clone(),
                                "exp_avg_sq": held["exp_avg_sq"].clone()}


@adapter("adam_step")
def adam_step(w: torch.Tensor, grad: torch.Tensor, lr: float, *, betas: tuple[float, float], eps: float,
              weight_decay: float, state: dict | None) -> tuple[torch.Tensor, dict]:
    """torch.optim.Adam(...).step() once, from `state` = {"step", "exp_avg", "exp_avg_sq"}."""
    return _adam_like(torch.optim.Adam, w, grad, lr, betas, eps, weight_decay, state)


@adapter("adamw_step")
def adamw_step(w: torch.Tensor, grad: torch.Tensor, lr: float, *, betas: tuple[float, float], eps: float,
               weight_decay: float, state: dict | None) -> tuple[torch.Tensor, dict]:
    """torch.optim.AdamW(...).step() once."""
    return _adam_like(torch.optim.AdamW, w, grad, lr, betas, eps, weight_decay, state)


_OPTIMIZERS: dict[str, Any] = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}


@adapter("grouped_steps")
def grouped_steps(params: dict[str, torch.Tensor], grads: Sequence[dict[str, torch.Tensor]], *, optimizer: str,
                  lr: float, weight_decay: float, no_decay: Sequence[str]) -> dict[str, torch.Tensor]:
    """One optimizer over two parameter groups (the usual recipe): names in `no_decay` (biases,
    normalization parameters) in a group with weight_decay=0, the rest with `weight_decay`."""
    parameters = {name: torch.nn.Parameter(value.detach().clone()) for name, value in params.items()}
    groups = [
        {"params": [p for n, p in parameters.items() if n not in no_decay], "weight_decay": weight_decay},
        {"params": [p for n, p in parameters.items() if n in no_decay], "weight_decay": 0.0},
    ]
    engine = _OPTIMIZERS[optimizer]([g for g in groups if g["params"]], lr=lr)
    for grad in grads:
        for name, parameter in parameters.items():
            parameter.grad = grad[name].detach().clone()
        engine.step()
    return {name: parameter.detach() for name, parameter in parameters.items()}


__all__ = exported(globals())
