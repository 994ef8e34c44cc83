"""Statistical toolkit: exact or distribution-free tests with their sample-size design.

Every random property in the suite decides with one of these tests. Each test comes with
three functions that are the same mathematics read in three directions:

- the decision (reject or not) at a false-failure probability ``alpha``;
- the power against a stated deviation ``delta`` at a given sample size;
- the smallest sample size that reaches a stated power against ``delta``
  (and the smallest ``delta`` a given sample size detects).

The suite's false-failure budget is split across checks by :func:`alpha_per_check`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special
from scipy import stats as sps

#: Probability that one full run of the default suite fails although every target is correct.
SUITE_FALSE_FAILURE_BUDGET = 1e-6
#: Random checks (Hypothesis examples × random assertions) the largest per-change-profile run makes, as the
#: plugin counts them: CI's serial CPU run, `CI=true python -m pytest --full`, with every built-in target, keras
#: and kornia (2026-12-02 01:00 UTC, 10 examples per cell: 1,622; the per-change run without --full: 1,124).
#: `regverify bench` reports the count of each run beside the allocation.
COUNTED_RANDOM_CHECKS = 1_622
#: Head-room over the count for checks added since it was taken. The plugin fails a run that makes more
#: checks than the allocation (multiplied per profile and per device, see plugin.py), so the union bound
#: over the checks made stays within the budget: a guarantee, not a hope.
ALLOCATION_MARGIN = 1.5
RANDOM_CHECK_ALLOCATION = math.ceil(ALLOCATION_MARGIN * COUNTED_RANDOM_CHECKS)


def alpha_per_check(examples_multiplier: float = 1.0) -> float:
    """False-failure probability of one random check: the suite budget split evenly (Bonferroni)."""
    return SUITE_FALSE_FAILURE_BUDGET / (RANDOM_CHECK_ALLOCATION * examples_multiplier)


@dataclass(frozen=True)
class Design:
    """A test's design: false-failure probability, power, and the deviation detected with that power."""

    alpha: float
    power: float
    delta: float

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha < 1.0:
            raise ValueError(f"Design: alpha must be in (0, 1), got {self.alpha!r}")
        if not 0.0 < self.power < 1.0:
            raise ValueError(f"Design: power must be in (0, 1), got {self.power!r}")
        if not self.delta > 0.0:
            raise ValueError(f"Design: delta must be > 0, got {self.delta!r}")

    def describe(self, n: int | None = None) -> str:
        size = f"n={n}, " if n is not None else ""
        return f"{size}α={self.alpha:.1e}, detects |Δ| ≥ {self.delta:g} with power {self.power:g}"


@dataclass(frozen=True)
class Decision:
    """Outcome of one test: the statistic, its p-value (or bound) and whether H0 is rejected."""

    statistic: float
    pvalue: float
    reject: bool
    method: str


def _check_fraction(name: str, value: float, *, closed: bool) -> None:
    low_ok = value >= 0.0 if closed else value > 0.0
    high_ok = value <= 1.0 if closed else value < 1.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    if not (low_ok and high_ok):
        bounds = "[0, 1]" if closed else "(0, 1)"
        raise ValueError(f"{name} must be in {bounds}, got {value!r}")


def smallest_powerful_n(powerful: Callable[[int], bool], *, start: int, low: int, grow: float = 2.0) -> int:
    """The n every sample-size function returns: grow `start` until powerful(n), then bisect down to
    `low`. Exact powers are saw-tooth in n, so this is a smallest n within one tooth (see
    binomial_minimum_sample_size for the scan that removes that slack)."""
    high = start
    while not powerful(high):
        low, high = high + 1, math.ceil(high * grow)
    while low < high:
        mid = (low + high) // 2
        if powerful(mid):
            high = mid
        else:
            low = mid + 1
    return high


# ---------------------------------------------------------------- binomial (exact, equal-tailed)


def _binom_cdf(k: int, n: int, p: float) -> float:
    """P(X ≤ k) for X ~ Binomial(n, p). scipy.special.bdtr is the same function as sps.binom.cdf at
    1/30 of the call cost, which matters inside the bisections below; it is nan outside 0 ≤ k < n."""
    if k < 0:
        return 0.0
    return 1.0 if k >= n else float(special.bdtr(k, n, p))


def _binom_sf(k: int, n: int, p: float) -> float:
    """P(X > k) for X ~ Binomial(n, p)."""
    if k < 0:
        return 1.0
    return 0.0 if k >= n else float(special.bdtrc(k, n, p))


@functools.lru_cache(maxsize=65536)
def binomial_critical_values(n: int, p0: float, alpha: float) -> tuple[int, int]:
    """Return (k_low, k_high): the exact equal-tailed test rejects when k <= k_low or k >= k_high.

    Each tail has probability at most alpha/2 under Binomial(n, p0), so the level is at most alpha
    exactly, not asymptotically. k_low = -1 or k_high = n + 1 mean that tail cannot reject.
    """
    _check_fraction("p0", p0, closed=True)
    if p0 == 0.0:
        return -1, 1
    if p0 == 1.0:
        return n - 1, n + 1
    k_low = int(sps.binom.ppf(alpha / 2, n, p0))
    if _binom_cdf(k_low, n, p0) > alpha / 2:
        k_low -= 1
    k_high = int(sps.binom.isf(alpha / 2, n, p0)) + 1
    if _binom_sf(k_high - 2, n, p0) <= alpha / 2:
        k_high -= 1
    return k_low, k_high


def binomial_test(k: int, n: int, p0: float, alpha: float) -> Decision:
    """Exact two-sided test of H0: k ~ Binomial(n, p0), equal-tailed p-value 2·min(P(X≤k), P(X≥k))."""
    if p0 in (0.0, 1.0):
        expected = round(n * p0)
        pvalue = 1.0 if k == expected else 0.0
    else:
        pvalue = min(1.0, 2.0 * min(_binom_cdf(k, n, p0), _binom_sf(k - 1, n, p0)))
    return Decision(float(k), float(pvalue), bool(pvalue <= alpha), "exact equal-tailed binomial test")


def binomial_power(n: int, p0: float, p1: float, alpha: float) -> float:
    """Exact probability that the binomial test at level alpha rejects when the true rate is p1."""
    k_low, k_high = binomial_critical_values(n, p0, alpha)
    return _binom_cdf(k_low, n, p1) + _binom_sf(k_high - 1, n, p1)


def _alternatives(p0: float, delta: float) -> list[float]:
    return [p for p in (p0 - delta, p0 + delta) if 0.0 <= p <= 1.0]


@functools.lru_cache(maxsize=4096)
def binomial_sample_size(p0: float, design: Design) -> int:
    """Smallest n whose exact test reaches design.power against every rate p0 ± delta in [0, 1].

    Starts from the normal approximation and refines by bisection on the exact power (the exact
    power is a saw-tooth in n; bisection finds a point where it is reached, within one tooth).
    """
    _check_fraction("p0", p0, closed=True)
    alternatives = _alternatives(p0, design.delta)
    if not alternatives:
        raise ValueError(f"binomial_sample_size: delta={design.delta} leaves no alternative in [0, 1]")
    if p0 in (0.0, 1.0):
        # A single event off the degenerate value rejects; need P(no event | p1) <= beta.
        worst = min(abs(p - p0) for p in alternatives)
        if worst >= 1.0:  # the alternative is the other certainty: one draw tells them apart
            return 1
        return max(1, math.ceil(math.log(1 - design.power) / math.log(1 - worst)))

    def powerful(n: int) -> bool:
        return all(binomial_power(n, p0, p1, design.alpha) >= design.power for p1 in alternatives)

    z = sps.norm.isf(design.alpha / 2) + sps.norm.isf(1 - design.power)
    spread = max(math.sqrt(p0 * (1 - p0)), math.sqrt(max(p * (1 - p) for p in alternatives)))
    return smallest_powerful_n(powerful, start=max(8, math.ceil(2 * (z * spread / design.delta) ** 2)), low=1)


@functools.lru_cache(maxsize=4096)
def binomial_minimum_sample_size(p0: float, design: Design) -> int:
    """The smallest n at which the exact test reaches the power, found by scanning down from the
    bisection's answer (the power is a saw-tooth in n, so bisection may stop one tooth high)."""
    n = binomial_sample_size(p0, design)
    alternatives = _alternatives(p0, design.delta)
    best = n
    for candidate in range(n - 1, max(0, int(0.9 * n)), -max(1, n // 2000)):
        if all(binomial_power(candidate, p0, p1, design.alpha) >= design.power for p1 in alternatives):
            best = candidate
    return best


def binomial_detectable_delta(n: int, p0: float, alpha: float, power: float) -> float:
    """Smallest |p1 - p0| the exact test at (n, alpha) detects with the given power (bisection)."""
    low, high = 0.0, max(p0, 1 - p0)
    for _ in range(60):
        mid = (low + high) / 2
        if all(binomial_power(n, p0, p1, alpha) >= power for p1 in _alternatives(p0, mid)):
            high = mid
        else:
            low = mid
    return high


def clopper_pearson_upper(failures: int, trials: int, confidence: float) -> float:
    """One-sided Clopper-Pearson upper confidence bound on a rate after `failures` in `trials`."""
    if failures >= trials:
        return 1.0
    return float(sps.beta.ppf(confidence, failures + 1, trials - failures))


# ---------------------------------------------------------------- variance (chi-square, normal data)


def variance_test(sample: np.ndarray, sigma2: float, alpha: float) -> Decision:
    """Two-sided equal-tailed χ² test of H0: Var = sigma2 for an i.i.d. normal sample."""
    sample = np.asarray(sample, dtype=np.float64).ravel()
    dof = sample.size - 1
    statistic = dof * sample.var(ddof=1) / sigma2
    pvalue = min(1.0, 2.0 * min(sps.chi2.cdf(statistic, dof), sps.chi2.sf(statistic, dof)))
    return Decision(float(statistic), float(pvalue), bool(pvalue <= alpha), "χ² variance test")


def variance_power(n: int, ratio: float, alpha: float) -> float:
    """Probability the χ² test rejects when the true variance is ratio × the null variance."""
    dof = n - 1
    low, high = sps.chi2.ppf(alpha / 2, dof), sps.chi2.isf(alpha / 2, dof)
    return float(sps.chi2.cdf(low / ratio, dof) + sps.chi2.sf(high / ratio, dof))


@functools.lru_cache(maxsize=1024)
def variance_sample_size(design: Design) -> int:
    """Smallest n with power ≥ design.power against variance ratios 1 + delta and 1/(1 + delta)."""
    ratios = (1 + design.delta, 1 / (1 + design.delta))

    def powerful(n: int) -> bool:
        return all(variance_power(n, r, design.alpha) >= design.power for r in ratios)

    return smallest_powerful_n(powerful, start=8, low=2)


# ---------------------------------------------------------------- distributions (exact Kolmogorov-Smirnov)


@functools.lru_cache(maxsize=4096)
def ks_critical_value(n: int, alpha: float) -> float:
    """A critical value c with 2·P(D_n⁺ ≥ c) ≤ alpha, within 1e-9 (relative, in level) of alpha, so that
    P(D_n > c) ≤ alpha exactly.

    D_n = max(D_n⁺, D_n⁻) and both one-sided statistics have the law scipy.special.smirnov computes
    exactly, so P(D_n ≥ c) ≤ 2·smirnov(n, c): the union bound, which is equality up to the chance that
    both sides exceed c (≈ alpha², nothing at the suite's α). scipy.stats.kstwo.isf answers up to
    2.5e-4 (relative, in level) too low at α = 1e-10, a level above α; it is only the starting point of
    Newton steps on log(2·smirnov(n, c)), which take a few smirnov calls (smirnovi takes seconds at
    n ~ 10⁵). For a null with atoms D_n is stochastically smaller, so the level is at most alpha there too.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"ks_critical_value: n must be an integer ≥ 1, got {n!r}")
    _check_fraction("alpha", alpha, closed=False)
    n = int(n)
    target = math.log(alpha) - 5e-10  # aim just inside α: accept a level in [α(1 - 1e-9), α]
    c = float(sps.kstwo.isf(alpha, n))
    for _ in range(60):  # Newton steps with the tail's slope, d/dc log P(D⁺ ≥ c) ≈ -4nc
        level = 2.0 * float(special.smirnov(n, c))
        if level <= 0.0:
            break
        gap = math.log(level) - target
        if abs(gap) <= 5e-10 and level <= alpha:
            return c
        c = min(1.0, c + gap / (4 * n * c))
    c = float(special.smirnovi(n, alpha / 2))  # the slow, sure way
    while 2.0 * float(special.smirnov(n, c)) > alpha:
        c = float(np.nextafter(c, 2.0))
    return c


def ks_level(n: int, alpha: float) -> float:
    """An upper bound on the KS test's level at (n, alpha): 2·P(D_n⁺ ≥ c), exact law of D_n⁺."""
    return 2.0 * float(special.smirnov(int(n), ks_critical_value(n, alpha)))


def ks_power_lower_bound(n: int, design: Design, *, spacing: float | None = None) -> float:
    """A lower bound on the KS test's power against every law G at sup-distance ≥ delta from F0.

    At a point t with |G(t) - F0(t)| ≥ delta, D_n ≥ |F_n(t) - F0(t)| and n·F_n(t) ~ Binomial(n, G(t)),
    so the power is at least P(|X/n - q0| > c) for X ~ Binomial(n, q0 ± delta), minimised over q0 = F0(t)
    on a grid of spacing 1/(4n) by default (the rejection counts change in steps of 1/n in q0).
    """
    c = ks_critical_value(n, design.alpha)
    points = round(1 / spacing) if spacing else 4 * n
    q0 = np.arange(0, points + 1) / points
    below = np.ceil(n * (q0 - c)) - 1  # reject when X ≤ below ...
    above = np.floor(n * (q0 + c))  # ... or when X > above
    worst = 1.0
    for q1 in (q0 - design.delta, q0 + design.delta):
        inside = (q1 >= 0) & (q1 <= 1)
        q, low, high = q1[inside], below[inside], above[inside]
        lower_tail = np.where(low < 0, 0.0, special.bdtr(np.clip(low, 0, n), n, q))
        upper_tail = np.where(high >= n, 0.0, special.bdtrc(np.clip(high, 0, n), n, q))
        worst = min(worst, float(np.min(lower_tail + upper_tail)))
    return worst


@functools.lru_cache(maxsize=1024)
def ks_sample_size(design: Design) -> int:
    """Smallest n whose power lower bound reaches design.power (bisection on n)."""
    def powerful(n: int) -> bool:
        # One q0 where the bound falls short settles it: try a coarse grid before the fine one.
        return (ks_power_lower_bound(n, design, spacing=1e-3) >= design.power
                and ks_power_lower_bound(n, design) >= design.power)

    # Start near the normal approximation (critical value ~ sqrt(ln(2/α)/(2n)), binomial sd ≤ 1/2).
    root = math.sqrt(math.log(2 / design.alpha) / 2) + 0.5 * float(sps.norm.isf(1 - design.power))
    start = max(16, math.ceil((root / design.delta) ** 2))
    return smallest_powerful_n(powerful, start=start, low=int(0.9 * start), grow=1.1)


def distribution_minimum_sample_size(design: Design) -> int:
    """What an exact test needs to see a CDF off by delta at one known point: the exact equal-tailed
    binomial test of F(t) = q0 at the hardest q0 (near 1/2). The KS test sees the distance at any
    point, so its n divided by this is its efficiency against the best single-point test."""
    return max(binomial_minimum_sample_size(q0, design) for q0 in (0.5 - design.delta, 0.5 - design.delta / 2, 0.5))


def ks_distance(sample: np.ndarray, cdf) -> float:
    """sup_t |F_n(t) - F0(t)| for a continuous F0."""
    sample = np.sort(np.asarray(sample, dtype=np.float64).ravel())
    n = sample.size
    values = cdf(sample)
    return float(max((np.arange(1, n + 1) / n - values).max(), (values - np.arange(0, n) / n).max()))


def ks_test(sample: np.ndarray, cdf, alpha: float) -> Decision:
    """Exact one-sample Kolmogorov-Smirnov test of H0: the sample's law has CDF `cdf`."""
    n = np.asarray(sample).size
    distance = ks_distance(sample, cdf)
    pvalue = min(1.0, 2.0 * float(special.smirnov(int(n), distance)))  # the union bound, as for the critical value
    return Decision(distance, pvalue, bool(distance > ks_critical_value(n, alpha)), "exact Kolmogorov-Smirnov test")


# ---------------------------------------------------------------- efficiency yardstick

BINOMIAL, VARIANCE, KOLMOGOROV_SMIRNOV = "exact binomial", "exact χ² variance", "exact Kolmogorov-Smirnov"


def minimum_sample_size(method: str, design: Design, rate: float | None = None) -> int:
    """The smallest n at which an exact test reaches design.power against design.delta at design.alpha:
    the yardstick a check's drawn n is divided by (regverify bench)."""
    if method == BINOMIAL:
        return binomial_minimum_sample_size(rate, design)
    if method == VARIANCE:
        return variance_sample_size(design)
    if method == KOLMOGOROV_SMIRNOV:
        return distribution_minimum_sample_size(design)
    raise ValueError(f"minimum_sample_size: method must be one of {BINOMIAL!r}, {VARIANCE!r}, "
                     f"{KOLMOGOROV_SMIRNOV!r}, got {method!r}")


# ---------------------------------------------------------------- sequential tests (regstats.sequential)

from regstats.sequential import (  # noqa: E402 - they build on the fixed-sample designs above
    SEQUENTIAL_BINOMIAL,  # noqa: F401
    SEQUENTIAL_VARIANCE,  # noqa: F401
    OperatingCharacteristic,  # noqa: F401
    SequentialDesign,  # noqa: F401
    SequentialOutcome,  # noqa: F401
    binomial_decide,  # noqa: F401
    binomial_operating_characteristic,  # noqa: F401
    binomial_sequential_design,  # noqa: F401
    operating_characteristic,  # noqa: F401
    run_binomial_sequential,  # noqa: F401
    run_variance_sequential,  # noqa: F401
    variance_operating_characteristic,  # noqa: F401
    variance_sequential_design,  # noqa: F401
    wald_lower_bounds,  # noqa: F401
)
