"""Adapters to torchvision: torchvision.ops (stochastic_depth, drop_block2d) and the v2 transforms (flips, crops,
rotations, MixUp, CutMix) and RandomErasing, through the operation specs.

Not adapted: v2.ColorJitter applies brightness, contrast and saturation in a random order (params["fn_idx"]),
where the protocol's color_jitter composes them in a fixed one; v2.GaussianNoise returns no noise and clips to
[0, 1] by default (clip=True), so the protocol's out = x + noise cannot be read from it.

Install: torchvision needs the torch release its build was made for, so it lives in its own environment:

    python -m venv venv-tv && venv-tv/bin/pip install "torch==2.14.1" "torchvision==0.29.1" && \\
        venv-tv/bin/pip install -e ".[torchvision]"

(a CUDA build of several GB that also runs on the CPU). It is not part of the default CI.

torchvision draws from torch's global RNG and takes no generator: each call seeds it from the caller's generator
and restores it (impls.torch_native.seeding.seeded_from). The v2 transforms treat a batched tensor as *one*
image (one flip decision per call), so the per-image operations run image by image, as a Dataset would.
MixUp and CutMix draw their parameters in ``make_params``; replaying the same seed through ``make_params``
returns exactly the λ (and box) that the call used. Their partner is ``roll(1, 0)``: sample i mixes with i-1.
"""

from __future__ import annotations

import torch
import torchvision
import torchvision.ops as _ops
from torchvision.transforms import v2 as _v2

from impls.torch_native.augmentation import random_erasing  # torchvision's RandomErasing, image by image
from impls.torch_native.seeding import seeded_from

BACKEND = "torch"
NAME = "torchvision"
VERSION = torchvision.__version__

STOCHASTIC_DEPTH_CONVENTIONS = {"scaling": ("inverted",)}
DROPBLOCK2D_CONVENTIONS = {"normalization": ("kept_fraction",)}
CUTMIX_CONVENTIONS = {"lam": ("corrected",)}
RANDOM_ERASING_CONVENTIONS = {"aspect_ratio": ("log_uniform",)}

_LABELS_FLOAT32 = ("v2.MixUp/CutMix one-hot the integer labels and mix them in float32 (label.float()) whatever the "
                   "images' dtype: float64 soft labels carry float32 rounding (~1e-8, bound ~1e-16)")
_DROPBLOCK = ("torchvision.ops.drop_block2d rejects even block sizes (ValueError 'block size should be odd'), which "
              "DropBlock and its docstring allow, and scales survivors by numel/(1e-6 + #kept), not numel/#kept "
              "(relative shortfall 1e-6/#kept: 1e-6 on a 2-element map against a float64 bound of 4e-16)")

#: Deviations of torchvision from the theory or its documentation (keys as in impls.keras.FINDINGS).
FINDINGS: dict[str, str] = {
    "mixup:alpha=inf": "v2.MixUp(alpha=inf) is accepted (Beta(inf, inf) samples NaN or 0.5 depending on the backend)",
    "cutmix:alpha=inf": "v2.CutMix(alpha=inf) is accepted",
    "random_erasing:p=2.0": "RandomErasing(p=2.0) is accepted (`torch.rand(1) < p` erases always)",
    "random_erasing:p=-0.1": "RandomErasing(p=-0.1) is accepted (`torch.rand(1) < p` never erases)",
    "test_random_erasing_finishes_and_erases_nothing_when_no_box_fits[torchvision-cpu-float32-1x3x1x1]":
        "RandomErasing.get_params accepts a box of side 0: it checks h < H and w < W but not h, w ≥ 1, so on a 1×1 "
        "image it returns (i, j, h, w) = (1, 1, 0, 0) and erases nothing while reporting a box (also seen through "
        "torch-native's random_erasing)",
    **{f"{prop}[torchvision-{op}cpu-float64]": _LABELS_FLOAT32 for prop, op in (
        ("test_cutmix_labels_mix_by_the_pasted_area_or_the_sampled_lambda_as_declared", ""),
        ("test_mixup_output_is_the_convex_combination_for_the_returned_lambda", ""),
        ("test_mixed_labels_sum_to_one", "mixup-"), ("test_mixed_labels_sum_to_one", "cutmix-"))},
    **{f"test_cutmix_label_weight_equals_the_pasted_area[torchvision-cpu-{dtype}]":
       "v2.CutMix computes lam_adjusted = 1.0 - box_area/(H·W) with two roundings: 1 − 4/12 = 0.6666666666666667, one "
       "ulp from the nearest float to (H·W − area)/(H·W) = 2/3" for dtype in ("float16", "bfloat16", "float32", "float64")},
    **{f"test_dropblock_drops_whole_blocks_and_rescales_by_numel_over_kept[torchvision-cpu-{dtype}]": _DROPBLOCK
       for dtype in ("float16", "bfloat16", "float32", "float64")},
    "test_dropblock_on_a_block_sized_map_drops_it_with_probability_p[torchvision-cpu-float32]": _DROPBLOCK,
    "random_rotation:degrees=270.0": "v2.RandomRotation(270) is accepted and draws angles uniform on [-270, 270] "
                                     "(a range wider than a full turn: angles are no longer uniform on the circle)",
    "random_crop:padding=-1": "v2.RandomCrop(padding=-1) is accepted: the negative padding trims a pixel from every "
                              "border before cropping, instead of an error",
    "random_crop:size=0": "v2.RandomCrop(0) is accepted and returns an empty (C, 0, 0) crop",
}

__all__ = ["stochastic_depth", "dropblock2d", "random_hflip", "random_vflip", "mixup", "cutmix", "random_erasing",
           "random_crop", "random_rotation"]


def _image_by_image(transform, x: torch.Tensor, generator: torch.Generator | None) -> tuple[torch.Tensor, list[dict]]:
    """A v2 transform image by image through its public make_params / transform: the parameters each image was
    given are exactly those it was transformed with (the global RNG seeded from `generator`, then restored)."""
    images, parameters = [], []
    with seeded_from(generator, x.device):
        for image in x:
            params = transform.make_params([image])
            images.append(transform.transform(image, params))
            parameters.append(params)
    return torch.stack(images), parameters


def random_crop(x: torch.Tensor, size: int | tuple[int, int], padding: int = 0, *,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """v2.RandomCrop(size, padding, fill=0) image by image; offsets (top, left) in the padded image."""
    out, parameters = _image_by_image(_v2.RandomCrop(size, padding=padding or None, fill=0), x, generator)
    offsets = [(p["top"], p["left"]) if p["needs_crop"] else (0, 0) for p in parameters]
    return out, torch.tensor(offsets, dtype=torch.long, device=x.device)


def random_rotation(x: torch.Tensor, degrees: float, *, interpolation: str = "nearest", fill: float = 0.0,
                    generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """v2.RandomRotation(degrees, interpolation, fill) image by image (about the image centre, counterclockwise);
    the angles are its params["angle"]."""
    modes = {"nearest": _v2.InterpolationMode.NEAREST, "bilinear": _v2.InterpolationMode.BILINEAR}
    if interpolation not in modes:
        raise ValueError(f"random_rotation: interpolation must be one of {sorted(modes)}, got {interpolation!r}")
    out, parameters = _image_by_image(_v2.RandomRotation(degrees, interpolation=modes[interpolation], fill=fill),
                                      x, generator)
    return out, torch.tensor([p["angle"] for p in parameters], dtype=x.dtype, device=x.device)


def _fixed_generator(generator: torch.Generator | None, device: torch.device) -> torch.Generator:
    if generator is not None:
        return generator
    return torch.Generator(device=device).manual_seed(int(torch.randint(0, 2**62, (1,)).item()))


def _replayed(function, x: torch.Tensor, probe: torch.Tensor, generator: torch.Generator | None):
    generator = _fixed_generator(generator, x.device)
    state = generator.get_state()
    with seeded_from(generator, x.device):
        out = function(x)
    generator.set_state(state)
    with seeded_from(generator, x.device):
        replay = function(probe)
    return out, replay.detach()


def stochastic_depth(x: torch.Tensor, p: float, mode: str = "row", *, training: bool = True,
                     generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """torchvision.ops.stochastic_depth(x, p, mode, training); keep mask from the replay on ones."""
    out, probe = _replayed(lambda v: _ops.stochastic_depth(v, p, mode, training), x, torch.ones_like(x), generator)
    leading = 1 if mode == "row" else 0
    return out, probe[(slice(None),) * leading + (slice(0, 1),) * (probe.dim() - leading)] != 0


def dropblock2d(x: torch.Tensor, p: float, block_size: int, *, training: bool = True,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """torchvision.ops.drop_block2d(x, p, block_size, training=training); keep mask from the replay on ones."""
    out, probe = _replayed(lambda v: _ops.drop_block2d(v, p, block_size, training=training), x, torch.ones_like(x),
                           generator)
    return out, probe != 0


def _flip(transform_class: type, x: torch.Tensor, p: float, generator: torch.Generator | None,
          axis: int) -> tuple[torch.Tensor, torch.Tensor]:
    """v2.RandomHorizontalFlip / RandomVerticalFlip image by image; the decision of each image is read from the
    replay of the same seed on an index image (distinct values, so a flip always changes it)."""
    generator = _fixed_generator(generator, x.device)
    state = generator.get_state()
    transform = transform_class(p=p)
    with seeded_from(generator, x.device):
        images = [transform(image) for image in x]
    generator.set_state(state)
    index = torch.arange(x[0].numel(), dtype=torch.float64, device=x.device).reshape(x[0].shape)
    with seeded_from(generator, x.device):
        flipped = [not torch.equal(transform(index), index) for _ in x]
    return torch.stack(images), torch.tensor(flipped, device=x.device)


def random_hflip(x: torch.Tensor, p: float = 0.5, *,
                 generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """torchvision.transforms.v2.RandomHorizontalFlip(p), one decision per image."""
    return _flip(_v2.RandomHorizontalFlip, x, p, generator, axis=3)


def random_vflip(x: torch.Tensor, p: float = 0.5, *,
                 generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """torchvision.transforms.v2.RandomVerticalFlip(p), one decision per image."""
    return _flip(_v2.RandomVerticalFlip, x, p, generator, axis=2)


def _mixed(transform, x: torch.Tensor, y_onehot: torch.Tensor, generator: torch.Generator | None):
    if y_onehot.shape[0] != x.shape[0]:
        raise ValueError(f"mixing: y_onehot must have x's batch size {x.shape[0]}, got {tuple(y_onehot.shape)}")
    labels = y_onehot.argmax(dim=1)
    generator = _fixed_generator(generator, x.device)
    state = generator.get_state()
    with seeded_from(generator, x.device):
        x_mixed, y_mixed = transform(x, labels)
    generator.set_state(state)
    with seeded_from(generator, x.device):
        params = transform.make_params([x])  # the inputs forward passes on: the images, not the labels
    permutation = torch.roll(torch.arange(x.shape[0], device=x.device), 1)
    return x_mixed, y_mixed.to(y_onehot.dtype), params, permutation


def mixup(x: torch.Tensor, y_onehot: torch.Tensor, alpha: float = 1.0, *,
          generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor, tuple]:
    """torchvision.transforms.v2.MixUp(alpha, num_classes) on (x, argmax labels); λ from make_params' replay."""
    transform = _v2.MixUp(alpha=alpha, num_classes=y_onehot.shape[1])
    # MixUp takes a batch of images: features (N, ...) mix the same way laid out as (N, 1, 1, D).
    images = x if x.dim() == 4 else x.reshape(x.shape[0], 1, 1, -1)
    x_mixed, y_mixed, params, permutation = _mixed(transform, images, y_onehot, generator)
    return x_mixed.reshape(x.shape), y_mixed, (float(params["lam"]), permutation)


def cutmix(x: torch.Tensor, y_onehot: torch.Tensor, alpha: float = 1.0, *,
           generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor, tuple]:
    """torchvision.transforms.v2.CutMix(alpha, num_classes); box (x1, y1, x2, y2) and lam_adjusted from
    make_params' replay, returned as (lam_used, (y1, y2, x1, x2), permutation)."""
    transform = _v2.CutMix(alpha=alpha, num_classes=y_onehot.shape[1])
    x_mixed, y_mixed, params, permutation = _mixed(transform, x, y_onehot, generator)
    x1, y1, x2, y2 = (int(v) for v in params["box"])
    return x_mixed, y_mixed, (float(params["lam_adjusted"]), (y1, y2, x1, x2), permutation)
