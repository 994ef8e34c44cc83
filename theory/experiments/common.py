"""Shared machinery of the designed experiments: the result type, the paired sign test and its decision.

Every empirical experiment compares a baseline and a regularized arm on the SAME data and the SAME
initialization per seed (a paired design), so per-seed differences cancel the seed-to-seed spread.
The decision comes from an exact two-sided sign test (regstats.binomial_test, p0 = 1/2) on
the signs of the paired differences (exact ties dropped, as the sign test prescribes); its false
"holds" / "opposite" rate is at most α when the median difference is 0. The effect is the median
paired difference, with the distribution-free order-statistic confidence interval that inverts the
same sign test (confidence 1 - α).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
from scipy import stats as sps

from regstats import binomial_detectable_delta, binomial_test

Size = Literal["small", "full"]

#: False-"holds" (and false-"opposite") probability of one experiment's decision. Split evenly
#: (Bonferroni) across the conditions of an experiment that decides under several conditions.
EXPERIMENT_ALPHA = 1e-3
#: Power at which the details state the smallest detectable shift of P(difference > 0) from 1/2.
REPORTED_POWER = 0.9

HOLDS = "holds"
INCONCLUSIVE = "inconclusive at this size"
SMALL_SIZE_NOTE = (
    'size="small" is a smoke test of the machinery (few seeds, tiny nets, few steps); its decision may be '
    '"inconclusive at this size". Run size="full" for a decision.'
)


@dataclass
class ExperimentResult:
    """One experiment's outcome: the decision with the effect, its confidence interval and the test level."""

    claim: str
    decision: str
    effect: float
    ci: tuple[float, float]
    alpha: float
    n_seeds: int
    details: str
    figures: list[Path] = field(default_factory=list)
    name: str = ""
    size: str = "small"
    seconds: float = 0.0


@dataclass(frozen=True)
class PairedOutcome:
    """Sign test and median interval for paired differences (positive = in the claimed direction)."""

    n_seeds: int
    positives: int
    negatives: int
    ties: int
    pvalue: float
    reject: bool
    median: float
    ci: tuple[float, float]
    mean: float
    alpha: float

    @property
    def direction(self) -> int:
        """+1 significant in the claimed direction, -1 significant against it, 0 not significant."""
        if not self.reject:
            return 0
        return 1 if self.positives > self.negatives else -1

    def describe(self) -> str:
        untied = self.positives + self.negatives
        shift = binomial_detectable_delta(untied, 0.5, self.alpha, REPORTED_POWER) if untied else float("nan")
        return (
            f"{self.positives} of {untied} untied seeds in the claimed direction ({self.ties} ties dropped); "
            f"exact two-sided sign test p = {self.pvalue:.3g} (α = {self.alpha:.1e}); median difference "
            f"{self.median:.4g}, {100 * (1 - self.alpha):.1f}% CI [{self.ci[0]:.4g}, {self.ci[1]:.4g}]; "
            f"mean difference {self.mean:.4g}. With {untied} untied seeds the test detects "
            f"|P(difference > 0) - 1/2| ≥ {shift:.3g} with power {REPORTED_POWER}."
        )


def median_interval(differences: np.ndarray, alpha: float) -> tuple[float, float]:
    """Distribution-free (1 - alpha) interval for the median: order statistics d_(l), d_(n+1-l).

    l is the largest rank with P(Binomial(n, 1/2) ≤ l - 1) ≤ alpha/2; infinite when n is too small.
    """
    d = np.sort(np.asarray(differences, dtype=np.float64))
    n = d.size
    if n == 0:
        return (-math.inf, math.inf)
    ranks = [r for r in range(1, n // 2 + 1) if sps.binom.cdf(r - 1, n, 0.5) <= alpha / 2]
    if not ranks:
        return (-math.inf, math.inf)
    low_rank = max(ranks)
    return (float(d[low_rank - 1]), float(d[n - low_rank]))


def paired_sign_test(differences: np.ndarray, alpha: float) -> PairedOutcome:
    """Exact sign test of H0: median paired difference = 0; positive differences support the claim."""
    d = np.asarray(differences, dtype=np.float64).ravel()
    if not np.all(np.isfinite(d)):
        raise ValueError(f"paired_sign_test: differences must be finite, got {d[~np.isfinite(d)][:4]}")
    positives, negatives = int((d > 0).sum()), int((d < 0).sum())
    untied = positives + negatives
    if untied:
        decision = binomial_test(positives, untied, 0.5, alpha)
        pvalue, reject = decision.pvalue, decision.reject
    else:
        pvalue, reject = 1.0, False
    return PairedOutcome(
        n_seeds=d.size,
        positives=positives,
        negatives=negatives,
        ties=d.size - untied,
        pvalue=float(pvalue),
        reject=bool(reject),
        median=float(np.median(d)) if d.size else math.nan,
        ci=median_interval(d, alpha),
        mean=float(d.mean()) if d.size else math.nan,
        alpha=alpha,
    )


def decide(outcome: PairedOutcome, size: Size) -> str:
    """The decision a paired outcome supports; 'inconclusive at this size' only for the small smoke size."""
    if outcome.direction > 0:
        return HOLDS
    if outcome.direction < 0:
        return "does not hold on this task (significant effect in the opposite direction)"
    if size == "small":
        return INCONCLUSIVE
    return "does not hold on this task (no significant effect)"


def decide_conditions(outcomes: dict[str, PairedOutcome], size: Size, condition: str) -> str:
    """One decision over several conditions: 'depends on <condition>' when their decisions differ."""
    decisions = {label: decide(o, size) for label, o in outcomes.items()}
    distinct = set(decisions.values())
    if len(distinct) == 1:
        return distinct.pop()
    if INCONCLUSIVE in distinct and distinct <= {INCONCLUSIVE, HOLDS}:
        return INCONCLUSIVE
    held = [label for label, d in decisions.items() if d == HOLDS]
    failed = [label for label, d in decisions.items() if d != HOLDS]
    return f"depends on {condition}: holds for {', '.join(held) or 'none'}; not for {', '.join(failed)}"


def t_interval(sample: np.ndarray, alpha: float) -> tuple[float, float, float]:
    """(mean, low, high): Student-t (1 - alpha) interval for the mean of i.i.d. values (needs n ≥ 2)."""
    x = np.asarray(sample, dtype=np.float64).ravel()
    mean = float(x.mean())
    if x.size < 2:
        return mean, -math.inf, math.inf
    half = float(sps.t.isf(alpha / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return mean, mean - half, mean + half


def seed_list(first_seed: int, seeds: int, salt: int) -> list[int]:
    """Seed values for one experiment: `salt` keeps different experiments on different streams."""
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise ValueError(f"seeds must be an integer ≥ 1, got {seeds!r}")
    return [salt * 1_000_003 + first_seed + s for s in range(seeds)]


def check_size(size: str) -> None:
    if size not in ("small", "full"):
        raise ValueError(f"size must be 'small' or 'full', got {size!r}")


def table(header: list[str], rows: list[list[object]]) -> str:
    """A markdown table; floats with 4 significant digits."""

    def cell(value: object) -> str:
        return f"{value:.4g}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
