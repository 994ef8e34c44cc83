"""Label smoothing, softmax saturation and entropy regularisation."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import sympy as sp

from theory.evidence import checked, identity, not_checkable, refutable, sym_equal
from theory.ledger import Evidence, Verdict, claim

eps, K = sp.symbols("epsilon K", positive=True)


def _uniform_k(kk: int, e, true: int = 0):
    return [(1 - e) * (1 if i == true else 0) + e / kk for i in range(kk)]


def _k_minus_1(kk: int, e, true: int = 0):
    return [(1 - e) if i == true else e / (kk - 1) for i in range(kk)]


def _is_distribution(vec) -> bool:
    total_ok = sym_equal(sum(vec), 1)
    # non-negative for every ε in [0, 1]: linear in ε, so check both ends.
    ends_ok = all(sp.sympify(v).subs(eps, end) >= 0 for v in vec for end in (0, 1))
    return total_ok and ends_ok


def _smoothed_targets(target_rule, true_value, letter: str, holds: str, fails: str, details: str) -> Evidence:
    """A smoothing rule judged for 2..10 classes: each target a distribution (sums to 1, non-negative for
    ε ∈ [0, 1]) whose true class gets true_value(number of classes)."""
    ok = all(_is_distribution(target_rule(kk, eps)) for kk in range(2, 11))
    true_ok = all(sym_equal(target_rule(kk, eps)[0], true_value(kk)) for kk in range(2, 11))
    return checked(
        ok and true_ok,
        "symbolic",
        f"sums to 1 and is non-negative for ε ∈ [0, 1], {letter} = 2..10; {holds}" if ok and true_ok
        else f"the rule gives {[sp.sstr(v) for v in target_rule(3, eps)]} for {letter} = 3: not a distribution {fails}",
        details,
        {"K_max": 10},
    )


@claim(id="LABEL_SMOOTHING.UNIFORM_K", subject=_uniform_k)
def _uniform(target_rule) -> Evidence:
    return _smoothed_targets(target_rule, lambda kk: 1 - eps + eps / kk, "K", "true class 1 − ε + ε/K",
                             "with true class 1 − ε + ε/K",
                             "Symbolic in ε for each K; non-negativity checked at ε = 0 and 1 (entries are linear in ε).")


@claim(id="LABEL_SMOOTHING.OFF_TARGET_K_MINUS_1", subject=_k_minus_1)
def _k1(target_rule) -> Evidence:
    return _smoothed_targets(target_rule, lambda kk: 1 - eps, "k", "the true class keeps 1 − ε", "keeping 1 − ε",
                             "Symbolic in ε for each k.")


@claim(id="LABEL_SMOOTHING.CONVENTIONS_RELATION", subject=lambda e, kk: e * (kk - 1) / kk)
def _relation(epsilon_map) -> Evidence:
    ok = True
    for kk in range(2, 9):
        ok &= all(
            sym_equal(a, b) for a, b in zip(_uniform_k(kk, eps), _k_minus_1(kk, epsilon_map(eps, kk)), strict=False)
        )
    diff = sp.simplify(_k_minus_1(4, eps)[1] - _uniform_k(4, eps)[1])
    differ = not sym_equal(diff, 0)
    return checked(
        ok and differ,
        "symbolic",
        "same family, different ε scales: ε_Module2 = ε_Week6·(K−1)/K" if ok and differ
        else f"Module 2's rule with ε' = {sp.sstr(epsilon_map(eps, K))} is not Week 6's rule",
        f"Equality checked entrywise for K = 2..8. With equal ε and K = 4 the off-target entries differ by `{diff}`.",
        {},
    )


@claim(id="LABEL_SMOOTHING.TORCH_MATCHES_UNIFORM_K", subject=_uniform_k)
def _torch_ls(target_rule) -> Evidence:
    import torch

    rng = np.random.default_rng(5)
    kk, e = 5, 0.2
    z = torch.tensor(rng.normal(size=(64, kk)) * 3)
    t = torch.tensor(rng.integers(0, kk, size=64))
    ours = torch.nn.functional.cross_entropy(z, t, label_smoothing=e)
    logp = torch.log_softmax(z, dim=1)
    onehot = torch.nn.functional.one_hot(t, kk).double()
    rule = torch.tensor([[float(v) for v in target_rule(kk, e, true=c)] for c in range(kk)], dtype=torch.float64)
    q6 = rule[t]
    q2 = (1 - e) * onehot + e / (kk - 1) * (1 - onehot)
    d6 = abs(float(ours - (-(q6 * logp).sum(1).mean())))
    d2 = abs(float(ours - (-(q2 * logp).sum(1).mean())))
    tol = 64 * kk * np.finfo(np.float64).eps * float(logp.abs().max())  # summation over 64·K terms
    ok = d6 <= tol and d2 > tol
    return checked(
        ok,
        "exact",
        f"torch vs the stated target: {d6:.2g} ({'equal' if d6 <= tol else 'differs'}); vs Module 2 target: {d2:.3g}",
        f"64 random examples, K = {kk}, ε = {e}, float64; tolerance 64·K·eps·max|log p| = {tol:.2g}.",
        {"diff_uniform_k": d6, "diff_k_minus_1": d2, "tolerance": tol},
    )


@claim(id="LABEL_SMOOTHING.FINITE_OPTIMUM", subject=_uniform_k)
def _finite(target_rule) -> Evidence:
    zs = sp.symbols("z1:5", real=True)
    kk = 4
    q = target_rule(kk, eps)
    sm = [sp.exp(zi) / sum(sp.exp(zj) for zj in zs) for zi in zs]
    ce = -sum(qi * sp.log(si) for qi, si in zip(q, sm, strict=False))
    at = {zi: sp.log(qi) for zi, qi in zip(zs, q, strict=False)}
    grad_ok = all(sym_equal(sp.diff(ce, zi).subs(at), 0) for zi in zs)
    top = sp.simplify(sm[0].subs(at))
    # softmax(z*) = q needs q to be a distribution (softmax outputs sum to 1).
    top_ok = sym_equal(top, 1 - eps + eps / kk) and _is_distribution(q)
    return checked(
        grad_ok and top_ok,
        "symbolic",
        "gradient of CE vanishes at z = log q; top probability 1 − ε + ε/K" if grad_ok and top_ok
        else f"the target's top entry {sp.sstr(q[0])} is not a finite optimum with top probability 1 − ε + ε/K",
        f"K = 4, symbolic ε ∈ (0,1). softmax(log q)₁ = `{top}`.",
        {"K": kk},
    )


@claim(id="LABEL_SMOOTHING.HARD_TARGET_NO_MINIMIZER", subject=lambda d, kk: sp.log(1 + (kk - 1) * sp.exp(-d)))
def _hard(stated_loss) -> Evidence:
    d = sp.Symbol("d", real=True)
    kk = 4
    loss = stated_loss(d, kk)
    # The stated loss must be the cross-entropy of a one-hot target with logit gap d (true logit d, others 0).
    derived = -sp.log(sp.exp(d) / (sp.exp(d) + kk - 1))
    is_ce = sym_equal(sp.expand_log(loss, force=True), sp.expand_log(derived, force=True)) or sym_equal(
        sp.exp(loss), sp.exp(derived))
    positive = bool(loss.is_positive)
    lim = sp.limit(loss, d, sp.oo)
    decreasing = bool(sp.simplify(-sp.diff(loss, d)).is_positive)
    ok = is_ce and positive and lim == 0 and decreasing
    return checked(
        ok,
        "symbolic",
        "loss(d) > 0 for all real d, strictly decreasing, → 0 only as d → ∞" if ok
        else f"{sp.sstr(loss)} is not the one-hot cross-entropy or has a finite minimiser",
        f"K = 4: loss = `{loss}`, limit {lim}.",
        {},
    )


@claim(id="SOFTMAX.NEVER_ZERO_ONE", subject=lambda zs: [sp.exp(z) / sum(sp.exp(w) for w in zs) for z in zs])
def _softmax01(softmax) -> Evidence:
    import torch

    zs = sp.symbols("z1:4", real=True)
    out_sym = softmax(list(zs))
    s0 = out_sym[0]
    # A softmax: a distribution (entries sum to 1) whose entries lie strictly inside (0, 1).
    exact_ok = bool(s0.is_positive) and bool(sp.simplify(1 - s0).is_positive) and sym_equal(sum(out_sym), 1)
    out = torch.softmax(torch.tensor([0.0, 200.0], dtype=torch.float32), dim=0)
    float_counter = float(out[0]) == 0.0 and float(out[1]) == 1.0
    return Evidence(
        Verdict.HOLDS_UNDER_CONVENTION
        if exact_ok and float_counter
        else (Verdict.HOLDS if exact_ok else Verdict.FAILS),
        "symbolic",
        ("exactly: 0 < softmax < 1" if exact_ok else "the stated softmax is not strictly inside (0, 1) or does not sum to 1")
        + "; float32 softmax([0, 200]) = [0, 1] exactly",
        f"SymPy: softmax₁ and 1 − softmax₁ are positive for real logits ({exact_ok}). torch float32 "
        f"softmax([0, 200]) = {out.tolist()} (e^-200 underflows).",
        {"alternative": "float32 arithmetic: softmax([0,200]) == [0,1]", "alternative_holds": int(not float_counter)},
    )


@claim(
    id="SOFTMAX.EXAMPLE_OUTPUT",
    subject=[F('0.0003'), F('0.999'), F('0.0003'), F('0.0003')],
    corrected=[F('0.0003'), F('0.9991'), F('0.0003'), F('0.0003')],
)
def _example(printed) -> Evidence:
    total = sum(F(v) for v in printed)
    # A softmax output is a strictly positive vector summing to 1 (then z = log q attains it exactly).
    original = total == 1 and all(F(v) > 0 for v in printed)
    fixed = [F("0.0003"), F("0.9991"), F("0.0003"), F("0.0003")]
    # softmax(log q) = q for any distribution q: exact since exp(log q_i) = q_i.
    corrected = sum(fixed) == 1 and all(
        sym_equal(sp.exp(sp.log(sp.Rational(str(q)))) / sum(sp.Rational(str(r)) for r in fixed), sp.Rational(str(q)))
        for q in fixed
    )
    return refutable(
        original,
        corrected,
        "exact",
        f"the printed vector sums to {total} ≠ 1, so it is not a softmax output; nor is it 'the best'" if not original
        else "the vector sums to 1 and is strictly positive: softmax(log q) = q attains it",
        f"Σ = {total} = {float(total)}. Softmax can reach any strictly positive distribution (z = log q), so "
        "there is no 'best' value short of 1. Corrected example: [0.0003, 0.9991, 0.0003, 0.0003] sums to 1 and "
        f"equals softmax(log q) exactly ({corrected}); outputs arbitrarily close to one-hot are attainable.",
        counterexample=f"sum of printed vector = {total}",
        corrected_statement="e.g. [0.0003, 0.9991, 0.0003, 0.0003]; any positive distribution is attainable",
    )


@claim(
    id="ENTROPY_REG.TOWARD_UNIFORM",
    subject=lambda ps: -sum(pi * sp.log(pi) for pi in ps),
    corrected=lambda ps: sum(pi * sp.log(pi) for pi in ps),
)
def _entropy(penalty) -> Evidence:
    ps = sp.symbols("p1:4", positive=True)
    H = -sum(pi * sp.log(pi) for pi in ps)
    omega = penalty(ps)
    # The claim is about entropy penalties: Ω must be +H or −H (anything else is not what is judged).
    if not (sym_equal(omega, H) or sym_equal(omega, -H)):
        return not_checkable(f"the penalty {sp.sstr(omega)} is neither the entropy nor its negative")
    # Minimising Ω on the simplex moves toward uniform iff uniform is a minimum of Ω (positive curvature).
    hess = sp.hessian(omega, ps).subs({pi: sp.Rational(1, 3) for pi in ps})
    tangent = [sp.Matrix([1, -1, 0]), sp.Matrix([1, 1, -2])]
    curv = [float((t.T * hess * t)[0]) for t in tangent]
    original = all(c > 0 for c in curv)
    one_hot_ish = float(H.subs({ps[0]: sp.Rational(98, 100), ps[1]: sp.Rational(1, 100), ps[2]: sp.Rational(1, 100)}))
    uniform_h = float(sp.log(3))
    neg_hess = -hess
    corrected = all(float((t.T * neg_hess * t)[0]) > 0 for t in tangent) and one_hot_ish < uniform_h
    return refutable(
        original,
        corrected,
        "symbolic",
        "+H is maximal, not minimal, at the uniform distribution: minimising J + aH moves away from uniform"
        if not original else "the penalty is minimal at the uniform distribution: minimising J + aΩ moves toward it",
        f"Hessian of H at p = 1/3 along the simplex: curvatures {curv} (negative ⇒ maximum). Counterexample: "
        f"H(0.98, 0.01, 0.01) = {one_hot_ish:.4f} < H(uniform) = {uniform_h:.4f}, so the near-one-hot point has the "
        "smaller penalty. Corrected statement: to push toward uniform, subtract the entropy (J' = J − aH, the "
        "entropy bonus used in A3C); −H is convex on the simplex with its minimum at the uniform distribution "
        f"(checked: {corrected}).",
        counterexample=f"H(0.98,0.01,0.01)={one_hot_ish:.4f} < log 3={uniform_h:.4f}",
        corrected_statement="use J - a·H(p) (entropy bonus); its minimiser over p is uniform",
    )


@claim(id="LABEL_SMOOTHING.POSITIVE_TARGETS", subject=lambda e, k: e / (k - 1))
def _positive(off_target) -> Evidence:
    e = sp.Symbol("e", positive=True)
    kk = sp.Symbol("k", integer=True, positive=True)
    off = off_target(e, kk)
    positive = bool(off.subs(kk, sp.Symbol("m", positive=True) + 1).is_positive)
    # The positive value replaces the zeros of a target that stays a distribution: (1 − ε) + (k − 1)·off = 1.
    sums_to_one = sym_equal((1 - e) + (kk - 1) * off, 1)
    ok = positive and sums_to_one
    return identity(
        sp.Integer(int(ok)),
        1,
        summary=f"off-target value {sp.sstr(off)}: positive {positive}, target sums to 1 {sums_to_one}; "
        "1 − ε > 0 for ε < 1",
        assumptions="k ≥ 2 (k = m + 1, m > 0), 0 < ε < 1",
    )
