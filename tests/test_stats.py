"""The statistics toolkit tests itself: null rejection rate ≤ α and power ≥ design, by simulation.

Each simulated test runs at a large α (0.05) where rejections are frequent enough to count, M times.
The count of rejections is itself binomial, so it is judged by the toolkit's exact binomial test at
the suite's per-check α: a meta-test whose own design is printed on failure.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, special
from scipy import stats as sps

import regstats as stats
from regstats import budget, sequential
from regverify.conformance.strategies import SEEDS

SIMULATION_ALPHA = 0.05
SIMULATION_POWER = 0.9
SIMULATIONS = 2000


def assert_rejection_rate(
    rejections: int, *, at_most: float | None = None, at_least: float | None = None, what: str,
    simulations: int = SIMULATIONS,
):
    """One-sided exact check that the rejection count is consistent with a rate ≤ at_most (or ≥ at_least)."""
    __tracebackhide__ = True
    SIMULATIONS = simulations  # noqa: N806 - the count this check judges
    budget.spend()
    alpha = budget.alpha()
    if at_most is not None:
        pvalue = float(sps.binom.sf(rejections - 1, SIMULATIONS, at_most))
        detectable = stats.binomial_detectable_delta(SIMULATIONS, at_most, 2 * alpha, 0.99)
        assert pvalue > alpha, (
            f"{what}: {rejections} of {SIMULATIONS} rejections (rate {rejections / SIMULATIONS:.4f}), but the rate should be "
            f"≤ {at_most} [one-sided exact binomial, p-value {pvalue:.2g} ≤ α={alpha:.1e}; detects a rate ≥ "
            f"{at_most + detectable:.3f} with power 0.99]"
        )
    if at_least is not None:
        pvalue = float(sps.binom.cdf(rejections, SIMULATIONS, at_least))
        detectable = stats.binomial_detectable_delta(SIMULATIONS, at_least, 2 * alpha, 0.99)
        assert pvalue > alpha, (
            f"{what}: {rejections} of {SIMULATIONS} rejections (rate {rejections / SIMULATIONS:.4f}), but the power should be "
            f"≥ {at_least} [one-sided exact binomial, p-value {pvalue:.2g} ≤ α={alpha:.1e}; detects a power ≤ "
            f"{at_least - detectable:.3f} with probability 0.99]"
        )


rates = st.integers(min_value=2, max_value=18).map(lambda k: k / 20)


@given(p0=rates, seed=SEEDS)
def test_binomial_test_rejects_a_true_null_at_most_alpha_of_the_time(p0, seed):
    design = stats.Design(SIMULATION_ALPHA, SIMULATION_POWER, 0.05)
    n = stats.binomial_sample_size(p0, design)
    counts = np.random.default_rng(seed).binomial(n, p0, SIMULATIONS)
    k_low, k_high = stats.binomial_critical_values(n, p0, design.alpha)
    rejections = int(((counts <= k_low) | (counts >= k_high)).sum())
    assert_rejection_rate(rejections, at_most=design.alpha, what=f"binomial_test(n={n}, p0={p0}) under H0")


@given(p0=rates, sign=st.sampled_from([-1, 1]), seed=SEEDS)
def test_binomial_test_reaches_its_designed_power_at_delta(p0, sign, seed):
    design = stats.Design(SIMULATION_ALPHA, SIMULATION_POWER, 0.05)
    n = stats.binomial_sample_size(p0, design)
    p1 = p0 + sign * design.delta
    counts = np.random.default_rng(seed).binomial(n, p1, SIMULATIONS)
    decisions = [stats.binomial_test(int(k), n, p0, design.alpha).reject for k in counts[:200]]
    k_low, k_high = stats.binomial_critical_values(n, p0, design.alpha)
    vectorized = (counts <= k_low) | (counts >= k_high)
    assert decisions == list(vectorized[:200]), "binomial_test and its critical values disagree"
    assert_rejection_rate(int(vectorized.sum()), at_least=design.power, what=f"binomial_test(n={n}, p0={p0}) at p1={p1}")


@given(p0=rates)
def test_binomial_sample_size_reaches_the_power_it_promises(p0):
    design = stats.Design(1e-6, 0.99, 0.02)
    n = stats.binomial_sample_size(p0, design)
    for p1 in (p0 - design.delta, p0 + design.delta):
        power = stats.binomial_power(n, p0, p1, design.alpha)
        assert power >= design.power, f"binomial_sample_size(p0={p0}) n={n} has power {power:.4f} < {design.power} at {p1}"
    detectable = stats.binomial_detectable_delta(n, p0, design.alpha, design.power)
    assert detectable <= design.delta, f"binomial_detectable_delta(n={n}) = {detectable} > δ={design.delta}"


@given(ratio=st.sampled_from([1.0, 1.5]), seed=SEEDS)
def test_variance_test_has_level_alpha_and_its_designed_power(ratio, seed):
    design = stats.Design(SIMULATION_ALPHA, SIMULATION_POWER, 0.5)
    n = stats.variance_sample_size(design)
    samples = np.random.default_rng(seed).normal(0.0, math.sqrt(ratio), (SIMULATIONS, n))
    statistic = (n - 1) * samples.var(axis=1, ddof=1)
    low, high = sps.chi2.ppf(design.alpha / 2, n - 1), sps.chi2.isf(design.alpha / 2, n - 1)
    rejections = int(((statistic <= low) | (statistic >= high)).sum())
    one = stats.variance_test(samples[0], 1.0, design.alpha)
    assert one.reject == bool(statistic[0] <= low or statistic[0] >= high), "variance_test disagrees with its region"
    if ratio == 1.0:
        assert_rejection_rate(rejections, at_most=design.alpha, what=f"variance_test(n={n}) under H0")
    else:
        assert_rejection_rate(rejections, at_least=design.power, what=f"variance_test(n={n}) at ratio {ratio}")


def _beta_with_sup_distance(delta: float) -> float:
    """b such that the CDF of Beta(1, b), 1-(1-x)^b, is at sup-distance delta from the uniform CDF."""

    def distance(b: float) -> float:
        x = 1 - (1 / b) ** (1 / (b - 1))  # where the derivative of 1-(1-x)^b - x vanishes
        return 1 - (1 - x) ** b - x - delta

    return optimize.brentq(distance, 1.0001, 50.0)


def _step_sample(rng: np.random.Generator, shape: tuple[int, int], delta: float) -> np.ndarray:
    """A law whose CDF is off the uniform one by delta at t = 1/2 only: the hardest case of the KS design,
    whose power bound is the binomial count of X < 1/2."""
    low = rng.random(shape) < 0.5 + delta
    return np.where(low, 0.5 * rng.random(shape), 0.5 + 0.5 * rng.random(shape))


@given(alternative=st.sampled_from(["null", "beta", "step"]), seed=SEEDS)
def test_ks_test_has_level_alpha_and_its_designed_power(alternative, seed):
    design = stats.Design(SIMULATION_ALPHA, SIMULATION_POWER, 0.1)
    n = stats.ks_sample_size(design)
    rng = np.random.default_rng(seed)
    sims = SIMULATIONS // 4  # each simulation sorts n values; a quarter of the runs keeps this test fast
    samples = {
        "null": lambda: rng.random((sims, n)),
        "beta": lambda: rng.beta(1.0, _beta_with_sup_distance(design.delta), (sims, n)),
        "step": lambda: _step_sample(rng, (sims, n), design.delta),
    }[alternative]()
    uniform = lambda v: np.clip(v, 0, 1)  # noqa: E731
    critical = stats.ks_critical_value(n, design.alpha)
    # The decision rule itself, without ks_test's p-value (2 ms each); ks_test must agree with it.
    distances = np.array([stats.ks_distance(s, uniform) for s in samples])
    rejections = int((distances > critical).sum())
    assert stats.ks_test(samples[0], uniform, design.alpha).reject == bool(distances[0] > critical), "ks_test disagrees"
    if alternative == "null":
        assert_rejection_rate(rejections, at_most=design.alpha, what=f"ks_test(n={n}) under H0", simulations=sims)
    else:
        assert_rejection_rate(rejections, at_least=design.power, simulations=sims,
                              what=f"ks_test(n={n}) against a {alternative} law at sup-distance {design.delta}")


@pytest.mark.full
def test_ks_sample_size_is_within_ten_percent_of_the_exact_single_point_minimum():
    # The KS test sees a CDF error at any point; the exact binomial test of F(t) at one known t is the
    # floor. The ratio is the price of not knowing t: about ((√(ln(2/α)/2) + z_β/2) / (z_α/2/2 + z_β/2))².
    for delta in (0.05, 0.1):
        design = stats.Design(1e-10, 0.999, delta)
        ratio = stats.ks_sample_size(design) / stats.distribution_minimum_sample_size(design)
        assert 1.0 <= ratio <= 1.1, f"ks_sample_size / exact minimum = {ratio:.3f} at δ={delta}, should be in [1, 1.1]"


def test_clopper_pearson_upper_bound_matches_the_closed_form_at_zero_failures():
    # With no failures the bound solves (1 - u)^n = 1 - confidence exactly.
    for trials in (10, 1000, 100_000):
        expected = 1 - (1 - 0.95) ** (1 / trials)
        got = stats.clopper_pearson_upper(0, trials, 0.95)
        assert math.isclose(got, expected, rel_tol=1e-9), f"clopper_pearson_upper(0, {trials}) = {got}, should be {expected}"


def test_suite_budget_splits_evenly_over_the_allocation():
    assert stats.alpha_per_check() * stats.RANDOM_CHECK_ALLOCATION == pytest.approx(stats.SUITE_FALSE_FAILURE_BUDGET)
    assert stats.alpha_per_check(10.0) == pytest.approx(stats.alpha_per_check() / 10)


def test_ledger_budget_is_split_over_its_decisions_and_stated_separately():
    assert budget.ledger_alpha(4) * 4 == pytest.approx(budget.LEDGER_FALSE_VERDICT_BUDGET)
    budget.declare_separate("toolkit self-test family", 1e-6, 3, "an example family")
    try:
        (family,) = [f for f in budget.separate_budgets() if f["name"] == "toolkit self-test family"]
        assert family["bound"] == pytest.approx(3e-6)
    finally:
        budget._separate.pop("toolkit self-test family")  # not a family of the run being reported
    with pytest.raises(ValueError, match="decisions"):
        budget.ledger_alpha(0)


@pytest.mark.parametrize(("field", "value"), [("alpha", 0.0), ("alpha", 1.5), ("power", 1.0), ("delta", -0.1)])
def test_design_rejects_parameters_outside_their_range(field, value):
    arguments = {"alpha": 0.01, "power": 0.9, "delta": 0.1, field: value}
    with pytest.raises(ValueError, match=field):
        stats.Design(**arguments)


# ---------------------------------------------------------------- sequential tests (regstats.sequential)

#: The designs the suite's sequential checks use: dropout keep counts (δ = 0.01) and the other keep counts
#: (δ = 0.05), at the default per-check α and at the worst case of 1e-10 quoted in the issue.
SUITE_KEEP_DESIGN = stats.Design(1e-10, 0.999, 0.01)
#: Each example simulates SIMULATIONS whole sequential runs and runs the DP: a dozen examples cover the
#: rates, the truths and the seeds without dominating the suite's time.
SEQUENTIAL_EXAMPLES = 8


def _block_counts(seq: stats.SequentialDesign, p: float, runs: int, rng: np.random.Generator) -> np.ndarray:
    """Successes in each block of `runs` simulated paths: the first block, then the others."""
    first = rng.binomial(seq.first_block, p, (runs, 1))
    return np.concatenate([first, rng.binomial(seq.block, p, (runs, seq.looks - 1))], axis=1)


def _binomial_rule(seq: stats.SequentialDesign, block_counts: np.ndarray):
    """The sequential rule applied to many count paths at once: (rejected, draws) per path."""
    counts = block_counts.cumsum(axis=1)
    n = seq.first_block + seq.block * np.arange(seq.looks)
    rejected = sequential.binomial_log_mixture(counts, n, seq.null, seq.alternatives) >= seq.log_reject
    decided = rejected | (sequential.binomial_log_max_ratio(counts, n, seq.null, seq.alternatives) <= seq.log_accept)
    decided[:, -1] = True
    stop = decided.argmax(axis=1)
    return rejected[np.arange(len(counts)), stop], n[stop]


def _assert_matches_probability(hits: int, runs: int, probability: float, what: str) -> None:
    """Two-sided exact check that a simulated count is Binomial(runs, probability), at the per-check α."""
    __tracebackhide__ = True
    budget.spend()
    decision = stats.binomial_test(hits, runs, probability, budget.alpha())
    assert not decision.reject, (
        f"{what}: {hits} of {runs} simulated runs, but the DP says probability {probability:.4f} "
        f"[exact binomial, p-value {decision.pvalue:.2g} ≤ α={budget.alpha():.1e}; detects a rate off by "
        f"{stats.binomial_detectable_delta(runs, probability, budget.alpha(), 0.99):.3f} with power 0.99]")


@pytest.mark.full
def test_binomial_dp_equals_brute_force_enumeration_of_every_count_path():
    # A design small enough to enumerate: every sequence of block counts, each with its probability, run
    # through the rule (binomial_decide) itself. The DP must give the same rejection probability and draws.
    for first in (0, 6):  # looks every 3 draws; or a first look at 6, then every 3
        seq = stats.SequentialDesign(stats.SEQUENTIAL_BINOMIAL, stats.Design(0.2, 0.8, 0.25), 0.4, (0.15, 0.65),
                                     block=3, cap=15, fixed_n=10, first=first)
        for p in (0.4, 0.15, 0.65, 0.9):
            reject = draws = 0.0
            paths = [(0, 0, 1.0)]  # (successes, draws, probability) of the paths still undecided
            while paths:
                successes, n, probability = paths.pop()
                size = seq.block if n else seq.first_block
                for x in range(size + 1):
                    q = probability * sps.binom.pmf(x, size, p)
                    verdict = stats.binomial_decide(seq, successes + x, n + size)
                    if verdict == "continue":
                        paths.append((successes + x, n + size, q))
                    else:
                        reject += q * (verdict == "rejected")
                        draws += q * (n + size)
            dp = stats.binomial_operating_characteristic(seq, p)
            assert dp.reject_probability == pytest.approx(reject, rel=1e-12, abs=1e-15), f"DP level/power at p={p}"
            assert dp.expected_draws == pytest.approx(draws, rel=1e-12), f"DP expected draws at p={p}"


@pytest.mark.full
@pytest.mark.parametrize(("p0", "delta"), [(0.5, 0.01), (0.5, 0.05), (0.8, 0.05), (0.99, 0.05), (0.0, 0.05)])
def test_sequential_binomial_exact_level_is_at_most_alpha_and_power_reaches_the_design(p0, delta):
    # The level is Ville's bound; the DP computes the exact value (plus what it truncated, ≤ 1e-25).
    design = stats.Design(SUITE_KEEP_DESIGN.alpha, SUITE_KEEP_DESIGN.power, delta)
    seq = stats.binomial_sequential_design(p0, design)
    null = stats.binomial_operating_characteristic(seq, p0)
    assert null.reject_probability + null.truncated <= design.alpha, (
        f"{seq.describe()}: exact level {null.reject_probability:.4g} > α at p0={p0}")
    for p1 in seq.alternatives[: 1 if p0 == 0.5 else 2]:  # at p0 = 1/2 the two sides are mirror images
        power = stats.binomial_operating_characteristic(seq, p1).reject_probability
        assert power >= design.power, f"{seq.describe()}: exact power {power:.6f} < {design.power} at p1={p1}"
    assert seq.worst_case_factor <= 1.5, f"{seq.describe()}: the cap costs more than 1.5× the fixed n"


def test_sequential_binomial_draws_at_least_4x_fewer_than_the_fixed_test_under_the_null():
    # The headline: the dropout keep count at p = 0.5, α = 1e-10, power 0.999, δ = 0.01.
    seq = stats.binomial_sequential_design(0.5, SUITE_KEEP_DESIGN)
    expected = stats.binomial_operating_characteristic(seq, 0.5).expected_draws
    fixed = stats.binomial_minimum_sample_size(0.5, SUITE_KEEP_DESIGN)
    assert 4 * expected <= fixed, f"expected draws under H0 {expected:.0f}, but should be ≤ the fixed minimum {fixed} / 4"


@pytest.mark.full
@settings(max_examples=SEQUENTIAL_EXAMPLES)
@given(p0=rates, truth=st.sampled_from(["null", "low", "high", "far"]), seed=SEEDS)
def test_sequential_binomial_simulated_decisions_match_the_exact_dp(p0, truth, seed):
    # Simulation at a design where rejections are frequent enough to count: the simulated rejection rate
    # must be the DP's, which must be ≤ α under H0 and ≥ the power at p0 ± δ (and at p0 + 2δ, "far").
    design = stats.Design(SIMULATION_ALPHA, SIMULATION_POWER, 0.05)
    seq = stats.binomial_sequential_design(p0, design)
    p = {"null": p0, "low": p0 - design.delta, "high": p0 + design.delta, "far": min(1.0, p0 + 2 * design.delta)}[truth]
    rng = np.random.default_rng(seed)
    rejected, _ = _binomial_rule(seq, _block_counts(seq, p, SIMULATIONS, rng))
    dp = stats.binomial_operating_characteristic(seq, p)
    _assert_matches_probability(int(rejected.sum()), SIMULATIONS, dp.reject_probability,
                                f"sequential binomial (p0={p0}, block {seq.block}) at p={p}")
    assert (dp.reject_probability <= design.alpha) if truth == "null" else (dp.reject_probability >= design.power), (
        f"{seq.describe()}: DP rejection probability {dp.reject_probability:.4f} at p={p}")
    # The runner, on the same kind of draws, decides as the vectorised rule does.
    for run in range(5):
        counts = _block_counts(seq, p, 1, rng)
        sizes = iter([seq.first_block] + [seq.block] * (seq.looks - 1))
        blocks = iter(counts[0])

        def draw_block(m: int, blocks=blocks, sizes=sizes) -> tuple[int, int]:
            assert m == next(sizes), "the runner asked for a block of the wrong size"
            return int(next(blocks)), m

        outcome = stats.run_binomial_sequential(draw_block, seq)
        again, draws = _binomial_rule(seq, counts)
        assert (outcome.reject, outcome.draws) == (bool(again[0]), int(draws[0])), f"run {run}: runner and rule disagree"


@pytest.mark.full
def test_sequential_variance_exact_level_and_power_by_the_grid_dp():
    # A variance design the suite uses (δ = 0.25; `regverify bench` runs the DP for every design a run uses);
    # the DP on a grid (8× the default cell keeps it cheap: its rounding moves log Λ by about 0.08) must show
    # level ≤ α and the designed power at both ratios.
    for delta in (0.25,):
        design = stats.Design(SUITE_KEEP_DESIGN.alpha, SUITE_KEEP_DESIGN.power, delta)
        seq = stats.variance_sequential_design(design)
        looks = seq.looks
        slope = max(abs(0.5 * (1 - 1 / r)) for r in seq.alternatives)
        cell = 0.08 / (slope * math.sqrt(looks / 12 + 1))
        null = stats.variance_operating_characteristic(seq, 1.0, cell=cell)
        assert null.reject_probability <= design.alpha, f"{seq.describe()}: level {null.reject_probability:.3g}"
        assert 4 * null.expected_draws <= seq.fixed_n, f"{seq.describe()}: {null.expected_draws:.0f} expected draws"
        for ratio in seq.alternatives:
            power = stats.variance_operating_characteristic(seq, ratio, cell=cell).reject_probability
            assert power >= design.power, f"{seq.describe()}: power {power:.5f} at ratio {ratio}"


@settings(max_examples=SEQUENTIAL_EXAMPLES)
@given(ratio=st.sampled_from([1.0, 1.5, 1 / 1.5]), seed=SEEDS)
def test_sequential_variance_simulated_rejection_rate_has_level_alpha_and_its_designed_power(ratio, seed):
    design = stats.Design(SIMULATION_ALPHA, SIMULATION_POWER, 0.5)
    seq = stats.variance_sequential_design(design)
    looks = seq.looks
    rng = np.random.default_rng(seed)
    increments = np.concatenate([rng.chisquare(seq.first_block - 1, (SIMULATIONS, 1)),
                                 rng.chisquare(seq.block - 1, (SIMULATIONS, looks - 1))], axis=1)
    statistic = (ratio * increments).cumsum(axis=1)
    dof = seq.first_block - 1 + (seq.block - 1) * np.arange(looks)
    rejected = sequential.variance_log_mixture(statistic, dof, seq.alternatives) >= seq.log_reject
    decided = rejected | (sequential.variance_log_max_ratio(statistic, dof, seq.alternatives) <= seq.log_accept)
    decided[:, -1] = True
    rejections = int(rejected[np.arange(SIMULATIONS), decided.argmax(axis=1)].sum())
    if ratio == 1.0:
        assert_rejection_rate(rejections, at_most=design.alpha, what=f"sequential variance test ({seq.describe()}) under H0")
    else:
        assert_rejection_rate(rejections, at_least=design.power, what=f"sequential variance test at ratio {ratio}")
    # The runner on real normal draws of unknown mean decides as the rule does on their statistics.
    values = [rng.normal(3.0, math.sqrt(ratio), seq.first_block)] + [
        rng.normal(3.0, math.sqrt(ratio), seq.block) for _ in range(looks - 1)]
    blocks = iter(values)
    outcome = stats.run_variance_sequential(lambda m: next(blocks), seq, 1.0)
    t = np.cumsum([((v - v.mean()) ** 2).sum() for v in values])
    rule_rejects = sequential.variance_log_mixture(t, dof, seq.alternatives) >= seq.log_reject
    rule_accepts = sequential.variance_log_max_ratio(t, dof, seq.alternatives) <= seq.log_accept
    stop = int(np.argmax(rule_rejects | rule_accepts | (np.arange(looks) == looks - 1)))
    assert outcome.looks == stop + 1 and outcome.reject == bool(rule_rejects[stop]), "runner and rule disagree"


def test_sequential_designs_reject_bad_parameters():
    with pytest.raises(ValueError, match="block"):
        stats.binomial_sequential_design(0.5, SUITE_KEEP_DESIGN, 0)
    with pytest.raises(ValueError, match="block"):
        stats.variance_sequential_design(SUITE_KEEP_DESIGN, 1)
    with pytest.raises(ValueError, match="p0"):
        stats.binomial_sequential_design(1.5, SUITE_KEEP_DESIGN)
    seq = stats.binomial_sequential_design(0.5, stats.Design(0.05, 0.9, 0.1))
    with pytest.raises(ValueError, match="successes ≤ trials"):
        stats.run_binomial_sequential(lambda m: (m + 1, m), seq)
    with pytest.raises(ValueError, match="variance"):
        stats.run_variance_sequential(lambda m: np.zeros(m), stats.variance_sequential_design(stats.Design(0.05, 0.9, 0.5)),
                                      -1.0)


@pytest.mark.full
def test_wald_lower_bounds_sit_below_the_sequential_tests_expected_draws():
    # Wald's bound holds for every test looking after every draw: the block-wise test cannot beat it.
    seq = stats.binomial_sequential_design(0.5, SUITE_KEEP_DESIGN)
    under_null, under_alternative = stats.wald_lower_bounds(seq)
    assert under_null <= stats.binomial_operating_characteristic(seq, 0.5).expected_draws
    assert under_alternative <= stats.binomial_operating_characteristic(seq, 0.51).expected_draws


# ---------------------------------------------------------------- exact KS level


@pytest.mark.parametrize("alpha", [stats.alpha_per_check(), stats.alpha_per_check(10.0), 1e-10, 1e-6])
def test_ks_critical_value_keeps_the_level_at_most_alpha_for_the_suites_sizes(alpha):
    # The suite's KS checks draw n ≈ 1.8k (ledger, α = 1e-6) to ≈ 10k (CDF distance 0.05 at α ~ 1e-10); the
    # exact one-sided law (smirnov) bounds the two-sided level, which must be ≤ α and within 1e-9 of it.
    for n in (1801, 2493, 9967):
        level = stats.ks_level(n, alpha)
        assert alpha * (1 - 1e-8) <= level <= alpha, f"KS level {level:.10g} at n={n}, but should be ≤ α={alpha}"
        c = stats.ks_critical_value(n, alpha)
        assert float(sps.kstwo.sf(c, n)) <= alpha, f"kstwo.sf(c={c}, n={n}) > α={alpha}"


def test_ks_critical_value_fixes_the_level_kstwo_isf_exceeds():
    # The finding: at α = 1e-10 scipy's kstwo.isf gives a level above α; the exact value does not.
    n = stats.ks_sample_size(stats.Design(1e-10, 0.999, 0.1))
    assert 2 * special.smirnov(n, float(sps.kstwo.isf(1e-10, n))) > 1e-10
    assert stats.ks_level(n, 1e-10) <= 1e-10


def test_a_separate_budget_family_bounds_a_false_decision_by_the_sum_of_its_alphas():
    from regstats import budget

    name = "test family: mixed α"
    for alpha in (1e-3, 1e-3 / 3, 1e-3 / 3):
        budget.count_separate(name, alpha, "a family whose conditions split α")
    family = next(f for f in budget.separate_budgets() if f["name"] == name)
    assert family["decisions"] == 3 and abs(family["bound"] - 1e-3 * 5 / 3) < 1e-15, family
