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

from regstats import (
    Design,
    binomial_detectable_delta,
    binomial_power,
    binomial_sample_size,
    binomial_test,
    budget,
    clopper_pearson_upper,
)

Size = Literal["small", "full"]

#: False-"holds" (and false-"opposite") probability of one experiment's decision. Split evenly
#: (Bonferroni) across the conditions of an experiment that decides under several conditions.
EXPERIMENT_ALPHA = 1e-3
#: Power at which the details state the smallest detectable shift of P(difference > 0) from 1/2.
REPORTED_POWER = 0.9

#: The three empirical decisions (plus "depends on <condition>: ..." for a tested difference between conditions).
SHOWN = "shown"
REFUTED = "refuted"
NOT_SHOWN = "not shown"
#: Equivalence margin for "refuted": a regularizer whose per-seed benefit probability q = P(difference > 0)
#: is, at confidence 1 - α, below 1/2 + this margin does not have the claimed effect to any useful degree
#: (it helps on at most 60% of seeds). With α = 1e-3 that bound needs about 300 untied seeds at q = 1/2.
EQUIVALENCE_MARGIN = 0.10
SMALL_SIZE_NOTE = (
    'size="small" is a smoke test of the machinery (few seeds, tiny nets, few steps); its decision is '
    'usually "not shown" (too few seeds to decide). Run size="full" for a decision.'
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
    #: Power of the decision's test at the observed effect, and the seeds at which that power would reach
    #: REPORTED_POWER (what would decide a "not shown"); nan where the decision is not a sign test.
    power_at_effect: float = math.nan
    seeds_to_decide: float = math.nan
    #: Separately decided questions of one experiment (e.g. "faster training", "higher learning rates"):
    #: {question: (decision, effect, interval, power at effect, seeds to decide)}.
    parts: dict[str, tuple[str, float, tuple[float, float], float, float]] = field(default_factory=dict)
    #: Data for the report layer's figures (the experiments draw nothing themselves): {figure name: data}.
    plots: dict[str, dict] = field(default_factory=dict)
    #: One-sided (1 − α) upper bound on q = P(paired difference > 0) of the primary sign test (nan otherwise).
    upper_rate: float = math.nan
    #: What the verdict covers where the claim is about images and the experiment ran on a real image data set
    #: (computed from the experiment's configuration; "" when there is none to state).
    scale_limit: str = ""
    #: For each decision (a part's name, or "" for the result's own) the part holding its condition on the real
    #: image data set, so a verdict can say what the real images showed beside the toy task.
    image_conditions: dict[str, str] = field(default_factory=dict)


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

    @property
    def untied(self) -> int:
        return self.positives + self.negatives

    @property
    def rate(self) -> float:
        """Observed q̂ = P(difference > 0) among untied seeds (nan without any)."""
        return self.positives / self.untied if self.untied else math.nan

    @property
    def upper_rate(self) -> float:
        """One-sided (1 - α) Clopper-Pearson upper bound on q = P(difference > 0)."""
        if not self.untied:
            return 1.0
        return clopper_pearson_upper(self.positives, self.untied, 1 - self.alpha)

    @property
    def power_at_effect(self) -> float:
        """Power of this sign test (same n, same α) if the true q were the observed q̂."""
        if not self.untied:
            return 0.0
        return binomial_power(self.untied, 0.5, self.rate, self.alpha)

    @property
    def seeds_to_decide(self) -> float:
        """Seeds (ties included at the observed tie rate) at which the observed q̂ would be detected with
        power REPORTED_POWER; inf when q̂ = 1/2 or every seed tied."""
        if not self.untied or self.rate == 0.5:
            return math.inf
        shift = min(abs(self.rate - 0.5), 0.5 - 1e-9)
        untied_needed = binomial_sample_size(0.5, Design(self.alpha, REPORTED_POWER, shift))
        return math.ceil(untied_needed * self.n_seeds / self.untied)

    def describe(self) -> str:
        untied = self.untied
        shift = binomial_detectable_delta(untied, 0.5, self.alpha, REPORTED_POWER) if untied else float("nan")
        return (
            f"{self.positives} of {untied} untied seeds in the claimed direction ({self.ties} ties dropped); "
            f"exact two-sided sign test p = {self.pvalue:.3g} (α = {self.alpha:.1e}); median difference "
            f"{self.median:.4g}, {100 * (1 - self.alpha):.6g}% CI [{self.ci[0]:.4g}, {self.ci[1]:.4g}]; "
            f"mean difference {self.mean:.4g}. With {untied} untied seeds the test detects "
            f"|P(difference > 0) - 1/2| ≥ {shift:.3g} with power {REPORTED_POWER}; its power at the observed "
            f"q̂ = {self.rate:.3g} is {self.power_at_effect:.3g} (power {REPORTED_POWER} would need about "
            f"{self.seeds_to_decide:g} seeds). Equivalence bound: q ≤ {self.upper_rate:.3g} at confidence "
            f"{1 - self.alpha:g} (refutes the claim when below 1/2 + {EQUIVALENCE_MARGIN})."
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
    budget.count_separate("ledger experiments", alpha, "paired sign tests of the empirical claims (theory/experiments)")
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


def equivalence_decision(refuted: bool, equivalent: bool) -> str:
    """The decision of a check with an equivalence margin: refuted when the data contradict the claim; shown only
    when they also pin the effect inside the margin ("nothing rejected" alone is no evidence: a wide interval
    rejects nothing); otherwise not shown."""
    if refuted:
        return REFUTED
    return SHOWN if equivalent else NOT_SHOWN


def decide(outcome: PairedOutcome) -> str:
    """shown: significant in the claimed direction; refuted: significant against it, or the equivalence
    bound puts q = P(difference > 0) below 1/2 + EQUIVALENCE_MARGIN; otherwise not shown.

    Not significant is never read as refuted: "not shown" comes with the power at the observed effect
    and the seeds that would decide (PairedOutcome.describe)."""
    if outcome.direction > 0:
        return SHOWN
    if outcome.direction < 0 or outcome.upper_rate < 0.5 + EQUIVALENCE_MARGIN:
        return REFUTED
    return NOT_SHOWN


def decide_conditions(outcomes: dict[str, PairedOutcome], differences: dict[str, np.ndarray], condition: str,
                      alpha: float) -> tuple[str, PairedOutcome | None]:
    """One decision over several conditions measured on the same seeds.

    The same decision everywhere is that decision. Different decisions are "depends on <condition>" only
    when a paired sign test (at `alpha`) of the per-seed effect between the best and the worst condition
    is significant; otherwise the claim is shown if any condition shows it (it holds somewhere, and no
    difference between the conditions was found) and not shown if none does. Returns (decision, the
    difference test or None)."""
    decisions = {label: decide(o) for label, o in outcomes.items()}
    distinct = set(decisions.values())
    if len(distinct) == 1:
        return distinct.pop(), None
    # Best and worst condition by the sign test's own effect, q̂ = P(difference > 0), then by the median.
    # (A condition whose seeds all tied has no evidence either way: it ranks as q̂ = 1/2.)
    ranked = sorted(outcomes, key=lambda label: (outcomes[label].rate if outcomes[label].untied else 0.5,
                                                 outcomes[label].median))
    worst, best = ranked[0], ranked[-1]
    between = paired_sign_test(np.asarray(differences[best]) - np.asarray(differences[worst]), alpha)
    if between.direction > 0:
        held = [label for label, d in decisions.items() if d == SHOWN] or [best]
        others = [label for label in decisions if label not in held]
        return (f"depends on {condition}: shown for {', '.join(held)}; not for {', '.join(others)} "
                f"(difference {best} − {worst}: sign test p = {between.pvalue:.3g})"), between
    return (SHOWN if SHOWN in distinct else NOT_SHOWN), between


def with_power(result: ExperimentResult, outcome: PairedOutcome) -> ExperimentResult:
    """Copy the primary test's power at the observed effect and the seeds that would decide into result."""
    result.power_at_effect = outcome.power_at_effect
    result.seeds_to_decide = outcome.seeds_to_decide
    result.upper_rate = outcome.upper_rate
    return result


def part(decision: str, outcome: PairedOutcome) -> tuple[str, float, tuple[float, float], float, float]:
    return (decision, outcome.median, outcome.ci, outcome.power_at_effect, outcome.seeds_to_decide)


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
