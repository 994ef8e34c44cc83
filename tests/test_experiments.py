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
from theory.experiments.common import (
    EXPERIMENT_ALPHA,
    NOT_SHOWN,
    REFUTED,
    SHOWN,
    decide,
    decide_conditions,
    paired_sign_test,
)
from theory.experiments.ensemble import formula, identity_residual, second_moments

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def small_results():
    # The same cached runs the ledger's empirical claims use, so the suite trains each model once.
    return {name: run_experiment(name, "small") for name in EXPERIMENTS}


def test_every_experiment_runs_at_the_small_size_and_reports_a_decision(small_results):
    assert set(small_results) == set(EXPERIMENTS)
    for name, result in small_results.items():
        assert result.decision in (SHOWN, REFUTED, NOT_SHOWN) or result.decision.startswith("depends on "), (
            f"{name}: unknown decision {result.decision!r}")
        assert result.alpha == pytest.approx(EXPERIMENT_ALPHA) and result.n_seeds > 0, f"{name}: no design stated"
        assert result.details.strip(), f"{name}: no details"
        low, high = result.ci
        assert low <= high, f"{name}: confidence interval ({low}, {high}) is reversed"
        if math.isfinite(low) and math.isfinite(high):
            assert low <= result.effect <= high, f"{name}: effect {result.effect} outside its interval ({low}, {high})"


def test_experiments_return_figure_data_and_draw_nothing(small_results):
    # Drawing is the report layer's job (regverify.report draws result.plots); theory writes no files.
    assert any(r.plots for r in small_results.values()), "no experiment returned figure data"
    for result in small_results.values():
        assert result.figures == [], f"{result.name}: an experiment drew its own figures"


def test_bias_variance_parts_add_up_to_the_measured_error_within_the_monte_carlo_bound(small_results):
    # The decomposition is an identity in expectation; the experiment's bound covers the Monte-Carlo error
    # at α'= α/(grid points) each, so "refuted" means the decomposition code is wrong (at the small size the
    # bound is too wide to show it: "not shown" is expected there).
    result = small_results["bias_variance"]
    assert result.decision != REFUTED, result.details


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


# ---------------------------------------------------------------- the three-way decision


def _differences(positives: int, negatives: int, ties: int = 0) -> np.ndarray:
    return np.array([1.0] * positives + [-1.0] * negatives + [0.0] * ties)


def test_significant_in_the_claimed_direction_is_shown_and_against_it_is_refuted():
    assert decide(paired_sign_test(_differences(40, 2), EXPERIMENT_ALPHA)) == SHOWN
    # The same data with the sign flipped (a sign mutation of the experiment) is refuted, not shown.
    assert decide(paired_sign_test(-_differences(40, 2), EXPERIMENT_ALPHA)) == REFUTED


def test_not_significant_is_not_shown_with_its_power_and_the_seeds_that_would_decide():
    # 43 of 64 seeds in the claimed direction at α = 1e-3 (the audit's dropout case): not significant,
    # so "not shown", never "refuted"; the power at q̂ = 43/64 is low and more seeds would decide.
    outcome = paired_sign_test(_differences(43, 21), EXPERIMENT_ALPHA)
    assert not outcome.reject and decide(outcome) == NOT_SHOWN
    assert 0.0 < outcome.power_at_effect < 0.5
    assert outcome.seeds_to_decide > 64


def test_an_equivalence_bound_below_the_margin_refutes():
    # Many seeds split evenly: the upper confidence bound on P(d > 0) falls below 1/2 + margin.
    outcome = paired_sign_test(_differences(500, 500), EXPERIMENT_ALPHA)
    assert not outcome.reject and decide(outcome) == REFUTED


def test_depends_on_needs_a_significant_difference_between_conditions():
    strong, weak = _differences(60, 4), _differences(34, 30)
    outcomes = {"a": paired_sign_test(strong, EXPERIMENT_ALPHA / 3), "b": paired_sign_test(weak, EXPERIMENT_ALPHA / 3)}
    # Per-seed effects: condition a helps by 1, b by ±1 ... the difference a − b is tested on the same seeds.
    decision, between = decide_conditions(outcomes, {"a": strong * 3, "b": weak}, "the condition", EXPERIMENT_ALPHA / 3)
    assert decision.startswith("depends on the condition") and between is not None and between.reject
    same, _ = decide_conditions(outcomes, {"a": weak, "b": weak}, "the condition", EXPERIMENT_ALPHA / 3)
    assert same == SHOWN, "without a significant difference the conditions are not said to matter"


def test_a_condition_whose_seeds_all_tie_ranks_as_no_effect():
    # L1 by plain subgradient steps gives no exact zeros on any seed (every difference 0): that condition has
    # no evidence either way, and the tested difference to the proximal step decides "depends on".
    shown, tied = _differences(48, 0), np.zeros(48)
    outcomes = {"prox": paired_sign_test(shown, EXPERIMENT_ALPHA / 3),
                "subgradient": paired_sign_test(tied, EXPERIMENT_ALPHA / 3)}
    decision, between = decide_conditions(outcomes, {"prox": shown, "subgradient": tied}, "the optimizer",
                                          EXPERIMENT_ALPHA / 3)
    assert decision.startswith("depends on the optimizer: shown for prox"), decision


# ---------------------------------------------------------------- the real image data set (scikit-learn's digits)

#: Known facts of scikit-learn's 8×8 digits (1797 images): images per class and the sum of the raw 0..16 pixels.
DIGITS_PER_CLASS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
DIGITS_RAW_PIXEL_SUM = 561718


def test_the_digits_are_the_bundled_data_set_scaled_to_the_unit_interval():
    from theory.experiments import tasks

    images, labels = tasks._digits()
    assert images.shape == (1797, 64) and labels.dtype == np.int64
    assert np.bincount(labels).tolist() == DIGITS_PER_CLASS
    assert images.min() == 0.0 and images.max() == 1.0
    assert round(float(images.sum()) * tasks.DIGITS_MAX_PIXEL) == DIGITS_RAW_PIXEL_SUM


def test_the_digits_file_read_equals_scikit_learns_loader(monkeypatch):
    # The fast path reads load_digits' own file without importing scikit-learn; its fallback is load_digits
    # itself. Both give the same arrays (this test pays the scikit-learn import, about a second).
    from theory.experiments import tasks

    fast = tasks._digits.__wrapped__()
    monkeypatch.setattr(tasks, "_digits_file_rows", lambda: None)
    loaded = tasks._digits.__wrapped__()
    assert all(np.array_equal(a, b) for a, b in zip(fast, loaded, strict=True))


def test_a_digits_split_is_disjoint_fixed_per_seed_and_checks_its_sizes():
    from theory.experiments import tasks

    sizes = {"train": 100, "val": 50, "test": 300}
    first = tasks.digits_split(np.random.default_rng([3, 7]), sizes)
    again = tasks.digits_split(np.random.default_rng([3, 7]), sizes)
    other = tasks.digits_split(np.random.default_rng([4, 7]), sizes)
    assert {k: (x.shape, y.shape) for k, (x, y) in first.items()} == {k: ((n, 64), (n,)) for k, n in sizes.items()}
    assert all(np.array_equal(first[k][0], again[k][0]) for k in sizes)
    assert not np.array_equal(first["train"][0], other["train"][0])
    # Disjoint: no image is in two parts. The 1797 images are pairwise distinct (checked), so an image's pixels
    # name its index in the data set.
    images, _ = tasks._digits()
    index = {images[i].tobytes(): i for i in range(images.shape[0])}
    assert len(index) == images.shape[0]
    used = [index[row.tobytes()] for x, _ in first.values() for row in x]
    assert len(used) == len(set(used)) == sum(sizes.values())
    with pytest.raises(ValueError, match="at most 1797"):
        tasks.digits_split(np.random.default_rng(0), {"train": 1000, "test": 1000})
    with pytest.raises(ValueError, match=r"sizes\['train'\]"):
        tasks.digits_split(np.random.default_rng(0), {"train": 0})


def test_claims_about_images_also_run_on_real_digits_and_state_the_scale_limit(small_results):
    from theory import get_claim

    for name, claim_ids in {"mixup": ["EMPIRICAL.MIXUP.SMALL_DATA"],
                            "batchnorm_speed": ["BATCHNORM.FASTER_TRAINING", "BATCHNORM.HIGHER_LEARNING_RATES"]}.items():
        result = small_results[name]
        assert result.scale_limit and "8×8" in result.scale_limit
        assert all(label in result.parts for label in result.image_conditions.values()), result.image_conditions
        for claim_id in claim_ids:
            summary = get_claim(claim_id).evaluate().summary
            assert "on real images (" in summary and f"scale limit: {result.scale_limit}" in summary, summary
