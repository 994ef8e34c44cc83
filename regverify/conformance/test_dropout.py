"""Dropout, inverted and standard: properties every target must satisfy.

Both conventions share one description, so each property is written once:

- inverted dropout scales survivors by 1/(1-p) in training and is the identity in eval;
- standard dropout keeps survivors unscaled and multiplies by the keep probability 1-p in eval.

In both, E[training output] = eval output: that is the test-time rule the lectures state.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import assume
from hypothesis import strategies as st

import regstats as stats
from impls.protocol import conventions, load_target
from regstats import budget
from regverify.conformance.assertions import (
    as_numpy,
    assert_binomial_sequential,
    assert_close,
    assert_exact,
    block_seed,
)
from regverify.conformance.strategies import dropout_cases, given, gradient_shapes, open_probabilities
from regverify.conformance.tolerances import eps

OPERATIONS = ("dropout", "dropout_standard")


def train_scale(operation: str, p: float) -> float:
    if operation == "dropout":
        return 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    return 1.0


def eval_scale(operation: str, p: float) -> float:
    return 1.0 if operation == "dropout" else 1.0 - p



def scaling_tolerance(dtype: str) -> tuple[float, str]:
    # out = round(x · round(s)): the scale may be rounded once or twice (1/(1-p) or via a rounded 1-p)
    # and the product once, each by at most u = eps/2: |out - x·s| ≤ 3u|x·s| < 2·eps·|x·s|.
    return 2 * eps(dtype), f"≤ 3 roundings of u = eps({dtype})/2 in the scale and the product"


def as_reciprocal(scale: float) -> str:
    """A scale as the lectures write it, 1/keep: "1/0.7" rather than 1.4286 (and "1/1" for no scaling)."""
    if not np.isfinite(scale):
        return str(scale)
    return "0" if scale == 0 else f"1/{1 / scale:.6g}"


def survivors_scale(out, x, mask) -> float:
    """The median of out/x over the elements the mask keeps (nan when none is kept)."""
    kept = np.asarray(as_numpy(mask), dtype=bool)
    ratio = as_numpy(out).astype(np.float64)[kept] / as_numpy(x).astype(np.float64)[kept]
    return float(np.median(ratio)) if ratio.size else math.nan


def keep_design() -> stats.Design:
    """Keep-rate tests: α from the suite budget; a keep rate off by 0.01 is caught 999 times in 1000."""
    return stats.Design(alpha=budget.alpha(), power=0.999, delta=0.01)


def run(target, operation, case, device, dtype, *, training=True, values=None):
    # p = 1 is outside the domain of a target declaring dropout.p_one="rejected" (TensorFlow's rate in [0, 1)):
    # test_conventions checks that it rejects it; the properties here draw another example instead.
    if operation == "dropout" and case.params["p"] == 1.0:
        assume(conventions.behaviour(target, "dropout", "p_one") != "rejected")
    x = target.asarray(case.values() if values is None else values, dtype, device)
    result = target.call(operation, x, case.params["p"], training=training, generator=target.generator(case.seed, device))
    return x, result


# ---------------------------------------------------------------- structure, exactly


@pytest.mark.operation(*OPERATIONS)
@pytest.mark.claims("DROPOUT.MASK.BERNOULLI")
@given(case=dropout_cases(p=open_probabilities))
def test_dropout_mask_is_binary_and_matches_the_zeros(target, operation, device, dtype, case):
    x, result = run(target, operation, case, device, dtype)
    replay = case.replay(target, operation, device, dtype, training=True)
    mask = as_numpy(result.mask)
    assert mask.dtype == np.bool_, f"{target.name}.{operation} mask dtype {mask.dtype}, but should be bool. {replay}"
    assert_exact(mask.shape, as_numpy(x).shape, what=f"{target.name}.{operation} mask shape", replay=replay)
    # Inputs are nonzero, so an element is dropped exactly when its output is zero (or p = 1 zeroes all).
    expected_nonzero = mask if case.params["p"] < 1.0 else np.zeros_like(mask)
    assert_exact(as_numpy(result.out) != 0, expected_nonzero, what=f"{target.name}.{operation} nonzero outputs vs mask", replay=replay)


@pytest.mark.operation(*OPERATIONS)
@pytest.mark.claims("DROPOUT.INVERTED.MEAN", "DROPOUT.STANDARD.TEST_SCALING")
@given(case=dropout_cases(p=open_probabilities))
def test_dropout_survivors_carry_the_training_scale(target, operation, device, dtype, case):
    x, result = run(target, operation, case, device, dtype)
    p = case.params["p"]
    mask = as_numpy(result.mask)
    expected = np.where(mask, as_numpy(x).astype(np.float64) * train_scale(operation, p), 0.0)
    rtol, why = scaling_tolerance(dtype)
    observed = survivors_scale(result.out, x, mask)
    assert_close(
        result.out, expected, rtol=rtol, atol=0.0, why=why,
        what=f"{target.name}.{operation}(x, p={p}) training output (survivors scaled by {as_reciprocal(observed)}, "
             f"should be {as_reciprocal(train_scale(operation, p))})",
        replay=case.replay(target, operation, device, dtype, training=True),
    )


@pytest.mark.operation(*OPERATIONS)
@pytest.mark.claims("DROPOUT.INVERTED.EVAL_IDENTITY", "DROPOUT.STANDARD.TEST_SCALING")
@given(case=dropout_cases(p=open_probabilities))
def test_dropout_eval_applies_the_eval_scale(target, operation, device, dtype, case):
    x, result = run(target, operation, case, device, dtype, training=False)
    p = case.params["p"]
    replay = case.replay(target, operation, device, dtype, training=False)
    zeroed = int((as_numpy(result.out) == 0).sum())
    what = f"{target.name}.{operation}(x, p={p}, training=False) ({zeroed} of {as_numpy(x).size} zeroed)"
    mask = as_numpy(result.mask)
    assert mask.dtype == np.bool_ and mask.all(), f"{what} mask should be all-True bool (nothing dropped in eval). {replay}"
    if eval_scale(operation, p) == 1.0:
        assert_exact(result.out, x, what=f"{what} (must be the identity, bit for bit)", replay=replay)
    else:
        rtol, why = scaling_tolerance(dtype)
        expected = as_numpy(x).astype(np.float64) * eval_scale(operation, p)
        assert_close(result.out, expected, rtol=rtol, atol=0.0, why=why, what=what, replay=replay)


def check_boundary_p(target, operation, device, dtype, case, p: float) -> None:
    """p = 0 keeps every unit unscaled; p = 1 drops every unit: the output is x, or all zeros, exactly."""
    boundary = case.__class__({"p": p}, case.seed, case.data_seed, case.shape)
    x, result = run(target, operation, boundary, device, dtype)
    expected = x if p == 0.0 else np.zeros(as_numpy(x).shape, dtype=as_numpy(x).dtype)
    assert_exact(result.out, expected, what=f"{target.name}.{operation}(x, p={p}) training output",
                 replay=boundary.replay(target, operation, device, dtype, training=True))


# p = 0 and p = 1 are boundary values: each its own property (edge tier), so neither can hide the other or an
# interior failure.
@pytest.mark.tier("edge")
@pytest.mark.operation(*OPERATIONS)
@given(case=dropout_cases(p=st.just(0.0)))  # drawn as itself, so the falsifying example shows the failing p
def test_dropout_at_p_0_keeps_everything(target, operation, device, dtype, case):
    check_boundary_p(target, operation, device, dtype, case, 0.0)


@pytest.mark.tier("edge")
@pytest.mark.operation(*OPERATIONS)
@given(case=dropout_cases(p=st.just(1.0)))
@pytest.mark.requires("convention:dropout.p_one=zeros", "p_one_defined")
def test_dropout_at_p_1_drops_everything(target, operation, device, dtype, case):
    check_boundary_p(target, operation, device, dtype, case, 1.0)


@pytest.mark.operation(*OPERATIONS)
@given(case=dropout_cases(p=open_probabilities))
def test_dropout_is_deterministic_under_a_fixed_seed(target, operation, device, dtype, case):
    _, first = run(target, operation, case, device, dtype)
    _, second = run(target, operation, case, device, dtype)
    replay = case.replay(target, operation, device, dtype, training=True)
    assert_exact(second.out, first.out, what=f"{target.name}.{operation} output on a replayed seed", replay=replay)
    assert_exact(second.mask, first.mask, what=f"{target.name}.{operation} mask on a replayed seed", replay=replay)


# ---------------------------------------------------------------- distribution, by exact tests


@pytest.mark.operation(*OPERATIONS)
@pytest.mark.claims("DROPOUT.MASK.BERNOULLI")
@given(case=dropout_cases(p=open_probabilities))
def test_dropout_keep_count_is_binomial_with_keep_probability_1_minus_p(target, operation, device, dtype, case):
    """Sequential: blocks of draws (block j on its own seed, block_seed(seed, j)) until the keep count decides."""
    p = case.params["p"]
    blocks = []

    def draw_block(m: int) -> tuple[int, int]:
        blocks.append(case.__class__(case.params, block_seed(case.seed, len(blocks)), case.data_seed, (m,)))
        _, result = run(target, operation, blocks[-1], device, dtype)
        return int(as_numpy(result.mask).sum()), m

    assert_binomial_sequential(
        draw_block, 1.0 - p, keep_design(), what=f"{target.name}.{operation}(p={p}) keep count",
        replay=lambda: f"[{case.describe()}; last block] " + blocks[-1].replay(target, operation, device, dtype,
                                                                             training=True),
    )


@pytest.mark.operation(*OPERATIONS)
@pytest.mark.claims("DROPOUT.INVERTED.MEAN", "DROPOUT.INVERTED.VARIANCE", "DROPOUT.STANDARD.TEST_SCALING")
@given(case=dropout_cases(p=open_probabilities))
def test_dropout_training_mean_equals_eval_output_with_bernoulli_variance(target, operation, device, dtype, case):
    """Outputs only (the returned mask is not trusted): the ratio r = out/x must take the values 0 and
    the training scale s, and its count of s-values must be Binomial(n, 1-p); then E[r] = s(1-p), which
    is the eval scale, and Var[r] = s²p(1-p) (for inverted dropout p/(1-p)), both exactly."""
    p = case.params["p"]
    s = train_scale(operation, p)
    rtol, why = scaling_tolerance(dtype)
    blocks, sums = [], np.zeros(3)  # Σ 1, Σ r, Σ r² over the blocks drawn

    def draw_block(m: int) -> tuple[int, int]:
        blocks.append(case.__class__(case.params, block_seed(case.seed, len(blocks)), case.data_seed, (m,)))
        x, result = run(target, operation, blocks[-1], device, dtype)
        ratio = as_numpy(result.out).astype(np.float64) / as_numpy(x).astype(np.float64)
        survivors = ratio != 0
        assert_close(ratio[survivors], np.full(int(survivors.sum()), s), rtol=rtol, atol=0.0, why=why,
                     what=f"{target.name}.{operation}(p={p}) out/x of survivors",
                     replay=blocks[-1].replay(target, operation, device, dtype, training=True))
        sums[:] += (m, ratio.sum(), (ratio * ratio).sum())
        return int(survivors.sum()), m

    def what() -> str:
        mean = sums[1] / sums[0]
        return (f"{target.name}.{operation}(x, p={p}) E[out/x]={mean:.4f} (should be {eval_scale(operation, p):.4f}), "
                f"Var[out/x]={sums[2] / sums[0] - mean * mean:.4f} (should be {s * s * p * (1 - p):.4f}); survivor count")

    outcome = assert_binomial_sequential(
        draw_block, 1.0 - p, keep_design(), what=f"{target.name}.{operation}(x, p={p}) survivor count",
        replay=lambda: f"{what()} [{case.describe()}; last block] "
                       + blocks[-1].replay(target, operation, device, dtype, training=True),
    )
    assert outcome.n == sums[0], f"{what()}: the test counted {outcome.n} draws, the property {sums[0]:.0f}"


# ---------------------------------------------------------------- gradients


def gradient_diagnosis(target, operation, device, dtype, case, *, training: bool) -> str:
    """Where a backward goes wrong, measured on its own well-conditioned call (p = 0.5, 64 units, so some are
    dropped and some kept whatever example failed): do dropped units get a gradient, and by what are kept
    units' gradients scaled. Named in the failure message, so the catalogue can tell the defects apart."""
    try:
        probe = case.__class__({"p": 0.5}, case.seed, case.data_seed, (64,))
        _, result = run(target, operation, probe, device, dtype, training=training)
        upstream = case.__class__({"p": 0.5}, case.seed, case.data_seed + 1, (64,)).values()
        (dx,) = result.backward(target.asarray(upstream, dtype, device))
        grad, dout = as_numpy(dx).astype(np.float64), as_numpy(target.asarray(upstream, dtype, device)).astype(np.float64)
        kept = np.asarray(as_numpy(result.mask), dtype=bool)
        leaked, dropped_count = int((grad[~kept] != 0).sum()), int((~kept).sum())
        dropped = (f"dropped units get a gradient ({leaked} of {dropped_count})" if leaked
                   else "dropped units get no gradient" if dropped_count else "no unit was dropped")
        ratio = grad[kept] / dout[kept]
        scale = as_reciprocal(float(np.median(ratio))) if ratio.size else "—"
        return f"at p=0.5 on 64 units: {dropped}; kept units' gradient scaled by {scale}"
    except Exception as error:  # noqa: BLE001 - a diagnosis must not replace the failure it explains
        return f"no diagnosis ({type(error).__name__})"


def check_backward_is_the_forward_map(target, operation, device, dtype, case, *, training: bool) -> None:
    # Dropout is linear and diagonal in both modes, y = D x, so backward(g) = Dᵀg = D g = forward(g) under the
    # same seed: the training mask and scale, or the eval scale.
    upstream = case.__class__(case.params, case.seed, case.data_seed + 1, case.shape)
    _, result = run(target, operation, case, device, dtype, training=training)
    dout = target.asarray(upstream.values(), dtype, device)
    (dx,) = result.backward(dout)
    _, replayed = run(target, operation, upstream, device, dtype, training=training)
    context = "after a training-mode forward" if training else "after an eval-mode forward"
    assert_exact(dx, replayed.out,
                 what=f"{target.name}.{operation}(p={case.params['p']}) backward(g) {context} vs forward(g) "
                      f"[{gradient_diagnosis(target, operation, device, dtype, case, training=training)}]",
                 replay=case.replay(target, operation, device, dtype, training=training))


@pytest.mark.operation(*OPERATIONS)
@pytest.mark.claims("DROPOUT.INVERTED.BACKWARD")
@given(case=dropout_cases(p=open_probabilities))
@pytest.mark.requires("backward")
def test_dropout_backward_applies_the_forward_mask_and_scale(target, operation, device, dtype, case):
    check_backward_is_the_forward_map(target, operation, device, dtype, case, training=True)


@pytest.mark.operation(*OPERATIONS)
@pytest.mark.claims("DROPOUT.INVERTED.BACKWARD")
@given(case=dropout_cases(p=open_probabilities))
@pytest.mark.requires("backward", "eval_backward")
def test_dropout_backward_after_eval_applies_the_eval_scale(target, operation, device, dtype, case):
    check_backward_is_the_forward_map(target, operation, device, dtype, case, training=False)


@pytest.mark.tier("contract")
@pytest.mark.operation(*OPERATIONS)
@given(case=dropout_cases(p=st.just(0.5)))
def test_dropout_defaults_are_p_one_half_in_training_mode(target, operation, device, dtype, case):
    x = target.asarray(case.values(), dtype, device)
    defaulted = target.call(operation, x, generator=target.generator(case.seed, device))
    explicit = target.call(operation, x, 0.5, training=True, generator=target.generator(case.seed, device))
    assert_exact(defaulted.out, explicit.out, what=f"{target.name}.{operation}(x) vs (x, p=0.5, training=True)",
                 replay=case.replay(target, operation, device, dtype, training=True))


@pytest.mark.operation(*OPERATIONS)
@pytest.mark.dtypes("float64")
@pytest.mark.claims("DROPOUT.INVERTED.BACKWARD")
@given(case=dropout_cases(p=open_probabilities, shapes=gradient_shapes))
@pytest.mark.requires("backward")
def test_dropout_gradient_matches_central_differences(target, operation, device, dtype, case):
    values = case.values()
    dout = case.__class__(case.params, case.seed, case.data_seed + 1, case.shape).values()

    def loss(v: np.ndarray) -> float:
        _, r = run(target, operation, case, device, dtype, values=v)
        return float((as_numpy(r.out) * dout).sum())

    _, result = run(target, operation, case, device, dtype)
    (dx,) = result.backward(target.asarray(dout, dtype, device))
    # loss is linear in x, so a central difference has no truncation error at any step h; h = 1 keeps
    # the rounding error small: each loss is an n-term sum with error ≤ n·eps·S, S = Σ|out·dout|, and
    # the difference of two is divided by 2h.
    h, size = 1.0, values.size
    numeric = np.empty(size)
    flat = values.ravel()
    for i in range(size):
        bump = np.zeros(size)
        bump[i] = h
        numeric[i] = (loss((flat + bump).reshape(values.shape)) - loss((flat - bump).reshape(values.shape))) / (2 * h)
    scale = train_scale(operation, case.params["p"])
    total = float(np.abs(values * dout).sum()) * scale + 2 * h * float(np.abs(dout).max()) * scale
    atol = size * eps("float64") * total / h
    analytic = as_numpy(dx).ravel()
    rel = np.abs(numeric - analytic) / np.maximum(1e-8, np.abs(numeric) + np.abs(analytic))
    assert_close(analytic, numeric, rtol=0.0, atol=atol,
                 why=f"n·eps·Σ|out·dout|/h with n={size}, h={h}; CS231n rel_error max={rel.max():.1e}",
                 what=f"{target.name}.{operation}(p={case.params['p']}) gradient",
                 replay=case.replay(target, operation, device, dtype, training=True))


@pytest.mark.operation(*OPERATIONS)
@pytest.mark.dtypes("float64")
@given(case=dropout_cases(p=open_probabilities, shapes=gradient_shapes))
@pytest.mark.requires("torch")
def test_dropout_passes_torch_gradcheck_with_a_fixed_mask(target, operation, device, dtype, case):
    x = target.asarray(case.values(), dtype, device).requires_grad_(True)
    function = getattr(target.module, operation)

    def replayed(inputs: torch.Tensor) -> torch.Tensor:
        out, _ = function(inputs, case.params["p"], training=True, generator=target.generator(case.seed, device))
        return out

    # gradcheck's numerical Jacobian uses central differences with step 1e-6 per output entry: linear
    # map, so only rounding: |error| ≤ 2·eps·max|out|/1e-6 per entry.
    step = 1e-6
    with torch.no_grad():
        largest = float(replayed(x).abs().max())
    atol = 2 * eps("float64") * max(largest, 1.0) / step
    assert torch.autograd.gradcheck(replayed, (x,), eps=step, atol=atol, rtol=0.0), case.describe()


# ---------------------------------------------------------------- invalid input

INVALID_P = [-0.1, 1.5, math.nan, math.inf, -math.inf, "0.5", None]


@pytest.mark.tier("contract")
@pytest.mark.operation(*OPERATIONS)
@pytest.mark.parametrize(("parameter", "bad"), [("training", "yes"), ("training", None), ("x", "array"), ("x", "int"),
                                                ("generator", "wrong type")], ids=str)
@pytest.mark.requires("error_contract")
def test_dropout_rejects_a_wrong_type_naming_the_parameter(target, operation, parameter, bad):
    x = target.asarray(np.ones(4), "float32")
    arguments = {"training": True, "generator": target.generator(0)}
    if parameter == "x":
        x = np.ones(4).tolist() if bad == "array" else target.asarray(np.ones(4), "float32").astype(np.int64) \
            if target.backend == "numpy" else target.asarray(np.ones(4), "float32").long()
    elif parameter == "generator":
        arguments["generator"] = object()
    else:
        arguments["training"] = bad
    with pytest.raises(TypeError, match=rf"^{operation}: .*\b{parameter}\b") as raised:
        target.call(operation, x, 0.3, **arguments)
    received = {"x": type(x).__name__, "generator": "object", "training": type(bad).__name__}[parameter]
    assert received in str(raised.value), f"{target.name}.{operation}: error {raised.value} should name the type received, {received}"


# ---------------------------------------------------------------- the two references agree bit for bit


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
@given(case=dropout_cases())
def test_numpy_and_torch_references_agree_exactly_given_the_same_mask(dtype, case):
    numpy_ref, torch_ref = load_target("numpy"), load_target("torch")
    p = case.params["p"]
    # One rounding of the input for both (torch casts float64 → float16 through float32, numpy directly).
    x = torch_ref.asarray(case.values(), dtype)
    out_t, mask_t = torch_ref.module.dropout(x, p, generator=torch_ref.generator(case.seed))
    out_n, _ = numpy_ref.module.dropout_forward(as_numpy(x), p, mask=as_numpy(mask_t))
    assert_exact(out_t, out_n, what=f"torch vs numpy reference dropout(p={p}) [{case.describe()}]")
