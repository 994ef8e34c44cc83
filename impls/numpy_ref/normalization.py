"""Batch normalization and layer normalization as NumPy forward/backward pairs (CS231n layer pattern).

Statistics are computed in float64 for float64 input and in float32 for float32 and float16 input
(half precision accumulates in float32, as PyTorch does); the output has the input's dtype. The
variance is two-pass, mean((x - μ)²), never E[x²] - E[x]², which cancels catastrophically when
|mean| ≫ std. Signatures, defaults and parameter checks are the specs' (impls/protocol/normalization.py).
"""

from __future__ import annotations

import numpy as np

from impls.protocol.normalization import check_batch_norm_shapes, check_layer_norm_shapes, shapes_of
from impls.protocol.parameters import exported, implements, numpy_array

#: gamma/beta may be None (scale 1, shift 0), as PyTorch takes them.
OPTIONAL_AFFINE = ("batch_norm", "layer_norm")


def _work_dtype(dtype: np.dtype) -> np.dtype:
    # float16 statistics accumulate in float32: a float16 sum of a few hundred terms loses all precision.
    return np.result_type(dtype, np.float32)


@implements("batch_norm", array=numpy_array)
def batch_norm_forward(x: np.ndarray, gamma: np.ndarray | None, beta: np.ndarray | None, running_mean: np.ndarray,
                       running_var: np.ndarray, *, training: bool, momentum: float, eps: float,
                       momentum_convention: str, var_estimator: str) -> tuple[np.ndarray, dict]:
    """Batch norm over every axis but axis 1 of x (N, C) or (N, C, H, W). Return (out, cache).

    Training: x̂ = (x - μ_B)/sqrt(σ²_B + eps) with the biased batch variance σ²_B, out = γ·x̂ + β, and
    the running statistics move towards the batch's (see impls.protocol.normalization for the two
    conventions). Eval: x̂ = (x - running_mean)/sqrt(running_var + eps). cache["running_mean"] and
    cache["running_var"] are the new running statistics (the inputs, unchanged, in eval); the
    arrays passed in are never modified.
    """
    channels = check_batch_norm_shapes(x.shape, training, **shapes_of(
        gamma=gamma, beta=beta, running_mean=running_mean, running_var=running_var))
    # Optional affine parameters, as PyTorch takes them: γ = None is 1, β = None is 0 (gradients still returned).
    gamma = np.ones(channels, dtype=x.dtype) if gamma is None else gamma
    beta = np.zeros(channels, dtype=x.dtype) if beta is None else beta

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


@implements("layer_norm", array=numpy_array)
def layer_norm_forward(x: np.ndarray, normalized_shape: int | tuple[int, ...], gamma: np.ndarray | None,
                       beta: np.ndarray | None, *, eps: float) -> tuple[np.ndarray, dict]:
    """Layer norm over the trailing `normalized_shape` axes of each sample. Return (out, cache).

    x̂ = (x - μ)/sqrt(σ² + eps) with each sample's own mean and biased variance; out = γ·x̂ + β with
    γ, β of shape normalized_shape. No batch statistics, so training and inference are the same.
    """
    normalized = check_layer_norm_shapes(x.shape, normalized_shape, **shapes_of(gamma=gamma, beta=beta))
    gamma = np.ones(normalized, dtype=x.dtype) if gamma is None else gamma
    beta = np.zeros(normalized, dtype=x.dtype) if beta is None else beta
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


__all__ = exported(globals(), "OPTIONAL_AFFINE")
