"""Conventions declared, not enforced: for each place where correct libraries legitimately disagree
(impls/protocol/conventions.py), the rule of the value the target declares — PyTorch's when it declares
nothing. Each property isolates the one behaviour the convention decides, on inputs where the values give
different answers, so a target that declares one value and does another fails.

The family modules check everything else; their properties that assume PyTorch's value carry
``@pytest.mark.requires("convention:OPERATION.NAME=VALUE")`` and are "not applicable" to a target that
declares another value, which is checked here instead. Every property is deterministic (no random checks):
the convention is structure, not a law.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import strategies as st

from impls.protocol import conventions
from regverify.conformance.assertions import as_numpy, assert_exact, assert_within
from regverify.conformance.strategies import given
from regverify.conformance.tolerances import eps

SEEDS = st.integers(0, 2**32 - 1)
FLOAT_DTYPES = ("float32", "float64")



def values(seed: int, shape, low: float = 0.5, high: float = 2.0) -> np.ndarray:
    """Magnitudes in [low, high) with random signs: no zeros, no cancellation near 0."""
    rng = np.random.default_rng(seed)
    return rng.uniform(low, high, shape) * rng.choice([-1.0, 1.0], shape)


def convention_of(target, operation: str, name: str) -> str:
    return conventions.behaviour(target, operation, name)


# ---------------------------------------------------------------- optimizers


@pytest.mark.operation("adamw_step")
@pytest.mark.dtypes(*FLOAT_DTYPES)
@given(seed=SEEDS, lr_exponent=st.integers(1, 6), lam_exponent=st.integers(1, 4))
def test_adamw_decoupled_decay_is_scaled_by_lr_or_not_as_declared(target, device, dtype, seed, lr_exponent,
                                                                   lam_exponent):
    """With a zero gradient from zero moments Adam's update is 0/(0 + ε) = 0, so one AdamW step is the decay
    alone: w(1 − lr·λ) when the decay is scaled by lr (PyTorch, Keras), w(1 − λ) when it is not (TF-Addons)."""
    rule = convention_of(target, "adamw_step", "decay_scaling")
    lr, lam = 2.0**-lr_exponent, 2.0**-lam_exponent
    w64 = values(seed, (4,))
    w = target.asarray(w64, dtype, device)
    w_new, _ = target.module.adamw_step(w, target.asarray(np.zeros(4), dtype, device), lr, weight_decay=lam)
    factor = 1 - lr * lam if rule == "lr" else 1 - lam
    # Dyadic lr, λ: 1 − lr·λ is exact; w·factor (or w − w·λ·lr) rounds ≤ 2 times: 2·eps·|w|.
    assert_within(w_new, factor * w64, 2 * eps(dtype) * np.abs(w64), why="≤ 2 roundings of the decay product",
                  what=f"{target.name}.adamw_step(g=0, lr={lr}, weight_decay={lam}) under decay_scaling={rule!r}")


@pytest.mark.operation("sgd_step")
@pytest.mark.dtypes(*FLOAT_DTYPES)
@given(seed=SEEDS, lr_exponent=st.integers(1, 4), lam_exponent=st.integers(1, 3), momentum=st.sampled_from([0.5, 0.75]))
def test_sgd_weight_decay_enters_the_momentum_buffer_or_not_as_declared(target, device, dtype, seed, lr_exponent,
                                                                        lam_exponent, momentum):
    """Two momentum steps. Coupled (PyTorch): b₁ = g₁ + λw₀, b₂ = μb₁ + g₂ + λw₁, w ← w − lr·b. Decoupled (Keras):
    b₁ = g₁, b₂ = μb₁ + g₂, w ← w(1 − lr·λ) − lr·b. After step 2 the two differ by lr·μ·λ·w₀, far above rounding."""
    rule = convention_of(target, "sgd_step", "weight_decay")
    lr, lam = 2.0**-lr_exponent, 2.0**-lam_exponent
    w0, g1, g2 = values(seed, (3,)), values(seed + 1, (3,)), values(seed + 2, (3,))
    sgd = target.module.sgd_step
    w1, buffer = sgd(target.asarray(w0, dtype, device), target.asarray(g1, dtype, device), lr, weight_decay=lam,
                     momentum=momentum)
    w1_64 = as_numpy(w1).astype(np.float64)
    w2, _ = sgd(w1, target.asarray(g2, dtype, device), lr, weight_decay=lam, momentum=momentum, buffer=buffer)
    if rule == "coupled":
        b1 = g1 + lam * w0
        expected = w1_64 - lr * (momentum * b1 + g2 + lam * w1_64)
    else:
        expected = w1_64 * (1 - lr * lam) - lr * (momentum * g1 + g2)
    scale = np.abs(w1_64) + lr * (np.abs(g1) + np.abs(g2) + lam * (np.abs(w0) + np.abs(w1_64)))
    # Each step's state (buffer, decayed weights) passes ≤ 8 roundings of terms bounded by `scale`.
    assert_within(w2, expected, 8 * eps(dtype) * scale, why="≤ 8 roundings of terms bounded by |w| + lr(|g| + λ|w|)",
                  what=f"{target.name}.sgd_step step 2 (lr={lr}, momentum={momentum}, weight_decay={lam}) under "
                       f"weight_decay={rule!r}")


@pytest.mark.operation("adam_step", "adamw_step")
@pytest.mark.dtypes(*FLOAT_DTYPES)
@given(seed=SEEDS, lr_exponent=st.integers(2, 6), beta2=st.sampled_from([0.99, 0.999]))
def test_adam_epsilon_is_added_after_or_before_the_bias_correction_as_declared(target, operation, device, dtype, seed,
                                                                                lr_exponent, beta2):
    """One step from zero moments: m̂ = g, √v̂ = |g|. ε after the bias correction (PyTorch): w − lr·g/(|g| + ε);
    before it (Keras, TF: ε̂): w − lr·g/(|g| + ε/√(1 − β₂)). With ε = 0.1 and |g| ≈ 1 they differ by ≈ lr·0.9."""
    rule = convention_of(target, operation, "epsilon")
    lr, epsilon = 2.0**-lr_exponent, 0.1
    w64, g64 = values(seed, (4,)), values(seed + 1, (4,))
    kwargs = {"weight_decay": 0.0} if operation == "adamw_step" else {}
    w_new, _ = getattr(target.module, operation)(target.asarray(w64, dtype, device), target.asarray(g64, dtype, device),
                                                 lr, betas=(0.9, beta2), eps=epsilon, **kwargs)
    effective = epsilon if rule == "after_bias_correction" else epsilon / math.sqrt(1 - beta2)
    expected = w64 - lr * g64 / (np.abs(g64) + effective)
    # ≤ 10 roundings in the moments, root, corrections and division, on an update ≤ lr; 1 on |w|. A target that
    # forms 1 − β₂ in the dtype loses eps/(1 − β₂) of it to cancellation: ε̂/√(1 − β₂) moves by half that,
    # and the update by lr·|g|·ε̂'/(|g| + ε̂')² times it.
    cancellation = eps(dtype) / (1 - beta2) / 2 * lr * np.abs(g64) * effective / (np.abs(g64) + effective) ** 2
    assert_within(w_new, expected, eps(dtype) * (10 * lr + np.abs(w64)) + 2 * cancellation,
                  why="≤ 10 roundings of an update ≤ lr, plus the cancellation in 1 − β₂ (×2 for its square root's rounding)",
                  what=f"{target.name}.{operation}(lr={lr}, eps={epsilon}, beta2={beta2}) first step under "
                       f"epsilon={rule!r}")


@pytest.mark.operation("clip_grad_norm")
@pytest.mark.dtypes(*FLOAT_DTYPES)
@given(seed=SEEDS, data=st.data())
def test_clip_grad_norm_clips_globally_or_per_variable_as_declared(target, device, dtype, seed, data):
    """Two gradients of norms ≈ 1 and ≈ 10 and a threshold 2: global clipping scales both by 2/‖(g₁, g₂)‖;
    per-variable clipping leaves g₁ (‖g₁‖ < 2) and scales g₂ by 2/‖g₂‖."""
    scope = data.draw(st.sampled_from(conventions.declared(target, "clip_grad_norm", "scope")), label="scope")
    g1 = values(seed, (3,), 0.3, 0.5)
    g2 = 10 * values(seed + 1, (4,), 0.5, 0.6)
    threshold = 2.0
    keywords = conventions.keywords(target, "clip_grad_norm", "scope", scope)
    clipped, _ = target.module.clip_grad_norm([target.asarray(g1, dtype, device), target.asarray(g2, dtype, device)],
                                              threshold, **keywords)
    if scope == "global":
        total = math.sqrt(float(np.sum(g1**2) + np.sum(g2**2)))
        expected = [g1 * threshold / total, g2 * threshold / total]
    else:
        expected = [g1 * min(1.0, threshold / np.linalg.norm(g1)), g2 * threshold / np.linalg.norm(g2)]
    for index, (got, want) in enumerate(zip(clipped, expected, strict=True)):
        # The norm (n roundings) and the scale: (n + 3)·eps relative, plus torch's +1e-6 in the denominator.
        bound = ((want.size + 7) * eps(dtype) + 1e-6) * np.abs(want)
        assert_within(got, want, bound, why="norm and scale roundings, plus torch's 1e-6 in max_norm/(norm + 1e-6)",
                      what=f"{target.name}.clip_grad_norm(max_norm={threshold}, scope={scope!r}) grads[{index}]")


# ---------------------------------------------------------------- dropout family at p = 1


def call_at_p_one(target, operation: str, device):
    """The operation in training mode at p = 1 on fixed float32 values, under the target's declared p_one rule:
    (rule, x, result), result None where the rule is "rejected" (the call must then raise naming p)."""
    rule = convention_of(target, operation, "p_one")
    x = target.asarray(values(0, (3, 4)), "float32", device)
    if rule == "rejected":
        with pytest.raises((ValueError, TypeError), match=r"\bp\b"):
            target.call(operation, x, 1.0, training=True, generator=target.generator(0, device))
        return rule, x, None
    return rule, x, target.call(operation, x, 1.0, training=True, generator=target.generator(0, device))


@pytest.mark.operation("dropout")
def test_dropout_at_p_1_gives_zeros_or_is_rejected_as_declared(target, device):
    rule, _, result = call_at_p_one(target, "dropout", device)
    if result is not None:
        assert_exact(result.out, np.zeros((3, 4), dtype=np.float32),
                     what=f"{target.name}.dropout(p=1.0) under p_one={rule!r}")


@pytest.mark.operation("alpha_dropout")
def test_alpha_dropout_at_p_1_follows_the_declared_rule(target, device):
    rule, x, result = call_at_p_one(target, "alpha_dropout", device)
    if result is not None:
        expected = np.zeros((3, 4)) if rule == "zeros" else as_numpy(x)
        assert_exact(np.asarray(as_numpy(result.out), dtype=np.float32), np.asarray(expected, dtype=np.float32),
                     what=f"{target.name}.alpha_dropout(p=1.0) under p_one={rule!r}")


# ---------------------------------------------------------------- stochastic depth and DropBlock scaling


@pytest.mark.operation("stochastic_depth")
@pytest.mark.dtypes("float32", "float64")
@given(seed=SEEDS, p=st.sampled_from([0.25, 0.5, 0.75]))
def test_stochastic_depth_scales_kept_branches_as_declared(target, device, dtype, seed, p):
    """Training: kept samples carry x·s with s = 1/(1-p) (inverted) or 1 (unscaled, test_time); eval returns x
    (inverted, unscaled) or (1-p)·x (test_time)."""
    rule = convention_of(target, "stochastic_depth", "scaling")
    x64 = values(seed, (8, 3))
    x = target.asarray(x64, dtype, device)
    result = target.call("stochastic_depth", x, p, "row", training=True, generator=target.generator(seed, device))
    kept = as_numpy(result.mask).reshape(8, -1)[:, :1].astype(bool)
    scale = 1 / (1 - p) if rule == "inverted" else 1.0
    x_rounded = as_numpy(x).astype(np.float64)
    expected = np.where(kept, x_rounded * scale, 0.0)
    assert_within(result.out, expected, 2 * eps(dtype) * np.abs(expected), why="≤ 2 roundings of the scale and product",
                  what=f"{target.name}.stochastic_depth(p={p}) training output under scaling={rule!r}")
    evaluated = target.call("stochastic_depth", x, p, "row", training=False, generator=target.generator(seed, device))
    eval_scale = 1 - p if rule == "test_time" else 1.0
    assert_within(evaluated.out, x_rounded * eval_scale, eps(dtype) * np.abs(x_rounded), why="one rounding",
                  what=f"{target.name}.stochastic_depth(p={p}, training=False) under scaling={rule!r}")


@pytest.mark.operation("dropblock2d")
@pytest.mark.dtypes("float32", "float64")
@given(seed=SEEDS, p=st.sampled_from([0.2, 0.4]))
def test_dropblock_renormalises_as_declared(target, device, dtype, seed, p):
    """Survivors are scaled by numel/#kept (the realised kept fraction: torchvision, timm) or by 1/(1-p)."""
    rule = convention_of(target, "dropblock2d", "normalization")
    x64 = values(seed, (2, 2, 8, 8))
    x = target.asarray(x64, dtype, device)
    result = target.call("dropblock2d", x, p, 3, training=True, generator=target.generator(seed, device))
    kept = as_numpy(result.mask).astype(bool)
    kept = np.broadcast_to(kept, x64.shape)
    if not kept.any():
        return  # everything dropped: no survivor to check (the family module checks this case)
    scale = kept.size / kept.sum() if rule == "kept_fraction" else 1 / (1 - p)
    x_rounded = as_numpy(x).astype(np.float64)
    expected = np.where(kept, x_rounded * scale, 0.0)
    # The scale is computed once (≤ 2 roundings, plus torchvision's 1e-6 / timm's 1e-7 in the denominator).
    bound = (3 * eps(dtype) + 2e-6) * np.abs(expected)
    assert_within(result.out, expected, bound, why="scale and product roundings plus the libraries' eps in #kept",
                  what=f"{target.name}.dropblock2d(p={p}, block_size=3) survivors under normalization={rule!r}")


# ---------------------------------------------------------------- early stopping


def _stop_epoch(target, metrics, patience: int, min_delta: float = 0.0):
    stopper = target.module.EarlyStopping(patience, min_delta=min_delta)
    for epoch, metric in enumerate(metrics):
        if stopper.step(metric, {"epoch": epoch}):
            return stopper, epoch
    return stopper, None


@pytest.mark.operation("EarlyStopping")
@given(improving=st.integers(1, 4), flat=st.integers(1, 5))
def test_early_stopping_patience_0_follows_the_declared_meaning(target, improving, flat):
    """Metrics that improve for `improving` epochs and then stay flat: patience 0 is rejected (the week-6 loop),
    stops at the first flat epoch (Keras, Lightning) or never stops."""
    rule = convention_of(target, "EarlyStopping", "patience_zero")
    metrics = [float(improving - i) for i in range(improving)] + [1.0] * flat
    if rule == "rejected":
        with pytest.raises((ValueError, TypeError), match="patience"):
            target.module.EarlyStopping(0)
        return
    _, stopped = _stop_epoch(target, metrics, 0)
    expected = improving if rule == "stop_at_first_non_improvement" else None
    assert stopped == expected, (f"{target.name}.EarlyStopping(patience=0) stopped at {stopped}, but should at "
                                 f"{expected} under patience_zero={rule!r} [metrics={metrics}]")


@pytest.mark.operation("EarlyStopping")
@given(start=st.integers(4, 24).map(lambda k: k / 4), min_delta=st.sampled_from([0.25, 0.5, 1.0]))
def test_early_stopping_improvement_of_exactly_min_delta_counts_as_declared(target, start, min_delta):
    """An epoch that improves by exactly min_delta (dyadic, so exact): no improvement when the rule is
    "exceeds" (best − metric > min_delta), an improvement when it is "at_least" (≥)."""
    rule = convention_of(target, "EarlyStopping", "min_delta")
    stopper = target.module.EarlyStopping(5, min_delta=min_delta)
    stopper.step(start, None)
    stopper.step(start - min_delta, None)
    expected = 0 if rule == "exceeds" else 1
    assert stopper.best_epoch == expected, (
        f"{target.name}.EarlyStopping(min_delta={min_delta}) after {start} then {start - min_delta}: best_epoch="
        f"{stopper.best_epoch}, but should be {expected} under min_delta={rule!r}")


# ---------------------------------------------------------------- mixing


@pytest.mark.operation("cutmix")
@pytest.mark.dtypes("float32", "float64")
@given(seed=SEEDS, side=st.integers(3, 6))
def test_cutmix_labels_mix_by_the_pasted_area_or_the_sampled_lambda_as_declared(target, device, dtype, seed, side):
    """corrected: the returned λ is 1 − area/(H·W) of the box actually pasted; uncorrected: the labels mix by the
    returned (sampled) λ whatever the clipped area. Either way ỹ = λy + (1 − λ)y[perm] for the returned λ."""
    rule = convention_of(target, "cutmix", "lam")
    n, classes = 4, 3
    x = target.asarray(np.random.default_rng(seed).uniform(0, 1, (n, 1, side, side)), dtype, device)
    y64 = np.eye(classes)[np.arange(n) % classes]
    _, y_mixed, (lam, (y1, y2, x1, x2), permutation) = target.module.cutmix(
        x, target.asarray(y64, dtype, device), 1.0, generator=target.generator(seed, device))
    perm = np.asarray(as_numpy(permutation), dtype=np.int64)
    expected_y = float(lam) * y64 + (1 - float(lam)) * y64[perm]
    assert_within(y_mixed, expected_y, 2 * eps(dtype), why="two roundings", what=f"{target.name}.cutmix labels vs λ")
    if rule == "corrected":
        area = (int(y2) - int(y1)) * (int(x2) - int(x1))
        assert abs(float(lam) - (1 - area / side**2)) <= 4 * eps("float32"), (
            f"{target.name}.cutmix λ={lam}, but the pasted box {(y1, y2, x1, x2)} gives 1 − area/(H·W) = "
            f"{1 - area / side ** 2} under lam='corrected'")


# ---------------------------------------------------------------- label smoothing with class weights


@pytest.mark.operation("label_smoothing_cross_entropy")
@pytest.mark.dtypes("float64")
@pytest.mark.requires("torch")
@given(seed=SEEDS, epsilon=st.sampled_from([0.1, 0.3]))
def test_class_weights_act_on_the_smoothing_terms_or_on_the_sample_as_declared(target, device, dtype, seed, epsilon):
    """reduction='sum' with per-class weights w: per_class_term (PyTorch) is −Σ_i Σ_c w_c q_ic log p_ic;
    per_sample (Keras's class_weight) is −Σ_i w_{y_i} Σ_c q_ic log p_ic. They differ unless w is constant."""
    rule = convention_of(target, "label_smoothing_cross_entropy", "class_weights")
    rng = np.random.default_rng(seed)
    n, k = 5, 3
    logits64 = rng.normal(size=(n, k))
    labels = rng.integers(0, k, n)
    weights = np.array([0.5, 1.0, 2.0])
    q = (1 - epsilon) * np.eye(k)[labels] + epsilon / k
    log_p = logits64 - np.log(np.exp(logits64).sum(axis=1, keepdims=True))
    if rule == "per_class_term":
        expected = -np.sum(weights * q * log_p)
    else:
        expected = -np.sum(weights[labels] * np.sum(q * log_p, axis=1))
    import torch

    loss = target.module.label_smoothing_cross_entropy(
        target.asarray(logits64, dtype, device), torch.as_tensor(labels, device=device), epsilon, reduction="sum",
        weight=target.asarray(weights, dtype, device))
    assert_within(loss, expected, 64 * eps(dtype) * np.sum(np.abs(weights[labels]) * (1 + np.abs(log_p).sum(axis=1))),
                  why="log-softmax and sums, ≤ 64 roundings of the summed magnitudes",
                  what=f"{target.name}.label_smoothing_cross_entropy(ε={epsilon}, weight={weights.tolist()}, "
                       f"reduction='sum') under class_weights={rule!r}")


@pytest.mark.operation("binary_label_smoothing_cross_entropy")
@pytest.mark.dtypes("float64")
@given(seed=SEEDS, epsilon=st.sampled_from([0.1, 0.2]), data=st.data())
def test_binary_label_smoothing_targets_follow_the_declared_formula(target, device, dtype, seed, epsilon, data):
    """Binary targets y ∈ {0, 1} against sigmoid logits: uniform smoothing y(1-ε) + ε/2 (Keras), or the
    off-target rule at K = 2, y(1-2ε) + ε. Loss per element −[t log σ(z) + (1-t) log(1-σ(z))], reduction 'sum'."""
    convention = data.draw(st.sampled_from(conventions.declared(target, "binary_label_smoothing_cross_entropy",
                                                                "smoothing")), label="convention")
    rng = np.random.default_rng(seed)
    logits64, labels = rng.normal(size=6), rng.integers(0, 2, 6).astype(np.float64)
    smoothed = labels * (1 - epsilon) + epsilon / 2 if convention == "uniform" else labels * (1 - 2 * epsilon) + epsilon
    log_sigmoid, log_one_minus = -np.logaddexp(0, -logits64), -np.logaddexp(0, logits64)
    expected = -np.sum(smoothed * log_sigmoid + (1 - smoothed) * log_one_minus)
    keywords = conventions.keywords(target, "binary_label_smoothing_cross_entropy", "smoothing", convention)
    loss = target.module.binary_label_smoothing_cross_entropy(
        target.asarray(logits64, dtype, device), target.asarray(labels, dtype, device), epsilon, reduction="sum",
        **keywords)
    # Keras clips probabilities to [1e-7, 1 − 1e-7] (its backend epsilon): |Δ| ≤ 1e-6 per element for |z| ≤ 6.
    assert_within(loss, expected, 1e-6 * logits64.size + 64 * eps(dtype) * (1 + np.abs(expected)),
                  why="the backend's 1e-7 probability clip plus summation roundings",
                  what=f"{target.name}.binary_label_smoothing_cross_entropy(ε={epsilon}) under smoothing={convention!r}")


# ---------------------------------------------------------------- normalization ε defaults


@pytest.mark.operation("batch_norm", "layer_norm")
@pytest.mark.dtypes("float64")
@given(seed=SEEDS)
def test_normalization_default_eps_is_the_declared_one(target, operation, device, dtype, seed):
    """Features of variance σ² ≈ 1e-3, where ε = 1e-5, 1e-6 and 1e-3 give output variances σ²/(σ² + ε) that differ
    by ≥ 1e-3: the call without eps must normalize with the declared default."""
    default = float(convention_of(target, operation, "default_eps"))
    rng = np.random.default_rng(seed)
    x64 = rng.normal(size=(8, 4)) * math.sqrt(1e-3)
    x = target.asarray(x64, dtype, device)
    ones, zeros = target.asarray(np.ones(4), dtype, device), target.asarray(np.zeros(4), dtype, device)
    if operation == "batch_norm":
        out = target.call("batch_norm", x, ones, zeros, zeros, ones, training=True).out
        mean, var = x64.mean(axis=0), x64.var(axis=0)
    else:
        out = target.call("layer_norm", x, (4,), ones, zeros).out
        mean, var = x64.mean(axis=1, keepdims=True), x64.var(axis=1, keepdims=True)
    expected = (x64 - mean) / np.sqrt(var + default)
    # float32-accurate targets pass too (Keras computes batch norm in float32): 1e-5 relative ≪ the 1e-3 gap.
    assert_within(out, expected, 1e-5 * (1 + np.abs(expected)), why="float32 accuracy ≪ the gap between defaults",
                  what=f"{target.name}.{operation} without eps under default_eps={default}")
