"""Data-side and training-procedure regularizers from scratch in PyTorch (any device, any floating dtype).

Images are (N, C, H, W) tensors. Every stochastic operation takes ``generator=`` (a torch.Generator
on the input's device) and returns the random parameters it drew beside its output.

Signatures, defaults and parameter checks are the specs' (impls/protocol/augmentation.py), applied by
``@reference``; early stopping is the NumPy reference's class (pure Python over metrics, no arrays).
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import torch

# Early stopping is pure Python over metrics; states are deep-copied (tensors and state_dicts alike).
from impls.numpy_ref.augmentation import EarlyStopping  # noqa: F401 - re-exported
from impls.protocol import parameters as _p
from impls.protocol.augmentation import check_labels_shape, cutmix_box, cutmix_weights, gray
from impls.protocol.parameters import exported, implements, torch_tensor

reference = partial(implements, array=torch_tensor)


# ---------------------------------------------------------------- the spec's checks, for code outside the references
# (the defect catalogue builds its defective variants from these pieces)


def _check_floating(op: str, name: str, x: Any, *, ndim: int | None = None) -> torch.Tensor:
    return _p.Parameter(name, kind="array", ndim=ndim, batch=True).check(op, x, torch_tensor)


def _check_alpha(op: str, alpha: Any) -> float:
    return _p.positive("alpha").check(op, alpha, None)


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


@reference("mixup")
def mixup(x: torch.Tensor, y_onehot: torch.Tensor, alpha: float, *,
          generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor, tuple[float, torch.Tensor]]:
    """Mixup: one λ ~ Beta(alpha, alpha) per batch, partner = a random permutation of the batch.

    Return (λ·x + (1-λ)·x[perm], λ·y + (1-λ)·y[perm], (λ, perm)).
    """
    check_labels_shape("mixup", tuple(y_onehot.shape), tuple(x.shape))
    lam = _beta(alpha, generator, x.device)
    permutation = torch.randperm(x.shape[0], generator=generator, device=x.device)
    rest = 1.0 - lam
    return _mix(x, lam, rest, permutation), _mix(y_onehot, lam, rest, permutation), (lam, permutation)


@reference("cutmix")
def cutmix(x: torch.Tensor, y_onehot: torch.Tensor, alpha: float, *,
           generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor, tuple[float, tuple[int, int, int, int], torch.Tensor]]:
    """CutMix: paste the partner's box into every image; labels mix by the area actually pasted.

    Box: ⌊H·√(1-λ)⌋ × ⌊W·√(1-λ)⌋ centred on a uniform pixel, half-extent side//2, clipped at the borders.
    Return (x_mixed, y_mixed, (λ_used, (y1, y2, x1, x2), perm)) with λ_used = 1 - area/(H·W).
    """
    check_labels_shape("cutmix", tuple(y_onehot.shape), tuple(x.shape))
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


@reference("rotate")
def rotate(x: torch.Tensor, angle: float, *, interpolation: str, fill: float) -> torch.Tensor:
    """Rotate every image counterclockwise by `angle` degrees about its centre; shape kept, corners read `fill`."""
    angles = torch.full((x.shape[0],), angle, dtype=torch.float64, device=x.device)
    return _inverse_map(x, _rotation_matrices(angles), interpolation, fill)


def _uniform(low: float, high: float, count: int, generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
    u = torch.rand(count, generator=generator, device=device, dtype=torch.float64)
    return low + (high - low) * u


@reference("random_rotation")
def random_rotation(x: torch.Tensor, degrees: float, *, interpolation: str, fill: float,
                    generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate each image by its own angle ~ Uniform[-degrees, degrees]; return (out, angles in degrees)."""
    angles = _uniform(-degrees, degrees, x.shape[0], generator, x.device)
    return _inverse_map(x, _rotation_matrices(angles), interpolation, fill), angles


@reference("random_scale")
def random_scale(x: torch.Tensor, scale: tuple[float, float], *, interpolation: str, fill: float,
                 generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Zoom each image about its centre by its own factor ~ Uniform[scale[0], scale[1]]; shape kept."""
    low, high = scale
    factors = _uniform(low, high, x.shape[0], generator, x.device)
    matrices = torch.zeros(x.shape[0], 2, 2, dtype=torch.float64, device=x.device)
    matrices[:, 0, 0] = matrices[:, 1, 1] = 1.0 / factors
    return _inverse_map(x, matrices, interpolation, fill), factors


@reference("rot90")
def rot90(x: torch.Tensor, k: int) -> torch.Tensor:
    """Rotate every image by k quarter turns counterclockwise (torch.rot90 on dims (2, 3)), written as
    transpose-and-flip so that the reference does not merely wrap the built-in it is compared with."""
    return _quarter_turns(x, k)


def _quarter_turns(x: torch.Tensor, k: int) -> torch.Tensor:
    for _ in range(k % 4):
        # One counterclockwise quarter turn: out[i, j] = x[j, W-1-i], i.e. transpose, then flip the rows.
        x = x.transpose(2, 3).flip(2)
    return x.contiguous()


@reference("random_rot90")
def random_rot90(x: torch.Tensor, *, generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate each (square) image by its own k ~ Uniform{0, 1, 2, 3} quarter turns; return (out, k)."""
    if x.shape[2] != x.shape[3]:
        raise ValueError(f"random_rot90: x must hold square images (H == W), got shape {tuple(x.shape)}")
    turns = torch.randint(0, 4, (x.shape[0],), generator=generator, device=x.device)
    out = x.clone()
    for k in range(1, 4):
        chosen = turns == k
        out[chosen] = _quarter_turns(x[chosen], k)
    return out, turns


def _random_flip(x: torch.Tensor, p: float, generator: Any, dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    # float64 uniforms: P(u < p) = p to within 2**-53.
    flipped = torch.rand(x.shape[0], generator=generator, device=x.device, dtype=torch.float64) < p
    return torch.where(flipped[:, None, None, None], x.flip(dim), x), flipped


@reference("random_hflip")
def random_hflip(x: torch.Tensor, p: float, *, generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Mirror each image left-right with probability p; return (out, flipped) with flipped a bool (N,) tensor."""
    return _random_flip(x, p, generator, 3)


@reference("random_vflip")
def random_vflip(x: torch.Tensor, p: float, *, generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Mirror each image top-bottom with probability p; return (out, flipped) with flipped a bool (N,) tensor."""
    return _random_flip(x, p, generator, 2)


@reference("random_crop")
def random_crop(x: torch.Tensor, size: int | tuple[int, int], padding: int, *,
                generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Zero-pad by `padding`, then crop `size` = (h, w) at offsets ~ Uniform over all positions in the padded image."""
    n, _, h, w = x.shape
    crop_h, crop_w = size
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


@reference("color_jitter")
def color_jitter(x: torch.Tensor, brightness: float, contrast: float, saturation: float, *,
                 generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Brightness, contrast, then saturation jitter of images in [0, 1] (1 or 3 channels); see the NumPy reference.

    Return (out, factors (N, 3) as (b, c, s)), factors ~ Uniform[max(0, 1 - strength), 1 + strength].
    """
    strengths = (brightness, contrast, saturation)
    if x.shape[1] not in (1, 3):
        raise ValueError(f"color_jitter: x must have 1 or 3 channels, got {x.shape[1]}")
    factors = torch.stack([_uniform(max(0.0, 1.0 - s), 1.0 + s, x.shape[0], generator, x.device) for s in strengths], 1)
    b, c, s = (factors[:, i, None, None, None] for i in range(3))
    out = (b * x.to(torch.float64)).clamp(0.0, 1.0)
    out = (c * out + (1 - c) * gray(out).mean(dim=(1, 2, 3), keepdim=True)).clamp(0.0, 1.0)
    out = (s * out + (1 - s) * gray(out)).clamp(0.0, 1.0)
    return out.to(x.dtype), factors


@reference("random_gaussian_noise")
def random_gaussian_noise(x: torch.Tensor, std: float, *, generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Additive Gaussian noise: out = x + noise, noise ~ N(0, std²) rounded to x's dtype; return (out, noise)."""
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


@reference("cutout")
def cutout(x: torch.Tensor, size: int, *, value: str | float, generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Cutout: per image a size × size square centred on a uniform pixel, clipped at the borders, set to
    `value` (or "random" standard-normal noise). Return (out, boxes (N, 4) as y1, y2, x1, x2)."""
    n, _, h, w = x.shape
    centre_y = torch.randint(0, h, (n,), generator=generator, device=x.device)
    centre_x = torch.randint(0, w, (n,), generator=generator, device=x.device)
    top, left = centre_y - size // 2, centre_x - size // 2
    boxes = torch.stack([top.clamp(0, h), (top + size).clamp(0, h), left.clamp(0, w), (left + size).clamp(0, w)], 1)
    return _erase(x, boxes, value, generator), boxes


@reference("random_erasing")
def random_erasing(x: torch.Tensor, p: float, scale: tuple[float, float], ratio: tuple[float, float], *,
                   value: str | float, generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Random erasing (torchvision's rule; see the NumPy reference). Return (out, boxes (N, 4)), (0, 0, 0, 0) if kept."""
    (low, high), (r_low, r_high) = scale, ratio
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


@reference("conv2d")
def conv2d(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Valid cross-correlation with stride 1 (F.conv2d without bias or padding), from scratch:
    a sum over kernel offsets (a, b) of the shifted input times the shared weight slice; autograd
    then sums each shared entry's gradient over every position it is used at."""
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


__all__ = exported(globals(), "EarlyStopping")
