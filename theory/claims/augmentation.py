"""Data augmentation: mixup, cutout, and 'more data lowers variance'."""

from __future__ import annotations

import numpy as np
import sympy as sp

from theory.evidence import by_convention, identity, not_checkable
from theory.lectures import MODULE2, NOTES004, OVERVIEW, PRIMER, WEEK6
from theory.ledger import Evidence, Source, Verdict, claim

TOPIC = "augmentation"
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
    topic=TOPIC,
)
def _mixup() -> Evidence:
    lam, al = sp.symbols("lambda alpha", positive=True)
    y1, y2 = sp.Matrix([1, 0, 0]), sp.Matrix([0, 0, 1])
    label_sum = identity(sum(lam * y1 + (1 - lam) * y2), 1, summary="", assumptions="")
    beta_mean = sp.simplify(al / (al + al))
    rng = np.random.default_rng(23)
    lams = rng.beta(0.4, 0.4, size=2000)
    xi, xj = rng.normal(size=(2000, 8)), rng.normal(size=(2000, 8))
    mixed = lams[:, None] * xi + (1 - lams[:, None]) * xj
    slack = 4 * np.finfo(np.float64).eps * np.maximum(np.abs(xi), np.abs(xj))
    inside = bool(np.all(mixed >= np.minimum(xi, xj) - slack) and np.all(mixed <= np.maximum(xi, xj) + slack))
    in_unit = bool(np.all((lams >= 0) & (lams <= 1)))
    ok = label_sum.verdict is Verdict.HOLDS and beta_mean == sp.Rational(1, 2) and inside and in_unit
    return Evidence(
        Verdict.HOLDS if ok else Verdict.FAILS,
        "symbolic",
        "mixed labels sum to 1 symbolically; 2000 mixed inputs lie between their endpoints; E[λ] = 1/2",
        f"Beta(α, α) mean α/(2α) = {beta_mean}. Segment check with slack 4·eps·max(|x_i|, |x_j|).",
        {},
    )


@claim(
    id="MIXUP.EXAMPLE_40_60",
    sources=[N4_MIX],
    statement="Blending 40% of a cat image with 60% of a dog image (λ = 0.4) gives the label [cat 0.4, dog 0.6].",
    formal="0.4·[1, 0] + 0.6·[0, 1] = [0.4, 0.6]",
    convention="λ weights the first image",
    topic=TOPIC,
)
def _mix_example() -> Evidence:
    lam = sp.Rational(2, 5)
    label = lam * sp.Matrix([1, 0]) + (1 - lam) * sp.Matrix([0, 1])
    return identity(
        label[0] + 10 * label[1],
        sp.Rational(2, 5) + 6,
        summary="label = [2/5, 3/5]",
        assumptions="exact rationals (both entries checked through one expression)",
    )


@claim(
    id="CUTOUT.ZERO_REGION",
    sources=[Source(NOTES004, "Cutout"), M2_AUG],
    statement="Cutout sets a rectangular image region to 0 and leaves every other pixel unchanged.",
    formal="out = x ⊙ (1 − 1_R)",
    convention="one square region per image, clipped at the border",
    topic=TOPIC,
)
def _cutout() -> Evidence:
    rng = np.random.default_rng(24)
    img = rng.uniform(0.1, 1, size=(3, 16, 16))
    cy, cx, half = 14, 3, 4
    mask = np.ones((16, 16))
    mask[max(cy - half, 0) : cy + half, max(cx - half, 0) : cx + half] = 0
    out = img * mask
    zero_ok = bool(np.all(out[:, mask == 0] == 0))
    rest_ok = bool(np.array_equal(out[:, mask == 1], img[:, mask == 1]))
    ok = zero_ok and rest_ok
    return Evidence(
        Verdict.HOLDS if ok else Verdict.FAILS,
        "exact",
        f"region zeroed ({int((mask == 0).sum())} pixels, clipped at the border); the rest unchanged bit for bit",
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
    topic=TOPIC,
)
def _more_data() -> Evidence:
    rng = np.random.default_rng(25)
    X = rng.normal(size=(12, 3))
    x0 = rng.normal(size=3)
    y = rng.normal(size=12)
    var_before = x0 @ np.linalg.inv(X.T @ X) @ x0
    extra = rng.normal(size=(5, 3))
    X2 = np.vstack([X, extra])
    var_after = x0 @ np.linalg.inv(X2.T @ X2) @ x0
    new_ok = var_after <= var_before * (1 + 1e-12)
    # Duplicating every row: identical estimator, so its true variance is unchanged.
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    beta_dup = np.linalg.lstsq(np.vstack([X, X]), np.concatenate([y, y]), rcond=None)[0]
    same_estimator = bool(np.allclose(beta, beta_dup, rtol=1e-10, atol=1e-12))
    return Evidence(
        by_convention(new_ok, not same_estimator),
        "exact",
        f"new rows: prediction variance {var_before:.4f} → {var_after:.4f}; duplicated data: same estimator",
        "Loewner order: adding rows adds a PSD term to XᵀX, so its inverse shrinks. Duplicating all rows "
        f"leaves β̂ unchanged ({same_estimator}): copies carry no new information.",
        {
            "alternative": "augmented copies (duplicates) instead of new samples",
            "alternative_holds": int(not same_estimator),
        },
    )


@claim(
    id="AUGMENTATION.LABEL_INVARIANCE",
    sources=[
        Source(PRIMER, "4. Data Augmentation"),
        Source(OVERVIEW, "4. Data Augmentation"),
        Source(WEEK6, "Image Augmentations"),
    ],
    statement="Rotations, flips, crops and colour changes keep the label and teach the model invariance.",
    formal="—",
    convention="—",
    topic=TOPIC,
)
def _invariance() -> Evidence:
    return not_checkable(
        "a semantic claim about real images (e.g. a flipped '6' is a '9'); whether a transformation "
        "preserves the label depends on the task"
    )
