"""Data-side and training-procedure regularizers in NumPy: mixing, early stopping, image augmentation.

Images are (N, C, H, W) arrays. Every stochastic operation takes ``generator=`` (a
np.random.Generator) and returns the random parameters it drew beside its output, so a test can
rebuild the output exactly from them. These are not layers with a backward pass: they act on the
data (or on the training loop), so each is a plain function, the protocol's ``op(...)`` form.

Signatures, defaults and parameter checks are the specs' (impls/protocol/augmentation.py), applied by
``@reference``: a body receives checked values and checks only what depends on shapes.
"""

from __future__ import annotations

import copy
import math
from functools import partial
from typing import Any

import numpy as np

from impls.protocol.augmentation import check_labels_shape, cutmix_box, cutmix_weights, gray
from impls.protocol.parameters import exported, implements, numpy_array
from impls.validation import check_bool, check_in_range, check_real
from impls.validation import check_int as _check_int

reference = partial(implements, array=numpy_array)


def _check_generator(op: str, generator: Any) -> np.random.Generator:
    if generator is None:
        return np.random.default_rng()
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"{op}: generator must be a numpy.random.Generator, got {type(generator).__name__}")
    return generator


# ---------------------------------------------------------------- mixing


def _mix(a: np.ndarray, own_weight: float, partner_weight: float, permutation: np.ndarray) -> np.ndarray:
    # Each weight rounded once to a's dtype, each product once, the sum once (the torch reference
    # does the same): |out - (w·a + w'·a[perm])| ≤ 3u·(w|a| + w'|a[perm]|) to first order.
    own = a.dtype.type(own_weight)
    partner = a.dtype.type(partner_weight)
    return own * a + partner * a[permutation]


@reference("mixup")
def mixup(x: np.ndarray, y_onehot: np.ndarray, alpha: float, *,
          generator: np.random.Generator | None) -> tuple[np.ndarray, np.ndarray, tuple[float, np.ndarray]]:
    """Mixup (Zhang et al. 2018): one λ ~ Beta(alpha, alpha) per batch, partner = a random permutation.

    Return (λ·x + (1-λ)·x[perm], λ·y + (1-λ)·y[perm], (λ, perm)); x is (N, ...), y_onehot (N, K).
    """
    check_labels_shape("mixup", y_onehot.shape, x.shape)
    rng = _check_generator("mixup", generator)
    lam = float(rng.beta(alpha, alpha))
    permutation = rng.permutation(x.shape[0])
    rest = 1.0 - lam
    return _mix(x, lam, rest, permutation), _mix(y_onehot, lam, rest, permutation), (lam, permutation)


@reference("cutmix")
def cutmix(x: np.ndarray, y_onehot: np.ndarray, alpha: float, *,
           generator: np.random.Generator | None) -> tuple[np.ndarray, np.ndarray, tuple[float, tuple[int, int, int, int], np.ndarray]]:
    """CutMix: paste the partner's box (one box per batch) into every image; labels mix by the areas.

    λ ~ Beta(alpha, alpha) sets the box size; the box is clipped at the borders, so the label weight
    λ_used = 1 - (pasted area)/(H·W) is recomputed from the box actually pasted.
    Return (x_mixed, y_mixed, (λ_used, (y1, y2, x1, x2), perm)).
    """
    check_labels_shape("cutmix", y_onehot.shape, x.shape)
    rng = _check_generator("cutmix", generator)
    _, _, height, width = x.shape
    lam = float(rng.beta(alpha, alpha))
    center_y, center_x = int(rng.integers(height)), int(rng.integers(width))
    permutation = rng.permutation(x.shape[0])
    box = cutmix_box(height, width, lam, center_y, center_x)
    y1, y2, x1, x2 = box
    out = x.copy()
    out[:, :, y1:y2, x1:x2] = x[permutation][:, :, y1:y2, x1:x2]
    own, partner = cutmix_weights(height, width, box)
    return out, _mix(y_onehot, own, partner, permutation), (own, box, permutation)


# ---------------------------------------------------------------- early stopping


class EarlyStopping:
    """Early stopping with patience, as in the week-6 loop (shared/lectures/002, section 6.6).

    ``step(metric, state)`` is called once per epoch (epochs count from 0). An epoch *improves* when
    the improvement over the best metric so far is strictly greater than ``min_delta`` (min mode:
    best - metric > min_delta; max mode: metric - best > min_delta); the first finite metric always
    improves. An improvement resets the patience counter to 0 and records the epoch, the metric and
    (with ``restore_best``) a deep copy of ``state``; any other epoch, NaN included, adds 1.
    ``step`` returns True once the counter reaches ``patience``.
    """

    MODES = ("min", "max")

    def __init__(self, patience: int, *, min_delta: float = 0.0, mode: str = "min", restore_best: bool = True) -> None:
        self.patience = _check_int("EarlyStopping", "patience", patience, 1)
        self.min_delta = check_in_range("EarlyStopping", "min_delta", min_delta, 0.0, math.inf, closed="low")
        if not isinstance(mode, str) or mode not in self.MODES:
            raise ValueError(f"EarlyStopping: mode must be one of {self.MODES}, got {mode!r}")
        self.mode = mode
        self.restore_best = check_bool("EarlyStopping", "restore_best", restore_best)
        self.best_metric: float = math.inf if mode == "min" else -math.inf
        self.best_state: Any = None
        self.best_epoch: int | None = None
        self.epoch = -1
        self.counter = 0
        self.stopped = False

    def improvement(self, metric: float) -> float:
        """How much `metric` improves on the best so far (positive is better, in either mode)."""
        return self.best_metric - metric if self.mode == "min" else metric - self.best_metric

    def step(self, metric: float, state: Any = None) -> bool:
        """Record one epoch's metric (and the state to keep if it is the best); return True to stop."""
        metric = check_real("EarlyStopping.step", "metric", metric)
        self.epoch += 1
        if self.improvement(metric) > self.min_delta:
            self.best_metric = metric
            self.best_epoch = self.epoch
            # A deep copy: the caller keeps training the live state, the saved one must not move.
            self.best_state = copy.deepcopy(state) if self.restore_best else None
            self.counter = 0
        else:
            self.counter += 1
        self.stopped = self.counter >= self.patience
        return self.stopped


# ---------------------------------------------------------------- label-preserving augmentation
#
# Geometry: rotations and scalings map each output pixel back to a source point about the image
# centre ((H-1)/2, (W-1)/2) and read it there (inverse mapping); points outside the image read `fill`.
# "nearest" rounds the source point half-to-even (np.rint, torch.round); "bilinear" weighs the four
# surrounding pixels. Positive angles rotate counterclockwise as displayed (row 0 at the top), like
# np.rot90 / torch.rot90, so rotate(x, 90) = rot90(x, 1) for square images.


def _inverse_map(x: np.ndarray, matrices: np.ndarray, interpolation: str, fill: float) -> np.ndarray:
    """Sample x at centre + matrices[n] @ (p - centre) for every output pixel p, in float64, then round once."""
    n, c, h, w = x.shape
    centre_y, centre_x = (h - 1) / 2, (w - 1) / 2
    rows, cols = np.meshgrid(np.arange(h) - centre_y, np.arange(w) - centre_x, indexing="ij")
    m = matrices[:, :, :, None, None]
    source_y = m[:, 0, 0] * rows + m[:, 0, 1] * cols + centre_y  # (N, H, W)
    source_x = m[:, 1, 0] * rows + m[:, 1, 1] * cols + centre_x
    values = x.astype(np.float64)
    batch = np.arange(n)[:, None, None]

    def read(r: np.ndarray, q: np.ndarray) -> np.ndarray:
        inside = (r >= 0) & (r < h) & (q >= 0) & (q < w)
        picked = values[batch, :, np.clip(r, 0, h - 1), np.clip(q, 0, w - 1)]  # (N, H, W, C)
        return np.where(inside[..., None], picked, fill).transpose(0, 3, 1, 2)

    if interpolation == "nearest":
        out = read(np.rint(source_y).astype(np.int64), np.rint(source_x).astype(np.int64))
    else:
        top, left = np.floor(source_y), np.floor(source_x)
        dy, dx = (source_y - top)[:, None], (source_x - left)[:, None]
        top, left = top.astype(np.int64), left.astype(np.int64)
        out = ((1 - dy) * (1 - dx) * read(top, left) + (1 - dy) * dx * read(top, left + 1)
               + dy * (1 - dx) * read(top + 1, left) + dy * dx * read(top + 1, left + 1))
    return out.astype(x.dtype)


def _rotation_matrices(angles_degrees: np.ndarray) -> np.ndarray:
    # Output offset (u, v) reads source offset (cos θ·u + sin θ·v, -sin θ·u + cos θ·v): counterclockwise by θ.
    theta = np.deg2rad(np.asarray(angles_degrees, dtype=np.float64))
    cos, sin = np.cos(theta), np.sin(theta)
    return np.stack([np.stack([cos, sin], -1), np.stack([-sin, cos], -1)], -2)


@reference("rotate")
def rotate(x: np.ndarray, angle: float, *, interpolation: str, fill: float) -> np.ndarray:
    """Rotate every image counterclockwise by `angle` degrees about its centre; shape kept, corners read `fill`."""
    return _inverse_map(x, _rotation_matrices(np.full(x.shape[0], angle)), interpolation, fill)


@reference("random_rotation")
def random_rotation(x: np.ndarray, degrees: float, *, interpolation: str, fill: float,
                    generator: np.random.Generator | None) -> tuple[np.ndarray, np.ndarray]:
    """Rotate each image by its own angle ~ Uniform[-degrees, degrees]; return (out, angles in degrees)."""
    angles = _check_generator("random_rotation", generator).uniform(-degrees, degrees, x.shape[0])
    return _inverse_map(x, _rotation_matrices(angles), interpolation, fill), angles


@reference("random_scale")
def random_scale(x: np.ndarray, scale: tuple[float, float], *, interpolation: str, fill: float,
                 generator: np.random.Generator | None) -> tuple[np.ndarray, np.ndarray]:
    """Zoom each image about its centre by its own factor ~ Uniform[scale[0], scale[1]] (> 1 enlarges);
    the shape is kept: the output pixel at offset p from the centre reads the source at offset p/factor."""
    low, high = scale
    factors = _check_generator("random_scale", generator).uniform(low, high, x.shape[0])
    matrices = np.zeros((x.shape[0], 2, 2))
    matrices[:, 0, 0] = matrices[:, 1, 1] = 1.0 / factors
    return _inverse_map(x, matrices, interpolation, fill), factors


@reference("rot90")
def rot90(x: np.ndarray, k: int) -> np.ndarray:
    """Rotate every image by k quarter turns counterclockwise (np.rot90 on the last two axes); any integer k."""
    return np.ascontiguousarray(np.rot90(x, int(k), axes=(2, 3)))


@reference("random_rot90")
def random_rot90(x: np.ndarray, *, generator: np.random.Generator | None) -> tuple[np.ndarray, np.ndarray]:
    """Rotate each (square) image by its own k ~ Uniform{0, 1, 2, 3} quarter turns; return (out, k)."""
    if x.shape[2] != x.shape[3]:
        raise ValueError(f"random_rot90: x must hold square images (H == W), got shape {x.shape}")
    turns = _check_generator("random_rot90", generator).integers(0, 4, x.shape[0])
    out = np.empty_like(x)
    for k in range(4):
        out[turns == k] = np.rot90(x[turns == k], k, axes=(2, 3))
    return out, turns


def _random_flip(op: str, x: np.ndarray, p: float, generator: Any, axis: int) -> tuple[np.ndarray, np.ndarray]:
    # Uniform doubles in [0, 1): P(u < p) = p to within 2**-53.
    flipped = _check_generator(op, generator).random(x.shape[0]) < p
    return np.where(flipped[:, None, None, None], np.flip(x, axis=axis), x), flipped


@reference("random_hflip")
def random_hflip(x: np.ndarray, p: float, *, generator: np.random.Generator | None) -> tuple[np.ndarray, np.ndarray]:
    """Mirror each image left-right with probability p; return (out, flipped) with flipped a bool (N,) array."""
    return _random_flip("random_hflip", x, p, generator, 3)


@reference("random_vflip")
def random_vflip(x: np.ndarray, p: float, *, generator: np.random.Generator | None) -> tuple[np.ndarray, np.ndarray]:
    """Mirror each image top-bottom with probability p; return (out, flipped) with flipped a bool (N,) array."""
    return _random_flip("random_vflip", x, p, generator, 2)


@reference("random_crop")
def random_crop(x: np.ndarray, size: int | tuple[int, int], padding: int, *,
                generator: np.random.Generator | None) -> tuple[np.ndarray, np.ndarray]:
    """Zero-pad by `padding` on every side, then crop `size` = (h, w) at offsets ~ Uniform over all positions
    inside the padded image: top ∈ {0, …, H + 2·padding - h}, left likewise. Return (out, offsets (N, 2))."""
    n, _, h, w = x.shape
    crop_h, crop_w = size
    if crop_h > h + 2 * padding or crop_w > w + 2 * padding:
        raise ValueError(f"random_crop: size must fit the padded image ({h + 2 * padding}, {w + 2 * padding}), "
                         f"got {(crop_h, crop_w)}")
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    rng = _check_generator("random_crop", generator)
    offsets = np.stack([rng.integers(0, h + 2 * padding - crop_h + 1, n),
                        rng.integers(0, w + 2 * padding - crop_w + 1, n)], axis=1)
    rows = offsets[:, 0, None, None] + np.arange(crop_h)[None, :, None]
    cols = offsets[:, 1, None, None] + np.arange(crop_w)[None, None, :]
    out = padded[np.arange(n)[:, None, None], :, rows, cols].transpose(0, 3, 1, 2)
    return np.ascontiguousarray(out), offsets


@reference("color_jitter")
def color_jitter(x: np.ndarray, brightness: float, contrast: float, saturation: float, *,
                 generator: np.random.Generator | None) -> tuple[np.ndarray, np.ndarray]:
    """Brightness, contrast, then saturation jitter of images with values in [0, 1] (1 or 3 channels).

    Per image, factors b, c, s ~ Uniform[max(0, 1 - strength), 1 + strength] (1 when strength is 0):
    x₁ = clip(b·x), x₂ = clip(c·x₁ + (1-c)·mean(gray(x₁))), out = clip(s·x₂ + (1-s)·gray(x₂)),
    clip to [0, 1], computed in float64 and rounded once. Return (out, factors (N, 3) as (b, c, s)).
    """
    strengths = (brightness, contrast, saturation)
    if x.shape[1] not in (1, 3):
        raise ValueError(f"color_jitter: x must have 1 or 3 channels, got {x.shape[1]}")
    rng = _check_generator("color_jitter", generator)
    factors = np.stack([rng.uniform(max(0.0, 1.0 - s), 1.0 + s, x.shape[0]) for s in strengths], axis=1)
    b, c, s = (factors[:, i, None, None, None] for i in range(3))
    out = np.clip(b * x.astype(np.float64), 0.0, 1.0)
    out = np.clip(c * out + (1 - c) * gray(out).mean(axis=(1, 2, 3), keepdims=True), 0.0, 1.0)
    out = np.clip(s * out + (1 - s) * gray(out), 0.0, 1.0)
    return out.astype(x.dtype), factors


@reference("random_gaussian_noise")
def random_gaussian_noise(x: np.ndarray, std: float, *, generator: np.random.Generator | None) -> tuple[np.ndarray, np.ndarray]:
    """Additive Gaussian noise: out = x + noise, noise ~ N(0, std²) rounded to x's dtype; return (out, noise)."""
    noise = (std * _check_generator("random_gaussian_noise", generator).standard_normal(x.shape)).astype(x.dtype)
    return x + noise, noise


# ---------------------------------------------------------------- erasing


def _erase(x: np.ndarray, boxes: np.ndarray, value: str | float, rng: np.random.Generator) -> np.ndarray:
    """Set each image's box (y1, y2, x1, x2) to `value`, or to standard-normal noise when value is "random"."""
    _, _, h, w = x.shape
    rows, cols = np.arange(h)[None, :, None], np.arange(w)[None, None, :]
    inside = ((rows >= boxes[:, 0, None, None]) & (rows < boxes[:, 1, None, None])
              & (cols >= boxes[:, 2, None, None]) & (cols < boxes[:, 3, None, None]))[:, None]
    fill = rng.standard_normal(x.shape).astype(x.dtype) if value == "random" else x.dtype.type(value)
    return np.where(inside, fill, x)


@reference("cutout")
def cutout(x: np.ndarray, size: int, *, value: str | float, generator: np.random.Generator | None) -> tuple[np.ndarray, np.ndarray]:
    """Cutout (DeVries & Taylor 2017): per image, a size × size square centred on a uniform pixel
    (rows cy - size//2 … cy - size//2 + size - 1, likewise columns), clipped at the borders, set to
    `value` (0 by default, or "random" for standard-normal noise). Return (out, boxes (N, 4) as y1, y2, x1, x2)."""
    rng = _check_generator("cutout", generator)
    n, _, h, w = x.shape
    centre_y, centre_x = rng.integers(0, h, n), rng.integers(0, w, n)
    top, left = centre_y - size // 2, centre_x - size // 2
    boxes = np.stack([np.clip(top, 0, h), np.clip(top + size, 0, h), np.clip(left, 0, w), np.clip(left + size, 0, w)], 1)
    return _erase(x, boxes, value, rng), boxes


@reference("random_erasing")
def random_erasing(x: np.ndarray, p: float, scale: tuple[float, float], ratio: tuple[float, float], *,
                   value: str | float, generator: np.random.Generator | None) -> tuple[np.ndarray, np.ndarray]:
    """Random erasing (Zhong et al. 2020; torchvision's RandomErasing rule), per image with probability p:
    area fraction s ~ Uniform[scale], aspect r with log r ~ Uniform[log ratio]; h = rint(√(s·H·W·r)),
    w = rint(√(s·H·W/r)); if 1 ≤ h < H and 1 ≤ w < W (strict, as
    torchvision), the top-left corner is uniform over the positions that fit; otherwise redraw, at most
    10 times, then leave the image.
    Return (out, boxes (N, 4) as y1, y2, x1, x2; an empty box (0, 0, 0, 0) for images left unchanged)."""
    (low, high), (r_low, r_high) = scale, ratio
    rng = _check_generator("random_erasing", generator)
    n, _, h, w = x.shape
    # All draws at once (the torch reference draws the same quantities in the same layout): the decision,
    # 10 attempts of (area, log-aspect), and two uniforms placing the first attempt that fits.
    erase = rng.random(n) < p
    area = rng.uniform(low, high, (n, 10)) * (h * w)
    aspect = np.exp(rng.uniform(math.log(r_low), math.log(r_high), (n, 10)))
    place = rng.random((n, 2))
    box_h, box_w = np.rint(np.sqrt(area * aspect)).astype(np.int64), np.rint(np.sqrt(area / aspect)).astype(np.int64)
    fits = (box_h >= 1) & (box_h < h) & (box_w >= 1) & (box_w < w)
    first = np.argmax(fits, axis=1)
    chosen = erase & fits.any(axis=1)
    box_h, box_w = box_h[np.arange(n), first], box_w[np.arange(n), first]
    # floor(u·k) for u uniform in [0, 1) is uniform on {0, …, k-1} up to 2**-53.
    top = np.floor(place[:, 0] * (h - box_h + 1)).astype(np.int64)
    left = np.floor(place[:, 1] * (w - box_w + 1)).astype(np.int64)
    boxes = np.where(chosen[:, None], np.stack([top, top + box_h, left, left + box_w], 1), 0)
    return _erase(x, boxes, value, rng), boxes


# ---------------------------------------------------------------- parameter sharing: convolution


@reference("conv2d")
def conv2d_forward(x: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, dict]:
    """Valid cross-correlation with stride 1, as F.conv2d(x, weight) without bias or padding.

    out[n, o, i, j] = Σ_{c, a, b} x[n, c, i + a, j + b] · weight[o, c, a, b]: one kernel shared by every
    output position (the parameter sharing the lectures describe). Return (out, cache).
    """
    _, channels, h, w = x.shape
    _, weight_channels, kh, kw = weight.shape
    if weight_channels != channels or kh > h or kw > w:
        raise ValueError(f"conv2d: weight must have shape (out, {channels}, kh ≤ {h}, kw ≤ {w}), got {weight.shape}")
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))  # (N, C, Ho, Wo, kh, kw)
    out = np.einsum("ncijab,ocab->noij", windows, weight)
    return out, {"x": x, "weight": weight}


def conv2d_backward(dout: np.ndarray, cache: dict) -> tuple[np.ndarray, np.ndarray]:
    """Return (dx, dweight). dweight[o, c, a, b] = Σ_{n, i, j} dout[n, o, i, j] · x[n, c, i + a, j + b]:
    the sum over every position the shared entry is used at."""
    x, weight = cache["x"], cache["weight"]
    _, _, kh, kw = weight.shape
    out_h, out_w = dout.shape[2], dout.shape[3]
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    dweight = np.einsum("ncijab,noij->ocab", windows, dout)
    dx = np.zeros_like(x)
    for a in range(kh):
        for b in range(kw):
            dx[:, :, a:a + out_h, b:b + out_w] += np.einsum("noij,oc->ncij", dout, weight[:, :, a, b])
    return dx, dweight


__all__ = exported(globals(), "EarlyStopping")
