"""Data augmentation: mixup, cutout, and 'more data lowers variance'."""

from __future__ import annotations

import numpy as np
import sympy as sp

from theory.evidence import checked, convention_evidence, identity, not_checkable_claim
from theory.lectures import MODULE2, NOTES004, OVERVIEW, PRIMER, WEEK6
from theory.ledger import Evidence, Source, Verdict, topic_claim

claim = topic_claim("augmentation")
W6_MIX = Source(WEEK6, "Mixup")
N4_MIX = Source(NOTES004, "Mixup")
M2_AUG = Source(MODULE2, "Data augmentation")


@claim(
    id="MIXUP.CONVEX_COMBINATION",
    sources=[W6_MIX, N4_MIX, M2_AUG],
    statement="Mixup's x̃ = λx_i + (1-λ)x_j with λ ~ Beta(α, α) ∈ [0, 1] lies on the segment between the two "
    "inputs, and the mixed label ỹ = λy_i + (1-λ)y_j is again a distribution summing to 1; E[λ] = 1/2.",
    formal="Σỹ = λΣy_i + (1-λ)Σy_j = 1; min(x_i, x_j) ≤ x̃ ≤ max(x_i, x_j) elementwise",
    convention="labels one-hot or distributions; λ drawn from Beta(α, α) with an explicit numpy Generator",
    quotes=["\\tilde{x} = \\lambda x_i + (1-\\lambda) x_j", "blend images from two different classes", "image regions. Another idea, called **Mixup**, is the process of blending two"],
    subject=lambda lam, a, b: lam * a + (1 - lam) * b,
)
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


@claim(
    id="MIXUP.EXAMPLE_40_60",
    sources=[N4_MIX],
    statement="Blending 40% of a cat image with 60% of a dog image (λ = 0.4) gives the label [cat 0.4, dog 0.6].",
    formal="0.4·[1, 0] + 0.6·[0, 1] = [0.4, 0.6]",
    convention="λ weights the first image",
    quotes=["blend images from two different classes like $40\\\\%$ cat and $60\\\\%$ dog."],
    subject=sp.Matrix([sp.Rational(2, 5), sp.Rational(3, 5)]),
)
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


@claim(
    id="CUTOUT.ZERO_REGION",
    sources=[Source(NOTES004, "Cutout"), M2_AUG],
    statement="Cutout sets a rectangular image region to 0 and leaves every other pixel unchanged.",
    formal="out = x ⊙ (1 − 1_R)",
    convention="one square region per image, clipped at the border",
    quotes=["Sets random image regions to $0$.", "**Cutout** is a commonly used idea where we remove certain"],
    subject=lambda img, mask: img * mask,
)
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


@claim(
    id="AUGMENTATION.MORE_DATA_LOWER_VARIANCE",
    sources=[M2_AUG, Source(PRIMER, "4. Data Augmentation")],
    statement="More training data lowers the model's variance — true for genuinely new independent samples "
    "(least-squares prediction variance never increases when rows are added); exact duplicates, the extreme "
    "augmentation, leave the estimator and its variance unchanged.",
    formal="Var[x₀ᵀβ̂] = σ²x₀ᵀ(XᵀX)⁻¹x₀ is non-increasing when rows are appended",
    convention="new samples independent of the old ones (augmented copies are not)",
    quotes=["new training examples to our dataset**. More training data means lower model's", "happens because you don't have enough training data. Data augmentation artificially increases"],
    subject=lambda X, x0: float(x0 @ np.linalg.inv(X.T @ X) @ x0),
)
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


not_checkable_claim(
    claim,
    id="AUGMENTATION.LABEL_INVARIANCE",
    sources=[
        Source(PRIMER, "4. Data Augmentation"),
        Source(OVERVIEW, "4. Data Augmentation"),
        Source(WEEK6, "Image Augmentations"),
    ],
    statement="Rotations, flips, crops and colour changes keep the label and teach the model invariance.",
    quotes=["they still represent the same label (\"cat\"). This teaches the model invariance", "This forces the model to generalize better by learning from a more", "| Geometric | Rotation, flip, crop, scale |"],
    reason="a semantic claim about real images (e.g. a flipped '6' is a '9'); whether a transformation "
    "preserves the label depends on the task",
)
