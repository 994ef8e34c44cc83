"""Data-side and training-procedure regularizers from scratch in PyTorch (any device, any floating dtype).

Images are (N, C, H, W) tensors. Every stochastic operation takes ``generator=`` (a torch.Generator
on the input's device) and returns the random parameters it drew beside its output.

Over 400 lines: one module per family, mirroring impls/protocol/<family>.py; each operation is a
forward/backward pair with its own validation.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import torch

# Early stopping is pure Python over metrics; states are deep-copied (tensors and state_dicts alike).
from impls.numpy_ref.augmentation import (
    EarlyStopping,
    _check_int,
    _check_range,
    _check_size,
    cutmix_box,
    cutmix_weights,
)
from impls.validation import check_in_range, check_probability, check_real

__all__ = [
    "EarlyStopping",
    "color_jitter",
    "conv2d",
    "cutmix",
    "cutout",
    "mixup",
    "random_crop",
    "random_erasing",
    "random_gaussian_noise",
    "random_hflip",
    "random_rot90",
    "random_rotation",
    "random_scale",
    "random_vflip",
    "rot90",
    "rotate",
]


# ---------------------------------------------------------------- input checks


def _check_floating(op: str, name: str, x: Any, *, ndim: int | None = None) -> torch.Tensor:
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise TypeError(f"{op}: {name} must be a floating-point torch.Tensor, got {type(x).__name__}")
    if ndim is not None and x.dim() != ndim:
        raise ValueError(f"{op}: {name} must have {ndim} dimensions (N, C, H, W), got shape {tuple(x.shape)}")
    if x.dim() == 0 or x.shape[0] == 0:
        raise ValueError(f"{op}: {name} must have a non-empty batch dimension, got shape {tuple(x.shape)}")
    return x


def _check_labels(op: str, y: Any, x: torch.Tensor) -> torch.Tensor:
    y = _check_floating(op, "y_onehot", y)
    if y.dim() != 2 or y.shape[0] != x.shape[0]:
        raise ValueError(f"{op}: y_onehot must have shape ({x.shape[0]}, num_classes), got {tuple(y.shape)}")
    return y


def _check_alpha(op: str, alpha: Any) -> float:
    return check_in_range(op, "alpha", alpha, 0.0, math.inf, closed="neither")


def _beta(alpha: float, generator: torch.Generator | None, device: torch.device) -> float:
    """One draw of Beta(alpha, alpha) as G1/(G1+G2) with independent Gamma(alpha) draws, in float64.

    torch.distributions takes no generator; torch._standard_gamma (what it calls) does. float64 keeps
    G1 + G2 > 0 for any alpha ≥ 0.01 except with probability below 1e-30.
    """
    concentration = torch.full((2,), alpha, dtype=torch.float64, device=device)
    gammas = torch._standard_gamma(concentration, generator=generator)
    return float((gammas[0] / gammas.sum()).item())


def _mix(a: torch.Tensor, own_weight: float, partner_weight: float, permutation: torch.Tensor) -> torch.Tensor:
    # Each weight rounded once to a's dtype, each product once, the sum once: the NumPy reference's roundings.
    own = torch.tensor(own_weight, dtype=a.dtype, device=a.device)
    partner = torch.tensor(partner_weight, dtype=a.dtype, device=a.device)
    return own * a + partner * a[permutation]


# ---------------------------------------------------------------- mixing


def mixup(
    x: torch.Tensor, y_onehot: torch.Tensor, alpha: float = 1.0, *, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor, tuple[float, torch.Tensor]]:
    """Mixup: one λ ~ Beta(alpha, alpha) per batch, partner = a random permutation of the batch.

    Return (λ·x + (1-λ)·x[perm], λ·y + (1-λ)·y[perm], (λ, perm)).
    """
    x = _check_floating("mixup", "x", x)
    y_onehot = _check_labels("mixup", y_onehot, x)
    alpha = _check_alpha("mixup", alpha)
    lam = _beta(alpha, generator, x.device)
    permutation = torch.randperm(x.shape[0], generator=generator, device=x.device)
    rest = 1.0 - lam
    return _mix(x, lam, rest, permutation), _mix(y_onehot, lam, rest, permutation), (lam, permutation)


def cutmix(
    x: torch.Tensor, y_onehot: torch.Tensor, alpha: float = 1.0, *, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor, tuple[float, tuple[int, int, int, int], torch.Tensor]]:
    """CutMix: paste the partner's box into every image; labels mix by the area actually pasted.

    Box: ⌊H·√(1-λ)⌋ × ⌊W·√(1-λ)⌋ centred on a uniform pixel, half-extent side//2, clipped at the borders.
    Return (x_mixed, y_mixed, (λ_used, (y1, y2, x1, x2), perm)) with λ_used = 1 - area/(H·W).
    """
    x = _check_floating("cutmix", "x", x, ndim=4)
    y_onehot = _check_labels("cutmix", y_onehot, x)
    alpha = _check_alpha("cutmix", alpha)
    _, _, height, width = x.shape
    lam = _beta(alpha, generator, x.device)
    center = torch.randint(0, height * width, (1,), generator=generator, device=x.device).item()
    center_y, center_x = divmod(int(center), width)
    permutation = torch.randperm(x.shape[0], generator=generator, device=x.device)
    box = cutmix_box(height, width, lam, center_y, center_x)
    y1, y2, x1, x2 = box
    out = x.clone()
    out[:, :, y1:y2, x1:x2] = x[permutation][:, :, y1:y2, x1:x2]
    own, partner = cutmix_weights(height, width, box)
    return out, _mix(y_onehot, own, partner, permutation), (own, box, permutation)


# ---------------------------------------------------------------- label-preserving augmentation
#
# Same conventions as the NumPy reference (see its comments): inverse mapping about the centre
# ((H-1)/2, (W-1)/2), counterclockwise angles, nearest = round half-to-even, outside reads `fill`.
# Coordinates and interpolation run in float64 on x's device, rounded once to x's dtype.

INTERPOLATIONS = ("nearest", "bilinear")


def _check_interpolation(op: str, interpolation: Any) -> str:
    if not isinstance(interpolation, str) or interpolation not in INTERPOLATIONS:
        raise ValueError(f"{op}: interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
    return interpolation


def _inverse_map(x: torch.Tensor, matrices: torch.Tensor, interpolation: str, fill: float) -> torch.Tensor:
    n, c, h, w = x.shape
    wide = torch.float64
    rows = (torch.arange(h, device=x.device, dtype=wide) - (h - 1) / 2)[:, None].expand(h, w)
    cols = (torch.arange(w, device=x.device, dtype=wide) - (w - 1) / 2)[None, :].expand(h, w)
    m = matrices.to(device=x.device, dtype=wide)[:, :, :, None, None]
    source_y = m[:, 0, 0] * rows + m[:, 0, 1] * cols + (h - 1) / 2
    source_x = m[:, 1, 0] * rows + m[:, 1, 1] * cols + (w - 1) / 2
    values = x.to(wide).permute(0, 2, 3, 1)  # (N, H, W, C)
    batch = torch.arange(n, device=x.device)[:, None, None]

    def read(r: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
        inside = (r >= 0) & (r < h) & (q >= 0) & (q < w)
        picked = values[batch, r.clamp(0, h - 1), q.clamp(0, w - 1)]
        filled = torch.full((), fill, dtype=wide, device=x.device)
        return torch.where(inside[..., None], picked, filled).permute(0, 3, 1, 2)

    if interpolation == "nearest":
        out = read(torch.round(source_y).long(), torch.round(source_x).long())
    else:
        top, left = torch.floor(source_y), torch.floor(source_x)
        dy, dx = (source_y - top)[:, None], (source_x - left)[:, None]
        top, left = top.long(), left.long()
        out = ((1 - dy) * (1 - dx) * read(top, left) + (1 - dy) * dx * read(top, left + 1)
               + dy * (1 - dx) * read(top + 1, left) + dy * dx * read(top + 1, left + 1))
    return out.to(x.dtype)


def _rotation_matrices(angles_degrees: torch.Tensor) -> torch.Tensor:
    theta = torch.deg2rad(angles_degrees.to(torch.float64))
    cos, sin = torch.cos(theta), torch.sin(theta)
    return torch.stack([torch.stack([cos, sin], -1), torch.stack([-sin, cos], -1)], -2)


def rotate(x: torch.Tensor, angle: float, *, interpolation: str = "nearest", fill: float = 0.0) -> torch.Tensor:
    """Rotate every image counterclockwise by `angle` degrees about its centre; shape kept, corners read `fill`."""
    x = _check_floating("rotate", "x", x, ndim=4)
    angle = check_in_range("rotate", "angle", angle, -math.inf, math.inf, closed="neither")
    interpolation = _check_interpolation("rotate", interpolation)
    fill = check_real("rotate", "fill", fill)
    angles = torch.full((x.shape[0],), angle, dtype=torch.float64, device=x.device)
    return _inverse_map(x, _rotation_matrices(angles), interpolation, fill)


def _uniform(low: float, high: float, count: int, generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
    u = torch.rand(count, generator=generator, device=device, dtype=torch.float64)
    return low + (high - low) * u


def random_rotation(
    x: torch.Tensor, degrees: float, *, interpolation: str = "nearest", fill: float = 0.0,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate each image by its own angle ~ Uniform[-degrees, degrees]; return (out, angles in degrees)."""
    x = _check_floating("random_rotation", "x", x, ndim=4)
    degrees = check_in_range("random_rotation", "degrees", degrees, 0.0, 180.0)
    interpolation = _check_interpolation("random_rotation", interpolation)
    fill = check_real("random_rotation", "fill", fill)
    angles = _uniform(-degrees, degrees, x.shape[0], generator, x.device)
    return _inverse_map(x, _rotation_matrices(angles), interpolation, fill), angles


def random_scale(
    x: torch.Tensor, scale: tuple[float, float] = (0.8, 1.2), *, interpolation: str = "nearest", fill: float = 0.0,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Zoom each image about its centre by its own factor ~ Uniform[scale[0], scale[1]]; shape kept."""
    x = _check_floating("random_scale", "x", x, ndim=4)
    low, high = _check_range("random_scale", "scale", scale, 0.0)
    interpolation = _check_interpolation("random_scale", interpolation)
    fill = check_real("random_scale", "fill", fill)
    factors = _uniform(low, high, x.shape[0], generator, x.device)
    matrices = torch.zeros(x.shape[0], 2, 2, dtype=torch.float64, device=x.device)
    matrices[:, 0, 0] = matrices[:, 1, 1] = 1.0 / factors
    return _inverse_map(x, matrices, interpolation, fill), factors


def rot90(x: torch.Tensor, k: int = 1) -> torch.Tensor:
    """Rotate every image by k quarter turns counterclockwise (torch.rot90 on dims (2, 3)), written as
    transpose-and-flip so that the reference does not merely wrap the built-in it is compared with."""
    x = _check_floating("rot90", "x", x, ndim=4)
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"rot90: k must be an integer, got {k!r} of type {type(k).__name__}")
    return _quarter_turns(x, int(k))


def _quarter_turns(x: torch.Tensor, k: int) -> torch.Tensor:
    for _ in range(k % 4):
        # One counterclockwise quarter turn: out[i, j] = x[j, W-1-i], i.e. transpose, then flip the rows.
        x = x.transpose(2, 3).flip(2)
    return x.contiguous()


def random_rot90(x: torch.Tensor, *, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate each (square) image by its own k ~ Uniform{0, 1, 2, 3} quarter turns; return (out, k)."""
    x = _check_floating("random_rot90", "x", x, ndim=4)
    if x.shape[2] != x.shape[3]:
        raise ValueError(f"random_rot90: x must hold square images (H == W), got shape {tuple(x.shape)}")
    turns = torch.randint(0, 4, (x.shape[0],), generator=generator, device=x.device)
    out = x.clone()
    for k in range(1, 4):
        chosen = turns == k
        out[chosen] = _quarter_turns(x[chosen], k)
    return out, turns


def _random_flip(op: str, x: torch.Tensor, p: float, generator: Any, dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    x = _check_floating(op, "x", x, ndim=4)
    p = check_probability(op, "p", p)
    # float64 uniforms: P(u < p) = p to within 2**-53.
    flipped = torch.rand(x.shape[0], generator=generator, device=x.device, dtype=torch.float64) < p
    return torch.where(flipped[:, None, None, None], x.flip(dim), x), flipped


def random_hflip(x: torch.Tensor, p: float = 0.5, *, generator: torch.Generator | None = None):
    """Mirror each image left-right with probability p; return (out, flipped) with flipped a bool (N,) tensor."""
    return _random_flip("random_hflip", x, p, generator, 3)


def random_vflip(x: torch.Tensor, p: float = 0.5, *, generator: torch.Generator | None = None):
    """Mirror each image top-bottom with probability p; return (out, flipped) with flipped a bool (N,) tensor."""
    return _random_flip("random_vflip", x, p, generator, 2)


def random_crop(
    x: torch.Tensor, size: int | tuple[int, int], padding: int = 0, *, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-pad by `padding`, then crop `size` = (h, w) at offsets ~ Uniform over all positions in the padded image."""
    x = _check_floating("random_crop", "x", x, ndim=4)
    padding = _check_int("random_crop", "padding", padding, 0)
    n, _, h, w = x.shape
    crop_h, crop_w = _check_size("random_crop", "size", size, 1)
    if crop_h > h + 2 * padding or crop_w > w + 2 * padding:
        raise ValueError(f"random_crop: size must fit the padded image ({h + 2 * padding}, {w + 2 * padding}), "
                         f"got {(crop_h, crop_w)}")
    padded = torch.nn.functional.pad(x, (padding, padding, padding, padding))
    top = torch.randint(0, h + 2 * padding - crop_h + 1, (n,), generator=generator, device=x.device)
    left = torch.randint(0, w + 2 * padding - crop_w + 1, (n,), generator=generator, device=x.device)
    rows = top[:, None, None] + torch.arange(crop_h, device=x.device)[None, :, None]
    cols = left[:, None, None] + torch.arange(crop_w, device=x.device)[None, None, :]
    batch = torch.arange(n, device=x.device)[:, None, None]
    out = padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2)
    return out.contiguous(), torch.stack([top, left], dim=1)


def _gray(x: torch.Tensor) -> torch.Tensor:
    if x.shape[1] == 1:
        return x
    return 0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3]


def color_jitter(
    x: torch.Tensor, brightness: float = 0.0, contrast: float = 0.0, saturation: float = 0.0, *,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Brightness, contrast, then saturation jitter of images in [0, 1] (1 or 3 channels); see the NumPy reference.

    Return (out, factors (N, 3) as (b, c, s)), factors ~ Uniform[max(0, 1 - strength), 1 + strength].
    """
    x = _check_floating("color_jitter", "x", x, ndim=4)
    strengths = [check_in_range("color_jitter", name, value, 0.0, math.inf, closed="low")
                 for name, value in (("brightness", brightness), ("contrast", contrast), ("saturation", saturation))]
    if x.shape[1] not in (1, 3):
        raise ValueError(f"color_jitter: x must have 1 or 3 channels, got {x.shape[1]}")
    factors = torch.stack([_uniform(max(0.0, 1.0 - s), 1.0 + s, x.shape[0], generator, x.device) for s in strengths], 1)
    b, c, s = (factors[:, i, None, None, None] for i in range(3))
    out = (b * x.to(torch.float64)).clamp(0.0, 1.0)
    out = (c * out + (1 - c) * _gray(out).mean(dim=(1, 2, 3), keepdim=True)).clamp(0.0, 1.0)
    out = (s * out + (1 - s) * _gray(out)).clamp(0.0, 1.0)
    return out.to(x.dtype), factors


def random_gaussian_noise(
    x: torch.Tensor, std: float = 0.1, *, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Additive Gaussian noise: out = x + noise, noise ~ N(0, std²) rounded to x's dtype; return (out, noise)."""
    x = _check_floating("random_gaussian_noise", "x", x)
    std = check_in_range("random_gaussian_noise", "std", std, 0.0, math.inf, closed="low")
    normal = torch.randn(x.shape, generator=generator, device=x.device, dtype=torch.float64)
    noise = (std * normal).to(x.dtype)
    return x + noise, noise


# ---------------------------------------------------------------- erasing


def _erase(x: torch.Tensor, boxes: torch.Tensor, value: str | float, generator: torch.Generator | None) -> torch.Tensor:
    _, _, h, w = x.shape
    rows = torch.arange(h, device=x.device)[None, :, None]
    cols = torch.arange(w, device=x.device)[None, None, :]
    inside = ((rows >= boxes[:, 0, None, None]) & (rows < boxes[:, 1, None, None])
              & (cols >= boxes[:, 2, None, None]) & (cols < boxes[:, 3, None, None]))[:, None]
    if value == "random":
        fill = torch.randn(x.shape, generator=generator, device=x.device, dtype=torch.float64).to(x.dtype)
    else:
        fill = torch.tensor(value, dtype=x.dtype, device=x.device)
    return torch.where(inside, fill, x)


def _check_value(op: str, value: Any) -> str | float:
    return value if value == "random" else check_real(op, "value", value)


def cutout(
    x: torch.Tensor, size: int, *, value: str | float = 0.0, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Cutout: per image a size × size square centred on a uniform pixel, clipped at the borders, set to
    `value` (or "random" standard-normal noise). Return (out, boxes (N, 4) as y1, y2, x1, x2)."""
    x = _check_floating("cutout", "x", x, ndim=4)
    size = _check_int("cutout", "size", size, 0)
    value = _check_value("cutout", value)
    n, _, h, w = x.shape
    centre_y = torch.randint(0, h, (n,), generator=generator, device=x.device)
    centre_x = torch.randint(0, w, (n,), generator=generator, device=x.device)
    top, left = centre_y - size // 2, centre_x - size // 2
    boxes = torch.stack([top.clamp(0, h), (top + size).clamp(0, h), left.clamp(0, w), (left + size).clamp(0, w)], 1)
    return _erase(x, boxes, value, generator), boxes


def random_erasing(
    x: torch.Tensor, p: float = 0.5, scale: tuple[float, float] = (0.02, 0.33), ratio: tuple[float, float] = (0.3, 3.3),
    *, value: str | float = 0.0, generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random erasing (torchvision's rule; see the NumPy reference). Return (out, boxes (N, 4)), (0, 0, 0, 0) if kept."""
    x = _check_floating("random_erasing", "x", x, ndim=4)
    p = check_probability("random_erasing", "p", p)
    low, high = _check_range("random_erasing", "scale", scale, 0.0)
    r_low, r_high = _check_range("random_erasing", "ratio", ratio, 0.0)
    value = _check_value("random_erasing", value)
    n, _, h, w = x.shape

    def uniform(*shape: int) -> torch.Tensor:
        return torch.rand(shape, generator=generator, device=x.device, dtype=torch.float64)

    erase = uniform(n) < p
    area = (low + (high - low) * uniform(n, 10)) * (h * w)
    aspect = torch.exp(math.log(r_low) + (math.log(r_high) - math.log(r_low)) * uniform(n, 10))
    place = uniform(n, 2)
    box_h = torch.round(torch.sqrt(area * aspect)).long()
    box_w = torch.round(torch.sqrt(area / aspect)).long()
    fits = (box_h >= 1) & (box_h < h) & (box_w >= 1) & (box_w < w)
    first = fits.long().argmax(dim=1, keepdim=True)  # first attempt that fits (0 if none; then not chosen)
    chosen = erase & fits.any(dim=1)
    box_h, box_w = box_h.gather(1, first)[:, 0], box_w.gather(1, first)[:, 0]
    top = torch.floor(place[:, 0] * (h - box_h + 1)).long()
    left = torch.floor(place[:, 1] * (w - box_w + 1)).long()
    boxes = torch.where(chosen[:, None], torch.stack([top, top + box_h, left, left + box_w], 1), 0)
    return _erase(x, boxes, value, generator), boxes


# ---------------------------------------------------------------- parameter sharing: convolution


def conv2d(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Valid cross-correlation with stride 1 (F.conv2d without bias or padding), from scratch:
    a sum over kernel offsets (a, b) of the shifted input times the shared weight slice; autograd
    then sums each shared entry's gradient over every position it is used at."""
    x = _check_floating("conv2d", "x", x, ndim=4)
    weight = _check_floating("conv2d", "weight", weight, ndim=4)
    _, channels, h, w = x.shape
    _, weight_channels, kh, kw = weight.shape
    if weight_channels != channels or kh > h or kw > w:
        raise ValueError(f"conv2d: weight must have shape (out, {channels}, kh ≤ {h}, kw ≤ {w}), got {tuple(weight.shape)}")
    out_h, out_w = h - kh + 1, w - kw + 1
    out = None
    for a in range(kh):
        for b in range(kw):
            term = torch.einsum("ncij,oc->noij", x[:, :, a:a + out_h, b:b + out_w], weight[:, :, a, b])
            out = term if out is None else out + term
    return out
