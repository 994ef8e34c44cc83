"""Mixup and CutMix: properties every target must satisfy.

- mixup returns x̃ = λx + (1-λ)x[perm] and ỹ = λy + (1-λ)y[perm] for the λ and permutation it returns,
  with λ ~ Beta(α, α);
- cutmix pastes the partner's box (clipped at the borders) and weighs the labels by the area it
  actually pasted: λ_used = 1 - area/(H·W), exactly;
- both mix labels into rows that sum to 1.

Mixing is not a layer: every target provides ``op(x, y_onehot, alpha, *, generator)`` and the
suite calls it directly (the three-part return does not fit Target.call's (out, mask) form).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import assume, settings
from hypothesis import strategies as st
from scipy import stats as sps

import regstats as stats
from regstats import budget
from regverify.conformance.assertions import (
    as_numpy,
    assert_close,
    assert_distribution,
    assert_exact,
    assert_raises_invalid,
    assert_within,
)
from regverify.conformance.strategies import SEEDS, case_values, given
from regverify.conformance.tolerances import eps

#: α values drawn: the grid keeps the KS design (one bisection per α) cacheable.
ALPHAS = (0.2, 0.5, 1.0, 2.0)


@dataclass(frozen=True)
class MixCase:
    """An α, a batch of images (N, C, H, W), a class count and the seeds for data and randomness."""

    alpha: float
    shape: tuple[int, int, int, int]
    classes: int
    seed: int
    data_seed: int

    def inputs(self, target, dtype: str, device: str | None):
        x = target.asarray(case_values(self.data_seed, self.shape), dtype, device or "cpu")
        labels = np.random.default_rng(self.data_seed + 1).integers(self.classes, size=self.shape[0])
        y = target.asarray(np.eye(self.classes)[labels], dtype, device or "cpu")
        return x, y

    def run(self, target, operation: str, dtype: str, device: str | None):
        # timm's Mixup pairs sample i with N-1-i and takes even batches only (MIXING_EVEN_BATCHES).
        assume(self.shape[0] % 2 == 0 or not getattr(target.module, "MIXING_EVEN_BATCHES", False))
        x, y = self.inputs(target, dtype, device)
        mixed_x, mixed_y, params = getattr(target.module, operation)(
            x, y, self.alpha, generator=target.generator(self.seed, device or "cpu"))
        return x, y, mixed_x, mixed_y, params

    def replay(self, target, operation: str, device: str | None, dtype: str | None) -> str:
        device = device or "cpu"
        return (
            "Replay: python -c \"import numpy as np; from impls.protocol import load_target; "
            "from regverify.conformance.strategies import case_values; "
            f"t = load_target({target.module.__name__!r}); "
            f"x = t.asarray(case_values({self.data_seed}, {self.shape!r}), {dtype!r}, {device!r}); "
            f"y = t.asarray(np.eye({self.classes})[np.random.default_rng({self.data_seed + 1})"
            f".integers({self.classes}, size={self.shape[0]})], {dtype!r}, {device!r}); "
            f"print(t.module.{operation}(x, y, {self.alpha!r}, generator=t.generator({self.seed}, {device!r})))\""
        )


#: Image sides; tiny ones make CutMix boxes that touch (and are clipped by) the borders common.
SIDES = st.integers(min_value=1, max_value=6)
TINY_SIDES = st.integers(min_value=1, max_value=4)


@st.composite
def mix_cases(draw, sides=SIDES) -> MixCase:
    shape = (
        draw(st.integers(min_value=1, max_value=5), label="N"),
        draw(st.integers(min_value=1, max_value=3), label="C"),
        draw(sides, label="H"),
        draw(sides, label="W"),
    )
    return MixCase(
        alpha=draw(st.sampled_from(ALPHAS), label="alpha"),
        shape=shape,
        classes=draw(st.integers(min_value=2, max_value=5), label="classes"),
        seed=draw(SEEDS, label="seed"),
        data_seed=draw(SEEDS, label="data_seed"),
    )



def subnormal_spacing(dtype: str) -> float:
    """The spacing of dtype's subnormal numbers: a rounding into the subnormal range errs by up to half of it."""
    info = torch.finfo(getattr(torch, dtype))
    return float(info.smallest_normal * info.eps)


def permutation_of(params_permutation) -> np.ndarray:
    return as_numpy(params_permutation).astype(np.int64)


def assert_mixture(actual, a, own: float, partner: float, permutation, *, dtype: str, what: str, replay: str) -> None:
    """actual = own·a + partner·a[perm] up to the roundings of a mixture, bounded elementwise."""
    __tracebackhide__ = True
    a64 = as_numpy(a).astype(np.float64)
    expected = own * a64 + partner * a64[permutation]
    scale = own * np.abs(a64) + partner * np.abs(a64[permutation])
    # Target: each weight rounded to dtype (u), each product (u), the sum (u): ≤ 3u·scale to first order.
    # Oracle in float64: the weights, products, sum ≤ 3u₆₄·scale. So ≤ 3u + 3u₆₄ ≤ 3·eps(dtype)·scale, plus half a
    # subnormal spacing per rounding that underflows (a weight 1-λ ≈ 4e-6 is subnormal in float16).
    assert_within(actual, expected, 3 * eps(dtype) * scale + 2 * subnormal_spacing(dtype),
                  why=f"bound 3·eps({dtype})·(w|a|+w'|a[perm]|): weight, product and sum roundings, + 2 subnormal "
                      "spacings", what=what, replay=replay)


# ---------------------------------------------------------------- structure, exactly


@pytest.mark.operation("mixup", "cutmix")
@given(case=mix_cases())
def test_mixing_partner_is_a_permutation_of_the_batch(target, operation, device, dtype, case):
    *_, params = case.run(target, operation, dtype, device)
    permutation = permutation_of(params[-1])
    assert_exact(np.sort(permutation), np.arange(case.shape[0]),
                 what=f"{target.name}.{operation} partner indices, sorted", replay=case.replay(target, operation, device, dtype))


@pytest.mark.operation("mixup", "cutmix")
@given(case=mix_cases())
def test_mixing_preserves_shapes_and_dtypes(target, operation, device, dtype, case):
    x, y, mixed_x, mixed_y, _ = case.run(target, operation, dtype, device)
    replay = case.replay(target, operation, device, dtype)
    for name, before, after in (("x", x, mixed_x), ("y", y, mixed_y)):
        assert as_numpy(after).shape == as_numpy(before).shape, f"{target.name}.{operation} {name} shape changed. {replay}"
        assert after.dtype == before.dtype, (
            f"{target.name}.{operation} {name} dtype {after.dtype}, but should be {before.dtype}. {replay}")


@pytest.mark.claims("MIXUP.CONVEX_COMBINATION")
@pytest.mark.operation("mixup")
@given(case=mix_cases())
def test_mixup_output_is_the_convex_combination_for_the_returned_lambda(target, operation, device, dtype, case):
    x, y, mixed_x, mixed_y, (lam, permutation) = case.run(target, operation, dtype, device)
    replay = case.replay(target, operation, device, dtype)
    lam = float(lam)
    assert 0.0 <= lam <= 1.0, f"{target.name}.mixup λ={lam}, but should be in [0, 1]. {replay}"
    permutation = permutation_of(permutation)
    assert_mixture(mixed_x, x, lam, 1.0 - lam, permutation, dtype=dtype, what=f"{target.name}.mixup x̃ (λ={lam})",
                   replay=replay)
    assert_mixture(mixed_y, y, lam, 1.0 - lam, permutation, dtype=dtype, what=f"{target.name}.mixup ỹ (λ={lam})",
                   replay=replay)


@pytest.mark.claims("MIXUP.CONVEX_COMBINATION")
@pytest.mark.operation("mixup", "cutmix")
@given(case=mix_cases())
def test_mixed_labels_sum_to_one(target, operation, device, dtype, case):
    *_, mixed_y, _ = case.run(target, operation, dtype, device)
    sums = as_numpy(mixed_y).astype(np.float64).sum(axis=1)
    # One-hot rows: a row holds fl(w), fl(w') or fl(fl(w) + fl(w')) with w + w' = 1 up to one float64
    # rounding, so |sum - 1| ≤ 3u + u₆₄ ≤ 2·eps(dtype); the float64 sum of ≤ 2 nonzeros adds ≤ u₆₄ more.
    atol = 2 * eps(dtype) + 2 * eps("float64")
    assert_close(sums, np.ones_like(sums), rtol=0.0, atol=atol, why=f"3 roundings in {dtype} + 2 in float64",
                 what=f"{target.name}.{operation} label row sums", replay=case.replay(target, operation, device, dtype))


def box_mask(shape: tuple[int, int, int, int], box) -> np.ndarray:
    y1, y2, x1, x2 = box
    mask = np.zeros(shape, dtype=bool)
    mask[:, :, y1:y2, x1:x2] = True
    return mask


def cutmix_runs(case: MixCase, target, dtype: str, device: str | None):
    """CutMix on the case at 8 consecutive seeds (tiny images make boxes that touch, and are clipped by, the
    borders common): per run its inputs, outputs, λ_used, integer box (y1, y2, x1, x2), partner indices and
    replay snippet."""
    for offset in range(8):
        shifted = MixCase(case.alpha, case.shape, case.classes, case.seed + offset, case.data_seed)
        x, y, mixed_x, mixed_y, (lam_used, box, permutation) = shifted.run(target, "cutmix", dtype, device)
        yield (x, y, mixed_x, mixed_y, lam_used, tuple(int(v) for v in box), permutation_of(permutation),
               shifted.replay(target, "cutmix", device, dtype))


@pytest.mark.operation("cutmix")
@given(case=mix_cases(sides=TINY_SIDES))
def test_cutmix_pastes_the_partner_box_and_keeps_the_rest(target, operation, device, dtype, case):
    _, _, height, width = case.shape
    for x, _, mixed_x, _, _, box, permutation, replay in cutmix_runs(case, target, dtype, device):
        y1, y2, x1, x2 = box
        assert 0 <= y1 <= y2 <= height and 0 <= x1 <= x2 <= width, (
            f"{target.name}.cutmix box (y1, y2, x1, x2)={box}, but should lie in [0, {height}] × [0, {width}]. {replay}")
        x_np = as_numpy(x)
        assert_exact(mixed_x, np.where(box_mask(case.shape, box), x_np[permutation], x_np),
                     what=f"{target.name}.cutmix x̃ vs partner inside box {box}, original outside", replay=replay)


@pytest.mark.operation("cutmix")
@given(case=mix_cases(sides=TINY_SIDES))
def test_cutmix_label_weight_equals_the_pasted_area(target, operation, device, dtype, case):
    _, _, height, width = case.shape
    for _, y, _, mixed_y, lam_used, (y1, y2, x1, x2), permutation, replay in cutmix_runs(case, target, dtype, device):
        pasted = (y2 - y1) * (x2 - x1)
        # Exact integer arithmetic: λ_used must be the float nearest to (H·W - area)/(H·W).
        kept = Fraction(height * width - pasted, height * width)
        assert float(lam_used) == float(kept), (
            f"{target.name}.cutmix λ_used={float(lam_used)!r}, but should be 1 - {pasted}/{height * width} = "
            f"{float(kept)!r} for box {(y1, y2, x1, x2)} [exact]. {replay}")
        assert_mixture(mixed_y, y, float(kept), float(1 - kept), permutation, dtype=dtype,
                       what=f"{target.name}.cutmix ỹ for pasted area {pasted}/{height * width}", replay=replay)


@pytest.mark.operation("mixup", "cutmix")
@given(case=mix_cases())
def test_mixing_is_deterministic_under_a_fixed_seed(target, operation, device, dtype, case):
    first = case.run(target, operation, dtype, device)
    second = case.run(target, operation, dtype, device)
    replay = case.replay(target, operation, device, dtype)
    assert_exact(second[2], first[2], what=f"{target.name}.{operation} x̃ on a replayed seed", replay=replay)
    assert_exact(second[3], first[3], what=f"{target.name}.{operation} ỹ on a replayed seed", replay=replay)


# ---------------------------------------------------------------- λ's distribution (exact KS)


@functools.cache
def beta_design(alpha: float) -> tuple[stats.Design, int]:
    """Detect λ ~ Beta(α', α') for α' = α/2 or 2α with power 0.999: δ is the smaller sup-distance of their
    CDFs to Beta(α, α)'s, taken on a 10⁵-point grid (a grid max ≤ the true sup, so n errs on the large side)."""
    grid = np.linspace(0.0, 1.0, 100_001)
    null = sps.beta.cdf(grid, alpha, alpha)
    delta = min(float(np.abs(sps.beta.cdf(grid, a, a) - null).max()) for a in (alpha / 2, 2 * alpha))
    design = stats.Design(alpha=budget.alpha(), power=0.999, delta=delta)
    return design, stats.ks_sample_size(design)


@pytest.mark.claims("MIXUP.CONVEX_COMBINATION")
@pytest.mark.operation("mixup")
@pytest.mark.dtypes("float64")  # λ is drawn in float64 whatever x's dtype; one dtype suffices
@settings(max_examples=4)  # each example is ~3000 mixup calls (one λ per batch); 4 examples cover the α grid
@given(alpha=st.sampled_from(ALPHAS), seed=SEEDS)
def test_mixup_lambda_follows_beta_alpha_alpha(target, operation, device, dtype, alpha, seed):
    design, n = beta_design(alpha)
    x = target.asarray(np.array([[1.0], [2.0]]), dtype, device or "cpu")
    y = target.asarray(np.eye(2), dtype, device or "cpu")
    generator = target.generator(seed, device or "cpu")
    lams = np.array([float(target.module.mixup(x, y, alpha, generator=generator)[2][0]) for _ in range(n)])
    assert_distribution(stats.ks_distance(lams, lambda v: sps.beta.cdf(v, alpha, alpha)), n, design,
                        law=f"Beta({alpha}, {alpha}) (δ = sup-distance to Beta(α/2, α/2) or Beta(2α, 2α))",
                        what=f"{target.name}.mixup(alpha={alpha}) λ sample",
                        replay=f"Replay: {n} successive calls of {target.module.__name__}.mixup with generator seed {seed}")


# ---------------------------------------------------------------- invalid input

INVALID_ALPHA = [0.0, -1.0, math.nan, math.inf, "1", None]


@pytest.mark.operation("mixup", "cutmix")
def test_mixing_rejects_labels_whose_batch_differs_from_x(target, operation):
    x = target.asarray(np.ones((3, 1, 2, 2)), "float32")
    y = target.asarray(np.eye(2), "float32")
    error = assert_raises_invalid(
        lambda: getattr(target.module, operation)(x, y, 1.0, generator=target.generator(0)),
        parameter="y_onehot", value="shape (2, 2) for a batch of 3", accepted=(ValueError, TypeError, RuntimeError),
        what=f"{target.name}.{operation}",
    )
    if getattr(target.module, "ERROR_CONTRACT", False):
        assert "y_onehot" in str(error), f"{target.name}.{operation} error {str(error)!r} should name y_onehot"
