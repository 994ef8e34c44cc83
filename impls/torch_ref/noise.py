"""Noise-injection regularizers from scratch in PyTorch (any device, any floating dtype; autograd gradients).

Semantics are those of impls/numpy_ref/noise.py, which documents each formula.

Signatures, defaults and parameter checks are the specs' (impls/protocol/noise.py), applied by ``@reference``.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import torch

from impls.protocol.noise import SELU_ALPHA_PRIME, smoothing_values
from impls.protocol.parameters import exported, implements, torch_tensor

reference = partial(implements, array=torch_tensor)


def _uniform(shape: tuple[int, ...], like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    # float32 uniforms: P(u >= p) = 1 - p to within 2**-24, far below any tested δ.
    return torch.rand(shape, generator=generator, device=like.device, dtype=torch.float32)


def _standard_normal(like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    # Normal draws in float32 (float64 for float64 input), rounded to x's dtype by the caller after scaling.
    draw_dtype = torch.float64 if like.dtype == torch.float64 else torch.float32
    return torch.randn(like.shape, generator=generator, device=like.device, dtype=draw_dtype)


def _scale_where(x: torch.Tensor, mask: torch.Tensor, scale: float) -> torch.Tensor:
    # One rounding of the scale to x's dtype, one of the product: bitwise the NumPy reference.
    scale_t = torch.tensor(scale, dtype=x.dtype, device=x.device)
    return torch.where(mask, x * scale_t, torch.zeros((), dtype=x.dtype, device=x.device))


# ---------------------------------------------------------------- label smoothing


@reference("smooth_labels")
def smooth_labels(targets: torch.Tensor, num_classes: int, epsilon: float, *, convention: str,
                  dtype: torch.dtype | None = None) -> torch.Tensor:
    """Smoothed one-hot targets (classes on a new last axis): uniform (1-ε)y + ε/K, or off_target 1-ε / ε/(K-1)."""
    op = "smooth_labels"
    _, on, off = smoothing_values(op, num_classes, epsilon, convention)
    if not isinstance(targets, torch.Tensor) or targets.is_floating_point() or targets.is_complex():
        raise TypeError(f"smooth_labels: targets must be an integer torch.Tensor of class indices, got "
                        f"{getattr(targets, 'dtype', type(targets).__name__)}")
    if targets.numel() and (int(targets.min()) < 0 or int(targets.max()) >= num_classes):
        raise ValueError(f"{op}: targets must be in [0, {num_classes - 1}], got min {int(targets.min())}, "
                         f"max {int(targets.max())}")
    dtype = dtype or torch.get_default_dtype()
    onehot = torch.arange(num_classes, device=targets.device) == targets.unsqueeze(-1)
    # on/off are computed in float64 (Python floats) and rounded once to dtype, like the NumPy reference.
    return torch.where(onehot, torch.tensor(on, dtype=dtype, device=targets.device),
                       torch.tensor(off, dtype=dtype, device=targets.device))


@reference("label_smoothing_cross_entropy")
def label_smoothing_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, epsilon: float, *, convention: str,
                                  reduction: str, weight: torch.Tensor | None, ignore_index: int) -> torch.Tensor:
    """-Σ_c w_c q_c log softmax(z)_c per sample, reduced like F.cross_entropy (see the NumPy reference)."""
    op = "label_smoothing_cross_entropy"
    if logits.dim() == 0:
        raise ValueError(f"{op}: logits must have a class dimension (ndim ≥ 1), got a 0-d tensor")
    axis = 1 if logits.dim() >= 2 else 0
    num_classes = logits.shape[axis]
    epsilon, _, _ = smoothing_values(op, num_classes, epsilon, convention)
    z = logits.movedim(axis, -1)
    batch_shape = z.shape[:-1]
    w = torch.ones(num_classes, dtype=logits.dtype, device=logits.device) if weight is None else weight
    if w.shape != (num_classes,):
        raise ValueError(f"{op}: weight must have shape ({num_classes},), got {tuple(w.shape)}")
    if targets.is_floating_point():
        if targets.shape != logits.shape:
            raise ValueError(f"{op}: probability targets must have the logits' shape {tuple(logits.shape)}, "
                             f"got {tuple(targets.shape)}")
        if ignore_index != -100:
            # F.cross_entropy's rule: a class to ignore has no meaning for probability targets.
            raise ValueError(f"{op}: ignore_index must be -100 (unset) with probability targets, got {ignore_index!r}")
        distribution = targets.movedim(axis, -1)
        valid = torch.ones(batch_shape, dtype=torch.bool, device=logits.device)
        normalizer = torch.tensor(float(valid.numel()), dtype=logits.dtype, device=logits.device)
    else:
        if targets.shape != batch_shape:
            raise ValueError(f"{op}: index targets must have shape {tuple(batch_shape)}, got {tuple(targets.shape)}")
        valid = targets != ignore_index
        chosen = targets[valid]
        if chosen.numel() and (int(chosen.min()) < 0 or int(chosen.max()) >= num_classes):
            raise ValueError(f"{op}: targets must be in [0, {num_classes - 1}] or ignore_index={ignore_index}, "
                             f"got min {int(chosen.min())}, max {int(chosen.max())}")
        classes = torch.arange(num_classes, device=logits.device)
        distribution = (classes == torch.where(valid, targets, -1).unsqueeze(-1)).to(logits.dtype)
        normalizer = w[chosen].sum()
    if reduction == "mean" and float(normalizer) == 0.0:
        raise ValueError(f"{op}: reduction='mean' needs a positive total weight of non-ignored targets, got "
                         f"{float(normalizer)} (every target is ignore_index={ignore_index} or has weight 0)")
    if convention == "uniform":
        q = (1.0 - epsilon) * distribution + epsilon / num_classes
    else:
        q = (1.0 - epsilon) * distribution + epsilon / (num_classes - 1) * (1.0 - distribution)
    shifted = z - z.amax(dim=-1, keepdim=True).detach()
    log_softmax = shifted - torch.log(torch.exp(shifted).sum(dim=-1, keepdim=True))
    per_sample = torch.where(valid, -(w * q * log_softmax).sum(dim=-1), torch.zeros((), dtype=z.dtype, device=z.device))
    if reduction == "none":
        return per_sample
    if reduction == "sum":
        return per_sample.sum()
    return per_sample.sum() / normalizer


# ---------------------------------------------------------------- Gaussian dropout


@reference("gaussian_dropout")
def gaussian_dropout(x: torch.Tensor, p: float, *, training: bool,
                     generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """x·ξ with ξ ~ N(1, p/(1-p)) drawn in float32 (float64 for float64 x) and rounded once to x's dtype."""
    if not training or p == 0.0:
        return x, torch.ones_like(x)
    noise = (1.0 + math.sqrt(p / (1.0 - p)) * _standard_normal(x, generator)).to(x.dtype)
    return x * noise, noise


# ---------------------------------------------------------------- spatial (channel) dropout


def _feature_dropout(op: str, x: torch.Tensor, p: float, training: bool, generator: Any, layouts: dict[int, int],
                     spatial: int) -> tuple[torch.Tensor, torch.Tensor]:
    if x.dim() not in layouts:
        allowed = " or ".join(f"{k}-D" for k in sorted(layouts))
        raise ValueError(f"{op}: x must be {allowed} (channel dropout over {spatial} spatial dims), got {x.dim()}-D")
    leading = layouts[x.dim()]
    mask_shape = tuple(x.shape[:leading]) + (1,) * (x.dim() - leading)
    if not training or p == 0.0:
        return x, torch.ones(mask_shape, dtype=torch.bool, device=x.device)
    mask = _uniform(mask_shape, x, generator) >= p
    return _scale_where(x, mask, 0.0 if p == 1.0 else 1.0 / (1.0 - p)), mask


@reference("dropout1d")
def dropout1d(x: torch.Tensor, p: float, *, training: bool, generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Channel dropout for (N, C, L) or (C, L)."""
    return _feature_dropout("dropout1d", x, p, training, generator, {2: 1, 3: 2}, 1)


@reference("dropout2d")
def dropout2d(x: torch.Tensor, p: float, *, training: bool, generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Channel dropout for (N, C, H, W); 3-D input is (N, C, L), PyTorch's documented historical rule."""
    return _feature_dropout("dropout2d", x, p, training, generator, {3: 2, 4: 2}, 2)


@reference("dropout3d")
def dropout3d(x: torch.Tensor, p: float, *, training: bool, generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Channel dropout for (N, C, D, H, W) or (C, D, H, W)."""
    return _feature_dropout("dropout3d", x, p, training, generator, {4: 1, 5: 2}, 3)


# ---------------------------------------------------------------- alpha dropout


def _alpha_dropout(op: str, x: torch.Tensor, p: float, training: bool, generator: Any, feature: bool):
    if feature and x.dim() < 2:
        raise ValueError(f"{op}: x must have ≥ 2 dims (N, C, ...), got {x.dim()}-D")
    mask_shape = (tuple(x.shape[:2]) + (1,) * (x.dim() - 2)) if feature else tuple(x.shape)
    if not training or p == 0.0:
        return x, torch.ones(mask_shape, dtype=torch.bool, device=x.device)
    if p == 1.0:
        return x * 0, torch.zeros(mask_shape, dtype=torch.bool, device=x.device)
    mask = _uniform(mask_shape, x, generator) >= p
    # The affine map a·y + b that restores mean 0 and variance 1, in float64 (Python floats).
    a = 1.0 / math.sqrt((1.0 - p) * (1.0 + p * SELU_ALPHA_PRIME**2))
    b = -a * p * SELU_ALPHA_PRIME
    # Arithmetic in at least float32 (float64 for float64), rounded once to x's dtype.
    wide = x.to(torch.promote_types(x.dtype, torch.float32))
    y = torch.where(mask, wide, torch.tensor(SELU_ALPHA_PRIME, dtype=wide.dtype, device=x.device))
    return (a * y + b).to(x.dtype), mask


@reference("alpha_dropout")
def alpha_dropout(x: torch.Tensor, p: float, *, training: bool,
                  generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Dropped units go to α' = -λα; a·y + b restores mean 0 and variance 1 for standard-normal inputs."""
    return _alpha_dropout("alpha_dropout", x, p, training, generator, feature=False)


@reference("feature_alpha_dropout")
def feature_alpha_dropout(x: torch.Tensor, p: float, *, training: bool,
                          generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Alpha dropout with one decision per (N, C) channel."""
    return _alpha_dropout("feature_alpha_dropout", x, p, training, generator, feature=True)


# ---------------------------------------------------------------- DropConnect


@reference("dropconnect_linear")
def dropconnect_linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, p: float, *, training: bool,
                       generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """x (M⊙W)ᵀ + b with M_ij ~ Bernoulli(1-p), one M per call; eval uses (1-p)W (mean inference)."""
    op = "dropconnect_linear"
    if weight.dim() != 2 or tuple(x.shape[-1:]) != tuple(weight.shape[1:]):
        raise ValueError(f"{op}: weight must be (out_features, {x.shape[-1] if x.dim() else '?'}), "
                         f"got {tuple(weight.shape)}")
    if bias is not None and tuple(bias.shape) != tuple(weight.shape[:1]):
        raise ValueError(f"{op}: bias must have shape {tuple(weight.shape[:1])}, got {tuple(bias.shape)}")
    if training:
        mask = _uniform(tuple(weight.shape), weight, generator) >= p
        effective = torch.where(mask, weight, torch.zeros((), dtype=weight.dtype, device=weight.device))
    else:
        mask = torch.ones(weight.shape, dtype=torch.bool, device=weight.device)
        effective = weight * (1.0 - p)
    out = x @ effective.T
    return (out + bias if bias is not None else out), mask


# ---------------------------------------------------------------- locked (variational) dropout


@reference("locked_dropout")
def locked_dropout(x: torch.Tensor, p: float, *, batch_first: bool, training: bool,
                   generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Inverted dropout with one mask per (batch, feature), shared by every time step of (T, N, F) / (N, T, F)."""
    op = "locked_dropout"
    if x.dim() != 3:
        raise ValueError(f"{op}: x must be 3-D ({'(N, T, F)' if batch_first else '(T, N, F)'}), got {x.dim()}-D")
    time_axis = 1 if batch_first else 0
    mask_shape = tuple(1 if axis == time_axis else n for axis, n in enumerate(x.shape))
    if not training or p == 0.0:
        return x, torch.ones(mask_shape, dtype=torch.bool, device=x.device)
    mask = _uniform(mask_shape, x, generator) >= p
    return _scale_where(x, mask, 0.0 if p == 1.0 else 1.0 / (1.0 - p)), mask


# ---------------------------------------------------------------- embedding dropout


@reference("embedding_dropout")
def embedding_dropout(indices: torch.Tensor, weight: torch.Tensor, p: float, *, training: bool,
                      generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Drop whole embedding rows with probability p, scale the rest by 1/(1-p), then look up `indices`."""
    op = "embedding_dropout"
    if weight.dim() != 2:
        raise ValueError(f"{op}: weight must be 2-D (num_embeddings, dim), got {weight.dim()}-D")
    if not isinstance(indices, torch.Tensor) or indices.is_floating_point():
        raise TypeError(f"{op}: indices must be an integer torch.Tensor, got {getattr(indices, 'dtype', type(indices))}")
    if indices.numel() and (int(indices.min()) < 0 or int(indices.max()) >= weight.shape[0]):
        raise ValueError(f"{op}: indices must be in [0, {weight.shape[0] - 1}], got max {int(indices.max())}")
    if not training or p == 0.0:
        return weight[indices], torch.ones(weight.shape[0], dtype=torch.bool, device=weight.device)
    rows = _uniform((weight.shape[0],), weight, generator) >= p
    dropped = _scale_where(weight, rows.unsqueeze(1), 0.0 if p == 1.0 else 1.0 / (1.0 - p))
    return dropped[indices], rows


# ---------------------------------------------------------------- stochastic depth


def _stochastic_depth(x: torch.Tensor, p: float, mode: str, training: bool, generator: Any, scaled: bool):
    mask_shape = (x.shape[0],) + (1,) * (x.dim() - 1) if mode == "row" and x.dim() else (1,) * x.dim()
    ones = torch.ones(mask_shape, dtype=torch.bool, device=x.device)
    if not training:
        return (x, ones) if scaled else (_scale_where(x, ones, 1.0 - p), ones)
    if p == 0.0:
        return x, ones
    mask = _uniform(mask_shape, x, generator) >= p
    scale = (0.0 if p == 1.0 else 1.0 / (1.0 - p)) if scaled else 1.0
    return _scale_where(x, mask, scale), mask


@reference("stochastic_depth")
def stochastic_depth(x: torch.Tensor, p: float, mode: str, *, training: bool,
                     generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """torchvision semantics: drop the branch with probability p, survivors scaled by 1/(1-p); eval identity."""
    return _stochastic_depth(x, p, mode, training, generator, scaled=True)


@reference("stochastic_depth_original")
def stochastic_depth_original(x: torch.Tensor, p: float, mode: str, *, training: bool,
                              generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Huang et al.: unscaled in training; at test time the branch is multiplied by its survival probability."""
    return _stochastic_depth(x, p, mode, training, generator, scaled=False)


@reference("survival_probabilities")
def survival_probabilities(num_layers: int, p_last: float) -> list[float]:
    """Linear decay: block l = 1..L survives with probability 1 - (l/L)(1 - p_last)."""
    return [1.0 - layer / num_layers * (1.0 - p_last) for layer in range(1, num_layers + 1)]


# ---------------------------------------------------------------- Gaussian noise injection


@reference("gaussian_noise")
def gaussian_noise(x: torch.Tensor, sigma: float, *, training: bool,
                   generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """x + ε with ε ~ N(0, σ²) drawn in float32 (float64 for float64 x), rounded once to x's dtype."""
    if not training or sigma == 0.0:
        return x, torch.zeros_like(x)
    noise = (sigma * _standard_normal(x, generator)).to(x.dtype)
    return x + noise, noise


# ---------------------------------------------------------------- attention dropout


@reference("attention_dropout")
def attention_dropout(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, p: float, *, training: bool,
                      generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """(softmax(q kᵀ/√d) ⊙ M/(1-p)) v, M ~ Bernoulli(1-p) with A's shape; no dropout in eval."""
    op = "attention_dropout"
    if q.dim() < 2 or q.shape[-1] != k.shape[-1] or k.shape[:-1] != v.shape[:-1] or q.shape[:-2] != k.shape[:-2]:
        raise ValueError(f"{op}: q (..., L, d), k (..., S, d), v (..., S, e) must agree, got "
                         f"{tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}")
    scores = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(q.shape[-1]))
    shifted = torch.exp(scores - scores.amax(dim=-1, keepdim=True).detach())
    attention = shifted / shifted.sum(dim=-1, keepdim=True)
    if not training or p == 0.0:
        return attention @ v, torch.ones(attention.shape, dtype=torch.bool, device=q.device)
    mask = _uniform(tuple(attention.shape), q, generator) >= p
    return _scale_where(attention, mask, 0.0 if p == 1.0 else 1.0 / (1.0 - p)) @ v, mask


# ---------------------------------------------------------------- DropBlock


@reference("dropblock2d")
def dropblock2d(x: torch.Tensor, p: float, block_size: int, *, training: bool,
                generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """DropBlock on (N, C, H, W), torchvision.ops.drop_block2d's rule (see the NumPy reference)."""
    op = "dropblock2d"
    if x.dim() != 4:
        raise ValueError(f"{op}: x must be 4-D (N, C, H, W), got {x.dim()}-D")
    if not training or p == 0.0:
        return x, torch.ones(x.shape, dtype=torch.bool, device=x.device)
    n, c, height, width = x.shape
    block = min(block_size, height, width)
    gamma = p * height * width / (block**2 * (height - block + 1) * (width - block + 1))
    seeds = _uniform((n, c, height - block + 1, width - block + 1), x, generator) < gamma
    # Max-pooling the seeds with a b×b window (padded by b-1 on the top/left) marks every element covered by a block.
    padded = torch.nn.functional.pad(seeds.to(torch.float32), (block - 1, block - 1, block - 1, block - 1))
    dropped = torch.nn.functional.max_pool2d(padded, block, stride=1)[..., :height, :width] > 0
    keep = ~dropped
    kept = int(keep.sum())
    return _scale_where(x, keep, keep.numel() / kept if kept else 0.0), keep


# ---------------------------------------------------------------- adaptive dropout (standout)


@reference("adaptive_dropout")
def adaptive_dropout(x: torch.Tensor, keep_probability: torch.Tensor, *, training: bool,
                     generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep unit i with probability π_i: training x⊙m unscaled, eval x⊙π (standout's rule)."""
    op = "adaptive_dropout"
    pi = torch.as_tensor(keep_probability, device=x.device)
    try:
        pi = pi.detach().broadcast_to(x.shape)
    except RuntimeError:
        raise ValueError(f"{op}: keep_probability of shape {tuple(pi.shape)} does not broadcast to x's shape "
                         f"{tuple(x.shape)}") from None
    invalid = torch.isnan(pi) | (pi < 0) | (pi > 1)
    if bool(invalid.any()):
        raise ValueError(f"{op}: keep_probability must be in [0, 1], got {float(pi[invalid].flatten()[0])!r}")
    if not training:
        return x * pi.to(x.dtype), torch.ones(x.shape, dtype=torch.bool, device=x.device)
    # float64 uniforms: π is compared at full precision (π may be any real in [0, 1], not a float32 grid).
    mask = torch.rand(x.shape, generator=generator, device=x.device, dtype=torch.float64) < pi.to(torch.float64)
    return torch.where(mask, x, torch.zeros((), dtype=x.dtype, device=x.device)), mask


__all__ = exported(globals())
