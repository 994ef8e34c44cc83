"""Ensemble averaging: the Primer's MSE derivation and the dropout-as-bagging view."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import sympy as sp

from regstats import variance_sample_size, variance_test
from theory.evidence import checked, design_numbers, fmt, identity, ledger_check_design, sym_equal
from theory.ledger import Evidence, Verdict, claim

k, V, C = sp.symbols("k V C", positive=True)


def _compound_symmetric(n: int) -> sp.Matrix:
    """The covariance of n errors with variance V and pairwise covariance C: C·11ᵀ + (V − C)I."""
    return C * sp.ones(n, n) + (V - C) * sp.eye(n)


def ensemble_mse(k_, V_, C_):
    return V_ / k_ + (k_ - 1) * C_ / k_


@claim(id="ENSEMBLE.MSE.CORRELATED", subject=ensemble_mse)
def _mse_identity(formula) -> Evidence:
    general = identity(
        (k * V + k * (k - 1) * C) / k**2,
        formula(k, V, C),
        summary="(kV + k(k-1)C)/k² simplifies to V/k + (k-1)C/k for symbolic k",
        assumptions="k, V, C symbols; Var(Σε) = kV + k(k-1)C (checked in ENSEMBLE.MSE.PAIR_COUNT)",
    )
    # Independent check from the covariance matrix for k = 1..8: 1ᵀΣ1 / k².
    matrix_ok = all(
        sym_equal(
            (sp.ones(1, n) * _compound_symmetric(n) * sp.ones(n, 1))[0] / n**2, formula(n, V, C)
        )
        for n in range(1, 9)
    )
    ok = general.verdict is Verdict.HOLDS and matrix_ok
    general.details += (
        f"\n\nFrom the covariance matrix Σ = C·11ᵀ + (V-C)I: 1ᵀΣ1/k² equals the formula for k = 1..8: {matrix_ok}."
    )
    general.verdict = Verdict.HOLDS if ok else Verdict.FAILS
    general.numbers["matrix_check_k_max"] = 8
    return general


@claim(id="ENSEMBLE.MSE.PAIR_COUNT", subject=lambda k_, V_, C_: k_ * V_ + k_ * (k_ - 1) * C_)
def _pair_count(variance_of_sum) -> Evidence:
    ok = True
    for n in range(1, 9):
        sigma = _compound_symmetric(n)
        pairs = sum(1 for i, j in itertools.product(range(n), repeat=2) if i != j)
        # The ordered-pair count is the coefficient of C in the stated formula.
        stated = sp.expand(variance_of_sum(n, V, C))
        ok &= pairs == stated.coeff(C) and sym_equal((sp.ones(1, n) * sigma * sp.ones(n, 1))[0], stated)
    return checked(
        ok,
        "symbolic",
        "1ᵀΣ1 = kV + k(k-1)C and the ordered-pair count is k(k-1), for k = 1..8" if ok
        else "the stated Var(Σε) differs from 1ᵀΣ1 (or its pair count from k(k-1)) for some k in 1..8",
        "Σ = C·11ᵀ + (V−C)I; the sum of all entries of Σ is computed symbolically for each k.",
        {"k_max": 8},
    )


@claim(id="ENSEMBLE.MSE.PERFECT_CORRELATION", subject=V)
def _limit_c_eq_v(stated) -> Evidence:
    return identity(ensemble_mse(k, V, V), stated, summary="MSE_ens(C=V) = V", assumptions="k ≥ 1, V > 0")


@claim(id="ENSEMBLE.MSE.UNCORRELATED", subject=V / k)
def _limit_c_zero(stated) -> Evidence:
    return identity(ensemble_mse(k, V, 0), stated, summary="MSE_ens(C=0) = V/k", assumptions="k ≥ 1")


@claim(id="ENSEMBLE.COVARIANCE.RANGE", subject=lambda n: (-V / (n - 1), V))
def _cov_range(bounds) -> Evidence:
    ok = True
    for n in range(2, 7):
        low, high = bounds(n)
        eig = _compound_symmetric(n).eigenvals()
        ok &= {sp.expand(e) for e in eig} == {sp.expand(V - C), sp.expand(V + (n - 1) * C)}
        # The bounds are where an eigenvalue reaches 0: V + (n-1)C at the lower, V - C at the upper one.
        ok &= sym_equal(V + (n - 1) * low, 0) and sym_equal(V - high, 0)
        ok &= sym_equal(ensemble_mse(n, V, high), V) and sym_equal(ensemble_mse(n, V, low), 0)
    return checked(
        ok,
        "symbolic",
        "eigenvalues V−C and V+(k−1)C for k = 2..6; MSE is V at C=V and 0 at C=−V/(k−1)" if ok
        else "the stated covariance bounds are not where the covariance stops being positive semi-definite",
        "Positive semi-definiteness of the compound-symmetric covariance gives −V/(k−1) ≤ C ≤ V; C = V is the "
        "'same errors' case of the Primer.",
        {"k_max": 6},
    )


@claim(id="ENSEMBLE.MSE.ZERO_BIAS", subject=lambda variance, mean: variance + mean**2)
def _zero_bias(second_moment) -> Evidence:
    p = sp.symbols("p", positive=True)
    a, b = sp.symbols("a b", real=True)
    # A two-point distribution with arbitrary mean: E[ε²] - (Var + mean²) = 0.
    mean = p * a + (1 - p) * b
    second = p * a**2 + (1 - p) * b**2
    var = p * (a - mean) ** 2 + (1 - p) * (b - mean) ** 2
    return identity(
        second,
        second_moment(var, mean),
        summary="E[ε²] = Var(ε) + E[ε]² (two-point law, symbolic)",
        assumptions="ε takes a w.p. p and b w.p. 1−p; general a, b, p",
    )


@claim(id="ENSEMBLE.MSE.PLUGIN_EXACT", subject=ensemble_mse)
def _plugin(formula) -> Evidence:
    rng = np.random.default_rng(20240601)
    n, kk = 12, 5
    errors = [[Fraction(int(v), 7) for v in row] for row in rng.integers(-20, 21, size=(n, kk))]
    lhs = sum((sum(row) / kk) ** 2 for row in errors) / n
    v_hat = sum(e * e for row in errors for e in row) / (n * kk)
    c_hat = sum(row[i] * row[j] for row in errors for i in range(kk) for j in range(kk) if i != j) / (n * kk * (kk - 1))
    rhs = formula(kk, v_hat, c_hat)
    ok = lhs == rhs
    return checked(
        ok,
        "exact",
        f"exact rational check on a {n}×{kk} error table: both sides = {lhs}" if ok
        else f"exact rational check on a {n}×{kk} error table: lhs {lhs} ≠ rhs {rhs}",
        f"Errors drawn as integers/7 (seed 20240601), arithmetic in Fraction. lhs = {lhs}, rhs = {rhs}.",
        {"n": n, "k": kk, "lhs": str(lhs), "rhs": str(rhs)},
    )


@claim(id="ENSEMBLE.MSE.SIMULATION", subject=ensemble_mse)
def _simulation(formula) -> Evidence:
    kk, v, c = 5, 1.0, 0.3
    target = float(formula(kk, v, c))
    design = ledger_check_design(power=0.99, delta=0.1)
    n = variance_sample_size(design)
    rng = np.random.default_rng(1729)
    cov = c * np.ones((kk, kk)) + (v - c) * np.eye(kk)
    errors = rng.multivariate_normal(np.zeros(kk), cov, size=n)
    averaged = errors.mean(axis=1)
    measured = float(np.mean(averaged**2))
    if not target > 0:  # a stated variance that is not positive is wrong without any test
        return Evidence(Verdict.FAILS, "experiment", f"the stated Var(mean error) {fmt(target)} is not positive",
                        f"k={kk}, V={v}, C={c}: stated {target}, measured {measured:.5f}.",
                        {**design_numbers(design, n), "population_mse": target, "measured_mse": measured})
    decision = variance_test(averaged, target, design.alpha)
    return Evidence(
        Verdict.FAILS if decision.reject else Verdict.HOLDS,
        "experiment",
        f"χ² test of Var(mean error) = {fmt(target)}: p = {decision.pvalue:.3g}, measured MSE {measured:.4f}",
        f"k={kk}, V={v}, C={c}; {design.describe(n)} (δ is the relative variance deviation 1+δ). "
        f"Measured mean square {measured:.5f} vs population {target:.5f}; reject={decision.reject}.",
        {**design_numbers(design, n), "population_mse": target, "measured_mse": measured, "pvalue": decision.pvalue},
    )


@claim(id="DROPOUT.SUBNETWORKS.COUNT", subject=lambda n: 2**n)
def _subnetworks(count) -> Evidence:
    counts = {n: len(set(itertools.product((0, 1), repeat=n))) for n in range(0, 13)}
    wrong = {n: count(n) for n, c in counts.items() if c != count(n)}
    ok = not wrong
    return checked(
        ok,
        "exact",
        "enumerated masks number 2^n for n = 0..12" if ok else f"the stated count differs from enumeration at n = {sorted(wrong)[:3]}",
        f"Counts: {counts}. Note the all-dropped mask is one of them.",
        {"n_max": 12},
    )


@claim(
    id="DROPOUT.ENSEMBLE.WEIGHT_SCALING_APPROX",
    # The test-time rule under judgement: what the full network computes from the unscaled pre-activation
    # W·x (inverted dropout: nothing, the identity).
    subject=lambda pre_activation: pre_activation,
)
def _weight_scaling(test_time) -> Evidence:
    p = Fraction(1, 2)
    x = [Fraction(v) for v in (3, 1, 2, 4)]
    w1 = [[Fraction(v) for v in row] for row in ((1, 2, -1, 0), (-2, 1, 1, 1), (1, -1, 2, -3))]
    w2 = [Fraction(1), Fraction(1), Fraction(1)]
    masks = list(itertools.product((0, 1), repeat=4))

    def prob(m):
        out = Fraction(1)
        for bit in m:
            out *= (1 - p) if bit else p
        return out

    def hidden(m):
        return [sum(w * xi * bit / (1 - p) for w, xi, bit in zip(row, x, m, strict=False)) for row in w1]

    linear_avg = [sum(prob(m) * hidden(m)[r] for m in masks) for r in range(3)]
    full_pre = [sum(w * xi for w, xi in zip(row, x, strict=False)) for row in w1]  # W·x, no dropout
    linear_full = [test_time(v) for v in full_pre]
    linear_ok = linear_avg == linear_full
    relu = lambda v: max(v, Fraction(0))  # noqa: E731
    ens = sum(prob(m) * sum(a * relu(h) for a, h in zip(w2, hidden(m), strict=False)) for m in masks)
    full = sum(a * relu(h) for a, h in zip(w2, linear_full, strict=False))
    gap = abs(float(ens - full))
    # The stated bound: ReLU(h) = (h + |h|)/2 and |E|h| − |E h|| ≤ E|h − E h| ≤ sd(h), so after one ReLU the
    # ensemble mean and the full network differ by at most Σ_r |w2_r| · sd(h_r) / 2 (h_r: the dropout
    # pre-activation of hidden unit r). Beyond the bound the approximation claim fails.
    variances = [float(sum(prob(m) * (hidden(m)[r] - linear_avg[r]) ** 2 for m in masks)) for r in range(3)]
    bound = sum(abs(float(a)) * v**0.5 / 2 for a, v in zip(w2, variances, strict=False))
    if not linear_ok:
        verdict = Verdict.FAILS
    elif gap == 0:
        verdict = Verdict.HOLDS
    else:
        verdict = Verdict.APPROXIMATE if gap <= bound else Verdict.FAILS
    summary = (f"linear layer: {'exact' if linear_ok else 'NOT exact'}; after ReLU the ensemble mean {float(ens):.4g} "
               f"vs full network {float(full):.4g}: error {gap:.3g} "
               f"{'within' if gap <= bound else 'beyond'} the bound Σ|w2|·sd(h)/2 = {bound:.3g}")
    numbers: dict[str, float | int | str] = {"abs_error": gap, "error_bound": bound, "masks": len(masks),
                                             "linear_exact": int(linear_ok)}
    if verdict is Verdict.FAILS:
        numbers.update(counterexample=f"4-3-1 network, x = {[int(v) for v in x]}, p = 1/2",
                       corrected_statement="the full network equals the ensemble mean of the pre-activations W·x",
                       corrected_holds=int(linear_avg == full_pre))
    return Evidence(
        verdict,
        "exact",
        summary,
        "Exact Fraction enumeration of all 16 masks of a 4-3-1 network, p = 1/2. The ensemble average of the "
        f"hidden pre-activations equals the full network's: {linear_ok}; after ReLU it is {ens} vs {full}. "
        f"Where: this network and input; how far: {gap:.4g} against the bound {bound:.4g}.",
        numbers,
    )
