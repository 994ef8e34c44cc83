"""Batch normalization and layer normalization."""

from __future__ import annotations

import numpy as np
import sympy as sp

from theory.evidence import by_convention, not_checkable, sym_equal
from theory.lectures import MODULE2, NOTES004, OVERVIEW, PRIMER, WEEK6
from theory.ledger import Evidence, Source, Verdict, claim

TOPIC = "normalization"
P_NORM = Source(PRIMER, "The Normalization Step")
P_AFFINE = Source(PRIMER, "The Scale and Shift Step (Crucial)")
P_TVI = Source(PRIMER, "Training vs. Inference")
P_2D = Source(PRIMER, "3. Parameter Learning: A 2D Dataset Example")
P_BN5 = Source(PRIMER, "5. Batch Normalization")
P_MOT = Source(PRIMER, "1. Motivation: The Problem of Internal Covariate Shift")
W6_MECH = Source(WEEK6, "Mechanism")
W6_TVI = Source(WEEK6, "Training vs Inference")
W6_CODE = Source(WEEK6, "Code Implementation")
W6_BEN = Source(WEEK6, "Benefits")
W6_LN = Source(WEEK6, "6.5 Layer Normalization")
W6_LNCMP = Source(WEEK6, "Comparison")
M2_BN = Source(MODULE2, "Parameter sharing")  # the batch-norm paragraphs follow this heading
N4_BN = Source(NOTES004, "Batch Normalization")
EPS = 1e-5


def _sym_batch(m: int):
    xs = sp.symbols(f"x1:{m + 1}", real=True)
    e = sp.Symbol("epsilon", positive=True)
    mu = sum(xs) / m
    var = sum((xi - mu) ** 2 for xi in xs) / m
    xhat = [(xi - mu) / sp.sqrt(var + e) for xi in xs]
    return xs, e, mu, var, xhat


@claim(
    id="BATCHNORM.TRAIN.BATCH_STATS",
    sources=[P_NORM, W6_MECH, P_TVI, W6_TVI],
    statement="In training, normalising with the mini-batch mean and biased variance gives batch mean exactly 0 "
    "and batch variance σ²/(σ²+ε): 1 only up to the ε term.",
    formal="mean(x̂) = 0, var(x̂) = σ_B²/(σ_B² + ε)",
    convention="biased (1/m) batch variance inside the normalisation, as in both documents and PyTorch",
    topic=TOPIC,
    related=["BATCHNORM.EVAL.RUNNING_STATS"],
)
def _batch_stats() -> Evidence:
    import torch

    m = 4
    xs, e, mu, var, xhat = _sym_batch(m)
    mean_ok = sym_equal(sum(xhat) / m, 0)
    var_hat = sum(v**2 for v in xhat) / m
    var_ok = sym_equal(var_hat, var / (var + e))
    # PyTorch training-mode output equals the formula (biased variance).
    rng = np.random.default_rng(2)
    xb = rng.normal(3.0, 2.0, size=(16, 3))
    out = torch.nn.functional.batch_norm(torch.tensor(xb), None, None, training=True, eps=EPS).numpy()
    ref = (xb - xb.mean(0)) / np.sqrt(xb.var(0) + EPS)
    torch_err = float(np.abs(out - ref).max())
    tol = 64 * np.finfo(np.float64).eps * float(np.abs(ref).max())
    deficit = {s2: EPS / (s2 + EPS) for s2 in (1.0, 1e-2, 1e-4)}
    ok = mean_ok and var_ok and torch_err <= tol
    verdict = (Verdict.APPROXIMATE if max(deficit.values()) > 0 else Verdict.HOLDS) if ok else Verdict.FAILS
    return Evidence(
        verdict,
        "symbolic",
        f"mean exactly 0; variance σ²/(σ²+ε): short of 1 by {deficit[1.0]:.1e} at σ²=1, {deficit[1e-4]:.3f} at σ²=1e-4",
        f"Symbolic batch of m = {m}: mean(x̂) = 0 ({mean_ok}), var(x̂) = σ²/(σ²+ε) ({var_ok}). torch "
        f"F.batch_norm(training=True) matches the biased-variance formula within {torch_err:.2g} (tol {tol:.2g}). "
        f"Relative variance deficit ε/(σ²+ε) with ε = {EPS}: {deficit}.",
        {
            "variance_error_sigma2_1": deficit[1.0],
            "variance_error_sigma2_1e-2": deficit[1e-2],
            "variance_error_sigma2_1e-4": deficit[1e-4],
            "torch_max_abs_diff": torch_err,
        },
    )


def _week6_bn_step(x, running_mean, running_var, momentum=0.1):
    mean, var = x.mean(axis=0), x.var(axis=0)
    return (1 - momentum) * running_mean + momentum * mean, (1 - momentum) * running_var + momentum * var


@claim(
    id="BATCHNORM.RUNNING_VAR.ESTIMATOR",
    sources=[W6_CODE],
    statement="Week 6's BatchNorm updates running_var with the biased batch variance (x.var); PyTorch uses the "
    "unbiased one, so their batch contributions differ by exactly m/(m-1).",
    formal="torch: r ← (1-μ)r + μ·(m/(m-1))σ_B²; Week 6: r ← (1-μ)r + μ·σ_B²",
    convention="PyTorch: unbiased running_var, biased variance for normalising; Week 6: biased for both",
    topic=TOPIC,
    related=["BATCHNORM.EVAL.RUNNING_STATS"],
)
def _running_var() -> Evidence:
    import torch

    rng = np.random.default_rng(4)
    m = 8
    xb = rng.normal(size=(m, 3))
    rm, rv = np.zeros(3), np.ones(3)
    _, w6_rv = _week6_bn_step(xb, rm, rv)
    t_rm, t_rv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    torch.nn.functional.batch_norm(torch.tensor(xb), t_rm, t_rv, training=True, momentum=0.1, eps=EPS)
    ratio = (t_rv.numpy() - 0.9) / (w6_rv - 0.9)
    ratio_err = float(np.abs(ratio - m / (m - 1)).max())
    tol = 1e-12  # two subtractions of O(1) numbers: relative error ≲ 10·eps/0.1
    matches_after_factor = ratio_err <= tol
    same_without_factor = float(np.abs(t_rv.numpy() - w6_rv).max()) <= tol
    return Evidence(
        by_convention(matches_after_factor, same_without_factor),
        "exact",
        f"torch/Week 6 running-variance increments have ratio m/(m-1) = {m / (m - 1):.6f} (error {ratio_err:.2g})",
        f"One training step, m = {m}, momentum 0.1, running_var initialised to 1. Increment ratio {ratio.tolist()}. "
        "The convention matters only for the running (inference) statistics; normalisation in training uses the "
        "biased variance in both.",
        {
            "alternative": "Week 6 code's biased estimator equals PyTorch's running_var",
            "alternative_holds": int(same_without_factor),
            "ratio_error": ratio_err,
            "m": m,
        },
    )


@claim(
    id="BATCHNORM.EVAL.RUNNING_STATS",
    sources=[P_TVI, W6_TVI, W6_CODE],
    statement="At inference batch norm uses the running mean and variance, so each sample's output does not "
    "depend on the rest of the batch.",
    formal="eval: y = γ(x - r_μ)/√(r_σ² + ε) + β",
    convention="PyTorch eval() / Week 6 code's training=False branch",
    topic=TOPIC,
)
def _eval_stats() -> Evidence:
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
    ref = (xb.numpy() - rm) / np.sqrt(rv + bn.eps) * bn.weight.detach().numpy() + bn.bias.detach().numpy()
    err = float(np.abs(out - ref).max())
    indep = bool(np.array_equal(out[:1], single))
    tol = 16 * np.finfo(np.float64).eps * float(np.abs(ref).max())
    ok = err <= tol and indep
    return Evidence(
        Verdict.HOLDS if ok else Verdict.FAILS,
        "exact",
        f"eval output = running-stat formula (max diff {err:.2g}); sample 0 alone gives the same output",
        f"BatchNorm1d trained 3 steps then eval(); tolerance {tol:.2g}; batch independence {indep}.",
        {"max_abs_diff": err, "tolerance": tol},
    )


@claim(
    id="BATCHNORM.MOMENTUM.PYTORCH_CONVENTION",
    sources=[W6_CODE, W6_TVI],
    statement="Week 6's running average r ← (1-μ)r + μ·batch with μ = 0.1 is PyTorch's momentum convention "
    "(weight on the new batch); Keras' momentum=0.99 weights the old value instead.",
    formal="r_new = (1 - momentum)·r + momentum·batch_stat",
    convention="PyTorch momentum; Keras/TF use r_new = momentum·r + (1 - momentum)·batch_stat",
    topic=TOPIC,
)
def _momentum() -> Evidence:
    import torch

    rng = np.random.default_rng(8)
    xb = rng.normal(1.0, 1.0, size=(6, 2))
    w6_rm, _ = _week6_bn_step(xb, np.zeros(2), np.ones(2), momentum=0.1)
    t_rm, t_rv = torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)
    torch.nn.functional.batch_norm(torch.tensor(xb), t_rm, t_rv, training=True, momentum=0.1)
    same = float(np.abs(t_rm.numpy() - w6_rm).max()) <= 1e-15
    keras = 0.1 * np.zeros(2) + 0.9 * xb.mean(0)
    keras_same = float(np.abs(t_rm.numpy() - keras).max()) <= 1e-15
    return Evidence(
        by_convention(same, keras_same),
        "exact",
        "Week 6's running_mean update equals PyTorch's for momentum = 0.1",
        f"torch running_mean {t_rm.tolist()}, Week 6 {w6_rm.tolist()}, Keras reading {keras.tolist()}.",
        {"alternative": "Keras convention (momentum weights the old value)", "alternative_holds": int(keras_same)},
    )


@claim(
    id="BATCHNORM.AFFINE.UNDO",
    sources=[P_AFFINE],
    statement="Setting γ = √(σ_B² + ε) and β = μ_B makes the batch-norm layer the identity on that batch.",
    formal="√(σ²+ε)·(x - μ)/√(σ²+ε) + μ = x",
    convention="γ, β matched to the same batch statistics used for normalising",
    topic=TOPIC,
    related=["BATCHNORM.AFFINE.UNDO.PRIMER_NO_EPS"],
)
def _undo() -> Evidence:
    xs, e, mu, var, xhat = _sym_batch(3)
    ok = all(sym_equal(sp.sqrt(var + e) * xh + mu, xi) for xh, xi in zip(xhat, xs, strict=False))
    return Evidence(
        Verdict.HOLDS if ok else Verdict.FAILS,
        "symbolic",
        "γx̂ + β = x for γ = √(σ²+ε), β = μ",
        "Symbolic batch of 3 values, ε > 0.",
        {},
    )


@claim(
    id="BATCHNORM.AFFINE.UNDO.PRIMER_NO_EPS",
    sources=[P_AFFINE],
    statement="The Primer's γ = √σ², β = μ undoes the normalisation only approximately: the output is "
    "μ + (x - μ)·√(σ²/(σ²+ε)).",
    formal="relative error on (x - μ): 1 - √(σ²/(σ²+ε)) ≈ ε/(2σ²)",
    convention="ε > 0 inside the normalisation (as the Primer's own formula has)",
    topic=TOPIC,
    related=["BATCHNORM.AFFINE.UNDO"],
)
def _undo_primer() -> Evidence:
    xs, e, mu, var, xhat = _sym_batch(3)
    out = [sp.sqrt(var) * xh + mu for xh in xhat]
    exact = all(sym_equal(o, xi) for o, xi in zip(out, xs, strict=False))
    rel = {s2: 1 - np.sqrt(s2 / (s2 + EPS)) for s2 in (1.0, 1e-2, 1e-4, 1e-6)}
    verdict = Verdict.HOLDS if exact else Verdict.APPROXIMATE
    return Evidence(
        verdict,
        "symbolic",
        f"off by the factor √(σ²/(σ²+ε)): relative error {rel[1.0]:.1e} at σ²=1, {rel[1e-4]:.3f} at σ²=1e-4, "
        f"{rel[1e-6]:.2f} at σ²=1e-6",
        f"SymPy: √σ²·x̂ + μ − x does not simplify to 0 ({not exact}). Relative error of the centred value with "
        f"ε = {EPS}: {rel}. Exact with γ = √(σ²+ε) (BATCHNORM.AFFINE.UNDO).",
        {"rel_error_sigma2_1": rel[1.0], "rel_error_sigma2_1e-4": rel[1e-4], "rel_error_sigma2_1e-6": rel[1e-6]},
    )


@claim(
    id="BATCHNORM.MODULE2.FORMULA",
    sources=[M2_BN],
    statement="Module 2's normalisation step as printed, x̂_i = x_i - μ_B, without dividing by √(σ_B² + ε).",
    formal="x̂_i = x_i - μ_B ⇒ var(x̂) = σ_B² (not ≈ 1)",
    convention="as printed (the formula is garbled: the division is missing)",
    topic=TOPIC,
)
def _m2_formula() -> Evidence:
    batch = np.array([0.0, 10.0])
    as_printed = batch - batch.mean()
    var_printed = float(as_printed.var())
    original = abs(var_printed - 1) <= 1e-3
    xs, e, mu, var, xhat = _sym_batch(3)
    corrected = sym_equal(sum(v**2 for v in xhat) / 3, var / (var + e)) and sym_equal(sum(xhat), 0)
    return Evidence(
        Verdict.HOLDS if original else Verdict.FAILS,
        "exact",
        f"batch [0, 10]: printed formula gives variance {var_printed:g}, not ≈ 1",
        "Counterexample: x = [0, 10] → x̂ = [−5, 5], variance 25. Corrected statement: x̂_i = (x_i − μ_B)/√(σ_B² + ε), "
        f"whose batch mean is 0 and variance σ²/(σ²+ε) (checked symbolically: {corrected}).",
        {
            "counterexample": "x=[0,10]: x_hat=[-5,5], variance 25",
            "corrected_statement": "x_hat_i = (x_i - mu_B)/sqrt(sigma_B^2 + eps)",
            "corrected_holds": int(corrected),
        },
    )


@claim(
    id="BATCHNORM.MODULE2.MULTIPLY_BY_DEVIATION",
    sources=[M2_BN],
    statement="Module 2: batch norm multiplies each hidden unit by the deviation of the mini-batch (and "
    "subtracts its mean).",
    formal="BN(x) ∝ (x - μ)·σ_B ?",
    convention="ε → 0 for the counterexample",
    topic=TOPIC,
)
def _multiply() -> Evidence:
    batch = np.array([0.0, 4.0])
    mu, sd = batch.mean(), batch.std()
    times = (batch - mu) * sd
    bn = (batch - mu) / np.sqrt(sd**2 + EPS)
    original = bool(np.allclose(times, bn, rtol=1e-3))
    corrected = bool(np.allclose(bn * np.sqrt(sd**2 + EPS), batch - mu, rtol=1e-12, atol=0))
    return Evidence(
        Verdict.HOLDS if original else Verdict.FAILS,
        "exact",
        f"batch [0, 4]: multiplying by σ gives {times.tolist()}, batch norm gives {np.round(bn, 6).tolist()}",
        "Counterexample: σ_B = 2, so (x − μ)·σ = ±4 but BN gives ±1. Corrected statement: BN multiplies the centred "
        "unit by the random factor 1/√(σ_B² + ε) (and subtracts the random μ_B); that batch-dependent factor is "
        f"the multiplicative noise (checked: {corrected}).",
        {
            "counterexample": "x=[0,4]: (x-mu)*sigma=[-4,4], BN=[-1,1]",
            "corrected_statement": "BN multiplies by 1/sqrt(sigma_B^2+eps), a batch-dependent random factor",
            "corrected_holds": int(corrected),
        },
    )


@claim(
    id="BATCHNORM.GAUSSIAN_LIKE",
    sources=[M2_BN, P_AFFINE],
    statement="Module 2: batch norm concentrates features in a compact Gaussian-like space (the Primer: it would "
    "constrain inputs to a standard normal distribution).",
    formal="BN is an affine map per feature: it fixes mean and variance but leaves skewness and kurtosis unchanged",
    convention="training mode, per feature",
    topic=TOPIC,
)
def _gaussian_like() -> Evidence:
    rng = np.random.default_rng(10)
    xb = rng.exponential(size=4096)
    xh = (xb - xb.mean()) / np.sqrt(xb.var() + EPS)

    def skew(v):
        c = v - v.mean()
        return float((c**3).mean() / (c**2).mean() ** 1.5)

    s_in, s_out = skew(xb), skew(xh)
    original = abs(s_out) < 0.1  # a Gaussian has skewness 0
    corrected = abs(s_in - s_out) <= 1e-9 * max(1.0, abs(s_in)) and abs(xh.mean()) < 1e-12
    return Evidence(
        Verdict.HOLDS if original else Verdict.FAILS,
        "exact",
        f"exponential batch: skewness {s_in:.3f} before and {s_out:.3f} after batch norm (Gaussian: 0)",
        "Counterexample: 4096 exponential samples keep their skewness (≈ 2) after normalisation. Corrected "
        "statement: batch norm fixes the first two batch moments (mean 0, variance ≈ 1); the shape of the "
        f"distribution is unchanged because the map is affine (skewness preserved: {corrected}).",
        {
            "counterexample": f"exponential data: skewness {s_out:.3f} after BN",
            "corrected_statement": "BN standardises mean and variance only; skewness/kurtosis are invariant",
            "corrected_holds": int(corrected),
        },
    )


@claim(
    id="BATCHNORM.TRAIN.BATCH_DEPENDENCE",
    sources=[N4_BN, P_BN5, M2_BN],
    statement="In training mode a sample's batch-norm output depends on the other samples of its mini-batch, "
    "which is the source of the noise the documents describe.",
    formal="BN_train(x₀; {x₀, B₁}) ≠ BN_train(x₀; {x₀, B₂}) in general",
    convention="training mode",
    topic=TOPIC,
)
def _dependence() -> Evidence:
    x0 = 1.0
    b1 = np.array([x0, 0.0, 2.0, 5.0])
    b2 = np.array([x0, -3.0, 0.5, 1.5])

    def bn(b):
        return (b - b.mean()) / np.sqrt(b.var() + EPS)

    out1, out2 = bn(b1)[0], bn(b2)[0]
    ok = out1 != out2
    return Evidence(
        Verdict.HOLDS if ok else Verdict.FAILS,
        "exact",
        f"the same x₀ = 1 normalises to {out1:.4f} and {out2:.4f} in two batches",
        "Exact computation in float64 on two hand-made batches.",
        {"difference": abs(out1 - out2)},
    )


@claim(
    id="BATCHNORM.SMALL_BATCH",
    sources=[W6_LN, W6_LNCMP],
    statement="Batch norm depends on the batch size and degenerates for tiny batches: with one sample per "
    "batch every normalised output is 0 (PyTorch refuses such a batch in training).",
    formal="m = 1 ⇒ x - μ_B = 0 ⇒ x̂ = 0",
    convention="training mode",
    topic=TOPIC,
)
def _small_batch() -> Evidence:
    import torch

    xs, e, mu, var, xhat = _sym_batch(1)
    zero = sym_equal(xhat[0], 0)
    try:
        torch.nn.BatchNorm1d(3).train()(torch.randn(1, 3, generator=torch.Generator().manual_seed(0)))
        refused = False
    except ValueError:
        refused = True
    ok = zero and refused
    return Evidence(
        Verdict.HOLDS if ok else Verdict.FAILS,
        "symbolic",
        "batch of one: x̂ = 0 symbolically; torch BatchNorm1d raises ValueError",
        f"x̂ for m = 1 simplifies to {sp.simplify(xhat[0])}; torch refused: {refused}.",
        {},
    )


@claim(
    id="BATCHNORM.PRIMER.2D_EXAMPLE",
    sources=[P_2D],
    statement="The Primer's 2-D example: a cloud centred at (10, 10) with variance 5 normalises to centre (0, 0) "
    "and variance 1; β = (2, 2) moves the centre to (2, 2); γ = (3, 0.5) makes the variances 9 and 0.25.",
    formal="mean(γx̂ + β) = β, var(γx̂ + β) = γ²·σ²/(σ²+ε)",
    convention="ε = 1e-5 as in PyTorch; the example itself ignores ε",
    topic=TOPIC,
)
def _primer_2d() -> Evidence:
    s2 = sp.Rational(5)
    e = sp.Rational(1, 100000)
    var_hat = s2 / (s2 + e)
    gamma = [sp.Integer(3), sp.Rational(1, 2)]
    beta = [2, 2]
    claimed = [9, sp.Rational(1, 4)]
    got = [g**2 * var_hat for g in gamma]
    mean_ok = beta == [2, 2]
    rel = max(float(abs(g - c) / c) for g, c in zip(got, claimed, strict=False))
    verdict = Verdict.HOLDS if rel == 0 and mean_ok else (Verdict.APPROXIMATE if mean_ok else Verdict.FAILS)
    return Evidence(
        verdict,
        "exact",
        f"centres exact; variances 1, 9, 0.25 hold up to the ε factor (relative error {rel:.1e})",
        f"Exact rationals: normalised variance 5/(5+ε) = {var_hat}; scaled variances {got}.",
        {"rel_error": rel},
    )


@claim(
    id="BATCHNORM.PRIMER.RELU_FRACTION",
    sources=[P_2D],
    statement="After normalisation about half of the data is negative (killed by a ReLU); after shifting by "
    "β = 2 most of it is positive.",
    formal="symmetric x̂: P(x̂ < 0) = 1/2; Gaussian: P(x̂ + 2 > 0) = Φ(2) ≈ 0.977",
    convention="a symmetric (e.g. Gaussian) cloud, as the example's 'sphere' suggests",
    topic=TOPIC,
)
def _relu_half() -> Evidence:
    from scipy.stats import norm

    z = sp.Symbol("z", real=True)
    half = sp.integrate(sp.exp(-(z**2) / 2) / sp.sqrt(2 * sp.pi), (z, -sp.oo, 0))
    sym_ok = sym_equal(half, sp.Rational(1, 2))
    shifted = float(norm.cdf(2.0))
    skewed = 1 - float(np.exp(-1.0))  # exponential(1): x̂ = x − 1 < 0 ⇔ x < 1
    return Evidence(
        by_convention(sym_ok and shifted > 0.5, abs(skewed - 0.5) < 0.01),
        "symbolic",
        f"Gaussian: exactly 1/2 negative, {shifted:.3f} positive after +2; skewed data: {skewed:.3f} negative",
        "∫_{-∞}^0 φ = 1/2 symbolically. For an exponential cloud the negative fraction after normalisation "
        "is 1 − e^{-1} ≈ 0.632, so 'half' needs symmetry.",
        {"alternative": "skewed (exponential) data", "alternative_holds": 0, "negative_fraction_exponential": skewed},
    )


@claim(
    id="LAYERNORM.BATCH_INDEPENDENT",
    sources=[W6_LN, W6_LNCMP],
    statement="Layer norm normalises each sample over its features, so a sample's output does not depend on "
    "the batch it is in.",
    formal="LN(X)[i] = LN(X[i:i+1])",
    convention="normalised over the last dimension (PyTorch F.layer_norm)",
    topic=TOPIC,
)
def _ln_indep() -> Evidence:
    import torch

    rng = np.random.default_rng(12)
    xb = torch.tensor(rng.normal(size=(6, 5)))
    full = torch.nn.functional.layer_norm(xb, (5,))
    rows = torch.cat([torch.nn.functional.layer_norm(xb[i : i + 1], (5,)) for i in range(6)])
    other = torch.nn.functional.layer_norm(torch.cat([xb[:1], xb[:1] * 7 + 3]), (5,))[0]
    ok = bool(torch.equal(full, rows)) and bool(torch.equal(other, full[0]))
    return Evidence(
        Verdict.HOLDS if ok else Verdict.FAILS,
        "exact",
        "row-by-row layer norm equals batched layer norm bit for bit",
        "6×5 random batch; also a different companion row leaves row 0 unchanged.",
        {},
    )


@claim(
    id="LAYERNORM.TRAIN_EVAL_SAME",
    sources=[W6_LNCMP],
    statement="Layer norm computes the same thing in training and at inference (no running statistics).",
    formal="LN_train = LN_eval",
    convention="PyTorch nn.LayerNorm",
    topic=TOPIC,
)
def _ln_same() -> Evidence:
    import torch

    ln = torch.nn.LayerNorm(4, dtype=torch.float64)
    xb = torch.tensor(np.random.default_rng(13).normal(size=(3, 4)))
    with torch.no_grad():
        a = ln.train()(xb)
        b = ln.eval()(xb)
    has_buffers = len(list(ln.buffers())) > 0
    ok = bool(torch.equal(a, b)) and not has_buffers
    return Evidence(
        Verdict.HOLDS if ok else Verdict.FAILS,
        "exact",
        "train() and eval() outputs identical; no buffers",
        f"nn.LayerNorm(4) buffers: {has_buffers}.",
        {},
    )


@claim(
    id="LAYERNORM.PER_SAMPLE_STATS",
    sources=[W6_LN],
    statement="Each layer-normalised sample has feature mean 0 and feature variance σ²/(σ²+ε), i.e. 1 up to ε.",
    formal="mean_f(x̂) = 0, var_f(x̂) = σ²/(σ²+ε)",
    convention="biased variance over features, as PyTorch",
    topic=TOPIC,
)
def _ln_stats() -> Evidence:
    xs, e, mu, var, xhat = _sym_batch(4)  # same algebra, over features
    ok = sym_equal(sum(xhat), 0) and sym_equal(sum(v**2 for v in xhat) / 4, var / (var + e))
    err = EPS / (1.0 + EPS)
    return Evidence(
        Verdict.APPROXIMATE if ok else Verdict.FAILS,
        "symbolic",
        f"mean exactly 0; variance short of 1 by ε/(σ²+ε) = {err:.1e} at σ² = 1",
        "Symbolic over 4 features.",
        {"variance_error_sigma2_1": err},
    )


def _nc(reason: str) -> Evidence:
    return not_checkable(reason)


@claim(
    id="BATCHNORM.HIGHER_LEARNING_RATES",
    sources=[P_MOT, W6_BEN, Source(OVERVIEW, "5. Batch Normalization")],
    statement="Batch norm allows higher learning rates and faster training.",
    formal="—",
    convention="—",
    topic=TOPIC,
)
def _bn_lr() -> Evidence:
    from theory.claims.empirical import experiment_evidence

    return experiment_evidence("batchnorm_speed")


@claim(
    id="BATCHNORM.REGULARIZING_NOISE",
    sources=[P_MOT, P_BN5, Source(OVERVIEW, "5. Batch Normalization"), W6_BEN, M2_BN, N4_BN],
    statement="The mini-batch noise of batch norm acts as a (mild) regularizer, like dropout.",
    formal="—",
    convention="—",
    topic=TOPIC,
    related=["BATCHNORM.TRAIN.BATCH_DEPENDENCE"],
)
def _bn_reg() -> Evidence:
    return _nc(
        "an empirical generalisation claim; the checkable part (outputs depend on the batch) is "
        "BATCHNORM.TRAIN.BATCH_DEPENDENCE"
    )


@claim(
    id="BATCHNORM.INTERNAL_COVARIATE_SHIFT",
    sources=[P_MOT, Source(WEEK6, "Motivation"), Source(OVERVIEW, "5. Batch Normalization")],
    statement="Batch norm works by reducing internal covariate shift.",
    formal="—",
    convention="—",
    topic=TOPIC,
)
def _bn_ics() -> Evidence:
    return _nc(
        "a contested explanatory hypothesis (Santurkar et al. 2018 argue against it), not a computable statement"
    )


@claim(
    id="BATCHNORM.INIT_INSENSITIVE",
    sources=[P_MOT, W6_BEN],
    statement="Batch norm makes training much less sensitive to weight initialisation.",
    formal="—",
    convention="—",
    topic=TOPIC,
)
def _bn_init() -> Evidence:
    return _nc(
        "an empirical claim about training deep networks (scale invariance of BN to the preceding weights "
        "is exact, but 'less sensitive training' is empirical)"
    )


@claim(
    id="BATCHNORM.PREFERRED_OVER_DROPOUT",
    sources=[M2_BN, N4_BN],
    statement="Batch norm is often preferred over dropout; ResNet-era models often use only L2 and batch norm.",
    formal="—",
    convention="—",
    topic=TOPIC,
)
def _bn_pref() -> Evidence:
    return _nc("a statement about practice and empirical results, not a mathematical claim")
