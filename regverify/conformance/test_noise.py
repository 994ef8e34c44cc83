"""Noise-injection regularizers beyond plain dropout: properties every target must satisfy.

- Gaussian dropout multiplies by ξ ~ N(1, p/(1-p)): inverted dropout's multiplier has mean 1 and that variance.
- Spatial dropout (dropout1d/2d/3d) keeps or drops whole channels.
- Alpha dropout sends dropped units to SELU's saturation α' = -λα and applies a·y + b, so standard-normal
  inputs keep mean 0 and variance 1.
- DropConnect masks weights, one mask per call; inference uses (1-p)W so E[training output] = eval output.
- Locked (variational) dropout shares one mask across time steps; embedding dropout drops whole rows.
- Stochastic depth drops a residual branch per sample (or per batch): torchvision scales survivors by
  1/(1-p); Huang et al. leave them unscaled and multiply by 1-p at test time. Linear-decay survival rule.

Structure is asserted exactly; each distributional property is one exact or distribution-free test whose
sample size comes from a stated Design, and spends one check of the suite's false-failure budget.
Statistical tests run at float32 and float64: half precision rounds the noise itself (ties at 1, shifted
atoms), which the exact tests would read as defects; the structure tests cover every dtype.

Over 400 lines: the nine noise operations above are one family (what `regverify check --only FAMILY` and
the defect catalogue select), and their properties share its case strategies, block cases and sequential
designs. What an operation spec can say lives in test_every_operation.py instead.
"""

from __future__ import annotations

import functools
import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import assume, settings
from hypothesis import strategies as st
from scipy import stats as sps

import regstats as stats
from impls.numpy_ref.noise import SELU_ALPHA_PRIME
from impls.protocol import conventions, load_target
from regstats import budget
from regverify.conformance import covering
from regverify.conformance.assertions import (
    as_numpy,
    assert_binomial,
    assert_binomial_sequential,
    assert_close,
    assert_distribution,
    assert_exact,
    assert_matches_central_differences,
    assert_variance,
    assert_variance_sequential,
    block_seed,
)
from regverify.conformance.strategies import (
    SEEDS,
    Case,
    case_values,
    dropout_cases,
    given,
    gradient_shapes,
    open_probabilities,
    probabilities,
)
from regverify.conformance.tolerances import eps

STATISTICAL_DTYPES = ("float32", "float64")
#: Probabilities in [0, 1) (Gaussian dropout's variance p/(1-p) is infinite at p = 1).
below_one = st.one_of(st.sampled_from([0.0, 0.5]), open_probabilities)



def design(delta: float) -> stats.Design:
    """α from the suite budget; power 0.999 against a deviation `delta` (rate, variance ratio or CDF distance)."""
    return stats.Design(alpha=budget.alpha(), power=0.999, delta=delta)


@functools.cache
def binomial_size(rate: float, delta: float, alpha: float) -> int:
    return stats.binomial_sample_size(rate, stats.Design(alpha=alpha, power=0.999, delta=delta))


KEEP_DELTA = 0.05
#: Mask counts do not depend on rounding: half precision included (PyTorch draws its Bernoulli noise in x's dtype).
KEEP_COUNT_DTYPES = ("float16", "float32")
#: Operations PyTorch lacks: the references draw float32 uniforms whatever x's dtype, so one dtype covers the count.
REFERENCE_COUNT_DTYPES = ("float32",)


def keep_count_size(p: float, delta: float = KEEP_DELTA) -> int:
    """Keep-count tests: a keep rate off by 0.05 (a swapped p/1-p, i.e. a keep probability used as the drop
    probability, unless |1-2p| < 0.05; a γ or survival rate computed with the wrong formula) is caught with
    power 0.999."""
    return binomial_size(1.0 - p, delta, budget.alpha())


def indices(target, values, device: str | None):
    values = np.asarray(values, dtype=np.int64)
    return values if target.backend == "numpy" else torch.as_tensor(values, device=device or "cpu")


def normal_values(data_seed: int, shape: tuple[int, ...]) -> np.ndarray:
    return np.random.default_rng(data_seed).standard_normal(shape)


def block_case(case: Case, index: int, shape: tuple[int, ...]) -> Case:
    """Block `index` of a sequential check: the case's parameters and input seed, the block's own draw seed."""
    return Case(case.params, block_seed(case.seed, index), case.data_seed, shape)


def assert_kept_units_are_binomial(case: Case, count, *, what: str, replay) -> None:
    """Sequential binomial test (design(KEEP_DELTA)) that units survive with probability 1 - p. count(block, m)
    draws about m more units and returns (kept, units); block(shape) makes the next block's case (the case's
    parameters and input seed, the block's own draw seed). replay(last block, blocks drawn) runs on failure only."""
    __tracebackhide__ = True
    blocks: list[Case] = []

    def block(shape: tuple[int, ...]) -> Case:
        blocks.append(block_case(case, len(blocks), shape))
        return blocks[-1]

    assert_binomial_sequential(lambda m: count(block, m), 1.0 - case.params["p"], design(KEEP_DELTA), what=what,
                               replay=lambda: replay(blocks[-1], len(blocks)))


def sized(case: Case, shape: tuple[int, ...]) -> Case:
    return Case(case.params, case.seed, case.data_seed, shape)


def call(target, operation: str, case: Case, device, dtype, *, values=None, training=True, **keywords):
    x = target.asarray(case.values() if values is None else values, dtype, device)
    generator = target.generator(case.seed, device or "cpu")
    return x, target.call(operation, x, case.params["p"], training=training, generator=generator, **keywords)


# ================================================================ Gaussian dropout

GAUSSIAN = "gaussian_dropout"


def gaussian_noise_law(test):
    """A test of the law of Gaussian dropout's multiplier ξ ~ N(1, p/(1-p)) (the no-scaling claim): p in (0, 1),
    the statistical dtypes."""
    test = pytest.mark.claims("DROPOUT.GAUSSIAN.NO_SCALING")(given(case=dropout_cases(p=open_probabilities))(test))
    return pytest.mark.operation(GAUSSIAN)(pytest.mark.dtypes(*STATISTICAL_DTYPES)(test))


@pytest.mark.operation(GAUSSIAN)
@pytest.mark.claims("DROPOUT.GAUSSIAN.NO_SCALING")
@given(case=dropout_cases(p=below_one), training=st.booleans())
def test_gaussian_dropout_output_is_input_times_the_returned_noise_and_eval_is_the_identity(
        target, device, dtype, case, training):
    x, result = call(target, GAUSSIAN, case, device, dtype, training=training)
    replay = case.replay(target, GAUSSIAN, device, dtype, training=training)
    if not training:
        assert_exact(result.out, x, what=f"{target.name}.{GAUSSIAN}(p={case.params['p']}, training=False)",
                     replay=replay)
        return
    noise = as_numpy(result.mask)
    assert noise.shape == as_numpy(x).shape, f"{target.name}.{GAUSSIAN} noise shape {noise.shape}. {replay}"
    # out = round(x·ξ): one rounding, relative error ≤ u = eps/2.
    assert_close(result.out, as_numpy(x).astype(np.float64) * noise.astype(np.float64), rtol=eps(dtype) / 2, atol=0.0,
                 why="one rounding of the product", what=f"{target.name}.{GAUSSIAN}(p={case.params['p']})",
                 replay=replay)


@gaussian_noise_law
def test_gaussian_dropout_noise_is_centred_on_1(target, device, dtype, case):
    """Sign test: ξ ~ N(1, σ²) is symmetric about its mean 1, so #(ξ > 1) among the ξ ≠ 1 is exactly
    Binomial(m, 1/2). Design: a rate off by 0.05 (a mean shift of Φ⁻¹(0.55)·σ = 0.126σ; additive or
    mean-0 noise is far beyond) is caught with power 0.999."""
    p, test_design = case.params["p"], design(0.05)
    blocks: list[Case] = []
    totals = np.zeros(2)  # draws, Σ ξ

    def draw_block(m: int) -> tuple[int, int]:  # sequential: m more noise values per call
        blocks.append(block_case(case, len(blocks), (m,)))
        _, result = call(target, GAUSSIAN, blocks[-1], device, dtype)
        noise = as_numpy(result.mask).astype(np.float64)
        totals[:] += (m, noise.sum())
        return int((noise > 1).sum()), int((noise != 1).sum())

    assert_binomial_sequential(
        draw_block, 0.5, test_design, what=f"{target.name}.{GAUSSIAN}(p={p}) #(ξ > 1)",
        replay=lambda: f"noise mean {totals[1] / totals[0]:.4f} (should be 1) [last block] "
                       + blocks[-1].replay(target, GAUSSIAN, device, dtype))


@gaussian_noise_law
def test_gaussian_dropout_noise_variance_is_p_over_1_minus_p(target, device, dtype, case):
    """χ² test of Var ξ = p/(1-p) (exact for normal noise). Design: a variance ratio of 1.1 or 1/1.1 is caught
    with power 0.999 (so variance p instead of p/(1-p) whenever p ≥ 0.091, and σ used as the variance)."""
    p, test_design = case.params["p"], design(0.1)
    blocks: list[Case] = []

    def draw_block(m: int):  # sequential: m more noise values per call (each block's own mean is removed)
        blocks.append(block_case(case, len(blocks), (m,)))
        return call(target, GAUSSIAN, blocks[-1], device, dtype)[1].mask

    assert_variance_sequential(draw_block, p / (1 - p), test_design, what=f"{target.name}.{GAUSSIAN}(p={p}) noise",
                               replay=lambda: "[last block] " + blocks[-1].replay(target, GAUSSIAN, device, dtype))


#: The KS distance that shows noise of the right mean and variance but the wrong law: standardized Uniform is
#: 0.057 from Φ in sup-distance, standardized Laplace 0.062 (computed on a fine grid); δ = 0.05 catches both
#: with power 0.999 at the suite's α. (A logistic law, 0.023 away, would need a 5x larger sample.)
SHAPE_DELTA = 0.05


@functools.cache
def shape_sample_size(test_design: stats.Design) -> int:
    """n for a KS test of the noise's law, in closed form (stats.ks_sample_size bisects on the exact law, ~3 s).

    The exact critical value is at most the DKW-Massart one, c = sqrt(ln(2/α)/(2n)); where the true CDF is δ
    away from the null, F_n(t) falls within δ - c of the null with probability ≤ exp(-2n(δ - c)²) (Hoeffding).
    So n = ((sqrt(ln(2/α)/2) + sqrt(ln(1/(1 - power))/2))/δ)² reaches the power: 11,250 at α = 1e-10,
    power 0.999, δ = 0.05, 13% above the exact design's 9,967."""
    root = math.sqrt(math.log(2 / test_design.alpha) / 2) + math.sqrt(math.log(1 / (1 - test_design.power)) / 2)
    return math.ceil((root / test_design.delta) ** 2)


def assert_standard_normal(z: np.ndarray, *, what: str, replay: str) -> None:
    """Exact KS test that standardized noise z is N(0, 1): the shape of the law, not only its two moments."""
    __tracebackhide__ = True
    test_design = design(SHAPE_DELTA)
    assert_distribution(stats.ks_distance(z, sps.norm.cdf), z.size, test_design, law="N(0, 1)", what=what,
                        replay=replay)


@gaussian_noise_law
def test_gaussian_dropout_noise_is_normal_not_only_in_mean_and_variance(target, device, dtype, case):
    """KS test of (ξ - 1)/sqrt(p/(1-p)) against N(0, 1): uniform or Laplace noise with mean 1 and variance
    p/(1-p) passes both moment tests but not this one (design: SHAPE_DELTA). Rounding ξ to float32 moves the
    CDF by ≤ 2⁻²⁴ relative in t, far below δ."""
    p = case.params["p"]
    case = sized(case, (shape_sample_size(design(SHAPE_DELTA)),))
    _, result = call(target, GAUSSIAN, case, device, dtype)
    z = (as_numpy(result.mask).astype(np.float64) - 1.0) / math.sqrt(p / (1.0 - p))
    assert_standard_normal(z, what=f"{target.name}.{GAUSSIAN}(p={p}) standardized noise",
                           replay=case.replay(target, GAUSSIAN, device, dtype))


# ================================================================ spatial (channel) dropout

SPATIAL = ("dropout1d", "dropout2d", "dropout3d")
#: Accepted layouts: ndim -> number of leading (batch, channel) dims that index a channel.
LAYOUTS = {"dropout1d": {3: 2, 2: 1}, "dropout2d": {4: 2, 3: 2}, "dropout3d": {5: 2, 4: 1}}


@st.composite
def spatial_cases(draw, operation: str) -> tuple[Case, int]:
    ndim = draw(st.sampled_from(sorted(LAYOUTS[operation])), label="ndim")
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim), label="shape"))
    return Case({"p": draw(probabilities, label="p")}, draw(SEEDS, label="seed"), draw(SEEDS, label="data_seed"),
                shape), LAYOUTS[operation][ndim]


def spatial_call(target, operation, case, device, dtype, **keywords):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        x, result = call(target, operation, case, device, dtype, **keywords)
    return x, result, caught


@pytest.mark.operation(*SPATIAL)
@given(data=st.data())
def test_spatial_dropout_keeps_or_drops_each_channel_whole_and_eval_is_the_identity(
        target, operation, device, dtype, data):
    case, leading = data.draw(spatial_cases(operation), label="case")
    training = data.draw(st.booleans(), label="training")
    x, result, _ = spatial_call(target, operation, case, device, dtype, training=training)
    replay = case.replay(target, operation, device, dtype, training=training)
    if not training:
        assert_exact(result.out, x, what=f"{target.name}.{operation}(training=False)", replay=replay)
        return
    p = case.params["p"]
    mask = as_numpy(result.mask)
    channel_shape = case.shape[:leading] + (1,) * (len(case.shape) - leading)
    assert mask.shape == channel_shape and mask.dtype == np.bool_, (
        f"{target.name}.{operation} mask {mask.dtype} {mask.shape}, but should be bool {channel_shape}. {replay}")
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    kept = np.broadcast_to(mask, case.shape)
    expected = np.where(kept, as_numpy(x).astype(np.float64) * scale, 0.0)
    # Survivors: round(x·round(1/(1-p))): ≤ 3 roundings of u = eps/2 (as for plain dropout).
    assert_close(result.out, expected, rtol=2 * eps(dtype), atol=0.0, why="≤ 3 roundings in scale and product",
                 what=f"{target.name}.{operation}(p={p}) output vs its channel mask", replay=replay)
    # Outputs alone (inputs are nonzero): within a channel, all zero or none.
    nonzero = (as_numpy(result.out) != 0).reshape(int(np.prod(channel_shape)), -1)
    assert (nonzero.all(axis=1) | ~nonzero.any(axis=1)).all(), (
        f"{target.name}.{operation}(p={p}) has channels partly zeroed. {replay}")


#: Every pair of layout (unbatched: the smaller ndim of LAYOUTS; batched: the larger), mode and p, each side ≥ 2 so
#: that a mask per element and a mask per channel differ: a layout read wrongly is always run.
SPATIAL_OPTIONS = {"batched": (False, True), "training": (True, False), "p": (0.5, 1.0)}
SPATIAL_ROWS = covering.pairwise(SPATIAL_OPTIONS)


@pytest.mark.operation(*SPATIAL)
@pytest.mark.dtypes("float32")  # a layout rule: the dtype plays no part (the structure test covers every dtype)
@pytest.mark.parametrize("options", SPATIAL_ROWS, ids=[covering.row_id(row) for row in SPATIAL_ROWS])
@settings(max_examples=2)
@given(seed=SEEDS, data_seed=SEEDS)
def test_spatial_dropout_masks_whole_channels_in_every_layout(target, operation, device, dtype, options, seed,
                                                             data_seed):
    ndim = sorted(LAYOUTS[operation])[int(options["batched"])]
    leading = LAYOUTS[operation][ndim]
    case = Case({"p": options["p"]}, seed, data_seed, tuple(2 + axis % 2 for axis in range(ndim)))
    x, result, _ = spatial_call(target, operation, case, device, dtype, training=options["training"])
    replay = case.replay(target, operation, device, dtype, training=options["training"])
    if not options["training"]:
        assert_exact(result.out, x, what=f"{target.name}.{operation}(training=False) on {ndim}-D input", replay=replay)
        return
    mask = as_numpy(result.mask)
    channel_shape = case.shape[:leading] + (1,) * (ndim - leading)
    assert mask.shape == channel_shape, (f"{target.name}.{operation} mask {mask.shape} for {ndim}-D input {case.shape}, "
                                         f"but should be one decision per channel: {channel_shape}. {replay}")
    p = options["p"]
    expected = np.where(np.broadcast_to(mask, case.shape), as_numpy(x).astype(np.float64) * (0.0 if p == 1 else 1 / (1 - p)), 0.0)
    assert_close(result.out, expected, rtol=2 * eps(dtype), atol=0.0, why="≤ 3 roundings in scale and product",
                 what=f"{target.name}.{operation}(p={p}) on {ndim}-D input vs its channel mask", replay=replay)


@pytest.mark.operation(*SPATIAL)
@pytest.mark.dtypes(*KEEP_COUNT_DTYPES)
@given(case=dropout_cases())
def test_spatial_dropout_channel_keep_count_is_binomial(target, operation, device, dtype, case):
    """n channels (batch of n, one channel, spatial sizes 1): kept channels ~ Binomial(n, 1-p), counted from the
    outputs (inputs are nonzero), not from the returned mask; channel wholeness is tested above."""
    ndim = max(LAYOUTS[operation])

    def kept_channels(block, m: int) -> tuple[int, int]:  # m more channels per call, until the count decides
        _, result, _ = spatial_call(target, operation, block((m, 1) + (1,) * (ndim - 2)), device, dtype)
        return int((as_numpy(result.out).reshape(m, -1) != 0).all(axis=1).sum()), m

    assert_kept_units_are_binomial(
        case, kept_channels, what=f"{target.name}.{operation}(p={case.params['p']}) kept channels",
        replay=lambda last, _: "[last block] " + last.replay(target, operation, device, dtype))


@pytest.mark.operation("dropout2d")
@pytest.mark.dtypes("float32")  # a layout rule: the dtype plays no part (the structure test covers every dtype)
@given(case=dropout_cases(p=open_probabilities, shapes=st.tuples(st.integers(1, 4), st.integers(1, 4),
                                                                    st.integers(2, 4))))
def test_dropout2d_on_3d_input_masks_each_row_like_dropout1d(target, device, dtype, case):
    """PyTorch documents that nn.Dropout2d/F.dropout2d read 3-D input as (N, C, L), one decision per (N, C)
    row (not as unbatched (C, H, W)), and warn about it; the references follow the documented rule."""
    x, result, caught = spatial_call(target, "dropout2d", case, device, dtype)
    n, c, _ = case.shape
    mask = as_numpy(result.mask)
    assert mask.shape == (n, c, 1), f"{target.name}.dropout2d mask shape {mask.shape} for 3-D input {case.shape}"
    nonzero = as_numpy(result.out) != 0
    assert_exact(nonzero, np.broadcast_to(mask, case.shape), what=f"{target.name}.dropout2d 3-D nonzeros vs mask",
                 replay=case.replay(target, "dropout2d", device, dtype))
    if target.name == "torch-native":
        messages = [str(w.message) for w in caught]
        assert any("3D input" in m and "(N, C, L)" in m for m in messages), (
            f"torch-native.dropout2d on 3-D input should warn as documented; warnings: {messages}")


@pytest.mark.operation(*SPATIAL)
@pytest.mark.dtypes("float64")
@given(data=st.data())
def test_spatial_dropout_backward_is_the_forward_on_the_upstream_gradient(target, operation, device, dtype, data):
    # Channel dropout is linear and diagonal, y = D x, so backward(g) = D g = forward(g) under the same seed.
    case, _ = data.draw(spatial_cases(operation), label="case")
    _, result, _ = spatial_call(target, operation, case, device, dtype)
    upstream = case_values(case.data_seed + 1, case.shape)
    (dx,) = result.backward(target.asarray(upstream, dtype, device))
    _, replayed, _ = spatial_call(target, operation, case, device, dtype, values=upstream)
    assert_exact(dx, replayed.out, what=f"{target.name}.{operation} backward(g) vs forward(g)",
                 replay=case.replay(target, operation, device, dtype))


# ================================================================ alpha dropout

ALPHA = ("alpha_dropout", "feature_alpha_dropout")


def alpha_constants(p: float) -> tuple[float, float, float]:
    """(a, b, dropped value) in float64 from the SELU constants: the test's own derivation."""
    a = ((1.0 - p) * (1.0 + p * SELU_ALPHA_PRIME**2)) ** -0.5
    b = -a * p * SELU_ALPHA_PRIME
    return a, b, a * SELU_ALPHA_PRIME + b


@pytest.mark.operation(*ALPHA)
@given(case=dropout_cases(shapes=st.lists(st.integers(1, 4), min_size=2, max_size=4).map(tuple)),
       training=st.booleans())
def test_alpha_dropout_is_the_affine_selu_map_on_its_mask_and_eval_is_the_identity(
        target, operation, device, dtype, case, training):
    """Kept: a·x + b; dropped: a·α' + b, with a = ((1-p)(1+pα'²))^(-1/2), b = -a·p·α'; p = 0 and eval give the
    identity, p = 1 what the target declares (alpha_dropout.p_one: zeros, the input, or rejected)."""
    p = case.params["p"]
    # No (a, b) exists at p = 1, so the rule there is a convention (test_conventions checks each one, a rejection
    # included); here a target that rejects p = 1 draws another example.
    at_p_one = conventions.behaviour(target, "alpha_dropout", "p_one") if operation == "alpha_dropout" else "zeros"
    assume(not (p == 1.0 and at_p_one == "rejected"))
    values = normal_values(case.data_seed, case.shape)
    x, result = call(target, operation, case, device, dtype, values=values, training=training)
    replay = case.replay(target, operation, device, dtype, training=training)
    xs = as_numpy(x).astype(np.float64)
    if not training:
        assert_exact(result.out, x, what=f"{target.name}.{operation}(training=False)", replay=replay)
        return
    if p in (0.0, 1.0):
        expected = xs if p == 0.0 or at_p_one == "identity" else np.zeros_like(xs)
        assert_exact(result.out, expected.astype(as_numpy(x).dtype), what=f"{target.name}.{operation}(p={p})",
                     replay=replay)
        return
    a, b, dropped = alpha_constants(p)
    mask = np.broadcast_to(as_numpy(result.mask), case.shape)
    if operation == "feature_alpha_dropout":
        per_channel = as_numpy(result.mask)
        assert per_channel.shape == case.shape[:2] + (1,) * (len(case.shape) - 2), (
            f"{target.name}.{operation} mask shape {per_channel.shape} for input {case.shape}. {replay}")
    expected = np.where(mask, a * xs + b, dropped)
    # The target may round a, b, x·a, the sum (and α') to dtype: ≤ 4 roundings of terms of size ≤ S, so
    # |error| ≤ 4u·S = 2·eps·S with S = a·max|x| + |b| + |a·α'|.
    scale = a * float(np.abs(xs).max()) + abs(b) + abs(a * SELU_ALPHA_PRIME)
    assert_close(result.out, expected, rtol=0.0, atol=2 * eps(dtype) * scale, why="≤ 4 roundings of terms ≤ S",
                 what=f"{target.name}.{operation}(p={p}) output vs a·x+b / a·α'+b on its mask", replay=replay)


def mixed_ks_distance(sample: np.ndarray, atom: float, weight: float, continuous_cdf) -> float:
    """sup_t |F_n(t) - F(t)| for F = weight·1{t ≥ atom} + (1-weight)·G, G continuous: evaluated at both
    one-sided limits of every sample point (the KS level holds for any F, with atoms too)."""
    xs = np.sort(sample)
    n = xs.size
    base = (1.0 - weight) * continuous_cdf(xs)
    right = base + weight * (xs >= atom)
    left = base + weight * (xs > atom)
    right_empirical = np.searchsorted(xs, xs, side="right") / n
    left_empirical = np.searchsorted(xs, xs, side="left") / n
    return float(max(np.abs(right_empirical - right).max(), np.abs(left_empirical - left).max()))


@pytest.mark.operation(*ALPHA)
@pytest.mark.dtypes(*STATISTICAL_DTYPES)
@given(case=dropout_cases(p=open_probabilities))
def test_alpha_dropout_keeps_standard_normal_inputs_at_mean_0_and_variance_1(target, operation, device, dtype, case):
    """For x ~ N(0, 1) the output must have the law (1-p)·N(b, a²) + p·δ(a·α'+b), whose mean is 0 and variance 1.
    Exact KS test on the outputs alone: a CDF distance of 0.05 (a wrong drop rate by 0.05, a missing affine
    correction unless p is tiny) is caught with power 0.999. Outputs within 8·eps·S of the atom are read as
    the atom (the target rounds a·α'+b with ≤ 4 roundings of terms ≤ S); a kept output lands there with
    probability ≤ 0.4·16·eps·S/a < 1e-5 in float32, moving the empirical CDF by far less than the band."""
    p = case.params["p"]
    test_design = design(0.05)
    n = stats.ks_sample_size(test_design)
    case = sized(case, (n, 1))
    _, result = call(target, operation, case, device, dtype, values=normal_values(case.data_seed, case.shape))
    a, b, dropped = alpha_constants(p)
    out = as_numpy(result.out).astype(np.float64).ravel()
    snap = 8 * eps(dtype) * (abs(dropped) + abs(b) + a)
    out = np.where(np.abs(out - dropped) <= snap, dropped, out)
    distance = mixed_ks_distance(out, dropped, p, lambda t: sps.norm.cdf((t - b) / a))
    assert_distribution(distance, n, test_design, law="(1-p)N(b,a²)+pδ(aα'+b)",
                        what=f"{target.name}.{operation}(p={p}) on N(0,1): mean {out.mean():.4f}, variance "
                             f"{out.var():.4f} (should be 0, 1)",
                        replay=case.replay(target, operation, device, dtype))


# ================================================================ DropConnect

DROPCONNECT = "dropconnect_linear"


@st.composite
def dropconnect_cases(draw, max_size: int = 4) -> Case:
    batch, in_features, out_features = (draw(st.integers(1, max_size), label=name)
                                        for name in ("batch", "in_features", "out_features"))
    return Case({"p": draw(probabilities, label="p")}, draw(SEEDS, label="seed"), draw(SEEDS, label="data_seed"),
                (batch, in_features, out_features))


def dropconnect_arrays(case: Case) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    batch, in_features, out_features = case.shape
    rng = np.random.default_rng(case.data_seed)
    return (rng.uniform(-2, 2, (batch, in_features)), rng.uniform(-2, 2, (out_features, in_features)),
            rng.uniform(-2, 2, out_features))


def upstream_loss(call, target, case: Case, device, dtype, upstream: np.ndarray):
    """Σ upstream·out of `call` (dropconnect_call, attention_call: same seed, so the same mask) as a function of
    its named input arrays, in call order: the loss whose gradients result.backward(upstream) returns."""
    return lambda arrays: float((as_numpy(call(target, case, device, dtype, tuple(arrays.values()))[1].out)
                                 * upstream).sum())


def dropconnect_call(target, case, device, dtype, arrays=None, *, training=True):
    x, w, b = (target.asarray(v, dtype, device) for v in (arrays or dropconnect_arrays(case)))
    result = target.call(DROPCONNECT, x, w, b, case.params["p"], training=training,
                         generator=target.generator(case.seed, device or "cpu"))
    return (x, w, b), result


@pytest.mark.operation(DROPCONNECT)
@pytest.mark.claims("DROPCONNECT.DROP_PROB")
@given(case=dropconnect_cases(), training=st.booleans())
def test_dropconnect_output_is_input_times_masked_weights_plus_bias(target, device, dtype, case, training):
    """Training: x(M⊙W)ᵀ + b with the returned mask M; eval: x((1-p)W)ᵀ + b (mean inference)."""
    (x, w, b), result = dropconnect_call(target, case, device, dtype, training=training)
    xs, ws, bs = (as_numpy(v).astype(np.float64) for v in (x, w, b))
    mask = as_numpy(result.mask)
    p = case.params["p"]
    assert mask.shape == ws.shape and mask.dtype == np.bool_, f"{target.name} mask {mask.dtype} {mask.shape}"
    effective = np.where(mask, ws, 0.0) if training else ws * (1.0 - p)
    expected = xs @ effective.T + bs
    # A d-term dot product plus bias (and the (1-p) scaling): ≤ (d+3) roundings of terms ≤ |x||W|ᵀ + |b|.
    d = case.shape[1]
    bound = (np.abs(xs) @ np.abs(ws).T + np.abs(bs)).max()
    assert_close(result.out, expected, rtol=0.0, atol=(d + 3) * eps(dtype) * bound,
                 why=f"(d+3)·eps·max(|x||W|ᵀ+|b|), d={d}", what=f"{target.name}.{DROPCONNECT}(p={p}, training={training})",
                 replay=f"[{case.describe()}, training={training}]")


@pytest.mark.operation(DROPCONNECT)
@pytest.mark.dtypes(*REFERENCE_COUNT_DTYPES)
@pytest.mark.claims("DROPCONNECT.DROP_PROB")
@given(case=dropout_cases())
def test_dropconnect_weight_keep_count_is_binomial_with_keep_probability_1_minus_p(target, device, dtype, case):
    def kept_weights(block, m: int) -> tuple[int, int]:  # a weight matrix of about m entries per call
        rows = math.ceil(m / 2)
        drawn = block((1, 2, rows))
        arrays = (np.ones((1, 2)), np.ones((rows, 2)), np.zeros(rows))
        _, result = dropconnect_call(target, drawn, device, dtype, arrays)
        mask = as_numpy(result.mask)
        # The output counts the kept weights of each row (x = 1, W = 1): recount from it, not only the mask.
        assert_exact(as_numpy(result.out).ravel(), mask.sum(axis=1).astype(as_numpy(result.out).dtype),
                     what=f"{target.name}.{DROPCONNECT} row sums vs mask", replay=f"[{drawn.describe()}]")
        return int(mask.sum()), mask.size

    assert_kept_units_are_binomial(case, kept_weights,
                                   what=f"{target.name}.{DROPCONNECT}(p={case.params['p']}) kept weights",
                                   replay=lambda last, _: f"[last block: {last.describe()}]")


@pytest.mark.operation(DROPCONNECT)
@pytest.mark.dtypes(*STATISTICAL_DTYPES)
@pytest.mark.claims("DROPCONNECT.DROP_PROB")
@given(case=dropout_cases(p=open_probabilities))
def test_dropconnect_training_output_has_the_eval_output_as_mean(target, device, dtype, case):
    """n identical one-weight rows w and one input x, x·w = s > 0: each training output is the two-point
    variable c·M_j (c = s for a correct target), whose mean must be the eval output (1-p)s. Read from the outputs
    alone: every nonzero output must be the same value c (one product: within 4 roundings), and the number of
    nonzero outputs is tested exactly as Binomial(n, eval/c), i.e. mean = eval. A mean off by 0.1·c (eval
    without the (1-p) factor; 1/(1-p) training scaling whenever p(1-p) ≥ 0.1) is caught with power 0.999."""
    p = case.params["p"]
    rng = np.random.default_rng(case.data_seed)
    x, w = rng.uniform(0.5, 2.0, (1, 1)), rng.uniform(0.5, 2.0, 1)
    test_design = design(0.1)
    n = stats.binomial_sample_size(1.0 - p, test_design)
    arrays = (x, np.tile(w, (n, 1)), np.zeros(n))
    _, train = dropconnect_call(target, sized(case, (1, 1, n)), device, dtype, arrays)
    _, evaluation = dropconnect_call(target, sized(case, (1, 1, n)), device, dtype, arrays, training=False)
    eval_out = float(as_numpy(evaluation.out).astype(np.float64).mean())
    out = as_numpy(train.out).astype(np.float64).ravel()
    kept = out[out != 0]
    c = float(kept.max()) if kept.size else float(x[0, 0] * w[0])
    replay = f"[{case.describe()}]"
    assert kept.size == 0 or kept.min() >= c * (1 - 4 * eps(dtype)), (
        f"{target.name}.{DROPCONNECT}(p={p}) one-weight training outputs take values {kept.min():.6g}..{c:.6g}, "
        f"but should be 0 or one value [x·w = {float(x[0, 0] * w[0]):.6g}, 4 roundings]. {replay}")
    assert 0 <= eval_out <= c, (
        f"{target.name}.{DROPCONNECT}(p={p}) eval output {eval_out:.6g} cannot be the mean of outputs in {{0, {c:.6g}}} "
        f"[x·w = {float(x[0, 0] * w[0]):.6g}]. {replay}")
    assert_binomial(kept.size, n, eval_out / c, test_design,
                    what=f"{target.name}.{DROPCONNECT}(p={p}) mean training output {out.mean():.5g} vs eval output "
                         f"{eval_out:.5g}; #(output ≠ 0)", replay=replay)


@pytest.mark.operation(DROPCONNECT)
@pytest.mark.dtypes("float64")
@given(case=dropconnect_cases(max_size=2))
@pytest.mark.requires("backward")
def test_dropconnect_gradients_match_central_differences(target, device, dtype, case):
    """Linear in each of x, W, b for a fixed mask (same seed), so central differences with h = 1 have no
    truncation error; rounding: each loss is a sum of ≤ B·O·(I+1) products, error ≤ that count·eps·T, T the
    sum of their magnitudes, divided by 2h."""
    x, w, b = arrays = dropconnect_arrays(case)
    _, result = dropconnect_call(target, case, device, dtype, arrays)
    upstream = np.random.default_rng(case.data_seed + 1).uniform(-1, 1, as_numpy(result.out).shape)
    names = ("x", "weight", "bias")
    grads = dict(zip(names, result.backward(target.asarray(upstream, dtype, device)), strict=True))
    h = 1.0
    magnitude = float((np.abs(upstream) * ((np.abs(x) + h) @ (np.abs(w) + h).T + np.abs(b) + h)).sum())
    count = upstream.size * (case.shape[1] + 1)
    assert_matches_central_differences(grads, upstream_loss(dropconnect_call, target, case, device, dtype, upstream),
                                       dict(zip(names, arrays, strict=True)), h, count * eps("float64") * magnitude / h,
                                       why=f"linear map: rounding only, {count}·eps·T/h",
                                       what=f"{target.name}.{DROPCONNECT}", replay=f"[{case.describe()}]")


# ================================================================ locked (variational) dropout

LOCKED = "locked_dropout"


@pytest.mark.operation(LOCKED)
@given(case=dropout_cases(shapes=st.tuples(st.integers(1, 5), st.integers(1, 4), st.integers(1, 4))),
       batch_first=st.booleans())
def test_locked_dropout_uses_one_mask_for_every_time_step(target, device, dtype, case, batch_first):
    x, result = call(target, LOCKED, case, device, dtype, batch_first=batch_first)
    p = case.params["p"]
    time_axis = 1 if batch_first else 0
    mask = as_numpy(result.mask)
    expected_shape = tuple(1 if i == time_axis else n for i, n in enumerate(case.shape))
    replay = case.replay(target, LOCKED, device, dtype, batch_first=batch_first)
    assert mask.shape == expected_shape and mask.dtype == np.bool_, f"{target.name}.{LOCKED} mask {mask.shape}. {replay}"
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    expected = np.where(np.broadcast_to(mask, case.shape), as_numpy(x).astype(np.float64) * scale, 0.0)
    assert_close(result.out, expected, rtol=2 * eps(dtype), atol=0.0, why="≤ 3 roundings in scale and product",
                 what=f"{target.name}.{LOCKED}(p={p}, batch_first={batch_first})", replay=replay)
    # From the outputs alone: the zero pattern is the same at every time step.
    zeros = np.moveaxis(as_numpy(result.out) == 0, time_axis, 0)
    assert (zeros == zeros[:1]).all(), f"{target.name}.{LOCKED} zero pattern changes over time. {replay}"


@pytest.mark.operation(LOCKED)
@pytest.mark.dtypes(*REFERENCE_COUNT_DTYPES)
@given(case=dropout_cases())
def test_locked_dropout_keep_count_is_binomial_per_batch_and_feature(target, device, dtype, case):
    def kept_units(block, m: int) -> tuple[int, int]:  # m more (batch, feature) units per call, seen at time step 0
        _, result = call(target, LOCKED, block((2, m, 1)), device, dtype, batch_first=False)
        return int((as_numpy(result.out)[0] != 0).sum()), m

    assert_kept_units_are_binomial(
        case, kept_units, what=f"{target.name}.{LOCKED}(p={case.params['p']}) kept (batch, feature) units",
        replay=lambda last, _: "[last block] " + last.replay(target, LOCKED, device, dtype, batch_first=False))


# ================================================================ embedding dropout

EMBEDDING = "embedding_dropout"


def embedding_call(target, case: Case, device, dtype, weight: np.ndarray, ids: np.ndarray, training=True):
    w = target.asarray(weight, dtype, device)
    result = target.call(EMBEDDING, indices(target, ids, device), w, case.params["p"], training=training,
                         generator=target.generator(case.seed, device or "cpu"))
    return w, result


@pytest.mark.operation(EMBEDDING)
@given(case=dropout_cases(shapes=st.tuples(st.integers(1, 6), st.integers(1, 4))),
       ids=st.lists(st.integers(0, 5), min_size=1, max_size=12), training=st.booleans())
def test_embedding_dropout_drops_whole_rows_of_the_embedding_matrix(target, device, dtype, case, ids, training):
    ids = np.array(ids) % case.shape[0]
    w, result = embedding_call(target, case, device, dtype, case.values(), ids, training)
    p = case.params["p"]
    rows = as_numpy(result.mask)
    assert rows.shape == (case.shape[0],) and rows.dtype == np.bool_, f"{target.name}.{EMBEDDING} mask {rows.shape}"
    scale = (0.0 if p == 1.0 else 1.0 / (1.0 - p)) if training else 1.0
    weights = as_numpy(w).astype(np.float64)
    expected = np.where(rows[ids][:, None], weights[ids] * scale, 0.0)
    # Every occurrence of a word gets the same (scaled or zeroed) row: exact up to the scaling's 3 roundings.
    assert_close(result.out, expected, rtol=2 * eps(dtype), atol=0.0, why="≤ 3 roundings in scale and product",
                 what=f"{target.name}.{EMBEDDING}(p={p}, training={training}) looked-up rows",
                 replay=f"[{case.describe()}, ids={ids.tolist()}]")


@pytest.mark.operation(EMBEDDING)
@pytest.mark.dtypes(*REFERENCE_COUNT_DTYPES)
@given(case=dropout_cases())
def test_embedding_dropout_row_keep_count_is_binomial(target, device, dtype, case):
    def kept_rows(block, m: int) -> tuple[int, int]:  # an m-row embedding matrix of ones per call
        _, result = embedding_call(target, block((m, 1)), device, dtype, np.ones((m, 1)), np.arange(m))
        return int((as_numpy(result.out) != 0).sum()), m

    assert_kept_units_are_binomial(case, kept_rows, what=f"{target.name}.{EMBEDDING}(p={case.params['p']}) kept rows",
                                   replay=lambda last, _: f"[last block: {last.describe()}, n={last.shape[0]}]")


# ================================================================ stochastic depth

DEPTH = ("stochastic_depth", "stochastic_depth_original")


def depth_scales(operation: str, p: float) -> tuple[float, float]:
    """(training scale of a surviving branch, eval scale): torchvision (1/(1-p), 1); Huang et al. (1, 1-p)."""
    if operation == "stochastic_depth":
        return (0.0 if p == 1.0 else 1.0 / (1.0 - p)), 1.0
    return 1.0, 1.0 - p


@pytest.mark.operation(*DEPTH)
@pytest.mark.claims("STOCHASTIC_DEPTH.BLOCK_SWITCH", "STOCHASTIC_DEPTH.TEST_TIME")
@given(case=dropout_cases(shapes=st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple)),
       mode=st.sampled_from(["row", "batch"]), training=st.booleans())
def test_stochastic_depth_drops_whole_samples_or_the_whole_batch(target, operation, device, dtype, case, mode,
                                                                  training):
    # A library may draw per sample only (timm's drop_path): STOCHASTIC_DEPTH_MODES names the modes it has.
    assume(mode in getattr(target.module, "STOCHASTIC_DEPTH_MODES", ("row", "batch")))
    x, result = call(target, operation, case, device, dtype, mode=mode, training=training)
    p = case.params["p"]
    replay = case.replay(target, operation, device, dtype, mode=mode, training=training)
    mask = as_numpy(result.mask)
    expected_shape = (case.shape[0],) + (1,) * (len(case.shape) - 1) if mode == "row" else (1,) * len(case.shape)
    assert mask.shape == expected_shape and mask.dtype == np.bool_, (
        f"{target.name}.{operation} mask {mask.dtype} {mask.shape}, but should be bool {expected_shape}. {replay}")
    train_scale, eval_scale = depth_scales(operation, p)
    scale = train_scale if training else eval_scale
    xs = as_numpy(x).astype(np.float64)
    if not training:
        assert mask.all(), f"{target.name}.{operation} eval mask should keep every branch. {replay}"
    if scale == 1.0 and training is False:
        assert_exact(result.out, x, what=f"{target.name}.{operation} eval (identity)", replay=replay)
    expected = np.where(np.broadcast_to(mask, case.shape), xs * scale, 0.0)
    assert_close(result.out, expected, rtol=2 * eps(dtype), atol=0.0, why="≤ 3 roundings in scale and product",
                 what=f"{target.name}.{operation}(p={p}, mode={mode}, training={training})", replay=replay)
    nonzero = (as_numpy(result.out) != 0).reshape(case.shape[0] if mode == "row" else 1, -1)
    assert (nonzero.all(axis=1) | ~nonzero.any(axis=1)).all(), f"{target.name}.{operation} drops partial rows. {replay}"


#: Every pair of mode, mode of operation, batch size and edge p in some row: mode='batch' shows only with more than
#: one sample, p = 1 only in training, so independent draws may miss exactly the pair a mistake needs.
DEPTH_OPTIONS = {"mode": ("row", "batch"), "training": (True, False), "batch": (1, 4), "p": (0.0, 0.5, 1.0)}
DEPTH_ROWS = covering.pairwise(DEPTH_OPTIONS)


@pytest.mark.operation(*DEPTH)
@pytest.mark.dtypes("float32", "float64")  # a rule about modes and shapes: the structure tests cover every dtype
@pytest.mark.parametrize("options", DEPTH_ROWS, ids=[covering.row_id(row) for row in DEPTH_ROWS])
@settings(max_examples=2)
@given(seed=SEEDS, data_seed=SEEDS)
def test_stochastic_depth_follows_its_rule_for_every_pair_of_options(target, operation, device, dtype, options,
                                                                    seed, data_seed):
    if options["mode"] not in getattr(target.module, "STOCHASTIC_DEPTH_MODES", ("row", "batch")):
        pytest.skip(f"not applicable: {target.name} has no mode={options['mode']!r}")
    case = Case({"p": options["p"]}, seed, data_seed, (options["batch"], 2, 3))
    test_stochastic_depth_drops_whole_samples_or_the_whole_batch.hypothesis.inner_test(
        target, operation, device, dtype, case, options["mode"], options["training"])


@pytest.mark.operation(*DEPTH)
@pytest.mark.dtypes(*REFERENCE_COUNT_DTYPES)
@pytest.mark.claims("STOCHASTIC_DEPTH.BLOCK_SWITCH", "STOCHASTIC_DEPTH.TEST_TIME")
@given(case=dropout_cases())
def test_stochastic_depth_training_mean_equals_the_eval_output(target, operation, device, dtype, case):
    """Per convention: survivors carry the training scale s exactly (checked from outputs) and their count is
    Binomial(n, 1-p), so E[out/x] = s(1-p) = the eval scale (1 for torchvision, 1-p for Huang et al.)."""
    p = case.params["p"]
    train_scale, eval_scale = depth_scales(operation, p)
    totals = np.zeros(2)  # rows drawn, Σ out/x

    def surviving_rows(block, m: int) -> tuple[int, int]:  # m more rows per call, until the count decides
        drawn = block((m, 1))
        x, result = call(target, operation, drawn, device, dtype, mode="row")
        ratio = (as_numpy(result.out).astype(np.float64) / as_numpy(x).astype(np.float64))[:, 0]
        survivors = ratio != 0
        assert_close(ratio[survivors], np.full(int(survivors.sum()), train_scale), rtol=2 * eps(dtype), atol=0.0,
                     why="≤ 3 roundings", what=f"{target.name}.{operation}(p={p}) survivors' out/x",
                     replay=drawn.replay(target, operation, device, dtype, mode="row"))
        totals[:] += (m, ratio.sum())
        return int(survivors.sum()), m

    assert_kept_units_are_binomial(
        case, surviving_rows, what=f"{target.name}.{operation}(p={p}) surviving rows",
        replay=lambda last, _: f"E[out/x]={totals[1] / totals[0]:.4f} (eval scale {eval_scale:.4f}) [last block] "
                               + last.replay(target, operation, device, dtype, mode="row"))


@pytest.mark.operation("survival_probabilities")
@pytest.mark.claims("STOCHASTIC_DEPTH.EXPECTED_DEPTH")
@given(layers=st.integers(1, 120), p_last=st.integers(0, 200).map(lambda k: Fraction(k, 200)))
def test_survival_probabilities_decay_linearly_to_p_last(target, layers, p_last):
    """p_l = 1 - (l/L)(1 - p_L) for l = 1..L (Huang et al.), so the expected number of active blocks is
    Σ p_l = L - (1 - p_L)(L + 1)/2 (40.25 of 54 at p_L = 0.5, the paper's ResNet-110)."""
    got = np.asarray(target.call("survival_probabilities", layers, float(p_last)).out, dtype=np.float64)
    exact = [1 - Fraction(layer, layers) * (1 - p_last) for layer in range(1, layers + 1)]
    # float64 arithmetic on values ≤ 1: p_L's representation + 3 roundings ≤ 4u = 2·eps.
    assert_close(got, np.array([float(v) for v in exact]), rtol=0.0, atol=2 * eps("float64"),
                 why="≤ 4 roundings of values ≤ 1", what=f"{target.name}.survival_probabilities({layers}, {p_last})")
    expected_depth = layers - (1 - p_last) * (layers + 1) / 2
    assert abs(got.sum() - float(expected_depth)) <= 2 * layers * eps("float64") + layers * eps("float64"), (
        f"{target.name}: expected active blocks {got.sum()} vs L - (1-p_L)(L+1)/2 = {float(expected_depth)}")


def test_torchvision_stochastic_depth_matches_the_reference():
    try:
        import torchvision.ops  # noqa: F401
    except ImportError:
        pytest.skip("torchvision not installed")
    native, reference = load_target("torch-native"), load_target("torch")
    x = torch.as_tensor(case_values(0, (64, 3)))
    for mode in ("row", "batch"):
        out, mask = native.module.stochastic_depth(x, 0.3, mode, generator=native.generator(1))
        expected, _ = reference.module.stochastic_depth(x, 0.3, mode, training=True, generator=native.generator(1))
        ratio = torch.where(mask, out / x, torch.zeros_like(x))
        assert_close(ratio[mask.expand_as(x)], np.full(int(mask.expand_as(x).sum()), 1 / 0.7), rtol=2 * eps("float64"),
                     atol=0.0, why="≤ 3 roundings", what=f"torchvision stochastic_depth(mode={mode}) survivors")
        assert expected.shape == out.shape


# ================================================================ Gaussian noise injection

NOISE = "gaussian_noise"
sigmas = st.integers(1, 80).map(lambda k: k / 20)


def noise_case(case: Case, sigma: float, shape=None) -> Case:
    return Case({"sigma": sigma}, case.seed, case.data_seed, shape or case.shape)


def noise_call(target, case: Case, device, dtype, *, training=True):
    x = target.asarray(case.values(), dtype, device)
    return x, target.call(NOISE, x, case.params["sigma"], training=training,
                          generator=target.generator(case.seed, device or "cpu"))


@pytest.mark.operation(NOISE)
@given(case=dropout_cases(), sigma=sigmas, training=st.booleans())
def test_gaussian_noise_output_is_input_plus_the_returned_noise_and_eval_is_the_identity(
        target, device, dtype, case, sigma, training):
    case = noise_case(case, sigma)
    x, result = noise_call(target, case, device, dtype, training=training)
    replay = case.replay(target, NOISE, device, dtype, training=training)
    if not training:
        assert_exact(result.out, x, what=f"{target.name}.{NOISE}(training=False)", replay=replay)
        return
    expected = as_numpy(x).astype(np.float64) + as_numpy(result.mask).astype(np.float64)
    # One rounding of the sum: |error| ≤ u·|x + ε| = eps/2 relative.
    assert_close(result.out, expected, rtol=eps(dtype) / 2, atol=0.0, why="one rounding of the sum",
                 what=f"{target.name}.{NOISE}(σ={sigma})", replay=replay)


@pytest.mark.operation(NOISE)
@pytest.mark.dtypes(*STATISTICAL_DTYPES)
@given(case=dropout_cases(), sigma=sigmas)
def test_gaussian_noise_is_centred_with_variance_sigma_squared(target, device, dtype, case, sigma):
    """Sign test (#(ε > 0) among ε ≠ 0 ~ Binomial(m, 1/2) for symmetric noise; a rate off by 0.05, a mean shift of
    0.126σ, is caught with power 0.999) and χ² test of Var ε = σ² (a variance ratio of 1.1 or 1/1.1 is caught with
    power 0.999: σ used as the variance whenever σ ∉ (0.91, 1.1), a variance of 2σ² always)."""
    sign_design, variance_design = design(0.05), design(0.1)
    # One draw serves both tests; each reads only the prefix its own design needs (no test oversamples).
    n_sign, n = binomial_size(0.5, 0.05, sign_design.alpha), stats.variance_sample_size(variance_design)
    case = noise_case(case, sigma, (max(n_sign, n),))
    _, result = noise_call(target, case, device, dtype)
    drawn = as_numpy(result.mask).astype(np.float64)
    noise, signs = drawn[:n], drawn[:n_sign]
    replay = case.replay(target, NOISE, device, dtype)
    assert_binomial(int((signs > 0).sum()), int((signs != 0).sum()), 0.5, sign_design,
                    what=f"{target.name}.{NOISE}(σ={sigma}) noise mean {noise.mean():.4f} (should be 0); #(ε > 0)",
                    replay=replay)
    assert_variance(noise, sigma**2, variance_design, what=f"{target.name}.{NOISE}(σ={sigma}) noise", replay=replay)


@pytest.mark.operation(NOISE)
@pytest.mark.dtypes(*STATISTICAL_DTYPES)
@given(case=dropout_cases(), sigma=sigmas)
def test_gaussian_noise_is_normal_not_only_in_mean_and_variance(target, device, dtype, case, sigma):
    """KS test of ε/σ against N(0, 1): uniform or Laplace noise of variance σ² passes the sign and χ² tests but
    not this one (design: SHAPE_DELTA, power 0.999)."""
    case = noise_case(case, sigma, (shape_sample_size(design(SHAPE_DELTA)),))
    _, result = noise_call(target, case, device, dtype)
    z = as_numpy(result.mask).astype(np.float64) / sigma
    assert_standard_normal(z, what=f"{target.name}.{NOISE}(σ={sigma}) noise / σ", replay=case.replay(target, NOISE, device, dtype))


# ================================================================ attention dropout

ATTENTION = "attention_dropout"


def attention_arrays(data_seed: int, batch: int, queries: int, keys: int, dim: int, values=None):
    rng = np.random.default_rng(data_seed)
    q, k = rng.uniform(-1, 1, (batch, queries, dim)), rng.uniform(-1, 1, (batch, keys, dim))
    v = rng.uniform(-1, 1, (batch, keys, dim)) if values is None else values
    return q, k, v


def attention_call(target, case: Case, device, dtype, arrays, *, training=True):
    q, k, v = (target.asarray(a, dtype, device) for a in arrays)
    result = target.call(ATTENTION, q, k, v, case.params["p"], training=training,
                         generator=target.generator(case.seed, device or "cpu"))
    return (q, k, v), result


def softmax_attention(q: np.ndarray, k: np.ndarray) -> np.ndarray:
    scores = q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1])
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.operation(ATTENTION)
@given(case=dropout_cases(shapes=st.tuples(st.integers(1, 2), st.integers(1, 4), st.integers(1, 4),
                                             st.integers(1, 4))), training=st.booleans())
def test_attention_dropout_drops_attention_probabilities_and_rescales_survivors(target, device, dtype, case, training):
    """out = (A ⊙ M/(1-p)) v with A = softmax(q kᵀ/√d) and the returned mask M; eval: M = 1 (no dropout)."""
    p = case.params["p"]
    arrays = attention_arrays(case.data_seed, *case.shape)
    (q, k, v), result = attention_call(target, case, device, dtype, arrays, training=training)
    qs, ks, vs = (as_numpy(t).astype(np.float64) for t in (q, k, v))
    mask = as_numpy(result.mask)
    attention = softmax_attention(qs, ks)
    replay = f"[{case.describe()}, training={training}]"
    assert mask.shape == attention.shape and mask.dtype == np.bool_, f"{target.name} mask {mask.shape}. {replay}"
    if not training or p == 0.0:
        assert mask.all(), f"{target.name}.{ATTENTION}(p={p}, training={training}) dropped attention. {replay}"
    scale = (0.0 if p == 1.0 else 1.0 / (1.0 - p)) if training else 1.0
    dropped = np.where(mask, attention * scale, 0.0)
    expected = dropped @ vs
    # Scores: d-term dot products, error ≤ d·u·R (R = max|q||k|/√d ≤ 1 here), which exp turns into a relative
    # error ≤ 2·d·u·R in A; the softmax sum (S terms) and division add (S+2)u; the mask scale 3u; the S-term
    # product with v (S+1)u: |error| ≤ (2S + 2d + 6)u·max(|A|c|v|) = (S + d + 3)·eps·bound.
    keys, dim = case.shape[2], case.shape[3]
    bound = float((np.abs(dropped) @ np.abs(vs)).max()) + eps(dtype)
    assert_close(result.out, expected, rtol=0.0, atol=(keys + dim + 3) * eps(dtype) * bound,
                 why=f"(S+d+3)·eps·max(|A|c|v|), S={keys}, d={dim}",
                 what=f"{target.name}.{ATTENTION}(p={p}, training={training})", replay=replay)


@pytest.mark.operation(ATTENTION)
@pytest.mark.dtypes(*KEEP_COUNT_DTYPES)
@given(case=dropout_cases())
def test_attention_dropout_keep_count_is_binomial(target, device, dtype, case):
    """With v = identity the output is the dropped attention matrix itself: its nonzero count (attention
    probabilities are positive; q, k ∈ [-1, 1]) is Binomial(n, 1-p), counted without trusting the mask."""
    keys = 8

    def kept_entries(block, m: int) -> tuple[int, int]:  # about m more attention entries per call
        queries = math.ceil(m / keys)
        arrays = attention_arrays(case.data_seed, 1, queries, keys, 2, values=np.eye(keys)[None])
        _, result = attention_call(target, block(case.shape), device, dtype, arrays)
        return int((as_numpy(result.out) != 0).sum()), queries * keys

    assert_kept_units_are_binomial(case, kept_entries,
                                   what=f"{target.name}.{ATTENTION}(p={case.params['p']}) kept attention entries",
                                   replay=lambda last, drawn: f"[last block: {last.describe()}, {drawn} blocks]")


@pytest.mark.operation(ATTENTION)
@pytest.mark.dtypes("float64")
@given(case=dropout_cases(shapes=st.just((1, 1, 2, 2))))
@pytest.mark.requires("backward")
def test_attention_dropout_gradients_match_central_differences(target, device, dtype, case):
    """Fixed mask (same seed). Linear in v; in q and k smooth, with third derivatives bounded by
    T = Σ|g|·c·S·max|v|·(max|q|,|k|)³/d^(3/2) (softmax derivatives up to third order are ≤ 1): truncation
    ≤ h²/6·T per entry; rounding ≤ (S+d+3)·eps·F/h, F = Σ|g|·max(|A|c|v|)."""
    arrays = attention_arrays(case.data_seed, *case.shape)
    _, result = attention_call(target, case, device, dtype, arrays)
    upstream = np.random.default_rng(case.data_seed + 1).uniform(-1, 1, as_numpy(result.out).shape)
    names = ("q", "k", "v")
    grads = dict(zip(names, result.backward(target.asarray(upstream, dtype, device)), strict=True))
    p = case.params["p"]
    c = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    keys, dim = case.shape[2], case.shape[3]
    h = 1e-4
    size = max(float(np.abs(a).max()) for a in arrays) + h
    third = float(np.abs(upstream).sum()) * c * keys * size * (size / math.sqrt(dim)) ** 3
    rounding = (keys + dim + 3) * eps("float64") * float(np.abs(upstream).sum()) * c * size / h
    assert_matches_central_differences(grads, upstream_loss(attention_call, target, case, device, dtype, upstream),
                                       dict(zip(names, arrays, strict=True)), h, h**2 / 6 * third + rounding,
                                       why=f"h²/6·T truncation + (S+d+3)·eps·F/h rounding, h={h}",
                                       what=f"{target.name}.{ATTENTION}(p={p})", replay=f"[{case.describe()}]")


# ================================================================ DropBlock

DROPBLOCK = "dropblock2d"


def is_union_of_blocks(dropped: np.ndarray, block: int) -> bool:
    """True when every dropped element lies in a fully dropped b×b window (morphological opening = itself)."""
    n, c, height, width = dropped.shape
    full = np.ones((n, c, height - block + 1, width - block + 1), dtype=bool)
    for i in range(block):
        for j in range(block):
            full &= dropped[:, :, i:i + height - block + 1, j:j + width - block + 1]
    covered = np.zeros_like(dropped)
    for i in range(block):
        for j in range(block):
            covered[:, :, i:i + full.shape[2], j:j + full.shape[3]] |= full
    return bool((covered == dropped).all())


@pytest.mark.operation(DROPBLOCK)
@given(case=dropout_cases(shapes=st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(1, 7),
                                             st.integers(1, 7))), block_size=st.integers(1, 4), training=st.booleans())
def test_dropblock_drops_whole_blocks_and_rescales_by_numel_over_kept(target, device, dtype, case, block_size,
                                                                      training):
    x = target.asarray(case.values(), dtype, device)
    result = target.call(DROPBLOCK, x, case.params["p"], block_size, training=training,
                         generator=target.generator(case.seed, device or "cpu"))
    replay = f"[{case.describe()}, block_size={block_size}, training={training}]"
    if not training:
        assert_exact(result.out, x, what=f"{target.name}.{DROPBLOCK}(training=False)", replay=replay)
        return
    keep = as_numpy(result.mask)
    assert keep.shape == case.shape and keep.dtype == np.bool_, f"{target.name} mask {keep.shape}. {replay}"
    block = min(block_size, case.shape[2], case.shape[3])
    assert is_union_of_blocks(~keep, block), (
        f"{target.name}.{DROPBLOCK}(block_size={block_size}) dropped set is not a union of {block}×{block} blocks. "
        f"{replay}")
    kept = int(keep.sum())
    scale = keep.size / kept if kept else 0.0
    expected = np.where(keep, as_numpy(x).astype(np.float64) * scale, 0.0)
    assert_close(result.out, expected, rtol=2 * eps(dtype), atol=0.0, why="≤ 3 roundings in scale and product",
                 what=f"{target.name}.{DROPBLOCK}(p={case.params['p']}) output = x·keep·numel/#kept", replay=replay)


@pytest.mark.operation(DROPBLOCK)
@pytest.mark.dtypes(*REFERENCE_COUNT_DTYPES)
@given(case=dropout_cases(), block=st.integers(1, 3))
def test_dropblock_on_a_block_sized_map_drops_it_with_probability_p(target, device, dtype, case, block):
    """On b×b maps there is one seed position and γ = p·b²/(b²·1) = p: each (N, C) map is dropped whole with
    probability exactly p, so the dropped-map count is Binomial(n, p) (counted from outputs)."""
    p = case.params["p"]
    n = keep_count_size(p)
    x = target.asarray(case_values(case.data_seed, (n, 1, block, block)), dtype, device)
    result = target.call(DROPBLOCK, x, p, block, training=True, generator=target.generator(case.seed, device or "cpu"))
    zero = (as_numpy(result.out) == 0).reshape(n, -1)
    assert (zero.all(axis=1) | ~zero.any(axis=1)).all(), f"{target.name}.{DROPBLOCK} dropped part of a b×b map"
    assert_binomial(int(zero.all(axis=1).sum()), n, p, design(KEEP_DELTA),
                    what=f"{target.name}.{DROPBLOCK}(p={p}, block_size={block}) dropped maps",
                    replay=f"[{case.describe()}, block={block}]")


# ================================================================ adaptive dropout (standout)

ADAPTIVE = "adaptive_dropout"
keep_probabilities = st.integers(0, 20).map(lambda k: k / 20)


@pytest.mark.operation(ADAPTIVE)
@given(case=dropout_cases(shapes=st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple)),
       data=st.data(), training=st.booleans())
def test_adaptive_dropout_keeps_units_unscaled_and_eval_multiplies_by_the_keep_probability(
        target, device, dtype, case, data, training):
    """π per feature (last axis, broadcast): training x⊙m exactly (no scaling), eval x⊙π; E[x·m] = x·π."""
    pi = np.array(data.draw(st.lists(keep_probabilities, min_size=case.shape[-1], max_size=case.shape[-1]),
                            label="keep_probability"))
    x = target.asarray(case.values(), dtype, device)
    result = target.call(ADAPTIVE, x, target.asarray(pi, "float64", device), training=training,
                         generator=target.generator(case.seed, device or "cpu"))
    replay = f"[{case.describe()}, keep_probability={pi.tolist()}, training={training}]"
    mask = as_numpy(result.mask)
    assert mask.shape == case.shape and mask.dtype == np.bool_, f"{target.name} mask {mask.shape}. {replay}"
    xs = as_numpy(x).astype(np.float64)
    if training:
        assert_exact(result.out, np.where(mask, xs, 0.0).astype(as_numpy(x).dtype),
                     what=f"{target.name}.{ADAPTIVE} training output vs x⊙m", replay=replay)
        assert not (mask & (pi == 0)).any() and (mask | (pi != 1)).all(), (
            f"{target.name}.{ADAPTIVE}: π = 0 units must drop and π = 1 units keep. {replay}")
    else:
        # π rounded to dtype and the product rounded: ≤ 2 roundings, relative error ≤ eps.
        assert_close(result.out, xs * pi, rtol=eps(dtype), atol=0.0, why="≤ 2 roundings",
                     what=f"{target.name}.{ADAPTIVE} eval output vs x⊙π", replay=replay)


@pytest.mark.operation(ADAPTIVE)
@pytest.mark.dtypes(*REFERENCE_COUNT_DTYPES)
@given(case=dropout_cases(p=open_probabilities), second=open_probabilities)
def test_adaptive_dropout_keeps_each_unit_with_its_own_probability(target, device, dtype, case, second):
    """Two features with keep probabilities π₁ = 1-p, π₂: each column's kept count is Binomial(n, π_j)
    (two exact tests), so a shared rate, a swapped π ↔ 1-π or a per-row draw is caught."""
    pi = np.array([1.0 - case.params["p"], second])
    sizes = [keep_count_size(1.0 - value) for value in pi]
    x = target.asarray(case_values(case.data_seed, (max(sizes), 2)), dtype, device)
    result = target.call(ADAPTIVE, x, target.asarray(pi, "float64", device), training=True,
                         generator=target.generator(case.seed, device or "cpu"))
    kept_rows = as_numpy(result.out) != 0
    for column, n in enumerate(sizes):
        # Each feature's test reads the first n rows its own design needs.
        assert_binomial(int(kept_rows[:n, column].sum()), n, float(pi[column]), design(KEEP_DELTA),
                        what=f"{target.name}.{ADAPTIVE}(π={pi.tolist()}) kept units of feature {column}",
                        replay=f"[{case.describe()}, keep_probability={pi.tolist()}]")


# ================================================================ invalid input

INVALID_P = [-0.1, 1.5, math.nan, "0.5", None]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@given(case=dropout_cases(shapes=gradient_shapes))
def test_numpy_and_torch_references_agree_on_spatial_dropout_given_the_same_mask(dtype, case):
    """The references round identically: torch's output equals NumPy's on torch's mask (via the backward, which
    applies the same mask and scale to any array)."""
    numpy_ref, torch_ref = load_target("numpy"), load_target("torch")
    shape = (2, 3, 4)
    x = torch_ref.asarray(case_values(case.data_seed, shape), dtype)
    out_t, mask_t = torch_ref.module.dropout1d(x, case.params["p"], generator=torch_ref.generator(case.seed))
    p = case.params["p"]
    cache = {"mask": as_numpy(mask_t), "scale": 0.0 if p == 1.0 else 1.0 / (1.0 - p)}
    assert_exact(out_t, numpy_ref.module.dropout1d_backward(as_numpy(x), cache),
                 what=f"torch vs numpy reference dropout1d(p={p}) [{case.describe()}]")


