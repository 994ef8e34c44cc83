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
    not_checkable_claim,
    refutable,
    sym_equal,
)
from theory.lectures import MODULE2, NOTES004, OVERVIEW, PRIMER, WEEK6
from theory.ledger import Evidence, Source, Verdict, topic_claim

claim = topic_claim("dropout")
p, x = sp.symbols("p x", positive=True)
INVERTED_W6 = Source(WEEK6, "Inverted Dropout")
PRIMER_INV = Source(PRIMER, "5. The Training Process: Inverted Dropout Mechanics")
W6_CODE = Source(WEEK6, "Code Implementation")
M2_DROPOUT = Source(MODULE2, "Dropout")
M2_VARIANTS = Source(MODULE2, "Other Dropout variations")


def _bernoulli_moments(scale, keep):
    """E[y], E[y²] for y = x·m·scale, m ~ Bernoulli(keep)."""
    return keep * x * scale, keep * (x * scale) ** 2


@claim(
    id="DROPOUT.KEEP_PROB_CONVENTION",
    sources=[PRIMER_INV, Source(PRIMER, "1. High-Level Explanation of the Technique")],
    statement="The Primer's p is the keep probability; inverted dropout then divides survivors by p. "
    "PyTorch's p is the drop probability, so the Primer's p corresponds to 1 - p in PyTorch.",
    formal="m ~ Bernoulli(p_keep), y = m·x/p_keep; p_keep = 1 - p_torch",
    convention="Primer: p = keep probability (differs from Week 6 and PyTorch, where p = drop probability)",
    quotes=["Let's define $p$ as the \"keep probability\"", "a Bernoulli distribution with a fixed probability $p$ (often called the \"keep"],
    subject=1 / p,
    related=["DROPOUT.DROP_PROB_CONVENTION"],
)
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


@claim(
    id="DROPOUT.DROP_PROB_CONVENTION",
    sources=[Source(WEEK6, "Mechanism"), Source(OVERVIEW, "2. Dropout"), M2_DROPOUT, Source(NOTES004, "Dropout")],
    statement="Week 6, the Overview, Module 2 and the 004 notes use p (the dropout rate) as the probability "
    "that a unit is zeroed, as PyTorch does; survivors are scaled by 1/(1-p) in inverted dropout.",
    formal="P(mask_i = 0) = p; y = mask·x/(1-p)",
    convention="p = drop probability (PyTorch's nn.Dropout(p))",
    quotes=["Where mask is binary with $P(\\text{mask}_i = 0) = p$.", "Example: A dropout rate of 0.5 means each neuron has a 50%", "randomly ignored (dropped out)** with probability $pp$", "Probability of setting a neuron to 0 is given by the dropout"],
    subject=1 / (1 - p),
    related=["DROPOUT.KEEP_PROB_CONVENTION"],
)
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


@claim(
    id="DROPOUT.INVERTED.MEAN",
    sources=[INVERTED_W6, M2_VARIANTS],
    statement="Inverted dropout with drop probability p, scaling survivors by 1/(1-p), keeps each activation's "
    "expected value.",
    formal="m ~ Bernoulli(1-p), y = m·x/(1-p) ⇒ E[y] = x",
    convention="p = drop probability (Week 6, Module 2, PyTorch)",
    quotes=["Scale remaining activations by $\\frac{1}{1-p}$ during training", "1. **Inverted dropout** also randomly drops some units with a probability $pp$"],
    subject=1 / (1 - p),
    related=["DROPOUT.INVERTED.MEAN.KEEP_PROB", "DROPOUT.INVERTED.VARIANCE"],
)
def _inv_mean(scale) -> Evidence:
    return identity(
        _bernoulli_moments(scale, 1 - p)[0],
        x,
        summary=f"E[m·x·({sp.sstr(scale)})] = x",
        assumptions="0 < p < 1, m ~ Bernoulli(1−p)",
    )


@claim(
    id="DROPOUT.INVERTED.MEAN.KEEP_PROB",
    sources=[PRIMER_INV],
    statement="In the Primer's keep-probability convention, dividing survivors by p keeps the expected value.",
    formal="m ~ Bernoulli(p), y = m·x/p ⇒ E[y] = x",
    convention="p = keep probability (Primer); equals DROPOUT.INVERTED.MEAN with p ↦ 1 - p",
    quotes=["Let's define $p$ as the \"keep probability\" (the probability that a neuron"],
    subject=1 / p,
    related=["DROPOUT.INVERTED.MEAN", "DROPOUT.KEEP_PROB_CONVENTION"],
)
def _inv_mean_keep(scale) -> Evidence:
    return identity(
        _bernoulli_moments(scale, p)[0],
        x,
        summary=f"E[m·x·({sp.sstr(scale)})] = x for m ~ Bernoulli(p)",
        assumptions="0 < p ≤ 1 keep probability",
    )


@claim(
    id="DROPOUT.INVERTED.VARIANCE",
    sources=[INVERTED_W6],
    statement="Inverted dropout adds variance x²p/(1-p) to an activation x (our derived property; Week 6 "
    "gives the scaling it follows from).",
    formal="Var[m·x/(1-p)] = x²·p/(1-p), m ~ Bernoulli(1-p)",
    convention="p = drop probability",
    quotes=["Scale remaining activations by $\\frac{1}{1-p}$ during training"],
    origin="ledger",
    subject=x**2 * p / (1 - p),
    related=["DROPOUT.INVERTED.MEAN"],
)
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


@claim(
    id="DROPOUT.INVERTED.EVAL_IDENTITY",
    sources=[INVERTED_W6, Source(PRIMER, "6. Inference Time Adjustment"), W6_CODE],
    statement="With inverted dropout nothing is rescaled at inference: the layer is the identity, and that "
    "identity equals the training-time expectation.",
    formal="eval: y = x;  E_train[y] = x",
    convention="p = drop probability; PyTorch nn.Dropout in eval()",
    quotes=["- Inference: $h = \\sigma(z)$ (no dropout)", "no weight adjustment or scaling is required at inference time.", "return x"],
    subject=_torch_eval_dropout,
)
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


@claim(
    id="DROPOUT.INVERTED.BACKWARD",
    sources=[W6_CODE, Source(PRIMER, "5. The Training Process: Inverted Dropout Mechanics")],
    statement="The gradient of inverted dropout is the upstream gradient times the same scaled mask; Week 6's "
    "Dropout.backward (grad_output * mask) is therefore correct.",
    formal="∂/∂x [x·m/(1-p)] = m/(1-p)",
    convention="p = drop probability; mask stored already divided by (1-p) as in Week 6's code",
    quotes=["return grad_output * self.mask", "The gradients are also scaled by $1/p$ to match the forward pass scaling."],
    subject=lambda grad_output, mask: grad_output * mask,
    related=["DROPOUT.PRIMER.BACKWARD_SCALING"],
)
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


@claim(
    id="DROPOUT.PRIMER.BACKWARD_SCALING",
    sources=[PRIMER_INV],
    statement="In the backward pass only kept units pass gradient, multiplied by 1/p where p is the keep probability.",
    formal="∂y/∂x = m/p, m ~ Bernoulli(p)",
    convention="p = keep probability (Primer); with PyTorch's p the factor is 1/(1-p)",
    quotes=["The gradients are also scaled by $1/p$ to match the forward pass scaling."],
    subject=1 / p,
)
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


@claim(
    id="DROPOUT.PRIMER.WORKED_EXAMPLE",
    sources=[PRIMER_INV],
    statement="Masking A = [10, 25, 5, 40, 15] with M = [1, 1, 0, 1, 0] and dividing by p = 0.6 gives "
    "[16.67, 41.67, 0, 66.67, 0] to two decimals, with scale factor ≈ 1.667.",
    formal="A⊙M = [10,25,0,40,0]; (A⊙M)/0.6 = [50/3, 125/3, 0, 200/3, 0]",
    convention="p = keep probability 0.6",
    quotes=["A_{final} \\approx [16.67, 41.67, 0.0, 66.67, 0.0]"],
    subject=np.array([16.67, 41.67, 0.0, 66.67, 0.0]),
)
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


@claim(
    id="DROPOUT.PRIMER.EXPECTED_SUM_FACTOR",
    sources=[PRIMER_INV],
    statement="Without rescaling, the expected sum of the masked activations is p times the unmasked sum "
    "(p = keep probability), so dividing by p restores it.",
    formal="E[Σ m_i a_i] = p Σ a_i",
    convention="p = keep probability",
    quotes=["a fraction of the neurons $(1-p)$, the expected sum of the activations"],
    subject=p,
)
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


@claim(
    id="DROPOUT.MASK.BERNOULLI",
    sources=[Source(WEEK6, "Mechanism"), Source(PRIMER, "1. High-Level Explanation of the Technique")],
    statement="Mask entries are independent Bernoulli draws: the number kept out of n is Binomial(n, 1-p).",
    formal="Σ mask_i ~ Binomial(n, 1-p)",
    convention="p = drop probability; mask drawn as in Week 6's code from an explicit numpy Generator",
    quotes=["Where mask is binary with $P(\\text{mask}_i = 0) = p$.", "units to drop is random, usually determined by samples from a Bernoulli"],
    subject=week6_mask,
    related=["DROPOUT.WEEK6.CODE_KEEP_PROB"],
)
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


@claim(
    id="DROPOUT.WEEK6.CODE_KEEP_PROB",
    sources=[W6_CODE],
    statement="Week 6's mask (rand > p)/(1-p) keeps a unit with probability 1-p and scales survivors by "
    "1/(1-p), i.e. p is the drop probability.",
    formal="P(U > p) = 1 - p for U ~ Uniform[0,1); mask ∈ {0, 1/(1-p)}",
    convention="numpy's rand: U uniform on the grid {k·2⁻⁵³}",
    quotes=["self.mask = (np.random.rand(*x.shape) > self.p) / (1 - self.p)"],
    subject=week6_mask,
)
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


@claim(
    id="DROPOUT.STANDARD.TEST_SCALING",
    sources=[M2_DROPOUT, Source(NOTES004, "Dropout")],
    statement="Standard (non-inverted) dropout keeps all units at test time and multiplies activations by "
    "the keep probability 1-p, which matches the training-time expectation. (The ledger's correct rule: the "
    "cited sections state it with the factor p, judged in DROPOUT.STANDARD.TEST_SCALING.MODULE2 and .NOTES004.)",
    formal="E_train[m·x] = (1-p)x = test output (1-p)·x",
    convention="p = drop probability (PyTorch); the scale is the keep probability",
    quotes=["**During test time, all units are present**, but they have been scaled", "We use all the neurons but we rescale activations by the dropout parameter."],
    origin="ledger",
    subject=1 - p,
    related=["DROPOUT.STANDARD.TEST_SCALING.MODULE2", "DROPOUT.STANDARD.TEST_SCALING.NOTES004"],
)
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
    claim(formal="test output p·x vs E_train = (1-p)x", subject=p, corrected=1 - p,
          related=["DROPOUT.STANDARD.TEST_SCALING"], **entry)(evidence)


_test_scaling_claim(
    "Module 2",
    id="DROPOUT.STANDARD.TEST_SCALING.MODULE2",
    sources=[M2_DROPOUT],
    statement="Module 2: units are dropped with probability p and at test time scaled down by p.",
    convention="Module 2: p = drop probability in the same paragraph",
    quotes=["test time, all units are present**, but they have been scaled down"],
)
_test_scaling_claim(
    "004 notes",
    id="DROPOUT.STANDARD.TEST_SCALING.NOTES004",
    sources=[Source(NOTES004, "Dropout")],
    statement="004 notes: at test time rescale activations by the dropout parameter (the probability of "
    "zeroing a unit).",
    convention="004: dropout parameter = probability of setting a unit to 0",
    quotes=["use all the neurons but we rescale activations by the dropout parameter."],
)


@claim(
    id="DROPOUT.INVERTED.NOTES004_DIVIDE",
    sources=[Source(NOTES004, "Dropout")],
    statement="004 notes: inverted dropout divides the activations by the dropout parameter (the drop probability).",
    formal="E[m·x/p] with m ~ Bernoulli(1-p) vs x",
    convention="004: dropout parameter = drop probability",
    quotes=["doing inverted dropout where we divide the activations by the dropout parameter."],
    subject=1 / p,
    corrected=1 / (1 - p),
    related=["DROPOUT.INVERTED.MEAN"],
)
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


@claim(
    id="DROPOUT.INVERTED.MODULE2_KEEP_SCALE",
    sources=[M2_VARIANTS],
    statement="Module 2: inverted dropout scales training activations by the inverse keep probability 1/(1-p), "
    "so the expected output matches traditional dropout's test-time network without modifying it.",
    formal="E[m·x/(1-p)] = x = (traditional test output (1-p)x)/(1-p)",
    convention="p = drop probability",
    quotes=["training, it also scales the activations by the inverse of the keep"],
    subject=1 / (1 - p),
)
def _m2_inverted(scale) -> Evidence:
    return identity(
        _bernoulli_moments(scale, 1 - p)[0],
        ((1 - p) * x) / (1 - p),
        summary="inverted and traditional dropout agree in expectation up to the constant 1/(1−p) "
        "moved from test to train",
        assumptions="m ~ Bernoulli(1−p)",
    )


@claim(
    id="DROPOUT.GAUSSIAN.NO_SCALING",
    sources=[M2_VARIANTS],
    statement="Multiplicative Gaussian noise with mean 1 needs no test-time weight scaling: it preserves the "
    "expected activation.",
    formal="ξ ~ N(1, σ²): E[x·ξ] = x",
    convention="noise mean 1 (Srivastava et al.: σ² = p/(1-p) matches dropout's variance)",
    quotes=["2. No weight scaling is required."],
    subject=sp.Integer(1),
)
def _gaussian(noise_mean) -> Evidence:
    s = sp.Symbol("s", positive=True)
    xi = sp.Symbol("xi", real=True)
    density = sp.exp(-((xi - noise_mean) ** 2) / (2 * s**2)) / (s * sp.sqrt(2 * sp.pi))
    mean = sp.integrate(x * xi * density, (xi, -sp.oo, sp.oo))
    return identity(mean, x, summary=f"∫ x ξ N(ξ; {sp.sstr(noise_mean)}, σ²) dξ = x", assumptions="σ > 0")


@claim(
    id="DROPCONNECT.DROP_PROB",
    sources=[M2_VARIANTS],
    statement="Module 2: DropConnect zeroes each weight with probability 1-p, so p is a keep probability "
    "here, unlike Module 2's dropout p.",
    formal="M_ij ~ Bernoulli(p), r = a((M∗W)v): P(M_ij = 0) = 1 - p, E[(M∗W)v] = p·Wv",
    convention="DropConnect paper (Wan et al.): p = keep probability; Module 2 uses p = drop probability for dropout",
    quotes=["The weights are dropped with a probability of $1-p$"],
    subject=1 - p,
    related=["DROPOUT.DROP_PROB_CONVENTION"],
)
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


@claim(
    id="DROPCONNECT.GENERALIZES_DROPOUT",
    sources=[M2_VARIANTS, Source(NOTES004, "Drop Connect")],
    statement="Dropout on a layer's input is the special case of DropConnect whose weight mask has equal "
    "entries down each column.",
    formal="M_ij = m_j ⇒ (M∗W)v = W(m⊙v)",
    convention="M∗W elementwise product",
    quotes=["**DropConnect** can be seen as a generalization of Dropout to the full-connection structure of a layer.", "Sets weight to 0 during training time."],
    subject=lambda W, masked_input: W * masked_input,
)
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


not_checkable_claim(
    claim,
    id="DROPOUT.GUIDELINE.RATES",
    sources=[Source(WEEK6, "Practical Guidelines")],
    statement="Week 6's table of dropout rates per network part (input 0.1-0.2, hidden 0.3-0.5, before output 0-0.3).",
    convention="p = drop probability",
    quotes=["| Hidden layers | 0.3-0.5 |"],
    reason="a tuning heuristic whose truth depends on architecture and data; no experiment in "
    "this ledger's budget could confirm or refute it in general",
)


not_checkable_claim(
    claim,
    id="DROPOUT.SPARSE_REPRESENTATIONS",
    sources=[Source(MODULE2, "Module 2")],
    statement="Module 2: dropout increases the sparsity of the network and encourages sparse representations.",
    quotes=["increases the sparsity of the network and in general, encourages sparse representations!"],
    reason="an empirical statement about learned representations (the training-time zero fraction "
    "rises by p trivially, but the claim is about trained networks)",
)


not_checkable_claim(
    claim,
    id="DROPOUT.NO_DROPOUT_GOOGLENET_RESNET",
    sources=[Source(NOTES004, "Dropout")],
    statement="004: GoogLeNet and ResNet do not use dropout and rely on global average pooling instead.",
    quotes=["GoogleNet and ResNet don't use dropout atall but rather use global average"],
    reason="a historical statement about published architectures, not computable here; note that "
    "the GoogLeNet paper itself reports 40% dropout before its final classifier, so the "
    "statement is at best true of ResNet",
)
