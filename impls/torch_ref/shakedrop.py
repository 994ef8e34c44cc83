"""ShakeDrop (Yamada et al. 2018), PyTorch reference: device-generic, the backward as an autograd Function.

The rule is the NumPy reference's (impls/numpy_ref/shakedrop.py): per sample b ~ Bernoulli(1 - p),
α ~ U(alpha_range) forward, β ~ U(beta_range) backward; eval (1 - p)·x.
"""

from __future__ import annotations

import torch

from impls.protocol.parameters import exported, implements, torch_tensor


class _ShakeDrop(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: torch.Tensor, forward_coefficient: torch.Tensor, backward_coefficient: torch.Tensor):
        ctx.save_for_backward(backward_coefficient)
        return x * forward_coefficient

    @staticmethod
    def backward(ctx, dout: torch.Tensor):
        (backward_coefficient,) = ctx.saved_tensors
        return dout * backward_coefficient, None, None


def _uniform(samples: int, bounds: tuple[float, float], x: torch.Tensor, generator) -> torch.Tensor:
    draw_dtype = torch.float64 if x.dtype == torch.float64 else torch.float32
    u = torch.rand(samples, generator=generator, device=x.device, dtype=draw_dtype)
    return (bounds[0] + (bounds[1] - bounds[0]) * u).to(x.dtype)


@implements("shakedrop", array=torch_tensor)
def shakedrop(x: torch.Tensor, p: float, *, alpha_range: tuple[float, float], beta_range: tuple[float, float],
              training: bool, generator: torch.Generator | None) -> tuple[torch.Tensor, dict | None]:
    """Return (out, {"gate", "alpha", "beta"}) in training, ((1 - p)·x, None) in eval (ranges checked by the spec)."""
    op = "shakedrop"
    alpha_bounds, beta_bounds = alpha_range, beta_range
    if x.dim() == 0:
        raise ValueError(f"{op}: x must have a sample axis (ndim ≥ 1), got shape {tuple(x.shape)}")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"{op}: generator must be a torch.Generator or None, got {type(generator).__name__}")
    if not training:
        return x * torch.tensor(1.0 - p, dtype=x.dtype, device=x.device), None
    samples = x.shape[0]
    draw_dtype = torch.float64 if x.dtype == torch.float64 else torch.float32
    gate = torch.rand(samples, generator=generator, device=x.device, dtype=draw_dtype) >= p
    alpha = _uniform(samples, alpha_bounds, x, generator)
    beta = _uniform(samples, beta_bounds, x, generator)
    per_sample = (samples,) + (1,) * (x.dim() - 1)
    one = torch.ones((), dtype=x.dtype, device=x.device)
    forward = torch.where(gate, one, alpha).reshape(per_sample)
    backward = torch.where(gate, one, beta).reshape(per_sample)
    return _ShakeDrop.apply(x, forward, backward), {"gate": gate, "alpha": alpha, "beta": beta}


__all__ = exported(globals())
