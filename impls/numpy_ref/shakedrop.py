"""ShakeDrop (Yamada et al. 2018), NumPy reference: forward and hand-written backward.

Per sample, a gate b ~ Bernoulli(1 - p) (p is the drop probability, the protocol's convention; the
paper's survival probability is p_l = 1 - p) and α ~ U(alpha_range). Training output (b + α - bα)·x,
which is x for a kept sample and α·x for a dropped one. The backward pass uses an independent
β ~ U(beta_range) in place of α: dx = (b + β - bβ)·dout, deliberately not the forward's derivative.
Eval: E[b + α - bα]·x = (1 - p)·x when E[α] = 0, the paper's test-time rule.
"""

from __future__ import annotations

import numpy as np

from impls.protocol.parameters import exported, implements, numpy_array


@implements("shakedrop", array=numpy_array)
def shakedrop_forward(x: np.ndarray, p: float, *, alpha_range: tuple[float, float], beta_range: tuple[float, float],
                      training: bool, generator: np.random.Generator | None) -> tuple[np.ndarray, dict]:
    """Return (out, cache); cache["mask"] = {"gate", "alpha", "beta"}, one entry per sample (axis 0).
    The spec's checks (impls/protocol/noise.py) have made alpha_range and beta_range (low, high) float pairs."""
    op = "shakedrop"
    (alpha_low, alpha_high), (beta_low, beta_high) = alpha_range, beta_range
    if x.ndim == 0:
        raise ValueError(f"{op}: x must have a sample axis (ndim ≥ 1), got shape {x.shape}")
    if not training:
        scale = x.dtype.type(1.0 - p)
        return x * scale, {"mask": None, "training": False, "scale": scale}
    rng = generator if generator is not None else np.random.default_rng()
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{op}: generator must be a numpy.random.Generator or None, got {type(generator).__name__}")
    samples = x.shape[0]
    gate = rng.random(samples) >= p
    alpha = (alpha_low + (alpha_high - alpha_low) * rng.random(samples)).astype(x.dtype)
    beta = (beta_low + (beta_high - beta_low) * rng.random(samples)).astype(x.dtype)
    per_sample = (samples,) + (1,) * (x.ndim - 1)
    forward = np.where(gate, x.dtype.type(1.0), alpha).reshape(per_sample)
    backward = np.where(gate, x.dtype.type(1.0), beta).reshape(per_sample)
    mask = {"gate": gate, "alpha": alpha, "beta": beta}
    return x * forward, {"mask": mask, "training": True, "backward": backward}


def shakedrop_backward(dout: np.ndarray, cache: dict) -> np.ndarray:
    """dx = (b + β - bβ)·dout in training; (1 - p)·dout in eval."""
    if not cache["training"]:
        return dout * cache["scale"]
    return dout * cache["backward"]


__all__ = exported(globals())
