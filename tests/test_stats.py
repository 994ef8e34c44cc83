"""The statistics toolkit tests itself: null rejection rate ≤ α and power ≥ design, by simulation.

Each simulated test runs at a large α (0.05) where rejections are frequent enough to count, M times.
The count of rejections is itself binomial, so it is judged by the toolkit's exact binomial test at
the suite's per-check α: a meta-test whose own design is printed on failure.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import optimize
from scipy import stats as sps

import regstats as stats
from regstats import budget
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


@pytest.mark.parametrize(("field", "value"), [("alpha", 0.0), ("alpha", 1.5), ("power", 1.0), ("delta", -0.1)])
def test_design_rejects_parameters_outside_their_range(field, value):
    arguments = {"alpha": 0.01, "power": 0.9, "delta": 0.1, field: value}
    with pytest.raises(ValueError, match=field):
        stats.Design(**arguments)
