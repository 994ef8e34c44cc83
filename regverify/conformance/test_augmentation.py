"""Label-preserving image augmentation: properties every target must satisfy.

Images are (N, C, H, W) with values in [0, 1). Every random operation returns the parameters it
drew, so structure is checked exactly against them (flips mirror exactly the flipped images, crops
are the slice of the padded image at the returned offsets, quarter turns form a group of order
four), and the parameters' distributions are checked by exact or distribution-free tests whose
sample size comes from a stated design. Augmentations act on images only: labels never enter.
Distribution tests run in float32 only: the random parameters are drawn independently of x's dtype.

Also here, the rest of the family: erasing (cutout, random erasing), parameter sharing (a conv2d is a
dense layer with tied Toeplitz weights, and its kernel gradient sums the tied entries' gradients), and
fractional max pooling (PyTorch's start rule, and the lecture's "2×2 and 3×3 regions" claim).

Over 400 lines: flips, turns, rotations, crops, colour, erasing, parameter sharing and fractional pooling are
one family (what `regverify check --only FAMILY` and the defect catalogue select), and their properties share
its ImageCase strategies and distribution-test helpers. Operation specs hold the rest (test_every_operation.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from hypothesis import assume, settings
from hypothesis import strategies as st

import regstats as stats
from impls.protocol import conventions
from regstats import budget
from regverify.conformance import termination
from regverify.conformance.assertions import (
    as_numpy,
    assert_binomial,
    assert_close,
    assert_distribution,
    assert_exact,
    assert_variance,
    assert_within,
)
from regverify.conformance.strategies import SEEDS, given
from regverify.conformance.tolerances import eps


@dataclass(frozen=True)
class ImageCase:
    """A batch shape, the seeds for the images and the randomness, and the operation's parameters."""

    shape: tuple[int, int, int, int]
    seed: int
    data_seed: int
    params: dict

    def values(self) -> np.ndarray:
        return np.random.default_rng(self.data_seed).uniform(0.0, 1.0, self.shape)

    def inputs(self, target, dtype: str, device: str | None):
        return target.asarray(self.values(), dtype, device or "cpu")

    def run(self, target, operation: str, dtype: str, device: str | None, x=None):
        # A library may fill with fewer values (kornia: constants in [0, 1]; timm: 0): ERASING_VALUES names them.
        if "value" in self.params and operation in ("random_erasing", "cutout"):
            assume(self.params["value"] in getattr(target.module, "ERASING_VALUES", (0.0, 2.5, "random")))
        x = self.inputs(target, dtype, device) if x is None else x
        return x, getattr(target.module, operation)(x, **self.params, generator=target.generator(self.seed, device or "cpu"))

    def replay(self, target, operation: str, device: str | None, dtype: str | None) -> str:
        device = device or "cpu"
        shown = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return (
            "Replay: python -c \"import numpy as np; from impls.protocol import load_target; "
            f"t = load_target({target.module.__name__!r}); "
            f"x = t.asarray(np.random.default_rng({self.data_seed}).uniform(0, 1, {self.shape!r}), {dtype!r}, {device!r}); "
            f"print(t.module.{operation}(x, {shown}, generator=t.generator({self.seed}, {device!r})))\""
        )


SIDES = st.integers(min_value=1, max_value=5)
BATCHES = st.integers(min_value=1, max_value=4)
CHANNELS = st.sampled_from([1, 3])


NO_PARAMS = st.just({})


@st.composite
def image_cases(draw, params=NO_PARAMS, square: bool = False) -> ImageCase:
    height = draw(SIDES, label="H")
    width = height if square else draw(SIDES, label="W")
    shape = (draw(BATCHES, label="N"), draw(CHANNELS, label="C"), height, width)
    return ImageCase(shape, draw(SEEDS, label="seed"), draw(SEEDS, label="data_seed"), draw(params, label="params"))



def subnormal_spacing(dtype: str) -> float:
    """The spacing of dtype's subnormal numbers: a rounding into the subnormal range errs by up to half of it."""
    info = torch.finfo(getattr(torch, dtype))
    return float(info.smallest_normal * info.eps)


def quarter_turn(a: np.ndarray, k: int) -> np.ndarray:
    """The oracle: k counterclockwise quarter turns, out[i, j] = a[j, W-1-i] each, by transpose and row flip."""
    for _ in range(k % 4):
        a = np.swapaxes(a, -1, -2)[..., ::-1, :]
    return a


#: Distribution tests vary only the seed (and a small parameter grid) between examples and each draws
#: thousands of parameters, so a few examples suffice; their α is still the per-check share of the budget.
DISTRIBUTION_EXAMPLES = 4


def stat_design(delta: float) -> stats.Design:
    """Random-parameter tests: α from the suite budget, power 0.999 against the stated δ (as every other random property)."""
    return stats.Design(alpha=budget.alpha(), power=0.999, delta=delta)


def distribution_property(*operations: str, **strategies):
    """A test of the law of the parameters an operation draws: float32 cells only (the parameters are drawn
    independently of x's dtype), DISTRIBUTION_EXAMPLES examples of the given Hypothesis strategies."""

    def decorate(test):
        test = settings(max_examples=DISTRIBUTION_EXAMPLES)(given(**strategies)(test))
        return pytest.mark.operation(*operations)(pytest.mark.dtypes("float32")(test))

    return decorate


def assert_count_is_binomial(target, device: str | None, dtype: str, seed: int, rate: float, images, count, *,
                             what: str, shown: str) -> None:
    """Exact binomial test at stat_design(0.05): `count(x, generator)` counts the draws of one category over the
    n images `images(n)`, n the test's sample size at `rate`; `shown` describes the images in the replay."""
    __tracebackhide__ = True
    design = stat_design(0.05)
    n = stats.binomial_sample_size(rate, design)
    k = count(target.asarray(images(n), dtype, device or "cpu"), target.generator(seed, device or "cpu"))
    assert_binomial(k, n, rate, design, what=what, replay=f"Replay: {n} images {shown}, generator seed {seed}")


# Parameters each random operation is called with in the generic structure tests.
RANDOM_CALLS = {
    "random_hflip": st.fixed_dictionaries({"p": st.sampled_from([0.0, 0.5, 1.0, 0.3])}),
    "random_vflip": st.fixed_dictionaries({"p": st.sampled_from([0.0, 0.5, 1.0, 0.3])}),
    "random_rot90": st.just({}),
    "random_rotation": st.fixed_dictionaries({"degrees": st.sampled_from([0.0, 30.0, 180.0]),
                                              "interpolation": st.sampled_from(["nearest", "bilinear"])}),
    "random_scale": st.fixed_dictionaries({"scale": st.sampled_from([(0.5, 2.0), (1.0, 1.0), (0.9, 1.1)]),
                                           "interpolation": st.sampled_from(["nearest", "bilinear"])}),
    "random_crop": st.fixed_dictionaries({"size": st.sampled_from([1, (1, 2)]), "padding": st.integers(1, 2)}),  # fits H, W ≥ 1
    "color_jitter": st.fixed_dictionaries({"brightness": st.sampled_from([0.0, 0.5]),
                                           "contrast": st.sampled_from([0.0, 0.5]),
                                           "saturation": st.sampled_from([0.0, 0.5])}),
    "random_gaussian_noise": st.fixed_dictionaries({"std": st.sampled_from([0.0, 0.1, 1.0])}),
}


# ---------------------------------------------------------------- shapes and dtypes


@pytest.mark.operation(*RANDOM_CALLS)
@given(data=st.data())
def test_augmentation_preserves_shape_and_dtype_and_replays_under_a_fixed_seed(target, operation, device, dtype, data):
    case = data.draw(image_cases(RANDOM_CALLS[operation], square=operation == "random_rot90"), label="case")
    x, (out, _) = case.run(target, operation, dtype, device)
    replay = case.replay(target, operation, device, dtype)
    expected = case.shape
    if operation == "random_crop":
        size = case.params["size"]
        expected = (*case.shape[:2], *((size, size) if isinstance(size, int) else size))
    assert tuple(out.shape) == expected, f"{target.name}.{operation} shape {tuple(out.shape)}, but should be {expected}. {replay}"
    assert out.dtype == x.dtype, f"{target.name}.{operation} dtype {out.dtype}, but should be {x.dtype}. {replay}"
    _, (again, _) = case.run(target, operation, dtype, device)
    assert_exact(again, out, what=f"{target.name}.{operation} output on a replayed seed", replay=replay)


# ---------------------------------------------------------------- flips


FLIP_AXIS = {"random_hflip": 3, "random_vflip": 2}
flip_params = st.fixed_dictionaries({"p": st.sampled_from([0.0, 0.5, 1.0, 0.3])})


@pytest.mark.operation(*FLIP_AXIS)
@given(case=image_cases(flip_params))
def test_flip_mirrors_exactly_the_flipped_images_and_is_an_involution(target, operation, device, dtype, case):
    x, (out, flipped) = case.run(target, operation, dtype, device)
    replay = case.replay(target, operation, device, dtype)
    x_np, flipped = as_numpy(x), as_numpy(flipped).astype(bool)
    expected = np.where(flipped[:, None, None, None], np.flip(x_np, axis=FLIP_AXIS[operation]), x_np)
    assert_exact(out, expected, what=f"{target.name}.{operation} output vs the mirrored flipped images", replay=replay)
    # The same seed draws the same decisions, so flipping the output again must give x back, bit for bit.
    _, (back, _) = case.run(target, operation, dtype, device, x=out)
    assert_exact(back, x, what=f"{target.name}.{operation} applied twice with one seed", replay=replay)


@distribution_property(*FLIP_AXIS, p=st.sampled_from([0.1, 0.3, 0.5, 0.9]), seed=SEEDS)
def test_flip_decision_count_is_binomial_with_probability_p(target, operation, device, dtype, p, seed):
    # 1×1×2×2 images with distinct pixels: a flip is seen in the output alone (not the returned decisions).
    flip = getattr(target.module, operation)
    assert_count_is_binomial(
        target, device, dtype, seed, p, lambda n: np.tile(np.arange(4.0).reshape(1, 1, 2, 2), (n, 1, 1, 1)),
        lambda x, generator: int((as_numpy(flip(x, p=p, generator=generator)[0])[:, 0, 0, 0] != 0.0).sum()),
        what=f"{target.name}.{operation}(p={p}) flip count", shown="1×1×2×2")


# ---------------------------------------------------------------- quarter turns


@pytest.mark.operation("rot90")
@given(case=image_cases(), k=st.integers(min_value=-5, max_value=5), j=st.integers(min_value=-5, max_value=5))
def test_rot90_quarter_turns_form_a_group_of_order_four(target, device, dtype, case, k, j):
    x = case.inputs(target, dtype, device)
    turn = target.module.rot90
    what = f"{target.name}.rot90 on shape {case.shape}"
    assert_exact(turn(x, 1), quarter_turn(as_numpy(x), 1), what=f"{what}: one turn vs out[i, j] = x[j, W-1-i]")
    assert_exact(turn(turn(x, k), j), turn(x, (k + j) % 4), what=f"{what}: rot90(rot90(x, {k}), {j}) vs rot90(x, {(k + j) % 4})")
    assert_exact(turn(x, 4 * k), x, what=f"{what}: rot90(x, {4 * k}) vs x")
    assert_exact(turn(turn(turn(turn(x, 1), 1), 1), 1), x, what=f"{what}: four single turns vs x")


@pytest.mark.operation("random_rot90")
@given(case=image_cases(square=True))
def test_random_rot90_applies_the_returned_turns(target, operation, device, dtype, case):
    x, (out, turns) = case.run(target, operation, dtype, device)
    turns = as_numpy(turns).astype(np.int64)
    replay = case.replay(target, operation, device, dtype)
    assert set(turns.tolist()) <= {0, 1, 2, 3}, f"{target.name}.random_rot90 turns {turns}, but should be in {{0..3}}. {replay}"
    x_np = as_numpy(x)
    expected = np.stack([quarter_turn(x_np[i], k) for i, k in enumerate(turns)])
    assert_exact(out, expected, what=f"{target.name}.random_rot90 output vs its returned turns {turns}", replay=replay)


@distribution_property("random_rot90", seed=SEEDS, turn=st.integers(min_value=0, max_value=3))
def test_random_rot90_turns_are_uniform(target, operation, device, dtype, seed, turn):
    assert_count_is_binomial(target, device, dtype, seed, 0.25, lambda n: np.zeros((n, 1, 1, 1)),
                             lambda x, generator: int((as_numpy(target.module.random_rot90(x, generator=generator)[1])
                                                       == turn).sum()),
                             what=f"{target.name}.random_rot90 count of k={turn}", shown="1×1×1×1")


# ---------------------------------------------------------------- arbitrary rotations and scaling


@pytest.mark.operation("rotate")
@given(case=image_cases(square=True), k=st.integers(min_value=-4, max_value=4))
def test_rotate_by_a_multiple_of_90_degrees_equals_quarter_turns(target, device, dtype, case, k):
    x = case.inputs(target, dtype, device)
    expected = quarter_turn(as_numpy(x), k)
    nearest = target.module.rotate(x, 90.0 * k, interpolation="nearest")
    # Nearest: source points are integers ± a few float64 ulps, far from the rounding boundaries: exact.
    assert_exact(nearest, expected, what=f"{target.name}.rotate(x, {90 * k}°, nearest) vs {k} quarter turns on {case.shape}")
    bilinear = target.module.rotate(x, 90.0 * k, interpolation="bilinear")
    # Bilinear: the source points are integers up to rounding of the coordinate arithmetic (cos/sin of
    # multiples of π/2, normalising and un-normalising offsets ≤ side): ≤ 2·eps·side in the dtype the
    # coordinates are computed in (float64 for the references, x's dtype for grid_sample). Each of the 4
    # neighbour weights is off by that much, times max|x| < 1; then one rounding of the output.
    side = case.shape[2]
    atol = 8 * side * eps(dtype) + eps(dtype) / 2
    assert_close(bilinear, expected, rtol=0.0, atol=atol, why="4 weights off by ≤ 2·eps·side, then one rounding",
                 what=f"{target.name}.rotate(x, {90 * k}°, bilinear) vs {k} quarter turns on {case.shape}")


@pytest.mark.operation("random_rotation")
@given(case=image_cases(st.fixed_dictionaries({"degrees": st.sampled_from([10.0, 45.0, 180.0]),
                                               "interpolation": st.sampled_from(["nearest", "bilinear"])})))
@pytest.mark.requires("implements:rotate")
def test_random_rotation_applies_the_returned_angles(target, operation, device, dtype, case):
    x, (out, angles) = case.run(target, operation, dtype, device)
    replay = case.replay(target, operation, device, dtype)
    angles = as_numpy(angles).astype(np.float64)
    degrees = case.params["degrees"]
    assert np.all(np.abs(angles) <= degrees), f"{target.name}.random_rotation angles {angles} outside ±{degrees}. {replay}"
    expected = np.concatenate([as_numpy(target.module.rotate(x[i:i + 1], float(a), interpolation=case.params["interpolation"]))
                               for i, a in enumerate(angles)])
    assert_exact(out, expected, what=f"{target.name}.random_rotation vs rotate at the returned angles {angles}", replay=replay)


@pytest.mark.operation("random_rotation", "random_scale")
@given(case=image_cases(st.fixed_dictionaries({"interpolation": st.sampled_from(["nearest", "bilinear"])})))
def test_rotation_by_zero_and_scaling_by_one_are_the_identity(target, operation, device, dtype, case):
    # cos 0 = 1, sin 0 = 0 and 1/1 = 1 exactly, so every source point is its own pixel: exact for both interpolations.
    params = {**case.params, **({"degrees": 0.0} if operation == "random_rotation" else {"scale": (1.0, 1.0)})}
    sized = ImageCase(case.shape, case.seed, case.data_seed, params)
    x, (out, _) = sized.run(target, operation, dtype, device)
    assert_exact(out, x, what=f"{target.name}.{operation}({params}) vs x", replay=sized.replay(target, operation, device, dtype))


@pytest.mark.operation("random_scale")
@given(case=image_cases(st.fixed_dictionaries({"scale": st.sampled_from([(0.5, 2.0), (0.9, 1.1), (1.5, 3.0)])})))
def test_random_scale_keeps_the_centre_pixel_and_draws_factors_in_range(target, operation, device, dtype, case):
    # Odd sides: the centre pixel's offset is 0, and 0/factor = 0, so with nearest it reads itself, exactly.
    shape = (case.shape[0], case.shape[1], 2 * (case.shape[2] // 2) + 1, 2 * (case.shape[3] // 2) + 1)
    odd = ImageCase(shape, case.seed, case.data_seed, {**case.params, "interpolation": "nearest"})
    x, (out, factors) = odd.run(target, operation, dtype, device)
    replay = odd.replay(target, operation, device, dtype)
    low, high = case.params["scale"]
    factors = as_numpy(factors)
    assert np.all((factors >= low) & (factors <= high)), f"{target.name}.random_scale factors {factors} outside [{low}, {high}]. {replay}"
    cy, cx = shape[2] // 2, shape[3] // 2
    assert_exact(as_numpy(out)[:, :, cy, cx], as_numpy(x)[:, :, cy, cx], what=f"{target.name}.random_scale centre pixel",
                 replay=replay)


def uniform_cdf(low: float, high: float):
    return lambda v: np.clip((v - low) / (high - low), 0.0, 1.0)


UNIFORM_DELTA = 0.1  # detects e.g. a range half as wide (sup-distance 0.25) or a one-sided range (0.5)


@distribution_property("random_rotation", "random_scale", "color_jitter", seed=SEEDS)
def test_random_parameters_are_uniform_on_their_stated_range(target, operation, device, dtype, seed):
    design = stat_design(UNIFORM_DELTA)
    n = stats.ks_sample_size(design)
    x = target.asarray(np.full((n, 1, 1, 1), 0.5), dtype, device or "cpu")
    keywords, low, high, column = {
        "random_rotation": ({"degrees": 30.0}, -30.0, 30.0, None),
        "random_scale": ({"scale": (0.5, 2.0)}, 0.5, 2.0, None),
        "color_jitter": ({"brightness": 0.4, "contrast": 0.8, "saturation": 0.0}, 0.2, 1.8, 1),
    }[operation]
    _, drawn = getattr(target.module, operation)(x, **keywords, generator=target.generator(seed, device or "cpu"))
    sample = as_numpy(drawn).astype(np.float64)
    sample = sample if column is None else sample[:, column]
    assert_distribution(stats.ks_distance(sample, uniform_cdf(low, high)), n, design, law=f"Uniform[{low}, {high}]",
                        what=f"{target.name}.{operation}({keywords}) parameters",
                        replay=f"Replay: {n} images 1×1×1×1 at 0.5, generator seed {seed}")


# ---------------------------------------------------------------- crops


@pytest.mark.operation("random_crop")
@given(case=image_cases(st.fixed_dictionaries({"size": st.integers(1, 3), "padding": st.integers(0, 2)})))
def test_random_crop_is_the_slice_of_the_padded_image_at_the_returned_offsets(target, operation, device, dtype, case):
    size, padding = case.params["size"], case.params["padding"]
    _, _, height, width = case.shape
    if size > min(height, width) + 2 * padding:
        case = ImageCase(case.shape, case.seed, case.data_seed, {"size": 1, "padding": padding})
        size = 1
    x, (out, offsets) = case.run(target, operation, dtype, device)
    replay = case.replay(target, operation, device, dtype)
    offsets = as_numpy(offsets).astype(np.int64)
    padded = np.pad(as_numpy(x), ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    top_max, left_max = height + 2 * padding - size, width + 2 * padding - size
    inside = (offsets[:, 0] >= 0) & (offsets[:, 0] <= top_max) & (offsets[:, 1] >= 0) & (offsets[:, 1] <= left_max)
    assert inside.all(), f"{target.name}.random_crop offsets {offsets.tolist()} outside [0, {top_max}] × [0, {left_max}]. {replay}"
    expected = np.stack([padded[i, :, t:t + size, s:s + size] for i, (t, s) in enumerate(offsets)])
    assert_exact(out, expected, what=f"{target.name}.random_crop vs padded[top:top+h, left:left+w] at {offsets.tolist()}",
                 replay=replay)


@distribution_property("random_crop", seed=SEEDS, positions=st.integers(min_value=2, max_value=6),
                       axis=st.sampled_from([0, 1]))
def test_random_crop_offsets_are_uniform_over_the_positions(target, operation, device, dtype, seed, positions, axis):
    # An image of side `positions` cropped to 1 with no padding has `positions` offsets per axis;
    # exact binomial test on the count of offset 0 at rate 1/positions.
    def offset_zero(x, generator) -> int:
        _, offsets = target.module.random_crop(x, 1, 0, generator=generator)
        return int((as_numpy(offsets)[:, axis] == 0).sum())

    assert_count_is_binomial(target, device, dtype, seed, 1.0 / positions,
                             lambda n: np.zeros((n, 1, positions, positions)), offset_zero,
                             what=f"{target.name}.random_crop count of offset 0 on axis {axis} of {positions}",
                             shown=f"1×1×{positions}×{positions}, size 1")


# ---------------------------------------------------------------- colour


def jitter_oracle(x: np.ndarray, factors: np.ndarray) -> np.ndarray:
    def gray(a: np.ndarray) -> np.ndarray:
        return a if a.shape[1] == 1 else 0.299 * a[:, 0:1] + 0.587 * a[:, 1:2] + 0.114 * a[:, 2:3]

    b, c, s = (factors[:, i, None, None, None] for i in range(3))
    out = np.clip(b * x, 0.0, 1.0)
    out = np.clip(c * out + (1 - c) * gray(out).mean(axis=(1, 2, 3), keepdims=True), 0.0, 1.0)
    return np.clip(s * out + (1 - s) * gray(out), 0.0, 1.0)


@pytest.mark.operation("color_jitter")
@given(case=image_cases(RANDOM_CALLS["color_jitter"]))
def test_color_jitter_stays_in_the_unit_range_and_follows_its_formula(target, operation, device, dtype, case):
    x, (out, factors) = case.run(target, operation, dtype, device)
    replay = case.replay(target, operation, device, dtype)
    out_np, factors = as_numpy(out).astype(np.float64), as_numpy(factors).astype(np.float64)
    assert np.all((out_np >= 0.0) & (out_np <= 1.0)), f"{target.name}.color_jitter output leaves [0, 1]. {replay}"
    for i, name in enumerate(("brightness", "contrast", "saturation")):
        strength = case.params[name]
        low, high = max(0.0, 1.0 - strength), 1.0 + strength
        assert np.all((factors[:, i] >= low) & (factors[:, i] <= high)), (
            f"{target.name}.color_jitter {name} factors {factors[:, i]} outside [{low}, {high}]. {replay}")
    # Values in [0, 1]; each stage is 1-Lipschitz-clipped and sums ≤ 3 products of numbers ≤ 1.8 (mean over
    # ≤ 75 pixels): float64 error ≤ 200·u₆₄, then one rounding to dtype (≤ u·1).
    atol = eps(dtype) / 2 + 200 * eps("float64")
    assert_close(out, jitter_oracle(as_numpy(x).astype(np.float64), factors), rtol=0.0, atol=atol,
                 why="one rounding to dtype of a float64 computation", what=f"{target.name}.color_jitter vs its formula",
                 replay=replay)


# ---------------------------------------------------------------- noise


@pytest.mark.operation("random_gaussian_noise")
@given(case=image_cases(RANDOM_CALLS["random_gaussian_noise"]))
def test_gaussian_noise_output_is_the_input_plus_the_returned_noise(target, operation, device, dtype, case):
    x, (out, noise) = case.run(target, operation, dtype, device)
    expected = as_numpy(x).astype(np.float64) + as_numpy(noise).astype(np.float64)
    # One rounding of the sum in dtype: ≤ u·|x + noise| (or half a subnormal spacing if it underflows); the float64
    # oracle sum of two dtype values is exact for float16/bfloat16/float32 and off by ≤ u₆₄ for float64.
    assert_close(out, expected, rtol=eps(dtype), atol=subnormal_spacing(dtype), why="one rounding of the sum", what=f"{target.name}.{operation}",
                 replay=case.replay(target, operation, device, dtype))


@distribution_property("random_gaussian_noise", seed=SEEDS, std=st.sampled_from([0.1, 1.0, 3.0]))
def test_gaussian_noise_has_mean_zero_and_variance_std_squared(target, operation, device, dtype, seed, std):
    # Sign test: P(noise > 0) = 1/2 for a centred normal (a mean shift of 0.126·std moves it by 0.05).
    # χ² test: detects a variance ratio of 1.25 (std off by 12%) or its inverse.
    sign_design, variance_design = stat_design(0.05), stat_design(0.25)
    # One draw serves both tests; each reads only the prefix its own design needs (no test oversamples).
    n_sign, n_variance = stats.binomial_sample_size(0.5, sign_design), stats.variance_sample_size(variance_design)
    n = max(n_sign, n_variance)
    x = target.asarray(np.zeros((n, 1, 1, 1)), dtype, device or "cpu")
    out, _ = target.module.random_gaussian_noise(x, std, generator=target.generator(seed, device or "cpu"))
    noise = as_numpy(out).astype(np.float64).ravel()  # x = 0, so the output is the noise, not trusting the returned one
    replay = f"Replay: {n} zero images 1×1×1×1, std={std}, generator seed {seed}"
    assert_binomial(int((noise[:n_sign] > 0).sum()), n_sign, 0.5, sign_design,
                    what=f"{target.name}.{operation}(std={std}) positive count", replay=replay)
    assert_variance(noise[:n_variance], std**2, variance_design, what=f"{target.name}.{operation}(std={std}) noise",
                    replay=replay)


# ---------------------------------------------------------------- invalid input



ERASING = ("cutout", "random_erasing")
erasing_params = {
    "cutout": st.fixed_dictionaries({"size": st.integers(0, 4), "value": st.sampled_from([0.0, 2.5, "random"])}),
    "random_erasing": st.fixed_dictionaries({"p": st.sampled_from([0.0, 0.5, 1.0]),
                                             "scale": st.sampled_from([(0.02, 0.33), (0.1, 0.5)]),
                                             "ratio": st.sampled_from([(0.3, 3.3), (1.0, 1.0)]),
                                             "value": st.sampled_from([0.0, 2.5, "random"])}),
}


def box_mask(shape: tuple[int, ...], boxes: np.ndarray) -> np.ndarray:
    _, _, h, w = shape
    rows, cols = np.arange(h)[None, :, None], np.arange(w)[None, None, :]
    inside = ((rows >= boxes[:, 0, None, None]) & (rows < boxes[:, 1, None, None])
              & (cols >= boxes[:, 2, None, None]) & (cols < boxes[:, 3, None, None]))
    return np.broadcast_to(inside[:, None], shape)


@pytest.mark.claims("CUTOUT.ZERO_REGION")
@pytest.mark.operation(*ERASING)
@given(data=st.data())
def test_erasing_sets_exactly_the_returned_box_inside_the_image(target, operation, device, dtype, data):
    case = data.draw(image_cases(erasing_params[operation]), label="case")
    x, (out, boxes) = case.run(target, operation, dtype, device)
    replay = case.replay(target, operation, device, dtype)
    boxes = as_numpy(boxes).astype(np.int64)
    _, _, h, w = case.shape
    inside = (0 <= boxes[:, 0]) & (boxes[:, 0] <= boxes[:, 1]) & (boxes[:, 1] <= h) & \
             (0 <= boxes[:, 2]) & (boxes[:, 2] <= boxes[:, 3]) & (boxes[:, 3] <= w)
    assert inside.all(), f"{target.name}.{operation} boxes {boxes.tolist()} not inside [0, {h}] × [0, {w}]. {replay}"
    mask = box_mask(case.shape, boxes)
    x_np, out_np = as_numpy(x), as_numpy(out)
    value = case.params["value"]
    if value == "random":
        # Noise inside is only known by replay; outside must be untouched, bit for bit.
        assert_exact(np.where(mask, 0.0, out_np), np.where(mask, 0.0, x_np),
                     what=f"{target.name}.{operation} pixels outside the boxes", replay=replay)
    else:
        expected = np.where(mask, np.asarray(value, dtype=x_np.dtype), x_np)  # 0 and 2.5 are exact in every dtype
        assert_exact(out, expected, what=f"{target.name}.{operation} vs value {value} inside the boxes, x outside",
                     replay=replay)


@pytest.mark.claims("CUTOUT.ZERO_REGION")
@pytest.mark.operation("cutout")
@given(case=image_cases(erasing_params["cutout"]))
def test_cutout_box_is_the_size_square_around_a_pixel_clipped_at_the_borders(target, operation, device, dtype, case):
    _, (_, boxes) = case.run(target, operation, dtype, device)
    boxes = as_numpy(boxes).astype(np.int64)
    size, (_, _, h, w) = case.params["size"], case.shape
    # Exact: some centre pixel c gives [max(c - size//2, 0), min(c - size//2 + size, side)) on each axis.
    for i, (y1, y2, x1, x2) in enumerate(boxes.tolist()):
        for low, high, side in ((y1, y2, h), (x1, x2, w)):
            centres = [c for c in range(side) if (max(c - size // 2, 0), min(max(c - size // 2 + size, 0), side)) == (low, high)]
            assert centres, (f"{target.name}.cutout(size={size}) box {boxes[i].tolist()} of image {i}: [{low}, {high}) is "
                             f"no clipped size-{size} interval around a pixel of 0..{side - 1}. "
                             f"{case.replay(target, operation, device, dtype)}")


@distribution_property("cutout", seed=SEEDS, side=st.integers(min_value=2, max_value=6))
def test_cutout_centre_is_uniform_over_the_pixels(target, operation, device, dtype, seed, side):
    # size 1: the box is exactly the centre pixel; exact binomial test on the count of centre row 0.
    assert_count_is_binomial(
        target, device, dtype, seed, 1.0 / side, lambda n: np.zeros((n, 1, side, 1)),
        lambda x, generator: int((as_numpy(target.module.cutout(x, 1, generator=generator)[1])[:, 0] == 0).sum()),
        what=f"{target.name}.cutout(size=1) count of centre row 0 of {side}", shown=f"1×1×{side}×1")


@distribution_property("random_erasing", seed=SEEDS, p=st.sampled_from([0.1, 0.5, 0.9]))
def test_random_erasing_erases_each_image_with_probability_p(target, operation, device, dtype, seed, p):
    # 4×4 images, scale (0.05, 0.2), ratio (0.5, 2): every attempt fits (1 ≤ rint(√(s·16·r)) ≤ 2 < 4, likewise w),
    # so an image is erased exactly when its decision is; counted from the output (ones erased to zero).
    def erased(x, generator) -> int:
        out, _ = target.module.random_erasing(x, p, (0.05, 0.2), (0.5, 2.0), generator=generator)
        return int((as_numpy(out) == 0).any(axis=(1, 2, 3)).sum())

    assert_count_is_binomial(target, device, dtype, seed, p, lambda n: np.ones((n, 1, 4, 4)), erased,
                             what=f"{target.name}.random_erasing(p={p}) erased-image count",
                             shown="of ones 1×1×4×4, scale (0.05, 0.2), ratio (0.5, 2)")


@pytest.mark.operation("random_erasing")
@given(case=image_cases(erasing_params["random_erasing"]))
@pytest.mark.requires("convention:random_erasing.aspect_ratio=log_uniform")
def test_random_erasing_box_sides_follow_the_area_and_aspect_ranges(target, operation, device, dtype, case):
    _, (_, boxes) = case.run(target, operation, dtype, device)
    boxes = as_numpy(boxes).astype(np.int64)
    (low, high), (r_low, r_high), (_, _, h, w) = case.params["scale"], case.params["ratio"], case.shape
    heights, widths = boxes[:, 1] - boxes[:, 0], boxes[:, 3] - boxes[:, 2]
    erased = heights * widths > 0
    # h = rint(√(s·H·W·r)) and rint is monotone: exact integer bounds from the ends of the ranges; h < H, w < W.
    h_range = (round(math.sqrt(low * h * w * r_low)), round(math.sqrt(high * h * w * r_high)))
    w_range = (round(math.sqrt(low * h * w / r_high)), round(math.sqrt(high * h * w / r_low)))
    ok = ((heights >= max(1, h_range[0])) & (heights <= min(h - 1, h_range[1]))
          & (widths >= max(1, w_range[0])) & (widths <= min(w - 1, w_range[1])))
    assert np.all(ok | ~erased), (
        f"{target.name}.random_erasing boxes {boxes[erased & ~ok].tolist()}: sides should be in {h_range} × {w_range} and "
        f"below ({h}, {w}). {case.replay(target, operation, device, dtype)}")
    if case.params["p"] == 0.0:
        assert not erased.any(), f"{target.name}.random_erasing(p=0) erased {boxes.tolist()}"


#: Aspect-ratio law: log(h/w) of the sampled box is uniform on [log r_low, log r_high] (Zhong et al. 2017 as
#: torchvision implements it). An aspect drawn uniformly on [r_low, r_high] instead is 0.25 away from it in
#: sup-distance at r = 1 for ratio (1/3, 3); δ = 0.15 leaves room for the rounding band below.
ASPECT_DELTA = 0.15
ASPECT_RATIO = (1.0 / 3.0, 3.0)
#: 64×64 images, scale (0.1, 0.2): area 410..820 pixels, sides 11.7..49.6 < 64, so the first attempt always fits
#: (no retry conditions the law) and rounding moves log(h/w) by at most log(h/(h-½)) + log(w/(w-½)) ≤ 0.09.
ASPECT_IMAGE, ASPECT_SCALE = 64, (0.1, 0.2)


def aspect_sample_size(design: stats.Design) -> int:
    """n for the rounded-aspect KS test in closed form: the exact critical value is at most DKW-Massart's
    sqrt(ln(2/α)/(2n)); where the law is δ away, F_n misses by Hoeffding's exp(-2n(δ - c)²) ≤ 1 - power."""
    root = math.sqrt(math.log(2 / design.alpha) / 2) + math.sqrt(math.log(1 / (1 - design.power)) / 2)
    return math.ceil((root / design.delta) ** 2)


def banded_ks_distance(observed: np.ndarray, band: float, cdf) -> float:
    """The KS distance of a sample known only to within ±band of a sample from `cdf`: the sandwich
    F0(t - band) ≤ E F_n(t) ≤ F0(t + band) holds under the null, so D = max(sup F_n(t) - F0(t + band),
    sup F0(t - band) - F_n(t-)) is at most the true sample's KS distance: the exact critical value keeps its level."""
    t = np.sort(observed)
    n = t.size
    upper = np.max(np.arange(1, n + 1) / n - cdf(t + band))
    lower = np.max(cdf(t - band) - np.arange(0, n) / n)
    return float(max(upper, lower, 0.0))


def aspect_law(rule: str, r_low: float, r_high: float):
    """The CDF of t = log(h/w) under each random_erasing.aspect_ratio convention (impls/protocol/conventions.py)."""
    low, high = math.log(r_low), math.log(r_high)
    if rule == "log_uniform":
        return lambda t: np.clip((t - low) / (high - low), 0.0, 1.0)
    if rule == "uniform":
        return lambda t: np.clip((np.exp(t) - r_low) / (r_high - r_low), 0.0, 1.0)
    # split_at_one: U[r_low, 1] or U[1, r_high], each with probability 1/2 (r_low < 1 < r_high)
    return lambda t: np.where(t <= 0.0, 0.5 * np.clip((np.exp(t) - r_low) / (1.0 - r_low), 0.0, 1.0),
                              0.5 + 0.5 * np.clip((np.exp(t) - 1.0) / (r_high - 1.0), 0.0, 1.0))


@distribution_property("random_erasing", seed=SEEDS)
def test_random_erasing_aspect_ratio_follows_the_declared_law(target, operation, device, dtype, seed):
    """log(h/w) against the law the target declares: log-uniform (torchvision), uniform (Zhong et al.'s
    algorithm) or split at 1 (kornia); any two are ≥ δ apart in sup-distance for ratio (1/3, 3)."""
    rule = conventions.behaviour(target, "random_erasing", "aspect_ratio")
    design = stat_design(ASPECT_DELTA)
    n = aspect_sample_size(design)
    x = target.asarray(np.ones((n, 1, ASPECT_IMAGE, ASPECT_IMAGE)), dtype, device or "cpu")
    _, boxes = target.module.random_erasing(x, 1.0, ASPECT_SCALE, ASPECT_RATIO, generator=target.generator(seed, device or "cpu"))
    boxes = as_numpy(boxes).astype(np.int64)
    heights, widths = boxes[:, 1] - boxes[:, 0], boxes[:, 3] - boxes[:, 2]
    replay = f"Replay: {n} images of ones 1×1×{ASPECT_IMAGE}×{ASPECT_IMAGE}, p=1, scale {ASPECT_SCALE}, ratio (1/3, 3), seed {seed}"
    assert np.all((heights >= 1) & (widths >= 1)), (
        f"{target.name}.random_erasing(p=1) left {int(np.sum((heights < 1) | (widths < 1)))} of {n} images unerased, "
        f"but every first attempt fits here. {replay}")
    band = float(np.max(np.log(heights / (heights - 0.5)) + np.log(widths / (widths - 0.5))))
    distance = banded_ks_distance(np.log(heights / widths), band, aspect_law(rule, *ASPECT_RATIO))
    assert_distribution(distance, n, design, law=f"{rule} aspect on (1/3, 3) (declared), rounding band ±{band:.3f}",
                        what=f"{target.name}.random_erasing log(h/w)", replay=replay)


#: Images on which no box can fit (a side of 1 pixel: a box must be ≥ 1 and < the side), tall and wide.
NO_FIT_IMAGES = ((2, 1, 64, 1), (2, 1, 1, 64), (1, 3, 1, 1))


@pytest.mark.tier("edge")
@pytest.mark.operation("random_erasing")
@pytest.mark.dtypes("float32")
@pytest.mark.parametrize("shape", NO_FIT_IMAGES, ids=lambda shape: "x".join(map(str, shape)))
@pytest.mark.requires("convention:random_erasing.aspect_ratio=log_uniform")
def test_random_erasing_finishes_and_erases_nothing_when_no_box_fits(target, operation, device, dtype, shape):
    """Terminates within the per-call limit (a bounded number of attempts, then the image as it was), whatever the
    image's shape: a retry-until-it-fits loop hangs here."""
    seconds = termination.call_seconds()
    x = target.asarray(np.ones(shape), dtype, device or "cpu")
    out, boxes = termination.call_within(
        seconds, target.module.random_erasing, x, 1.0, generator=target.generator(0, device or "cpu"),
        what=f"{target.name}.random_erasing(p=1) on a {'×'.join(map(str, shape))} image")
    assert_exact(out, x, what=f"{target.name}.random_erasing(p=1) on a {'×'.join(map(str, shape))} image, where no box "
                 "fits (each side must be ≥ 1 and < the image's)")
    assert not as_numpy(boxes).any(), f"{target.name}.random_erasing boxes {as_numpy(boxes).tolist()}, but should be zeros"


def test_torchvision_random_erasing_is_adapted_by_the_torch_native_target():
    pytest.importorskip("torchvision", reason="torchvision not installed")
    from impls.protocol import load_target

    assert load_target("torch-native").implements("random_erasing"), (
        "torchvision imports, so impls.torch_native should adapt torchvision.transforms.RandomErasing as random_erasing")


# ---------------------------------------------------------------- parameter sharing: conv2d as a tied dense layer


@dataclass(frozen=True)
class ConvCase:
    x_shape: tuple[int, int, int, int]
    weight_shape: tuple[int, int, int, int]
    data_seed: int

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rng = np.random.default_rng(self.data_seed)
        out_shape = (self.x_shape[0], self.weight_shape[0], self.x_shape[2] - self.weight_shape[2] + 1,
                     self.x_shape[3] - self.weight_shape[3] + 1)
        return rng.uniform(-1, 1, self.x_shape), rng.uniform(-1, 1, self.weight_shape), rng.uniform(-1, 1, out_shape)


@st.composite
def conv_cases(draw) -> ConvCase:
    n, c, o = draw(st.integers(1, 2), label="N"), draw(st.integers(1, 2), label="C"), draw(st.integers(1, 2), label="O")
    h, w = draw(st.integers(2, 5), label="H"), draw(st.integers(2, 5), label="W")
    kh, kw = draw(st.integers(1, min(3, h)), label="kh"), draw(st.integers(1, min(3, w)), label="kw")
    return ConvCase((n, c, h, w), (o, c, kh, kw), draw(SEEDS, label="data_seed"))


def tied_dense_matrix(weight: np.ndarray, height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The Toeplitz (im2col) expansion: D[(o, i, j), (c, i + a, j + b)] = weight[o, c, a, b], and for every
    entry of D the flat index of the kernel entry it is tied to (-1 where D is structurally zero)."""
    out_channels, channels, kh, kw = weight.shape
    out_h, out_w = height - kh + 1, width - kw + 1
    dense = np.zeros((out_channels * out_h * out_w, channels * height * width))
    tie = np.full(dense.shape, -1, dtype=np.int64)
    for o, c, a, b in np.ndindex(weight.shape):
        for i, j in np.ndindex(out_h, out_w):
            row, col = (o * out_h + i) * out_w + j, (c * height + i + a) * width + j + b
            dense[row, col] = weight[o, c, a, b]
            tie[row, col] = np.ravel_multi_index((o, c, a, b), weight.shape)
    return dense, tie


@pytest.mark.claims("PARAMETER_SHARING.CONVOLUTION")
@pytest.mark.operation("conv2d")
@given(case=conv_cases())
def test_conv2d_equals_the_dense_layer_with_tied_toeplitz_weights(target, device, dtype, case):
    x_values, w_values, _ = case.arrays()
    x, weight = target.asarray(x_values, dtype, device or "cpu"), target.asarray(w_values, dtype, device or "cpu")
    out = target.call("conv2d", x, weight).out
    x64, w64 = as_numpy(x).astype(np.float64), as_numpy(weight).astype(np.float64)
    dense, _ = tied_dense_matrix(w64, case.x_shape[2], case.x_shape[3])
    flat = x64.reshape(case.x_shape[0], -1)
    expected = (flat @ dense.T).reshape(as_numpy(out).shape)
    # Each output sums n = C·kh·kw products: |error| ≤ n·eps(dtype)·Σ|w||x| (γ_n bound, n·u < 1); float64 oracle adds
    # ≤ n·u₆₄ of the same sum.
    terms = case.weight_shape[1] * case.weight_shape[2] * case.weight_shape[3]
    bound = (terms * eps(dtype) + terms * eps("float64")) * (np.abs(flat) @ np.abs(dense).T).reshape(expected.shape)
    bound += terms * subnormal_spacing(dtype)  # each of the ≤ 2n roundings may underflow instead: ½ spacing each
    assert_within(out, expected, bound, why=f"n·eps·Σ|w||x| with n={terms}",
                  what=f"{target.name}.conv2d vs tied dense layer, x {case.x_shape}, weight {case.weight_shape} "
                       f"[data_seed={case.data_seed}]")


@pytest.mark.claims("PARAMETER_SHARING.CONVOLUTION")
@pytest.mark.operation("conv2d")
@given(case=conv_cases())
@pytest.mark.requires("backward")
def test_conv2d_kernel_gradient_is_the_sum_over_its_tied_dense_entries(target, device, dtype, case):
    x_values, w_values, g_values = case.arrays()
    x, weight = target.asarray(x_values, dtype, device or "cpu"), target.asarray(w_values, dtype, device or "cpu")
    g = target.asarray(g_values, dtype, device or "cpu")
    dx, dweight = target.call("conv2d", x, weight).backward(g)
    x64, w64, g64 = (as_numpy(a).astype(np.float64) for a in (x, weight, g))
    dense, tie = tied_dense_matrix(w64, case.x_shape[2], case.x_shape[3])
    flat_x, flat_g = x64.reshape(case.x_shape[0], -1), g64.reshape(case.x_shape[0], -1)
    # Dense layer y = D x: dL/dD = Σ_n g_n x_nᵀ; a shared kernel entry's gradient is the sum over the entries tied to it.
    dense_grad, dense_size = flat_g.T @ flat_x, np.abs(flat_g).T @ np.abs(flat_x)
    tied = tie >= 0
    expected_dw = np.bincount(tie[tied], weights=dense_grad[tied], minlength=w64.size).reshape(w64.shape)
    size_dw = np.bincount(tie[tied], weights=dense_size[tied], minlength=w64.size).reshape(w64.shape)
    # dweight sums N·Ho·Wo products, dx at most O·kh·kw: γ_n bounds in dtype plus the float64 oracle's.
    n_dw = case.x_shape[0] * (case.x_shape[2] - case.weight_shape[2] + 1) * (case.x_shape[3] - case.weight_shape[3] + 1)
    what = f"x {case.x_shape}, weight {case.weight_shape} [data_seed={case.data_seed}]"
    # Each of the 2n roundings may underflow instead: + n subnormal spacings.
    assert_within(dweight, expected_dw, n_dw * (eps(dtype) + eps("float64")) * size_dw + n_dw * subnormal_spacing(dtype), why=f"n·eps·Σ|g||x|, n={n_dw}",
                  what=f"{target.name}.conv2d kernel gradient vs summed tied dense gradients, {what}")
    n_dx = case.weight_shape[0] * case.weight_shape[2] * case.weight_shape[3]
    expected_dx = (flat_g @ dense).reshape(x64.shape)
    size_dx = (np.abs(flat_g) @ np.abs(dense)).reshape(x64.shape)
    assert_within(dx, expected_dx, n_dx * (eps(dtype) + eps("float64")) * size_dx + n_dx * subnormal_spacing(dtype), why=f"n·eps·Σ|g||w|, n={n_dx}",
                  what=f"{target.name}.conv2d input gradient vs Dᵀg, {what}")


# ---------------------------------------------------------------- fractional max pooling


@st.composite
def fractional_cases(draw):
    """Input side, kernel and output side per axis, with α = (in - k)/(out - 1) an integer or at least 0.1 from one
    (so that the kernel's rounding of (i + u)·α cannot move a step outside {⌊α⌋, ⌈α⌉})."""
    sides = []
    for axis in ("H", "W"):
        kernel = draw(st.integers(1, 3), label=f"k{axis}")
        out = draw(st.integers(2, 6), label=f"out{axis}")
        step_times_4 = draw(st.sampled_from([4, 5, 6, 7, 8, 9, 10, 11, 12]), label=f"4α{axis}")  # α = 1, 1.25, …, 3
        size = kernel + math.ceil((out - 1) * step_times_4 / 4)
        alpha = (size - kernel) / (out - 1)
        if alpha != round(alpha) and min(alpha % 1, 1 - alpha % 1) < 0.1:
            size += 1
        sides.append((size, kernel, out))
    return sides, draw(st.integers(1, 2), label="N"), draw(st.integers(1, 2), label="C"), draw(SEEDS, label="seed")


def pooled_corners(target, device, dtype, sides, n, c, seed, sign: float):
    """Pool a ramp (sign +1: each window's max is its bottom-right pixel) or a negated ramp (its top-left)."""
    (h, kh, oh), (w, kw, ow) = sides
    ramp = np.broadcast_to(np.arange(h * w, dtype=np.float64).reshape(1, 1, h, w), (n, c, h, w))
    x = target.asarray(sign * ramp, dtype, device or "cpu")  # integers < 2^8 are exact in every dtype
    out, samples = target.module.fractional_max_pool2d(x, (kh, kw), (oh, ow), generator=target.generator(seed, device or "cpu"))
    flat = np.rint(sign * as_numpy(out).astype(np.float64)).astype(np.int64)
    return flat // w, flat % w, out, samples


# The rule holds in exact arithmetic; PyTorch computes the starts in x's dtype, which in float16/bfloat16 breaks it
# (see test_fractional_max_pool_in_reduced_precision_pools_every_row), so the rule is checked in float32/float64.
@pytest.mark.claims("FRACTIONAL_POOLING.REGION_SIZES")
@pytest.mark.operation("fractional_max_pool2d")
@pytest.mark.dtypes("float32", "float64")
@given(case=fractional_cases())
def test_fractional_max_pool_windows_have_the_kernel_size_and_steps_floor_or_ceil_of_alpha(target, device, dtype, case):
    sides, n, c, seed = case
    (h, kh, oh), (w, kw, ow) = sides
    bottom, right, out, _ = pooled_corners(target, device, dtype, sides, n, c, seed, 1.0)
    top, left, _, _ = pooled_corners(target, device, dtype, sides, n, c, seed, -1.0)
    what = f"{target.name}.fractional_max_pool2d(in=({h}, {w}), k=({kh}, {kw}), out=({oh}, {ow})) seed={seed}"
    assert tuple(out.shape) == (n, c, oh, ow), f"{what}: shape {tuple(out.shape)}, but should be {(n, c, oh, ow)}"
    assert_exact(bottom - top + 1, np.full_like(top, kh), what=f"{what}: window heights")
    assert_exact(right - left + 1, np.full_like(left, kw), what=f"{what}: window widths")
    for starts, size, kernel, out_size, axis in ((top[..., :, 0], h, kh, oh, "row"), (left[..., 0, :], w, kw, ow, "column")):
        alpha = (size - kernel) / (out_size - 1)
        steps = np.diff(starts, axis=-1)
        allowed = {math.floor(alpha), math.ceil(alpha)}
        assert np.all(starts[..., 0] == 0) and np.all(starts[..., -1] == size - kernel), (
            f"{what}: {axis} starts {starts.tolist()}, but should run from 0 to in - k = {size - kernel}")
        assert set(np.unique(steps).tolist()) <= allowed, (
            f"{what}: {axis} steps {sorted(set(np.unique(steps).tolist()))}, but should be in {sorted(allowed)} (α={alpha:g})")


def pytorch_starts(sample: float, size: int, kernel: int, out: int, dtype: torch.dtype) -> list[int]:
    """PyTorch's generate_intervals, with its arithmetic in `dtype` (torch scalar ops round like the kernel's scalar_t)."""
    u = torch.tensor(sample, dtype=dtype)
    alpha = torch.tensor(size - kernel, dtype=dtype) / torch.tensor(out - 1, dtype=dtype)
    first = int((u * alpha).item())
    return [int(((torch.tensor(i, dtype=dtype) + u) * alpha).item()) - first for i in range(out - 1)] + [size - kernel]


@pytest.mark.operation("fractional_max_pool2d")
@given(case=fractional_cases())
def test_fractional_max_pool_output_is_the_max_of_the_window_its_samples_select(target, device, dtype, case):
    sides, n, c, seed = case
    (h, kh, oh), (w, kw, ow) = sides
    values = np.random.default_rng(seed).uniform(-1, 1, (n, c, h, w))
    x = target.asarray(values, dtype, device)
    out, samples = target.module.fractional_max_pool2d(x, (kh, kw), (oh, ow), generator=target.generator(seed, device))
    x_np, samples_np = as_numpy(x), as_numpy(samples).astype(np.float64)
    # The CPU kernel computes the starts in scalar_t (x's dtype); the CUDA kernel in accscalar_t (float32 for
    # float16/bfloat16). The oracle replays that arithmetic with torch scalars, which round the same way.
    torch_dtype = getattr(torch, dtype)
    if str(device).startswith("cuda") and dtype in ("float16", "bfloat16"):
        torch_dtype = torch.float32
    expected = np.empty((n, c, oh, ow), dtype=x_np.dtype)
    for i, j in np.ndindex(n, c):
        rows = pytorch_starts(samples_np[i, j, 1], h, kh, oh, torch_dtype)
        cols = pytorch_starts(samples_np[i, j, 0], w, kw, ow, torch_dtype)
        for a, r in enumerate(rows):
            for b, s in enumerate(cols):
                expected[i, j, a, b] = x_np[i, j, r:r + kh, s:s + kw].max()
    assert_exact(out, expected, what=f"{target.name}.fractional_max_pool2d vs max over the windows its samples select "
                                     f"(in=({h}, {w}), k=({kh}, {kw}), out=({oh}, {ow}), seed={seed})")


@pytest.mark.claims("FRACTIONAL_POOLING.REGION_SIZES")
@pytest.mark.operation("fractional_max_pool2d")
@pytest.mark.dtypes("float32", "float64")  # the exact-arithmetic start rule; reduced precision breaks it (below)
@given(case=fractional_cases())
def test_fractional_max_pool_region_sizes_are_2_and_3_only_for_the_papers_inclusive_regions(target, device, dtype, case):
    """Lecture 004 ("some will have 3x3 and some 2x2"). With start sequence s_i of steps in {⌊α⌋, ⌈α⌉}:
    - PyTorch pools fixed kernel_size windows (checked above), so every region is k × k;
    - the paper's disjoint regions [s_i, s_{i+1}) have sizes = steps: {1, 2} for α ∈ (1, 2), {2, 3} for α ∈ (2, 3);
    - its overlapping regions [s_i, s_{i+1}] have sizes steps + 1: {2, 3} for α ∈ (1, 2), the paper's α = √2 case.
    Checked on the start sequences PyTorch draws (recovered from a pooled ramp)."""
    sides, n, c, seed = case
    (h, kh, oh), _ = sides
    _, _, _, _ = pooled_corners(target, device, dtype, sides, n, c, seed, 1.0)
    top, _, _, _ = pooled_corners(target, device, dtype, sides, n, c, seed, -1.0)
    alpha = (h - kh) / (oh - 1)
    steps = set(np.unique(np.diff(top[..., :, 0], axis=-1)).tolist())
    what = f"{target.name}.fractional_max_pool2d rows (in={h}, k={kh}, out={oh}, α={alpha:g}, seed={seed})"
    if 1 < alpha < 2:
        assert {s + 1 for s in steps} <= {2, 3}, f"{what}: inclusive regions {sorted(s + 1 for s in steps)}, not in {{2, 3}}"
        assert steps <= {1, 2}, f"{what}: disjoint regions {sorted(steps)}, not in {{1, 2}}"
    elif 2 < alpha < 3:
        assert steps <= {2, 3}, f"{what}: disjoint regions {sorted(steps)}, not in {{2, 3}}"
    else:
        assert steps == {round(alpha)}, f"{what}: integer α gives regions of one size {round(alpha)}, got {sorted(steps)}"


@pytest.mark.operation("fractional_max_pool2d")
@pytest.mark.dtypes("float16", "bfloat16")
@pytest.mark.xfail(strict=True, reason="finding: PyTorch computes the window starts ⌊(i+u)α⌋ in x's dtype; in float16/"
                   "bfloat16 i + u rounds up to i + 1 for u near 1, so one input row is pooled twice and another never "
                   "(in=6, k=1, out=6: 31 of 20000 seeds in float16, 290 of 20000 in bfloat16)")
@pytest.mark.requires("device:cpu")
def test_fractional_max_pool_in_reduced_precision_pools_every_row(target, device, dtype):
    # α = 1 with k = 1: the windows must be the rows 0..5, each once. Seeds where the drawn height sample is near 1.
    seed = {"float16": 407, "bfloat16": 92}[dtype]
    x = target.asarray(np.arange(6.0).reshape(1, 1, 6, 1), dtype, device or "cpu")
    out, samples = target.module.fractional_max_pool2d(x, (1, 1), (6, 1), generator=target.generator(seed, device or "cpu"))
    u = float(as_numpy(samples)[0, 0, 1])
    assert_exact(as_numpy(out).astype(np.float64).ravel(), np.arange(6.0),
                 what=f"{target.name}.fractional_max_pool2d(in=6, k=1, out=6) rows pooled with u={u} ({dtype}, seed {seed})")
