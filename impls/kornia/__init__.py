"""Adapters to kornia's augmentations (kornia.augmentation, kornia.geometry.transform) through the operation specs.

Install: ``pip install 'regverify[kornia]'`` (kornia beside the pinned CPU torch; it pulls no other torch).

kornia draws its random parameters from torch's global RNG and takes no generator, so each call seeds it from
the caller's generator and restores it afterwards (impls.torch_native.seeding.seeded_from, as for PyTorch's
built-ins). The parameters come from the augmentation's public ``forward_parameters(batch_shape)`` and the
output from calling the augmentation with ``params=`` those parameters, so what is returned beside the output
is exactly what kornia applied.

Not adapted: kornia's RandomMixUpV2 and RandomCutMixV2 draw one λ (one box) per *sample*, λ ~ U(lambda_val),
where the protocol's mixup/cutmix draw one Beta(α, α) λ (one box) per batch; the two are different operations,
not conventions of one, so they are reported "not implemented" here.
"""

from __future__ import annotations

import kornia
import kornia.augmentation as _K
import torch
from kornia.geometry.transform import rotate as _rotate

from impls.torch_native.seeding import seeded_from

BACKEND = "torch"
NAME = "kornia"
VERSION = kornia.__version__
#: kornia's warps (grid_sample) and samplers are checked in float32 and float64.
DTYPES = ("float32", "float64")

#: kornia's RandomErasing draws the aspect ratio uniformly on [r₁, 1] or [1, r₂], each side with probability
#: 1/2, and clamps the sides to the image instead of retrying (see impls/protocol/conventions.py).
RANDOM_ERASING_CONVENTIONS = {"aspect_ratio": ("split_at_one",)}

#: kornia's RandomErasing fills with a constant in [0, 1] only (it asserts the range; no per-pixel noise).
ERASING_VALUES = (0.0,)

#: Deviations of kornia from the theory or its documentation (keys as in impls.keras.FINDINGS).
FINDINGS: dict[str, str] = {
    "random_hflip:p=1.5": "kornia.augmentation.RandomHorizontalFlip accepts p outside [0, 1] (a probability)",
    "random_vflip:p=-0.1": "kornia.augmentation.RandomVerticalFlip accepts p outside [0, 1] (a probability)",
    "random_rotation:degrees=270.0": "kornia.augmentation.RandomRotation accepts degrees > 180 (a range wider than a "
                                     "full turn, so angles are no longer uniform on the circle)",
    "random_crop:padding=-1": "kornia.augmentation.RandomCrop accepts padding=-1 (it crops the input instead of padding)",
    "random_crop:size=0": "kornia.augmentation.RandomCrop accepts size 0 and returns an empty crop",
    "random_crop:size=9": "kornia.augmentation.RandomCrop accepts a crop larger than the padded image and returns it "
                          "(its corners lie outside the image) instead of raising",
    "random_erasing:p=-0.1": "kornia.augmentation.RandomErasing accepts p outside [0, 1]",
    "random_gaussian_noise:std=inf": "kornia.augmentation.RandomGaussianNoise accepts std=inf and returns ±inf images",
    "random_erasing:p=2.0": "kornia.augmentation.RandomErasing accepts p outside [0, 1]",
    "random_erasing:ratio=(0.0, 1.0)": "kornia.augmentation.RandomErasing accepts an aspect-ratio range starting at 0 "
                                       "(a box of zero width)",
    "random_gaussian_noise:std=-1.0": "kornia.augmentation.RandomGaussianNoise accepts std < 0 (noise of standard "
                                      "deviation |std| is drawn as randn·std)",
    "random_gaussian_noise:std=nan": "kornia.augmentation.RandomGaussianNoise accepts std=nan and returns NaN images",
    "test_rotation_by_zero_and_scaling_by_one_are_the_identity[kornia-random_rotation-cpu-float32]":
        "kornia.augmentation.RandomRotation(degrees=0, resample='bilinear') is not the identity: it warps through "
        "grid_sample with a float32 rotation matrix, and the resampled pixels move by an ulp (the theory: a rotation by 0 "
        "returns the image)",
}

__all__ = ["random_hflip", "random_vflip", "rotate", "random_rotation", "random_crop", "random_gaussian_noise",
           "random_erasing"]


def _sampled(augmentation: _K.AugmentationBase2D, x: torch.Tensor, generator: torch.Generator | None):
    """Draw the augmentation's parameters from the caller's generator, then apply exactly those."""
    with seeded_from(generator, x.device):
        params = augmentation.forward_parameters(x.shape)
    return augmentation(x, params=params), params


def _flip(augmentation_class: type, x: torch.Tensor, p: float,
          generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    out, params = _sampled(augmentation_class(p=p), x, generator)
    return out, params["batch_prob"].to(device=x.device).bool()


def random_hflip(x: torch.Tensor, p: float = 0.5, *,
                 generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """kornia.augmentation.RandomHorizontalFlip(p); flipped = params["batch_prob"]."""
    return _flip(_K.RandomHorizontalFlip, x, p, generator)


def random_vflip(x: torch.Tensor, p: float = 0.5, *,
                 generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """kornia.augmentation.RandomVerticalFlip(p); flipped = params["batch_prob"]."""
    return _flip(_K.RandomVerticalFlip, x, p, generator)


def rotate(x: torch.Tensor, angle: float, *, interpolation: str = "nearest", fill: float = 0.0) -> torch.Tensor:
    """kornia.geometry.transform.rotate(x, angle, mode=interpolation, padding_mode="zeros", align_corners=True):
    about the centre ((W-1)/2, (H-1)/2), positive angles counterclockwise; zero padding, so fill must be 0."""
    if fill != 0.0:
        raise ValueError(f"rotate: fill must be 0.0 for kornia's zero padding, got {fill!r}")
    angles = torch.full((x.shape[0],), float(angle), dtype=x.dtype, device=x.device)
    return _rotate(x, angles, mode=interpolation, padding_mode="zeros", align_corners=True)


def random_rotation(x: torch.Tensor, degrees: float, *, interpolation: str = "nearest", fill: float = 0.0,
                    generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """kornia.augmentation.RandomRotation(degrees, p=1, resample=interpolation, align_corners=True); the
    angles are params["degrees"]."""
    if fill != 0.0:
        raise ValueError(f"random_rotation: fill must be 0.0 for kornia's zero padding, got {fill!r}")
    augmentation = _K.RandomRotation(degrees=degrees, p=1.0, resample=interpolation, align_corners=True)
    out, params = _sampled(augmentation, x, generator)
    return out, params["degrees"].to(device=x.device, dtype=x.dtype)


def random_crop(x: torch.Tensor, size: int | tuple[int, int], padding: int = 0, *,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """kornia.augmentation.RandomCrop(size, padding, fill=0, p=1); offsets (top, left) are the crop's top-left
    corner params["src"][:, 0] = (x, y) in the padded image."""
    size = (size, size) if isinstance(size, int) else tuple(size)
    augmentation = _K.RandomCrop(size, padding=padding or None, fill=0, p=1.0)
    out, params = _sampled(augmentation, x, generator)
    corner = params["src"][:, 0].round().long().to(x.device)
    return out, torch.stack([corner[:, 1], corner[:, 0]], dim=1)


def random_gaussian_noise(x: torch.Tensor, std: float = 0.1, *,
                          generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """kornia.augmentation.RandomGaussianNoise(mean=0, std, p=1); noise = params["gaussian_noise"] in x's dtype."""
    out, params = _sampled(_K.RandomGaussianNoise(mean=0.0, std=std, p=1.0), x, generator)
    return out, params["gaussian_noise"].to(device=x.device, dtype=x.dtype)


def random_erasing(x: torch.Tensor, p: float = 0.5, scale: tuple[float, float] = (0.02, 0.33),
                   ratio: tuple[float, float] = (0.3, 3.3), *, value: str | float = 0.0,
                   generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """kornia.augmentation.RandomErasing(scale, ratio, value, p); boxes (y1, y2, x1, x2) from params
    ys, heights, xs, widths; (0, 0, 0, 0) where the image was not erased. kornia has no 'random' value."""
    if value == "random":
        raise ValueError("random_erasing: kornia erases with a constant value only (value must be a number)")
    augmentation = _K.RandomErasing(scale=scale, ratio=ratio, value=float(value), p=p)
    out, params = _sampled(augmentation, x, generator)
    chosen = params["batch_prob"].to(x.device).bool()
    y1, x1 = params["ys"].round().long().to(x.device), params["xs"].round().long().to(x.device)
    h, w = params["heights"].round().long().to(x.device), params["widths"].round().long().to(x.device)
    boxes = torch.stack([y1, y1 + h, x1, x1 + w], dim=1)
    return out, torch.where(chosen[:, None], boxes, torch.zeros_like(boxes))

