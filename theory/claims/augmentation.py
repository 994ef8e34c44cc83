"""Data augmentation: mixup, cutout, and 'more data lowers variance'."""

from __future__ import annotations

import numpy as np
import sympy as sp

from theory.evidence import checked, convention_evidence, identity
from theory.ledger import Evidence, Verdict, claim


@claim(id="MIXUP.CONVEX_COMBINATION", subject=lambda lam, a, b: lam * a + (1 - lam) * b)
def _mixup(mix) -> Evidence:
    lam, al = sp.symbols("lambda alpha", positive=True)
    y1, y2 = sp.Matrix([1, 0, 0]), sp.Matrix([0, 0, 1])
    mixed_label = mix(lam, y1, y2)
    label_sum = identity(sum(mixed_label), 1, summary="", assumptions="")
    # The mixed label is the convex combination entrywise (λ on the first class, 1 − λ on the last).
    entries_ok = all(sp.simplify(a - b) == 0 for a, b in zip(mixed_label, [lam, 0, 1 - lam], strict=True))
    beta_mean = sp.simplify(al / (al + al))
    rng = np.random.default_rng(23)
    lams = rng.beta(0.4, 0.4, size=2000)
    xi, xj = rng.normal(size=(2000, 8)), rng.normal(size=(2000, 8))
    mixed = mix(lams[:, None], xi, xj)
    slack = 4 * np.finfo(np.float64).eps * np.maximum(np.abs(xi), np.abs(xj))
    inside = bool(np.all(mixed >= np.minimum(xi, xj) - slack) and np.all(mixed <= np.maximum(xi, xj) + slack))
    in_unit = bool(np.all((lams >= 0) & (lams <= 1)))
    ok = label_sum.verdict is Verdict.HOLDS and entries_ok and beta_mean == sp.Rational(1, 2) and inside and in_unit
    return checked(
        ok,
        "symbolic",
        "mixed labels sum to 1 symbolically; 2000 mixed inputs lie between their endpoints; E[λ] = 1/2" if ok
        else f"the mix gives the label {[sp.sstr(v) for v in mixed_label]} or leaves the segment (inside: {inside})",
        f"Beta(α, α) mean α/(2α) = {beta_mean}. Segment check with slack 4·eps·max(|x_i|, |x_j|).",
        {},
    )


@claim(id="MIXUP.EXAMPLE_40_60", subject=sp.Matrix([sp.Rational(2, 5), sp.Rational(3, 5)]))
def _mix_example(stated_label) -> Evidence:
    lam = sp.Rational(2, 5)
    label = lam * sp.Matrix([1, 0]) + (1 - lam) * sp.Matrix([0, 1])
    # Both entries through one expression: label₀ + 10·label₁ (entries are in [0, 1], so this pins both).
    return identity(
        label[0] + 10 * label[1],
        stated_label[0] + 10 * stated_label[1],
        summary=f"label = {[sp.sstr(v) for v in stated_label]}",
        assumptions="exact rationals (both entries checked through one expression)",
    )


@claim(id="CUTOUT.ZERO_REGION", subject=lambda img, mask: img * mask)
def _cutout(apply_cutout) -> Evidence:
    rng = np.random.default_rng(24)
    img = rng.uniform(0.1, 1, size=(3, 16, 16))
    cy, cx, half = 14, 3, 4
    mask = np.ones((16, 16))
    mask[max(cy - half, 0) : cy + half, max(cx - half, 0) : cx + half] = 0
    out = apply_cutout(img, mask)
    zero_ok = bool(np.all(out[:, mask == 0] == 0))
    rest_ok = bool(np.array_equal(out[:, mask == 1], img[:, mask == 1]))
    ok = zero_ok and rest_ok
    return checked(
        ok,
        "exact",
        f"region zeroed ({int((mask == 0).sum())} pixels, clipped at the border); the rest unchanged bit for bit" if ok
        else f"cutout zeroes the region: {zero_ok}; leaves the rest unchanged: {rest_ok}",
        "Square of half-size 4 centred near the border, 3 channels.",
        {"zeroed_pixels": int((mask == 0).sum())},
    )


@claim(id="AUGMENTATION.MORE_DATA_LOWER_VARIANCE", subject=lambda X, x0: float(x0 @ np.linalg.inv(X.T @ X) @ x0))
def _more_data(prediction_variance) -> Evidence:
    rng = np.random.default_rng(25)
    X = rng.normal(size=(12, 3))
    x0 = rng.normal(size=3)
    y = rng.normal(size=12)
    var_before = prediction_variance(X, x0)
    # The stated variance must be least squares' (σ² = 1): checked against a Monte-Carlo-free identity, the
    # variance of x0·β̂ computed from the hat-matrix row: Σ_i (x0ᵀ(XᵀX)⁻¹x_i)².
    row = x0 @ np.linalg.inv(X.T @ X) @ X.T
    formula_ok = abs(var_before - float(row @ row)) <= 1e-10 * abs(float(row @ row))
    extra = rng.normal(size=(5, 3))
    X2 = np.vstack([X, extra])
    var_after = prediction_variance(X2, x0)
    new_ok = formula_ok and var_after <= var_before * (1 + 1e-12)
    # Duplicating every row: identical estimator, so its true variance is unchanged.
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    beta_dup = np.linalg.lstsq(np.vstack([X, X]), np.concatenate([y, y]), rcond=None)[0]
    same_estimator = bool(np.allclose(beta, beta_dup, rtol=1e-10, atol=1e-12))
    return convention_evidence(
        new_ok,
        not same_estimator,
        "exact",
        f"new rows: prediction variance {var_before:.4f} → {var_after:.4f}; duplicated data: same estimator"
        + ("" if formula_ok else " (the stated variance is not least squares')"),
        "Loewner order: adding rows adds a PSD term to XᵀX, so its inverse shrinks. Duplicating all rows "
        f"leaves β̂ unchanged ({same_estimator}): copies carry no new information.",
        alternative="augmented copies (duplicates) instead of new samples",
    )
