"""Batch normalization and layer normalization: properties every target must satisfy.

Both operations normalize x̂ = (x - μ)/sqrt(σ² + ε) with the biased variance σ² and apply y = γ·x̂ + β.
Batch norm takes μ, σ² per channel over the batch (training) or from the running statistics (eval);
layer norm takes them per sample over the trailing axes, the same in training and inference.

Nothing here is random: every property is a deterministic identity checked to a rounding bound.
The bounds all come from one first-order error analysis (see `normalized_error_bound`), written in
the unit roundoff u = eps(dtype)/2 of the array dtype, which also covers targets that compute
half-precision statistics in float32.

Over 400 lines: one module per regularizer family (what `regverify check --only FAMILY` and the defect
catalogue select); its properties share the family's case strategies. What an operation spec can say lives
in test_every_operation.py instead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pytest
import torch
from hypothesis import settings
from hypothesis import strategies as st

from impls.protocol import load_target
from impls.protocol.normalization import BATCH_NORM_CONVENTION_VALUES
from regverify.conformance.assertions import as_numpy, assert_exact, assert_within
from regverify.conformance.strategies import SEEDS, case_values, given

OPERATIONS = ("batch_norm", "layer_norm")


def unit_roundoff(dtype: str) -> float:
    return float(torch.finfo(getattr(torch, dtype)).eps) / 2


@pytest.fixture(autouse=True, scope="module")
def single_threaded_torch():
    """Run torch single-threaded here: on a loaded machine F.batch_norm's intra-op parallel region on a tiny
    tensor costs ~80 ms a call with 2 threads against ~6 µs with 1 (measured on this 2-core machine)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


# ---------------------------------------------------------------- cases


@dataclass(frozen=True)
class NormCase:
    """One normalization call: operation, input shape, seeds of the input and of γ, β, running statistics."""

    operation: str
    shape: tuple[int, ...]
    data_seed: int
    param_seed: int
    eps: float = 1e-5
    momentum: float = 0.1
    normalized_ndim: int = 1  # layer norm: how many trailing axes are normalized

    @property
    def stat_axes(self) -> tuple[int, ...]:
        if self.operation == "batch_norm":
            return (0,) + tuple(range(2, len(self.shape)))
        return tuple(range(len(self.shape) - self.normalized_ndim, len(self.shape)))

    @property
    def param_shape(self) -> tuple[int, ...]:
        if self.operation == "batch_norm":
            return (self.shape[1],)
        return self.shape[len(self.shape) - self.normalized_ndim:]

    @property
    def count(self) -> int:
        """m: how many values share one mean and variance."""
        return int(np.prod([self.shape[a] for a in self.stat_axes]))

    def values(self, step: int = 0) -> np.ndarray:
        return case_values(self.data_seed + step, self.shape)

    def parameters(self) -> dict[str, np.ndarray]:
        """γ, β with magnitudes in [0.5, 8) and random signs; running mean likewise; running variance in [0.5, 8)."""
        gamma, beta, mean, var = case_values(self.param_seed, (4,) + self.param_shape)
        return {"gamma": gamma, "beta": beta, "running_mean": mean, "running_var": np.abs(var)}

    def broadcast(self, per_param: np.ndarray) -> np.ndarray:
        """A γ-shaped array shaped to broadcast against x."""
        if self.operation == "batch_norm":
            return per_param.reshape((1, -1) + (1,) * (len(self.shape) - 2))
        return per_param

    def describe(self) -> str:
        return (f"{self.operation}: shape={self.shape}, data_seed={self.data_seed}, param_seed={self.param_seed}, "
                f"eps={self.eps}, momentum={self.momentum}, normalized_ndim={self.normalized_ndim}")

    def replay(self, target, device: str | None, dtype: str | None, **keywords) -> str:
        arguments = ", ".join(f"{k}={v!r}" for k, v in keywords.items())
        return (
            "Replay: python -c \"from regverify.conformance.test_normalization import NormCase, replay; "
            f"replay({target.module.__name__!r}, NormCase({self.operation!r}, {self.shape!r}, {self.data_seed}, "
            f"{self.param_seed}, {self.eps!r}, {self.momentum!r}, {self.normalized_ndim}), "
            f"{device or 'cpu'!r}, {dtype or 'float64'!r}{', ' if arguments else ''}{arguments})\""
        )


def batch_norm_shapes() -> st.SearchStrategy[tuple[int, ...]]:
    """(N, C) or (N, C, H, W) with at least two values per channel (training needs a variance)."""
    flat = st.tuples(st.integers(2, 16), st.integers(1, 4))
    image = st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)).filter(
        lambda s: s[0] * s[2] * s[3] >= 2)
    return st.one_of(flat, image)


#: ε values: PyTorch's default, and larger ones for which σ²/(σ² + ε) visibly differs from 1.
NORM_EPS = st.sampled_from([1e-5, 1e-3, 0.1, 1.0])
MOMENTA = st.integers(0, 20).map(lambda k: k / 20)


@st.composite
def norm_cases(draw, operation: str, batch_shapes=None, min_batch: int = 1) -> NormCase:
    """A case of `operation`; batch_shapes overrides batch norm's shapes, min_batch layer norm's smallest batch."""
    if operation == "batch_norm":
        shape = draw(batch_norm_shapes() if batch_shapes is None else batch_shapes, label="shape")
        k = 1
    else:
        k = draw(st.integers(1, 2), label="normalized_ndim")
        normalized = draw(st.lists(st.integers(2, 6), min_size=k, max_size=k), label="normalized_shape")
        batch = draw(st.lists(st.integers(min_batch, 4), min_size=1, max_size=2), label="batch_shape")
        shape = tuple(batch) + tuple(normalized)
    return NormCase(
        operation=operation,
        shape=tuple(shape),
        data_seed=draw(SEEDS, label="data_seed"),
        param_seed=draw(SEEDS, label="param_seed"),
        eps=draw(NORM_EPS, label="eps"),
        momentum=draw(MOMENTA, label="momentum"),
        normalized_ndim=k,
    )


# ---------------------------------------------------------------- calling a target uniformly


@dataclass
class Outcome:
    """A call's output and new running statistics as float64 NumPy arrays, and its backward."""

    out: np.ndarray
    running: dict[str, np.ndarray] | None
    backward: object  # callable(dout float64 ndarray) -> (dx, dgamma, dbeta) as float64 arrays


def call(target, case: NormCase, device, dtype, *, x: np.ndarray | None = None, params: dict | None = None,
         training: bool = True, **keywords) -> Outcome:
    """Run the case's operation on `target`; arrays are rounded to `dtype` on the way in."""
    x = case.values() if x is None else x
    params = case.parameters() if params is None else params

    def arr(values: np.ndarray | None):
        return None if values is None else target.asarray(values, dtype, device)  # None: an optional γ or β left out

    if case.operation == "batch_norm":
        args = [arr(params[k]) for k in ("gamma", "beta", "running_mean", "running_var")]
        kw = {"training": training, "momentum": case.momentum, "eps": case.eps, **keywords}
    else:
        args = [tuple(case.param_shape), arr(params["gamma"]), arr(params["beta"])]
        kw = {"eps": case.eps, **keywords}
    xt = arr(x)

    def f64(a) -> np.ndarray:
        return as_numpy(a).astype(np.float64)

    if target.backend == "numpy":
        # Called directly, not through target.call, because the running statistics live in the cache.
        out, cache = getattr(target.module, f"{case.operation}_forward")(xt, *args, **kw)
        backward_fn = getattr(target.module, f"{case.operation}_backward", None)
        running = ({k: f64(cache[k]) for k in ("running_mean", "running_var")}
                   if case.operation == "batch_norm" else None)

        def backward(dout: np.ndarray):
            return tuple(f64(g) for g in backward_fn(arr(dout), cache)[:3])

        return Outcome(f64(out), running, backward if backward_fn is not None else None)
    result = target.call(case.operation, xt, *args, **kw)
    running = {k: f64(v) for k, v in result.mask.items()} if isinstance(result.mask, dict) else None

    def torch_backward(dout: np.ndarray):
        grads = result.backward(arr(dout))
        return tuple(f64(g) for g in grads[:3])

    return Outcome(f64(result.out), running, torch_backward)


def rounded(target, values: np.ndarray, dtype: str, device) -> np.ndarray:
    """The float64 value of `values` after the target's rounding to `dtype` (what the target actually sees)."""
    return as_numpy(target.asarray(values, dtype, device)).astype(np.float64)


def rounded_parameters(target, case: NormCase, dtype: str, device, params: dict | None = None) -> dict:
    params = case.parameters() if params is None else params
    return {k: rounded(target, v, dtype, device) for k, v in params.items()}


def replay(module: str, case: NormCase, device: str = "cpu", dtype: str = "float64", **keywords) -> None:
    """Rerun one case and print its output (what a failure message's Replay line calls)."""
    outcome = call(load_target(module), case, device, dtype, **keywords)
    print(outcome.out)
    if outcome.running is not None:
        print(outcome.running)


# ---------------------------------------------------------------- the float64 closed form and its rounding bound


def batch_statistics(case: NormCase, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = x.mean(axis=case.stat_axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=case.stat_axes, keepdims=True)
    return mean, var


def closed_form(case: NormCase, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(out, x̂) in float64 for training-mode batch norm or layer norm."""
    mean, var = batch_statistics(case, x)
    x_hat = (x - mean) / np.sqrt(var + case.eps)
    return case.broadcast(gamma) * x_hat + case.broadcast(beta), x_hat


def normalized_error_bound(case: NormCase, x: np.ndarray, dtype: str) -> np.ndarray:
    """Elementwise bound on |computed x̂ - exact x̂| for statistics taken from x itself, in `dtype`.

    With u = eps(dtype)/2, m values per statistic and s = sqrt(σ² + ε):
    - the mean, a sum of m terms, is off by at most m·u·max|x| (recursive summation), i.e. d_μ = m·u·max|x|/s
      in units of s; pairwise or wider accumulation only does better;
    - the two-pass variance mean((x - μ̂)²) equals (σ² + δμ²)(1 + (m+3)u): relative error
      d_σ² = d_μ² + (m+3)u·σ²/s², so s is off by a factor 1 + d_σ²/2 + 2u (adding ε, sqrt, reciprocal);
    - x - μ̂ rounds once more (u|x - μ|/s); the product by 1/s and the final cast add 2u|x̂|;
    - a fused kernel computing x·α + (β - μ̂·α), α = γ/s, rounds relative to (|x| + |μ|)/s instead: 4u of that.
    This is first order in u; the factor 2 covers the second-order terms, each at most the first-order
    one times a quantity ≤ 1 whenever the bound itself is below |x̂| + 1.
    An E[x²] - E[x]² variance has error (m+3)u·E[x²] instead, which is (μ²+σ²)/σ² times larger.
    """
    u = unit_roundoff(dtype)
    m = case.count
    mean, var = batch_statistics(case, x)
    s = np.sqrt(var + case.eps)
    x_hat = (x - mean) / s
    largest = np.abs(x).max(axis=case.stat_axes, keepdims=True)
    d_mean = m * u * largest / s
    d_var = d_mean ** 2 + (m + 3) * u * var / s ** 2
    fused = 4 * u * (np.abs(x) + np.abs(mean)) / s
    return 2 * (d_mean + u * np.abs(x - mean) / s + fused + np.abs(x_hat) * (d_var / 2 + 4 * u))


def output_error_bound(case: NormCase, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, dtype: str) -> np.ndarray:
    """|computed out - exact out| ≤ |γ|·bound(x̂) + 2u(|γx̂| + |β|) (the multiply-add, rounded twice at most)."""
    u = unit_roundoff(dtype)
    _, x_hat = closed_form(case, x, gamma, beta)
    g, b = case.broadcast(gamma), case.broadcast(beta)
    return np.abs(g) * normalized_error_bound(case, x, dtype) + 2 * u * (np.abs(g * x_hat) + np.abs(b))


def eval_output_error_bound(case: NormCase, x: np.ndarray, p: dict, dtype: str) -> np.ndarray:
    """Batch norm in eval has no statistics to compute: + ε, sqrt, reciprocal, a product or two (≤ 6u), and
    either x - μ first (u|x - μ|) or, as PyTorch's fused kernel does, x·α + (β - μ·α) with α = γ/s, whose
    roundings are relative to |x|·|α| and |μ|·|α| instead; then γx̂ + β and the final cast (2u(|γx̂| + |β|))."""
    u = unit_roundoff(dtype)
    g, b = case.broadcast(p["gamma"]), case.broadcast(p["beta"])
    mean, s = case.broadcast(p["running_mean"]), np.sqrt(case.broadcast(p["running_var"]) + case.eps)
    x_hat = (x - mean) / s
    spread = (np.abs(x) + np.abs(mean)) / s  # ≥ |x̂|: covers both orders of evaluation
    return 6 * u * np.abs(g) * spread + 2 * u * (np.abs(g * x_hat) + np.abs(b))


# ---------------------------------------------------------------- training-mode normalization


@pytest.mark.operation(*OPERATIONS)
@pytest.mark.claims("BATCHNORM.TRAIN.BATCH_STATS", "LAYERNORM.PER_SAMPLE_STATS")
@given(data=st.data())
def test_normalization_matches_the_float64_closed_form(target, operation, device, dtype, data):
    case = data.draw(norm_cases(operation), label="case")
    x = rounded(target, case.values(), dtype, device)
    params = rounded_parameters(target, case, dtype, device)
    outcome = call(target, case, device, dtype)
    expected, _ = closed_form(case, x, params["gamma"], params["beta"])
    bound = output_error_bound(case, x, params["gamma"], params["beta"], dtype)
    assert_within(outcome.out, expected, bound,
                 why="elementwise first-order rounding bound of normalized_error_bound, per element",
                 what=f"{target.name}.{operation} training output vs γ(x-μ)/sqrt(σ²+ε)+β",
                 replay=case.replay(target, device, dtype))


#: The optional affine parameters a real API lets a caller leave out (affine=False, elementwise_affine=False,
#: bias=False): a weight without a bias, a bias without a weight, neither.
LEFT_OUT = ({"gamma": True, "beta": False}, {"gamma": False, "beta": True}, {"gamma": False, "beta": False})


@pytest.mark.tier("edge")
@pytest.mark.operation(*OPERATIONS)
@pytest.mark.requires("optional_affine")
@pytest.mark.parametrize("passed", LEFT_OUT, ids=["weight_only", "bias_only", "neither"])
@settings(max_examples=3)
@given(data=st.data())
def test_normalization_with_gamma_or_beta_left_out_uses_gamma_one_and_beta_zero(target, operation, device, dtype,
                                                                              passed, data):
    """γ = None is the scale 1 and β = None the shift 0: the float64 closed form with those values, within the same
    derived rounding bound as the full call."""
    case = data.draw(norm_cases(operation), label="case")
    params = case.parameters()
    defaults = {"gamma": np.ones_like(params["gamma"]), "beta": np.zeros_like(params["beta"])}
    given_params = {k: (v if passed.get(k, True) else None) for k, v in params.items()}
    used = {k: (defaults[k] if v is None else v) for k, v in given_params.items()}
    x = rounded(target, case.values(), dtype, device)
    rounded_used = rounded_parameters(target, case, dtype, device, params=used)
    outcome = call(target, case, device, dtype, params=given_params)
    expected, _ = closed_form(case, x, rounded_used["gamma"], rounded_used["beta"])
    bound = output_error_bound(case, x, rounded_used["gamma"], rounded_used["beta"], dtype)
    left_out = " and ".join(k for k, v in given_params.items() if v is None and k in ("gamma", "beta"))
    assert_within(outcome.out, expected, bound, why="elementwise first-order rounding bound (output_error_bound)",
                  what=f"{target.name}.{operation} training output with {left_out}=None vs γ(x-μ)/sqrt(σ²+ε)+β "
                       f"with γ = 1, β = 0 for what is left out", replay=case.replay(target, device, dtype))


@pytest.mark.operation("batch_norm")
@pytest.mark.claims("BATCHNORM.TRAIN.BATCH_STATS")
@given(case=norm_cases("batch_norm"))
def test_batch_norm_training_output_has_zero_mean_and_variance_sigma2_over_sigma2_plus_eps(
        target, device, dtype, case):
    x = rounded(target, case.values(), dtype, device)
    channels = case.param_shape[0]
    unit = {"gamma": np.ones(channels), "beta": np.zeros(channels),
            "running_mean": np.zeros(channels), "running_var": np.ones(channels)}
    out = call(target, case, device, dtype, params=unit).out
    _, sigma2 = batch_statistics(case, x)
    bound = normalized_error_bound(case, x, dtype)
    out_mean, out_var = batch_statistics(case, out)
    # out = x̂ + δ with |δ| ≤ bound: |mean(out)| ≤ mean(bound), and
    # |var(out) - var(x̂)| = |2cov(x̂, δ) + var(δ)| ≤ 2·sqrt(var(x̂)·mean(δ²)) + mean(δ²); plus m·eps64 for our sums.
    mean_bound = bound.mean(axis=case.stat_axes, keepdims=True)
    square_bound = (bound ** 2).mean(axis=case.stat_axes, keepdims=True)
    target_var = sigma2 / (sigma2 + case.eps)
    var_bound = 2 * np.sqrt(target_var * square_bound) + square_bound + case.count * 2.3e-16
    replay = case.replay(target, device, dtype)
    assert_within(out_mean, np.zeros_like(out_mean), mean_bound + case.count * 2.3e-16,
                 why="mean of the elementwise rounding bound", what=f"{target.name}.batch_norm per-channel output mean",
                 replay=replay)
    assert_within(out_var, target_var, var_bound,
                 why="2·sqrt(var·mean(δ²)) + mean(δ²) from the elementwise bound δ",
                 what=f"{target.name}.batch_norm per-channel biased output variance vs σ²/(σ²+ε)", replay=replay)


@pytest.mark.operation(*OPERATIONS)
@given(data=st.data())
def test_gamma_and_beta_act_as_an_affine_map_on_the_normalized_output(target, operation, device, dtype, data):
    case = data.draw(norm_cases(operation), label="case")
    x = rounded(target, case.values(), dtype, device)
    params = rounded_parameters(target, case, dtype, device)
    shape = case.param_shape
    unit = {**params, "gamma": np.ones(shape), "beta": np.zeros(shape)}
    affine = call(target, case, device, dtype).out
    normalized = call(target, case, device, dtype, params=unit).out
    g, b = case.broadcast(params["gamma"]), case.broadcast(params["beta"])
    _, x_hat = closed_form(case, x, params["gamma"], params["beta"])
    u = unit_roundoff(dtype)
    # Each call's x̂ is within `bound` of the exact one (so the two within 2·bound, times |γ|), plus the
    # rounding of the affine call's multiply-add and the unit call's final cast: 2u(|γx̂| + |β|) + u|γx̂|.
    atol = 2 * np.abs(g) * normalized_error_bound(case, x, dtype) + 3 * u * (np.abs(g * x_hat) + np.abs(b))
    assert_within(affine, g * normalized + b, atol, why="2|γ|·bound(x̂) + 3u(|γx̂| + |β|)",
                 what=f"{target.name}.{operation}(γ, β) vs γ·{operation}(1, 0) + β",
                 replay=case.replay(target, device, dtype))


@pytest.mark.operation("batch_norm")
@pytest.mark.claims("BATCHNORM.AFFINE.UNDO")
@given(case=norm_cases("batch_norm"))
def test_batch_norm_gamma_sqrt_var_plus_eps_and_beta_mean_undo_the_normalization(target, device, dtype, case):
    x = rounded(target, case.values(), dtype, device)
    mean, sigma2 = batch_statistics(case, x)
    undo = {**case.parameters(), "gamma": np.sqrt(sigma2 + case.eps).ravel(), "beta": mean.ravel()}
    params = rounded_parameters(target, case, dtype, device, undo)
    out = call(target, case, device, dtype, params=params).out
    u = unit_roundoff(dtype)
    g, b = case.broadcast(params["gamma"]), case.broadcast(params["beta"])
    _, x_hat = closed_form(case, x, params["gamma"], params["beta"])
    # γ and β are rounded to dtype (≤ u relative each), then the output bound applies: exact up to rounding.
    atol = (output_error_bound(case, x, params["gamma"], params["beta"], dtype)
            + u * (np.abs(g * x_hat) + np.abs(b)))
    assert_within(out, x, atol, why="output bound + rounding of γ = sqrt(σ²+ε) and β = μ to dtype",
                 what=f"{target.name}.batch_norm(x, γ=sqrt(σ²_B+ε), β=μ_B) vs x",
                 replay=case.replay(target, device, dtype))


# ---------------------------------------------------------------- running statistics and eval mode


def supports(target, name: str, value: str) -> bool:
    declared = getattr(target.module, "BATCH_NORM_CONVENTIONS", None)
    return declared is None or value in declared.get(name, BATCH_NORM_CONVENTION_VALUES[name])


CONVENTIONS = [(c, v) for c in BATCH_NORM_CONVENTION_VALUES["momentum_convention"]
               for v in BATCH_NORM_CONVENTION_VALUES["var_estimator"]]


@pytest.mark.operation("batch_norm")
@pytest.mark.claims("BATCHNORM.MOMENTUM.PYTORCH_CONVENTION", "BATCHNORM.RUNNING_VAR.ESTIMATOR")
@given(case=norm_cases("batch_norm"), data=st.data())
def test_batch_norm_running_statistics_follow_the_update_rule(target, device, dtype, case, data):
    """Every convention the target declares, drawn per example (a target declaring only PyTorch's is checked
    on that one; test_batch_norm_rejects_the_conventions_it_does_not_declare covers the rest)."""
    declared = [(c, v) for c, v in CONVENTIONS
                if supports(target, "momentum_convention", c) and supports(target, "var_estimator", v)]
    convention, estimator = data.draw(st.sampled_from(declared), label="momentum_convention, var_estimator")
    u, m, steps = unit_roundoff(dtype), case.count, 3
    keep, take = ((1 - case.momentum, case.momentum) if convention == "pytorch"
                  else (case.momentum, 1 - case.momentum))
    params = case.parameters()
    expected = {k: rounded(target, params[k], dtype, device) for k in ("running_mean", "running_var")}
    error = {k: np.zeros_like(v) for k, v in expected.items()}
    for step in range(steps):
        values = case.values(step)
        outcome = call(target, case, device, dtype, x=values, params=params,
                       momentum_convention=convention, var_estimator=estimator)
        x = rounded(target, values, dtype, device)
        mean, var = (a.ravel() for a in batch_statistics(case, x))
        factor = m / (m - 1) if estimator == "unbiased" else 1.0
        largest = np.abs(x).max(axis=case.stat_axes)
        # Batch mean: m·u·max|x|. Batch variance: (δμ² + (m+3)u·σ²)·factor + 2u·factor·σ² (factor's rounding).
        mean_error = m * u * largest
        var_error = factor * (mean_error ** 2 + (m + 5) * u * var)
        for key, batch, batch_error in (("running_mean", mean, mean_error), ("running_var", var * factor, var_error)):
            new = keep * expected[key] + take * batch
            # Update: the old error shrinks by `keep`; two products and a sum (2u each), then the store (u).
            error[key] = (keep * error[key] + take * batch_error
                          + 2 * u * (keep * np.abs(expected[key]) + take * np.abs(batch)) + u * np.abs(new))
            expected[key] = new
        for key in expected:
            assert_within(outcome.running[key], expected[key], 2 * error[key],
                         why="accumulated first-order bound of each update, ×2 for second-order terms",
                         what=f"{target.name}.batch_norm {key} after step {step + 1} ({convention}, {estimator})",
                         replay=case.replay(target, device, dtype, momentum_convention=convention,
                                            var_estimator=estimator))
        params = {**params, **{k: v for k, v in outcome.running.items()}}


@pytest.mark.operation("batch_norm")
@pytest.mark.requires("declares_conventions")
@pytest.mark.tier("contract")
def test_batch_norm_rejects_the_conventions_it_does_not_declare(target, device, dtype):
    declared = getattr(target.module, "BATCH_NORM_CONVENTIONS", None)
    case = NormCase("batch_norm", (4, 2), 0, 1)
    for name, values in BATCH_NORM_CONVENTION_VALUES.items():
        for value in values:
            if value in declared[name]:
                continue
            with pytest.raises(ValueError, match=name) as raised:
                call(target, case, device, dtype, **{name: value})
            assert repr(value) in str(raised.value), f"{target.name}: error {raised.value} should name {value!r}"


@pytest.mark.operation("batch_norm")
@pytest.mark.claims("BATCHNORM.EVAL.RUNNING_STATS")
@given(case=norm_cases("batch_norm"))
def test_batch_norm_eval_normalizes_with_the_running_statistics_and_keeps_them(target, device, dtype, case):
    x = rounded(target, case.values(), dtype, device)
    p = rounded_parameters(target, case, dtype, device)
    outcome = call(target, case, device, dtype, training=False)
    g, b = case.broadcast(p["gamma"]), case.broadcast(p["beta"])
    x_hat = (x - case.broadcast(p["running_mean"])) / np.sqrt(case.broadcast(p["running_var"]) + case.eps)
    atol = eval_output_error_bound(case, x, p, dtype)
    replay = case.replay(target, device, dtype, training=False)
    assert_within(outcome.out, g * x_hat + b, atol, why="≤ 6 roundings in x̂, 2 in γx̂+β",
                 what=f"{target.name}.batch_norm eval output vs γ(x-running_mean)/sqrt(running_var+ε)+β",
                 replay=replay)
    for key in ("running_mean", "running_var"):
        assert_exact(outcome.running[key], p[key], what=f"{target.name}.batch_norm eval {key} (must be unchanged)",
                     replay=replay)


def other_samples_changed(case: NormCase, x: np.ndarray) -> list[tuple[str, np.ndarray]]:
    """x with every sample but the first permuted, and with every sample but the first replaced."""
    flat_batch = x.reshape((-1,) + case.shape[len(case.shape) - case.normalized_ndim:]) \
        if case.operation == "layer_norm" else x
    permuted = flat_batch.copy()
    permuted[1:] = permuted[1:][::-1]
    replaced = flat_batch.copy()
    replaced[1:] = case_values(case.data_seed + 7, replaced[1:].shape) * 3
    return [("permuted", permuted.reshape(x.shape)), ("replaced", replaced.reshape(x.shape))]


def first_sample(case: NormCase, out: np.ndarray) -> np.ndarray:
    if case.operation == "layer_norm":
        return out.reshape((-1,) + case.shape[len(case.shape) - case.normalized_ndim:])[0]
    return out[0]


@pytest.mark.operation(*OPERATIONS)
@pytest.mark.claims("BATCHNORM.EVAL.RUNNING_STATS", "LAYERNORM.BATCH_INDEPENDENT")
@given(data=st.data())
def test_a_samples_output_ignores_the_other_samples_in_eval_and_in_layer_norm(target, operation, device, dtype, data):
    """Batch norm in eval and layer norm always: changing the other samples leaves a sample's output bitwise."""
    # At least two samples, or there are no others to change.
    case = data.draw(norm_cases(operation, batch_shapes=st.tuples(st.integers(2, 8), st.integers(1, 4)),
                                min_batch=2), label="case")
    x = case.values()
    training = {"training": False} if operation == "batch_norm" else {}
    reference = first_sample(case, call(target, case, device, dtype, x=x, **training).out)
    for how, changed in other_samples_changed(case, x):
        out = call(target, case, device, dtype, x=changed, **training).out
        assert_exact(first_sample(case, out), reference,
                     what=f"{target.name}.{operation} first sample's output with the other samples {how}",
                     replay=case.replay(target, device, dtype, **training))


def central_difference(function, x: np.ndarray, index: tuple, h: float) -> np.ndarray:
    bump = np.zeros_like(x)
    bump[index] = h
    return (function(x + bump) - function(x - bump)) / (2 * h)


@pytest.mark.operation("batch_norm")
@pytest.mark.dtypes("float64")
@pytest.mark.claims("BATCHNORM.TRAIN.BATCH_DEPENDENCE")
@given(case=norm_cases("batch_norm", batch_shapes=st.tuples(st.integers(3, 12), st.integers(1, 3))))
def test_batch_norm_training_output_of_a_sample_depends_on_the_others(target, device, dtype, case):
    """∂y_i/∂x_j = -γ/(m·s)·(1 + x̂_i·x̂_j) for two samples i ≠ j of one channel: nonzero when x̂_i·x̂_j ≥ 0.

    Measured with autograd for torch targets and with central differences for NumPy targets.
    """
    x = case.values()
    p = case.parameters()
    _, x_hat = closed_form(case, x, p["gamma"], p["beta"])
    _, var = batch_statistics(case, x)
    s, m, u = float(np.sqrt(var[0, 0] + case.eps)), case.count, unit_roundoff(dtype)
    order = np.argsort(x_hat[:, 0])  # among ≥ 3 samples, the two largest or the two smallest x̂ share a sign
    i, j = (order[-1], order[-2]) if x_hat[order[-2], 0] >= 0 else (order[0], order[1])
    gamma = float(p["gamma"][0])
    expected = -gamma / (m * s) * (1 + x_hat[i, 0] * x_hat[j, 0])
    bound = normalized_error_bound(case, x, dtype)
    # x̂_i, x̂_j are within `bound`; s is off by d_μ²/2 + (m+3)u/2 + 2u relative (see normalized_error_bound);
    # forming the entry (autograd: sums of m terms) adds (m+8)u relative.
    d_mean = m * u * float(np.abs(x[:, 0]).max()) / s
    s_error = d_mean ** 2 / 2 + (m + 3) * u / 2 + 2 * u
    tolerance = abs(gamma) / (m * s) * (bound[i, 0] * abs(x_hat[j, 0]) + bound[j, 0] * abs(x_hat[i, 0])
                                       + (1 + abs(x_hat[i, 0] * x_hat[j, 0])) * (s_error + (m + 8) * u))
    if target.backend == "torch":
        dout = np.zeros(case.shape)
        dout[i, 0] = 1.0
        measured = call(target, case, device, dtype, x=x).backward(dout)[0][j, 0]
        how = "autograd"
    else:
        h = 1e-3 * s

        def y_i(values: np.ndarray) -> float:
            return call(target, case, device, dtype, x=values).out[i, 0]

        coarse = central_difference(y_i, x, (j, 0), h)
        measured = central_difference(y_i, x, (j, 0), h / 2)
        # Richardson: the central difference's error is c·h² + O(h⁴), so |D(h) - D(h/2)|·4/3 estimates (and,
        # to leading order, bounds) the error of D(h/2); each y is within its output bound, so rounding adds
        # 2·max(bound)/h to D(h/2) = (y(x + h/2) - y(x - h/2))/h.
        tolerance += abs(coarse - measured) * 4 / 3 + 2 * output_error_bound(case, x, p["gamma"], p["beta"], dtype).max() / h
        how = "central differences"
    assert abs(expected) >= abs(gamma) / (m * s) > tolerance, "the chosen pair must have a clearly nonzero entry"
    assert measured != 0, f"{target.name}.batch_norm training: ∂y_{i}/∂x_{j} = 0 ({how}), but should be {expected}"
    assert_within(measured, expected, tolerance, why="x̂ and s rounding bounds",
                 what=f"{target.name}.batch_norm ∂y[{i},0]/∂x[{j},0] ({how}) vs -γ/(m·s)·(1 + x̂_i·x̂_j)",
                 replay=case.replay(target, device, dtype))


# ---------------------------------------------------------------- invariances and numerical robustness

SHIFTS = (-100.0, -3.0, 0.0, 3.0, 100.0)


def group_transform(case: NormCase, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A positive scale a (a power of two in [1/8, 16], so a·x is exact) and a shift b for every statistic's
    group: per channel for batch norm, per sample for layer norm, shaped to broadcast against x."""
    group = tuple(1 if axis in case.stat_axes else size for axis, size in enumerate(case.shape))
    rng = np.random.default_rng(seed)
    return 2.0 ** rng.integers(-3, 5, group), rng.choice(SHIFTS, group)


@pytest.mark.operation(*OPERATIONS)
@pytest.mark.claims("BATCHNORM.TRAIN.BATCH_STATS", "LAYERNORM.PER_SAMPLE_STATS")
@given(data=st.data(), transform_seed=SEEDS)
def test_normalization_is_invariant_to_shift_and_positive_scale_up_to_the_eps_effect(
        target, operation, device, dtype, data, transform_seed):
    """y(a·x + b) = y(x) for a > 0 and b constant on each group (channel for batch norm, sample for layer
    norm), up to ε: exactly, x̂(a·x + b) = x̂(x)·r with r = sqrt((σ² + ε)/(σ² + ε/a²))."""
    case = data.draw(norm_cases(operation), label="case")
    scale, shift = group_transform(case, transform_seed)
    values = case.values()
    x = rounded(target, values, dtype, device)
    x2 = rounded(target, scale * values + shift, dtype, device)
    base = call(target, case, device, dtype, x=values).out
    moved = call(target, case, device, dtype, x=scale * values + shift).out
    p = rounded_parameters(target, case, dtype, device)
    g = np.abs(case.broadcast(p["gamma"]))
    _, sigma2 = batch_statistics(case, x)
    _, x_hat = closed_form(case, x, p["gamma"], p["beta"])
    _, x_hat_moved = closed_form(case, x2, p["gamma"], p["beta"])
    # moved - base = γ(x̂(x2) - x̂·r) + γx̂(r - 1) exactly, x2 being a·x + b rounded to dtype. The ε-effect:
    # |r - 1| ≤ |r² - 1| = ε|1 - 1/a²|/(σ² + ε/a²). The rounding of a·x + b: computed exactly in float64
    # from the rounded inputs. Each call then adds its output rounding bound.
    ratio = np.sqrt((sigma2 + case.eps) / (sigma2 + case.eps / scale ** 2))
    eps_effect = g * np.abs(x_hat) * case.eps * np.abs(1 - scale ** -2.0) / (sigma2 + case.eps / scale ** 2)
    input_rounding = g * np.abs(x_hat_moved - x_hat * ratio)
    atol = (eps_effect + input_rounding + output_error_bound(case, x, p["gamma"], p["beta"], dtype)
            + output_error_bound(case, x2, p["gamma"], p["beta"], dtype))
    assert_within(moved, base, atol, why="ε-effect + input rounding + both calls' output bounds",
                  what=f"{target.name}.{operation}(a·x + b) vs {operation}(x), per-group a = 2^k, b in {SHIFTS}",
                  replay=case.replay(target, device, dtype) + f" (a, b from group_transform(case, {transform_seed}))")


ROBUST_MEAN, ROBUST_STD = 1e4, 1e-2


@pytest.mark.tier("edge")  # extreme values: a correct E[x²] - E[x]² formula fails only here
@pytest.mark.operation(*OPERATIONS)
@pytest.mark.dtypes("float32", "float64")  # float16/bfloat16 cannot hold std 1e-2 at 1e4 (ulp(1e4) = 8 and 64)
@given(data=st.data())
def test_normalization_stays_accurate_when_the_mean_dwarfs_the_std(target, operation, device, dtype, data):
    """Mean 1e4, std 1e-2: E[x²] - E[x]² cancels (μ²/σ² = 1e12); the two-pass variance does not.

    In float32 the mean itself is only known to m·u·1e4 ≈ m·6e-4 ≈ m·0.06σ, so float32 cases keep m ≤ 4
    (the bound stays below |x̂|); float64 cases go to m = 32.
    """
    small = dtype == "float32"
    if operation == "batch_norm":
        shapes = st.tuples(st.integers(2, 4 if small else 32), st.integers(1, 3))
        case = data.draw(norm_cases(operation, batch_shapes=shapes), label="case")
    else:
        k = data.draw(st.integers(2, 4 if small else 32), label="features")
        case = NormCase("layer_norm", (data.draw(st.integers(1, 3), label="batch"), k),
                        data.draw(SEEDS, label="data_seed"), data.draw(SEEDS, label="param_seed"),
                        eps=data.draw(NORM_EPS, label="eps"))
    values = ROBUST_MEAN + ROBUST_STD * np.random.default_rng(case.data_seed).standard_normal(case.shape)
    x = rounded(target, values, dtype, device)
    p = rounded_parameters(target, case, dtype, device)
    out = call(target, case, device, dtype, x=values).out
    replay = case.replay(target, device, dtype) + " (x = 1e4 + 1e-2·standard_normal(data_seed))"
    assert np.isfinite(out).all(), f"{target.name}.{operation}: non-finite output at mean 1e4, std 1e-2. {replay}"
    expected, _ = closed_form(case, x, p["gamma"], p["beta"])
    assert_within(out, expected, output_error_bound(case, x, p["gamma"], p["beta"], dtype),
                 why="two-pass rounding bound of normalized_error_bound (E[x²]-E[x]² exceeds it by ~μ²/σ²)",
                 what=f"{target.name}.{operation} at mean 1e4, std 1e-2", replay=replay)


# ---------------------------------------------------------------- gradients


GRADIENT_BATCH_SHAPES = st.one_of(st.tuples(st.integers(3, 6), st.integers(1, 2)),
                                  st.tuples(st.integers(1, 2), st.integers(1, 2), st.integers(1, 2),
                                            st.integers(2, 2)))


def gradient_case(data, operation: str) -> NormCase:
    """At most 12 input elements: each costs four forward calls."""
    if operation == "batch_norm":
        return data.draw(norm_cases(operation, batch_shapes=GRADIENT_BATCH_SHAPES), label="case")
    case = data.draw(norm_cases(operation), label="case")
    return replace(case, shape=(2, 3), normalized_ndim=1) if case.normalized_ndim == 1 else \
        replace(case, shape=(1, 2, 3), normalized_ndim=2)


@pytest.mark.operation(*OPERATIONS)
@pytest.mark.dtypes("float64")
@given(data=st.data())
@pytest.mark.requires("backward")
def test_backward_matches_central_differences(target, operation, device, dtype, data):
    check_backward_against_central_differences(target, operation, device, dtype, data, training=True)


@pytest.mark.operation("batch_norm")
@pytest.mark.dtypes("float64")
@given(data=st.data())
@pytest.mark.requires("backward", "eval_backward")
def test_backward_after_eval_matches_central_differences(target, operation, device, dtype, data):
    """Eval-mode batch norm is an affine map of x (the running statistics are constants); a convention that
    defines no eval-mode backward (CS231n) has no cell here."""
    check_backward_against_central_differences(target, operation, device, dtype, data, training=False)


def check_backward_against_central_differences(target, operation, device, dtype, data, *, training: bool) -> None:
    case = gradient_case(data, operation)
    mode = {"training": training} if operation == "batch_norm" else {}
    x, p = case.values(), case.parameters()
    dout = case_values(case.data_seed + 1, case.shape)
    outcome = call(target, case, device, dtype, x=x, **mode)
    analytic = outcome.backward(dout)
    u = unit_roundoff(dtype)
    _, var = batch_statistics(case, x)
    h = 1e-3 * float(np.sqrt(var.min() + case.eps))
    total = float(np.abs(outcome.out * dout).sum())
    if operation == "batch_norm" and not training:
        y_error = eval_output_error_bound(case, x, p, dtype)
    else:
        y_error = output_error_bound(case, x, p["gamma"], p["beta"], dtype)
    loss_error = float((np.abs(dout) * y_error).sum()) + (x.size + 2) * u * total
    for position, (name, base) in enumerate((("x", x), ("gamma", p["gamma"]), ("beta", p["beta"]))):
        def loss(v: np.ndarray, name=name) -> float:
            if name == "x":
                return float((call(target, case, device, dtype, x=v, **mode).out * dout).sum())
            return float((call(target, case, device, dtype, x=x, params={**p, name: v}, **mode).out * dout).sum())

        numeric, error = np.empty(base.shape), np.empty(base.shape)
        for index in np.ndindex(base.shape):
            coarse = central_difference(loss, base, index, h)
            numeric[index] = central_difference(loss, base, index, h / 2)
            # Richardson estimate of the truncation error (see the Jacobian test) + the loss's rounding
            # (outputs within y_error, then an n-term float64 sum) in each of the two evaluations, over 2·(h/2).
            error[index] = abs(coarse - numeric[index]) * 4 / 3 + 2 * loss_error / h
        rel = np.abs(numeric - analytic[position]) / np.maximum(1e-8, np.abs(numeric) + np.abs(analytic[position]))
        assert_within(analytic[position], numeric, error,
                     why=f"Richardson truncation estimate + 2·(Σ|dout|·y_error + (n+2)·u·Σ|out·dout|)/h, h={h:.2g}; "
                         f"CS231n rel_error max={rel.max():.1e}",
                     what=f"{target.name}.{operation} d{name} ({'training' if training else 'eval'})",
                     replay=case.replay(target, device, dtype, **mode))


@pytest.mark.operation(*OPERATIONS)
@pytest.mark.dtypes("float64")
@given(data=st.data(), training=st.booleans())
@pytest.mark.requires("torch")
def test_torch_targets_pass_gradcheck(target, operation, device, dtype, data, training):
    case = gradient_case(data, operation)
    p = case.parameters()
    inputs = tuple(target.asarray(v, dtype, device).requires_grad_(True)
                   for v in (case.values(), p["gamma"], p["beta"]))
    function = getattr(target.module, operation)
    if operation == "batch_norm":
        stats = [target.asarray(p[k], dtype, device) for k in ("running_mean", "running_var")]

        def forward(x, gamma, beta):
            return function(x, gamma, beta, *stats, training=training, momentum=case.momentum, eps=case.eps)[0]
    else:
        def forward(x, gamma, beta):
            return function(x, case.param_shape, gamma, beta, eps=case.eps)

    _, var = batch_statistics(case, case.values())
    s = float(np.sqrt(var.min() + case.eps))
    step = 1e-6 * s
    x = case.values()
    if operation == "batch_norm" and not training:
        y_error = eval_output_error_bound(case, x, p, dtype)
    else:
        y_error = output_error_bound(case, x, p["gamma"], p["beta"], dtype)
    # Central differences with step h: each output is within y_error of exact in both evaluations, so
    # rounding moves an entry by ≤ max(y_error)/h; truncation ≤ h²·|y‴|/6 with |y‴| ≲ max|γ|·m/s³
    # (each derivative of x̂ brings 1/s and at most m terms), i.e. (h/s)²·max|γ|·m/s = 1e-12·max|γ|·m/s.
    gamma_max = float(np.abs(p["gamma"]).max())
    atol = float(y_error.max()) / step + 1e-12 * gamma_max * case.count / s
    assert torch.autograd.gradcheck(forward, inputs, eps=step, atol=atol, rtol=0.0), case.describe()


# ---------------------------------------------------------------- what a layer must not remember or change


@pytest.mark.operation(*OPERATIONS)
@given(data=st.data())
def test_normalization_forward_leaves_its_inputs_unchanged(target, operation, device, dtype, data):
    """x, γ, β and the running statistics passed in are the caller's: a forward computes into new arrays."""
    case = data.draw(norm_cases(operation, batch_shapes=st.tuples(st.integers(2, 8), st.integers(1, 4))), label="case")
    names = ("gamma", "beta", "running_mean", "running_var") if operation == "batch_norm" else ("gamma", "beta")
    params = case.parameters()
    arrays = {"x": target.asarray(case.values(), dtype, device),
              **{name: target.asarray(params[name], dtype, device) for name in names}}
    before = {name: as_numpy(value).copy() for name, value in arrays.items()}
    if operation == "batch_norm":
        target.call(operation, arrays["x"], *(arrays[n] for n in names), training=True, momentum=case.momentum,
                    eps=case.eps)
    else:
        target.call(operation, arrays["x"], case.param_shape, arrays["gamma"], arrays["beta"], eps=case.eps)
    for name, value in arrays.items():
        assert_exact(value, before[name], what=f"{target.name}.{operation} argument {name} after a training-mode "
                     "forward (must be unchanged: the caller still uses it)", replay=case.replay(target, device, dtype))


#: Channel counts no other property draws, so a target that keeps per-layer state starts fresh here.
OWN_STATISTICS_SHAPES = st.tuples(st.integers(3, 8), st.integers(5, 6))


@pytest.mark.operation("batch_norm")
@pytest.mark.claims("BATCHNORM.TRAIN.BATCH_STATS")
@given(case=norm_cases("batch_norm", batch_shapes=OWN_STATISTICS_SHAPES))
def test_batch_norm_normalizes_each_batch_with_its_own_statistics(target, device, dtype, case):
    """Two training batches in a row: the second is normalized with its own mean and variance, whatever the
    first was (a statistic cached in bn_param, on a layer object or in a global fails here)."""
    call(target, case, device, dtype, x=case.values())
    second = 3.0 * case.values(step=1) + 2.0
    x = rounded(target, second, dtype, device)
    params = rounded_parameters(target, case, dtype, device)
    out = call(target, case, device, dtype, x=second).out
    expected, _ = closed_form(case, x, params["gamma"], params["beta"])
    assert_within(out, expected, output_error_bound(case, x, params["gamma"], params["beta"], dtype),
                  why="elementwise first-order rounding bound of normalized_error_bound",
                  what=f"{target.name}.batch_norm training output of a second batch (after another batch)",
                  replay=case.replay(target, device, dtype))


@pytest.mark.operation("batch_norm")
@pytest.mark.dtypes("float64")
@pytest.mark.claims("BATCHNORM.TRAIN.BATCH_DEPENDENCE")
@given(case=norm_cases("batch_norm"))
@pytest.mark.requires("backward")
def test_batch_norm_input_gradient_sums_to_zero_over_each_channel(target, device, dtype, case):
    """Training output is invariant to adding a constant to a channel (μ_B absorbs it), so for any dout the
    input gradient sums to 0 over each channel's m values; without the gradient through μ_B it does not."""
    x, p = case.values(), case.parameters()
    dout = case_values(case.data_seed + 1, case.shape)
    dx = call(target, case, device, dtype, x=x).backward(dout)[0]
    bound = gradient_error_bounds(case, x, p, dout, dtype, training=True)[0]
    u = unit_roundoff(dtype)
    sums = dx.sum(axis=case.stat_axes)
    # Each dx is within `bound` of the exact gradient (×2 for second-order terms), whose channel sum is 0;
    # our float64 sum of m terms adds m·u·Σ|dx|.
    atol = 2 * bound.sum(axis=case.stat_axes) + case.count * u * np.abs(dx).sum(axis=case.stat_axes)
    assert_within(sums, np.zeros_like(sums), atol, why="2·Σ gradient_error_bounds + m·u·Σ|dx|",
                  what=f"{target.name}.batch_norm Σ dx over each channel (training; must be 0)",
                  replay=case.replay(target, device, dtype))


# ---------------------------------------------------------------- the references agree


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("operation", OPERATIONS)
@given(data=st.data(), training=st.booleans())
def test_numpy_and_torch_references_agree(operation, dtype, data, training):
    case = data.draw(norm_cases(operation), label="case")
    numpy_ref, torch_ref = load_target("numpy"), load_target("torch")
    mode = {"training": training} if operation == "batch_norm" else {}
    a, b = call(numpy_ref, case, "cpu", dtype, **mode), call(torch_ref, case, "cpu", dtype, **mode)
    x = rounded(numpy_ref, case.values(), dtype, "cpu")
    p = rounded_parameters(numpy_ref, case, dtype, "cpu")
    # Both are within the output bound of the exact value (training); eval needs no statistics, so the
    # training bound, which includes eval's few roundings, covers it too.
    atol = 2 * output_error_bound(case, x, p["gamma"], p["beta"], dtype)
    if operation == "batch_norm" and not training:
        atol = 2 * eval_output_error_bound(case, x, p, dtype)
    assert_within(a.out, b.out, atol, why="each reference within its rounding bound",
                 what=f"numpy vs torch reference {operation} [{case.describe()}]")
    dout = case_values(case.data_seed + 1, case.shape)
    bounds = gradient_error_bounds(case, x, p, dout, dtype, training=training or operation == "layer_norm")
    for name, ga, gb, bound in zip(("dx", "dgamma", "dbeta"), a.backward(dout), b.backward(dout), bounds, strict=True):
        # Each reference is within `bound` of the exact gradient (first order, ×2 for second-order terms).
        assert_within(ga, gb, 2 * 2 * bound, why="gradient_error_bounds for each of the two references, ×2",
                      what=f"numpy vs torch reference {operation} {name} [{case.describe()}]")


def gradient_error_bounds(case: NormCase, x: np.ndarray, p: dict, dout: np.ndarray, dtype: str, *,
                          training: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First-order bounds on the computed (dx, dgamma, dbeta) of a normalization, given dout = g.

    Training (and layer norm): dx = (1/s)(ĝ - mean(ĝ) - x̂·mean(ĝx̂)) with ĝ = γg, means over the m values
    of one statistic. Its terms have size T = (|ĝ| + mean|ĝ| + |x̂|·mean|ĝx̂|)/s; 1/s is off by the relative
    error of s (d_μ²/2 + (m+3)u/2 + 2u), the sums and products add (m+4)u·T, and x̂'s own error b (from
    normalized_error_bound) enters as (b·mean|ĝx̂| + |x̂|·mean(|ĝ|b))/s. dgamma = Σ g·x̂ and dbeta = Σ g over
    the other axes: Σ|g|·b + (n+1)u·Σ|gx̂| and (n+1)u·Σ|g| for n summed terms. Eval batch norm: dx = γg/s (4u),
    and x̂ = (x - running_mean)/sqrt(running_var + ε) has the eval bound instead of b.
    """
    u, m = unit_roundoff(dtype), case.count
    axes = case.stat_axes
    other = tuple(a for a in range(len(case.shape)) if a not in axes) if case.operation == "layer_norm" else axes
    terms = int(np.prod([case.shape[a] for a in other]))
    gamma = case.broadcast(p["gamma"])
    if training:
        _, x_hat = closed_form(case, x, p["gamma"], p["beta"])
        b = normalized_error_bound(case, x, dtype)
        _, var = batch_statistics(case, x)
        s = np.sqrt(var + case.eps)
        d_mean = m * u * np.abs(x).max(axis=axes, keepdims=True) / s
        s_error = d_mean ** 2 / 2 + (m + 3) * u / 2 + 2 * u
        g_hat = np.abs(gamma * dout)
        mean_gx = (g_hat * np.abs(x_hat)).mean(axis=axes, keepdims=True)
        size = (g_hat + g_hat.mean(axis=axes, keepdims=True) + np.abs(x_hat) * mean_gx) / s
        dx = size * (s_error + (m + 4) * u) + (b * mean_gx + np.abs(x_hat) * (g_hat * b).mean(axis=axes, keepdims=True)) / s
    else:
        mean, s = case.broadcast(p["running_mean"]), np.sqrt(case.broadcast(p["running_var"]) + case.eps)
        x_hat = (x - mean) / s
        b = 6 * u * (np.abs(x) + np.abs(mean)) / s
        dx = 4 * u * np.abs(gamma * dout) / s
    dgamma = (np.abs(dout) * b).sum(axis=other) + (terms + 1) * u * np.abs(dout * x_hat).sum(axis=other)
    dbeta = (terms + 1) * u * np.abs(dout).sum(axis=other)
    return dx, dgamma, dbeta


# ---------------------------------------------------------------- PyTorch modules vs functionals


@pytest.mark.operation("batch_norm")
@given(case=norm_cases("batch_norm"))
@pytest.mark.requires("torch_native")
def test_torch_native_batch_norm_modules_agree_with_f_batch_norm(target, device, dtype, case):
    p = case.parameters()
    channels = case.param_shape[0]
    module_class = torch.nn.BatchNorm1d if len(case.shape) == 2 else torch.nn.BatchNorm2d
    module = module_class(channels, eps=case.eps, momentum=case.momentum).to(device=device, dtype=getattr(torch, dtype))
    with torch.no_grad():
        module.weight.copy_(target.asarray(p["gamma"], dtype, device))
        module.bias.copy_(target.asarray(p["beta"], dtype, device))
        module.running_mean.copy_(target.asarray(p["running_mean"], dtype, device))
        module.running_var.copy_(target.asarray(p["running_var"], dtype, device))
    for training in (True, False):
        module.train(training)
        x = target.asarray(case.values(), dtype, device)
        with torch.no_grad():
            expected = module(x)
        outcome = call(target, case, device, dtype,
                       params={"gamma": p["gamma"], "beta": p["beta"],
                               "running_mean": p["running_mean"], "running_var": p["running_var"]},
                       training=training)
        replay = case.replay(target, device, dtype, training=training)
        assert_exact(outcome.out, as_numpy(expected).astype(np.float64),
                     what=f"F.batch_norm vs {module_class.__name__} output (training={training})", replay=replay)
        for key in ("running_mean", "running_var"):
            assert_exact(outcome.running[key], as_numpy(getattr(module, key)).astype(np.float64),
                         what=f"F.batch_norm vs {module_class.__name__} {key} (training={training})", replay=replay)
        with torch.no_grad():  # the module moved its buffers; put them back for the eval pass
            module.running_mean.copy_(target.asarray(p["running_mean"], dtype, device))
            module.running_var.copy_(target.asarray(p["running_var"], dtype, device))


@pytest.mark.operation("layer_norm")
@pytest.mark.claims("LAYERNORM.TRAIN_EVAL_SAME")
@given(case=norm_cases("layer_norm"))
@pytest.mark.requires("torch_native")
def test_torch_native_layer_norm_module_is_identical_in_train_and_eval_and_to_f_layer_norm(
        target, device, dtype, case):
    p = case.parameters()
    module = torch.nn.LayerNorm(case.param_shape, eps=case.eps).to(device=device, dtype=getattr(torch, dtype))
    with torch.no_grad():
        module.weight.copy_(target.asarray(p["gamma"], dtype, device))
        module.bias.copy_(target.asarray(p["beta"], dtype, device))
    x = target.asarray(case.values(), dtype, device)
    with torch.no_grad():
        train_out = module.train()(x)
        eval_out = module.eval()(x)
    replay = case.replay(target, device, dtype)
    assert_exact(eval_out, train_out, what="nn.LayerNorm eval vs train output", replay=replay)
    assert_exact(call(target, case, device, dtype).out, as_numpy(train_out).astype(np.float64),
                 what="F.layer_norm vs nn.LayerNorm output", replay=replay)


