"""Protocol of the augmentation family: data-side and training-procedure regularizers.

These act on data or on the training loop, not as layers, so every target provides them in the
plain ``op(...)`` form whatever its backend (no forward/backward pair). Images are (N, C, H, W).
Stochastic operations take ``generator=`` and return the random parameters they drew beside
their output, so a test rebuilds the output exactly from them.
"""

import math
from typing import Any

import numpy as np

from impls.protocol import Invalid, Operation, register
from impls.protocol.calls import BAD, Array, extend, invalid_values, template_call

register(
    Operation(
        name="mixup",
        family="mixing",
        summary="Mixup: one λ ~ Beta(α, α) per batch and a permutation partner; "
        "x̃ = λx + (1-λ)x[perm], ỹ = λy + (1-λ)y[perm].",
        torch_signature="mixup(x, y_onehot, alpha=1.0, *, generator=None) -> (x_mixed, y_mixed, (lam, permutation))",
        numpy_signature="mixup(x, y_onehot, alpha=1.0, *, generator=None) -> (x_mixed, y_mixed, (lam, permutation))",
        stochastic=True,
        claims=("MIXUP.CONVEX_COMBINATION",),
    )
)

register(
    Operation(
        name="cutmix",
        family="mixing",
        summary="CutMix: paste a box of the permutation partner (one box per batch, side √(1-λ) of the image, "
        "λ ~ Beta(α, α), clipped at the borders); labels mix by the area actually pasted.",
        torch_signature="cutmix(x, y_onehot, alpha=1.0, *, generator=None) -> "
        "(x_mixed, y_mixed, (lam_used, (y1, y2, x1, x2), permutation)); lam_used = 1 - area/(H·W)",
        numpy_signature="cutmix(x, y_onehot, alpha=1.0, *, generator=None) -> "
        "(x_mixed, y_mixed, (lam_used, (y1, y2, x1, x2), permutation)); lam_used = 1 - area/(H·W)",
        stochastic=True,
    )
)

register(
    Operation(
        name="EarlyStopping",
        family="early_stopping",
        summary="Early stopping with patience (week-6 loop): the counter resets when the improvement over the "
        "best metric exceeds min_delta, else grows by 1; step returns True once counter ≥ patience.",
        torch_signature="EarlyStopping(patience, *, min_delta=0.0, mode='min', restore_best=True); "
        ".step(metric, state) -> bool; .best_metric, .best_state (deep copy), .best_epoch (from 0)",
        numpy_signature="EarlyStopping(patience, *, min_delta=0.0, mode='min', restore_best=True); "
        ".step(metric, state) -> bool; .best_metric, .best_state (deep copy), .best_epoch (from 0)",
        claims=("EARLY_STOPPING.PATIENCE_CODE", "EARLY_STOPPING.FIRST_RISE"),
    )
)

_IMAGE = "x is (N, C, H, W); "
_GEOMETRY = ("inverse mapping about the centre ((H-1)/2, (W-1)/2); positive angles counterclockwise as displayed "
             "(like np.rot90/torch.rot90); 'nearest' rounds half-to-even, 'bilinear' weighs 4 pixels; outside reads fill")

for _name, _summary, _signature in (
    ("random_hflip", "Mirror each image left-right with probability p (per image).",
     "random_hflip(x, p=0.5, *, generator=None) -> (out, flipped bool (N,))"),
    ("random_vflip", "Mirror each image top-bottom with probability p (per image).",
     "random_vflip(x, p=0.5, *, generator=None) -> (out, flipped bool (N,))"),
    ("rot90", "Rotate every image by k quarter turns counterclockwise (any integer k).", "rot90(x, k=1) -> out"),
    ("random_rot90", "Rotate each square image by its own k ~ Uniform{0, 1, 2, 3} quarter turns.",
     "random_rot90(x, *, generator=None) -> (out, k int (N,))"),
    ("rotate", "Rotate every image by an arbitrary angle in degrees; " + _GEOMETRY + ".",
     "rotate(x, angle, *, interpolation='nearest', fill=0.0) -> out"),
    ("random_rotation", "Rotate each image by its own angle ~ Uniform[-degrees, degrees]; " + _GEOMETRY + ".",
     "random_rotation(x, degrees, *, interpolation='nearest', fill=0.0, generator=None) -> (out, angles (N,))"),
    ("random_scale", "Zoom each image about its centre by its own factor ~ Uniform[low, high]; shape kept; "
     "output offset p reads source offset p/factor.",
     "random_scale(x, scale=(0.8, 1.2), *, interpolation='nearest', fill=0.0, generator=None) -> (out, factors (N,))"),
    ("random_crop", "Zero-pad by padding, crop size=(h, w) at offsets uniform over every position in the padded image.",
     "random_crop(x, size, padding=0, *, generator=None) -> (out, offsets int (N, 2) as (top, left))"),
    ("color_jitter", "Brightness, contrast, saturation jitter of [0, 1] images (1 or 3 channels); factors "
     "~ Uniform[max(0, 1-s), 1+s]; x₁ = clip(b·x), x₂ = clip(c·x₁ + (1-c)·mean gray(x₁)), out = clip(s·x₂ + (1-s)·gray(x₂)).",
     "color_jitter(x, brightness=0, contrast=0, saturation=0, *, generator=None) -> (out, factors (N, 3))"),
    ("cutout", "Cutout: per image a size × size square centred on a uniform pixel (offset -size//2), clipped at the "
     "borders, set to value (0, or 'random' standard-normal noise).",
     "cutout(x, size, *, value=0.0, generator=None) -> (out, boxes int (N, 4) as (y1, y2, x1, x2))"),
    ("random_erasing", "Random erasing (torchvision's rule): with probability p per image, area fraction ~ U[scale], "
     "log aspect ~ U[log ratio], h = rint(√(s·H·W·r)), w = rint(√(s·H·W/r)), kept if 1 ≤ h < H and 1 ≤ w < W "
     "(10 attempts), corner uniform over the positions that fit; set to value (0 or 'random').",
     "random_erasing(x, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), *, value=0.0, generator=None) -> "
     "(out, boxes int (N, 4); (0, 0, 0, 0) where nothing was erased)"),
    ("random_gaussian_noise", "Additive Gaussian noise N(0, std²), rounded to x's dtype; out = x + noise.",
     "random_gaussian_noise(x, std=0.1, *, generator=None) -> (out, noise)"),
):
    register(
        Operation(
            name=_name,
            family="augmentation",
            summary=_summary,
            torch_signature=_IMAGE + _signature,
            numpy_signature=_IMAGE + _signature,
            stochastic=_name.startswith("random_") or _name == "cutout",
            claims=("CUTOUT.ZERO_REGION",) if _name == "cutout" else (),
        )
    )

register(
    Operation(
        name="conv2d",
        family="augmentation",
        summary="Parameter sharing: valid cross-correlation, stride 1, no bias (F.conv2d(x, weight)); equals a dense "
        "layer whose weight matrix repeats the kernel entries (Toeplitz/im2col expansion with tied entries).",
        torch_signature="conv2d(x, weight) -> out; x (N, C, H, W), weight (O, C, kh, kw), out (N, O, H-kh+1, W-kw+1)",
        numpy_signature="conv2d_forward(x, weight) -> (out, cache); conv2d_backward(dout, cache) -> (dx, dweight)",
        claims=("PARAMETER_SHARING.CONVOLUTION",),
    )
)

register(
    Operation(
        name="fractional_max_pool2d",
        family="augmentation",
        summary="Fractional max pooling (Graham 2014), PyTorch's pseudo-random overlapping rule: windows of kernel_size "
        "at starts s_i = ⌊(i+u)α⌋ - ⌊uα⌋, α = (in - k)/(out - 1), last start in - k; one u per plane and axis.",
        torch_signature="fractional_max_pool2d(x, kernel_size, output_size, *, generator=None) -> "
        "(out, samples (N, C, 2): [..., 0] width, [..., 1] height)",
        numpy_signature="fractional_max_pool2d(x, kernel_size, output_size, *, generator=None) -> (out, samples)",
        stochastic=True,
        claims=("FRACTIONAL_POOLING.REGION_SIZES",),
    )
)


# ---------------------------------------------------------------- spec tables: invalid input

_IMAGE_HALF = Array(np.full((2, 1, 3, 3), 0.5))
for _name, _parameter, _bad, _others, _allowed in (
    ("random_hflip", "p", 1.5, {}, "[0, 1]"),
    ("random_vflip", "p", -0.1, {}, "[0, 1]"),
    ("random_crop", "padding", -1, {"size": 1}, "≥ 0"),
    ("random_crop", "size", 0, {"padding": 0}, "≥ 1"),
    ("random_rotation", "degrees", 270.0, {}, "[0.0, 180.0]"),
    ("random_rotation", "interpolation", "cubic", {"degrees": 10.0}, "('nearest', 'bilinear')"),
    ("random_scale", "scale", (0.0, 1.0), {}, "(0.0, inf)"),
    ("color_jitter", "brightness", -0.5, {}, "[0.0, inf)"),
    ("random_gaussian_noise", "std", -1.0, {}, "[0.0, inf)"),
    ("random_gaussian_noise", "std", math.nan, {}, "[0.0, inf)"),
    ("cutout", "size", -1, {}, "≥ 0"),
    ("random_erasing", "p", 2.0, {}, "[0, 1]"),
    ("random_erasing", "ratio", (0.0, 1.0), {}, "(0.0, inf)"),
):
    extend(_name, invalid=(Invalid(_parameter, _bad, _allowed, template_call(
        _name, _IMAGE_HALF, function=_name, stochastic=True, **{_parameter: BAD, **_others})(_bad),
        shown=repr(_bad[0]) if isinstance(_bad, tuple) else None),))  # a pair is reported by its offending entry

for _name in ("mixup", "cutmix"):
    extend(_name, invalid=invalid_values(
        "alpha", (0.0, -1.0, math.nan, math.inf, "1", None), "(0.0, inf)",
        template_call(_name, Array(np.ones((2, 1, 2, 2))), Array(np.eye(2)), BAD, function=_name, stochastic=True)))

for _parameter, _values, _allowed in (("patience", (0, -2, 1.5, True, "3"), "≥ 1"),
                                      ("min_delta", (-0.25, math.nan, math.inf, "0"), "[0.0, inf)"),
                                      ("mode", ("mean", "MIN", None), "('min', 'max')")):
    _keywords = {"min_delta": 0.0, "mode": "min", **({} if _parameter == "patience" else {_parameter: BAD})}
    _patience = BAD if _parameter == "patience" else 3
    extend("EarlyStopping", invalid=invalid_values(_parameter, _values, _allowed, template_call(
        "EarlyStopping", _patience, function="EarlyStopping", **_keywords)))


# ---------------------------------------------------------------- further invalid inputs that real APIs reject (issue 18)

for _name, _parameter, _bad, _others, _allowed in (
    ("random_rotation", "degrees", -10.0, {}, "[0.0, 180.0]"),
    ("color_jitter", "contrast", -0.5, {}, "[0.0, inf)"),
    ("color_jitter", "saturation", -1.0, {}, "[0.0, inf)"),
    ("random_gaussian_noise", "std", math.inf, {}, "[0.0, inf)"),
    ("random_erasing", "p", -0.1, {}, "[0, 1]"),
    ("random_crop", "size", 9, {"padding": 0}, "fit the padded image"),
):
    extend(_name, invalid=(Invalid(_parameter, _bad, _allowed, template_call(
        _name, _IMAGE_HALF, function=_name, stochastic=True, **{_parameter: BAD, **_others})(_bad)),))


# ---------------------------------------------------------------- signatures, parameter ranges and shared checks

from impls.protocol import parameters as _p  # noqa: E402 - after the operations it describes are registered

#: Resampling rules of rotate, random_rotation and random_scale.
INTERPOLATIONS = ("nearest", "bilinear")


def check_labels_shape(op: str, y_shape: tuple[int, ...], x_shape: tuple[int, ...]) -> None:
    """Mixing needs one label row per image: y_onehot of shape (N, num_classes)."""
    if len(y_shape) != 2 or y_shape[0] != x_shape[0]:
        raise ValueError(f"{op}: y_onehot must have shape ({x_shape[0]}, num_classes), got {tuple(y_shape)}")


def check_size(op: str, name: str, value: object, low: int) -> tuple[int, int]:
    """An integer or a pair of integers, each ≥ low, as a pair (random_crop's size)."""
    import numbers

    from impls.validation import check_int

    pair = (value, value) if isinstance(value, numbers.Integral) and not isinstance(value, bool) else value
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise TypeError(f"{op}: {name} must be an integer or a pair of integers, got {value!r}")
    return check_int(op, name, pair[0], low), check_int(op, name, pair[1], low)


def check_positive_range(op: str, name: str, value: object) -> tuple[float, float]:
    """A pair (low, high) with 0 < low ≤ high < inf (random_scale's scale, random_erasing's scale and ratio)."""
    from impls.validation import check_in_range

    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{op}: {name} must be a pair (low, high) with 0.0 < low ≤ high < inf, got {value!r}")
    first = check_in_range(op, f"{name}[0]", value[0], 0.0, math.inf, closed="neither")
    second = check_in_range(op, f"{name}[1]", value[1], first, math.inf, closed="low")
    return first, second


#: ITU-R BT.601 luma weights of R, G, B: what color_jitter's "gray" means (torchvision's rgb_to_grayscale too).
LUMA_WEIGHTS = (0.299, 0.587, 0.114)


def gray(x: Any) -> Any:
    """The luma of (N, 3, H, W) images as (N, 1, H, W); 1-channel images are their own gray. Written once over
    the array operations numpy and torch share (slicing, scalar products, sums): a definition, not a rule under test."""
    if x.shape[1] == 1:
        return x
    red, green, blue = LUMA_WEIGHTS
    return red * x[:, 0:1] + green * x[:, 1:2] + blue * x[:, 2:3]


# CutMix's box and label weights: integer bookkeeping (which pixels are pasted), the same for every backend.


def cutmix_box(height: int, width: int, lam: float, center_y: int, center_x: int) -> tuple[int, int, int, int]:
    """The CutMix box (Yun et al. 2019, reference code): side ⌊H·√(1-λ)⌋ × ⌊W·√(1-λ)⌋ centred on the
    drawn pixel, half-extent side//2 each way, clipped at the borders. Returns (y1, y2, x1, x2), end-exclusive."""
    ratio = math.sqrt(1.0 - lam)
    half_h, half_w = int(height * ratio) // 2, int(width * ratio) // 2
    y1, y2 = min(max(center_y - half_h, 0), height), min(max(center_y + half_h, 0), height)
    x1, x2 = min(max(center_x - half_w, 0), width), min(max(center_x + half_w, 0), width)
    return y1, y2, x1, x2


def cutmix_weights(height: int, width: int, box: tuple[int, int, int, int]) -> tuple[float, float]:
    """(own, partner) label weights: the areas kept and pasted over H·W, each one correctly rounded division
    of exact integers, so own + partner = 1 in exact arithmetic and each is the float nearest its fraction."""
    y1, y2, x1, x2 = box
    pasted = (y2 - y1) * (x2 - x1)
    total = height * width
    return (total - pasted) / total, pasted / total


def _any_integer(op: str, name: str, value: object) -> int:
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{op}: {name} must be an integer, got {value!r} of type {type(value).__name__}")
    return int(value)


def _fill_value(op: str, name: str, value: object) -> str | float:
    from impls.validation import check_real

    return "random" if value == "random" else check_real(op, name, value)


_GENERATOR = _p.generator()
_RESAMPLING = (_p.choice("interpolation", "nearest", INTERPOLATIONS), _p.number("fill", 0.0))
for _name in ("mixup", "cutmix"):
    _p.declare(_name, _p.images("x") if _name == "cutmix" else _p.batch("x"), _p.batch("y_onehot"),
               _p.positive("alpha", 1.0), _GENERATOR)
_p.declare("rotate", _p.images("x"), _p.real("angle", low=-math.inf, high=math.inf, closed="neither"), *_RESAMPLING)
_p.declare("random_rotation", _p.images("x"), _p.real("degrees", low=0.0, high=180.0), *_RESAMPLING, _GENERATOR)
_p.declare("random_scale", _p.images("x"), _p.rule("scale", (0.8, 1.2), check_positive_range), *_RESAMPLING,
           _GENERATOR)
_p.declare("rot90", _p.images("x"), _p.rule("k", 1, _any_integer))
_p.declare("random_rot90", _p.images("x"), _GENERATOR)
for _name in ("random_hflip", "random_vflip"):
    _p.declare(_name, _p.images("x"), _p.probability("p", 0.5), _GENERATOR)
_p.declare("random_crop", _p.images("x"), _p.rule("size", _p.REQUIRED, lambda op, name, v: check_size(op, name, v, 1)),
           _p.integer("padding", 0, low=0), _GENERATOR)
_p.declare("color_jitter", _p.images("x"), *(_p.nonnegative(name, 0.0) for name in ("brightness", "contrast", "saturation")),
           _GENERATOR)
_p.declare("random_gaussian_noise", _p.batch("x"), _p.nonnegative("std", 0.1), _GENERATOR)
_p.declare("cutout", _p.images("x"), _p.integer("size", low=0), _p.rule("value", 0.0, _fill_value), _GENERATOR)
_p.declare("random_erasing", _p.images("x"), _p.probability("p", 0.5),
           _p.rule("scale", (0.02, 0.33), check_positive_range), _p.rule("ratio", (0.3, 3.3), check_positive_range),
           _p.rule("value", 0.0, _fill_value), _GENERATOR)
_p.declare("conv2d", _p.images("x"), _p.images("weight"))
_p.declare("fractional_max_pool2d", _p.free("x"), _p.free("kernel_size"), _p.free("output_size"), _GENERATOR)
