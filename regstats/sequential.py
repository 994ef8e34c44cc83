"""Anytime-valid sequential tests: draw in blocks, stop as soon as the evidence decides.

A fixed-sample test draws its n whatever the data say. A sequential test looks after every block
of draws and stops when the likelihood ratio of the data under the alternatives to the null has
left a band. Under a correct target (the null) that happens several times sooner than the fixed n.

The rule (for a binomial rate p0 or a normal variance σ0², alternatives θ_1..θ_K at distance δ):

    Λ_n = (1/K) Σ_i L_i(n),   L_i = likelihood ratio of θ_i to the null after n draws

- reject H0 when Λ_n ≥ 1/α. Λ is a non-negative martingale of mean 1 under H0, so by Ville's
  inequality P0(Λ_n ≥ 1/α for some n) ≤ α: the level holds whatever the looks and the stopping;
- accept H0 when every L_i(n) ≤ A = (1 - CAP_SHARE)·β. By the change of measure
  P_i(accept) = E0[L_i; accept] ≤ A for every alternative θ_i (a bound on the sum, (1/K)Σ L_i ≤ A/K,
  would also do, but accepts later);
- stop at the cap N (a multiple of the block) and accept. The cap is the smallest N at which
  P_i(L_i(N) < K/α) ≤ CAP_SHARE·β for every i: an undecided run has Λ < 1/α hence L_i < K/α, so
  reaching the cap costs at most CAP_SHARE·β of power. The worst case draws cap / fixed n times the
  fixed-sample test's n (stated by :attr:`SequentialDesign.worst_case_factor`: ≈ 1.46 for the suite's
  designs, tested ≤ 1.5).

The first look comes at the first n where the count H0 makes most likely could be accepted (before it
only a rejection can stop the test, with probability ≤ α under H0): one large first block, then blocks
of about fixed n / 256, so a check under H0 calls the target ~15 times, not ~50.

So α and the power hold by proof, not by simulation; they hold for any looks and any stopping. The
exact operating characteristic (level, power, expected draws) is computed by dynamic programming over
the counts at the look boundaries (:func:`binomial_operating_characteristic`; for the variance a
numerical DP on a grid of the χ² statistic, :func:`variance_operating_characteristic`), and checked
against brute-force enumeration and simulation in tests/test_stats.py. Power holds at |Δ| = δ by the
proof; at |Δ| = 2δ the simulation and the DP show it (tests/test_stats.py).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import special
from scipy import stats as sps

from regstats import Design, binomial_sample_size, variance_sample_size

#: Share of β (= 1 - power) spent on reaching the cap undecided; the rest bounds early acceptance.
CAP_SHARE = 0.1
#: Blocks per fixed-sample n: the block is the power of two nearest fixed n / BLOCKS_PER_FIXED_N (at
#: least MIN_BLOCK). Smaller blocks stop closer to the boundary (fewer wasted draws) but call the target
#: more often. Measured by the DP at p0 = 0.5, α = 1e-10, power 0.999, δ = 0.01 (fixed n 228,497):
#: expected draws under H0 58,832 / 57,016 at blocks 4096 / 2048 with CAP_SHARE 0.5; 53,504 / 52,347 at
#: blocks 2048 / 1024 with CAP_SHARE 0.1 (0.05 gains 0.6 % more and costs a cap 4 % higher).
BLOCKS_PER_FIXED_N = 256
MIN_BLOCK = 32

SEQUENTIAL_BINOMIAL, SEQUENTIAL_VARIANCE = "sequential binomial", "sequential χ² variance"


@dataclass(frozen=True)
class SequentialDesign:
    """A sequential test's rule: looks every `block` draws, at most `cap` draws, thresholds on log Λ."""

    method: str
    design: Design
    null: float
    alternatives: tuple[float, ...]
    block: int
    cap: int
    fixed_n: int
    first: int = 0  # size of the first block (0: the block); looks at first, first + block, ..., cap

    @property
    def first_block(self) -> int:
        return self.first or self.block

    @property
    def looks(self) -> int:
        """How many looks the test can make: at first_block, then every block up to the cap."""
        return (self.cap - self.first_block) // self.block + 1

    @property
    def log_reject(self) -> float:
        return math.log(1.0 / self.design.alpha)

    @property
    def log_accept(self) -> float:
        """Accept when every alternative's log likelihood ratio is at most this."""
        return math.log((1.0 - CAP_SHARE) * (1.0 - self.design.power))

    @property
    def worst_case_factor(self) -> float:
        """Most draws this test can make, over the fixed-sample test's n for the same design."""
        return self.cap / self.fixed_n

    def describe(self) -> str:
        return (f"{self.method}: looks every {self.block} draws, at most {self.cap} "
                f"({self.worst_case_factor:.2f}× the fixed n={self.fixed_n}); {self.design.describe()}")


@dataclass(frozen=True)
class SequentialOutcome:
    """What a sequential run saw: the statistic, the draws, why it stopped, and log Λ there."""

    reject: bool
    stopped: str  # "rejected", "accepted" or "cap"
    statistic: float  # successes (binomial) or Σ within-block squares / σ0² (variance)
    n: int  # trials (binomial) or degrees of freedom (variance)
    draws: int
    looks: int
    log_mixture: float
    method: str


# ---------------------------------------------------------------- binomial


def _binomial_log_lr(k, n, p0: float, p1: float):
    """log of the likelihood ratio of Binomial(n, p1) to Binomial(n, p0) at k (vectorised; ±inf where
    one law puts no mass)."""
    k = np.asarray(k, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return (special.xlogy(k, p1) + special.xlogy(n - k, 1 - p1)
                - special.xlogy(k, p0) - special.xlogy(n - k, 1 - p0))


def binomial_log_mixture(k, n, p0: float, alternatives: tuple[float, ...]):
    """log Λ = log of the mean of the alternatives' likelihood ratios at k successes in n trials."""
    terms = np.stack([np.broadcast_to(_binomial_log_lr(k, n, p0, p1), np.shape(k)) for p1 in alternatives])
    with np.errstate(invalid="ignore", divide="ignore"):
        return special.logsumexp(terms, axis=0) - math.log(len(alternatives))


def binomial_log_max_ratio(k, n, p0: float, alternatives: tuple[float, ...]):
    """max_i log L_i: the acceptance statistic (accept when every alternative is unlikely)."""
    return np.max(np.stack([np.broadcast_to(_binomial_log_lr(k, n, p0, p1), np.shape(k)) for p1 in alternatives]),
                  axis=0)


def _xlogy(x: float, y: float) -> float:
    """x·log(y) with 0·log(0) = 0 (scalar: the runner looks once per block, numpy's overhead dominates there)."""
    if x == 0:
        return 0.0
    return x * math.log(y) if y > 0 else -math.inf


def _log_mean_exp(terms: list[float]) -> tuple[float, float]:
    """(log of the mean of exp(terms), max of terms), for a handful of scalars."""
    top = max(terms)
    if not math.isfinite(top):
        return top, top
    return top + math.log(sum(math.exp(t - top) for t in terms) / len(terms)), top


def _binomial_statistics(k: int, n: int, p0: float, alternatives: tuple[float, ...]) -> tuple[float, float]:
    """(log Λ, max_i log L_i) at k successes in n trials: scalar twin of the vectorised functions above."""
    null = _xlogy(k, p0) + _xlogy(n - k, 1 - p0)
    if null == -math.inf:  # impossible under H0 (an event off a degenerate p0): every ratio is infinite
        return math.inf, math.inf
    return _log_mean_exp([_xlogy(k, p1) + _xlogy(n - k, 1 - p1) - null for p1 in alternatives])


def _binomial_unrejectable_probability(n: int, p0: float, p1: float, threshold: float) -> float:
    """P_{p1}(log L(S_n) < threshold) for S_n ~ Binomial(n, p1): the chance that n draws still cannot
    reach the rejection boundary through this alternative."""
    if p1 in (0.0, 1.0):  # S_n is n·p1 for sure
        return float(_binomial_log_lr(n * p1, n, p0, p1) < threshold)
    if p0 in (0.0, 1.0):  # any draw off p0 makes L infinite; none leaves L = ((1-p1)/(1-p0))^n or (p1/p0)^n
        off_free = n * math.log1p(-p1) if p0 == 0.0 else n * math.log(p1)
        return math.exp(off_free) if float(_binomial_log_lr(n * p0, n, p0, p1)) < threshold else 0.0
    # log L is linear in k: k·slope + n·log((1-p1)/(1-p0)); find the first k across the threshold exactly.
    slope = math.log(p1 / p0) - math.log((1 - p1) / (1 - p0))
    crossing = (threshold - n * math.log((1 - p1) / (1 - p0))) / slope
    if slope > 0:  # rejectable when k ≥ first
        first = min(max(math.ceil(crossing) - 2, 0), n + 1)
        while first <= n and _binomial_log_lr(first, n, p0, p1) < threshold:
            first += 1
        return 1.0 if first > n else float(special.bdtr(first - 1, n, p1)) if first > 0 else 0.0
    last = max(min(math.floor(crossing) + 2, n), -1)  # rejectable when k ≤ last
    while last >= 0 and _binomial_log_lr(last, n, p0, p1) < threshold:
        last -= 1
    return 1.0 if last < 0 else float(special.bdtrc(last, n, p1)) if last < n else 0.0


@functools.lru_cache(maxsize=4096)
def binomial_sequential_design(p0: float, design: Design, block: int | None = None) -> SequentialDesign:
    """The sequential binomial test of H0: rate = p0 against p0 ± δ (those in [0, 1]) for `design`."""
    from regstats import _alternatives, _check_fraction

    _check_fraction("p0", p0, closed=True)
    alternatives = tuple(_alternatives(p0, design.delta))
    if not alternatives:
        raise ValueError(f"binomial_sequential_design: delta={design.delta} leaves no alternative in [0, 1]")
    fixed_n = binomial_sample_size(p0, design)
    if block is None and p0 in (0.0, 1.0):
        # A draw off p0 rejects at once; with none, L = (1-δ)^n ≤ A accepts: one look of this size decides
        # every path, with P_{p0±δ}(accept) = (1-δ)^n ≤ A < β, so it is also the cap.
        block = 1 if design.delta >= 1.0 else max(1, math.ceil(math.log((1 - CAP_SHARE) * (1 - design.power))
                                                                / math.log1p(-design.delta)))
        return SequentialDesign(SEQUENTIAL_BINOMIAL, design, p0, alternatives, block, block, fixed_n, block)
    block = _default_block(fixed_n) if block is None else block
    if isinstance(block, bool) or not (isinstance(block, int) and block >= 1):
        raise ValueError(f"binomial_sequential_design: block must be an integer ≥ 1, got {block!r}")
    threshold = math.log(len(alternatives) / design.alpha)
    allowed = CAP_SHARE * (1 - design.power)

    def capped(n: int) -> bool:
        return all(_binomial_unrejectable_probability(n, p0, p1, threshold) <= allowed for p1 in alternatives)

    log_accept = math.log((1.0 - CAP_SHARE) * (1 - design.power))

    def could_accept(n: int) -> bool:  # at the count H0 makes most likely
        return _binomial_statistics(round(n * p0), n, p0, alternatives)[1] <= log_accept

    # Before the first n at which acceptance is possible nothing but a rejection can happen, and under H0
    # that has probability ≤ α: one first block of that size saves the calls, not draws.
    first = _smallest_block_multiple(could_accept, block, start=block)
    cap = max(first, _smallest_block_multiple(capped, block, start=fixed_n))
    return SequentialDesign(SEQUENTIAL_BINOMIAL, design, p0, alternatives, block, cap, fixed_n, first)


def _default_block(fixed_n: int) -> int:
    return max(MIN_BLOCK, 2 ** round(math.log2(max(1.0, fixed_n / BLOCKS_PER_FIXED_N))))


def _smallest_block_multiple(enough: Callable[[int], bool], block: int, *, start: int) -> int:
    """Smallest multiple of block (from about start/2 up) at which enough(n) holds: doubling, then bisection."""
    low = max(1, math.ceil(start / 2 / block))
    high = low
    while not enough(high * block):
        low, high = high + 1, 2 * high
    while low < high:
        mid = (low + high) // 2
        if enough(mid * block):
            high = mid
        else:
            low = mid + 1
    return high * block


def binomial_decide(seq: SequentialDesign, successes: int, trials: int) -> str:
    """'rejected', 'accepted', 'cap' (accepted at the cap) or 'continue' after a look."""
    log_mixture, log_max = _binomial_statistics(successes, trials, seq.null, seq.alternatives)
    return _verdict(seq, log_mixture, log_max, trials)


def _verdict(seq: SequentialDesign, log_mixture: float, log_max: float, size: int) -> str:
    if log_mixture >= seq.log_reject:
        return "rejected"
    if log_max <= seq.log_accept:
        return "accepted"
    return "cap" if size >= seq.cap else "continue"


def run_binomial_sequential(draw_block: Callable[[int], tuple[int, int]], seq: SequentialDesign) -> SequentialOutcome:
    """Call draw_block(m) (which draws m more units and returns (successes, trials) among them) until the
    test decides. trials is normally m; a property that discards some draws (ties) returns fewer."""
    successes = trials = draws = looks = 0
    while True:
        size = seq.block if looks else seq.first_block
        k, t = draw_block(size)
        k, t = int(k), int(t)
        if not 0 <= k <= t:
            raise ValueError(f"run_binomial_sequential: draw_block must return 0 ≤ successes ≤ trials, got ({k}, {t})")
        successes, trials, draws, looks = successes + k, trials + t, draws + size, looks + 1
        log_mixture, log_max = _binomial_statistics(successes, trials, seq.null, seq.alternatives)
        verdict = _verdict(seq, log_mixture, log_max, trials)
        if verdict == "continue" and draws >= 4 * seq.cap:  # a block that keeps returning no trials
            verdict = "cap"
        if verdict != "continue":
            return SequentialOutcome(verdict == "rejected", verdict, successes, trials, draws, looks, log_mixture,
                                     "sequential mixture likelihood-ratio binomial test (Ville)")


@dataclass(frozen=True)
class OperatingCharacteristic:
    """Exact (or, for the variance, numerical) behaviour of a sequential design when the truth is `truth`."""

    truth: float
    reject_probability: float
    expected_draws: float
    cap_probability: float  # reaching the cap undecided
    looks: int  # looks the computation went through (it stops once nothing is left undecided)
    truncated: float = 0.0  # probability the computation dropped (an upper bound on its error)


#: The DP drops block outcomes less likely than this, and stops once less than UNDECIDED_FLOOR is left
#: undecided; both totals are reported as `truncated`, a bound on the error of every probability.
PMF_FLOOR = 1e-40
UNDECIDED_FLOOR = 1e-25


@functools.lru_cache(maxsize=256)
def _block_law(block: int, p: float) -> tuple[int, np.ndarray]:
    """(first, pmf): P(X = first + i) for X ~ Binomial(block, p), where it is ≥ PMF_FLOOR."""
    mode = min(block, max(0, math.floor((block + 1) * p)))
    spread = math.sqrt(block * p * (1 - p)) + 1
    width = math.ceil(16 * spread + 16)  # 16 sd: the pmf is < 1e-55 there; trimmed to PMF_FLOOR below
    support = np.arange(max(0, mode - width), min(block, mode + width) + 1)
    pmf = sps.binom.pmf(support, block, p)
    kept = np.flatnonzero(pmf >= PMF_FLOOR)
    return int(support[kept[0]]), pmf[kept[0]: kept[-1] + 1]


@functools.lru_cache(maxsize=256)
def binomial_operating_characteristic(seq: SequentialDesign, p: float) -> OperatingCharacteristic:
    """Exact rejection probability and expected draws when each draw succeeds with probability p,
    by dynamic programming over the success count at the block boundaries.

    The counts still undecided after look j - 1 are propagated one block by convolution with the
    Binomial(block, p) law (direct sums of positive terms, so each probability carries only rounding
    error); at look j every reachable count is classified as rejected, accepted or continuing by the
    rule itself. Block outcomes with probability < PMF_FLOOR are dropped, and the computation stops
    once less than UNDECIDED_FLOOR is undecided; `truncated` bounds what that leaves out (the expected
    draws count the undecided rest at the cap).
    """

    def advance(size: int, n: int, mass: np.ndarray, start: int):
        offset, pmf = _block_law(size, p)
        dropped = float(mass.sum()) * (size + 1 - pmf.size) * PMF_FLOOR  # the dropped outcomes, each < PMF_FLOOR
        mass, start = np.convolve(mass, pmf), start + offset
        counts = start + np.arange(mass.size)
        rejected = binomial_log_mixture(counts, n, seq.null, seq.alternatives) >= seq.log_reject
        undecided = ~rejected & (binomial_log_max_ratio(counts, n, seq.null, seq.alternatives) > seq.log_accept)
        return mass, start, rejected, undecided, dropped

    return OperatingCharacteristic(p, *_through_the_looks(seq, advance))


def _through_the_looks(seq: SequentialDesign, advance) -> tuple[float, float, float, int, float]:
    """The dynamic programme both operating characteristics share. `mass` holds the probabilities of the
    statistic's grid values start, start + 1, ... still undecided. At each look (a block of `size` draws, n
    so far) advance(size, n, mass, start) propagates them one block and classifies every value by the rule:
    it returns (mass, start, rejected, undecided, dropped), dropped the probability it left out. Returns
    (reject probability, expected draws, cap probability, looks computed, truncated); what is still undecided
    below UNDECIDED_FLOOR is counted as truncated and, in the expected draws, at the cap."""
    start, mass = 0, np.ones(1)
    reject = expected = cap_probability = truncated = 0.0
    for j in range(1, seq.looks + 1):
        size = seq.first_block if j == 1 else seq.block
        n = seq.first_block + (j - 1) * seq.block
        arriving = float(mass.sum())
        mass, start, rejected, undecided, dropped = advance(size, n, mass, start)
        truncated += dropped
        reject += float(mass[rejected].sum())
        mass = np.where(undecided, mass, 0.0)
        continuing = float(mass.sum())
        if j == seq.looks:
            expected += n * arriving
            cap_probability = continuing
            break
        expected += n * (arriving - continuing)
        if continuing < UNDECIDED_FLOOR:  # its fate cannot move any probability by more than this
            truncated += continuing
            expected += seq.cap * continuing
            break
        alive = np.flatnonzero(undecided & (mass > 0))
        if alive.size == 0:
            break
        mass, start = mass[alive[0]: alive[-1] + 1], start + int(alive[0])
    return reject, expected, cap_probability, j, truncated




# ---------------------------------------------------------------- variance (χ² statistic, normal data)


def variance_log_lr(statistic, dof, ratio: float):
    """log likelihood ratio of variance ratio·σ0² to σ0², given T = Σ within-block squared deviations / σ0²
    on `dof` degrees of freedom (T ~ ratio·χ²(dof)); vectorised in T."""
    statistic = np.asarray(statistic, dtype=np.float64)
    return -0.5 * dof * math.log(ratio) + 0.5 * statistic * (1.0 - 1.0 / ratio)


def variance_log_mixture(statistic, dof, alternatives: tuple[float, ...]):
    terms = np.stack([np.broadcast_to(variance_log_lr(statistic, dof, r), np.shape(statistic)) for r in alternatives])
    return special.logsumexp(terms, axis=0) - math.log(len(alternatives))


def variance_log_max_ratio(statistic, dof, alternatives: tuple[float, ...]):
    return np.max(np.stack([np.broadcast_to(variance_log_lr(statistic, dof, r), np.shape(statistic))
                            for r in alternatives]), axis=0)


def _variance_unrejectable_probability(dof: int, ratio: float, threshold: float) -> float:
    """P_ratio(log L(T) < threshold) for T ~ ratio·χ²(dof): log L is linear in T."""
    slope = 0.5 * (1.0 - 1.0 / ratio)
    crossing = (threshold + 0.5 * dof * math.log(ratio)) / slope
    if slope > 0:  # rejectable when T ≥ crossing
        return float(sps.chi2.cdf(crossing / ratio, dof))
    return 1.0 if crossing < 0 else float(sps.chi2.sf(crossing / ratio, dof))  # rejectable when T ≤ crossing


def _variance_dof(draws: int, block: int, first: int) -> int:
    """Degrees of freedom after `draws` draws, a first block then blocks: each block's own mean costs one."""
    return first - 1 + ((draws - first) // block) * (block - 1)


@functools.lru_cache(maxsize=256)
def variance_sequential_design(design: Design, block: int | None = None) -> SequentialDesign:
    """The sequential χ² test of H0: Var = σ0² against ratios 1 + δ and 1/(1 + δ), for i.i.d. normal draws
    of unknown mean: each block contributes its squared deviations from its own mean (block - 1 dof), so the
    blocks' statistics are independent χ² variables whatever the mean."""
    alternatives = (1.0 + design.delta, 1.0 / (1.0 + design.delta))
    fixed_n = variance_sample_size(design)
    block = _default_block(fixed_n) if block is None else block
    if isinstance(block, bool) or not (isinstance(block, int) and block >= 2):
        raise ValueError(f"variance_sequential_design: block must be an integer ≥ 2, got {block!r}")
    threshold = math.log(len(alternatives) / design.alpha)
    allowed = CAP_SHARE * (1 - design.power)

    log_accept = math.log((1.0 - CAP_SHARE) * (1 - design.power))

    def could_accept(n: int) -> bool:  # at T = its expectation under H0 (as for the binomial test)
        dof = n - 1
        return max(float(variance_log_lr(dof, dof, r)) for r in alternatives) <= log_accept

    first = _smallest_block_multiple(could_accept, block, start=block)

    def capped(n: int) -> bool:
        dof = _variance_dof(n, block, first)
        return n >= first and all(_variance_unrejectable_probability(dof, r, threshold) <= allowed for r in alternatives)

    cap = _smallest_block_multiple(capped, block, start=max(fixed_n, first))
    return SequentialDesign(SEQUENTIAL_VARIANCE, design, 1.0, alternatives, block, cap, fixed_n, first)


def run_variance_sequential(draw_block: Callable[[int], np.ndarray], seq: SequentialDesign,
                            variance: float) -> SequentialOutcome:
    """Call draw_block(m) (m more i.i.d. normal draws, as an array) until the test of Var = `variance` decides."""
    if not (isinstance(variance, (int, float)) and variance > 0 and math.isfinite(variance)):
        raise ValueError(f"run_variance_sequential: variance must be a finite number > 0, got {variance!r}")
    statistic, dof, draws, looks = 0.0, 0, 0, 0
    while True:
        size = seq.block if looks else seq.first_block
        values = np.asarray(draw_block(size), dtype=np.float64).ravel()
        if values.size != size:
            raise ValueError(f"run_variance_sequential: draw_block({size}) returned {values.size} values")
        statistic += float(((values - values.mean()) ** 2).sum()) / variance
        dof, draws, looks = dof + values.size - 1, draws + values.size, looks + 1
        log_mixture, log_max = _log_mean_exp([-0.5 * dof * math.log(r) + 0.5 * statistic * (1.0 - 1.0 / r)
                                              for r in seq.alternatives])
        verdict = _verdict(seq, log_mixture, log_max, draws)
        if verdict != "continue":
            return SequentialOutcome(verdict == "rejected", verdict, statistic, dof, draws, looks, log_mixture,
                                     "sequential mixture likelihood-ratio χ² variance test (Ville)")


def variance_operating_characteristic(seq: SequentialDesign, ratio: float, *, cell: float | None = None
                                      ) -> OperatingCharacteristic:
    """Rejection probability and expected draws when the true variance is ratio·σ0², by dynamic programming
    on a grid of the statistic T (numerical, unlike the binomial DP).

    T moves by ratio·χ²(block - 1) per look; each increment is put in cells of width `cell` (its exact
    probability per cell from the χ² CDF) and the convolution runs by FFT. The rounding of T to the grid
    moves log Λ by at most |slope|·cell/2 per look, with slope = max|1 - 1/r|/2; the default cell keeps
    the accumulated spread (√(looks/12)·slope·cell) near 0.01 in log Λ.
    """
    from scipy import signal

    block, looks = seq.block, seq.looks
    slope = max(abs(0.5 * (1 - 1 / r)) for r in seq.alternatives)
    cell = cell or 0.01 / (slope * math.sqrt(looks / 12 + 1))

    def increment_law(dof_block: int) -> tuple[int, np.ndarray]:  # ratio·χ²(dof_block) in cells
        mean, sd = ratio * dof_block, ratio * math.sqrt(2 * dof_block)
        k_low, k_high = max(0, math.floor((mean - 14 * sd) / cell)), math.ceil((mean + 14 * sd) / cell)
        edges = (np.arange(k_low, k_high + 2) - 0.5).clip(min=0) * cell
        return k_low, np.diff(sps.chi2.cdf(edges / ratio, dof_block))

    laws = {seq.first_block: increment_law(seq.first_block - 1), block: increment_law(block - 1)}

    def advance(size: int, n: int, mass: np.ndarray, start: int):
        dof = _variance_dof(n, block, seq.first_block)
        k_low, kernel = laws[size]
        mass, start = np.maximum(signal.fftconvolve(mass, kernel), 0.0), start + k_low
        statistic = (start + np.arange(mass.size)) * cell
        rejected = variance_log_mixture(statistic, dof, seq.alternatives) >= seq.log_reject
        undecided = ~rejected & (variance_log_max_ratio(statistic, dof, seq.alternatives) > seq.log_accept)
        return mass, start, rejected, undecided, 0.0  # this DP's error is the grid's (above), not a dropped mass

    return OperatingCharacteristic(ratio, *_through_the_looks(seq, advance))


# ---------------------------------------------------------------- the sequential optimum (information bounds)


def _binomial_kl(p: float, q: float) -> float:
    """Kullback-Leibler divergence of Bernoulli(p) from Bernoulli(q), per draw."""
    return float(special.xlogy(p, p / q) + special.xlogy(1 - p, (1 - p) / (1 - q))) if 0 < q < 1 else math.inf


def _variance_kl(ratio_true: float, ratio_other: float) -> float:
    """KL of N(0, ratio_true) from N(0, ratio_other), per draw."""
    x = ratio_true / ratio_other
    return 0.5 * (x - 1 - math.log(x))


def wald_lower_bounds(seq: SequentialDesign) -> tuple[float, float]:
    """(under H0, under the hardest alternative): the fewest expected draws any sequential test with
    level α and power 1 - β against each alternative can have, even looking after every draw (Wald's
    inequality: E[N]·KL ≥ the KL of the two decision laws). The yardstick a sequential test's DP
    expected draws are divided by."""
    alpha, beta = seq.design.alpha, 1 - seq.design.power

    def info(a: float, b: float) -> float:  # KL between Bernoulli(1-a) and Bernoulli(b) decision laws
        return (1 - a) * math.log((1 - a) / b) + a * math.log(a / (1 - b))

    if seq.method == SEQUENTIAL_BINOMIAL:
        kl_null = [_binomial_kl(seq.null, p) for p in seq.alternatives]
        kl_alt = [_binomial_kl(p, seq.null) for p in seq.alternatives]
    else:
        kl_null = [_variance_kl(1.0, r) for r in seq.alternatives]
        kl_alt = [_variance_kl(r, 1.0) for r in seq.alternatives]
    under_null = max(info(alpha, beta) / kl for kl in kl_null)
    under_alternative = max(info(beta, alpha) / kl for kl in kl_alt)
    return under_null, under_alternative


def operating_characteristic(seq: SequentialDesign, truth: float) -> OperatingCharacteristic:
    """The DP for either test: `truth` is the rate (binomial) or the variance ratio (variance)."""
    if seq.method == SEQUENTIAL_BINOMIAL:
        return binomial_operating_characteristic(seq, truth)
    return variance_operating_characteristic(seq, truth)
