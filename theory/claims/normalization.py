"""Batch normalization and layer normalization."""

from __future__ import annotations

import numpy as np
import sympy as sp

from theory.evidence import (
    checked,
    convention_evidence,
    not_checkable,
    refutable,
    sym_equal,
    within_bound,
)
from theory.ledger import Evidence, Verdict, claim

EPS = 1e-5
#: Stated bound of the "unit variance" approximation: the variance deficit ε/(σ²+ε) stays ≤ 1% for σ² ≥ 100ε.
VARIANCE_BOUND = 0.01
#: Stated bound of the Primer's undo without ε: relative error 1 − √(σ²/(σ²+ε)) ≤ 0.5% for σ² ≥ 100ε.
UNDO_BOUND = 0.005


def _sqrt(value):
    return sp.sqrt(value) if isinstance(value, sp.Basic) else np.sqrt(value)


def normalise(x, mu, var, eps):
    """The documents' normalisation step x̂ = (x − μ_B)/√(σ_B² + ε) (SymPy or NumPy values)."""
    return (x - mu) / _sqrt(var + eps)


def _variance_deficit(variances) -> dict[float, float]:
    """Relative shortfall ε/(σ²+ε) of the normalised variance σ²/(σ²+ε) from 1, per batch variance σ²."""
    return {s2: EPS / (s2 + EPS) for s2 in variances}


def _undo_error(gamma, variances) -> dict[float, float]:
    """Relative error |1 − γ/√(σ² + ε)| of the centred value γ·x̂ rebuilt with `gamma`, per variance σ²."""
    return {s2: float(abs(1 - gamma(s2, EPS) / np.sqrt(s2 + EPS))) for s2 in variances}


def _rows_standardised(out, x) -> bool:
    """Whether `out` is a layer normalisation of `x`: every row centred, unit variance, order within the row kept."""
    import torch

    return bool((out.mean(dim=1).abs() <= 1e-12).all()) and bool(
        ((out.var(dim=1, unbiased=False) - 1).abs() <= 1e-4).all()) and bool(
        torch.equal(out.argsort(dim=1), x.argsort(dim=1)))


def _sym_batch(m: int, normaliser=normalise):
    xs = sp.symbols(f"x1:{m + 1}", real=True)
    e = sp.Symbol("epsilon", positive=True)
    mu = sum(xs) / m
    var = sum((xi - mu) ** 2 for xi in xs) / m
    xhat = [normaliser(xi, mu, var, e) for xi in xs]
    return xs, e, mu, var, xhat


@claim(id="BATCHNORM.TRAIN.BATCH_STATS", subject=normalise)
def _batch_stats(normaliser) -> Evidence:
    import torch

    m = 4
    xs, e, mu, var, xhat = _sym_batch(m, normaliser)
    mean_ok = sym_equal(sum(xhat) / m, 0)
    var_hat = sum(v**2 for v in xhat) / m
    var_ok = sym_equal(var_hat, var / (var + e))
    # PyTorch training-mode output equals the formula (biased variance).
    rng = np.random.default_rng(2)
    xb = rng.normal(3.0, 2.0, size=(16, 3))
    out = torch.nn.functional.batch_norm(torch.tensor(xb), None, None, training=True, eps=EPS).numpy()
    ref = normaliser(xb, xb.mean(0), xb.var(0), EPS)
    torch_err = float(np.abs(out - ref).max())
    tol = 64 * np.finfo(np.float64).eps * float(np.abs(ref).max())
    # The documents' "unit variance" is approximate; stated bound: within VARIANCE_BOUND where σ_B² ≥ 100ε.
    deficit = _variance_deficit((1.0, 1e-2, 1e-3))
    outside = _variance_deficit((1e-4,))[1e-4]
    ok = mean_ok and var_ok and torch_err <= tol
    verdict = within_bound(False, deficit, VARIANCE_BOUND) if ok else Verdict.FAILS
    return Evidence(
        verdict,
        "symbolic",
        f"mean {'exactly 0' if mean_ok else 'NOT 0'}; variance σ²/(σ²+ε) {'(exact)' if var_ok else 'differs'}: "
        f"short of 1 by at most {max(deficit.values()):.2g} for σ² ≥ 100ε (bound {VARIANCE_BOUND}); "
        f"{outside:.2g} at σ² = 1e-4; torch batch_norm {'matches' if torch_err <= tol else 'does NOT match'}",
        f"Symbolic batch of m = {m}: mean(x̂) = 0 ({mean_ok}), var(x̂) = σ²/(σ²+ε) ({var_ok}). torch "
        f"F.batch_norm(training=True) matches the biased-variance formula within {torch_err:.2g} (tol {tol:.2g}). "
        f"Relative variance deficit ε/(σ²+ε) with ε = {EPS}: {deficit}.",
        {
            "variance_error_sigma2_1": deficit[1.0],
            "variance_error_sigma2_1e-2": deficit[1e-2],
            "variance_error_sigma2_1e-3": deficit[1e-3],
            "error_bound": VARIANCE_BOUND,
            "region": "σ_B² ≥ 100ε = 1e-3 (ε = 1e-5)",
            "deficit_outside_region_sigma2_1e-4": outside,
            "torch_max_abs_diff": torch_err,
        },
    )


@claim(id="BATCHNORM.RUNNING_VAR.ESTIMATOR", subject=lambda x: x.var(axis=0))
def _running_var(batch_variance) -> Evidence:
    import torch

    rng = np.random.default_rng(4)
    m = 8
    xb = rng.normal(size=(m, 3))
    rv = np.ones(3)
    w6_rv = 0.9 * rv + 0.1 * batch_variance(xb)  # Week 6's running_var update, momentum 0.1
    t_rm, t_rv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    torch.nn.functional.batch_norm(torch.tensor(xb), t_rm, t_rv, training=True, momentum=0.1, eps=EPS)
    ratio = (t_rv.numpy() - 0.9) / (w6_rv - 0.9)
    ratio_err = float(np.abs(ratio - m / (m - 1)).max())
    tol = 1e-12  # two subtractions of O(1) numbers: relative error ≲ 10·eps/0.1
    matches_after_factor = ratio_err <= tol
    same_without_factor = float(np.abs(t_rv.numpy() - w6_rv).max()) <= tol
    return convention_evidence(
        matches_after_factor,
        same_without_factor,
        "exact",
        f"torch/Week 6 running-variance increments have ratio m/(m-1) = {m / (m - 1):.6f} (error {ratio_err:.2g})"
        if matches_after_factor else f"torch/Week 6 running-variance increments are not in ratio m/(m-1) (error {ratio_err:.2g})",
        f"One training step, m = {m}, momentum 0.1, running_var initialised to 1. Increment ratio {ratio.tolist()}. "
        "The convention matters only for the running (inference) statistics; normalisation in training uses the "
        "biased variance in both.",
        alternative="Week 6 code's biased estimator equals PyTorch's running_var",
        ratio_error=ratio_err,
        m=m,
    )


@claim(
    id="BATCHNORM.EVAL.RUNNING_STATS",
    subject=lambda x, mean, var, eps, weight, bias: (x - mean) / np.sqrt(var + eps) * weight + bias,
)
def _eval_stats(eval_formula) -> Evidence:
    import torch

    rng = np.random.default_rng(6)
    bn = torch.nn.BatchNorm1d(3, dtype=torch.float64)
    bn.train()
    for _ in range(3):
        bn(torch.tensor(rng.normal(2.0, 3.0, size=(10, 3))))
    bn.eval()
    xb = torch.tensor(rng.normal(size=(5, 3)))
    with torch.no_grad():
        out = bn(xb).numpy()
        single = bn(xb[:1]).numpy()
    rm, rv = bn.running_mean.numpy(), bn.running_var.numpy()
    ref = eval_formula(xb.numpy(), rm, rv, bn.eps, bn.weight.detach().numpy(), bn.bias.detach().numpy())
    err = float(np.abs(out - ref).max())
    indep = bool(np.array_equal(out[:1], single))
    tol = 16 * np.finfo(np.float64).eps * float(np.abs(ref).max())
    ok = err <= tol and indep
    return checked(
        ok,
        "exact",
        f"eval output {'=' if err <= tol else '≠'} running-stat formula (max diff {err:.2g}); sample 0 alone gives the "
        f"same output: {indep}",
        f"BatchNorm1d trained 3 steps then eval(); tolerance {tol:.2g}; batch independence {indep}.",
        {"max_abs_diff": err, "tolerance": tol},
    )


@claim(
    id="BATCHNORM.MOMENTUM.PYTORCH_CONVENTION",
    subject=lambda running, batch, momentum: (1 - momentum) * running + momentum * batch,
)
def _momentum(update) -> Evidence:
    import torch

    rng = np.random.default_rng(8)
    xb = rng.normal(1.0, 1.0, size=(6, 2))
    w6_rm = update(np.zeros(2), xb.mean(axis=0), 0.1)
    t_rm, t_rv = torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)
    torch.nn.functional.batch_norm(torch.tensor(xb), t_rm, t_rv, training=True, momentum=0.1)
    same = float(np.abs(t_rm.numpy() - w6_rm).max()) <= 1e-15
    keras = 0.1 * np.zeros(2) + 0.9 * xb.mean(0)
    keras_same = float(np.abs(t_rm.numpy() - keras).max()) <= 1e-15
    return convention_evidence(
        same,
        keras_same,
        "exact",
        "Week 6's running_mean update equals PyTorch's for momentum = 0.1" if same
        else "the stated running_mean update differs from PyTorch's for momentum = 0.1",
        f"torch running_mean {t_rm.tolist()}, Week 6 {w6_rm.tolist()}, Keras reading {keras.tolist()}.",
        alternative="Keras convention (momentum weights the old value)",
    )


@claim(id="BATCHNORM.AFFINE.UNDO", subject=lambda var, eps: sp.sqrt(var + eps))
def _undo(gamma) -> Evidence:
    xs, e, mu, var, xhat = _sym_batch(3)
    ok = all(sym_equal(gamma(var, e) * xh + mu, xi) for xh, xi in zip(xhat, xs, strict=False))
    return checked(
        ok,
        "symbolic",
        f"γx̂ + β {'=' if ok else '≠'} x for γ = {sp.sstr(gamma(sp.Symbol('σ²'), sp.Symbol('ε')))}, β = μ",
        "Symbolic batch of 3 values, ε > 0.",
        {},
    )


@claim(
    id="BATCHNORM.AFFINE.UNDO.PRIMER_NO_EPS",
    subject=lambda var, eps: sp.sqrt(var) if isinstance(var, sp.Basic) else np.sqrt(var),
)
def _undo_primer(gamma) -> Evidence:
    xs, e, mu, var, xhat = _sym_batch(3)
    out = [gamma(var, e) * xh + mu for xh in xhat]
    exact = all(sym_equal(o, xi) for o, xi in zip(out, xs, strict=False))
    # Relative error of the reconstructed centred value γ·x̂ against x − μ: |1 − γ/√(σ² + ε)|.
    rel = _undo_error(gamma, (1.0, 1e-2, 1e-3))
    outside = _undo_error(gamma, (1e-4, 1e-6))
    verdict = within_bound(exact, rel, UNDO_BOUND)
    return Evidence(
        verdict,
        "symbolic",
        f"relative error at most {max(rel.values()):.2g} for σ² ≥ 100ε ({'within' if verdict is not Verdict.FAILS else 'beyond'} "
        f"the bound {UNDO_BOUND}); {outside[1e-4]:.3f} at σ²=1e-4, {outside[1e-6]:.2f} at σ²=1e-6",
        f"SymPy: √σ²·x̂ + μ − x does not simplify to 0 ({not exact}). Relative error of the centred value with "
        f"ε = {EPS}: {rel}. Exact with γ = √(σ²+ε) (BATCHNORM.AFFINE.UNDO).",
        {"rel_error_sigma2_1": rel[1.0], "rel_error_sigma2_1e-3": rel[1e-3], "error_bound": UNDO_BOUND,
         "region": "σ² ≥ 100ε = 1e-3 (ε = 1e-5)", "deficit_outside_region_sigma2_1e-4": outside[1e-4],
         "deficit_outside_region_sigma2_1e-6": outside[1e-6]},
    )


@claim(id="BATCHNORM.MODULE2.FORMULA", subject=lambda x, mu, var, eps: x - mu, corrected=normalise)
def _m2_formula(normaliser) -> Evidence:
    batch = np.array([0.0, 10.0])
    as_printed = normaliser(batch, batch.mean(), batch.var(), EPS)
    var_printed = float(as_printed.var())
    # A normalisation: batch mean 0, variance ≈ 1 (within 1e-3, σ² ≫ ε here), order of the values kept.
    original = (abs(var_printed - 1) <= 1e-3 and abs(float(as_printed.mean())) <= 1e-12
                and bool(np.all(np.diff(as_printed) > 0)))
    xs, e, mu, var, xhat = _sym_batch(3)
    corrected = sym_equal(sum(v**2 for v in xhat) / 3, var / (var + e)) and sym_equal(sum(xhat), 0)
    return refutable(
        original,
        corrected,
        "exact",
        f"batch [0, 10]: the formula gives {np.round(as_printed, 6).tolist()}, variance {var_printed:g}"
        + ("" if original else ", not a normalisation"),
        "Counterexample: x = [0, 10] → x̂ = [−5, 5], variance 25. Corrected statement: x̂_i = (x_i − μ_B)/√(σ_B² + ε), "
        f"whose batch mean is 0 and variance σ²/(σ²+ε) (checked symbolically: {corrected}).",
        counterexample="x=[0,10]: x_hat=[-5,5], variance 25",
        corrected_statement="x_hat_i = (x_i - mu_B)/sqrt(sigma_B^2 + eps)",
    )


@claim(
    id="BATCHNORM.MODULE2.MULTIPLY_BY_DEVIATION",
    subject=lambda centred, sd: centred * sd,
    corrected=lambda centred, sd: centred / np.sqrt(sd**2 + EPS),
)
def _multiply(scaling) -> Evidence:
    batch = np.array([0.0, 4.0])
    mu, sd = batch.mean(), batch.std()
    times = scaling(batch - mu, sd)
    bn = (batch - mu) / np.sqrt(sd**2 + EPS)
    original = bool(np.allclose(times, bn, rtol=1e-3))
    corrected = bool(np.allclose(bn * np.sqrt(sd**2 + EPS), batch - mu, rtol=1e-12, atol=0))
    return refutable(
        original,
        corrected,
        "exact",
        f"batch [0, 4]: the stated scaling gives {np.round(times, 6).tolist()}, batch norm gives {np.round(bn, 6).tolist()}",
        "Counterexample: σ_B = 2, so (x − μ)·σ = ±4 but BN gives ±1. Corrected statement: BN multiplies the centred "
        "unit by the random factor 1/√(σ_B² + ε) (and subtracts the random μ_B); that batch-dependent factor is "
        f"the multiplicative noise (checked: {corrected}).",
        counterexample="x=[0,4]: (x-mu)*sigma=[-4,4], BN=[-1,1]",
        corrected_statement="BN multiplies by 1/sqrt(sigma_B^2+eps), a batch-dependent random factor",
    )


@claim(id="BATCHNORM.GAUSSIAN_LIKE", subject=lambda x: normalise(x, x.mean(), x.var(), EPS))
def _gaussian_like(batch_norm) -> Evidence:
    rng = np.random.default_rng(10)
    xb = rng.exponential(size=4096)
    xh = batch_norm(xb)
    # The statement is about batch norm: the map must standardise (mean 0, variance ≈ 1) and keep the order.
    if not (abs(float(xh.mean())) <= 1e-9 and abs(float(xh.var()) - 1) <= 1e-3
            and bool(np.all(np.diff(xh[np.argsort(xb)]) >= 0))):
        return not_checkable("the map judged is not a batch normalisation (mean 0, variance ≈ 1, order kept)")

    def skew(v):
        c = v - v.mean()
        return float((c**3).mean() / (c**2).mean() ** 1.5)

    s_in, s_out = skew(xb), skew(xh)
    original = abs(s_out) < 0.1  # a Gaussian has skewness 0
    corrected = abs(s_in - s_out) <= 1e-9 * max(1.0, abs(s_in)) and abs(xh.mean()) < 1e-12
    return refutable(
        original,
        corrected,
        "exact",
        f"exponential batch: skewness {s_in:.3f} before and {s_out:.3f} after batch norm (Gaussian: 0)",
        "Counterexample: 4096 exponential samples keep their skewness (≈ 2) after normalisation. Corrected "
        "statement: batch norm fixes the first two batch moments (mean 0, variance ≈ 1); the shape of the "
        f"distribution is unchanged because the map is affine (skewness preserved: {corrected}).",
        counterexample=f"exponential data: skewness {s_out:.3f} after BN",
        corrected_statement="BN standardises mean and variance only; skewness/kurtosis are invariant",
    )


@claim(id="BATCHNORM.TRAIN.BATCH_DEPENDENCE", subject=lambda b: normalise(b, b.mean(), b.var(), EPS))
def _dependence(bn) -> Evidence:
    x0 = 1.0
    b1 = np.array([x0, 0.0, 2.0, 5.0])
    b2 = np.array([x0, -3.0, 0.5, 1.5])
    # The map must be batch normalisation (each batch standardised: mean 0, variance ≈ 1) for the claim.
    standard = all(abs(float(bn(b).mean())) <= 1e-12 and abs(float(bn(b).var()) - 1) <= 1e-4
                   and bool(np.all(np.diff(bn(b)[np.argsort(b)]) > 0)) for b in (b1, b2))  # order kept
    out1, out2 = bn(b1)[0], bn(b2)[0]
    ok = standard and out1 != out2
    return checked(
        ok,
        "exact",
        f"the same x₀ = 1 normalises to {out1:.4f} and {out2:.4f} in two batches"
        + ("" if standard else " (but the map does not standardise a batch)"),
        "Exact computation in float64 on two hand-made batches.",
        {"difference": abs(out1 - out2)},
    )


@claim(id="BATCHNORM.SMALL_BATCH", subject=normalise)
def _small_batch(normaliser) -> Evidence:
    import torch

    xs, e, mu, var, xhat = _sym_batch(1, normaliser)
    zero = sym_equal(xhat[0], 0)
    try:
        torch.nn.BatchNorm1d(3).train()(torch.randn(1, 3, generator=torch.Generator().manual_seed(0)))
        refused = False
    except ValueError:
        refused = True
    ok = zero and refused
    return checked(
        ok,
        "symbolic",
        f"batch of one: x̂ = {sp.sstr(sp.simplify(xhat[0]))} symbolically; torch BatchNorm1d raises ValueError: {refused}",
        f"x̂ for m = 1 simplifies to {sp.simplify(xhat[0])}; torch refused: {refused}.",
        {},
    )


@claim(id="BATCHNORM.PRIMER.2D_EXAMPLE", subject=[sp.Integer(9), sp.Rational(1, 4)])
def _primer_2d(claimed) -> Evidence:
    s2 = sp.Rational(5)
    e = sp.Rational(1, 100000)
    var_hat = s2 / (s2 + e)
    gamma = [sp.Integer(3), sp.Rational(1, 2)]
    beta = [2, 2]
    got = [g**2 * var_hat for g in gamma]
    mean_ok = beta == [2, 2]
    rel = max(float(abs(g - c) / abs(c)) if c != 0 else float("inf") for g, c in zip(got, claimed, strict=False))
    # Stated bound: the example's round numbers are right to 1e-4 relative (the ε factor 5/(5+ε) is 2e-6 off).
    bound = 1e-4
    verdict = within_bound(rel == 0, {"rel": rel}, bound) if mean_ok else Verdict.FAILS
    return Evidence(
        verdict,
        "exact",
        f"centres {'exact' if mean_ok else 'wrong'}; variances 1, 9, 0.25 within relative error {rel:.1e} "
        f"({'within' if rel <= bound else 'beyond'} the bound {bound:g})",
        f"Exact rationals: normalised variance 5/(5+ε) = {var_hat}; scaled variances {got}.",
        {"rel_error": rel, "error_bound": bound, "region": "the Primer's example: σ² = 5, ε = 1e-5"},
    )


@claim(id="BATCHNORM.PRIMER.RELU_FRACTION", subject=sp.Rational(1, 2))
def _relu_half(negative_fraction) -> Evidence:
    from scipy.stats import norm

    z = sp.Symbol("z", real=True)
    half = sp.integrate(sp.exp(-(z**2) / 2) / sp.sqrt(2 * sp.pi), (z, -sp.oo, 0))
    sym_ok = sym_equal(half, negative_fraction)
    shifted = float(norm.cdf(2.0))
    skewed = 1 - float(np.exp(-1.0))  # exponential(1): x̂ = x − 1 < 0 ⇔ x < 1
    # "About half": within 0.01 of 1/2; the alternative reading (any data) is checked, not assumed.
    alternative_holds = abs(skewed - float(negative_fraction)) < 0.01
    return convention_evidence(
        sym_ok and shifted > 0.5,
        alternative_holds,
        "symbolic",
        f"Gaussian: {sp.sstr(half)} negative ({'=' if sym_ok else '≠'} the stated {sp.sstr(negative_fraction)}), "
        f"{shifted:.3f} positive after +2; skewed data: {skewed:.3f} negative",
        "∫_{-∞}^0 φ = 1/2 symbolically. For an exponential cloud the negative fraction after normalisation "
        "is 1 − e^{-1} ≈ 0.632, so 'half' needs symmetry.",
        alternative="skewed (exponential) data",
        negative_fraction_exponential=skewed,
    )


@claim(
    id="LAYERNORM.BATCH_INDEPENDENT",
    subject=lambda x: __import__('torch').nn.functional.layer_norm(x, (x.shape[-1],)),
)
def _ln_indep(layer_norm) -> Evidence:
    import torch

    rng = np.random.default_rng(12)
    xb = torch.tensor(rng.normal(size=(6, 5)))
    full = layer_norm(xb)
    rows = torch.cat([layer_norm(xb[i : i + 1]) for i in range(6)])
    other = layer_norm(torch.cat([xb[:1], xb[:1] * 7 + 3]))[0]
    standard = _rows_standardised(full, xb)
    ok = standard and bool(torch.equal(full, rows)) and bool(torch.equal(other, full[0]))
    return checked(
        ok,
        "exact",
        "row-by-row layer norm equals batched layer norm bit for bit" if ok
        else f"rows standardised: {standard}; row-by-row equals batched: {bool(torch.equal(full, rows))}",
        "6×5 random batch; also a different companion row leaves row 0 unchanged.",
        {},
    )


@claim(id="LAYERNORM.TRAIN_EVAL_SAME", subject=lambda module, x: module(x))
def _ln_same(apply) -> Evidence:
    import torch

    ln = torch.nn.LayerNorm(4, dtype=torch.float64)
    xb = torch.tensor(np.random.default_rng(13).normal(size=(3, 4)))
    with torch.no_grad():
        a = apply(ln.train(), xb)
        b = apply(ln.eval(), xb)
    has_buffers = len(list(ln.buffers())) > 0
    standard = _rows_standardised(a, xb)
    ok = standard and bool(torch.equal(a, b)) and not has_buffers
    return checked(
        ok,
        "exact",
        "train() and eval() outputs identical; no buffers" if ok
        else f"rows centred: {standard}; train = eval: {bool(torch.equal(a, b))}; buffers: {has_buffers}",
        f"nn.LayerNorm(4) buffers: {has_buffers}.",
        {},
    )


@claim(id="LAYERNORM.PER_SAMPLE_STATS", subject=normalise)
def _ln_stats(normaliser) -> Evidence:
    xs, e, mu, var, xhat = _sym_batch(4, normaliser)  # same algebra, over features
    point = {**dict(zip(xs, (0.3, 1.2, -0.7, 2.0), strict=True)), e: EPS}
    order_kept = np.all(np.diff(np.array([float(v.subs(point)) for v in xhat])[np.argsort([0.3, 1.2, -0.7, 2.0])]) > 0)
    ok = bool(order_kept) and sym_equal(sum(xhat), 0) and sym_equal(sum(v**2 for v in xhat) / 4, var / (var + e))
    deficit = _variance_deficit((1.0, 1e-2, 1e-3))
    return Evidence(
        within_bound(False, deficit, VARIANCE_BOUND) if ok else Verdict.FAILS,
        "symbolic",
        f"mean {'exactly 0' if ok else 'not 0'}; variance short of 1 by at most {max(deficit.values()):.2g} for "
        f"feature variance ≥ 100ε (bound {VARIANCE_BOUND})",
        "Symbolic over 4 features.",
        {"variance_error_sigma2_1": deficit[1.0], "variance_error_sigma2_1e-3": deficit[1e-3],
         "error_bound": VARIANCE_BOUND, "region": "feature variance σ² ≥ 100ε = 1e-3"},
    )


def _batchnorm_speed_claim(part: str, **entry) -> None:
    """A claim decided by one part of the batch-norm speed experiment."""
    from theory.claims.empirical import experiment_claim

    experiment_claim(claim, "batchnorm_speed", part=part, module=__name__, **entry)


_batchnorm_speed_claim("higher learning rates", id="BATCHNORM.HIGHER_LEARNING_RATES")
_batchnorm_speed_claim("faster training", id="BATCHNORM.FASTER_TRAINING")
