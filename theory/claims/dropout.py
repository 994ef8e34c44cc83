"""Dropout: conventions for p, inverted and standard dropout, the worked example, the Week 6 code."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp

from regstats import binomial_sample_size, binomial_test
from theory.evidence import (
    by_convention,
    checked,
    convention_evidence,
    design_numbers,
    identity,
    ledger_check_design,
    refutable,
    sym_equal,
)
from theory.ledger import Evidence, Verdict, claim

p, x = sp.symbols("p x", positive=True)


def _bernoulli_moments(scale, keep):
    """E[y], E[y²] for y = x·m·scale, m ~ Bernoulli(keep)."""
    return keep * x * scale, keep * (x * scale) ** 2


@claim(id="DROPOUT.KEEP_PROB_CONVENTION", subject=1 / p)
def _keep_conv(scale) -> Evidence:
    mean_keep, _ = _bernoulli_moments(scale, p)  # Primer reading
    mean_other, _ = _bernoulli_moments(scale, 1 - p)  # same formula read with p = drop probability
    stated, other = sym_equal(mean_keep, x), sym_equal(mean_other, x)
    return convention_evidence(
        stated,
        other,
        "symbolic",
        "dividing by p preserves E[y] only when p is the keep probability" if stated
        else f"scaling by {sp.sstr(scale)} does not preserve E[y] with p = keep probability",
        f"E[m·x/p] with m~Bernoulli(p) = `{sp.simplify(mean_keep)}`; with m~Bernoulli(1−p) (PyTorch's meaning "
        f"of p) it is `{sp.simplify(mean_other)}`. PyTorch follows the drop-probability convention: Primer p = 1 − p_torch.",
        alternative="p = drop probability (PyTorch): E[y] = x(1-p)/p",
    )


@claim(id="DROPOUT.DROP_PROB_CONVENTION", subject=1 / (1 - p))
def _drop_conv(scale) -> Evidence:
    import torch

    # PyTorch's meaning of p, deterministically (no RNG involved): p=1 zeroes everything, p=0 is identity.
    xs = torch.linspace(0.5, 1.5, 64, dtype=torch.float64)
    with torch.random.fork_rng(devices=[]):  # leave the global RNG untouched (outcome is deterministic anyway)
        all_dropped = bool(torch.equal(torch.nn.functional.dropout(xs, p=1.0, training=True), torch.zeros_like(xs)))
        none_dropped = bool(torch.equal(torch.nn.functional.dropout(xs, p=0.0, training=True), xs))
    scale_ok = all_dropped and none_dropped
    stated = sym_equal(_bernoulli_moments(scale, 1 - p)[0], x)
    other = sym_equal(_bernoulli_moments(scale, p)[0], x)
    verdict = by_convention(stated and scale_ok, other)
    return Evidence(
        verdict,
        "exact",
        "with p = drop probability, survivors scaled by 1/(1-p) keep E[y]=x; torch's p=1 drops everything"
        if stated else f"survivors scaled by {sp.sstr(scale)} do not keep E[y] = x under the drop convention",
        f"Symbolic: E[y] = x under the drop convention ({stated}); reading p as keep probability breaks it. "
        f"torch F.dropout(p=1) zeroes every element ({all_dropped}) and F.dropout(p=0) is the identity "
        f"({none_dropped}): PyTorch's p is the drop probability.",
        {
            "alternative": "p = keep probability: E[y] = x·p/(1-p)",
            "alternative_holds": int(other),
            "torch_p_is_drop_probability": int(scale_ok),
        },
    )


@claim(id="DROPOUT.INVERTED.MEAN", subject=1 / (1 - p))
def _inv_mean(scale) -> Evidence:
    return identity(
        _bernoulli_moments(scale, 1 - p)[0],
        x,
        summary=f"E[m·x·({sp.sstr(scale)})] = x",
        assumptions="0 < p < 1, m ~ Bernoulli(1−p)",
    )


@claim(id="DROPOUT.INVERTED.MEAN.KEEP_PROB", subject=1 / p)
def _inv_mean_keep(scale) -> Evidence:
    return identity(
        _bernoulli_moments(scale, p)[0],
        x,
        summary=f"E[m·x·({sp.sstr(scale)})] = x for m ~ Bernoulli(p)",
        assumptions="0 < p ≤ 1 keep probability",
    )


@claim(id="DROPOUT.INVERTED.VARIANCE", subject=x**2 * p / (1 - p))
def _inv_var(stated_variance) -> Evidence:
    mean, second = _bernoulli_moments(1 / (1 - p), 1 - p)
    return identity(
        second - mean**2, stated_variance, summary=f"Var[y] = {sp.sstr(stated_variance)}",
        assumptions="0 < p < 1, m ~ Bernoulli(1−p)"
    )


def _torch_eval_dropout(xs):
    """The implementation under judgement: torch.nn.Dropout(p=0.4) in eval mode."""
    import torch

    return torch.nn.Dropout(p=0.4).eval()(xs)


@claim(id="DROPOUT.INVERTED.EVAL_IDENTITY", subject=_torch_eval_dropout)
def _eval_identity(eval_layer) -> Evidence:
    import torch

    xs = torch.linspace(-3, 3, 97, dtype=torch.float64)
    torch_ok = bool(torch.equal(eval_layer(xs), xs))
    sym_ok = sym_equal(_bernoulli_moments(1 / (1 - p), 1 - p)[0], x)
    ok = torch_ok and sym_ok
    return checked(
        ok,
        "exact",
        "nn.Dropout(0.4).eval() returns its input bit for bit; E_train[y] = x symbolically" if ok
        else f"the eval-mode layer is not the identity ({torch_ok}) or E_train[y] ≠ x ({sym_ok})",
        f"torch eval identity: {torch_ok}; symbolic training mean equals x: {sym_ok}.",
        {"torch_eval_identity": int(torch_ok)},
    )


def week6_mask(uniforms, p_drop):
    """Week 6's Dropout mask, (rand > p)/(1 - p), with the uniforms passed in (their np.random.rand)."""
    return (uniforms > p_drop) / (1 - p_drop)


def _week6_dropout(x_arr, p_drop, uniforms, mask_fn=week6_mask):
    """Week 6's Dropout.forward: (output, mask)."""
    mask = mask_fn(uniforms, p_drop)
    return x_arr * mask, mask


@claim(id="DROPOUT.INVERTED.BACKWARD", subject=lambda grad_output, mask: grad_output * mask)
def _backward(week6_backward) -> Evidence:
    import torch

    rng = np.random.default_rng(7)
    p_drop = 0.35
    xv = rng.normal(size=200)
    u = rng.random(200)
    up = rng.normal(size=200)
    _, mask = _week6_dropout(xv, p_drop, u)
    week6_grad = week6_backward(up, mask)
    xt = torch.tensor(xv, requires_grad=True)
    (xt * torch.tensor(mask) * torch.tensor(up)).sum().backward()
    err = float(np.max(np.abs(xt.grad.numpy() - week6_grad)))
    sym = identity(sp.diff(x * sp.Symbol("m") / (1 - p), x), sp.Symbol("m") / (1 - p), summary="", assumptions="")
    ok = err == 0.0 and sym.verdict is Verdict.HOLDS
    return checked(
        ok,
        "exact",
        f"Week 6 backward equals torch autograd bit for bit (max diff {err})" if ok
        else f"Week 6 backward differs from torch autograd (max diff {err:.3g})",
        "Same uniforms feed Week 6's mask and a torch graph; gradients compared exactly. Symbolic "
        "derivative d(x·m/(1−p))/dx = m/(1−p).",
        {"max_abs_diff": err, "n": 200},
    )


@claim(id="DROPOUT.PRIMER.BACKWARD_SCALING", subject=1 / p)
def _primer_backward(factor) -> Evidence:
    m = sp.Symbol("m")
    stated = sym_equal(sp.diff(m * x / p, x), m * factor)
    other = sym_equal(sp.diff(m * x / (1 - p), x), m * factor)  # same words, p read as drop probability
    return convention_evidence(
        stated,
        other,
        "symbolic",
        "d(m·x/p)/dx = m/p: gradient scaled by 1/p" if stated
        else f"d(m·x/p)/dx = m/p, not m·{sp.sstr(factor)}",
        "Under the Primer's keep-probability p the gradient factor is 1/p; under the drop-probability "
        "convention (PyTorch) the forward divides by 1−p and so does the gradient.",
        alternative="p = drop probability: factor 1/(1-p)",
    )


@claim(id="DROPOUT.PRIMER.WORKED_EXAMPLE", subject=np.array([16.67, 41.67, 0.0, 66.67, 0.0]))
def _worked(printed) -> Evidence:
    A = [Fraction(v) for v in (10, 25, 5, 40, 15)]
    M = [1, 1, 0, 1, 0]
    pk = Fraction(6, 10)
    masked = [a * m for a, m in zip(A, M, strict=False)]
    final = [v / pk for v in masked]
    printed_masked = [Fraction(v) for v in (10, 25, 0, 40, 0)]
    printed_final = [Fraction(str(round(float(v), 2))) for v in printed]
    rounded = [Fraction(round(v * 100), 100) for v in final]
    scale_ok = Fraction(round(1 / pk * 1000), 1000) == Fraction("1.667")
    keep_ok = Fraction(sum(M), len(M)) == pk
    ok = masked == printed_masked and rounded == printed_final and scale_ok and keep_ok
    max_dev = max(abs(float(a - b)) for a, b in zip(final, printed_final, strict=False))
    return checked(
        ok,
        "exact",
        "A⊙M and (A⊙M)/0.6 match the printed values to 2 decimals; the mask keeps 3/5 = 60%" if ok
        else f"(A⊙M)/0.6 rounds to {[float(v) for v in rounded]}, not the printed {[float(v) for v in printed_final]}",
        f"Exact: (A⊙M)/p = {[str(v) for v in final]}; rounded {[float(v) for v in rounded]}; 1/0.6 = 5/3 "
        f"≈ 1.667 ({scale_ok}); kept fraction 3/5 = p ({keep_ok}). Max |exact − printed| = {max_dev:.4f} "
        "(rounding only).",
        {"max_rounding_gap": max_dev, "kept_fraction": "3/5"},
    )


@claim(id="DROPOUT.PRIMER.EXPECTED_SUM_FACTOR", subject=p)
def _expected_sum(factor) -> Evidence:
    a = sp.symbols("a1:6", real=True)
    lhs = sum(p * ai for ai in a)  # linearity with E[m_i] = p
    stated = sym_equal(lhs, factor * sum(a))
    other = sym_equal(sum((1 - p) * ai for ai in a), factor * sum(a))
    return convention_evidence(
        stated,
        other,
        "symbolic",
        "E[Σ m_i a_i] = p·Σ a_i for keep probability p" if stated
        else f"E[Σ m_i a_i] = p·Σ a_i, not ({sp.sstr(factor)})·Σ a_i",
        "Linearity of expectation with E[m_i] = p; with p read as drop probability the factor is 1−p.",
        alternative="p = drop probability: factor (1-p)",
    )


@claim(id="DROPOUT.MASK.BERNOULLI", subject=week6_mask)
def _mask_bernoulli(mask_fn) -> Evidence:
    p_drop = 0.3
    design = ledger_check_design(power=0.99, delta=0.01)
    n = binomial_sample_size(1 - p_drop, design)
    rng = np.random.default_rng(31337)
    _, mask = _week6_dropout(np.ones(n), p_drop, rng.random(n), mask_fn)
    # A kept unit carries exactly 1/(1-p), a dropped one exactly 0; anything else is not a dropout mask.
    kept = int(np.count_nonzero(mask == 1 / (1 - p_drop)))
    dropped = int(np.count_nonzero(mask == 0))
    decision = binomial_test(kept, n, 1 - p_drop, design.alpha)
    ok = not decision.reject and kept + dropped == n
    return checked(
        ok,
        "experiment",
        f"kept {kept} of {n} ({n - kept - dropped} entries neither 0 nor 1/(1-p)): exact binomial p-value "
        f"{decision.pvalue:.3g}",
        f"Keep count vs Binomial(n, {1 - p_drop}); {design.describe(n)}.",
        {**design_numbers(design, n), "kept": kept, "pvalue": decision.pvalue},
    )


@claim(id="DROPOUT.WEEK6.CODE_KEEP_PROB", subject=week6_mask)
def _code_keep(mask_fn) -> Evidence:
    u = sp.Symbol("u")
    real_ok = sym_equal(sp.integrate(1, (u, p, 1)), 1 - p)
    p_drop = Fraction(3, 10)
    grid = 2**53
    # numpy's random() returns k/2^53, k = 0..2^53-1; P(U > p) = #{k : k > p·2^53} / 2^53.
    count = grid - (int(p_drop * grid) + 1)
    float_prob = Fraction(count, grid)
    gap = abs(float(float_prob - (1 - p_drop)))
    vals = set(np.asarray(mask_fn(np.array([0.1, 0.5, 0.9]), 0.3), dtype=float).tolist())
    vals_ok = vals == {0.0, 1 / (1 - 0.3)}
    ok = real_ok and gap <= 2.0**-53 and vals_ok
    return checked(
        ok,
        "exact",
        "P(U > p) = 1 − p; on numpy's 2⁻⁵³ grid the keep probability is within 2⁻⁵³ of 1 − p" if ok
        else f"the mask takes values {sorted(vals)}, not {{0, 1/(1-p)}} (or P(U > p) ≠ 1 − p)",
        f"∫_p^1 du = 1 − p ({real_ok}). For p = 3/10 the float keep probability is {count}/2^53, "
        f"|gap| = {gap:.3g} ≤ 2⁻⁵³. Mask values {sorted(vals)}.",
        {"float_grid_gap": gap},
    )


@claim(id="DROPOUT.STANDARD.TEST_SCALING", subject=1 - p)
def _std_scaling(factor) -> Evidence:
    return identity(
        _bernoulli_moments(1, 1 - p)[0],
        factor * x,
        summary=f"E[m·x] = (1−p)x = test-time output {sp.sstr(factor * x)}",
        assumptions="m ~ Bernoulli(1−p)",
    )


def _test_scaling(doc: str, factor) -> Evidence:
    """Judge a test-time factor of standard dropout: factor·x must equal the training mean (1−p)x."""
    train_mean = _bernoulli_moments(1, 1 - p)[0]
    original = sym_equal(train_mean, factor * x)
    ce = {p: sp.Rational(1, 5), x: 1}
    corrected = sym_equal(train_mean, (1 - p) * x)
    return refutable(
        original,
        corrected,
        "symbolic",
        f"{doc}: scaling by {sp.sstr(factor)} " + ("matches" if original else "does not match")
        + " E_train = (1−p)x",
        f"Counterexample: p = 0.2, x = 1: training mean {train_mean.subs(ce)}, test output "
        f"{sp.sstr(factor * x)} = {(factor * x).subs(ce)}. Corrected: scale by the keep probability 1 − p "
        f"(checked: E[m·x] − (1−p)x simplifies to 0: {corrected}). Only at p = 1/2 do p and 1 − p coincide.",
        counterexample="p=0.2, x=1: E_train=0.8, test=0.2",
        corrected_statement="at test time multiply by the keep probability 1-p",
    )


def _test_scaling_claim(doc: str, **entry) -> None:
    """A document's standard-dropout rule "scale by p at test time" (wrong: the corrected factor is 1 − p)."""

    def evidence(factor) -> Evidence:
        return _test_scaling(doc, factor)

    evidence.__qualname__ = f"_test_scaling_claim[{entry.get('id')}]"
    claim(subject=p, corrected=1 - p, **entry)(evidence)


_test_scaling_claim("Module 2", id="DROPOUT.STANDARD.TEST_SCALING.MODULE2")
_test_scaling_claim("004 notes", id="DROPOUT.STANDARD.TEST_SCALING.NOTES004")


@claim(id="DROPOUT.INVERTED.NOTES004_DIVIDE", subject=1 / p, corrected=1 / (1 - p))
def _inv_004(scale) -> Evidence:
    mean = _bernoulli_moments(scale, 1 - p)[0]
    original = sym_equal(mean, x)
    corrected = sym_equal(_bernoulli_moments(1 / (1 - p), 1 - p)[0], x)
    val = mean.subs({p: sp.Rational(1, 5), x: 1})
    return refutable(
        original,
        corrected,
        "symbolic",
        f"scaling by {sp.sstr(scale)} gives E[y] = {sp.sstr(sp.simplify(mean))}" + ("" if original else " ≠ x"),
        f"E[m·x/p] = `{sp.simplify(mean)}`. Counterexample p = 0.2, x = 1: E[y] = {val}. Corrected: divide by the "
        f"keep probability 1 − p (E[y] = x checked: {corrected}). The sentence holds if 'dropout parameter' "
        "meant the keep probability, which contradicts the notes' own definition two sentences earlier.",
        counterexample=f"p=0.2, x=1: E[y]={val}",
        corrected_statement="divide by the keep probability 1-p",
    )


@claim(id="DROPOUT.INVERTED.MODULE2_KEEP_SCALE", subject=1 / (1 - p))
def _m2_inverted(scale) -> Evidence:
    return identity(
        _bernoulli_moments(scale, 1 - p)[0],
        ((1 - p) * x) / (1 - p),
        summary="inverted and traditional dropout agree in expectation up to the constant 1/(1−p) "
        "moved from test to train",
        assumptions="m ~ Bernoulli(1−p)",
    )


@claim(id="DROPOUT.GAUSSIAN.NO_SCALING", subject=sp.Integer(1))
def _gaussian(noise_mean) -> Evidence:
    s = sp.Symbol("s", positive=True)
    xi = sp.Symbol("xi", real=True)
    density = sp.exp(-((xi - noise_mean) ** 2) / (2 * s**2)) / (s * sp.sqrt(2 * sp.pi))
    mean = sp.integrate(x * xi * density, (xi, -sp.oo, sp.oo))
    return identity(mean, x, summary=f"∫ x ξ N(ξ; {sp.sstr(noise_mean)}, σ²) dξ = x", assumptions="σ > 0")


@claim(id="DROPCONNECT.DROP_PROB", subject=1 - p)
def _dropconnect(drop_probability) -> Evidence:
    # The stated drop probability against P(M = 0) under each reading of p.
    stated = sym_equal(1 - p, drop_probability)  # M ~ Bernoulli(p): P(M = 0) = 1 − p
    other = sym_equal(p, drop_probability)  # p read as the drop probability, as for Module 2's dropout
    Wm = sp.Matrix(2, 2, sp.symbols("w1:5"))
    v = sp.Matrix(sp.symbols("v1:3"))
    expect = (p * Wm) * v  # E[M∗W] = p·W elementwise
    lin_ok = all(sym_equal(a, b) for a, b in zip(expect, p * (Wm * v), strict=False))
    return convention_evidence(
        stated and lin_ok,
        other,
        "symbolic",
        "drop probability 1−p ⇔ mask M ~ Bernoulli(p); E[(M∗W)v] = pWv" if stated
        else f"a drop probability {sp.sstr(drop_probability)} matches neither reading of p",
        "With M ~ Bernoulli(p) each weight is dropped with probability 1−p (consistent). Read with "
        "Module 2's dropout convention (p = drop probability) the sentence would be wrong, so the "
        "two p's in the same section have opposite meanings.",
        alternative="p = drop probability as for Module 2's dropout",
    )


@claim(id="DROPCONNECT.GENERALIZES_DROPOUT", subject=lambda W, masked_input: W * masked_input)
def _dc_general(dropout_layer) -> Evidence:
    Wm = sp.Matrix(3, 4, sp.symbols("w1:13"))
    v = sp.Matrix(sp.symbols("v1:5"))
    m = sp.symbols("m1:5")
    M = sp.Matrix(3, 4, lambda i, j: m[j])
    lhs = M.multiply_elementwise(Wm) * v
    rhs = dropout_layer(Wm, sp.Matrix([m[j] * v[j] for j in range(4)]))
    ok = all(sym_equal(a, b) for a, b in zip(lhs, rhs, strict=False))
    return checked(
        ok,
        "symbolic",
        "(M∗W)v = W(m⊙v) when columns of M are constant" if ok else "(M∗W)v differs from the dropout layer's output",
        "3×4 symbolic W, v, m.",
        {},
    )
