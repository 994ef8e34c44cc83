"""Adapters to timm's regularizers: drop_path (stochastic depth), drop_block_2d (DropBlock), Mixup/CutMix and
RandomErasing, through the operation specs.

Install: timm needs torchvision, so it shares the torchvision environment (see impls/torchvision):

    venv-tv/bin/pip install "torch==2.14.1" "torchvision==0.29.1" timm && venv-tv/bin/pip install -e ".[timm]"

timm draws from torch's global RNG: each call seeds it from the caller's generator and restores it
(impls.torch_native.seeding.seeded_from); masks come from replaying the same seed on ones.

Not adapted: timm.loss.LabelSmoothingCrossEntropy takes (N, K) logits and index targets and returns the mean
only (no reduction, class weights or ignored index), so it cannot serve the protocol's label_smoothing_cross_entropy,
whose properties draw those options; on (N, K) it equals F.cross_entropy(label_smoothing=ε) (checked by hand:
1.5025 both on a 5×3 example). timm.data.random_erasing.RandomErasing (mode='const', one box) is adapted as random_erasing: it
draws from Python's global ``random``, which each call seeds from the caller's generator and restores; it returns
no box, so the box is read by replaying the same seed on an image of ones (the erased pixels are its zeros).

timm.data.Mixup (mode='batch', prob=1, label_smoothing=0) is adapted for mixup (cutmix_alpha=0) and CutMix
(mixup_alpha=0): it draws λ (and the box) from NumPy's global RNG, which each call seeds from the caller's
generator and restores; it mixes x in place (a copy is passed) and returns neither λ nor the box, so they are read
by replaying the same NumPy seed through Mixup._params_per_batch and timm.data.mixup.cutmix_bbox_and_lam, the calls
its _mix_batch makes in that order. Its partner is x.flip(0): sample i mixes with N-1-i.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator

import numpy as np
import timm
import torch
from timm.data import Mixup as _Mixup
from timm.data.mixup import cutmix_bbox_and_lam as _cutmix_bbox_and_lam
from timm.data.random_erasing import RandomErasing as _RandomErasing
from timm.layers import drop_block_2d as _drop_block_2d
from timm.layers import drop_path as _drop_path

from impls.torch_native.seeding import seeded_from

BACKEND = "torch"
NAME = "timm"
VERSION = timm.__version__

STOCHASTIC_DEPTH_CONVENTIONS = {"scaling": ("inverted",)}  # drop_path(scale_by_keep=True), timm's default
DROPBLOCK2D_CONVENTIONS = {"normalization": ("kept_fraction",)}

#: timm's drop_path draws one decision per sample: it has no per-batch mode.
STOCHASTIC_DEPTH_MODES = ("row",)
#: timm's Mixup pairs sample i with N-1-i and asserts an even batch ('Batch size should be even when using this').
MIXING_EVEN_BATCHES = True
CUTMIX_CONVENTIONS = {"lam": ("corrected",)}  # Mixup(correct_lam=True), timm's default

_DROPBLOCK = ("timm.layers.drop_block_2d seeds blocks at every position of the padded map (max-pooling a Bernoulli(γ) "
              "mask over all H×W), so blocks at the borders are cut off: the dropped set is not a union of whole "
              "b×b blocks, and a b×b map loses part of itself, where DropBlock (Ghiasi et al.) seeds only the "
              "(H-b+1)×(W-b+1) positions whose block fits, as its own γ formula assumes")

#: Deviations of timm from the theory or its documentation (keys as in impls.keras.FINDINGS).
FINDINGS: dict[str, str] = {
    "test_invalid_parameter_is_rejected_not_silently_used[timm-dropblock2d-block_size=0]":
        "timm.layers.drop_block_2d(block_size=0) raises ZeroDivisionError (γ divides by kh·kw = 0) instead of a "
        "ValueError naming block_size",
    **{f"test_invalid_parameter_is_rejected_not_silently_used[timm-{op}-alpha={v}]":
       "timm.data.Mixup rejects alpha ≤ 0 or nan with a bare `assert` (AssertionError 'One of mixup_alpha > 0., "
       "cutmix_alpha > 0., cutmix_minmax not None should be true.'), not a ValueError naming alpha; under python -O it "
       "would not check at all" for op in ("mixup", "cutmix") for v in ("0.0", "-1.0", "nan")},
    **{f"{op}:alpha=inf": "timm.data.Mixup accepts alpha=inf (np.random.beta(inf, inf) returns nan)"
       for op in ("mixup", "cutmix")},
    **{f"{prop}[timm-{op}cpu-float64]": "timm's mixup_target one-hots the labels in float32 (one_hot(...).float() "
       "is not given the images' dtype), so float64 soft labels carry float32 rounding (~1e-8, bound ~1e-16)"
       for prop, op in (("test_cutmix_labels_mix_by_the_pasted_area_or_the_sampled_lambda_as_declared", ""),
                        ("test_mixup_output_is_the_convex_combination_for_the_returned_lambda", ""),
                        ("test_mixed_labels_sum_to_one", "mixup-"), ("test_mixed_labels_sum_to_one", "cutmix-"))},
    **{f"test_cutmix_label_weight_equals_the_pasted_area[timm-cpu-{dtype}]":
       "timm.data.mixup.cutmix_bbox_and_lam computes the corrected λ as 1. - bbox_area/(H·W) with two roundings "
       "(1 − 2/6 = 0.6666666666666667, one ulp from the nearest float to 4/6); in float64 the labels are also float32"
       for dtype in ("float16", "bfloat16", "float32", "float64")},
    **{f"dropblock2d:p={v}": "timm.layers.drop_block_2d accepts drop_prob outside [0, 1] (γ = p·… is then no "
       "probability; bernoulli_ clamps or raises depending on the value)" for v in ("1.5", "-0.1", "nan")},
    **{f"test_dropblock_drops_whole_blocks_and_rescales_by_numel_over_kept[timm-cpu-{dtype}]": _DROPBLOCK
       for dtype in ("float16", "bfloat16", "float32", "float64")},
    "test_dropblock_on_a_block_sized_map_drops_it_with_probability_p[timm-cpu-float32]": _DROPBLOCK,
    **{f"random_erasing:p={v}": "timm.data.random_erasing.RandomErasing accepts probability outside [0, 1] (it compares "
       "random.random() > probability, so p > 1 always erases and p < 0 never does, silently)" for v in ("2.0", "-0.1")},
}

__all__ = ["stochastic_depth", "dropblock2d", "mixup", "cutmix", "random_erasing"]

#: timm's RandomErasing(mode='const') fills with 0 only ('rand' and 'pixel' draw normal colours per box or pixel).
ERASING_VALUES = (0.0,)


def _replayed(function, x: torch.Tensor, generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
    if generator is None:
        generator = torch.Generator(device=x.device).manual_seed(int(torch.randint(0, 2**62, (1,)).item()))
    state = generator.get_state()
    with seeded_from(generator, x.device):
        out = function(x)
    generator.set_state(state)
    with seeded_from(generator, x.device):
        probe = function(torch.ones_like(x))
    return out, probe.detach()


def stochastic_depth(x: torch.Tensor, p: float, mode: str = "row", *, training: bool = True,
                     generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """timm.layers.drop_path(x, drop_prob=p, training, scale_by_keep=True): one decision per sample; timm has no
    per-batch mode."""
    if mode != "row":
        raise ValueError(f"stochastic_depth: timm's drop_path draws per sample only (mode must be 'row'), got {mode!r}")
    out, probe = _replayed(lambda v: _drop_path(v, p, training, True), x, generator)
    return out, probe[(slice(None),) + (slice(0, 1),) * (probe.dim() - 1)] != 0


def dropblock2d(x: torch.Tensor, p: float, block_size: int, *, training: bool = True,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """timm.layers.drop_block_2d(x, drop_prob=p, block_size, couple_channels=False) in training (the protocol's
    one mask per channel); the identity in eval, as timm's DropBlock2d module; keep mask from the replay on ones."""
    if not training:
        return x, torch.ones_like(x, dtype=torch.bool)
    out, probe = _replayed(lambda v: _drop_block_2d(v, p, block_size, couple_channels=False), x, generator)
    return out, probe != 0


@contextlib.contextmanager
def _numpy_seeded(seed: int) -> Iterator[None]:
    """NumPy's global RNG seeded for the block and restored after it (timm's Mixup reads np.random)."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)


def _mixed(x: torch.Tensor, y_onehot: torch.Tensor, generator: torch.Generator | None, *, mixup_alpha: float,
           cutmix_alpha: float):
    if y_onehot.shape[0] != x.shape[0]:
        raise ValueError(f"mixing: y_onehot must have x's batch size {x.shape[0]}, got {tuple(y_onehot.shape)}")
    seed = int(torch.randint(0, 2**32, (1,), generator=generator).item()) if generator is not None else \
        int(torch.randint(0, 2**32, (1,)).item())
    mixer = _Mixup(mixup_alpha=mixup_alpha, cutmix_alpha=cutmix_alpha, prob=1.0, switch_prob=0.0, mode="batch",
                   correct_lam=True, label_smoothing=0.0, num_classes=y_onehot.shape[1])
    with _numpy_seeded(seed):
        x_mixed, y_mixed = mixer(x.detach().clone(), y_onehot.argmax(dim=1))
    with _numpy_seeded(seed):
        lam, use_cutmix = mixer._params_per_batch()
        box = None
        if use_cutmix and lam != 1.0:
            box, lam = _cutmix_bbox_and_lam(x.shape, lam, ratio_minmax=None, correct_lam=True)
    permutation = torch.arange(x.shape[0] - 1, -1, -1, device=x.device)
    return x_mixed, y_mixed.to(y_onehot.dtype), float(lam), box, permutation


def mixup(x: torch.Tensor, y_onehot: torch.Tensor, alpha: float = 1.0, *,
          generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor, tuple]:
    """timm.data.Mixup(mixup_alpha=alpha, cutmix_alpha=0, prob=1, mode='batch', label_smoothing=0)."""
    x_mixed, y_mixed, lam, _, permutation = _mixed(x, y_onehot, generator, mixup_alpha=alpha, cutmix_alpha=0.0)
    return x_mixed, y_mixed, (lam, permutation)


def cutmix(x: torch.Tensor, y_onehot: torch.Tensor, alpha: float = 1.0, *,
           generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor, tuple]:
    """timm.data.Mixup(mixup_alpha=0, cutmix_alpha=alpha, prob=1, mode='batch', correct_lam=True); box (yl, yh, xl, xh)."""
    x_mixed, y_mixed, lam, box, permutation = _mixed(x, y_onehot, generator, mixup_alpha=0.0, cutmix_alpha=alpha)
    y1, y2, x1, x2 = (0, 0, 0, 0) if box is None else (int(v) for v in box)
    return x_mixed, y_mixed, (lam, (y1, y2, x1, x2), permutation)


@contextlib.contextmanager
def _python_random_seeded(seed: int) -> Iterator[None]:
    """Python's global ``random`` seeded for the block and restored after it (timm's RandomErasing reads it)."""
    state = random.getstate()
    random.seed(seed)
    try:
        yield
    finally:
        random.setstate(state)


def random_erasing(x: torch.Tensor, p: float = 0.5, scale: tuple[float, float] = (0.02, 0.33),
                   ratio: tuple[float, float] = (0.3, 3.3), *, value: str | float = 0.0,
                   generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """timm RandomErasing(probability=p, min_area, max_area = scale, min_aspect, max_aspect = ratio, mode='const')
    on a copy of the batch; boxes (y1, y2, x1, x2) from replaying the seed on ones, (0, 0, 0, 0) if not erased."""
    if value != 0.0:
        raise ValueError(f"random_erasing: timm's mode='const' erases with 0 only, got value={value!r}")
    seed = int(torch.randint(0, 2**32, (1,), generator=generator).item()) if generator is not None else \
        int(torch.randint(0, 2**32, (1,)).item())
    eraser = _RandomErasing(probability=p, min_area=scale[0], max_area=scale[1], min_aspect=ratio[0],
                            max_aspect=ratio[1], mode="const", device=x.device)
    with _python_random_seeded(seed):
        out = eraser(x.detach().clone())
    with _python_random_seeded(seed):
        erased = eraser(torch.ones_like(x)) == 0
    boxes = torch.zeros((x.shape[0], 4), dtype=torch.long, device=x.device)
    for image in range(x.shape[0]):
        rows = erased[image].any(dim=0).any(dim=1).nonzero()
        cols = erased[image].any(dim=0).any(dim=0).nonzero()
        if rows.numel():
            boxes[image] = torch.stack([rows.min(), rows.max() + 1, cols.min(), cols.max() + 1])
    return out, boxes
