"""Batch normalization and layer normalization as NumPy forward/backward pairs (CS231n layer pattern).

Statistics are computed in float64 for float64 input and in float32 for float32 and float16 input
(half precision accumulates in float32, as PyTorch does); the output has the input's dtype. The
variance is two-pass, mean((x - μ)²), never E[x²] - E[x]², which cancels catastrophically when
|mean| ≫ std.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from impls.protocol.normalization import check_batch_norm_shapes, check_convention, check_layer_norm_shapes
from impls.validation import check_bool, check_in_range, check_probability

__all__ = ["OPTIONAL_AFFINE", "batch_norm_forward", "batch_norm_backward", "layer_norm_forward", "layer_norm_backward"]

#: gamma/beta may be None (scale 1, shift 0), as PyTorch takes them.
OPTIONAL_AFFINE = ("batch_norm", "layer_norm")


def _check_array(op: str, name: str, value: Any) -> np.ndarray:
    if not isinstance(value, np.ndarray) or not np.issubdtype(value.dtype, np.floating):
        raise TypeError(f"{op}: {name} must be a floating-point numpy.ndarray, got {type(value).__name__}")
    return value


def _check_eps(op: str, eps: Any) -> float:
    return check_in_range(op, "eps", eps, 0.0, float("inf"), closed="neither")


def _work_dtype(dtype: np.dtype) -> np.dtype:
    # float16 statistics accumulate in float32: a float16 sum of a few hundred terms loses all precision.
    return np.result_type(dtype, np.float32)


def _trailing(x: np.ndarray, normalized_shape: object) -> tuple[int, ...] | None:
    count = 1 if isinstance(normalized_shape, int) else len(normalized_shape) if isinstance(normalized_shape, (tuple, list)) else 0
    return tuple(x.shape[x.ndim - count:]) if 0 < count <= x.ndim else None


def _default_affine(x: object, gamma: np.ndarray | None, beta: np.ndarray | None, shape_of):
    """Optional affine parameters, as PyTorch takes them: γ = None is 1, β = None is 0 (gradients still returned)."""
    if (gamma is not None and beta is not None) or not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        return gamma, beta
    shape = shape_of(x) if x.ndim >= 1 else None
    if shape is None or len(shape) == 0:
        return gamma, beta  # x itself is invalid: its own check names it
    gamma = np.ones(shape, dtype=x.dtype) if gamma is None else gamma
    beta = np.zeros(shape, dtype=x.dtype) if beta is None else beta
    return gamma, beta


def batch_norm_forward(
    x: np.ndarray,
    gamma: np.ndarray | None,
    beta: np.ndarray | None,
    running_mean: np.ndarray,
    running_var: np.ndarray,
    *,
    training: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
    momentum_convention: str = "pytorch",
    var_estimator: str = "unbiased",
) -> tuple[np.ndarray, dict]:
    """Batch norm over every axis but axis 1 of x (N, C) or (N, C, H, W). Return (out, cache).

    Training: x̂ = (x - μ_B)/sqrt(σ²_B + eps) with the biased batch variance σ²_B, out = γ·x̂ + β, and
    the running statistics move towards the batch's (see impls.protocol.normalization for the two
    conventions). Eval: x̂ = (x - running_mean)/sqrt(running_var + eps). cache["running_mean"] and
    cache["running_var"] are the new running statistics (the inputs, unchanged, in eval); the
    arrays passed in are never modified.
    """
    op = "batch_norm"
    gamma, beta = _default_affine(x, gamma, beta, lambda a: a.shape[1:2])
    for name, value in (("x", x), ("gamma", gamma), ("beta", beta), ("running_mean", running_mean),
                        ("running_var", running_var)):
        _check_array(op, name, value)
    training = check_bool(op, "training", training)
    momentum = check_probability(op, "momentum", momentum)
    eps = _check_eps(op, eps)
    momentum_convention = check_convention(op, "momentum_convention", momentum_convention)
    var_estimator = check_convention(op, "var_estimator", var_estimator)
    channels = check_batch_norm_shapes(x.shape, training, gamma=gamma.shape, beta=beta.shape,
                                       running_mean=running_mean.shape, running_var=running_var.shape)

    work = _work_dtype(x.dtype)
    axes = (0,) + tuple(range(2, x.ndim))
    per_channel = (1, channels) + (1,) * (x.ndim - 2)
    xw = x.astype(work)
    count = x.size // channels
    if training:
        mean = xw.mean(axis=axes)
        centered = xw - mean.reshape(per_channel)
        var = (centered * centered).mean(axis=axes)
        # Normalization uses the biased variance; the running variance gets the chosen estimator.
        batch_var = var * (count / (count - 1)) if var_estimator == "unbiased" else var
        keep, take = (1.0 - momentum, momentum) if momentum_convention == "pytorch" else (momentum, 1.0 - momentum)
        new_mean = (keep * running_mean.astype(work) + take * mean).astype(running_mean.dtype)
        new_var = (keep * running_var.astype(work) + take * batch_var).astype(running_var.dtype)
    else:
        centered = xw - running_mean.astype(work).reshape(per_channel)
        var = running_var.astype(work)
        new_mean, new_var = running_mean.copy(), running_var.copy()
    inv_std = 1.0 / np.sqrt(var + work.type(eps))
    x_hat = centered * inv_std.reshape(per_channel)
    gamma_w = gamma.astype(work).reshape(per_channel)
    out = (gamma_w * x_hat + beta.astype(work).reshape(per_channel)).astype(x.dtype)
    cache = {
        "running_mean": new_mean, "running_var": new_var, "x_hat": x_hat, "inv_std": inv_std, "gamma": gamma_w,
        "axes": axes, "per_channel": per_channel, "count": count, "training": training, "dtypes": (
            x.dtype, gamma.dtype, beta.dtype),
    }
    return out, cache


def batch_norm_backward(dout: np.ndarray, cache: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (dx, dgamma, dbeta).

    Training: dx = γ/(m·s)·(m·dout - Σdout - x̂·Σ(dout·x̂)), sums over the m values of each channel,
    because μ_B and σ²_B depend on every sample. Eval: dx = γ/s·dout (running statistics are constants).
    """
    x_dtype, gamma_dtype, beta_dtype = cache["dtypes"]
    axes, per_channel, x_hat = cache["axes"], cache["per_channel"], cache["x_hat"]
    g = dout.astype(x_hat.dtype)
    dbeta = g.sum(axis=axes)
    dgamma = (g * x_hat).sum(axis=axes)
    scale = cache["gamma"] * cache["inv_std"].reshape(per_channel)
    if cache["training"]:
        m = cache["count"]
        dx = scale / m * (m * g - dbeta.reshape(per_channel) - x_hat * dgamma.reshape(per_channel))
    else:
        dx = scale * g
    return dx.astype(x_dtype), dgamma.astype(gamma_dtype), dbeta.astype(beta_dtype)


def layer_norm_forward(
    x: np.ndarray,
    normalized_shape: int | tuple[int, ...],
    gamma: np.ndarray | None,
    beta: np.ndarray | None,
    *,
    eps: float = 1e-5,
) -> tuple[np.ndarray, dict]:
    """Layer norm over the trailing `normalized_shape` axes of each sample. Return (out, cache).

    x̂ = (x - μ)/sqrt(σ² + eps) with each sample's own mean and biased variance; out = γ·x̂ + β with
    γ, β of shape normalized_shape. No batch statistics, so training and inference are the same.
    """
    op = "layer_norm"
    gamma, beta = _default_affine(x, gamma, beta, lambda a: _trailing(a, normalized_shape))
    for name, value in (("x", x), ("gamma", gamma), ("beta", beta)):
        _check_array(op, name, value)
    eps = _check_eps(op, eps)
    normalized = check_layer_norm_shapes(x.shape, normalized_shape, gamma=gamma.shape, beta=beta.shape)
    work = _work_dtype(x.dtype)
    axes = tuple(range(x.ndim - len(normalized), x.ndim))
    xw = x.astype(work)
    mean = xw.mean(axis=axes, keepdims=True)
    centered = xw - mean
    var = (centered * centered).mean(axis=axes, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + work.type(eps))
    x_hat = centered * inv_std
    gamma_w = gamma.astype(work)
    out = (gamma_w * x_hat + beta.astype(work)).astype(x.dtype)
    cache = {"x_hat": x_hat, "inv_std": inv_std, "gamma": gamma_w, "axes": axes,
             "count": int(np.prod(normalized)), "dtypes": (x.dtype, gamma.dtype, beta.dtype)}
    return out, cache


def layer_norm_backward(dout: np.ndarray, cache: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (dx, dgamma, dbeta): per sample, dx = s⁻¹/d·(d·ĝ - Σĝ - x̂·Σ(ĝ·x̂)) with ĝ = γ·dout."""
    x_dtype, gamma_dtype, beta_dtype = cache["dtypes"]
    axes, x_hat, d = cache["axes"], cache["x_hat"], cache["count"]
    g = dout.astype(x_hat.dtype)
    batch_axes = tuple(range(x_hat.ndim - len(axes)))
    dbeta = g.sum(axis=batch_axes)
    dgamma = (g * x_hat).sum(axis=batch_axes)
    g_hat = g * cache["gamma"]
    dx = cache["inv_std"] / d * (
        d * g_hat - g_hat.sum(axis=axes, keepdims=True) - x_hat * (g_hat * x_hat).sum(axis=axes, keepdims=True)
    )
    return dx.astype(x_dtype), dgamma.astype(gamma_dtype), dbeta.astype(beta_dtype)
