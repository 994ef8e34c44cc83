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
    not_checkable_claim,
    sym_equal,
)
from theory.lectures import MODULE2, NOTES004, WEEK6
from theory.ledger import Evidence, Source, Verdict, topic_claim

claim = topic_claim("misc")
W6_BV = Source(WEEK6, "Bias-Variance Decomposition")
M2_WHY = Source(MODULE2, "Why regularization?")
M2_SD = Source(MODULE2, "Stochastic Depth")
N4_SD = Source(NOTES004, "Stochastic Depth")


def _design(n=20, degree=1):
    xs = np.linspace(-1, 1, n)
    Phi = np.vander(xs, degree + 1, increasing=True)
    return xs, Phi


def _truth(x):
    return x**2


@claim(
    id="BIAS_VARIANCE.DECOMPOSITION",
    sources=[W6_BV],
    statement="Expected squared prediction error at a point splits into squared bias, variance and irreducible "
    "noise; simulated least-squares fits reproduce the sum.",
    formal="E[(y₀ − f̂(x₀))²] = (E f̂(x₀) − f(x₀))² + Var f̂(x₀) + σ²",
    convention="fixed design, Gaussian noise σ = 0.3, straight-line fit to a parabola at x₀ = 0 (so the bias is non-zero); "
    "y₀ − f̂(x₀) ~ N(−bias, σ² + var) tested with an exact Kolmogorov-Smirnov test",
    quotes=["Expected error = Bias² + Variance + Irreducible Noise"],
    subject=lambda bias, variance, noise: bias**2 + variance + noise,
)
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


@claim(
    id="BIAS_VARIANCE.COMPLEXITY",
    sources=[W6_BV, Source(WEEK6, "Overfitting in Neural Networks")],
    statement="Bias is high when the model is too simple and variance high when it is too complex: for nested "
    "polynomial least squares the average squared bias over the design never increases with degree and the "
    "average variance σ²(d+1)/n grows linearly.",
    formal="avg bias²(d) non-increasing; avg var(d) = σ²·tr(H_d)/n = σ²(d+1)/n",
    convention="fixed design of n = 20 points, bias and variance averaged over the design points",
    quotes=["| Variance | Model changes a lot with different data | Model too complex |", "are highly expressive (low bias) but can memorize training data (high variance)."],
    subject=lambda sigma, d, n: sigma**2 * (d + 1) / n,
)
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


@claim(
    id="MODULE2.RESNET_3K_IMAGES",
    sources=[M2_WHY],
    statement="A 3% test-accuracy gain on a 100K-image test set means 3K more images classified correctly.",
    formal="0.03 × 100000 = 3000",
    convention="'3%' read as percentage points of accuracy; read as a relative 3% gain it is 0.03·a·100K < 3000",
    quotes=["the test set consists of 100K images, this means that 3K more"],
    subject=3000,
)
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


not_checkable_claim(
    claim,
    id="MODULE2.RESNET_REVISITED_GAIN",
    sources=[M2_WHY],
    statement="'Revisiting ResNets' gained more than 3% ImageNet test accuracy with modern regularisation.",
    quotes=["applied modern regularization methods and achieved more than 3% test set accuracy"],
    reason="an empirical result on ImageNet reported by a paper; not reproducible within this ledger",
)


@claim(
    id="STOCHASTIC_DEPTH.BLOCK_SWITCH",
    sources=[M2_SD],
    statement="In H_l = ReLU(b·f_l(H_{l-1}) + id(H_{l-1})), b = 0 bypasses the block (only the skip path) and "
    "b = 1 is the ordinary residual block; averaging over b ~ Bernoulli(p) gives pre-activation p·f + id.",
    formal="b=0: ReLU(H); b=1: ReLU(f(H) + H); E_b[b f + H] = p f + H",
    convention="p = survival probability of the block (Huang et al.)",
    quotes=["where $b$ is a Bernoulli random variable that shows if a block"],
    subject=lambda b, f, h: b * f + h,
)
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


@claim(
    id="STOCHASTIC_DEPTH.TEST_TIME",
    sources=[M2_SD, N4_SD],
    statement="At test time all blocks are used (recalibrated as ReLU(p·f + id)); this matches the training-time "
    "expectation exactly before the ReLU and only approximately after it.",
    formal="E_b[ReLU(b f + h)] vs ReLU(p f + h)",
    convention="Huang et al.'s test rule H = ReLU(p_l f_l(H) + H); Module 2's 'intact' model read as this rule",
    quotes=["drops entire network blocks while keeping the model intact during testing", "During test time we will use all the blocks."],
    subject=lambda p, f, h: max(p * f + h, 0.0),
)
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


@claim(
    id="STOCHASTIC_DEPTH.EXPECTED_DEPTH",
    sources=[N4_SD, M2_SD],
    statement="With survival probability decaying linearly with depth, p_l = 1 − (l/L)(1 − p_L), a 100-block "
    "network trains on a random subset of about 75 blocks on average (p_L = 0.5), and uses all 100 at test.",
    formal="E[#active] = Σ_l p_l = L − (1 − p_L)(L + 1)/2",
    convention="Huang et al.'s linear decay rule ('a function of the layer depth'), p_L = 0.5",
    quotes=["If we have a 100 layer network", "**that is a function of the layer depth**"],
    subject=lambda L, pL: L - (1 - pL) * (L + 1) / 2,
)
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


@claim(
    id="FRACTIONAL_POOLING.REGION_SIZES",
    sources=[Source(NOTES004, "Fractional Pooling")],
    statement="Fractional max-pooling randomises pooling regions so that some are 2×2 and some 3×3.",
    formal="increments a_i − a_{i−1} ∈ {1, 2} for 1 < α < 2; overlapping regions [a_{i−1}, a_i] have size 2 or 3",
    convention="Graham's overlapping variant; the disjoint variant gives sizes 1 and 2; PyTorch's "
    "FractionalMaxPool2d uses a fixed kernel and randomises the start positions",
    quotes=["Some will have 3x3 and some will have 2x2."],
    subject=_graham_sequence,
)
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
    sources=[Source(MODULE2, "Parameter sharing")],
    statement="A convolution is a linear layer whose weight matrix repeats the same kernel entries along its "
    "diagonals: one set of weights shared across positions.",
    formal="conv1d(x, k) = T(k)x with T(k)_{ij} = k_{j−i}",
    convention="PyTorch conv1d (cross-correlation), no padding, stride 1",
    quotes=["the weight is shared among the blocks instead of having separate ones."],
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
