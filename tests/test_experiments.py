"""The designed experiments: they run, their results are well formed, and their exact parts are exact.

The small size is a smoke test of the machinery; the decisive runs are `size="full"` (regverify report).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import regstats as stats
from regstats import budget
from regverify.conformance.strategies import SEEDS
from theory.claims.empirical import run_experiment
from theory.experiments import EXPERIMENTS
from theory.experiments.bias_variance import monte_carlo_bound
from theory.experiments.common import EXPERIMENT_ALPHA, HOLDS, INCONCLUSIVE
from theory.experiments.ensemble import formula, identity_residual, second_moments

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def small_results():
    # The same cached runs the ledger's empirical claims use, so the suite trains each model once.
    return {name: run_experiment(name, "small") for name in EXPERIMENTS}


def test_every_experiment_runs_at_the_small_size_and_reports_a_decision(small_results):
    assert set(small_results) == set(EXPERIMENTS)
    for name, result in small_results.items():
        assert result.decision == HOLDS or result.decision == INCONCLUSIVE or result.decision.startswith(
            ("does not hold", "depends on", "opposite")), f"{name}: unknown decision {result.decision!r}"
        assert result.alpha == pytest.approx(EXPERIMENT_ALPHA) and result.n_seeds > 0, f"{name}: no design stated"
        assert result.details.strip(), f"{name}: no details"
        low, high = result.ci
        assert low <= high, f"{name}: confidence interval ({low}, {high}) is reversed"
        if math.isfinite(low) and math.isfinite(high):
            assert low <= result.effect <= high, f"{name}: effect {result.effect} outside its interval ({low}, {high})"


def test_every_figure_is_a_png_file(small_results):
    figures = [f for r in small_results.values() for f in r.figures]
    assert figures, "no experiment wrote a figure"
    for figure in figures:
        assert figure.read_bytes()[:8] == PNG_SIGNATURE, f"{figure} is not a PNG"


def test_bias_variance_parts_add_up_to_the_measured_error_within_the_monte_carlo_bound(small_results):
    # The decomposition is an identity in expectation; the experiment's bound covers the Monte-Carlo error
    # at α'= α/(grid points) each, so a decision other than "holds" means the decomposition code is wrong.
    result = small_results["bias_variance"]
    assert result.decision == HOLDS, result.details


@given(seed=SEEDS, k=st.integers(2, 8), m=st.integers(1, 50))
@settings(max_examples=20)
def test_ensemble_formula_is_an_exact_identity_for_plug_in_moments(seed, k, m):
    errors = np.random.default_rng(seed).standard_normal((k, m)) * np.random.default_rng(seed + 1).uniform(0.1, 10)
    residual, bound = identity_residual(errors)
    assert residual <= bound, f"plug-in identity off by {residual:.3g} > rounding bound {bound:.3g} (k={k}, m={m})"
    v, c = second_moments(errors)
    assert formula(v, v, k) == pytest.approx(v) and formula(v, 0.0, k) == pytest.approx(v / k)


def test_monte_carlo_bound_covers_a_pure_noise_sample_at_its_level():
    # Predictions equal to the truth: the measured error is the noise alone, whose deviation from σ² must stay
    # inside the bound; at the suite's per-check α a violation means the bound is wrong.
    budget.spend()
    alpha = budget.alpha()
    sigma, n = 0.5, 4000
    noise = sigma * np.random.default_rng(7).standard_normal(n)
    deviation = abs(float(np.mean(noise**2)) - sigma**2)
    assert deviation <= monte_carlo_bound(np.zeros(n), sigma, alpha), f"|mean noise² - σ²| = {deviation:.3g}"


def test_experiments_are_deterministic_under_fixed_seeds():
    first = EXPERIMENTS["dropout_decorrelation"](size="small")
    second = EXPERIMENTS["dropout_decorrelation"](size="small")
    assert (first.effect, first.ci, first.decision) == (second.effect, second.ci, second.decision)


def test_sign_test_level_is_the_stated_alpha():
    # The experiments' decision is an exact sign test: with n paired seeds its rejection region has level ≤ α.
    for n in (6, 20, 40):
        level = stats.binomial_power(n, 0.5, 0.5, EXPERIMENT_ALPHA)
        assert level <= EXPERIMENT_ALPHA, f"sign test with n={n} has level {level} > {EXPERIMENT_ALPHA}"
