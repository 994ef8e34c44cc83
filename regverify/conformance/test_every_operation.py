"""Properties every operation shares, instantiated from its spec (impls/protocol/): one record per operation,
read here, so a new operation gets them by being registered.

- contract: every target rejects each invalid call of the spec's table (a built-in that accepts one
  silently is a finding, declared in its adapter's FINDINGS with where it was reported); a target that
  claims the error contract names the parameter, the value and the allowed range;
- theory, for each stochastic operation with an example call: the same generator state gives the same
  output, the call leaves its inputs as they were, eval mode follows the spec's eval rule, the training
  output and the backward are what the returned randomness determines, and the kept units are
  Bernoulli(1 - p) (exact binomial test at the suite's per-check α, power 0.999 against |Δkeep| ≥ 0.01).
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import regstats as stats
from impls.protocol import OPERATIONS
from regstats import budget
from regverify.conformance.assertions import as_numpy, assert_binomial, assert_close, assert_exact
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
    try:
        result = case.call(target)
    except REJECTIONS:
        return
    except Exception as error:  # noqa: BLE001 - any other exception is the wrong signal, named as such
        raise AssertionError(f"{what} raised {type(error).__name__}: {error}, but should raise ValueError or "
                             f"TypeError naming {case.parameter} and the range {case.allowed}") from error
    finding = target.findings().get(f"{operation}:{case.label}")
    if finding:
        pytest.xfail(f"FINDING: {what} returned {_returned(result)} silently: {finding}")
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


def _example(target, operation: str, device: str, dtype: str, seed: int, **options: object) -> tuple[tuple, dict]:
    return OPERATIONS[operation].example(target, device, dtype, seed, **options)


@pytest.mark.spec_cases("example")
@given(seed=SEEDS)
def test_same_generator_state_gives_the_same_output(target, operation, device, dtype, seed):
    args, kwargs = _example(target, operation, device, dtype, seed)
    first = target.call(operation, *args, **kwargs)
    args, kwargs = _example(target, operation, device, dtype, seed)
    again = target.call(operation, *args, **kwargs)
    assert_exact(first.out, again.out, what=f"{target.name}.{operation} output under generator seed {seed}, twice")


@pytest.mark.spec_cases("example")
@given(seed=SEEDS)
def test_operation_leaves_its_inputs_unmodified(target, operation, device, dtype, seed):
    args, kwargs = _example(target, operation, device, dtype, seed)
    before = [as_numpy(a).copy() for a in args if hasattr(a, "shape")]
    target.call(operation, *args, **kwargs)
    after = [as_numpy(a) for a in args if hasattr(a, "shape")]
    for index, (old, new) in enumerate(zip(before, after, strict=True)):
        assert_exact(new, old, what=f"{target.name}.{operation} argument {index} after the call (seed {seed})")


@pytest.mark.spec_cases("example")
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
