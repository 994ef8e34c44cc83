"""Optimizer-level regularization: weight decay in SGD, Adam's L2 term against AdamW's decoupled decay,
parameter groups that exempt biases and normalization parameters.

Every property is deterministic: closed-form updates computed in float64 from the target's own state,
compared step by step with rounding bounds derived beside each check (eps = the dtype's epsilon = 2u).
The tests run in float32 and float64 only: torch.optim on float16/bfloat16 parameters is not the
mixed-precision recipe anyone uses (master weights stay float32), and Adam's v = g² underflows in
float16 for |g| < 2⁻¹², so half precision would test the format's range, not the update rule.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st

from regverify.conformance import covering
from regverify.conformance.assertions import as_numpy, assert_exact
from regverify.conformance.strategies import SEEDS, Case, case_values, given
from regverify.conformance.test_penalties import assert_within
from regverify.conformance.tolerances import eps

FLOAT_DTYPES = ("float32", "float64")
STEPS = 16  # steps per trajectory: enough for momentum buffers to build up, cheap enough for the time budget

#: Learning rates and decay weights on dyadic grids: exact in every dtype, so the closed forms see what the target sees.
LEARNING_RATES = st.integers(min_value=1, max_value=16).map(lambda k: k / 64)
DECAYS = st.integers(min_value=1, max_value=16).map(lambda k: k / 16)



@st.composite
def optimizer_cases(draw) -> Case:
    return Case(
        params={"lr": draw(LEARNING_RATES, label="lr"), "lam": draw(DECAYS, label="lam"),
                "momentum": draw(st.sampled_from([0.5, 0.9]), label="momentum"),
                "nesterov": draw(st.booleans(), label="nesterov")},
        seed=0, data_seed=draw(SEEDS, label="data_seed"),
        shape=(draw(st.integers(1, 6), label="size"),))


class Quadratic:
    """L(w) = ½ Σ a_i (w_i − c_i)², a_i ∈ [0.5, 2): the data gradient a(w − c), evaluated in float64."""

    def __init__(self, case: Case) -> None:
        rng = np.random.default_rng(case.data_seed + 1)
        self.curvature = rng.uniform(0.5, 2.0, case.shape)
        self.centre = case_values(case.data_seed + 2, case.shape)

    def gradient(self, w64: np.ndarray) -> np.ndarray:
        return self.curvature * (w64 - self.centre)


def step_function(target, name: str):
    return getattr(target.module, name)


# ---------------------------------------------------------------- SGD and the lecture's shrink identity


@pytest.mark.operation("sgd_step")
@pytest.mark.dtypes(*FLOAT_DTYPES)
@pytest.mark.claims("WEIGHT_DECAY.SGD.SHRINK", "WEIGHT_DECAY.PENALTY.NO_HALF", "WEIGHT_DECAY.WEEK6.CODE")
@given(case=optimizer_cases())
@pytest.mark.requires("implements:l2_penalty")
def test_sgd_step_on_l2_penalized_loss_is_shrink_then_gradient_step(target, device, dtype, case):
    """One SGD step on L + (λ/2)‖w‖² is (1 − αλ)w − α∇L; on L + λ‖w‖² it is (1 − 2αλ)w − α∇L; and
    sgd_step(weight_decay=λ) is the (λ/2) convention. Checked step by step along a trajectory, each step
    from the target's own iterate, so rounding does not accumulate into the comparison."""
    lr, lam = case.params["lr"], case.params["lam"]
    loss = Quadratic(case)
    sgd = step_function(target, "sgd_step")
    one = target.asarray(np.array(1.0), dtype, device)
    variants = [("penalty half=True", 1.0), ("penalty half=False", 2.0), ("weight_decay=λ", 1.0)]
    for label, factor in variants:
        w = target.asarray(case.values(), dtype, device)
        for step in range(STEPS):
            w64 = as_numpy(w).astype(np.float64)
            g = target.asarray(loss.gradient(w64), dtype, device)
            g64 = as_numpy(g).astype(np.float64)
            if label.startswith("penalty"):
                (penalty_gradient,) = target.call("l2_penalty", w, lam, half=label.endswith("True")).backward(one)
                w_new, _ = sgd(w, g + penalty_gradient, lr)
            else:
                w_new, _ = sgd(w, g, lr, weight_decay=lam)
            expected = (1 - factor * lr * lam) * w64 - lr * g64
            # λw (2 roundings), g + λw, lr·d, lr's own rounding, w − lr·d: ≤ u(|w_new| + 4α(|g| + cλ|w|)).
            atol = eps(dtype) * (np.abs(expected) + 2 * lr * (np.abs(g64) + factor * lam * np.abs(w64)))
            assert_within(w_new, expected, atol, why="≤ 5 roundings of the step's terms",
                         what=f"{target.name}.sgd_step ({label}, lr={lr}, λ={lam}) step {step + 1} in {dtype} "
                              f"vs (1 − {factor:g}αλ)w − α∇L [{case.describe()}]")
            w = w_new


@pytest.mark.operation("sgd_step")
@pytest.mark.dtypes(*FLOAT_DTYPES)
@pytest.mark.claims("WEIGHT_DECAY.SGD.SHRINK")
@given(w_sixteenths=st.lists(st.integers(-64, 64), min_size=1, max_size=6),
       g_sixteenths=st.lists(st.integers(-64, 64), min_size=6, max_size=6),
       lr_exponent=st.integers(0, 6), lam_exponent=st.integers(0, 6))
def test_sgd_weight_decay_step_is_exactly_the_shrink_identity_on_dyadic_values(
        target, device, dtype, w_sixteenths, g_sixteenths, lr_exponent, lam_exponent):
    # w, g ∈ 2⁻⁴ℤ with |·| ≤ 4, α = 2^-i, λ = 2^-j (i, j ≤ 6): every intermediate is a multiple of
    # 2^-(4+i+j) ≤ 2^-16 below 16 in magnitude, i.e. ≤ 21 significant bits: exact in float32 and float64.
    w64 = np.array(w_sixteenths, dtype=np.float64) / 16
    g64 = np.array(g_sixteenths[: w64.size], dtype=np.float64) / 16
    lr, lam = 2.0**-lr_exponent, 2.0**-lam_exponent
    w_new, _ = step_function(target, "sgd_step")(target.asarray(w64, dtype, device), target.asarray(g64, dtype, device),
                                                  lr, weight_decay=lam)
    assert_exact(np.asarray(as_numpy(w_new), dtype=np.float64), (1 - lr * lam) * w64 - lr * g64,
                 what=f"{target.name}.sgd_step(lr={lr}, weight_decay={lam}) on dyadic w={w64.tolist()}, g={g64.tolist()}")


@pytest.mark.operation("sgd_step")
@pytest.mark.dtypes(*FLOAT_DTYPES)
@pytest.mark.claims("WEIGHT_DECAY.SGD.MOMENTUM")
@pytest.mark.requires("convention:sgd_step.weight_decay=coupled")
@given(case=optimizer_cases())
def test_sgd_weight_decay_with_momentum_is_momentum_sgd_on_the_l2_penalized_loss(target, device, dtype, case):
    """SGD(momentum=μ, weight_decay=λ) adds λw to the gradient before the momentum buffer, so it equals
    momentum SGD on L + (λ/2)‖w‖²; without Nesterov the step is (1 − αλ)w − α∇L − αμb_prev (b_prev = 0 at
    the first step, where torch sets b = d). Checked step by step from the weight-decay run's state."""
    lr, lam, mu, nesterov = (case.params[k] for k in ("lr", "lam", "momentum", "nesterov"))
    loss = Quadratic(case)
    sgd = step_function(target, "sgd_step")
    w = target.asarray(case.values(), dtype, device)
    buffer = None
    for step in range(STEPS):
        w64 = as_numpy(w).astype(np.float64)
        g = target.asarray(loss.gradient(w64), dtype, device)
        g64 = as_numpy(g).astype(np.float64)
        b64 = np.zeros_like(w64) if buffer is None else as_numpy(buffer).astype(np.float64)
        decayed, decayed_buffer = sgd(w, g, lr, weight_decay=lam, momentum=mu, nesterov=nesterov, buffer=buffer)
        penalized = target.asarray(g64 + lam * w64, dtype, device)
        explicit, explicit_buffer = sgd(w, penalized, lr, momentum=mu, nesterov=nesterov, buffer=buffer)
        what = (f"{target.name}.sgd_step(lr={lr}, momentum={mu}, nesterov={nesterov}, weight_decay={lam}) step "
                f"{step + 1} in {dtype} [{case.describe()}]")
        d = np.abs(g64) + lam * np.abs(w64)
        # Both runs differ only by how g + λw is rounded (≤ eps·d each way); it passes through the buffer
        # (×1) and, with Nesterov, once more (×μ), then ×α; the final roundings differ by ≤ eps·|w_new|.
        atol = eps(dtype) * (lr * (1 + mu) * (2 * d + mu * np.abs(b64)) + np.abs(as_numpy(decayed)))
        assert_within(decayed, explicit, atol, why="rounding of g + λw through buffer and step",
                     what=f"{what}: weight_decay vs explicit L2 gradient")
        buffer_atol = eps(dtype) * (2 * d + 2 * mu * np.abs(b64))
        assert_within(decayed_buffer, explicit_buffer, buffer_atol, why="rounding of g + λw and μb",
                     what=f"{what}: momentum buffers")
        if not nesterov:
            expected = (1 - lr * lam) * w64 - lr * g64 - lr * mu * b64
            assert_within(decayed, expected, atol + eps(dtype) * lr * (d + mu * np.abs(b64)),
                         why="the same roundings plus μb's", what=f"{what}: vs (1 − αλ)w − α∇L − αμb")
        w, buffer = decayed, decayed_buffer


# ---------------------------------------------------------------- Adam with L2 versus AdamW


#: Every pair of momentum, dampening, Nesterov and weight decay in some row (covering.pairwise). A first step with
#: dampening is where torch.optim.SGD differs from the textbook buffer (b₁ = d, not (1 - τ)d); Nesterov with
#: dampening or without momentum must be rejected.
SGD_OPTIONS = {"momentum": (0.0, 0.9), "dampening": (0.0, 0.5), "nesterov": (False, True), "weight_decay": (0.0, 0.25)}
SGD_ROWS = covering.pairwise(SGD_OPTIONS)


@pytest.mark.operation("sgd_step")
@pytest.mark.dtypes(*FLOAT_DTYPES)
@pytest.mark.parametrize("options", SGD_ROWS, ids=[covering.row_id(row) for row in SGD_ROWS])
@settings(max_examples=2)
@given(case=optimizer_cases())
@pytest.mark.requires("convention:sgd_step.weight_decay=coupled")
def test_sgd_step_follows_torch_optim_for_every_pair_of_options(target, device, dtype, options, case):
    """torch.optim.SGD's rule from the target's own state: d = g + λw; b₁ = d, b_t = μb + (1 - τ)d; step d + μb
    (Nesterov) or b; w - α·step. Rounding: ≤ 8 roundings of terms ≤ |w| + α(|g| + λ|w| + 2μ|b_prev| + 2|b|)."""
    lr, mu, tau, nesterov, lam = (case.params["lr"], options["momentum"], options["dampening"], options["nesterov"],
                                  options["weight_decay"])
    if tau and not getattr(target.module, "SGD_STEP_DAMPENING", True):  # Keras's SGD has no dampening
        pytest.skip(f"not applicable: {target.name}.sgd_step has no dampening")
    sgd = step_function(target, "sgd_step")
    w = target.asarray(case.values(), dtype, device)
    what = f"{target.name}.sgd_step(lr={lr}, {covering.row_id(options)}) in {dtype} [{case.describe()}]"
    if nesterov and (mu == 0 or tau != 0):
        try:
            sgd(w, w, lr, weight_decay=lam, momentum=mu, dampening=tau, nesterov=True)
        except (ValueError, TypeError):
            return
        raise AssertionError(f"{what}: Nesterov needs momentum > 0 and dampening 0, but the call was accepted")
    loss, buffer = Quadratic(case), None
    for step in range(3):
        w64 = as_numpy(w).astype(np.float64)
        g = target.asarray(loss.gradient(w64), dtype, device)
        g64 = as_numpy(g).astype(np.float64)
        d = g64 + lam * w64
        b_prev = None if buffer is None else as_numpy(buffer).astype(np.float64)
        w_new, buffer = sgd(w, g, lr, weight_decay=lam, momentum=mu, dampening=tau, nesterov=nesterov, buffer=buffer)
        b = None if mu == 0 else (d if b_prev is None else mu * b_prev + (1 - tau) * d)
        direction = d if mu == 0 else (d + mu * b if nesterov else b)
        expected = w64 - lr * direction
        scale = np.abs(w64) + lr * (np.abs(g64) + lam * np.abs(w64) + 2 * mu * np.abs(0 if b_prev is None else b_prev)
                                    + 2 * np.abs(0 if b is None else b))
        assert_within(w_new, expected, 4 * eps(dtype) * scale, why="≤ 8 roundings of the step's terms",
                      what=f"{what} step {step + 1}")
        w = w_new


def adam_reference(w, g, lr, betas, epsilon, weight_decay, decoupled, m, v, step):
    """torch.optim.Adam / AdamW's update in float64 (the PyTorch docs' algorithm, their order of operations)."""
    beta1, beta2 = betas
    step += 1
    if decoupled:
        w = w * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * w
    m = m + (1 - beta1) * (g - m)
    v = beta2 * v + (1 - beta2) * g * g
    denominator = np.sqrt(v) / math.sqrt(1 - beta2**step) + epsilon
    step_size = lr / (1 - beta1**step)
    return w - step_size * m / denominator, m, v, g, denominator, step_size


@pytest.mark.operation("adam_step")
@pytest.mark.dtypes(*FLOAT_DTYPES)
@pytest.mark.claims("WEIGHT_DECAY.L2_EQUIVALENCE")
@given(case=optimizer_cases(), epsilon_exponent=st.integers(3, 8))
@pytest.mark.requires("implements:adamw_step", "convention:adam_step.epsilon=after_bias_correction",
                      "convention:adamw_step.epsilon=after_bias_correction")
def test_adam_l2_and_adamw_differ_after_one_step_by_the_predicted_amount(target, device, dtype, case, epsilon_exponent):
    """From zero moments, m̂ = g' and √v̂ = |g'| exactly, so one step moves w by −α·g'/(|g'| + ε):
    Adam(weight_decay=λ): w − α(g + λw)/(|g + λw| + ε); AdamW: w(1 − αλ) − α g/(|g| + ε).
    Their difference is a closed form; with ε small it is ≈ −αλw − α(sign g − sign(g + λw)), not 0."""
    lr, lam = case.params["lr"], case.params["lam"]
    epsilon = 10.0**-epsilon_exponent
    w = target.asarray(case.values(), dtype, device)
    w64 = as_numpy(w).astype(np.float64)
    g = target.asarray(Quadratic(case).gradient(w64), dtype, device)
    g64 = as_numpy(g).astype(np.float64)
    coupled, _ = step_function(target, "adam_step")(w, g, lr, eps=epsilon, weight_decay=lam)
    decoupled, _ = step_function(target, "adamw_step")(w, g, lr, eps=epsilon, weight_decay=lam)
    l2_gradient = g64 + lam * w64
    predicted = (w64 * (1 - lr * lam) - lr * g64 / (np.abs(g64) + epsilon)) - (
        w64 - lr * l2_gradient / (np.abs(l2_gradient) + epsilon))
    measured = as_numpy(decoupled).astype(np.float64) - as_numpy(coupled).astype(np.float64)
    # Each run: the update α·g'/(|g'|+ε) ≤ α passes ≤ 10 roundings (moments, root, bias corrections, ε, the
    # division and the step size) → 5·eps·α; the decay product and the final subtraction ≤ eps(|w| + αλ|w|).
    atol = 2 * eps(dtype) * (5 * lr + np.abs(w64) * (1 + lr * lam)) + eps(dtype) * np.abs(predicted)
    assert_within(measured, predicted, atol, why="two runs of ≤ 12 roundings each, plus the difference's",
                 what=f"{target.name} AdamW − Adam(L2) after one step (lr={lr}, λ={lam}, ε={epsilon}) in {dtype} "
                      f"[{case.describe()}]")


@pytest.mark.operation("adam_step", "adamw_step")
@pytest.mark.dtypes(*FLOAT_DTYPES)
@pytest.mark.claims("WEIGHT_DECAY.L2_EQUIVALENCE")
@given(case=optimizer_cases(), beta2=st.sampled_from([0.99, 0.999]))
@pytest.mark.requires("convention:adam_step.epsilon=after_bias_correction",
                      "convention:adamw_step.epsilon=after_bias_correction")
def test_adam_and_adamw_follow_the_reference_update_step_by_step(target, operation, device, dtype, case, beta2):
    lr, lam = case.params["lr"], case.params["lam"]
    betas, epsilon = (case.params["momentum"], beta2), 1e-8
    loss = Quadratic(case)
    step_fn = step_function(target, operation)
    w = target.asarray(case.values(), dtype, device)
    state = None
    e = eps(dtype)
    for step in range(STEPS // 2):
        w64 = as_numpy(w).astype(np.float64)
        g = target.asarray(loss.gradient(w64), dtype, device)
        g64 = as_numpy(g).astype(np.float64)
        m64 = np.zeros_like(w64) if state is None else as_numpy(state["exp_avg"]).astype(np.float64)
        v64 = np.zeros_like(w64) if state is None else as_numpy(state["exp_avg_sq"]).astype(np.float64)
        w_new, state = step_fn(w, g, lr, betas=betas, eps=epsilon, weight_decay=lam, state=state)
        expected, m, v, g_used, denominator, step_size = adam_reference(
            w64, g64, lr, betas, epsilon, lam, operation == "adamw_step", m64, v64, step)
        what = f"{target.name}.{operation}(lr={lr}, betas={betas}, weight_decay={lam}) step {step + 1} in {dtype} [{case.describe()}]"
        # m: the L2 term and the lerp, ≤ 4 roundings of |m| + |g'|; v: β₂v, g'², (1−β₂)g'², the sum: ≤ 4 of v + g'².
        # (|g| + λ|w| bounds the L2 gradient's rounding even where g + λw cancels.)
        g_size = np.abs(g64) + (0.0 if operation == "adamw_step" else lam * np.abs(w64))
        dm = 2 * e * (np.abs(m64) + g_size)
        dv = 2 * e * (v64 + g_size * g_size)
        assert_within(state["exp_avg"], m, dm, why="≤ 4 roundings", what=f"{what}: exp_avg")
        assert_within(state["exp_avg_sq"], v, dv, why="≤ 4 roundings", what=f"{what}: exp_avg_sq")
        assert int(state["step"]) == step + 1, f"{what}: step count {state['step']}, but should be {step + 1}"
        # The update s·m/den: perturbed by dm in m, by dv/(2√v·√(1−β₂ᵗ)) and 3 roundings in den, and 3 in s·m/den.
        root_bc2 = math.sqrt(1 - betas[1] ** (step + 1))
        d_den = dv / (2 * np.sqrt(np.maximum(v, dv)) * root_bc2) + 1.5 * e * denominator
        update = step_size * np.abs(m) / denominator
        d_update = step_size * (dm / denominator + np.abs(m) * d_den / denominator**2) + 1.5 * e * update
        atol = d_update + e * (np.abs(expected) + lr * lam * np.abs(w64))
        assert_within(w_new, expected, atol, why="propagated moment and update roundings",
                     what=f"{what}: parameters")
        w = w_new


# ---------------------------------------------------------------- parameter groups


@pytest.mark.operation("grouped_steps")
@pytest.mark.dtypes(*FLOAT_DTYPES)
@given(case=optimizer_cases(), optimizer=st.sampled_from(["sgd", "adam", "adamw"]))
def test_parameter_group_without_decay_leaves_biases_and_norm_parameters_exactly_as_a_zero_decay_run(
        target, device, dtype, case, optimizer):
    """A weight/bias/normalization layout; the usual recipe puts biases and normalization parameters in a
    group with weight_decay=0. Those must come out bit for bit as in a run with no decay at all (the
    optimizers are elementwise: a parameter's update depends on nothing else), while the weights must
    come out bit for bit as in a run that decays everything."""
    shapes = {"linear.weight": (3, 4), "linear.bias": (3,), "norm.weight": (4,), "norm.bias": (4,)}
    no_decay = ("linear.bias", "norm.weight", "norm.bias")
    params = {name: target.asarray(case_values(case.data_seed + i, shape), dtype, device)
              for i, (name, shape) in enumerate(shapes.items())}
    grads = [{name: target.asarray(case_values(case.data_seed + 10 * (t + 1) + i, shape), dtype, device)
              for i, (name, shape) in enumerate(shapes.items())} for t in range(4)]
    run = step_function(target, "grouped_steps")
    lr, lam = case.params["lr"] / 16, case.params["lam"]
    grouped = run(params, grads, optimizer=optimizer, lr=lr, weight_decay=lam, no_decay=no_decay)
    undecayed = run(params, grads, optimizer=optimizer, lr=lr, weight_decay=0.0, no_decay=())
    all_decayed = run(params, grads, optimizer=optimizer, lr=lr, weight_decay=lam, no_decay=())
    what = f"{target.name}.grouped_steps({optimizer}, lr={lr}, weight_decay={lam}) in {dtype}"
    for name in no_decay:
        assert_exact(grouped[name], undecayed[name], what=f"{what}: {name} (no-decay group) vs a zero-decay run")
    assert_exact(grouped["linear.weight"], all_decayed["linear.weight"], what=f"{what}: linear.weight vs decay-all run")
    assert not np.array_equal(as_numpy(grouped["linear.weight"]), as_numpy(undecayed["linear.weight"])), (
        f"{what}: linear.weight equals the zero-decay run, so weight_decay={lam} had no effect")


# ---------------------------------------------------------------- invalid input



@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("optimizer", ["sgd_step", "adam_step", "adamw_step"])
@given(case=optimizer_cases())
def test_torch_reference_steps_equal_torch_optim_bit_for_bit_on_cpu(optimizer, dtype, case):
    """The torch reference performs torch.optim's single-tensor CPU algorithm with the same tensor operations
    in the same order (add with alpha, lerp, addcmul, addcdiv), so on the CPU the trajectories agree exactly."""
    from impls.protocol import load_target

    reference, native = load_target("torch"), load_target("torch-native")
    lr, lam, mu, nesterov = (case.params[k] for k in ("lr", "lam", "momentum", "nesterov"))
    loss = Quadratic(case)
    options = ({"weight_decay": lam, "momentum": mu, "nesterov": nesterov} if optimizer == "sgd_step"
               else {"weight_decay": lam, "betas": (mu, 0.999)})
    state_key = "buffer" if optimizer == "sgd_step" else "state"
    w = reference.asarray(case.values(), dtype)
    state = None
    for step in range(STEPS // 2):
        g = reference.asarray(loss.gradient(as_numpy(w).astype(np.float64)), dtype)
        ours, our_state = getattr(reference.module, optimizer)(w, g, lr, **options, **{state_key: state})
        theirs, _ = getattr(native.module, optimizer)(w, g, lr, **options, **{state_key: state})
        assert_exact(ours, theirs, what=f"torch reference vs torch.optim {optimizer}({options}) step {step + 1} in "
                                        f"{dtype} [{case.describe()}]")
        w, state = ours, our_state
