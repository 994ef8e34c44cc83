"""Bias-variance, stochastic depth, fractional pooling, parameter sharing, and the ResNet arithmetic."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import sympy as sp
from scipy.stats import norm

from regstats import ks_sample_size, ks_test
from theory.evidence import (
    checked,
    convention_evidence,
    design_numbers,
    identity,
    ledger_check_design,
    sym_equal,
)
from theory.ledger import Evidence, Verdict, claim


def _design(n=20, degree=1):
    xs = np.linspace(-1, 1, n)
    Phi = np.vander(xs, degree + 1, increasing=True)
    return xs, Phi


def _truth(x):
    return x**2


@claim(id="BIAS_VARIANCE.DECOMPOSITION", subject=lambda bias, variance, noise: bias**2 + variance + noise)
def _bv(decomposition) -> Evidence:
    xs, Phi = _design()
    x0, sigma = 0.0, 0.3
    phi0 = np.vander([x0], 2, increasing=True)[0]
    s = phi0 @ np.linalg.pinv(Phi)  # f̂(x0) = s·y
    bias = float(s @ _truth(xs) - _truth(x0))
    var = float(sigma**2 * s @ s)
    design = ledger_check_design(power=0.99, delta=0.05)
    n = ks_sample_size(design)
    rng = np.random.default_rng(26)
    Y = _truth(xs)[None, :] + sigma * rng.normal(size=(n, xs.size))
    y0 = _truth(x0) + sigma * rng.normal(size=n)
    err = y0 - Y @ s
    scale = np.sqrt(sigma**2 + var)
    decision = ks_test(err, lambda v: norm.cdf(v, loc=-bias, scale=scale), design.alpha)
    predicted = decomposition(bias, var, sigma**2)
    measured = float(np.mean(err**2))
    # The stated decomposition must give the second moment of the error law N(−bias, σ² + var) exactly.
    exact_second_moment = bias**2 + scale**2
    formula_ok = abs(predicted - exact_second_moment) <= 1e-12 * exact_second_moment
    return Evidence(
        Verdict.FAILS if decision.reject or not formula_ok else Verdict.HOLDS,
        "experiment",
        f"bias² {bias**2:.4f}, var {var:.4f}, noise {sigma**2:.4f}: stated sum {predicted:.4f} vs error second moment "
        f"{exact_second_moment:.4f}; simulated MSE {measured:.4f}",
        f"{design.describe(n)} (δ = sup-distance between CDFs). KS distance {decision.statistic:.4f}, "
        f"reject = {decision.reject}. Bias and variance are exact (linear smoother s = φ(x₀)ᵀΦ⁺).",
        {
            **design_numbers(design, n),
            "bias_sq": bias**2,
            "variance": var,
            "noise": sigma**2,
            "predicted_mse": predicted,
            "measured_mse": measured,
            "ks_distance": decision.statistic,
        },
    )


@claim(id="BIAS_VARIANCE.COMPLEXITY", subject=lambda sigma, d, n: sigma**2 * (d + 1) / n)
def _complexity(average_variance) -> Evidence:
    sigma = 0.3
    biases, variances = [], []
    for d in range(0, 8):
        xs, Phi = _design(degree=d)
        H = Phi @ np.linalg.pinv(Phi)
        biases.append(float(np.mean((H @ _truth(xs) - _truth(xs)) ** 2)))
        variances.append(float(sigma**2 * np.trace(H @ H.T) / xs.size))
    tol = 1e-12
    bias_ok = all(b2 <= b1 + tol for b1, b2 in zip(biases, biases[1:], strict=False))
    var_ok = all(abs(v - average_variance(sigma, d, 20)) <= tol for d, v in enumerate(variances))
    ok = bias_ok and var_ok
    return checked(
        ok,
        "exact",
        "average bias² falls and average variance rises with degree 0..7 as σ²(d+1)/n" if ok
        else f"bias² non-increasing: {bias_ok}; variance equals the stated formula: {var_ok}",
        f"bias² by degree {[round(b, 5) for b in biases]}; variance {[round(v, 5) for v in variances]} "
        "(nested projections: residual non-increasing; tr(H) = d + 1).",
        {"bias_sq_degree0": biases[0], "variance_degree7": variances[-1]},
    )


@claim(id="MODULE2.RESNET_3K_IMAGES", subject=3000)
def _resnet_arith(stated_images) -> Evidence:
    points = F(3, 100) * 100_000 == stated_images
    baseline = F(79, 100)  # any baseline accuracy < 1 gives fewer images under the relative reading
    relative = F(3, 100) * baseline * 100_000 == stated_images
    return convention_evidence(
        points,
        relative,
        "exact",
        f"3 percentage points of 100K = 3000 {'= the stated' if points else '≠ the stated'} {stated_images}; a relative "
        "3% would be fewer (2370 at 79% baseline)",
        "Exact rationals. (ImageNet's validation set has 50K images; the 100K is the document's hypothetical.)",
        alternative="relative 3% improvement",
    )


@claim(id="STOCHASTIC_DEPTH.BLOCK_SWITCH", subject=lambda b, f, h: b * f + h)
def _sd_switch(block) -> Evidence:
    f, h, b, p = sp.symbols("f h b p", real=True)
    pre = block(b, f, h)
    ok = sym_equal(pre.subs(b, 0), h) and sym_equal(pre.subs(b, 1), f + h)
    mean = p * pre.subs(b, 1) + (1 - p) * pre.subs(b, 0)
    ev = identity(
        mean, p * f + h, summary="E_b[b·f + h] = p·f + h; b=0 gives h, b=1 gives f + h", assumptions="b ~ Bernoulli(p)"
    )
    if not ok:
        ev.verdict = Verdict.FAILS
        ev.summary = f"the block {sp.sstr(pre)} is not h at b = 0 and f + h at b = 1"
    return ev


@claim(id="STOCHASTIC_DEPTH.TEST_TIME", subject=lambda p, f, h: max(p * f + h, 0.0))
def _sd_test(test_time) -> Evidence:
    cases = [(-2.0, 1.0, 0.5), (0.5, 1.0, 0.8), (-3.0, 2.0, 0.9), (1.0, -0.5, 0.5)]
    gaps, bounds = [], []
    for f, h, p in cases:
        expected = p * max(f + h, 0.0) + (1 - p) * max(h, 0.0)
        test = test_time(p, f, h)
        gaps.append(abs(expected - test))
        # Stated bound: ReLU(y) = (y + |y|)/2, so |E ReLU(Y) − ReLU(E Y)| ≤ E|Y − E Y|/2 = |f|·p(1 − p).
        bounds.append(abs(f) * p * (1 - p))
    worst = max(gaps)
    inside = all(g <= b + 1e-15 for g, b in zip(gaps, bounds, strict=True))
    verdict = Verdict.HOLDS if worst == 0 else (Verdict.APPROXIMATE if inside else Verdict.FAILS)
    return Evidence(
        verdict,
        "exact",
        f"equal before the ReLU; after it the gap reaches {worst:.3g} ({'within' if inside else 'beyond'} the "
        f"bound |f|·p(1−p) in every case; f=−2, h=1, p=0.5: E = 0.5, test 0)",
        f"Cases (f, h, p) = {cases}: |E_train − test| = {gaps}. The gap is Jensen's inequality for the convex "
        "ReLU; it vanishes when b·f + h keeps one sign.",
        {"max_abs_error": worst, "error_bound": max(bounds),
         "region": "each case (f, h, p): |E_train − test| ≤ |f|·p(1−p)"},
    )


@claim(id="STOCHASTIC_DEPTH.EXPECTED_DEPTH", subject=lambda L, pL: L - (1 - pL) * (L + 1) / 2)
def _sd_depth(expected_active) -> Evidence:
    L, pL, l_ = sp.symbols("L p_L l", positive=True)
    total = sp.summation(1 - (l_ / L) * (1 - pL), (l_, 1, L))
    ev = identity(total, expected_active(L, pL), summary="", assumptions="L ≥ 1 integer")
    value = expected_active(F(100), F(1, 2))
    ev.summary = (f"E[#active blocks] = {sp.sstr(expected_active(L, pL))} = {float(value)} for L = 100, p_L = 0.5"
                  + ("" if ev.verdict is Verdict.HOLDS else " — but the sum Σ p_l differs"))
    ev.numbers["expected_active_L100"] = float(value)
    return ev


def _graham_sequence(alpha: F, u: F, n_out: int) -> list[int]:
    """a_i = ceil(α(i + u)) − ceil(αu), i = 0..n_out (Graham 2014, pseudo-random variant)."""
    import math

    start = math.ceil(alpha * u)
    return [math.ceil(alpha * (i + u)) - start for i in range(n_out + 1)]


@claim(id="FRACTIONAL_POOLING.REGION_SIZES", subject=_graham_sequence)
def _fmp(sequence) -> Evidence:
    overlap, disjoint, shapes = set(), set(), set()
    for alpha in (F(5, 4), F(7, 5), F(3, 2), F(707, 500), F(9, 5)):
        for u in (F(1, 7), F(1, 3), F(1, 2), F(4, 5)):
            seq = sequence(alpha, u, 12)
            inc = [b - a for a, b in zip(seq, seq[1:], strict=False)]
            disjoint |= set(inc)
            overlap |= {d + 1 for d in inc}
            rows = [d + 1 for d in inc]
            shapes |= {(r, c) for r in rows for c in rows}
    stated = overlap == {2, 3}
    other = disjoint == {2, 3}
    return convention_evidence(
        stated,
        other,
        "exact",
        f"overlapping regions: sizes {sorted(overlap)}; disjoint: {sorted(disjoint)}; 2-D shapes {sorted(shapes)}",
        "Exact sequences a_i = ⌈α(i+u)⌉ for five ratios α ∈ (1, 2) and four offsets u. Note the 2-D regions "
        "also include 2×3 and 3×2 rectangles, which the notes do not mention.",
        alternative="disjoint regions (sizes 1 and 2)",
    )


@claim(
    id="PARAMETER_SHARING.CONVOLUTION",
    subject=lambda x, kernel: __import__('torch').nn.functional.conv1d(x[None, None], kernel[None, None])[0, 0],
)
def _sharing(conv) -> Evidence:
    import torch

    rng = np.random.default_rng(27)
    xv = rng.normal(size=10)
    kern = rng.normal(size=3)
    out = conv(torch.tensor(xv), torch.tensor(kern)).numpy()
    T = np.zeros((8, 10))
    for i in range(8):
        T[i, i : i + 3] = kern
    err = float(np.abs(out - T @ xv).max())
    distinct = len(set(T[T != 0].tolist()))
    ok = err <= 8 * np.finfo(np.float64).eps * float(np.abs(out).max()) and distinct == 3
    return checked(
        ok,
        "exact",
        f"conv1d equals a banded matrix with only {distinct} distinct weights (max diff {err:.2g})",
        "Kernel of 3 on a length-10 signal; the 8×10 matrix has 24 non-zero entries but 3 parameters.",
        {"max_abs_diff": err},
    )
