"""Batch normalization and layer normalization from scratch in PyTorch (any device, any floating dtype).

Statistics are computed in float32 for float16/bfloat16 input (PyTorch's own "opmath" choice) and
in the input's dtype otherwise; the output has the input's dtype. The variance is two-pass,
mean((x - μ)²), never E[x²] - E[x]².

Training-mode batch norm and layer norm are autograd Functions with the backward written out
(the same formulas as the NumPy reference, in torch): autograd through the composed forward keeps
every intermediate and runs a dozen kernels, 2x slower than these (regverify bench). Eval-mode batch
norm is one multiply-add and keeps autograd. Signatures, defaults and parameter checks are the specs'
(impls/protocol/normalization.py).
"""

from __future__ import annotations

import torch

from impls.protocol.normalization import check_batch_norm_shapes, check_layer_norm_shapes, shapes_of
from impls.protocol.parameters import exported, implements, torch_tensor

#: gamma/beta may be None (scale 1, shift 0), as PyTorch takes them.
OPTIONAL_AFFINE = ("batch_norm", "layer_norm")


def _work_dtype(dtype: torch.dtype) -> torch.dtype:
    return torch.promote_types(dtype, torch.float32)


class _BatchNormTraining(torch.autograd.Function):
    """Batch statistics over `axes`; returns (out, batch mean, biased batch variance)."""

    @staticmethod
    def forward(ctx, x, gamma, beta, eps: float, axes: list[int], per_channel: tuple[int, ...]):
        mean = x.mean(dim=axes)
        centered = x - mean.reshape(per_channel)
        var = (centered * centered).mean(dim=axes)
        rstd = torch.rsqrt(var + eps)
        # γ/σ folded into one per-channel scale: one multiply-add over x instead of three passes.
        scale = gamma * rstd
        out = torch.addcmul(beta.reshape(per_channel), centered, scale.reshape(per_channel))
        ctx.save_for_backward(centered, rstd, scale)
        ctx.axes, ctx.per_channel = axes, per_channel
        ctx.mark_non_differentiable(mean, var)
        return out, mean, var

    @staticmethod
    def backward(ctx, grad_out, _grad_mean, _grad_var):
        centered, rstd, scale = ctx.saved_tensors
        axes, shape = ctx.axes, ctx.per_channel
        count = centered.numel() // scale.numel()
        sum_grad = grad_out.sum(dim=axes)
        sum_grad_centered = (grad_out * centered).sum(dim=axes)  # Σ dy·(x - μ) = σ·Σ dy·x̂
        grad_x = None
        if ctx.needs_input_grad[0]:
            # dx = γ/σ · (dy - mean(dy) - x̂·mean(dy·x̂)), with x̂ = (x - μ)/σ written through (x - μ)
            grad_x = torch.addcmul(grad_out - (sum_grad / count).reshape(shape), centered,
                                   (-(rstd * rstd) * sum_grad_centered / count).reshape(shape))
            grad_x.mul_(scale.reshape(shape))
        grad_gamma = sum_grad_centered * rstd if ctx.needs_input_grad[1] else None
        grad_beta = sum_grad if ctx.needs_input_grad[2] else None
        return grad_x, grad_gamma, grad_beta, None, None, None


class _LayerNorm(torch.autograd.Function):
    """Per-row statistics of a (rows, features) matrix."""

    @staticmethod
    def forward(ctx, rows, gamma, beta, eps: float):
        features = rows.shape[-1]
        centered = rows - rows.mean(dim=-1, keepdim=True)
        # Σ (x - μ)² per row as one dot product: no squared temporary.
        rstd = torch.linalg.vecdot(centered, centered).unsqueeze_(-1).div_(features).add_(eps).rsqrt_()
        x_hat = centered.mul_(rstd)
        ctx.save_for_backward(x_hat, rstd, gamma)
        return torch.addcmul(beta, x_hat, gamma)

    @staticmethod
    def backward(ctx, grad_out):
        x_hat, rstd, gamma = ctx.saved_tensors
        grad_rows = None
        if ctx.needs_input_grad[0]:
            # dx = (g - mean(g) - x̂·mean(g·x̂)) / σ per row, g = dy·γ
            g = grad_out * gamma
            mean_g = g.mean(dim=-1, keepdim=True)
            mean_g_x_hat = torch.linalg.vecdot(g, x_hat).unsqueeze_(-1).div_(x_hat.shape[-1])
            grad_rows = torch.addcmul(g.sub_(mean_g), x_hat, mean_g_x_hat, value=-1).mul_(rstd)
        grad_gamma = (grad_out * x_hat).sum(dim=0) if ctx.needs_input_grad[1] else None
        grad_beta = grad_out.sum(dim=0) if ctx.needs_input_grad[2] else None
        return grad_rows, grad_gamma, grad_beta, None


@implements("batch_norm", array=torch_tensor)
def batch_norm(x: torch.Tensor, gamma: torch.Tensor | None, beta: torch.Tensor | None, running_mean: torch.Tensor,
               running_var: torch.Tensor, *, training: bool, momentum: float, eps: float, momentum_convention: str,
               var_estimator: str) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Batch norm over every axis but axis 1 of x (N, C) or (N, C, H, W).

    Return (out, {"running_mean": ..., "running_var": ...}): the new running statistics in training,
    the given ones in eval. The tensors passed in are never modified.
    """
    channels = check_batch_norm_shapes(tuple(x.shape), training, **shapes_of(
        gamma=gamma, beta=beta, running_mean=running_mean, running_var=running_var))
    # Optional affine parameters, as F.batch_norm takes them: γ = None is 1, β = None is 0.
    gamma = torch.ones(channels, dtype=x.dtype, device=x.device) if gamma is None else gamma
    beta = torch.zeros(channels, dtype=x.dtype, device=x.device) if beta is None else beta

    work = _work_dtype(x.dtype)
    axes = [0] + list(range(2, x.dim()))
    per_channel = (1, channels) + (1,) * (x.dim() - 2)
    xw = x.to(work)
    if training:
        count = x.numel() // channels
        out, mean, var = _BatchNormTraining.apply(xw, gamma.to(work), beta.to(work), eps, axes, per_channel)
        batch_var = var * (count / (count - 1)) if var_estimator == "unbiased" else var
        keep, take = (1.0 - momentum, momentum) if momentum_convention == "pytorch" else (momentum, 1.0 - momentum)
        # Running statistics are buffers, not parameters: no gradient flows into them.
        with torch.no_grad():
            new_mean = (keep * running_mean.to(work) + take * mean).to(running_mean.dtype)
            new_var = (keep * running_var.to(work) + take * batch_var).to(running_var.dtype)
    else:
        centered = xw - running_mean.to(work).reshape(per_channel)
        scale = (gamma.to(work) * torch.rsqrt(running_var.to(work) + eps)).reshape(per_channel)
        out = torch.addcmul(beta.to(work).reshape(per_channel), centered, scale)
        new_mean, new_var = running_mean.detach().clone(), running_var.detach().clone()
    return out.to(x.dtype), {"running_mean": new_mean, "running_var": new_var}


@implements("layer_norm", array=torch_tensor)
def layer_norm(x: torch.Tensor, normalized_shape: int | tuple[int, ...], gamma: torch.Tensor | None,
               beta: torch.Tensor | None, *, eps: float) -> torch.Tensor:
    """Layer norm over the trailing `normalized_shape` axes of each sample; γ, β have shape normalized_shape
    (None: γ = 1, β = 0, as F.layer_norm's weight=None, bias=None)."""
    normalized = check_layer_norm_shapes(tuple(x.shape), normalized_shape, **shapes_of(gamma=gamma, beta=beta))
    gamma = torch.ones(normalized, dtype=x.dtype, device=x.device) if gamma is None else gamma
    beta = torch.zeros(normalized, dtype=x.dtype, device=x.device) if beta is None else beta
    work = _work_dtype(x.dtype)
    features = gamma.numel()
    rows = x.to(work).reshape(-1, features)
    out = _LayerNorm.apply(rows, gamma.to(work).reshape(features), beta.to(work).reshape(features), eps)
    return out.reshape(x.shape).to(x.dtype)


__all__ = exported(globals(), "OPTIONAL_AFFINE")
