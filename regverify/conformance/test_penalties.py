"""Penalties, proximal steps, weight constraints and gradient clipping: properties every target must satisfy.

All properties here are deterministic (closed forms, exact structure, derived rounding bounds); the
suite's false-failure budget is not spent. Tolerances are written beside each check with eps = the
dtype's machine epsilon (2u, u the unit roundoff), so "k·eps" covers 2k roundings.

Over 400 lines: one module per regularizer family (what `regverify check --only FAMILY` and the defect
catalogue select); its properties share the family's case strategies. What an operation spec can say lives
in test_every_operation.py instead.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import strategies as st

from impls.protocol import conventions, load_target
from regverify.conformance.assertions import as_numpy, assert_close, assert_exact
from regverify.conformance.strategies import SEEDS, Case, case_values, given
from regverify.conformance.tolerances import eps

PENALTIES = ("l2_penalty", "l1_penalty", "elastic_net_penalty", "entropy_penalty", "orthogonality_penalty")
#: Penalty weights on a dyadic grid: exact in every dtype, so the closed forms see the λ the target sees.
WEIGHTS = st.integers(min_value=0, max_value=32).map(lambda k: k / 8)
NORM_TYPES = (1.0, 2.0, 3.5, math.inf)



def rounded(target, values: np.ndarray, dtype: str, device: str | None = "cpu"):
    """The input in the target's arrays, and the same values exactly as float64 (after the dtype rounding)."""
    x = target.asarray(values, dtype, device or "cpu")
    return x, as_numpy(x).astype(np.float64)


def assert_within(actual, expected, bound, *, why: str, what: str) -> None:
    """|actual − expected| ≤ bound elementwise, with an array `bound` (regverify's assert_close takes scalars
    in its message); the message follows assert_close's."""
    __tracebackhide__ = True
    a = np.asarray(as_numpy(actual), dtype=np.float64)
    e = np.asarray(as_numpy(expected), dtype=np.float64)
    b = np.broadcast_to(np.asarray(bound, dtype=np.float64), e.shape)
    if a.shape != e.shape:
        raise AssertionError(f"{what}: shape {a.shape}, but should be {e.shape}")
    bad = ~(np.abs(a - e) <= b)
    if bad.any():
        i = tuple(int(k) for k in np.argwhere(bad)[0])
        raise AssertionError(f"{what}: {int(bad.sum())} of {a.size} elements off (first at index {i}: {a[i]!r}, "
                             f"but should be {e[i]!r} ± {b[i]:.3g}) [{why}]")


def one(target, dtype: str, device: str | None):
    """Upstream gradient 1 for a scalar penalty, in the target's arrays."""
    return target.asarray(np.array(1.0), dtype, device or "cpu")


# ---------------------------------------------------------------- cases


@st.composite
def penalty_cases(draw, operation: str, small: bool = False) -> Case:
    """Shape and weights for one penalty; values from case_values (|x| in [0.5, 8), random signs)."""
    top = 4 if small else 6
    if operation == "entropy_penalty":
        shape = (draw(st.integers(1, 3), label="rows"), draw(st.integers(2, top), label="classes"))
    elif operation == "orthogonality_penalty":
        shape = (draw(st.integers(1, top), label="n"), draw(st.integers(1, 4 if small else 5), label="k"))
    else:
        shape = tuple(draw(st.lists(st.integers(1, top), min_size=1, max_size=2), label="shape"))
    params = {
        "l2_penalty": lambda: {"lam": draw(WEIGHTS, label="lam"), "half": draw(st.booleans(), label="half")},
        "l1_penalty": lambda: {"lam": draw(WEIGHTS, label="lam")},
        "elastic_net_penalty": lambda: {"l1": draw(WEIGHTS, label="l1"), "l2": draw(WEIGHTS, label="l2"),
                                        "half": draw(st.booleans(), label="half")},
        "entropy_penalty": lambda: {},
        "orthogonality_penalty": lambda: {},
    }[operation]()
    return Case(params=params, seed=0, data_seed=draw(SEEDS, label="data_seed"), shape=shape)


def penalty_values(operation: str, case: Case) -> np.ndarray:
    values = case.values()
    if operation == "entropy_penalty":
        return values / 4  # logits in [-2, 2): keeps the float16 rounding bound below informative
    if operation == "orthogonality_penalty":
        return values / 8  # |W| < 1: WᵀW stays far from float16 overflow
    return values


def call_penalty(target, operation: str, x, params: dict):
    positional = {"l2_penalty": ("lam",), "l1_penalty": ("lam",), "elastic_net_penalty": ("l1", "l2")}.get(operation, ())
    keywords = {k: v for k, v in params.items() if k not in positional}
    return target.call(operation, x, *(params[k] for k in positional), **keywords)


# ---------------------------------------------------------------- closed forms with their rounding bounds


def closed_form(operation: str, x: np.ndarray, params: dict, e: float) -> tuple[float, np.ndarray, float, np.ndarray]:
    """(value, gradient, value tolerance, gradient tolerance) in float64 for the float64 input x.

    The tolerances bound what a target computing in a dtype with epsilon e may lose to rounding
    (Higham's γ_n ≤ n·u for an n-term sum or dot product, u = e/2); each line says which terms.
    """
    n = x.size
    if operation in ("l2_penalty", "l1_penalty", "elastic_net_penalty"):
        if operation == "l2_penalty":
            l1, c2 = 0.0, params["lam"] / 2 if params["half"] else params["lam"]
        elif operation == "l1_penalty":
            l1, c2 = params["lam"], 0.0
        else:
            l1, c2 = params["l1"], params["l2"] / 2 if params["half"] else params["l2"]
        abs_sum, square_sum = float(np.abs(x).sum()), float((x * x).sum())
        value = l1 * abs_sum + c2 * square_sum
        gradient = l1 * np.sign(x) + 2 * c2 * x
        # Each sum: n products/terms and n-1 additions, then the weight (≤ n+1 roundings); one more to add both.
        value_tol = (n + 2) * e * (l1 * abs_sum + c2 * square_sum) + e * value
        # Each part: the scalar, the product (and the doubling/autograd sum): ≤ 3 roundings each, one to add.
        gradient_tol = 2 * e * (l1 + 2 * c2 * np.abs(x)) + e * np.abs(gradient)
        return value, gradient, value_tol, gradient_tol
    if operation == "entropy_penalty":
        k = x.shape[-1]
        shifted = x - x.max(axis=-1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        p = np.exp(log_p)
        row_entropy = -(p * log_p).sum(axis=-1, keepdims=True)
        gradient = -p * (log_p + row_entropy)
        # |log p| ≤ L = 2 max|x| + log K; the shift, K exponentials, the K-term sum and its log lose
        # ≤ (K+3)·eps·L in log p; a row's entropy then loses ≤ Σ p·δlog p·(1 + |log p|) ≤ δ·(1 + L).
        big_l = 2 * float(np.abs(x).max()) + math.log(k)
        delta_log_p = (k + 3) * e * big_l
        delta_row = delta_log_p * (1 + big_l)
        value_tol = x.shape[0] * delta_row + x.shape[0] * e * float(row_entropy.sum())
        gradient_tol = (p * (delta_log_p + e) * (np.abs(log_p) + row_entropy) + p * (delta_log_p + delta_row)
                        + 2 * e * np.abs(gradient))
        return float(row_entropy.sum()), gradient, value_tol, gradient_tol
    # orthogonality: R = WᵀW − I, entries are n-term dot products.
    k = x.shape[1]
    residual = x.T @ x - np.eye(k)
    delta_residual = (x.shape[0] + 1) * e * (np.abs(x).T @ np.abs(x) + np.eye(k))
    value = float((residual * residual).sum())
    value_tol = float((2 * np.abs(residual) * delta_residual + delta_residual**2).sum()) + k * k * e * value
    gradient = 4 * x @ residual
    gradient_tol = 4 * (np.abs(x) @ delta_residual + k * e * (np.abs(x) @ np.abs(residual))) + e * np.abs(gradient)
    return value, gradient, value_tol, gradient_tol


# ---------------------------------------------------------------- values and gradients


@pytest.mark.operation(*PENALTIES)
@pytest.mark.claims("L2.SHRINK", "L1.SUBGRADIENT.MODULE2", "ELASTIC_NET.FORMULA", "WEIGHT_DECAY.WEEK6.CODE")
@given(data=st.data())
def test_penalty_value_and_gradient_match_the_closed_form(target, operation, device, dtype, data):
    case = data.draw(penalty_cases(operation), label="case")
    x, x64 = rounded(target, penalty_values(operation, case), dtype, device)
    result = call_penalty(target, operation, x, case.params)
    (grad,) = result.backward(one(target, dtype, device))
    value, gradient, value_tol, gradient_tol = closed_form(operation, x64, case.params, eps(dtype))
    what = f"{target.name}.{operation}({case.describe()}) in {dtype}"
    assert_close(np.asarray(as_numpy(result.out)).reshape(()), np.float64(value), rtol=0.0, atol=value_tol,
                 why="γ_n-type rounding bound of the closed form's sums (see closed_form)", what=f"{what} value")
    assert_within(grad, gradient, gradient_tol,
                  why="rounding bound of the gradient's closed form (see closed_form)", what=f"{what} gradient")


@pytest.mark.operation("l1_penalty", "elastic_net_penalty")
@pytest.mark.claims("L1.SUBGRADIENT.MODULE2")
@given(case=penalty_cases("l1_penalty"), zeros=st.integers(min_value=1, max_value=3))
def test_l1_subgradient_at_zero_is_exactly_zero(target, operation, device, dtype, case, zeros):
    values = case.values().ravel()
    values[: min(zeros, values.size)] = 0.0
    x, _ = rounded(target, values, dtype, device)
    params = {"lam": case.params["lam"]} if operation == "l1_penalty" else {"l1": case.params["lam"], "l2": 1.0}
    (grad,) = call_penalty(target, operation, x, params).backward(one(target, dtype, device))
    # sign(0) = 0 and the L2 part 2·l2·0 = 0: no rounding can make these nonzero.
    assert_exact(as_numpy(grad)[values == 0], np.zeros(int((values == 0).sum()), dtype=as_numpy(grad).dtype),
                 what=f"{target.name}.{operation}({params}) gradient at w = 0")


@pytest.mark.operation("l2_penalty")
@pytest.mark.claims("WEIGHT_DECAY.PENALTY.NO_HALF")
@given(case=penalty_cases("l2_penalty"))
def test_l2_penalty_without_half_is_exactly_twice_the_half_convention(target, device, dtype, case):
    x, _ = rounded(target, case.values(), dtype, device)
    lam = case.params["lam"]
    halved = call_penalty(target, "l2_penalty", x, {"lam": lam, "half": True})
    full = call_penalty(target, "l2_penalty", x, {"lam": lam, "half": False})
    # λ/2 and λ differ by a power of two, and scaling by 2 is exact in binary floating point (no overflow here).
    what = f"{target.name}.l2_penalty(lam={lam}) half=False vs 2 × half=True [{case.describe()}]"
    assert_exact(as_numpy(full.out), 2 * as_numpy(halved.out), what=f"{what} value")
    assert_exact(as_numpy(full.backward(one(target, dtype, device))[0]),
                 2 * as_numpy(halved.backward(one(target, dtype, device))[0]), what=f"{what} gradient")


def truncation_bound(operation: str, x: np.ndarray, h: float) -> np.ndarray:
    """|central difference − derivative| from the Taylor remainder, per element, for step h."""
    if operation == "entropy_penalty":
        # Along one logit, dH/ds = −σ'(s)(s + H_rest); |d³H/ds³| ≤ 1/e + H_rest/8 + 0.2 ≤ 0.6 + log K/8.
        return np.full(x.shape, h * h / 6 * (0.6 + math.log(x.shape[-1]) / 8))
    if operation == "orthogonality_penalty":
        # f(t) = ‖R + tS + t²Q‖² is a quartic; its central difference is exactly f'(0) + 4h²·W_ij.
        return 4 * h * h * np.abs(x) * (1 + 1e-12)
    return np.zeros(x.shape)  # quadratic or piecewise linear with h < min|x|: no truncation error


#: Steps for the central differences: exact for the quadratic and (h < min|x| = 0.5) the L1 parts.
STEPS = {"l2_penalty": 1.0, "l1_penalty": 0.25, "elastic_net_penalty": 0.25, "entropy_penalty": 1e-4,
         "orthogonality_penalty": 1e-4}


def difference_tolerance(operation: str, x: np.ndarray, params: dict, h: float) -> np.ndarray:
    """Truncation plus rounding: each f(x ± h e_i) is off by ≤ its value tolerance, divided by 2h."""
    e = eps("float64")
    bound = truncation_bound(operation, x, h)
    flat = bound.ravel().copy()
    for i in range(x.size):
        bump = np.zeros(x.size)
        bump[i] = h
        plus = closed_form(operation, (x.ravel() + bump).reshape(x.shape), params, e)[2]
        minus = closed_form(operation, (x.ravel() - bump).reshape(x.shape), params, e)[2]
        flat[i] += (plus + minus) / (2 * h)
    return flat.reshape(x.shape)


@pytest.mark.operation(*PENALTIES)
@pytest.mark.dtypes("float64")
@given(data=st.data())
def test_penalty_gradient_matches_central_differences(target, operation, device, dtype, data):
    case = data.draw(penalty_cases(operation, small=True), label="case")
    values = penalty_values(operation, case)
    h = STEPS[operation]

    def f(v: np.ndarray) -> float:
        return float(as_numpy(call_penalty(target, operation, target.asarray(v, dtype, device), case.params).out))

    numeric = np.empty(values.size)
    for i in range(values.size):
        bump = np.zeros(values.size)
        bump[i] = h
        numeric[i] = (f((values.ravel() + bump).reshape(values.shape)) - f((values.ravel() - bump).reshape(values.shape))) / (2 * h)
    x, x64 = rounded(target, values, dtype, device)
    (grad,) = call_penalty(target, operation, x, case.params).backward(one(target, dtype, device))
    analytic = as_numpy(grad).ravel()
    atol = difference_tolerance(operation, x64, case.params, h).ravel() + closed_form(operation, x64, case.params, eps(dtype))[3].ravel()
    rel = np.abs(numeric - analytic) / np.maximum(1e-8, np.abs(numeric) + np.abs(analytic))
    assert_within(analytic, numeric, atol,
                  why=f"Taylor remainder + value rounding/(h={h}); CS231n rel_error max={rel.max():.1e}",
                 what=f"{target.name}.{operation}({case.describe()}) gradient vs central differences")


@pytest.mark.operation(*PENALTIES)
@pytest.mark.dtypes("float64")
@given(data=st.data())
@pytest.mark.requires("torch")
def test_penalty_passes_torch_gradcheck(target, operation, device, dtype, data):
    case = data.draw(penalty_cases(operation, small=True), label="case")
    x, x64 = rounded(target, penalty_values(operation, case), dtype, device)
    h = STEPS[operation]
    function = getattr(target.module, operation)
    positional = {"l2_penalty": ("lam",), "l1_penalty": ("lam",), "elastic_net_penalty": ("l1", "l2")}.get(operation, ())
    keywords = {k: v for k, v in case.params.items() if k not in positional}
    # gradcheck's numerical Jacobian is the same central difference with step h: same derived bound.
    atol = float((difference_tolerance(operation, x64, case.params, h)
                  + closed_form(operation, x64, case.params, eps(dtype))[3]).max())
    assert torch.autograd.gradcheck(lambda v: function(v, *(case.params[k] for k in positional), **keywords),
                                    (x.requires_grad_(True),), eps=h, atol=atol, rtol=0.0), case.describe()


# ---------------------------------------------------------------- entropy


@pytest.mark.operation("entropy_penalty")
@pytest.mark.claims("ENTROPY_REG.TOWARD_UNIFORM")
@given(case=penalty_cases("entropy_penalty"), level=st.integers(min_value=-16, max_value=16).map(lambda k: k / 4))
def test_entropy_is_at_most_log_k_and_reaches_it_at_the_uniform_distribution(target, device, dtype, case, level):
    rows, k = case.shape
    e = eps(dtype)
    x, x64 = rounded(target, penalty_values("entropy_penalty", case), dtype, device)
    value, _, value_tol, _ = closed_form("entropy_penalty", x64, {}, e)
    entropy = float(as_numpy(target.call("entropy_penalty", x).out))
    what = f"{target.name}.entropy_penalty in {dtype} [{case.describe()}]"
    assert 0.0 - value_tol <= entropy <= rows * math.log(k) + value_tol, (
        f"{what}: {entropy} outside [0, rows·log K = {rows * math.log(k)}] ± {value_tol:.3g} (closed-form rounding)")
    # Equal logits give p = 1/K exactly up to the softmax's rounding: H = log K per row, gradient 0.
    flat, flat64 = rounded(target, np.full(case.shape, level), dtype, device)
    uniform = target.call("entropy_penalty", flat)
    _, _, flat_tol, flat_grad_tol = closed_form("entropy_penalty", flat64, {}, e)
    assert_close(np.asarray(as_numpy(uniform.out)).reshape(()), np.float64(rows * math.log(k)), rtol=0.0, atol=flat_tol,
                 why="closed-form rounding bound at equal logits", what=f"{what} entropy of equal logits")
    (grad,) = uniform.backward(one(target, dtype, device))
    assert_within(grad, np.zeros(case.shape), flat_grad_tol,
                 why="closed-form gradient rounding bound; the exact gradient at uniform is 0",
                 what=f"{what} gradient at equal logits")
    # From probabilities: p = fl(1/K) is off by ≤ u relative; H = −Σp log p then within K·eps·(log K + 1).
    probabilities = target.asarray(np.full(case.shape, 1.0 / k), dtype, device or "cpu")
    from_probs = float(as_numpy(target.call("entropy_penalty", probabilities, from_logits=False).out))
    tol = rows * (k + 3) * e * (math.log(k) + 1)
    assert abs(from_probs - rows * math.log(k)) <= tol, (
        f"{what}: entropy of uniform probabilities {from_probs}, but should be {rows * math.log(k)} ± {tol:.3g}")


# ---------------------------------------------------------------- proximal step versus subgradient step


@st.composite
def threshold_cases(draw) -> Case:
    """w = t·f with factors f ∈ ±[0.0625, 0.9] ∪ ±[1.1, 3]: |w| ≤ t for some entries, |w| > t for others,
    none within 10% of the kink at |w| = t. t is dyadic, so it is exact in every dtype."""
    t = draw(st.integers(min_value=1, max_value=64), label="t_sixteenths") / 16
    size = draw(st.integers(min_value=1, max_value=24), label="size")
    return Case(params={"threshold": t}, seed=0, data_seed=draw(SEEDS, label="data_seed"), shape=(size,))


def threshold_factors(case: Case) -> np.ndarray:
    rng = np.random.default_rng(case.data_seed)
    inside = rng.uniform(0.0625, 0.9, case.shape)
    outside = rng.uniform(1.1, 3.0, case.shape)
    return np.where(rng.random(case.shape) < 0.5, inside, outside) * rng.choice([-1.0, 1.0], case.shape)


@pytest.mark.operation("soft_threshold")
@pytest.mark.claims("L1.SPARSITY")
@given(case=threshold_cases())
def test_soft_threshold_sets_every_weight_within_the_threshold_to_exactly_zero(target, device, dtype, case):
    t = case.params["threshold"]
    values = threshold_factors(case) * t
    values[0] = t  # the boundary |w| = t itself belongs to the zero set
    x, x64 = rounded(target, values, dtype, device)
    out = as_numpy(target.call("soft_threshold", x, t).out).astype(np.float64)
    within = np.abs(x64) <= t
    what = f"{target.name}.soft_threshold(t={t}) in {dtype} [{case.describe()}]"
    assert_exact(out[within], np.zeros(int(within.sum())), what=f"{what} entries with |w| ≤ t")
    # Outside: w − sign(w)·t, one rounding of a difference: ≤ u·|w − sign(w) t| (≤ eps to be safe on |w|).
    expected = x64[~within] - np.sign(x64[~within]) * t
    assert_close(out[~within], expected, rtol=0.0, atol=float(eps(dtype)) * np.abs(x64[~within]).max(initial=0.0),
                 why="one rounding of the shifted value, ≤ eps·|w|", what=f"{what} entries with |w| > t")


@pytest.mark.operation("l1_subgradient_step")
@pytest.mark.claims("L1.SPARSITY")
@given(case=threshold_cases(), steps=st.integers(min_value=1, max_value=6))
def test_l1_subgradient_step_oscillates_around_zero_instead_of_reaching_it(target, device, dtype, case, steps):
    """With the data gradient 0, the step is w − t·sign(w), t = lr·λ. For 0.0625t ≤ |w| ≤ 0.9t the exact result
    has |w − t·sign w| = t − |w| ≥ 0.1t, far above the step's rounding (≤ 4 roundings of values ≤ 3t, i.e.
    ≤ 6·eps·t < 0.05t in bfloat16), so no entry can land on 0: it flips sign and its magnitude alternates
    between |w| and t − |w|. The proximal step sets the same entries to exactly 0 (previous test)."""
    t = case.params["threshold"]
    lr, lam = 0.5, 2 * t  # lr·λ = t, both dyadic
    values = np.abs(threshold_factors(case)).clip(0.0625, 0.9) * t * np.sign(threshold_factors(case))
    w, w64 = rounded(target, values, dtype, device)
    zero = target.asarray(np.zeros(case.shape), dtype, device or "cpu")
    for step in range(steps):
        w = target.call("l1_subgradient_step", w, zero, lr, lam).out
        now = as_numpy(w).astype(np.float64)
        what = f"{target.name}.l1_subgradient_step(lr={lr}, lam={lam}) step {step + 1} in {dtype} [{case.describe()}]"
        assert not np.any(now == 0), f"{what}: {int((now == 0).sum())} exact zeros, but the subgradient step cannot land on 0 here"
        assert_exact(np.sign(now), np.sign(w64) * (-1) ** (step + 1), what=f"{what} signs (should flip each step)")
        expected = np.abs(w64) if (step + 1) % 2 == 0 else t - np.abs(w64)
        assert_close(np.abs(now), expected, rtol=0.0, atol=6 * (step + 1) * eps(dtype) * t,
                     why="≤ 6·eps·t of rounding per step, accumulated over the steps", what=f"{what} magnitudes")


@pytest.mark.tier("edge")
@pytest.mark.operation("l1_subgradient_step")
@pytest.mark.claims("L1.SUBGRADIENT.MODULE2")
@given(case=threshold_cases())
def test_l1_subgradient_step_leaves_zero_weights_at_zero_and_keeps_signed_zeros(target, device, dtype, case):
    """Value edge: sign(0) = 0, so a weight at +0 or -0 with zero data gradient stays exactly 0 (t·sign(0) = 0
    involves no rounding); the other weights move by exactly the rule w - t·sign(w) up to 3 roundings."""
    t = case.params["threshold"]
    lr, lam = 0.5, 2 * t
    values = threshold_factors(case) * t
    values.flat[0] = 0.0
    if values.size > 1:
        values.flat[1] = -0.0
    w, w64 = rounded(target, values, dtype, device)
    zero = target.asarray(np.zeros(case.shape), dtype, device or "cpu")
    now = as_numpy(target.call("l1_subgradient_step", w, zero, lr, lam).out).astype(np.float64)
    at_zero = w64 == 0
    what = f"{target.name}.l1_subgradient_step(lr={lr}, lam={lam}) in {dtype} [{case.describe()}]"
    assert_exact(now[at_zero], np.zeros(int(at_zero.sum())), what=f"{what} at w = ±0 (sign(0) = 0)")
    assert_close(now[~at_zero], w64[~at_zero] - t * np.sign(w64[~at_zero]), rtol=0.0, atol=3 * eps(dtype) * 3 * t,
                 why="≤ 3 roundings of values ≤ 3t", what=f"{what} away from 0")


# ---------------------------------------------------------------- max-norm constraint


@st.composite
def kernel_cases(draw) -> Case:
    """A dense (out, in) or conv (out, in, kh, kw) kernel, the unit axis and a radius c between unit norms."""
    conv = draw(st.booleans(), label="conv")
    shape = (draw(st.integers(1, 5), label="out"), draw(st.integers(1, 4), label="in"))
    if conv:
        shape += (draw(st.integers(1, 3), label="kh"), draw(st.integers(1, 3), label="kw"))
    dim = draw(st.integers(0, len(shape) - 1), label="dim")
    quantile = draw(st.integers(0, 4), label="c_quantile") / 4
    return Case(params={"dim": dim, "quantile": quantile}, seed=0, data_seed=draw(SEEDS, label="data_seed"), shape=shape)


def unit_norms(w: np.ndarray, dim: int) -> np.ndarray:
    axes = tuple(a for a in range(w.ndim) if a != dim)
    return np.sqrt((w.astype(np.float64) ** 2).sum(axis=axes, keepdims=True))


#: torch.renorm scales by c/(‖w‖ + 1e-7) rather than c/‖w‖: a relative shortfall of ≤ 1e-7/c (a finding).
RENORM_OFFSET = 1e-7


@pytest.mark.operation("max_norm")
@pytest.mark.claims("MAX_NORM.CONSTRAINT")
@given(case=kernel_cases())
def test_max_norm_keeps_inside_units_bitwise_and_projects_outside_units_onto_the_sphere(target, device, dtype, case):
    dim = case.params["dim"]
    w, w64 = rounded(target, case.values(), dtype, device)
    norms = unit_norms(w64, dim)
    # c between unit norms (a quantile, rounded to a dyadic 1/64 so it is exact), at least 1/64.
    c = max(float(np.floor(np.quantile(norms, case.params["quantile"]) * 64) / 64), 1 / 64)
    out = as_numpy(target.call("max_norm", w, c, dim=dim).out)
    what = f"{target.name}.max_norm(c={c}, dim={dim}) in {dtype} [{case.describe()}]"
    inside = np.broadcast_to(norms <= c, w64.shape)
    assert_exact(out[inside], as_numpy(w)[inside], what=f"{what} units already inside the ball (bit for bit)")
    # Outside: w·c/‖w‖. The norm of d entries loses ≤ (d/2 + 1)u, c/‖w‖ one more u, the product one more:
    # ≤ (d/2 + 3)u ≤ (d + 6)·eps/4 relative; plus renorm's offset 1e-7/c.
    d = w64.size // w64.shape[dim]
    rtol = (d + 6) * eps(dtype) / 4 + RENORM_OFFSET / c
    projected = np.where(norms > c, w64 * c / np.where(norms > c, norms, 1.0), w64)
    assert_close(out, projected, rtol=rtol, atol=0.0, why=f"(d/2 + 3)u, d={d}, + 1e-7/c", what=f"{what} projection")
    after = unit_norms(out, dim)
    assert np.all(after <= c * (1 + rtol)), f"{what}: unit norms {after.ravel()} exceed c={c} by more than rtol={rtol:.3g}"


# ---------------------------------------------------------------- spectral normalization


@st.composite
def spectral_cases(draw) -> Case:
    """W = U diag(σ) Vᵀ with σ₁ = scale, σ₂ = ratio·scale, the rest below σ₂; dense or conv-shaped."""
    out_features = draw(st.integers(2, 5), label="out")
    conv = draw(st.booleans(), label="conv")
    inner = (draw(st.integers(1, 3), label="in"), 2, 2) if conv else (draw(st.integers(2, 6), label="in"),)
    return Case(
        params={"ratio": draw(st.sampled_from([0.3, 0.5, 0.7, 0.9]), label="ratio"),
                "scale": draw(st.sampled_from([0.25, 1.0, 4.0]), label="scale"),
                "k": draw(st.integers(1, 8), label="n_power_iterations")},
        seed=draw(SEEDS, label="seed"), data_seed=draw(SEEDS, label="data_seed"), shape=(out_features, *inner))


def spectral_matrix(case: Case) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(W, σ, top left singular vector) in float64, W shaped case.shape."""
    rng = np.random.default_rng(case.data_seed)
    m, n = case.shape[0], int(np.prod(case.shape[1:]))
    r = min(m, n)
    left, _ = np.linalg.qr(rng.standard_normal((m, r)))
    right, _ = np.linalg.qr(rng.standard_normal((n, r)))
    sigma = np.array([1.0, case.params["ratio"]] + list(rng.uniform(0, case.params["ratio"], r - 2)))[:r]
    sigma = sigma * case.params["scale"]
    return (left * sigma) @ right.T, sigma, left[:, 0]


@pytest.mark.operation("spectral_norm")
@pytest.mark.dtypes("float32", "float64")  # half precision's rounding floor (~1e-3·dims) hides the convergence rate
@pytest.mark.claims("SPECTRAL_NORM.UNIT_SIGMA")
@given(case=spectral_cases())
def test_spectral_norm_sigma_converges_to_1_at_the_power_iteration_rate(target, device, dtype, case):
    """After k iterations from u₀, σ̂ = ‖Wᵀu_k‖ ≤ σ₁ and 1 − σ̂/σ₁ ≤ t = tan²θ₀·(σ₂/σ₁)^(4k) (tan θ_k shrinks by
    (σ₂/σ₁)² per iteration and 1 − σ̂²/σ₁² ≤ sin²θ_k): so 1 ≤ σ(W/σ̂) = σ₁/σ̂ ≤ 1/(1 − t)."""
    matrix, sigma, top = spectral_matrix(case)
    u0 = np.random.default_rng(case.seed).standard_normal(case.shape[0])
    cos = abs(float(top @ u0)) / float(np.linalg.norm(u0))
    tan2 = (1 - cos**2) / max(cos**2, 1e-300)
    k = case.params["k"]
    ratio = sigma[1] / sigma[0] if sigma.size > 1 else 0.0
    t = tan2 * ratio ** (4 * k)
    w, w64 = rounded(target, matrix, dtype, device)
    u = target.asarray(u0, dtype, device or "cpu")
    result = target.call("spectral_norm", w, n_power_iterations=k, u=u, training=True)
    top_sigma = float(np.linalg.svd(as_numpy(result.out).astype(np.float64).reshape(case.shape[0], -1), compute_uv=False)[0])
    exact_top = float(np.linalg.svd(w64.reshape(case.shape[0], -1), compute_uv=False)[0]) / sigma[0]
    # Rounding: matrix-vector products over m + n terms per iteration and the final σ̂, damped by the
    # iteration's contraction (1 − ratio²)⁻¹; plus the input's own rounding (exact_top) and W/σ̂ per element.
    m, n = case.shape[0], w64.size // case.shape[0]
    tol = (m + n + 6) * eps(dtype) * (1 + 1 / (1 - ratio**2)) + abs(exact_top - 1)
    what = f"{target.name}.spectral_norm(k={k}) in {dtype} [{case.describe()}, tan²θ₀={tan2:.3g}, t={t:.3g}]"
    assert top_sigma >= 1 - tol, f"{what}: σ(W/σ̂)={top_sigma!r} < 1 − {tol:.3g}, but σ̂ ≤ σ₁ always"
    if t < 1:
        upper = 1 / (1 - t)
        assert top_sigma <= upper + tol, f"{what}: σ(W/σ̂)={top_sigma!r} > 1/(1 − t) = {upper!r} + {tol:.3g}"


@pytest.mark.operation("spectral_norm")
@pytest.mark.dtypes("float32", "float64")
@pytest.mark.claims("SPECTRAL_NORM.UNIT_SIGMA")
@given(case=spectral_cases())
def test_spectral_norm_updates_u_in_training_and_not_in_eval(target, device, dtype, case):
    matrix, sigma, top = spectral_matrix(case)
    u0 = np.random.default_rng(case.seed).standard_normal(case.shape[0])
    w, w64 = rounded(target, matrix, dtype, device)
    u = target.asarray(u0, dtype, device or "cpu")
    e = eps(dtype)
    what = f"{target.name}.spectral_norm in {dtype} [{case.describe()}]"
    evaluated = target.call("spectral_norm", w, n_power_iterations=case.params["k"], u=u, training=False)
    # Eval: u is only normalized (≤ (m+2)·eps relative) and σ̂ = ‖Wᵀu₀‖/‖u₀‖.
    u0_unit = as_numpy(u).astype(np.float64) / np.linalg.norm(as_numpy(u).astype(np.float64))
    m, n = case.shape[0], w64.size // case.shape[0]
    assert_close(evaluated.mask, u0_unit, rtol=0.0, atol=(m + 2) * e, why="normalization of m entries",
                 what=f"{what} eval u (no power iteration)")
    flat = w64.reshape(m, -1)
    sigma_hat = float(np.linalg.norm(flat.T @ u0_unit))
    assert_close(evaluated.out, w64 / sigma_hat, rtol=(m + n + 6) * e, atol=0.0,
                 why="σ̂ = ‖Wᵀu‖: m- and n-term sums, normalization, one division", what=f"{what} eval output")
    trained = target.call("spectral_norm", w, n_power_iterations=case.params["k"], u=u, training=True)
    # Training: each iteration multiplies tan θ by (σ₂/σ₁)² < 1, so |⟨u, u₁⟩| can only grow.
    top_d = np.linalg.svd(flat)[0][:, 0]
    before = abs(float(top_d @ u0_unit))
    after = abs(float(top_d @ as_numpy(trained.mask).astype(np.float64)))
    assert after >= before - (m + n + 6) * e * case.params["k"], (
        f"{what}: training moved u away from the top singular vector: |⟨u,u₁⟩| {before:.6g} → {after:.6g}")
    assert not np.array_equal(as_numpy(trained.mask), as_numpy(evaluated.mask)) or before > 1 - 1e3 * e, (
        f"{what}: training left u unchanged although it is not the top singular vector (|⟨u,u₁⟩|={before:.6g})")


@pytest.mark.operation("spectral_norm")
@pytest.mark.dtypes("float32", "float64")  # seeding is dtype-independent; half-precision CPU matmuls dominate the cost
@given(case=spectral_cases())
def test_spectral_norm_is_deterministic_under_a_fixed_seed(target, device, dtype, case):
    matrix, _, _ = spectral_matrix(case)
    w, _ = rounded(target, matrix, dtype, device)
    first = target.call("spectral_norm", w, n_power_iterations=case.params["k"], generator=target.generator(case.seed, device or "cpu"))
    second = target.call("spectral_norm", w, n_power_iterations=case.params["k"], generator=target.generator(case.seed, device or "cpu"))
    what = f"{target.name}.spectral_norm(k={case.params['k']}) in {dtype} on a replayed seed [{case.describe()}]"
    assert_exact(second.out, first.out, what=f"{what} output")
    assert_exact(second.mask, first.mask, what=f"{what} u")


# ---------------------------------------------------------------- gradient clipping


@st.composite
def gradient_lists(draw) -> Case:
    sizes = tuple(draw(st.lists(st.integers(1, 8), min_size=1, max_size=3), label="sizes"))
    # max_norm as a fraction of the total norm: below (clips), equal-ish, above (no-op); dyadic.
    fraction = draw(st.sampled_from([0.125, 0.25, 0.5, 0.75, 1.5, 2.0, 4.0]), label="max_norm_fraction")
    return Case(params={"fraction": fraction}, seed=0, data_seed=draw(SEEDS, label="data_seed"), shape=sizes)


def make_grads(target, case: Case, dtype: str, device: str | None):
    grads = [target.asarray(case_values(case.data_seed + i, (size,)), dtype, device or "cpu")
             for i, size in enumerate(case.shape)]
    return grads, [as_numpy(g).astype(np.float64) for g in grads]


def norm_types(target) -> tuple[float, ...]:
    """The p-norms the target clips by: CLIP_GRAD_NORM_NORM_TYPES where it declares them (Keras: the L2 norm only)."""
    return tuple(getattr(target.module, "CLIP_GRAD_NORM_NORM_TYPES", NORM_TYPES))


def p_norm(values: np.ndarray, p: float) -> float:
    return float(np.abs(values).max()) if p == math.inf else float((np.abs(values) ** p).sum() ** (1 / p))


@pytest.mark.operation("clip_grad_norm")
@pytest.mark.claims("CLIP.NORM.BOUND")
@given(case=gradient_lists())
def test_clip_grad_norm_scales_by_min_1_threshold_over_norm_and_bounds_the_norm(target, device, dtype, case):
    grads, grads64 = make_grads(target, case, dtype, device)
    flat = np.concatenate(grads64)
    n = flat.size
    for norm_type in norm_types(target):
        total = p_norm(flat, norm_type)
        max_norm = max(float(np.ldexp(np.round(np.ldexp(case.params["fraction"] * total, 6)), -6)), 1 / 64)
        clipped, returned_total = target.module.clip_grad_norm(grads, max_norm, norm_type=norm_type)
        what = f"{target.name}.clip_grad_norm(max_norm={max_norm}, norm_type={norm_type}) in {dtype} [{case.describe()}]"
        # The norm: n powers and n additions, the root (and the norm of per-tensor norms): ≤ (n + 4) roundings,
        # with powers p ≤ 3.5 amplifying relative errors by at most p in the sum and 1/p in the root.
        norm_rtol = (n + 4) * eps(dtype)
        assert_close(np.asarray(as_numpy(returned_total), dtype=np.float64).reshape(()), np.float64(total),
                     rtol=norm_rtol, atol=0.0, why="(n + 4)·eps for an n-entry p-norm", what=f"{what} total norm")
        # Clipped = g·min(1, θ/‖g‖). torch uses θ/(‖g‖ + 1e-6), clamped at 1: relative shortfall ≤ 1e-6/θ (a finding).
        coefficient = min(1.0, max_norm / total)
        rtol = norm_rtol + 2 * eps(dtype) + 1e-6 / max_norm
        out = np.concatenate([as_numpy(g).astype(np.float64) for g in clipped])
        assert_close(out, flat * coefficient, rtol=rtol, atol=0.0,
                     why="norm rounding + scale and product roundings + torch's 1e-6/θ", what=f"{what} clipped gradients")
        assert p_norm(out, norm_type) <= max_norm * (1 + rtol), (
            f"{what}: post-clip norm {p_norm(out, norm_type)} > {max_norm}·(1 + {rtol:.3g})")


@pytest.mark.operation("clip_grad_norm")
@given(case=gradient_lists())
def test_clip_grad_norm_is_a_bitwise_no_op_below_the_threshold(target, device, dtype, case):
    grads, grads64 = make_grads(target, case, dtype, device)
    for norm_type in norm_types(target):
        # θ at least twice the norm: far from the boundary, so rounding of the norm (and torch's +1e-6) cannot clip.
        max_norm = 2 * p_norm(np.concatenate(grads64), norm_type) + 1
        clipped, _ = target.module.clip_grad_norm(grads, max_norm, norm_type=norm_type)
        for i, (before, after) in enumerate(zip(grads, clipped, strict=True)):
            assert_exact(after, before, what=f"{target.name}.clip_grad_norm(max_norm={max_norm:.4g}, p={norm_type}) "
                         f"grads[{i}] below the threshold in {dtype}")


@pytest.mark.operation("clip_grad_norm")
@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan], ids=repr)
def test_clip_grad_norm_nonfinite_norm_raises_or_propagates_as_torch_does(target, device, bad):
    values = np.array([1.0, -2.0, bad, 3.0])
    grads = [target.asarray(values, "float32", device or "cpu")]
    clip = target.module.clip_grad_norm
    what = f"{target.name}.clip_grad_norm with a {bad} entry"
    if getattr(target.module, "CLIP_GRAD_NORM_ERROR_IF_NONFINITE", True):  # Keras has no such option
        with pytest.raises(RuntimeError):
            clip(grads, 1.0, error_if_nonfinite=True)
    clipped, total = clip(grads, 1.0, error_if_nonfinite=False)
    # Scale min(1, 1/‖g‖): 0 for an infinite norm (inf·0 = NaN at the bad entry), NaN for a NaN norm; under
    # the "all_nan" convention (Keras: scale + (‖g‖ − ‖g‖)) a non-finite norm makes the scale, so every entry, NaN.
    nonfinite = conventions.behaviour(target, "clip_grad_norm", "nonfinite")
    coefficient = 0.0 if math.isinf(bad) and nonfinite == "zero_scale" else math.nan
    with np.errstate(invalid="ignore"):
        expected = (values * coefficient).astype(np.float32)
    assert_exact(np.abs(as_numpy(clipped[0])), np.abs(expected), what=f"{what}, error_if_nonfinite=False: clipped")
    assert not math.isfinite(float(as_numpy(total))), f"{what}: total norm {float(as_numpy(total))} should be non-finite"


@pytest.mark.operation("clip_grad_value")
@given(case=gradient_lists(), clip_eighths=st.integers(min_value=0, max_value=64))
def test_clip_grad_value_clamps_every_entry_into_the_interval(target, device, dtype, case, clip_eighths):
    grads, grads64 = make_grads(target, case, dtype, device)
    clip_value = clip_eighths / 8  # dyadic: exact in every dtype, so clamping is exact
    clipped = target.module.clip_grad_value(grads, clip_value)
    for i, (after, before) in enumerate(zip(clipped, grads64, strict=True)):
        assert_exact(np.asarray(as_numpy(after), dtype=np.float64), np.clip(before, -clip_value, clip_value),
                     what=f"{target.name}.clip_grad_value(clip_value={clip_value}) grads[{i}] in {dtype}")


# ---------------------------------------------------------------- invalid input (reference targets)



@pytest.mark.parametrize("operation", PENALTIES)
@given(data=st.data())
def test_numpy_and_torch_references_agree_on_penalties_in_float64(operation, data):
    case = data.draw(penalty_cases(operation), label="case")
    numpy_ref, torch_ref = load_target("numpy"), load_target("torch")
    values = penalty_values(operation, case)
    results = []
    for target in (numpy_ref, torch_ref):
        x, x64 = rounded(target, values, "float64")
        result = call_penalty(target, operation, x, case.params)
        results.append((float(as_numpy(result.out)), as_numpy(result.backward(one(target, "float64", "cpu"))[0])))
    _, _, value_tol, gradient_tol = closed_form(operation, x64, case.params, eps("float64"))
    # Both are within the closed form's bound of the exact values, hence within twice of each other.
    assert abs(results[0][0] - results[1][0]) <= 2 * value_tol, f"{operation} values {results} [{case.describe()}]"
    assert_within(results[0][1], results[1][1], 2 * gradient_tol, why="twice the closed-form bound",
                 what=f"numpy vs torch reference {operation} gradient [{case.describe()}]")
