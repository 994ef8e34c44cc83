"""Adapters to PyTorch's own augmentation-like built-ins (torchvision is not a dependency).

- rot90: torch.rot90 on dims (2, 3).
- rotate: F.affine_grid + F.grid_sample (align_corners=True, zero padding), the machinery
  torchvision's tensor rotation uses, with the protocol's conventions: centre ((H-1)/2, (W-1)/2),
  counterclockwise angles, "nearest" or "bilinear". The grid is computed in float32 or wider, then rounded to x's dtype.

Signatures and defaults are the specs' (``@adapter``, impls/protocol/augmentation.py); arguments go to PyTorch unchecked.
"""

from __future__ import annotations

import math
import warnings
from functools import partial

import torch
import torch.nn.functional as F

from impls.protocol.parameters import exported, implements

#: The spec's signature and defaults, no checks of ours in front of PyTorch's.
adapter = partial(implements, check=False)


@adapter("conv2d")
def conv2d(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """F.conv2d(x, weight): stride 1, no padding, no bias."""
    return F.conv2d(x, weight)


@adapter("fractional_max_pool2d")
def fractional_max_pool2d(x: torch.Tensor, kernel_size: int | tuple[int, int], output_size: int | tuple[int, int], *,
                          generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    """F.fractional_max_pool2d with its `_random_samples` (N, C, 2) drawn uniformly from `generator` in x's dtype.

    PyTorch's rule (Graham 2014, pseudo-random, overlapping): per plane, windows of kernel_size start at
    s_i = ⌊(i + u)·α⌋ - ⌊u·α⌋ for i < out - 1 and s_{out-1} = in - k, with α = (in - k)/(out - 1);
    sample [..., 0] drives the width, [..., 1] the height. Return (out, samples).
    """
    n, c = x.shape[:2]
    samples = torch.rand(n, c, 2, generator=generator, device=x.device, dtype=x.dtype)
    out = F.fractional_max_pool2d(x, kernel_size, output_size=output_size, _random_samples=samples)
    return out, samples


@adapter("rot90")
def rot90(x: torch.Tensor, k: int) -> torch.Tensor:
    """torch.rot90(x, k, dims=(2, 3)): k counterclockwise quarter turns of every image."""
    return torch.rot90(x, k, dims=(2, 3))


@adapter("rotate")
def rotate(x: torch.Tensor, angle: float, *, interpolation: str, fill: float) -> torch.Tensor:
    """Rotate counterclockwise by `angle` degrees about the centre with F.affine_grid/F.grid_sample.

    In pixel offsets (u down, v right) the source of output (u, v) is (cos·u + sin·v, -sin·u + cos·v).
    affine_grid works in coordinates normalised by the half-extents c_h = (H-1)/2, c_w = (W-1)/2
    (align_corners=True), so the cross terms carry c_h/c_w; a 1-pixel axis has no extent (ratio 1).
    grid_sample pads with zeros, so `fill` must be 0.
    """
    if fill != 0.0:
        raise ValueError(f"rotate: fill must be 0.0 for F.grid_sample's zero padding, got {fill!r}")
    n, _, h, w = x.shape
    theta_rad = math.radians(angle)
    cos, sin = math.cos(theta_rad), math.sin(theta_rad)
    half_h, half_w = (h - 1) / 2, (w - 1) / 2
    h_over_w = half_h / half_w if half_w > 0 else 1.0
    w_over_h = half_w / half_h if half_h > 0 else 1.0
    # Rows of theta give (x_source, y_source) = theta @ (x_out, y_out, 1), x along W, y along H.
    # F.affine_grid raises NotImplementedError for float16/bfloat16 on the CPU when an axis has size 1
    # (torch 2.x), so the grid is built in float32 at least and rounded to x's dtype (grid_sample wants both equal).
    grid_dtype = torch.promote_types(x.dtype, torch.float32)
    theta = torch.tensor([[cos, -sin * h_over_w, 0.0], [sin * w_over_h, cos, 0.0]], dtype=grid_dtype, device=x.device)
    with warnings.catch_warnings():
        # A 1-pixel axis triggers affine_grid's unit-size notice; grid_sample reads its only pixel either way.
        warnings.filterwarnings("ignore", message=".*unit-size grids.*")
        grid = F.affine_grid(theta.expand(n, 2, 3), list(x.shape), align_corners=True).to(x.dtype)
    return F.grid_sample(x, grid, mode=interpolation, padding_mode="zeros", align_corners=True)


# torchvision is optional: its RandomErasing is adapted only where it imports (not in this project's
# environment, where the suite reports "torchvision not installed"; this adapter is untested here).
try:
    from torchvision.transforms import RandomErasing as _RandomErasing
    from torchvision.transforms import functional as _TF
except ImportError:
    _RandomErasing = None

if _RandomErasing is not None:
    from impls.torch_native.seeding import seeded_from

    @adapter("random_erasing")
    def random_erasing(x: torch.Tensor, p: float, scale: tuple[float, float], ratio: tuple[float, float], *,
                       value: str | float, generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
        """torchvision's RandomErasing, image by image (its forward's `torch.rand(1) < p`, then get_params and
        F.erase), reading the global RNG seeded from `generator`. Boxes (y1, y2, x1, x2); (0, 0, 0, 0) if kept."""
        images, boxes = [], []
        fill = None if value == "random" else [float(value)]
        with seeded_from(generator, x.device):
            for image in x:
                if not bool(torch.rand(1) < p):
                    images.append(image)
                    boxes.append((0, 0, 0, 0))
                    continue
                top, left, height, width, erased = _RandomErasing.get_params(image, scale=scale, ratio=ratio, value=fill)
                if erased is image:  # get_params found no box that fits: the image is returned unchanged
                    images.append(image)
                    boxes.append((0, 0, 0, 0))
                    continue
                images.append(_TF.erase(image, top, left, height, width, erased))
                boxes.append((top, top + height, left, left + width))
        return torch.stack(images), torch.tensor(boxes, dtype=torch.long, device=x.device)


__all__ = exported(globals())
