"""Noise-injection regularizers as NumPy forward/backward pairs (CS231n layer pattern).

Label smoothing, Gaussian dropout, spatial (channel) dropout, alpha dropout, DropConnect,
locked (variational) dropout, embedding dropout and stochastic depth. Arithmetic is float64
throughout; outputs are cast to the input's dtype once at the end.

Over 400 lines: eighteen operations of impls/protocol/noise.py (all but ShakeDrop, which has its own
module), each a forward and a hand-written backward. Signatures, defaults and parameter checks are the
specs', applied by ``@reference``: a body receives checked values and checks only what depends on shapes.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import numpy as np

from impls.protocol.noise import LABEL_SMOOTHING_CONVENTIONS, SELU_ALPHA_PRIME, smoothing_values
from impls.protocol.parameters import exported, implements, numpy_array

CONVENTIONS = LABEL_SMOOTHING_CONVENTIONS
reference = partial(implements, array=numpy_array)


def _rng(op: str, generator: Any) -> np.random.Generator:
    rng = generator if generator is not None else np.random.default_rng()
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{op}: generator must be a numpy.random.Generator, got {type(generator).__name__}")
    return rng


# ---------------------------------------------------------------- label smoothing


def _smooth(distribution: np.ndarray, epsilon: float, convention: str, num_classes: int) -> np.ndarray:
    """Smooth rows of a (one-hot or probability) distribution along the last axis; linear in the row."""
    if convention == "uniform":
        return (1.0 - epsilon) * distribution + epsilon / num_classes
    return (1.0 - epsilon) * distribution + epsilon / (num_classes - 1) * (1.0 - distribution)


@reference("smooth_labels")
def smooth_labels(targets: np.ndarray, num_classes: int, epsilon: float, *, convention: str,
                  dtype: Any = np.float64) -> np.ndarray:
    """Smoothed one-hot targets with classes on a new last axis.

    uniform (PyTorch, Week 6): q = (1-ε)·onehot + ε/K. off_target (Module 2): 1 → 1-ε, 0 → ε/(K-1).
    Both rows sum to 1; off_target(ε) equals uniform(ε·K/(K-1)).
    """
    op = "smooth_labels"
    epsilon, on, off = smoothing_values(op, num_classes, epsilon, convention)
    targets = np.asarray(targets)
    if not np.issubdtype(targets.dtype, np.integer):
        raise TypeError(f"{op}: targets must hold integer class indices, got dtype {targets.dtype}")
    if targets.size and (targets.min() < 0 or targets.max() >= num_classes):
        bad = targets[(targets < 0) | (targets >= num_classes)].ravel()[0]
        raise ValueError(f"{op}: targets must be in [0, {num_classes - 1}], got {int(bad)}")
    onehot = np.arange(num_classes) == targets[..., None]
    return np.where(onehot, on, off).astype(dtype)


def _class_axis(ndim: int) -> int:
    return 1 if ndim >= 2 else 0


@reference("label_smoothing_cross_entropy")
def label_smoothing_cross_entropy_forward(logits: np.ndarray, targets: np.ndarray, epsilon: float, *, convention: str,
                                          reduction: str, weight: np.ndarray | None,
                                          ignore_index: int) -> tuple[np.ndarray, dict]:
    """Cross-entropy of softmax(logits) against smoothed targets, with F.cross_entropy's options.

    Per sample: ℓ = -Σ_c w_c q_c log softmax(z)_c, q the smoothed target (index targets one-hot first).
    Ignored samples (index targets equal to ignore_index) contribute 0. 'mean' divides by Σ w[target]
    over the non-ignored samples (index targets; nll_loss's rule) or by the number of samples
    (probability targets, for which ignore_index does not apply).
    """
    op = "label_smoothing_cross_entropy"
    if logits.ndim == 0:
        raise ValueError(f"{op}: logits must have a class dimension (ndim ≥ 1), got a 0-d array")
    axis = _class_axis(logits.ndim)
    num_classes = logits.shape[axis]
    epsilon, _, _ = smoothing_values(op, num_classes, epsilon, convention)
    z = np.moveaxis(logits.astype(np.float64), axis, -1)
    batch_shape = z.shape[:-1]
    if weight is None:
        w = np.ones(num_classes)
    else:
        w = np.asarray(weight, dtype=np.float64)
        if w.shape != (num_classes,):
            raise ValueError(f"{op}: weight must have shape ({num_classes},), got {w.shape}")
    targets = np.asarray(targets)
    probability_targets = np.issubdtype(targets.dtype, np.floating)
    if probability_targets:
        if targets.shape != logits.shape:
            raise ValueError(f"{op}: probability targets must have the logits' shape {logits.shape}, got {targets.shape}")
        if ignore_index != -100:
            # F.cross_entropy's rule: a class to ignore has no meaning for probability targets.
            raise ValueError(f"{op}: ignore_index must be -100 (unset) with probability targets, got {ignore_index!r}")
        distribution = np.moveaxis(targets.astype(np.float64), axis, -1)
        valid = np.ones(batch_shape, dtype=bool)
        normalizer = float(valid.size)
    elif np.issubdtype(targets.dtype, np.integer):
        if targets.shape != batch_shape:
            raise ValueError(f"{op}: index targets must have shape {batch_shape}, got {targets.shape}")
        valid = targets != ignore_index
        chosen = targets[valid]
        if chosen.size and (chosen.min() < 0 or chosen.max() >= num_classes):
            bad = chosen[(chosen < 0) | (chosen >= num_classes)][0]
            raise ValueError(f"{op}: targets must be in [0, {num_classes - 1}] or ignore_index={ignore_index}, "
                             f"got {int(bad)}")
        distribution = (np.arange(num_classes) == np.where(valid, targets, -1)[..., None]).astype(np.float64)
        normalizer = float(w[chosen].sum())
    else:
        raise TypeError(f"{op}: targets must be integer class indices or floating class probabilities, "
                        f"got dtype {targets.dtype}")
    if reduction == "mean" and normalizer == 0.0:
        raise ValueError(f"{op}: reduction='mean' needs a positive total weight of non-ignored targets, got "
                         f"{normalizer} (every target is ignore_index={ignore_index} or has weight 0)")
    q = _smooth(distribution, epsilon, convention, num_classes)
    shifted = z - z.max(axis=-1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    per_sample = np.where(valid, -(w * q * log_softmax).sum(axis=-1), 0.0)
    if reduction == "none":
        loss = per_sample
    elif reduction == "sum":
        loss = np.asarray(per_sample.sum())
    else:
        loss = np.asarray(per_sample.sum() / normalizer)
    slope = (1.0 - epsilon) if convention == "uniform" else (1.0 - epsilon - epsilon / (num_classes - 1))
    cache = {"log_softmax": log_softmax, "q": q, "w": w, "valid": valid, "axis": axis, "reduction": reduction,
             "normalizer": normalizer, "dtype": logits.dtype, "probability_targets": probability_targets,
             "target_slope": slope, "target_dtype": targets.dtype}
    return loss.astype(logits.dtype), cache


def label_smoothing_cross_entropy_backward(dout: np.ndarray, cache: dict) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """dℓ/dz = (Σ_c w_c q_c)·softmax(z) - w⊙q per sample (= softmax - q without weights); chain rule through
    the reduction. For probability targets also dℓ/dt = -slope·w⊙log softmax, slope = dq/dt."""
    log_softmax, q, w, valid = cache["log_softmax"], cache["q"], cache["w"], cache["valid"]
    upstream = np.asarray(dout, dtype=np.float64)
    if cache["reduction"] == "none":
        upstream = upstream[..., None]
    elif cache["reduction"] == "mean":
        upstream = upstream / cache["normalizer"]
    upstream = upstream * valid[..., None]
    wq = w * q
    dz = (wq.sum(axis=-1, keepdims=True) * np.exp(log_softmax) - wq) * upstream
    dlogits = np.moveaxis(dz, -1, cache["axis"]).astype(cache["dtype"])
    if not cache["probability_targets"]:
        return dlogits
    dt = -cache["target_slope"] * w * log_softmax * upstream
    return dlogits, np.moveaxis(dt, -1, cache["axis"]).astype(cache["target_dtype"])


# ---------------------------------------------------------------- Gaussian dropout


@reference("gaussian_dropout")
def gaussian_dropout_forward(x: np.ndarray, p: float, *, training: bool,
                             generator: np.random.Generator | None) -> tuple[np.ndarray, dict]:
    """Multiply by ξ ~ N(1, p/(1-p)): inverted dropout's multiplier has mean 1 and that variance.

    cache["mask"] is ξ in x's dtype; out = x·ξ with one rounding. Eval (or p = 0): the identity, ξ = 1.
    """
    if not training or p == 0.0:
        return x.copy(), {"mask": np.ones(x.shape, dtype=x.dtype)}
    sigma = math.sqrt(p / (1.0 - p))
    noise = (1.0 + sigma * _rng("gaussian_dropout", generator).standard_normal(x.shape)).astype(x.dtype)
    return x * noise, {"mask": noise}


def gaussian_dropout_backward(dout: np.ndarray, cache: dict) -> np.ndarray:
    return dout * cache["mask"]


# ---------------------------------------------------------------- spatial (channel) dropout


def _channel_dims(op: str, ndim: int, spatial: int, layouts: dict[int, int]) -> int:
    if ndim not in layouts:
        allowed = " or ".join(f"{k}-D" for k in sorted(layouts))
        raise ValueError(f"{op}: x must be {allowed} (channel dropout over {spatial} spatial dims), got {ndim}-D")
    return layouts[ndim]


def _feature_dropout(op: str, x: np.ndarray, p: float, training: bool, generator: Any, leading: int | None,
                     layouts: dict[int, int], spatial: int) -> tuple[np.ndarray, dict]:
    leading = _channel_dims(op, x.ndim, spatial, layouts) if leading is None else leading
    mask_shape = x.shape[:leading] + (1,) * (x.ndim - leading)
    if not training or p == 0.0:
        return x.copy(), {"mask": np.ones(mask_shape, dtype=bool), "scale": 1.0}
    mask = _rng(op, generator).random(mask_shape) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    return np.where(mask, x * x.dtype.type(scale), x.dtype.type(0)), {"mask": mask, "scale": scale}


def _feature_dropout_backward(dout: np.ndarray, cache: dict) -> np.ndarray:
    return np.where(cache["mask"], dout * dout.dtype.type(cache["scale"]), dout.dtype.type(0))


@reference("dropout1d")
def dropout1d_forward(x: np.ndarray, p: float, *, training: bool,
                      generator: np.random.Generator | None) -> tuple[np.ndarray, dict]:
    """Channel dropout for (N, C, L) or unbatched (C, L): one keep decision per channel."""
    return _feature_dropout("dropout1d", x, p, training, generator, None, {2: 1, 3: 2}, 1)


@reference("dropout2d")
def dropout2d_forward(x: np.ndarray, p: float, *, training: bool,
                      generator: np.random.Generator | None) -> tuple[np.ndarray, dict]:
    """Channel dropout for (N, C, H, W); 3-D input is (N, C, L) as PyTorch documents (no unbatched (C, H, W))."""
    return _feature_dropout("dropout2d", x, p, training, generator, None, {3: 2, 4: 2}, 2)


@reference("dropout3d")
def dropout3d_forward(x: np.ndarray, p: float, *, training: bool,
                      generator: np.random.Generator | None) -> tuple[np.ndarray, dict]:
    """Channel dropout for (N, C, D, H, W) or unbatched (C, D, H, W)."""
    return _feature_dropout("dropout3d", x, p, training, generator, None, {4: 1, 5: 2}, 3)


dropout1d_backward = dropout2d_backward = dropout3d_backward = _feature_dropout_backward


# ---------------------------------------------------------------- alpha dropout


def alpha_dropout_constants(p: float) -> tuple[float, float]:
    """(a, b) with out = a·(x·m + α'(1-m)) + b: mean 0 and variance 1 for x ~ N(0, 1), m ~ Bernoulli(1-p)."""
    a = 1.0 / math.sqrt((1.0 - p) * (1.0 + p * SELU_ALPHA_PRIME**2))
    return a, -a * p * SELU_ALPHA_PRIME


def _alpha_dropout(op: str, x: np.ndarray, p: float, training: bool, generator: Any,
                   feature: bool) -> tuple[np.ndarray, dict]:
    if feature and x.ndim < 2:
        raise ValueError(f"{op}: x must have ≥ 2 dims (N, C, ...), got {x.ndim}-D")
    mask_shape = (x.shape[:2] + (1,) * (x.ndim - 2)) if feature else x.shape
    if not training or p == 0.0:
        return x.copy(), {"mask": np.ones(mask_shape, dtype=bool), "a": 1.0}
    if p == 1.0:
        # PyTorch's rule for every dropout at p = 1: the output is x·0 (a would be infinite).
        return x * x.dtype.type(0), {"mask": np.zeros(mask_shape, dtype=bool), "a": 0.0}
    mask = _rng(op, generator).random(mask_shape) >= p
    a, b = alpha_dropout_constants(p)
    out = a * np.where(mask, x.astype(np.float64), SELU_ALPHA_PRIME) + b
    return out.astype(x.dtype), {"mask": mask, "a": a}


def _alpha_dropout_backward(dout: np.ndarray, cache: dict) -> np.ndarray:
    return np.where(cache["mask"], dout.astype(np.float64) * cache["a"], 0.0).astype(dout.dtype)


@reference("alpha_dropout")
def alpha_dropout_forward(x: np.ndarray, p: float, *, training: bool,
                          generator: np.random.Generator | None) -> tuple[np.ndarray, dict]:
    """Alpha dropout: dropped units go to α' = -λα, then the affine map a·y + b restores mean 0, variance 1."""
    return _alpha_dropout("alpha_dropout", x, p, training, generator, feature=False)


@reference("feature_alpha_dropout")
def feature_alpha_dropout_forward(x: np.ndarray, p: float, *, training: bool,
                                  generator: np.random.Generator | None) -> tuple[np.ndarray, dict]:
    """Alpha dropout with one decision per (N, C) channel."""
    return _alpha_dropout("feature_alpha_dropout", x, p, training, generator, feature=True)


alpha_dropout_backward = feature_alpha_dropout_backward = _alpha_dropout_backward


# ---------------------------------------------------------------- DropConnect


@reference("dropconnect_linear")
def dropconnect_linear_forward(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None, p: float, *,
                               training: bool, generator: np.random.Generator | None) -> tuple[np.ndarray, dict]:
    """y = x (M⊙W)ᵀ + b, M_ij ~ Bernoulli(1-p), one M per call. Eval: y = x ((1-p)W)ᵀ + b (mean inference:
    the expectation of the training output, E[M⊙W] = (1-p)W). cache["mask"] is M (bool, W's shape)."""
    op = "dropconnect_linear"
    if weight.ndim != 2 or x.shape[-1:] != weight.shape[1:]:
        raise ValueError(f"{op}: weight must be (out_features, {x.shape[-1] if x.ndim else '?'}), got {weight.shape}")
    if bias is not None and np.shape(bias) != weight.shape[:1]:
        raise ValueError(f"{op}: bias must have shape {weight.shape[:1]}, got {np.shape(bias)}")
    if training:
        mask = _rng(op, generator).random(weight.shape) >= p
        effective = np.where(mask, weight.astype(np.float64), 0.0)
        factor = mask.astype(np.float64)
    else:
        mask = np.ones(weight.shape, dtype=bool)
        factor = np.full(weight.shape, 1.0 - p)
        effective = weight.astype(np.float64) * (1.0 - p)
    out = x.astype(np.float64) @ effective.T
    if bias is not None:
        out = out + np.asarray(bias, dtype=np.float64)
    cache = {"mask": mask, "factor": factor, "x": x, "effective": effective, "has_bias": bias is not None,
             "dtype": x.dtype}
    return out.astype(x.dtype), cache


def dropconnect_linear_backward(dout: np.ndarray, cache: dict) -> tuple[np.ndarray, ...]:
    """(dx, dweight[, dbias]): dx = dout (M⊙W), dW = M⊙(doutᵀ x) summed over the batch, db = Σ dout."""
    g = np.asarray(dout, dtype=np.float64)
    x = cache["x"].astype(np.float64)
    dx = g @ cache["effective"]
    dweight = cache["factor"] * (g.reshape(-1, g.shape[-1]).T @ x.reshape(-1, x.shape[-1]))
    dtype = cache["dtype"]
    grads = (dx.astype(dtype), dweight.astype(dtype))
    if cache["has_bias"]:
        grads += (g.reshape(-1, g.shape[-1]).sum(axis=0).astype(dtype),)
    return grads


# ---------------------------------------------------------------- locked (variational) dropout


@reference("locked_dropout")
def locked_dropout_forward(x: np.ndarray, p: float, *, batch_first: bool, training: bool,
                           generator: np.random.Generator | None) -> tuple[np.ndarray, dict]:
    """Inverted dropout whose mask is drawn once per (batch, feature) and reused at every time step.
    x is (T, N, F) (batch_first=False) or (N, T, F); the mask has the time axis of length 1."""
    op = "locked_dropout"
    if x.ndim != 3:
        raise ValueError(f"{op}: x must be 3-D ({'(N, T, F)' if batch_first else '(T, N, F)'}), got {x.ndim}-D")
    time_axis = 1 if batch_first else 0
    return _locked(op, x, p, training, generator, time_axis)


def _locked(op: str, x: np.ndarray, p: float, training: bool, generator: Any, time_axis: int) -> tuple[np.ndarray, dict]:
    mask_shape = tuple(1 if axis == time_axis else n for axis, n in enumerate(x.shape))
    if not training or p == 0.0:
        return x.copy(), {"mask": np.ones(mask_shape, dtype=bool), "scale": 1.0}
    mask = _rng(op, generator).random(mask_shape) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    return np.where(mask, x * x.dtype.type(scale), x.dtype.type(0)), {"mask": mask, "scale": scale}


locked_dropout_backward = _feature_dropout_backward


# ---------------------------------------------------------------- embedding dropout


@reference("embedding_dropout")
def embedding_dropout(indices: np.ndarray, weight: np.ndarray, p: float, *, training: bool,
                      generator: np.random.Generator | None) -> tuple[np.ndarray, np.ndarray]:
    """Drop whole rows of the embedding matrix (a word is dropped everywhere it occurs in the call), scale
    surviving rows by 1/(1-p), then look the indices up. Returns (embeddings, row keep mask)."""
    op = "embedding_dropout"
    indices = np.asarray(indices)
    if weight.ndim != 2:
        raise ValueError(f"{op}: weight must be 2-D (num_embeddings, dim), got {weight.ndim}-D")
    if not np.issubdtype(indices.dtype, np.integer):
        raise TypeError(f"{op}: indices must be integers, got dtype {indices.dtype}")
    if indices.size and (indices.min() < 0 or indices.max() >= weight.shape[0]):
        raise ValueError(f"{op}: indices must be in [0, {weight.shape[0] - 1}], got {int(indices.max())}")
    if not training or p == 0.0:
        return weight[indices], np.ones(weight.shape[0], dtype=bool)
    rows = _rng(op, generator).random(weight.shape[0]) >= p
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    dropped = np.where(rows[:, None], weight * weight.dtype.type(scale), weight.dtype.type(0))
    return dropped[indices], rows


# ---------------------------------------------------------------- stochastic depth


def _stochastic_depth(op: str, x: np.ndarray, p: float, mode: str, training: bool, generator: Any,
                      scaled: bool) -> tuple[np.ndarray, dict]:
    mask_shape = (x.shape[0],) + (1,) * (x.ndim - 1) if mode == "row" and x.ndim else (1,) * x.ndim
    if not training:
        scale = 1.0 if scaled else 1.0 - p
        mask = np.ones(mask_shape, dtype=bool)
        out = x.copy() if scale == 1.0 else x * x.dtype.type(scale)
        return out, {"mask": mask, "scale": scale}
    if p == 0.0:
        return x.copy(), {"mask": np.ones(mask_shape, dtype=bool), "scale": 1.0}
    mask = _rng(op, generator).random(mask_shape) >= p
    scale = (0.0 if p == 1.0 else 1.0 / (1.0 - p)) if scaled else 1.0
    return np.where(mask, x * x.dtype.type(scale), x.dtype.type(0)), {"mask": mask, "scale": scale}


@reference("stochastic_depth")
def stochastic_depth_forward(x: np.ndarray, p: float, mode: str, *, training: bool,
                             generator: np.random.Generator | None) -> tuple[np.ndarray, dict]:
    """torchvision.ops.stochastic_depth: drop the residual branch x with probability p (per sample for
    mode='row', once for 'batch'), scale survivors by 1/(1-p); eval is the identity."""
    return _stochastic_depth("stochastic_depth", x, p, mode, training, generator, scaled=True)


@reference("stochastic_depth_original")
def stochastic_depth_original_forward(x: np.ndarray, p: float, mode: str, *, training: bool,
                                      generator: np.random.Generator | None) -> tuple[np.ndarray, dict]:
    """Huang et al. (2016): keep the branch with probability 1-p unscaled; at test time multiply it by 1-p."""
    return _stochastic_depth("stochastic_depth_original", x, p, mode, training, generator, scaled=False)


def _stochastic_depth_backward(dout: np.ndarray, cache: dict) -> np.ndarray:
    return np.where(cache["mask"], dout * dout.dtype.type(cache["scale"]), dout.dtype.type(0))


stochastic_depth_backward = stochastic_depth_original_backward = _stochastic_depth_backward


@reference("survival_probabilities")
def survival_probabilities(num_layers: int, p_last: float) -> np.ndarray:
    """Huang et al.'s linear decay: block l = 1..L survives with probability 1 - (l/L)(1 - p_last); p_last is
    the survival probability of the last block (the paper uses 0.5). Block 0 (the input) would be 1."""
    layers = np.arange(1, num_layers + 1, dtype=np.float64)
    return 1.0 - layers / num_layers * (1.0 - p_last)


# ---------------------------------------------------------------- Gaussian noise injection


@reference("gaussian_noise")
def gaussian_noise_forward(x: np.ndarray, sigma: float, *, training: bool,
                           generator: np.random.Generator | None) -> tuple[np.ndarray, dict]:
    """out = x + ε, ε ~ N(0, σ²) in x's dtype (cache["mask"]); eval or σ = 0: the identity, ε = 0."""
    if not training or sigma == 0.0:
        return x.copy(), {"mask": np.zeros(x.shape, dtype=x.dtype)}
    noise = (sigma * _rng("gaussian_noise", generator).standard_normal(x.shape)).astype(x.dtype)
    return x + noise, {"mask": noise}


def gaussian_noise_backward(dout: np.ndarray, cache: dict) -> np.ndarray:
    return dout.copy()


# ---------------------------------------------------------------- attention dropout


@reference("attention_dropout")
def attention_dropout_forward(q: np.ndarray, k: np.ndarray, v: np.ndarray, p: float, *, training: bool,
                              generator: np.random.Generator | None) -> tuple[np.ndarray, dict]:
    """out = (A ⊙ M/(1-p)) v with A = softmax(q kᵀ/√d) over the last axis; cache["mask"] is M (A's shape)."""
    op = "attention_dropout"
    if q.ndim < 2 or q.shape[-1] != k.shape[-1] or k.shape[:-1] != v.shape[:-1] or q.shape[:-2] != k.shape[:-2]:
        raise ValueError(f"{op}: q (..., L, d), k (..., S, d), v (..., S, e) must agree, got {q.shape}, {k.shape}, {v.shape}")
    scale = 1.0 / math.sqrt(q.shape[-1])
    qd, kd, vd = (t.astype(np.float64) for t in (q, k, v))
    scores = qd @ np.swapaxes(kd, -1, -2) * scale
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    attention = shifted / shifted.sum(axis=-1, keepdims=True)
    if training and p > 0.0:
        mask = _rng(op, generator).random(attention.shape) >= p
        keep_scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    else:
        mask, keep_scale = np.ones(attention.shape, dtype=bool), 1.0
    dropped = attention * mask * keep_scale
    cache = {"mask": mask, "keep_scale": keep_scale, "attention": attention, "dropped": dropped, "q": qd, "k": kd,
             "v": vd, "scale": scale, "dtype": q.dtype}
    return (dropped @ vd).astype(q.dtype), cache


def attention_dropout_backward(dout: np.ndarray, cache: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """dv = Dᵀ g; dA = (g vᵀ) ⊙ M/(1-p); dS = A ⊙ (dA - Σ_j dA⊙A); dq = dS k/√d; dk = dSᵀ q/√d."""
    g = np.asarray(dout, dtype=np.float64)
    attention, q, k, v, scale = cache["attention"], cache["q"], cache["k"], cache["v"], cache["scale"]
    dv = np.swapaxes(cache["dropped"], -1, -2) @ g
    dattention = (g @ np.swapaxes(v, -1, -2)) * cache["mask"] * cache["keep_scale"]
    dscores = attention * (dattention - (dattention * attention).sum(axis=-1, keepdims=True))
    dq = dscores @ k * scale
    dk = np.swapaxes(dscores, -1, -2) @ q * scale
    dtype = cache["dtype"]
    return dq.astype(dtype), dk.astype(dtype), dv.astype(dtype)


# ---------------------------------------------------------------- DropBlock


def dropblock_gamma(p: float, height: int, width: int, block: int) -> float:
    """Seed rate making the expected dropped fraction ≈ p (exact when blocks do not overlap or clip)."""
    return p * height * width / (block**2 * (height - block + 1) * (width - block + 1))


@reference("dropblock2d")
def dropblock2d_forward(x: np.ndarray, p: float, block_size: int, *, training: bool,
                        generator: np.random.Generator | None) -> tuple[np.ndarray, dict]:
    """DropBlock on (N, C, H, W): seeds on the valid top-left positions, each zeroing a b×b block, then the
    survivors scaled by numel/#kept (torchvision.ops.drop_block2d; all-dropped gives zeros)."""
    op = "dropblock2d"
    if x.ndim != 4:
        raise ValueError(f"{op}: x must be 4-D (N, C, H, W), got {x.ndim}-D")
    if not training or p == 0.0:
        return x.copy(), {"mask": np.ones(x.shape, dtype=bool), "scale": 1.0}
    n, c, height, width = x.shape
    block = min(block_size, height, width)
    gamma = dropblock_gamma(p, height, width, block)
    seeds = _rng(op, generator).random((n, c, height - block + 1, width - block + 1)) < gamma
    dropped = np.zeros(x.shape, dtype=bool)
    for i in range(block):
        for j in range(block):
            dropped[:, :, i:i + seeds.shape[2], j:j + seeds.shape[3]] |= seeds
    keep = ~dropped
    kept = int(keep.sum())
    scale = keep.size / kept if kept else 0.0
    return np.where(keep, x * x.dtype.type(scale), x.dtype.type(0)), {"mask": keep, "scale": scale}


dropblock2d_backward = _feature_dropout_backward


# ---------------------------------------------------------------- adaptive dropout (standout)


@reference("adaptive_dropout")
def adaptive_dropout_forward(x: np.ndarray, keep_probability: np.ndarray, *, training: bool,
                             generator: np.random.Generator | None) -> tuple[np.ndarray, dict]:
    """Keep unit i with probability π_i (broadcast to x): training x⊙m unscaled, eval x⊙π (standout's rule)."""
    op = "adaptive_dropout"
    pi = np.asarray(keep_probability, dtype=np.float64)
    try:
        pi = np.broadcast_to(pi, x.shape)
    except ValueError:
        raise ValueError(f"{op}: keep_probability of shape {np.shape(keep_probability)} does not broadcast to x's "
                         f"shape {x.shape}") from None
    if np.isnan(pi).any() or (pi < 0).any() or (pi > 1).any():
        bad = pi[np.isnan(pi) | (pi < 0) | (pi > 1)].ravel()[0]
        raise ValueError(f"{op}: keep_probability must be in [0, 1], got {float(bad)!r}")
    if not training:
        factor = pi
        mask = np.ones(x.shape, dtype=bool)
    else:
        mask = _rng(op, generator).random(x.shape) < pi
        factor = mask.astype(np.float64)
    return (x.astype(np.float64) * factor).astype(x.dtype), {"mask": mask, "factor": factor}


def adaptive_dropout_backward(dout: np.ndarray, cache: dict) -> np.ndarray:
    return (dout.astype(np.float64) * cache["factor"]).astype(dout.dtype)


__all__ = exported(globals(), "SELU_ALPHA_PRIME")
