"""Properties every operation shares, instantiated from its spec (impls/protocol/): one record per operation,
read here, so a new operation gets them by being registered.

- contract: every target rejects each invalid call of the spec's table (a built-in that accepts one
  silently is a finding, declared in its adapter's FINDINGS with where it was reported); a target that
  claims the error contract names the parameter, the value and the allowed range;
- theory, for each stochastic operation with an example call: the same generator state gives the same
  output, the call leaves its inputs as they were, eval mode follows the spec's eval rule, the training
  output and the backward are what the returned randomness determines, and the kept units are
  Bernoulli(1 - p) (exact binomial test at the suite's per-check α, power 0.999 against |Δkeep| ≥ 0.01);
- edge, for the same operations: p = 0 is the identity in training, and (where the example draws a stated number
  of units) never drops a unit even rarely: a drop rate of 2⁻¹⁹ per unit is caught with power 0.99 in ci, 2⁻²⁴
  (one float32 uniform's resolution: `u > p` instead of `u >= p`) in thorough;
- edge, for each operation with a structure rule: value edges and layouts (VALUE_EDGE_POLICY below) follow it too.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st

import regstats as stats
from impls.protocol import OPERATIONS, conventions
from regstats import budget
from regverify.conformance.assertions import as_numpy, assert_binomial, assert_close, assert_exact
from regverify.conformance.plugin import per_cell_examples
from regverify.conformance.strategies import given
from regverify.conformance.tolerances import eps

SEEDS = st.integers(0, 2**32 - 1)
REJECTIONS = (ValueError, TypeError, RuntimeError)


def _returned(result: object) -> str:
    out = getattr(result, "out", result)
    try:
        return f"{type(out).__name__} {np.asarray(as_numpy(out)).round(4).tolist()!r}"[:160]
    except Exception:  # noqa: BLE001 - describing an arbitrary return value must not mask the finding
        return type(out).__name__


def _normalized(text: str) -> str:
    # "[0.0, 1.0)" and "[0, 1)" state the same range: compare without spaces and trailing ".0".
    return text.replace(" ", "").replace(".0", "")


# ---------------------------------------------------------------- contract: invalid input


@pytest.mark.tier("contract")
@pytest.mark.spec_cases("invalid")
def test_invalid_parameter_is_rejected_not_silently_used(target, operation, case):
    what = f"{target.name}.{operation}({case.label})"
    legitimate = conventions.makes_valid(target, operation, case.label)
    if legitimate:  # e.g. patience=0 under Keras's early-stopping convention: test_conventions checks its meaning
        pytest.skip(legitimate)
    # A user's code through a convention adapter (homework) promises no error contract: any exception rejects
    # the call (a ZeroDivisionError included), and silent acceptance is a finding, not a failure.
    homework = getattr(target.module, "CONVENTION", None) and not getattr(target.module, "ERROR_CONTRACT", False)
    try:
        result = case.call(target)
    except REJECTIONS:
        return
    except Exception as error:  # noqa: BLE001 - any other exception is the wrong signal, named as such
        if homework:
            return
        finding = target.findings().get(f"{operation}:{case.label}")
        if finding:  # a built-in that rejects with the wrong exception type (IndexError from deep inside)
            pytest.xfail(f"FINDING: {what} raised {type(error).__name__}: {error}: {finding}")
        raise AssertionError(f"{what} raised {type(error).__name__}: {error}, but should raise ValueError or "
                             f"TypeError naming {case.parameter} and the range {case.allowed}") from error
    finding = target.findings().get(f"{operation}:{case.label}")
    if finding:
        pytest.xfail(f"FINDING: {what} returned {_returned(result)} silently: {finding}")
    if homework:
        pytest.xfail(f"FINDING: {what} returned {_returned(result)} silently (no error contract declared)")
    raise AssertionError(f"{what} returned {_returned(result)} silently, but should raise ValueError or TypeError "
                         f"(allowed: {case.allowed})")


@pytest.mark.tier("contract")
@pytest.mark.spec_cases("invalid")
@pytest.mark.requires("error_contract")
def test_invalid_parameter_error_names_it_its_value_and_range(target, operation, case):
    what = f"{target.name}.{operation}({case.label})"
    try:
        case.call(target)
    except (ValueError, TypeError) as raised:
        error = raised
    else:
        raise AssertionError(f"{what} returned silently, but should raise ValueError or TypeError")
    message = str(error)
    assert message.startswith(f"{operation}:"), f"{what} error {message!r} should start by naming {operation}"
    named = re.search(rf"(?<!\w){re.escape(case.parameter)}(?!\w)", message)  # "p" as a word, not a letter
    assert named and case.value_as_shown in message, (
        f"{what} error {message!r} should name {case.parameter} and the value {case.value_as_shown}")
    if isinstance(error, ValueError):
        assert _normalized(case.allowed) in _normalized(message), (
            f"{what} error {message!r} should state the allowed {case.allowed}")


# ---------------------------------------------------------------- theory: stochastic operations with an example


#: The three properties below draw only the generator seed (the spec's example fixes shape and p) and hold for
#: every call: a cell is one operation × target × device × dtype, so 4 seeds a cell give each operation 16 calls a
#: run in its 4 per-change cells (more under --full), where the profile's 10 would repeat the same check on more
#: seeds of the same input law (~1 s of a run for the three).
SEED_ONLY_EXAMPLES = per_cell_examples(4)


def _example(target, operation: str, device: str, dtype: str, seed: int, **options: object) -> tuple[tuple, dict]:
    return OPERATIONS[operation].example(target, device, dtype, seed, **options)


@pytest.mark.spec_cases("example")
@SEED_ONLY_EXAMPLES
@given(seed=SEEDS)
def test_same_generator_state_gives_the_same_output(target, operation, device, dtype, seed):
    args, kwargs = _example(target, operation, device, dtype, seed)
    first = target.call(operation, *args, **kwargs)
    args, kwargs = _example(target, operation, device, dtype, seed)
    again = target.call(operation, *args, **kwargs)
    assert_exact(first.out, again.out, what=f"{target.name}.{operation} output under generator seed {seed}, twice")


@pytest.mark.spec_cases("example")
@SEED_ONLY_EXAMPLES
@given(seed=SEEDS)
def test_operation_leaves_its_inputs_unmodified(target, operation, device, dtype, seed):
    args, kwargs = _example(target, operation, device, dtype, seed)
    before = [as_numpy(a).copy() for a in args if hasattr(a, "shape")]
    target.call(operation, *args, **kwargs)
    after = [as_numpy(a) for a in args if hasattr(a, "shape")]
    for index, (old, new) in enumerate(zip(before, after, strict=True)):
        assert_exact(new, old, what=f"{target.name}.{operation} argument {index} after the call (seed {seed})")


@pytest.mark.spec_cases("example")
@SEED_ONLY_EXAMPLES
@given(seed=SEEDS)
def test_eval_mode_follows_the_operation_eval_rule(target, operation, device, dtype, seed):
    rule = OPERATIONS[operation].eval_rule
    args, kwargs = _example(target, operation, device, dtype, seed)
    x, p = args[0], args[1]
    out = as_numpy(target.call(operation, *args, **{**kwargs, "training": False}).out)
    if rule == "identity":
        assert_exact(out, as_numpy(x), what=f"{target.name}.{operation}(p={p}, training=False)")
    else:
        # (1-p)·x: one rounding of 1-p and one of the product, each ≤ eps/2 relative.
        expected = as_numpy(x).astype(np.float64) * (1.0 - p)
        assert_close(out, expected, rtol=2 * eps(dtype), atol=0.0, why="two roundings of eps/2: 1-p and the product",
                     what=f"{target.name}.{operation}(p={p}, training=False) vs (1-p)·x")


# ---------------------------------------------------------------- theory: the returned randomness and its law

OPEN_PROBABILITIES = st.sampled_from([0.1, 0.25, 0.5, 0.75, 0.9])


def _numpy_mask(mask: object) -> object:
    return {key: as_numpy(value) for key, value in mask.items()} if isinstance(mask, dict) else as_numpy(mask)


def _structure_tolerance(dtype: str) -> tuple[float, str]:
    # The scale or per-unit coefficient is rounded once to the dtype, the product once: 2 roundings of eps/2.
    return 2 * eps(dtype), f"2 roundings of eps({dtype})/2: the scale or coefficient, then the product"


@pytest.mark.spec_cases("structure")
@given(seed=SEEDS, p=OPEN_PROBABILITIES)
def test_training_output_is_what_the_returned_randomness_determines(target, operation, device, dtype, seed, p):
    args, kwargs = _example(target, operation, device, dtype, seed, p=p)
    result = target.call(operation, *args, **kwargs)
    x = as_numpy(args[0]).astype(np.float64)
    expected = OPERATIONS[operation].structure(x, _numpy_mask(result.mask), p)
    rtol, why = _structure_tolerance(dtype)
    assert_close(result.out, expected, rtol=rtol, atol=0.0, why=why,
                 what=f"{target.name}.{operation}(p={p}) training output vs its returned randomness (seed {seed})")


@pytest.mark.spec_cases("backward_rule")
@pytest.mark.requires("backward")
@given(seed=SEEDS, p=OPEN_PROBABILITIES)
def test_backward_is_what_the_returned_randomness_determines(target, operation, device, dtype, seed, p):
    args, kwargs = _example(target, operation, device, dtype, seed, p=p)
    result = target.call(operation, *args, **kwargs)
    dout = as_numpy(args[0]).astype(np.float64)[::-1].copy()  # any upstream gradient; reversed x is nonzero
    (dx,) = result.backward(target.asarray(dout, dtype, device))[:1]
    expected = OPERATIONS[operation].backward_rule(dout, _numpy_mask(result.mask), p)
    rtol, why = _structure_tolerance(dtype)
    assert_close(dx, expected, rtol=rtol, atol=0.0, why=why,
                 what=f"{target.name}.{operation}(p={p}) backward vs its returned randomness (seed {seed})")


def _law_design() -> stats.Design:
    """A keep rate off by 0.01 is caught 999 times in 1000, at the suite's per-check α."""
    return stats.Design(alpha=budget.alpha(), power=0.999, delta=0.01)


@pytest.mark.spec_cases("units")
@pytest.mark.dtypes("float32")
@settings(max_examples=2)
@given(seed=SEEDS, p=OPEN_PROBABILITIES)
def test_kept_units_are_bernoulli_with_the_keep_probability(target, operation, device, dtype, seed, p):
    design = _law_design()
    n = stats.binomial_sample_size(1.0 - p, design)
    args, kwargs = _example(target, operation, device, dtype, seed, p=p, units=n)
    result = target.call(operation, *args, **kwargs)
    kept = OPERATIONS[operation].units(_numpy_mask(result.mask))
    assert_binomial(int(np.count_nonzero(kept)), int(kept.size), 1.0 - p, design,
                    what=f"{target.name}.{operation}(p={p}) kept {OPERATIONS[operation].random_unit}s",
                    replay=f"[seed {seed}]")


# ---------------------------------------------------------------- edge: p = 0 is the identity, even for rare events


@pytest.mark.tier("edge")
@pytest.mark.spec_cases("example")
@settings(max_examples=2)  # deterministic given the call: two inputs per cell suffice, every dtype is a cell
@given(seed=SEEDS)
def test_p_zero_is_the_identity_in_training(target, operation, device, dtype, seed):
    """At p = 0 (σ = 0 for additive noise) nothing is dropped and nothing is scaled: out is x, bitwise."""
    args, kwargs = _example(target, operation, device, dtype, seed, p=0.0)
    result = target.call(operation, *args, **kwargs)
    assert_exact(result.out, as_numpy(args[0]), what=f"{target.name}.{operation}(p=0.0) training output vs x (seed {seed})")


#: A drop rate per unit that the p = 0 check must catch, and the power: 2⁻²⁴ is the resolution of a float32
#: uniform, the rate of `keep = u > p` (instead of u ≥ p) at p = 0; ci checks a coarser rate, 32 times larger.
RARE_DROP_RATE = {"thorough": 2.0**-24, "default": 2.0**-19}
RARE_DROP_POWER = 0.99
#: Units per call: the check is split into calls of this size so memory stays ~10 MB whatever n is.
RARE_DROP_CHUNK = 2**20


def rare_drop_units(rate: float, power: float = RARE_DROP_POWER) -> int:
    """The n at which a drop rate `rate` per unit shows at least one drop with probability `power`:
    P(no drop in n) = (1 - rate)^n ≤ 1 - power  ⇔  n ≥ ln(1 - power)/ln(1 - rate).
    2⁻¹⁹ at power 0.99: 2,414,434 units; 2⁻²⁴: 77,261,933 (a correct target never drops, so no false failure)."""
    return math.ceil(math.log(1.0 - power) / math.log1p(-rate))


def rare_drop_rate() -> float:
    # The thorough profile multiplies the examples (and the check allocation) by 10: it affords the finer rate.
    thorough = budget.allocation() >= 10 * stats.RANDOM_CHECK_ALLOCATION
    return RARE_DROP_RATE["thorough" if thorough else "default"]


@pytest.mark.tier("edge")
@pytest.mark.spec_cases("units")
@pytest.mark.dtypes("float32")
def test_p_zero_never_drops_a_unit_even_rarely(target, operation, device, dtype):
    rate = rare_drop_rate()
    n = rare_drop_units(rate)
    calls = math.ceil(n / RARE_DROP_CHUNK)
    for call in range(calls):
        args, kwargs = _example(target, operation, device, dtype, call, p=0.0, units=RARE_DROP_CHUNK)
        result = target.call(operation, *args, **kwargs)
        kept = OPERATIONS[operation].units(_numpy_mask(result.mask))
        dropped = int(kept.size - np.count_nonzero(kept))
        out, x = as_numpy(result.out), as_numpy(args[0])
        changed = int(np.count_nonzero(out != x)) if out.shape == x.shape else out.size
        if dropped or changed:
            raise AssertionError(
                f"{target.name}.{operation}(p=0.0) dropped {dropped} {OPERATIONS[operation].random_unit}s and changed "
                f"{changed} outputs in call {call + 1} of {calls} ({RARE_DROP_CHUNK} units each, generator seed {call}), "
                f"but p = 0 must keep every unit and return x [the check draws {calls * RARE_DROP_CHUNK} units: a drop "
                f"rate ≥ {rate:.3g} per unit shows with probability ≥ {RARE_DROP_POWER}]")


# ---------------------------------------------------------------- edge: value edges and memory layouts

#: The NaN/inf propagation policy of every operation with a structure rule (what PyTorch's own elementwise ops do):
#: finite inputs follow the rule (zeros keep their sign, subnormals are not flushed, products beyond the dtype's
#: range are ±inf); a kept unit carries NaN and ±inf through (NaN stays NaN, ±inf·scale stays ±inf); a dropped unit
#: whose input is NaN or ±inf may be 0 (where(mask, x·s, 0)) or NaN (x·mask·s, as F.dropout computes it). Empty
#: inputs give empty outputs; strided and transposed inputs give the same values as contiguous ones.
VALUE_EDGE_POLICY = "finite: the rule; kept non-finite: propagated; dropped non-finite: 0 or NaN"
LAYOUTS = ("contiguous", "strided", "transposed", "empty")


def _edge_values(shape: tuple[int, ...], dtype: str, seed: int) -> np.ndarray:
    """Zeros of both signs, ± the smallest subnormal and the largest finite value of `dtype`, ±inf, NaN, and
    ordinary values, shuffled by `seed` (float64: every one is exactly representable in `dtype`)."""
    import torch

    info = torch.finfo(getattr(torch, dtype))
    tiny = info.smallest_normal * info.eps  # the smallest subnormal: 2^(emin - mantissa bits)
    specials = np.array([0.0, -0.0, tiny, -tiny, info.max, -info.max, math.inf, -math.inf, math.nan, 1.5, -0.75])
    rng = np.random.default_rng(seed)
    return rng.choice(specials, size=shape)


def _laid_out(target, values: np.ndarray, dtype: str, device: str, layout: str):
    """`values` as the target's array in `layout`: a view with a stride of 2 along the last axis, or the transpose
    of a contiguous array of the transposed values (same logical values either way)."""
    if layout == "strided":
        wide = np.repeat(values, 2, axis=-1)
        wide[..., 1::2] = 7.0  # the skipped elements: a layout mistake that reads them shows up
        return target.asarray(wide, dtype, device)[..., ::2]
    if layout == "transposed" and values.ndim >= 2:
        array = target.asarray(np.ascontiguousarray(np.swapaxes(values, -1, -2)), dtype, device)
        return array.swapaxes(-1, -2) if target.backend == "numpy" else array.transpose(-1, -2)
    return target.asarray(values, dtype, device)


def _in_dtype(target, values: np.ndarray, dtype: str) -> np.ndarray:
    # The float64 rule rounded once to the target's dtype: what a correct target returns, overflow to ±inf included.
    with np.errstate(over="ignore", invalid="ignore"):
        return as_numpy(target.asarray(values, dtype)).astype(np.float64)


@pytest.mark.tier("edge")
@pytest.mark.spec_cases("structure")
@pytest.mark.parametrize("layout", LAYOUTS)
@settings(max_examples=1)  # each example holds every special value: one per cell (target × dtype × layout)
@given(seed=SEEDS, p=OPEN_PROBABILITIES)
def test_value_edges_and_layouts_follow_the_structure_and_the_nan_policy(target, operation, device, dtype, layout,
                                                                         seed, p):
    args, kwargs = _example(target, operation, device, dtype, seed, p=p)
    shape = tuple(as_numpy(args[0]).shape)
    shape = (0, *shape[1:]) if layout == "empty" else shape
    x = _laid_out(target, _edge_values(shape, dtype, seed), dtype, device, layout)
    what = f"{target.name}.{operation}(p={p}) on {layout} input of shape {shape} with zeros, subnormals, ±max, ±inf, NaN"
    try:
        result = target.call(operation, x, *args[1:], **kwargs)
    except Exception as error:  # noqa: BLE001 - a valid input must not raise: the failure names the exception
        raise AssertionError(f"{what} raised {type(error).__name__}: {error}, but these inputs are valid") from error
    x64 = as_numpy(x).astype(np.float64)
    mask = _numpy_mask(result.mask)
    with np.errstate(over="ignore", invalid="ignore"):
        expected = _in_dtype(target, OPERATIONS[operation].structure(x64, mask, p), dtype)
    out = as_numpy(result.out).astype(np.float64)
    if out.shape != expected.shape:
        raise AssertionError(f"{what}: output shape {out.shape}, but should be {expected.shape}")
    import torch

    subnormal_ulp = torch.finfo(getattr(torch, dtype)).smallest_normal * torch.finfo(getattr(torch, dtype)).eps
    rtol, why = _structure_tolerance(dtype)
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(expected)
        close = finite & (np.abs(out - expected) <= rtol * np.abs(expected) + subnormal_ulp)
        same_special = ~finite & ((out == expected) | (np.isnan(out) & np.isnan(expected)))
        # Dropped units of a non-finite input: 0 or NaN (the policy); expected is 0 there.
        dropped_nonfinite = ~np.isfinite(x64) & (expected == 0) & ((out == 0) | np.isnan(out))
    bad = ~(close | same_special | dropped_nonfinite)
    if bad.any():
        i = tuple(int(k) for k in np.argwhere(bad)[0])
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {out.size} outputs break the rule (first at {i}: input {x64[i]!r}, output "
            f"{out[i]!r}, but should be {expected[i]!r}) [policy: {VALUE_EDGE_POLICY}; rtol {rtol:.2g} ({why}) + one "
            f"subnormal ulp {subnormal_ulp:.2g}] (seed {seed})")
